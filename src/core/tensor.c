/* tensor.c — tensor handles: lifetime, creation, accessors, element access. */
#include <math.h>

#include "internal.h"

/* ---- lifetime ------------------------------------------------------------------------------ */

static void storage_drop(einc_ctx *ctx, einc_storage *s) {
    if (--s->refcount > 0) return;
    if (s->owned) einc__buffer_free(ctx, s->data, s->nbytes);
    else if (s->release) s->release(s->data, s->release_user);
    einc__free(ctx, s, sizeof *s);
}

void einc__tensor_free_now(einc_tensor *t) {
    einc_ctx *ctx = t->ctx;
    if (t->ag_node) ctx->tensor_freed(t); /* set whenever an ag_node is */
    storage_drop(ctx, t->storage);
    ctx->stats.live_tensors--;
    einc__free(ctx, t, sizeof *t);
}

void einc__tensor_drop(einc_tensor *t) {
    if (--t->refcount > 0) return;
    einc__scope_forget(t->ctx, t);
    einc__tensor_free_now(t);
}

einc_tensor *einc_tensor_retain(einc_tensor *t) {
    EINC__OWNED(t ? t->ctx : NULL, NULL);
    if (t) t->refcount++;
    return t;
}

void einc_tensor_release(einc_tensor *t) {
    EINC__OWNED(t ? t->ctx : NULL, );
    if (t) einc__tensor_drop(t);
}

/* A handle over `storage` (whose reference the handle takes over), linked into the scope. */
static einc_tensor *handle_new(einc_ctx *ctx, einc_storage *storage, einc_dtype dtype, int ndim, const int64_t *shape,
                               const int64_t *strides, int64_t offset) {
    einc_tensor *t = einc__alloc(ctx, sizeof *t);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    t->storage = storage;
    t->offset = offset;
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim > 0) {
        memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
        memcpy(t->strides, strides, (size_t)ndim * sizeof *strides);
    }
    t->refcount = 1;
    ctx->stats.live_tensors++;
    einc__scope_adopt(ctx, t);
    return t;
}

/* einc__tensor_new, naming the public function in its error messages. */
static einc_tensor *tensor_new(einc_ctx *ctx, const char *fname, einc_dtype dtype, int ndim, const int64_t *shape) {
    int64_t numel;
    if (!einc__shape_check(ctx, fname, dtype, ndim, shape, &numel)) return NULL;
    size_t nbytes = (size_t)numel * einc_dtype_size(dtype);
    einc_storage *s = einc__alloc(ctx, sizeof *s);
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->nbytes = nbytes;
    s->refcount = 1;
    s->owned = true;
    if (nbytes > 0) {
        s->data = einc__buffer_alloc_quiet(ctx, nbytes);
        if (!s->data) {
            char sh[256], h[32];
            einc__error(ctx, EINC_ENOMEM, "out of memory: a %s tensor of shape %s needs %zu bytes (%s)",
                        einc_dtype_name(dtype), einc__shape_str(sh, sizeof sh, ndim, shape), nbytes,
                        einc__bytes_str(h, sizeof h, nbytes));
            einc__free(ctx, s, sizeof *s);
            return NULL;
        }
    }
    int64_t strides[EINC_MAX_DIMS];
    einc__shape_contiguous_strides(ndim, shape, strides);
    einc_tensor *t = handle_new(ctx, s, dtype, ndim, shape, strides, 0);
    if (!t) {
        einc__buffer_free(ctx, s->data, nbytes);
        einc__free(ctx, s, sizeof *s);
    }
    return t;
}

einc_tensor *einc__tensor_new(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    return tensor_new(ctx, "einc_tensor_empty", dtype, ndim, shape);
}

einc_tensor *einc__tensor_view_of(einc_ctx *ctx, const einc_tensor *base, int ndim, const int64_t *shape,
                                  const int64_t *strides, int64_t offset_bytes) {
    einc_tensor *t = handle_new(ctx, base->storage, base->dtype, ndim, shape, strides, offset_bytes);
    if (t) base->storage->refcount++;
    return t;
}

einc_storage *einc__storage_external(einc_ctx *ctx, void *data, size_t nbytes, einc_release_fn release, void *user,
                                     bool readonly) {
    einc_storage *s = einc__alloc(ctx, sizeof *s);
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->data = data;
    s->nbytes = nbytes;
    s->refcount = 1;
    s->release = release;
    s->release_user = user;
    s->readonly = readonly;
    return s;
}

void einc__storage_release(einc_ctx *ctx, einc_storage *s) {
    if (s) storage_drop(ctx, s);
}

einc_tensor *einc__tensor_on_storage(einc_ctx *ctx, einc_storage *s, einc_dtype dtype, int ndim, const int64_t *shape,
                                     const int64_t *strides, int64_t offset_bytes) {
    einc_tensor *t = handle_new(ctx, s, dtype, ndim, shape, strides, offset_bytes);
    if (t) s->refcount++;
    return t;
}

bool einc__tensor_writable(einc_ctx *ctx, const char *fname, const char *what, const einc_tensor *t) {
    if (!t->storage->readonly) return true;
    einc__error(ctx, EINC_EINVAL,
                "%s: %s is read-only: it views a file mapped by einc_npy_load_mapped or "
                "einc_safetensors_load_mapped; write into a copy (einc_tensor_clone) instead",
                fname, what);
    return false;
}

bool einc_tensor_is_readonly(const einc_tensor *t) { return t && t->storage->readonly; }

/* ---- creation ------------------------------------------------------------------------------ */

einc_tensor *einc_tensor_empty(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    return einc__tensor_new(ctx, dtype, ndim, shape);
}

static void fill_value(einc_tensor *t, double value) {
    int64_t n = einc__tensor_numel(t);
    char *p = einc__tensor_ptr(t);
    switch (t->dtype) {
    case EINC_FLOAT32: {
        float v = (float)value;
        float *d = (float *)(void *)p;
        for (int64_t i = 0; i < n; i++) d[i] = v;
        break;
    }
    case EINC_FLOAT64: {
        double *d = (double *)(void *)p;
        for (int64_t i = 0; i < n; i++) d[i] = value;
        break;
    }
    default: {
        size_t es = einc_dtype_size(t->dtype);
        char elem[8];
        einc__store_f64(elem, t->dtype, value);
        for (int64_t i = 0; i < n; i++) memcpy(p + (size_t)i * es, elem, es);
    }
    }
}

static einc_tensor *filled(einc_ctx *ctx, const char *fname, einc_dtype dtype, int ndim, const int64_t *shape,
                           double value) {
    if (!ctx) return NULL;
    einc_tensor *t = tensor_new(ctx, fname, dtype, ndim, shape);
    if (t) fill_value(t, value);
    return t;
}

einc_tensor *einc_tensor_full(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape, double value) {
    EINC__OWNED(ctx, NULL);
    return filled(ctx, "einc_tensor_full", dtype, ndim, shape, value);
}

einc_tensor *einc_tensor_zeros(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    einc_tensor *t = tensor_new(ctx, "einc_tensor_zeros", dtype, ndim, shape);
    if (t && t->storage->nbytes) memset(t->storage->data, 0, t->storage->nbytes);
    return t;
}

einc_tensor *einc_tensor_ones(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    return filled(ctx, "einc_tensor_ones", dtype, ndim, shape, 1.0);
}

einc_tensor *einc_tensor_scalar(einc_ctx *ctx, einc_dtype dtype, double value) {
    EINC__OWNED(ctx, NULL);
    return filled(ctx, "einc_tensor_scalar", dtype, 0, NULL, value);
}

/* NumPy's fill functions: the first two values are converted to the dtype, their difference
 * (in the dtype) is the step, and value i is v0 + i * step in the dtype's arithmetic. Matching
 * this bit for bit keeps einc_tensor_arange equal to numpy.arange. */
static void arange_f32(float *d, int64_t n, double start, double step) {
    float v0 = (float)start, delta = (float)(start + step) - v0;
    for (int64_t i = 0; i < n; i++) d[i] = i == 1 ? (float)(start + step) : v0 + (float)i * delta;
}

static void arange_f64(double *d, int64_t n, double start, double step) {
    double v0 = start, delta = (start + step) - v0;
    for (int64_t i = 0; i < n; i++) d[i] = i == 1 ? start + step : v0 + (double)i * delta;
}

/* float16, bfloat16: NumPy's HALF_fill, in float32 arithmetic rounded on each store */
static void arange_half(char *d, einc_dtype dtype, int64_t n, double start, double step) {
    einc__store_f64(d, dtype, start);
    float v0 = (float)einc__load_f64(d, dtype);
    if (n < 2) return;
    einc__store_f64(d + 2, dtype, start + step);
    float delta = (float)einc__load_f64(d + 2, dtype) - v0;
    for (int64_t i = 2; i < n; i++) einc__store_f64(d + (size_t)i * 2, dtype, (double)(v0 + (float)i * delta));
}

/* uint8, int8, int16: the first two values converted (saturating, as einc__store_f64), the
 * step their difference in the dtype, every value wrapping as NumPy's C arithmetic does */
static void arange_small_int(char *d, einc_dtype dtype, int64_t n, double start, double step) {
    size_t es = einc_dtype_size(dtype);
    char tmp[8];
    einc__store_f64(tmp, EINC_INT64, start);
    int64_t w;
    memcpy(&w, tmp, 8);
    einc__store_i64(tmp, dtype, w);
    int64_t v0 = einc__load_i64(tmp, dtype);
    einc__store_f64(tmp, EINC_INT64, start + step);
    memcpy(&w, tmp, 8);
    einc__store_i64(tmp, dtype, w);
    uint64_t delta = (uint64_t)einc__load_i64(tmp, dtype) - (uint64_t)v0;
    for (int64_t i = 0; i < n; i++)
        einc__store_i64(d + (size_t)i * es, dtype, (int64_t)((uint64_t)v0 + (uint64_t)i * delta));
}

/* int64/int32 (es 8/4): unsigned arithmetic wraps the way NumPy's does, without C's UB */
static void arange_int(char *d, size_t es, int64_t n, double start, double step) {
    char tmp[8];
    einc__store_f64(tmp, EINC_INT64, start);
    int64_t v0, v1;
    memcpy(&v0, tmp, 8);
    einc__store_f64(tmp, EINC_INT64, start + step);
    memcpy(&v1, tmp, 8);
    if (es == 4) { /* NumPy converts to int32 first, then subtracts */
        v0 = (int32_t)(uint32_t)(uint64_t)v0;
        v1 = (int32_t)(uint32_t)(uint64_t)v1;
    }
    uint64_t delta = (uint64_t)v1 - (uint64_t)v0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)v0 + (uint64_t)i * delta;
        if (es == 8) memcpy(d + (size_t)i * 8, &v, 8);
        else {
            int32_t w = (int32_t)(uint32_t)v;
            memcpy(d + (size_t)i * 4, &w, 4);
        }
    }
}

einc_tensor *einc_tensor_arange(einc_ctx *ctx, einc_dtype dtype, double start, double stop, double step) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (step == 0.0 || isnan(step) || isnan(start) || isnan(stop) || isinf(start) || isinf(stop)) {
        einc__error(ctx, EINC_EVALUE,
                    "einc_tensor_arange: start, stop must be finite and step nonzero "
                    "(got start=%g, stop=%g, step=%g)",
                    start, stop, step);
        return NULL;
    }
    if (dtype == EINC_BOOL) {
        einc__error(ctx, EINC_EDTYPE, "einc_tensor_arange: dtype bool has no arithmetic progression");
        return NULL;
    }
    double count = ceil((stop - start) / step);
    if (!(count > 0)) count = 0;
    if (count > 9.0e15) {
        einc__error(ctx, EINC_EOVERFLOW, "einc_tensor_arange: %g elements are too many", count);
        return NULL;
    }
    int64_t n = (int64_t)count;
    einc_tensor *t = tensor_new(ctx, "einc_tensor_arange", dtype, 1, &n);
    if (!t || n == 0) return t;
    char *p = einc__tensor_ptr(t);
    switch (dtype) {
    case EINC_FLOAT32: arange_f32((float *)(void *)p, n, start, step); break;
    case EINC_FLOAT64: arange_f64((double *)(void *)p, n, start, step); break;
    case EINC_INT64:
    case EINC_UINT64: arange_int(p, 8, n, start, step); break; /* int64's bits: NumPy's wrapping steps */
    case EINC_INT32: arange_int(p, 4, n, start, step); break;
    case EINC_FLOAT16:
    case EINC_BFLOAT16: arange_half(p, dtype, n, start, step); break;
    case EINC_UINT8:
    case EINC_INT8:
    case EINC_INT16: arange_small_int(p, dtype, n, start, step); break;
    case EINC_BOOL: break;
    }
    return t;
}

einc_tensor *einc_tensor_from_data(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape, const void *data) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    einc_tensor *t = tensor_new(ctx, "einc_tensor_from_data", dtype, ndim, shape);
    if (!t) return NULL;
    if (t->storage->nbytes) {
        if (!data) {
            einc__error(ctx, EINC_EINVAL, "einc_tensor_from_data: data is NULL");
            einc_tensor_release(t);
            return NULL;
        }
        memcpy(t->storage->data, data, t->storage->nbytes);
    }
    return t;
}

einc_tensor *einc_tensor_wrap(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape, const int64_t *strides,
                              void *data, einc_release_fn release, void *user) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    int64_t numel;
    if (!einc__shape_check(ctx, "einc_tensor_wrap", dtype, ndim, shape, &numel)) return NULL;
    if (!data && numel > 0) {
        einc__error(ctx, EINC_EINVAL, "einc_tensor_wrap: data is NULL");
        return NULL;
    }
    int64_t st[EINC_MAX_DIMS];
    if (strides) memcpy(st, strides, (size_t)ndim * sizeof *st);
    else einc__shape_contiguous_strides(ndim, shape, st);
    einc_storage *s = einc__alloc(ctx, sizeof *s);
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->data = data;
    s->refcount = 1;
    s->release = release;
    s->release_user = user;
    s->nbytes = (size_t)numel * einc_dtype_size(dtype); /* informational for wrapped memory */
    einc_tensor *t = handle_new(ctx, s, dtype, ndim, shape, st, 0);
    if (!t) einc__free(ctx, s, sizeof *s); /* release is not called: the caller keeps data */
    return t;
}

/* ---- accessors ----------------------------------------------------------------------------- */

einc_dtype einc_tensor_dtype(const einc_tensor *t) { return t ? t->dtype : EINC_FLOAT32; }
int einc_tensor_ndim(const einc_tensor *t) { return t ? t->ndim : 0; }
const int64_t *einc_tensor_shape(const einc_tensor *t) { return t ? t->shape : NULL; }
const int64_t *einc_tensor_strides(const einc_tensor *t) { return t ? t->strides : NULL; }
void *einc_tensor_data(const einc_tensor *t) { return t ? einc__tensor_ptr(t) : NULL; }
einc_ctx *einc_tensor_ctx(const einc_tensor *t) { return t ? t->ctx : NULL; }

int64_t einc_tensor_dim(const einc_tensor *t, int axis) {
    if (!t) return -1;
    int a = axis < 0 ? axis + t->ndim : axis;
    return a >= 0 && a < t->ndim ? t->shape[a] : -1;
}

int64_t einc__tensor_numel(const einc_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int64_t einc_tensor_numel(const einc_tensor *t) { return t ? einc__tensor_numel(t) : 0; }

bool einc__tensor_is_contiguous(const einc_tensor *t) {
    int64_t expected = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] == 0) return true;
        if (t->shape[i] == 1) continue;
        if (t->strides[i] != expected) return false;
        expected *= t->shape[i];
    }
    return true;
}

bool einc_tensor_is_contiguous(const einc_tensor *t) { return t ? einc__tensor_is_contiguous(t) : false; }

/* Byte address of `index` in *out; on a NULL or out-of-range index records the error and
 * returns its status (which a recorded earlier error would otherwise hide). */
static einc_status element_ptr(const einc_tensor *t, const int64_t *index, const char *fname, char **out) {
    int64_t off = 0;
    if (t->ndim > 0 && !index) return einc__error(t->ctx, EINC_EINVAL, "%s: index is NULL", fname);
    for (int i = 0; i < t->ndim; i++) {
        int64_t k = index[i] < 0 ? index[i] + t->shape[i] : index[i];
        if (k < 0 || k >= t->shape[i])
            return einc__error(t->ctx, EINC_EINDEX, "%s: index %lld is out of range for dimension %d of size %lld",
                               fname, (long long)index[i], i, (long long)t->shape[i]);
        off += k * t->strides[i];
    }
    *out = einc__tensor_ptr(t) + off * (int64_t)einc_dtype_size(t->dtype);
    return EINC_OK;
}

double einc_tensor_get(const einc_tensor *t, const int64_t *index) {
    if (!t) return 0.0;
    char *p;
    return element_ptr(t, index, "einc_tensor_get", &p) == EINC_OK ? einc__load_f64(p, t->dtype) : 0.0;
}

einc_status einc_tensor_set(einc_tensor *t, const int64_t *index, double value) {
    EINC__OWNED(t ? t->ctx : NULL, EINC_EBUSY);
    if (!t) return EINC_EINVAL;
    char *p;
    einc_status st = element_ptr(t, index, "einc_tensor_set", &p);
    if (st != EINC_OK) return st;
    if (!einc__tensor_writable(t->ctx, "einc_tensor_set", "the tensor", t)) return EINC_EINVAL;
    einc__store_f64(p, t->dtype, value);
    return EINC_OK;
}

double einc_tensor_item(const einc_tensor *t) {
    if (!t) return 0.0;
    if (einc__tensor_numel(t) != 1) {
        char buf[256];
        einc__error(t->ctx, EINC_ESHAPE, "einc_tensor_item: tensor of shape %s does not have exactly one element",
                    einc__shape_str(buf, sizeof buf, t->ndim, t->shape));
        return 0.0;
    }
    return einc__load_f64(einc__tensor_ptr(t), t->dtype);
}

/* ---- kernel views -------------------------------------------------------------------------- */

einc__view einc__view_of(const einc_tensor *t) {
    einc__view v;
    memset(&v, 0, sizeof v);
    v.data = einc__tensor_ptr(t);
    v.dtype = t->dtype;
    v.ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) {
        v.shape[i] = t->shape[i];
        v.strides[i] = t->strides[i];
    }
    return v;
}

einc__view einc__view_broadcast(const einc_tensor *t, int ndim, const int64_t *shape) {
    einc__view v;
    memset(&v, 0, sizeof v);
    v.data = einc__tensor_ptr(t);
    v.dtype = t->dtype;
    v.ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        int src = t->ndim - ndim + i;
        v.shape[i] = shape[i];
        v.strides[i] = (src >= 0 && t->shape[src] == shape[i]) ? t->strides[src] : 0;
    }
    return v;
}
