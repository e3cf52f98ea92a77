/* kernels.h — the compute kernels: pure functions over strided views.
 *
 * A kernel takes einc__view arguments (data, dtype, shape, strides in elements), never a context:
 * it does not allocate, fail or report errors (its caller validated everything). Work is split by
 * (ith, nth): worker ith of nth does a disjoint part, and the union is the whole. Every optimised
 * kernel has a plain reference twin (suffix _ref) that tests use as the oracle.
 */
#ifndef EINC_KERNELS_H
#define EINC_KERNELS_H

#include "../core/internal.h"

/* Merges adjacent dimensions that are contiguous with each other in every one of `nviews` views
 * (all of the same shape) and drops size-1 dimensions, in place. Returns the new ndim (>= 0). */
int einc__k_coalesce(einc__view *views, int nviews);

/* dst[i] = (dst dtype) src[i] for every index; dst and src have the same shape. dst must not be
 * a broadcast view. Converts dtypes (C conversion; to bool: != 0; NaN/out of range to int: see
 * einc__store_f64). */
void einc__k_copy(const einc__view *dst, const einc__view *src, int ith, int nth);
void einc__k_copy_ref(const einc__view *dst, const einc__view *src, int ith, int nth);

/* einc__k_copy on the context's threads (src/ops/copy_ops.c): dst and src as for einc__k_copy. */
void einc__copy_views(einc_ctx *ctx, const einc__view *dst, const einc__view *src);

#endif /* EINC_KERNELS_H */
