/* test_print.c — einc_tensor_format / einc_tensor_print against numpy 1.24's repr().
 *
 * Golden truth: tests/golden/gen_core.py stores arrays as core/print_<name>.npy and numpy's
 * repr of each as core/print_<name>.txt; every comparison here is exact.
 */
#include "test.h"

/* The whole file as a NUL-terminated string (caller frees), or NULL with a failed check. */
static char *read_text(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/core/%s.txt", EINC_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        test_failed_checks_++;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Formats t and compares with `expected`; prints both on a mismatch. */
static void check_repr(const einc_tensor *t, const char *expected, const char *label) {
    if (!t || !expected) {
        fprintf(stderr, "%s: missing tensor or expected text\n", label);
        test_failed_checks_++;
        return;
    }
    char buf[16384];
    int64_t n = einc_tensor_format(t, buf, sizeof buf);
    if (n != (int64_t)strlen(expected) || strcmp(buf, expected) != 0) {
        fprintf(stderr, "%s: repr differs\n--- numpy:\n%s\n--- einc (%lld chars):\n%s\n---\n", label, expected,
                (long long)n, buf);
        test_failed_checks_++;
    }
}

/* Loads print_<name>.npy and compares its repr with print_<name>.txt. */
static void check_golden(einc_ctx *ctx, const char *name) {
    char full[256];
    snprintf(full, sizeof full, "core/print_%s", name);
    einc_tensor *t = test_golden(ctx, full);
    char *expected = read_text(full + 5);
    check_repr(t, expected, name);
    free(expected);
    einc_tensor_release(t);
}

/* Compares einc's repr of t with print_<name>.txt. */
static void check_text(const einc_tensor *t, const char *name) {
    char full[256];
    snprintf(full, sizeof full, "print_%s", name);
    char *expected = read_text(full);
    check_repr(t, expected, name);
    free(expected);
}

TEST(golden_arrays) {
    static const char *names[] = {
        "f32_2x2",          "f64_digits",    "f32_digits",          "f64_negative",   "f64_negzero",
        "f64_sci_large",    "f64_sci_small", "f64_sci_ratio",       "f32_ratio_edge", "f32_sci_min",
        "f64_big_exponent", "f32_denormal",  "f64_nan_inf",         "f64_nonfinite",  "f32_sci_nan",
        "f32_unique_int",   "f64_carry",     "f64_sci_carry",       "f64_tie",        "f64_zeros",
        "f64_sci_zero",     "i64",           "i64_extremes",        "i32_2x3",        "bool_2x2",
        "bool_wrap",        "scalar_f64",    "scalar_f32",          "scalar_i32",     "scalar_i64",
        "scalar_bool",      "scalar_nan",    "scalar_f32_sci",      "empty_f32",      "empty_f32_0x3",
        "empty_f64_2x0x3",  "empty_bool",    "empty_i64",           "f64_3d",         "i32_4d",
        "f64_wrap",         "i32_wrap",      "f32_wrap_dtype_line", "f64_2d_wrap",
    };
    einc_ctx *ctx = einc_ctx_create();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) check_golden(ctx, names[i]);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Summarised arrays (numel > 1000), built from arange as gen_core.py builds them. */
TEST(summarised) {
    einc_ctx *ctx = einc_ctx_create();
    check_text(einc_tensor_arange(ctx, EINC_FLOAT32, 0, 250, 0.125), "f32_summary_1d");
    check_text(einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 1200, 1), EINC_SHAPE(40, 30)),
               "f64_summary_2d");
    check_text(einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_INT64, 0, 11 * 12 * 13, 1), EINC_SHAPE(11, 12, 13)),
               "i64_summary_3d");
    check_text(einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_INT32, 0, 1200, 1), EINC_SHAPE(2, 600)),
               "i32_summary_short_axis");
    einc_tensor *mid = einc_tensor_arange(ctx, EINC_FLOAT64, 0, 1500, 1);
    einc_tensor_set(mid, (int64_t[]){700}, 1e9);
    check_text(mid, "f64_summary_hidden_big");
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Non-contiguous inputs: a transpose, negative strides and a broadcast (stride 0) view. */
TEST(views) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *base = test_golden(ctx, "core/print_view_T");
    check_text(einc_tensor_transpose(ctx, base, 0, 1), "view_T");
    einc_tensor *fl = einc_tensor_slice(ctx, einc_tensor_flip(ctx, base, EINC_DIMS(0)), 1, 0, INT64_MAX, 2);
    CHECK(einc_tensor_strides(fl)[0] < 0);
    check_text(fl, "view_flip");
    einc_tensor *vec = test_golden(ctx, "core/print_view_bcast");
    einc_tensor *b = einc_tensor_expand(ctx, vec, EINC_SHAPE(2, 3));
    CHECK_EQ_INT(einc_tensor_strides(b)[0], 0);
    check_text(b, "view_bcast");
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Random rows of every kind of value; the .txt holds one repr per line with "\n" escaped. */
static void check_rows(const char *name) {
    einc_ctx *ctx = einc_ctx_create();
    char full[256];
    snprintf(full, sizeof full, "core/print_%s", name);
    einc_tensor *rows = test_golden(ctx, full);
    char *text = read_text(full + 5);
    if (!rows || !text) {
        free(text);
        einc_ctx_destroy(ctx);
        return;
    }
    char *line = text;
    int64_t n = einc_tensor_dim(rows, 0), mismatches = 0;
    for (int64_t i = 0; i < n && line && *line; i++) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        char expected[1024];
        size_t k = 0;
        for (const char *c = line; *c && k + 1 < sizeof expected; c++) {
            if (c[0] == '\\' && c[1] == 'n') {
                expected[k++] = '\n';
                c++;
            } else {
                expected[k++] = *c;
            }
        }
        expected[k] = '\0';
        einc_tensor *row = einc_tensor_select(ctx, rows, 0, i);
        char got[1024];
        einc_tensor_format(row, got, sizeof got);
        if (strcmp(got, expected) != 0) {
            if (mismatches < 5)
                fprintf(stderr, "%s row %lld:\n  numpy: %s\n  einc:  %s\n", name, (long long)i, expected, got);
            mismatches++;
        }
        einc_tensor_release(row);
        line = end ? end + 1 : NULL;
    }
    CHECK_EQ_INT(mismatches, 0);
    free(text);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(random_rows_f32) { check_rows("rows_f32"); }
TEST(random_rows_f64) { check_rows("rows_f64"); }

/* snprintf contract: the full length is returned whatever the size, the buffer always holds a
 * NUL-terminated prefix, and nothing is written past `size`. */
TEST(format_is_snprintf_like) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_tensor_from_data(ctx, EINC_FLOAT32, EINC_SHAPE(2, 2), (float[]){1, 2, 3, 4});
    const char *full = "array([[1., 2.],\n       [3., 4.]], dtype=float32)";
    int64_t len = (int64_t)strlen(full);
    CHECK_EQ_INT(einc_tensor_format(t, NULL, 0), len);
    char buf[128];
    for (size_t size = 0; size <= (size_t)len + 2; size++) {
        memset(buf, '#', sizeof buf);
        CHECK_EQ_INT(einc_tensor_format(t, buf, size), len);
        for (size_t i = size; i < sizeof buf; i++)
            if (buf[i] != '#') {
                fprintf(stderr, "size %zu: byte %zu written\n", size, i);
                test_failed_checks_++;
                break;
            }
        if (size > 0) {
            size_t keep = size - 1 < (size_t)len ? size - 1 : (size_t)len;
            CHECK(buf[keep] == '\0');
            CHECK(strncmp(buf, full, keep) == 0);
        }
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(print_writes_repr_and_newline) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_tensor_arange(ctx, EINC_INT32, 0, 3, 1);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) {
        einc_ctx_destroy(ctx);
        return;
    }
    CHECK_EQ_INT(einc_tensor_print(t, f), EINC_OK);
    rewind(f);
    char buf[128] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    CHECK_EQ_INT(n, strlen("array([0, 1, 2], dtype=int32)\n"));
    CHECK(strcmp(buf, "array([0, 1, 2], dtype=int32)\n") == 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(errors) {
    einc_ctx *ctx = einc_ctx_create();
    char buf[8];
    CHECK_EQ_INT(einc_tensor_format(NULL, buf, sizeof buf), -1);
    CHECK_EQ_INT(einc_tensor_print(NULL, stdout), EINC_EINVAL);
    einc_tensor *t = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2));
    CHECK_EQ_INT(einc_tensor_format(t, NULL, 5), -1);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_format: buf is NULL");
    CHECK_EQ_INT(einc_tensor_print(t, NULL), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_print: stream is NULL");
    /* a stream opened for reading only cannot take the text */
    FILE *ro = fopen(EINC_TEST_DATA "/core/print_i64.txt", "r");
    CHECK(ro != NULL);
    if (ro) {
        CHECK_EQ_INT(einc_tensor_print(t, ro), EINC_EIO);
        CHECK_ERROR(ctx, EINC_EIO, "einc_tensor_print: writing to the stream failed");
        fclose(ro);
    }
    einc_ctx_destroy(ctx);
}

/* Formatting allocates nothing: it works with an allocator that has no budget left. */
TEST(format_allocates_nothing) {
    test_alloc_state st;
    einc_ctx *ctx = test_ctx_with_budget(&st, -1);
    einc_tensor *t = einc_tensor_arange(ctx, EINC_FLOAT64, 0, 2000, 0.5);
    long before = st.count;
    st.budget = st.count;
    char buf[4096];
    CHECK(einc_tensor_format(t, buf, sizeof buf) > 0);
    CHECK_EQ_INT(st.count, before);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live, 0);
}

int main(void) {
    RUN(golden_arrays);
    RUN(summarised);
    RUN(views);
    RUN(random_rows_f32);
    RUN(random_rows_f64);
    RUN(format_is_snprintf_like);
    RUN(print_writes_repr_and_newline);
    RUN(errors);
    RUN(format_allocates_nothing);
    return test_summary();
}
