/* einc/tensor.h — strided n-d tensors: creation, access, views, copies.
 *
 * A tensor is a view into a reference-counted storage: a dtype, up to EINC_MAX_DIMS int64 sizes,
 * strides counted in ELEMENTS (not bytes; may be 0 for broadcast dimensions and negative for
 * flipped ones) and a byte offset of element [0, ..., 0] into the storage. NumPy's axis order and
 * C (row-major) layout are the defaults. Axes may be given negative (Python style: -1 = last).
 *
 * Ownership: every function returning `einc_tensor *` returns a new handle that belongs to the
 * context's current scope (see einc_scope_begin). Views share storage with their source; writing
 * through one is visible through the other. All functions return NULL on failure and record the
 * error in the context; a NULL tensor argument makes them return NULL at once.
 */
#ifndef EINC_TENSOR_H
#define EINC_TENSOR_H

#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Creation. `shape` has `ndim` entries, each >= 0 (0-length dimensions are allowed; ndim 0 is a
 * scalar, and then `shape` may be NULL). Errors, with messages naming the function: ndim outside
 * [0, EINC_MAX_DIMS], a NULL shape or a negative size is EINC_EINVAL; a dtype value outside
 * einc_dtype is EINC_EDTYPE; a shape whose element count or byte size overflows is
 * EINC_EOVERFLOW; an allocation failure is EINC_ENOMEM (nothing is leaked). Results are
 * contiguous (row-major strides) and belong to the current scope.
 */

/** Uninitialised contiguous tensor. */
EINC_API einc_tensor *einc_tensor_empty(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape);
/** Contiguous tensor of zeros. */
EINC_API einc_tensor *einc_tensor_zeros(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape);
/** Contiguous tensor of ones. */
EINC_API einc_tensor *einc_tensor_ones(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape);
/** Contiguous tensor filled with `value` converted to `dtype` (as a C cast; bool: value != 0). */
EINC_API einc_tensor *einc_tensor_full(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape, double value);
/** 0-d tensor holding `value` converted to `dtype`. */
EINC_API einc_tensor *einc_tensor_scalar(einc_ctx *ctx, einc_dtype dtype, double value);
/** 1-d tensor start, start+step, ... < stop (> stop for a negative step), equal to numpy.arange
 * (numpy 1.24) bit for bit. Its length is ceil((stop - start) / step) (0 if negative). The values
 * are computed as NumPy does: v0 = start and v1 = start + step are converted to `dtype` (integer
 * dtypes truncate toward zero), the step used is v1 - v0 in the dtype, and value i >= 2 is
 * v0 + i * (v1 - v0) in the dtype's own arithmetic (float32 in float32; integers wrap). So
 * arange(int64, 0.5, 5, 1.5) is [0, 2, 4], like numpy, not [0, 2, 3].
 * Errors: step == 0, NaN or infinite start/stop, NaN step: EINC_EVALUE; dtype bool: EINC_EDTYPE
 * (no arithmetic progression; NumPy rejects it too beyond two elements); more than 9e15
 * elements: EINC_EOVERFLOW. */
EINC_API einc_tensor *einc_tensor_arange(einc_ctx *ctx, einc_dtype dtype, double start, double stop, double step);
/** Contiguous tensor with a copy of `data` (row-major, numel * dtype size bytes). */
EINC_API einc_tensor *einc_tensor_from_data(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape,
                                            const void *data);

/** Called when the last view of wrapped memory is released. */
typedef void (*einc_release_fn)(void *data, void *user);

/** Wraps caller memory without copying. `strides` (elements) may be NULL for row-major. `release`
 * (may be NULL) is called once with (data, user) when the last tensor using the memory is
 * released. The memory must stay valid until then. On failure `release` is NOT called: the caller
 * still owns `data`. */
EINC_API einc_tensor *einc_tensor_wrap(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape,
                                       const int64_t *strides, void *data, einc_release_fn release, void *user);

/** Uniform floats in [0, 1) (float32/float64 only) from the context's counter-based generator.
 * Element i is a pure function of (seed, counter + i), where the counter counts the numbers
 * drawn since einc_seed (each call advances it by numel rounded up to even), so the values do
 * not depend on the thread count and the same seed gives the same sequence of tensors.
 * Other dtypes: EINC_EDTYPE; shape errors as for creation. */
EINC_API einc_tensor *einc_tensor_rand(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape);
/** Standard normal floats (Box-Muller over the same generator). float32/float64 only. */
EINC_API einc_tensor *einc_tensor_randn(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape);

/* ---------------------------------------------------------------------------------------------
 * Reference counting.
 */

/** Adds a reference; the caller must release it. Returns `t`. */
EINC_API einc_tensor *einc_tensor_retain(einc_tensor *t);
/** Drops a reference (the handle's own, or one added by retain). The handle is freed when none is
 * left; storage is freed when no handle uses it. NULL is a no-op. Releasing a tensor that belongs
 * to a scope early is allowed: the scope then skips it. */
EINC_API void einc_tensor_release(einc_tensor *t);

/* ---------------------------------------------------------------------------------------------
 * Accessors. These never fail on a valid tensor; for NULL they return 0 / NULL.
 */
EINC_API einc_dtype einc_tensor_dtype(const einc_tensor *t);
EINC_API int einc_tensor_ndim(const einc_tensor *t);
/** Pointer to the `ndim` sizes (valid while the handle lives). */
EINC_API const int64_t *einc_tensor_shape(const einc_tensor *t);
/** Pointer to the `ndim` strides, in elements. */
EINC_API const int64_t *einc_tensor_strides(const einc_tensor *t);
/** Size of dimension `axis` (negative counts from the end); -1 if out of range. */
EINC_API int64_t einc_tensor_dim(const einc_tensor *t, int axis);
/** Number of elements (1 for a 0-d tensor). */
EINC_API int64_t einc_tensor_numel(const einc_tensor *t);
/** Address of element [0, ..., 0]. Writable, except for a read-only tensor (below): its memory
 * is a file mapped without write permission, and a store through this pointer raises SIGSEGV. */
EINC_API void *einc_tensor_data(const einc_tensor *t);
/** True if `t` views read-only memory: a file mapped by einc_npy_load_mapped or
 * einc_safetensors_load_mapped (and every view of such a tensor). einc's writers refuse it with
 * EINC_EINVAL (einc_tensor_set, einc_tensor_copy_ as the destination, einc_init_uniform /
 * einc_init_kaiming_uniform, an optimiser's parameters); operations that return new tensors read
 * it like any other. einc_tensor_clone gives a writable copy. False for NULL. */
EINC_API bool einc_tensor_is_readonly(const einc_tensor *t);
/** True if the elements are laid out row-major without gaps (size-1 dimensions ignored). */
EINC_API bool einc_tensor_is_contiguous(const einc_tensor *t);
/** The context the tensor was created in. */
EINC_API einc_ctx *einc_tensor_ctx(const einc_tensor *t);

/** Element at `index` (ndim entries, negative allowed) converted to double. Out-of-range index:
 * EINC_EINDEX recorded, returns 0. A double holds every integer up to 2^53 exactly; int64 and
 * uint64 values beyond round to the nearest double (2^64 - 1 reads as 2^64): read them exactly
 * through einc_tensor_data or einc_tensor_to_buffer. */
EINC_API double einc_tensor_get(const einc_tensor *t, const int64_t *index);
/** Stores `value` (converted like einc_tensor_full; to an integer dtype truncated toward zero,
 * saturating at the dtype's range, NaN as 0) at `index`. Returns EINC_OK, or the status of
 * its own failure (EINC_EINDEX out of range, EINC_EINVAL for a NULL index or tensor) even when an
 * earlier error is already recorded in the context (that one stays recorded). */
EINC_API einc_status einc_tensor_set(einc_tensor *t, const int64_t *index, double value);
/** The single element of a tensor with numel 1, as double (else EINC_ESHAPE, returns 0). */
EINC_API double einc_tensor_item(const einc_tensor *t);
/** Copies the elements in row-major order into `dst` (numel * dtype size bytes, `dst_bytes`
 * checked). Works for any strides. */
EINC_API einc_status einc_tensor_to_buffer(const einc_tensor *t, void *dst, size_t dst_bytes);

/** Writes NumPy's repr of `t` to `out`, followed by a newline (what Python's print(repr(a))
 * shows). The text is exactly numpy 1.24's repr with the default print options:
 *   array([[1., 2.],
 *          [3., 4.]], dtype=float32)
 * - dtype: float64, int64 and bool arrays show no dtype; float32 and int32 end with
 *   ", dtype=float32" / ", dtype=int32" (moved to its own line when it would pass column 75);
 *   empty arrays always show it: array([], dtype=float64), array([], shape=(0, 3), dtype=float32).
 * - floats: NumPy's 'maxprec' mode with precision 8: the shortest digits that read back as the
 *   same value (in the tensor's own precision: float32 prints as float32), at most 8 after the
 *   decimal point, padded so the points align ("1. ", "2.5"); whole numbers print as "1.".
 *   Scientific notation ("1.5e-05", all elements with the same number of digits) when a finite
 *   nonzero magnitude is >= 1e8 or < 1e-4, or max/min > 1e3. nan, inf and -inf as such; -0. keeps
 *   its sign. Integers are right-aligned; bools print as " True" / "False" (0-d: "True").
 * - 0-d tensors print their element: array(3.5), array(2, dtype=int32).
 * - rows wrap at 75 columns; blocks of ndim >= 3 are separated by blank lines.
 * - when numel > 1000 only the first and last 3 items of every axis longer than 6 are shown,
 *   with "..." between, and the formatting (widths, notation) depends on the shown items only.
 * Any strides (transposed, negative, broadcast) print like the equivalent NumPy array. Printing
 * allocates nothing. The float digits rely on the C library's exact "%.*e" and correctly rounded
 * strtod/strtof (glibc, musl and macOS provide both). No difference from NumPy is known: the
 * tests compare the exact text of about 50 arrays and 300 random rows, and during development
 * 156 000 random rows (denormals, powers of two, integers near 2^26, extreme exponents, nan/inf)
 * and 2 400 random arrays of every dtype and up to 4 dimensions matched too.
 * Returns EINC_OK; EINC_EINVAL for a NULL tensor (nothing recorded) or stream (recorded);
 * EINC_EIO (recorded) when writing to the stream fails. */
EINC_API einc_status einc_tensor_print(const einc_tensor *t, FILE *out);
/** The text einc_tensor_print writes, without the newline, into `buf`, like snprintf: at most
 * size - 1 characters are stored and, when size > 0, always a terminating NUL; bytes past `size`
 * are never touched. Returns the length the whole text needs (excluding the NUL), so
 * einc_tensor_format(t, NULL, 0) measures it; -1 for a NULL tensor, or for a NULL `buf` with
 * size > 0 (EINC_EINVAL recorded). */
EINC_API int64_t einc_tensor_format(const einc_tensor *t, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------------
 * Views (no copy). All return a new handle sharing `t`'s storage.
 */

/** Reshape without copying: fails with EINC_ESHAPE ("viewing shape (3, 2, 4, 5) with strides
 * (20, 60, 5, 1) as shape (6, 20) is not possible without a copy") when the strides do not allow
 * it (NumPy's rule: only runs of dimensions contiguous with each other merge or split; size-1
 * dimensions never matter). One entry of `shape` may be -1 (inferred). A different element
 * count is EINC_ESHAPE; a second -1 or another negative size is EINC_EINVAL. */
EINC_API einc_tensor *einc_tensor_view(einc_ctx *ctx, einc_tensor *t, int ndim, const int64_t *shape);
/** Reshape: a view when the layout allows it, otherwise a contiguous copy (like torch.reshape). */
EINC_API einc_tensor *einc_tensor_reshape(einc_ctx *ctx, einc_tensor *t, int ndim, const int64_t *shape);
/** Reorders dimensions: result dim i is input dim axes[i] (NumPy transpose / torch permute).
 * `naxes` must equal ndim and `axes` be a permutation. */
EINC_API einc_tensor *einc_tensor_permute(einc_ctx *ctx, einc_tensor *t, int naxes, const int *axes);
/** Swaps two dimensions. */
EINC_API einc_tensor *einc_tensor_transpose(einc_ctx *ctx, einc_tensor *t, int axis0, int axis1);
/** Removes dimension `axis`, which must have size 1 (else EINC_ESHAPE). */
EINC_API einc_tensor *einc_tensor_squeeze(einc_ctx *ctx, einc_tensor *t, int axis);
/** Removes every size-1 dimension. */
EINC_API einc_tensor *einc_tensor_squeeze_all(einc_ctx *ctx, einc_tensor *t);
/** Inserts a size-1 dimension at position `axis` of the result (-1 = append). */
EINC_API einc_tensor *einc_tensor_unsqueeze(einc_ctx *ctx, einc_tensor *t, int axis);
/** Broadcasts to `shape` (NumPy broadcast_to: dims aligned at the end, size-1 dims stretched with
 * stride 0, new leading dims added). -1 in `shape` keeps that dimension (torch.expand). */
EINC_API einc_tensor *einc_tensor_expand(einc_ctx *ctx, einc_tensor *t, int ndim, const int64_t *shape);
/** Python slice t[..., start:stop:step, ...] on `axis`, with Python's clamping and negative
 * indices; step may be negative (step 0 or INT64_MIN is EINC_EVALUE). Use INT64_MAX / INT64_MIN
 * for an omitted bound (`x[::-1]` is start=INT64_MAX, stop=INT64_MIN, step=-1 — or see
 * einc_tensor_flip; `x[2:]` is start=2, stop=INT64_MAX, step=1). Any int64 bounds and steps are
 * valid, as in Python. */
EINC_API einc_tensor *einc_tensor_slice(einc_ctx *ctx, einc_tensor *t, int axis, int64_t start, int64_t stop,
                                        int64_t step);
/** torch.narrow: `length` elements from `start` (negative start counts from the end); out of range
 * is EINC_EINDEX. */
EINC_API einc_tensor *einc_tensor_narrow(einc_ctx *ctx, einc_tensor *t, int axis, int64_t start, int64_t length);
/** t[..., index, ...]: removes `axis` (negative index counts from the end; out of range EINC_EINDEX). */
EINC_API einc_tensor *einc_tensor_select(einc_ctx *ctx, einc_tensor *t, int axis, int64_t index);
/** NumPy diagonal: removes axis1 and axis2 and appends the diagonal (offset > 0 above the main
 * diagonal) as the last dimension, a view with stride strides[axis1] + strides[axis2]. Offsets
 * past the edge give a length-0 diagonal. Equal axes (after normalising negative ones) are
 * EINC_EINVAL. */
EINC_API einc_tensor *einc_tensor_diagonal(einc_ctx *ctx, einc_tensor *t, int64_t offset, int axis1, int axis2);
/** Reverses the given axes (negative strides); naxes = -1 (EINC_ALL) flips every axis. */
EINC_API einc_tensor *einc_tensor_flip(einc_ctx *ctx, einc_tensor *t, int naxes, const int *axes);

/* ---------------------------------------------------------------------------------------------
 * Copies.
 */

/** A row-major copy when `t` is not contiguous; otherwise a new view of the same storage. */
EINC_API einc_tensor *einc_tensor_contiguous(einc_ctx *ctx, einc_tensor *t);
/** Always a new contiguous copy. */
EINC_API einc_tensor *einc_tensor_clone(einc_ctx *ctx, einc_tensor *t);
/** Contiguous copy converted to `dtype` (C conversion; to bool: != 0, so NaN is true; float ->
 * int truncates toward zero, NaN becomes 0 and out-of-range values saturate (NumPy's result for
 * those is platform-specific); int64 -> int32 wraps like NumPy). */
EINC_API einc_tensor *einc_tensor_cast(einc_ctx *ctx, einc_tensor *t, einc_dtype dtype);
/** Copies `src` into `dst` in place, broadcasting `src` to `dst`'s shape and converting dtypes.
 * `dst` must not be a broadcast view (stride 0 with size > 1) and must not overlap `src` unless
 * they are the same view. */
EINC_API einc_status einc_tensor_copy_(einc_ctx *ctx, einc_tensor *dst, einc_tensor *src);

#ifdef __cplusplus
}
#endif
#endif /* EINC_TENSOR_H */
