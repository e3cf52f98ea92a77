/* bench_attention — the attention module three ways (einc notation, raw index bookkeeping, and
 * the notation with the fused attention kernel) against PyTorch on the same shapes and thread
 * count, in the same run: PyTorch 1.13 (Debian's /usr/bin/python3) as the environment is set and
 * in its best configuration on this machine, and PyTorch 2's scaled_dot_product_attention when
 * the python3 on PATH has torch >= 2. Forward (no graph) and forward+backward, µs per call (best
 * of N, the einc implementations alternated, PyTorch measured before and after them), GFLOP/s and
 * the fraction of the FMA peak of the fused forward, and the peak RSS of one call of each einc
 * implementation (each in a fresh child process).
 *
 *   build/bench_attention            (BENCH_THREADS=1 by default, BENCH_REPS to change N)
 *
 * FLOPs of the module: qkv and proj (2 B N C 3C + 2 B N C C) plus the attention (4 B N^2 C);
 * forward+backward counts 3x the forward (the usual convention: the backward does two products
 * per forward product).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "einc.h"

typedef struct {
    int64_t B, C, heads, H, W;
} config;

static const config configs[] = {{2, 16, 4, 8, 8}, {4, 128, 8, 16, 16}, {2, 256, 8, 32, 32}, {1, 256, 8, 64, 64}};
#define NCONFIGS (sizeof configs / sizeof configs[0])
enum { NIMPL = 3 };
static const char *const impl_name[NIMPL] = {"notation", "raw", "fused"};
typedef einc_tensor *(*forward_fn)(einc_ctx *, const einc_mha *, einc_tensor *);
static const forward_fn impl_fn[NIMPL] = {einc_mha_forward_notation, einc_mha_forward_raw, einc_mha_forward_fused};

/* PyTorch configurations: the environment as set, and the best one found on this machine
 * (OpenBLAS left to pick its kernels, its own threads off, glibc's malloc never returning memory
 * so that PyTorch's large temporaries are not faulted in again on every call, ATen's kernels of
 * the best level the CPU has: ATEN_CPU_CAPABILITY=avx512 on a CPU without it dies of SIGILL). */
static const char *const torch_env[3] = {
    "",
    "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "
    "GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736 ATEN_CPU_CAPABILITY=",
    ""};
static const char *const torch_label[3] = {"torch as set", "torch best", "torch2 sdpa"};

typedef struct {
    einc_ctx *ctx;
    einc_mha *m;
    einc_tensor *x;
    int impl;
    bool backward;
} run_arg;

static void run_once(void *p) {
    run_arg *a = p;
    einc_ctx *ctx = a->ctx;
    einc_scope_begin(ctx);
    bool was = einc_set_grad_enabled(ctx, a->backward);
    einc_tensor *y = impl_fn[a->impl](ctx, a->m, a->x);
    if (a->backward) einc_backward(ctx, einc_tensor_sum(ctx, y, EINC_ALL, false), NULL);
    einc_set_grad_enabled(ctx, was);
    einc_scope_end(ctx);
}

static double module_flops(const config *c) {
    double n = (double)c->H * (double)c->W, b = (double)c->B, ch = (double)c->C;
    return 2 * b * n * ch * 4 * ch + 4 * b * n * n * ch;
}

/* Runs one torch configuration over every shape: us[k][pass]; false when unavailable. */
static bool run_torch(int which, int threads, int reps, double us[NCONFIGS][2]) {
    char cmd[1024], shapes[256] = "";
    for (size_t k = 0; k < NCONFIGS; k++) {
        size_t len = strlen(shapes);
        snprintf(shapes + len, sizeof shapes - len, "%lld %lld %lld %lld %lld\\n", (long long)configs[k].B,
                 (long long)configs[k].C, (long long)configs[k].heads, (long long)configs[k].H,
                 (long long)configs[k].W);
    }
    const char *py = which == 2 ? "python3" : "/usr/bin/python3";
    const char *aten = which != 1 ? "" : einc_cpu_level_supported() >= EINC_CPU_AVX512 ? "avx512 " : "avx2 ";
    snprintf(cmd, sizeof cmd,
             "%s -c 'import torch' 2>/dev/null && printf '%s' | %s%s%s bench/attention_torch.py %d %d %s 2>/dev/null",
             py, shapes, torch_env[which], aten, py, threads, reps, which == 2 ? "sdpa" : "module");
    FILE *p = popen(cmd, "r");
    if (!p) return false;
    int got = 0;
    long long b, c, h, hh, w;
    double f, fb;
    while (got < (int)NCONFIGS && fscanf(p, "%lld %lld %lld %lld %lld %lf %lf", &b, &c, &h, &hh, &w, &f, &fb) == 7) {
        us[got][0] = f;
        us[got][1] = fb;
        got++;
    }
    return pclose(p) == 0 && got == (int)NCONFIGS;
}

/* Child mode: `bench_attention --rss IMPL K BACKWARD` runs one call and prints its peak RSS (MiB). */
static int rss_child(int impl, int k, int backward) {
    const config *c = &configs[k];
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = bench_threads(), .seed = 1});
    einc_mha m;
    if (!ctx || einc_mha_init(ctx, &m, c->C, c->heads) != EINC_OK) return 1;
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(c->B, c->C, c->H, c->W));
    run_arg a = {ctx, &m, x, impl, backward};
    run_once(&a);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.1f\n", (double)ru.ru_maxrss / 1024.0);
    einc_mha_free(&m);
    einc_ctx_destroy(ctx);
    return 0;
}

static double child_rss(const char *self, int impl, int k, int backward) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --rss %d %d %d", self, impl, k, backward);
    FILE *p = popen(cmd, "r");
    double mib = -1;
    if (p) {
        if (fscanf(p, "%lf", &mib) != 1) mib = -1;
        pclose(p);
    }
    return mib;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--rss") == 0) return rss_child(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    int threads = bench_threads(), reps = bench_reps(10);
    double peak = 0;
    bench_header("bench_attention: the attention module (notation, raw, fused) against PyTorch", threads, &peak, NULL);
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = threads, .seed = 1});
    if (!ctx) return 1;
    double torch_us[3][2][NCONFIGS][2]; /* [which][before/after][config][pass] */
    bool have[3];
    for (int w = 0; w < 3; w++) have[w] = run_torch(w, threads, reps, torch_us[w][0]);
    double us[NCONFIGS][2][NIMPL];
    for (size_t k = 0; k < NCONFIGS; k++) {
        const config *c = &configs[k];
        einc_mha m;
        if (einc_mha_init(ctx, &m, c->C, c->heads) != EINC_OK) break;
        einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(c->B, c->C, c->H, c->W));
        /* calls of tens of us need hundreds of repetitions to reach their warm best (as PyTorch's side) */
        int n = c->H * c->W >= 2048 ? 1 : c->H * c->W <= 64 ? 20 * reps : reps / 2 + 1;
        for (int bw = 0; bw < 2; bw++)
            for (int i = 0; i < NIMPL; i++) us[k][bw][i] = 1e30;
        for (int round = 0; round < 2; round++) /* alternate, so the implementations share the noise */
            for (int bw = 0; bw < 2; bw++)
                for (int i = 0; i < NIMPL; i++) {
                    run_arg a = {ctx, &m, x, i, bw};
                    double t = bench_best(run_once, &a, n) * 1e6;
                    if (t < us[k][bw][i]) us[k][bw][i] = t;
                }
        einc_mha_free(&m);
        if (einc_errcode(ctx) != EINC_OK) {
            fprintf(stderr, "%s: %s\n", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            einc_ctx_destroy(ctx);
            return 1;
        }
    }
    for (int w = 0; w < 3; w++)
        if (have[w]) have[w] = run_torch(w, threads, reps, torch_us[w][1]);
    einc_ctx_destroy(ctx);

    printf("attention (B, C, heads, H, W): us per call, best of up to %d (%d for H W <= 64, 1 for H W >= 2048), "
           "%d thread%s; GEMM: %s\n",
           reps, 40 * reps, threads, threads == 1 ? "" : "s", einc_gemm_backend_name(einc_get_gemm_backend(NULL)));
    printf("PyTorch: %s%s%s (best of a run before and one after einc's)\n",
           have[0] ? "1.13 as set and in its best configuration" : "1.13 not available",
           have[2] ? ", 2.x scaled_dot_product_attention" : ", PyTorch 2 (sdpa) not installed for python3 on PATH", "");
    printf("%-20s %-7s %10s %10s %10s %8s %6s %12s %12s %12s %7s %7s\n", "shape", "pass", "notation", "raw", "fused",
           "GFLOP/s", "%peak", torch_label[0], torch_label[1], torch_label[2], "best/fu", "sdpa/fu");
    for (size_t k = 0; k < NCONFIGS; k++) {
        const config *c = &configs[k];
        char shape[64];
        snprintf(shape, sizeof shape, "(%lld,%lld,%lld,%lld,%lld)", (long long)c->B, (long long)c->C,
                 (long long)c->heads, (long long)c->H, (long long)c->W);
        for (int bw = 0; bw < 2; bw++) {
            double t[3], fused = us[k][bw][2];
            for (int w = 0; w < 3; w++) t[w] = have[w] ? fmin(torch_us[w][0][k][bw], torch_us[w][1][k][bw]) : NAN;
            double gf = module_flops(c) * (bw ? 3 : 1) / (fused * 1e-6) * 1e-9;
            printf("%-20s %-7s %10.1f %10.1f %10.1f %8.1f %5.0f%% %12.1f %12.1f %12.1f %7.2f %7.2f\n", shape,
                   bw ? "fwd+bwd" : "forward", us[k][bw][0], us[k][bw][1], fused, gf, 100 * gf / (peak * threads), t[0],
                   t[1], t[2], t[1] / fused, t[2] / fused);
        }
    }
    printf("peak RSS of one call (MiB, a fresh process each; includes the weights and the input):\n");
    printf("%-20s %-7s %10s %10s %10s\n", "shape", "pass", impl_name[0], impl_name[1], impl_name[2]);
    for (size_t k = 0; k < NCONFIGS; k++)
        for (int bw = 0; bw < 2; bw++) {
            const config *c = &configs[k];
            printf("(%lld,%lld,%lld,%lld,%lld)%*s %-7s", (long long)c->B, (long long)c->C, (long long)c->heads,
                   (long long)c->H, (long long)c->W, 1, "", bw ? "fwd+bwd" : "forward");
            for (int i = 0; i < NIMPL; i++) printf(" %10.1f", child_rss(argv[0], i, (int)k, bw));
            printf("\n");
        }
    return 0;
}
