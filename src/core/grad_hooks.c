/* grad_hooks.c — the autograd hooks the operations call: forwarded to the rules a context installed. */
#include "internal.h"

einc_tensor *einc__ag_reshape(einc_ctx *ctx, einc_tensor *out, einc_tensor *x) {
    return ctx->grad ? ctx->grad->reshape(ctx, out, x) : out;
}

einc_tensor *einc__ag_permute(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, const int *axes) {
    return ctx->grad ? ctx->grad->permute(ctx, out, x, axes) : out;
}

einc_tensor *einc__ag_expand(einc_ctx *ctx, einc_tensor *out, einc_tensor *x) {
    return ctx->grad ? ctx->grad->expand(ctx, out, x) : out;
}

einc_tensor *einc__ag_slice(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, int axis, int64_t start, int64_t step) {
    return ctx->grad ? ctx->grad->slice(ctx, out, x, axis, start, step) : out;
}

einc_tensor *einc__ag_select(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, int axis, int64_t index) {
    return ctx->grad ? ctx->grad->select(ctx, out, x, axis, index) : out;
}

einc_tensor *einc__ag_diagonal(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, int64_t offset, int axis1, int axis2) {
    return ctx->grad ? ctx->grad->diagonal(ctx, out, x, offset, axis1, axis2) : out;
}

einc_tensor *einc__ag_flip(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, const bool *flipped) {
    return ctx->grad ? ctx->grad->flip(ctx, out, x, flipped) : out;
}

einc_tensor *einc__ag_identity(einc_ctx *ctx, einc_tensor *out, einc_tensor *x) {
    return ctx->grad ? ctx->grad->identity(ctx, out, x) : out;
}

einc_tensor *einc__ag_unary(einc_ctx *ctx, einc_tensor *out, einc_unary_op op, einc_tensor *x) {
    return ctx->grad ? ctx->grad->unary(ctx, out, op, x) : out;
}

einc_tensor *einc__ag_binary(einc_ctx *ctx, einc_tensor *out, einc_binary_op op, einc_tensor *a, einc_tensor *b) {
    return ctx->grad ? ctx->grad->binary(ctx, out, op, a, b) : out;
}

einc_tensor *einc__ag_scalar_op(einc_ctx *ctx, einc_tensor *out, einc_binary_op op, einc_tensor *x, double s) {
    return ctx->grad ? ctx->grad->scalar_op(ctx, out, op, x, s) : out;
}

einc_tensor *einc__ag_where(einc_ctx *ctx, einc_tensor *out, einc_tensor *cond, einc_tensor *x, einc_tensor *y) {
    return ctx->grad ? ctx->grad->where(ctx, out, cond, x, y) : out;
}

einc_tensor *einc__ag_reduce(einc_ctx *ctx, einc_tensor *out, einc_reduce_op op, einc_tensor *x, uint32_t mask,
                             bool keepdims) {
    return ctx->grad ? ctx->grad->reduce(ctx, out, op, x, mask, keepdims) : out;
}

einc_tensor *einc__ag_softmax(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, uint32_t mask, bool is_log) {
    return ctx->grad ? ctx->grad->softmax(ctx, out, x, mask, is_log) : out;
}

einc_tensor *einc__ag_matmul(einc_ctx *ctx, einc_tensor *out, einc_tensor *a, einc_tensor *b) {
    return ctx->grad ? ctx->grad->matmul(ctx, out, a, b) : out;
}

einc_tensor *einc__ag_conv2d_1x1(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, einc_tensor *w, einc_tensor *bias) {
    return ctx->grad ? ctx->grad->conv2d_1x1(ctx, out, x, w, bias) : out;
}

einc_status einc__notation_record(einc_ctx *ctx, struct einc__plan *p, int ninputs, einc_tensor *const *inputs,
                                  int noutputs, einc_tensor **outputs) {
    return ctx->grad ? ctx->grad->notation(ctx, p, ninputs, inputs, noutputs, outputs) : EINC_OK;
}
