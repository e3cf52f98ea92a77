/* argmax, argmin, sort, argsort, flip and roll through the command-line tool (build/einc), run as a
 * separate process: every case of tests/golden/notation_sorting/cases.txt (NumPy results written by
 * tests/golden/gen_notation_sorting.py; roll's shift given as shift=1 / shift=1,-2), each output
 * file compared with the expected .npy in dtype, shape and value; then the failures: a missing or
 * malformed shift, the reserved axis name, and sort's one-bracketed-axis rule (exit status 1,
 * stderr starting with the error class, no output file). Files go to a fresh directory under
 * EINC_TEST_TMP, removed at the end. */
#include "test_tool.h"

#define MAX_ARGS 32

static char out_npy[1200];

static void golden_path(char *buf, size_t size, const char *file) {
    snprintf(buf, size, "%s/notation_sorting/%s", EINC_TEST_DATA, file);
}

typedef struct {
    einc_ctx *ctx;
    int ran;
} golden_run;

static void run_golden_case(char **fld, void *user) {
    golden_run *g = user;
    char in[1100], expected_path[1100], shift[1100], cons[8][128];
    golden_path(in, sizeof in, fld[5]);
    golden_path(expected_path, sizeof expected_path, fld[6]);
    const char *args[MAX_ARGS];
    int n = 0;
    args[n++] = fld[1];
    args[n++] = fld[2];
    args[n++] = in;
    args[n++] = "-o";
    args[n++] = out_npy;
    /* constraints "a=1, b=2" -> "a=1" "b=2" */
    int nc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(fld[3], ", ", &save); tok && nc < 8; tok = strtok_r(NULL, ", ", &save)) {
        snprintf(cons[nc], sizeof cons[nc], "%s", tok);
        args[n++] = cons[nc++];
    }
    if (fld[4][0]) {
        snprintf(shift, sizeof shift, "shift=%s", fld[4]);
        args[n++] = shift;
    }
    unlink(out_npy);
    if (run_tool(n, args) != 0) {
        fprintf(stderr, "einc %s '%s' (case %s) failed with %d: %s\n", fld[1], fld[2], fld[0], run_status, run_err);
        test_failed_checks_++;
        return;
    }
    einc_scope_begin(g->ctx);
    einc_tensor *got = einc_npy_load(g->ctx, out_npy), *expected = einc_npy_load(g->ctx, expected_path);
    if (!CHECK_TENSOR_CLOSE(got, expected, 0, 0)) fprintf(stderr, "  in case %s\n", fld[0]);
    einc_scope_end(g->ctx);
    einc_clear_error(g->ctx);
    g->ran++;
}

TEST(golden_cases_through_the_tool) {
    golden_run g = {einc_ctx_create(), 0};
    test_read_table("notation_sorting/cases.txt", '|', 7, run_golden_case, &g);
    CHECK(g.ran >= 60);
    unlink(out_npy);
    einc_ctx_destroy(g.ctx);
}

/* The tool must fail with status 1, stderr starting with `prefix` and containing `needle`, and
 * leave no output file. */
static void check_failure(const char *const *args, const char *prefix, const char *needle) {
    unlink(out_npy);
    run_argv(args);
    if (run_status != 1 || strncmp(run_err, prefix, strlen(prefix)) != 0 || !strstr(run_err, needle) ||
        file_exists(out_npy)) {
        fprintf(stderr, "einc %s '%s': expected status 1 and \"%s...%s\", got %d: %s\n", args[0], args[1], prefix,
                needle, run_status, run_err);
        test_failed_checks_++;
    }
}

TEST(failures) {
    char x[1100];
    golden_path(x, sizeof x, "roll_tuple.in0.npy"); /* (2, 3, 4) */
    const char *no_shift[] = {"roll", "a [b c]", x, "-o", out_npy, NULL};
    check_failure(no_shift, "ValueError: ", "roll requires shift");
    const char *bad_shift[] = {"roll", "a [b c]", x, "-o", out_npy, "shift=1,x", NULL};
    check_failure(bad_shift, "ValueError: ", "shift must be an integer");
    const char *count[] = {"roll", "a [b c]", x, "-o", out_npy, "shift=1,2,3", NULL};
    check_failure(count, "ValueError: ", "3 shifts were given, but the expression has 2 bracketed axes");
    const char *reserved[] = {"roll", "shift [b c]", x, "-o", out_npy, "shift=1", NULL};
    check_failure(reserved, "SemanticError: ", "keyword arguments of the elementary operation: shift");
    const char *sort2[] = {"sort", "a [b c]", x, "-o", out_npy, NULL};
    check_failure(sort2, "SemanticError: ",
                  "The expression for this operation must contain exactly one axis in brackets.\n"
                  "Expression: \"a [b c]\"\n                ^ ^ ");
    const char *argfind3[] = {"argmax", "a [b c] -> a [3]", x, "-o", out_npy, NULL};
    check_failure(argfind3, "SemanticError: ", "must match the number of marked axes in the input expression (2).");
    /* shift= is roll's alone: elsewhere it is a constraint like any other (unused here: ignored) */
    const char *flip[] = {"flip", "a [b c]", x, "-o", out_npy, "shift=1", NULL};
    CHECK(run_argv(flip) == 0);
    /* the tuple form with parentheses, as Python writes it */
    const char *paren[] = {"roll", "a [b c]", x, "-o", out_npy, "shift=(1, -2)", NULL};
    CHECK(run_argv(paren) == 0);
    einc_ctx *ctx = einc_ctx_create();
    char expected[1100];
    golden_path(expected, sizeof expected, "roll_tuple.out0.npy");
    CHECK_TENSOR_CLOSE(einc_npy_load(ctx, out_npy), einc_npy_load(ctx, expected), 0, 0);
    einc_ctx_destroy(ctx);
    unlink(out_npy);
}

int main(void) {
    if (!test_tool_setup("cli_sorting")) return 1;
    out_path(out_npy, sizeof out_npy, "out.npy");
    RUN(golden_cases_through_the_tool);
    RUN(failures);
    test_tool_teardown();
    return test_summary();
}
