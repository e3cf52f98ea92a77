/* cache.h — the plan cache (private). */
#ifndef EINC_CACHE_H
#define EINC_CACHE_H

#include "plan.h"

/* Serialises a call's cache key into buf; false if it does not fit (then the call is not cached). */
bool einc__plan_key(einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs, einc_axes axes,
                    const einc_op_options *options, unsigned char *buf, size_t cap, size_t *len);
/* The cached plan for this key, or NULL. */
einc__plan *einc__plan_cache_get(einc_ctx *ctx, const unsigned char *key, size_t len);
/* Stores a plan, taking a reference of its own. False when memory is short (nothing kept). */
bool einc__plan_cache_put(einc_ctx *ctx, const unsigned char *key, size_t len, einc__plan *plan);

#endif /* EINC_CACHE_H */
