/* helpers.c — small building blocks shared by the backward rules. Like the rules, they run with
 * recording off inside the rule's scope: results are scope temporaries, never released here. */
#include "autograd.h"

einc_tensor *einc__ag_reduce_to(einc_ctx *ctx, einc_tensor *g, int ndim, const int64_t *shape) {
    if (!g) return NULL;
    if (g->ndim == ndim && (ndim == 0 || memcmp(g->shape, shape, sizeof(int64_t) * (size_t)ndim) == 0)) return g;
    int lead = g->ndim - ndim;
    if (lead < 0) {
        char a[256], b[256];
        einc__error(ctx, EINC_ESHAPE, "autograd: cannot reduce a gradient of shape %s to shape %s",
                    einc__shape_str(a, sizeof a, g->ndim, g->shape), einc__shape_str(b, sizeof b, ndim, shape));
        return NULL;
    }
    int axes[EINC_MAX_DIMS], naxes = 0;
    for (int d = 0; d < g->ndim; d++)
        if (d < lead || (shape[d - lead] == 1 && g->shape[d] != 1)) axes[naxes++] = d;
    einc_tensor *s = naxes ? einc_tensor_sum(ctx, g, naxes, axes, true) : g;
    return einc_tensor_reshape(ctx, s, ndim, shape);
}

einc_tensor *einc__ag_reduce_to_input(einc_ctx *ctx, const einc__ag_node *node, int i, einc_tensor *g) {
    const einc__ag_meta *m = &node->inputs[i].meta;
    einc_tensor *r = einc__ag_reduce_to(ctx, g, m->ndim, m->shape);
    return !r || r->dtype == m->dtype ? r : einc_tensor_cast(ctx, r, m->dtype);
}

einc_tensor *einc__ag_unreduce(einc_ctx *ctx, einc_tensor *g, int ndim, const int64_t *shape, uint32_t mask,
                               bool keepdims) {
    if (!g) return NULL;
    int64_t kshape[EINC_MAX_DIMS];
    for (int d = 0; d < ndim; d++) kshape[d] = (mask & (1u << d)) ? 1 : shape[d];
    einc_tensor *k = keepdims ? g : einc_tensor_reshape(ctx, g, ndim, kshape);
    return einc_tensor_expand(ctx, k, ndim, shape);
}

einc_tensor *einc__ag_zeros_meta(einc_ctx *ctx, const einc__ag_meta *meta) {
    return einc_tensor_zeros(ctx, meta->dtype, meta->ndim, meta->shape);
}

einc_status einc__ag_check(const einc__ag_node *node, einc_tensor *const *grad_inputs) {
    for (int i = 0; i < node->ninputs; i++)
        if (einc__ag_wants(node, i) && !grad_inputs[i]) return EINC_ENOMEM;
    return EINC_OK;
}

einc_tensor *einc__ag_scalar(einc_ctx *ctx, einc_dtype dtype, double v) { return einc_tensor_scalar(ctx, dtype, v); }
