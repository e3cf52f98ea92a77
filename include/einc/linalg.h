/* einc/linalg.h — matrix products and the 1x1 convolution of the raw API.
 *
 * Products of float32/float64 go through CBLAS (OpenBLAS when found at configure time) or a
 * blocked C kernel when einc is built without BLAS; int32/int64 use a plain C kernel. Operands
 * are promoted to a common dtype; bool is EINC_EDTYPE. Inputs may have any strides: a transposed
 * operand is passed to GEMM as a transpose flag, and an operand is copied only when it has no
 * unit-stride dimension to offer.
 */
#ifndef EINC_LINALG_H
#define EINC_LINALG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** torch.matmul / numpy.matmul: 1-d operands are promoted to a matrix and the added dimension is
 * removed again; leading (batch) dimensions broadcast. 0-d operands are EINC_ESHAPE.
 * a [..., n, k] @ b [..., k, m] -> [..., n, m] */
EINC_API einc_tensor *einc_tensor_matmul(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
/** torch.bmm: a [B, n, k] @ b [B, k, m] -> [B, n, m]; both exactly 3-d with the same B. */
EINC_API einc_tensor *einc_tensor_bmm(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
/** Convolution with a 1x1 kernel, as torch.nn.functional.conv2d(x, w, bias):
 * x [B, C_in, H, W], w [C_out, C_in, 1, 1], bias [C_out] or NULL -> y [B, C_out, H, W]. */
EINC_API einc_tensor *einc_tensor_conv2d_1x1(einc_ctx *ctx, einc_tensor *x, einc_tensor *w, einc_tensor *bias);

/** Name of the GEMM backend compiled in: "openblas", "cblas" or "reference". */
EINC_API const char *einc_blas_backend(void);

#ifdef __cplusplus
}
#endif
#endif /* EINC_LINALG_H */
