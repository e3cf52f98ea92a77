/* linalg_ops.c — matmul, bmm and the 1x1 convolution: validate shapes and dtypes, promote, then
 * describe the product as strided views for the batched GEMM driver. No operand is copied here
 * except for a dtype conversion; layouts are the driver's business. */
#include "../core/internal.h"
#include "../drivers/drivers.h"
#include "ops_internal.h"

/* ---- dtypes -------------------------------------------------------------------------------- */

/* Rejects bool and invalid dtypes for operand `name`. */
static bool check_dtype(einc_ctx *ctx, const char *fname, const einc_tensor *t, const char *name) {
    if (t->dtype == EINC_BOOL) {
        einc__error(ctx, EINC_EDTYPE, "%s: %s has dtype bool; matrix products need float32, float64, int32 or int64",
                    fname, name);
        return false;
    }
    if (!einc__dtype_valid(t->dtype))
        return einc__error(ctx, EINC_EDTYPE, "%s: %s has an invalid dtype value %d", fname, name, (int)t->dtype), false;
    return true;
}

/* NumPy's result type for two numeric dtypes: the wider within a kind; an integer with a float
 * gives float64 (float32 cannot hold every int32). */
static einc_dtype promote(einc_dtype x, einc_dtype y) {
    bool fx = einc__dtype_is_float(x), fy = einc__dtype_is_float(y);
    if (fx != fy) return EINC_FLOAT64;
    if (fx) return (x == EINC_FLOAT64 || y == EINC_FLOAT64) ? EINC_FLOAT64 : EINC_FLOAT32;
    return (x == EINC_INT64 || y == EINC_INT64) ? EINC_INT64 : EINC_INT32;
}

/* ---- the shared product -------------------------------------------------------------------- */

/* Geometry of one product, as the public functions validated it. An operand `vec` is 1-d and
 * promoted: a [K] as a row [1, K], b [K] as a column [K, 1]. Batch dimensions broadcast. */
typedef struct {
    int nbatch;
    int64_t batch[EINC_MAX_DIMS];
    int64_t M, N, K;
    bool a_vec, b_vec;
    int out_ndim;
    int64_t out_shape[EINC_MAX_DIMS];
} product_geom;

/* The view of operand t as [batch..., R, S] for the driver: batch dimensions aligned at the end
 * and stretched with stride 0, a 1-d operand as a row (`as_row`) or a column. */
static einc__view operand_view(const einc_tensor *t, const product_geom *g, bool is_vec, bool as_row) {
    einc__view v = einc__view_of(t);
    int nb = g->nbatch;
    v.ndim = nb + 2;
    for (int d = 0; d < nb; d++) {
        int src = t->ndim - 2 - nb + d;
        v.shape[d] = g->batch[d];
        v.strides[d] = (!is_vec && src >= 0 && t->shape[src] == g->batch[d]) ? t->strides[src] : 0;
    }
    if (is_vec) {
        int one = as_row ? nb : nb + 1, full = as_row ? nb + 1 : nb;
        v.shape[one] = 1, v.strides[one] = 0;
        v.shape[full] = t->shape[0], v.strides[full] = t->strides[0];
    } else {
        v.shape[nb] = t->shape[t->ndim - 2], v.strides[nb] = t->strides[t->ndim - 2];
        v.shape[nb + 1] = t->shape[t->ndim - 1], v.strides[nb + 1] = t->strides[t->ndim - 1];
    }
    return v;
}

/* out = a @ b in the promoted dtype `dtype`. NULL (error recorded, nothing leaked) on failure. */
static einc_tensor *product(einc_ctx *ctx, einc_tensor *a, einc_tensor *b, einc_dtype dtype, const product_geom *g) {
    einc_tensor *ta = einc__as_dtype(ctx, a, dtype);
    einc_tensor *tb = ta ? einc__as_dtype(ctx, b, dtype) : NULL;
    einc_tensor *out = tb ? einc__tensor_new(ctx, dtype, g->out_ndim, g->out_shape) : NULL;
    if (out) {
        einc__view va = operand_view(ta, g, g->a_vec, true), vb = operand_view(tb, g, g->b_vec, false);
        einc__view vc = einc__view_of(out);
        vc.ndim = g->nbatch + 2;
        memcpy(vc.shape, g->batch, sizeof(int64_t) * (size_t)g->nbatch);
        vc.shape[g->nbatch] = g->M, vc.shape[g->nbatch + 1] = g->N;
        einc__shape_contiguous_strides(vc.ndim, vc.shape, vc.strides); /* size-1 dims: same layout */
        if (einc__gemm_batched(ctx, &va, &vb, &vc) != EINC_OK) {
            einc_tensor_release(out);
            out = NULL;
        }
    }
    einc_tensor_release(ta);
    einc_tensor_release(tb);
    return out;
}

/* ---- matmul / bmm -------------------------------------------------------------------------- */

/* The operands' shapes as text, for an error message: formatting them on every call cost about
 * 3% of a small module's forward. */
#define SHAPES(sa, sb, a, b)                                                                                           \
    (einc__shape_str(sa, sizeof sa, (a)->ndim, (a)->shape), einc__shape_str(sb, sizeof sb, (b)->ndim, (b)->shape))

typedef einc_tensor *(*product_fn)(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);

/* A product with a float16, bfloat16, uint8, int8, int16 or uint64 operand: both converted to the
 * dtype their promoted dtype computes products in (float32: multiplied and accumulated in float32;
 * int32: wrapping like the small integers; int64 for uint64: the same bits), the product converted
 * back (rounded once, or wrapped). */
static einc_tensor *storage_product(einc_ctx *ctx, product_fn fn, einc_tensor *a, einc_tensor *b) {
    einc_dtype r = einc_promote_types(a->dtype, a->ndim, b->dtype, b->ndim), c = einc__product_dtype(r);
    einc_tensor *ac = einc__as_dtype(ctx, a, c), *bc = ac ? einc__as_dtype(ctx, b, c) : NULL;
    einc_tensor *y = bc ? fn(ctx, ac, bc) : NULL, *out = y && r != c ? einc_tensor_cast(ctx, y, r) : NULL;
    einc_tensor_release(ac);
    einc_tensor_release(bc);
    if (r == c) return y;
    einc_tensor_release(y);
    return out;
}

einc_tensor *einc_tensor_matmul(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    static const char fname[] = "einc_tensor_matmul";
    EINC__REQUIRE(ctx, a, fname);
    EINC__REQUIRE(ctx, b, fname);
    if (!check_dtype(ctx, fname, a, "a") || !check_dtype(ctx, fname, b, "b")) return NULL;
    if (!einc__dtype_is_basic(a->dtype) || !einc__dtype_is_basic(b->dtype))
        return storage_product(ctx, einc_tensor_matmul, a, b);
    char sa[256], sb[256]; /* the shapes, formatted only for an error (SHAPES) */
    if (a->ndim == 0 || b->ndim == 0) {
        SHAPES(sa, sb, a, b);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: operands must have at least 1 dimension, got a of shape %s and b of "
                    "shape %s",
                    fname, sa, sb);
        return NULL;
    }
    product_geom g;
    memset(&g, 0, sizeof g);
    g.a_vec = a->ndim == 1, g.b_vec = b->ndim == 1;
    int ka = a->ndim - 1, kb = g.b_vec ? 0 : b->ndim - 2; /* contracted dimensions */
    if (a->shape[ka] != b->shape[kb]) {
        SHAPES(sa, sb, a, b);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: shapes %s and %s are not aligned: dimension %d of a (size %lld) != "
                    "dimension %d of b (size %lld)",
                    fname, sa, sb, ka, (long long)a->shape[ka], kb, (long long)b->shape[kb]);
        return NULL;
    }
    int nba = g.a_vec ? 0 : a->ndim - 2, nbb = g.b_vec ? 0 : b->ndim - 2;
    if (!einc__shape_broadcast(nba, a->shape, nbb, b->shape, &g.nbatch, g.batch)) {
        int da = nba - 1, db = nbb - 1; /* the first clash, counted from the innermost batch dimension */
        while (a->shape[da] == b->shape[db] || a->shape[da] == 1 || b->shape[db] == 1) da--, db--;
        SHAPES(sa, sb, a, b);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: batch dimensions of shapes %s and %s do not broadcast: dimension %d of "
                    "a (size %lld) vs dimension %d of b (size %lld)",
                    fname, sa, sb, da, (long long)a->shape[da], db, (long long)b->shape[db]);
        return NULL;
    }
    g.M = g.a_vec ? 1 : a->shape[a->ndim - 2];
    g.K = a->shape[ka];
    g.N = g.b_vec ? 1 : b->shape[b->ndim - 1];
    g.out_ndim = g.nbatch;
    memcpy(g.out_shape, g.batch, sizeof(int64_t) * (size_t)g.nbatch);
    if (!g.a_vec) g.out_shape[g.out_ndim++] = g.M;
    if (!g.b_vec) g.out_shape[g.out_ndim++] = g.N;
    return einc__ag_matmul(ctx, product(ctx, a, b, promote(a->dtype, b->dtype), &g), a, b);
}

einc_tensor *einc_tensor_bmm(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    EINC__OWNED(ctx, NULL);
    static const char fname[] = "einc_tensor_bmm";
    EINC__REQUIRE(ctx, a, fname);
    EINC__REQUIRE(ctx, b, fname);
    if (!check_dtype(ctx, fname, a, "a") || !check_dtype(ctx, fname, b, "b")) return NULL;
    if (!einc__dtype_is_basic(a->dtype) || !einc__dtype_is_basic(b->dtype))
        return storage_product(ctx, einc_tensor_bmm, a, b);
    char sa[256], sb[256]; /* the shapes, formatted only for an error (SHAPES) */
    if (a->ndim != 3 || b->ndim != 3) {
        SHAPES(sa, sb, a, b);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: expects two 3-d tensors [B, n, k] and [B, k, m], got a of shape %s and "
                    "b of shape %s",
                    fname, sa, sb);
        return NULL;
    }
    if (a->shape[0] != b->shape[0]) {
        SHAPES(sa, sb, a, b);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: batch sizes differ: dimension 0 of a (size %lld) != dimension 0 of b "
                    "(size %lld); shapes %s and %s",
                    fname, (long long)a->shape[0], (long long)b->shape[0], sa, sb);
        return NULL;
    }
    if (a->shape[2] != b->shape[1]) {
        SHAPES(sa, sb, a, b);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: shapes %s and %s are not aligned: dimension 2 of a (size %lld) != "
                    "dimension 1 of b (size %lld)",
                    fname, sa, sb, (long long)a->shape[2], (long long)b->shape[1]);
        return NULL;
    }
    product_geom g;
    memset(&g, 0, sizeof g);
    g.nbatch = 1, g.batch[0] = a->shape[0];
    g.M = a->shape[1], g.K = a->shape[2], g.N = b->shape[2];
    g.out_ndim = 3;
    g.out_shape[0] = g.batch[0], g.out_shape[1] = g.M, g.out_shape[2] = g.N;
    return einc__ag_matmul(ctx, product(ctx, a, b, promote(a->dtype, b->dtype), &g), a, b);
}

/* ---- conv2d 1x1 ---------------------------------------------------------------------------- */

typedef struct {
    char *y;          /* y [B, C_out, HW], contiguous */
    const char *bias; /* bias [C_out], stride bstride */
    int64_t bstride, cout, hw, rows;
    einc_dtype dtype;
} bias_job;

/* y[r, :] += bias[r % C_out] for the rows (b, c_out) of worker ith; integer adds wrap. */
#define ADD_BIAS(T, U)                                                                                                 \
    do {                                                                                                               \
        int64_t r0, r1;                                                                                                \
        einc__split_range(job->rows, ith, nth, &r0, &r1);                                                              \
        for (int64_t r = r0; r < r1; r++) {                                                                            \
            T *y = (T *)(void *)job->y + r * job->hw;                                                                  \
            U v = (U)((const T *)(const void *)job->bias)[r % job->cout * job->bstride];                               \
            for (int64_t i = 0; i < job->hw; i++) y[i] = (T)((U)y[i] + v);                                             \
        }                                                                                                              \
    } while (0)

static void add_bias_f32(const bias_job *job, int ith, int nth) { ADD_BIAS(float, float); }
static void add_bias_f64(const bias_job *job, int ith, int nth) { ADD_BIAS(double, double); }
static void add_bias_i32(const bias_job *job, int ith, int nth) { ADD_BIAS(int32_t, uint32_t); }
static void add_bias_i64(const bias_job *job, int ith, int nth) { ADD_BIAS(int64_t, uint64_t); }
#undef ADD_BIAS

static void add_bias_task(void *arg, int ith, int nth) {
    const bias_job *job = arg;
    switch (job->dtype) {
    case EINC_FLOAT32: add_bias_f32(job, ith, nth); return;
    case EINC_FLOAT64: add_bias_f64(job, ith, nth); return;
    case EINC_INT32: add_bias_i32(job, ith, nth); return;
    case EINC_INT64: add_bias_i64(job, ith, nth); return;
    case EINC_BOOL:
    default: return; /* rejected by conv_check */
    }
}

/* Validates x [B, C_in, H, W], w [C_out, C_in, 1, 1], bias [C_out] (or NULL). */
static bool conv_check(einc_ctx *ctx, const einc_tensor *x, const einc_tensor *w, const einc_tensor *bias) {
    static const char fname[] = "einc_tensor_conv2d_1x1";
    char sx[256], sw[256], sbias[256]; /* formatted only for an error (SHAPES) */
    if (x->ndim != 4) {
        SHAPES(sx, sw, x, w);
        einc__error(ctx, EINC_ESHAPE, "%s: x must be 4-d [B, C_in, H, W], got shape %s", fname, sx);
        return false;
    }
    if (w->ndim != 4 || w->shape[2] != 1 || w->shape[3] != 1) {
        SHAPES(sx, sw, x, w);
        einc__error(ctx, EINC_ESHAPE, "%s: w must have shape [C_out, C_in, 1, 1], got shape %s", fname, sw);
        return false;
    }
    if (w->shape[1] != x->shape[1]) {
        SHAPES(sx, sw, x, w);
        einc__error(ctx, EINC_ESHAPE,
                    "%s: channels differ: dimension 1 of x %s (C_in = %lld) != dimension 1 of w "
                    "%s (%lld)",
                    fname, sx, (long long)x->shape[1], sw, (long long)w->shape[1]);
        return false;
    }
    if (bias && (bias->ndim != 1 || bias->shape[0] != w->shape[0])) {
        SHAPES(sx, sw, x, w);
        einc__error(ctx, EINC_ESHAPE, "%s: bias must have shape (%lld,) to match dimension 0 of w %s, got shape %s",
                    fname, (long long)w->shape[0], sw, einc__shape_str(sbias, sizeof sbias, bias->ndim, bias->shape));
        return false;
    }
    return true;
}

/* conv2d_1x1 with a float16, bfloat16, uint8, int8, int16 or uint64 operand, as `dot` takes them:
 * every operand converted to the product dtype of the promoted one (float32 for float16 and
 * bfloat16, int32 for the small integers, exact; int64 for uint64, the same bits), the product accumulated and the bias
 * added there, and the result rounded to nearest even (or wrapped) once into the promoted dtype. A promoted float32 or
 * float64 (float16 x, float32 w) needs no rounding, and the float32 call records the gradients of
 * the float32 operands as usual. */
static einc_tensor *storage_conv(einc_ctx *ctx, einc_tensor *x, einc_tensor *w, einc_tensor *bias) {
    einc_dtype r = einc_promote_types(x->dtype, x->ndim, w->dtype, w->ndim);
    if (bias) r = einc_promote_types(r, 4, bias->dtype, bias->ndim);
    einc_dtype c = einc__product_dtype(r);
    einc_tensor *xc = einc__as_dtype(ctx, x, c), *wc = xc ? einc__as_dtype(ctx, w, c) : NULL;
    einc_tensor *bc = wc && bias ? einc__as_dtype(ctx, bias, c) : NULL;
    einc_tensor *y = wc && (bc || !bias) ? einc_tensor_conv2d_1x1(ctx, xc, wc, bc) : NULL;
    einc_tensor *out = y && r != c ? einc_tensor_cast(ctx, y, r) : NULL;
    einc_tensor_release(xc);
    einc_tensor_release(wc);
    einc_tensor_release(bc);
    if (r == c) return y;
    einc_tensor_release(y);
    return out;
}

einc_tensor *einc_tensor_conv2d_1x1(einc_ctx *ctx, einc_tensor *x, einc_tensor *w, einc_tensor *bias) {
    EINC__OWNED(ctx, NULL);
    static const char fname[] = "einc_tensor_conv2d_1x1";
    EINC__REQUIRE(ctx, x, fname);
    EINC__REQUIRE(ctx, w, fname);
    if (!check_dtype(ctx, fname, x, "x") || !check_dtype(ctx, fname, w, "w") ||
        (bias && !check_dtype(ctx, fname, bias, "bias")) || !conv_check(ctx, x, w, bias))
        return NULL;
    if (!einc__dtype_is_basic(x->dtype) || !einc__dtype_is_basic(w->dtype) ||
        (bias && !einc__dtype_is_basic(bias->dtype)))
        return storage_conv(ctx, x, w, bias);
    einc_dtype dtype = promote(x->dtype, w->dtype);
    if (bias) dtype = promote(dtype, bias->dtype);
    int64_t B = x->shape[0], cin = x->shape[1], H = x->shape[2], W = x->shape[3], cout = w->shape[0];

    einc_tensor *tx = einc__as_dtype(ctx, x, dtype);
    einc_tensor *tw = tx ? einc__as_dtype(ctx, w, dtype) : NULL;
    einc_tensor *tbias = (tw && bias) ? einc__as_dtype(ctx, bias, dtype) : NULL;
    einc_tensor *y = (tw && (tbias || !bias)) ? einc__tensor_new(ctx, dtype, EINC_SHAPE(B, cout, H, W)) : NULL;
    if (y) {
        /* y[b] [C_out, H*W] = w [C_out, C_in] @ x[b] [C_in, H*W]; when H and W do not merge in x's
         * layout, H becomes a batch dimension instead: y [B, H, C_out, W] as a strided view. */
        const int64_t *xs = tx->strides, *ws = tw->strides;
        bool merge = H == 1 || W == 1 || xs[2] == xs[3] * W;
        einc__view va = einc__view_of(tw), vb = einc__view_of(tx), vc = einc__view_of(y);
        if (merge) {
            int64_t hw_stride = W == 1 ? xs[2] : xs[3];
            va.ndim = vb.ndim = vc.ndim = 3;
            va.shape[0] = B, va.shape[1] = cout, va.shape[2] = cin;
            va.strides[0] = 0, va.strides[1] = ws[0], va.strides[2] = ws[1];
            vb.shape[0] = B, vb.shape[1] = cin, vb.shape[2] = H * W;
            vb.strides[0] = xs[0], vb.strides[1] = xs[1], vb.strides[2] = hw_stride;
            vc.shape[0] = B, vc.shape[1] = cout, vc.shape[2] = H * W;
            vc.strides[0] = cout * H * W, vc.strides[1] = H * W, vc.strides[2] = 1;
        } else {
            va.shape[0] = B, va.shape[1] = H, va.shape[2] = cout, va.shape[3] = cin;
            va.strides[0] = 0, va.strides[1] = 0, va.strides[2] = ws[0], va.strides[3] = ws[1];
            vb.shape[0] = B, vb.shape[1] = H, vb.shape[2] = cin, vb.shape[3] = W;
            vb.strides[0] = xs[0], vb.strides[1] = xs[2], vb.strides[2] = xs[1], vb.strides[3] = xs[3];
            vc.shape[0] = B, vc.shape[1] = H, vc.shape[2] = cout, vc.shape[3] = W;
            vc.strides[0] = cout * H * W, vc.strides[1] = W, vc.strides[2] = H * W, vc.strides[3] = 1;
        }
        if (einc__gemm_batched(ctx, &va, &vb, &vc) != EINC_OK) {
            einc_tensor_release(y);
            y = NULL;
        } else if (tbias && B * cout * H * W > 0) {
            bias_job job = {
                einc__tensor_ptr(y), einc__tensor_ptr(tbias), tbias->strides[0], cout, H * W, B * cout, dtype};
            einc__parallel_chunks(ctx, B * cout * H * W, add_bias_task, &job);
        }
    }
    einc_tensor_release(tx);
    einc_tensor_release(tw);
    einc_tensor_release(tbias);
    return einc__ag_conv2d_1x1(ctx, y, x, w, bias);
}
