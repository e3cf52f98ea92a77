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

#include "../core/internal.h"

/* The batched GEMM driver (`dot` lowers to it). With CBLAS, float32/float64 go to
 * cblas_sgemm/cblas_dgemm once per batch entry: an operand whose last two dimensions have unit
 * stride in either direction is passed directly (NoTrans or Trans, leading dimension from the
 * other stride), and only an operand with no unit-stride inner dimension (or a negative or too
 * small leading dimension) is first copied to a contiguous temporary; broadcast batch dimensions
 * of b are folded into M when a and c allow it, turning a batch of products into one. Without
 * BLAS, and for integers, the C kernel below runs on the context's threads (split over output
 * tiles only). Records its own error (EINC_ENOMEM when a temporary cannot be allocated) and returns
 * that status, whatever was recorded before; on failure c's contents are unspecified. */
einc_status einc__gemm_batched(einc_ctx *ctx, const einc__view *a, const einc__view *b, const einc__view *c);

/* Bytes of scratch each worker of einc__k_gemm needs (0 for integer dtypes). */
size_t einc__k_gemm_scratch(const einc__view *a, const einc__view *b, const einc__view *c);

/* c = a @ b for worker ith of nth: the blocked C kernel (float32/float64: packed panels and a
 * register-tiled micro-kernel; int32/int64: a plain loop). Work is split over (batch entry,
 * row block, column block) tiles of c, so each element is computed by one worker, with k in
 * ascending order. `scratch` holds nth * einc__k_gemm_scratch(...) bytes, 64-byte aligned; worker
 * ith uses its own slice. */
void einc__k_gemm(const einc__view *a, const einc__view *b, const einc__view *c, void *scratch, int ith, int nth);

/* The oracle: a naive triple loop over c's elements (split by element), k ascending, accumulating
 * in the element type (wrapping for integers). Any dtype but bool. */
void einc__k_gemm_ref(const einc__view *a, const einc__view *b, const einc__view *c, int ith, int nth);

#endif /* EINC_GEMM_H */
