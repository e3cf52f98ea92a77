/* argmax, argmin, sort, argsort, flip and roll:
 *   - every case of tests/golden/notation_sorting/cases.txt (expected results from NumPy, written by
 *     tests/golden/gen_notation_sorting.py): fresh plans, cached plans, non-contiguous inputs and
 *     negative-stride inputs, compared in dtype and value (sort/argsort exactly);
 *   - broadcast (stride 0) inputs against their contiguous copies;
 *   - the errors of spec §4.3 items 19 and 25 and the other rules of these operations;
 *   - flip's view (shares the input's memory) and copy paths, explain text, the convenience forms;
 *   - the sort kernel against its counting oracle on random rows (duplicates, NaN, every dtype,
 *     any strides, split over workers), results independent of the thread count;
 *   - gradients of flip, roll and sort against finite differences;
 *   - a fail-the-Nth-allocation sweep that must report EINC_ENOMEM and leak nothing. */
#include "kernels/sort.h"
#include "test_cases.h"
#include "test.h"

#define MAX_CASES 256

typedef struct {
    char name[1024], op[1024], expr[1024], constraints[1024], shift[1024], input[1024], output[1024];
} test_case;

static test_case cases[MAX_CASES];
static int ncases;

static void add_case(char **fields, void *user) {
    (void)user;
    if (ncases >= MAX_CASES) return;
    test_case *c = &cases[ncases++];
    snprintf(c->name, sizeof c->name, "%s", fields[0]);
    snprintf(c->op, sizeof c->op, "%s", fields[1]);
    snprintf(c->expr, sizeof c->expr, "%s", fields[2]);
    snprintf(c->constraints, sizeof c->constraints, "%s", fields[3]);
    snprintf(c->shift, sizeof c->shift, "%s", fields[4]);
    snprintf(c->input, sizeof c->input, "%s", fields[5]);
    snprintf(c->output, sizeof c->output, "%s", fields[6]);
}

static einc_tensor *load(einc_ctx *ctx, const char *file) {
    char name[256];
    snprintf(name, sizeof name, "notation_sorting/%.*s", (int)(strlen(file) - 4), file);
    return test_golden(ctx, name);
}

/* "1,-2" -> options.nshift = 2, shift = {1, -2} */
static void parse_shift(const char *text, einc_op_options *o) {
    memset(o, 0, sizeof *o);
    for (const char *p = text; *p && o->nshift < EINC_MAX_DIMS;) {
        o->shift[o->nshift++] = strtoll(p, NULL, 10);
        p += strcspn(p, ",");
        if (*p == ',') p++;
    }
}

/* The same values seen through negative strides on every dim. */
static einc_tensor *negative_strides(einc_ctx *ctx, einc_tensor *t) {
    return einc_tensor_flip(ctx, einc_tensor_contiguous(ctx, einc_tensor_flip(ctx, t, EINC_ALL)), EINC_ALL);
}

static void run_case(einc_ctx *ctx, const test_case *c, int variant) {
    einc_scope_begin(ctx);
    einc_tensor *x = load(ctx, c->input), *expected = load(ctx, c->output), *got = NULL;
    if (variant == 2) x = test_noncontiguous(ctx, x);
    if (variant == 3) x = negative_strides(ctx, x);
    einc_axis axes[16];
    char names[512];
    int naxes = 0;
    if (einc_axes_parse(ctx, c->constraints, axes, 16, &naxes, names, sizeof names) != EINC_OK) {
        fprintf(stderr, "%s: bad constraints: %s\n", c->name, einc_errmsg(ctx));
        test_failed_checks_++;
    }
    einc_op_options options;
    parse_shift(c->shift, &options);
    int op = einc_op_from_name(c->op);
    CHECK(op >= EINC_OP_ARGMAX);
    einc_status st = einc_apply(ctx, (einc_op)op, c->expr, 1, &x, 1, &got, (einc_axes){naxes, axes}, &options);
    if (st != EINC_OK) {
        fprintf(stderr, "case %s (%s \"%s\", variant %d): %s: %s\n", c->name, c->op, c->expr, variant,
                einc_status_name(st), einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    } else if (!CHECK_TENSOR_CLOSE(got, expected, 0, 0)) { /* every result here is exact */
        fprintf(stderr, "  in case %s (%s \"%s\"), variant %d\n", c->name, c->op, c->expr, variant);
    }
    einc_scope_end(ctx);
}

TEST(golden_cases) {
    einc_ctx *ctx = einc_ctx_create();
    CHECK(ncases >= 60);
    for (int v = 0; v < 4; v++) /* fresh plans, cached plans, non-contiguous and negative-stride inputs */
        for (int i = 0; i < ncases; i++) run_case(ctx, &cases[i], v);
    einc_ctx_destroy(ctx);
}

/* Every op on a broadcast input equals the op on its contiguous copy. */
TEST(broadcast_inputs) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *v = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(5));
    einc_tensor *rows = einc_tensor_expand(ctx, v, EINC_SHAPE(3, 5)); /* strides (0, 1) */
    einc_tensor *cols = einc_tensor_expand(ctx, einc_tensor_view(ctx, v, EINC_SHAPE(5, 1)), EINC_SHAPE(5, 4));
    /* cols: strides (1, 0) */
    einc_tensor *bs[2] = {rows, cols};
    const char *exprs[] = {"a [b]", "[a] b"};
    einc_op ops[] = {EINC_OP_ARGMAX, EINC_OP_ARGMIN, EINC_OP_SORT, EINC_OP_ARGSORT, EINC_OP_FLIP, EINC_OP_ROLL};
    einc_op_options shift = {.nshift = 1, .shift = {2}};
    for (int b = 0; b < 2; b++)
        for (int e = 0; e < 2; e++)
            for (int k = 0; k < 6; k++) {
                einc_tensor *copy = einc_tensor_contiguous(ctx, bs[b]), *y1 = NULL, *y2 = NULL;
                einc_apply(ctx, ops[k], exprs[e], 1, &bs[b], 1, &y1, EINC_NO_AXES, &shift);
                einc_apply(ctx, ops[k], exprs[e], 1, &copy, 1, &y2, EINC_NO_AXES, &shift);
                if (!CHECK_TENSOR_CLOSE(y1, y2, 0, 0))
                    fprintf(stderr, "  %s \"%s\" on broadcast input %d\n", einc_op_name(ops[k]), exprs[e], b);
            }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- errors ------------------------------------------------------------------------------------------ */

static einc_tensor *apply1(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *x, einc_axes axes,
                           const einc_op_options *o) {
    einc_tensor *out = NULL;
    einc_apply(ctx, op, expr, 1, &x, 1, &out, axes, o);
    return out;
}

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(10, 5));
    einc_tensor *x3 = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    einc_tensor *x4 = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4, 5));
    einc_op_options one = {.nshift = 1, .shift = {1}};

    /* spec §4.3 item 19 */
    CHECK(einc_sort(ctx, "a [b c]", x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The expression for this operation must contain exactly one axis in brackets.\n"
                "Expression: \"a [b c]\"\n"
                "                ^ ^ \n"
                "The operation was called with the following arguments:\n"
                "  - Positional argument #1: Tensor with shape (2, 3, 4)");
    CHECK(einc_argmax(ctx, "a [b c] -> a [3]", x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The value of the marked axis in the output expression (3) must match the number of marked axes in "
                "the input expression (2).\nExpression: \"a [b c] -> a [3]\"");
    CHECK(einc_argsort(ctx, "a b c", x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "must contain exactly one axis in brackets.");
    CHECK(einc_argsort(ctx, "b [s...]", x3) == NULL); /* s... is two axes here */
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "must contain exactly one axis in brackets.");
    CHECK(einc_flip(ctx, "a [b c] -> a [c b]", x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "All axes marked with brackets must appear in the same order in the inputs and outputs of this "
                "operation.\nExpression: \"a [b c] -> a [c b]\"\n                ^ ^        ^ ^ ");

    /* spec §4.3 item 25 */
    CHECK(apply1(ctx, EINC_OP_ROLL, "a [b]", x, EINC_NO_AXES, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "roll requires shift");
    einc_op_options none = {0};
    CHECK(apply1(ctx, EINC_OP_ROLL, "a [b]", x, EINC_NO_AXES, &none) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "roll requires shift");
    CHECK(einc_roll(ctx, "shift [b]", x, EINC_SHIFT(1)) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The following axis names may not be used in the expression, since they are keyword arguments of "
                "the elementary operation: shift\nExpression: \"shift [b]\"\n             ^^^^^    ");
    CHECK(apply1(ctx, EINC_OP_ROLL, "shift [b]", x, EINC_NO_AXES, NULL) == NULL); /* the name first, as in einx */
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "keyword arguments of the elementary operation: shift");
    CHECK(einc_flip(ctx, "shift [b]", x) != NULL); /* only roll has the keyword */
    CHECK_OK(ctx);
    CHECK(einc_roll(ctx, "a [b c]", x3, EINC_SHIFT(1, 2, 3)) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "roll: 3 shifts were given, but the expression has 2 bracketed axes");
    einc_op_options too_many = {.nshift = EINC_MAX_DIMS + 1};
    CHECK(apply1(ctx, EINC_OP_ROLL, "a [b]", x, EINC_NO_AXES, &too_many) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "roll: 17 shifts were given");
    einc_shift no_shift = {0, {0}};
    CHECK(einc_roll(ctx, "a [b]", x, no_shift) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "0 shifts");

    /* argmax/argmin rules (spec §2.7 rule 4, §3.6) */
    CHECK(einc_argmax(ctx, "[a] [b]", x) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The output expression is missing in this operation. The output expression can only be determined "
                "implicitly, if the input expression contains exactly one usage of brackets ([]).\n"
                "Expression: \"[a] [b]\"\n             ^ ^ ^ ^");
    CHECK(einc_argmin(ctx, "a b", x) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "exactly one usage of brackets ([]).");
    CHECK(einc_argmax(ctx, "b [s]... c", x4) == NULL); /* einx keeps the ellipsis: two output axes */
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The output expression must contain at most one axis in brackets.");
    CHECK(einc_argmax(ctx, "a [b c] -> [i j]", x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The output expression must contain at most one axis in brackets.");
    CHECK(einc_argmax(ctx, "a [b c] -> a", x3) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "If no axis is marked with brackets in the output expression, exactly one axis must be marked in the "
                "input expression, but found 2 marked axes.");
    CHECK(einc_argmax(ctx, "a [b c] -> a [n]", x3, EINC_AXES({"n", 3})) == NULL); /* n is 2 */
    CHECK_ERROR(ctx, EINC_EAXISSIZE, "Failed to determine the size of all axes");
    CHECK(einc_argmax(ctx, "a [b c] -> a [n]", x3, EINC_AXES({"n", 2})) != NULL);
    CHECK_OK(ctx);
    CHECK(einc_argmax(ctx, "a [b] c -> a", x3) == NULL); /* vectorized c missing from the output */
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The input axes {'c'} must appear in the output expression.");

    /* one input, one output, brackets as "[x] -> [x]" needs */
    einc_tensor *two[2] = {x, x}, *outs[2] = {NULL, NULL};
    CHECK(einc_apply(ctx, EINC_OP_SORT, "a [b], a [b]", 2, two, 1, outs, EINC_NO_AXES, NULL) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The operation expects 1 input expression(s), but found 2.");
    CHECK(einc_apply(ctx, EINC_OP_FLIP, "a [b] -> a [b], a [b]", 1, &x, 2, outs, EINC_NO_AXES, NULL) == EINC_ESEMANTIC);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The operation expects 1 output expression(s), but found 2.");
    CHECK(einc_flip(ctx, "a [b] -> a", x) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC,
                "The 1st output expression of this operation requires brackets, but no brackets were found.");
    CHECK(einc_flip(ctx, "a b -> a b [c]", x, EINC_AXES({"c", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "Brackets ([]) are not allowed in the 1st output expression of this operation.");
    CHECK(einc_sort(ctx, "a [b] -> a b", x) == NULL); /* the parser's rule */
    CHECK_ERROR(ctx, EINC_ESYNTAX, "inconsistent bracket usage");
    CHECK(einc_flip(ctx, "a [(b + c)]", x, EINC_AXES({"b", 2})) == NULL);
    CHECK_ERROR(ctx, EINC_ESEMANTIC, "The concatenation operator (+) is not allowed in this function.");
    CHECK(apply1(ctx, EINC_OP_ROLL, "a [b]", NULL, EINC_NO_AXES, &one) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "is NULL");
    CHECK(einc_argmax(ctx, "a [b]", NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input tensor #1 is NULL");
    CHECK(einc_roll(ctx, "a [b]", NULL, EINC_SHIFT(1)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "input tensor #1 is NULL");
    einc_ctx_destroy(ctx);
}

/* ---- flip's view, explain, convenience forms ------------------------------------------------------- */

TEST(flip_is_a_view_when_strides_allow) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1), EINC_SHAPE(2, 3, 4));
    einc_tensor *v = einc_flip(ctx, "a [b] c -> c [b] a", x); /* permute + reverse: still a view */
    CHECK(einc_tensor_strides(v)[1] == -4);
    einc_tensor *c = einc_flip(ctx, "a [b] c -> (a [b]) c", x); /* a and reversed b do not merge */
    CHECK(c && einc_tensor_is_contiguous(c));
    CHECK_CLOSE(einc_tensor_get(v, (int64_t[]){3, 0, 1}), 12 + 8 + 3, 0);
    CHECK_CLOSE(einc_tensor_get(c, (int64_t[]){3, 3}), 12 + 8 + 3, 0);
    /* the view shares the input's memory, the copy does not */
    einc_tensor_set(x, (int64_t[]){1, 2, 3}, -1.0);
    CHECK_CLOSE(einc_tensor_get(v, (int64_t[]){3, 0, 1}), -1.0, 0);
    CHECK_CLOSE(einc_tensor_get(c, (int64_t[]){3, 3}), 23.0, 0);
    /* a flip of a flip is the identity view */
    einc_tensor *back = einc_flip(ctx, "c [b] a -> a [b] c", v);
    CHECK_TENSOR_CLOSE(back, x, 0, 0);
    CHECK(einc_tensor_strides(back)[1] == 4);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(explain_and_convenience_forms) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    char buf[4096];
    CHECK(einc_explain(ctx, EINC_OP_ARGMAX, "b [h w]", 1, &x, EINC_NO_AXES, NULL, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "einx.argmax: b [h w] -> b [output.axis]") && strstr(buf, "output.axis=2") &&
          strstr(buf, "UNRAVEL") && strstr(buf, "output #1: (2, 2) int64"));
    CHECK(einc_explain(ctx, EINC_OP_ARGSORT, "a [b] c -> c a [b]", 1, &x, EINC_NO_AXES, NULL, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "SORT input #1 [c=4, a=2, b=3] along b") && strstr(buf, "stable") && strstr(buf, "int64"));
    CHECK(einc_explain(ctx, EINC_OP_FLIP, "a [b] c", 1, &x, EINC_NO_AXES, NULL, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "VIEW of input #1 with [b] reversed"));
    einc_op_options o = {.nshift = 2, .shift = {-1, 9}};
    CHECK(einc_explain(ctx, EINC_OP_ROLL, "a [b c]", 1, &x, EINC_NO_AXES, &o, buf, sizeof buf) > 0);
    CHECK(strstr(buf, "rolled by b=2, c=1 (4 strided block copies)"));
    CHECK_OK(ctx);

    /* the convenience forms are einc_apply */
    einc_op_options s = {.nshift = 2, .shift = {1, -2}};
    einc_tensor *a = einc_roll(ctx, "a [b c]", x, EINC_SHIFT(1, -2)),
                *b = apply1(ctx, EINC_OP_ROLL, "a [b c]", x, EINC_NO_AXES, &s);
    CHECK_TENSOR_CLOSE(a, b, 0, 0);
    CHECK_TENSOR_CLOSE((einc_roll)(ctx, "a [b c]", x, EINC_SHIFT(1, -2), EINC_NO_AXES), b, 0, 0);
    einc_op_options zero = {.nshift = 1, .shift = {0}}; /* a shift of the whole length is no shift */
    CHECK_TENSOR_CLOSE(einc_roll(ctx, "a [b] c", x, EINC_SHIFT(3), EINC_AXES({"b", 3})),
                       apply1(ctx, EINC_OP_ROLL, "a [b] c", x, EINC_NO_AXES, &zero), 0, 0);
    einc_op ops[] = {EINC_OP_ARGMAX, EINC_OP_ARGMIN, EINC_OP_SORT, EINC_OP_ARGSORT, EINC_OP_FLIP};
    einc_tensor *(*fns[])(einc_ctx *, const char *, einc_tensor *,
                          einc_axes) = {(einc_argmax), (einc_argmin), (einc_sort), (einc_argsort), (einc_flip)};
    for (int k = 0; k < 5; k++)
        CHECK_TENSOR_CLOSE(fns[k](ctx, "a [b] c", x, EINC_AXES({"a", 2})),
                           apply1(ctx, ops[k], "a [b] c", x, EINC_NO_AXES, NULL), 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- patterns that must agree -------------------------------------------------------------------------- */

TEST(equivalent_patterns) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 5});
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4, 5));
    /* the coordinate axis: implicit (a, 1, c), explicit "[1]", dropped */
    einc_tensor *implicit = einc_argmax(ctx, "a [b] c", x);
    CHECK_TENSOR_CLOSE(implicit, einc_argmax(ctx, "a [b] c -> a [1] c", x), 0, 0);
    CHECK_TENSOR_CLOSE(einc_id(ctx, "a 1 c -> a c", implicit), einc_argmax(ctx, "a [b] c -> a c", x), 0, 0);
    /* two bracketed axes = the flat index over (b c), unravelled */
    einc_tensor *flat = einc_argmax(ctx, "a [bc] -> a", einc_id(ctx, "a b c -> a (b c)", x));
    einc_tensor *coords = einc_argmax(ctx, "a [b c] -> a [2]", x);
    for (int64_t a = 0; a < 3; a++) {
        int64_t f = (int64_t)einc_tensor_get(flat, &a);
        CHECK_EQ_INT(einc_tensor_get(coords, (int64_t[]){a, 0}), f / 5);
        CHECK_EQ_INT(einc_tensor_get(coords, (int64_t[]){a, 1}), f % 5);
    }
    /* argmin = argmax of the negation (no ties in random data) */
    CHECK_TENSOR_CLOSE(einc_argmin(ctx, "a [b c]", x), einc_argmax(ctx, "a [b c]", einc_tensor_neg(ctx, x)), 0, 0);
    /* a permuted output = the result permuted */
    einc_tensor *sorted = einc_sort(ctx, "a [b] c", x);
    CHECK_TENSOR_CLOSE(einc_sort(ctx, "a [b] c -> c a [b]", x), einc_id(ctx, "a b c -> c a b", sorted), 0, 0);
    /* sort = the input gathered by argsort: sorted values are nondecreasing and a permutation */
    einc_tensor *s = einc_sort(ctx, "a b [c]", x), *i = einc_argsort(ctx, "a b [c]", x);
    for (int64_t a = 0; a < 3; a++)
        for (int64_t b = 0; b < 4; b++)
            for (int64_t c = 0; c < 5; c++) {
                int64_t from = (int64_t)einc_tensor_get(i, (int64_t[]){a, b, c});
                CHECK_CLOSE(einc_tensor_get(s, (int64_t[]){a, b, c}), einc_tensor_get(x, (int64_t[]){a, b, from}), 0);
                if (c) CHECK(einc_tensor_get(s, (int64_t[]){a, b, c - 1}) <= einc_tensor_get(s, (int64_t[]){a, b, c}));
            }
    /* flipping two axes = flipping one, then the other; flipping twice = the identity */
    CHECK_TENSOR_CLOSE(einc_flip(ctx, "a [b c]", x), einc_flip(ctx, "a b [c]", einc_flip(ctx, "a [b] c", x)), 0, 0);
    CHECK_TENSOR_CLOSE(einc_flip(ctx, "[a] b c", einc_flip(ctx, "[a] b c", x)), x, 0, 0);
    /* a tuple shift = one roll per axis; rolling back = the identity; shift + length = shift */
    CHECK_TENSOR_CLOSE(einc_roll(ctx, "a [b c]", x, EINC_SHIFT(1, -2)),
                       einc_roll(ctx, "a b [c]", einc_roll(ctx, "a [b] c", x, EINC_SHIFT(1)), EINC_SHIFT(-2)), 0, 0);
    CHECK_TENSOR_CLOSE(einc_roll(ctx, "a [b c]", einc_roll(ctx, "a [b c]", x, EINC_SHIFT(3)), EINC_SHIFT(-3)), x, 0, 0);
    CHECK_TENSOR_CLOSE(einc_roll(ctx, "a [b] c", x, EINC_SHIFT(-3)), einc_roll(ctx, "a [b] c", x, EINC_SHIFT(1)), 0, 0);
    /* flipping or rolling a length-1 axis changes nothing, nor do they without brackets */
    einc_tensor *x1 = einc_tensor_view(ctx, x, EINC_SHAPE(3, 4, 5, 1));
    CHECK_TENSOR_CLOSE(einc_flip(ctx, "a b c [d]", x1), x1, 0, 0);
    CHECK_TENSOR_CLOSE(einc_roll(ctx, "a b c [d]", x1, EINC_SHIFT(7)), x1, 0, 0);
    CHECK_TENSOR_CLOSE(einc_flip(ctx, "a b c", x), x, 0, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- the sort kernel against its oracle ------------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Fills a buffer of n elements with values from a small set (many duplicates), NaNs and signed
 * zeros for floats. */
static void fill_random(char *p, einc_dtype dt, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        int64_t r = (int64_t)(next_random() % 11) - 5;
        bool special = next_random() % 13 == 0;
        switch (dt) {
        case EINC_FLOAT32: ((float *)(void *)p)[i] = special ? (r > 0 ? NAN : -0.0f) : (float)r * 0.5f; break;
        case EINC_FLOAT64: ((double *)(void *)p)[i] = special ? (r > 0 ? NAN : -0.0) : (double)r * 0.25; break;
        case EINC_INT64: ((int64_t *)(void *)p)[i] = special ? INT64_MIN + r * r : r * 1000000000000ll; break;
        case EINC_INT32: ((int32_t *)(void *)p)[i] = special ? INT32_MAX - (int32_t)(r * r) : (int32_t)r; break;
        case EINC_BOOL: ((uint8_t *)p)[i] = r > 0; break;
        default: break; /* the dtypes of test_dtypes.c */
        }
    }
}

TEST(sort_kernel_matches_the_oracle) {
    static const einc_dtype dtypes[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT64, EINC_INT32, EINC_BOOL};
    static const int64_t lengths[] = {1, 2, 3, 31, 32, 33, 64, 65, 100, 257, 1000};
    int trials = 0;
    for (size_t di = 0; di < sizeof dtypes / sizeof dtypes[0]; di++)
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
            for (int layout = 0; layout < 4; layout++) {
                einc_dtype dt = dtypes[di];
                size_t es = einc_dtype_size(dt);
                int64_t n = lengths[li], rows = 3;
                /* x [rows, n]: layout 0 contiguous, 1 transposed (row stride 1), 2 negative along the
                 * row, 3 a broadcast row (stride 0 across rows) with a gap of 2 along it */
                char *xb = malloc(es * (size_t)(rows * n * 2 + 8));
                fill_random(xb, dt, rows * n * 2 + 8);
                einc__view x = {.data = xb, .dtype = dt, .ndim = 2, .shape = {rows, n}, .strides = {n, 1}};
                if (layout == 1) x.strides[0] = 1, x.strides[1] = rows;
                if (layout == 2) x.data = xb + (size_t)(n - 1) * es, x.strides[1] = -1;
                if (layout == 3) x.strides[0] = 0, x.strides[1] = 2;
                int axis = 1;
                char *v1 = calloc((size_t)(rows * n), es), *v2 = calloc((size_t)(rows * n), es);
                int64_t *i1 = calloc((size_t)(rows * n), 8), *i2 = calloc((size_t)(rows * n), 8);
                /* outputs [n, rows] transposed, so the sorted axis is not the contiguous one */
                einc__view vv1 = {.data = v1, .dtype = dt, .ndim = 2, .shape = {rows, n}, .strides = {1, rows}};
                einc__view vv2 = vv1, iv1 = vv1, iv2 = vv1;
                vv2.data = v2;
                iv1.data = (char *)i1, iv1.dtype = EINC_INT64;
                iv2.data = (char *)i2, iv2.dtype = EINC_INT64;
                int nth = 1 + (int)(next_random() % 3);
                char *scratch = malloc(einc__k_sort_scratch(n) * (size_t)nth);
                for (int ith = 0; ith < nth; ith++) einc__k_sort(&vv1, &iv1, &x, axis, scratch, ith, nth);
                einc__k_sort_ref(&vv2, &iv2, &x, axis, 0, 1);
                CHECK(memcmp(v1, v2, es * (size_t)(rows * n)) == 0); /* bit for bit: NaN, -0.0 kept */
                CHECK(memcmp(i1, i2, sizeof(int64_t) * (size_t)(rows * n)) == 0);
                /* values only and indices only give the same */
                memset(v1, 0, es * (size_t)(rows * n));
                memset(i1, 0, 8 * (size_t)(rows * n));
                einc__k_sort(&vv1, NULL, &x, axis, scratch, 0, 1);
                einc__k_sort(NULL, &iv1, &x, axis, scratch, 0, 1);
                CHECK(memcmp(v1, v2, es * (size_t)(rows * n)) == 0);
                CHECK(memcmp(i1, i2, sizeof(int64_t) * (size_t)(rows * n)) == 0);
                free(scratch);
                free(xb);
                free(v1);
                free(v2);
                free(i1);
                free(i2);
                trials++;
            }
    CHECK_EQ_INT(trials, 5 * 11 * 4);
}

TEST(results_do_not_depend_on_threads) {
    einc_ctx *one = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 3});
    einc_ctx *two = einc_ctx_create_with(&(einc_ctx_options){.threads = 2, .seed = 3});
    /* big enough to be split: 256 x 4096 elements */
    einc_tensor *x1 = einc_tensor_randn(one, EINC_FLOAT32, EINC_SHAPE(256, 4096));
    einc_tensor *x2 = einc_tensor_randn(two, EINC_FLOAT32, EINC_SHAPE(256, 4096));
    CHECK_TENSOR_CLOSE(x1, x2, 0, 0);
    const char *exprs[] = {"a [b]", "[a] b", "a [b]", "[a] b", "a [b]", "a [b] -> [b] a"};
    einc_op ops[] = {EINC_OP_SORT, EINC_OP_ARGSORT, EINC_OP_ARGMAX, EINC_OP_ARGMIN, EINC_OP_ROLL, EINC_OP_FLIP};
    einc_op_options shift = {.nshift = 1, .shift = {-7}};
    for (int i = 0; i < 6; i++) {
        einc_tensor *y1 = apply1(one, ops[i], exprs[i], x1, EINC_NO_AXES, &shift);
        einc_tensor *y2 = apply1(two, ops[i], exprs[i], x2, EINC_NO_AXES, &shift);
        CHECK_TENSOR_CLOSE(y1, y2, 0, 0);
    }
    CHECK_OK(one);
    CHECK_OK(two);
    einc_ctx_destroy(one);
    einc_ctx_destroy(two);
}

/* ---- gradients ---------------------------------------------------------------------------------------- */

typedef struct {
    einc_op op;
    const char *expr;
    const char *constraints;
    int nshift;
    int64_t shift[3];
    int ndim;
    int64_t shape[4];
} grad_case;

static einc_tensor *apply_grad_case(einc_ctx *ctx, einc_tensor *const *inputs, void *user) {
    const grad_case *c = user;
    einc_axis axes[8];
    char names[128];
    int naxes = 0;
    if (einc_axes_parse(ctx, c->constraints, axes, 8, &naxes, names, sizeof names) != EINC_OK) return NULL;
    einc_op_options o = {.nshift = c->nshift};
    memcpy(o.shift, c->shift, sizeof c->shift);
    return apply1(ctx, c->op, c->expr, inputs[0], (einc_axes){naxes, axes}, &o);
}

TEST(gradients_against_finite_differences) {
    static const grad_case gcases[] = {
        {EINC_OP_FLIP, "a [b] c", "", 0, {0}, 3, {2, 3, 4}},
        {EINC_OP_FLIP, "a [b] c -> c (a [b])", "", 0, {0}, 3, {2, 3, 2}},
        {EINC_OP_FLIP, "a [b] -> a k [b]", "k=2", 0, {0}, 2, {3, 4}},
        {EINC_OP_FLIP, "a a [b] -> a [b]", "", 0, {0}, 3, {3, 3, 2}},
        {EINC_OP_ROLL, "a [b] c", "", 1, {1}, 3, {2, 3, 4}},
        {EINC_OP_ROLL, "a [b c] -> [b c] a", "", 2, {-1, 5}, 3, {2, 3, 4}},
        {EINC_OP_ROLL, "[a] b -> b k [a]", "k=2", 1, {2}, 2, {4, 3}},
        {EINC_OP_SORT, "a [b]", "", 0, {0}, 2, {3, 5}},
        {EINC_OP_SORT, "a [b] c -> c a [b]", "", 0, {0}, 3, {2, 4, 3}},
        {EINC_OP_SORT, "[a] b -> b k [a]", "k=3", 0, {0}, 2, {6, 2}},
    };
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = 11});
    for (size_t k = 0; k < sizeof gcases / sizeof gcases[0]; k++) {
        const grad_case *c = &gcases[k];
        einc_scope_begin(ctx);
        einc_tensor *in = einc_tensor_randn(ctx, EINC_FLOAT64, c->ndim, c->shape);
        einc_requires_grad(in, true);
        if (einc_gradcheck(ctx, apply_grad_case, (void *)c, 1, &in, 1e-6, 1e-6, 1e-5) != EINC_OK) {
            fprintf(stderr, "gradient of %s \"%s\": %s\n", einc_op_name(c->op), c->expr, einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
        }
        einc_scope_end(ctx);
    }
    /* argmax, argmin and argsort give int64: no graph, the input's gradient stays untouched */
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(3, 4));
    einc_requires_grad(x, true);
    CHECK(!einc_tensor_requires_grad(einc_argmax(ctx, "a [b]", x)));
    CHECK(!einc_tensor_requires_grad(einc_argsort(ctx, "a [b]", x)));
    CHECK(einc_tensor_requires_grad(einc_sort(ctx, "a [b]", x)));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- allocation failures ---------------------------------------------------------------------------- */

static einc_status every_op(einc_ctx *ctx) {
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4, 5));
    einc_requires_grad(x, true);
    einc_tensor *f = einc_flip(ctx, "a [b] c -> (a [b]) c", x, EINC_AXES({"a", 3})); /* (12, 5), a copy */
    einc_tensor *r = einc_roll(ctx, "a [b]", einc_flip(ctx, "a [b]", f), EINC_SHIFT(-1));
    einc_tensor *s = einc_sort(ctx, "a [b]", r);
    einc_tensor *loss = einc_sum(ctx, "[a b]", s);
    einc_backward(ctx, loss, NULL);
    einc_argmax(ctx, "a [b c]", x);
    einc_argmin(ctx, "a [b] c", x);
    einc_argsort(ctx, "a [b] c", x);
    einc_flip(ctx, "a [b] c", x);
    return einc_errcode(ctx);
}

TEST(allocation_failures_leak_nothing) {
    test_alloc_state st;
    einc_ctx *ctx = test_ctx_with_budget(&st, -1);
    CHECK(every_op(ctx) == EINC_OK);
    CHECK_OK(ctx);
    long needed = st.count;
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live_blocks, 0);
    int failures = 0;
    for (long budget = 0; budget < needed; budget++) {
        ctx = test_ctx_with_budget(&st, budget);
        if (!ctx) continue;
        einc_status s = every_op(ctx);
        if (s != EINC_OK) {
            failures++;
            CHECK(s == EINC_ENOMEM);
        }
        einc_ctx_destroy(ctx);
        if (st.live_blocks != 0 || st.live != 0) {
            fprintf(stderr, "budget %ld: %ld blocks (%lld bytes) leaked\n", budget, st.live_blocks, st.live);
            test_failed_checks_++;
        }
    }
    CHECK(failures > 0);
}

int main(void) {
    test_read_table("notation_sorting/cases.txt", '|', 7, add_case, NULL);
    RUN(golden_cases);
    RUN(broadcast_inputs);
    RUN(errors);
    RUN(flip_is_a_view_when_strides_allow);
    RUN(explain_and_convenience_forms);
    RUN(equivalent_patterns);
    RUN(sort_kernel_matches_the_oracle);
    RUN(results_do_not_depend_on_threads);
    RUN(gradients_against_finite_differences);
    RUN(allocation_failures_leak_nothing);
    return test_summary();
}
