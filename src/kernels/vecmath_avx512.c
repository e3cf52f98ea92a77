/* vecmath_avx512.c — the vector math row kernels for AVX-512: vecmath_simd.h over 16-lane
 * registers, with masked loads / stores for tails and vscalefps for 2^n. */
#include "vecmath.h"

#if EINC_X86_LEVELS
#include <immintrin.h>

typedef __m512 V;
typedef __m512d VD;
typedef __mmask16 M;
#define W 16
#define VM(name) name##_avx512

static inline V v_set1(float a) { return _mm512_set1_ps(a); }
static inline V v_zero(void) { return _mm512_setzero_ps(); }
static inline V v_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline void v_storeu(float *p, V v) { _mm512_storeu_ps(p, v); }
static inline void v_stream(float *p, V v) { _mm512_stream_ps(p, v); }
static inline M tail_mask(int64_t k) { return (M)((1u << k) - 1u); } /* 0 < k < W */
static inline V v_load_tail(const float *p, int64_t k, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail_mask(k), p);
}
static inline void v_store_tail(float *p, V v, int64_t k) { _mm512_mask_storeu_ps(p, tail_mask(k), v); }
/* a hint only: never faults, also past the end of the data */
static inline void v_prefetch(const float *p) { _mm_prefetch((const char *)p, _MM_HINT_T0); }
static inline void v_fence(void) { _mm_sfence(); }
static inline V v_add(V a, V b) { return _mm512_add_ps(a, b); }
static inline V v_sub(V a, V b) { return _mm512_sub_ps(a, b); }
static inline V v_mul(V a, V b) { return _mm512_mul_ps(a, b); }
static inline V v_div(V a, V b) { return _mm512_div_ps(a, b); }
static inline V v_sqrt(V a) { return _mm512_sqrt_ps(a); }
static inline V v_fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
static inline V v_fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
static inline V v_max(V a, V b) { return _mm512_max_ps(a, b); }
static inline V v_min(V a, V b) { return _mm512_min_ps(a, b); }
static inline V v_and(V a, V b) { return _mm512_and_ps(a, b); }
static inline V v_or(V a, V b) { return _mm512_or_ps(a, b); }
static inline V v_neg(V a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
static inline V v_abs(V a) { return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), a); }
/* p * 2^n rounded once, overflow to inf and denormals included */
static inline V v_ldexp(V p, V n) { return _mm512_scalef_ps(p, n); }
#define VM_EXP_SHIFT 0 /* vexp_le0 uses v_ldexp: one instruction here */
/* the unbiased exponent + 1 of a positive normal float, and its mantissa scaled into [0.5, 1) */
static inline V v_exponent(V x) {
    __m512i b = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(x), 23), _mm512_set1_epi32(0xff));
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(b, _mm512_set1_epi32(126)));
}
static inline V v_mantissa(V x) {
    __m512i b = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x007fffff));
    return _mm512_castsi512_ps(_mm512_or_si512(b, _mm512_set1_epi32(0x3f000000)));
}
static inline float v_hmax(V a) { return _mm512_reduce_max_ps(a); }
static inline float v_hmin(V a) { return _mm512_reduce_min_ps(a); }
/* lane sums as trees: of one vector, and of four at once (out[k] = the sum of the k-th) */
static inline float v_hsum(V a) { return _mm512_reduce_add_ps(a); }
/* the max and the sum of all lanes, in every lane (no round trip through a scalar register) */
static inline V v_allmax(V a) {
    V t = _mm512_max_ps(a, _mm512_shuffle_f32x4(a, a, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm512_max_ps(t, _mm512_shuffle_f32x4(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
    t = _mm512_max_ps(t, _mm512_shuffle_ps(t, t, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm512_max_ps(t, _mm512_shuffle_ps(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
}
static inline V v_allsum(V a) {
    V t = _mm512_add_ps(a, _mm512_shuffle_f32x4(a, a, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm512_add_ps(t, _mm512_shuffle_f32x4(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
    t = _mm512_add_ps(t, _mm512_shuffle_ps(t, t, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm512_add_ps(t, _mm512_shuffle_ps(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
}
static inline float v_first(V a) { return _mm512_cvtss_f32(a); }
static inline __m256 halves_sum(V a) { return _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1)); }
static inline void v_sums4(V a, V b, V c, V d, float *out) {
    __m256 t =
        _mm256_hadd_ps(_mm256_hadd_ps(halves_sum(a), halves_sum(b)), _mm256_hadd_ps(halves_sum(c), halves_sum(d)));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}
static inline V v_sel(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
static inline M m_lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline M m_gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline M m_le(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline M m_ge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline M m_eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline M m_unord(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }
static inline M m_or(M a, M b) { return (M)(a | b); }
static inline M m_none(void) { return 0; }
static inline bool m_any(M m) { return m != 0; }
static inline VD vd_zero(void) { return _mm512_setzero_pd(); }
static inline VD vd_set1(double a) { return _mm512_set1_pd(a); }
static inline VD vd_add(VD a, VD b) { return _mm512_add_pd(a, b); }
static inline VD vd_mul(VD a, VD b) { return _mm512_mul_pd(a, b); }
static inline VD vd_loadu(const double *p) { return _mm512_loadu_pd(p); }
static inline void vd_storeu(double *p, VD v) { _mm512_storeu_pd(p, v); }
static inline double vd_hsum(VD a) { return _mm512_reduce_add_pd(a); }
/* lo += the low 8 floats of v in float64, hi += the high 8 */
static inline void vd_add_f(VD *lo, VD *hi, V v) {
    *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

#include "vecmath_simd.h"

#else
typedef int einc__vecmath_avx512_unused; /* ISO C: a translation unit is not empty */
#endif
