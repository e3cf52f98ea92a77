/* grad_hooks.c — the autograd hooks the operations call: forwarded to the rules a context installed. */
#include "internal.h"

#define DISPATCH(name, params, args)                                                                                   \
    einc_tensor *einc__ag_##name params { return ctx->grad ? ctx->grad->name args : out; }
EINC__GRAD_HOOKS(DISPATCH)
#undef DISPATCH

einc_status einc__notation_record(einc_ctx *ctx, struct einc__plan *p, int ninputs, einc_tensor *const *inputs,
                                  int noutputs, einc_tensor **outputs) {
    return ctx->grad ? ctx->grad->notation(ctx, p, ninputs, inputs, noutputs, outputs) : EINC_OK;
}
