/* sort.c — stable row sorts (argsort), unravelling of flat indices, scattering rows by a
 * permutation; with the counting oracle einc__k_sort_ref. */
#include <math.h>

#include "sort.h"

#define INSERTION_RUN 32
#define RADIX_MIN 256 /* shorter rows: the merge sort is faster than 4 to 8 counting passes */

/* ---- rows ---------------------------------------------------------------------------------------- */

/* Element offset of row r of a view along `axis` (row-major over the other dimensions). */
static int64_t row_offset(const einc__view *v, int axis, int64_t r) {
    int64_t off = 0;
    for (int d = v->ndim - 1; d >= 0; d--) {
        if (d == axis) continue;
        off += (r % v->shape[d]) * v->strides[d];
        r /= v->shape[d];
    }
    return off;
}

static int64_t row_count(const einc__view *v, int axis) {
    int64_t n = 1;
    for (int d = 0; d < v->ndim; d++)
        if (d != axis) n *= v->shape[d];
    return n;
}

/* ---- keys ------------------------------------------------------------------------------------------- */

/* Order-preserving keys: a < b (NaN last, -0.0 == 0.0) exactly when key(a) < key(b), and equal
 * values (all NaNs included) have equal keys. A float's bits with the sign folded: negative values
 * reversed below the positive ones. */
static uint64_t key_f64(double v) {
    if (v != v) return UINT64_MAX;
    if (v == 0) v = 0; /* -0.0 sorts as 0.0 */
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b >> 63) ? ~b : b | (UINT64_C(1) << 63);
}

static uint64_t key_f32(float v) {
    if (v != v) return UINT32_MAX;
    if (v == 0) v = 0;
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return (b >> 31) ? (uint32_t)~b : b | (UINT32_C(1) << 31);
}

/* Bytes of the keys of `dtype` that can differ (the radix passes needed). */
static int key_bytes(einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32:
    case EINC_INT32:
    case EINC_FLOAT16: /* keyed as float32 */
    case EINC_BFLOAT16: return 4;
    case EINC_INT16: return 2;
    case EINC_BOOL:
    case EINC_UINT8:
    case EINC_INT8: return 1;
    default: return 8;
    }
}

static void load_keys(uint64_t *key, const char *p, einc_dtype dtype, int64_t s, int64_t n) {
    switch (dtype) {
    case EINC_FLOAT32: {
        const float *x = (const float *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = key_f32(x[i * s]);
        return;
    }
    case EINC_FLOAT64: {
        const double *x = (const double *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = key_f64(x[i * s]);
        return;
    }
    case EINC_INT64: {
        const int64_t *x = (const int64_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = (uint64_t)x[i * s] ^ (UINT64_C(1) << 63);
        return;
    }
    case EINC_INT32: {
        const int32_t *x = (const int32_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = (uint32_t)x[i * s] ^ (UINT32_C(1) << 31);
        return;
    }
    case EINC_BOOL: {
        const uint8_t *x = (const uint8_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = x[i * s];
        return;
    }
    case EINC_FLOAT16: {
        const uint16_t *x = (const uint16_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = key_f32(einc__f16_to_f32(x[i * s]));
        return;
    }
    case EINC_BFLOAT16: {
        const uint16_t *x = (const uint16_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = key_f32(einc__bf16_to_f32(x[i * s]));
        return;
    }
    case EINC_UINT8: {
        const uint8_t *x = (const uint8_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = x[i * s];
        return;
    }
    case EINC_INT8: {
        const int8_t *x = (const int8_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = (uint8_t)x[i * s] ^ UINT8_C(0x80);
        return;
    }
    case EINC_INT16: {
        const int16_t *x = (const int16_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = (uint16_t)x[i * s] ^ UINT16_C(0x8000);
        return;
    }
    case EINC_UINT64: {
        const uint64_t *x = (const uint64_t *)(const void *)p;
        for (int64_t i = 0; i < n; i++) key[i] = x[i * s];
        return;
    }
    }
}

/* ---- the stable merge sort ------------------------------------------------------------------------ */

/* Merges the sorted runs [lo, mid) and [mid, hi) of (sk, si) into (dk, di); on ties the left run
 * goes first (stability). */
static void merge(const uint64_t *sk, const int64_t *si, int64_t lo, int64_t mid, int64_t hi, uint64_t *dk,
                  int64_t *di) {
    if (mid >= hi || sk[mid - 1] <= sk[mid]) { /* already in order (common for sorted input) */
        memcpy(dk + lo, sk + lo, sizeof *dk * (size_t)(hi - lo));
        memcpy(di + lo, si + lo, sizeof *di * (size_t)(hi - lo));
        return;
    }
    int64_t i = lo, j = mid, o = lo;
    while (i < mid && j < hi) {
        if (sk[j] < sk[i]) {
            dk[o] = sk[j];
            di[o++] = si[j++];
        } else {
            dk[o] = sk[i];
            di[o++] = si[i++];
        }
    }
    for (; i < mid; i++, o++) dk[o] = sk[i], di[o] = si[i];
    for (; j < hi; j++, o++) dk[o] = sk[j], di[o] = si[j];
}

/* Sorts key[0, n) with positions idx stably by merging; tk/ti are n-element scratch. Returns the
 * buffer holding the result: false = (key, idx), true = (tk, ti). */
static bool merge_sort(uint64_t *key, int64_t *idx, uint64_t *tk, int64_t *ti, int64_t n) {
    for (int64_t lo = 0; lo < n; lo += INSERTION_RUN) {
        int64_t hi = lo + INSERTION_RUN < n ? lo + INSERTION_RUN : n;
        for (int64_t i = lo + 1; i < hi; i++) {
            uint64_t k = key[i];
            int64_t v = idx[i], j = i;
            for (; j > lo && key[j - 1] > k; j--) {
                key[j] = key[j - 1];
                idx[j] = idx[j - 1];
            }
            key[j] = k;
            idx[j] = v;
        }
    }
    uint64_t *sk = key, *dk = tk;
    int64_t *si = idx, *di = ti;
    bool swapped = false;
    for (int64_t w = INSERTION_RUN; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            merge(sk, si, lo, mid, hi, dk, di);
        }
        uint64_t *t = sk;
        sk = dk;
        dk = t;
        int64_t *u = si;
        si = di;
        di = u;
        swapped = !swapped;
    }
    return swapped;
}

/* The same by least-significant-digit radix sort over the low `nbytes` bytes of the keys (stable:
 * every counting pass keeps the order of equal digits). Passes whose digit is the same for every
 * key are skipped. */
static bool radix_sort(uint64_t *key, int64_t *idx, uint64_t *tk, int64_t *ti, int64_t n, int nbytes) {
    int64_t count[8][256];
    memset(count, 0, sizeof count[0] * (size_t)nbytes);
    for (int64_t i = 0; i < n; i++)
        for (int b = 0; b < nbytes; b++) count[b][key[i] >> (8 * b) & 0xff]++;
    uint64_t *sk = key, *dk = tk;
    int64_t *si = idx, *di = ti;
    bool swapped = false;
    for (int b = 0; b < nbytes; b++) {
        int64_t *c = count[b], sum = 0;
        if (c[sk[0] >> (8 * b) & 0xff] == n) continue; /* one digit value: nothing moves */
        for (int v = 0; v < 256; v++) {
            int64_t t = c[v];
            c[v] = sum;
            sum += t;
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t o = c[sk[i] >> (8 * b) & 0xff]++;
            dk[o] = sk[i];
            di[o] = si[i];
        }
        uint64_t *t = sk;
        sk = dk;
        dk = t;
        int64_t *u = si;
        si = di;
        di = u;
        swapped = !swapped;
    }
    return swapped;
}

/* dst[k * ds] = src[perm[k] * ss] for k < n, element size `size` bytes. */
static void gather_row(char *dst, int64_t ds, const char *src, int64_t ss, const int64_t *perm, int64_t n,
                       size_t size) {
    switch (size) {
    case 8: {
        uint64_t *y = (uint64_t *)(void *)dst;
        const uint64_t *x = (const uint64_t *)(const void *)src;
        for (int64_t k = 0; k < n; k++) y[k * ds] = x[perm[k] * ss];
        return;
    }
    case 4: {
        uint32_t *y = (uint32_t *)(void *)dst;
        const uint32_t *x = (const uint32_t *)(const void *)src;
        for (int64_t k = 0; k < n; k++) y[k * ds] = x[perm[k] * ss];
        return;
    }
    case 2: {
        uint16_t *y = (uint16_t *)(void *)dst;
        const uint16_t *x = (const uint16_t *)(const void *)src;
        for (int64_t k = 0; k < n; k++) y[k * ds] = x[perm[k] * ss];
        return;
    }
    default: {
        uint8_t *y = (uint8_t *)(void *)dst;
        const uint8_t *x = (const uint8_t *)(const void *)src;
        for (int64_t k = 0; k < n; k++) y[k * ds] = x[perm[k] * ss];
        return;
    }
    }
}

size_t einc__k_sort_scratch(int64_t n) {
    size_t bytes = (size_t)n * 4 * sizeof(uint64_t); /* keys and positions, twice */
    return (bytes + 63) / 64 * 64;
}

void einc__k_sort(const einc__view *values, const einc__view *indices, const einc__view *x, int axis, void *scratch,
                  int ith, int nth) {
    int64_t n = x->shape[axis];
    int64_t rows = n > 0 ? row_count(x, axis) : 0, begin, end;
    einc__split_range(rows, ith, nth, &begin, &end);
    char *mine = (char *)scratch + (size_t)ith * einc__k_sort_scratch(n);
    uint64_t *key = (uint64_t *)(void *)mine, *tk = key + n;
    int64_t *idx = (int64_t *)(void *)(tk + n), *ti = idx + n;
    size_t esize = einc_dtype_size(x->dtype);
    int nbytes = key_bytes(x->dtype);
    for (int64_t r = begin; r < end; r++) {
        const char *xr = x->data + row_offset(x, axis, r) * (int64_t)esize;
        load_keys(key, xr, x->dtype, x->strides[axis], n);
        for (int64_t i = 0; i < n; i++) idx[i] = i;
        bool in_scratch = n >= RADIX_MIN ? radix_sort(key, idx, tk, ti, n, nbytes) : merge_sort(key, idx, tk, ti, n);
        const int64_t *perm = in_scratch ? ti : idx;
        if (values)
            gather_row(values->data + row_offset(values, axis, r) * (int64_t)esize, values->strides[axis], xr,
                       x->strides[axis], perm, n, esize);
        if (indices) {
            int64_t *y = (int64_t *)(void *)(indices->data + row_offset(indices, axis, r) * (int64_t)sizeof(int64_t));
            for (int64_t k = 0; k < n; k++) y[k * indices->strides[axis]] = perm[k];
        }
    }
}

/* ---- the oracle --------------------------------------------------------------------------------------- */

/* -1, 0, 1 for a < b, a == b, a > b in the sort order (NaN last and equal to NaN). */
static int compare(const char *a, const char *b, einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32:
    case EINC_FLOAT64: {
        double x = dtype == EINC_FLOAT32 ? (double)*(const float *)(const void *)a : *(const double *)(const void *)a;
        double y = dtype == EINC_FLOAT32 ? (double)*(const float *)(const void *)b : *(const double *)(const void *)b;
        if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
        return (x > y) - (x < y);
    }
    case EINC_INT64: {
        int64_t x = *(const int64_t *)(const void *)a, y = *(const int64_t *)(const void *)b;
        return (x > y) - (x < y);
    }
    case EINC_INT32: {
        int32_t x = *(const int32_t *)(const void *)a, y = *(const int32_t *)(const void *)b;
        return (x > y) - (x < y);
    }
    case EINC_BOOL: return (*(const uint8_t *)a > *(const uint8_t *)b) - (*(const uint8_t *)a < *(const uint8_t *)b);
    case EINC_FLOAT16:
    case EINC_BFLOAT16: { /* exact in double */
        double x = einc__load_f64(a, dtype), y = einc__load_f64(b, dtype);
        if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
        return (x > y) - (x < y);
    }
    case EINC_UINT8:
    case EINC_INT8:
    case EINC_INT16: {
        int64_t x = einc__load_i64(a, dtype), y = einc__load_i64(b, dtype);
        return (x > y) - (x < y);
    }
    case EINC_UINT64: {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    }
    return 0;
}

void einc__k_sort_ref(const einc__view *values, const einc__view *indices, const einc__view *x, int axis, int ith,
                      int nth) {
    int64_t n = x->shape[axis];
    int64_t rows = n > 0 ? row_count(x, axis) : 0, begin, end;
    einc__split_range(rows, ith, nth, &begin, &end);
    size_t esize = einc_dtype_size(x->dtype);
    int64_t xs = x->strides[axis] * (int64_t)esize;
    for (int64_t r = begin; r < end; r++) {
        const char *xr = x->data + row_offset(x, axis, r) * (int64_t)esize;
        for (int64_t i = 0; i < n; i++) {
            int64_t place = 0;
            for (int64_t j = 0; j < n; j++) {
                int c = compare(xr + j * xs, xr + i * xs, x->dtype);
                place += c < 0 || (c == 0 && j < i);
            }
            if (values) {
                char *y = values->data + (row_offset(values, axis, r) + place * values->strides[axis]) * (int64_t)esize;
                memcpy(y, xr + i * xs, esize);
            }
            if (indices) {
                char *y = indices->data +
                          (row_offset(indices, axis, r) + place * indices->strides[axis]) * (int64_t)sizeof(int64_t);
                memcpy(y, &i, sizeof i);
            }
        }
    }
}

/* ---- unravel ---------------------------------------------------------------------------------------------- */

void einc__k_unravel(const einc__view *y, const einc__view *flat, int axis, int ncoords, const int64_t *sizes, int ith,
                     int nth) {
    int64_t total = 1;
    for (int d = 0; d < y->ndim; d++) total *= y->shape[d];
    int64_t begin, end;
    einc__split_range(total, ith, nth, &begin, &end);
    if (begin >= end) return;
    int64_t below[EINC_MAX_DIMS + 1]; /* below[k]: product of sizes after coordinate k */
    below[ncoords] = 1;
    for (int k = ncoords - 1; k >= 0; k--) below[k] = below[k + 1] * sizes[k];
    /* odometer over y from `begin` */
    int64_t index[EINC_MAX_DIMS], yo = 0, fo = 0, rem = begin;
    for (int d = y->ndim - 1; d >= 0; d--) {
        index[d] = rem % y->shape[d];
        rem /= y->shape[d];
        yo += index[d] * y->strides[d];
        fo += index[d] * flat->strides[d];
    }
    int64_t *yp = (int64_t *)(void *)y->data;
    const int64_t *fp = (const int64_t *)(const void *)flat->data;
    for (int64_t e = begin; e < end; e++) {
        int k = axis >= 0 ? (int)index[axis] : 0;
        yp[yo] = fp[fo] / below[k + 1] % sizes[k];
        for (int d = y->ndim - 1; d >= 0; d--) {
            yo += y->strides[d];
            fo += flat->strides[d];
            if (++index[d] < y->shape[d]) break;
            yo -= y->strides[d] * y->shape[d];
            fo -= flat->strides[d] * flat->shape[d];
            index[d] = 0;
        }
    }
}

/* ---- scatter by a permutation (the gradient of sort) -------------------------------------------------- */

void einc__k_scatter_rows(const einc__view *dst, const einc__view *src, const einc__view *idx, int axis, int ith,
                          int nth) {
    int64_t n = src->shape[axis];
    int64_t rows = n > 0 ? row_count(src, axis) : 0, begin, end;
    einc__split_range(rows, ith, nth, &begin, &end);
    int64_t ds = (int64_t)einc_dtype_size(dst->dtype), ss = (int64_t)einc_dtype_size(src->dtype);
    for (int64_t r = begin; r < end; r++) {
        char *d = dst->data + row_offset(dst, axis, r) * ds;
        const char *s = src->data + row_offset(src, axis, r) * ss;
        const int64_t *p = (const int64_t *)(const void *)idx->data + row_offset(idx, axis, r);
        for (int64_t k = 0; k < n; k++)
            einc__store_f64(d + p[k * idx->strides[axis]] * dst->strides[axis] * ds, dst->dtype,
                            einc__load_f64(s + k * src->strides[axis] * ss, src->dtype));
    }
}
