/* elementwise.h — the elementwise kernels and their reference twins (private).
 *
 * The dtype rules are core's (src/core/dtype_rules.c, declared in core/internal.h); the kernels
 * (src/kernels/elementwise.c) take the resolved dtypes and never fail.
 */
#ifndef EINC_KERNELS_ELEMENTWISE_H
#define EINC_KERNELS_ELEMENTWISE_H

#include "kernels.h"

/* ---- vectorisable float32 math, for any kernel's inner loops -------------------------------- */

#include "vecmath.h"

/* ---- kernels (elementwise.c) --------------------------------------------------------------- */

/* Shared contract: every input view has the output's shape (broadcast views with stride 0 are
 * fine, negative strides too) and may have any dtype: it is converted to the compute dtype as
 * einc_tensor_cast converts. The output must not be a broadcast view and must not overlap an
 * input. Worker ith of nth writes a disjoint part of the output; the result does not depend on
 * nth. The _ref twins walk one element at a time through int64/double and are the test oracle. */

/* x [...] -> y [...]: y = op(x), computed in y's dtype, which must be the one
 * einc__ew_unary_dtype gives. */
void einc__k_unary(einc_unary_op op, const einc__view *y, const einc__view *x, int ith, int nth);
void einc__k_unary_ref(einc_unary_op op, const einc__view *y, const einc__view *x, int ith, int nth);

/* a [...], b [...] -> y [...]: y = op(a, b) computed in `compute`; compute and y's dtype must be
 * the pair einc__ew_binary_dtypes gives. Integer pow with a negative exponent gives 0 (callers
 * reject it first with einc__k_find_negative). */
void einc__k_binary(einc_binary_op op, einc_dtype compute, const einc__view *y, const einc__view *a,
                    const einc__view *b, int ith, int nth);
void einc__k_binary_ref(einc_binary_op op, einc_dtype compute, const einc__view *y, const einc__view *a,
                        const einc__view *b, int ith, int nth);

/* cond [...], a [...], b [...] -> y [...]: y = cond != 0 ? a : b, with a and b converted to y's
 * dtype. */
void einc__k_where(const einc__view *y, const einc__view *cond, const einc__view *a, const einc__view *b, int ith,
                   int nth);
void einc__k_where_ref(const einc__view *y, const einc__view *cond, const einc__view *a, const einc__view *b, int ith,
                       int nth);

/* True if an element of x, converted to the integer dtype `as` (int32 or int64; for uint64, x's
 * signed integers as int64), is negative;
 * the first such value (row-major order) goes to *value. Single-threaded: a validation pass. */
bool einc__k_find_negative(const einc__view *x, einc_dtype as, int64_t *value);

#endif /* EINC_KERNELS_ELEMENTWISE_H */
