/* The command-line tool's outputs under crashes and contention (build/einc as separate
 * processes; issue 12 item 4, issue 13 item 3): a full disk (RLIMIT_FSIZE in the child, which dies
 * of SIGXFSZ) for .npy and safetensors outputs; a writer killed mid-write with SIGKILL (which can
 * clean nothing: the next run removes its stale temporary) and with SIGTERM (which removes its
 * own); a writer killed after staging while blocked on a FIFO; two writers at once to one target
 * while a reader checks it. In every case the target is the old file or a new one, complete, and
 * no temporary is left once a run has completed. The kills mid-write use the tool's test hook
 * EINC_TOOL_TEST_STALL_WRITE=N (its writes of regular files stop after N bytes). */
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include "test_tool.h"

static einc_ctx *ctx;
static char big_a[1200], big_b[1200]; /* in/: 100,000 float64 of 1.0 and of 2.0 */

/* The bytes of a file, malloc'ed; *n its size. NULL if it cannot be read. */
static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    *n = buf ? fread(buf, 1, (size_t)size, f) : 0;
    fclose(f);
    return buf;
}

static bool same_bytes(const char *path, const char *want, size_t nwant) {
    size_t n = 0;
    char *got = slurp(path, &n);
    bool ok = got && n == nwant && memcmp(got, want, n) == 0;
    free(got);
    return ok;
}

/* Starts the tool with `args` (NULL-terminated) and, when not NULL, `env` ("NAME=VALUE") added to
 * the environment; stdin, stdout and stderr are /dev/null. Returns the pid, or -1. */
static pid_t spawn_tool(const char *const *args, const char *env) {
    char *argv[MAX_ARGV + 2], *envp[512];
    int n = 0, e = 0;
    argv[n++] = tool;
    for (; args[n - 1] && n < MAX_ARGV; n++) argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    for (char **p = environ; *p && e < 510; p++) envp[e++] = *p;
    if (env) envp[e++] = (char *)env;
    envp[e] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, tool, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

static int wait_status(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    return status;
}

/* Size of the first temporary (".einc-tmp.") in out_dir, or -1 if there is none. */
static long temp_size(void) {
    DIR *d = opendir(out_dir);
    long size = -1;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strstr(e->d_name, ".einc-tmp.")) continue;
        char p[2300];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", out_dir, e->d_name);
        if (stat(p, &sb) == 0) size = (long)sb.st_size;
        break;
    }
    if (d) closedir(d);
    return size;
}

/* Waits up to 20 s until a temporary of at least `bytes` bytes exists. */
static bool wait_for_temp(long bytes) {
    for (int i = 0; i < 20000; i++) {
        if (temp_size() >= bytes) return true;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return false;
}

static void save_old(const char *path, char **bytes, size_t *n) {
    einc_npy_save(ctx, path, einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5)));
    *bytes = slurp(path, n);
}

TEST(full_disk_keeps_the_old_safetensors_file) {
    char file[1200], arg[1300], in[1300];
    out_path(file, sizeof file, "w.safetensors");
    einc_state *st = einc_state_new(ctx);
    einc_state_set(st, "old", einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5)));
    CHECK(einc_safetensors_save(ctx, file, st) == EINC_OK);
    einc_state_free(st);
    size_t n = 0;
    char *before = slurp(file, &n);
    snprintf(arg, sizeof arg, "%s:new", file);
    snprintf(in, sizeof in, "%s", big_a);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {65536, 65536}; /* the 800 kB tensor does not fit */
        setrlimit(RLIMIT_FSIZE, &lim);
        execl(tool, tool, "id", "a -> a", in, "-o", arg, (char *)NULL);
        _exit(127);
    }
    int status = wait_status(pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
    CHECK(before && same_bytes(file, before, n));
    CHECK_EQ_INT(dir_entries(out_dir), 1); /* the SIGXFSZ handler removed the temporary */
    /* with room again it works, and the old tensor stays */
    run("id", "a -> a", in, "-o", arg, "--no-sync", NULL);
    CHECK_RUN(run_status == 0);
    st = einc_safetensors_load(ctx, file);
    CHECK(st && einc_state_count(st) == 2 && einc_state_find(st, "old") >= 0);
    einc_state_free(st);
    free(before);
    clear_dir(out_dir);
}

TEST(sigkill_mid_write_keeps_the_old_file) {
    char keep[1200];
    out_path(keep, sizeof keep, "keep.npy");
    char *old = NULL;
    size_t nold = 0;
    save_old(keep, &old, &nold);
    const char *args[] = {"id", "a -> a", big_a, "-o", keep, NULL};
    pid_t pid = spawn_tool(args, "EINC_TOOL_TEST_STALL_WRITE=4096");
    CHECK(pid > 0);
    CHECK(wait_for_temp(4096)); /* half-written: 4096 of 800,128 bytes */
    kill(pid, SIGKILL);
    int status = wait_status(pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(same_bytes(keep, old, nold));
    CHECK_EQ_INT(dir_entries(out_dir), 2); /* SIGKILL cannot clean: the partial temporary is there */
    CHECK(temp_size() == 4096);
    /* the next run replaces the file and removes the dead writer's temporary */
    run("id", "a -> a", big_a, "-o", keep, NULL);
    CHECK_RUN(run_status == 0);
    size_t nb = 0;
    char *want = slurp(big_a, &nb);
    CHECK(want && same_bytes(keep, want, nb));
    CHECK_EQ_INT(dir_entries(out_dir), 1);
    free(want);
    free(old);
    clear_dir(out_dir);
}

TEST(sigterm_mid_write_removes_the_temporary) {
    char keep[1200];
    out_path(keep, sizeof keep, "keep.npy");
    char *old = NULL;
    size_t nold = 0;
    save_old(keep, &old, &nold);
    const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        const char *args[] = {"id", "a -> a", big_a, "-o", keep, NULL};
        pid_t pid = spawn_tool(args, "EINC_TOOL_TEST_STALL_WRITE=100000");
        CHECK(pid > 0);
        CHECK(wait_for_temp(100000));
        kill(pid, sigs[i]);
        int status = wait_status(pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sigs[i]); /* died of the signal, as without a handler */
        CHECK(same_bytes(keep, old, nold));
        CHECK_EQ_INT(dir_entries(out_dir), 1);
    }
    free(old);
    clear_dir(out_dir);
}

TEST(sigkill_after_staging_keeps_the_old_file) {
    /* two outputs: keep.npy is staged (written, synced) first, then the tool waits to open the FIFO,
     * which has no reader; killed there, nothing has been renamed */
    char keep[1200], fifo[1200];
    out_path(keep, sizeof keep, "keep.npy");
    out_path(fifo, sizeof fifo, "pipe");
    char *old = NULL;
    size_t nold = 0;
    save_old(keep, &old, &nold);
    CHECK(mkfifo(fifo, 0600) == 0);
    const char *args[] = {"id", "(x + y) -> x, y", big_a, "-o", keep, "-o", fifo, "x=50000", NULL};
    pid_t pid = spawn_tool(args, NULL);
    CHECK(pid > 0);
    CHECK(wait_for_temp(400128)); /* half of big_a: 50,000 float64 and the header */
    struct timespec pause_ = {0, 50000000};
    nanosleep(&pause_, NULL);
    kill(pid, SIGKILL);
    wait_status(pid);
    CHECK(same_bytes(keep, old, nold));
    CHECK(temp_size() == 400128);
    unlink(fifo);
    run("id", "a -> a", big_a, "-o", keep, NULL); /* removes the stale temporary */
    CHECK_RUN(run_status == 0);
    CHECK_EQ_INT(dir_entries(out_dir), 1);
    free(old);
    clear_dir(out_dir);
}

TEST(two_writers_at_once) {
    char target[1200];
    out_path(target, sizeof target, "t.npy");
    char *old = NULL;
    size_t nold = 0, na = 0, nb = 0;
    save_old(target, &old, &nold);
    char *a = slurp(big_a, &na), *b = slurp(big_b, &nb);
    int reads = 0, bad_reads = 0, ends_a = 0, ends_b = 0;
    for (int round = 0; round < 12; round++) {
        const char *wa[] = {"id", "a -> a", big_a, "-o", target, NULL};
        const char *wb[] = {"id", "a -> a", big_b, "-o", target, round % 2 ? "--no-sync" : "--break-links", NULL};
        pid_t pa = spawn_tool(wa, NULL), pb = spawn_tool(wb, NULL);
        CHECK(pa > 0 && pb > 0);
        /* read the target while they run: always the old file or one of the new ones, complete */
        for (int done = 0; done < 2;) {
            size_t n = 0;
            char *got = slurp(target, &n);
            reads++;
            bool ok = got && ((n == nold && memcmp(got, old, n) == 0) || (n == na && memcmp(got, a, n) == 0) ||
                              (n == nb && memcmp(got, b, n) == 0));
            if (!ok) bad_reads++;
            free(got);
            int status;
            pid_t w = waitpid(-1, &status, WNOHANG);
            if (w == pa || w == pb) {
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                done++;
            }
        }
        if (same_bytes(target, a, na)) ends_a++;
        else if (same_bytes(target, b, nb)) ends_b++;
        CHECK_EQ_INT(dir_entries(out_dir), 1); /* no temporary left */
    }
    CHECK_EQ_INT(bad_reads, 0);
    CHECK_EQ_INT(ends_a + ends_b, 12);
    CHECK(reads >= 24);
    free(a);
    free(b);
    free(old);
    clear_dir(out_dir);
}

TEST(two_writers_into_one_safetensors_file) {
    /* each rewrites the whole file: the result is always a complete, valid file with the old tensor;
     * without a lock, one writer's tensor may be lost (docs/cli.md) */
    char file[1200], ta[1300], tb[1300];
    out_path(file, sizeof file, "w.safetensors");
    snprintf(ta, sizeof ta, "%s:a", file);
    snprintf(tb, sizeof tb, "%s:b", file);
    for (int round = 0; round < 6; round++) {
        einc_state *st = einc_state_new(ctx);
        einc_state_set(st, "old", einc_tensor_zeros(ctx, EINC_INT64, EINC_SHAPE(5)));
        CHECK(einc_safetensors_save(ctx, file, st) == EINC_OK);
        einc_state_free(st);
        const char *wa[] = {"id", "a -> a", big_a, "-o", ta, NULL};
        const char *wb[] = {"id", "a -> a", big_b, "-o", tb, NULL};
        pid_t pa = spawn_tool(wa, NULL), pb = spawn_tool(wb, NULL);
        int sa = wait_status(pa), sb = wait_status(pb);
        CHECK(WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
        st = einc_safetensors_load(ctx, file);
        CHECK(st && einc_state_find(st, "old") >= 0 &&
              (einc_state_find(st, "a") >= 0 || einc_state_find(st, "b") >= 0));
        einc_state_free(st);
        einc_clear_error(ctx);
        CHECK_EQ_INT(dir_entries(out_dir), 1);
    }
    clear_dir(out_dir);
}

int main(void) {
    if (!test_tool_setup("cli_crash")) return 1;
    ctx = einc_ctx_create();
    in_path(big_a, sizeof big_a, "a.npy");
    in_path(big_b, sizeof big_b, "b.npy");
    save_input(ctx, "a.npy", einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(100000)));
    save_input(ctx, "b.npy", einc_tensor_full(ctx, EINC_FLOAT64, EINC_SHAPE(100000), 2.0));
    RUN(full_disk_keeps_the_old_safetensors_file);
    RUN(sigkill_mid_write_keeps_the_old_file);
    RUN(sigterm_mid_write_removes_the_temporary);
    RUN(sigkill_after_staging_keeps_the_old_file);
    RUN(two_writers_at_once);
    RUN(two_writers_into_one_safetensors_file);
    einc_ctx_destroy(ctx);
    test_tool_teardown();
    return test_summary();
}
