/* grad_sorting.c — gradients of flip, roll and sort (values), in leaf space like the other
 * notation rules (grad_notation.c): the output gradient is viewed with one dimension per output
 * leaf, moved back to where each element came from, and added into the input through its leaves
 * (aligned to the output's, so output-only axes are summed away). argmax, argmin and argsort give
 * int64 results: no gradient, nothing recorded. */
#include "../kernels/sort.h"
#include "../plan/sorting.h"
#include "grad_notation.h"

typedef struct {
    einc__plan *plan; /* retained for the node's lifetime */
} sorting_payload;

static void payload_free(void *p) { einc__plan_release(((sorting_payload *)p)->plan); }

static const einc__plan *plan_of(const einc__ag_node *node) { return ((const sorting_payload *)node->payload)->plan; }

/* Adds g (output leaf space) into a zero gradient of the input. */
static einc_status to_input(einc_ctx *ctx, const einc__ag_node *node, const einc__plan *p, einc_tensor *g,
                            einc_tensor **grad_inputs) {
    grad_inputs[0] = einc__notation_zeros_for(ctx, node, 0);
    einc_status st = einc__notation_scatter_add(ctx, grad_inputs[0], &p->in[0], g);
    if (st != EINC_OK) return st;
    return einc__ag_check(node, grad_inputs);
}

/* flip: flipping again puts every element back. */
static einc_status flip_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                 einc_tensor **grad_inputs) {
    const einc__plan *p = plan_of(node);
    einc_tensor *g = einc__notation_leaf_view(ctx, grad_outputs[0], &p->out);
    int axes[EINC_MAX_LEAVES], n = 0;
    for (int i = 0; i < p->out.nleaves; i++)
        if (p->sorting->mask >> i & 1u) axes[n++] = i;
    return to_input(ctx, node, p, einc_tensor_flip(ctx, g, n, axes), grad_inputs);
}

/* roll: rolling by the opposite shift. */
static einc_status roll_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                 einc_tensor **grad_inputs) {
    const einc__plan *p = plan_of(node);
    einc_tensor *g = einc__notation_leaf_view(ctx, grad_outputs[0], &p->out);
    einc_tensor *back = g ? einc_tensor_empty(ctx, g->dtype, g->ndim, g->shape) : NULL;
    if (!back) return einc__ag_check(node, grad_inputs);
    int64_t shift[EINC_MAX_LEAVES];
    for (int i = 0; i < g->ndim; i++) shift[i] = p->sorting->shift[i] ? g->shape[i] - p->sorting->shift[i] : 0;
    einc__view dst = einc__view_of(back), src = einc__view_of(g);
    einc__sorting_roll_views(ctx, &dst, &src, shift);
    return to_input(ctx, node, p, back, grad_inputs);
}

typedef struct {
    einc__view dst, src, perm;
    int axis;
} scatter_job;

static void scatter_task(void *arg, int ith, int nth) {
    const scatter_job *j = arg;
    einc__k_scatter_rows(&j->dst, &j->src, &j->perm, j->axis, ith, nth);
}

/* sort: output position k took input position perm[k] of its row (the same stable argsort the
 * forward pass computed, recomputed from the saved input), so gradient k goes back there. */
static einc_status sort_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                 einc_tensor **grad_inputs) {
    const einc__plan *p = plan_of(node);
    int axis = p->sorting->axis;
    einc_tensor *x = einc__notation_leaf_view(ctx, node->saved[0], &p->in[0]);
    einc_tensor *g = einc__notation_leaf_view(ctx, grad_outputs[0], &p->out);
    einc_tensor *perm = x ? einc_tensor_empty(ctx, EINC_INT64, x->ndim, x->shape) : NULL;
    einc_tensor *back = g && perm ? einc_tensor_empty(ctx, g->dtype, g->ndim, g->shape) : NULL;
    if (!back) return einc__ag_check(node, grad_inputs);
    einc__view xv = einc__view_of(x), pv = einc__view_of(perm);
    einc_status st = einc__sorting_sort_views(ctx, NULL, &pv, &xv, axis);
    if (st != EINC_OK) return st;
    scatter_job j = {einc__view_of(back), einc__view_of(g), pv, axis};
    einc__parallel_chunks(ctx, einc_tensor_numel(back), scatter_task, &j);
    return to_input(ctx, node, p, back, grad_inputs);
}

einc_status einc__notation_record_sorting(einc_ctx *ctx, einc__plan *p, einc_tensor *const *inputs,
                                          einc_tensor **outputs) {
    einc__backward_fn fn;
    einc_tensor *saved[1];
    int nsaved = 0;
    switch (p->op) {
    case EINC_OP_FLIP: fn = flip_backward; break;
    case EINC_OP_ROLL: fn = roll_backward; break;
    case EINC_OP_SORT:
        fn = sort_backward;
        saved[nsaved++] = inputs[0];
        break;
    default: return EINC_OK; /* argmax, argmin, argsort */
    }
    einc__plan_retain(p);
    sorting_payload payload = {p};
    return einc__ag_record(ctx, einc_op_name(p->op), 1, outputs, 1, inputs, fn, nsaved, saved, &payload, sizeof payload,
                           payload_free);
}
