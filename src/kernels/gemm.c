/* gemm.c — einc's GEMM: the blocked float32/float64 driver, plain-loop integers, naive reference.
 *
 * The float driver follows the BLIS/Goto layout: a KC x NC panel of b is packed into NR-wide
 * strips, and an MR x NR micro-kernel (gemm.h) keeps its tile of c in registers while it walks
 * k, for each MR-row strip of an MC-row block of a. The micro-kernel and the block sizes come
 * from the dispatch level (gemm_avx512.c, gemm_avx2.c, or the portable one below). a is read in
 * place when its rows or its columns have unit stride (the micro-kernel broadcasts one element
 * per row, so either layout streams), and packed into strips only otherwise and for the last,
 * partial strip of rows. Packing reads any strides (transposed, broadcast, negative), so no
 * operand ever needs a contiguous copy. The k blocks run in ascending order and each reloads
 * the partial tile from c, so every element is the same left-to-right sum over k whatever the
 * blocking and the thread split.
 */
#include "gemm.h"

#if EINC_X86_LEVELS
#include <immintrin.h>
#endif

/* The portable micro-kernels. With GCC or Clang they are gemm_micro.h over the compilers' generic
 * 16-byte vectors (SSE2 on baseline x86-64, NEON on ARM): 6 x 8 float32 / 6 x 4 float64 tiles
 * in 12 accumulators, a multiply and an add per step (no FMA in baseline x86-64). Plain arrays
 * with constant trip counts, which GCC spilled to memory (4.6 GFLOP/s, 14% of the SSE peak),
 * remain only for other compilers. */
#if defined(__GNUC__) || defined(__clang__)
typedef float base_vf __attribute__((vector_size(16)));
typedef double base_vd __attribute__((vector_size(16)));
static inline base_vf base_ld_f(const float *p) {
    base_vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline base_vd base_ld_d(const double *p) {
    base_vd v;
    memcpy(&v, p, sizeof v);
    return v;
}

enum { BASE_MR = 6, BASE_NR_F32 = 8, BASE_NR_F64 = 4 };
#define GEMM_MR BASE_MR
#define GEMM_NV 2
#define GEMM_STORE(p, v) memcpy((p), &(v), sizeof(v))
#define GEMM_STREAM(p, v) GEMM_STORE(p, v)
#define GEMM_FMA(a, b, acc) ((acc) + (a) * (b))

#define GEMM_NAME base_micro_f32
#define GEMM_T float
#define GEMM_V base_vf
#define GEMM_LANES 4
#define GEMM_LOAD(p) base_ld_f(p)
#define GEMM_SET1(x) ((base_vf){(x), (x), (x), (x)})
#define GEMM_ZERO() ((base_vf){0, 0, 0, 0})
#include "gemm_micro.h"
#undef GEMM_NAME
#undef GEMM_T
#undef GEMM_V
#undef GEMM_LANES
#undef GEMM_LOAD
#undef GEMM_SET1
#undef GEMM_ZERO

#define GEMM_NAME base_micro_f64
#define GEMM_T double
#define GEMM_V base_vd
#define GEMM_LANES 2
#define GEMM_LOAD(p) base_ld_d(p)
#define GEMM_SET1(x) ((base_vd){(x), (x)})
#define GEMM_ZERO() ((base_vd){0, 0})
#include "gemm_micro.h"
#undef GEMM_NAME
#undef GEMM_T
#undef GEMM_V
#undef GEMM_LANES
#undef GEMM_LOAD
#undef GEMM_SET1
#undef GEMM_ZERO
#undef GEMM_MR
#undef GEMM_NV
#undef GEMM_STORE
#undef GEMM_STREAM
#undef GEMM_FMA
#else
enum { BASE_MR = 4, BASE_NR_F32 = 8, BASE_NR_F64 = 4 };

#define BASE_MICRO(name, T, NR)                                                                                        \
    static void name(int64_t kc, const void *a_, int64_t ars, int64_t aks, const void *b_, void *c_, int64_t crs,      \
                     int flags) {                                                                                      \
        const T *a = (const T *)a_, *b = (const T *)b_;                                                                \
        T *c = (T *)c_;                                                                                                \
        T acc[BASE_MR][NR];                                                                                            \
        for (int i = 0; i < BASE_MR; i++)                                                                              \
            for (int j = 0; j < NR; j++) acc[i][j] = (flags & EINC__GEMM_ACCUMULATE) ? c[i * crs + j] : (T)0;          \
        for (int64_t k = 0; k < kc; k++, a += aks, b += NR)                                                            \
            for (int i = 0; i < BASE_MR; i++)                                                                          \
                for (int j = 0; j < NR; j++) acc[i][j] += a[i * ars] * b[j];                                           \
        for (int i = 0; i < BASE_MR; i++)                                                                              \
            for (int j = 0; j < NR; j++) c[i * crs + j] = acc[i][j];                                                   \
    }
BASE_MICRO(base_micro_f32, float, BASE_NR_F32)
BASE_MICRO(base_micro_f64, double, BASE_NR_F64)
#undef BASE_MICRO
#endif

static const einc__gemm_kernel base_f32 = {BASE_MR, BASE_NR_F32, 96, 256, 512, base_micro_f32};
static const einc__gemm_kernel base_f64 = {BASE_MR, BASE_NR_F64, 96, 256, 256, base_micro_f64};

/* The kernel of the dispatch level for a float dtype. */
static const einc__gemm_kernel *kernel_for(einc_dtype dtype) {
#if EINC_X86_LEVELS
    int level = einc__cpu_level();
    if (level >= EINC_CPU_AVX512) return einc__gemm_kernel_avx512(dtype);
    if (level >= EINC_CPU_AVX2) return einc__gemm_kernel_avx2(dtype);
#endif
    return dtype == EINC_FLOAT32 ? &base_f32 : &base_f64;
}

/* Largest micro tile of any level (the edge buffer holds one tile). */
enum { MAX_TILE = 6 * 64 };

typedef struct gemm_geom {
    int nb; /* batch dimensions                                   */
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

/* The depth of a k block. A narrow b (N below NC) leaves room in the cache budget of the b panel
 * (KC x NC), so the blocks get deeper, up to the whole sum: attention's p @ v (N = 64) then reads
 * each row of a in one contiguous sweep of K, which the hardware prefetcher streams from memory,
 * instead of K/KC short pieces. */
static int64_t depth(const einc__gemm_kernel *kn, const gemm_geom *g) {
    if (g->K <= 0) return 1;
    int64_t ncols = round_up(min64(g->N, kn->nc), kn->nr), kc = kn->kc * (kn->nc / ncols);
    return min64(g->K, kc);
}

/* Scratch layout of one worker: packed a block [MC/MR strips][KC][MR], then packed b panel
 * [NC/NR strips][KC][NR], each trimmed to the problem and 64-byte aligned. */
static size_t packed_a_bytes(const einc__gemm_kernel *kn, const gemm_geom *g, size_t es) {
    int64_t kc = depth(kn, g);
    return (size_t)round_up(round_up(min64(g->M, kn->mc), kn->mr) * kc * (int64_t)es, EINC_ALIGN);
}

static size_t packed_b_bytes(const einc__gemm_kernel *kn, const gemm_geom *g, size_t es) {
    int64_t kc = depth(kn, g);
    return (size_t)round_up(round_up(min64(g->N, kn->nc), kn->nr) * kc * (int64_t)es, EINC_ALIGN);
}

size_t einc__k_gemm_scratch(const einc__view *a, const einc__view *b, const einc__view *c) {
    if (c->dtype != EINC_FLOAT32 && c->dtype != EINC_FLOAT64) return 0;
    gemm_geom g = geom_of(a, b, c);
    if (g.M == 0 || g.N == 0) return 0;
    size_t es = einc_dtype_size(c->dtype);
    const einc__gemm_kernel *kn = kernel_for(c->dtype);
    return packed_a_bytes(kn, &g, es) + packed_b_bytes(kn, &g, es);
}

/* ---- packing ------------------------------------------------------------------------------- */

/* Copies np x kc elements X(p, k) = src[p*ps + k*ks] into strips of w along p:
 * dst [ceil(np/w)][kc][w], zero-padding the last strip. Serves a (p = row, w = MR) and b
 * (p = column, w = NR). Elements are moved as raw 4- or 8-byte words. The writes run in
 * dst's order: when p is not contiguous in src (a transposed operand) each k step reads one
 * element from each of w source lines, and those w lines stay in L1 for the next steps. Writing
 * in src's order instead would store with a 4 KiB-multiple stride, which stalls on aliasing. */
#define PACK_STRIPS(T)                                                                                                 \
    do {                                                                                                               \
        T *d = (T *)(void *)dst;                                                                                       \
        const T *s = (const T *)(const void *)src;                                                                     \
        for (int64_t p0 = 0; p0 < np; p0 += w, d += kc * w) {                                                          \
            int64_t pw = min64(w, np - p0);                                                                            \
            const T *sp = s + p0 * ps;                                                                                 \
            for (int64_t k = 0; k < kc; k++) {                                                                         \
                T *dk = d + k * w;                                                                                     \
                const T *sk = sp + k * ks;                                                                             \
                int64_t t = 0;                                                                                         \
                if (ps == 1)                                                                                           \
                    for (; t < pw; t++) dk[t] = sk[t];                                                                 \
                else                                                                                                   \
                    for (; t < pw; t++) dk[t] = sk[t * ps];                                                            \
                for (; t < w; t++) dk[t] = 0;                                                                          \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static void pack_strips(char *dst, const char *src, int64_t ps, int64_t ks, int64_t np, int64_t kc, int w, size_t es) {
    if (es == 4) PACK_STRIPS(uint32_t);
    else PACK_STRIPS(uint64_t);
}
#undef PACK_STRIPS

/* ---- blocked float kernel ------------------------------------------------------------------ */

/* One tile: c [mr, nr] (strides crs, ccs) (+)= a strip @ b strip. A full tile with unit column
 * stride is computed in place; any other goes through an MR x NR buffer (and is never streamed). */
static void tile(const einc__gemm_kernel *kn, int64_t kc, const char *a, int64_t ars, int64_t aks, const char *bp,
                 char *c, int64_t crs, int64_t ccs, int mr, int nr, int flags, size_t es) {
    if (mr == kn->mr && nr == kn->nr && ccs == 1) {
        if ((uintptr_t)c % 64 != 0) flags &= ~EINC__GEMM_STREAM;
        kn->micro(kc, a, ars, aks, bp, c, crs, flags);
        return;
    }
    /* an edge tile (or strided c): through a full tile in a buffer, a row at a time when c's rows
     * are contiguous (an element at a time cost a module's small products a third of their time) */
    _Alignas(64) char buf[MAX_TILE * sizeof(double)];
    for (int i = 0; i < mr; i++)
        if (ccs == 1) memcpy(buf + (size_t)(i * kn->nr) * es, c + i * crs * (int64_t)es, (size_t)nr * es);
        else
            for (int j = 0; j < nr; j++)
                memcpy(buf + (size_t)(i * kn->nr + j) * es, c + (i * crs + j * ccs) * (int64_t)es, es);
    kn->micro(kc, a, ars, aks, bp, buf, kn->nr, flags & ~EINC__GEMM_STREAM);
    for (int i = 0; i < mr; i++)
        if (ccs == 1) memcpy(c + i * crs * (int64_t)es, buf + (size_t)(i * kn->nr) * es, (size_t)nr * es);
        else
            for (int j = 0; j < nr; j++)
                memcpy(c + (i * crs + j * ccs) * (int64_t)es, buf + (size_t)(i * kn->nr + j) * es, es);
}

/* On Intel CPUs a c at least this large is written with non-temporal stores: it cannot stay in
 * the caches anyway, and ordinary stores would first read every line of it (read-for-ownership),
 * which for a short sum (attention's q @ k^T, K = 64) cost as much time as the arithmetic on the
 * Sapphire Rapids VM. On AMD Zen 3 the same stores made that product 1.2x slower and a 2048^2
 * product 1.3-1.6x slower (the tiles go out in column strips, 64 bytes per row of c, and a k block
 * after the first streams lines it has just read), so elsewhere c is written through the cache. */
#define STREAM_MIN_BYTES ((int64_t)16 << 20)

/* Asks for the next tile of c while this one is computed: its rows are a row stride apart, which
 * no hardware prefetcher follows, and the micro-kernel reads them first thing (a k block after
 * the first) or writes them last. 2048^2 on Zen 3: 83% -> 86% of the FMA peak. */
static void prefetch_tile(const char *c, int64_t row_bytes, int64_t rows, int64_t tile_bytes) {
#if defined(__GNUC__) || defined(__clang__)
    for (int64_t i = 0; i < rows; i++) {
        __builtin_prefetch(c + i * row_bytes, 1, 3);
        __builtin_prefetch(c + i * row_bytes + tile_bytes - 1, 1, 3);
    }
#else
    (void)c, (void)row_bytes, (void)rows, (void)tile_bytes;
#endif
}

/* Work units are (batch entry, column block, row block) tiles of c, row block fastest, so a
 * worker's consecutive units share one packed b panel. */
static void gemm_blocked(const einc__view *a, const einc__view *b, const einc__view *c, const gemm_geom *g,
                         char *scratch, int ith, int nth) {
    size_t es = einc_dtype_size(c->dtype);
    const einc__gemm_kernel *kn = kernel_for(c->dtype);
    const int64_t MR = kn->mr, NR = kn->nr, MC = kn->mc, KC = depth(kn, g), NC = kn->nc;
    char *apack = scratch, *bpack = scratch + packed_a_bytes(kn, g, es);
    int64_t ies = (int64_t)es;
    /* a in place: element (i, k) at i*ars + k*acs needs one of the two strides to be 1 */
    bool a_direct = g->acs == 1 || g->ars == 1;
    int64_t cbytes;
    bool stream = einc__cpu_is_intel() && g->ccs == 1 && (g->crs * ies) % 64 == 0 &&
                  !__builtin_mul_overflow(g->nbatch * g->M, g->N * ies, &cbytes) && cbytes >= STREAM_MIN_BYTES;
    int64_t mblocks = (g->M + MC - 1) / MC, nblocks = (g->N + NC - 1) / NC;
    int64_t per_batch = mblocks * nblocks;
    int64_t u0, u1;
    einc__split_range(g->nbatch * per_batch, ith, nth, &u0, &u1);
    for (int64_t u = u0; u < u1;) {
        int64_t bi = u / per_batch, jb = u % per_batch / mblocks, ib0 = u % mblocks;
        int64_t run = min64(u1 - u, mblocks - ib0); /* row blocks sharing this b panel */
        int64_t oa, ob, oc;
        batch_offsets(a, b, c, g->nb, bi, &oa, &ob, &oc);
        int64_t j0 = jb * NC, nc = min64(NC, g->N - j0);
        for (int64_t k0 = 0;; k0 += KC) {
            int64_t kc = min64(KC, g->K - k0);
            int flags = (k0 > 0 ? EINC__GEMM_ACCUMULATE : 0) | (stream && k0 + KC >= g->K ? EINC__GEMM_STREAM : 0);
            if (kc > 0)
                pack_strips(bpack, b->data + (ob + k0 * g->brs + j0 * g->bcs) * ies, g->bcs, g->brs, nc, kc, (int)NR,
                            es);
            for (int64_t ib = ib0; ib < ib0 + run; ib++) {
                int64_t i0 = ib * MC, mc = min64(MC, g->M - i0);
                const char *ablk = a->data + (oa + i0 * g->ars + k0 * g->acs) * ies;
                /* rows [0, full) are read in place, the rest from packed strips */
                int64_t full = a_direct && kc > 0 ? mc / MR * MR : 0;
                if (kc > 0 && full < mc)
                    pack_strips(apack, ablk + full * g->ars * ies, g->ars, g->acs, mc - full, kc, (int)MR, es);
                for (int64_t jr = 0; jr < nc; jr += NR)
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        char *cp = c->data + (oc + (i0 + ir) * g->crs + (j0 + jr) * g->ccs) * ies;
                        if (ir + MR < mc) prefetch_tile(cp + MR * g->crs * ies, g->crs * ies, MR, NR * ies);
                        const char *ap = ir < full ? ablk + ir * g->ars * ies : apack + (ir - full) * kc * ies;
                        int64_t ars = ir < full ? (g->acs == 1 ? g->ars : 1) : 1;
                        int64_t aks = ir < full ? (g->acs == 1 ? 1 : g->acs) : MR;
                        tile(kn, kc, ap, ars, aks, bpack + jr * kc * ies, cp, g->crs, g->ccs, (int)min64(MR, mc - ir),
                             (int)min64(NR, nc - jr), flags, es);
                    }
            }
            if (k0 + KC >= g->K) break;
        }
        u += run;
    }
#if EINC_X86_LEVELS
    if (stream) _mm_sfence(); /* the streamed stores are visible before the workers join */
#endif
}

/* ---- integer kernel ------------------------------------------------------------------------ */

/* Rows of c [M, N] are split over workers; each row is built in i-k-j order (b read along its
 * rows). Arithmetic is unsigned so overflow wraps instead of being undefined. */
#define INT_ROWS(T, U)                                                                                                 \
    do {                                                                                                               \
        int64_t r0, r1;                                                                                                \
        einc__split_range(g->nbatch * g->M, ith, nth, &r0, &r1);                                                       \
        for (int64_t r = r0; r < r1; r++) {                                                                            \
            int64_t oa, ob, oc, i = r % g->M;                                                                          \
            batch_offsets(a, b, c, g->nb, r / g->M, &oa, &ob, &oc);                                                    \
            T *cr = (T *)(void *)c->data + oc + i * g->crs;                                                            \
            for (int64_t j = 0; j < g->N; j++) cr[j * g->ccs] = 0;                                                     \
            for (int64_t k = 0; k < g->K; k++) {                                                                       \
                U aik = (U)((const T *)(const void *)a->data)[oa + i * g->ars + k * g->acs];                           \
                const T *bk = (const T *)(const void *)b->data + ob + k * g->brs;                                      \
                for (int64_t j = 0; j < g->N; j++) cr[j * g->ccs] = (T)((U)cr[j * g->ccs] + aik * (U)bk[j * g->bcs]);  \
            }                                                                                                          \
        }                                                                                                              \
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
    case EINC_BOOL:
    default: return; /* the operations reject these dtypes */
    }
}

/* ---- reference ----------------------------------------------------------------------------- */

/* One element per iteration: c[e] = sum over k ascending, accumulated in ACC and stored as T. */
#define REF_LOOP(T, ACC)                                                                                               \
    do {                                                                                                               \
        int64_t e0, e1;                                                                                                \
        einc__split_range(g.nbatch *g.M *g.N, ith, nth, &e0, &e1);                                                     \
        for (int64_t e = e0; e < e1; e++) {                                                                            \
            int64_t j = e % g.N, i = e / g.N % g.M, oa, ob, oc;                                                        \
            batch_offsets(a, b, c, g.nb, e / g.N / g.M, &oa, &ob, &oc);                                                \
            const T *ad = (const T *)(const void *)a->data, *bd = (const T *)(const void *)b->data;                    \
            ACC s = 0;                                                                                                 \
            for (int64_t k = 0; k < g.K; k++)                                                                          \
                s += (ACC)ad[oa + i * g.ars + k * g.acs] * (ACC)bd[ob + k * g.brs + j * g.bcs];                        \
            ((T *)(void *)c->data)[oc + i * g.crs + j * g.ccs] = (T)s;                                                 \
        }                                                                                                              \
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
    case EINC_BOOL:
    default: return; /* the operations reject these dtypes */
    }
}
