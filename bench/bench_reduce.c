/* bench_reduce.c — reductions and softmax on a 64 MiB float32 tensor (4096 x 4096).
 *
 * Prints, per operation, the best time, the input bandwidth (input bytes / time) and the time as
 * a multiple of a memcpy of the same 64 MiB measured in the same run (warm buffers, reused: the
 * results go back to the context's pool and come out again). One thread unless BENCH_THREADS is
 * set; BENCH_REPS sets the repetitions.
 *
 *   build/bench_reduce
 *   BENCH_THREADS=2 build/bench_reduce
 */
#include "bench.h"
#include "einc.h"

#define N 4096

typedef enum {
    SUM_LAST,
    SUM_FIRST,
    MAX_FIRST,
    ARGMAX_LAST,
    LSE_LAST,
    MEAN_ALL,
    SOFTMAX_LAST,
    LOG_SOFTMAX_LAST,
    SOFTMAX_FIRST
} kind;

static const char *const names[] = {"sum   axis -1",   "sum   axis 0",        "max   axis 0",
                                    "argmax axis -1",  "logsumexp axis -1",   "mean  all axes",
                                    "softmax axis -1", "log_softmax axis -1", "softmax axis 0"};

typedef struct {
    einc_ctx *ctx;
    einc_tensor *x;
    kind k;
} job;

static void run_op(void *arg) {
    job *j = arg;
    einc_tensor *y = NULL;
    switch (j->k) {
    case SUM_LAST: y = einc_tensor_sum(j->ctx, j->x, EINC_DIMS(-1), false); break;
    case SUM_FIRST: y = einc_tensor_sum(j->ctx, j->x, EINC_DIMS(0), false); break;
    case MAX_FIRST: y = einc_tensor_max(j->ctx, j->x, EINC_DIMS(0), false); break;
    case ARGMAX_LAST: y = einc_tensor_argmax(j->ctx, j->x, EINC_DIMS(-1), false); break;
    case LSE_LAST: y = einc_tensor_reduce(j->ctx, EINC_REDUCE_LOGSUMEXP, j->x, EINC_DIMS(-1), false); break;
    case MEAN_ALL: y = einc_tensor_mean(j->ctx, j->x, EINC_ALL, false); break;
    case SOFTMAX_LAST: y = einc_tensor_softmax(j->ctx, j->x, -1); break;
    case LOG_SOFTMAX_LAST: y = einc_tensor_log_softmax(j->ctx, j->x, -1); break;
    case SOFTMAX_FIRST: y = einc_tensor_softmax(j->ctx, j->x, 0); break;
    }
    einc_tensor_release(y);
}

typedef struct {
    void *dst;
    const void *src;
    size_t n;
} copy_job;

static void run_memcpy(void *arg) {
    copy_job *c = arg;
    memcpy(c->dst, c->src, c->n);
}

int main(void) {
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return 1;
    int threads = bench_threads(), reps = bench_reps(10);
    bench_header("bench_reduce: reductions and softmax of 64 MiB against memcpy", threads, NULL, NULL);
    einc_set_threads(ctx, threads);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(N, N));
    if (!x) {
        fprintf(stderr, "bench_reduce: %s\n", einc_errmsg(ctx));
        return 1;
    }
    size_t bytes = (size_t)N * N * sizeof(float);
    void *dst = malloc(bytes);
    if (!dst) return 1;
    memset(dst, 1, bytes); /* touch every page before timing */
    copy_job cj = {dst, einc_tensor_data(x), bytes};
    double tcopy = bench_best(run_memcpy, &cj, reps);

    printf("bench_reduce: float32 (%d, %d) = %zu MiB, %d thread%s, best of %d\n", N, N, bytes >> 20, threads,
           threads == 1 ? "" : "s", reps);
    printf("%-22s %9s %9s %10s\n", "operation", "ms", "GB/s", "x memcpy");
    printf("%-22s %9.2f %9.1f %10.2f\n", "memcpy (same bytes)", tcopy * 1e3, (double)bytes / tcopy * 1e-9, 1.0);
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++) {
        job j = {ctx, x, (kind)k};
        double t = bench_best(run_op, &j, reps);
        if (einc_errcode(ctx) != EINC_OK) {
            fprintf(stderr, "bench_reduce: %s: %s\n", names[k], einc_errmsg(ctx));
            return 1;
        }
        printf("%-22s %9.2f %9.1f %10.2f\n", names[k], t * 1e3, (double)bytes / t * 1e-9, t / tcopy);
    }
    free(dst);
    einc_ctx_destroy(ctx);
    return 0;
}
