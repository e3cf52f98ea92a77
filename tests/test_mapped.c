/* test_mapped.c — mapped loading (einc_npy_load_mapped, einc_safetensors_load_mapped): the same
 * values and the same validation as the copying loaders, read-only tensors that view the
 * mapping, the mapping alive exactly as long as a tensor uses it (whatever the order of release,
 * einc_ctx_destroy included), the copy fallback for misaligned and byte-swapped data, and no
 * leak or stray mapping when an allocation fails. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/mapped_%ld_%s", EINC_TEST_TMP, (long)getpid(), name);
}

static bool write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

/* Mappings of `path` in this process (-1 where /proc/self/maps cannot be read). An unlinked
 * file still shows, as "path (deleted)". */
static int mappings_of(const char *path) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[PATH_MAX + 256];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, path)) n++;
    fclose(f);
    return n;
}

static bool have_proc_maps(void) { return mappings_of("/") >= 0; }

static bool same_bytes(const einc_tensor *a, const einc_tensor *b) {
    if (!a || !b || einc_tensor_dtype(a) != einc_tensor_dtype(b) || einc_tensor_ndim(a) != einc_tensor_ndim(b))
        return false;
    for (int d = 0; d < einc_tensor_ndim(a); d++)
        if (einc_tensor_shape(a)[d] != einc_tensor_shape(b)[d] ||
            einc_tensor_strides(a)[d] != einc_tensor_strides(b)[d])
            return false;
    size_t n = (size_t)einc_tensor_numel(a) * einc_dtype_size(einc_tensor_dtype(a));
    unsigned char *x = malloc(n + 1), *y = malloc(n + 1);
    einc_tensor_to_buffer(a, x, n);
    einc_tensor_to_buffer(b, y, n);
    bool same = memcmp(x, y, n) == 0;
    free(x);
    free(y);
    return same;
}

/* ---- .npy ---------------------------------------------------------------------------------- */

/* Every golden .npy file: the mapped load equals the copied one (dtype, shape, strides, bytes),
 * big-endian files are copied (they need a swap), the rest view the mapping read-only. */
TEST(npy_values_equal_the_copied_load) {
    einc_ctx *ctx = einc_ctx_create();
    DIR *d = opendir(EINC_TEST_DATA "/npy");
    CHECK(d != NULL);
    int viewed = 0, copied = 0, rejected = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".npy") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/npy/%s", EINC_TEST_DATA, e->d_name);
        einc_scope_begin(ctx);
        einc_tensor *c = einc_npy_load(ctx, path);
        einc_status cs = einc_errcode(ctx);
        char cmsg[1024];
        snprintf(cmsg, sizeof cmsg, "%s", einc_errmsg(ctx));
        einc_clear_error(ctx);
        einc_tensor *m = einc_npy_load_mapped(ctx, path);
        if (!c) {
            /* the same rejection, named by the mapped loader */
            rejected++;
            CHECK(m == NULL);
            CHECK_EQ_INT(einc_errcode(ctx), cs);
            const char *a = strchr(cmsg, ':'), *b = strchr(einc_errmsg(ctx), ':');
            CHECK(strncmp(einc_errmsg(ctx), "einc_npy_load_mapped: ", 22) == 0);
            CHECK(a && b && strcmp(a, b) == 0);
            einc_clear_error(ctx);
        } else {
            CHECK(m != NULL);
            CHECK(same_bytes(c, m));
            CHECK(!einc_tensor_is_readonly(c));
            bool big_endian = strncmp(e->d_name, "be_", 3) == 0 || strstr(e->d_name, "_be_") != NULL;
            bool empty = einc_tensor_numel(c) == 0;
            if (big_endian && !empty) {
                CHECK(!einc_tensor_is_readonly(m));
                copied++;
            } else {
                if (!einc_tensor_is_readonly(m)) fprintf(stderr, "%s was copied, not mapped\n", e->d_name);
                CHECK(einc_tensor_is_readonly(m));
                viewed++;
            }
        }
        einc_scope_end(ctx);
    }
    if (d) closedir(d);
    CHECK(viewed >= 20);
    CHECK(copied >= 4);
    CHECK(rejected >= 4);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* Writes are refused with a clear error; reading operations work; a clone is writable. */
TEST(npy_mapped_tensors_are_read_only) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "ro.npy");
    einc_tensor *src = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 12, 1);
    einc_tensor *src2 = einc_tensor_reshape(ctx, src, EINC_SHAPE(3, 4));
    CHECK(einc_npy_save(ctx, path, src2) == EINC_OK);
    einc_tensor *m = einc_npy_load_mapped(ctx, path);
    CHECK(m != NULL && einc_tensor_is_readonly(m));
    CHECK(einc_tensor_set(m, (const int64_t[]){1, 2}, 99.0) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL,
                "einc_tensor_set: the tensor is read-only: it views a file mapped by einc_npy_load_mapped");
    einc_tensor *ones = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(3, 4));
    CHECK(einc_tensor_copy_(ctx, m, ones) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_copy_: the destination is read-only");
    /* a view of a mapped tensor is read-only too */
    einc_tensor *row = einc_tensor_select(ctx, m, 0, 1);
    CHECK(einc_tensor_is_readonly(row));
    CHECK(einc_tensor_copy_(ctx, row, einc_tensor_scalar(ctx, EINC_FLOAT32, 5)) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "read-only");
    CHECK(einc_init_uniform(ctx, m, 0, 1) == EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_init_uniform: the tensor is read-only");
    einc_param p = {"w", m};
    CHECK(einc_sgd_create(ctx, &p, 1, 0.1, 0.0) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_sgd_create: parameter #1 (w) is read-only");
    /* nothing was written */
    CHECK_TENSOR_CLOSE(m, src2, 0, 0);
    /* operations read it; their results are ordinary tensors */
    einc_tensor *sum = einc_tensor_add(ctx, m, ones);
    CHECK(sum != NULL && !einc_tensor_is_readonly(sum));
    CHECK_CLOSE(einc_tensor_get(sum, (const int64_t[]){2, 3}), 12.0, 0);
    einc_tensor *r = einc_rearrange(ctx, "a b -> b a", m);
    CHECK_CLOSE(einc_tensor_get(r, (const int64_t[]){3, 2}), 11.0, 0);
    /* a mapped tensor can be a leaf of the tape: its gradient is a tensor of its own */
    CHECK(einc_requires_grad(m, true) == EINC_OK);
    einc_tensor *loss = einc_tensor_sum(ctx, einc_tensor_mul(ctx, m, m), -1, NULL, false);
    CHECK(einc_backward(ctx, loss, NULL) == EINC_OK);
    einc_tensor *g = einc_grad(ctx, m);
    CHECK(g != NULL && !einc_tensor_is_readonly(g));
    CHECK_CLOSE(einc_tensor_get(g, (const int64_t[]){2, 3}), 22.0, 0);
    CHECK(einc_zero_grad(m) == EINC_OK);
    CHECK(einc_requires_grad(m, false) == EINC_OK);
    einc_tensor *c = einc_tensor_clone(ctx, m);
    CHECK(c != NULL && !einc_tensor_is_readonly(c));
    CHECK(einc_tensor_set(c, (const int64_t[]){0, 0}, 7.0) == EINC_OK);
    CHECK_CLOSE(einc_tensor_get(m, (const int64_t[]){0, 0}), 0.0, 0);
    CHECK(!einc_tensor_is_readonly(NULL));
    CHECK_OK(ctx);
    remove(path);
    einc_ctx_destroy(ctx);
}

/* The tensor outlives the load call, the file's name and the other handles; the mapping goes
 * with the last handle, in whatever order they are released, and with einc_ctx_destroy. */
TEST(npy_mapping_lifetime) {
    if (!have_proc_maps()) return;
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "life.npy");
    einc_tensor *src = einc_tensor_arange(ctx, EINC_INT64, 0, 1000, 1);
    CHECK(einc_npy_save(ctx, path, src) == EINC_OK);
    CHECK_EQ_INT(mappings_of(path), 0);

    /* the base released first, then the views */
    einc_tensor *m = einc_npy_load_mapped(ctx, path);
    CHECK_EQ_INT(mappings_of(path), 1);
    einc_tensor *tail = einc_tensor_slice(ctx, m, 0, 990, 1000, 1);
    einc_tensor *flipped = einc_tensor_flip(ctx, m, EINC_DIMS(0));
    einc_tensor_release(m);
    CHECK_EQ_INT(mappings_of(path), 1);
    CHECK(remove(path) == 0); /* the mapping keeps the data of an unlinked file */
    CHECK_CLOSE(einc_tensor_get(tail, (const int64_t[]){9}), 999.0, 0);
    CHECK_CLOSE(einc_tensor_get(flipped, (const int64_t[]){0}), 999.0, 0);
    einc_tensor_release(flipped);
    CHECK_EQ_INT(mappings_of(path), 1);
    einc_tensor_release(tail);
    CHECK_EQ_INT(mappings_of(path), 0);

    /* a scope's end */
    CHECK(einc_npy_save(ctx, path, src) == EINC_OK);
    einc_scope_begin(ctx);
    einc_tensor *a = einc_npy_load_mapped(ctx, path), *b = einc_npy_load_mapped(ctx, path);
    CHECK(a && b && einc_tensor_data(a) != einc_tensor_data(b));
    CHECK_EQ_INT(mappings_of(path), 2);
    einc_scope_end(ctx);
    CHECK_EQ_INT(mappings_of(path), 0);

    /* a retained handle outlives its scope and keeps the mapping */
    einc_scope_begin(ctx);
    einc_tensor *kept = einc_tensor_retain(einc_npy_load_mapped(ctx, path));
    einc_scope_end(ctx);
    CHECK_EQ_INT(mappings_of(path), 1);
    CHECK_CLOSE(einc_tensor_get(kept, (const int64_t[]){500}), 500.0, 0);
    einc_tensor_release(kept);
    CHECK_EQ_INT(mappings_of(path), 0);

    /* failed loads leave no mapping */
    einc_tensor *two = einc_tensor_arange(ctx, EINC_FLOAT64, 0, 2, 1);
    void *img;
    size_t isize;
    CHECK(einc_npy_save_buffer(ctx, two, &img, &isize) == EINC_OK);
    CHECK(write_file(path, img, isize - 1)); /* truncated */
    CHECK(einc_npy_load_mapped(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "data is truncated: shape (2,) of float64 needs 16 bytes, the file has 15");
    CHECK_EQ_INT(mappings_of(path), 0);
    einc_buffer_free(ctx, img, isize);

    /* einc_ctx_destroy unmaps what its scopes still hold */
    CHECK(einc_npy_save(ctx, path, src) == EINC_OK);
    CHECK(einc_npy_load_mapped(ctx, path) != NULL);
    CHECK(einc_tensor_slice(ctx, einc_npy_load_mapped(ctx, path), 0, 1, 5, 2) != NULL);
    CHECK_EQ_INT(mappings_of(path), 2);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(mappings_of(path), 0);
    remove(path);
}

/* A .npy image with the given descr/shape text whose data starts `misalign` bytes past a
 * multiple of 8 (numpy itself aligns to 64). */
static unsigned char *npy_image(const char *descr, const char *shape, const void *data, size_t nbytes, int misalign,
                                size_t *size) {
    char dict[256];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t hlen = (size_t)dl + 1;
    while ((10 + hlen) % 8 != (size_t)misalign) hlen++;
    *size = 10 + hlen + nbytes;
    unsigned char *b = malloc(*size);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
    memcpy(b + 10, dict, (size_t)dl);
    memset(b + 10 + dl, ' ', hlen - (size_t)dl - 1);
    b[10 + hlen - 1] = '\n';
    memcpy(b + 10 + hlen, data, nbytes);
    return b;
}

/* Data not aligned to the item size is copied (a writable tensor with the right values); bools
 * and bytes are never misaligned; aligned data is viewed. */
TEST(npy_misaligned_data_is_copied) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "misaligned.npy");
    const double vals[3] = {1.5, -2.25, 1e300};
    const int32_t ivals[3] = {7, -8, 9};
    const unsigned char bools[3] = {1, 0, 1};
    static const struct {
        const char *descr;
        int misalign;
        bool viewed;
    } cases[] = {
        {"<f8", 0, true},  {"<f8", 2, false}, {"<f8", 4, false}, {"<i4", 4, true},
        {"<i4", 2, false}, {"|b1", 3, true},  {"<f8", 6, false},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        einc_scope_begin(ctx);
        const void *data = cases[c].descr[1] == 'f'   ? (const void *)vals
                           : cases[c].descr[1] == 'i' ? (const void *)ivals
                                                      : (const void *)bools;
        size_t nbytes = cases[c].descr[1] == 'f' ? sizeof vals : cases[c].descr[1] == 'i' ? sizeof ivals : sizeof bools;
        size_t size;
        unsigned char *img = npy_image(cases[c].descr, "(3,)", data, nbytes, cases[c].misalign, &size);
        CHECK(write_file(path, img, size));
        einc_tensor *m = einc_npy_load_mapped(ctx, path);
        einc_tensor *b = einc_npy_load_buffer(ctx, img, size);
        CHECK(m != NULL && b != NULL);
        CHECK(same_bytes(m, b));
        if (einc_tensor_is_readonly(m) != cases[c].viewed) fprintf(stderr, "misaligned case %zu\n", c);
        CHECK(einc_tensor_is_readonly(m) == cases[c].viewed);
        CHECK(((uintptr_t)einc_tensor_data(m) % einc_dtype_size(einc_tensor_dtype(m))) == 0);
        free(img);
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    remove(path);
    einc_ctx_destroy(ctx);
}

/* The strict validation is unchanged: each malformed file fails with the copying loader's
 * status and message (the function's name aside). */
TEST(npy_validation_is_unchanged) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "bad.npy");
    const double vals[2] = {1, 2};
    size_t size;
    unsigned char *good = npy_image("<f8", "(2,)", vals, sizeof vals, 0, &size);
    const unsigned char bad_bool[3] = {1, 2, 0};
    size_t bsize;
    unsigned char *bools = npy_image("|b1", "(3,)", bad_bool, 3, 0, &bsize);
    struct {
        const unsigned char *bytes;
        size_t size;
    } cases[] = {
        {good, size - 1},                            /* truncated data */
        {good, 20},                                  /* truncated header */
        {good, 7},                                   /* truncated preamble */
        {(const unsigned char *)"NUMPY\x01\x00", 7}, /* bad magic */
        {bools, bsize},                              /* bool byte 2 */
        {(const unsigned char *)"", 0},              /* empty file */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK(write_file(path, cases[c].bytes, cases[c].size));
        CHECK(einc_npy_load(ctx, path) == NULL);
        einc_status want = einc_errcode(ctx);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", strchr(einc_errmsg(ctx), ':'));
        einc_clear_error(ctx);
        CHECK(einc_npy_load_mapped(ctx, path) == NULL);
        CHECK(want == EINC_EFORMAT);
        CHECK_EQ_INT(einc_errcode(ctx), want);
        CHECK(strncmp(einc_errmsg(ctx), "einc_npy_load_mapped: '", 23) == 0);
        const char *got = strchr(einc_errmsg(ctx), ':');
        if (!got || strcmp(got, msg) != 0) fprintf(stderr, "case %zu: '%s' vs '%s'\n", c, got ? got : "(none)", msg);
        CHECK(got && strcmp(got, msg) == 0);
        einc_clear_error(ctx);
    }
    /* trailing bytes */
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, good, size);
    memcpy(longer + size, "xyz", 3);
    CHECK(write_file(path, longer, size + 3));
    CHECK(einc_npy_load_mapped(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "3 unexpected bytes after the 16 bytes of data");
    free(longer);
    free(good);
    free(bools);
    remove(path);
    /* I/O errors */
    CHECK(einc_npy_load_mapped(ctx, EINC_TEST_TMP "/no/such/file.npy") == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "einc_npy_load_mapped: '" EINC_TEST_TMP "/no/such/file.npy': cannot open: No such file");
    CHECK(einc_npy_load_mapped(ctx, EINC_TEST_TMP) == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "is a directory");
    CHECK(einc_npy_load_mapped(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_npy_load_mapped: path is NULL");
    CHECK(einc_npy_load_mapped(NULL, path) == NULL);
    einc_ctx_destroy(ctx);
}

#ifdef __linux__
/* A pipe cannot be mapped: it is read as einc_npy_load reads it. */
TEST(npy_pipe_is_streamed) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_tensor_arange(ctx, EINC_INT32, 0, 10, 1);
    void *img;
    size_t size;
    CHECK(einc_npy_save_buffer(ctx, t, &img, &size) == EINC_OK);
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], img, size) == (ssize_t)size);
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    einc_tensor *m = einc_npy_load_mapped(ctx, path);
    close(fds[0]);
    CHECK(m != NULL && !einc_tensor_is_readonly(m));
    CHECK_TENSOR_CLOSE(m, t, 0, 0);
    einc_buffer_free(ctx, img, size);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}
#endif

/* What docs/reliability.md says about a file that changes under its mapping: renamed over (as
 * einc's savers do), the tensor keeps the old contents; rewritten in place, it shows the new
 * bytes; truncated, touching a lost page raises SIGBUS (checked in a child). */
static void on_sigbus(int sig) {
    (void)sig;
    _exit(77);
}

TEST(npy_file_changing_underneath) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "changing.npy");
    int64_t n = 4 << 20; /* 4 Mi int32: 16 MiB, many pages */
    einc_tensor *a = einc_tensor_arange(ctx, EINC_INT32, 0, (double)n, 1);
    CHECK(einc_npy_save(ctx, path, a) == EINC_OK);

    /* replaced by a rename: the mapping keeps the old file */
    einc_tensor *m = einc_npy_load_mapped(ctx, path);
    CHECK(einc_npy_save(ctx, path, einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(n))) == EINC_OK);
    CHECK_CLOSE(einc_tensor_get(m, (const int64_t[]){n - 1}), (double)(n - 1), 0);
    einc_tensor_release(m);

    /* rewritten in place: the tensor shows the new bytes */
    CHECK(einc_npy_save(ctx, path, a) == EINC_OK);
    m = einc_npy_load_mapped(ctx, path);
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    unsigned char pre[10] = {0};
    CHECK(pread(fd, pre, sizeof pre, 0) == (ssize_t)sizeof pre);
    off_t data_at = 10 + pre[8] + 256 * pre[9]; /* a version 1.0 header */
    int32_t v = -5;
    CHECK(pwrite(fd, &v, sizeof v, data_at + (off_t)(n - 1) * 4) == (ssize_t)sizeof v);
    close(fd);
    CHECK_CLOSE(einc_tensor_get(m, (const int64_t[]){n - 1}), -5.0, 0);

    /* truncated: a child that touches the lost pages dies of SIGBUS */
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigbus;
        sigaction(SIGBUS, &sa, NULL);
        if (truncate(path, 4096) != 0) _exit(2);
        volatile int32_t x = ((const int32_t *)einc_tensor_data(m))[n - 1];
        (void)x;
        _exit(0);
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 77);
    einc_tensor_release(m);
    remove(path);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- safetensors --------------------------------------------------------------------------- */

static void check_states_equal(const einc_state *a, const einc_state *b) {
    CHECK_EQ_INT(einc_state_count(a), einc_state_count(b));
    for (int i = 0; i < einc_state_count(a) && i < einc_state_count(b); i++) {
        CHECK(strcmp(einc_state_name(a, i), einc_state_name(b, i)) == 0);
        CHECK(same_bytes(einc_state_at(a, i), einc_state_at(b, i)));
    }
    CHECK_EQ_INT(einc_state_metadata_count(a), einc_state_metadata_count(b));
    for (int i = 0; i < einc_state_metadata_count(a); i++) {
        const char *k = einc_state_metadata_key(a, i);
        CHECK(einc_state_metadata(b, k) && strcmp(einc_state_metadata(a, k), einc_state_metadata(b, k)) == 0);
    }
}

/* reference.safetensors is aligned (the reference writer pads the header to 8 bytes): every
 * tensor is a view. mixed.safetensors packs its tensors at odd offsets: only the BOOL and the
 * empty ones are views, the others are copied (aligned, writable). */
TEST(safetensors_values_equal_the_copied_load) {
    einc_ctx *ctx = einc_ctx_create();
    static const struct {
        const char *path;
        int viewed;
    } files[] = {{EINC_TEST_DATA "/safetensors/reference.safetensors", 7},
                 {EINC_TEST_DATA "/safetensors/mixed.safetensors", 3}};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        einc_scope_begin(ctx);
        einc_state *c = einc_safetensors_load(ctx, files[f].path);
        einc_state *m = einc_safetensors_load_mapped(ctx, files[f].path);
        CHECK(c != NULL && m != NULL);
        check_states_equal(c, m);
        int viewed = 0;
        for (int i = 0; i < einc_state_count(m); i++) {
            einc_tensor *t = einc_state_at(m, i);
            CHECK(!einc_tensor_is_readonly(einc_state_at(c, i)));
            CHECK(einc_tensor_is_contiguous(t));
            CHECK((uintptr_t)einc_tensor_data(t) % einc_dtype_size(einc_tensor_dtype(t)) == 0);
            bool view = einc_tensor_is_readonly(t);
            if (strcmp(files[f].path + strlen(files[f].path) - 17, "mixed.safetensors") == 0) {
                const char *name = einc_state_name(m, i);
                bool expect = !strcmp(name, "mask") || !strcmp(name, "empty") || !strcmp(name, "none");
                CHECK(view == expect);
            }
            viewed += view;
        }
        CHECK_EQ_INT(viewed, files[f].viewed);
        einc_state_free(c);
        einc_state_free(m);
        einc_scope_end(ctx);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

TEST(safetensors_mapping_lifetime) {
    if (!have_proc_maps()) return;
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "life.safetensors");
    einc_state *s = einc_state_new(ctx);
    einc_state_set(s, "w", einc_tensor_arange(ctx, EINC_FLOAT32, 0, 4096, 1));
    einc_state_set(s, "b", einc_tensor_arange(ctx, EINC_INT64, 0, 10, 1));
    CHECK(einc_safetensors_save(ctx, path, s) == EINC_OK);
    einc_state_free(s);

    /* the state freed first: the tensors got from it keep the mapping */
    einc_state *m = einc_safetensors_load_mapped(ctx, path);
    CHECK(m != NULL);
    CHECK_EQ_INT(mappings_of(path), 1);
    einc_tensor *w = einc_state_get(m, "w"), *b = einc_state_get(m, "b");
    CHECK(einc_tensor_is_readonly(w) && einc_tensor_is_readonly(b));
    einc_state_free(m);
    CHECK_EQ_INT(mappings_of(path), 1);
    CHECK_CLOSE(einc_tensor_get(w, (const int64_t[]){4095}), 4095.0, 0);
    einc_tensor_release(w);
    CHECK_EQ_INT(mappings_of(path), 1);
    CHECK_CLOSE(einc_tensor_get(b, (const int64_t[]){9}), 9.0, 0);
    einc_tensor_release(b);
    CHECK_EQ_INT(mappings_of(path), 0);

    /* the tensors released first, then the state */
    m = einc_safetensors_load_mapped(ctx, path);
    einc_scope_begin(ctx);
    CHECK(einc_state_get(m, "w") != NULL);
    einc_scope_end(ctx);
    CHECK_EQ_INT(mappings_of(path), 1);
    CHECK(einc_state_set(m, "w", einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2))) == EINC_OK);
    CHECK_EQ_INT(mappings_of(path), 1); /* "b" still views it */
    einc_state_free(m);
    CHECK_EQ_INT(mappings_of(path), 0);

    /* einc_ctx_destroy releases the tensors its scopes hold */
    m = einc_safetensors_load_mapped(ctx, path);
    CHECK(einc_state_get(m, "w") != NULL);
    einc_state_free(m);
    CHECK_EQ_INT(mappings_of(path), 1);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(mappings_of(path), 0);
    remove(path);
}

/* 8-byte length + header + data, written to `path`. */
static bool write_st(const char *path, const char *header, const void *data, size_t dlen) {
    size_t hlen = strlen(header), size = 8 + hlen + dlen;
    unsigned char *b = malloc(size);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(((uint64_t)hlen >> (8 * i)) & 0xff);
    memcpy(b + 8, header, hlen);
    if (dlen) memcpy(b + 8 + hlen, data, dlen);
    bool ok = write_file(path, b, size);
    free(b);
    return ok;
}

/* A header whose length is not a multiple of 8: tensors whose bytes are misaligned for their
 * element size are copied (writable, same values), the others are still views. */
TEST(safetensors_misaligned_tensors_are_copied) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "misaligned.safetensors");
    /* the data starts 1 byte past a multiple of 8 (the header is padded below): m (BOOL) at 0,
     * i (I32) at 1..5 and f (F64) at 5..13 misaligned, x (BOOL) at 13..15 */
    char header[512];
    snprintf(header, sizeof header,
             "{\"m\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]},"
             "\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[1,5]},"
             "\"f\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[5,13]},"
             "\"x\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[13,15]}}");
    size_t hl = strlen(header);
    while ((8 + hl) % 8 != 1) header[hl++] = ' ';
    header[hl] = '\0';
    unsigned char data[15] = {1};
    int32_t iv = -123456;
    double fv = 3.25;
    memcpy(data + 1, &iv, 4);
    memcpy(data + 5, &fv, 8);
    data[13] = 0;
    data[14] = 1;
    CHECK(write_st(path, header, data, sizeof data));
    einc_state *m = einc_safetensors_load_mapped(ctx, path);
    einc_state *c = einc_safetensors_load(ctx, path);
    CHECK(m != NULL && c != NULL);
    check_states_equal(m, c);
    einc_tensor *ti = einc_state_get(m, "i"), *tf = einc_state_get(m, "f");
    CHECK(!einc_tensor_is_readonly(ti) && !einc_tensor_is_readonly(tf));
    CHECK(einc_tensor_is_readonly(einc_state_get(m, "m")) && einc_tensor_is_readonly(einc_state_get(m, "x")));
    CHECK_CLOSE(einc_tensor_item(ti), -123456.0, 0);
    CHECK_CLOSE(einc_tensor_item(tf), 3.25, 0);
    CHECK((uintptr_t)einc_tensor_data(tf) % 8 == 0);
    einc_state_free(m);
    einc_state_free(c);
    CHECK_OK(ctx);
    remove(path);
    einc_ctx_destroy(ctx);
}

/* Malformed files: the mapped loader gives the copying loader's status and message. */
TEST(safetensors_validation_is_unchanged) {
    einc_ctx *ctx = einc_ctx_create();
    char path[1024];
    tmp_path(path, sizeof path, "bad.safetensors");
    static const struct {
        const char *header, *data;
        size_t dlen;
    } cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "abcd", 4},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", "abcd", 4},
        {"{\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}", "\x01\x07", 2},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4611686018427387903],\"data_offsets\":[0,0]}}", "", 0},
        {"{\"h\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "abcd", 4},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "abcdefgh", 8},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        CHECK(write_st(path, cases[k].header, cases[k].data, cases[k].dlen));
        CHECK(einc_safetensors_load(ctx, path) == NULL);
        einc_status want = einc_errcode(ctx);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", einc_errmsg(ctx));
        einc_clear_error(ctx);
        CHECK(einc_safetensors_load_mapped(ctx, path) == NULL);
        CHECK(want == EINC_EFORMAT || want == EINC_EUNSUPPORTED);
        CHECK_EQ_INT(einc_errcode(ctx), want);
        if (strcmp(einc_errmsg(ctx), msg) != 0) fprintf(stderr, "case %zu: '%s' vs '%s'\n", k, einc_errmsg(ctx), msg);
        CHECK(strcmp(einc_errmsg(ctx), msg) == 0);
        einc_clear_error(ctx);
        if (have_proc_maps()) CHECK_EQ_INT(mappings_of(path), 0);
    }
    CHECK(write_file(path, "\x02\0\0\0", 4));
    CHECK(einc_safetensors_load_mapped(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "a file of 4 bytes is too short");
    CHECK(write_file(path, "", 0));
    CHECK(einc_safetensors_load_mapped(ctx, path) == NULL);
    CHECK_ERROR(ctx, EINC_EFORMAT, "a file of 0 bytes is too short");
    remove(path);
    CHECK(einc_safetensors_load_mapped(ctx, EINC_TEST_TMP "/no/such.safetensors") == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "cannot open");
    CHECK(einc_safetensors_load_mapped(ctx, EINC_TEST_TMP) == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "is a directory");
    CHECK(einc_safetensors_load_mapped(ctx, "/dev/null") == NULL);
    CHECK_ERROR(ctx, EINC_EIO, "is not a regular file");
    CHECK(einc_safetensors_load_mapped(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_safetensors_load_mapped: path is NULL");
    CHECK(einc_safetensors_load_mapped(NULL, path) == NULL);
    einc_ctx_destroy(ctx);
}

/* ---- the fuzz corpora ---------------------------------------------------------------------- */

static unsigned char *read_whole(const char *path, size_t *size) {
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

/* Every committed fuzz input, mapped from its file, is judged as the buffer loader judges its
 * bytes: the same status (for safetensors the same message too) and the same tensors. */
TEST(fuzz_corpora_agree) {
    static const char *const dirs[2] = {EINC_TEST_DATA "/../../fuzz/corpus/npy",
                                        EINC_TEST_DATA "/../../fuzz/corpus/safetensors"};
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        CHECK(d != NULL);
        int files = 0, accepted = 0;
        for (struct dirent *e; d && (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dirs[k], e->d_name);
            size_t size = 0;
            unsigned char *data = read_whole(path, &size);
            CHECK(data != NULL);
            if (!data) continue;
            files++;
            einc_ctx *ctx = einc_ctx_create();
            if (k == 0) {
                einc_tensor *b = einc_npy_load_buffer(ctx, data, size);
                einc_status bs = einc_errcode(ctx);
                einc_clear_error(ctx);
                einc_tensor *m = einc_npy_load_mapped(ctx, path);
                if (einc_errcode(ctx) != bs) fprintf(stderr, "npy corpus %s: %s\n", e->d_name, einc_errmsg(ctx));
                CHECK_EQ_INT(einc_errcode(ctx), bs);
                CHECK((b == NULL) == (m == NULL));
                if (b && m) CHECK(same_bytes(b, m));
                accepted += b != NULL;
            } else {
                einc_state *b = einc_safetensors_load_buffer(ctx, data, size);
                einc_status bs = einc_errcode(ctx);
                char msg[1024];
                snprintf(msg, sizeof msg, "%s", einc_errmsg(ctx));
                einc_clear_error(ctx);
                einc_state *m = einc_safetensors_load_mapped(ctx, path);
                CHECK_EQ_INT(einc_errcode(ctx), bs);
                if (strcmp(einc_errmsg(ctx), msg) != 0)
                    fprintf(stderr, "safetensors corpus %s: '%s' vs '%s'\n", e->d_name, einc_errmsg(ctx), msg);
                CHECK(strcmp(einc_errmsg(ctx), msg) == 0);
                CHECK((b == NULL) == (m == NULL));
                if (b && m) check_states_equal(b, m);
                accepted += b != NULL;
                einc_state_free(b);
                einc_state_free(m);
            }
            einc_ctx_destroy(ctx);
            free(data);
        }
        if (d) closedir(d);
        CHECK(files >= 20);
        CHECK(accepted >= 3 && accepted < files);
    }
}

/* ---- allocation failures ------------------------------------------------------------------- */

/* Every allocation of a mapped load fails in turn: EINC_ENOMEM, nothing leaked, nothing left
 * mapped; then the load succeeds. */
TEST(fail_nth_allocation) {
    char npy[1024], st[1024];
    tmp_path(npy, sizeof npy, "sweep.npy");
    tmp_path(st, sizeof st, "sweep.safetensors");
    {
        einc_ctx *ctx = einc_ctx_create();
        einc_tensor *t = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1);
        CHECK(einc_npy_save(ctx, npy, einc_tensor_reshape(ctx, t, EINC_SHAPE(4, 6))) == EINC_OK);
        einc_ctx_destroy(ctx);
    }
    bool maps = have_proc_maps();
    for (int which = 0; which < 3; which++) {
        const char *path = which == 0 ? npy : st;
        const char *src = which == 2 ? EINC_TEST_DATA "/safetensors/reference.safetensors" : NULL;
        if (which == 1) src = EINC_TEST_DATA "/safetensors/mixed.safetensors";
        if (src) {
            FILE *in = fopen(src, "rb");
            CHECK(in != NULL);
            unsigned char buf[1 << 16];
            size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
            if (in) fclose(in);
            CHECK(write_file(path, buf, n));
        }
        bool done = false;
        for (long budget = 0; budget < 1000 && !done; budget++) {
            test_alloc_state as;
            einc_ctx *ctx = test_ctx_with_budget(&as, budget);
            if (!ctx) continue;
            einc_status got;
            if (which == 0) {
                einc_tensor *t = einc_npy_load_mapped(ctx, path);
                done = t != NULL;
                got = einc_errcode(ctx);
            } else {
                einc_state *s = einc_safetensors_load_mapped(ctx, path);
                done = s != NULL;
                got = einc_errcode(ctx);
                if (s) CHECK(einc_state_count(s) >= 7);
                einc_state_free(s);
            }
            if (!done) CHECK_EQ_INT(got, EINC_ENOMEM);
            if (!done && maps) CHECK_EQ_INT(mappings_of(path), 0);
            einc_ctx_destroy(ctx);
            CHECK_EQ_INT(as.live, 0);
            CHECK_EQ_INT(as.live_blocks, 0);
            if (maps) CHECK_EQ_INT(mappings_of(path), 0);
        }
        CHECK(done);
    }
    remove(npy);
    remove(st);
}

int main(void) {
    RUN(npy_values_equal_the_copied_load);
    RUN(npy_mapped_tensors_are_read_only);
    RUN(npy_mapping_lifetime);
    RUN(npy_misaligned_data_is_copied);
    RUN(npy_validation_is_unchanged);
    RUN(npy_file_changing_underneath);
#ifdef __linux__
    RUN(npy_pipe_is_streamed);
#endif
    RUN(safetensors_values_equal_the_copied_load);
    RUN(safetensors_mapping_lifetime);
    RUN(safetensors_misaligned_tensors_are_copied);
    RUN(safetensors_validation_is_unchanged);
    RUN(fuzz_corpora_agree);
    RUN(fail_nth_allocation);
    return test_summary();
}
