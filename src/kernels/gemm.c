/* gemm.c — the C GEMM kernels: blocked float32/float64, plain-loop integers, naive reference.
 *
 * The blocked kernel follows the BLIS/Goto layout: a KC x NC block of b is packed into NR-wide
 * strips, an MC x KC block of a into MR-tall strips, and an MR x NR micro-kernel keeps its tile of
 * c in registers while it walks k. Packing reads any strides (transposed, broadcast, negative), so
 * this path never needs a contiguous copy of an operand. The k blocks run in ascending order and
 * each block reloads the partial tile from c, so every element is the same left-to-right sum as
 * the reference loop, independent of blocking and of the thread split.
 */
#include "gemm.h"

enum {
    MR = 4,     /* rows of the micro tile                                  */
    NR_F32 = 8, /* columns of the micro tile: two SSE / one AVX vector     */
    NR_F64 = 4,
    MC = 64,    /* rows of a packed a block (MC x KC: L2)                  */
    NC = 256,   /* columns of a packed b block (KC x NC: L2/L3), NR | NC   */
    KC = 256    /* depth of a block; one b strip (KC x NR) stays in L1     */
};

typedef struct gemm_geom {
    int nb;                    /* batch dimensions                                   */
    int64_t nbatch, M, N, K;
    int64_t ars, acs, brs, bcs; /* row / column strides of a [M, K] and b [K, N]      */
    int64_t crs, ccs;
} gemm_geom;

static gemm_geom geom_of(const einc__view *a, const einc__view *b, const einc__view *c) {
    gemm_geom g;
    g.nb = c->ndim - 2;
    g.nbatch = 1;
    for (int d = 0; d < g.nb; d++) g.nbatch *= c->shape[d];
    g.M = c->shape[g.nb];
    g.N = c->shape[g.nb + 1];
    g.K = a->shape[g.nb + 1];
    g.ars = a->strides[g.nb], g.acs = a->strides[g.nb + 1];
    g.brs = b->strides[g.nb], g.bcs = b->strides[g.nb + 1];
    g.crs = c->strides[g.nb], g.ccs = c->strides[g.nb + 1];
    return g;
}

/* Element offsets of batch entry `bi` (row-major over c's batch dimensions) in a, b and c. */
static void batch_offsets(const einc__view *a, const einc__view *b, const einc__view *c, int nb, int64_t bi,
                          int64_t *oa, int64_t *ob, int64_t *oc) {
    *oa = *ob = *oc = 0;
    for (int d = nb - 1; d >= 0; d--) {
        int64_t k = bi % c->shape[d];
        bi /= c->shape[d];
        *oa += k * a->strides[d];
        *ob += k * b->strides[d];
        *oc += k * c->strides[d];
    }
}

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }
static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

static int nr_of(einc_dtype dtype) { return dtype == EINC_FLOAT32 ? NR_F32 : NR_F64; }

/* Scratch layout of one worker: packed a block [MC/MR strips][KC][MR], then packed b block
 * [NC/NR strips][KC][NR], each trimmed to the problem and 64-byte aligned. */
static size_t packed_a_bytes(const gemm_geom *g, size_t es) {
    int64_t kc = g->K > 0 ? min64(g->K, KC) : 1;
    return (size_t)round_up(round_up(min64(g->M, MC), MR) * kc * (int64_t)es, EINC_ALIGN);
}

static size_t packed_b_bytes(const gemm_geom *g, size_t es, int nr) {
    int64_t kc = g->K > 0 ? min64(g->K, KC) : 1;
    return (size_t)round_up(round_up(min64(g->N, NC), nr) * kc * (int64_t)es, EINC_ALIGN);
}

size_t einc__k_gemm_scratch(const einc__view *a, const einc__view *b, const einc__view *c) {
    if (c->dtype != EINC_FLOAT32 && c->dtype != EINC_FLOAT64) return 0;
    gemm_geom g = geom_of(a, b, c);
    if (g.M == 0 || g.N == 0) return 0;
    size_t es = einc_dtype_size(c->dtype);
    return packed_a_bytes(&g, es) + packed_b_bytes(&g, es, nr_of(c->dtype));
}

/* ---- packing ------------------------------------------------------------------------------- */

/* Copies np x kc elements X(p, k) = src[p*ps + k*ks] into strips of w along p:
 * dst [ceil(np/w)][kc][w], zero-padding the last strip. Serves a (p = row, w = MR) and b
 * (p = column, w = NR). Elements are moved as raw 4- or 8-byte words. */
#define PACK_STRIPS(T)                                                                           \
    do {                                                                                         \
        T *d = (T *)(void *)dst;                                                                 \
        const T *s = (const T *)(const void *)src;                                               \
        for (int64_t p0 = 0; p0 < np; p0 += w) {                                                 \
            int64_t pw = min64(w, np - p0);                                                      \
            for (int64_t k = 0; k < kc; k++) {                                                   \
                const T *sk = s + p0 * ps + k * ks;                                              \
                int64_t t = 0;                                                                   \
                for (; t < pw; t++) d[t] = sk[t * ps];                                           \
                for (; t < w; t++) d[t] = 0;                                                     \
                d += w;                                                                          \
            }                                                                                    \
        }                                                                                        \
    } while (0)

static void pack_strips(char *dst, const char *src, int64_t ps, int64_t ks, int64_t np, int64_t kc, int w,
                        size_t es) {
    if (es == 4) PACK_STRIPS(uint32_t);
    else PACK_STRIPS(uint64_t);
}
#undef PACK_STRIPS

/* ---- micro-kernels ------------------------------------------------------------------------- */

/* c [mr, nr] (strides rs, cs) = (accumulate ? c : 0) + ap [kc][MR] @ bp [kc][NR], where only the
 * top-left mr x nr of the MR x NR tile is stored. Constant trip counts let the compiler keep
 * `acc` in vector registers. */
typedef void (*micro_fn)(int64_t kc, const char *ap, const char *bp, char *c, int64_t rs, int64_t cs, int mr,
                         int nr, bool accumulate);

static void micro_f32(int64_t kc, const char *ap_, const char *bp_, char *c_, int64_t rs, int64_t cs, int mr,
                      int nr, bool accumulate) {
    const float *ap = (const float *)(const void *)ap_, *bp = (const float *)(const void *)bp_;
    float *c = (float *)(void *)c_;
    float acc[MR][NR_F32];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR_F32; j++) acc[i][j] = (accumulate && i < mr && j < nr) ? c[i * rs + j * cs] : 0.0f;
    for (int64_t k = 0; k < kc; k++, ap += MR, bp += NR_F32)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR_F32; j++) acc[i][j] += ap[i] * bp[j];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[i * rs + j * cs] = acc[i][j];
}

static void micro_f64(int64_t kc, const char *ap_, const char *bp_, char *c_, int64_t rs, int64_t cs, int mr,
                      int nr, bool accumulate) {
    const double *ap = (const double *)(const void *)ap_, *bp = (const double *)(const void *)bp_;
    double *c = (double *)(void *)c_;
    double acc[MR][NR_F64];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR_F64; j++) acc[i][j] = (accumulate && i < mr && j < nr) ? c[i * rs + j * cs] : 0.0;
    for (int64_t k = 0; k < kc; k++, ap += MR, bp += NR_F64)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR_F64; j++) acc[i][j] += ap[i] * bp[j];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) c[i * rs + j * cs] = acc[i][j];
}

/* ---- blocked float kernel ------------------------------------------------------------------ */

/* Work units are (batch entry, column block, row block) tiles of c, row block fastest, so a
 * worker's consecutive units share one packed b block. */
static void gemm_blocked(const einc__view *a, const einc__view *b, const einc__view *c, const gemm_geom *g,
                         char *scratch, int ith, int nth) {
    size_t es = einc_dtype_size(c->dtype);
    int nr = nr_of(c->dtype);
    micro_fn micro = c->dtype == EINC_FLOAT32 ? micro_f32 : micro_f64;
    char *apack = scratch, *bpack = scratch + packed_a_bytes(g, es);
    int64_t ies = (int64_t)es;
    int64_t mblocks = (g->M + MC - 1) / MC, nblocks = (g->N + NC - 1) / NC;
    int64_t per_batch = mblocks * nblocks;
    int64_t u0, u1;
    einc__split_range(g->nbatch * per_batch, ith, nth, &u0, &u1);
    for (int64_t u = u0; u < u1;) {
        int64_t bi = u / per_batch, jb = u % per_batch / mblocks, ib0 = u % mblocks;
        int64_t run = min64(u1 - u, mblocks - ib0); /* row blocks sharing this b block */
        int64_t oa, ob, oc;
        batch_offsets(a, b, c, g->nb, bi, &oa, &ob, &oc);
        int64_t j0 = jb * NC, nc = min64(NC, g->N - j0);
        for (int64_t k0 = 0;; k0 += KC) {
            int64_t kc = min64(KC, g->K - k0);
            if (kc > 0)
                pack_strips(bpack, b->data + (ob + k0 * g->brs + j0 * g->bcs) * ies, g->bcs, g->brs, nc, kc, nr, es);
            for (int64_t ib = ib0; ib < ib0 + run; ib++) {
                int64_t i0 = ib * MC, mc = min64(MC, g->M - i0);
                if (kc > 0)
                    pack_strips(apack, a->data + (oa + i0 * g->ars + k0 * g->acs) * ies, g->ars, g->acs, mc, kc, MR,
                                es);
                for (int64_t jr = 0; jr < nc; jr += nr)
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        char *cp = c->data + (oc + (i0 + ir) * g->crs + (j0 + jr) * g->ccs) * ies;
                        micro(kc, apack + ir * kc * ies, bpack + jr * kc * ies, cp, g->crs, g->ccs,
                              (int)min64(MR, mc - ir), (int)min64(nr, nc - jr), k0 > 0);
                    }
            }
            if (k0 + KC >= g->K) break;
        }
        u += run;
    }
}

/* ---- integer kernel ------------------------------------------------------------------------ */

/* Rows of c [M, N] are split over workers; each row is built in i-k-j order (b read along its
 * rows). Arithmetic is unsigned so overflow wraps instead of being undefined. */
#define INT_ROWS(T, U)                                                                           \
    do {                                                                                         \
        int64_t r0, r1;                                                                          \
        einc__split_range(g->nbatch * g->M, ith, nth, &r0, &r1);                                 \
        for (int64_t r = r0; r < r1; r++) {                                                      \
            int64_t oa, ob, oc, i = r % g->M;                                                    \
            batch_offsets(a, b, c, g->nb, r / g->M, &oa, &ob, &oc);                              \
            T *cr = (T *)(void *)c->data + oc + i * g->crs;                                      \
            for (int64_t j = 0; j < g->N; j++) cr[j * g->ccs] = 0;                               \
            for (int64_t k = 0; k < g->K; k++) {                                                 \
                U aik = (U)((const T *)(const void *)a->data)[oa + i * g->ars + k * g->acs];     \
                const T *bk = (const T *)(const void *)b->data + ob + k * g->brs;                \
                for (int64_t j = 0; j < g->N; j++)                                               \
                    cr[j * g->ccs] = (T)((U)cr[j * g->ccs] + aik * (U)bk[j * g->bcs]);           \
            }                                                                                    \
        }                                                                                        \
    } while (0)

static void gemm_i32(const einc__view *a, const einc__view *b, const einc__view *c, const gemm_geom *g, int ith,
                     int nth) {
    INT_ROWS(int32_t, uint32_t);
}

static void gemm_i64(const einc__view *a, const einc__view *b, const einc__view *c, const gemm_geom *g, int ith,
                     int nth) {
    INT_ROWS(int64_t, uint64_t);
}
#undef INT_ROWS

void einc__k_gemm(const einc__view *a, const einc__view *b, const einc__view *c, void *scratch, int ith, int nth) {
    gemm_geom g = geom_of(a, b, c);
    if (g.nbatch == 0 || g.M == 0 || g.N == 0) return;
    switch (c->dtype) {
    case EINC_FLOAT32:
    case EINC_FLOAT64:
        gemm_blocked(a, b, c, &g, (char *)scratch + (size_t)ith * einc__k_gemm_scratch(a, b, c), ith, nth);
        return;
    case EINC_INT32: gemm_i32(a, b, c, &g, ith, nth); return;
    case EINC_INT64: gemm_i64(a, b, c, &g, ith, nth); return;
    case EINC_BOOL: return;
    }
}

/* ---- reference ----------------------------------------------------------------------------- */

/* One element per iteration: c[e] = sum over k ascending, accumulated in ACC and stored as T. */
#define REF_LOOP(T, ACC)                                                                         \
    do {                                                                                         \
        int64_t e0, e1;                                                                          \
        einc__split_range(g.nbatch * g.M * g.N, ith, nth, &e0, &e1);                             \
        for (int64_t e = e0; e < e1; e++) {                                                      \
            int64_t j = e % g.N, i = e / g.N % g.M, oa, ob, oc;                                  \
            batch_offsets(a, b, c, g.nb, e / g.N / g.M, &oa, &ob, &oc);                          \
            const T *ad = (const T *)(const void *)a->data, *bd = (const T *)(const void *)b->data; \
            ACC s = 0;                                                                           \
            for (int64_t k = 0; k < g.K; k++)                                                    \
                s += (ACC)ad[oa + i * g.ars + k * g.acs] * (ACC)bd[ob + k * g.brs + j * g.bcs];  \
            ((T *)(void *)c->data)[oc + i * g.crs + j * g.ccs] = (T)s;                           \
        }                                                                                        \
    } while (0)

static void ref_f32(const einc__view *a, const einc__view *b, const einc__view *c, gemm_geom g, int ith, int nth) {
    REF_LOOP(float, float);
}
static void ref_f64(const einc__view *a, const einc__view *b, const einc__view *c, gemm_geom g, int ith, int nth) {
    REF_LOOP(double, double);
}
static void ref_i32(const einc__view *a, const einc__view *b, const einc__view *c, gemm_geom g, int ith, int nth) {
    REF_LOOP(int32_t, uint32_t);
}
static void ref_i64(const einc__view *a, const einc__view *b, const einc__view *c, gemm_geom g, int ith, int nth) {
    REF_LOOP(int64_t, uint64_t);
}
#undef REF_LOOP

void einc__k_gemm_ref(const einc__view *a, const einc__view *b, const einc__view *c, int ith, int nth) {
    gemm_geom g = geom_of(a, b, c);
    if (g.nbatch == 0 || g.M == 0 || g.N == 0) return;
    switch (c->dtype) {
    case EINC_FLOAT32: ref_f32(a, b, c, g, ith, nth); return;
    case EINC_FLOAT64: ref_f64(a, b, c, g, ith, nth); return;
    case EINC_INT32: ref_i32(a, b, c, g, ith, nth); return;
    case EINC_INT64: ref_i64(a, b, c, g, ith, nth); return;
    case EINC_BOOL: return;
    }
}
