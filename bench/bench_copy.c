/* bench_copy.c — strided copies and permutes of float32 tensors against memcpy of the same bytes.
 *
 * Every case writes a preallocated, warm destination with einc_tensor_copy_ (the public in-place
 * copy), so neither allocation nor first-touch page faults are timed. The baseline is libc memcpy
 * of the destination's byte count between two warm buffers, measured in the same run right next
 * to each case. GB/s counts the bytes read plus the bytes written (2 x destination bytes, also
 * for the broadcast cases, whose source is small); ratio = memcpy time / einc time. The table is
 * printed for one thread, and again for BENCH_THREADS threads when that is more than one; memcpy
 * always runs on one thread.
 *
 *   build/bench_copy                 one thread
 *   BENCH_THREADS=2 build/bench_copy one thread, then two (einc side)
 *   BENCH_REPS=20 build/bench_copy   more repetitions (best of N is reported)
 */
#include <stdint.h>

#include "bench.h"
#include "einc.h"

#define BENCH_ELEMS ((int64_t)16 * 1024 * 1024) /* 64 MiB of float32 */

typedef struct {
    einc_ctx *ctx;
    einc_tensor *dst, *src;
    einc_status status;
} copy_arg;

static void run_einc_copy(void *p) {
    copy_arg *a = p;
    einc_status s = einc_tensor_copy_(a->ctx, a->dst, a->src);
    if (s != EINC_OK) a->status = s;
}

typedef struct {
    void *dst;
    const void *src;
    size_t bytes;
} memcpy_arg;

static void run_memcpy(void *p) {
    memcpy_arg *a = p;
    memcpy(a->dst, a->src, a->bytes);
}

/* The first numel(shape) elements of a flat tensor, viewed with `shape`. */
static einc_tensor *flat_view(einc_ctx *ctx, einc_tensor *flat, int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return einc_tensor_view(ctx, einc_tensor_narrow(ctx, flat, 0, 0, n), ndim, shape);
}

/* Checks a spread of elements of dst against src; returns the number of mismatches. */
static int spot_check(const einc_tensor *dst, const einc_tensor *src) {
    int nd = einc_tensor_ndim(dst), bad = 0;
    const int64_t *shape = einc_tensor_shape(dst);
    int64_t n = einc_tensor_numel(dst), idx[16];
    for (int64_t k = 0; k < 1000; k++) {
        int64_t rem = (k * 2654435761LL) % n;
        if (k == 0) rem = 0;
        if (k == 1) rem = n - 1;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        if (einc_tensor_get(dst, idx) != einc_tensor_get(src, idx)) bad++;
    }
    return bad;
}

/* Times dst <- src (src already a view of dst's shape) and memcpy of the same bytes; prints a row. */
static int bench_case(einc_ctx *ctx, const char *name, einc_tensor *dst, einc_tensor *src, void *mc_dst,
                      const void *mc_src, int reps) {
    if (!dst || !src) {
        fprintf(stderr, "%s: setup failed: %s\n", name, einc_errmsg(ctx));
        return 1;
    }
    copy_arg ca = {ctx, dst, src, EINC_OK};
    memcpy_arg ma = {mc_dst, mc_src, (size_t)einc_tensor_numel(dst) * sizeof(float)};
    /* Interleaved, so that both sides see the same load from whatever else runs on the machine;
     * the best of each is kept. */
    double t = 1e30, t_mc = 1e30;
    run_memcpy(&ma);
    run_einc_copy(&ca);
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        run_memcpy(&ma);
        double t1 = bench_now();
        run_einc_copy(&ca);
        double t2 = bench_now();
        if (t1 - t0 < t_mc) t_mc = t1 - t0;
        if (t2 - t1 < t) t = t2 - t1;
    }
    if (ca.status != EINC_OK) {
        fprintf(stderr, "%s: einc_tensor_copy_ failed: %s\n", name, einc_errmsg(ctx));
        return 1;
    }
    int bad = spot_check(dst, src);
    double gb = 2.0 * (double)ma.bytes / 1e9;
    printf("%-44s %6.1f %8.3f %8.1f %9.3f %8.1f %7.2f%s\n", name, (double)ma.bytes / (1024.0 * 1024.0), t * 1e3, gb / t,
           t_mc * 1e3, gb / t_mc, t_mc / t, bad ? "  WRONG VALUES" : "");
    return bad != 0;
}

/* All cases on the context's current thread count; returns the number of failed cases. */
static int run_cases(einc_ctx *ctx, einc_tensor *src_flat, einc_tensor *dst_flat, void *mcd, const void *mcs,
                     int reps) {
    int fails = 0;
    printf("\neinc copy benchmark: float32, einc threads=%d, memcpy 1 thread, best of %d\n", einc_get_threads(ctx),
           reps);
    printf("%-44s %6s %8s %8s %9s %8s %7s\n", "case", "MiB", "ms", "GB/s", "memcpy ms", "GB/s", "ratio");
    einc_tensor *d, *v;
    /* contiguous: a plain copy, the kernel's memcpy path */
    d = flat_view(ctx, dst_flat, EINC_SHAPE(4096, 4096));
    v = flat_view(ctx, src_flat, EINC_SHAPE(4096, 4096));
    fails += bench_case(ctx, "contiguous (4096, 4096)", d, v, mcd, mcs, reps);

    /* 2-d transpose: x.T */
    v = einc_tensor_permute(ctx, v, EINC_DIMS(1, 0));
    fails += bench_case(ctx, "transpose (4096, 4096) -> .T", d, v, mcd, mcs, reps);

    /* attention-style 6-d permute: innermost destination dim is the source's dim 3 */
    v = flat_view(ctx, src_flat, EINC_SHAPE(16, 4, 16, 16, 32, 32));
    v = einc_tensor_permute(ctx, v, EINC_DIMS(1, 0, 2, 4, 5, 3));
    d = flat_view(ctx, dst_flat, EINC_SHAPE(4, 16, 16, 32, 32, 16));
    fails += bench_case(ctx, "permute (16,4,16,16,32,32) (1,0,2,4,5,3)", d, v, mcd, mcs, reps);

    /* "b n (qkv h d) -> qkv b h n d" with b=8, n=1024, h=8, d=64 (48 MiB): rows of 64 floats move */
    v = flat_view(ctx, src_flat, EINC_SHAPE(8, 1024, 3, 8, 64));
    v = einc_tensor_permute(ctx, v, EINC_DIMS(2, 0, 3, 1, 4));
    d = flat_view(ctx, dst_flat, EINC_SHAPE(3, 8, 8, 1024, 64));
    fails += bench_case(ctx, "b n (qkv h d) -> qkv b h n d (8,1024,3,8,64)", d, v, mcd, mcs, reps);

    /* "b (h w) c -> b c h w" with B=16, HW=64x64, C=256 */
    v = flat_view(ctx, src_flat, EINC_SHAPE(16, 64, 64, 256));
    v = einc_tensor_permute(ctx, v, EINC_DIMS(0, 3, 1, 2));
    d = flat_view(ctx, dst_flat, EINC_SHAPE(16, 256, 64, 64));
    fails += bench_case(ctx, "b (h w) c -> b c h w (16, 4096, 256)", d, v, mcd, mcs, reps);

    /* "b c h w -> b h w c" with C=3: a short destination-inner dim */
    v = flat_view(ctx, src_flat, EINC_SHAPE(64, 3, 512, 170));
    v = einc_tensor_permute(ctx, v, EINC_DIMS(0, 2, 3, 1));
    d = flat_view(ctx, dst_flat, EINC_SHAPE(64, 512, 170, 3));
    fails += bench_case(ctx, "b c h w -> b h w c (64, 3, 512, 170)", d, v, mcd, mcs, reps);

    /* negative strides */
    d = flat_view(ctx, dst_flat, EINC_SHAPE(4096, 4096));
    v = flat_view(ctx, src_flat, EINC_SHAPE(4096, 4096));
    fails +=
        bench_case(ctx, "flip rows (4096, 4096) x[::-1, :]", d, einc_tensor_flip(ctx, v, EINC_DIMS(0)), mcd, mcs, reps);
    fails += bench_case(ctx, "flip columns (4096, 4096) x[:, ::-1]", d, einc_tensor_flip(ctx, v, EINC_DIMS(1)), mcd,
                        mcs, reps);

    /* broadcast sources (stride 0): a row repeated, and a column repeated */
    v = einc_tensor_expand(ctx, flat_view(ctx, src_flat, EINC_SHAPE(1, 4096)), EINC_SHAPE(4096, 4096));
    fails += bench_case(ctx, "broadcast (1, 4096) -> (4096, 4096)", d, v, mcd, mcs, reps);
    v = einc_tensor_expand(ctx, flat_view(ctx, src_flat, EINC_SHAPE(4096, 1)), EINC_SHAPE(4096, 4096));
    fails += bench_case(ctx, "broadcast (4096, 1) -> (4096, 4096)", d, v, mcd, mcs, reps);

    return fails;
}

int main(void) {
    int threads = bench_threads(), reps = bench_reps(10), fails = 0;
    bench_header("bench_copy: strided copies and permutes of 64 MiB against memcpy", threads, NULL, NULL);
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return 1;

    /* Two flat 64 MiB buffers and memcpy's destination, touched once here so that no timed run
     * pays for fresh pages. */
    einc_tensor *src_flat = einc_tensor_empty(ctx, EINC_FLOAT32, 1, (int64_t[]){BENCH_ELEMS});
    einc_tensor *dst_flat = einc_tensor_empty(ctx, EINC_FLOAT32, 1, (int64_t[]){BENCH_ELEMS});
    einc_tensor *mc_dst = einc_tensor_empty(ctx, EINC_FLOAT32, 1, (int64_t[]){BENCH_ELEMS});
    if (!src_flat || !dst_flat || !mc_dst) {
        fprintf(stderr, "allocation failed: %s\n", einc_errmsg(ctx));
        einc_ctx_destroy(ctx);
        return 1;
    }
    float *s = einc_tensor_data(src_flat);
    for (int64_t i = 0; i < BENCH_ELEMS; i++) s[i] = (float)(i % 1000003);
    memset(einc_tensor_data(dst_flat), 0, (size_t)BENCH_ELEMS * sizeof(float));
    memset(einc_tensor_data(mc_dst), 0, (size_t)BENCH_ELEMS * sizeof(float));

    /* one thread first; then BENCH_THREADS, if that asks for more */
    int counts[2] = {1, threads}, runs = threads > 1 ? 2 : 1;
    for (int r = 0; r < runs; r++) {
        einc_set_threads(ctx, counts[r]);
        einc_scope_begin(ctx);
        fails += run_cases(ctx, src_flat, dst_flat, einc_tensor_data(mc_dst), einc_tensor_data(src_flat), reps);
        einc_scope_end(ctx);
    }
    einc_ctx_destroy(ctx);
    return fails ? 1 : 0;
}
