/* explain_sorting.c — the steps of argmax/argmin, sort/argsort, flip and roll plans as text. */
#include "sorting.h"

/* The names of the leaves of op selected by mask, space separated. */
static void masked_names(einc__sb *sb, const einc__plan *p, const einc__operand *op, uint32_t mask) {
    for (int i = 0, first = 1; i < op->nleaves; i++)
        if (mask >> i & 1u) {
            einc__sb_printf(sb, "%s%s", first ? "" : " ", p->sym_name[op->leaves[i].sym]);
            first = 0;
        }
}

void einc__explain_sorting(const einc__plan *p, einc__sb *sb) {
    const einc__sorting_plan *s = p->sorting;
    const char *op = einc_op_name(p->op);
    switch (p->family) {
    case EINC__FAMILY_ARGFIND:
        einc__sb_printf(sb, "  1. REDUCE %s of input #1 ", op);
        einc__explain_leaves(sb, p, &p->in[0]);
        einc__sb_printf(sb, " over [");
        masked_names(sb, p, &p->in[0], p->reduce_mask);
        einc__sb_printf(sb, "]: the flat index (row-major, first occurrence, NaN first) into an int64 temporary\n");
        einc__sb_printf(sb, "  2. UNRAVEL the flat index into %d coordinate%s", s->ncoords, s->ncoords == 1 ? "" : "s");
        if (s->axis >= 0) einc__sb_printf(sb, " along output axis %s", p->sym_name[p->out.leaves[s->axis].sym]);
        einc__sb_printf(sb, ", writing output #1 ");
        einc__explain_leaves(sb, p, &p->out);
        einc__sb_printf(sb, "\n");
        break;
    case EINC__FAMILY_SORT:
        einc__sb_printf(sb, "  1. SORT input #1 ");
        einc__explain_leaves(sb, p, &p->in[0]);
        einc__sb_printf(sb, " along %s (stable merge sort, ascending, NaN last), writing the %s into output #1 ",
                        p->sym_name[p->out.leaves[s->axis].sym],
                        p->op == EINC_OP_ARGSORT ? "int64 positions" : "values");
        einc__explain_leaves(sb, p, &p->out);
        einc__sb_printf(sb, "\n");
        break;
    default:
        if (p->op == EINC_OP_FLIP) {
            einc__sb_printf(sb, "  1. VIEW of input #1 with [");
            masked_names(sb, p, &p->out, s->mask);
            einc__sb_printf(sb, "] reversed (negative strides) when its strides allow it (no copy); otherwise:\n");
            einc__sb_printf(sb, "  2. COPY input #1 ");
            einc__explain_leaves(sb, p, &p->in[0]);
            einc__sb_printf(sb, " reversed along [");
            masked_names(sb, p, &p->out, s->mask);
            einc__sb_printf(sb, "] -> output #1 ");
            einc__explain_leaves(sb, p, &p->out);
            einc__sb_printf(sb, " (strided copy)\n");
            break;
        }
        einc__sb_printf(sb, "  1. COPY input #1 ");
        einc__explain_leaves(sb, p, &p->in[0]);
        einc__sb_printf(sb, " -> output #1 ");
        einc__explain_leaves(sb, p, &p->out);
        einc__sb_printf(sb, " rolled by");
        int blocks = 1, n = 0;
        for (int i = 0; i < p->out.nleaves; i++)
            if (s->mask >> i & 1u) {
                einc__sb_printf(sb, "%s %s=%lld", n++ ? "," : "", p->sym_name[p->out.leaves[i].sym],
                                (long long)s->shift[i]);
                if (s->shift[i]) blocks *= 2;
            }
        if (n == 0) einc__sb_printf(sb, " nothing (no bracketed axes)");
        einc__sb_printf(sb, " (%d strided block cop%s)\n", blocks, blocks == 1 ? "y" : "ies");
        break;
    }
}
