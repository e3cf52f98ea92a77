/* test_reduce.c — reductions, softmax and log_softmax.
 *
 * Truth: golden files from tests/golden/gen_reduce.py (NumPy), the _ref kernels for random shapes
 * and strides, and NumPy's documented constants for empty and degenerate reductions. */
#include "test.h"

#include "kernels/reduce.h"
#include "ops/reduce_ops.h"

#define NUM_OPS 13
static const char *const DT_NAMES[] = {"f32", "f64", "i32", "i64", "bool"};

/* gen_reduce.py's AXIS_SETS, (0,) (1,) (2,) (0, 2) (1, 2) (0, 1) None, spelled with negative and
 * unordered axes where that names the same set. */
typedef struct {
    int naxes;
    int axes[3];
} axis_set;
static const axis_set SETS[] = {{1, {-3}}, {1, {1}}, {1, {-1}}, {2, {2, 0}}, {2, {1, -1}}, {2, {0, 1}}, {-1, {0}}};
#define NUM_SETS ((int)(sizeof SETS / sizeof SETS[0]))
/* SOFTMAX_AXIS_SETS: (2,) (0,) (1, 2) (0, 2) None */
static const axis_set SM_SETS[] = {{1, {-1}}, {1, {0}}, {2, {2, 1}}, {2, {0, -1}}, {-1, {0}}};
#define NUM_SM_SETS ((int)(sizeof SM_SETS / sizeof SM_SETS[0]))

static const int *set_axes(const axis_set *s) { return s->naxes < 0 ? NULL : s->axes; }

static double rtol_for(einc_dtype dt) { return dt == EINC_FLOAT32 ? 2e-6 : dt == EINC_FLOAT64 ? 1e-12 : 0; }

/* Compares r, flattened, with expected[*off : *off + numel(r)] and advances *off. */
static void check_slice(einc_ctx *ctx, einc_tensor *r, einc_tensor *expected, int64_t *off, double rtol, double atol,
                        const char *what, int set) {
    if (!r || !expected) {
        fprintf(stderr, "%s (axis set %d): no result: %s\n", what, set, einc_errmsg(ctx));
        CHECK(r && expected);
        einc_clear_error(ctx);
        return;
    }
    int64_t n = einc_tensor_numel(r);
    einc_tensor *flat = einc_tensor_reshape(ctx, r, 1, &n);
    einc_tensor *e = einc_tensor_narrow(ctx, expected, 0, *off, n);
    if (!test_tensors_close_(__FILE__, __LINE__, flat, e, rtol, atol, 1))
        fprintf(stderr, "  in %s, axis set %d\n", what, set);
    *off += n;
    einc_tensor_release(flat);
    einc_tensor_release(e);
}

/* Exact comparison of two int64 tensors' values (einc_tensor_get would round beyond 2^53). */
static void check_exact_i64(einc_tensor *a, const int64_t *expected, int64_t n, const char *what) {
    CHECK(a != NULL);
    if (!a) return;
    CHECK_EQ_INT(einc_tensor_dtype(a), EINC_INT64);
    CHECK_EQ_INT(einc_tensor_numel(a), n);
    int64_t buf[16];
    if (n > 16 || einc_tensor_to_buffer(a, buf, sizeof buf[0] * (size_t)n) != EINC_OK) {
        CHECK(0);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        if (buf[i] != expected[i]) {
            fprintf(stderr, "%s: element %lld: %lld != %lld\n", what, (long long)i, (long long)buf[i],
                    (long long)expected[i]);
            CHECK(buf[i] == expected[i]);
        }
}

/* A contiguous float64 copy of t with every element multiplied by k (no elementwise ops needed). */
static einc_tensor *scaled(einc_ctx *ctx, einc_tensor *t, double k) {
    einc_tensor *c = einc_tensor_cast(ctx, t, EINC_FLOAT64);
    double *p = c ? einc_tensor_data(c) : NULL;
    for (int64_t i = 0; p && i < einc_tensor_numel(c); i++) p[i] *= k;
    return c;
}

/* ---- golden values --------------------------------------------------------------------------- */

TEST(golden_every_op_dtype_and_axis_set) {
    einc_ctx *ctx = einc_ctx_create();
    char name[128];
    for (int t = 0; t < 5; t++) {
        einc_scope_begin(ctx);
        snprintf(name, sizeof name, "reduce/x_%s", DT_NAMES[t]);
        einc_tensor *x = test_golden(ctx, name);
        for (int op = 0; op < NUM_OPS && x; op++) {
            snprintf(name, sizeof name, "reduce/%s_%s", einc_reduce_op_name((einc_reduce_op)op), DT_NAMES[t]);
            einc_tensor *expected = test_golden(ctx, name);
            if (!expected) continue;
            einc_dtype rdt = einc_tensor_dtype(expected);
            int64_t off = 0;
            for (int s = 0; s < NUM_SETS; s++) {
                int64_t before = off;
                einc_tensor *r =
                    einc_tensor_reduce(ctx, (einc_reduce_op)op, x, SETS[s].naxes, set_axes(&SETS[s]), false);
                check_slice(ctx, r, expected, &off, rtol_for(rdt), rdt == EINC_FLOAT32 ? 1e-6 : 1e-12, name, s);
                /* keepdims: same values, the reduced dimensions kept as size 1 */
                einc_tensor *k =
                    einc_tensor_reduce(ctx, (einc_reduce_op)op, x, SETS[s].naxes, set_axes(&SETS[s]), true);
                CHECK(k && einc_tensor_ndim(k) == 3);
                if (k && SETS[s].naxes == 2) CHECK_EQ_INT(einc_tensor_dim(k, SETS[s].axes[0]), 1);
                check_slice(ctx, k, expected, &before, rtol_for(rdt), rdt == EINC_FLOAT32 ? 1e-6 : 1e-12, name, s);
            }
            CHECK_EQ_INT(off, einc_tensor_numel(expected));
        }
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(golden_conveniences_match_reduce) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = test_golden(ctx, "reduce/x_f32");
    einc_tensor *(*fns[])(einc_ctx *, einc_tensor *, int, const int *, bool) = {
        einc_tensor_sum, einc_tensor_mean, einc_tensor_max, einc_tensor_min, einc_tensor_argmax};
    einc_reduce_op ops[] = {EINC_REDUCE_SUM, EINC_REDUCE_MEAN, EINC_REDUCE_MAX, EINC_REDUCE_MIN, EINC_REDUCE_ARGMAX};
    for (int i = 0; i < 5; i++) {
        einc_tensor *a = fns[i](ctx, x, EINC_DIMS(0, 2), true);
        einc_tensor *b = einc_tensor_reduce(ctx, ops[i], x, EINC_DIMS(0, 2), true);
        CHECK_TENSOR_CLOSE(a, b, 0, 0);
        einc_tensor *c = einc__reduce_axes(ctx, ops[i], x, EINC_DIMS(0, 2), true);
        CHECK_TENSOR_CLOSE(c, b, 0, 0);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(golden_softmax_and_log_softmax) {
    einc_ctx *ctx = einc_ctx_create();
    const char *inputs[] = {"x_f32", "x_f64", "x_i32", "xbig_f32", "xbig_f64"};
    const char *names[] = {"f32", "f64", "i32", "big_f32", "big_f64"};
    char name[128];
    for (int t = 0; t < 5; t++) {
        einc_scope_begin(ctx);
        snprintf(name, sizeof name, "reduce/%s", inputs[t]);
        einc_tensor *x = test_golden(ctx, name);
        for (int lg = 0; lg < 2 && x; lg++) {
            snprintf(name, sizeof name, "reduce/%s_%s", lg ? "log_softmax" : "softmax", names[t]);
            einc_tensor *expected = test_golden(ctx, name);
            if (!expected) continue;
            einc_dtype dt = einc_tensor_dtype(expected);
            /* float32: about 1 ulp from exp_f32 and 1 from the final rounding */
            double rtol = dt == EINC_FLOAT32 ? 5e-7 : 1e-12, atol = dt == EINC_FLOAT32 ? 1e-9 : 1e-14;
            int64_t off = 0;
            for (int s = 0; s < NUM_SM_SETS; s++) {
                einc_tensor *r = einc__softmax_axes(ctx, x, SM_SETS[s].naxes, set_axes(&SM_SETS[s]), lg);
                CHECK(r && einc_tensor_ndim(r) == 3);
                int64_t before = off;
                check_slice(ctx, r, expected, &off, rtol, atol, name, s);
                if (SM_SETS[s].naxes == 1) { /* the public one-axis form */
                    einc_tensor *p = lg ? einc_tensor_log_softmax(ctx, x, SM_SETS[s].axes[0])
                                        : einc_tensor_softmax(ctx, x, SM_SETS[s].axes[0]);
                    check_slice(ctx, p, expected, &before, rtol, atol, name, s);
                }
            }
            CHECK_EQ_INT(off, einc_tensor_numel(expected));
        }
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(golden_logsumexp_large_magnitudes) {
    einc_ctx *ctx = einc_ctx_create();
    const char *dts[] = {"f32", "f64"};
    char name[128];
    for (int t = 0; t < 2; t++) {
        snprintf(name, sizeof name, "reduce/xbig_%s", dts[t]);
        einc_tensor *x = test_golden(ctx, name);
        snprintf(name, sizeof name, "reduce/logsumexp_big_%s", dts[t]);
        einc_tensor *expected = test_golden(ctx, name);
        if (!x || !expected) continue;
        int64_t off = 0;
        for (int s = 0; s < NUM_SETS; s++) {
            einc_tensor *r =
                einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP, x, SETS[s].naxes, set_axes(&SETS[s]), false);
            check_slice(ctx, r, expected, &off, t ? 1e-13 : 1e-6, 0, name, s);
        }
        /* the values really are out of exp's range: a naive log(sum(exp(x))) would give inf */
        CHECK(einc_tensor_item(einc_tensor_max(ctx, x, EINC_ALL, false)) > 1000);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(golden_nan_and_infinities) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = test_golden(ctx, "reduce/x_special");
    const einc_reduce_op ops[] = {EINC_REDUCE_SUM,    EINC_REDUCE_MAX,          EINC_REDUCE_MIN,
                                  EINC_REDUCE_ARGMAX, EINC_REDUCE_ARGMIN,       EINC_REDUCE_LOGSUMEXP,
                                  EINC_REDUCE_ANY,    EINC_REDUCE_COUNT_NONZERO};
    char name[128];
    for (int i = 0; i < 8 && x; i++) {
        snprintf(name, sizeof name, "reduce/%s_special", einc_reduce_op_name(ops[i]));
        einc_tensor *expected = test_golden(ctx, name);
        if (!expected) continue;
        int64_t off = 0;
        /* axis 1: one output's row at a time; axis 0: 8 outputs accumulated as columns */
        check_slice(ctx, einc_tensor_reduce(ctx, ops[i], x, EINC_DIMS(1), false), expected, &off, 1e-6, 0, name, 1);
        check_slice(ctx, einc_tensor_reduce(ctx, ops[i], x, EINC_DIMS(0), false), expected, &off, 1e-6, 0, name, 0);
    }
    for (int lg = 0; lg < 2 && x; lg++) {
        snprintf(name, sizeof name, "reduce/%s_special", lg ? "log_softmax" : "softmax");
        einc_tensor *expected = test_golden(ctx, name);
        if (!expected) continue;
        int64_t off = 0;
        check_slice(ctx, einc__softmax_axes(ctx, x, EINC_DIMS(1), lg), expected, &off, 5e-7, 1e-9, name, 1);
        check_slice(ctx, einc__softmax_axes(ctx, x, EINC_DIMS(0), lg), expected, &off, 5e-7, 1e-9, name, 0);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(golden_int64_beyond_2_pow_53_is_exact) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = test_golden(ctx, "reduce/x_i64big");
    const einc_reduce_op ops[] = {EINC_REDUCE_SUM, EINC_REDUCE_PROD,   EINC_REDUCE_MAX,
                                  EINC_REDUCE_MIN, EINC_REDUCE_ARGMAX, EINC_REDUCE_ARGMIN};
    char name[128];
    for (int i = 0; i < 6 && x; i++) {
        snprintf(name, sizeof name, "reduce/%s_i64big", einc_reduce_op_name(ops[i]));
        einc_tensor *expected = test_golden(ctx, name);
        if (!expected) continue;
        int64_t e[7];
        CHECK(einc_tensor_to_buffer(expected, e, sizeof e) == EINC_OK);
        check_exact_i64(einc_tensor_reduce(ctx, ops[i], x, EINC_DIMS(1), false), e, 2, name);
        check_exact_i64(einc_tensor_reduce(ctx, ops[i], x, EINC_DIMS(0), false), e + 2, 4, name);
        check_exact_i64(einc_tensor_reduce(ctx, ops[i], x, EINC_ALL, false), e + 6, 1, name);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- degenerate shapes (NumPy's documented results) ------------------------------------------ */

TEST(empty_reductions) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(0, 3));
    struct {
        einc_reduce_op op;
        einc_dtype dt;
        double v;
    } cases[] = {{EINC_REDUCE_SUM, EINC_FLOAT32, 0},
                 {EINC_REDUCE_PROD, EINC_FLOAT32, 1},
                 {EINC_REDUCE_MEAN, EINC_FLOAT32, NAN},
                 {EINC_REDUCE_VAR, EINC_FLOAT32, NAN},
                 {EINC_REDUCE_STD, EINC_FLOAT32, NAN},
                 {EINC_REDUCE_ANY, EINC_BOOL, 0},
                 {EINC_REDUCE_ALL, EINC_BOOL, 1},
                 {EINC_REDUCE_COUNT_NONZERO, EINC_INT64, 0},
                 {EINC_REDUCE_LOGSUMEXP, EINC_FLOAT32, -INFINITY}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        einc_tensor *r = einc_tensor_reduce(ctx, cases[i].op, x, EINC_DIMS(0), false);
        CHECK(r && einc_tensor_ndim(r) == 1 && einc_tensor_dim(r, 0) == 3);
        CHECK_EQ_INT(einc_tensor_dtype(r), cases[i].dt);
        for (int64_t j = 0; j < 3 && r; j++) {
            double v = einc_tensor_get(r, &j);
            CHECK(v == cases[i].v || (isnan(v) && isnan(cases[i].v)));
        }
        /* reducing the non-empty axis gives an empty result, for every op */
        einc_tensor *e = einc_tensor_reduce(ctx, cases[i].op, x, EINC_DIMS(1), true);
        CHECK(e && einc_tensor_numel(e) == 0 && einc_tensor_dim(e, 1) == 1);
    }
    einc_tensor *xi = einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(0, 3));
    einc_tensor *si = einc_tensor_sum(ctx, xi, EINC_DIMS(0), false);
    CHECK(si && einc_tensor_dtype(si) == EINC_INT64 && einc_tensor_get(si, (int64_t[]){2}) == 0);
    CHECK_TENSOR_CLOSE(einc_tensor_argmax(ctx, x, EINC_DIMS(1), false),
                       einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(0)), 0, 0);
    /* max/argmax of nothing has no answer */
    CHECK(einc_tensor_max(ctx, x, EINC_DIMS(0), false) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "max of an empty block");
    CHECK(einc_tensor_argmax(ctx, x, EINC_ALL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "shape (0, 3)");
    CHECK(einc_tensor_reduce(ctx, EINC_REDUCE_ARGMIN, x, EINC_DIMS(0), false) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "argmin");
    /* NumPy raises even when the result would be empty too */
    einc_tensor *z = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(0, 0));
    CHECK(einc_tensor_min(ctx, z, EINC_DIMS(1), false) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "min");
    /* softmax of an empty tensor is empty */
    einc_tensor *s = einc_tensor_softmax(ctx, x, 0);
    CHECK(s && einc_tensor_numel(s) == 0 && einc_tensor_ndim(s) == 2);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(zero_d_and_no_axes) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *s = einc_tensor_scalar(ctx, EINC_FLOAT32, 3.5);
    einc_tensor *r = einc_tensor_sum(ctx, s, EINC_ALL, false);
    CHECK(r && einc_tensor_ndim(r) == 0 && einc_tensor_dtype(r) == EINC_FLOAT32 && einc_tensor_item(r) == 3.5);
    r = einc_tensor_sum(ctx, s, EINC_ALL, true);
    CHECK(r && einc_tensor_ndim(r) == 0);
    CHECK_EQ_INT(einc_tensor_item(einc_tensor_argmax(ctx, s, EINC_ALL, false)), 0);
    CHECK_EQ_INT(einc_tensor_item(einc_tensor_reduce(ctx, EINC_REDUCE_VAR, s, EINC_ALL, false)), 0);
    CHECK_CLOSE(einc_tensor_item(einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP, s, 0, NULL, false)), 3.5, 0);
    CHECK_CLOSE(einc_tensor_item(einc__softmax_axes(ctx, s, EINC_ALL, false)), 1.0, 0);
    CHECK_CLOSE(einc_tensor_item(einc__softmax_axes(ctx, s, EINC_ALL, true)), 0.0, 0);
    CHECK(einc_tensor_sum(ctx, s, EINC_DIMS(0), false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "axis 0 is out of range for a tensor with 0 dimensions");
    CHECK(einc_tensor_softmax(ctx, s, -1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_softmax: axis -1 is out of range");

    /* naxes = 0 reduces nothing (NumPy's axis=()): each element is its own block */
    int32_t data[6] = {3, 0, -2, 7, 0, 1};
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_INT32, EINC_SHAPE(2, 3), data);
    einc_tensor *sum = einc_tensor_sum(ctx, x, 0, NULL, false);
    CHECK(sum && einc_tensor_dtype(sum) == EINC_INT64);
    CHECK_TENSOR_CLOSE_ANYTYPE(sum, x, 0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_max(ctx, x, 0, NULL, false), x, 0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_reduce(ctx, EINC_REDUCE_VAR, x, 0, NULL, false),
                       einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(2, 3)), 0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_argmax(ctx, x, 0, NULL, true), einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(2, 3)),
                       0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_reduce(ctx, EINC_REDUCE_ANY, x, 0, NULL, false), einc_tensor_cast(ctx, x, EINC_BOOL),
                       0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_reduce(ctx, EINC_REDUCE_COUNT_NONZERO, x, 0, NULL, false),
                       einc_tensor_cast(ctx, einc_tensor_cast(ctx, x, EINC_BOOL), EINC_INT64), 0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP, x, 0, NULL, false),
                       einc_tensor_cast(ctx, x, EINC_FLOAT64), 0, 0);
    CHECK_TENSOR_CLOSE(einc__softmax_axes(ctx, x, 0, NULL, false),
                       einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2, 3)), 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(argmax_over_several_axes_is_the_flat_index_in_the_block) {
    einc_ctx *ctx = einc_ctx_create();
    /* x[i, j, k] with the maximum of each i-group at (j, k) = (1, 2) -> flat index 1 * 4 + 2 = 6 */
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    einc_tensor_set(x, (int64_t[]){0, 1, 2}, 5);
    einc_tensor_set(x, (int64_t[]){1, 1, 2}, 5);
    einc_tensor_set(x, (int64_t[]){1, 2, 3}, 5); /* a later tie: the first one wins */
    einc_tensor *a = einc_tensor_argmax(ctx, x, EINC_DIMS(2, 1), false);
    CHECK(a && einc_tensor_get(a, (int64_t[]){0}) == 6 && einc_tensor_get(a, (int64_t[]){1}) == 6);
    /* over all axes: NumPy's argmax with axis=None */
    CHECK_EQ_INT(einc_tensor_item(einc_tensor_argmax(ctx, x, EINC_ALL, false)), 6);
    /* the same through a permuted view: the index follows the VIEW's row-major order */
    einc_tensor *p = einc_tensor_permute(ctx, x, EINC_DIMS(0, 2, 1));
    a = einc_tensor_argmax(ctx, p, EINC_DIMS(1, 2), false);
    CHECK(a && einc_tensor_get(a, (int64_t[]){0}) == 2 * 3 + 1);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- strided inputs ---------------------------------------------------------------------------- */

/* Compares op(v) with op(contiguous copy of v), and with the _ref kernel, over several axis sets. */
static void check_view_against_copy(einc_ctx *ctx, einc_tensor *v, const char *what) {
    einc_tensor *c = einc_tensor_clone(ctx, v);
    CHECK(c && !einc_tensor_is_contiguous(v));
    einc_dtype dt = einc_tensor_dtype(v);
    for (int op = 0; op < NUM_OPS; op++) {
        for (int s = 0; s < NUM_SETS; s++) {
            einc_tensor *a = einc_tensor_reduce(ctx, (einc_reduce_op)op, v, SETS[s].naxes, set_axes(&SETS[s]), true);
            einc_tensor *b = einc_tensor_reduce(ctx, (einc_reduce_op)op, c, SETS[s].naxes, set_axes(&SETS[s]), true);
            einc_dtype rdt = einc__reduce_dtype((einc_reduce_op)op, dt);
            if (!test_tensors_close_(__FILE__, __LINE__, a, b, rtol_for(rdt), rtol_for(rdt), 1))
                fprintf(stderr, "  %s: %s over axis set %d\n", what, einc_reduce_op_name((einc_reduce_op)op), s);
            uint32_t mask;
            CHECK(einc__reduce_mask(ctx, "test", 3, SETS[s].naxes, set_axes(&SETS[s]), &mask));
            einc_tensor *r = einc_tensor_empty(ctx, rdt, einc_tensor_ndim(a), einc_tensor_shape(a));
            einc__view yv = einc__view_of(r), xv = einc__view_of(v);
            einc__k_reduce_ref((einc_reduce_op)op, &yv, &xv, mask, 0, 1);
            if (!test_tensors_close_(__FILE__, __LINE__, a, r, rtol_for(rdt), rtol_for(rdt), 1))
                fprintf(stderr, "  %s: %s over axis set %d vs ref\n", what, einc_reduce_op_name((einc_reduce_op)op), s);
        }
    }
    for (int s = 0; s < NUM_SM_SETS; s++)
        for (int lg = 0; lg < 2; lg++) {
            einc_tensor *a = einc__softmax_axes(ctx, v, SM_SETS[s].naxes, set_axes(&SM_SETS[s]), lg);
            einc_tensor *b = einc__softmax_axes(ctx, c, SM_SETS[s].naxes, set_axes(&SM_SETS[s]), lg);
            if (!CHECK_TENSOR_CLOSE(a, b, 5e-7, 1e-9)) fprintf(stderr, "  %s: softmax set %d\n", what, s);
        }
    CHECK_OK(ctx);
}

/* uint64 over its whole range, contiguous, permuted (the column passes) and flipped: the kernel's
 * results bit for bit against the reference twin's (doubles do not hold every uint64), and the
 * extrema as unsigned (int64 would take 2^63 for the smallest). */
TEST(uint64_reductions_match_reference) {
    static const einc_reduce_op ops[] = {EINC_REDUCE_SUM, EINC_REDUCE_PROD,   EINC_REDUCE_MAX,
                                         EINC_REDUCE_MIN, EINC_REDUCE_ARGMAX, EINC_REDUCE_ARGMIN,
                                         EINC_REDUCE_ANY, EINC_REDUCE_ALL,    EINC_REDUCE_COUNT_NONZERO};
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_empty(ctx, EINC_UINT64, EINC_SHAPE(4, 6, 40));
    uint64_t *u = einc_tensor_data(x), z = 12345;
    for (int64_t i = 0; i < 4 * 6 * 40; i++) {
        z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = i % 5 == 0 ? z >> 60 : z; /* small values and ties among the large ones */
    }
    einc_tensor *views[3] = {x, einc_tensor_permute(ctx, x, EINC_DIMS(2, 0, 1)),
                             einc_tensor_flip(ctx, x, EINC_DIMS(2))};
    for (int k = 0; k < 3; k++)
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            for (int s = 0; s < NUM_SETS; s++) {
                einc_tensor *a = einc_tensor_reduce(ctx, ops[o], views[k], SETS[s].naxes, set_axes(&SETS[s]), true);
                uint32_t mask;
                CHECK(einc__reduce_mask(ctx, "test", 3, SETS[s].naxes, set_axes(&SETS[s]), &mask));
                einc_tensor *r = einc_tensor_empty(ctx, einc__reduce_dtype(ops[o], EINC_UINT64), einc_tensor_ndim(a),
                                                   einc_tensor_shape(a));
                einc__view yv = einc__view_of(r), xv = einc__view_of(views[k]);
                einc__k_reduce_ref(ops[o], &yv, &xv, mask, 0, 1);
                size_t bytes = (size_t)einc_tensor_numel(r) * einc_dtype_size(einc_tensor_dtype(r));
                bool same = a && einc_tensor_dtype(a) == einc_tensor_dtype(r) &&
                            memcmp(einc_tensor_data(a), einc_tensor_data(r), bytes) == 0;
                if (!same) fprintf(stderr, "  uint64 %s, view %d, axis set %d\n", einc_reduce_op_name(ops[o]), k, s);
                CHECK(same);
            }
    uint64_t v[3] = {1ULL << 63, 1, UINT64_MAX};
    einc_tensor *t = einc_tensor_from_data(ctx, EINC_UINT64, EINC_SHAPE(3), v);
    uint64_t mx = 0, mn = 0, sum = 0;
    CHECK_EQ_INT(einc_tensor_to_buffer(einc_tensor_max(ctx, t, EINC_ALL, false), &mx, 8), EINC_OK);
    CHECK_EQ_INT(einc_tensor_to_buffer(einc_tensor_min(ctx, t, EINC_ALL, false), &mn, 8), EINC_OK);
    CHECK_EQ_INT(einc_tensor_to_buffer(einc_tensor_sum(ctx, t, EINC_ALL, false), &sum, 8), EINC_OK);
    CHECK(mx == UINT64_MAX && mn == 1 && sum == 1ULL << 63); /* the sum wraps modulo 2^64 */
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(non_contiguous_broadcast_and_negative_stride_inputs) {
    einc_ctx *ctx = einc_ctx_create();
    einc_seed(ctx, 7);
    einc_dtype dts[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT32, EINC_INT64, EINC_BOOL};
    for (int t = 0; t < 5; t++) {
        einc_scope_begin(ctx);
        einc_tensor *r = einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(4, 6, 40));
        /* integers in [-3, 3] (many ties), bools about half true */
        einc_tensor *x = dts[t] == EINC_FLOAT64   ? r
                         : dts[t] == EINC_FLOAT32 ? einc_tensor_cast(ctx, r, EINC_FLOAT32)
                                                  : einc_tensor_cast(ctx, scaled(ctx, r, 2.0), dts[t]);
        char what[64];
        snprintf(what, sizeof what, "%s permuted", einc_dtype_name(dts[t]));
        check_view_against_copy(ctx, einc_tensor_permute(ctx, x, EINC_DIMS(2, 0, 1)), what);
        snprintf(what, sizeof what, "%s flipped", einc_dtype_name(dts[t]));
        check_view_against_copy(ctx, einc_tensor_flip(ctx, x, EINC_DIMS(0, 2)), what);
        snprintf(what, sizeof what, "%s step -3", einc_dtype_name(dts[t]));
        check_view_against_copy(ctx, einc_tensor_slice(ctx, x, 2, INT64_MAX, INT64_MIN, -3), what);
        snprintf(what, sizeof what, "%s step 2, permuted", einc_dtype_name(dts[t]));
        check_view_against_copy(
            ctx, einc_tensor_permute(ctx, einc_tensor_slice(ctx, x, 1, 0, 6, 2), EINC_DIMS(1, 2, 0)), what);
        snprintf(what, sizeof what, "%s broadcast", einc_dtype_name(dts[t]));
        einc_tensor *row = einc_tensor_narrow(ctx, x, 0, 1, 1);
        check_view_against_copy(ctx, einc_tensor_expand(ctx, row, EINC_SHAPE(5, 6, 40)), what);
        snprintf(what, sizeof what, "%s broadcast inner", einc_dtype_name(dts[t]));
        einc_tensor *col = einc_tensor_narrow(ctx, x, 2, 3, 1);
        check_view_against_copy(ctx, einc_tensor_expand(ctx, col, EINC_SHAPE(4, 6, 9)), what);
        einc_scope_end(ctx);
    }
    /* a broadcast sum is a multiple: sum over the stretched axis = 5 * row */
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 12, 1);
    einc_tensor *b = einc_tensor_expand(ctx, einc_tensor_view(ctx, x, EINC_SHAPE(1, 12)), EINC_SHAPE(5, 12));
    CHECK_TENSOR_CLOSE(einc_tensor_sum(ctx, b, EINC_DIMS(0), false), einc_tensor_arange(ctx, EINC_FLOAT32, 0, 60, 5), 0,
                       0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- optimised kernels vs their _ref twins on random shapes ------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n) {
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(rng_state >> 33) % n;
}

/* A random tensor of `dt` viewed through random permutes, flips, steps and broadcasts, ndim
 * dimensions of sizes from `sizes` (a few fixed big shapes cover chunk boundaries). */
static einc_tensor *random_view(einc_ctx *ctx, einc_dtype dt, int ndim, const int64_t *shape) {
    int64_t base[EINC_MAX_DIMS];
    int step_axis = ndim ? (int)rnd((uint32_t)ndim) : -1;
    bool broadcast = ndim && rnd(4) == 0;
    int bcast_axis = ndim ? (int)rnd((uint32_t)ndim) : -1;
    for (int d = 0; d < ndim; d++) {
        base[d] = shape[d];
        if (d == step_axis && rnd(3) == 0) base[d] = 2 * shape[d]; /* sliced with step 2 below */
        if (broadcast && d == bcast_axis) base[d] = 1;
    }
    einc_tensor *r = einc_tensor_randn(ctx, EINC_FLOAT64, ndim, base);
    int64_t n = einc_tensor_numel(r);
    if (n > 0 && rnd(3) == 0 && einc__dtype_is_float(dt)) { /* sprinkle NaN and infinities */
        double *p = einc_tensor_data(r);
        for (int k = 0; k < 3; k++) p[rnd((uint32_t)n)] = k == 0 ? NAN : k == 1 ? INFINITY : -INFINITY;
    }
    einc_tensor *x =
        einc__dtype_is_float(dt) ? einc_tensor_cast(ctx, r, dt) : einc_tensor_cast(ctx, scaled(ctx, r, 2.0), dt);
    if (step_axis >= 0 && base[step_axis] == 2 * shape[step_axis] && shape[step_axis] > 0)
        x = einc_tensor_slice(ctx, x, step_axis, rnd(2), INT64_MAX, 2);
    if (broadcast) x = einc_tensor_expand(ctx, x, ndim, shape);
    if (ndim > 1 && rnd(2)) { /* permute, then undo it with the shape: the view keeps `shape` */
        int perm[EINC_MAX_DIMS];
        for (int d = 0; d < ndim; d++) perm[d] = d;
        for (int d = ndim - 1; d > 0; d--) {
            int j = (int)rnd((uint32_t)d + 1), t = perm[d];
            perm[d] = perm[j], perm[j] = t;
        }
        int inv[EINC_MAX_DIMS];
        for (int d = 0; d < ndim; d++) inv[perm[d]] = d;
        x = einc_tensor_permute(ctx, einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, x, ndim, perm)), ndim, inv);
    }
    if (ndim > 0 && rnd(3) == 0) {
        int f = (int)rnd((uint32_t)ndim);
        x = einc_tensor_flip(ctx, x, 1, &f);
    }
    return x;
}

/* Runs the kernel split into nth parts (as nth threads would) and compares bitwise with `want`. */
static void check_split_reduce(einc_ctx *ctx, einc_reduce_op op, einc_tensor *want, einc_tensor *x, uint32_t mask) {
    for (int nth = 2; nth <= 5; nth += 3) {
        einc_tensor *y =
            einc_tensor_empty(ctx, einc_tensor_dtype(want), einc_tensor_ndim(want), einc_tensor_shape(want));
        einc__view yv = einc__view_of(y), xv = einc__view_of(x);
        for (int ith = nth - 1; ith >= 0; ith--) einc__k_reduce(op, &yv, &xv, mask, ith, nth);
        size_t bytes = (size_t)einc_tensor_numel(want) * einc_dtype_size(einc_tensor_dtype(want));
        CHECK(bytes == 0 || memcmp(einc_tensor_data(y), einc_tensor_data(want), bytes) == 0);
    }
}

TEST(kernels_match_ref_on_random_shapes) {
    einc_ctx *ctx = einc_ctx_create();
    einc_set_threads(ctx, 1);
    einc_seed(ctx, 11);
    static const int64_t fixed[][3] = {{3, 2500, 1}, {2, 3000, 1}, {2500, 3, 1}, {40, 30, 20}, {9, 1, 1100}};
    const einc_dtype dts[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT32, EINC_INT64, EINC_BOOL};
    for (int it = 0; it < 400; it++) {
        einc_scope_begin(ctx);
        int ndim;
        int64_t shape[EINC_MAX_DIMS];
        if (it < 5 * 6) {
            ndim = 3;
            for (int d = 0; d < 3; d++) shape[d] = fixed[it % 5][d];
        } else {
            ndim = (int)rnd(5);
            for (int d = 0; d < ndim; d++) shape[d] = rnd(8) == 0 ? 9 + rnd(30) : rnd(7);
        }
        einc_dtype dt = dts[rnd(5)];
        einc_reduce_op op = (einc_reduce_op)rnd(NUM_OPS);
        uint32_t mask = ndim ? rnd(1u << ndim) : 0;
        if (it < 5 * 6) mask = (uint32_t)(it / 5 % 3 + 1); /* {0}, {1}, {0, 1} */
        einc_tensor *x = random_view(ctx, dt, ndim, shape);
        int axes[EINC_MAX_DIMS], naxes = 0;
        for (int d = 0; d < ndim; d++)
            if (mask & (1u << d)) axes[naxes++] = d;
        einc_tensor *y = einc_tensor_reduce(ctx, op, x, naxes, axes, true);
        if (!y) {
            /* only max/min/argmax/argmin of an empty block may fail */
            CHECK(op == EINC_REDUCE_MAX || op == EINC_REDUCE_MIN || op == EINC_REDUCE_ARGMAX ||
                  op == EINC_REDUCE_ARGMIN);
            CHECK_ERROR(ctx, EINC_EVALUE, "empty block");
        } else {
            einc_tensor *r = einc_tensor_empty(ctx, einc_tensor_dtype(y), ndim, einc_tensor_shape(y));
            einc__view yv = einc__view_of(r), xv = einc__view_of(x);
            einc__k_reduce_ref(op, &yv, &xv, mask, 0, 1);
            double tol = rtol_for(einc_tensor_dtype(y)) * 4;
            if (!test_tensors_close_(__FILE__, __LINE__, y, r, tol, tol, 1)) {
                char s[128];
                fprintf(stderr, "  it %d: %s of %s %s over mask %#x\n", it, einc_reduce_op_name(op),
                        einc_dtype_name(dt), einc__shape_str(s, sizeof s, ndim, shape), mask);
            }
            check_split_reduce(ctx, op, y, x, mask);
        }
        /* softmax over the same set */
        einc_tensor *s = einc__softmax_axes(ctx, x, naxes, axes, op & 1);
        CHECK(s != NULL);
        if (s) {
            einc_tensor *r = einc_tensor_empty(ctx, einc_tensor_dtype(s), ndim, shape);
            einc__view yv = einc__view_of(r), xv = einc__view_of(x);
            einc__k_softmax_ref(&yv, &xv, mask, op & 1, 0, 1);
            if (!CHECK_TENSOR_CLOSE(s, r, 5e-7, 1e-9)) fprintf(stderr, "  it %d: softmax mask %#x\n", it, mask);
            einc_tensor *q = einc_tensor_empty(ctx, einc_tensor_dtype(s), ndim, shape);
            einc__view qv = einc__view_of(q);
            for (int ith = 0; ith < 3; ith++) einc__k_softmax(&qv, &xv, mask, op & 1, ith, 3);
            size_t bytes = (size_t)einc_tensor_numel(s) * einc_dtype_size(einc_tensor_dtype(s));
            CHECK(bytes == 0 || memcmp(einc_tensor_data(q), einc_tensor_data(s), bytes) == 0);
        }
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* ---- threads ----------------------------------------------------------------------------------- */

TEST(results_do_not_depend_on_the_thread_count) {
    einc_ctx *ctx = einc_ctx_create();
    einc_seed(ctx, 3);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(256, 1030));
    einc_tensor *xi = einc_tensor_cast(ctx, scaled(ctx, x, 100), EINC_INT32);
    einc_tensor *xt = einc_tensor_permute(ctx, x, EINC_DIMS(1, 0));
    struct {
        einc_reduce_op op;
        einc_tensor *x;
        int naxes;
        int axes[2];
    } cases[] = {
        {EINC_REDUCE_SUM, x, 1, {1}},       {EINC_REDUCE_SUM, x, 1, {0}},     {EINC_REDUCE_MEAN, xt, 1, {1}},
        {EINC_REDUCE_VAR, x, 1, {0}},       {EINC_REDUCE_STD, x, 1, {1}},     {EINC_REDUCE_MAX, x, 1, {0}},
        {EINC_REDUCE_ARGMAX, x, 1, {1}},    {EINC_REDUCE_ARGMIN, xt, 1, {1}}, {EINC_REDUCE_LOGSUMEXP, x, 1, {0}},
        {EINC_REDUCE_LOGSUMEXP, x, 1, {1}}, {EINC_REDUCE_PROD, xi, 1, {0}},   {EINC_REDUCE_SUM, xi, 1, {1}}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        einc_set_threads(ctx, 1);
        einc_tensor *a = einc_tensor_reduce(ctx, cases[i].op, cases[i].x, cases[i].naxes, cases[i].axes, false);
        einc_set_threads(ctx, 2);
        einc_tensor *b = einc_tensor_reduce(ctx, cases[i].op, cases[i].x, cases[i].naxes, cases[i].axes, false);
        CHECK(a && b);
        if (!a || !b) continue;
        size_t bytes = (size_t)einc_tensor_numel(a) * einc_dtype_size(einc_tensor_dtype(a));
        if (memcmp(einc_tensor_data(a), einc_tensor_data(b), bytes) != 0) {
            fprintf(stderr, "case %zu (%s) differs between 1 and 2 threads\n", i, einc_reduce_op_name(cases[i].op));
            CHECK(0);
        }
    }
    for (int i = 0; i < 4; i++) {
        int axis = i & 1;
        einc_set_threads(ctx, 1);
        einc_tensor *a = einc__softmax_axes(ctx, x, 1, &axis, i >= 2);
        einc_set_threads(ctx, 2);
        einc_tensor *b = einc__softmax_axes(ctx, x, 1, &axis, i >= 2);
        CHECK(a && b && memcmp(einc_tensor_data(a), einc_tensor_data(b), 4 * (size_t)einc_tensor_numel(a)) == 0);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- errors ------------------------------------------------------------------------------------ */

TEST(error_paths) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    CHECK(einc_tensor_sum(ctx, x, EINC_DIMS(3), false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_sum: axis 3 is out of range for a tensor with 3 dimensions");
    CHECK(einc_tensor_reduce(ctx, EINC_REDUCE_PROD, x, EINC_DIMS(0, -4), false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_reduce: axis -4 is out of range");
    CHECK(einc_tensor_mean(ctx, x, EINC_DIMS(1, -2), false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_mean: axis -2 appears twice in axes (1, -2)");
    CHECK(einc_tensor_max(ctx, x, -2, NULL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "naxes -2 is invalid");
    CHECK(einc_tensor_min(ctx, x, 1, NULL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "axes is NULL but naxes is 1");
    CHECK(einc_tensor_reduce(ctx, (einc_reduce_op)99, x, EINC_ALL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "unknown reduction op 99");
    CHECK(einc_tensor_argmax(ctx, NULL, EINC_ALL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_argmax: tensor argument 'x' is NULL");
    CHECK(einc_tensor_reduce(ctx, EINC_REDUCE_SUM, NULL, EINC_ALL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_reduce: tensor argument 'x' is NULL");
    CHECK(einc_tensor_softmax(ctx, x, 3) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_softmax: axis 3 is out of range");
    CHECK(einc_tensor_log_softmax(ctx, NULL, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_log_softmax: tensor argument 'x' is NULL");
    CHECK(einc__softmax_axes(ctx, x, EINC_DIMS(2, 2), false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "axis 2 appears twice");
    CHECK(einc_tensor_sum(NULL, x, EINC_ALL, false) == NULL);
    CHECK(einc_tensor_softmax(NULL, x, 0) == NULL);
    /* sticky: the first error is kept, later ones do not overwrite it */
    CHECK(einc_tensor_sum(ctx, x, EINC_DIMS(5), false) == NULL);
    CHECK(einc_tensor_argmax(ctx, einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(0)), EINC_ALL, false) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "axis 5");
    /* op names */
    CHECK(strcmp(einc_reduce_op_name(EINC_REDUCE_LOGSUMEXP), "logsumexp") == 0);
    CHECK(strcmp(einc_reduce_op_name(EINC_REDUCE_COUNT_NONZERO), "count_nonzero") == 0);
    CHECK(strcmp(einc_reduce_op_name((einc_reduce_op)-1), "invalid") == 0);
    CHECK(strcmp(einc_reduce_op_name((einc_reduce_op)NUM_OPS), "invalid") == 0);
    einc_ctx_destroy(ctx);
}

TEST(fail_nth_allocation_sweep) {
    bool completed = false;
    for (long budget = 0; budget < 400 && !completed; budget++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        einc_tensor *a = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1);
        einc_tensor *x = einc_tensor_view(ctx, a, EINC_SHAPE(2, 3, 4));
        einc_tensor *t = einc_tensor_permute(ctx, x, EINC_DIMS(2, 0, 1));
        einc_tensor *r[8] = {
            einc_tensor_sum(ctx, x, EINC_DIMS(1), false),
            einc_tensor_reduce(ctx, EINC_REDUCE_VAR, t, EINC_DIMS(0, 2), true),
            einc_tensor_argmax(ctx, x, EINC_ALL, false),
            einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP, t, EINC_DIMS(1), false),
            einc_tensor_softmax(ctx, x, -1),
            einc_tensor_log_softmax(ctx, t, 0),
            einc__softmax_axes(ctx, x, EINC_DIMS(0, 2), false),
            einc__reduce_axes(ctx, EINC_REDUCE_COUNT_NONZERO, t, EINC_ALL, true),
        };
        bool all = a && x && t;
        for (int i = 0; i < 8; i++) all = all && r[i];
        if (all) {
            completed = true;
            CHECK_OK(ctx);
            CHECK_CLOSE(einc_tensor_item(r[2]), 23, 0);
        } else {
            CHECK_EQ_INT(einc_errcode(ctx), EINC_ENOMEM);
        }
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live, 0);
        CHECK_EQ_INT(st.live_blocks, 0);
    }
    CHECK(completed);
}

int main(void) {
    RUN(golden_every_op_dtype_and_axis_set);
    RUN(golden_conveniences_match_reduce);
    RUN(golden_softmax_and_log_softmax);
    RUN(golden_logsumexp_large_magnitudes);
    RUN(golden_nan_and_infinities);
    RUN(golden_int64_beyond_2_pow_53_is_exact);
    RUN(empty_reductions);
    RUN(zero_d_and_no_axes);
    RUN(argmax_over_several_axes_is_the_flat_index_in_the_block);
    RUN(non_contiguous_broadcast_and_negative_stride_inputs);
    RUN(uint64_reductions_match_reference);
    RUN(kernels_match_ref_on_random_shapes);
    RUN(results_do_not_depend_on_the_thread_count);
    RUN(error_paths);
    RUN(fail_nth_allocation_sweep);
    return test_summary();
}
