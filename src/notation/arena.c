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
