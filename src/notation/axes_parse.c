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

static bool parse_int(const char **pp, int64_t *out) {
    const char *p = skip(*pp);
    bool neg = *p == '-';
    if (neg) p++;
    if (*p < '0' || *p > '9') return false;
    int64_t v = 0;
    while (*p >= '0' && *p <= '9') {
        if (v > (INT64_MAX - 9) / 10) return false;
        v = v * 10 + (*p++ - '0');
    }
    *out = neg ? -v : v;
    *pp = p;
    return true;
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
                if (!parse_int(&p, &v)) {
                    if (count > 0 && !paren) { /* "a=2, b=3": the comma ended the value */
                        p = at;
                        break;
                    }
                    const char *q = at;
                    while (*q && *q != ',' && *q != ')') q++;
                    return einc__error(ctx, EINC_EVALUE, "Values passed for axis names as constraints must have an "
                                       "integral type, but found value %.*s for axis '%s'", (int)(q - at), at, name);
                }
                if (v < -((int64_t)1 << 62))
                    return einc__error(ctx, EINC_EVALUE, "Constraint value for '%s' is out of range", name);
                if (*p && *p != ',' && *p != ')' && *p != ' ' && *p != '\t') { /* "2.5", "1e3", "4x" */
                    const char *q = at;
                    while (*q && *q != ',' && *q != ')' && *q != ' ') q++;
                    return einc__error(ctx, EINC_EVALUE, "Values passed for axis names as constraints must have an "
                                       "integral type, but found value %.*s for axis '%s'", (int)(q - at), at, name);
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
