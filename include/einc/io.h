/* einc/io.h — reading and writing NumPy .npy files.
 *
 * Supported: format versions 1.0, 2.0 and 3.0; dtypes '<f4' '<f8' '<i8' '<i4' '|b1' (and the
 * big-endian '>f4' '>f8' '>i8' '>i4', byte-swapped on load); fortran_order files (loaded as a
 * column-major strided view); 0-d and zero-length shapes. The header is capped at 64 KiB and
 * validated strictly: any malformed or hostile file gives EINC_EFORMAT with a message naming the
 * problem (EINC_EIO when the file cannot be opened or read), never an out-of-bounds access.
 * Files are always written as version 1.0 (2.0 when the header needs it), little-endian, C order.
 */
#ifndef EINC_IO_H
#define EINC_IO_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Loads a .npy file into a new tensor. */
EINC_API einc_tensor *einc_npy_load(einc_ctx *ctx, const char *path);
/** Parses a .npy image held in memory (the bytes are copied; `data` may be freed afterwards). */
EINC_API einc_tensor *einc_npy_load_buffer(einc_ctx *ctx, const void *data, size_t size);
/** Writes `t` (any strides) to `path`. The file is written to a temporary name in the same
 * directory and renamed, so a failure never leaves a partial file behind. */
EINC_API einc_status einc_npy_save(einc_ctx *ctx, const char *path, const einc_tensor *t);
/** Encodes `t` as a .npy image into a buffer allocated with the context's allocator, returned
 * through *data / *size; free it with einc_buffer_free(ctx, data, size). */
EINC_API einc_status einc_npy_save_buffer(einc_ctx *ctx, const einc_tensor *t, void **data, size_t *size);
/** Frees a buffer returned by einc_npy_save_buffer. */
EINC_API void einc_buffer_free(einc_ctx *ctx, void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* EINC_IO_H */
