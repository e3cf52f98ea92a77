/* .npy reading and writing: files written by numpy (tests/golden/gen_npy.py), numpy's exact
 * header bytes, every dtype and layout, hostile and malformed images, files and pipes, atomic
 * saves, and a fail-the-Nth-allocation sweep. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#define GOLDEN EINC_TEST_DATA "/npy/"

/* ---- helpers --------------------------------------------------------------------------------- */

/* Whole file into malloc'd memory (NULL and a failed check if unreadable). */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    *size = 0;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)n + 1);
            if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) *size = (size_t)n;
            else {
                free(buf);
                buf = NULL;
            }
        }
    }
    if (f) fclose(f);
    if (!buf) {
        fprintf(stderr, "cannot read %s\n", path);
        test_failed_checks_++;
    }
    return buf;
}

static unsigned char *read_golden(const char *name, size_t *size) {
    char path[1024];
    snprintf(path, sizeof path, GOLDEN "%s.npy", name);
    return read_file(path, size);
}

/* The golden formula of gen_npy.py for row-major element i. */
static double formula(einc_dtype dtype, int64_t i) {
    switch (dtype) {
    case EINC_FLOAT32:
    case EINC_FLOAT64:
    case EINC_FLOAT16:
    case EINC_BFLOAT16: return (double)(i - 2) * 0.75;
    case EINC_INT16: return (double)((i - 2) * 1001);
    case EINC_INT8: return (double)((i - 2) * 5);
    case EINC_UINT8: return (double)(i * 7);
    case EINC_UINT64: return (double)(i * 3000000019LL);
    case EINC_INT64: return (double)((i - 2) * 3000000019LL);
    case EINC_INT32: return (double)((i - 2) * 70001);
    case EINC_BOOL: return i % 3 == 0;
    }
    return 0;
}

static einc_tensor *formula_tensor(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    einc_tensor *t = einc_tensor_empty(ctx, dtype, ndim, shape);
    int64_t n = einc_tensor_numel(t), idx[EINC_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i;
        for (int d = ndim - 1; d >= 0; d--) {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        einc_tensor_set(t, idx, formula(dtype, i));
    }
    return t;
}

static int bytes_equal(const void *a, size_t na, const void *b, size_t nb) {
    if (na != nb) return 0;
    return na == 0 || memcmp(a, b, na) == 0;
}

/* `.npy` image: magic, version major.0, the length field, `header` verbatim, `ndata` bytes of
 * `fill`. Returns the size; out must hold it. */
static size_t make_npy(unsigned char *out, int major, const char *header, size_t hlen, size_t ndata,
                       unsigned char fill) {
    size_t pre = major == 1 ? 10 : 12;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    out[8] = (unsigned char)(hlen & 0xff);
    out[9] = (unsigned char)((hlen >> 8) & 0xff);
    if (pre == 12) {
        out[10] = (unsigned char)((hlen >> 16) & 0xff);
        out[11] = (unsigned char)((hlen >> 24) & 0xff);
    }
    memcpy(out + pre, header, hlen);
    memset(out + pre + hlen, fill, ndata);
    return pre + hlen + ndata;
}

static einc_tensor *load_text(einc_ctx *ctx, int major, const char *header, size_t ndata, unsigned char fill) {
    static unsigned char img[8192];
    size_t n = make_npy(img, major, header, strlen(header), ndata, fill);
    return einc_npy_load_buffer(ctx, img, n);
}

/* ---- files written by numpy -------------------------------------------------------------- */

typedef struct {
    const char *name;
    einc_dtype dtype;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
    const char *twin; /* the numpy file of the same array in C order, little-endian, version 1.0 */
} golden_case;

static const golden_case goldens[] = {
    {"le_f4", EINC_FLOAT32, 2, {2, 3}, "le_f4"},
    {"le_f8", EINC_FLOAT64, 2, {2, 3}, "le_f8"},
    {"le_i8", EINC_INT64, 2, {2, 3}, "le_i8"},
    {"le_i4", EINC_INT32, 2, {2, 3}, "le_i4"},
    {"le_b1", EINC_BOOL, 2, {2, 3}, "le_b1"},
    {"le_f8_3d", EINC_FLOAT64, 3, {2, 3, 4}, "le_f8_3d"},
    {"le_i8_3d", EINC_INT64, 3, {2, 3, 4}, "le_i8_3d"},
    {"be_f4", EINC_FLOAT32, 2, {2, 3}, "le_f4"},
    {"be_f8", EINC_FLOAT64, 2, {2, 3}, "le_f8"},
    {"be_i8", EINC_INT64, 2, {2, 3}, "le_i8"},
    {"be_i4", EINC_INT32, 2, {2, 3}, "le_i4"},
    {"fortran_f4", EINC_FLOAT32, 2, {2, 3}, "le_f4"},
    {"fortran_i8_3d", EINC_INT64, 3, {2, 3, 4}, "le_i8_3d"},
    {"fortran_be_f8_3d", EINC_FLOAT64, 3, {2, 3, 4}, "le_f8_3d"},
    {"v2_f4", EINC_FLOAT32, 2, {2, 3}, "le_f4"},
    {"v2_i8", EINC_INT64, 2, {2, 3}, "le_i8"},
    {"v3_f4", EINC_FLOAT32, 2, {2, 3}, "le_f4"},
    {"v3_b1", EINC_BOOL, 2, {2, 3}, "le_b1"},
    {"v2_large_header", EINC_INT32, 2, {2, 3}, "le_i4"},
    {"scalar_f8", EINC_FLOAT64, 0, {0}, "scalar_f8"},
    {"scalar_b1", EINC_BOOL, 0, {0}, "scalar_b1"},
    {"scalar_i4", EINC_INT32, 0, {0}, "scalar_i4"},
    {"empty_f4", EINC_FLOAT32, 1, {0}, "empty_f4"},
    {"empty_i8", EINC_INT64, 3, {2, 0, 3}, "empty_i8"},
    {"vec_i4", EINC_INT32, 1, {7}, "vec_i4"},
    {"dims16_i4", EINC_INT32, 16, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, "dims16_i4"},
};

/* Every file loads with numpy's dtype and shape and the formula's values. */
TEST(numpy_files_load) {
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof goldens / sizeof goldens[0]; k++) {
        const golden_case *g = &goldens[k];
        char name[128];
        snprintf(name, sizeof name, "npy/%s", g->name);
        einc_tensor *t = test_golden(ctx, name);
        einc_tensor *want = formula_tensor(ctx, g->dtype, g->ndim, g->shape);
        if (!CHECK_TENSOR_CLOSE(t, want, 0.0, 0.0)) fprintf(stderr, "  in %s\n", g->name);
        einc_tensor_release(t);
        einc_tensor_release(want);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* fortran_order files become column-major views of the file's bytes, not copies. */
TEST(fortran_order_is_a_strided_view) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = test_golden(ctx, "npy/fortran_f4");
    CHECK(t && !einc_tensor_is_contiguous(t));
    if (t) {
        CHECK_EQ_INT(einc_tensor_strides(t)[0], 1);
        CHECK_EQ_INT(einc_tensor_strides(t)[1], 2);
        CHECK_CLOSE(einc_tensor_get(t, (int64_t[]){1, 0}), 0.75, 0.0); /* element 3 of the formula */
    }
    einc_tensor *u = test_golden(ctx, "npy/fortran_i8_3d");
    if (u) {
        CHECK_EQ_INT(einc_tensor_strides(u)[0], 1);
        CHECK_EQ_INT(einc_tensor_strides(u)[1], 2);
        CHECK_EQ_INT(einc_tensor_strides(u)[2], 6);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* einc writes numpy's bytes: re-saving any numpy file gives exactly the C-order little-endian
 * version 1.0 file numpy wrote for the same array (header included, padding and all). */
TEST(saving_reproduces_numpy_bytes) {
    static const char *const header_only[] = {"hdr_long_first", "hdr_long_last", "hdr_16_zeros",
                                              "hdr_full_pad",   "special_f4",    "special_f8"};
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof goldens / sizeof goldens[0] + 6; k++) {
        bool table = k < sizeof goldens / sizeof goldens[0];
        const char *name = table ? goldens[k].name : header_only[k - sizeof goldens / sizeof goldens[0]];
        const char *twin = table ? goldens[k].twin : name;
        size_t fsize, tsize, isize = 0;
        unsigned char *file = read_golden(name, &fsize);
        unsigned char *want = read_golden(twin, &tsize);
        einc_tensor *t = file ? einc_npy_load_buffer(ctx, file, fsize) : NULL;
        void *img = NULL;
        CHECK(t && einc_npy_save_buffer(ctx, t, &img, &isize) == EINC_OK);
        if (!bytes_equal(img, isize, want, tsize)) {
            fprintf(stderr, "einc's image of %s differs from numpy's %s.npy (%zu vs %zu bytes)\n", name, twin, isize,
                    tsize);
            test_failed_checks_++;
        }
        einc_buffer_free(ctx, img, isize);
        einc_tensor_release(t);
        free(file);
        free(want);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(special_float_values) {
    einc_ctx *ctx = einc_ctx_create();
    static const char *const names[] = {"npy/special_f4", "npy/special_f8"};
    for (int k = 0; k < 2; k++) {
        einc_tensor *t = test_golden(ctx, names[k]);
        if (!t) continue;
        CHECK_EQ_INT(einc_tensor_numel(t), 8);
        double v[8];
        for (int64_t i = 0; i < 8; i++) v[i] = einc_tensor_get(t, &i);
        CHECK(isnan(v[0]));
        CHECK(isinf(v[1]) && v[1] > 0);
        CHECK(isinf(v[2]) && v[2] < 0);
        CHECK(v[3] == 0 && signbit(v[3]));
        CHECK(v[4] == 0 && !signbit(v[4]));
        CHECK(v[6] > 0 && v[6] < (k == 0 ? 1.2e-38 : 2.3e-308)); /* subnormal */
        CHECK_CLOSE(v[7], k == 0 ? 3.4028234663852886e38 : 1.7976931348623157e308, 1e-15);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Valid numpy files outside what einc supports. */
TEST(numpy_files_einc_rejects) {
    static const struct {
        const char *name, *needle;
    } cases[] = {
        {"bad_u2", "unsupported dtype '<u2'"},
        {"bad_u3", "unsupported dtype '<U3'"},
        {"bad_c8", "unsupported dtype '<c8'"},
        {"bad_struct", "structured dtypes are not supported"},
        {"bad_dims17", "shape has more than 16 dimensions"},
    };
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[1024];
        snprintf(path, sizeof path, GOLDEN "%s.npy", cases[k].name);
        CHECK(einc_npy_load(ctx, path) == NULL);
        CHECK_ERROR(ctx, EINC_EFORMAT, cases[k].needle);
        CHECK(einc_npy_load(ctx, path) == NULL);
        CHECK_ERROR(ctx, EINC_EFORMAT, path); /* file errors name the file */
    }
    einc_ctx_destroy(ctx);
}

/* ---- the accepted header grammar ----------------------------------------------------------- */

TEST(accepted_header_spellings) {
    static const struct {
        int major;
        const char *header;
        einc_dtype dtype;
        int ndim;
        int64_t shape[3];
    } cases[] = {
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", EINC_FLOAT32, 2, {2, 3}},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", EINC_FLOAT32, 2, {2, 3}},
        {1, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}\n", EINC_FLOAT32, 2, {2, 3}},
        {1, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}\n", EINC_FLOAT32, 2, {2, 3}},
        {1, "{'descr':'<f4','fortran_order':False,'shape':(2,3)}\n", EINC_FLOAT32, 2, {2, 3}},
        {1, "  { 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }   \n", EINC_FLOAT32, 2, {2, 3}},
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n", EINC_FLOAT32, 2, {2, 3}},
        {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }\n", EINC_FLOAT32, 2, {2, 3}},
        {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", EINC_FLOAT32, 2, {2, 3}},
        {1, "{'descr': '<b1', 'fortran_order': False, 'shape': (6,), }\n", EINC_BOOL, 1, {6}}, /* cnpy's bool */
        {1, "{'descr': '>b1', 'fortran_order': True, 'shape': (6,), }\n", EINC_BOOL, 1, {6}},
        {1, "{'descr': '>i4', 'fortran_order': True, 'shape': (6,), }\n", EINC_INT32, 1, {6}},
        {1, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n", EINC_INT64, 0, {0}},
        {1, "{'descr': '<i8', 'fortran_order': False, 'shape': (0,), }\n", EINC_INT64, 1, {0}},
        {1, "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 0, 2), }\n", EINC_FLOAT64, 3, {3, 0, 2}},
        {1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846975, 0), }\n",
         EINC_FLOAT64,
         2,
         {INT64_MAX / 8, 0}},
        {1,
         "{'descr': '<f8', 'fortran_order': True, 'shape': (0, 1152921504606846975), }\n",
         EINC_FLOAT64,
         2,
         {0, INT64_MAX / 8}},
    };
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int64_t numel = 1;
        for (int d = 0; d < cases[k].ndim; d++) numel *= cases[k].shape[d];
        einc_tensor *t =
            load_text(ctx, cases[k].major, cases[k].header, (size_t)numel * einc_dtype_size(cases[k].dtype), 1);
        if (!t) {
            fprintf(stderr, "case %zu rejected: %s\n", k, einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
            continue;
        }
        CHECK_EQ_INT(einc_tensor_dtype(t), cases[k].dtype);
        CHECK_EQ_INT(einc_tensor_ndim(t), cases[k].ndim);
        for (int d = 0; d < cases[k].ndim; d++) CHECK_EQ_INT(einc_tensor_shape(t)[d], cases[k].shape[d]);
        einc_tensor_release(t);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Big-endian elements are swapped: 0x01 0x02 0x03 0x04 as '>i4' is 0x01020304. */
TEST(big_endian_bytes_are_swapped) {
    unsigned char img[256];
    const char *h = "{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }\n";
    size_t n = make_npy(img, 1, h, strlen(h), 0, 0);
    memcpy(img + n, "\x01\x02\x03\x04", 4);
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_npy_load_buffer(ctx, img, n + 4);
    CHECK(t && einc_tensor_get(t, (int64_t[]){0}) == 0x01020304);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- hostile and malformed images -------------------------------------------------------- */

#define F4_23 "'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)"

typedef struct {
    int major;
    const char *header; /* verbatim, newline included */
    size_t ndata;
    const char *needle;
} bad_case;

static const bad_case bad_headers[] = {
    {4, "{" F4_23 "}\n", 24, "unsupported format version 4.0 (supported: 1.0, 2.0, 3.0)"},
    {0, "{" F4_23 "}\n", 24, "unsupported format version 0.0"},
    {1, "{" F4_23 "}", 24, "header does not end with a newline"},
    {1, "{" F4_23 "}\r\n", 24, "expected only spaces between the closing '}' and the final newline, found '\\x0d'"},
    {1, "{" F4_23 "} x\n", 24, "found 'x' (at header offset 58)"},
    {1, "{" F4_23 "}{}\n", 24, "found '{'"},
    {1, "[" F4_23 "]\n", 24, "expected '{' at the start of the header, found '['"},
    {1, "\n", 24, "expected '{' at the start of the header, found the end of the header"},
    {1, "{}\n", 24, "header lacks the key 'descr'"},
    {1, "{'descr': '<f4', 'shape': (2, 3)}\n", 24, "header lacks the key 'fortran_order'"},
    {1, "{'descr': '<f4', 'fortran_order': False}\n", 24, "header lacks the key 'shape'"},
    {1, "{" F4_23 ", 'descr': '<f4'}\n", 24, "duplicate key 'descr'"},
    {1, "{" F4_23 ", 'shape': (2, 3)}\n", 24, "duplicate key 'shape'"},
    {1, "{" F4_23 ", 'order': 'C'}\n", 24, "unknown key 'order' (the keys are 'descr', 'fortran_order' and 'shape'"},
    {1, "{'Descr': '<f4'}\n", 24, "unknown key 'Descr'"},
    {1, "{" F4_23 ",,}\n", 24, "expected a quoted key, found ','"},
    {1, "{,}\n", 24, "expected a quoted key, found ','"},
    {1, "{descr: '<f4'}\n", 24, "expected a quoted key, found 'd'"},
    {1, "{'descr' '<f4'}\n", 24, "expected ':' after a key, found '''"},
    {1, "{'descr: '<f4'}\n", 24, "unknown key 'descr: '"},
    {1, "{'descr': '<f4}\n", 24, "unterminated string (at header offset 10)"},
    {1, "{'descr': '<f\\x34'}\n", 24, "escape sequences in strings are not supported"},
    {1, "{'descr': '<f4' 'fortran_order': False}\n", 24, "expected ',' or '}' after a value, found '''"},
    {1, "{" F4_23 "\n", 24, "expected ',' or '}' after a value, found the end of the header"},
    {1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,)}\n", 4, "unsupported dtype '<u2' (supported: <f2"},
    {1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,)}\n", 24, "unsupported dtype '<U3'"},
    {1, "{'descr': '=f4', 'fortran_order': False, 'shape': (2,)}\n", 8, "unsupported dtype '=f4'"},
    {1, "{'descr': 'f4', 'fortran_order': False, 'shape': (2,)}\n", 8, "unsupported dtype 'f4'"},
    {1, "{'descr': '<f4 ', 'fortran_order': False, 'shape': (2,)}\n", 8, "unsupported dtype '<f4 '"},
    {1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,)}\n", 16, "unsupported dtype '|O' (supported"},
    {1, "{'descr': '=b1', 'fortran_order': False, 'shape': (2,)}\n", 2, "unsupported dtype '=b1'"},
    {1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", 8, "structured dtypes are not supported"},
    {1, "{'descr': 5, 'fortran_order': False, 'shape': (2,)}\n", 8,
     "expected a dtype string as the value of 'descr', found '5'"},
    {1, "{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}\n", 8,
     "expected True or False as the value of 'fortran_order', found 'f'"},
    {1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}\n", 8, "expected True or False"},
    {1, "{'descr': '<f4', 'fortran_order': Truee, 'shape': (2,)}\n", 8, "expected ',' or '}' after a value, found 'e'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2)}\n", 8,
     "'shape' (2) is an int, not a tuple: a 1-d shape is written (2,)"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}\n", 24,
     "expected a tuple as the value of 'shape', found '['"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': 6}\n", 24, "expected a tuple as the value of 'shape'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}\n", 0, "shape entry 0 is negative"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}\n", 0, "shape entry 1 is negative"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (+2,)}\n", 8,
     "expected a non-negative integer in 'shape', found '+'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}\n", 8, "shape entry 0 has a leading zero"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0x2,)}\n", 8, "expected ',' or ')' in 'shape', found 'x'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1_0,)}\n", 40, "found '_'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}\n", 8, "found '.'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2 L,)}\n", 8, "found 'L'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2l,)}\n", 8, "found 'l'"},
    {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,)}\n", 8,
     "the Python 2 'L' suffix is not allowed in a version 3.0 header"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}\n", 0,
     "expected a non-negative integer in 'shape', found ','"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}\n", 8,
     "expected a non-negative integer in 'shape', found ','"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}\n", 24, "expected ',' or ')' in 'shape', found '}'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3\n", 24, "found the end of the header"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)}\n", 4,
     "shape has more than 16 dimensions (einc's limit)"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,)}\n", 0,
     "shape entry 0 (9223372036854775808) does not fit in 64 bits"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 99999999999999999999999999)}\n", 0,
     "shape entry 1 (99999999999999999999999999) does not fit in 64 bits"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}\n", 0,
     "shape (4294967296, 4294967296) of float32 is too big: its sizes (zeros counted as 1, as numpy does) times the "
     "4-byte item size overflow 64 bits"},
    {1, "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 100000000000000000, 100000000000000)}\n", 0,
     "shape (0, 100000000000000000, 100000000000000) of int32 is too big"},
    {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 0)}\n", 0,
     "shape (9223372036854775807, 0) of float64 is too big"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807,)}\n", 0,
     "shape (9223372036854775807,) of float32 is too big"},
    {1, "{'descr': '<f8', 'fortran_order': True, 'shape': (3037000499, 3037000499)}\n", 0,
     "shape (3037000499, 3037000499) of float64 is too big"},
    {1, "{'descr':\t'<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 24, "found '\\x09' (at header offset 9)"},
    {1, "{'descr': '<f4',\n 'fortran_order': False, 'shape': (2, 3)}\n", 24, "expected a quoted key, found '\\x0a'"},
    {1, "{" F4_23 "} # numpy\n", 24, "found '#'"},
    {1, "{'descr': u'<f4', 'fortran_order': False, 'shape': (2, 3)}\n", 24, "found 'u'"},
    {1, "{'descr': ('<f4'), 'fortran_order': False, 'shape': (2, 3)}\n", 24, "found '('"},
    {1, "{'caf\xe9': 1}\n", 0, "unknown key 'caf\\xe9'"},          /* Latin-1 in 1.0 */
    {3, "{'caf\xc3\xa9': 1}\n", 0, "unknown key 'caf\\xc3\\xa9'"}, /* valid UTF-8 in 3.0 */
    {3, "{'descr': '\xff'}\n", 0, "version 3.0 header is not valid UTF-8 at header offset 11"},
    {3, "{'\xc0\xaf': 1}\n", 0, "not valid UTF-8 at header offset 2"},         /* overlong '/' */
    {3, "{'\xed\xa0\x80': 1}\n", 0, "not valid UTF-8 at header offset 2"},     /* surrogate */
    {3, "{'\xf4\x90\x80\x80': 1}\n", 0, "not valid UTF-8 at header offset 2"}, /* > U+10FFFF */
    {3, "{'\xe2\x82\n", 0, "not valid UTF-8 at header offset 2"},              /* cut short */
    {3, "{'\x80': 1}\n", 0, "not valid UTF-8 at header offset 2"},             /* lone continuation */
    /* the data */
    {1, "{" F4_23 "}\n", 23, "data is truncated: shape (2, 3) of float32 needs 24 bytes, the buffer has 23"},
    {1, "{" F4_23 "}\n", 0, "needs 24 bytes, the buffer has 0"},
    {1, "{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n", 7, "shape () of float64 needs 8 bytes"},
    {1, "{" F4_23 "}\n", 25, "1 unexpected bytes after the 24 bytes of data"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0,)}\n", 4, "4 unexpected bytes after the 0 bytes of data"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,)}\n", 8,
     "shape (1000000000000,) of float32 needs 4000000000000 bytes, the buffer has 8"},
};

TEST(malformed_headers) {
    einc_ctx *ctx = einc_ctx_create();
    for (size_t k = 0; k < sizeof bad_headers / sizeof bad_headers[0]; k++) {
        const bad_case *c = &bad_headers[k];
        einc_tensor *t = load_text(ctx, c->major, c->header, c->ndata, 0);
        CHECK(t == NULL);
        if (einc_errcode(ctx) != EINC_EFORMAT || !strstr(einc_errmsg(ctx), c->needle) ||
            strncmp(einc_errmsg(ctx), "einc_npy_load_buffer: ", 22) != 0)
            fprintf(stderr, "bad_headers[%zu]:\n", k);
        CHECK_ERROR(ctx, EINC_EFORMAT, c->needle);
        einc_tensor_release(t);
    }
    einc_ctx_destroy(ctx);
}

/* Preambles, lengths, NUL bytes and bools: images built byte by byte. */
TEST(malformed_preambles_and_bytes) {
    einc_ctx *ctx = einc_ctx_create();
    unsigned char img[512];
    const char *ok = "{" F4_23 "}\n";

    CHECK(einc_npy_load_buffer(ctx, NULL, 0) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "einc_npy_load_buffer: the buffer ends after 0 bytes, inside the .npy preamble");
    CHECK(einc_npy_load_buffer(ctx, NULL, 5) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_load_buffer: data is NULL but size is 5");
    CHECK(einc_npy_load_buffer(ctx, "\x93NUM", 4) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "ends after 4 bytes, inside the .npy preamble");
    CHECK(einc_npy_load_buffer(ctx, "\x93NUMPY\x01", 7) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "ends after 7 bytes");
    CHECK(einc_npy_load_buffer(ctx, "PK\x03\x04 not npy", 14) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "bad magic: not a .npy file (it must start with \\x93NUMPY)");
    CHECK(einc_npy_load_buffer(ctx, "\x93NUMPZ\x01\x00\x00\x00", 10) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "bad magic");
    CHECK(einc_npy_load_buffer(ctx, "\x93", 1) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "inside the .npy preamble");
    CHECK(einc_npy_load_buffer(ctx, "\x93NUMPY\x01\x01\x10\x00", 10) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "unsupported format version 1.1");
    CHECK(einc_npy_load_buffer(ctx, "\x93NUMPY\x01\x00\x10", 9) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "the buffer ends inside the header length");
    CHECK(einc_npy_load_buffer(ctx, "\x93NUMPY\x02\x00\x10\x00\x00", 11) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "the buffer ends inside the header length");

    /* header length past the end, over the cap, zero */
    size_t n = make_npy(img, 1, ok, strlen(ok), 24, 0);
    img[8] = (unsigned char)(n - 10 + 1);
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 83 runs past the end of the buffer (82 bytes follow the preamble)");
    n = make_npy(img, 2, ok, strlen(ok), 24, 0);
    img[8] = 1, img[9] = 0, img[10] = 0x10, img[11] = 0; /* 1 MiB + 1 */
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 1048577 exceeds the limit of 1048576 bytes");
    img[8] = 0xff, img[9] = 0xff, img[10] = 0xff, img[11] = 0xff;
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 4294967295 exceeds the limit");
    n = make_npy(img, 1, "", 0, 0, 0);
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header is empty");

    /* a NUL inside the header */
    n = make_npy(img, 1, "{'descr\0': '<f4'}\n", 18, 0, 0);
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header contains a NUL byte at header offset 7");

    /* bools other than 0 and 1 */
    const char *b = "{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}\n";
    n = make_npy(img, 1, b, strlen(b), 3, 1);
    CHECK(einc_npy_load_buffer(ctx, img, n) != NULL);
    img[n - 2] = 2;
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "bool element 1 has byte value 2 (must be 0 or 1)");
    img[n - 2] = 0xff;
    CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "byte value 255");
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* A version 2.0 header beyond what 1.0 can express loads; one past the cap does not. */
TEST(large_version2_headers) {
    size_t big = 70000, cap = 1 << 20;
    char *h = malloc(cap + 2);
    unsigned char *img = malloc(cap + 64);
    einc_ctx *ctx = einc_ctx_create();
    if (!h || !img) {
        CHECK(0);
    } else {
        size_t d = (size_t)sprintf(h, "{" F4_23 ", }");
        memset(h + d, ' ', big - d - 1);
        h[big - 1] = '\n';
        size_t n = make_npy(img, 2, h, big, 24, 0);
        einc_tensor *t = einc_npy_load_buffer(ctx, img, n);
        CHECK(t && einc_tensor_numel(t) == 6);
        einc_tensor_release(t);
        memset(h + d, ' ', cap - d - 1);
        h[cap - 1] = '\n';
        n = make_npy(img, 2, h, cap, 24, 0);
        t = einc_npy_load_buffer(ctx, img, n);
        CHECK(t && einc_tensor_numel(t) == 6); /* exactly at the cap */
        einc_tensor_release(t);
        h[cap - 1] = ' ';
        h[cap] = '\n';
        n = make_npy(img, 2, h, cap + 1, 24, 0);
        CHECK(einc_npy_load_buffer(ctx, img, n) == NULL);
        CHECK_ERROR(ctx, EINC_EFORMAT, "header length 1048577 exceeds the limit of 1048576 bytes");
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    free(h);
    free(img);
}

/* ---- files ---------------------------------------------------------------------------------- */

static void tmp_path(char *buf, size_t size, const char *name) { snprintf(buf, size, "%s/%s", EINC_TEST_TMP, name); }

/* Names in EINC_TEST_TMP starting with `prefix` (leftover temporary files). */
static int count_entries(const char *prefix) {
    DIR *d = opendir(EINC_TEST_TMP);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static einc_tensor *strided_views(einc_ctx *ctx, einc_dtype dtype, int which) {
    /* base [4, 6] from the formula; views: permuted, stepped, flipped, broadcast */
    einc_tensor *base = formula_tensor(ctx, dtype, 2, (const int64_t[]){4, 6});
    switch (which) {
    case 0: return base;
    case 1: return einc_tensor_permute(ctx, base, EINC_DIMS(1, 0));
    case 2: return einc_tensor_slice(ctx, base, 1, 1, 6, 2);
    case 3: return einc_tensor_flip(ctx, base, EINC_DIMS(0, 1));
    case 4: return einc_tensor_expand(ctx, einc_tensor_select(ctx, base, 0, 2), EINC_SHAPE(3, 6));
    default: return einc_tensor_select(ctx, einc_tensor_select(ctx, base, 0, 3), 0, 5); /* 0-d */
    }
}

/* save -> load round-trips every dtype and any strides, through a file and a buffer alike. */
TEST(round_trip_every_dtype_and_layout) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "npy_roundtrip.npy");
    for (int dt = 0; dt < EINC_NUM_DTYPES; dt++) {
        if (dt == EINC_BFLOAT16) continue; /* no .npy code: test_dtypes.c checks the error */
        for (int which = 0; which < 6; which++) {
            einc_scope_begin(ctx);
            einc_tensor *v = strided_views(ctx, (einc_dtype)dt, which);
            CHECK(einc_npy_save(ctx, path, v) == EINC_OK);
            einc_tensor *back = einc_npy_load(ctx, path);
            CHECK_TENSOR_CLOSE(back, v, 0.0, 0.0);
            CHECK(back && einc_tensor_is_contiguous(back));
            /* the file holds exactly what the buffer encoder writes */
            void *img = NULL;
            size_t isize = 0, fsize = 0;
            CHECK(einc_npy_save_buffer(ctx, v, &img, &isize) == EINC_OK);
            unsigned char *file = read_file(path, &fsize);
            CHECK(bytes_equal(img, isize, file, fsize));
            einc_tensor *back2 = einc_npy_load_buffer(ctx, img, isize);
            CHECK_TENSOR_CLOSE(back2, v, 0.0, 0.0);
            free(file);
            einc_buffer_free(ctx, img, isize);
            CHECK_OK(ctx);
            einc_scope_end(ctx);
        }
    }
    CHECK_EQ_INT(count_entries("npy_roundtrip.npy."), 0);
    remove(path);
    einc_ctx_destroy(ctx);
}

TEST(file_errors) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024], dir[1024];
    einc_tensor *t = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1);

    CHECK(einc_npy_load(ctx, EINC_TEST_TMP "/no/such/file.npy") == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "einc_npy_load: '" EINC_TEST_TMP "/no/such/file.npy': cannot open: No such file");
    CHECK(einc_npy_load(ctx, EINC_TEST_TMP) == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "is a directory");
    CHECK(einc_npy_load(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_load: path is NULL");

    /* a malformed file names itself */
    tmp_path(path, sizeof path, "npy_garbage.npy");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite("\x93NUMPY\x01\x00\x04\x00{}}\n", 1, 14, f);
        fclose(f);
    }
    CHECK(einc_npy_load(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "npy_garbage.npy': header: expected only spaces between the closing '}'");
    /* a truncated file is caught before the data is allocated */
    f = fopen(path, "wb");
    if (f) {
        const char *h = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,)}\n";
        fprintf(f, "\x93NUMPY\x01%c%c%c%s12345678", 0, (int)strlen(h), 0, h);
        fclose(f);
    }
    CHECK(einc_npy_load(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT,
                "data is truncated: shape (100000000000,) of float64 needs 800000000000 bytes, the file has 8");
    remove(path);

    /* saving into a directory that does not exist: EINC_EIO, and nothing is created */
    CHECK(einc_npy_save(ctx, EINC_TEST_TMP "/npy_missing_dir/x.npy", t) == EINC_EIO);
    CHECK_ERROR(ctx, EINC_EIO,
                "einc_npy_save: '" EINC_TEST_TMP "/npy_missing_dir/x.npy': cannot create the temporary file");
    struct stat st;
    CHECK(stat(EINC_TEST_TMP "/npy_missing_dir", &st) != 0);

    /* the target is a directory: refused before any temporary is made */
    tmp_path(dir, sizeof dir, "npy_dir_target");
    mkdir(dir, 0777);
    CHECK(einc_npy_save(ctx, dir, t) == EINC_EIO);
    CHECK_ERROR(ctx, EINC_EIO, "is a directory, not replaced");
    CHECK_EQ_INT(count_entries("npy_dir_target."), 0);
    rmdir(dir);

    /* saving over an existing file replaces it */
    tmp_path(path, sizeof path, "npy_replace.npy");
    f = fopen(path, "wb");
    if (f) {
        fputs("old contents", f);
        fclose(f);
    }
    CHECK(einc_npy_save(ctx, path, t) == EINC_OK);
    einc_tensor *back = einc_npy_load(ctx, path);
    CHECK_TENSOR_CLOSE(back, t, 0.0, 0.0);
    CHECK_EQ_INT(count_entries("npy_replace.npy."), 0);
    remove(path);

    CHECK(einc_npy_save(ctx, NULL, t) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_save: path is NULL");
    CHECK(einc_npy_save(ctx, path, NULL) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_save: tensor argument 't' is NULL");
    void *img = (void *)1;
    size_t isize = 7;
    CHECK(einc_npy_save_buffer(ctx, NULL, &img, &isize) == EINC_EINVAL);
    CHECK(img == NULL && isize == 0);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_save_buffer: tensor argument 't' is NULL");
    CHECK(einc_npy_save_buffer(ctx, t, NULL, &isize) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_save_buffer: data or size is NULL");
    CHECK(einc_npy_load(NULL, path) == NULL);
    CHECK(einc_npy_save(NULL, path, t) == EINC_EINVAL);
    einc_buffer_free(ctx, NULL, 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

#ifdef __linux__
/* Pipes have no size: the reader streams, and still catches truncated and trailing data. */
static einc_tensor *load_through_pipe(einc_ctx *ctx, const unsigned char *bytes, size_t n) {
    int fds[2];
    if (pipe(fds) != 0) return NULL;
    bool ok = write(fds[1], bytes, n) == (ssize_t)n; /* small: fits in the pipe's buffer */
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    einc_tensor *t = ok ? einc_npy_load(ctx, path) : NULL;
    close(fds[0]);
    return t;
}

TEST(pipes) {
    einc_ctx *ctx = einc_ctx_create();
    size_t size;
    unsigned char *file = read_golden("fortran_be_f8_3d", &size);
    einc_tensor *want = test_golden(ctx, "npy/le_f8_3d");
    if (file) {
        einc_tensor *t = load_through_pipe(ctx, file, size);
        CHECK_TENSOR_CLOSE(t, want, 0.0, 0.0);
        CHECK(load_through_pipe(ctx, file, size - 1) == NULL);
        CHECK_ERROR(ctx, EINC_EFORMAT, "needs 192 bytes, the stream has 191");
        CHECK(load_through_pipe(ctx, file, 40) == NULL);
        CHECK_ERROR(ctx, EINC_EFORMAT, "runs past the end of the stream (30 bytes follow the preamble)");
        unsigned char *longer = malloc(size + 1);
        if (longer) {
            memcpy(longer, file, size);
            longer[size] = 0;
            CHECK(load_through_pipe(ctx, longer, size + 1) == NULL);
            CHECK_ERROR(ctx, EINC_EFORMAT, "unexpected bytes after the 192 bytes of data");
        }
        free(longer);
    }
    free(file);
    /* 16 KB: the stream buffer grows several times */
    einc_tensor *big = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 4000, 1);
    void *img = NULL;
    size_t isize = 0;
    CHECK(einc_npy_save_buffer(ctx, big, &img, &isize) == EINC_OK);
    CHECK_TENSOR_CLOSE(load_through_pipe(ctx, img, isize), big, 0.0, 0.0);
    einc_buffer_free(ctx, img, isize);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}
#endif

#ifdef __linux__
/* A child that writes `n` bytes of `head` into a new pipe, then `tail` bytes of zeros (-1:
 * endlessly, until the reader closes) and then waits up to `linger` seconds before closing.
 * Returns the read end; *child gets the child's pid. */
static int pipe_writer(const void *head, size_t n, long tail, int linger, pid_t *child) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        signal(SIGPIPE, SIG_DFL);
        static const char zeros[4096];
        bool ok = write(fds[1], head, n) == (ssize_t)n;
        for (long sent = 0; ok && (tail < 0 || sent < tail); sent += (long)sizeof zeros) {
            size_t k = tail < 0 || tail - sent >= (long)sizeof zeros ? sizeof zeros : (size_t)(tail - sent);
            ok = write(fds[1], zeros, k) == (ssize_t)k;
        }
        if (linger) sleep((unsigned)linger);
        _exit(0);
    }
    close(fds[1]);
    *child = pid;
    return fds[0];
}

static einc_tensor *load_fd(einc_ctx *ctx, int fd) {
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    return einc_npy_load(ctx, path);
}

static void reap(int fd, pid_t child) {
    close(fd);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

/* Issue 14: the magic and the header are read and checked first, then exactly the bytes the
 * header announces (and one more, to see the end); the memory follows the bytes that arrive. */
TEST(bounded_reads) {
    test_alloc_state as;
    einc_ctx *ctx = test_ctx_with_budget(&as, -1);
    /* an endless device fails at the magic */
    CHECK(einc_npy_load(ctx, "/dev/zero") == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "einc_npy_load: '/dev/zero': bad magic: not a .npy file");

    char head[128];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s,), }";
    char text[96];
    /* an endless stream after a valid header: cut off one byte after the 16 announced */
    snprintf(text, sizeof text, dict, "4");
    size_t hl = strlen(text) + 1;
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (char)hl;
    head[9] = 0;
    memcpy(head + 10, text, hl - 1);
    head[10 + hl - 1] = '\n';
    pid_t child;
    int fd = pipe_writer(head, 10 + hl, -1, 0, &child);
    CHECK(fd >= 0);
    as.peak = as.live;
    CHECK(load_fd(ctx, fd) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "unexpected bytes after the 16 bytes of data (the stream goes on)");
    CHECK(as.peak - as.live < (1 << 20));
    reap(fd, child);

    /* a header announcing 1 TiB on a pipe that sends 1 MiB: the memory follows what arrived */
    snprintf(text, sizeof text, dict, "274877906944");
    hl = strlen(text) + 1;
    head[8] = (char)hl;
    memcpy(head + 10, text, hl - 1);
    head[10 + hl - 1] = '\n';
    fd = pipe_writer(head, 10 + hl, 1 << 20, 0, &child);
    as.peak = as.live;
    CHECK(load_fd(ctx, fd) == NULL);
    CHECK_ERROR(
        ctx, EINC_EFORMAT,
        "data is truncated: shape (274877906944,) of float32 needs 1099511627776 bytes, the stream has 1048576");
    if (as.peak - as.live >= (4 << 20)) fprintf(stderr, "peak %lld\n", as.peak - as.live);
    CHECK(as.peak - as.live < (4 << 20));
    reap(fd, child);

    /* a header length over the cap is refused at the preamble: nothing more is read (the
     * writer keeps the pipe open, so a read would block) */
    static const unsigned char v2[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xff, 0xff, 0xff, 0x7f};
    fd = pipe_writer(v2, sizeof v2, 0, 30, &child);
    time_t t0 = time(NULL);
    CHECK(load_fd(ctx, fd) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 2147483647 exceeds the limit of 1048576 bytes");
    CHECK(time(NULL) - t0 < 10);
    reap(fd, child);

    /* a regular file whose header announces more than it holds: refused before allocating */
    char path[1024];
    tmp_path(path, sizeof path, "npy_announces_1tib.npy");
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(head, 1, 10 + hl, f);
        fwrite("12345678", 1, 8, f);
        fclose(f);
    }
    as.peak = as.live;
    CHECK(einc_npy_load(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "needs 1099511627776 bytes, the file has 8");
    CHECK(einc_npy_load_mapped(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "einc_npy_load_mapped: '");
    CHECK(as.peak - as.live < (64 << 10));
    remove(path);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(as.live, 0);
}
#endif

/* einc_npy_load_fd: from where the descriptor stands (a regular file after a prefix, a pipe), the
 * name in messages, the descriptor left open; a bad descriptor. */
TEST(load_from_a_descriptor) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_tensor_arange(ctx, EINC_INT32, 0, 12, 1);
    void *img = NULL;
    size_t n = 0;
    CHECK(einc_npy_save_buffer(ctx, t, &img, &n) == EINC_OK);
    const char *path = EINC_TEST_TMP "/npy_fd.bin";
    FILE *f = fopen(path, "wb");
    fwrite("PREFIX", 1, 6, f);
    fwrite(img, 1, n, f);
    fclose(f);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && read(fd, (char[6]){0}, 6) == 6);
    CHECK_TENSOR_CLOSE(einc_npy_load_fd(ctx, fd, "my file"), t, 0, 0);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);                  /* still open */
    CHECK(einc_npy_load_fd(ctx, fd, "my file") == NULL); /* from the start: "PREFIX" is no magic */
    CHECK_ERROR(ctx, EINC_EFORMAT, "einc_npy_load_fd: 'my file'");
    close(fd);
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], img, n) == (ssize_t)n);
    close(p[1]);
    CHECK_TENSOR_CLOSE(einc_npy_load_fd(ctx, p[0], NULL), t, 0, 0);
    close(p[0]);
    CHECK(einc_npy_load_fd(ctx, -1, "x") == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "invalid file descriptor -1");
    einc_buffer_free(ctx, img, n);
    unlink(path);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- allocation failures ------------------------------------------------------------------ */

/* Fails each allocation in turn across load (file, pipe and buffer, with a fortran view), save
 * (with a strided gather) and save_buffer: every run reports EINC_ENOMEM or succeeds, leaks nothing,
 * and a failed save leaves no file. */
TEST(fail_nth_allocation) {
    char src[1024], dst[1024];
    snprintf(src, sizeof src, GOLDEN "fortran_be_f8_3d.npy");
    tmp_path(dst, sizeof dst, "npy_failnth.npy");
    size_t size;
    unsigned char *bytes = read_file(src, &size);
    bool completed = false;
    for (long budget = 0; budget < 200 && !completed && bytes; budget++) {
        test_alloc_state s;
        einc_ctx *ctx = test_ctx_with_budget(&s, budget);
        if (!ctx) continue;
        remove(dst);
        einc_tensor *a = einc_npy_load(ctx, src);
        einc_tensor *b = einc_npy_load_buffer(ctx, bytes, size);
#ifdef __linux__
        einc_tensor *c = load_through_pipe(ctx, bytes, size);
        CHECK(c || einc_errcode(ctx) == EINC_ENOMEM);
#endif
        einc_status saved = a ? einc_npy_save(ctx, dst, a) : EINC_ENOMEM;
        void *img = NULL;
        size_t isize = 0;
        einc_status encoded = b ? einc_npy_save_buffer(ctx, b, &img, &isize) : EINC_ENOMEM;
        struct stat st;
        CHECK((saved == EINC_OK) == (stat(dst, &st) == 0));
        CHECK(saved == EINC_OK || saved == EINC_ENOMEM);
        CHECK(encoded == EINC_OK || encoded == EINC_ENOMEM);
        completed = a && b && saved == EINC_OK && encoded == EINC_OK;
#ifdef __linux__
        completed = completed && c;
#endif
        CHECK(completed ? einc_errcode(ctx) == EINC_OK : einc_errcode(ctx) == EINC_ENOMEM);
        einc_buffer_free(ctx, img, isize);
        einc_ctx_destroy(ctx);
        if (s.live_blocks != 0) {
            fprintf(stderr, "budget %ld: %ld blocks leaked\n", budget, s.live_blocks);
            test_failed_checks_++;
        }
    }
    CHECK(completed);
    CHECK_EQ_INT(count_entries("npy_failnth.npy."), 0);
    remove(dst);
    free(bytes);
}

/* The two-phase save: nothing replaces the file before the commit; abort leaves it as it was;
 * neither leaves a temporary; a replaced file keeps its mode. */
TEST(two_phase_save) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "two_phase.npy");
    einc_tensor *old = einc_tensor_arange(ctx, EINC_INT64, 0, 5, 1),
                *new = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(2, 3));
    CHECK(einc_npy_save(ctx, path, old) == EINC_OK);
    CHECK(chmod(path, 0640) == 0);
    einc_npy_pending *p = einc_npy_save_begin(ctx, path, new);
    CHECK(p != NULL);
    CHECK_TENSOR_CLOSE(einc_npy_load(ctx, path), old, 0, 0); /* still the old file */
    einc_npy_save_abort(p);
    CHECK_TENSOR_CLOSE(einc_npy_load(ctx, path), old, 0, 0);
    CHECK(count_entries("two_phase.npy.") == 0);
    p = einc_npy_save_begin(ctx, path, einc_tensor_transpose(ctx, new, 0, 1));
    CHECK(p && einc_npy_save_commit(p) == EINC_OK);
    einc_tensor *got = einc_npy_load(ctx, path);
    CHECK(got && einc_tensor_dim(got, 0) == 3 && einc_tensor_dim(got, 1) == 2);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK(count_entries("two_phase.npy.") == 0);
    CHECK(einc_npy_save_begin(ctx, NULL, new) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "path is NULL");
    CHECK(einc_npy_save_begin(ctx, EINC_TEST_TMP "/no_such_dir/x.npy", new) == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "cannot create the temporary file");
    CHECK(einc_npy_save_commit(NULL) == EINC_EINVAL);
    einc_npy_save_abort(NULL);
    unlink(path);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(numpy_files_load);
    RUN(two_phase_save);
    RUN(fortran_order_is_a_strided_view);
    RUN(saving_reproduces_numpy_bytes);
    RUN(special_float_values);
    RUN(numpy_files_einc_rejects);
    RUN(accepted_header_spellings);
    RUN(big_endian_bytes_are_swapped);
    RUN(malformed_headers);
    RUN(malformed_preambles_and_bytes);
    RUN(large_version2_headers);
    RUN(round_trip_every_dtype_and_layout);
    RUN(file_errors);
    RUN(load_from_a_descriptor);
#ifdef __linux__
    RUN(pipes);
    RUN(bounded_reads);
#endif
    RUN(fail_nth_allocation);
    return test_summary();
}
