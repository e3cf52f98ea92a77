/* fuzz_axes.c — libFuzzer target for einc_axes_parse, the parser of constraint text that the
 * tool's NAME=VALUE arguments go through (invariants in fuzz_axes_check.h, replayed by
 * tests/test_fuzz_replay.c over fuzz/corpus/axes/). */
#include "fuzz_axes_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) abort();
    const char *violation = einc_fuzz_axes_check(ctx, data, size, false);
    einc_ctx_destroy(ctx);
    if (violation) {
        fprintf(stderr, "fuzz_axes: %s\n", violation);
        abort();
    }
    return 0;
}
