/* bench_half.c — float16 and bfloat16 work against the same work in float32 and against memcpy:
 * casts both ways, elementwise add, a sum, and a softmax over rows, on 4M elements, one thread.
 *
 * The casts write a preallocated, warm destination with einc_tensor_copy_ (no allocation timed);
 * add, sum and softmax allocate their result in a scope that is ended after each run, so einc's
 * pool serves the memory warm. The memcpy baseline copies the bytes the case reads plus writes
 * (ratio = memcpy time / einc time: 1.0 would be as fast as copying that much memory). The float16
 * and bfloat16 kernels convert through float32: with F16C (bfloat16: AVX2 integer code) at
 * dispatch level avx2 and avx512, element by element at baseline (EINC_CPU=baseline shows that
 * path on the same machine).
 *
 *   build/bench_half                   the CPU's best level
 *   EINC_CPU=baseline build/bench_half the portable conversions
 *   BENCH_REPS=20 build/bench_half     more repetitions (best of N is reported)
 */
#include <stdint.h>

#include "bench.h"
#include "einc.h"

#define N ((int64_t)4 * 1024 * 1024)

typedef struct {
    einc_ctx *ctx;
    einc_tensor *a, *b, *dst;
    int what; /* 0 copy_ (cast), 1 add, 2 sum, 3 softmax */
    einc_status status;
} half_arg;

static void run_case(void *p) {
    half_arg *h = p;
    if (h->what == 0) {
        einc_status s = einc_tensor_copy_(h->ctx, h->dst, h->a);
        if (s != EINC_OK) h->status = s;
        return;
    }
    einc_scope_begin(h->ctx);
    einc_tensor *r = h->what == 1   ? einc_tensor_add(h->ctx, h->a, h->b)
                     : h->what == 2 ? einc_tensor_sum(h->ctx, h->a, EINC_DIMS(0, 1), false)
                                    : einc_tensor_softmax(h->ctx, h->a, 1);
    if (!r) h->status = einc_errcode(h->ctx);
    einc_scope_end(h->ctx);
}

typedef struct {
    void *dst;
    const void *src;
    size_t bytes;
} memcpy_arg;

static void run_memcpy(void *p) {
    memcpy_arg *m = p;
    memcpy(m->dst, m->src, m->bytes);
}

static double memcpy_time(size_t bytes, int reps) {
    memcpy_arg m = {malloc(bytes), malloc(bytes), bytes};
    memset(m.dst, 1, bytes);
    memset((void *)m.src, 2, bytes);
    double t = bench_best(run_memcpy, &m, reps);
    free(m.dst);
    free((void *)m.src);
    return t;
}

/* One row of the table: einc time, the memcpy of `bytes` (read + written) / 2 next to it. */
static void row(const char *what, half_arg *h, size_t bytes, int reps, double f32_ms) {
    double t = bench_best(run_case, h, reps);
    double tm = memcpy_time(bytes / 2, reps);
    if (h->status != EINC_OK) {
        printf("  %-40s failed: %s\n", what, einc_status_name(h->status));
        return;
    }
    printf("  %-40s %8.2f ms  %5.2f x memcpy", what, t * 1e3, tm / t);
    if (f32_ms > 0) printf("  %5.1f x the float32 time", t * 1e3 / f32_ms);
    printf("\n");
}

int main(void) {
    int reps = bench_reps(10);
    bench_header("bench_half: float16 and bfloat16 against float32 and memcpy, 4M elements, 1 thread", 1, NULL, NULL);
    einc_ctx *ctx = einc_ctx_create();
    einc_set_threads(ctx, 1);
    einc_tensor *x32 = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(N / 1024, 1024));
    einc_tensor *y32 = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(N / 1024, 1024));
    float *px = einc_tensor_data(x32), *py = einc_tensor_data(y32);
    for (int64_t i = 0; i < N; i++) {
        px[i] = (float)((i * 7919) % 2001 - 1000) * 0.01f; /* [-10, 10], not all exact in float16 */
        py[i] = (float)((i * 104729) % 997) * 0.003f;
    }
    einc_tensor *x16 = einc_tensor_cast(ctx, x32, EINC_FLOAT16), *y16 = einc_tensor_cast(ctx, y32, EINC_FLOAT16);
    einc_tensor *xb = einc_tensor_cast(ctx, x32, EINC_BFLOAT16), *yb = einc_tensor_cast(ctx, y32, EINC_BFLOAT16);
    einc_tensor *db = einc_tensor_empty(ctx, EINC_BFLOAT16, EINC_SHAPE(N / 1024, 1024));
    einc_tensor *d16 = einc_tensor_empty(ctx, EINC_FLOAT16, EINC_SHAPE(N / 1024, 1024));
    einc_tensor *d32 = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(N / 1024, 1024));
    if (!x16 || !y16 || !d16 || !d32 || !xb || !yb || !db) {
        fprintf(stderr, "bench_half: %s\n", einc_errmsg(ctx));
        return 1;
    }
    size_t h2 = (size_t)N * 2, f4 = (size_t)N * 4;
    printf("\n  case (bytes read + written)                     time   ratio\n");
    half_arg c;
    c = (half_arg){ctx, x32, NULL, d32, 0, EINC_OK};
    double t32 = bench_best(run_case, &c, reps) * 1e3;
    row("copy float32 -> float32 (32 MiB)", &c, 2 * f4, reps, 0);
    c = (half_arg){ctx, x32, NULL, d16, 0, EINC_OK};
    row("cast float32 -> float16 (24 MiB)", &c, f4 + h2, reps, t32);
    c = (half_arg){ctx, x16, NULL, d32, 0, EINC_OK};
    row("cast float16 -> float32 (24 MiB)", &c, f4 + h2, reps, t32);
    c = (half_arg){ctx, x32, y32, NULL, 1, EINC_OK};
    double a32 = bench_best(run_case, &c, reps) * 1e3;
    row("add float32 (48 MiB)", &c, 3 * f4, reps, 0);
    c = (half_arg){ctx, x16, y16, NULL, 1, EINC_OK};
    row("add float16 (24 MiB)", &c, 3 * h2, reps, a32);
    c = (half_arg){ctx, x32, NULL, NULL, 2, EINC_OK};
    double s32 = bench_best(run_case, &c, reps) * 1e3;
    row("sum float32 (16 MiB)", &c, f4, reps, 0);
    c = (half_arg){ctx, x16, NULL, NULL, 2, EINC_OK};
    row("sum float16 (8 MiB)", &c, h2, reps, s32);
    c = (half_arg){ctx, x32, NULL, db, 0, EINC_OK};
    row("cast float32 -> bfloat16 (24 MiB)", &c, f4 + h2, reps, t32);
    c = (half_arg){ctx, xb, NULL, d32, 0, EINC_OK};
    row("cast bfloat16 -> float32 (24 MiB)", &c, f4 + h2, reps, t32);
    c = (half_arg){ctx, xb, yb, NULL, 1, EINC_OK};
    row("add bfloat16 (24 MiB)", &c, 3 * h2, reps, a32);
    c = (half_arg){ctx, xb, NULL, NULL, 2, EINC_OK};
    row("sum bfloat16 (8 MiB)", &c, h2, reps, s32);
    c = (half_arg){ctx, x32, NULL, NULL, 3, EINC_OK};
    double m32 = bench_best(run_case, &c, reps) * 1e3;
    row("softmax rows of 1024 float32 (32 MiB)", &c, 2 * f4, reps, 0);
    c = (half_arg){ctx, x16, NULL, NULL, 3, EINC_OK};
    row("softmax rows of 1024 float16 (16 MiB)", &c, 2 * h2, reps, m32);
    einc_ctx_destroy(ctx);
    return 0;
}
