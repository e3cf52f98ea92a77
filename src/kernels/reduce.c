/* reduce.c — reductions over a set of axes: iteration geometry, the kernel and its _ref twin.
 *
 * Every input dtype is brought to one of two canonical element types before the arithmetic:
 * double (float sums, means, variances, extrema of floats, logsumexp, nonzero tests) or int64
 * (sums, products and extrema of integers and bools, exact; uint64 as its bits, the top bit
 * flipped for the extrema). Runs of up to EINC__REDUCE_CHUNK
 * elements are converted into a stack buffer (float64 / int64 unit-stride runs are used in place),
 * so the arithmetic loops below are plain unit-stride loops over one type that the compiler
 * vectorises, and only the loaders are typed.
 *
 * One reduction = one or two passes over its block (var/std: sum then squared deviations from
 * the mean; logsumexp: max then sum of exp(x - max)). A pass either walks one output's block
 * run by run (row mode) or, when the kept dimension is the contiguous one, walks the block
 * position by position updating a chunk of neighbouring outputs at once (column mode).
 */
#include <math.h>

#include "half.h"
#include "reduce.h"

#define CH EINC__REDUCE_CHUNK

/* ---- geometry ------------------------------------------------------------------------------ */

/* Sort key: broadcast (stride 0) dimensions count as the least contiguous. */
static int64_t stride_key(int64_t s) { return s == 0 ? INT64_MAX : (s < 0 ? -s : s); }

/* Merges neighbours i-1, i whose strides allow it (in x, and in y when ys != NULL). */
static int coalesce(int n, int64_t *shape, int64_t *xs, int64_t *ys) {
    int out = 0;
    for (int i = 0; i < n; i++) {
        if (out > 0 && xs[out - 1] == xs[i] * shape[i] && (!ys || ys[out - 1] == ys[i] * shape[i])) {
            shape[out - 1] *= shape[i];
            xs[out - 1] = xs[i];
            if (ys) ys[out - 1] = ys[i];
        } else {
            shape[out] = shape[i];
            xs[out] = xs[i];
            if (ys) ys[out] = ys[i];
            out++;
        }
    }
    return out;
}

void einc__reduce_geom_init(einc__reduce_geom *g, const einc__view *x, const einc__view *y, uint32_t mask, bool y_full,
                            bool keep_order) {
    memset(g, 0, sizeof *g);
    bool empty_out = false, empty_red = false;
    for (int d = 0; d < x->ndim; d++) {
        int64_t n = x->shape[d];
        if (mask & (1u << d)) {
            if (n == 0) empty_red = true;
            if (n <= 1) continue;
            g->rshape[g->nr] = n;
            g->rxs[g->nr] = x->strides[d];
            g->rys[g->nr] = y_full ? y->strides[d] : 0;
            g->nr++;
        } else {
            if (n == 0) empty_out = true;
            if (n <= 1) continue;
            g->kshape[g->nk] = n;
            g->kxs[g->nk] = x->strides[d];
            g->kys[g->nk] = y->strides[d];
            g->nk++;
        }
    }
    if (empty_out) { /* nothing to compute; the reduced sizes' product may not even fit */
        g->nr = g->nk = 0;
        return;
    }
    if (!keep_order) {
        /* Stable insertion sort, least contiguous first, so the innermost loop has the smallest
         * stride; then flip negative strides so runs go forward (order changes only rounding). */
        for (int i = 1; i < g->nr; i++) {
            for (int j = i; j > 0 && stride_key(g->rxs[j - 1]) < stride_key(g->rxs[j]); j--) {
                int64_t t;
                t = g->rshape[j], g->rshape[j] = g->rshape[j - 1], g->rshape[j - 1] = t;
                t = g->rxs[j], g->rxs[j] = g->rxs[j - 1], g->rxs[j - 1] = t;
                t = g->rys[j], g->rys[j] = g->rys[j - 1], g->rys[j - 1] = t;
            }
        }
        for (int i = 0; i < g->nr; i++) {
            if (g->rxs[i] >= 0) continue;
            g->xoff += (g->rshape[i] - 1) * g->rxs[i];
            g->rxs[i] = -g->rxs[i];
            g->yoff += (g->rshape[i] - 1) * g->rys[i];
            g->rys[i] = -g->rys[i];
        }
    }
    g->nr = coalesce(g->nr, g->rshape, g->rxs, y_full ? g->rys : NULL);
    g->nk = coalesce(g->nk, g->kshape, g->kxs, g->kys);
    g->nout = 1;
    for (int i = 0; i < g->nk; i++) g->nout *= g->kshape[i];
    g->nred = empty_red ? 0 : 1;
    if (empty_red) g->nr = 0;
    for (int i = 0; i < g->nr; i++) g->nred *= g->rshape[i];

    /* Column mode when some kept dimension is more contiguous than every reduced one and long
     * enough to fill vector lanes; it becomes the last kept dimension. */
    if (g->nr == 0 || g->nk == 0 || g->nout == 0) return;
    int v = -1;
    for (int i = 0; i < g->nk; i++)
        if (g->kxs[i] != 0 && (v < 0 || stride_key(g->kxs[i]) < stride_key(g->kxs[v]))) v = i;
    if (v < 0 || g->kshape[v] < 8) return;
    for (int i = 0; i < g->nr; i++)
        if (stride_key(g->rxs[i]) <= stride_key(g->kxs[v])) return;
    int64_t n = g->kshape[v], xs = g->kxs[v], ys = g->kys[v];
    for (int i = v; i < g->nk - 1; i++) {
        g->kshape[i] = g->kshape[i + 1];
        g->kxs[i] = g->kxs[i + 1];
        g->kys[i] = g->kys[i + 1];
    }
    if (xs < 0) { /* walk the outputs forward in x */
        g->xoff += (n - 1) * xs;
        g->yoff += (n - 1) * ys;
        xs = -xs;
        ys = -ys;
    }
    g->kshape[g->nk - 1] = n;
    g->kxs[g->nk - 1] = xs;
    g->kys[g->nk - 1] = ys;
    g->column = true;
}

/* ---- loaders: one typed loop per source dtype ------------------------------------------------- */

#define DEFINE_LOAD(name, T, U)                                                                                        \
    static void name(U *dst, const char *p, int64_t s, int64_t n) {                                                    \
        const T *x = (const T *)(const void *)p;                                                                       \
        if (s == 1)                                                                                                    \
            for (int64_t i = 0; i < n; i++) dst[i] = (U)x[i];                                                          \
        else                                                                                                           \
            for (int64_t i = 0; i < n; i++) dst[i] = (U)x[i * s];                                                      \
    }
DEFINE_LOAD(load_f32_f64, float, double)
DEFINE_LOAD(load_f64_f64, double, double)
DEFINE_LOAD(load_i64_f64, int64_t, double)
DEFINE_LOAD(load_i32_f64, int32_t, double)
DEFINE_LOAD(load_u8_f64, uint8_t, double)
DEFINE_LOAD(load_u64_f64, uint64_t, double)
DEFINE_LOAD(load_i64_i64, int64_t, int64_t)
DEFINE_LOAD(load_i32_i64, int32_t, int64_t)
DEFINE_LOAD(load_u8_i64, uint8_t, int64_t)
#undef DEFINE_LOAD

void einc__reduce_load_f64(double *dst, const char *p, einc_dtype dtype, int64_t stride, int64_t n) {
    switch (dtype) {
    case EINC_FLOAT32: load_f32_f64(dst, p, stride, n); return;
    case EINC_FLOAT64: load_f64_f64(dst, p, stride, n); return;
    case EINC_INT64: load_i64_f64(dst, p, stride, n); return;
    case EINC_INT32: load_i32_f64(dst, p, stride, n); return;
    case EINC_BOOL: load_u8_f64(dst, p, stride, n); return; /* bools are stored as 0 / 1 */
    case EINC_UINT64: load_u64_f64(dst, p, stride, n); return;
    case EINC_FLOAT16: { /* widened to float32 in chunks (F16C at level AVX2 and up), then to double */
        const uint16_t *x = (const uint16_t *)(const void *)p;
        float buf[256];
        for (int64_t i = 0; i < n; i += 256) {
            int64_t m = n - i < 256 ? n - i : 256;
            einc__k_f32_from_f16(buf, x + i * stride, stride, m);
            for (int64_t k = 0; k < m; k++) dst[i + k] = (double)buf[k];
        }
        return;
    }
    case EINC_BFLOAT16: { /* a shift: the compiler vectorises this loop better than two passes would run */
        const uint16_t *x = (const uint16_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) dst[i] = (double)einc__bf16_to_f32(x[i * stride]);
        return;
    }
    default: { /* uint8, int8, int16: exact in double */
        int64_t es = (int64_t)einc_dtype_size(dtype);
        for (int64_t i = 0; i < n; i++) dst[i] = einc__load_f64(p + i * stride * es, dtype);
        return;
    }
    }
}

static void load_i64(int64_t *dst, const char *p, einc_dtype dtype, int64_t stride, int64_t n) {
    switch (dtype) {
    case EINC_INT64:
    case EINC_UINT64: load_i64_i64(dst, p, stride, n); return; /* the bits */
    case EINC_INT32: load_i32_i64(dst, p, stride, n); return;
    case EINC_BOOL: load_u8_i64(dst, p, stride, n); return;
    case EINC_FLOAT32:
    case EINC_FLOAT64: return; /* integer passes never see floats */
    default: {                 /* uint8, int8, int16 */
        int64_t es = (int64_t)einc_dtype_size(dtype);
        for (int64_t i = 0; i < n; i++) dst[i] = einc__load_i64(p + i * stride * es, dtype);
        return;
    }
    }
}

/* n <= CH elements as doubles: in place when already unit-stride float64, else via buf. */
static const double *run_f64(double *buf, const char *p, einc_dtype dtype, int64_t s, int64_t n) {
    if (dtype == EINC_FLOAT64 && s == 1) return (const double *)(const void *)p;
    einc__reduce_load_f64(buf, p, dtype, s, n);
    return buf;
}

/* uint64 extrema compare in int64 with the top bit flipped (x ^ 2^63 orders as the unsigned value
 * does), and finish flips it back; sums and products need no flip (modulo 2^64 the bits agree). */
static int64_t flip_top(int64_t v) { return (int64_t)((uint64_t)v ^ (UINT64_C(1) << 63)); }

static bool flips(einc_dtype dtype, bool extremum) { return dtype == EINC_UINT64 && extremum; }

static const int64_t *run_i64(int64_t *buf, const char *p, einc_dtype dtype, int64_t s, int64_t n, bool extremum) {
    if (dtype == EINC_INT64 && s == 1) return (const int64_t *)(const void *)p;
    load_i64(buf, p, dtype, s, n);
    if (flips(dtype, extremum))
        for (int64_t i = 0; i < n; i++) buf[i] = flip_top(buf[i]);
    return buf;
}

/* ---- passes -------------------------------------------------------------------------------- */

typedef enum {
    P_NONE,
    P_SUM,      /* f += x                          */
    P_SQDEV,    /* f += (x - c)^2, c = mean        */
    P_SUMEXP,   /* f += exp(x - c), c = max        */
    P_SUMEXP32, /* the same with float32 exponentials, for float32 inputs */
    P_PROD,     /* f *= x                          */
    P_MAX,      /* f = max(f, x), NaN sticky       */
    P_MIN,
    P_ARGMAX, /* f = best value, best = its flat index; first wins, first NaN wins */
    P_ARGMIN,
    P_NZ,    /* i += x != 0                     */
    P_ISUM,  /* u += x (mod 2^64)               */
    P_IPROD, /* u *= x (mod 2^64)               */
    P_IMAX,  /* i = max(i, x)                   */
    P_IMIN,
    P_IARGMAX, /* i = best value, best = its flat index */
    P_IARGMIN
} pass_kind;

static bool pass_is_int(pass_kind k) { return k >= P_ISUM; }

static bool pass_is_int_extremum(pass_kind k) { return k >= P_IMAX; }

/* The state of one output's reduction. */
typedef struct {
    double f;     /* float passes: running sum / product / extremum / best value    */
    double c;     /* constant of the second pass: the mean (var/std), the max (lse) */
    uint64_t u;   /* P_ISUM, P_IPROD                                                 */
    int64_t i;    /* P_NZ count; P_IMAX..P_IARGMIN running extremum                  */
    int64_t best; /* arg passes: flat index of the best element so far              */
} acc1;

static void acc1_init(acc1 *a, pass_kind k) {
    a->f = k == P_PROD ? 1.0 : k == P_MAX || k == P_ARGMAX ? -INFINITY : k == P_MIN || k == P_ARGMIN ? INFINITY : 0.0;
    a->u = k == P_IPROD ? 1u : 0u;
    a->i = k == P_IMAX || k == P_IARGMAX ? INT64_MIN : k == P_IMIN || k == P_IARGMIN ? INT64_MAX : 0;
    a->best = 0;
}

/* The passes of `op` on input dtype `dt`. */
static void plan_op(einc_reduce_op op, einc_dtype dt, pass_kind *p1, pass_kind *p2) {
    bool fl = (einc__dtype_kind(dt) == 2);
    *p2 = P_NONE;
    switch (op) {
    case EINC_REDUCE_SUM: *p1 = fl ? P_SUM : P_ISUM; return;
    case EINC_REDUCE_MEAN: *p1 = P_SUM; return;
    case EINC_REDUCE_VAR:
    case EINC_REDUCE_STD: *p1 = P_SUM, *p2 = P_SQDEV; return;
    case EINC_REDUCE_PROD: *p1 = fl ? P_PROD : P_IPROD; return;
    case EINC_REDUCE_MAX: *p1 = fl ? P_MAX : P_IMAX; return;
    case EINC_REDUCE_MIN: *p1 = fl ? P_MIN : P_IMIN; return;
    case EINC_REDUCE_ARGMAX: *p1 = fl ? P_ARGMAX : P_IARGMAX; return;
    case EINC_REDUCE_ARGMIN: *p1 = fl ? P_ARGMIN : P_IARGMIN; return;
    case EINC_REDUCE_ANY:
    case EINC_REDUCE_ALL:
    case EINC_REDUCE_COUNT_NONZERO: *p1 = P_NZ; return;
    case EINC_REDUCE_LOGSUMEXP: *p1 = P_MAX, *p2 = dt == EINC_FLOAT32 ? P_SUMEXP32 : P_SUMEXP; return;
    }
    *p1 = P_NONE;
}

/* The second pass's constant from the first pass's result. */
static double second_const(einc_reduce_op op, double f1, int64_t n) {
    return op == EINC_REDUCE_LOGSUMEXP ? f1 : f1 / (double)n;
}

static void store_i64(char *p, einc_dtype dt, int64_t v) {
    switch (dt) {
    case EINC_INT64: memcpy(p, &v, 8); return;
    case EINC_INT32: {
        int32_t w = (int32_t)v;
        memcpy(p, &w, 4);
        return;
    }
    case EINC_BOOL: *p = (char)(v != 0); return;
    case EINC_FLOAT32:
    case EINC_FLOAT64: einc__store_f64(p, dt, (double)v); return;
    default: einc__store_i64(p, dt, v); return; /* max, min of uint8, int8, int16; uint64: the bits */
    }
}

/* Writes the result of `op` from its final state; n = elements reduced. */
static void finish(einc_reduce_op op, bool fl, const acc1 *a, int64_t n, char *yp, einc_dtype ydt) {
    double dn = (double)n;
    switch (op) {
    case EINC_REDUCE_SUM:
    case EINC_REDUCE_PROD:
        if (fl) einc__store_f64(yp, ydt, a->f);
        else store_i64(yp, ydt, (int64_t)a->u);
        return;
    case EINC_REDUCE_MEAN:
    case EINC_REDUCE_VAR: einc__store_f64(yp, ydt, a->f / dn); return;
    case EINC_REDUCE_STD: einc__store_f64(yp, ydt, sqrt(a->f / dn)); return;
    case EINC_REDUCE_MAX:
    case EINC_REDUCE_MIN:
        if (fl) einc__store_f64(yp, ydt, a->f);
        else store_i64(yp, ydt, flips(ydt, true) ? flip_top(a->i) : a->i);
        return;
    case EINC_REDUCE_ARGMAX:
    case EINC_REDUCE_ARGMIN: store_i64(yp, ydt, a->best); return;
    case EINC_REDUCE_ANY: store_i64(yp, ydt, a->i > 0); return;
    case EINC_REDUCE_ALL: store_i64(yp, ydt, a->i == n); return;
    case EINC_REDUCE_COUNT_NONZERO: store_i64(yp, ydt, a->i); return;
    case EINC_REDUCE_LOGSUMEXP:
        /* a non-finite max is the answer: NaN, +inf, or -inf for all -inf (and for nothing) */
        einc__store_f64(yp, ydt, isfinite(a->c) ? a->c + log(a->f) : a->c);
        return;
    }
}

/* ---- row mode: one output, its block walked run by run ----------------------------------------- */

/* Pairwise sum (NumPy's scheme): 8 partial sums over runs of up to 128, halves above. */
static double run_sum(const double *v, int64_t n) {
    if (n > 128) {
        int64_t h = (n / 2) & ~(int64_t)7;
        return run_sum(v, h) + run_sum(v + h, n - h);
    }
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) a[j] += v[i + j];
    double s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for (; i < n; i++) s += v[i];
    return s;
}

/* NaN-propagating max/min: `x != x` makes a NaN win and stay. The partial results live in an
 * array of LANES so that GCC's loop vectoriser takes the lane updates (a smaller array is
 * unrolled into scalars instead, and max reductions are not vectorised without -ffast-math). */
#define LANES 32

static double run_max(const double *v, int64_t n, double m) {
    double a[LANES];
    for (int j = 0; j < LANES; j++) a[j] = m;
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) {
            double x = v[i + j];
            a[j] = (x > a[j] || x != x) ? x : a[j];
        }
    for (; i < n; i++) a[0] = (v[i] > a[0] || v[i] != v[i]) ? v[i] : a[0];
    for (int j = 1; j < LANES; j++) a[0] = (a[j] > a[0] || a[j] != a[j]) ? a[j] : a[0];
    return a[0];
}

static double run_min(const double *v, int64_t n, double m) {
    double a[LANES];
    for (int j = 0; j < LANES; j++) a[j] = m;
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) {
            double x = v[i + j];
            a[j] = (x < a[j] || x != x) ? x : a[j];
        }
    for (; i < n; i++) a[0] = (v[i] < a[0] || v[i] != v[i]) ? v[i] : a[0];
    for (int j = 1; j < LANES; j++) a[0] = (a[j] < a[0] || a[j] != a[j]) ? a[j] : a[0];
    return a[0];
}

/* Folds n canonical elements, the first of which has flat index `pos`, into a. */
static void row_update(acc1 *a, pass_kind k, const double *v, const int64_t *w, int64_t n, int64_t pos, double *tmp) {
    switch (k) {
    case P_SUM: a->f += run_sum(v, n); return;
    case P_SQDEV:
        for (int64_t i = 0; i < n; i++) tmp[i] = (v[i] - a->c) * (v[i] - a->c);
        a->f += run_sum(tmp, n);
        return;
    case P_SUMEXP:
        for (int64_t i = 0; i < n; i++) tmp[i] = exp(v[i] - a->c);
        a->f += run_sum(tmp, n);
        return;
    case P_SUMEXP32: {
        float c = (float)a->c; /* exact: the max of float32 values */
        for (int64_t i = 0; i < n; i++) tmp[i] = (double)einc__k_exp_f32((float)v[i] - c);
        a->f += run_sum(tmp, n);
        return;
    }
    case P_PROD:
        for (int64_t i = 0; i < n; i++) a->f *= v[i];
        return;
    case P_MAX: a->f = run_max(v, n, a->f); return;
    case P_MIN: a->f = run_min(v, n, a->f); return;
    case P_ARGMAX: /* strict >: the first of equal values wins; the first NaN wins and stays */
        for (int64_t i = 0; i < n; i++)
            if (v[i] > a->f || (v[i] != v[i] && a->f == a->f)) a->f = v[i], a->best = pos + i;
        return;
    case P_ARGMIN:
        for (int64_t i = 0; i < n; i++)
            if (v[i] < a->f || (v[i] != v[i] && a->f == a->f)) a->f = v[i], a->best = pos + i;
        return;
    case P_NZ: {
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++) c += v[i] != 0.0;
        a->i += c;
        return;
    }
    case P_ISUM:
        for (int64_t i = 0; i < n; i++) a->u += (uint64_t)w[i];
        return;
    case P_IPROD:
        for (int64_t i = 0; i < n; i++) a->u *= (uint64_t)w[i];
        return;
    case P_IMAX:
        for (int64_t i = 0; i < n; i++) a->i = w[i] > a->i ? w[i] : a->i;
        return;
    case P_IMIN:
        for (int64_t i = 0; i < n; i++) a->i = w[i] < a->i ? w[i] : a->i;
        return;
    case P_IARGMAX:
        for (int64_t i = 0; i < n; i++)
            if (w[i] > a->i) a->i = w[i], a->best = pos + i;
        return;
    case P_IARGMIN:
        for (int64_t i = 0; i < n; i++)
            if (w[i] < a->i) a->i = w[i], a->best = pos + i;
        return;
    case P_NONE: return;
    }
}

/* Steps p to the next run of the block (the odometer over all but the innermost reduced dim). */
static const char *next_run(const einc__reduce_geom *g, const char *p, int64_t es, int64_t *idx) {
    for (int d = g->nr - 2; d >= 0; d--) {
        p += g->rxs[d] * es;
        if (++idx[d] < g->rshape[d]) return p;
        p -= g->rxs[d] * g->rshape[d] * es;
        idx[d] = 0;
    }
    return p;
}

/* float32 sum / max / min over unit-stride runs: the vector row kernels read the floats in place
 * (float64 accumulators for the sum), no conversion buffer. */
static bool row_pass_f32(const einc__reduce_geom *g, const char *xp, pass_kind k, acc1 *a) {
    int64_t inner = g->nr ? g->rshape[g->nr - 1] : 1, is = g->nr ? g->rxs[g->nr - 1] : 1;
    if (is != 1 || (k != P_SUM && k != P_MAX && k != P_MIN)) return false;
    int64_t idx[EINC_MAX_DIMS] = {0};
    const char *p = xp;
    for (int64_t seg = g->nred / inner; seg > 0; seg--, p = next_run(g, p, 4, idx)) {
        const float *q = (const float *)(const void *)p;
        if (k == P_SUM) {
            a->f += einc__vm_sum_f32(q, inner);
        } else {
            double v = k == P_MAX ? einc__vm_max_f32(q, inner) : einc__vm_min_f32(q, inner);
            bool better = k == P_MAX ? v > a->f : v < a->f;
            a->f = (better || v != v) ? v : a->f;
        }
    }
    return true;
}

/* float32 argmax / argmin of one contiguous run: the vector max / min (NaN if any element is NaN),
 * then the first element equal to it (or the first NaN), read again from L1. The same index as
 * row_update's strict comparison: the first of equal values (-0.0 == +0.0), the first NaN. */
static bool row_arg_f32(const einc__reduce_geom *g, const char *xp, pass_kind k, acc1 *a) {
    if (g->nr != 1 || g->rxs[0] != 1 || (k != P_ARGMAX && k != P_ARGMIN)) return false;
    const float *q = (const float *)(const void *)xp;
    int64_t n = g->rshape[0];
    float v = k == P_ARGMAX ? einc__vm_max_f32(q, n) : einc__vm_min_f32(q, n);
    a->best = einc__vm_find_f32(q, n, v);
    a->f = v;
    return true;
}

/* One pass of kind k over the block at xp. */
static void row_pass(const einc__reduce_geom *g, const char *xp, einc_dtype dt, pass_kind k, acc1 *a) {
    if (g->nred == 0) return;
    if (dt == EINC_FLOAT32 && (row_pass_f32(g, xp, k, a) || row_arg_f32(g, xp, k, a))) return;
    double fbuf[CH], tmp[CH];
    int64_t ibuf[CH];
    int64_t es = (int64_t)einc_dtype_size(dt);
    int64_t inner = g->nr ? g->rshape[g->nr - 1] : 1, is = g->nr ? g->rxs[g->nr - 1] : 1;
    int64_t idx[EINC_MAX_DIMS] = {0};
    int64_t pos = 0;
    const char *p = xp;
    for (int64_t seg = g->nred / inner; seg > 0; seg--) {
        for (int64_t i0 = 0; i0 < inner; i0 += CH) {
            int64_t m = inner - i0 < CH ? inner - i0 : CH;
            const char *q = p + i0 * is * es;
            if (pass_is_int(k))
                row_update(a, k, NULL, run_i64(ibuf, q, dt, is, m, pass_is_int_extremum(k)), m, pos, tmp);
            else row_update(a, k, run_f64(fbuf, q, dt, is, m), NULL, m, pos, tmp);
            pos += m;
        }
        p = next_run(g, p, es, idx);
    }
}

/* logsumexp of a float32 block in one pass: the online max and sum (einc__vm_lse_f32), strided
 * runs gathered into a stack buffer. s is NaN for a NaN and also for +inf ((+inf) - (+inf)), so a
 * NaN sum with an infinite max looks for a NaN before answering +inf. */
static double lse_block_f32(const einc__reduce_geom *g, const char *xp) {
    int64_t inner = g->nr ? g->rshape[g->nr - 1] : 1, is = g->nr ? g->rxs[g->nr - 1] : 1;
    int64_t idx[EINC_MAX_DIMS] = {0};
    float buf[CH];
    einc__lse_f32 st = EINC__LSE_INIT;
    const char *p = xp;
    for (int pass = 0; pass < 2; pass++) {
        float mx = -INFINITY;
        for (int64_t seg = g->nred / inner; seg > 0; seg--, p = next_run(g, p, 4, idx)) {
            const float *q = (const float *)(const void *)p;
            for (int64_t i0 = 0; i0 < inner; i0 += is == 1 ? inner : CH) {
                int64_t m = is == 1 ? inner : inner - i0 < CH ? inner - i0 : CH;
                const float *r = q + i0 * is;
                if (is != 1) {
                    for (int64_t i = 0; i < m; i++) buf[i] = r[i * is];
                    r = buf;
                }
                if (pass == 0) einc__vm_lse_f32(&st, r, m);
                else if (mx == mx) {
                    float v = einc__vm_max_f32(r, m);
                    mx = v != v ? v : mx;
                }
            }
        }
        if (pass == 0 && !(isnan(st.s) && st.r == INFINITY)) break;
        if (pass == 1) return mx == mx ? INFINITY : NAN;
    }
    if (isnan(st.s)) return NAN;
    return isfinite(st.r) ? (double)st.r + log(st.s) : (double)st.r;
}

static void reduce_rows(einc_reduce_op op, const einc__reduce_geom *g, const einc__view *y, const einc__view *x,
                        int ith, int nth) {
    pass_kind p1, p2;
    plan_op(op, x->dtype, &p1, &p2);
    bool fl = (einc__dtype_kind(x->dtype) == 2);
    int64_t xes = (int64_t)einc_dtype_size(x->dtype), yes = (int64_t)einc_dtype_size(y->dtype);
    int64_t begin, end;
    einc__split_range(g->nout, ith, nth, &begin, &end);
    if (begin >= end) return;
    int64_t idx[EINC_MAX_DIMS] = {0}, xo = g->xoff, yo = g->yoff, rem = begin;
    for (int d = g->nk - 1; d >= 0; d--) {
        idx[d] = rem % g->kshape[d];
        rem /= g->kshape[d];
        xo += idx[d] * g->kxs[d];
        yo += idx[d] * g->kys[d];
    }
    bool lse32 = op == EINC_REDUCE_LOGSUMEXP && x->dtype == EINC_FLOAT32 && g->nred > 0;
    /* logsumexp of whole contiguous float32 rows: runs of outputs along the last kept dimension
     * take one call, so a short row pays no call of its own */
    bool lse_rows = lse32 && g->nr == 1 && g->rxs[0] == 1 && g->nk > 0 && y->dtype == EINC_FLOAT32;
    int nk = g->nk;
    for (int64_t o = begin; o < end; o++) {
        const char *xp = g->nred ? x->data + xo * xes : NULL; /* an empty x may have no storage */
        int64_t run = 1;
        if (lse_rows) {
            enum { BATCH = 256 };
            einc__lse_f32 st[BATCH];
            run = g->kshape[nk - 1] - idx[nk - 1];
            run = run < end - o ? run : end - o;
            run = run < BATCH ? run : BATCH;
            int64_t xr = g->kxs[nk - 1], yr = g->kys[nk - 1];
            einc__vm_lse_rows_f32(st, (const float *)(const void *)xp, xr, run, g->rshape[0]);
            for (int64_t j = 0; j < run; j++) {
                double v = !isnan(st[j].s)       ? (isfinite(st[j].r) ? (double)st[j].r + log(st[j].s) : st[j].r)
                           : st[j].r == INFINITY ? lse_block_f32(g, xp + j * xr * xes) /* +inf or NaN? */
                                                 : NAN;
                ((float *)(void *)y->data)[yo + j * yr] = (float)v;
            }
        } else if (lse32) {
            einc__store_f64(y->data + yo * yes, y->dtype, lse_block_f32(g, xp));
        } else {
            acc1 a;
            acc1_init(&a, p1);
            row_pass(g, xp, x->dtype, p1, &a);
            if (p2 != P_NONE) {
                a.c = second_const(op, a.f, g->nred);
                acc1_init(&a, p2);
                row_pass(g, xp, x->dtype, p2, &a);
            }
            finish(op, fl, &a, g->nred, y->data + yo * yes, y->dtype);
        }
        for (int64_t step = 0; step < run; step++)
            for (int d = g->nk - 1; d >= 0; d--) {
                xo += g->kxs[d];
                yo += g->kys[d];
                if (++idx[d] < g->kshape[d]) break;
                xo -= g->kxs[d] * g->kshape[d];
                yo -= g->kys[d] * g->kshape[d];
                idx[d] = 0;
            }
        o += run - 1;
    }
}

/* ---- column mode: a chunk of neighbouring outputs, the block walked position by position ---- */

/* Structure of arrays, so the per-position updates vectorise over the outputs. */
typedef struct {
    double f[CH], c[CH];
    uint64_t u[CH];
    int64_t i[CH], best[CH];
} col_acc;

static void col_init(col_acc *a, pass_kind k, int64_t cn) {
    acc1 t;
    acc1_init(&t, k);
    for (int64_t j = 0; j < cn; j++) {
        a->f[j] = t.f;
        a->u[j] = t.u;
        a->i[j] = t.i;
        a->best[j] = 0;
    }
}

/* Folds the elements at flat block position `pos` (one per output) into a. */
static void col_update(col_acc *a, pass_kind k, const double *v, const int64_t *w, int64_t cn, int64_t pos) {
    switch (k) {
    case P_SUM:
        for (int64_t j = 0; j < cn; j++) a->f[j] += v[j];
        return;
    case P_SQDEV:
        for (int64_t j = 0; j < cn; j++) a->f[j] += (v[j] - a->c[j]) * (v[j] - a->c[j]);
        return;
    case P_SUMEXP:
        for (int64_t j = 0; j < cn; j++) a->f[j] += exp(v[j] - a->c[j]);
        return;
    case P_SUMEXP32:
        for (int64_t j = 0; j < cn; j++) a->f[j] += (double)einc__k_exp_f32((float)v[j] - (float)a->c[j]);
        return;
    case P_PROD:
        for (int64_t j = 0; j < cn; j++) a->f[j] *= v[j];
        return;
    case P_MAX:
        for (int64_t j = 0; j < cn; j++) a->f[j] = (v[j] > a->f[j] || v[j] != v[j]) ? v[j] : a->f[j];
        return;
    case P_MIN:
        for (int64_t j = 0; j < cn; j++) a->f[j] = (v[j] < a->f[j] || v[j] != v[j]) ? v[j] : a->f[j];
        return;
    case P_ARGMAX:
        for (int64_t j = 0; j < cn; j++)
            if (v[j] > a->f[j] || (v[j] != v[j] && a->f[j] == a->f[j])) a->f[j] = v[j], a->best[j] = pos;
        return;
    case P_ARGMIN:
        for (int64_t j = 0; j < cn; j++)
            if (v[j] < a->f[j] || (v[j] != v[j] && a->f[j] == a->f[j])) a->f[j] = v[j], a->best[j] = pos;
        return;
    case P_NZ:
        for (int64_t j = 0; j < cn; j++) a->i[j] += v[j] != 0.0;
        return;
    case P_ISUM:
        for (int64_t j = 0; j < cn; j++) a->u[j] += (uint64_t)w[j];
        return;
    case P_IPROD:
        for (int64_t j = 0; j < cn; j++) a->u[j] *= (uint64_t)w[j];
        return;
    case P_IMAX:
        for (int64_t j = 0; j < cn; j++) a->i[j] = w[j] > a->i[j] ? w[j] : a->i[j];
        return;
    case P_IMIN:
        for (int64_t j = 0; j < cn; j++) a->i[j] = w[j] < a->i[j] ? w[j] : a->i[j];
        return;
    case P_IARGMAX:
        for (int64_t j = 0; j < cn; j++)
            if (w[j] > a->i[j]) a->i[j] = w[j], a->best[j] = pos;
        return;
    case P_IARGMIN:
        for (int64_t j = 0; j < cn; j++)
            if (w[j] < a->i[j]) a->i[j] = w[j], a->best[j] = pos;
        return;
    case P_NONE: return;
    }
}

/* float32 sum / max / min over contiguous columns: the vector column kernels read the floats in
 * place, a run of the innermost reduced dimension per call (the same results as col_update's,
 * bit for bit: float64 sums in row order, the same NaN rule). */
static bool col_pass_f32(const einc__reduce_geom *g, const char *xp, int64_t vs, int64_t cn, pass_kind k, col_acc *a) {
    if (vs != 1 || (k != P_SUM && k != P_MAX && k != P_MIN)) return false;
    int64_t inner = g->rshape[g->nr - 1], is = g->rxs[g->nr - 1];
    int64_t idx[EINC_MAX_DIMS] = {0};
    float m[CH];
    if (k != P_SUM)
        for (int64_t j = 0; j < cn; j++) m[j] = (float)a->f[j];
    const char *p = xp;
    for (int64_t seg = g->nred / inner; seg > 0; seg--, p = next_run(g, p, 4, idx)) {
        const float *q = (const float *)(const void *)p;
        if (k == P_SUM) einc__vm_col_sum_f32(a->f, q, is, inner, cn);
        else einc__vm_col_max_f32(m, q, is, inner, cn, k == P_MAX);
    }
    if (k != P_SUM)
        for (int64_t j = 0; j < cn; j++) a->f[j] = (double)m[j];
    return true;
}

/* One pass over the block for cn outputs starting at xp, vs apart in x. */
static void col_pass(const einc__reduce_geom *g, const char *xp, int64_t vs, int64_t cn, einc_dtype dt, pass_kind k,
                     col_acc *a, double *fbuf, int64_t *ibuf) {
    int64_t es = (int64_t)einc_dtype_size(dt);
    if (dt == EINC_FLOAT32 && g->nr > 0 && col_pass_f32(g, xp, vs, cn, k, a)) return;
    int64_t idx[EINC_MAX_DIMS] = {0};
    const char *p = xp;
    for (int64_t pos = 0; pos < g->nred; pos++) {
        if (pass_is_int(k)) col_update(a, k, NULL, run_i64(ibuf, p, dt, vs, cn, pass_is_int_extremum(k)), cn, pos);
        else col_update(a, k, run_f64(fbuf, p, dt, vs, cn), NULL, cn, pos);
        for (int d = g->nr - 1; d >= 0; d--) {
            p += g->rxs[d] * es;
            if (++idx[d] < g->rshape[d]) break;
            p -= g->rxs[d] * g->rshape[d] * es;
            idx[d] = 0;
        }
    }
}

static void reduce_columns(einc_reduce_op op, const einc__reduce_geom *g, const einc__view *y, const einc__view *x,
                           int ith, int nth) {
    pass_kind p1, p2;
    plan_op(op, x->dtype, &p1, &p2);
    bool fl = (einc__dtype_kind(x->dtype) == 2);
    int64_t xes = (int64_t)einc_dtype_size(x->dtype), yes = (int64_t)einc_dtype_size(y->dtype);
    int nk = g->nk;
    int64_t vlen = g->kshape[nk - 1], vxs = g->kxs[nk - 1], vys = g->kys[nk - 1];
    int64_t chunks = (vlen + CH - 1) / CH, units = g->nout / vlen * chunks;
    int64_t begin, end;
    einc__split_range(units, ith, nth, &begin, &end);
    col_acc a;
    double fbuf[CH];
    int64_t ibuf[CH];
    for (int64_t u = begin; u < end; u++) {
        int64_t o = u / chunks, k0 = u % chunks * CH, cn = vlen - k0 < CH ? vlen - k0 : CH;
        int64_t xo = g->xoff + k0 * vxs, yo = g->yoff + k0 * vys;
        for (int d = nk - 2; d >= 0; d--) {
            int64_t i = o % g->kshape[d];
            o /= g->kshape[d];
            xo += i * g->kxs[d];
            yo += i * g->kys[d];
        }
        const char *xp = x->data + xo * xes;
        col_init(&a, p1, cn);
        col_pass(g, xp, vxs, cn, x->dtype, p1, &a, fbuf, ibuf);
        if (p2 != P_NONE) {
            for (int64_t j = 0; j < cn; j++) a.c[j] = second_const(op, a.f[j], g->nred);
            col_init(&a, p2, cn);
            col_pass(g, xp, vxs, cn, x->dtype, p2, &a, fbuf, ibuf);
        }
        for (int64_t j = 0; j < cn; j++) {
            acc1 t = {a.f[j], a.c[j], a.u[j], a.i[j], a.best[j]};
            finish(op, fl, &t, g->nred, y->data + (yo + j * vys) * yes, y->dtype);
        }
    }
}

void einc__k_reduce(einc_reduce_op op, const einc__view *y, const einc__view *x, uint32_t mask, int ith, int nth) {
    einc__reduce_geom g;
    bool arg = op == EINC_REDUCE_ARGMAX || op == EINC_REDUCE_ARGMIN;
    einc__reduce_geom_init(&g, x, y, mask, false, arg);
    if (g.nout == 0) return;
    if (g.column) reduce_columns(op, &g, y, x, ith, nth);
    else reduce_rows(op, &g, y, x, ith, nth);
}

/* ---- reference twin: one output at a time, the block in row-major order, plain loops -------- */

/* Address of element r (row-major over the reduced axes red[0..nr)) of the block at xb. */
static const char *ref_elem(const einc__view *x, const int *red, int nr, int64_t xb, int64_t r) {
    for (int i = nr - 1; i >= 0; i--) {
        xb += r % x->shape[red[i]] * x->strides[red[i]];
        r /= x->shape[red[i]];
    }
    return x->data + xb * (int64_t)einc_dtype_size(x->dtype);
}

/* Exact integer sum, product and extrema (with first positions) of an integer block. */
static void ref_one_int(einc_reduce_op op, const einc__view *x, const int *red, int nr, int64_t xb, int64_t n, char *yp,
                        einc_dtype ydt) {
    uint64_t sum = 0, prod = 1;
    int64_t mx = INT64_MIN, mn = INT64_MAX, amx = 0, amn = 0;
    bool flip = flips(x->dtype, true);
    for (int64_t r = 0; r < n; r++) {
        int64_t w = einc__load_i64(ref_elem(x, red, nr, xb, r), x->dtype), o = flip ? flip_top(w) : w;
        sum += (uint64_t)w;
        prod *= (uint64_t)w;
        if (o > mx) mx = o, amx = r;
        if (o < mn) mn = o, amn = r;
    }
    int64_t v = op == EINC_REDUCE_SUM      ? (int64_t)sum
                : op == EINC_REDUCE_PROD   ? (int64_t)prod
                : op == EINC_REDUCE_MAX    ? (flip ? flip_top(mx) : mx)
                : op == EINC_REDUCE_MIN    ? (flip ? flip_top(mn) : mn)
                : op == EINC_REDUCE_ARGMAX ? amx
                                           : amn;
    store_i64(yp, ydt, v);
}

static void ref_one_float(einc_reduce_op op, const einc__view *x, const int *red, int nr, int64_t xb, int64_t n,
                          char *yp, einc_dtype ydt) {
    double sum = 0, prod = 1, mx = -INFINITY, mn = INFINITY;
    int64_t amx = 0, amn = 0, nz = 0;
    bool nan = false;
    for (int64_t r = 0; r < n; r++) {
        double v = einc__load_f64(ref_elem(x, red, nr, xb, r), x->dtype);
        sum += v;
        prod *= v;
        nz += v != 0;
        if (nan) continue;
        if (isnan(v)) {
            nan = true;
            mx = mn = v;
            amx = amn = r;
            continue;
        }
        if (v > mx) mx = v, amx = r;
        if (v < mn) mn = v, amn = r;
    }
    double mean = sum / (double)n, sq = 0, se = 0;
    for (int64_t r = 0; r < n; r++) {
        double v = einc__load_f64(ref_elem(x, red, nr, xb, r), x->dtype);
        sq += (v - mean) * (v - mean);
        if (isfinite(mx)) se += exp(v - mx);
    }
    double dn = (double)n;
    switch (op) {
    case EINC_REDUCE_SUM: einc__store_f64(yp, ydt, sum); return;
    case EINC_REDUCE_PROD: einc__store_f64(yp, ydt, prod); return;
    case EINC_REDUCE_MEAN: einc__store_f64(yp, ydt, sum / dn); return;
    case EINC_REDUCE_VAR: einc__store_f64(yp, ydt, sq / dn); return;
    case EINC_REDUCE_STD: einc__store_f64(yp, ydt, sqrt(sq / dn)); return;
    case EINC_REDUCE_MAX: einc__store_f64(yp, ydt, mx); return;
    case EINC_REDUCE_MIN: einc__store_f64(yp, ydt, mn); return;
    case EINC_REDUCE_ARGMAX: store_i64(yp, ydt, amx); return;
    case EINC_REDUCE_ARGMIN: store_i64(yp, ydt, amn); return;
    case EINC_REDUCE_ANY: store_i64(yp, ydt, nz > 0); return;
    case EINC_REDUCE_ALL: store_i64(yp, ydt, nz == n); return;
    case EINC_REDUCE_COUNT_NONZERO: store_i64(yp, ydt, nz); return;
    case EINC_REDUCE_LOGSUMEXP: einc__store_f64(yp, ydt, isfinite(mx) ? mx + log(se) : mx); return;
    }
}

void einc__k_reduce_ref(einc_reduce_op op, const einc__view *y, const einc__view *x, uint32_t mask, int ith, int nth) {
    int kept[EINC_MAX_DIMS], red[EINC_MAX_DIMS], nk = 0, nr = 0;
    int64_t nout = 1, n = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (mask & (1u << d)) red[nr++] = d;
        else kept[nk++] = d, nout *= x->shape[d];
    }
    if (nout == 0) return;
    for (int i = 0; i < nr; i++) n *= x->shape[red[i]];
    bool exact_int = !(einc__dtype_kind(x->dtype) == 2) &&
                     (op == EINC_REDUCE_SUM || op == EINC_REDUCE_PROD || op == EINC_REDUCE_MAX ||
                      op == EINC_REDUCE_MIN || op == EINC_REDUCE_ARGMAX || op == EINC_REDUCE_ARGMIN);
    int64_t yes = (int64_t)einc_dtype_size(y->dtype);
    int64_t begin, end;
    einc__split_range(nout, ith, nth, &begin, &end);
    for (int64_t o = begin; o < end; o++) {
        int64_t rem = o, xb = 0, yb = 0;
        for (int i = nk - 1; i >= 0; i--) {
            int64_t k = rem % x->shape[kept[i]];
            rem /= x->shape[kept[i]];
            xb += k * x->strides[kept[i]];
            yb += k * y->strides[kept[i]];
        }
        if (exact_int) ref_one_int(op, x, red, nr, xb, n, y->data + yb * yes, y->dtype);
        else ref_one_float(op, x, red, nr, xb, n, y->data + yb * yes, y->dtype);
    }
}
