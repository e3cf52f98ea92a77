/* grad_notation.c — gradients of the einx operations (einc_id, einc_dot, reductions,
 * elementwise, softmax), computed from their plans.
 *
 * A plan describes every operand as leaves (one axis each, strides from terms; see plan.h), so
 * every rule works in "leaf space": the saved tensors and the output gradient are viewed as one
 * dimension per axis, the gradient is computed there with ordinary operations, and it goes back
 * to each input by adding it into a zero tensor viewed through the same leaves. Un-flattening,
 * permutations, squeezes and concatenation pieces then need no rules of their own; a diagonal
 * leaf (one axis with two stride terms) writes exactly the diagonal; broadcast leaves (stride 0)
 * are summed first.
 */
#include <stdio.h>

#include "../plan/index.h"
#include "../plan/plan.h"
#include "autograd.h"
#include "grad_notation.h"

typedef struct {
    einc__plan *plan; /* retained for the node's lifetime */
} notation_payload;

static void payload_free(void *p) { einc__plan_release(((notation_payload *)p)->plan); }

/* `src` leaves without its broadcast leaves (the part of an input a gradient can be added into). */
static einc__operand without_broadcast(const einc__operand *src) {
    einc__operand o = *src;
    o.nleaves = 0;
    for (int i = 0; i < src->nleaves; i++)
        if (src->leaves[i].nterms > 0) o.leaves[o.nleaves++] = src->leaves[i];
    return o;
}

/* g has one dim per leaf of `aligned` (an input aligned to an output, broadcast leaves included):
 * sums the broadcast dims away and adds the rest into `acc` (a tensor of the input's shape)
 * through the input's leaves. */
static einc_status scatter_add(einc_ctx *ctx, einc_tensor *acc, const einc__operand *aligned, einc_tensor *g) {
    if (!acc || !g) return ctx->status ? ctx->status : EINC_ENOMEM;
    int axes[EINC_MAX_LEAVES], n = 0;
    for (int i = 0; i < aligned->nleaves; i++)
        if (aligned->leaves[i].nterms == 0) axes[n++] = i;
    einc_tensor *gr = n ? einc_tensor_sum(ctx, g, n, axes, false) : g;
    einc__operand kept = without_broadcast(aligned);
    einc_tensor *target = einc__leaf_view(ctx, acc, &kept);
    einc_tensor *sum = einc_tensor_add(ctx, target, gr);
    return sum ? einc_tensor_copy_(ctx, target, sum) : (ctx->status ? ctx->status : EINC_ENOMEM);
}

/* A float zero tensor of input i's shape, in the dtype the gradient is computed in. */
static einc_tensor *zeros_for(einc_ctx *ctx, const einc__ag_node *node, int i) {
    const einc__ag_meta *m = &node->inputs[i].meta;
    return einc_tensor_zeros(ctx, einc__dtype_is_float(m->dtype) ? m->dtype : EINC_FLOAT64, m->ndim, m->shape);
}

/* The gradient of input i from g (one dim per leaf of `aligned`). When the input's leaves reach
 * every element exactly once (no diagonal, no squeezed or offset piece), g is written straight
 * into a new tensor (one pass); otherwise it is added into zeros. */
static einc_tensor *gradient_of_input(einc_ctx *ctx, const einc__ag_node *node, int i, const einc__operand *aligned,
                                      einc_tensor *g) {
    const einc__ag_meta *m = &node->inputs[i].meta;
    int64_t numel = 1, reached = 1;
    for (int d = 0; d < m->ndim; d++) numel *= m->shape[d];
    bool bijective = aligned->noffset == 0;
    for (int k = 0; k < aligned->nleaves && bijective; k++) {
        if (aligned->leaves[k].nterms > 1) bijective = false;
        if (aligned->leaves[k].nterms == 1) reached *= aligned->leaves[k].size;
    }
    if (!bijective || reached != numel) {
        einc_tensor *acc = zeros_for(ctx, node, i);
        return scatter_add(ctx, acc, aligned, g) == EINC_OK ? acc : NULL;
    }
    if (!g) return NULL;
    int axes[EINC_MAX_LEAVES], n = 0;
    for (int k = 0; k < aligned->nleaves; k++)
        if (aligned->leaves[k].nterms == 0) axes[n++] = k;
    einc_tensor *gr = n ? einc_tensor_sum(ctx, g, n, axes, false) : g;
    einc_tensor *out =
        einc_tensor_empty(ctx, einc__dtype_is_float(m->dtype) ? m->dtype : EINC_FLOAT64, m->ndim, m->shape);
    einc__operand kept = without_broadcast(aligned);
    einc_tensor *target = einc__leaf_view(ctx, out, &kept);
    return target && gr && einc_tensor_copy_(ctx, target, gr) == EINC_OK ? out : NULL;
}

/* ---- id -------------------------------------------------------------------------------------- */

static einc_status id_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                               einc_tensor **grad_inputs) {
    const einc__plan *p = ((const notation_payload *)node->payload)->plan;
    for (int i = 0; i < node->ninputs; i++)
        if (einc__ag_wants(node, i)) grad_inputs[i] = zeros_for(ctx, node, i);
    for (int k = 0; k < p->npairs; k++) {
        const einc__pair *pr = &p->pairs[k];
        if (!einc__ag_wants(node, pr->in_tensor)) continue;
        einc_tensor *g = einc__leaf_view(ctx, grad_outputs[pr->out_tensor], &pr->dst);
        einc_status st = scatter_add(ctx, grad_inputs[pr->in_tensor], &pr->src, g);
        if (st != EINC_OK) return st;
    }
    return einc__ag_check(node, grad_inputs);
}

/* ---- elementwise ------------------------------------------------------------------------------ */

/* d out / d input i, in output leaf space (A[j]: input j aligned to the output, Y: the output). */
static einc_tensor *elementwise_partial(einc_ctx *ctx, const einc__plan *p, einc_tensor **A, einc_tensor *Y, int i,
                                        int n) {
    switch (p->op) {
    case EINC_OP_ADD: return einc_tensor_ones(ctx, Y->dtype, Y->ndim, Y->shape);
    case EINC_OP_SUBTRACT: return einc_tensor_full(ctx, Y->dtype, Y->ndim, Y->shape, i == 0 ? 1.0 : -1.0);
    case EINC_OP_MULTIPLY: {
        einc_tensor *prod = einc_tensor_ones(ctx, Y->dtype, Y->ndim, Y->shape);
        for (int j = 0; j < n; j++)
            if (j != i) prod = einc_tensor_mul(ctx, prod, A[j]);
        return prod;
    }
    case EINC_OP_DIVIDE:
    case EINC_OP_TRUE_DIVIDE:
        if (i == 0) return einc_tensor_div(ctx, einc_tensor_ones(ctx, Y->dtype, Y->ndim, Y->shape), A[1]);
        return einc_tensor_neg(ctx, einc_tensor_div(ctx, Y, A[1])); /* -a/b^2 = -y/b */
    case EINC_OP_MAXIMUM:
    case EINC_OP_MINIMUM: {
        /* the gradient goes to the inputs equal to the result, split evenly among ties */
        einc_tensor *count = NULL;
        for (int j = 0; j < n; j++) {
            einc_tensor *eq = einc_tensor_cast(ctx, einc_tensor_binary(ctx, EINC_EQ, A[j], Y), Y->dtype);
            count = count ? einc_tensor_add(ctx, count, eq) : eq;
        }
        einc_tensor *mine = einc_tensor_cast(ctx, einc_tensor_binary(ctx, EINC_EQ, A[i], Y), Y->dtype);
        return einc_tensor_div(ctx, mine, count);
    }
    case EINC_OP_LOGADDEXP: return einc_tensor_exp(ctx, einc_tensor_sub(ctx, A[i], Y));
    case EINC_OP_FLOOR_DIVIDE: return einc_tensor_zeros(ctx, Y->dtype, Y->ndim, Y->shape);
    default: return NULL;
    }
}

static einc_status elementwise_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                        einc_tensor **grad_inputs) {
    const einc__plan *p = ((const notation_payload *)node->payload)->plan;
    int n = node->ninputs;
    einc_tensor *A[EINC_MAX_OPERANDS];
    for (int j = 0; j < n; j++) A[j] = einc__leaf_view(ctx, node->saved[j], &p->in[j]);
    einc_tensor *Y = einc__leaf_view(ctx, node->saved[n], &p->out);
    einc_tensor *G = einc__leaf_view(ctx, grad_outputs[0], &p->out);
    for (int i = 0; i < n; i++) {
        if (!einc__ag_wants(node, i)) continue;
        einc_tensor *d;
        if (p->op == EINC_OP_WHERE) {
            if (i == 0) continue; /* the condition gets no gradient */
            einc_tensor *c = einc_tensor_cast(
                ctx, einc_tensor_binary(ctx, EINC_NE, A[0], einc__ag_scalar(ctx, A[0]->dtype, 0)), G->dtype);
            d = i == 1 ? einc_tensor_mul(ctx, G, c) : einc_tensor_sub(ctx, G, einc_tensor_mul(ctx, G, c));
        } else {
            d = einc_tensor_mul(ctx, G, elementwise_partial(ctx, p, A, Y, i, n));
        }
        grad_inputs[i] = gradient_of_input(ctx, node, i, &p->in[i], d);
        if (!grad_inputs[i]) return ctx->status ? ctx->status : EINC_ENOMEM;
    }
    if (p->op == EINC_OP_WHERE && einc__ag_wants(node, 0)) grad_inputs[0] = zeros_for(ctx, node, 0);
    return einc__ag_check(node, grad_inputs);
}

/* ---- reductions and softmax ---------------------------------------------------------------------- */

/* The output gradient (or the output) seen in in[0]'s leaf order: output axes in[0] lacks are
 * summed away (gradients only: sum_extra), reduced axes of in[0] are broadcast (stride 0). */
static einc_tensor *out_in_input_leaves(einc_ctx *ctx, const einc__plan *p, einc_tensor *out_tensor, bool sum_extra) {
    einc_tensor *o = einc__leaf_view(ctx, out_tensor, &p->out);
    if (!o) return NULL;
    const einc__operand *in = &p->in[0];
    /* which output leaves in[0] has (the k-th leaf of a repeated axis matches the k-th) */
    int map[EINC_MAX_LEAVES]; /* output leaf -> in[0] leaf, or -1 */
    bool used[EINC_MAX_LEAVES] = {false};
    int extra[EINC_MAX_LEAVES], nextra = 0;
    for (int j = 0; j < p->out.nleaves; j++) {
        map[j] = -1;
        for (int i = 0; i < in->nleaves && map[j] < 0; i++)
            if (!used[i] && in->leaves[i].sym == p->out.leaves[j].sym) {
                map[j] = i;
                used[i] = true;
            }
        if (map[j] < 0) extra[nextra++] = j;
    }
    int keep[EINC_MAX_LEAVES], nkeep = 0;
    for (int j = 0; j < p->out.nleaves; j++)
        if (map[j] >= 0) keep[nkeep++] = j;
    if (nextra && sum_extra) o = einc_tensor_sum(ctx, o, nextra, extra, false);
    else /* the output's values repeat along axes the input lacks: take index 0 of each */
        for (int k = nextra - 1; k >= 0; k--) o = einc_tensor_select(ctx, o, extra[k], 0);
    if (!o) return NULL;
    int64_t shape[EINC_MAX_LEAVES], strides[EINC_MAX_LEAVES];
    for (int i = 0; i < in->nleaves; i++) {
        shape[i] = in->leaves[i].size;
        strides[i] = 0;
        for (int k = 0; k < nkeep; k++)
            if (map[keep[k]] == i) strides[i] = o->strides[k];
    }
    return einc__tensor_view_of(ctx, o, in->nleaves, shape, strides, o->offset);
}

static int reduced_axes(const einc__plan *p, int *axes) {
    int n = 0;
    for (int i = 0; i < p->in[0].nleaves; i++)
        if (p->reduce_mask >> i & 1u) axes[n++] = i;
    return n;
}

static einc_tensor *reduce_partial(einc_ctx *ctx, const einc__plan *p, einc_tensor *X, einc_tensor *Y, einc_tensor *G) {
    int axes[EINC_MAX_LEAVES];
    int nr = reduced_axes(p, axes);
    int64_t count = 1;
    for (int k = 0; k < nr; k++) count *= p->in[0].leaves[axes[k]].size;
    switch (p->op) {
    case EINC_OP_SUM: return G;
    case EINC_OP_MEAN: return einc_mul_scalar(ctx, G, 1.0 / (double)count);
    case EINC_OP_VAR:
    case EINC_OP_STD: {
        einc_tensor *centered = einc_tensor_sub(ctx, X, einc_tensor_mean(ctx, X, nr, axes, true));
        einc_tensor *d = einc_mul_scalar(ctx, einc_tensor_mul(ctx, G, centered), 2.0 / (double)count);
        if (p->op == EINC_OP_VAR) return d;
        /* d std = d var / (2 std); a zero std gives 0 like PyTorch's masked rule */
        einc_tensor *two_std = einc_mul_scalar(ctx, Y, 2.0);
        einc_tensor *safe =
            einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, two_std, einc__ag_scalar(ctx, Y->dtype, 0)),
                              einc__ag_scalar(ctx, Y->dtype, 1), two_std);
        einc_tensor *q = einc_tensor_div(ctx, d, safe);
        return einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, two_std, einc__ag_scalar(ctx, Y->dtype, 0)),
                                 einc__ag_scalar(ctx, Y->dtype, 0), q);
    }
    case EINC_OP_MAX:
    case EINC_OP_MIN: {
        einc_tensor *mask = einc_tensor_cast(ctx, einc_tensor_binary(ctx, EINC_EQ, X, Y), G->dtype);
        einc_tensor *ties = einc_tensor_sum(ctx, mask, nr, axes, true);
        return einc_tensor_div(ctx, einc_tensor_mul(ctx, G, mask), ties);
    }
    case EINC_OP_LOGSUMEXP: return einc_tensor_mul(ctx, G, einc_tensor_exp(ctx, einc_tensor_sub(ctx, X, Y)));
    case EINC_OP_PROD: {
        /* the product of the others, exact with zeros: none -> y/x; one -> only the zero gets the
         * product of the nonzeros; more -> 0 */
        einc_tensor *zero = einc__ag_scalar(ctx, X->dtype, 0), *one = einc__ag_scalar(ctx, X->dtype, 1);
        einc_tensor *is_zero = einc_tensor_binary(ctx, EINC_EQ, X, zero);
        einc_tensor *nzeros = einc_tensor_sum(ctx, einc_tensor_cast(ctx, is_zero, X->dtype), nr, axes, true);
        einc_tensor *prod_nz =
            einc_tensor_reduce(ctx, EINC_REDUCE_PROD, einc_tensor_where(ctx, is_zero, one, X), nr, axes, true);
        einc_tensor *no_zero = einc_tensor_div(ctx, prod_nz, einc_tensor_where(ctx, is_zero, one, X));
        einc_tensor *one_zero = einc_tensor_where(ctx, is_zero, prod_nz, zero);
        einc_tensor *others =
            einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, nzeros, zero), no_zero,
                              einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, nzeros, one), one_zero, zero));
        return einc_tensor_mul(ctx, G, others);
    }
    default: return NULL;
    }
}

static einc_status reduce_like_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                        einc_tensor **grad_inputs) {
    const einc__plan *p = ((const notation_payload *)node->payload)->plan;
    if (!einc__ag_wants(node, 0)) return EINC_OK;
    einc_tensor *X = einc__leaf_view(ctx, node->saved[0], &p->in[0]);
    einc_tensor *Y = out_in_input_leaves(ctx, p, node->saved[1], false);
    einc_tensor *G = out_in_input_leaves(ctx, p, grad_outputs[0], true);
    einc_tensor *d;
    if (p->family == EINC__FAMILY_SOFTMAX) {
        int axes[EINC_MAX_LEAVES];
        int nr = reduced_axes(p, axes);
        if (p->op == EINC_OP_SOFTMAX) /* y * (g - sum(g * y)) */
            d = einc_tensor_mul(
                ctx, Y, einc_tensor_sub(ctx, G, einc_tensor_sum(ctx, einc_tensor_mul(ctx, G, Y), nr, axes, true)));
        else /* g - exp(y) * sum(g) */
            d = einc_tensor_sub(ctx, G,
                                einc_tensor_mul(ctx, einc_tensor_exp(ctx, Y), einc_tensor_sum(ctx, G, nr, axes, true)));
    } else {
        d = reduce_partial(ctx, p, X, Y, G);
    }
    grad_inputs[0] = gradient_of_input(ctx, node, 0, &p->in[0], d);
    return einc__ag_check(node, grad_inputs);
}

/* ---- dot --------------------------------------------------------------------------------------- */

/* Appends " x<sym>" for every leaf of op to the expression being built. */
static void leaf_names(einc__sb *sb, const einc__operand *op) {
    for (int i = 0; i < op->nleaves; i++) einc__sb_printf(sb, "%sx%d", i ? " " : "", op->leaves[i].sym);
}

static bool in_operand(const einc__operand *op, int sym) {
    for (int i = 0; i < op->nleaves; i++)
        if (op->leaves[i].sym == sym) return true;
    return false;
}

/* d out / d input i = a dot of the output gradient with every other input, contracting all axes
 * input i lacks: built as an einx expression over leaf names ("x0 x2, x1 x2 -> x0 x1"). */
static einc_status dot_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                einc_tensor **grad_inputs) {
    const einc__plan *p = ((const notation_payload *)node->payload)->plan;
    int n = node->ninputs;
    /* output axes no input has (broadcast by the dot) are summed out of the gradient first */
    einc_tensor *G = einc__leaf_view(ctx, grad_outputs[0], &p->out);
    einc__operand gops = p->out;
    int extra[EINC_MAX_LEAVES], nextra = 0;
    gops.nleaves = 0;
    for (int j = 0; j < p->out.nleaves; j++) {
        bool anywhere = false;
        for (int i = 0; i < n && !anywhere; i++) anywhere = in_operand(&p->in[i], p->out.leaves[j].sym);
        if (anywhere) gops.leaves[gops.nleaves++] = p->out.leaves[j];
        else extra[nextra++] = j;
    }
    if (nextra) G = einc_tensor_sum(ctx, G, nextra, extra, false);
    einc_tensor *views[EINC_MAX_OPERANDS];
    for (int i = 0; i < n; i++) views[i] = einc__leaf_view(ctx, node->saved[i], &p->in[i]);
    for (int i = 0; i < n; i++) {
        if (!einc__ag_wants(node, i)) continue;
        char text[2048];
        einc__sb sb;
        einc__sb_init(&sb, text, sizeof text);
        einc_tensor *ins[EINC_MAX_OPERANDS];
        int nin = 0;
        leaf_names(&sb, &gops);
        ins[nin++] = G;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            einc__sb_printf(&sb, ", ");
            leaf_names(&sb, &p->in[j]);
            ins[nin++] = views[j];
        }
        einc__sb_printf(&sb, " -> ");
        leaf_names(&sb, &p->in[i]);
        einc_tensor *d = NULL;
        /* an input axis no other operand has (possible only with length 1 after squeezing) makes
         * the product broadcast: give its length as a constraint */
        einc_axis axes[EINC_MAX_LEAVES];
        char names[EINC_MAX_LEAVES][16];
        int naxes = 0;
        for (int k = 0; k < p->in[i].nleaves; k++) {
            snprintf(names[naxes], sizeof names[naxes], "x%d", p->in[i].leaves[k].sym);
            axes[naxes] = (einc_axis){names[naxes], p->in[i].leaves[k].size};
            naxes++;
        }
        if (nin == 1) { /* (a dot of one input never happens: dot needs two) */
            d = G;
        } else {
            einc_apply(ctx, EINC_OP_DOT, text, nin, ins, 1, &d, (einc_axes){naxes, axes}, NULL);
        }
        grad_inputs[i] = gradient_of_input(ctx, node, i, &p->in[i], d);
        if (!grad_inputs[i]) return ctx->status ? ctx->status : EINC_ENOMEM;
    }
    return einc__ag_check(node, grad_inputs);
}

/* ---- recording ----------------------------------------------------------------------------------- */

/* Per plan family (plan.h's families, a layer down): its backward and what it keeps for it. The
 * sorting families (no backward here) record through grad_sorting.c with their own payload. */
enum { SAVE_INPUTS = 1, SAVE_FIRST = 2, SAVE_OUTPUT = 4, SAVE_COORDS = 8 };
typedef struct {
    einc__backward_fn backward;
    int save;
} grad_family;

static const grad_family grad_families[] = {
    [EINC__FAMILY_ID] = {id_backward, 0},
    [EINC__FAMILY_DOT] = {dot_backward, SAVE_INPUTS},
    [EINC__FAMILY_REDUCE] = {reduce_like_backward, SAVE_FIRST | SAVE_OUTPUT},
    [EINC__FAMILY_ELEMENTWISE] = {elementwise_backward, SAVE_INPUTS | SAVE_OUTPUT},
    [EINC__FAMILY_SOFTMAX] = {reduce_like_backward, SAVE_FIRST | SAVE_OUTPUT},
    [EINC__FAMILY_ARGFIND] = {NULL, 0},
    [EINC__FAMILY_SORT] = {NULL, 0},
    [EINC__FAMILY_SHIFT] = {NULL, 0},
    [EINC__FAMILY_INDEX] = {einc__index_backward, SAVE_COORDS},
};

einc_status einc__rule_notation(einc_ctx *ctx, einc__plan *p, int ninputs, einc_tensor *const *inputs, int noutputs,
                                einc_tensor **outputs) {
    if (!einc__ag_needed(ctx, ninputs, inputs)) return EINC_OK;
    const grad_family *g = &grad_families[p->family];
    if (!g->backward) return einc__notation_record_sorting(ctx, p, inputs, outputs);
    einc_tensor *saved[EINC_MAX_OPERANDS + 1];
    int nsaved = 0;
    for (int i = 0; i < ninputs && (g->save & (SAVE_INPUTS | SAVE_FIRST)); i++)
        if (i == 0 || (g->save & SAVE_INPUTS)) saved[nsaved++] = inputs[i];
    if (g->save & SAVE_OUTPUT) saved[nsaved++] = outputs[0];
    if (g->save & SAVE_COORDS) nsaved = einc__index_saved(p, ninputs, inputs, saved);
    einc__plan_retain(p);
    notation_payload payload = {p};
    return einc__ag_record(ctx, einc_op_name(p->op), noutputs, outputs, ninputs, inputs, g->backward, nsaved, saved,
                           &payload, sizeof payload, payload_free);
}

/* ---- shared with the other notation families' rules (grad_notation.h) ------------------------ */

einc_tensor *einc__notation_leaf_view(einc_ctx *ctx, einc_tensor *t, const einc__operand *op) {
    return einc__leaf_view(ctx, t, op);
}

einc_status einc__notation_scatter_add(einc_ctx *ctx, einc_tensor *acc, const einc__operand *aligned, einc_tensor *g) {
    return scatter_add(ctx, acc, aligned, g);
}

einc_tensor *einc__notation_zeros_for(einc_ctx *ctx, const einc__ag_node *node, int i) {
    return zeros_for(ctx, node, i);
}
