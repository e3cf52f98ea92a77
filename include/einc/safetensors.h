/* einc/safetensors.h — state dicts (named tensors) and the safetensors file format.
 *
 * An einc_state is an ordered collection of (name, tensor) pairs plus string metadata: what
 * PyTorch calls a state_dict. It is the unit that safetensors files load into and save from.
 *
 * The format (https://huggingface.co/docs/safetensors): 8 bytes N (unsigned, little-endian), N
 * bytes of UTF-8 JSON mapping each tensor name to {"dtype": "F32", "shape": [2, 3],
 * "data_offsets": [begin, end]} (offsets into the byte buffer that follows the header) and an
 * optional "__metadata__" object of string -> string, then the byte buffer: each tensor's
 * elements, row-major, little-endian.
 *
 * Loading checks every rule of the format; a malformed or hostile file gives EINC_EFORMAT with a
 * message naming the problem (and the tensor), never an out-of-bounds access or a huge
 * allocation:
 *   - the file holds at least the 8 length bytes; N <= 100,000,000 (the reference
 *     implementation's cap) and N fits in the file;
 *   - the header is valid UTF-8 and strict JSON (RFC 8259: no trailing commas, comments,
 *     single quotes, NaN, leading zeros, unpaired surrogates or text after the object) whose
 *     first byte is '{'; keys are unique (a duplicate tensor name, a second "__metadata__" or a
 *     repeated field is an error); names and metadata may not contain U+0000;
 *   - each tensor entry has exactly the fields dtype (a safetensors dtype name), shape (an
 *     array of integers >= 0) and data_offsets (two integers, begin <= end); the element count
 *     times the dtype size, computed without overflow, equals end - begin; the sizes (zeros
 *     counted as 1, so empty tensors too) times the dtype size fit in 64 bits;
 *   - sorted by offset, the tensors' byte ranges start at 0, touch without gaps or overlaps
 *     (empty tensors may share an offset) and end exactly at the end of the file: the spec
 *     requires the buffer to be fully indexed;
 *   - at most 262,144 tensors (einc's bound, far above real checkpoints): the header is parsed
 *     in one pass, in time and memory proportional to it, and the 262,145th entry is an error;
 *   - "__metadata__" is an object whose values are all strings;
 *   - BOOL elements are bytes 0 or 1.
 * Supported dtypes: F32, F64, I64, I32, BOOL, F16, BF16, U8, I8, I16 and U64 (einc's float32,
 * float64, int64, int32, bool, float16, bfloat16, uint8, int8, int16, uint64). A well-formed file
 * that uses another safetensors dtype (U16, U32, F8_*, C64, F4, F6_*) or more than EINC_MAX_DIMS
 * dimensions gives EINC_EUNSUPPORTED naming the tensor; a dtype name the format does not define
 * is EINC_EFORMAT. einc assumes a little-endian host (as its .npy writer does).
 *
 * Ownership. A state belongs to its context but not to any scope: it lives until
 * einc_state_free, which must come before einc_ctx_destroy. The state holds its own handle to
 * each tensor (sharing storage with the tensor that was stored or loaded); einc_state_get hands
 * out a new view in the current scope, so callers never release what they get, and freeing the
 * state releases the state's handles only. Tensors share storage with the state like a PyTorch
 * state_dict shares storage with the module: writing into a tensor got from a state changes the
 * state's data.
 */
#ifndef EINC_SAFETENSORS_H
#define EINC_SAFETENSORS_H

#include "core.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct einc_state einc_state;

/* ---------------------------------------------------------------------------------------------
 * States.
 */

/** A new empty state in `ctx`. NULL (EINC_ENOMEM recorded) if memory runs out. */
EINC_API einc_state *einc_state_new(einc_ctx *ctx);
/** Releases the state's tensor handles, its names and metadata, and the state. NULL is a no-op.
 * Tensors obtained with einc_state_get stay valid (they hold their own references). */
EINC_API void einc_state_free(einc_state *state);

/** Number of tensors in the state (0 for NULL). */
EINC_API int einc_state_count(const einc_state *state);
/** Name of tensor `i` (0 <= i < count, in insertion order; for a loaded state, the order of the
 * file's header). NULL if out of range. Valid until the state is changed or freed. */
EINC_API const char *einc_state_name(const einc_state *state, int i);
/** Index of the tensor called `name`, or -1 (nothing recorded). Hash lookup: O(1). */
EINC_API int einc_state_find(const einc_state *state, const char *name);
/** A new handle (in the current scope, sharing storage) to the tensor called `name`. A missing
 * name is EINC_EINDEX with a message naming it; NULL arguments are EINC_EINVAL. */
EINC_API einc_tensor *einc_state_get(const einc_state *state, const char *name);
/** A new handle (in the current scope, sharing storage) to tensor `i`; out of range: EINC_EINDEX. */
EINC_API einc_tensor *einc_state_at(const einc_state *state, int i);
/** Stores `t` (any dtype, shape and strides) under `name`, replacing a tensor of that name in
 * place or appending a new entry. The state takes its own handle to t's storage: the caller's
 * handle is untouched and still belongs to its scope. `name` is copied; it must be valid UTF-8
 * and not "__metadata__" (EINC_EVALUE); `t` must belong to the state's context (EINC_EINVAL).
 * Returns EINC_OK or the status recorded (EINC_ENOMEM leaves the state unchanged). */
EINC_API einc_status einc_state_set(einc_state *state, const char *name, einc_tensor *t);

/** Number of metadata entries (0 for NULL). */
EINC_API int einc_state_metadata_count(const einc_state *state);
/** Key of metadata entry `i` (insertion / file order), or NULL if out of range. */
EINC_API const char *einc_state_metadata_key(const einc_state *state, int i);
/** The metadata value stored under `key`, or NULL if there is none (nothing recorded). Valid
 * until the state is changed or freed. */
EINC_API const char *einc_state_metadata(const einc_state *state, const char *key);
/** Sets metadata `key` to `value` (both copied; both valid UTF-8, else EINC_EVALUE), replacing
 * an existing value or appending a new key. */
EINC_API einc_status einc_state_set_metadata(einc_state *state, const char *key, const char *value);

/* ---------------------------------------------------------------------------------------------
 * safetensors files.
 */

/** Loads a safetensors file into a new state (see the rules above). The tensors are contiguous
 * einc tensors holding copies of the file's bytes; the entries keep the header's order, the
 * metadata the order of "__metadata__". Returns NULL on failure: EINC_EIO if the file cannot be
 * opened or read, EINC_EFORMAT / EINC_EUNSUPPORTED as above, EINC_ENOMEM; nothing leaks. The
 * data is read straight into the tensors (the file is not buffered whole). */
EINC_API einc_state *einc_safetensors_load(einc_ctx *ctx, const char *path);
/** Loads a safetensors file as einc_safetensors_load does, without copying the data: the file is
 * mapped read-only (mmap PROT_READ, MAP_PRIVATE), the header is validated in place by the same
 * rules (BOOL bytes included), and each tensor views its bytes in the mapping. Nothing of the
 * data is read until it is used.
 *   - The tensors are read-only (einc_tensor_is_readonly): einc's writers refuse them with
 *     EINC_EINVAL, a store through einc_tensor_data raises SIGSEGV; einc_tensor_clone copies.
 *   - The mapping is shared by the state's handles, the tensors einc_state_get hands out and all
 *     their views, and unmapped when the last of them is released (einc_state_free, a scope's
 *     end, einc_ctx_destroy), in any order.
 *   - A tensor whose data does not start at a multiple of its element size in the file (a
 *     writer that does not pad the header to 8 bytes) is copied instead, and is an ordinary
 *     writable tensor; einc_safetensors_save and the reference implementation write aligned files.
 *   - The file must not change while mapped: the tensors show whatever another program writes
 *     into it from then on (MAP_PRIVATE keeps only this process's writes private; the validation
 *     at load no longer covers those bytes), and truncating the file makes a later access to the
 *     lost pages raise SIGBUS. Replacing it by renaming a new file
 *     over it, as einc's savers do, is safe.
 * Errors as for einc_safetensors_load, plus EINC_EIO when the file cannot be mapped. */
EINC_API einc_state *einc_safetensors_load_mapped(einc_ctx *ctx, const char *path);
/** Parses a safetensors image held in memory (the bytes are copied; `data` may be freed
 * afterwards). Errors as for einc_safetensors_load. */
EINC_API einc_state *einc_safetensors_load_buffer(einc_ctx *ctx, const void *data, size_t size);

/** Writes `state` to `path` in the layout of the reference implementation (safetensors'
 * serialize): tensors ordered by dtype (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL) and then
 * by name (bytewise),
 * the header compact JSON in that order with "__metadata__" first (omitted when the state has
 * none, keys in insertion order), padded with spaces to a multiple of 8 bytes so that every
 * tensor's data is aligned to its element size. Tensors with any strides (transposed, sliced,
 * broadcast, flipped) are written as their row-major elements. The file is written to a temporary
 * name in the same directory and renamed: a failure never leaves a partial file behind.
 * Errors: NULL arguments EINC_EINVAL; EINC_EIO; EINC_ENOMEM; a header above the 100,000,000
 * byte cap EINC_EOVERFLOW. */
EINC_API einc_status einc_safetensors_save(einc_ctx *ctx, const char *path, const einc_state *state);
/** einc_safetensors_save with options (NULL: the defaults); see "How the savers replace a file"
 * in einc/io.h for the flags, the I/O hooks and staging. */
EINC_API einc_status einc_safetensors_save_with(einc_ctx *ctx, const char *path, const einc_state *state,
                                                const einc_save_options *options);
/** Encodes `state` as above into a buffer allocated with the context's allocator, returned
 * through *data / *size (NULL / 0 on failure); free it with einc_buffer_free(ctx, data, size). */
EINC_API einc_status einc_safetensors_save_buffer(einc_ctx *ctx, const einc_state *state, void **data, size_t *size);

#ifdef __cplusplus
}
#endif
#endif /* EINC_SAFETENSORS_H */
