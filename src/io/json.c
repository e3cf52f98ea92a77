/* json.c — strict JSON tokenizer and string writer (see json.h). */
#include "json.h"

#include <string.h>

bool einc__utf8_valid(const char *s, size_t len, size_t *bad_pos) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the first continuation byte */
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;      /* overlong */
            else if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;      /* overlong */
            else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
        } else {
            *bad_pos = i;
            return false;
        }
        if (len - i <= n || u[i + 1] < lo || u[i + 1] > hi) {
            *bad_pos = i;
            return false;
        }
        for (size_t k = 2; k <= n; k++) {
            if ((u[i + k] & 0xC0) != 0x80) {
                *bad_pos = i;
                return false;
            }
        }
        i += n + 1;
    }
    return true;
}

void einc__json_init(einc__json *j, const char *text, size_t len) {
    j->begin = j->p = text;
    j->end = text + len;
    j->err = NULL;
    j->err_pos = 0;
}

bool einc__json_fail(einc__json *j, const char *what) {
    if (!j->err) {
        j->err = what;
        j->err_pos = (size_t)(j->p - j->begin);
    }
    return false;
}

static void skip_ws(einc__json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

bool einc__json_peek(einc__json *j, char c) {
    skip_ws(j);
    return j->p < j->end && *j->p == c;
}

bool einc__json_accept(einc__json *j, char c) {
    if (!einc__json_peek(j, c)) return false;
    j->p++;
    return true;
}

bool einc__json_expect(einc__json *j, char c, const char *what) {
    return einc__json_accept(j, c) || einc__json_fail(j, what);
}

bool einc__json_at_end(einc__json *j) {
    skip_ws(j);
    return j->p == j->end;
}

size_t einc__json_pos(const einc__json *j) { return (size_t)(j->p - j->begin); }

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller). */
static bool hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return false;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return true;
}

/* Reads the escape starting at p (p[0] == '\\'); returns its length in the text (0 if invalid)
 * and the code point (or, for a single-character escape, the character) in *cp. */
static size_t escape_at(const char *p, const char *end, uint32_t *cp, const char **why) {
    if (end - p < 2) {
        *why = "unterminated string";
        return 0;
    }
    switch (p[1]) {
    case '"': *cp = '"'; return 2;
    case '\\': *cp = '\\'; return 2;
    case '/': *cp = '/'; return 2;
    case 'b': *cp = '\b'; return 2;
    case 'f': *cp = '\f'; return 2;
    case 'n': *cp = '\n'; return 2;
    case 'r': *cp = '\r'; return 2;
    case 't': *cp = '\t'; return 2;
    case 'u': break;
    default: *why = "invalid escape sequence in a string"; return 0;
    }
    uint32_t hi;
    if (end - p < 6 || !hex4(p + 2, &hi)) {
        *why = "\\u must be followed by four hex digits";
        return 0;
    }
    if (hi >= 0xDC00 && hi <= 0xDFFF) {
        *why = "lone low surrogate in a \\u escape";
        return 0;
    }
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 6;
    }
    uint32_t lo;
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
        *why = "high surrogate in a \\u escape is not followed by a low surrogate";
        return 0;
    }
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return 12;
}

static size_t utf8_len(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

bool einc__json_string(einc__json *j, einc__json_str *s) {
    skip_ws(j);
    if (j->p >= j->end || *j->p != '"') return einc__json_fail(j, "expected a string");
    const char *start = ++j->p;
    size_t len = 0;
    for (;;) {
        if (j->p >= j->end) return einc__json_fail(j, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') break;
        if (c < 0x20) return einc__json_fail(j, "unescaped control character in a string");
        if (c == '\\') {
            uint32_t cp;
            const char *why = NULL;
            size_t n = escape_at(j->p, j->end, &cp, &why);
            if (!n) return einc__json_fail(j, why);
            len += n == 2 ? 1 : utf8_len(cp);
            j->p += n;
        } else {
            len++;
            j->p++;
        }
    }
    s->raw = start;
    s->raw_len = (size_t)(j->p - start);
    s->len = len;
    j->p++;
    return true;
}

static char *put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

void einc__json_decode(const einc__json_str *s, char *out) {
    const char *p = s->raw, *end = s->raw + s->raw_len;
    char *o = out;
    while (p < end) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        uint32_t cp = 0;
        const char *why = NULL;
        size_t n = escape_at(p, end, &cp, &why);
        if (!n) break; /* unreachable for a string that einc__json_string accepted */
        if (n == 2) *o++ = (char)cp;
        else o = put_utf8(o, cp);
        p += n;
    }
    *o = '\0';
}

bool einc__json_str_eq(const einc__json_str *s, const char *word) {
    size_t n = strlen(word);
    if (s->len != n) return false;
    if (s->raw_len == n) return memcmp(s->raw, word, n) == 0; /* no escapes */
    char buf[64];
    if (n >= sizeof buf) return false; /* callers compare against short keywords only */
    einc__json_decode(s, buf);
    return memcmp(buf, word, n) == 0;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool einc__json_uint(einc__json *j, uint64_t *out) {
    skip_ws(j);
    if (j->p < j->end && *j->p == '-')
        return einc__json_fail(j, "negative number where a non-negative integer is required");
    if (j->p >= j->end || !is_digit(*j->p)) return einc__json_fail(j, "expected a non-negative integer");
    if (*j->p == '0' && j->end - j->p > 1 && is_digit(j->p[1])) return einc__json_fail(j, "number with a leading zero");
    const char *start = j->p;
    uint64_t v = 0;
    bool overflow = false;
    while (j->p < j->end && is_digit(*j->p)) {
        overflow =
            overflow || __builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(*j->p - '0'), &v);
        j->p++;
    }
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
        return einc__json_fail(j, "number with a fraction or exponent where an integer is required");
    if (overflow) {
        j->p = start;
        return einc__json_fail(j, "integer larger than 2^64 - 1");
    }
    *out = v;
    return true;
}

size_t einc__json_write_string(char *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
#define PUT(ch)                                                                                                        \
    do {                                                                                                               \
        if (out) out[n] = (ch);                                                                                        \
        n++;                                                                                                           \
    } while (0)
    PUT('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc = 0;
        switch (c) {
        case '"': esc = '"'; break;
        case '\\': esc = '\\'; break;
        case '\b': esc = 'b'; break;
        case '\f': esc = 'f'; break;
        case '\n': esc = 'n'; break;
        case '\r': esc = 'r'; break;
        case '\t': esc = 't'; break;
        default: break;
        }
        if (esc) {
            PUT('\\');
            PUT(esc);
        } else if (c < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    return n;
}
