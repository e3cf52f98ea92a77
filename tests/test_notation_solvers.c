/* einc_solve_axes, einc_solve_shapes, einc_matches, einc_check (spec §3.8) against the cases of
 * tests/golden/notation_solvers/solve.txt (expected values from NumPy shapes, written by
 * tests/golden/gen_notation_solvers.py), their error messages, and a fail-Nth-allocation sweep. */
#include "test.h"

#define MAX_CASES 128

typedef struct {
    char name[2048], func[2048], expr[2048], constraints[2048], shapes[2048], expected[2048];
} solve_case;

static solve_case cases[MAX_CASES];
static int ncases;

static void add_case(char **fields, void *user) {
    (void)user;
    if (ncases >= MAX_CASES) return;
    solve_case *c = &cases[ncases++];
    snprintf(c->name, sizeof c->name, "%s", fields[0]);
    snprintf(c->func, sizeof c->func, "%s", fields[1]);
    snprintf(c->expr, sizeof c->expr, "%s", fields[2]);
    snprintf(c->constraints, sizeof c->constraints, "%s", fields[3]);
    snprintf(c->shapes, sizeof c->shapes, "%s", fields[4]);
    snprintf(c->expected, sizeof c->expected, "%s", fields[5]);
}

/* "3,4;?;()" -> shapes */
static int parse_shapes(const char *text, einc_shape *out) {
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", text);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        einc_shape *s = &out[n++];
        memset(s, 0, sizeof *s);
        if (strcmp(tok, "?") == 0) {
            s->ndim = -1;
            continue;
        }
        if (strcmp(tok, "()") == 0) continue;
        for (char *p = tok; *p;) {
            s->dims[s->ndim++] = strtoll(p, &p, 10);
            if (*p == ',') p++;
        }
    }
    return n;
}

/* "a=2;s=(2,3)" — the layout of the generator */
static void solution_text(const einc_solution *s, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->naxes && len < size; i++) {
        const einc_solved_axis *a = &s->axes[i];
        len += (size_t)snprintf(buf + len, size - len, "%s%s=", i ? ";" : "", a->name);
        if (a->ndim == 0) {
            len += (size_t)snprintf(buf + len, size - len, "%lld", (long long)a->values[0]);
            continue;
        }
        for (int64_t k = 0; k < a->nvalues && len < size; k++)
            len += (size_t)snprintf(buf + len, size - len, "%s%lld", k ? "," : "(", (long long)a->values[k]);
        if (len < size) len += (size_t)snprintf(buf + len, size - len, ")");
    }
}

static void shapes_text(const einc_shape *s, int n, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < size; i++) {
        len += (size_t)snprintf(buf + len, size - len, "%s(", i ? ";" : "");
        for (int k = 0; k < s[i].ndim && len < size; k++)
            len += (size_t)snprintf(buf + len, size - len, "%s%lld", k ? "," : "", (long long)s[i].dims[k]);
        if (len < size) len += (size_t)snprintf(buf + len, size - len, ")");
    }
}

static void run_case(einc_ctx *ctx, const solve_case *c) {
    einc_shape shapes[16];
    int n = parse_shapes(c->shapes, shapes);
    einc_axis ax[16];
    char names[512];
    int nax = 0;
    CHECK(einc_axes_parse(ctx, c->constraints, ax, 16, &nax, names, sizeof names) == EINC_OK);
    einc_axes axes = {nax, ax};
    char got[1024] = "";
    if (strcmp(c->func, "solve_axes") == 0) {
        einc_solution *s = einc_solve_axes(ctx, c->expr, n, shapes, axes);
        if (s) solution_text(s, got, sizeof got);
        einc_solution_free(s);
    } else if (strcmp(c->func, "solve_shapes") == 0) {
        einc_shape out[16];
        if (einc_solve_shapes(ctx, c->expr, n, shapes, out, axes) == EINC_OK) shapes_text(out, n, got, sizeof got);
    } else {
        snprintf(got, sizeof got, "%s", einc_matches(ctx, c->expr, n, shapes, axes) ? "True" : "False");
    }
    if (strcmp(got, c->expected) != 0) {
        fprintf(stderr, "case %s: %s(\"%s\") gave \"%s\", expected \"%s\" (%s: %s)\n", c->name, c->func, c->expr, got,
                c->expected, einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
        test_failed_checks_++;
    }
    CHECK_OK(ctx);
}

TEST(golden_cases) {
    CHECK(ncases >= 30);
    einc_ctx *ctx = einc_ctx_create();
    for (int i = 0; i < ncases; i++) run_case(ctx, &cases[i]);
    einc_ctx_destroy(ctx);
}

static const einc_shape s54 = {2, {5, 4}};

TEST(solution_lookup_and_layout) {
    einc_ctx *ctx = einc_ctx_create();
    einc_solution *s = einc_solve_axes(ctx, "b (s [ds])... c", 1, &(einc_shape){4, {2, 4, 6, 3}}, EINC_AXES({"ds", 2}));
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_INT(s->naxes, 4);
        CHECK_EQ_INT(einc_solution_size(s, "b"), 2);
        CHECK_EQ_INT(einc_solution_size(s, "c"), 3);
        CHECK_EQ_INT(einc_solution_size(s, "s"), -1); /* under an ellipsis: an array */
        CHECK_EQ_INT(einc_solution_size(s, "zz"), -1);
        const einc_solved_axis *a = einc_solution_find(s, "s");
        CHECK(a && a->ndim == 1 && a->shape[0] == 2 && a->nvalues == 2 && a->values[0] == 2 && a->values[1] == 3);
        CHECK(einc_solution_find(s, "zz") == NULL && einc_solution_find(NULL, "s") == NULL);
        CHECK(strcmp(s->axes[0].name, "b") == 0 && strcmp(s->axes[2].name, "ds") == 0);
    }
    einc_solution_free(s);
    einc_solution_free(NULL);
    /* out may alias the shapes */
    einc_shape io[2] = {{2, {3, 4}}, EINC_UNKNOWN_SHAPE};
    CHECK(einc_solve_shapes(ctx, "a b, c b a", 2, io, io, EINC_AXES({"c", 3})) == EINC_OK);
    CHECK(io[1].ndim == 3 && io[1].dims[0] == 3 && io[1].dims[1] == 4 && io[1].dims[2] == 3);
    /* einc_shape_of */
    einc_tensor *t = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(5, 4));
    einc_shape st = einc_shape_of(t);
    CHECK(st.ndim == 2 && st.dims[0] == 5 && st.dims[1] == 4);
    CHECK(einc_shape_of(NULL).ndim == -1);
    CHECK(einc_check(ctx, "(a + b) c", 1, &st, EINC_NO_AXES) == EINC_OK);
    einc_ctx_destroy(ctx);
}

TEST(solve_axes_merges_nothing_solve_shapes_merges_groups) {
    einc_ctx *ctx = einc_ctx_create();
    einc_shape x = {3, {2, 12, 3}};
    CHECK(einc_solve_axes(ctx, "b (h w) c", 1, &x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to uniquely determine the size of the axes h, w.");
    einc_shape out;
    CHECK(einc_solve_shapes(ctx, "b (h w) c", 1, &x, &out, EINC_NO_AXES) == EINC_OK);
    CHECK(einc_check(ctx, "b (h w) c", 1, &x, EINC_NO_AXES) == EINC_OK);
    /* concatenations merge in the solve functions, but not groups inside brackets */
    CHECK(einc_solve_axes(ctx, "(a + b) c", 1, &s54, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "axes a, b");
    CHECK(einc_check(ctx, "(a + b) c", 1, &s54, EINC_NO_AXES) == EINC_OK);
    CHECK(einc_check(ctx, "b [(h w)] c", 1, &x, EINC_NO_AXES) == EINC_EAXISSIZE);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "axes h, w");
    /* a group whose axis appears elsewhere is not merged */
    CHECK(einc_check(ctx, "b (h w) c, h", 2, (einc_shape[]){x, EINC_UNKNOWN_SHAPE}, EINC_NO_AXES) == EINC_EAXISSIZE);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to uniquely determine");
    einc_ctx_destroy(ctx);
}

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_shape x = {2, {10, 5}};
    CHECK(einc_solve_axes(ctx, "a b -> b a", 1, &x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_ESYNTAX,
                "The expression must not contain a '->' operator.\n"
                "Expression: \"a b -> b a\"\n"
                "                 ^^    ");
    CHECK(einc_check(ctx, "a [b -> c]", 1, &x, EINC_NO_AXES) == EINC_ESYNTAX);
    CHECK_ERROR(ctx, EINC_ESYNTAX, "must not contain a '->'");
    CHECK(einc_solve_shapes(ctx, "a b, c", 1, &x, &x, EINC_NO_AXES) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE,
                "The number of input expressions (found 2) must match the number of input tensors (found 1)");
    CHECK(einc_check(ctx, "a (b", 1, &x, EINC_NO_AXES) == EINC_ESYNTAX);
    CHECK_ERROR(ctx, EINC_ESYNTAX, "Found an opening parenthesis that is not closed:");
    CHECK(einc_check(ctx, "a b c", 1, &x, EINC_NO_AXES) == EINC_ERANK);
    CHECK_ERROR(ctx, EINC_ERANK, "The number of tensor dimensions and axes in the expression does not match.");
    CHECK(einc_check(ctx, "s..., s...", 2, (einc_shape[]){x, {3, {2, 3, 4}}}, EINC_NO_AXES) == EINC_ERANK);
    CHECK_ERROR(ctx, EINC_ERANK, "Failed to find an expansion of ellipses");
    CHECK(einc_check(ctx, "a b", 1, &x, EINC_AXES({"a", 11})) == EINC_EAXISSIZE);
    CHECK_ERROR(ctx, EINC_EAXISSIZE,
                "Failed to determine the size of all axes in the expression under the given "
                "constraints.\nExpression: \"a b\"\n");
    /* an unknown shape is listed as einx lists a tensor factory */
    CHECK(einc_check(ctx, "a b, c", 2, (einc_shape[]){x, EINC_UNKNOWN_SHAPE}, EINC_NO_AXES) == EINC_EAXISSIZE);
    CHECK_ERROR(ctx, EINC_EAXISSIZE,
                "Failed to uniquely determine the size of the axis c. Please provide more "
                "constraints.\nExpression: \"a b, c\"\n                  ^\n"
                "The expression, tensor shapes and contraints resulted in the following "
                "equation(s):\n    a b = 10 5\nThe operation was called with the following "
                "arguments:\n  - Positional argument #1: Tensor with shape (10, 5)\n"
                "  - Positional argument #2: Tensor factory");
    CHECK(einc_check(ctx, "a b...", 1, &x, EINC_AXES({"a", 2}, {"a", 3})) == EINC_ERANK);
    CHECK_ERROR(ctx, EINC_ERANK, "Found an invalid usage of ellipses and/or constraints for the axis a");
    /* invalid arguments */
    CHECK(einc_solve_axes(ctx, NULL, 1, &x, EINC_NO_AXES) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "expression is NULL");
    CHECK(einc_check(ctx, "a", 1, NULL, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_check(\"a\"): shapes is NULL (n = 1)");
    CHECK(einc_check(ctx, "a", -1, NULL, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "the number of shapes is negative");
    CHECK(einc_check(ctx, "a", 1, &(einc_shape){17, {0}}, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "shape #1 has 17 dimensions");
    CHECK(einc_check(ctx, "a", 1, &(einc_shape){1, {-3}}, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "shape #1 (-3,) has a negative dimension");
    CHECK(einc_solve_shapes(ctx, "a", 1, &x, NULL, EINC_NO_AXES) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "out is NULL");
    CHECK(einc_check(ctx, "a", 1, &(einc_shape){1, {3}}, (einc_axes){2, NULL}) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "invalid constraints");
    CHECK(einc_check(ctx, "a", 1, &(einc_shape){1, {0}}, EINC_NO_AXES) == EINC_EAXISSIZE);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to determine the size of all axes");
    CHECK(einc_check(NULL, "a", 0, NULL, EINC_NO_AXES) == EINC_EINVAL);
    CHECK(einc_solve_axes(NULL, "a", 0, NULL, EINC_NO_AXES) == NULL);
    CHECK(!einc_matches(NULL, "a", 0, NULL, EINC_NO_AXES));
    einc_ctx_destroy(ctx);
}

TEST(matches_records_nothing_and_keeps_an_earlier_error) {
    einc_ctx *ctx = einc_ctx_create();
    einc_shape x = {2, {3, 4}};
    CHECK(!einc_matches(ctx, "a b c", 1, &x, EINC_NO_AXES));
    CHECK(!einc_matches(ctx, "a -> b", 1, &x, EINC_NO_AXES));
    CHECK(!einc_matches(ctx, "a, b", 1, &x, EINC_NO_AXES));
    CHECK_OK(ctx);
    einc_set_error(ctx, EINC_EIO, "an earlier error");
    CHECK(einc_matches(ctx, "a b", 1, &x, EINC_NO_AXES));
    CHECK(!einc_matches(ctx, "a b c", 1, &x, EINC_NO_AXES));
    CHECK_ERROR(ctx, EINC_EIO, "an earlier error");
    /* invalid arguments are recorded */
    CHECK(!einc_matches(ctx, NULL, 1, &x, EINC_NO_AXES));
    CHECK_ERROR(ctx, EINC_EINVAL, "expression is NULL");
    einc_ctx_destroy(ctx);
}

TEST(fail_nth_allocation_sweep) {
    einc_shape x = {4, {2, 4, 6, 3}};
    einc_shape two[2] = {{2, {3, 4}}, EINC_UNKNOWN_SHAPE};
    int completed = 0;
    for (long budget = 0; budget < 400 && completed < 4; budget++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        completed = 0;
        einc_solution *s = einc_solve_axes(ctx, "b (s [ds])... c", 1, &x, EINC_AXES({"ds", 2}));
        if (s) completed++;
        else CHECK(einc_errcode(ctx) == EINC_ENOMEM);
        einc_solution_free(s);
        einc_clear_error(ctx);
        einc_shape out[2];
        if (einc_solve_shapes(ctx, "a b, c b a", 2, two, out, EINC_AXES({"c", 3})) == EINC_OK) completed++;
        else CHECK(einc_errcode(ctx) == EINC_ENOMEM);
        einc_clear_error(ctx);
        bool m = einc_matches(ctx, "b (h w) c, c", 2, (einc_shape[]){{3, {2, 12, 3}}, {1, {3}}}, EINC_NO_AXES);
        if (m) completed++;
        else CHECK(einc_errcode(ctx) == EINC_ENOMEM);
        einc_clear_error(ctx);
        einc_set_error(ctx, EINC_EIO, "earlier");
        m = einc_matches(ctx, "a b", 1, two, EINC_NO_AXES);
        CHECK(einc_errcode(ctx) == EINC_EIO);
        if (m) completed++;
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live_blocks, 0);
    }
    CHECK_EQ_INT(completed, 4);
}

int main(void) {
    test_read_table("notation_solvers/solve.txt", '|', 6, add_case, NULL);
    RUN(golden_cases);
    RUN(solution_lookup_and_layout);
    RUN(solve_axes_merges_nothing_solve_shapes_merges_groups);
    RUN(errors);
    RUN(matches_records_nothing_and_keeps_an_earlier_error);
    RUN(fail_nth_allocation_sweep);
    return test_summary();
}
