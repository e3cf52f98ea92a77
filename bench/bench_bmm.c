/* bench_bmm: einc_tensor_bmm / einc_tensor_matmul against a direct cblas_sgemm loop.
 *
 * Each case times the einc call and, in the same run on the same operand memory, the obvious raw
 * baseline: one cblas_sgemm per batch entry into a preallocated, warm output. The einc call runs
 * inside a scope so its output buffer returns to the pool and is reused: neither allocation of
 * fresh pages nor first touches are timed on either side. "speed" is raw time / einc time (1.00 =
 * as fast as raw BLAS). The einc call uses the process's default GEMM (einc's own unless
 * EINC_GEMM=cblas or the build chose CBLAS); `EINC_GEMM=cblas build/bench_bmm` measures what
 * einc's driver adds to BLAS itself. OPENBLAS_CORETYPE is left as the environment sets it.
 *
 * The "buffers" column counts the large buffer requests (>= 32 KiB) of one einc call: the output
 * and einc's GEMM scratch (packed panels); with CBLAS, an operand given as a transpose view is
 * passed with a transpose flag and never copied, and the stride-2 case shows what a copy costs.
 *
 * Built without BLAS, the baseline is a naive triple loop (one dot product per output element,
 * like the kernel's reference twin), run once per case, and the table says so.
 *
 *   build/bench_bmm                  one thread (einc and OpenBLAS)
 *   BENCH_THREADS=2 build/bench_bmm  two threads on both sides
 *   BENCH_REPS=10 build/bench_bmm    best of 10 instead of 5
 */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "einc.h"

#ifdef EINC_HAVE_CBLAS
#include <cblas.h>
#endif

/* ---- the einc side ------------------------------------------------------------------------- */

typedef struct {
    einc_ctx *ctx;
    einc_tensor *a, *b;
    bool matmul; /* einc_tensor_matmul instead of einc_tensor_bmm */
    einc_status status;
} einc_arg;

static einc_tensor *einc_product(einc_arg *e) {
    return e->matmul ? einc_tensor_matmul(e->ctx, e->a, e->b) : einc_tensor_bmm(e->ctx, e->a, e->b);
}

static void run_einc(void *p) {
    einc_arg *e = p;
    einc_scope_begin(e->ctx);
    if (!einc_product(e)) e->status = einc_errcode(e->ctx);
    einc_scope_end(e->ctx);
}

/* ---- the baseline -------------------------------------------------------------------------- */

/* c[i] [M, N] = a[i] [M, K] @ b[i] for i < batch, with b[i] either [K, N] or, with bt, stored
 * [N, K] and used transposed. Batch strides in elements; sb = 0 shares one b. */
typedef struct {
    const float *a, *b;
    float *c;
    int batch, M, N, K;
    int64_t sa, sb, sc;
    bool bt;
} raw_arg;

#ifdef EINC_HAVE_CBLAS
static const char baseline_name[] = "raw cblas_sgemm loop";

static void run_raw(void *p) {
    raw_arg *r = p;
    for (int i = 0; i < r->batch; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, r->bt ? CblasTrans : CblasNoTrans, r->M, r->N, r->K, 1.0f,
                    r->a + i * r->sa, r->K, r->b + i * r->sb, r->bt ? r->K : r->N, 0.0f, r->c + i * r->sc, r->N);
}

/* Best of `reps` after a warm-up. */
static double time_raw(raw_arg *r, int reps) { return bench_best(run_raw, r, reps); }
#else
static const char baseline_name[] = "naive triple loop (no BLAS built in)";

static void run_raw(void *p) {
    raw_arg *r = p;
    for (int i = 0; i < r->batch; i++) {
        const float *a = r->a + i * r->sa, *b = r->b + i * r->sb;
        float *c = r->c + i * r->sc;
        int64_t bk = r->bt ? 1 : r->N, bn = r->bt ? r->K : 1;
        for (int64_t m = 0; m < r->M; m++)
            for (int64_t n = 0; n < r->N; n++) {
                float s = 0.0f;
                for (int64_t k = 0; k < r->K; k++) s += a[m * r->K + k] * b[k * bk + n * bn];
                c[m * r->N + n] = s;
            }
    }
}

/* The naive loop takes seconds per case: one run, no warm-up. */
static double time_raw(raw_arg *r, int reps) {
    (void)reps;
    double t0 = bench_now();
    run_raw(r);
    return bench_now() - t0;
}
#endif

static void raw_threads(int threads) {
#if defined(EINC_HAVE_CBLAS) && defined(OPENBLAS_VERSION)
    openblas_set_num_threads(threads);
#else
    (void)threads;
#endif
}

/* ---- one case ------------------------------------------------------------------------------ */

/* Largest |einc - raw| over the whole output. */
static double max_diff(const einc_tensor *y, const float *c) {
    const float *p = einc_tensor_data(y);
    double worst = 0;
    for (int64_t i = 0; i < einc_tensor_numel(y); i++) {
        double d = p[i] > c[i] ? (double)p[i] - c[i] : (double)c[i] - p[i];
        if (d > worst) worst = d;
    }
    return worst;
}

static int bench_case(einc_ctx *ctx, const char *name, einc_arg *e, raw_arg *r, int threads, int reps) {
    if (!e->a || !e->b) {
        fprintf(stderr, "%s: setup failed: %s\n", name, einc_errmsg(ctx));
        return 1;
    }
    size_t cbytes = (size_t)r->batch * (size_t)r->M * (size_t)r->N * sizeof(float);
    r->c = aligned_alloc(64, cbytes);
    if (!r->c) return 1;
    memset(r->c, 0, cbytes); /* warm pages */

    einc_memory_stats s0, s1;
    einc_scope_begin(ctx);
    einc_memory_stats_get(ctx, &s0);
    einc_tensor *y = einc_product(e);
    einc_memory_stats_get(ctx, &s1);
    raw_threads(threads);
    run_raw(r);
    double diff = y ? max_diff(y, r->c) : -1;
    einc_scope_end(ctx);
    if (!y) {
        fprintf(stderr, "%s: %s\n", name, einc_errmsg(ctx));
        free(r->c);
        return 1;
    }
    uint64_t buffers = (s1.pool_hits + s1.pool_misses) - (s0.pool_hits + s0.pool_misses);

    raw_threads(threads);
    double t_raw = time_raw(r, reps);
    double t = bench_best(run_einc, e, reps);
    raw_threads(threads);
    double t_raw2 = time_raw(r, reps); /* bracket the einc run: the machine drifts */
    if (t_raw2 < t_raw) t_raw = t_raw2;
    double gflop = 2.0 * r->batch * (double)r->M * r->N * r->K * 1e-9;
    printf("%-44s %9.2f %9.2f %8.1f %7.2f %7llu %9.1e%s\n", name, t * 1e3, t_raw * 1e3, gflop / t, t_raw / t,
           (unsigned long long)buffers, diff, e->status == EINC_OK ? "" : "  FAILED");
    free(r->c);
    return e->status != EINC_OK;
}

int main(void) {
    int threads = bench_threads(), reps = bench_reps(5);
    bench_header("bench_bmm: einc_tensor_bmm / matmul against a raw cblas_sgemm loop", threads, NULL, NULL);
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return 1;
    einc_set_threads(ctx, threads);
    printf("einc GEMM: %s; baseline: %s; threads: %d; best of %d\n", einc_gemm_backend_name(einc_get_gemm_backend(ctx)),
           baseline_name, threads, reps);
    printf("%-44s %9s %9s %8s %7s %7s %9s\n", "case (float32)", "einc ms", "base ms", "GFLOP/s", "speed", "buffers",
           "max|diff|");
    int fails = 0;

    /* 16 x (1024x64) @ (64x1024) */
    einc_tensor *a = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 64));
    einc_tensor *b = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(16, 64, 1024));
    einc_arg e = {ctx, a, b, false, EINC_OK};
    raw_arg r = {einc_tensor_data(a), einc_tensor_data(b), NULL,        16,   1024, 1024, 64,
                 1024 * 64,           64 * 1024,           1024 * 1024, false};
    fails += bench_case(ctx, "bmm 16 x (1024x64)@(64x1024)", &e, &r, threads, reps);

    /* b given as the transpose view of a [16, 1024, 64] tensor: CblasTrans, no copy */
    einc_tensor *bt = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 64));
    e = (einc_arg){ctx, a, einc_tensor_transpose(ctx, bt, 1, 2), false, EINC_OK};
    r = (raw_arg){einc_tensor_data(a), einc_tensor_data(bt), NULL, 16, 1024, 1024, 64, 1024 * 64,
                  1024 * 64,           1024 * 1024,          true};
    fails += bench_case(ctx, "bmm 16 x (1024x64)@(64x1024), b transpose view", &e, &r, threads, reps);

    /* b every second column of [16, 64, 2048]: no unit stride, copied once per call */
    einc_tensor *wide = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(16, 64, 2048));
    einc_tensor *bc = einc_tensor_contiguous(ctx, einc_tensor_slice(ctx, wide, 2, 0, INT64_MAX, 2));
    e = (einc_arg){ctx, a, einc_tensor_slice(ctx, wide, 2, 0, INT64_MAX, 2), false, EINC_OK};
    r = (raw_arg){einc_tensor_data(a), einc_tensor_data(bc), NULL, 16, 1024, 1024, 64, 1024 * 64,
                  64 * 1024,           1024 * 1024,          false};
    fails += bench_case(ctx, "bmm 16 x (1024x64)@(64x1024), b stride 2", &e, &r, threads, reps);

    /* a linear layer: x [16, 1024, 64] @ w [64, 1024], w broadcast: folded into one GEMM */
    einc_tensor *w = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(64, 1024));
    e = (einc_arg){ctx, a, w, true, EINC_OK};
    r = (raw_arg){einc_tensor_data(a), einc_tensor_data(w), NULL, 16, 1024, 1024, 64, 1024 * 64, 0, 1024 * 1024, false};
    fails += bench_case(ctx, "matmul (16,1024,64)@(64,1024), b broadcast", &e, &r, threads, reps);
    einc_tensor_release(b);
    einc_tensor_release(bt);
    einc_tensor_release(bc);
    einc_tensor_release(wide);
    einc_tensor_release(w);

    /* (1024x1024) @ (1024x1024), single */
    einc_tensor *sa = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(1, 1024, 1024));
    einc_tensor *sb = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(1, 1024, 1024));
    e = (einc_arg){ctx, sa, sb, false, EINC_OK};
    r = (raw_arg){einc_tensor_data(sa), einc_tensor_data(sb), NULL, 1, 1024, 1024, 1024, 0, 0, 0, false};
    fails += bench_case(ctx, "bmm 1 x (1024x1024)@(1024x1024)", &e, &r, threads, reps);
    einc_tensor_release(a);
    einc_tensor_release(sa);
    einc_tensor_release(sb);

    /* 16 x (1024x1024) @ (1024x64) */
    a = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 1024));
    b = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 64));
    e = (einc_arg){ctx, a, b, false, EINC_OK};
    r = (raw_arg){einc_tensor_data(a), einc_tensor_data(b), NULL,      16,   1024, 64, 1024,
                  1024 * 1024,         1024 * 64,           1024 * 64, false};
    fails += bench_case(ctx, "bmm 16 x (1024x1024)@(1024x64)", &e, &r, threads, reps);

    einc_ctx_destroy(ctx);
    return fails ? 1 : 0;
}
