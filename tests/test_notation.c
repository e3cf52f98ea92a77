/* The einx operations against NumPy: every case of tests/golden/notation/cases.txt (written by
 * tests/golden/gen_notation.py, each expected result computed with plain NumPy), run through
 * einc_apply, compared in value and dtype; then the same calls again from the plan cache, and with
 * non-contiguous inputs (a transposed copy viewed back), which must give identical results. */
#include "test_cases.h"

#define MAX_CASES 512

typedef test_op_case test_case;

static test_case cases[MAX_CASES];
static int ncases;

static void add_case(char **fields, void *user) {
    (void)user;
    if (ncases >= MAX_CASES) return;
    test_op_case_fill(&cases[ncases++], fields);
}

static void run_case(einc_ctx *ctx, const test_case *c, int variant) {
    einc_scope_begin(ctx);
    einc_tensor *in[16] = {0}, *expected[16] = {0}, *got[16] = {0};
    int nin = test_load_list(ctx, "notation", c->inputs, in);
    int nout = test_load_list(ctx, "notation", c->outputs, expected);
    if (variant == 2)
        for (int i = 0; i < nin; i++) in[i] = test_noncontiguous(ctx, in[i]);
    einc_axis axes[16];
    char names[512];
    int naxes = 0;
    if (einc_axes_parse(ctx, c->constraints, axes, 16, &naxes, names, sizeof names) != EINC_OK) {
        fprintf(stderr, "%s: bad constraints: %s\n", c->name, einc_errmsg(ctx));
        test_failed_checks_++;
    }
    int op = einc_op_from_name(c->op);
    CHECK(op >= 0);
    einc_status st = einc_apply(ctx, (einc_op)op, c->expr, nin, in, nout, got, (einc_axes){naxes, axes}, NULL);
    if (st != EINC_OK) {
        fprintf(stderr, "case %s (%s \"%s\", variant %d): %s: %s\n", c->name, c->op, c->expr, variant,
                einc_status_name(st), einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    } else {
        for (int o = 0; o < nout; o++) {
            einc_dtype d = einc_tensor_dtype(expected[o]);
            double tol = d == EINC_FLOAT32 ? 2e-5 : d == EINC_FLOAT64 ? 1e-12 : 0.0;
            if (!CHECK_TENSOR_CLOSE(got[o], expected[o], tol, tol))
                fprintf(stderr, "  in case %s (%s \"%s\"), output %d, variant %d\n", c->name, c->op, c->expr, o,
                        variant);
        }
    }
    einc_scope_end(ctx);
}

TEST(golden_cases) {
    einc_ctx *ctx = einc_ctx_create();
    CHECK(ncases > 50);
    for (int v = 0; v < 3; v++) /* fresh plans, cached plans, non-contiguous inputs */
        for (int i = 0; i < ncases; i++) run_case(ctx, &cases[i], v);
    einc_ctx_destroy(ctx);
}

/* Results are bitwise the same on 1 and 2 threads for every operation run by einc's own kernels
 * (einc's GEMM included); a product run by CBLAS is held to closeness only. */
TEST(results_do_not_depend_on_threads) {
    einc_ctx *one = einc_ctx_create_with(&(einc_ctx_options){.threads = 1});
    einc_ctx *two = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    einc_tensor *x1 = einc_tensor_randn(one, EINC_FLOAT32, EINC_SHAPE(8, 64, 128));
    einc_tensor *x2 = einc_tensor_randn(two, EINC_FLOAT32, EINC_SHAPE(8, 64, 128));
    CHECK_TENSOR_CLOSE(x1, x2, 0, 0);
    const char *exprs[] = {"a b c -> c a b", "a [b] c", "a b [c]"};
    einc_op ops[] = {EINC_OP_ID, EINC_OP_SUM, EINC_OP_SOFTMAX};
    for (int i = 0; i < 3; i++) {
        einc_tensor *y1 = einc_reduce(one, ops[i], exprs[i], x1, EINC_NO_AXES);
        einc_tensor *y2 = einc_reduce(two, ops[i], exprs[i], x2, EINC_NO_AXES);
        CHECK_TENSOR_CLOSE(y1, y2, 0, 0);
    }
    /* dot: bitwise with einc's GEMM (split over output tiles only, every dispatch level); with
     * CBLAS (OpenBLAS may sum in another order on another thread count) only close */
    einc_tensor *w1 = einc_tensor_randn(one, EINC_FLOAT32, EINC_SHAPE(128, 96));
    einc_tensor *w2 = einc_tensor_randn(two, EINC_FLOAT32, EINC_SHAPE(128, 96));
    for (int cblas = 0; cblas < 2; cblas++) {
        einc_gemm_backend b = cblas ? EINC_GEMM_CBLAS : EINC_GEMM_EINC;
        if (cblas && strcmp(einc_blas_backend(), "none") == 0) break;
        CHECK(einc_set_gemm_backend(one, b) == EINC_OK && einc_set_gemm_backend(two, b) == EINC_OK);
        einc_tensor *y1 = einc_dot(one, "a b c, c d -> a b d", x1, w1);
        einc_tensor *y2 = einc_dot(two, "a b c, c d -> a b d", x2, w2);
        if (cblas) CHECK_TENSOR_CLOSE(y1, y2, 1e-4, 1e-4);
        else CHECK_TENSOR_CLOSE(y1, y2, 0, 0);
    }
    CHECK_OK(one);
    CHECK_OK(two);
    einc_ctx_destroy(one);
    einc_ctx_destroy(two);
}

TEST(keepdims_and_reserved_names) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1);
    x = einc_tensor_view(ctx, x, EINC_SHAPE(2, 3, 4));
    einc_tensor *y = NULL;
    einc_op_options keep = {.keepdims = true};
    CHECK(einc_apply(ctx, EINC_OP_SUM, "a [b] c", 1, &x, 1, &y, EINC_NO_AXES, &keep) == EINC_OK);
    CHECK_EQ_INT(einc_tensor_ndim(y), 3);
    CHECK_EQ_INT(einc_tensor_dim(y, 1), 1);
    /* x[1, :, 2] = 12+2, 16+2, 20+2 */
    CHECK_CLOSE(einc_tensor_get(y, (int64_t[]){1, 0, 2}), 14 + 18 + 22, 0);
    /* with "->" keepdims has no effect (einx 0.4.3) */
    CHECK(einc_apply(ctx, EINC_OP_SUM, "a [b] c -> a c", 1, &x, 1, &y, EINC_NO_AXES, &keep) == EINC_OK);
    CHECK_EQ_INT(einc_tensor_ndim(y), 2);
    CHECK(einc_sum(ctx, "keepdims [b] c", x) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "keyword arguments of the elementary operation: keepdims");
    CHECK(einc_id(ctx, "a graph c -> c graph a", x) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "may not be used in the expression");
    CHECK(einc_id(ctx, "a keepdims c -> c keepdims a", x) != NULL);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

int main(void) {
    test_read_table("notation/cases.txt", '|', 6, add_case, NULL);
    RUN(golden_cases);
    RUN(results_do_not_depend_on_threads);
    RUN(keepdims_and_reserved_names);
    return test_summary();
}
