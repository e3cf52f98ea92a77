/* install.c — the table of rules behind core's autograd hooks, and its installation in a context. */
#include "autograd.h"

static const einc__grad_hooks rules = {
    .reshape = einc__rule_reshape,
    .permute = einc__rule_permute,
    .expand = einc__rule_expand,
    .slice = einc__rule_slice,
    .select = einc__rule_select,
    .diagonal = einc__rule_diagonal,
    .flip = einc__rule_flip,
    .identity = einc__rule_identity,
    .unary = einc__rule_unary,
    .binary = einc__rule_binary,
    .scalar_op = einc__rule_scalar_op,
    .where = einc__rule_where,
    .reduce = einc__rule_reduce,
    .softmax = einc__rule_softmax,
    .matmul = einc__rule_matmul,
    .conv2d_1x1 = einc__rule_conv2d_1x1,
    .notation = einc__rule_notation,
};

void einc__grad_install(einc_ctx *ctx) {
    ctx->grad = &rules;
    ctx->tensor_freed = einc__ag_tensor_freed;
}
