/* vecmath.h — float32 math that vectorises: a branch-free select and exp (shared by the
 * elementwise, reduction and softmax kernels). Private. */
#ifndef EINC_VECMATH_H
#define EINC_VECMATH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

#endif /* EINC_VECMATH_H */
