/* attention — the einx-vs-PyTorch notebook, in C.
 *
 * One multi-head self-attention module (B, C, H, W) -> (B, C, H, W) written three ways over the
 * same parameters, in this file, with the public API only: with einx notation (forward_notation),
 * with raw index bookkeeping (forward_raw, the PyTorch column) and with the notation and the fused
 * attention kernel (forward_fused). docs/attention.md quotes these functions by line range. With
 * no arguments it re-enacts the notebook: builds the modules (C=16, heads=4, B=2, H=W=8, seeded)
 * with the same parameters, runs them, verifies they agree, prints their timings and peak memory
 * side by side, and runs a backward pass through each.
 *
 *   build/attention [--batch B] [--channels C] [--heads N] [--height H] [--width W] [--seed S]
 *                   [--impl notation|raw|fused] [--weights W.safetensors] [--input X.npy]
 *                   [--output Y.npy] [--grad-input GX.npy] [--grads G.safetensors]
 *   build/attention --check
 *
 * --weights loads a PyTorch state dict (qkv.weight, qkv.bias, proj.weight, proj.bias) saved as
 * safetensors; --grad-input / --grads write the gradients of sum(output) with respect to the input
 * and to the parameters (same names). --check compares the three forwards of this file, and their
 * input gradients, with the library's einc_mha_forward_notation, _raw and _fused (which
 * tests/test_attention.c checks against PyTorch) over several shapes, and exits 0 only if they
 * agree (ctest runs it). Any error: a message on stderr and exit status 1.
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
                    "                 [--impl notation|raw|fused] [--weights W.safetensors] [--input X.npy]\n"
                    "                 [--output Y.npy] [--grad-input GX.npy] [--grads G.safetensors]\n"
                    "       attention --check   (this file's forwards against the library's)\n");
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

/* ---- the module's forward, three ways ------------------------------------------------------ */

/* einx notation: x [B, C, H, W] -> [B, C, H, W]. Errors need no checks between the lines: every
 * call returns NULL once anything failed, and the first error stays in the context. */
static einc_tensor *forward_notation(einc_ctx *ctx, const einc_mha *m, einc_tensor *x) {
    int64_t H = einc_tensor_dim(x, 2), W = einc_tensor_dim(x, 3), nh = m->heads, dh = m->channels / m->heads;
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

/* The PyTorch module's forward, view by view: the same function of the same parameters. */
static einc_tensor *forward_raw(einc_ctx *ctx, const einc_mha *m, einc_tensor *x) {
    int64_t B = einc_tensor_dim(x, 0), H = einc_tensor_dim(x, 2), W = einc_tensor_dim(x, 3), N = H * W;
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

/* forward_notation with its dot, softmax, dot replaced by the fused kernel: the N x N scores are
 * never formed. */
static einc_tensor *forward_fused(einc_ctx *ctx, const einc_mha *m, einc_tensor *x) {
    int64_t H = einc_tensor_dim(x, 2), W = einc_tensor_dim(x, 3), nh = m->heads, dh = m->channels / m->heads;
    einc_tensor *qkv = einc_conv1x1_forward(ctx, &m->qkv, x);
    qkv =
        einc_id(ctx, "... (qkv nh dh) H W -> qkv ... nh (H W) dh", qkv, EINC_AXES({"qkv", 3}, {"nh", nh}, {"dh", dh}));
    einc_tensor *q = einc_tensor_select(ctx, qkv, 0, 0); /* [B, nh, N, dh] views, no copies */
    einc_tensor *k = einc_tensor_select(ctx, qkv, 0, 1);
    einc_tensor *v = einc_tensor_select(ctx, qkv, 0, 2);
    einc_tensor *out = einc_attention(ctx, "... N dh, ... M dh, ... M d -> ... N d", q, k, v, EINC_NO_AXES, NULL);
    out =
        einc_id(ctx, "... nh (H W) dh -> ... (nh dh) H W", out, EINC_AXES({"nh", nh}, {"dh", dh}, {"H", H}, {"W", W}));
    return einc_conv1x1_forward(ctx, &m->proj, out);
}

/* Best-of-n microseconds per forward, without recording a graph; each call in its own scope.
 * Stops early after 3 calls once a second has been spent. */
static double time_forward(einc_ctx *ctx, forward_fn fwd, const einc_mha *m, einc_tensor *x, int n) {
    bool was = einc_set_grad_enabled(ctx, false);
    double best = 1e30, start = now();
    for (int i = 0; i < n && (i < 3 || now() - start < 1.0); i++) {
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

/* Peak bytes (above what was live before) of one forward (and backward, `grads`). */
static double peak_mib(einc_ctx *ctx, forward_fn fwd, const einc_mha *m, einc_tensor *x, bool grads) {
    einc_scope_begin(ctx);
    einc_memory_stats before, after;
    einc_memory_stats_get(ctx, &before);
    einc_memory_peak_reset(ctx);
    bool was = einc_set_grad_enabled(ctx, grads);
    einc_tensor *y = fwd(ctx, m, x);
    if (y && grads) einc_backward(ctx, einc_tensor_sum(ctx, y, EINC_ALL, false), NULL);
    einc_set_grad_enabled(ctx, was);
    einc_memory_stats_get(ctx, &after);
    einc_scope_end(ctx);
    return (double)(after.window_peak_bytes - before.live_bytes) / (1 << 20);
}

enum { NIMPL = 3 };
static const char *const impl_name[NIMPL] = {"notation", "raw", "fused"};
static const forward_fn impl_fn[NIMPL] = {forward_notation, forward_raw, forward_fused};
static const forward_fn library_fn[NIMPL] = {einc_mha_forward_notation, einc_mha_forward_raw, einc_mha_forward_fused};

static double max_abs_diff(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    einc_tensor *d = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, a, b)), EINC_ALL, false);
    return d ? einc_tensor_item(d) : INFINITY;
}

/* The notebook: three modules with the same parameters, the forwards compared, timed, measured,
 * and a backward through each. */
static int notebook(einc_ctx *ctx, const options *o) {
    einc_mha mods[NIMPL];
    int ninit = 0;
    while (ninit < NIMPL && einc_mha_init(ctx, &mods[ninit], o->channels, o->heads) == EINC_OK) ninit++;
    if (ninit < NIMPL) {
        while (ninit > 0) einc_mha_free(&mods[--ninit]);
        return fail(ctx);
    }
    int rc = 0;
    einc_scope_begin(ctx);
    einc_mha_copy_params(ctx, &mods[1], &mods[0]);
    einc_mha_copy_params(ctx, &mods[2], &mods[0]);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(o->batch, o->channels, o->height, o->width));
    einc_tensor *y[NIMPL];
    for (int k = 0; k < NIMPL; k++) y[k] = impl_fn[k](ctx, &mods[k], x);
    if (!y[0] || !y[1] || !y[2]) {
        rc = fail(ctx);
        goto done_scope;
    }
    printf("multi-head self-attention: B=%lld C=%lld heads=%lld H=%lld W=%lld, seed %llu, GEMM: %s, CPU level: %s\n",
           (long long)o->batch, (long long)o->channels, (long long)o->heads, (long long)o->height, (long long)o->width,
           (unsigned long long)o->seed, einc_gemm_backend_name(einc_get_gemm_backend(ctx)),
           einc_cpu_level_name(einc_cpu_level_active()));
    printf("output shape (%lld, %lld, %lld, %lld) equals input shape: %s\n", (long long)einc_tensor_dim(y[0], 0),
           (long long)einc_tensor_dim(y[0], 1), (long long)einc_tensor_dim(y[0], 2),
           (long long)einc_tensor_dim(y[0], 3),
           einc_tensor_ndim(y[0]) == 4 && einc_tensor_dim(y[0], 1) == o->channels ? "yes" : "NO");
    /* notation and raw do the same float operations; the fused kernel sums in another order */
    double d_raw = max_abs_diff(ctx, y[1], y[0]), d_fused = max_abs_diff(ctx, y[2], y[0]);
    printf("max_abs_diff: raw vs notation %g, fused vs notation %g\n", d_raw, d_fused);
    if (d_raw <= 1e-6 && d_fused <= 1e-5)
        printf("Verification passed: notation and raw agree within 1e-6, fused within 1e-5.\n");
    else {
        printf("Verification FAILED: the implementations differ.\n");
        rc = 1;
    }
    /* determinism: the same input gives the same output */
    bool same = true;
    for (int k = 0; k < NIMPL; k++) same = same && max_abs_diff(ctx, impl_fn[k](ctx, &mods[k], x), y[k]) == 0.0;
    printf("deterministic forward (same input twice, each implementation): %s\n", same ? "yes" : "NO");

    int reps = 200;
    printf("%-9s %14s %16s %20s\n", "", "forward (us)", "peak fwd (MiB)", "peak fwd+bwd (MiB)");
    for (int k = 0; k < NIMPL; k++)
        printf("%-9s %14.1f %16.3f %20.3f\n", impl_name[k], time_forward(ctx, impl_fn[k], &mods[k], x, reps),
               peak_mib(ctx, impl_fn[k], &mods[k], x, false), peak_mib(ctx, impl_fn[k], &mods[k], x, true));
    printf("(best of up to %d calls or 1 s, %d thread%s)\n", reps, einc_get_threads(ctx),
           einc_get_threads(ctx) == 1 ? "" : "s");

    /* backward through each: every parameter receives a nonzero gradient, and the same one */
    for (int k = 0; k < NIMPL; k++) {
        einc_tensor *loss = einc_tensor_sum(ctx, y[k], EINC_ALL, false);
        if (einc_backward(ctx, loss, NULL) != EINC_OK) {
            rc = fail(ctx);
            goto done_scope;
        }
        einc_param ps[4], p0[4];
        int np = einc_mha_params(&mods[k], ps, 4), nonzero = 0;
        einc_mha_params(&mods[0], p0, 4);
        double worst = 0; /* relative to the largest gradient element */
        for (int i = 0; i < np; i++) {
            einc_tensor *g = einc_grad(ctx, ps[i].tensor);
            einc_tensor *s = g ? einc_tensor_sum(ctx, einc_tensor_abs(ctx, g), EINC_ALL, false) : NULL;
            nonzero += s && einc_tensor_item(s) > 0;
            einc_tensor *g0 = einc_grad(ctx, p0[i].tensor);
            einc_tensor *mx = g0 ? einc_tensor_max(ctx, einc_tensor_abs(ctx, g0), EINC_ALL, false) : NULL;
            double d = g && mx ? max_abs_diff(ctx, g, g0) / fmax(1.0, einc_tensor_item(mx)) : INFINITY;
            if (d > worst) worst = d;
        }
        printf("backward (%s): %d of %d parameters received a nonzero gradient; max |difference| to notation's %g "
               "(relative)\n",
               impl_name[k], nonzero, np, worst);
        if (nonzero != np || worst > 1e-4) rc = 1;
    }
done_scope:
    einc_scope_end(ctx);
    for (int k = 0; k < NIMPL; k++) einc_mha_free(&mods[k]);
    return rc;
}

/* The forward (output and input gradient) of one implementation on a leaf copy of x. */
static einc_tensor *forward_with_grad(einc_ctx *ctx, forward_fn fwd, const einc_mha *m, einc_tensor *x,
                                      einc_tensor **grad) {
    einc_tensor *leaf = einc_tensor_clone(ctx, x);
    if (!leaf || einc_requires_grad(leaf, true) != EINC_OK) return NULL;
    einc_tensor *y = fwd(ctx, m, leaf);
    if (!y || einc_backward(ctx, einc_tensor_sum(ctx, y, EINC_ALL, false), NULL) != EINC_OK) return NULL;
    *grad = einc_grad(ctx, leaf);
    return *grad ? y : NULL;
}

/* --check: this file's forwards against the library's, which tests/test_attention.c holds to
 * PyTorch. Each pair runs the same operations in the same order, so outputs and input gradients
 * must be identical; notation and raw must also agree with each other (1e-6). */
static int check(einc_ctx *ctx) {
    static const int64_t shapes[][5] = {/* B, C, heads, H, W */
                                        {2, 16, 4, 8, 8},
                                        {1, 8, 2, 3, 5},
                                        {3, 12, 3, 4, 2},
                                        {1, 4, 1, 1, 1}};
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int64_t *d = shapes[s];
        einc_mha m;
        if (einc_mha_init(ctx, &m, d[1], d[2]) != EINC_OK) return fail(ctx);
        einc_scope_begin(ctx);
        einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(d[0], d[1], d[3], d[4]));
        einc_tensor *y[NIMPL] = {NULL, NULL, NULL};
        for (int k = 0; k < NIMPL && x; k++) {
            einc_tensor *g_ex = NULL, *g_lib = NULL;
            y[k] = forward_with_grad(ctx, impl_fn[k], &m, x, &g_ex);
            einc_tensor *y_lib = forward_with_grad(ctx, library_fn[k], &m, x, &g_lib);
            if (!y[k] || !y_lib) break;
            double dy = max_abs_diff(ctx, y[k], y_lib), dg = max_abs_diff(ctx, g_ex, g_lib);
            bool same = einc_tensor_ndim(y[k]) == 4 && dy == 0.0 && dg == 0.0;
            for (int i = 0; i < 4; i++) same = same && einc_tensor_dim(y[k], i) == einc_tensor_dim(x, i);
            printf("%s B=%lld C=%lld heads=%lld H=%lld W=%lld: output %s (max |diff| %g), input gradient %s (%g)\n",
                   impl_name[k], (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3], (long long)d[4],
                   dy == 0.0 ? "identical" : "DIFFERS", dy, dg == 0.0 ? "identical" : "DIFFERS", dg);
            bad += !same;
        }
        if (!y[0] || !y[1] || !y[2]) {
            einc_scope_end(ctx);
            einc_mha_free(&m);
            return fail(ctx);
        }
        double d_raw = max_abs_diff(ctx, y[0], y[1]);
        if (!(d_raw <= 1e-6)) {
            printf("notation and raw differ by %g\n", d_raw);
            bad++;
        }
        einc_scope_end(ctx);
        einc_mha_free(&m);
    }
    /* bad input: the error is recorded, nothing crashes (C = 15 for a module of 16 channels) */
    einc_mha m;
    if (einc_mha_init(ctx, &m, 16, 4) != EINC_OK) return fail(ctx);
    for (int k = 0; k < NIMPL; k++) {
        einc_scope_begin(ctx);
        einc_tensor *y = impl_fn[k](ctx, &m, einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2, 15, 4, 4)));
        einc_status st = einc_errcode(ctx);
        printf("%s on a (2, 15, 4, 4) input: %s\n", impl_name[k], y ? "a result (WRONG)" : einc_status_name(st));
        bad += y != NULL || st == EINC_OK;
        einc_clear_error(ctx);
        einc_scope_end(ctx);
    }
    einc_mha_free(&m);
    printf("%s\n", bad ? "check FAILED" : "check passed: this file's forwards are the library's");
    return bad ? 1 : 0;
}

/* The forwards assume x is (B, channels, H, W); a file may hold anything else. Prints why not. */
static bool input_fits(const einc_mha *m, einc_tensor *x) {
    int nd = einc_tensor_ndim(x);
    if (nd == 4 && einc_tensor_dim(x, 1) == m->channels) return true;
    char shape[256] = "(";
    size_t len = 1;
    for (int i = 0; i < nd && len < sizeof shape - 32; i++)
        len += (size_t)snprintf(shape + len, sizeof shape - len, "%s%lld", i ? ", " : "",
                                (long long)einc_tensor_dim(x, i));
    snprintf(shape + len, sizeof shape - len, nd == 1 ? ",)" : ")");
    fprintf(stderr, "ShapeError: attention: expected an input of shape (B, %lld, H, W), got %s\n",
            (long long)m->channels, shape);
    return false;
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
    int impl = 0;
    while (o->impl && impl < NIMPL - 1 && strcmp(o->impl, impl_name[impl]) != 0) impl++;
    if (st == EINC_OK && !input_fits(&m, x)) {
        einc_mha_free(&m);
        return 1;
    }
    einc_tensor *y = st == EINC_OK ? impl_fn[impl](ctx, &m, x) : NULL;
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
    printf("%s forward: output (%lld, %lld, %lld, %lld)%s%s%s\n", impl_name[impl], (long long)einc_tensor_dim(y, 0),
           (long long)einc_tensor_dim(y, 1), (long long)einc_tensor_dim(y, 2), (long long)einc_tensor_dim(y, 3),
           o->output ? ", written to " : "", o->output ? o->output : "",
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
        if (strcmp(a, "--check") == 0) {
            if (argc != 2) return usage("--check takes no other option");
            einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 1});
            if (!ctx) return 1;
            int rc = check(ctx);
            einc_ctx_destroy(ctx);
            return rc;
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
            if (strcmp(v, "notation") != 0 && strcmp(v, "raw") != 0 && strcmp(v, "fused") != 0)
                return usage("--impl must be notation, raw or fused");
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
