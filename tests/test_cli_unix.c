/* The command-line tool as a Unix tool (build/einc, run as a separate process): options anywhere
 * (-oFILE, --output=FILE, --output FILE, -o after the operands or before the operation, `--`),
 * --version anywhere, "did you mean" for misspelled operations and options, `-` as standard input
 * and `-o -` as standard output, devices and FIFOs written in place, symbolic links followed and
 * kept, modes kept, hard links refused unless --break-links, --no-sync. */
#include <signal.h>

#include "test_tool.h"

static einc_ctx *ctx;
static char t_npy[1200]; /* (2, 3) float32 ramp */

static einc_tensor *expected_transpose(void) {
    return einc_tensor_permute(ctx, einc_npy_load(ctx, t_npy), EINC_DIMS(1, 0));
}

/* The output at `path` holds t.npy transposed. */
static bool holds_transpose(const char *path) {
    einc_scope_begin(ctx);
    einc_tensor *got = einc_npy_load(ctx, path);
    bool ok = got && test_tensors_close_(__FILE__, __LINE__, got, expected_transpose(), 0, 0, 1);
    einc_scope_end(ctx);
    einc_clear_error(ctx);
    return ok;
}

TEST(options_anywhere) {
    char out[1200], arg[1300];
    out_path(out, sizeof out, "y.npy");
    const char *forms[][8] = {
        {"id", "a b -> b a", t_npy, "-o", out, NULL},       /* the usual order */
        {"id", "-o", out, "a b -> b a", t_npy, NULL},       /* -o before the expression */
        {"-o", out, "id", "a b -> b a", t_npy, NULL},       /* before the operation */
        {"id", "a b -> b a", "--output", out, t_npy, NULL}, /* --output FILE */
        {"id", "a b -> b a", t_npy, arg, NULL},             /* -oFILE or --output=FILE (arg) */
        {"id", "--no-sync", "a b -> b a", t_npy, "-o", out, NULL},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        for (int k = 0; k < 2; k++) {
            if (k == 1 && i != 4) continue;
            snprintf(arg, sizeof arg, "%s%s", k ? "--output=" : "-o", out);
            unlink(out);
            run_argv(forms[i]);
            CHECK_RUN(run_status == 0 && run_err[0] == '\0');
            CHECK(holds_transpose(out));
        }
    }
    unlink(out);
    /* --explain after the operands, without -o: only the plan */
    run("dot", "a b, b c -> a c", t_npy, "--explain", t_npy, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "AxisSizeError"));
    run("sum", "a [b]", t_npy, "--explain", NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "einx.sum: a [b] -> a"));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
    /* -o with nothing after it, and an empty name */
    run("id", "a b", t_npy, "-o", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "-o needs a file name"));
    run("id", "a b", t_npy, "--output=", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "empty"));
    /* a negative number is an operand, not an option */
    run("multiply", "a b, -> a b", t_npy, "-2", "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    unlink(out);
}

/* Runs the tool in directory `dir` (fork, chdir, exec); stdout and stderr to /dev/null. */
static int run_in_dir(const char *dir, const char *const *args) {
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (chdir(dir) != 0) _exit(126);
        char *argv[16];
        int n = 0;
        argv[n++] = tool;
        for (; args[n - 1] && n < 15; n++) argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(tool, argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(double_dash_ends_options) {
    char dashed[1200], out[1200];
    in_path(dashed, sizeof dashed, "-x.npy");
    einc_npy_save(ctx, dashed, einc_npy_load(ctx, t_npy));
    /* without `--`, "-x.npy" is an unknown option; after it, a file (and -o names an output) */
    const char *bad[] = {"id", "a b -> b a", "-x.npy", "-o", "-y.npy", NULL};
    CHECK_EQ_INT(run_in_dir(in_dir, bad), 1);
    const char *good[] = {"id", "a b -> b a", "-o", "../out/y.npy", "--", "-x.npy", NULL};
    CHECK_EQ_INT(run_in_dir(in_dir, good), 0);
    out_path(out, sizeof out, "y.npy");
    CHECK(holds_transpose(out));
    /* after `--`, "-o" is an operand too: a second input here, so a ValueError on the count */
    run("id", "a b -> b a", "-o", out, "--", t_npy, "-o", NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError") && strstr(run_err, "'-o'"));
    unlink(dashed);
    unlink(out);
}

TEST(unknown_options_and_operations_get_suggestions) {
    run("sum", "a [b]", t_npy, "--explian", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "unknown option '--explian' (did you mean '--explain'?)"));
    run("sum", "--no-snyc", "a [b]", t_npy, NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "did you mean '--no-sync'?"));
    run("sum", "a [b]", t_npy, "-x", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "unknown option '-x'"));
    run("sum", "a [b]", t_npy, "--frobnicate", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "unknown option '--frobnicate'") && !strstr(run_err, "did you mean"));
    const char *typos[][2] = {
        {"summ", "sum"},    {"rearange", "rearrange"}, {"sotfmax", "softmax"},        {"get_ta", "get_at"},
        {"solev", "solve"}, {"argmxa", "argmax"},      {"elementwize", "elementwise"}};
    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "unknown operation '%s' (did you mean '%s'?)", typos[i][0], typos[i][1]);
        run(typos[i][0], "a [b]", t_npy, "-o", "y.npy", NULL);
        CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError") && strstr(run_err, want));
        run(typos[i][0], "--help", NULL);
        CHECK_RUN(run_status == 2 && strstr(run_err, want));
    }
    run("xyzzy", "a", t_npy, NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "unknown operation 'xyzzy'") && !strstr(run_err, "did you mean"));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

TEST(version_anywhere) {
    const char *forms[][4] = {{"--version", NULL}, {"sum", "--version", NULL}, {"id", "a b", "--version", NULL}};
    for (size_t i = 0; i < 3; i++) {
        run_argv(forms[i]);
        CHECK_RUN(run_status == 0 && starts_with(run_out, "einc ") && strstr(run_out, "dispatch:"));
    }
    run("sum", "a [b]", "-h", NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "einc sum:"));
}

TEST(dash_is_standard_input) {
    char out[1200];
    out_path(out, sizeof out, "y.npy");
    run_stdin = t_npy;
    run("id", "a b -> b a", "-", "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    CHECK(holds_transpose(out));
    run("add", "a b, a b", "-", "-", "-o", out, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError") && strstr(run_err, "only once"));
    /* an endless stream is cut off after the header says enough */
    run_stdin = "/dev/zero";
    run("id", "a", "-", "-o", out, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "FormatError") && strstr(run_err, "<stdin>"));
    run_stdin = NULL;
    run("id", "a", "-", "-o", out, NULL); /* /dev/null: empty */
    CHECK_RUN(run_status == 1 && starts_with(run_err, "FormatError"));
    unlink(out);
}

TEST(dash_o_dash_is_standard_output) {
    run("id", "a b -> b a", t_npy, "-o", "-", NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "\x93NUMPY"));
    CHECK(holds_transpose(tool_out_txt_));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
    /* with another output: both written */
    char out[1200];
    out_path(out, sizeof out, "q.npy");
    run("id", "(1 + 1) b -> b, b", t_npy, "-o", "-", "-o", out, NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "\x93NUMPY") && file_exists(out));
    unlink(out);
    run("id", "a b -> b a", t_npy, "-o", "-", "--explain", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "standard output"));
    run("id", "(1 + 1) b -> b, b", t_npy, "-o", "-", "-o", "-", NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "given twice"));
    /* the solvers' and einx 0.3's outputs too */
    run("matches", "a b", t_npy, "-o", "-", NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "\x93NUMPY"));
    run("reduce", "a [b]", t_npy, "-o", "-", "op=sum", NULL);
    CHECK_RUN(run_status == 0 && starts_with(run_out, "\x93NUMPY"));
    /* /dev/stdout (a symbolic link to the captured file): the link is not replaced */
    struct stat before, after;
    CHECK(lstat("/dev/stdout", &before) == 0);
    run("id", "a b -> b a", t_npy, "-o", "/dev/stdout", NULL);
    CHECK_RUN(run_status == 0);
    CHECK(holds_transpose(tool_out_txt_));
    CHECK(lstat("/dev/stdout", &after) == 0 && S_ISLNK(after.st_mode) == S_ISLNK(before.st_mode) &&
          after.st_ino == before.st_ino);
}

TEST(devices_and_fifos_are_written_in_place) {
    struct stat sb;
    run("id", "a b -> b a", t_npy, "-o", "/dev/null", NULL);
    CHECK_RUN(run_status == 0);
    CHECK(stat("/dev/null", &sb) == 0 && S_ISCHR(sb.st_mode));
    char fifo[1200];
    out_path(fifo, sizeof fifo, "pipe");
    CHECK(mkfifo(fifo, 0600) == 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK); /* a reader, so the tool's open does not wait */
    CHECK(rd >= 0);
    run("id", "a b -> b a", t_npy, "-o", fifo, NULL);
    CHECK_RUN(run_status == 0);
    static char buf[4096];
    ssize_t n = read(rd, buf, sizeof buf);
    close(rd);
    einc_scope_begin(ctx);
    einc_tensor *got = n > 0 ? einc_npy_load_buffer(ctx, buf, (size_t)n) : NULL;
    CHECK(got && CHECK_TENSOR_CLOSE(got, expected_transpose(), 0, 0));
    einc_scope_end(ctx);
    CHECK(lstat(fifo, &sb) == 0 && S_ISFIFO(sb.st_mode)); /* still the FIFO */
    CHECK_EQ_INT(dir_entries(out_dir), 1);                /* no temporary next to it */
    /* streams are written before any staged file is renamed: a failing one (/dev/full: ENOSPC)
     * replaces nothing */
    char keep[1200];
    static char before[4096], after[4096];
    out_path(keep, sizeof keep, "keep.npy");
    einc_npy_save(ctx, keep, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5)));
    read_file(keep, before, sizeof before);
    if (stat("/dev/full", &sb) == 0 && S_ISCHR(sb.st_mode)) {
        run("id", "(1 + 1) b -> b, b", t_npy, "-o", keep, "-o", "/dev/full", NULL);
        CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError") && strstr(run_err, "/dev/full"));
        read_file(keep, after, sizeof after);
        CHECK(memcmp(before, after, 168) == 0);
        CHECK_EQ_INT(dir_entries(out_dir), 2); /* keep.npy and the FIFO: the temporary was removed */
    }
    unlink(keep);
    unlink(fifo);
}

TEST(symlinks_followed_modes_kept) {
    char real[1200], link[1200];
    out_path(real, sizeof real, "real.npy");
    out_path(link, sizeof link, "link.npy");
    einc_npy_save(ctx, real, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(3)));
    chmod(real, 0640);
    CHECK(symlink("real.npy", link) == 0);
    run("id", "a b -> b a", t_npy, "-o", link, NULL);
    CHECK_RUN(run_status == 0);
    struct stat sb;
    CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode));
    CHECK(stat(real, &sb) == 0 && (sb.st_mode & 07777) == 0640);
    CHECK(holds_transpose(real));
    CHECK_EQ_INT(dir_entries(out_dir), 2);
    /* a dangling link: its target is created */
    unlink(real);
    run("id", "a b -> b a", t_npy, "-o", link, NULL);
    CHECK_RUN(run_status == 0);
    CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode) && holds_transpose(real));
    /* a new file: 0666 & ~umask */
    mode_t mask = umask(022);
    umask(mask);
    char fresh[1200];
    out_path(fresh, sizeof fresh, "fresh.npy");
    run("id", "a b -> b a", t_npy, "-o", fresh, NULL);
    CHECK(stat(fresh, &sb) == 0 && (sb.st_mode & 0777) == (0666 & ~mask));
    clear_dir(out_dir);
}

TEST(hard_links_need_break_links) {
    char a[1200], b[1200];
    out_path(a, sizeof a, "a.npy");
    out_path(b, sizeof b, "b.npy");
    einc_npy_save(ctx, a, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(3)));
    CHECK(link(a, b) == 0);
    static char before[4096], after[4096];
    read_file(b, before, sizeof before);
    run("id", "a b -> b a", t_npy, "-o", a, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError") && strstr(run_err, "hard links") &&
              strstr(run_err, "--break-links"));
    read_file(a, after, sizeof after);
    CHECK(memcmp(before, after, 128) == 0);
    run("id", "a b -> b a", t_npy, "-o", a, "--break-links", NULL);
    CHECK_RUN(run_status == 0);
    CHECK(holds_transpose(a));
    read_file(b, after, sizeof after); /* the other name keeps the old contents */
    CHECK(memcmp(before, after, 128) == 0);
    CHECK_EQ_INT(dir_entries(out_dir), 2);
    clear_dir(out_dir);
}

int main(void) {
    if (!test_tool_setup("cli_unix")) return 1;
    ctx = einc_ctx_create();
    in_path(t_npy, sizeof t_npy, "t.npy");
    const int64_t shape[2] = {2, 3};
    save_input(ctx, "t.npy", ramp(ctx, 2, shape));
    RUN(options_anywhere);
    RUN(double_dash_ends_options);
    RUN(unknown_options_and_operations_get_suggestions);
    RUN(version_anywhere);
    RUN(dash_is_standard_input);
    RUN(dash_o_dash_is_standard_output);
    RUN(devices_and_fifos_are_written_in_place);
    RUN(symlinks_followed_modes_kept);
    RUN(hard_links_need_break_links);
    einc_ctx_destroy(ctx);
    test_tool_teardown();
    return test_summary();
}
