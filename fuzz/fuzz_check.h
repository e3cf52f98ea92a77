/* fuzz_check.h — what every einc fuzz target shares with tests/test_fuzz_replay.c.
 *
 * A fuzz target's checks live in a header (fuzz/fuzz_<area>_check.h) as one function
 *
 *   const char *einc_fuzz_<area>_check(einc_ctx *ctx, const uint8_t *data, size_t size, bool may_oom);
 *
 * that feeds `data` through the library with `ctx` and returns NULL when every invariant holds,
 * else a static description of the first one violated. The libFuzzer target aborts on a
 * violation (that is what the fuzzer hunts for); the replay test runs the same function over
 * the committed corpus in every ordinary build, once with a plain context and then under a
 * fail-the-Nth-allocation sweep, where `may_oom` makes EINC_ENOMEM an acceptable outcome.
 */
#ifndef EINC_FUZZ_CHECK_H
#define EINC_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "einc.h"

typedef const char *(*einc_fuzz_check_fn)(einc_ctx *ctx, const uint8_t *data, size_t size, bool may_oom);

/* Inside a check function: on a false `cond`, print where, store `what` in the local
 * `const char *violation` and jump to the function's cleanup label `done`. */
#define EINC_FUZZ_EXPECT(cond, what)                                                                                   \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", __FILE__, __LINE__, (what), #cond);                \
            violation = (what);                                                                                        \
            goto done;                                                                                                 \
        }                                                                                                              \
    } while (0)

/* Inside a check function: an einc call failed; under an allocation sweep an out-of-memory
 * failure ends the check quietly, anything else is the violation `what`. */
#define EINC_FUZZ_EXPECT_OK(ctx, may_oom, ok, what)                                                                    \
    do {                                                                                                               \
        if (!(ok)) {                                                                                                   \
            if ((may_oom) && einc_errcode(ctx) == EINC_ENOMEM) goto done;                                              \
            fprintf(stderr, "%s:%d: invariant violated: %s (%s: %s)\n", __FILE__, __LINE__, (what),                    \
                    einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));                                            \
            violation = (what);                                                                                        \
            goto done;                                                                                                 \
        }                                                                                                              \
    } while (0)

#endif /* EINC_FUZZ_CHECK_H */
