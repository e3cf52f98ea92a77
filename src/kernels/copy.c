/* copy.c — strided n-d copy with dtype conversion.
 *
 * einc__k_copy first canonicalises the pair of views. A copy may visit elements in any order, so
 * negative destination strides are flipped (with the source's), dimensions are ordered by
 * destination stride and then coalesced: the destination becomes as close to row-major as its
 * layout allows and the writes run forward. Then one of two paths runs:
 *
 *   rows       the innermost dim is a typed loop (memcpy when both sides are unit-stride, a fill
 *              for a broadcast source, a reversed loop for a flipped one, strided otherwise) and an
 *              odometer walks the outer dims. A contiguous same-dtype copy is one row: a memcpy
 *              split across workers by element range.
 *   transpose  the source is strided along the destination's innermost dim `a`, and another dim
 *              `b` has a smaller source stride. Walking rows would read one element per cache
 *              line, so (a, b) is cut into tiles, and each tile is moved with an in-register
 *              transpose (AVX-512 or AVX2, chosen at run time) that reads and writes whole vectors
 *              on both sides. A converting transpose first converts a tile into a small buffer
 *              along the source's fast dim, then transposes the buffer like a same-dtype tile.
 *
 * Large destinations (STREAM_BYTES and up) are written with streaming (non-temporal) stores on
 * both paths wherever whole aligned 64-byte lines are written, except by a single contiguous
 * memcpy. A transpose or a gather of rows writes each destination line once, at a place the
 * hardware prefetchers cannot guess: an ordinary store would first read the line from memory, a
 * streaming store does not, which is what brings these copies to memcpy speed.
 *
 * Work is split by (ith, nth) over element ranges (rows path) or whole tiles (transpose path), so
 * every destination element is written by exactly one worker, whatever nth is.
 */
#include <math.h>

#include "half.h"
#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define EINC__COPY_X86 1
#include <immintrin.h>
#else
#define EINC__COPY_X86 0
#endif

/* Transpose tiles hold about TILE x TILE elements (CONV_TILE x CONV_TILE when converting through
 * a buffer, whose rows get one element of padding). Destinations of STREAM_BYTES or more (twice
 * the L2 of current x86 cores) are written with streaming stores where the layout allows: they
 * would not stay in cache anyway. */
enum { TILE = 64, CONV_TILE = 32 };
_Static_assert(2 * CONV_TILE * CONV_TILE <= TILE * TILE, "a padded conversion tile fits the tile buffer");
#define STREAM_BYTES ((int64_t)4 << 20)
#define BOUNCE_BYTES 4096       /* L1-resident buffer that converted / flipped / broadcast rows pass */
#define PREFETCH_AHEAD 4096     /* how far ahead (bytes) the source of gathered rows is fetched  */
#define PREFETCH_MAX_BYTES 2048 /* longer rows are left to the hardware prefetchers              */

int einc__k_coalesce(einc__view *views, int nviews) {
    int ndim = views[0].ndim;
    int out = 0;
    int64_t shape[EINC_MAX_DIMS];
    int64_t strides[8][EINC_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        if (views[0].shape[d] == 1) continue;
        bool merge = out > 0;
        for (int v = 0; v < nviews && merge; v++)
            merge = strides[v][out - 1] == views[v].strides[d] * views[v].shape[d];
        if (merge) {
            shape[out - 1] *= views[0].shape[d];
            for (int v = 0; v < nviews; v++) strides[v][out - 1] = views[v].strides[d];
        } else {
            shape[out] = views[0].shape[d];
            for (int v = 0; v < nviews; v++) strides[v][out] = views[v].strides[d];
            out++;
        }
    }
    for (int v = 0; v < nviews; v++) {
        views[v].ndim = out;
        for (int d = 0; d < out; d++) {
            views[v].shape[d] = shape[d];
            views[v].strides[d] = strides[v][d];
        }
    }
    return out;
}

/* ---- rows: n elements, dst element stride ds, src element stride ss --------------------------- */

typedef void (*row_fn)(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt, einc_dtype st);

/* Same dtype: bits move unchanged. The special strides get loops the compiler can vectorise. */
#define MOVE_ROW(name, T)                                                                                              \
    static void name(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt_, einc_dtype st_) {  \
        T *d = (T *)(void *)dst;                                                                                       \
        const T *s = (const T *)(const void *)src;                                                                     \
        (void)dt_;                                                                                                     \
        (void)st_;                                                                                                     \
        if (ds == 1 && ss == 1) {                                                                                      \
            memcpy(d, s, (size_t)n * sizeof(T));                                                                       \
        } else if (ds == 1 && ss == 0) {                                                                               \
            T x = s[0];                                                                                                \
            for (int64_t i = 0; i < n; i++) d[i] = x;                                                                  \
        } else if (ds == 1 && ss == -1) {                                                                              \
            for (int64_t i = 0; i < n; i++) d[i] = s[-i];                                                              \
        } else {                                                                                                       \
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];                                                     \
        }                                                                                                              \
    }
MOVE_ROW(move_row1, uint8_t)
MOVE_ROW(move_row2, uint16_t)
MOVE_ROW(move_row4, uint32_t)
MOVE_ROW(move_row8, uint64_t)

/* The float -> integer rules of einc__store_f64: NaN -> 0, out of range saturates. */
static inline int64_t sat_i64(double v) {
    if (isnan(v)) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

static inline int32_t sat_i32(double v) {
    if (isnan(v)) return 0;
    if (v >= 2147483647.0) return INT32_MAX;
    if (v <= -2147483648.0) return INT32_MIN;
    return (int32_t)v;
}

/* Converting rows: x is one source element of type ST, EXPR its value as DT. The rules are those
 * of einc__k_copy_ref (through double, except int64 sources, which convert exactly to int32, bool
 * and float64; bool sources read as 0 / 1). */
#define CONVERT_ROW(name, DT, ST, EXPR)                                                                                \
    static void name(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt_, einc_dtype st_) {  \
        DT *d = (DT *)(void *)dst;                                                                                     \
        const ST *s = (const ST *)(const void *)src;                                                                   \
        (void)dt_;                                                                                                     \
        (void)st_;                                                                                                     \
        if (ds == 1 && ss == 1) {                                                                                      \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                ST x = s[i];                                                                                           \
                d[i] = (EXPR);                                                                                         \
            }                                                                                                          \
        } else {                                                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                ST x = s[i * ss];                                                                                      \
                d[i * ds] = (EXPR);                                                                                    \
            }                                                                                                          \
        }                                                                                                              \
    }
CONVERT_ROW(f32_from_f64, float, double, (float)x)
CONVERT_ROW(f32_from_i64, float, int64_t, (float)x) /* one rounding, as C and NumPy convert */
CONVERT_ROW(f32_from_i32, float, int32_t, (float)x)
CONVERT_ROW(f32_from_bool, float, uint8_t, x ? 1.0f : 0.0f)
CONVERT_ROW(f64_from_f32, double, float, (double)x)
CONVERT_ROW(f64_from_i64, double, int64_t, (double)x)
CONVERT_ROW(f64_from_i32, double, int32_t, (double)x)
CONVERT_ROW(f64_from_bool, double, uint8_t, x ? 1.0 : 0.0)
CONVERT_ROW(i64_from_f32, int64_t, float, sat_i64((double)x))
CONVERT_ROW(i64_from_f64, int64_t, double, sat_i64(x))
CONVERT_ROW(i64_from_i32, int64_t, int32_t, (int64_t)x)
CONVERT_ROW(i64_from_bool, int64_t, uint8_t, (int64_t)(x != 0))
CONVERT_ROW(i32_from_f32, int32_t, float, sat_i32((double)x))
CONVERT_ROW(i32_from_f64, int32_t, double, sat_i32(x))
CONVERT_ROW(i32_from_i64, int32_t, int64_t, (int32_t)(uint32_t)(uint64_t)x) /* wraps, like C */
CONVERT_ROW(i32_from_bool, int32_t, uint8_t, (int32_t)(x != 0))
CONVERT_ROW(bool_from_f32, uint8_t, float, (uint8_t)(x != 0.0f))
CONVERT_ROW(bool_from_f64, uint8_t, double, (uint8_t)(x != 0.0))
CONVERT_ROW(bool_from_i64, uint8_t, int64_t, (uint8_t)(x != 0))
CONVERT_ROW(bool_from_i32, uint8_t, int32_t, (uint8_t)(x != 0))

/* Every other pair (the dtypes float16, bfloat16, uint8, int8, int16 on either side): one
 * element at a time by einc__convert_elem, the rules einc__k_copy_ref also follows. Widening a
 * float16 or bfloat16 row to float32 and back is common enough to get its own loops. */
static void convert_row_any(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt,
                            einc_dtype st) {
    int64_t des = (int64_t)einc_dtype_size(dt), ses = (int64_t)einc_dtype_size(st);
    for (int64_t i = 0; i < n; i++) einc__convert_elem(dst + i * ds * des, dt, src + i * ss * ses, st);
}
CONVERT_ROW(f32_from_f16, float, uint16_t, einc__f16_to_f32(x))
CONVERT_ROW(f32_from_bf16, float, uint16_t, einc__bf16_to_f32(x))
CONVERT_ROW(f16_from_f32, uint16_t, float, einc__f16_from_f32(x))
CONVERT_ROW(bf16_from_f32, uint16_t, float, einc__bf16_from_f32(x))

/* The float16 and bfloat16 rows at level AVX2 and up: vector code where the float32 side is
 * contiguous (half.h; the same bits as the loops above). */
static void f32_from_f16_f16c(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt,
                              einc_dtype st) {
    if (ds != 1) {
        f32_from_f16(dst, ds, src, ss, n, dt, st);
        return;
    }
    einc__k_f32_from_f16_with_isa((float *)(void *)dst, (const uint16_t *)(const void *)src, ss, n, EINC_CPU_AVX2);
}
static void f16_from_f32_f16c(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt,
                              einc_dtype st) {
    if (ss != 1) {
        f16_from_f32(dst, ds, src, ss, n, dt, st);
        return;
    }
    einc__k_f16_from_f32_with_isa((uint16_t *)(void *)dst, ds, (const float *)(const void *)src, n, EINC_CPU_AVX2);
}
static void f32_from_bf16_avx2(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt,
                               einc_dtype st) {
    if (ds != 1) {
        f32_from_bf16(dst, ds, src, ss, n, dt, st);
        return;
    }
    einc__k_f32_from_bf16_with_isa((float *)(void *)dst, (const uint16_t *)(const void *)src, ss, n, EINC_CPU_AVX2);
}
static void bf16_from_f32_avx2(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, einc_dtype dt,
                               einc_dtype st) {
    if (ss != 1) {
        bf16_from_f32(dst, ds, src, ss, n, dt, st);
        return;
    }
    einc__k_bf16_from_f32_with_isa((uint16_t *)(void *)dst, ds, (const float *)(const void *)src, n, EINC_CPU_AVX2);
}

static row_fn move_row_for(size_t elem_size) {
    switch (elem_size) {
    case 1: return move_row1;
    case 2: return move_row2;
    case 4: return move_row4;
    case 8: return move_row8;
    default: return NULL;
    }
}

/* The row loop for dst dtype dt from src dtype st at level isa; NULL for an invalid dtype. */
static row_fn row_for(einc_dtype dt, einc_dtype st, int isa) {
    if (!einc__dtype_valid(dt) || !einc__dtype_valid(st)) return NULL;
    if (dt == st) return move_row_for(einc_dtype_size(dt));
    if (dt == EINC_FLOAT32 && st == EINC_FLOAT16) return isa >= EINC_CPU_AVX2 ? f32_from_f16_f16c : f32_from_f16;
    if (dt == EINC_FLOAT16 && st == EINC_FLOAT32) return isa >= EINC_CPU_AVX2 ? f16_from_f32_f16c : f16_from_f32;
    if (dt == EINC_FLOAT32 && st == EINC_BFLOAT16) return isa >= EINC_CPU_AVX2 ? f32_from_bf16_avx2 : f32_from_bf16;
    if (dt == EINC_BFLOAT16 && st == EINC_FLOAT32) return isa >= EINC_CPU_AVX2 ? bf16_from_f32_avx2 : bf16_from_f32;
    if (!einc__dtype_is_basic(dt) || !einc__dtype_is_basic(st)) return convert_row_any;
    switch (dt) {
    case EINC_FLOAT32:
        switch (st) {
        case EINC_FLOAT64: return f32_from_f64;
        case EINC_INT64: return f32_from_i64;
        case EINC_INT32: return f32_from_i32;
        case EINC_BOOL: return f32_from_bool;
        default: return NULL;
        }
    case EINC_FLOAT64:
        switch (st) {
        case EINC_FLOAT32: return f64_from_f32;
        case EINC_INT64: return f64_from_i64;
        case EINC_INT32: return f64_from_i32;
        case EINC_BOOL: return f64_from_bool;
        default: return NULL;
        }
    case EINC_INT64:
        switch (st) {
        case EINC_FLOAT32: return i64_from_f32;
        case EINC_FLOAT64: return i64_from_f64;
        case EINC_INT32: return i64_from_i32;
        case EINC_BOOL: return i64_from_bool;
        default: return NULL;
        }
    case EINC_INT32:
        switch (st) {
        case EINC_FLOAT32: return i32_from_f32;
        case EINC_FLOAT64: return i32_from_f64;
        case EINC_INT64: return i32_from_i64;
        case EINC_BOOL: return i32_from_bool;
        default: return NULL;
        }
    case EINC_BOOL:
        switch (st) {
        case EINC_FLOAT32: return bool_from_f32;
        case EINC_FLOAT64: return bool_from_f64;
        case EINC_INT64: return bool_from_i64;
        case EINC_INT32: return bool_from_i32;
        default: return NULL;
        }
    default: return NULL;
    }
}

/* ---- transpose tiles ------------------------------------------------------------------------ */

/* A tile of the (a, b) plane, same dtype:
 *   dst[j * dsb + i * dsa] = src[i * ssa + j * ssb]     for i < na (dim a), j < nb (dim b)
 * Portable version: any strides; the writes run along a, the destination's fast dim. */
#define MOVE_TILE(name, T)                                                                                             \
    static void name(char *dst, int64_t dsa, int64_t dsb, const char *src, int64_t ssa, int64_t ssb, int64_t na,       \
                     int64_t nb) {                                                                                     \
        T *d = (T *)(void *)dst;                                                                                       \
        const T *s = (const T *)(const void *)src;                                                                     \
        for (int64_t j = 0; j < nb; j++)                                                                               \
            for (int64_t i = 0; i < na; i++) d[j * dsb + i * dsa] = s[i * ssa + j * ssb];                              \
    }
MOVE_TILE(move_tile1, uint8_t)
MOVE_TILE(move_tile2, uint16_t)
MOVE_TILE(move_tile4, uint32_t)
MOVE_TILE(move_tile8, uint64_t)

static void move_tile_portable(char *dst, int64_t dsa, int64_t dsb, const char *src, int64_t ssa, int64_t ssb,
                               int64_t na, int64_t nb, size_t es) {
    switch (es) {
    case 1: move_tile1(dst, dsa, dsb, src, ssa, ssb, na, nb); return;
    case 2: move_tile2(dst, dsa, dsb, src, ssa, ssb, na, nb); return;
    case 4: move_tile4(dst, dsa, dsb, src, ssa, ssb, na, nb); return;
    case 8: move_tile8(dst, dsa, dsb, src, ssa, ssb, na, nb); return;
    default: return;
    }
}

/* The part of an (na x nb) unit-stride transpose that a k x k block kernel left over: the last
 * na % k rows of a, and the last nb % k of b for the rest. */
static void transpose_edges(char *dst, int64_t ldd, const char *src, int64_t lds, int64_t na, int64_t nb, int64_t k,
                            size_t es) {
    int64_t na_k = na - na % k, nb_k = nb - nb % k, e = (int64_t)es;
    if (na_k < na) move_tile_portable(dst + na_k * e, 1, ldd, src + na_k * lds * e, lds, 1, na - na_k, nb, es);
    if (nb_k < nb) move_tile_portable(dst + nb_k * ldd * e, 1, ldd, src + nb_k * e, lds, 1, na_k, nb - nb_k, es);
}

#if EINC__COPY_X86
/* In-register transposes of unit-stride tiles: dst [nb, ldd] <- src [na, lds], that is
 * dst[j * ldd + i] = src[i * lds + j]. The blocks are arranged so that every destination row of a
 * block is one whole 64-byte line; with `nt` (the caller checked that those lines are aligned)
 * they are written with streaming stores. */

__attribute__((target("avx2"))) static inline void store8_avx2(float *q, __m256 x, bool nt) {
    if (nt) _mm256_stream_ps(q, x);
    else _mm256_storeu_ps(q, x);
}

/* 8x8 transpose of floats in registers: rows r[0..7] in, columns c[0..7] out. */
__attribute__((target("avx2"))) static inline void transpose8x8_avx2(const __m256 *r, __m256 *c) {
    /* 32-bit, then 64-bit interleaves: 4x4 transposes within each 128-bit lane */
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    /* low lanes hold columns 0-3, high lanes columns 4-7 */
    c[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    c[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    c[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    c[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    c[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    c[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    c[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    c[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* One 8x8 block of floats. */
__attribute__((target("avx2"))) static inline void block4_avx2(float *q, int64_t ldd, const float *p, int64_t lds) {
    __m256 r[8], c[8];
    for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(p + k * lds);
    transpose8x8_avx2(r, c);
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(q + k * ldd, c[k]);
}

/* Two 8x8 blocks side by side in the destination (16 source rows): each destination row gets
 * one whole 64-byte line, written in two consecutive halves so that streaming stores combine. */
__attribute__((target("avx2"))) static inline void block4x2_avx2(float *q, int64_t ldd, const float *p, int64_t lds,
                                                                 bool nt) {
    __m256 r[8], lo[8], hi[8];
    for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(p + k * lds);
    transpose8x8_avx2(r, lo);
    for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(p + (8 + k) * lds);
    transpose8x8_avx2(r, hi);
    for (int k = 0; k < 8; k++) {
        store8_avx2(q + k * ldd, lo[k], nt);
        store8_avx2(q + k * ldd + 8, hi[k], nt);
    }
}

__attribute__((target("avx2"))) static void transpose4_avx2(char *dst, int64_t ldd, const char *src, int64_t lds,
                                                            int64_t na, int64_t nb, bool nt) {
    float *d = (float *)(void *)dst;
    const float *s = (const float *)(const void *)src;
    int64_t i = 0;
    for (; i + 16 <= na; i += 16)
        for (int64_t j = 0; j + 8 <= nb; j += 8) block4x2_avx2(d + j * ldd + i, ldd, s + i * lds + j, lds, nt);
    for (; i + 8 <= na; i += 8)
        for (int64_t j = 0; j + 8 <= nb; j += 8) block4_avx2(d + j * ldd + i, ldd, s + i * lds + j, lds);
    transpose_edges(dst, ldd, src, lds, na, nb, 8, 4);
}

__attribute__((target("avx2"))) static inline void store4d_avx2(double *q, __m256d x, bool nt) {
    if (nt) _mm256_stream_pd(q, x);
    else _mm256_storeu_pd(q, x);
}

/* One 4x4 block of 8-byte elements (moved as doubles: the shuffles do not look at the bits). */
__attribute__((target("avx2"))) static inline void block8_avx2(double *q, int64_t ldd, const double *p, int64_t lds,
                                                               bool nt) {
    __m256d r0 = _mm256_loadu_pd(p), r1 = _mm256_loadu_pd(p + lds);
    __m256d r2 = _mm256_loadu_pd(p + 2 * lds), r3 = _mm256_loadu_pd(p + 3 * lds);
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    store4d_avx2(q, _mm256_permute2f128_pd(t0, t2, 0x20), nt);
    store4d_avx2(q + ldd, _mm256_permute2f128_pd(t1, t3, 0x20), nt);
    store4d_avx2(q + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31), nt);
    store4d_avx2(q + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31), nt);
}

__attribute__((target("avx2"))) static void transpose8_avx2(char *dst, int64_t ldd, const char *src, int64_t lds,
                                                            int64_t na, int64_t nb, bool nt) {
    double *d = (double *)(void *)dst;
    const double *s = (const double *)(const void *)src;
    int64_t i = 0;
    for (; i + 8 <= na; i += 8)
        for (int64_t j = 0; j + 4 <= nb; j += 4) {
            block8_avx2(d + j * ldd + i, ldd, s + i * lds + j, lds, nt);
            block8_avx2(d + j * ldd + i + 4, ldd, s + (i + 4) * lds + j, lds, nt);
        }
    for (; i + 4 <= na; i += 4)
        for (int64_t j = 0; j + 4 <= nb; j += 4) block8_avx2(d + j * ldd + i, ldd, s + i * lds + j, lds, false);
    transpose_edges(dst, ldd, src, lds, na, nb, 4, 8);
}

__attribute__((target("avx512f"))) static inline void store16_avx512(float *q, __m512 x, bool nt) {
    if (nt) _mm512_stream_ps(q, x);
    else _mm512_storeu_ps(q, x);
}

/* A 16 (a) x 8 (b) block of floats: 16 source rows of 8, 8 destination rows of 16 (one 64-byte
 * line each). Register k holds source rows k and k + 8; the two 8x8 transposes run in the two
 * 256-bit halves at once. */
__attribute__((target("avx512f"))) static inline void block4_avx512(float *q, int64_t ldd, const float *p, int64_t lds,
                                                                    bool nt) {
    __m512 r[8];
    for (int k = 0; k < 8; k++) {
        __m256d lo = _mm256_castps_pd(_mm256_loadu_ps(p + k * lds));
        __m256d hi = _mm256_castps_pd(_mm256_loadu_ps(p + (k + 8) * lds));
        r[k] = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(lo), hi, 1));
    }
    __m512 t0 = _mm512_unpacklo_ps(r[0], r[1]), t1 = _mm512_unpackhi_ps(r[0], r[1]);
    __m512 t2 = _mm512_unpacklo_ps(r[2], r[3]), t3 = _mm512_unpackhi_ps(r[2], r[3]);
    __m512 t4 = _mm512_unpacklo_ps(r[4], r[5]), t5 = _mm512_unpackhi_ps(r[4], r[5]);
    __m512 t6 = _mm512_unpacklo_ps(r[6], r[7]), t7 = _mm512_unpackhi_ps(r[6], r[7]);
    __m512 u0 = _mm512_shuffle_ps(t0, t2, 0x44), u1 = _mm512_shuffle_ps(t0, t2, 0xEE);
    __m512 u2 = _mm512_shuffle_ps(t1, t3, 0x44), u3 = _mm512_shuffle_ps(t1, t3, 0xEE);
    __m512 u4 = _mm512_shuffle_ps(t4, t6, 0x44), u5 = _mm512_shuffle_ps(t4, t6, 0xEE);
    __m512 u6 = _mm512_shuffle_ps(t5, t7, 0x44), u7 = _mm512_shuffle_ps(t5, t7, 0xEE);
    /* u[c] holds rows 0-3 of column c in lane 0, of column c + 4 in lane 1, and the same for
     * rows 8-11 in lanes 2 and 3; u[c + 4] likewise for rows 4-7 and 12-15 */
    const __m512i lo_idx = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    const __m512i hi_idx = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    store16_avx512(q, _mm512_permutex2var_ps(u0, lo_idx, u4), nt);
    store16_avx512(q + ldd, _mm512_permutex2var_ps(u1, lo_idx, u5), nt);
    store16_avx512(q + 2 * ldd, _mm512_permutex2var_ps(u2, lo_idx, u6), nt);
    store16_avx512(q + 3 * ldd, _mm512_permutex2var_ps(u3, lo_idx, u7), nt);
    store16_avx512(q + 4 * ldd, _mm512_permutex2var_ps(u0, hi_idx, u4), nt);
    store16_avx512(q + 5 * ldd, _mm512_permutex2var_ps(u1, hi_idx, u5), nt);
    store16_avx512(q + 6 * ldd, _mm512_permutex2var_ps(u2, hi_idx, u6), nt);
    store16_avx512(q + 7 * ldd, _mm512_permutex2var_ps(u3, hi_idx, u7), nt);
}

__attribute__((target("avx512f"))) static void transpose4_avx512(char *dst, int64_t ldd, const char *src, int64_t lds,
                                                                 int64_t na, int64_t nb, bool nt) {
    float *d = (float *)(void *)dst;
    const float *s = (const float *)(const void *)src;
    int64_t i = 0;
    for (; i + 16 <= na; i += 16)
        for (int64_t j = 0; j + 8 <= nb; j += 8) block4_avx512(d + j * ldd + i, ldd, s + i * lds + j, lds, nt);
    for (; i + 8 <= na; i += 8)
        for (int64_t j = 0; j + 8 <= nb; j += 8) block4_avx2(d + j * ldd + i, ldd, s + i * lds + j, lds);
    transpose_edges(dst, ldd, src, lds, na, nb, 8, 4);
}

__attribute__((target("avx512f"))) static inline void store8d_avx512(double *q, __m512d x, bool nt) {
    if (nt) _mm512_stream_pd(q, x);
    else _mm512_storeu_pd(q, x);
}

/* One 8x8 block of 8-byte elements. */
__attribute__((target("avx512f"))) static inline void block8_avx512(double *q, int64_t ldd, const double *p,
                                                                    int64_t lds, bool nt) {
    __m512d r[8], t[8];
    for (int k = 0; k < 8; k++) r[k] = _mm512_loadu_pd(p + k * lds);
    /* lane L of t[g + c] holds rows g, g+1 of column 2L + c */
    for (int k = 0; k < 8; k += 2) {
        t[k] = _mm512_unpacklo_pd(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_pd(r[k], r[k + 1]);
    }
    /* column 2L + c is lane L of t[c], t[2 + c], t[4 + c], t[6 + c] */
    for (int c = 0; c < 2; c++) {
        __m512d v02 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0x88);
        __m512d w02 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0x88);
        __m512d v13 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0xDD);
        __m512d w13 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0xDD);
        store8d_avx512(q + c * ldd, _mm512_shuffle_f64x2(v02, w02, 0x88), nt);
        store8d_avx512(q + (2 + c) * ldd, _mm512_shuffle_f64x2(v13, w13, 0x88), nt);
        store8d_avx512(q + (4 + c) * ldd, _mm512_shuffle_f64x2(v02, w02, 0xDD), nt);
        store8d_avx512(q + (6 + c) * ldd, _mm512_shuffle_f64x2(v13, w13, 0xDD), nt);
    }
}

__attribute__((target("avx512f"))) static void transpose8_avx512(char *dst, int64_t ldd, const char *src, int64_t lds,
                                                                 int64_t na, int64_t nb, bool nt) {
    double *d = (double *)(void *)dst;
    const double *s = (const double *)(const void *)src;
    for (int64_t i = 0; i + 8 <= na; i += 8)
        for (int64_t j = 0; j + 8 <= nb; j += 8) block8_avx512(d + j * ldd + i, ldd, s + i * lds + j, lds, nt);
    transpose_edges(dst, ldd, src, lds, na, nb, 8, 8);
}
#endif /* EINC__COPY_X86 */

/* Whether move_tile can write this tile with streaming stores: in registers, with every
 * destination row of a block on whole aligned lines. */
static bool tile_streams(const char *dst, int64_t dsa, int64_t dsb, int64_t ssb, size_t es, int isa) {
    return EINC__COPY_X86 && dsa == 1 && ssb == 1 && isa >= EINC_CPU_AVX2 && (es == 4 || es == 8) &&
           (uintptr_t)dst % 64 == 0 && (dsb * (int64_t)es) % 64 == 0;
}

/* Moves one same-dtype tile (see MOVE_TILE), in registers when both fast dims are unit-stride.
 * `nt` asks for streaming stores where tile_streams allows them. Returns true if it used them. */
static bool move_tile(char *dst, int64_t dsa, int64_t dsb, const char *src, int64_t ssa, int64_t ssb, int64_t na,
                      int64_t nb, size_t es, int isa, bool nt) {
#if EINC__COPY_X86
    if (dsa == 1 && ssb == 1 && isa >= EINC_CPU_AVX2 && (es == 4 || es == 8)) {
        nt = nt && tile_streams(dst, dsa, dsb, ssb, es, isa);
        if (es == 4 && isa >= EINC_CPU_AVX512) transpose4_avx512(dst, dsb, src, ssa, na, nb, nt);
        else if (es == 4) transpose4_avx2(dst, dsb, src, ssa, na, nb, nt);
        else if (isa >= EINC_CPU_AVX512) transpose8_avx512(dst, dsb, src, ssa, na, nb, nt);
        else transpose8_avx2(dst, dsb, src, ssa, na, nb, nt);
        return nt;
    }
#else
    (void)isa;
    (void)nt;
#endif
    move_tile_portable(dst, dsa, dsb, src, ssa, ssb, na, nb, es);
    return false;
}

/* ---- the two paths -------------------------------------------------------------------------- */

/* Canonical form of (dst, src) in v[0], v[1]; returns the coalesced ndim. */
static int canonicalize(const einc__view *dst, const einc__view *src, einc__view v[2]) {
    v[0] = *dst;
    v[1] = *src;
    int nd = dst->ndim;
    int64_t des = (int64_t)einc_dtype_size(dst->dtype), ses = (int64_t)einc_dtype_size(src->dtype);
    for (int d = 0; d < nd; d++) {
        if (v[0].strides[d] >= 0) continue;
        v[0].data += (v[0].shape[d] - 1) * v[0].strides[d] * des;
        v[1].data += (v[1].shape[d] - 1) * v[1].strides[d] * ses;
        v[0].strides[d] = -v[0].strides[d];
        v[1].strides[d] = -v[1].strides[d];
    }
    /* stable insertion sort, largest destination stride first */
    for (int d = 1; d < nd; d++) {
        for (int k = d; k > 0 && v[0].strides[k - 1] < v[0].strides[k]; k--) {
            for (int w = 0; w < 2; w++) {
                int64_t sh = v[w].shape[k], st = v[w].strides[k];
                v[w].shape[k] = v[w].shape[k - 1];
                v[w].strides[k] = v[w].strides[k - 1];
                v[w].shape[k - 1] = sh;
                v[w].strides[k - 1] = st;
            }
        }
    }
    return einc__k_coalesce(v, 2);
}

static int64_t abs64(int64_t x) { return x < 0 ? -x : x; }

/* The dim to tile against the innermost one, or -1 when rows are the better walk: the dim with the
 * smallest nonzero source stride, if that is smaller than the innermost dim's source stride. */
static int transpose_partner(const einc__view *s) {
    int a = s->ndim - 1;
    if (a < 1) return -1;
    int64_t sa = abs64(s->strides[a]), best_stride = sa;
    if (sa <= 1) return -1; /* unit stride or broadcast along the rows: rows are already fast */
    int best = -1;
    for (int d = 0; d < a; d++) {
        int64_t sd = abs64(s->strides[d]);
        if (sd != 0 && sd < best_stride) {
            best = d;
            best_stride = sd;
        }
    }
    return best;
}

#if EINC__COPY_X86 && defined(__SSE2__)
/* memcpy that writes the whole aligned 64-byte lines of dst with streaming stores (SSE2 is part
 * of x86-64, so no dispatch). The partial lines at either end get ordinary stores: a line is
 * never written both ways, and a line shared with a neighbouring row or worker stays coherent. */
static void stream_copy(char *dst, const char *src, size_t n) {
    size_t k = (64 - (uintptr_t)dst % 64) % 64;
    if (k > n) k = n;
    memcpy(dst, src, k);
    for (; k + 64 <= n; k += 64) {
        const __m128i *s = (const __m128i *)(const void *)(src + k);
        __m128i *d = (__m128i *)(void *)(dst + k);
        __m128i x0 = _mm_loadu_si128(s), x1 = _mm_loadu_si128(s + 1);
        __m128i x2 = _mm_loadu_si128(s + 2), x3 = _mm_loadu_si128(s + 3);
        _mm_stream_si128(d, x0);
        _mm_stream_si128(d + 1, x1);
        _mm_stream_si128(d + 2, x2);
        _mm_stream_si128(d + 3, x3);
    }
    memcpy(dst + k, src + k, n - k);
}
#define EINC__COPY_STREAM_ROWS 1
#else
#define EINC__COPY_STREAM_ROWS 0
#endif

/* Walks the outer dims of the canonical views: the element offsets of each row's start. Past the
 * last row it wraps around to the first. */
typedef struct {
    const einc__view *v;
    int no;
    int64_t idx[EINC_MAX_DIMS], doff, soff;
} odometer;

static void odometer_start(odometer *o, const einc__view v[2], int no, int64_t row) {
    o->v = v;
    o->no = no;
    o->doff = o->soff = 0;
    for (int d = no - 1; d >= 0; d--) {
        o->idx[d] = row % v[0].shape[d];
        row /= v[0].shape[d];
        o->doff += o->idx[d] * v[0].strides[d];
        o->soff += o->idx[d] * v[1].strides[d];
    }
}

static void odometer_next(odometer *o) {
    const einc__view *v = o->v;
    for (int d = o->no - 1; d >= 0; d--) {
        o->doff += v[0].strides[d];
        o->soff += v[1].strides[d];
        if (++o->idx[d] < v[0].shape[d]) return;
        o->doff -= v[0].strides[d] * v[0].shape[d];
        o->soff -= v[1].strides[d] * v[1].shape[d];
        o->idx[d] = 0;
    }
}

/* Rows path over the canonical views v (nd >= 0 dims). */
static void copy_rows(const einc__view v[2], int nd, row_fn row, int isa, int ith, int nth) {
    int no = nd > 0 ? nd - 1 : 0; /* outer dims */
    int64_t n = nd > 0 ? v[0].shape[nd - 1] : 1;
    int64_t ds = nd > 0 ? v[0].strides[nd - 1] : 1, ss = nd > 0 ? v[1].strides[nd - 1] : 1;
    int64_t des = (int64_t)einc_dtype_size(v[0].dtype), ses = (int64_t)einc_dtype_size(v[1].dtype);
    int64_t total = n;
    for (int d = 0; d < no; d++) total *= v[0].shape[d];
    int64_t begin, end;
    einc__split_range(total, ith, nth, &begin, &end);
    if (begin >= end) return;
    /* Rows of a large destination are streamed out (see the top of the file): straight from the
     * source when they are plain copies, else through a small buffer that the typed loop fills.
     * The single contiguous row (a plain copy of the whole tensor) stays a memcpy. */
    bool plain = v[0].dtype == v[1].dtype && ds == 1 && ss == 1;
    bool stream = EINC__COPY_STREAM_ROWS && isa > EINC_CPU_BASELINE && !(plain && no == 0) && ds == 1 &&
                  n * des >= 64 && total * des >= STREAM_BYTES;
    /* The hardware prefetchers do not follow a gather of short rows: the source of the row about
     * PREFETCH_AHEAD bytes ahead is requested in advance. */
    bool prefetch = stream && no > 0 && ss == 1 && n * ses <= PREFETCH_MAX_BYTES;
    _Alignas(64) char bounce[BOUNCE_BYTES];
    int64_t chunk = BOUNCE_BYTES / des, i = begin % n;
    odometer at, ahead;
    odometer_start(&at, v, no, begin / n);
    odometer_start(&ahead, v, no, begin / n + PREFETCH_AHEAD / (n * ses) + 1);
    for (int64_t left = end - begin;;) {
        int64_t cnt = n - i < left ? n - i : left;
        char *dp = v[0].data + (at.doff + i * ds) * des;
        const char *sp = v[1].data + (at.soff + i * ss) * ses;
#if EINC__COPY_STREAM_ROWS
        if (prefetch) {
            const char *pf = v[1].data + ahead.soff * ses;
            for (int64_t k = 0; k < n * ses; k += 64) _mm_prefetch(pf + k, _MM_HINT_T0);
            odometer_next(&ahead);
        }
        if (stream && plain) {
            stream_copy(dp, sp, (size_t)(cnt * des));
        } else if (stream) {
            for (int64_t k = 0; k < cnt; k += chunk) {
                int64_t m = cnt - k < chunk ? cnt - k : chunk;
                row(bounce, 1, sp + k * ss * ses, ss, m, v[0].dtype, v[1].dtype);
                stream_copy(dp + k * des, bounce, (size_t)(m * des));
            }
        } else
#endif
        {
            row(dp, ds, sp, ss, cnt, v[0].dtype, v[1].dtype);
        }
        left -= cnt;
        if (left == 0) break;
        i = 0;
        odometer_next(&at);
    }
#if EINC__COPY_STREAM_ROWS
    if (stream) _mm_sfence();
#endif
}

/* Transpose path: dims a (innermost) and b tiled, the others walked per tile. */
static void copy_tiled(const einc__view v[2], int nd, int b, row_fn row, int isa, int ith, int nth) {
    int a = nd - 1;
    bool convert = v[0].dtype != v[1].dtype;
    size_t des = einc_dtype_size(v[0].dtype), ses = einc_dtype_size(v[1].dtype);
    int64_t na = v[0].shape[a], nb = v[0].shape[b];
    int64_t tile = convert ? CONV_TILE : TILE;
    int64_t ta = na < tile ? na : tile, tb = nb < tile ? nb : tile;
    /* a short dim lends its share of the tile to the other one (in multiples of 16 elements, so
     * that tile edges stay on vector blocks and cache lines) */
    if (ta < tile) tb = nb < tile * tile / ta ? nb : tile * tile / ta / 16 * 16;
    else if (tb < tile) ta = na < tile * tile / tb ? na : tile * tile / tb / 16 * 16;
    int64_t tiles_a = (na + ta - 1) / ta, tiles_b = (nb + tb - 1) / tb, numel = na * nb;
    for (int d = 0; d < nd; d++)
        if (d != a && d != b) numel *= v[0].shape[d];
    int64_t begin, end;
    einc__split_range(numel / na / nb * tiles_a * tiles_b, ith, nth, &begin, &end);
    bool nt = numel * (int64_t)des >= STREAM_BYTES, streamed = false;

    /* converting: buf [ma, mb + 1] in dst dtype, the padding keeping power-of-two rows out of one
     * cache set; streaming a contiguous tile: buf [mb, ma] */
    _Alignas(64) char buf[TILE * TILE * 8];
    int64_t dsa = v[0].strides[a], dsb = v[0].strides[b], ssa = v[1].strides[a], ssb = v[1].strides[b];
    for (int64_t u = begin; u < end; u++) {
        /* b fastest: consecutive tiles continue along the same source rows */
        int64_t jb = (u % tiles_b) * tb, ia = (u / tiles_b % tiles_a) * ta, rem = u / tiles_b / tiles_a;
        int64_t doff = ia * dsa + jb * dsb, soff = ia * ssa + jb * ssb;
        for (int d = nd - 1; d >= 0; d--) {
            if (d == a || d == b) continue;
            int64_t k = rem % v[0].shape[d];
            rem /= v[0].shape[d];
            doff += k * v[0].strides[d];
            soff += k * v[1].strides[d];
        }
        int64_t ma = na - ia < ta ? na - ia : ta, mb = nb - jb < tb ? nb - jb : tb;
        char *dp = v[0].data + doff * (int64_t)des;
        const char *sp = v[1].data + soff * (int64_t)ses;
#if EINC__COPY_STREAM_ROWS
        if (!convert && nt && dsa == 1 && dsb == ma && ma * mb * (int64_t)des <= (int64_t)sizeof buf &&
            !tile_streams(dp, dsa, dsb, ssb, des, isa)) {
            /* a short innermost dim (say 3 channels): the tile is one contiguous block of the
             * destination, so it is built in the buffer and streamed out whole */
            move_tile(buf, 1, ma, sp, ssa, ssb, ma, mb, des, isa, false);
            stream_copy(dp, buf, (size_t)(ma * mb) * des);
            streamed = true;
            continue;
        }
#endif
        if (!convert) {
            streamed |= move_tile(dp, dsa, dsb, sp, ssa, ssb, ma, mb, des, isa, nt);
        } else {
            int64_t ld = mb + 1;
            for (int64_t i = 0; i < ma; i++)
                row(buf + i * ld * (int64_t)des, 1, sp + i * ssa * (int64_t)ses, ssb, mb, v[0].dtype, v[1].dtype);
            streamed |= move_tile(dp, dsa, dsb, buf, ld, 1, ma, mb, des, isa, nt);
        }
    }
#if EINC__COPY_X86
    if (streamed) _mm_sfence(); /* streaming stores are weakly ordered: publish them before returning */
#endif
}

void einc__k_copy_with_isa(const einc__view *dst, const einc__view *src, int ith, int nth, int isa) {
    for (int d = 0; d < dst->ndim; d++)
        if (dst->shape[d] == 0) return;
    row_fn row = row_for(dst->dtype, src->dtype, isa);
    if (!row) return;
    einc__view v[2];
    int nd = canonicalize(dst, src, v);
    int b = transpose_partner(&v[1]);
    if (b >= 0) copy_tiled(v, nd, b, row, isa, ith, nth);
    else copy_rows(v, nd, row, isa, ith, nth);
}

void einc__k_copy(const einc__view *dst, const einc__view *src, int ith, int nth) {
    einc__k_copy_with_isa(dst, src, ith, nth, einc__cpu_level());
}

void einc__k_copy_ref(const einc__view *dst, const einc__view *src, int ith, int nth) {
    int64_t n = 1;
    for (int d = 0; d < dst->ndim; d++) n *= dst->shape[d];
    int64_t begin, end;
    einc__split_range(n, ith, nth, &begin, &end);
    int64_t des = (int64_t)einc_dtype_size(dst->dtype), ses = (int64_t)einc_dtype_size(src->dtype);
    for (int64_t i = begin; i < end; i++) {
        int64_t rem = i, doff = 0, soff = 0;
        for (int d = dst->ndim - 1; d >= 0; d--) {
            int64_t k = rem % dst->shape[d];
            rem /= dst->shape[d];
            doff += k * dst->strides[d];
            soff += k * src->strides[d];
        }
        char *dp = dst->data + doff * des;
        const char *sp = src->data + soff * ses;
        einc__convert_elem(dp, dst->dtype, sp, src->dtype);
    }
}
