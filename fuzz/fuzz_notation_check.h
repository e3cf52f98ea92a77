/* fuzz_notation_check.h — the invariants of the einx operations for any input bytes, shared by the
 * libFuzzer target fuzz/fuzz_notation.c and the ordinary test tests/test_fuzz_replay_notation.c
 * (which runs them over fuzz/corpus/notation/ in every build). See fuzz/README_notation.md.
 *
 * The bytes describe one call:
 *
 *   byte 0      operation (index into einc_op, modulo EINC_OP_COUNT_)
 *   byte 1      bits 0-1: number of input tensors (0-3); bit 2: keepdims; bit 3: expression bytes
 *               are tokens (see `tokens` below) instead of raw text; bit 4: fail the allocation
 *               number <byte 2> (counted from the call); bit 5: the inputs' dtypes come from the
 *               second list (below); bits 6-7: unused
 *   byte 2      allocation budget for bit 4
 *   per tensor  one byte: bits 0-2 ndim (0-5, 6 and 7 read as 0 and 1), bits 3-5 dtype: without
 *               bit 5 of byte 1 modulo 5 (float32 float64 int64 int32 bool), with it one of float16
 *               bfloat16 uint8 int8 int16 float32 float64 int64 (so the new dtypes meet the old),
 *               bits 6-7 layout (contiguous, transposed, reversed = negative strides, broadcast
 *               from length 1 = stride 0); then one byte per dimension: length 1 + b % 4
 *               (at most 256 elements per tensor: dimensions past the cap become 1)
 *   one byte    number of constraints (0-4), then two bytes each: the name (from `names`) and
 *               the value (1-6 mostly; rarely 0, negative, the empty tuple or huge)
 *   the rest    the expression (at most 240 bytes, up to the first NUL): raw text, or one token
 *               per byte
 *
 * For that call, with a fresh context whose allocator refuses blocks over 16 MiB and counts live
 * bytes:
 *   - einc_explain and einc_apply agree: both fail with the same status and message, or both
 *     succeed (einc_apply may then still fail with MemoryError or OverflowError, or with the
 *     value-dependent IndexError of an out-of-range coordinate in get_at/set_at/add_at/
 *     subtract_at, which explain cannot see);
 *   - a failure has a valid status other than OK, the same status recorded in the context, a
 *     non-empty message, every output NULL, and where the message shows `Expression: "<expr>"`
 *     the caret line under it is 13 spaces and one ' ' or '^' per character of <expr>;
 *   - a success gives non-NULL outputs of 0-16 dimensions, each length >= 1 and an element count
 *     that fits in 64 bits, whose elements can all be read (the first 4096 and the last); a second
 *     call (from the plan cache) gives identical results; `id`, max and min only return input
 *     values, softmax values in [0, 1], log_softmax values <= 0;
 *   - after einc_ctx_destroy no byte is left allocated.
 * AddressSanitizer and UndefinedBehaviorSanitizer catch the rest (the fuzz build instruments the
 * library; the replay test runs in the sanitizer build too).
 */
#ifndef EINC_FUZZ_NOTATION_CHECK_H
#define EINC_FUZZ_NOTATION_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "einc.h"

/* ---- a counting allocator with a size cap and an optional failing allocation ----------------- */

typedef struct {
    long count;       /* allocations made                          */
    long fail_at;     /* the allocation number that fails; < 0: none */
    long long live;   /* bytes allocated now                       */
    long live_blocks; /* blocks allocated now                      */
} einc_fuzz_notation_alloc;

#define EINC_FUZZ_NOTATION_MAX_BLOCK ((size_t)16 << 20)

static inline void *einc_fuzz_notation_alloc_fn(void *user, size_t size, size_t align) {
    einc_fuzz_notation_alloc *s = user;
    if (size > EINC_FUZZ_NOTATION_MAX_BLOCK) return NULL;
    if (s->fail_at >= 0 && s->count == s->fail_at) {
        s->count++;
        return NULL;
    }
    void *p = NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
    s->count++;
    s->live += (long long)size;
    s->live_blocks++;
    return p;
}

static inline void einc_fuzz_notation_free_fn(void *user, void *p, size_t size) {
    einc_fuzz_notation_alloc *s = user;
    if (!p) return;
    s->live -= (long long)size;
    s->live_blocks--;
    free(p);
}

/* ---- decoding the bytes ----------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
} einc_fuzz_notation_reader;

static inline unsigned einc_fuzz_notation_byte(einc_fuzz_notation_reader *r) {
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

/* One token per byte for the token form of the expression: the notation's alphabet. */
static const char *const einc_fuzz_notation_tokens[] = {
    "a", "b", "c", "d",  " ", " ", " ",  "(",  ")",    "[",     "]",   "+",    ",",  "->", "...", "1",
    "2", "3", "0", "01", "h", "w", "b1", "_x", "a...", "(a b)", "[c]", " -> ", ", ", "|",  "$",   "\t",
};

static const char *const einc_fuzz_notation_names[] = {"a", "b", "c",  "d", "h",  "w", "b1", "_x",
                                                       "q", "k", "ds", "N", "zz", "",  "1",  "a b"};

static inline int64_t einc_fuzz_notation_value(unsigned b) {
    static const int64_t special[] = {0,
                                      -1,
                                      -7,
                                      EINC_EMPTY_TUPLE,
                                      7,
                                      16,
                                      100,
                                      (int64_t)1 << 20,
                                      (int64_t)1 << 31,
                                      (int64_t)1 << 40,
                                      (int64_t)1 << 62,
                                      INT64_MAX,
                                      INT64_MIN + 1,
                                      3000000000LL,
                                      65536,
                                      12};
#ifdef EINC_FUZZ_NOTATION_NO_HUGE_VALUES /* to explore past open overflow bugs */
    if (special[b % 16] > 100) return 1 + (int64_t)(b % 6);
#endif
    return b < 224 ? 1 + (int64_t)(b % 6) : special[b % 16];
}

/* ---- checks ------------------------------------------------------------------------------------ */

typedef struct {
    char why[1024];
} einc_fuzz_notation_result;

static inline const char *einc_fuzz_notation_fail(einc_fuzz_notation_result *res, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->why, sizeof res->why, fmt, ap);
    va_end(ap);
    return res->why;
}

/* The caret line under `Expression: "<expr>"`, where the message has one. */
static inline const char *einc_fuzz_notation_check_carets(einc_fuzz_notation_result *res, const char *msg,
                                                          const char *expr) {
    if (strchr(expr, '\n')) return NULL; /* the block is ambiguous then */
    char head[300];
    int hl = snprintf(head, sizeof head, "Expression: \"%s\"\n", expr);
    if (hl < 0 || (size_t)hl >= sizeof head) return NULL;
    const char *at = strstr(msg, head);
    if (!at) return NULL;
    const char *line = at + hl;
    size_t len = strlen(expr);
    for (size_t i = 0; i < 13 + len; i++) {
        char c = line[i];
        if (c == '\0' || (i < 13 && c != ' ') || (i >= 13 && c != ' ' && c != '^'))
            return einc_fuzz_notation_fail(res, "caret line under \"%s\" is malformed at column %zu: \"%.*s\"", expr, i,
                                           (int)(13 + len), line);
    }
    if (line[13 + len] != '\0' && line[13 + len] != '\n')
        return einc_fuzz_notation_fail(res, "caret line under \"%s\" is longer than the expression", expr);
    return NULL;
}

/* A failed call: consistent status, message and outputs. */
static inline const char *einc_fuzz_notation_check_failure(einc_fuzz_notation_result *res, einc_ctx *ctx,
                                                           einc_status st, einc_tensor *const *out, int nout,
                                                           const char *expr, const char *what) {
    if (st <= EINC_OK || st > EINC_EUNSUPPORTED)
        return einc_fuzz_notation_fail(res, "%s returned the invalid status %d", what, (int)st);
    if (einc_errcode(ctx) != st)
        return einc_fuzz_notation_fail(res, "%s returned %s but the context records %s", what, einc_status_name(st),
                                       einc_status_name(einc_errcode(ctx)));
    const char *msg = einc_errmsg(ctx);
    if (!msg || !msg[0])
        return einc_fuzz_notation_fail(res, "%s failed with %s and an empty message", what, einc_status_name(st));
    if (strstr(msg, "(null)") && !strstr(expr, "(null)"))
        return einc_fuzz_notation_fail(res, "%s: message prints a NULL: %s", what, msg);
    for (int i = 0; i < nout; i++)
        if (out[i]) return einc_fuzz_notation_fail(res, "%s failed but output #%d is not NULL", what, i + 1);
    return einc_fuzz_notation_check_carets(res, msg, expr);
}

/* Reads element `i` (row-major) of t. */
static inline double einc_fuzz_notation_get(const einc_tensor *t, int64_t i) {
    int64_t idx[EINC_MAX_DIMS];
    int nd = einc_tensor_ndim(t);
    for (int d = nd - 1; d >= 0; d--) {
        int64_t n = einc_tensor_dim(t, d);
        idx[d] = i % n;
        i /= n;
    }
    return einc_tensor_get(t, idx);
}

/* A successful output: sane shape, readable elements. Sets *numel. */
static inline const char *einc_fuzz_notation_check_output(einc_fuzz_notation_result *res, const einc_tensor *t, int o,
                                                          int64_t *numel) {
    if (!t) return einc_fuzz_notation_fail(res, "einc_apply succeeded but output #%d is NULL", o + 1);
    int nd = einc_tensor_ndim(t);
    if (nd < 0 || nd > EINC_MAX_DIMS) return einc_fuzz_notation_fail(res, "output #%d has %d dimensions", o + 1, nd);
    int64_t n = 1;
    for (int d = 0; d < nd; d++) {
        int64_t len = einc_tensor_dim(t, d);
        if (len < 1)
            return einc_fuzz_notation_fail(res, "output #%d has length %lld in dimension %d", o + 1, (long long)len, d);
        if (__builtin_mul_overflow(n, len, &n))
            return einc_fuzz_notation_fail(res, "output #%d: its element count overflows 64 bits", o + 1);
    }
    *numel = n;
    /* every element of a small output, else the first 4096 and the last (ASan checks the reads) */
    int64_t m = n < 4096 ? n : 4096;
    volatile double sink = 0;
    for (int64_t i = 0; i < m; i++) sink += einc_fuzz_notation_get(t, i);
    sink += einc_fuzz_notation_get(t, n - 1);
    (void)sink;
    return NULL;
}

/* Values the operation can produce from einc_fuzz_notation_fill's inputs: `id` and max/min only
 * move input values (all of them multiples of 1/4 in [-5, 5]); softmax lies in [0, 1] and
 * log_softmax at or below 0. Catches uninitialised or misplaced output elements. */
static inline const char *einc_fuzz_notation_check_values(einc_fuzz_notation_result *res, einc_op op,
                                                          const einc_tensor *t, int o, int64_t numel) {
    bool moves = op == EINC_OP_ID || op == EINC_OP_REARRANGE || op == EINC_OP_MAX || op == EINC_OP_MIN;
    if (!moves && op != EINC_OP_SOFTMAX && op != EINC_OP_LOG_SOFTMAX) return NULL;
    int64_t m = numel < 4096 ? numel : 4096;
    for (int64_t i = 0; i < m; i++) {
        double v = einc_fuzz_notation_get(t, i);
        bool ok = moves ? (v >= -5 && v <= 5 && v * 4 == (double)(int64_t)(v * 4))
                        : (op == EINC_OP_SOFTMAX ? v >= 0 && v <= 1 + 1e-6 : v <= 1e-6);
        if (!ok)
            return einc_fuzz_notation_fail(res, "output #%d element %lld is %.9g, which %s cannot produce", o + 1,
                                           (long long)i, v, einc_op_name(op));
    }
    return NULL;
}

/* Same shape, dtype and bits (NaN equal to NaN) on the first 4096 elements and the last. */
static inline bool einc_fuzz_notation_same(const einc_tensor *a, const einc_tensor *b, int64_t numel) {
    int nd = einc_tensor_ndim(a);
    if (nd != einc_tensor_ndim(b) || einc_tensor_dtype(a) != einc_tensor_dtype(b)) return false;
    for (int d = 0; d < nd; d++)
        if (einc_tensor_dim(a, d) != einc_tensor_dim(b, d)) return false;
    int64_t m = numel < 4096 ? numel : 4096;
    for (int64_t i = 0; i <= m; i++) {
        int64_t k = i < m ? i : numel - 1;
        double x = einc_fuzz_notation_get(a, k), y = einc_fuzz_notation_get(b, k);
        if (!(x == y || (x != x && y != y))) return false;
    }
    return true;
}

/* The float16 and bfloat16 bits of v/2 for v in -5..5 (exact in both: no rounding to get wrong). */
static inline uint16_t einc_fuzz_notation_half(int v, bool brain) {
    float f = (float)v * 0.5f;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if (brain) return (uint16_t)(u >> 16);
    if (v == 0) return 0;
    uint32_t sign = (u >> 31) << 15, exp = ((u >> 23) & 0xffu) - 127u + 15u, man = (u >> 13) & 0x3ffu;
    return (uint16_t)(sign | (exp << 10) | man);
}

/* Fills t (contiguous) with small values: zeros, negatives, integers (uint8, uint64: their magnitudes). */
static inline void einc_fuzz_notation_fill(einc_tensor *t) {
    int64_t n = einc_tensor_numel(t);
    void *p = einc_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        int v = (int)((i * 7 + 3) % 11) - 5;
        switch (einc_tensor_dtype(t)) {
        case EINC_FLOAT32: ((float *)p)[i] = (float)v * 0.5f; break;
        case EINC_FLOAT64: ((double *)p)[i] = v * 0.25; break;
        case EINC_INT64: ((int64_t *)p)[i] = v; break;
        case EINC_INT32: ((int32_t *)p)[i] = v; break;
        case EINC_BOOL: ((uint8_t *)p)[i] = v > 0; break;
        case EINC_FLOAT16: ((uint16_t *)p)[i] = einc_fuzz_notation_half(v, false); break;
        case EINC_BFLOAT16: ((uint16_t *)p)[i] = einc_fuzz_notation_half(v, true); break;
        case EINC_UINT8: ((uint8_t *)p)[i] = (uint8_t)(v < 0 ? -v : v); break;
        case EINC_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
        case EINC_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
        case EINC_UINT64: ((uint64_t *)p)[i] = (uint64_t)(v < 0 ? -v : v); break;
        }
    }
}

/* One input tensor as the bytes describe it; NULL if it could not be made (out of memory). */
static inline einc_tensor *einc_fuzz_notation_input(einc_ctx *ctx, einc_fuzz_notation_reader *r, bool new_dtypes) {
    static const einc_dtype second[8] = {EINC_FLOAT16, EINC_BFLOAT16, EINC_UINT8,   EINC_INT8,
                                         EINC_INT16,   EINC_FLOAT32,  EINC_FLOAT64, EINC_UINT64};
    unsigned b = einc_fuzz_notation_byte(r);
    int nd = (int)(b & 7u) % 6;
    einc_dtype dtype = new_dtypes ? second[(b >> 3) & 7u] : (einc_dtype)((b >> 3) % 5);
    unsigned layout = b >> 6;
    int64_t shape[8], total = 1;
    for (int d = 0; d < nd; d++) {
        int64_t len = 1 + einc_fuzz_notation_byte(r) % 4;
        if (total * len > 256) len = 1;
        shape[d] = len;
        total *= len;
    }
    einc_tensor *t = NULL;
    if (layout == 1 && nd >= 2) { /* transposed: a contiguous tensor of the reversed shape, permuted */
        int64_t rev[8];
        int perm[8];
        for (int d = 0; d < nd; d++) rev[d] = shape[nd - 1 - d], perm[d] = nd - 1 - d;
        einc_tensor *c = einc_tensor_empty(ctx, dtype, nd, rev);
        if (c) einc_fuzz_notation_fill(c);
        t = einc_tensor_permute(ctx, c, nd, perm);
    } else if (layout == 2 && nd >= 1) { /* reversed: negative strides */
        int axes[8];
        for (int d = 0; d < nd; d++) axes[d] = d;
        einc_tensor *c = einc_tensor_empty(ctx, dtype, nd, shape);
        if (c) einc_fuzz_notation_fill(c);
        t = einc_tensor_flip(ctx, c, nd, axes);
    } else if (layout == 3 && nd >= 1) { /* broadcast along the first dimension: stride 0 */
        int64_t one[8];
        memcpy(one, shape, sizeof(int64_t) * (size_t)nd);
        one[0] = 1;
        einc_tensor *c = einc_tensor_empty(ctx, dtype, nd, one);
        if (c) einc_fuzz_notation_fill(c);
        t = einc_tensor_expand(ctx, c, nd, shape);
    } else {
        t = einc_tensor_empty(ctx, dtype, nd, shape);
        if (t) einc_fuzz_notation_fill(t);
    }
    return t;
}

/* The expression: raw text, or tokens. */
static inline void einc_fuzz_notation_expr(einc_fuzz_notation_reader *r, bool tokens, char *out, size_t cap) {
    size_t len = 0;
    if (!tokens) {
        while (r->n && len < 240 && len + 1 < cap && *r->p) out[len++] = (char)einc_fuzz_notation_byte(r);
    } else {
        size_t ntok = sizeof einc_fuzz_notation_tokens / sizeof einc_fuzz_notation_tokens[0];
        while (r->n) {
            const char *tok = einc_fuzz_notation_tokens[einc_fuzz_notation_byte(r) % ntok];
            size_t tl = strlen(tok);
            if (len + tl > 240 || len + tl + 1 > cap) break;
            memcpy(out + len, tok, tl);
            len += tl;
        }
    }
    out[len] = '\0';
}

/* An error that depends on the tensors' values, which einc_explain never reads: a coordinate out
 * of range in the indexing operations ("subtract_at: coordinate 3 at (0) of input #2 is out of
 * range for axis c of length 1"). It may follow a successful explain. */
static inline bool einc_fuzz_notation_value_error(einc_op op, einc_status s, const char *msg) {
    bool indexing = op == EINC_OP_GET_AT || op == EINC_OP_SET_AT || op == EINC_OP_ADD_AT || op == EINC_OP_SUBTRACT_AT;
    return indexing && s == EINC_EINDEX && strstr(msg, ": coordinate ") && strstr(msg, " is out of range for axis ");
}

/* Runs the call the bytes describe; NULL when every invariant holds, else what was violated. */
static inline const char *einc_fuzz_notation_run(einc_fuzz_notation_result *res, const uint8_t *data, size_t size) {
    einc_fuzz_notation_reader r = {data, size};
    einc_op op = (einc_op)(einc_fuzz_notation_byte(&r) % EINC_OP_COUNT_);
    unsigned flags = einc_fuzz_notation_byte(&r);
    unsigned budget = einc_fuzz_notation_byte(&r);
    int ninputs = (int)(flags & 3u);
    bool keepdims = (flags >> 2) & 1u, tokens = (flags >> 3) & 1u, fail_alloc = (flags >> 4) & 1u;
    bool new_dtypes = (flags >> 5) & 1u;
#ifdef EINC_FUZZ_NOTATION_NO_ALLOC_FAILURES /* to explore past open allocation-failure bugs */
    fail_alloc = false;
#endif

    einc_fuzz_notation_alloc st = {0, -1, 0, 0};
    einc_allocator allocator = {einc_fuzz_notation_alloc_fn, einc_fuzz_notation_free_fn, &st};
    einc_ctx_options options;
    memset(&options, 0, sizeof options);
    options.allocator = &allocator;
    options.threads = 1;
    einc_ctx *ctx = einc_ctx_create_with(&options);
    if (!ctx) return einc_fuzz_notation_fail(res, "einc_ctx_create_with failed");

    const char *why = NULL;
    einc_tensor *in[3] = {NULL, NULL, NULL};
    for (int i = 0; i < ninputs; i++) in[i] = einc_fuzz_notation_input(ctx, &r, new_dtypes);
    einc_axis axes_v[4];
    int naxes = (int)(einc_fuzz_notation_byte(&r) % 5);
    size_t nnames = sizeof einc_fuzz_notation_names / sizeof einc_fuzz_notation_names[0];
    for (int i = 0; i < naxes; i++) {
        axes_v[i].name = einc_fuzz_notation_names[einc_fuzz_notation_byte(&r) % nnames];
        axes_v[i].value = einc_fuzz_notation_value(einc_fuzz_notation_byte(&r));
    }
    einc_axes axes = {naxes, axes_v};
    char expr[256];
    einc_fuzz_notation_expr(&r, tokens, expr, sizeof expr);
    einc_op_options opts = {.keepdims = keepdims};

    for (int i = 0; i < ninputs; i++)
        if (!in[i]) goto done; /* only the allocator can refuse our small inputs */
    if (fail_alloc) st.fail_at = st.count + (long)budget;

    /* the plan: einc_explain; its "output #k" lines count the outputs */
    char text[16384];
    int64_t len = einc_explain(ctx, op, expr, ninputs, in, axes, &opts, text, sizeof text);
    einc_status explain_st = einc_errcode(ctx);
    char explain_msg[2048] = "";
    int nout = 1;
    if (len < 0) {
        if (explain_st == EINC_OK) {
            why = einc_fuzz_notation_fail(res, "einc_explain returned -1 without recording an error");
            goto done;
        }
        if ((why = einc_fuzz_notation_check_failure(res, ctx, explain_st, NULL, 0, expr, "einc_explain"))) goto done;
        snprintf(explain_msg, sizeof explain_msg, "%s", einc_errmsg(ctx));
        einc_clear_error(ctx);
        for (const char *a = strstr(expr, "->"); a; a = strstr(a + 2, "->")) /* a guess, for the error path */
            for (const char *c = a; *c; c++) nout += *c == ',';
    } else {
        if (explain_st != EINC_OK) {
            why = einc_fuzz_notation_fail(res, "einc_explain succeeded but recorded %s: %s",
                                          einc_status_name(explain_st), einc_errmsg(ctx));
            goto done;
        }
        if ((size_t)len < sizeof text && strlen(text) != (size_t)len) {
            why = einc_fuzz_notation_fail(res, "einc_explain returned %lld but wrote %zu characters", (long long)len,
                                          strlen(text));
            goto done;
        }
        nout = 0;
        for (const char *a = strstr(text, "\n  output #"); a; a = strstr(a + 10, "\n  output #")) nout++;
        if (nout < 1 || nout > 16) {
            why = einc_fuzz_notation_fail(res, "einc_explain lists %d outputs:\n%s", nout, text);
            goto done;
        }
    }
    if (nout > 16) nout = 16;

    einc_tensor *out[16], *again[16];
    int64_t numel[16];
    for (int rep = 0; rep < 2; rep++) {
        einc_tensor **o = rep ? again : out;
        for (int i = 0; i < 16; i++) o[i] = (einc_tensor *)&st; /* must be overwritten */
        einc_status s = einc_apply(ctx, op, expr, ninputs, in, nout, o, axes, &opts);
        if (s != EINC_OK) {
            if ((why = einc_fuzz_notation_check_failure(res, ctx, s, o, nout, expr, "einc_apply"))) goto done;
            if (len >= 0 && s != EINC_ENOMEM && s != EINC_EOVERFLOW &&
                !einc_fuzz_notation_value_error(op, s, einc_errmsg(ctx))) {
                why = einc_fuzz_notation_fail(res, "einc_explain succeeded but einc_apply failed: %s: %s",
                                              einc_status_name(s), einc_errmsg(ctx));
                goto done;
            }
            if (len < 0 && !fail_alloc && (s != explain_st || strcmp(einc_errmsg(ctx), explain_msg) != 0)) {
                why = einc_fuzz_notation_fail(res, "einc_explain and einc_apply disagree:\n%s: %s\n---\n%s: %s",
                                              einc_status_name(explain_st), explain_msg, einc_status_name(s),
                                              einc_errmsg(ctx));
                goto done;
            }
            einc_clear_error(ctx);
            break;
        }
        if (len < 0 && !fail_alloc) {
            why = einc_fuzz_notation_fail(res, "einc_explain failed (%s: %s) but einc_apply succeeded",
                                          einc_status_name(explain_st), explain_msg);
            goto done;
        }
        for (int i = 0; i < nout; i++) {
            int64_t n = 0;
            if ((why = einc_fuzz_notation_check_output(res, o[i], i, &n))) goto done;
            if ((why = einc_fuzz_notation_check_values(res, op, o[i], i, n))) goto done;
            if (rep == 0) numel[i] = n;
            else if (!einc_fuzz_notation_same(out[i], again[i], numel[i])) {
                why = einc_fuzz_notation_fail(res, "output #%d differs between a fresh and a cached plan", i + 1);
                goto done;
            }
        }
    }

done:
    einc_ctx_destroy(ctx);
    if (!why && (st.live != 0 || st.live_blocks != 0))
        why = einc_fuzz_notation_fail(res, "%lld bytes in %ld blocks leaked", st.live, st.live_blocks);
    if (why) {
        size_t used = strlen(res->why);
        snprintf(res->why + used, sizeof res->why - used, "\n  call: %s(\"%s\"), %d inputs, %d constraints%s%s",
                 einc_op_name(op), expr, ninputs, naxes, keepdims ? ", keepdims" : "",
                 fail_alloc ? ", failing an allocation" : "");
    }
    return why;
}

#endif /* EINC_FUZZ_NOTATION_CHECK_H */
