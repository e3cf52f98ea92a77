/* copy.c — strided n-d copy with dtype conversion.
 *
 * The iteration space is split over the outer dimensions; the innermost (coalesced) dimension runs
 * as a tight typed loop, or memcpy when both sides are unit-stride with the same dtype.
 */
#include "kernels.h"

int einc__k_coalesce(einc__view *views, int nviews) {
    int ndim = views[0].ndim;
    int out = 0;
    int64_t shape[EINC_MAX_DIMS];
    int64_t strides[8][EINC_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        if (views[0].shape[d] == 1) continue;
        bool merge = out > 0;
        for (int v = 0; v < nviews && merge; v++)
            merge = strides[v][out - 1] == views[v].strides[d] * views[v].shape[d];
        if (merge) {
            shape[out - 1] *= views[0].shape[d];
            for (int v = 0; v < nviews; v++) strides[v][out - 1] = views[v].strides[d];
        } else {
            shape[out] = views[0].shape[d];
            for (int v = 0; v < nviews; v++) strides[v][out] = views[v].strides[d];
            out++;
        }
    }
    for (int v = 0; v < nviews; v++) {
        views[v].ndim = out;
        for (int d = 0; d < out; d++) {
            views[v].shape[d] = shape[d];
            views[v].strides[d] = strides[v][d];
        }
    }
    return out;
}

/* One row: n elements, element strides ds / ss. */
static void copy_row(char *dst, einc_dtype dt, int64_t ds, const char *src, einc_dtype st, int64_t ss, int64_t n) {
    size_t des = einc_dtype_size(dt), ses = einc_dtype_size(st);
    if (dt == st && ds == 1 && ss == 1) {
        memcpy(dst, src, (size_t)n * des);
        return;
    }
    if (dt == st) {
        switch (des) {
        case 4: {
            uint32_t *d = (uint32_t *)(void *)dst;
            const uint32_t *s = (const uint32_t *)(const void *)src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
            return;
        }
        case 8: {
            uint64_t *d = (uint64_t *)(void *)dst;
            const uint64_t *s = (const uint64_t *)(const void *)src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
            return;
        }
        default:
            for (int64_t i = 0; i < n; i++) dst[i * ds] = src[i * ss];
            return;
        }
    }
    if (dt == EINC_FLOAT32 && st == EINC_FLOAT64) {
        float *d = (float *)(void *)dst;
        const double *s = (const double *)(const void *)src;
        for (int64_t i = 0; i < n; i++) d[i * ds] = (float)s[i * ss];
        return;
    }
    if (dt == EINC_FLOAT64 && st == EINC_FLOAT32) {
        double *d = (double *)(void *)dst;
        const float *s = (const float *)(const void *)src;
        for (int64_t i = 0; i < n; i++) d[i * ds] = (double)s[i * ss];
        return;
    }
    if (st == EINC_INT64 && (dt == EINC_FLOAT64 || dt == EINC_INT32 || dt == EINC_BOOL)) {
        /* exact integer conversions, not through double */
        const int64_t *s = (const int64_t *)(const void *)src;
        for (int64_t i = 0; i < n; i++) {
            int64_t v = s[i * ss];
            char *p = dst + i * ds * (int64_t)des;
            if (dt == EINC_INT32) { int32_t w = (int32_t)(uint32_t)(uint64_t)v; memcpy(p, &w, 4); }
            else if (dt == EINC_BOOL) *p = (char)(v != 0);
            else { double w = (double)v; memcpy(p, &w, 8); }
        }
        return;
    }
    if (dt == EINC_INT64 && (st == EINC_INT32 || st == EINC_BOOL)) {
        int64_t *d = (int64_t *)(void *)dst;
        for (int64_t i = 0; i < n; i++) {
            const char *p = src + i * ss * (int64_t)ses;
            int64_t v;
            if (st == EINC_INT32) { int32_t w; memcpy(&w, p, 4); v = w; }
            else v = *p != 0;
            d[i * ds] = v;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++)
        einc__store_f64(dst + i * ds * (int64_t)des, dt, einc__load_f64(src + i * ss * (int64_t)ses, st));
}

void einc__k_copy(const einc__view *dst, const einc__view *src, int ith, int nth) {
    einc__view v[2] = {*dst, *src};
    int ndim = einc__k_coalesce(v, 2);
    int64_t inner = ndim > 0 ? v[0].shape[ndim - 1] : 1;
    int64_t ids = ndim > 0 ? v[0].strides[ndim - 1] : 1, iss = ndim > 0 ? v[1].strides[ndim - 1] : 1;
    int64_t rows = 1;
    for (int d = 0; d < ndim - 1; d++) rows *= v[0].shape[d];
    for (int d = 0; d < ndim; d++)
        if (v[0].shape[d] == 0) return;
    int64_t begin, end;
    einc__split_range(rows, ith, nth, &begin, &end);
    int64_t des = (int64_t)einc_dtype_size(dst->dtype), ses = (int64_t)einc_dtype_size(src->dtype);
    for (int64_t r = begin; r < end; r++) {
        int64_t rem = r, doff = 0, soff = 0;
        for (int d = ndim - 2; d >= 0; d--) {
            int64_t k = rem % v[0].shape[d];
            rem /= v[0].shape[d];
            doff += k * v[0].strides[d];
            soff += k * v[1].strides[d];
        }
        copy_row(dst->data + doff * des, dst->dtype, ids, src->data + soff * ses, src->dtype, iss, inner);
    }
}

void einc__k_copy_ref(const einc__view *dst, const einc__view *src, int ith, int nth) {
    int64_t n = 1;
    for (int d = 0; d < dst->ndim; d++) n *= dst->shape[d];
    int64_t begin, end;
    einc__split_range(n, ith, nth, &begin, &end);
    int64_t des = (int64_t)einc_dtype_size(dst->dtype), ses = (int64_t)einc_dtype_size(src->dtype);
    for (int64_t i = begin; i < end; i++) {
        int64_t rem = i, doff = 0, soff = 0;
        for (int d = dst->ndim - 1; d >= 0; d--) {
            int64_t k = rem % dst->shape[d];
            rem /= dst->shape[d];
            doff += k * dst->strides[d];
            soff += k * src->strides[d];
        }
        char *dp = dst->data + doff * des;
        const char *sp = src->data + soff * ses;
        if (dst->dtype == src->dtype) memcpy(dp, sp, (size_t)des);
        else if (src->dtype == EINC_INT64 && dst->dtype != EINC_FLOAT32) {
            int64_t w; memcpy(&w, sp, 8);
            if (dst->dtype == EINC_INT32) { int32_t x = (int32_t)(uint32_t)(uint64_t)w; memcpy(dp, &x, 4); }
            else if (dst->dtype == EINC_BOOL) *dp = (char)(w != 0);
            else { double x = (double)w; memcpy(dp, &x, 8); }
        } else einc__store_f64(dp, dst->dtype, einc__load_f64(sp, src->dtype));
    }
}
