/* attention.c — fused attention (attention.h): the tiled float32 forward and backward over a
 * level's micro-kernels and row steps, and the row-at-a-time reference used for float64, the
 * baseline level and the tests.
 *
 * Blocks. A work piece is BR = 96 query rows (16 strips of the micro-kernels' 6 rows) against
 * the keys in blocks of BC = 256. Per key block the strips of the piece reuse its packed keys and
 * values (256 x d and 256 x e floats: 32 KiB each for d = e = 32, read from L1 and L2), while the
 * piece's own rows (96 x (d + e)) and its score tile (96 x 256, 96 KiB) stay in L2. A score row of
 * 256 gives the exp pass 16 full vectors per row between the two products; BC = 128 measured
 * slower (the per-row work of the online softmax is amortised over fewer keys) and BR = 48 the
 * same within noise.
 */
#include <math.h>
#include <string.h>

#include "attention.h"
#include "kernels.h"
#include "vecmath.h"

enum { BR = 96, BC = 256 };

/* What q is packed times for the forward: the scale, and log2(e) for its base-2 scores
 * (vecmath.h), multiplied in double and rounded once. */
static float forward_q_scale(const einc__attn *a) { return (float)(a->scale * EINC__LOG2E); }

#if EINC_X86_LEVELS
/* The levels' parts: the GEMM's 6-row micro-kernel at every width (gemm.h), so a head of 16, 32
 * or 48 is not padded to 64 in the P v and dS k products, and the online-softmax row steps
 * (vecmath.h). One MR for every width keeps the row strips of a query block the same for all
 * products. The narrow tiles have fewer accumulators (6 and 12) than the 8 FMAs in flight two
 * FMA ports need at 4 cycles' latency: 6 x 16 runs at about 3/4 of the peak, 6 x 32 and up at
 * the GEMM's rate. */
static const einc__attn_kernels level_avx512 = {6,
                                                16,
                                                4,
                                                einc__gemm_micro_f32_widths_avx512,
                                                einc__vm_attn_fwd_rows_f32_avx512,
                                                einc__vm_attn_bwd_rows_f32_avx512,
                                                einc__vm_attn_narrow_f32_avx512};
static const einc__attn_kernels level_avx2 = {6,
                                              8,
                                              2,
                                              einc__gemm_micro_f32_widths_avx2,
                                              einc__vm_attn_fwd_rows_f32_avx2,
                                              einc__vm_attn_bwd_rows_f32_avx2,
                                              einc__vm_attn_narrow_f32_avx2};

const einc__attn_kernels *einc__attn_kernels_avx2(void) { return &level_avx2; }
const einc__attn_kernels *einc__attn_kernels_avx512(void) { return &level_avx512; }
#endif

static const einc__attn_kernels *kernels_for(const einc__attn *a) {
#if EINC_X86_LEVELS
    if (a->q.dtype != EINC_FLOAT32) return NULL;
    int level = a->level >= 0 ? a->level : einc__cpu_level();
    if (level >= EINC_CPU_AVX512) return &level_avx512;
    if (level >= EINC_CPU_AVX2) return &level_avx2;
#else
    (void)a;
#endif
    return NULL;
}

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/* ---- geometry ------------------------------------------------------------------------------- */

typedef struct {
    int64_t nbatch, nq, n, m, d, e;
    int64_t dp, ep; /* d, e rounded up to the lanes                                       */
    int64_t kw;     /* width of a key strip of the score products (maxnv * lanes)          */
    int64_t nks;    /* key strips: ceil(m / kw)                                            */
} geom;

static geom geometry(const einc__attn *a, const einc__attn_kernels *kn) {
    geom g;
    int nb = a->nb;
    g.nbatch = 1;
    for (int i = 0; i < nb; i++) g.nbatch *= a->q.shape[i];
    g.n = a->q.shape[nb], g.d = a->q.shape[nb + 1], g.m = a->k.shape[nb], g.e = a->v.shape[nb + 1];
    g.nq = (g.n + BR - 1) / BR;
    int64_t lanes = kn ? kn->lanes : 1;
    g.dp = round_up(g.d, lanes), g.ep = round_up(g.e, lanes);
    g.kw = kn ? (int64_t)kn->maxnv * kn->lanes : 1;
    g.nks = (g.m + g.kw - 1) / g.kw;
    return g;
}

/* The element offset of batch entry bi in view v (the first nb dimensions are the batch). */
static int64_t batch_offset(const einc__view *v, int nb, int64_t bi) {
    int64_t off = 0;
    for (int i = nb - 1; i >= 0; i--) {
        off += (bi % v->shape[i]) * v->strides[i];
        bi /= v->shape[i];
    }
    return off;
}

/* A 2-d float32 matrix of a batch entry: element (r, c) at p[r * rs + c * cs]. */
typedef struct {
    float *p;
    int64_t rs, cs;
} mat;

static mat mat_of(const einc__view *v, int nb, int64_t bi) {
    mat x = {NULL, 0, 0};
    if (!v->data) return x;
    x.p = (float *)v->data + batch_offset(v, nb, bi);
    x.rs = v->strides[nb];
    x.cs = v->ndim > nb + 1 ? v->strides[nb + 1] : 0;
    return x;
}

/* ---- packing ------------------------------------------------------------------------------- */

/* dst [rows_pad][cols] row-major = f * src rows [r0, r0 + rows) (zeros after): an a operand. q is
 * packed times the scale, which spares the row steps a multiply per score. */
static void pack_rows(float *dst, mat src, int64_t r0, int64_t rows, int64_t rows_pad, int64_t cols, float f) {
    for (int64_t r = 0; r < rows_pad; r++)
        for (int64_t c = 0; c < cols; c++)
            dst[r * cols + c] = r < rows ? f * src.p[(r0 + r) * src.rs + c * src.cs] : 0.0f;
}

/* The widths of the column strips a product with `cols` output columns is split into: strips
 * of maxnv vectors, the last one narrower (rounded up to whole vectors). */
static int64_t strip_width(const einc__attn_kernels *kn, int64_t cols, int64_t c0) {
    int64_t full = (int64_t)kn->maxnv * kn->lanes, left = round_up(cols, kn->lanes) - c0;
    return left < full ? left : full;
}

/* dst = src [rows][cols] as b operand strips: strip of columns [c0, c0 + w) stored as
 * [rows][w] at dst + rows * c0 (zeros past cols). */
static void pack_strips(float *dst, const einc__attn_kernels *kn, mat src, int64_t rows, int64_t cols) {
    for (int64_t c0 = 0; c0 < round_up(cols, kn->lanes); c0 += strip_width(kn, cols, c0)) {
        int64_t w = strip_width(kn, cols, c0);
        float *s = dst + rows * c0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < w; c++) s[r * w + c] = c0 + c < cols ? src.p[r * src.rs + (c0 + c) * src.cs] : 0.0f;
    }
}

/* dst = src^T for src [rows][cols] in strips of kw rows of src: strip s is [cols][kw] holding
 * src rows [s kw, s kw + kw) as columns (zeros past rows): the b operand of a product with src^T. */
static void pack_transposed(float *dst, mat src, int64_t rows, int64_t cols, int64_t kw) {
    for (int64_t s0 = 0; s0 < rows; s0 += kw) {
        float *s = dst + s0 * cols;
        for (int64_t c = 0; c < cols; c++)
            for (int64_t j = 0; j < kw; j++)
                s[c * kw + j] = s0 + j < rows ? src.p[(s0 + j) * src.rs + c * src.cs] : 0.0f;
    }
}

/* c [nrows_pad x cols] (row stride ldc) op= a @ b over kc, where a's row strips start at
 * a + r * ars and b is packed in strips (pack_strips layout for `brows` rows, starting at row
 * b_row0). */
static void product_strips(const einc__attn_kernels *kn, int64_t nrows_pad, int64_t kc, const float *a, int64_t ars,
                           int64_t aks, const float *b, int64_t brows, int64_t b_row0, int64_t cols, float *c,
                           int64_t ldc, int flags) {
    if (kc <= 0 && (flags & EINC__GEMM_ACCUMULATE)) return;
    for (int64_t c0 = 0; c0 < round_up(cols, kn->lanes); c0 += strip_width(kn, cols, c0)) {
        int64_t w = strip_width(kn, cols, c0);
        einc__gemm_micro_fn f = kn->micro[w / kn->lanes];
        const float *bs = b + brows * c0 + b_row0 * w;
        for (int64_t r = 0; r < nrows_pad; r += kn->mr) f(kc, a + r * ars, ars, aks, bs, c + r * ldc + c0, ldc, flags);
    }
}

/* The bias tile [nr][BC] (zeros past nc, so full vectors read finite values). */
static void gather_bias(float *dst, mat b, int64_t i0, int64_t j0, int64_t nr, int64_t nc) {
    int64_t ncp = round_up(nc, 16);
    for (int64_t r = 0; r < nr; r++)
        for (int64_t c = 0; c < ncp; c++) dst[r * BC + c] = c < nc ? b.p[(i0 + r) * b.rs + (j0 + c) * b.cs] : 0.0f;
}

/* ---- forward ------------------------------------------------------------------------------- */

typedef struct {
    float *kt, *vp, *qa, *s, *bt, *o, *m, *l;
} fwd_scratch;

static size_t fwd_layout(const geom *g, float *base, fwd_scratch *f) {
    size_t sizes[8] = {(size_t)(g->nks * g->kw * g->d),
                       (size_t)(g->m * g->ep),
                       (size_t)(BR * g->d),
                       (size_t)(BR * BC),
                       (size_t)(BR * BC),
                       (size_t)(BR * g->ep),
                       (size_t)BR,
                       (size_t)BR};
    float **dst[8] = {&f->kt, &f->vp, &f->qa, &f->s, &f->bt, &f->o, &f->m, &f->l};
    size_t off = 0;
    for (int i = 0; i < 8; i++) {
        if (base) *dst[i] = base + off;
        off += (size_t)round_up((int64_t)sizes[i], 16); /* 64-byte aligned parts */
    }
    return off * sizeof(float);
}

/* One work piece: query rows [i0, i0 + nr) of batch entry bi; keys and values already packed. */
static void fwd_piece(const einc__attn *a, const einc__attn_kernels *kn, const geom *g, const fwd_scratch *f,
                      int64_t bi, int64_t i0) {
    int nb = a->nb;
    int64_t nr = g->n - i0 < BR ? g->n - i0 : BR, nrp = round_up(nr, kn->mr);
    mat q = mat_of(&a->q, nb, bi), o = mat_of(&a->o, nb, bi), bias = mat_of(&a->bias, nb, bi);
    pack_rows(f->qa, q, i0, nr, nrp, g->d, forward_q_scale(a));
    for (int64_t r = 0; r < nrp; r++) {
        f->m[r] = -INFINITY, f->l[r] = 0.0f;
        for (int64_t c = 0; c < g->ep; c++) f->o[r * g->ep + c] = 0.0f;
    }
    int64_t jend = a->causal ? (i0 + nr < g->m ? i0 + nr : g->m) : g->m;
    for (int64_t j0 = 0; j0 < jend; j0 += BC) {
        int64_t nc = jend - j0 < BC ? jend - j0 : BC;
        /* S [nrp x BC] = q_block @ k_block^T */
        for (int64_t s0 = 0; s0 < nc; s0 += g->kw)
            for (int64_t r = 0; r < nrp; r += kn->mr)
                kn->micro[kn->maxnv](g->d, f->qa + r * g->d, g->d, 1, f->kt + (j0 + s0) * g->d, f->s + r * BC + s0, BC,
                                     0);
        if (bias.p) gather_bias(f->bt, bias, i0, j0, nr, nc);
        kn->fwd_rows(f->s, BC, bias.p ? f->bt : NULL, nr, nc, a->causal ? i0 + 1 - j0 : nc, a->causal ? 1 : 0, 1.0f,
                     f->m, f->l, f->o, g->ep, g->ep);
        /* O [nrp x ep] += P @ v_block */
        product_strips(kn, nrp, nc, f->s, BC, 1, f->vp, g->m, j0, g->e, f->o, g->ep, EINC__GEMM_ACCUMULATE);
    }
    mat lse = mat_of(&a->lse, nb, bi);
    for (int64_t r = 0; r < nr; r++) {
        float inv = 1.0f / f->l[r];
        for (int64_t c = 0; c < g->e; c++) o.p[(i0 + r) * o.rs + c * o.cs] = f->o[r * g->ep + c] * inv;
        if (lse.p) lse.p[(i0 + r) * lse.rs] = f->m[r] * EINC__LN2_F + logf(f->l[r]);
    }
}

/* ---- forward, narrow heads ----------------------------------------------------------------- */

static bool is_narrow(const geom *g) { return g->d <= EINC__ATTN_NARROW && g->e <= EINC__ATTN_NARROW; }

typedef struct {
    float *kt, *vt, *qs, *brow; /* [dp][ldk], [ep][ldk], [R][dp], [R][ldk]: R = EINC__ATTN_NARROW_ROWS */
    int64_t ldk, dp, ep;
} narrow_scratch;

static size_t narrow_layout(const geom *g, float *base, narrow_scratch *f) {
    f->ldk = round_up(g->m, 16), f->dp = EINC__ATTN_NARROW_PAD(g->d), f->ep = EINC__ATTN_NARROW_PAD(g->e);
    size_t sizes[4] = {(size_t)(f->dp * f->ldk), (size_t)(f->ep * f->ldk), (size_t)(EINC__ATTN_NARROW_ROWS * f->dp),
                       (size_t)(EINC__ATTN_NARROW_ROWS * f->ldk)};
    float **dst[4] = {&f->kt, &f->vt, &f->qs, &f->brow};
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        if (base) *dst[i] = base + off;
        off += (size_t)round_up((int64_t)sizes[i], 16);
    }
    return off * sizeof(float);
}

/* dst [cols_pad][ld] = src^T for src [rows][cols], zeros from row `rows` to ld and from column
 * `cols` to cols_pad. */
static void pack_columns(float *dst, mat src, int64_t rows, int64_t cols, int64_t cols_pad, int64_t ld) {
    for (int64_t c = 0; c < cols; c++) { /* no tests inside: the padding is zeroed apart */
        float *d = dst + c * ld;
        const float *sp = src.p + c * src.cs;
        for (int64_t r = 0; r < rows; r++) d[r] = sp[r * src.rs];
        memset(d + rows, 0, sizeof(float) * (size_t)(ld - rows));
    }
    memset(dst + cols * ld, 0, sizeof(float) * (size_t)((cols_pad - cols) * ld));
}

static void narrow_forward(const einc__attn *a, const einc__attn_kernels *kn, const geom *g, narrow_scratch *f,
                           int64_t begin, int64_t end) {
    int nb = a->nb;
    int64_t packed = -1;
    for (int64_t p = begin; p < end; p++) {
        int64_t bi = p / g->nq, i0 = (p % g->nq) * BR, nr = g->n - i0 < BR ? g->n - i0 : BR;
        if (bi != packed) { /* a new batch entry: k^T and v^T, packed once per worker */
            pack_columns(f->kt, mat_of(&a->k, nb, bi), g->m, g->d, f->dp, f->ldk);
            pack_columns(f->vt, mat_of(&a->v, nb, bi), g->m, g->e, f->ep, f->ldk);
            packed = bi;
        }
        mat q = mat_of(&a->q, nb, bi), o = mat_of(&a->o, nb, bi), bias = mat_of(&a->bias, nb, bi);
        mat lse = mat_of(&a->lse, nb, bi);
        float scale = forward_q_scale(a);
        enum { R = EINC__ATTN_NARROW_ROWS };
        for (int64_t c = 0; c < R * f->dp; c++) f->qs[c] = 0.0f; /* the padding columns stay 0 */
        for (int64_t i = i0; i < i0 + nr; i += R) {              /* R rows at a time: their chains overlap */
            int rows = i0 + nr - i < R ? (int)(i0 + nr - i) : R;
            for (int r = 0; r < rows; r++) {
                for (int64_t c = 0; c < g->d; c++) f->qs[r * f->dp + c] = scale * q.p[(i + r) * q.rs + c * q.cs];
                if (bias.p)
                    for (int64_t j = 0; j < f->ldk; j++)
                        f->brow[r * f->ldk + j] = j < g->m ? bias.p[(i + r) * bias.rs + j * bias.cs] : 0.0f;
            }
            kn->narrow(f->qs, g->d, f->kt, f->vt, f->ldk, g->e, bias.p ? f->brow : NULL, g->m, a->causal ? i + 1 : g->m,
                       a->causal ? 1 : 0, rows, o.p + i * o.rs, o.rs, o.cs, lse.p ? lse.p + i * lse.rs : NULL, lse.rs);
        }
    }
}

void einc__k_attention(const einc__attn *a, void *scratch, int ith, int nth) {
    const einc__attn_kernels *kn = kernels_for(a);
    if (!kn) {
        einc__k_attention_ref(a, scratch, ith, nth);
        return;
    }
    geom g = geometry(a, kn);
    if (is_narrow(&g)) {
        narrow_scratch f;
        narrow_layout(&g, (float *)scratch, &f);
        int64_t begin, end;
        einc__split_range(g.nbatch * g.nq, ith, nth, &begin, &end);
        narrow_forward(a, kn, &g, &f, begin, end);
        return;
    }
    fwd_scratch f;
    fwd_layout(&g, (float *)scratch, &f);
    int64_t begin, end, packed = -1;
    einc__split_range(g.nbatch * g.nq, ith, nth, &begin, &end);
    for (int64_t p = begin; p < end; p++) {
        int64_t bi = p / g.nq, i0 = (p % g.nq) * BR;
        if (bi != packed) { /* a new batch entry: its keys and values, packed once per worker */
            pack_transposed(f.kt, mat_of(&a->k, a->nb, bi), g.m, g.d, g.kw);
            pack_strips(f.vp, kn, mat_of(&a->v, a->nb, bi), g.m, g.e);
            packed = bi;
        }
        fwd_piece(a, kn, &g, &f, bi, i0);
    }
}

/* ---- backward (FlashAttention-2's order: key blocks outside, query blocks inside) ----------- */

typedef struct {
    float *qa, *qb, *kt, *kb, *vt, *doa, *dob, *dq, *dk, *dv, *s, *dp, *bt, *lse, *dd;
} bwd_scratch;

static size_t bwd_layout(const geom *g, int mr, float *base, bwd_scratch *f) {
    int64_t np = round_up(g->n, mr), bcp = round_up(BC, mr);
    int64_t sizes[15] = {np * g->d,
                         g->n * g->dp,
                         g->nks * g->kw * g->d,
                         g->m * g->dp,
                         g->nks * g->kw * g->e,
                         np * g->e,
                         g->n * g->ep,
                         np * g->dp,
                         bcp * g->dp,
                         bcp * g->ep,
                         BR * BC,
                         BR * BC,
                         BR * BC,
                         g->n,
                         g->n};
    float **dst[15] = {&f->qa, &f->qb, &f->kt, &f->kb, &f->vt, &f->doa, &f->dob, &f->dq,
                       &f->dk, &f->dv, &f->s,  &f->dp, &f->bt, &f->lse, &f->dd};
    size_t off = 0;
    for (int i = 0; i < 15; i++) {
        if (base) *dst[i] = base + off;
        off += (size_t)round_up(sizes[i], 16);
    }
    return off * sizeof(float);
}

static void bwd_entry(const einc__attn *a, const einc__attn_kernels *kn, const geom *g, const bwd_scratch *f,
                      int64_t bi) {
    int nb = a->nb, mr = kn->mr;
    int64_t n = g->n, m = g->m, d = g->d, e = g->e, np = round_up(n, mr);
    mat q = mat_of(&a->q, nb, bi), k = mat_of(&a->k, nb, bi), v = mat_of(&a->v, nb, bi), o = mat_of(&a->o, nb, bi);
    mat dout = mat_of(&a->dout, nb, bi), lse = mat_of(&a->lse, nb, bi), bias = mat_of(&a->bias, nb, bi);
    mat dq = mat_of(&a->dq, nb, bi), dk = mat_of(&a->dk, nb, bi), dv = mat_of(&a->dv, nb, bi);
    mat dbias = mat_of(&a->dbias, nb, bi);
    float scale = (float)a->scale;
    pack_rows(f->qa, q, 0, n, np, d, scale);
    pack_strips(f->qb, kn, q, n, d);
    pack_transposed(f->kt, k, m, d, g->kw);
    pack_strips(f->kb, kn, k, m, d);
    pack_transposed(f->vt, v, m, e, g->kw);
    pack_rows(f->doa, dout, 0, n, np, e, 1.0f);
    pack_strips(f->dob, kn, dout, n, e);
    for (int64_t i = 0; i < n; i++) { /* D_i = dout_i . o_i; lse as float32 */
        double s = 0;
        for (int64_t c = 0; c < e; c++) s += (double)dout.p[i * dout.rs + c * dout.cs] * o.p[i * o.rs + c * o.cs];
        f->dd[i] = (float)s;
        f->lse[i] = lse.p[i * lse.rs];
    }
    for (int64_t i = 0; i < np * g->dp; i++) f->dq[i] = 0.0f;
    for (int64_t j0 = 0; j0 < m; j0 += BC) {
        int64_t nc = m - j0 < BC ? m - j0 : BC, ncp = round_up(nc, mr);
        for (int64_t i = 0; i < ncp * g->dp; i++) f->dk[i] = 0.0f;
        for (int64_t i = 0; i < ncp * g->ep; i++) f->dv[i] = 0.0f;
        int64_t istart = a->causal ? j0 / BR * BR : 0; /* causal: rows before j0 see none of these keys */
        for (int64_t i0 = istart; i0 < n; i0 += BR) {
            int64_t nr = n - i0 < BR ? n - i0 : BR, nrp = round_up(nr, mr);
            for (int64_t s0 = 0; s0 < nc; s0 += g->kw)
                for (int64_t r = 0; r < nrp; r += mr) {
                    /* S = q_i k_j^T, dP = dout_i v_j^T */
                    kn->micro[kn->maxnv](d, f->qa + (i0 + r) * d, d, 1, f->kt + (j0 + s0) * d, f->s + r * BC + s0, BC,
                                         0);
                    kn->micro[kn->maxnv](e, f->doa + (i0 + r) * e, e, 1, f->vt + (j0 + s0) * e, f->dp + r * BC + s0, BC,
                                         0);
                }
            if (bias.p) gather_bias(f->bt, bias, i0, j0, nr, nc);
            kn->bwd_rows(f->s, f->dp, BC, bias.p ? f->bt : NULL, nr, nc, a->causal ? i0 + 1 - j0 : nc,
                         a->causal ? 1 : 0, 1.0f, f->lse + i0, f->dd + i0);
            /* dv_j += P^T dout_i, dk_j += dX^T q_i (unscaled), dq_i += dX k_j (unscaled) */
            product_strips(kn, ncp, nr, f->s, 1, BC, f->dob, n, i0, e, f->dv, g->ep, EINC__GEMM_ACCUMULATE);
            product_strips(kn, ncp, nr, f->dp, 1, BC, f->qb, n, i0, d, f->dk, g->dp, EINC__GEMM_ACCUMULATE);
            product_strips(kn, nrp, nc, f->dp, BC, 1, f->kb, m, j0, d, f->dq + i0 * g->dp, g->dp,
                           EINC__GEMM_ACCUMULATE);
            if (dbias.p)
                for (int64_t r = 0; r < nr; r++)
                    for (int64_t c = 0; c < nc; c++)
                        dbias.p[(i0 + r) * dbias.rs + (j0 + c) * dbias.cs] += f->dp[r * BC + c];
        }
        for (int64_t j = 0; j < nc; j++) {
            if (dk.p)
                for (int64_t c = 0; c < d; c++) dk.p[(j0 + j) * dk.rs + c * dk.cs] = f->dk[j * g->dp + c] * scale;
            if (dv.p)
                for (int64_t c = 0; c < e; c++) dv.p[(j0 + j) * dv.rs + c * dv.cs] = f->dv[j * g->ep + c];
        }
    }
    if (dq.p)
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0; c < d; c++) dq.p[i * dq.rs + c * dq.cs] = f->dq[i * g->dp + c] * scale;
}

void einc__k_attention_backward(const einc__attn *a, void *scratch, int ith, int nth) {
    const einc__attn_kernels *kn = kernels_for(a);
    if (!kn) {
        einc__k_attention_backward_ref(a, scratch, ith, nth);
        return;
    }
    geom g = geometry(a, kn);
    bwd_scratch f;
    bwd_layout(&g, kn->mr, (float *)scratch, &f);
    int64_t begin, end;
    einc__split_range(g.nbatch, ith, nth, &begin, &end);
    for (int64_t bi = begin; bi < end; bi++) bwd_entry(a, kn, &g, &f, bi);
}

size_t einc__k_attention_scratch(const einc__attn *a, bool backward) {
    const einc__attn_kernels *kn = kernels_for(a);
    if (!kn) return einc__k_attention_ref_scratch(a);
    geom g = geometry(a, kn);
    fwd_scratch f;
    bwd_scratch b;
    narrow_scratch n;
    if (backward) return bwd_layout(&g, kn->mr, NULL, &b);
    return is_narrow(&g) ? narrow_layout(&g, NULL, &n) : fwd_layout(&g, NULL, &f);
}

/* ---- the reference -------------------------------------------------------------------------- */

/* Element (r, c) of a batch entry's matrix in any float dtype. */
static double at(const einc__view *v, int nb, int64_t off, int64_t r, int64_t c) {
    size_t es = einc_dtype_size(v->dtype);
    int64_t cs = v->ndim > nb + 1 ? v->strides[nb + 1] : 0;
    return einc__load_f64(v->data + (size_t)(off + r * v->strides[nb] + c * cs) * es, v->dtype);
}
static void put(const einc__view *v, int nb, int64_t off, int64_t r, int64_t c, double x, bool add) {
    size_t es = einc_dtype_size(v->dtype);
    int64_t cs = v->ndim > nb + 1 ? v->strides[nb + 1] : 0;
    char *p = v->data + (size_t)(off + r * v->strides[nb] + c * cs) * es;
    einc__store_f64(p, v->dtype, add ? einc__load_f64(p, v->dtype) + x : x);
}

typedef struct {
    int64_t oq, ok, ov, oo, ol, ob, odo, odq, odk, odv, odb;
} offsets;

static offsets offsets_of(const einc__attn *a, int64_t bi) {
    int nb = a->nb;
    offsets o = {batch_offset(&a->q, nb, bi),
                 batch_offset(&a->k, nb, bi),
                 batch_offset(&a->v, nb, bi),
                 batch_offset(&a->o, nb, bi),
                 0,
                 0,
                 0,
                 0,
                 0,
                 0,
                 0};
    if (a->lse.data) o.ol = batch_offset(&a->lse, nb, bi);
    if (a->bias.data) o.ob = batch_offset(&a->bias, nb, bi);
    if (a->dout.data) o.odo = batch_offset(&a->dout, nb, bi);
    if (a->dq.data) o.odq = batch_offset(&a->dq, nb, bi);
    if (a->dk.data) o.odk = batch_offset(&a->dk, nb, bi);
    if (a->dv.data) o.odv = batch_offset(&a->dv, nb, bi);
    if (a->dbias.data) o.odb = batch_offset(&a->dbias, nb, bi);
    return o;
}

/* p [m] = the softmax row i of batch entry (offsets o); returns its log-sum-exp (NaN: bad row). */
static double ref_row(const einc__attn *a, const offsets *o, int64_t i, int64_t m, int64_t d, double *p) {
    int nb = a->nb;
    double mx = -INFINITY;
    bool nan = false;
    for (int64_t j = 0; j < m; j++) {
        double s = -INFINITY;
        if (!a->causal || j <= i) {
            s = 0;
            for (int64_t c = 0; c < d; c++) s += at(&a->q, nb, o->oq, i, c) * at(&a->k, nb, o->ok, j, c);
            s *= a->scale;
            if (a->bias.data) s += at(&a->bias, nb, o->ob, i, j);
        }
        nan |= isnan(s);
        p[j] = s;
        if (s > mx) mx = s;
    }
    if (nan || !isfinite(mx)) {
        for (int64_t j = 0; j < m; j++) p[j] = NAN;
        return NAN;
    }
    double sum = 0;
    for (int64_t j = 0; j < m; j++) sum += p[j] = exp(p[j] - mx);
    for (int64_t j = 0; j < m; j++) p[j] /= sum;
    return mx + log(sum);
}

size_t einc__k_attention_ref_scratch(const einc__attn *a) {
    int nb = a->nb;
    int64_t m = a->k.shape[nb], d = a->q.shape[nb + 1], e = a->v.shape[nb + 1];
    return (size_t)(m * (2 + d + e) + 8) * sizeof(double);
}

void einc__k_attention_ref(const einc__attn *a, void *scratch, int ith, int nth) {
    geom g = geometry(a, NULL);
    double *p = (double *)scratch;
    int64_t begin, end;
    einc__split_range(g.nbatch * g.n, ith, nth, &begin, &end);
    for (int64_t t = begin; t < end; t++) {
        int64_t bi = t / g.n, i = t % g.n;
        offsets o = offsets_of(a, bi);
        double lse = ref_row(a, &o, i, g.m, g.d, p);
        for (int64_t c = 0; c < g.e; c++) {
            double s = 0;
            for (int64_t j = 0; j < g.m; j++) s += p[j] * at(&a->v, a->nb, o.ov, j, c);
            put(&a->o, a->nb, o.oo, i, c, s, false);
        }
        if (a->lse.data) put(&a->lse, a->nb, o.ol, i, 0, lse, false);
    }
}

void einc__k_attention_backward_ref(const einc__attn *a, void *scratch, int ith, int nth) {
    geom g = geometry(a, NULL);
    int nb = a->nb;
    int64_t m = g.m, d = g.d, e = g.e;
    double *p = (double *)scratch;
    double *dp = p + m, *dk = dp + m, *dv = dk + m * d;
    int64_t begin, end;
    einc__split_range(g.nbatch, ith, nth, &begin, &end);
    for (int64_t bi = begin; bi < end; bi++) {
        offsets o = offsets_of(a, bi);
        for (int64_t i = 0; i < m * (d + e); i++) dk[i] = 0;
        for (int64_t i = 0; i < g.n; i++) {
            ref_row(a, &o, i, m, d, p);
            double dd = 0; /* D_i = sum_j P_ij dP_ij */
            for (int64_t j = 0; j < m; j++) {
                double s = 0;
                for (int64_t c = 0; c < e; c++) s += at(&a->dout, nb, o.odo, i, c) * at(&a->v, nb, o.ov, j, c);
                dp[j] = s;
                dd += p[j] * s;
            }
            for (int64_t c = 0; c < d; c++) {
                double s = 0;
                for (int64_t j = 0; j < m; j++) s += p[j] * (dp[j] - dd) * at(&a->k, nb, o.ok, j, c);
                if (a->dq.data) put(&a->dq, nb, o.odq, i, c, s * a->scale, false);
            }
            for (int64_t j = 0; j < m; j++) {
                double dx = p[j] * (dp[j] - dd);
                if (a->causal && j > i) dx = 0, p[j] = 0; /* masked: no gradient (NaN rows aside) */
                for (int64_t c = 0; c < d; c++) dk[j * d + c] += dx * a->scale * at(&a->q, nb, o.oq, i, c);
                for (int64_t c = 0; c < e; c++) dv[j * e + c] += p[j] * at(&a->dout, nb, o.odo, i, c);
                if (a->dbias.data) put(&a->dbias, nb, o.odb, i, j, dx, true);
            }
        }
        for (int64_t j = 0; j < m; j++) {
            if (a->dk.data)
                for (int64_t c = 0; c < d; c++) put(&a->dk, nb, o.odk, j, c, dk[j * d + c], false);
            if (a->dv.data)
                for (int64_t c = 0; c < e; c++) put(&a->dv, nb, o.odv, j, c, dv[j * e + c], false);
        }
    }
}
