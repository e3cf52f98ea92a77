/* map_file.h — read-only file mappings for the loaders (einc_npy_load_mapped,
 * einc_safetensors_load_mapped).
 *
 * The whole file is mapped PROT_READ, MAP_PRIVATE into a read-only storage (einc_storage with
 * `readonly` set) whose release unmaps it. The loader holds one reference while it validates the
 * bytes in place; each tensor it creates over the mapping takes its own, so the mapping lives
 * exactly as long as the last tensor (or view) that uses it.
 */
#ifndef EINC_IO_MAP_FILE_H
#define EINC_IO_MAP_FILE_H

#include "../core/internal.h"

typedef struct einc__mapped_file {
    const unsigned char *data; /* the file's bytes (a static empty byte for an empty file) */
    size_t size;
    einc_storage *storage; /* the loader's reference; NULL for an empty file */
    int fd;                /* open until einc__map_close; -1 once closed      */
    bool regular;          /* false: a pipe or device (nothing mapped)        */
} einc__mapped_file;

/* Opens `path` and, when it is a regular file, maps it. Errors (recorded as "<fname>: '<path>':
 * ...", EINC_EIO): the file cannot be opened, is a directory, or cannot be mapped; EINC_ENOMEM.
 * A pipe or device is not an error: m->regular is false and m->fd is open, for the caller to read
 * as a stream. */
einc_status einc__map_open(einc_ctx *ctx, const char *fname, const char *path, einc__mapped_file *m);
/* Drops the loader's reference (the file is unmapped now unless a tensor still views it) and
 * closes the descriptor. */
void einc__map_close(einc_ctx *ctx, einc__mapped_file *m);

#endif /* EINC_IO_MAP_FILE_H */
