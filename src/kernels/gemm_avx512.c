/* gemm_avx512.c — the AVX-512 GEMM micro-kernels (float32 6 x 64, float64 6 x 32) and their blocking.
 *
 * 24 accumulators of the 32 zmm registers hold the tile; 4 hold a row of b and 1 the broadcast
 * a, so nothing spills. Per k step: 4 loads and 6 broadcasts (load ports) against 24 FMAs (two
 * FMA ports: 12 cycles), so the loads never limit. Blocks: the KC x NR strip of packed b that
 * the tiles of one MC block walk (KC = 256: 64 KiB) is read from L1 and L2 (4 loads per 12
 * cycles is well within L2's bandwidth, and the deeper KC halves the reloads of c's tile: it
 * measured 5-10% faster than KC = 128 at n = 1024 and on attention's shapes), MC rows of a
 * (144 x 256 float32, 144 KiB) stay in L2 and are swept once per strip, and a KC x NC panel of
 * packed b (1 MiB float32) stays in L2/L3. A narrow b gets deeper blocks (gemm.c, depth()).
 */
#include <immintrin.h>

#include "gemm.h"

#define GEMM_MR 6
#define GEMM_NV 4

#define GEMM_NAME micro_f32
#define GEMM_T float
#define GEMM_V __m512
#define GEMM_LANES 16
#define GEMM_LOAD(p) _mm512_loadu_ps(p)
#define GEMM_STORE(p, v) _mm512_storeu_ps(p, v)
#define GEMM_STREAM(p, v) _mm512_stream_ps(p, v)
#define GEMM_SET1(x) _mm512_set1_ps(x)
#define GEMM_FMA(a, b, acc) _mm512_fmadd_ps(a, b, acc)
#define GEMM_ZERO() _mm512_setzero_ps()
#include "gemm_micro.h"

/* The same tile at narrower widths (1 to GEMM_NV - 1 vectors), for fused attention's products
 * whose output is one head wide (gemm.h, einc__gemm_micro_f32_widths_avx512). */
#undef GEMM_NV
#undef GEMM_NAME
#define GEMM_NV 1
#define GEMM_NAME micro_f32_1
#include "gemm_micro.h"
#undef GEMM_NV
#undef GEMM_NAME
#define GEMM_NV 2
#define GEMM_NAME micro_f32_2
#include "gemm_micro.h"
#undef GEMM_NV
#undef GEMM_NAME
#define GEMM_NV 3
#define GEMM_NAME micro_f32_3
#include "gemm_micro.h"
#undef GEMM_NV
#define GEMM_NV 4

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
#define GEMM_V __m512d
#define GEMM_LANES 8
#define GEMM_LOAD(p) _mm512_loadu_pd(p)
#define GEMM_STORE(p, v) _mm512_storeu_pd(p, v)
#define GEMM_STREAM(p, v) _mm512_stream_pd(p, v)
#define GEMM_SET1(x) _mm512_set1_pd(x)
#define GEMM_FMA(a, b, acc) _mm512_fmadd_pd(a, b, acc)
#define GEMM_ZERO() _mm512_setzero_pd()
#include "gemm_micro.h"

static const einc__gemm_kernel kernel_f32 = {GEMM_MR, GEMM_NV * 16, 144, 256, 1024, micro_f32};
static const einc__gemm_kernel kernel_f64 = {GEMM_MR, GEMM_NV * 8, 144, 256, 512, micro_f64};

const einc__gemm_kernel *einc__gemm_kernel_avx512(einc_dtype dtype) {
    return dtype == EINC_FLOAT32 ? &kernel_f32 : &kernel_f64;
}

const einc__gemm_micro_fn einc__gemm_micro_f32_widths_avx512[GEMM_NV + 1] = {NULL, micro_f32_1, micro_f32_2,
                                                                             micro_f32_3, micro_f32};
