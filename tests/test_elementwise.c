/* test_elementwise.c — unary, binary, where and scalar operations against NumPy golden data
 * (tests/golden/gen_elementwise.py), dtype promotion, error paths, a fail-the-Nth-allocation
 * sweep, and the optimised kernels against their reference twins on random strided views. */
#include <stdarg.h>

#include "kernels/elementwise.h"
#include "test.h"

#define NDT 5
#define NUM_UNARY ((int)EINC_LOGICAL_NOT + 1)
#define NUM_BINARY ((int)EINC_MOD + 1)

/* The golden files' dtype order is einc's enum order. */
static const einc_dtype DTS[NDT] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT64, EINC_INT32, EINC_BOOL};

/* Loads tests/golden/elementwise/<printf name>.npy. */
static einc_tensor *gold(einc_ctx *ctx, const char *fmt, ...) {
    char name[256] = "elementwise/";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + strlen(name), sizeof name - strlen(name), fmt, ap);
    va_end(ap);
    return test_golden(ctx, name);
}

static double rtol_of(int dt) { return dt == EINC_FLOAT32 ? 2e-6 : dt == EINC_FLOAT64 ? 1e-12 : 0.0; }
static double atol_of(int dt) { return dt == EINC_FLOAT32 ? 1e-37 : dt == EINC_FLOAT64 ? 1e-300 : 0.0; }

/* Values within the tolerance of dtype dt (exact for integers and bools); says where on failure. */
#define CHECK_VALUES(y, e, dt, ...)                                                                                    \
    do {                                                                                                               \
        if (!test_tensors_close_(__FILE__, __LINE__, (y), (e), rtol_of(dt), atol_of(dt), 0)) {                         \
            fprintf(stderr, "  in: ");                                                                                 \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fprintf(stderr, "\n");                                                                                     \
        }                                                                                                              \
    } while (0)

/* Exact comparison through int64 (doubles cannot tell INT64_MAX from INT64_MAX - 1). */
static void check_exact_int(einc_ctx *ctx, einc_tensor *y, einc_tensor *expected, const char *what) {
    einc_tensor *a = einc_tensor_cast(ctx, y, EINC_INT64), *b = einc_tensor_cast(ctx, expected, EINC_INT64);
    if (!a || !b || einc_tensor_numel(a) != einc_tensor_numel(b)) {
        fprintf(stderr, "%s: missing result or size mismatch\n", what);
        test_failed_checks_++;
        return;
    }
    const int64_t *p = einc_tensor_data(a), *q = einc_tensor_data(b);
    for (int64_t i = 0; i < einc_tensor_numel(a); i++) {
        if (p[i] != q[i]) {
            fprintf(stderr, "%s: element %lld is %lld, expected %lld\n", what, (long long)i, (long long)p[i],
                    (long long)q[i]);
            test_failed_checks_++;
            return;
        }
    }
}

/* The same values as t in another layout: bit 0 transposes the storage (a non-contiguous view),
 * bit 1 reverses it (negative strides). Both view operations are their own inverse, so the view
 * of the reordered copy shows t's values again. */
static einc_tensor *relayout(einc_ctx *ctx, einc_tensor *t, int variant) {
    int nd = einc_tensor_ndim(t);
    if (variant == 0 || nd == 0) return t;
    int rev[EINC_MAX_DIMS];
    for (int d = 0; d < nd; d++) rev[d] = nd - 1 - d;
    einc_tensor *u = t;
    if (variant & 1) u = einc_tensor_permute(ctx, u, nd, rev);
    if (variant & 2) u = einc_tensor_flip(ctx, u, EINC_ALL);
    u = einc_tensor_clone(ctx, u);
    if (variant & 2) u = einc_tensor_flip(ctx, u, EINC_ALL);
    if (variant & 1) u = einc_tensor_permute(ctx, u, nd, rev);
    return u;
}

/* ---- names and promotion ---------------------------------------------------------------------- */

TEST(op_names) {
    for (int i = 0; i < NUM_UNARY; i++)
        for (int j = i + 1; j < NUM_UNARY; j++)
            CHECK(strcmp(einc_unary_op_name((einc_unary_op)i), einc_unary_op_name((einc_unary_op)j)) != 0);
    for (int i = 0; i < NUM_BINARY; i++)
        for (int j = i + 1; j < NUM_BINARY; j++)
            CHECK(strcmp(einc_binary_op_name((einc_binary_op)i), einc_binary_op_name((einc_binary_op)j)) != 0);
    CHECK(strcmp(einc_unary_op_name(EINC_SIGMOID), "sigmoid") == 0);
    CHECK(strcmp(einc_binary_op_name(EINC_FLOOR_DIV), "floor_div") == 0);
    CHECK(strcmp(einc_binary_op_name(EINC_MOD), "mod") == 0);
    CHECK(strcmp(einc_unary_op_name((einc_unary_op)NUM_UNARY), "invalid") == 0);
    CHECK(strcmp(einc_unary_op_name((einc_unary_op)-1), "invalid") == 0);
    CHECK(strcmp(einc_binary_op_name((einc_binary_op)NUM_BINARY), "invalid") == 0);
}

/* einc_promote_types and the dtype einc_tensor_add actually returns, for every pair and rank class,
 * against numpy.result_type on 0-d / 1-d arrays. */
TEST(promotion_table) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *table = gold(ctx, "promote");
    for (int i = 0; i < NDT; i++) {
        for (int j = 0; j < NDT; j++) {
            for (int k = 0; k < 4; k++) {
                int an = (k == 1 || k == 3) ? 0 : 1, bn = (k == 2 || k == 3) ? 0 : 1;
                int expected = (int)einc_tensor_get(table, (int64_t[]){i, j, k});
                einc_dtype got = einc_promote_types(DTS[i], an, DTS[j], bn);
                if ((int)got != expected)
                    fprintf(stderr, "promote(%s%s, %s%s) = %s, NumPy says %s\n", einc_dtype_name(DTS[i]),
                            an ? "[2]" : "[]", einc_dtype_name(DTS[j]), bn ? "[2]" : "[]", einc_dtype_name(got),
                            einc_dtype_name((einc_dtype)expected));
                CHECK_EQ_INT(got, expected);
                CHECK_EQ_INT(einc_promote_types(DTS[j], bn, DTS[i], an), expected); /* symmetric */
                einc_tensor *a = an ? einc_tensor_ones(ctx, DTS[i], EINC_SHAPE(2)) : einc_tensor_scalar(ctx, DTS[i], 1);
                einc_tensor *b = bn ? einc_tensor_ones(ctx, DTS[j], EINC_SHAPE(2)) : einc_tensor_scalar(ctx, DTS[j], 1);
                einc_tensor *y = einc_tensor_add(ctx, a, b);
                CHECK(y && (int)einc_tensor_dtype(y) == expected && einc_tensor_ndim(y) == (an || bn ? 1 : 0));
                einc_tensor_release(a);
                einc_tensor_release(b);
                einc_tensor_release(y);
            }
        }
    }
    CHECK_EQ_INT(einc_promote_types((einc_dtype)42, 1, EINC_FLOAT32, 1), (einc_dtype)-1);
    CHECK_EQ_INT(einc_promote_types(EINC_FLOAT32, 1, (einc_dtype)-3, 0), (einc_dtype)-1);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- golden values -------------------------------------------------------------------------- */

/* Every unary op on every dtype, in four layouts and broadcast. */
TEST(unary_golden) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *dtab = gold(ctx, "unary_dtype");
    for (int j = 0; j < NDT; j++) {
        const char *dn = einc_dtype_name(DTS[j]);
        einc_tensor *x = gold(ctx, "x_%s", dn);
        for (int op = 0; op < NUM_UNARY; op++) {
            const char *on = einc_unary_op_name((einc_unary_op)op);
            einc_scope_begin(ctx);
            einc_tensor *expected = einc_tensor_select(ctx, gold(ctx, "unary_%s", on), 0, j);
            int code = (int)einc_tensor_get(dtab, (int64_t[]){op, j});
            for (int variant = 0; variant < 4; variant++) {
                einc_tensor *y = einc_tensor_unary(ctx, (einc_unary_op)op, relayout(ctx, x, variant));
                if (code < 0) {
                    CHECK(y == NULL);
                    CHECK_ERROR(ctx, EINC_EDTYPE, "neg of a bool tensor");
                    continue;
                }
                CHECK(y && (int)einc_tensor_dtype(y) == code && einc_tensor_is_contiguous(y));
                CHECK_VALUES(y, expected, code, "%s(%s), layout %d", on, dn, variant);
            }
            if (code >= 0) {
                /* stride-0 input: row 1 broadcast to [2, 3, 4] */
                einc_tensor *row = einc_tensor_select(ctx, x, 0, 1);
                einc_tensor *wide = einc_tensor_expand(ctx, row, EINC_SHAPE(2, 3, 4));
                einc_tensor *y = einc_tensor_unary(ctx, (einc_unary_op)op, wide);
                einc_tensor *e = einc_tensor_expand(ctx, einc_tensor_select(ctx, expected, 0, 1), EINC_SHAPE(2, 3, 4));
                CHECK_VALUES(y, e, code, "%s(%s), broadcast input", on, dn);
            }
            CHECK_OK(ctx);
            einc_scope_end(ctx);
        }
    }
    einc_ctx_destroy(ctx);
}

/* b [4] in four forms: as is, [1, 4] (size-1 dim), expanded to [3, 4] (stride 0), reversed storage. */
static einc_tensor *bvariant(einc_ctx *ctx, einc_tensor *b, int variant) {
    switch (variant) {
    case 1: return einc_tensor_view(ctx, b, EINC_SHAPE(1, 4));
    case 2: return einc_tensor_expand(ctx, b, EINC_SHAPE(3, 4));
    case 3: return relayout(ctx, b, 2);
    default: return b;
    }
}

/* Every binary op on every ordered pair of dtypes: a [3, 4] with b [4] broadcast. */
TEST(binary_golden) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *dtab = gold(ctx, "binary_dtype");
    for (int op = 0; op < NUM_BINARY; op++) {
        const char *on = einc_binary_op_name((einc_binary_op)op);
        einc_tensor *g = gold(ctx, "binary_%s", on);
        for (int i = 0; i < NDT; i++) {
            for (int j = 0; j < NDT; j++) {
                einc_scope_begin(ctx);
                const char *an = einc_dtype_name(DTS[i]), *bn = einc_dtype_name(DTS[j]);
                einc_tensor *a = gold(ctx, "a_%s", an);
                einc_tensor *b = gold(ctx, op == EINC_POW ? "e_%s" : "b_%s", bn);
                einc_tensor *expected = einc_tensor_select(ctx, einc_tensor_select(ctx, g, 0, i), 0, j);
                int code = (int)einc_tensor_get(dtab, (int64_t[]){op, i, j});
                for (int variant = 0; variant < 4; variant++) {
                    einc_tensor *y = einc_tensor_binary(ctx, (einc_binary_op)op, relayout(ctx, a, variant),
                                                        bvariant(ctx, b, variant));
                    if (code < 0) {
                        CHECK(y == NULL);
                        CHECK_ERROR(ctx, EINC_EDTYPE, "sub of two bool operands");
                        continue;
                    }
                    CHECK(y && (int)einc_tensor_dtype(y) == code && einc_tensor_is_contiguous(y));
                    CHECK_VALUES(y, expected, code, "%s(%s, %s), layout %d", on, an, bn, variant);
                }
                CHECK_OK(ctx);
                einc_scope_end(ctx);
            }
        }
    }
    einc_ctx_destroy(ctx);
}

/* NaN, ±inf, ±0 against each other for every binary op: [8, 1] op [1, 8]. */
TEST(binary_special_values) {
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < 2; k++) {
        const char *dn = k ? "float64" : "float32";
        einc_tensor *s = gold(ctx, "special_%s", dn), *g = gold(ctx, "special_binary_%s", dn);
        for (int op = 0; op < NUM_BINARY; op++) {
            for (int variant = 0; variant < 3; variant += 2) {
                einc_tensor *sv = relayout(ctx, s, variant);
                einc_tensor *col = einc_tensor_view(ctx, sv, EINC_SHAPE(8, 1));
                einc_tensor *row = einc_tensor_view(ctx, sv, EINC_SHAPE(1, 8));
                einc_tensor *y = einc_tensor_binary(ctx, (einc_binary_op)op, col, row);
                einc_tensor *expected = einc_tensor_select(ctx, g, 0, op);
                int dt = y ? (int)einc_tensor_dtype(y) : -1;
                CHECK(dt == (op >= EINC_EQ && op <= EINC_LOGICAL_OR ? EINC_BOOL : (k ? EINC_FLOAT64 : EINC_FLOAT32)));
                CHECK_VALUES(y, expected, dt, "%s on %s specials, layout %d", einc_binary_op_name((einc_binary_op)op),
                             dn, variant);
            }
        }
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Integer wrap-around, division by zero and INT_MIN // -1, exactly as NumPy gives them. */
TEST(integer_edges) {
    einc_ctx *ctx = einc_ctx_create();
    static const einc_binary_op ops[] = {EINC_ADD, EINC_SUB,     EINC_MUL,     EINC_FLOOR_DIV,
                                         EINC_MOD, EINC_MAXIMUM, EINC_MINIMUM, EINC_LT};
    static const einc_unary_op uops[] = {EINC_NEG, EINC_ABS, EINC_SQUARE};
    char what[128];
    for (int k = 0; k < 2; k++) {
        const char *dn = k ? "int64" : "int32";
        einc_tensor *a = gold(ctx, "int_edge_a_%s", dn), *b = gold(ctx, "int_edge_b_%s", dn);
        einc_tensor *gb = gold(ctx, "int_edge_binary_%s", dn), *gu = gold(ctx, "int_edge_unary_%s", dn);
        for (int i = 0; i < 8; i++) {
            snprintf(what, sizeof what, "%s on %s limits", einc_binary_op_name(ops[i]), dn);
            check_exact_int(ctx, einc_tensor_binary(ctx, ops[i], a, b), einc_tensor_select(ctx, gb, 0, i), what);
        }
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof what, "%s on %s limits", einc_unary_op_name(uops[i]), dn);
            check_exact_int(ctx, einc_tensor_unary(ctx, uops[i], a), einc_tensor_select(ctx, gu, 0, i), what);
        }
        snprintf(what, sizeof what, "pow on %s", dn);
        check_exact_int(ctx,
                        einc_tensor_binary(ctx, EINC_POW, gold(ctx, "int_edge_pow_base_%s", dn),
                                           gold(ctx, "int_edge_pow_exp_%s", dn)),
                        gold(ctx, "int_edge_pow_%s", dn), what);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(where_golden) {
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < 3; k++) {
        einc_tensor *c = gold(ctx, "where%d_cond", k), *x = gold(ctx, "where%d_x", k), *y = gold(ctx, "where%d_y", k);
        einc_tensor *expected = gold(ctx, "where%d_out", k);
        for (int variant = 0; variant < 4; variant++) {
            einc_tensor *out = einc_tensor_where(ctx, relayout(ctx, c, variant), relayout(ctx, x, variant),
                                                 relayout(ctx, y, 3 - variant));
            if (!CHECK_TENSOR_CLOSE(out, expected, 0, 0)) fprintf(stderr, "  where case %d, layout %d\n", k, variant);
        }
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(scalar_golden) {
    einc_ctx *ctx = einc_ctx_create();
    for (int j = 0; j < NDT; j++) {
        const char *dn = einc_dtype_name(DTS[j]);
        einc_tensor *x = gold(ctx, "x_%s", dn);
        einc_tensor *em = gold(ctx, "scalar_mul_%s", dn), *ea = gold(ctx, "scalar_add_%s", dn);
        for (int variant = 0; variant < 4; variant++) {
            einc_tensor *xv = relayout(ctx, x, variant);
            if (!CHECK_TENSOR_CLOSE(einc_mul_scalar(ctx, xv, 0.1), em, rtol_of(EINC_FLOAT64), 0))
                fprintf(stderr, "  mul_scalar(%s), layout %d\n", dn, variant);
            if (!CHECK_TENSOR_CLOSE(einc_add_scalar(ctx, xv, -2.5), ea, rtol_of(EINC_FLOAT64), 0))
                fprintf(stderr, "  add_scalar(%s), layout %d\n", dn, variant);
        }
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* |got - exact| in units of the float32 spacing at the exact value (denormal spacing near 0). */
static double ulp_error(float got, double exact) {
    if (isnan(exact)) return isnan(got) ? 0 : INFINITY;
    float w = (float)exact;
    if (isinf(w) || isinf(got)) return w == got ? 0 : INFINITY;
    float spacing = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - exact) / spacing;
}

/* The float32 exp, tanh and sigmoid are einc's own vectorisable code, not libm's: a dense sweep
 * against double precision, far tighter than the golden tolerance. */
TEST(float32_math_accuracy) {
    einc_ctx *ctx = einc_ctx_create();
    enum { N = 200000 };
    einc_tensor *x = einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(N));
    float *xv = einc_tensor_data(x);
    for (int i = 0; i < N / 2; i++) xv[i] = (float)(-110.0 + 200.0 * i / (N / 2)); /* overflow to underflow */
    for (int i = N / 2; i < N; i++) /* tiny to moderate, both signs: tanh's polynomial range */
        xv[i] = (i % 2 ? -1.0f : 1.0f) * powf(10.0f, -30.0f + 31.0f * (float)(i - N / 2) / (N / 2));
    static const einc_unary_op ops[] = {EINC_EXP, EINC_TANH, EINC_SIGMOID};
    static const double limit[] = {1.0, 2.0, 3.0};
    for (int k = 0; k < 3; k++) {
        einc_tensor *y = einc_tensor_unary(ctx, ops[k], x);
        const float *yv = y ? einc_tensor_data(y) : NULL;
        double worst = 0;
        float at = 0;
        for (int i = 0; yv && i < N; i++) {
            double v = xv[i];
            double exact = ops[k] == EINC_EXP ? exp(v) : ops[k] == EINC_TANH ? tanh(v) : 1.0 / (1.0 + exp(-v));
            double e = ulp_error(yv[i], exact);
            if (e > worst) {
                worst = e;
                at = xv[i];
            }
        }
        if (!(worst <= limit[k]))
            fprintf(stderr, "%s: %.3f ulp at x = %.9g (limit %.1f)\n", einc_unary_op_name(ops[k]), worst, at, limit[k]);
        CHECK(y != NULL && worst <= limit[k]);
    }
    /* special values */
    static const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 88.72f};
    einc_tensor *s = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(5), specials);
    einc_tensor *e = einc_tensor_exp(ctx, s), *t = einc_tensor_tanh(ctx, s), *g = einc_tensor_sigmoid(ctx, s);
    const float *ev = einc_tensor_data(e), *tv = einc_tensor_data(t), *gv = einc_tensor_data(g);
    CHECK(isnan(ev[0]) && isinf(ev[1]) && ev[2] == 0 && ev[3] == 1 && isfinite(ev[4]));
    CHECK(isnan(tv[0]) && tv[1] == 1 && tv[2] == -1 && tv[3] == 0 && signbit(tv[3]) && tv[4] == 1);
    CHECK(isnan(gv[0]) && gv[1] == 1 && gv[2] == 0 && gv[3] == 0.5f && gv[4] == 1);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- conveniences, shapes, errors ----------------------------------------------------------- */

/* Bitwise equality of two contiguous results (NaN payloads included). */
static bool same_bits(const einc_tensor *a, const einc_tensor *b) {
    if (!a || !b || einc_tensor_dtype(a) != einc_tensor_dtype(b) || einc_tensor_numel(a) != einc_tensor_numel(b))
        return false;
    if (einc_tensor_numel(a) == 0) return true; /* no data pointer to compare */
    return memcmp(einc_tensor_data(a), einc_tensor_data(b),
                  (size_t)einc_tensor_numel(a) * einc_dtype_size(einc_tensor_dtype(a))) == 0;
}

TEST(conveniences) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = gold(ctx, "x_float32"), *a = gold(ctx, "a_float32"), *b = gold(ctx, "b_float32");
    typedef einc_tensor *(*ufn)(einc_ctx *, einc_tensor *);
    typedef einc_tensor *(*bfn)(einc_ctx *, einc_tensor *, einc_tensor *);
    static const struct {
        ufn fn;
        einc_unary_op op;
    } u[] = {
        {einc_tensor_neg, EINC_NEG},         {einc_tensor_abs, EINC_ABS},   {einc_tensor_exp, EINC_EXP},
        {einc_tensor_log, EINC_LOG},         {einc_tensor_sqrt, EINC_SQRT}, {einc_tensor_tanh, EINC_TANH},
        {einc_tensor_sigmoid, EINC_SIGMOID}, {einc_tensor_relu, EINC_RELU},
    };
    static const struct {
        bfn fn;
        einc_binary_op op;
    } bi[] = {
        {einc_tensor_add, EINC_ADD}, {einc_tensor_sub, EINC_SUB},         {einc_tensor_mul, EINC_MUL},
        {einc_tensor_div, EINC_DIV}, {einc_tensor_maximum, EINC_MAXIMUM}, {einc_tensor_minimum, EINC_MINIMUM},
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        CHECK(same_bits(u[i].fn(ctx, x), einc_tensor_unary(ctx, u[i].op, x)));
    for (size_t i = 0; i < sizeof bi / sizeof bi[0]; i++)
        CHECK(same_bits(bi[i].fn(ctx, a, b), einc_tensor_binary(ctx, bi[i].op, a, b)));
    CHECK_OK(ctx);
    /* messages name the convenience */
    CHECK(einc_tensor_sub(ctx, a, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(5))) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_sub: operands could not be broadcast together with shapes (3, 4) (5,)");
    CHECK(einc_tensor_relu(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_relu: tensor argument 'x' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(shapes_and_scalars) {
    einc_ctx *ctx = einc_ctx_create();
    /* 0-d with 0-d stays 0-d; 0-d broadcasts against anything */
    einc_tensor *s = einc_tensor_binary(ctx, EINC_MUL, einc_tensor_scalar(ctx, EINC_INT32, 6),
                                        einc_tensor_scalar(ctx, EINC_INT64, -7));
    CHECK(s && einc_tensor_ndim(s) == 0 && einc_tensor_dtype(s) == EINC_INT64 && einc_tensor_item(s) == -42);
    /* [2, 1, 3] + [4, 1] -> [2, 4, 3] */
    einc_tensor *a = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1), EINC_SHAPE(2, 1, 3));
    einc_tensor *b = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 40, 10), EINC_SHAPE(4, 1));
    einc_tensor *y = einc_tensor_add(ctx, a, b);
    CHECK(y && einc_tensor_ndim(y) == 3 && einc_tensor_dim(y, 0) == 2 && einc_tensor_dim(y, 1) == 4 &&
          einc_tensor_dim(y, 2) == 3);
    CHECK_EQ_INT(einc_tensor_get(y, (int64_t[]){1, 2, 1}), 4 + 20);
    /* empty results: no kernel runs, no pow check on nothing */
    einc_tensor *e = einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(0, 3));
    y = einc_tensor_binary(ctx, EINC_POW, e, einc_tensor_full(ctx, EINC_INT32, EINC_SHAPE(3), -1));
    CHECK(y && einc_tensor_numel(y) == 0 && einc_tensor_dim(y, 0) == 0 && einc_tensor_dtype(y) == EINC_INT32);
    y = einc_tensor_exp(ctx, e);
    CHECK(y && einc_tensor_numel(y) == 0 && einc_tensor_dtype(y) == EINC_FLOAT64);
    y = einc_tensor_where(ctx, e, e, einc_tensor_scalar(ctx, EINC_FLOAT32, 1));
    CHECK(y && einc_tensor_numel(y) == 0 && einc_tensor_dtype(y) == EINC_FLOAT64);
    /* scalars with integers become float64; float32 stays float32 */
    y = einc_mul_scalar(ctx, einc_tensor_full(ctx, EINC_INT64, EINC_SHAPE(2), 3), 0.5);
    CHECK(y && einc_tensor_dtype(y) == EINC_FLOAT64 && einc_tensor_get(y, (int64_t[]){1}) == 1.5);
    y = einc_add_scalar(ctx, einc_tensor_full(ctx, EINC_FLOAT32, EINC_SHAPE(2), 1), 1e-8);
    CHECK(y && einc_tensor_dtype(y) == EINC_FLOAT32 && einc_tensor_get(y, (int64_t[]){0}) == 1.0);
    /* a 0-d int64 with an int32 tensor computes in int32 */
    y = einc_tensor_add(ctx, einc_tensor_full(ctx, EINC_INT32, EINC_SHAPE(2), 2147483647),
                        einc_tensor_scalar(ctx, EINC_INT64, 1));
    CHECK(y && einc_tensor_dtype(y) == EINC_INT32 && einc_tensor_get(y, (int64_t[]){0}) == -2147483648.0);
    /* logical ops treat NaN as true */
    y = einc_tensor_binary(ctx, EINC_LOGICAL_AND, einc_tensor_scalar(ctx, EINC_FLOAT64, NAN),
                           einc_tensor_scalar(ctx, EINC_INT32, 3));
    CHECK(y && einc_tensor_dtype(y) == EINC_BOOL && einc_tensor_item(y) == 1);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *a = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
    einc_tensor *b = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4));
    einc_tensor *t = einc_tensor_ones(ctx, EINC_BOOL, EINC_SHAPE(3));
    einc_tensor *i = einc_tensor_arange(ctx, EINC_INT32, -2, 3, 1);

    CHECK(einc_tensor_binary(ctx, EINC_ADD, a, b) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_tensor_binary: operands could not be broadcast together with shapes (2, 3) (4,)");
    CHECK(einc_tensor_where(ctx, t, a, b) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_tensor_where: condition, x and y could not be broadcast together with "
                "shapes (3,) (2, 3) (4,)");
    CHECK(einc_tensor_where(ctx, b, a, a) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "shapes (4,) (2, 3) (2, 3)");

    CHECK(einc_tensor_binary(ctx, EINC_ADD, NULL, b) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_binary: tensor argument 'a' is NULL");
    CHECK(einc_tensor_binary(ctx, EINC_ADD, a, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "'b' is NULL");
    CHECK(einc_tensor_unary(ctx, EINC_EXP, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_unary: tensor argument 'x' is NULL");
    CHECK(einc_tensor_where(ctx, NULL, a, a) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_where: tensor argument 'cond' is NULL");
    CHECK(einc_tensor_where(ctx, a, a, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "'y' is NULL");
    CHECK(einc_mul_scalar(ctx, NULL, 2) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_mul_scalar: tensor argument 'x' is NULL");
    CHECK(einc_add_scalar(ctx, NULL, 2) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_add_scalar");
    CHECK(einc_tensor_add(NULL, a, a) == NULL && einc_tensor_unary(NULL, EINC_EXP, a) == NULL &&
          einc_tensor_where(NULL, a, a, a) == NULL && einc_mul_scalar(NULL, a, 1) == NULL);

    CHECK(einc_tensor_unary(ctx, (einc_unary_op)99, a) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_unary: invalid unary operation value 99");
    CHECK(einc_tensor_unary(ctx, (einc_unary_op)-1, a) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "invalid unary operation value -1");
    CHECK(einc_tensor_binary(ctx, (einc_binary_op)NUM_BINARY, a, a) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_binary: invalid binary operation value 18");

    CHECK(einc_tensor_neg(ctx, t) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_tensor_neg: neg of a bool tensor is not supported");
    CHECK(einc_tensor_sub(ctx, t, einc_tensor_scalar(ctx, EINC_BOOL, 1)) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_tensor_sub: sub of two bool operands is not supported");
    CHECK(einc_tensor_sub(ctx, t, i) == NULL); /* bool - int32 is fine, but (3,) vs (5,) is not */
    CHECK_ERROR(ctx, EINC_ESHAPE, "(3,) (5,)");

    /* integer pow with a negative exponent, checked before computing; floats are fine */
    CHECK(einc_tensor_binary(ctx, EINC_POW, i, i) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE,
                "einc_tensor_binary: integers to negative integer powers are not allowed (exponent -2)");
    CHECK(einc_tensor_binary(ctx, EINC_POW, einc_tensor_ones(ctx, EINC_INT32, EINC_SHAPE(2, 1)),
                             einc_tensor_scalar(ctx, EINC_INT64, -1)) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "(exponent -1)");
    einc_tensor *f = einc_tensor_binary(ctx, EINC_POW, einc_tensor_cast(ctx, i, EINC_FLOAT64), i);
    CHECK(f && einc_tensor_get(f, (int64_t[]){0}) == 0.25);
    CHECK(einc_tensor_binary(ctx, EINC_POW, i, t) == NULL); /* shape error, not a pow error */
    CHECK_ERROR(ctx, EINC_ESHAPE, "(5,) (3,)");

    /* a broadcast result too large to address */
    einc_tensor *s = einc_tensor_scalar(ctx, EINC_FLOAT32, 1);
    einc_tensor *tall = einc_tensor_expand(ctx, s, EINC_SHAPE(INT64_C(1) << 40, 1));
    einc_tensor *wide = einc_tensor_expand(ctx, s, EINC_SHAPE(1, INT64_C(1) << 40));
    CHECK(tall && wide && einc_tensor_add(ctx, tall, wide) == NULL);
    CHECK_ERROR(ctx, EINC_EOVERFLOW, "einc_tensor_add:");
    CHECK(einc_tensor_where(ctx, tall, wide, s) == NULL);
    CHECK_ERROR(ctx, EINC_EOVERFLOW, "einc_tensor_where:");

    /* sticky: the first error stays */
    CHECK(einc_tensor_neg(ctx, t) == NULL);
    CHECK(einc_tensor_add(ctx, a, b) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "neg of a bool tensor");
    einc_ctx_destroy(ctx);
}

/* ---- allocation failures ---------------------------------------------------------------------- */

/* Runs every public entry point once; returns the number of results that came back. */
static int run_all_ops(einc_ctx *ctx) {
    einc_tensor *x = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1), EINC_SHAPE(2, 3));
    einc_tensor *k = einc_tensor_arange(ctx, EINC_INT32, 0, 3, 1);
    einc_tensor *r[] = {
        einc_tensor_binary(ctx, EINC_ADD, x, k),
        einc_tensor_binary(ctx, EINC_POW, k, einc_tensor_scalar(ctx, EINC_INT64, 2)),
        einc_tensor_unary(ctx, EINC_EXP, k),
        einc_tensor_where(ctx, k, x, einc_tensor_scalar(ctx, EINC_FLOAT64, 0)),
        einc_mul_scalar(ctx, k, 3),
        einc_add_scalar(ctx, x, 3),
        einc_tensor_relu(ctx, einc_tensor_transpose(ctx, x, 0, 1)),
        einc_tensor_maximum(ctx, x, einc_tensor_flip(ctx, k, EINC_ALL)),
    };
    int ok = 0;
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) ok += r[i] != NULL;
    return ok;
}

TEST(fail_nth_allocation) {
    int failures = 0, complete = 0;
    for (long budget = 0; budget < 200 && !complete; budget++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        int ok = run_all_ops(ctx);
        if (ok == 8) {
            CHECK_OK(ctx);
            complete = 1;
        } else {
            CHECK_EQ_INT(einc_errcode(ctx), EINC_ENOMEM);
            failures++;
        }
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live_blocks, 0);
        CHECK_EQ_INT(st.live, 0);
    }
    CHECK(complete);
    CHECK(failures > 0);
}

/* ---- optimised kernels against the reference twins ------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

/* Random values of dtype dt and the given shape, as a view with random layout: permuted storage,
 * stepped (every other element), flipped and broadcast (stride 0) dimensions. Integers stay in
 * [-15, 15] ([0, 15] when nonneg), floats get some NaN/inf/zero. */
static einc_tensor *random_tensor(einc_ctx *ctx, einc_dtype dt, int nd, const int64_t *shape, bool nonneg) {
    int64_t base[EINC_MAX_DIMS] = {0}, pshape[EINC_MAX_DIMS] = {0};
    int perm[EINC_MAX_DIMS], inv[EINC_MAX_DIMS], mode[EINC_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        mode[d] = shape[d] > 1 ? rnd_int(5) : 0; /* 0 plain, 1 stepped, 2 flipped, 3 broadcast, 4 plain */
        base[d] = mode[d] == 1 ? 2 * shape[d] : mode[d] == 3 ? 1 : shape[d];
        perm[d] = d;
    }
    for (int d = nd - 1; d > 0; d--) {
        int e = rnd_int(d + 1), tmp = perm[d];
        perm[d] = perm[e];
        perm[e] = tmp;
    }
    for (int d = 0; d < nd; d++) {
        pshape[d] = base[perm[d]];
        inv[perm[d]] = d;
    }
    einc_tensor *t = einc_tensor_randn(ctx, EINC_FLOAT64, nd, pshape);
    int64_t n = einc_tensor_numel(t);
    double *v = einc_tensor_data(t);
    static const double special[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 0.5, 2.5};
    for (int64_t i = 0; i < n; i++) {
        if (einc__dtype_is_float(dt)) {
            v[i] *= 3;
            if (rnd_int(8) == 0) v[i] = special[rnd_int(7)];
        } else {
            v[i] = trunc(v[i] * 6);
            if (v[i] > 15) v[i] = 15;
            if (v[i] < -15) v[i] = -15;
            if (nonneg) v[i] = fabs(v[i]);
        }
    }
    t = einc_tensor_cast(ctx, t, dt);
    if (dt == EINC_UINT64) { /* the whole range: values from 2^63 on take the unsigned paths */
        uint64_t *u = einc_tensor_data(t);
        for (int64_t i = 0; i < n; i++)
            if (rnd_int(3) == 0) u[i] = rnd_int(2) ? rnd() : UINT64_MAX - (uint64_t)rnd_int(4);
    }
    t = einc_tensor_permute(ctx, t, nd, inv);
    for (int d = 0; d < nd; d++) {
        if (mode[d] == 1) t = einc_tensor_slice(ctx, t, d, 0, INT64_MAX, 2);
        if (mode[d] == 2) t = einc_tensor_flip(ctx, t, 1, &d);
    }
    return nd ? einc_tensor_expand(ctx, t, nd, shape) : t;
}

/* A random broadcast-compatible operand shape for output shape (nd, shape). */
static int random_operand_shape(int nd, const int64_t *shape, int64_t *out) {
    int drop = nd ? rnd_int(nd + 1) : 0;
    if (rnd_int(2)) drop = 0;
    for (int d = drop; d < nd; d++) out[d - drop] = rnd_int(4) == 0 ? 1 : shape[d];
    return nd - drop;
}

/* y and r equal: exactly for integers, bools and the split run; within rounding for floats. */
static void compare_results(const einc_tensor *y, const einc_tensor *r, const char *what, int op) {
    int dt = (int)einc_tensor_dtype(r);
    if (dt == EINC_UINT64 && !same_bits(y, r)) { /* doubles do not hold every uint64 */
        fprintf(stderr, "  %s op %d: uint64 results differ\n", what, op);
        test_failed_checks_++;
        return;
    }
    if (!test_tensors_close_(__FILE__, __LINE__, y, r,
                             dt == EINC_FLOAT32   ? 2e-6
                             : dt == EINC_FLOAT64 ? 1e-14
                                                  : 0,
                             atol_of(dt), 1))
        fprintf(stderr, "  %s op %d\n", what, op);
}

static void check_binary_against_ref(einc_ctx *ctx, einc_binary_op op, einc_tensor *a, einc_tensor *b) {
    einc_dtype compute, result;
    if (!einc__ew_binary_dtypes(op, einc_tensor_dtype(a), einc_tensor_ndim(a), einc_tensor_dtype(b),
                                einc_tensor_ndim(b), &compute, &result))
        return;
    einc_tensor *y = einc_tensor_binary(ctx, op, a, b);
    CHECK(y != NULL);
    if (!y) return;
    int nd = einc_tensor_ndim(y);
    const int64_t *shape = einc_tensor_shape(y);
    einc_tensor *r = einc_tensor_empty(ctx, result, nd, shape), *z = einc_tensor_empty(ctx, result, nd, shape);
    einc__view rv = einc__view_of(r), zv = einc__view_of(z);
    einc__view av = einc__view_broadcast(a, nd, shape), bv = einc__view_broadcast(b, nd, shape);
    einc__k_binary_ref(op, compute, &rv, &av, &bv, 0, 1);
    compare_results(y, r, "binary vs ref", (int)op);
    for (int ith = 0; ith < 3; ith++) einc__k_binary(op, compute, &zv, &av, &bv, ith, 3);
    CHECK(same_bits(y, z));
}

static void check_unary_against_ref(einc_ctx *ctx, einc_unary_op op, einc_tensor *x) {
    einc_dtype result;
    if (!einc__ew_unary_dtype(op, einc_tensor_dtype(x), &result)) return;
    einc_tensor *y = einc_tensor_unary(ctx, op, x);
    CHECK(y != NULL);
    if (!y) return;
    einc_tensor *r = einc_tensor_empty(ctx, result, einc_tensor_ndim(x), einc_tensor_shape(x));
    einc_tensor *z = einc_tensor_empty(ctx, result, einc_tensor_ndim(x), einc_tensor_shape(x));
    einc__view rv = einc__view_of(r), zv = einc__view_of(z), xv = einc__view_of(x);
    einc__k_unary_ref(op, &rv, &xv, 0, 1);
    compare_results(y, r, "unary vs ref", (int)op);
    for (int ith = 0; ith < 2; ith++) einc__k_unary(op, &zv, &xv, ith, 2);
    CHECK(same_bits(y, z));
}

static void check_where_against_ref(einc_ctx *ctx, einc_tensor *c, einc_tensor *a, einc_tensor *b) {
    einc_tensor *y = einc_tensor_where(ctx, c, a, b);
    CHECK(y != NULL);
    if (!y) return;
    int nd = einc_tensor_ndim(y);
    const int64_t *shape = einc_tensor_shape(y);
    einc_tensor *r = einc_tensor_empty(ctx, einc_tensor_dtype(y), nd, shape);
    einc__view rv = einc__view_of(r), cv = einc__view_broadcast(c, nd, shape);
    einc__view av = einc__view_broadcast(a, nd, shape), bv = einc__view_broadcast(b, nd, shape);
    einc__k_where_ref(&rv, &cv, &av, &bv, 0, 1);
    CHECK(same_bits(y, r));
}

TEST(kernels_match_reference_random) {
    einc_ctx *ctx = einc_ctx_create();
    for (int iter = 0; iter < 300; iter++) {
        einc_scope_begin(ctx);
        int nd = rnd_int(5);
        int64_t shape[EINC_MAX_DIMS], as[EINC_MAX_DIMS], bs[EINC_MAX_DIMS], cs[EINC_MAX_DIMS];
        for (int d = 0; d < nd; d++) shape[d] = rnd_int(12) == 0 ? 0 : 1 + rnd_int(6);
        int an = random_operand_shape(nd, shape, as), bn = random_operand_shape(nd, shape, bs);
        int cn = random_operand_shape(nd, shape, cs);
        einc_dtype adt = DTS[rnd_int(NDT)], bdt = DTS[rnd_int(NDT)], cdt = DTS[rnd_int(NDT)];
        einc_tensor *a = random_tensor(ctx, adt, an, as, false);
        einc_tensor *b = random_tensor(ctx, bdt, bn, bs, false);
        einc_tensor *e = random_tensor(ctx, bdt, bn, bs, true);
        einc_tensor *c = random_tensor(ctx, cdt, cn, cs, false);
        for (int op = 0; op < NUM_BINARY; op++)
            check_binary_against_ref(ctx, (einc_binary_op)op, a, op == EINC_POW ? e : b);
        for (int op = 0; op < NUM_UNARY; op++) check_unary_against_ref(ctx, (einc_unary_op)op, a);
        check_where_against_ref(ctx, c, a, b);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* uint64 with the dtypes it computes in (bool, uint8: uint64; with int32, float32: float64) and a
 * 0-d int64 (converted to uint64), over the whole uint64 range. */
TEST(uint64_kernels_match_reference) {
    static const einc_dtype others[] = {EINC_UINT64, EINC_UINT8, EINC_BOOL, EINC_INT32, EINC_FLOAT32};
    einc_ctx *ctx = einc_ctx_create();
    for (int iter = 0; iter < 200; iter++) {
        einc_scope_begin(ctx);
        int nd = rnd_int(4);
        int64_t shape[EINC_MAX_DIMS], as[EINC_MAX_DIMS], bs[EINC_MAX_DIMS];
        for (int d = 0; d < nd; d++) shape[d] = 1 + rnd_int(6);
        int an = random_operand_shape(nd, shape, as), bn = random_operand_shape(nd, shape, bs);
        einc_dtype bdt = others[rnd_int(5)];
        einc_tensor *a = random_tensor(ctx, EINC_UINT64, an, as, false);
        einc_tensor *b = iter % 7 == 0 ? einc_tensor_scalar(ctx, EINC_INT64, (double)rnd_int(9))
                                       : random_tensor(ctx, bdt, bn, bs, false);
        einc_tensor *e = random_tensor(ctx, bdt, bn, bs, true);
        for (int op = 0; op < NUM_BINARY; op++) {
            check_binary_against_ref(ctx, (einc_binary_op)op, a, op == EINC_POW ? e : b);
            /* a 0-d uint64 exponent from 2^63 on is negative in an n-d int32 base's dtype: a ValueError */
            if (op != EINC_POW || an > 0) check_binary_against_ref(ctx, (einc_binary_op)op, b, a);
        }
        for (int op = 0; op < NUM_UNARY; op++) check_unary_against_ref(ctx, (einc_unary_op)op, a);
        check_where_against_ref(ctx, random_tensor(ctx, EINC_BOOL, an, as, false), a, b);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* Rows longer than the conversion chunk and outputs above the threading threshold, on 2 threads:
 * mixed dtypes with strided, flipped and stride-0 operands. */
TEST(kernels_match_reference_large) {
    einc_ctx *ctx = einc_ctx_create();
    einc_set_threads(ctx, 2);
    int64_t shape[2] = {301, 700}, row[1] = {700}, col[2] = {301, 1};
    einc_tensor *a = random_tensor(ctx, EINC_FLOAT32, 2, shape, false);
    einc_tensor *ai = random_tensor(ctx, EINC_INT32, 2, shape, false);
    einc_tensor *b = random_tensor(ctx, EINC_INT64, 1, row, true);
    einc_tensor *c = random_tensor(ctx, EINC_FLOAT64, 2, col, false);
    einc_tensor *s = einc_tensor_scalar(ctx, EINC_FLOAT64, 0.75);
    einc_tensor *at = /* a's values over transposed storage */
        einc_tensor_transpose(ctx, einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, a, 0, 1)), 0, 1);
    static const einc_binary_op ops[] = {EINC_ADD, EINC_MUL,     EINC_DIV, EINC_FLOOR_DIV,
                                         EINC_POW, EINC_MAXIMUM, EINC_LT,  EINC_LOGICAL_OR};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        check_binary_against_ref(ctx, ops[k], a, b);
        check_binary_against_ref(ctx, ops[k], ai, c);
        check_binary_against_ref(ctx, ops[k], at, s);
        check_binary_against_ref(ctx, ops[k], s, ai);
    }
    check_unary_against_ref(ctx, EINC_SIGMOID, at);
    check_unary_against_ref(ctx, EINC_EXP, ai);
    check_unary_against_ref(ctx, EINC_LOGICAL_NOT, c);
    check_where_against_ref(ctx, ai, at, c);
    check_where_against_ref(ctx, c, b, s);
    /* the tiled walk with outer dimensions, partial tiles and a reversed transposed input */
    int64_t s3[3] = {3, 45, 70}, r3[2] = {45, 70};
    einc_tensor *p3 = random_tensor(ctx, EINC_FLOAT64, 3, s3, false);
    einc_tensor *q3 = einc_tensor_permute(
        ctx, einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, p3, EINC_DIMS(0, 2, 1))), EINC_DIMS(0, 2, 1));
    einc_tensor *f3 = einc_tensor_flip(ctx, q3, EINC_DIMS(1));
    einc_tensor *i3 = random_tensor(ctx, EINC_INT32, 2, r3, false);
    check_binary_against_ref(ctx, EINC_SUB, q3, i3);
    check_binary_against_ref(ctx, EINC_MINIMUM, i3, f3);
    check_unary_against_ref(ctx, EINC_TANH, f3);
    check_where_against_ref(ctx, q3, f3, s);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(op_names);
    RUN(promotion_table);
    RUN(unary_golden);
    RUN(binary_golden);
    RUN(binary_special_values);
    RUN(integer_edges);
    RUN(where_golden);
    RUN(scalar_golden);
    RUN(float32_math_accuracy);
    RUN(conveniences);
    RUN(shapes_and_scalars);
    RUN(errors);
    RUN(fail_nth_allocation);
    RUN(kernels_match_reference_random);
    RUN(uint64_kernels_match_reference);
    RUN(kernels_match_reference_large);
    return test_summary();
}
