/* explain_indexing.c — the steps of get_at, set_at, add_at and subtract_at plans as text. */
#include "index.h"

/* The loop dims [begin, end) as "[b=2, t=3]". */
static void loop_text(einc__sb *sb, const einc__plan *p, const einc__index_plan *ip, int begin, int end) {
    einc__sb_printf(sb, "[");
    for (int i = begin; i < end; i++)
        einc__sb_printf(sb, "%s%s=%lld", i > begin ? ", " : "", p->sym_name[ip->loop_sym[i]],
                        (long long)ip->loop_size[i]);
    einc__sb_printf(sb, "]");
}

static const char *scatter_name(einc_op op) {
    return op == EINC_OP_SET_AT ? "set" : op == EINC_OP_ADD_AT ? "add" : "subtract";
}

void einc__explain_index(const einc__plan *p, einc__sb *sb) {
    const einc__index_plan *ip = p->index;
    if (ip->passthrough) {
        einc__sb_printf(sb, "  1. COPY input #1 (a coordinate or update tensor is empty: nothing is updated, as in "
                            "einx)\n");
        return;
    }
    einc__sb_printf(sb, "  1. CHECK the coordinates (input%s #2", ip->ncoords > 1 ? "s" : "");
    if (ip->ncoords > 1) einc__sb_printf(sb, "-#%d", ip->ncoords + 1);
    einc__sb_printf(sb, ") against the indexed axes ");
    einc__explain_leaves(sb, p, &ip->t_idx);
    einc__sb_printf(sb, ": IndexError when out of range, negative ones count from the end\n");
    if (!ip->update) {
        einc__sb_printf(sb, "  2. GATHER input #1 ");
        einc__explain_leaves(sb, p, &ip->t_loop);
        einc__sb_printf(sb, " at the coordinates into the output, over ");
        loop_text(sb, p, ip, 0, ip->nloop);
        einc__sb_printf(sb, " (threads split the output)\n");
        return;
    }
    einc__sb_printf(sb, "  2. COPY input #1 ");
    einc__explain_leaves(sb, p, &ip->x_to_out);
    einc__sb_printf(sb, " -> output ");
    einc__explain_leaves(sb, p, &ip->out);
    einc__sb_printf(sb, "\n  3. SCATTER %s input #%d ", scatter_name(p->op), p->ninputs);
    einc__explain_leaves(sb, p, &ip->e_loop);
    einc__sb_printf(sb, " into the output at the coordinates");
    if (ip->nvec > 0) {
        einc__sb_printf(sb, ": for every ");
        loop_text(sb, p, ip, 0, ip->nvec);
        einc__sb_printf(sb, " of the output (threads split them)");
    }
    if (ip->nloop > ip->nvec) {
        einc__sb_printf(sb, ", over ");
        loop_text(sb, p, ip, ip->nvec, ip->nloop);
        einc__sb_printf(sb, " in row-major order (%s)",
                        p->op == EINC_OP_SET_AT ? "duplicates: the last one stays" : "duplicates accumulate");
    }
    einc__sb_printf(sb, "\n");
}
