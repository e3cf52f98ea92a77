/* errors.c — status names and the sticky error of a context. */
#include <stdio.h>

#include "internal.h"

const char *einc_status_name(einc_status status) {
    switch (status) {
#define EINC_X_NAME(code, value, name)                                                           \
    case code:                                                                                   \
        return name;
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
    va_list ap;
    va_start(ap, fmt);
    einc__verror(ctx, status, fmt ? fmt : "", ap);
    va_end(ap);
    return status;
}

einc_status einc_errcode(const einc_ctx *ctx) { return ctx ? ctx->status : EINC_EINVAL; }

const char *einc_errmsg(const einc_ctx *ctx) {
    if (!ctx) return "context is NULL";
    return ctx->status == EINC_OK ? "" : ctx->errmsg;
}

void einc_clear_error(einc_ctx *ctx) {
    if (!ctx) return;
    ctx->status = EINC_OK;
    ctx->errmsg[0] = '\0';
}
