/* conv1x1.c — torch.nn.Conv2d(in, out, kernel_size=1) and torch.nn.Linear. */
#include <math.h>

#include "nn_internal.h"

/* The module's references: released by *_free (the scope's references went with their scope). */
static void drop(einc_tensor **t) {
    einc_tensor_release(*t);
    *t = NULL;
}

/* weight kaiming-uniform(a = sqrt(5)), bias U(+-1/sqrt(fan_in)): PyTorch's reset_parameters. */
static einc_status init_weight_bias(einc_ctx *ctx, einc_tensor *w, einc_tensor *b, int64_t fan_in) {
    einc_status st = einc_init_kaiming_uniform(ctx, w, sqrt(5.0));
    if (st == EINC_OK && b) st = einc_init_uniform(ctx, b, -1.0 / sqrt((double)fan_in), 1.0 / sqrt((double)fan_in));
    return st;
}

einc_status einc_conv1x1_init(einc_ctx *ctx, einc_conv1x1 *m, int64_t in_channels, int64_t out_channels, bool bias) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!m) return einc__error(ctx, EINC_EINVAL, "einc_conv1x1_init: module is NULL");
    memset(m, 0, sizeof *m);
    if (in_channels < 1 || out_channels < 1)
        return einc__error(ctx, EINC_EVALUE, "einc_conv1x1_init: channels must be >= 1, got in=%lld out=%lld",
                           (long long)in_channels, (long long)out_channels);
    m->in_channels = in_channels;
    m->out_channels = out_channels;
    m->weight = einc__nn_param(ctx, EINC_SHAPE(out_channels, in_channels, 1, 1));
    if (bias) m->bias = einc__nn_param(ctx, EINC_SHAPE(out_channels));
    einc_status st = (m->weight && (!bias || m->bias)) ? init_weight_bias(ctx, m->weight, m->bias, in_channels)
                                                       : (ctx->status ? ctx->status : EINC_ENOMEM);
    if (st != EINC_OK) einc_conv1x1_free(m);
    return st;
}

einc_tensor *einc_conv1x1_forward(einc_ctx *ctx, const einc_conv1x1 *m, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!m || !m->weight) {
        einc__error(ctx, EINC_EINVAL, "einc_conv1x1_forward: module is not initialised");
        return NULL;
    }
    return einc_tensor_conv2d_1x1(ctx, x, m->weight, m->bias);
}

int einc_conv1x1_params(const einc_conv1x1 *m, einc_param *out, int cap) {
    int n = 0;
    if (!m) return 0;
    if (m->weight && n < cap) out[n++] = (einc_param){"weight", m->weight};
    if (m->bias && n < cap) out[n++] = (einc_param){"bias", m->bias};
    return n;
}

void einc_conv1x1_free(einc_conv1x1 *m) {
    if (!m) return;
    drop(&m->weight);
    drop(&m->bias);
}

einc_status einc_linear_init(einc_ctx *ctx, einc_linear *m, int64_t in_features, int64_t out_features, bool bias) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!m) return einc__error(ctx, EINC_EINVAL, "einc_linear_init: module is NULL");
    memset(m, 0, sizeof *m);
    if (in_features < 1 || out_features < 1)
        return einc__error(ctx, EINC_EVALUE, "einc_linear_init: features must be >= 1, got in=%lld out=%lld",
                           (long long)in_features, (long long)out_features);
    m->in_features = in_features;
    m->out_features = out_features;
    m->weight = einc__nn_param(ctx, EINC_SHAPE(out_features, in_features));
    if (bias) m->bias = einc__nn_param(ctx, EINC_SHAPE(out_features));
    einc_status st = (m->weight && (!bias || m->bias)) ? init_weight_bias(ctx, m->weight, m->bias, in_features)
                                                       : (ctx->status ? ctx->status : EINC_ENOMEM);
    if (st != EINC_OK) einc_linear_free(m);
    return st;
}

einc_tensor *einc_linear_forward(einc_ctx *ctx, const einc_linear *m, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!m || !m->weight) {
        einc__error(ctx, EINC_EINVAL, "einc_linear_forward: module is not initialised");
        return NULL;
    }
    if (!x) return NULL;
    /* A float16 or bfloat16 result (half inputs and parameters) is computed in float32, bias
     * included, and rounded once, as conv2d_1x1 does: einc_dot would round the product and
     * einc_add the sum again. (Mixed with float32 parameters the result is float32: no rounding.) */
    einc_dtype r = einc_promote_types(x->dtype, x->ndim, m->weight->dtype, m->weight->ndim);
    if (m->bias) r = einc_promote_types(r, 2, m->bias->dtype, m->bias->ndim);
    if (r == EINC_FLOAT16 || r == EINC_BFLOAT16) {
        einc_tensor *xc = einc_tensor_cast(ctx, x, EINC_FLOAT32), *wc = einc_tensor_cast(ctx, m->weight, EINC_FLOAT32);
        einc_tensor *bc = m->bias ? einc_tensor_cast(ctx, m->bias, EINC_FLOAT32) : NULL;
        einc_tensor *p = einc_dot(ctx, "... i, o i -> ... o", xc, wc);
        einc_tensor *y = m->bias ? einc_add(ctx, "... o, o", p, bc) : NULL;
        einc_tensor *out = einc_tensor_cast(ctx, m->bias ? y : p, r);
        einc_tensor_release(xc);
        einc_tensor_release(wc);
        einc_tensor_release(bc);
        einc_tensor_release(p);
        einc_tensor_release(y);
        return out;
    }
    einc_tensor *y = einc_dot(ctx, "... i, o i -> ... o", x, m->weight);
    return m->bias ? einc_add(ctx, "... o, o", y, m->bias) : y;
}

int einc_linear_params(const einc_linear *m, einc_param *out, int cap) {
    int n = 0;
    if (!m) return 0;
    if (m->weight && n < cap) out[n++] = (einc_param){"weight", m->weight};
    if (m->bias && n < cap) out[n++] = (einc_param){"bias", m->bias};
    return n;
}

void einc_linear_free(einc_linear *m) {
    if (!m) return;
    drop(&m->weight);
    drop(&m->bias);
}
