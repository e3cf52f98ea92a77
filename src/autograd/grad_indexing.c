/* grad_indexing.c — gradients of get_at, set_at, add_at and subtract_at, computed in the plan's
 * leaf space (src/plan/index.h) with the same kernels and the saved coordinates:
 *
 *   get_at       d value   = the output gradient added at the coordinates (duplicates accumulate)
 *   add_at       d value   = the output gradient (through the initial copy)
 *                d updates = the output gradient gathered at the coordinates
 *   subtract_at  the same, with the sign flipped for the updates
 *   set_at       d value   = the output gradient with the overwritten elements zeroed
 *                d updates = the output gradient gathered at the coordinates, for the update that
 *                            won its element (the last in row-major order); 0 for the others
 *
 * Coordinates get no gradient. Gradients summed over axes an input lacks (broadcasting) are
 * reduced back through that input's leaves.
 */
#include "../plan/index.h"
#include "autograd.h"
#include "grad_notation.h"

int einc__index_saved(const einc__plan *p, int ninputs, einc_tensor *const *inputs, einc_tensor **saved) {
    const einc__index_plan *ip = p->index;
    for (int i = 0; i < ninputs; i++) saved[i] = !ip->passthrough && i >= 1 && i <= ip->ncoords ? inputs[i] : NULL;
    return ninputs;
}

/* g has one dim per leaf of `aligned` (an input's leaves aligned to something larger): sums the
 * dims the input lacks and adds the rest into acc (a tensor of the input's shape). */
static einc_status add_through(einc_ctx *ctx, einc_tensor *acc, const einc__operand *aligned, einc_tensor *g) {
    if (!acc || !g) return ctx->status ? ctx->status : EINC_ENOMEM;
    int axes[EINC_MAX_LEAVES], n = 0;
    einc__operand kept = *aligned;
    kept.nleaves = 0;
    for (int i = 0; i < aligned->nleaves; i++) {
        if (aligned->leaves[i].nterms == 0) axes[n++] = i;
        else kept.leaves[kept.nleaves++] = aligned->leaves[i];
    }
    einc_tensor *summed = n ? einc_tensor_sum(ctx, g, n, axes, false) : g;
    einc_tensor *target = einc__leaf_view(ctx, acc, &kept);
    einc_tensor *sum = einc_tensor_add(ctx, target, summed);
    return sum ? einc_tensor_copy_(ctx, target, sum) : (ctx->status ? ctx->status : EINC_ENOMEM);
}

/* The loop as leaves: of a contiguous tensor with one dim per loop dim (identity), or of a value
 * repeated over the whole loop (broadcast). */
static einc__operand loop_leaves(const einc__index_plan *ip, bool broadcast) {
    einc__operand op;
    memset(&op, 0, sizeof op);
    op.nleaves = ip->nloop;
    for (int i = 0; i < ip->nloop; i++)
        op.leaves[i] = (einc__leaf){ip->loop_sym[i], ip->loop_size[i], broadcast ? 0 : 1, {{broadcast ? 0 : i, 1}}};
    return op;
}

/* 1 where a loop point's update is the one left in the output (the last one written to its
 * element, in row-major loop order), else 0: each loop point's number is written with set
 * semantics, read back at the same coordinates and compared. */
static einc_tensor *winners(einc_ctx *ctx, const einc__plan *p, const einc__ag_meta *out, einc_dtype dtype,
                            einc_tensor *const *coords) {
    const einc__index_plan *ip = p->index;
    einc__operand ident = loop_leaves(ip, false);
    int64_t n = 1;
    for (int d = 0; d < ip->nloop; d++) n *= ip->loop_size[d];
    einc_tensor *numbers =
        einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_INT64, 0, (double)n, 1), ip->nloop, ip->loop_size);
    einc_tensor *written = einc_tensor_full(ctx, EINC_INT64, out->ndim, out->shape, -1);
    einc_tensor *read = einc_tensor_empty(ctx, EINC_INT64, ip->nloop, ip->loop_size);
    if (!numbers || !written || !read) return NULL;
    einc__index_scatter(ctx, p, EINC__SCATTER_SET, written, numbers, &ident, coords);
    einc__index_gather(ctx, p, written, read, &ident, coords);
    return einc_tensor_cast(ctx, einc_tensor_binary(ctx, EINC_EQ, read, numbers), dtype);
}

einc_status einc__index_backward(einc_ctx *ctx, const struct einc__ag_node *node, einc_tensor *const *grad_outputs,
                                 einc_tensor **grad_inputs) {
    const einc__plan *p = *(einc__plan *const *)node->payload; /* grad_notation.c's payload: the plan */
    const einc__index_plan *ip = p->index;
    einc_tensor *g = grad_outputs[0];
    int last = node->ninputs - 1;
    einc_tensor *const *coords = node->saved + 1;
    if (ip->passthrough) { /* the output was a copy of the value tensor */
        if (einc__ag_wants(node, 0)) grad_inputs[0] = g;
        for (int i = 1; i < node->ninputs; i++)
            if (einc__ag_wants(node, i)) grad_inputs[i] = einc__ag_zeros_meta(ctx, &node->inputs[i].meta);
        return einc__ag_check(node, grad_inputs);
    }
    if (!ip->update) {
        if (einc__ag_wants(node, 0)) {
            einc_tensor *gx = einc_tensor_zeros(ctx, g->dtype, node->inputs[0].meta.ndim, node->inputs[0].meta.shape);
            if (!gx) return ctx->status;
            einc__index_scatter(ctx, p, EINC__SCATTER_ADD, gx, g, &ip->e_loop, coords);
            grad_inputs[0] = gx;
        }
        return einc__ag_check(node, grad_inputs);
    }
    if (einc__ag_wants(node, 0)) {
        einc_tensor *kept = g;
        if (p->op == EINC_OP_SET_AT) { /* the overwritten elements do not reach the output */
            einc__operand everywhere = loop_leaves(ip, true);
            kept = einc_tensor_clone(ctx, g);
            einc_tensor *zero = einc__ag_scalar(ctx, g->dtype, 0);
            if (!kept || !zero) return ctx->status;
            einc__index_scatter(ctx, p, EINC__SCATTER_SET, kept, zero, &everywhere, coords);
        }
        grad_inputs[0] = einc__ag_zeros_meta(ctx, &node->inputs[0].meta);
        einc_status st = add_through(ctx, grad_inputs[0], &ip->x_to_out, einc__leaf_view(ctx, kept, &ip->out));
        if (st != EINC_OK) return st;
    }
    if (einc__ag_wants(node, last)) {
        einc__operand ident = loop_leaves(ip, false);
        einc_tensor *gathered = einc_tensor_empty(ctx, g->dtype, ip->nloop, ip->loop_size);
        if (!gathered) return ctx->status;
        einc__index_gather(ctx, p, g, gathered, &ident, coords);
        if (p->op == EINC_OP_SET_AT)
            gathered = einc_tensor_mul(ctx, gathered, winners(ctx, p, &node->outputs[0], g->dtype, coords));
        else if (p->op == EINC_OP_SUBTRACT_AT) gathered = einc_tensor_neg(ctx, gathered);
        grad_inputs[last] = einc__ag_zeros_meta(ctx, &node->inputs[last].meta);
        einc_status st = add_through(ctx, grad_inputs[last], &ip->e_loop, gathered);
        if (st != EINC_OK) return st;
    }
    return einc__ag_check(node, grad_inputs);
}
