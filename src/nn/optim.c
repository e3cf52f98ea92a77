/* optim.c — SGD with momentum and Adam, as PyTorch defines them. */
#include <math.h>
#include <stdio.h>

#include "nn_internal.h"

typedef enum { OPT_SGD, OPT_ADAM } opt_kind;

struct einc_optimizer {
    einc_ctx *ctx;
    opt_kind kind;
    int n;
    einc_tensor **params;
    einc_tensor **m; /* SGD: velocity; Adam: first moment  */
    einc_tensor **v; /* Adam: second moment                */
    double lr, momentum, beta1, beta2, eps;
    int64_t step;
};

void einc_optimizer_free(einc_optimizer *opt) {
    EINC__OWNED(opt ? opt->ctx : NULL, );
    if (!opt) return;
    einc_ctx *ctx = opt->ctx;
    for (int i = 0; i < opt->n; i++) {
        if (opt->m) einc_tensor_release(opt->m[i]);
        if (opt->v) einc_tensor_release(opt->v[i]);
    }
    einc__free(ctx, opt->params, sizeof(einc_tensor *) * (size_t)opt->n);
    einc__free(ctx, opt->m, sizeof(einc_tensor *) * (size_t)opt->n);
    einc__free(ctx, opt->v, sizeof(einc_tensor *) * (size_t)opt->n);
    einc__free(ctx, opt, sizeof *opt);
}

/* State tensors (zeros like each parameter), owned by the optimiser. */
static einc_tensor **state(einc_ctx *ctx, einc_tensor *const *params, int n) {
    einc_tensor **s = einc__alloc(ctx, sizeof(einc_tensor *) * (size_t)n);
    if (!s) return NULL;
    memset(s, 0, sizeof(einc_tensor *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        s[i] = einc_tensor_zeros(ctx, params[i]->dtype, params[i]->ndim, params[i]->shape);
        if (!s[i]) {
            for (int k = 0; k < i; k++) einc_tensor_release(s[k]);
            einc__free(ctx, s, sizeof(einc_tensor *) * (size_t)n);
            return NULL;
        }
        einc_tensor_retain(s[i]); /* the optimiser's own reference: state outlives scopes */
    }
    return s;
}

static einc_optimizer *create(einc_ctx *ctx, opt_kind kind, const einc_param *params, int n, const char *fname) {
    if (!ctx) return NULL;
    if (n < 0 || (n > 0 && !params)) {
        einc__error(ctx, EINC_EINVAL, "%s: invalid parameter list", fname);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!params[i].tensor || !einc__dtype_is_float(params[i].tensor->dtype)) {
            einc__error(ctx, EINC_EINVAL, "%s: parameter #%d (%s) is NULL or not a float tensor", fname, i + 1,
                        params[i].name ? params[i].name : "?");
            return NULL;
        }
        char what[160];
        snprintf(what, sizeof what, "parameter #%d (%.120s)", i + 1, params[i].name ? params[i].name : "?");
        if (!einc__tensor_writable(ctx, fname, what, params[i].tensor)) return NULL;
    }
    einc_optimizer *opt = einc__alloc(ctx, sizeof *opt);
    if (!opt) return NULL;
    memset(opt, 0, sizeof *opt);
    opt->ctx = ctx;
    opt->kind = kind;
    opt->n = n;
    opt->params = einc__alloc(ctx, sizeof(einc_tensor *) * (size_t)(n ? n : 1));
    if (!opt->params) {
        einc__free(ctx, opt, sizeof *opt);
        return NULL;
    }
    for (int i = 0; i < n; i++) opt->params[i] = params[i].tensor;
    opt->m = state(ctx, opt->params, n);
    if (n && !opt->m) {
        opt->n = 0;
        einc_optimizer_free(opt);
        return NULL;
    }
    if (kind == OPT_ADAM) {
        opt->v = state(ctx, opt->params, n);
        if (n && !opt->v) {
            einc_optimizer_free(opt);
            return NULL;
        }
    }
    return opt;
}

einc_optimizer *einc_sgd_create(einc_ctx *ctx, const einc_param *params, int n, double lr, double momentum) {
    EINC__OWNED(ctx, NULL);
    einc_optimizer *opt = create(ctx, OPT_SGD, params, n, "einc_sgd_create");
    if (opt) {
        opt->lr = lr;
        opt->momentum = momentum;
    }
    return opt;
}

einc_optimizer *einc_adam_create(einc_ctx *ctx, const einc_param *params, int n, double lr, double beta1, double beta2,
                                 double eps) {
    EINC__OWNED(ctx, NULL);
    einc_optimizer *opt = create(ctx, OPT_ADAM, params, n, "einc_adam_create");
    if (opt) {
        opt->lr = lr;
        opt->beta1 = beta1;
        opt->beta2 = beta2;
        opt->eps = eps;
    }
    return opt;
}

/* p -= lr * v after v = momentum * v + g (SGD), or the Adam update, in float64 per element. */
static void update(einc_optimizer *opt, int i, const einc_tensor *g) {
    einc_tensor *p = opt->params[i], *m = opt->m[i], *v = opt->v ? opt->v[i] : NULL;
    int64_t n = einc__tensor_numel(p);
    /* parameters are contiguous (created by einc); gradients and state too */
    char *pp = einc__tensor_ptr(p), *gp = einc__tensor_ptr(g), *mp = einc__tensor_ptr(m);
    char *vp = v ? einc__tensor_ptr(v) : NULL;
    size_t es = einc_dtype_size(p->dtype), gs = einc_dtype_size(g->dtype);
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->step), bc2 = 1.0 - pow(opt->beta2, (double)opt->step);
    for (int64_t k = 0; k < n; k++) {
        size_t o = (size_t)k * es;
        double gk = einc__load_f64(gp + (size_t)k * gs, g->dtype);
        double pk = einc__load_f64(pp + o, p->dtype), mk = einc__load_f64(mp + o, p->dtype);
        if (opt->kind == OPT_SGD) {
            mk = opt->momentum * mk + gk;
            pk -= opt->lr * (opt->momentum != 0.0 ? mk : gk);
        } else {
            double vk = einc__load_f64(vp + o, p->dtype);
            mk = opt->beta1 * mk + (1.0 - opt->beta1) * gk;
            vk = opt->beta2 * vk + (1.0 - opt->beta2) * gk * gk;
            pk -= opt->lr * (mk / bc1) / (sqrt(vk / bc2) + opt->eps);
            einc__store_f64(vp + o, p->dtype, vk);
        }
        einc__store_f64(mp + o, p->dtype, mk);
        einc__store_f64(pp + o, p->dtype, pk);
    }
}

einc_status einc_optimizer_step(einc_ctx *ctx, einc_optimizer *opt) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!opt) return einc__error(ctx, EINC_EINVAL, "einc_optimizer_step: optimiser is NULL");
    opt->step++;
    einc_scope_begin(ctx);
    einc_status st = EINC_OK;
    for (int i = 0; i < opt->n && st == EINC_OK; i++) {
        einc_tensor *g = einc_grad(ctx, opt->params[i]);
        if (!g) continue;
        einc_tensor *gc = einc_tensor_contiguous(ctx, g);
        if (!gc) st = ctx->status ? ctx->status : EINC_ENOMEM;
        else update(opt, i, gc);
    }
    einc_scope_end(ctx);
    return st;
}

einc_status einc_optimizer_zero_grad(einc_optimizer *opt) {
    EINC__OWNED(opt ? opt->ctx : NULL, EINC_EBUSY);
    if (!opt) return EINC_EINVAL;
    for (int i = 0; i < opt->n; i++) einc_zero_grad(opt->params[i]);
    return EINC_OK;
}
