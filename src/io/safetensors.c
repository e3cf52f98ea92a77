/* safetensors.c — state dicts (einc_state) and the safetensors reader and writer.
 *
 * A state keeps two insertion-ordered string maps (tensor names -> private tensor handles,
 * metadata keys -> values), each with an open-addressing hash index, so lookups and the
 * duplicate checks of a hostile header with millions of keys stay linear.
 *
 * Loading validates the whole header before any tensor memory is allocated, so the bytes a file
 * can make einc allocate are bounded by the file's own size. The JSON is walked with the strict
 * tokenizer of json.c against the expected schema; nothing recurses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "../core/internal.h"
#include "json.h"
#include "map_file.h"
#include "save_file.h"

/* The reference implementation's cap on the JSON header. */
#define ST_HEADER_MAX 100000000u
/* Tensors per file: bounds what a header of empty tensors makes einc allocate (each costs a
 * tensor handle and an index entry, some 600 bytes) far above any real checkpoint shard. */
#define ST_TENSORS_MAX 262144

/* ---- dtypes -------------------------------------------------------------------------------- */

typedef struct st_dtype {
    const char *name;
    unsigned size; /* bytes per element; 0 for the bit-packed F4 / F6_* */
    int einc;      /* the einc_dtype, or -1 where einc has none */
} st_dtype;

static const st_dtype st_dtypes[] = {
    {"F32", 4, EINC_FLOAT32},   {"F64", 8, EINC_FLOAT64}, {"I64", 8, EINC_INT64},
    {"I32", 4, EINC_INT32},     {"BOOL", 1, EINC_BOOL},   {"F16", 2, EINC_FLOAT16},
    {"BF16", 2, EINC_BFLOAT16}, {"I8", 1, EINC_INT8},     {"U8", 1, EINC_UINT8},
    {"I16", 2, EINC_INT16},     {"U16", 2, -1},           {"U32", 4, -1},
    {"U64", 8, EINC_UINT64},    {"F8_E5M2", 1, -1},       {"F8_E4M3", 1, -1},
    {"F8_E8M0", 1, -1},         {"C64", 8, -1},           {"F4", 0, -1},
    {"F6_E2M3", 0, -1},         {"F6_E3M2", 0, -1},
};
#define ST_NUM_DTYPES ((int)(sizeof st_dtypes / sizeof st_dtypes[0]))

static const char *st_name_of(einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: return "F32";
    case EINC_FLOAT64: return "F64";
    case EINC_INT64: return "I64";
    case EINC_INT32: return "I32";
    case EINC_BOOL: return "BOOL";
    case EINC_FLOAT16: return "F16";
    case EINC_BFLOAT16: return "BF16";
    case EINC_UINT8: return "U8";
    case EINC_INT8: return "I8";
    case EINC_INT16: return "I16";
    case EINC_UINT64: return "U64";
    }
    return "?";
}

/* Position in the reference implementation's Dtype enum (BOOL < F4 < F6_* < U8 < I8 < F8_* <
 * I16 < U16 < F16 < BF16 < I32 < U32 < F32 < F64 < I64 < U64), which orders the tensors of a file it
 * writes (descending). */
static int st_rank_of(einc_dtype dtype) {
    switch (dtype) {
    case EINC_BOOL: return 0;
    case EINC_UINT8: return 1;
    case EINC_INT8: return 2;
    case EINC_INT16: return 3;
    case EINC_FLOAT16: return 4;
    case EINC_BFLOAT16: return 5;
    case EINC_INT32: return 6;
    case EINC_FLOAT32: return 7;
    case EINC_FLOAT64: return 8;
    case EINC_INT64: return 9;
    case EINC_UINT64: return 10;
    }
    return -1;
}

/* ---- string maps --------------------------------------------------------------------------- */

typedef struct strmap {
    char **keys; /* [cap], NUL-terminated copies, insertion order */
    void **vals; /* [cap] */
    int count, cap;
    int *slots; /* [2 * cap]: entry index + 1, 0 = empty */
} strmap;

struct einc_state {
    einc_ctx *ctx;
    uint64_t seed;   /* keys the hash, so colliding names cannot be precomputed */
    strmap tensors;  /* name -> einc_tensor * (private handle, in no scope) */
    strmap metadata; /* key -> char * */
};

static uint64_t hash_key(uint64_t seed, const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static int map_find(const strmap *m, uint64_t seed, const char *key, size_t n) {
    if (!m->cap) return -1;
    size_t mask = (size_t)m->cap * 2 - 1;
    for (size_t i = (size_t)hash_key(seed, key, n) & mask;; i = (i + 1) & mask) {
        int e = m->slots[i] - 1;
        if (e < 0) return -1;
        if (strlen(m->keys[e]) == n && memcmp(m->keys[e], key, n) == 0) return e;
    }
}

static void map_index(strmap *m, uint64_t seed, int e) {
    size_t mask = (size_t)m->cap * 2 - 1;
    size_t i = (size_t)hash_key(seed, m->keys[e], strlen(m->keys[e])) & mask;
    while (m->slots[i]) i = (i + 1) & mask;
    m->slots[i] = e + 1;
}

/* Makes room for one more entry; all or nothing. */
static einc_status map_reserve(einc_ctx *ctx, strmap *m, uint64_t seed) {
    if (m->count < m->cap) return EINC_OK;
    if (m->cap > INT_MAX / 4) return einc__error(ctx, EINC_EOVERFLOW, "einc_state: more than %d entries", m->cap);
    int cap = m->cap ? m->cap * 2 : 8; /* a power of two, so the slot mask works */
    char **keys = einc__alloc(ctx, sizeof *keys * (size_t)cap);
    void **vals = einc__alloc(ctx, sizeof *vals * (size_t)cap);
    int *slots = einc__alloc(ctx, sizeof *slots * (size_t)cap * 2);
    if (!keys || !vals || !slots) {
        einc__free(ctx, keys, sizeof *keys * (size_t)cap);
        einc__free(ctx, vals, sizeof *vals * (size_t)cap);
        einc__free(ctx, slots, sizeof *slots * (size_t)cap * 2);
        return EINC_ENOMEM;
    }
    if (m->count) {
        memcpy(keys, m->keys, sizeof *keys * (size_t)m->count);
        memcpy(vals, m->vals, sizeof *vals * (size_t)m->count);
    }
    memset(slots, 0, sizeof *slots * (size_t)cap * 2);
    einc__free(ctx, m->keys, sizeof *m->keys * (size_t)m->cap);
    einc__free(ctx, m->vals, sizeof *m->vals * (size_t)m->cap);
    einc__free(ctx, m->slots, sizeof *m->slots * (size_t)m->cap * 2);
    m->keys = keys;
    m->vals = vals;
    m->slots = slots;
    m->cap = cap;
    for (int e = 0; e < m->count; e++) map_index(m, seed, e);
    return EINC_OK;
}

/* Appends (key, val); map_reserve must have succeeded. Takes ownership of `key`. */
static void map_append(strmap *m, uint64_t seed, char *key, void *val) {
    m->keys[m->count] = key;
    m->vals[m->count] = val;
    map_index(m, seed, m->count++);
}

static char *str_dup(einc_ctx *ctx, const char *s, size_t n) {
    char *d = einc__alloc(ctx, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void str_free(einc_ctx *ctx, char *s) {
    if (s) einc__free(ctx, s, strlen(s) + 1);
}

static void map_free(einc_ctx *ctx, strmap *m, bool tensors) {
    for (int e = 0; e < m->count; e++) {
        str_free(ctx, m->keys[e]);
        if (tensors) einc_tensor_release(m->vals[e]);
        else str_free(ctx, m->vals[e]);
    }
    einc__free(ctx, m->keys, sizeof *m->keys * (size_t)m->cap);
    einc__free(ctx, m->vals, sizeof *m->vals * (size_t)m->cap);
    einc__free(ctx, m->slots, sizeof *m->slots * (size_t)m->cap * 2);
    memset(m, 0, sizeof *m);
}

/* ---- states -------------------------------------------------------------------------------- */

einc_state *einc_state_new(einc_ctx *ctx) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    einc_state *s = einc__alloc(ctx, sizeof *s);
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->seed = einc__rng_bits((uint64_t)(uintptr_t)s, (uint64_t)(uintptr_t)ctx);
    return s;
}

void einc_state_free(einc_state *state) {
    EINC__OWNED(state ? state->ctx : NULL, );
    if (!state) return;
    einc_ctx *ctx = state->ctx;
    map_free(ctx, &state->tensors, true);
    map_free(ctx, &state->metadata, false);
    einc__free(ctx, state, sizeof *state);
}

int einc_state_count(const einc_state *state) {
    EINC__OWNED(state ? state->ctx : NULL, -1);
    return state ? state->tensors.count : 0;
}

const char *einc_state_name(const einc_state *state, int i) {
    EINC__OWNED(state ? state->ctx : NULL, NULL);
    if (!state || i < 0 || i >= state->tensors.count) return NULL;
    return state->tensors.keys[i];
}

int einc_state_find(const einc_state *state, const char *name) {
    EINC__OWNED(state ? state->ctx : NULL, -1);
    if (!state || !name) return -1;
    return map_find(&state->tensors, state->seed, name, strlen(name));
}

/* A new handle, in the current scope, with the geometry of `t` (sharing its storage). */
static einc_tensor *handle_like(einc_ctx *ctx, const einc_tensor *t) {
    return einc__tensor_view_of(ctx, t, t->ndim, t->shape, t->strides, t->offset);
}

einc_tensor *einc_state_at(const einc_state *state, int i) {
    EINC__OWNED(state ? state->ctx : NULL, NULL);
    if (!state) return NULL;
    if (i < 0 || i >= state->tensors.count) {
        einc__error(state->ctx, EINC_EINDEX, "einc_state_at: index %d is out of range for a state of %d tensors", i,
                    state->tensors.count);
        return NULL;
    }
    return handle_like(state->ctx, state->tensors.vals[i]);
}

einc_tensor *einc_state_get(const einc_state *state, const char *name) {
    EINC__OWNED(state ? state->ctx : NULL, NULL);
    if (!state) return NULL;
    if (!name) {
        einc__error(state->ctx, EINC_EINVAL, "einc_state_get: name is NULL");
        return NULL;
    }
    int i = einc_state_find(state, name);
    if (i < 0) {
        char list[512];
        size_t n = 0;
        list[0] = '\0';
        for (int e = 0; e < state->tensors.count && n < sizeof list - 64; e++) {
            int w = snprintf(list + n, sizeof list - n, "%s'%.40s'", e ? ", " : "", state->tensors.keys[e]);
            if (w > 0) n += (size_t)w;
            if (e == 7 && state->tensors.count > 8) {
                snprintf(list + n, sizeof list - n, ", ...");
                break;
            }
        }
        einc__error(state->ctx, EINC_EINDEX, "einc_state_get: no tensor named '%.200s' in the state (%d tensors%s%s)",
                    name, state->tensors.count, state->tensors.count ? ": " : "", list);
        return NULL;
    }
    return handle_like(state->ctx, state->tensors.vals[i]);
}

static bool check_utf8(einc_ctx *ctx, const char *fname, const char *what, const char *s) {
    size_t bad;
    if (einc__utf8_valid(s, strlen(s), &bad)) return true;
    einc__error(ctx, EINC_EVALUE, "%s: %s is not valid UTF-8 (byte %zu)", fname, what, bad);
    return false;
}

einc_status einc_state_set(einc_state *state, const char *name, einc_tensor *t) {
    EINC__OWNED(state ? state->ctx : NULL, EINC_EBUSY);
    if (!state) return EINC_EINVAL;
    einc_ctx *ctx = state->ctx;
    if (!name) return einc__error(ctx, EINC_EINVAL, "einc_state_set: name is NULL");
    if (!t) return einc__error(ctx, EINC_EINVAL, "einc_state_set: tensor argument 't' is NULL (for '%.200s')", name);
    if (t->ctx != ctx)
        return einc__error(ctx, EINC_EINVAL, "einc_state_set: tensor '%.200s' belongs to another context", name);
    if (!check_utf8(ctx, "einc_state_set", "the name", name)) return EINC_EVALUE;
    if (strcmp(name, "__metadata__") == 0)
        return einc__error(ctx, EINC_EVALUE,
                           "einc_state_set: \"__metadata__\" is reserved by the format and "
                           "cannot name a tensor");
    size_t n = strlen(name);
    int i = map_find(&state->tensors, state->seed, name, n);
    if (i >= 0) {
        einc_tensor *h = handle_like(ctx, t);
        if (!h) return EINC_ENOMEM;
        einc__scope_forget(ctx, h);
        einc_tensor_release(state->tensors.vals[i]);
        state->tensors.vals[i] = h;
        return EINC_OK;
    }
    if (map_reserve(ctx, &state->tensors, state->seed) != EINC_OK) return EINC_ENOMEM;
    char *key = str_dup(ctx, name, n);
    if (!key) return EINC_ENOMEM;
    einc_tensor *h = handle_like(ctx, t);
    if (!h) {
        str_free(ctx, key);
        return EINC_ENOMEM;
    }
    einc__scope_forget(ctx, h);
    map_append(&state->tensors, state->seed, key, h);
    return EINC_OK;
}

int einc_state_metadata_count(const einc_state *state) {
    EINC__OWNED(state ? state->ctx : NULL, -1);
    return state ? state->metadata.count : 0;
}

const char *einc_state_metadata_key(const einc_state *state, int i) {
    EINC__OWNED(state ? state->ctx : NULL, NULL);
    if (!state || i < 0 || i >= state->metadata.count) return NULL;
    return state->metadata.keys[i];
}

const char *einc_state_metadata(const einc_state *state, const char *key) {
    EINC__OWNED(state ? state->ctx : NULL, NULL);
    if (!state || !key) return NULL;
    int i = map_find(&state->metadata, state->seed, key, strlen(key));
    return i < 0 ? NULL : state->metadata.vals[i];
}

einc_status einc_state_set_metadata(einc_state *state, const char *key, const char *value) {
    EINC__OWNED(state ? state->ctx : NULL, EINC_EBUSY);
    if (!state) return EINC_EINVAL;
    einc_ctx *ctx = state->ctx;
    if (!key || !value)
        return einc__error(ctx, EINC_EINVAL, "einc_state_set_metadata: %s is NULL", key ? "value" : "key");
    if (!check_utf8(ctx, "einc_state_set_metadata", "the key", key)) return EINC_EVALUE;
    if (!check_utf8(ctx, "einc_state_set_metadata", "the value", value)) return EINC_EVALUE;
    size_t n = strlen(key);
    int i = map_find(&state->metadata, state->seed, key, n);
    if (i < 0 && map_reserve(ctx, &state->metadata, state->seed) != EINC_OK) return EINC_ENOMEM;
    char *v = str_dup(ctx, value, strlen(value));
    if (!v) return EINC_ENOMEM;
    if (i >= 0) {
        str_free(ctx, state->metadata.vals[i]);
        state->metadata.vals[i] = v;
        return EINC_OK;
    }
    char *k = str_dup(ctx, key, n);
    if (!k) {
        str_free(ctx, v);
        return EINC_ENOMEM;
    }
    map_append(&state->metadata, state->seed, k, v);
    return EINC_OK;
}

/* ---- loading: header ----------------------------------------------------------------------- */

/* What the header says about one tensor; parallel to the state's entries. */
typedef struct st_entry {
    int dtype; /* index into st_dtypes */
    int ndim;  /* as written; may exceed EINC_MAX_DIMS (then only the first dims are kept) */
    int64_t shape[EINC_MAX_DIMS];
    int64_t prod;  /* product of all sizes, zeros counted as 1 (as stride computations do) */
    bool zero;     /* some size is 0 */
    bool overflow; /* prod overflowed int64 */
    uint64_t begin, end;
} st_entry;

typedef struct st_span {
    uint64_t begin, end;
    int entry;
} st_span;

typedef struct st_load {
    einc_ctx *ctx;
    einc_state *state;
    st_entry *info; /* [info_cap] */
    int info_cap;
    st_span *order; /* [count] byte ranges sorted by offset, after validation */
    uint64_t data_size;
} st_load;

#define ST_NAME "'%.200s'"

static bool fail_json(st_load *L, const einc__json *j, const char *name) {
    if (name)
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: malformed header at byte %zu (tensor " ST_NAME "): %s",
                    j->err_pos, name, j->err);
    else einc__error(L->ctx, EINC_EFORMAT, "safetensors: malformed header at byte %zu: %s", j->err_pos, j->err);
    return false;
}

/* After a value in an object or array: true if another element follows. */
static bool next_element(einc__json *j, char close, bool *more) {
    if (einc__json_accept(j, ',')) {
        if (einc__json_peek(j, close)) return einc__json_fail(j, "trailing comma");
        *more = true;
        return true;
    }
    *more = false;
    return einc__json_expect(j, close, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
}

/* A string value decoded into a fresh allocation (NUL bytes rejected). */
static char *decode_string(st_load *L, const einc__json_str *s, const char *what) {
    char *out = einc__alloc(L->ctx, s->len + 1);
    if (!out) return NULL;
    einc__json_decode(s, out);
    if (memchr(out, '\0', s->len)) {
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: %s contains a NUL character (\\u0000)", what);
        einc__free(L->ctx, out, s->len + 1);
        return NULL;
    }
    return out;
}

static bool parse_metadata(st_load *L, einc__json *j) {
    einc_state *st = L->state;
    if (!einc__json_expect(j, '{', "\"__metadata__\" must be an object of strings")) return fail_json(L, j, NULL);
    if (einc__json_accept(j, '}')) return true;
    for (bool more = true; more;) {
        einc__json_str ks, vs;
        if (!einc__json_string(j, &ks) || !einc__json_expect(j, ':', "expected ':' after a key"))
            return fail_json(L, j, NULL);
        char *key = decode_string(L, &ks, "a __metadata__ key");
        if (!key) return false;
        if (map_find(&st->metadata, st->seed, key, ks.len) >= 0) {
            einc__error(L->ctx, EINC_EFORMAT, "safetensors: duplicate __metadata__ key " ST_NAME, key);
            einc__free(L->ctx, key, ks.len + 1);
            return false;
        }
        if (!einc__json_peek(j, '"')) {
            einc__error(L->ctx, EINC_EFORMAT,
                        "safetensors: __metadata__ value of key " ST_NAME " is not a string "
                        "(header byte %zu)",
                        key, einc__json_pos(j));
            einc__free(L->ctx, key, ks.len + 1);
            return false;
        }
        char *val = NULL;
        if (!einc__json_string(j, &vs)) {
            einc__free(L->ctx, key, ks.len + 1);
            return fail_json(L, j, NULL);
        }
        val = decode_string(L, &vs, "a __metadata__ value");
        if (!val || map_reserve(L->ctx, &st->metadata, st->seed) != EINC_OK) {
            einc__free(L->ctx, key, ks.len + 1);
            if (val) einc__free(L->ctx, val, vs.len + 1);
            return false;
        }
        map_append(&st->metadata, st->seed, key, val);
        if (!next_element(j, '}', &more)) return fail_json(L, j, NULL);
    }
    return true;
}

static bool parse_dtype(st_load *L, einc__json *j, const char *name, int *out) {
    einc__json_str s;
    if (!einc__json_peek(j, '"')) einc__json_fail(j, "\"dtype\" must be a string");
    if (!einc__json_string(j, &s)) return fail_json(L, j, name);
    for (int d = 0; d < ST_NUM_DTYPES; d++) {
        if (einc__json_str_eq(&s, st_dtypes[d].name)) {
            if (st_dtypes[d].size == 0) {
                einc__error(L->ctx, EINC_EUNSUPPORTED,
                            "safetensors: tensor " ST_NAME " has the bit-packed dtype %s, "
                            "which einc does not support (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
                            name, st_dtypes[d].name);
                return false;
            }
            *out = d;
            return true;
        }
    }
    if (s.len < 32) {
        char buf[32];
        einc__json_decode(&s, buf);
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: tensor " ST_NAME " has an unknown dtype '%s'", name, buf);
    } else {
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: tensor " ST_NAME " has an unknown dtype (a %zu-byte string)",
                    name, s.len);
    }
    return false;
}

static bool parse_shape(st_load *L, einc__json *j, const char *name, st_entry *e) {
    if (!einc__json_peek(j, '[')) einc__json_fail(j, "\"shape\" must be an array of non-negative integers");
    if (!einc__json_expect(j, '[', "")) return fail_json(L, j, name);
    e->ndim = 0;
    if (einc__json_accept(j, ']')) return true;
    for (bool more = true; more;) {
        uint64_t v;
        if (!einc__json_uint(j, &v)) return fail_json(L, j, name);
        if (v > (uint64_t)INT64_MAX) {
            einc__error(L->ctx, EINC_EFORMAT, "safetensors: tensor " ST_NAME ": shape entry %d is %llu, above 2^63 - 1",
                        name, e->ndim, (unsigned long long)v);
            return false;
        }
        if (e->ndim < EINC_MAX_DIMS) e->shape[e->ndim] = (int64_t)v;
        /* the header cap bounds ndim far below INT_MAX */
        e->ndim++;
        if (v == 0) e->zero = true;
        else if (!e->overflow) e->overflow = __builtin_mul_overflow(e->prod, (int64_t)v, &e->prod);
        if (!next_element(j, ']', &more)) return fail_json(L, j, name);
    }
    return true;
}

static bool parse_offsets(st_load *L, einc__json *j, const char *name, st_entry *e) {
    const char *what = "\"data_offsets\" must be [begin, end]";
    if (!einc__json_expect(j, '[', what) || !einc__json_uint(j, &e->begin) || !einc__json_expect(j, ',', what) ||
        !einc__json_uint(j, &e->end) || !einc__json_expect(j, ']', what))
        return fail_json(L, j, name);
    return true;
}

/* Byte size of an entry, within einc's limits: the product of the sizes (zeros counted as 1)
 * and the byte count must fit in int64. */
static bool entry_bytes(st_load *L, const char *name, const st_entry *e, uint64_t *nbytes) {
    int64_t bytes = 0;
    /* zeros count as 1 here too: an empty tensor's strides must still be representable, and the
     * same rule as for the tensor's creation keeps every failure a FormatError naming the tensor */
    if (e->overflow || __builtin_mul_overflow(e->prod, (int64_t)st_dtypes[e->dtype].size, &bytes)) {
        char buf[256];
        einc__error(L->ctx, EINC_EFORMAT,
                    "safetensors: tensor " ST_NAME ": shape %s%s of %s is too large (its size "
                    "overflows 64-bit arithmetic)",
                    name, einc__shape_str(buf, sizeof buf, e->ndim < EINC_MAX_DIMS ? e->ndim : EINC_MAX_DIMS, e->shape),
                    e->ndim > EINC_MAX_DIMS ? "..." : "", st_dtypes[e->dtype].name);
        return false;
    }
    *nbytes = e->zero ? 0 : (uint64_t)bytes;
    return true;
}

static bool parse_tensor(st_load *L, einc__json *j, const char *name, st_entry *e) {
    enum { F_DTYPE = 1, F_SHAPE = 2, F_OFFSETS = 4 };
    static const char *fields[] = {"dtype", "shape", "data_offsets"};
    unsigned seen = 0;
    if (!einc__json_peek(j, '{'))
        einc__json_fail(j, "a tensor entry must be an object {\"dtype\", \"shape\", \"data_offsets\"}");
    if (!einc__json_expect(j, '{', "")) return fail_json(L, j, name);
    if (!einc__json_peek(j, '}')) {
        for (bool more = true; more;) {
            einc__json_str k;
            if (!einc__json_string(j, &k) || !einc__json_expect(j, ':', "expected ':' after a key"))
                return fail_json(L, j, name);
            int f = -1;
            for (int i = 0; i < 3; i++)
                if (einc__json_str_eq(&k, fields[i])) f = i;
            if (f < 0) {
                char buf[32];
                if (k.len < sizeof buf) einc__json_decode(&k, buf);
                einc__error(L->ctx, EINC_EFORMAT,
                            "safetensors: tensor " ST_NAME " has an unexpected field \"%s\" "
                            "(expected dtype, shape, data_offsets)",
                            name, k.len < sizeof buf ? buf : "...");
                return false;
            }
            if (seen & (1u << f)) {
                einc__error(L->ctx, EINC_EFORMAT, "safetensors: tensor " ST_NAME " has a duplicate field \"%s\"", name,
                            fields[f]);
                return false;
            }
            seen |= 1u << f;
            bool ok = f == 0   ? parse_dtype(L, j, name, &e->dtype)
                      : f == 1 ? parse_shape(L, j, name, e)
                               : parse_offsets(L, j, name, e);
            if (!ok) return false;
            if (!next_element(j, '}', &more)) return fail_json(L, j, name);
        }
    } else {
        einc__json_accept(j, '}');
    }
    if (seen != (F_DTYPE | F_SHAPE | F_OFFSETS)) {
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: tensor " ST_NAME " lacks the field \"%s\"", name,
                    !(seen & F_DTYPE)   ? "dtype"
                    : !(seen & F_SHAPE) ? "shape"
                                        : "data_offsets");
        return false;
    }
    if (e->begin > e->end) {
        einc__error(L->ctx, EINC_EFORMAT,
                    "safetensors: tensor " ST_NAME ": data_offsets [%llu, %llu] end before they "
                    "begin",
                    name, (unsigned long long)e->begin, (unsigned long long)e->end);
        return false;
    }
    if (e->end > L->data_size) {
        einc__error(L->ctx, EINC_EFORMAT,
                    "safetensors: tensor " ST_NAME ": data_offsets [%llu, %llu] run past the "
                    "end of the data (%llu bytes)",
                    name, (unsigned long long)e->begin, (unsigned long long)e->end, (unsigned long long)L->data_size);
        return false;
    }
    uint64_t nbytes;
    if (!entry_bytes(L, name, e, &nbytes)) return false;
    if (nbytes != e->end - e->begin) {
        char buf[256];
        einc__error(L->ctx, EINC_EFORMAT,
                    "safetensors: tensor " ST_NAME ": shape %s%s of %s needs %llu bytes, but "
                    "data_offsets [%llu, %llu] span %llu",
                    name, einc__shape_str(buf, sizeof buf, e->ndim < EINC_MAX_DIMS ? e->ndim : EINC_MAX_DIMS, e->shape),
                    e->ndim > EINC_MAX_DIMS ? "..." : "", st_dtypes[e->dtype].name, (unsigned long long)nbytes,
                    (unsigned long long)e->begin, (unsigned long long)e->end, (unsigned long long)(e->end - e->begin));
        return false;
    }
    return true;
}

/* One top-level key and its value. */
static bool parse_member(st_load *L, einc__json *j, bool *have_metadata) {
    einc_state *st = L->state;
    einc__json_str k;
    if (!einc__json_string(j, &k) || !einc__json_expect(j, ':', "expected ':' after a key"))
        return fail_json(L, j, NULL);
    if (einc__json_str_eq(&k, "__metadata__")) {
        if (*have_metadata) {
            einc__error(L->ctx, EINC_EFORMAT, "safetensors: duplicate key \"__metadata__\"");
            return false;
        }
        *have_metadata = true;
        return parse_metadata(L, j);
    }
    if (st->tensors.count >= ST_TENSORS_MAX) {
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: the header lists more than %d tensors (einc's limit per file)",
                    ST_TENSORS_MAX);
        return false;
    }
    char *name = decode_string(L, &k, "a tensor name");
    if (!name) return false;
    bool ok = true;
    if (map_find(&st->tensors, st->seed, name, k.len) >= 0) {
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: duplicate tensor name " ST_NAME, name);
        ok = false;
    }
    st_entry e;
    memset(&e, 0, sizeof e);
    e.prod = 1;
    ok = ok && parse_tensor(L, j, name, &e);
    ok = ok && map_reserve(L->ctx, &st->tensors, st->seed) == EINC_OK;
    if (ok && L->info_cap < st->tensors.cap) {
        st_entry *info = einc__alloc(L->ctx, sizeof *info * (size_t)st->tensors.cap);
        if (info) {
            if (st->tensors.count) memcpy(info, L->info, sizeof *info * (size_t)st->tensors.count);
            einc__free(L->ctx, L->info, sizeof *info * (size_t)L->info_cap);
            L->info = info;
            L->info_cap = st->tensors.cap;
        }
        ok = info != NULL;
    }
    if (!ok) {
        einc__free(L->ctx, name, k.len + 1);
        return false;
    }
    L->info[st->tensors.count] = e;
    map_append(&st->tensors, st->seed, name, NULL);
    return true;
}

static int span_cmp(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return (x->entry > y->entry) - (x->entry < y->entry);
}

/* The byte ranges, sorted, must tile [0, data_size) exactly. */
static bool check_coverage(st_load *L) {
    int n = L->state->tensors.count;
    char **names = L->state->tensors.keys;
    L->order = einc__alloc(L->ctx, sizeof *L->order * (size_t)(n ? n : 1));
    if (!L->order) return false;
    for (int i = 0; i < n; i++) L->order[i] = (st_span){L->info[i].begin, L->info[i].end, i};
    qsort(L->order, (size_t)n, sizeof *L->order, span_cmp);
    uint64_t pos = 0;
    for (int k = 0; k < n; k++) {
        const st_span *s = &L->order[k];
        if (s->begin > pos) {
            if (k == 0)
                einc__error(L->ctx, EINC_EFORMAT,
                            "safetensors: the data's first %llu bytes belong to no tensor (the "
                            "first, " ST_NAME ", begins at %llu)",
                            (unsigned long long)s->begin, names[s->entry], (unsigned long long)s->begin);
            else
                einc__error(L->ctx, EINC_EFORMAT,
                            "safetensors: a gap of %llu bytes in the data between tensor " ST_NAME
                            " (ends at %llu) and tensor " ST_NAME " (begins at %llu)",
                            (unsigned long long)(s->begin - pos), names[L->order[k - 1].entry], (unsigned long long)pos,
                            names[s->entry], (unsigned long long)s->begin);
            return false;
        }
        if (s->begin < pos) {
            const st_span *p = &L->order[k - 1];
            einc__error(L->ctx, EINC_EFORMAT,
                        "safetensors: tensor " ST_NAME " (data_offsets [%llu, %llu]) overlaps "
                        "tensor " ST_NAME " (data_offsets [%llu, %llu])",
                        names[s->entry], (unsigned long long)s->begin, (unsigned long long)s->end, names[p->entry],
                        (unsigned long long)p->begin, (unsigned long long)p->end);
            return false;
        }
        pos = s->end;
    }
    if (pos != L->data_size) {
        einc__error(L->ctx, EINC_EFORMAT, "safetensors: the data's last %llu bytes (of %llu) belong to no tensor",
                    (unsigned long long)(L->data_size - pos), (unsigned long long)L->data_size);
        return false;
    }
    return true;
}

/* Parses and validates the header (`n` bytes) into L->state (names, metadata) and L->info; the
 * tensors are created by make_tensors. On failure load_finish frees the state. */
static bool load_header(st_load *L, const char *hdr, size_t n) {
    einc_ctx *ctx = L->ctx;
    size_t bad;
    if (!einc__utf8_valid(hdr, n, &bad)) {
        einc__error(ctx, EINC_EFORMAT, "safetensors: the header is not valid UTF-8 (header byte %zu)", bad);
        return false;
    }
    if (n == 0 || hdr[0] != '{') {
        einc__error(ctx, EINC_EFORMAT, "safetensors: the header must be a JSON object starting with '{'%s",
                    n == 0 ? " (it is empty)" : "");
        return false;
    }
    L->state = einc_state_new(ctx);
    if (!L->state) return false;
    einc__json j;
    einc__json_init(&j, hdr, n);
    einc__json_accept(&j, '{');
    bool have_metadata = false;
    if (!einc__json_accept(&j, '}')) {
        for (bool more = true; more;) {
            if (!parse_member(L, &j, &have_metadata)) return false;
            if (!next_element(&j, '}', &more)) return fail_json(L, &j, NULL);
        }
    }
    if (!einc__json_at_end(&j)) {
        einc__json_fail(&j, "unexpected text after the header object");
        return fail_json(L, &j, NULL);
    }
    if (!check_coverage(L)) return false;
    einc_state *st = L->state;
    for (int i = 0; i < st->tensors.count; i++) {
        const st_entry *e = &L->info[i];
        if (st_dtypes[e->dtype].einc < 0) {
            einc__error(ctx, EINC_EUNSUPPORTED,
                        "safetensors: tensor " ST_NAME " has dtype %s, which einc does not "
                        "support (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
                        st->tensors.keys[i], st_dtypes[e->dtype].name);
            return false;
        }
        if (e->ndim > EINC_MAX_DIMS) {
            einc__error(ctx, EINC_EUNSUPPORTED,
                        "safetensors: tensor " ST_NAME " has %d dimensions; einc supports at "
                        "most %d",
                        st->tensors.keys[i], e->ndim, EINC_MAX_DIMS);
            return false;
        }
    }
    return true;
}

/* Creates the state's tensors after load_header. Without a mapping each gets fresh memory for
 * the caller to fill. With one (`file`, the data starting at byte `data_at`) a tensor that is
 * empty or whose elements start at a multiple of its item size views the mapping; any other is
 * copied from it (einc's kernels need aligned elements). */
static bool make_tensors(st_load *L, einc_storage *map, const unsigned char *file, size_t data_at) {
    einc_ctx *ctx = L->ctx;
    einc_state *st = L->state;
    for (int i = 0; i < st->tensors.count; i++) {
        const st_entry *e = &L->info[i];
        einc_dtype dtype = (einc_dtype)st_dtypes[e->dtype].einc;
        size_t at = data_at + (size_t)e->begin, nbytes = (size_t)(e->end - e->begin);
        einc_tensor *t;
        if (map && (nbytes == 0 || at % einc_dtype_size(dtype) == 0)) {
            int64_t strides[EINC_MAX_DIMS];
            einc__shape_contiguous_strides(e->ndim, e->shape, strides);
            /* an empty tensor points at the (page-aligned) start: its offset may be misaligned */
            t = einc__tensor_on_storage(ctx, map, dtype, e->ndim, e->shape, strides, nbytes ? (int64_t)at : 0);
        } else {
            t = einc__tensor_new(ctx, dtype, e->ndim, e->shape);
            if (t && map && nbytes) memcpy(einc__tensor_ptr(t), file + at, nbytes);
        }
        if (!t) return false;
        einc__scope_forget(ctx, t);
        st->tensors.vals[i] = t;
    }
    return true;
}

static bool check_bools(st_load *L) {
    einc_state *st = L->state;
    for (int i = 0; i < st->tensors.count; i++) {
        einc_tensor *t = st->tensors.vals[i];
        if (t->dtype != EINC_BOOL) continue;
        const unsigned char *p = (const unsigned char *)einc__tensor_ptr(t);
        int64_t n = einc__tensor_numel(t);
        for (int64_t k = 0; k < n; k++) {
            if (p[k] > 1) {
                einc__error(L->ctx, EINC_EFORMAT,
                            "safetensors: tensor " ST_NAME ": BOOL element %lld has byte value %d "
                            "(must be 0 or 1)",
                            st->tensors.keys[i], (long long)k, p[k]);
                return false;
            }
        }
    }
    return true;
}

/* Frees the scratch; on failure also the state. Returns the state or NULL. */
static einc_state *load_finish(st_load *L, bool ok) {
    einc__free(L->ctx, L->info, sizeof *L->info * (size_t)L->info_cap);
    if (L->order) {
        int n = L->state ? L->state->tensors.count : 0;
        einc__free(L->ctx, L->order, sizeof *L->order * (size_t)(n ? n : 1));
    }
    if (!ok) {
        einc_state_free(L->state);
        return NULL;
    }
    return L->state;
}

static uint64_t read_le64(const unsigned char *b) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

/* Checks the 8-byte header length against the cap and the file size. */
static bool check_length(einc_ctx *ctx, uint64_t file_size, uint64_t n) {
    if (n > ST_HEADER_MAX) {
        einc__error(ctx, EINC_EFORMAT, "safetensors: header length %llu exceeds the limit of %u bytes",
                    (unsigned long long)n, ST_HEADER_MAX);
        return false;
    }
    if (n > file_size - 8) {
        einc__error(ctx, EINC_EFORMAT, "safetensors: header length %llu runs past the end of the file (%llu bytes)",
                    (unsigned long long)n, (unsigned long long)file_size);
        return false;
    }
    return true;
}

static bool check_size(einc_ctx *ctx, uint64_t size) {
    if (size >= 8) return true;
    einc__error(ctx, EINC_EFORMAT, "safetensors: a file of %llu bytes is too short to hold the 8-byte header length",
                (unsigned long long)size);
    return false;
}

einc_state *einc_safetensors_load_buffer(einc_ctx *ctx, const void *data, size_t size) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!data && size) {
        einc__error(ctx, EINC_EINVAL, "einc_safetensors_load_buffer: data is NULL");
        return NULL;
    }
    const unsigned char *b = data;
    if (!check_size(ctx, size)) return NULL;
    uint64_t n = read_le64(b);
    if (!check_length(ctx, size, n)) return NULL;
    st_load L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    L.data_size = size - 8 - n;
    bool ok = load_header(&L, (const char *)b + 8, (size_t)n) && make_tensors(&L, NULL, NULL, 0);
    const unsigned char *base = b + 8 + n;
    for (int i = 0; ok && i < L.state->tensors.count; i++) {
        einc_tensor *t = L.state->tensors.vals[i];
        size_t nbytes = (size_t)(L.info[i].end - L.info[i].begin);
        if (nbytes) memcpy(einc__tensor_ptr(t), base + L.info[i].begin, nbytes);
    }
    ok = ok && check_bools(&L);
    return load_finish(&L, ok);
}

einc_state *einc_safetensors_load(einc_ctx *ctx, const char *path) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!path) {
        einc__error(ctx, EINC_EINVAL, "einc_safetensors_load: path is NULL");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f && fd >= 0) close(fd);
    if (!f) {
        einc__error(ctx, EINC_EIO, "safetensors: cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        einc__error(ctx, EINC_EIO, "safetensors: '%s' is not a regular file", path);
        fclose(f);
        return NULL;
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char len8[8];
    if (!check_size(ctx, size)) {
        fclose(f);
        return NULL;
    }
    if (fread(len8, 1, 8, f) != 8) {
        einc__error(ctx, EINC_EIO, "safetensors: cannot read '%s'", path);
        fclose(f);
        return NULL;
    }
    uint64_t n = read_le64(len8);
    if (!check_length(ctx, size, n)) {
        fclose(f);
        return NULL;
    }
    st_load L;
    memset(&L, 0, sizeof L);
    L.ctx = ctx;
    L.data_size = size - 8 - n;
    char *hdr = einc__alloc(ctx, (size_t)n);
    bool ok = hdr != NULL;
    if (ok && n && fread(hdr, 1, (size_t)n, f) != (size_t)n) {
        einc__error(ctx, EINC_EIO, "safetensors: cannot read the header of '%s'", path);
        ok = false;
    }
    ok = ok && load_header(&L, hdr, (size_t)n) && make_tensors(&L, NULL, NULL, 0);
    einc__free(ctx, hdr, (size_t)n);
    /* the ranges tile the data in offset order, so one sequential pass reads everything */
    for (int k = 0; ok && k < L.state->tensors.count; k++) {
        const st_span *s = &L.order[k];
        size_t nbytes = (size_t)(s->end - s->begin);
        einc_tensor *t = L.state->tensors.vals[s->entry];
        if (nbytes && fread(einc__tensor_ptr(t), 1, nbytes, f) != nbytes) {
            einc__error(ctx, EINC_EIO, "safetensors: cannot read the data of '%s' (the file ended early)", path);
            ok = false;
        }
    }
    fclose(f);
    ok = ok && check_bools(&L);
    return load_finish(&L, ok);
}

einc_state *einc_safetensors_load_mapped(einc_ctx *ctx, const char *path) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!path) {
        einc__error(ctx, EINC_EINVAL, "einc_safetensors_load_mapped: path is NULL");
        return NULL;
    }
    einc__mapped_file m;
    if (einc__map_open(ctx, "safetensors", path, &m) != EINC_OK) return NULL;
    einc_state *state = NULL;
    if (!m.regular) {
        einc__error(ctx, EINC_EIO, "safetensors: '%s' is not a regular file", path);
    } else if (check_size(ctx, m.size)) {
        uint64_t n = read_le64(m.data);
        if (check_length(ctx, m.size, n)) {
            st_load L;
            memset(&L, 0, sizeof L);
            L.ctx = ctx;
            L.data_size = m.size - 8 - n;
            /* the header is validated in place, then each tensor views its bytes */
            bool ok = load_header(&L, (const char *)m.data + 8, (size_t)n) &&
                      make_tensors(&L, m.storage, m.data, (size_t)(8 + n)) && check_bools(&L);
            state = load_finish(&L, ok);
        }
    }
    einc__map_close(ctx, &m);
    return state;
}

/* ---- saving -------------------------------------------------------------------------------- */

typedef struct st_item {
    const char *name;
    const einc_tensor *t;
    uint64_t nbytes;
} st_item;

static int item_cmp(const void *a, const void *b) {
    const st_item *x = a, *y = b;
    int rx = st_rank_of(x->t->dtype), ry = st_rank_of(y->t->dtype);
    if (rx != ry) return ry - rx;
    return strcmp(x->name, y->name);
}

/* Writes into buf, or only counts when buf is NULL. */
typedef struct sink {
    char *buf;
    size_t n;
} sink;

static void put(sink *s, const char *p, size_t len) {
    if (s->buf) memcpy(s->buf + s->n, p, len);
    s->n += len;
}

static void put_z(sink *s, const char *z) { put(s, z, strlen(z)); }

static void put_u64(sink *s, uint64_t v) {
    char b[24];
    int k = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    put(s, b, (size_t)k);
}

static void put_json(sink *s, const char *z) {
    s->n += einc__json_write_string(s->buf ? s->buf + s->n : NULL, z, strlen(z));
}

/* The header JSON of the reference implementation's serializer (no padding). */
static void emit_header(sink *s, const einc_state *st, const st_item *items, int n) {
    put_z(s, "{");
    bool first = true;
    if (st->metadata.count) {
        put_z(s, "\"__metadata__\":{");
        for (int i = 0; i < st->metadata.count; i++) {
            if (i) put_z(s, ",");
            put_json(s, st->metadata.keys[i]);
            put_z(s, ":");
            put_json(s, st->metadata.vals[i]);
        }
        put_z(s, "}");
        first = false;
    }
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const einc_tensor *t = items[i].t;
        if (!first) put_z(s, ",");
        first = false;
        put_json(s, items[i].name);
        put_z(s, ":{\"dtype\":\"");
        put_z(s, st_name_of(t->dtype));
        put_z(s, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (d) put_z(s, ",");
            put_u64(s, (uint64_t)t->shape[d]);
        }
        put_z(s, "],\"data_offsets\":[");
        put_u64(s, offset);
        put_z(s, ",");
        offset += items[i].nbytes;
        put_u64(s, offset);
        put_z(s, "]}");
    }
    put_z(s, "}");
}

/* The tensors in file order and the padded header, ready to write. */
typedef struct st_plan {
    st_item *items;
    int n;
    char *header; /* 8 length bytes, then the padded JSON */
    size_t header_size;
    uint64_t data_size;
} st_plan;

static void plan_free(einc_ctx *ctx, st_plan *p) {
    einc__free(ctx, p->items, sizeof *p->items * (size_t)(p->n ? p->n : 1));
    einc__free(ctx, p->header, p->header_size);
    memset(p, 0, sizeof *p);
}

static einc_status plan_make(einc_ctx *ctx, const char *fname, const einc_state *st, st_plan *p) {
    memset(p, 0, sizeof *p);
    p->n = st->tensors.count;
    p->items = einc__alloc(ctx, sizeof *p->items * (size_t)(p->n ? p->n : 1));
    if (!p->items) return EINC_ENOMEM;
    for (int i = 0; i < p->n; i++) {
        const einc_tensor *t = st->tensors.vals[i];
        p->items[i] = (st_item){st->tensors.keys[i], t, (uint64_t)einc__tensor_numel(t) * einc_dtype_size(t->dtype)};
        if (__builtin_add_overflow(p->data_size, p->items[i].nbytes, &p->data_size)) {
            plan_free(ctx, p);
            return einc__error(ctx, EINC_EOVERFLOW, "%s: the tensors' total size overflows 64 bits", fname);
        }
    }
    qsort(p->items, (size_t)p->n, sizeof *p->items, item_cmp);
    sink count = {NULL, 0};
    emit_header(&count, st, p->items, p->n);
    size_t json = count.n, padded = (json + 7) / 8 * 8;
    if (padded > ST_HEADER_MAX) {
        plan_free(ctx, p);
        return einc__error(ctx, EINC_EOVERFLOW, "%s: the header would be %zu bytes, above the format's limit of %u",
                           fname, padded, ST_HEADER_MAX);
    }
    p->header_size = 8 + padded;
    p->header = einc__alloc(ctx, p->header_size);
    if (!p->header) {
        p->header_size = 0;
        plan_free(ctx, p);
        return EINC_ENOMEM;
    }
    for (int i = 0; i < 8; i++) p->header[i] = (char)(((uint64_t)padded >> (8 * i)) & 0xff);
    sink out = {p->header + 8, 0};
    emit_header(&out, st, p->items, p->n);
    memset(p->header + 8 + json, ' ', padded - json);
    return EINC_OK;
}

einc_status einc_safetensors_save_buffer(einc_ctx *ctx, const einc_state *state, void **data, size_t *size) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (data) *data = NULL;
    if (size) *size = 0;
    if (!state || !data || !size) return einc__error(ctx, EINC_EINVAL, "einc_safetensors_save_buffer: NULL argument");
    if (state->ctx != ctx)
        return einc__error(ctx, EINC_EINVAL, "einc_safetensors_save_buffer: the state belongs to another context");
    st_plan p;
    einc_status st = plan_make(ctx, "einc_safetensors_save_buffer", state, &p);
    if (st != EINC_OK) return st;
    size_t total;
    if (p.data_size > SIZE_MAX || __builtin_add_overflow(p.header_size, (size_t)p.data_size, &total)) {
        plan_free(ctx, &p);
        return einc__error(ctx, EINC_EOVERFLOW, "einc_safetensors_save_buffer: the file would not fit in memory");
    }
    char *buf = einc__alloc(ctx, total);
    if (!buf) {
        plan_free(ctx, &p);
        return EINC_ENOMEM;
    }
    memcpy(buf, p.header, p.header_size);
    size_t pos = p.header_size;
    for (int i = 0; i < p.n; i++) {
        einc_tensor_to_buffer(p.items[i].t, buf + pos, (size_t)p.items[i].nbytes);
        pos += (size_t)p.items[i].nbytes;
    }
    plan_free(ctx, &p);
    *data = buf;
    *size = total;
    return EINC_OK;
}

/* Writes one tensor's elements, row-major (through a scratch copy when the strides ask for it). */
static einc_status write_tensor(einc__saver *sv, const st_item *it) {
    size_t nbytes = (size_t)it->nbytes;
    if (!nbytes) return EINC_OK;
    if (einc__tensor_is_contiguous(it->t)) return einc__save_write(sv, einc__tensor_ptr(it->t), nbytes);
    char *tmp = einc__alloc(sv->ctx, nbytes);
    if (!tmp) return EINC_ENOMEM;
    einc_tensor_to_buffer(it->t, tmp, nbytes);
    einc_status st = einc__save_write(sv, tmp, nbytes);
    einc__free(sv->ctx, tmp, nbytes);
    return st;
}

einc_status einc_safetensors_save(einc_ctx *ctx, const char *path, const einc_state *state) {
    EINC__OWNED(ctx, EINC_EBUSY);
    return einc_safetensors_save_with(ctx, path, state, NULL);
}

einc_status einc_safetensors_save_with(einc_ctx *ctx, const char *path, const einc_state *state,
                                       const einc_save_options *options) {
    EINC__OWNED(ctx, EINC_EBUSY);
    const char *fname = "einc_safetensors_save";
    if (!ctx) return EINC_EINVAL;
    if (!path || !state) return einc__error(ctx, EINC_EINVAL, "%s: %s is NULL", fname, path ? "state" : "path");
    if (state->ctx != ctx) return einc__error(ctx, EINC_EINVAL, "%s: the state belongs to another context", fname);
    st_plan p;
    einc_status st = plan_make(ctx, fname, state, &p);
    if (st != EINC_OK) return st;
    einc__saver sv;
    st = einc__save_begin(&sv, ctx, fname, path, options);
    if (st == EINC_OK) {
        st = einc__save_write(&sv, p.header, p.header_size);
        for (int i = 0; st == EINC_OK && i < p.n; i++) st = write_tensor(&sv, &p.items[i]);
        st = einc__save_end(&sv, st);
    }
    plan_free(ctx, &p);
    return st;
}
