/* fuzz_safetensors.c — libFuzzer target for the safetensors reader (and, on every input it
 * accepts, the writer): see fuzz_safetensors_check.h for the property. A fresh context per input
 * makes LeakSanitizer and the live-tensor count catch anything a failed load leaves behind.
 *
 *   make fuzz && ./build-fuzz/fuzz/fuzz_safetensors -max_len=4096 fuzz/corpus/safetensors
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_safetensors_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    einc_ctx_options o = {0};
    o.threads = 1;
    einc_ctx *ctx = einc_ctx_create_with(&o);
    if (!ctx) return 0;
    const char *bad = fuzz_safetensors_check(ctx, data, size, 0);
    einc_memory_stats st;
    einc_memory_stats_get(ctx, &st);
    if (!bad && st.live_tensors != 0) bad = "tensors left alive after the states were freed";
    einc_ctx_destroy(ctx);
    if (bad) {
        fprintf(stderr, "fuzz_safetensors: %s\n", bad);
        abort();
    }
    return 0;
}
