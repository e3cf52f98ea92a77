/* einc_files.c — the tool's operands and outputs: .npy, standard input and output, tensors of
 * safetensors files, all-or-nothing writes (see einc_files.h, docs/cli.md). */
#include "einc_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "einc_args.h"

#define SAFETENSORS_TAG ".safetensors:"
#define STAGED_CAP (4096 + EINC_SAVE_TEMP_EXTRA + 4096) /* a symlink's target may be long */

static struct {
    einc_save_options save;
    einc_io_hooks stall;
    long long stall_left;
    bool stdin_used;
    struct {
        char *path;
        einc_state *state;
    } loaded[EINC_TOOL_MAX_ARGS];
    int nloaded;
} files;

/* ---- the test hook: writes that stop after N bytes ------------------------------------------ */

static ptrdiff_t stalling_write(void *user, int fd, const void *p, size_t n) {
    (void)user;
    if (files.stall_left <= 0)
        for (;;) pause(); /* until a signal ends the process */
    if ((long long)n > files.stall_left) n = (size_t)files.stall_left;
    ssize_t w = write(fd, p, n);
    if (w > 0) files.stall_left -= w;
    return w;
}

void einc_tool_files_init(unsigned save_flags) {
    memset(&files, 0, sizeof files);
    files.save.flags = save_flags;
    const char *stall = getenv("EINC_TOOL_TEST_STALL_WRITE");
    if (stall && *stall) {
        files.stall_left = strtoll(stall, NULL, 10);
        files.stall.write = stalling_write;
        files.save.io = &files.stall;
    }
}

/* ---- operands ------------------------------------------------------------------------------- */

/* FILE.safetensors:NAME: the length of FILE, or 0 if `arg` is not of that form. */
static size_t safetensors_split(const char *arg) {
    const char *tag = strstr(arg, SAFETENSORS_TAG);
    return tag && tag != arg ? (size_t)(tag - arg) + strlen(SAFETENSORS_TAG) - 1 : 0;
}

bool einc_tool_is_tensor_ref(const char *arg) { return strcmp(arg, "-") == 0 || safetensors_split(arg) > 0; }

/* "a, b, c" (the first names of the state) for a message. */
static void list_names(const einc_state *st, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    int n = einc_state_count(st);
    for (int i = 0; i < n && len + 8 < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", einc_state_name(st, i));
        if (w < 0 || (size_t)w >= cap - len) {
            snprintf(buf + (len < cap - 6 ? len : cap - 6), 6, ", ...");
            return;
        }
        len += (size_t)w;
    }
    if (n == 0) snprintf(buf, cap, "no tensors");
}

static einc_state *loaded_state(einc_ctx *ctx, const char *path) {
    for (int i = 0; i < files.nloaded; i++)
        if (strcmp(files.loaded[i].path, path) == 0) return files.loaded[i].state;
    if (files.nloaded == EINC_TOOL_MAX_ARGS) {
        einc_set_error(ctx, EINC_EVALUE, "too many safetensors files");
        return NULL;
    }
    char *copy = strdup(path);
    if (!copy) {
        einc_set_error(ctx, EINC_ENOMEM, "out of memory");
        return NULL;
    }
    einc_state *st = einc_safetensors_load(ctx, path);
    if (!st) {
        free(copy);
        return NULL;
    }
    files.loaded[files.nloaded].path = copy;
    files.loaded[files.nloaded++].state = st;
    return st;
}

einc_tensor *einc_tool_load(einc_ctx *ctx, const char *arg) {
    if (strcmp(arg, "-") == 0) {
        if (files.stdin_used) {
            einc_set_error(ctx, EINC_EVALUE, "standard input ('-') can be read only once");
            return NULL;
        }
        files.stdin_used = true;
        return einc_npy_load_fd(ctx, 0, "<stdin>");
    }
    size_t plen = safetensors_split(arg), len = strlen(arg);
    const size_t tag = strlen(SAFETENSORS_TAG) - 1;
    if (!plen && len > tag && strcmp(arg + len - tag, ".safetensors") == 0) {
        einc_state *st = loaded_state(ctx, arg);
        if (!st) return NULL;
        char names[512];
        list_names(st, names, sizeof names);
        einc_set_error(ctx, EINC_EVALUE, "'%s': name the tensor: %s:NAME (it holds %s)", arg, arg, names);
        return NULL;
    }
    if (!plen) return einc_npy_load(ctx, arg);
    const char *name = arg + plen + 1;
    char path[4096];
    if (plen >= sizeof path) {
        einc_set_error(ctx, EINC_EVALUE, "the file name of '%s' is too long", arg);
        return NULL;
    }
    memcpy(path, arg, plen);
    path[plen] = '\0';
    if (!*name) {
        einc_set_error(ctx, EINC_EVALUE, "'%s': name the tensor: %s:NAME", arg, path);
        return NULL;
    }
    einc_state *st = loaded_state(ctx, path);
    if (!st) return NULL;
    if (einc_state_find(st, name) < 0) {
        char names[512];
        list_names(st, names, sizeof names);
        einc_set_error(ctx, EINC_EINDEX, "'%s' has no tensor '%s' (it holds %s)", path, name, names);
        return NULL;
    }
    return einc_state_get(st, name);
}

/* ---- outputs -------------------------------------------------------------------------------- */

/* One destination file: a .npy, or a safetensors file collecting one or more tensors. */
typedef struct {
    const char *arg;  /* the first -o naming it */
    char path[4096];  /* the file ("-": standard output) */
    bool safetensors; /* FILE.safetensors:NAME */
    bool stream;      /* "-", or a device, FIFO or socket: written in place, after the staging */
    bool exists;      /* the file exists: dev and ino identify it under any name */
    dev_t dev;
    ino_t ino;
    einc_tensor *npy; /* the .npy's tensor */
    einc_state *state;
    einc_npy_pending *pending;
    char staged[STAGED_CAP]; /* the safetensors file's staged temporary */
} dest;

static bool is_stream(const char *path) {
    struct stat sb;
    return strcmp(path, "-") == 0 || (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode));
}

static einc_status write_stdout(einc_ctx *ctx, const einc_tensor *t) {
    void *data = NULL;
    size_t size = 0;
    if (einc_npy_save_buffer(ctx, t, &data, &size) != EINC_OK) return einc_errcode(ctx);
    const char *p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(1, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            einc_buffer_free(ctx, data, size);
            return einc_set_error(ctx, EINC_EIO, "cannot write the .npy to standard output ('-o -'): %s",
                                  w < 0 ? strerror(errno) : "no progress");
        }
        p += w;
        left -= (size_t)w;
    }
    einc_buffer_free(ctx, data, size);
    return EINC_OK;
}

/* The state a safetensors destination starts from: the existing file's (every tensor and the
 * metadata kept), or an empty one when there is no regular file yet. */
static einc_state *start_state(einc_ctx *ctx, const dest *d) {
    struct stat sb;
    if (d->stream || stat(d->path, &sb) != 0 || !S_ISREG(sb.st_mode)) return einc_state_new(ctx);
    einc_state *st = einc_safetensors_load(ctx, d->path);
    if (!st) {
        static char why[1024];
        einc_status code = einc_errcode(ctx);
        snprintf(why, sizeof why, "%s", einc_errmsg(ctx));
        einc_clear_error(ctx);
        einc_set_error(ctx, code,
                       "%s (the output '%s' keeps the file's other tensors, so the file must be a valid "
                       "safetensors file; it was not changed)",
                       why, d->arg);
    }
    return st;
}

static einc_status stage(einc_ctx *ctx, dest *d) {
    einc_save_remove_stale(ctx, d->path); /* temporaries of writers that were killed */
    if (!d->safetensors)
        return (d->pending = einc_npy_save_begin_with(ctx, d->path, d->npy, &files.save)) ? EINC_OK : einc_errcode(ctx);
    einc_save_options o = files.save;
    o.flags |= EINC_SAVE_STAGE;
    o.staged = d->staged;
    o.staged_size = sizeof d->staged;
    return einc_safetensors_save_with(ctx, d->path, d->state, &o);
}

static einc_status write_stream(einc_ctx *ctx, const dest *d) {
    if (strcmp(d->path, "-") == 0) return write_stdout(ctx, d->npy);
    einc_save_options o = files.save;
    o.io = NULL; /* the test hook stalls regular files only */
    if (d->safetensors) return einc_safetensors_save_with(ctx, d->path, d->state, &o);
    return einc_npy_save_with(ctx, d->path, d->npy, &o);
}

static void unstage(dest *d) {
    if (d->pending) einc_npy_save_abort(d->pending);
    d->pending = NULL;
    einc_save_discard(d->staged);
    d->staged[0] = '\0';
}

static einc_status commit(einc_ctx *ctx, dest *d) {
    if (d->pending) {
        einc_status st = einc_npy_save_commit(d->pending);
        d->pending = NULL;
        return st;
    }
    if (!d->staged[0]) return EINC_OK;
    einc_status st = einc_save_commit(ctx, d->staged, d->path, &files.save);
    einc_save_discard(d->staged); /* gone already when the rename happened */
    d->staged[0] = '\0';
    return st;
}

/* Groups the outputs into destinations (one per file); a name given twice is an error. */
static einc_status plan(einc_ctx *ctx, int n, const char *const *outs, einc_tensor *const *results, dest *ds, int *nd) {
    *nd = 0;
    for (int i = 0; i < n; i++) {
        bool device = strcmp(outs[i], "-") != 0 && is_stream(outs[i]); /* /dev/null twice is fine */
        for (int k = 0; k < i && !device; k++)
            if (strcmp(outs[i], outs[k]) == 0)
                return einc_set_error(ctx, EINC_EVALUE, "the output '%s' is given twice", outs[i]);
        size_t plen = safetensors_split(outs[i]);
        char path[4096];
        snprintf(path, sizeof path, "%.*s", (int)(plen ? plen : strlen(outs[i])), outs[i]);
        const char *name = plen ? outs[i] + plen + 1 : NULL;
        if (plen && !*name) return einc_set_error(ctx, EINC_EVALUE, "'%s': name the tensor: -o %s:NAME", outs[i], path);
        /* one file under two names (a link, "./w.safetensors") is one destination too */
        struct stat sb;
        bool exists = strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        dest *d = NULL;
        for (int k = 0; k < *nd && !d && !(device && !plen); k++)
            if (strcmp(ds[k].path, path) == 0 ||
                (exists && ds[k].exists && ds[k].dev == sb.st_dev && ds[k].ino == sb.st_ino))
                d = &ds[k];
        if (d && !plen && !d->safetensors)
            return einc_set_error(ctx, EINC_EVALUE, "the outputs '%s' and '%s' are the same file", d->arg, outs[i]);
        if (d && (!plen || !d->safetensors))
            return einc_set_error(ctx, EINC_EVALUE,
                                  "'%s' is named as an output both as a .npy file and as a "
                                  "safetensors file",
                                  path);
        if (!d) {
            d = &ds[(*nd)++];
            memset(d, 0, sizeof *d);
            d->arg = outs[i];
            snprintf(d->path, sizeof d->path, "%s", path);
            d->safetensors = plen > 0;
            d->stream = is_stream(path);
            if ((d->exists = exists)) {
                d->dev = sb.st_dev;
                d->ino = sb.st_ino;
            }
            if (d->safetensors && !(d->state = start_state(ctx, d))) return einc_errcode(ctx);
        }
        if (!plen) d->npy = results[i];
        else if (einc_state_set(d->state, name, results[i]) != EINC_OK) return einc_errcode(ctx);
    }
    return EINC_OK;
}

einc_status einc_tool_write(einc_ctx *ctx, int n, const char *const *outs, einc_tensor *const *results) {
    static dest ds[EINC_TOOL_MAX_ARGS];
    int nd = 0;
    einc_status st = plan(ctx, n, outs, results, ds, &nd);
    /* 1. every regular file to its synced temporary */
    for (int i = 0; i < nd && st == EINC_OK; i++)
        if (!ds[i].stream) st = stage(ctx, &ds[i]);
    /* 2. the streams, in place: they cannot wait for a rename */
    for (int i = 0; i < nd && st == EINC_OK; i++)
        if (ds[i].stream) st = write_stream(ctx, &ds[i]);
    /* 3. only now anything replaced; a failing rename leaves the others to go on */
    if (st == EINC_OK) {
        for (int i = 0; i < nd; i++) {
            einc_status c = commit(ctx, &ds[i]);
            if (st == EINC_OK) st = c;
        }
    }
    for (int i = 0; i < nd; i++) {
        unstage(&ds[i]);
        einc_state_free(ds[i].state);
        ds[i].state = NULL;
    }
    return st;
}

/* ---- the end of a run ------------------------------------------------------------------------ */

int einc_tool_done(einc_ctx *ctx, int rc) {
    for (int i = 0; i < files.nloaded; i++) {
        einc_state_free(files.loaded[i].state);
        free(files.loaded[i].path);
    }
    files.nloaded = 0;
    einc_ctx_destroy(ctx);
    return rc;
}

int einc_tool_fail(einc_ctx *ctx) {
    fprintf(stderr, "%s: %s\n", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
    return einc_tool_done(ctx, 1);
}
