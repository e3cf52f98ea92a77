/* demo — multi-head self-attention written twice with einc, as in the einx-vs-PyTorch notebook:
 * once with einx notation, once with the raw index-based API (view / permute / bmm / softmax over
 * a dim), on the same random weights; prints both outputs' difference and their timings.
 *
 *   make demo            (B=2, C=16, heads=4, H=W=8, as in the notebook)
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "einc.h"

typedef struct {
    int channels, heads;
    einc_tensor *qkv_w, *qkv_b;   /* [3C, C, 1, 1], [3C] */
    einc_tensor *proj_w, *proj_b; /* [C, C, 1, 1], [C]   */
} attention;

/* x [B, C, H, W] -> [B, C, H, W], in einx notation. */
static einc_tensor *attention_notation(einc_ctx *ctx, const attention *m, einc_tensor *x) {
    int64_t H = einc_tensor_dim(x, 2), W = einc_tensor_dim(x, 3);
    int64_t nh = m->heads, dh = m->channels / m->heads;
    double scale = 1.0 / sqrt((double)dh);
    einc_tensor *qkv = einc_tensor_conv2d_1x1(ctx, x, m->qkv_w, m->qkv_b);
    qkv = einc_id(ctx, "... (qkv nh dh) H W -> qkv ... nh (H W) dh", qkv,
                  EINC_AXES({"qkv", 3}, {"nh", nh}, {"dh", dh}));
    einc_tensor *q = einc_tensor_select(ctx, qkv, 0, 0);
    einc_tensor *k = einc_tensor_select(ctx, qkv, 0, 1);
    einc_tensor *v = einc_tensor_select(ctx, qkv, 0, 2);
    einc_tensor *attn = einc_dot(ctx, "... N dh, ... M dh -> ... N M", q, k);
    attn = einc_softmax(ctx, "... N [M]", einc_mul_scalar(ctx, attn, scale));
    einc_tensor *out = einc_dot(ctx, "... N M, ... M d -> ... N d", attn, v);
    out = einc_id(ctx, "... nh (H W) dh -> ... (nh dh) H W", out, EINC_AXES({"nh", nh}, {"dh", dh}, {"H", H}, {"W", W}));
    return einc_tensor_conv2d_1x1(ctx, out, m->proj_w, m->proj_b);
}

/* The same with view/permute/bmm and hand-tracked dimension indices (the PyTorch column). */
static einc_tensor *attention_raw(einc_ctx *ctx, const attention *m, einc_tensor *x) {
    int64_t B = einc_tensor_dim(x, 0), H = einc_tensor_dim(x, 2), W = einc_tensor_dim(x, 3), N = H * W;
    int64_t nh = m->heads, dh = m->channels / m->heads, bh = B * nh;
    double scale = 1.0 / sqrt((double)dh);
    einc_tensor *qkv = einc_tensor_conv2d_1x1(ctx, x, m->qkv_w, m->qkv_b);   /* (B, 3C, H, W)           */
    qkv = einc_tensor_view(ctx, qkv, EINC_SHAPE(B, 3, nh, dh, N));           /* (B, 3, heads, dh, N)    */
    qkv = einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, qkv, EINC_DIMS(1, 0, 2, 4, 3))); /* (3, B, heads, N, dh) */
    einc_tensor *q = einc_tensor_view(ctx, einc_tensor_select(ctx, qkv, 0, 0), EINC_SHAPE(bh, N, dh));
    einc_tensor *k = einc_tensor_view(ctx, einc_tensor_select(ctx, qkv, 0, 1), EINC_SHAPE(bh, N, dh));
    einc_tensor *v = einc_tensor_view(ctx, einc_tensor_select(ctx, qkv, 0, 2), EINC_SHAPE(bh, N, dh));
    einc_tensor *scores = einc_mul_scalar(ctx, einc_tensor_bmm(ctx, q, einc_tensor_transpose(ctx, k, 1, 2)), scale);
    einc_tensor *attn = einc_tensor_softmax(ctx, scores, -1);                /* (B*heads, N, N)         */
    einc_tensor *out = einc_tensor_bmm(ctx, attn, v);                        /* (B*heads, N, dh)        */
    out = einc_tensor_view(ctx, out, EINC_SHAPE(B, nh, N, dh));
    out = einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, out, EINC_DIMS(0, 1, 3, 2)));
    out = einc_tensor_view(ctx, out, EINC_SHAPE(B, nh * dh, H, W));
    return einc_tensor_conv2d_1x1(ctx, out, m->proj_w, m->proj_b);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best-of-n microseconds per forward, each call in its own scope (flat memory). */
static double time_forward(einc_ctx *ctx, einc_tensor *(*fwd)(einc_ctx *, const attention *, einc_tensor *),
                           const attention *m, einc_tensor *x, int n) {
    double best = 1e30;
    for (int i = 0; i < n; i++) {
        einc_scope_begin(ctx);
        double t0 = now();
        fwd(ctx, m, x);
        double dt = now() - t0;
        einc_scope_end(ctx);
        if (dt < best) best = dt;
    }
    return best * 1e6;
}

int main(void) {
    int B = 2, C = 16, heads = 4, H = 8, W = 8;
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 0});
    if (!ctx) return 1;
    /* PyTorch's default init for a 1x1 conv: uniform in +-1/sqrt(fan_in) */
    double bound = 1.0 / sqrt((double)C);
    attention m = {C, heads, NULL, NULL, NULL, NULL};
    m.qkv_w = einc_add_scalar(ctx, einc_mul_scalar(ctx, einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(3 * C, C, 1, 1)), 2 * bound), -bound);
    m.qkv_b = einc_add_scalar(ctx, einc_mul_scalar(ctx, einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(3 * C)), 2 * bound), -bound);
    m.proj_w = einc_add_scalar(ctx, einc_mul_scalar(ctx, einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(C, C, 1, 1)), 2 * bound), -bound);
    m.proj_b = einc_add_scalar(ctx, einc_mul_scalar(ctx, einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(C)), 2 * bound), -bound);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(B, C, H, W));

    einc_tensor *y1 = attention_notation(ctx, &m, x);
    einc_tensor *y2 = attention_raw(ctx, &m, x);
    einc_tensor *diff = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, y1, y2)), EINC_ALL, false);
    if (!diff) {
        fprintf(stderr, "%s: %s\n", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
        einc_ctx_destroy(ctx);
        return 1;
    }
    double max_diff = einc_tensor_item(diff);
    printf("multi-head self-attention, B=%d C=%d heads=%d H=%d W=%d (BLAS: %s)\n", B, C, heads, H, W,
           einc_blas_backend());
    printf("output shape (%lld, %lld, %lld, %lld), input shape (%d, %d, %d, %d)\n",
           (long long)einc_tensor_dim(y1, 0), (long long)einc_tensor_dim(y1, 1), (long long)einc_tensor_dim(y1, 2),
           (long long)einc_tensor_dim(y1, 3), B, C, H, W);
    printf("max_abs_diff: %g\n", max_diff);
    if (max_diff <= 1e-6) printf("Verification passed: the notation and raw versions agree within 1e-6.\n");
    else printf("Verification FAILED: the two versions differ.\n");
    printf("first output values: ");
    einc_tensor_print(einc_tensor_slice(ctx, einc_tensor_view(ctx, y1, EINC_SHAPE(-1)), 0, 0, 4, 1), stdout);
    printf("\n");
    double tn = time_forward(ctx, attention_notation, &m, x, 200);
    double tr = time_forward(ctx, attention_raw, &m, x, 200);
    printf("forward time (best of 200, 1 thread): notation %.1f us, raw %.1f us\n", tn, tr);
    einc_ctx_destroy(ctx);
    return max_diff <= 1e-6 ? 0 : 1;
}
