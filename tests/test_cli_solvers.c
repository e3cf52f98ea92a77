/* The tool's solver and einx 0.3 commands (build/einc solve, solve_axes, solve_shapes, matches,
 * check, reduce, elementwise, vmap_with_axis, arange) run as separate processes:
 *   - printed axis lengths and shapes, matches' 0-d bool file, check's exit status;
 *   - every case of tests/golden/notation_solvers/compat.txt that the commands express (expected
 *     results from NumPy, tests/golden/gen_notation_solvers.py), output files compared in dtype,
 *     shape and values;
 *   - errors: exit status 1, the class first on stderr, no output file;
 *   - `einc --help` lists the commands and each `einc CMD --help` shows an example that runs.
 * Everything is written under a fresh directory in EINC_TEST_TMP and removed at the end. */
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

extern char **environ;

#define MAX_ARGV 64
#define CAPTURE_SIZE 65536

static char tool[1024], root[1024], in_dir[1100], out_dir[1100], out_txt[1100], err_txt[1100];
static int run_status;
static char run_out[CAPTURE_SIZE], run_err[CAPTURE_SIZE], run_cmd[4096];

static void read_all(const char *path, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static int dir_entries(const char *path) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void clear_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[2300];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        unlink(p);
    }
    closedir(d);
}

/* dst = a + b + c, cut to fit (paths here are far shorter than the buffers). */
static void join3(char *dst, size_t size, const char *a, const char *b, const char *c) {
    size_t len = 0;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > size - 1 - len) n = size - 1 - len;
        memcpy(dst + len, parts[i], n);
        len += n;
    }
    dst[len] = '\0';
}
static void in_path(char *buf, size_t size, const char *name) { join3(buf, size, in_dir, "/", name); }
static void out_path(char *buf, size_t size, const char *name) { join3(buf, size, out_dir, "/", name); }
static void golden_path(char *buf, size_t size, const char *name) {
    join3(buf, size, EINC_TEST_DATA, "/notation_solvers/", name);
}

static int run_tool(int nargs, const char *const *args) {
    char *argv[MAX_ARGV + 2];
    static char store[MAX_ARGV][1200];
    argv[0] = tool;
    size_t len = (size_t)snprintf(run_cmd, sizeof run_cmd, "einc");
    for (int i = 0; i < nargs && i < MAX_ARGV; i++) {
        snprintf(store[i], sizeof store[i], "%s", args[i]);
        argv[i + 1] = store[i];
        if (len < sizeof run_cmd) len += (size_t)snprintf(run_cmd + len, sizeof run_cmd - len, " '%s'", args[i]);
    }
    argv[nargs < MAX_ARGV ? nargs + 1 : MAX_ARGV + 1] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_txt, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_txt, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    run_out[0] = run_err[0] = '\0';
    if (rc != 0) {
        fprintf(stderr, "cannot run %s: %s\n", tool, strerror(rc));
        test_failed_checks_++;
        return run_status = -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    run_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    read_all(out_txt, run_out, sizeof run_out);
    read_all(err_txt, run_err, sizeof run_err);
    return run_status;
}

static int run(const char *first, ...) {
    const char *args[MAX_ARGV];
    int n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < MAX_ARGV; a = va_arg(ap, const char *)) args[n++] = a;
    va_end(ap);
    return run_tool(n, args);
}

#define CHECK_RUN(cond)                                                                          \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: CHECK(%s) failed for: %s\n  exit status %d\n  stdout: %s\n  stderr: %s\n", \
                    __FILE__, __LINE__, #cond, run_cmd, run_status, run_out, run_err);          \
            test_failed_checks_++;                                                               \
        }                                                                                        \
    } while (0)

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static einc_tensor *ramp(einc_ctx *ctx, int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, -3.0, -3.0 + 0.5 * (double)n, 0.5), ndim,
                               shape);
}

static void save_input(einc_ctx *ctx, const char *name, einc_tensor *t) {
    char p[1200];
    in_path(p, sizeof p, name);
    CHECK(einc_npy_save(ctx, p, t) == EINC_OK);
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
    CHECK_RUN(run_status == 1 && starts_with(run_err, "AxisSizeError: Failed to uniquely determine the size of the axes a, b"));
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

static int split_list(const char *list, char out[][256], int cap) {
    int n = 0;
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < cap; tok = strtok_r(NULL, ",", &save))
        snprintf(out[n++], sizeof out[0], "%s", tok);
    return n;
}

/* "a=2, b=(2, 3)" -> "a=2" "b=2,3" */
static int constraint_args(const char *text, char out[][128], int cap) {
    int n = 0, depth = 0;
    char item[256];
    size_t len = 0;
    for (const char *p = text;; p++) {
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            item[len] = '\0';
            if (len && n < cap) {
                size_t o = 0;
                for (const char *q = item; *q && o + 1 < 128; q++)
                    if (*q != ' ' && *q != '(' && *q != ')') out[n][o++] = *q;
                out[n++][o] = '\0';
            }
            len = 0;
            if (*p == '\0') break;
            continue;
        }
        if (len + 1 < sizeof item) item[len++] = *p;
    }
    return n;
}

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

TEST(golden_03_cases_through_the_tool) {
    char path[1024];
    snprintf(path, sizeof path, "%s/notation_solvers/compat.txt", EINC_TEST_DATA);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL);
    if (!fp) return;
    einc_ctx *ctx = einc_ctx_create();
    char line[2048];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        char *f[8];
        int k = 0;
        f[k++] = line;
        for (char *p = line; *p && k < 8; p++)
            if (*p == '\t') {
                *p = '\0';
                f[k++] = p + 1;
            }
        if (k == 8) run_compat_case(ctx, f);
    }
    fclose(fp);
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
    const char *cmds[] = {"solve", "solve_axes", "solve_shapes", "matches", "check", "reduce", "elementwise",
                          "vmap_with_axis", "arange"};
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
    snprintf(tool, sizeof tool, "%s/../einc", EINC_TEST_TMP);
    if (access(tool, X_OK) != 0) {
        fprintf(stderr, "the tool %s was not built (build every target: cmake --build build)\n", tool);
        return false;
    }
    snprintf(root, sizeof root, "%s/cli_solvers.XXXXXX", EINC_TEST_TMP);
    if (!mkdtemp(root)) return false;
    snprintf(in_dir, sizeof in_dir, "%s/in", root);
    snprintf(out_dir, sizeof out_dir, "%s/out", root);
    snprintf(out_txt, sizeof out_txt, "%s/stdout.txt", root);
    snprintf(err_txt, sizeof err_txt, "%s/stderr.txt", root);
    if (mkdir(in_dir, 0700) != 0 || mkdir(out_dir, 0700) != 0) return false;
    einc_ctx *ctx = einc_ctx_create();
    save_input(ctx, "x34.npy", ramp(ctx, EINC_SHAPE(3, 4)));
    save_input(ctx, "x.npy", ramp(ctx, EINC_SHAPE(2, 3)));
    save_input(ctx, "bias.npy", ramp(ctx, EINC_SHAPE(3)));
    einc_ctx_destroy(ctx);
    return true;
}

static void teardown(void) {
    clear_dir(in_dir);
    clear_dir(out_dir);
    rmdir(in_dir);
    rmdir(out_dir);
    unlink(out_txt);
    unlink(err_txt);
    rmdir(root);
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
    teardown();
    return test_summary();
}
