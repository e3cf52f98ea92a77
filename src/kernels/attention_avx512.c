/* attention_avx512.c — the AVX-512 float32 micro-kernels of fused attention: 6 x 16, 6 x 32, 6 x 48
 * and 6 x 64 tiles (the GEMM's template, gemm_micro.h, at four widths), so a head dimension of 16, 32 or 48 is not
 * padded to 64 in the P v and dS k products.
 *
 * One MR for every width keeps the row strips of a query block the same for all products. The
 * narrow tiles have fewer accumulators (6 and 12) than the 8 FMAs in flight two FMA ports need
 * at 4 cycles' latency: 6 x 16 runs at about 3/4 of the peak, 6 x 32 and up at the GEMM's rate.
 */
#include <immintrin.h>

#include "attention.h"
#include "vecmath.h"

#define GEMM_MR 6
#define GEMM_T float
#define GEMM_V __m512
#define GEMM_LANES 16
#define GEMM_LOAD(p) _mm512_loadu_ps(p)
#define GEMM_STORE(p, v) _mm512_storeu_ps(p, v)
#define GEMM_STREAM(p, v) _mm512_stream_ps(p, v)
#define GEMM_SET1(x) _mm512_set1_ps(x)
#define GEMM_FMA(a, b, acc) _mm512_fmadd_ps(a, b, acc)
#define GEMM_ZERO() _mm512_setzero_ps()

#define GEMM_NV 1
#define GEMM_NAME micro_1
#include "gemm_micro.h"
#undef GEMM_NAME
#undef GEMM_NV

#define GEMM_NV 2
#define GEMM_NAME micro_2
#include "gemm_micro.h"
#undef GEMM_NAME
#undef GEMM_NV

#define GEMM_NV 3
#define GEMM_NAME micro_3
#include "gemm_micro.h"
#undef GEMM_NAME
#undef GEMM_NV

#define GEMM_NV 4
#define GEMM_NAME micro_4
#include "gemm_micro.h"

static const einc__attn_kernels kernels = {6,
                                           16,
                                           4,
                                           {NULL, micro_1, micro_2, micro_3, micro_4},
                                           einc__vm_attn_fwd_rows_f32_avx512,
                                           einc__vm_attn_bwd_rows_f32_avx512};

const einc__attn_kernels *einc__attn_kernels_avx512(void) {
    return &kernels;
}
