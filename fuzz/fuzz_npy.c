/* fuzz_npy.c — libFuzzer target for the .npy reader and writer (see fuzz/README.md).
 * The invariants live in fuzz_npy_check.h, which tests/test_fuzz_replay.c runs over the
 * committed corpus in every ordinary build. */
#include <stdlib.h>

#include "fuzz_npy_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    einc_ctx_options options = {0};
    options.threads = 1;
    einc_ctx *ctx = einc_ctx_create_with(&options);
    if (!ctx) abort();
    const char *violation = einc_fuzz_npy_check(ctx, data, size, false);
    einc_ctx_destroy(ctx);
    if (violation) abort(); /* the check printed which invariant and why */
    return 0;
}
