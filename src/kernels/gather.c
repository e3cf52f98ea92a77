/* gather.c — gather and scatter at coordinates (gather.h).
 *
 * The loop dims are sorted into three groups once per call, by the destination's strides (e for
 * a gather, t for a scatter) and the coordinates':
 *   O  the destination moves and the coordinates may: every O index owns its destination
 *      elements, so the work is split over O;
 *   P  the destination does not move (stride 0): several loop points update one element, so
 *      these dims are walked in row-major order inside every O index and never split;
 *   R  one dim along which the destination moves but no coordinate does: the coordinates are
 *      read once per row and the row is a strided loop or a memcpy (an embedding lookup
 *      "[v] c, b t -> b t c" moves whole rows of c).
 * When O has fewer indices than there are workers ("[h] c, p, p c -> [h] c" has none), the split
 * goes over R instead. Either way each destination element belongs to one worker, which applies
 * its updates in loop order: results do not depend on nth.
 */
#include <stdlib.h>

#include "gather.h"

enum { MAX_OFFSETS = 2 + EINC_MAX_DIMS }; /* t, e, one per coordinate tensor */

/* An odometer over some loop dims, carrying the byte offsets of several operands. */
typedef struct {
    int nd, nk;
    int64_t shape[EINC_MAX_DIMS], idx[EINC_MAX_DIMS];
    int64_t stride[MAX_OFFSETS][EINC_MAX_DIMS];
    int64_t off[MAX_OFFSETS];
} odometer;

static void odo_seek(odometer *o, int64_t pos) {
    for (int k = 0; k < o->nk; k++) o->off[k] = 0;
    for (int d = o->nd - 1; d >= 0; d--) {
        o->idx[d] = pos % o->shape[d];
        pos /= o->shape[d];
        for (int k = 0; k < o->nk; k++) o->off[k] += o->idx[d] * o->stride[k][d];
    }
}

static void odo_step(odometer *o) {
    for (int d = o->nd - 1; d >= 0; d--) {
        for (int k = 0; k < o->nk; k++) o->off[k] += o->stride[k][d];
        if (++o->idx[d] < o->shape[d]) return;
        for (int k = 0; k < o->nk; k++) o->off[k] -= o->stride[k][d] * o->shape[d];
        o->idx[d] = 0;
    }
}

/* Adds loop dim d to the odometer (byte strides of t, e and the coordinates). */
static void odo_add(odometer *o, const einc__k_index *g, int d, int64_t es) {
    int j = o->nd++;
    o->shape[j] = g->shape[d];
    o->idx[j] = 0;
    o->stride[0][j] = g->t_strides[d] * es;
    o->stride[1][j] = g->e_strides[d] * es;
    for (int k = 0; k < g->ncoords; k++)
        o->stride[2 + k][j] = g->coords[k].strides[d] * (int64_t)einc_dtype_size(g->coords[k].dtype);
}

/* Byte offset into t of the indexed axes at the coordinates found at byte offsets coff[k]. */
static int64_t index_bytes(const einc__k_index *g, const int64_t *coff, int64_t es) {
    int64_t off = 0;
    for (int k = 0; k < g->ncoords; k++) {
        const einc__k_coords *c = &g->coords[k];
        const char *p = c->data + coff[k];
        if (c->dtype == EINC_INT32) {
            for (int j = 0; j < c->ncomp; j++) {
                int a = c->first_axis + j;
                int64_t v = ((const int32_t *)(const void *)p)[j * c->comp_stride];
                off += (v < 0 ? v + g->axis_len[a] : v) * g->axis_stride[a];
            }
        } else {
            for (int j = 0; j < c->ncomp; j++) {
                int a = c->first_axis + j;
                int64_t v = ((const int64_t *)(const void *)p)[j * c->comp_stride];
                off += (v < 0 ? v + g->axis_len[a] : v) * g->axis_stride[a];
            }
        }
    }
    return off * es;
}

/* ---- rows ------------------------------------------------------------------------------------- */

/* dst[i * ds] = src[i * ss] for i < n (byte strides, elements of es bytes). */
static void move_row(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, int64_t es) {
    if (ds == es && ss == es) {
        memcpy(dst, src, (size_t)(n * es));
        return;
    }
    switch (es) {
    case 1:
        for (int64_t i = 0; i < n; i++) dst[i * ds] = src[i * ss];
        break;
    case 2:
        for (int64_t i = 0; i < n; i++)
            *(uint16_t *)(void *)(dst + i * ds) = *(const uint16_t *)(const void *)(src + i * ss);
        break;
    case 4:
        for (int64_t i = 0; i < n; i++)
            *(uint32_t *)(void *)(dst + i * ds) = *(const uint32_t *)(const void *)(src + i * ss);
        break;
    default:
        for (int64_t i = 0; i < n; i++)
            *(uint64_t *)(void *)(dst + i * ds) = *(const uint64_t *)(const void *)(src + i * ss);
        break;
    }
}

/* dst[i * ds] +/-= src[i * ss]; integers wrap around like NumPy's. */
#define ACCUMULATE_FLOAT(name, T)                                                                                      \
    static void name(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, bool sub) {                        \
        for (int64_t i = 0; i < n; i++) {                                                                              \
            T *d = (T *)(void *)(dst + i * ds);                                                                        \
            T v = *(const T *)(const void *)(src + i * ss);                                                            \
            *d = sub ? *d - v : *d + v;                                                                                \
        }                                                                                                              \
    }
#define ACCUMULATE_INT(name, T, U)                                                                                     \
    static void name(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, bool sub) {                        \
        for (int64_t i = 0; i < n; i++) {                                                                              \
            T *d = (T *)(void *)(dst + i * ds);                                                                        \
            U v = (U) * (const T *)(const void *)(src + i * ss);                                                       \
            *d = (T)(sub ? (U)*d - v : (U)*d + v);                                                                     \
        }                                                                                                              \
    }
ACCUMULATE_FLOAT(accumulate_f32, float)
ACCUMULATE_FLOAT(accumulate_f64, double)
ACCUMULATE_INT(accumulate_i32, int32_t, uint32_t)
ACCUMULATE_INT(accumulate_i64, int64_t, uint64_t)
ACCUMULATE_INT(accumulate_i16, int16_t, uint16_t)
ACCUMULATE_INT(accumulate_i8, int8_t, uint8_t)
ACCUMULATE_INT(accumulate_u8, uint8_t, uint8_t)
ACCUMULATE_INT(accumulate_u64, uint64_t, uint64_t)

/* float16 and bfloat16: each sum computed in float32 and rounded to the dtype, as NumPy's
 * float16 (and PyTorch's bfloat16) arithmetic does */
static void accumulate_half(einc_dtype dtype, char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, bool sub) {
    for (int64_t i = 0; i < n; i++) {
        char *d = dst + i * ds;
        float a = (float)einc__load_f64(d, dtype), b = (float)einc__load_f64(src + i * ss, dtype);
        einc__store_f64(d, dtype, (double)(sub ? a - b : a + b));
    }
}

static void accumulate_row(einc_dtype dtype, char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, bool sub) {
    switch (dtype) {
    case EINC_FLOAT32: accumulate_f32(dst, ds, src, ss, n, sub); break;
    case EINC_FLOAT64: accumulate_f64(dst, ds, src, ss, n, sub); break;
    case EINC_INT32: accumulate_i32(dst, ds, src, ss, n, sub); break;
    case EINC_INT64: accumulate_i64(dst, ds, src, ss, n, sub); break;
    case EINC_INT16: accumulate_i16(dst, ds, src, ss, n, sub); break;
    case EINC_INT8: accumulate_i8(dst, ds, src, ss, n, sub); break;
    case EINC_UINT8: accumulate_u8(dst, ds, src, ss, n, sub); break;
    case EINC_UINT64: accumulate_u64(dst, ds, src, ss, n, sub); break;
    case EINC_FLOAT16:
    case EINC_BFLOAT16: accumulate_half(dtype, dst, ds, src, ss, n, sub); break;
    default: break; /* bool: rejected by the operations */
    }
}

/* ---- the driver --------------------------------------------------------------------------------- */

enum { GATHER = -1 }; /* otherwise an einc__scatter_op */

static void run(int mode, const einc__k_index *g, int ith, int nth) {
    int64_t es = (int64_t)einc_dtype_size(g->dtype);
    const int64_t *dst = mode == GATHER ? g->e_strides : g->t_strides;
    /* R: a dim with no coordinate stride, preferring the destination's smallest stride */
    int r = -1;
    bool seq[EINC_MAX_DIMS];
    for (int d = 0; d < g->nloop; d++) {
        seq[d] = dst[d] == 0 && g->shape[d] > 1;
        bool moves = false;
        for (int k = 0; k < g->ncoords; k++) moves = moves || g->coords[k].strides[d] != 0;
        if (moves || seq[d] || g->shape[d] == 1) continue;
        if (r < 0 || llabs(dst[d]) < llabs(dst[r])) r = d;
    }
    odometer O, P;
    O.nd = P.nd = 0;
    O.nk = P.nk = 2 + g->ncoords;
    int64_t no = 1, np = 1, nr = r >= 0 ? g->shape[r] : 1;
    for (int d = 0; d < g->nloop; d++) {
        if (d == r) continue;
        if (seq[d]) {
            odo_add(&P, g, d, es);
            np *= g->shape[d];
        } else {
            odo_add(&O, g, d, es);
            no *= g->shape[d];
        }
    }
    int64_t o0 = 0, o1 = no, r0 = 0, r1 = nr;
    if (no >= nth || nr == 1) einc__split_range(no, ith, nth, &o0, &o1);
    else einc__split_range(nr, ith, nth, &r0, &r1);
    if (o0 >= o1 || r0 >= r1) return;
    int64_t tr = r >= 0 ? g->t_strides[r] * es : 0, er = r >= 0 ? g->e_strides[r] * es : 0, n = r1 - r0;
    odo_seek(&O, o0);
    for (int64_t o = o0; o < o1; o++, odo_step(&O)) {
        odo_seek(&P, 0);
        for (int64_t q = 0; q < np; q++, odo_step(&P)) {
            int64_t coff[EINC_MAX_DIMS];
            for (int k = 0; k < g->ncoords; k++) coff[k] = O.off[2 + k] + P.off[2 + k];
            char *t = g->t + O.off[0] + P.off[0] + index_bytes(g, coff, es) + r0 * tr;
            char *e = g->e + O.off[1] + P.off[1] + r0 * er;
            switch (mode) {
            case GATHER: move_row(e, er, t, tr, n, es); break;
            case EINC__SCATTER_SET: move_row(t, tr, e, er, n, es); break;
            default: accumulate_row(g->dtype, t, tr, e, er, n, mode == EINC__SCATTER_SUB); break;
            }
        }
    }
}

void einc__k_gather(const einc__k_index *g, int ith, int nth) { run(GATHER, g, ith, nth); }

void einc__k_scatter(einc__scatter_op op, const einc__k_index *g, int ith, int nth) { run((int)op, g, ith, nth); }

/* ---- the oracles --------------------------------------------------------------------------------- */

/* Element offsets of t (at the coordinates) and e at loop point `flat` (row-major). */
static void ref_point(const einc__k_index *g, int64_t flat, int64_t *t_off, int64_t *e_off) {
    int64_t idx[EINC_MAX_DIMS];
    for (int d = g->nloop - 1; d >= 0; d--) {
        idx[d] = flat % g->shape[d];
        flat /= g->shape[d];
    }
    *t_off = *e_off = 0;
    for (int d = 0; d < g->nloop; d++) {
        *t_off += idx[d] * g->t_strides[d];
        *e_off += idx[d] * g->e_strides[d];
    }
    for (int k = 0; k < g->ncoords; k++) {
        const einc__k_coords *c = &g->coords[k];
        int64_t coff = 0;
        for (int d = 0; d < g->nloop; d++) coff += idx[d] * c->strides[d];
        for (int j = 0; j < c->ncomp; j++) {
            const char *p = c->data + (coff + j * c->comp_stride) * (int64_t)einc_dtype_size(c->dtype);
            int64_t v = (int64_t)einc__load_f64(p, c->dtype);
            int a = c->first_axis + j;
            if (v < 0) v += g->axis_len[a];
            *t_off += v * g->axis_stride[a];
        }
    }
}

static int64_t loop_numel(const einc__k_index *g) {
    int64_t n = 1;
    for (int d = 0; d < g->nloop; d++) n *= g->shape[d];
    return n;
}

void einc__k_gather_ref(const einc__k_index *g, int ith, int nth) {
    size_t es = einc_dtype_size(g->dtype);
    int64_t begin, end;
    einc__split_range(loop_numel(g), ith, nth, &begin, &end);
    for (int64_t i = begin; i < end; i++) {
        int64_t to, eo;
        ref_point(g, i, &to, &eo);
        memcpy(g->e + eo * (int64_t)es, g->t + to * (int64_t)es, es);
    }
}

void einc__k_scatter_ref(einc__scatter_op op, const einc__k_index *g, int ith, int nth) {
    (void)nth;
    if (ith != 0) return;
    int64_t es = (int64_t)einc_dtype_size(g->dtype), n = loop_numel(g);
    for (int64_t i = 0; i < n; i++) {
        int64_t to, eo;
        ref_point(g, i, &to, &eo);
        char *t = g->t + to * es;
        const char *e = g->e + eo * es;
        if (op == EINC__SCATTER_SET) memcpy(t, e, (size_t)es);
        else accumulate_row(g->dtype, t, 0, e, 0, 1, op == EINC__SCATTER_SUB);
    }
}
