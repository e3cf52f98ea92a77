/* fuzz_notation.c — libFuzzer target for the einx operations: parser, solver, rules, planner and
 * kernels behind einc_apply and einc_explain (see fuzz/README_notation.md). The bytes are decoded
 * and the invariants checked by fuzz_notation_check.h, which tests/test_fuzz_replay_notation.c
 * also runs over the committed corpus in every ordinary build. */
#include "fuzz_notation_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    einc_fuzz_notation_result res;
    const char *violation = einc_fuzz_notation_run(&res, data, size);
    if (violation) {
        fprintf(stderr, "fuzz_notation: %s\n", violation);
        abort();
    }
    return 0;
}
