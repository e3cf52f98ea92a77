/* ops_internal.h — helpers shared by the files of ops/ (private).
 *
 * Each public operation lives in one ops/ file; what several of them need (and nothing below ops/
 * may call, since it records on the autograd tape) is declared here.
 */
#ifndef EINC_OPS_INTERNAL_H
#define EINC_OPS_INTERNAL_H

#include "../core/internal.h"

/* A handle of t with `dtype`: t itself with an extra reference, or a converted copy
 * (einc_tensor_cast, recorded on the tape like it). The caller releases it. NULL for a NULL t,
 * or on failure with the error recorded. */
einc_tensor *einc__as_dtype(einc_ctx *ctx, einc_tensor *t, einc_dtype dtype);

#endif /* EINC_OPS_INTERNAL_H */
