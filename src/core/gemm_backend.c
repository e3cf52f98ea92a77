/* gemm_backend.c — which GEMM a context's products run: einc's own or the CBLAS the build has. */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

const char *einc_blas_backend(void) {
#if defined(EINC_HAVE_OPENBLAS)
    return "openblas";
#elif defined(EINC_HAVE_CBLAS)
    return "cblas";
#else
    return "none";
#endif
}

/* The process default, resolved once: EINC_GEMM from the environment, else the build's. */
static einc_gemm_backend process_default(void) {
    static _Atomic int cached = 0;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v) return (einc_gemm_backend)v;
#if defined(EINC_GEMM_DEFAULT_CBLAS)
    v = EINC_GEMM_CBLAS;
#else
    v = EINC_GEMM_EINC;
#endif
    const char *env = getenv("EINC_GEMM");
    if (env && strcmp(env, "einc") == 0) v = EINC_GEMM_EINC;
    else if (env && strcmp(env, "cblas") == 0) v = EINC_GEMM_CBLAS;
#if !defined(EINC_HAVE_CBLAS)
    v = EINC_GEMM_EINC;
#endif
    atomic_store_explicit(&cached, v, memory_order_relaxed);
    return (einc_gemm_backend)v;
}

einc_status einc_set_gemm_backend(einc_ctx *ctx, einc_gemm_backend backend) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (backend != EINC_GEMM_DEFAULT && backend != EINC_GEMM_EINC && backend != EINC_GEMM_CBLAS)
        return einc__error(ctx, EINC_EINVAL, "einc_set_gemm_backend: %d is not an einc_gemm_backend", (int)backend);
#if !defined(EINC_HAVE_CBLAS)
    if (backend == EINC_GEMM_CBLAS)
        return einc__error(ctx, EINC_EUNSUPPORTED,
                           "einc_set_gemm_backend: this build of einc has no CBLAS (einc_blas_backend() is \"none\")");
#endif
    ctx->gemm = (int)backend;
    return EINC_OK;
}

einc_gemm_backend einc_get_gemm_backend(const einc_ctx *ctx) {
    if (ctx && ctx->gemm != EINC_GEMM_DEFAULT) return (einc_gemm_backend)ctx->gemm;
    return process_default();
}

const char *einc_gemm_backend_name(einc_gemm_backend backend) {
    switch (backend) {
    case EINC_GEMM_DEFAULT: return "default";
    case EINC_GEMM_EINC: return "einc";
    case EINC_GEMM_CBLAS: return "cblas";
    }
    return "?";
}
