/* print.c — NumPy's repr of a tensor: einc_tensor_print and einc_tensor_format.
 *
 * This reproduces numpy 1.24's array_repr with the default print options (precision 8,
 * floatmode 'maxprec', linewidth 75, threshold 1000, edgeitems 3), step for step:
 *   - the element formatter is chosen from the elements that are shown (all of them, or the
 *     three leading and trailing items of every long axis when numel > 1000), as NumPy's
 *     FloatingFormat / IntegerFormat / BoolFormat do;
 *   - floats take NumPy's Dragon4 digits: the shortest digits that read back as the same value
 *     (of the tensor's own precision), cut off at 8 fractional digits (positional) or 8 digits
 *     after the first (scientific), padded so that decimal points align;
 *   - the nesting, wrapping and blank lines follow _formatArray and _extendLine.
 * The output is streamed into a sink (a caller buffer or a FILE), so nothing is allocated.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define LINE_WIDTH 75 /* numpy's default linewidth                                */
#define SUMMARY_THRESHOLD 1000
#define EDGE_ITEMS 3
#define PRECISION 8        /* numpy's default precision                                */
#define ELEM_MAX 64        /* longest element text (int64: 20, floats: about 20)       */
#define LINE_MAX_CHARS 192 /* a line never exceeds max(width, indent + element) + 2    */
#define REPR_PREFIX "array("
#define REPR_PREFIX_LEN 6

/* ---- output sink --------------------------------------------------------------------------- */

typedef struct {
    char *buf; /* einc_tensor_format: caller buffer of `size` bytes (may be NULL when 0)     */
    size_t size;
    FILE *file; /* einc_tensor_print: the stream, written through `chunk`                   */
    char chunk[1024];
    size_t nchunk;
    int64_t len; /* characters produced so far                                          */
    int64_t col; /* characters since the last newline                                   */
    bool failed; /* a write to `file` failed                                           */
} sink;

static void sink_flush(sink *s) {
    if (s->file && s->nchunk > 0) {
        if (fwrite(s->chunk, 1, s->nchunk, s->file) != s->nchunk) s->failed = true;
        s->nchunk = 0;
    }
}

static void sink_write(sink *s, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (s->file) {
            if (s->nchunk == sizeof s->chunk) sink_flush(s);
            s->chunk[s->nchunk++] = c;
        } else if ((uint64_t)s->len + 1 < (uint64_t)s->size) {
            s->buf[s->len] = c;
        }
        s->len++;
        s->col = c == '\n' ? 0 : s->col + 1;
    }
}

static void sink_puts(sink *s, const char *str) { sink_write(s, str, strlen(str)); }

static void sink_spaces(sink *s, int n) {
    for (int i = 0; i < n; i++) sink_write(s, " ", 1);
}

/* ---- decimal digits of floats (NumPy's Dragon4 in 'unique' mode) --------------------------- */

/* The exact decimal expansion of a positive finite double: digits d[0..n) without trailing
 * zeros, value = d[0].d[1]d[2]... x 10^exp10. A double has at most 767 significant digits. */
typedef struct {
    char d[800];
    int n;
    int exp10;
} decimal;

/* Parses the output of "%.Ne" (any decimal-point character, so the C locale is not needed). */
static void parse_sci(const char *s, decimal *out) {
    int n = 0;
    for (; *s && *s != 'e' && *s != 'E'; s++)
        if (*s >= '0' && *s <= '9' && n < (int)sizeof out->d) out->d[n++] = *s;
    int e = 0;
    if (*s) e = atoi(s + 1);
    while (n > 1 && out->d[n - 1] == '0') n--;
    out->n = n;
    out->exp10 = e;
}

static void exact_decimal(double ax, decimal *out) {
    int k;
    double f = frexp(ax, &k);
    uint64_t m = (uint64_t)ldexp(f, 53);
    int e = k - 53;
    while (m && !(m & 1)) {
        m >>= 1;
        e++;
    }
    /* m * 2^e has at most digits(m) + e*log10(2) (e >= 0) or digits(m) + (-e)*log10(5) (e < 0)
     * significant digits: print that many and the expansion is exact (glibc prints exactly). */
    int bits = 64 - __builtin_clzll(m ? m : 1);
    int sig = (int)(bits * 0.30103) + 2 + (e < 0 ? (int)(-e * 0.69898) + 1 : (int)(e * 0.30103) + 1);
    char buf[900];
    snprintf(buf, sizeof buf, "%.*e", sig, ax);
    parse_sci(buf, out);
}

/* True when the decimal digits[0..n) x 10^(exp10 - n + 1) reads back (round to nearest even)
 * as ax in the tensor's precision: exactly Dragon4's test that the digits lie inside the
 * rounding interval of ax, boundaries included when the significand is even. */
static bool reads_back(const char *digits, int n, int exp10, einc_dtype ft, double ax) {
    char buf[96];
    if (n > 60) return false;
    memcpy(buf, digits, (size_t)n);
    snprintf(buf + n, sizeof buf - (size_t)n, "e%d", exp10 - n + 1);
    if (ft == EINC_FLOAT32) return strtof(buf, NULL) == (float)ax;
    if (ft == EINC_FLOAT16) return einc__f16_from_f64(strtod(buf, NULL)) == einc__f16_from_f64(ax);
    if (ft == EINC_BFLOAT16) return einc__bf16_from_f64(strtod(buf, NULL)) == einc__bf16_from_f64(ax);
    return strtod(buf, NULL) == ax;
}

/* digits[0..n) + 1 in the last place; an all-nines string becomes "1" one decade up. */
static int increment(char *digits, int n, int *exp10) {
    int i = n - 1;
    while (i >= 0 && digits[i] == '9') i--;
    if (i < 0) {
        digits[0] = '1';
        (*exp10)++;
        return 1;
    }
    digits[i]++;
    return i + 1;
}

/* Where Dragon4 must stop: at most / at least this many digits, counted from the first. */
typedef struct {
    bool fractional; /* limits are places after the decimal point (else total digits)      */
    int max;         /* cutoff (>= 0)                                                       */
    int min;         /* minimum; -1 for none                                                */
} cutoff;

/* Dragon4's digit loop: the first p >= min digits for which the truncated value or the value
 * one unit up in the last place reads back as ax, or max digits; the last digit is then the
 * one that reads back (the nearer one, ties to even, when both or neither do). Writes the
 * digits without trailing zeros; returns their count. */
static int float_digits(double ax, einc_dtype ft, cutoff c, char *out, int *exp10) {
    if (ax == 0.0) {
        out[0] = '0';
        *exp10 = 0;
        return 1;
    }
    decimal s;
    exact_decimal(ax, &s);
    int e = s.exp10;
    int pmax = c.fractional ? e + c.max + 1 : c.max;
    int pmin = c.min < 0 ? 1 : (c.fractional ? e + c.min + 1 : c.min);
    if (pmax < 1) pmax = 1; /* unreachable: positional output only holds values >= 1e-4 */
    if (pmax > 40) pmax = 40;
    if (pmin < 1) pmin = 1;
    if (pmin > pmax) pmin = pmax;
    char t[48], up[48];
    for (int p = 1;; p++) {
        for (int i = 0; i < p; i++) t[i] = i < s.n ? s.d[i] : '0';
        bool exact = p >= s.n; /* the remainder after p digits is zero */
        int eup = e;
        memcpy(up, t, (size_t)p);
        int nup = increment(up, p, &eup);
        bool low = exact || reads_back(t, p, e, ft, ax);
        bool high = !exact && reads_back(up, nup, eup, ft, ax);
        if (!((low || high) && p >= pmin) && p < pmax) continue;
        bool round_down = low;
        if (low == high) {
            if (exact) round_down = true;
            else if (s.d[p] != '5') round_down = s.d[p] < '5';
            else if (p + 1 < s.n) round_down = false; /* more than half */
            else round_down = (t[p - 1] - '0') % 2 == 0;
        }
        int n = p;
        if (round_down) {
            memcpy(out, t, (size_t)p);
            *exp10 = e;
        } else {
            memcpy(out, up, (size_t)nup);
            n = nup;
            *exp10 = eup;
        }
        while (n > 1 && out[n - 1] == '0') n--;
        return n;
    }
}

/* FormatPositional with trim '.': digits padded with zeros up to the decimal point, the
 * fraction right-padded with spaces to pad_right digits and the whole left-padded with spaces
 * to pad_left characters (sign included). pad_* < 0: no padding. Returns the length. */
static int positional_text(char *buf, bool neg, const char *d, int n, int e, int pad_left, int pad_right) {
    char body[ELEM_MAX];
    int len = 0, whole, frac = 0;
    if (neg) body[len++] = '-';
    if (e >= 0) {
        whole = e + 1;
        for (int i = 0; i < whole; i++) body[len++] = i < n ? d[i] : '0';
        body[len++] = '.';
        for (int i = whole; i < n; i++, frac++) body[len++] = d[i];
    } else {
        whole = 1;
        body[len++] = '0';
        body[len++] = '.';
        for (int i = 0; i < -(e + 1); i++, frac++) body[len++] = '0';
        for (int i = 0; i < n; i++, frac++) body[len++] = d[i];
    }
    for (int i = frac; i < pad_right; i++) body[len++] = ' ';
    int shift = pad_left - (whole + (neg ? 1 : 0));
    if (shift < 0) shift = 0;
    memset(buf, ' ', (size_t)shift);
    memcpy(buf + shift, body, (size_t)len);
    return shift + len;
}

/* FormatScientific: d.ddd (fraction zero-padded to min_frac digits), 'e', sign, exponent with
 * at least exp_digits digits (2 when < 0); left-padded to pad_left characters before '.'. */
static int scientific_text(char *buf, bool neg, const char *d, int n, int e, int pad_left, int min_frac,
                           int exp_digits) {
    int len = 0;
    int lead = 1 + (neg ? 1 : 0);
    for (int i = lead; i < pad_left; i++) buf[len++] = ' ';
    if (neg) buf[len++] = '-';
    buf[len++] = d[0];
    buf[len++] = '.';
    for (int i = 1; i < n; i++) buf[len++] = d[i];
    for (int i = n - 1; i < min_frac; i++) buf[len++] = '0';
    char ebuf[16];
    int ae = e < 0 ? -e : e;
    int ew = snprintf(ebuf, sizeof ebuf, "%0*d", exp_digits < 0 ? 2 : exp_digits, ae);
    buf[len++] = 'e';
    buf[len++] = e < 0 ? '-' : '+';
    memcpy(buf + len, ebuf, (size_t)ew);
    return len + ew;
}

/* ---- element formats (NumPy's FloatingFormat, IntegerFormat, BoolFormat) ------------------- */

typedef struct {
    einc_dtype dtype;
    bool zero_d;
    int int_width; /* integers: printf width                                              */
    bool exp;      /* floats: scientific notation                                         */
    int pad_left;  /* floats: characters before the decimal point                         */
    int pad_right; /* floats: characters after it                                         */
    int precision; /* scientific: fraction digits of every element                        */
    int exp_size;  /* scientific: exponent digits                                         */
} elem_format;

typedef struct {
    const einc_tensor *t;
    elem_format f;
    bool summary; /* numel > threshold: only edge items are shown                       */
    int64_t esize;
    sink *out;
} printer;

static double load_float(const char *p, einc_dtype dtype) { return einc__load_f64(p, dtype); }

static int64_t load_int(const char *p, einc_dtype dtype) { return einc__load_i64(p, dtype); }

/* Calls fn on every element that the printed text shows (the edges of long axes when
 * summarising), in row-major order. */
typedef void (*visit_fn)(void *acc, const char *p, einc_dtype dtype);

static void visit_shown(const printer *pr, int axis, const char *p, visit_fn fn, void *acc) {
    const einc_tensor *t = pr->t;
    if (axis == t->ndim) {
        fn(acc, p, t->dtype);
        return;
    }
    int64_t n = t->shape[axis], step = t->strides[axis] * pr->esize;
    bool summ = pr->summary && n > 2 * EDGE_ITEMS;
    for (int64_t i = 0; i < n; i++) {
        if (summ && i == EDGE_ITEMS) i = n - EDGE_ITEMS;
        visit_shown(pr, axis + 1, p + i * step, fn, acc);
    }
}

typedef struct {
    bool any;
    int64_t lo, hi;
    uint64_t uhi; /* uint64: the largest value (load_int reads its bits as int64) */
} int_stats;

static uint64_t load_uint64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void int_stats_add(void *acc, const char *p, einc_dtype dtype) {
    int_stats *s = acc;
    int64_t v = load_int(p, dtype);
    if (!s->any || v < s->lo) s->lo = v;
    if (!s->any || v > s->hi) s->hi = v;
    if (dtype == EINC_UINT64 && load_uint64(p) > s->uhi) s->uhi = load_uint64(p);
    s->any = true;
}

typedef struct {
    bool any_nonzero, any_nonfinite, any_neginf;
    double lo, hi; /* min / max of |x| over finite nonzero x                           */
    bool exp;      /* pass 2: scientific notation chosen                               */
    bool any_finite;
    int int_len, frac_len, exp_len; /* pass 2: widest parts of the unpadded texts       */
} float_stats;

static void float_range_add(void *acc, const char *p, einc_dtype dtype) {
    float_stats *s = acc;
    double v = load_float(p, dtype);
    if (!isfinite(v)) {
        s->any_nonfinite = true;
        if (isinf(v) && v < 0) s->any_neginf = true;
        return;
    }
    s->any_finite = true;
    if (v == 0.0) return;
    double a = fabs(v);
    if (!s->any_nonzero || a < s->lo) s->lo = a;
    if (!s->any_nonzero || a > s->hi) s->hi = a;
    s->any_nonzero = true;
}

/* NumPy formats every finite element once without padding to learn the widths. */
static void float_width_add(void *acc, const char *p, einc_dtype dtype) {
    float_stats *s = acc;
    double v = load_float(p, dtype);
    if (!isfinite(v)) return;
    bool neg = signbit(v) != 0;
    char d[48];
    int e, n;
    if (s->exp) {
        n = float_digits(fabs(v), dtype, (cutoff){false, PRECISION + 1, -1}, d, &e);
        int elen = (e <= -100 || e >= 100) ? 3 : 2;
        if (1 + neg > s->int_len) s->int_len = 1 + neg;
        if (n - 1 > s->frac_len) s->frac_len = n - 1;
        if (elen > s->exp_len) s->exp_len = elen;
    } else {
        n = float_digits(fabs(v), dtype, (cutoff){true, PRECISION, -1}, d, &e);
        int whole = e >= 0 ? e + 1 : 1;
        int frac = e >= 0 ? (n > whole ? n - whole : 0) : -(e + 1) + n;
        if (whole + neg > s->int_len) s->int_len = whole + neg;
        if (frac > s->frac_len) s->frac_len = frac;
    }
}

static void make_format(printer *pr) {
    const einc_tensor *t = pr->t;
    elem_format *f = &pr->f;
    memset(f, 0, sizeof *f);
    f->dtype = t->dtype;
    f->zero_d = t->ndim == 0;
    if (einc__dtype_kind(t->dtype) == 1) {
        int_stats s = {false, 0, 0, 0};
        visit_shown(pr, 0, einc__tensor_ptr(t), int_stats_add, &s);
        char a[32], b[32];
        int la = snprintf(a, sizeof a, "%lld", (long long)s.lo), lb = snprintf(b, sizeof b, "%lld", (long long)s.hi);
        if (t->dtype == EINC_UINT64) la = 0, lb = snprintf(b, sizeof b, "%llu", (unsigned long long)s.uhi);
        f->int_width = la > lb ? la : lb;
        return;
    }
    if (einc__dtype_kind(t->dtype) != 2) return;
    float_stats s;
    memset(&s, 0, sizeof s);
    visit_shown(pr, 0, einc__tensor_ptr(t), float_range_add, &s);
    if (s.any_nonzero) {
        /* numpy divides the float32 extremes in float32 (overflowing to inf is fine) */
        double ratio = t->dtype == EINC_FLOAT32 ? (double)(float)((float)s.hi / (float)s.lo) : s.hi / s.lo;
        if (einc__dtype_is_half(t->dtype)) { /* and the float16 ones in float16 */
            char r[2];
            einc__store_f64(r, t->dtype, ratio);
            ratio = einc__load_f64(r, t->dtype);
        }
        s.exp = s.hi >= 1.0e8 || s.lo < 0.0001 || ratio > 1000.0;
    }
    f->exp = s.exp;
    if (s.any_finite) visit_shown(pr, 0, einc__tensor_ptr(t), float_width_add, &s);
    if (!s.any_finite) {
        f->pad_left = 0;
        f->pad_right = 0;
    } else if (s.exp) {
        f->exp_size = s.exp_len;
        f->precision = s.frac_len;
        f->pad_left = s.int_len;
        f->pad_right = f->exp_size + 2 + f->precision;
    } else {
        f->pad_left = s.int_len;
        f->pad_right = s.frac_len;
    }
    if (s.any_nonfinite) {
        int offset = f->pad_right + 1;
        int inflen = 3 + (s.any_neginf ? 1 : 0);
        if (3 - offset > f->pad_left) f->pad_left = 3 - offset;
        if (inflen - offset > f->pad_left) f->pad_left = inflen - offset;
    }
}

/* Text of the element at p; returns its length (< ELEM_MAX). */
static int format_elem(const elem_format *f, const char *p, char *buf) {
    switch (f->dtype) {
    case EINC_BOOL:
        if (*p) {
            memcpy(buf, f->zero_d ? "True" : " True", f->zero_d ? 4 : 5);
            return f->zero_d ? 4 : 5;
        }
        memcpy(buf, "False", 5);
        return 5;
    case EINC_UINT8:
    case EINC_INT8:
    case EINC_INT16:
    case EINC_INT32:
    case EINC_INT64: return snprintf(buf, ELEM_MAX, "%*lld", f->int_width, (long long)load_int(p, f->dtype));
    case EINC_UINT64: return snprintf(buf, ELEM_MAX, "%*llu", f->int_width, (unsigned long long)load_uint64(p));
    case EINC_FLOAT16:
    case EINC_BFLOAT16:
    case EINC_FLOAT32:
    case EINC_FLOAT64: {
        double v = load_float(p, f->dtype);
        if (!isfinite(v)) {
            const char *word = isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf");
            int wl = (int)strlen(word), pad = f->pad_left + f->pad_right + 1 - wl;
            if (pad < 0) pad = 0;
            memset(buf, ' ', (size_t)pad);
            memcpy(buf + pad, word, (size_t)wl);
            return pad + wl;
        }
        bool neg = signbit(v) != 0;
        char d[48];
        int e, n;
        if (f->exp) {
            n = float_digits(fabs(v), f->dtype, (cutoff){false, f->precision + 1, f->precision + 1}, d, &e);
            return scientific_text(buf, neg, d, n, e, f->pad_left, f->precision, f->exp_size);
        }
        n = float_digits(fabs(v), f->dtype, (cutoff){true, PRECISION, 0}, d, &e);
        return positional_text(buf, neg, d, n, e, f->pad_left, f->pad_right);
    }
    }
    return 0;
}

/* ---- layout (NumPy's _formatArray) --------------------------------------------------------- */

typedef struct {
    char text[LINE_MAX_CHARS];
    int len;
    int hang;   /* the hanging indent every line starts with                              */
    bool first; /* the first line: its indent is replaced by the brackets already written */
} line_state;

static void line_emit(sink *out, const line_state *ln, bool rstrip) {
    int start = ln->first ? ln->hang : 0, end = ln->len;
    if (rstrip)
        while (end > start && ln->text[end - 1] == ' ') end--;
    if (end > start) sink_write(out, ln->text + start, (size_t)(end - start));
}

/* _extendLine: wrap before `word` when it would pass `width`, unless the line holds nothing
 * but its indent (wrapping would not help then). */
static void line_extend(sink *out, line_state *ln, const char *word, int wlen, int width) {
    if (ln->len + wlen > width && ln->len > ln->hang) {
        line_emit(out, ln, true);
        sink_write(out, "\n", 1);
        memset(ln->text, ' ', (size_t)ln->hang);
        ln->len = ln->hang;
        ln->first = false;
    }
    memcpy(ln->text + ln->len, word, (size_t)wlen);
    ln->len += wlen;
}

/* One bracketed block for axis `axis` at p. `hang`: indent of continuation lines (the column
 * of the first element); `width`: the line width left at this depth. */
static void format_block(const printer *pr, int axis, const char *p, int hang, int width) {
    const einc_tensor *t = pr->t;
    sink *out = pr->out;
    int64_t n = t->shape[axis], step = t->strides[axis] * pr->esize;
    bool summ = pr->summary && n > 2 * EDGE_ITEMS;
    sink_write(out, "[", 1);
    if (axis == t->ndim - 1) {
        line_state ln;
        memset(ln.text, ' ', (size_t)hang);
        ln.len = hang;
        ln.hang = hang;
        ln.first = true;
        int elem_width = width - 1; /* room for the ',' or ']' that follows */
        char word[ELEM_MAX];
        for (int64_t i = 0; i < n; i++) {
            if (summ && i == EDGE_ITEMS) {
                line_extend(out, &ln, "...", 3, elem_width);
                memcpy(ln.text + ln.len, ", ", 2);
                ln.len += 2;
                i = n - EDGE_ITEMS;
            }
            int wl = format_elem(&pr->f, p + i * step, word);
            line_extend(out, &ln, word, wl, elem_width);
            if (i + 1 < n) {
                memcpy(ln.text + ln.len, ", ", 2);
                ln.len += 2;
            }
        }
        line_emit(out, &ln, false);
    } else {
        int newlines = t->ndim - axis - 1; /* blank lines between blocks of ndim >= 3 */
        for (int64_t i = 0; i < n; i++) {
            if (i > 0) sink_spaces(out, hang);
            if (summ && i == EDGE_ITEMS) {
                sink_write(out, "...,", 4);
                for (int k = 0; k < newlines; k++) sink_write(out, "\n", 1);
                sink_spaces(out, hang);
                i = n - EDGE_ITEMS;
            }
            format_block(pr, axis + 1, p + i * step, hang + 1, width - 1);
            if (i + 1 < n) {
                sink_write(out, ",", 1);
                for (int k = 0; k < newlines; k++) sink_write(out, "\n", 1);
            }
        }
    }
    sink_write(out, "]", 1);
}

static bool dtype_is_implied(einc_dtype dtype) {
    return dtype == EINC_FLOAT64 || dtype == EINC_INT64 || dtype == EINC_BOOL;
}

static void format_repr(const einc_tensor *t, sink *out) {
    printer pr;
    memset(&pr, 0, sizeof pr);
    pr.t = t;
    pr.out = out;
    pr.esize = (int64_t)einc_dtype_size(t->dtype);
    int64_t numel = einc__tensor_numel(t);
    pr.summary = numel > SUMMARY_THRESHOLD;
    bool skip_dtype = dtype_is_implied(t->dtype) && numel > 0;
    sink_puts(out, REPR_PREFIX);
    if (numel == 0) {
        if (t->ndim == 1) {
            sink_puts(out, "[]");
        } else {
            char shape[EINC_MAX_DIMS * 24 + 8];
            sink_puts(out, "[], shape=");
            sink_puts(out, einc__shape_str(shape, sizeof shape, t->ndim, t->shape));
        }
    } else {
        make_format(&pr);
        if (t->ndim == 0) {
            char word[ELEM_MAX];
            int wl = format_elem(&pr.f, einc__tensor_ptr(t), word);
            sink_write(out, word, (size_t)wl);
        } else {
            /* array2string is given linewidth 75 minus the one-character suffix; continuation
             * lines are indented past "array([" */
            format_block(&pr, 0, einc__tensor_ptr(t), REPR_PREFIX_LEN + 1, LINE_WIDTH - 1);
        }
    }
    if (skip_dtype) {
        sink_puts(out, ")");
        return;
    }
    char dtype_str[32];
    int dl = snprintf(dtype_str, sizeof dtype_str, "dtype=%s)", einc_dtype_name(t->dtype));
    sink_puts(out, ",");
    if (out->col + dl + 1 > LINE_WIDTH) {
        sink_puts(out, "\n");
        sink_spaces(out, REPR_PREFIX_LEN);
    } else {
        sink_puts(out, " ");
    }
    sink_puts(out, dtype_str);
}

/* ---- public -------------------------------------------------------------------------------- */

int64_t einc_tensor_format(const einc_tensor *t, char *buf, size_t size) {
    if (!t) return -1;
    if (!buf && size > 0) {
        einc__error(t->ctx, EINC_EINVAL, "einc_tensor_format: buf is NULL but size is %zu", size);
        return -1;
    }
    sink s;
    memset(&s, 0, sizeof s);
    s.buf = buf;
    s.size = size;
    format_repr(t, &s);
    if (size > 0) buf[(uint64_t)s.len < (uint64_t)size ? (size_t)s.len : size - 1] = '\0';
    return s.len;
}

einc_status einc_tensor_print(const einc_tensor *t, FILE *out) {
    if (!t) return EINC_EINVAL;
    if (!out) return einc__error(t->ctx, EINC_EINVAL, "einc_tensor_print: stream is NULL");
    sink s;
    memset(&s, 0, sizeof s);
    s.file = out;
    format_repr(t, &s);
    sink_puts(&s, "\n");
    sink_flush(&s);
    if (s.failed) return einc__error(t->ctx, EINC_EIO, "einc_tensor_print: writing to the stream failed");
    return EINC_OK;
}
