/* sort.h — sorting rows, unravelling flat indices, scattering rows by a permutation (private).
 *
 * "Rows" are the 1-d slices of a view along one dimension (`axis`); work is split over rows, so
 * results never depend on (ith, nth).
 */
#ifndef EINC_KERNELS_SORT_H
#define EINC_KERNELS_SORT_H

#include "kernels.h"

/* Bytes of scratch one worker of einc__k_sort needs for rows of length n (a multiple of 64). */
size_t einc__k_sort_scratch(int64_t n);

/* x [d0, ..., dn-1] -> values [same] (x's dtype) and/or indices [same] (int64): every row of x
 * along `axis` sorted ascending, STABLY (equal elements keep their order, so indices[..., k, ...] is
 * NumPy's argsort(kind="stable")). Floats: NaN sorts after everything (NumPy's order), -0.0 and
 * 0.0 are equal; bools: false before true. Either output may be NULL; outputs must not overlap x
 * and must not be broadcast views; x may have any strides (0 and negative included).
 * `scratch` holds nth * einc__k_sort_scratch(x->shape[axis]) bytes, 8-byte aligned; worker ith
 * uses its own part. Each element becomes an order-preserving unsigned key (floats: sign-folded bits
 * with -0.0 as 0.0 and every NaN as the largest key; integers: offset by half their range), the
 * keys are sorted with their positions — rows of 256 and more by a least-significant-digit radix
 * sort (one counting pass per key byte that varies), shorter ones by a bottom-up merge sort over
 * runs of 32 sorted by insertion — and values are copied from x by position, so they keep their
 * exact bits (NaN payloads, -0.0). */
void einc__k_sort(const einc__view *values, const einc__view *indices, const einc__view *x, int axis, void *scratch,
                  int ith, int nth);
/* The oracle: each element's place computed by counting (O(n^2) per row, no scratch):
 * place(i) = #{j : x[j] < x[i]} + #{j < i : x[j] == x[i]} with the same order as above. */
void einc__k_sort_ref(const einc__view *values, const einc__view *indices, const einc__view *x, int axis, int ith,
                      int nth);

/* flat [d0, ..., dn-1] (int64, stride 0 along `axis`) -> y [same] (int64): y[..., k, ...] is the
 * k-th coordinate of flat[...] unravelled over sizes[0..ncoords) in row-major order (k = the
 * index along `axis`); with axis < 0 (then ncoords == 1) y = flat. */
void einc__k_unravel(const einc__view *y, const einc__view *flat, int axis, int ncoords, const int64_t *sizes, int ith,
                     int nth);

/* dst[..., idx[..., k, ...], ...] = src[..., k, ...] along `axis` (every row of idx a permutation
 * of 0 .. n-1): undoes a gather by the permutation (the gradient of sort). dst and src float32 or
 * float64 (converted like einc__store_f64), idx int64; dst must not overlap src or idx. */
void einc__k_scatter_rows(const einc__view *dst, const einc__view *src, const einc__view *idx, int axis, int ith,
                          int nth);

#endif /* EINC_KERNELS_SORT_H */
