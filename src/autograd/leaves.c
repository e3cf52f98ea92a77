/* leaves.c — the public face of leaves: requires_grad, .grad, zero_grad, detach. */
#include "autograd.h"

einc_status einc_requires_grad(einc_tensor *t, bool on) {
    EINC__OWNED(t ? t->ctx : NULL, EINC_EBUSY);
    if (!t) return EINC_EINVAL;
    bool leaf = !t->ag_node || !t->ag_node->backward;
    if (on) {
        if (!einc__dtype_is_float(t->dtype))
            return einc__error(t->ctx, EINC_EDTYPE,
                               "einc_requires_grad: only float32 and float64 tensors can require "
                               "gradients, got dtype %s",
                               einc_dtype_name(t->dtype));
        einc__grad_install(t->ctx);
        t->requires_grad = true;
        return EINC_OK;
    }
    if (!leaf)
        return einc__error(t->ctx, EINC_EINVAL,
                           "einc_requires_grad: cannot stop a tensor computed by a recorded "
                           "operation (a non-leaf, here of '%s') from requiring grad; use "
                           "einc_detach, or compute it with gradients disabled",
                           t->ag_node->name);
    t->requires_grad = false;
    return EINC_OK;
}

bool einc_tensor_requires_grad(const einc_tensor *t) { return t && t->requires_grad; }

/* The leaf gradient of t, or NULL. */
static einc_tensor *leaf_grad(const einc_tensor *t) {
    const einc__ag_node *n = t->ag_node;
    return n && !n->backward ? n->grad : NULL;
}

einc_tensor *einc_grad(einc_ctx *ctx, einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    if (!ctx || !t) return NULL;
    einc_tensor *g = leaf_grad(t);
    return g ? einc__tensor_view_of(ctx, g, g->ndim, g->shape, g->strides, g->offset) : NULL;
}

einc_status einc_zero_grad(einc_tensor *t) {
    EINC__OWNED(t ? t->ctx : NULL, EINC_EBUSY);
    if (!t) return EINC_EINVAL;
    einc_tensor *g = leaf_grad(t);
    if (g && g->storage->nbytes) /* leaf gradients are contiguous buffers of their own */
        memset(einc__tensor_ptr(g), 0, (size_t)einc__tensor_numel(g) * einc_dtype_size(g->dtype));
    return EINC_OK;
}

einc_tensor *einc_detach(einc_ctx *ctx, einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_detach");
    return einc__tensor_view_of(ctx, t, t->ndim, t->shape, t->strides, t->offset);
}
