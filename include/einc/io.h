/* einc/io.h — reading and writing NumPy .npy files.
 *
 * Reading. Format versions 1.0, 2.0 and 3.0; dtypes '<f4' '<f8' '<i8' '<i4' '|b1' (also '<b1'
 * and '>b1', which cnpy writes for bool) and the big-endian '>f4' '>f8' '>i8' '>i4', byte-swapped
 * on load; fortran_order files load as a column-major strided view of the file's bytes (not a
 * copy); 0-d and zero-length shapes; up to EINC_MAX_DIMS dimensions.
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
 * Writing: always C order in the machine's byte order (little-endian: '<f4', ...), version 1.0,
 * with the header byte for byte as numpy >= 1.24 writes it for the same array.
 */
#ifndef EINC_IO_H
#define EINC_IO_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** einc_npy_load: reads the .npy file at `path` into a new contiguous tensor (a column-major view
 * for fortran_order files) owned by the current scope. Works on regular files (sizes are checked
 * before the tensor is allocated) and on pipes and other streams (read to their end into memory
 * first, so what is reserved follows the bytes that arrive). Returns NULL on failure: EINC_EINVAL
 * for a NULL path, EINC_EIO if the file cannot be opened or read (or is a directory),
 * EINC_EFORMAT for malformed or unsupported contents (see above), EINC_ENOMEM. */
EINC_API einc_tensor *einc_npy_load(einc_ctx *ctx, const char *path);

/** einc_npy_load_buffer: parses a .npy image of `size` bytes held in memory, exactly as
 * einc_npy_load does a file. The elements are copied: `data` may be freed afterwards. `data` may
 * be NULL only when size is 0 (then EINC_EFORMAT, as for any too-short image). Returns NULL on
 * failure: EINC_EINVAL, EINC_EFORMAT, EINC_ENOMEM. */
EINC_API einc_tensor *einc_npy_load_buffer(einc_ctx *ctx, const void *data, size_t size);

/** einc_npy_save: writes `t` (any dtype, any strides: broadcast and negative-stride views are
 * written in row-major order) to `path`, replacing an existing file. The file is written under a
 * new temporary name in the same directory, synced and renamed over `path`, so a failure never
 * leaves a partial file or a temporary behind and readers see either the old or the new file.
 * Returns EINC_OK, or records and returns EINC_EINVAL (NULL path or tensor), EINC_EIO (the
 * directory does not exist or is not writable, the disk is full, `path` is a directory) or
 * EINC_ENOMEM (a strided tensor is gathered into a temporary contiguous copy first). */
EINC_API einc_status einc_npy_save(einc_ctx *ctx, const char *path, const einc_tensor *t);

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
