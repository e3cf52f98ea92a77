/* test_attention_fused.c — einc_attention (the fused, flash-style kernel) against the unfused
 * notation computed in float64, against its own row-at-a-time reference at every dispatch level,
 * against PyTorch (tests/golden/gen_attention_fused.py), by finite differences, and on bad input.
 *
 * Sizes straddle the kernel's blocks (96 query rows, 256 keys, 6-row strips, 16/64-wide vectors
 * and strips): N and M of 1, 5, 95..97, 257, 300; d and e of 1, 7, 16, 33, 64, 80; and the narrow
 * heads' forward (d, e <= 8: 3, 4, 5, 8).
 */
#include "kernels/attention.h"
#include "kernels/vecmath.h"
#include "test.h"

/* max |a - b| / max(1e-30, max |b|) over all elements (a and b of one shape, any dtypes). */
static double rel_err(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    einc_scope_begin(ctx);
    einc_tensor *a64 = einc_tensor_cast(ctx, a, EINC_FLOAT64), *b64 = einc_tensor_cast(ctx, b, EINC_FLOAT64);
    einc_tensor *d = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, a64, b64)), EINC_ALL, false);
    einc_tensor *m = einc_tensor_max(ctx, einc_tensor_abs(ctx, b64), EINC_ALL, false);
    double r = d && m ? einc_tensor_item(d) / fmax(1e-30, einc_tensor_item(m)) : 1e30;
    if (isnan(r)) r = 1e30;
    einc_scope_end(ctx);
    return r;
}

/* The causal mask [N, M] as 0 / -inf (float64). */
static einc_tensor *causal_mask(einc_ctx *ctx, int64_t n, int64_t m) {
    einc_tensor *t = einc_tensor_zeros(ctx, EINC_FLOAT64, 2, (int64_t[]){n, m});
    double *p = einc_tensor_data(t);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) p[i * m + j] = j <= i ? 0.0 : -INFINITY;
    return t;
}

/* The unfused notation, in the dtype of its inputs: softmax(scale q.k + bias (+ mask)) . v. */
static einc_tensor *unfused(einc_ctx *ctx, const char *dot1, const char *sm, const char *dot2, einc_tensor *q,
                            einc_tensor *k, einc_tensor *v, double scale, einc_tensor *bias, einc_tensor *mask) {
    einc_tensor *s = einc_mul_scalar(ctx, einc_dot(ctx, dot1, q, k), scale);
    if (bias) s = einc_tensor_add(ctx, s, bias);
    if (mask) s = einc_tensor_add(ctx, s, einc_tensor_cast(ctx, mask, s ? s->dtype : EINC_FLOAT64));
    return einc_dot(ctx, dot2, einc_softmax(ctx, sm, s), v);
}

typedef struct {
    int64_t b, h, n, m, d, e;
    bool causal;
    int bias; /* 0 none, 1 (N, M), 2 (B, 1, N, M), 3 (1, M) key padding with -inf */
} config;

static const config configs[] = {
    {1, 1, 1, 1, 1, 1, false, 0},
    {2, 3, 5, 7, 7, 16, false, 0},
    {1, 2, 96, 96, 16, 16, true, 0},
    {1, 1, 97, 257, 33, 80, false, 1},
    {2, 2, 95, 300, 64, 7, true, 2},
    {1, 3, 300, 97, 32, 32, true, 3},
    {2, 1, 257, 5, 80, 33, false, 3},
    {1, 1, 200, 600, 32, 32, false, 0},
    /* narrow heads (d, e <= 8: their own forward), over several key blocks of 256 */
    {2, 3, 70, 261, 4, 4, true, 2},
    {1, 2, 97, 600, 8, 5, false, 1},
    {2, 1, 33, 17, 3, 8, true, 3},
    {1, 1, 300, 520, 4, 4, false, 0},
    {2, 2, 64, 64, 4, 4, false, 0},
    {1, 2, 71, 90, 7, 4, true, 1}, /* four rows per call, then three (two and one) */
};

static einc_tensor *make_bias(einc_ctx *ctx, const config *c) {
    if (c->bias == 1) return einc_tensor_randn(ctx, EINC_FLOAT32, 2, (int64_t[]){c->n, c->m});
    if (c->bias == 2) return einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){c->b, 1, c->n, c->m});
    if (c->bias == 3) { /* mask the last third of the keys, keep at least one */
        einc_tensor *t = einc_tensor_zeros(ctx, EINC_FLOAT32, 2, (int64_t[]){1, c->m});
        float *p = einc_tensor_data(t);
        for (int64_t j = c->m - c->m / 3; j < c->m; j++) p[j] = -INFINITY;
        return t;
    }
    return NULL;
}

TEST(fused_matches_unfused_float64_reference) {
    einc_ctx *ctx = einc_ctx_create();
    for (size_t i = 0; i < sizeof configs / sizeof *configs; i++) {
        const config *c = &configs[i];
        einc_scope_begin(ctx);
        einc_tensor *q = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){c->b, c->h, c->n, c->d});
        einc_tensor *k = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){c->b, c->h, c->m, c->d});
        einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){c->b, c->h, c->m, c->e});
        einc_tensor *bias = make_bias(ctx, c);
        einc_attention_options opt = {0, c->causal, bias};
        einc_tensor *out = einc_attention(ctx, "b h N d, b h M d, b h M e -> b h N e", q, k, v, EINC_NO_AXES, &opt);
        CHECK_OK(ctx);
        einc_tensor *ref = unfused(ctx, "b h N d, b h M d -> b h N M", "b h N [M]", "b h N M, b h M e -> b h N e",
                                   einc_tensor_cast(ctx, q, EINC_FLOAT64), einc_tensor_cast(ctx, k, EINC_FLOAT64),
                                   einc_tensor_cast(ctx, v, EINC_FLOAT64), 1.0 / sqrt((double)c->d),
                                   bias ? einc_tensor_cast(ctx, bias, EINC_FLOAT64) : NULL,
                                   c->causal ? causal_mask(ctx, c->n, c->m) : NULL);
        CHECK_OK(ctx);
        double err = out && ref ? rel_err(ctx, out, ref) : 1e30;
        if (!(err < 2e-6)) fprintf(stderr, "config %zu: relative error %g\n", i, err);
        CHECK(err < 2e-6);
        /* float64 inputs run the reference and agree to float64 rounding */
        einc_tensor *out64 = einc_attention(
            ctx, "b h N d, b h M d, b h M e -> b h N e", einc_tensor_cast(ctx, q, EINC_FLOAT64),
            einc_tensor_cast(ctx, k, EINC_FLOAT64), einc_tensor_cast(ctx, v, EINC_FLOAT64), EINC_NO_AXES, &opt);
        CHECK(out64 && out64->dtype == EINC_FLOAT64);
        double e64 = out64 && ref ? rel_err(ctx, out64, ref) : 1e30;
        if (!(e64 < 1e-12)) fprintf(stderr, "config %zu: float64 relative error %g\n", i, e64);
        CHECK(e64 < 1e-12);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* q, k, v as the module makes them: selects of one rearranged qkv (strided, no copies), the axes
 * in other orders, N != M through a slice, and a scale and constraint given. */
TEST(strided_views_and_axis_orders) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){2, 3 * 4 * 8, 5, 7});
    einc_tensor *qkv = einc_id(ctx, "b (qkv nh dh) H W -> qkv b nh (H W) dh", x, EINC_AXES({"qkv", 3}, {"nh", 4}));
    einc_tensor *q = einc_tensor_select(ctx, qkv, 0, 0), *k = einc_tensor_select(ctx, qkv, 0, 1),
                *v = einc_tensor_select(ctx, qkv, 0, 2);
    einc_attention_options opt = {0.3, false, NULL};
    einc_tensor *out = einc_attention(ctx, "... N d, ... M d, ... M e -> ... N e", q, k, v, EINC_NO_AXES, &opt);
    einc_tensor *ref = unfused(ctx, "... N d, ... M d -> ... N M", "... N [M]", "... N M, ... M e -> ... N e", q, k, v,
                               0.3, NULL, NULL);
    CHECK_OK(ctx);
    CHECK(out && ref && rel_err(ctx, out, ref) < 2e-6);
    /* the output and the keys in other layouts: "d M" keys (a transposed view), the output "N b e h" */
    einc_tensor *kt = einc_tensor_permute(ctx, k, 4, (int[]){3, 0, 1, 2}); /* d b nh M */
    einc_tensor *out2 =
        einc_attention(ctx, "b h N d, d b h M, b h M e -> N b e h", q, kt, v, EINC_AXES({"d", 8}), &opt);
    einc_tensor *ref2 = einc_id(ctx, "b h N e -> N b e h", ref, EINC_NO_AXES);
    CHECK_OK(ctx);
    CHECK(out2 && ref2 && rel_err(ctx, out2, ref2) < 2e-6);
    /* fewer keys than queries: a slice of k and v */
    einc_tensor *k5 = einc_tensor_slice(ctx, k, 2, 3, 20, 1), *v5 = einc_tensor_slice(ctx, v, 2, 3, 20, 1);
    einc_tensor *out3 = einc_attention(ctx, "... N d, ... M d, ... M e -> ... N e", q, k5, v5, EINC_NO_AXES, NULL);
    einc_tensor *ref3 = unfused(ctx, "... N d, ... M d -> ... N M", "... N [M]", "... N M, ... M e -> ... N e", q, k5,
                                v5, 1.0 / sqrt(8.0), NULL, NULL);
    CHECK_OK(ctx);
    CHECK(out3 && ref3 && out3->shape[2] == 35 && rel_err(ctx, out3, ref3) < 2e-6);
    einc_ctx_destroy(ctx);
}

/* The tiled kernel at each level this CPU has against its reference, for the forward and every
 * gradient (the baseline runs the reference itself). */
TEST(kernel_levels_against_reference) {
    einc_ctx *ctx = einc_ctx_create();
    int top = (int)einc_cpu_level_supported();
    for (int lv = EINC_CPU_AVX2; lv <= top; lv++)
        for (size_t i = 0; i < sizeof configs / sizeof *configs; i++) {
            const config *c = &configs[i];
            einc_scope_begin(ctx);
            int64_t sq[4] = {c->b, c->h, c->n, c->d}, sk[4] = {c->b, c->h, c->m, c->d},
                    sv[4] = {c->b, c->h, c->m, c->e};
            int64_t so[4] = {c->b, c->h, c->n, c->e}, sl[3] = {c->b, c->h, c->n};
            einc_tensor *q = einc_tensor_randn(ctx, EINC_FLOAT32, 4, sq),
                        *k = einc_tensor_randn(ctx, EINC_FLOAT32, 4, sk);
            einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, 4, sv),
                        *g = einc_tensor_randn(ctx, EINC_FLOAT32, 4, so);
            einc_tensor *bias = make_bias(ctx, c);
            einc_tensor *res[2][6];
            for (int level = 0; level < 2; level++) {
                einc_tensor *o = einc_tensor_zeros(ctx, EINC_FLOAT32, 4, so),
                            *l = einc_tensor_zeros(ctx, EINC_FLOAT32, 3, sl);
                einc_tensor *dq = einc_tensor_zeros(ctx, EINC_FLOAT32, 4, sq),
                            *dk = einc_tensor_zeros(ctx, EINC_FLOAT32, 4, sk);
                einc_tensor *dv = einc_tensor_zeros(ctx, EINC_FLOAT32, 4, sv);
                einc_tensor *db = bias ? einc_tensor_zeros(ctx, EINC_FLOAT32, bias->ndim, bias->shape) : NULL;
                einc__attn a;
                memset(&a, 0, sizeof a);
                a.nb = 2, a.q = einc__view_of(q), a.k = einc__view_of(k), a.v = einc__view_of(v),
                a.o = einc__view_of(o);
                a.lse = einc__view_of(l), a.scale = 0.25, a.causal = c->causal;
                int64_t scores[4] = {c->b, c->h, c->n, c->m};
                if (bias) a.bias = einc__view_broadcast(bias, 4, scores), a.dbias = einc__view_broadcast(db, 4, scores);
                a.dout = einc__view_of(g), a.dq = einc__view_of(dq), a.dk = einc__view_of(dk), a.dv = einc__view_of(dv);
                a.level = lv;
                size_t bytes = level ? einc__k_attention_ref_scratch(&a) : einc__k_attention_scratch(&a, true);
                size_t fb = level ? bytes : einc__k_attention_scratch(&a, false);
                void *scratch = aligned_alloc(64, ((bytes > fb ? bytes : fb) + 63) / 64 * 64);
                if (level) {
                    einc__k_attention_ref(&a, scratch, 0, 1);
                    einc__k_attention_backward_ref(&a, scratch, 0, 1);
                } else { /* the forward in three parts, the backward in two */
                    for (int part = 2; part >= 0; part--) einc__k_attention(&a, scratch, part, 3);
                    for (int part = 0; part < 2; part++) einc__k_attention_backward(&a, scratch, part, 2);
                }
                free(scratch);
                einc_tensor *r[6] = {o, l, dq, dk, dv, db};
                memcpy(res[level], r, sizeof r);
            }
            static const char *what[6] = {"out", "lse", "dq", "dk", "dv", "dbias"};
            for (int t = 0; t < 6; t++) {
                if (!res[0][t]) continue;
                double err = rel_err(ctx, res[0][t], res[1][t]);
                if (!(err < 1e-5)) fprintf(stderr, "config %zu level %d: %s relative error %g\n", i, lv, what[t], err);
                CHECK(err < 1e-5);
            }
            einc_scope_end(ctx);
        }
    einc_ctx_destroy(ctx);
}

/* The forward row step's exponentials at each level (base 2: the scores come times log2(e)):
 * within 2 ulp of exp2 in float64 (a relative 2^-22) over [-150, 0] densely, results below 2^-125
 * within 2^-126 (0 or denormal), and the masked columns exactly 0. */
TEST(row_step_exp_accuracy) {
#if EINC_X86_LEVELS
    int top = (int)einc_cpu_level_supported();
    for (int level = EINC_CPU_AVX2; level <= top; level++) {
        const einc__attn_kernels *kn = level == EINC_CPU_AVX2 ? einc__attn_kernels_avx2() : einc__attn_kernels_avx512();
        enum { N = 4096 };
        static float s[N], o[16];
        double worst = 0;
        for (int base = 0; base < 100; base++) {
            for (int i = 0; i < N; i++)
                s[i] = i == 0 ? 0.0f : -(float)((i + base * N) % 150000) * 0.001f - (float)base * 1e-5f;
            float m = -INFINITY, l = 0;
            kn->fwd_rows(s, N, NULL, 1, N, N - 5, 0, 1.0f, &m, &l, o, 16, 16);
            CHECK(m == 0.0f);
            for (int i = 0; i < N - 5; i++) {
                double x =
                    i == 0 ? 0.0 : -(double)(float)(-(float)((i + base * N) % 150000) * 0.001f - (float)base * 1e-5f);
                double e = exp2(-x);
                if (e < 0x1p-125) { /* denormal results (0 at AVX2 below 2^-126.4): absolute error only */
                    CHECK(fabs(s[i] - e) <= 0x1p-126);
                    continue;
                }
                double rel = fabs(s[i] - e) / e;
                if (rel > worst) worst = rel;
            }
            for (int i = N - 5; i < N; i++) CHECK(s[i] == 0.0f);
        }
        if (!(worst <= 0x1p-22)) fprintf(stderr, "level %d: exp relative error %g\n", level, worst);
        CHECK(worst <= 0x1p-22);
    }
#endif
}

/* Gradients of the fused op equal those of the unfused notation (float32, tape through both),
 * and pass finite differences in float64. */
typedef struct {
    bool causal, bias;
} grad_case;

static einc_tensor *fused_fn(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    const grad_case *g = user;
    einc_attention_options opt = {0.7, g->causal, g->bias ? in[3] : NULL};
    return einc_attention(ctx, "b N d, b M d, b M e -> b N e", in[0], in[1], in[2], EINC_NO_AXES, &opt);
}

TEST(gradients_match_unfused_and_finite_differences) {
    einc_ctx *ctx = einc_ctx_create();
    for (int cse = 0; cse < 4; cse++) {
        grad_case gc = {cse & 1, cse & 2};
        einc_scope_begin(ctx);
        int64_t n = 101, m = 270, d = 20, e = 36;
        einc_tensor *in[4] = {einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, n, d}),
                              einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, m, d}),
                              einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, m, e}),
                              einc_tensor_randn(ctx, EINC_FLOAT32, 2, (int64_t[]){n, m})};
        einc_tensor *dout = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, n, e});
        einc_tensor *grads[2][4];
        for (int impl = 0; impl < 2; impl++) {
            einc_tensor *leaf[4];
            for (int i = 0; i < 4; i++) {
                leaf[i] = einc_tensor_clone(ctx, in[i]);
                einc_requires_grad(leaf[i], true);
            }
            einc_tensor *out =
                impl ? unfused(ctx, "b N d, b M d -> b N M", "b N [M]", "b N M, b M e -> b N e", leaf[0], leaf[1],
                               leaf[2], 0.7, gc.bias ? leaf[3] : NULL, gc.causal ? causal_mask(ctx, n, m) : NULL)
                     : fused_fn(ctx, leaf, &gc);
            CHECK(einc_backward(ctx, out, dout) == EINC_OK);
            for (int i = 0; i < 4; i++) grads[impl][i] = einc_grad(ctx, leaf[i]);
        }
        CHECK_OK(ctx);
        for (int i = 0; i < (gc.bias ? 4 : 3); i++) {
            double err = grads[0][i] && grads[1][i] ? rel_err(ctx, grads[0][i], grads[1][i]) : 1e30;
            if (!(err < 2e-5)) fprintf(stderr, "case %d: gradient %d relative error %g\n", cse, i, err);
            CHECK(err < 2e-5);
        }
        /* finite differences, float64 (the reference kernels), small sizes */
        einc_tensor *small[4] = {einc_tensor_randn(ctx, EINC_FLOAT64, 3, (int64_t[]){2, 4, 3}),
                                 einc_tensor_randn(ctx, EINC_FLOAT64, 3, (int64_t[]){2, 5, 3}),
                                 einc_tensor_randn(ctx, EINC_FLOAT64, 3, (int64_t[]){2, 5, 2}),
                                 einc_tensor_randn(ctx, EINC_FLOAT64, 2, (int64_t[]){4, 5})};
        for (int i = 0; i < 4; i++) einc_requires_grad(small[i], true);
        CHECK(einc_gradcheck(ctx, fused_fn, &gc, gc.bias ? 4 : 3, small, 1e-6, 1e-6, 1e-5) == EINC_OK);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* PyTorch 1.13 (float64 math from the same float32 inputs): outputs and every gradient. */
TEST(matches_pytorch) {
    einc_ctx *ctx = einc_ctx_create();
    const char *cases[] = {"plain", "causal", "bias"};
    for (int c = 0; c < 3; c++) {
        einc_scope_begin(ctx);
        char name[128];
        einc_tensor *t[9];
        const char *parts[9] = {"q", "k", "v", "bias", "dout", "out", "dq", "dk", "dv"};
        for (int i = 0; i < 9; i++) {
            snprintf(name, sizeof name, "attention_fused/%s.%s", cases[c], parts[i]);
            t[i] = i == 3 && c != 2 ? NULL : test_golden(ctx, name); /* a bias only in "bias" */
        }
        einc_tensor *db = NULL;
        if (c == 2) {
            snprintf(name, sizeof name, "attention_fused/%s.dbias", cases[c]);
            db = test_golden(ctx, name);
        }
        for (int i = 0; i < 4; i++)
            if (t[i]) einc_requires_grad(t[i], true);
        einc_attention_options opt = {0, c == 1, c == 2 ? t[3] : NULL};
        einc_tensor *out =
            einc_attention(ctx, "b h N d, b h M d, b h M e -> b h N e", t[0], t[1], t[2], EINC_NO_AXES, &opt);
        CHECK(out && rel_err(ctx, out, t[5]) < 2e-6);
        CHECK(einc_backward(ctx, out, t[4]) == EINC_OK);
        for (int i = 0; i < 3; i++) CHECK(rel_err(ctx, einc_grad(ctx, t[i]), t[6 + i]) < 2e-5);
        if (db) CHECK(rel_err(ctx, einc_grad(ctx, t[3]), db) < 2e-5);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* A bool mask (true: attend) means the additive bias 0 / -inf: against the unfused float64
 * notation with that bias written out here, and the gradients of q, k, v against the fused call
 * with the float bias. A mask (B, 1, N, M) with a third of the keys false at random, one true
 * key per row at least; sizes off the kernel's blocks. */
TEST(bool_mask_is_an_additive_bias) {
    einc_ctx *ctx = einc_ctx_create();
    einc_scope_begin(ctx);
    int64_t b = 2, h = 3, n = 70, m = 261, d = 17, e = 9;
    einc_tensor *q = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){b, h, n, d});
    einc_tensor *k = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){b, h, m, d});
    einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){b, h, m, e});
    einc_tensor *mask = einc_tensor_zeros(ctx, EINC_BOOL, 4, (int64_t[]){b, 1, n, m});
    einc_tensor *add = einc_tensor_zeros(ctx, EINC_FLOAT64, 4, (int64_t[]){b, 1, n, m});
    bool *mp = einc_tensor_data(mask);
    double *ap = einc_tensor_data(add);
    uint32_t seed = 12345;
    for (int64_t i = 0; i < b * n * m; i++) {
        seed = seed * 1664525u + 1013904223u;
        mp[i] = (seed >> 8) % 3 != 0 || i % m == (i / m) % m; /* one true key per row at least */
        ap[i] = mp[i] ? 0.0 : -INFINITY;
    }
    const char *expr = "b h N d, b h M d, b h M e -> b h N e";
    einc_attention_options with_mask = {0, false, mask};
    einc_tensor *out = einc_attention(ctx, expr, q, k, v, EINC_NO_AXES, &with_mask);
    CHECK_OK(ctx);
    CHECK(out && out->dtype == EINC_FLOAT32);
    einc_tensor *ref = unfused(ctx, "b h N d, b h M d -> b h N M", "b h N [M]", "b h N M, b h M e -> b h N e",
                               einc_tensor_cast(ctx, q, EINC_FLOAT64), einc_tensor_cast(ctx, k, EINC_FLOAT64),
                               einc_tensor_cast(ctx, v, EINC_FLOAT64), 1.0 / sqrt((double)d), add, NULL);
    double err = out && ref ? rel_err(ctx, out, ref) : 1e30;
    if (!(err < 2e-6)) fprintf(stderr, "bool mask: relative error %g\n", err);
    CHECK(err < 2e-6);
    /* a causal mask given as bool equals causal = true */
    einc_tensor *tri = einc_tensor_zeros(ctx, EINC_BOOL, 2, (int64_t[]){n, m});
    bool *tp = einc_tensor_data(tri);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) tp[i * m + j] = j <= i;
    einc_attention_options tri_mask = {0, false, tri}, causal = {0, true, NULL};
    einc_tensor *o1 = einc_attention(ctx, expr, q, k, v, EINC_NO_AXES, &tri_mask);
    einc_tensor *o2 = einc_attention(ctx, expr, q, k, v, EINC_NO_AXES, &causal);
    double ec = o1 && o2 ? rel_err(ctx, o1, o2) : 1e30;
    CHECK(ec < 1e-6);
    /* gradients: as with the float bias 0 / -inf */
    einc_tensor *addf = einc_tensor_cast(ctx, add, EINC_FLOAT32),
                *dout = einc_tensor_randn(ctx, EINC_FLOAT32, 4, (int64_t[]){b, h, n, e});
    einc_tensor *grads[2][3];
    for (int impl = 0; impl < 2; impl++) {
        einc_tensor *leaf[3] = {einc_tensor_clone(ctx, q), einc_tensor_clone(ctx, k), einc_tensor_clone(ctx, v)};
        for (int i = 0; i < 3; i++) einc_requires_grad(leaf[i], true);
        einc_attention_options opt = {0, false, impl ? addf : mask};
        einc_tensor *o = einc_attention(ctx, expr, leaf[0], leaf[1], leaf[2], EINC_NO_AXES, &opt);
        CHECK(einc_backward(ctx, o, dout) == EINC_OK);
        for (int i = 0; i < 3; i++) grads[impl][i] = einc_grad(ctx, leaf[i]);
    }
    CHECK_OK(ctx);
    for (int i = 0; i < 3; i++) {
        double eg = grads[0][i] && grads[1][i] ? rel_err(ctx, grads[0][i], grads[1][i]) : 1e30;
        if (!(eg < 1e-6)) fprintf(stderr, "bool mask: gradient %d relative error %g\n", i, eg);
        CHECK(eg < 1e-6);
    }
    /* a bias that is neither float nor bool, and a mask that does not broadcast */
    einc_tensor *ib = einc_tensor_zeros(ctx, EINC_INT32, 2, (int64_t[]){n, m});
    einc_attention_options int_bias = {0, false, ib};
    CHECK(!einc_attention(ctx, expr, q, k, v, EINC_NO_AXES, &int_bias));
    CHECK_ERROR(ctx, EINC_EDTYPE, "the bias has dtype int32; a bias is float32 or float64");
    einc_tensor *bm = einc_tensor_zeros(ctx, EINC_BOOL, 2, (int64_t[]){n + 1, m});
    einc_attention_options bad_mask = {0, false, bm};
    CHECK(!einc_attention(ctx, expr, q, k, v, EINC_NO_AXES, &bad_mask));
    CHECK_ERROR(ctx, EINC_ESHAPE, "does not broadcast to the scores");
    einc_scope_end(ctx);
    einc_ctx_destroy(ctx);
}

TEST(bad_input) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *q = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 5, 4});
    einc_tensor *k = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 6, 4});
    einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 6, 3});
    const char *ok = "b N d, b M d, b M e -> b N e";
    einc_tensor *v4 = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 6, 4});
    CHECK(!einc_attention(ctx, "b N d, b M d, b M d -> b N d", q, k, v4, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "name them apart");
    CHECK(!einc_attention(ctx, "b N d, b M d, b M e -> b N e x", q, k, v, EINC_AXES({"x", 2}), NULL));
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "axis 'x' of the output has no role");
    CHECK(einc_attention(ctx, "b N d, b M d, b M e -> b N e", q, k, v, EINC_NO_AXES, NULL) != NULL);
    CHECK(!einc_attention(ctx, "b N d, b M d, b M e -> b (N e)", q, k, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "^^^^^");
    CHECK(!einc_attention(ctx, "b N d, b M d, b M [e] -> b N [e]", q, k, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "must be one named axis");
    CHECK(!einc_attention(ctx, "b N d, b M d -> b N e", q, k, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_EVALUE, "three inputs");
    CHECK(!einc_attention(ctx, "b N d, b M d, b M e e2 -> b N e", q, k, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_ERANK, "");
    einc_tensor *k3 = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 6, 5}); /* d = 5 vs 4 */
    CHECK(!einc_attention(ctx, ok, q, k3, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "");
    einc_tensor *bad = einc_tensor_zeros(ctx, EINC_FLOAT32, 2, (int64_t[]){5, 7});
    einc_attention_options opt = {0, false, bad};
    CHECK(!einc_attention(ctx, ok, q, k, v, EINC_NO_AXES, &opt));
    CHECK_ERROR(ctx, EINC_ESHAPE, "does not broadcast to the scores (2, 5, 6)");
    einc_attention_options nan_scale = {NAN, false, NULL};
    CHECK(!einc_attention(ctx, ok, q, k, v, EINC_NO_AXES, &nan_scale));
    CHECK_ERROR(ctx, EINC_EVALUE, "scale must be a finite number");
    einc_tensor *qi = einc_tensor_zeros(ctx, EINC_INT32, 3, (int64_t[]){2, 5, 4});
    CHECK(!einc_attention(ctx, ok, qi, k, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_EDTYPE, "q has dtype int32");
    CHECK(!einc_attention(ctx, ok, q, NULL, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_EINVAL, "k is NULL");
    CHECK(!einc_attention(ctx, "b N d, b M d, b M e -> b N", q, k, v, EINC_NO_AXES, NULL));
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "axis 'e' of v has no role");
    CHECK(!einc_attention(ctx, "b N d, b M d, b M e -> b N e ->", q, k, v, EINC_NO_AXES, NULL));
    CHECK(einc_errcode(ctx) != EINC_OK);
    einc_clear_error(ctx);
    einc_ctx_destroy(ctx);
}

/* The roles are cached per (expression, shapes, dtypes, constraints): a repeated call with other
 * options, a bias, a conflicting constraint or other shapes gets its own result or error, never
 * the cached call's. */
TEST(cached_front_end) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *q = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 5, 4});
    einc_tensor *k = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 6, 4});
    einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 6, 3});
    const char *ex = "b N d, b M d, b M e -> b N e";
    const char *d1 = "b N d, b M d -> b N M", *sm = "b N [M]", *d2 = "b N M, b M e -> b N e";
    for (int rep = 0; rep < 2; rep++) { /* the second round runs on cache hits */
        einc_tensor *plain = einc_attention(ctx, ex, q, k, v, EINC_NO_AXES, NULL);
        CHECK(plain && rel_err(ctx, plain, unfused(ctx, d1, sm, d2, q, k, v, 0.5, NULL, NULL)) < 2e-6);
        einc_attention_options causal = {0.25, true, NULL};
        einc_tensor *c = einc_attention(ctx, ex, q, k, v, EINC_NO_AXES, &causal);
        CHECK(c && rel_err(ctx, c, unfused(ctx, d1, sm, d2, q, k, v, 0.25, NULL, causal_mask(ctx, 5, 6))) < 2e-6);
        einc_tensor *bias = einc_tensor_randn(ctx, EINC_FLOAT32, 2, (int64_t[]){5, 6});
        einc_attention_options biased = {0, false, bias};
        einc_tensor *b = einc_attention(ctx, ex, q, k, v, EINC_NO_AXES, &biased);
        CHECK(b && rel_err(ctx, b, unfused(ctx, d1, sm, d2, q, k, v, 0.5, bias, NULL)) < 2e-6);
        einc_attention_options wrong = {0, false, einc_tensor_zeros(ctx, EINC_FLOAT32, 1, (int64_t[]){7})};
        CHECK(!einc_attention(ctx, ex, q, k, v, EINC_NO_AXES, &wrong));
        CHECK_ERROR(ctx, EINC_ESHAPE, "^");
        CHECK(!einc_attention(ctx, ex, q, k, v, EINC_AXES({"M", 7}), NULL));
        CHECK_ERROR(ctx, EINC_EAXISSIZE, "");
        einc_tensor *q9 = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 9, 4});
        einc_tensor *o9 = einc_attention(ctx, ex, q9, k, v, EINC_NO_AXES, NULL);
        CHECK(o9 && o9->shape[1] == 9 && rel_err(ctx, o9, unfused(ctx, d1, sm, d2, q9, k, v, 0.5, NULL, NULL)) < 2e-6);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* One and two threads give the same bits, forward and backward (each element is computed by one
 * thread in a fixed order), for float32 and float64. */
TEST(thread_count_independent) {
    for (int f64 = 0; f64 < 2; f64++) {
        einc_tensor *res[2][4];
        einc_ctx *ctxs[2];
        for (int th = 0; th < 2; th++) {
            einc_ctx *ctx = ctxs[th] = einc_ctx_create_with(&(einc_ctx_options){.threads = th + 1, .seed = 9});
            einc_dtype dt = f64 ? EINC_FLOAT64 : EINC_FLOAT32;
            einc_tensor *q = einc_tensor_randn(ctx, dt, 3, (int64_t[]){4, 300, 32});
            einc_tensor *k = einc_tensor_randn(ctx, dt, 3, (int64_t[]){4, 280, 32});
            einc_tensor *v = einc_tensor_randn(ctx, dt, 3, (int64_t[]){4, 280, 40});
            einc_requires_grad(q, true), einc_requires_grad(k, true), einc_requires_grad(v, true);
            einc_attention_options opt = {0, true, NULL};
            einc_tensor *o = einc_attention(ctx, "b N d, b M d, b M e -> b N e", q, k, v, EINC_NO_AXES, &opt);
            CHECK(einc_backward(ctx, einc_tensor_sum(ctx, o, EINC_ALL, false), NULL) == EINC_OK);
            einc_tensor *r[4] = {o, einc_grad(ctx, q), einc_grad(ctx, k), einc_grad(ctx, v)};
            memcpy(res[th], r, sizeof r);
            CHECK_OK(ctx);
        }
        for (int i = 0; i < 4; i++) {
            einc_tensor *a = res[0][i], *b = res[1][i];
            size_t bytes = a ? (size_t)einc_tensor_numel(a) * einc_dtype_size(einc_tensor_dtype(a)) : 0;
            CHECK(a && b && einc_tensor_numel(a) == einc_tensor_numel(b) &&
                  memcmp(einc_tensor_data(a), einc_tensor_data(b), bytes) == 0); /* contiguous results */
        }
        einc_ctx_destroy(ctxs[0]);
        einc_ctx_destroy(ctxs[1]);
    }
}

/* Allocation failures at every point leave a clear error and no leak. */
TEST(out_of_memory_sweep) {
    for (int fail = 0; fail < 60; fail++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, fail);
        if (!ctx) continue;
        einc_tensor *q = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 100, 16});
        einc_tensor *k = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 100, 16});
        einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, 3, (int64_t[]){2, 100, 16});
        if (q && k && v) {
            einc_requires_grad(q, true);
            einc_tensor *o = einc_attention(ctx, "b N d, b M d, b M e -> b N e", q, k, v, EINC_NO_AXES, NULL);
            if (o) einc_backward(ctx, einc_tensor_sum(ctx, o, EINC_ALL, false), NULL);
            CHECK(o || einc_errcode(ctx) == EINC_ENOMEM);
        }
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live_blocks, 0);
    }
}

int main(void) {
    RUN(fused_matches_unfused_float64_reference);
    RUN(strided_views_and_axis_orders);
    RUN(kernel_levels_against_reference);
    RUN(row_step_exp_accuracy);
    RUN(gradients_match_unfused_and_finite_differences);
    RUN(matches_pytorch);
    RUN(bool_mask_is_an_additive_bias);
    RUN(bad_input);
    RUN(cached_front_end);
    RUN(thread_count_independent);
    RUN(out_of_memory_sweep);
    return test_summary();
}
