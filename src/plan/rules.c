/* rules.c — what each einx operation accepts and how it completes an expression (spec §2.7, §2.8,
 * §3): argument counts, where brackets and concatenations may appear, implicit outputs, implicit
 * brackets for dot and reductions, and the checks that need solved axis lengths (axes missing from
 * the output, duplicate output axes, id's pairing of inputs and outputs).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "index.h"
#include "op_table.h"
#include "rules.h"
#include "sorting.h"

/* ---- tree helpers ----------------------------------------------------------------------------- */

static bool has_kind(const einc__node *n, einc__node_kind k) {
    if (n->kind == k) return true;
    for (int i = 0; i < n->n; i++)
        if (has_kind(n->c[i], k)) return true;
    return false;
}

static void mark_kind(const einc__node *n, einc__node_kind k, einc__marks *m) {
    if (n->kind == k) {
        if (k == EINC__N_BRACKET) {
            einc__marks_range(m, n->begin, n->begin + 1);
            einc__marks_range(m, n->end - 1, n->end);
        } else {
            einc__marks_range(m, n->begin, n->end);
        }
    }
    for (int i = 0; i < n->n; i++) mark_kind(n->c[i], k, m);
}

static bool name_in_tree(const einc__node *n, const char *name) {
    if (n->kind == EINC__N_AXIS && strcmp(n->name, name) == 0) return true;
    for (int i = 0; i < n->n; i++)
        if (name_in_tree(n->c[i], name)) return true;
    return false;
}

static void mark_name(const einc__node *n, const char *name, einc__marks *m) {
    if (n->kind == EINC__N_AXIS && strcmp(n->name, name) == 0) einc__marks_range(m, n->begin, n->end);
    for (int i = 0; i < n->n; i++) mark_name(n->c[i], name, m);
}

static void mark_bracketed_axes(const einc__node *n, einc__marks *m) {
    if (n->kind == EINC__N_AXIS && einc__node_in_brackets(n)) einc__marks_range(m, n->begin, n->end);
    for (int i = 0; i < n->n; i++) mark_bracketed_axes(n->c[i], m);
}

static void set_parents(einc__node *n, einc__node *parent) {
    n->parent = parent;
    for (int i = 0; i < n->n; i++) set_parents(n->c[i], n);
}

/* Error before solving: semantic, with the expression and carets and the call's arguments. */
bool einc__rules_error(const einc__rules *r, const einc__marks *m, const char *fmt, ...) {
    einc__expr e;
    memset(&e, 0, sizeof e);
    e.desc = r->d;
    e.arena = r->a;
    e.call = r->call;
    einc__marks empty;
    if (!m) {
        if (!einc__marks_init(r->a, &empty, r->d->text)) return false;
        m = &empty;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return einc__notation_error(&e, EINC_ESEMANTIC, m, NULL, EINC__EQ_NONE, "%s", msg);
}

void einc__mark_brackets(const einc__node *n, einc__marks *m) { mark_kind(n, EINC__N_BRACKET, m); }

int einc__bracketed_axes(const einc__node *n, const einc__node **out, int count, int cap) {
    if (n->kind == EINC__N_AXIS && einc__node_in_brackets(n)) {
        if (count < cap) out[count] = n;
        count++;
    }
    for (int i = 0; i < n->n; i++) count = einc__bracketed_axes(n->c[i], out, count, cap);
    return count;
}

static bool no_brackets(const einc__rules *r, einc__node **roots, int n, const char *side) {
    for (int i = 0; i < n; i++) {
        if (!has_kind(roots[i], EINC__N_BRACKET)) continue;
        einc__marks m;
        if (!einc__marks_init(r->a, &m, r->d->text)) return false;
        mark_kind(roots[i], EINC__N_BRACKET, &m);
        char ord[16], what[64];
        snprintf(what, sizeof what, "%s %s", einc__ordinal(i, ord, sizeof ord), side);
        return einc__rules_error(r, &m, "Brackets ([]) are not allowed in the %s expression of this operation.", what);
    }
    return true;
}

/* ---- implicit outputs ------------------------------------------------------------------------- */

/* Adds the names of a tree to a set (names of unnamed axes of length 1 are left out). */
static int collect_names(const einc__node *n, const char **names, int count, int cap) {
    if (n->kind == EINC__N_AXIS && !(n->value == 1)) {
        bool seen = false;
        for (int i = 0; i < count && !seen; i++) seen = strcmp(names[i], n->name) == 0;
        if (!seen && count < cap) names[count++] = n->name;
    }
    for (int i = 0; i < n->n; i++) count = collect_names(n->c[i], names, count, cap);
    return count;
}

/* Rule 3: the unique input whose axis names contain every other input's. */
static bool implicit_superset(einc__rules *r) {
    einc__desc *d = r->d;
    int best = -1;
    for (int i = 0; i < d->ninputs; i++) {
        const char *mine[256];
        int nm = collect_names(d->inputs[i], mine, 0, 256);
        bool covers = true;
        for (int j = 0; j < d->ninputs && covers; j++) {
            const char *theirs[256];
            int nt = collect_names(d->inputs[j], theirs, 0, 256);
            for (int k = 0; k < nt && covers; k++) {
                bool found = false;
                for (int q = 0; q < nm && !found; q++) found = strcmp(mine[q], theirs[k]) == 0;
                covers = found;
            }
        }
        if (!covers) continue;
        if (best >= 0) {
            /* the same expression written twice counts once */
            char a[1024], b[1024];
            einc__sb sa, sb2;
            einc__sb_init(&sa, a, sizeof a);
            einc__sb_init(&sb2, b, sizeof b);
            einc__node_print(&sa, d->inputs[best]);
            einc__node_print(&sb2, d->inputs[i]);
            if (strcmp(a, b) != 0) {
                best = -2;
                break;
            }
            continue;
        }
        best = i;
    }
    if (best < 0)
        return einc__rules_error(
            r, NULL,
            "The output expression is missing in this operation. einx allows implicitly determining the "
            "output expression in this operation according to the rule: If one of the input expressions "
            "contains the axis names of all other input expressions (excluding 1s) and if this choice is "
            "unique, then this expression is used as output expression. However, no unique input "
            "expression was found.%s",
            "");
    return einc__set_outputs_clone(r, best);
}

static bool input_count_error(const einc__rules *r) {
    char n[16];
    snprintf(n, sizeof n, "%d", r->d->ninputs);
    return einc__rules_error(r, NULL, "The operation expects 1 input expression(s), but found %s.", n);
}

static bool output_count_error(const einc__rules *r) {
    char n[16];
    snprintf(n, sizeof n, "%d", r->d->noutputs);
    return einc__rules_error(r, NULL, "The operation expects 1 output expression(s), but found %s.", n);
}

bool einc__set_outputs_clone(einc__rules *r, int input) {
    einc__desc *d = r->d;
    d->outputs = einc__arena_alloc(r->a, sizeof(einc__node *));
    if (!d->outputs) return false;
    d->outputs[0] = einc__node_clone(r->a, d->inputs[input]);
    if (!d->outputs[0]) return false;
    set_parents(d->outputs[0], NULL);
    d->noutputs = 1;
    return true;
}

/* Removes bracket groups (reductions' implicit output); keepdims turns each into "()". */
static einc__node *strip_brackets(einc__rules *r, einc__node *n, bool keepdims) {
    if (n->kind == EINC__N_BRACKET) {
        if (!keepdims) return NULL;
        einc__node *f = einc__arena_alloc(r->a, sizeof *f);
        einc__node *l = einc__arena_alloc(r->a, sizeof *l);
        if (!f || !l) return NULL;
        l->kind = EINC__N_LIST;
        l->begin = l->end = n->begin;
        l->value = -1;
        l->sym = -1;
        f->kind = EINC__N_FLAT;
        f->begin = n->begin;
        f->end = n->end;
        f->value = -1;
        f->sym = -1;
        f->n = 1;
        f->c = einc__arena_alloc(r->a, sizeof(einc__node *));
        if (!f->c) return NULL;
        f->c[0] = l;
        return f;
    }
    int w = 0;
    for (int i = 0; i < n->n; i++) {
        einc__node *c = strip_brackets(r, n->c[i], keepdims);
        if (c) n->c[w++] = c;
        else if (r->a->failed) return NULL;
    }
    n->n = w;
    /* an ellipsis of a removed bracket group ("b [h]... c") disappears with it */
    if (n->kind == EINC__N_ELLIPSIS && w == 0) return NULL;
    /* "([h w])" keeps its parentheses: "()", a length-1 axis */
    if (n->kind == EINC__N_FLAT && w == 0) {
        einc__node *l = einc__arena_alloc(r->a, sizeof *l);
        if (!l) return NULL;
        *l = (einc__node){.kind = EINC__N_LIST, .begin = n->begin, .end = n->begin, .value = -1, .sym = -1};
        n->c[0] = l;
        n->n = 1;
    }
    return n;
}

/* ---- implicit brackets (dot, reductions with "->" and no brackets) -------------------------- */

static bool in_outputs(const einc__desc *d, const char *name) {
    for (int i = 0; i < d->noutputs; i++)
        if (name_in_tree(d->outputs[i], name)) return true;
    return false;
}

static einc__node *bracket_missing(einc__rules *r, einc__node *n) {
    if (n->kind == EINC__N_AXIS && !in_outputs(r->d, n->name)) {
        einc__node *b = einc__arena_alloc(r->a, sizeof *b);
        einc__node *l = einc__arena_alloc(r->a, sizeof *l);
        if (!b || !l) return NULL;
        *l = (einc__node){.kind = EINC__N_LIST, .begin = n->begin, .end = n->end, .value = -1, .sym = -1, .n = 1};
        l->c = einc__arena_alloc(r->a, sizeof(einc__node *));
        if (!l->c) return NULL;
        l->c[0] = n;
        *b = (einc__node){.kind = EINC__N_BRACKET, .begin = n->begin, .end = n->end, .value = -1, .sym = -1, .n = 1};
        b->c = einc__arena_alloc(r->a, sizeof(einc__node *));
        if (!b->c) return NULL;
        b->c[0] = l;
        return b;
    }
    for (int i = 0; i < n->n; i++) {
        einc__node *c = bracket_missing(r, n->c[i]);
        if (!c) return NULL;
        n->c[i] = c;
    }
    return n;
}

/* Implicit brackets forbid a name twice in one input (it would read as a diagonal). */
static int collect_axis_nodes(const einc__node *n, const einc__node **out, int count, int cap) {
    if (n->kind == EINC__N_AXIS && n->value < 0 && count < cap) out[count++] = n;
    for (int i = 0; i < n->n; i++) count = collect_axis_nodes(n->c[i], out, count, cap);
    return count;
}

static bool no_repeated_names(einc__rules *r) {
    einc__marks m;
    if (!einc__marks_init(r->a, &m, r->d->text)) return false;
    const char *repeated[64];
    int nrep = 0;
    for (int i = 0; i < r->d->ninputs; i++) {
        const einc__node *axes[512];
        int n = collect_axis_nodes(r->d->inputs[i], axes, 0, 512);
        for (int a = 0; a < n; a++) {
            bool dup = false;
            for (int b = 0; b < n && !dup; b++) dup = a != b && strcmp(axes[a]->name, axes[b]->name) == 0;
            if (!dup) continue;
            einc__marks_range(&m, axes[a]->begin, axes[a]->end);
            bool listed = false;
            for (int k = 0; k < nrep && !listed; k++) listed = strcmp(repeated[k], axes[a]->name) == 0;
            if (!listed && nrep < 64) repeated[nrep++] = axes[a]->name;
        }
    }
    if (!nrep) return true;
    char names[512];
    einc__sb sb;
    einc__sb_init(&sb, names, sizeof names);
    for (int k = 0; k < nrep; k++) einc__sb_printf(&sb, "%s%s", k ? ", " : "", repeated[k]);
    return einc__rules_error(
        r, &m,
        "If no axes are marked with brackets in this operation, brackets are placed automatically around "
        "all axes that do not appear in the output expression. Since this mode is used here, no axis name "
        "may appear more than once in the same input tensor (to avoid confusion with diagonal "
        "extraction). However, the following axis names are used more than once: %s.",
        names);
}

/* ---- dot ---------------------------------------------------------------------------------------- */

static int count_inputs_with_bracketed(const einc__desc *d, const char *name) {
    int count = 0;
    for (int i = 0; i < d->ninputs; i++) {
        const einc__node *stack[512];
        int sp = 0;
        bool found = false;
        stack[sp++] = d->inputs[i];
        while (sp && !found) {
            const einc__node *x = stack[--sp];
            if (x->kind == EINC__N_AXIS && einc__node_in_brackets(x) && strcmp(x->name, name) == 0) found = true;
            for (int k = 0; k < x->n && sp < 512; k++) stack[sp++] = x->c[k];
        }
        count += found;
    }
    return count;
}

static void mark_bracketed_name(const einc__node *n, const char *name, einc__marks *m) {
    if (n->kind == EINC__N_AXIS && einc__node_in_brackets(n) && strcmp(n->name, name) == 0)
        einc__marks_range(m, n->begin, n->end);
    for (int i = 0; i < n->n; i++) mark_bracketed_name(n->c[i], name, m);
}

static bool check_dot_contractions(einc__rules *r) {
    const einc__desc *d = r->d;
    einc__marks m;
    if (!einc__marks_init(r->a, &m, d->text)) return false;
    bool bad = false;
    for (int i = 0; i < d->ninputs; i++) {
        const einc__node *stack[512];
        int sp = 0;
        stack[sp++] = d->inputs[i];
        while (sp) {
            const einc__node *x = stack[--sp];
            if (x->kind == EINC__N_AXIS && einc__node_in_brackets(x) && count_inputs_with_bracketed(d, x->name) != 2) {
                for (int k = 0; k < d->ninputs; k++) mark_bracketed_name(d->inputs[k], x->name, &m);
                bad = true;
            }
            for (int k = 0; k < x->n && sp < 512; k++) stack[sp++] = x->c[k];
        }
    }
    if (bad) return einc__rules_error(r, &m, "All contracted axes must appear in exactly two input expressions.%s", "");
    return true;
}

/* ---- before solving ------------------------------------------------------------------------------ */

static int bracket_names(const einc__node *n, const char **names, int count, int cap) {
    if (n->kind == EINC__N_AXIS && einc__node_in_brackets(n) && count < cap) names[count++] = n->name;
    for (int i = 0; i < n->n; i++) count = bracket_names(n->c[i], names, count, cap);
    return count;
}

bool einc__rules_before(einc__rules *r) {
    einc__desc *d = r->d;
    einc__family fam = einc__op_family(r->op);
    char buf[128];

    /* brackets where the operation allows none come first, as in einx (a 0.3-style
     * "b [c_in] -> b [c_out]" reports its output brackets before the tensor count) */
    if (fam == EINC__FAMILY_ID || fam == EINC__FAMILY_ELEMENTWISE) {
        if (!no_brackets(r, d->inputs, d->ninputs, "input") || !no_brackets(r, d->outputs, d->noutputs, "output"))
            return false;
    } else if ((fam == EINC__FAMILY_REDUCE || fam == EINC__FAMILY_DOT) &&
               !no_brackets(r, d->outputs, d->noutputs, "output")) {
        return false;
    }
    if (d->ninputs != r->ntensors) {
        snprintf(buf, sizeof buf,
                 "The operation is defined with %d input expression%s, but %d input tensor%s given as argument%s.",
                 d->ninputs, d->ninputs == 1 ? "" : "s", r->ntensors, r->ntensors == 1 ? " is" : "s are",
                 r->ntensors == 1 ? "" : "s");
        einc__error(r->a->ctx, EINC_EVALUE, "%s", buf);
        return false;
    }
    /* keyword arguments of the elementary operation cannot be axis names (spec §1.5) */
    static const char *const reserved[] = {"backend", "graph", "keepdims", "shift"};
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++) {
        if (k == 2 && fam != EINC__FAMILY_REDUCE) continue;
        if (k == 3 && r->op != EINC_OP_ROLL) continue;
        bool used = false;
        for (int i = 0; i < d->ninputs && !used; i++) used = name_in_tree(d->inputs[i], reserved[k]);
        for (int i = 0; i < d->noutputs && !used; i++) used = name_in_tree(d->outputs[i], reserved[k]);
        if (!used) continue;
        einc__marks m;
        if (!einc__marks_init(r->a, &m, d->text)) return false;
        for (int i = 0; i < d->ninputs; i++) mark_name(d->inputs[i], reserved[k], &m);
        for (int i = 0; i < d->noutputs; i++) mark_name(d->outputs[i], reserved[k], &m);
        return einc__rules_error(r, &m,
                                 "The following axis names may not be used in the expression, since they are keyword "
                                 "arguments of the elementary operation: %s",
                                 reserved[k]);
    }
    /* concatenation is id's alone */
    if (fam != EINC__FAMILY_ID) {
        for (int side = 0; side < 2; side++) {
            einc__node **roots = side ? d->outputs : d->inputs;
            int n = side ? d->noutputs : d->ninputs;
            for (int i = 0; i < n; i++) {
                if (!has_kind(roots[i], EINC__N_CONCAT)) continue;
                einc__marks m;
                if (!einc__marks_init(r->a, &m, d->text)) return false;
                for (int k = 0; k < n; k++) mark_kind(roots[k], EINC__N_CONCAT, &m);
                return einc__rules_error(r, &m, "The concatenation operator (+) is not allowed in this function.%s",
                                         "");
            }
        }
    }
    switch (fam) {
    case EINC__FAMILY_ID:
        if (!no_brackets(r, d->inputs, d->ninputs, "input") || !no_brackets(r, d->outputs, d->noutputs, "output"))
            return false;
        if (!d->has_arrow) {
            if (d->ninputs == 1) return einc__set_outputs_clone(r, 0);
            return implicit_superset(r);
        }
        return true;
    case EINC__FAMILY_ELEMENTWISE: {
        if (!no_brackets(r, d->inputs, d->ninputs, "input") || !no_brackets(r, d->outputs, d->noutputs, "output"))
            return false;
        int want = einc__elementwise_arity(r->op);
        if ((want > 0 && d->ninputs != want) || d->ninputs < 1) {
            einc__error(r->a->ctx, EINC_ESEMANTIC,
                        "The operation %s takes %s%d input expression%s, but %d %s given.\n"
                        "Expression: \"%s\"",
                        einc_op_name(r->op), want > 0 ? "exactly " : "at least ", want > 0 ? want : 1,
                        (want > 0 ? want : 1) == 1 ? "" : "s", d->ninputs, d->ninputs == 1 ? "is" : "are", d->text);
            return false;
        }
        if (d->has_arrow && d->noutputs != 1) return output_count_error(r);
        if (!d->has_arrow) {
            if (d->ninputs == 1) return einc__set_outputs_clone(r, 0);
            return implicit_superset(r);
        }
        return true;
    }
    case EINC__FAMILY_REDUCE: {
        if (d->ninputs != 1) return input_count_error(r);
        if (d->has_arrow) {
            if (d->noutputs != 1) return output_count_error(r);
            if (!no_brackets(r, d->outputs, d->noutputs, "output")) return false;
            if (!has_kind(d->inputs[0], EINC__N_BRACKET)) {
                if (!no_repeated_names(r)) return false;
                if (!(d->inputs[0] = bracket_missing(r, d->inputs[0]))) return false;
                set_parents(d->inputs[0], NULL);
            }
            return true;
        }
        if (!einc__set_outputs_clone(r, 0)) return false;
        if (!strip_brackets(r, d->outputs[0], r->keepdims) && r->a->failed) return false;
        set_parents(d->outputs[0], NULL);
        return true;
    }
    case EINC__FAMILY_SOFTMAX: {
        if (d->ninputs != 1) return input_count_error(r);
        if (!d->has_arrow && !einc__set_outputs_clone(r, 0)) return false;
        if (d->noutputs != 1) return output_count_error(r);
        const char *bin[256], *bout[256];
        int nin = bracket_names(d->inputs[0], bin, 0, 256), nout = bracket_names(d->outputs[0], bout, 0, 256);
        bool same = nin == nout;
        for (int i = 0; i < nin && same; i++) same = strcmp(bin[i], bout[i]) == 0;
        if (!same) {
            einc__marks m;
            if (!einc__marks_init(r->a, &m, d->text)) return false;
            mark_bracketed_axes(d->inputs[0], &m);
            mark_bracketed_axes(d->outputs[0], &m);
            return einc__rules_error(
                r, &m,
                "All axes marked with brackets must appear in the same order in the inputs and outputs of "
                "this operation.%s",
                "");
        }
        return true;
    }
    case EINC__FAMILY_DOT: {
        if (d->ninputs < 2) {
            snprintf(buf, sizeof buf, "%d", d->ninputs);
            return einc__rules_error(
                r, NULL, "The dot operation requires at least 2 input expressions, but only %s is given.", buf);
        }
        if (!d->has_arrow)
            return einc__rules_error(r, NULL, "The operation expects an output expression, but no '->' was found.%s",
                                     "");
        if (d->noutputs != 1) return output_count_error(r);
        if (!no_brackets(r, d->outputs, d->noutputs, "output")) return false;
        bool any = false;
        for (int i = 0; i < d->ninputs; i++) any = any || has_kind(d->inputs[i], EINC__N_BRACKET);
        if (!any) {
            if (!no_repeated_names(r)) return false;
            for (int i = 0; i < d->ninputs; i++) {
                if (!(d->inputs[i] = bracket_missing(r, d->inputs[i]))) return false;
                set_parents(d->inputs[i], NULL);
            }
        }
        for (int i = 0; i < d->ninputs; i++) {
            const char *names[256];
            int n = bracket_names(d->inputs[i], names, 0, 256);
            for (int a = 0; a < n; a++)
                for (int b = a + 1; b < n; b++)
                    if (strcmp(names[a], names[b]) == 0) {
                        einc__marks m;
                        if (!einc__marks_init(r->a, &m, d->text)) return false;
                        mark_bracketed_name(d->inputs[i], names[a], &m);
                        return einc__rules_error(
                            r, &m,
                            "The expression must not contain multiple axes with the same name in brackets "
                            "([]).%s",
                            "");
                    }
        }
        return check_dot_contractions(r);
    }
    case EINC__FAMILY_ARGFIND:
    case EINC__FAMILY_SORT:
    case EINC__FAMILY_SHIFT: return einc__rules_sorting_before(r);
    case EINC__FAMILY_INDEX: return einc__rules_index_before(r);
    }
    return true;
}

/* ---- after solving -------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Vectorized axes of a (piece of a) root: leaf syms outside brackets. */
static void vec_syms(const einc__node *n, bool *mask) {
    if (n->kind == EINC__N_BRACKET) return;
    if (n->kind == EINC__N_AXIS && n->sym >= 0) mask[n->sym] = true;
    for (int i = 0; i < n->n; i++) vec_syms(n->c[i], mask);
}

static void mark_syms(const einc__node *n, const bool *which, einc__marks *m) {
    if (n->kind == EINC__N_AXIS && n->sym >= 0 && which[n->sym] && !einc__node_in_brackets(n))
        einc__marks_range(m, n->begin, n->end);
    for (int i = 0; i < n->n; i++) mark_syms(n->c[i], which, m);
}

bool einc__check_missing(const einc__expr *e, int input, const bool *present_in_output) {
    bool *missing = einc__arena_alloc(e->arena, sizeof(bool) * (size_t)e->nsyms);
    bool *vec = einc__arena_alloc(e->arena, sizeof(bool) * (size_t)e->nsyms);
    if (!missing || !vec) return false;
    vec_syms(e->in[input], vec);
    int n = 0;
    for (int s = 0; s < e->nsyms; s++)
        if (vec[s] && !present_in_output[s] && e->syms[s].size != 1) {
            missing[s] = true;
            n++;
        }
    if (!n) return true;
    const char *names[256];
    int k = 0;
    for (int s = 0; s < e->nsyms && k < 256; s++)
        if (missing[s]) names[k++] = e->syms[s].name;
    qsort(names, (size_t)k, sizeof *names, cmp_str);
    char set[1024];
    einc__sb sb;
    einc__sb_init(&sb, set, sizeof set);
    for (int i = 0; i < k; i++) einc__sb_printf(&sb, "%s'%s'", i ? ", " : "", names[i]);
    einc__marks m;
    if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
    mark_syms(e->in[input], missing, &m);
    return einc__notation_error(e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                "The input axes {%s} must appear in the output expression.", set);
}

bool einc__check_output_duplicates(const einc__expr *e, const einc__node *piece) {
    int counts[1024] = {0};
    const einc__node *stack[512];
    int sp = 0;
    stack[sp++] = piece;
    bool dup = false;
    while (sp) {
        const einc__node *x = stack[--sp];
        if (x->kind == EINC__N_BRACKET) continue;
        if (x->kind == EINC__N_AXIS && x->sym >= 0 && x->sym < 1024 && ++counts[x->sym] > 1) dup = true;
        for (int k = 0; k < x->n && sp < 512; k++) stack[sp++] = x->c[k];
    }
    if (!dup) return true;
    bool which[1024] = {false};
    for (int s = 0; s < e->nsyms && s < 1024; s++) which[s] = counts[s] > 1;
    einc__marks m;
    if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
    mark_syms(piece, which, &m);
    return einc__notation_error(e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                "The output expression must not contain multiple vectorized axes with the same name "
                                "(after splitting concatenated axes).");
}

bool einc__rules_after(const einc__rules *r, const einc__expr *e) {
    einc__family fam = einc__op_family(r->op);
    if (fam == EINC__FAMILY_ID) return true; /* checked per piece by the id lowering */
    if (fam == EINC__FAMILY_INDEX) return einc__rules_index_after(r, e);
    bool *present = einc__arena_alloc(e->arena, sizeof(bool) * (size_t)e->nsyms);
    if (!present) return false;
    for (int i = 0; i < e->noutputs; i++) {
        if (!einc__check_output_duplicates(e, e->out[i])) return false;
        vec_syms(e->out[i], present);
    }
    for (int i = 0; i < e->ninputs; i++)
        if (!einc__check_missing(e, i, present)) return false;
    return true;
}
