/* views.c — zero-copy views: view/reshape, permute, transpose, squeeze, unsqueeze, expand,
 * slice, narrow, select, diagonal, flip. Each returns a new handle sharing storage. */
#include "../core/internal.h"

/* Computes strides for viewing t as `shape` without copying (the algorithm of NumPy's
 * _attempt_nocopy_reshape): runs of old dimensions that are contiguous with each other may be
 * split or merged freely. Returns false when no such strides exist. */
static bool nocopy_strides(const einc_tensor *t, int ndim, const int64_t *shape, int64_t *strides) {
    int64_t oshape[EINC_MAX_DIMS], ostrides[EINC_MAX_DIMS];
    int ond = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] != 1) {
            oshape[ond] = t->shape[i];
            ostrides[ond] = t->strides[i];
            ond++;
        }
    }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < ndim && oi < ond) {
        int64_t np_ = shape[ni], op = oshape[oi];
        while (np_ != op) {
            if (np_ < op) np_ *= shape[nj++];
            else op *= oshape[oj++];
        }
        for (int ok = oi; ok < oj - 1; ok++)
            if (ostrides[ok] != oshape[ok + 1] * ostrides[ok + 1]) return false;
        strides[nj - 1] = ostrides[oj - 1];
        for (int nk = nj - 1; nk > ni; nk--) strides[nk - 1] = strides[nk] * shape[nk];
        ni = nj++;
        oi = oj++;
    }
    /* trailing size-1 dimensions of the new shape */
    for (int i = ni; i < ndim; i++) strides[i] = i > 0 ? strides[i - 1] : 1;
    return true;
}

/* Resolves a -1 entry and checks the element count. */
static bool resolve_shape(einc_ctx *ctx, const char *fname, const einc_tensor *t, int ndim, const int64_t *shape,
                          int64_t *out) {
    char a[256], b[256];
    if (ndim < 0 || ndim > EINC_MAX_DIMS) {
        einc__error(ctx, EINC_EINVAL, "%s: ndim %d is out of range [0, %d]", fname, ndim, EINC_MAX_DIMS);
        return false;
    }
    if (ndim > 0 && !shape) {
        einc__error(ctx, EINC_EINVAL, "%s: shape is NULL for ndim %d", fname, ndim);
        return false;
    }
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == -1) {
            if (infer >= 0) {
                einc__error(ctx, EINC_EINVAL, "%s: only one dimension can be -1 in shape %s", fname,
                            einc__shape_str(a, sizeof a, ndim, shape));
                return false;
            }
            infer = i;
            out[i] = 1;
            continue;
        }
        if (shape[i] < 0) {
            einc__error(ctx, EINC_EINVAL, "%s: invalid size %lld in shape %s", fname, (long long)shape[i],
                        einc__shape_str(a, sizeof a, ndim, shape));
            return false;
        }
        out[i] = shape[i];
        if (__builtin_mul_overflow(known, shape[i], &known)) {
            einc__error(ctx, EINC_EOVERFLOW, "%s: shape %s overflows", fname,
                        einc__shape_str(a, sizeof a, ndim, shape));
            return false;
        }
    }
    int64_t numel = einc__tensor_numel(t);
    if (infer >= 0) {
        if (known == 0 || numel % known != 0) {
            einc__error(ctx, EINC_ESHAPE, "%s: cannot reshape tensor of shape %s into shape %s", fname,
                        einc__shape_str(a, sizeof a, t->ndim, t->shape), einc__shape_str(b, sizeof b, ndim, shape));
            return false;
        }
        out[infer] = numel / known;
    } else if (known != numel) {
        einc__error(ctx, EINC_ESHAPE,
                    "%s: cannot reshape tensor of shape %s (%lld elements) into shape %s (%lld elements)", fname,
                    einc__shape_str(a, sizeof a, t->ndim, t->shape), (long long)numel,
                    einc__shape_str(b, sizeof b, ndim, shape), (long long)known);
        return false;
    }
    return true;
}

einc_tensor *einc_tensor_view(einc_ctx *ctx, einc_tensor *t, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_view");
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    if (!resolve_shape(ctx, "einc_tensor_view", t, ndim, shape, s)) return NULL;
    if (einc__tensor_numel(t) == 0) einc__shape_contiguous_strides(ndim, s, st);
    else if (!nocopy_strides(t, ndim, s, st)) {
        char a[256], b[256], c[256];
        einc__error(ctx, EINC_ESHAPE,
                    "einc_tensor_view: viewing shape %s with strides %s as shape %s is not possible "
                    "without a copy (use einc_tensor_reshape, or einc_tensor_contiguous first)",
                    einc__shape_str(a, sizeof a, t->ndim, t->shape), einc__shape_str(b, sizeof b, t->ndim, t->strides),
                    einc__shape_str(c, sizeof c, ndim, s));
        return NULL;
    }
    return einc__ag_reshape(ctx, einc__tensor_view_of(ctx, t, ndim, s, st, t->offset), t);
}

einc_tensor *einc_tensor_reshape(einc_ctx *ctx, einc_tensor *t, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_reshape");
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    if (!resolve_shape(ctx, "einc_tensor_reshape", t, ndim, shape, s)) return NULL;
    einc_tensor *v;
    if (einc__tensor_numel(t) == 0 || nocopy_strides(t, ndim, s, st)) {
        if (einc__tensor_numel(t) == 0) einc__shape_contiguous_strides(ndim, s, st);
        v = einc__tensor_view_of(ctx, t, ndim, s, st, t->offset);
    } else {
        einc_tensor *c = einc_tensor_clone(ctx, t);
        if (!c) return NULL;
        einc__shape_contiguous_strides(ndim, s, st);
        v = einc__tensor_view_of(ctx, c, ndim, s, st, c->offset);
        einc_tensor_release(c);
    }
    return einc__ag_reshape(ctx, v, t);
}

einc_tensor *einc_tensor_permute(einc_ctx *ctx, einc_tensor *t, int naxes, const int *axes) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_permute");
    if (naxes != t->ndim || (naxes > 0 && !axes)) {
        einc__error(ctx, EINC_EINVAL, "einc_tensor_permute: got %d axes for a tensor with %d dimensions", naxes,
                    t->ndim);
        return NULL;
    }
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    bool seen[EINC_MAX_DIMS] = {false};
    for (int i = 0; i < naxes; i++) {
        int a;
        if (!einc__axis_normalize(ctx, "einc_tensor_permute", axes[i], t->ndim, &a)) return NULL;
        if (seen[a]) {
            einc__error(ctx, EINC_EINVAL, "einc_tensor_permute: axis %d is repeated in the permutation", axes[i]);
            return NULL;
        }
        seen[a] = true;
        s[i] = t->shape[a];
        st[i] = t->strides[a];
    }
    return einc__ag_permute(ctx, einc__tensor_view_of(ctx, t, t->ndim, s, st, t->offset), t, axes);
}

einc_tensor *einc_tensor_transpose(einc_ctx *ctx, einc_tensor *t, int axis0, int axis1) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_transpose");
    int a, b;
    if (!einc__axis_normalize(ctx, "einc_tensor_transpose", axis0, t->ndim, &a) ||
        !einc__axis_normalize(ctx, "einc_tensor_transpose", axis1, t->ndim, &b))
        return NULL;
    int perm[EINC_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) perm[i] = i;
    perm[a] = b;
    perm[b] = a;
    return einc_tensor_permute(ctx, t, t->ndim, perm);
}

einc_tensor *einc_tensor_squeeze(einc_ctx *ctx, einc_tensor *t, int axis) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_squeeze");
    int a;
    if (!einc__axis_normalize(ctx, "einc_tensor_squeeze", axis, t->ndim, &a)) return NULL;
    if (t->shape[a] != 1) {
        einc__error(ctx, EINC_ESHAPE, "einc_tensor_squeeze: dimension %d has size %lld, not 1", axis,
                    (long long)t->shape[a]);
        return NULL;
    }
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == a) continue;
        s[n] = t->shape[i];
        st[n++] = t->strides[i];
    }
    return einc__ag_reshape(ctx, einc__tensor_view_of(ctx, t, n, s, st, t->offset), t);
}

einc_tensor *einc_tensor_squeeze_all(einc_ctx *ctx, einc_tensor *t) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_squeeze_all");
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 1) continue;
        s[n] = t->shape[i];
        st[n++] = t->strides[i];
    }
    return einc__ag_reshape(ctx, einc__tensor_view_of(ctx, t, n, s, st, t->offset), t);
}

einc_tensor *einc_tensor_unsqueeze(einc_ctx *ctx, einc_tensor *t, int axis) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_unsqueeze");
    if (t->ndim >= EINC_MAX_DIMS) {
        einc__error(ctx, EINC_EINVAL, "einc_tensor_unsqueeze: tensor already has %d dimensions", EINC_MAX_DIMS);
        return NULL;
    }
    int a;
    if (!einc__axis_normalize(ctx, "einc_tensor_unsqueeze", axis, t->ndim + 1, &a)) return NULL;
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    for (int i = 0, j = 0; i <= t->ndim; i++) {
        if (i == a) {
            s[i] = 1;
            st[i] = (j < t->ndim) ? t->strides[j] * t->shape[j] : 1;
        } else {
            s[i] = t->shape[j];
            st[i] = t->strides[j++];
        }
    }
    return einc__ag_reshape(ctx, einc__tensor_view_of(ctx, t, t->ndim + 1, s, st, t->offset), t);
}

einc_tensor *einc_tensor_expand(einc_ctx *ctx, einc_tensor *t, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_expand");
    char a[256], b[256];
    if (ndim < t->ndim || ndim > EINC_MAX_DIMS || (ndim > 0 && !shape)) {
        einc__error(ctx, EINC_ESHAPE,
                    "einc_tensor_expand: cannot broadcast a tensor with %d dimensions to %d dimensions", t->ndim, ndim);
        return NULL;
    }
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    for (int i = 0; i < ndim; i++) {
        int src = i - (ndim - t->ndim);
        int64_t want = shape[i];
        if (src < 0) {
            if (want < 0) {
                einc__error(ctx, EINC_ESHAPE, "einc_tensor_expand: -1 is not allowed for the new leading dimension %d",
                            i);
                return NULL;
            }
            s[i] = want;
            st[i] = 0;
            continue;
        }
        if (want == -1) want = t->shape[src];
        if (want == t->shape[src]) {
            s[i] = want;
            st[i] = t->strides[src];
        } else if (t->shape[src] == 1 && want >= 0) {
            s[i] = want;
            st[i] = 0;
        } else {
            einc__error(ctx, EINC_ESHAPE, "einc_tensor_expand: cannot broadcast shape %s to shape %s",
                        einc__shape_str(a, sizeof a, t->ndim, t->shape), einc__shape_str(b, sizeof b, ndim, shape));
            return NULL;
        }
    }
    int64_t numel;
    if (!einc__shape_check(ctx, "einc_tensor_expand", t->dtype, ndim, s, &numel)) return NULL;
    return einc__ag_expand(ctx, einc__tensor_view_of(ctx, t, ndim, s, st, t->offset), t);
}

/* Python's slice.indices(): clamps start/stop for `len` and returns the element count. */
static int64_t slice_indices(int64_t len, int64_t *start, int64_t *stop, int64_t step) {
    int64_t lo = step < 0 ? -1 : 0, hi = step < 0 ? len - 1 : len;
    int64_t s = *start, e = *stop;
    if (s == INT64_MAX && step < 0) s = hi;
    else if (s < 0) {
        s = s < -len ? lo : s + len;
    } else if (s > hi) s = hi;
    if (e == INT64_MIN && step < 0) e = lo;
    else if (e < 0) {
        e = e < -len ? lo : e + len;
    } else if (e > hi) e = hi;
    *start = s;
    *stop = e;
    /* Python's formula: (e - s - 1) / step + 1 cannot overflow, even for a step near INT64_MAX */
    if (step > 0) return e > s ? (e - s - 1) / step + 1 : 0;
    return s > e ? (s - e - 1) / (-step) + 1 : 0;
}

einc_tensor *einc_tensor_slice(einc_ctx *ctx, einc_tensor *t, int axis, int64_t start, int64_t stop, int64_t step) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_slice");
    int a;
    if (!einc__axis_normalize(ctx, "einc_tensor_slice", axis, t->ndim, &a)) return NULL;
    if (step == 0 || step == INT64_MIN) {
        einc__error(ctx, EINC_EVALUE, "einc_tensor_slice: slice step cannot be %s", step == 0 ? "zero" : "INT64_MIN");
        return NULL;
    }
    int64_t n = slice_indices(t->shape[a], &start, &stop, step);
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    memcpy(s, t->shape, sizeof s);
    memcpy(st, t->strides, sizeof st);
    s[a] = n;
    /* with one element or none the stride is never used; step * stride could overflow then */
    st[a] = n > 1 ? t->strides[a] * step : t->strides[a];
    int64_t off = t->offset + (n > 0 ? start * t->strides[a] * (int64_t)einc_dtype_size(t->dtype) : 0);
    return einc__ag_slice(ctx, einc__tensor_view_of(ctx, t, t->ndim, s, st, off), t, a, start, step);
}

einc_tensor *einc_tensor_narrow(einc_ctx *ctx, einc_tensor *t, int axis, int64_t start, int64_t length) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_narrow");
    int a;
    if (!einc__axis_normalize(ctx, "einc_tensor_narrow", axis, t->ndim, &a)) return NULL;
    int64_t len = t->shape[a];
    int64_t s0 = start < 0 ? start + len : start;
    if (s0 < 0 || s0 > len || length < 0 || length > len - s0) {
        einc__error(ctx, EINC_EINDEX,
                    "einc_tensor_narrow: start %lld with length %lld exceeds dimension %d of size %lld",
                    (long long)start, (long long)length, axis, (long long)len);
        return NULL;
    }
    return einc_tensor_slice(ctx, t, a, s0, s0 + length, 1);
}

einc_tensor *einc_tensor_select(einc_ctx *ctx, einc_tensor *t, int axis, int64_t index) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_select");
    int a;
    if (!einc__axis_normalize(ctx, "einc_tensor_select", axis, t->ndim, &a)) return NULL;
    int64_t len = t->shape[a];
    int64_t k = index < 0 ? index + len : index;
    if (k < 0 || k >= len) {
        einc__error(ctx, EINC_EINDEX, "einc_tensor_select: index %lld is out of range for dimension %d of size %lld",
                    (long long)index, axis, (long long)len);
        return NULL;
    }
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == a) continue;
        s[n] = t->shape[i];
        st[n++] = t->strides[i];
    }
    int64_t off = t->offset + k * t->strides[a] * (int64_t)einc_dtype_size(t->dtype);
    return einc__ag_select(ctx, einc__tensor_view_of(ctx, t, n, s, st, off), t, a, k);
}

einc_tensor *einc_tensor_diagonal(einc_ctx *ctx, einc_tensor *t, int64_t offset, int axis1, int axis2) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_diagonal");
    int a, b;
    if (!einc__axis_normalize(ctx, "einc_tensor_diagonal", axis1, t->ndim, &a) ||
        !einc__axis_normalize(ctx, "einc_tensor_diagonal", axis2, t->ndim, &b))
        return NULL;
    if (a == b) {
        einc__error(ctx, EINC_EINVAL, "einc_tensor_diagonal: axis1 and axis2 cannot be the same (%d)", axis1);
        return NULL;
    }
    int64_t n1 = t->shape[a], n2 = t->shape[b];
    /* offsets beyond the matrix give an empty diagonal; testing them first keeps -offset from
     * overflowing for INT64_MIN */
    int64_t start1 = 0, start2 = 0, len = 0;
    if (offset >= 0 && offset < n2) {
        start2 = offset;
        len = n1 < n2 - offset ? n1 : n2 - offset;
    } else if (offset < 0 && offset > -n1) {
        start1 = -offset;
        len = n1 - start1 < n2 ? n1 - start1 : n2;
    }
    int64_t s[EINC_MAX_DIMS], st[EINC_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i == a || i == b) continue;
        s[n] = t->shape[i];
        st[n++] = t->strides[i];
    }
    s[n] = len;
    st[n++] = t->strides[a] + t->strides[b];
    int64_t off = t->offset;
    if (len > 0) off += (start1 * t->strides[a] + start2 * t->strides[b]) * (int64_t)einc_dtype_size(t->dtype);
    return einc__ag_diagonal(ctx, einc__tensor_view_of(ctx, t, n, s, st, off), t, offset, a, b);
}

einc_tensor *einc_tensor_flip(einc_ctx *ctx, einc_tensor *t, int naxes, const int *axes) {
    EINC__OWNED(ctx, NULL);
    EINC__REQUIRE(ctx, t, "einc_tensor_flip");
    bool flip[EINC_MAX_DIMS] = {false};
    if (naxes < 0) {
        for (int i = 0; i < t->ndim; i++) flip[i] = true;
    } else {
        if (naxes > 0 && !axes) {
            einc__error(ctx, EINC_EINVAL, "einc_tensor_flip: axes is NULL");
            return NULL;
        }
        for (int i = 0; i < naxes; i++) {
            int a;
            if (!einc__axis_normalize(ctx, "einc_tensor_flip", axes[i], t->ndim, &a)) return NULL;
            if (flip[a]) {
                einc__error(ctx, EINC_EINVAL, "einc_tensor_flip: axis %d is repeated", axes[i]);
                return NULL;
            }
            flip[a] = true;
        }
    }
    int64_t st[EINC_MAX_DIMS];
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++) {
        st[i] = flip[i] ? -t->strides[i] : t->strides[i];
        if (flip[i] && t->shape[i] > 0) off += (t->shape[i] - 1) * t->strides[i];
    }
    if (einc__tensor_numel(t) == 0) off = 0;
    einc_tensor *v =
        einc__tensor_view_of(ctx, t, t->ndim, t->shape, st, t->offset + off * (int64_t)einc_dtype_size(t->dtype));
    return einc__ag_flip(ctx, v, t, flip);
}
