/* rules_indexing.c — what get_at, set_at, add_at and subtract_at accept (spec §3.5, §2.7 rule 5,
 * §4.3 item 20), with einx 0.4.3's messages:
 *
 *   - get_at needs an output expression, without brackets (its elementary result is a scalar);
 *     *_at without "->" write into a copy of the first input expression, and their output must
 *     have the first input's bracketed axes in the same order; the updates have no brackets;
 *   - each coordinate expression has at most one bracketed axis (its length = the number of
 *     coordinates it gives; none: one coordinate), no bracketed axis of the first input (*_at),
 *     and the coordinate counts add up to the number of bracketed axes of the first input;
 *   - get_at's vectorized input axes must appear in the output; the updates and coordinates of
 *     *_at may have axes the output lacks: they are scattered over.
 */
#include <stdio.h>

#include "index.h"

static bool is_update(einc_op op) { return op != EINC_OP_GET_AT; }

/* A SemanticError before expansion: message, expression with carets (m NULL: none), arguments. */
static bool has_brackets(const einc__node *n) {
    if (n->kind == EINC__N_BRACKET) return true;
    for (int i = 0; i < n->n; i++)
        if (has_brackets(n->c[i])) return true;
    return false;
}

/* ---- before expansion ---------------------------------------------------------------------------- */

bool einc__rules_index_before(einc__rules *r) {
    einc__desc *d = r->d;
    bool update = is_update(r->op);
    int least = update ? 3 : 2;
    if (d->ninputs < least)
        return einc__rules_error(r, NULL, "The operation expects at least %d input expressions, but found %d.", least,
                                 d->ninputs);
    if (!d->has_arrow) {
        if (!update)
            return einc__rules_error(r, NULL, "The operation expects an output expression, but no '->' was found.");
        if (!einc__set_outputs_clone(r, 0)) return false; /* spec §2.7 rule 5 */
    }
    if (d->noutputs != 1)
        return einc__rules_error(r, NULL, "The operation expects 1 output expression(s), but found %d.", d->noutputs);
    einc__marks m;
    if (!einc__marks_init(r->a, &m, d->text)) return false;
    const einc__node *last = d->inputs[d->ninputs - 1];
    if (update && has_brackets(last)) {
        char ord[16];
        einc__mark_brackets(last, &m);
        return einc__rules_error(r, &m, "Brackets ([]) are not allowed in the %s input expression of this operation.",
                                 einc__ordinal(d->ninputs - 1, ord, sizeof ord));
    }
    bool xb = has_brackets(d->inputs[0]), ob = has_brackets(d->outputs[0]);
    if (ob && (!update || !xb)) {
        einc__mark_brackets(d->outputs[0], &m);
        return einc__rules_error(r, &m,
                                 "Brackets ([]) are not allowed in the 1st output expression of this operation.");
    }
    if (update && xb && !ob) {
        einc__marks_range(&m, d->outputs[0]->begin, d->outputs[0]->end);
        return einc__rules_error(
            r, &m, "The 1st output expression of this operation requires brackets, but no brackets were found.");
    }
    if (update) {
        const einc__node *in[EINC_MAX_LEAVES + 1], *out[EINC_MAX_LEAVES + 1];
        int nin = einc__bracketed_axes(d->inputs[0], in, 0, EINC_MAX_LEAVES + 1);
        int nout = einc__bracketed_axes(d->outputs[0], out, 0, EINC_MAX_LEAVES + 1);
        bool same = nin == nout && nin <= EINC_MAX_LEAVES;
        for (int i = 0; i < nin && same; i++) same = strcmp(in[i]->name, out[i]->name) == 0;
        if (!same) {
            einc__mark_brackets(d->inputs[0], &m);
            einc__mark_brackets(d->outputs[0], &m);
            return einc__rules_error(
                r, &m,
                "All axes marked with brackets must appear in the same order in the inputs and outputs of "
                "this operation.");
        }
    }
    return true;
}

/* ---- after expansion ------------------------------------------------------------------------------ */

static void mark_nodes(const einc__node *const *nodes, int n, einc__marks *m) {
    for (int i = 0; i < n; i++) einc__marks_range(m, nodes[i]->begin, nodes[i]->end);
}

/* "The sum of the lengths of marked coordinate axes (3) must match ..." with carets on the
 * bracketed axes of the value and the coordinates. */
static bool count_error(const einc__expr *e, int ncoords, int64_t sum, int naxes) {
    einc__marks m;
    if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
    const einc__node *nodes[EINC_MAX_LEAVES + 1];
    for (int k = 0; k <= ncoords; k++) {
        int n = einc__bracketed_axes(e->in[k], nodes, 0, EINC_MAX_LEAVES + 1);
        mark_nodes(nodes, n < EINC_MAX_LEAVES + 1 ? n : EINC_MAX_LEAVES + 1, &m);
    }
    return einc__notation_error(e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                "The sum of the lengths of marked coordinate axes (%lld) must match the number of "
                                "marked axes in the first input expression (%d).",
                                (long long)sum, naxes);
}

/* The number of coordinates the coordinate inputs give: their bracketed axes' lengths (from the
 * text: numbers only, -1 when a named one is unknown yet; from the solved sizes when `solved`). */
static int64_t coordinate_count(const einc__expr *e, int ncoords, bool solved) {
    int64_t sum = 0;
    for (int k = 1; k <= ncoords; k++) {
        const einc__node *axis[2];
        if (einc__bracketed_axes(e->in[k], axis, 0, 2) == 0) {
            sum += 1;
        } else if (solved) {
            sum += e->syms[axis[0]->sym].size;
        } else {
            if (axis[0]->value <= 0) return -1;
            sum += axis[0]->value;
        }
    }
    return sum;
}

bool einc__index_expanded(const einc__rules *r, einc__expr *e) {
    const einc__desc *d = r->d;
    int ncoords = e->ninputs - 1 - is_update(r->op);
    const einc__node *x_axes[EINC_MAX_LEAVES + 1];
    int naxes = einc__bracketed_axes(e->in[0], x_axes, 0, EINC_MAX_LEAVES + 1);
    for (int k = 1; k <= ncoords; k++) {
        const einc__node *axes[EINC_MAX_LEAVES + 1];
        int n = einc__bracketed_axes(e->in[k], axes, 0, EINC_MAX_LEAVES + 1);
        einc__marks m;
        if (!einc__marks_init(r->a, &m, d->text)) return false;
        if (n > 1) {
            mark_nodes(axes, n < EINC_MAX_LEAVES + 1 ? n : EINC_MAX_LEAVES + 1, &m);
            return einc__notation_error(e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                        "Each coordinate expression must contain at most one axis in brackets.");
        }
        bool overlap = false;
        for (int i = 0; i < n && is_update(r->op); i++)
            for (int j = 0; j < naxes && j <= EINC_MAX_LEAVES; j++)
                if (axes[i]->sym == x_axes[j]->sym) {
                    einc__marks_range(&m, axes[i]->begin, axes[i]->end);
                    einc__marks_range(&m, x_axes[j]->begin, x_axes[j]->end);
                    overlap = true;
                }
        if (overlap)
            return einc__notation_error(e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                        "Axes may not appear in brackets both in the first input tensor and in a "
                                        "coordinate or update expression.");
    }
    /* counts written as numbers are checked before solving, as einx does */
    int64_t sum = coordinate_count(e, ncoords, false);
    if (sum >= 0 && sum != naxes) return count_error(e, ncoords, sum, naxes);
    return true;
}

/* ---- after solving -------------------------------------------------------------------------------- */

static void vectorized_syms(const einc__node *n, bool *mask) {
    if (n->kind == EINC__N_BRACKET) return;
    if (n->kind == EINC__N_AXIS && n->sym >= 0) mask[n->sym] = true;
    for (int i = 0; i < n->n; i++) vectorized_syms(n->c[i], mask);
}

bool einc__rules_index_after(const einc__rules *r, const einc__expr *e) {
    if (!einc__check_output_duplicates(e, e->out[0])) return false;
    bool *present = einc__arena_alloc(e->arena, sizeof(bool) * (size_t)(e->nsyms + 1));
    if (!present) return false;
    vectorized_syms(e->out[0], present);
    /* *_at scatter over the axes of the coordinates and updates the output lacks */
    int checked = is_update(r->op) ? 1 : e->ninputs;
    for (int i = 0; i < checked; i++)
        if (!einc__check_missing(e, i, present)) return false;
    int ncoords = e->ninputs - 1 - is_update(r->op);
    const einc__node *x_axes[EINC_MAX_LEAVES + 1];
    int naxes = einc__bracketed_axes(e->in[0], x_axes, 0, EINC_MAX_LEAVES + 1);
    int64_t sum = coordinate_count(e, ncoords, true);
    if (sum != naxes) return count_error(e, ncoords, sum, naxes);
    return true;
}
