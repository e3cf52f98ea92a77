/* save_file.c — replacing a user's file safely: temporary, metadata, sync, rename, directory sync.
 *
 * Both savers (npy.c, safetensors.c) and the tool's staged multi-output writes go through here, so
 * the promises of docs/reliability.md are kept in one place. A destination that is a device, FIFO
 * or socket is written in place (begin_in_place): steps 1-4 are for regular files. The order matters:
 *   1. follow a symlink to its final target (the link is kept, the target replaced); lstat the
 *      target: refuse a directory; refuse to break hard links unless asked (the other names would
 *      silently keep the old contents);
 *   2. create the temporary with O_EXCL | O_CLOEXEC next to it (same file system, so the rename
 *      is atomic; never an existing file; not inherited by a child process);
 *   3. write through the hooks; give it the old owner and mode only after the writes (the kernel
 *      drops set-user-ID bits on write);
 *   4. fsync, close (close can report a deferred write error on NFS), rename, fsync the
 *      directory (so the rename itself survives a crash).
 */
#include "save_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAVE_NAME_MAX 255 /* NAME_MAX on Linux and the BSDs; the temporary's name must fit */
#define SAVE_TAG ".einc-tmp."
/* ".einc-tmp." + 8 hex + "." + up to 10 pid digits + "." + 8 hex */
#define SAVE_SUFFIX_MAX (sizeof SAVE_TAG - 1 + 8 + 1 + 10 + 1 + 8)

/* ---- the hooks ---------------------------------------------------------------------------------- */

static ptrdiff_t io_write(const einc_save_options *o, int fd, const void *p, size_t n) {
    if (o->io && o->io->write) return o->io->write(o->io->user, fd, p, n);
    return write(fd, p, n);
}

static int io_fsync(const einc_save_options *o, int fd) {
    if (o->io && o->io->fsync) return o->io->fsync(o->io->user, fd);
    return fsync(fd);
}

static int io_rename(const einc_save_options *o, const char *from, const char *to) {
    if (o->io && o->io->rename) return o->io->rename(o->io->user, from, to);
    return rename(from, to);
}

/* ---- temporaries a signal handler may remove ------------------------------------------------- */

#define TRACK_SLOTS 64
static const char *volatile tracked[TRACK_SLOTS];

void einc__temp_track(const char *tmp) {
    for (int i = 0; i < TRACK_SLOTS; i++) {
        const char *none = NULL;
        if (__atomic_compare_exchange_n(&tracked[i], &none, tmp, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

void einc__temp_untrack(const char *tmp) {
    for (int i = 0; i < TRACK_SLOTS; i++) {
        const char *mine = tmp;
        if (__atomic_compare_exchange_n(&tracked[i], &mine, NULL, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

void einc_save_remove_temporaries(void) {
    int saved = errno; /* a handler must not change errno for the code it interrupted */
    for (int i = 0; i < TRACK_SLOTS; i++) {
        const char *t = __atomic_load_n(&tracked[i], __ATOMIC_SEQ_CST);
        if (t) unlink(t);
    }
    errno = saved;
}

/* ---- names -------------------------------------------------------------------------------------- */

/* The final component of `path` and the length of the directory part before it ("" for none). */
static const char *base_of(const char *path, size_t *dirlen) {
    const char *slash = strrchr(path, '/');
    *dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    return slash ? slash + 1 : path;
}

/* FNV-1a: ties a temporary to the full name even when the name had to be shortened. */
static uint32_t name_hash(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* How much of the name prefixes its temporaries: all of it when it fits, else cut so the whole
 * temporary name is at most SAVE_NAME_MAX bytes, and not inside a UTF-8 sequence. */
static size_t prefix_len(const char *base) {
    size_t n = strlen(base), cap = SAVE_NAME_MAX - SAVE_SUFFIX_MAX;
    if (n <= cap) return n;
    n = cap;
    while (n > 0 && ((unsigned char)base[n] & 0xc0) == 0x80) n--;
    return n;
}

static void temp_name(char *out, size_t cap, const char *path, uint32_t rnd) {
    size_t dirlen;
    const char *base = base_of(path, &dirlen);
    snprintf(out, cap, "%.*s%.*s" SAVE_TAG "%08x.%u.%08x", (int)dirlen, path, (int)prefix_len(base), base,
             (unsigned)name_hash(base), (unsigned)getpid(), (unsigned)rnd);
}

/* The final target of `path` after following symbolic links (at most 40, as the kernel), in a
 * buffer from the allocator (*cap bytes); a path that is no link, or whose target does not exist
 * yet, ends the walk. A relative link is taken from the link's own directory. */
static einc_status resolve_links(einc_ctx *ctx, const char *fname, const char *path, char **out, size_t *cap) {
    size_t c = strlen(path) + 1;
    char *cur = einc__alloc(ctx, c);
    if (!cur) return EINC_ENOMEM;
    memcpy(cur, path, c);
    for (int hops = 0;; hops++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode)) break;
        if (hops == 40) {
            einc__free(ctx, cur, c);
            return einc__error(ctx, EINC_EIO, "%s: '%s': too many levels of symbolic links", fname, path);
        }
        char link[4096];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n <= 0) {
            einc_status st = einc__error(ctx, EINC_EIO, "%s: '%s': cannot read the symbolic link '%s': %s", fname, path,
                                         cur, n < 0 ? strerror(errno) : "empty");
            einc__free(ctx, cur, c);
            return st;
        }
        link[n] = '\0';
        size_t dirlen = 0;
        if (link[0] != '/') base_of(cur, &dirlen);
        size_t c2 = dirlen + (size_t)n + 1;
        char *next = einc__alloc(ctx, c2);
        if (!next) {
            einc__free(ctx, cur, c);
            return EINC_ENOMEM;
        }
        memcpy(next, cur, dirlen);
        memcpy(next + dirlen, link, (size_t)n + 1);
        einc__free(ctx, cur, c);
        cur = next;
        c = c2;
    }
    *out = cur;
    *cap = c;
    return EINC_OK;
}

/* ---- checks ------------------------------------------------------------------------------------- */

/* What stands at `path` now. *old is set when a regular file is there to take metadata from. */
static einc_status check_dest(einc_ctx *ctx, const char *fname, const char *path, unsigned flags, bool *have_old,
                              struct stat *old) {
    *have_old = false;
    if (lstat(path, old) != 0) return EINC_OK; /* absent, or unreachable: creating the temporary says why */
    if (S_ISDIR(old->st_mode)) return einc__error(ctx, EINC_EIO, "%s: '%s': is a directory, not replaced", fname, path);
    if (S_ISREG(old->st_mode) && old->st_nlink > 1 && !(flags & EINC_SAVE_BREAK_LINKS))
        return einc__error(ctx, EINC_EIO,
                           "%s: '%s': has %llu hard links; replacing it would leave the other names with the old "
                           "contents (allow it with EINC_SAVE_BREAK_LINKS / --break-links)",
                           fname, path, (unsigned long long)old->st_nlink);
    *have_old = S_ISREG(old->st_mode);
    return EINC_OK;
}

/* ---- one replacement ---------------------------------------------------------------------------- */

static const char *kind_of(mode_t m) {
    return S_ISCHR(m)    ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

/* A device, FIFO or socket at `s->path` (links followed by open): written where it is. Nothing
 * is created, truncated or renamed; a FIFO's open waits for a reader, as for any writer. */
static einc_status begin_in_place(einc__saver *s, const struct stat *sb) {
    if (s->opt.flags & EINC_SAVE_STAGE)
        return einc__error(s->ctx, EINC_EINVAL,
                           "%s: '%s' is %s: it is written in place and cannot be staged for a later rename", s->fname,
                           s->path, kind_of(sb->st_mode));
    s->fd = open(s->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (s->fd < 0)
        return einc__error(s->ctx, EINC_EIO, "%s: '%s' (%s): cannot open it for writing: %s", s->fname, s->path,
                           kind_of(sb->st_mode), strerror(errno));
    s->in_place = true;
    return EINC_OK;
}

einc_status einc__save_begin(einc__saver *s, einc_ctx *ctx, const char *fname, const char *path,
                             const einc_save_options *options) {
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->fname = fname;
    s->path = path;
    s->fd = -1;
    if (options) s->opt = *options;
    struct stat now_there;
    if (stat(path, &now_there) == 0 && !S_ISREG(now_there.st_mode) && !S_ISDIR(now_there.st_mode))
        return begin_in_place(s, &now_there);
    einc_status st = resolve_links(ctx, fname, path, &s->target, &s->target_cap);
    if (st != EINC_OK) return st;
    s->tmp_cap = strlen(s->target) + EINC_SAVE_TEMP_EXTRA;
    if ((s->opt.flags & EINC_SAVE_STAGE) && (!s->opt.staged || s->opt.staged_size < s->tmp_cap)) {
        st = einc__error(ctx, EINC_EINVAL,
                         "%s: EINC_SAVE_STAGE needs options->staged of at least strlen(target) + "
                         "EINC_SAVE_TEMP_EXTRA bytes (%zu here: '%s' is a link to '%s')",
                         fname, s->tmp_cap, path, s->target);
        goto fail;
    }
    bool have_old;
    struct stat old;
    st = check_dest(ctx, fname, s->target, s->opt.flags, &have_old, &old);
    if (st != EINC_OK) goto fail;
    s->tmp = einc__alloc(ctx, s->tmp_cap);
    if (!s->tmp) {
        st = EINC_ENOMEM;
        goto fail;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t seed =
        ((uint64_t)getpid() << 32) ^ (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 20) ^ (uint64_t)(uintptr_t)s->tmp;
    int err = 0;
    /* the name only has to be unlikely to exist; O_EXCL makes a clash a retry, not a clobber.
     * 0600 while the contents are incomplete; the final mode comes after the writes. */
    for (uint64_t attempt = 0; attempt < 64; attempt++) {
        temp_name(s->tmp, s->tmp_cap, s->target, (uint32_t)einc__rng_bits(seed, attempt));
        s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, have_old ? 0600 : 0666);
        err = errno;
        if (s->fd >= 0 || err != EEXIST) break;
    }
    if (s->fd < 0) {
        st = einc__error(ctx, EINC_EIO, "%s: '%s': cannot create the temporary file '%s': %s", fname, path, s->tmp,
                         strerror(err));
        einc__free(ctx, s->tmp, s->tmp_cap);
        s->tmp = NULL;
        goto fail;
    }
    einc__temp_track(s->tmp); /* from here a signal handler can remove it */
    if (have_old) {
        s->old_uid = old.st_uid;
        s->old_gid = old.st_gid;
        s->old_mode = old.st_mode & 07777;
        s->have_old = true;
    }
    return EINC_OK;
fail:
    einc__free(ctx, s->target, s->target_cap);
    s->target = NULL;
    return st;
}

einc_status einc__save_write(einc__saver *s, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        size_t chunk = n < ((size_t)1 << 30) ? n : ((size_t)1 << 30);
        ptrdiff_t w = io_write(&s->opt, s->fd, c, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w == 0) errno = ENOSPC; /* no progress: the device is full */
        if (w <= 0 && s->in_place)
            return einc__error(s->ctx, EINC_EIO, "%s: '%s': cannot write (in place): %s", s->fname, s->path,
                               strerror(errno));
        if (w <= 0)
            return einc__error(s->ctx, EINC_EIO, "%s: '%s': cannot write the temporary file '%s': %s", s->fname,
                               s->path, s->tmp, strerror(errno));
        c += w;
        n -= (size_t)w;
    }
    return EINC_OK;
}

/* The directory part of `path` ("." for none) in a buffer from the allocator: made before the
 * rename, so that nothing can fail for memory once the new file is in place. */
static char *dir_of(einc_ctx *ctx, const char *path, size_t *cap) {
    size_t dirlen;
    base_of(path, &dirlen);
    *cap = dirlen + 2;
    char *dir = einc__alloc(ctx, *cap);
    if (!dir) return NULL;
    if (dirlen) memcpy(dir, path, dirlen);
    else dir[dirlen++] = '.';
    dir[dirlen] = '\0';
    return dir;
}

/* The directory `dir` holding `path`, fsync'ed so a completed rename survives a crash. File
 * systems that cannot sync a directory (EINVAL, ENOTSUP) have nothing to make durable there. */
static einc_status sync_dir(einc_ctx *ctx, const char *fname, const char *path, const char *dir,
                            const einc_save_options *o) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : io_fsync(o, fd);
    int err = errno;
    if (fd >= 0) close(fd);
    if (rc != 0 && err != EINVAL && err != ENOTSUP)
        return einc__error(ctx, EINC_EIO,
                           "%s: '%s' was replaced, but syncing its directory '%s' failed (%s): the new file may not "
                           "survive a crash",
                           fname, path, dir, strerror(err));
    return EINC_OK;
}

/* Renames `tmp` over the final target of `path` (links followed again: the temporary was made
 * in the target's directory, so the rename stays on one file system). */
static einc_status commit(einc_ctx *ctx, const char *fname, const char *tmp, const char *path,
                          const einc_save_options *o) {
    char *target;
    size_t cap, dcap = 0;
    einc_status st = resolve_links(ctx, fname, path, &target, &cap);
    if (st != EINC_OK) return st;
    char *dir = dir_of(ctx, target, &dcap);
    bool have_old;
    struct stat old;
    st = dir ? check_dest(ctx, fname, target, o->flags, &have_old, &old) : EINC_ENOMEM;
    if (st == EINC_OK && io_rename(o, tmp, target) != 0)
        st = einc__error(ctx, EINC_EIO, "%s: '%s': cannot rename the temporary file '%s' into place: %s", fname, path,
                         tmp, strerror(errno));
    if (st == EINC_OK && !(o->flags & EINC_SAVE_NO_SYNC)) st = sync_dir(ctx, fname, target, dir, o);
    if (dir) einc__free(ctx, dir, dcap);
    einc__free(ctx, target, cap);
    return st;
}

/* An in-place write ends with a sync where the object has one (a block device; pipes, terminals
 * and sockets answer EINVAL or ENOTSUP: nothing to make durable) and the close. */
static einc_status end_in_place(einc__saver *s, einc_status status) {
    int err = 0;
    const char *step = NULL;
    if (status == EINC_OK && !(s->opt.flags & EINC_SAVE_NO_SYNC) && io_fsync(&s->opt, s->fd) != 0 && errno != EINVAL &&
        errno != ENOTSUP && errno != EROFS)
        step = "sync", err = errno;
    if (close(s->fd) != 0 && status == EINC_OK && !step && errno != EINTR) step = "close", err = errno;
    s->fd = -1;
    s->in_place = false;
    if (step)
        status = einc__error(s->ctx, EINC_EIO, "%s: '%s': cannot %s it (written in place): %s", s->fname, s->path, step,
                             strerror(err));
    return status;
}

einc_status einc__save_end(einc__saver *s, einc_status status) {
    if (s->in_place) return end_in_place(s, status);
    if (!s->tmp) return status;
    const char *step = NULL;
    int err = 0;
    if (status == EINC_OK && s->have_old) {
        /* the owner first: chown clears set-user-ID bits that the mode then restores. Giving the
         * file away needs privilege; the group alone may still be allowed. */
        if (fchown(s->fd, s->old_uid, s->old_gid) != 0) (void)!fchown(s->fd, (uid_t)-1, s->old_gid);
        if (fchmod(s->fd, s->old_mode) != 0) step = "set the mode of", err = errno;
    }
    if (status == EINC_OK && !step && !(s->opt.flags & EINC_SAVE_NO_SYNC) && io_fsync(&s->opt, s->fd) != 0)
        step = "sync", err = errno;
    if (close(s->fd) != 0 && status == EINC_OK && !step) step = "close", err = errno;
    s->fd = -1;
    if (step)
        status = einc__error(s->ctx, EINC_EIO, "%s: '%s': cannot %s the temporary file '%s': %s", s->fname, s->path,
                             step, s->tmp, strerror(err));
    if (status == EINC_OK) {
        if (s->opt.flags & EINC_SAVE_STAGE) snprintf(s->opt.staged, s->opt.staged_size, "%s", s->tmp);
        else status = commit(s->ctx, s->fname, s->tmp, s->path, &s->opt);
    }
    /* a failed commit that renamed already (directory sync) has no temporary left to remove;
     * unlink then fails harmlessly with ENOENT */
    if (status != EINC_OK) unlink(s->tmp);
    einc__temp_untrack(s->tmp);
    /* staged: the caller's copy of the name stays removable by a signal handler until
     * einc_save_commit or einc_save_discard */
    if (status == EINC_OK && (s->opt.flags & EINC_SAVE_STAGE)) einc__temp_track(s->opt.staged);
    einc__free(s->ctx, s->tmp, s->tmp_cap);
    einc__free(s->ctx, s->target, s->target_cap);
    s->tmp = NULL;
    s->target = NULL;
    return status;
}

/* ---- public ------------------------------------------------------------------------------------- */

einc_status einc_save_commit(einc_ctx *ctx, const char *staged, const char *path, const einc_save_options *options) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!staged || !path)
        return einc__error(ctx, EINC_EINVAL, "einc_save_commit: %s is NULL", staged ? "path" : "staged");
    einc_save_options none;
    memset(&none, 0, sizeof none);
    einc_status st = commit(ctx, "einc_save_commit", staged, path, options ? options : &none);
    einc__temp_untrack(staged);
    return st;
}

void einc_save_discard(const char *staged) {
    if (!staged || !staged[0]) return;
    unlink(staged);
    einc__temp_untrack(staged);
}

/* True when `name` is a temporary of `base` (whose tag is `tag`, tlen bytes) and *pid its writer. */
static bool parse_temp(const char *name, const char *tag, size_t tlen, long *pid) {
    if (strncmp(name, tag, tlen) != 0) return false;
    const char *p = name + tlen;
    long v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++) v = v * 10 + (*p - '0');
    if (digits == 0 || *p != '.') return false;
    p++;
    for (int i = 0; i < 8; i++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    if (*p) return false;
    *pid = v;
    return true;
}

int einc_save_remove_stale(einc_ctx *ctx, const char *path) {
    EINC__OWNED(ctx, -1);
    if (!ctx || !path) return 0;
    size_t dirlen;
    const char *base = base_of(path, &dirlen);
    char dir[4096], tag[SAVE_NAME_MAX + 1];
    if (dirlen >= sizeof dir) return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(dirlen ? dirlen : 1), dirlen ? path : ".");
    int tlen =
        snprintf(tag, sizeof tag, "%.*s" SAVE_TAG "%08x.", (int)prefix_len(base), base, (unsigned)name_hash(base));
    if (tlen < 0 || (size_t)tlen >= sizeof tag) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        long pid;
        struct stat sb;
        if (!parse_temp(e->d_name, tag, (size_t)tlen, &pid)) continue;
        if (pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to ask): kept */
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0) removed++;
    }
    closedir(d);
    return removed;
}
