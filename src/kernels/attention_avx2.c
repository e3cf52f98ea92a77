/* attention_avx2.c — the AVX2 + FMA float32 micro-kernels of fused attention: 6 x 8 and 6 x 16
 * tiles (the GEMM's template, gemm_micro.h, at two widths), so a head dimension of 8 is not padded to 16. */
#include <immintrin.h>

#include "attention.h"
#include "vecmath.h"

#define GEMM_MR 6
#define GEMM_NV 1
#define GEMM_NAME micro_1
#define GEMM_T float
#define GEMM_V __m256
#define GEMM_LANES 8
#define GEMM_LOAD(p) _mm256_loadu_ps(p)
#define GEMM_STORE(p, v) _mm256_storeu_ps(p, v)
#define GEMM_STREAM(p, v) _mm256_stream_ps(p, v)
#define GEMM_SET1(x) _mm256_set1_ps(x)
#define GEMM_FMA(a, b, acc) _mm256_fmadd_ps(a, b, acc)
#define GEMM_ZERO() _mm256_setzero_ps()
#include "gemm_micro.h"
#undef GEMM_NAME
#undef GEMM_NV

#define GEMM_NV 2
#define GEMM_NAME micro_2
#include "gemm_micro.h"

static const einc__attn_kernels kernels = {
    6, 8, 2, {NULL, micro_1, micro_2, NULL, NULL}, einc__vm_attn_fwd_rows_f32_avx2, einc__vm_attn_bwd_rows_f32_avx2};

const einc__attn_kernels *einc__attn_kernels_avx2(void) {
    return &kernels;
}
