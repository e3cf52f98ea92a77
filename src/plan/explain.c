/* explain.c — a plan as text: einc's counterpart of einx's graph=True. */
#include "index.h"
#include "plan.h"
#include "sorting.h"

void einc__explain_leaves(einc__sb *sb, const einc__plan *p, const einc__operand *op) {
    einc__sb_printf(sb, "[");
    for (int i = 0; i < op->nleaves; i++) {
        const einc__leaf *l = &op->leaves[i];
        einc__sb_printf(sb, "%s%s=%lld%s", i ? ", " : "", p->sym_name[l->sym], (long long)l->size,
                        l->nterms == 0  ? " (broadcast)"
                        : l->nterms > 1 ? " (diagonal)"
                                        : "");
    }
    einc__sb_printf(sb, "]");
}

static void shape_text(einc__sb *sb, int ndim, const int64_t *shape) {
    char buf[512];
    einc__sb_printf(sb, "%s", einc__shape_str(buf, sizeof buf, ndim, shape));
}

static void names_text(einc__sb *sb, const einc__plan *p, const int *syms, int n) {
    einc__sb_printf(sb, "[");
    for (int i = 0; i < n; i++) einc__sb_printf(sb, "%s%s", i ? " " : "", p->sym_name[syms[i]]);
    einc__sb_printf(sb, "]");
}

void einc__plan_explain(const einc__plan *p, einc__sb *sb) {
    einc__sb_printf(sb, "einx.%s: %s\n", einc_op_name(p->op), p->resolved);
    einc__sb_printf(sb, "  axes:");
    for (int s = 0; s < p->nsyms; s++)
        if (p->sym_size[s] >= 0 && strncmp(p->sym_name[s], "unnamed.", 8) != 0)
            einc__sb_printf(sb, " %s=%lld", p->sym_name[s], (long long)p->sym_size[s]);
    einc__sb_printf(sb, "\n");
    for (int o = 0; o < p->noutputs; o++) {
        einc__sb_printf(sb, "  output #%d: ", o + 1);
        shape_text(sb, p->out_ndim[o], p->out_shape[o]);
        einc__sb_printf(sb, " %s\n", einc_dtype_name(p->out_dtype[o]));
    }
    einc__families[p->family].explain(p, sb);
}

void einc__explain_id(const einc__plan *p, einc__sb *sb) {
    int step = 1;
    if (p->may_view)
        einc__sb_printf(sb, "  %d. VIEW of input #1 when its strides allow it (no copy); otherwise:\n", step);
    for (int k = 0; k < p->npairs; k++) {
        const einc__pair *pr = &p->pairs[k];
        einc__sb_printf(sb, "  %d. COPY input #%d ", step++, pr->in_tensor + 1);
        einc__explain_leaves(sb, p, &pr->src);
        einc__sb_printf(sb, " -> output #%d%s ", pr->out_tensor + 1, pr->dst.noffset ? " piece" : "");
        einc__explain_leaves(sb, p, &pr->dst);
        einc__sb_printf(sb, " (strided copy, blocked for transposes)\n");
    }
}

void einc__explain_elementwise(const einc__plan *p, einc__sb *sb) {
    einc__sb_printf(sb, "  1. ELEMENTWISE %s over output ", einc_op_name(p->op));
    einc__explain_leaves(sb, p, &p->out);
    einc__sb_printf(sb, "\n");
    for (int i = 0; i < p->ninputs; i++) {
        einc__sb_printf(sb, "       input #%d as ", i + 1);
        einc__explain_leaves(sb, p, &p->in[i]);
        einc__sb_printf(sb, " (no copy)\n");
    }
}

void einc__explain_reduce(const einc__plan *p, einc__sb *sb) {
    einc__sb_printf(sb, "  1. %s %s of input #1 ", p->family == EINC__FAMILY_REDUCE ? "REDUCE" : "NORMALISE",
                    einc_op_name(p->op));
    einc__explain_leaves(sb, p, &p->in[0]);
    einc__sb_printf(sb, " over [");
    for (int i = 0, first = 1; i < p->in[0].nleaves; i++)
        if (p->reduce_mask >> i & 1u) {
            einc__sb_printf(sb, "%s%s", first ? "" : " ", p->sym_name[p->in[0].leaves[i].sym]);
            first = 0;
        }
    einc__sb_printf(sb, "]%s\n", p->direct ? ", writing the output directly" : " into a temporary");
    if (!p->direct) einc__sb_printf(sb, "  2. COPY the temporary into the output (new or reordered axes)\n");
}

void einc__explain_dot(const einc__plan *p, einc__sb *sb) {
    int step = 1;
    for (int s = 0; s < p->nsteps; s++) {
        const einc__dot_step *st = &p->steps[s];
        einc__sb_printf(sb, "  %d. GEMM (batched, %s) ", step++, einc_blas_backend());
        if (st->a_input >= 0) einc__sb_printf(sb, "input #%d", st->a_input + 1);
        else einc__sb_printf(sb, "previous result");
        einc__sb_printf(sb, " x input #%d: batch ", st->b_input + 1);
        names_text(sb, p, st->batch, st->nbatch);
        einc__sb_printf(sb, ", M ");
        names_text(sb, p, st->left, st->nleft);
        einc__sb_printf(sb, ", K ");
        names_text(sb, p, st->contr, st->ncontr);
        einc__sb_printf(sb, ", N ");
        names_text(sb, p, st->right, st->nright);
        einc__sb_printf(sb, "\n       (an operand is copied only if its M/K/N axes cannot be merged by strides)\n");
    }
    einc__sb_printf(sb, "  %d. %s\n", step,
                    p->direct ? "the last GEMM writes the output directly"
                              : "COPY the result into the output (reordered or new axes)");
}
