/* einc_vmap: C functions vectorized by expressions, against NumPy results written by
 * tests/golden/gen_notation_solvers.py (vmap_*.npy), in both modes (one call per loop position,
 * and EINC_VMAP_WITH_AXIS), with contiguous, reversed-order, negative-stride and broadcast inputs;
 * the loop order, scopes, error paths and a fail-Nth-allocation sweep. */
#include "test.h"

static einc_tensor *golden(einc_ctx *ctx, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "notation_solvers/%s", name);
    return test_golden(ctx, path);
}

/* The same values in other layouts: 1 reversed memory order, 2 negative strides. */
static einc_tensor *relayout(einc_ctx *ctx, einc_tensor *t, int variant) {
    int nd = einc_tensor_ndim(t);
    if (nd == 0 || variant == 0) return t;
    if (variant == 2)
        return einc_tensor_flip(ctx, einc_tensor_contiguous(ctx, einc_tensor_flip(ctx, t, EINC_ALL)), EINC_ALL);
    int perm[EINC_MAX_DIMS];
    for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
    return einc_tensor_permute(ctx, einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, t, nd, perm)), nd, perm);
}

/* ---- the functions ------------------------------------------------------------------------------ */

static einc_status add2(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    return einc_tensor_copy_(ctx, a->outputs[0], einc_tensor_add(ctx, a->inputs[0], a->inputs[1]));
}

static einc_status norm(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    einc_tensor *x = a->inputs[0];
    if (einc_tensor_ndim(x) != 1 || einc_tensor_ndim(a->outputs[0]) != 0)
        return einc_set_error(ctx, EINC_ESHAPE, "norm: expected a vector and a scalar");
    einc_tensor *s = einc_tensor_sqrt(ctx, einc_tensor_sum(ctx, einc_tensor_mul(ctx, x, x), EINC_ALL, false));
    return einc_tensor_copy_(ctx, a->outputs[0], s);
}

static einc_status sum_axes(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    int *calls = user;
    if (calls) (*calls)++;
    einc_tensor *s = einc_tensor_sum(ctx, a->inputs[0], a->naxes, a->axes, false);
    return einc_tensor_copy_(ctx, a->outputs[0], s);
}

static einc_status twice(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    return einc_tensor_copy_(ctx, a->outputs[0], einc_mul_scalar(ctx, a->inputs[0], 2.0));
}

static einc_status reverse(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    if (einc_tensor_ndim(a->inputs[0]) != 1) return einc_set_error(ctx, EINC_ESHAPE, "reverse: expected one dimension");
    return einc_tensor_copy_(ctx, a->outputs[0], einc_tensor_flip(ctx, a->inputs[0], EINC_ALL));
}

static einc_status sum_all(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    return einc_tensor_copy_(ctx, a->outputs[0], einc_tensor_sum(ctx, a->inputs[0], EINC_ALL, false));
}

/* ---- golden results ------------------------------------------------------------------------------ */

static void check_vmap(einc_ctx *ctx, const char *expr, const char *name, int nin, einc_vmap_fn fn, unsigned flags,
                       einc_axes axes) {
    for (int variant = 0; variant < 3; variant++) {
        einc_scope_begin(ctx);
        einc_tensor *in[4];
        char file[128];
        for (int i = 0; i < nin; i++) {
            snprintf(file, sizeof file, "%s.in%d", name, i);
            in[i] = relayout(ctx, golden(ctx, file), variant);
        }
        snprintf(file, sizeof file, "%s.out0", name);
        einc_tensor *expected = golden(ctx, file), *got = NULL;
        einc_vmap_op op = {.fn = fn, .flags = flags};
        if (einc_vmap(ctx, expr, nin, in, 1, &got, &op, axes) != EINC_OK) {
            fprintf(stderr, "einc_vmap(\"%s\") variant %d: %s: %s\n", expr, variant,
                    einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
        } else if (!CHECK_TENSOR_CLOSE(got, expected, 1e-5, 1e-5)) {
            fprintf(stderr, "  einc_vmap(\"%s\"), variant %d\n", expr, variant);
        }
        einc_scope_end(ctx);
    }
}

TEST(golden_results) {
    einc_ctx *ctx = einc_ctx_create();
    check_vmap(ctx, "a [c], b [c] -> a b [c]", "vmap_outer_add", 2, add2, 0, EINC_NO_AXES);
    check_vmap(ctx, "a [c], b [c] -> a b [c]", "vmap_outer_add", 2, add2, EINC_VMAP_WITH_AXIS, EINC_NO_AXES);
    check_vmap(ctx, "b [c] -> b", "vmap_norm", 1, norm, 0, EINC_NO_AXES);
    check_vmap(ctx, "b (s [ds])... c -> b s... c", "vmap_pool", 1, sum_axes, EINC_VMAP_WITH_AXIS, EINC_AXES({"ds", 2}));
    check_vmap(ctx, "b (s [ds])... c -> b s... c", "vmap_pool", 1, sum_all, 0, EINC_AXES({"ds", 2}));
    check_vmap(ctx, "a a [c] -> a [c]", "vmap_diag", 1, twice, 0, EINC_NO_AXES);
    check_vmap(ctx, "a a [c] -> a [c]", "vmap_diag", 1, twice, EINC_VMAP_WITH_AXIS, EINC_NO_AXES);
    check_vmap(ctx, "b [c] a -> a b", "vmap_transposed", 1, sum_axes, EINC_VMAP_WITH_AXIS, EINC_NO_AXES);
    check_vmap(ctx, "b [c] a -> a b", "vmap_transposed", 1, sum_all, 0, EINC_NO_AXES);
    check_vmap(ctx, "b ([h w]) -> b ([h w])", "vmap_flat", 1, reverse, 0, EINC_AXES({"h", 3}));
    check_vmap(ctx, "b ([h w]) -> b ([h w])", "vmap_flat", 1, reverse, 0, EINC_NO_AXES);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- what the function sees ---------------------------------------------------------------------------- */

typedef struct {
    int calls;
    int64_t index[64][2];
    int ndim_in0, ndim_out0;
    int nloops;
} recorder;

static einc_status record(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    recorder *r = user;
    if (r->calls < 64 && a->index) {
        r->index[r->calls][0] = a->index[0];
        r->index[r->calls][1] = a->nloops > 1 ? a->index[1] : -1;
    }
    r->calls++;
    r->ndim_in0 = einc_tensor_ndim(a->inputs[0]);
    r->ndim_out0 = einc_tensor_ndim(a->outputs[0]);
    r->nloops = a->nloops;
    einc_tensor *tmp = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(100)); /* released by the call's scope */
    return tmp ? EINC_OK : einc_errcode(ctx);
}

TEST(loops_in_output_order_and_a_scope_per_call) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3)),
                *y = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(4, 3));
    einc_tensor *z = NULL;
    recorder r = {0};
    einc_vmap_op op = {.fn = record, .user = &r, .dtype = EINC_FLOAT64};
    einc_memory_stats before, after;
    einc_memory_stats_get(ctx, &before);
    CHECK(einc_vmap(ctx, "a [c], b [c] -> b a [c]", 2, (einc_tensor *[]){x, y}, 1, &z, &op, EINC_NO_AXES) == EINC_OK);
    einc_memory_stats_get(ctx, &after);
    CHECK_EQ_INT(after.live_tensors, before.live_tensors + 1); /* only the output stays */
    CHECK_EQ_INT(r.calls, 8);
    CHECK_EQ_INT(r.nloops, 2);
    CHECK(r.index[0][0] == 0 && r.index[0][1] == 0 && r.index[1][0] == 0 && r.index[1][1] == 1);
    CHECK(r.index[7][0] == 3 && r.index[7][1] == 1); /* (b, a): b is the outer loop */
    CHECK_EQ_INT(r.ndim_in0, 1);
    CHECK_EQ_INT(r.ndim_out0, 1);
    CHECK(z && einc_tensor_dtype(z) == EINC_FLOAT64 && einc_tensor_ndim(z) == 3 && einc_tensor_dim(z, 0) == 4);
    CHECK_CLOSE(einc_tensor_get(z, (int64_t[]){3, 1, 2}), 0.0, 0); /* outputs start as zeros */
    /* WITH_AXIS: one call with whole tensors, loops first */
    r = (recorder){0};
    op.flags = EINC_VMAP_WITH_AXIS;
    CHECK(einc_vmap(ctx, "a [c], b [c] -> b a [c]", 2, (einc_tensor *[]){x, y}, 1, &z, &op, EINC_NO_AXES) == EINC_OK);
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(r.ndim_in0, 3);
    CHECK_EQ_INT(r.ndim_out0, 3);
    /* a loop axis only the output has: broadcast (one call per position) */
    r = (recorder){0};
    op.flags = 0;
    CHECK(einc_vmap(ctx, "[c] -> k [c]", 1, (einc_tensor *[]){einc_tensor_select(ctx, x, 0, 0)}, 1, &z, &op,
                    EINC_AXES({"k", 5})) == EINC_OK);
    CHECK_EQ_INT(r.calls, 5);
    /* no loops at all: one call */
    r = (recorder){0};
    CHECK(einc_vmap(ctx, "[a c]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_OK);
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(r.ndim_in0, 2);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

static einc_status split_sum(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    if (a->noutputs != 2) return einc_set_error(ctx, EINC_EVALUE, "two outputs expected");
    einc_status st = einc_tensor_copy_(ctx, a->outputs[0], einc_mul_scalar(ctx, a->inputs[0], -1.0));
    if (st != EINC_OK) return st;
    return einc_tensor_copy_(ctx, a->outputs[1], einc_tensor_sum(ctx, a->inputs[0], EINC_ALL, false));
}

TEST(several_outputs_and_inputs_left_alone) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 12, 1), EINC_SHAPE(3, 4));
    einc_tensor *copy = einc_tensor_clone(ctx, x);
    einc_tensor *out[2] = {0};
    einc_vmap_op op = {.fn = split_sum};
    CHECK(einc_vmap(ctx, "a [b] -> a [b], a", 1, &x, 2, out, &op, EINC_NO_AXES) == EINC_OK);
    CHECK_TENSOR_CLOSE(out[0], einc_mul_scalar(ctx, x, -1.0), 0, 0);
    CHECK_TENSOR_CLOSE(out[1], einc_sum(ctx, "a [b]", x), 0, 0);
    CHECK_TENSOR_CLOSE(x, copy, 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- errors ---------------------------------------------------------------------------------------- */

static einc_status fails_quietly(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)ctx;
    return a->index && a->index[0] == 1 ? (einc_status)(intptr_t)user : EINC_OK;
}

static einc_status fails_loudly(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)a;
    (void)user;
    return einc_set_error(ctx, EINC_EDTYPE, "my function does not take this");
}

static einc_status fails_inside(einc_ctx *ctx, const einc_vmap_args *a, void *user) {
    (void)user;
    einc_tensor_add(ctx, a->inputs[0], einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(7))); /* ignored failure */
    return EINC_OK;
}

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3)), *z = NULL, *zz[2];
    einc_vmap_op op = {.fn = fails_quietly, .user = (void *)(intptr_t)EINC_EINDEX};
    CHECK(einc_vmap(ctx, "a [b] -> a [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EINDEX && z == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_vmap(\"a [b] -> a [b]\"): the function returned IndexError at loop index (1)");
    op.fn = fails_loudly;
    CHECK(einc_vmap(ctx, "a [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EDTYPE && z == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "my function does not take this");
    op.fn = fails_inside;
    CHECK(einc_vmap(ctx, "a [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_ESHAPE && z == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "");
    op.fn = sum_all;
    CHECK(einc_vmap(ctx, "a [b], c -> a", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "The operation is defined with 2 input expressions, but 1 input tensor is given");
    CHECK(einc_vmap(ctx, "(a + b) -> a", 1, (einc_tensor *[]){einc_tensor_select(ctx, x, 0, 0)}, 1, &z, &op,
                    EINC_AXES({"a", 1})) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The concatenation operator (+) is not allowed in this function.");
    CHECK(einc_vmap(ctx, "a [b] -> [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The input axes {'a'} must appear in the output expression.");
    CHECK(einc_vmap(ctx, "a [b] -> a a", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "must not contain multiple vectorized axes with the same name");
    CHECK(einc_vmap(ctx, "a [b], a [b]", 2, (einc_tensor *[]){x, x}, 1, &z, &op, EINC_NO_AXES) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The operation expects an output expression, but no '->' was found.");
    CHECK(einc_vmap(ctx, "a [b] -> a [c]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EAXISSIZE);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to uniquely determine the size of the axis c.");
    CHECK(einc_vmap(ctx, "a [b] -> a, a", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "the expression has 2 outputs, but 1 output tensor was requested");
    CHECK(einc_vmap(ctx, "a [b] c", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_ERANK);
    CHECK_ERROR(ctx, EINC_ERANK, "does not match");
    einc_tensor *x3 = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(24));
    CHECK(einc_vmap(ctx, "([h] a [w]) -> a", 1, &x3, 1, &z, &op, EINC_AXES({"h", 2}, {"a", 3})) == EINC_EUNSUPPORTED);
    CHECK_ERROR(ctx, EINC_EUNSUPPORTED, "are not one stride apart");
    /* invalid arguments */
    op.fn = NULL;
    CHECK(einc_vmap(ctx, "a [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "the operation has no function");
    op.fn = sum_all;
    CHECK(einc_vmap(ctx, "a [b]", 1, &x, 1, &z, NULL, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "the operation has no function");
    CHECK(einc_vmap(ctx, "a [b]", 1, (einc_tensor *[]){NULL}, 1, &z, &op, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input tensor #1 is NULL");
    CHECK(einc_vmap(ctx, NULL, 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "expression is NULL");
    CHECK(einc_vmap(ctx, "a [b]", 1, &x, 0, zz, &op, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "0 outputs");
    op.dtype = (einc_dtype)42;
    CHECK(einc_vmap(ctx, "a [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "invalid output dtype 42");
    CHECK(einc_vmap(NULL, "a [b]", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_EINVAL);
    einc_ctx_destroy(ctx);
}

TEST(fail_nth_allocation_sweep) {
    int completed = 0;
    for (long budget = 0; budget < 1000 && completed < 2; budget++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        completed = 0;
        einc_tensor *x = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
        einc_tensor *y = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4, 3));
        einc_tensor *z = NULL;
        einc_vmap_op op = {.fn = add2};
        if (einc_vmap(ctx, "a [c], b [c] -> a b [c]", 2, (einc_tensor *[]){x, y}, 1, &z, &op, EINC_NO_AXES) == EINC_OK)
            completed++;
        else CHECK(z == NULL && einc_errcode(ctx) == EINC_ENOMEM);
        op = (einc_vmap_op){.fn = sum_axes, .flags = EINC_VMAP_WITH_AXIS};
        if (einc_vmap(ctx, "a [b] -> a", 1, &x, 1, &z, &op, EINC_NO_AXES) == EINC_OK) completed++;
        else CHECK(z == NULL && einc_errcode(ctx) == EINC_ENOMEM);
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live_blocks, 0);
    }
    CHECK_EQ_INT(completed, 2);
}

int main(void) {
    RUN(golden_results);
    RUN(loops_in_output_order_and_a_scope_per_call);
    RUN(several_outputs_and_inputs_left_alone);
    RUN(errors);
    RUN(fail_nth_allocation_sweep);
    return test_summary();
}
