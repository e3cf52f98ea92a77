/* copy_ops.c — contiguous, clone, cast and in-place copy: the public faces of the copy kernel. */
#include "../core/internal.h"
#include "../drivers/drivers.h"
#include "../kernels/kernels.h"
#include "ops_internal.h"

einc_tensor *einc_tensor_cast(einc_ctx *ctx, einc_tensor *t, einc_dtype dtype) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_cast");
    if (!einc__dtype_valid(dtype)) {
        einc__error(ctx, EINC_EDTYPE, "einc_tensor_cast: invalid dtype value %d", (int)dtype);
        return NULL;
    }
    einc_tensor *out = einc__tensor_new(ctx, dtype, t->ndim, t->shape);
    if (!out) return NULL;
    einc__view d = einc__view_of(out), s = einc__view_of(t);
    einc__copy_views(ctx, &d, &s);
    return einc__ag_identity(ctx, out, t);
}

einc_tensor *einc__as_dtype(einc_ctx *ctx, einc_tensor *t, einc_dtype dtype) {
    if (!t) return NULL;
    return t->dtype == dtype ? einc_tensor_retain(t) : einc_tensor_cast(ctx, t, dtype);
}

einc_tensor *einc_tensor_clone(einc_ctx *ctx, einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_clone");
    return einc_tensor_cast(ctx, t, t->dtype);
}

einc_tensor *einc_tensor_contiguous(einc_ctx *ctx, einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_contiguous");
    if (!einc__tensor_is_contiguous(t)) return einc_tensor_clone(ctx, t); /* recorded as a copy by the cast */
    return einc__ag_identity(ctx, einc__tensor_view_of(ctx, t, t->ndim, t->shape, t->strides, t->offset), t);
}

/* True when dst and src may share bytes (conservative: same storage, different view). */
static bool views_overlap(const einc_tensor *dst, const einc_tensor *src) {
    if (dst->storage != src->storage) return false;
    if (dst->offset == src->offset && dst->dtype == src->dtype && dst->ndim == src->ndim &&
        memcmp(dst->shape, src->shape, sizeof(int64_t) * (size_t)dst->ndim) == 0 &&
        memcmp(dst->strides, src->strides, sizeof(int64_t) * (size_t)dst->ndim) == 0)
        return false; /* identical views: an element-by-element copy onto itself is safe */
    return true;
}

einc_status einc_tensor_copy_(einc_ctx *ctx, einc_tensor *dst, einc_tensor *src) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!dst || !src) return einc__error(ctx, EINC_EINVAL, "einc_tensor_copy_: %s is NULL", dst ? "src" : "dst");
    if (!einc__tensor_writable(ctx, "einc_tensor_copy_", "the destination", dst)) return EINC_EINVAL;
    char a[256], b[256];
    int ond;
    int64_t oshape[EINC_MAX_DIMS];
    if (!einc__shape_broadcast(dst->ndim, dst->shape, src->ndim, src->shape, &ond, oshape) || ond != dst->ndim ||
        memcmp(oshape, dst->shape, sizeof(int64_t) * (size_t)ond) != 0)
        return einc__error(ctx, EINC_ESHAPE,
                           "einc_tensor_copy_: cannot broadcast source of shape %s to destination "
                           "of shape %s",
                           einc__shape_str(a, sizeof a, src->ndim, src->shape),
                           einc__shape_str(b, sizeof b, dst->ndim, dst->shape));
    for (int i = 0; i < dst->ndim; i++)
        if (dst->strides[i] == 0 && dst->shape[i] > 1)
            return einc__error(ctx, EINC_EINVAL,
                               "einc_tensor_copy_: destination is a broadcast view (stride 0 in "
                               "dimension %d); writing to it is ambiguous",
                               i);
    einc_tensor *tmp = NULL;
    if (views_overlap(dst, src)) {
        tmp = einc_tensor_clone(ctx, src); /* copy through a temporary, like NumPy does */
        if (!tmp) return ctx->status;
        src = tmp;
    }
    einc__view d = einc__view_of(dst), s = einc__view_broadcast(src, dst->ndim, dst->shape);
    einc__copy_views(ctx, &d, &s);
    einc_tensor_release(tmp);
    return EINC_OK;
}

/* Copies out on the calling thread only: callers use it for small results and from their own threads. */
einc_status einc_tensor_to_buffer(const einc_tensor *t, void *dst, size_t dst_bytes) {
    if (!t) return EINC_EINVAL;
    size_t need = (size_t)einc__tensor_numel(t) * einc_dtype_size(t->dtype);
    if (dst_bytes < need || (!dst && need))
        return einc__error(t->ctx, EINC_EINVAL,
                           "einc_tensor_to_buffer: buffer of %zu bytes is smaller than the %zu "
                           "bytes the tensor needs",
                           dst_bytes, need);
    if (!need) return EINC_OK;
    einc__view s = einc__view_of(t);
    einc__view d = s;
    d.data = dst;
    einc__shape_contiguous_strides(d.ndim, d.shape, d.strides);
    einc__k_copy(&d, &s, 0, 1);
    return EINC_OK;
}
