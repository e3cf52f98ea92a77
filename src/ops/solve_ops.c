/* solve_ops.c — einx's solve_axes, solve_shapes, matches and check (spec §3.8).
 *
 * The expression is a list of operand expressions; each operand has a shape or none (unknown).
 * The front end runs as for an operation without outputs: expand ellipses (unknown ranks are
 * left to the other operands and the constraints), merge groups (not for solve_axes, which
 * reports every axis; never inside brackets; concatenations too) and solve the lengths.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../notation/front.h"

einc_shape einc_shape_of(const einc_tensor *t) {
    einc_shape s;
    memset(&s, 0, sizeof s);
    if (!t) {
        s.ndim = -1;
        return s;
    }
    s.ndim = t->ndim;
    memcpy(s.dims, t->shape, sizeof(int64_t) * (size_t)t->ndim);
    return s;
}

/* Validates the arguments every solver takes. */
static bool check_args(einc_ctx *ctx, const char *fname, const char *expr, int n, const einc_shape *shapes,
                       einc_axes axes) {
    if (!expr) {
        einc__error(ctx, EINC_EINVAL, "%s: expression is NULL", fname);
        return false;
    }
    if (n < 0 || (n > 0 && !shapes)) {
        einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): %s (n = %d)", fname, expr,
                    n < 0 ? "the number of shapes is negative" : "shapes is NULL", n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const einc_shape *s = &shapes[i];
        if (s->ndim < -1 || s->ndim > EINC_MAX_DIMS) {
            einc__error(ctx, EINC_EINVAL,
                        "%s(\"%s\"): shape #%d has %d dimensions (-1 for an unknown shape, at most %d)", fname, expr,
                        i + 1, s->ndim, EINC_MAX_DIMS);
            return false;
        }
        for (int k = 0; k < s->ndim; k++)
            if (s->dims[k] < 0) {
                char buf[512];
                einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): shape #%d %s has a negative dimension", fname, expr, i + 1,
                            einc__shape_str(buf, sizeof buf, s->ndim, s->dims));
                return false;
            }
    }
    if (axes.n < 0 || (axes.n > 0 && !axes.v)) {
        einc__error(ctx, EINC_EINVAL, "%s: invalid constraints (n = %d)", fname, axes.n);
        return false;
    }
    return true;
}

/* The front end's hook after parsing: one expression per shape. */
static bool parsed(void *user, einc__front *f) {
    einc__arena *a = user;
    if (f->d.ninputs == f->call.ntensors) return true;
    einc__error(a->ctx, EINC_EVALUE,
                "The number of input expressions (found %d) must match the number of input tensors (found %d)",
                f->d.ninputs, f->call.ntensors);
    return false;
}

/* The front end for the solvers (groups merged if `cse`, concatenations included). */
static bool resolve(einc__arena *a, const char *expr, int n, const einc_shape *shapes, einc_axes axes, bool cse,
                    einc__front *f) {
    /* einx checks the text before parsing: nested arrows ("a [b -> c]") are refused too */
    if (strstr(expr, "->"))
        return einc__literal_error(a, EINC_ESYNTAX, expr, "->", "The expression must not contain a '->' operator.");
    int *ndims = einc__arena_alloc(a, sizeof(int) * (size_t)(n + 1));
    const int64_t **dims = einc__arena_alloc(a, sizeof(int64_t *) * (size_t)(n + 1));
    if (!ndims || !dims) return false;
    for (int i = 0; i < n; i++) {
        ndims[i] = shapes[i].ndim;
        dims[i] = shapes[i].dims;
    }
    einc__front_spec spec = {expr,   n,    NULL, ndims, dims, axes, cse ? EINC__CSE | EINC__CSE_CONCAT : 0u,
                             parsed, NULL, a};
    return einc__front_run(a, &spec, f);
}

/* ---- solve_axes -------------------------------------------------------------------------------- */

typedef struct {
    const char *base; /* user name                                          */
    size_t len;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
} axis_info;

/* Splits "s.1.0" into its base length and indices; returns the number of indices (-1 if too many). */
static int split_name(const char *name, size_t *base_len, int64_t *idx) {
    const char *dot = strchr(name, '.');
    *base_len = dot ? (size_t)(dot - name) : strlen(name);
    int n = 0;
    while (dot) {
        if (n == EINC_MAX_DIMS) return -1;
        idx[n++] = strtoll(dot + 1, NULL, 10);
        dot = strchr(dot + 1, '.');
    }
    return n;
}

static int find_info(const axis_info *v, int n, const char *name, size_t len) {
    for (int i = 0; i < n; i++)
        if (v[i].len == len && strncmp(v[i].base, name, len) == 0) return i;
    return -1;
}

/* Preorder over the expanded inputs: every user-visible axis in order of first appearance. */
static void collect_axes(const einc__expr *e, const einc__node *n, int *order, int *norder, bool *seen) {
    if (n->kind == EINC__N_AXIS && n->sym >= 0 && e->syms[n->sym].user_visible && !seen[n->sym]) {
        seen[n->sym] = true;
        order[(*norder)++] = n->sym;
    }
    for (int i = 0; i < n->n; i++) collect_axes(e, n->c[i], order, norder, seen);
}

static einc_solution *build_solution(einc__arena *a, const einc__expr *e) {
    einc_ctx *ctx = a->ctx;
    int *order = einc__arena_alloc(a, sizeof(int) * (size_t)(e->nsyms + 1));
    bool *seen = einc__arena_alloc(a, sizeof(bool) * (size_t)(e->nsyms + 1));
    axis_info *info = einc__arena_alloc(a, sizeof(axis_info) * (size_t)(e->nsyms + 1));
    if (!order || !seen || !info) return NULL;
    int norder = 0, ninfo = 0;
    for (int i = 0; i < e->ninputs; i++) collect_axes(e, e->in[i], order, &norder, seen);
    /* the extent of every base name's index array; einx's arrays are rectangular */
    size_t name_bytes = 0;
    for (int k = 0; k < norder; k++) {
        int64_t idx[EINC_MAX_DIMS];
        size_t len;
        int nd = split_name(e->syms[order[k]].name, &len, idx);
        if (nd < 0) {
            einc__error(ctx, EINC_EUNSUPPORTED, "solve_axes: axis %s is nested under more than %d ellipses",
                        e->syms[order[k]].name, EINC_MAX_DIMS);
            return NULL;
        }
        int at = find_info(info, ninfo, e->syms[order[k]].name, len);
        if (at < 0) {
            at = ninfo++;
            info[at].base = e->syms[order[k]].name;
            info[at].len = len;
            info[at].ndim = nd;
            name_bytes += len + 1;
        }
        for (int d = 0; d < nd && d < info[at].ndim; d++)
            if (idx[d] + 1 > info[at].shape[d]) info[at].shape[d] = idx[d] + 1;
    }
    int64_t nvalues = 0;
    for (int i = 0; i < ninfo; i++) {
        int64_t c = 1;
        for (int d = 0; d < info[i].ndim; d++) c *= info[i].shape[d];
        nvalues += c;
    }
    size_t head = (sizeof(einc_solution) + 15) & ~(size_t)15;
    size_t axes_bytes = (sizeof(einc_solved_axis) * (size_t)ninfo + 15) & ~(size_t)15;
    size_t bytes = head + axes_bytes + sizeof(int64_t) * (size_t)nvalues + name_bytes;
    char *block = einc__alloc(ctx, bytes);
    if (!block) return NULL;
    memset(block, 0, bytes);
    einc_solution *s = (einc_solution *)block;
    einc_solved_axis *out = (einc_solved_axis *)(block + head);
    int64_t *values = (int64_t *)(block + head + axes_bytes);
    char *names = (char *)(values + nvalues);
    s->naxes = ninfo;
    s->axes = out;
    s->ctx_ = ctx;
    s->bytes_ = bytes;
    for (int i = 0; i < ninfo; i++) {
        memcpy(names, info[i].base, info[i].len);
        names[info[i].len] = '\0';
        out[i].name = names;
        names += info[i].len + 1;
        out[i].ndim = info[i].ndim;
        out[i].nvalues = 1;
        for (int d = 0; d < info[i].ndim; d++) {
            out[i].shape[d] = info[i].shape[d];
            out[i].nvalues *= info[i].shape[d];
        }
        out[i].values = values;
        values += out[i].nvalues;
    }
    for (int k = 0; k < norder; k++) {
        const einc__sym *y = &e->syms[order[k]];
        int64_t idx[EINC_MAX_DIMS];
        size_t len;
        int nd = split_name(y->name, &len, idx);
        const einc_solved_axis *ax = &out[find_info(info, ninfo, y->name, len)];
        int64_t flat = 0;
        for (int d = 0; d < nd && d < ax->ndim; d++) flat = flat * ax->shape[d] + idx[d];
        ((int64_t *)ax->values)[flat] = y->size;
    }
    return s;
}

einc_solution *einc_solve_axes(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    if (!ctx || !check_args(ctx, "einc_solve_axes", expr, n, shapes, axes)) return NULL;
    einc__arena a;
    einc__arena_init(&a, ctx);
    einc__front f;
    einc_solution *s = NULL;
    if (resolve(&a, expr, n, shapes, axes, false, &f)) s = build_solution(&a, &f.e);
    if (!s && einc_errcode(ctx) == EINC_OK) einc__error(ctx, EINC_ENOMEM, "out of memory solving \"%s\"", expr);
    einc__arena_free(&a);
    return s;
}

void einc_solution_free(einc_solution *s) {
    EINC__OWNED(s ? s->ctx_ : NULL, );
    if (s) einc__free(s->ctx_, s, s->bytes_);
}

const einc_solved_axis *einc_solution_find(const einc_solution *s, const char *name) {
    if (!s || !name) return NULL;
    for (int i = 0; i < s->naxes; i++)
        if (strcmp(s->axes[i].name, name) == 0) return &s->axes[i];
    return NULL;
}

int64_t einc_solution_size(const einc_solution *s, const char *name) {
    const einc_solved_axis *a = einc_solution_find(s, name);
    return a && a->ndim == 0 ? a->values[0] : -1;
}

/* ---- solve_shapes, check, matches ------------------------------------------------------------- */

static einc_status shapes_of(einc_ctx *ctx, const char *fname, const char *expr, int n, const einc_shape *shapes,
                             einc_shape *out, einc_axes axes) {
    if (!check_args(ctx, fname, expr, n, shapes, axes)) return EINC_EINVAL;
    einc__arena a;
    einc__arena_init(&a, ctx);
    einc__front f;
    bool ok = resolve(&a, expr, n, shapes, axes, true, &f);
    const einc__expr *e = &f.e;
    for (int i = 0; ok && out && i < n; i++) {
        const einc__node *dims[EINC_MAX_DIMS + 1];
        int nd = einc__root_dims(e->in[i], dims, EINC_MAX_DIMS + 1);
        if (nd > EINC_MAX_DIMS) { /* only an unknown shape can get here */
            einc__error(ctx, EINC_EUNSUPPORTED, "%s(\"%s\"): operand #%d would have %d dimensions (at most %d)", fname,
                        expr, i + 1, nd, EINC_MAX_DIMS);
            ok = false;
            break;
        }
        out[i].ndim = nd;
        for (int k = 0; k < nd; k++) out[i].dims[k] = einc__node_size(e, dims[k]);
    }
    if (!ok && einc_errcode(ctx) == EINC_OK) einc__error(ctx, EINC_ENOMEM, "out of memory solving \"%s\"", expr);
    einc__arena_free(&a);
    return ok ? EINC_OK : einc_errcode(ctx);
}

einc_status einc_solve_shapes(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes, einc_shape *out,
                              einc_axes axes) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!out && n > 0) return einc__error(ctx, EINC_EINVAL, "einc_solve_shapes: out is NULL");
    /* out may alias shapes: solve on a copy */
    einc_shape *tmp = n > 0 ? einc__alloc(ctx, sizeof(einc_shape) * (size_t)n) : NULL;
    if (n > 0 && !tmp) return EINC_ENOMEM;
    einc_status st = shapes_of(ctx, "einc_solve_shapes", expr, n, shapes, tmp, axes);
    if (st == EINC_OK && n > 0) memcpy(out, tmp, sizeof(einc_shape) * (size_t)n);
    if (tmp) einc__free(ctx, tmp, sizeof(einc_shape) * (size_t)n);
    return st;
}

einc_status einc_check(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes, einc_axes axes) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    return shapes_of(ctx, "einc_check", expr, n, shapes, NULL, axes);
}

bool einc_matches(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes, einc_axes axes) {
    EINC__OWNED(ctx, false);
    if (!ctx) return false;
    if (!check_args(ctx, "einc_matches", expr, n, shapes, axes)) return false;
    /* a recorded error would hide this call's: set it aside and put it back afterwards */
    einc_status saved = ctx->status;
    char *saved_msg = NULL;
    if (saved != EINC_OK) {
        saved_msg = einc__alloc(ctx, EINC_ERRMSG_SIZE);
        if (!saved_msg) return false;
        memcpy(saved_msg, ctx->errmsg, EINC_ERRMSG_SIZE);
        ctx->status = EINC_OK;
        ctx->errmsg[0] = '\0';
    }
    einc_status st = shapes_of(ctx, "einc_matches", expr, n, shapes, NULL, axes);
    bool keep = st == EINC_ENOMEM || st == EINC_EINVAL;
    if (st != EINC_OK && !keep) einc_clear_error(ctx);
    if (saved_msg) {
        ctx->status = saved;
        memcpy(ctx->errmsg, saved_msg, EINC_ERRMSG_SIZE);
        einc__free(ctx, saved_msg, EINC_ERRMSG_SIZE);
    }
    return st == EINC_OK;
}
