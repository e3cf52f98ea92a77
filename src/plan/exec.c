/* exec.c — running a plan: leaf geometry -> kernel views -> kernels.
 *
 * Nothing here parses, solves or allocates plan memory: a cached call computes leaf strides from
 * the actual input strides, allocates its output (from the buffer pool) and runs kernels.
 */
#include "../kernels/elementwise.h"
#include "../drivers/drivers.h"
#include "../kernels/gemm.h"
#include "../kernels/reduce.h"
#include "index.h"
#include "op_table.h"
#include "plan.h"
#include "sorting.h"

/* The kernel view of `op` over memory at `data` with these strides. */
static einc__view view_over(char *data, einc_dtype dtype, const int64_t *strides, const einc__operand *op) {
    einc__view v;
    v.dtype = dtype;
    v.ndim = op->nleaves;
    int64_t off = 0;
    for (int i = 0; i < op->noffset; i++) off += strides[op->offset[i].dim] * op->offset[i].mult;
    v.data = data + off * (int64_t)einc_dtype_size(dtype);
    for (int i = 0; i < op->nleaves; i++) {
        v.shape[i] = op->leaves[i].size;
        v.strides[i] = einc__leaf_stride(&op->leaves[i], strides);
    }
    return v;
}

static einc__view view_of_tensor(const einc_tensor *t, const einc__operand *op) {
    return view_over(einc__tensor_ptr(t), t->dtype, t->strides, op);
}

einc_tensor *einc__leaf_view(einc_ctx *ctx, einc_tensor *t, const einc__operand *op) {
    if (!t) return NULL;
    int64_t shape[EINC_MAX_LEAVES], strides[EINC_MAX_LEAVES], off = 0;
    for (int i = 0; i < op->nleaves; i++) {
        shape[i] = op->leaves[i].size;
        strides[i] = einc__leaf_stride(&op->leaves[i], t->strides);
    }
    for (int i = 0; i < op->noffset; i++) off += t->strides[op->offset[i].dim] * op->offset[i].mult;
    return einc__tensor_view_of(ctx, t, op->nleaves, shape, strides,
                                t->offset + off * (int64_t)einc_dtype_size(t->dtype));
}

static int64_t view_numel(const einc__view *v) {
    int64_t n = 1;
    for (int i = 0; i < v->ndim; i++) n *= v->shape[i];
    return n;
}

/* ---- parallel kernel launches ------------------------------------------------------------------ */

typedef struct {
    const einc__view *y, *a, *b, *c;
    einc_binary_op bop;
    einc_reduce_op rop;
    einc_dtype compute;
    uint32_t mask;
    bool is_log;
    int kind; /* 0 copy, 1 binary, 2 where, 3 reduce, 4 softmax */
} job;

static void job_task(void *arg, int ith, int nth) {
    const job *j = arg;
    switch (j->kind) {
    case 0: einc__k_copy(j->y, j->a, ith, nth); break;
    case 1: einc__k_binary(j->bop, j->compute, j->y, j->a, j->b, ith, nth); break;
    case 2: einc__k_where(j->y, j->a, j->b, j->c, ith, nth); break;
    case 3: einc__k_reduce(j->rop, j->y, j->a, j->mask, ith, nth); break;
    default: einc__k_softmax(j->y, j->a, j->mask, j->is_log, ith, nth); break;
    }
}

static void run(einc_ctx *ctx, job *j, int64_t work) { einc__parallel_chunks(ctx, work, job_task, j); }

static einc_tensor *new_output(einc_ctx *ctx, const einc__plan *p, int o) {
    return einc__tensor_new(ctx, p->out_dtype[o], p->out_ndim[o], p->out_shape[o]);
}

/* ---- id -------------------------------------------------------------------------------------- */

/* The output as a view of the input, if every output dimension's leaves are evenly strided. */
static einc_tensor *try_view(einc_ctx *ctx, const einc__plan *p, einc_tensor *in) {
    const einc__operand *src = &p->pairs[0].src;
    int64_t strides[EINC_MAX_DIMS];
    for (int k = 0; k < p->out_ndim[0]; k++) {
        bool have = false;
        int64_t stride = 0, expected = 0;
        for (int j = p->dim_leaf_end[k] - 1; j >= p->dim_leaf_begin[k]; j--) {
            int64_t n = src->leaves[j].size, s = einc__leaf_stride(&src->leaves[j], in->strides);
            if (n == 1) continue;
            if (!have) {
                have = true;
                stride = s;
            } else if (s != expected) {
                return NULL;
            }
            expected = s * n;
        }
        strides[k] = have ? stride : 0;
    }
    int64_t off = 0;
    for (int i = 0; i < src->noffset; i++) off += in->strides[src->offset[i].dim] * src->offset[i].mult;
    return einc__tensor_view_of(ctx, in, p->out_ndim[0], p->out_shape[0], strides,
                                in->offset + off * (int64_t)einc_dtype_size(in->dtype));
}

einc_status einc__run_id(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs) {
    if (p->may_view && p->out_dtype[0] == inputs[0]->dtype) {
        einc_tensor *v = try_view(ctx, p, inputs[0]);
        if (v) {
            outputs[0] = v;
            return EINC_OK;
        }
        if (einc_errcode(ctx) == EINC_ENOMEM) return EINC_ENOMEM;
    }
    for (int o = 0; o < p->noutputs; o++)
        if (!(outputs[o] = new_output(ctx, p, o))) return ctx->status;
    for (int k = 0; k < p->npairs; k++) {
        const einc__pair *pr = &p->pairs[k];
        einc__view dst = view_of_tensor(outputs[pr->out_tensor], &pr->dst);
        einc__view src = view_of_tensor(inputs[pr->in_tensor], &pr->src);
        einc__copy_views(ctx, &dst, &src);
    }
    return EINC_OK;
}

/* ---- elementwise --------------------------------------------------------------------------------- */

einc_status einc__run_elementwise(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs,
                                  einc_tensor **outputs) {
    einc_tensor *out = outputs[0] = new_output(ctx, p, 0);
    if (!out) return ctx->status;
    einc__view y = view_of_tensor(out, &p->out);
    int64_t n = view_numel(&y);
    einc__view in[EINC_MAX_OPERANDS];
    for (int i = 0; i < p->ninputs; i++) in[i] = view_of_tensor(inputs[i], &p->in[i]);
    if (p->op == EINC_OP_WHERE) {
        job j = {.y = &y, .a = &in[0], .b = &in[1], .c = &in[2], .kind = 2};
        run(ctx, &j, n);
        return EINC_OK;
    }
    if (p->ninputs == 1) {
        einc__copy_views(ctx, &y, &in[0]);
        return EINC_OK;
    }
    /* fold left: acc = op(acc, in[i]); an intermediate of another dtype goes to a temporary */
    einc_binary_op bop = einc__plan_binary_op(p->op);
    einc__view acc = in[0];
    einc_tensor *tmp = NULL;
    for (int i = 1; i < p->ninputs; i++) {
        einc__view target = y;
        einc_tensor *next = NULL;
        if (p->step_result[i] != y.dtype) {
            next = einc__tensor_new(ctx, p->step_result[i], out->ndim, out->shape);
            if (!next) {
                einc_tensor_release(tmp);
                return ctx->status;
            }
            target = view_of_tensor(next, &p->out);
        }
        job j = {.y = &target, .a = &acc, .b = &in[i], .bop = bop, .compute = p->step_compute[i], .kind = 1};
        run(ctx, &j, n);
        einc_tensor_release(tmp);
        tmp = next;
        acc = target;
    }
    einc_tensor_release(tmp);
    return EINC_OK;
}

/* ---- reductions and softmax ------------------------------------------------------------------ */

einc_status einc__run_reduce(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs) {
    einc_tensor *out = outputs[0] = new_output(ctx, p, 0);
    if (!out) return ctx->status;
    einc__view x = view_of_tensor(inputs[0], &p->in[0]);
    bool softmax = p->family == EINC__FAMILY_SOFTMAX;
    job j = {.a = &x,
             .mask = p->reduce_mask,
             .kind = softmax ? 4 : 3,
             .is_log = p->op == EINC_OP_LOG_SOFTMAX,
             .rop = einc__plan_reduce_op(p->op)};
    if (p->direct) {
        einc__view y = view_of_tensor(out, &p->y);
        j.y = &y;
        run(ctx, &j, view_numel(&x));
        return EINC_OK;
    }
    einc_tensor *tmp = einc__tensor_new(ctx, p->out_dtype[0], p->tmp_ndim, p->tmp_shape);
    if (!tmp) return ctx->status;
    /* y over the temporary: kept leaves take its dims in order, reduced leaves have length 1 */
    einc__view y;
    y.data = einc__tensor_ptr(tmp);
    y.dtype = tmp->dtype;
    y.ndim = x.ndim;
    for (int i = 0, d = 0; i < x.ndim; i++) {
        bool reduced = !softmax && (p->reduce_mask >> i & 1u);
        y.shape[i] = reduced ? 1 : x.shape[i];
        y.strides[i] = reduced ? 0 : tmp->strides[d++];
    }
    j.y = &y;
    run(ctx, &j, view_numel(&x));
    einc__view src = view_of_tensor(tmp, &p->tmp_to_out), dst = view_of_tensor(out, &p->out);
    einc__copy_views(ctx, &dst, &src);
    einc_tensor_release(tmp);
    return EINC_OK;
}

/* ---- dot ----------------------------------------------------------------------------------------- */

/* Where a step's operand comes from: an input (leaves with terms) or the previous result
 * (contiguous, one dim per axis in `syms` order). */
typedef struct {
    einc_tensor *t;
    const einc__operand *leaves; /* NULL: previous result */
    const int *syms;
    int nsyms;
} source;

static bool source_stride(const source *s, int sym, int64_t *stride) {
    if (s->leaves) {
        for (int i = 0; i < s->leaves->nleaves; i++)
            if (s->leaves->leaves[i].sym == sym) {
                *stride = einc__leaf_stride(&s->leaves->leaves[i], s->t->strides);
                return true;
            }
        return false;
    }
    for (int i = 0; i < s->nsyms; i++)
        if (s->syms[i] == sym) {
            *stride = s->t->strides[i];
            return true;
        }
    return false;
}

/* Merges a group of axes (sizes n, strides s) into one dimension; false if the strides do not
 * allow it. `inner` is the stride an empty/length-1 group should take. */
static bool merge_group(const int64_t *n, const int64_t *s, int count, int64_t inner, int64_t *size, int64_t *stride) {
    int64_t total = 1, expected = 0;
    bool have = false;
    *stride = inner;
    for (int i = count - 1; i >= 0; i--) {
        total *= n[i];
        if (n[i] == 1) continue;
        if (!have) {
            have = true;
            *stride = s[i];
        } else if (s[i] != expected) {
            return false;
        }
        expected = s[i] * n[i];
    }
    *size = total;
    return true;
}

/* Builds a [batch..., X, Y] view of `src` from the groups (batch, g1, g2). If the groups cannot
 * be merged, or the dtype differs from `dtype`, copies into a contiguous temporary first. */
static bool gemm_view(einc_ctx *ctx, const einc__plan *p, const source *src, const int *batch, int nb, const int *g1,
                      int n1, const int *g2, int n2, einc_dtype dtype, einc__view *out, einc_tensor **tmp) {
    int64_t sizes[3 * EINC_MAX_LEAVES], strides[3 * EINC_MAX_LEAVES];
    int syms[3 * EINC_MAX_LEAVES], n = 0;
    for (int i = 0; i < nb; i++) syms[n++] = batch[i];
    for (int i = 0; i < n1; i++) syms[n++] = g1[i];
    for (int i = 0; i < n2; i++) syms[n++] = g2[i];
    for (int i = 0; i < n; i++) {
        sizes[i] = p->sym_size[syms[i]];
        if (!source_stride(src, syms[i], &strides[i])) strides[i] = 0; /* broadcast batch axis */
    }
    char *data = einc__tensor_ptr(src->t);
    if (src->leaves) {
        for (int i = 0; i < src->leaves->noffset; i++)
            data += src->t->strides[src->leaves->offset[i].dim] * src->leaves->offset[i].mult *
                    (int64_t)einc_dtype_size(src->t->dtype);
    }
    int64_t s2 = 1, st2 = 1, s1 = 1, st1 = 0;
    bool ok = src->t->dtype == dtype && merge_group(sizes + nb + n1, strides + nb + n1, n2, 1, &s2, &st2);
    ok = ok && merge_group(sizes + nb, strides + nb, n1, 0, &s1, &st1);
    if (ok && n1 == 0) st1 = s2 * st2;
    if (!ok) {
        /* contiguous copy in (batch, g1, g2) order */
        einc_tensor *c = einc__tensor_new(ctx, dtype, n, sizes);
        if (!c) return false;
        einc__view sv;
        sv.data = data;
        sv.dtype = src->t->dtype;
        sv.ndim = n;
        for (int i = 0; i < n; i++) {
            sv.shape[i] = sizes[i];
            sv.strides[i] = strides[i];
        }
        einc__view dv = einc__view_of(c);
        einc__copy_views(ctx, &dv, &sv);
        *tmp = c;
        data = einc__tensor_ptr(c);
        for (int i = 0; i < n; i++) strides[i] = c->strides[i];
        merge_group(sizes + nb + n1, strides + nb + n1, n2, 1, &s2, &st2);
        merge_group(sizes + nb, strides + nb, n1, 0, &s1, &st1);
        if (n1 == 0) st1 = s2 * st2;
    }
    out->data = data;
    out->dtype = dtype;
    out->ndim = nb + 2;
    for (int i = 0; i < nb; i++) {
        out->shape[i] = sizes[i];
        out->strides[i] = strides[i];
    }
    out->shape[nb] = s1;
    out->strides[nb] = st1;
    out->shape[nb + 1] = s2;
    out->strides[nb + 1] = st2;
    return true;
}

einc_status einc__run_dot(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs) {
    einc_tensor *out = outputs[0] = new_output(ctx, p, 0);
    if (!out) return ctx->status;
    einc_tensor *prev = NULL;
    int prev_syms[3 * EINC_MAX_LEAVES], nprev = 0;
    einc_status st = EINC_OK;
    for (int s = 0; s < p->nsteps && st == EINC_OK; s++) {
        const einc__dot_step *step = &p->steps[s];
        source a = step->a_input >= 0 ? (source){inputs[step->a_input], &p->in[step->a_input], NULL, 0}
                                      : (source){prev, NULL, prev_syms, nprev};
        source b = {inputs[step->b_input], &p->in[step->b_input], NULL, 0};
        einc_tensor *ta = NULL, *tb = NULL, *tc = NULL;
        einc__view va, vb, vc;
        bool last = s == p->nsteps - 1;
        bool ok = gemm_view(ctx, p, &a, step->batch, step->nbatch, step->left, step->nleft, step->contr, step->ncontr,
                            p->compute, &va, &ta) &&
                  gemm_view(ctx, p, &b, step->batch, step->nbatch, step->contr, step->ncontr, step->right, step->nright,
                            p->compute, &vb, &tb);
        int csyms[3 * EINC_MAX_LEAVES], nc = 0;
        int64_t csizes[3 * EINC_MAX_LEAVES];
        for (int i = 0; i < step->nbatch; i++) csyms[nc++] = step->batch[i];
        for (int i = 0; i < step->nleft; i++) csyms[nc++] = step->left[i];
        for (int i = 0; i < step->nright; i++) csyms[nc++] = step->right[i];
        for (int i = 0; i < nc; i++) csizes[i] = p->sym_size[csyms[i]];
        if (ok) {
            tc = (last && p->direct) ? einc_tensor_retain(out) : einc__tensor_new(ctx, p->compute, nc, csizes);
            ok = tc != NULL;
        }
        if (ok) {
            /* the result in (batch, left, right) order: the output itself when direct */
            source sc = (last && p->direct) ? (source){out, &p->out, NULL, 0} : (source){tc, NULL, csyms, nc};
            einc_tensor *unused = NULL;
            ok = gemm_view(ctx, p, &sc, step->batch, step->nbatch, step->left, step->nleft, step->right, step->nright,
                           p->compute, &vc, &unused);
            einc_tensor_release(unused); /* cannot happen: tc is contiguous in this order */
        }
        if (ok) st = einc__gemm_batched(ctx, &va, &vb, &vc);
        else st = ctx->status != EINC_OK ? ctx->status : EINC_ENOMEM;
        einc_tensor_release(ta);
        einc_tensor_release(tb);
        einc_tensor_release(prev);
        prev = tc;
        nprev = nc;
        memcpy(prev_syms, csyms, sizeof(int) * (size_t)nc);
    }
    if (st == EINC_OK && !p->direct) {
        einc__view src = view_of_tensor(prev, &p->tmp_to_out), dst = view_of_tensor(out, &p->out);
        einc__copy_views(ctx, &dst, &src);
    }
    einc_tensor_release(prev);
    return st;
}

einc_status einc__plan_exec(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs) {
    einc_status st = einc__families[p->family].run(ctx, p, inputs, outputs);
    if (st != EINC_OK) {
        for (int o = 0; o < p->noutputs; o++) {
            einc_tensor_release(outputs[o]);
            outputs[o] = NULL;
        }
    }
    return st;
}
