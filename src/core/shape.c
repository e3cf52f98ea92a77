/* shape.c — shape arithmetic: element counts with overflow checks, strides, broadcasting. */
#include <stdio.h>

#include "internal.h"

bool einc__shape_numel(int ndim, const int64_t *shape, int64_t *numel) {
    int64_t n = 1;
    bool zero = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return false;
        if (shape[i] == 0) zero = true;
    }
    if (zero) {
        *numel = 0;
        return true;
    }
    for (int i = 0; i < ndim; i++) {
        if (__builtin_mul_overflow(n, shape[i], &n)) return false;
    }
    *numel = n;
    return true;
}

bool einc__shape_check(einc_ctx *ctx, const char *fname, einc_dtype dtype, int ndim, const int64_t *shape,
                       int64_t *numel) {
    char buf[512];
    if (!einc__dtype_valid(dtype)) {
        einc__error(ctx, EINC_EDTYPE, "%s: invalid dtype value %d", fname, (int)dtype);
        return false;
    }
    if (ndim < 0 || ndim > EINC_MAX_DIMS) {
        einc__error(ctx, EINC_EINVAL, "%s: ndim %d is out of range [0, %d]", fname, ndim, EINC_MAX_DIMS);
        return false;
    }
    if (ndim > 0 && !shape) {
        einc__error(ctx, EINC_EINVAL, "%s: shape is NULL for ndim %d", fname, ndim);
        return false;
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            einc__error(ctx, EINC_EINVAL, "%s: negative size %lld in dimension %d of shape %s", fname,
                        (long long)shape[i], i, einc__shape_str(buf, sizeof buf, ndim, shape));
            return false;
        }
    }
    /* zeros count as 1 (numpy's rule), so the strides of an empty tensor stay representable */
    int64_t n, bytes, span = 1;
    bool span_overflow = false;
    for (int i = 0; i < ndim && !span_overflow; i++)
        span_overflow = __builtin_mul_overflow(span, shape[i] > 0 ? shape[i] : 1, &span);
    if (span_overflow || !einc__shape_numel(ndim, shape, &n) ||
        __builtin_mul_overflow(span, (int64_t)einc_dtype_size(dtype), &bytes)) {
        einc__error(ctx, EINC_EOVERFLOW, "%s: shape %s has more elements than fit in memory addressing", fname,
                    einc__shape_str(buf, sizeof buf, ndim, shape));
        return false;
    }
    if (numel) *numel = n;
    return true;
}

void einc__shape_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] > 0 ? shape[i] : 1;
    }
}

char *einc__shape_str(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t used = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
#define EINC_APPEND(...)                                                                                               \
    do {                                                                                                               \
        int w_ = snprintf(buf + used, size - used, __VA_ARGS__);                                                       \
        if (w_ < 0 || (size_t)w_ >= size - used) return buf;                                                           \
        used += (size_t)w_;                                                                                            \
    } while (0)
    EINC_APPEND("(");
    for (int i = 0; i < ndim; i++) EINC_APPEND(i ? ", %lld" : "%lld", (long long)shape[i]);
    EINC_APPEND(ndim == 1 ? ",)" : ")");
#undef EINC_APPEND
    return buf;
}

bool einc__axis_normalize(einc_ctx *ctx, const char *fname, int axis, int ndim, int *out) {
    int a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= ndim) {
        einc__error(ctx, EINC_EINVAL, "%s: axis %d is out of range for a tensor with %d dimension%s", fname, axis, ndim,
                    ndim == 1 ? "" : "s");
        return false;
    }
    *out = a;
    return true;
}

bool einc__shape_broadcast(int andim, const int64_t *ashape, int bndim, const int64_t *bshape, int *ondim,
                           int64_t *oshape) {
    int n = andim > bndim ? andim : bndim;
    for (int i = 0; i < n; i++) {
        int ai = andim - n + i, bi = bndim - n + i;
        int64_t a = ai >= 0 ? ashape[ai] : 1;
        int64_t b = bi >= 0 ? bshape[bi] : 1;
        if (a != b && a != 1 && b != 1) return false;
        oshape[i] = a == 1 ? b : a;
    }
    *ondim = n;
    return true;
}
