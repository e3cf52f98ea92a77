/* rules_sorting.c — the rules of argmax/argmin, sort/argsort, flip and roll (spec §2.7 rules 1
 * and 4, §2.8, §3.6, §3.7): one input and one output expression; the shape-preserving operations
 * (sort, argsort, flip, roll) keep the bracketed axes in the same order in input and output and
 * default to output = input; argmax/argmin replace the input's single bracket group by one axis
 * holding the coordinates, whose length is the number of bracketed input axes (einx's stage-3
 * equation, applied here after ellipsis expansion).
 */
#include <stdio.h>

#include "sorting.h"

/* einx's name of the implicit coordinate axis ("b [h w] c" -> "b [output.axis] c"); the '.' keeps
 * it apart from every name a user can write. */
#define COORD_AXIS_NAME "output.axis"

/* ---- tree helpers ------------------------------------------------------------------------------- */

static int count_kind(const einc__node *n, einc__node_kind k) {
    int count = n->kind == k;
    for (int i = 0; i < n->n; i++) count += count_kind(n->c[i], k);
    return count;
}

/* True if the written axis name `written` is `name` or the axis `name` was expanded from
 * ("s" for "s.1", "unnamed.2" for "unnamed.2.0"). */
static bool same_axis(const char *written, const char *name) {
    size_t n = strlen(written);
    return strncmp(written, name, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* Marks every axis of a written tree that is (or was expanded into) one of names[0..n). */
static void mark_names(const einc__node *t, const einc__node *const *names, int n, einc__marks *m) {
    if (t->kind == EINC__N_AXIS)
        for (int i = 0; i < n; i++)
            if (same_axis(t->name, names[i]->name)) einc__marks_range(m, t->begin, t->end);
    for (int i = 0; i < t->n; i++) mark_names(t->c[i], names, n, m);
}

/* A SemanticError with the expression (carets from `mark`, may mark nothing) and the call. */
static bool semantic_error(einc__arena *a, const einc__desc *d, const einc__call *call, const einc__expr *expanded,
                           const einc__marks *mark, const char *msg) {
    einc__expr e;
    if (expanded) {
        e = *expanded;
    } else {
        memset(&e, 0, sizeof e);
        e.desc = d;
        e.arena = a;
        e.call = call;
    }
    einc__marks none;
    if (!mark) {
        if (!einc__marks_init(a, &none, d->text)) return false;
        mark = &none;
    }
    return einc__notation_error(&e, EINC_ESEMANTIC, mark, NULL, EINC__EQ_NONE, "%s", msg);
}

/* Error on the bracketed axes of a (written or expanded) pair of roots. */
static bool error_on_bracketed(einc__arena *a, const einc__desc *d, const einc__call *call, const einc__expr *expanded,
                               const einc__node *in, const einc__node *out, const char *msg) {
    const einc__node *names[2 * EINC_MAX_LEAVES];
    int n = einc__bracketed_axes(in, names, 0, EINC_MAX_LEAVES);
    if (n > EINC_MAX_LEAVES) n = EINC_MAX_LEAVES;
    if (out) {
        int k = einc__bracketed_axes(out, names + n, 0, EINC_MAX_LEAVES);
        n += k < EINC_MAX_LEAVES ? k : EINC_MAX_LEAVES;
    }
    einc__marks m;
    if (!einc__marks_init(a, &m, d->text)) return false;
    for (int i = 0; i < d->ninputs; i++) mark_names(d->inputs[i], names, n, &m);
    for (int i = 0; i < d->noutputs; i++) mark_names(d->outputs[i], names, n, &m);
    return semantic_error(a, d, call, expanded, &m, msg);
}

/* ---- implicit output of argmax/argmin (rule 4) --------------------------------------------------- */

/* Replaces the bracket group of `n`'s subtree by "[output.axis]". */
static bool replace_bracket(einc__arena *a, einc__node *n) {
    for (int i = 0; i < n->n; i++) {
        einc__node *c = n->c[i];
        if (c->kind != EINC__N_BRACKET) {
            if (!replace_bracket(a, c)) return false;
            continue;
        }
        einc__node *b = einc__arena_alloc(a, sizeof *b);
        einc__node *l = einc__arena_alloc(a, sizeof *l);
        einc__node *x = einc__arena_alloc(a, sizeof *x);
        einc__node **bc = einc__arena_alloc(a, sizeof *bc);
        einc__node **lc = einc__arena_alloc(a, sizeof *lc);
        if (!b || !l || !x || !bc || !lc) return false;
        /* no characters of its own: carets for it mark nothing */
        *x = (einc__node){.kind = EINC__N_AXIS,
                          .begin = c->begin,
                          .end = c->begin,
                          .name = COORD_AXIS_NAME,
                          .value = -1,
                          .sym = -1,
                          .parent = l};
        *lc = x;
        *l = (einc__node){.kind = EINC__N_LIST,
                          .begin = c->begin,
                          .end = c->begin,
                          .n = 1,
                          .c = lc,
                          .value = -1,
                          .sym = -1,
                          .parent = b};
        *bc = l;
        *b = (einc__node){.kind = EINC__N_BRACKET,
                          .begin = c->begin,
                          .end = c->end,
                          .n = 1,
                          .c = bc,
                          .value = -1,
                          .sym = -1,
                          .parent = n};
        n->c[i] = b;
    }
    return true;
}

static bool argfind_implicit_output(einc__rules *r) {
    einc__desc *d = r->d;
    if (count_kind(d->inputs[0], EINC__N_BRACKET) != 1) {
        einc__marks m;
        if (!einc__marks_init(r->a, &m, d->text)) return false;
        einc__mark_brackets(d->inputs[0], &m);
        return semantic_error(r->a, d, r->call, NULL, &m,
                              "The output expression is missing in this operation. The output expression can only be "
                              "determined implicitly, if the input expression contains exactly one usage of brackets "
                              "([]).");
    }
    if (!einc__set_outputs_clone(r, 0)) return false;
    return replace_bracket(r->a, d->outputs[0]);
}

/* ---- before solving -------------------------------------------------------------------------------- */

/* sort, argsort, flip, roll: the output's brackets as the elementary operation "[x] -> [x]" needs
 * them, and the bracketed axes in the same order on both sides. */
static bool check_shape_preserving(einc__rules *r) {
    einc__desc *d = r->d;
    const einc__node *bin[EINC_MAX_LEAVES * 4], *bout[EINC_MAX_LEAVES * 4];
    int cap = EINC_MAX_LEAVES * 4;
    int nin = einc__bracketed_axes(d->inputs[0], bin, 0, cap), nout = einc__bracketed_axes(d->outputs[0], bout, 0, cap);
    einc__marks m;
    if (!einc__marks_init(r->a, &m, d->text)) return false;
    if (nin > 0 && nout == 0) {
        einc__marks_range(&m, d->outputs[0]->begin, d->outputs[0]->end);
        return semantic_error(r->a, d, r->call, NULL, &m,
                              "The 1st output expression of this operation requires brackets, but no brackets were "
                              "found.");
    }
    if (nin == 0 && nout > 0) {
        einc__mark_brackets(d->outputs[0], &m);
        return semantic_error(r->a, d, r->call, NULL, &m,
                              "Brackets ([]) are not allowed in the 1st output expression of this operation.");
    }
    bool same = nin == nout && nin <= cap;
    for (int i = 0; i < nin && same; i++) same = strcmp(bin[i]->name, bout[i]->name) == 0;
    if (same) return true;
    return error_on_bracketed(r->a, d, r->call, NULL, d->inputs[0], d->outputs[0],
                              "All axes marked with brackets must appear in the same order in the inputs and outputs "
                              "of this operation.");
}

bool einc__rules_sorting_before(einc__rules *r) {
    einc__desc *d = r->d;
    char msg[160];
    if (d->ninputs != 1) {
        snprintf(msg, sizeof msg, "The operation expects 1 input expression(s), but found %d.", d->ninputs);
        return semantic_error(r->a, d, r->call, NULL, NULL, msg);
    }
    if (d->has_arrow && d->noutputs != 1) {
        snprintf(msg, sizeof msg, "The operation expects 1 output expression(s), but found %d.", d->noutputs);
        return semantic_error(r->a, d, r->call, NULL, NULL, msg);
    }
    if (einc__op_family(r->op) == EINC__FAMILY_ARGFIND) return d->has_arrow || argfind_implicit_output(r);
    if (!d->has_arrow && !einc__set_outputs_clone(r, 0)) return false;
    return check_shape_preserving(r);
}

/* ---- argmax/argmin: expansion, the coordinate axis' length, solving --------------------------- */

bool einc__argfind_expanded(const einc__rules *r, einc__expr *e) {
    einc__arena *a = r->a;
    const einc__desc *d = r->d;
    const einc__call *call = r->call;
    const einc__node *in[EINC_MAX_LEAVES + 1], *out[EINC_MAX_LEAVES + 1];
    int nin = einc__bracketed_axes(e->in[0], in, 0, EINC_MAX_LEAVES + 1);
    int nout = einc__bracketed_axes(e->out[0], out, 0, EINC_MAX_LEAVES + 1);
    if (nout > 1)
        return error_on_bracketed(a, d, call, e, e->out[0], NULL,
                                  "The output expression must contain at most one axis in brackets.");
    char msg[256];
    if (nout == 0 && nin != 1) {
        snprintf(msg, sizeof msg,
                 "If no axis is marked with brackets in the output expression, exactly one axis must be marked in "
                 "the input expression, but found %d marked axes.",
                 nin);
        return error_on_bracketed(a, d, call, e, e->in[0], NULL, msg);
    }
    if (nout == 1) {
        einc__sym *s = &e->syms[out[0]->sym];
        if (s->fixed >= 0 && s->fixed != nin) {
            snprintf(msg, sizeof msg,
                     "The value of the marked axis in the output expression (%lld) must match the number of marked "
                     "axes in the input expression (%d).",
                     (long long)s->fixed, nin);
            return error_on_bracketed(a, d, call, e, e->in[0], e->out[0], msg);
        }
        /* a written length fixes the axis like a number does; constraints still apply (and
         * contradict it if they differ) */
        s->fixed = nin;
    }
    return true;
}

/* ---- sort/argsort after solving -------------------------------------------------------------------- */

bool einc__rules_sort_after(const einc__expr *e) {
    for (int side = 0; side < 2; side++) {
        const einc__node *root = side ? e->out[0] : e->in[0];
        const einc__node *axes[2];
        if (einc__bracketed_axes(root, axes, 0, 2) == 1) continue;
        return error_on_bracketed(e->arena, e->desc, e->call, e, e->in[0], e->out[0],
                                  "The expression for this operation must contain exactly one axis in brackets.");
    }
    return true;
}
