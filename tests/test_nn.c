/* The nn layers: initialisation statistics, Linear and 1x1 Conv2d against their definitions,
 * the two attention implementations against each other (several shapes), the notebook's three
 * tests, errors, a float64 gradient check of the whole module, and a small Adam training run that
 * must reduce its loss in flat memory. (The comparison with PyTorch is in test_attention.c.) */
#include "test.h"

static double max_abs_diff(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    einc_tensor *d = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, a, b)), EINC_ALL, false);
    return d ? einc_tensor_item(d) : 1e30;
}

TEST(init_follows_pytorch_bounds) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.seed = 3});
    einc_linear lin;
    CHECK(einc_linear_init(ctx, &lin, 100, 50, true) == EINC_OK);
    /* kaiming_uniform(a=sqrt(5)) and the bias: U(-1/sqrt(100), 1/sqrt(100)) */
    einc_tensor *wmax = einc_tensor_max(ctx, einc_tensor_abs(ctx, lin.weight), EINC_ALL, false);
    CHECK(einc_tensor_item(wmax) <= 0.1 + 1e-7);
    CHECK(einc_tensor_item(wmax) > 0.09); /* 5000 draws reach close to the bound */
    einc_tensor *wmean = einc_tensor_mean(ctx, lin.weight, EINC_ALL, false);
    CHECK(fabs(einc_tensor_item(wmean)) < 0.01); /* mean of U(-0.1, 0.1): sd of the mean 0.0008 */
    einc_tensor *bmax = einc_tensor_max(ctx, einc_tensor_abs(ctx, lin.bias), EINC_ALL, false);
    CHECK(einc_tensor_item(bmax) <= 0.1 + 1e-7);
    CHECK(einc_tensor_requires_grad(lin.weight));
    einc_linear_free(&lin);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(linear_and_conv_match_their_definitions) {
    einc_ctx *ctx = einc_ctx_create();
    einc_linear lin;
    CHECK(einc_linear_init(ctx, &lin, 4, 3, true) == EINC_OK);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2, 5, 4));
    einc_tensor *y = einc_linear_forward(ctx, &lin, x);
    /* x @ W^T + b with the raw API */
    einc_tensor *ref =
        einc_tensor_add(ctx, einc_tensor_matmul(ctx, x, einc_tensor_transpose(ctx, lin.weight, 0, 1)), lin.bias);
    CHECK(max_abs_diff(ctx, y, ref) < 1e-5);
    einc_conv1x1 conv;
    CHECK(einc_conv1x1_init(ctx, &conv, 3, 2, true) == EINC_OK);
    einc_tensor *img = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4, 5));
    einc_tensor *out = einc_conv1x1_forward(ctx, &conv, img);
    /* y[b, o, h, w] = sum_i W[o, i] x[b, i, h, w] + bias[o], in notation */
    einc_tensor *w2 = einc_id(ctx, "o i 1 1 -> o i", conv.weight);
    einc_tensor *ref2 = einc_add(ctx, "b o h w, o", einc_dot(ctx, "o i, b i h w -> b o h w", w2, img), conv.bias);
    CHECK(max_abs_diff(ctx, out, ref2) < 1e-5);
    einc_linear_free(&lin);
    einc_conv1x1_free(&conv);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(two_attention_implementations_agree) {
    const int64_t cfg[][5] = {{2, 16, 4, 8, 8}, {2, 12, 3, 6, 6}, {1, 32, 8, 4, 6}, {3, 8, 2, 5, 3}, {1, 16, 8, 2, 2}};
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.seed = 11});
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        einc_scope_begin(ctx);
        einc_mha a, b;
        CHECK(einc_mha_init(ctx, &a, cfg[k][1], cfg[k][2]) == EINC_OK);
        CHECK(einc_mha_init(ctx, &b, cfg[k][1], cfg[k][2]) == EINC_OK);
        CHECK(einc_mha_copy_params(ctx, &b, &a) == EINC_OK);
        einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(cfg[k][0], cfg[k][1], cfg[k][3], cfg[k][4]));
        einc_tensor *y1 = einc_mha_forward_notation(ctx, &a, x);
        einc_tensor *y2 = einc_mha_forward_raw(ctx, &b, x);
        double d = max_abs_diff(ctx, y1, y2);
        if (!(d <= 1e-6)) {
            fprintf(stderr, "config %zu: max_abs_diff %g\n", k, d);
            test_failed_checks_++;
        }
        /* the notebook's tests: output shape = input shape; deterministic forward */
        CHECK_EQ_INT(einc_tensor_ndim(y1), 4);
        for (int i = 0; i < 4; i++) CHECK_EQ_INT(einc_tensor_dim(y1, i), einc_tensor_dim(x, i));
        CHECK(max_abs_diff(ctx, y1, einc_mha_forward_notation(ctx, &a, x)) == 0.0);
        /* backward gives a nonzero gradient to the parameters */
        CHECK(einc_backward(ctx, einc_tensor_sum(ctx, y1, EINC_ALL, false), NULL) == EINC_OK);
        einc_param ps[4];
        int np = einc_mha_params(&a, ps, 4);
        CHECK_EQ_INT(np, 4);
        for (int i = 0; i < np; i++) {
            einc_tensor *g = einc_grad(ctx, ps[i].tensor);
            CHECK(g != NULL);
            if (g) CHECK(einc_tensor_item(einc_tensor_sum(ctx, einc_tensor_abs(ctx, g), EINC_ALL, false)) > 0);
        }
        einc_mha_free(&a);
        einc_mha_free(&b);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(attention_errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_mha m;
    CHECK(einc_mha_init(ctx, &m, 10, 4) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "channels (10) must be a positive multiple of heads (4)");
    CHECK(einc_mha_init(ctx, &m, 8, 2) == EINC_OK);
    einc_tensor *x3 = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 8, 4));
    CHECK(einc_mha_forward_notation(ctx, &m, x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "expected an input of shape (B, 8, H, W), got (2, 8, 4)");
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 6, 4, 4));
    CHECK(einc_mha_forward_raw(ctx, &m, x) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "got (2, 6, 4, 4)");
    CHECK(einc_mha_forward_raw(ctx, &m, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input is NULL");
    einc_mha_free(&m);
    einc_ctx_destroy(ctx);
}

/* The module as a function of float64 (x, qkv.w, qkv.b, proj.w, proj.b), for gradcheck. */
static einc_tensor *module_fn(einc_ctx *ctx, einc_tensor *const *in, void *user) {
    const bool *raw = user;
    einc_mha m = {4, 2, {4, 12, in[1], in[2]}, {4, 4, in[3], in[4]}};
    return *raw ? einc_mha_forward_raw(ctx, &m, in[0]) : einc_mha_forward_notation(ctx, &m, in[0]);
}

TEST(attention_gradients_match_finite_differences) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.seed = 5});
    einc_tensor *in[5] = {einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(2, 4, 2, 3)),
                          einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(12, 4, 1, 1)),
                          einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(12)),
                          einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(4, 4, 1, 1)),
                          einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(4))};
    for (int i = 0; i < 5; i++) einc_requires_grad(in[i], true);
    for (int raw = 0; raw < 2; raw++) {
        bool r = raw;
        if (einc_gradcheck(ctx, module_fn, &r, 5, in, 1e-6, 1e-6, 1e-5) != EINC_OK) {
            fprintf(stderr, "%s: %s\n", raw ? "raw" : "notation", einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
        }
    }
    einc_ctx_destroy(ctx);
}

TEST(adam_training_reduces_the_loss_in_flat_memory) {
    /* fit y = x @ A^T + c with a Linear layer */
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.seed = 9, .threads = 1});
    einc_tensor *A = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 5));
    einc_tensor *c = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3));
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(64, 5));
    einc_tensor *y = einc_add(ctx, "n o, o", einc_dot(ctx, "n i, o i -> n o", x, A), c);
    einc_linear lin;
    CHECK(einc_linear_init(ctx, &lin, 5, 3, true) == EINC_OK);
    einc_param ps[2];
    int np = einc_linear_params(&lin, ps, 2);
    einc_optimizer *opt = einc_adam_create(ctx, ps, np, 0.05, 0.9, 0.999, 1e-8);
    CHECK(opt != NULL);
    double first = 0, last = 0;
    einc_memory_stats s1, s2;
    for (int step = 0; step < 300; step++) {
        einc_scope_begin(ctx);
        einc_optimizer_zero_grad(opt);
        einc_tensor *err = einc_subtract(ctx, "n o, n o", einc_linear_forward(ctx, &lin, x), y);
        einc_tensor *loss = einc_mean(ctx, "[n o]", einc_multiply(ctx, "n o, n o", err, err));
        CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
        CHECK(einc_optimizer_step(ctx, opt) == EINC_OK);
        double l = einc_tensor_item(loss);
        if (step == 0) first = l;
        last = l;
        einc_scope_end(ctx);
        if (step == 10) einc_memory_stats_get(ctx, &s1);
    }
    einc_memory_stats_get(ctx, &s2);
    CHECK(last < first * 1e-3);
    CHECK_EQ_INT(s2.live_tensors, s1.live_tensors);
    CHECK_EQ_INT(s2.live_bytes, s1.live_bytes);
    einc_optimizer_free(opt);
    einc_linear_free(&lin);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(sgd_momentum_matches_the_formula) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *p = einc_tensor_full(ctx, EINC_FLOAT32, EINC_SHAPE(2), 1.0);
    einc_requires_grad(p, true);
    einc_param ps[1] = {{"p", p}};
    einc_optimizer *opt = einc_sgd_create(ctx, ps, 1, 0.1, 0.9);
    /* loss = sum(3 p): gradient 3 each step; v1 = 3, p = 1 - 0.3; v2 = 0.9*3 + 3 = 5.7, p -= 0.57 */
    for (int step = 0; step < 2; step++) {
        einc_scope_begin(ctx);
        einc_optimizer_zero_grad(opt);
        CHECK(einc_backward(ctx, einc_tensor_sum(ctx, einc_mul_scalar(ctx, p, 3.0), EINC_ALL, false), NULL) == EINC_OK);
        CHECK(einc_optimizer_step(ctx, opt) == EINC_OK);
        einc_scope_end(ctx);
    }
    CHECK_CLOSE(einc_tensor_get(p, (int64_t[]){0}), 1.0 - 0.3 - 0.57, 1e-6);
    einc_optimizer_free(opt);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(init_follows_pytorch_bounds);
    RUN(linear_and_conv_match_their_definitions);
    RUN(two_attention_implementations_agree);
    RUN(attention_errors);
    RUN(attention_gradients_match_finite_differences);
    RUN(adam_training_reduces_the_loss_in_flat_memory);
    RUN(sgd_momentum_matches_the_formula);
    return test_summary();
}
