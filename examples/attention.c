/* attention — the einx-vs-PyTorch notebook, in C.
 *
 * One multi-head self-attention module (B, C, H, W) -> (B, C, H, W) written twice over the same
 * parameters: with einx notation (einc_mha_forward_notation) and with raw index bookkeeping
 * (einc_mha_forward_raw, the PyTorch column). With no arguments it re-enacts the notebook: builds
 * both modules (C=16, heads=4, B=2, H=W=8, seeded), copies the parameters of one into the other,
 * runs both, verifies they agree, times them, and runs a backward pass.
 *
 *   build/attention [--batch B] [--channels C] [--heads N] [--height H] [--width W] [--seed S]
 *                   [--impl notation|raw] [--weights W.safetensors] [--input X.npy]
 *                   [--output Y.npy] [--grad-input GX.npy] [--grads G.safetensors]
 *
 * --weights loads a PyTorch state dict (qkv.weight, qkv.bias, proj.weight, proj.bias) saved as
 * safetensors; --grad-input / --grads write the gradients of sum(output) with respect to the input
 * and to the parameters (same names). Any error: a message on stderr and exit status 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "einc.h"

typedef struct {
    int64_t batch, channels, heads, height, width;
    uint64_t seed;
    const char *impl; /* NULL: both (the notebook re-enactment) */
    const char *weights, *input, *output, *grad_input, *grads;
} options;

static int usage(const char *msg) {
    if (msg) fprintf(stderr, "ValueError: %s\n", msg);
    fprintf(stderr, "usage: attention [--batch B] [--channels C] [--heads N] [--height H] [--width W] [--seed S]\n"
                    "                 [--impl notation|raw] [--weights W.safetensors] [--input X.npy]\n"
                    "                 [--output Y.npy] [--grad-input GX.npy] [--grads G.safetensors]\n");
    return 1;
}

static bool parse_int(const char *s, int64_t *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > (1 << 20)) return false;
    *out = v;
    return true;
}

/* Reports the context's error; the caller still owns (and later destroys) the context. */
static int fail(einc_ctx *ctx) {
    fprintf(stderr, "%s: %s\n", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
    return 1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef einc_tensor *(*forward_fn)(einc_ctx *, const einc_mha *, einc_tensor *);

/* Best-of-n microseconds per forward, without recording a graph; each call in its own scope. */
static double time_forward(einc_ctx *ctx, forward_fn fwd, const einc_mha *m, einc_tensor *x, int n) {
    bool was = einc_set_grad_enabled(ctx, false);
    double best = 1e30;
    for (int i = 0; i < n; i++) {
        einc_scope_begin(ctx);
        double t0 = now();
        einc_tensor *y = fwd(ctx, m, x);
        double dt = now() - t0;
        einc_scope_end(ctx);
        if (!y) break;
        if (dt < best) best = dt;
    }
    einc_set_grad_enabled(ctx, was);
    return best * 1e6;
}

/* The notebook: two modules, parameters copied, both forwards compared, timed, backward run. */
static int notebook(einc_ctx *ctx, const options *o) {
    einc_mha a, b;
    if (einc_mha_init(ctx, &a, o->channels, o->heads) != EINC_OK) return fail(ctx);
    if (einc_mha_init(ctx, &b, o->channels, o->heads) != EINC_OK) {
        einc_mha_free(&a);
        return fail(ctx);
    }
    int rc = 0;
    einc_scope_begin(ctx);
    einc_mha_copy_params(ctx, &b, &a);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(o->batch, o->channels, o->height, o->width));
    einc_tensor *y_raw = einc_mha_forward_raw(ctx, &a, x);
    einc_tensor *y_einx = einc_mha_forward_notation(ctx, &b, x);
    einc_tensor *diff = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, y_raw, y_einx)), EINC_ALL, false);
    if (!diff) {
        rc = fail(ctx);
        goto done_scope;
    }
    double max_diff = einc_tensor_item(diff);
    printf("multi-head self-attention: B=%lld C=%lld heads=%lld H=%lld W=%lld, seed %llu, GEMM: %s\n",
           (long long)o->batch, (long long)o->channels, (long long)o->heads, (long long)o->height,
           (long long)o->width, (unsigned long long)o->seed,
           einc_gemm_backend_name(einc_get_gemm_backend(ctx)));
    printf("output shape (%lld, %lld, %lld, %lld) equals input shape: %s\n", (long long)einc_tensor_dim(y_einx, 0),
           (long long)einc_tensor_dim(y_einx, 1), (long long)einc_tensor_dim(y_einx, 2),
           (long long)einc_tensor_dim(y_einx, 3),
           einc_tensor_ndim(y_einx) == 4 && einc_tensor_dim(y_einx, 1) == o->channels ? "yes" : "NO");
    printf("max_abs_diff: %g\n", max_diff);
    if (max_diff <= 1e-6) printf("Verification passed: notation and raw forward outputs are identical within 1e-6.\n");
    else {
        printf("Verification FAILED: the two implementations differ.\n");
        rc = 1;
    }
    /* determinism: the same input gives the same output */
    einc_tensor *y_again = einc_mha_forward_notation(ctx, &b, x);
    einc_tensor *d2 = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, y_again, y_einx)), EINC_ALL, false);
    printf("deterministic forward (same input twice): %s\n", d2 && einc_tensor_item(d2) == 0.0 ? "yes" : "NO");

    double t_einx = time_forward(ctx, einc_mha_forward_notation, &b, x, 200);
    double t_raw = time_forward(ctx, einc_mha_forward_raw, &a, x, 200);
    printf("forward, best of 200 (%d thread%s): notation %.1f us, raw %.1f us\n", einc_get_threads(ctx),
           einc_get_threads(ctx) == 1 ? "" : "s", t_einx, t_raw);

    /* backward through both: every parameter receives a nonzero gradient */
    const einc_mha *mods[2] = {&b, &a};
    const char *names[2] = {"notation", "raw"};
    for (int k = 0; k < 2; k++) {
        einc_tensor *y = k == 0 ? y_einx : y_raw;
        einc_tensor *loss = einc_tensor_sum(ctx, y, EINC_ALL, false);
        if (einc_backward(ctx, loss, NULL) != EINC_OK) {
            rc = fail(ctx);
            goto done_scope;
        }
        einc_param ps[4];
        int np = einc_mha_params(mods[k], ps, 4), nonzero = 0;
        for (int i = 0; i < np; i++) {
            einc_tensor *g = einc_grad(ctx, ps[i].tensor);
            einc_tensor *s = g ? einc_tensor_sum(ctx, einc_tensor_abs(ctx, g), EINC_ALL, false) : NULL;
            nonzero += s && einc_tensor_item(s) > 0;
        }
        printf("backward (%s): %d of %d parameters received a nonzero gradient\n", names[k], nonzero, np);
        if (nonzero != np) rc = 1;
    }
done_scope:
    einc_scope_end(ctx);
    einc_mha_free(&a);
    einc_mha_free(&b);
    return rc;
}

/* Real use: one implementation, optional weights/input, outputs and gradients written to files. */
static int run(einc_ctx *ctx, const options *o) {
    einc_mha m;
    if (einc_mha_init(ctx, &m, o->channels, o->heads) != EINC_OK) return fail(ctx);
    einc_status st = EINC_OK;
    if (o->weights) {
        einc_state *s = einc_safetensors_load(ctx, o->weights);
        st = s ? einc_mha_load_state(ctx, &m, s) : einc_errcode(ctx);
        einc_state_free(s);
    }
    einc_tensor *x = NULL;
    if (st == EINC_OK) {
        x = o->input ? einc_npy_load(ctx, o->input)
                     : einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(o->batch, o->channels, o->height, o->width));
        if (x && einc_tensor_dtype(x) != EINC_FLOAT32) x = einc_tensor_cast(ctx, x, EINC_FLOAT32);
        if (x) st = einc_requires_grad(x, true);
        else st = einc_errcode(ctx);
    }
    bool raw = o->impl && strcmp(o->impl, "raw") == 0;
    einc_tensor *y = st == EINC_OK ? (raw ? einc_mha_forward_raw : einc_mha_forward_notation)(ctx, &m, x) : NULL;
    if (y && o->output) st = einc_npy_save(ctx, o->output, y);
    if (y && st == EINC_OK && (o->grad_input || o->grads)) {
        st = einc_backward(ctx, einc_tensor_sum(ctx, y, EINC_ALL, false), NULL);
        if (st == EINC_OK && o->grad_input) st = einc_npy_save(ctx, o->grad_input, einc_grad(ctx, x));
        if (st == EINC_OK && o->grads) {
            einc_state *g = einc_mha_grad_state(ctx, &m);
            st = g ? einc_safetensors_save(ctx, o->grads, g) : einc_errcode(ctx);
            einc_state_free(g);
        }
    }
    einc_mha_free(&m);
    if (!y || st != EINC_OK) return fail(ctx);
    printf("%s forward: output (%lld, %lld, %lld, %lld)%s%s%s\n", raw ? "raw" : "notation",
           (long long)einc_tensor_dim(y, 0), (long long)einc_tensor_dim(y, 1), (long long)einc_tensor_dim(y, 2),
           (long long)einc_tensor_dim(y, 3), o->output ? ", written to " : "", o->output ? o->output : "",
           (o->grad_input || o->grads) ? "; gradients written" : "");
    return 0;
}

int main(int argc, char **argv) {
    options o = {2, 16, 4, 8, 8, 0, NULL, NULL, NULL, NULL, NULL, NULL};
    bool real_use = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(NULL);
            return 0;
        }
        if (i + 1 >= argc) return usage("every option takes a value");
        const char *v = argv[++i];
        int64_t n;
        if (strcmp(a, "--batch") == 0 && parse_int(v, &n)) o.batch = n;
        else if (strcmp(a, "--channels") == 0 && parse_int(v, &n)) o.channels = n;
        else if (strcmp(a, "--heads") == 0 && parse_int(v, &n)) o.heads = n;
        else if (strcmp(a, "--height") == 0 && parse_int(v, &n)) o.height = n;
        else if (strcmp(a, "--width") == 0 && parse_int(v, &n)) o.width = n;
        else if (strcmp(a, "--seed") == 0) o.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--impl") == 0) {
            if (strcmp(v, "notation") != 0 && strcmp(v, "raw") != 0) return usage("--impl must be notation or raw");
            o.impl = v;
            real_use = true;
        } else if (strcmp(a, "--weights") == 0) o.weights = v, real_use = true;
        else if (strcmp(a, "--input") == 0) o.input = v, real_use = true;
        else if (strcmp(a, "--output") == 0) o.output = v, real_use = true;
        else if (strcmp(a, "--grad-input") == 0) o.grad_input = v, real_use = true;
        else if (strcmp(a, "--grads") == 0) o.grads = v, real_use = true;
        else {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option or invalid value: %s %s", a, v);
            return usage(msg);
        }
    }
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = o.seed});
    if (!ctx) return 1;
    int rc = real_use ? run(ctx, &o) : notebook(ctx, &o);
    einc_ctx_destroy(ctx);
    return rc;
}
