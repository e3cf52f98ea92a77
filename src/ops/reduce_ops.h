/* reduce_ops.h — the reductions' entry points below the public API, for tests (private). */
#ifndef EINC_OPS_REDUCE_OPS_H
#define EINC_OPS_REDUCE_OPS_H

#include "../core/internal.h"

/* einc_tensor_reduce without the NULL-context check: reduces `x` over `axes` (naxes == -1: every
 * axis; 0: none). Errors are reported as coming from "einc_tensor_reduce". */
einc_tensor *einc__reduce_axes(einc_ctx *ctx, einc_reduce_op op, einc_tensor *x, int naxes, const int *axes,
                               bool keepdims);
/* softmax (is_log == false) or log_softmax (is_log == true) of `x`, normalised jointly over the set of
 * `axes` (naxes == -1: every axis; 0: none, which gives ones / zeros). Same shape as `x`; float
 * dtypes keep their dtype, integers and bools give float64. */
einc_tensor *einc__softmax_axes(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool is_log);

/* Validates (naxes, axes) for a tensor with `ndim` dimensions and turns them into a mask.
 * naxes == -1 selects every axis (axes ignored); negative axes count from the end. Out-of-range,
 * duplicate axes, naxes < -1 or a NULL `axes` with naxes > 0 record EINC_EINVAL (message starts
 * with `fname`) and return false. */
bool einc__reduce_mask(einc_ctx *ctx, const char *fname, int ndim, int naxes, const int *axes, uint32_t *mask);

#endif /* EINC_OPS_REDUCE_OPS_H */
