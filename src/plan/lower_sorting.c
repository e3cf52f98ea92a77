/* lower_sorting.c — plans of argmax/argmin, sort/argsort, flip and roll (see sorting.h). */
#include <stdio.h>

#include "../kernels/reduce.h"
#include "sorting.h"

/* The output leaves that are bracketed (their axis is an argument of the elementary operation). */
static uint32_t bracketed_leaves(const einc__expr *e, const einc__operand *op) {
    uint32_t mask = 0;
    for (int i = 0; i < op->nleaves; i++)
        if (e->syms[op->leaves[i].sym].in_brackets) mask |= 1u << i;
    return mask;
}

static int popcount(uint32_t m) {
    int n = 0;
    for (; m; m &= m - 1) n++;
    return n;
}

/* ---- argmax, argmin ------------------------------------------------------------------------------ */

static bool plan_argfind(einc__plan *p, const einc__expr *e, einc__sorting_plan *s) {
    if (!einc__lower_output(p, e) || !einc__lower_inputs(p, e, true)) return false;
    const einc__operand *in = &p->in[0];
    p->reduce_mask = bracketed_leaves(e, in);
    p->out_dtype[0] = EINC_INT64;
    s->ncoords = 0;
    int64_t block = 1;
    for (int i = 0; i < in->nleaves; i++)
        if (p->reduce_mask >> i & 1u) {
            s->coord_size[s->ncoords++] = in->leaves[i].size;
            block *= in->leaves[i].size;
        }
    if (block == 0) { /* cannot happen today (no axis has length 0), but the kernel relies on it */
        einc__error(e->arena->ctx, EINC_EVALUE, "%s: attempt to get %s of an empty sequence\nExpression: \"%s\"",
                    einc_op_name(p->op), einc_op_name(p->op), e->desc->text);
        return false;
    }
    uint32_t out_bracketed = bracketed_leaves(e, &p->out);
    s->axis = -1;
    for (int i = 0; i < p->out.nleaves; i++)
        if (out_bracketed >> i & 1u) s->axis = i;
    /* the flat indices go to a temporary of the input's kept leaves, then onto the output */
    einc__lower_tmp(p, in, p->reduce_mask);
    return true;
}

/* ---- sort, argsort, flip, roll ------------------------------------------------------------------ */

/* The input aligned to the output's leaves (the kernels walk both in the output's order). */
static bool align_input(einc__plan *p, const einc__expr *e) {
    if (!einc__lower_output(p, e) || !einc__lower_inputs(p, e, true)) return false;
    einc__operand aligned;
    einc__plan_align(&p->in[0], &p->out, &aligned);
    p->in[0] = aligned;
    return true;
}

static bool plan_sort(einc__plan *p, const einc__expr *e, einc__sorting_plan *s) {
    if (!einc__rules_sort_after(e) || !align_input(p, e)) return false;
    uint32_t mask = bracketed_leaves(e, &p->out);
    s->axis = 0;
    while (!(mask >> s->axis & 1u)) s->axis++;
    p->out_dtype[0] = p->op == EINC_OP_ARGSORT ? EINC_INT64 : p->in_dtype[0];
    return true;
}

static bool plan_shift(einc__plan *p, const einc__expr *e, const einc_op_options *options, einc__sorting_plan *s) {
    if (!align_input(p, e)) return false;
    p->out_dtype[0] = p->in_dtype[0];
    s->mask = bracketed_leaves(e, &p->out);
    if (p->op == EINC_OP_FLIP) {
        /* a view when strides allow: the output's dimensions as leaf ranges */
        einc__operand whole;
        return einc__plan_decompose(e, e->out[0], &whole, p->dim_leaf_begin, p->dim_leaf_end, NULL);
    }
    einc_ctx *ctx = e->arena->ctx;
    int nrolled = popcount(s->mask);
    if (!options || options->nshift == 0) {
        einc__error(ctx, EINC_EVALUE,
                    "roll requires shift: set einc_op_options.nshift and .shift (one shift for every bracketed axis, "
                    "or one per bracketed axis); einx raises TypeError here\nExpression: \"%s\"",
                    e->desc->text);
        return false;
    }
    if (options->nshift < 0 || options->nshift > EINC_MAX_DIMS ||
        (options->nshift != 1 && options->nshift != nrolled)) {
        einc__error(ctx, EINC_EVALUE,
                    "roll: %d shifts were given, but the expression has %d bracketed axes (give one shift for all of "
                    "them, or one per bracketed axis in order)\nExpression: \"%s\"",
                    options->nshift, nrolled, e->desc->text);
        return false;
    }
    for (int i = 0, k = 0; i < p->out.nleaves; i++) {
        s->shift[i] = 0;
        if (!(s->mask >> i & 1u)) continue;
        int64_t n = p->out.leaves[i].size, v = options->shift[options->nshift == 1 ? 0 : k];
        s->shift[i] = (v % n + n) % n; /* np.roll: any integer, negative or beyond the length */
        k++;
    }
    return true;
}

bool einc__lower_sorting(einc__plan *p, const einc__expr *e, const einc_op_options *options) {
    einc__sorting_plan *s = einc__arena_alloc(&p->arena, sizeof *s);
    if (!s) return false;
    p->sorting = s;
    switch (p->family) {
    case EINC__FAMILY_ARGFIND: return plan_argfind(p, e, s);
    case EINC__FAMILY_SORT: return plan_sort(p, e, s);
    default: return plan_shift(p, e, options, s);
    }
}
