/* softmax.c — softmax and log_softmax over a set of axes jointly, and the _ref twin.
 *
 * float32 groups whose innermost reduced dimension is the most contiguous one (row mode) take two
 * passes: one for the max m and s = sum(exp(x - m)) together (the online form, einc__vm_lse_f32:
 * the sum is rescaled when the running max grows, and accumulated in float64), one for
 * y = exp(x - m) / s or y = x - m - log(s); contiguous rows of up to EINC__VM_KEEP elements run
 * as a pipeline instead (einc__vm_softmax_rows_f32: the max of the next row read from memory
 * beside this row's exponentials from L1 and the last row's output, no rescales). Both are vector row kernels chosen at
 * run time (vecmath.h), with masked tails, so short rows cost about what long ones do per element.
 *
 * Column mode (the kept dimension is the contiguous one) and the other dtypes take three passes:
 * the max m (NaN sticky), s accumulated in float64, then the output. float32 columns with
 * contiguous x and y take the vector column kernels (vecmath.h: exp taken again in the output
 * pass, which then reads x instead of writing and rereading y); other float32 columns compute the
 * exponentials with einc__k_exp_f32 (a polynomial the compiler vectorises); everything else
 * (float64, integers, bools) is converted to float64 and uses libm's exp. Subtracting the max
 * keeps every exponent <= 0, so nothing overflows.
 *
 * Groups are split over threads; within a group the order of the sum depends only on the
 * geometry (and the dispatch level), so results do not depend on the thread count.
 */
#include <math.h>

#include "reduce.h"

#define CH EINC__REDUCE_CHUNK

/* Steps an offset walk over the first `top` reduced dimensions (row-major, last fastest). */
typedef struct {
    int64_t idx[EINC_MAX_DIMS];
    int64_t xo, yo;
} walk;

static void walk_next(const einc__reduce_geom *g, int top, walk *w) {
    for (int d = top - 1; d >= 0; d--) {
        w->xo += g->rxs[d];
        w->yo += g->rys[d];
        if (++w->idx[d] < g->rshape[d]) return;
        w->xo -= g->rxs[d] * g->rshape[d];
        w->yo -= g->rys[d] * g->rshape[d];
        w->idx[d] = 0;
    }
}

/* ---- float32 groups, row mode: two passes ------------------------------------------------ */

/* Pass 1 over one run: the online max and sum of exponentials (einc__vm_lse_f32); strided runs
 * are gathered chunk by chunk into a stack buffer first. */
static void stats_run_f32(einc__lse_f32 *st, const float *x, int64_t xs, int64_t n) {
    if (xs == 1) {
        einc__vm_lse_f32(st, x, n);
        return;
    }
    float buf[CH];
    for (int64_t i0 = 0; i0 < n; i0 += CH) {
        int64_t c = n - i0 < CH ? n - i0 : CH;
        for (int64_t i = 0; i < c; i++) buf[i] = x[(i0 + i) * xs];
        einc__vm_lse_f32(st, buf, c);
    }
}

/* Pass 2 over one run: y = exp(x - m) * scale, or y = (x - m) - c for log_softmax. */
static void final_run_f32(const float *x, int64_t xs, float *y, int64_t ys, int64_t n, float m, float c, bool is_log,
                          bool stream) {
    if (xs == 1 && ys == 1) {
        if (is_log) einc__vm_log_softmax_f32(y, x, n, m, c, stream);
        else einc__vm_softmax_f32(y, x, n, m, c, stream);
        return;
    }
    float buf[CH];
    for (int64_t i0 = 0; i0 < n; i0 += CH) {
        int64_t k = n - i0 < CH ? n - i0 : CH;
        for (int64_t i = 0; i < k; i++) buf[i] = x[(i0 + i) * xs];
        if (is_log) einc__vm_log_softmax_f32(buf, buf, k, m, c, false);
        else einc__vm_softmax_f32(buf, buf, k, m, c, false);
        for (int64_t i = 0; i < k; i++) y[(i0 + i) * ys] = buf[i];
    }
}

/* One group, row mode: the block walked run by run (the innermost reduced dimension), once for
 * the statistics and once for the output. A NaN sum or a non-finite max (a NaN, +inf or only
 * -inf in the group) gives NaN everywhere, as the reference's exp(x - m) / s does. */
static void group_f32(const einc__reduce_geom *g, const float *x, float *y, bool is_log, bool stream) {
    int nr = g->nr;
    int64_t inner = nr ? g->rshape[nr - 1] : 1, xs = nr ? g->rxs[nr - 1] : 1, ys = nr ? g->rys[nr - 1] : 1;
    int64_t nseg = g->nred / inner;
    if (!is_log && nseg == 1 && xs == 1 && ys == 1 && inner <= EINC__VM_KEEP) {
        einc__vm_softmax_rows_f32(y, 0, x, 0, 1, inner, false, stream);
        return;
    }
    einc__lse_f32 st = EINC__LSE_INIT;
    walk w = {{0}, 0, 0};
    for (int64_t k = 0; k < nseg; k++, walk_next(g, nr - 1, &w)) stats_run_f32(&st, x + w.xo, xs, inner);
    float m = st.r;
    bool bad = isnan(st.s) || !isfinite(m);
    float c = bad ? NAN : is_log ? (float)log(st.s) : (float)(1.0 / st.s);
    for (int64_t k = 0; k < nseg; k++, walk_next(g, nr - 1, &w)) {
        if (bad)
            for (int64_t i = 0; i < inner; i++) y[w.yo + i * ys] = NAN;
        else final_run_f32(x + w.xo, xs, y + w.yo, ys, inner, m, c, is_log, stream);
    }
}

/* cn neighbouring groups with contiguous x and y (column mode): three passes of the vector column
 * kernels over runs of the innermost reduced dimension (the max, the float64 sum of exponentials,
 * the output with the exponentials taken again), so x is read three times and y written once. */
static void columns_f32_unit(const einc__reduce_geom *g, const float *x, float *y, int64_t cn, bool is_log,
                             bool stream) {
    int nr = g->nr;
    int64_t inner = g->rshape[nr - 1], xs = g->rxs[nr - 1], ys = g->rys[nr - 1], nseg = g->nred / inner;
    float m[CH], c[CH];
    double s[CH];
    for (int64_t j = 0; j < cn; j++) m[j] = -INFINITY, s[j] = 0;
    walk w = {{0}, 0, 0};
    for (int64_t k = 0; k < nseg; k++, walk_next(g, nr - 1, &w)) einc__vm_col_max_f32(m, x + w.xo, xs, inner, cn, true);
    for (int64_t k = 0; k < nseg; k++, walk_next(g, nr - 1, &w)) einc__vm_col_sumexp_f32(s, m, x + w.xo, xs, inner, cn);
    for (int64_t j = 0; j < cn; j++) c[j] = is_log ? (float)log(s[j]) : (float)(1.0 / s[j]);
    for (int64_t k = 0; k < nseg; k++, walk_next(g, nr - 1, &w))
        einc__vm_col_softmax_f32(y + w.yo, ys, x + w.xo, xs, inner, cn, m, c, is_log, stream);
}

/* cn neighbouring groups, column mode: x / y elements of group j are at +j*vxs / +j*vys. */
static void columns_f32(const einc__reduce_geom *g, const float *x, int64_t vxs, float *y, int64_t vys, int64_t cn,
                        bool is_log, bool stream) {
    float m[CH], c[CH];
    double s[CH];
    for (int64_t j = 0; j < cn; j++) m[j] = -INFINITY, s[j] = 0;
    if (vxs == 1 && vys == 1 && g->nr > 0) {
        columns_f32_unit(g, x, y, cn, is_log, stream);
        return;
    }
    walk w = {{0}, 0, 0};
    for (int64_t k = 0; k < g->nred; k++, walk_next(g, g->nr, &w)) {
        const float *xp = x + w.xo;
        for (int64_t j = 0; j < cn; j++) {
            float v = xp[j * vxs];
            m[j] = (v > m[j] || v != v) ? v : m[j];
        }
    }
    for (int64_t k = 0; k < g->nred; k++, walk_next(g, g->nr, &w)) {
        const float *xp = x + w.xo;
        float *yp = y + w.yo;
        if (vxs == 1 && vys == 1 && !is_log) {
            for (int64_t j = 0; j < cn; j++) yp[j] = einc__k_exp_f32(xp[j] - m[j]);
            for (int64_t j = 0; j < cn; j++) s[j] += (double)yp[j];
        } else {
            for (int64_t j = 0; j < cn; j++) c[j] = einc__k_exp_f32(xp[j * vxs] - m[j]);
            for (int64_t j = 0; j < cn; j++) s[j] += (double)c[j];
            if (!is_log)
                for (int64_t j = 0; j < cn; j++) yp[j * vys] = c[j];
        }
    }
    for (int64_t j = 0; j < cn; j++) c[j] = is_log ? (float)log(s[j]) : (float)(1.0 / s[j]);
    for (int64_t k = 0; k < g->nred; k++, walk_next(g, g->nr, &w)) {
        const float *xp = x + w.xo;
        float *yp = y + w.yo;
        if (is_log)
            for (int64_t j = 0; j < cn; j++) yp[j * vys] = (xp[j * vxs] - m[j]) - c[j];
        else
            for (int64_t j = 0; j < cn; j++) yp[j * vys] *= c[j];
    }
}

/* ---- float64 path: any input dtype converted to double, y float64 ------------------------- */

static void group_f64(const einc__reduce_geom *g, const char *x, einc_dtype dt, double *y, bool is_log) {
    int nr = g->nr;
    int64_t es = (int64_t)einc_dtype_size(dt);
    int64_t inner = nr ? g->rshape[nr - 1] : 1, xs = nr ? g->rxs[nr - 1] : 1, ys = nr ? g->rys[nr - 1] : 1;
    int64_t nseg = g->nred / inner;
    double buf[CH], m = -INFINITY, s = 0;
    walk w = {{0}, 0, 0};
    for (int pass = 0; pass < 3; pass++) {
        double c = is_log ? log(s) : 1.0 / s;
        for (int64_t k = 0; k < nseg; k++, walk_next(g, nr - 1, &w)) {
            for (int64_t i0 = 0; i0 < inner; i0 += CH) {
                int64_t n = inner - i0 < CH ? inner - i0 : CH;
                einc__reduce_load_f64(buf, x + (w.xo + i0 * xs) * es, dt, xs, n);
                double *yp = y + w.yo + i0 * ys;
                for (int64_t i = 0; i < n; i++) {
                    double v = buf[i];
                    if (pass == 0) m = (v > m || v != v) ? v : m;
                    else if (pass == 1) s += exp(v - m);
                    else yp[i * ys] = is_log ? (v - m) - c : exp(v - m) * c;
                }
            }
        }
    }
}

static void columns_f64(const einc__reduce_geom *g, const char *x, einc_dtype dt, int64_t vxs, double *y, int64_t vys,
                        int64_t cn, bool is_log) {
    int64_t es = (int64_t)einc_dtype_size(dt);
    double buf[CH], m[CH], s[CH], c[CH];
    for (int64_t j = 0; j < cn; j++) m[j] = -INFINITY, s[j] = 0;
    walk w = {{0}, 0, 0};
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 2)
            for (int64_t j = 0; j < cn; j++) c[j] = is_log ? log(s[j]) : 1.0 / s[j];
        for (int64_t k = 0; k < g->nred; k++, walk_next(g, g->nr, &w)) {
            einc__reduce_load_f64(buf, x + w.xo * es, dt, vxs, cn);
            double *yp = y + w.yo;
            if (pass == 0)
                for (int64_t j = 0; j < cn; j++) m[j] = (buf[j] > m[j] || buf[j] != buf[j]) ? buf[j] : m[j];
            else if (pass == 1)
                for (int64_t j = 0; j < cn; j++) s[j] += exp(buf[j] - m[j]);
            else if (is_log)
                for (int64_t j = 0; j < cn; j++) yp[j * vys] = (buf[j] - m[j]) - c[j];
            else
                for (int64_t j = 0; j < cn; j++) yp[j * vys] = exp(buf[j] - m[j]) * c[j];
        }
    }
}

/* ---- drivers --------------------------------------------------------------------------------- */

void einc__k_softmax(const einc__view *y, const einc__view *x, uint32_t mask, bool is_log, int ith, int nth) {
    for (int d = 0; d < x->ndim; d++)
        if (x->shape[d] == 0) return; /* y is empty too */
    einc__reduce_geom g;
    einc__reduce_geom_init(&g, x, y, mask, true, false);
    bool f32 = x->dtype == EINC_FLOAT32;
    int64_t total = 1;
    for (int d = 0; d < y->ndim; d++) total *= y->shape[d];
    bool stream = total >= EINC__VM_STREAM_ELEMS; /* y would not stay in cache */
    int64_t xes = (int64_t)einc_dtype_size(x->dtype), yes = (int64_t)einc_dtype_size(y->dtype);
    int nk = g.nk;
    int64_t vlen = g.column ? g.kshape[nk - 1] : 1, chunks = (vlen + CH - 1) / CH;
    int outer = g.column ? nk - 1 : nk;
    int64_t begin, end;
    einc__split_range(g.nout / vlen * chunks, ith, nth, &begin, &end);
    /* contiguous float32 rows (softmax: short enough to keep their exponentials) go in runs along
     * the last kept dimension, so the row kernel can overlap one row's writes with the next row's
     * reads */
    bool rows = f32 && !g.column && g.nr == 1 && g.rxs[0] == 1 && g.rys[0] == 1 &&
                (is_log || g.rshape[0] <= EINC__VM_KEEP) && nk > 0;
    for (int64_t u = begin; u < end; u++) {
        if (rows) {
            int64_t o = u, xo = g.xoff, yo = g.yoff, run = 0;
            for (int d = nk - 1; d >= 0; d--) {
                int64_t i = o % g.kshape[d];
                if (d == nk - 1) run = g.kshape[d] - i < end - u ? g.kshape[d] - i : end - u;
                o /= g.kshape[d];
                xo += i * g.kxs[d];
                yo += i * g.kys[d];
            }
            einc__vm_softmax_rows_f32((float *)(void *)y->data + yo, g.kys[nk - 1],
                                      (const float *)(const void *)x->data + xo, g.kxs[nk - 1], run, g.rshape[0],
                                      is_log, stream);
            u += run - 1;
            continue;
        }
        int64_t o = u / chunks, k0 = u % chunks * CH, cn = vlen - k0 < CH ? vlen - k0 : CH;
        int64_t xo = g.xoff, yo = g.yoff;
        if (g.column) xo += k0 * g.kxs[nk - 1], yo += k0 * g.kys[nk - 1];
        for (int d = outer - 1; d >= 0; d--) {
            int64_t i = o % g.kshape[d];
            o /= g.kshape[d];
            xo += i * g.kxs[d];
            yo += i * g.kys[d];
        }
        const char *xp = x->data + xo * xes;
        char *yp = y->data + yo * yes;
        if (f32 && g.column)
            columns_f32(&g, (const float *)(const void *)xp, g.kxs[nk - 1], (float *)(void *)yp, g.kys[nk - 1], cn,
                        is_log, stream);
        else if (f32) group_f32(&g, (const float *)(const void *)xp, (float *)(void *)yp, is_log, stream);
        else if (g.column)
            columns_f64(&g, xp, x->dtype, g.kxs[nk - 1], (double *)(void *)yp, g.kys[nk - 1], cn, is_log);
        else group_f64(&g, xp, x->dtype, (double *)(void *)yp, is_log);
    }
    if (stream) einc__vm_fence();
}

/* Reference: one group at a time, elements in row-major order, float64 arithmetic, libm exp. */
void einc__k_softmax_ref(const einc__view *y, const einc__view *x, uint32_t mask, bool is_log, int ith, int nth) {
    int kept[EINC_MAX_DIMS], red[EINC_MAX_DIMS], nk = 0, nr = 0;
    int64_t ngroups = 1, n = 1;
    for (int d = 0; d < x->ndim; d++)
        if (x->shape[d] == 0) return; /* y is empty too */
    for (int d = 0; d < x->ndim; d++) {
        if (mask & (1u << d)) red[nr++] = d, n *= x->shape[d];
        else kept[nk++] = d, ngroups *= x->shape[d];
    }
    int64_t xes = (int64_t)einc_dtype_size(x->dtype), yes = (int64_t)einc_dtype_size(y->dtype);
    int64_t begin, end;
    einc__split_range(ngroups, ith, nth, &begin, &end);
    for (int64_t gi = begin; gi < end; gi++) {
        int64_t rem = gi, xb = 0, yb = 0;
        for (int i = nk - 1; i >= 0; i--) {
            int64_t k = rem % x->shape[kept[i]];
            rem /= x->shape[kept[i]];
            xb += k * x->strides[kept[i]];
            yb += k * y->strides[kept[i]];
        }
        double m = -INFINITY, s = 0;
        for (int pass = 0; pass < 3; pass++) {
            for (int64_t r = 0; r < n; r++) {
                int64_t rr = r, xo = xb, yo = yb;
                for (int i = nr - 1; i >= 0; i--) {
                    int64_t k = rr % x->shape[red[i]];
                    rr /= x->shape[red[i]];
                    xo += k * x->strides[red[i]];
                    yo += k * y->strides[red[i]];
                }
                double v = einc__load_f64(x->data + xo * xes, x->dtype);
                if (pass == 0) {
                    if (isnan(v) || isnan(m)) m = NAN;
                    else if (v > m) m = v;
                } else if (pass == 1) {
                    s += exp(v - m);
                } else {
                    einc__store_f64(y->data + yo * yes, y->dtype, is_log ? v - m - log(s) : exp(v - m) / s);
                }
            }
        }
    }
}
