/* `einc --einx 0.3 OP ...` (and --einx=0.3): einx 0.3 code run from the shell, as separate
 * processes:
 *   - every case of tests/golden/notation_solvers/compat.txt (expected results from NumPy,
 *     tests/golden/gen_notation_solvers.py) run as `einc --einx 0.3 FUNC ...`, compared with the
 *     golden file and, bit for bit, with einc_apply03's result for the same inputs in this process;
 *   - the 0.3 forms against the 0.4 forms they stand for (`dot 'b [c_in] -> b [c_out]'` against
 *     `dot 'b c_in, c_in c_out -> b c_out'`, "|" against "->", keepdims, the bias shorthand), and
 *     the operations whose semantics 0.3 and 0.4 share giving the same file with and without it;
 *   - the option's spellings and places, and the commands that ignore it;
 *   - errors: exit status 1, the class first on stderr, no output file;
 *   - `einc --help` and `einc dot --help` say what --einx 0.3 does, and the example runs.
 * Everything is written under a fresh directory in EINC_TEST_TMP and removed at the end. */
#include "einc/compat03.h"
#include "test_tool.h"

static void golden_path(char *buf, size_t size, const char *name) {
    join3(buf, size, EINC_TEST_DATA, "/notation_solvers/", name);
}

/* Loads out_dir/name; NULL (and a failed check) if it cannot. */
static einc_tensor *load_out(einc_ctx *ctx, const char *name) {
    char p[1200];
    out_path(p, sizeof p, name);
    einc_tensor *t = einc_npy_load(ctx, p);
    if (!t) {
        fprintf(stderr, "cannot load %s: %s\n", p, einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    }
    return t;
}

/* ---- the golden 0.3 cases -------------------------------------------------------------------- */

static int golden_cases_run;

/* fields: name, func, op, expr, constraints, options, inputs, expected */
static void run_golden_case(einc_ctx *ctx, char **f) {
    const char *func = f[1], *op = f[2], *expr = f[3];
    bool keepdims = strcmp(f[5], "keepdims") == 0;
    const char *args[MAX_ARGV];
    static char ins[16][256], inpaths[16][1200], cons[16][128], opt[128], outname[1200];
    int n = 0;
    args[n++] = "--einx";
    args[n++] = "0.3";
    args[n++] = func;
    args[n++] = expr;
    int nin = split_list(f[6], ins, 16);
    for (int i = 0; i < nin; i++) {
        golden_path(inpaths[i], sizeof inpaths[i], ins[i]);
        args[n++] = inpaths[i];
    }
    out_path(outname, sizeof outname, "out.npy");
    args[n++] = "-o";
    args[n++] = outname;
    if (op[0]) {
        snprintf(opt, sizeof opt, "op=%s", op);
        args[n++] = opt;
    }
    if (keepdims) args[n++] = "keepdims=true";
    int nc = constraint_args(f[4], cons, 16);
    for (int i = 0; i < nc; i++) args[n++] = cons[i];
    run_tool(n, args);
    golden_cases_run++;
    CHECK_RUN(run_status == 0 && run_out[0] == '\0' && run_err[0] == '\0');

    einc_scope_begin(ctx);
    char expected[1200];
    golden_path(expected, sizeof expected, f[7]);
    einc_tensor *want = einc_npy_load(ctx, expected), *got = run_status == 0 ? einc_npy_load(ctx, outname) : NULL;
    einc_dtype d = want ? einc_tensor_dtype(want) : EINC_FLOAT32;
    double tol = d == EINC_FLOAT32 ? 2e-5 : d == EINC_FLOAT64 ? 1e-12 : 0.0;
    if (!CHECK_TENSOR_CLOSE(got, want, tol, tol)) fprintf(stderr, "  in case %s: %s\n", f[0], run_cmd);

    /* the C API's 0.3 function on the same inputs: the tool must write exactly its result */
    einc_tensor *inputs[16], *api = NULL;
    for (int i = 0; i < nin; i++) inputs[i] = einc_npy_load(ctx, inpaths[i]);
    einc_axis axes[32];
    char names[512];
    int naxes = 0;
    CHECK(einc_axes_parse(ctx, f[4], axes, 32, &naxes, names, sizeof names) == EINC_OK);
    einc_options03 o;
    memset(&o, 0, sizeof o);
    o.op = op[0] ? op : NULL;
    o.keepdims = keepdims;
    einc_status st = einc_apply03(ctx, func, expr, nin, inputs, 1, &api, (einc_axes){naxes, axes}, &o);
    if (st != EINC_OK) fprintf(stderr, "  einc_apply03 in case %s: %s\n", f[0], einc_errmsg(ctx));
    CHECK(st == EINC_OK);
    if (!CHECK_TENSOR_CLOSE(got, api, 0.0, 0.0)) fprintf(stderr, "  in case %s (against einc_apply03)\n", f[0]);
    einc_clear_error(ctx);
    einc_scope_end(ctx);
    clear_dir(out_dir);
}

static void golden_row(char **fields, void *ctx) { run_golden_case(ctx, fields); }

TEST(golden_03_cases) {
    einc_ctx *ctx = einc_ctx_create();
    test_read_table("notation_solvers/compat.txt", '\t', 8, golden_row, ctx);
    einc_ctx_destroy(ctx);
    CHECK(golden_cases_run >= 35); /* every row: dot, add, rearrange, sum, ... and the 0.3 commands */
}

/* ---- 0.3 forms against the 0.4 forms --------------------------------------------------------- */

typedef struct {
    const char *v03[12]; /* the arguments after "--einx 0.3", ending in "-o" */
    const char *v04[12]; /* the 0.4 command that must write the same file, ending in "-o" */
} pair;

/* Input names are files of in_dir: x (2, 3), w (3, 4), bias (3,), x3 (2, 3, 4), w3 (4, 5),
 * xg (2, 6) and b2 (2,), ids (2,) int64; a name starting with a digit is a 0-d input. */
static const pair pairs[] = {
    /* the notebook's 0.3 code */
    {{"dot", "b [c_in] -> b [c_out]", "x", "w", "-o"}, {"dot", "b c_in, c_in c_out -> b c_out", "x", "w", "-o"}},
    {{"dot", "b [c1->c2]", "x", "w", "-o"}, {"dot", "b c1, c1 c2 -> b c2", "x", "w", "-o"}},
    {{"dot", "b [c1|c2]", "x", "w", "-o"}, {"dot", "b c1, c1 c2 -> b c2", "x", "w", "-o"}},
    {{"dot", "b... [c1] -> b... [c2]", "x3", "w3", "-o"}, {"dot", "b... c1, c1 c2 -> b... c2", "x3", "w3", "-o"}},
    {{"dot", "[a b] -> [a c]", "x", "x3", "-o"}, {"dot", "a b, a b c -> a c", "x", "x3", "-o"}},
    {{"dot", "a [b|]", "x", "bias", "-o"}, {"dot", "a b, b -> a", "x", "bias", "-o"}},
    /* with several input expressions, dot is 0.4's */
    {{"dot", "b i, i j -> b j", "x", "w", "-o"}, {"dot", "b i, i j -> b j", "x", "w", "-o"}},
    {{"add", "b [c]", "x", "bias", "-o"}, {"add", "b c, c", "x", "bias", "-o"}},
    {{"multiply", "b [c]", "x", "bias", "-o"}, {"multiply", "b c, c", "x", "bias", "-o"}},
    {{"subtract", "b... (g [c])", "xg", "bias", "-o"}, {"subtract", "b... (g c), (c)", "xg", "bias", "-o"}},
    {{"less", "b [c]", "x", "bias", "-o"}, {"less", "b c, c", "x", "bias", "-o"}},
    {{"add", "b c, b", "x", "b2", "-o"}, {"add", "b c, b", "x", "b2", "-o"}},
    {{"rearrange", "a b | b a", "x", "-o"}, {"rearrange", "a b -> b a", "x", "-o"}},
    {{"id", "a b | (b a)", "x", "-o"}, {"id", "a b -> (b a)", "x", "-o"}},
    {{"sum", "a [b] c", "x3", "keepdims=true", "-o"}, {"sum", "a [b] c", "x3", "keepdims=true", "-o"}},
    {{"mean", "a [b] c", "x3", "keepdims=true", "-o"}, {"mean", "a [b] c -> a 1 c", "x3", "-o"}},
    {{"max", "a b c | a", "x3", "-o"}, {"max", "a b c -> a", "x3", "-o"}},
    {{"softmax", "a [b]", "x", "-o"}, {"softmax", "a [b]", "x", "-o"}},
    {{"log_softmax", "a [b] | a [b]", "x", "-o"}, {"log_softmax", "a [b] -> a [b]", "x", "-o"}},
    {{"flip", "a [b]", "x", "-o"}, {"flip", "a [b]", "x", "-o"}},
    {{"roll", "a [b]", "x", "shift=1", "-o"}, {"roll", "a [b]", "x", "shift=1", "-o"}},
    {{"sort", "[a] b", "x", "-o"}, {"sort", "[a] b", "x", "-o"}},
    {{"argmax", "a [b]", "x", "-o"}, {"argmax", "a [b]", "x", "-o"}},
    {{"get_at", "[a] b, | b", "x", "1", "-o"}, {"get_at", "[a] b, -> b", "x", "1", "-o"}},
    {{"add_at", "[a] b, p, p b", "x", "ids", "x", "-o"}, {"add_at", "[a] b, p, p b", "x", "ids", "x", "-o"}},
    {{"where", "a b, a b, ", "x", "x", "0", "-o"}, {"where", "a b, a b, ", "x", "x", "0", "-o"}},
};

/* Runs one side of a pair (`prefix` "--einx" "0.3" or nothing) into out_dir/name. */
static int run_side(const char *const *side, bool v03, const char *name) {
    const char *args[MAX_ARGV];
    static char paths[12][1200], out[1200];
    int n = 0;
    if (v03) {
        args[n++] = "--einx";
        args[n++] = "0.3";
    }
    for (int i = 0; side[i]; i++) {
        const char *a = side[i];
        bool file = i >= 2 && strcmp(a, "-o") != 0 && !strchr(a, '=') && !(a[0] >= '0' && a[0] <= '9');
        if (file) {
            char fn[256];
            snprintf(fn, sizeof fn, "%s.npy", a);
            in_path(paths[i], sizeof paths[i], fn);
            args[n++] = paths[i];
        } else {
            args[n++] = a;
        }
    }
    out_path(out, sizeof out, name);
    args[n++] = out;
    return run_tool(n, args);
}

TEST(forms_03_against_04) {
    einc_ctx *ctx = einc_ctx_create();
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        run_side(pairs[i].v03, true, "v03.npy");
        CHECK_RUN(run_status == 0 && run_err[0] == '\0');
        run_side(pairs[i].v04, false, "v04.npy");
        CHECK_RUN(run_status == 0 && run_err[0] == '\0');
        einc_scope_begin(ctx);
        einc_tensor *a = load_out(ctx, "v03.npy"), *b = load_out(ctx, "v04.npy");
        if (!CHECK_TENSOR_CLOSE(a, b, 0.0, 0.0))
            fprintf(stderr, "  0.3 form: %s %s\n", pairs[i].v03[0], pairs[i].v03[1]);
        einc_scope_end(ctx);
        clear_dir(out_dir);
    }
    einc_ctx_destroy(ctx);
}

/* The shorthands are 0.3's only: without --einx 0.3 (or with --einx 0.4) they are 0.4's errors. */
TEST(shorthands_need_the_option) {
    char x[1200], w[1200], bias[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(w, sizeof w, "w.npy");
    in_path(bias, sizeof bias, "bias.npy");
    out_path(o, sizeof o, "y.npy");
    run("dot", "b [c_in] -> b [c_out]", x, w, "-o", o, NULL);
    CHECK_RUN(run_status == 1 &&
              starts_with(run_err, "SemanticError: Brackets ([]) are not allowed in the 1st output"));
    run("--einx", "0.4", "dot", "b [c_in] -> b [c_out]", x, w, "-o", o, NULL);
    CHECK_RUN(run_status == 1 &&
              starts_with(run_err, "SemanticError: Brackets ([]) are not allowed in the 1st output"));
    run("add", "b [c]", x, bias, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "SemanticError: Brackets ([]) are not allowed"));
    run("rearrange", "a b | b a", x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "SyntaxError: "));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

/* --einx=0.3, --einx 0.3.0, the option after the operands, and the 0.3 commands that are the same
 * with and without it. */
TEST(spellings_and_places) {
    einc_ctx *ctx = einc_ctx_create();
    char x[1200], w[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(w, sizeof w, "w.npy");
    out_path(o, sizeof o, "y.npy");
    run("dot", "b c_in, c_in c_out -> b c_out", x, w, "-o", o, NULL);
    CHECK_RUN(run_status == 0);
    einc_tensor *want = einc_npy_load(ctx, o);
    const char *const forms[][9] = {
        {"--einx=0.3", "dot", "b [c_in] -> b [c_out]", x, w, "-o", o, NULL},
        {"--einx", "0.3.0", "dot", "b [c_in] -> b [c_out]", x, w, "-o", o, NULL},
        {"dot", "b [c_in] -> b [c_out]", x, w, "-o", o, "--einx", "0.3"},
        {"dot", "--einx=0.3", "b [c_in] -> b [c_out]", x, "-o", o, w, NULL},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int n = 0;
        while (n < 8 && forms[i][n]) n++;
        run_tool(n, forms[i]);
        CHECK_RUN(run_status == 0 && run_err[0] == '\0');
        einc_tensor *got = einc_npy_load(ctx, o);
        CHECK_TENSOR_CLOSE(got, want, 0.0, 0.0);
        einc_tensor_release(got);
        clear_dir(out_dir);
    }
    einc_tensor_release(want);
    /* the 0.3 commands (reduce, elementwise, vmap_with_axis, arange) and the solvers ignore it */
    const char *const cmds[][8] = {
        {"reduce", "a [b]", x, "-o", o, "op=sum", NULL},
        {"elementwise", "a b, a b", x, x, "-o", o, "op=multiply", NULL},
        {"arange", "a b [2]", "-o", o, "a=2", "b=3", NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int n = 0;
        while (cmds[i][n]) n++;
        run_tool(n, cmds[i]);
        CHECK_RUN(run_status == 0);
        einc_tensor *plain = einc_npy_load(ctx, o);
        clear_dir(out_dir);
        const char *args[MAX_ARGV] = {"--einx", "0.3"};
        for (int k = 0; k < n; k++) args[k + 2] = cmds[i][k];
        run_tool(n + 2, args);
        CHECK_RUN(run_status == 0);
        einc_tensor *with = einc_npy_load(ctx, o);
        CHECK_TENSOR_CLOSE(with, plain, 0.0, 0.0);
        einc_tensor_release(plain);
        einc_tensor_release(with);
        clear_dir(out_dir);
    }
    run("--einx", "0.3", "solve", "a (b c)", "2,6", "b=2", NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "a=2\nb=2\nc=3\n") == 0);
    einc_ctx_destroy(ctx);
}

TEST(errors) {
    char x[1200], w[1200], x3[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(w, sizeof w, "w.npy");
    in_path(x3, sizeof x3, "x3.npy");
    out_path(o, sizeof o, "y.npy");
    run("--einx", "0.2", "dot", "b [c_in] -> b [c_out]", x, w, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: --einx takes 0.3") && strstr(run_err, "'0.2'"));
    run("--einx=", "id", "a", x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: --einx takes 0.3"));
    run("id", "a", x, "-o", o, "--einx", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: --einx needs a version"));
    run("--einxx", "0.3", "id", "a b", x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "did you mean '--einx'?") != NULL);
    /* 0.3's own rules */
    run("--einx", "0.3", "sum", "a [b] c -> a c", x3, "-o", o, "keepdims=true", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: keepdims cannot be given when using '->'"));
    run("--einx", "0.3", "sum", "a b c", x3, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: No axes are marked for reduction"));
    run("--einx", "0.3", "dot", "b [3] -> b [c]", x, w, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: Cannot mark unnamed non-trivial axes, but found 3"));
    run("--einx", "0.3", "dot", "b [c_in] -> b [c_out]", x, x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "AxisSizeError: ") &&
              strstr(run_err, "Expression: \"b c_in, c_in c_out -> b c_out\"") != NULL); /* the 0.4 form it ran */
    run("--einx", "0.3", "dot", "b [c_in] -> b [c_out]", x, "-o", o, NULL);              /* one tensor: 0.4's dot */
    CHECK_RUN(run_status == 1 &&
              starts_with(run_err, "SemanticError: Brackets ([]) are not allowed in the 1st output"));
    run("--einx", "0.3", "add", "b [c", x, x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "SyntaxError: "));
    run("--einx", "0.3", "frobnicate", "a", x, "-o", o, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: unknown operation 'frobnicate'"));
    run("--einx", "0.3", "softmax", "a [b]", x, "-o", o, "keepdims=true", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: keepdims is an option of reductions"));
    /* --explain shows the plan of the 0.4 form that runs */
    run("--einx", "0.3", "dot", "b [c_in] -> b [c_out]", x, w, "--explain", NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "einx.dot: b [c_in], [c_in] c_out -> b c_out\n"));
    run("--einx", "0.3", "sum", "a [b]", x, "keepdims=true", "--explain", NULL); /* 0.3's options go with it */
    CHECK_RUN(run_status == 0 && strstr(run_out, "output #1: (2, 1) float32\n") != NULL);
    run("--einx", "0.3", "check", "a b", x, "--explain", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: "));
    run("--einx", "0.3", "dot", "b [c_in] -> b [c_out]", x, w, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError: no output file given"));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

/* ---- help ------------------------------------------------------------------------------------ */

TEST(help_says_what_the_option_does) {
    run("--help", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "einc --einx 0.3 OP 'EXPR'") != NULL);
    CHECK_RUN(strstr(run_out, "  --einx 0.3  einx 0.3's semantics") != NULL);
    const char *ex = strstr(run_out, "  einc --einx 0.3 dot 'b [c_in] -> b [c_out]' x.npy w.npy -o y.npy\n");
    CHECK_RUN(ex != NULL);
    if (ex) { /* the example runs */
        char x[1200], w[1200], o[1200];
        in_path(x, sizeof x, "x.npy");
        in_path(w, sizeof w, "w.npy");
        out_path(o, sizeof o, "y.npy");
        run("--einx", "0.3", "dot", "b [c_in] -> b [c_out]", x, w, "-o", o, NULL);
        CHECK_RUN(run_status == 0);
        clear_dir(out_dir);
    }
    run("dot", "--help", NULL);
    CHECK_RUN(run_status == 0 &&
              strstr(run_out, "einx 0.3 (--einx 0.3): one input expression with two inputs") != NULL);
    run("add", "--help", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "'b [c]' is 'b c, c'") != NULL);
    run("sum", "--help", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "keepdims=true with '->' is a ValueError") != NULL);
}

/* ---- setup ----------------------------------------------------------------------------------- */

static bool setup(void) {
    if (!test_tool_setup("cli_einx03")) return false;
    einc_ctx *ctx = einc_ctx_create();
    save_input(ctx, "x.npy", ramp(ctx, EINC_SHAPE(2, 3)));
    save_input(ctx, "w.npy", ramp(ctx, EINC_SHAPE(3, 4)));
    save_input(ctx, "bias.npy", ramp(ctx, EINC_SHAPE(3)));
    save_input(ctx, "x3.npy", ramp(ctx, EINC_SHAPE(2, 3, 4)));
    save_input(ctx, "w3.npy", ramp(ctx, EINC_SHAPE(4, 5)));
    save_input(ctx, "xg.npy", ramp(ctx, EINC_SHAPE(2, 6)));
    save_input(ctx, "b2.npy", ramp(ctx, EINC_SHAPE(2)));
    einc_tensor *ids = einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(2));
    einc_tensor_set(ids, (int64_t[]){1}, 1.0); /* (0, 1): two distinct rows */
    save_input(ctx, "ids.npy", ids);
    einc_ctx_destroy(ctx);
    return true;
}

int main(void) {
    if (!setup()) {
        fprintf(stderr, "test_cli_einx03: setup failed\n");
        return 1;
    }
    RUN(golden_03_cases);
    RUN(forms_03_against_04);
    RUN(shorthands_need_the_option);
    RUN(spellings_and_places);
    RUN(errors);
    RUN(help_says_what_the_option_does);
    test_tool_teardown();
    return test_summary();
}
