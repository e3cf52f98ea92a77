/* axes_parse.c — constraints written as text: "nh=4, dh=8, ds=(2, 2), b=()" (also "ds=2,2"). */
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

einc_status einc_axes_parse(einc_ctx *ctx, const char *text, einc_axis *out, int cap, int *n, char *names,
                            size_t names_size) {
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
        if (*n == cap) return einc__error(ctx, EINC_EVALUE, "Too many constraints (at most %d)", cap);
        if (used + len + 1 > names_size) return einc__error(ctx, EINC_EVALUE, "Constraint names are too long");
        einc_axis *a = &out[*n];
        memset(a, 0, sizeof *a);
        memcpy(names + used, start, len);
        names[used + len] = '\0';
        a->name = names + used;
        used += len + 1;
        if (*p == '(') {
            p = skip(p + 1);
            if (*p == ')') {
                a->ntuple = -1;
                p++;
            } else {
                for (;;) {
                    int64_t v;
                    if (a->ntuple == EINC_MAX_DIMS || !parse_int(&p, &v))
                        return einc__error(ctx, EINC_EVALUE, "Invalid tuple for constraint '%s' in \"%s\"", a->name, text);
                    a->tuple[a->ntuple++] = v;
                    p = skip(p);
                    if (*p == ',') p = skip(p + 1);
                    if (*p == ')') {
                        p++;
                        break;
                    }
                }
            }
        } else {
            int64_t v;
            if (!parse_int(&p, &v)) {
                const char *q = p;
                while (*q && *q != ',') q++;
                return einc__error(ctx, EINC_EVALUE, "Values passed for axis names as constraints must have an "
                                   "integral type, but found value %.*s for '%s'", (int)(q - p), p, a->name);
            }
            a->value = v;
            /* "ds=2,2": bare numbers after the value continue a tuple */
            for (;;) {
                const char *q = skip(p);
                if (*q != ',') break;
                const char *r = skip(q + 1);
                int64_t w;
                const char *r2 = r;
                if (!parse_int(&r2, &w)) break;
                const char *after = skip(r2);
                if (*after == '=') break; /* (never: names do not start with digits) */
                if (a->ntuple == 0) {
                    a->ntuple = 1;
                    a->tuple[0] = a->value;
                }
                if (a->ntuple == EINC_MAX_DIMS)
                    return einc__error(ctx, EINC_EVALUE, "Too many values for constraint '%s'", a->name);
                a->tuple[a->ntuple++] = w;
                p = r2;
            }
        }
        (*n)++;
        p = skip(p);
        if (*p == ',') p = skip(p + 1);
        else if (*p) return einc__error(ctx, EINC_EVALUE, "Invalid constraint text at \"%s\"", p);
    }
    return EINC_OK;
}
