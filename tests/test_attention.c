/* The attention module against PyTorch: for each configuration written by
 * tests/golden/gen_attention.py (PyTorch 1.13's module, seeded), the state dict is loaded from
 * safetensors into the three einc implementations (notation, raw, fused), and the output, the gradient of sum(output)
 * with respect to the input and the parameter gradients must match PyTorch's within 1e-5 relative. */
#include "test.h"

/* max |a - b| <= tol * max(1, max |b|) */
static void check_close(einc_ctx *ctx, einc_tensor *a, einc_tensor *b, const char *what, const char *cfg, int impl) {
    einc_tensor *d = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, a, b)), EINC_ALL, false);
    einc_tensor *m = einc_tensor_max(ctx, einc_tensor_abs(ctx, b), EINC_ALL, false);
    double diff = d ? einc_tensor_item(d) : 1e30, scale = m ? einc_tensor_item(m) : 1;
    if (!(diff <= 1e-5 * (scale > 1 ? scale : 1))) {
        fprintf(stderr, "%s, %s (%s): max |difference| %g, max |torch| %g\n", cfg, what,
                impl == 2 ? "fused"
                : impl    ? "raw"
                          : "notation",
                diff, scale);
        test_failed_checks_++;
    }
}

TEST(matches_pytorch) {
    const char *configs[] = {"notebook", "h3", "heads8_hw"};
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < 3; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/attention/%s.config", EINC_TEST_DATA, configs[k]);
        FILE *f = fopen(path, "r");
        long long B, C, heads, H, W;
        CHECK(f && fscanf(f, "%lld %lld %lld %lld %lld", &B, &C, &heads, &H, &W) == 5);
        if (f) fclose(f);
        snprintf(path, sizeof path, "%s/attention/%s.weights.safetensors", EINC_TEST_DATA, configs[k]);
        einc_state *weights = einc_safetensors_load(ctx, path);
        snprintf(path, sizeof path, "%s/attention/%s.grads.safetensors", EINC_TEST_DATA, configs[k]);
        einc_state *grads = einc_safetensors_load(ctx, path);
        CHECK(weights && grads);
        for (int impl = 0; impl < 3; impl++) {
            einc_scope_begin(ctx);
            char name[256];
            snprintf(name, sizeof name, "attention/%s.x", configs[k]);
            einc_tensor *x = test_golden(ctx, name);
            snprintf(name, sizeof name, "attention/%s.y", configs[k]);
            einc_tensor *y_torch = test_golden(ctx, name);
            snprintf(name, sizeof name, "attention/%s.gx", configs[k]);
            einc_tensor *gx_torch = test_golden(ctx, name);
            einc_mha m;
            CHECK(einc_mha_init(ctx, &m, C, heads) == EINC_OK);
            CHECK(einc_mha_load_state(ctx, &m, weights) == EINC_OK);
            einc_requires_grad(x, true);
            einc_tensor *y = impl == 2   ? einc_mha_forward_fused(ctx, &m, x)
                             : impl == 1 ? einc_mha_forward_raw(ctx, &m, x)
                                         : einc_mha_forward_notation(ctx, &m, x);
            check_close(ctx, y, y_torch, "output", configs[k], impl);
            CHECK(einc_backward(ctx, einc_tensor_sum(ctx, y, EINC_ALL, false), NULL) == EINC_OK);
            check_close(ctx, einc_grad(ctx, x), gx_torch, "input gradient", configs[k], impl);
            einc_param ps[4];
            int np = einc_mha_params(&m, ps, 4);
            for (int i = 0; i < np; i++)
                check_close(ctx, einc_grad(ctx, ps[i].tensor), einc_state_get(grads, ps[i].name), ps[i].name,
                            configs[k], impl);
            /* the module's own state dict round-trips through safetensors */
            einc_state *mine = einc_mha_state(ctx, &m);
            void *buf = NULL;
            size_t size = 0;
            CHECK(einc_safetensors_save_buffer(ctx, mine, &buf, &size) == EINC_OK);
            einc_state *back = einc_safetensors_load_buffer(ctx, buf, size);
            CHECK(back && einc_state_count(back) == 4);
            if (back)
                check_close(ctx, einc_state_get(back, "qkv.weight"), einc_state_get(weights, "qkv.weight"),
                            "saved qkv.weight", configs[k], impl);
            einc_state_free(back);
            einc_buffer_free(ctx, buf, size);
            einc_state_free(mine);
            einc_mha_free(&m);
            CHECK_OK(ctx);
            einc_scope_end(ctx);
        }
        einc_state_free(weights);
        einc_state_free(grads);
    }
    einc_ctx_destroy(ctx);
}

TEST(state_dict_errors) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    snprintf(path, sizeof path, "%s/attention/notebook.weights.safetensors", EINC_TEST_DATA);
    einc_state *weights = einc_safetensors_load(ctx, path);
    einc_mha m;
    CHECK(einc_mha_init(ctx, &m, 12, 3) == EINC_OK); /* the notebook's weights are for C=16 */
    CHECK(einc_mha_load_state(ctx, &m, weights) == EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE, "'qkv.weight' has shape (48, 16, 1, 1) in the state dict");
    einc_state *partial = einc_state_new(ctx);
    CHECK(einc_mha_load_state(ctx, &m, partial) != EINC_OK);
    CHECK_ERROR(ctx, EINC_EINDEX, "qkv.weight");
    einc_state_free(partial);
    einc_state_free(weights);
    einc_mha_free(&m);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(matches_pytorch);
    RUN(state_dict_errors);
    return test_summary();
}
