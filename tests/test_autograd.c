/* test_autograd.c — reverse-mode autograd.
 *
 * Truth: central finite differences in float64 (einc_gradcheck, itself tested against a rule that
 * is wrong on purpose), closed forms for the conventions at kinks (ties of max/min/maximum,
 * relu at 0, prod with zeros), and PyTorch's documented semantics (accumulation, zero_grad,
 * no-grad mode, leaf-only .grad). Memory: live tensor/byte counters and fail-the-Nth-allocation
 * sweeps with a counting allocator. */
#include "test.h"

#include "autograd/autograd.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef enum { CONTIG, TRANSPOSED, NEGATIVE, STRIDED, NUM_LAYOUTS } layout;
static const char *const LAYOUT_NAMES[] = {"contiguous", "transposed", "negative-stride", "step-2"};

/* A float64 leaf that requires grad, shape (ndim, shape), values uniform in [lo, hi), laid out as
 * `l` says: a plain buffer, a permuted view, a view with every stride negated, or a view with
 * the last dimension taken every second element. */
static einc_tensor *leaf(einc_ctx *ctx, layout l, double lo, double hi, int ndim, const int64_t *shape) {
    int64_t bshape[EINC_MAX_DIMS] = {0};
    int perm[EINC_MAX_DIMS];
    for (int d = 0; d < ndim; d++) bshape[d] = shape[d], perm[d] = ndim - 1 - d;
    if (l == TRANSPOSED)
        for (int d = 0; d < ndim; d++) bshape[d] = shape[ndim - 1 - d];
    if (l == STRIDED && ndim > 0) bshape[ndim - 1] *= 2;
    einc_tensor *u = einc_tensor_rand(ctx, EINC_FLOAT64, ndim, bshape);
    einc_tensor *base = einc_add_scalar(ctx, einc_mul_scalar(ctx, u, hi - lo), lo);
    einc_tensor *t = base;
    if (l == TRANSPOSED) t = einc_tensor_permute(ctx, base, ndim, perm);
    if (l == NEGATIVE) t = einc_tensor_flip(ctx, base, EINC_ALL);
    if (l == STRIDED && ndim > 0) t = einc_tensor_slice(ctx, base, -1, 1, INT64_MAX, 2);
    CHECK(t != NULL);
    if (t) CHECK_EQ_INT(einc_requires_grad(t, true), EINC_OK);
    return t;
}

static einc_tensor *leaf_normal(einc_ctx *ctx, layout l, int ndim, const int64_t *shape) {
    return leaf(ctx, l, -2.0, 2.0, ndim, shape);
}

/* Runs einc_gradcheck and reports the label and the error message on failure. */
static void gradcheck_(const char *file, int line, einc_ctx *ctx, const char *label, einc_gradcheck_fn fn, void *user,
                       int n, einc_tensor *const *inputs) {
    einc_status st = einc_gradcheck(ctx, fn, user, n, inputs, 1e-6, 1e-6, 1e-5);
    if (st != EINC_OK) {
        fprintf(stderr, "%s:%d: gradcheck of %s failed: %s\n", file, line, label, einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    }
}
#define GRADCHECK(ctx, label, fn, user, ...)                                                                           \
    do {                                                                                                               \
        einc_tensor *in_[] = {__VA_ARGS__};                                                                            \
        gradcheck_(__FILE__, __LINE__, (ctx), (label), (fn), (user), (int)(sizeof in_ / sizeof in_[0]), in_);          \
    } while (0)

static size_t live_tensors(const einc_ctx *ctx) {
    einc_memory_stats s;
    einc_memory_stats_get(ctx, &s);
    return s.live_tensors;
}

static size_t live_bytes(const einc_ctx *ctx) {
    einc_memory_stats s;
    einc_memory_stats_get(ctx, &s);
    return s.live_bytes;
}

/* The gradient of t as a float64 array of its numel (row-major), or false. */
static bool grad_values(einc_ctx *ctx, einc_tensor *t, double *out, int64_t n) {
    einc_tensor *g = einc_grad(ctx, t);
    if (!g || einc_tensor_numel(g) != n) return false;
    einc_tensor *c = einc_tensor_cast(ctx, g, EINC_FLOAT64);
    bool ok = c && einc_tensor_to_buffer(c, out, sizeof(double) * (size_t)n) == EINC_OK;
    einc_tensor_release(c);
    einc_tensor_release(g);
    return ok;
}

/* ---- elementwise --------------------------------------------------------------------------- */

static einc_tensor *f_unary(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    return einc_tensor_unary(ctx, *(const einc_unary_op *)user, in[0]);
}

TEST(unary_ops) {
    einc_ctx *ctx = einc_ctx_create();
    static const einc_unary_op ops[] = {EINC_NEG,   EINC_ABS,  EINC_SIGN,  EINC_SQUARE,    EINC_SQRT,
                                        EINC_RSQRT, EINC_EXP,  EINC_LOG,   EINC_LOG1P,     EINC_EXPM1,
                                        EINC_SIN,   EINC_COS,  EINC_TANH,  EINC_SIGMOID,   EINC_RELU,
                                        EINC_FLOOR, EINC_CEIL, EINC_ROUND, EINC_RECIPROCAL};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
            einc_scope_begin(ctx);
            einc_unary_op op = ops[i];
            bool positive =
                op == EINC_SQRT || op == EINC_RSQRT || op == EINC_LOG || op == EINC_LOG1P || op == EINC_RECIPROCAL;
            einc_tensor *x =
                positive ? leaf(ctx, l, 0.5, 2.0, EINC_SHAPE(2, 3, 4)) : leaf_normal(ctx, l, EINC_SHAPE(2, 3, 4));
            char label[96];
            snprintf(label, sizeof label, "%s (%s)", einc_unary_op_name(op), LAYOUT_NAMES[l]);
            GRADCHECK(ctx, label, f_unary, (void *)&ops[i], x);
            einc_scope_end(ctx);
        }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(unary_conventions_at_kinks) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(3), (const double[]){-1.0, 0.0, 2.0});
    einc_requires_grad(x, true);
    double g[3];
    /* relu'(0) = 0 and abs'(0) = 0, like PyTorch */
    einc_backward(ctx, einc_tensor_sum(ctx, einc_tensor_relu(ctx, x), EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, x, g, 3));
    CHECK(g[0] == 0.0 && g[1] == 0.0 && g[2] == 1.0);
    einc_zero_grad(x);
    einc_backward(ctx, einc_tensor_sum(ctx, einc_tensor_abs(ctx, x), EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, x, g, 3));
    CHECK(g[0] == -1.0 && g[1] == 0.0 && g[2] == 1.0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

typedef struct {
    einc_binary_op op;
} binary_case;

static einc_tensor *f_binary(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    return einc_tensor_binary(ctx, ((const binary_case *)user)->op, in[0], in[1]);
}

TEST(binary_ops_with_broadcasting) {
    einc_ctx *ctx = einc_ctx_create();
    static const binary_case ops[] = {{EINC_ADD},     {EINC_SUB},     {EINC_MUL},       {EINC_DIV}, {EINC_POW},
                                      {EINC_MAXIMUM}, {EINC_MINIMUM}, {EINC_LOGADDEXP}, {EINC_MOD}, {EINC_FLOOR_DIV}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
            einc_scope_begin(ctx);
            einc_binary_op op = ops[i].op;
            bool pos_a = op == EINC_POW,
                 pos_b = op == EINC_DIV || op == EINC_POW || op == EINC_MOD || op == EINC_FLOOR_DIV;
            /* a [3, 1, 4] with b [2, 4] -> [3, 2, 4]: both operands are broadcast */
            einc_tensor *a =
                pos_a ? leaf(ctx, l, 0.5, 2.0, EINC_SHAPE(3, 1, 4)) : leaf_normal(ctx, l, EINC_SHAPE(3, 1, 4));
            einc_tensor *b = pos_b ? leaf(ctx, l, 0.5, 2.0, EINC_SHAPE(2, 4)) : leaf_normal(ctx, l, EINC_SHAPE(2, 4));
            char label[96];
            snprintf(label, sizeof label, "%s (%s, broadcast)", einc_binary_op_name(op), LAYOUT_NAMES[l]);
            GRADCHECK(ctx, label, f_binary, (void *)&ops[i], a, b);
            /* the same tensor on both sides: the two contributions add up */
            snprintf(label, sizeof label, "%s (%s, x op x)", einc_binary_op_name(op), LAYOUT_NAMES[l]);
            if (op != EINC_MAXIMUM && op != EINC_MINIMUM && op != EINC_MOD && op != EINC_FLOOR_DIV)
                GRADCHECK(ctx, label, f_binary, (void *)&ops[i], b, b);
            /* a 0-d operand */
            einc_tensor *s = pos_b ? leaf(ctx, CONTIG, 0.5, 2.0, 0, NULL) : leaf_normal(ctx, CONTIG, 0, NULL);
            snprintf(label, sizeof label, "%s (%s, 0-d b)", einc_binary_op_name(op), LAYOUT_NAMES[l]);
            GRADCHECK(ctx, label, f_binary, (void *)&ops[i], a, s);
            einc_scope_end(ctx);
        }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(binary_with_a_constant_operand) {
    /* only one operand requires grad; the other is an integer tensor (promotion to float64) */
    einc_ctx *ctx = einc_ctx_create();
    static const binary_case ops[] = {{EINC_ADD}, {EINC_SUB}, {EINC_MUL}, {EINC_DIV}, {EINC_POW}, {EINC_MAXIMUM}};
    einc_tensor *k = einc_tensor_arange(ctx, EINC_INT64, 1, 5, 1); /* [4] */
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        einc_scope_begin(ctx);
        einc_tensor *a = leaf(ctx, STRIDED, 0.5, 2.0, EINC_SHAPE(3, 4));
        einc_tensor *in[2] = {a, k};
        char label[64];
        snprintf(label, sizeof label, "%s with an int64 b", einc_binary_op_name(ops[i].op));
        gradcheck_(__FILE__, __LINE__, ctx, label, f_binary, (void *)&ops[i], 1, in);
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(ties_split_the_gradient) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(4), (const double[]){1, 3, 3, 2});
    einc_tensor *y = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(4), (const double[]){1, 0, 5, 2});
    einc_requires_grad(x, true);
    einc_requires_grad(y, true);
    double g[4];
    /* max over ties: evenly split (amax semantics) */
    einc_backward(ctx, einc_tensor_max(ctx, x, EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, x, g, 4));
    CHECK(g[0] == 0 && g[1] == 0.5 && g[2] == 0.5 && g[3] == 0);
    einc_zero_grad(x);
    einc_backward(ctx, einc_tensor_min(ctx, x, EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, x, g, 4));
    CHECK(g[0] == 1 && g[1] == 0 && g[2] == 0 && g[3] == 0);
    /* maximum: half to each operand where they are equal */
    einc_zero_grad(x);
    einc_backward(ctx, einc_tensor_sum(ctx, einc_tensor_maximum(ctx, x, y), EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, x, g, 4));
    CHECK(g[0] == 0.5 && g[1] == 1 && g[2] == 0 && g[3] == 0.5);
    CHECK(grad_values(ctx, y, g, 4));
    CHECK(g[0] == 0.5 && g[1] == 0 && g[2] == 1 && g[3] == 0.5);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

static einc_tensor *f_where(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    return einc_tensor_where(ctx, (einc_tensor *)user, in[0], in[1]);
}

static einc_tensor *f_scalars(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    return einc_add_scalar(ctx, einc_mul_scalar(ctx, in[0], -2.5), 3.0);
}

TEST(where_and_scalar_ops) {
    einc_ctx *ctx = einc_ctx_create();
    for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
        einc_scope_begin(ctx);
        /* cond [3, 1] (float: nonzero is true; it never gets a gradient), x [3, 4], y [4] */
        einc_tensor *cond = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(3, 1), (const double[]){1, 0, 2});
        einc_requires_grad(cond, true);
        einc_tensor *x = leaf_normal(ctx, l, EINC_SHAPE(3, 4)), *y = leaf_normal(ctx, l, EINC_SHAPE(4));
        GRADCHECK(ctx, LAYOUT_NAMES[l], f_where, cond, x, y);
        GRADCHECK(ctx, LAYOUT_NAMES[l], f_scalars, NULL, x);
        CHECK(einc_grad(ctx, cond) == NULL);
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- views and copies ---------------------------------------------------------------------- */

static einc_tensor *f_view(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    einc_tensor *x = in[0]; /* [2, 3, 4] */
    switch (*(const int *)user) {
    case 0: return einc_tensor_reshape(ctx, x, EINC_SHAPE(4, -1)); /* copies unless contiguous */
    case 1: return einc_tensor_view(ctx, einc_tensor_contiguous(ctx, x), EINC_SHAPE(6, 4));
    case 2: return einc_tensor_permute(ctx, x, EINC_DIMS(2, 0, 1));
    case 3: return einc_tensor_transpose(ctx, x, 0, -1);
    case 4: return einc_tensor_squeeze(ctx, einc_tensor_unsqueeze(ctx, x, 1), 1);
    case 5: return einc_tensor_squeeze_all(ctx, einc_tensor_unsqueeze(ctx, x, -1));
    case 6: return einc_tensor_expand(ctx, einc_tensor_unsqueeze(ctx, x, 1), EINC_SHAPE(3, 2, 5, 3, 4));
    case 7: return einc_tensor_slice(ctx, x, 2, 0, INT64_MAX, 2);
    case 8: return einc_tensor_slice(ctx, x, -1, INT64_MAX, INT64_MIN, -3); /* x[..., ::-3] */
    case 9: return einc_tensor_narrow(ctx, x, 1, -2, 2);
    case 10: return einc_tensor_select(ctx, x, 1, -1);
    case 11: return einc_tensor_diagonal(ctx, x, 1, 1, 2);
    case 12: return einc_tensor_diagonal(ctx, x, -1, -1, 1);
    case 13: return einc_tensor_flip(ctx, x, EINC_DIMS(0, 2));
    case 14: return einc_tensor_clone(ctx, einc_tensor_flip(ctx, x, EINC_ALL));
    case 15: return einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, x, 0, 1));
    case 16: /* a chain: slice of a transpose, then a diagonal of that */
        return einc_tensor_diagonal(ctx, einc_tensor_slice(ctx, einc_tensor_transpose(ctx, x, 0, 2), 0, 1, 4, 1), 0, 0,
                                    1);
    case 17: return einc_tensor_slice(ctx, x, 0, 5, 9, 1); /* empty */
    default: return einc_tensor_expand(ctx, x, EINC_SHAPE(2, 2, 3, 4));
    }
}

TEST(views_and_copies) {
    einc_ctx *ctx = einc_ctx_create();
    static const int cases[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
            einc_scope_begin(ctx);
            einc_tensor *x = leaf_normal(ctx, l, EINC_SHAPE(2, 3, 4));
            char label[64];
            snprintf(label, sizeof label, "view case %d (%s)", cases[i], LAYOUT_NAMES[l]);
            GRADCHECK(ctx, label, f_view, (void *)&cases[i], x);
            einc_scope_end(ctx);
        }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(casts) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = leaf_normal(ctx, TRANSPOSED, EINC_SHAPE(3, 2));
    /* float64 -> float32 -> float64: the gradient arrives as float64 */
    einc_tensor *y = einc_tensor_cast(ctx, einc_tensor_cast(ctx, x, EINC_FLOAT32), EINC_FLOAT64);
    CHECK(einc_tensor_requires_grad(y));
    einc_tensor *w = einc_tensor_arange(ctx, EINC_FLOAT64, 1, 7, 1);
    CHECK_EQ_INT(einc_backward(ctx, y, einc_tensor_view(ctx, w, EINC_SHAPE(3, 2))), EINC_OK);
    einc_tensor *g = einc_grad(ctx, x);
    CHECK(g && einc_tensor_dtype(g) == EINC_FLOAT64);
    CHECK_TENSOR_CLOSE(g, einc_tensor_view(ctx, w, EINC_SHAPE(3, 2)), 0, 0);
    /* to an integer or bool dtype: not differentiable */
    CHECK(!einc_tensor_requires_grad(einc_tensor_cast(ctx, x, EINC_INT32)));
    CHECK(!einc_tensor_requires_grad(einc_tensor_cast(ctx, x, EINC_BOOL)));
    CHECK(!einc_tensor_requires_grad(einc_tensor_argmax(ctx, x, EINC_ALL, false)));
    CHECK(!einc_tensor_requires_grad(einc_tensor_binary(ctx, EINC_LT, x, x)));
    CHECK(!einc_tensor_requires_grad(einc_tensor_reduce(ctx, EINC_REDUCE_ANY, x, EINC_ALL, false)));
    CHECK(!einc_tensor_requires_grad(einc_tensor_unary(ctx, EINC_LOGICAL_NOT, x)));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- reductions and softmax ---------------------------------------------------------------- */

typedef struct {
    einc_reduce_op op;
    int naxes;
    int axes[3];
    bool keepdims;
} reduce_case;

static einc_tensor *f_reduce(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    const reduce_case *c = user;
    return einc_tensor_reduce(ctx, c->op, in[0], c->naxes, c->naxes < 0 ? NULL : c->axes, c->keepdims);
}

TEST(reductions) {
    einc_ctx *ctx = einc_ctx_create();
    static const einc_reduce_op ops[] = {EINC_REDUCE_SUM,  EINC_REDUCE_MEAN, EINC_REDUCE_VAR, EINC_REDUCE_STD,
                                         EINC_REDUCE_PROD, EINC_REDUCE_MAX,  EINC_REDUCE_MIN, EINC_REDUCE_LOGSUMEXP};
    static const struct {
        int naxes;
        int axes[3];
    } sets[] = {{-1, {0}}, {1, {0}}, {1, {-1}}, {2, {2, 0}}, {0, {0}}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
            for (int keep = 0; keep < 2; keep++)
                for (layout l = CONTIG; l < NUM_LAYOUTS; l += 2) {
                    einc_scope_begin(ctx);
                    reduce_case c = {ops[i], sets[s].naxes, {sets[s].axes[0], sets[s].axes[1], 0}, keep != 0};
                    einc_tensor *x = leaf_normal(ctx, l, EINC_SHAPE(2, 3, 4));
                    char label[96];
                    snprintf(label, sizeof label, "%s over set %zu, keepdims %d (%s)", einc_reduce_op_name(ops[i]), s,
                             keep, LAYOUT_NAMES[l]);
                    GRADCHECK(ctx, label, f_reduce, &c, x);
                    einc_scope_end(ctx);
                }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(prod_with_zeros_and_std_of_constants) {
    einc_ctx *ctx = einc_ctx_create();
    /* rows: no zero, one zero, two zeros */
    einc_tensor *x =
        einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(3, 3), (const double[]){2, 3, 4, 2, 0, 4, 0, 3, 0});
    einc_requires_grad(x, true);
    reduce_case c = {EINC_REDUCE_PROD, 1, {1, 0, 0}, false};
    GRADCHECK(ctx, "prod with zeros", f_reduce, &c, x);
    einc_backward(ctx, einc_tensor_sum(ctx, f_reduce(ctx, &x, &c), EINC_ALL, false), NULL);
    double g[9];
    CHECK(grad_values(ctx, x, g, 9));
    static const double want[9] = {12, 8, 6, 0, 8, 0, 0, 0, 0};
    for (int i = 0; i < 9; i++) CHECK_CLOSE(g[i], want[i], 0.0);
    /* the std of a constant block has gradient 0 there, not NaN (PyTorch's choice) */
    einc_tensor *k = einc_tensor_full(ctx, EINC_FLOAT64, EINC_SHAPE(2, 3), 1.5);
    einc_requires_grad(k, true);
    reduce_case sd = {EINC_REDUCE_STD, 1, {1, 0, 0}, false};
    einc_backward(ctx, einc_tensor_sum(ctx, f_reduce(ctx, &k, &sd), EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, k, g, 6));
    for (int i = 0; i < 6; i++) CHECK(g[i] == 0.0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

static einc_tensor *f_softmax(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    int axis = *(const int *)user;
    return axis >= 100 ? einc_tensor_log_softmax(ctx, in[0], axis - 200) : einc_tensor_softmax(ctx, in[0], axis);
}

TEST(softmax_and_log_softmax) {
    einc_ctx *ctx = einc_ctx_create();
    static const int cases[] = {-1, 0, 1, 199, 200, 201}; /* softmax axes -1, 0, 1; log_softmax the same */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
            einc_scope_begin(ctx);
            einc_tensor *x = leaf_normal(ctx, l, EINC_SHAPE(3, 4, 2));
            char label[64];
            snprintf(label, sizeof label, "%s axis %d (%s)", cases[i] >= 100 ? "log_softmax" : "softmax",
                     cases[i] >= 100 ? cases[i] - 200 : cases[i], LAYOUT_NAMES[l]);
            GRADCHECK(ctx, label, f_softmax, (void *)&cases[i], x);
            einc_scope_end(ctx);
        }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- matrix products ------------------------------------------------------------------------ */

static einc_tensor *f_matmul(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    return einc_tensor_matmul(ctx, in[0], in[1]);
}

static einc_tensor *f_bmm(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    /* b [1, k, m] broadcast to a's batch with a stride-0 view */
    einc_tensor *b = einc_tensor_expand(ctx, in[1], EINC_SHAPE(einc_tensor_dim(in[0], 0), -1, -1));
    return einc_tensor_bmm(ctx, in[0], b);
}

TEST(matmul_and_bmm) {
    einc_ctx *ctx = einc_ctx_create();
    static const struct {
        int an, bn;
        int64_t as[4], bs[4];
    } shapes[] = {
        {2, 2, {3, 4}, {4, 5}}, {4, 3, {2, 1, 3, 4}, {3, 4, 2}}, /* broadcast batch on both sides */
        {1, 2, {4}, {4, 5}},    {2, 1, {3, 4}, {4}},
        {1, 1, {4}, {4}},       {3, 1, {2, 3, 4}, {4}},
        {1, 3, {4}, {2, 4, 3}}, {2, 3, {3, 4}, {2, 4, 5}}, /* a linear layer's weight shared by the batch */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
            einc_scope_begin(ctx);
            einc_tensor *a = leaf_normal(ctx, l, shapes[i].an, shapes[i].as);
            einc_tensor *b = leaf_normal(ctx, (layout)((l + 1) % NUM_LAYOUTS), shapes[i].bn, shapes[i].bs);
            char label[64];
            snprintf(label, sizeof label, "matmul shapes #%zu (%s)", i, LAYOUT_NAMES[l]);
            GRADCHECK(ctx, label, f_matmul, NULL, a, b);
            einc_scope_end(ctx);
        }
    for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
        einc_scope_begin(ctx);
        einc_tensor *a = leaf_normal(ctx, l, EINC_SHAPE(2, 3, 4)), *b = leaf_normal(ctx, l, EINC_SHAPE(1, 4, 5));
        GRADCHECK(ctx, "bmm with a broadcast batch", f_bmm, NULL, a, b);
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

static einc_tensor *f_conv(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    return einc_tensor_conv2d_1x1(ctx, in[0], in[1], user ? in[2] : NULL);
}

TEST(conv2d_1x1) {
    einc_ctx *ctx = einc_ctx_create();
    for (layout l = CONTIG; l < NUM_LAYOUTS; l++) {
        einc_scope_begin(ctx);
        einc_tensor *x = leaf_normal(ctx, l, EINC_SHAPE(2, 3, 2, 3));
        einc_tensor *w = leaf_normal(ctx, l, EINC_SHAPE(4, 3, 1, 1)), *bias = leaf_normal(ctx, l, EINC_SHAPE(4));
        GRADCHECK(ctx, LAYOUT_NAMES[l], f_conv, (void *)1, x, w, bias);
        GRADCHECK(ctx, LAYOUT_NAMES[l], f_conv, NULL, x, w);
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- a small model: attention-like composition ------------------------------------------- */

static einc_tensor *f_attention(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    einc_tensor *x = in[0], *wq = in[1], *wk = in[2]; /* x [B, N, C], w [C, D] */
    einc_tensor *q = einc_tensor_matmul(ctx, x, wq), *k = einc_tensor_matmul(ctx, x, wk);
    einc_tensor *s = einc_mul_scalar(ctx, einc_tensor_matmul(ctx, q, einc_tensor_transpose(ctx, k, 1, 2)), 0.5);
    einc_tensor *a = einc_tensor_softmax(ctx, s, -1); /* [B, N, N] */
    einc_tensor *o = einc_tensor_bmm(ctx, a, x);      /* [B, N, C] */
    return einc_tensor_mean(ctx, einc_tensor_tanh(ctx, o), EINC_DIMS(0), false);
}

TEST(composition) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = leaf_normal(ctx, TRANSPOSED, EINC_SHAPE(2, 3, 4));
    einc_tensor *wq = leaf_normal(ctx, CONTIG, EINC_SHAPE(4, 2)), *wk = leaf_normal(ctx, NEGATIVE, EINC_SHAPE(4, 2));
    GRADCHECK(ctx, "attention-like model", f_attention, NULL, x, wq, wk);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- semantics ------------------------------------------------------------------------------ */

TEST(accumulation_zero_grad_and_grad_handles) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(3), (const float[]){1, 2, 3});
    CHECK_EQ_INT(einc_requires_grad(x, true), EINC_OK);
    CHECK(einc_tensor_requires_grad(x));
    CHECK(einc_grad(ctx, x) == NULL);            /* never back-propagated to */
    einc_tensor *y = einc_tensor_mul(ctx, x, x); /* dy/dx = 2x */
    einc_tensor *loss = einc_tensor_sum(ctx, y, EINC_ALL, false);
    CHECK(einc_tensor_requires_grad(y) && einc_tensor_requires_grad(loss));
    CHECK(einc_grad(ctx, y) == NULL); /* only leaves keep a .grad */
    size_t before = live_tensors(ctx);
    CHECK_EQ_INT(einc_backward(ctx, loss, NULL), EINC_OK);
    CHECK_EQ_INT(live_tensors(ctx), before + 1); /* x's new gradient; no temporary is left anywhere */
    CHECK_EQ_INT(einc_scope_depth(ctx), 0);
    einc_tensor *g = einc_grad(ctx, x);
    CHECK(g && einc_tensor_dtype(g) == EINC_FLOAT32 && einc_tensor_ndim(g) == 1 && einc_tensor_dim(g, 0) == 3);
    double v[3];
    CHECK(grad_values(ctx, x, v, 3));
    CHECK(v[0] == 2 && v[1] == 4 && v[2] == 6);
    /* the same graph again: the gradients add up (the handle from einc_grad sees it) */
    before = live_tensors(ctx);
    CHECK_EQ_INT(einc_backward(ctx, loss, NULL), EINC_OK);
    CHECK_EQ_INT(live_tensors(ctx), before);
    CHECK(grad_values(ctx, x, v, 3));
    CHECK(v[0] == 4 && v[1] == 8 && v[2] == 12);
    CHECK_CLOSE(einc_tensor_get(g, (const int64_t[]){2}), 12.0, 0.0);
    /* a second graph adds too */
    einc_backward(ctx, einc_tensor_sum(ctx, x, EINC_ALL, false), NULL);
    CHECK(grad_values(ctx, x, v, 3));
    CHECK(v[0] == 5 && v[1] == 9 && v[2] == 13);
    CHECK_EQ_INT(einc_zero_grad(x), EINC_OK);
    CHECK_CLOSE(einc_tensor_get(g, (const int64_t[]){1}), 0.0, 0.0);
    CHECK_EQ_INT(einc_backward(ctx, loss, NULL), EINC_OK);
    CHECK(grad_values(ctx, x, v, 3));
    CHECK(v[0] == 2 && v[1] == 4 && v[2] == 6);
    /* a given grad_output: the gradient of sum(y * go) */
    einc_zero_grad(x);
    einc_tensor *go = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(3), (const double[]){1, -1, 0.5});
    CHECK_EQ_INT(einc_backward(ctx, y, go), EINC_OK);
    CHECK(grad_values(ctx, x, v, 3));
    CHECK(v[0] == 2 && v[1] == -4 && v[2] == 3);
    /* a leaf as the loss receives the gradient directly */
    einc_tensor *s = einc_tensor_scalar(ctx, EINC_FLOAT64, 7.0);
    einc_requires_grad(s, true);
    CHECK_EQ_INT(einc_backward(ctx, s, NULL), EINC_OK);
    CHECK(grad_values(ctx, s, v, 1) && v[0] == 1.0);
    /* turning requires_grad off keeps the gradient and stops recording */
    CHECK_EQ_INT(einc_requires_grad(x, false), EINC_OK);
    CHECK(!einc_tensor_requires_grad(einc_tensor_exp(ctx, x)));
    CHECK(grad_values(ctx, x, v, 3) && v[1] == -4);
    einc_tensor *d = einc_detach(ctx, y);
    CHECK(d && !einc_tensor_requires_grad(d) && einc_tensor_data(d) == einc_tensor_data(y));
    CHECK(einc_zero_grad(y) == EINC_OK); /* a non-leaf has no gradient: nothing to do */
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(broadcast_leaf_and_float32_gradients) {
    einc_ctx *ctx = einc_ctx_create();
    /* a stride-0 leaf: every logical element gets its own gradient */
    einc_tensor *row = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(3), (const float[]){1, 2, 3});
    einc_tensor *b = einc_tensor_expand(ctx, row, EINC_SHAPE(2, 3));
    einc_requires_grad(b, true);
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3), (const float[]){1, 2, 3, 4, 5, 6});
    CHECK_EQ_INT(einc_backward(ctx, einc_tensor_sum(ctx, einc_tensor_mul(ctx, b, x), EINC_ALL, false), NULL), EINC_OK);
    double g[6];
    CHECK(grad_values(ctx, b, g, 6));
    for (int i = 0; i < 6; i++) CHECK(g[i] == i + 1);
    CHECK(einc_grad(ctx, row) == NULL);
    /* float32 leaves get float32 gradients that agree with the float64 computation */
    einc_tensor *w64 = leaf_normal(ctx, TRANSPOSED, EINC_SHAPE(4, 3));
    einc_tensor *w32 = einc_tensor_cast(ctx, einc_detach(ctx, w64), EINC_FLOAT32);
    einc_requires_grad(w32, true);
    einc_tensor *ws[2] = {w64, w32};
    for (int i = 0; i < 2; i++) {
        einc_tensor *h =
            einc_tensor_softmax(ctx, einc_tensor_matmul(ctx, ws[i], einc_tensor_transpose(ctx, ws[i], 0, 1)), -1);
        einc_tensor *loss = einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP, einc_tensor_mul(ctx, h, h), EINC_ALL, false);
        CHECK_EQ_INT(einc_backward(ctx, loss, NULL), EINC_OK);
    }
    einc_tensor *g64 = einc_grad(ctx, w64), *g32 = einc_grad(ctx, w32);
    CHECK(g32 && einc_tensor_dtype(g32) == EINC_FLOAT32);
    CHECK_TENSOR_CLOSE_ANYTYPE(g32, g64, 1e-4, 1e-6);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(no_grad_mode) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = leaf_normal(ctx, CONTIG, EINC_SHAPE(4));
    CHECK(einc_is_grad_enabled(ctx));
    size_t before = live_tensors(ctx);
    CHECK(einc_set_grad_enabled(ctx, false) == true);
    CHECK(!einc_is_grad_enabled(ctx));
    einc_tensor *y = einc_tensor_sum(ctx, einc_tensor_exp(ctx, einc_tensor_mul(ctx, x, x)), EINC_ALL, false);
    CHECK(y && !einc_tensor_requires_grad(y));
    CHECK(x->ag_node == NULL); /* no node was recorded: the leaf has not even an accumulator */
    CHECK_EQ_INT(live_tensors(ctx), before + 3);
    CHECK(einc_set_grad_enabled(ctx, false) == false);
    CHECK(einc_set_grad_enabled(ctx, true) == false);
    CHECK(einc_tensor_requires_grad(einc_tensor_exp(ctx, x)));
    CHECK(einc_tensor_requires_grad(x)); /* the leaf kept its mark */
    CHECK(!einc_set_grad_enabled(NULL, true) && !einc_is_grad_enabled(NULL));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = leaf_normal(ctx, CONTIG, EINC_SHAPE(2, 3));
    einc_tensor *y = einc_tensor_exp(ctx, x);
    CHECK_EQ_INT(einc_backward(ctx, y, NULL), EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "grad_output is NULL, so the loss must have exactly one element, but it has shape (2, 3)");
    einc_tensor *go = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3, 2));
    CHECK_EQ_INT(einc_backward(ctx, y, go), EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE, "grad_output of shape (3, 2) does not match the loss's shape (2, 3)");
    CHECK_EQ_INT(einc_backward(ctx, y, einc_tensor_ones(ctx, EINC_INT64, EINC_SHAPE(2, 3))), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE, "grad_output must be float32 or float64, got int64");
    einc_tensor *c = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(1));
    CHECK_EQ_INT(einc_backward(ctx, einc_tensor_exp(ctx, c), NULL), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_backward: the loss (shape (1,)) does not require grad");
    CHECK_EQ_INT(einc_backward(ctx, NULL, NULL), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_backward: loss is NULL");
    CHECK_EQ_INT(einc_backward(NULL, y, NULL), EINC_EINVAL);
    CHECK_EQ_INT(einc_requires_grad(einc_tensor_ones(ctx, EINC_INT64, EINC_SHAPE(2)), true), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE,
                "einc_requires_grad: only float32 and float64 tensors can require gradients, got dtype int64");
    CHECK_EQ_INT(einc_requires_grad(einc_tensor_ones(ctx, EINC_BOOL, EINC_SHAPE(2)), true), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE, "dtype bool");
    CHECK_EQ_INT(einc_requires_grad(y, false), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "cannot stop a tensor computed by a recorded operation (a non-leaf, here of 'exp')");
    CHECK_EQ_INT(einc_requires_grad(y, true), EINC_OK); /* already true */
    CHECK_EQ_INT(einc_requires_grad(NULL, true), EINC_EINVAL);
    CHECK_EQ_INT(einc_zero_grad(NULL), EINC_EINVAL);
    CHECK(einc_grad(ctx, NULL) == NULL && einc_grad(NULL, x) == NULL);
    CHECK(einc_detach(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_detach: tensor argument 't' is NULL");
    CHECK(!einc_tensor_requires_grad(NULL));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- einc_gradcheck itself, and the recording API the notation ops use --------------------- */

/* A square whose rule is wrong on purpose (g instead of 2 x g): gradcheck must catch it. */
static einc_status wrong_square_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                         einc_tensor **gin) {
    (void)ctx;
    gin[0] = gout[0];
    return einc__ag_check(node, gin);
}

static einc_tensor *f_wrong_square(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    bool was = einc_set_grad_enabled(ctx, false);
    einc_tensor *y = einc_tensor_mul(ctx, in[0], in[0]);
    einc_set_grad_enabled(ctx, was);
    return einc__ag_record1(ctx, "wrong_square", y, 1, in, wrong_square_backward, 0, NULL, NULL, 0);
}

/* A rule that returns the wrong shape: einc_backward must refuse it. */
static einc_status wrong_shape_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                        einc_tensor **gin) {
    gin[0] = einc_tensor_sum(ctx, gout[0], EINC_DIMS(0), false);
    return einc__ag_check(node, gin);
}

static einc_tensor *f_int_output(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    return einc_tensor_argmax(ctx, in[0], EINC_ALL, false);
}

static einc_tensor *f_null(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)user;
    return einc_tensor_reshape(ctx, in[0], EINC_SHAPE(7));
}

static einc_tensor *f_constant(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    (void)in;
    (void)user;
    return einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2));
}

TEST(gradcheck_detects_wrong_rules_and_checks_its_arguments) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(2, 2), (const double[]){1, 2, 3, 4});
    einc_requires_grad(x, true);
    einc_tensor *in[1] = {x};
    CHECK_EQ_INT(einc_gradcheck(ctx, f_wrong_square, NULL, 1, in, 1e-6, 1e-6, 1e-5), EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "einc_gradcheck: input #1 of shape (2, 2), element 0 (0, 0): analytical gradient ");
    /* the inputs' values and gradients are left as they were */
    CHECK(einc_grad(ctx, x) == NULL);
    CHECK_CLOSE(einc_tensor_get(x, (const int64_t[]){1, 1}), 4.0, 0.0);
    einc_backward(ctx, einc_tensor_sum(ctx, x, EINC_ALL, false), NULL);
    GRADCHECK(ctx, "exp after a backward", f_unary, (void *)&(const einc_unary_op){EINC_EXP}, x);
    double v[4];
    CHECK(grad_values(ctx, x, v, 4) && v[0] == 1 && v[3] == 1);
    /* a function that does not depend on its input has gradient 0 */
    GRADCHECK(ctx, "constant", f_constant, NULL, x);

    einc_tensor *y = einc_tensor_exp(ctx, x);
    einc_tensor *bad =
        einc__ag_record1(ctx, "wrong_shape", einc_tensor_clone(ctx, y), 1, &x, wrong_shape_backward, 0, NULL, NULL, 0);
    CHECK_EQ_INT(einc_backward(ctx, einc_tensor_sum(ctx, bad, EINC_ALL, false), NULL), EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_backward: the backward rule of 'wrong_shape' returned a gradient of shape (2,) "
                "for input #1 of shape (2, 2)");
    CHECK(grad_values(ctx, x, v, 4) && v[0] == 1 && v[3] == 1); /* unchanged by the failed backward */

    CHECK_EQ_INT(einc_gradcheck(ctx, f_int_output, NULL, 1, in, 1e-6, 1e-6, 1e-5), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE, "fn's output has dtype int64");
    CHECK_EQ_INT(einc_gradcheck(ctx, f_null, NULL, 1, in, 1e-6, 1e-6, 1e-5), EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_reshape: cannot reshape");
    einc_tensor *f32 = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2));
    einc_requires_grad(f32, true);
    CHECK_EQ_INT(einc_gradcheck(ctx, f_constant, NULL, 1, &f32, 1e-6, 1e-6, 1e-5), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE, "input #1 has dtype float32; finite differences need float64");
    einc_tensor *plain = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2));
    CHECK_EQ_INT(einc_gradcheck(ctx, f_constant, NULL, 1, &plain, 1e-6, 1e-6, 1e-5), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input #1 does not require grad");
    einc_tensor *nonleaf = einc_tensor_exp(ctx, x);
    CHECK_EQ_INT(einc_gradcheck(ctx, f_constant, NULL, 1, &nonleaf, 1e-6, 1e-6, 1e-5), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input #1 is not a leaf (it was computed by 'exp')");
    einc_tensor *bcast = einc_tensor_expand(ctx, plain, EINC_SHAPE(3, 2));
    einc_requires_grad(bcast, true);
    CHECK_EQ_INT(einc_gradcheck(ctx, f_constant, NULL, 1, &bcast, 1e-6, 1e-6, 1e-5), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input #1 is a broadcast view (stride 0 in dimension 0)");
    CHECK_EQ_INT(einc_gradcheck(ctx, f_constant, NULL, 1, in, 0.0, 1e-6, 1e-5), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "eps must be positive");
    CHECK_EQ_INT(einc_gradcheck(ctx, NULL, NULL, 1, in, 1e-6, 1e-6, 1e-5), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "fn is NULL");
    CHECK_EQ_INT(einc_gradcheck(ctx, f_constant, NULL, 0, in, 1e-6, 1e-6, 1e-5), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "needs at least one input");
    einc_ctx_destroy(ctx);
}

/* A two-output operation recorded through einc__ag_record, as the notation ops will do:
 * (u, v) = (2 x, x * x), with a payload holding a private handle released by payload_free. */
typedef struct {
    einc_tensor *keep;
    double scale;
} pair_payload;

static void pair_payload_free(void *payload) { einc_tensor_release(((pair_payload *)payload)->keep); }

static einc_status pair_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                 einc_tensor **gin) {
    const pair_payload *p = node->payload;
    einc_tensor *x = node->saved[0];
    gin[0] = einc_tensor_add(ctx, einc_mul_scalar(ctx, gout[0], p->scale),
                             einc_tensor_mul(ctx, gout[1], einc_mul_scalar(ctx, x, 2.0)));
    return einc__ag_check(node, gin);
}

static einc_status pair(einc_ctx *ctx, einc_tensor *x, einc_tensor **u, einc_tensor **v) {
    bool was = einc_set_grad_enabled(ctx, false);
    einc_tensor *outs[2] = {einc_mul_scalar(ctx, x, 2.0), einc_tensor_mul(ctx, x, x)};
    einc_set_grad_enabled(ctx, was);
    pair_payload p = {einc__ag_private(ctx, einc_detach(ctx, x)), 2.0};
    einc_status st =
        einc__ag_record(ctx, "pair", 2, outs, 1, &x, pair_backward, 1, &x, &p, sizeof p, pair_payload_free);
    if (st != EINC_OK) {
        einc_tensor_release(outs[0]);
        einc_tensor_release(outs[1]);
        outs[0] = outs[1] = NULL;
    }
    *u = outs[0];
    *v = outs[1];
    return st;
}

static einc_tensor *f_pair(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    einc_tensor *u, *v;
    pair(ctx, in[0], &u, &v);
    int which = *(const int *)user; /* 0: both outputs, 1: u only, 2: v only */
    return which == 0 ? einc_tensor_add(ctx, u, einc_tensor_tanh(ctx, v)) : which == 1 ? u : v;
}

TEST(recording_api_multi_output_and_payload) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = leaf_normal(ctx, NEGATIVE, EINC_SHAPE(2, 3));
    static const int which[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++) GRADCHECK(ctx, "pair", f_pair, (void *)&which[i], x);
    size_t before = live_tensors(ctx);
    einc_scope_begin(ctx);
    einc_tensor *u, *v;
    CHECK_EQ_INT(pair(ctx, x, &u, &v), EINC_OK);
    CHECK(u->ag_node == v->ag_node && u->ag_index == 0 && v->ag_index == 1 && u->ag_node->refcount == 2);
    einc_tensor_release(u); /* the node lives on through v */
    CHECK(v->ag_node->refcount == 1);
    einc_scope_end(ctx);
    CHECK_EQ_INT(live_tensors(ctx), before); /* node, saved handle and the payload's reference are gone */
    /* nothing is recorded, and payload_free still runs, when no input requires grad */
    einc_tensor *c = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2));
    before = live_tensors(ctx);
    CHECK_EQ_INT(pair(ctx, c, &u, &v), EINC_OK);
    CHECK(!einc_tensor_requires_grad(u) && u->ag_node == NULL);
    CHECK_EQ_INT(live_tensors(ctx), before + 2);
    /* a live graph with saved tensors and payloads at einc_ctx_destroy (ASan checks the order) */
    CHECK_EQ_INT(pair(ctx, x, &u, &v), EINC_OK);
    einc_tensor_release(x);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- memory --------------------------------------------------------------------------------- */

TEST(scopes_free_the_graph_training_loop_is_flat) {
    test_alloc_state st;
    einc_ctx *ctx = test_ctx_with_budget(&st, -1);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(16, 8));
    einc_tensor *y = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(16, 4));
    einc_tensor *w = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(8, 4));
    einc_tensor *b = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(4));
    einc_requires_grad(w, true);
    einc_requires_grad(b, true);
    size_t tensors_at_10 = 0, bytes_at_10 = 0;
    long blocks_at_10 = 0;
    for (int step = 0; step < 1000; step++) {
        einc_scope_begin(ctx);
        einc_tensor *h = einc_tensor_tanh(ctx, einc_tensor_add(ctx, einc_tensor_matmul(ctx, x, w), b));
        einc_tensor *err = einc_tensor_sub(ctx, h, y);
        einc_tensor *loss = einc_tensor_mean(ctx, einc_tensor_mul(ctx, err, err), EINC_ALL, false);
        CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
        bool was = einc_set_grad_enabled(ctx, false);
        einc_tensor_copy_(ctx, w, einc_tensor_sub(ctx, w, einc_mul_scalar(ctx, einc_grad(ctx, w), 0.05)));
        einc_tensor_copy_(ctx, b, einc_tensor_sub(ctx, b, einc_mul_scalar(ctx, einc_grad(ctx, b), 0.05)));
        einc_set_grad_enabled(ctx, was);
        einc_zero_grad(w);
        einc_zero_grad(b);
        einc_scope_end(ctx);
        if (step == 10) tensors_at_10 = live_tensors(ctx), bytes_at_10 = live_bytes(ctx), blocks_at_10 = st.live_blocks;
    }
    CHECK_EQ_INT(live_tensors(ctx), tensors_at_10);
    CHECK_EQ_INT(live_bytes(ctx), bytes_at_10);
    CHECK_EQ_INT(st.live_blocks, blocks_at_10);
    CHECK_EQ_INT(live_tensors(ctx), 4 + 2); /* x, y, w, b and the two gradient buffers */
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK(st.live == 0 && st.live_blocks == 0);
}

TEST(releasing_early_is_safe_and_long_chains_free_iteratively) {
    test_alloc_state st;
    einc_ctx *ctx = test_ctx_with_budget(&st, -1);
    einc_tensor *x = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2));
    einc_requires_grad(x, true);
    einc_pool_trim(ctx);
    size_t base_tensors = live_tensors(ctx);
    long base_blocks = st.live_blocks;
    /* y = exp(x) saves y; the user releases every intermediate at once (the scope's reference) */
    einc_tensor *e = einc_tensor_exp(ctx, x), *m = einc_tensor_mul(ctx, e, e);
    einc_tensor *loss = einc_tensor_sum(ctx, m, EINC_ALL, false);
    einc_tensor_release(e);
    einc_tensor_release(m);
    CHECK_EQ_INT(einc_backward(ctx, loss, NULL), EINC_OK);
    double v[2];
    CHECK(grad_values(ctx, x, v, 2));
    CHECK_CLOSE(v[0], 2.0 * exp(2.0), 1e-12);
    einc_tensor_release(loss);
    CHECK_EQ_INT(live_tensors(ctx), base_tensors + 1); /* + x's gradient */
    einc_zero_grad(x);
    /* a chain of 200000 nodes, each output released at once: only the edges keep it alive;
     * backward and release must walk it without recursion */
    einc_tensor *y = x;
    for (int i = 0; i < 200000; i++) {
        einc_tensor *next = einc_add_scalar(ctx, y, 1e-6);
        if (y != x) einc_tensor_release(y);
        y = next;
    }
    CHECK(y != NULL);
    einc_tensor *total = einc_tensor_sum(ctx, y, EINC_ALL, false);
    einc_tensor_release(y);
    CHECK_EQ_INT(einc_backward(ctx, total, NULL), EINC_OK);
    CHECK(grad_values(ctx, x, v, 2) && v[0] == 1.0 && v[1] == 1.0);
    einc_tensor_release(total);
    CHECK_EQ_INT(live_tensors(ctx), base_tensors + 1);
    einc_pool_trim(ctx);
    CHECK_EQ_INT(st.live_blocks, base_blocks + 4); /* x's accumulator node and its gradient (handle, storage, buffer) */
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK(st.live == 0 && st.live_blocks == 0);
}

/* forward + backward (twice: the second accumulates) of a small model; true when it all worked */
static bool sweep_body(einc_ctx *ctx) {
    einc_tensor *w = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4));
    einc_tensor *b = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(4));
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 2));
    if (!w || !b || !x || einc_requires_grad(w, true) != EINC_OK || einc_requires_grad(b, true) != EINC_OK)
        return false;
    einc_tensor *h = einc_tensor_add(ctx, einc_tensor_matmul(ctx, einc_tensor_transpose(ctx, x, 0, 1), w), b);
    einc_tensor *loss = einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP, einc_tensor_relu(ctx, h), EINC_ALL, false);
    if (!loss) return false;
    for (int round = 0; round < 2; round++) {
        einc_status st = einc_backward(ctx, loss, NULL);
        if (st != EINC_OK) {
            /* a failed backward changed no gradient */
            CHECK(round == 1 || w->ag_node == NULL || w->ag_node->grad == NULL);
            return false;
        }
    }
    return einc_grad(ctx, w) != NULL && einc_grad(ctx, b) != NULL;
}

TEST(allocation_failures_leak_nothing) {
    bool done = false;
    for (long budget = 0; budget < 4000 && !done; budget++) {
        test_alloc_state s;
        einc_ctx *ctx = test_ctx_with_budget(&s, budget);
        if (!ctx) continue;
        einc_scope_begin(ctx);
        size_t before = live_tensors(ctx);
        done = sweep_body(ctx);
        if (!done && einc_errcode(ctx) != EINC_ENOMEM) {
            fprintf(stderr, "budget %ld: %s: %s\n", budget, einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            CHECK(einc_errcode(ctx) == EINC_ENOMEM);
        }
        einc_scope_end(ctx);
        /* what the scope owned is gone, graph and gradients included (the leaves died with it) */
        CHECK_EQ_INT(live_tensors(ctx), before);
        CHECK_EQ_INT(live_bytes(ctx), 0);
        einc_ctx_destroy(ctx);
        if (s.live != 0 || s.live_blocks != 0) {
            fprintf(stderr, "budget %ld: %lld bytes in %ld blocks leaked\n", budget, s.live, s.live_blocks);
            CHECK(s.live == 0 && s.live_blocks == 0);
        }
    }
    CHECK(done);
}

TEST(sgd_least_squares) {
    /* minimise mean((A w - t)^2) by hand-written SGD; t = A w_true, so the minimum is 0 */
    einc_ctx *ctx = einc_ctx_create();
    einc_seed(ctx, 7);
    einc_tensor *A = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(32, 3));
    einc_tensor *w_true = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(3), (const float[]){1.5f, -2.0f, 0.5f});
    einc_tensor *t = einc_tensor_matmul(ctx, A, w_true);
    einc_tensor *w = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(3));
    einc_requires_grad(w, true);
    double first = 0, last = 0, prev = INFINITY;
    int increases = 0;
    for (int step = 0; step < 100; step++) {
        einc_scope_begin(ctx);
        einc_tensor *r = einc_tensor_sub(ctx, einc_tensor_matmul(ctx, A, w), t);
        einc_tensor *loss = einc_tensor_mean(ctx, einc_tensor_unary(ctx, EINC_SQUARE, r), EINC_ALL, false);
        double value = einc_tensor_item(loss);
        if (step == 0) first = value;
        if (value > prev) increases++;
        prev = last = value;
        einc_backward(ctx, loss, NULL);
        bool was = einc_set_grad_enabled(ctx, false);
        einc_tensor_copy_(ctx, w, einc_tensor_sub(ctx, w, einc_mul_scalar(ctx, einc_grad(ctx, w), 0.1)));
        einc_set_grad_enabled(ctx, was);
        einc_zero_grad(w);
        einc_scope_end(ctx);
    }
    CHECK(first > 1.0);
    CHECK(last < 1e-4 * first);
    CHECK_EQ_INT(increases, 0);
    CHECK_CLOSE(einc_tensor_get(w, (const int64_t[]){1}), -2.0, 1e-2);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Gradients of a model large enough to run kernels on several threads: broadcast weights (summed
 * back in the backward pass), softmax, reductions, elementwise, held bitwise equal between thread
 * counts. (Matrix products are left out: this program also runs with EINC_GEMM=cblas, where
 * OpenBLAS may differ between thread counts; einc's GEMM is held bitwise in test_linalg.c and
 * test_notation.c, CBLAS only to closeness.) */
static void model_grads(int threads, double *out, int64_t n) {
    einc_ctx_options o = {0};
    o.threads = threads;
    o.seed = 3;
    einc_ctx *ctx = einc_ctx_create_with(&o);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(64, 256, 8));
    einc_tensor *w = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(256, 1));
    einc_requires_grad(x, true);
    einc_requires_grad(w, true);
    einc_tensor *h = einc_tensor_softmax(ctx, einc_tensor_mul(ctx, x, w), 1);
    einc_tensor *s = einc_tensor_reduce(ctx, EINC_REDUCE_LOGSUMEXP,
                                        einc_tensor_mul(ctx, h, einc_tensor_sigmoid(ctx, x)), EINC_DIMS(0, 2), false);
    einc_tensor *loss = einc_tensor_sum(ctx, einc_tensor_mul(ctx, s, s), EINC_ALL, false);
    CHECK_EQ_INT(einc_backward(ctx, loss, NULL), EINC_OK);
    CHECK(grad_values(ctx, x, out, n));
    CHECK(grad_values(ctx, w, out + n, 256));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(thread_count_does_not_change_gradients) {
    int64_t n = 64 * 256 * 8;
    double *one = malloc(sizeof(double) * (size_t)(n + 256)), *two = malloc(sizeof(double) * (size_t)(n + 256));
    model_grads(1, one, n);
    model_grads(2, two, n);
    CHECK(memcmp(one, two, sizeof(double) * (size_t)(n + 256)) == 0);
    free(one);
    free(two);
}

int main(void) {
    RUN(unary_ops);
    RUN(unary_conventions_at_kinks);
    RUN(binary_ops_with_broadcasting);
    RUN(binary_with_a_constant_operand);
    RUN(ties_split_the_gradient);
    RUN(where_and_scalar_ops);
    RUN(views_and_copies);
    RUN(casts);
    RUN(reductions);
    RUN(prod_with_zeros_and_std_of_constants);
    RUN(softmax_and_log_softmax);
    RUN(matmul_and_bmm);
    RUN(conv2d_1x1);
    RUN(composition);
    RUN(accumulation_zero_grad_and_grad_handles);
    RUN(broadcast_leaf_and_float32_gradients);
    RUN(no_grad_mode);
    RUN(errors);
    RUN(gradcheck_detects_wrong_rules_and_checks_its_arguments);
    RUN(recording_api_multi_output_and_payload);
    RUN(scopes_free_the_graph_training_loop_is_flat);
    RUN(releasing_early_is_safe_and_long_chains_free_iteratively);
    RUN(allocation_failures_leak_nothing);
    RUN(sgd_least_squares);
    RUN(thread_count_does_not_change_gradients);
    return test_summary();
}
