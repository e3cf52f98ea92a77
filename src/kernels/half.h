/* half.h — runs of float16 and bfloat16 converted to and from float32, chosen per instruction-set
 * level (half.c: the portable code, the dispatch and the reference twins; half_avx2.c: F16C for
 * float16, AVX2 integer arithmetic for bfloat16). Private.
 *
 * Every level gives the bits of einc__f16_to_f32 / einc__f16_from_f32 (src/core/internal.h):
 * widening is exact, narrowing rounds to nearest even, overflows to infinity, keeps signed zeros
 * and subnormals and turns a NaN into a quiet NaN with its sign and top payload bits, which is
 * what F16C's vcvtps2ph does (imm8 0: round to nearest even, whatever MXCSR says). vcvtph2ps
 * differs in one respect, fixed up in half_avx2.c: it quiets signalling NaNs. bfloat16 gives the
 * bits of einc__bf16_to_f32 / einc__bf16_from_f32 at every level (a shift; round to nearest even
 * on the dropped 16 bits, NaN made quiet). */
#ifndef EINC_KERNELS_HALF_H
#define EINC_KERNELS_HALF_H

#include "isa.h"

/* dst[i] = src[i * ss] as float32, i < n.   dst [n] <- src [n : ss] */
void einc__k_f32_from_f16(float *dst, const uint16_t *src, int64_t ss, int64_t n);
/* dst[i * ds] = src[i] rounded to float16, i < n.   dst [n : ds] <- src [n] */
void einc__k_f16_from_f32(uint16_t *dst, int64_t ds, const float *src, int64_t n);

/* The bfloat16 forms of the two. */
void einc__k_f32_from_bf16(float *dst, const uint16_t *src, int64_t ss, int64_t n);
void einc__k_bf16_from_f32(uint16_t *dst, int64_t ds, const float *src, int64_t n);

/* The same at level `isa` (an EINC_CPU_* value; above the CPU's own level it is lowered), for
 * the tests and benchmarks. */
void einc__k_f32_from_f16_with_isa(float *dst, const uint16_t *src, int64_t ss, int64_t n, int isa);
void einc__k_f16_from_f32_with_isa(uint16_t *dst, int64_t ds, const float *src, int64_t n, int isa);
void einc__k_f32_from_bf16_with_isa(float *dst, const uint16_t *src, int64_t ss, int64_t n, int isa);
void einc__k_bf16_from_f32_with_isa(uint16_t *dst, int64_t ds, const float *src, int64_t n, int isa);

/* The oracles: one element at a time through the scalar conversions. */
void einc__k_f32_from_f16_ref(float *dst, const uint16_t *src, int64_t ss, int64_t n);
void einc__k_f16_from_f32_ref(uint16_t *dst, int64_t ds, const float *src, int64_t n);
void einc__k_f32_from_bf16_ref(float *dst, const uint16_t *src, int64_t ss, int64_t n);
void einc__k_bf16_from_f32_ref(uint16_t *dst, int64_t ds, const float *src, int64_t n);

#if EINC_X86_LEVELS
/* half_avx2.c: vector code on unit strides (other strides go element by element); the AVX-512
 * level uses these too. */
void einc__k_f32_from_f16_avx2(float *dst, const uint16_t *src, int64_t ss, int64_t n);
void einc__k_f16_from_f32_avx2(uint16_t *dst, int64_t ds, const float *src, int64_t n);
void einc__k_f32_from_bf16_avx2(float *dst, const uint16_t *src, int64_t ss, int64_t n);
void einc__k_bf16_from_f32_avx2(uint16_t *dst, int64_t ds, const float *src, int64_t n);
#endif

#endif /* EINC_KERNELS_HALF_H */
