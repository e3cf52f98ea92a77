/* test_copy_kernel.c — the strided copy kernel against its reference twin, and einc__k_coalesce.
 *
 * Every comparison runs the optimised kernel at each SIMD level this CPU has (portable C, AVX2,
 * AVX-512) and compares whole destination storages byte for byte with einc__k_copy_ref, so a
 * write outside the view (into padding) fails as surely as a wrong value. Splits over nth workers
 * must give the same bytes, and each worker must write a disjoint part of the view.
 */
#include <stdint.h>

#include "kernels/kernels.h"
#include "test.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int64_t rnd_below(int64_t n) { return (int64_t)(rnd() % (uint64_t)n); }

static const einc_dtype all_dtypes[EINC_NUM_DTYPES] = {EINC_FLOAT32, EINC_FLOAT64, EINC_INT64,    EINC_INT32,
                                                       EINC_BOOL,    EINC_FLOAT16, EINC_BFLOAT16, EINC_UINT8,
                                                       EINC_INT8,    EINC_INT16,   EINC_UINT64};

/* Storage for one side of a copy: a view into a 64-byte aligned buffer with padding around it. */
typedef struct {
    char *base;   /* buffer start */
    size_t bytes; /* buffer size  */
    einc__view v; /* the view (v.data points inside base) */
} side;

static void side_free(side *s) {
    free(s->base);
    s->base = NULL;
}

/* Lays out `shape` in a fresh buffer: dims stored in a random order, each padded by pad_max
 * elements at most, flipped (negative stride) with probability flip_pct, broadcast (stride 0)
 * with probability bcast_pct; `misalign` shifts the view by that many elements. */
static side make_side(einc_dtype dt, int nd, const int64_t *shape, int pad_max, int flip_pct, int bcast_pct,
                      int misalign, bool permute) {
    side s;
    memset(&s, 0, sizeof s);
    int order[EINC_MAX_DIMS];
    for (int d = 0; d < nd; d++) order[d] = d;
    if (permute)
        for (int d = nd - 1; d > 0; d--) {
            int k = (int)rnd_below(d + 1), t = order[d];
            order[d] = order[k];
            order[k] = t;
        }
    int64_t stride = 1, offset = misalign;
    for (int k = nd - 1; k >= 0; k--) { /* order[nd - 1] is the fastest dim in memory */
        int d = order[k];
        bool bcast = rnd_below(100) < bcast_pct;
        int64_t extent = bcast ? 1 : shape[d] + (pad_max ? rnd_below(pad_max + 1) : 0);
        s.v.strides[d] = bcast ? 0 : stride;
        if (!bcast && shape[d] > 1 && rnd_below(100) < flip_pct) {
            s.v.strides[d] = -stride;
            offset += (shape[d] - 1) * stride;
        }
        stride *= extent > 0 ? extent : 1;
    }
    int64_t elems = offset + stride + 8;
    size_t es = einc_dtype_size(dt);
    s.bytes = ((size_t)elems * es + 63) / 64 * 64;
    if (posix_memalign((void **)&s.base, 64, s.bytes) != 0) s.base = NULL;
    s.v.data = s.base + offset * (int64_t)es;
    s.v.dtype = dt;
    s.v.ndim = nd;
    for (int d = 0; d < nd; d++) s.v.shape[d] = shape[d];
    return s;
}

/* Random contents with the awkward values of each dtype (NaN, infinities, out-of-range floats,
 * extreme integers, bool bytes other than 0 / 1). */
static void fill_random(side *s) {
    size_t es = einc_dtype_size(s->v.dtype), n = s->bytes / es;
    for (size_t i = 0; i < n; i++) {
        char *p = s->base + i * es;
        uint64_t r = rnd();
        switch (s->v.dtype) {
        case EINC_FLOAT32: {
            static const float special[] = {NAN, INFINITY, -INFINITY, -0.0f, 3e9f, -3e9f, 1e20f, 0.0f, 0.5f, -2.5f};
            float f = r % 4 == 0 ? special[(r >> 8) % 10] : (float)((int64_t)(r >> 16) % 20001 - 10000) / 8.0f;
            memcpy(p, &f, 4);
            break;
        }
        case EINC_FLOAT64: {
            static const double special[] = {NAN, INFINITY, -INFINITY, -0.0, 3e9, -3e9, 1e300, 9.3e18, -9.3e18, 0.0};
            double f = r % 4 == 0 ? special[(r >> 8) % 10] : (double)((int64_t)(r >> 16) % 20001 - 10000) / 8.0;
            memcpy(p, &f, 8);
            break;
        }
        case EINC_INT64: {
            int64_t v = r % 3 == 0 ? (int64_t)r : (int64_t)(r >> 40) - (1 << 23);
            memcpy(p, &v, 8);
            break;
        }
        case EINC_INT32: {
            int32_t v = (int32_t)(uint32_t)r;
            memcpy(p, &v, 4);
            break;
        }
        case EINC_BOOL: *p = (char)(r % 5 == 0 ? 2 : r % 2); break;
        default: memcpy(p, &r, es); break; /* any bits: NaNs with payloads, subnormals, extremes */
        }
    }
}

/* Runs the kernel (ref when isa < 0) for workers [ith0, ith1) of nth on dst's storage, which is
 * first set to `fill`. */
static void run_kernel(side *dst, const side *src, int isa, int ith0, int ith1, int nth, int fill) {
    memset(dst->base, fill, dst->bytes);
    for (int ith = ith0; ith < ith1; ith++) {
        if (isa < 0) einc__k_copy_ref(&dst->v, &src->v, ith, nth);
        else einc__k_copy_with_isa(&dst->v, &src->v, ith, nth, isa);
    }
}

static char *dup_bytes(const side *s) {
    char *p = malloc(s->bytes);
    if (p) memcpy(p, s->base, s->bytes);
    return p;
}

static void describe(const char *what, const side *dst, const side *src, int isa, int nth) {
    fprintf(stderr, "  %s: %s <- %s, isa %d, nth %d, shape (", what, einc_dtype_name(dst->v.dtype),
            einc_dtype_name(src->v.dtype), isa, nth);
    for (int d = 0; d < dst->v.ndim; d++) fprintf(stderr, "%s%lld", d ? ", " : "", (long long)dst->v.shape[d]);
    fprintf(stderr, ") dst strides (");
    for (int d = 0; d < dst->v.ndim; d++) fprintf(stderr, "%s%lld", d ? ", " : "", (long long)dst->v.strides[d]);
    fprintf(stderr, ") src strides (");
    for (int d = 0; d < src->v.ndim; d++) fprintf(stderr, "%s%lld", d ? ", " : "", (long long)src->v.strides[d]);
    fprintf(stderr, ")\n");
}

/* The optimised kernel equals the reference for every SIMD level and every nth in `nths` (all
 * workers run, in order), byte for byte over the whole destination storage; with check_disjoint,
 * each worker alone writes a part of the view, and the parts are disjoint and cover it. Returns
 * false (and reports) at the first difference. */
static bool compare_with_ref(side *dst, const side *src, const int *nths, int nnth, bool check_disjoint) {
    run_kernel(dst, src, -1, 0, 1, 1, 0x5A);
    char *want = dup_bytes(dst);
    /* bytes of the view: those the reference changes from either of two fills */
    char *in_view = calloc(dst->bytes, 1);
    unsigned char *owner = malloc(dst->bytes); /* worker that wrote each byte, 0xFF: none */
    if (!want || !in_view || !owner) {
        free(want), free(in_view), free(owner);
        fprintf(stderr, "compare_with_ref: out of memory\n");
        CHECK(false);
        return false;
    }
    if (check_disjoint) {
        run_kernel(dst, src, -1, 0, 1, 1, 0x00);
        for (size_t k = 0; k < dst->bytes; k++) in_view[k] |= dst->base[k] != 0;
        run_kernel(dst, src, -1, 0, 1, 1, 0xFF);
        for (size_t k = 0; k < dst->bytes; k++) in_view[k] |= (unsigned char)dst->base[k] != 0xFF;
    }

    bool ok = true;
    for (int isa = EINC_CPU_BASELINE; isa <= (int)einc_cpu_level_supported() && ok; isa++) {
        for (int t = 0; t < nnth && ok; t++) {
            int nth = nths[t];
            run_kernel(dst, src, isa, 0, nth, nth, 0x5A);
            if (memcmp(dst->base, want, dst->bytes) != 0) {
                describe("differs from einc__k_copy_ref", dst, src, isa, nth);
                ok = false;
                break;
            }
            if (!check_disjoint || nth == 1) continue;
            memset(owner, 0xFF, dst->bytes);
            for (int ith = 0; ith < nth && ok; ith++) {
                run_kernel(dst, src, isa, ith, ith + 1, nth, 0x00);
                char *zero = dup_bytes(dst);
                run_kernel(dst, src, isa, ith, ith + 1, nth, 0xFF);
                for (size_t k = 0; zero && k < dst->bytes && ok; k++) {
                    if (zero[k] == 0 && (unsigned char)dst->base[k] == 0xFF) continue;
                    if (!in_view[k] || owner[k] != 0xFF) {
                        describe(in_view[k] ? "two workers write one byte" : "a worker writes outside the view", dst,
                                 src, isa, nth);
                        ok = false;
                    }
                    owner[k] = (unsigned char)ith;
                }
                free(zero);
            }
            for (size_t k = 0; k < dst->bytes && ok; k++)
                if (in_view[k] && owner[k] == 0xFF) {
                    describe("no worker writes a byte of the view", dst, src, isa, nth);
                    ok = false;
                }
        }
    }
    free(want);
    free(in_view);
    free(owner);
    CHECK(ok);
    return ok;
}

static const int small_nths[] = {1, 2, 3, 7};

/* ---- einc__k_coalesce ------------------------------------------------------------------------- */

static einc__view view_of(int nd, const int64_t *shape, const int64_t *strides) {
    einc__view v;
    memset(&v, 0, sizeof v);
    v.dtype = EINC_FLOAT32;
    v.ndim = nd;
    for (int d = 0; d < nd; d++) {
        v.shape[d] = shape[d];
        v.strides[d] = strides[d];
    }
    return v;
}

TEST(coalesce_contiguous_merges_to_one_dim) {
    einc__view v[1] = {view_of(3, (int64_t[]){2, 3, 4}, (int64_t[]){12, 4, 1})};
    CHECK_EQ_INT(einc__k_coalesce(v, 1), 1);
    CHECK_EQ_INT(v[0].ndim, 1);
    CHECK_EQ_INT(v[0].shape[0], 24);
    CHECK_EQ_INT(v[0].strides[0], 1);
}

TEST(coalesce_drops_size_one_dims) {
    einc__view v[1] = {view_of(5, (int64_t[]){1, 5, 1, 7, 1}, (int64_t[]){99, 100, 3, 2, 77})};
    CHECK_EQ_INT(einc__k_coalesce(v, 1), 2);
    CHECK_EQ_INT(v[0].shape[0], 5);
    CHECK_EQ_INT(v[0].shape[1], 7);
    CHECK_EQ_INT(v[0].strides[0], 100);
    CHECK_EQ_INT(v[0].strides[1], 2);
    einc__view w[1] = {view_of(3, (int64_t[]){1, 1, 1}, (int64_t[]){5, 6, 7})};
    CHECK_EQ_INT(einc__k_coalesce(w, 1), 0);
    CHECK_EQ_INT(w[0].ndim, 0);
}

TEST(coalesce_merges_only_where_every_view_allows) {
    /* dst contiguous (2, 3, 4); src has a gap between dims 0 and 1 but 1 and 2 are contiguous */
    einc__view v[2] = {view_of(3, (int64_t[]){2, 3, 4}, (int64_t[]){12, 4, 1}),
                       view_of(3, (int64_t[]){2, 3, 4}, (int64_t[]){20, 4, 1})};
    CHECK_EQ_INT(einc__k_coalesce(v, 2), 2);
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(v[k].ndim, 2);
        CHECK_EQ_INT(v[k].shape[0], 2);
        CHECK_EQ_INT(v[k].shape[1], 12);
        CHECK_EQ_INT(v[k].strides[1], 1);
    }
    CHECK_EQ_INT(v[0].strides[0], 12);
    CHECK_EQ_INT(v[1].strides[0], 20);
}

TEST(coalesce_keeps_permuted_dims) {
    einc__view v[2] = {view_of(2, (int64_t[]){3, 4}, (int64_t[]){4, 1}),
                       view_of(2, (int64_t[]){3, 4}, (int64_t[]){1, 3})};
    CHECK_EQ_INT(einc__k_coalesce(v, 2), 2);
    CHECK_EQ_INT(v[1].strides[0], 1);
    CHECK_EQ_INT(v[1].strides[1], 3);
}

TEST(coalesce_negative_and_zero_strides) {
    /* a fully flipped contiguous block is one run of stride -1; a broadcast block one of stride 0 */
    einc__view v[2] = {view_of(3, (int64_t[]){2, 3, 4}, (int64_t[]){-12, -4, -1}),
                       view_of(3, (int64_t[]){2, 3, 4}, (int64_t[]){0, 0, 0})};
    CHECK_EQ_INT(einc__k_coalesce(v, 2), 1);
    CHECK_EQ_INT(v[0].shape[0], 24);
    CHECK_EQ_INT(v[0].strides[0], -1);
    CHECK_EQ_INT(v[1].strides[0], 0);
    /* a flip in the middle breaks the run */
    einc__view w[1] = {view_of(3, (int64_t[]){2, 3, 4}, (int64_t[]){12, -4, 1})};
    CHECK_EQ_INT(einc__k_coalesce(w, 1), 3);
    /* broadcast of the inner dim only: (3, 4) with strides (1, 0) cannot merge */
    einc__view b[1] = {view_of(2, (int64_t[]){3, 4}, (int64_t[]){1, 0})};
    CHECK_EQ_INT(einc__k_coalesce(b, 1), 2);
}

TEST(coalesce_preserves_zero_size) {
    einc__view v[1] = {view_of(3, (int64_t[]){2, 0, 4}, (int64_t[]){0, 4, 1})};
    int nd = einc__k_coalesce(v, 1);
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= v[0].shape[d];
    CHECK_EQ_INT(n, 0);
}

/* ---- known answers (independent of the reference kernel) -------------------------------------- */

TEST(transpose_known_answer) {
    /* src [R, C] = arange; dst [C, R] = src.T, so dst[j][i] = i * C + j */
    for (int isa = EINC_CPU_BASELINE; isa <= (int)einc_cpu_level_supported(); isa++) {
        enum { R = 37, C = 70 };
        float *s = malloc(sizeof(float) * R * C), *d = malloc(sizeof(float) * R * C);
        for (int k = 0; k < R * C; k++) s[k] = (float)k;
        einc__view dv = view_of(2, (int64_t[]){C, R}, (int64_t[]){R, 1});
        einc__view sv = view_of(2, (int64_t[]){C, R}, (int64_t[]){1, C});
        dv.data = (char *)d;
        sv.data = (char *)s;
        einc__k_copy_with_isa(&dv, &sv, 0, 1, isa);
        int bad = 0;
        for (int j = 0; j < C; j++)
            for (int i = 0; i < R; i++) bad += d[j * R + i] != (float)(i * C + j);
        CHECK_EQ_INT(bad, 0);
        free(s);
        free(d);
    }
}

TEST(flip_and_broadcast_known_answers) {
    enum { N = 100 };
    int32_t s[N], d[N * 3];
    for (int k = 0; k < N; k++) s[k] = k * 7 - 3;
    for (int isa = EINC_CPU_BASELINE; isa <= (int)einc_cpu_level_supported(); isa++) {
        /* flip: d[k] = s[N - 1 - k] */
        einc__view dv = view_of(1, (int64_t[]){N}, (int64_t[]){1});
        einc__view sv = view_of(1, (int64_t[]){N}, (int64_t[]){-1});
        dv.dtype = sv.dtype = EINC_INT32;
        dv.data = (char *)d;
        sv.data = (char *)(s + N - 1);
        einc__k_copy_with_isa(&dv, &sv, 0, 1, isa);
        int bad = 0;
        for (int k = 0; k < N; k++) bad += d[k] != s[N - 1 - k];
        /* broadcast a column: d [3, N] with d[r][k] = s[r] */
        dv = view_of(2, (int64_t[]){3, N}, (int64_t[]){N, 1});
        sv = view_of(2, (int64_t[]){3, N}, (int64_t[]){1, 0});
        dv.dtype = sv.dtype = EINC_INT32;
        dv.data = (char *)d;
        sv.data = (char *)s;
        einc__k_copy_with_isa(&dv, &sv, 0, 1, isa);
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < N; k++) bad += d[r * N + k] != s[r];
        CHECK_EQ_INT(bad, 0);
    }
}

TEST(conversion_known_answers) {
    /* NaN and out-of-range floats saturate into integers; int64 -> float32 rounds once, as C and
     * NumPy do (2^60 + 2^36 + 1 -> 2^60 + 2^37; rounding through float64 would give 2^60);
     * int64 -> int32 wraps. The destination is transposed, so both paths see these. */
    double f[4] = {NAN, 1e300, -1e300, -7.9};
    int64_t big[4] = {((int64_t)1 << 60) + ((int64_t)1 << 36) + 1, -1, ((int64_t)1 << 32) + 5, 0};
    for (int isa = EINC_CPU_BASELINE; isa <= (int)einc_cpu_level_supported(); isa++)
        for (int transposed = 0; transposed < 2; transposed++) {
            int64_t dstr[2] = {transposed ? 1 : 2, transposed ? 2 : 1};
            int32_t i32[4];
            einc__view dv = view_of(2, (int64_t[]){2, 2}, dstr), sv = view_of(2, (int64_t[]){2, 2}, (int64_t[]){2, 1});
            dv.dtype = EINC_INT32;
            sv.dtype = EINC_FLOAT64;
            dv.data = (char *)i32;
            sv.data = (char *)f;
            einc__k_copy_with_isa(&dv, &sv, 0, 1, isa);
            int k1 = transposed ? 2 : 1, k2 = transposed ? 1 : 2;
            CHECK_EQ_INT(i32[0], 0);
            CHECK_EQ_INT(i32[k1], INT32_MAX);
            CHECK_EQ_INT(i32[k2], INT32_MIN);
            CHECK_EQ_INT(i32[3], -7);

            float f32[4];
            dv.dtype = EINC_FLOAT32;
            sv.dtype = EINC_INT64;
            dv.data = (char *)f32;
            sv.data = (char *)big;
            einc__k_copy_with_isa(&dv, &sv, 0, 1, isa);
            CHECK(f32[0] == 0x1p60f + 0x1p37f || (test_under_valgrind() && f32[0] == 0x1p60f));
            CHECK(f32[k1] == -1.0f);

            dv.dtype = EINC_INT32;
            dv.data = (char *)i32;
            einc__k_copy_with_isa(&dv, &sv, 0, 1, isa);
            CHECK_EQ_INT(i32[0], 1); /* the low 32 bits of 2^60 + 2^36 + 1 */
            CHECK_EQ_INT(i32[k1], -1);
            CHECK_EQ_INT(i32[k2], 5);
        }
}

/* ---- against the reference -------------------------------------------------------------------- */

TEST(zero_size_and_scalar) {
    int64_t shapes[3][3] = {{0, 5, 3}, {4, 0, 0}, {3, 2, 0}};
    for (int k = 0; k < 3; k++) {
        side src = make_side(EINC_FLOAT32, 3, shapes[k], 1, 30, 30, 0, true);
        side dst = make_side(EINC_FLOAT64, 3, shapes[k], 1, 30, 0, 0, true);
        fill_random(&src);
        memset(dst.base, 0x33, dst.bytes);
        einc__k_copy(&dst.v, &src.v, 0, 1);
        size_t bad = 0;
        for (size_t b = 0; b < dst.bytes; b++) bad += dst.base[b] != 0x33;
        CHECK_EQ_INT(bad, 0);
        side_free(&src);
        side_free(&dst);
    }
    for (int a = 0; a < EINC_NUM_DTYPES; a++)
        for (int b = 0; b < EINC_NUM_DTYPES; b++) {
            side src = make_side(all_dtypes[b], 0, NULL, 0, 0, 0, 0, false);
            side dst = make_side(all_dtypes[a], 0, NULL, 0, 0, 0, 0, false);
            fill_random(&src);
            compare_with_ref(&dst, &src, small_nths, 4, true);
            side_free(&src);
            side_free(&dst);
        }
}

/* Every (rows, cols) around the vector block and tile sizes, transposed, for each dtype. */
TEST(transposes_around_block_edges) {
    static const int64_t sizes[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 129};
    int n = (int)(sizeof sizes / sizeof sizes[0]);
    for (int t = 0; t < EINC_NUM_DTYPES; t++)
        for (int x = 0; x < n; x++)
            for (int y = 0; y < n; y++) {
                if ((x + y + t) % 3 != 0 && sizes[x] != 129) continue; /* a spread, not the full square */
                int64_t shape[2] = {sizes[x], sizes[y]};
                einc_dtype st = all_dtypes[(t + x) % EINC_NUM_DTYPES];
                side src = make_side(st, 2, (int64_t[]){sizes[y], sizes[x]}, 0, 0, 0, 0, false);
                /* src.T: swap the geometry */
                int64_t s0 = src.v.strides[0];
                src.v.shape[0] = shape[0];
                src.v.shape[1] = shape[1];
                src.v.strides[0] = src.v.strides[1];
                src.v.strides[1] = s0;
                side dst = make_side(all_dtypes[t], 2, shape, 0, 0, 0, 0, false);
                fill_random(&src);
                bool ok = compare_with_ref(&dst, &src, small_nths, 4, false);
                side_free(&src);
                side_free(&dst);
                if (!ok) return;
            }
}

/* Random shapes of 1 to 6 dims, random layouts on both sides (permuted, padded, flipped; the
 * source also broadcast), every dtype pair, split over 1, 2, 3 and 7 workers. */
TEST(random_layouts_match_reference) {
    int cases = 0;
    for (int iter = 0; iter < 600; iter++) {
        int nd = 1 + (int)rnd_below(6);
        int64_t shape[EINC_MAX_DIMS], numel = 1;
        for (int d = 0; d < nd; d++) {
            int64_t r = rnd_below(100);
            shape[d] = r < 3 ? 0 : r < 25 ? 1 : r < 75 ? 2 + rnd_below(7) : 9 + rnd_below(nd <= 2 ? 140 : 30);
            numel *= shape[d] ? shape[d] : 1;
        }
        if (numel > 20000) continue;
        einc_dtype dt = all_dtypes[rnd_below(EINC_NUM_DTYPES)];
        einc_dtype st = rnd_below(2) ? dt : all_dtypes[rnd_below(EINC_NUM_DTYPES)];
        side src = make_side(st, nd, shape, (int)rnd_below(3), 25, 20, (int)rnd_below(2), true);
        side dst = make_side(dt, nd, shape, (int)rnd_below(2), 20, 0, (int)rnd_below(2), rnd_below(3) == 0);
        fill_random(&src);
        bool ok = compare_with_ref(&dst, &src, small_nths, 4, iter % 4 == 0);
        side_free(&src);
        side_free(&dst);
        cases++;
        if (!ok) break;
    }
    CHECK(cases > 300);
}

/* Destinations of several MiB take the streaming-store paths (aligned and misaligned). */
TEST(large_copies_match_reference) {
    static const int nths[] = {1, 3};
    struct {
        einc_dtype dt, st;
        int nd;
        int64_t shape[3];
        int perm[3];
        int misalign;
    } cases[] = {
        {EINC_FLOAT32, EINC_FLOAT32, 2, {1030, 1100}, {1, 0}, 0},      /* transpose, 4.3 MiB */
        {EINC_FLOAT32, EINC_FLOAT32, 2, {1030, 1100}, {1, 0}, 1},      /* misaligned: no streaming */
        {EINC_FLOAT64, EINC_FLOAT64, 2, {600, 1000}, {1, 0}, 0},       /* 8-byte transpose */
        {EINC_INT32, EINC_INT32, 3, {8, 130, 1030}, {2, 0, 1}, 0},     /* short inner dim */
        {EINC_FLOAT32, EINC_FLOAT32, 3, {70, 130, 130}, {1, 0, 2}, 0}, /* gathered rows */
        {EINC_FLOAT32, EINC_FLOAT32, 3, {70, 130, 130}, {1, 0, 2}, 3},
        {EINC_FLOAT32, EINC_FLOAT64, 2, {1100, 1030}, {1, 0}, 0}, /* converting transpose */
        {EINC_INT64, EINC_INT64, 3, {3, 400, 512}, {0, 2, 1}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int nd = cases[c].nd;
        int64_t sshape[3], dshape[3];
        for (int d = 0; d < nd; d++) sshape[d] = cases[c].shape[d];
        side src = make_side(cases[c].st, nd, sshape, 0, 0, 0, 0, false);
        /* permute the source view: dst dim d is source dim perm[d] */
        einc__view sv = src.v;
        for (int d = 0; d < nd; d++) {
            dshape[d] = sshape[cases[c].perm[d]];
            src.v.shape[d] = sv.shape[cases[c].perm[d]];
            src.v.strides[d] = sv.strides[cases[c].perm[d]];
        }
        side dst = make_side(cases[c].dt, nd, dshape, 0, 0, 0, cases[c].misalign, false);
        fill_random(&src);
        bool ok = compare_with_ref(&dst, &src, nths, 2, false);
        side_free(&src);
        side_free(&dst);
        if (!ok) break;
    }
}

static void flip_dim(side *s, int d) {
    s->v.data += (s->v.shape[d] - 1) * s->v.strides[d] * (int64_t)einc_dtype_size(s->v.dtype);
    s->v.strides[d] = -s->v.strides[d];
}

/* Large flipped, broadcast, converting and short-inner copies: the buffered streaming paths. */
TEST(large_buffered_streams_match_reference) {
    static const int nths[] = {1, 3};
    for (int c = 0; c < 7; c++) {
        einc_dtype dt = EINC_FLOAT32, st = EINC_FLOAT32;
        int64_t shape[4] = {1100, 1030, 1, 1};
        int nd = 2;
        if (c == 2) st = EINC_FLOAT64;                                                   /* converting rows */
        if (c == 3) dt = EINC_INT64, st = EINC_INT32;                                    /* 1-d converting cast */
        if (c >= 4) nd = 4, shape[0] = 35, shape[1] = 3, shape[2] = 100, shape[3] = 100; /* b c h w */
        if (c == 5) dt = st = EINC_FLOAT64, shape[0] = 20;
        if (c == 6) dt = st = EINC_BOOL, shape[0] = 140;
        side src = make_side(st, nd, shape, 0, 0, 0, 0, false);
        if (c == 0 || c == 2) flip_dim(&src, 1); /* x[:, ::-1] */
        if (c == 1) src.v.strides[1] = 0;        /* a column broadcast along the rows */
        if (c == 3) {                            /* as one dim */
            src.v.ndim = 1;
            src.v.shape[0] = shape[0] * shape[1];
            src.v.strides[0] = 1;
        }
        int64_t dshape[4];
        if (c >= 4) { /* b c h w -> b h w c */
            einc__view sv = src.v;
            static const int perm[4] = {0, 2, 3, 1};
            for (int d = 0; d < 4; d++) {
                src.v.shape[d] = dshape[d] = sv.shape[perm[d]];
                src.v.strides[d] = sv.strides[perm[d]];
            }
        } else {
            for (int d = 0; d < src.v.ndim; d++) dshape[d] = src.v.shape[d];
        }
        side dst = make_side(dt, src.v.ndim, dshape, 0, 0, 0, c == 2, false);
        fill_random(&src);
        bool ok = compare_with_ref(&dst, &src, nths, 2, false);
        side_free(&src);
        side_free(&dst);
        if (!ok) break;
    }
}

/* The public path: einc_tensor_copy_ and einc_tensor_contiguous on two threads, above the
 * threading threshold, against element-by-element reads of the source. */
TEST(public_copy_of_views) {
    einc_ctx *ctx = einc_ctx_create();
    einc_set_threads(ctx, 2);
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6 * 70 * 400, 1);
    einc_tensor *v = einc_tensor_view(ctx, x, EINC_SHAPE(6, 70, 400));
    einc_tensor *views[4] = {
        einc_tensor_permute(ctx, v, EINC_DIMS(2, 0, 1)),
        einc_tensor_flip(ctx, einc_tensor_permute(ctx, v, EINC_DIMS(0, 2, 1)), EINC_DIMS(1)),
        einc_tensor_expand(ctx, einc_tensor_select(ctx, v, 1, 3), EINC_SHAPE(70, 6, 400)),
        einc_tensor_slice(ctx, v, 2, 399, INT64_MIN, -3),
    };
    for (int k = 0; k < 4; k++) {
        einc_tensor *c = einc_tensor_contiguous(ctx, views[k]);
        CHECK_TENSOR_CLOSE(c, views[k], 0, 0);
        einc_tensor *d = einc_tensor_empty(ctx, EINC_FLOAT64, einc_tensor_ndim(views[k]), einc_tensor_shape(views[k]));
        CHECK_EQ_INT(einc_tensor_copy_(ctx, d, views[k]), EINC_OK);
        CHECK_TENSOR_CLOSE_ANYTYPE(d, views[k], 0, 0);
    }
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(coalesce_contiguous_merges_to_one_dim);
    RUN(coalesce_drops_size_one_dims);
    RUN(coalesce_merges_only_where_every_view_allows);
    RUN(coalesce_keeps_permuted_dims);
    RUN(coalesce_negative_and_zero_strides);
    RUN(coalesce_preserves_zero_size);
    RUN(transpose_known_answer);
    RUN(flip_and_broadcast_known_answers);
    RUN(conversion_known_answers);
    RUN(zero_size_and_scalar);
    RUN(transposes_around_block_edges);
    RUN(random_layouts_match_reference);
    RUN(large_copies_match_reference);
    RUN(large_buffered_streams_match_reference);
    RUN(public_copy_of_views);
    return test_summary();
}
