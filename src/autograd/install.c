/* install.c — the table of rules behind core's autograd hooks, and its installation in a context. */
#include "autograd.h"

#define ENTRY(name, params, args) .name = einc__rule_##name,
static const einc__grad_hooks rules = {
    EINC__GRAD_HOOKS(ENTRY).notation = einc__rule_notation,
};
#undef ENTRY

void einc__grad_install(einc_ctx *ctx) {
    ctx->grad = &rules;
    ctx->tensor_freed = einc__ag_tensor_freed;
}
