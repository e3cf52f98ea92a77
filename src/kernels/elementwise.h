/* elementwise.h — private interface of the elementwise module: dtype rules and kernels.
 *
 * The dtype rules live with the operations (src/ops/elementwise_ops.c); the kernels
 * (src/kernels/elementwise.c) take the resolved dtypes and never fail.
 */
#ifndef EINC_KERNELS_ELEMENTWISE_H
#define EINC_KERNELS_ELEMENTWISE_H

#include "kernels.h"

/* ---- dtype rules (elementwise_ops.c) ------------------------------------------------------- */

/* Result dtype of `op` on an x of dtype `x` (the kernel also computes in it). False when the op
 * rejects the dtype (neg of bool). `op` must be valid. */
bool einc__ew_unary_dtype(einc_unary_op op, einc_dtype x, einc_dtype *result);

/* The dtype the operands are converted to (`compute`) and the result dtype of `op` on operands
 * of these dtypes and ranks. `result` equals `compute` except for comparisons (result bool).
 * False when the op rejects the dtypes (sub of two bools). `op` must be valid. */
bool einc__ew_binary_dtypes(einc_binary_op op, einc_dtype a, int a_ndim, einc_dtype b, int b_ndim,
                            einc_dtype *compute, einc_dtype *result);

/* ---- vectorisable float32 math, for any kernel's inner loops -------------------------------- */

/* c ? a : b through an integer mask. Under the default -ftrapping-math GCC keeps a float select
 * whose operands need arithmetic as a branch, and a branch stops vectorisation; a mask does not. */
static inline float einc__k_select_f32(bool c, float a, float b) {
    uint32_t ua, ub, m = 0u - (uint32_t)c;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, 4);
    return f;
}

/* exp(x) in float32, within 1 ulp of the exact value, NaN, ±inf, overflow and denormal results
 * included; loops over it vectorise (libm's expf is a call). x = n ln2 + r with a two-part ln2,
 * Cephes' degree-6 polynomial for exp(r), and 2^n applied as two power-of-two factors so that
 * denormal results are rounded once. */
static inline float einc__k_exp_f32(float x) {
    float xc = einc__k_select_f32(x < -104.0f, -104.0f, x); /* exp(-104) rounds to 0 */
    xc = einc__k_select_f32(xc > 89.0f, 89.0f, xc);         /* exp(89) overflows     */
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round(x / ln2) */
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t ni = (int32_t)einc__k_select_f32(n > -200.0f, n, -200.0f); /* NaN: any exponent */
    int32_t n1 = ni / 2, n2 = ni - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    return p * s1 * s2;
}

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
void einc__k_where(const einc__view *y, const einc__view *cond, const einc__view *a, const einc__view *b,
                   int ith, int nth);
void einc__k_where_ref(const einc__view *y, const einc__view *cond, const einc__view *a, const einc__view *b,
                       int ith, int nth);

/* True if an element of x, converted to the integer dtype `as` (int32 or int64), is negative;
 * the first such value (row-major order) goes to *value. Single-threaded: a validation pass. */
bool einc__k_find_negative(const einc__view *x, einc_dtype as, int64_t *value);

#endif /* EINC_KERNELS_ELEMENTWISE_H */
