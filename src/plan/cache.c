/* cache.c — the per-context plan cache: a hash table of plans keyed by everything a plan
 * depends on (operation, expression, input dtypes and shapes, constraints, options), with
 * least-recently-used eviction. A hit costs one key serialisation, one hash and one memcmp.
 *
 * Bounded twice, so that a stream of distinct expressions (a service evaluating its users'
 * expressions) runs in flat memory: at most EINC_PLAN_CACHE_CAPACITY plans, and at most
 * EINC_PLAN_CACHE_BYTES bytes held (the table, the entries, the keys and the plans' arenas); the
 * least recently used plans go first, and a plan bigger than the byte bound by itself is not
 * kept. The counts are the context's einc_memory_stats (plan_*).
 */
#include "cache.h"

#define CACHE_SLOTS 1024 /* power of two; at most half used (EINC_PLAN_CACHE_CAPACITY is 512) */

_Static_assert(EINC_PLAN_CACHE_CAPACITY * 2 <= CACHE_SLOTS, "the table must stay at most half full");

typedef struct entry {
    uint64_t hash;
    size_t keylen;
    unsigned char *key;
    einc__plan *plan;
    size_t bytes;              /* what this entry holds: itself, its key and its plan's arena */
    struct entry *prev, *next; /* recency list, most recent first */
} entry;

typedef struct einc__plan_cache {
    entry *slots[CACHE_SLOTS]; /* open addressing; NULL = empty */
    entry *head, *tail;
    int count;
} einc__plan_cache;

/* A word-at-a-time multiplicative hash (keys are a few hundred bytes; one byte per step was 40%
 * of a cached call). */
static uint64_t key_hash(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 32);
}

static bool put(unsigned char *buf, size_t cap, size_t *len, const void *src, size_t n) {
    if (*len + n > cap) return false;
    memcpy(buf + *len, src, n);
    *len += n;
    return true;
}

bool einc__plan_key(einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs, einc_axes axes,
                    const einc_op_options *options, unsigned char *buf, size_t cap, size_t *len) {
    *len = 0;
    int32_t head[4] = {(int32_t)op, ninputs, options && options->keepdims, options ? options->nshift : 0};
    bool ok = put(buf, cap, len, head, sizeof head);
    if (ok && options && options->nshift > 0)
        ok = options->nshift <= EINC_MAX_DIMS &&
             put(buf, cap, len, options->shift, sizeof(int64_t) * (size_t)options->nshift);
    size_t elen = strlen(expr);
    ok = ok && put(buf, cap, len, &elen, sizeof elen) && put(buf, cap, len, expr, elen);
    for (int i = 0; ok && i < ninputs; i++) {
        int32_t meta[2] = {(int32_t)inputs[i]->dtype, inputs[i]->ndim};
        ok = put(buf, cap, len, meta, sizeof meta) &&
             put(buf, cap, len, inputs[i]->shape, sizeof(int64_t) * (size_t)inputs[i]->ndim);
    }
    for (int i = 0; ok && i < axes.n; i++) {
        const einc_axis *x = &axes.v[i];
        size_t nlen = x->name ? strlen(x->name) : 0;
        ok = put(buf, cap, len, &nlen, sizeof nlen) && put(buf, cap, len, x->name ? x->name : "", nlen) &&
             put(buf, cap, len, &x->value, sizeof x->value);
    }
    return ok;
}

static void unlink_entry(einc__plan_cache *c, entry *e) {
    if (e->prev) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(einc__plan_cache *c, entry *e) {
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static size_t slot_of(const einc__plan_cache *c, uint64_t hash, const unsigned char *key, size_t len, bool *found) {
    size_t i = (size_t)hash & (CACHE_SLOTS - 1);
    for (;;) {
        entry *e = c->slots[i];
        if (!e) {
            *found = false;
            return i;
        }
        if (e->hash == hash && e->keylen == len && memcmp(e->key, key, len) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & (CACHE_SLOTS - 1);
    }
}

einc__plan *einc__plan_cache_get(einc_ctx *ctx, const unsigned char *key, size_t len) {
    einc__plan_cache *c = ctx->plans;
    if (!c) {
        ctx->stats.plan_misses++;
        return NULL;
    }
    uint64_t h = key_hash(key, len);
    bool found;
    size_t i = slot_of(c, h, key, len, &found);
    if (!found) {
        ctx->stats.plan_misses++;
        return NULL;
    }
    entry *e = c->slots[i];
    ctx->stats.plan_hits++;
    if (c->head != e) {
        unlink_entry(c, e);
        push_front(c, e);
    }
    return e->plan;
}

static void free_entry(einc_ctx *ctx, entry *e) {
    ctx->stats.plan_bytes -= e->bytes;
    einc__plan_release(e->plan); /* autograd nodes may still hold it */
    einc__free(ctx, e->key, e->keylen);
    einc__free(ctx, e, sizeof *e);
}

/* Removes the entry in slot i, re-inserting the cluster after it (linear probing deletion). */
static void remove_slot(einc__plan_cache *c, size_t i) {
    c->slots[i] = NULL;
    size_t j = (i + 1) & (CACHE_SLOTS - 1);
    while (c->slots[j]) {
        entry *e = c->slots[j];
        c->slots[j] = NULL;
        size_t k = (size_t)e->hash & (CACHE_SLOTS - 1);
        while (c->slots[k]) k = (k + 1) & (CACHE_SLOTS - 1);
        c->slots[k] = e;
        j = (j + 1) & (CACHE_SLOTS - 1);
    }
    c->count--;
}

/* Drops the least recently used plan. */
static void evict_oldest(einc_ctx *ctx, einc__plan_cache *c) {
    entry *old = c->tail;
    bool found;
    size_t i = slot_of(c, old->hash, old->key, old->keylen, &found);
    unlink_entry(c, old);
    if (found) remove_slot(c, i);
    free_entry(ctx, old);
    ctx->stats.plan_entries = (size_t)c->count;
    ctx->stats.plan_evictions++;
}

/* Frees the cache: the context's plans_destroy hook, installed with the cache. */
static void einc__plan_cache_destroy(einc_ctx *ctx);

bool einc__plan_cache_put(einc_ctx *ctx, const unsigned char *key, size_t len, einc__plan *plan) {
    size_t bytes = sizeof(entry) + (len ? len : 1) + einc__arena_bytes(&plan->arena);
    if (bytes > EINC_PLAN_CACHE_BYTES - sizeof(einc__plan_cache)) return false; /* never fits: not kept */
    if (!ctx->plans) {
        einc__plan_cache *c = ctx->allocator.alloc(ctx->allocator.user, sizeof *c, 16);
        if (!c) return false; /* no cache: the plan is simply not kept */
        memset(c, 0, sizeof *c);
        ctx->plans = c;
        ctx->plans_destroy = einc__plan_cache_destroy;
        ctx->stats.plan_bytes += sizeof *c;
    }
    einc__plan_cache *c = ctx->plans;
    while (c->count > 0 &&
           (c->count >= EINC_PLAN_CACHE_CAPACITY || ctx->stats.plan_bytes + bytes > EINC_PLAN_CACHE_BYTES))
        evict_oldest(ctx, c);
    entry *e = ctx->allocator.alloc(ctx->allocator.user, sizeof *e, 16);
    unsigned char *k = e ? ctx->allocator.alloc(ctx->allocator.user, len ? len : 1, 16) : NULL;
    if (!e || !k) {
        if (e) ctx->allocator.free(ctx->allocator.user, e, sizeof *e);
        return false;
    }
    memcpy(k, key, len);
    einc__plan_retain(plan); /* the cache's reference */
    *e = (entry){key_hash(key, len), len, k, plan, bytes, NULL, NULL};
    bool found;
    size_t i = slot_of(c, e->hash, k, len, &found);
    c->slots[i] = e;
    c->count++;
    push_front(c, e);
    ctx->stats.plan_entries = (size_t)c->count;
    ctx->stats.plan_bytes += bytes;
    return true;
}

static void einc__plan_cache_destroy(einc_ctx *ctx) {
    einc__plan_cache *c = ctx->plans;
    if (!c) return;
    while (c->head) {
        entry *e = c->head;
        unlink_entry(c, e);
        free_entry(ctx, e);
    }
    ctx->allocator.free(ctx->allocator.user, c, sizeof *c);
    ctx->plans = NULL;
    ctx->stats.plan_entries = 0;
    ctx->stats.plan_bytes = 0;
}
