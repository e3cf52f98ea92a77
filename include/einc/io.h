/* einc/io.h — reading and writing NumPy .npy files.
 *
 * Reading. Format versions 1.0, 2.0 and 3.0; dtypes '<f4' '<f8' '<i8' '<i4' '<f2' '<i2' '<u8'
 * '|u1' '|i1' '|b1' (the one-byte ones also with '<' or '>', as cnpy writes bool) and the
 * big-endian '>f4' '>f8' '>i8' '>i4' '>f2' '>i2' '>u8', byte-swapped on load; fortran_order files load as a
 * column-major strided view of the file's bytes (not a copy); 0-d and zero-length shapes; up to
 * EINC_MAX_DIMS dimensions.
 *
 * The header is not evaluated as Python: the reader accepts exactly what numpy and the other
 * common writers produce, which is
 *
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }     padded with spaces, then '\n'
 *
 * with the three keys in any order, each exactly once; single or double quotes (no escapes);
 * any number of spaces (only spaces) around the punctuation, also before '{'; a trailing comma
 * in the dict and in the shape tuple; "(n,)" for 1-d and "()" for 0-d shapes; decimal sizes
 * without sign or leading zeros, at most INT64_MAX, whose product with the item size (zeros
 * counted as 1, numpy's own rule) fits in 64 bits; Python 2's "2L" in 1.0 and 2.0 headers. After
 * the '}' only spaces may follow, and the header's last byte must be the newline. The 64-byte
 * alignment is not required. Headers contain no NUL byte; 1.0 and 2.0 headers are read as
 * Latin-1 and 3.0 headers must be valid UTF-8 (a non-ASCII character is never part of an
 * accepted header either way; it only changes the message). Headers are capped at 1 MiB. The
 * data must be exactly numel * itemsize bytes (trailing bytes are an error, although numpy
 * ignores them) and bool bytes must be 0 or 1.
 *
 * Errors: anything else is EINC_EFORMAT with a message naming the function (and the file), the
 * problem and where it is, e.g.
 *   einc_npy_load: 'x.npy': header: unsupported dtype '<f2' (supported: ...) (at header offset 10)
 * Unsupported but valid numpy files (other dtypes, structured dtypes, more than 16 dimensions)
 * are EINC_EFORMAT as well. A file that cannot be opened or read is EINC_EIO. A reader never
 * reads or writes outside the input and, for a regular file, checks the file's size against the
 * header before allocating the tensor.
 *
 * Mapped reading (einc_npy_load_mapped) applies the same rules to the file's bytes in place and
 * gives a read-only tensor that views the mapping (see below).
 *
 * Writing: always C order in the machine's byte order (little-endian: '<f4', ...), version 1.0,
 * with the header byte for byte as numpy >= 1.24 writes it for the same array. bfloat16 has no
 * .npy type code (NumPy has no bfloat16): saving a bfloat16 tensor is EINC_EDTYPE ("dtype
 * bfloat16 has no .npy type code") and writes nothing; cast it to float32 (exact) first.
 */
#ifndef EINC_IO_H
#define EINC_IO_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** einc_npy_load: reads the .npy file at `path` into a new contiguous tensor (a column-major view
 * for fortran_order files) owned by the current scope. Works on regular files (sizes are checked
 * before the tensor is allocated) and on pipes and other streams: the magic, version and header
 * are read and checked first, then exactly the bytes the header announces plus one (to detect
 * trailing bytes), into memory that grows with the bytes that arrive, so /dev/zero or an endless
 * pipe fails at once with EINC_EFORMAT instead of being read until memory runs out. Returns NULL on failure:
 * EINC_EINVAL for a NULL path, EINC_EIO if the file cannot be opened or read (or is a directory), EINC_EFORMAT for
 * malformed or unsupported contents (see above), EINC_ENOMEM. */
EINC_API einc_tensor *einc_npy_load(einc_ctx *ctx, const char *path);

/** einc_npy_load_mapped: einc_npy_load without the copy. A regular file is mapped read-only
 * (mmap PROT_READ, MAP_PRIVATE) and validated in place by the same rules; the tensor then views
 * the mapping instead of holding a copy, so loading costs no read and no allocation of the data,
 * and the pages are read from the file (or the page cache) when first touched.
 *   - The tensor is read-only (einc_tensor_is_readonly): einc's writers refuse it with
 *     EINC_EINVAL, and a store through einc_tensor_data raises SIGSEGV. Its views share the
 *     mapping; einc_tensor_clone gives a writable copy.
 *   - The mapping lives as long as the last tensor or view that uses it (reference-counted like
 *     any storage): it is unmapped when that is released, by its scope's end or by
 *     einc_ctx_destroy. The file may be renamed or unlinked meanwhile.
 *   - Copied instead of mapped (the result then is an ordinary writable tensor): data in the
 *     other byte order ('>f4' on a little-endian machine, swapped on load) and data that does not
 *     start at a multiple of the item size (numpy aligns it to 64 bytes; other writers may not).
 *     A pipe or device is read as einc_npy_load reads it.
 *   - The file must not change while mapped. MAP_PRIVATE keeps only this process's own writes
 *     private, and a read-only mapping has none: when another program rewrites the file in
 *     place, the tensor shows the new bytes from then on, which the validation (done once, at
 *     load) never saw; and a file truncated under the mapping makes a later access to the lost
 *     pages raise SIGBUS. Replacing the file by
 *     renaming a new one over it (as einc's savers do) is safe: the mapping keeps the old
 *     file's pages. Rewriting it in place is not: numpy's np.save and `cp` onto the same name
 *     truncate and rewrite it.
 * Errors as for einc_npy_load, plus EINC_EIO when the file cannot be mapped. */
EINC_API einc_tensor *einc_npy_load_mapped(einc_ctx *ctx, const char *path);

/** einc_npy_load_fd: einc_npy_load of an open descriptor (standard input, a pipe, a file opened by
 * the caller), read from where it stands; `name` (may be NULL) names it in messages. The
 * descriptor is not closed. A regular file is read to its end; anything else as a stream, with the
 * same bounded reads. Errors as for einc_npy_load; a negative fd is EINC_EINVAL. */
EINC_API einc_tensor *einc_npy_load_fd(einc_ctx *ctx, int fd, const char *name);

/** einc_npy_load_buffer: parses a .npy image of `size` bytes held in memory, exactly as
 * einc_npy_load does a file. The elements are copied: `data` may be freed afterwards. `data` may
 * be NULL only when size is 0 (then EINC_EFORMAT, as for any too-short image). Returns NULL on
 * failure: EINC_EINVAL, EINC_EFORMAT, EINC_ENOMEM. */
EINC_API einc_tensor *einc_npy_load_buffer(einc_ctx *ctx, const void *data, size_t size);

/** einc_npy_save: writes `t` (any dtype, any strides: broadcast and negative-stride views are
 * written in row-major order) to `path`, replacing an existing file as described under "How the
 * savers replace a file" below: through a synced temporary in the same directory, keeping the old
 * file's mode and owner, so a failure never leaves a partial file or a temporary behind and
 * readers see either the old or the new file. Returns EINC_OK, or records and returns EINC_EINVAL
 * (NULL path or tensor), EINC_EIO (the directory does not exist or is not writable, the disk is
 * full, `path` is a directory or a hard-linked file) or EINC_ENOMEM (a strided tensor
 * is gathered into a temporary contiguous copy first). Same as einc_npy_save_with(..., NULL). */
EINC_API einc_status einc_npy_save(einc_ctx *ctx, const char *path, const einc_tensor *t);

/* ---------------------------------------------------------------------------------------------
 * How the savers replace a file (einc_npy_save, einc_safetensors_save and their _with forms).
 *
 * The new contents go to a temporary file in the destination's directory, created with O_EXCL
 * (never an existing file) and named
 *
 *   <name, shortened to fit NAME_MAX>.einc-tmp.<8 hex: hash of the name>.<pid>.<8 hex: random>
 *
 * so that einc_save_remove_stale can recognise the temporaries of a process that died (SIGKILL,
 * power loss) without touching anything else. The temporary gets the replaced file's permission
 * bits and, where the process may set them, its owner and group (a new file: 0666 & ~umask). It is
 * written, fsync'ed, closed, renamed over the destination, and the directory is fsync'ed, so after
 * a crash the destination holds either the old or the new contents, never a mixture. On any
 * failure before the rename the temporary is removed and the destination is untouched.
 *
 * A destination that is a symbolic link is followed (up to 40 links): its final target is
 * replaced atomically in the target's directory and the link itself is kept. A destination with
 * other hard links is refused (EINC_EIO; the rename would leave the other names holding the old
 * contents) unless EINC_SAVE_BREAK_LINKS is given. A directory is always refused. A name up to
 * NAME_MAX bytes works: a long name is shortened inside its temporary's name.
 *
 * A destination that exists and is neither a regular file nor a directory (a terminal,
 * /dev/null, a block device, a FIFO, a socket; links followed, so /dev/stdout works) is written in
 * place: opened for writing without creating, truncating or renaming anything (a FIFO's open waits
 * for a reader), synced where it can be (block devices), closed. Such a write is not atomic: a
 * failure midway leaves what was written. It cannot be staged (EINC_SAVE_STAGE: EINC_EINVAL).
 *
 * A process killed while a temporary exists cannot remove it itself; einc_save_remove_temporaries
 * (async-signal-safe, for a SIGTERM/SIGINT/SIGXFSZ handler, as the einc tool installs) removes
 * every temporary this process has open or staged, and einc_save_remove_stale removes those of
 * processes that no longer run (after SIGKILL or a power loss).
 */
enum {
    EINC_SAVE_NO_SYNC = 1u << 0,     /* no fsync of the file or directory: faster; a crash (not a
                                        failed call) may then leave an empty or old file        */
    EINC_SAVE_BREAK_LINKS = 1u << 1, /* replace a hard-linked file anyway (its other names keep
                                        the old contents)                                      */
    EINC_SAVE_STAGE = 1u << 2,       /* write and sync the temporary, then stop: its name goes
                                        to `staged`; einc_save_commit puts it in place later  */
};

/* Replaceable system calls of the savers, for tests that inject failures (EIO, ENOSPC, short
 * writes) and applications that route I/O. Each behaves like the call it replaces: a count or 0
 * for success, -1 with errno set for failure. `fsync` is used for the file and its directory. A
 * NULL member means the system call. */
typedef struct einc_io_hooks {
    ptrdiff_t (*write)(void *user, int fd, const void *buf, size_t size);
    int (*fsync)(void *user, int fd);
    int (*rename)(void *user, const char *from, const char *to);
    void *user;
} einc_io_hooks;

/* Longest temporary name einc_save_options.staged must hold: the destination's length plus this. */
#define EINC_SAVE_TEMP_EXTRA 64

typedef struct einc_save_options {
    unsigned flags;          /* EINC_SAVE_* bits                                              */
    const einc_io_hooks *io; /* NULL: the system calls                                        */
    char *staged;            /* EINC_SAVE_STAGE: receives the temporary's path                */
    size_t staged_size;      /* at least strlen(path) + EINC_SAVE_TEMP_EXTRA bytes            */
} einc_save_options;

/** einc_npy_save_with: einc_npy_save with options (NULL: the defaults, as einc_npy_save). With
 * EINC_SAVE_STAGE the destination is not touched: the synced temporary's path is written to
 * options->staged and the caller either commits it (einc_save_commit) or removes it (einc_save_discard).
 * Errors as for einc_npy_save; EINC_EINVAL when staged is missing or too small. */
EINC_API einc_status einc_npy_save_with(einc_ctx *ctx, const char *path, const einc_tensor *t,
                                        const einc_save_options *options);

/** einc_save_commit: renames a temporary staged by a saver over `path` and syncs the directory
 * (unless EINC_SAVE_NO_SYNC). The hard-link and symlink checks are made again. On failure the
 * temporary is left for the caller to remove, and the message says whether the rename happened:
 * a directory sync that fails after the rename is EINC_EIO with the new file in place. */
EINC_API einc_status einc_save_commit(einc_ctx *ctx, const char *staged, const char *path,
                                      const einc_save_options *options);

/** einc_save_discard: removes a temporary staged by a saver (EINC_SAVE_STAGE) that is not to be
 * committed, and stops tracking it for einc_save_remove_temporaries. Call it, or einc_save_commit
 * (which also stops the tracking, whether it succeeds or not; remove the temporary with this
 * after a failed commit), before the `staged` buffer goes away. NULL or "" is a no-op. */
EINC_API void einc_save_discard(const char *staged);

/** einc_save_remove_stale: removes the temporaries that savers left next to `path` in processes
 * that no longer run on this machine (by the pid in the name; a temporary of a live process,
 * this one included, is kept). Returns how many were removed; 0 when the directory cannot be
 * read. Only names of exactly the form above, for this `path`, are considered. Pids are those
 * of this machine: do not use it on a directory that processes of other machines write to. */
EINC_API int einc_save_remove_stale(einc_ctx *ctx, const char *path);

/** einc_save_remove_temporaries: unlinks every temporary of this process's savers that is being
 * written or is staged (einc_npy_save_begin, EINC_SAVE_STAGE) and not yet committed or removed.
 * Async-signal-safe: meant for a signal handler that then ends the process; at most 64 are
 * tracked at once (more are still removed on the normal paths, but not by this function). */
EINC_API void einc_save_remove_temporaries(void);

/** Saving several files all-or-nothing, in two phases: einc_npy_save_begin writes `t` to a new
 * temporary file next to `path` and syncs it (errors as einc_npy_save's; NULL on failure, nothing
 * left behind); einc_npy_save_commit renames it over `path` (EINC_EIO if that fails, the
 * temporary then removed) and einc_npy_save_abort removes it; either frees the handle. Write every
 * file with _begin first and commit only when all succeeded, so a failure replaces nothing. The
 * replaced file's mode (and owner, where permitted) is kept; a new file gets 0666 & ~umask. The
 * pending handle must not outlive its context. */
typedef struct einc_npy_pending einc_npy_pending;
EINC_API einc_npy_pending *einc_npy_save_begin(einc_ctx *ctx, const char *path, const einc_tensor *t);
EINC_API einc_status einc_npy_save_commit(einc_npy_pending *pending);
EINC_API void einc_npy_save_abort(einc_npy_pending *pending);
/** einc_npy_save_begin with save options (flags, I/O hooks; EINC_SAVE_STAGE is implied and
 * `staged` ignored): the options are kept for the commit. */
EINC_API einc_npy_pending *einc_npy_save_begin_with(einc_ctx *ctx, const char *path, const einc_tensor *t,
                                                    const einc_save_options *options);

/** einc_npy_save_buffer: encodes `t` as a .npy image (the bytes einc_npy_save writes) into a
 * buffer allocated with the context's allocator, returned through *data and *size; free it with
 * einc_buffer_free(ctx, *data, *size). On failure *data is NULL and *size 0 (when they are not
 * NULL) and the status is EINC_EINVAL (NULL argument) or EINC_ENOMEM. */
EINC_API einc_status einc_npy_save_buffer(einc_ctx *ctx, const einc_tensor *t, void **data, size_t *size);

/** einc_buffer_free: frees a buffer returned by einc_npy_save_buffer (NULL is a no-op). */
EINC_API void einc_buffer_free(einc_ctx *ctx, void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* EINC_IO_H */
