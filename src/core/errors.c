/* errors.c — status names and the sticky error of a context. */
#include <stdio.h>

#include "internal.h"

const char *einc_status_name(einc_status status) {
    switch (status) {
#define EINC_X_NAME(code, value, name)                                                                                 \
    case code: return name;
        EINC_STATUS_TABLE(EINC_X_NAME)
#undef EINC_X_NAME
    }
    return "UnknownError";
}

einc_status einc__verror(einc_ctx *ctx, einc_status status, const char *fmt, va_list ap) {
    if (!ctx || status == EINC_OK) return status;
    if (ctx->status != EINC_OK) return status; /* the first error wins */
    ctx->status = status;
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    return status;
}

einc_status einc__error(einc_ctx *ctx, einc_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    einc__verror(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

einc_status einc_set_error(einc_ctx *ctx, einc_status status, const char *fmt, ...) {
    EINC__OWNED(ctx, EINC_EBUSY);
    va_list ap;
    va_start(ap, fmt);
    einc__verror(ctx, status, fmt ? fmt : "", ap);
    va_end(ap);
    return status;
}

/* On the owner's thread: calls of other threads that were refused become a ThreadError here. */
static void report_intruders(const einc_ctx *cctx) {
    einc_ctx *ctx = (einc_ctx *)cctx; /* the error state is the owner's to write */
    int n = __atomic_exchange_n(&ctx->intruded, 0, __ATOMIC_RELAXED);
    if (n > 0)
        einc__error(ctx, EINC_EBUSY,
                    "the context was used from another thread while it belongs to this one (%d call%s refused, "
                    "nothing changed by them); a context belongs to one thread at a time: use one context per "
                    "thread, or hand it over with einc_ctx_detach",
                    n, n == 1 ? "" : "s");
}

static const char busy_msg[] = "this context belongs to another thread (the call was refused and changed nothing); "
                               "a context belongs to one thread at a time: use one context per thread, or have "
                               "its owner call einc_ctx_detach first";

einc_status einc_errcode(const einc_ctx *ctx) {
    if (!ctx) return EINC_EINVAL;
    if (!einc__owned(ctx)) return EINC_EBUSY;
    if (__builtin_expect(__atomic_load_n(&ctx->intruded, __ATOMIC_RELAXED) != 0, 0)) report_intruders(ctx);
    return ctx->status;
}

const char *einc_errmsg(const einc_ctx *ctx) {
    if (!ctx) return "context is NULL";
    if (!einc__owned(ctx)) return busy_msg;
    if (__atomic_load_n(&ctx->intruded, __ATOMIC_RELAXED) != 0) report_intruders(ctx);
    return ctx->status == EINC_OK ? "" : ctx->errmsg;
}

void einc_clear_error(einc_ctx *ctx) {
    if (!ctx) return;
    EINC__OWNED(ctx, );
    ctx->status = EINC_OK;
    ctx->errmsg[0] = '\0';
}
