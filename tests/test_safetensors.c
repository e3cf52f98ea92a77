/* test_safetensors.c — states (named tensors) and safetensors files: golden files written by
 * Python (tests/golden/gen_safetensors.py), the reference implementation's own byte vectors,
 * round trips of non-contiguous tensors, a table of hostile buffers, a fail-the-Nth-allocation
 * sweep over every public call, and no partial files after a failed save. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#define GOLDEN EINC_TEST_DATA "/safetensors/"

/* ---- helpers ------------------------------------------------------------------------------- */

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

static void write_all(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, size, f);
    fclose(f);
}

/* 8-byte little-endian length + header text + data. */
static unsigned char *make_file(const char *header, size_t hlen, const void *data, size_t dlen, size_t *size) {
    *size = 8 + hlen + dlen;
    unsigned char *b = malloc(*size + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(((uint64_t)hlen >> (8 * i)) & 0xff);
    memcpy(b + 8, header, hlen);
    if (dlen) memcpy(b + 8 + hlen, data, dlen);
    return b;
}

static int bytes_equal(const einc_tensor *a, const einc_tensor *b) {
    if (!a || !b || einc_tensor_dtype(a) != einc_tensor_dtype(b) || einc_tensor_ndim(a) != einc_tensor_ndim(b))
        return 0;
    for (int d = 0; d < einc_tensor_ndim(a); d++)
        if (einc_tensor_shape(a)[d] != einc_tensor_shape(b)[d]) return 0;
    size_t n = (size_t)einc_tensor_numel(a) * einc_dtype_size(einc_tensor_dtype(a));
    unsigned char *x = malloc(n + 1), *y = malloc(n + 1);
    einc_tensor_to_buffer(a, x, n);
    einc_tensor_to_buffer(b, y, n);
    int same = memcmp(x, y, n) == 0;
    free(x);
    free(y);
    return same;
}

static size_t live_tensors(einc_ctx *ctx) {
    einc_memory_stats s;
    einc_memory_stats_get(ctx, &s);
    return s.live_tensors;
}

/* Number of directory entries whose name starts with `prefix`. */
static int count_files(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

/* ---- golden files -------------------------------------------------------------------------- */

static const struct {
    const char *name, *npy;
    einc_dtype dtype;
} mixed_tensors[] = {
    {"zeta.weight", "mixed_zeta_weight", EINC_FLOAT32},
    {"alpha", "mixed_alpha", EINC_FLOAT64},
    {"scalar", "mixed_scalar", EINC_FLOAT32},
    {"empty", "mixed_empty", EINC_FLOAT32},
    {"idx", "mixed_idx", EINC_INT64},
    {"i32", "mixed_i32", EINC_INT32},
    {"mask", "mixed_mask", EINC_BOOL},
    {"layer.\xc3\xbc/\xe5\x90\x8d", "mixed_layer_unicode", EINC_FLOAT32},
    {"none", "mixed_none", EINC_INT64},
};
#define N_MIXED ((int)(sizeof mixed_tensors / sizeof mixed_tensors[0]))

static void check_mixed(einc_ctx *ctx, const einc_state *s) {
    CHECK_EQ_INT(einc_state_count(s), N_MIXED);
    for (int i = 0; i < N_MIXED && i < einc_state_count(s); i++) {
        CHECK(strcmp(einc_state_name(s, i), mixed_tensors[i].name) == 0); /* header order */
        char path[256];
        snprintf(path, sizeof path, "safetensors/%s", mixed_tensors[i].npy);
        einc_tensor *want = test_golden(ctx, path);
        einc_tensor *got = einc_state_get(s, mixed_tensors[i].name);
        CHECK(got != NULL);
        CHECK_EQ_INT(einc_tensor_dtype(got), mixed_tensors[i].dtype);
        CHECK(einc_tensor_is_contiguous(got));
        CHECK_TENSOR_CLOSE(got, want, 0, 0);
        CHECK(bytes_equal(got, want)); /* -0.0 and NaN payloads too */
    }
    CHECK_EQ_INT(einc_state_metadata_count(s), 3);
    CHECK(strcmp(einc_state_metadata_key(s, 0), "format") == 0);
    CHECK(strcmp(einc_state_metadata_key(s, 1), "note") == 0);
    CHECK(strcmp(einc_state_metadata_key(s, 2), "empty") == 0);
    CHECK(einc_state_metadata_key(s, 3) == NULL);
    CHECK(strcmp(einc_state_metadata(s, "format"), "pt") == 0);
    CHECK(strcmp(einc_state_metadata(s, "note"), "quotes \" and \\ and \xc3\xbcn\xc3\xaf"
                                                 "code \xf0\x9f\x98\x80") == 0);
    CHECK(strcmp(einc_state_metadata(s, "empty"), "") == 0);
    CHECK(einc_state_metadata(s, "missing") == NULL);
}

TEST(golden_mixed) {
    einc_ctx *ctx = einc_ctx_create();
    size_t base = live_tensors(ctx);
    /* loaded inside a scope: the state outlives it */
    einc_scope_begin(ctx);
    einc_state *s = einc_safetensors_load(ctx, GOLDEN "mixed.safetensors");
    einc_scope_end(ctx);
    CHECK_OK(ctx);
    CHECK(s != NULL);
    einc_scope_begin(ctx);
    check_mixed(ctx, s);
    einc_scope_end(ctx);
    /* the same bytes from memory */
    size_t size;
    unsigned char *bytes = read_all(GOLDEN "mixed.safetensors", &size);
    einc_state *m = einc_safetensors_load_buffer(ctx, bytes, size);
    free(bytes);
    CHECK_OK(ctx);
    einc_scope_begin(ctx);
    check_mixed(ctx, m);
    einc_scope_end(ctx);
    /* a handle got from the state survives the state */
    einc_tensor *keep = einc_state_get(s, "idx");
    einc_state_free(s);
    einc_state_free(m);
    CHECK_EQ_INT(einc_tensor_get(keep, (int64_t[]){1}), 1099511627776.0);
    einc_tensor_release(keep);
    CHECK_EQ_INT(live_tensors(ctx), base);
    einc_ctx_destroy(ctx);
}

/* reference.safetensors holds what safetensors' Rust serializer writes; einc writes the same. */
static einc_state *reference_state(einc_ctx *ctx) {
    static const char *names[] = {"b.bias", "a.weight", "steps", "flags", "d", "count", "\xc3\xa9t\xc3\xa9"};
    einc_state *s = einc_state_new(ctx);
    for (int i = 0; i < 7; i++) {
        char path[64];
        snprintf(path, sizeof path, "safetensors/reference_%d", i);
        einc_state_set(s, names[i], test_golden(ctx, path));
    }
    einc_state_set_metadata(s, "format", "pt");
    return s;
}

TEST(golden_reference_layout) {
    einc_ctx *ctx = einc_ctx_create();
    size_t size;
    unsigned char *want = read_all(GOLDEN "reference.safetensors", &size);
    einc_state *s = reference_state(ctx);
    CHECK_OK(ctx);
    void *buf = NULL;
    size_t n = 0;
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, s, &buf, &n), EINC_OK);
    CHECK_EQ_INT(n, size);
    CHECK(n == size && memcmp(buf, want, n) == 0);
    einc_buffer_free(ctx, buf, n);
    /* the file writer gives the same bytes */
    const char *path = EINC_TEST_TMP "/st_reference.safetensors";
    CHECK_EQ_INT(einc_safetensors_save(ctx, path, s), EINC_OK);
    size_t fsize;
    unsigned char *file = read_all(path, &fsize);
    CHECK(file && fsize == size && memcmp(file, want, size) == 0);
    free(file);
    remove(path);
    /* and loading the reference file gives the tensors back, in its header order */
    einc_state *r = einc_safetensors_load(ctx, GOLDEN "reference.safetensors");
    CHECK(r != NULL);
    static const char *order[] = {"steps", "d", "a.weight", "b.bias", "\xc3\xa9t\xc3\xa9", "count", "flags"};
    CHECK_EQ_INT(einc_state_count(r), 7);
    for (int i = 0; i < 7 && i < einc_state_count(r); i++) {
        CHECK(strcmp(einc_state_name(r, i), order[i]) == 0);
        CHECK(bytes_equal(einc_state_get(r, order[i]), einc_state_get(s, order[i])));
    }
    CHECK(strcmp(einc_state_metadata(r, "format"), "pt") == 0);
    CHECK_OK(ctx);
    einc_state_free(s);
    einc_state_free(r);
    free(want);
    einc_ctx_destroy(ctx);
}

/* Byte vectors from the reference implementation's own unit tests (safetensors/src/tensor.rs:
 * test_serialization, test_empty, test_serialization_forced_alignement). */
TEST(reference_vectors) {
    einc_ctx *ctx = einc_ctx_create();
    static const float six[6] = {0, 1, 2, 3, 4, 5};
    static const unsigned char floats[24] = {0, 0, 0,  0,  0, 0, 128, 63, 0, 0, 0,   64,
                                             0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};
    struct {
        const char *name;
        int ndim;
        int64_t shape[4];
        const char *header; /* padded */
        const char *metadata;
        int with_tensor;
    } cases[] = {
        {"attn.0", 3, {1, 2, 3}, "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", NULL, 1},
        {"attn0",
         4,
         {1, 1, 2, 3},
         "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ",
         NULL,
         1},
        {NULL, 0, {0}, "{}      ", NULL, 0},
        {NULL, 0, {0}, "{\"__metadata__\":{\"framework\":\"pt\"}}     ", "pt", 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t want_size;
        unsigned char *want =
            make_file(cases[c].header, strlen(cases[c].header), floats, cases[c].with_tensor ? 24 : 0, &want_size);
        CHECK_EQ_INT(strlen(cases[c].header) % 8, 0);
        einc_state *s = einc_state_new(ctx);
        if (cases[c].with_tensor)
            einc_state_set(s, cases[c].name,
                           einc_tensor_from_data(ctx, EINC_FLOAT32, cases[c].ndim, cases[c].shape, six));
        if (cases[c].metadata) einc_state_set_metadata(s, "framework", cases[c].metadata);
        void *buf;
        size_t n;
        CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, s, &buf, &n), EINC_OK);
        CHECK(n == want_size && memcmp(buf, want, n) == 0);
        einc_buffer_free(ctx, buf, n);
        einc_state *r = einc_safetensors_load_buffer(ctx, want, want_size);
        CHECK(r != NULL);
        CHECK_EQ_INT(einc_state_count(r), cases[c].with_tensor);
        if (cases[c].with_tensor) CHECK(bytes_equal(einc_state_at(r, 0), einc_state_at(s, 0)));
        CHECK_EQ_INT(einc_state_metadata_count(r), cases[c].metadata ? 1 : 0);
        einc_state_free(s);
        einc_state_free(r);
        free(want);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- round trips --------------------------------------------------------------------------- */

/* A state of views with every kind of stride, plus its contiguous truth. */
static einc_state *strided_state(einc_ctx *ctx, einc_tensor **truth, int *n) {
    einc_tensor *base = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1);
    einc_tensor *b3 = einc_tensor_reshape(ctx, base, EINC_SHAPE(2, 3, 4));
    einc_tensor *views[8];
    views[0] = einc_tensor_permute(ctx, b3, EINC_DIMS(2, 0, 1));                                /* transposed */
    views[1] = einc_tensor_slice(ctx, b3, 2, 3, 0, -2);                                         /* negative step */
    views[2] = einc_tensor_expand(ctx, einc_tensor_select(ctx, b3, 2, 1), EINC_SHAPE(3, 2, 3)); /* broadcast */
    views[3] = einc_tensor_flip(ctx, einc_tensor_cast(ctx, b3, EINC_INT64), EINC_DIMS(0, 2));
    views[4] = einc_tensor_select(ctx, einc_tensor_select(ctx, b3, 0, 1), 0, 2); /* 0-d view */
    views[5] = einc_tensor_slice(ctx, b3, 1, 1, 1, 1);                           /* empty */
    views[6] = einc_tensor_diagonal(ctx, einc_tensor_cast(ctx, b3, EINC_BOOL), 0, 1, 2);
    views[7] = einc_tensor_transpose(ctx, einc_tensor_cast(ctx, b3, EINC_FLOAT64), 0, 2);
    static const char *names[] = {"t.perm", "t.neg", "t.bcast", "t.flip64", "t.scalar", "t.empty", "t.diag", "t.f64"};
    einc_state *s = einc_state_new(ctx);
    for (int i = 0; i < 8; i++) {
        einc_state_set(s, names[i], views[i]);
        truth[i] = einc_tensor_contiguous(ctx, views[i]);
    }
    *n = 8;
    return s;
}

TEST(roundtrip_strided) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *truth[8];
    int n;
    einc_state *s = strided_state(ctx, truth, &n);
    CHECK(!einc_tensor_is_contiguous(einc_state_get(s, "t.perm")));
    einc_state_set_metadata(s, "epoch", "3");
    einc_state_set_metadata(s, "ctrl", "tab\there\nnl \x01 \"q\" \\ \xe2\x82\xac");
    CHECK_OK(ctx);
    const char *path = EINC_TEST_TMP "/st_roundtrip.safetensors";
    CHECK_EQ_INT(einc_safetensors_save(ctx, path, s), EINC_OK);
    einc_state *r = einc_safetensors_load(ctx, path);
    CHECK(r != NULL);
    CHECK_EQ_INT(einc_state_count(r), n);
    for (int i = 0; i < n; i++) {
        const char *name = einc_state_name(s, i);
        einc_tensor *got = einc_state_get(r, name);
        CHECK_TENSOR_CLOSE(got, truth[i], 0, 0);
        CHECK(bytes_equal(got, truth[i]));
    }
    CHECK_EQ_INT(einc_state_metadata_count(r), 2);
    CHECK(strcmp(einc_state_metadata(r, "ctrl"), einc_state_metadata(s, "ctrl")) == 0);
    CHECK(strcmp(einc_state_metadata(r, "epoch"), "3") == 0);
    /* save_buffer gives the file's bytes, and saving the reloaded state gives them again */
    void *b1, *b2;
    size_t n1, n2;
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, s, &b1, &n1), EINC_OK);
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, r, &b2, &n2), EINC_OK);
    size_t fsize;
    unsigned char *file = read_all(path, &fsize);
    CHECK(n1 == fsize && memcmp(b1, file, n1) == 0);
    CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
    free(file);
    einc_buffer_free(ctx, b1, n1);
    einc_buffer_free(ctx, b2, n2);
    remove(path);
    CHECK_OK(ctx);
    einc_state_free(s);
    einc_state_free(r);
    einc_ctx_destroy(ctx);
}

/* An independent reading of an einc-written header: compact JSON, the reference's order, offsets
 * that tile the data and are aligned to the element size, padding of spaces to 8 bytes. */
TEST(written_header_is_strict) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *truth[8];
    int n;
    einc_state *s = strided_state(ctx, truth, &n);
    einc_state_set_metadata(s, "k", "v");
    void *buf;
    size_t size;
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, s, &buf, &size), EINC_OK);
    const unsigned char *b = buf;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | b[i];
    CHECK_EQ_INT(hlen % 8, 0);
    CHECK(hlen + 8 <= size);
    char *h = malloc(hlen + 1);
    memcpy(h, b + 8, hlen);
    h[hlen] = '\0';
    size_t json = hlen;
    while (json && h[json - 1] == ' ') json--;
    CHECK(json + 8 > hlen); /* less than 8 bytes of padding */
    CHECK(h[0] == '{' && h[json - 1] == '}');
    CHECK(strncmp(h, "{\"__metadata__\":{\"k\":\"v\"},", 26) == 0);
    /* the reference order: I64, F64, F32, I32, BOOL, then names */
    static const char *order[] = {"t.flip64", "t.f64", "t.bcast", "t.empty", "t.neg", "t.perm", "t.scalar", "t.diag"};
    static const char *dtypes[] = {"I64", "F64", "F32", "F32", "F32", "F32", "F32", "BOOL"};
    static const int esize[] = {8, 8, 4, 4, 4, 4, 4, 1};
    const char *p = h;
    uint64_t pos = 0;
    for (int i = 0; i < 8; i++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\":{\"dtype\":\"%s\",\"shape\":[", order[i], dtypes[i]);
        const char *at = strstr(p, key);
        CHECK(at != NULL);
        if (!at) break;
        const char *offs = strstr(at, "\"data_offsets\":[");
        unsigned long long begin = 0, end = 0;
        CHECK(offs && sscanf(offs, "\"data_offsets\":[%llu,%llu]}", &begin, &end) == 2);
        CHECK_EQ_INT(begin, pos);
        CHECK_EQ_INT(begin % (unsigned)esize[i], 0);
        CHECK_EQ_INT((hlen + 8 + begin) % (unsigned)esize[i], 0);
        pos = end;
        p = at + 1;
    }
    CHECK_EQ_INT(8 + hlen + pos, size);
    for (size_t i = 0; i < json; i++) CHECK(h[i] != ' ' && h[i] != '\n'); /* compact */
    free(h);
    einc_buffer_free(ctx, buf, size);
    einc_state_free(s);
    einc_ctx_destroy(ctx);
}

/* ---- the state API ------------------------------------------------------------------------- */

TEST(state_api) {
    einc_ctx *ctx = einc_ctx_create();
    size_t base = live_tensors(ctx);
    einc_scope_begin(ctx); /* owns the handles einc_state_get hands out */
    einc_state *s = einc_state_new(ctx);
    CHECK_EQ_INT(einc_state_count(s), 0);
    einc_tensor *a = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1);
    einc_tensor *b = einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(2, 2));
    CHECK_EQ_INT(einc_state_set(s, "w", a), EINC_OK);
    CHECK_EQ_INT(einc_state_set(s, "b", b), EINC_OK);
    CHECK_EQ_INT(einc_state_set(s, "", b), EINC_OK); /* the empty name is a valid JSON key */
    CHECK_EQ_INT(einc_state_count(s), 3);
    CHECK(strcmp(einc_state_name(s, 0), "w") == 0 && strcmp(einc_state_name(s, 1), "b") == 0);
    CHECK(einc_state_name(s, 3) == NULL && einc_state_name(s, -1) == NULL);
    CHECK_EQ_INT(einc_state_find(s, "b"), 1);
    CHECK_EQ_INT(einc_state_find(s, "nope"), -1);
    /* get: a new handle in the current scope sharing storage with the stored tensor */
    einc_scope_begin(ctx);
    einc_tensor *g = einc_state_get(s, "w");
    CHECK(g != a && einc_tensor_data(g) == einc_tensor_data(a));
    einc_tensor_set(g, (int64_t[]){0}, 42);
    CHECK_EQ_INT(einc_tensor_get(a, (int64_t[]){0}), 42);
    einc_scope_end(ctx);
    /* the caller's handle may go away; the state keeps the storage */
    einc_tensor_release(a);
    CHECK_EQ_INT(einc_tensor_get(einc_state_get(s, "w"), (int64_t[]){5}), 5);
    /* replacing keeps the position */
    CHECK_EQ_INT(einc_state_set(s, "w", b), EINC_OK);
    CHECK_EQ_INT(einc_state_count(s), 3);
    CHECK_EQ_INT(einc_state_find(s, "w"), 0);
    CHECK_EQ_INT(einc_tensor_dtype(einc_state_at(s, 0)), EINC_INT32);
    /* growth past the initial capacity keeps every lookup working */
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "layer.%d.weight", i);
        CHECK_EQ_INT(einc_state_set(s, name, b), EINC_OK);
    }
    CHECK_EQ_INT(einc_state_count(s), 103);
    CHECK_EQ_INT(einc_state_find(s, "layer.57.weight"), 60);
    /* metadata */
    CHECK_EQ_INT(einc_state_set_metadata(s, "format", "pt"), EINC_OK);
    CHECK_EQ_INT(einc_state_set_metadata(s, "x", "1"), EINC_OK);
    CHECK_EQ_INT(einc_state_set_metadata(s, "format", "np"), EINC_OK);
    CHECK_EQ_INT(einc_state_metadata_count(s), 2);
    CHECK(strcmp(einc_state_metadata(s, "format"), "np") == 0);
    CHECK(strcmp(einc_state_metadata_key(s, 1), "x") == 0);
    CHECK_OK(ctx);

    /* errors */
    CHECK(einc_state_get(s, "missing") == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "no tensor named 'missing' in the state (103 tensors: 'w', 'b', '', ");
    CHECK(einc_state_at(s, 103) == NULL);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_state_at: index 103 is out of range");
    CHECK(einc_state_get(s, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_state_get: name is NULL");
    CHECK_EQ_INT(einc_state_set(s, "x", NULL), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "tensor argument 't' is NULL");
    CHECK_EQ_INT(einc_state_set(s, NULL, b), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "name is NULL");
    CHECK_EQ_INT(einc_state_set(s, "__metadata__", b), EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "\"__metadata__\" is reserved");
    CHECK_EQ_INT(einc_state_set(s, "bad\xff", b), EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "einc_state_set: the name is not valid UTF-8 (byte 3)");
    CHECK_EQ_INT(einc_state_set_metadata(s, "k", "\xc0\x80"), EINC_EVALUE);
    CHECK_ERROR(ctx, EINC_EVALUE, "the value is not valid UTF-8 (byte 0)");
    CHECK_EQ_INT(einc_state_set_metadata(s, NULL, "v"), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "key is NULL");
    einc_ctx *other = einc_ctx_create();
    einc_tensor *foreign = einc_tensor_zeros(other, EINC_FLOAT32, EINC_SHAPE(1));
    CHECK_EQ_INT(einc_state_set(s, "f", foreign), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "belongs to another context");
    CHECK_EQ_INT(einc_safetensors_save_buffer(other, s, &(void *){NULL}, &(size_t){0}), EINC_EINVAL);
    CHECK_ERROR(other, EINC_EINVAL, "the state belongs to another context");
    einc_ctx_destroy(other);
    CHECK_EQ_INT(einc_state_count(s), 103);
    /* NULL states */
    CHECK(einc_state_new(NULL) == NULL);
    CHECK_EQ_INT(einc_state_count(NULL), 0);
    CHECK(einc_state_name(NULL, 0) == NULL && einc_state_get(NULL, "w") == NULL && einc_state_at(NULL, 0) == NULL);
    CHECK_EQ_INT(einc_state_find(NULL, "w"), -1);
    CHECK_EQ_INT(einc_state_set(NULL, "w", b), EINC_EINVAL);
    CHECK(einc_state_metadata(NULL, "k") == NULL && einc_state_metadata_key(NULL, 0) == NULL);
    CHECK_EQ_INT(einc_state_metadata_count(NULL), 0);
    einc_state_free(NULL);
    CHECK_OK(ctx);
    einc_tensor_release(b);
    einc_state_free(s);
    einc_scope_end(ctx);
    CHECK_EQ_INT(live_tensors(ctx), base);
    einc_ctx_destroy(ctx);
}

TEST(argument_and_io_errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_state *s = einc_state_new(ctx);
    void *buf;
    size_t n;
    CHECK(einc_safetensors_load(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_safetensors_load: path is NULL");
    CHECK(einc_safetensors_load(ctx, EINC_TEST_TMP "/no/such/file.safetensors") == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "cannot open");
    CHECK(einc_safetensors_load(ctx, EINC_TEST_TMP) == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "is not a regular file");
    CHECK(einc_safetensors_load_buffer(ctx, NULL, 16) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "data is NULL");
    CHECK_EQ_INT(einc_safetensors_save(ctx, NULL, s), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "path is NULL");
    CHECK_EQ_INT(einc_safetensors_save(ctx, "x", NULL), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "state is NULL");
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, s, NULL, &n), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "NULL argument");
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, NULL, &buf, &n), EINC_EINVAL);
    CHECK(buf == NULL && n == 0);
    CHECK_ERROR(ctx, EINC_EINVAL, "NULL argument");
    CHECK(einc_safetensors_load(NULL, "x") == NULL && einc_safetensors_load_buffer(NULL, "", 0) == NULL);
    CHECK_EQ_INT(einc_safetensors_save(NULL, "x", s), EINC_EINVAL);
    /* a file truncated inside its data: the offsets run past the end */
    size_t size;
    unsigned char *bytes = read_all(GOLDEN "mixed.safetensors", &size);
    const char *path = EINC_TEST_TMP "/st_truncated.safetensors";
    write_all(path, bytes, size - 3);
    CHECK(einc_safetensors_load(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "run past the end of the data");
    write_all(path, bytes, 5);
    CHECK(einc_safetensors_load(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "a file of 5 bytes is too short");
    remove(path);
    free(bytes);
    /* a sticky earlier error stays first; the load itself still works */
    einc_set_error(ctx, EINC_EVALUE, "earlier");
    einc_state *m = einc_safetensors_load(ctx, GOLDEN "mixed.safetensors");
    CHECK(m != NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "earlier");
    einc_state_free(m);
    einc_state_free(s);
    einc_ctx_destroy(ctx);
}

/* ---- hostile buffers ----------------------------------------------------------------------- */

typedef struct {
    const char *header; /* NULL: `raw` is the whole file */
    const char *data;
    size_t dlen;
    einc_status code;
    const char *needle;
} hostile_case;

static const hostile_case hostile[] = {
    /* JSON syntax */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", "abcd", 4, EINC_EFORMAT, "trailing comma"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT, "trailing comma"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],}}", "abcd", 4, EINC_EFORMAT, "trailing comma"},
    {"{\"__metadata__\":{\"k\":\"v\",}}", "", 0, EINC_EFORMAT, "trailing comma"},
    {"{\"a", "", 0, EINC_EFORMAT, "at byte 3: unterminated string"},
    {"{\"a\":{\"dtype\":\"F32", "", 0, EINC_EFORMAT, "unterminated string"},
    {"{\"a\" {}}", "", 0, EINC_EFORMAT, "expected ':' after a key"},
    {"{\"a\":{\"dtype\":\"F32\" \"shape\":[1]}}", "", 0, EINC_EFORMAT, "expected ',' or '}'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1 2],\"data_offsets\":[0,4]}}", "", 0, EINC_EFORMAT, "expected ',' or ']'"},
    {"{} x", "", 0, EINC_EFORMAT, "at byte 3: unexpected text after the header object"},
    {"{}{}", "", 0, EINC_EFORMAT, "unexpected text after the header object"},
    {"{/* c */}", "", 0, EINC_EFORMAT, "expected a string"},
    {"{'a':1}", "", 0, EINC_EFORMAT, "expected a string"},
    {"{1:2}", "", 0, EINC_EFORMAT, "expected a string"},
    {"{\"a\nb\":{}}", "", 0, EINC_EFORMAT, "unescaped control character"},
    {"{\"a\\x\":{}}", "", 0, EINC_EFORMAT, "invalid escape sequence"},
    {"{\"a\\u12\":{}}", "", 0, EINC_EFORMAT, "four hex digits"},
    {"{\"a\\ud800\":{}}", "", 0, EINC_EFORMAT, "not followed by a low surrogate"},
    {"{\"a\\ud800\\u0041\":{}}", "", 0, EINC_EFORMAT, "not followed by a low surrogate"},
    {"{\"a\\udc00\":{}}", "", 0, EINC_EFORMAT, "lone low surrogate"},
    {"{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "a tensor name contains a NUL character"},
    {"{\"__metadata__\":{\"k\":\"\\u0000\"}}", "", 0, EINC_EFORMAT, "a __metadata__ value contains a NUL"},
    {" {}", "", 0, EINC_EFORMAT, "must be a JSON object starting with '{'"},
    {"[]", "", 0, EINC_EFORMAT, "must be a JSON object starting with '{'"},
    {"", "", 0, EINC_EFORMAT, "starting with '{' (it is empty)"},
    /* UTF-8 */
    {"{\"a\xff\":{}}", "", 0, EINC_EFORMAT, "the header is not valid UTF-8 (header byte 3)"},
    {"{\"\xc0\x80\":{}}", "", 0, EINC_EFORMAT, "not valid UTF-8 (header byte 2)"},
    {"{\"\xed\xa0\x80\":{}}", "", 0, EINC_EFORMAT, "not valid UTF-8"},
    {"{\"\xf4\x90\x80\x80\":{}}", "", 0, EINC_EFORMAT, "not valid UTF-8"},
    {"{\"\xe2\x82\":{}}", "", 0, EINC_EFORMAT, "not valid UTF-8"},
    /* duplicates */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[],"
     "\"data_offsets\":[4,8]}}",
     "abcdefgh", 8, EINC_EFORMAT, "duplicate tensor name 'a'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[],"
     "\"data_offsets\":[4,8]}}",
     "abcdefgh", 8, EINC_EFORMAT, "duplicate tensor name 'a'"},
    {"{\"__metadata__\":{},\"__metadata__\":{}}", "", 0, EINC_EFORMAT, "duplicate key \"__metadata__\""},
    {"{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", "", 0, EINC_EFORMAT, "duplicate __metadata__ key 'k'"},
    {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "tensor 'a' has a duplicate field \"dtype\""},
    /* schema */
    {"{\"a\":5}", "", 0, EINC_EFORMAT, "(tensor 'a'): a tensor entry must be an object"},
    {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]}",
     "", 0, EINC_EFORMAT, "a tensor entry must be an object"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"extra\":{}}}", "abcd", 4, EINC_EFORMAT,
     "tensor 'a' has an unexpected field \"extra\""},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", "", 0, EINC_EFORMAT, "tensor 'a' lacks the field \"data_offsets\""},
    {"{\"a\":{}}", "", 0, EINC_EFORMAT, "tensor 'a' lacks the field \"dtype\""},
    {"{\"a\":{\"dtype\":\"F17\",\"shape\":[],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "tensor 'a' has an unknown dtype 'F17'"},
    {"{\"a\":{\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT, "unknown dtype 'f32'"},
    {"{\"a\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "\"dtype\" must be a string"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "\"shape\" must be an array of non-negative integers"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[[1]],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "expected a non-negative integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT, "negative number"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "fraction or exponent"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "fraction or exponent"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT, "leading zero"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "expected a non-negative integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "integer larger than 2^64 - 1"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775808],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "shape entry 0 is 9223372036854775808, above 2^63 - 1"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "shape (4294967296, 4294967296) of F32 is too large"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4,0],\"data_offsets\":[0,0]}}", "", 0, EINC_EFORMAT,
     "is too large"},
    {"{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "is too large"},
    /* the size rules hold for empty tensors too (issue 14): a FormatError naming the tensor */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4611686018427387903],\"data_offsets\":[0,0]}}", "", 0, EINC_EFORMAT,
     "tensor 'a': shape (0, 4611686018427387903) of F32 is too large (its size overflows 64-bit arithmetic)"},
    {"{\"z\":{\"dtype\":\"I64\",\"shape\":[4611686018427387903,0],\"data_offsets\":[0,0]}}", "", 0, EINC_EFORMAT,
     "tensor 'z': shape (4611686018427387903, 0) of I64 is too large"},
    {"{\"b\":{\"dtype\":\"BOOL\",\"shape\":[0,9223372036854775807,2],\"data_offsets\":[0,0]}}", "", 0, EINC_EFORMAT,
     "tensor 'b': shape (0, 9223372036854775807, 2) of BOOL is too large"},
    {"{\"c\":{\"dtype\":\"F16\",\"shape\":[0,4611686018427387904],\"data_offsets\":[0,0]}}", "", 0, EINC_EFORMAT,
     "tensor 'c': shape (0, 4611686018427387904) of F16 is too large"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0]}}", "abcd", 4, EINC_EFORMAT,
     "\"data_offsets\" must be [begin, end]"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}", "abcd", 4, EINC_EFORMAT,
     "must be [begin, end]"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":{}}}", "abcd", 4, EINC_EFORMAT, "must be [begin, end]"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[-4,0]}}", "abcd", 4, EINC_EFORMAT, "negative number"},
    /* offsets */
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", "abcd", 4, EINC_EFORMAT,
     "tensor 'a': data_offsets [4, 0] end before they begin"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "abcd", 4, EINC_EFORMAT,
     "data_offsets [0, 8] run past the end of the data (4 bytes)"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[18446744073709551612,18446744073709551615]}}", "abcd", 4,
     EINC_EFORMAT, "run past the end of the data"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT,
     "shape (2,) of F32 needs 8 bytes, but data_offsets [0, 4] span 4"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
     "\"data_offsets\":[4,12]}}",
     "abcdefghijkl", 12, EINC_EFORMAT, "tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a' (data_offsets [0, 8])"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"I32\",\"shape\":[],"
     "\"data_offsets\":[0,4]}}",
     "abcd", 4, EINC_EFORMAT, "overlaps"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],"
     "\"data_offsets\":[2,2]}}",
     "abcd", 4, EINC_EFORMAT, "tensor 'z' (data_offsets [2, 2]) overlaps tensor 'a'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[],"
     "\"data_offsets\":[8,12]}}",
     "abcdefghijkl", 12, EINC_EFORMAT,
     "a gap of 4 bytes in the data between tensor 'a' (ends at 4) and tensor 'b' (begins at 8)"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}", "abcdefgh", 8, EINC_EFORMAT,
     "the data's first 4 bytes belong to no tensor"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "abcdefgh", 8, EINC_EFORMAT,
     "the data's last 4 bytes (of 8) belong to no tensor"},
    {"{}", "abcd", 4, EINC_EFORMAT, "last 4 bytes (of 4) belong to no tensor"},
    /* metadata */
    {"{\"__metadata__\":{\"k\":1}}", "", 0, EINC_EFORMAT, "__metadata__ value of key 'k' is not a string"},
    {"{\"__metadata__\":{\"k\":{\"n\":\"v\"}}}", "", 0, EINC_EFORMAT, "value of key 'k' is not a string"},
    {"{\"__metadata__\":{\"k\":null}}", "", 0, EINC_EFORMAT, "is not a string"},
    {"{\"__metadata__\":[]}", "", 0, EINC_EFORMAT, "\"__metadata__\" must be an object of strings"},
    {"{\"__metadata__\":null}", "", 0, EINC_EFORMAT, "must be an object of strings"},
    {"{\"__metadata__\":\"x\"}", "", 0, EINC_EFORMAT, "must be an object of strings"},
    {"{\"__metadata__\":{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{}", "", 0, EINC_EFORMAT,
     "expected a string"},
    /* values */
    {"{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", "\x01\x00\x02", 3, EINC_EFORMAT,
     "tensor 'm': BOOL element 2 has byte value 2"},
    /* valid files in formats einc does not support */
    {"{\"h\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EUNSUPPORTED,
     "tensor 'h' has dtype U16, which einc does not support"},
    {"{\"h\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EUNSUPPORTED, "dtype U32"},
    {"{\"h\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EUNSUPPORTED,
     "dtype F8_E4M3"},
    {"{\"h\":{\"dtype\":\"F4\",\"shape\":[8],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EUNSUPPORTED,
     "bit-packed dtype F4"},
    {"{\"h\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", "abcd", 4,
     EINC_EUNSUPPORTED, "tensor 'h' has 17 dimensions; einc supports at most 16"},
    /* structure errors come before unsupported dtypes */
    {"{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", "abcd", 4, EINC_EFORMAT, "needs 6 bytes"},
};

TEST(hostile_buffers) {
    einc_ctx *ctx = einc_ctx_create();
    size_t base = live_tensors(ctx);
    for (size_t c = 0; c < sizeof hostile / sizeof hostile[0]; c++) {
        size_t hlen = strlen(hostile[c].header);
        size_t size;
        unsigned char *b = make_file(hostile[c].header, hlen, hostile[c].data, hostile[c].dlen, &size);
        einc_state *s = einc_safetensors_load_buffer(ctx, b, size);
        if (s) fprintf(stderr, "hostile case %zu loaded: %s\n", c, hostile[c].header);
        CHECK(s == NULL);
        einc_state_free(s);
        CHECK_ERROR(ctx, hostile[c].code, hostile[c].needle);
        CHECK_EQ_INT(live_tensors(ctx), base);
        free(b);
    }
    /* a NUL byte after the object */
    size_t nsize;
    unsigned char *nul = make_file("{}\0     ", 8, NULL, 0, &nsize);
    CHECK(einc_safetensors_load_buffer(ctx, nul, nsize) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "at byte 2: unexpected text after the header object");
    free(nul);
    /* lengths */
    static const unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
    CHECK(einc_safetensors_load_buffer(ctx, huge, sizeof huge) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 18446744073709551615 exceeds the limit of 100000000 bytes");
    static const unsigned char over[16] = {0x01, 0xe1, 0xf5, 0x05, 0, 0, 0, 0, '{', '}'}; /* 100000001 */
    CHECK(einc_safetensors_load_buffer(ctx, over, sizeof over) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 100000001 exceeds the limit");
    static const unsigned char past[12] = {5, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    CHECK(einc_safetensors_load_buffer(ctx, past, sizeof past) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "header length 5 runs past the end of the file (12 bytes)");
    CHECK(einc_safetensors_load_buffer(ctx, past, 7) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "a file of 7 bytes is too short to hold the 8-byte header length");
    CHECK(einc_safetensors_load_buffer(ctx, "", 0) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "a file of 0 bytes is too short");
    /* a header of deep nesting is rejected at once, not recursed into */
    size_t depth = 1 << 20;
    char *bomb = malloc(depth + 16);
    strcpy(bomb, "{\"a\":{\"shape\":");
    memset(bomb + 14, '[', depth);
    bomb[14 + depth] = '\0';
    size_t size;
    unsigned char *b = make_file(bomb, strlen(bomb), NULL, 0, &size);
    CHECK(einc_safetensors_load_buffer(ctx, b, size) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "at byte 15 (tensor 'a'): expected a non-negative integer");
    free(b);
    free(bomb);
    CHECK_EQ_INT(live_tensors(ctx), base);
    einc_ctx_destroy(ctx);
}

/* A header of `n` empty F32 tensors "t0", "t1", ... (each entry some 50 bytes). */
static unsigned char *empty_tensors_file(int n, size_t *size) {
    size_t cap = (size_t)n * 64 + 16, len = 0;
    char *h = malloc(cap);
    h[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(h + len, cap - len,
                                "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}", i ? "," : "", i);
    h[len++] = '}';
    unsigned char *b = make_file(h, len, NULL, 0, size);
    free(h);
    return b;
}

/* Issue 14: a header of empty tensors costs memory and time in proportion to the header, up to
 * einc's bound of 262,144 tensors per file; one more is a FormatError found while parsing,
 * before any tensor exists, whatever follows in the header. */
TEST(tensor_count_is_bounded) {
    enum { LIMIT = 262144 };
    size_t size;
    unsigned char *b = empty_tensors_file(LIMIT, &size);
    test_alloc_state as;
    einc_ctx *ctx = test_ctx_with_budget(&as, -1);
    long long base = as.live;
    einc_state *s = einc_safetensors_load_buffer(ctx, b, size);
    CHECK(s != NULL);
    CHECK_EQ_INT(einc_state_count(s), LIMIT);
    CHECK(strcmp(einc_state_name(s, LIMIT - 1), "t262143") == 0);
    /* a tensor handle, its storage, the name, the index and the parser's scratch: some 600
     * bytes a tensor (about 10 times its 58 header bytes), and at most 262,144 of them */
    long long per_tensor = (as.peak - base) / LIMIT;
    if (per_tensor >= 1024) fprintf(stderr, "%lld bytes per empty tensor\n", per_tensor);
    CHECK(per_tensor < 1024);
    einc_state_free(s);
    free(b);

    /* one more: rejected while parsing, with no tensor created */
    b = empty_tensors_file(LIMIT + 1 + LIMIT / 2, &size); /* more entries follow the excess one */
    as.peak = as.live;
    base = as.live;
    CHECK(einc_safetensors_load_buffer(ctx, b, size) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "safetensors: the header lists more than 262144 tensors (einc's limit per file)");
    CHECK_EQ_INT(live_tensors(ctx), 0);
    if (as.peak - base >= (long long)(size * 8)) fprintf(stderr, "peak %lld for %zu bytes\n", as.peak - base, size);
    CHECK(as.peak - base < (long long)(size * 8));
    CHECK_EQ_INT(as.live, base);
    /* the same from a file and from a mapping */
    const char *path = EINC_TEST_TMP "/st_too_many.safetensors";
    write_all(path, b, size);
    CHECK(einc_safetensors_load(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "lists more than 262144 tensors");
    CHECK(einc_safetensors_load_mapped(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "lists more than 262144 tensors");
    remove(path);
    free(b);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(as.live, 0);
}

/* Unusual but valid headers load. */
TEST(valid_edge_cases) {
    einc_ctx *ctx = einc_ctx_create();
    static const struct {
        const char *header;
        const char *data;
        size_t dlen;
        int count;
    } ok[] = {
#define ESCAPED 4
        {"{}", "", 0, 0},
        {"{\"__metadata__\":{}}", "", 0, 0},
        {"{\r\n\t\"a\" :\n{ \"shape\" : [ ] , \"data_offsets\" : [ 0 , 4 ] , \"dtype\" : \"I32\" }\n}\n\n  ", "abcd", 4,
         1},
        {"{\"\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", "", 0, 1},
        {"{\"a\\/"
         "b\\\"\\\\\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}",
         "\x01", 1, 1},
        {"{\"e1\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},\"x\":{\"dtype\":\"F32\",\"shape\":[1],"
         "\"data_offsets\":[0,4]},\"e2\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[4,4]},\"e0\":{\"dtype\":"
         "\"I64\",\"shape\":[0],\"data_offsets\":[0,0]}}",
         "abcd", 4, 4},
        {"{\"big\":{\"dtype\":\"F32\",\"shape\":[1099511627776,0,1024],\"data_offsets\":[0,0]}}", "", 0, 1},
        /* the largest empty shapes whose sizes (zeros as 1) times the item size fit in 64 bits */
        {"{\"b\":{\"dtype\":\"BOOL\",\"shape\":[0,4611686018427387903],\"data_offsets\":[0,0]},\"f\":{\"dtype\":"
         "\"F32\",\"shape\":[2305843009213693951,0],\"data_offsets\":[0,0]}}",
         "", 0, 2},
        {"{\"d\":{\"dtype\":\"F64\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,8]}}", "abcdefgh",
         8, 1},
    };
    for (size_t c = 0; c < sizeof ok / sizeof ok[0]; c++) {
        size_t size;
        unsigned char *b = make_file(ok[c].header, strlen(ok[c].header), ok[c].data, ok[c].dlen, &size);
        einc_state *s = einc_safetensors_load_buffer(ctx, b, size);
        if (!s) fprintf(stderr, "valid case %zu failed: %s\n", c, einc_errmsg(ctx));
        CHECK(s != NULL);
        CHECK_EQ_INT(einc_state_count(s), ok[c].count);
        einc_state_free(s);
        free(b);
    }
    CHECK_OK(ctx);
    /* the escaped name decodes to its UTF-8 */
    size_t size;
    unsigned char *b =
        make_file(ok[ESCAPED].header, strlen(ok[ESCAPED].header), ok[ESCAPED].data, ok[ESCAPED].dlen, &size);
    einc_state *s = einc_safetensors_load_buffer(ctx, b, size);
    CHECK(strcmp(einc_state_name(s, 0), "a/b\"\\\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80") == 0);
    CHECK_EQ_INT(einc_tensor_item(einc_state_at(s, 0)), 1);
    /* and it is written back with serde_json's escapes (\b \f \n \r \t, the rest raw) */
    void *out;
    size_t n;
    CHECK_EQ_INT(einc_safetensors_save_buffer(ctx, s, &out, &n), EINC_OK);
    const char *want = "{\"a/b\\\"\\\\\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\":{\"dtype\":\"BOOL\",\"shape\":[1],";
    CHECK(n > 8 + strlen(want) && memcmp((char *)out + 8, want, strlen(want)) == 0);
    einc_buffer_free(ctx, out, n);
    einc_state_free(s);
    free(b);
    einc_ctx_destroy(ctx);
}

/* ---- allocation failures and partial files ------------------------------------------------- */

typedef enum { OP_LOAD_BUFFER, OP_LOAD_FILE, OP_SAVE_BUFFER, OP_SAVE_FILE, OP_STATE_SET, OP_SET_METADATA } sweep_op;

TEST(fail_nth_allocation) {
    size_t gsize;
    unsigned char *golden = read_all(GOLDEN "mixed.safetensors", &gsize);
    const char *dir = EINC_TEST_TMP;
    const char *path = EINC_TEST_TMP "/st_sweep.safetensors";
    for (int op = OP_LOAD_BUFFER; op <= OP_SET_METADATA; op++) {
        int succeeded = 0;
        for (long k = 0; k < 400 && !succeeded; k++) {
            remove(path);
            test_alloc_state st;
            einc_ctx *ctx = test_ctx_with_budget(&st, -1);
            einc_tensor *truth[8];
            int n;
            einc_state *s = op >= OP_SAVE_BUFFER ? strided_state(ctx, truth, &n) : NULL;
            if (s) einc_state_set_metadata(s, "k", "v");
            einc_tensor *extra = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(3));
            CHECK_OK(ctx);
            st.budget = st.count + k;
            einc_state *r = NULL;
            void *buf = NULL;
            size_t size = 0;
            einc_status status = EINC_OK;
            switch ((sweep_op)op) {
            case OP_LOAD_BUFFER:
                r = einc_safetensors_load_buffer(ctx, golden, gsize);
                status = r ? EINC_OK : einc_errcode(ctx);
                break;
            case OP_LOAD_FILE:
                r = einc_safetensors_load(ctx, GOLDEN "mixed.safetensors");
                status = r ? EINC_OK : einc_errcode(ctx);
                break;
            case OP_SAVE_BUFFER: status = einc_safetensors_save_buffer(ctx, s, &buf, &size); break;
            case OP_SAVE_FILE: status = einc_safetensors_save(ctx, path, s); break;
            case OP_STATE_SET: status = einc_state_set(s, "new.name", extra); break;
            case OP_SET_METADATA: status = einc_state_set_metadata(s, "new key", "new value"); break;
            }
            if (status == EINC_OK) {
                succeeded = 1;
                CHECK_OK(ctx);
                if (op == OP_STATE_SET) CHECK_EQ_INT(einc_state_count(s), 9);
                if (op == OP_SET_METADATA) CHECK(strcmp(einc_state_metadata(s, "new key"), "new value") == 0);
                if (op == OP_SAVE_FILE) {
                    st.budget = -1;
                    einc_state *back = einc_safetensors_load(ctx, path);
                    CHECK(back != NULL && einc_state_count(back) == 8);
                    einc_state_free(back);
                }
            } else {
                CHECK_EQ_INT(status, EINC_ENOMEM);
                CHECK_ERROR(ctx, EINC_ENOMEM, "out of memory");
                CHECK(buf == NULL && size == 0);
                if (op == OP_STATE_SET) CHECK_EQ_INT(einc_state_count(s), 8);
                if (op == OP_SET_METADATA) CHECK_EQ_INT(einc_state_metadata_count(s), 1);
                if (op == OP_SAVE_FILE) {
                    CHECK(access(path, F_OK) != 0);
                    CHECK_EQ_INT(count_files(dir, "st_sweep.safetensors.einc-tmp."), 0);
                }
            }
            einc_buffer_free(ctx, buf, size);
            einc_state_free(r);
            einc_state_free(s);
            einc_ctx_destroy(ctx);
            CHECK_EQ_INT(st.live, 0);
            CHECK_EQ_INT(st.live_blocks, 0);
        }
        if (!succeeded) fprintf(stderr, "sweep op %d never succeeded\n", op);
        CHECK(succeeded);
    }
    remove(path);
    free(golden);
}

TEST(no_partial_file_after_failed_save) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *truth[8];
    int n;
    einc_state *s = strided_state(ctx, truth, &n);
    /* a directory that does not exist */
    CHECK_EQ_INT(einc_safetensors_save(ctx, EINC_TEST_TMP "/no/such/dir/x.safetensors", s), EINC_EIO);
    CHECK_ERROR(ctx, EINC_EIO, "cannot create");
    /* the target is a directory: refused before any temporary is made */
    const char *dirpath = EINC_TEST_TMP "/st_target_dir";
    mkdir(dirpath, 0777);
    CHECK_EQ_INT(einc_safetensors_save(ctx, dirpath, s), EINC_EIO);
    CHECK_ERROR(ctx, EINC_EIO, "is a directory, not replaced");
    CHECK_EQ_INT(count_files(EINC_TEST_TMP, "st_target_dir.einc-tmp."), 0);
    rmdir(dirpath);
    /* a failure in the middle of writing keeps the old file intact */
    const char *path = EINC_TEST_TMP "/st_keep.safetensors";
    write_all(path, "old contents", 12);
    einc_state_free(s);
    einc_ctx_destroy(ctx);
    for (long k = 0; k < 64; k++) {
        test_alloc_state st;
        einc_ctx *c = test_ctx_with_budget(&st, -1);
        einc_state *t = strided_state(c, truth, &n);
        st.budget = st.count + k;
        einc_status status = einc_safetensors_save(c, path, t);
        einc_state_free(t);
        einc_ctx_destroy(c);
        CHECK_EQ_INT(st.live, 0);
        if (status == EINC_OK) break;
        CHECK_EQ_INT(status, EINC_ENOMEM);
        size_t size;
        unsigned char *now = read_all(path, &size);
        CHECK(now && size == 12 && memcmp(now, "old contents", 12) == 0);
        free(now);
        CHECK_EQ_INT(count_files(EINC_TEST_TMP, "st_keep.safetensors.einc-tmp."), 0);
    }
    einc_ctx *c = einc_ctx_create();
    einc_state *back = einc_safetensors_load(c, path);
    CHECK(back != NULL);
    einc_state_free(back);
    einc_ctx_destroy(c);
    remove(path);
}

int main(void) {
    RUN(golden_mixed);
    RUN(golden_reference_layout);
    RUN(reference_vectors);
    RUN(roundtrip_strided);
    RUN(written_header_is_strict);
    RUN(state_api);
    RUN(argument_and_io_errors);
    RUN(hostile_buffers);
    RUN(valid_edge_cases);
    RUN(tensor_count_is_bounded);
    RUN(fail_nth_allocation);
    RUN(no_partial_file_after_failed_save);
    return test_summary();
}
