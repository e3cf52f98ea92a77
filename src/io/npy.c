/* npy.c — NumPy .npy reader and writer.
 *
 * Format (numpy.lib.format): magic "\x93NUMPY", major/minor version bytes, a header length
 * (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), then an ASCII (3.0: UTF-8) Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and a
 * newline, then the raw data. The header is parsed by a small strict tokenizer: anything
 * unexpected is EINC_EFORMAT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/internal.h"

#define NPY_HEADER_MAX (64 * 1024)

typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static bool accept(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes; copied into out (size outsz). */
static bool parse_string(cursor *c, char *out, size_t outsz) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return false;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= outsz) return false;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return false;
    c->p++;
    out[n] = '\0';
    return true;
}

static bool parse_word(cursor *c, const char *word) {
    skip_space(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return false;
    c->p += n;
    return true;
}

static bool parse_int(cursor *c, int64_t *out) {
    skip_space(c);
    int64_t v = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *c->p - '0', &v)) return false;
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long suffix */
    *out = v;
    return c->p > start;
}

typedef struct {
    einc_dtype dtype;
    bool swap;
    bool fortran;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
} npy_header;

static bool parse_descr(const char *s, einc_dtype *dtype, bool *swap) {
    static const struct { const char *name; einc_dtype dtype; bool swap; } table[] = {
        {"<f4", EINC_FLOAT32, false}, {">f4", EINC_FLOAT32, true}, {"<f8", EINC_FLOAT64, false},
        {">f8", EINC_FLOAT64, true},  {"<i8", EINC_INT64, false},  {">i8", EINC_INT64, true},
        {"<i4", EINC_INT32, false},   {">i4", EINC_INT32, true},   {"|b1", EINC_BOOL, false},
        {"<b1", EINC_BOOL, false},    {">b1", EINC_BOOL, false},   {"=b1", EINC_BOOL, false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(s, table[i].name) == 0) {
            *dtype = table[i].dtype;
            *swap = table[i].swap;
            return true;
        }
    }
    return false;
}

static einc_status header_error(einc_ctx *ctx, const char *what) {
    return einc__error(ctx, EINC_EFORMAT, "npy: malformed header: %s", what);
}

static einc_status parse_header(einc_ctx *ctx, const char *text, size_t len, npy_header *h) {
    cursor c = {text, text + len};
    bool have_descr = false, have_fortran = false, have_shape = false;
    if (!accept(&c, '{')) return header_error(ctx, "expected '{' at the start of the header dict");
    for (;;) {
        if (accept(&c, '}')) break;
        char key[32];
        if (!parse_string(&c, key, sizeof key)) return header_error(ctx, "expected a quoted key");
        if (!accept(&c, ':')) return header_error(ctx, "expected ':' after a key");
        if (strcmp(key, "descr") == 0) {
            char descr[32];
            if (have_descr) return header_error(ctx, "duplicate key 'descr'");
            if (!parse_string(&c, descr, sizeof descr)) return header_error(ctx, "'descr' must be a dtype string");
            if (!parse_descr(descr, &h->dtype, &h->swap))
                return einc__error(ctx, EINC_EFORMAT, "npy: unsupported dtype '%s' (supported: <f4 <f8 <i8 <i4 |b1 "
                                                      "and big-endian >f4 >f8 >i8 >i4)", descr);
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_fortran) return header_error(ctx, "duplicate key 'fortran_order'");
            if (parse_word(&c, "True")) h->fortran = true;
            else if (parse_word(&c, "False")) h->fortran = false;
            else return header_error(ctx, "'fortran_order' must be True or False");
            have_fortran = true;
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape) return header_error(ctx, "duplicate key 'shape'");
            if (!accept(&c, '(')) return header_error(ctx, "'shape' must be a tuple");
            h->ndim = 0;
            while (!accept(&c, ')')) {
                if (h->ndim >= EINC_MAX_DIMS)
                    return einc__error(ctx, EINC_EFORMAT, "npy: shape has more than %d dimensions", EINC_MAX_DIMS);
                if (!parse_int(&c, &h->shape[h->ndim])) return header_error(ctx, "shape entries must be non-negative integers");
                h->ndim++;
                if (!accept(&c, ',')) {
                    if (!accept(&c, ')')) return header_error(ctx, "expected ',' or ')' in shape");
                    if (h->ndim == 1) return header_error(ctx, "a 1-d shape must be written (n,)");
                    break;
                }
            }
            have_shape = true;
        } else {
            return einc__error(ctx, EINC_EFORMAT, "npy: malformed header: unexpected key '%s'", key);
        }
        if (!accept(&c, ',')) {
            if (!accept(&c, '}')) return header_error(ctx, "expected ',' or '}' after a value");
            break;
        }
    }
    skip_space(&c);
    if (c.p != c.end) return header_error(ctx, "unexpected text after the header dict");
    if (!have_descr || !have_fortran || !have_shape)
        return einc__error(ctx, EINC_EFORMAT, "npy: header lacks the key '%s'",
                           !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
    return EINC_OK;
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

einc_tensor *einc_npy_load_buffer(einc_ctx *ctx, const void *data, size_t size) {
    if (!ctx) return NULL;
    const unsigned char *b = data;
    if (!b && size) {
        einc__error(ctx, EINC_EINVAL, "einc_npy_load_buffer: data is NULL");
        return NULL;
    }
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        einc__error(ctx, EINC_EFORMAT, "npy: not a .npy file (missing the \\x93NUMPY magic)");
        return NULL;
    }
    int major = b[6], minor = b[7];
    size_t hlen, hstart;
    if (major == 1 && minor == 0) {
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
        hstart = 10;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (size < 12) {
            einc__error(ctx, EINC_EFORMAT, "npy: file ends inside the header length");
            return NULL;
        }
        hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
        hstart = 12;
    } else {
        einc__error(ctx, EINC_EFORMAT, "npy: unsupported format version %d.%d (supported: 1.0, 2.0, 3.0)", major, minor);
        return NULL;
    }
    if (hlen > NPY_HEADER_MAX) {
        einc__error(ctx, EINC_EFORMAT, "npy: header length %zu exceeds the limit of %d bytes", hlen, NPY_HEADER_MAX);
        return NULL;
    }
    if (hlen > size - hstart) {
        einc__error(ctx, EINC_EFORMAT, "npy: header length %zu runs past the end of the file (%zu bytes)", hlen, size);
        return NULL;
    }
    const char *text = (const char *)b + hstart;
    for (size_t i = 0; i < hlen; i++) {
        if (text[i] == '\0') {
            einc__error(ctx, EINC_EFORMAT, "npy: header contains a NUL byte");
            return NULL;
        }
    }
    npy_header h;
    memset(&h, 0, sizeof h);
    if (parse_header(ctx, text, hlen, &h) != EINC_OK) return NULL;
    int64_t numel;
    if (!einc__shape_check(ctx, "npy", h.dtype, h.ndim, h.shape, &numel)) return NULL;
    size_t es = einc_dtype_size(h.dtype);
    size_t nbytes = (size_t)numel * es;
    size_t avail = size - hstart - hlen;
    if (avail < nbytes) {
        einc__error(ctx, EINC_EFORMAT, "npy: data is truncated: shape needs %zu bytes, file has %zu", nbytes, avail);
        return NULL;
    }
    if (avail > nbytes) {
        einc__error(ctx, EINC_EFORMAT, "npy: %zu unexpected bytes after the data", avail - nbytes);
        return NULL;
    }
    /* the file's bytes become a contiguous buffer of the physical (file) layout */
    int64_t phys[EINC_MAX_DIMS];
    for (int i = 0; i < h.ndim; i++) phys[i] = h.fortran ? h.shape[h.ndim - 1 - i] : h.shape[i];
    einc_tensor *raw = einc__tensor_new(ctx, h.dtype, h.ndim, phys);
    if (!raw) return NULL;
    if (nbytes) memcpy(einc__tensor_ptr(raw), text + hlen, nbytes);
    if (h.swap) byteswap(einc__tensor_ptr(raw), es, numel);
    if (h.dtype == EINC_BOOL) {
        char *p = einc__tensor_ptr(raw);
        for (int64_t i = 0; i < numel; i++) {
            if ((unsigned char)p[i] > 1) {
                einc__error(ctx, EINC_EFORMAT, "npy: bool element %lld has byte value %d (must be 0 or 1)",
                            (long long)i, (unsigned char)p[i]);
                einc_tensor_release(raw);
                return NULL;
            }
        }
    }
    if (!h.fortran || h.ndim < 2) return raw;
    /* column-major: the logical tensor is the reversed-axes view of the physical buffer */
    int64_t strides[EINC_MAX_DIMS];
    int64_t s = 1;
    for (int i = 0; i < h.ndim; i++) {
        strides[i] = s;
        s *= h.shape[i] > 0 ? h.shape[i] : 1;
    }
    einc_tensor *v = einc__tensor_view_of(ctx, raw, h.ndim, h.shape, strides, raw->offset);
    einc_tensor_release(raw);
    return v;
}

einc_tensor *einc_npy_load(einc_ctx *ctx, const char *path) {
    if (!ctx) return NULL;
    if (!path) {
        einc__error(ctx, EINC_EINVAL, "einc_npy_load: path is NULL");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        einc__error(ctx, EINC_EIO, "npy: cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    einc_tensor *t = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        einc__error(ctx, EINC_EIO, "npy: cannot determine the size of '%s'", path);
        fclose(f);
        return NULL;
    }
    size_t size = (size_t)len;
    char *buf = size ? einc__alloc(ctx, size) : NULL;
    if (size && !buf) {
        fclose(f);
        return NULL;
    }
    if (size && fread(buf, 1, size, f) != size) {
        einc__error(ctx, EINC_EIO, "npy: cannot read '%s'", path);
    } else {
        t = einc_npy_load_buffer(ctx, buf, size);
    }
    einc__free(ctx, buf, size);
    fclose(f);
    return t;
}

static const char *descr_of(einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: return "<f4";
    case EINC_FLOAT64: return "<f8";
    case EINC_INT64: return "<i8";
    case EINC_INT32: return "<i4";
    case EINC_BOOL: return "|b1";
    }
    return "?";
}

einc_status einc_npy_save_buffer(einc_ctx *ctx, const einc_tensor *t, void **data, size_t *size) {
    if (!ctx) return EINC_EINVAL;
    if (!t || !data || !size) return einc__error(ctx, EINC_EINVAL, "einc_npy_save_buffer: NULL argument");
    *data = NULL;
    *size = 0;
    char dict[1024];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr_of(t->dtype));
    for (int i = 0; i < t->ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", t->ndim == 1 ? "," : "");
    /* total header (magic + version + length + dict + padding + '\n') is a multiple of 64 */
    size_t pre = 10, dlen = (size_t)n;
    size_t total = (pre + dlen + 1 + 63) / 64 * 64;
    if (total - pre > 65535) { pre = 12; total = (pre + dlen + 1 + 63) / 64 * 64; }
    size_t nbytes = (size_t)einc__tensor_numel(t) * einc_dtype_size(t->dtype);
    size_t fsize = total + nbytes;
    char *buf = einc__alloc(ctx, fsize);
    if (!buf) return ctx->status;
    memcpy(buf, "\x93NUMPY", 6);
    size_t hlen = total - pre;
    buf[6] = pre == 10 ? 1 : 2;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)((hlen >> 8) & 0xff);
    if (pre == 12) {
        buf[10] = (char)((hlen >> 16) & 0xff);
        buf[11] = (char)((hlen >> 24) & 0xff);
    }
    memcpy(buf + pre, dict, dlen);
    memset(buf + pre + dlen, ' ', total - pre - dlen - 1);
    buf[total - 1] = '\n';
    einc_status st = einc_tensor_to_buffer(t, buf + total, nbytes);
    if (st != EINC_OK) {
        einc__free(ctx, buf, fsize);
        return st;
    }
    *data = buf;
    *size = fsize;
    return EINC_OK;
}

void einc_buffer_free(einc_ctx *ctx, void *data, size_t size) {
    if (ctx && data) einc__free(ctx, data, size);
}

einc_status einc_npy_save(einc_ctx *ctx, const char *path, const einc_tensor *t) {
    if (!ctx) return EINC_EINVAL;
    if (!path) return einc__error(ctx, EINC_EINVAL, "einc_npy_save: path is NULL");
    void *buf;
    size_t size;
    einc_status st = einc_npy_save_buffer(ctx, t, &buf, &size);
    if (st != EINC_OK) return st;
    size_t plen = strlen(path);
    char *tmp = einc__alloc(ctx, plen + 16);
    if (!tmp) {
        einc__free(ctx, buf, size);
        return ctx->status;
    }
    snprintf(tmp, plen + 16, "%s.tmp%05d", path, (int)(einc__rng_bits((uint64_t)(uintptr_t)buf, plen) % 100000));
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = einc__error(ctx, EINC_EIO, "npy: cannot create '%s': %s", tmp, strerror(errno));
    } else {
        bool ok = fwrite(buf, 1, size, f) == size;
        ok = (fclose(f) == 0) && ok;
        if (!ok) st = einc__error(ctx, EINC_EIO, "npy: cannot write '%s'", path);
        else if (rename(tmp, path) != 0) st = einc__error(ctx, EINC_EIO, "npy: cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        if (st != EINC_OK) remove(tmp);
    }
    einc__free(ctx, tmp, plen + 16);
    einc__free(ctx, buf, size);
    return st;
}
