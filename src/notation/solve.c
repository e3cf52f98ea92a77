/* solve.c — axis lengths (spec §2.4).
 *
 * Unknowns are the lengths of the expanded axes. Equations: each input's i-th top-level item has
 * the tensor's i-th size; constraints fix axes; unnamed axes have their written length. A list
 * (inside parentheses) is the product of its items, a concatenation the sum of its pieces.
 * Propagation runs to a fixpoint: a product with one unknown factor is solved by exact division,
 * a product of k copies of one unknown by an integer k-th root ("(a a)"), a sum with one unknown
 * by subtraction. Every length must be a positive integer. Anything still unknown afterwards is
 * "cannot determine uniquely"; anything inconsistent is "contradiction" — two different errors,
 * as in einx.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "notation.h"

typedef struct {
    einc__expr *e;
    bool changed;
    bool contradiction;
} solver;

static int64_t size_of(const einc__expr *e, const einc__node *n) {
    EINC__STEPS(e->arena->ctx, 1);
    switch (n->kind) {
    case EINC__N_AXIS: return e->syms[n->sym].size;
    case EINC__N_FLAT:
    case EINC__N_BRACKET: return size_of(e, n->c[0]);
    case EINC__N_CONCAT: {
        int64_t s = 0;
        for (int i = 0; i < n->n; i++) {
            int64_t v = size_of(e, n->c[i]);
            if (v < 0 || __builtin_add_overflow(s, v, &s)) return -1;
        }
        return s;
    }
    default: {
        int64_t p = 1;
        for (int i = 0; i < n->n; i++) {
            int64_t v = size_of(e, n->c[i]);
            if (v < 0 || __builtin_mul_overflow(p, v, &p)) return -1;
        }
        return p;
    }
    }
}

int64_t einc__node_size(const einc__expr *e, const einc__node *n) { return size_of(e, n); }

int einc__root_dims(const einc__node *root, const einc__node **out, int cap) {
    int n = 0;
    for (int i = 0; i < root->n; i++) {
        const einc__node *c = root->c[i];
        if (c->kind == EINC__N_BRACKET) {
            for (int k = 0; k < c->c[0]->n; k++) {
                if (n < cap) out[n] = c->c[0]->c[k];
                n++;
            }
        } else {
            if (n < cap) out[n] = c;
            n++;
        }
    }
    return n;
}

static void assign(solver *s, int sym, int64_t value) {
    einc__sym *y = &s->e->syms[sym];
    if (value <= 0) {
        s->contradiction = true;
        return;
    }
    if (y->size < 0) {
        y->size = value;
        s->changed = true;
    } else if (y->size != value) {
        s->contradiction = true;
    }
}

/* Integer k-th root of v, or -1 when v is not a perfect k-th power. */
static int64_t int_root(int64_t v, int k) {
    int64_t r = (int64_t)llround(pow((double)v, 1.0 / k));
    for (int64_t c = r > 1 ? r - 1 : 1; c <= r + 1; c++) {
        int64_t p = 1;
        bool over = false;
        for (int i = 0; i < k && !over; i++) over = __builtin_mul_overflow(p, c, &p);
        if (!over && p == v) return c;
    }
    return -1;
}

/* Pushes "n has length target" down the tree as far as it determines anything. */
static void push(solver *s, const einc__node *n, int64_t target) {
    if (s->contradiction) return;
    if (target <= 0) {
        s->contradiction = true;
        return;
    }
    einc__expr *e = s->e;
    EINC__STEPS(e->arena->ctx, 1);
    switch (n->kind) {
    case EINC__N_AXIS: assign(s, n->sym, target); return;
    case EINC__N_FLAT:
    case EINC__N_BRACKET: push(s, n->c[0], target); return;
    case EINC__N_CONCAT: {
        int64_t known = 0;
        int unknown = -1, nunknown = 0;
        for (int i = 0; i < n->n; i++) {
            int64_t v = size_of(e, n->c[i]);
            if (v < 0) {
                unknown = i;
                nunknown++;
            } else if (__builtin_add_overflow(known, v, &known)) {
                s->contradiction = true;
                return;
            }
        }
        if (nunknown == 0) {
            if (known != target) s->contradiction = true;
        } else if (nunknown == 1) {
            push(s, n->c[unknown], target - known);
        }
        return;
    }
    default: {
        int64_t known = 1;
        int unknown = -1, nunknown = 0;
        bool same_axis = true;
        int axis_sym = -1;
        for (int i = 0; i < n->n; i++) {
            int64_t v = size_of(e, n->c[i]);
            if (v >= 0) {
                if (__builtin_mul_overflow(known, v, &known)) { /* larger than any tensor can be */
                    s->contradiction = true;
                    return;
                }
                continue;
            }
            nunknown++;
            unknown = i;
            if (n->c[i]->kind != EINC__N_AXIS || (axis_sym >= 0 && n->c[i]->sym != axis_sym)) same_axis = false;
            else axis_sym = n->c[i]->sym;
        }
        if (nunknown == 0) {
            if (known != target) s->contradiction = true;
        } else if (target % known != 0) {
            s->contradiction = true;
        } else if (nunknown == 1) {
            push(s, n->c[unknown], target / known);
        } else if (same_axis) {
            int64_t r = int_root(target / known, nunknown);
            if (r < 0) s->contradiction = true;
            else assign(s, axis_sym, r);
        }
        return;
    }
    }
}

static void mark_unknown(const einc__expr *e, const einc__node *n, bool *unknown, einc__marks *m) {
    if (n->kind == EINC__N_AXIS && n->sym >= 0 && e->syms[n->sym].size < 0) {
        unknown[n->sym] = true;
        einc__marks_range(m, n->begin, n->end);
    }
    for (int i = 0; i < n->n; i++) mark_unknown(e, n->c[i], unknown, m);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* "Failed to uniquely determine the size of the axes a, b." — names as the user wrote them. */
static bool undetermined(einc__expr *e) {
    einc__marks m;
    if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
    bool *unknown = einc__arena_alloc(e->arena, sizeof(bool) * (size_t)e->nsyms);
    const char **names = einc__arena_alloc(e->arena, sizeof(char *) * (size_t)e->nsyms);
    if (!unknown || !names) return false;
    for (int i = 0; i < e->ninputs; i++) mark_unknown(e, e->in[i], unknown, &m);
    for (int i = 0; i < e->noutputs; i++) mark_unknown(e, e->out[i], unknown, &m);
    int n = 0;
    for (int i = 0; i < e->nsyms; i++)
        if (unknown[i]) names[n++] = e->syms[i].name;
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    char list[1024];
    einc__sb sb;
    einc__sb_init(&sb, list, sizeof list);
    for (int i = 0; i < n; i++) einc__sb_printf(&sb, "%s%s", i ? ", " : "", names[i]);
    return einc__notation_error(e, EINC_EAXISSIZE, &m, NULL, EINC__EQ_AXES,
                                "Failed to uniquely determine the size of the %s %s. Please provide more constraints.",
                                n == 1 ? "axis" : "axes", list);
}

static bool contradiction(einc__expr *e) {
    einc__marks m;
    if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
    return einc__notation_error(e, EINC_EAXISSIZE, &m, NULL, EINC__EQ_AXES,
                                "Failed to determine the size of all axes in the expression under the given "
                                "constraints.");
}

static bool all_known(const einc__expr *e, const einc__node *n) {
    if (n->kind == EINC__N_AXIS && n->sym >= 0 && e->syms[n->sym].size < 0) return false;
    for (int i = 0; i < n->n; i++)
        if (!all_known(e, n->c[i])) return false;
    return true;
}

bool einc__solve(einc__expr *e) {
    solver s = {e, false, false};
    for (int i = 0; i < e->nsyms; i++) {
        e->syms[i].size = -1;
        if (e->syms[i].fixed >= 0) assign(&s, i, e->syms[i].fixed);
    }
    for (int c = 0; c < e->nconstraints; c++) assign(&s, e->con_sym[c], e->con_value[c]);
    const einc__call *call = e->call;
    do {
        s.changed = false;
        for (int i = 0; i < e->ninputs && !s.contradiction; i++) {
            if (!call || i >= call->ntensors || call->ndims[i] < 0) continue;
            const einc__node *dims[EINC_MAX_DIMS + 1];
            int nd = einc__root_dims(e->in[i], dims, EINC_MAX_DIMS + 1);
            if (nd != call->ndims[i]) {
                s.contradiction = true;
                break;
            }
            for (int k = 0; k < nd; k++) push(&s, dims[k], call->shapes[i][k]);
        }
    } while (s.changed && !s.contradiction);
    if (s.contradiction) return contradiction(e);
    for (int i = 0; i < e->ninputs; i++)
        if (!all_known(e, e->in[i])) return undetermined(e);
    for (int i = 0; i < e->noutputs; i++)
        if (!all_known(e, e->out[i])) return undetermined(e);
    /* every output must be addressable: its element count fits in 64 bits */
    for (int i = 0; i < e->noutputs; i++) {
        const einc__node *dims[EINC_MAX_DIMS + 1];
        int nd = einc__root_dims(e->out[i], dims, EINC_MAX_DIMS + 1);
        int64_t total = 1;
        bool overflow = false;
        for (int k = 0; k < nd && k <= EINC_MAX_DIMS && !overflow; k++) {
            int64_t v = size_of(e, dims[k]);
            overflow = v < 0 || __builtin_mul_overflow(total, v, &total);
        }
        if (overflow) {
            einc__marks m;
            if (!einc__marks_init(e->arena, &m, e->desc->text)) return false;
            char ord[16];
            return einc__notation_error(e, EINC_EOVERFLOW, &m, NULL, EINC__EQ_AXES,
                                        "The %s output expression has more elements than fit in 64 bits.",
                                        einc__ordinal(i, ord, sizeof ord));
        }
    }
    return true;
}
