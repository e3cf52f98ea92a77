/* axes_parse.c — constraints written as text: "nh=4, dh=8, ds=(2, 2), r=(4,), b=()" (also "ds=2,2"). */
#include <stdio.h>

#include "notation.h"

static bool is_name_char(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

static const char *skip(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* Reads an optionally signed decimal integer. Returns 1 on success, 0 when no digits start at
 * *pp, -1 when the digits do not fit in int64 (*pp is left at the start in both failures). */
static int parse_int(const char **pp, int64_t *out) {
    const char *p = skip(*pp);
    bool neg = *p == '-';
    if (neg) p++;
    if (*p < '0' || *p > '9') return 0;
    int64_t v = 0;
    bool over = false;
    while (*p >= '0' && *p <= '9') {
        int d = *p++ - '0';
        /* accumulate negatively: -INT64_MIN does not fit, INT64_MIN does */
        if (!over && (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, d, &v))) over = true;
    }
    if (!over && !neg && v == INT64_MIN) over = true;
    if (over) return -1;
    *out = neg ? v : -v;
    *pp = p;
    return 1;
}

static einc_status push(einc_ctx *ctx, einc_axis *out, int cap, int *n, const char *name, int64_t value) {
    if (*n == cap) return einc__error(ctx, EINC_EVALUE, "Too many constraint values (at most %d)", cap);
    out[(*n)++] = (einc_axis){name, value};
    return EINC_OK;
}

einc_status einc_axes_parse(einc_ctx *ctx, const char *text, einc_axis *out, int cap, int *n, char *names,
                            size_t names_size) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!text || !out || !n || (!names && names_size))
        return einc__error(ctx, EINC_EINVAL, "einc_axes_parse: NULL argument");
    *n = 0;
    size_t used = 0;
    const char *p = skip(text);
    while (*p) {
        const char *start = p;
        if (!is_name_char(*p, true))
            return einc__error(ctx, EINC_EVALUE, "Invalid constraint at \"%s\": expected an axis name", start);
        while (is_name_char(*p, false)) p++;
        size_t len = (size_t)(p - start);
        p = skip(p);
        if (*p != '=') return einc__error(ctx, EINC_EVALUE, "Invalid constraint \"%s\": expected name=value", start);
        p = skip(p + 1);
        if (used + len + 1 > names_size) return einc__error(ctx, EINC_EVALUE, "Constraint names are too long");
        char *name = names + used;
        memcpy(name, start, len);
        name[len] = '\0';
        used += len + 1;
        bool paren = *p == '(';
        if (paren) p = skip(p + 1);
        /* a parenthesised value is always a tuple, "(4,)" of one value too: it starts with the
         * EINC_TUPLE entry (which alone is "()") */
        if (paren && push(ctx, out, cap, n, name, EINC_TUPLE) != EINC_OK) return ctx->status;
        if (paren && *p == ')') {
            p++;
        } else {
            for (int count = 0;; count++) {
                int64_t v;
                const char *at = p;
                int got = parse_int(&p, &v);
                if (got < 0) {
                    const char *q = skip(at);
                    const char *e = q + (*q == '-');
                    while (*e >= '0' && *e <= '9') e++;
                    return einc__error(ctx, EINC_EVALUE,
                                       "Constraint value %.*s for axis '%s' is too large: it does not fit in a "
                                       "64-bit integer",
                                       (int)(e - q) > 200 ? 200 : (int)(e - q), q, name);
                }
                if (!got) {
                    if (count > 0 && !paren) { /* "a=2, b=3": the comma ended the value */
                        p = at;
                        break;
                    }
                    const char *q = at;
                    while (*q && *q != ',' && *q != ')') q++;
                    return einc__error(ctx, EINC_EVALUE,
                                       "Values passed for axis names as constraints must have an "
                                       "integral type, but found value %.*s for axis '%s'",
                                       (int)(q - at), at, name);
                }
                if (v < -((int64_t)1 << 62))
                    return einc__error(ctx, EINC_EVALUE, "Constraint value for '%s' is out of range", name);
                if (*p && *p != ',' && *p != ')' && *p != ' ' && *p != '\t') { /* "2.5", "1e3", "4x" */
                    const char *q = at;
                    while (*q && *q != ',' && *q != ')' && *q != ' ') q++;
                    return einc__error(ctx, EINC_EVALUE,
                                       "Values passed for axis names as constraints must have an "
                                       "integral type, but found value %.*s for axis '%s'",
                                       (int)(q - at), at, name);
                }
                if (push(ctx, out, cap, n, name, v) != EINC_OK) return ctx->status;
                p = skip(p);
                if (paren && *p == ')') {
                    p++;
                    break;
                }
                if (*p != ',') {
                    if (paren) return einc__error(ctx, EINC_EVALUE, "Unclosed tuple for constraint '%s'", name);
                    break;
                }
                p = skip(p + 1);
                if (paren && *p == ')') { /* "(4,)" */
                    p++;
                    break;
                }
            }
        }
        p = skip(p);
        if (*p == ',') p = skip(p + 1);
        else if (*p && !is_name_char(*p, true)) /* a name right after "a=2, " was already split off */
            return einc__error(ctx, EINC_EVALUE, "Invalid constraint text at \"%s\"", p);
    }
    return EINC_OK;
}
