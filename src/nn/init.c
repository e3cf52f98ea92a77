/* init.c — PyTorch's default parameter initialisation, from the context's generator. */
#include <math.h>

#include "nn_internal.h"

einc_status einc_init_uniform(einc_ctx *ctx, einc_tensor *t, double lo, double hi) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!t) return einc__error(ctx, EINC_EINVAL, "einc_init_uniform: tensor is NULL");
    if (!einc__dtype_is_float(t->dtype))
        return einc__error(ctx, EINC_EDTYPE, "einc_init_uniform: tensor must be float32 or float64, got %s",
                           einc_dtype_name(t->dtype));
    if (!einc__tensor_writable(ctx, "einc_init_uniform", "the tensor", t)) return EINC_EINVAL;
    bool was = einc_set_grad_enabled(ctx, false);
    einc_scope_begin(ctx);
    einc_tensor *u = einc_tensor_rand(ctx, t->dtype, t->ndim, t->shape);
    einc_tensor *v = einc_add_scalar(ctx, einc_mul_scalar(ctx, u, hi - lo), lo);
    einc_status st = v ? einc_tensor_copy_(ctx, t, v) : (ctx->status ? ctx->status : EINC_ENOMEM);
    einc_scope_end(ctx);
    einc_set_grad_enabled(ctx, was);
    return st;
}

einc_status einc_init_kaiming_uniform(einc_ctx *ctx, einc_tensor *t, double a) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!t) return einc__error(ctx, EINC_EINVAL, "einc_init_kaiming_uniform: tensor is NULL");
    if (t->ndim < 2)
        return einc__error(ctx, EINC_ESHAPE,
                           "einc_init_kaiming_uniform: fan_in needs a tensor with at least 2 "
                           "dimensions, got %d",
                           t->ndim);
    int64_t numel = einc__tensor_numel(t);
    int64_t fan_in = t->shape[0] ? numel / t->shape[0] : 0;
    if (fan_in <= 0) return einc__error(ctx, EINC_ESHAPE, "einc_init_kaiming_uniform: fan_in is 0");
    double gain = sqrt(2.0 / (1.0 + a * a));
    double bound = gain * sqrt(3.0 / (double)fan_in);
    return einc_init_uniform(ctx, t, -bound, bound);
}

/* A parameter: created at the context's root (so it outlives scopes: the module holds the only
 * reference it needs), float32, requiring gradients. */
einc_tensor *einc__nn_param(einc_ctx *ctx, int ndim, const int64_t *shape) {
    einc_tensor *t = einc_tensor_zeros(ctx, EINC_FLOAT32, ndim, shape);
    if (!t) return NULL;
    einc_tensor_retain(t); /* the module's reference; the scope's goes away with the scope */
    if (einc_requires_grad(t, true) != EINC_OK) {
        einc_tensor_release(t);
        return NULL;
    }
    return t;
}
