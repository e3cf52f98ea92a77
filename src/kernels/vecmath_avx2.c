/* vecmath_avx2.c — the vector math row kernels for AVX2 + FMA: vecmath_simd.h over 8-lane
 * registers, with vmaskmov / blend for tails and 2^n built in the exponent bits. */
#include "vecmath.h"

#if EINC_X86_LEVELS
#include <immintrin.h>

typedef __m256 V;
typedef __m256d VD;
typedef __m256 M; /* all-ones / all-zeros lanes */
#define W 8
#define VM(name) name##_avx2

static inline V v_set1(float a) { return _mm256_set1_ps(a); }
static inline V v_zero(void) { return _mm256_setzero_ps(); }
static inline V v_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline void v_storeu(float *p, V v) { _mm256_storeu_ps(p, v); }
static inline void v_stream(float *p, V v) { _mm256_stream_ps(p, v); }
static inline __m256i tail_mask(int64_t k) { /* lanes [0, k) set, 0 < k < W */
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline V v_load_tail(const float *p, int64_t k, float fill) {
    __m256i m = tail_mask(k);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
static inline void v_store_tail(float *p, V v, int64_t k) { _mm256_maskstore_ps(p, tail_mask(k), v); }
/* a hint only: never faults, also past the end of the data */
static inline void v_prefetch(const float *p) { _mm_prefetch((const char *)p, _MM_HINT_T0); }
static inline void v_fence(void) { _mm_sfence(); }
static inline V v_add(V a, V b) { return _mm256_add_ps(a, b); }
static inline V v_sub(V a, V b) { return _mm256_sub_ps(a, b); }
static inline V v_mul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline V v_div(V a, V b) { return _mm256_div_ps(a, b); }
static inline V v_sqrt(V a) { return _mm256_sqrt_ps(a); }
static inline V v_fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
static inline V v_fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
static inline V v_max(V a, V b) { return _mm256_max_ps(a, b); }
static inline V v_min(V a, V b) { return _mm256_min_ps(a, b); }
static inline V v_and(V a, V b) { return _mm256_and_ps(a, b); }
static inline V v_or(V a, V b) { return _mm256_or_ps(a, b); }
static inline V v_neg(V a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
static inline V v_abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
/* p * 2^n with n in [-150, 128] (or NaN, when p is NaN too) as two power-of-two factors, each a
 * normal float, so that p * 2^n1 is exact and the second product rounds once (denormals). */
static inline V v_ldexp(V p, V n) {
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    __m256i bias = _mm256_set1_epi32(127);
    V s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    V s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}
/* vexp_le0's 2^n: the float whose exponent field is the low bits of t (see vecmath_simd.h) */
#define VM_EXP_SHIFT 1
static inline V v_pow2_bits(V t) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23)); }
static inline V v_exponent(V x) {
    __m256i b = _mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(x), 23), _mm256_set1_epi32(0xff));
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(b, _mm256_set1_epi32(126)));
}
static inline V v_mantissa(V x) {
    __m256i b = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x007fffff));
    return _mm256_castsi256_ps(_mm256_or_si256(b, _mm256_set1_epi32(0x3f000000)));
}
static inline float v_hmax(V a) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
static inline float v_hmin(V a) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}
/* the max and the sum of all lanes, in every lane (no round trip through a scalar register) */
static inline V v_allmax(V a) {
    V t = _mm256_max_ps(a, _mm256_permute2f128_ps(a, a, 1));
    t = _mm256_max_ps(t, _mm256_shuffle_ps(t, t, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_max_ps(t, _mm256_shuffle_ps(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
}
static inline V v_allsum(V a) {
    V t = _mm256_add_ps(a, _mm256_permute2f128_ps(a, a, 1));
    t = _mm256_add_ps(t, _mm256_shuffle_ps(t, t, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_add_ps(t, _mm256_shuffle_ps(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
}
static inline float v_first(V a) { return _mm256_cvtss_f32(a); }
/* lane sums as trees: of one vector, and of four at once (out[k] = the sum of the k-th) */
static inline float v_hsum(V a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
static inline void v_sums4(V a, V b, V c, V d, float *out) {
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d)); /* [a b c d] per 128-bit half */
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1)));
}
static inline V v_sel(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
static inline M m_lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline M m_gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline M m_le(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline M m_ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline M m_eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline M m_unord(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_UNORD_Q); }
static inline M m_nlt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NLT_UQ); } /* NaN: true */
static inline V v_keep(V a, M m) { return _mm256_and_ps(a, m); }             /* 0 where m is false */
static inline M m_or(M a, M b) { return _mm256_or_ps(a, b); }
static inline M m_none(void) { return _mm256_setzero_ps(); }
static inline bool m_any(M m) { return _mm256_movemask_ps(m) != 0; }
static inline VD vd_zero(void) { return _mm256_setzero_pd(); }
static inline VD vd_set1(double a) { return _mm256_set1_pd(a); }
static inline VD vd_add(VD a, VD b) { return _mm256_add_pd(a, b); }
static inline VD vd_mul(VD a, VD b) { return _mm256_mul_pd(a, b); }
static inline VD vd_loadu(const double *p) { return _mm256_loadu_pd(p); }
static inline void vd_storeu(double *p, VD v) { _mm256_storeu_pd(p, v); }
static inline double vd_hsum(VD a) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
static inline void vd_add_f(VD *lo, VD *hi, V v) {
    *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

#include "vecmath_simd.h"

#else
typedef int einc__vecmath_avx2_unused; /* ISO C: a translation unit is not empty */
#endif
