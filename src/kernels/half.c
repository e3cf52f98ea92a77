/* half.c — float16 and bfloat16 <-> float32 runs: the portable loops, the reference twins and the
 * dispatch to the vector code of half_avx2.c (see half.h). */
#include "half.h"

void einc__k_f32_from_f16_ref(float *dst, const uint16_t *src, int64_t ss, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = einc__f16_to_f32(src[i * ss]);
}

void einc__k_f16_from_f32_ref(uint16_t *dst, int64_t ds, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i * ds] = einc__f16_from_f32(src[i]);
}

/* The baseline is the reference loop: the scalar conversions have branches for the special
 * exponents, so the compiler does not vectorise them anyway. */
void einc__k_f32_from_f16_with_isa(float *dst, const uint16_t *src, int64_t ss, int64_t n, int isa) {
#if EINC_X86_LEVELS
    if (isa > einc__cpu_level()) isa = einc__cpu_level();
    if (isa >= EINC_CPU_AVX2) {
        einc__k_f32_from_f16_avx2(dst, src, ss, n);
        return;
    }
#else
    (void)isa;
#endif
    einc__k_f32_from_f16_ref(dst, src, ss, n);
}

void einc__k_f16_from_f32_with_isa(uint16_t *dst, int64_t ds, const float *src, int64_t n, int isa) {
#if EINC_X86_LEVELS
    if (isa > einc__cpu_level()) isa = einc__cpu_level();
    if (isa >= EINC_CPU_AVX2) {
        einc__k_f16_from_f32_avx2(dst, ds, src, n);
        return;
    }
#else
    (void)isa;
#endif
    einc__k_f16_from_f32_ref(dst, ds, src, n);
}

void einc__k_f32_from_f16(float *dst, const uint16_t *src, int64_t ss, int64_t n) {
    einc__k_f32_from_f16_with_isa(dst, src, ss, n, einc__cpu_level());
}

void einc__k_f16_from_f32(uint16_t *dst, int64_t ds, const float *src, int64_t n) {
    einc__k_f16_from_f32_with_isa(dst, ds, src, n, einc__cpu_level());
}

void einc__k_f32_from_bf16_ref(float *dst, const uint16_t *src, int64_t ss, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = einc__bf16_to_f32(src[i * ss]);
}

void einc__k_bf16_from_f32_ref(uint16_t *dst, int64_t ds, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i * ds] = einc__bf16_from_f32(src[i]);
}

void einc__k_f32_from_bf16_with_isa(float *dst, const uint16_t *src, int64_t ss, int64_t n, int isa) {
#if EINC_X86_LEVELS
    if (isa > einc__cpu_level()) isa = einc__cpu_level();
    if (isa >= EINC_CPU_AVX2) {
        einc__k_f32_from_bf16_avx2(dst, src, ss, n);
        return;
    }
#else
    (void)isa;
#endif
    einc__k_f32_from_bf16_ref(dst, src, ss, n);
}

void einc__k_bf16_from_f32_with_isa(uint16_t *dst, int64_t ds, const float *src, int64_t n, int isa) {
#if EINC_X86_LEVELS
    if (isa > einc__cpu_level()) isa = einc__cpu_level();
    if (isa >= EINC_CPU_AVX2) {
        einc__k_bf16_from_f32_avx2(dst, ds, src, n);
        return;
    }
#else
    (void)isa;
#endif
    einc__k_bf16_from_f32_ref(dst, ds, src, n);
}

void einc__k_f32_from_bf16(float *dst, const uint16_t *src, int64_t ss, int64_t n) {
    einc__k_f32_from_bf16_with_isa(dst, src, ss, n, einc__cpu_level());
}

void einc__k_bf16_from_f32(uint16_t *dst, int64_t ds, const float *src, int64_t n) {
    einc__k_bf16_from_f32_with_isa(dst, ds, src, n, einc__cpu_level());
}
