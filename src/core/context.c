/* context.c — creating and destroying contexts; scopes; threads; seeding. */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

extern const einc_allocator einc__default_allocator;

static int available_threads(void) {
#ifdef _OPENMP
    int n = omp_get_max_threads();
    return n > 0 ? n : 1;
#else
    return 1;
#endif
}

einc_ctx *einc_ctx_create(void) { return einc_ctx_create_with(NULL); }

einc_ctx *einc_ctx_create_with(const einc_ctx_options *options) {
    einc_ctx_options opt = {0};
    if (options) opt = *options;
    einc_allocator a = opt.allocator ? *opt.allocator : einc__default_allocator;
    if (!a.alloc || !a.free) return NULL;
    einc_ctx *ctx = a.alloc(a.user, sizeof *ctx, 64);
    if (!ctx) return NULL;
    memset(ctx, 0, sizeof *ctx);
    ctx->allocator = a;
    ctx->pool_limit = opt.pool_limit;
    ctx->pool_floor = EINC_POOL_FLOOR;
    ctx->phys_bytes = einc__phys_bytes();
    ctx->rng_seed = opt.seed;
    einc_set_threads(ctx, opt.threads);
    ctx->owner = 0; /* nobody's yet: the first thread to use it becomes its owner */
    return ctx;
}

/* Links t into the list of scope `index`; `owns` says whether that list holds a reference. */
static void scope_link(einc_ctx *ctx, einc_tensor *t, int index) {
    t->scope = index;
    t->scope_prev = NULL;
    t->scope_next = ctx->scope_head[index];
    if (t->scope_next) t->scope_next->scope_prev = t;
    ctx->scope_head[index] = t;
}

static void scope_unlink(einc_ctx *ctx, einc_tensor *t) {
    if (t->scope < 0) return;
    if (t->scope_prev) t->scope_prev->scope_next = t->scope_next;
    else ctx->scope_head[t->scope] = t->scope_next;
    if (t->scope_next) t->scope_next->scope_prev = t->scope_prev;
    t->scope = -1;
    t->scope_prev = t->scope_next = NULL;
}

/* Tensors whose scope ended while the caller still held references: kept here (without a scope
 * reference) so einc_ctx_destroy can still free them. */
#define DETACHED_LIST (EINC_MAX_SCOPES)

void einc__scope_adopt(einc_ctx *ctx, einc_tensor *t) { scope_link(ctx, t, ctx->scope_depth); }

void einc__scope_forget(einc_ctx *ctx, einc_tensor *t) { scope_unlink(ctx, t); }

einc_status einc_scope_begin(einc_ctx *ctx) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (ctx->scope_depth >= EINC_MAX_SCOPES - 1)
        return einc__error(ctx, EINC_EINVAL, "einc_scope_begin: more than %d nested scopes", EINC_MAX_SCOPES - 1);
    ctx->scope_depth++;
    ctx->scope_head[ctx->scope_depth] = NULL;
    return EINC_OK;
}

einc_status einc_scope_end(einc_ctx *ctx) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (ctx->scope_depth == 0)
        return einc__error(ctx, EINC_EINVAL, "einc_scope_end: no scope is open (unbalanced scope_end)");
    int index = ctx->scope_depth;
    while (ctx->scope_head[index]) {
        einc_tensor *t = ctx->scope_head[index];
        scope_unlink(ctx, t);
        if (t->refcount > 1) scope_link(ctx, t, DETACHED_LIST);
        einc__tensor_drop(t);
    }
    ctx->scope_depth--;
    return EINC_OK;
}

einc_tensor *einc_keep(einc_ctx *ctx, einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    if (!ctx || !t) return t;
    if (t->scope <= 0 || t->scope == DETACHED_LIST) return t;
    int target = ctx->scope_depth - 1;
    if (target < 0) target = 0;
    if (t->scope <= target) return t;
    scope_unlink(ctx, t);
    scope_link(ctx, t, target);
    return t;
}

int einc_scope_depth(const einc_ctx *ctx) {
    EINC__OWNED(ctx, -1);
    return ctx ? ctx->scope_depth : 0;
}

/* The thread's tag: its address identifies the thread (einc__owned). initial-exec: one
 * instruction more than a global, no __tls_get_addr call. */
__thread char einc__thread_tag __attribute__((tls_model("initial-exec")));

bool einc__claim(const einc_ctx *cctx, uintptr_t seen, uintptr_t me) {
    einc_ctx *ctx = (einc_ctx *)cctx; /* the owner field is the one thing any thread may write */
    if (seen == 0) {
        uintptr_t none = 0;
        if (__atomic_compare_exchange_n(&ctx->owner, &none, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return true;
    }
    __atomic_fetch_add(&ctx->intruded, 1, __ATOMIC_RELAXED);
    return false;
}

einc_status einc_ctx_detach(einc_ctx *ctx) {
    if (!ctx) return EINC_EINVAL;
    uintptr_t me = (uintptr_t)&einc__thread_tag;
    if (__atomic_load_n(&ctx->owner, __ATOMIC_RELAXED) != me) {
        if (__atomic_load_n(&ctx->owner, __ATOMIC_RELAXED) == 0) return EINC_OK; /* nobody's already */
        __atomic_fetch_add(&ctx->intruded, 1, __ATOMIC_RELAXED);
        return EINC_EBUSY;
    }
    /* release: everything this thread did to the context is visible to the next owner */
    __atomic_store_n(&ctx->owner, 0, __ATOMIC_RELEASE);
    return EINC_OK;
}

void einc_ctx_destroy(einc_ctx *ctx) {
    if (!ctx) return;
    for (int i = 0; i <= EINC_MAX_SCOPES; i++) {
        while (ctx->scope_head[i]) {
            einc_tensor *t = ctx->scope_head[i];
            scope_unlink(ctx, t);
            einc__tensor_free_now(t);
        }
    }
    if (ctx->plans_destroy) ctx->plans_destroy(ctx);
    einc_pool_trim(ctx);
    einc__team_destroy(ctx);
    einc_allocator a = ctx->allocator;
    a.free(a.user, ctx, sizeof *ctx);
}

void einc_set_threads(einc_ctx *ctx, int threads) {
    EINC__OWNED(ctx, );
    if (!ctx) return;
    int avail = available_threads();
    ctx->threads = threads <= 0 ? avail : threads;
}

int einc_get_threads(const einc_ctx *ctx) {
    EINC__OWNED(ctx, -1);
    return ctx ? ctx->threads : 1;
}

void einc_seed(einc_ctx *ctx, uint64_t seed) {
    EINC__OWNED(ctx, );
    if (!ctx) return;
    ctx->rng_seed = seed;
    ctx->rng_counter = 0;
}
