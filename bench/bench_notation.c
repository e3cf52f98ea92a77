/* bench_notation.c — what the einx notation costs on top of the work it describes.
 *
 * Four parts, each against a baseline measured in the same run on the same memory:
 *
 *   1. per-call overhead of a cached call on tiny tensors (id, sum, add, dot), in microseconds,
 *      against a hand-written C loop doing the same arithmetic and against the raw einc API call;
 *      plus the first, compiling call (a fresh context each time, so the plan cache is empty);
 *   2. id with a real permutation on 64 MiB of float32: materialised (an expression that forces
 *      the copy, or einc_tensor_contiguous of the view einc_id returns) against memcpy of the same
 *      bytes and a hand-written tiled transpose; and the views (permutation, reshape) per call;
 *   3. dot at attention shapes against a direct cblas_sgemm loop (a naive loop without BLAS);
 *   4. softmax "... N [M]" against einc_tensor_softmax and memcpy.
 *
 * Every einc call runs as a user would write it: its result is released (or its scope ended)
 * before the next call, so the output buffer comes back from the context's pool, warm; the plan
 * comes from the context's cache after the first call. The baselines' large buffers come from the
 * same context (einc_tensor_empty), so both sides use the same kind of memory (2 MiB-aligned,
 * huge-page-advised pool buffers), touched before timing. Times are the best of several runs after
 * a warm-up, with einc and its baselines run in turn (the machine drifts; the second core is often
 * busy). "speed" is baseline time / einc time (1.00 = as fast as the baseline).
 *
 *   build/bench_notation                  one thread (einc and OpenBLAS)
 *   BENCH_THREADS=2 build/bench_notation  two threads on both sides
 *   BENCH_REPS=10 build/bench_notation    best of 10 for the large cases instead of 7
 *   build/bench_notation 1 3              only parts 1 and 3
 */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "einc.h"

#ifdef EINC_HAVE_CBLAS
#include <cblas.h>
#endif

static int failures;

static void check(einc_ctx *ctx, const void *result, const char *what) {
    if (result && einc_errcode(ctx) == EINC_OK) return;
    fprintf(stderr, "bench_notation: %s: %s\n", what, einc_errmsg(ctx));
    einc_clear_error(ctx);
    failures++;
}

/* A baseline's buffer of n float32 from the context (so it sits in the same kind of memory as
 * einc's results: the pool aligns large buffers to 2 MiB and asks for huge pages), pages touched.
 * *owner is the tensor to release afterwards. */
static float *baseline_buffer(einc_ctx *ctx, size_t n, einc_tensor **owner) {
    *owner = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE((int64_t)n));
    float *p = *owner ? einc_tensor_data(*owner) : NULL;
    if (p) memset(p, 0, n * sizeof(float));
    return p;
}

static void raw_threads(int threads) {
#if defined(EINC_HAVE_CBLAS) && defined(OPENBLAS_VERSION)
    openblas_set_num_threads(threads);
#else
    (void)threads;
#endif
}

/* Best time of each of `n` functions after one warm-up each, running them round-robin `reps`
 * times: a machine whose speed drifts (the second core is often busy) slows all of them alike. */
static void best_interleaved(int n, void (*const *fns)(void *), void *const *args, int reps, double *best) {
    for (int i = 0; i < n; i++) {
        fns[i](args[i]);
        best[i] = 1e30;
    }
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < n; i++) {
            double t0 = bench_now();
            fns[i](args[i]);
            double dt = bench_now() - t0;
            if (dt < best[i]) best[i] = dt;
        }
}

/* ---- 1. tiny calls ---------------------------------------------------------------------------- */

enum { T_ID, T_SUM, T_ADD, T_DOT, T_COUNT };

static const char *const tiny_names[T_COUNT] = {
    "id  \"a b -> b a\"            (2,3)",
    "sum \"a [b]\"                 (2,3)",
    "add \"a b, b\"                (2,3),(3)",
    "dot \"a b, b c -> a c\"       (2,3),(3,4)",
};

/* Calls per scope: einc_scope_end releases this many results at once. */
#define TINY_BATCH 64

typedef struct {
    einc_ctx *ctx;
    einc_tensor *x, *v, *w; /* x [2, 3], v [3], w [3, 4] */
    int which;
    int calls;
    int fails;
} tiny_arg;

static einc_tensor *tiny_notation(tiny_arg *t) {
    switch (t->which) {
    case T_ID: return einc_id(t->ctx, "a b -> b a", t->x);
    case T_SUM: return einc_sum(t->ctx, "a [b]", t->x);
    case T_ADD: return einc_add(t->ctx, "a b, b", t->x, t->v);
    default: return einc_dot(t->ctx, "a b, b c -> a c", t->x, t->w);
    }
}

static einc_tensor *tiny_raw(tiny_arg *t) {
    switch (t->which) {
    case T_ID: return einc_tensor_transpose(t->ctx, t->x, 0, 1);
    case T_SUM: return einc_tensor_sum(t->ctx, t->x, EINC_DIMS(1), false);
    case T_ADD: return einc_tensor_add(t->ctx, t->x, t->v);
    default: return einc_tensor_matmul(t->ctx, t->x, t->w);
    }
}

static void run_tiny(tiny_arg *t, einc_tensor *(*call)(tiny_arg *)) {
    for (int i = 0; i < t->calls; i += TINY_BATCH) {
        einc_scope_begin(t->ctx);
        for (int j = 0; j < TINY_BATCH; j++)
            if (!call(t)) t->fails++;
        einc_scope_end(t->ctx);
    }
}

static void run_tiny_notation(void *p) { run_tiny(p, tiny_notation); }
static void run_tiny_raw(void *p) { run_tiny(p, tiny_raw); }

/* The hand-written loops: x [2, 3] row-major, v [3], w [3, 4] -> y. */
static void hand_id(const float *x, const float *v, const float *w, float *y) {
    (void)v, (void)w;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++) y[b * 2 + a] = x[a * 3 + b];
}

static void hand_sum(const float *x, const float *v, const float *w, float *y) {
    (void)v, (void)w;
    for (int a = 0; a < 2; a++) y[a] = x[a * 3] + x[a * 3 + 1] + x[a * 3 + 2];
}

static void hand_add(const float *x, const float *v, const float *w, float *y) {
    (void)w;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++) y[a * 3 + b] = x[a * 3 + b] + v[b];
}

static void hand_dot(const float *x, const float *v, const float *w, float *y) {
    (void)v;
    for (int a = 0; a < 2; a++)
        for (int c = 0; c < 4; c++) {
            float s = 0.0f;
            for (int b = 0; b < 3; b++) s += x[a * 3 + b] * w[b * 4 + c];
            y[a * 4 + c] = s;
        }
}

typedef void (*hand_fn)(const float *, const float *, const float *, float *);

typedef struct {
    hand_fn volatile fn; /* called through a volatile pointer: the loop cannot be folded away */
    const float *x, *v, *w;
    float *y;
    int calls;
} hand_arg;

static void run_hand(void *p) {
    hand_arg *h = p;
    for (int i = 0; i < h->calls; i++) h->fn(h->x, h->v, h->w, h->y);
}

/* An allocation floor: an empty (2,) tensor per call, released by the scope like the results. */
static void run_empty(void *p) {
    tiny_arg *t = p;
    for (int i = 0; i < t->calls; i += TINY_BATCH) {
        einc_scope_begin(t->ctx);
        for (int j = 0; j < TINY_BATCH; j++)
            if (!einc_tensor_empty(t->ctx, EINC_FLOAT32, EINC_SHAPE(2))) t->fails++;
        einc_scope_end(t->ctx);
    }
}

/* The first call on a fresh context (empty plan cache and pool), best and median of `n`. */
static void first_call_us(int which, int threads, int n, double *best, double *median) {
    double t[32];
    if (n > 32) n = 32;
    for (int r = 0; r < n; r++) {
        einc_ctx *ctx = einc_ctx_create();
        t[r] = 1e30;
        if (!ctx) continue;
        einc_set_threads(ctx, threads);
        tiny_arg a = {ctx,
                      einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1),
                      einc_tensor_arange(ctx, EINC_FLOAT32, 0, 3, 1),
                      einc_tensor_arange(ctx, EINC_FLOAT32, 0, 12, 1),
                      which,
                      1,
                      0};
        a.x = einc_tensor_reshape(ctx, a.x, EINC_SHAPE(2, 3));
        a.w = einc_tensor_reshape(ctx, a.w, EINC_SHAPE(3, 4));
        double t0 = bench_now();
        einc_tensor *y = tiny_notation(&a);
        t[r] = (bench_now() - t0) * 1e6;
        check(ctx, y, tiny_names[which]);
        einc_ctx_destroy(ctx);
    }
    for (int i = 1; i < n; i++) /* insertion sort */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double s = t[j];
            t[j] = t[j - 1], t[j - 1] = s;
        }
    *best = t[0];
    *median = t[n / 2];
}

static void bench_tiny(einc_ctx *ctx, int threads) {
    const int calls = 8 * 1024, reps = 25;
    einc_tensor *x = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1), EINC_SHAPE(2, 3));
    einc_tensor *v = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 3, 1);
    einc_tensor *w = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 12, 1), EINC_SHAPE(3, 4));
    check(ctx, x && v && w ? x : NULL, "tiny setup");
    if (!x || !v || !w) return;
    static const hand_fn hands[T_COUNT] = {hand_id, hand_sum, hand_add, hand_dot};
    float y[8];

    printf("\n1. cached-call overhead, float32, %d calls per run (scopes of %d), best of %d; us per call\n", calls,
           TINY_BATCH, reps);
    printf("%-40s %8s %8s %8s %9s %9s %17s\n", "call", "hand", "raw API", "notation", "not-hand", "not-raw",
           "first call");
    for (int k = 0; k < T_COUNT; k++) {
        hand_arg h = {hands[k], einc_tensor_data(x), einc_tensor_data(v), einc_tensor_data(w), y, calls};
        tiny_arg t = {ctx, x, v, w, k, calls, 0};
        void (*const fns[3])(void *) = {run_hand, run_tiny_raw, run_tiny_notation};
        void *const args[3] = {&h, &t, &t};
        double best[3];
        best_interleaved(3, fns, args, reps, best);
        double th = best[0] / calls * 1e6, tr = best[1] / calls * 1e6, tn = best[2] / calls * 1e6;
        double fb, fm;
        first_call_us(k, threads, 15, &fb, &fm);
        if (t.fails) check(ctx, NULL, tiny_names[k]);
        printf("%-40s %8.3f %8.3f %8.3f %9.3f %9.3f %7.1f (med %4.1f)\n", tiny_names[k], th, tr, tn, tn - th, tn - tr,
               fb, fm);
    }
    tiny_arg e = {ctx, x, v, w, 0, calls, 0};
    double te = bench_best(run_empty, &e, reps) / calls * 1e6;
    if (e.fails) check(ctx, NULL, "einc_tensor_empty");
    printf("%-40s %8s %8.3f\n", "floor: einc_tensor_empty((2,)) + release", "", te);
    printf("  hand: the same arithmetic in a C loop into a fixed buffer; raw API: einc_tensor_transpose (a view),\n"
           "  einc_tensor_sum, einc_tensor_add, einc_tensor_matmul; not-hand = notation - hand (target < 0.5 us),\n"
           "  not-raw = notation - raw API; id returns a view (no copy), like einc_tensor_transpose.\n"
           "  first call: parse + solve + plan + run on a fresh context (empty plan cache), best (median) of 15, us.\n"
           "  floor: the handle + storage + buffer allocations and the scope release every new tensor costs.\n");
    einc_tensor_release(x);
    einc_tensor_release(v);
    einc_tensor_release(w);
}

/* ---- 2. id on 64 MiB -------------------------------------------------------------------------- */

typedef struct {
    void *dst;
    const void *src;
    size_t n;
} copy_arg;

static void run_memcpy(void *p) {
    copy_arg *c = p;
    memcpy(c->dst, c->src, c->n);
}

typedef struct {
    einc_ctx *ctx;
    const char *expr;
    einc_tensor *x;
    einc_axes axes;
    bool contiguous; /* materialise the result with einc_tensor_contiguous */
    int fails;
} id_arg;

static void run_id(void *p) {
    id_arg *a = p;
    einc_tensor *y = einc_id(a->ctx, a->expr, a->x, a->axes);
    if (y && a->contiguous) {
        einc_tensor *c = einc_tensor_contiguous(a->ctx, y);
        einc_tensor_release(y);
        y = c;
    }
    if (!y) a->fails++;
    einc_tensor_release(y);
}

/* The hand-written baseline for x [B, R, C] -> y [B, C, R]: 64 x 64 tiles (the best plain-C tile
 * size on the development machine; 8 to 32 are 2-5x slower with these power-of-two strides). */
typedef struct {
    const float *x;
    float *y;
    int64_t B, R, C;
} transpose_arg;

#define TILE 64

static void run_tiled_transpose(void *p) {
    transpose_arg *t = p;
    for (int64_t b = 0; b < t->B; b++) {
        const float *x = t->x + b * t->R * t->C;
        float *y = t->y + b * t->R * t->C;
        for (int64_t r0 = 0; r0 < t->R; r0 += TILE)
            for (int64_t c0 = 0; c0 < t->C; c0 += TILE) {
                int64_t r1 = r0 + TILE < t->R ? r0 + TILE : t->R, c1 = c0 + TILE < t->C ? c0 + TILE : t->C;
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t r = r0; r < r1; r++) y[c * t->R + r] = x[r * t->C + c];
            }
    }
}

static void print_bw_row(const char *name, double t, size_t bytes, double tcopy, const char *note) {
    printf("%-46s %9.2f %9.1f %8.2f  %s\n", name, t * 1e3, (double)bytes / t * 1e-9, tcopy / t, note);
}

/* `n` einc_id calls whose results are views. */
typedef struct {
    id_arg *a;
    int n;
} views_arg;

static void run_views(void *p) {
    views_arg *v = p;
    for (int i = 0; i < v->n; i++) run_id(v->a);
}

/* One einc_id call in us (best of `reps` runs of `n` calls); *is_view: the result shares x's memory. */
static double view_call_us(id_arg *a, int n, int reps, bool *is_view) {
    views_arg v = {a, n};
    double t = bench_best(run_views, &v, reps) / n * 1e6;
    einc_tensor *y = einc_id(a->ctx, a->expr, a->x, a->axes);
    check(a->ctx, y, a->expr);
    *is_view = y && einc_tensor_data(y) == einc_tensor_data(a->x);
    einc_tensor_release(y);
    return t;
}

/* The result of `a` must equal ref (bytes). */
static void check_same(id_arg *a, const void *ref, size_t bytes) {
    einc_tensor *y = einc_id(a->ctx, a->expr, a->x, a->axes);
    einc_tensor *c = y ? einc_tensor_contiguous(a->ctx, y) : NULL;
    check(a->ctx, c, a->expr);
    if (c && memcmp(einc_tensor_data(c), ref, bytes) != 0) {
        fprintf(stderr, "bench_notation: %s: result differs from the hand transpose\n", a->expr);
        failures++;
    }
    einc_tensor_release(c);
    einc_tensor_release(y);
}

/* The result of "a b c -> (c b) a" on (256, 256, 256), sampled: y[c * 256 + b, a] = x[a, b, c]. */
static void check_reverse(id_arg *a) {
    einc_tensor *y = einc_id(a->ctx, a->expr, a->x, a->axes);
    check(a->ctx, y, a->expr);
    if (!y) return;
    const float *xp = einc_tensor_data(a->x), *yp = einc_tensor_data(y);
    bool ok = einc_tensor_is_contiguous(y);
    for (int64_t i = 0; ok && i < 256; i += 5)
        for (int64_t j = 0; ok && j < 256; j += 7)
            for (int64_t k = 0; ok && k < 256; k += 11) ok = yp[(k * 256 + j) * 256 + i] == xp[(i * 256 + j) * 256 + k];
    if (!ok) {
        fprintf(stderr, "bench_notation: %s: wrong result\n", a->expr);
        failures++;
    }
    einc_tensor_release(y);
}

static void bench_id(einc_ctx *ctx, int reps) {
    const int64_t B = 16, H = 64, W = 64, C = 256;
    size_t bytes = (size_t)(B * H * W * C) * sizeof(float);
    einc_tensor *x = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(B, H * W, C));
    einc_tensor *cube = x ? einc_tensor_reshape(ctx, x, EINC_SHAPE(256, 256, 256)) : NULL;
    einc_tensor *dst_owner = NULL, *ref_owner = NULL;
    float *dst = baseline_buffer(ctx, bytes / sizeof(float), &dst_owner);
    float *ref = baseline_buffer(ctx, bytes / sizeof(float), &ref_owner);
    check(ctx, x && cube && dst && ref ? x : NULL, "id setup");
    if (!x || !cube || !dst || !ref) {
        einc_tensor_release(dst_owner);
        einc_tensor_release(ref_owner);
        einc_tensor_release(cube);
        einc_tensor_release(x);
        return;
    }
    einc_axes h = EINC_AXES({"h", H});

    printf("\n2. id on 64 MiB float32 (each result released before the next call: its buffer comes from the pool),\n"
           "   best of %d, run interleaved with the baselines\n",
           reps);
    printf("%-46s %9s %9s %8s\n", "case", "ms", "GB/s", "vs memcpy");
    copy_arg cp = {dst, einc_tensor_data(x), bytes};
    transpose_arg tt = {einc_tensor_data(x), ref, B, H * W, C};
    id_arg perm_copy = {ctx, "b (h w) c -> b (c h) w", x, h, false, 0};
    id_arg perm_mat = {ctx, "b (h w) c -> b c h w", x, h, true, 0};
    id_arg rev_copy = {ctx, "a b c -> (c b) a", cube, EINC_NO_AXES, false, 0};
    id_arg rev_mat = {ctx, "a b c -> c b a", cube, EINC_NO_AXES, true, 0};
    void (*const fns[6])(void *) = {run_memcpy, run_tiled_transpose, run_id, run_id, run_id, run_id};
    void *const args[6] = {&cp, &tt, &perm_copy, &perm_mat, &rev_copy, &rev_mat};
    double best[6];
    best_interleaved(6, fns, args, reps, best);
    double tcopy = best[0];
    print_bw_row("memcpy (same bytes)", tcopy, bytes, tcopy, "");
    print_bw_row("hand transpose (16,4096,256)->(16,256,4096)", best[1], bytes, tcopy, "64x64 tiles, plain C");
    print_bw_row("id \"b (h w) c -> b (c h) w\"  (16,4096,256)", best[2], bytes, tcopy, "copy inside einc_id");
    print_bw_row("id \"b (h w) c -> b c h w\" + contiguous", best[3], bytes, tcopy,
                 "view, then einc_tensor_contiguous");
    print_bw_row("id \"a b c -> (c b) a\"  (256,256,256)", best[4], bytes, tcopy, "copy inside einc_id");
    print_bw_row("id \"a b c -> c b a\" + contiguous", best[5], bytes, tcopy, "view, then einc_tensor_contiguous");
    check_same(&perm_copy, ref, bytes);
    check_same(&perm_mat, ref, bytes);
    check_reverse(&rev_copy);

    const int n = 4096;
    id_arg views[3] = {{ctx, "b (h w) c -> b c h w", x, h, false, 0},
                       {ctx, "a b c -> c b a", cube, EINC_NO_AXES, false, 0},
                       {ctx, "a b c -> a (b c)", x, EINC_NO_AXES, false, 0}};
    const char *labels[3] = {"id \"b (h w) c -> b c h w\"  (16,4096,256)", "id \"a b c -> c b a\"  (256,256,256)",
                             "id \"a b c -> a (b c)\"  (16,4096,256)"};
    for (int i = 0; i < 3; i++) {
        bool is_view;
        double us = view_call_us(&views[i], n, 25, &is_view);
        printf("%-46s %9s %9s %8s  %.2f us per call: %s\n", labels[i], "-", "-", "-", us,
               is_view ? "a view of the input (no copy)" : "COPIED");
        if (views[i].fails) check(ctx, NULL, views[i].expr);
    }
    printf("  vs memcpy: memcpy time / this time (1.00 = memcpy speed; the target for a permuting id is >= 0.80).\n"
           "  A permutation einc_id can express with strides returns a view: the copy happens only where the\n"
           "  output merges axes that are not adjacent in the input, or when the caller asks for contiguous data.\n");
    if (perm_copy.fails || perm_mat.fails || rev_copy.fails || rev_mat.fails) check(ctx, NULL, "id");

    einc_tensor_release(cube);
    einc_tensor_release(x);
    einc_tensor_release(dst_owner);
    einc_tensor_release(ref_owner);
}

/* ---- 3. dot at attention shapes --------------------------------------------------------------- */

/* c[i] [M, N] = a[i] [M, K] @ b[i], b[i] [K, N], or [N, K] used transposed when bt. */
typedef struct {
    const float *a, *b;
    float *c;
    int batch, M, N, K;
    bool bt;
} gemm_arg;

#ifdef EINC_HAVE_CBLAS
static const char gemm_baseline[] = "a cblas_sgemm per batch entry";

static void run_gemm(void *p) {
    gemm_arg *g = p;
    for (int i = 0; i < g->batch; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, g->bt ? CblasTrans : CblasNoTrans, g->M, g->N, g->K, 1.0f,
                    g->a + (int64_t)i * g->M * g->K, g->K, g->b + (int64_t)i * g->K * g->N, g->bt ? g->K : g->N, 0.0f,
                    g->c + (int64_t)i * g->M * g->N, g->N);
}

#else
static const char gemm_baseline[] = "a naive triple loop (no BLAS built in), run once";

static void run_gemm(void *p) {
    gemm_arg *g = p;
    int64_t bk = g->bt ? 1 : g->N, bn = g->bt ? g->K : 1;
    for (int i = 0; i < g->batch; i++) {
        const float *a = g->a + (int64_t)i * g->M * g->K, *b = g->b + (int64_t)i * g->K * g->N;
        float *c = g->c + (int64_t)i * g->M * g->N;
        for (int64_t m = 0; m < g->M; m++)
            for (int64_t n = 0; n < g->N; n++) {
                float s = 0.0f;
                for (int64_t k = 0; k < g->K; k++) s += a[m * g->K + k] * b[k * bk + n * bn];
                c[m * g->N + n] = s;
            }
    }
}

/* The naive loop takes seconds: one run, no warm-up. */
static double time_gemm(gemm_arg *g, int reps) {
    (void)reps;
    double t0 = bench_now();
    run_gemm(g);
    return bench_now() - t0;
}
#endif

typedef struct {
    einc_ctx *ctx;
    const char *expr;
    einc_tensor *a, *b;
    int fails;
} dot_arg;

static void run_dot(void *p) {
    dot_arg *d = p;
    einc_tensor *y = einc_dot(d->ctx, d->expr, d->a, d->b);
    if (!y) d->fails++;
    einc_tensor_release(y);
}

static double max_diff(const float *p, const float *q, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = p[i] > q[i] ? (double)p[i] - q[i] : (double)q[i] - p[i];
        if (d > worst) worst = d;
    }
    return worst;
}

static void dot_case(einc_ctx *ctx, const char *name, const char *expr, einc_tensor *a, einc_tensor *b, bool bt,
                     int threads, int reps) {
    const int64_t *as = einc_tensor_shape(a), *bs = einc_tensor_shape(b);
    int batch = (int)(as[0] * as[1]), M = (int)as[2], K = (int)as[3], N = (int)(bt ? bs[2] : bs[3]);
    size_t cn = (size_t)batch * (size_t)M * (size_t)N;
    einc_tensor *c_owner = NULL;
    float *c = baseline_buffer(ctx, cn, &c_owner);
    if (!c) {
        check(ctx, NULL, "dot setup");
        return;
    }
    gemm_arg g = {einc_tensor_data(a), einc_tensor_data(b), c, batch, M, N, K, bt};
    dot_arg d = {ctx, expr, a, b, 0};

    einc_tensor *y = einc_dot(ctx, expr, a, b);
    check(ctx, y, expr);
    raw_threads(threads);
    run_gemm(&g);
    double diff = y ? max_diff(einc_tensor_data(y), c, cn) : -1;
    einc_tensor_release(y);

    double t, traw;
    raw_threads(threads);
#ifdef EINC_HAVE_CBLAS
    void (*const fns[2])(void *) = {run_gemm, run_dot};
    void *const args[2] = {&g, &d};
    double best[2];
    best_interleaved(2, fns, args, reps, best);
    traw = best[0], t = best[1];
#else
    traw = time_gemm(&g, reps);
    t = bench_best(run_dot, &d, reps);
#endif
    double gflop = 2.0 * batch * (double)M * N * K * 1e-9;
    if (d.fails) check(ctx, NULL, expr);
    printf("%-46s %9.2f %9.2f %8.1f %7.2f %9.1e\n", name, t * 1e3, traw * 1e3, gflop / t, traw / t, diff);
    einc_tensor_release(c_owner);
}

static void bench_dot(einc_ctx *ctx, int threads, int reps) {
    printf("\n3. dot at attention shapes, float32, best of %d; baseline: %s\n", reps, gemm_baseline);
    printf("%-46s %9s %9s %8s %7s %9s\n", "case", "einc ms", "base ms", "GFLOP/s", "speed", "max|diff|");
    const char *qk = "... N d, ... M d -> ... N M", *av = "... N M, ... M d -> ... N d";
    einc_tensor *q = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(2, 8, 1024, 64));
    einc_tensor *k = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(2, 8, 1024, 64));
    einc_tensor *attn = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(2, 8, 1024, 1024));
    check(ctx, q && k && attn ? q : NULL, "dot setup");
    if (q && k && attn) {
        dot_case(ctx, "q.k  (2,8,1024,64),(2,8,1024,64)", qk, q, k, true, threads, reps);
        dot_case(ctx, "a.v  (2,8,1024,1024),(2,8,1024,64)", av, attn, k, false, threads, reps);
        einc_tensor *q1 = einc_tensor_reshape(ctx, q, EINC_SHAPE(1, 16, 1024, 64));
        einc_tensor *k1 = einc_tensor_reshape(ctx, k, EINC_SHAPE(1, 16, 1024, 64));
        einc_tensor *a1 = einc_tensor_reshape(ctx, attn, EINC_SHAPE(1, 16, 1024, 1024));
        check(ctx, q1 && k1 && a1 ? q1 : NULL, "dot reshape");
        if (q1 && k1 && a1) {
            dot_case(ctx, "q.k  (1,16,1024,64),(1,16,1024,64)", qk, q1, k1, true, threads, reps);
            dot_case(ctx, "a.v  (1,16,1024,1024),(1,16,1024,64)", av, a1, k1, false, threads, reps);
        }
        einc_tensor_release(q1);
        einc_tensor_release(k1);
        einc_tensor_release(a1);
    }
    printf("  q.k: einc_dot(\"%s\"); a.v: einc_dot(\"%s\");\n"
           "  speed: baseline time / einc time (target >= 0.95); the output buffer comes from the pool.\n",
           qk, av);
    einc_tensor_release(q);
    einc_tensor_release(k);
    einc_tensor_release(attn);
}

/* ---- 4. softmax ------------------------------------------------------------------------------- */

typedef struct {
    einc_ctx *ctx;
    einc_tensor *x;
    bool notation;
    int fails;
} softmax_arg;

static void run_softmax(void *p) {
    softmax_arg *s = p;
    einc_tensor *y = s->notation ? einc_softmax(s->ctx, "... N [M]", s->x) : einc_tensor_softmax(s->ctx, s->x, -1);
    if (!y) s->fails++;
    einc_tensor_release(y);
}

static void bench_softmax(einc_ctx *ctx, int reps) {
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(16, 1024, 1024));
    size_t bytes = (size_t)16 * 1024 * 1024 * sizeof(float);
    einc_tensor *dst_owner = NULL;
    float *dst = baseline_buffer(ctx, bytes / sizeof(float), &dst_owner);
    check(ctx, x && dst ? x : NULL, "softmax setup");
    if (!x || !dst) {
        einc_tensor_release(dst_owner);
        einc_tensor_release(x);
        return;
    }
    printf("\n4. softmax over the last axis, float32 (16,1024,1024) = 64 MiB, best of %d\n", reps);
    printf("%-44s %9s %9s %8s %8s\n", "case", "ms", "GB/s", "x memcpy", "vs raw");
    copy_arg cp = {dst, einc_tensor_data(x), bytes};
    softmax_arg raw = {ctx, x, false, 0}, notation = {ctx, x, true, 0};
    void (*const fns[3])(void *) = {run_memcpy, run_softmax, run_softmax};
    void *const args[3] = {&cp, &raw, &notation};
    double best[3];
    best_interleaved(3, fns, args, reps, best);
    double tcopy = best[0], traw = best[1], tn = best[2];
    if (raw.fails || notation.fails) check(ctx, NULL, "softmax");
    printf("%-44s %9.2f %9.1f %8.2f %8s\n", "memcpy (same bytes)", tcopy * 1e3, (double)bytes / tcopy * 1e-9, 1.0, "-");
    printf("%-44s %9.2f %9.1f %8.2f %8.2f\n", "einc_tensor_softmax(x, -1)", traw * 1e3, (double)bytes / traw * 1e-9,
           tcopy / traw, 1.0);
    printf("%-44s %9.2f %9.1f %8.2f %8.2f\n", "einc_softmax(\"... N [M]\")", tn * 1e3, (double)bytes / tn * 1e-9,
           tcopy / tn, traw / tn);
    printf("  x memcpy and vs raw: the other time / this time (1.00 = as fast)\n");
    einc_tensor_release(dst_owner);
    einc_tensor_release(x);
}

/* Parts to run: all, or those named on the command line ("bench_notation 1 3"). */
static bool wanted(int argc, char **argv, int part) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; i++)
        if (atoi(argv[i]) == part) return true;
    return false;
}

int main(int argc, char **argv) {
    int threads = bench_threads(), reps = bench_reps(7);
    bench_header("bench_notation: what the notation costs above the work it describes", threads, NULL, NULL);
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return 1;
    einc_set_threads(ctx, threads);
    printf("bench_notation: GEMM %s; %d thread%s\n", einc_gemm_backend_name(einc_get_gemm_backend(ctx)), threads,
           threads == 1 ? "" : "s");
    double t0 = bench_now();
    if (wanted(argc, argv, 1)) bench_tiny(ctx, threads);
    if (wanted(argc, argv, 2)) bench_id(ctx, reps);
    if (wanted(argc, argv, 3)) bench_dot(ctx, threads, reps);
    if (wanted(argc, argv, 4)) bench_softmax(ctx, reps);
    printf("\ntotal %.1f s%s\n", bench_now() - t0, failures ? "; FAILURES (see stderr)" : "");
    einc_ctx_destroy(ctx);
    return failures ? 1 : 0;
}
