/* fuzz_npy_check.h — the invariants of the .npy reader and writer, checked on arbitrary bytes.
 * Shared by fuzz/fuzz_npy.c (libFuzzer) and tests/test_fuzz_replay.c (the committed corpus).
 *
 * For any input, einc_npy_load_buffer either fails with EINC_EFORMAT and a message naming the
 * function, or returns a tensor whose bytes account exactly for the input (preamble + header +
 * data, nothing left over), whose bools are 0/1, and which survives save -> load unchanged,
 * with a canonical header (64-byte aligned, newline-terminated) written deterministically.
 * On Linux (built with _GNU_SOURCE) the same bytes also go through einc_npy_load from a file,
 * which must agree.
 */
#ifndef EINC_FUZZ_NPY_CHECK_H
#define EINC_FUZZ_NPY_CHECK_H

#include <stdlib.h>
#include <string.h>
#if defined(__linux__) && defined(_GNU_SOURCE)
#define EINC_FUZZ_NPY_FILE 1 /* memfd_create needs _GNU_SOURCE, defined before any #include */
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "fuzz_check.h"

/* Row-major bytes of t in a malloc'd block (not through einc's allocator, so an allocation
 * sweep only fails einc's own allocations). NULL only if malloc fails. */
static unsigned char *einc_fuzz_npy_bytes_(const einc_tensor *t, size_t *nbytes) {
    *nbytes = (size_t)einc_tensor_numel(t) * einc_dtype_size(einc_tensor_dtype(t));
    unsigned char *p = malloc(*nbytes ? *nbytes : 1);
    if (p && einc_tensor_to_buffer(t, p, *nbytes) != EINC_OK) {
        free(p);
        p = NULL;
    }
    return p;
}

#ifdef EINC_FUZZ_NPY_FILE
/* The same bytes through einc_npy_load, from a regular in-memory scratch file (one per process,
 * rewritten for each input, reached as /dev/fd/N). False when the scratch file is unavailable. */
static bool einc_fuzz_npy_load_file_(einc_ctx *ctx, const uint8_t *data, size_t size, einc_tensor **out) {
    static int fd = -1;
    if (fd < 0) fd = memfd_create("einc_fuzz_npy", 0);
    if (fd < 0) return false;
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) return false;
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    *out = einc_npy_load(ctx, path);
    return true;
}
#endif

static const char *einc_fuzz_npy_check(einc_ctx *ctx, const uint8_t *data, size_t size, bool may_oom) {
    static const char prefix[] = "einc_npy_load_buffer: ";
    const char *violation = NULL;
    einc_tensor *t = NULL, *u = NULL, *f = NULL;
    void *img = NULL, *img2 = NULL;
    size_t img_size = 0, img2_size = 0, tn = 0, un = 0;
    unsigned char *tb = NULL, *ub = NULL, *fb = NULL;

    t = einc_npy_load_buffer(ctx, data, size);
    if (!t) {
        einc_status st = einc_errcode(ctx);
        if (may_oom && st == EINC_ENOMEM) goto done;
        EINC_FUZZ_EXPECT(st == EINC_EFORMAT, "a rejected input must give EINC_EFORMAT");
        EINC_FUZZ_EXPECT(strncmp(einc_errmsg(ctx), prefix, sizeof prefix - 1) == 0 &&
                             strlen(einc_errmsg(ctx)) > sizeof prefix,
                         "the message must name einc_npy_load_buffer and say what is wrong");
        einc_clear_error(ctx);
    }
#ifdef EINC_FUZZ_NPY_FILE
    /* the file reader (its own reads, a header copy, size checks before allocating) must agree */
    if (einc_fuzz_npy_load_file_(ctx, data, size, &f)) {
        if (!f) {
            if (may_oom && einc_errcode(ctx) == EINC_ENOMEM) goto done;
            EINC_FUZZ_EXPECT(!t && einc_errcode(ctx) == EINC_EFORMAT,
                             "einc_npy_load must reject exactly what einc_npy_load_buffer rejects");
            einc_clear_error(ctx);
        } else {
            size_t fn = 0, bn = 0;
            EINC_FUZZ_EXPECT(t != NULL, "einc_npy_load must accept exactly what einc_npy_load_buffer accepts");
            fb = einc_fuzz_npy_bytes_(f, &fn);
            tb = einc_fuzz_npy_bytes_(t, &bn);
            EINC_FUZZ_EXPECT(einc_tensor_dtype(f) == einc_tensor_dtype(t) &&
                                 einc_tensor_ndim(f) == einc_tensor_ndim(t) &&
                                 memcmp(einc_tensor_shape(f), einc_tensor_shape(t),
                                        sizeof(int64_t) * (size_t)einc_tensor_ndim(t)) == 0 &&
                                 fb && tb && fn == bn && memcmp(fb, tb, fn) == 0,
                             "einc_npy_load and einc_npy_load_buffer must give the same tensor");
            free(tb);
            tb = NULL;
        }
    }
#endif
    if (!t) goto done;
    EINC_FUZZ_EXPECT(einc_errcode(ctx) == EINC_OK, "a successful load must not record an error");
    einc_dtype dtype = einc_tensor_dtype(t);
    int ndim = einc_tensor_ndim(t);
    EINC_FUZZ_EXPECT(einc_dtype_size(dtype) != 0, "the loaded dtype must be valid");
    EINC_FUZZ_EXPECT(ndim >= 0 && ndim <= EINC_MAX_DIMS, "the loaded ndim must be in [0, 16]");

    tb = einc_fuzz_npy_bytes_(t, &tn);
    EINC_FUZZ_EXPECT(tb != NULL, "reading the loaded tensor back must work");
    {
        /* what the preamble says the header occupies; the data must fill the rest exactly */
        size_t hstart = data[6] == 1 ? 10 : 12;
        size_t hlen = (size_t)data[8] | ((size_t)data[9] << 8);
        if (hstart == 12) hlen |= ((size_t)data[10] << 16) | ((size_t)data[11] << 24);
        EINC_FUZZ_EXPECT(size >= hstart && size - hstart >= hlen && size - hstart - hlen == tn,
                         "preamble + header + data must be exactly the input");
    }
    if (dtype == EINC_BOOL)
        for (size_t i = 0; i < tn; i++) EINC_FUZZ_EXPECT(tb[i] <= 1, "a loaded bool must be 0 or 1");

    EINC_FUZZ_EXPECT_OK(ctx, may_oom, einc_npy_save_buffer(ctx, t, &img, &img_size) == EINC_OK,
                        "a loaded tensor must save");
    EINC_FUZZ_EXPECT(img_size >= 64, "a saved image holds at least one 64-byte header block");
    {
        const unsigned char *h = img;
        size_t hlen = (size_t)h[8] | ((size_t)h[9] << 8);
        EINC_FUZZ_EXPECT(memcmp(h, "\x93NUMPY\x01\x00", 8) == 0 && (10 + hlen) % 64 == 0 &&
                             10 + hlen + tn == img_size && h[10 + hlen - 1] == '\n',
                         "a saved image must have a version 1.0, 64-byte aligned, newline-terminated header");
    }
    u = einc_npy_load_buffer(ctx, img, img_size);
    EINC_FUZZ_EXPECT_OK(ctx, may_oom, u != NULL, "a saved image must load");
    EINC_FUZZ_EXPECT(einc_tensor_dtype(u) == dtype && einc_tensor_ndim(u) == ndim &&
                         memcmp(einc_tensor_shape(u), einc_tensor_shape(t), sizeof(int64_t) * (size_t)ndim) == 0,
                     "save -> load must keep dtype and shape");
    ub = einc_fuzz_npy_bytes_(u, &un);
    EINC_FUZZ_EXPECT(ub != NULL && un == tn && memcmp(ub, tb, tn) == 0, "save -> load must keep every byte");
    EINC_FUZZ_EXPECT_OK(ctx, may_oom, einc_npy_save_buffer(ctx, u, &img2, &img2_size) == EINC_OK,
                        "a reloaded tensor must save");
    EINC_FUZZ_EXPECT(img2_size == img_size && memcmp(img2, img, img_size) == 0, "saving must be deterministic");

done:
    free(fb);
    free(tb);
    free(ub);
    einc_buffer_free(ctx, img, img_size);
    einc_buffer_free(ctx, img2, img2_size);
    einc_tensor_release(t);
    einc_tensor_release(u);
    einc_tensor_release(f);
    return violation;
}

#endif /* EINC_FUZZ_NPY_CHECK_H */
