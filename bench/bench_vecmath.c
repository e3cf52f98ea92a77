/* bench_vecmath.c — the vector math kernels on 64 MiB of float32, against memcpy, at every level.
 *
 * softmax, log_softmax and logsumexp over the last axis of (16, 1024, 1024), sum and max over the
 * last axis and over everything, add, mul and exp, and softmax over rows of 64 and of 4096 of the
 * same data (a short row should cost about what a long one does per element), each timed against a memcpy of the same
 * 64 MiB measured in the same process. The contenders alternate within every repetition (so a
 * noisy neighbour hits them all alike) and outputs come back from the context's pool warm (a
 * fresh 64 MiB buffer would cost more in page faults than the work). Prints best and median ms,
 * best time / memcpy's, and the bandwidth ratio: bytes read + written per second over memcpy's
 * (2 x 64 MiB per copy).
 *
 * The dispatch level is fixed per process (EINC_CPU), so the parent forks one child per level
 * the CPU has; `bench_vecmath avx2` runs one level. One thread unless BENCH_THREADS is set;
 * BENCH_REPS sets the repetitions (default 9).
 *
 *   build/bench_vecmath
 */
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "einc.h"

enum {
    K_MEMCPY,
    K_SOFTMAX,
    K_LOG_SOFTMAX,
    K_LSE,
    K_SUM_LAST,
    K_SUM_ALL,
    K_MAX_LAST,
    K_MAX_ALL,
    K_ADD,
    K_MUL,
    K_EXP,
    K_SOFTMAX64,
    K_SOFTMAX4096,
    K_LOG_SOFTMAX64,
    K_LSE64,
    K_COUNT
};

static const char *const names[K_COUNT] = {"memcpy",
                                           "softmax -1",
                                           "log_softmax -1",
                                           "logsumexp -1",
                                           "sum -1",
                                           "sum all",
                                           "max -1",
                                           "max all",
                                           "add",
                                           "mul",
                                           "exp",
                                           "softmax rows 64",
                                           "softmax rows 4096",
                                           "log_softmax rows 64",
                                           "logsumexp rows 64"};
/* bytes read + written, in units of the 64 MiB tensor */
static const int traffic[K_COUNT] = {2, 2, 2, 1, 1, 1, 1, 1, 3, 3, 2, 2, 2, 2, 1};

typedef struct {
    einc_ctx *ctx;
    einc_tensor *x, *b, *x64, *x4k; /* x as (16, 1024, 1024), (262144, 64), (4096, 4096) */
    void *dst;
    size_t bytes;
    int k;
} job;

static void run(void *arg) {
    job *j = arg;
    einc_tensor *y = NULL;
    switch (j->k) {
    case K_MEMCPY: memcpy(j->dst, einc_tensor_data(j->x), j->bytes); return;
    case K_SOFTMAX: y = einc_tensor_softmax(j->ctx, j->x, -1); break;
    case K_LOG_SOFTMAX: y = einc_tensor_log_softmax(j->ctx, j->x, -1); break;
    case K_LSE: y = einc_tensor_reduce(j->ctx, EINC_REDUCE_LOGSUMEXP, j->x, EINC_DIMS(-1), false); break;
    case K_SUM_LAST: y = einc_tensor_sum(j->ctx, j->x, EINC_DIMS(-1), false); break;
    case K_SUM_ALL: y = einc_tensor_sum(j->ctx, j->x, EINC_ALL, false); break;
    case K_MAX_LAST: y = einc_tensor_max(j->ctx, j->x, EINC_DIMS(-1), false); break;
    case K_MAX_ALL: y = einc_tensor_max(j->ctx, j->x, EINC_ALL, false); break;
    case K_ADD: y = einc_tensor_add(j->ctx, j->x, j->b); break;
    case K_MUL: y = einc_tensor_mul(j->ctx, j->x, j->b); break;
    case K_EXP: y = einc_tensor_exp(j->ctx, j->x); break;
    case K_SOFTMAX64: y = einc_tensor_softmax(j->ctx, j->x64, -1); break;
    case K_SOFTMAX4096: y = einc_tensor_softmax(j->ctx, j->x4k, -1); break;
    case K_LOG_SOFTMAX64: y = einc_tensor_log_softmax(j->ctx, j->x64, -1); break;
    case K_LSE64: y = einc_tensor_reduce(j->ctx, EINC_REDUCE_LOGSUMEXP, j->x64, EINC_DIMS(-1), false); break;
    }
    einc_tensor_release(y);
}

static int bench_level(void) {
    int threads = bench_threads(), reps = bench_reps(9);
    double copy_bps = 0;
    bench_header("bench_vecmath: float32 (16, 1024, 1024) = 64 MiB", threads, NULL, &copy_bps);
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return 1;
    einc_set_threads(ctx, threads);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 1024));
    einc_tensor *b = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 1024));
    size_t bytes = (size_t)16 << 22;
    void *dst = malloc(bytes);
    if (!x || !b || !dst) {
        fprintf(stderr, "bench_vecmath: %s\n", x && b ? "out of memory" : einc_errmsg(ctx));
        return 1;
    }
    memset(dst, 1, bytes); /* touch every page before timing */
    static double t[K_COUNT][64];
    if (reps > 64) reps = 64;
    einc_tensor *x64 = einc_tensor_view(ctx, x, EINC_SHAPE(262144, 64));
    einc_tensor *x4k = einc_tensor_view(ctx, x, EINC_SHAPE(4096, 4096));
    job j = {ctx, x, b, x64, x4k, dst, bytes, 0};
    for (int k = 0; k < K_COUNT; k++) j.k = k, run(&j); /* warm-up: pool blocks, pages, caches */
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < K_COUNT; k++) {
            j.k = k;
            double t0 = bench_now();
            run(&j);
            t[k][r] = bench_now() - t0;
        }
    if (einc_errcode(ctx) != EINC_OK) {
        fprintf(stderr, "bench_vecmath: %s\n", einc_errmsg(ctx));
        return 1;
    }
    double best[K_COUNT], med[K_COUNT];
    for (int k = 0; k < K_COUNT; k++) {
        best[k] = 1e30;
        for (int r = 0; r < reps; r++) best[k] = t[k][r] < best[k] ? t[k][r] : best[k];
        med[k] = bench_median(t[k], reps);
    }
    printf("  %d thread%s, %d alternating repetitions; x memcpy = best time / memcpy's best,\n"
           "  bw = (bytes read + written) / time as a fraction of memcpy's\n",
           threads, threads == 1 ? "" : "s", reps);
    printf("  %-16s %9s %9s %10s %8s\n", "operation", "best ms", "median ms", "x memcpy", "bw");
    for (int k = 0; k < K_COUNT; k++)
        printf("  %-16s %9.2f %9.2f %10.2f %8.2f\n", names[k], best[k] * 1e3, med[k] * 1e3, best[k] / best[0],
               (double)traffic[k] / 2.0 * best[0] / best[k]);
    free(dst);
    einc_ctx_destroy(ctx);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1) { /* one level, in this process */
        setenv("EINC_CPU", argv[1], 1);
        return bench_level();
    }
    /* One child per level: the level is read once per process, on first use, so the parent
     * touches no einc function before forking. */
    static const char *const levels[] = {"baseline", "avx2", "avx512"};
    int status = 0;
    for (int l = 0; l < 3; l++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            setenv("EINC_CPU", levels[l], 1);
            if (l > 0 && (int)einc_cpu_level_supported() < l) {
                printf("bench_vecmath: %s not supported by this CPU\n", levels[l]);
                _exit(0);
            }
            int rc = bench_level();
            fflush(stdout);
            _exit(rc);
        }
        int st = 0;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) status = 1;
        printf("\n");
    }
    return status;
}
