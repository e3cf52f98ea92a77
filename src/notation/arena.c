/* arena.c — bump allocation for one compilation of an expression; freed in one go. */
#include "notation.h"

#define ARENA_CHUNK 8192

void einc__arena_init(einc__arena *a, einc_ctx *ctx) {
    a->ctx = ctx;
    a->head = NULL;
    a->failed = false;
}

void *einc__arena_alloc(einc__arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    einc__arena_chunk *c = a->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        size_t header = (sizeof(einc__arena_chunk) + 15) & ~(size_t)15;
        c = einc__alloc(a->ctx, header + cap);
        if (!c) {
            a->failed = true;
            return NULL;
        }
        c->next = a->head;
        c->size = cap;
        c->used = 0;
        a->head = c;
    }
    size_t header = (sizeof(einc__arena_chunk) + 15) & ~(size_t)15;
    char *p = (char *)c + header + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *einc__arena_strdup(einc__arena *a, const char *s, size_t len) {
    char *p = einc__arena_alloc(a, len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void einc__arena_free(einc__arena *a) {
    size_t header = (sizeof(einc__arena_chunk) + 15) & ~(size_t)15;
    while (a->head) {
        einc__arena_chunk *c = a->head;
        a->head = c->next;
        einc__free(a->ctx, c, header + c->size);
    }
}

size_t einc__arena_bytes(const einc__arena *a) {
    size_t header = (sizeof(einc__arena_chunk) + 15) & ~(size_t)15, n = 0;
    for (const einc__arena_chunk *c = a->head; c; c = c->next) n += header + c->size;
    return n;
}

/* ---- string table ---------------------------------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

void einc__strtab_init(einc__strtab *t, einc__arena *a) {
    memset(t, 0, sizeof *t);
    t->a = a;
}

static int slot_of(const einc__strtab *t, const char *key, size_t n, uint32_t h) {
    unsigned mask = (unsigned)t->cap - 1;
    for (unsigned i = h & mask;; i = (i + 1) & mask) {
        EINC__STEPS(t->a->ctx, 1);
        if (!t->keys[i]) return (int)i;
        if (t->hash[i] == h && strncmp(t->keys[i], key, n) == 0 && t->keys[i][n] == '\0') return (int)i;
    }
}

int einc__strtab_getn(const einc__strtab *t, const char *key, size_t n) {
    if (!t->cap) return -1;
    int i = slot_of(t, key, n, hash_bytes(key, n));
    return t->keys[i] ? t->val[i] : -1;
}

int einc__strtab_get(const einc__strtab *t, const char *key) { return einc__strtab_getn(t, key, strlen(key)); }

static bool grow(einc__strtab *t) {
    int cap = t->cap ? t->cap * 2 : 64;
    const char **keys = einc__arena_alloc(t->a, sizeof(char *) * (size_t)cap);
    uint32_t *hash = einc__arena_alloc(t->a, sizeof(uint32_t) * (size_t)cap);
    int *val = einc__arena_alloc(t->a, sizeof(int) * (size_t)cap);
    if (!keys || !hash || !val) return false;
    einc__strtab old = *t;
    t->keys = keys;
    t->hash = hash;
    t->val = val;
    t->cap = cap;
    for (int i = 0; i < old.cap; i++) {
        if (!old.keys[i]) continue;
        unsigned mask = (unsigned)cap - 1, j = old.hash[i] & mask;
        while (keys[j]) j = (j + 1) & mask;
        keys[j] = old.keys[i];
        hash[j] = old.hash[i];
        val[j] = old.val[i];
    }
    EINC__STEPS(t->a->ctx, old.cap);
    return true;
}

int einc__strtab_put(einc__strtab *t, const char *key, int val) {
    if ((t->n + 1) * 2 > t->cap && !grow(t)) return -2;
    size_t n = strlen(key);
    uint32_t h = hash_bytes(key, n);
    int i = slot_of(t, key, n, h);
    if (t->keys[i]) return t->val[i];
    t->keys[i] = key;
    t->hash[i] = h;
    t->val[i] = val;
    t->n++;
    return val;
}
