/* test_dtypes.c — float16, bfloat16, uint8, int8, int16: casts, promotion, .npy and safetensors
 * input and output, printing, and the errors of operations that do not take them.
 *
 * Golden data: tests/golden/dtypes/ from tests/golden/gen_dtypes.py (NumPy 1.24, PyTorch 1.13 for
 * bfloat16, which is stored as int16 bit patterns in bits_*.npy).
 */
#include "test.h"

#include "core/internal.h"

#include "kernels/kernels.h"
#include "kernels/sort.h"

#define GOLDEN EINC_TEST_DATA "/dtypes/"

static const char *const names[EINC_NUM_DTYPES] = {"float32",  "float64", "int64", "int32", "bool",  "float16",
                                                   "bfloat16", "uint8",   "int8",  "int16", "uint64"};

static einc_dtype dtype_of(const char *name) {
    for (int d = 0; d < EINC_NUM_DTYPES; d++)
        if (strcmp(names[d], name) == 0) return (einc_dtype)d;
    return (einc_dtype)-1;
}

/* A golden tensor of `dtype`: <name>.npy, or for bfloat16 the bits in bits_<name>.npy. */
static einc_tensor *golden(einc_ctx *ctx, const char *name, einc_dtype dtype) {
    char path[256];
    if (dtype != EINC_BFLOAT16) {
        snprintf(path, sizeof path, "dtypes/%s", name);
        return test_golden(ctx, path);
    }
    snprintf(path, sizeof path, "dtypes/bits_%s", name);
    einc_tensor *bits = test_golden(ctx, path);
    if (!bits) return NULL;
    CHECK(einc_tensor_dtype(bits) == EINC_INT16);
    einc_tensor *t = einc_tensor_empty(ctx, EINC_BFLOAT16, einc_tensor_ndim(bits), einc_tensor_shape(bits));
    size_t n = (size_t)einc_tensor_numel(bits) * 2;
    CHECK_EQ_INT(einc_tensor_to_buffer(bits, einc_tensor_data(t), n), EINC_OK);
    return t;
}

static bool is_nan_bits(const unsigned char *p, einc_dtype dtype) {
    uint16_t h;
    switch (dtype) {
    case EINC_FLOAT16: memcpy(&h, p, 2); return (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    case EINC_BFLOAT16: memcpy(&h, p, 2); return (h & 0x7f80) == 0x7f80 && (h & 0x7f);
    case EINC_FLOAT32: {
        float f;
        memcpy(&f, p, 4);
        return isnan(f);
    }
    case EINC_FLOAT64: {
        double f;
        memcpy(&f, p, 8);
        return isnan(f);
    }
    default: return false;
    }
}

/* Bit-for-bit equality (any NaN equals any NaN: PyTorch drops the sign and payload of NaNs). */
static bool same_bits(const char *file, int line, const einc_tensor *got, const einc_tensor *want, const char *what) {
    if (!got || !want) {
        fprintf(stderr, "%s:%d: %s: tensor is NULL\n", file, line, what);
        test_failed_checks_++;
        return false;
    }
    if (einc_tensor_dtype(got) != einc_tensor_dtype(want) || einc_tensor_numel(got) != einc_tensor_numel(want)) {
        fprintf(stderr, "%s:%d: %s: %s[%lld] vs %s[%lld] (expected)\n", file, line, what,
                einc_dtype_name(einc_tensor_dtype(got)), (long long)einc_tensor_numel(got),
                einc_dtype_name(einc_tensor_dtype(want)), (long long)einc_tensor_numel(want));
        test_failed_checks_++;
        return false;
    }
    einc_dtype dt = einc_tensor_dtype(got);
    size_t es = einc_dtype_size(dt), n = (size_t)einc_tensor_numel(got);
    unsigned char *a = malloc(n * es + 1), *b = malloc(n * es + 1);
    einc_tensor_to_buffer(got, a, n * es);
    einc_tensor_to_buffer(want, b, n * es);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const unsigned char *x = a + i * es, *y = b + i * es;
        if (memcmp(x, y, es) == 0 || (is_nan_bits(x, dt) && is_nan_bits(y, dt))) continue;
        unsigned long long xb = 0, yb = 0;
        memcpy(&xb, x, es);
        memcpy(&yb, y, es);
        fprintf(stderr, "%s:%d: %s: element %zu is %.9g (bits 0x%llx), expected %.9g (bits 0x%llx)\n", file, line, what,
                i, einc__load_f64((const char *)x, dt), xb, einc__load_f64((const char *)y, dt), yb);
        ok = false;
    }
    free(a);
    free(b);
    if (!ok) test_failed_checks_++;
    return ok;
}
#define SAME_BITS(got, want, what) same_bits(__FILE__, __LINE__, (got), (want), (what))

/* ---- promotion ----------------------------------------------------------------------------- */

static void promote_row(char **f, void *user) {
    int *rows = user;
    einc_dtype a = dtype_of(f[0]), b = dtype_of(f[1]), want = dtype_of(f[2]);
    einc_dtype got = einc_promote_types(a, 1, b, 1);
    if (got != want) fprintf(stderr, "promote(%s, %s) = %s, expected %s\n", f[0], f[1], einc_dtype_name(got), f[2]);
    CHECK(got == want);
    CHECK(einc_promote_types(a, 0, b, 0) == want); /* two 0-d operands promote the same way */
    (*rows)++;
}

TEST(promotion_table) {
    int rows = 0;
    CHECK_EQ_INT(test_read_table("dtypes/promote.txt", '|', 3, promote_row, &rows), EINC_NUM_DTYPES * EINC_NUM_DTYPES);
    /* a 0-d operand of the same or a lower kind takes the n-d operand's dtype (NumPy 1.x) */
    CHECK(einc_promote_types(EINC_FLOAT64, 0, EINC_FLOAT16, 1) == EINC_FLOAT16);
    CHECK(einc_promote_types(EINC_BFLOAT16, 1, EINC_FLOAT32, 0) == EINC_BFLOAT16);
    CHECK(einc_promote_types(EINC_UINT8, 1, EINC_INT64, 0) == EINC_UINT8);
    CHECK(einc_promote_types(EINC_INT8, 0, EINC_FLOAT16, 1) == EINC_FLOAT16);
    CHECK(einc_promote_types(EINC_UINT64, 1, EINC_INT64, 0) == EINC_UINT64); /* the scalar wraps, as documented */
    CHECK(einc_promote_types(EINC_UINT64, 0, EINC_INT8, 1) == EINC_INT8);
    /* a 0-d operand of a higher kind promotes by the table */
    CHECK(einc_promote_types(EINC_FLOAT16, 0, EINC_INT32, 1) == EINC_FLOAT64);
    CHECK(einc_promote_types(EINC_INT16, 1, EINC_FLOAT16, 0) == EINC_FLOAT32);
}

/* ---- casts --------------------------------------------------------------------------------- */

/* cast(src) == want, also through a flipped view (the reversed-row loops) and with the
 * reference copy kernel. */
static void check_cast(einc_ctx *ctx, einc_tensor *src, einc_tensor *want, const char *what) {
    einc_dtype dt = einc_tensor_dtype(want);
    SAME_BITS(einc_tensor_cast(ctx, src, dt), want, what);
    einc_tensor *back =
        einc_tensor_flip(ctx, einc_tensor_cast(ctx, einc_tensor_flip(ctx, src, EINC_ALL), dt), EINC_ALL);
    SAME_BITS(einc_tensor_contiguous(ctx, back), want, what);
    einc_tensor *r = einc_tensor_empty(ctx, dt, einc_tensor_ndim(want), einc_tensor_shape(want));
    einc__view d = einc__view_of(r), s = einc__view_of(src);
    einc__k_copy_ref(&d, &s, 0, 1);
    SAME_BITS(r, want, what);
}

TEST(casts_between_all_dtypes) {
    einc_ctx *ctx = einc_ctx_create();
    for (int s = 0; s < EINC_NUM_DTYPES; s++) {
        einc_scope_begin(ctx);
        char name[96], what[96];
        snprintf(name, sizeof name, "cast_src_%s", names[s]);
        einc_tensor *src = golden(ctx, name, (einc_dtype)s);
        CHECK(einc_tensor_dtype(src) == (einc_dtype)s);
        for (int d = 0; d < EINC_NUM_DTYPES; d++) {
            snprintf(name, sizeof name, "cast_%s_%s", names[s], names[d]);
            snprintf(what, sizeof what, "cast %s -> %s", names[s], names[d]);
            check_cast(ctx, src, golden(ctx, name, (einc_dtype)d), what);
        }
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(float_casts_of_special_values) {
    static const einc_dtype floats[] = {EINC_FLOAT32, EINC_FLOAT64, EINC_FLOAT16, EINC_BFLOAT16};
    einc_ctx *ctx = einc_ctx_create();
    for (int s = 0; s < 4; s++) {
        char name[96], what[96];
        snprintf(name, sizeof name, "special_%s", einc_dtype_name(floats[s]));
        einc_tensor *src = golden(ctx, name, floats[s]);
        for (int d = 0; d < 4; d++) {
            snprintf(name, sizeof name, "special_%s_%s", einc_dtype_name(floats[s]), einc_dtype_name(floats[d]));
            snprintf(what, sizeof what, "special cast %s -> %s", einc_dtype_name(floats[s]),
                     einc_dtype_name(floats[d]));
            check_cast(ctx, src, golden(ctx, name, floats[d]), what);
        }
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* The float32 narrowings (bit arithmetic, the fast paths) against the float64 ones (scaling and
 * rint, the reference): every sign, exponent and top mantissa bits, with the low bits at and
 * around each tie of float16 (bit 12) and bfloat16 (bit 15), subnormals, infinities and NaNs. */
TEST(float32_narrowing_matches_float64_narrowing) {
    static const uint32_t low13[] = {0, 1, 0x0fff, 0x1000, 0x1001, 0x1fff};
    static const uint32_t low16[] = {0x7fff, 0x8000, 0x8001};
    int64_t bad = 0;
    for (uint32_t hi = 0; hi < 0x10000u; hi++) {
        for (uint32_t mid = 0; mid < 8; mid++) {
            for (int k = 0; k < 9; k++) {
                uint32_t lo = k < 6 ? (mid << 13) | low13[k] : low16[k - 6];
                uint32_t u = hi << 16 | lo;
                float f;
                memcpy(&f, &u, 4);
                if (einc__f16_from_f32(f) != einc__f16_from_f64((double)f) ||
                    einc__bf16_from_f32(f) != einc__bf16_from_f64((double)f)) {
                    if (bad++ < 5)
                        fprintf(stderr, "0x%08x: f16 0x%04x vs 0x%04x, bf16 0x%04x vs 0x%04x\n", u,
                                einc__f16_from_f32(f), einc__f16_from_f64((double)f), einc__bf16_from_f32(f),
                                einc__bf16_from_f64((double)f));
                }
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* Conversions C leaves undefined (NumPy and PyTorch give platform-specific values): einc's rule
 * is NaN -> 0 and saturation, as for int32 and int64. */
TEST(float_to_integer_saturates) {
    einc_ctx *ctx = einc_ctx_create();
    double v[] = {300.0, -300.0, NAN, INFINITY, -INFINITY, 70000.0, -1.5, 255.9};
    double want_u8[] = {255, 0, 0, 255, 0, 255, 0, 255};
    double want_i8[] = {127, -128, 0, 127, -128, 127, -1, 127};
    double want_i16[] = {300, -300, 0, 32767, -32768, 32767, -1, 255};
    einc_tensor *x = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(8), v);
    einc_tensor *h = einc_tensor_cast(ctx, x, EINC_FLOAT16); /* 70000 becomes inf in float16 */
    einc_tensor *b = einc_tensor_cast(ctx, x, EINC_BFLOAT16);
    for (int k = 0; k < 3; k++) {
        einc_tensor *src = k == 0 ? x : k == 1 ? h : b;
        einc_tensor *u8 = einc_tensor_cast(ctx, src, EINC_UINT8), *i8 = einc_tensor_cast(ctx, src, EINC_INT8);
        einc_tensor *i16 = einc_tensor_cast(ctx, src, EINC_INT16);
        for (int64_t i = 0; i < 8; i++) {
            CHECK_EQ_INT(einc_tensor_get(u8, &i), want_u8[i]);
            CHECK_EQ_INT(einc_tensor_get(i8, &i), want_i8[i]);
            double w = want_i16[i];
            if (k == 2 && i == 0) w = 300;  /* 300 is a bfloat16 value */
            if (k > 0 && i == 5) w = 32767; /* inf, or bfloat16's 70144 */
            if (k == 2 && i == 7) w = 256;  /* 255.9 rounds to 256 in bfloat16 */
            CHECK_EQ_INT(einc_tensor_get(i16, &i), w);
        }
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Every copy path with 2-byte and 1-byte elements (transposed tiles, broadcast rows, strided
 * rows), against element-by-element reads. */
TEST(strided_copies_of_small_elements) {
    static const einc_dtype dts[] = {EINC_FLOAT16, EINC_BFLOAT16, EINC_UINT8, EINC_INT8, EINC_INT16};
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < 5; k++) {
        einc_scope_begin(ctx);
        einc_dtype dt = dts[k];
        einc_tensor *x = einc_tensor_cast(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 70 * 90, 1), dt);
        x = einc_tensor_reshape(ctx, x, EINC_SHAPE(70, 90));
        einc_tensor *t = einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, x, 0, 1)); /* [90, 70] */
        einc_tensor *s = einc_tensor_contiguous(ctx, einc_tensor_slice(ctx, x, 1, 1, 90, 3));
        einc_tensor *e =
            einc_tensor_contiguous(ctx, einc_tensor_expand(ctx, einc_tensor_select(ctx, x, 0, 2), EINC_SHAPE(4, 90)));
        einc_tensor *f32t = einc_tensor_cast(ctx, einc_tensor_transpose(ctx, x, 0, 1), EINC_FLOAT32);
        CHECK_OK(ctx);
        bool ok = true;
        for (int64_t i = 0; i < 70 && ok; i++) {
            for (int64_t j = 0; j < 90 && ok; j++) {
                int64_t ij[2] = {i, j}, ji[2] = {j, i};
                double v = einc_tensor_get(x, ij);
                ok = einc_tensor_get(t, ji) == v && einc_tensor_get(f32t, ji) == v;
                if (j % 3 == 1) {
                    int64_t is[2] = {i, j / 3};
                    ok = ok && einc_tensor_get(s, is) == v;
                }
                if (i == 2) {
                    int64_t ie[2] = {3, j};
                    ok = ok && einc_tensor_get(e, ie) == v;
                }
            }
        }
        if (!ok) fprintf(stderr, "strided copy of %s differs\n", einc_dtype_name(dt));
        CHECK(ok);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(constructors_and_elements) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *h = einc_tensor_full(ctx, EINC_FLOAT16, EINC_SHAPE(3), 0.1);
    int64_t i0 = 0;
    CHECK_EQ_INT(einc_tensor_get(h, &i0) == 0.0999755859375, 1); /* float16's nearest to 0.1 */
    CHECK_EQ_INT(einc_tensor_set(h, &i0, 65520.0), EINC_OK);
    CHECK(isinf(einc_tensor_get(h, &i0)));
    einc_tensor *b = einc_tensor_scalar(ctx, EINC_BFLOAT16, 1.0 + 1.0 / 256);
    CHECK(einc_tensor_item(b) == 1.0); /* a tie, to even */
    einc_tensor *u = einc_tensor_arange(ctx, EINC_UINT8, 250, 256, 1);
    int64_t i5 = 5;
    CHECK_EQ_INT(einc_tensor_get(u, &i5), 255);
    einc_tensor *a = einc_tensor_arange(ctx, EINC_FLOAT16, 0, 3, 0.5);
    CHECK_EQ_INT(einc_tensor_numel(a), 6);
    CHECK(einc_tensor_get(a, &i5) == 2.5);
    einc_tensor *o = einc_tensor_ones(ctx, EINC_INT8, EINC_SHAPE(2, 2));
    int64_t i11[2] = {1, 1};
    CHECK_EQ_INT(einc_tensor_get(o, i11), 1);
    /* uint64: set and get go through double (exact below 2^53); the data pointer holds the bits */
    einc_tensor *w = einc_tensor_full(ctx, EINC_UINT64, EINC_SHAPE(3), 9223372036854775808.0); /* 2^63 */
    CHECK_EQ_INT(einc_tensor_set(w, &i0, 1e30), EINC_OK);                                      /* saturates */
    int64_t i1 = 1, i2 = 2;
    CHECK_EQ_INT(einc_tensor_set(w, &i2, -1.5), EINC_OK); /* 0, as for uint8 */
    const uint64_t *wd = einc_tensor_data(w);
    CHECK(wd[0] == UINT64_MAX && wd[1] == 1ULL << 63 && wd[2] == 0);
    CHECK(einc_tensor_get(w, &i1) == 9223372036854775808.0);
    CHECK(einc_tensor_get(w, &i0) == 18446744073709551616.0); /* 2^64 - 1 rounds up as a double */
    einc_tensor *wa = einc_tensor_arange(ctx, EINC_UINT64, 3, 9, 2);
    CHECK_EQ_INT(einc_tensor_numel(wa), 3);
    CHECK_EQ_INT(einc_tensor_get(wa, &i2), 7);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- .npy ---------------------------------------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *size = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

TEST(npy_files) {
    static const struct {
        const char *file, *value, *same_bytes_as;
        einc_dtype dtype;
    } cases[] = {
        {"le_f2", "value_f2", "le_f2", EINC_FLOAT16},
        {"be_f2", "value_f2", "le_f2", EINC_FLOAT16},
        {"le_i2", "value_i2", "le_i2", EINC_INT16},
        {"be_i2", "value_i2", "le_i2", EINC_INT16},
        {"u1", "value_u1", "u1", EINC_UINT8},
        {"i1", "value_i1", "i1", EINC_INT8},
        {"fortran_f2", "value_fortran_f2", NULL, EINC_FLOAT16},
        {"le_u8", "le_u8", "le_u8", EINC_UINT64},
        {"be_u8", "le_u8", "le_u8", EINC_UINT64},
    };
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, GOLDEN "%s.npy", cases[k].file);
        einc_tensor *t = einc_npy_load(ctx, path), *m = einc_npy_load_mapped(ctx, path);
        snprintf(path, sizeof path, "dtypes/%s", cases[k].value);
        einc_tensor *want = test_golden(ctx, path);
        CHECK(t && einc_tensor_dtype(t) == cases[k].dtype);
        CHECK(m && einc_tensor_dtype(m) == cases[k].dtype);
        CHECK_TENSOR_CLOSE_ANYTYPE(t, want, 0.0, 0.0);
        CHECK_TENSOR_CLOSE_ANYTYPE(m, want, 0.0, 0.0);
        if (einc_tensor_dtype(want) == cases[k].dtype) { /* uint64: float64 cannot hold the values */
            SAME_BITS(t, want, cases[k].file);
            SAME_BITS(m, want, cases[k].file);
        }
        if (!cases[k].same_bytes_as) continue;
        /* einc writes what numpy writes (little-endian), byte for byte */
        snprintf(path, sizeof path, GOLDEN "%s.npy", cases[k].same_bytes_as);
        size_t size;
        unsigned char *file = read_all(path, &size);
        void *buf = NULL;
        size_t n = 0;
        CHECK_EQ_INT(einc_npy_save_buffer(ctx, t, &buf, &n), EINC_OK);
        CHECK(file && n == size && memcmp(buf, file, n) == 0);
        einc_buffer_free(ctx, buf, n);
        free(file);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(npy_has_no_bfloat16) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *b = einc_tensor_zeros(ctx, EINC_BFLOAT16, EINC_SHAPE(2));
    void *buf = NULL;
    size_t n = 0;
    CHECK_EQ_INT(einc_npy_save_buffer(ctx, b, &buf, &n), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_npy_save_buffer: dtype bfloat16 has no .npy type code");
    CHECK(buf == NULL && n == 0);
    const char *path = EINC_TEST_TMP "/dtypes_bf16.npy";
    remove(path);
    CHECK_EQ_INT(einc_npy_save(ctx, path, b), EINC_EDTYPE);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_npy_save: dtype bfloat16 has no .npy type code");
    FILE *f = fopen(path, "rb");
    CHECK(f == NULL); /* nothing is left behind */
    if (f) fclose(f);
    /* float32 holds it exactly */
    CHECK_EQ_INT(einc_npy_save(ctx, path, einc_tensor_cast(ctx, b, EINC_FLOAT32)), EINC_OK);
    remove(path);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- safetensors --------------------------------------------------------------------------- */

typedef struct {
    einc_ctx *ctx;
    einc_state *state;
    int n;
} ref_state;

static void ref_row(char **f, void *user) {
    ref_state *r = user;
    char path[64];
    snprintf(path, sizeof path, "dtypes/ref_%s", f[0]);
    einc_tensor *t = test_golden(r->ctx, path);
    if (strcmp(f[2], "BF16") == 0) t = einc_tensor_cast(r->ctx, t, EINC_BFLOAT16); /* exact: bfloat16 values */
    einc_state_set(r->state, f[1], t);
    r->n++;
}

TEST(safetensors_reference_file) {
    einc_ctx *ctx = einc_ctx_create();
    ref_state r = {ctx, einc_state_new(ctx), 0};
    CHECK_EQ_INT(test_read_table("dtypes/reference_names.txt", '|', 3, ref_row, &r), 7);
    einc_state_set_metadata(r.state, "format", "pt");
    size_t size;
    unsigned char *want = read_all(GOLDEN "reference.safetensors", &size);
    void *buf = NULL;
    size_t n = 0;
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, r.state, &buf, &n), EINC_OK);
    CHECK(want && n == size && memcmp(buf, want, n) == 0);
    einc_buffer_free(ctx, buf, n);
    free(want);
    static const struct {
        const char *name;
        einc_dtype dtype;
    } loaded[] = {{"h.weight", EINC_FLOAT16}, {"b.weight", EINC_BFLOAT16}, {"pixels", EINC_UINT8},
                  {"q.weight", EINC_INT8},    {"q.scale", EINC_INT16},     {"norm", EINC_FLOAT32},
                  {"counts", EINC_UINT64}};
    for (int mapped = 0; mapped < 2; mapped++) {
        einc_state *l = mapped ? einc_safetensors_load_mapped(ctx, GOLDEN "reference.safetensors")
                               : einc_safetensors_load(ctx, GOLDEN "reference.safetensors");
        CHECK(l != NULL);
        for (int i = 0; l && i < 7; i++) {
            einc_tensor *t = einc_state_get(l, loaded[i].name);
            CHECK(t && einc_tensor_dtype(t) == loaded[i].dtype);
            SAME_BITS(t, einc_state_get(r.state, loaded[i].name), loaded[i].name);
        }
        einc_state_free(l);
    }
    einc_state_free(r.state);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- printing ------------------------------------------------------------------------------ */

TEST(print_matches_numpy) {
    static const char *cases[] = {"f16", "f16_nan", "u8", "i8", "i16", "u64"};
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "dtypes/print_%s", cases[k]);
        einc_tensor *t = test_golden(ctx, path);
        snprintf(path, sizeof path, GOLDEN "print_%s.txt", cases[k]);
        size_t size;
        unsigned char *want = read_all(path, &size);
        char got[1024];
        einc_tensor_format(t, got, sizeof got);
        CHECK(want != NULL);
        if (want) {
            want[size] = '\0';
            if (strcmp(got, (char *)want) != 0) fprintf(stderr, "print %s:\n  %s\n  %s (numpy)\n", cases[k], got, want);
            CHECK(strcmp(got, (char *)want) == 0);
        }
        free(want);
    }
    einc_ctx_destroy(ctx);
}

/* ---- operations that do not take the new dtypes -------------------------------------------- */

TEST(unsupported_operations_name_the_dtype) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *h = einc_tensor_zeros(ctx, EINC_FLOAT16, EINC_SHAPE(2, 3));
    einc_tensor *f = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
    einc_tensor *q = einc_tensor_zeros(ctx, EINC_INT8, EINC_SHAPE(3, 2));
    CHECK(einc_attention(ctx, "n d, m d, m e -> n e", h, h, h, EINC_NO_AXES, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_attention: ");
    (void)f;
    (void)q;
    CHECK_EQ_INT(einc_requires_grad(h, true), EINC_EDTYPE);
    einc_clear_error(ctx);
    einc_tensor *u = einc_tensor_zeros(ctx, EINC_UINT64, EINC_SHAPE(2, 3));
    CHECK(einc_attention(ctx, "n d, m d, m e -> n e", u, u, u, EINC_NO_AXES, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "einc_attention: q has dtype uint64");
    CHECK_EQ_INT(einc_requires_grad(u, true), EINC_EDTYPE);
    einc_clear_error(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- operations that move data ------------------------------------------------------------ */

static const einc_dtype storage[] = {EINC_FLOAT16, EINC_BFLOAT16, EINC_UINT8, EINC_INT8, EINC_INT16, EINC_UINT64};
#define NSTORAGE ((int)(sizeof storage / sizeof storage[0]))

static einc_tensor *move_golden(einc_ctx *ctx, const char *what, einc_dtype dt) {
    char name[96];
    snprintf(name, sizeof name, "move_%s_%s", what, einc_dtype_name(dt));
    return golden(ctx, name, dt);
}

TEST(operations_that_move_data) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *get_idx = test_golden(ctx, "dtypes/move_get_idx"), *set_idx = test_golden(ctx, "dtypes/move_set_idx");
    einc_tensor *add_idx = test_golden(ctx, "dtypes/move_add_idx"), *cond = test_golden(ctx, "dtypes/move_cond");
    for (int k = 0; k < NSTORAGE; k++) {
        einc_scope_begin(ctx);
        einc_dtype dt = storage[k];
        char what[96];
        einc_tensor *x = move_golden(ctx, "x", dt), *x2 = move_golden(ctx, "x2", dt), *u = move_golden(ctx, "u", dt);
#define SAME(got, key)                                                                                                 \
    do {                                                                                                               \
        snprintf(what, sizeof what, "%s of %s", key, einc_dtype_name(dt));                                             \
        SAME_BITS(einc_tensor_contiguous(ctx, got), move_golden(ctx, key, dt), what);                                  \
    } while (0)
        SAME(einc_id(ctx, "a b -> b a", x), "t");
        SAME(einc_rearrange(ctx, "a b -> b a", x), "t");
        SAME(einc_flip(ctx, "a [b]", x), "flip");
        SAME(einc_roll(ctx, "a [b]", x, EINC_SHIFT(2)), "roll");
        SAME(einc_sort(ctx, "a [b]", x), "sort");
        SAME(einc_get_at(ctx, "a [b], p -> a p", x, get_idx), "get");
        SAME(einc_set_at(ctx, "a [b], p, a p", x, set_idx, u), "set");
        SAME(einc_add_at(ctx, "a [b], p, a p", x, add_idx, u), "add");
        SAME(einc_where(ctx, "a b, a b, a b", cond, x, x2), "where");
        SAME(einc_tensor_where(ctx, cond, x, x2), "where");
#undef SAME
        char name[96];
        snprintf(name, sizeof name, "dtypes/move_argsort_%s", einc_dtype_name(dt));
        SAME_BITS(einc_argsort(ctx, "a [b]", x), test_golden(ctx, name), name);
        snprintf(name, sizeof name, "dtypes/move_less_%s", einc_dtype_name(dt));
        SAME_BITS((einc_elementwise)(ctx, EINC_OP_LESS, "a b, a b", x, x2, EINC_NO_AXES), test_golden(ctx, name), name);
        SAME_BITS(einc_tensor_binary(ctx, EINC_LT, x, x2), test_golden(ctx, name), name);
        snprintf(name, sizeof name, "dtypes/move_equal_%s", einc_dtype_name(dt));
        SAME_BITS((einc_elementwise)(ctx, EINC_OP_EQUAL, "a b, a b", x, x2, EINC_NO_AXES), test_golden(ctx, name),
                  name);
        SAME_BITS(einc_tensor_binary(ctx, EINC_EQ, x, x2), test_golden(ctx, name), name);
        /* the sort kernel against its counting oracle, on rows long enough for the radix passes */
        einc_tensor *big =
            einc_tensor_cast(ctx, einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(3, 600)), EINC_FLOAT64);
        big = einc_tensor_cast(ctx, einc_mul_scalar(ctx, big, 40.0), dt);
        einc_tensor *want = einc_tensor_empty(ctx, dt, EINC_SHAPE(3, 600));
        einc_tensor *want_i = einc_tensor_empty(ctx, EINC_INT64, EINC_SHAPE(3, 600));
        einc__view wv = einc__view_of(want), wi = einc__view_of(want_i), bv = einc__view_of(big);
        einc__k_sort_ref(&wv, &wi, &bv, 1, 0, 1);
        SAME_BITS(einc_sort(ctx, "a [b]", big), want, "radix sort");
        SAME_BITS(einc_argsort(ctx, "a [b]", big), want_i, "radix argsort");
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

TEST(comparisons_and_where_across_dtypes) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *a = test_golden(ctx, "dtypes/mixed_f16"), *b = test_golden(ctx, "dtypes/mixed_i16");
    einc_tensor *c = test_golden(ctx, "dtypes/mixed_u8"), *d = test_golden(ctx, "dtypes/mixed_i8");
    einc_tensor *cond = test_golden(ctx, "dtypes/mixed_cond");
    SAME_BITS(einc_tensor_binary(ctx, EINC_LT, a, b), test_golden(ctx, "dtypes/mixed_less_f16_i16"), "f16 < i16");
    SAME_BITS(einc_tensor_binary(ctx, EINC_EQ, c, d), test_golden(ctx, "dtypes/mixed_equal_u8_i8"), "u8 == i8");
    SAME_BITS(einc_tensor_binary(ctx, EINC_GE, c, a), test_golden(ctx, "dtypes/mixed_ge_u8_f16"), "u8 >= f16");
    SAME_BITS((einc_elementwise)(ctx, EINC_OP_GREATER_EQUAL, "a b, a b", c, a, EINC_NO_AXES),
              test_golden(ctx, "dtypes/mixed_ge_u8_f16"), "u8 >= f16 (notation)");
    SAME_BITS(einc_tensor_where(ctx, cond, c, d), test_golden(ctx, "dtypes/mixed_where_u8_i8"), "where u8 i8");
    SAME_BITS(einc_tensor_where(ctx, cond, a, d), test_golden(ctx, "dtypes/mixed_where_f16_i8"), "where f16 i8");
    SAME_BITS(einc_where(ctx, "a b, a b, a b", cond, a, b), test_golden(ctx, "dtypes/mixed_where_f16_i16"),
              "where f16 i16");
    einc_tensor *pieces[2] = {a, c}, *cat = NULL;
    CHECK_EQ_INT(einc_apply(ctx, EINC_OP_ID, "a b, c b -> (a + c) b", 2, pieces, 1, &cat, EINC_NO_AXES, NULL), EINC_OK);
    SAME_BITS(cat, test_golden(ctx, "dtypes/mixed_concat_f16_u8"), "concatenation f16 u8");
    einc_tensor *e = test_golden(ctx, "dtypes/mixed_u64");
    SAME_BITS(einc_tensor_binary(ctx, EINC_LT, e, c), test_golden(ctx, "dtypes/mixed_less_u64_u8"), "u64 < u8");
    SAME_BITS(einc_tensor_binary(ctx, EINC_LT, e, d), test_golden(ctx, "dtypes/mixed_less_u64_i8"), "u64 < i8");
    SAME_BITS(einc_tensor_where(ctx, cond, e, c), test_golden(ctx, "dtypes/mixed_where_u64_u8"), "where u64 u8");
    SAME_BITS(einc_where(ctx, "a b, a b, a b", cond, e, b), test_golden(ctx, "dtypes/mixed_where_u64_i16"),
              "where u64 i16");
    CHECK_OK(ctx);
    /* coordinates stay int32 or int64 */
    CHECK(einc_get_at(ctx, "a [b], p -> a p", a, einc_tensor_zeros(ctx, EINC_INT8, EINC_SHAPE(2))) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "coordinates must be int32 or int64, but input #2 has dtype int8");
    CHECK(einc_get_at(ctx, "a [b], p -> a p", a, einc_tensor_zeros(ctx, EINC_UINT64, EINC_SHAPE(2))) == NULL);
    CHECK_ERROR(ctx, EINC_EDTYPE, "coordinates must be int32 or int64, but input #2 has dtype uint64");
    einc_ctx_destroy(ctx);
}

/* ---- elementwise arithmetic and reductions ------------------------------------------------- */

/* A golden tensor whose dtype is the file's (bfloat16 when the bits file exists for `like`). */
static einc_tensor *ar_golden(einc_ctx *ctx, const char *name, einc_dtype like) {
    char path[256];
    snprintf(path, sizeof path, "%s/dtypes/bits_%s.npy", EINC_TEST_DATA, name);
    FILE *f = like == EINC_BFLOAT16 ? fopen(path, "rb") : NULL;
    if (f) {
        fclose(f);
        return golden(ctx, name, EINC_BFLOAT16);
    }
    snprintf(path, sizeof path, "dtypes/%s", name);
    return test_golden(ctx, path);
}

TEST(elementwise_arithmetic) {
    static const struct {
        const char *name;
        einc_binary_op op;
    } binary[] = {{"add", EINC_ADD},         {"subtract", EINC_SUB},           {"multiply", EINC_MUL},
                  {"true_divide", EINC_DIV}, {"floor_divide", EINC_FLOOR_DIV}, {"remainder", EINC_MOD},
                  {"maximum", EINC_MAXIMUM}, {"minimum", EINC_MINIMUM},        {"logaddexp", EINC_LOGADDEXP}};
    static const struct {
        const char *name;
        einc_unary_op op;
        bool float_only;
    } unary[] = {
        {"negative", EINC_NEG, false},  {"absolute", EINC_ABS, false}, {"sign", EINC_SIGN, false},
        {"square", EINC_SQUARE, false}, {"sqrt", EINC_SQRT, false},    {"exp", EINC_EXP, false},
        {"log", EINC_LOG, false},       {"tanh", EINC_TANH, false},    {"floor", EINC_FLOOR, false},
        {"ceil", EINC_CEIL, false},     {"rint", EINC_ROUND, false},   {"reciprocal_f", EINC_RECIPROCAL, true}};
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < NSTORAGE; k++) {
        einc_scope_begin(ctx);
        einc_dtype dt = storage[k];
        const char *dn = einc_dtype_name(dt);
        bool fl = dt == EINC_FLOAT16 || dt == EINC_BFLOAT16;
        char name[96], what[128];
        snprintf(name, sizeof name, "ar_a_%s", dn);
        einc_tensor *a = golden(ctx, name, dt);
        snprintf(name, sizeof name, "ar_b_%s", dn);
        einc_tensor *b = golden(ctx, name, dt);
        for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) {
            snprintf(name, sizeof name, "ar_%s_%s", binary[i].name, dn);
            snprintf(what, sizeof what, "%s of %s", binary[i].name, dn);
            einc_tensor *want = ar_golden(ctx, name, dt);
            SAME_BITS(einc_tensor_binary(ctx, binary[i].op, a, b), want, what);
            /* a strided (transposed) operand takes the same path through the staging buffers */
            einc_tensor *at =
                einc_tensor_transpose(ctx, einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, a, 0, 1)), 0, 1);
            SAME_BITS(einc_tensor_binary(ctx, binary[i].op, at, b), want, what);
        }
        snprintf(name, sizeof name, "ar_pa_%s", dn);
        einc_tensor *pa = golden(ctx, name, dt);
        snprintf(name, sizeof name, "ar_pb_%s", dn);
        einc_tensor *pb = golden(ctx, name, dt);
        snprintf(name, sizeof name, "ar_power_%s", dn);
        SAME_BITS(einc_tensor_binary(ctx, EINC_POW, pa, pb), ar_golden(ctx, name, dt), "power");
        /* the notation form runs the same kernels */
        snprintf(name, sizeof name, "ar_add_%s", dn);
        SAME_BITS(einc_add(ctx, "a b, a b", a, b), ar_golden(ctx, name, dt), "add (notation)");
        for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++) {
            if (unary[i].float_only && !fl) continue;
            einc_tensor *x = a;
            if (unary[i].op == EINC_SQRT || unary[i].op == EINC_LOG) {
                snprintf(name, sizeof name, "ar_in_%s_%s", unary[i].name, dn);
                x = golden(ctx, name, dt);
            }
            snprintf(name, sizeof name, "ar_%s_%s", unary[i].name, dn);
            snprintf(what, sizeof what, "%s of %s", unary[i].name, dn);
            einc_tensor *want = ar_golden(ctx, name, dt), *got = einc_tensor_unary(ctx, unary[i].op, x);
            if (einc_tensor_dtype(want) == EINC_FLOAT32)    /* int16's float32: einc's float32 exp, log, tanh are */
                CHECK_TENSOR_CLOSE(got, want, 2.5e-7, 0.0); /* within an ulp of libm's, as elsewhere */
            else if (einc_tensor_dtype(want) == EINC_FLOAT64 && unary[i].op != EINC_SQRT) /* uint64's: libm's */
                CHECK_TENSOR_CLOSE(got, want, 4.5e-16, 0.0); /* against NumPy's vector loops, an ulp */
            else SAME_BITS(got, want, what);
        }
        snprintf(name, sizeof name, "ar_mulscalar_%s", dn);
        SAME_BITS(einc_mul_scalar(ctx, a, 0.1), ar_golden(ctx, name, dt), "mul_scalar");
        snprintf(name, sizeof name, "ar_addscalar_%s", dn);
        SAME_BITS(einc_add_scalar(ctx, a, 3.0), ar_golden(ctx, name, dt), "add_scalar");
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    /* mixed dtypes promote as NumPy does */
    einc_tensor *f16 = test_golden(ctx, "dtypes/mx_f16"), *i16 = test_golden(ctx, "dtypes/mx_i16");
    einc_tensor *u8 = test_golden(ctx, "dtypes/mx_u8"), *i8 = test_golden(ctx, "dtypes/mx_i8");
    einc_tensor *bf = golden(ctx, "mx_bf16", EINC_BFLOAT16), *f32 = test_golden(ctx, "dtypes/mx_f32");
    SAME_BITS(einc_tensor_add(ctx, f16, i16), test_golden(ctx, "dtypes/mx_add_f16_i16"), "f16 + i16");
    SAME_BITS(einc_tensor_mul(ctx, u8, i8), test_golden(ctx, "dtypes/mx_mul_u8_i8"), "u8 * i8");
    SAME_BITS(einc_tensor_sub(ctx, u8, f16), test_golden(ctx, "dtypes/mx_sub_u8_f16"), "u8 - f16");
    SAME_BITS(einc_tensor_add(ctx, bf, f16), test_golden(ctx, "dtypes/mx_add_bf16_f16"), "bf16 + f16");
    SAME_BITS(einc_tensor_mul(ctx, f16, f32), test_golden(ctx, "dtypes/mx_mul_f16_f32"), "f16 * f32");
    einc_tensor *u64 = test_golden(ctx, "dtypes/mx_u64");
    SAME_BITS(einc_tensor_add(ctx, u64, u8), test_golden(ctx, "dtypes/mx_add_u64_u8"), "u64 + u8");
    SAME_BITS(einc_add(ctx, "a b, a b", u8, u64), test_golden(ctx, "dtypes/mx_add_u64_u8"), "u8 + u64 (notation)");
    SAME_BITS(einc_tensor_mul(ctx, u64, i8), test_golden(ctx, "dtypes/mx_mul_u64_i8"), "u64 * i8");
    SAME_BITS(einc_tensor_sub(ctx, u64, f16), test_golden(ctx, "dtypes/mx_sub_u64_f16"), "u64 - f16");
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(reductions) {
    static const struct {
        const char *name;
        einc_op op;
    } ops[] = {{"sum", EINC_OP_SUM},       {"mean", EINC_OP_MEAN},     {"var", EINC_OP_VAR},
               {"std", EINC_OP_STD},       {"max", EINC_OP_MAX},       {"min", EINC_OP_MIN},
               {"argmax", EINC_OP_ARGMAX}, {"argmin", EINC_OP_ARGMIN}, {"count_nonzero", EINC_OP_COUNT_NONZERO}};
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < NSTORAGE; k++) {
        einc_scope_begin(ctx);
        einc_dtype dt = storage[k];
        const char *dn = einc_dtype_name(dt);
        char name[96], what[128];
        snprintf(name, sizeof name, "red_x_%s", dn);
        einc_tensor *x = golden(ctx, name, dt);
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            snprintf(name, sizeof name, "red_%s_%s", ops[i].name, dn);
            snprintf(what, sizeof what, "%s of %s", ops[i].name, dn);
            einc_tensor *want = ar_golden(ctx, name, dt), *got = NULL;
            if (ops[i].op == EINC_OP_ARGMAX || ops[i].op == EINC_OP_ARGMIN)
                CHECK_EQ_INT(einc_apply(ctx, ops[i].op, "a [b] -> a", 1, &x, 1, &got, EINC_NO_AXES, NULL), EINC_OK);
            else got = (einc_reduce)(ctx, ops[i].op, "a [b]", x, EINC_NO_AXES);
            if (einc_tensor_dtype(want) == EINC_FLOAT64 && got && einc_tensor_dtype(got) == EINC_FLOAT64)
                CHECK_TENSOR_CLOSE(got, want, 1e-12, 0.0); /* float64 results: the summation order may differ */
            else SAME_BITS(got, want, what);
            /* the raw form along axis 1, and over a transposed input (the column passes) */
            einc_tensor *t =
                einc_tensor_transpose(ctx, einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, x, 0, 1)), 0, 1);
            if (ops[i].op == EINC_OP_SUM || ops[i].op == EINC_OP_MAX || ops[i].op == EINC_OP_MIN) {
                einc_reduce_op rop = ops[i].op == EINC_OP_SUM   ? EINC_REDUCE_SUM
                                     : ops[i].op == EINC_OP_MAX ? EINC_REDUCE_MAX
                                                                : EINC_REDUCE_MIN;
                SAME_BITS(einc_tensor_reduce(ctx, rop, t, EINC_DIMS(1), false), want, what);
            }
        }
        snprintf(name, sizeof name, "red_prod_%s", dn);
        einc_tensor *six = einc_tensor_contiguous(ctx, einc_tensor_slice(ctx, x, 1, 0, 6, 1));
        SAME_BITS(einc_prod(ctx, "a [b]", six), ar_golden(ctx, name, dt), "prod");
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* NaN and infinities, float16 overflow, integer sums and products that wrap around in 64 bits
 * (NumPy's uint64 for uint8: the same bits), any/all; logsumexp against float64. */
TEST(reduction_edges) {
    static const struct {
        const char *name;
        einc_op op;
    } ops[] = {{"sum", EINC_OP_SUM},       {"prod", EINC_OP_PROD},     {"max", EINC_OP_MAX}, {"min", EINC_OP_MIN},
               {"argmax", EINC_OP_ARGMAX}, {"argmin", EINC_OP_ARGMIN}, {"any", EINC_OP_ANY}, {"all", EINC_OP_ALL}};
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < NSTORAGE; k++) {
        einc_scope_begin(ctx);
        einc_dtype dt = storage[k];
        const char *dn = einc_dtype_name(dt);
        char name[96], what[128];
        snprintf(name, sizeof name, "rx_x_%s", dn);
        einc_tensor *x = golden(ctx, name, dt); /* [4, 40] */
        /* the same values, column-major: the reductions' strided passes */
        einc_tensor *t =
            einc_tensor_transpose(ctx, einc_tensor_contiguous(ctx, einc_tensor_transpose(ctx, x, 0, 1)), 0, 1);
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            snprintf(name, sizeof name, "rx_%s_%s", ops[i].name, dn);
            einc_tensor *want = ar_golden(ctx, name, dt);
            for (int layout = 0; layout < 2; layout++) {
                einc_tensor *in = layout ? t : x, *got = NULL;
                snprintf(what, sizeof what, "%s of %s edge rows (%s)", ops[i].name, dn, layout ? "strided" : "rows");
                if (ops[i].op == EINC_OP_ARGMAX || ops[i].op == EINC_OP_ARGMIN)
                    CHECK_EQ_INT(einc_apply(ctx, ops[i].op, "a [b] -> a", 1, &in, 1, &got, EINC_NO_AXES, NULL),
                                 EINC_OK);
                else got = (einc_reduce)(ctx, ops[i].op, "a [b]", in, EINC_NO_AXES);
                SAME_BITS(got, want, what);
            }
        }
        snprintf(name, sizeof name, "red_x_%s", dn);
        einc_tensor *r = golden(ctx, name, dt);
        snprintf(name, sizeof name, "rx_lse_%s", dn);
        einc_tensor *want = ar_golden(ctx, name, dt), *got = einc_logsumexp(ctx, "a [b]", r);
        CHECK(got && einc_tensor_dtype(got) == einc_tensor_dtype(want));
        /* float16/bfloat16: within one unit in the last place of the float64 truth rounded once */
        double rtol = dt == EINC_FLOAT16 ? 1e-3 : dt == EINC_BFLOAT16 ? 8e-3 : 1e-12;
        CHECK_TENSOR_CLOSE_ANYTYPE(einc_tensor_cast(ctx, got, EINC_FLOAT64), einc_tensor_cast(ctx, want, EINC_FLOAT64),
                                   rtol, 0.0);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* ---- conv2d_1x1 and Linear ---------------------------------------------------------------- */

/* A tensor of `dt` with values v(i) = lo + (i * 37 + 11) % span, scaled by `scale`. */
static einc_tensor *ramp(einc_ctx *ctx, einc_dtype dt, int ndim, const int64_t *shape, int lo, int span, double scale) {
    einc_tensor *t = einc_tensor_empty(ctx, EINC_FLOAT64, ndim, shape);
    double *p = einc_tensor_data(t);
    for (int64_t i = 0; i < einc_tensor_numel(t); i++) p[i] = (lo + (int)((i * 37 + 11) % span)) * scale;
    return einc_tensor_cast(ctx, t, dt);
}

/* The truth is the same call on float64 (or int64) copies, rounded (or wrapped) once by
 * einc_tensor_cast: the values are exact in every dtype involved, x and w 8-bit multiples of 1/64,
 * so the float32 or int32 sums are exact and the one rounding is the only one (a second rounding,
 * of the product before the bias, would differ in some elements). */
TEST(conv2d_1x1_and_linear_compute_wide_and_round_once) {
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < NSTORAGE; k++) {
        einc_scope_begin(ctx);
        einc_dtype dt = storage[k];
        bool fl = dt == EINC_FLOAT16 || dt == EINC_BFLOAT16;
        bool uns = dt == EINC_UINT8 || dt == EINC_UINT64;
        int lo = fl ? -255 : uns ? 0 : -100, span = fl ? 511 : uns ? 200 : 201;
        double sc = fl ? 1.0 / 64 : 1.0;
        einc_dtype wide = fl ? EINC_FLOAT64 : EINC_INT64;
        einc_tensor *x = ramp(ctx, dt, EINC_SHAPE(2, 3, 4, 5), lo, span, sc);
        einc_tensor *w = ramp(ctx, dt, EINC_SHAPE(6, 3, 1, 1), lo + 7, span, sc);
        einc_tensor *b = ramp(ctx, dt, EINC_SHAPE(6), lo + 3, span, sc);
        char what[96];
        snprintf(what, sizeof what, "conv2d_1x1 of %s", einc_dtype_name(dt));
        einc_tensor *want =
            einc_tensor_cast(ctx,
                             einc_tensor_conv2d_1x1(ctx, einc_tensor_cast(ctx, x, wide), einc_tensor_cast(ctx, w, wide),
                                                    einc_tensor_cast(ctx, b, wide)),
                             dt);
        SAME_BITS(einc_tensor_conv2d_1x1(ctx, x, w, b), want, what);
        /* a transposed x (H becomes a batch dimension in the GEMM) */
        einc_tensor *xt =
            einc_tensor_permute(ctx, einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, x, EINC_DIMS(0, 1, 3, 2))),
                                EINC_DIMS(0, 1, 3, 2));
        SAME_BITS(einc_tensor_conv2d_1x1(ctx, xt, w, b), want, what);
        /* the module form */
        einc_conv1x1 conv = {3, 6, w, b};
        SAME_BITS(einc_conv1x1_forward(ctx, &conv, x), want, what);
        /* mixed with float32 weights: a float32 result (NumPy's promotion; uint64's is float64), no rounding */
        einc_tensor *w32 = einc_tensor_cast(ctx, w, EINC_FLOAT32);
        einc_tensor *y32 = einc_tensor_conv2d_1x1(ctx, x, w32, NULL);
        einc_dtype pd = einc_promote_types(dt, 4, EINC_FLOAT32, 4);
        SAME_BITS(y32, einc_tensor_conv2d_1x1(ctx, einc_tensor_cast(ctx, x, pd), einc_tensor_cast(ctx, w32, pd), NULL),
                  what);
        if (fl) {
            /* Linear: y [4, 6] = x [4, 3] @ w [6, 3]^T + b, once rounded */
            einc_tensor *lx = ramp(ctx, dt, EINC_SHAPE(4, 3), lo + 1, span, sc);
            einc_tensor *lw = einc_tensor_view(ctx, w, EINC_SHAPE(6, 3));
            einc_linear lin = {3, 6, lw, b};
            einc_tensor *lwant =
                einc_tensor_cast(ctx,
                                 einc_add(ctx, "n o, o",
                                          einc_dot(ctx, "n i, o i -> n o", einc_tensor_cast(ctx, lx, wide),
                                                   einc_tensor_cast(ctx, lw, wide)),
                                          einc_tensor_cast(ctx, b, wide)),
                                 dt);
            snprintf(what, sizeof what, "linear of %s", einc_dtype_name(dt));
            SAME_BITS(einc_linear_forward(ctx, &lin, lx), lwant, what);
        }
        CHECK_OK(ctx);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
}

/* ---- dot ----------------------------------------------------------------------------------- */

TEST(dot_accumulates_in_float32) {
    einc_ctx *ctx = einc_ctx_create();
    static const char *expr = "b i k, b k j -> b i j";
    for (int k = 0; k < 2; k++) {
        einc_dtype dt = k ? EINC_BFLOAT16 : EINC_FLOAT16;
        const char *dn = einc_dtype_name(dt);
        char name[96];
        snprintf(name, sizeof name, "dot_a_%s", dn);
        einc_tensor *a = golden(ctx, name, dt);
        snprintf(name, sizeof name, "dot_b_%s", dn);
        einc_tensor *b = golden(ctx, name, dt);
        snprintf(name, sizeof name, "dot_ab_%s", dn);
        einc_tensor *want = golden(ctx, name, dt);
        SAME_BITS(einc_dot(ctx, expr, a, b), want, name);
        /* other layouts: a transposed operand, an output order that needs the temporary */
        einc_tensor *bt = einc_tensor_permute(
            ctx, einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, b, EINC_DIMS(0, 2, 1))), EINC_DIMS(0, 2, 1));
        SAME_BITS(einc_dot(ctx, expr, a, bt), want, name);
        SAME_BITS(einc_tensor_contiguous(
                      ctx, einc_tensor_permute(ctx, einc_dot(ctx, "b i k, b k j -> j b i", a, b), EINC_DIMS(1, 2, 0))),
                  want, name);
        /* the same as multiplying in float32 and rounding the product once */
        einc_tensor *f =
            einc_dot(ctx, expr, einc_tensor_cast(ctx, a, EINC_FLOAT32), einc_tensor_cast(ctx, b, EINC_FLOAT32));
        SAME_BITS(einc_tensor_cast(ctx, f, dt), want, name);
    }
    einc_tensor *ia = test_golden(ctx, "dtypes/dot_a_int8"), *ib = test_golden(ctx, "dtypes/dot_b_int8");
    SAME_BITS(einc_dot(ctx, expr, ia, ib), test_golden(ctx, "dtypes/dot_ab_int8"), "int8 dot");
    SAME_BITS(einc_dot(ctx, expr, test_golden(ctx, "dtypes/dot_a_uint8"), ib),
              test_golden(ctx, "dtypes/dot_ab_uint8_int8"), "uint8 int8 dot");
    /* uint64: int64's GEMM, whose products and sums modulo 2^64 have uint64's bits */
    einc_tensor *wa = test_golden(ctx, "dtypes/dot_a_uint64"), *wb = test_golden(ctx, "dtypes/dot_b_uint64");
    SAME_BITS(einc_dot(ctx, expr, wa, wb), test_golden(ctx, "dtypes/dot_ab_uint64"), "uint64 dot");
    SAME_BITS(einc_tensor_contiguous(
                  ctx, einc_tensor_permute(ctx, einc_dot(ctx, "b i k, b k j -> j b i", wa, wb), EINC_DIMS(1, 2, 0))),
              test_golden(ctx, "dtypes/dot_ab_uint64"), "uint64 dot through the temporary");
    SAME_BITS(einc_tensor_matmul(ctx, wa, wb), test_golden(ctx, "dtypes/dot_ab_uint64"), "uint64 matmul");
    SAME_BITS(einc_dot(ctx, expr, test_golden(ctx, "dtypes/dot_a_uint8"), wb),
              test_golden(ctx, "dtypes/dot_ab_uint8_uint64"), "uint8 uint64 dot");
    SAME_BITS(
        einc_dot(ctx, expr, golden(ctx, "dot_a_float16", EINC_FLOAT16), golden(ctx, "dot_b_bfloat16", EINC_BFLOAT16)),
        test_golden(ctx, "dtypes/dot_ab_float16_bfloat16"), "float16 bfloat16 dot");
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(matmul_and_softmax) {
    einc_ctx *ctx = einc_ctx_create();
    for (int k = 0; k < 2; k++) {
        einc_dtype dt = k ? EINC_BFLOAT16 : EINC_FLOAT16;
        const char *dn = einc_dtype_name(dt);
        char name[96];
        snprintf(name, sizeof name, "dot_a_%s", dn);
        einc_tensor *a = golden(ctx, name, dt);
        snprintf(name, sizeof name, "dot_b_%s", dn);
        einc_tensor *b = golden(ctx, name, dt);
        snprintf(name, sizeof name, "dot_ab_%s", dn);
        einc_tensor *want = golden(ctx, name, dt);
        SAME_BITS(einc_tensor_matmul(ctx, a, b), want, "matmul");
        SAME_BITS(einc_tensor_bmm(ctx, a, b), want, "bmm");
        double ulp = k ? 1.0 / 128 : 1.0 / 1024; /* computed in float32, the truth in float64 */
        snprintf(name, sizeof name, "sm_x_%s", dn);
        einc_tensor *x = golden(ctx, name, dt);
        snprintf(name, sizeof name, "sm_softmax_%s", dn);
        einc_tensor *sm = golden(ctx, name, dt);
        CHECK_TENSOR_CLOSE(einc_softmax(ctx, "a [b]", x), sm, ulp, 0.0);
        CHECK_TENSOR_CLOSE(einc_tensor_softmax(ctx, x, 1), sm, ulp, 0.0);
        snprintf(name, sizeof name, "sm_log_softmax_%s", dn);
        einc_tensor *lsm = golden(ctx, name, dt);
        CHECK_TENSOR_CLOSE(einc_log_softmax(ctx, "a [b]", x), lsm, ulp, 0.0);
        CHECK_TENSOR_CLOSE(einc_tensor_log_softmax(ctx, x, 1), lsm, ulp, 0.0);
    }
    /* einc_explain describes the widened call that einc_apply runs (the fuzzer found it refusing
     * these dtypes while einc_apply took them) */
    for (int k = 0; k < NSTORAGE; k++) {
        einc_tensor *x = einc_tensor_transpose(ctx, einc_tensor_zeros(ctx, storage[k], EINC_SHAPE(3, 2)), 0, 1);
        einc_dtype wide = storage[k] == EINC_FLOAT16 || storage[k] == EINC_BFLOAT16 ? EINC_FLOAT32
                          : storage[k] == EINC_UINT64                               ? EINC_FLOAT64
                                                                                    : EINC_INT32;
        for (int op = EINC_OP_SOFTMAX; op <= EINC_OP_LOG_SOFTMAX; op++) {
            char text[2048], want[160];
            CHECK(einc_explain(ctx, (einc_op)op, "a [b]", 1, &x, EINC_NO_AXES, NULL, text, sizeof text) > 0);
            snprintf(want, sizeof want, "(input #1, %s, is first converted to a contiguous %s copy",
                     einc_dtype_name(storage[k]), einc_dtype_name(wide));
            CHECK(strstr(text, want) != NULL);
            CHECK(strstr(text, "NORMALISE") != NULL);
            einc_tensor *y = NULL;
            CHECK_EQ_INT(einc_apply(ctx, (einc_op)op, "a [b]", 1, &x, 1, &y, EINC_NO_AXES, NULL), EINC_OK);
        }
    }
    SAME_BITS(einc_tensor_matmul(ctx, test_golden(ctx, "dtypes/dot_a_int8"), test_golden(ctx, "dtypes/dot_b_int8")),
              test_golden(ctx, "dtypes/dot_ab_int8"), "int8 matmul");
    einc_tensor *s8 = einc_tensor_softmax(ctx, test_golden(ctx, "dtypes/dot_a_int8"), 2); /* integers: float64 */
    CHECK(s8 && einc_tensor_dtype(s8) == EINC_FLOAT64);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(promotion_table);
    RUN(casts_between_all_dtypes);
    RUN(float_casts_of_special_values);
    RUN(float32_narrowing_matches_float64_narrowing);
    RUN(float_to_integer_saturates);
    RUN(strided_copies_of_small_elements);
    RUN(constructors_and_elements);
    RUN(npy_files);
    RUN(npy_has_no_bfloat16);
    RUN(safetensors_reference_file);
    RUN(print_matches_numpy);
    RUN(unsupported_operations_name_the_dtype);
    RUN(operations_that_move_data);
    RUN(comparisons_and_where_across_dtypes);
    RUN(elementwise_arithmetic);
    RUN(reductions);
    RUN(reduction_edges);
    RUN(conv2d_1x1_and_linear_compute_wide_and_round_once);
    RUN(dot_accumulates_in_float32);
    RUN(matmul_and_softmax);
    return test_summary();
}
