/* test_tool.h — running the command-line tool (build/einc) as a separate process, the way users
 * run it, for the test programs of the tool. Include it instead of test.h:
 *
 *   int main(void) {
 *       if (!test_tool_setup("cli")) return 1;      // EINC_TEST_TMP/cli.XXXXXX with in/ and out/
 *       RUN(...);                                   // tests call run(...) and check run_* below
 *       test_tool_teardown();                       // removes everything setup made
 *       return test_summary();
 *   }
 *
 *   run("solve", "a b", "3,4", NULL);               // or run_tool(nargs, args), run_argv(args)
 *   CHECK_RUN(run_status == 0 && starts_with(run_out, "a=3"));
 *
 * After each run: run_status (the exit status; 128 + signal if killed; -1 if it could not start),
 * run_out and run_err (stdout and stderr, cut to CAPTURE_SIZE - 1 bytes) and run_cmd (the command
 * as text); run_stdin changes the next runs' standard input. CHECK_RUN is CHECK that also prints those. Inputs a test
 * makes go to in_dir (in_path, save_input), outputs to out_dir (out_path); the tests' directories are flat, so
 * clear_dir and dir_entries need not recurse. */
#ifndef EINC_TEST_TOOL_H
#define EINC_TEST_TOOL_H

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

extern char **environ;

#define MAX_ARGV 64
#define CAPTURE_SIZE 65536

static char tool[1024];      /* the einc binary                                  */
static char tool_root[1024]; /* the temporary directory (mkdtemp)               */
static char in_dir[1100];    /* input files the tests create                    */
static char out_dir[1100];   /* where outputs go; must be empty after a failure */
static char tool_out_txt_[1100], tool_err_txt_[1100];

/* The last run: exit status, stdout, stderr and the command as text (for failure messages). */
static int run_status;
static char run_out[CAPTURE_SIZE], run_err[CAPTURE_SIZE];
static char run_cmd[4096];
/* What the next runs read as standard input (default /dev/null); set it back to NULL after use.
 * The last run's stdout, as a file: tool_out_txt_ (for binary output, e.g. `-o -`). */
static const char *run_stdin;

/* ---- files ------------------------------------------------------------------------------------ */

static inline bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads up to size - 1 bytes of a file into buf, NUL-terminated; "" if it cannot be opened. */
static inline void read_file(const char *path, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Number of entries in a directory, or -1. */
static inline int dir_entries(const char *path) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

/* Removes the files of one directory (not recursive). */
static inline void clear_dir(const char *path) {
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

/* dst = a + b + c, cut to fit (snprintf would warn about the truncation it cannot rule out; the
 * paths here are far shorter than the buffers). */
static inline void join3(char *dst, size_t size, const char *a, const char *b, const char *c) {
    size_t len = 0;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > size - 1 - len) n = size - 1 - len;
        memmove(dst + len, parts[i], n);
        len += n;
    }
    dst[len] = '\0';
}
/* Splits the case's constraint text into command-line arguments the way a user types them:
 * "qkv=3, nh=4" -> "qkv=3" "nh=4"; "ds=(2, 3)" -> "ds=2,3"; "b=()" stays "b=()". */
static inline int constraint_args(const char *text, char out[][128], int cap) {
    int n = 0, depth = 0;
    char item[256];
    size_t len = 0;
    for (const char *p = text;; p++) {
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            item[len] = '\0';
            if (len && n < cap) {
                char *eq = strchr(item, '=');
                size_t o = 0;
                for (const char *q = item; *q && o + 1 < sizeof out[n]; q++) {
                    if (*q == ' ' || (eq && q > eq && (*q == '(' || *q == ')'))) continue;
                    out[n][o++] = *q;
                }
                out[n][o] = '\0';
                if (eq && out[n][o - 1] == '=') snprintf(out[n] + o, sizeof out[n] - o, "()");
                if (eq && out[n][o - 1] == ',') { /* a 1-tuple keeps its parentheses: "r=(4,)" */
                    out[n][o - 1] = '\0';
                    char value[128];
                    snprintf(value, sizeof value, "%s", strchr(out[n], '=') + 1);
                    snprintf(strchr(out[n], '=') + 1, sizeof out[n] - (size_t)(strchr(out[n], '=') + 1 - out[n]),
                             "(%s,)", value);
                }
                n++;
            }
            len = 0;
            if (*p == '\0') break;
            continue;
        }
        if (len + 1 < sizeof item) item[len++] = *p;
    }
    return n;
}

static inline void in_path(char *buf, size_t size, const char *name) { join3(buf, size, in_dir, "/", name); }
static inline void out_path(char *buf, size_t size, const char *name) { join3(buf, size, out_dir, "/", name); }

/* Saves `t` as in_dir/name; a failed check if it cannot. */
static inline void save_input(einc_ctx *ctx, const char *name, einc_tensor *t) {
    char p[1200];
    in_path(p, sizeof p, name);
    if (einc_npy_save(ctx, p, t) != EINC_OK) {
        fprintf(stderr, "cannot write %s: %s\n", p, einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    }
}

/* A float32 tensor of the given shape holding 0.5 * (0, 1, 2, ...) - 3. */
static inline einc_tensor *ramp(einc_ctx *ctx, int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    einc_tensor *t = einc_tensor_arange(ctx, EINC_FLOAT32, -3.0, -3.0 + 0.5 * (double)n, 0.5);
    return einc_tensor_reshape(ctx, t, ndim, shape);
}

/* Splits a comma list ("a.npy,2.5,b.npy") into at most `cap` items; returns how many. */
static inline int split_list(const char *list, char out[][256], int cap) {
    int n = 0;
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < cap; tok = strtok_r(NULL, ",", &save))
        snprintf(out[n++], sizeof out[0], "%s", tok);
    return n;
}

/* ---- running the tool ------------------------------------------------------------------------- */

/* Runs the tool with argv[1..] = args[0..nargs-1]; stdin is /dev/null, stdout and stderr are
 * captured. Returns run_status. */
static inline int run_tool(int nargs, const char *const *args) {
    char *argv[MAX_ARGV + 2];
    static char store[MAX_ARGV][1200];
    if (nargs > MAX_ARGV) {
        fprintf(stderr, "run_tool: too many arguments\n");
        test_failed_checks_++;
        return -1;
    }
    argv[0] = tool;
    size_t len = (size_t)snprintf(run_cmd, sizeof run_cmd, "einc");
    for (int i = 0; i < nargs; i++) {
        snprintf(store[i], sizeof store[i], "%s", args[i]);
        argv[i + 1] = store[i];
        if (len < sizeof run_cmd) len += (size_t)snprintf(run_cmd + len, sizeof run_cmd - len, " '%s'", args[i]);
    }
    argv[nargs + 1] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, run_stdin ? run_stdin : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, tool_out_txt_, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, tool_err_txt_, O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
    read_file(tool_out_txt_, run_out, sizeof run_out);
    read_file(tool_err_txt_, run_err, sizeof run_err);
    return run_status;
}

/* run_tool with a NULL-terminated list of arguments. */
static inline int run_argv(const char *const *args) {
    int n = 0;
    while (args[n]) n++;
    return run_tool(n, args);
}

/* run(arg, arg, ..., NULL) */
static inline int run(const char *first, ...) {
    const char *args[MAX_ARGV];
    int n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < MAX_ARGV; a = va_arg(ap, const char *)) args[n++] = a;
    va_end(ap);
    return run_tool(n, args);
}

#define CHECK_RUN(cond)                                                                                                \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed for: %s\n  exit status %d\n  stdout: %s\n  stderr: %s\n",         \
                    __FILE__, __LINE__, #cond, run_cmd, run_status, run_out, run_err);                                 \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
    } while (0)

static inline bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* ---- setup ------------------------------------------------------------------------------------ */

/* Finds the tool (EINC_TEST_TMP/../einc) and makes EINC_TEST_TMP/<name>.XXXXXX with in/ and out/.
 * Prints why and returns false if it cannot. */
static inline bool test_tool_setup(const char *name) {
    snprintf(tool, sizeof tool, "%s/../einc", EINC_TEST_TMP);
    if (access(tool, X_OK) != 0) {
        fprintf(stderr, "the tool %s was not built (build every target: cmake --build build)\n", tool);
        return false;
    }
    snprintf(tool_root, sizeof tool_root, "%s/%s.XXXXXX", EINC_TEST_TMP, name);
    if (!mkdtemp(tool_root)) {
        fprintf(stderr, "mkdtemp %s failed\n", tool_root);
        return false;
    }
    join3(in_dir, sizeof in_dir, tool_root, "/in", "");
    join3(out_dir, sizeof out_dir, tool_root, "/out", "");
    join3(tool_out_txt_, sizeof tool_out_txt_, tool_root, "/stdout.txt", "");
    join3(tool_err_txt_, sizeof tool_err_txt_, tool_root, "/stderr.txt", "");
    if (mkdir(in_dir, 0700) != 0 || mkdir(out_dir, 0700) != 0) {
        fprintf(stderr, "cannot make %s or %s\n", in_dir, out_dir);
        return false;
    }
    return true;
}

/* Removes what test_tool_setup made and everything the tests left in in/ and out/. */
static inline void test_tool_teardown(void) {
    clear_dir(in_dir);
    clear_dir(out_dir);
    rmdir(in_dir);
    rmdir(out_dir);
    unlink(tool_out_txt_);
    unlink(tool_err_txt_);
    rmdir(tool_root);
}

#endif /* EINC_TEST_TOOL_H */
