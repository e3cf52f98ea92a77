/* nn_internal.h — helpers shared by the nn layers (private). */
#ifndef EINC_NN_INTERNAL_H
#define EINC_NN_INTERNAL_H

#include "../core/internal.h"

/* A new float32 parameter (zeros) requiring gradients; the caller owns one reference. */
einc_tensor *einc__nn_param(einc_ctx *ctx, int ndim, const int64_t *shape);

#endif /* EINC_NN_INTERNAL_H */
