/* lower_indexing.c — the plan of an indexing call (index.h): the loop, every operand's leaves
 * around it, the dtypes.
 *
 *   get_at("[v] c, b t -> b t c")                 loop [b t c]; t = the value [v] (c vectorized)
 *   add_at("b [h w] c, b p [2], b p c -> b [h w] c")  loop [b c | p]; t = the output [h w]
 */
#include <stdio.h>

#include "index.h"

/* An operand of the loop itself (every leaf broadcast): the target `align` maps onto. */
static einc__operand loop_operand(const einc__index_plan *ip) {
    einc__operand op;
    memset(&op, 0, sizeof op);
    op.nleaves = ip->nloop;
    for (int i = 0; i < ip->nloop; i++) op.leaves[i] = (einc__leaf){ip->loop_sym[i], ip->loop_size[i], 0, {{0, 0}}};
    return op;
}

static bool in_loop(const einc__index_plan *ip, int sym) {
    for (int i = 0; i < ip->nloop; i++)
        if (ip->loop_sym[i] == sym) return true;
    return false;
}

static bool add_to_loop(einc__plan *p, const einc__expr *e, int sym) {
    einc__index_plan *ip = p->index;
    if (in_loop(ip, sym)) return true;
    if (ip->nloop == EINC_MAX_LEAVES) {
        einc__error(e->arena->ctx, EINC_EUNSUPPORTED, "%s: more than %d vectorized axes in \"%s\"", einc_op_name(p->op),
                    EINC_MAX_LEAVES, e->desc->text);
        return false;
    }
    ip->loop_sym[ip->nloop] = sym;
    ip->loop_size[ip->nloop++] = e->syms[sym].size;
    return true;
}

/* Splits an operand into its vectorized leaves and its bracketed leaves (in order). */
static void split_brackets(const einc__expr *e, const einc__operand *op, einc__operand *vec, einc__operand *idx) {
    memset(vec, 0, sizeof *vec);
    memset(idx, 0, sizeof *idx);
    vec->noffset = idx->noffset = op->noffset;
    memcpy(vec->offset, op->offset, sizeof op->offset);
    memcpy(idx->offset, op->offset, sizeof op->offset);
    for (int i = 0; i < op->nleaves; i++) {
        einc__operand *to = e->syms[op->leaves[i].sym].in_brackets ? idx : vec;
        to->leaves[to->nleaves++] = op->leaves[i];
    }
}

static bool check_dtypes(einc__plan *p, const einc__expr *e, int ncoords) {
    einc_ctx *ctx = e->arena->ctx;
    for (int k = 1; k <= ncoords; k++) {
        einc_dtype d = p->in_dtype[k];
        if (d == EINC_INT32 || d == EINC_INT64) continue;
        einc__error(ctx, EINC_EDTYPE,
                    "%s: coordinates must be int32 or int64, but input #%d has dtype %s (cast it with "
                    "einc_tensor_cast)\nExpression: \"%s\"",
                    einc_op_name(p->op), k + 1, einc_dtype_name(d), e->desc->text);
        return false;
    }
    if (p->in_dtype[0] == EINC_BOOL && (p->op == EINC_OP_ADD_AT || p->op == EINC_OP_SUBTRACT_AT)) {
        einc__error(ctx, EINC_EDTYPE,
                    "%s: not defined for a bool value tensor (use set_at, or cast to an integer "
                    "dtype)\nExpression: \"%s\"",
                    einc_op_name(p->op), e->desc->text);
        return false;
    }
    return true;
}

static bool plan_index_leaves(einc__plan *p, const einc__expr *e, einc__arena *scratch, einc__operand *ins) {
    einc__index_plan *ip = p->index;
    einc_ctx *ctx = e->arena->ctx;
    bool dup = false;
    einc__operand out;
    if (!einc__plan_decompose(e, e->out[0], &out, NULL, NULL, &dup) || !einc__plan_output_shape(p, e, 0)) return false;
    if (dup) { /* a vectorized axis twice in the output after merging groups */
        einc__error(ctx, EINC_ESEMANTIC,
                    "The output expression must not contain multiple vectorized axes with the "
                    "same name.\nExpression: \"%s\"",
                    e->desc->text);
        return false;
    }
    /* the loop: the output's vectorized axes, then (*_at) those of the coordinates and updates */
    for (int i = 0; i < out.nleaves; i++)
        if (!e->syms[out.leaves[i].sym].in_brackets && !add_to_loop(p, e, out.leaves[i].sym)) return false;
    ip->nvec = ip->nloop;
    for (int i = 0; i < e->ninputs; i++)
        if (!einc__plan_decompose(e, e->in[i], &ins[i], NULL, NULL, NULL)) return false;
    for (int i = 1; ip->update && i < e->ninputs; i++)
        for (int k = 0; k < ins[i].nleaves; k++)
            if (!e->syms[ins[i].leaves[k].sym].in_brackets && !add_to_loop(p, e, ins[i].leaves[k].sym)) return false;
    bool *keep = einc__arena_alloc(scratch, sizeof(bool) * (size_t)(e->nsyms + 1));
    if (!keep) return false;
    for (int s = 0; s < e->nsyms; s++) keep[s] = e->syms[s].in_brackets || in_loop(ip, s);
    for (int i = 0; i < e->ninputs; i++) einc__plan_squeeze(&ins[i], keep);

    einc__operand loop = loop_operand(ip), vec, idx;
    /* the indexed tensor: get_at reads the value, *_at write the output */
    split_brackets(e, ip->update ? &out : &ins[0], &vec, &idx);
    einc__plan_align(&vec, &loop, &ip->t_loop);
    ip->t_idx = idx;
    einc__plan_align(ip->update ? &ins[e->ninputs - 1] : &out, &loop, &ip->e_loop);
    if (ip->update) {
        ip->out = out;
        einc__plan_align(&ins[0], &out, &ip->x_to_out);
    }
    int axis = 0;
    for (int k = 0; k < ip->ncoords; k++) {
        einc__index_coord *c = &ip->coords[k];
        const einc__operand *own = &ins[1 + k];
        split_brackets(e, own, &vec, &idx);
        c->own = *own;
        c->comp = -1;
        for (int i = 0; i < own->nleaves; i++)
            if (e->syms[own->leaves[i].sym].in_brackets) c->comp = i;
        c->ncomp = c->comp >= 0 ? (int)own->leaves[c->comp].size : 1;
        c->first_axis = axis;
        axis += c->ncomp;
        einc__plan_align(&vec, &loop, &c->loop);
    }
    if (axis != ip->t_idx.nleaves) { /* the rules make this impossible */
        einc__error(ctx, EINC_ESEMANTIC, "%s: %d coordinates for %d indexed axes\nExpression: \"%s\"",
                    einc_op_name(p->op), axis, ip->t_idx.nleaves, e->desc->text);
        return false;
    }
    return true;
}

bool einc__lower_index(einc__plan *p, const einc__expr *e, const einc_op_options *options) {
    (void)options;
    einc__index_plan *ip = einc__arena_alloc(&p->arena, sizeof *ip);
    if (!ip) return false;
    p->index = ip;
    ip->update = p->op != EINC_OP_GET_AT;
    ip->expr = einc__arena_strdup(&p->arena, e->desc->text, strlen(e->desc->text));
    ip->ncoords = e->ninputs - 1 - ip->update;
    ip->coords = einc__arena_alloc(&p->arena, sizeof(einc__index_coord) * (size_t)ip->ncoords);
    if (!ip->expr || !ip->coords || !check_dtypes(p, e, ip->ncoords)) return false;
    p->out_dtype[0] = p->compute = p->in_dtype[0];
    /* the inputs' leaves are scratch: they do not stay with the cached plan */
    einc__arena scratch;
    einc__arena_init(&scratch, e->arena->ctx);
    einc__operand *ins = einc__arena_alloc(&scratch, sizeof(einc__operand) * (size_t)e->ninputs);
    bool ok = ins && plan_index_leaves(p, e, &scratch, ins);
    einc__arena_free(&scratch);
    return ok;
}

/* ---- zero-sized coordinates or updates -------------------------------------------------------- */

bool einc__index_zero_sized(einc_op op, int ninputs, einc_tensor *const *inputs) {
    if (op != EINC_OP_SET_AT && op != EINC_OP_ADD_AT && op != EINC_OP_SUBTRACT_AT) return false;
    for (int i = 1; i < ninputs; i++)
        for (int d = 0; d < inputs[i]->ndim; d++)
            if (inputs[i]->shape[d] == 0) return true;
    return false;
}

einc__plan *einc__plan_index_passthrough(einc_ctx *ctx, einc_op op, const char *expr, int ninputs,
                                         einc_tensor *const *inputs) {
    einc__arena a;
    einc__arena_init(&a, ctx);
    einc__plan *p = einc__arena_alloc(&a, sizeof *p);
    einc__index_plan *ip = einc__arena_alloc(&a, sizeof *ip);
    char *text = einc__arena_strdup(&a, expr, strlen(expr));
    if (!p || !ip || !text) {
        einc__arena_free(&a);
        return NULL;
    }
    p->refcount = 1;
    p->op = op;
    p->family = EINC__FAMILY_INDEX;
    p->ninputs = ninputs;
    for (int i = 0; i < ninputs; i++) p->in_dtype[i] = inputs[i]->dtype;
    p->noutputs = 1;
    p->out_dtype[0] = p->compute = inputs[0]->dtype;
    p->out_ndim[0] = inputs[0]->ndim;
    memcpy(p->out_shape[0], inputs[0]->shape, sizeof(int64_t) * (size_t)inputs[0]->ndim);
    p->resolved = text;
    ip->passthrough = ip->update = true;
    ip->expr = text;
    p->index = ip;
    p->arena = a;
    return p;
}
