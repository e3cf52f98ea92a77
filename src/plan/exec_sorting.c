/* exec_sorting.c — running argmax/argmin, sort/argsort, flip and roll plans (see sorting.h). */
#include "../drivers/drivers.h"
#include "../kernels/reduce.h"
#include "../kernels/sort.h"
#include "sorting.h"

/* The kernel view of `op` over tensor t (leaf strides from t's strides). */
static einc__view leaves_view(const einc_tensor *t, const einc__operand *op) {
    einc__view v;
    v.dtype = t->dtype;
    v.ndim = op->nleaves;
    int64_t off = 0;
    for (int i = 0; i < op->noffset; i++) off += t->strides[op->offset[i].dim] * op->offset[i].mult;
    v.data = einc__tensor_ptr(t) + off * (int64_t)einc_dtype_size(t->dtype);
    for (int i = 0; i < op->nleaves; i++) {
        v.shape[i] = op->leaves[i].size;
        v.strides[i] = einc__leaf_stride(&op->leaves[i], t->strides);
    }
    return v;
}

static int64_t numel_of(const einc__view *v) {
    int64_t n = 1;
    for (int i = 0; i < v->ndim; i++) n *= v->shape[i];
    return n;
}

/* ---- kernels on the context's threads ----------------------------------------------------------- */

typedef struct {
    const einc__view *y, *x, *values, *indices;
    einc_reduce_op rop;
    uint32_t mask;
    int axis, ncoords;
    const int64_t *sizes;
    void *scratch;
    int kind; /* 0 reduce (flat argmax/argmin), 1 unravel, 2 sort */
} job;

static void job_task(void *arg, int ith, int nth) {
    const job *j = arg;
    switch (j->kind) {
    case 0: einc__k_reduce(j->rop, j->y, j->x, j->mask, ith, nth); break;
    case 1: einc__k_unravel(j->y, j->x, j->axis, j->ncoords, j->sizes, ith, nth); break;
    default: einc__k_sort(j->values, j->indices, j->x, j->axis, j->scratch, ith, nth); break;
    }
}

einc_status einc__sorting_sort_views(einc_ctx *ctx, const einc__view *values, const einc__view *indices,
                                     const einc__view *x, int axis) {
    int64_t n = x->shape[axis], total = numel_of(x);
    if (total == 0) return EINC_OK;
    size_t per = einc__k_sort_scratch(n), bytes = per * (size_t)(ctx->threads > 0 ? ctx->threads : 1);
    void *scratch = einc__buffer_alloc(ctx, bytes);
    if (!scratch) return ctx->status;
    job j = {.values = values, .indices = indices, .x = x, .axis = axis, .scratch = scratch, .kind = 2};
    int64_t depth = 1; /* merge passes: the work is about n log n per row */
    for (int64_t w = 1; w < n; w *= 2) depth++;
    einc__parallel(ctx, total * depth, job_task, &j);
    einc__buffer_free(ctx, scratch, bytes);
    return EINC_OK;
}

void einc__sorting_roll_views(einc_ctx *ctx, const einc__view *dst, const einc__view *src, const int64_t *shift) {
    int rolled[EINC_MAX_DIMS], k = 0;
    for (int d = 0; d < dst->ndim; d++)
        if (shift[d] != 0) rolled[k++] = d;
    int64_t ds = (int64_t)einc_dtype_size(dst->dtype), ss = (int64_t)einc_dtype_size(src->dtype);
    /* one block per choice of (part before the wrap, wrapped part) on every rolled dimension */
    for (uint32_t c = 0; c < (1u << k); c++) {
        einc__view dv = *dst, sv = *src;
        for (int b = 0; b < k; b++) {
            int d = rolled[b];
            int64_t n = dst->shape[d], s = shift[d];
            if (c >> b & 1u) { /* dst [0, s) <- src [n - s, n) */
                dv.shape[d] = sv.shape[d] = s;
                sv.data += (n - s) * src->strides[d] * ss;
            } else { /* dst [s, n) <- src [0, n - s) */
                dv.shape[d] = sv.shape[d] = n - s;
                dv.data += s * dst->strides[d] * ds;
            }
        }
        einc__copy_views(ctx, &dv, &sv);
    }
}

/* ---- argmax, argmin -------------------------------------------------------------------------------- */

static einc_status exec_argfind(einc_ctx *ctx, const einc__plan *p, einc_tensor *in, einc_tensor **outputs) {
    const einc__sorting_plan *s = p->sorting;
    einc_tensor *out = outputs[0] = einc__tensor_new(ctx, EINC_INT64, p->out_ndim[0], p->out_shape[0]);
    einc_tensor *flat = out ? einc__tensor_new(ctx, EINC_INT64, p->tmp_ndim, p->tmp_shape) : NULL;
    if (!flat) return ctx->status;
    /* x [kept and bracketed leaves] -> flat [kept leaves]: flat index within the bracketed block */
    einc__view x = leaves_view(in, &p->in[0]);
    einc__view y;
    y.data = einc__tensor_ptr(flat);
    y.dtype = EINC_INT64;
    y.ndim = x.ndim;
    for (int i = 0, d = 0; i < x.ndim; i++) {
        bool reduced = p->reduce_mask >> i & 1u;
        y.shape[i] = reduced ? 1 : x.shape[i];
        y.strides[i] = reduced ? 0 : flat->strides[d++];
    }
    job r = {.y = &y,
             .x = &x,
             .mask = p->reduce_mask,
             .kind = 0,
             .rop = p->op == EINC_OP_ARGMAX ? EINC_REDUCE_ARGMAX : EINC_REDUCE_ARGMIN};
    einc__parallel_chunks(ctx, numel_of(&x), job_task, &r);
    /* flat [output leaves, coordinate leaf broadcast] -> out [output leaves] */
    einc__view dst = leaves_view(out, &p->out), src = leaves_view(flat, &p->tmp_to_out);
    job u = {.y = &dst, .x = &src, .axis = s->axis, .ncoords = s->ncoords, .sizes = s->coord_size, .kind = 1};
    einc__parallel_chunks(ctx, numel_of(&dst) * (s->ncoords + 1), job_task, &u);
    einc_tensor_release(flat);
    return EINC_OK;
}

/* ---- sort, argsort ------------------------------------------------------------------------------------ */

static einc_status exec_sort(einc_ctx *ctx, const einc__plan *p, einc_tensor *in, einc_tensor **outputs) {
    einc_tensor *out = outputs[0] = einc__tensor_new(ctx, p->out_dtype[0], p->out_ndim[0], p->out_shape[0]);
    if (!out) return ctx->status;
    einc__view x = leaves_view(in, &p->in[0]), y = leaves_view(out, &p->out);
    bool arg = p->op == EINC_OP_ARGSORT;
    return einc__sorting_sort_views(ctx, arg ? NULL : &y, arg ? &y : NULL, &x, p->sorting->axis);
}

/* ---- flip, roll -------------------------------------------------------------------------------------------- */

/* The output as a view of the input (src: the input's flipped leaves in output order), if every
 * output dimension's leaves are evenly strided; NULL otherwise (or on EINC_ENOMEM). */
static einc_tensor *try_view(einc_ctx *ctx, const einc__plan *p, einc_tensor *in, const einc__view *src) {
    int64_t strides[EINC_MAX_DIMS];
    for (int k = 0; k < p->out_ndim[0]; k++) {
        bool have = false;
        int64_t stride = 0, expected = 0;
        for (int j = p->dim_leaf_end[k] - 1; j >= p->dim_leaf_begin[k]; j--) {
            int64_t n = src->shape[j], st = src->strides[j];
            if (n == 1) continue;
            if (!have) {
                have = true;
                stride = st;
            } else if (st != expected) {
                return NULL;
            }
            expected = st * n;
        }
        strides[k] = have ? stride : 0;
    }
    return einc__tensor_view_of(ctx, in, p->out_ndim[0], p->out_shape[0], strides,
                                in->offset + (int64_t)(src->data - einc__tensor_ptr(in)));
}

static einc_status exec_shift(einc_ctx *ctx, const einc__plan *p, einc_tensor *in, einc_tensor **outputs) {
    const einc__sorting_plan *s = p->sorting;
    einc__view src = leaves_view(in, &p->in[0]);
    if (p->op == EINC_OP_FLIP) {
        for (int i = 0; i < src.ndim; i++) {
            if (!(s->mask >> i & 1u)) continue;
            src.data += (src.shape[i] - 1) * src.strides[i] * (int64_t)einc_dtype_size(src.dtype);
            src.strides[i] = -src.strides[i];
        }
        einc_tensor *v = try_view(ctx, p, in, &src);
        if (v) {
            outputs[0] = v;
            return EINC_OK;
        }
        if (einc_errcode(ctx) == EINC_ENOMEM) return EINC_ENOMEM;
    }
    einc_tensor *out = outputs[0] = einc__tensor_new(ctx, p->out_dtype[0], p->out_ndim[0], p->out_shape[0]);
    if (!out) return ctx->status;
    einc__view dst = leaves_view(out, &p->out);
    if (p->op == EINC_OP_FLIP) einc__copy_views(ctx, &dst, &src);
    else einc__sorting_roll_views(ctx, &dst, &src, s->shift);
    return EINC_OK;
}

einc_status einc__run_sorting(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs) {
    switch (p->family) {
    case EINC__FAMILY_ARGFIND: return exec_argfind(ctx, p, inputs[0], outputs);
    case EINC__FAMILY_SORT: return exec_sort(ctx, p, inputs[0], outputs);
    default: return exec_shift(ctx, p, inputs[0], outputs);
    }
}
