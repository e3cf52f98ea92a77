/* einx 0.3 functions (einc_apply03 and its convenience forms) against NumPy: every case of
 * tests/golden/notation_solvers/compat.txt (written by tests/golden/gen_notation_solvers.py),
 * with contiguous, non-contiguous, broadcast and negative-stride inputs; 0.3's own errors; the
 * rewritten expressions agreeing with their 0.4 forms; a fail-Nth-allocation sweep. */
#include "test.h"

#define MAX_CASES 128

typedef struct {
    char name[2048], func[2048], op[2048], expr[2048], constraints[2048], options[2048], inputs[2048], outputs[2048];
} compat_case;

static compat_case cases[MAX_CASES];
static int ncases;

static void add_case(char **fields, void *user) {
    (void)user;
    if (ncases >= MAX_CASES) return;
    compat_case *c = &cases[ncases++];
    snprintf(c->name, sizeof c->name, "%s", fields[0]);
    snprintf(c->func, sizeof c->func, "%s", fields[1]);
    snprintf(c->op, sizeof c->op, "%s", fields[2]);
    snprintf(c->expr, sizeof c->expr, "%s", fields[3]);
    snprintf(c->constraints, sizeof c->constraints, "%s", fields[4]);
    snprintf(c->options, sizeof c->options, "%s", fields[5]);
    snprintf(c->inputs, sizeof c->inputs, "%s", fields[6]);
    snprintf(c->outputs, sizeof c->outputs, "%s", fields[7]);
}

static int load_list(einc_ctx *ctx, const char *list, einc_tensor **out) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", list);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char name[600];
        snprintf(name, sizeof name, "notation_solvers/%.*s", (int)(strlen(tok) - 4), tok);
        out[n++] = test_golden(ctx, name);
    }
    return n;
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

static void run_case(einc_ctx *ctx, const compat_case *c, int variant) {
    einc_scope_begin(ctx);
    einc_tensor *in[16] = {0}, *expected[16] = {0}, *got[16] = {0};
    int nin = load_list(ctx, c->inputs, in);
    int nout = load_list(ctx, c->outputs, expected);
    for (int i = 0; i < nin; i++) in[i] = relayout(ctx, in[i], variant);
    einc_axis ax[16];
    char names[512];
    int nax = 0;
    CHECK(einc_axes_parse(ctx, c->constraints, ax, 16, &nax, names, sizeof names) == EINC_OK);
    einc_options03 o;
    memset(&o, 0, sizeof o);
    o.op = c->op[0] ? c->op : NULL;
    o.keepdims = strcmp(c->options, "keepdims") == 0;
    einc_status st = einc_apply03(ctx, c->func, c->expr, nin, in, nout, got, (einc_axes){nax, ax}, &o);
    if (st != EINC_OK) {
        fprintf(stderr, "case %s (%s \"%s\", variant %d): %s: %s\n", c->name, c->func, c->expr, variant,
                einc_status_name(st), einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    } else {
        for (int k = 0; k < nout; k++) {
            einc_dtype d = einc_tensor_dtype(expected[k]);
            double tol = d == EINC_FLOAT32 ? 2e-5 : d == EINC_FLOAT64 ? 1e-12 : 0.0;
            if (!CHECK_TENSOR_CLOSE(got[k], expected[k], tol, tol))
                fprintf(stderr, "  in case %s (%s \"%s\"), variant %d\n", c->name, c->func, c->expr, variant);
        }
    }
    einc_scope_end(ctx);
}

TEST(golden_cases) {
    CHECK(ncases >= 35);
    einc_ctx *ctx = einc_ctx_create();
    for (int v = 0; v < 3; v++)
        for (int i = 0; i < ncases; i++) run_case(ctx, &cases[i], v);
    einc_ctx_destroy(ctx);
}

static einc_tensor *ramp(einc_ctx *ctx, int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, -3.0, -3.0 + 0.5 * (double)n, 0.5), ndim,
                               shape);
}

/* Broadcast (stride 0) inputs: a bias expanded from one value, a weight expanded along a row. */
TEST(broadcast_inputs) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = ramp(ctx, EINC_SHAPE(2, 3));
    einc_tensor *c = einc_tensor_expand(ctx, einc_tensor_full(ctx, EINC_FLOAT32, EINC_SHAPE(1), 2.0), EINC_SHAPE(3));
    CHECK_TENSOR_CLOSE(einc_elementwise_named(ctx, "add", "b [c]", x, c, EINC_NO_AXES), einc_add_scalar(ctx, x, 2.0), 0,
                       0);
    einc_tensor *row = ramp(ctx, EINC_SHAPE(1, 4));
    einc_tensor *w = einc_tensor_expand(ctx, row, EINC_SHAPE(3, 4));
    einc_tensor *y = einc_dot03(ctx, "b [c1->c2]", x, w, EINC_NO_AXES);
    /* y[b, d] = sum_c x[b, c] * row[d] */
    einc_tensor *xs = einc_sum(ctx, "b [c]", x);
    CHECK_TENSOR_CLOSE(y, einc_multiply(ctx, "b, d -> b d", xs, einc_id(ctx, "1 d -> d", row)), 1e-6, 1e-6);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Each 0.3 form computes exactly what its written-out 0.4 form computes. */
TEST(shorthands_equal_their_04_forms) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = ramp(ctx, EINC_SHAPE(2, 3, 4)), *w = ramp(ctx, EINC_SHAPE(4, 5)), *c = ramp(ctx, EINC_SHAPE(4));
    CHECK_TENSOR_CLOSE(einc_dot03(ctx, "b... [c1->c2]", x, w, EINC_NO_AXES),
                       einc_dot(ctx, "b... c1, c1 c2 -> b... c2", x, w), 0, 0);
    CHECK_TENSOR_CLOSE(einc_dot03(ctx, "a b [c] -> b a [d]", x, w, EINC_NO_AXES),
                       einc_dot(ctx, "a b c, c d -> b a d", x, w), 0, 0);
    CHECK_TENSOR_CLOSE(einc_elementwise_named(ctx, "maximum", "a b [c]", x, c, EINC_NO_AXES),
                       einc_maximum(ctx, "a b c, c", x, c), 0, 0);
    CHECK_TENSOR_CLOSE(einc_reduce_named(ctx, "prod", "a [b] c", x, EINC_NO_AXES), einc_prod(ctx, "a [b] c", x), 0, 0);
    CHECK_TENSOR_CLOSE(einc_vmap_with_axis_named(ctx, "log_softmax", "a b [c]", x, EINC_NO_AXES),
                       einc_log_softmax(ctx, "a b [c]", x), 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* einx 0.3 had get_at, set_at, add_at and subtract_at (einx.index); einc_apply03 runs them with
 * 0.4's rules, "|" read as "->". Truth: rows picked and added by hand. */
TEST(indexing_through_apply03) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = ramp(ctx, EINC_SHAPE(3, 4)), *u = ramp(ctx, EINC_SHAPE(2, 4)), *y = NULL;
    einc_tensor *ids = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(2));
    einc_tensor_set(ids, (int64_t[]){0}, 2.0);
    einc_tensor_set(ids, (int64_t[]){1}, 2.0); /* (2, 2): a duplicate accumulates */
    einc_tensor *in[3] = {x, ids, u};
    CHECK(einc_apply03(ctx, "get_at", "[a] b, p | p b", 2, in, 1, &y, EINC_NO_AXES, NULL) == EINC_OK);
    einc_tensor *row2 = einc_tensor_select(ctx, x, 0, 2);
    CHECK_TENSOR_CLOSE(einc_tensor_select(ctx, y, 0, 0), row2, 0, 0);
    CHECK_TENSOR_CLOSE(einc_tensor_select(ctx, y, 0, 1), row2, 0, 0);
    CHECK_TENSOR_CLOSE(y, einc_get_at(ctx, "[a] b, p -> p b", x, ids), 0, 0);
    CHECK(einc_apply03(ctx, "add_at", "[a] b, p, p b", 3, in, 1, &y, EINC_NO_AXES, NULL) == EINC_OK);
    einc_tensor *sum_u = einc_tensor_sum(ctx, u, EINC_DIMS(0), false);
    CHECK_TENSOR_CLOSE(einc_tensor_select(ctx, y, 0, 2), einc_tensor_add(ctx, row2, sum_u), 1e-6, 1e-6);
    CHECK_TENSOR_CLOSE(einc_tensor_select(ctx, y, 0, 0), einc_tensor_select(ctx, x, 0, 0), 0, 0);
    CHECK_TENSOR_CLOSE(y, einc_add_at(ctx, "[a] b, p, p b", x, ids, u), 0, 0);
    /* not through the generic functions: elementwise(op="get_at") stays an error */
    CHECK(einc_apply03(ctx, "elementwise", "[a] b, p | p b", 2, in, 1, &y, EINC_NO_AXES,
                       &(einc_options03){.op = "get_at"}) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "elementwise: 'get_at' is not an elementwise operation");
    einc_ctx_destroy(ctx);
}

TEST(errors_of_the_03_rules) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = ramp(ctx, EINC_SHAPE(2, 3)), *w = ramp(ctx, EINC_SHAPE(3, 4)), *y = NULL;
    einc_options03 keep = {.keepdims = true};
    CHECK(einc_apply03(ctx, "sum", "a [b] -> a", 1, &x, 1, &y, EINC_NO_AXES, &keep) == EINC_EVALUE && !y);
    CHECK_ERROR(ctx, EINC_EVALUE, "keepdims cannot be given when using '->'");
    CHECK(einc_reduce_named(ctx, "sum", "a b", x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "No axes are marked for reduction");
    CHECK(einc_reduce_named(ctx, "add", "a [b]", x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "reduce: 'add' is not a reduction");
    CHECK(einc_reduce_named(ctx, NULL, "a [b]", x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "reduce: the operation is missing (op=NAME)");
    CHECK(einc_elementwise_named(ctx, "sum", "a [b]", x, w, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "elementwise: 'sum' is not an elementwise operation");
    CHECK(einc_vmap_with_axis_named(ctx, "frobnicate", "a [b]", x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "vmap_with_axis: 'frobnicate' is not an einx 0.3 operation for it");
    CHECK(einc_apply03(ctx, "frobnicate", "a", 1, &x, 1, &y, EINC_NO_AXES, NULL) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "frobnicate: 'frobnicate' is not an einx 0.3 function");
    CHECK(einc_dot03(ctx, "a [3] -> a [c]", x, w, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "Cannot mark unnamed non-trivial axes, but found 3");
    /* the 0.4 checks apply to the rewritten expression */
    CHECK(einc_dot03(ctx, "a [b] -> a [c]", x, ramp(ctx, EINC_SHAPE(4, 4)), EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Expression: \"a b, b c -> a c\"");
    CHECK(einc_dot03(ctx, "a [b -> c", x, w, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_ESYNTAX, "Found an opening bracket that is not closed:");
    /* check: 0.3's einx.check */
    CHECK(einc_apply03(ctx, "check", "a b, b c", 2, (einc_tensor *[]){x, w}, 0, NULL, EINC_NO_AXES, NULL) == EINC_OK);
    CHECK(einc_apply03(ctx, "check", "a b, b", 2, (einc_tensor *[]){x, w}, 0, NULL, EINC_NO_AXES, NULL) == EINC_ERANK);
    CHECK_ERROR(ctx, EINC_ERANK, "does not match");
    CHECK(einc_apply03(ctx, "check", "a b", 1, &x, 1, &y, EINC_NO_AXES, NULL) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "check: expected 0 outputs, got 1");
    /* arange */
    CHECK(einc_arange(ctx, "a b [2]", EINC_INT32, EINC_AXES({"a", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to uniquely determine the size of the axis b.");
    CHECK(einc_arange(ctx, "a b [3]", EINC_INT32, EINC_AXES({"a", 2}, {"b", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to determine the size of all axes");
    CHECK(einc_arange(ctx, "a [b] [c]", EINC_INT32, EINC_AXES({"a", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "Expected at most one marked axis, got 2");
    CHECK(einc_arange(ctx, "a [b] -> a [2]", EINC_INT32, EINC_AXES({"a", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "Marker in input expression not allowed");
    CHECK(einc_arange(ctx, "(a + b) [1]", EINC_INT32, EINC_AXES({"a", 2}, {"b", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "Concatenation not allowed");
    CHECK(einc_arange(ctx, "a, b", EINC_INT32, EINC_AXES({"a", 2}, {"b", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "Only a single input expression is allowed");
    CHECK(einc_arange(ctx, "a b [2]", EINC_BOOL, EINC_AXES({"a", 2}, {"b", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "not bool");
    einc_tensor *f = einc_arange(ctx, "a b [2]", EINC_FLOAT64, EINC_AXES({"a", 2}, {"b", 3}));
    CHECK(f && einc_tensor_dtype(f) == EINC_FLOAT64 && einc_tensor_get(f, (int64_t[]){1, 2, 1}) == 2.0);
    CHECK(einc_apply03(ctx, "arange", "a", 1, &x, 1, &y, EINC_AXES({"a", 2}), NULL) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "arange: expected 0 input tensors, got 1");
    /* invalid arguments */
    CHECK(einc_apply03(ctx, NULL, "a", 1, &x, 1, &y, EINC_NO_AXES, NULL) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "func is NULL");
    CHECK(einc_apply03(ctx, "sum", NULL, 1, &x, 1, &y, EINC_NO_AXES, NULL) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "expression is NULL");
    CHECK(einc_reduce_named(ctx, "sum", "a [b]", NULL, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input tensor #1 is NULL");
    CHECK(einc_apply03(ctx, "sum", "a [b]", 1, &x, 1, NULL, EINC_NO_AXES, NULL) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "outputs is NULL");
    einc_options03 bad = {.nshift = 99};
    CHECK(einc_apply03(ctx, "roll", "a [b]", 1, &x, 1, &y, EINC_NO_AXES, &bad) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "nshift = 99");
    CHECK(einc_arange(ctx, NULL, EINC_INT32, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "expression is NULL");
    CHECK(einc_arange(NULL, "a", EINC_INT32, EINC_NO_AXES) == NULL);
    CHECK(einc_dot03(NULL, "a", x, w, EINC_NO_AXES) == NULL);
    einc_ctx_destroy(ctx);
}

TEST(fail_nth_allocation_sweep) {
    int completed = 0;
    for (long budget = 0; budget < 2000 && completed < 5; budget++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        completed = 0;
        einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
        einc_tensor *w = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4));
        einc_tensor *c = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3));
        einc_tensor *r[5] = {
            einc_arange(ctx, "a b -> b a [2]", EINC_INT32, EINC_AXES({"a", 3}, {"b", 4})),
            einc_dot03(ctx, "b [c1->c2]", x, w, EINC_NO_AXES),
            einc_elementwise_named(ctx, "add", "b [c]", x, c, EINC_NO_AXES),
            einc_reduce_named(ctx, "sum", "a [b]", x, EINC_NO_AXES),
            einc_vmap_with_axis_named(ctx, "softmax", "a [b]", x, EINC_NO_AXES),
        };
        for (int i = 0; i < 5; i++) completed += r[i] != NULL;
        if (completed < 5) CHECK(einc_errcode(ctx) == EINC_ENOMEM);
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live_blocks, 0);
    }
    CHECK_EQ_INT(completed, 5);
}

int main(void) {
    test_read_table("notation_solvers/compat.txt", '\t', 8, add_case, NULL);
    RUN(golden_cases);
    RUN(broadcast_inputs);
    RUN(shorthands_equal_their_04_forms);
    RUN(indexing_through_apply03);
    RUN(errors_of_the_03_rules);
    RUN(fail_nth_allocation_sweep);
    return test_summary();
}
