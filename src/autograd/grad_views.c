/* grad_views.c — backward rules of the views and copies: each maps the output's gradient back
 * onto the input's index space (reshape back, inverse permutation, sum over stretched axes,
 * scatter into zeros for slices, selections and diagonals, flip again, pass through). */
#include "autograd.h"
#include "../drivers/drivers.h"
#include "../kernels/kernels.h"

static einc_status reshape_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                    einc_tensor **gin) {
    const einc__ag_meta *m = &node->inputs[0].meta;
    gin[0] = einc_tensor_reshape(ctx, gout[0], m->ndim, m->shape);
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_reshape(einc_ctx *ctx, einc_tensor *out, einc_tensor *x) {
    return einc__ag_record1(ctx, "reshape", out, 1, &x, reshape_backward, 0, NULL, NULL, 0);
}

typedef struct {
    int inverse[EINC_MAX_DIMS];
} permute_payload;

static einc_status permute_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                    einc_tensor **gin) {
    const permute_payload *p = node->payload;
    gin[0] = einc_tensor_permute(ctx, gout[0], node->inputs[0].meta.ndim, p->inverse);
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_permute(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, const int *axes) {
    permute_payload p;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < x->ndim; i++) p.inverse[axes[i] < 0 ? axes[i] + x->ndim : axes[i]] = i;
    return einc__ag_record1(ctx, "permute", out, 1, &x, permute_backward, 0, NULL, &p, sizeof p);
}

static einc_status expand_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                   einc_tensor **gin) {
    gin[0] = einc__ag_reduce_to_input(ctx, node, 0, gout[0]);
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_expand(einc_ctx *ctx, einc_tensor *out, einc_tensor *x) {
    return einc__ag_record1(ctx, "expand", out, 1, &x, expand_backward, 0, NULL, NULL, 0);
}

/* ---- views that pick a subset: the gradient is scattered into zeros --------------------------- */

/* slice (kind 0: `step` apart from the normalised `start` on `axis`) and select (kind 1: index
 * `start` of `axis`, which disappears): the gradient is copied into the elements of a zero
 * tensor of the input's shape that the forward view picked. */
typedef struct {
    int kind; /* 0 slice, 1 select */
    int axis;
    int64_t start, step;
} subset_payload;

static einc_status subset_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                   einc_tensor **gin) {
    const subset_payload *p = node->payload;
    einc_tensor *g = gout[0];
    einc_tensor *z = einc__ag_zeros_meta(ctx, &node->inputs[0].meta);
    if (!z) return EINC_ENOMEM;
    int64_t shape[EINC_MAX_DIMS], strides[EINC_MAX_DIMS];
    int n = 0;
    for (int d = 0; d < z->ndim; d++) {
        if (p->kind == 1 && d == p->axis) continue;
        shape[n] = g->shape[n];
        strides[n] = z->strides[d];
        /* with one element or none the stride is never used (and step * stride might overflow) */
        if (p->kind == 0 && d == p->axis && g->shape[n] > 1) strides[n] *= p->step;
        n++;
    }
    int64_t numel = einc__tensor_numel(g);
    if (numel > 0) {
        einc__view dst = einc__view_of(z), src = einc__view_of(g);
        dst.data += p->start * z->strides[p->axis] * (int64_t)einc_dtype_size(z->dtype);
        dst.ndim = n;
        memcpy(dst.shape, shape, sizeof(int64_t) * (size_t)n);
        memcpy(dst.strides, strides, sizeof(int64_t) * (size_t)n);
        einc__copy_views(ctx, &dst, &src);
    }
    gin[0] = z;
    return EINC_OK;
}

einc_tensor *einc__rule_slice(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, int axis, int64_t start, int64_t step) {
    subset_payload p = {0, axis, out && out->shape[axis] > 0 ? start : 0, step};
    return einc__ag_record1(ctx, "slice", out, 1, &x, subset_backward, 0, NULL, &p, sizeof p);
}

einc_tensor *einc__rule_select(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, int axis, int64_t index) {
    subset_payload p = {1, axis, index, 1};
    return einc__ag_record1(ctx, "select", out, 1, &x, subset_backward, 0, NULL, &p, sizeof p);
}

typedef struct {
    int64_t offset;
    int axis1, axis2;
} diagonal_payload;

static einc_status diagonal_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                     einc_tensor **gin) {
    const diagonal_payload *p = node->payload;
    einc_tensor *z = einc__ag_zeros_meta(ctx, &node->inputs[0].meta);
    einc_tensor *d = einc_tensor_diagonal(ctx, z, p->offset, p->axis1, p->axis2);
    if (!d) return EINC_ENOMEM;
    einc__view dst = einc__view_of(d), src = einc__view_of(gout[0]);
    einc__copy_views(ctx, &dst, &src);
    gin[0] = z;
    return EINC_OK;
}

einc_tensor *einc__rule_diagonal(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, int64_t offset, int axis1,
                                 int axis2) {
    diagonal_payload p = {offset, axis1, axis2};
    return einc__ag_record1(ctx, "diagonal", out, 1, &x, diagonal_backward, 0, NULL, &p, sizeof p);
}

typedef struct {
    int naxes;
    int axes[EINC_MAX_DIMS];
} flip_payload;

static einc_status flip_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                 einc_tensor **gin) {
    const flip_payload *p = node->payload;
    gin[0] = einc_tensor_flip(ctx, gout[0], p->naxes, p->axes);
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_flip(einc_ctx *ctx, einc_tensor *out, einc_tensor *x, const bool *flipped) {
    flip_payload p;
    memset(&p, 0, sizeof p);
    for (int d = 0; d < x->ndim; d++)
        if (flipped[d]) p.axes[p.naxes++] = d;
    return einc__ag_record1(ctx, "flip", out, 1, &x, flip_backward, 0, NULL, &p, sizeof p);
}

/* ---- copies -------------------------------------------------------------------------------- */

/* The engine casts every gradient to its input's dtype, so a cast needs nothing more. */
static einc_status identity_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                     einc_tensor **gin) {
    (void)ctx;
    (void)node;
    gin[0] = gout[0];
    return EINC_OK;
}

einc_tensor *einc__rule_identity(einc_ctx *ctx, einc_tensor *out, einc_tensor *x) {
    return einc__ag_record1(ctx, "copy", out, 1, &x, identity_backward, 0, NULL, NULL, 0);
}
