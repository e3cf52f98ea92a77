/* gemm_avx2.c — the AVX2 + FMA GEMM micro-kernels (float32 6 x 16, float64 6 x 8) and their blocking.
 *
 * 12 accumulators of the 16 ymm registers hold the tile, 2 a row of b and 1 the broadcast a.
 * Per k step: 2 loads and 6 broadcasts against 12 FMAs. Blocks as in gemm_avx512.c, with a
 * deeper KC (the strip of b is half as wide): KC x NR packed b = 16 KiB of L1.
 */
#include <immintrin.h>

#include "gemm.h"

#define GEMM_MR 6
#define GEMM_NV 2

#define GEMM_NAME micro_f32
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

/* The same tile at narrower widths (1 to GEMM_NV - 1 vectors), for fused attention's products
 * whose output is one head wide (gemm.h, einc__gemm_micro_f32_widths_avx2). */
#undef GEMM_NV
#undef GEMM_NAME
#define GEMM_NV 1
#define GEMM_NAME micro_f32_1
#include "gemm_micro.h"
#undef GEMM_NV
#define GEMM_NV 2

#undef GEMM_NAME
#undef GEMM_T
#undef GEMM_V
#undef GEMM_LANES
#undef GEMM_LOAD
#undef GEMM_STORE
#undef GEMM_STREAM
#undef GEMM_SET1
#undef GEMM_FMA
#undef GEMM_ZERO

#define GEMM_NAME micro_f64
#define GEMM_T double
#define GEMM_V __m256d
#define GEMM_LANES 4
#define GEMM_LOAD(p) _mm256_loadu_pd(p)
#define GEMM_STORE(p, v) _mm256_storeu_pd(p, v)
#define GEMM_STREAM(p, v) _mm256_stream_pd(p, v)
#define GEMM_SET1(x) _mm256_set1_pd(x)
#define GEMM_FMA(a, b, acc) _mm256_fmadd_pd(a, b, acc)
#define GEMM_ZERO() _mm256_setzero_pd()
#include "gemm_micro.h"

static const einc__gemm_kernel kernel_f32 = {GEMM_MR, GEMM_NV * 8, 144, 256, 1024, micro_f32};
static const einc__gemm_kernel kernel_f64 = {GEMM_MR, GEMM_NV * 4, 144, 256, 512, micro_f64};

const einc__gemm_kernel *einc__gemm_kernel_avx2(einc_dtype dtype) {
    return dtype == EINC_FLOAT32 ? &kernel_f32 : &kernel_f64;
}

const einc__gemm_micro_fn einc__gemm_micro_f32_widths_avx2[GEMM_NV + 1] = {NULL, micro_f32_1, micro_f32};
