/* The indexing operations get_at, set_at, add_at, subtract_at (spec §3.5):
 *   - every case of tests/golden/notation_indexing/cases.txt (expected results computed with
 *     NumPy by tests/golden/gen_notation_indexing.py) through einc_apply: fresh plans, cached plans
 *     and non-contiguous inputs; and through the einc tool (build/einc) as a separate process;
 *   - strided inputs (broadcast, negative strides, transposes) against contiguous ones;
 *   - the error cases of spec §4.3 item 20 and the run-time ones (coordinates out of range,
 *     float coordinates), with no output and unchanged inputs;
 *   - inputs never modified, empty coordinates or updates, results independent of the threads;
 *   - the gather/scatter kernels against their reference twins on random geometries;
 *   - gradients against finite differences (duplicates included), a fail-the-Nth-allocation sweep,
 *     einc_explain and the convenience forms. */
#include "kernels/gather.h"
#include "test_cases.h"
#include "test_tool.h"

#define MAX_CASES 64

typedef test_op_case test_case;

static test_case cases[MAX_CASES];
static int ncases;

static void add_case(char **fields, void *user) {
    (void)user;
    if (ncases >= MAX_CASES) return;
    test_op_case_fill(&cases[ncases++], fields);
}

static void golden_path(char *buf, size_t size, const char *file) {
    snprintf(buf, size, "%s/notation_indexing/%s", EINC_TEST_DATA, file);
}

static double tolerance(einc_dtype d) { return d == EINC_FLOAT32 ? 2e-6 : d == EINC_FLOAT64 ? 1e-12 : 0.0; }

static void run_case(einc_ctx *ctx, const test_case *c, int variant) {
    einc_scope_begin(ctx);
    einc_tensor *in[16] = {0}, *expected[1] = {0}, *got = NULL;
    int nin = test_load_list(ctx, "notation_indexing", c->inputs, in);
    test_load_list(ctx, "notation_indexing", c->outputs, expected);
    einc_tensor *before[16] = {0};
    for (int i = 0; i < nin; i++) {
        if (variant == 2) in[i] = test_noncontiguous(ctx, in[i]);
        before[i] = einc_tensor_clone(ctx, in[i]);
    }
    einc_axis axes[16];
    char names[512];
    int naxes = 0;
    CHECK(einc_axes_parse(ctx, c->constraints, axes, 16, &naxes, names, sizeof names) == EINC_OK);
    int op = einc_op_from_name(c->op);
    CHECK(op >= EINC_OP_GET_AT && op <= EINC_OP_SUBTRACT_AT);
    einc_status st = einc_apply(ctx, (einc_op)op, c->expr, nin, in, 1, &got, (einc_axes){naxes, axes}, NULL);
    if (st != EINC_OK) {
        fprintf(stderr, "case %s (%s \"%s\", variant %d): %s: %s\n", c->name, c->op, c->expr, variant,
                einc_status_name(st), einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    } else {
        double tol = tolerance(einc_tensor_dtype(expected[0]));
        if (!CHECK_TENSOR_CLOSE(got, expected[0], tol, tol))
            fprintf(stderr, "  in case %s (%s \"%s\"), variant %d\n", c->name, c->op, c->expr, variant);
        for (int i = 0; i < nin; i++) /* the inputs are never written */
            CHECK_TENSOR_CLOSE(in[i], before[i], 0, 0);
    }
    einc_scope_end(ctx);
}

TEST(golden_cases) {
    CHECK(ncases >= 25);
    einc_ctx *ctx = einc_ctx_create();
    for (int v = 0; v < 3; v++) /* fresh plans, cached plans, non-contiguous inputs */
        for (int i = 0; i < ncases; i++) run_case(ctx, &cases[i], v);
    einc_ctx_destroy(ctx);
}

/* ---- through the tool ----------------------------------------------------------------------------- */

static void run_case_through_tool(einc_ctx *ctx, const test_case *c) {
    static char items[16][1200], cons[16][128];
    const char *args[64];
    int n = 0;
    args[n++] = c->op;
    args[n++] = c->expr;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", c->inputs);
    int k = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && k < 16; tok = strtok_r(NULL, ",", &save), k++) {
        if (strstr(tok, ".npy")) golden_path(items[k], sizeof items[k], tok);
        else snprintf(items[k], sizeof items[k], "%s", tok); /* a plain number: a 0-d input */
        args[n++] = items[k];
    }
    char out[1200];
    out_path(out, sizeof out, "out.npy");
    args[n++] = "-o";
    args[n++] = out;
    snprintf(buf, sizeof buf, "%s", c->constraints); /* "q=2, r=3" -> "q=2" "r=3" */
    int nc = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok && nc < 16; tok = strtok_r(NULL, ", ", &save)) {
        snprintf(cons[nc], sizeof cons[nc], "%s", tok);
        args[n++] = cons[nc++];
    }
    run_tool(n, args);
    if (run_status != 0 || run_err[0]) {
        fprintf(stderr, "einc %s '%s' (case %s): exit status %d, stderr: %s\n", c->op, c->expr, c->name, run_status,
                run_err);
        test_failed_checks_++;
        return;
    }
    einc_scope_begin(ctx);
    char expected_path[1200];
    golden_path(expected_path, sizeof expected_path, c->outputs);
    einc_tensor *expected = einc_npy_load(ctx, expected_path), *got = einc_npy_load(ctx, out);
    CHECK(expected && got);
    if (expected && got) {
        double tol = tolerance(einc_tensor_dtype(expected));
        if (!CHECK_TENSOR_CLOSE(got, expected, tol, tol)) fprintf(stderr, "  in case %s through the tool\n", c->name);
    }
    einc_clear_error(ctx);
    einc_scope_end(ctx);
    unlink(out);
}

TEST(golden_cases_through_the_tool) {
    einc_ctx *ctx = einc_ctx_create();
    for (int i = 0; i < ncases; i++) run_case_through_tool(ctx, &cases[i]);
    einc_ctx_destroy(ctx);
}

TEST(tool_reports_out_of_range_coordinates) {
    einc_ctx *ctx = einc_ctx_create();
    char x[1200], idx[1200], out[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(idx, sizeof idx, "idx.npy");
    out_path(out, sizeof out, "out.npy");
    CHECK(einc_npy_save(ctx, x, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 5, 1)) == EINC_OK);
    CHECK(einc_npy_save(ctx, idx, einc_tensor_arange(ctx, EINC_INT32, 3, 6, 1)) == EINC_OK);
    const char *get[] = {"get_at", "[h], p -> p", x, idx, "-o", out};
    CHECK_EQ_INT(run_tool(6, get), 1);
    CHECK(strncmp(
              run_err, "IndexError: get_at: coordinate 5 at (2,) of input #2 is out of range for axis h of length 5",
              strlen("IndexError: get_at: coordinate 5 at (2,) of input #2 is out of range for axis h of length 5")) ==
          0);
    CHECK(access(out, F_OK) != 0);
    /* plain integers are int64 coordinates */
    const char *ok[] = {"set_at", "[h], , ", x, "-2", "7.5", "-o", out};
    CHECK_EQ_INT(run_tool(7, ok), 0);
    einc_tensor *y = einc_npy_load(ctx, out);
    CHECK(y && einc_tensor_get(y, (int64_t[]){3}) == 7.5 && einc_tensor_get(y, (int64_t[]){2}) == 2.0);
    const char *flt[] = {"get_at", "[h], -> ", x, "1.0", "-o", out};
    unlink(out);
    CHECK_EQ_INT(run_tool(6, flt), 1);
    CHECK(strncmp(run_err, "DTypeError: ", 12) == 0 && strstr(run_err, "coordinates must be int32 or int64"));
    CHECK(access(out, F_OK) != 0);
    unlink(x);
    unlink(idx);
    einc_ctx_destroy(ctx);
}

/* ---- layouts -------------------------------------------------------------------------------------- */

static einc_tensor *ints(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape, const int64_t *v) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    einc_tensor *t = einc_tensor_empty(ctx, dtype, ndim, shape);
    for (int64_t i = 0; i < n && t; i++) {
        int64_t idx[EINC_MAX_DIMS], r = i;
        for (int d = ndim - 1; d >= 0; d--) {
            idx[d] = r % shape[d];
            r /= shape[d];
        }
        einc_tensor_set(t, idx, (double)v[i]);
    }
    return t;
}

TEST(strided_inputs_match_contiguous_ones) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(6, 4, 3)); /* [h] b c */
    einc_tensor *xf =
        einc_tensor_flip(ctx, einc_tensor_flip(ctx, x, EINC_DIMS(0, 2)), EINC_DIMS(0, 2)); /* strides < 0 */
    einc_tensor *xf_contig = einc_tensor_clone(ctx, xf);
    int64_t iv[] = {5, -1, 0, 2, 2};
    einc_tensor *idx = ints(ctx, EINC_INT64, EINC_SHAPE(5), iv);
    /* the same coordinates for every b: a stride-0 view */
    einc_tensor *idx_b = einc_tensor_expand(ctx, einc_tensor_unsqueeze(ctx, idx, 0), EINC_SHAPE(4, 5));
    einc_tensor *idx_b_contig = einc_tensor_clone(ctx, idx_b);
    einc_tensor *u = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 5, 4));
    einc_tensor *ut = einc_tensor_permute(ctx, einc_tensor_clone(ctx, einc_tensor_permute(ctx, u, EINC_DIMS(2, 1, 0))),
                                          EINC_DIMS(2, 1, 0)); /* transposed memory */
    einc_tensor *ub =
        einc_tensor_expand(ctx, einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 1, 1)), EINC_SHAPE(3, 5, 4));
    const char *get = "[h] b c, b p -> b p c", *put = "[h] b c, b p, c p b";
    CHECK_TENSOR_CLOSE(einc_get_at(ctx, get, xf, idx_b), einc_get_at(ctx, get, xf_contig, idx_b_contig), 0, 0);
    einc_op ops[] = {EINC_OP_SET_AT, EINC_OP_ADD_AT, EINC_OP_SUBTRACT_AT};
    for (int k = 0; k < 3; k++) {
        einc_tensor *in1[3] = {xf, idx_b, ut}, *in2[3] = {xf_contig, idx_b_contig, einc_tensor_clone(ctx, ut)};
        einc_tensor *y1 = NULL, *y2 = NULL;
        CHECK(einc_apply(ctx, ops[k], put, 3, in1, 1, &y1, EINC_NO_AXES, NULL) == EINC_OK);
        CHECK(einc_apply(ctx, ops[k], put, 3, in2, 1, &y2, EINC_NO_AXES, NULL) == EINC_OK);
        CHECK_TENSOR_CLOSE(y1, y2, 0, 0);
        einc_tensor *in3[3] = {xf, idx_b, ub}, *in4[3] = {xf_contig, idx_b_contig, einc_tensor_clone(ctx, ub)};
        CHECK(einc_apply(ctx, ops[k], put, 3, in3, 1, &y1, EINC_NO_AXES, NULL) == EINC_OK);
        CHECK(einc_apply(ctx, ops[k], put, 3, in4, 1, &y2, EINC_NO_AXES, NULL) == EINC_OK);
        CHECK_TENSOR_CLOSE(y1, y2, 0, 0);
    }
    /* a broadcast value tensor */
    einc_tensor *xb =
        einc_tensor_expand(ctx, einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(6, 1, 3)), EINC_SHAPE(6, 4, 3));
    CHECK_TENSOR_CLOSE(einc_add_at(ctx, put, xb, idx_b, u), einc_add_at(ctx, put, einc_tensor_clone(ctx, xb), idx_b, u),
                       0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- semantics the golden cases do not show --------------------------------------------------- */

TEST(add_at_accumulates_and_set_at_keeps_the_last) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(4));
    int64_t iv[] = {2, 2, -2, 1, 2};
    einc_tensor *idx = ints(ctx, EINC_INT32, EINC_SHAPE(5), iv);
    einc_tensor *u = einc_tensor_arange(ctx, EINC_FLOAT64, 1, 6, 1); /* 1 2 3 4 5 */
    einc_tensor *a = einc_add_at(ctx, "[h], p, p", x, idx, u);
    CHECK_CLOSE(einc_tensor_get(a, (int64_t[]){2}), 1 + 2 + 3 + 5, 0);
    CHECK_CLOSE(einc_tensor_get(a, (int64_t[]){1}), 4, 0);
    einc_tensor *s = einc_subtract_at(ctx, "[h], p, p", x, idx, u);
    CHECK_CLOSE(einc_tensor_get(s, (int64_t[]){2}), -11, 0);
    einc_tensor *w = einc_set_at(ctx, "[h], p, p", x, idx, u);
    CHECK_CLOSE(einc_tensor_get(w, (int64_t[]){2}), 5, 0);
    CHECK_CLOSE(einc_tensor_get(w, (int64_t[]){0}), 0, 0);
    CHECK_CLOSE(einc_tensor_get(x, (int64_t[]){2}), 0, 0); /* x untouched */
    /* the winner is decided by the loop order, not by the memory order of the updates */
    einc_tensor *uf = einc_tensor_flip(ctx, einc_tensor_clone(ctx, einc_tensor_flip(ctx, u, EINC_ALL)), EINC_ALL);
    CHECK_TENSOR_CLOSE(einc_set_at(ctx, "[h], p, p", x, idx, uf), w, 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(empty_coordinates_or_updates_return_a_copy) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1);
    einc_tensor *none = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(0));
    einc_tensor *u = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(0));
    einc_tensor *y = einc_set_at(ctx, "[h], p, p", x, none, u);
    CHECK_TENSOR_CLOSE(y, x, 0, 0);
    CHECK(y != x && einc_tensor_data(y) != einc_tensor_data(x));
    /* as in einx, before looking at the expression at all */
    CHECK_TENSOR_CLOSE(einc_add_at(ctx, "this is ( not checked", x, none, einc_tensor_scalar(ctx, EINC_FLOAT32, 1)), x,
                       0, 0);
    /* get_at has no such rule: zero-length axes are an AxisSizeError, like everywhere */
    CHECK(einc_get_at(ctx, "[h], p -> p", x, none) == NULL);
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "");
    char buf[1024];
    einc_tensor *in[3] = {x, none, u};
    CHECK(einc_explain(ctx, EINC_OP_SET_AT, "[h], p, p", 3, in, EINC_NO_AXES, NULL, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "COPY input #1") != NULL);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(results_do_not_depend_on_threads) {
    einc_ctx *c1 = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 3});
    einc_ctx *c2 = einc_ctx_create_with(&(einc_ctx_options){.threads = 2, .seed = 3});
    einc_ctx *ctxs[2] = {c1, c2};
    einc_tensor *y[2][5];
    for (int k = 0; k < 2; k++) {
        einc_ctx *ctx = ctxs[k];
        /* above the threading threshold: "[h] c" splits over c, "b [h] c" over b and c, get over the output */
        einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(64, 1024));
        einc_tensor *r = einc_mul_scalar(ctx, einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(2048)), 64);
        einc_tensor *idx = einc_tensor_cast(ctx, r, EINC_INT64); /* many duplicates */
        einc_tensor *u = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2048, 1024));
        y[k][0] = einc_add_at(ctx, "[h] c, p, p c", x, idx, u);
        y[k][1] = einc_set_at(ctx, "[h] c, p, p c", x, idx, u);
        y[k][2] = einc_get_at(ctx, "[h] c, p -> p c", x, idx);
        einc_tensor *xb = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(4, 64, 256));
        einc_tensor *ub = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(4, 2048, 256));
        y[k][3] = einc_subtract_at(ctx, "b [h] c, p, b p c", xb, idx, ub);
        y[k][4] = einc_add_at(ctx, "[h], p, p", einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(64)), idx,
                              einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(2048)));
        CHECK_OK(ctx);
    }
    for (int i = 0; i < 5; i++) CHECK_TENSOR_CLOSE(y[0][i], y[1][i], 0, 0);
    einc_ctx_destroy(c1);
    einc_ctx_destroy(c2);
}

/* ---- errors --------------------------------------------------------------------------------------- */

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x3 = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    einc_tensor *idx53 = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5, 3));
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 5, 1);
    einc_tensor *p = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(3));
    einc_tensor *u = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(3));
    /* spec §4.3 item 20 */
    CHECK(einc_get_at(ctx, "[h w] c, p [3] -> p c", x3, idx53) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The sum of the lengths of marked coordinate axes (3) must match the number of marked axes in the "
                "first input expression (2).\nExpression: \"[h w] c, p [3] -> p c\"\n              ^ ^        ^");
    CHECK(einc_set_at(ctx, "[h], p, p -> p", x, p, u) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The 1st output expression of this operation requires brackets, but no brackets were found.");
    /* a named coordinate axis: checked once its length is known */
    CHECK(einc_get_at(ctx, "[h w] c, p [k] -> p c", x3, idx53) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "marked coordinate axes (3) must match the number of marked axes in the first input expression (2)");
    CHECK(einc_get_at(ctx, "[h], p", x, p) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The operation expects an output expression, but no '->' was found.");
    CHECK(einc_get_at(ctx, "[h], p -> p [q]", x, p) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "Brackets ([]) are not allowed in the 1st output expression of this operation.");
    CHECK(einc_set_at(ctx, "[h], p, [q]", x, p, u) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "Brackets ([]) are not allowed in the 3rd input expression of this operation.");
    CHECK(einc_add_at(ctx, "h, p, p -> h [g]", x, p, u) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "Brackets ([]) are not allowed in the 1st output expression of this operation.");
    CHECK(einc_get_at(ctx, "[h w] c, [p k] -> c", x3, idx53) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "Each coordinate expression must contain at most one axis in brackets.");
    CHECK(einc_set_at(ctx, "[h] c w, p [h], p -> [h] c w", x3, idx53, u) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "Axes may not appear in brackets both in the first input tensor and in a coordinate");
    CHECK(einc_set_at(ctx, "[a b] c, p [2], p -> [b a] c", x3, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(3, 2)),
                      u) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "All axes marked with brackets must appear in the same order in the inputs and outputs");
    einc_tensor *two[2] = {x, p}, *y = NULL;
    CHECK(einc_apply(ctx, EINC_OP_SET_AT, "[h], p", 2, two, 1, &y, EINC_NO_AXES, NULL) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The operation expects at least 3 input expressions, but found 2.");
    CHECK(einc_get_at(ctx, "a [h], p -> p", einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 5)), p) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The input axes {'a'} must appear in the output expression.");
    CHECK(einc_apply(ctx, EINC_OP_GET_AT, "[h], p -> p", 1, &x, 1, &y, EINC_NO_AXES, NULL) == EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "The operation is defined with 2 input expressions, but 1 input tensor is given");
    /* run time: dtypes and ranges */
    CHECK(einc_get_at(ctx, "[h], p -> p", x, u) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "get_at: coordinates must be int32 or int64, but input #2 has dtype float32");
    einc_tensor *mask = einc_tensor_zeros(ctx, EINC_BOOL, EINC_SHAPE(5));
    CHECK(einc_add_at(ctx, "[h], p, p", mask, p, u) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "add_at: not defined for a bool value tensor");
    CHECK(einc_set_at(ctx, "[h], p, p", mask, p, u) != NULL); /* set_at is fine on bools */
    int64_t bad[] = {0, 4, -6};
    CHECK(einc_get_at(ctx, "[h], p -> p", x, ints(ctx, EINC_INT64, EINC_SHAPE(3), bad)) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX,
                "get_at: coordinate -6 at (2,) of input #2 is out of range for axis h of length 5 "
                "(valid coordinates: -5 to 4)");
    int64_t bad2[] = {0, 1, 3, 0};
    einc_tensor *xc = einc_tensor_clone(ctx, x3);
    einc_tensor *y2 = einc_add_at(ctx, "b [h w], b p [2], b p", xc, ints(ctx, EINC_INT32, EINC_SHAPE(2, 1, 2), bad2),
                                  einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 1)));
    CHECK(y2 == NULL);
    /* point (0, 0) is fine; point (1, 0) has h = 3 for h of length 3 */
    CHECK_ERROR(ctx, EINC_EINDEX,
                "add_at: coordinate 3 at (1, 0, 0) of input #2 is out of range for axis h of length 3");
    CHECK_TENSOR_CLOSE(xc, x3, 0, 0);
    CHECK(einc_get_at(ctx, "[2] c, p -> p c", einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3)),
                      ints(ctx, EINC_INT64, EINC_SHAPE(1), (int64_t[]){2})) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "for axis (unnamed, indexed axis #1) of length 2");
    /* convenience forms: NULL propagates with one clear error */
    CHECK(einc_get_at(ctx, "[h], p -> p", NULL, p) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "get_at(\"[h], p -> p\"): input tensor #1 is NULL");
    CHECK(einc_subtract_at(ctx, "[h], p, p", x, p, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input tensor #3 is NULL");
    einc_ctx_destroy(ctx);
}

TEST(explain_shows_the_steps) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *table = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(10, 4));
    einc_tensor *ids = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(2, 3));
    char buf[4096];
    einc_tensor *in[3] = {table, ids, einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4))};
    CHECK(einc_explain(ctx, EINC_OP_GET_AT, "[v] c, b t -> b t c", 2, in, EINC_NO_AXES, NULL, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "einx.get_at: [v] c, b t -> b t c") != NULL);
    CHECK(strstr(buf, "CHECK the coordinates (input #2) against the indexed axes [v=10]") != NULL);
    CHECK(strstr(buf, "GATHER input #1") && strstr(buf, "over [b=2, t=3, c=4]"));
    CHECK(einc_explain(ctx, EINC_OP_ADD_AT, "[v] c, b t, b t c", 3, in, EINC_NO_AXES, NULL, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "einx.add_at: [v] c, b t, b t c -> [v] c") != NULL);
    CHECK(strstr(buf, "SCATTER add input #3") && strstr(buf, "for every [c=4] of the output") &&
          strstr(buf, "over [b=2, t=3] in row-major order (duplicates accumulate)"));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- kernels against their reference twins -------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;
static int64_t rnd(int64_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (int64_t)(rng_state % (uint64_t)n);
}

/* A random geometry over fresh buffers: t has some loop dims (the others stride 0) and 1-3
 * indexed axes, possibly flipped; e has random (for a scatter also zero) strides; coordinates
 * random in [-n, n) with random strides (zero included). Buffers are allocated with malloc. */
typedef struct {
    einc__k_index g;
    char *t, *e, *c[3];
    size_t tbytes, ebytes;
} geometry;

static void make_geometry(geometry *m, einc_dtype dtype, bool scatter) {
    memset(m, 0, sizeof *m);
    einc__k_index *g = &m->g;
    int64_t es = (int64_t)einc_dtype_size(dtype);
    g->dtype = dtype;
    g->nloop = (int)rnd(4);
    for (int d = 0; d < g->nloop; d++) g->shape[d] = 1 + rnd(5);
    g->naxes = 1 + (int)rnd(3);
    /* t: indexed axes then the loop dims it has, contiguous (innermost last) */
    int64_t tsize = 1;
    for (int d = g->nloop - 1; d >= 0; d--) {
        bool has = !scatter || rnd(3) != 0;
        g->t_strides[d] = has ? tsize : 0;
        if (has) tsize *= g->shape[d];
    }
    for (int a = g->naxes - 1; a >= 0; a--) {
        g->axis_len[a] = 1 + rnd(4);
        g->axis_stride[a] = tsize;
        tsize *= g->axis_len[a];
    }
    m->tbytes = (size_t)(tsize * es);
    m->t = malloc(m->tbytes);
    for (int64_t i = 0; i < tsize; i++) einc__store_f64(m->t + i * es, dtype, (double)(rnd(200) - 100) / 4);
    g->t = m->t;
    if (rnd(2) && g->naxes > 0) { /* flip the outermost indexed axis */
        g->t += (g->axis_len[0] - 1) * g->axis_stride[0] * es;
        g->axis_stride[0] = -g->axis_stride[0];
    }
    /* e: the loop dims in a random order, for a scatter some of them broadcast */
    int perm[EINC_MAX_DIMS];
    for (int d = 0; d < g->nloop; d++) perm[d] = d;
    for (int d = g->nloop - 1; d > 0; d--) {
        int j = (int)rnd(d + 1), tmp = perm[d];
        perm[d] = perm[j];
        perm[j] = tmp;
    }
    int64_t esize = 1;
    for (int k = 0; k < g->nloop; k++) {
        int d = perm[k];
        bool broadcast = scatter && rnd(3) == 0;
        g->e_strides[d] = broadcast ? 0 : esize;
        if (!broadcast) esize *= g->shape[d];
    }
    m->ebytes = (size_t)(esize * es);
    m->e = malloc(m->ebytes);
    for (int64_t i = 0; i < esize; i++) einc__store_f64(m->e + i * es, dtype, (double)(rnd(200) - 100) / 8);
    g->e = m->e;
    /* coordinates: 1 to naxes tensors */
    int axis = 0;
    while (axis < g->naxes) {
        einc__k_coords *c = &g->coords[g->ncoords];
        c->dtype = rnd(2) ? EINC_INT32 : EINC_INT64;
        c->ncomp = 1 + (int)rnd(g->naxes - axis);
        c->first_axis = axis;
        int64_t csize = 1;
        for (int d = g->nloop - 1; d >= 0; d--) {
            bool has = rnd(3) != 0;
            c->strides[d] = has ? csize : 0;
            if (has) csize *= g->shape[d];
        }
        c->comp_stride = csize;
        csize *= c->ncomp;
        char *data = malloc((size_t)csize * 8);
        for (int64_t i = 0; i < csize; i++) {
            int j = (int)(i / c->comp_stride);
            int64_t n = g->axis_len[axis + j];
            einc__store_f64(data + i * (int64_t)einc_dtype_size(c->dtype), c->dtype, (double)(rnd(2 * n) - n));
        }
        c->data = data;
        m->c[g->ncoords++] = data;
        axis += c->ncomp;
    }
}

static void free_geometry(geometry *m) {
    free(m->t);
    free(m->e);
    for (int k = 0; k < 3; k++) free(m->c[k]);
}

TEST(kernels_match_their_reference_twins) {
    const einc_dtype dtypes[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT32, EINC_INT64, EINC_BOOL};
    for (int iter = 0; iter < 400; iter++) {
        einc_dtype dtype = dtypes[rnd(5)];
        int kind = (int)rnd(4); /* 0 gather, 1 set, 2 add, 3 subtract */
        if (dtype == EINC_BOOL && kind >= 2) kind = 1;
        geometry m;
        make_geometry(&m, dtype, kind > 0);
        /* the reference result, then the kernel's with 1, 2 and 3 workers */
        char *t0 = malloc(m.tbytes), *e0 = malloc(m.ebytes), *expect = malloc(kind ? m.tbytes : m.ebytes);
        memcpy(t0, m.t, m.tbytes);
        memcpy(e0, m.e, m.ebytes);
        if (kind == 0) einc__k_gather_ref(&m.g, 0, 1);
        else einc__k_scatter_ref((einc__scatter_op)(kind - 1), &m.g, 0, 1);
        memcpy(expect, kind ? m.t : m.e, kind ? m.tbytes : m.ebytes);
        for (int nth = 1; nth <= 3; nth++) {
            memcpy(m.t, t0, m.tbytes);
            memcpy(m.e, e0, m.ebytes);
            for (int ith = 0; ith < nth; ith++) {
                if (kind == 0) einc__k_gather(&m.g, ith, nth);
                else einc__k_scatter((einc__scatter_op)(kind - 1), &m.g, ith, nth);
            }
            if (memcmp(expect, kind ? m.t : m.e, kind ? m.tbytes : m.ebytes) != 0) {
                fprintf(stderr,
                        "kernel %d (dtype %s, nloop %d, naxes %d, %d coordinate tensors) differs from its "
                        "reference with %d workers\n",
                        kind, einc_dtype_name(dtype), m.g.nloop, m.g.naxes, m.g.ncoords, nth);
                test_failed_checks_++;
                break;
            }
        }
        free(t0);
        free(e0);
        free(expect);
        free_geometry(&m);
    }
}

/* ---- gradients -------------------------------------------------------------------------------- */

typedef struct {
    einc_op op;
    const char *expr;
    const char *constraints;
    int ndim[2];
    int64_t shape[2][4]; /* value, updates (*_at) */
    int cndim;
    int64_t cshape[4]; /* one coordinate tensor, int64 */
    int64_t cvalues[16];
} grad_case;

typedef struct {
    const grad_case *c;
    einc_tensor *coords;
} grad_call;

static einc_tensor *apply_grad_case(einc_ctx *ctx, einc_tensor *const *inputs, void *user) {
    const grad_call *g = user;
    einc_axis axes[8];
    char names[128];
    int naxes = 0;
    if (einc_axes_parse(ctx, g->c->constraints, axes, 8, &naxes, names, sizeof names) != EINC_OK) return NULL;
    einc_tensor *in[3] = {inputs[0], g->coords, g->c->op == EINC_OP_GET_AT ? NULL : inputs[1]};
    einc_tensor *out = NULL;
    einc_apply(ctx, g->c->op, g->c->expr, g->c->op == EINC_OP_GET_AT ? 2 : 3, in, 1, &out, (einc_axes){naxes, axes},
               NULL);
    return out;
}

static const grad_case grad_cases[] = {
    {EINC_OP_GET_AT, "[h] c, p -> p c", "", {2}, {{4, 3}}, 1, {5}, {1, 3, 1, -1, 0}},
    {EINC_OP_GET_AT, "b [h w], b p [2] -> b p", "", {3}, {{2, 3, 2}}, 3, {2, 2, 2}, {0, 1, 0, 1, 2, 0, 2, 0}},
    {EINC_OP_GET_AT, "[h], p -> p q", "q=2", {1}, {{4}}, 1, {3}, {2, 2, 0}},
    {EINC_OP_SET_AT, "[h] c, p, p c", "", {2, 2}, {{4, 2}, {5, 2}}, 1, {5}, {1, 3, 1, -3, 0}},
    {EINC_OP_SET_AT, "[h] c, p, c", "", {2, 1}, {{4, 2}, {2}}, 1, {3}, {2, 0, 2}},
    {EINC_OP_SET_AT, "b p [i,,->i]", "", {3, 2}, {{2, 2, 3}, {2, 2}}, 2, {2, 2}, {0, 2, 1, -1}},
    {EINC_OP_ADD_AT, "[h] c, p, p c -> c [h]", "", {2, 2}, {{4, 2}, {5, 2}}, 1, {5}, {1, 3, 1, -3, 0}},
    {EINC_OP_ADD_AT, "[h], p, q p -> q [h]", "", {1, 2}, {{3}, {2, 4}}, 1, {4}, {0, 2, 2, 1}},
    {EINC_OP_SUBTRACT_AT, "b [h w], b p [2], p", "", {3, 1}, {{2, 3, 2}, {2}}, 3, {2, 2, 2}, {0, 1, 0, 1, 2, 0, 2, 0}},
};

TEST(gradients_against_finite_differences) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 11});
    for (size_t k = 0; k < sizeof grad_cases / sizeof grad_cases[0]; k++) {
        const grad_case *c = &grad_cases[k];
        einc_scope_begin(ctx);
        int n = c->op == EINC_OP_GET_AT ? 1 : 2;
        einc_tensor *in[2];
        for (int i = 0; i < n; i++) {
            in[i] = einc_tensor_randn(ctx, EINC_FLOAT64, c->ndim[i], c->shape[i]);
            einc_requires_grad(in[i], true);
        }
        grad_call call = {c, ints(ctx, EINC_INT64, c->cndim, c->cshape, c->cvalues)};
        if (einc_gradcheck(ctx, apply_grad_case, &call, n, in, 1e-6, 1e-6, 1e-5) != EINC_OK) {
            fprintf(stderr, "gradient of %s \"%s\": %s\n", einc_op_name(c->op), c->expr, einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
        }
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(gradient_values) {
    /* set_at: the value tensor gets nothing where it was overwritten; only the winning update
     * (the last of the duplicates) gets the output's gradient */
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(4));
    einc_tensor *u = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(3));
    einc_requires_grad(x, true);
    einc_requires_grad(u, true);
    einc_tensor *idx = ints(ctx, EINC_INT64, EINC_SHAPE(3), (int64_t[]){2, 0, 2});
    einc_tensor *w = einc_tensor_arange(ctx, EINC_FLOAT64, 1, 5, 1); /* loss = sum(y * (1 2 3 4)) */
    einc_tensor *loss = einc_sum(ctx, "[h]", einc_multiply(ctx, "h, h", einc_set_at(ctx, "[h], p, p", x, idx, u), w));
    CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
    double gx[4], gu[3];
    einc_tensor_to_buffer(einc_grad(ctx, x), gx, sizeof gx);
    einc_tensor_to_buffer(einc_grad(ctx, u), gu, sizeof gu);
    CHECK(gx[0] == 0 && gx[1] == 2 && gx[2] == 0 && gx[3] == 4);
    CHECK(gu[0] == 0 && gu[1] == 1 && gu[2] == 3);
    /* get_at: duplicates accumulate into the value's gradient; passthrough: all to x */
    einc_zero_grad(x);
    loss = einc_sum(ctx, "[p]", einc_get_at(ctx, "[h], p -> p", x, idx));
    CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
    einc_tensor_to_buffer(einc_grad(ctx, x), gx, sizeof gx);
    CHECK(gx[0] == 1 && gx[1] == 0 && gx[2] == 2 && gx[3] == 0);
    einc_zero_grad(x);
    einc_zero_grad(u);
    einc_tensor *none = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(0));
    loss = einc_sum(ctx, "[h]", einc_add_at(ctx, "[h], p, ", x, none, einc_tensor_sum(ctx, u, EINC_ALL, false)));
    CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
    einc_tensor_to_buffer(einc_grad(ctx, x), gx, sizeof gx);
    CHECK(gx[0] == 1 && gx[3] == 1);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- allocation failures -------------------------------------------------------------------------- */

TEST(every_allocation_failure_is_reported_and_leaks_nothing) {
    bool completed = false;
    for (long budget = 0; budget < 2000 && !completed; budget++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(4, 3));
        einc_tensor *idx = einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(5));
        einc_tensor *u = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(5, 3));
        einc_tensor *none = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(0));
        if (x) einc_requires_grad(x, true);
        einc_tensor *g = einc_get_at(ctx, "[h] c, p -> p c", x, idx);
        einc_tensor *s = einc_set_at(ctx, "[h] c, p, p c", x, idx, u);
        einc_tensor *a = einc_add_at(ctx, "[h] c, p, p c -> c [h]", x, idx, u);
        einc_tensor *e = einc_subtract_at(ctx, "[h] c, p, p c", x, none, u);
        einc_tensor *loss = einc_sum(ctx, "[p c]", g);
        einc_tensor *loss2 = einc_sum(ctx, "[h c]", s);
        einc_status b1 = loss ? einc_backward(ctx, loss, NULL) : EINC_ENOMEM;
        einc_status b2 = loss2 ? einc_backward(ctx, loss2, NULL) : EINC_ENOMEM;
        if (a && e && b1 == EINC_OK && b2 == EINC_OK) {
            completed = true;
            CHECK_OK(ctx);
        } else {
            CHECK_EQ_INT(einc_errcode(ctx), EINC_ENOMEM);
        }
        einc_ctx_destroy(ctx);
        CHECK_EQ_INT(st.live, 0);
        CHECK_EQ_INT(st.live_blocks, 0);
    }
    CHECK(completed);
}

/* ---- setup ---------------------------------------------------------------------------------------- */

int main(void) {
    if (!test_tool_setup("indexing")) return 1;
    test_read_table("notation_indexing/cases.txt", '|', 6, add_case, NULL);
    RUN(golden_cases);
    RUN(golden_cases_through_the_tool);
    RUN(tool_reports_out_of_range_coordinates);
    RUN(strided_inputs_match_contiguous_ones);
    RUN(add_at_accumulates_and_set_at_keeps_the_last);
    RUN(empty_coordinates_or_updates_return_a_copy);
    RUN(results_do_not_depend_on_threads);
    RUN(errors);
    RUN(explain_shows_the_steps);
    RUN(kernels_match_their_reference_twins);
    RUN(gradients_against_finite_differences);
    RUN(gradient_values);
    RUN(every_allocation_failure_is_reported_and_leaks_nothing);
    test_tool_teardown();
    return test_summary();
}
