/* map_file.c — read-only file mappings for the loaders (see map_file.h). */
#include "map_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The storage's release: the mapping's length travels in `user`. */
static void unmap(void *data, void *user) { munmap(data, (size_t)(uintptr_t)user); }

einc_status einc__map_open(einc_ctx *ctx, const char *fname, const char *path, einc__mapped_file *m) {
    static const unsigned char empty = 0;
    memset(m, 0, sizeof *m);
    m->data = &empty;
    m->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0) return einc__error(ctx, EINC_EIO, "%s: '%s': cannot open: %s", fname, path, strerror(errno));
    struct stat st;
    einc_status status = EINC_OK;
    if (fstat(m->fd, &st) != 0)
        status = einc__error(ctx, EINC_EIO, "%s: '%s': cannot stat: %s", fname, path, strerror(errno));
    else if (S_ISDIR(st.st_mode)) status = einc__error(ctx, EINC_EIO, "%s: '%s': is a directory", fname, path);
    else if (!S_ISREG(st.st_mode)) return EINC_OK; /* a stream: the caller reads it */
    else if ((uint64_t)st.st_size > SIZE_MAX)
        status = einc__error(ctx, EINC_EIO, "%s: '%s': the file is too large to map", fname, path);
    if (status != EINC_OK) {
        close(m->fd);
        m->fd = -1;
        return status;
    }
    m->regular = true;
    m->size = (size_t)st.st_size;
    if (m->size == 0) return EINC_OK; /* nothing to map; the format checks reject it */
    void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, m->fd, 0);
    if (p == MAP_FAILED) {
        status = einc__error(ctx, EINC_EIO, "%s: '%s': cannot map the file: %s", fname, path, strerror(errno));
        close(m->fd);
        m->fd = -1;
        return status;
    }
    m->storage = einc__storage_external(ctx, p, m->size, unmap, (void *)(uintptr_t)m->size, true);
    if (!m->storage) {
        munmap(p, m->size);
        close(m->fd);
        m->fd = -1;
        return EINC_ENOMEM;
    }
    m->data = p;
    return EINC_OK;
}

void einc__map_close(einc_ctx *ctx, einc__mapped_file *m) {
    einc__storage_release(ctx, m->storage);
    m->storage = NULL;
    if (m->fd >= 0) close(m->fd);
    m->fd = -1;
}
