/* drivers.h — kernels run for a context: its threads, its pooled scratch, its errors (private).
 *
 * The layer between the pure kernels (src/kernels: no context, no allocation, no errors) and
 * everything that plans or validates (plan/, ops/): a driver splits a kernel's work over the
 * context's threads (einc__parallel), takes scratch from its buffer pool and records the one
 * error a kernel call can meet, running out of memory.
 */
#ifndef EINC_DRIVERS_H
#define EINC_DRIVERS_H

#include "../core/internal.h"

/* einc__k_copy on the context's threads (copy.c): dst and src as for einc__k_copy. */
void einc__copy_views(einc_ctx *ctx, const einc__view *dst, const einc__view *src);

/* The batched GEMM driver (`dot` lowers to it). Float products run einc__k_gemm on the
 * context's threads unless the context's GEMM is CBLAS (einc_get_gemm_backend); then
 * float32/float64 go to cblas_sgemm/cblas_dgemm once per batch entry: an operand whose last two
 * dimensions have unit stride in either direction is passed directly (NoTrans or Trans, leading
 * dimension from the other stride), and only an operand with no unit-stride inner dimension (or a
 * negative or too small leading dimension) is first copied to a contiguous temporary. Either way
 * broadcast batch dimensions of b are first folded into M when a and c allow it, turning a batch
 * of products into one. Integers always run the C kernel. Records its own error (EINC_ENOMEM when
 * a temporary cannot be allocated) and returns that status, whatever was recorded before; on
 * failure c's contents are unspecified. */
einc_status einc__gemm_batched(einc_ctx *ctx, const einc__view *a, const einc__view *b, const einc__view *c);

#include "../kernels/attention.h"

/* The kernel's description of an einc_attention call: q, k, v, o (and the bias, broadcast) seen
 * through the map's role order; lse [batch..., N] may be NULL (not wanted). */
einc__attn einc__attention_views(const einc__attn_map *map, einc_tensor *q, einc_tensor *k, einc_tensor *v,
                                 einc_tensor *o, einc_tensor *lse, einc_tensor *bias);
/* Adds the backward's views: dout (out's shape), and dq, dk, dv (shapes of q, k, v), dbias (the
 * bias's shape); NULL for a gradient that is not wanted. */
void einc__attention_grad_views(einc__attn *a, const einc__attn_map *map, einc_tensor *dout, einc_tensor *dq,
                                einc_tensor *dk, einc_tensor *dv, einc_tensor *dbias);
/* Fused attention (kernels/attention.h) forward or backward on the context's threads: one
 * worker when the bias gradient is summed over batch entries. Records EINC_ENOMEM when its
 * scratch cannot be allocated and returns it; EINC_OK otherwise. */
einc_status einc__attention_run(einc_ctx *ctx, const einc__attn *a, bool backward);

#endif /* EINC_DRIVERS_H */
