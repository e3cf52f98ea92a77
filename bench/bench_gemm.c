/* bench_gemm.c — einc's own GEMM against the FMA peak and raw cblas_sgemm, float32.
 *
 * Cases are the targets of the GEMM work: square products n = 128 .. 2048 and the two batched
 * products of attention with the operands as the notation hands them (q @ k^T with k^T a
 * transpose view, attn @ v). The einc side is einc_tensor_bmm with the context's GEMM set to
 * einc's own; it runs inside a scope, so its output returns to the pool and is reused (no fresh
 * pages are timed). The baseline is one raw cblas_sgemm per batch entry, on the same operand
 * memory, into a warm output. The two contenders alternate, run by run, and the table keeps the
 * best and the median of each: "%peak" is einc's best against the FMA peak measured in the same
 * run at the same dispatch level, "vs BLAS" is raw BLAS time / einc time (> 1: einc is faster).
 * OpenBLAS runs what the environment says (its core name is printed): for the "OpenBLAS
 * detecting the CPU itself" leave OPENBLAS_CORETYPE unset.
 *
 *   build/bench_gemm                       one thread, the CPU's best dispatch level
 *   EINC_CPU=avx2 build/bench_gemm         einc at a lower level (the peak is that level's)
 *   BENCH_THREADS=2 build/bench_gemm       two threads on both sides
 *   BENCH_REPS=15 build/bench_gemm         15 alternating runs instead of 7
 */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"

#ifdef EINC_HAVE_CBLAS
#include <cblas.h>
#endif

typedef struct {
    einc_ctx *ctx;
    einc_tensor *a, *b; /* [batch, M, K] @ [batch, K, N] (b possibly a transpose view) */
    einc_status status;
} einc_run;

static void run_einc(void *p) {
    einc_run *e = p;
    einc_scope_begin(e->ctx);
    if (!einc_tensor_bmm(e->ctx, e->a, e->b)) e->status = einc_errcode(e->ctx);
    einc_scope_end(e->ctx);
}

/* c[i] [M, N] = a[i] [M, K] @ b[i]; b[i] stored [K, N] or, with bt, [N, K] and used transposed. */
typedef struct {
    const float *a, *b;
    float *c;
    int batch, M, N, K;
    bool bt;
} raw_run;

#ifdef EINC_HAVE_CBLAS
static void run_raw(void *p) {
    raw_run *r = p;
    for (int i = 0; i < r->batch; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, r->bt ? CblasTrans : CblasNoTrans, r->M, r->N, r->K, 1.0f,
                    r->a + (int64_t)i * r->M * r->K, r->K, r->b + (int64_t)i * r->K * r->N, r->bt ? r->K : r->N, 0.0f,
                    r->c + (int64_t)i * r->M * r->N, r->N);
}
#endif

enum { MAX_REPS = 64 };

static double once(void (*fn)(void *), void *arg) {
    double t0 = bench_now();
    fn(arg);
    return bench_now() - t0;
}

/* One case: warm-up, then `reps` alternating runs of both contenders. */
static int bench_case(einc_ctx *ctx, const char *name, int batch, int M, int N, int K, bool bt, int threads, int reps,
                      double peak) {
    einc_tensor *a = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(batch, M, K));
    einc_tensor *bs = bt ? einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(batch, N, K))
                         : einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(batch, K, N));
    einc_tensor *b = bt ? einc_tensor_transpose(ctx, bs, 1, 2) : bs;
    if (!a || !b) {
        fprintf(stderr, "%s: setup failed: %s\n", name, einc_errmsg(ctx));
        return 1;
    }
    einc_run e = {ctx, a, b, EINC_OK};
    double te[MAX_REPS] = {0}, tr[MAX_REPS] = {0};
    double gflop = 2.0 * batch * (double)M * N * K * 1e-9;
    run_einc(&e);
#ifdef EINC_HAVE_CBLAS
    size_t cbytes = (size_t)batch * (size_t)M * (size_t)N * sizeof(float);
    raw_run r = {
        einc_tensor_data(a), einc_tensor_data(bs), aligned_alloc(64, (cbytes + 63) / 64 * 64), batch, M, N, K, bt};
    if (!r.c) return 1;
    memset(r.c, 0, cbytes);
    openblas_set_num_threads(threads);
    run_raw(&r);
    /* agreement: einc's result against BLAS's, largest difference */
    einc_scope_begin(ctx);
    einc_tensor *y = einc_tensor_bmm(ctx, a, b);
    double diff = 0;
    for (int64_t i = 0; y && i < einc_tensor_numel(y); i++) {
        double d = (double)((const float *)einc_tensor_data(y))[i] - r.c[i];
        if (d < 0) d = -d;
        if (d > diff) diff = d;
    }
    einc_scope_end(ctx);
    for (int i = 0; i < reps; i++) {
        te[i] = once(run_einc, &e);
        tr[i] = once(run_raw, &r);
    }
    free(r.c);
#else
    (void)threads;
    double diff = 0;
    for (int i = 0; i < reps; i++) te[i] = tr[i] = once(run_einc, &e);
#endif
    double eb = bench_median(te, reps), rb = bench_median(tr, reps); /* sorts: [0] is the best */
    printf("%-36s %8.2f %8.2f %8.1f %6.1f%% %8.2f %8.2f %8.1f %7.2f %8.1e%s\n", name, te[0] * 1e3, eb * 1e3,
           gflop / te[0], peak > 0 ? 100.0 * gflop / te[0] / peak / threads : 0.0, tr[0] * 1e3, rb * 1e3, gflop / tr[0],
           tr[0] / te[0], diff, e.status == EINC_OK ? "" : "  FAILED");
    einc_tensor_release(a);
    einc_tensor_release(bs);
    if (bt) einc_tensor_release(b);
    return e.status != EINC_OK;
}

int main(void) {
    int threads = bench_threads(), reps = bench_reps(7);
    if (reps > MAX_REPS) reps = MAX_REPS;
    double peak;
    bench_header("bench_gemm: einc's GEMM (float32) against the FMA peak and raw cblas_sgemm", threads, &peak, NULL);
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx || einc_set_gemm_backend(ctx, EINC_GEMM_EINC) != EINC_OK) return 1;
    einc_set_threads(ctx, threads);
#ifdef EINC_HAVE_CBLAS
    printf("  baseline: raw cblas_sgemm (%s, core %s)\n", openblas_get_config(), openblas_get_corename());
#else
    printf("  baseline: none (a build without BLAS); the BLAS columns repeat einc's\n");
#endif
    printf("  %d alternating runs per case; %%peak = best GFLOP/s / (peak x threads)\n\n", reps);
    printf("%-36s %8s %8s %8s %7s %8s %8s %8s %7s %8s\n", "case", "best ms", "med ms", "GFLOP/s", "%peak", "BLAS ms",
           "BLAS med", "BLAS GF", "vs BLAS", "max|d|");
    int fails = 0;
    static const int sq[] = {128, 256, 512, 1024, 2048};
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "square n=%d", sq[i]);
        /* small products repeat so each timed run is long enough to measure */
        int batch = sq[i] <= 256 ? 64 * 256 / sq[i] / 2 : 1;
        if (batch > 1) snprintf(name, sizeof name, "square n=%d (x%d)", sq[i], batch);
        fails += bench_case(ctx, name, batch, sq[i], sq[i], sq[i], false, threads, reps, peak);
    }
    fails += bench_case(ctx, "attn q@k^T 16x(1024x64)@(64x1024)T", 16, 1024, 1024, 64, true, threads, reps, peak);
    fails += bench_case(ctx, "attn p@v 16x(1024x1024)@(1024x64)", 16, 1024, 64, 1024, false, threads, reps, peak);
    fails += bench_case(ctx, "bmm 16x(1024x64)@(64x1024)", 16, 1024, 1024, 64, false, threads, reps, peak);
    einc_ctx_destroy(ctx);
    return fails ? 1 : 0;
}
