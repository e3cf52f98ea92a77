/* vecmath.c — the float32 row kernels of vecmath.h: portable code (the baseline, which the
 * compiler vectorises with SSE2 on x86-64) and the dispatch to the AVX2 / AVX-512 versions
 * (vecmath_avx2.c, vecmath_avx512.c, both written once in vecmath_simd.h).
 *
 * The portable loops keep their partial results in arrays of B lanes: GCC's vectoriser takes
 * independent lane updates, while a float max or sum reduction is not vectorised without
 * -ffast-math. They give the same results as the level code up to float rounding (the level code
 * uses FMAs). */
#include "vecmath.h"

#define B 64 /* lanes of the portable loops: a few SSE2 vectors per step */

/* Elementwise max of NaN-free parts; NaN is found by its own test. */
static inline float fmax_lane(float a, float v) { return v > a ? v : a; }

static float block_max(const float *v) {
    float t[B];
    memcpy(t, v, sizeof t);
    for (int w = B / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) t[j] = fmax_lane(t[j], t[j + w]);
    return t[0];
}

static double lanes_sum(double *a) {
    for (int w = B / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) a[j] += a[j + w];
    return a[0];
}

/* The online statistics in blocks of B, as in vecmath_simd.h. e != NULL also keeps the
 * exponentials for a second pass that needs no exp: e[i] = exp(x[i] - r_i), r_i the running max
 * when i was read; r changed *nmarks times (start it at 0; at most n / 16 + 1 changes), at index
 * pos[k] by the factor fs[k] = exp(r before - r after) (0 for the first change, from r = -inf),
 * so exp(x[i] - m) = e[i] * fs[k+1] * ... * fs[nmarks-1] for i in segment k. */
static void lse_base(einc__lse_f32 *st, const float *x, int64_t n, float *e, int64_t *pos, double *fs,
                     int64_t *nmarks) {
    float r = st->r, re = r == -INFINITY ? 0.0f : r;
    double base = st->s, acc[B];
    for (int j = 0; j < B; j++) acc[j] = 0;
    for (int64_t i = 0; i < n; i += B) {
        float tail[B], t[B];
        const float *v = x + i;
        int64_t k = n - i < B ? n - i : B;
        if (k < B) {
            for (int j = 0; j < B; j++) tail[j] = -INFINITY;
            memcpy(tail, x + i, (size_t)k * sizeof(float));
            v = tail;
        }
        int above = 0;
        for (int j = 0; j < B; j++) above |= v[j] > r;
        if (above) {
            float bm = block_max(v);
            double g = 0.0; /* from r = -inf: what came before is 0 (or NaN) */
            if (r != -INFINITY) {
                g = exp((double)r - (double)bm);
                base *= g;
                for (int j = 0; j < B; j++) acc[j] *= g;
            }
            r = re = bm;
            if (e) {
                pos[*nmarks] = i;
                fs[*nmarks] = g;
                ++*nmarks;
            }
        }
        for (int j = 0; j < B; j++) t[j] = einc__k_exp_f32(v[j] - re);
        for (int j = 0; j < B; j++) acc[j] += (double)t[j];
        if (e) memcpy(e + i, t, (size_t)k * sizeof(float));
    }
    st->r = r;
    st->s = base + lanes_sum(acc);
}

static double sum_base(const float *x, int64_t n) {
    double acc[B];
    for (int j = 0; j < B; j++) acc[j] = 0;
    int64_t i = 0;
    for (; i + B <= n; i += B)
        for (int j = 0; j < B; j++) acc[j] += (double)x[i + j];
    for (int j = 0; i < n; i++, j++) acc[j] += (double)x[i];
    return lanes_sum(acc);
}

static float max_base(const float *x, int64_t n, bool is_max) {
    float a[B];
    int nan[B];
    for (int j = 0; j < B; j++) a[j] = is_max ? -INFINITY : INFINITY, nan[j] = 0;
    int64_t i = 0;
    if (is_max)
        for (; i + B <= n; i += B)
            for (int j = 0; j < B; j++) {
                float v = x[i + j];
                nan[j] |= v != v;
                a[j] = v > a[j] ? v : a[j];
            }
    else
        for (; i + B <= n; i += B)
            for (int j = 0; j < B; j++) {
                float v = x[i + j];
                nan[j] |= v != v;
                a[j] = v < a[j] ? v : a[j];
            }
    for (int j = 0; i < n; i++, j++) {
        float v = x[i];
        nan[j] |= v != v;
        a[j] = (is_max ? v > a[j] : v < a[j]) ? v : a[j];
    }
    int any = 0;
    for (int j = 0; j < B; j++) any |= nan[j];
    if (any) return NAN;
    for (int j = 1; j < B; j++) a[0] = (is_max ? a[j] > a[0] : a[j] < a[0]) ? a[j] : a[0];
    return a[0];
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

/* Returns from the dispatcher through the active level's version, when there is one. */
#if EINC_X86_LEVELS
#define LEVEL_CALL(fn, ...)                                                                                            \
    do {                                                                                                               \
        int level_ = einc__cpu_level();                                                                                \
        if (level_ >= EINC_CPU_AVX512) return fn##_avx512(__VA_ARGS__);                                                \
        if (level_ >= EINC_CPU_AVX2) return fn##_avx2(__VA_ARGS__);                                                    \
    } while (0)
#else
#define LEVEL_CALL(fn, ...) ((void)0)
#endif

void einc__vm_lse_f32(einc__lse_f32 *st, const float *x, int64_t n) {
    LEVEL_CALL(einc__vm_lse_f32, st, x, n);
    lse_base(st, x, n, NULL, NULL, NULL, NULL);
}

void einc__vm_lse_rows_f32(einc__lse_f32 *st, const float *x, int64_t xr, int64_t nrows, int64_t n) {
    LEVEL_CALL(einc__vm_lse_rows_f32, st, x, xr, nrows, n);
    for (int64_t j = 0; j < nrows; j++) {
        st[j].r = -INFINITY, st[j].s = 0.0;
        lse_base(&st[j], x + j * xr, n, NULL, NULL, NULL, NULL);
    }
}

/* y[i] = e[i] * scale[k] for i in [pos[k], pos[k+1]) (to n for the last k), 0 before pos[0]: the
 * portable softmax's second pass over the exponentials lse_base kept. */
static void scale_marks(float *y, const float *e, int64_t n, const int64_t *pos, const float *scale, int64_t nmarks) {
    for (int64_t k = -1; k < nmarks; k++) {
        int64_t a = k < 0 ? 0 : pos[k], b = k + 1 < nmarks ? pos[k + 1] : n;
        float c = k < 0 ? 0.0f : scale[k];
        for (int64_t i = a; i < b; i++) y[i] = e[i] * c;
    }
}

void einc__vm_softmax_rows_f32(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n, bool is_log,
                               bool stream) {
    LEVEL_CALL(einc__vm_softmax_rows_f32, y, yr, x, xr, nrows, n, is_log, stream);
    (void)stream; /* the portable code never streams */
    _Alignas(64) float e[EINC__VM_KEEP], scale[EINC__VM_KEEP / 16 + 1];
    double fs[EINC__VM_KEEP / 16 + 1];
    int64_t pos[EINC__VM_KEEP / 16 + 1];
    for (int64_t j = 0; j < nrows; j++) {
        int64_t nmarks = 0;
        einc__lse_f32 st = EINC__LSE_INIT;
        bool bad;
        if (is_log) {
            lse_base(&st, x + j * xr, n, NULL, NULL, NULL, NULL);
            bad = isnan(st.s) || !isfinite(st.r); /* NaN, +inf or only -inf: NaN everywhere */
            einc__vm_log_softmax_f32(y + j * yr, x + j * xr, n, bad ? NAN : st.r, bad ? NAN : (float)log(st.s), false);
            continue;
        }
        lse_base(&st, x + j * xr, n, e, pos, fs, &nmarks);
        if (isnan(st.s) || !isfinite(st.r)) {
            nmarks = 1, pos[0] = 0, scale[0] = NAN;
        } else {
            double c = 1.0 / st.s;
            for (int64_t k = nmarks - 1; k >= 0; k--) {
                scale[k] = (float)c;
                c *= fs[k];
            }
        }
        scale_marks(y + j * yr, e, n, pos, scale, nmarks);
    }
}

void einc__vm_fence(void) {
#if EINC_X86_LEVELS
    if (einc__cpu_level() >= EINC_CPU_AVX2) einc__vm_fence_avx2(); /* the portable code never streams */
#endif
}

void einc__vm_softmax_f32(float *y, const float *x, int64_t n, float m, float scale, bool stream) {
    LEVEL_CALL(einc__vm_softmax_f32, y, x, n, m, scale, stream);
    (void)stream; /* the portable code never streams */
    for (int64_t i = 0; i < n; i++) y[i] = einc__k_exp_f32(x[i] - m) * scale;
}

void einc__vm_log_softmax_f32(float *y, const float *x, int64_t n, float m, float ls, bool stream) {
    LEVEL_CALL(einc__vm_log_softmax_f32, y, x, n, m, ls, stream);
    (void)stream; /* the portable code never streams */
    for (int64_t i = 0; i < n; i++) y[i] = (x[i] - m) - ls;
}

double einc__vm_sum_f32(const float *x, int64_t n) {
    LEVEL_CALL(einc__vm_sum_f32, x, n);
    return sum_base(x, n);
}

float einc__vm_max_f32(const float *x, int64_t n) {
    LEVEL_CALL(einc__vm_max_f32, x, n);
    return max_base(x, n, true);
}

float einc__vm_min_f32(const float *x, int64_t n) {
    LEVEL_CALL(einc__vm_min_f32, x, n);
    return max_base(x, n, false);
}

void einc__vm_col_sum_f32(double *acc, const float *x, int64_t xr, int64_t nrows, int64_t n) {
    LEVEL_CALL(einc__vm_col_sum_f32, acc, x, xr, nrows, n);
    for (int64_t r = 0; r < nrows; r++)
        for (int64_t j = 0; j < n; j++) acc[j] += (double)x[r * xr + j];
}

void einc__vm_col_max_f32(float *acc, const float *x, int64_t xr, int64_t nrows, int64_t n, bool is_max) {
    LEVEL_CALL(einc__vm_col_max_f32, acc, x, xr, nrows, n, is_max);
    for (int64_t r = 0; r < nrows; r++)
        for (int64_t j = 0; j < n; j++) {
            float v = x[r * xr + j];
            acc[j] = ((is_max ? v > acc[j] : v < acc[j]) || v != v) ? v : acc[j];
        }
}

int64_t einc__vm_find_f32(const float *x, int64_t n, float v) {
    LEVEL_CALL(einc__vm_find_f32, x, n, v);
    int64_t i = 0;
    if (v != v)
        while (i < n && x[i] == x[i]) i++;
    else
        while (i < n && x[i] != v) i++;
    return i;
}

void einc__vm_col_sumexp_f32(double *s, const float *m, const float *x, int64_t xr, int64_t nrows, int64_t n) {
    LEVEL_CALL(einc__vm_col_sumexp_f32, s, m, x, xr, nrows, n);
    float t[B];
    for (int64_t r = 0; r < nrows; r++)
        for (int64_t j0 = 0; j0 < n; j0 += B) {
            int64_t k = n - j0 < B ? n - j0 : B;
            for (int64_t j = 0; j < k; j++) t[j] = einc__k_exp_f32(x[r * xr + j0 + j] - m[j0 + j]);
            for (int64_t j = 0; j < k; j++) s[j0 + j] += (double)t[j];
        }
}

void einc__vm_col_softmax_f32(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                              const float *m, const float *c, bool is_log, bool stream) {
    LEVEL_CALL(einc__vm_col_softmax_f32, y, yr, x, xr, nrows, n, m, c, is_log, stream);
    (void)stream; /* the portable code never streams */
    for (int64_t r = 0; r < nrows; r++) {
        const float *xp = x + r * xr;
        float *yp = y + r * yr;
        if (is_log)
            for (int64_t j = 0; j < n; j++) yp[j] = (xp[j] - m[j]) - c[j];
        else
            for (int64_t j = 0; j < n; j++) yp[j] = einc__k_exp_f32(xp[j] - m[j]) * c[j];
    }
}

bool einc__vm_unary_f32(einc_unary_op op, float *y, const float *x, int64_t n, bool stream) {
    LEVEL_CALL(einc__vm_unary_f32, op, y, x, n, stream);
    (void)op, (void)y, (void)x, (void)n, (void)stream;
    return false;
}

bool einc__vm_binary_f32(einc_binary_op op, float *y, const float *a, int64_t as, const float *b, int64_t bs, int64_t n,
                         bool stream) {
    LEVEL_CALL(einc__vm_binary_f32, op, y, a, as, b, bs, n, stream);
    (void)op, (void)y, (void)a, (void)as, (void)b, (void)bs, (void)n, (void)stream;
    return false;
}
