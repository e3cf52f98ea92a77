/* grad_reduce.c — backward rules of the reductions (sum, mean, var, std, prod, max, min,
 * logsumexp) and of softmax / log_softmax over a set of axes.
 *
 * A reduction's gradient is first "unreduced": reshaped to the keepdims shape and broadcast to
 * the input's shape (a view), then combined with the input and/or output elementwise. */
#include "autograd.h"
#include "../kernels/reduce.h"

typedef struct {
    einc_reduce_op op;
    uint32_t mask;
    bool keepdims;
} reduce_payload;

/* The axes of `mask` as a list; returns their count. */
static int mask_axes(uint32_t mask, int ndim, int *axes) {
    int n = 0;
    for (int d = 0; d < ndim; d++)
        if (mask & (1u << d)) axes[n++] = d;
    return n;
}

/* Number of elements in one reduced block. */
static int64_t block_size(const einc__ag_meta *m, uint32_t mask) {
    int64_t n = 1;
    for (int d = 0; d < m->ndim; d++)
        if (mask & (1u << d)) n *= m->shape[d];
    return n;
}

static einc_status reduce_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                   einc_tensor **gin) {
    const reduce_payload *p = node->payload;
    const einc__ag_meta *m = &node->inputs[0].meta;
    einc_tensor *x = node->saved[0], *y = node->saved[1];
    int axes[EINC_MAX_DIMS];
    int naxes = mask_axes(p->mask, m->ndim, axes);
    double n = (double)block_size(m, p->mask);
    einc_tensor *g = einc__ag_unreduce(ctx, gout[0], m->ndim, m->shape, p->mask, p->keepdims); /* [x's shape] */
    einc_tensor *yu = y ? einc__ag_unreduce(ctx, y, m->ndim, m->shape, p->mask, p->keepdims) : NULL;
    einc_dtype dt = gout[0]->dtype;
    einc_tensor *zero = einc__ag_scalar(ctx, dt, 0.0), *r = NULL;
    switch (p->op) {
    case EINC_REDUCE_SUM: r = g; break;
    case EINC_REDUCE_MEAN: r = einc_mul_scalar(ctx, g, 1.0 / n); break;
    case EINC_REDUCE_VAR:
    case EINC_REDUCE_STD: {
        /* var' = 2 (x - mean) / n;  std' = (x - mean) / (n std), 0 where std == 0 (PyTorch) */
        einc_tensor *d = einc_tensor_sub(ctx, x, einc_tensor_reduce(ctx, EINC_REDUCE_MEAN, x, naxes, axes, true));
        if (p->op == EINC_REDUCE_VAR) r = einc_tensor_mul(ctx, g, einc_mul_scalar(ctx, d, 2.0 / n));
        else
            r = einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, yu, zero), zero,
                                  einc_tensor_div(ctx, einc_tensor_mul(ctx, g, d), einc_mul_scalar(ctx, yu, n)));
        break;
    }
    case EINC_REDUCE_PROD: {
        /* the product of the other elements of the block, exact with zeros: with no zero in the
         * block it is prod / x; with one zero only that element gets the product of the rest;
         * with two or more every element gets 0 */
        einc_tensor *one = einc__ag_scalar(ctx, dt, 1.0);
        einc_tensor *is0 = einc_tensor_binary(ctx, EINC_EQ, x, zero);
        einc_tensor *safe = einc_tensor_where(ctx, is0, one, x);
        einc_tensor *rest = einc_tensor_reduce(ctx, EINC_REDUCE_PROD, safe, naxes, axes, true);
        einc_tensor *zeros = einc_tensor_reduce(ctx, EINC_REDUCE_SUM, is0, naxes, axes, true); /* int64 */
        einc_tensor *i0 = einc__ag_scalar(ctx, EINC_INT64, 0.0), *i1 = einc__ag_scalar(ctx, EINC_INT64, 1.0);
        einc_tensor *lone = einc_tensor_binary(ctx, EINC_LOGICAL_AND, einc_tensor_binary(ctx, EINC_EQ, zeros, i1), is0);
        einc_tensor *others =
            einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, zeros, i0), einc_tensor_div(ctx, rest, safe),
                              einc_tensor_where(ctx, lone, rest, zero));
        r = einc_tensor_mul(ctx, g, others);
        break;
    }
    case EINC_REDUCE_MAX:
    case EINC_REDUCE_MIN: { /* split evenly among the elements equal to the extremum */
        einc_tensor *hit = einc_tensor_binary(ctx, EINC_EQ, x, yu);
        einc_tensor *count = einc_tensor_reduce(ctx, EINC_REDUCE_SUM, hit, naxes, axes, true);
        einc_tensor *share = einc_tensor_div(ctx, g, einc_tensor_cast(ctx, count, dt));
        r = einc_tensor_where(ctx, hit, share, zero);
        break;
    }
    case EINC_REDUCE_LOGSUMEXP: r = einc_tensor_mul(ctx, g, einc_tensor_exp(ctx, einc_tensor_sub(ctx, x, yu))); break;
    default: break;
    }
    gin[0] = r;
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_reduce(einc_ctx *ctx, einc_tensor *out, einc_reduce_op op, einc_tensor *x, uint32_t mask,
                               bool keepdims) {
    if (!out || !einc__ag_needed(ctx, 1, &x)) return out;
    einc_tensor *saved[2] = {NULL, NULL}; /* x, y */
    switch (op) {
    case EINC_REDUCE_SUM:
    case EINC_REDUCE_MEAN: break;
    case EINC_REDUCE_VAR:
    case EINC_REDUCE_PROD: saved[0] = x; break;
    case EINC_REDUCE_STD:
    case EINC_REDUCE_MAX:
    case EINC_REDUCE_MIN:
    case EINC_REDUCE_LOGSUMEXP: saved[0] = x, saved[1] = out; break;
    default: return out; /* argmax/argmin, any/all, count_nonzero: not differentiable */
    }
    reduce_payload p = {op, mask, keepdims};
    return einc__ag_record1(ctx, einc_reduce_op_name(op), out, 1, &x, reduce_backward, 2, saved, &p, sizeof p);
}

/* ---- softmax ------------------------------------------------------------------------------- */

typedef struct {
    uint32_t mask;
    bool is_log;
} softmax_payload;

static einc_status softmax_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                    einc_tensor **gin) {
    const softmax_payload *p = node->payload;
    einc_tensor *g = gout[0], *y = node->saved[0];
    int axes[EINC_MAX_DIMS];
    int naxes = mask_axes(p->mask, y->ndim, axes);
    if (p->is_log) /* g - softmax * sum(g) */
        gin[0] = einc_tensor_sub(
            ctx, g, einc_tensor_mul(ctx, einc_tensor_exp(ctx, y), einc_tensor_sum(ctx, g, naxes, axes, true)));
    else /* y (g - sum(g y)) */
        gin[0] = einc_tensor_mul(
            ctx, y, einc_tensor_sub(ctx, g, einc_tensor_sum(ctx, einc_tensor_mul(ctx, g, y), naxes, axes, true)));
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_softmax(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, uint32_t mask, bool is_log) {
    softmax_payload p = {mask, is_log};
    return einc__ag_record1(ctx, is_log ? "log_softmax" : "softmax", out, 1, &x, softmax_backward, 1, &out, &p,
                            sizeof p);
}
