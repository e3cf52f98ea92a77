/* Gradients of the einx operations, checked against central finite differences in float64
 * (einc_gradcheck), for every operation family and the layouts and axis patterns that matter:
 * permutations, (un)flattening, broadcasting, squeezing, diagonals, concatenation and splitting,
 * several inputs, implicit brackets. */
#include "test.h"

typedef struct {
    einc_op op;
    const char *expr;
    const char *constraints;
    int ninputs;
    int ndim[3];
    int64_t shape[3][5];
    int output; /* which output of a multi-output id to check */
    int noutputs;
} grad_case;

static einc_tensor *apply_case(einc_ctx *ctx, einc_tensor *const *inputs, void *user) {
    const grad_case *c = user;
    einc_axis axes[16];
    char names[256];
    int naxes = 0;
    if (einc_axes_parse(ctx, c->constraints, axes, 16, &naxes, names, sizeof names) != EINC_OK) return NULL;
    einc_tensor *outs[8] = {0};
    int nout = c->noutputs ? c->noutputs : 1;
    if (einc_apply(ctx, c->op, c->expr, c->ninputs, inputs, nout, outs, (einc_axes){naxes, axes}, NULL) != EINC_OK)
        return NULL;
    return outs[c->output];
}

static const grad_case cases[] = {
    {EINC_OP_ID, "a b c -> c (a b)", "", 1, {3}, {{2, 3, 4}}, 0, 0},
    {EINC_OP_ID, "a (b c) -> c b a", "b=2", 1, {2}, {{3, 4}}, 0, 0},
    {EINC_OP_ID, "a -> a b", "b=3", 1, {1}, {{4}}, 0, 0},
    {EINC_OP_ID, "a a -> a", "", 1, {2}, {{3, 3}}, 0, 0},
    {EINC_OP_ID, "a 1 c -> c a", "", 1, {3}, {{2, 1, 3}}, 0, 0},
    {EINC_OP_ID, "b c, -> b (c + 1)", "", 2, {2, 0}, {{2, 3}, {0}}, 0, 0},
    {EINC_OP_ID, "b (q + k) -> b q, b k", "q=2", 1, {2}, {{2, 5}}, 1, 2},
    {EINC_OP_ID, "... (qkv nh dh) H W -> qkv ... nh (H W) dh", "qkv=3, nh=2, dh=2", 1, {4}, {{2, 12, 2, 3}}, 0, 0},
    {EINC_OP_DOT, "a b, b c -> a c", "", 2, {2, 2}, {{3, 4}, {4, 2}}, 0, 0},
    {EINC_OP_DOT, "... N d, ... M d -> ... N M", "", 2, {3, 3}, {{2, 3, 4}, {2, 5, 4}}, 0, 0},
    {EINC_OP_DOT, "a b c, c d, d e -> a b e", "", 3, {3, 2, 2}, {{2, 3, 4}, {4, 2}, {2, 3}}, 0, 0},
    {EINC_OP_DOT, "a, b -> a b k", "k=2", 2, {1, 1}, {{3}, {2}}, 0, 0},
    {EINC_OP_DOT, "b q (h c), b k (h c) -> b q k h", "h=2", 2, {3, 3}, {{2, 3, 4}, {2, 2, 4}}, 0, 0},
    {EINC_OP_SUM, "a [b] c", "", 1, {3}, {{2, 3, 4}}, 0, 0},
    {EINC_OP_SUM, "b h w c -> b 1 1 c", "", 1, {4}, {{2, 2, 3, 2}}, 0, 0},
    {EINC_OP_SUM, "[a a] b -> b", "", 1, {3}, {{3, 3, 2}}, 0, 0},
    {EINC_OP_SUM, "a [b] -> a c", "c=2", 1, {2}, {{3, 4}}, 0, 0},
    {EINC_OP_MEAN, "a [b c]", "", 1, {3}, {{2, 3, 2}}, 0, 0},
    {EINC_OP_VAR, "a [b]", "", 1, {2}, {{3, 4}}, 0, 0},
    {EINC_OP_STD, "[a] b", "", 1, {2}, {{4, 3}}, 0, 0},
    {EINC_OP_PROD, "a [b]", "", 1, {2}, {{3, 4}}, 0, 0},
    {EINC_OP_MAX, "a [b] c", "", 1, {3}, {{2, 4, 3}}, 0, 0},
    {EINC_OP_MIN, "a b -> b", "", 1, {2}, {{4, 3}}, 0, 0},
    {EINC_OP_LOGSUMEXP, "a [b c]", "", 1, {3}, {{2, 3, 2}}, 0, 0},
    {EINC_OP_ADD, "a b, b", "", 2, {2, 1}, {{3, 4}, {4}}, 0, 0},
    {EINC_OP_SUBTRACT, "a b, b -> b a", "", 2, {2, 1}, {{3, 4}, {4}}, 0, 0},
    {EINC_OP_MULTIPLY, "a, a, a", "", 3, {1, 1, 1}, {{4}, {4}, {4}}, 0, 0},
    {EINC_OP_DIVIDE, "a b, a", "", 2, {2, 1}, {{3, 2}, {3}}, 0, 0},
    {EINC_OP_MAXIMUM, "a, a", "", 2, {1, 1}, {{5}, {5}}, 0, 0},
    {EINC_OP_LOGADDEXP, "a b, b -> a b c", "c=2", 2, {2, 1}, {{2, 3}, {3}}, 0, 0},
    {EINC_OP_WHERE, "a b, a b, b", "", 3, {2, 2, 1}, {{3, 4}, {3, 4}, {4}}, 0, 0},
    {EINC_OP_SOFTMAX, "... N [M]", "", 1, {3}, {{2, 3, 4}}, 0, 0},
    {EINC_OP_SOFTMAX, "b [h w]", "", 1, {3}, {{2, 2, 3}}, 0, 0},
    {EINC_OP_SOFTMAX, "a [b] c -> c a [b]", "", 1, {3}, {{2, 3, 2}}, 0, 0},
    {EINC_OP_LOG_SOFTMAX, "a b [c]", "", 1, {3}, {{2, 2, 4}}, 0, 0},
};

TEST(every_family_against_finite_differences) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 7});
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const grad_case *c = &cases[k];
        einc_scope_begin(ctx);
        einc_tensor *in[3];
        for (int i = 0; i < c->ninputs; i++) {
            in[i] = einc_tensor_randn(ctx, EINC_FLOAT64, c->ndim[i], c->shape[i]);
            if (c->op == EINC_OP_WHERE && i == 0) /* the condition: a 0/1 mask, no gradient */
                in[i] = einc_tensor_cast(
                    ctx, einc_tensor_binary(ctx, EINC_GT, in[i], einc_tensor_scalar(ctx, EINC_FLOAT64, 0)),
                    EINC_FLOAT64);
            if (c->op == EINC_OP_PROD) /* away from zero: a finite difference across 0 is fine, but keep it tame */
                in[i] = einc_add_scalar(ctx, einc_tensor_abs(ctx, in[i]), 0.5);
            einc_requires_grad(in[i], true);
        }
        einc_status st = einc_gradcheck(ctx, apply_case, (void *)c, c->ninputs, in, 1e-6, 1e-6, 1e-5);
        if (st != EINC_OK) {
            fprintf(stderr, "gradient of %s \"%s\": %s\n", einc_op_name(c->op), c->expr, einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
        }
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(views_and_copies_agree) {
    /* einc_id returns a view for "a b -> b a" and a copy for "a b -> (b a)": both pass gradients */
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(3, 4));
    einc_requires_grad(x, true);
    einc_tensor *w = einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(12));
    einc_tensor *y1 = einc_id(ctx, "a b -> (b a)", x);
    einc_tensor *y2 = einc_tensor_reshape(ctx, einc_id(ctx, "a b -> b a", x), EINC_SHAPE(12));
    einc_tensor *loss = einc_add(ctx, ", ->", einc_sum(ctx, "[a]", einc_multiply(ctx, "a, a", y1, w)),
                                 einc_sum(ctx, "[a]", einc_multiply(ctx, "a, a", y2, w)));
    CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
    einc_tensor *g = einc_grad(ctx, x);
    /* d/dx of 2 * sum(x^T_flat * w) = 2 * w viewed as (b a) transposed back */
    einc_tensor *expected = einc_mul_scalar(ctx, einc_id(ctx, "(b a) -> a b", w, EINC_AXES({"a", 3})), 2.0);
    CHECK_TENSOR_CLOSE(g, expected, 1e-12, 1e-12);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(no_graph_without_requires_grad_and_flat_memory) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *w = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(8, 8));
    einc_requires_grad(w, true);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(4, 8));
    einc_memory_stats before, after;
    for (int it = 0; it < 200; it++) {
        einc_scope_begin(ctx);
        einc_tensor *y = einc_softmax(ctx, "b [o]", einc_dot(ctx, "b i, o i -> b o", x, w));
        einc_tensor *loss = einc_sum(ctx, "[b o]", einc_multiply(ctx, "b o, b o", y, y));
        CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
        einc_scope_end(ctx);
        if (it == 9) einc_memory_stats_get(ctx, &before);
    }
    einc_memory_stats_get(ctx, &after);
    CHECK_EQ_INT(after.live_tensors, before.live_tensors);
    CHECK_EQ_INT(after.live_bytes, before.live_bytes);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(every_family_against_finite_differences);
    RUN(views_and_copies_agree);
    RUN(no_graph_without_requires_grad_and_flat_memory);
    return test_summary();
}
