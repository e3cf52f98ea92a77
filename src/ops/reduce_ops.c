/* reduce_ops.c — einc_tensor_reduce and its conveniences, softmax and log_softmax: validate the
 * axes, allocate the result, run the kernels of src/kernels/reduce.c and softmax.c on the
 * context's threads. */
#include "../core/internal.h"
#include "../kernels/reduce.h"
#include "reduce_ops.h"

static const char *const op_names[] = {"sum",    "mean",   "var", "std", "prod",          "max",      "min",
                                       "argmax", "argmin", "any", "all", "count_nonzero", "logsumexp"};
#define NUM_OPS ((int)(sizeof op_names / sizeof op_names[0]))

const char *einc_reduce_op_name(einc_reduce_op op) {
    return (int)op >= 0 && (int)op < NUM_OPS ? op_names[op] : "invalid";
}

/* "(0, 2)": the first entries of an axes list, for messages. */
static char *axes_str(char *buf, size_t size, int naxes, const int *axes) {
    int64_t a[EINC_MAX_DIMS];
    int n = naxes < EINC_MAX_DIMS ? naxes : EINC_MAX_DIMS;
    for (int i = 0; i < n; i++) a[i] = axes[i];
    return einc__shape_str(buf, size, n, a);
}

bool einc__reduce_mask(einc_ctx *ctx, const char *fname, int ndim, int naxes, const int *axes, uint32_t *mask) {
    char buf[256];
    if (naxes == -1) {
        *mask = (uint32_t)((1u << ndim) - 1u);
        return true;
    }
    if (naxes < -1) {
        einc__error(ctx, EINC_EINVAL, "%s: naxes %d is invalid (give -1, i.e. EINC_ALL, for every axis)", fname, naxes);
        return false;
    }
    if (naxes > 0 && !axes) {
        einc__error(ctx, EINC_EINVAL, "%s: axes is NULL but naxes is %d", fname, naxes);
        return false;
    }
    uint32_t m = 0;
    for (int i = 0; i < naxes; i++) {
        int a;
        if (!einc__axis_normalize(ctx, fname, axes[i], ndim, &a)) return false;
        if (m & (1u << a)) {
            einc__error(ctx, EINC_EINVAL, "%s: axis %d appears twice in axes %s (tensor with %d dimension%s)", fname,
                        axes[i], axes_str(buf, sizeof buf, i + 1, axes), ndim, ndim == 1 ? "" : "s");
            return false;
        }
        m |= 1u << a;
    }
    *mask = m;
    return true;
}

/* ---- reductions ---------------------------------------------------------------------------- */

typedef struct {
    einc_reduce_op op;
    einc__view y, x;
    uint32_t mask;
} reduce_job;

static void reduce_task(void *arg, int ith, int nth) {
    reduce_job *job = arg;
    einc__k_reduce(job->op, &job->y, &job->x, job->mask, ith, nth);
}

static einc_tensor *reduce_impl(einc_ctx *ctx, const char *fname, einc_reduce_op op, einc_tensor *x, int naxes,
                                const int *axes, bool keepdims) {
    char sbuf[256], abuf[256];
    if ((int)op < 0 || (int)op >= NUM_OPS) {
        einc__error(ctx, EINC_EINVAL, "%s: unknown reduction op %d", fname, (int)op);
        return NULL;
    }
    if (!einc__dtype_valid(x->dtype)) return einc__require_basic(ctx, fname, "x", x->dtype), NULL;
    uint32_t mask;
    if (!einc__reduce_mask(ctx, fname, x->ndim, naxes, axes, &mask)) return NULL;
    bool empty = false;
    for (int d = 0; d < x->ndim; d++)
        if ((mask & (1u << d)) && x->shape[d] == 0) empty = true;
    if (empty &&
        (op == EINC_REDUCE_MAX || op == EINC_REDUCE_MIN || op == EINC_REDUCE_ARGMAX || op == EINC_REDUCE_ARGMIN)) {
        /* NumPy raises whenever the reduced block is empty, even if the result would be too */
        einc__shape_str(sbuf, sizeof sbuf, x->ndim, x->shape);
        if (naxes == -1) snprintf(abuf, sizeof abuf, "all axes");
        else axes_str(abuf, sizeof abuf, naxes, axes);
        einc__error(ctx, EINC_EVALUE,
                    "%s: %s of an empty block: the axes %s of shape %s hold no elements (%s has "
                    "no identity)",
                    fname, op_names[op], abuf, sbuf, op_names[op]);
        return NULL;
    }
    int64_t oshape[EINC_MAX_DIMS];
    int ondim = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (!(mask & (1u << d))) oshape[ondim++] = x->shape[d];
        else if (keepdims) oshape[ondim++] = 1;
    }
    einc_tensor *out = einc__tensor_new(ctx, einc__reduce_dtype(op, x->dtype), ondim, oshape);
    if (!out) return NULL;
    reduce_job job = {op, einc__view_of(out), einc__view_of(x), mask};
    if (!keepdims) { /* the kernel takes y in the keepdims shape */
        einc__view k = job.y;
        for (int d = 0, j = 0; d < x->ndim; d++) {
            bool r = (mask & (1u << d)) != 0;
            k.shape[d] = r ? 1 : job.y.shape[j];
            k.strides[d] = r ? 0 : job.y.strides[j];
            j += !r;
        }
        k.ndim = x->ndim;
        job.y = k;
    }
    int64_t n = einc__tensor_numel(x), nout = einc__tensor_numel(out);
    if (nout > 0) einc__parallel_chunks(ctx, n + nout, reduce_task, &job);
    return einc__ag_reduce(ctx, out, op, x, mask, keepdims);
}

einc_tensor *einc__reduce_axes(einc_ctx *ctx, einc_reduce_op op, einc_tensor *x, int naxes, const int *axes,
                               bool keepdims) {
    EINC__REQUIRE(ctx, x, "einc_tensor_reduce");
    return reduce_impl(ctx, "einc_tensor_reduce", op, x, naxes, axes, keepdims);
}

einc_tensor *einc_tensor_reduce(einc_ctx *ctx, einc_reduce_op op, einc_tensor *x, int naxes, const int *axes,
                                bool keepdims) {
    EINC__OWNED(ctx, NULL);
    return einc__reduce_axes(ctx, op, x, naxes, axes, keepdims);
}

einc_tensor *einc_tensor_sum(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, x, "einc_tensor_sum");
    return reduce_impl(ctx, "einc_tensor_sum", EINC_REDUCE_SUM, x, naxes, axes, keepdims);
}

einc_tensor *einc_tensor_mean(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, x, "einc_tensor_mean");
    return reduce_impl(ctx, "einc_tensor_mean", EINC_REDUCE_MEAN, x, naxes, axes, keepdims);
}

einc_tensor *einc_tensor_max(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, x, "einc_tensor_max");
    return reduce_impl(ctx, "einc_tensor_max", EINC_REDUCE_MAX, x, naxes, axes, keepdims);
}

einc_tensor *einc_tensor_min(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, x, "einc_tensor_min");
    return reduce_impl(ctx, "einc_tensor_min", EINC_REDUCE_MIN, x, naxes, axes, keepdims);
}

einc_tensor *einc_tensor_argmax(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool keepdims) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, x, "einc_tensor_argmax");
    return reduce_impl(ctx, "einc_tensor_argmax", EINC_REDUCE_ARGMAX, x, naxes, axes, keepdims);
}

/* ---- softmax --------------------------------------------------------------------------------- */

typedef struct {
    einc__view y, x;
    uint32_t mask;
    bool is_log;
} softmax_job;

static void softmax_task(void *arg, int ith, int nth) {
    softmax_job *job = arg;
    einc__k_softmax(&job->y, &job->x, job->mask, job->is_log, ith, nth);
}

static einc_tensor *softmax_impl(einc_ctx *ctx, const char *fname, einc_tensor *x, int naxes, const int *axes,
                                 bool is_log) {
    uint32_t mask;
    if (einc__dtype_valid(x->dtype) && !einc__dtype_is_basic(x->dtype)) {
        /* float16, bfloat16: computed in float32 and rounded back; uint8, int8, int16: as int32;
         * uint64: as float64 (einc__softmax_dtype) */
        einc_tensor *w = einc_tensor_cast(ctx, x, einc__softmax_dtype(x->dtype));
        einc_tensor *y = w ? softmax_impl(ctx, fname, w, naxes, axes, is_log) : NULL;
        einc_tensor_release(w);
        if (!y || !einc__dtype_is_half(x->dtype)) return y;
        einc_tensor *out = einc_tensor_cast(ctx, y, x->dtype);
        einc_tensor_release(y);
        return out;
    }
    if (einc__require_basic(ctx, fname, "x", x->dtype) != EINC_OK) return NULL;
    if (!einc__reduce_mask(ctx, fname, x->ndim, naxes, axes, &mask)) return NULL;
    einc_dtype dt = einc__dtype_is_float(x->dtype) ? x->dtype : EINC_FLOAT64;
    einc_tensor *y = einc__tensor_new(ctx, dt, x->ndim, x->shape);
    if (!y) return NULL;
    softmax_job job = {einc__view_of(y), einc__view_of(x), mask, is_log};
    int64_t n = einc__tensor_numel(x);
    if (n > 0) einc__parallel_chunks(ctx, 4 * n, softmax_task, &job); /* three passes and an exp per element */
    return einc__ag_softmax(ctx, y, x, mask, is_log);
}

einc_tensor *einc__softmax_axes(einc_ctx *ctx, einc_tensor *x, int naxes, const int *axes, bool is_log) {
    const char *fname = is_log ? "einc_tensor_log_softmax" : "einc_tensor_softmax";
    EINC__REQUIRE(ctx, x, fname);
    return softmax_impl(ctx, fname, x, naxes, axes, is_log);
}

einc_tensor *einc_tensor_softmax(einc_ctx *ctx, einc_tensor *x, int axis) {
    EINC__OWNED(ctx, NULL);
    return einc__softmax_axes(ctx, x, 1, &axis, false);
}

einc_tensor *einc_tensor_log_softmax(einc_ctx *ctx, einc_tensor *x, int axis) {
    EINC__OWNED(ctx, NULL);
    return einc__softmax_axes(ctx, x, 1, &axis, true);
}
