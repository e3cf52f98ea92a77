/* bench_attention — the attention module: einc notation, einc raw (PyTorch-style index
 * bookkeeping) and, when Debian's python3-torch is installed, PyTorch's module on the same shapes
 * and thread count, in the same run. Forward (no graph) and forward+backward, best of N, µs per
 * call, with ratios to PyTorch (> 1: einc is faster).
 *
 *   build/bench_attention            (BENCH_THREADS=1 by default, BENCH_REPS to change N)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "einc.h"

typedef struct {
    int64_t B, C, heads, H, W;
} config;

static const config configs[] = {{2, 16, 4, 8, 8}, {4, 128, 8, 16, 16}, {2, 256, 8, 32, 32}};
#define NCONFIGS (sizeof configs / sizeof configs[0])

typedef struct {
    einc_ctx *ctx;
    einc_mha *m;
    einc_tensor *x;
    bool raw, backward;
} run_arg;

static void run_once(void *p) {
    run_arg *a = p;
    einc_ctx *ctx = a->ctx;
    einc_scope_begin(ctx);
    bool was = einc_set_grad_enabled(ctx, a->backward);
    einc_tensor *y = a->raw ? einc_mha_forward_raw(ctx, a->m, a->x) : einc_mha_forward_notation(ctx, a->m, a->x);
    if (a->backward) einc_backward(ctx, einc_tensor_sum(ctx, y, EINC_ALL, false), NULL);
    einc_set_grad_enabled(ctx, was);
    einc_scope_end(ctx);
}

int main(void) {
    int threads = bench_threads(), reps = bench_reps(20);
    bench_header("bench_attention: the attention module (notation and raw) against PyTorch", threads, NULL, NULL);
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = threads, .seed = 1});
    if (!ctx) return 1;
    /* PyTorch, if installed: one subprocess measures all configurations */
    double torch_us[NCONFIGS][2];
    bool have_torch = false;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import torch' 2>/dev/null && printf '%s' | /usr/bin/python3 %s %d %d 2>/dev/null",
             "2 16 4 8 8\\n4 128 8 16 16\\n2 256 8 32 32\\n", "bench/attention_torch.py", threads, reps);
    FILE *p = popen(cmd, "r");
    if (p) {
        int got = 0;
        long long b, c, h, hh, w;
        double f, fb;
        while (got < (int)NCONFIGS &&
               fscanf(p, "%lld %lld %lld %lld %lld %lf %lf", &b, &c, &h, &hh, &w, &f, &fb) == 7) {
            torch_us[got][0] = f;
            torch_us[got][1] = fb;
            got++;
        }
        have_torch = pclose(p) == 0 && got == (int)NCONFIGS;
    }
    printf("attention (B, C, heads, H, W): us per call, best of %d, %d thread%s; GEMM: %s; PyTorch %s\n", reps, threads,
           threads == 1 ? "" : "s", einc_gemm_backend_name(einc_get_gemm_backend(ctx)),
           have_torch ? "1.13 (same run)" : "not available");
    printf("%-22s %-9s %11s %11s %11s %9s %9s\n", "shape", "pass", "notation", "raw", "pytorch", "torch/not",
           "torch/raw");
    for (size_t k = 0; k < NCONFIGS; k++) {
        const config *c = &configs[k];
        einc_mha m;
        if (einc_mha_init(ctx, &m, c->C, c->heads) != EINC_OK) break;
        einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(c->B, c->C, c->H, c->W));
        for (int bw = 0; bw < 2; bw++) {
            run_arg an = {ctx, &m, x, false, bw}, ar = {ctx, &m, x, true, bw};
            double tn = 1e30, tr = 1e30;
            for (int round = 0; round < 2; round++) { /* alternate to share the machine's noise */
                double a = bench_best(run_once, &an, reps / 2 + 1), b = bench_best(run_once, &ar, reps / 2 + 1);
                tn = a < tn ? a : tn;
                tr = b < tr ? b : tr;
            }
            char shape[64];
            snprintf(shape, sizeof shape, "(%lld,%lld,%lld,%lld,%lld)", (long long)c->B, (long long)c->C,
                     (long long)c->heads, (long long)c->H, (long long)c->W);
            if (have_torch)
                printf("%-22s %-9s %11.1f %11.1f %11.1f %9.2f %9.2f\n", shape, bw ? "fwd+bwd" : "forward", tn * 1e6,
                       tr * 1e6, torch_us[k][bw], torch_us[k][bw] / (tn * 1e6), torch_us[k][bw] / (tr * 1e6));
            else
                printf("%-22s %-9s %11.1f %11.1f %11s %9s %9s\n", shape, bw ? "fwd+bwd" : "forward", tn * 1e6, tr * 1e6,
                       "-", "-", "-");
        }
        einc_mha_free(&m);
        if (einc_errcode(ctx) != EINC_OK) {
            fprintf(stderr, "%s: %s\n", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            einc_ctx_destroy(ctx);
            return 1;
        }
    }
    einc_ctx_destroy(ctx);
    return 0;
}
