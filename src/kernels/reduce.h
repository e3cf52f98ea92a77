/* reduce.h — reductions and softmax over an arbitrary SET of axes (private).
 *
 * Two layers:
 *   - op-level entries (einc__reduce_axes, einc__softmax_axes) that validate, allocate and run the
 *     kernels on the context's threads; the public einc_tensor_reduce / einc_tensor_softmax and the
 *     notation engine (sum("b [h w] c"), softmax("b [h w]")) both call these;
 *   - the pure kernels (einc__k_reduce, einc__k_softmax) and their _ref twins.
 *
 * A set of axes travels as a bit mask: bit d set = dimension d is reduced / normalised over.
 *
 * Determinism: kernels split the work over OUTPUT elements (rows of the reduction), never inside
 * one reduction, and the order in which one reduction visits its elements depends only on the
 * input's shape and strides. So results are bitwise the same for every thread count.
 */
#ifndef EINC_KERNELS_REDUCE_H
#define EINC_KERNELS_REDUCE_H

#include "kernels.h"

/* ---- kernels ------------------------------------------------------------------------------- */

/* x [d0, ..., dn-1] -> y [d0', ..., dn-1'], where di' = 1 for every bit i of `mask` and di' = di
 * otherwise (the keepdims shape; strides of the size-1 dimensions are ignored). y's dtype is
 * einc__reduce_dtype(op, x->dtype) and y must not overlap x. The caller guarantees that a
 * max/min/argmax/argmin never reduces an empty block.
 *
 * Accuracy: float sums (sum, mean, var, logsumexp's sum of exponentials) accumulate in float64,
 * whatever the input dtype; a run of contiguous float64 (or converted) elements is summed pairwise
 * (blocks of 128 with 8 partial sums, as NumPy does), so float64 sums also stay accurate; a
 * unit-stride float32 run is summed by the vector row kernel einc__vm_sum_f32 (float64 vector
 * accumulators, no conversion buffer), and float32 max / min runs by einc__vm_max_f32 /
 * einc__vm_min_f32. prod of floats multiplies in float64. logsumexp of float32 is one pass in
 * row mode (einc__vm_lse_f32: the online max and sum, exponentials within 1 ulp of float32) and
 * uses einc__k_exp_f32 in column mode; of other dtypes libm's exp. Integer sums and products wrap
 * modulo 2^64 (as NumPy's int64 does).
 *
 * Work is split over output elements: reducing the innermost contiguous dimension runs one output
 * at a time over contiguous runs; when the innermost contiguous dimension is a kept one, chunks
 * of neighbouring outputs are accumulated together row by row (vectorisable over the outputs). */
void einc__k_reduce(einc_reduce_op op, const einc__view *y, const einc__view *x, uint32_t mask, int ith, int nth);
void einc__k_reduce_ref(einc_reduce_op op, const einc__view *y, const einc__view *x, uint32_t mask, int ith, int nth);

/* x [d0, ..., dn-1] -> y [d0, ..., dn-1]: softmax (is_log: log_softmax) normalised jointly over the
 * dimensions in `mask`. y's dtype is x's for float32/float64 and float64 otherwise; y must not be
 * a broadcast view nor overlap x. A group whose maximum is NaN or +-inf gives NaN in that group
 * (as scipy.special.softmax does); -inf elements of a finite group give 0 (log: -inf). */
void einc__k_softmax(const einc__view *y, const einc__view *x, uint32_t mask, bool is_log, int ith, int nth);
void einc__k_softmax_ref(const einc__view *y, const einc__view *x, uint32_t mask, bool is_log, int ith, int nth);

/* ---- shared by the two kernels --------------------------------------------------------------- */

/* The iteration space of a reduction, simplified: size-1 dimensions dropped, mergeable
 * neighbours coalesced, reduced dimensions ordered so the innermost has the smallest stride. */
typedef struct einc__reduce_geom {
    int nk; /* kept dims (outputs), outermost first            */
    int64_t kshape[EINC_MAX_DIMS];
    int64_t kxs[EINC_MAX_DIMS], kys[EINC_MAX_DIMS]; /* x / y strides (elements)                */
    int nr;                                         /* reduced dims, innermost last                    */
    int64_t rshape[EINC_MAX_DIMS];
    int64_t rxs[EINC_MAX_DIMS], rys[EINC_MAX_DIMS]; /* rys only for a full-shape y (softmax)   */
    int64_t xoff, yoff;                             /* element offsets from flipped negative strides   */
    int64_t nout;                                   /* product of kshape (0: nothing to do)            */
    int64_t nred;                                   /* product of rshape (0: empty reduction)          */
    bool column; /* the last kept dim is the most contiguous: accumulate outputs in chunks    */
} einc__reduce_geom;

/* Builds the geometry of x reduced over `mask`. y_full: y has x's full shape (softmax), else y
 * is the keepdims shape and only its kept strides matter. keep_order: visit the reduced block in
 * row-major order of x's axes (argmax/argmin report flat indices), else reorder and flip reduced
 * dimensions freely for locality. */
void einc__reduce_geom_init(einc__reduce_geom *g, const einc__view *x, const einc__view *y, uint32_t mask, bool y_full,
                            bool keep_order);

/* Outputs processed together in column mode (accumulators live on the stack). */
#define EINC__REDUCE_CHUNK 1024

/* dst[i] = (double)x[i * stride] for i < n; bools give 0/1. */
void einc__reduce_load_f64(double *dst, const char *p, einc_dtype dtype, int64_t stride, int64_t n);

/* ---- float32 exp, shared by softmax and logsumexp ------------------------------------------ */

#include "vecmath.h" /* einc__k_exp_f32, einc__k_select_f32 */

#endif /* EINC_KERNELS_REDUCE_H */
