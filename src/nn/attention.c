/* attention.c — multi-head self-attention over an image's pixels, written twice.
 *
 * Both forwards compute the same function of the same parameters: the notation one reads like
 * the einx module of the notebook, the raw one like its PyTorch module (the index bookkeeping is
 * the point of the comparison, see docs/attention.md).
 */
#include <math.h>

#include "nn_internal.h"

einc_status einc_mha_init(einc_ctx *ctx, einc_mha *m, int64_t channels, int64_t heads) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!m) return einc__error(ctx, EINC_EINVAL, "einc_mha_init: module is NULL");
    memset(m, 0, sizeof *m);
    if (channels < 1 || heads < 1 || channels % heads != 0)
        return einc__error(ctx, EINC_EVALUE,
                           "einc_mha_init: channels (%lld) must be a positive multiple of heads "
                           "(%lld)",
                           (long long)channels, (long long)heads);
    m->channels = channels;
    m->heads = heads;
    einc_status st = einc_conv1x1_init(ctx, &m->qkv, channels, 3 * channels, true);
    if (st == EINC_OK) st = einc_conv1x1_init(ctx, &m->proj, channels, channels, true);
    if (st != EINC_OK) einc_mha_free(m);
    return st;
}

/* x must be (B, C, H, W) with C = channels. */
static bool check_input(einc_ctx *ctx, const einc_mha *m, einc_tensor *x, const char *fname) {
    if (!ctx) return false;
    if (!m || !m->qkv.weight) {
        einc__error(ctx, EINC_EINVAL, "%s: module is not initialised", fname);
        return false;
    }
    if (!x) {
        einc__error(ctx, EINC_EINVAL, "%s: input is NULL", fname);
        return false;
    }
    if (x->ndim != 4 || x->shape[1] != m->channels) {
        char buf[256];
        einc__error(ctx, EINC_ESHAPE, "%s: expected an input of shape (B, %lld, H, W), got %s", fname,
                    (long long)m->channels, einc__shape_str(buf, sizeof buf, x->ndim, x->shape));
        return false;
    }
    return true;
}

einc_tensor *einc_mha_forward_notation(einc_ctx *ctx, const einc_mha *m, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    if (!check_input(ctx, m, x, "einc_mha_forward_notation")) return NULL;
    int64_t H = x->shape[2], W = x->shape[3], nh = m->heads, dh = m->channels / m->heads;
    double scale = 1.0 / sqrt((double)dh);
    einc_tensor *qkv = einc_conv1x1_forward(ctx, &m->qkv, x);
    qkv =
        einc_id(ctx, "... (qkv nh dh) H W -> qkv ... nh (H W) dh", qkv, EINC_AXES({"qkv", 3}, {"nh", nh}, {"dh", dh}));
    einc_tensor *q = einc_tensor_select(ctx, qkv, 0, 0);
    einc_tensor *k = einc_tensor_select(ctx, qkv, 0, 1);
    einc_tensor *v = einc_tensor_select(ctx, qkv, 0, 2);
    einc_tensor *attn = einc_mul_scalar(ctx, einc_dot(ctx, "... N dh, ... M dh -> ... N M", q, k), scale);
    attn = einc_softmax(ctx, "... N [M]", attn);
    einc_tensor *out = einc_dot(ctx, "... N M, ... M d -> ... N d", attn, v);
    out =
        einc_id(ctx, "... nh (H W) dh -> ... (nh dh) H W", out, EINC_AXES({"nh", nh}, {"dh", dh}, {"H", H}, {"W", W}));
    return einc_conv1x1_forward(ctx, &m->proj, out);
}

/* The notation forward with its three attention lines replaced by the fused kernel: the N x N
 * scores are never formed (docs/attention.md). */
einc_tensor *einc_mha_forward_fused(einc_ctx *ctx, const einc_mha *m, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    if (!check_input(ctx, m, x, "einc_mha_forward_fused")) return NULL;
    int64_t H = x->shape[2], W = x->shape[3], nh = m->heads, dh = m->channels / m->heads;
    einc_tensor *qkv = einc_conv1x1_forward(ctx, &m->qkv, x);
    qkv =
        einc_id(ctx, "... (qkv nh dh) H W -> qkv ... nh (H W) dh", qkv, EINC_AXES({"qkv", 3}, {"nh", nh}, {"dh", dh}));
    einc_tensor *q = einc_tensor_select(ctx, qkv, 0, 0);
    einc_tensor *k = einc_tensor_select(ctx, qkv, 0, 1);
    einc_tensor *v = einc_tensor_select(ctx, qkv, 0, 2);
    einc_tensor *out = einc_attention(ctx, "... N dh, ... M dh, ... M d -> ... N d", q, k, v, EINC_NO_AXES, NULL);
    out =
        einc_id(ctx, "... nh (H W) dh -> ... (nh dh) H W", out, EINC_AXES({"nh", nh}, {"dh", dh}, {"H", H}, {"W", W}));
    return einc_conv1x1_forward(ctx, &m->proj, out);
}

einc_tensor *einc_mha_forward_raw(einc_ctx *ctx, const einc_mha *m, einc_tensor *x) {
    EINC__OWNED(ctx, NULL);
    if (!check_input(ctx, m, x, "einc_mha_forward_raw")) return NULL;
    int64_t B = x->shape[0], H = x->shape[2], W = x->shape[3], N = H * W;
    int64_t nh = m->heads, dh = m->channels / m->heads, bh = B * nh;
    double scale = 1.0 / sqrt((double)dh);
    einc_tensor *qkv = einc_conv1x1_forward(ctx, &m->qkv, x);      /* (B, 3C, H, W)        */
    qkv = einc_tensor_view(ctx, qkv, EINC_SHAPE(B, 3, nh, dh, N)); /* (B, 3, nh, dh, N)    */
    qkv = einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, qkv, EINC_DIMS(1, 0, 2, 4, 3))); /* (3, B, nh, N, dh) */
    einc_tensor *q = einc_tensor_view(ctx, einc_tensor_select(ctx, qkv, 0, 0), EINC_SHAPE(bh, N, dh));
    einc_tensor *k = einc_tensor_view(ctx, einc_tensor_select(ctx, qkv, 0, 1), EINC_SHAPE(bh, N, dh));
    einc_tensor *v = einc_tensor_view(ctx, einc_tensor_select(ctx, qkv, 0, 2), EINC_SHAPE(bh, N, dh));
    einc_tensor *scores = einc_mul_scalar(ctx, einc_tensor_bmm(ctx, q, einc_tensor_transpose(ctx, k, 1, 2)), scale);
    einc_tensor *attn = einc_tensor_softmax(ctx, scores, -1); /* (B*nh, N, N)         */
    einc_tensor *out = einc_tensor_bmm(ctx, attn, v);         /* (B*nh, N, dh)        */
    out = einc_tensor_view(ctx, out, EINC_SHAPE(B, nh, N, dh));
    out = einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, out, EINC_DIMS(0, 1, 3, 2))); /* (B, nh, dh, N) */
    out = einc_tensor_view(ctx, out, EINC_SHAPE(B, nh * dh, H, W));
    return einc_conv1x1_forward(ctx, &m->proj, out);
}

int einc_mha_params(const einc_mha *m, einc_param *out, int cap) {
    if (!m) return 0;
    einc_param all[4] = {{"qkv.weight", m->qkv.weight},
                         {"qkv.bias", m->qkv.bias},
                         {"proj.weight", m->proj.weight},
                         {"proj.bias", m->proj.bias}};
    int n = 0;
    for (int i = 0; i < 4 && n < cap; i++)
        if (all[i].tensor) out[n++] = all[i];
    return n;
}

einc_status einc_mha_copy_params(einc_ctx *ctx, einc_mha *dst, const einc_mha *src) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!dst || !src) return einc__error(ctx, EINC_EINVAL, "einc_mha_copy_params: module is NULL");
    einc_param a[4], b[4];
    int na = einc_mha_params(dst, a, 4), nb = einc_mha_params(src, b, 4);
    if (na != nb)
        return einc__error(ctx, EINC_ESHAPE, "einc_mha_copy_params: modules have %d and %d parameters", na, nb);
    bool was = einc_set_grad_enabled(ctx, false);
    einc_status st = EINC_OK;
    for (int i = 0; i < na && st == EINC_OK; i++) {
        if (a[i].tensor->ndim != b[i].tensor->ndim ||
            memcmp(a[i].tensor->shape, b[i].tensor->shape, sizeof(int64_t) * (size_t)a[i].tensor->ndim) != 0) {
            char s1[256], s2[256];
            st = einc__error(ctx, EINC_ESHAPE, "einc_mha_copy_params: %s has shape %s here and %s in the source",
                             a[i].name, einc__shape_str(s1, sizeof s1, a[i].tensor->ndim, a[i].tensor->shape),
                             einc__shape_str(s2, sizeof s2, b[i].tensor->ndim, b[i].tensor->shape));
            break;
        }
        st = einc_tensor_copy_(ctx, a[i].tensor, b[i].tensor);
    }
    einc_set_grad_enabled(ctx, was);
    return st;
}

void einc_mha_free(einc_mha *m) {
    if (!m) return;
    einc_conv1x1_free(&m->qkv);
    einc_conv1x1_free(&m->proj);
}

einc_status einc_mha_load_state(einc_ctx *ctx, einc_mha *m, const einc_state *state) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!m || !state) return einc__error(ctx, EINC_EINVAL, "einc_mha_load_state: NULL argument");
    einc_param ps[4];
    int n = einc_mha_params(m, ps, 4);
    bool was = einc_set_grad_enabled(ctx, false);
    einc_status st = EINC_OK;
    einc_scope_begin(ctx);
    for (int i = 0; i < n && st == EINC_OK; i++) {
        einc_tensor *t = einc_state_get(state, ps[i].name);
        if (!t) {
            st = ctx->status ? ctx->status : EINC_EINDEX;
            break;
        }
        if (t->ndim != ps[i].tensor->ndim ||
            memcmp(t->shape, ps[i].tensor->shape, sizeof(int64_t) * (size_t)t->ndim) != 0) {
            char a[256], b[256];
            st =
                einc__error(ctx, EINC_ESHAPE,
                            "einc_mha_load_state: '%s' has shape %s in the state dict, but the "
                            "module (channels %lld, heads %lld) needs %s",
                            ps[i].name, einc__shape_str(a, sizeof a, t->ndim, t->shape), (long long)m->channels,
                            (long long)m->heads, einc__shape_str(b, sizeof b, ps[i].tensor->ndim, ps[i].tensor->shape));
            break;
        }
        st = einc_tensor_copy_(ctx, ps[i].tensor, t);
    }
    einc_scope_end(ctx);
    einc_set_grad_enabled(ctx, was);
    return st;
}

/* A state dict of the parameters (grads: their gradients, zeros where there is none). */
static einc_state *params_state(einc_ctx *ctx, const einc_mha *m, bool grads, const char *fname) {
    if (!ctx) return NULL;
    if (!m || !m->qkv.weight) {
        einc__error(ctx, EINC_EINVAL, "%s: module is not initialised", fname);
        return NULL;
    }
    einc_state *s = einc_state_new(ctx);
    if (!s) return NULL;
    einc_param ps[4];
    int n = einc_mha_params(m, ps, 4);
    einc_status st = EINC_OK;
    einc_scope_begin(ctx);
    for (int i = 0; i < n && st == EINC_OK; i++) {
        einc_tensor *t = ps[i].tensor;
        if (grads) {
            t = einc_grad(ctx, ps[i].tensor);
            if (!t) t = einc_tensor_zeros(ctx, ps[i].tensor->dtype, ps[i].tensor->ndim, ps[i].tensor->shape);
        }
        st = t ? einc_state_set(s, ps[i].name, t) : (ctx->status ? ctx->status : EINC_ENOMEM);
    }
    einc_scope_end(ctx);
    if (st != EINC_OK) {
        einc_state_free(s);
        return NULL;
    }
    return s;
}

einc_state *einc_mha_state(einc_ctx *ctx, const einc_mha *m) {
    EINC__OWNED(ctx, NULL);
    return params_state(ctx, m, false, "einc_mha_state");
}

einc_state *einc_mha_grad_state(einc_ctx *ctx, const einc_mha *m) {
    EINC__OWNED(ctx, NULL);
    return params_state(ctx, m, true, "einc_mha_grad_state");
}
