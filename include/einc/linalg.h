/* einc/linalg.h — matrix products and the 1x1 convolution of the raw API.
 *
 * Dtypes: float32/float64 products run on einc's own GEMM (packed and cache-blocked in BLIS's
 * manner, with a micro-kernel for each dispatch level: AVX-512, AVX2+FMA or portable C; see
 * einc_cpu_level_active) unless CBLAS is selected (einc_set_gemm_backend; only in a build that
 * found CBLAS); int32/int64 use a plain C kernel whose sums wrap around on overflow (two's
 * complement, as NumPy's do). Operands of
 * different dtypes are promoted like NumPy: the wider type within a kind, and an integer with a
 * float gives float64 (int32 @ float32 is float64). bool operands are EINC_EDTYPE.
 *
 * Layout: inputs may have any strides — transposed, sliced, flipped (negative) or broadcast
 * (stride 0). An operand whose last two dimensions have unit stride in either direction is given
 * to GEMM in place (as a transpose flag plus a leading dimension); only an operand with no such
 * dimension is copied to a contiguous temporary first (and only with CBLAS: einc's GEMM reads
 * any strides). Batch dimensions over which the right operand is broadcast (a linear layer,
 * x [B, T, C] @ w [C, D]) are merged into one larger product when the left operand's layout
 * allows it. Results are new contiguous tensors in the current scope.
 *
 * Zero-length dimensions are allowed: a contraction of length 0 gives zeros, and an empty batch
 * or row count gives an empty result.
 *
 * Threads: einc's kernels split their work over output tiles, never over a sum, so their results
 * do not depend on the thread count (einc_set_threads): bitwise, at every dispatch level. CBLAS
 * gives no such promise: OpenBLAS's bits differ between 1 and 2 threads on some CPUs (3,810 of
 * 18,900 float32 elements, by up to 1.9e-5, on an AMD EPYC), so with EINC_GEMM_CBLAS a product
 * is reproducible only for a fixed thread count (the tests hold it to closeness, einc's GEMM to
 * bitwise equality). OpenBLAS's thread count is one setting for the whole process
 * (openblas_set_num_threads): einc sets it to the calling context's thread count before each
 * product (a call only when it differs), and always calls BLAS from the calling thread, never
 * from einc's workers. So contexts with different thread counts that run CBLAS products in
 * several threads at the same time may get each other's count (a different speed and possibly
 * different last bits, never a wrong result): give every context that uses CBLAS the same thread
 * count, or 1 when several threads run products at once.
 *
 * Errors (recorded in the context; the function returns NULL): a NULL operand is EINC_EINVAL;
 * bool or invalid dtypes EINC_EDTYPE; incompatible shapes EINC_ESHAPE, with a message naming both
 * shapes and the dimensions that disagree, e.g.
 *   einc_tensor_matmul: shapes (2, 3) and (4, 5) are not aligned: dimension 1 of a (size 3) !=
 *   dimension 0 of b (size 4)
 * EINC_ENOMEM when the result, a dtype conversion or a temporary cannot be allocated (nothing is
 * leaked).
 */
#ifndef EINC_LINALG_H
#define EINC_LINALG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** einc_tensor_matmul: the matrix product with numpy.matmul / torch.matmul semantics.
 *
 *   a [..., n, k] @ b [..., k, m] -> [..., n, m]
 *
 * The leading (batch) dimensions broadcast against each other like NumPy's (aligned at the end,
 * size 1 stretches): (2, 1, n, k) @ (3, k, m) -> (2, 3, n, m). A 1-d operand is promoted to a
 * matrix and the added dimension is removed from the result: a [k] acts as [1, k], b [k] as
 * [k, 1]; so [k] @ [k] is a 0-d tensor (the dot product), [n, k] @ [k] is [n], and
 * [..., n, k] @ [k] is [..., n]. The result has the promoted dtype (see above).
 * Errors: a 0-d operand, contraction sizes that differ, or batch dimensions that do not broadcast
 * are EINC_ESHAPE. */
EINC_API einc_tensor *einc_tensor_matmul(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);

/** einc_tensor_bmm: the batched matrix product of torch.bmm.
 *
 *   a [B, n, k] @ b [B, k, m] -> [B, n, m]
 *
 * Both operands must be exactly 3-d with the same B (no broadcasting, no 1-d promotion; a view
 * with stride 0 in B, made by einc_tensor_expand, is fine). Mixed dtypes promote as in
 * einc_tensor_matmul. Errors: other ranks, differing B or differing k are EINC_ESHAPE. */
EINC_API einc_tensor *einc_tensor_bmm(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);

/** einc_tensor_conv2d_1x1: a convolution with a 1x1 kernel, stride 1, no padding, as
 * torch.nn.functional.conv2d(x, w, bias):
 *
 *   x [B, C_in, H, W], w [C_out, C_in, 1, 1], bias [C_out] or NULL -> y [B, C_out, H, W]
 *   y[b, o, h, w] = sum_c w[o, c, 0, 0] * x[b, c, h, w] + bias[o]
 *
 * Computed as one GEMM per batch entry, w [C_out, C_in] @ x[b] [C_in, H*W] (or per (b, h) row
 * when x's H and W cannot be merged without a copy), then the bias is added. The result dtype is
 * the promotion of x's, w's and bias's dtypes. float16 and bfloat16 (uint8, int8, int16) operands
 * are computed in float32 (int32), bias included, and the result rounded to nearest even (wrapped)
 * once into that dtype; uint64 in int64, whose sums and products modulo 2^64 have its bits
 * (docs/dtypes.md). C_in = 0 gives the bias (or zeros).
 * Errors: x not 4-d, w not [C_out, C_in, 1, 1] with x's C_in, or bias not [C_out] are
 * EINC_ESHAPE; a bool operand is EINC_EDTYPE. */
EINC_API einc_tensor *einc_tensor_conv2d_1x1(einc_ctx *ctx, einc_tensor *x, einc_tensor *w, einc_tensor *bias);

/** einc_blas_backend: the CBLAS compiled in: "openblas" (OpenBLAS through CBLAS), "cblas"
 * (another CBLAS) or "none" (a build without BLAS). Which GEMM a context uses is
 * einc_get_gemm_backend's answer. Needs no context; never fails. */
EINC_API const char *einc_blas_backend(void);

/* Which GEMM float products use, per context:
 *   EINC_GEMM_DEFAULT  the process default: the environment variable EINC_GEMM ("einc" or
 *                      "cblas", read once), else the build's (CMake -DEINC_GEMM_DEFAULT=einc, the
 *                      default, or =cblas), falling back to einc where no CBLAS is built in
 *   EINC_GEMM_EINC     einc's own GEMM at the dispatch level (results independent of threads)
 *   EINC_GEMM_CBLAS    cblas_sgemm / cblas_dgemm (needs a build with CBLAS) */
typedef enum einc_gemm_backend { EINC_GEMM_DEFAULT = 0, EINC_GEMM_EINC = 1, EINC_GEMM_CBLAS = 2 } einc_gemm_backend;

/** einc_set_gemm_backend: selects the GEMM of this context's float products (matmul, bmm,
 * conv2d_1x1, the notation's dot, their gradients). EINC_GEMM_CBLAS in a build without CBLAS
 * records EINC_EUNSUPPORTED; a value outside the enum records EINC_EINVAL; both leave the
 * selection unchanged. Returns the status. */
EINC_API einc_status einc_set_gemm_backend(einc_ctx *ctx, einc_gemm_backend backend);
/** einc_get_gemm_backend: the GEMM this context uses now: EINC_GEMM_EINC or EINC_GEMM_CBLAS
 * (EINC_GEMM_DEFAULT resolved). */
EINC_API einc_gemm_backend einc_get_gemm_backend(const einc_ctx *ctx);
/** "default", "einc" or "cblas"; "?" for a value outside the enum. */
EINC_API const char *einc_gemm_backend_name(einc_gemm_backend backend);

#ifdef __cplusplus
}
#endif
#endif /* EINC_LINALG_H */
