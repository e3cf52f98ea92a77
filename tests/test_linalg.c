/* test_linalg.c — matmul, bmm, conv2d_1x1 and the GEMM kernels.
 *
 * Truth: NumPy golden files (tests/golden/gen_linalg.py) for the public functions; the naive
 * reference kernel for the blocked kernel and the batched driver on random shapes and layouts. */
#include <stdint.h>

#include "test.h"
#include "drivers/drivers.h"
#include "kernels/gemm.h"

/* ---- golden cases -------------------------------------------------------------------------- */

static einc_tensor *golden(einc_ctx *ctx, const char *name, const char *key) {
    char path[256];
    snprintf(path, sizeof path, "linalg/%s_%s", name, key);
    return test_golden(ctx, path);
}

/* Tolerance for comparing a result of `dtype` with NumPy (0: exact). */
static double tol_of(const einc_tensor *t) {
    switch (einc_tensor_dtype(t)) {
    case EINC_FLOAT32: return 2e-6;
    case EINC_FLOAT64: return 1e-13;
    default: return 0;
    }
}

static void check_golden(einc_ctx *ctx, const char *name, einc_tensor *got) {
    einc_tensor *want = golden(ctx, name, "out");
    if (!got) fprintf(stderr, "case %s: %s\n", name, einc_errmsg(ctx));
    if (!CHECK_TENSOR_CLOSE(got, want, tol_of(want), tol_of(want))) fprintf(stderr, "  in case %s\n", name);
}

TEST(matmul_golden) {
    static const char *const cases[] = {"f32",     "f64",     "i32",     "i64",       "f32_f64",
                                        "i32_f32", "i32_i64", "i64_f64", "i32_wrap",  "i64_wrap",
                                        "vec_mat", "mat_vec", "vec_vec", "batch_vec", "vec_batch",
                                        "bcast",   "bcast_a", "bcast_b", "bmm",       "bmm_i64"};
    einc_ctx *ctx = einc_ctx_create();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        einc_scope_begin(ctx);
        einc_tensor *a = golden(ctx, cases[i], "a"), *b = golden(ctx, cases[i], "b");
        check_golden(ctx, cases[i], einc_tensor_matmul(ctx, a, b));
        einc_scope_end(ctx);
    }
    static const char *const bmm_cases[] = {"bmm", "bmm_i64"};
    for (size_t i = 0; i < 2; i++) {
        einc_scope_begin(ctx);
        einc_tensor *a = golden(ctx, bmm_cases[i], "a"), *b = golden(ctx, bmm_cases[i], "b");
        check_golden(ctx, bmm_cases[i], einc_tensor_bmm(ctx, a, b));
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Operands given as views: the result must be the product of what the views show. */
TEST(matmul_views_golden) {
    einc_ctx *ctx = einc_ctx_create();
#define LOAD(name)                                                                                                     \
    einc_tensor *a = golden(ctx, name, "a"), *b = golden(ctx, name, "b");                                              \
    (void)a, (void)b
    {
        LOAD("t_a");
        check_golden(ctx, "t_a", einc_tensor_matmul(ctx, einc_tensor_transpose(ctx, a, 0, 1), b));
    }
    {
        LOAD("t_b");
        check_golden(ctx, "t_b", einc_tensor_matmul(ctx, a, einc_tensor_transpose(ctx, b, 0, 1)));
    }
    {
        LOAD("t_ab");
        check_golden(ctx, "t_ab",
                     einc_tensor_matmul(ctx, einc_tensor_transpose(ctx, a, 1, 2), einc_tensor_transpose(ctx, b, 1, 2)));
        check_golden(ctx, "t_ab",
                     einc_tensor_bmm(ctx, einc_tensor_transpose(ctx, a, 1, 2), einc_tensor_transpose(ctx, b, -1, -2)));
    }
    {
        LOAD("flip");
        check_golden(
            ctx, "flip",
            einc_tensor_matmul(ctx, einc_tensor_flip(ctx, a, EINC_ALL), einc_tensor_flip(ctx, b, EINC_DIMS(0))));
    }
    {
        LOAD("step");
        check_golden(ctx, "step",
                     einc_tensor_matmul(ctx, einc_tensor_slice(ctx, a, 1, 0, INT64_MAX, 2),
                                        einc_tensor_slice(ctx, b, 0, 1, INT64_MAX, 2)));
    }
    {
        LOAD("expand_batch");
        check_golden(ctx, "expand_batch", einc_tensor_bmm(ctx, einc_tensor_expand(ctx, a, EINC_SHAPE(3, 4, 5)), b));
    }
    {
        LOAD("expand_rows");
        check_golden(ctx, "expand_rows", einc_tensor_matmul(ctx, einc_tensor_expand(ctx, a, EINC_SHAPE(4, 5)), b));
    }
    {
        LOAD("permuted_batch");
        check_golden(ctx, "permuted_batch",
                     einc_tensor_matmul(ctx, einc_tensor_permute(ctx, a, EINC_DIMS(1, 0, 2)), b));
    }
#undef LOAD
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(conv1x1_golden) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = golden(ctx, "conv", "x"), *w = golden(ctx, "conv", "w"), *bias = golden(ctx, "conv", "bias");
    check_golden(ctx, "conv", einc_tensor_conv2d_1x1(ctx, x, w, bias));
    check_golden(ctx, "conv_nobias", einc_tensor_conv2d_1x1(ctx, x, w, NULL));
    /* the bias as a view of its own reversed copy: stride -1 */
    einc_tensor *rev = einc_tensor_clone(ctx, einc_tensor_flip(ctx, bias, EINC_ALL));
    check_golden(ctx, "conv", einc_tensor_conv2d_1x1(ctx, x, w, einc_tensor_flip(ctx, rev, EINC_ALL)));

    x = golden(ctx, "conv_t", "x"), w = golden(ctx, "conv_t", "w"), bias = golden(ctx, "conv_t", "bias");
    check_golden(ctx, "conv_t", einc_tensor_conv2d_1x1(ctx, einc_tensor_transpose(ctx, x, 2, 3), w, bias));
    x = golden(ctx, "conv_i64", "x"), w = golden(ctx, "conv_i64", "w"), bias = golden(ctx, "conv_i64", "bias");
    check_golden(ctx, "conv_i64", einc_tensor_conv2d_1x1(ctx, x, w, bias));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(conv1x1_promotes_and_batches_broadcast) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = golden(ctx, "conv", "x"), *w = golden(ctx, "conv", "w"), *bias = golden(ctx, "conv", "bias");
    /* float32 x, w with a float64 bias: computed in float64 */
    einc_tensor *y = einc_tensor_conv2d_1x1(ctx, x, w, einc_tensor_cast(ctx, bias, EINC_FLOAT64));
    CHECK(y && einc_tensor_dtype(y) == EINC_FLOAT64);
    CHECK_TENSOR_CLOSE_ANYTYPE(y, golden(ctx, "conv", "out"), 1e-6, 1e-6);
    /* an x broadcast over the batch (stride 0) gives identical batch entries */
    einc_tensor *x1 = einc_tensor_narrow(ctx, x, 0, 1, 1);
    einc_tensor *yb = einc_tensor_conv2d_1x1(ctx, einc_tensor_expand(ctx, x1, EINC_SHAPE(3, -1, -1, -1)), w, bias);
    einc_tensor *y1 = einc_tensor_conv2d_1x1(ctx, x1, w, bias);
    for (int i = 0; i < 3; i++) CHECK_TENSOR_CLOSE(einc_tensor_narrow(ctx, yb, 0, i, 1), y1, 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- sizes --------------------------------------------------------------------------------- */

TEST(zero_sizes) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *a = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(3, 0));
    einc_tensor *b = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(0, 4));
    einc_tensor *c = einc_tensor_matmul(ctx, a, b); /* K = 0: zeros */
    CHECK_TENSOR_CLOSE(c, einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4)), 0, 0);
    c = einc_tensor_matmul(ctx, einc_tensor_empty(ctx, EINC_INT64, EINC_SHAPE(2, 3, 0)),
                           einc_tensor_empty(ctx, EINC_INT64, EINC_SHAPE(0, 2)));
    CHECK_TENSOR_CLOSE(c, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(2, 3, 2)), 0, 0);
    c = einc_tensor_matmul(ctx, einc_tensor_empty(ctx, EINC_FLOAT64, EINC_SHAPE(0)),
                           einc_tensor_empty(ctx, EINC_FLOAT64, EINC_SHAPE(0)));
    CHECK(c && einc_tensor_ndim(c) == 0 && einc_tensor_item(c) == 0.0);
    c = einc_tensor_matmul(ctx, einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(0, 3)),
                           einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4)));
    CHECK(c && einc_tensor_ndim(c) == 2 && einc_tensor_dim(c, 0) == 0 && einc_tensor_dim(c, 1) == 4);
    c = einc_tensor_bmm(ctx, einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(0, 2, 3)),
                        einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(0, 3, 5)));
    CHECK(c && einc_tensor_numel(c) == 0 && einc_tensor_dim(c, 2) == 5);
    c = einc_tensor_conv2d_1x1(ctx, einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(2, 0, 3, 3)),
                               einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(4, 0, 1, 1)),
                               einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4)));
    CHECK_TENSOR_CLOSE(c, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 4, 3, 3)), 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* K = 0 through the driver: c is overwritten with zeros even when it held garbage, and the empty
 * operands (data NULL) are never read. */
TEST(driver_k0_overwrites) {
    einc_ctx *ctx = einc_ctx_create();
    double cbuf[6];
    for (int i = 0; i < 6; i++) cbuf[i] = NAN;
    einc__view a = {0}, b = {0}, c = {0};
    a.dtype = b.dtype = c.dtype = EINC_FLOAT64;
    a.ndim = b.ndim = c.ndim = 2;
    a.shape[0] = 2, a.shape[1] = 0, a.strides[0] = 0, a.strides[1] = 1;
    b.shape[0] = 0, b.shape[1] = 3, b.strides[0] = 3, b.strides[1] = 1;
    c.shape[0] = 2, c.shape[1] = 3, c.strides[0] = 3, c.strides[1] = 1, c.data = (char *)cbuf;
    CHECK(einc__gemm_batched(ctx, &a, &b, &c) == EINC_OK);
    for (int i = 0; i < 6; i++) CHECK(cbuf[i] == 0.0);
    for (int i = 0; i < 6; i++) cbuf[i] = NAN;
    einc__k_gemm_ref(&a, &b, &c, 0, 1);
    for (int i = 0; i < 6; i++) CHECK(cbuf[i] == 0.0);
    einc_ctx_destroy(ctx);
}

/* ---- kernels and driver against the reference on random shapes and layouts ---------------- */

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static int64_t rng_below(uint64_t *s, int64_t n) { return (int64_t)(rng_next(s) % (uint64_t)n); }

/* Matrix layouts of a random operand; L_WRITABLE and up are not valid for c. */
enum { L_ROW, L_COL, L_PAD, L_STEP, L_NEGROW, L_NEGCOL, L_WRITABLE, L_ZEROROW = L_WRITABLE, L_NLAYOUTS };

typedef struct {
    void *buf;
    einc__view v;
} test_mat;

/* A random operand [batch..., R, S] in layout `mode`; with `bcast` it is broadcast (stride 0)
 * over its innermost batch dimension. */
static test_mat make_mat(einc_dtype dtype, int nb, const int64_t *batch, int64_t R, int64_t S, int mode, bool bcast,
                         uint64_t *seed) {
    test_mat m;
    memset(&m, 0, sizeof m);
    einc__view *v = &m.v;
    v->dtype = dtype;
    v->ndim = nb + 2;
    int64_t rs = S, ss = 1;
    switch (mode) {
    case L_COL: rs = 1, ss = R; break;
    case L_PAD: rs = S + 3; break;
    case L_STEP: rs = 2 * S + 1, ss = 2; break;
    case L_NEGROW: rs = -S; break;
    case L_NEGCOL: ss = -1; break;
    case L_ZEROROW: rs = 0; break;
    default: break;
    }
    v->shape[nb] = R, v->strides[nb] = rs, v->shape[nb + 1] = S, v->strides[nb + 1] = ss;
    int64_t ext = 1 + (R > 0 ? (R - 1) * (rs < 0 ? -rs : rs) : 0) + (S > 0 ? (S - 1) * (ss < 0 ? -ss : ss) : 0);
    for (int d = nb - 1; d >= 0; d--) {
        v->shape[d] = batch[d];
        v->strides[d] = (bcast && d == nb - 1) ? 0 : ext;
        ext *= batch[d] > 0 ? batch[d] : 1;
    }
    int64_t lo = 0, hi = 0;
    bool empty = false;
    for (int d = 0; d < v->ndim; d++) {
        if (v->shape[d] == 0) empty = true;
        int64_t span = v->strides[d] * (v->shape[d] - 1);
        if (span < 0) lo += span;
        else hi += span;
    }
    int64_t n = empty ? 1 : hi - lo + 1;
    size_t es = einc_dtype_size(dtype);
    m.buf = calloc((size_t)n, es);
    v->data = (char *)m.buf + (empty ? 0 : -lo * (int64_t)es);
    for (int64_t i = 0; i < n; i++) {
        char *p = (char *)m.buf + i * (int64_t)es;
        double r = (double)rng_below(seed, 2001) / 1000.0 - 1.0; /* [-1, 1] */
        if (dtype == EINC_INT64 || dtype == EINC_INT32) {
            /* mostly small, sometimes huge so that products wrap */
            int64_t x = rng_below(seed, 8) ? rng_below(seed, 201) - 100 : (int64_t)rng_next(seed);
            if (dtype == EINC_INT64) memcpy(p, &x, 8);
            else {
                int32_t y = (int32_t)(uint32_t)(uint64_t)x;
                memcpy(p, &y, 4);
            }
        } else einc__store_f64(p, dtype, r);
    }
    return m;
}

/* Fills every element of a (writable) view with `value`. */
static void fill_view(const einc__view *v, double value) {
    int64_t n = 1;
    for (int d = 0; d < v->ndim; d++) n *= v->shape[d];
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, off = 0;
        for (int d = v->ndim - 1; d >= 0; d--) {
            off += rem % v->shape[d] * v->strides[d];
            rem /= v->shape[d];
        }
        einc__store_f64(v->data + off * (int64_t)einc_dtype_size(v->dtype), v->dtype, value);
    }
}

/* Compares two views of the same shape element by element; tol 0 compares bits (integers: values). */
static int views_close(const einc__view *x, const einc__view *y, double tol) {
    int64_t n = 1;
    for (int d = 0; d < x->ndim; d++) n *= x->shape[d];
    size_t es = einc_dtype_size(x->dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, ox = 0, oy = 0;
        for (int d = x->ndim - 1; d >= 0; d--) {
            int64_t k = rem % x->shape[d];
            rem /= x->shape[d];
            ox += k * x->strides[d];
            oy += k * y->strides[d];
        }
        const char *px = x->data + ox * (int64_t)es, *py = y->data + oy * (int64_t)es;
        if (tol == 0 ? memcmp(px, py, es) != 0
                     : !(fabs(einc__load_f64(px, x->dtype) - einc__load_f64(py, y->dtype)) <= tol)) {
            fprintf(stderr, "element %lld: %.17g vs %.17g\n", (long long)i, einc__load_f64(px, x->dtype),
                    einc__load_f64(py, y->dtype));
            return 0;
        }
    }
    return 1;
}

/* Runs one random problem through the reference, the blocked kernel (1 worker and 3 workers run
 * one after the other) and the driver; everything must agree with the reference. */
static void check_problem(einc_ctx *ctx, einc_dtype dtype, int nb, const int64_t *batch, int64_t M, int64_t N,
                          int64_t K, int la, int lb, int lc, int bcast, uint64_t *seed) {
    test_mat a = make_mat(dtype, nb, batch, M, K, la, bcast & 1, seed);
    test_mat b = make_mat(dtype, nb, batch, K, N, lb, bcast & 2, seed);
    test_mat c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = make_mat(dtype, nb, batch, M, N, lc, false, seed);
        fill_view(&c[i].v, 12345.0 + i); /* an element nobody writes shows up */
    }
    einc__k_gemm_ref(&a.v, &b.v, &c[0].v, 0, 1);
    size_t per = einc__k_gemm_scratch(&a.v, &b.v, &c[0].v);
    void *scratch = per ? aligned_alloc(64, (per * 3 + 63) / 64 * 64) : NULL;
    einc__k_gemm(&a.v, &b.v, &c[1].v, scratch, 0, 1);
    for (int ith = 0; ith < 3; ith++) einc__k_gemm(&a.v, &b.v, &c[2].v, scratch, ith, 3);
    free(scratch);
    CHECK(einc__gemm_batched(ctx, &a.v, &b.v, &c[3].v) == EINC_OK);

    bool is_float = dtype == EINC_FLOAT32 || dtype == EINC_FLOAT64;
    /* the blocked kernel sums in the reference's order: equal up to rounding of the last bit */
    double tol = !is_float ? 0 : dtype == EINC_FLOAT32 ? 1e-5 * (double)(K + 1) : 1e-13 * (double)(K + 1);
    int ok = views_close(&c[1].v, &c[0].v, tol);
    ok &= views_close(&c[2].v, &c[1].v, 0); /* independent of the split: bit for bit */
    ok &= views_close(&c[3].v, &c[0].v, tol);
    if (!ok) {
        fprintf(stderr, "  problem %s batch %d M=%lld N=%lld K=%lld layouts a=%d b=%d c=%d broadcast %d\n",
                einc_dtype_name(dtype), nb, (long long)M, (long long)N, (long long)K, la, lb, lc, bcast);
        test_failed_checks_++;
    }
    free(a.buf);
    free(b.buf);
    for (int i = 0; i < 4; i++) free(c[i].buf);
}

/* The random problems of one dispatch level and GEMM backend. */
static void random_problems(einc_ctx *ctx, int iters, uint64_t seed) {
    static const int64_t sizes[] = {0, 1, 2, 3, 5, 7, 8, 9, 13, 17, 33, 64, 65, 70};
    static const einc_dtype dtypes[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT32, EINC_INT64};
    const int nsizes = (int)(sizeof sizes / sizeof *sizes);
    for (int iter = 0; iter < iters; iter++) {
        einc_dtype dtype = dtypes[iter % 4];
        int nb = (int)rng_below(&seed, 3);
        int64_t batch[2] = {1 + rng_below(&seed, 3), 1 + rng_below(&seed, 3)};
        int64_t M = sizes[rng_below(&seed, nsizes)], N = sizes[rng_below(&seed, nsizes)];
        int64_t K = sizes[rng_below(&seed, nsizes)];
        int la = (int)rng_below(&seed, L_NLAYOUTS), lb = (int)rng_below(&seed, L_NLAYOUTS);
        int lc = (int)rng_below(&seed, L_WRITABLE), bcast = nb ? (int)rng_below(&seed, 4) : 0;
        check_problem(ctx, dtype, nb, batch, M, N, K, la, lb, lc, bcast, &seed);
    }
    /* blocks larger than one packed panel in every direction (the AVX-512 float32 kernel has
     * MC 144, KC 128, NC 1024), and the edges of the batch fold */
    const int64_t one[1] = {2};
    check_problem(ctx, EINC_FLOAT32, 0, NULL, 70, 260, 300, L_ROW, L_ROW, L_ROW, 0, &seed);
    check_problem(ctx, EINC_FLOAT32, 0, NULL, 301, 1100, 131, L_COL, L_COL, L_ROW, 0, &seed);
    check_problem(ctx, EINC_FLOAT32, 0, NULL, 150, 1030, 260, L_NEGCOL, L_STEP, L_PAD, 0, &seed);
    check_problem(ctx, EINC_FLOAT64, 0, NULL, 131, 67, 513, L_COL, L_PAD, L_COL, 0, &seed);
    check_problem(ctx, EINC_FLOAT64, 0, NULL, 145, 530, 140, L_ROW, L_COL, L_ROW, 0, &seed);
    check_problem(ctx, EINC_FLOAT32, 1, one, 1, 1, 700, L_ROW, L_COL, L_ROW, 0, &seed);
    check_problem(ctx, EINC_FLOAT32, 1, one, 40, 3, 20, L_ROW, L_ROW, L_ROW, 2, &seed);   /* folds into M */
    check_problem(ctx, EINC_FLOAT32, 1, one, 40, 3, 20, L_ROW, L_ROW, L_COL, 2, &seed);   /* transposed, no fold */
    check_problem(ctx, EINC_FLOAT32, 1, one, 40, 3, 20, L_STEP, L_STEP, L_ROW, 3, &seed); /* broadcast temporaries */
    CHECK_OK(ctx);
}

/* Every dispatch level the CPU has runs einc's GEMM against the reference; the CBLAS path of
 * the driver (where built in) runs the same problems. */
TEST(kernels_match_reference_random) {
    einc_ctx *ctx = einc_ctx_create();
    CHECK(einc_set_gemm_backend(ctx, EINC_GEMM_EINC) == EINC_OK);
    int saved = einc__cpu_level_force(EINC_CPU_BASELINE);
    for (int level = EINC_CPU_BASELINE; level <= (int)einc_cpu_level_supported(); level++) {
        einc__cpu_level_force(level);
        uint64_t seed = 0x9E3779B97F4A7C15ull + (uint64_t)(unsigned)level;
        random_problems(ctx, 300, seed);
        /* a c of 16 MiB or more is written with non-temporal stores (full, aligned tiles) */
        check_problem(ctx, EINC_FLOAT32, 0, NULL, 2051, 2048, 3, L_ROW, L_COL, L_ROW, 0, &seed);
    }
    einc__cpu_level_force(saved);
    if (strcmp(einc_blas_backend(), "none") != 0) {
        CHECK(einc_set_gemm_backend(ctx, EINC_GEMM_CBLAS) == EINC_OK);
        random_problems(ctx, 100, 7);
    }
    einc_ctx_destroy(ctx);
}

/* Which backend is held to bitwise equality between thread counts: einc's GEMM (split over
 * output tiles only, never over a sum), bit for bit at every dispatch level. CBLAS promises no
 * such thing (OpenBLAS's bits differ between 1 and 2 threads on some CPUs, e.g. 3,810 of 18,900
 * elements by up to 1.9e-5 on an AMD EPYC, and under valgrind): there only closeness is checked.
 * Integer products run einc's kernels on either backend: bitwise. */
static void thread_counts(einc_gemm_backend backend) {
    einc_ctx *ctx = einc_ctx_create();
    CHECK(einc_set_gemm_backend(ctx, backend) == EINC_OK);
    einc_set_threads(ctx, 2);
    einc_tensor *a = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 70, 150));
    einc_tensor *b = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(150, 90));
    einc_tensor *ia = einc_tensor_arange(ctx, EINC_INT64, 0, 3 * 70 * 150, 1);
    einc_tensor *ib = einc_tensor_arange(ctx, EINC_INT64, 0, 150 * 90, 1);
    ia = einc_tensor_view(ctx, ia, EINC_SHAPE(3, 70, 150));
    ib = einc_tensor_view(ctx, ib, EINC_SHAPE(150, 90));
    einc_tensor *c2 = einc_tensor_matmul(ctx, a, b), *i2 = einc_tensor_matmul(ctx, ia, ib);
    einc_set_threads(ctx, 1);
    einc_tensor *c1 = einc_tensor_matmul(ctx, a, b), *i1 = einc_tensor_matmul(ctx, ia, ib);
    if (backend == EINC_GEMM_CBLAS) CHECK_TENSOR_CLOSE(c1, c2, 1e-4, 1e-5); /* sums of 150 terms near 12 */
    else CHECK(c1 && c2 && memcmp(einc_tensor_data(c1), einc_tensor_data(c2), sizeof(float) * 3 * 70 * 90) == 0);
    CHECK_TENSOR_CLOSE(i2, i1, 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(threads_do_not_change_results) {
    int saved = einc__cpu_level_force(EINC_CPU_BASELINE);
    for (int level = EINC_CPU_BASELINE; level <= (int)einc_cpu_level_supported(); level++) {
        einc__cpu_level_force(level);
        thread_counts(EINC_GEMM_EINC);
    }
    einc__cpu_level_force(saved);
    if (strcmp(einc_blas_backend(), "none") != 0) thread_counts(EINC_GEMM_CBLAS);
}

/* ---- copies -------------------------------------------------------------------------------- */

/* Allocator calls made by one matmul of views of a [6, 8] and b [8, 5], in a fresh context. */
static long matmul_allocations(einc_gemm_backend backend, int which) {
    test_alloc_state s;
    einc_ctx *ctx = test_ctx_with_budget(&s, -1);
    CHECK(einc_set_gemm_backend(ctx, backend) == EINC_OK);
    einc_tensor *a = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(6, 8));
    einc_tensor *at = einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, a, 0, 1)); /* [8, 6] */
    einc_tensor *a2 = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(6, 16));
    einc_tensor *b = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(8, 5));
    einc_tensor *x = which == 0   ? a
                     : which == 1 ? einc_tensor_transpose(ctx, at, 0, 1)            /* unit row stride: Trans */
                                  : einc_tensor_slice(ctx, a2, 1, 0, INT64_MAX, 2); /* stride 2: no unit stride */
    long before = s.count;
    einc_tensor *c = einc_tensor_matmul(ctx, x, b);
    long made = s.count - before;
    CHECK(c != NULL);
    einc_ctx_destroy(ctx);
    return made;
}

TEST(transposed_operand_is_not_copied) {
    /* einc's GEMM packs any strides: no operand is ever copied */
    long plain = matmul_allocations(EINC_GEMM_EINC, 0);
    CHECK_EQ_INT(matmul_allocations(EINC_GEMM_EINC, 1), plain);
    CHECK_EQ_INT(matmul_allocations(EINC_GEMM_EINC, 2), plain);
    if (strcmp(einc_blas_backend(), "none") == 0) return;
    /* CBLAS reads a transpose in place, but the stride-2 operand needs a contiguous copy */
    plain = matmul_allocations(EINC_GEMM_CBLAS, 0);
    CHECK_EQ_INT(matmul_allocations(EINC_GEMM_CBLAS, 1), plain);
    CHECK(matmul_allocations(EINC_GEMM_CBLAS, 2) > plain);
}

TEST(backend_name) {
    const char *name = einc_blas_backend();
    CHECK(strcmp(name, "openblas") == 0 || strcmp(name, "cblas") == 0 || strcmp(name, "none") == 0);
}

/* Selection, the process default and the errors of einc_set_gemm_backend. */
TEST(gemm_backend_selection) {
    einc_ctx *ctx = einc_ctx_create();
    bool have_cblas = strcmp(einc_blas_backend(), "none") != 0;
    const char *env = getenv("EINC_GEMM");
    einc_gemm_backend dflt = have_cblas && env && strcmp(env, "cblas") == 0 ? EINC_GEMM_CBLAS : EINC_GEMM_EINC;
#ifdef EINC_TEST_GEMM_DEFAULT_CBLAS
    if (have_cblas && !(env && strcmp(env, "einc") == 0)) dflt = EINC_GEMM_CBLAS;
#endif
    CHECK(einc_get_gemm_backend(ctx) == dflt);
    CHECK(einc_set_gemm_backend(ctx, EINC_GEMM_EINC) == EINC_OK);
    CHECK(einc_get_gemm_backend(ctx) == EINC_GEMM_EINC);
    einc_status st = einc_set_gemm_backend(ctx, EINC_GEMM_CBLAS);
    if (have_cblas) {
        CHECK(st == EINC_OK);
        CHECK(einc_get_gemm_backend(ctx) == EINC_GEMM_CBLAS);
    } else {
        CHECK(st == EINC_EUNSUPPORTED);
        CHECK_ERROR(ctx, EINC_EUNSUPPORTED, "this build of einc has no CBLAS");
        CHECK(einc_get_gemm_backend(ctx) == EINC_GEMM_EINC);
    }
    einc_gemm_backend before = einc_get_gemm_backend(ctx);
    CHECK(einc_set_gemm_backend(ctx, (einc_gemm_backend)7) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "7 is not an einc_gemm_backend");
    CHECK(einc_get_gemm_backend(ctx) == before);
    CHECK(einc_set_gemm_backend(ctx, EINC_GEMM_DEFAULT) == EINC_OK);
    CHECK(einc_get_gemm_backend(ctx) == dflt);
    CHECK(einc_set_gemm_backend(NULL, EINC_GEMM_EINC) == EINC_EINVAL);
    CHECK(strcmp(einc_gemm_backend_name(EINC_GEMM_DEFAULT), "default") == 0);
    CHECK(strcmp(einc_gemm_backend_name(EINC_GEMM_EINC), "einc") == 0);
    CHECK(strcmp(einc_gemm_backend_name(EINC_GEMM_CBLAS), "cblas") == 0);
    CHECK(strcmp(einc_gemm_backend_name((einc_gemm_backend)-1), "?") == 0);
    einc_ctx_destroy(ctx);
}

/* ---- errors -------------------------------------------------------------------------------- */

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *m23 = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
    einc_tensor *m45 = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4, 5));
    einc_tensor *v3 = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3));
    einc_tensor *v4 = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4));
    einc_tensor *s = einc_tensor_scalar(ctx, EINC_FLOAT32, 1);
    einc_tensor *mb = einc_tensor_ones(ctx, EINC_BOOL, EINC_SHAPE(3, 2));

    CHECK(!einc_tensor_matmul(ctx, NULL, m23));
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_matmul: tensor argument 'a' is NULL");
    CHECK(!einc_tensor_matmul(ctx, m23, mb));
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_tensor_matmul: b has dtype bool");
    CHECK(!einc_tensor_matmul(ctx, s, v3));
    CHECK_ERROR(ctx, EINC_ESHAPE, "at least 1 dimension, got a of shape () and b of shape (3,)");
    CHECK(!einc_tensor_matmul(ctx, m23, m45));
    CHECK(strstr(einc_errmsg(ctx), "shapes (2, 3) and (4, 5)"));
    CHECK_ERROR(ctx, EINC_ESHAPE, "dimension 1 of a (size 3) != dimension 0 of b (size 4)");
    CHECK(!einc_tensor_matmul(ctx, v3, v4));
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "shapes (3,) and (4,) are not aligned: dimension 0 of a (size 3) != dimension 0 "
                "of b (size 4)");
    CHECK(!einc_tensor_matmul(ctx, m45, v3));
    CHECK_ERROR(ctx, EINC_ESHAPE, "dimension 1 of a (size 5) != dimension 0 of b (size 3)");
    CHECK(!einc_tensor_matmul(ctx, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 7, 2, 3)),
                              einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(5, 3, 4))));
    CHECK(strstr(einc_errmsg(ctx), "(2, 7, 2, 3) and (5, 3, 4)"));
    CHECK_ERROR(ctx, EINC_ESHAPE, "do not broadcast: dimension 1 of a (size 7) vs dimension 0 of b (size 5)");

    CHECK(!einc_tensor_bmm(ctx, m23, m45));
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_tensor_bmm: expects two 3-d tensors [B, n, k] and [B, k, m], got a of shape "
                "(2, 3) and b of shape (4, 5)");
    einc_tensor *b234 = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    CHECK(!einc_tensor_bmm(ctx, b234, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4, 2))));
    CHECK_ERROR(ctx, EINC_ESHAPE, "batch sizes differ: dimension 0 of a (size 2) != dimension 0 of b (size 3)");
    CHECK(!einc_tensor_bmm(ctx, b234, b234));
    CHECK_ERROR(ctx, EINC_ESHAPE, "dimension 2 of a (size 4) != dimension 1 of b (size 3)");
    CHECK(!einc_tensor_bmm(ctx, b234, NULL));
    CHECK_ERROR(ctx, EINC_EINVAL, "tensor argument 'b' is NULL");
    CHECK(!einc_tensor_bmm(ctx, einc_tensor_ones(ctx, EINC_BOOL, EINC_SHAPE(2, 3, 4)), b234));
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_tensor_bmm: a has dtype bool");

    einc_tensor *x = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4, 4));
    einc_tensor *w = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(5, 3, 1, 1));
    CHECK(!einc_tensor_conv2d_1x1(ctx, b234, w, NULL));
    CHECK_ERROR(ctx, EINC_ESHAPE, "x must be 4-d [B, C_in, H, W], got shape (2, 3, 4)");
    CHECK(!einc_tensor_conv2d_1x1(ctx, x, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(5, 3, 3, 3)), NULL));
    CHECK_ERROR(ctx, EINC_ESHAPE, "w must have shape [C_out, C_in, 1, 1], got shape (5, 3, 3, 3)");
    CHECK(!einc_tensor_conv2d_1x1(ctx, x, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(5, 2, 1, 1)), NULL));
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "channels differ: dimension 1 of x (2, 3, 4, 4) (C_in = 3) != dimension 1 of w "
                "(5, 2, 1, 1) (2)");
    CHECK(!einc_tensor_conv2d_1x1(ctx, x, w, v4));
    CHECK_ERROR(ctx, EINC_ESHAPE, "bias must have shape (5,) to match dimension 0 of w (5, 3, 1, 1), got shape (4,)");
    CHECK(!einc_tensor_conv2d_1x1(ctx, x, w, einc_tensor_ones(ctx, EINC_BOOL, EINC_SHAPE(5))));
    CHECK_ERROR(ctx, EINC_EDTYPE, "bias has dtype bool");
    CHECK(!einc_tensor_conv2d_1x1(ctx, NULL, w, NULL));
    CHECK_ERROR(ctx, EINC_EINVAL, "tensor argument 'x' is NULL");

    /* sticky: the first error stays; a valid call still runs */
    CHECK(!einc_tensor_matmul(ctx, m23, m45));
    CHECK(!einc_tensor_bmm(ctx, m23, m45));
    einc_tensor *ok = einc_tensor_matmul(ctx, m23, v3);
    CHECK(ok && einc_tensor_get(ok, (int64_t[]){1}) == 3.0);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_matmul: shapes (2, 3) and (4, 5)");
    einc_ctx_destroy(ctx);
}

/* ---- allocation failures ------------------------------------------------------------------- */

static size_t live_tensors(const einc_ctx *ctx) {
    einc_memory_stats st;
    einc_memory_stats_get(ctx, &st);
    return st.live_tensors;
}

enum { SWEEP_CALLS = 6 };

/* Call `i` of the sweep on prepared operands x[]: every public function on each path that
 * allocates (a dtype cast for promotion, a BLAS temporary for a stride-2 operand, C-kernel
 * scratch, the bias cast). */
static einc_tensor *sweep_call(einc_ctx *ctx, int i, einc_tensor *const *x) {
    switch (i) {
    case 0: return einc_tensor_matmul(ctx, x[0], x[1]);
    case 1: return einc_tensor_matmul(ctx, x[2], x[3]);
    case 2: return einc_tensor_matmul(ctx, x[4], x[1]);
    case 3: return einc_tensor_bmm(ctx, x[5], x[6]);
    case 4: return einc_tensor_conv2d_1x1(ctx, x[7], x[8], x[9]);
    default: return einc_tensor_matmul(ctx, x[10], x[11]);
    }
}

/* Returns false when an allocation failed. A failed call must leave no tensor handle behind
 * (results and temporaries are released at once, not left to the scope). */
static bool sweep_body(einc_ctx *ctx) {
    einc_tensor *a = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1), EINC_SHAPE(4, 6));
    einc_tensor *b = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 18, 1), EINC_SHAPE(6, 3));
    einc_tensor *w = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 8, 1), EINC_SHAPE(2, 4, 1, 1));
    einc_tensor *x[12] = {a,
                          b,
                          einc_tensor_slice(ctx, a, 1, 0, 6, 2),
                          einc_tensor_transpose(ctx, b, 0, 1),
                          einc_tensor_cast(ctx, a, EINC_INT32),
                          einc_tensor_expand(ctx, a, EINC_SHAPE(2, 4, 6)),
                          einc_tensor_expand(ctx, b, EINC_SHAPE(2, 6, 3)),
                          einc_tensor_view(ctx, a, EINC_SHAPE(1, 4, 2, 3)),
                          w,
                          einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2)),
                          einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(64, 80)),
                          einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(80, 70))};
    for (int i = 0; i < 12; i++)
        if (!x[i]) return false;
    for (int i = 0; i < SWEEP_CALLS; i++) {
        size_t before = live_tensors(ctx);
        if (sweep_call(ctx, i, x)) continue;
        if (live_tensors(ctx) != before) {
            fprintf(stderr, "sweep call %d: %zu tensor handles left after failing\n", i, live_tensors(ctx) - before);
            test_failed_checks_++;
        }
        return false;
    }
    return true;
}

TEST(allocation_failures_leak_nothing) {
    bool done = false;
    for (long budget = 0; budget < 2000 && !done; budget++) {
        test_alloc_state s;
        einc_ctx *ctx = test_ctx_with_budget(&s, budget);
        if (!ctx) continue;
        done = sweep_body(ctx);
        if (!done && einc_errcode(ctx) != EINC_ENOMEM) {
            fprintf(stderr, "budget %ld: %s: %s\n", budget, einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            CHECK(einc_errcode(ctx) == EINC_ENOMEM);
        }
        einc_ctx_destroy(ctx);
        if (s.live != 0 || s.live_blocks != 0) {
            fprintf(stderr, "budget %ld: %lld bytes in %ld blocks leaked\n", budget, s.live, s.live_blocks);
            CHECK(s.live == 0 && s.live_blocks == 0);
        }
    }
    CHECK(done);
}

int main(void) {
    RUN(matmul_golden);
    RUN(matmul_views_golden);
    RUN(conv1x1_golden);
    RUN(conv1x1_promotes_and_batches_broadcast);
    RUN(zero_sizes);
    RUN(driver_k0_overwrites);
    RUN(kernels_match_reference_random);
    RUN(threads_do_not_change_results);
    RUN(transposed_operand_is_not_copied);
    RUN(backend_name);
    RUN(gemm_backend_selection);
    RUN(errors);
    RUN(allocation_failures_leak_nothing);
    return test_summary();
}
