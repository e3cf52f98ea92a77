/* einc/reduce.h — the raw reductions, softmax and log_softmax.
 *
 * Axes. Reductions take a set of axes as (naxes, axes) — EINC_DIMS(0, 2) — or every axis with
 * EINC_ALL (naxes = -1; `axes` is then ignored). Negative axes count from the end; the order in
 * which the axes are listed does not matter. naxes = 0 reduces nothing (NumPy's axis=()): every
 * element is its own block, so sum gives the elements (as the result dtype), var 0, argmax 0.
 * Out-of-range or duplicate axes, naxes < -1, or axes == NULL with naxes > 0 are EINC_EINVAL.
 * A 0-d input has no axes: EINC_ALL (or naxes 0) gives a 0-d result.
 *
 * Shapes. Without keepdims the reduced dimensions are removed; with keepdims they stay as size
 * 1 (so the result broadcasts against the input). Inputs may have any strides: non-contiguous,
 * broadcast (stride 0) or negative. Results are new contiguous tensors in the current scope.
 *
 * Result dtypes follow NumPy (x86-64 Linux): sum/prod of bool or a signed integer (int8, int16,
 * int32, int64) give int64, of an unsigned one (uint8, uint64) uint64, of floats the same float,
 * integers wrapping modulo 2^64; mean/var/std/logsumexp of integers or bools give float64, of
 * floats the same float; max/min keep the dtype (bool: any/all); argmax/argmin and count_nonzero
 * give int64; any/all give bool. float16 and bfloat16 keep their dtype, accumulated in float64
 * and rounded once.
 *
 * Values follow NumPy:
 *   - var and std are population statistics (ddof = 0), computed in two passes (mean, then the
 *     squared deviations from it);
 *   - logsumexp is max + log(sum(exp(x - max))), so large inputs do not overflow; a block whose
 *     max is not finite gives that max (all -inf: -inf; any +inf: +inf; any NaN: NaN);
 *   - integer sums and products wrap modulo 2^64 like NumPy's int64; int64 values beyond 2^53
 *     are summed, multiplied and compared exactly;
 *   - NaN propagates through sum, prod, mean, var, max, min and logsumexp; argmax/argmin return
 *     the position of the first NaN (NumPy does the same); any/all/count_nonzero count NaN as
 *     nonzero;
 *   - argmax/argmin return the FIRST position of the extreme value. Over several axes (or all)
 *     they return the row-major flat index within the reduced block, the reduced axes taken in
 *     the tensor's order (NumPy's argmax with axis=None is the all-axes case), e.g. for x of
 *     shape (B, H, W) reduced over (1, 2) the result is h * W + w;
 *   - empty blocks (a reduced axis of length 0): sum 0, prod 1, mean/var/std NaN, any false,
 *     all true, count_nonzero 0, logsumexp -inf; max/min/argmax/argmin are EINC_EVALUE (NumPy
 *     raises: there is no identity), even when the result itself would be empty.
 *
 * Accuracy. Float sums accumulate in float64 whatever the input dtype (contiguous runs pairwise,
 * like NumPy), so float32 sum/mean/var are more accurate than NumPy's float32 accumulation and can
 * differ from it in the last bit. prod of floats multiplies in float64.
 *
 * Threads. Work is split over output elements, never inside one reduction, and the order in
 * which a reduction visits its elements depends only on the input's shape and strides: results
 * are bitwise identical for every thread count.
 */
#ifndef EINC_REDUCE_H
#define EINC_REDUCE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum einc_reduce_op {
    EINC_REDUCE_SUM,
    EINC_REDUCE_MEAN,
    EINC_REDUCE_VAR,
    EINC_REDUCE_STD,
    EINC_REDUCE_PROD,
    EINC_REDUCE_MAX,
    EINC_REDUCE_MIN,
    EINC_REDUCE_ARGMAX,
    EINC_REDUCE_ARGMIN,
    EINC_REDUCE_ANY,
    EINC_REDUCE_ALL,
    EINC_REDUCE_COUNT_NONZERO,
    EINC_REDUCE_LOGSUMEXP
} einc_reduce_op;

/** einc_reduce_op_name: NumPy's name of the reduction ("sum", "count_nonzero", "logsumexp", ...);
 * "invalid" for a value outside the enum. */
EINC_API const char *einc_reduce_op_name(einc_reduce_op op);

/** einc_tensor_reduce: reduces `x` with `op` over the axes (naxes, axes); see the top of this file
 * for axes, shapes, dtypes and values.
 *   x [d0, ..., dn-1] -> y [the di not reduced]            (keepdims: di = 1 where reduced)
 * Returns a new tensor owned by the current scope, or NULL with the error recorded: EINC_EINVAL
 * (NULL x, unknown op, bad axes), EINC_EVALUE (max/min/argmax/argmin of an empty block),
 * EINC_ENOMEM. */
EINC_API einc_tensor *einc_tensor_reduce(einc_ctx *ctx, einc_reduce_op op, einc_tensor *x, int naxes, const int *axes,
                                         bool keepdims);

/** Conveniences, the same as einc_tensor_reduce with the named op (errors name the convenience):
 *   einc_tensor *colsum = einc_tensor_sum(ctx, x, EINC_DIMS(0), false);
 *   einc_tensor *best   = einc_tensor_argmax(ctx, logits, EINC_DIMS(-1), false);   // int64 */
EINC_API einc_tensor *einc_tensor_sum(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_mean(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_max(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_min(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_argmax(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);

/** einc_tensor_softmax: exp(x - max) / sum(exp(x - max)) along `axis` (negative counts from the
 * end), numerically stable for any magnitude.
 *   x [..., n, ...] -> y [..., n, ...]   (same shape; each slice along `axis` sums to 1)
 * float32 and float64 keep their dtype; integers and bools give float64. Any strides. A slice
 * containing NaN, +inf, or only -inf gives NaN throughout (as scipy.special.softmax); -inf
 * elements of an otherwise finite slice give 0. float32 exponentials are accurate to about
 * 1 ulp (at AVX2, exponentials below 2^-126.4 of x - max are 0, not denormals); float32 softmax
 * sums accumulate in float32 over blocks of 1024 elements, combined in float64 (log_softmax and
 * float64: in float64). Results do not depend on the thread count.
 * Returns a new tensor owned by the current scope, or NULL: EINC_EINVAL (NULL x, axis out of
 * range; a 0-d tensor has no axis), EINC_ENOMEM. */
EINC_API einc_tensor *einc_tensor_softmax(einc_ctx *ctx, einc_tensor *x, int axis);

/** einc_tensor_log_softmax: x - max - log(sum(exp(x - max))) along `axis`; the same shapes,
 * dtypes, special values (NaN where softmax gives NaN; -inf where it gives 0) and errors as
 * einc_tensor_softmax. More accurate than log(softmax(x)) for very negative entries. */
EINC_API einc_tensor *einc_tensor_log_softmax(einc_ctx *ctx, einc_tensor *x, int axis);

#ifdef __cplusplus
}
#endif
#endif /* EINC_REDUCE_H */
