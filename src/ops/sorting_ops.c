/* sorting_ops.c — the convenience forms of argmax, argmin, sort, argsort, flip and roll (the
 * operations themselves run through einc_apply: src/plan/sorting.h). */
#include "../core/internal.h"

static einc_tensor *one(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *x, einc_axes axes,
                        const einc_op_options *options) {
    if (!ctx) return NULL;
    if (!x) { /* NULL propagates: the first error stays */
        einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): input tensor #1 is NULL", einc_op_name(op), expr ? expr : "");
        return NULL;
    }
    einc_tensor *out = NULL;
    einc_apply(ctx, op, expr, 1, &x, 1, &out, axes, options);
    return out;
}

einc_tensor *(einc_argmax)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one(ctx, EINC_OP_ARGMAX, expr, x, axes, NULL);
}
einc_tensor *(einc_argmin)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one(ctx, EINC_OP_ARGMIN, expr, x, axes, NULL);
}
einc_tensor *(einc_sort)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one(ctx, EINC_OP_SORT, expr, x, axes, NULL);
}
einc_tensor *(einc_argsort)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one(ctx, EINC_OP_ARGSORT, expr, x, axes, NULL);
}
einc_tensor *(einc_flip)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one(ctx, EINC_OP_FLIP, expr, x, axes, NULL);
}

einc_tensor *(einc_roll)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_shift shift, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (shift.n < 1 || shift.n > EINC_MAX_DIMS) {
        einc__error(ctx, EINC_EVALUE, "roll(\"%s\"): %d shifts (give 1, or one per bracketed axis, at most %d)",
                    expr ? expr : "", shift.n, EINC_MAX_DIMS);
        return NULL;
    }
    einc_op_options options;
    memset(&options, 0, sizeof options);
    options.nshift = shift.n;
    memcpy(options.shift, shift.v, sizeof(int64_t) * (size_t)shift.n);
    return one(ctx, EINC_OP_ROLL, expr, x, axes, &options);
}
