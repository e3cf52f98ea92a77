/* test_views.c — every view of einc/tensor.h against numpy, storage sharing, copies, casts
 * and in-place copies, and the error path of each.
 *
 * Golden truth: tests/golden/gen_core.py (views_*, cast_*, copy_*). Inputs are built here from
 * arange: X = arange(120, float32).reshape(2, 3, 4, 5), whose value at a position is its flat
 * index, so reading an element of any view of X tells which element of X it aliases.
 */
#include "test.h"
#include "kernels/kernels.h"

#define NONE 1000 /* an omitted bound in the slice tables (SLICE_NONE in gen_core.py) */

static einc_tensor *make_x(einc_ctx *ctx) {
    return einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 120, 1), EINC_SHAPE(2, 3, 4, 5));
}

static einc_tensor *golden(einc_ctx *ctx, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "core/%s", name);
    return test_golden(ctx, path);
}

/* actual must equal views_<name>.npy exactly (shape, dtype, values). */
#define CHECK_GOLDEN(ctx, actual, name) CHECK_TENSOR_CLOSE((actual), golden((ctx), "views_" name), 0.0, 0.0)

/* The first element of `v` (numel > 0) aliases element f of x (x's values are flat indices):
 * writing through v must show in x when they share storage, and must not otherwise. */
static void check_sharing(einc_tensor *x, einc_tensor *v, bool shared) {
    einc_ctx *ctx = einc_tensor_ctx(x);
    int64_t zero[EINC_MAX_DIMS] = {0};
    einc_tensor *flat = einc_tensor_reshape(ctx, x, EINC_SHAPE(-1));
    int64_t f = (int64_t)einc_tensor_get(v, zero);
    double before = einc_tensor_get(flat, &f);
    CHECK_EQ_INT(einc_tensor_set(v, zero, -5.0), EINC_OK);
    CHECK_CLOSE(einc_tensor_get(flat, &f), shared ? -5.0 : before, 0.0);
    einc_tensor_set(v, zero, (double)f);
    einc_tensor_release(flat);
}

TEST(view_and_reshape) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *v;
    CHECK_GOLDEN(ctx, v = einc_tensor_view(ctx, x, EINC_SHAPE(6, 20)), "view_6x20");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_view(ctx, x, EINC_SHAPE(-1, 5)), "view_m1x5");
    CHECK_GOLDEN(ctx, einc_tensor_view(ctx, x, EINC_SHAPE(2, -1, 5)), "view_2xm1x5");
    CHECK_GOLDEN(ctx, einc_tensor_view(ctx, x, EINC_SHAPE(1, 2, 1, 60, 1)), "view_ones");
    einc_tensor *one = einc_tensor_select(ctx, einc_tensor_select(ctx, einc_tensor_select(ctx, x, 0, 1), 0, 2), 0, 3);
    CHECK_GOLDEN(ctx, v = einc_tensor_view(ctx, einc_tensor_narrow(ctx, one, 0, 4, 1), 0, NULL), "view_scalar");
    check_sharing(x, v, true);

    /* a permuted layout whose merged dimensions stay contiguous still views */
    einc_tensor *p = einc_tensor_permute(ctx, x, EINC_DIMS(1, 0, 2, 3));
    CHECK_GOLDEN(ctx, v = einc_tensor_view(ctx, p, EINC_SHAPE(3, 2, 20)), "view_permuted_merge");
    check_sharing(x, v, true);
    einc_tensor *s = einc_tensor_slice(ctx, x, 1, 1, 3, 1);
    CHECK_GOLDEN(ctx, v = einc_tensor_view(ctx, s, EINC_SHAPE(2, 2, 20)), "view_sliced");
    check_sharing(x, v, true);

    /* merging (3, 2) of the permuted layout needs a copy: view fails, reshape copies */
    CHECK(einc_tensor_view(ctx, p, EINC_SHAPE(6, 20)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_tensor_view: viewing shape (3, 2, 4, 5) with strides (20, 60, 5, 1) as "
                "shape (6, 20) is not possible without a copy");
    CHECK_GOLDEN(ctx, v = einc_tensor_reshape(ctx, p, EINC_SHAPE(6, 20)), "reshape_copy");
    CHECK(einc_tensor_is_contiguous(v));
    check_sharing(x, v, false);
    /* reshape returns a view when it can */
    CHECK_GOLDEN(ctx, v = einc_tensor_reshape(ctx, x, EINC_SHAPE(6, -1)), "view_6x20");
    check_sharing(x, v, true);

    /* zero-size tensors view into any shape of zero elements */
    einc_tensor *e = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(0, 3));
    v = einc_tensor_view(ctx, einc_tensor_permute(ctx, e, EINC_DIMS(1, 0)), EINC_SHAPE(2, 0, 5));
    CHECK(v != NULL && einc_tensor_numel(v) == 0 && einc_tensor_dim(v, 2) == 5);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(view_errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    CHECK(einc_tensor_view(ctx, x, EINC_SHAPE(7, -1)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_view: cannot reshape tensor of shape (2, 3, 4, 5) into shape (7, -1)");
    CHECK(einc_tensor_view(ctx, x, EINC_SHAPE(6, 21)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "(2, 3, 4, 5) (120 elements) into shape (6, 21) (126 elements)");
    CHECK(einc_tensor_reshape(ctx, x, EINC_SHAPE(-1, -1)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_reshape: only one dimension can be -1 in shape (-1, -1)");
    CHECK(einc_tensor_view(ctx, x, EINC_SHAPE(-2, 60)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_view: invalid size -2 in shape (-2, 60)");
    CHECK(einc_tensor_view(ctx, x, 17, (const int64_t[17]){0}) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_view: ndim 17 is out of range [0, 16]");
    CHECK(einc_tensor_view(ctx, x, 2, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_view: shape is NULL for ndim 2");
    CHECK(einc_tensor_view(ctx, x, EINC_SHAPE(INT64_MAX, 2, 2)) == NULL);
    CHECK_ERROR(ctx, EINC_EOVERFLOW, "einc_tensor_view: shape");
    CHECK(einc_tensor_view(ctx, NULL, EINC_SHAPE(2)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_view: tensor argument 't' is NULL");
    CHECK(einc_tensor_reshape(ctx, NULL, EINC_SHAPE(2)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_reshape: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(permute_transpose) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *v;
    CHECK_GOLDEN(ctx, v = einc_tensor_permute(ctx, x, EINC_DIMS(3, 0, 2, 1)), "permute_3021");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_permute(ctx, x, EINC_DIMS(-1, 0, 1, 2)), "permute_neg");
    CHECK_GOLDEN(ctx, v = einc_tensor_transpose(ctx, x, 1, 3), "transpose_13");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_transpose(ctx, x, -1, 0), "transpose_m10");
    /* a 0-d tensor permutes with no axes */
    einc_tensor *s = einc_tensor_scalar(ctx, EINC_INT32, 4);
    CHECK_EQ_INT(einc_tensor_item(einc_tensor_permute(ctx, s, 0, NULL)), 4);
    CHECK_OK(ctx);

    CHECK(einc_tensor_permute(ctx, x, EINC_DIMS(0, 1, 2)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: got 3 axes for a tensor with 4 dimensions");
    CHECK(einc_tensor_permute(ctx, x, EINC_DIMS(0, 1, 2, 2)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: axis 2 is repeated");
    CHECK(einc_tensor_permute(ctx, x, EINC_DIMS(0, 1, -4, 3)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: axis -4 is repeated");
    CHECK(einc_tensor_permute(ctx, x, EINC_DIMS(0, 1, 4, 3)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: axis 4 is out of range for a tensor with 4 dimensions");
    CHECK(einc_tensor_permute(ctx, x, 4, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: got 4 axes");
    CHECK(einc_tensor_transpose(ctx, x, 0, -5) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_transpose: axis -5 is out of range");
    CHECK(einc_tensor_permute(ctx, NULL, EINC_DIMS(0)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: tensor argument 't' is NULL");
    CHECK(einc_tensor_transpose(ctx, NULL, 0, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_transpose: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(squeeze_unsqueeze) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *y = einc_tensor_view(ctx, x, EINC_SHAPE(2, 1, 3, 1, 20));
    einc_tensor *v;
    CHECK_GOLDEN(ctx, v = einc_tensor_squeeze(ctx, y, 1), "squeeze_1");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_squeeze(ctx, y, -2), "squeeze_m2");
    CHECK_GOLDEN(ctx, einc_tensor_squeeze_all(ctx, einc_tensor_view(ctx, x, EINC_SHAPE(1, 2, 1, 3, 1, 20, 1))),
                 "squeeze_all");
    CHECK_GOLDEN(ctx, v = einc_tensor_unsqueeze(ctx, x, 0), "unsqueeze_0");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_unsqueeze(ctx, x, 2), "unsqueeze_2");
    CHECK_GOLDEN(ctx, einc_tensor_unsqueeze(ctx, x, -1), "unsqueeze_m1");
    CHECK_GOLDEN(ctx, einc_tensor_unsqueeze(ctx, x, 4), "unsqueeze_m1");
    /* squeeze_all of a tensor of ones is 0-d; unsqueeze of a 0-d tensor is 1-d */
    einc_tensor *s = einc_tensor_squeeze_all(ctx, einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(1, 1)));
    CHECK_EQ_INT(einc_tensor_ndim(s), 0);
    CHECK_EQ_INT(einc_tensor_dim(einc_tensor_unsqueeze(ctx, s, 0), 0), 1);
    CHECK_OK(ctx);

    CHECK(einc_tensor_squeeze(ctx, y, 0) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_squeeze: dimension 0 has size 2, not 1");
    CHECK(einc_tensor_squeeze(ctx, y, 5) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_squeeze: axis 5 is out of range for a tensor with 5 dimensions");
    CHECK(einc_tensor_unsqueeze(ctx, x, 5) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_unsqueeze: axis 5 is out of range for a tensor with 5 dimensions");
    CHECK(einc_tensor_unsqueeze(ctx, x, -6) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_unsqueeze: axis -6 is out of range");
    int64_t ones16[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(einc_tensor_unsqueeze(ctx, einc_tensor_zeros(ctx, EINC_BOOL, 16, ones16), 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_unsqueeze: tensor already has 16 dimensions");
    CHECK(einc_tensor_squeeze(ctx, NULL, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_squeeze: tensor argument 't' is NULL");
    CHECK(einc_tensor_squeeze_all(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_squeeze_all: tensor argument 't' is NULL");
    CHECK(einc_tensor_unsqueeze(ctx, NULL, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_unsqueeze: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(expand) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *col = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 3, 1), EINC_SHAPE(3, 1));
    einc_tensor *v;
    CHECK_GOLDEN(ctx, v = einc_tensor_expand(ctx, col, EINC_SHAPE(2, 3, 4)), "expand_3x1");
    CHECK_EQ_INT(einc_tensor_strides(v)[0], 0);
    CHECK_EQ_INT(einc_tensor_strides(v)[2], 0);
    CHECK_GOLDEN(ctx, einc_tensor_expand(ctx, col, EINC_SHAPE(2, -1, 4)), "expand_3x1");
    /* X[0, :, :1, 0] is (3, 1) with strides (20, 5): expanded to (5, 3, 7) */
    einc_tensor *part =
        einc_tensor_select(ctx, einc_tensor_narrow(ctx, einc_tensor_select(ctx, x, 0, 0), 1, 0, 1), 2, 0);
    CHECK_GOLDEN(ctx, v = einc_tensor_expand(ctx, part, EINC_SHAPE(5, 3, 7)), "expand_leading");
    check_sharing(x, v, true);
    /* stretching to zero elements is allowed, like numpy.broadcast_to((1,), (0,)) */
    CHECK_EQ_INT(einc_tensor_numel(einc_tensor_expand(ctx, col, EINC_SHAPE(3, 0))), 0);
    CHECK_OK(ctx);

    CHECK(einc_tensor_expand(ctx, col, EINC_SHAPE(2, 4)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_expand: cannot broadcast shape (3, 1) to shape (2, 4)");
    CHECK(einc_tensor_expand(ctx, col, EINC_SHAPE(3)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_expand: cannot broadcast a tensor with 2 dimensions to 1 dimensions");
    CHECK(einc_tensor_expand(ctx, col, EINC_SHAPE(-1, 3, 4)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_expand: -1 is not allowed for the new leading dimension 0");
    CHECK(einc_tensor_expand(ctx, col, EINC_SHAPE(3, -2)) == NULL);
    CHECK_ERROR(ctx, EINC_ESHAPE, "einc_tensor_expand: cannot broadcast shape (3, 1) to shape (3, -2)");
    CHECK(einc_tensor_expand(ctx, col, EINC_SHAPE(INT64_MAX, 3, 4)) == NULL);
    CHECK_ERROR(ctx, EINC_EOVERFLOW, "einc_tensor_expand: shape");
    CHECK(einc_tensor_expand(ctx, NULL, EINC_SHAPE(2)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_expand: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

/* Every row (start, stop, step, count, first) of a slice table, on a length-7 arange and on
 * axis 1 of a (2, 7) tensor (so the other axis keeps its stride). */
static void check_slice_table(const char *name) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *table = golden(ctx, name);
    einc_tensor *x = einc_tensor_arange(ctx, EINC_INT64, 0, 7, 1);
    einc_tensor *m = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_INT64, 0, 14, 1), EINC_SHAPE(2, 7));
    int64_t rows = einc_tensor_dim(table, 0), bad = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t f[5];
        for (int64_t c = 0; c < 5; c++) f[c] = (int64_t)einc_tensor_get(table, (int64_t[]){r, c});
        if (einc_tensor_dtype(table) == EINC_INT64) { /* exact: the extremes do not fit a double */
            const int64_t *base = einc_tensor_data(table);
            for (int c = 0; c < 5; c++) f[c] = base[r * 5 + c];
        }
        int64_t step = f[2];
        int64_t start = f[0] == NONE ? (step > 0 ? INT64_MIN : INT64_MAX) : f[0];
        int64_t stop = f[1] == NONE ? (step > 0 ? INT64_MAX : INT64_MIN) : f[1];
        einc_scope_begin(ctx);
        einc_tensor *s = einc_tensor_slice(ctx, x, 0, start, stop, step);
        einc_tensor *s2 = einc_tensor_slice(ctx, m, -1, start, stop, step);
        bool ok = s && s2 && einc_tensor_numel(s) == f[3] && einc_tensor_dim(s2, 1) == f[3];
        for (int64_t k = 0; ok && k < f[3]; k++) {
            ok = einc_tensor_get(s, &k) == (double)(f[4] + k * step) &&
                 einc_tensor_get(s2, (int64_t[]){1, k}) == (double)(7 + f[4] + k * step);
        }
        if (!ok && bad++ < 5)
            fprintf(stderr, "%s: x[%lld:%lld:%lld] expected %lld items from %lld (%s)\n", name, (long long)start,
                    (long long)stop, (long long)step, (long long)f[3], (long long)f[4], einc_errmsg(ctx));
        einc_scope_end(ctx);
    }
    CHECK(rows > 50);
    CHECK_EQ_INT(bad, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(slice_table) { check_slice_table("views_slice_table"); }
TEST(slice_extreme_bounds) { check_slice_table("views_slice_extreme"); }

TEST(slice_errors_and_sharing) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *v = einc_tensor_slice(ctx, x, 2, INT64_MAX, INT64_MIN, -2);
    CHECK(v != NULL && einc_tensor_strides(v)[2] == -10);
    check_sharing(x, v, true);
    CHECK(einc_tensor_slice(ctx, x, 0, 0, 2, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "einc_tensor_slice: slice step cannot be zero");
    CHECK(einc_tensor_slice(ctx, x, 0, 0, 2, INT64_MIN) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "einc_tensor_slice: slice step cannot be INT64_MIN");
    CHECK(einc_tensor_slice(ctx, x, 4, 0, 2, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_slice: axis 4 is out of range for a tensor with 4 dimensions");
    CHECK(einc_tensor_slice(ctx, einc_tensor_scalar(ctx, EINC_FLOAT32, 1), 0, 0, 1, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_slice: axis 0 is out of range for a tensor with 0 dimensions");
    CHECK(einc_tensor_slice(ctx, NULL, 0, 0, 1, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_slice: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(narrow_select) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *v;
    CHECK_GOLDEN(ctx, v = einc_tensor_narrow(ctx, x, 2, 1, 2), "narrow_2_1_2");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_narrow(ctx, x, -1, -3, 2), "narrow_m1_m3_2");
    CHECK_GOLDEN(ctx, einc_tensor_narrow(ctx, x, 2, 4, 0), "narrow_empty");
    CHECK_GOLDEN(ctx, v = einc_tensor_select(ctx, x, 0, 1), "select_0_1");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_select(ctx, x, -1, -2), "select_m1_m2");
    CHECK_GOLDEN(ctx, einc_tensor_select(ctx, x, 1, -1), "select_1_m1");
    CHECK_OK(ctx);

    CHECK(einc_tensor_narrow(ctx, x, 2, 3, 2) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_narrow: start 3 with length 2 exceeds dimension 2 of size 4");
    CHECK(einc_tensor_narrow(ctx, x, 2, -5, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_narrow: start -5 with length 1 exceeds dimension 2 of size 4");
    CHECK(einc_tensor_narrow(ctx, x, 2, 5, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_narrow: start 5 with length 0");
    CHECK(einc_tensor_narrow(ctx, x, 2, 0, -1) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_narrow: start 0 with length -1");
    CHECK(einc_tensor_narrow(ctx, x, 2, 1, INT64_MAX) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_narrow: start 1 with length 9223372036854775807");
    CHECK(einc_tensor_narrow(ctx, x, -5, 0, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_narrow: axis -5 is out of range");
    CHECK(einc_tensor_select(ctx, x, 1, 3) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_select: index 3 is out of range for dimension 1 of size 3");
    CHECK(einc_tensor_select(ctx, x, 1, -4) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_select: index -4 is out of range for dimension 1 of size 3");
    CHECK(einc_tensor_select(ctx, x, 7, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_select: axis 7 is out of range");
    CHECK(einc_tensor_narrow(ctx, NULL, 0, 0, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_narrow: tensor argument 't' is NULL");
    CHECK(einc_tensor_select(ctx, NULL, 0, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_select: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(diagonal) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *meta = golden(ctx, "views_diag_meta");
    einc_tensor *values = golden(ctx, "views_diag_values");
    einc_tensor *y = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 60, 1), EINC_SHAPE(3, 4, 5));
    int64_t rows = einc_tensor_dim(meta, 0), bad = 0, empty = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t m[6];
        for (int64_t c = 0; c < 6; c++) m[c] = (int64_t)einc_tensor_get(meta, (int64_t[]){r, c});
        einc_scope_begin(ctx);
        einc_tensor *d = einc_tensor_diagonal(ctx, y, m[2], (int)m[0], (int)m[1]);
        bool ok = d && einc_tensor_ndim(d) == 2 && einc_tensor_dim(d, 0) == m[3] && einc_tensor_dim(d, 1) == m[4];
        for (int64_t i = 0; ok && i < m[3] * m[4]; i++) {
            int64_t at = m[5] + i;
            ok = einc_tensor_get(d, (int64_t[]){i / m[4], i % m[4]}) == einc_tensor_get(values, &at);
        }
        if (m[4] == 0) empty++;
        if (!ok && bad++ < 5)
            fprintf(stderr, "diagonal(offset %lld, %lld, %lld) differs from numpy\n", (long long)m[2], (long long)m[0],
                    (long long)m[1]);
        einc_scope_end(ctx);
    }
    CHECK(rows == 54 && empty > 0);
    CHECK_EQ_INT(bad, 0);
    /* the diagonal is a view; offsets at the extremes are empty without overflowing */
    einc_tensor *d = einc_tensor_diagonal(ctx, y, 1, 1, 2);
    einc_tensor_set(d, (int64_t[]){2, 1}, -1.0);
    CHECK_EQ_INT(einc_tensor_get(y, (int64_t[]){2, 1, 2}), -1);
    CHECK_EQ_INT(einc_tensor_dim(einc_tensor_diagonal(ctx, y, INT64_MIN, 0, 1), 1), 0);
    CHECK_EQ_INT(einc_tensor_dim(einc_tensor_diagonal(ctx, y, INT64_MAX, 0, 1), 1), 0);
    CHECK_OK(ctx);

    CHECK(einc_tensor_diagonal(ctx, y, 0, 1, -2) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_diagonal: axis1 and axis2 cannot be the same (1)");
    CHECK(einc_tensor_diagonal(ctx, y, 0, 0, 3) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_diagonal: axis 3 is out of range for a tensor with 3 dimensions");
    CHECK(einc_tensor_diagonal(ctx, einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(3)), 0, 0, -1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_diagonal: axis1 and axis2 cannot be the same");
    CHECK(einc_tensor_diagonal(ctx, NULL, 0, 0, 1) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_diagonal: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

TEST(flip) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *v;
    CHECK_GOLDEN(ctx, v = einc_tensor_flip(ctx, x, EINC_DIMS(0)), "flip_0");
    check_sharing(x, v, true);
    CHECK_GOLDEN(ctx, einc_tensor_flip(ctx, x, EINC_DIMS(1, 3)), "flip_13");
    CHECK_GOLDEN(ctx, einc_tensor_flip(ctx, x, EINC_DIMS(-1)), "flip_m1");
    CHECK_GOLDEN(ctx, einc_tensor_flip(ctx, x, EINC_ALL), "flip_all");
    /* flipping twice restores the layout; a zero-size tensor flips to a valid empty view */
    v = einc_tensor_flip(ctx, einc_tensor_flip(ctx, x, EINC_ALL), EINC_ALL);
    CHECK(einc_tensor_is_contiguous(v) && einc_tensor_data(v) == einc_tensor_data(x));
    CHECK_EQ_INT(
        einc_tensor_numel(einc_tensor_flip(ctx, einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(0, 4)), EINC_ALL)), 0);
    CHECK_OK(ctx);

    CHECK(einc_tensor_flip(ctx, x, EINC_DIMS(1, -3)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_flip: axis -3 is repeated");
    CHECK(einc_tensor_flip(ctx, x, EINC_DIMS(4)) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_flip: axis 4 is out of range");
    CHECK(einc_tensor_flip(ctx, x, 2, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_flip: axes is NULL");
    CHECK(einc_tensor_flip(ctx, NULL, EINC_ALL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_flip: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

/* Views of views of views: the strides and offsets compose like numpy's. */
TEST(chains) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    /* X.transpose(3, 1, 0, 2)[::-2, 1:][..., ::-1].diagonal(1, 1, 3) */
    einc_tensor *c = einc_tensor_permute(ctx, x, EINC_DIMS(3, 1, 0, 2));
    c = einc_tensor_slice(ctx, c, 0, INT64_MAX, INT64_MIN, -2);
    c = einc_tensor_slice(ctx, c, 1, 1, INT64_MAX, 1);
    c = einc_tensor_flip(ctx, c, EINC_DIMS(-1));
    c = einc_tensor_diagonal(ctx, c, 1, 1, 3);
    CHECK_GOLDEN(ctx, c, "chain_diag");
    check_sharing(x, c, true);
    check_sharing(x, einc_tensor_clone(ctx, c), false);
    /* X[::-1][1].reshape(60)[3:50:7] */
    c = einc_tensor_select(ctx, einc_tensor_flip(ctx, x, EINC_DIMS(0)), 0, 1);
    c = einc_tensor_slice(ctx, einc_tensor_view(ctx, c, EINC_SHAPE(60)), 0, 3, 50, 7);
    CHECK_GOLDEN(ctx, c, "chain_flat");
    check_sharing(x, c, true);
    /* broadcast_to(X[0, :, 1:2, 0][None], (4, 3, 6))[..., 2] */
    c = einc_tensor_select(ctx, einc_tensor_slice(ctx, einc_tensor_select(ctx, x, 0, 0), 1, 1, 2, 1), -1, 0);
    c = einc_tensor_select(ctx, einc_tensor_expand(ctx, einc_tensor_unsqueeze(ctx, c, 0), EINC_SHAPE(4, 3, 6)), -1, 2);
    CHECK_GOLDEN(ctx, c, "chain_expand");
    CHECK_OK(ctx);
    /* a NULL anywhere in a chain comes out as NULL with the first error */
    c = einc_tensor_flip(ctx, einc_tensor_select(ctx, einc_tensor_permute(ctx, x, EINC_DIMS(0, 0, 1, 2)), 0, 0),
                         EINC_ALL);
    CHECK(c == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_permute: axis 0 is repeated");
    einc_ctx_destroy(ctx);
}

TEST(contiguous_clone) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = make_x(ctx);
    einc_tensor *c = einc_tensor_contiguous(ctx, x);
    CHECK(einc_tensor_is_contiguous(c) && einc_tensor_data(c) == einc_tensor_data(x));
    check_sharing(x, c, true);
    einc_tensor *p = einc_tensor_permute(ctx, x, EINC_DIMS(3, 0, 2, 1));
    CHECK(!einc_tensor_is_contiguous(p));
    c = einc_tensor_contiguous(ctx, p);
    CHECK(einc_tensor_is_contiguous(c));
    CHECK_GOLDEN(ctx, c, "permute_3021");
    check_sharing(x, c, false);
    c = einc_tensor_clone(ctx, x);
    CHECK(einc_tensor_is_contiguous(c) && einc_tensor_data(c) != einc_tensor_data(x));
    check_sharing(x, c, false);
    CHECK_GOLDEN(ctx, einc_tensor_clone(ctx, einc_tensor_flip(ctx, x, EINC_DIMS(1, 3))), "flip_13");
    /* a broadcast view clones into real memory */
    einc_tensor *col = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 3, 1), EINC_SHAPE(3, 1));
    c = einc_tensor_clone(ctx, einc_tensor_expand(ctx, col, EINC_SHAPE(2, 3, 4)));
    CHECK(einc_tensor_strides(c)[0] == 12);
    CHECK_GOLDEN(ctx, c, "expand_3x1");
    /* size-1 dimensions do not matter for contiguity */
    CHECK(einc_tensor_is_contiguous(einc_tensor_slice(ctx, x, 0, 1, 2, 5)));
    CHECK_OK(ctx);
    CHECK(einc_tensor_contiguous(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_contiguous: tensor argument 't' is NULL");
    CHECK(einc_tensor_clone(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_clone: tensor argument 't' is NULL");
    einc_ctx_destroy(ctx);
}

/* Every dtype pair against numpy's astype, from contiguous and from flipped sources. */
TEST(cast_all_pairs) {
    static const char *names[] = {"f32", "f64", "i64", "i32", "b1"};
    static const einc_dtype dtypes[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT64, EINC_INT32, EINC_BOOL};
    einc_ctx *ctx = einc_ctx_create();
    for (int s = 0; s < 5; s++) {
        char path[64];
        snprintf(path, sizeof path, "core/cast_src_%s", names[s]);
        einc_tensor *src = test_golden(ctx, path);
        CHECK(einc_tensor_dtype(src) == dtypes[s]);
        for (int d = 0; d < 5; d++) {
            snprintf(path, sizeof path, "core/cast_%s_%s", names[s], names[d]);
            einc_tensor *want = test_golden(ctx, path);
            einc_tensor *got = einc_tensor_cast(ctx, src, dtypes[d]);
            double rtol = test_under_valgrind() && s == 2 && d == 0 ? 1.2e-7 : 0.0;
            if (!test_tensors_close_(__FILE__, __LINE__, got, want, rtol, 0.0, 1))
                fprintf(stderr, "  cast %s -> %s\n", names[s], names[d]);
            einc_tensor *back =
                einc_tensor_flip(ctx, einc_tensor_cast(ctx, einc_tensor_flip(ctx, src, EINC_ALL), dtypes[d]), EINC_ALL);
            if (!test_tensors_close_(__FILE__, __LINE__, back, want, rtol, 0.0, 1))
                fprintf(stderr, "  cast %s -> %s of a flipped view\n", names[s], names[d]);
        }
    }
    CHECK_OK(ctx);
    CHECK(einc_tensor_cast(ctx, NULL, EINC_FLOAT32) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_cast: tensor argument 't' is NULL");
    CHECK(einc_tensor_cast(ctx, einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2)), (einc_dtype)42) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_tensor_cast: invalid dtype value 42");
    einc_ctx_destroy(ctx);
}

/* NaN and out-of-range floats have no numpy answer that holds across platforms; einc's rule
 * (einc_tensor_cast): NaN -> 0, out of range saturates, to bool NaN is true. */
TEST(cast_nan_and_out_of_range) {
    einc_ctx *ctx = einc_ctx_create();
    double vals[] = {NAN, 1e300, -1e300, INFINITY, -INFINITY, 3e9, -3e9};
    einc_tensor *src = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(7), vals);
    einc_tensor *i32 = einc_tensor_cast(ctx, src, EINC_INT32);
    einc_tensor *i64 = einc_tensor_cast(ctx, einc_tensor_cast(ctx, src, EINC_FLOAT32), EINC_INT64);
    einc_tensor *b = einc_tensor_cast(ctx, src, EINC_BOOL);
    const int32_t *p32 = einc_tensor_data(i32);
    const int64_t *p64 = einc_tensor_data(i64);
    const bool *pb = einc_tensor_data(b);
    int32_t want32[] = {0, INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN};
    int64_t want64[] = {0, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, 3000000000LL, -3000000000LL};
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(p32[i], want32[i]);
        CHECK_EQ_INT(p64[i], want64[i]);
        CHECK(pb[i]);
    }
    CHECK(isnan(einc_tensor_get(einc_tensor_cast(ctx, src, EINC_FLOAT32), (int64_t[]){0})));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(copy_in_place) {
    einc_ctx *ctx = einc_ctx_create();
    /* broadcasting and converting: dst (2, 3) float64 <- [1.5, 2.5, 3.5] float32 */
    einc_tensor *dst = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(2, 3));
    einc_tensor *row = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(3), (float[]){1.5f, 2.5f, 3.5f});
    CHECK_EQ_INT(einc_tensor_copy_(ctx, dst, row), EINC_OK);
    CHECK_TENSOR_CLOSE(dst, golden(ctx, "copy_broadcast"), 0.0, 0.0);
    /* overlapping source and destination copy through a temporary, as numpy does */
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1);
    CHECK_EQ_INT(einc_tensor_copy_(ctx, x, einc_tensor_flip(ctx, x, EINC_ALL)), EINC_OK);
    CHECK_TENSOR_CLOSE(x, golden(ctx, "copy_flip_self"), 0.0, 0.0);
    einc_tensor *a = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 20, 1), EINC_SHAPE(4, 5));
    CHECK_EQ_INT(
        einc_tensor_copy_(ctx, einc_tensor_slice(ctx, a, 0, 1, INT64_MAX, 1), einc_tensor_slice(ctx, a, 0, 0, -1, 1)),
        EINC_OK);
    CHECK_TENSOR_CLOSE(a, golden(ctx, "copy_shift_rows"), 0.0, 0.0);
    einc_tensor *b = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_INT32, 0, 16, 1), EINC_SHAPE(4, 4));
    CHECK_EQ_INT(einc_tensor_copy_(ctx, b, einc_tensor_transpose(ctx, b, 0, 1)), EINC_OK);
    CHECK_TENSOR_CLOSE(b, golden(ctx, "copy_transpose_self"), 0.0, 0.0);
    /* c[:, 1:] = c[:, :-1][::-1] */
    einc_tensor *c = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 12, 1), EINC_SHAPE(3, 4));
    einc_tensor *src = einc_tensor_flip(ctx, einc_tensor_slice(ctx, c, 1, 0, -1, 1), EINC_DIMS(0));
    CHECK_EQ_INT(einc_tensor_copy_(ctx, einc_tensor_slice(ctx, c, 1, 1, INT64_MAX, 1), src), EINC_OK);
    CHECK_TENSOR_CLOSE(c, golden(ctx, "copy_overlap_mixed"), 0.0, 0.0);
    /* a view copied onto itself is unchanged */
    einc_tensor *same = einc_tensor_clone(ctx, c);
    CHECK_EQ_INT(einc_tensor_copy_(ctx, c, c), EINC_OK);
    CHECK_TENSOR_CLOSE(c, same, 0.0, 0.0);
    CHECK_OK(ctx);

    CHECK_EQ_INT(einc_tensor_copy_(ctx, dst, einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2))), EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_tensor_copy_: cannot broadcast source of shape (2,) to destination of shape (2, 3)");
    CHECK_EQ_INT(einc_tensor_copy_(ctx, row, dst), EINC_ESHAPE);
    CHECK_ERROR(ctx, EINC_ESHAPE,
                "einc_tensor_copy_: cannot broadcast source of shape (2, 3) to destination of shape (3,)");
    einc_tensor *bc = einc_tensor_expand(ctx, row, EINC_SHAPE(2, 3));
    CHECK_EQ_INT(einc_tensor_copy_(ctx, bc, dst), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_copy_: destination is a broadcast view (stride 0 in dimension 0)");
    CHECK_EQ_INT(einc_tensor_copy_(ctx, NULL, row), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_copy_: dst is NULL");
    CHECK_EQ_INT(einc_tensor_copy_(ctx, row, NULL), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_copy_: src is NULL");
    einc_ctx_destroy(ctx);
}

/* The copy kernel behind clone/cast/contiguous/copy_ against its reference twin: random shapes,
 * strides (negative, and zero for a broadcast source), dtype pairs, and splits (ith, nth). */
static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

TEST(copy_kernel_vs_ref) {
    uint64_t seed = 12345;
    int bad = 0;
    for (int trial = 0; trial < 400; trial++) {
        einc__view src, dst, ref;
        memset(&src, 0, sizeof src);
        int ndim = 1 + (int)(lcg(&seed) % 4);
        src.dtype = (einc_dtype)(lcg(&seed) % 5);
        einc_dtype ddt = (einc_dtype)(lcg(&seed) % 5);
        src.ndim = ndim;
        int64_t n = 1, span = 1;
        for (int d = ndim - 1; d >= 0; d--) {
            src.shape[d] = 1 + (int64_t)(lcg(&seed) % 6);
            n *= src.shape[d];
        }
        /* source strides: a permuted, gapped, sometimes flipped or broadcast layout */
        for (int d = ndim - 1; d >= 0; d--) {
            int kind = (int)(lcg(&seed) % 5);
            src.strides[d] = kind == 0 ? 0 : span * (kind == 4 ? 2 : 1) * (kind == 3 ? -1 : 1);
            span *= src.shape[d] * 2;
        }
        size_t ses = einc_dtype_size(src.dtype), des = einc_dtype_size(ddt);
        char *sbuf = malloc((size_t)span * ses * 2 + 16), *d1 = calloc((size_t)n, des), *d2 = calloc((size_t)n, des);
        for (int64_t i = 0; i < span * 2; i++) {
            double v = (double)((int64_t)(lcg(&seed) % 2001) - 1000) / 8.0;
            einc_dtype sdt = src.dtype;
            if (sdt == EINC_BOOL) ((char *)sbuf)[i] = (char)(v > 0);
            else if (sdt == EINC_FLOAT32) ((float *)(void *)sbuf)[i] = (float)v;
            else if (sdt == EINC_FLOAT64) ((double *)(void *)sbuf)[i] = v;
            else if (sdt == EINC_INT64) ((int64_t *)(void *)sbuf)[i] = (int64_t)(v * 1e9);
            else ((int32_t *)(void *)sbuf)[i] = (int32_t)(v * 1000);
        }
        src.data = sbuf + (size_t)span * ses; /* negative strides reach below the middle */
        dst = src;
        dst.dtype = ddt;
        dst.data = d1;
        einc__shape_contiguous_strides(ndim, dst.shape, dst.strides);
        ref = dst;
        ref.data = d2;
        int nth = 1 + (int)(lcg(&seed) % 4);
        for (int ith = 0; ith < nth; ith++) einc__k_copy(&dst, &src, ith, nth);
        einc__k_copy_ref(&ref, &src, 0, 1);
        if (memcmp(d1, d2, (size_t)n * des) != 0 && bad++ < 3)
            fprintf(stderr, "copy kernel differs from its reference: trial %d, %s -> %s, ndim %d, nth %d\n", trial,
                    einc_dtype_name(src.dtype), einc_dtype_name(ddt), ndim, nth);
        free(sbuf);
        free(d1);
        free(d2);
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void) {
    RUN(view_and_reshape);
    RUN(view_errors);
    RUN(permute_transpose);
    RUN(squeeze_unsqueeze);
    RUN(expand);
    RUN(slice_table);
    RUN(slice_extreme_bounds);
    RUN(slice_errors_and_sharing);
    RUN(narrow_select);
    RUN(diagonal);
    RUN(flip);
    RUN(chains);
    RUN(contiguous_clone);
    RUN(cast_all_pairs);
    RUN(cast_nan_and_out_of_range);
    RUN(copy_in_place);
    RUN(copy_kernel_vs_ref);
    return test_summary();
}
