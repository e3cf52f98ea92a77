/* gemm.h — batched matrix products over strided views (private).
 *
 * Geometry shared by everything here: three views of the same ndim (>= 2) and the same batch
 * sizes,
 *     a [batch..., M, K] @ b [batch..., K, N] -> c [batch..., M, N]
 * with any strides: a batch dimension an operand is broadcast over has stride 0 there, and a
 * transposed, sliced or flipped operand is simply a view with other strides. The three views have
 * one dtype (float32, float64, int32 or int64). c is overwritten (c = a @ b, no accumulation);
 * it must not be a broadcast view and must not overlap a or b. K = 0 writes zeros.
 *
 * Integer products wrap around on overflow (two's complement, like NumPy); floats are summed over
 * k in ascending order, so every result is independent of the thread count.
 */
#ifndef EINC_GEMM_H
#define EINC_GEMM_H

#include "isa.h"

/* Flags of a micro-kernel call. */
enum {
    EINC__GEMM_ACCUMULATE = 1, /* add to c's tile instead of overwriting it                     */
    EINC__GEMM_STREAM = 2      /* store with non-temporal stores (c and crs 64-byte aligned): the
                                  final write of a c too large to stay in cache, which would
                                  otherwise be read into the cache first (read-for-ownership)  */
};

/* A register-blocked micro-kernel: the full MR x NR tile c (row stride crs, unit column stride)
 * = (ACCUMULATE ? c : 0) + a [MR, kc] @ bp [kc, NR], where element (i, k) of a is
 * a[i*ars + k*aks] (a packed strip: ars = 1, aks = MR; a row-major a read in place: ars = its
 * row stride, aks = 1) and bp is a packed strip, row k at bp + k*NR. k runs in ascending order. */
typedef void (*einc__gemm_micro_fn)(int64_t kc, const void *a, int64_t ars, int64_t aks, const void *bp, void *c,
                                    int64_t crs, int flags);

/* A micro-kernel and the cache blocking made for it (BLIS's names): MC rows of a (a multiple of
 * MR) are swept once per NR-wide strip of a KC x NC panel of packed b (NC a multiple of NR). */
typedef struct einc__gemm_kernel {
    int mr, nr;
    int64_t mc, kc, nc;
    einc__gemm_micro_fn micro;
} einc__gemm_kernel;

#if EINC_X86_LEVELS
/* The float32 / float64 kernels of one level (gemm_avx2.c, gemm_avx512.c); dtype is either. */
const einc__gemm_kernel *einc__gemm_kernel_avx2(einc_dtype dtype);
const einc__gemm_kernel *einc__gemm_kernel_avx512(einc_dtype dtype);
/* The float32 micro-kernel of the level at every width: [nv] computes MR x (nv * lanes) tiles,
 * nv = 1 .. NR / lanes ([0] is NULL; the widest is the GEMM's own kernel). Same MR for all. */
extern const einc__gemm_micro_fn einc__gemm_micro_f32_widths_avx2[3];   /* nv 1..2, 8 lanes  */
extern const einc__gemm_micro_fn einc__gemm_micro_f32_widths_avx512[5]; /* nv 1..4, 16 lanes */
#endif

/* Bytes of scratch each worker of einc__k_gemm needs (0 for integer dtypes). */
size_t einc__k_gemm_scratch(const einc__view *a, const einc__view *b, const einc__view *c);

/* c = a @ b for worker ith of nth: einc's own GEMM (float32/float64: packed panels of b, a read
 * in place when one of its strides is 1, and the micro-kernel of the dispatch level,
 * einc__cpu_level(); int32/int64: a plain loop). Work is split over (batch entry, row block,
 * column block) tiles of c, so each element is computed by one worker, with k in ascending
 * order: results do not depend on nth. Levels differ only in rounding (AVX2 and AVX-512 use
 * FMA). `scratch` holds nth * einc__k_gemm_scratch(...) bytes, 64-byte aligned; worker ith uses
 * its own slice. The level must not change between the two calls. */
void einc__k_gemm(const einc__view *a, const einc__view *b, const einc__view *c, void *scratch, int ith, int nth);

/* The oracle: a naive triple loop over c's elements (split by element), k ascending, accumulating
 * in the element type (wrapping for integers). Any dtype but bool. */
void einc__k_gemm_ref(const einc__view *a, const einc__view *b, const einc__view *c, int ith, int nth);

#endif /* EINC_GEMM_H */
