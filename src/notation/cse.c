/* cse.c — merging axis groups that always travel together (spec §2.4a).
 *
 * einx replaces every parenthesised run of axes that occurs only as that same run wherever its
 * axes appear ("(h w)" in "b (h w) c -> c (h w) b") by a single axis before solving sizes. This is
 * not just an optimisation: it decides what is solvable ("b (h w) c -> c (h w) b" needs neither h
 * nor w) and it lets the lowering move such a group as one dimension.
 *
 * Candidates are runs of >= 2 consecutive items of a list inside parentheses, containing no
 * brackets and no concatenation (the solve functions also take concatenations, and a
 * concatenation on its own: "(a + b)"). A candidate is kept when every occurrence of each of its axes
 * lies inside an occurrence of the same run (same text) and none of its axes is constrained;
 * longer candidates are considered first, and kept candidates never overlap.
 */
#include <stdio.h>

#include "notation.h"

typedef struct {
    einc__node *list;
    int start, len;
    const char *text;
    bool taken;
} run;

typedef struct {
    einc__expr *e;
    run *runs;
    int nruns, cap;
    bool in_brackets_ok;
    bool concat_ok;
} cse_state;

static bool has_kind(const einc__node *n, einc__node_kind k) {
    if (n->kind == k) return true;
    for (int i = 0; i < n->n; i++)
        if (has_kind(n->c[i], k)) return true;
    return false;
}

static bool inside_paren(const einc__node *n) {
    for (const einc__node *q = n; q; q = q->parent)
        if (q->kind == EINC__N_FLAT) return true;
    return false;
}

static bool add_run(cse_state *s, einc__node *list, int start, int len) {
    if (s->nruns == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        run *nr = einc__arena_alloc(s->e->arena, sizeof(run) * (size_t)cap);
        if (!nr) return false;
        if (s->nruns) memcpy(nr, s->runs, sizeof(run) * (size_t)s->nruns);
        s->runs = nr;
        s->cap = cap;
    }
    char buf[2048];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    for (int i = start; i < start + len; i++) {
        if (i > start) einc__sb_printf(&sb, " ");
        einc__node_print(&sb, list->c[i]);
    }
    if (sb.len + 1 >= sizeof buf) return true; /* too long to compare reliably: not a candidate */
    const char *text = einc__arena_strdup(s->e->arena, buf, sb.len);
    if (!text) return false;
    s->runs[s->nruns++] = (run){list, start, len, text, false};
    return true;
}

static bool collect_runs(cse_state *s, einc__node *n) {
    if (n->kind == EINC__N_LIST && n->n >= 2 && n->parent && inside_paren(n) &&
        (s->in_brackets_ok || !einc__node_in_brackets(n))) {
        for (int len = n->n; len >= 2; len--) {
            for (int start = 0; start + len <= n->n; start++) {
                bool ok = true;
                for (int i = start; i < start + len && ok; i++)
                    ok = !has_kind(n->c[i], EINC__N_BRACKET) && (s->concat_ok || !has_kind(n->c[i], EINC__N_CONCAT));
                if (ok && !add_run(s, n, start, len)) return false;
            }
        }
    }
    if (s->concat_ok && n->kind == EINC__N_LIST && (s->in_brackets_ok || !einc__node_in_brackets(n)))
        for (int i = 0; i < n->n; i++)
            if (n->c[i]->kind == EINC__N_CONCAT && !has_kind(n->c[i], EINC__N_BRACKET) && !add_run(s, n, i, 1))
                return false;
    for (int i = 0; i < n->n; i++)
        if (!collect_runs(s, n->c[i])) return false;
    return true;
}

static void count_syms(const einc__node *n, int *counts) {
    if (n->kind == EINC__N_AXIS && n->sym >= 0) counts[n->sym]++;
    for (int i = 0; i < n->n; i++) count_syms(n->c[i], counts);
}

static bool contains_sym(const einc__node *n, int sym) {
    if (n->kind == EINC__N_AXIS && n->sym == sym) return true;
    for (int i = 0; i < n->n; i++)
        if (contains_sym(n->c[i], sym)) return true;
    return false;
}

/* True if the two subtrees have an axis in common. */
static bool shares_axis(const einc__node *a, const einc__node *b) {
    if (a->kind == EINC__N_AXIS) return contains_sym(b, a->sym);
    for (int i = 0; i < a->n; i++)
        if (shares_axis(a->c[i], b)) return true;
    return false;
}

static bool runs_overlap(const run *a, const run *b) {
    return a->list == b->list && a->start < b->start + b->len && b->start < a->start + a->len;
}

/* Replaces the run by one axis node of symbol `sym`. */
static bool replace_run(einc__expr *e, const run *r, int sym) {
    einc__node *list = r->list;
    einc__node *ax = einc__arena_alloc(e->arena, sizeof *ax);
    if (!ax) return false;
    ax->kind = EINC__N_AXIS;
    ax->begin = list->c[r->start]->begin;
    ax->end = list->c[r->start + r->len - 1]->end;
    ax->value = -1;
    ax->sym = sym;
    ax->name = e->syms[sym].name;
    ax->parent = list;
    list->c[r->start] = ax;
    int removed = r->len - 1;
    for (int i = r->start + 1; i + removed < list->n; i++) list->c[i] = list->c[i + removed];
    list->n -= removed;
    return true;
}

static int new_group_sym(einc__expr *e, const run *r, int index) {
    char name[32];
    snprintf(name, sizeof name, "cse.%d", index);
    if (e->nsyms == e->symcap) {
        int cap = e->symcap * 2 + 8;
        einc__sym *ns = einc__arena_alloc(e->arena, sizeof(einc__sym) * (size_t)cap);
        if (!ns) return -1;
        memcpy(ns, e->syms, sizeof(einc__sym) * (size_t)e->nsyms);
        e->syms = ns;
        e->symcap = cap;
    }
    einc__sym *g = &e->syms[e->nsyms];
    memset(g, 0, sizeof *g);
    g->name = einc__arena_strdup(e->arena, name, strlen(name));
    if (!g->name) return -1;
    g->fixed = -1;
    g->size = -1;
    g->first = r->list->c[r->start];
    g->in_brackets = einc__node_in_brackets(r->list);
    g->cse_of = index;
    return e->nsyms++;
}

/* Finds the longest valid candidate and merges all its occurrences. Returns 1 if one was merged,
 * 0 if none is left, -1 on allocation failure. */
static int merge_one(einc__expr *e, bool in_brackets_ok, bool concat_ok, int index) {
    cse_state s = {e, NULL, 0, 0, in_brackets_ok, concat_ok};
    for (int i = 0; i < e->ninputs; i++)
        if (!collect_runs(&s, e->in[i])) return -1;
    for (int i = 0; i < e->noutputs; i++)
        if (!collect_runs(&s, e->out[i])) return -1;
    if (s.nruns == 0) return 0;
    int *total = einc__arena_alloc(e->arena, sizeof(int) * (size_t)e->nsyms);
    int *inside = einc__arena_alloc(e->arena, sizeof(int) * (size_t)e->nsyms);
    if (!total || !inside) return -1;
    for (int i = 0; i < e->ninputs; i++) count_syms(e->in[i], total);
    for (int i = 0; i < e->noutputs; i++) count_syms(e->out[i], total);

    int maxlen = 0;
    for (int i = 0; i < s.nruns; i++)
        if (s.runs[i].len > maxlen) maxlen = s.runs[i].len;
    for (int len = maxlen; len >= 1; len--) { /* runs of length 1 are concatenations */
        for (int i = 0; i < s.nruns; i++) {
            run *r = &s.runs[i];
            if (r->len != len) continue;
            memset(inside, 0, sizeof(int) * (size_t)e->nsyms);
            bool overlap = false;
            for (int j = 0; j < s.nruns && !overlap; j++) {
                run *o = &s.runs[j];
                if (strcmp(o->text, r->text) != 0) continue;
                for (int k = 0; k < j && !overlap; k++)
                    if (strcmp(s.runs[k].text, r->text) == 0 && runs_overlap(&s.runs[k], o)) overlap = true;
                for (int k = o->start; k < o->start + o->len; k++) count_syms(o->list->c[k], inside);
            }
            if (overlap) continue;
            bool keep = true, any_axis = false;
            /* a run repeating an axis ("(a a)") is not a unit: its length decides a's */
            for (int k = r->start; k < r->start + r->len && keep; k++)
                for (int j = k + 1; j < r->start + r->len && keep; j++)
                    if (shares_axis(r->list->c[k], r->list->c[j])) keep = false;
            for (int k = 0; k < e->nsyms && keep; k++) {
                if (!inside[k]) continue;
                any_axis = true;
                if (inside[k] != total[k]) keep = false;
                for (int c = 0; c < e->nconstraints && keep; c++)
                    if (e->con_sym[c] == k) keep = false;
            }
            if (!keep || !any_axis) continue;
            int sym = new_group_sym(e, r, index);
            if (sym < 0) return -1;
            const char *text = r->text;
            /* replace right to left within a list so that earlier positions stay valid */
            for (;;) {
                run *pick = NULL;
                for (int j = 0; j < s.nruns; j++) {
                    run *o = &s.runs[j];
                    if (o->taken || strcmp(o->text, text) != 0) continue;
                    if (!pick || (o->list == pick->list && o->start > pick->start)) pick = o;
                }
                if (!pick) break;
                pick->taken = true;
                if (!replace_run(e, pick, sym)) return -1;
            }
            return 1;
        }
    }
    return 0;
}

bool einc__cse(einc__expr *e, bool in_brackets_ok) { return einc__cse_with(e, in_brackets_ok, false); }

bool einc__cse_with(einc__expr *e, bool in_brackets_ok, bool concat_ok) {
    for (int index = 0;; index++) {
        int r = merge_one(e, in_brackets_ok, concat_ok, index);
        if (r < 0) return false;
        if (r == 0) return true;
    }
}
