/* expand.c — ellipsis expansion (spec §2.3).
 *
 * 1. Depths: every occurrence of a name must sit under the same number of ellipses.
 * 2. Repetition counts: one unknown per ellipsis; ellipses that repeat the same name at the same
 *    nesting level share it (so "s..., s... -> s..." has one count, and all anonymous "..." share
 *    the hidden axis ".."). Tuple constraints ("b=(5, 6)") fix counts directly.
 * 3. Each input's rank gives one equation: rank = sum over its top-level items of their number of
 *    dimensions (an ellipsis contributes count x its inner's dimensions). Equations with a single
 *    unknown are solved repeatedly until nothing changes.
 * 4. The trees are rewritten with every ellipsis replaced by its repetitions: "b..." at repetition
 *    i becomes the axis "b.i" (nested: "b.i.j").
 * Counts of nested ellipses are the same for every repetition of the outer one.
 *
 * An ellipsis whose count nothing determines stays unexpanded when that count cannot matter: when
 * every ellipsis sharing it sits inside a flattened axis ("b (s...) c"), where only the product of
 * its axes counts, and no scalar constraint names an axis inside it. It then becomes one axis,
 * named as written ("s..."), solved like any other: "b (s...) -> b (s...)" on (2, 6) needs no
 * count, and "(b... [a...]) c" with b=(2, 3) on (24, 5) reduces a block of 4. This is einx's
 * rule (its UnexpandedEllipsis); an undetermined count anywhere else is a RankError.
 */
#include <stdio.h>
#include <stdlib.h>

#include "notation.h"

/* Names per expression (every number is a name of its own). The lookups are hash tables and the
 * arrays grow, but the later stages (group merging over runs of unnamed axes, solving, lowering)
 * are not yet linear in the number of distinct axes, so it stays bounded (bench_expr_length). */
#define MAX_NAMES 512
/* ellipses per expression (union-find arrays) */
#define MAX_VARS 256
/* count[] of an ellipsis that stays one axis (see the top of the file) */
#define UNEXPANDED (-2)

typedef struct {
    const char *name;
    int depth;
    const einc__node *first;
} name_info;

typedef struct {
    const char *name;
    int level;
    int var;
} name_level;

typedef struct {
    einc__arena *a;
    einc_ctx *ctx;
    const einc__desc *d;
    const einc__call *call;
    einc__expr *e;
    name_info *names; /* grown by doubling */
    int names_cap;
    int nnames;
    int parent[MAX_VARS];    /* union-find over ellipsis ids                        */
    int64_t count[MAX_VARS]; /* repetition count per root variable, -1 unknown      */
    int nvars;
    name_level *links; /* grown by doubling */
    int links_cap;
    int nlinks;
    bool any_ellipsis;
    einc__strtab name_index; /* name -> index into names                              */
    einc__strtab link_index; /* "<level>:<name>" -> index into links                  */
    einc__strtab sym_index;  /* symbol name -> index into e->syms                     */
} expander;

static int find(expander *x, int v) {
    while (x->parent[v] != v) v = x->parent[v] = x->parent[x->parent[v]];
    return v;
}

static void unite(expander *x, int a, int b) {
    a = find(x, a);
    b = find(x, b);
    if (a != b) x->parent[b] = a;
}

/* `what`: "more than 256 ellipses", ... */
static bool too_complex_because(expander *x, const char *what) {
    einc__error(x->ctx, EINC_EUNSUPPORTED, "The expression \"%.200s%s\" has %s", x->d->text,
                strlen(x->d->text) > 200 ? "..." : "", what);
    return false;
}

static bool too_complex(expander *x) { return too_complex_because(x, "more than 256 ellipses"); }

/* Doubles an arena array of `*cap` elements of `size` bytes (the old block stays in the arena). */
static bool grow_array(expander *x, void **arr, int *cap, size_t size) {
    int ncap = *cap ? *cap * 2 : 64;
    void *na = einc__arena_alloc(x->a, size * (size_t)ncap);
    if (!na) return false;
    if (*cap) memcpy(na, *arr, size * (size_t)*cap);
    EINC__STEPS(x->ctx, *cap);
    *arr = na;
    *cap = ncap;
    return true;
}

/* ---- 1. depths ------------------------------------------------------------------------------ */

static name_info *lookup_name(expander *x, const char *name) {
    int i = einc__strtab_get(&x->name_index, name);
    return i >= 0 ? &x->names[i] : NULL;
}

/* Marks every occurrence of `name` in the written expression. */
static void mark_name(const einc__node *n, const char *name, einc__marks *m) {
    if (n->kind == EINC__N_AXIS && strcmp(n->name, name) == 0) einc__marks_range(m, n->begin, n->end);
    for (int i = 0; i < n->n; i++) mark_name(n->c[i], name, m);
}

static void mark_ellipses(const einc__node *n, einc__marks *m) {
    if (n->kind == EINC__N_ELLIPSIS) einc__marks_range(m, n->end - 3, n->end);
    for (int i = 0; i < n->n; i++) mark_ellipses(n->c[i], m);
}

static const char *depth_help =
    "Please check the following:\n"
    " - Each axis name may be used either with or without an ellipsis, but not both.\n"
    " - The rank of a constraint must be equal to or less than the number of ellipses around the corresponding axis.";

static bool depth_error(expander *x, const char *name) {
    einc__marks m;
    if (!einc__marks_init(x->a, &m, x->d->text)) return false;
    for (int i = 0; i < x->d->ninputs; i++) mark_name(x->d->inputs[i], name, &m);
    for (int i = 0; i < x->d->noutputs; i++) mark_name(x->d->outputs[i], name, &m);
    return einc__notation_error(x->e, EINC_ERANK, &m, depth_help, EINC__EQ_NONE,
                                "Found an invalid usage of ellipses and/or constraints for the axis %s:", name);
}

static bool collect_depths(expander *x, const einc__node *n, int depth) {
    EINC__STEPS(x->ctx, 1);
    if (n->kind == EINC__N_ELLIPSIS) {
        x->any_ellipsis = true;
        depth++;
    }
    if (n->kind == EINC__N_AXIS) {
        name_info *ni = lookup_name(x, n->name);
        if (!ni) {
            if (x->nnames == MAX_NAMES) return too_complex_because(x, "more than 512 axis names");
            if (x->nnames == x->names_cap && !grow_array(x, (void **)&x->names, &x->names_cap, sizeof *x->names))
                return false;
            if (einc__strtab_put(&x->name_index, n->name, x->nnames) == -2) return false;
            ni = &x->names[x->nnames++];
            ni->name = n->name;
            ni->depth = depth;
            ni->first = n;
        } else if (ni->depth != depth) {
            return depth_error(x, n->name);
        }
    }
    for (int i = 0; i < n->n; i++)
        if (!collect_depths(x, n->c[i], depth)) return false;
    return true;
}

/* ---- 2. repetition-count variables ---------------------------------------------------------- */

/* The key of (name, level) in link_index: "<level>:<name>". NULL when memory ran out. */
static const char *link_key(expander *x, const char *name, int level, char *buf, size_t size, bool keep) {
    int w = snprintf(buf, size, "%d:%s", level, name);
    if (w < 0) return NULL;
    if ((size_t)w < size && !keep) return buf;
    char *k = einc__arena_alloc(x->a, (size_t)w + 1);
    if (k) snprintf(k, (size_t)w + 1, "%d:%s", level, name);
    return k;
}

static int find_link(expander *x, const char *name, int level) {
    char buf[128];
    const char *key = link_key(x, name, level, buf, sizeof buf, false);
    return key ? einc__strtab_get(&x->link_index, key) : -1;
}

/* 0, -1 when there are too many links, -2 when memory ran out */
static int link_var(expander *x, const char *name, int level, int var) {
    int i = find_link(x, name, level);
    if (i >= 0) {
        unite(x, x->links[i].var, var);
        return 0;
    }
    if (x->nlinks == MAX_NAMES) return -1;
    if (x->nlinks == x->links_cap && !grow_array(x, (void **)&x->links, &x->links_cap, sizeof *x->links)) return -2;
    char buf[8];
    const char *key = link_key(x, name, level, buf, sizeof buf, true);
    if (!key || einc__strtab_put(&x->link_index, key, x->nlinks) == -2) return -2;
    x->links[x->nlinks++] = (name_level){name, level, var};
    return 0;
}

static bool link_inner_names(expander *x, const einc__node *n, int level, int var) {
    EINC__STEPS(x->ctx, 1);
    if (n->kind == EINC__N_AXIS) {
        int r = link_var(x, n->name, level, var);
        if (r == -2) return false; /* memory */
        if (r < 0) return too_complex_because(x, "more than 512 axis names");
    }
    for (int i = 0; i < n->n; i++)
        if (!link_inner_names(x, n->c[i], level, var)) return false;
    return true;
}

static bool collect_vars(expander *x, const einc__node *n, int level) {
    EINC__STEPS(x->ctx, 1);
    if (n->kind == EINC__N_ELLIPSIS) {
        if (n->ellipsis_id >= MAX_VARS) return too_complex(x);
        if (n->ellipsis_id >= x->nvars) {
            for (int v = x->nvars; v <= n->ellipsis_id; v++) {
                x->parent[v] = v;
                x->count[v] = -1;
            }
            x->nvars = n->ellipsis_id + 1;
        }
        if (!link_inner_names(x, n->c[0], level, n->ellipsis_id)) return false;
        level++;
    }
    for (int i = 0; i < n->n; i++)
        if (!collect_vars(x, n->c[i], level)) return false;
    return true;
}

/* The count variable of the ellipsis repeating `name` at nesting level 0, or -1. */
static int var_of_name(expander *x, const char *name) {
    int i = find_link(x, name, 0);
    return i >= 0 ? find(x, x->links[i].var) : -1;
}

/* ---- 3. rank equations ---------------------------------------------------------------------- */

typedef struct {
    int64_t constant;
    int var;      /* the single unknown, or -1 */
    int64_t coef; /* its coefficient           */
    bool complex; /* several unknowns or products of unknowns */
} poly;

static poly poly_const(int64_t c) { return (poly){c, -1, 0, false}; }

static poly poly_add(poly p, poly q) {
    if (p.complex || q.complex) return (poly){0, -1, 0, true};
    poly r = {p.constant + q.constant, p.var, p.coef, false};
    if (q.var >= 0) {
        if (r.var < 0) {
            r.var = q.var;
            r.coef = q.coef;
        } else if (r.var == q.var) {
            r.coef += q.coef;
        } else {
            r.complex = true;
        }
    }
    return r;
}

static poly dims_of(expander *x, const einc__node *n) {
    EINC__STEPS(x->ctx, 1);
    switch (n->kind) {
    case EINC__N_AXIS:
    case EINC__N_FLAT:
    case EINC__N_CONCAT: return poly_const(1);
    case EINC__N_BRACKET: return dims_of(x, n->c[0]);
    case EINC__N_ELLIPSIS: {
        int v = find(x, n->ellipsis_id);
        poly inner = dims_of(x, n->c[0]);
        if (x->count[v] >= 0) {
            if (inner.complex) return inner;
            return (poly){inner.constant * x->count[v], inner.var, inner.coef * x->count[v], false};
        }
        if (inner.complex || inner.var >= 0) return (poly){0, -1, 0, true};
        return (poly){0, v, inner.constant, false};
    }
    default: {
        poly r = poly_const(0);
        for (int i = 0; i < n->n; i++) r = poly_add(r, dims_of(x, n->c[i]));
        return r;
    }
    }
}

static bool rank_mismatch(expander *x) {
    if (!x->any_ellipsis)
        return einc__notation_error(x->e, EINC_ERANK, NULL, NULL, EINC__EQ_RANK,
                                    "The number of tensor dimensions and axes in the expression does not match.");
    einc__marks m;
    if (!einc__marks_init(x->a, &m, x->d->text)) return false;
    for (int i = 0; i < x->d->ninputs; i++) mark_ellipses(x->d->inputs[i], &m);
    for (int i = 0; i < x->d->noutputs; i++) mark_ellipses(x->d->outputs[i], &m);
    return einc__notation_error(x->e, EINC_ERANK, &m, NULL, EINC__EQ_RANK,
                                "Failed to find an expansion of ellipses in the expression such that the number of "
                                "dimensions matches all given constraints.");
}

static bool rank_ambiguous(expander *x) {
    einc__marks m;
    if (!einc__marks_init(x->a, &m, x->d->text)) return false;
    for (int i = 0; i < x->d->ninputs; i++) mark_ellipses(x->d->inputs[i], &m);
    for (int i = 0; i < x->d->noutputs; i++) mark_ellipses(x->d->outputs[i], &m);
    return einc__notation_error(x->e, EINC_ERANK, &m, NULL, EINC__EQ_RANK,
                                "Failed to uniquely determine the expansion of ellipses in the expression. Please "
                                "provide more constraints.");
}

/* One pass over a written tree: blocked[v] is set for every count variable v with an ellipsis
 * that is not inside a flattened axis, or whose repeated expression names an axis with a scalar
 * constraint (a constraint on an axis needs the axis, so the expansion). Returns whether `n`
 * names a scalar-constrained axis. */
static bool block_vars(expander *x, const einc__node *n, bool in_flat, bool *blocked) {
    EINC__STEPS(x->ctx, 1);
    bool constrained = false;
    if (n->kind == EINC__N_AXIS)
        for (int i = 0; x->call && i < x->call->nconstraints; i++)
            if (!x->call->constraints[i].is_tuple && strcmp(x->call->constraints[i].name, n->name) == 0)
                constrained = true;
    bool inner_flat = in_flat || n->kind == EINC__N_FLAT;
    for (int i = 0; i < n->n; i++)
        if (block_vars(x, n->c[i], inner_flat, blocked)) constrained = true;
    if (n->kind == EINC__N_ELLIPSIS && (!in_flat || constrained)) blocked[find(x, n->ellipsis_id)] = true;
    return constrained;
}

static bool solve_counts(expander *x, const int *ranks) {
    bool progress = true;
    while (progress) {
        progress = false;
        for (int i = 0; i < x->d->ninputs; i++) {
            if (!ranks || ranks[i] < 0) continue;
            poly p = dims_of(x, x->d->inputs[i]);
            if (p.complex) continue;
            if (p.var < 0 || p.coef == 0) {
                if (p.constant != ranks[i]) return rank_mismatch(x);
                continue;
            }
            int64_t rest = ranks[i] - p.constant;
            if (rest < 0 || rest % p.coef != 0) return rank_mismatch(x);
            x->count[p.var] = rest / p.coef;
            progress = true;
        }
    }
    for (int i = 0; i < x->d->ninputs; i++) {
        if (!ranks || ranks[i] < 0) continue;
        poly p = dims_of(x, x->d->inputs[i]);
        if (p.complex || p.var >= 0) return rank_ambiguous(x);
    }
    /* an ellipsis whose count nothing determines may stay one axis when every ellipsis sharing
     * the count lies in a flattened axis, with no scalar constraint on its axes */
    bool blocked[MAX_VARS] = {false};
    bool any_unknown = false;
    for (int v = 0; v < x->nvars && !any_unknown; v++) any_unknown = x->count[find(x, v)] == -1;
    if (any_unknown) {
        for (int i = 0; i < x->d->ninputs; i++) block_vars(x, x->d->inputs[i], false, blocked);
        for (int i = 0; i < x->d->noutputs; i++) block_vars(x, x->d->outputs[i], false, blocked);
    }
    for (int v = 0; v < x->nvars; v++) {
        int r = find(x, v);
        if (x->count[r] >= 0 || x->count[r] == UNEXPANDED) continue;
        if (blocked[r]) return rank_ambiguous(x);
        x->count[r] = UNEXPANDED;
    }
    return true;
}

/* ---- 4. rewriting ---------------------------------------------------------------------------- */

static int sym_intern(expander *x, const char *name, const einc__node *origin) {
    einc__expr *e = x->e;
    int found = einc__strtab_get(&x->sym_index, name);
    if (found >= 0) return found;
    if (e->nsyms == e->symcap) {
        int cap = e->symcap ? e->symcap * 2 : 32;
        einc__sym *ns = einc__arena_alloc(x->a, sizeof(einc__sym) * (size_t)cap);
        if (!ns) return -1;
        if (e->nsyms) memcpy(ns, e->syms, sizeof(einc__sym) * (size_t)e->nsyms);
        e->syms = ns;
        e->symcap = cap;
    }
    einc__sym *s = &e->syms[e->nsyms];
    memset(s, 0, sizeof *s);
    s->name = einc__arena_strdup(x->a, name, strlen(name));
    if (!s->name) return -1;
    bool axis = origin->kind == EINC__N_AXIS; /* else an unexpanded ellipsis */
    s->fixed = axis ? origin->value : -1;
    s->size = -1;
    s->first = origin;
    s->in_brackets = einc__node_in_brackets(origin);
    s->user_visible = axis && strchr(origin->name, '.') == NULL;
    s->cse_of = -1;
    if (einc__strtab_put(&x->sym_index, s->name, e->nsyms) == -2) return -1;
    return e->nsyms++;
}

typedef struct {
    einc__node **v;
    int n, cap;
} node_vec;

static bool vec_push(einc__arena *a, node_vec *v, einc__node *n) {
    if (!n) return false;
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        einc__node **nv = einc__arena_alloc(a, sizeof(einc__node *) * (size_t)cap);
        if (!nv) return false;
        if (v->n) memcpy(nv, v->v, sizeof(einc__node *) * (size_t)v->n);
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = n;
    return true;
}

static einc__node *make(expander *x, const einc__node *proto, einc__node_kind kind, node_vec *kids) {
    einc__node *n = einc__arena_alloc(x->a, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->begin = proto->begin;
    n->end = proto->end;
    n->value = -1;
    n->sym = -1;
    n->n = kids ? kids->n : 0;
    n->c = kids ? kids->v : NULL;
    for (int i = 0; i < n->n; i++) n->c[i]->parent = n;
    return n;
}

static bool expand_into(expander *x, const einc__node *n, const int *idx, int nidx, node_vec *out);

/* The one axis an unexpanded ellipsis becomes: named as written, "s..." or "(s p)...", with the
 * repetition indices of the ellipses around it (".0"), so that the same ellipsis in an input
 * and an output is the same axis. */
static einc__node *unexpanded_axis(expander *x, const einc__node *n, const int *idx, int nidx) {
    char name[256];
    einc__sb sb;
    einc__sb_init(&sb, name, sizeof name);
    einc__node_print(&sb, n);
    for (int i = 0; i < nidx; i++) einc__sb_printf(&sb, ".%d", idx[i]);
    if (sb.len + 1 >= sizeof name) {
        too_complex_because(x, "an ellipsis whose text is too long to name its axis (255 characters at most)");
        return NULL;
    }
    einc__node *a = make(x, n, EINC__N_AXIS, NULL);
    if (!a) return NULL;
    a->sym = sym_intern(x, name, n);
    if (a->sym < 0) return NULL;
    a->name = x->e->syms[a->sym].name;
    return a;
}

static einc__node *expand_list(expander *x, const einc__node *proto, const einc__node *inner, const int *idx,
                               int nidx) {
    node_vec kids = {0};
    if (!expand_into(x, inner, idx, nidx, &kids)) return NULL;
    return make(x, proto, EINC__N_LIST, &kids);
}

static bool expand_into(expander *x, const einc__node *n, const int *idx, int nidx, node_vec *out) {
    EINC__STEPS(x->ctx, 1);
    switch (n->kind) {
    case EINC__N_AXIS: {
        char name[256];
        int w = snprintf(name, sizeof name, "%s", n->name);
        for (int i = 0; i < nidx && w > 0 && (size_t)w < sizeof name; i++)
            w += snprintf(name + w, sizeof name - (size_t)w, ".%d", idx[i]);
        if (w < 0 || (size_t)w >= sizeof name)
            return too_complex_because(x, "an axis whose expanded name is longer than 255 characters");
        einc__node *a = make(x, n, EINC__N_AXIS, NULL);
        if (!a) return false;
        a->value = n->value;
        a->sym = sym_intern(x, name, n);
        if (a->sym < 0) return false;
        a->name = x->e->syms[a->sym].name;
        return vec_push(x->a, out, a);
    }
    case EINC__N_LIST:
        for (int i = 0; i < n->n; i++)
            if (!expand_into(x, n->c[i], idx, nidx, out)) return false;
        return true;
    case EINC__N_FLAT:
    case EINC__N_BRACKET: {
        node_vec kids = {0};
        if (!vec_push(x->a, &kids, expand_list(x, n, n->c[0], idx, nidx))) return false;
        return vec_push(x->a, out, make(x, n, n->kind, &kids));
    }
    case EINC__N_CONCAT: {
        node_vec kids = {0};
        for (int i = 0; i < n->n; i++)
            if (!vec_push(x->a, &kids, expand_list(x, n->c[i], n->c[i], idx, nidx))) return false;
        return vec_push(x->a, out, make(x, n, EINC__N_CONCAT, &kids));
    }
    case EINC__N_ELLIPSIS: {
        int64_t count = x->count[find(x, n->ellipsis_id)];
        if (count == UNEXPANDED) return vec_push(x->a, out, unexpanded_axis(x, n, idx, nidx));
        if (nidx >= 32) return too_complex_because(x, "ellipses nested more than 32 deep");
        int sub[33];
        if (nidx) memcpy(sub, idx, sizeof(int) * (size_t)nidx);
        for (int64_t r = 0; r < count; r++) {
            sub[nidx] = (int)r;
            if (!expand_into(x, n->c[0], sub, nidx + 1, out)) return false;
        }
        return true;
    }
    default: return false;
    }
}

/* Base name of an expanded symbol: "b.0.1" -> "b" (user names contain no '.'). */
static bool has_base(const char *sym, const char *base) {
    size_t n = strlen(base);
    return strncmp(sym, base, n) == 0 && (sym[n] == '\0' || sym[n] == '.');
}

static bool add_constraint(einc__expr *e, int sym, int64_t value) {
    e->con_sym[e->nconstraints] = sym;
    e->con_value[e->nconstraints++] = value;
    return true;
}

static bool expand_constraints(expander *x) {
    einc__expr *e = x->e;
    const einc__call *c = x->call;
    int cap = 0;
    for (int i = 0; c && i < c->nconstraints; i++) cap += e->nsyms;
    e->con_sym = einc__arena_alloc(x->a, sizeof(int) * (size_t)(cap ? cap : 1));
    e->con_value = einc__arena_alloc(x->a, sizeof(int64_t) * (size_t)(cap ? cap : 1));
    if (!e->con_sym || !e->con_value) return false;
    for (int i = 0; c && i < c->nconstraints; i++) {
        const einc__constraint *k = &c->constraints[i];
        name_info *ni = lookup_name(x, k->name);
        if (!ni) continue; /* einx ignores constraints for names the expression does not use */
        for (int s = 0; s < e->nsyms; s++) {
            const char *sn = e->syms[s].name;
            if (!has_base(sn, k->name) || !e->syms[s].user_visible) continue;
            if (!k->is_tuple) {
                add_constraint(e, s, k->values[0]);
            } else {
                /* one value per repetition of the outermost ellipsis: "b.i..." gets values[i] */
                int rep = atoi(sn + strlen(k->name) + 1);
                if (rep >= 0 && rep < k->n) add_constraint(e, s, k->values[rep]);
            }
        }
    }
    return true;
}

bool einc__expand(einc__arena *a, const einc__desc *d, const int *ranks, const einc__call *call, einc__expr *out) {
    memset(out, 0, sizeof *out);
    out->desc = d;
    out->arena = a;
    out->call = call;
    expander *x = einc__arena_alloc(a, sizeof *x);
    if (!x) return false;
    x->a = a;
    x->ctx = a->ctx;
    x->d = d;
    x->call = call;
    x->e = out;
    einc__strtab_init(&x->name_index, a);
    einc__strtab_init(&x->link_index, a);
    einc__strtab_init(&x->sym_index, a);

    for (int i = 0; i < d->ninputs; i++)
        if (!collect_depths(x, d->inputs[i], 0)) return false;
    for (int i = 0; i < d->noutputs; i++)
        if (!collect_depths(x, d->outputs[i], 0)) return false;
    for (int i = 0; i < d->ninputs; i++)
        if (!collect_vars(x, d->inputs[i], 0)) return false;
    for (int i = 0; i < d->noutputs; i++)
        if (!collect_vars(x, d->outputs[i], 0)) return false;

    /* constraints: a tuple needs an ellipsis around its axis, and fixes that ellipsis' count */
    for (int i = 0; call && i < call->nconstraints; i++) {
        const einc__constraint *k = &call->constraints[i];
        name_info *ni = lookup_name(x, k->name);
        if (!ni || !k->is_tuple) continue;
        if (ni->depth == 0) return depth_error(x, k->name);
        int v = var_of_name(x, k->name);
        if (v < 0) continue;
        if (x->count[v] >= 0 && x->count[v] != k->n) return rank_mismatch(x);
        x->count[v] = k->n;
    }
    if (!solve_counts(x, ranks)) return false;

    out->ninputs = d->ninputs;
    out->noutputs = d->noutputs;
    out->in = einc__arena_alloc(a, sizeof(einc__node *) * (size_t)(d->ninputs + 1));
    out->out = einc__arena_alloc(a, sizeof(einc__node *) * (size_t)(d->noutputs + 1));
    if (!out->in || !out->out) return false;
    for (int i = 0; i < d->ninputs; i++)
        if (!(out->in[i] = expand_list(x, d->inputs[i], d->inputs[i], NULL, 0))) return false;
    for (int i = 0; i < d->noutputs; i++)
        if (!(out->out[i] = expand_list(x, d->outputs[i], d->outputs[i], NULL, 0))) return false;
    return expand_constraints(x);
}
