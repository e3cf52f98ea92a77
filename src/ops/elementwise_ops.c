/* elementwise_ops.c — the public elementwise operations: validation and dispatch.
 *
 * Each operation validates its arguments, resolves the compute and result dtypes (the rules are
 * core's, src/core/dtype_rules.c), allocates the contiguous result and runs the kernel over the
 * broadcast views on the context's threads.
 */
#include "../core/internal.h"
#include "../kernels/elementwise.h"

static const char *const unary_names[] = {
    "neg", "abs", "sign", "square",  "sqrt", "rsqrt", "exp",  "log",   "log1p",      "expm1",
    "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "reciprocal", "logical_not",
};
static const char *const binary_names[] = {
    "add", "sub", "mul", "div", "floor_div", "pow", "maximum",     "minimum",    "logaddexp",
    "eq",  "ne",  "lt",  "le",  "gt",        "ge",  "logical_and", "logical_or", "mod",
};
#define NUM_UNARY_OPS ((unsigned)(sizeof unary_names / sizeof unary_names[0]))
#define NUM_BINARY_OPS ((unsigned)(sizeof binary_names / sizeof binary_names[0]))
_Static_assert(sizeof unary_names / sizeof unary_names[0] == EINC_LOGICAL_NOT + 1, "a unary op lacks its name");
_Static_assert(sizeof binary_names / sizeof binary_names[0] == EINC_MOD + 1, "a binary op lacks its name");

const char *einc_unary_op_name(einc_unary_op op) { return (unsigned)op < NUM_UNARY_OPS ? unary_names[op] : "invalid"; }

const char *einc_binary_op_name(einc_binary_op op) {
    return (unsigned)op < NUM_BINARY_OPS ? binary_names[op] : "invalid";
}

/* ---- dispatch ------------------------------------------------------------------------------- */

/* Rough cost per element relative to an add, so cheap operations on mid-sized tensors stay on
 * one thread and transcendental ones go parallel sooner. */
enum { COST_CHEAP = 3, COST_MATH = 24 };

typedef struct {
    einc_unary_op op;
    einc__view y, x;
} unary_task_arg;

static void unary_task(void *arg, int ith, int nth) {
    unary_task_arg *t = arg;
    einc__k_unary(t->op, &t->y, &t->x, ith, nth);
}

typedef struct {
    einc_binary_op op;
    einc_dtype compute;
    einc__view y, a, b;
} binary_task_arg;

static void binary_task(void *arg, int ith, int nth) {
    binary_task_arg *t = arg;
    einc__k_binary(t->op, t->compute, &t->y, &t->a, &t->b, ith, nth);
}

typedef struct {
    einc__view y, cond, a, b;
} where_task_arg;

static void where_task(void *arg, int ith, int nth) {
    where_task_arg *t = arg;
    einc__k_where(&t->y, &t->cond, &t->a, &t->b, ith, nth);
}

/* Runs the binary kernel into a new tensor of `result` dtype and shape (ndim, shape); b is given
 * as a view so that scalars can live on the caller's stack. */
static einc_tensor *run_binary(einc_ctx *ctx, const char *fname, einc_binary_op op, einc_dtype compute,
                               einc_dtype result, int ndim, const int64_t *shape, const einc_tensor *a,
                               const einc__view *b) {
    int64_t numel;
    if (!einc__shape_check(ctx, fname, result, ndim, shape, &numel)) return NULL;
    einc_tensor *y = einc__tensor_new(ctx, result, ndim, shape);
    if (!y) return NULL;
    if (numel == 0) return y;
    binary_task_arg t = {op, compute, einc__view_of(y), einc__view_broadcast(a, ndim, shape), *b};
    bool costly = einc__dtype_is_float(compute) &&
                  (op == EINC_POW || op == EINC_LOGADDEXP || op == EINC_FLOOR_DIV || op == EINC_MOD);
    einc__parallel_chunks(ctx, numel * (costly ? COST_MATH : COST_CHEAP), binary_task, &t);
    return y;
}

static einc_tensor *unary_impl(einc_ctx *ctx, const char *fname, einc_unary_op op, einc_tensor *x) {
    EINC__REQUIRE(ctx, x, fname);
    if ((unsigned)op >= NUM_UNARY_OPS) {
        einc__error(ctx, EINC_EINVAL, "%s: invalid unary operation value %d (valid: 0 to %u)", fname, (int)op,
                    NUM_UNARY_OPS - 1);
        return NULL;
    }
    einc_dtype result;
    if (!einc__ew_unary_dtype(op, x->dtype, &result)) {
        einc__error(ctx, EINC_EDTYPE,
                    "%s: %s of a bool tensor is not supported; use EINC_LOGICAL_NOT (or cast "
                    "to an integer dtype first)",
                    fname, einc_unary_op_name(op));
        return NULL;
    }
    einc_tensor *y = einc__tensor_new(ctx, result, x->ndim, x->shape);
    if (!y) return NULL;
    int64_t numel = einc__tensor_numel(y);
    if (numel > 0) {
        unary_task_arg t = {op, einc__view_of(y), einc__view_of(x)};
        einc__parallel_chunks(ctx, numel * (einc__unary_is_math(op) ? COST_MATH : COST_CHEAP), unary_task, &t);
    }
    return einc__ag_unary(ctx, y, op, x);
}

static einc_tensor *binary_impl(einc_ctx *ctx, const char *fname, einc_binary_op op, einc_tensor *a, einc_tensor *b) {
    EINC__REQUIRE(ctx, a, fname);
    EINC__REQUIRE(ctx, b, fname);
    if ((unsigned)op >= NUM_BINARY_OPS) {
        einc__error(ctx, EINC_EINVAL, "%s: invalid binary operation value %d (valid: 0 to %u)", fname, (int)op,
                    NUM_BINARY_OPS - 1);
        return NULL;
    }
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
    if (!einc__shape_broadcast(a->ndim, a->shape, b->ndim, b->shape, &ndim, shape)) {
        char as[256], bs[256];
        einc__error(ctx, EINC_ESHAPE, "%s: operands could not be broadcast together with shapes %s %s", fname,
                    einc__shape_str(as, sizeof as, a->ndim, a->shape),
                    einc__shape_str(bs, sizeof bs, b->ndim, b->shape));
        return NULL;
    }
    einc_dtype compute, result;
    if (!einc__ew_binary_dtypes(op, a->dtype, a->ndim, b->dtype, b->ndim, &compute, &result)) {
        einc__error(ctx, EINC_EDTYPE,
                    "%s: %s of two bool operands is not supported; use EINC_NE for exclusive or "
                    "(or cast to an integer dtype first)",
                    fname, einc_binary_op_name(op));
        return NULL;
    }
    int64_t numel = 0;
    if (op == EINC_POW && !einc__dtype_is_float(compute) && einc__shape_numel(ndim, shape, &numel) && numel > 0) {
        einc__view e = einc__view_of(b);
        int64_t bad;
        if (einc__k_find_negative(&e, compute, &bad)) {
            einc__error(ctx, EINC_EVALUE,
                        "%s: integers to negative integer powers are not allowed (exponent %lld); "
                        "cast the base to a float dtype first",
                        fname, (long long)bad);
            return NULL;
        }
    }
    einc__view bv = einc__view_broadcast(b, ndim, shape);
    return einc__ag_binary(ctx, run_binary(ctx, fname, op, compute, result, ndim, shape, a, &bv), op, a, b);
}

/* x op s with s a 0-d operand of x's float dtype (float64 for integer and bool x). */
static einc_tensor *scalar_impl(einc_ctx *ctx, const char *fname, einc_binary_op op, einc_tensor *x, double s) {
    EINC__REQUIRE(ctx, x, fname);
    /* float16 and bfloat16 x: computed in float32 (the scalar too, as NumPy converts it), rounded */
    einc_dtype dt = einc__dtype_kind(x->dtype) == 2 ? x->dtype : EINC_FLOAT64;
    einc_dtype compute = einc__compute_dtype(dt);
    union {
        float f;
        double d;
    } value;
    if (compute == EINC_FLOAT32 && dt != EINC_FLOAT32) { /* NumPy converts the scalar to x's dtype first */
        char h[2];
        einc__store_f64(h, dt, s);
        value.f = (float)einc__load_f64(h, dt);
    } else if (compute == EINC_FLOAT32) {
        value.f = (float)s;
    } else {
        value.d = s;
    }
    einc__view sv;
    memset(&sv, 0, sizeof sv); /* stride 0 in every dimension: one element broadcast */
    sv.data = (char *)&value;
    sv.dtype = compute;
    sv.ndim = x->ndim;
    for (int d = 0; d < x->ndim; d++) sv.shape[d] = x->shape[d];
    return einc__ag_scalar_op(ctx, run_binary(ctx, fname, op, compute, dt, x->ndim, x->shape, x, &sv), op, x, s);
}

/* ---- public functions ----------------------------------------------------------------------- */

einc_tensor *einc_tensor_unary(einc_ctx *ctx, einc_unary_op op, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_unary", op, x);
}

einc_tensor *einc_tensor_binary(einc_ctx *ctx, einc_binary_op op, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_binary", op, a, b);
}

einc_tensor *einc_tensor_where(einc_ctx *ctx, einc_tensor *cond, einc_tensor *x, einc_tensor *y) {
    EINC__OWNED(ctx, NULL);
    const char *fname = "einc_tensor_where";
    EINC__REQUIRE(ctx, cond, fname);
    EINC__REQUIRE(ctx, x, fname);
    EINC__REQUIRE(ctx, y, fname);
    int nd1, ndim;
    int64_t s1[EINC_MAX_DIMS], shape[EINC_MAX_DIMS];
    if (!einc__shape_broadcast(cond->ndim, cond->shape, x->ndim, x->shape, &nd1, s1) ||
        !einc__shape_broadcast(nd1, s1, y->ndim, y->shape, &ndim, shape)) {
        char cs[256], xs[256], ys[256];
        einc__error(ctx, EINC_ESHAPE, "%s: condition, x and y could not be broadcast together with shapes %s %s %s",
                    fname, einc__shape_str(cs, sizeof cs, cond->ndim, cond->shape),
                    einc__shape_str(xs, sizeof xs, x->ndim, x->shape),
                    einc__shape_str(ys, sizeof ys, y->ndim, y->shape));
        return NULL;
    }
    einc_dtype result = einc_promote_types(x->dtype, x->ndim, y->dtype, y->ndim);
    int64_t numel;
    if (!einc__shape_check(ctx, fname, result, ndim, shape, &numel)) return NULL;
    einc_tensor *out = einc__tensor_new(ctx, result, ndim, shape);
    if (!out) return NULL;
    if (numel > 0) {
        where_task_arg t = {einc__view_of(out), einc__view_broadcast(cond, ndim, shape),
                            einc__view_broadcast(x, ndim, shape), einc__view_broadcast(y, ndim, shape)};
        einc__parallel_chunks(ctx, numel * COST_CHEAP, where_task, &t);
    }
    return einc__ag_where(ctx, out, cond, x, y);
}

einc_tensor *einc_mul_scalar(einc_ctx *ctx, einc_tensor *x, double s) {
    EINC__OWNED(ctx, NULL);
    return scalar_impl(ctx, "einc_mul_scalar", EINC_MUL, x, s);
}

einc_tensor *einc_add_scalar(einc_ctx *ctx, einc_tensor *x, double s) {
    EINC__OWNED(ctx, NULL);
    return scalar_impl(ctx, "einc_add_scalar", EINC_ADD, x, s);
}

einc_tensor *einc_tensor_neg(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_neg", EINC_NEG, x);
}
einc_tensor *einc_tensor_abs(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_abs", EINC_ABS, x);
}
einc_tensor *einc_tensor_exp(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_exp", EINC_EXP, x);
}
einc_tensor *einc_tensor_log(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_log", EINC_LOG, x);
}
einc_tensor *einc_tensor_sqrt(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_sqrt", EINC_SQRT, x);
}
einc_tensor *einc_tensor_tanh(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_tanh", EINC_TANH, x);
}
einc_tensor *einc_tensor_sigmoid(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_sigmoid", EINC_SIGMOID, x);
}
einc_tensor *einc_tensor_relu(einc_ctx *ctx, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    return unary_impl(ctx, "einc_tensor_relu", EINC_RELU, x);
}

einc_tensor *einc_tensor_add(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_add", EINC_ADD, a, b);
}
einc_tensor *einc_tensor_sub(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_sub", EINC_SUB, a, b);
}
einc_tensor *einc_tensor_mul(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_mul", EINC_MUL, a, b);
}
einc_tensor *einc_tensor_div(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_div", EINC_DIV, a, b);
}
einc_tensor *einc_tensor_maximum(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_maximum", EINC_MAXIMUM, a, b);
}
einc_tensor *einc_tensor_minimum(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    return binary_impl(ctx, "einc_tensor_minimum", EINC_MINIMUM, a, b);
}
