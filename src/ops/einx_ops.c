/* einx_ops.c — the public einx operations: look the plan up in the cache (or build it), run it. */
#include "../plan/cache.h"
#include "../plan/op_table.h"
#include "../plan/plan.h"

#define KEY_CAP 4096

/* Validates the arguments shared by einc_apply and einc_explain. */
static bool check_args(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                       einc_axes axes, const char *fname) {
    if ((unsigned)op >= EINC_OP_COUNT_) {
        einc__error(ctx, EINC_EINVAL, "%s: invalid operation value %d", fname, (int)op);
        return false;
    }
    if (!expr) {
        einc__error(ctx, EINC_EINVAL, "%s: expression is NULL", fname);
        return false;
    }
    if (ninputs < 0 || ninputs > EINC_MAX_OPERANDS || (ninputs > 0 && !inputs)) {
        einc__error(ctx, EINC_EINVAL, "%s: %d input tensors (at most %d are supported)", fname, ninputs,
                    EINC_MAX_OPERANDS);
        return false;
    }
    for (int i = 0; i < ninputs; i++)
        if (!inputs[i]) {
            einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): input tensor #%d is NULL", einc_op_name(op), expr, i + 1);
            return false;
        }
    if (axes.n < 0 || (axes.n > 0 && !axes.v)) {
        einc__error(ctx, EINC_EINVAL, "%s: invalid constraints (n = %d)", fname, axes.n);
        return false;
    }
    return true;
}

/* softmax and log_softmax of float16 and bfloat16: computed in float32, the result rounded to the
 * input's dtype (as PyTorch does); of uint8, int8, int16: as int32, of uint64: as float64 (the
 * result is float64, as for every integer). */
static einc_status apply_widened(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *x, int noutputs,
                                 einc_tensor **outputs, einc_axes axes, const einc_op_options *options) {
    einc_tensor *w = einc_tensor_cast(ctx, x, einc__softmax_dtype(x->dtype));
    if (!w) return einc_errcode(ctx);
    einc_status st = einc_apply(ctx, op, expr, 1, &w, noutputs, outputs, axes, options);
    einc_tensor_release(w);
    for (int o = 0; st == EINC_OK && o < noutputs; o++) {
        if (!einc__dtype_is_half(x->dtype)) break;
        einc_tensor *y = einc_tensor_cast(ctx, outputs[o], x->dtype);
        einc_tensor_release(outputs[o]);
        outputs[o] = y;
        if (!y) st = einc_errcode(ctx);
    }
    return st;
}

/* Whether einc_apply runs this call through apply_widened. */
static bool widens(einc_op op, int ninputs, einc_tensor *const *inputs) {
    return ninputs == 1 && inputs[0] && einc__op_family(op) == EINC__FAMILY_SOFTMAX &&
           einc__dtype_valid(inputs[0]->dtype) && !einc__dtype_is_basic(inputs[0]->dtype);
}

einc_status einc_apply(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                       int noutputs, einc_tensor **outputs, einc_axes axes, const einc_op_options *options) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (noutputs < 0 || (noutputs > 0 && !outputs)) return einc__error(ctx, EINC_EINVAL, "einc_apply: outputs is NULL");
    for (int o = 0; o < noutputs; o++) outputs[o] = NULL;
    if (!check_args(ctx, op, expr, ninputs, inputs, axes, "einc_apply")) return EINC_EINVAL;
    if (widens(op, ninputs, inputs)) return apply_widened(ctx, op, expr, inputs[0], noutputs, outputs, axes, options);
    /* the plan: from the cache, or built now (and then offered to the cache) */
    unsigned char key[KEY_CAP];
    size_t keylen = 0;
    bool cacheable = einc__plan_key(op, expr, ninputs, inputs, axes, options, key, KEY_CAP, &keylen);
    einc__plan *p = cacheable ? einc__plan_cache_get(ctx, key, keylen) : NULL;
    bool built = false;
    if (!p) {
        p = einc__plan_build(ctx, op, expr, ninputs, inputs, axes, options);
        if (!p) return einc_errcode(ctx) != EINC_OK ? einc_errcode(ctx) : EINC_ENOMEM;
        built = true;
    }
    einc_status st;
    if (p->noutputs != noutputs)
        st = einc__error(ctx, EINC_EVALUE,
                         "%s(\"%s\"): the expression has %d output%s, but %d output tensor%s "
                         "requested",
                         einc_op_name(op), expr, p->noutputs, p->noutputs == 1 ? "" : "s", noutputs,
                         noutputs == 1 ? " was" : "s were");
    else st = einc__plan_exec(ctx, p, inputs, outputs);
    if (st == EINC_OK) {
        st = einc__notation_record(ctx, p, ninputs, inputs, noutputs, outputs);
        if (st != EINC_OK)
            for (int o = 0; o < noutputs; o++) {
                einc_tensor_release(outputs[o]);
                outputs[o] = NULL;
            }
    }
    if (built) {
        if (cacheable) einc__plan_cache_put(ctx, key, keylen, p);
        einc__plan_release(p); /* the build's reference */
    }
    return st;
}

int64_t einc_explain(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                     einc_axes axes, const einc_op_options *options, char *buf, size_t size) {
    EINC__OWNED(ctx, -1);
    if (!ctx) return -1;
    if (!check_args(ctx, op, expr, ninputs, inputs, axes, "einc_explain")) return -1;
    /* A widened softmax (apply_widened) runs the plan of its input cast to the compute dtype, a
     * contiguous copy: explain that plan, built on a description of the cast (a copy of the
     * handle with the new dtype and strides; a plan reads only dtypes and geometry, never
     * elements, and this handle never leaves the call). */
    einc_tensor widened, *widened_p = &widened;
    bool wide = widens(op, ninputs, inputs);
    if (wide) {
        widened = *inputs[0];
        widened.dtype = einc__softmax_dtype(inputs[0]->dtype);
        widened.requires_grad = false;
        widened.ag_node = NULL;
        for (int64_t d = widened.ndim - 1, step = 1; d >= 0; step *= widened.shape[d], d--) widened.strides[d] = step;
    }
    einc__plan *p = einc__plan_build(ctx, op, expr, ninputs, wide ? &widened_p : inputs, axes, options);
    if (!p) return -1;
    char text[16384];
    einc__sb sb;
    einc__sb_init(&sb, text, sizeof text);
    einc__plan_explain(p, &sb);
    if (wide)
        einc__sb_printf(&sb, "  (input #1, %s, is first converted to a contiguous %s copy, which the steps read%s)\n",
                        einc_dtype_name(inputs[0]->dtype), einc_dtype_name(widened.dtype),
                        einc__dtype_is_half(inputs[0]->dtype) ? "; the outputs are then rounded back to it" : "");
    einc__plan_release(p);
    if (buf && size) {
        size_t n = sb.len < size - 1 ? sb.len : size - 1;
        memcpy(buf, text, n);
        buf[n] = '\0';
    }
    return (int64_t)sb.len;
}

/* ---- convenience forms ------------------------------------------------------------------------ */

/* Every one-line form comes here: the owner check, NULL inputs, then einc_apply. */
static einc_tensor *one(einc_ctx *ctx, einc_op op, const char *expr, int n, einc_tensor *const *in, einc_axes axes) {
    einc_tensor *out = NULL;
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    for (int i = 0; i < n; i++)
        if (!in[i]) { /* NULL propagates: the first error stays */
            einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): input tensor #%d is NULL", einc_op_name(op), expr ? expr : "",
                        i + 1);
            return NULL;
        }
    einc_apply(ctx, op, expr, n, in, 1, &out, axes, NULL);
    return out;
}

einc_tensor *(einc_id)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    return one(ctx, EINC_OP_ID, expr, 1, &x, axes);
}
einc_tensor *(einc_rearrange)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    return one(ctx, EINC_OP_REARRANGE, expr, 1, &x, axes);
}
einc_tensor *(einc_dot)(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes) {
    einc_tensor *in[2] = {a, b};
    return one(ctx, EINC_OP_DOT, expr, 2, in, axes);
}
/* The forms taking an operation value name themselves when it is out of range (einc_apply would
 * otherwise be blamed for a value the caller never gave it). */
static bool op_in_range(einc_ctx *ctx, const char *fname, einc_op op, const char *expected) {
    if ((unsigned)op < EINC_OP_COUNT_) return true;
    if (ctx) einc__error(ctx, EINC_EINVAL, "%s: invalid operation value %d (expected %s)", fname, (int)op, expected);
    return false;
}

einc_tensor *einc_reduce(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *x, einc_axes axes) {
    if (!op_in_range(ctx, "einc_reduce", op, "a reduction, EINC_OP_SUM ... EINC_OP_LOGSUMEXP")) return NULL;
    return one(ctx, op, expr, 1, &x, axes);
}
einc_tensor *einc_elementwise(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *a, einc_tensor *b,
                              einc_axes axes) {
    if (!op_in_range(ctx, "einc_elementwise", op, "an elementwise operation, EINC_OP_ADD ... EINC_OP_LOGICAL_OR"))
        return NULL;
    einc_tensor *in[2] = {a, b};
    return one(ctx, op, expr, 2, in, axes);
}

#define EINC__UNARY_DEF(fn, OP)                                                                                        \
    einc_tensor *(fn)(einc_ctx * ctx, const char *expr, einc_tensor *x, einc_axes axes) {                              \
        return one(ctx, OP, expr, 1, &x, axes);                                                                        \
    }
#define EINC__BINARY_DEF(fn, OP)                                                                                       \
    einc_tensor *(fn)(einc_ctx * ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes) {              \
        einc_tensor *in[2] = {a, b};                                                                                   \
        return one(ctx, OP, expr, 2, in, axes);                                                                        \
    }

EINC__UNARY_DEF(einc_sum, EINC_OP_SUM)
EINC__UNARY_DEF(einc_mean, EINC_OP_MEAN)
EINC__UNARY_DEF(einc_var, EINC_OP_VAR)
EINC__UNARY_DEF(einc_std, EINC_OP_STD)
EINC__UNARY_DEF(einc_prod, EINC_OP_PROD)
EINC__UNARY_DEF(einc_max, EINC_OP_MAX)
EINC__UNARY_DEF(einc_min, EINC_OP_MIN)
EINC__UNARY_DEF(einc_any, EINC_OP_ANY)
EINC__UNARY_DEF(einc_all, EINC_OP_ALL)
EINC__UNARY_DEF(einc_count_nonzero, EINC_OP_COUNT_NONZERO)
EINC__UNARY_DEF(einc_logsumexp, EINC_OP_LOGSUMEXP)
EINC__UNARY_DEF(einc_softmax, EINC_OP_SOFTMAX)
EINC__UNARY_DEF(einc_log_softmax, EINC_OP_LOG_SOFTMAX)
EINC__BINARY_DEF(einc_add, EINC_OP_ADD)
EINC__BINARY_DEF(einc_subtract, EINC_OP_SUBTRACT)
EINC__BINARY_DEF(einc_multiply, EINC_OP_MULTIPLY)
EINC__BINARY_DEF(einc_divide, EINC_OP_DIVIDE)
EINC__BINARY_DEF(einc_maximum, EINC_OP_MAXIMUM)
EINC__BINARY_DEF(einc_minimum, EINC_OP_MINIMUM)

einc_tensor *(einc_where)(einc_ctx *ctx, const char *expr, einc_tensor *cond, einc_tensor *x, einc_tensor *y,
                          einc_axes axes) {
    einc_tensor *in[3] = {cond, x, y};
    return one(ctx, EINC_OP_WHERE, expr, 3, in, axes);
}
