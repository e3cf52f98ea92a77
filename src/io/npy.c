/* npy.c — NumPy .npy reader and writer.
 *
 * Layout (numpy.lib.format, NEP 1): the magic "\x93NUMPY", major and minor version bytes, the
 * header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0), the header, the elements.
 * The header is the repr of a Python dict, padded with spaces and ended by a newline:
 *
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }            \n
 *
 * numpy evaluates it as a Python literal; we do not run a Python evaluator on hostile bytes.
 * The reader accepts exactly the grammar below — what numpy (under Python 2 and 3) and cnpy
 * write for the supported dtypes, plus harmless spacing and quoting variants — and rejects
 * anything else with EINC_EFORMAT and a message that says what is wrong and where:
 *
 *   header := S '{' S [item (S ',' S item)* [S ',']] S '}' ' '* '\n'   ('\n' is the last byte)
 *   item   := key S ':' S value   keys 'descr', 'fortran_order', 'shape': each once, any order
 *   descr  := '<f4' '<f8' '<i8' '<i4' '<f2' '<i2' and the same with '>', '|u1' '|i1' '|b1' ('<' or
 *             '>' for '|': cnpy's bool, and harmless for any one-byte type)
 *   fortran_order := 'True' | 'False'
 *   shape  := '(' S ')' | '(' S int S ',' S ')' | '(' S int (S ',' S int)+ [S ','] S ')'
 *   int    := '0' | [1-9][0-9]* (at most INT64_MAX); in 1.0 and 2.0 an 'L' may follow (numpy
 *             written by Python 2 printed longs as 2L; numpy strips it for those versions only)
 *   S      := ' '*        strings: '...' or "..." without backslashes
 *
 * Bytes: no NUL anywhere; 1.0 and 2.0 headers are Latin-1 (numpy's reading), 3.0 headers must
 * be valid UTF-8. Any non-ASCII byte is outside the grammar, so it only changes the message.
 * Not required: the 64-byte alignment (numpy before 1.9 aligned to 16, other writers not at all).
 * The header is capped at NPY_HEADER_MAX. The sizes, zeros counted as 1, times the item size
 * must fit in 64 bits (numpy's rule; it keeps strides representable). The data must be exactly
 * numel * itemsize bytes, with bools 0 or 1. Rejected although numpy reads them: duplicate keys
 * (numpy keeps the last), trailing bytes after the data (numpy ignores them), and every other
 * Python spelling (comments, escapes, tabs or newlines between tokens, 0x10, 1_0, u'', (x)).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/internal.h"
#include "map_file.h"
#include "save_file.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_HEADER_MAX ((size_t)1 << 20) /* bounds what a file load reserves before validating */
#define NPY_ALIGN 64                     /* numpy aligns the data to this                      */
#define NPY_GROWTH_DIGITS 21             /* numpy >= 1.24 leaves room for shape[0] to grow     */
#define NPY_SAVE_HEADER_CAP 1024         /* 16 dims of 19 digits need under 500 bytes          */

/* ---- input and errors ---------------------------------------------------------------------- */

/* Where the bytes come from and whom the messages name. */
typedef struct {
    einc_ctx *ctx;
    const char *fname;        /* the public function, first word of every message     */
    const char *path;         /* NULL for a buffer                                    */
    const unsigned char *mem; /* the buffer; NULL when reading the file `fd`          */
    int fd;
    bool stream;       /* a pipe or device: size unknown (SIZE_MAX), no seeking */
    size_t size;       /* total bytes                                          */
    size_t pos;        /* bytes consumed so far                                */
    einc_storage *map; /* `mem` is this read-only file mapping: view, not copy */
} npy_in;

static einc_status npy_fail(const npy_in *in, einc_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static einc_status npy_fail(const npy_in *in, einc_status code, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (in->path) return einc__error(in->ctx, code, "%s: '%s': %s", in->fname, in->path, msg);
    return einc__error(in->ctx, code, "%s: %s", in->fname, msg);
}

static const char *npy_noun(const npy_in *in) { return in->stream ? "stream" : in->path ? "file" : "buffer"; }

/* Bytes not yet consumed (0 if a file grew past the size it had when it was opened). */
static size_t npy_left(const npy_in *in) { return in->pos < in->size ? in->size - in->pos : 0; }

/* Reads up to n bytes into dst; *got is short only at the end of the input. False after a
 * read error (EINC_EIO recorded). */
static bool npy_read(npy_in *in, void *dst, size_t n, size_t *got) {
    if (in->mem) {
        size_t k = npy_left(in) < n ? npy_left(in) : n;
        if (k) memcpy(dst, in->mem + in->pos, k);
        in->pos += k;
        *got = k;
        return true;
    }
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < ((size_t)1 << 30) ? n - done : ((size_t)1 << 30);
        ssize_t r = read(in->fd, (char *)dst + done, chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            npy_fail(in, EINC_EIO, "read error after %zu bytes: %s", in->pos + done, strerror(errno));
            return false;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    in->pos += done;
    *got = done;
    return true;
}

/* `n` bytes of `s` for a message: printable ASCII as is, the rest as \xNN, cut at 40 chars. */
static const char *npy_quote(char *buf, size_t cap, const char *s, size_t n) {
    size_t used = 0;
    for (size_t i = 0; i < n && used + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i == 40) {
            used += (size_t)snprintf(buf + used, cap - used, "...");
            break;
        }
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') buf[used++] = (char)ch;
        else used += (size_t)snprintf(buf + used, cap - used, "\\x%02x", ch);
    }
    buf[used] = '\0';
    return buf;
}

/* ---- header parsing -------------------------------------------------------------------------- */

typedef struct {
    einc_dtype dtype;
    bool little; /* byte order of the file's elements (meaningless for bool) */
    bool fortran;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
    int64_t numel;
    size_t nbytes;
} npy_header;

typedef struct {
    const npy_in *in;
    const char *s; /* the header without its final '\n' */
    size_t n, i;
    int major;
} npy_lexer;

static einc_status lex_fail(const npy_lexer *lx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static einc_status lex_fail(const npy_lexer *lx, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return npy_fail(lx->in, EINC_EFORMAT, "header: %s (at header offset %zu)", msg, lx->i);
}

static void lex_space(npy_lexer *lx) {
    while (lx->i < lx->n && lx->s[lx->i] == ' ') lx->i++;
}

/* After optional spaces: true (and consumed) if the next byte is `ch`. */
static bool lex_accept(npy_lexer *lx, char ch) {
    lex_space(lx);
    if (lx->i < lx->n && lx->s[lx->i] == ch) {
        lx->i++;
        return true;
    }
    return false;
}

/* What stands at the cursor, for "expected X, found Y" messages. */
static const char *lex_found(const npy_lexer *lx, char *buf, size_t cap) {
    if (lx->i >= lx->n) return "the end of the header";
    char q[64];
    snprintf(buf, cap, "'%s'", npy_quote(q, sizeof q, lx->s + lx->i, 1));
    return buf;
}

static einc_status lex_expected(const npy_lexer *lx, const char *what) {
    char found[80];
    return lex_fail(lx, "expected %s, found %s", what, lex_found(lx, found, sizeof found));
}

/* A quoted string without escapes; *str / *len point into the header. */
static einc_status lex_string(npy_lexer *lx, const char *what, const char **str, size_t *len) {
    lex_space(lx);
    if (lx->i >= lx->n || (lx->s[lx->i] != '\'' && lx->s[lx->i] != '"')) return lex_expected(lx, what);
    char quote = lx->s[lx->i++];
    size_t start = lx->i;
    while (lx->i < lx->n && lx->s[lx->i] != quote) {
        if (lx->s[lx->i] == '\\') return lex_fail(lx, "escape sequences in strings are not supported");
        lx->i++;
    }
    if (lx->i >= lx->n) {
        lx->i = start - 1;
        return lex_fail(lx, "unterminated string");
    }
    *str = lx->s + start;
    *len = lx->i - start;
    lx->i++;
    return EINC_OK;
}

static bool lex_word(npy_lexer *lx, const char *word) {
    size_t n = strlen(word);
    if (lx->n - lx->i < n || memcmp(lx->s + lx->i, word, n) != 0) return false;
    lx->i += n;
    return true;
}

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* A shape entry: decimal, no sign, no leading zeros, at most INT64_MAX. */
static einc_status lex_int(npy_lexer *lx, int entry, int64_t *out) {
    lex_space(lx);
    size_t start = lx->i;
    if (lx->i >= lx->n || !is_digit(lx->s[lx->i])) {
        if (lx->i < lx->n && lx->s[lx->i] == '-') return lex_fail(lx, "shape entry %d is negative", entry);
        return lex_expected(lx, "a non-negative integer in 'shape'");
    }
    if (lx->s[lx->i] == '0' && lx->i + 1 < lx->n && is_digit(lx->s[lx->i + 1]))
        return lex_fail(lx, "shape entry %d has a leading zero", entry);
    int64_t v = 0;
    while (lx->i < lx->n && is_digit(lx->s[lx->i])) {
        if (__builtin_mul_overflow(v, (int64_t)10, &v) ||
            __builtin_add_overflow(v, (int64_t)(lx->s[lx->i] - '0'), &v)) {
            while (lx->i < lx->n && is_digit(lx->s[lx->i])) lx->i++;
            char q[64];
            size_t end = lx->i;
            lx->i = start;
            return lex_fail(lx, "shape entry %d (%s) does not fit in 64 bits", entry,
                            npy_quote(q, sizeof q, lx->s + start, end - start));
        }
        lx->i++;
    }
    if (lx->i < lx->n && lx->s[lx->i] == 'L') {
        if (lx->major >= 3) return lex_fail(lx, "the Python 2 'L' suffix is not allowed in a version 3.0 header");
        lx->i++;
    }
    *out = v;
    return EINC_OK;
}

static einc_status lex_shape(npy_lexer *lx, npy_header *h) {
    if (!lex_accept(lx, '(')) return lex_expected(lx, "a tuple as the value of 'shape'");
    h->ndim = 0;
    if (lex_accept(lx, ')')) return EINC_OK;
    for (;;) {
        if (h->ndim == EINC_MAX_DIMS)
            return lex_fail(lx, "shape has more than %d dimensions (einc's limit)", EINC_MAX_DIMS);
        einc_status st = lex_int(lx, h->ndim, &h->shape[h->ndim]);
        if (st != EINC_OK) return st;
        h->ndim++;
        if (lex_accept(lx, ',')) {
            if (lex_accept(lx, ')')) return EINC_OK;
            continue;
        }
        if (lex_accept(lx, ')')) {
            if (h->ndim == 1)
                return lex_fail(lx, "'shape' (%lld) is an int, not a tuple: a 1-d shape is written (%lld,)",
                                (long long)h->shape[0], (long long)h->shape[0]);
            return EINC_OK;
        }
        return lex_expected(lx, "',' or ')' in 'shape'");
    }
}

static bool descr_lookup(const char *s, size_t n, einc_dtype *dtype, bool *little) {
    static const struct {
        const char *name;
        einc_dtype dtype;
        bool little;
    } table[] = {
        {"<f4", EINC_FLOAT32, true},  {">f4", EINC_FLOAT32, false}, {"<f8", EINC_FLOAT64, true},
        {">f8", EINC_FLOAT64, false}, {"<i8", EINC_INT64, true},    {">i8", EINC_INT64, false},
        {"<i4", EINC_INT32, true},    {">i4", EINC_INT32, false},   {"|b1", EINC_BOOL, true},
        {"<b1", EINC_BOOL, true},     {">b1", EINC_BOOL, false},    {"<f2", EINC_FLOAT16, true},
        {">f2", EINC_FLOAT16, false}, {"<i2", EINC_INT16, true},    {">i2", EINC_INT16, false},
        {"|u1", EINC_UINT8, true},    {"<u1", EINC_UINT8, true},    {">u1", EINC_UINT8, false},
        {"|i1", EINC_INT8, true},     {"<i1", EINC_INT8, true},     {">i1", EINC_INT8, false},
        {"<u8", EINC_UINT64, true},   {">u8", EINC_UINT64, false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (n == 3 && memcmp(s, table[i].name, 3) == 0) {
            *dtype = table[i].dtype;
            *little = table[i].little;
            return true;
        }
    }
    return false;
}

static einc_status lex_descr(npy_lexer *lx, npy_header *h) {
    lex_space(lx);
    if (lx->i < lx->n && lx->s[lx->i] == '[')
        return lex_fail(lx, "structured dtypes are not supported ('descr' is a list of fields)");
    const char *s;
    size_t n;
    einc_status st = lex_string(lx, "a dtype string as the value of 'descr'", &s, &n);
    if (st != EINC_OK) return st;
    if (!descr_lookup(s, n, &h->dtype, &h->little)) {
        char q[192];
        lx->i -= n + 2; /* point at the opening quote */
        return lex_fail(lx,
                        "unsupported dtype '%s' (supported: <f2 <f4 <f8 <i2 <i4 <i8 |u1 |i1 |b1 and "
                        "big-endian >f2 >f4 >f8 >i2 >i4 >i8)",
                        npy_quote(q, sizeof q, s, n));
    }
    return EINC_OK;
}

/* Byte offset of the first invalid UTF-8 sequence in s[0, n), or n when there is none. Rejects
 * overlong forms, surrogates and code points above U+10FFFF, as Python's decoder does. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xbf; /* allowed range of the first continuation byte */
        if (c < 0x80) len = 1;
        else if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            unsigned b = s[i + k];
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return i;
        }
        i += len;
    }
    return n;
}

static einc_status parse_header(const npy_in *in, int major, const char *text, size_t len, npy_header *h) {
    if (len == 0) return npy_fail(in, EINC_EFORMAT, "header is empty");
    const void *nul = memchr(text, '\0', len);
    if (nul)
        return npy_fail(in, EINC_EFORMAT, "header contains a NUL byte at header offset %zu",
                        (size_t)((const char *)nul - text));
    if (major == 3) {
        size_t bad = utf8_invalid_at((const unsigned char *)text, len);
        if (bad != len)
            return npy_fail(in, EINC_EFORMAT, "version 3.0 header is not valid UTF-8 at header offset %zu", bad);
    }
    if (text[len - 1] != '\n')
        return npy_fail(in, EINC_EFORMAT, "header does not end with a newline (%zu header bytes)", len);

    npy_lexer lx = {in, text, len - 1, 0, major};
    bool seen[3] = {false, false, false};
    static const char *const keys[3] = {"descr", "fortran_order", "shape"};
    if (!lex_accept(&lx, '{')) return lex_expected(&lx, "'{' at the start of the header");
    if (!lex_accept(&lx, '}')) {
        for (;;) {
            const char *key;
            size_t klen;
            size_t key_at = lx.i;
            einc_status st = lex_string(&lx, "a quoted key", &key, &klen);
            if (st != EINC_OK) return st;
            int k = 0;
            while (k < 3 && !(strlen(keys[k]) == klen && memcmp(keys[k], key, klen) == 0)) k++;
            if (k == 3 || seen[k]) {
                char q[192];
                lx.i = key_at;
                lex_space(&lx);
                return lex_fail(&lx, "%s key '%s' (the keys are 'descr', 'fortran_order' and 'shape', each once)",
                                k == 3 ? "unknown" : "duplicate", npy_quote(q, sizeof q, key, klen));
            }
            seen[k] = true;
            if (!lex_accept(&lx, ':')) return lex_expected(&lx, "':' after a key");
            lex_space(&lx);
            if (k == 0) st = lex_descr(&lx, h);
            else if (k == 2) st = lex_shape(&lx, h);
            else if (lex_word(&lx, "True")) h->fortran = true;
            else if (lex_word(&lx, "False")) h->fortran = false;
            else st = lex_expected(&lx, "True or False as the value of 'fortran_order'");
            if (st != EINC_OK) return st;
            if (lex_accept(&lx, '}')) break;
            if (!lex_accept(&lx, ',')) return lex_expected(&lx, "',' or '}' after a value");
            if (lex_accept(&lx, '}')) break;
        }
    }
    lex_space(&lx);
    if (lx.i != lx.n) return lex_expected(&lx, "only spaces between the closing '}' and the final newline");
    for (int k = 0; k < 3; k++)
        if (!seen[k]) return npy_fail(in, EINC_EFORMAT, "header lacks the key '%s'", keys[k]);

    /* numpy's rule: the sizes, zeros counted as 1, times the item size must fit — so strides
     * stay representable even for zero-length arrays with huge other dimensions */
    char buf[512];
    int64_t span = 1, bytes;
    bool overflow = false, empty = false;
    for (int i = 0; i < h->ndim; i++) {
        empty = empty || h->shape[i] == 0;
        overflow = overflow || __builtin_mul_overflow(span, h->shape[i] > 0 ? h->shape[i] : 1, &span);
    }
    if (overflow || __builtin_mul_overflow(span, (int64_t)einc_dtype_size(h->dtype), &bytes))
        return npy_fail(in, EINC_EFORMAT,
                        "shape %s of %s is too big: its sizes (zeros counted as 1, as numpy does) times the "
                        "%zu-byte item size overflow 64 bits",
                        einc__shape_str(buf, sizeof buf, h->ndim, h->shape), einc_dtype_name(h->dtype),
                        einc_dtype_size(h->dtype));
    h->numel = empty ? 0 : span;
    bytes = h->numel * (int64_t)einc_dtype_size(h->dtype);
#if SIZE_MAX < INT64_MAX
    if ((uint64_t)bytes > SIZE_MAX)
        return npy_fail(in, EINC_EFORMAT, "shape %s of %s needs more bytes than this machine can address",
                        einc__shape_str(buf, sizeof buf, h->ndim, h->shape), einc_dtype_name(h->dtype));
#endif
    h->nbytes = (size_t)bytes;
    return EINC_OK;
}

/* ---- loading --------------------------------------------------------------------------------- */

static bool host_is_little(void) {
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static void byteswap(char *p, size_t es, int64_t n) {
    for (int64_t i = 0; i < n; i++, p += es) {
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            char tmp = p[a];
            p[a] = p[b];
            p[b] = tmp;
        }
    }
}

/* Reads the preamble; on success *major, *hlen are set and the input is at the header. */
static bool load_preamble(npy_in *in, int *major, size_t *hlen) {
    unsigned char pre[12];
    size_t got;
    if (!npy_read(in, pre, 8, &got)) return false;
    if (memcmp(pre, NPY_MAGIC, got < 6 ? got : 6) != 0) {
        npy_fail(in, EINC_EFORMAT, "bad magic: not a .npy file (it must start with \\x93NUMPY)");
        return false;
    }
    if (got < 8) {
        npy_fail(in, EINC_EFORMAT, "the %s ends after %zu bytes, inside the .npy preamble", npy_noun(in), got);
        return false;
    }
    *major = pre[6];
    if ((*major != 1 && *major != 2 && *major != 3) || pre[7] != 0) {
        npy_fail(in, EINC_EFORMAT, "unsupported format version %d.%d (supported: 1.0, 2.0, 3.0)", pre[6], pre[7]);
        return false;
    }
    size_t lenbytes = *major == 1 ? 2 : 4;
    if (!npy_read(in, pre + 8, lenbytes, &got)) return false;
    if (got < lenbytes) {
        npy_fail(in, EINC_EFORMAT, "the %s ends inside the header length", npy_noun(in));
        return false;
    }
    *hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
    if (lenbytes == 4) *hlen |= ((size_t)pre[10] << 16) | ((size_t)pre[11] << 24);
    if (*hlen > NPY_HEADER_MAX) {
        npy_fail(in, EINC_EFORMAT, "header length %zu exceeds the limit of %zu bytes", *hlen, NPY_HEADER_MAX);
        return false;
    }
    if (*hlen > npy_left(in)) {
        npy_fail(in, EINC_EFORMAT, "header length %zu runs past the end of the %s (%zu bytes follow the preamble)",
                 *hlen, npy_noun(in), npy_left(in));
        return false;
    }
    return true;
}

/* Reads and validates the header: from the buffer in place, from a file into scratch memory. */
static bool load_header(npy_in *in, int major, size_t hlen, npy_header *h) {
    if (in->mem) {
        const char *text = (const char *)in->mem + in->pos;
        in->pos += hlen;
        return parse_header(in, major, text, hlen, h) == EINC_OK;
    }
    char *text = hlen ? einc__alloc(in->ctx, hlen) : NULL;
    if (hlen && !text) return false;
    size_t got = 0;
    bool ok = npy_read(in, text, hlen, &got);
    if (ok && got < hlen) { /* a file shrinking under us */
        npy_fail(in, EINC_EFORMAT, "header length %zu runs past the end of the %s (%zu bytes follow the preamble)",
                 hlen, npy_noun(in), got);
        ok = false;
    }
    if (ok) ok = parse_header(in, major, text, hlen, h) == EINC_OK;
    einc__free(in->ctx, text, hlen);
    return ok;
}

/* Post-read checks and layout of a raw buffer in file order [file dims] -> the tensor. */
static einc_tensor *finish_load(npy_in *in, const npy_header *h, einc_tensor *raw) {
    char *p = einc__tensor_ptr(raw);
    size_t es = einc_dtype_size(h->dtype);
    if (h->dtype == EINC_BOOL) {
        for (size_t i = 0; i < h->nbytes; i++) {
            if ((unsigned char)p[i] > 1) {
                npy_fail(in, EINC_EFORMAT, "bool element %zu has byte value %d (must be 0 or 1)", i,
                         (unsigned char)p[i]);
                einc_tensor_release(raw);
                return NULL;
            }
        }
    } else if (h->little != host_is_little()) {
        byteswap(p, es, h->numel);
    }
    if (!h->fortran || h->ndim < 2) return raw;
    /* column-major: the logical tensor is the reversed-axes view of the physical buffer */
    int64_t strides[EINC_MAX_DIMS];
    int64_t s = 1;
    for (int i = 0; i < h->ndim; i++) {
        strides[i] = s;
        s *= h->shape[i] > 0 ? h->shape[i] : 1;
    }
    einc_tensor *v = einc__tensor_view_of(in->ctx, raw, h->ndim, h->shape, strides, raw->offset);
    einc_tensor_release(raw);
    return v;
}

/* A stream's data after its validated header: exactly h->nbytes, plus one byte read to detect
 * trailing bytes. The buffer grows with the bytes that arrive, so a header announcing terabytes
 * on a pipe that sends little reserves little; the reading stops at what the header says, so an
 * endless stream is cut off right after it. */
static einc_tensor *load_stream_data(npy_in *in, const npy_header *h) {
    size_t want = h->nbytes + 1, c = want < 65536 ? want : 65536, n = 0;
    unsigned char *buf = einc__alloc(in->ctx, c);
    while (buf && n < want) {
        if (n == c) {
            size_t c2 = c > want / 2 ? want : 2 * c;
            unsigned char *grown = einc__alloc(in->ctx, c2);
            if (grown) memcpy(grown, buf, n);
            einc__free(in->ctx, buf, c);
            buf = grown;
            c = c2;
            continue;
        }
        size_t got = 0;
        size_t step = c - n;
        if (!npy_read(in, buf + n, step, &got)) {
            einc__free(in->ctx, buf, c);
            return NULL;
        }
        n += got;
        if (got < step) break; /* the end of the stream */
    }
    if (!buf) return NULL;
    char shp[512];
    einc_tensor *raw = NULL;
    if (n < h->nbytes)
        npy_fail(in, EINC_EFORMAT, "data is truncated: shape %s of %s needs %zu bytes, the stream has %zu",
                 einc__shape_str(shp, sizeof shp, h->ndim, h->shape), einc_dtype_name(h->dtype), h->nbytes, n);
    else if (n > h->nbytes)
        npy_fail(in, EINC_EFORMAT, "unexpected bytes after the %zu bytes of data (the stream goes on)", h->nbytes);
    else {
        int64_t phys[EINC_MAX_DIMS];
        for (int i = 0; i < h->ndim; i++) phys[i] = h->fortran ? h->shape[h->ndim - 1 - i] : h->shape[i];
        raw = einc__tensor_new(in->ctx, h->dtype, h->ndim, phys);
        if (raw && n) memcpy(einc__tensor_ptr(raw), buf, n);
    }
    einc__free(in->ctx, buf, c);
    return raw ? finish_load(in, h, raw) : NULL;
}

static einc_tensor *npy_load(npy_in *in) {
    int major = 0;
    size_t hlen = 0;
    npy_header h;
    memset(&h, 0, sizeof h);
    if (!load_preamble(in, &major, &hlen) || !load_header(in, major, hlen, &h)) return NULL;
    char shp[512];
    if (in->stream) return load_stream_data(in, &h);
    if (npy_left(in) != h.nbytes) {
        size_t have = npy_left(in);
        if (have < h.nbytes)
            npy_fail(in, EINC_EFORMAT, "data is truncated: shape %s of %s needs %zu bytes, the %s has %zu",
                     einc__shape_str(shp, sizeof shp, h.ndim, h.shape), einc_dtype_name(h.dtype), h.nbytes,
                     npy_noun(in), have);
        else npy_fail(in, EINC_EFORMAT, "%zu unexpected bytes after the %zu bytes of data", have - h.nbytes, h.nbytes);
        return NULL;
    }
    int64_t phys[EINC_MAX_DIMS]; /* the file's dims: reversed for fortran_order */
    for (int i = 0; i < h.ndim; i++) phys[i] = h.fortran ? h.shape[h.ndim - 1 - i] : h.shape[i];
    /* a mapped file is viewed in place when its elements need no byte swap and start at a
     * multiple of the item size (the mapping itself is page-aligned); otherwise copied */
    size_t es = einc_dtype_size(h.dtype);
    if (in->map && (h.nbytes == 0 || ((es == 1 || h.little == host_is_little()) && in->pos % es == 0))) {
        int64_t strides[EINC_MAX_DIMS];
        einc__shape_contiguous_strides(h.ndim, phys, strides);
        int64_t at = h.nbytes ? (int64_t)in->pos : 0; /* an empty one at the page-aligned start */
        einc_tensor *view = einc__tensor_on_storage(in->ctx, in->map, h.dtype, h.ndim, phys, strides, at);
        return view ? finish_load(in, &h, view) : NULL;
    }
    einc_tensor *raw = einc__tensor_new(in->ctx, h.dtype, h.ndim, phys);
    if (!raw) return NULL;
    size_t got = 0;
    if (!npy_read(in, einc__tensor_ptr(raw), h.nbytes, &got)) {
        einc_tensor_release(raw);
        return NULL;
    }
    if (got < h.nbytes) { /* a file shrinking under us */
        npy_fail(in, EINC_EFORMAT, "data is truncated: shape %s of %s needs %zu bytes, the %s has %zu",
                 einc__shape_str(shp, sizeof shp, h.ndim, h.shape), einc_dtype_name(h.dtype), h.nbytes, npy_noun(in),
                 got);
        einc_tensor_release(raw);
        return NULL;
    }
    return finish_load(in, &h, raw);
}

einc_tensor *einc_npy_load_buffer(einc_ctx *ctx, const void *data, size_t size) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!data && size) {
        einc__error(ctx, EINC_EINVAL, "einc_npy_load_buffer: data is NULL but size is %zu", size);
        return NULL;
    }
    static const unsigned char empty = 0;
    npy_in in = {ctx, "einc_npy_load_buffer", NULL, data ? data : (const void *)&empty, -1, false, size, 0, NULL};
    return npy_load(&in);
}

/* The load of an open descriptor: a regular file by its size, anything else as a stream. */
static einc_tensor *load_open(npy_in *in) {
    struct stat st;
    einc_tensor *t = NULL;
    if (fstat(in->fd, &st) != 0) {
        npy_fail(in, EINC_EIO, "cannot stat: %s", strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        npy_fail(in, EINC_EIO, "is a directory");
    } else if (S_ISREG(st.st_mode)) {
        off_t at = lseek(in->fd, 0, SEEK_CUR); /* an inherited descriptor may not be at the start */
        in->size = (size_t)st.st_size - (at > 0 && at <= st.st_size ? (size_t)at : 0);
        t = npy_load(in);
    } else {
        in->stream = true;
        in->size = SIZE_MAX;
        t = npy_load(in);
    }
    return t;
}

einc_tensor *einc_npy_load(einc_ctx *ctx, const char *path) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!path) {
        einc__error(ctx, EINC_EINVAL, "einc_npy_load: path is NULL");
        return NULL;
    }
    npy_in in = {ctx, "einc_npy_load", path, NULL, -1, false, 0, 0, NULL};
    in.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (in.fd < 0) {
        npy_fail(&in, EINC_EIO, "cannot open: %s", strerror(errno));
        return NULL;
    }
    einc_tensor *t = load_open(&in);
    close(in.fd);
    return t;
}

einc_tensor *einc_npy_load_mapped(einc_ctx *ctx, const char *path) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    npy_in in = {ctx, "einc_npy_load_mapped", path, NULL, -1, false, 0, 0, NULL};
    if (!path) {
        einc__error(ctx, EINC_EINVAL, "einc_npy_load_mapped: path is NULL");
        return NULL;
    }
    einc__mapped_file m;
    if (einc__map_open(ctx, in.fname, path, &m) != EINC_OK) return NULL;
    if (m.regular) { /* validated in place, exactly as einc_npy_load_buffer does */
        in.mem = m.data;
        in.size = m.size;
        in.map = m.storage;
    } else { /* a pipe or device: nothing to map, read as einc_npy_load does */
        in.fd = m.fd;
        in.stream = true;
        in.size = SIZE_MAX;
    }
    einc_tensor *t = npy_load(&in);
    einc__map_close(ctx, &m);
    return t;
}

einc_tensor *einc_npy_load_fd(einc_ctx *ctx, int fd, const char *name) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    npy_in in = {ctx, "einc_npy_load_fd", name ? name : "<fd>", NULL, fd, false, 0, 0, NULL};
    if (fd < 0) {
        npy_fail(&in, EINC_EINVAL, "invalid file descriptor %d", fd);
        return NULL;
    }
    return load_open(&in);
}

/* ---- saving ---------------------------------------------------------------------------------- */

static const char *descr_of(einc_dtype dtype) {
    bool little = host_is_little();
    switch (dtype) {
    case EINC_FLOAT32: return little ? "<f4" : ">f4";
    case EINC_FLOAT64: return little ? "<f8" : ">f8";
    case EINC_INT64: return little ? "<i8" : ">i8";
    case EINC_INT32: return little ? "<i4" : ">i4";
    case EINC_BOOL: return "|b1";
    case EINC_FLOAT16: return little ? "<f2" : ">f2";
    case EINC_INT16: return little ? "<i2" : ">i2";
    case EINC_UINT8: return "|u1";
    case EINC_INT8: return "|i1";
    case EINC_UINT64: return little ? "<u8" : ">u8";
    case EINC_BFLOAT16: return NULL; /* NumPy has no bfloat16 */
    }
    return NULL;
}

/* EINC_OK when the .npy format has a type code for t's dtype; else EINC_EDTYPE naming it. */
static einc_status check_savable(einc_ctx *ctx, const char *fname, const einc_tensor *t) {
    if (descr_of(t->dtype)) return EINC_OK;
    return einc__error(ctx, EINC_EDTYPE,
                       "%s: dtype %s has no .npy type code (NumPy has no bfloat16); cast to float32, which holds "
                       "every bfloat16 value exactly, or save it in a safetensors file (BF16)",
                       fname, einc_dtype_name(t->dtype));
}

/* Preamble + header for a C-order array of `dtype` and `shape`, byte for byte what numpy >= 1.24
 * writes (dict in sorted key order, room for shape[0] to grow to 21 digits, spaces up to the
 * next multiple of 64 — a whole block when already aligned — and '\n'). Version 1.0 always
 * suffices. Returns the length. */
static size_t header_bytes(char out[NPY_SAVE_HEADER_CAP], einc_dtype dtype, int ndim, const int64_t *shape) {
    char shp[512];
    char *dict = out + 10;
    size_t len =
        (size_t)snprintf(dict, NPY_SAVE_HEADER_CAP - 10, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                         descr_of(dtype), einc__shape_str(shp, sizeof shp, ndim, shape));
    if (ndim > 0) {
        char first[24];
        size_t digits = (size_t)snprintf(first, sizeof first, "%lld", (long long)shape[0]);
        memset(dict + len, ' ', NPY_GROWTH_DIGITS - digits);
        len += NPY_GROWTH_DIGITS - digits;
    }
    size_t pad = NPY_ALIGN - (10 + len + 1) % NPY_ALIGN;
    memset(dict + len, ' ', pad);
    len += pad;
    dict[len++] = '\n';
    memcpy(out, NPY_MAGIC "\x01\x00", 8);
    out[8] = (char)(len & 0xff);
    out[9] = (char)(len >> 8);
    return 10 + len;
}

einc_status einc_npy_save_buffer(einc_ctx *ctx, const einc_tensor *t, void **data, size_t *size) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!data || !size) return einc__error(ctx, EINC_EINVAL, "einc_npy_save_buffer: data or size is NULL");
    *data = NULL;
    *size = 0;
    if (!t) return einc__error(ctx, EINC_EINVAL, "einc_npy_save_buffer: tensor argument 't' is NULL");
    if (check_savable(ctx, "einc_npy_save_buffer", t) != EINC_OK) return EINC_EDTYPE;
    char header[NPY_SAVE_HEADER_CAP];
    size_t hl = header_bytes(header, t->dtype, t->ndim, t->shape);
    size_t nbytes = (size_t)einc__tensor_numel(t) * einc_dtype_size(t->dtype);
    char *buf = einc__alloc(ctx, hl + nbytes);
    if (!buf) return EINC_ENOMEM;
    memcpy(buf, header, hl);
    einc_status st = einc_tensor_to_buffer(t, buf + hl, nbytes);
    if (st != EINC_OK) {
        einc__free(ctx, buf, hl + nbytes);
        return st;
    }
    *data = buf;
    *size = hl + nbytes;
    return EINC_OK;
}

void einc_buffer_free(einc_ctx *ctx, void *data, size_t size) {
    EINC__OWNED(ctx, );
    if (ctx && data) einc__free(ctx, data, size);
}

/* Writes `t` through one saver: with EINC_SAVE_STAGE in options the synced temporary is left
 * for the caller (its name in options->staged), otherwise it is renamed into place. */
static einc_status npy_write(einc_ctx *ctx, const char *path, const einc_tensor *t, const einc_save_options *options) {
    const char *fname = "einc_npy_save";
    if (!ctx) return EINC_EINVAL;
    if (!path) return einc__error(ctx, EINC_EINVAL, "%s: path is NULL", fname);
    if (!t) return einc__error(ctx, EINC_EINVAL, "%s: tensor argument 't' is NULL", fname);
    if (check_savable(ctx, fname, t) != EINC_OK) return EINC_EDTYPE;
    char header[NPY_SAVE_HEADER_CAP];
    size_t hl = header_bytes(header, t->dtype, t->ndim, t->shape);
    size_t nbytes = (size_t)einc__tensor_numel(t) * einc_dtype_size(t->dtype);
    /* a strided tensor is gathered into row-major order first (contiguous ones are written as is) */
    einc_tensor *c = NULL;
    const char *bytes = einc__tensor_ptr(t);
    if (!einc__tensor_is_contiguous(t)) {
        c = einc__tensor_new(ctx, t->dtype, t->ndim, t->shape);
        if (!c) return einc_errcode(ctx);
        einc_tensor_to_buffer(t, einc__tensor_ptr(c), nbytes);
        bytes = einc__tensor_ptr(c);
    }
    einc__saver sv;
    einc_status st = einc__save_begin(&sv, ctx, fname, path, options);
    if (st == EINC_OK) {
        st = einc__save_write(&sv, header, hl);
        if (st == EINC_OK) st = einc__save_write(&sv, bytes, nbytes);
        st = einc__save_end(&sv, st);
    }
    einc_tensor_release(c);
    return st;
}

einc_status einc_npy_save_with(einc_ctx *ctx, const char *path, const einc_tensor *t,
                               const einc_save_options *options) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (options && (options->flags & EINC_SAVE_STAGE))
        return npy_write(ctx, path, t, options); /* the caller commits through einc_save_commit */
    einc_save_options o = {0, NULL, NULL, 0};
    if (options) o = *options;
    return npy_write(ctx, path, t, &o);
}

einc_status einc_npy_save(einc_ctx *ctx, const char *path, const einc_tensor *t) {
    EINC__OWNED(ctx, EINC_EBUSY);
    return einc_npy_save_with(ctx, path, t, NULL);
}

/* A file written under its temporary name, waiting to be renamed over `path`. tmp has room for
 * a temporary next to a symlink's target (up to PATH_MAX longer than path). */
struct einc_npy_pending {
    einc_ctx *ctx;
    einc_save_options opt; /* the caller's, without EINC_SAVE_STAGE: what commit uses */
    char *path, *tmp;
    size_t path_cap, tmp_cap;
};

static void pending_free(einc_npy_pending *p) {
    einc__temp_untrack(p->tmp);
    einc__free(p->ctx, p->tmp, p->tmp_cap);
    einc__free(p->ctx, p->path, p->path_cap);
    einc__free(p->ctx, p, sizeof *p);
}

einc_npy_pending *einc_npy_save_begin_with(einc_ctx *ctx, const char *path, const einc_tensor *t,
                                           const einc_save_options *options) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!path) {
        einc__error(ctx, EINC_EINVAL, "einc_npy_save: path is NULL");
        return NULL;
    }
    einc_npy_pending *p = einc__alloc(ctx, sizeof *p);
    size_t len = strlen(path);
    if (p) {
        *p = (einc_npy_pending){ctx, {0, NULL, NULL, 0}, NULL, NULL, len + 1, len + EINC_SAVE_TEMP_EXTRA + 4096};
        if (options) p->opt = *options;
        p->opt.flags &= ~(unsigned)EINC_SAVE_STAGE;
        p->path = einc__alloc(ctx, p->path_cap);
        p->tmp = einc__alloc(ctx, p->tmp_cap);
    }
    if (!p || !p->path || !p->tmp) {
        if (p) {
            einc__free(ctx, p->tmp, p->tmp_cap);
            einc__free(ctx, p->path, p->path_cap);
            einc__free(ctx, p, sizeof *p);
        }
        return NULL;
    }
    memcpy(p->path, path, len + 1);
    p->tmp[0] = '\0';
    einc_save_options o = p->opt;
    o.flags |= EINC_SAVE_STAGE;
    o.staged = p->tmp;
    o.staged_size = p->tmp_cap;
    if (npy_write(ctx, path, t, &o) != EINC_OK) {
        pending_free(p);
        return NULL;
    }
    /* staged: the saver tracked p->tmp, removable by a signal handler until commit/abort */
    return p;
}

einc_npy_pending *einc_npy_save_begin(einc_ctx *ctx, const char *path, const einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    return einc_npy_save_begin_with(ctx, path, t, NULL);
}

einc_status einc_npy_save_commit(einc_npy_pending *p) {
    EINC__OWNED(p ? p->ctx : NULL, EINC_EBUSY);
    if (!p) return EINC_EINVAL;
    einc_status st = einc_save_commit(p->ctx, p->tmp, p->path, &p->opt);
    if (st != EINC_OK) unlink(p->tmp); /* gone already when the rename happened */
    pending_free(p);
    return st;
}

void einc_npy_save_abort(einc_npy_pending *p) {
    EINC__OWNED(p ? p->ctx : NULL, );
    if (!p) return;
    unlink(p->tmp);
    pending_free(p);
}
