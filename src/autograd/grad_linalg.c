/* grad_linalg.c — backward rules of matmul/bmm and conv2d_1x1, written as matrix products:
 *   y = a @ b:           ga = g @ b^T,   gb = a^T @ g   (summed over broadcast batch dimensions)
 *   y = conv1x1(x, w):   gx = w^T @ g,   gw = sum_b g @ x^T,   gbias = sum of g over (B, H, W)
 */
#include "autograd.h"

/* a^T over the last two dimensions. */
static einc_tensor *mT(einc_ctx *ctx, einc_tensor *t) { return t ? einc_tensor_transpose(ctx, t, -1, -2) : NULL; }

static einc_status matmul_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                   einc_tensor **gin) {
    einc_tensor *a = node->saved[0], *b = node->saved[1], *g = gout[0];
    bool a_vec = node->inputs[0].meta.ndim == 1, b_vec = node->inputs[1].meta.ndim == 1;
    /* undo the 1-d promotion: a [k] acts as [1, k], b [k] as [k, 1]; g gets those unit axes back */
    if (a_vec && b_vec) g = einc_tensor_reshape(ctx, g, EINC_SHAPE(1, 1));
    else if (a_vec) g = einc_tensor_unsqueeze(ctx, g, -2);
    else if (b_vec) g = einc_tensor_unsqueeze(ctx, g, -1);
    if (einc__ag_wants(node, 0)) {
        einc_tensor *B = b_vec ? einc_tensor_unsqueeze(ctx, b, -1) : b;
        einc_tensor *ga = einc_tensor_matmul(ctx, g, mT(ctx, B)); /* [..., n, k] */
        if (a_vec) ga = einc_tensor_squeeze(ctx, ga, -2);
        gin[0] = einc__ag_reduce_to_input(ctx, node, 0, ga);
    }
    if (einc__ag_wants(node, 1)) {
        einc_tensor *A = a_vec ? einc_tensor_unsqueeze(ctx, a, 0) : a;
        einc_tensor *gb = einc_tensor_matmul(ctx, mT(ctx, A), g); /* [..., k, m] */
        if (b_vec) gb = einc_tensor_squeeze(ctx, gb, -1);
        gin[1] = einc__ag_reduce_to_input(ctx, node, 1, gb);
    }
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_matmul(einc_ctx *ctx, einc_tensor *out, einc_tensor *a, einc_tensor *b) {
    einc_tensor *in[2] = {a, b};
    if (!out || !einc__ag_needed(ctx, 2, in)) return out;
    /* ga reads b, gb reads a */
    einc_tensor *saved[2] = {b->requires_grad ? a : NULL, a->requires_grad ? b : NULL};
    return einc__ag_record1(ctx, "matmul", out, 2, in, matmul_backward, 2, saved, NULL, 0);
}

static einc_status conv_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                 einc_tensor **gin) {
    einc_tensor *x = node->saved[0], *w = node->saved[1], *g = gout[0];
    const int64_t *xs = node->inputs[0].meta.shape, *ws = node->inputs[1].meta.shape;
    int64_t B = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ws[0];
    einc_tensor *g3 = einc_tensor_reshape(ctx, g, EINC_SHAPE(B, O, H * W));
    if (einc__ag_wants(node, 0)) { /* w^T [C, O] @ g [B, O, HW] -> [B, C, HW] */
        einc_tensor *wt = einc_tensor_transpose(ctx, einc_tensor_reshape(ctx, w, EINC_SHAPE(O, C)), 0, 1);
        gin[0] = einc__ag_reduce_to_input(
            ctx, node, 0, einc_tensor_reshape(ctx, einc_tensor_matmul(ctx, wt, g3), EINC_SHAPE(B, C, H, W)));
    }
    if (einc__ag_wants(node, 1)) { /* sum_b g [B, O, HW] @ x^T [B, HW, C] -> [O, C, 1, 1] */
        einc_tensor *xt = mT(ctx, einc_tensor_reshape(ctx, x, EINC_SHAPE(B, C, H * W)));
        einc_tensor *gw = einc_tensor_sum(ctx, einc_tensor_matmul(ctx, g3, xt), EINC_DIMS(0), false);
        gin[1] = einc__ag_reduce_to_input(ctx, node, 1, einc_tensor_reshape(ctx, gw, EINC_SHAPE(O, C, 1, 1)));
    }
    if (einc__ag_wants(node, 2))
        gin[2] = einc__ag_reduce_to_input(ctx, node, 2, einc_tensor_sum(ctx, g, EINC_DIMS(0, 2, 3), false));
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_conv2d_1x1(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, einc_tensor *w, einc_tensor *bias) {
    einc_tensor *in[3] = {x, w, bias};
    if (!out || !einc__ag_needed(ctx, 3, in)) return out;
    einc_tensor *saved[2] = {w->requires_grad ? x : NULL, x->requires_grad ? w : NULL};
    return einc__ag_record1(ctx, "conv2d_1x1", out, 3, in, conv_backward, 2, saved, NULL, 0);
}
