/* The tool's solver and einx 0.3 commands (build/einc solve, solve_axes, solve_shapes, matches,
 * check, reduce, elementwise, vmap_with_axis, arange) run as separate processes:
 *   - printed axis lengths and shapes, matches' 0-d bool file, check's exit status;
 *   - every case of tests/golden/notation_solvers/compat.txt that the commands express (expected
 *     results from NumPy, tests/golden/gen_notation_solvers.py), output files compared in dtype,
 *     shape and values;
 *   - errors: exit status 1, the class first on stderr, no output file;
 *   - `einc --help` lists the commands and each `einc CMD --help` shows an example that runs.
 * Everything is written under a fresh directory in EINC_TEST_TMP and removed at the end. */
#include "test_tool.h"

static void golden_path(char *buf, size_t size, const char *name) {
    join3(buf, size, EINC_TEST_DATA, "/notation_solvers/", name);
}

/* ---- solvers ---------------------------------------------------------------------------------- */

TEST(solve_prints_every_axis) {
    run("solve", "b (s [ds])... c", "2,4,6,3", "ds=2", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "b=2\ns=(2, 3)\nds=(2, 2)\nc=3\n") == 0 && run_err[0] == '\0');
    run("solve_axes", "(a + b) c", "(5, 4)", "b=3", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "a=2\nb=3\nc=4\n") == 0);
    char x[1200];
    in_path(x, sizeof x, "x34.npy"); /* the shape of a file counts */
    run("solve", "a..., c a...", x, "None", "c=3", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "a=(3, 4)\nc=3\n") == 0);
    run("solve", "a b...", "(7,)", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "a=7\n") == 0); /* b... repeats 0 times: no b, as in einx */
    run("solve", "a b..., c", "7,2", "?", "b=()", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "RankError: "));
    run("solve", "a 3 ...", "2,3,5", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "a=2\n") == 0); /* unnamed and anonymous axes are left out */
    run("solve", "", "()", NULL);
    CHECK_RUN(run_status == 0 && run_out[0] == '\0');
}

TEST(solve_shapes_matches_and_check) {
    run("solve_shapes", "a b, c b a", "3,4", "None", "c=3", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "(3, 4)\n(3, 4, 3)\n") == 0);
    run("solve_shapes", "a, b... a", "5", "?", "b=(2, 3)", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "(5,)\n(2, 3, 5)\n") == 0);
    run("matches", "b (h w) c", "2,12,3", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "True\n") == 0);
    run("matches", "a b c", "3,4", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "False\n") == 0 && run_err[0] == '\0');
    run("matches", "a -> b", "3", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "False\n") == 0);
    einc_ctx *ctx = einc_ctx_create();
    char o[1200];
    out_path(o, sizeof o, "m.npy");
    for (int want = 0; want < 2; want++) {
        run("matches", "a b", want ? "3,4" : "3,4,5", "-o", o, NULL);
        CHECK_RUN(run_status == 0 && run_out[0] == '\0');
        einc_tensor *t = einc_npy_load(ctx, o);
        CHECK(t && einc_tensor_dtype(t) == EINC_BOOL && einc_tensor_ndim(t) == 0 && einc_tensor_item(t) == want);
        einc_tensor_release(t);
    }
    einc_ctx_destroy(ctx);
    clear_dir(out_dir);
    run("check", "a b, b", "3,4", "4", NULL);
    CHECK_RUN(run_status == 0 && run_out[0] == '\0' && run_err[0] == '\0');
    run("check", "a b, b", "3,4", "5", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "AxisSizeError: Failed to determine the size of all axes"));
    CHECK_RUN(strstr(run_err, "  - Positional argument #2: Tensor with shape (5,)") != NULL);
    run("check", "a b, c", "3,4", "?", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "Positional argument #2: Tensor factory") != NULL);
}

TEST(solver_errors) {
    run("solve", "a b -> b a", "3,4", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "SyntaxError: The expression must not contain a '->' operator."));
    CHECK_RUN(strstr(run_err, "Expression: \"a b -> b a\"\n                 ^^") != NULL);
    run("solve_shapes", "a, b", "3", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: The number of input expressions (found 2)"));
    run("solve", "(a b)", "6", NULL);
    CHECK_RUN(run_status == 1 &&
              starts_with(run_err, "AxisSizeError: Failed to uniquely determine the size of the axes a, b"));
    char missing[1200];
    in_path(missing, sizeof missing, "missing.npy");
    run("solve", "a", missing, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError: "));
    run("solve", "a", "2,x", NULL); /* not a shape: read as a file name */
    CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError: "));
    run("solve", "a", "3", "-o", "x.npy", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: solve writes no file"));
    run("solve", NULL);
    CHECK_RUN(run_status == 2 && strstr(run_err, "usage: einc solve 'EXPR'") != NULL);
    run("check", "a", "3", "--frobnicate", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: unknown option '--frobnicate'"));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

/* ---- the 0.3 commands on the golden cases -------------------------------------------------------- */

static int tool_cases_run;

static void run_compat_case(einc_ctx *ctx, char **f) {
    const char *func = f[1], *op = f[2];
    static char cmd[64], opt[128];
    int k = einc_op_from_name(func);
    if (!strcmp(func, "reduce") || !strcmp(func, "elementwise") || !strcmp(func, "vmap_with_axis") ||
        !strcmp(func, "arange")) {
        snprintf(cmd, sizeof cmd, "%s", func);
        snprintf(opt, sizeof opt, "op=%s", op);
    } else if (k >= EINC_OP_SUM && k <= EINC_OP_LOGSUMEXP) {
        snprintf(cmd, sizeof cmd, "reduce");
        snprintf(opt, sizeof opt, "op=%s", func);
    } else if (k >= EINC_OP_ADD && k <= EINC_OP_WHERE) {
        snprintf(cmd, sizeof cmd, "elementwise");
        snprintf(opt, sizeof opt, "op=%s", func);
    } else if (k == EINC_OP_SOFTMAX) {
        snprintf(cmd, sizeof cmd, "vmap_with_axis");
        snprintf(opt, sizeof opt, "op=%s", func);
    } else {
        return; /* dot and rearrange: einc_dot03 / the tool's rearrange (0.4 rules) */
    }
    const char *args[MAX_ARGV];
    static char ins[16][256], inpaths[16][1200], cons[16][128], outname[1200];
    int n = 0;
    args[n++] = cmd;
    args[n++] = f[3];
    int nin = split_list(f[6], ins, 16);
    for (int i = 0; i < nin; i++) {
        golden_path(inpaths[i], sizeof inpaths[i], ins[i]);
        args[n++] = inpaths[i];
    }
    out_path(outname, sizeof outname, "out.npy");
    args[n++] = "-o";
    args[n++] = outname;
    if (strcmp(cmd, "arange") != 0) args[n++] = opt;
    if (!strcmp(f[5], "keepdims")) args[n++] = "keepdims=true";
    int nc = constraint_args(f[4], cons, 16);
    for (int i = 0; i < nc; i++) args[n++] = cons[i];
    run_tool(n, args);
    tool_cases_run++;
    CHECK_RUN(run_status == 0 && run_out[0] == '\0' && run_err[0] == '\0');
    char expected[1200];
    golden_path(expected, sizeof expected, f[7]);
    einc_scope_begin(ctx);
    einc_tensor *want = einc_npy_load(ctx, expected), *got = run_status == 0 ? einc_npy_load(ctx, outname) : NULL;
    einc_dtype d = want ? einc_tensor_dtype(want) : EINC_FLOAT32;
    double tol = d == EINC_FLOAT32 ? 2e-5 : d == EINC_FLOAT64 ? 1e-12 : 0.0;
    if (!CHECK_TENSOR_CLOSE(got, want, tol, tol)) fprintf(stderr, "  in case %s: %s\n", f[0], run_cmd);
    einc_scope_end(ctx);
    clear_dir(out_dir);
}

static void compat_row(char **fields, void *ctx) { run_compat_case(ctx, fields); }

TEST(golden_03_cases_through_the_tool) {
    einc_ctx *ctx = einc_ctx_create();
    test_read_table("notation_solvers/compat.txt", '\t', 8, compat_row, ctx);
    einc_ctx_destroy(ctx);
    CHECK(tool_cases_run >= 25);
}

TEST(errors_of_the_03_commands) {
    char x[1200], o[1200];
    in_path(x, sizeof x, "x34.npy");
    out_path(o, sizeof o, "y.npy");
    run("reduce", "a [b]", x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: reduce needs op=NAME"));
    run("reduce", "a [b]", x, "-o", o, "op=add", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: reduce: 'add' is not a reduction"));
    run("reduce", "a [b] -> a", x, "-o", o, "op=sum", "keepdims=true", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: keepdims cannot be given when using '->'"));
    run("reduce", "a [b]", x, "-o", o, "op=sum", "keepdims=maybe", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: keepdims must be true or false"));
    run("reduce", "a b", x, "-o", o, "op=sum", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: No axes are marked for reduction"));
    run("reduce", "a [b]", x, "op=sum", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: reduce writes one output"));
    run("elementwise", "a [b", x, x, "-o", o, "op=add", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "SyntaxError: "));
    run("vmap_with_axis", "a [b]", x, "-o", o, "op=softmax", "shift=x", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: shift must be an integer"));
    run("arange", "a b [2]", x, "-o", o, "a=2", "b=2", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: arange takes no input"));
    run("arange", "a b [2]", "-o", o, "a=2", "b=2", "dtype=complex64", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: unknown dtype 'complex64'"));
    run("arange", "a b [2]", "-o", o, "a=2", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "AxisSizeError: "));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
    /* dtype= for arange */
    run("arange", "a [1]", "-o", o, "a=3", "dtype=int64", NULL);
    CHECK_RUN(run_status == 0);
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_npy_load(ctx, o);
    CHECK(t && einc_tensor_dtype(t) == EINC_INT64 && einc_tensor_ndim(t) == 2 && einc_tensor_dim(t, 0) == 3);
    einc_ctx_destroy(ctx);
    clear_dir(out_dir);
}

/* ---- help ---------------------------------------------------------------------------------------- */

/* Runs "einc CMD 'EXPR' ARGS..." from a help text, with x.npy (2, 3) and bias.npy (3) as inputs. */
static bool run_example_line(const char *line) {
    const char *args[MAX_ARGV];
    static char words[MAX_ARGV][256], paths[MAX_ARGV][1200];
    int nw = 0;
    for (const char *p = line; *p && nw < MAX_ARGV;) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t len = 0;
        if (*p == '\'') {
            p++;
            while (*p && *p != '\'' && len + 1 < 256) words[nw][len++] = *p++;
            if (*p == '\'') p++;
        } else {
            while (*p && *p != ' ' && len + 1 < 256) words[nw][len++] = *p++;
        }
        words[nw++][len] = '\0';
    }
    int n = 0;
    for (int w = 1; w < nw; w++) {
        const char *a = words[w];
        size_t len = strlen(a);
        if (w > 2 && len > 4 && strcmp(a + len - 4, ".npy") == 0) {
            bool output = strcmp(words[w - 1], "-o") == 0;
            if (output) out_path(paths[w], sizeof paths[w], a);
            else in_path(paths[w], sizeof paths[w], a);
            args[n++] = paths[w];
        } else {
            args[n++] = a;
        }
    }
    run_tool(n, args);
    clear_dir(out_dir);
    return run_status == 0 && run_err[0] == '\0';
}

TEST(help_lists_the_commands_and_their_examples_run) {
    run("--help", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "einc solve|solve_axes|solve_shapes|check 'EXPR'") != NULL);
    CHECK_RUN(strstr(run_out, "einc arange 'EXPR' -o OUT.npy") != NULL);
    const char *cmds[] = {"solve",  "solve_axes",  "solve_shapes",   "matches", "check",
                          "reduce", "elementwise", "vmap_with_axis", "arange"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        run(cmds[i], "--help", NULL);
        CHECK_RUN(run_status == 0);
        char want[128];
        snprintf(want, sizeof want, "usage: einc %s 'EXPR'", cmds[i]);
        CHECK_RUN(strstr(run_out, want) != NULL);
        snprintf(want, sizeof want, "\n  einc %s '", cmds[i]);
        const char *ex = strstr(run_out, want);
        CHECK_RUN(ex != NULL);
        if (!ex) continue;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(ex + 3, "\n"), ex + 3);
        if (!run_example_line(line)) {
            fprintf(stderr, "einc %s --help: the example does not run: %s\n  exit %d: %s\n", cmds[i], line, run_status,
                    run_err);
            test_failed_checks_++;
        }
    }
}

/* ---- setup ---------------------------------------------------------------------------------------- */

static bool setup(void) {
    if (!test_tool_setup("cli_solvers")) return false;
    einc_ctx *ctx = einc_ctx_create();
    save_input(ctx, "x34.npy", ramp(ctx, EINC_SHAPE(3, 4)));
    save_input(ctx, "x.npy", ramp(ctx, EINC_SHAPE(2, 3)));
    save_input(ctx, "bias.npy", ramp(ctx, EINC_SHAPE(3)));
    einc_ctx_destroy(ctx);
    return true;
}

int main(void) {
    if (!setup()) {
        fprintf(stderr, "test_cli_solvers: setup failed\n");
        return 1;
    }
    RUN(solve_prints_every_axis);
    RUN(solve_shapes_matches_and_check);
    RUN(solver_errors);
    RUN(golden_03_cases_through_the_tool);
    RUN(errors_of_the_03_commands);
    RUN(help_lists_the_commands_and_their_examples_run);
    test_tool_teardown();
    return test_summary();
}
