/* lower.c — from a solved expression to a plan (spec §2.2 step 7).
 *
 * Every operand becomes a list of leaves (see plan.h): each top-level dimension is un-flattened
 * into its axes (row-major: an axis' stride is the dimension's stride times the product of the
 * axes to its right), a repeated axis becomes one leaf with two stride terms (its diagonal),
 * length-1 axes the output does not need are dropped, and a concatenation selects one piece at
 * an offset. Operands are then aligned leaf by leaf to the output, which is all the kernels need.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../kernels/elementwise.h"
#include "../kernels/reduce.h"
#include "index.h"
#include "../notation/front.h"
#include "rules.h"
#include "sorting.h"

/* ---- decomposition into leaves ---------------------------------------------------------------- */

int einc__operand_add(einc__operand *op, int sym, int64_t size, int dim, int64_t mult, bool merge) {
    for (int i = 0; i < op->nleaves && merge; i++) {
        if (op->leaves[i].sym != sym) continue;
        einc__leaf *l = &op->leaves[i];
        if (l->nterms == EINC_MAX_TERMS) return -1;
        l->terms[l->nterms++] = (einc__term){dim, mult};
        return 1;
    }
    if (op->nleaves == EINC_MAX_LEAVES) return -1;
    op->leaves[op->nleaves++] = (einc__leaf){sym, size, 1, {{dim, mult}}};
    return 0;
}

void einc__walk(einc__walker *w, const einc__node *n, int dim, int64_t mult) {
    const einc__expr *e = w->e;
    EINC__STEPS(e->arena->ctx, 1);
    switch (n->kind) {
    case EINC__N_AXIS: w->axis(w, n, dim, mult); return;
    case EINC__N_FLAT:
    case EINC__N_BRACKET: einc__walk(w, n->c[0], dim, mult); return;
    case EINC__N_CONCAT: {
        int index = n->sym; /* the concatenation's preorder number (set by number_concats) */
        int take = w->choice ? w->choice[index] : 0;
        if (w->reached) w->reached[index] = true;
        int64_t before = 0;
        for (int i = 0; i < take; i++) before += einc__node_size(e, n->c[i]);
        if (before) w->offset(w, dim, mult * before);
        einc__walk(w, n->c[take], dim, mult);
        return;
    }
    default: { /* row-major: an item's multiplier is the product of the lengths to its right */
        int64_t suffix[256];
        int m = n->n < 256 ? n->n : 256;
        int64_t s = mult;
        for (int i = m - 1; i >= 0; i--) {
            suffix[i] = s;
            s *= einc__node_size(e, n->c[i]);
        }
        for (int i = 0; i < m; i++) einc__walk(w, n->c[i], dim, suffix[i]);
        return;
    }
    }
}

typedef struct {
    einc__walker base;
    einc__operand *op;
    bool too_many;  /* more leaves or terms than a kernel view can take               */
    bool duplicate; /* a leaf got a second term (diagonal)                             */
} walker;

/* A vectorized axis repeated in one operand is its diagonal (one leaf, several stride terms);
 * repeated bracketed axes stay separate leaves: they are all arguments of the elementary
 * operation ("sum('[a a] b -> b')" sums the whole block). */
static void add_axis(einc__walker *base, const einc__node *n, int dim, int64_t mult) {
    walker *w = (walker *)base;
    int r = einc__operand_add(w->op, n->sym, base->e->syms[n->sym].size, dim, mult, !einc__node_in_brackets(n));
    if (r < 0) w->too_many = true;
    if (r == 1) w->duplicate = true;
}

static void add_offset(einc__walker *base, int dim, int64_t mult) {
    walker *w = (walker *)base;
    if (w->op->noffset == EINC_MAX_TERMS * 2) w->too_many = true;
    else w->op->offset[w->op->noffset++] = (einc__term){dim, mult};
}

/* Numbers the concatenations of a tree in preorder (kept in node->sym, unused for them). */
static int number_concats(einc__node *n, int next) {
    if (n->kind == EINC__N_CONCAT) n->sym = next++;
    for (int i = 0; i < n->n; i++) next = number_concats(n->c[i], next);
    return next;
}

static int count_pieces_of(const einc__node *n) {
    if (n->kind == EINC__N_CONCAT) return n->n;
    return 1;
}

static void concat_sizes(const einc__node *n, int *sizes) {
    if (n->kind == EINC__N_CONCAT) sizes[n->sym] = n->n;
    for (int i = 0; i < n->n; i++) concat_sizes(n->c[i], sizes);
}

/* Decomposes one root for one choice of concatenation pieces. dim_begin/dim_end (may be NULL)
 * receive each top-level dimension's leaf range. */
static bool decompose(const einc__expr *e, const einc__node *root, const int *choice, bool *reached, einc__operand *op,
                      int *dim_begin, int *dim_end, bool *duplicate) {
    memset(op, 0, sizeof *op);
    walker w = {{e, choice, reached, add_axis, add_offset}, op, false, false};
    const einc__node *dims[EINC_MAX_DIMS + 1];
    int nd = einc__root_dims(root, dims, EINC_MAX_DIMS + 1);
    if (nd > EINC_MAX_DIMS) w.too_many = true;
    for (int k = 0; k < nd && k < EINC_MAX_DIMS; k++) {
        if (dim_begin) dim_begin[k] = op->nleaves;
        einc__walk(&w.base, dims[k], k, 1);
        if (dim_end) dim_end[k] = op->nleaves;
    }
    if (duplicate) *duplicate = w.duplicate;
    if (w.too_many) {
        einc__error(e->arena->ctx, EINC_EUNSUPPORTED,
                    "The expression \"%s\" needs more than %d axes (or a diagonal of more than %d axes) for one "
                    "tensor; einc's kernels take at most %d dimensions",
                    e->desc->text, EINC_MAX_LEAVES, EINC_MAX_TERMS, EINC_MAX_DIMS);
        return false;
    }
    return true;
}

/* Drops length-1 leaves whose axis is not in `keep`. */
static void squeeze(einc__operand *op, const bool *keep) {
    int w = 0;
    for (int i = 0; i < op->nleaves; i++) {
        if (op->leaves[i].size == 1 && !keep[op->leaves[i].sym]) continue;
        op->leaves[w++] = op->leaves[i];
    }
    op->nleaves = w;
}

/* The nth leaf (0-based) of axis `sym`, or NULL. */
static const einc__leaf *find_leaf_nth(const einc__operand *op, int sym, int nth) {
    for (int i = 0; i < op->nleaves; i++)
        if (op->leaves[i].sym == sym && nth-- == 0) return &op->leaves[i];
    return NULL;
}

static const einc__leaf *find_leaf(const einc__operand *op, int sym) { return find_leaf_nth(op, sym, 0); }

/* src's leaves rearranged into target's order; target axes src lacks are broadcast. The k-th
 * leaf of an axis in target takes the k-th leaf of that axis in src (repeated bracketed axes). */
static void align(const einc__operand *src, const einc__operand *target, einc__operand *out) {
    memset(out, 0, sizeof *out);
    out->noffset = src->noffset;
    memcpy(out->offset, src->offset, sizeof out->offset);
    out->nleaves = target->nleaves;
    for (int i = 0; i < target->nleaves; i++) {
        int nth = 0;
        for (int k = 0; k < i; k++) nth += target->leaves[k].sym == target->leaves[i].sym;
        const einc__leaf *l = find_leaf_nth(src, target->leaves[i].sym, nth);
        if (l) out->leaves[i] = *l;
        else out->leaves[i] = (einc__leaf){target->leaves[i].sym, target->leaves[i].size, 0, {{0, 0}}};
    }
}

/* ---- shared plan pieces --------------------------------------------------------------------- */

static bool output_shape(einc__plan *p, const einc__expr *e, int o) {
    const einc__node *dims[EINC_MAX_DIMS + 1];
    int nd = einc__root_dims(e->out[o], dims, EINC_MAX_DIMS + 1);
    if (nd > EINC_MAX_DIMS) {
        einc__error(e->arena->ctx, EINC_EUNSUPPORTED, "The output of \"%s\" would have more than %d dimensions",
                    e->desc->text, EINC_MAX_DIMS);
        return false;
    }
    p->out_ndim[o] = nd;
    for (int k = 0; k < nd; k++) p->out_shape[o][k] = einc__node_size(e, dims[k]);
    return true;
}

static bool *sym_mask(einc__plan *p, const einc__expr *e) {
    bool *m = einc__arena_alloc(&p->arena, sizeof(bool) * (size_t)(e->nsyms + 1));
    return m;
}

/* "must not contain multiple vectorized axes with the same name" for an output operand. */
static bool output_duplicate_error(const einc__expr *e, const einc__node *root) {
    einc__check_output_duplicates(e, root);
    if (einc_errcode(e->arena->ctx) == EINC_OK) /* the tree check found none: a diagonal via CSE */
        einc__error(e->arena->ctx, EINC_ESEMANTIC,
                    "The output expression must not contain multiple vectorized axes "
                    "with the same name.\nExpression: \"%s\"",
                    e->desc->text);
    return false;
}

/* The temporary (contiguous, shape = `leaves`) and how it maps onto the output's leaves. */
static void plan_tmp(einc__plan *p, const einc__operand *leaves, const uint32_t *dropped_mask) {
    p->tmp_ndim = 0;
    einc__operand t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < leaves->nleaves; i++) {
        if (dropped_mask && (*dropped_mask >> i & 1u)) continue;
        int d = p->tmp_ndim++;
        p->tmp_shape[d] = leaves->leaves[i].size;
        t.leaves[t.nleaves++] = (einc__leaf){leaves->leaves[i].sym, leaves->leaves[i].size, 1, {{d, 1}}};
    }
    align(&t, &p->out, &p->tmp_to_out);
}

/* True if every output leaf longer than 1 is one of `leaves` (so results can be written straight
 * into the output). */
static bool covers_output(const einc__plan *p, const einc__operand *leaves) {
    for (int i = 0; i < p->out.nleaves; i++)
        if (p->out.leaves[i].size > 1 && !find_leaf(leaves, p->out.leaves[i].sym)) return false;
    return true;
}

/* ---- id ------------------------------------------------------------------------------------ */

typedef struct {
    int tensor;
    einc__operand op;
    bool duplicate;
} piece;

static bool plan_id_pieces(einc__plan *p, const einc__expr *e, einc__arena *scratch);

static bool enumerate_pieces(einc__plan *p, const einc__expr *e, einc__node *root, int tensor, piece *out, int *n,
                             int cap) {
    int nconcat = number_concats(root, 0);
    int sizes[64] = {0};
    if (nconcat > 64) {
        einc__error(e->arena->ctx, EINC_EUNSUPPORTED, "too many concatenations in \"%s\"", e->desc->text);
        return false;
    }
    concat_sizes(root, sizes);
    int choice[64] = {0};
    (void)count_pieces_of;
    for (;;) {
        bool reached[64] = {false};
        if (*n == cap) {
            einc__error(e->arena->ctx, EINC_EUNSUPPORTED, "more than %d concatenation pieces in \"%s\"", cap,
                        e->desc->text);
            return false;
        }
        piece *pc = &out[*n];
        pc->tensor = tensor;
        if (!decompose(e, root, choice, reached, &pc->op, NULL, NULL, &pc->duplicate)) return false;
        bool valid = true; /* a piece choice inside an unchosen piece repeats another piece */
        for (int c = 0; c < nconcat; c++)
            if (!reached[c] && choice[c] != 0) valid = false;
        if (valid) (*n)++;
        /* next choice: the first concatenation is the most significant digit */
        int c = nconcat - 1;
        while (c >= 0 && ++choice[c] == sizes[c]) choice[c--] = 0;
        if (c < 0) break;
    }
    (void)p;
    return true;
}

bool einc__lower_id(einc__plan *p, const einc__expr *e, const einc_op_options *options) {
    (void)options;
    /* scratch for the pieces: freed when the plan is built, not kept with the cached plan */
    einc__arena scratch;
    einc__arena_init(&scratch, e->arena->ctx);
    bool ok = plan_id_pieces(p, e, &scratch);
    einc__arena_free(&scratch);
    return ok;
}

static bool plan_id_pieces(einc__plan *p, const einc__expr *e, einc__arena *scratch) {
    piece *ins = einc__arena_alloc(scratch, sizeof(piece) * EINC_MAX_PIECES);
    piece *outs = einc__arena_alloc(scratch, sizeof(piece) * EINC_MAX_PIECES);
    if (!ins || !outs) return false;
    int nin = 0, nout = 0;
    bool concat = false;
    for (int i = 0; i < e->ninputs; i++) {
        int before = nin;
        if (!enumerate_pieces(p, e, e->in[i], i, ins, &nin, EINC_MAX_PIECES)) return false;
        concat = concat || nin - before > 1;
    }
    for (int o = 0; o < e->noutputs; o++) {
        int before = nout;
        if (!enumerate_pieces(p, e, e->out[o], o, outs, &nout, EINC_MAX_PIECES)) return false;
        concat = concat || nout - before > 1;
        if (!output_shape(p, e, o)) return false;
    }
    for (int k = 0; k < nout; k++)
        if (outs[k].duplicate) return output_duplicate_error(e, e->out[outs[k].tensor]);
    if (nin != nout) {
        einc__marks m;
        if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
        return einc__notation_error(e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                    "The number of input and output expressions (after decomposition of axis "
                                    "concatenations) must be the same, but got %d input%s and %d output%s.",
                                    nin, nin == 1 ? "" : "s", nout, nout == 1 ? "" : "s");
    }
    p->npairs = nin;
    p->pairs = einc__arena_alloc(&p->arena, sizeof(einc__pair) * (size_t)(nin ? nin : 1));
    bool *keep = sym_mask(p, e);
    if (!p->pairs || !keep) return false;
    for (int k = 0; k < nin; k++) {
        memset(keep, 0, sizeof(bool) * (size_t)e->nsyms);
        for (int i = 0; i < outs[k].op.nleaves; i++) keep[outs[k].op.leaves[i].sym] = true;
        einc__operand src = ins[k].op;
        squeeze(&src, keep);
        bool compatible = true;
        for (int i = 0; i < src.nleaves; i++)
            if (!keep[src.leaves[i].sym]) compatible = false;
        if (!compatible) {
            if (nin == 1) {
                einc__check_missing(e, ins[k].tensor, keep);
                return false;
            }
            char a[16], b[16], ti[1024], to[1024];
            einc__sb si, so;
            einc__sb_init(&si, ti, sizeof ti);
            einc__sb_init(&so, to, sizeof to);
            einc__node_print(&si, e->desc->inputs[ins[k].tensor]);
            einc__node_print(&so, e->desc->outputs[outs[k].tensor]);
            einc__marks m;
            if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
            return einc__notation_error(
                e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                "The %s input expression \"%s\" is not compatible with the %s output expression "
                "\"%s\" (after decomposition of axis concatenations).",
                einc__ordinal(k, a, sizeof a), ti, einc__ordinal(k, b, sizeof b), to);
        }
        p->pairs[k].in_tensor = ins[k].tensor;
        p->pairs[k].out_tensor = outs[k].tensor;
        p->pairs[k].dst = outs[k].op;
        align(&src, &outs[k].op, &p->pairs[k].src);
    }
    p->may_view = !concat && nin == 1;
    if (p->may_view) {
        einc__operand tmp;
        if (!decompose(e, e->out[0], NULL, NULL, &tmp, p->dim_leaf_begin, p->dim_leaf_end, NULL)) return false;
    }
    /* an output's dtype: its pieces' dtypes promoted (a 0-d piece does not widen an n-d one) */
    for (int o = 0; o < e->noutputs; o++) {
        bool first = true;
        int nd = 0;
        for (int k = 0; k < nin; k++) {
            if (p->pairs[k].out_tensor != o) continue;
            int t = p->pairs[k].in_tensor;
            if (first) {
                p->out_dtype[o] = p->in_dtype[t];
                nd = e->call->ndims[t];
                first = false;
            } else {
                p->out_dtype[o] = einc_promote_types(p->out_dtype[o], nd, p->in_dtype[t], e->call->ndims[t]);
                if (e->call->ndims[t] > nd) nd = e->call->ndims[t];
            }
        }
    }
    return true;
}

/* ---- elementwise -------------------------------------------------------------------------- */

static bool plan_single_output(einc__plan *p, const einc__expr *e) {
    bool dup;
    if (!decompose(e, e->out[0], NULL, NULL, &p->out, NULL, NULL, &dup)) return false;
    if (dup) return output_duplicate_error(e, e->out[0]);
    return output_shape(p, e, 0);
}

static bool plan_inputs(einc__plan *p, const einc__expr *e, bool keep_brackets) {
    p->in = einc__arena_alloc(&p->arena, sizeof(einc__operand) * (size_t)(e->ninputs ? e->ninputs : 1));
    bool *keep = sym_mask(p, e);
    if (!p->in || !keep) return false;
    for (int i = 0; i < p->out.nleaves; i++) keep[p->out.leaves[i].sym] = true;
    if (keep_brackets)
        for (int s = 0; s < e->nsyms; s++)
            if (e->syms[s].in_brackets) keep[s] = true;
    for (int i = 0; i < e->ninputs; i++) {
        if (!decompose(e, e->in[i], NULL, NULL, &p->in[i], NULL, NULL, NULL)) return false;
        squeeze(&p->in[i], keep);
    }
    return true;
}

bool einc__lower_elementwise(einc__plan *p, const einc__expr *e, const einc_op_options *options) {
    (void)options;
    if (!plan_single_output(p, e) || !plan_inputs(p, e, false)) return false;
    for (int i = 0; i < e->ninputs; i++) {
        einc__operand aligned;
        align(&p->in[i], &p->out, &aligned);
        p->in[i] = aligned;
    }
    einc_ctx *ctx = e->arena->ctx;
    if (p->op == EINC_OP_WHERE) {
        p->compute = einc_promote_types(p->in_dtype[1], e->call->ndims[1], p->in_dtype[2], e->call->ndims[2]);
        p->out_dtype[0] = p->compute;
        return true;
    }
    einc_dtype acc = p->in_dtype[0];
    int acc_ndim = e->call->ndims[0];
    if (e->ninputs == 1) {
        p->compute = p->out_dtype[0] = acc;
        return true;
    }
    for (int i = 1; i < e->ninputs; i++) {
        einc_dtype compute, result;
        if (!einc__ew_binary_dtypes(einc__plan_binary_op(p->op), acc, acc_ndim, p->in_dtype[i], e->call->ndims[i],
                                    &compute, &result)) {
            einc__error(ctx, EINC_EDTYPE, "%s: not defined for %s and %s operands\nExpression: \"%s\"",
                        einc_op_name(p->op), einc_dtype_name(acc), einc_dtype_name(p->in_dtype[i]), e->desc->text);
            return false;
        }
        acc = p->step_result[i] = result;
        p->step_compute[i] = compute;
        if (e->call->ndims[i] > acc_ndim) acc_ndim = e->call->ndims[i];
        if (i == 1) p->compute = compute;
    }
    p->out_dtype[0] = acc;
    return true;
}

/* ---- reductions and softmax ---------------------------------------------------------------- */

bool einc__lower_reduce(einc__plan *p, const einc__expr *e, const einc_op_options *options) {
    (void)options;
    if (!plan_single_output(p, e) || !plan_inputs(p, e, true)) return false;
    const einc__operand *in = &p->in[0];
    p->reduce_mask = 0;
    for (int i = 0; i < in->nleaves; i++)
        if (e->syms[in->leaves[i].sym].in_brackets) p->reduce_mask |= 1u << i;
    bool softmax = p->family == EINC__FAMILY_SOFTMAX;
    if (softmax) {
        einc_dtype d = p->in_dtype[0];
        p->out_dtype[0] = einc__dtype_is_float(d) ? d : EINC_FLOAT64;
    } else {
        p->out_dtype[0] = einc__reduce_dtype(einc__plan_reduce_op(p->op), p->in_dtype[0]);
    }
    p->direct = covers_output(p, in);
    if (p->direct) {
        /* y: the output's strides in in[0]'s order; reduced leaves have length 1 */
        align(&p->out, in, &p->y);
        if (!softmax)
            for (int i = 0; i < in->nleaves; i++)
                if (p->reduce_mask >> i & 1u) p->y.leaves[i] = (einc__leaf){in->leaves[i].sym, 1, 0, {{0, 0}}};
    } else {
        uint32_t dropped = softmax ? 0 : p->reduce_mask;
        plan_tmp(p, in, &dropped);
    }
    return true;
}

/* ---- dot ------------------------------------------------------------------------------------ */

static bool in_list(const int *list, int n, int sym) {
    for (int i = 0; i < n; i++)
        if (list[i] == sym) return true;
    return false;
}

bool einc__lower_dot(einc__plan *p, const einc__expr *e, const einc_op_options *options) {
    (void)options;
    if (!plan_single_output(p, e) || !plan_inputs(p, e, true)) return false;
    einc_ctx *ctx = e->arena->ctx;
    einc_dtype d = p->in_dtype[0];
    int nd = e->call->ndims[0];
    for (int i = 1; i < e->ninputs; i++) {
        d = einc_promote_types(d, nd, p->in_dtype[i], e->call->ndims[i]);
        if (e->call->ndims[i] > nd) nd = e->call->ndims[i];
    }
    if (d == EINC_BOOL) {
        einc__error(ctx, EINC_EDTYPE,
                    "dot: bool operands are not supported (cast them to an integer or float dtype "
                    "first)\nExpression: \"%s\"",
                    e->desc->text);
        return false;
    }
    /* float16 and bfloat16 multiply and accumulate in float32, uint8, int8 and int16 in int32
     * (wrapping, as NumPy's small-integer products do), uint64 in int64 (the same bits modulo
     * 2^64); the result is rounded or wrapped once */
    p->out_dtype[0] = d;
    p->compute = einc__product_dtype(d);
    p->nsteps = e->ninputs - 1;
    p->steps = einc__arena_alloc(&p->arena, sizeof(einc__dot_step) * (size_t)p->nsteps);
    if (!p->steps) return false;
    int acc[EINC_MAX_LEAVES * 2], nacc = 0;
    for (int i = 0; i < p->in[0].nleaves; i++) acc[nacc++] = p->in[0].leaves[i].sym;
    for (int s = 0; s < p->nsteps; s++) {
        einc__dot_step *st = &p->steps[s];
        memset(st, 0, sizeof *st);
        st->a_input = s == 0 ? 0 : -1;
        st->b_input = s + 1;
        const einc__operand *b = &p->in[s + 1];
        int bs[EINC_MAX_LEAVES], nb = 0;
        for (int i = 0; i < b->nleaves; i++) bs[nb++] = b->leaves[i].sym;
        /* axes still needed: the output's and those of the inputs after this step */
        int keep[EINC_MAX_LEAVES * EINC_MAX_OPERANDS], nkeep = 0;
        for (int i = 0; i < p->out.nleaves; i++) keep[nkeep++] = p->out.leaves[i].sym;
        for (int j = s + 2; j < e->ninputs; j++)
            for (int i = 0; i < p->in[j].nleaves; i++) keep[nkeep++] = p->in[j].leaves[i].sym;
        for (int i = 0; i < nacc; i++) {
            int sym = acc[i];
            bool inb = in_list(bs, nb, sym), kept = in_list(keep, nkeep, sym);
            if (inb && kept) st->batch[st->nbatch++] = sym;
            else if (inb) st->contr[st->ncontr++] = sym;
            else st->left[st->nleft++] = sym;
        }
        for (int i = 0; i < nb; i++)
            if (!in_list(acc, nacc, bs[i])) st->right[st->nright++] = bs[i];
        if (st->nbatch + st->nleft + 1 > EINC_MAX_DIMS || st->nbatch + st->nright + 1 > EINC_MAX_DIMS) {
            einc__error(ctx, EINC_EUNSUPPORTED, "dot: too many axes for one contraction in \"%s\"", e->desc->text);
            return false;
        }
        nacc = 0;
        for (int i = 0; i < st->nbatch; i++) acc[nacc++] = st->batch[i];
        for (int i = 0; i < st->nleft; i++) acc[nacc++] = st->left[i];
        for (int i = 0; i < st->nright; i++) acc[nacc++] = st->right[i];
    }
    /* the last result's axes, in order, against the output's */
    einc__operand result;
    memset(&result, 0, sizeof result);
    for (int i = 0; i < nacc; i++)
        result.leaves[result.nleaves++] = (einc__leaf){acc[i], p->sym_size[acc[i]], 0, {{0, 0}}};
    p->direct = result.nleaves == p->out.nleaves && p->out_dtype[0] == p->compute;
    for (int i = 0; i < result.nleaves && p->direct; i++) p->direct = result.leaves[i].sym == p->out.leaves[i].sym;
    if (!p->direct) plan_tmp(p, &result, NULL);
    return true;
}

/* ---- the helpers other families' lowerings use (plan.h) ------------------------------------- */

bool einc__plan_decompose(const einc__expr *e, const einc__node *root, einc__operand *op, int *dim_begin, int *dim_end,
                          bool *duplicate) {
    return decompose(e, root, NULL, NULL, op, dim_begin, dim_end, duplicate);
}
void einc__plan_squeeze(einc__operand *op, const bool *keep) { squeeze(op, keep); }
void einc__plan_align(const einc__operand *src, const einc__operand *target, einc__operand *out) {
    align(src, target, out);
}
bool einc__plan_output_shape(einc__plan *p, const einc__expr *e, int o) { return output_shape(p, e, o); }

/* ---- the whole build -------------------------------------------------------------------------- */

/* The front end's hooks for a plan: the operation's rules after parsing, and the families that
 * count bracketed axes (argmax, the indexing operations) check the expanded trees. */
static bool plan_parsed(void *user, einc__front *f) {
    einc__rules *r = user;
    r->d = &f->d;
    r->call = &f->call;
    /* checked before resolving: resolving thousands of outputs only to reject them costs time */
    if (f->d.noutputs > EINC_MAX_OPERANDS) {
        einc__error(r->a->ctx, EINC_EUNSUPPORTED, "more than %d outputs in \"%s\"", EINC_MAX_OPERANDS, f->d.text);
        return false;
    }
    return einc__rules_before(r);
}

static bool plan_expanded(void *user, einc__front *f) {
    einc__rules *r = user;
    bool (*check)(const einc__rules *, einc__expr *) = einc__families[einc__op_family(r->op)].expanded;
    return !check || check(r, &f->e);
}

void einc__plan_free(einc__plan *p) {
    if (!p) return;
    einc__arena a = p->arena; /* the plan lives in its own arena */
    einc__arena_free(&a);
}

void einc__plan_retain(einc__plan *p) {
    if (p) p->refcount++;
}

void einc__plan_release(einc__plan *p) {
    if (p && --p->refcount == 0) einc__plan_free(p);
}

/* The dtypes float16, bfloat16, uint8, int8, int16 and uint64 reach an operation only where its kernels
 * take them (docs/dtypes.md lists which); elsewhere the call fails here, before any work. */
static bool einc__op_dtypes_supported(einc_ctx *ctx, einc_op op, int ninputs, einc_tensor *const *inputs) {
    if (einc__families[einc__op_family(op)].storage_dtypes) return true;
    for (int i = 0; i < ninputs; i++) {
        if (!inputs[i] || einc__dtype_is_basic(inputs[i]->dtype)) continue;
        char what[32];
        snprintf(what, sizeof what, "input #%d", i + 1);
        einc__require_basic(ctx, einc_op_name(op), what, inputs[i]->dtype);
        return false;
    }
    return true;
}

einc__plan *einc__plan_build(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                             einc_axes axes, const einc_op_options *options) {
    if (!einc__op_dtypes_supported(ctx, op, ninputs, inputs)) return NULL;
    if (einc__index_zero_sized(op, ninputs, inputs)) /* einx returns the value tensor at once */
        return einc__plan_index_passthrough(ctx, op, expr, ninputs, inputs);
    einc__arena a;
    einc__arena_init(&a, ctx);
    einc__plan *p = einc__arena_alloc(&a, sizeof *p);
    if (!p) {
        einc__arena_free(&a);
        return NULL;
    }
    p->refcount = 1;
    p->op = op == EINC_OP_REARRANGE ? EINC_OP_ID : op;
    p->family = einc__op_family(p->op);
    p->ninputs = ninputs;
    for (int i = 0; i < ninputs; i++) p->in_dtype[i] = inputs[i]->dtype;

    einc__front *f = einc__arena_alloc(&a, sizeof *f);
    einc__rules r = {&a, NULL, NULL, p->op, ninputs, options && options->keepdims};
    einc__front_spec spec = {expr,        ninputs,       inputs, NULL, NULL, axes, einc__families[p->family].cse,
                             plan_parsed, plan_expanded, &r};
    bool ok = f && einc__front_run(&a, &spec, f) && einc__rules_after(&r, &f->e);
    einc__expr *e = f ? &f->e : NULL;
    if (ok) {
        p->noutputs = f->d.noutputs;
        p->nsyms = e->nsyms;
        p->sym_name = einc__arena_alloc(&a, sizeof(char *) * (size_t)(e->nsyms + 1));
        p->sym_size = einc__arena_alloc(&a, sizeof(int64_t) * (size_t)(e->nsyms + 1));
        ok = p->sym_name && p->sym_size;
        for (int s = 0; ok && s < e->nsyms; s++) {
            p->sym_name[s] = e->syms[s].name;
            p->sym_size[s] = e->syms[s].size;
        }
    }
    if (ok) {
        char text[4096];
        einc__sb sb;
        einc__sb_init(&sb, text, sizeof text);
        for (int i = 0; i < e->ninputs; i++) {
            einc__sb_printf(&sb, i ? ", " : "");
            einc__node_print(&sb, e->in[i]);
        }
        einc__sb_printf(&sb, " -> ");
        for (int i = 0; i < e->noutputs; i++) {
            einc__sb_printf(&sb, i ? ", " : "");
            einc__node_print(&sb, e->out[i]);
        }
        p->resolved = einc__arena_strdup(&a, text, sb.len);
        ok = p->resolved != NULL;
    }
    p->arena = a; /* from here on, allocations go through p->arena */
    if (e) e->arena = &p->arena;
    ok = ok && einc__families[p->family].lower(p, e, options);
    if (!ok || p->arena.failed) {
        if (einc_errcode(ctx) == EINC_OK) einc__error(ctx, EINC_ENOMEM, "out of memory compiling \"%s\"", expr);
        einc__plan_free(p);
        return NULL;
    }
    return p;
}

/* ---- shared with the families lowered in other files (plan.h) ------------------------------- */

bool einc__lower_output(einc__plan *p, const einc__expr *e) { return plan_single_output(p, e); }

bool einc__lower_inputs(einc__plan *p, const einc__expr *e, bool keep_brackets) {
    return plan_inputs(p, e, keep_brackets);
}

void einc__lower_tmp(einc__plan *p, const einc__operand *leaves, uint32_t dropped_mask) {
    plan_tmp(p, leaves, &dropped_mask);
}
