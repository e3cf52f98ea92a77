/* gradcheck.c — einc_gradcheck: einc_backward's gradients against central differences. */
#include <math.h>

#include "autograd.h"

/* splitmix64: the weights r must not depend on (or disturb) the context's generator. */
static uint64_t mix(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* r [out's shape], float64: magnitudes in [0.5, 1.5) with random signs, never near 0, so every
 * output element takes part in L = sum(out * r). */
static einc_tensor *make_weights(einc_ctx *ctx, const einc_tensor *out) {
    einc_tensor *r = einc__tensor_new(ctx, EINC_FLOAT64, out->ndim, out->shape);
    if (!r) return NULL;
    double *p = (double *)(void *)einc__tensor_ptr(r);
    uint64_t state = 0x5EED5EED5EEDull;
    for (int64_t i = 0; i < einc__tensor_numel(r); i++) {
        uint64_t bits = mix(&state);
        double mag = 0.5 + (double)(bits >> 11) * 0x1.0p-53;
        p[i] = (bits & 1) ? -mag : mag;
    }
    return r;
}

/* Byte offset of row-major element `flat` of t (any strides); fills idx with its coordinates. */
static int64_t element_offset(const einc_tensor *t, int64_t flat, int64_t *idx) {
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = flat % t->shape[d];
        flat /= t->shape[d];
        off += idx[d] * t->strides[d];
    }
    return off * (int64_t)einc_dtype_size(t->dtype);
}

/* sum(out * r) in float64, r contiguous of out's shape. */
static double weighted_sum(const einc_tensor *out, const einc_tensor *r) {
    const double *w = (const double *)(const void *)einc__tensor_ptr(r);
    const char *base = einc__tensor_ptr(out);
    int64_t idx[EINC_MAX_DIMS];
    double s = 0.0;
    for (int64_t i = 0; i < einc__tensor_numel(out); i++)
        s += einc__load_f64(base + element_offset(out, i, idx), out->dtype) * w[i];
    return s;
}

/* One evaluation of fn in a scope of its own; the output is checked against the first one's
 * shape. Returns EINC_OK and *value = sum(out * r). */
static einc_status evaluate(einc_ctx *ctx, einc_gradcheck_fn fn, void *user, einc_tensor *const *inputs,
                            const einc_tensor *r, double *value) {
    einc_status st = einc_scope_begin(ctx);
    if (st != EINC_OK) return st;
    einc_tensor *out = fn(ctx, inputs, user);
    if (!out)
        st = einc_errcode(ctx) != EINC_OK ? einc_errcode(ctx)
                                          : einc__error(ctx, EINC_EINVAL,
                                                        "einc_gradcheck: fn returned NULL "
                                                        "without recording an error");
    else if (out->ndim != r->ndim || (r->ndim && memcmp(out->shape, r->shape, sizeof(int64_t) * (size_t)r->ndim)))
        st = einc__error(ctx, EINC_EVALUE, "einc_gradcheck: fn is not deterministic: its output's shape changed");
    else *value = weighted_sum(out, r);
    einc_scope_end(ctx);
    return st;
}

static einc_status check_inputs(einc_ctx *ctx, int ninputs, einc_tensor *const *inputs, double eps) {
    static const char fname[] = "einc_gradcheck";
    if (ninputs < 1 || !inputs)
        return einc__error(ctx, EINC_EINVAL, "%s: needs at least one input (ninputs = %d)", fname, ninputs);
    if (!(eps > 0.0)) return einc__error(ctx, EINC_EINVAL, "%s: eps must be positive, got %g", fname, eps);
    for (int i = 0; i < ninputs; i++) {
        const einc_tensor *t = inputs[i];
        if (!t) return einc__error(ctx, EINC_EINVAL, "%s: input #%d is NULL", fname, i + 1);
        if (t->dtype != EINC_FLOAT64)
            return einc__error(ctx, EINC_EDTYPE, "%s: input #%d has dtype %s; finite differences need float64", fname,
                               i + 1, einc_dtype_name(t->dtype));
        if (!t->requires_grad)
            return einc__error(ctx, EINC_EINVAL, "%s: input #%d does not require grad (call einc_requires_grad)", fname,
                               i + 1);
        if (t->ag_node && t->ag_node->backward)
            return einc__error(ctx, EINC_EINVAL, "%s: input #%d is not a leaf (it was computed by '%s')", fname, i + 1,
                               t->ag_node->name);
        for (int d = 0; d < t->ndim; d++)
            if (t->strides[d] == 0 && t->shape[d] > 1)
                return einc__error(ctx, EINC_EINVAL,
                                   "%s: input #%d is a broadcast view (stride 0 in dimension %d); "
                                   "broadcast inside fn instead",
                                   fname, i + 1, d);
    }
    return EINC_OK;
}

/* Compares the analytical gradients (grads[i], NULL = zeros) with central differences. */
static einc_status compare(einc_ctx *ctx, einc_gradcheck_fn fn, void *user, int ninputs, einc_tensor *const *inputs,
                           einc_tensor *const *grads, const einc_tensor *r, double eps, double atol, double rtol) {
    int64_t idx[EINC_MAX_DIMS], gidx[EINC_MAX_DIMS];
    for (int i = 0; i < ninputs; i++) {
        einc_tensor *x = inputs[i];
        for (int64_t j = 0; j < einc__tensor_numel(x); j++) {
            double *p = (double *)(void *)(einc__tensor_ptr(x) + element_offset(x, j, idx));
            double orig = *p, plus = 0.0, minus = 0.0;
            *p = orig + eps;
            einc_status st = evaluate(ctx, fn, user, inputs, r, &plus);
            *p = orig - eps;
            if (st == EINC_OK) st = evaluate(ctx, fn, user, inputs, r, &minus);
            *p = orig;
            if (st != EINC_OK) return st;
            double numerical = (plus - minus) / (2.0 * eps);
            double analytical =
                grads[i] ? einc__load_f64(einc__tensor_ptr(grads[i]) + element_offset(grads[i], j, gidx), EINC_FLOAT64)
                         : 0.0;
            double diff = fabs(analytical - numerical);
            if (!(diff <= atol + rtol * fabs(numerical))) {
                char shape[256], where[256];
                return einc__error(ctx, EINC_EVALUE,
                                   "einc_gradcheck: input #%d of shape %s, element %lld %s: "
                                   "analytical gradient %.10g but numerical %.10g (|difference| %.3g > atol %g + "
                                   "rtol %g * |numerical|)",
                                   i + 1, einc__shape_str(shape, sizeof shape, x->ndim, x->shape), (long long)j,
                                   einc__shape_str(where, sizeof where, x->ndim, idx), analytical, numerical, diff,
                                   atol, rtol);
            }
        }
    }
    return EINC_OK;
}

/* The analytical part: backward of out with weights r, with every input's earlier .grad set
 * aside (stash[i]) so that the result is this gradient alone; grads[i] receive it. */
static einc_status analytical(einc_ctx *ctx, int ninputs, einc_tensor *const *inputs, einc_tensor *out, einc_tensor *r,
                              einc_tensor **stash, einc_tensor **grads) {
    for (int i = 0; i < ninputs; i++) {
        einc__ag_node *acc = einc__ag_accumulator(ctx, inputs[i]);
        if (!acc) return EINC_ENOMEM;
        bool repeated = false; /* the same leaf passed twice is set aside once */
        for (int j = 0; j < i; j++) repeated |= inputs[j]->ag_node == acc;
        if (!repeated) {
            stash[i] = acc->grad ? acc->grad : inputs[i]; /* the input itself marks "had none" */
            acc->grad = NULL;
        }
    }
    einc_status st = out->requires_grad ? einc_backward(ctx, out, r) : EINC_OK;
    for (int i = 0; i < ninputs; i++) {
        einc__ag_node *acc = inputs[i]->ag_node;
        if (acc->grad && !grads[i]) grads[i] = einc_tensor_retain(acc->grad);
    }
    return st;
}

einc_status einc_gradcheck(einc_ctx *ctx, einc_gradcheck_fn fn, void *user, int ninputs, einc_tensor *const *inputs,
                           double eps, double atol, double rtol) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!fn) return einc__error(ctx, EINC_EINVAL, "einc_gradcheck: fn is NULL");
    einc_status st = check_inputs(ctx, ninputs, inputs, eps);
    if (st != EINC_OK) return st;
    size_t bytes = 2 * (size_t)ninputs * sizeof(einc_tensor *);
    einc_tensor **stash = einc__alloc(ctx, bytes); /* [ninputs] earlier .grad, then [ninputs] new */
    if (!stash) return EINC_ENOMEM;
    memset(stash, 0, bytes);
    einc_tensor **grads = stash + ninputs;
    bool was = einc_set_grad_enabled(ctx, true);
    st = einc_scope_begin(ctx);
    if (st == EINC_OK) {
        einc_tensor *out = fn(ctx, inputs, user), *r = NULL;
        if (!out)
            st = einc_errcode(ctx) != EINC_OK ? einc_errcode(ctx)
                                              : einc__error(ctx, EINC_EINVAL,
                                                            "einc_gradcheck: fn returned NULL "
                                                            "without recording an error");
        else if (!einc__dtype_is_float(out->dtype))
            st = einc__error(ctx, EINC_EDTYPE, "einc_gradcheck: fn's output has dtype %s; it must be a float",
                             einc_dtype_name(out->dtype));
        else if (!(r = make_weights(ctx, out))) st = EINC_ENOMEM;
        else st = analytical(ctx, ninputs, inputs, out, r, stash, grads);
        einc_set_grad_enabled(ctx, false);
        if (st == EINC_OK) st = compare(ctx, fn, user, ninputs, inputs, grads, r, eps, atol, rtol);
        einc_scope_end(ctx);
    }
    einc_set_grad_enabled(ctx, was);
    for (int i = 0; i < ninputs; i++) { /* put the earlier gradients back */
        einc_tensor_release(grads[i]);
        if (!stash[i]) continue;
        einc__ag_node *acc = inputs[i]->ag_node;
        einc_tensor_release(acc->grad);
        acc->grad = stash[i] == inputs[i] ? NULL : stash[i];
    }
    einc__free(ctx, stash, bytes);
    return st;
}
