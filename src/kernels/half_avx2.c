/* half_avx2.c — float16 <-> float32 runs with F16C (vcvtph2ps / vcvtps2ph) and bfloat16 <-> float32
 * runs with AVX2 integer arithmetic, 8 or 16 lanes at a time on unit strides; tails and other
 * strides element by element with the scalar conversions, which give the same bits (half.h).
 * Called only at level AVX2 or higher (half.c). */
#include "half.h"

#if EINC_X86_LEVELS
#include <immintrin.h>

/* Eight float16 values widened. vcvtph2ps quiets a signalling NaN (sets the float32 quiet bit,
 * 1 << 22); einc's widening is exact and keeps it signalling, as einc_tensor_cast does, so that
 * bit is cleared again in the lanes whose input was one (exponent all ones, quiet bit 9 clear,
 * payload nonzero). Two compares and a few logic ops per vector. */
static inline __m256 widen8(const uint16_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m256 f = _mm256_cvtph_ps(h);
    __m128i top = _mm_cmpeq_epi16(_mm_and_si128(h, _mm_set1_epi16(0x7e00)), _mm_set1_epi16(0x7c00));
    __m128i none = _mm_cmpeq_epi16(_mm_and_si128(h, _mm_set1_epi16(0x01ff)), _mm_setzero_si128());
    __m256i snan = _mm256_cvtepi16_epi32(_mm_andnot_si128(none, top)); /* all-ones lanes */
    __m256i fix = _mm256_and_si256(snan, _mm256_set1_epi32(0x00400000));
    return _mm256_castsi256_ps(_mm256_xor_si256(_mm256_castps_si256(f), fix));
}

void einc__k_f32_from_f16_avx2(float *dst, const uint16_t *src, int64_t ss, int64_t n) {
    int64_t i = 0;
    if (ss == 1) {
        for (; i + 16 <= n; i += 16) { /* two vectors per step: the conversions pipeline */
            __m256 a = widen8(src + i), b = widen8(src + i + 8);
            _mm256_storeu_ps(dst + i, a);
            _mm256_storeu_ps(dst + i + 8, b);
        }
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen8(src + i));
    }
    for (; i < n; i++) dst[i] = einc__f16_to_f32(src[i * ss]);
}

void einc__k_f16_from_f32_avx2(uint16_t *dst, int64_t ds, const float *src, int64_t n) {
    int64_t i = 0;
    if (ds == 1) {
        /* imm8 0: round to nearest even whatever MXCSR says; no exceptions are unmasked here */
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
            __m128i b = _mm256_cvtps_ph(_mm256_loadu_ps(src + i + 8), _MM_FROUND_TO_NEAREST_INT);
            _mm_storeu_si128((__m128i *)(void *)(dst + i), a);
            _mm_storeu_si128((__m128i *)(void *)(dst + i + 8), b);
        }
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)(void *)(dst + i),
                             _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) dst[i * ds] = einc__f16_from_f32(src[i]);
}

/* bfloat16 is float32's upper half: widening is a shift. */
static inline __m256 widen8_bf16(const uint16_t *p) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
}

void einc__k_f32_from_bf16_avx2(float *dst, const uint16_t *src, int64_t ss, int64_t n) {
    int64_t i = 0;
    if (ss == 1)
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, widen8_bf16(src + i));
    for (; i < n; i++) dst[i] = einc__bf16_to_f32(src[i * ss]);
}

/* Eight float32 narrowed to bfloat16 in the low 16 bits of each 32-bit lane: as einc__bf16_from_f32,
 * x + 0x7fff + (bit 16 of x), shifted down (round to nearest even; a carry may reach infinity),
 * and a NaN kept a NaN with the quiet bit set. */
static inline __m256i narrow8_bf16(const float *p) {
    __m256i x = _mm256_castps_si256(_mm256_loadu_ps(p));
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), odd), 16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    __m256i q = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(r, q, nan);
}

void einc__k_bf16_from_f32_avx2(uint16_t *dst, int64_t ds, const float *src, int64_t n) {
    int64_t i = 0;
    if (ds == 1) {
        for (; i + 16 <= n; i += 16) {
            /* packus interleaves the 128-bit halves: [a0-3 b0-3 a4-7 b4-7]; the permute restores order */
            __m256i pk = _mm256_packus_epi32(narrow8_bf16(src + i), narrow8_bf16(src + i + 8));
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_permute4x64_epi64(pk, 0xd8));
        }
    }
    for (; i < n; i++) dst[i * ds] = einc__bf16_from_f32(src[i]);
}
#else
typedef int einc__half_avx2_empty; /* ISO C wants a declaration in every file */
#endif
