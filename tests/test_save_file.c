/* test_save_file.c — how both savers replace a user's file: injected I/O failures, links, long names, temporaries. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "einc/io.h"
#include "einc/safetensors.h"
#include "test.h"

/* Fails the `fail_at`-th call (counted over write, fsync and rename together) with `err`; with
 * `short_writes` every write that succeeds writes at most 3 bytes, so continuation is exercised. */
typedef struct {
    int calls, fail_at, err;
    bool short_writes;
} injector;

static ptrdiff_t inj_write(void *user, int fd, const void *buf, size_t size) {
    injector *in = user;
    if (++in->calls == in->fail_at) {
        if (in->err == 0) return 0; /* a write that makes no progress: a full device */
        errno = in->err;
        return -1;
    }
    return write(fd, buf, in->short_writes && size > 3 ? 3 : size);
}

static int inj_fsync(void *user, int fd) {
    injector *in = user;
    if (++in->calls == in->fail_at) {
        errno = in->err ? in->err : EIO;
        return -1;
    }
    return fsync(fd);
}

static int inj_rename(void *user, const char *from, const char *to) {
    injector *in = user;
    if (++in->calls == in->fail_at) {
        errno = in->err ? in->err : EIO;
        return -1;
    }
    return rename(from, to);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static bool has_text(const char *path, const char *text) {
    char buf[64] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* Entries of EINC_TEST_TMP whose names contain `part`. */
static int count_with(const char *part) {
    DIR *d = opendir(EINC_TEST_TMP);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

static einc_status save_one(einc_ctx *ctx, int which, const char *path, const einc_save_options *o) {
    einc_tensor *t = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 40, 1);
    if (which == 0) return einc_npy_save_with(ctx, path, t, o);
    einc_state *s = einc_state_new(ctx);
    einc_state_set(s, "w", t);
    einc_status st = einc_safetensors_save_with(ctx, path, s, o);
    einc_state_free(s);
    return st;
}

/* Every write, fsync and rename of both savers fails in turn (EIO, ENOSPC, a zero-byte write),
 * with and without short writes: the call reports EIO, the old file is untouched and no
 * temporary is left; once nothing is failed any more the save succeeds. */
TEST(injected_failures_lose_nothing) {
    const char *path = EINC_TEST_TMP "/sf_inject.bin";
    const int errs[] = {EIO, ENOSPC, 0};
    for (int which = 0; which < 2; which++)
        for (int e = 0; e < 3; e++)
            for (int shortw = 0; shortw < 2; shortw++) {
                bool done = false;
                for (int k = 1; k < 200 && !done; k++) {
                    write_text(path, "old contents");
                    chmod(path, 0640);
                    injector in = {0, k, errs[e], shortw != 0};
                    einc_io_hooks hooks = {inj_write, inj_fsync, inj_rename, &in};
                    einc_save_options o = {0, &hooks, NULL, 0};
                    einc_ctx *ctx = einc_ctx_create();
                    einc_status st = save_one(ctx, which, path, &o);
                    if (in.calls < k) { /* nothing was failed: the save must have worked */
                        CHECK_EQ_INT(st, EINC_OK);
                        done = true;
                        if (which == 0) {
                            einc_tensor *back = einc_npy_load(ctx, path);
                            CHECK(back && einc_tensor_numel(back) == 40);
                        } else {
                            einc_state *back = einc_safetensors_load(ctx, path);
                            CHECK(back && einc_state_count(back) == 1);
                            einc_state_free(back);
                        }
                        struct stat sb;
                        CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0640);
                    } else if (st == EINC_OK) {
                        /* only the directory sync after the rename may fail this way */
                        CHECK(false);
                    } else {
                        CHECK_EQ_INT(st, EINC_EIO);
                        const char *msg = einc_errmsg(ctx);
                        /* a failed directory sync comes after the rename: then the new file is
                         * in place and the message says so; otherwise the old one is intact */
                        if (strstr(msg, "syncing its directory")) CHECK(!has_text(path, "old contents"));
                        else CHECK(has_text(path, "old contents"));
                    }
                    CHECK_EQ_INT(count_with("sf_inject.bin.einc-tmp."), 0);
                    einc_ctx_destroy(ctx);
                }
                CHECK(done);
            }
    remove(path);
}

/* A symlink is followed: the target gets the new contents and the link stays a link. */
TEST(symlink_is_followed) {
    const char *target = EINC_TEST_TMP "/sf_link_target.npy", *link = EINC_TEST_TMP "/sf_link.npy";
    write_text(target, "old contents");
    remove(link);
    CHECK(symlink("sf_link_target.npy", link) == 0);
    for (int which = 0; which < 2; which++) {
        einc_ctx *ctx = einc_ctx_create();
        CHECK_EQ_INT(save_one(ctx, which, link, NULL), EINC_OK);
        struct stat sb;
        CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode));
        CHECK(!has_text(target, "old contents"));
        if (which == 0) CHECK(einc_npy_load(ctx, target) != NULL);
        einc_ctx_destroy(ctx);
        write_text(target, "old contents");
    }
    /* the two-phase save follows it too */
    einc_ctx *ctx = einc_ctx_create();
    einc_npy_pending *p = einc_npy_save_begin(ctx, link, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 4, 1));
    CHECK(p != NULL);
    CHECK_EQ_INT(einc_npy_save_commit(p), EINC_OK);
    struct stat sb;
    CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode));
    CHECK(!has_text(target, "old contents"));
    einc_ctx_destroy(ctx);
    remove(link);
    remove(target);
    CHECK_EQ_INT(count_with("sf_link_target.npy.einc-tmp."), 0);
}

/* A file with a second hard link is refused unless EINC_SAVE_BREAK_LINKS is given. */
TEST(hard_link_refused_unless_asked) {
    const char *a = EINC_TEST_TMP "/sf_hard_a.npy", *b = EINC_TEST_TMP "/sf_hard_b.npy";
    remove(a);
    remove(b);
    write_text(a, "old contents");
    CHECK(link(a, b) == 0);
    for (int which = 0; which < 2; which++) {
        einc_ctx *ctx = einc_ctx_create();
        CHECK_EQ_INT(save_one(ctx, which, a, NULL), EINC_EIO);
        CHECK_ERROR(ctx, EINC_EIO, "has 2 hard links");
        CHECK(has_text(a, "old contents") && has_text(b, "old contents"));
        einc_ctx_destroy(ctx);
    }
    einc_ctx *ctx = einc_ctx_create();
    einc_save_options o = {EINC_SAVE_BREAK_LINKS, NULL, NULL, 0};
    CHECK_EQ_INT(save_one(ctx, 0, a, &o), EINC_OK);
    CHECK(!has_text(a, "old contents") && has_text(b, "old contents"));
    einc_ctx_destroy(ctx);
    remove(a);
    remove(b);
}

/* Names of every length up to NAME_MAX save, and their temporaries are removed. */
TEST(names_up_to_name_max) {
    for (int len = 200; len <= 255; len += 5) {
        char name[256], path[512];
        memset(name, 'n', (size_t)len);
        name[len] = '\0';
        snprintf(path, sizeof path, "%s/%s", EINC_TEST_TMP, name);
        for (int which = 0; which < 2; which++) {
            einc_ctx *ctx = einc_ctx_create();
            einc_status st = save_one(ctx, which, path, NULL);
            if (st != EINC_OK) fprintf(stderr, "length %d: %s\n", len, einc_errmsg(ctx));
            CHECK_EQ_INT(st, EINC_OK);
            einc_ctx_destroy(ctx);
        }
        CHECK(access(path, F_OK) == 0);
        remove(path);
    }
    /* this test's temporaries only: the directory is shared with tests running at the same time */
    CHECK_EQ_INT(count_with("nnnn.einc-tmp."), 0);
}

/* A temporary of a process that died is recognised by name and removed; a live one is kept. */
TEST(stale_temporaries_removed) {
    const char *path = EINC_TEST_TMP "/sf_stale.npy";
    /* a child stages a temporary and dies without removing it */
    pid_t pid = fork();
    if (pid == 0) {
        einc_ctx *ctx = einc_ctx_create();
        einc_npy_pending *p = einc_npy_save_begin(ctx, path, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 4, 1));
        _exit(p ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ_INT(count_with("sf_stale.npy.einc-tmp."), 1);
    /* one of this (live) process is kept */
    einc_ctx *ctx = einc_ctx_create();
    einc_npy_pending *mine = einc_npy_save_begin(ctx, path, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 4, 1));
    CHECK(mine != NULL);
    CHECK_EQ_INT(einc_save_remove_stale(ctx, path), 1);
    CHECK_EQ_INT(count_with("sf_stale.npy.einc-tmp."), 1);
    /* what a signal handler calls removes this process's staged temporary */
    einc_save_remove_temporaries();
    CHECK_EQ_INT(count_with("sf_stale.npy.einc-tmp."), 0);
    einc_npy_save_abort(mine);
    CHECK(access(path, F_OK) != 0);
    einc_ctx_destroy(ctx);
}

/* A FIFO (or device) is written in place by both savers: it stays a FIFO, no temporary is made;
 * staging one is refused. */
TEST(fifo_written_in_place) {
    const char *path = EINC_TEST_TMP "/sf_fifo";
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0);
    for (int which = 0; which < 2; which++) {
        einc_ctx *ctx = einc_ctx_create();
        int rd = open(path, O_RDONLY | O_NONBLOCK);
        CHECK(rd >= 0);
        CHECK_EQ_INT(save_one(ctx, which, path, NULL), EINC_OK);
        static char buf[8192];
        ssize_t n = read(rd, buf, sizeof buf);
        close(rd);
        einc_tensor *got = NULL;
        if (which == 0 && n > 0) got = einc_npy_load_buffer(ctx, buf, (size_t)n);
        einc_state *st = which == 1 && n > 0 ? einc_safetensors_load_buffer(ctx, buf, (size_t)n) : NULL;
        if (st) got = einc_state_get(st, "w");
        CHECK(got && einc_tensor_numel(got) == 40);
        einc_state_free(st);
        struct stat sb;
        CHECK(lstat(path, &sb) == 0 && S_ISFIFO(sb.st_mode));
        CHECK_EQ_INT(count_with("sf_fifo.einc-tmp."), 0);
        /* staging a FIFO is refused: it cannot be renamed over later */
        char staged[4200];
        einc_save_options o = {EINC_SAVE_STAGE, NULL, staged, sizeof staged};
        CHECK_EQ_INT(save_one(ctx, which, path, &o), EINC_EINVAL);
        CHECK(strstr(einc_errmsg(ctx), "a FIFO") && strstr(einc_errmsg(ctx), "cannot be staged"));
        einc_ctx_destroy(ctx);
    }
    /* /dev/null: in place, still the device */
    einc_ctx *ctx = einc_ctx_create();
    CHECK_EQ_INT(save_one(ctx, 0, "/dev/null", NULL), EINC_OK);
    struct stat sb;
    CHECK(stat("/dev/null", &sb) == 0 && S_ISCHR(sb.st_mode));
    /* /dev/full: the write error names the file */
    if (stat("/dev/full", &sb) == 0) {
        CHECK_EQ_INT(save_one(ctx, 1, "/dev/full", NULL), EINC_EIO);
        CHECK(strstr(einc_errmsg(ctx), "'/dev/full': cannot write (in place)"));
    }
    einc_ctx_destroy(ctx);
    unlink(path);
}

/* A staged temporary stays removable by the signal-handler call until committed or discarded. */
TEST(staged_temporaries_tracked_until_discarded) {
    const char *path = EINC_TEST_TMP "/sf_staged.safetensors";
    einc_ctx *ctx = einc_ctx_create();
    char staged[4200];
    einc_save_options o = {EINC_SAVE_STAGE, NULL, staged, sizeof staged};
    CHECK_EQ_INT(save_one(ctx, 1, path, &o), EINC_OK);
    CHECK_EQ_INT(count_with("sf_staged.safetensors.einc-tmp."), 1);
    einc_save_remove_temporaries();
    CHECK_EQ_INT(count_with("sf_staged.safetensors.einc-tmp."), 0);
    einc_save_discard(staged); /* gone already: harmless, and the slot is freed */
    CHECK_EQ_INT(save_one(ctx, 1, path, &o), EINC_OK);
    CHECK_EQ_INT(einc_save_commit(ctx, staged, path, NULL), EINC_OK);
    CHECK(access(path, F_OK) == 0);
    CHECK_EQ_INT(count_with("sf_staged.safetensors.einc-tmp."), 0);
    CHECK_EQ_INT(save_one(ctx, 0, path, &o), EINC_OK);
    einc_save_discard(staged);
    CHECK_EQ_INT(count_with("sf_staged.safetensors.einc-tmp."), 0);
    unlink(path);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(injected_failures_lose_nothing);
    RUN(symlink_is_followed);
    RUN(hard_link_refused_unless_asked);
    RUN(names_up_to_name_max);
    RUN(stale_temporaries_removed);
    RUN(fifo_written_in_place);
    RUN(staged_temporaries_tracked_until_discarded);
    return test_summary();
}
