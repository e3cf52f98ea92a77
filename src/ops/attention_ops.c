/* attention_ops.c — einc_attention: the roles of q, k, v read off the expression, validated with
 * einx's errors, then the fused kernel (drivers/attention.c) on views of the operands.
 *
 * The front end runs as for every operation (parse, expand the ellipses, solve the lengths from
 * the shapes and constraints); then each axis' role follows from the operands it appears in
 * (include/einc/attention.h), and each operand is seen through a dimension map in the role
 * order, so no operand is copied or permuted.
 *
 * The roles depend only on the expression, the operands' shapes and dtypes and the constraints,
 * so they are cached in the context's plan cache (a hit costs a key and a hash, as a notation
 * call's plan does); only the bias is checked on every call.
 */
#include <math.h>

#include "../drivers/drivers.h"
#include "../notation/front.h"
#include "../plan/cache.h"
#include "../plan/rules.h"
#include "ops_internal.h"

enum { Q, K, V, O, NOPER };
static const char *const oper_name[NOPER] = {"q", "k", "v", "the output"};

typedef struct {
    einc__arena *a;
    einc__front fe;
} front;

/* A SemanticError (or `status`) with carets under node n. Returns false. */
static bool role_error(front *f, einc_status status, const einc__node *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static bool role_error(front *f, einc_status status, const einc__node *n, const char *fmt, ...) {
    einc__marks m;
    if (!einc__marks_init(f->a, &m, f->fe.d.text)) return false;
    if (n && n->end > n->begin) einc__marks_range(&m, n->begin, n->end);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    einc__expr e = f->fe.e;
    e.desc = &f->fe.d, e.arena = f->a, e.call = &f->fe.call;
    return einc__notation_error(&e, status, &m, NULL, EINC__EQ_NONE, "%s", msg);
}

/* Every dimension written must be one named axis or an ellipsis of one. */
static bool check_plain(front *f, const einc__node *root, int which) {
    for (int i = 0; i < root->n; i++) {
        const einc__node *it = root->c[i];
        const einc__node *ax = it->kind == EINC__N_ELLIPSIS ? it->c[0] : it; /* "x..." or "..." */
        if (ax->kind == EINC__N_AXIS && ax->value < 0) continue;
        return role_error(f, EINC_ESEMANTIC, it,
                          "einc_attention: every dimension of %s must be one named axis or an ellipsis of one (no "
                          "brackets, flattened, concatenated or unnamed axes)",
                          oper_name[which]);
    }
    return true;
}

/* Dimension index of `sym` in root r, or -1. */
static int dim_of(const einc__node *r, int sym) {
    for (int i = 0; i < r->n; i++)
        if (r->c[i]->kind == EINC__N_AXIS && r->c[i]->sym == sym) return i;
    return -1;
}

/* Reads the roles into map; `out_shape` gets the output's shape. */
static bool assign_roles(front *f, einc__attn_map *map, int64_t *out_shape, int *out_ndim) {
    einc__expr *e = &f->fe.e;
    const einc__node *root[NOPER] = {e->in[0], e->in[1], e->in[2], e->out[0]};
    for (int w = 0; w < NOPER; w++)
        for (int i = 0; i < root[w]->n; i++) {
            const einc__node *it = root[w]->c[i];
            if (it->kind != EINC__N_AXIS)
                return role_error(f, EINC_ESEMANTIC, it, "einc_attention: %s has a dimension that is not one axis",
                                  oper_name[w]);
            for (int j = 0; j < i; j++)
                if (root[w]->c[j]->sym == it->sym)
                    return role_error(f, EINC_ESEMANTIC, it, "einc_attention: axis '%s' appears twice in %s",
                                      e->syms[it->sym].name, oper_name[w]);
        }
    int role_sym[4] = {-1, -1, -1, -1}; /* N, M, d, e */
    static const char *const role_name[4] = {"query axis N (in q and the output only)", "key axis M (in k and v only)",
                                             "contraction axis d (in q and k only)",
                                             "value axis e (in v and the output only)"};
    static const unsigned role_set[4] = {1u << Q | 1u << O, 1u << K | 1u << V, 1u << Q | 1u << K, 1u << V | 1u << O};
    int nb = 0, batch[EINC_MAX_DIMS];
    /* batch axes in the output's order */
    for (int i = 0; i < root[O]->n; i++) {
        int s = root[O]->c[i]->sym;
        if (dim_of(root[Q], s) >= 0 && dim_of(root[K], s) >= 0 && dim_of(root[V], s) >= 0) {
            if (nb == EINC_MAX_DIMS - 2)
                return role_error(f, EINC_EUNSUPPORTED, root[O]->c[i], "einc_attention: more than %d batch axes",
                                  EINC_MAX_DIMS - 2);
            batch[nb++] = s;
        }
    }
    for (int w = 0; w < NOPER; w++)
        for (int i = 0; i < root[w]->n; i++) {
            const einc__node *it = root[w]->c[i];
            unsigned set = 0;
            for (int u = 0; u < NOPER; u++)
                if (dim_of(root[u], it->sym) >= 0) set |= 1u << u;
            if (set == 0xfu) continue;
            int r = 0;
            while (r < 4 && role_set[r] != set) r++;
            if (r == 4)
                return role_error(f, EINC_ESEMANTIC, it,
                                  "einc_attention: axis '%s' of %s has no role: an axis must be in q, k, v and the "
                                  "output (batch), or be the %s, %s, %s or %s",
                                  e->syms[it->sym].name, oper_name[w], role_name[0], role_name[1], role_name[2],
                                  role_name[3]);
            if (role_sym[r] >= 0 && role_sym[r] != it->sym)
                return role_error(f, EINC_ESEMANTIC, it, "einc_attention: two axes ('%s' and '%s') for the %s",
                                  e->syms[role_sym[r]].name, e->syms[it->sym].name, role_name[r]);
            role_sym[r] = it->sym;
        }
    for (int r = 0; r < 4; r++)
        if (role_sym[r] < 0)
            return role_error(f, EINC_ESEMANTIC, NULL,
                              r == 2 || r == 3
                                  ? "einc_attention: the expression has no %s; if v's axis is named like q's, name "
                                    "them apart (\"... N d, ... M d, ... M e -> ... N e\"): an axis in all four "
                                    "operands is a batch axis"
                                  : "einc_attention: the expression has no %s",
                              role_name[r]);
    map->nb = nb;
    int n_sym = role_sym[0], m_sym = role_sym[1], d_sym = role_sym[2], e_sym = role_sym[3];
    int lastq[2] = {n_sym, d_sym}, lastk[2] = {m_sym, d_sym}, lastv[2] = {m_sym, e_sym}, lasto[2] = {n_sym, e_sym};
    for (int i = 0; i < nb + 2; i++) {
        int bq = i < nb ? batch[i] : lastq[i - nb], bk = i < nb ? batch[i] : lastk[i - nb];
        int bv = i < nb ? batch[i] : lastv[i - nb], bo = i < nb ? batch[i] : lasto[i - nb];
        map->q[i] = dim_of(root[Q], bq), map->k[i] = dim_of(root[K], bk);
        map->v[i] = dim_of(root[V], bv), map->o[i] = dim_of(root[O], bo);
        map->scores[i] = i < nb ? e->syms[batch[i]].size : e->syms[i == nb ? n_sym : m_sym].size;
    }
    *out_ndim = root[O]->n;
    for (int i = 0; i < root[O]->n; i++) out_shape[i] = e->syms[root[O]->c[i]->sym].size;
    return true;
}

/* Whether the bias broadcasts to the scores [batch..., N, M]; *bad gets the scores' dimension
 * of the first mismatch (-1: too many dimensions). */
static bool bias_broadcasts(const einc__attn_map *map, const einc_tensor *bias, int *bad) {
    int n = map->nb + 2;
    *bad = -1;
    if (bias->ndim > n) return false;
    for (int i = 0; i < bias->ndim; i++) {
        int64_t b = bias->shape[bias->ndim - 1 - i], s = map->scores[n - 1 - i];
        if (b != 1 && b != s) return *bad = n - 1 - i, false;
    }
    return true;
}

/* The bias must broadcast to the scores: a ShapeError with a caret otherwise. */
static bool check_bias(front *f, const einc__attn_map *map, const einc_tensor *bias) {
    int n = map->nb + 2, bad;
    char bs[256], ss[256];
    if (bias_broadcasts(map, bias, &bad)) return true;
    const einc__node *at = NULL; /* the axis of the first mismatch: a batch axis or N in the output, M in k */
    if (bad >= 0 && bad < n - 1) at = f->fe.e.out[0]->c[map->o[bad]];
    if (bad == n - 1) at = f->fe.e.in[1]->c[map->k[map->nb]];
    return role_error(f, EINC_ESHAPE, at,
                      "einc_attention: the bias of shape %s does not broadcast to the scores %s (batch axes in the "
                      "output's order, then N, then M)",
                      einc__shape_str(bs, sizeof bs, bias->ndim, bias->shape),
                      einc__shape_str(ss, sizeof ss, n, map->scores));
}

static bool check_float(einc_ctx *ctx, const einc_tensor *t, const char *name) {
    if (einc__dtype_is_float(t->dtype)) return true;
    einc__error(ctx, EINC_EDTYPE, "einc_attention: %s has dtype %s; attention needs float32 or float64", name,
                einc_dtype_name(t->dtype));
    return false;
}

/* A bool mask as the additive bias it means: 0 where true (the query attends to the key), -inf
 * where false, as PyTorch's boolean attn_mask. The same shape as the mask (broadcast later). */
static einc_tensor *mask_bias(einc_ctx *ctx, einc_tensor *mask, einc_dtype dt) {
    einc_tensor *zero = einc_tensor_scalar(ctx, dt, 0.0), *ninf = einc_tensor_scalar(ctx, dt, -INFINITY);
    einc_tensor *b = zero && ninf ? einc_tensor_where(ctx, mask, zero, ninf) : NULL;
    einc_tensor_release(zero);
    einc_tensor_release(ninf);
    return b;
}

/* The front end's hook after parsing: "q, k, v -> output", plain axes only. */
static bool parsed(void *user, einc__front *fe) {
    front *f = user;
    const einc__desc *d = &fe->d;
    if (d->ninputs != 3 || !d->has_arrow || d->noutputs != 1) {
        einc__error(f->a->ctx, EINC_EVALUE,
                    "einc_attention: the expression must read \"q, k, v -> output\" (three inputs, one output); "
                    "\"%s\" has %d input(s) and %d output(s)",
                    d->text, d->ninputs, d->has_arrow ? d->noutputs : 0);
        return false;
    }
    for (int i = 0; i < 3; i++)
        if (!check_plain(f, d->inputs[i], i)) return false;
    return check_plain(f, d->outputs[0], O);
}

/* Parses and solves the expression (no merging: every axis keeps its role), then fills the map. */
static bool resolve(front *f, const char *expr, einc_tensor *const *in, einc_axes axes, einc__attn_map *map,
                    int64_t *out_shape, int *out_ndim) {
    einc__front_spec spec = {expr, 3, in, NULL, NULL, axes, 0, parsed, NULL, f};
    return einc__front_run(f->a, &spec, &f->fe) && assign_roles(f, map, out_shape, out_ndim);
}

/* The roles from the cache, or resolved (and checked, with einx's errors) and then cached. A
 * bias that does not broadcast takes the slow path, which says where it fails. */
static bool front_end(einc_ctx *ctx, const char *expr, einc_tensor *const *in, einc_axes axes, const einc_tensor *bias,
                      einc__attn_map *map, int64_t *out_shape, int *out_ndim) {
    unsigned char key[4096];
    size_t keylen = 0;
    bool cacheable = einc__plan_key((einc_op)EINC_OP_COUNT_, expr, 3, in, axes, NULL, key, sizeof key, &keylen);
    const einc__plan *hit = cacheable ? einc__plan_cache_get(ctx, key, keylen) : NULL;
    int bad;
    if (hit && (!bias || bias_broadcasts(hit->attention, bias, &bad))) {
        *map = *hit->attention;
        *out_ndim = hit->out_ndim[0];
        memcpy(out_shape, hit->out_shape[0], sizeof(int64_t) * (size_t)*out_ndim);
        return true;
    }
    einc__arena arena;
    einc__arena_init(&arena, ctx);
    front f = {.a = &arena};
    memset(map, 0, sizeof *map);
    bool ok = resolve(&f, expr, in, axes, map, out_shape, out_ndim) && (!bias || check_bias(&f, map, bias));
    einc__arena_free(&arena);
    if (ok && cacheable && !hit) { /* not kept when memory is short: the next call resolves again */
        einc__arena pa;
        einc__arena_init(&pa, ctx);
        einc__plan *p = einc__arena_alloc(&pa, sizeof *p);
        einc__attn_map *m = p ? einc__arena_alloc(&pa, sizeof *m) : NULL;
        if (m) {
            *m = *map;
            p->refcount = 1;
            p->op = (einc_op)EINC_OP_COUNT_;
            p->attention = m;
            p->out_ndim[0] = *out_ndim;
            memcpy(p->out_shape[0], out_shape, sizeof(int64_t) * (size_t)*out_ndim);
            p->arena = pa;
            einc__plan_cache_put(ctx, key, keylen, p);
            einc__plan_release(p);
        } else {
            einc__arena_free(&pa);
        }
    }
    return ok;
}

einc_tensor *einc_attention(einc_ctx *ctx, const char *expr, einc_tensor *q, einc_tensor *k, einc_tensor *v,
                            einc_axes axes, const einc_attention_options *options) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!expr) return einc__error(ctx, EINC_EINVAL, "einc_attention: expression is NULL"), NULL;
    einc_tensor *in[3] = {q, k, v};
    for (int i = 0; i < 3; i++) {
        if (!in[i]) return einc__error(ctx, EINC_EINVAL, "einc_attention: %s is NULL", oper_name[i]), NULL;
        if (!check_float(ctx, in[i], oper_name[i])) return NULL;
    }
    einc_attention_options opt = {0, false, NULL};
    if (options) opt = *options;
    if (!isfinite(opt.scale))
        return einc__error(ctx, EINC_EVALUE, "einc_attention: scale must be a finite number, got %g", opt.scale), NULL;
    if (opt.bias && opt.bias->dtype != EINC_BOOL && !einc__dtype_is_float(opt.bias->dtype))
        return einc__error(ctx, EINC_EDTYPE,
                           "einc_attention: the bias has dtype %s; a bias is float32 or float64 (added to the scores) "
                           "or bool (a mask: true where a query may attend)",
                           einc_dtype_name(opt.bias->dtype)),
               NULL;

    if (axes.n < 0 || (axes.n > 0 && !axes.v))
        return einc__error(ctx, EINC_EINVAL, "einc_attention: invalid constraints (n = %d)", axes.n), NULL;
    einc__attn_map map;
    int64_t out_shape[EINC_MAX_DIMS];
    int out_ndim = 0;
    if (!front_end(ctx, expr, in, axes, opt.bias, &map, out_shape, &out_ndim)) return NULL;
    int64_t dlen = q->shape[map.q[map.nb + 1]];
    map.scale = opt.scale != 0 ? opt.scale : 1.0 / sqrt((double)(dlen > 0 ? dlen : 1));
    map.causal = opt.causal;

    bool f64 = q->dtype == EINC_FLOAT64 || k->dtype == EINC_FLOAT64 || v->dtype == EINC_FLOAT64 ||
               (opt.bias && opt.bias->dtype == EINC_FLOAT64);
    einc_dtype dt = f64 ? EINC_FLOAT64 : EINC_FLOAT32;
    einc_tensor *qc = einc__as_dtype(ctx, q, dt), *kc = einc__as_dtype(ctx, k, dt), *vc = einc__as_dtype(ctx, v, dt);
    einc_tensor *bc = !opt.bias                      ? NULL
                      : opt.bias->dtype == EINC_BOOL ? mask_bias(ctx, opt.bias, dt)
                                                     : einc__as_dtype(ctx, opt.bias, dt);
    einc_tensor *const args[4] = {qc, kc, vc, bc};
    bool grad = false; /* the forward saves the log-sum-exp only when the tape will record */
    for (int i = 0; i < 4; i++) grad |= ctx->grad && !ctx->ag.disabled && args[i] && args[i]->requires_grad;
    einc_tensor *out = qc && kc && vc && (bc || !opt.bias) ? einc__tensor_new(ctx, dt, out_ndim, out_shape) : NULL;
    einc_tensor *lse = out && grad ? einc__tensor_new(ctx, dt, map.nb + 1, map.scores) : NULL;
    if (out && (!grad || lse)) {
        int64_t m = map.scores[map.nb + 1];
        if (m == 0) { /* no keys: an empty softmax is NaN everywhere, as the unfused one */
            for (int64_t i = 0; i < einc__tensor_numel(out); i++)
                einc__store_f64(einc__tensor_ptr(out) + (size_t)i * einc_dtype_size(dt), dt, NAN);
            if (lse)
                for (int64_t i = 0; i < einc__tensor_numel(lse); i++)
                    einc__store_f64(einc__tensor_ptr(lse) + (size_t)i * einc_dtype_size(dt), dt, NAN);
        } else if (einc__tensor_numel(out) > 0) {
            einc__attn a = einc__attention_views(&map, qc, kc, vc, out, lse, bc);
            if (einc__attention_run(ctx, &a, false) != EINC_OK) einc_tensor_release(out), out = NULL;
        }
    } else if (out) {
        einc_tensor_release(out), out = NULL;
    }
    if (out && grad) out = einc__ag_attention(ctx, out, lse, qc, kc, vc, bc, &map);
    if (lse) einc_tensor_release(lse);
    for (int i = 0; i < 4; i++)
        if (args[i]) einc_tensor_release(args[i]);
    return out;
}
