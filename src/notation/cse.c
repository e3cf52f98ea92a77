/* cse.c — merging axis groups that always travel together (spec §2.4a).
 *
 * einx replaces every parenthesised run of axes that occurs only as that same run wherever its
 * axes appear ("(h w)" in "b (h w) c -> c (h w) b") by a single axis before solving sizes. This is
 * not just an optimisation: it decides what is solvable ("b (h w) c -> c (h w) b" needs neither h
 * nor w) and it lets the lowering move such a group as one dimension.
 *
 * Candidates are runs of >= 2 consecutive items of a list inside parentheses, containing no
 * brackets and no concatenation (the solve functions also take concatenations, and a
 * concatenation on its own: "(a + b)"), whose text is shorter than 2048 characters. A candidate
 * is kept when every occurrence of each of its axes lies inside an occurrence of the same run
 * (same text), its occurrences do not overlap, no two of its items share an axis and none of its
 * axes is constrained; longer candidates are considered first (then in the order of the text),
 * the first kept one is merged everywhere, and the search starts again.
 *
 * Cost. Each pass is linear in the tree plus the text of the candidates: flags are computed
 * bottom-up once per pass, candidates are grouped by text with a hash table, counts are sparse.
 * An item holding an axis that occurs somewhere no candidate can cover (at the root, in a list
 * of one, next to brackets) or that is constrained can be in no kept run, so runs stop at such
 * items. What is left can still be quadratic in a long parenthesised list whose items all
 * qualify, and every merge is a new pass: the work is counted and bounded by a multiple of the
 * tree's size, past which the expression is rejected (EINC_EUNSUPPORTED) instead of taking
 * seconds.
 */
#include <stdio.h>

#include "notation.h"

#define TEXT_MAX 2048

/* scratch flags of a node for one pass */
enum { F_BRACKET = 1u, F_CONCAT = 2u, F_BLOCKED = 4u };

typedef struct {
    einc__node *list;
    int start, len;
    int group; /* index of its text in the group table */
    bool taken;
} run;

typedef struct {
    int first;         /* its first run in collection order                        */
    int count;         /* runs with this text                                      */
    int *members;      /* run indices in collection order (filled after collection) */
    signed char valid; /* -1 unknown, 0 no, 1 yes                              */
} group;

typedef struct {
    einc__expr *e;
    einc_ctx *ctx;
    run *runs;
    int nruns, cap;
    group *groups;
    int ngroups, gcap;
    einc__strtab texts; /* run text -> group index */
    bool in_brackets_ok;
    bool concat_ok;
    bool *blocked_sym; /* per symbol: no kept run can hold it */
    int64_t *work;     /* steps left in the budget             */
    bool over;         /* the budget ran out                   */
} cse_state;

static bool spend(cse_state *s, int64_t steps) {
    EINC__STEPS(s->ctx, steps);
    *s->work -= steps;
    if (*s->work < 0) s->over = true;
    return !s->over;
}

/* Bottom-up: F_BRACKET / F_CONCAT when the subtree holds such a node. */
static unsigned kind_flags(cse_state *s, einc__node *n) {
    unsigned f = n->kind == EINC__N_BRACKET ? F_BRACKET : n->kind == EINC__N_CONCAT ? F_CONCAT : 0u;
    for (int i = 0; i < n->n; i++) f |= kind_flags(s, n->c[i]);
    n->scratch = f;
    EINC__STEPS(s->ctx, 1);
    return f;
}

static bool item_ok(const cse_state *s, const einc__node *item) {
    return !(item->scratch & F_BRACKET) && (s->concat_ok || !(item->scratch & F_CONCAT));
}

/* A list whose runs are candidates: inside parentheses (in_paren: the list or an ancestor is a
 * flattened axis), not a root, and outside brackets unless they are allowed. */
static bool list_ok(const cse_state *s, const einc__node *n, bool in_paren, bool in_brackets) {
    return n->kind == EINC__N_LIST && n->parent && in_paren && (s->in_brackets_ok || !in_brackets);
}

/* Top-down: an axis none of whose enclosing nodes can be an item of a candidate run is blocked
 * (every run holding its symbol misses this occurrence). `covered`: an ancestor is such an item. */
static void block_uncovered(cse_state *s, const einc__node *n, bool covered, bool in_paren, bool in_brackets) {
    EINC__STEPS(s->ctx, 1);
    if (n->kind == EINC__N_AXIS && n->sym >= 0 && !covered) s->blocked_sym[n->sym] = true;
    in_paren = in_paren || n->kind == EINC__N_FLAT;
    in_brackets = in_brackets || n->kind == EINC__N_BRACKET;
    bool runs_here = list_ok(s, n, in_paren, in_brackets) && n->n >= 2;
    for (int i = 0; i < n->n; i++) {
        const einc__node *c = n->c[i];
        bool item = item_ok(s, c) && (runs_here || (s->concat_ok && n->kind == EINC__N_LIST &&
                                                    c->kind == EINC__N_CONCAT && (s->in_brackets_ok || !in_brackets)));
        block_uncovered(s, c, covered || item, in_paren, in_brackets);
    }
}

/* Bottom-up: F_BLOCKED when the subtree holds a blocked symbol. */
static bool blocked_flags(cse_state *s, einc__node *n) {
    EINC__STEPS(s->ctx, 1);
    bool b = n->kind == EINC__N_AXIS && n->sym >= 0 && s->blocked_sym[n->sym];
    for (int i = 0; i < n->n; i++)
        if (blocked_flags(s, n->c[i])) b = true;
    if (b) n->scratch |= F_BLOCKED;
    return b;
}

/* A list whose runs are candidates, with what its runs need: the first unusable item at or
 * after i, and the text length of the items before i. */
typedef struct {
    einc__node *list;
    int order;    /* position in the walk (collection order)                        */
    int longest;  /* longest allowed run                                            */
    int *seg_end; /* per item: runs starting there must end at or before this        */
    int64_t *chars;
    int *tid; /* per item: its text as a number (same text, same number)         */
} cand_list;

typedef struct {
    cand_list *lists;
    int nlists, lcap;
    einc__node **concat_list; /* length-1 candidates: a concatenation alone (concat_ok) */
    int *concat_index;
    int nconcat, ccap;
    int order;
    einc__strtab item_texts; /* item text -> number */
    int ntexts;
} candidates;

static bool add_run(cse_state *s, einc__node *list, int start, int len, const char *text, size_t tlen) {
    if (s->nruns == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        run *nr = einc__arena_alloc(s->e->arena, sizeof(run) * (size_t)cap);
        if (!nr) return false;
        if (s->nruns) memcpy(nr, s->runs, sizeof(run) * (size_t)s->nruns);
        spend(s, s->nruns);
        s->runs = nr;
        s->cap = cap;
    }
    int g = einc__strtab_getn(&s->texts, text, tlen);
    if (g < 0) {
        if (s->ngroups == s->gcap) {
            int cap = s->gcap ? s->gcap * 2 : 64;
            group *ng = einc__arena_alloc(s->e->arena, sizeof(group) * (size_t)cap);
            if (!ng) return false;
            if (s->ngroups) memcpy(ng, s->groups, sizeof(group) * (size_t)s->ngroups);
            spend(s, s->ngroups);
            s->groups = ng;
            s->gcap = cap;
        }
        const char *key = einc__arena_strdup(s->e->arena, text, tlen);
        if (!key) return false;
        g = s->ngroups++;
        s->groups[g] = (group){s->nruns, 0, NULL, -1};
        if (einc__strtab_put(&s->texts, key, g) == -2) return false;
    }
    s->groups[g].count++;
    s->runs[s->nruns++] = (run){list, start, len, g, false};
    spend(s, (int64_t)tlen + 1); /* the caller stops when the budget ran out */
    return true;
}

static bool usable(const cse_state *s, const einc__node *item) {
    return item_ok(s, item) && !(item->scratch & F_BLOCKED);
}

static bool add_list(cse_state *s, candidates *c, einc__node *n) {
    einc__arena *A = s->e->arena;
    int L = n->n;
    char buf[TEXT_MAX];
    int *seg_end = einc__arena_alloc(A, sizeof(int) * (size_t)(L + 1));
    int64_t *chars = einc__arena_alloc(A, sizeof(int64_t) * (size_t)(L + 1));
    int *tid = einc__arena_alloc(A, sizeof(int) * (size_t)(L + 1));
    if (!seg_end || !chars || !tid) return false;
    chars[0] = 0;
    for (int i = 0; i < L; i++) {
        einc__sb sb;
        einc__sb_init(&sb, buf, TEXT_MAX);
        einc__node_print(&sb, n->c[i]);
        chars[i + 1] = chars[i] + (int64_t)sb.len;
        if (!spend(s, (int64_t)sb.len + 1)) return true;
        if (sb.len + 1 >= TEXT_MAX) { /* too long to compare: a number of its own */
            tid[i] = c->ntexts++;
            continue;
        }
        const char *key = einc__arena_strdup(A, buf, sb.len);
        if (!key) return false;
        int t = einc__strtab_put(&c->item_texts, key, c->ntexts);
        if (t == -2) return false;
        if (t == c->ntexts) c->ntexts++;
        tid[i] = t;
    }
    if (c->nlists == c->lcap) {
        int cap = c->lcap ? c->lcap * 2 : 16;
        cand_list *nl = einc__arena_alloc(A, sizeof(cand_list) * (size_t)cap);
        if (!nl) return false;
        if (c->nlists) memcpy(nl, c->lists, sizeof(cand_list) * (size_t)c->nlists);
        spend(s, c->nlists);
        c->lists = nl;
        c->lcap = cap;
    }
    c->lists[c->nlists++] = (cand_list){n, c->order, 0, seg_end, chars, tid};
    return true;
}

/* Neighbours. A kept run holding an item that is a single named axis y, and the item after it,
 * has an occurrence around every occurrence of y, so every occurrence of y is an item of a
 * candidate list followed by an item of that same text. Per symbol: the text number of the item
 * after (right) and before (left) each of its occurrences, when they all agree (NO_TEXT: none),
 * else CONFLICT; a run cannot cross a conflict. Symbols with an occurrence that is not an item
 * of a candidate list are blocked already. */
enum { UNSET = -3, CONFLICT = -4, NO_TEXT = -1 };

static void agree(int *slot, int v) {
    if (*slot == UNSET) *slot = v;
    else if (*slot != v) *slot = CONFLICT;
}

static bool find_breaks(cse_state *s, candidates *c) {
    einc__arena *A = s->e->arena;
    int nsyms = s->e->nsyms ? s->e->nsyms : 1;
    int *right = einc__arena_alloc(A, sizeof(int) * (size_t)nsyms);
    int *left = einc__arena_alloc(A, sizeof(int) * (size_t)nsyms);
    if (!right || !left) return false;
    for (int y = 0; y < nsyms; y++) right[y] = left[y] = UNSET;
    spend(s, 2 * nsyms);
    for (int k = 0; k < c->nlists; k++) {
        const cand_list *cl = &c->lists[k];
        const einc__node *n = cl->list;
        spend(s, n->n);
        for (int i = 0; i < n->n; i++) {
            const einc__node *x = n->c[i];
            if (x->kind != EINC__N_AXIS || x->sym < 0) continue;
            agree(&right[x->sym], i + 1 < n->n ? cl->tid[i + 1] : NO_TEXT);
            agree(&left[x->sym], i > 0 ? cl->tid[i - 1] : NO_TEXT);
        }
    }
    for (int k = 0; k < c->nlists; k++) {
        cand_list *cl = &c->lists[k];
        const einc__node *n = cl->list;
        int L = n->n, longest = 0;
        spend(s, L);
        /* seg_end from the right: an unusable item ends every run before it; a conflict between
         * items i and i + 1 ends runs at i + 1 */
        for (int i = L - 1; i >= 0; i--) {
            const einc__node *x = n->c[i];
            if (!usable(s, x)) {
                cl->seg_end[i] = i;
                continue;
            }
            bool stop = i == L - 1;
            if (!stop && x->kind == EINC__N_AXIS && x->sym >= 0 && right[x->sym] == CONFLICT) stop = true;
            const einc__node *nx = i + 1 < L ? n->c[i + 1] : NULL;
            if (!stop && nx->kind == EINC__N_AXIS && nx->sym >= 0 && left[nx->sym] == CONFLICT) stop = true;
            cl->seg_end[i] = stop ? i + 1 : cl->seg_end[i + 1];
            if (cl->seg_end[i] - i > longest) longest = cl->seg_end[i] - i;
        }
        cl->longest = longest > TEXT_MAX / 2 ? TEXT_MAX / 2 : longest;
    }
    return true;
}

static bool add_concat(cse_state *s, candidates *c, einc__node *list, int i) {
    if (c->nconcat == c->ccap) {
        int cap = c->ccap ? c->ccap * 2 : 16;
        einc__node **nl = einc__arena_alloc(s->e->arena, sizeof(einc__node *) * (size_t)cap);
        int *ni = einc__arena_alloc(s->e->arena, sizeof(int) * (size_t)cap);
        if (!nl || !ni) return false;
        if (c->nconcat) memcpy(nl, c->concat_list, sizeof(einc__node *) * (size_t)c->nconcat);
        if (c->nconcat) memcpy(ni, c->concat_index, sizeof(int) * (size_t)c->nconcat);
        spend(s, c->nconcat);
        c->concat_list = nl;
        c->concat_index = ni;
        c->ccap = cap;
    }
    c->concat_list[c->nconcat] = list;
    c->concat_index[c->nconcat++] = i;
    return true;
}

/* The candidate lists and concatenations, in the order of a walk of the trees. */
static bool collect_lists(cse_state *s, candidates *c, einc__node *n, bool in_paren, bool in_brackets) {
    in_paren = in_paren || n->kind == EINC__N_FLAT;
    in_brackets = in_brackets || n->kind == EINC__N_BRACKET;
    if (n->kind == EINC__N_LIST) c->order++;
    if (n->n >= 2 && list_ok(s, n, in_paren, in_brackets) && !add_list(s, c, n)) return false;
    if (s->over) return true;
    if (s->concat_ok && n->kind == EINC__N_LIST && (s->in_brackets_ok || !in_brackets))
        for (int i = 0; i < n->n; i++)
            if (n->c[i]->kind == EINC__N_CONCAT && !(n->c[i]->scratch & (F_BRACKET | F_BLOCKED)) &&
                !add_concat(s, c, n, i))
                return false;
    for (int i = 0; i < n->n; i++)
        if (!collect_lists(s, c, n->c[i], in_paren, in_brackets)) return false;
    return true;
}

/* The runs of length `len` of one list, in order of their start. */
static bool list_runs(cse_state *s, const cand_list *cl, int len) {
    char buf[TEXT_MAX];
    einc__node *n = cl->list;
    for (int start = 0; start + len <= n->n; start++) {
        spend(s, 1);
        if (cl->seg_end[start] < start + len) { /* nor can runs starting before seg_end */
            if (cl->seg_end[start] - 1 > start) start = cl->seg_end[start] - 1;
            continue;
        }
        if (cl->chars[start + len] - cl->chars[start] + (len - 1) + 1 >= TEXT_MAX) continue; /* too long */
        einc__sb sb;
        einc__sb_init(&sb, buf, TEXT_MAX);
        for (int i = start; i < start + len; i++) {
            if (i > start) einc__sb_printf(&sb, " ");
            einc__node_print(&sb, n->c[i]);
        }
        if (sb.len + 1 >= TEXT_MAX) continue; /* too long to compare reliably: not a candidate */
        if (!add_run(s, n, start, len, buf, sb.len)) return false;
        if (s->over) return true;
    }
    return true;
}

static void count_syms(cse_state *s, const einc__node *n, int *counts, int *touched, int *ntouched) {
    EINC__STEPS(s->ctx, 1);
    --*s->work;
    if (n->kind == EINC__N_AXIS && n->sym >= 0) {
        if (touched && counts[n->sym] == 0) touched[(*ntouched)++] = n->sym;
        counts[n->sym]++;
    }
    for (int i = 0; i < n->n; i++) count_syms(s, n->c[i], counts, touched, ntouched);
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

/* Records item `id` as the owner of every symbol under n; false when a symbol already belongs
 * to another item of the run. */
static bool own_syms(cse_state *s, const einc__node *n, int *owner, int id, int *touched, int *nt) {
    EINC__STEPS(s->ctx, 1);
    --*s->work;
    if (n->kind == EINC__N_AXIS && n->sym >= 0) {
        if (owner[n->sym] == 0) {
            owner[n->sym] = id;
            touched[(*nt)++] = n->sym;
        } else if (owner[n->sym] != id) {
            return false;
        }
    }
    for (int i = 0; i < n->n; i++)
        if (!own_syms(s, n->c[i], owner, id, touched, nt)) return false;
    return true;
}

/* Whether the runs of group g may be merged: no two occurrences overlap, no two items of the
 * first share an axis, every occurrence of their axes lies in an occurrence, none is blocked, at
 * least one axis. `counts` is all zero on entry and on return; `total` counts every occurrence
 * of each symbol; `touched` has room for every symbol. */
static bool group_valid(cse_state *s, const group *g, const int *total, int *counts, int *touched) {
    /* same text, same length: two occurrences overlap when they are in the same list and their
     * starts are closer than the length (members are in collection order: per list, ascending) */
    for (int k = 1; k < g->count; k++) {
        const run *a = &s->runs[g->members[k - 1]], *b = &s->runs[g->members[k]];
        if (a->list == b->list && a->start < b->start + b->len && b->start < a->start + a->len) return false;
    }
    spend(s, g->count);
    /* a run repeating an axis ("(a a)") is not a unit: its length decides a's */
    const run *r = &s->runs[g->first];
    int nt = 0;
    bool keep = true;
    for (int k = r->start; k < r->start + r->len && keep; k++)
        keep = own_syms(s, r->list->c[k], counts, k + 1, touched, &nt);
    for (int j = 0; j < nt; j++) counts[touched[j]] = 0;
    if (!keep) return false;
    nt = 0;
    for (int k = 0; k < g->count; k++) {
        const run *o = &s->runs[g->members[k]];
        for (int i = o->start; i < o->start + o->len; i++) count_syms(s, o->list->c[i], counts, touched, &nt);
    }
    bool any_axis = nt > 0;
    for (int j = 0; j < nt && keep; j++) {
        int y = touched[j];
        if (counts[y] != total[y] || s->blocked_sym[y]) keep = false;
    }
    for (int j = 0; j < nt; j++) counts[touched[j]] = 0;
    return keep && any_axis;
}

/* Resets the run and group tables for the candidates of one length. */
static void reset_runs(cse_state *s) {
    s->nruns = 0;
    s->ngroups = 0;
    einc__strtab_init(&s->texts, s->e->arena);
}

/* Among the runs collected (one length, in collection order), the first whose group may be
 * merged, or -1; -2 on allocation failure. */
static int first_valid(cse_state *s, const int *total, int *counts, int *touched) {
    if (s->nruns == 0) return -1;
    int *members = einc__arena_alloc(s->e->arena, sizeof(int) * (size_t)s->nruns);
    if (!members) return -2;
    for (int g = 0, at = 0; g < s->ngroups; g++) {
        s->groups[g].members = members + at;
        at += s->groups[g].count;
        s->groups[g].count = 0;
    }
    for (int i = 0; i < s->nruns; i++) {
        group *g = &s->groups[s->runs[i].group];
        g->members[g->count++] = i;
    }
    spend(s, 2 * s->nruns);
    for (int k = 0; k < s->nruns && !s->over; k++) {
        group *g = &s->groups[s->runs[k].group];
        if (g->valid < 0) g->valid = group_valid(s, g, total, counts, touched) ? 1 : 0;
        if (*s->work < 0) s->over = true;
        if (g->valid && !s->over) return k;
    }
    return -1;
}

/* Finds the longest valid candidate and merges all its occurrences. Returns 1 if one was merged,
 * 0 if none is left, -1 on failure (allocation, or the work budget: recorded). The candidates
 * are made one length at a time, longest first: a run's occurrences all have its length, and the
 * search stops at the first length with a valid one. */
static int merge_one(einc__expr *e, bool in_brackets_ok, bool concat_ok, int index, int64_t *work) {
    einc__arena *A = e->arena;
    cse_state s = {e, A->ctx, NULL, 0, 0, NULL, 0, 0, {0}, in_brackets_ok, concat_ok, NULL, work, false};
    int nsyms = e->nsyms ? e->nsyms : 1;
    s.blocked_sym = einc__arena_alloc(A, sizeof(bool) * (size_t)nsyms);
    int *total = einc__arena_alloc(A, sizeof(int) * (size_t)nsyms);
    int *counts = einc__arena_alloc(A, sizeof(int) * (size_t)nsyms);
    int *touched = einc__arena_alloc(A, sizeof(int) * (size_t)nsyms);
    if (!s.blocked_sym || !total || !counts || !touched) return -1;
    spend(&s, 4 * nsyms);

    /* per pass: kinds below each node, axes that no candidate can cover, then the candidates */
    for (int i = 0; i < e->ninputs; i++) kind_flags(&s, e->in[i]);
    for (int i = 0; i < e->noutputs; i++) kind_flags(&s, e->out[i]);
    for (int i = 0; i < e->ninputs; i++) block_uncovered(&s, e->in[i], false, false, false);
    for (int i = 0; i < e->noutputs; i++) block_uncovered(&s, e->out[i], false, false, false);
    for (int c = 0; c < e->nconstraints; c++)
        if (e->con_sym[c] >= 0 && e->con_sym[c] < e->nsyms) s.blocked_sym[e->con_sym[c]] = true;
    for (int i = 0; i < e->ninputs; i++) blocked_flags(&s, e->in[i]);
    for (int i = 0; i < e->noutputs; i++) blocked_flags(&s, e->out[i]);
    int unused = 0;
    for (int i = 0; i < e->ninputs; i++) count_syms(&s, e->in[i], total, NULL, &unused);
    for (int i = 0; i < e->noutputs; i++) count_syms(&s, e->out[i], total, NULL, &unused);
    candidates c;
    memset(&c, 0, sizeof c);
    einc__strtab_init(&c.item_texts, A);
    for (int i = 0; i < e->ninputs && !s.over; i++)
        if (!collect_lists(&s, &c, e->in[i], false, false)) return -1;
    for (int i = 0; i < e->noutputs && !s.over; i++)
        if (!collect_lists(&s, &c, e->out[i], false, false)) return -1;
    if (s.over || *work < 0) goto over;
    if (!find_breaks(&s, &c)) return -1;

    /* lists by their longest stretch, longest first (a counting sort); the lists taking part at
     * a length are those whose stretch reaches it, kept in collection order */
    int maxlen = 0;
    for (int i = 0; i < c.nlists; i++)
        if (c.lists[i].longest > maxlen) maxlen = c.lists[i].longest;
    int *start_of = einc__arena_alloc(A, sizeof(int) * (size_t)(maxlen + 2));
    int *bylen = einc__arena_alloc(A, sizeof(int) * (size_t)(c.nlists + 1));
    int *active = einc__arena_alloc(A, sizeof(int) * (size_t)(c.nlists + 1));
    int *merged = einc__arena_alloc(A, sizeof(int) * (size_t)(c.nlists + 1));
    if (!start_of || !bylen || !active || !merged) return -1;
    for (int i = 0; i < c.nlists; i++) start_of[maxlen - c.lists[i].longest + 1]++;
    for (int l = 1; l <= maxlen + 1; l++) start_of[l] += start_of[l - 1];
    for (int i = 0; i < c.nlists; i++) bylen[start_of[maxlen - c.lists[i].longest]++] = i;
    /* start_of[k] now ends the lists of longest == maxlen - k */
    spend(&s, 2 * c.nlists + maxlen);
    int nactive = 0, taken = 0;
    for (int len = maxlen > 1 ? maxlen : 1; len >= 1; len--) {
        if (len >= 2) {
            /* lists whose longest stretch is len join, merged into collection order */
            int end = start_of[maxlen - len], from = taken;
            if (end > from) {
                int i = 0, j = from, m = 0;
                while (i < nactive || j < end) {
                    if (j >= end || (i < nactive && active[i] < bylen[j])) merged[m++] = active[i++];
                    else merged[m++] = bylen[j++];
                }
                int *t = active;
                active = merged;
                merged = t;
                nactive = m;
                taken = end;
                spend(&s, m);
            }
        }
        reset_runs(&s);
        if (len >= 2) {
            for (int k = 0; k < nactive && !s.over; k++)
                if (!list_runs(&s, &c.lists[active[k]], len)) return -1;
        } else {
            char buf[TEXT_MAX];
            for (int k = 0; k < c.nconcat && !s.over; k++) {
                einc__sb sb;
                einc__sb_init(&sb, buf, sizeof buf);
                einc__node_print(&sb, c.concat_list[k]->c[c.concat_index[k]]);
                if (sb.len + 1 >= sizeof buf) continue;
                if (!add_run(&s, c.concat_list[k], c.concat_index[k], 1, buf, sb.len)) return -1;
            }
        }
        if (s.over) goto over;
        int k = first_valid(&s, total, counts, touched);
        if (k == -2) return -1;
        if (s.over) goto over;
        if (k < 0) continue;
        group *g = &s.groups[s.runs[k].group];
        int sym = new_group_sym(e, &s.runs[k], index);
        if (sym < 0) return -1;
        /* replace right to left within a list so that earlier positions stay valid */
        for (int m = g->count - 1; m >= 0; m--) {
            run *o = &s.runs[g->members[m]];
            if (o->taken) continue;
            o->taken = true;
            if (!replace_run(e, o, sym)) return -1;
        }
        return 1;
    }
    return 0;
over:
    einc__error(A->ctx, EINC_EUNSUPPORTED,
                "The expression \"%.200s%s\" is too complex: merging its parenthesised groups (common "
                "subexpressions) needs more work than the bound for its size",
                e->desc->text, strlen(e->desc->text) > 200 ? "..." : "");
    return -1;
}

static int64_t tree_nodes(const einc__node *n) {
    int64_t k = 1;
    for (int i = 0; i < n->n; i++) k += tree_nodes(n->c[i]);
    return k;
}

bool einc__cse(einc__expr *e, bool in_brackets_ok) { return einc__cse_with(e, in_brackets_ok, false); }

bool einc__cse_with(einc__expr *e, bool in_brackets_ok, bool concat_ok) {
    /* the work bound: generous for any expression a person writes, linear in the tree */
    int64_t nodes = 0;
    for (int i = 0; i < e->ninputs; i++) nodes += tree_nodes(e->in[i]);
    for (int i = 0; i < e->noutputs; i++) nodes += tree_nodes(e->out[i]);
    EINC__STEPS(e->arena->ctx, nodes);
    int64_t work = 2000000 + 64 * nodes;
    for (int index = 0;; index++) {
        int r = merge_one(e, in_brackets_ok, concat_ok, index, &work);
        if (r < 0) return false;
        if (r == 0) return true;
    }
}
