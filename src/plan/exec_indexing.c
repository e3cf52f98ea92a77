/* exec_indexing.c — running an indexing plan: check every coordinate, then gather (get_at) or
 * copy the value tensor and scatter the updates into the copy (*_at).
 *
 * The coordinates are checked in full before anything is written, so a bad coordinate is an
 * IndexError naming the value, its axis and the axis length, and never an access out of bounds.
 * The inputs are never modified: *_at write into a new tensor.
 */
#include <stdio.h>

#include "../drivers/drivers.h"
#include "index.h"

static char *base_of(const einc_tensor *t, const einc__operand *op) {
    int64_t off = 0;
    for (int i = 0; i < op->noffset; i++) off += t->strides[op->offset[i].dim] * op->offset[i].mult;
    return einc__tensor_ptr(t) + off * (int64_t)einc_dtype_size(t->dtype);
}

/* The kernels' geometry: t through the plan's t_loop/t_idx, e through e_loop, the coordinates
 * through their own leaves. */
static void geometry(const einc__plan *p, einc_tensor *t, einc_tensor *e, const einc__operand *e_loop,
                     einc_tensor *const *coords, einc__k_index *g) {
    const einc__index_plan *ip = p->index;
    memset(g, 0, sizeof *g);
    g->dtype = t->dtype;
    g->nloop = ip->nloop;
    g->t = base_of(t, &ip->t_loop);
    g->e = base_of(e, e_loop);
    for (int d = 0; d < ip->nloop; d++) {
        g->shape[d] = ip->loop_size[d];
        g->t_strides[d] = einc__leaf_stride(&ip->t_loop.leaves[d], t->strides);
        g->e_strides[d] = einc__leaf_stride(&e_loop->leaves[d], e->strides);
    }
    g->naxes = ip->t_idx.nleaves;
    for (int a = 0; a < g->naxes; a++) {
        g->axis_len[a] = ip->t_idx.leaves[a].size;
        g->axis_stride[a] = einc__leaf_stride(&ip->t_idx.leaves[a], t->strides);
    }
    g->ncoords = ip->ncoords;
    for (int k = 0; k < ip->ncoords; k++) {
        const einc__index_coord *c = &ip->coords[k];
        einc__k_coords *kc = &g->coords[k];
        kc->data = base_of(coords[k], &c->own);
        kc->dtype = coords[k]->dtype;
        kc->ncomp = c->ncomp;
        kc->first_axis = c->first_axis;
        kc->comp_stride = c->comp >= 0 ? einc__leaf_stride(&c->own.leaves[c->comp], coords[k]->strides) : 0;
        for (int d = 0; d < ip->nloop; d++) kc->strides[d] = einc__leaf_stride(&c->loop.leaves[d], coords[k]->strides);
    }
}

typedef struct {
    const einc__k_index *g;
    int op; /* -1: gather; otherwise an einc__scatter_op */
} job;

static void job_task(void *arg, int ith, int nth) {
    const job *j = arg;
    if (j->op < 0) einc__k_gather(j->g, ith, nth);
    else einc__k_scatter((einc__scatter_op)j->op, j->g, ith, nth);
}

static int64_t loop_numel(const einc__index_plan *ip) {
    int64_t n = 1;
    for (int d = 0; d < ip->nloop; d++) n *= ip->loop_size[d];
    return n;
}

void einc__index_gather(einc_ctx *ctx, const einc__plan *p, einc_tensor *t, einc_tensor *e, const einc__operand *e_loop,
                        einc_tensor *const *coords) {
    einc__k_index g;
    geometry(p, t, e, e_loop, coords, &g);
    job j = {&g, -1};
    einc__parallel_chunks(ctx, loop_numel(p->index), job_task, &j);
}

void einc__index_scatter(einc_ctx *ctx, const einc__plan *p, einc__scatter_op op, einc_tensor *t, einc_tensor *e,
                         const einc__operand *e_loop, einc_tensor *const *coords) {
    einc__k_index g;
    geometry(p, t, e, e_loop, coords, &g);
    job j = {&g, (int)op};
    einc__parallel_chunks(ctx, loop_numel(p->index), job_task, &j);
}

/* ---- the coordinate check ------------------------------------------------------------------------ */

/* "IndexError: get_at: coordinate 7 at (1, 0) of input #2 is out of range for axis h of length 5". */
static einc_status range_error(einc_ctx *ctx, const einc__plan *p, int k, const einc_tensor *c, const int64_t *leaf_idx,
                               int64_t value, int axis) {
    const einc__index_plan *ip = p->index;
    const einc__operand *own = &ip->coords[k].own;
    int64_t at[EINC_MAX_DIMS] = {0}; /* the element in the coordinate tensor's own dims */
    for (int i = 0; i < own->nleaves; i++)
        for (int t = 0; t < own->leaves[i].nterms; t++)
            at[own->leaves[i].terms[t].dim] += leaf_idx[i] * own->leaves[i].terms[t].mult;
    char where[256];
    einc__shape_str(where, sizeof where, c->ndim, at);
    const einc__leaf *leaf = &ip->t_idx.leaves[axis];
    const char *name = p->sym_name[leaf->sym];
    char axis_name[256];
    if (strncmp(name, "unnamed.", 8) == 0)
        snprintf(axis_name, sizeof axis_name, "(unnamed, indexed axis #%d)", axis + 1);
    else snprintf(axis_name, sizeof axis_name, "%s", name);
    return einc__error(ctx, EINC_EINDEX,
                       "%s: coordinate %lld at %s of input #%d is out of range for axis %s of length %lld (valid "
                       "coordinates: %lld to %lld)\nExpression: \"%s\"",
                       einc_op_name(p->op), (long long)value, where, k + 2, axis_name, (long long)leaf->size,
                       (long long)-leaf->size, (long long)leaf->size - 1, ip->expr);
}

/* Every coordinate the kernels will read must lie in [-n, n) for its axis of length n. */
static einc_status check_coordinates(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *coords) {
    const einc__index_plan *ip = p->index;
    for (int k = 0; k < ip->ncoords; k++) {
        const einc__index_coord *c = &ip->coords[k];
        const einc_tensor *t = coords[k];
        const char *base = base_of(t, &c->own);
        int nd = c->own.nleaves;
        int64_t idx[EINC_MAX_DIMS] = {0}, strides[EINC_MAX_DIMS], off = 0;
        size_t es = einc_dtype_size(t->dtype);
        for (int i = 0; i < nd; i++) strides[i] = einc__leaf_stride(&c->own.leaves[i], t->strides);
        for (;;) {
            const char *q = base + off * (int64_t)es;
            int64_t v = t->dtype == EINC_INT32 ? *(const int32_t *)(const void *)q : *(const int64_t *)(const void *)q;
            int axis = c->first_axis + (c->comp >= 0 ? (int)idx[c->comp] : 0);
            int64_t n = ip->t_idx.leaves[axis].size;
            if (v < -n || v >= n) return range_error(ctx, p, k, t, idx, v, axis);
            int d = nd - 1;
            for (; d >= 0; d--) {
                off += strides[d];
                if (++idx[d] < c->own.leaves[d].size) break;
                off -= strides[d] * c->own.leaves[d].size;
                idx[d] = 0;
            }
            if (d < 0) break;
        }
    }
    return EINC_OK;
}

/* ---- running a plan ------------------------------------------------------------------------------ */

static einc__view view_through(einc_tensor *t, const einc__operand *op) {
    einc__view v;
    v.data = base_of(t, op);
    v.dtype = t->dtype;
    v.ndim = op->nleaves;
    for (int i = 0; i < op->nleaves; i++) {
        v.shape[i] = op->leaves[i].size;
        v.strides[i] = einc__leaf_stride(&op->leaves[i], t->strides);
    }
    return v;
}

einc_status einc__run_index(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs) {
    const einc__index_plan *ip = p->index;
    einc_tensor *const *coords = inputs + 1;
    if (!ip->passthrough) {
        einc_status st = check_coordinates(ctx, p, coords);
        if (st != EINC_OK) return st;
    }
    einc_tensor *out = outputs[0] = einc__tensor_new(ctx, p->out_dtype[0], p->out_ndim[0], p->out_shape[0]);
    if (!out) return ctx->status;
    if (ip->passthrough) {
        einc__view dst = einc__view_of(out), src = einc__view_of(inputs[0]);
        einc__copy_views(ctx, &dst, &src);
        return EINC_OK;
    }
    if (!ip->update) {
        einc__index_gather(ctx, p, inputs[0], out, &ip->e_loop, coords);
        return EINC_OK;
    }
    einc__view dst = view_through(out, &ip->out), src = view_through(inputs[0], &ip->x_to_out);
    einc__copy_views(ctx, &dst, &src);
    /* the kernels take the updates in the output's dtype (NumPy casts them on assignment too) */
    einc_tensor *u = inputs[p->ninputs - 1], *converted = NULL;
    if (u->dtype != out->dtype) {
        converted = einc__tensor_new(ctx, out->dtype, u->ndim, u->shape);
        if (!converted) return ctx->status;
        einc__view cv = einc__view_of(converted), uv = einc__view_of(u);
        einc__copy_views(ctx, &cv, &uv);
        u = converted;
    }
    einc__scatter_op op = p->op == EINC_OP_SET_AT   ? EINC__SCATTER_SET
                          : p->op == EINC_OP_ADD_AT ? EINC__SCATTER_ADD
                                                    : EINC__SCATTER_SUB;
    einc__index_scatter(ctx, p, op, out, u, &ip->e_loop, coords);
    einc_tensor_release(converted);
    return EINC_OK;
}
