/* einc/reduce.h — the raw reductions, softmax and log_softmax.
 *
 * Reductions take a set of axes as (naxes, axes) — EINC_DIMS(0, 2) — or every axis with EINC_ALL.
 * naxes = 0 reduces nothing (NumPy's axis=()). Duplicate or out-of-range axes are EINC_EINVAL.
 * With keepdims the reduced dimensions stay as size 1. Inputs may have any strides.
 *
 * Result dtypes follow NumPy: sum/prod of bool or int32 give int64, of int64 int64, of floats the
 * same float; mean/var/std/logsumexp of integers or bools give float64; max/min keep the dtype;
 * argmax/argmin and count_nonzero give int64; any/all give bool. var and std are population
 * statistics (ddof = 0). max/min/argmax/argmin of an empty reduction are EINC_EVALUE (NumPy raises);
 * sum of nothing is 0, prod 1, mean of nothing NaN. NaN propagates through max/min; argmax/argmin
 * return the first NaN's position, like NumPy. argmax over several axes returns the row-major flat
 * index within the reduced block (NumPy's argmax with axis=None is the all-axes case).
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

/** Name of the reduction ("sum", "logsumexp", ...). */
EINC_API const char *einc_reduce_op_name(einc_reduce_op op);

/** Reduces `x` over the given axes. */
EINC_API einc_tensor *einc_tensor_reduce(einc_ctx *ctx, einc_reduce_op op, einc_tensor *x, int naxes,
                                         const int *axes, bool keepdims);

/* Conveniences: einc_tensor_sum(ctx, x, EINC_DIMS(1), false). */
EINC_API einc_tensor *einc_tensor_sum(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_mean(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_max(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_min(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);
EINC_API einc_tensor *einc_tensor_argmax(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims);

/** Softmax over `axis`: exp(x - max) / sum(exp(x - max)), numerically stable. Float dtypes keep
 * their dtype; integers and bools give float64. */
EINC_API einc_tensor *einc_tensor_softmax(einc_ctx *ctx, einc_tensor *x, int axis);
/** log_softmax over `axis`: x - max - log(sum(exp(x - max))). */
EINC_API einc_tensor *einc_tensor_log_softmax(einc_ctx *ctx, einc_tensor *x, int axis);

#ifdef __cplusplus
}
#endif
#endif /* EINC_REDUCE_H */
