/* memory.c — the allocator hook and the caching buffer pool.
 *
 * Fresh pages are very expensive on the machines einc targets (the first touch of a 4 KiB page
 * costs 10-30 us), so tensor buffers of POOL_MIN bytes or more are rounded up to a size class
 * (four classes per power of two, at most 25% slack) and, when freed, cached in a per-class free
 * list for the next request of that class. Smaller buffers go straight to the allocator, whose
 * own caches serve them well. By default the pool keeps as much as the workload's peak needed
 * (einc__pool_cap): a fixed cap below a model's working set sends its biggest buffers back to
 * the allocator on every step and makes the next step fault them in again.
 */
#include <stdio.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "internal.h"

#define POOL_MIN_LOG2 15 /* 32 KiB */
#define POOL_MIN ((size_t)1 << POOL_MIN_LOG2)
#define HUGE_ALIGN ((size_t)2 << 20)

static int floor_log2(size_t v) { return 63 - __builtin_clzll((unsigned long long)v); }

/* Rounds `size` (>= POOL_MIN) up to its class size; *index receives the class number. */
static size_t pool_class(size_t size, int *index) {
    int k = floor_log2(size);
    size_t quarter = (size_t)1 << (k - 2);
    size_t csize = (size + quarter - 1) / quarter * quarter;
    int kc = floor_log2(csize);
    size_t m = csize >> (kc - 2); /* 4..7 */
    *index = (kc - POOL_MIN_LOG2) * 4 + (int)(m - 4);
    return csize;
}

static void *default_alloc(void *user, size_t size, size_t align) {
    (void)user;
    void *p = NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (size >= HUGE_ALIGN) madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

static void default_free(void *user, void *ptr, size_t size) {
    (void)user;
    (void)size;
    free(ptr);
}

const einc_allocator einc__default_allocator = {default_alloc, default_free, NULL};

void *einc__alloc(einc_ctx *ctx, size_t size) {
    void *p = ctx->allocator.alloc(ctx->allocator.user, size ? size : 1, 16);
    if (!p) einc__error(ctx, EINC_ENOMEM, "out of memory allocating %zu bytes", size);
    return p;
}

void einc__free(einc_ctx *ctx, void *ptr, size_t size) {
    if (ptr) ctx->allocator.free(ctx->allocator.user, ptr, size ? size : 1);
}

size_t einc__pool_cap(size_t limit, size_t floor, size_t peak, size_t phys) {
    if (limit) return limit;
    if (!phys) return floor;
    size_t cap = peak > floor ? peak : floor, bound = phys / EINC_POOL_PHYS_DIVISOR;
    return cap < bound ? cap : bound;
}

size_t einc__phys_bytes(void) {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t b;
    if (pages > 0 && page > 0) return __builtin_mul_overflow((size_t)pages, (size_t)page, &b) ? SIZE_MAX : b;
#endif
    return 0;
}

/* The high-water marks: the context's own (the pool's cap follows it) and the caller's window
 * (einc_memory_peak_reset). */
static inline void note_peak(einc_memory_stats *st) {
    if (st->live_bytes > st->peak_bytes) st->peak_bytes = st->live_bytes;
    if (st->live_bytes > st->window_peak_bytes) st->window_peak_bytes = st->live_bytes;
}

char *einc__bytes_str(char *buf, size_t size, size_t bytes) {
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, size, "%zu byte%s", bytes, bytes == 1 ? "" : "s");
        return buf;
    }
    double v = (double)bytes / 1024;
    int u = 0;
    while (v >= 1024 && u < 5) v /= 1024, u++;
    snprintf(buf, size, "%.1f %s", v, unit[u]);
    return buf;
}

static void *buffer_alloc(einc_ctx *ctx, size_t size, bool report) {
    einc_memory_stats *st = &ctx->stats;
    char h[32];
    if (size < POOL_MIN) {
        void *p = ctx->allocator.alloc(ctx->allocator.user, size ? size : 1, EINC_ALIGN);
        if (!p) {
            if (report)
                einc__error(ctx, EINC_ENOMEM, "out of memory allocating a tensor buffer of %zu bytes (%s)", size,
                            einc__bytes_str(h, sizeof h, size));
            return NULL;
        }
        st->live_bytes += size;
        note_peak(st);
        return p;
    }
    if (size > (SIZE_MAX >> 2)) {
        if (report)
            einc__error(ctx, EINC_ENOMEM, "tensor buffer of %zu bytes (%s) is too large", size,
                        einc__bytes_str(h, sizeof h, size));
        return NULL;
    }
    int idx;
    size_t csize = pool_class(size, &idx);
    void *p = NULL;
    if (idx < EINC_POOL_CLASSES && ctx->pool[idx]) {
        einc_pool_block *b = ctx->pool[idx];
        ctx->pool[idx] = b->next;
        st->pooled_bytes -= csize;
        st->pool_hits++;
        p = b;
    } else {
        p = ctx->allocator.alloc(ctx->allocator.user, csize, csize >= HUGE_ALIGN ? HUGE_ALIGN : EINC_ALIGN);
        if (!p) {
            if (report)
                einc__error(ctx, EINC_ENOMEM, "out of memory allocating a tensor buffer of %zu bytes (%s)", size,
                            einc__bytes_str(h, sizeof h, size));
            return NULL;
        }
        st->pool_misses++;
    }
    st->live_bytes += csize;
    note_peak(st);
    return p;
}

void *einc__buffer_alloc(einc_ctx *ctx, size_t size) { return buffer_alloc(ctx, size, true); }

void *einc__buffer_alloc_quiet(einc_ctx *ctx, size_t size) { return buffer_alloc(ctx, size, false); }

void einc__buffer_free(einc_ctx *ctx, void *ptr, size_t size) {
    if (!ptr) return;
    einc_memory_stats *st = &ctx->stats;
    if (size < POOL_MIN) {
        st->live_bytes -= size;
        ctx->allocator.free(ctx->allocator.user, ptr, size ? size : 1);
        return;
    }
    int idx;
    size_t csize = pool_class(size, &idx);
    st->live_bytes -= csize;
    size_t cap = einc__pool_cap(ctx->pool_limit, ctx->pool_floor, st->peak_bytes, ctx->phys_bytes);
    if (idx < EINC_POOL_CLASSES && st->pooled_bytes + csize <= cap) {
        einc_pool_block *b = ptr;
        b->next = ctx->pool[idx];
        b->size = csize;
        ctx->pool[idx] = b;
        st->pooled_bytes += csize;
        return;
    }
    ctx->allocator.free(ctx->allocator.user, ptr, csize);
}

void einc_pool_trim(einc_ctx *ctx) {
    EINC__OWNED(ctx, );
    if (!ctx) return;
    for (int i = 0; i < EINC_POOL_CLASSES; i++) {
        while (ctx->pool[i]) {
            einc_pool_block *b = ctx->pool[i];
            ctx->pool[i] = b->next;
            ctx->stats.pooled_bytes -= b->size;
            ctx->allocator.free(ctx->allocator.user, b, b->size);
        }
    }
}

void einc_memory_stats_get(const einc_ctx *ctx, einc_memory_stats *stats) {
    EINC__OWNED(ctx, );
    if (!stats) return;
    if (!ctx) {
        memset(stats, 0, sizeof *stats);
        return;
    }
    *stats = ctx->stats;
    stats->plan_capacity = EINC_PLAN_CACHE_CAPACITY;
    stats->plan_bytes_limit = EINC_PLAN_CACHE_BYTES;
}

void einc_memory_peak_reset(einc_ctx *ctx) {
    EINC__OWNED(ctx, );
    if (ctx) ctx->stats.window_peak_bytes = ctx->stats.live_bytes;
}
