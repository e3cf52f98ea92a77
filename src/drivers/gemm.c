/* gemm.c — the batched GEMM driver: a [batch..., M, K] @ b [batch..., K, N] -> c.
 *
 * It first simplifies the batch (size-1 dimensions dropped, c turned row-major by transposing the
 * whole problem when c is column-major, batch dimensions that b is broadcast over folded into M),
 * then either runs einc's own kernel (einc__k_gemm) on the context's threads — the default — or,
 * when the context selects CBLAS, calls it once per remaining batch entry on the calling thread
 * (OpenBLAS threads itself, and BLAS must never run inside einc__parallel). Operands are handed to BLAS in place
 * whenever a transpose flag and a leading dimension describe them; only an operand with no usable unit-stride dimension
 * is copied.
 */
#include <limits.h>

#ifdef EINC_HAVE_CBLAS
#include <cblas.h>
#endif

#include "../kernels/gemm.h"
#include "drivers.h"

enum { A_, B_, C_ }; /* indices into the view triple */

/* ---- batch simplification ------------------------------------------------------------------ */

/* Removes dimension d of v (its size must be 1, or its stride irrelevant as when folding). */
static void drop_dim(einc__view *v, int d) {
    for (int i = d; i + 1 < v->ndim && i + 1 < EINC_MAX_DIMS; i++) {
        v->shape[i] = v->shape[i + 1];
        v->strides[i] = v->strides[i + 1];
    }
    v->ndim--;
}

/* Swaps the last two dimensions: the view of x^T. */
static void transpose_last(einc__view *v) {
    int r = v->ndim - 2, s = v->ndim - 1;
    int64_t t = v->shape[r];
    v->shape[r] = v->shape[s], v->shape[s] = t;
    t = v->strides[r];
    v->strides[r] = v->strides[s], v->strides[s] = t;
}

/* True when batch dimension d (= M's index - 1) and M of v can merge into one dimension of size
 * D*M; *stride receives the merged dimension's stride. */
static bool can_fold(const einc__view *v, int d, int64_t *stride) {
    int m = d + 1;
    if (v->shape[m] == 1) *stride = v->strides[d];
    else if (v->strides[d] == v->strides[m] * v->shape[m]) *stride = v->strides[m];
    else return false;
    return true;
}

static bool unit_dim(const einc__view *v, int d) { return v->shape[d] == 1 || v->strides[d] == 1; }

/* Rewrites the triple v[A_], v[B_], v[C_] into an equivalent, simpler problem (see the file
 * comment). All three keep the same ndim and batch sizes. */
static void simplify(einc__view v[3]) {
    for (int d = v[C_].ndim - 3; d >= 0; d--)
        if (v[C_].shape[d] == 1)
            for (int i = 0; i < 3; i++) drop_dim(&v[i], d);

    /* c^T = b^T a^T: makes a column-major c row-major for CBLAS and for the micro-kernel's stores. */
    int m = v[C_].ndim - 2;
    if (!unit_dim(&v[C_], m + 1) && unit_dim(&v[C_], m)) {
        einc__view a = v[A_];
        v[A_] = v[B_], v[B_] = a;
        for (int i = 0; i < 3; i++) transpose_last(&v[i]);
    }

    /* b broadcast over the innermost batch dimension: a [.., D, M, K] is D*M rows of one product
     * with the same b, if a's and c's rows are evenly stacked over D. A broadcast a (stride 0) is
     * left alone: folding would make the rows copies of each other. */
    while (v[C_].ndim > 2) {
        int d = v[C_].ndim - 3;
        int64_t sa, sc;
        if (v[B_].strides[d] != 0 || v[A_].strides[d] == 0 || !can_fold(&v[A_], d, &sa) || !can_fold(&v[C_], d, &sc))
            break;
        v[A_].shape[d] *= v[A_].shape[d + 1], v[A_].strides[d] = sa;
        v[C_].shape[d] *= v[C_].shape[d + 1], v[C_].strides[d] = sc;
        drop_dim(&v[A_], d + 1);
        drop_dim(&v[C_], d + 1);
        drop_dim(&v[B_], d);
    }
}

static int64_t batch_count(const einc__view *c) {
    int64_t n = 1;
    for (int d = 0; d < c->ndim - 2; d++) n *= c->shape[d];
    return n;
}

/* ---- the C kernel on einc__parallel -------------------------------------------------------- */

typedef struct {
    einc__view a, b, c;
    void *scratch;
} kernel_job;

static void kernel_task(void *arg, int ith, int nth) {
    kernel_job *job = arg;
    einc__k_gemm(&job->a, &job->b, &job->c, job->scratch, ith, nth);
}

static einc_status gemm_kernel(einc_ctx *ctx, const einc__view *a, const einc__view *b, const einc__view *c) {
    int64_t n = c->shape[c->ndim - 2] * c->shape[c->ndim - 1] * batch_count(c), k = a->shape[a->ndim - 1], work;
    if (__builtin_mul_overflow(n, k > 0 ? k : 1, &work)) work = INT64_MAX;
    int workers = einc__parallel_width(ctx, work); /* decided once: the scratch is sized for it */
    size_t per = einc__k_gemm_scratch(a, b, c), bytes = per * (size_t)workers;
    kernel_job job = {*a, *b, *c, NULL};
    if (bytes > 0 && !(job.scratch = einc__buffer_alloc(ctx, bytes))) return EINC_ENOMEM;
    einc__parallel_n(ctx, workers, work, kernel_task, &job);
    if (job.scratch) einc__buffer_free(ctx, job.scratch, bytes);
    return EINC_OK;
}

/* ---- CBLAS --------------------------------------------------------------------------------- */

#ifdef EINC_HAVE_CBLAS

/* Element offset of batch entry bi (row-major over the batch sizes `shape`) in v. */
static int64_t batch_offset(const einc__view *v, const int64_t *shape, int nb, int64_t bi) {
    int64_t off = 0;
    for (int d = nb - 1; d >= 0; d--) {
        off += bi % shape[d] * v->strides[d];
        bi /= shape[d];
    }
    return off;
}

/* A contiguous temporary laid out like v, except that batch dimensions where v has stride 0
 * keep stride 0 (a broadcast operand is stored once, not once per batch entry). *out describes the
 * temporary; *buf / *bytes are for einc__buffer_free. With `fill`, v's elements are copied in. */
static einc_status make_temp(einc_ctx *ctx, const einc__view *v_in, bool fill, einc__view *out, void **buf,
                             size_t *bytes) {
    const einc__view orig = *v_in, *v = &orig; /* out may alias v_in */
    einc__view compact = orig;
    for (int d = 0; d < v->ndim - 2; d++)
        if (v->strides[d] == 0) compact.shape[d] = 1;
    int64_t numel, nbytes;
    if (!einc__shape_numel(compact.ndim, compact.shape, &numel) ||
        __builtin_mul_overflow(numel, (int64_t)einc_dtype_size(v->dtype), &nbytes)) {
        char s[256];
        return einc__error(ctx, EINC_ENOMEM, "gemm: a temporary copy of an operand of shape %s is too large",
                           einc__shape_str(s, sizeof s, compact.ndim, compact.shape));
    }
    *bytes = (size_t)nbytes;
    *buf = einc__buffer_alloc(ctx, *bytes);
    if (!*buf) return EINC_ENOMEM;
    compact.data = *buf;
    einc__shape_contiguous_strides(compact.ndim, compact.shape, compact.strides);
    if (fill) einc__copy_views(ctx, &compact, v);
    *out = compact;
    for (int d = 0; d < v->ndim; d++) {
        out->shape[d] = v->shape[d];
        if (v->shape[d] != compact.shape[d]) out->strides[d] = 0;
    }
    return EINC_OK;
}

/* How row-major CBLAS can read matrix v [R, S] (its last two dimensions) in place: NoTrans when S
 * has unit stride, Trans when R has, with the other stride as leading dimension. False when
 * neither works (no unit stride, or a leading dimension that is negative, too small or too big). */
static bool blas_layout(const einc__view *v, enum CBLAS_TRANSPOSE *trans, int *ld) {
    int r = v->ndim - 2, s = r + 1;
    int64_t R = v->shape[r], S = v->shape[s];
    int64_t need_s = S > 1 ? S : 1, need_r = R > 1 ? R : 1, l;
    if (unit_dim(v, s) && (R == 1 || v->strides[r] >= need_s)) {
        *trans = CblasNoTrans;
        l = R == 1 ? need_s : v->strides[r];
    } else if (unit_dim(v, r) && (S == 1 || v->strides[s] >= need_r)) {
        *trans = CblasTrans;
        l = S == 1 ? need_r : v->strides[s];
    } else return false;
    if (l > INT_MAX) return false;
    *ld = (int)l;
    return true;
}

static void blas_threads(const einc_ctx *ctx) {
#ifdef EINC_HAVE_OPENBLAS
    if (openblas_get_num_threads() != ctx->threads) openblas_set_num_threads(ctx->threads);
#else
    (void)ctx;
#endif
}

/* The CBLAS path (float32/float64, K > 0, sizes within int). Operands BLAS cannot read in place,
 * and a c it cannot write in place, go through contiguous temporaries. */
static einc_status gemm_blas(einc_ctx *ctx, const einc__view *a, const einc__view *b, const einc__view *c) {
    einc__view v[3] = {*a, *b, *c};
    void *buf[3] = {NULL, NULL, NULL};
    size_t bytes[3] = {0, 0, 0};
    enum CBLAS_TRANSPOSE trans[3];
    int ld[3];
    einc_status st = EINC_OK;
    for (int i = 0; i < 3 && st == EINC_OK; i++) {
        if (blas_layout(&v[i], &trans[i], &ld[i]) && (i != C_ || trans[i] == CblasNoTrans)) continue;
        st = make_temp(ctx, &v[i], i != C_, &v[i], &buf[i], &bytes[i]);
        if (st == EINC_OK) blas_layout(&v[i], &trans[i], &ld[i]); /* contiguous: NoTrans */
    }
    if (st == EINC_OK) {
        int nb = c->ndim - 2;
        int M = (int)c->shape[nb], N = (int)c->shape[nb + 1], K = (int)a->shape[nb + 1];
        int64_t nbatch = batch_count(c);
        size_t es = einc_dtype_size(c->dtype);
        blas_threads(ctx);
        for (int64_t bi = 0; bi < nbatch; bi++) {
            char *p[3];
            for (int i = 0; i < 3; i++) p[i] = v[i].data + batch_offset(&v[i], c->shape, nb, bi) * (int64_t)es;
            if (c->dtype == EINC_FLOAT32)
                cblas_sgemm(CblasRowMajor, trans[A_], trans[B_], M, N, K, 1.0f, (const float *)(void *)p[A_], ld[A_],
                            (const float *)(void *)p[B_], ld[B_], 0.0f, (float *)(void *)p[C_], ld[C_]);
            else
                cblas_dgemm(CblasRowMajor, trans[A_], trans[B_], M, N, K, 1.0, (const double *)(void *)p[A_], ld[A_],
                            (const double *)(void *)p[B_], ld[B_], 0.0, (double *)(void *)p[C_], ld[C_]);
        }
        if (buf[C_]) einc__copy_views(ctx, c, &v[C_]);
    }
    for (int i = 0; i < 3; i++)
        if (buf[i]) einc__buffer_free(ctx, buf[i], bytes[i]);
    return st;
}

static bool blas_fits(const einc__view *a, const einc__view *c) {
    int nb = c->ndim - 2;
    return (c->dtype == EINC_FLOAT32 || c->dtype == EINC_FLOAT64) && a->shape[nb + 1] > 0 &&
           a->shape[nb + 1] <= INT_MAX && c->shape[nb] <= INT_MAX && c->shape[nb + 1] <= INT_MAX;
}
#endif /* EINC_HAVE_CBLAS */

einc_status einc__gemm_batched(einc_ctx *ctx, const einc__view *a, const einc__view *b, const einc__view *c) {
    for (int d = 0; d < c->ndim; d++)
        if (c->shape[d] == 0) return EINC_OK;
    einc__view v[3] = {*a, *b, *c};
    simplify(v);
#ifdef EINC_HAVE_CBLAS
    /* K = 0 (zeros) goes to the C kernel: BLAS wants leading dimensions >= 1 of empty operands */
    if (einc_get_gemm_backend(ctx) == EINC_GEMM_CBLAS && blas_fits(&v[A_], &v[C_]))
        return gemm_blas(ctx, &v[A_], &v[B_], &v[C_]);
#endif
    return gemm_kernel(ctx, &v[A_], &v[B_], &v[C_]);
}
