/* The command-line tool (build/einc) run as a separate process, the way users run it:
 *   - every case of tests/golden/notation/cases.txt (expected results computed with NumPy by
 *     tests/golden/gen_notation.py) through the real binary, each output file compared with the
 *     expected .npy in dtype, shape and values;
 *   - the failure format for the bad inputs of spec §4.3 and the tool's own errors: exit status 1,
 *     stderr starting with "<Class>: ", the caret line under the expression, and no output file
 *     left behind (also when an output path lies in a directory that does not exist);
 *   - --help and OP --help (every command line they show is run and must succeed), --explain,
 *     keepdims=true, plain numbers as 0-d inputs.
 * Everything is written under a fresh directory in EINC_TEST_TMP and removed at the end. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "test_tool.h"

#define MAX_CASES 512

/* dst = a + b, cut to fit (paths here are far shorter than the buffers). */
static void concat(char *dst, size_t size, const char *a, const char *b) { join3(dst, size, a, b, ""); }

static void golden_path(char *buf, size_t size, const char *name) {
    join3(buf, size, EINC_TEST_DATA, "/notation/", name);
}

/* Loads a .npy file the tool wrote; NULL (and a failed check) if it cannot. */
static einc_tensor *load_output(einc_ctx *ctx, const char *path) {
    einc_tensor *t = einc_npy_load(ctx, path);
    if (!t) {
        fprintf(stderr, "cannot load the tool's output %s (after: %s): %s\n", path, run_cmd, einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    }
    return t;
}

/* ---- the golden cases ------------------------------------------------------------------------- */

typedef struct {
    char name[256], op[64], expr[256], constraints[256], inputs[1024], outputs[1024];
} test_case;

static test_case cases[MAX_CASES];
static int ncases;

static void add_case(char **fields, void *user) {
    (void)user;
    if (ncases >= MAX_CASES) return;
    test_case *c = &cases[ncases++];
    concat(c->name, sizeof c->name, fields[0], "");
    concat(c->op, sizeof c->op, fields[1], "");
    concat(c->expr, sizeof c->expr, fields[2], "");
    concat(c->constraints, sizeof c->constraints, fields[3], "");
    concat(c->inputs, sizeof c->inputs, fields[4], "");
    concat(c->outputs, sizeof c->outputs, fields[5], "");
}

static void run_golden_case(einc_ctx *ctx, const test_case *c) {
    static char items[16][256], outs[16][1200], cons[16][128], ins[16][1200];
    const char *args[MAX_ARGV];
    int n = 0;
    args[n++] = c->op;
    args[n++] = c->expr;
    int nin = split_list(c->inputs, items, 16);
    for (int i = 0; i < nin; i++) {
        if (strstr(items[i], ".npy")) golden_path(ins[i], sizeof ins[i], items[i]);
        else concat(ins[i], sizeof ins[i], items[i], ""); /* a plain number: a 0-d input */
        args[n++] = ins[i];
    }
    static char expected_names[16][256];
    int nout = split_list(c->outputs, expected_names, 16);
    for (int o = 0; o < nout; o++) {
        char name[64];
        snprintf(name, sizeof name, "out%d.npy", o);
        out_path(outs[o], sizeof outs[o], name);
        args[n++] = "-o";
        args[n++] = outs[o];
    }
    int ncons = constraint_args(c->constraints, cons, 16);
    for (int i = 0; i < ncons; i++) args[n++] = cons[i];

    run_tool(n, args);
    CHECK_RUN(run_status == 0);
    CHECK_RUN(run_out[0] == '\0' && run_err[0] == '\0');
    CHECK_RUN(dir_entries(out_dir) == nout);
    einc_scope_begin(ctx);
    for (int o = 0; o < nout && run_status == 0; o++) {
        char expected_path[1200];
        golden_path(expected_path, sizeof expected_path, expected_names[o]);
        einc_tensor *expected = einc_npy_load(ctx, expected_path);
        einc_tensor *got = load_output(ctx, outs[o]);
        CHECK(expected != NULL);
        if (!expected || !got) continue;
        einc_dtype d = einc_tensor_dtype(expected);
        double tol = d == EINC_FLOAT32 ? 2e-5 : d == EINC_FLOAT64 ? 1e-12 : 0.0;
        if (!CHECK_TENSOR_CLOSE(got, expected, tol, tol))
            fprintf(stderr, "  in case %s, output %d: %s\n", c->name, o, run_cmd);
    }
    einc_scope_end(ctx);
    clear_dir(out_dir);
}

TEST(golden_cases_through_the_tool) {
    CHECK(ncases >= 100);
    einc_ctx *ctx = einc_ctx_create();
    for (int i = 0; i < ncases; i++) run_golden_case(ctx, &cases[i]);
    einc_ctx_destroy(ctx);
}

TEST(constraint_text_becomes_arguments) {
    char out[8][128];
    CHECK_EQ_INT(constraint_args("qkv=3, nh=4, dh=4", out, 8), 3);
    CHECK(strcmp(out[0], "qkv=3") == 0 && strcmp(out[1], "nh=4") == 0 && strcmp(out[2], "dh=4") == 0);
    CHECK_EQ_INT(constraint_args("ds=(2, 3), c=1", out, 8), 2);
    CHECK(strcmp(out[0], "ds=2,3") == 0 && strcmp(out[1], "c=1") == 0);
    CHECK_EQ_INT(constraint_args("r=(4,), c=1", out, 8), 2);
    CHECK(strcmp(out[0], "r=(4,)") == 0 && strcmp(out[1], "c=1") == 0);
    CHECK_EQ_INT(constraint_args("b=()", out, 8), 1);
    CHECK(strcmp(out[0], "b=()") == 0);
    CHECK_EQ_INT(constraint_args("", out, 8), 0);
}

/* ---- failures --------------------------------------------------------------------------------- */

/* One bad call. Arguments ending in ".npy" name files of in_dir; `nout` outputs go to out_dir.
 * `carets`: the expected marks under the expression (padded with spaces to its length; "" is a
 * line of spaces), or NULL when the caret line is not checked. */
typedef struct {
    const char *op, *expr;
    const char *args[6];
    int nout;
    const char *klass, *message, *carets;
} error_case;

static const error_case error_cases[] = {
    /* spec §4.3, x: (10, 5), x3: (2, 3, 4) */
    {"id", "a (b -> b a", {"x.npy"}, 1, "SyntaxError", "Found an opening parenthesis that is not closed:", "  ^"},
    {"id", "a b) -> b a", {"x.npy"}, 1, "SyntaxError", "Found a closing parenthesis that is not opened:", "   ^"},
    {"id",
     "a b -> b a -> a b",
     {"x.npy"},
     1,
     "SyntaxError",
     "The expression must not contain more than one '->' operator.",
     "    ^^     ^^"},
    {"id", "a$ b -> b a", {"x.npy"}, 1, "SyntaxError", "The expression 'a$' is not allowed:", "^^"},
    {"id",
     "a b+c -> a b c",
     {"x.npy"},
     1,
     "SyntaxError",
     "Only named axes, unnamed axes, and flattened axes are allowed as operands of a concatenation operator ('+').",
     NULL},
    {"id",
     "a [b] -> a b",
     {"x.npy"},
     1,
     "SyntaxError",
     "There are multiple occurrences of axis b with inconsistent bracket usage:",
     "  ^^^      ^"},
    {"id", "a | b", {"x.npy"}, 1, "SyntaxError", "'|'", "  ^"},
    {"id",
     "(a b) c -> a b c",
     {"x.npy"},
     1,
     "AxisSizeError",
     "Failed to uniquely determine the size of the axes a, b. Please provide more constraints.",
     " ^ ^       ^ ^"},
    {"id",
     "a b -> b a",
     {"x.npy", "a=11"},
     1,
     "AxisSizeError",
     "Failed to determine the size of all axes in the expression under the given constraints.",
     ""},
    {"id",
     "a -> a b",
     {"v3.npy"},
     1,
     "AxisSizeError",
     "Failed to uniquely determine the size of the axis b. Please provide more constraints.",
     "       ^"},
    {"sum", "a [b]", {"empty.npy"}, 1, "AxisSizeError", "Failed to determine the size of all axes", ""},
    {"id",
     "a b c -> a c b",
     {"x.npy"},
     1,
     "RankError",
     "The number of tensor dimensions and axes in the expression does not match.",
     NULL},
    {"id",
     "s..., s... -> s...",
     {"x.npy", "x3.npy"},
     1,
     "RankError",
     "Failed to find an expansion of ellipses in the expression such that the number of dimensions matches all "
     "given constraints.",
     " ^^^   ^^^     ^^^"},
    {"id",
     "a b..., c -> a b",
     {"x3.npy", "x.npy"},
     1,
     "RankError",
     "Found an invalid usage of ellipses and/or constraints for the axis b:",
     "  ^            ^"},
    {"id",
     "a b c -> b c",
     {"x3.npy"},
     1,
     "SemanticError",
     "The input axes {'a'} must appear in the output expression.",
     "^"},
    {"id",
     "a a -> a a",
     {"sq.npy"},
     1,
     "SemanticError",
     "The output expression must not contain multiple vectorized axes with the same name",
     "       ^ ^"},
    {"id",
     "a [b] -> a",
     {"x.npy"},
     1,
     "SemanticError",
     "Brackets ([]) are not allowed in the 1st input expression of this operation.",
     "  ^ ^"},
    {"sum",
     "a b [c] -> a b [c]",
     {"x3.npy"},
     1,
     "SemanticError",
     "Brackets ([]) are not allowed in the 1st output expression of this operation.",
     "               ^ ^"},
    {"add",
     "a, b",
     {"v3.npy", "v4.npy"},
     1,
     "SemanticError",
     "The output expression is missing in this operation.",
     ""},
    {"dot",
     "a [b], [c] d -> a d",
     {"x.npy", "x.npy"},
     1,
     "SemanticError",
     "All contracted axes must appear in exactly two input expressions.",
     "   ^    ^"},
    {"softmax",
     "a [b c] -> a [c b]",
     {"x3.npy"},
     1,
     "SemanticError",
     "All axes marked with brackets must appear in the same order in the inputs and outputs of this operation.",
     "   ^ ^        ^ ^"},
    {"sum",
     "a (b + c)",
     {"x.npy", "b=2"},
     1,
     "SemanticError",
     "The concatenation operator (+) is not allowed in this function.",
     "   ^^^^^"},
    {"id",
     "a, b -> b, a",
     {"v3.npy", "v4.npy"},
     2,
     "SemanticError",
     "The 1st input expression \"a\" is not compatible with the 1st output expression \"b\"",
     ""},
    /* counts and values */
    {"id",
     "a b, c -> a b",
     {"x.npy"},
     1,
     "ValueError",
     "The operation is defined with 2 input expressions, but 1 input tensor is given as argument.",
     NULL},
    {"id", "a b -> b a", {"x.npy"}, 2, "ValueError", "output", NULL},
    {"id",
     "a b -> b a",
     {"x.npy", "a=2.5"},
     1,
     "ValueError",
     "Values passed for axis names as constraints must have an integral type",
     NULL},
    {"id",
     "a b -> b a",
     {"x.npy", "a=x"},
     1,
     "ValueError",
     "Values passed for axis names as constraints must have an integral type",
     NULL},
    {"frobnicate", "a b -> b a", {"x.npy"}, 1, "ValueError", "frobnicate", NULL},
    {"id", "a b -> b a", {"x.npy", "--frobnicate"}, 1, "ValueError", "--frobnicate", NULL},
    {"sum", "a [b]", {"x.npy", "keepdims=maybe"}, 1, "ValueError", "keepdims", NULL},
    {"id", "a b", {"x.npy", "keepdims=true"}, 1, "ValueError", "keepdims", NULL},
    {"id", "a b", {"x.npy"}, 0, "ValueError", "-o", NULL},
    /* files */
    {"id", "a b -> b a", {"missing.npy"}, 1, "IOError", "missing.npy", NULL},
    {"id", "a b -> b a", {"garbage.npy"}, 1, "FormatError", "", NULL},
    {"id", "a b -> b a", {"truncated.npy"}, 1, "FormatError", "", NULL},
};

/* The line after `Expression: "<expr>"` must be 13 spaces and the marks, padded to the expression. */
static void check_carets(const char *expr, const char *carets) {
    char head[512], want[512];
    snprintf(head, sizeof head, "Expression: \"%s\"\n", expr);
    const char *at = strstr(run_err, head);
    if (!carets) return;
    CHECK_RUN(at != NULL);
    if (!at) return;
    const char *line = at + strlen(head);
    size_t len = strlen(expr);
    snprintf(want, sizeof want, "%13s%-*s\n", "", (int)len, carets);
    if (strncmp(line, want, strlen(want)) != 0) {
        fprintf(stderr, "caret line for \"%s\": want\n%sgot\n%.*s\n", expr, want, (int)strcspn(line, "\n"), line);
        CHECK_RUN(false);
    }
}

static void run_error_case(const error_case *e) {
    const char *args[MAX_ARGV];
    static char paths[12][1200];
    int n = 0;
    args[n++] = e->op;
    args[n++] = e->expr;
    for (int i = 0; i < 6 && e->args[i]; i++) {
        const char *a = e->args[i];
        size_t len = strlen(a);
        if (len > 4 && strcmp(a + len - 4, ".npy") == 0) {
            in_path(paths[i], sizeof paths[i], a);
            a = paths[i];
        }
        args[n++] = a;
    }
    for (int o = 0; o < e->nout; o++) {
        char name[64];
        snprintf(name, sizeof name, "out%d.npy", o);
        out_path(paths[6 + o], sizeof paths[6 + o], name);
        args[n++] = "-o";
        args[n++] = paths[6 + o];
    }
    run_tool(n, args);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: ", e->klass);
    CHECK_RUN(run_status == 1);
    CHECK_RUN(starts_with(run_err, prefix));
    CHECK_RUN(strstr(run_err, e->message) != NULL);
    check_carets(e->expr, e->carets);
    CHECK_RUN(run_out[0] == '\0');
    CHECK_RUN(dir_entries(out_dir) == 0); /* no output file, not even a temporary one */
    clear_dir(out_dir);
}

TEST(failures_exit_1_with_the_class_first_and_leave_no_file) {
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) run_error_case(&error_cases[i]);
}

TEST(an_output_in_a_missing_directory_leaves_nothing) {
    char x[1200], ok1[1200], ok3[1200], bad[1200], missing_dir[1200];
    in_path(x, sizeof x, "x.npy");
    out_path(ok1, sizeof ok1, "q.npy");
    out_path(ok3, sizeof ok3, "v.npy");
    out_path(missing_dir, sizeof missing_dir, "no_such_dir");
    concat(bad, sizeof bad, missing_dir, "/k.npy");

    run("id", "a b -> b a", x, "-o", bad, NULL);
    CHECK_RUN(run_status == 1);
    CHECK_RUN(starts_with(run_err, "IOError: "));
    CHECK_RUN(!file_exists(missing_dir));
    CHECK_RUN(dir_entries(out_dir) == 0);

    /* the second of three outputs cannot be written: the first must not stay behind */
    run("id", "b (q + k + v) -> b q, b k, b v", x, "-o", ok1, "-o", bad, "-o", ok3, "q=1", "k=2", NULL);
    CHECK_RUN(run_status == 1);
    CHECK_RUN(starts_with(run_err, "IOError: "));
    CHECK_RUN(!file_exists(ok1) && !file_exists(ok3) && !file_exists(missing_dir));
    CHECK_RUN(dir_entries(out_dir) == 0);
    clear_dir(out_dir);
}

/* Bytes of a file (-1 when it cannot be read), for comparing a file before and after a run. */
static long file_bytes(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

/* Outputs are all-or-nothing: whichever output fails, every file that existed before (an input
 * named as an output among them) keeps its bytes and its mode, and no temporary is left. */
TEST(a_failing_output_replaces_no_file) {
    einc_ctx *ctx = einc_ctx_create();
    static const int64_t shape[2] = {2, 3};
    char x[1200], keep[1200], keep2[1200], bad[1200];
    static char before[4096], after[4096], before2[4096], after2[4096];
    out_path(bad, sizeof bad, "no_such_dir/k.npy");
    for (int fail_at = 0; fail_at < 3; fail_at++) {
        /* x is the input and also one of the outputs; keep and keep2 exist before the run */
        out_path(x, sizeof x, "x.npy");
        out_path(keep, sizeof keep, "keep.npy");
        out_path(keep2, sizeof keep2, "keep2.npy");
        einc_npy_save(ctx, x, ramp(ctx, 2, shape));
        einc_npy_save(ctx, keep, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4)));
        einc_npy_save(ctx, keep2, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5)));
        long nb = file_bytes(keep, before, sizeof before), nb2 = file_bytes(x, before2, sizeof before2);
        const char *o[3] = {x, keep, keep2};
        o[fail_at] = bad;
        run("id", "b (q + k + v) -> b q, b k, b v", x, "-o", o[0], "-o", o[1], "-o", o[2], "q=1", "k=1", NULL);
        CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError: "));
        CHECK_RUN(file_bytes(keep, after, sizeof after) == nb && memcmp(before, after, (size_t)nb) == 0);
        CHECK_RUN(file_bytes(x, after2, sizeof after2) == nb2 && memcmp(before2, after2, (size_t)nb2) == 0);
        CHECK_RUN(file_exists(keep2));
        CHECK_RUN(dir_entries(out_dir) == 3); /* x, keep, keep2: no temporary left */
        clear_dir(out_dir);
    }
    /* success replaces the files, the input-as-output included, and keeps a replaced file's mode */
    out_path(x, sizeof x, "x.npy");
    out_path(keep, sizeof keep, "keep.npy");
    einc_npy_save(ctx, x, ramp(ctx, 2, shape));
    einc_npy_save(ctx, keep, einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(4)));
    CHECK(chmod(keep, 0600) == 0);
    run("id", "a b -> b a", x, "-o", keep, NULL);
    CHECK_RUN(run_status == 0);
    struct stat st;
    CHECK(stat(keep, &st) == 0 && (st.st_mode & 07777) == 0600);
    einc_tensor *y = einc_npy_load(ctx, keep);
    CHECK(y && einc_tensor_ndim(y) == 2 && einc_tensor_dim(y, 0) == 3);
    run("id", "a b -> b a", x, "-o", x, NULL);
    CHECK_RUN(run_status == 0);
    y = einc_npy_load(ctx, x);
    CHECK(y && einc_tensor_dim(y, 0) == 3 && einc_tensor_dim(y, 1) == 2);
    CHECK_RUN(dir_entries(out_dir) == 2);
    clear_dir(out_dir);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(usage_errors) {
    run(NULL); /* no arguments at all: usage on stderr, status 2 */
    CHECK_RUN(run_status == 2);
    CHECK_RUN(strstr(run_err, "usage: einc OP 'EXPR'") != NULL);
    char x[1200];
    in_path(x, sizeof x, "x.npy");
    run("id", "a b -> b a", x, "-o", NULL); /* -o without a file name */
    CHECK_RUN(run_status == 1);
    CHECK_RUN(starts_with(run_err, "ValueError: "));
    CHECK_RUN(dir_entries(out_dir) == 0);
}

/* ---- help ------------------------------------------------------------------------------------- */

/* Input shapes for the help examples whose input expressions the generic rule below cannot size
 * (ellipses, compositions): the expression, then one shape per input file, in order. */
typedef struct {
    const char *expr;
    const char *shapes[4];
} example_shapes;

static const example_shapes known_examples[] = {
    {"... (qkv nh dh) H W -> qkv ... nh (H W) dh", {"2,48,4,4"}},
    {"... N dh, ... M dh -> ... N M", {"2,3,4", "2,5,4"}},
    {"... N [M]", {"2,3,5"}},
    {"b (q + k + v) -> b q, b k, b v", {"2,10"}},
    {"b (h w) c -> b c h w", {"2,64,3"}},
};

/* Shape of one input expression made only of names, numbers and [names] (no parentheses or
 * ellipses): each distinct name of the whole expression gets its own length (2, 3, 4, ...).
 * Returns the rank, or -1 when the operand is not that simple. */
static int simple_shape(const char *expr, const char *operand, size_t oplen, int64_t *shape) {
    char names[32][64];
    int nnames = 0, nd = 0;
    /* name lengths in order of first appearance in the whole expression */
    for (const char *p = expr; *p;) {
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
            p++;
            continue;
        }
        size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        int k = 0;
        while (k < nnames && !(strlen(names[k]) == len && strncmp(names[k], p, len) == 0)) k++;
        if (k == nnames && nnames < 32) snprintf(names[nnames++], sizeof names[0], "%.*s", (int)len, p);
        p += len;
    }
    for (size_t i = 0; i < oplen;) {
        char ch = operand[i];
        if (ch == ' ' || ch == '[' || ch == ']') {
            i++;
            continue;
        }
        size_t len = strspn(operand + i, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        if (len == 0 || nd == EINC_MAX_DIMS) return -1; /* '(', '.', '+': not simple */
        if (ch >= '0' && ch <= '9') {
            shape[nd++] = atoll(operand + i);
        } else {
            int k = 0;
            while (k < nnames && !(strlen(names[k]) == len && strncmp(names[k], operand + i, len) == 0)) k++;
            shape[nd++] = 2 + k;
        }
        i += len;
    }
    return nd;
}

static int parse_shape(const char *text, int64_t *shape) {
    int nd = 0;
    for (const char *p = text; *p && nd < EINC_MAX_DIMS; p += strcspn(p, ","), p += *p == ',') shape[nd++] = atoll(p);
    return nd;
}

/* Splits a command line of the help text ("einc op 'expr' x.npy -o y.npy h=2 ...") into words. */
static int split_words(const char *line, char words[][256], int cap) {
    int n = 0;
    const char *p = line;
    while (*p && *p != '\n' && n < cap) {
        while (*p == ' ') p++;
        if (!*p || *p == '\n') break;
        size_t len = 0;
        if (*p == '\'') {
            p++;
            while (p[len] && p[len] != '\'' && p[len] != '\n') len++;
            snprintf(words[n++], sizeof words[0], "%.*s", (int)len, p);
            p += len + (p[len] == '\'');
        } else {
            while (p[len] && p[len] != ' ' && p[len] != '\n') len++;
            snprintf(words[n++], sizeof words[0], "%.*s", (int)len, p);
            p += len;
        }
    }
    return n;
}

static bool is_number(const char *s) {
    char *end;
    strtod(s, &end);
    return end != s && *end == '\0';
}

/* Runs one example command of a help text with inputs made up to fit it; returns false if it
 * fails. Input files get shapes from known_examples or simple_shape (when neither applies, that
 * is reported as a failure here and true is returned, so it is not reported twice). */
static bool run_example(einc_ctx *ctx, const char *line) {
    static char words[MAX_ARGV][256], paths[MAX_ARGV][1200];
    int nw = split_words(line, words, MAX_ARGV);
    if (nw < 3 || strcmp(words[0], "einc") != 0) return false;
    const char *expr = words[2];
    const example_shapes *known = NULL;
    for (size_t i = 0; i < sizeof known_examples / sizeof known_examples[0]; i++)
        if (strcmp(known_examples[i].expr, expr) == 0) known = &known_examples[i];
    const char *args[MAX_ARGV];
    int n = 0, input = 0, files = 0;
    const char *operand = expr; /* the input expression of the current input */
    size_t arrow = strstr(expr, "->") ? (size_t)(strstr(expr, "->") - expr) : strlen(expr);
    einc_scope_begin(ctx);
    for (int w = 1; w < nw; w++) {
        const char *a = words[w];
        if (w <= 2) {
            args[n++] = a;
        } else if (strcmp(a, "-o") == 0 && w + 1 < nw) {
            char name[64];
            snprintf(name, sizeof name, "example_out%d.npy", w);
            out_path(paths[w], sizeof paths[w], name);
            args[n++] = a;
            args[n++] = paths[w];
            w++;
        } else if (strchr(a, '=') || (a[0] == '-' && !is_number(a))) {
            args[n++] = a;
        } else {
            /* an input: the input-th operand of the expression */
            size_t oplen = strcspn(operand, ",");
            if (operand + oplen > expr + arrow) oplen = (size_t)(expr + arrow - operand);
            size_t alen = strlen(a);
            if (alen > 4 && strcmp(a + alen - 4, ".npy") == 0) {
                int64_t shape[EINC_MAX_DIMS];
                int nd = known && files < 4 && known->shapes[files] ? parse_shape(known->shapes[files], shape)
                                                                    : simple_shape(expr, operand, oplen, shape);
                if (nd < 0) {
                    fprintf(stderr, "help example needs input shapes in known_examples of test_cli.c: %s\n", line);
                    test_failed_checks_++;
                    einc_scope_end(ctx);
                    return true;
                }
                char name[64];
                snprintf(name, sizeof name, "example_in%d.npy", input);
                save_input(ctx, name, ramp(ctx, nd, shape));
                in_path(paths[w], sizeof paths[w], name);
                args[n++] = paths[w];
                files++;
            } else {
                args[n++] = a; /* a plain number */
            }
            input++;
            operand += oplen + (operand[oplen] == ',');
        }
    }
    einc_scope_end(ctx);
    run_tool(n, args);
    bool ok = run_status == 0 && run_err[0] == '\0';
    clear_dir(out_dir);
    return ok;
}

/* Runs every "einc OP 'EXPR' ..." command line found in `text`; returns how many it found. */
static int run_examples(einc_ctx *ctx, const char *text, const char *source) {
    static char copy[CAPTURE_SIZE];
    snprintf(copy, sizeof copy, "%s", text);
    int found = 0;
    for (char *p = copy; (p = strstr(p, "einc ")) != NULL; p += 5) {
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
        char words[3][256];
        if (split_words(line, words, 3) < 3 || einc_op_from_name(words[1]) < 0 || strcmp(words[2], "EXPR") == 0 ||
            !strchr(line, '\''))
            continue;
        found++;
        if (!run_example(ctx, line)) {
            fprintf(stderr, "%s: the example does not run: %s\n  exit status %d, stderr: %s\n", source, line,
                    run_status, run_err);
            test_failed_checks_++;
        }
    }
    return found;
}

TEST(help_shows_usage_and_examples_that_run) {
    einc_ctx *ctx = einc_ctx_create();
    run("--help", NULL);
    CHECK_RUN(run_status == 0);
    CHECK_RUN(strstr(run_out, "usage: einc OP 'EXPR' IN.npy") != NULL);
    CHECK_RUN(strstr(run_out, "-o OUT.npy") && strstr(run_out, "--explain") && strstr(run_out, "NAME=VALUE"));
    static char global_help[CAPTURE_SIZE];
    snprintf(global_help, sizeof global_help, "%s", run_out);
    CHECK(run_examples(ctx, global_help, "einc --help") >= 3);

    /* every operation */
    for (int op = 0; op < EINC_OP_COUNT_; op++) {
        const char *name = einc_op_name((einc_op)op);
        run(name, "--help", NULL);
        CHECK_RUN(run_status == 0);
        char want[128];
        snprintf(want, sizeof want, "usage: einc %s 'EXPR'", name);
        CHECK_RUN(strstr(run_out, want) != NULL);
        static char op_help[CAPTURE_SIZE];
        snprintf(op_help, sizeof op_help, "%s", run_out);
        /* at least one example command of this very operation */
        snprintf(want, sizeof want, "einc %s '", name);
        bool has_example = false;
        for (const char *p = op_help; (p = strstr(p, want)) != NULL; p++)
            if (!starts_with(p + strlen(want), "EXPR'")) has_example = true;
        if (!has_example) {
            fprintf(stderr, "einc %s --help shows no example command (\"%s...\")\n", name, want);
            test_failed_checks_++;
        }
        char source[128];
        snprintf(source, sizeof source, "einc %s --help", name);
        run_examples(ctx, op_help, source);
    }
    run("frobnicate", "--help", NULL);
    CHECK_RUN(run_status != 0 && starts_with(run_err, "ValueError: "));
    einc_ctx_destroy(ctx);
}

/* --version names the version, the dispatch level in force and the GEMM in use. */
TEST(version_reports_dispatch_and_gemm) {
    char want[256];
    run("--version", NULL);
    CHECK_RUN(run_status == 0);
    snprintf(want, sizeof want, "einc %d.%d.%d", EINC_VERSION_MAJOR, EINC_VERSION_MINOR, EINC_VERSION_PATCH);
    CHECK_RUN(starts_with(run_out, want));
    snprintf(want, sizeof want, "dispatch: %s", einc_cpu_level_name(einc_cpu_level_active()));
    CHECK_RUN(strstr(run_out, want) != NULL);
    snprintf(want, sizeof want, "CBLAS built in: %s", einc_blas_backend());
    CHECK_RUN(strstr(run_out, want) != NULL);
    CHECK_RUN(strstr(run_out, "gemm: einc") != NULL || strstr(run_out, "gemm: cblas") != NULL);
    /* EINC_CPU lowers the level the tool reports (the baseline is always available) */
    const char *saved = getenv("EINC_CPU");
    char keep[64] = "";
    if (saved) snprintf(keep, sizeof keep, "%s", saved);
    setenv("EINC_CPU", "baseline", 1);
    run("--version", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "dispatch: baseline") != NULL);
    CHECK_RUN(strstr(run_out, "EINC_CPU=baseline") != NULL);
    if (saved) setenv("EINC_CPU", keep, 1);
    else unsetenv("EINC_CPU");
}

/* ---- explain, keepdims, numbers --------------------------------------------------------------- */

TEST(explain_prints_the_resolved_expression) {
    char x[1200], x3[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(x3, sizeof x3, "x3.npy");
    out_path(o, sizeof o, "o.npy");

    run("sum", "a [b]", x, "--explain", NULL); /* without -o: only the plan */
    CHECK_RUN(run_status == 0);
    CHECK_RUN(strstr(run_out, "a [b] -> a") != NULL);
    CHECK_RUN(strstr(run_out, "a=10") && strstr(run_out, "b=5"));
    CHECK_RUN(dir_entries(out_dir) == 0);

    run("id", "a b c", x3, "--explain", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "a b c -> a b c") != NULL);

    run("id", "b (h w) c -> b c h w", x3, "--explain", "h=1", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "b (h w) c -> b c h w") && strstr(run_out, "w=3"));

    /* with -o: the plan, and the output is written */
    run("id", "a b -> b a", x, "-o", o, "--explain", NULL);
    CHECK_RUN(run_status == 0 && strstr(run_out, "a b -> b a") != NULL);
    CHECK_RUN(file_exists(o));
    clear_dir(out_dir);

    /* a bad expression fails the same way with --explain */
    run("id", "a b c -> a c b", x, "--explain", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "RankError: "));
}

TEST(keepdims_for_reductions) {
    einc_ctx *ctx = einc_ctx_create();
    char x[1200], x3[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(x3, sizeof x3, "x3.npy");
    out_path(o, sizeof o, "o.npy");
    einc_tensor *xt = einc_npy_load(ctx, x);
    einc_tensor *want = einc_sum(ctx, "a [b]", xt);

    run("sum", "a [b]", x, "-o", o, "keepdims=true", NULL);
    CHECK_RUN(run_status == 0);
    einc_tensor *got = load_output(ctx, o);
    if (got) {
        CHECK_EQ_INT(einc_tensor_ndim(got), 2);
        CHECK_EQ_INT(einc_tensor_dim(got, 0), 10);
        CHECK_EQ_INT(einc_tensor_dim(got, 1), 1);
        CHECK_TENSOR_CLOSE(einc_tensor_reshape(ctx, got, 1, (const int64_t[]){10}), want, 1e-6, 1e-6);
    }
    run("sum", "a [b]", x, "-o", o, "keepdims=false", NULL);
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK(got && einc_tensor_ndim(got) == 1);
    CHECK_TENSOR_CLOSE(got, want, 1e-6, 1e-6);

    run("mean", "[a] b c", x3, "-o", o, "keepdims=true", NULL);
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK(got && einc_tensor_ndim(got) == 3 && einc_tensor_dim(got, 0) == 1 && einc_tensor_dim(got, 2) == 4);

    /* with an explicit output keepdims has no effect (einx 0.4.3) */
    run("sum", "a b c -> a", x3, "-o", o, "keepdims=true", NULL);
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK(got && einc_tensor_ndim(got) == 1 && einc_tensor_dim(got, 0) == 2);
    clear_dir(out_dir);
    einc_ctx_destroy(ctx);
}

TEST(plain_numbers_are_0d_inputs) {
    einc_ctx *ctx = einc_ctx_create();
    char x[1200], i32[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    in_path(i32, sizeof i32, "i32.npy");
    out_path(o, sizeof o, "o.npy");
    einc_tensor *xt = einc_npy_load(ctx, x);

    run("add", "a b, -> a b", x, "2", "-o", o, NULL);
    CHECK_RUN(run_status == 0 && run_err[0] == '\0');
    einc_tensor *got = load_output(ctx, o);
    CHECK_TENSOR_CLOSE(got, einc_tensor_add(ctx, xt, einc_tensor_scalar(ctx, EINC_FLOAT32, 2)), 0, 0);

    run("multiply", "a b,", x, "-1.5", "-o", o, NULL); /* a negative number is not an option */
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK_TENSOR_CLOSE(got, einc_tensor_mul(ctx, xt, einc_tensor_scalar(ctx, EINC_FLOAT32, -1.5)), 0, 0);

    /* an integer stays an integer: int32 + 3 is int32 (NumPy's rule for scalars) */
    run("add", "a b, -> a b", i32, "3", "-o", o, NULL);
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK(got && einc_tensor_dtype(got) == EINC_INT32);
    if (got) CHECK_EQ_INT(einc_tensor_get(got, (const int64_t[]){1, 2}), 6 + 3);

    /* only numbers: a float64 result broadcast to a=(3, 4) */
    run("id", "-> a...", "2.5", "-o", o, "a=3,4", NULL);
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK_TENSOR_CLOSE(got, einc_tensor_full(ctx, EINC_FLOAT64, EINC_SHAPE(3, 4), 2.5), 0, 0);

    /* where with two numbers */
    run("where", "a b, , ", x, "1", "0", "-o", o, NULL);
    CHECK_RUN(run_status == 0);
    got = load_output(ctx, o);
    CHECK(got && einc_tensor_dtype(got) == EINC_INT64 && einc_tensor_get(got, (const int64_t[]){0, 0}) == 1);
    clear_dir(out_dir);
    einc_ctx_destroy(ctx);
}

TEST(success_prints_nothing_and_overwrites) {
    einc_ctx *ctx = einc_ctx_create();
    char x[1200], o[1200];
    in_path(x, sizeof x, "x.npy");
    out_path(o, sizeof o, "o.npy");
    run("id", "a b -> b a", x, "-o", o, NULL);
    CHECK_RUN(run_status == 0 && run_out[0] == '\0' && run_err[0] == '\0');
    run("sum", "a [b]", x, "-o", o, NULL); /* the same path again: replaced */
    CHECK_RUN(run_status == 0);
    einc_tensor *got = load_output(ctx, o);
    CHECK(got && einc_tensor_ndim(got) == 1 && einc_tensor_dim(got, 0) == 10);
    CHECK_EQ_INT(dir_entries(out_dir), 1);
    clear_dir(out_dir);
    einc_ctx_destroy(ctx);
}

/* ---- setup ------------------------------------------------------------------------------------ */

static bool setup(void) {
    if (!test_tool_setup("cli")) return false;
    einc_ctx *ctx = einc_ctx_create();
    save_input(ctx, "x.npy", ramp(ctx, EINC_SHAPE(10, 5)));
    save_input(ctx, "x3.npy", ramp(ctx, EINC_SHAPE(2, 3, 4)));
    save_input(ctx, "v3.npy", ramp(ctx, EINC_SHAPE(3)));
    save_input(ctx, "v4.npy", ramp(ctx, EINC_SHAPE(4)));
    save_input(ctx, "sq.npy", ramp(ctx, EINC_SHAPE(3, 3)));
    save_input(ctx, "empty.npy", einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 0)));
    einc_tensor *i32 = einc_tensor_arange(ctx, EINC_INT32, 0, 12, 1);
    save_input(ctx, "i32.npy", einc_tensor_reshape(ctx, i32, EINC_SHAPE(3, 4)));
    einc_ctx_destroy(ctx);

    char p[1200];
    in_path(p, sizeof p, "garbage.npy");
    FILE *f = fopen(p, "wb");
    if (!f) return false;
    fputs("this is not a .npy file\n", f);
    fclose(f);
    /* a valid file cut off inside its header */
    char whole[1200];
    static char bytes[256];
    in_path(whole, sizeof whole, "x.npy");
    f = fopen(whole, "rb");
    size_t n = f ? fread(bytes, 1, 40, f) : 0;
    if (f) fclose(f);
    in_path(p, sizeof p, "truncated.npy");
    f = fopen(p, "wb");
    if (!f || n != 40) return false;
    fwrite(bytes, 1, n, f);
    fclose(f);
    return true;
}

/* A full disk, as a small file-size limit (RLIMIT_FSIZE) in a child: the write fails with
 * SIGXFSZ, the tool's handler removes its temporary, and the old output is intact. */
TEST(full_disk_keeps_the_old_file) {
    einc_ctx *ctx = einc_ctx_create();
    char x[1200], keep[1200];
    static char before[4096], after[4096];
    in_path(x, sizeof x, "big.npy");
    out_path(keep, sizeof keep, "keep.npy");
    einc_npy_save(ctx, x, einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(4000)));
    einc_npy_save(ctx, keep, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5)));
    long nb = file_bytes(keep, before, sizeof before);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &lim);
        execl(tool, tool, "id", "a -> a", x, "-o", keep, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
    CHECK(file_bytes(keep, after, sizeof after) == nb && memcmp(before, after, (size_t)nb) == 0);
    CHECK_EQ_INT(dir_entries(out_dir), 1); /* keep.npy alone: the temporary was removed */
    clear_dir(out_dir);
    einc_ctx_destroy(ctx);
}

int main(void) {
    if (!setup()) {
        fprintf(stderr, "test_cli: setup failed\n");
        return 1;
    }
    test_read_table("notation/cases.txt", '|', 6, add_case, NULL);
    RUN(constraint_text_becomes_arguments);
    RUN(golden_cases_through_the_tool);
    RUN(failures_exit_1_with_the_class_first_and_leave_no_file);
    RUN(an_output_in_a_missing_directory_leaves_nothing);
    RUN(a_failing_output_replaces_no_file);
    RUN(full_disk_keeps_the_old_file);
    RUN(usage_errors);
    RUN(help_shows_usage_and_examples_that_run);
    RUN(version_reports_dispatch_and_gemm);
    RUN(explain_prints_the_resolved_expression);
    RUN(keepdims_for_reductions);
    RUN(plain_numbers_are_0d_inputs);
    RUN(success_prints_nothing_and_overwrites);
    test_tool_teardown();
    return test_summary();
}
