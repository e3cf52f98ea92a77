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

/* Kernels that have code for several instruction sets pick it with einc__cpu_level()
 * (src/core/cpu.c); their _with_isa entry points take the level explicitly, for the tests. */

/* dst[i] = (dst dtype) src[i] for every index; dst and src have the same shape, any strides
 * (negative, and 0 in src). dst must not be a broadcast view and must not overlap src. Converts
 * dtypes like einc__store_f64(einc__load_f64()) (C conversion; to bool: != 0; NaN -> 0 and
 * saturation into integers), except that int64 sources convert directly: to int32 wrapping, to
 * bool and float64 without a detour (to float32 it still rounds through float64). Permutes run as
 * tiled in-register transposes. Destinations of 4 MiB and more are mostly written with streaming
 * stores, so they are not left in cache. The result does not depend on (ith, nth).
 *   dst [d0, ..., dn] <- src [d0, ..., dn] */
void einc__k_copy(const einc__view *dst, const einc__view *src, int ith, int nth);
/* einc__k_copy restricted to instruction set `isa` (an EINC_CPU_* value no higher than
 * einc_cpu_level_supported()), so tests can check every code path on one machine. */
void einc__k_copy_with_isa(const einc__view *dst, const einc__view *src, int ith, int nth, int isa);
/* The oracle: one element at a time, in row-major order. */
void einc__k_copy_ref(const einc__view *dst, const einc__view *src, int ith, int nth);

#endif /* EINC_KERNELS_H */
