/* index_ops.c — the convenience forms of the indexing operations (include/einc/notation.h):
 * one coordinate tensor, one result, through einc_apply. */
#include "../core/internal.h"

static einc_tensor *index_op(einc_ctx *ctx, einc_op op, const char *expr, int n, einc_tensor *const *in,
                             einc_axes axes) {
    if (!ctx) return NULL;
    for (int i = 0; i < n; i++)
        if (!in[i]) { /* NULL propagates: the first error stays */
            einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): input tensor #%d is NULL", einc_op_name(op), expr ? expr : "",
                        i + 1);
            return NULL;
        }
    einc_tensor *out = NULL;
    einc_apply(ctx, op, expr, n, in, 1, &out, axes, NULL);
    return out;
}

einc_tensor *(einc_get_at)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    einc_tensor *in[2] = {x, coords};
    return index_op(ctx, EINC_OP_GET_AT, expr, 2, in, axes);
}

einc_tensor *(einc_set_at)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords, einc_tensor *updates,
                           einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    einc_tensor *in[3] = {x, coords, updates};
    return index_op(ctx, EINC_OP_SET_AT, expr, 3, in, axes);
}

einc_tensor *(einc_add_at)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords, einc_tensor *updates,
                           einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    einc_tensor *in[3] = {x, coords, updates};
    return index_op(ctx, EINC_OP_ADD_AT, expr, 3, in, axes);
}

einc_tensor *(einc_subtract_at)(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords,
                                einc_tensor *updates, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    einc_tensor *in[3] = {x, coords, updates};
    return index_op(ctx, EINC_OP_SUBTRACT_AT, expr, 3, in, axes);
}
