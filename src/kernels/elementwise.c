/* elementwise.c — unary, binary and where kernels over strided views, with dtype conversion.
 *
 * Each kernel coalesces its views (einc__k_coalesce merges the dimensions that are contiguous in
 * every operand), takes its worker's share of the output and hands it, row by row, to a typed
 * inner loop. The inner loops are plain loops over restrict pointers with separate unit-stride
 * and stride-0 (broadcast scalar) cases, which the compiler vectorises, and a strided fallback.
 * When an input is transposed relative to the output, the last two dimensions are walked in
 * tiles so that its cache lines are reused. Operands whose dtype differs from the compute dtype
 * are converted chunk by chunk into stack buffers, so no kernel allocates.
 *
 * Contiguous float32 rows of the ops with vector code (exp, log, tanh, sigmoid and the simple maps;
 * add, sub, mul, div, maximum, minimum, also with one broadcast operand) go to the run-time
 * dispatched row kernels of vecmath.h at the AVX2 and AVX-512 levels, which write rows of
 * EINC__VM_STREAM_ELEMS and more with streaming stores; the portable level keeps the loops here.
 */
#include <math.h>

#include "elementwise.h"
#include "half.h"

#define CHUNK 256 /* elements converted per stack buffer */

typedef uint8_t ebool; /* einc's bool element: one byte, 0 or 1 */

/* Two's complement wrap-around, which NumPy's integer loops give and signed C arithmetic does not
 * promise (overflow is undefined behaviour). */
#define WRAP32(op, x, y) ((int32_t)((uint32_t)(x)op(uint32_t)(y)))
#define WRAP64(op, x, y) ((int64_t)((uint64_t)(x)op(uint64_t)(y)))

/* ---- scalar semantics shared by the loops and the reference twins -------------------------- */

/* numpy.floor_divide / numpy.remainder for floats (npy_divmod): the quotient is snapped to the
 * nearest integer and the remainder takes the sign of the divisor. */
static inline float floordiv_f32(float a, float b) {
    if (b == 0) return a / b;
    float mod = fmodf(a, b);
    float div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= 1.0f;
    if (div == 0) return copysignf(0.0f, a / b);
    float fl = floorf(div);
    return div - fl > 0.5f ? fl + 1.0f : fl;
}

static inline double floordiv_f64(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0)) div -= 1.0;
    if (div == 0) return copysign(0.0, a / b);
    double fl = floor(div);
    return div - fl > 0.5 ? fl + 1.0 : fl;
}

static inline float mod_f32(float a, float b) {
    float mod = fmodf(a, b);
    if (b == 0) return mod;
    if (mod == 0) return copysignf(0.0f, b);
    return (b < 0) != (mod < 0) ? mod + b : mod;
}

static inline double mod_f64(double a, double b) {
    double mod = fmod(a, b);
    if (b == 0) return mod;
    if (mod == 0) return copysign(0.0, b);
    return (b < 0) != (mod < 0) ? mod + b : mod;
}

/* npy_logaddexp: equal arguments (same-signed infinities included) short-cut to x + log 2. */
static inline float logaddexp_f32(float x, float y) {
    if (x == y) return x + 0.693147180559945309417f;
    float d = x - y;
    if (d > 0) return x + log1pf(expf(-d));
    if (d <= 0) return y + log1pf(expf(d));
    return d; /* NaN */
}

static inline double logaddexp_f64(double x, double y) {
    if (x == y) return x + 0.693147180559945309417;
    double d = x - y;
    if (d > 0) return x + log1p(exp(-d));
    if (d <= 0) return y + log1p(exp(d));
    return d;
}

/* exp of a non-positive number only, so it never overflows. */
static inline double sigmoid_f64(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* Integer floor division and modulo, NumPy style: by zero gives 0, INT_MIN // -1 wraps to INT_MIN
 * (C traps or is undefined on both). */
static inline int32_t floordiv_i32(int32_t a, int32_t b) {
    if (b == 0) return 0;
    if (b == -1) return WRAP32(-, 0, a);
    int32_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t floordiv_i64(int64_t a, int64_t b) {
    if (b == 0) return 0;
    if (b == -1) return WRAP64(-, 0, a);
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int32_t mod_i32(int32_t a, int32_t b) {
    if (b == 0 || b == -1) return 0;
    int32_t r = a % b;
    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
}

static inline int64_t mod_i64(int64_t a, int64_t b) {
    if (b == 0 || b == -1) return 0;
    int64_t r = a % b;
    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
}

/* Square-and-multiply in unsigned arithmetic (wraps like NumPy). A negative exponent is rejected
 * before the kernel runs; it gives 0 here. */
static inline int32_t pow_i32(int32_t base, int32_t e) {
    if (e < 0) return 0;
    uint32_t r = 1, b = (uint32_t)base;
    for (; e > 0; e >>= 1) {
        if (e & 1) r *= b;
        b *= b;
    }
    return (int32_t)r;
}

static inline int64_t pow_i64(int64_t base, int64_t e) {
    if (e < 0) return 0;
    uint64_t r = 1, b = (uint64_t)base;
    for (; e > 0; e >>= 1) {
        if (e & 1) r *= b;
        b *= b;
    }
    return (int64_t)r;
}

/* uint64: C's unsigned arithmetic is NumPy's (wrapping, defined); only division by zero needs a
 * rule (0, as for the signed integers). */
static inline uint64_t floordiv_u64(uint64_t a, uint64_t b) { return b == 0 ? 0 : a / b; }

static inline uint64_t mod_u64(uint64_t a, uint64_t b) { return b == 0 ? 0 : a % b; }

static inline uint64_t pow_u64(uint64_t b, uint64_t e) {
    uint64_t r = 1;
    for (; e > 0; e >>= 1) {
        if (e & 1) r *= b;
        b *= b;
    }
    return r;
}

/* ---- dtype conversion into stack buffers --------------------------------------------------- */

/* dst[i] = (TD) src[i * ss]; EXPR converts the source element `s`. */
#define CONVERT_LOOP(TD, TS, EXPR)                                                                                     \
    do {                                                                                                               \
        TD *restrict d_ = (TD *)(void *)dst;                                                                           \
        const TS *restrict s_ = (const TS *)(const void *)src;                                                         \
        for (int64_t i = 0; i < n; i++) {                                                                              \
            const TS s = s_[i * ss];                                                                                   \
            d_[i] = (TD)(EXPR);                                                                                        \
        }                                                                                                              \
    } while (0)

/* Floats to integers saturate and NaN gives 0, as in einc__store_f64; never on a hot path (the
 * promotion rules never convert floats to integers). */
static void float_to_int(char *dst, einc_dtype dt, const char *src, einc_dtype st, int64_t ss, int64_t n) {
    size_t ds = einc_dtype_size(dt), es = einc_dtype_size(st);
    for (int64_t i = 0; i < n; i++)
        einc__store_f64(dst + (size_t)i * ds, dt, einc__load_f64(src + i * ss * (int64_t)es, st));
}

/* dst[0, n) = src[i * ss] converted from st to dt (st != dt) as einc_tensor_cast converts:
 * between integers exactly (int64 -> int32 wraps), to bool by != 0 (NaN is true). */
static void convert(char *dst, einc_dtype dt, const char *src, einc_dtype st, int64_t ss, int64_t n) {
    if (dt == EINC_FLOAT32 && st == EINC_FLOAT16) { /* F16C at level AVX2 and up (half.h) */
        einc__k_f32_from_f16((float *)(void *)dst, (const uint16_t *)(const void *)src, ss, n);
        return;
    }
    if (dt == EINC_FLOAT32 && st == EINC_BFLOAT16) { /* AVX2 at level AVX2 and up (half.h) */
        einc__k_f32_from_bf16((float *)(void *)dst, (const uint16_t *)(const void *)src, ss, n);
        return;
    }
    if (!einc__dtype_is_basic(dt) || !einc__dtype_is_basic(st)) {
        size_t ds = einc_dtype_size(dt), es = einc_dtype_size(st);
        for (int64_t i = 0; i < n; i++) einc__convert_elem(dst + (size_t)i * ds, dt, src + i * ss * (int64_t)es, st);
        return;
    }
    switch (dt) {
    case EINC_FLOAT32:
        switch (st) {
        case EINC_FLOAT64: CONVERT_LOOP(float, double, s); return;
        case EINC_INT64: CONVERT_LOOP(float, int64_t, s); return;
        case EINC_INT32: CONVERT_LOOP(float, int32_t, s); return;
        case EINC_BOOL: CONVERT_LOOP(float, ebool, s != 0); return;
        case EINC_FLOAT32: break;
        default: break;
        }
        break;
    case EINC_FLOAT64:
        switch (st) {
        case EINC_FLOAT32: CONVERT_LOOP(double, float, s); return;
        case EINC_INT64: CONVERT_LOOP(double, int64_t, s); return;
        case EINC_INT32: CONVERT_LOOP(double, int32_t, s); return;
        case EINC_BOOL: CONVERT_LOOP(double, ebool, s != 0); return;
        case EINC_FLOAT64: break;
        default: break;
        }
        break;
    case EINC_INT64:
        switch (st) {
        case EINC_INT32: CONVERT_LOOP(int64_t, int32_t, s); return;
        case EINC_BOOL: CONVERT_LOOP(int64_t, ebool, s != 0); return;
        case EINC_FLOAT32:
        case EINC_FLOAT64: float_to_int(dst, dt, src, st, ss, n); return;
        case EINC_INT64: break;
        default: break;
        }
        break;
    case EINC_INT32:
        switch (st) {
        case EINC_INT64: CONVERT_LOOP(int32_t, int64_t, (uint32_t)(uint64_t)s); return;
        case EINC_BOOL: CONVERT_LOOP(int32_t, ebool, s != 0); return;
        case EINC_FLOAT32:
        case EINC_FLOAT64: float_to_int(dst, dt, src, st, ss, n); return;
        case EINC_INT32: break;
        default: break;
        }
        break;
    case EINC_BOOL:
        switch (st) {
        case EINC_FLOAT32: CONVERT_LOOP(ebool, float, s != 0); return;
        case EINC_FLOAT64: CONVERT_LOOP(ebool, double, s != 0); return;
        case EINC_INT64: CONVERT_LOOP(ebool, int64_t, s != 0); return;
        case EINC_INT32: CONVERT_LOOP(ebool, int32_t, s != 0); return;
        case EINC_BOOL: break;
        default: break;
        }
        break;
    default: break;
    }
}

/* The m elements of an operand (at src, stride ss, dtype st) in dtype dt: src itself when the
 * dtype matches, else converted into buf (one element when the stride is 0). *qs gets the
 * stride to use. */
static const char *stage(char *buf, einc_dtype dt, const char *src, einc_dtype st, int64_t ss, int64_t m, int64_t *qs) {
    if (st == dt) {
        *qs = ss;
        return src;
    }
    if (ss == 0) m = 1;
    convert(buf, dt, src, st, ss, m);
    *qs = ss == 0 ? 0 : 1;
    return buf;
}

/* y[i * ys] (dtype yt) = buf[i] (dtype bt) for i < m: a result computed in a wider dtype
 * rounded (float16, bfloat16) or wrapped (uint8, int8, int16) into the result's dtype (uint64
 * computes in itself and never comes here). */
static void unstage(char *y, einc_dtype yt, int64_t ys, const char *buf, einc_dtype bt, int64_t m) {
    if (bt == EINC_FLOAT32 && einc__dtype_is_half(yt)) {
        uint16_t *d = (uint16_t *)(void *)y;
        const float *b = (const float *)(const void *)buf;
        if (yt == EINC_FLOAT16) einc__k_f16_from_f32(d, ys, b, m); /* vector code at level AVX2 and up */
        else einc__k_bf16_from_f32(d, ys, b, m);
        return;
    }
    int64_t ysz = (int64_t)einc_dtype_size(yt), bsz = (int64_t)einc_dtype_size(bt);
    for (int64_t i = 0; i < m; i++) einc__convert_elem(y + i * ys * ysz, yt, buf + i * bsz, bt);
}

/* ---- iteration over rows ------------------------------------------------------------------- */

/* A row of n elements: p[k] points at the row's first element of view k, s[k] is its stride. */
typedef void (*row_fn)(const void *job, char *const *p, const int64_t *s, int64_t n);

#define TILE 32 /* rows and columns of a tile in the transposed walk */

static int64_t iabs64(int64_t x) { return x < 0 ? -x : x; }

/* True when an input runs faster down the rows than along them (a transposed or column-major
 * view): the row-by-row walk would then touch a new cache line per element. */
static bool wants_tiles(const einc__view *v, int nv, int ndim) {
    if (ndim < 2 || v[0].shape[ndim - 1] <= TILE || v[0].shape[ndim - 2] <= 1) return false;
    for (int k = 1; k < nv; k++) {
        int64_t rs = iabs64(v[k].strides[ndim - 2]), cs = iabs64(v[k].strides[ndim - 1]);
        if (rs != 0 && rs < cs) return true;
    }
    return false;
}

/* The tiled walk: the last two dimensions go in TILE x TILE tiles, rows of TILE elements each, so
 * the cache lines a transposed input brings in are used by the next rows of the tile. Worker ith
 * takes a share of the (outer index, block of TILE rows) units. */
static void for_each_tile(einc__view *v, int nv, int ndim, int ith, int nth, row_fn fn, const void *job) {
    int64_t rows = v[0].shape[ndim - 2], cols = v[0].shape[ndim - 1];
    int64_t rblocks = (rows + TILE - 1) / TILE, outer = 1;
    for (int d = 0; d < ndim - 2; d++) outer *= v[0].shape[d];
    int64_t begin, end;
    einc__split_range(outer * rblocks, ith, nth, &begin, &end);
    int64_t s[4], rs[4], esz[4];
    for (int k = 0; k < nv; k++) {
        s[k] = v[k].strides[ndim - 1];
        rs[k] = v[k].strides[ndim - 2];
        esz[k] = (int64_t)einc_dtype_size(v[k].dtype);
    }
    for (int64_t u = begin; u < end; u++) {
        int64_t base[4] = {0, 0, 0, 0}, rem = u / rblocks;
        for (int d = ndim - 3; d >= 0; d--) {
            int64_t i = rem % v[0].shape[d];
            rem /= v[0].shape[d];
            for (int k = 0; k < nv; k++) base[k] += i * v[k].strides[d];
        }
        int64_t r0 = (u % rblocks) * TILE, r1 = r0 + TILE < rows ? r0 + TILE : rows;
        for (int64_t c0 = 0; c0 < cols; c0 += TILE) {
            int64_t m = cols - c0 < TILE ? cols - c0 : TILE;
            for (int64_t r = r0; r < r1; r++) {
                char *p[4];
                for (int k = 0; k < nv; k++) p[k] = v[k].data + (base[k] + r * rs[k] + c0 * s[k]) * esz[k];
                fn(job, p, s, m);
            }
        }
    }
}

/* Calls fn on worker ith's share of the output, one (partial) row at a time. v[0] is the output;
 * v[1..nv) are the inputs, already broadcast to its shape. Row by row, the share is a contiguous
 * range of the flat (row-major) output; in the tiled walk it is a range of row blocks. */
static void for_each_row(einc__view *v, int nv, int ith, int nth, row_fn fn, const void *job) {
    int ndim = einc__k_coalesce(v, nv);
    int64_t total = 1;
    for (int d = 0; d < ndim; d++) total *= v[0].shape[d];
    if (total == 0) return;
    if (wants_tiles(v, nv, ndim)) {
        for_each_tile(v, nv, ndim, ith, nth, fn, job);
        return;
    }
    int64_t begin, end;
    einc__split_range(total, ith, nth, &begin, &end);
    if (begin >= end) return;

    int outer = ndim > 0 ? ndim - 1 : 0;
    int64_t inner = ndim > 0 ? v[0].shape[ndim - 1] : 1;
    int64_t s[4], esz[4], idx[EINC_MAX_DIMS];
    for (int k = 0; k < nv; k++) {
        s[k] = ndim > 0 ? v[k].strides[ndim - 1] : 0;
        esz[k] = (int64_t)einc_dtype_size(v[k].dtype);
    }
    int64_t row = begin / inner, col = begin % inner, left = end - begin;
    for (int d = outer - 1; d >= 0; d--) {
        idx[d] = row % v[0].shape[d];
        row /= v[0].shape[d];
    }
    for (;;) {
        char *p[4];
        for (int k = 0; k < nv; k++) {
            int64_t off = col * s[k];
            for (int d = 0; d < outer; d++) off += idx[d] * v[k].strides[d];
            p[k] = v[k].data + off * esz[k];
        }
        int64_t m = inner - col < left ? inner - col : left;
        fn(job, p, s, m);
        left -= m;
        if (left == 0) return;
        col = 0;
        for (int d = outer - 1; d >= 0; d--) {
            if (++idx[d] < v[0].shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* ---- unary ---------------------------------------------------------------------------------- */

/* y[i * ys] = EXPR of v = x[i * xs]; the unit-stride case is the one that vectorises. */
#define UNARY_LOOP(TY, TX, EXPR)                                                                                       \
    do {                                                                                                               \
        TY *restrict y_ = (TY *)(void *)y;                                                                             \
        const TX *restrict x_ = (const TX *)(const void *)x;                                                           \
        if (ys == 1 && xs == 1) {                                                                                      \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                const TX v = x_[i];                                                                                    \
                y_[i] = (TY)(EXPR);                                                                                    \
            }                                                                                                          \
        } else {                                                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                const TX v = x_[i * xs];                                                                               \
                y_[i * ys] = (TY)(EXPR);                                                                               \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

static void unary_f32(einc_unary_op op, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    switch (op) {
    case EINC_NEG: UNARY_LOOP(float, float, -v); return;
    case EINC_ABS: UNARY_LOOP(float, float, fabsf(v)); return;
    case EINC_SIGN: UNARY_LOOP(float, float, v > 0 ? 1.0f : v < 0 ? -1.0f : v == 0 ? 0.0f : v); return;
    case EINC_SQUARE: UNARY_LOOP(float, float, v *v); return;
    case EINC_SQRT: UNARY_LOOP(float, float, sqrtf(v)); return;
    case EINC_RSQRT: UNARY_LOOP(float, float, 1.0f / sqrtf(v)); return;
    case EINC_EXP: UNARY_LOOP(float, float, einc__k_exp_f32(v)); return;
    case EINC_LOG: UNARY_LOOP(float, float, einc__k_log_f32(v)); return;
    case EINC_LOG1P: UNARY_LOOP(float, float, log1pf(v)); return;
    case EINC_EXPM1: UNARY_LOOP(float, float, expm1f(v)); return;
    case EINC_SIN: UNARY_LOOP(float, float, sinf(v)); return;
    case EINC_COS: UNARY_LOOP(float, float, cosf(v)); return;
    case EINC_TANH: UNARY_LOOP(float, float, einc__k_tanh_f32(v)); return;
    case EINC_SIGMOID: UNARY_LOOP(float, float, einc__k_sigmoid_f32(v)); return;
    case EINC_RELU: UNARY_LOOP(float, float, v < 0 ? 0.0f : v); return;
    case EINC_FLOOR: UNARY_LOOP(float, float, floorf(v)); return;
    case EINC_CEIL: UNARY_LOOP(float, float, ceilf(v)); return;
    case EINC_ROUND: UNARY_LOOP(float, float, rintf(v)); return;
    case EINC_RECIPROCAL: UNARY_LOOP(float, float, 1.0f / v); return;
    case EINC_LOGICAL_NOT: UNARY_LOOP(float, float, v == 0 ? 1.0f : 0.0f); return;
    }
}

static void unary_f64(einc_unary_op op, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    switch (op) {
    case EINC_NEG: UNARY_LOOP(double, double, -v); return;
    case EINC_ABS: UNARY_LOOP(double, double, fabs(v)); return;
    case EINC_SIGN: UNARY_LOOP(double, double, v > 0 ? 1.0 : v < 0 ? -1.0 : v == 0 ? 0.0 : v); return;
    case EINC_SQUARE: UNARY_LOOP(double, double, v *v); return;
    case EINC_SQRT: UNARY_LOOP(double, double, sqrt(v)); return;
    case EINC_RSQRT: UNARY_LOOP(double, double, 1.0 / sqrt(v)); return;
    case EINC_EXP: UNARY_LOOP(double, double, exp(v)); return;
    case EINC_LOG: UNARY_LOOP(double, double, log(v)); return;
    case EINC_LOG1P: UNARY_LOOP(double, double, log1p(v)); return;
    case EINC_EXPM1: UNARY_LOOP(double, double, expm1(v)); return;
    case EINC_SIN: UNARY_LOOP(double, double, sin(v)); return;
    case EINC_COS: UNARY_LOOP(double, double, cos(v)); return;
    case EINC_TANH: UNARY_LOOP(double, double, tanh(v)); return;
    case EINC_SIGMOID: UNARY_LOOP(double, double, sigmoid_f64(v)); return;
    case EINC_RELU: UNARY_LOOP(double, double, v < 0 ? 0.0 : v); return;
    case EINC_FLOOR: UNARY_LOOP(double, double, floor(v)); return;
    case EINC_CEIL: UNARY_LOOP(double, double, ceil(v)); return;
    case EINC_ROUND: UNARY_LOOP(double, double, rint(v)); return;
    case EINC_RECIPROCAL: UNARY_LOOP(double, double, 1.0 / v); return;
    case EINC_LOGICAL_NOT: UNARY_LOOP(double, double, v == 0 ? 1.0 : 0.0); return;
    }
}

/* Integer and bool results: the math functions never compute in these dtypes (they give
 * float64), so the default cases only keep the kernel total. */
static void unary_i32(einc_unary_op op, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    switch (op) {
    case EINC_NEG: UNARY_LOOP(int32_t, int32_t, WRAP32(-, 0, v)); return;
    case EINC_ABS: UNARY_LOOP(int32_t, int32_t, v < 0 ? WRAP32(-, 0, v) : v); return;
    case EINC_SIGN: UNARY_LOOP(int32_t, int32_t, (v > 0) - (v < 0)); return;
    case EINC_SQUARE: UNARY_LOOP(int32_t, int32_t, WRAP32(*, v, v)); return;
    case EINC_RELU: UNARY_LOOP(int32_t, int32_t, v < 0 ? 0 : v); return;
    case EINC_LOGICAL_NOT: UNARY_LOOP(int32_t, int32_t, v == 0); return;
    default: UNARY_LOOP(int32_t, int32_t, v); return; /* floor, ceil, round: exact already */
    }
}

/* NumPy's negative of an unsigned integer wraps (0 - v); abs and relu are the identity. */
static void unary_u64(einc_unary_op op, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    switch (op) {
    case EINC_NEG: UNARY_LOOP(uint64_t, uint64_t, 0 - v); return;
    case EINC_SIGN: UNARY_LOOP(uint64_t, uint64_t, v != 0); return;
    case EINC_SQUARE: UNARY_LOOP(uint64_t, uint64_t, v * v); return;
    case EINC_LOGICAL_NOT: UNARY_LOOP(uint64_t, uint64_t, v == 0); return;
    default: UNARY_LOOP(uint64_t, uint64_t, v); return; /* abs, relu, floor, ceil, round */
    }
}

static void unary_i64(einc_unary_op op, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    switch (op) {
    case EINC_NEG: UNARY_LOOP(int64_t, int64_t, WRAP64(-, 0, v)); return;
    case EINC_ABS: UNARY_LOOP(int64_t, int64_t, v < 0 ? WRAP64(-, 0, v) : v); return;
    case EINC_SIGN: UNARY_LOOP(int64_t, int64_t, (v > 0) - (v < 0)); return;
    case EINC_SQUARE: UNARY_LOOP(int64_t, int64_t, WRAP64(*, v, v)); return;
    case EINC_RELU: UNARY_LOOP(int64_t, int64_t, v < 0 ? 0 : v); return;
    case EINC_LOGICAL_NOT: UNARY_LOOP(int64_t, int64_t, v == 0); return;
    default: UNARY_LOOP(int64_t, int64_t, v); return;
    }
}

/* Every bool-preserving op is the identity on {0, 1}; a stored byte other than 0 is true. */
static void unary_bool(einc_unary_op op, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    if (op == EINC_LOGICAL_NOT) UNARY_LOOP(ebool, ebool, v == 0);
    else UNARY_LOOP(ebool, ebool, v != 0);
}

static void unary_typed(einc_unary_op op, einc_dtype dt, char *y, int64_t ys, const char *x, int64_t xs, int64_t n) {
    switch (dt) {
    case EINC_FLOAT32: unary_f32(op, y, ys, x, xs, n); return;
    case EINC_FLOAT64: unary_f64(op, y, ys, x, xs, n); return;
    case EINC_INT64: unary_i64(op, y, ys, x, xs, n); return;
    case EINC_INT32: unary_i32(op, y, ys, x, xs, n); return;
    case EINC_BOOL: unary_bool(op, y, ys, x, xs, n); return;
    case EINC_UINT64: unary_u64(op, y, ys, x, xs, n); return;
    default: return; /* the operations reject the other dtypes */
    }
}

typedef struct {
    einc_unary_op op;
    einc_dtype y, x;
} unary_job;

/* p = {y, x}; the compute dtype of a unary op is the result dtype. */
static void unary_row(const void *arg, char *const *p, const int64_t *s, int64_t n) {
    const unary_job *job = arg;
    if (job->x == EINC_FLOAT32 && job->y == EINC_FLOAT32 && s[0] == 1 && s[1] == 1 &&
        einc__vm_unary_f32(job->op, (float *)(void *)p[0], (const float *)(const void *)p[1], n,
                           n >= EINC__VM_STREAM_ELEMS)) {
        if (n >= EINC__VM_STREAM_ELEMS) einc__vm_fence();
        return;
    }
    if (einc__compute_dtype(job->y) != job->y) { /* computed in float32 or int32, rounded or wrapped on store */
        einc_dtype c = einc__compute_dtype(job->y);
        _Alignas(64) char xbuf[CHUNK * 8], ybuf[CHUNK * 8];
        int64_t ysz = (int64_t)einc_dtype_size(job->y), xsz = (int64_t)einc_dtype_size(job->x);
        for (int64_t off = 0; off < n; off += CHUNK) {
            int64_t m = n - off < CHUNK ? n - off : CHUNK, xs;
            const char *xp = stage(xbuf, c, p[1] + off * s[1] * xsz, job->x, s[1], m, &xs);
            unary_typed(job->op, c, ybuf, 1, xp, xs, m);
            unstage(p[0] + off * s[0] * ysz, job->y, s[0], ybuf, c, m);
        }
        return;
    }
    if (job->x == job->y) {
        unary_typed(job->op, job->y, p[0], s[0], p[1], s[1], n);
        return;
    }
    _Alignas(64) char buf[CHUNK * 8];
    int64_t ysz = (int64_t)einc_dtype_size(job->y), xsz = (int64_t)einc_dtype_size(job->x);
    for (int64_t off = 0; off < n; off += CHUNK) {
        int64_t m = n - off < CHUNK ? n - off : CHUNK, xs;
        const char *xp = stage(buf, job->y, p[1] + off * s[1] * xsz, job->x, s[1], m, &xs);
        unary_typed(job->op, job->y, p[0] + off * s[0] * ysz, s[0], xp, xs, m);
    }
}

void einc__k_unary(einc_unary_op op, const einc__view *y, const einc__view *x, int ith, int nth) {
    einc__view v[2] = {*y, *x};
    unary_job job = {op, y->dtype, x->dtype};
    for_each_row(v, 2, ith, nth, unary_row, &job);
}

/* ---- binary --------------------------------------------------------------------------------- */

/* y[i] = EXPR of u = a[i], v = b[i], with separate loops for unit strides and for a or b being
 * one broadcast element (stride 0): those three vectorise. */
#define BINARY_LOOP(TY, TX, EXPR)                                                                                      \
    do {                                                                                                               \
        TY *restrict y_ = (TY *)(void *)y;                                                                             \
        const TX *restrict a_ = (const TX *)(const void *)a;                                                           \
        const TX *restrict b_ = (const TX *)(const void *)b;                                                           \
        if (ys == 1 && as == 1 && bs == 1) {                                                                           \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                const TX u = a_[i], v = b_[i];                                                                         \
                y_[i] = (TY)(EXPR);                                                                                    \
            }                                                                                                          \
        } else if (ys == 1 && as == 1 && bs == 0) {                                                                    \
            const TX v = b_[0];                                                                                        \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                const TX u = a_[i];                                                                                    \
                y_[i] = (TY)(EXPR);                                                                                    \
            }                                                                                                          \
        } else if (ys == 1 && as == 0 && bs == 1) {                                                                    \
            const TX u = a_[0];                                                                                        \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                const TX v = b_[i];                                                                                    \
                y_[i] = (TY)(EXPR);                                                                                    \
            }                                                                                                          \
        } else {                                                                                                       \
            for (int64_t i = 0; i < n; i++) {                                                                          \
                const TX u = a_[i * as], v = b_[i * bs];                                                               \
                y_[i * ys] = (TY)(EXPR);                                                                               \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define BINARY_ARGS char *y, int64_t ys, const char *a, int64_t as, const char *b, int64_t bs, int64_t n

/* Comparisons and logical operations write bool (ebool) results; the rest write the compute
 * dtype. NaN compares unequal to everything and maximum/minimum return it (NumPy). */
static void binary_f32(einc_binary_op op, BINARY_ARGS) {
    switch (op) {
    case EINC_ADD: BINARY_LOOP(float, float, u + v); return;
    case EINC_SUB: BINARY_LOOP(float, float, u - v); return;
    case EINC_MUL: BINARY_LOOP(float, float, u *v); return;
    case EINC_DIV: BINARY_LOOP(float, float, u / v); return;
    case EINC_FLOOR_DIV: BINARY_LOOP(float, float, floordiv_f32(u, v)); return;
    case EINC_MOD: BINARY_LOOP(float, float, mod_f32(u, v)); return;
    case EINC_POW: BINARY_LOOP(float, float, powf(u, v)); return;
    case EINC_MAXIMUM: BINARY_LOOP(float, float, (u >= v || u != u) ? u : v); return;
    case EINC_MINIMUM: BINARY_LOOP(float, float, (u <= v || u != u) ? u : v); return;
    case EINC_LOGADDEXP: BINARY_LOOP(float, float, logaddexp_f32(u, v)); return;
    case EINC_EQ: BINARY_LOOP(ebool, float, u == v); return;
    case EINC_NE: BINARY_LOOP(ebool, float, u != v); return;
    case EINC_LT: BINARY_LOOP(ebool, float, u < v); return;
    case EINC_LE: BINARY_LOOP(ebool, float, u <= v); return;
    case EINC_GT: BINARY_LOOP(ebool, float, u > v); return;
    case EINC_GE: BINARY_LOOP(ebool, float, u >= v); return;
    case EINC_LOGICAL_AND: BINARY_LOOP(ebool, float, u != 0 && v != 0); return;
    case EINC_LOGICAL_OR: BINARY_LOOP(ebool, float, u != 0 || v != 0); return;
    }
}

static void binary_f64(einc_binary_op op, BINARY_ARGS) {
    switch (op) {
    case EINC_ADD: BINARY_LOOP(double, double, u + v); return;
    case EINC_SUB: BINARY_LOOP(double, double, u - v); return;
    case EINC_MUL: BINARY_LOOP(double, double, u *v); return;
    case EINC_DIV: BINARY_LOOP(double, double, u / v); return;
    case EINC_FLOOR_DIV: BINARY_LOOP(double, double, floordiv_f64(u, v)); return;
    case EINC_MOD: BINARY_LOOP(double, double, mod_f64(u, v)); return;
    case EINC_POW: BINARY_LOOP(double, double, pow(u, v)); return;
    case EINC_MAXIMUM: BINARY_LOOP(double, double, (u >= v || u != u) ? u : v); return;
    case EINC_MINIMUM: BINARY_LOOP(double, double, (u <= v || u != u) ? u : v); return;
    case EINC_LOGADDEXP: BINARY_LOOP(double, double, logaddexp_f64(u, v)); return;
    case EINC_EQ: BINARY_LOOP(ebool, double, u == v); return;
    case EINC_NE: BINARY_LOOP(ebool, double, u != v); return;
    case EINC_LT: BINARY_LOOP(ebool, double, u < v); return;
    case EINC_LE: BINARY_LOOP(ebool, double, u <= v); return;
    case EINC_GT: BINARY_LOOP(ebool, double, u > v); return;
    case EINC_GE: BINARY_LOOP(ebool, double, u >= v); return;
    case EINC_LOGICAL_AND: BINARY_LOOP(ebool, double, u != 0 && v != 0); return;
    case EINC_LOGICAL_OR: BINARY_LOOP(ebool, double, u != 0 || v != 0); return;
    }
}

/* Integers: true division and logaddexp compute in float64, never here; they map to floor_div
 * and maximum only to keep the kernel total. One table for the three integer compute dtypes:
 * ARITH_<sfx> wraps +, - and * (signed types through their unsigned twin, so overflow is not
 * undefined), and floordiv_/mod_/pow_<sfx> are the scalar semantics above. */
#define ARITH_i32(op, u, v) WRAP32(op, u, v)
#define ARITH_i64(op, u, v) WRAP64(op, u, v)
#define ARITH_u64(op, u, v) ((u)op(v))
#define BINARY_INT(T, SFX)                                                                                             \
    static void binary_##SFX(einc_binary_op op, BINARY_ARGS) {                                                         \
        switch (op) {                                                                                                  \
        case EINC_ADD: BINARY_LOOP(T, T, ARITH_##SFX(+, u, v)); return;                                                \
        case EINC_SUB: BINARY_LOOP(T, T, ARITH_##SFX(-, u, v)); return;                                                \
        case EINC_MUL: BINARY_LOOP(T, T, ARITH_##SFX(*, u, v)); return;                                                \
        case EINC_DIV:                                                                                                 \
        case EINC_FLOOR_DIV: BINARY_LOOP(T, T, floordiv_##SFX(u, v)); return;                                          \
        case EINC_MOD: BINARY_LOOP(T, T, mod_##SFX(u, v)); return;                                                     \
        case EINC_POW: BINARY_LOOP(T, T, pow_##SFX(u, v)); return;                                                     \
        case EINC_LOGADDEXP:                                                                                           \
        case EINC_MAXIMUM: BINARY_LOOP(T, T, u > v ? u : v); return;                                                   \
        case EINC_MINIMUM: BINARY_LOOP(T, T, u < v ? u : v); return;                                                   \
        case EINC_EQ: BINARY_LOOP(ebool, T, u == v); return;                                                           \
        case EINC_NE: BINARY_LOOP(ebool, T, u != v); return;                                                           \
        case EINC_LT: BINARY_LOOP(ebool, T, u < v); return;                                                            \
        case EINC_LE: BINARY_LOOP(ebool, T, u <= v); return;                                                           \
        case EINC_GT: BINARY_LOOP(ebool, T, u > v); return;                                                            \
        case EINC_GE: BINARY_LOOP(ebool, T, u >= v); return;                                                           \
        case EINC_LOGICAL_AND: BINARY_LOOP(ebool, T, u != 0 && v != 0); return;                                        \
        case EINC_LOGICAL_OR: BINARY_LOOP(ebool, T, u != 0 || v != 0); return;                                         \
        }                                                                                                              \
    }
BINARY_INT(int32_t, i32)
BINARY_INT(int64_t, i64)
BINARY_INT(uint64_t, u64)
#undef BINARY_INT
#undef ARITH_i32
#undef ARITH_i64
#undef ARITH_u64

/* Bools compute add/maximum as or and mul/minimum as and (NumPy's bool loops). sub, floor_div,
 * mod, pow, div and logaddexp never compute in bool; they give exclusive or (what NumPy suggests
 * for bool subtraction) only to keep the kernel total. */
static void binary_bool(einc_binary_op op, BINARY_ARGS) {
    switch (op) {
    case EINC_ADD:
    case EINC_MAXIMUM:
    case EINC_LOGICAL_OR: BINARY_LOOP(ebool, ebool, (u != 0) | (v != 0)); return;
    case EINC_MUL:
    case EINC_MINIMUM:
    case EINC_LOGICAL_AND: BINARY_LOOP(ebool, ebool, (u != 0) & (v != 0)); return;
    case EINC_EQ: BINARY_LOOP(ebool, ebool, (u != 0) == (v != 0)); return;
    case EINC_NE: BINARY_LOOP(ebool, ebool, (u != 0) != (v != 0)); return;
    case EINC_LT: BINARY_LOOP(ebool, ebool, (u != 0) < (v != 0)); return;
    case EINC_LE: BINARY_LOOP(ebool, ebool, (u != 0) <= (v != 0)); return;
    case EINC_GT: BINARY_LOOP(ebool, ebool, (u != 0) > (v != 0)); return;
    case EINC_GE: BINARY_LOOP(ebool, ebool, (u != 0) >= (v != 0)); return;
    default: BINARY_LOOP(ebool, ebool, (u != 0) ^ (v != 0)); return;
    }
}

static void binary_typed(einc_binary_op op, einc_dtype dt, BINARY_ARGS) {
    switch (dt) {
    case EINC_FLOAT32: binary_f32(op, y, ys, a, as, b, bs, n); return;
    case EINC_FLOAT64: binary_f64(op, y, ys, a, as, b, bs, n); return;
    case EINC_INT64: binary_i64(op, y, ys, a, as, b, bs, n); return;
    case EINC_INT32: binary_i32(op, y, ys, a, as, b, bs, n); return;
    case EINC_BOOL: binary_bool(op, y, ys, a, as, b, bs, n); return;
    case EINC_UINT64: binary_u64(op, y, ys, a, as, b, bs, n); return;
    default: return; /* the operations reject the other dtypes */
    }
}

typedef struct {
    einc_binary_op op;
    einc_dtype compute, y, a, b;
} binary_job;

/* p = {y, a, b}. */
static void binary_row(const void *arg, char *const *p, const int64_t *s, int64_t n) {
    const binary_job *job = arg;
    if (job->compute == EINC_FLOAT32 && job->y == EINC_FLOAT32 && job->a == EINC_FLOAT32 && job->b == EINC_FLOAT32 &&
        s[0] == 1 && (s[1] == 1 || s[1] == 0) && (s[2] == 1 || s[2] == 0)) {
        float *y = (float *)(void *)p[0];
        const float *a = (const float *)(const void *)p[1], *b = (const float *)(const void *)p[2];
        bool stream = n >= EINC__VM_STREAM_ELEMS;
        /* a broadcast first operand: the commutative ops swap it into second place */
        bool swap = s[1] == 0 && (job->op == EINC_ADD || job->op == EINC_MUL);
        if (swap ? einc__vm_binary_f32(job->op, y, b, s[2], a, s[1], n, stream)
                 : einc__vm_binary_f32(job->op, y, a, s[1], b, s[2], n, stream)) {
            if (stream) einc__vm_fence();
            return;
        }
    }
    if (einc__compute_dtype(job->y) != job->y) { /* computed in float32 or int32, rounded or wrapped on store */
        _Alignas(64) char abuf[CHUNK * 8], bbuf[CHUNK * 8], ybuf[CHUNK * 8];
        int64_t ysz = (int64_t)einc_dtype_size(job->y), asz = (int64_t)einc_dtype_size(job->a),
                bsz = (int64_t)einc_dtype_size(job->b);
        for (int64_t off = 0; off < n; off += CHUNK) {
            int64_t m = n - off < CHUNK ? n - off : CHUNK, as, bs;
            const char *ap = stage(abuf, job->compute, p[1] + off * s[1] * asz, job->a, s[1], m, &as);
            const char *bp = stage(bbuf, job->compute, p[2] + off * s[2] * bsz, job->b, s[2], m, &bs);
            binary_typed(job->op, job->compute, ybuf, 1, ap, as, bp, bs, m);
            unstage(p[0] + off * s[0] * ysz, job->y, s[0], ybuf, job->compute, m);
        }
        return;
    }
    if (job->a == job->compute && job->b == job->compute) {
        binary_typed(job->op, job->compute, p[0], s[0], p[1], s[1], p[2], s[2], n);
        return;
    }
    _Alignas(64) char abuf[CHUNK * 8], bbuf[CHUNK * 8];
    int64_t ysz = (int64_t)einc_dtype_size(job->y), asz = (int64_t)einc_dtype_size(job->a),
            bsz = (int64_t)einc_dtype_size(job->b);
    for (int64_t off = 0; off < n; off += CHUNK) {
        int64_t m = n - off < CHUNK ? n - off : CHUNK, as, bs;
        const char *ap = stage(abuf, job->compute, p[1] + off * s[1] * asz, job->a, s[1], m, &as);
        const char *bp = stage(bbuf, job->compute, p[2] + off * s[2] * bsz, job->b, s[2], m, &bs);
        binary_typed(job->op, job->compute, p[0] + off * s[0] * ysz, s[0], ap, as, bp, bs, m);
    }
}

void einc__k_binary(einc_binary_op op, einc_dtype compute, const einc__view *y, const einc__view *a,
                    const einc__view *b, int ith, int nth) {
    einc__view v[3] = {*y, *a, *b};
    binary_job job = {op, compute, y->dtype, a->dtype, b->dtype};
    for_each_row(v, 3, ith, nth, binary_row, &job);
}

/* ---- where ---------------------------------------------------------------------------------- */

/* y[i] = c[i] ? a[i] : b[i], moving elements as raw bits of their size. */
#define WHERE_LOOP(T)                                                                                                  \
    do {                                                                                                               \
        T *restrict y_ = (T *)(void *)y;                                                                               \
        const ebool *restrict c_ = (const ebool *)(const void *)c;                                                     \
        const T *restrict a_ = (const T *)(const void *)a;                                                             \
        const T *restrict b_ = (const T *)(const void *)b;                                                             \
        if (ys == 1 && cs == 1 && as == 1 && bs == 1) {                                                                \
            for (int64_t i = 0; i < n; i++) y_[i] = c_[i] ? a_[i] : b_[i];                                             \
        } else if (ys == 1 && cs == 1 && as == 1 && bs == 0) {                                                         \
            const T v = b_[0];                                                                                         \
            for (int64_t i = 0; i < n; i++) y_[i] = c_[i] ? a_[i] : v;                                                 \
        } else if (ys == 1 && cs == 1 && as == 0 && bs == 1) {                                                         \
            const T u = a_[0];                                                                                         \
            for (int64_t i = 0; i < n; i++) y_[i] = c_[i] ? u : b_[i];                                                 \
        } else {                                                                                                       \
            for (int64_t i = 0; i < n; i++) y_[i * ys] = c_[i * cs] ? a_[i * as] : b_[i * bs];                         \
        }                                                                                                              \
    } while (0)

static void where_typed(einc_dtype dt, char *y, int64_t ys, const char *c, int64_t cs, const char *a, int64_t as,
                        const char *b, int64_t bs, int64_t n) {
    switch (dt) {
    case EINC_FLOAT32:
    case EINC_INT32: WHERE_LOOP(uint32_t); return;
    case EINC_FLOAT64:
    case EINC_INT64:
    case EINC_UINT64: WHERE_LOOP(uint64_t); return;
    case EINC_BOOL:
    case EINC_UINT8:
    case EINC_INT8: WHERE_LOOP(ebool); return;
    case EINC_FLOAT16:
    case EINC_BFLOAT16:
    case EINC_INT16: WHERE_LOOP(uint16_t); return;
    }
}

typedef struct {
    einc_dtype y, c, a, b;
} where_job;

/* p = {y, cond, a, b}; cond is tested as stored when it is bool (any nonzero byte is true). */
static void where_row(const void *arg, char *const *p, const int64_t *s, int64_t n) {
    const where_job *job = arg;
    if (job->a == job->y && job->b == job->y && job->c == EINC_BOOL) {
        where_typed(job->y, p[0], s[0], p[1], s[1], p[2], s[2], p[3], s[3], n);
        return;
    }
    _Alignas(64) char cbuf[CHUNK], abuf[CHUNK * 8], bbuf[CHUNK * 8];
    int64_t ysz = (int64_t)einc_dtype_size(job->y), csz = (int64_t)einc_dtype_size(job->c),
            asz = (int64_t)einc_dtype_size(job->a), bsz = (int64_t)einc_dtype_size(job->b);
    for (int64_t off = 0; off < n; off += CHUNK) {
        int64_t m = n - off < CHUNK ? n - off : CHUNK, cs, as, bs;
        const char *cp = stage(cbuf, EINC_BOOL, p[1] + off * s[1] * csz, job->c, s[1], m, &cs);
        const char *ap = stage(abuf, job->y, p[2] + off * s[2] * asz, job->a, s[2], m, &as);
        const char *bp = stage(bbuf, job->y, p[3] + off * s[3] * bsz, job->b, s[3], m, &bs);
        where_typed(job->y, p[0] + off * s[0] * ysz, s[0], cp, cs, ap, as, bp, bs, m);
    }
}

void einc__k_where(const einc__view *y, const einc__view *cond, const einc__view *a, const einc__view *b, int ith,
                   int nth) {
    einc__view v[4] = {*y, *cond, *a, *b};
    where_job job = {y->dtype, cond->dtype, a->dtype, b->dtype};
    for_each_row(v, 4, ith, nth, where_row, &job);
}

/* ---- reference twins ------------------------------------------------------------------------ */

/* Element `i` (row-major over `shape`) of view v. */
static char *ref_elem(const einc__view *v, const int64_t *shape, int ndim, int64_t i) {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; d--) {
        off += (i % shape[d]) * v->strides[d];
        i /= shape[d];
    }
    return v->data + off * (int64_t)einc_dtype_size(v->dtype);
}

static int64_t ref_numel(const einc__view *v) {
    int64_t n = 1;
    for (int d = 0; d < v->ndim; d++) n *= v->shape[d];
    return n;
}

/* One element converted from st to dt (the semantics of convert(), by another route). */
static void ref_cast(char *dst, einc_dtype dt, const char *src, einc_dtype st) {
    bool src_int = st == EINC_INT32 || st == EINC_INT64 || st == EINC_BOOL;
    if (!einc__dtype_is_basic(st) || !einc__dtype_is_basic(dt)) {
        einc__convert_elem(dst, dt, src, st); /* the storage dtypes: core's one rule */
    } else if (st == dt) {
        memcpy(dst, src, einc_dtype_size(dt));
    } else if (src_int && dt != EINC_FLOAT64) {
        int64_t v = 0;
        if (st == EINC_INT64) memcpy(&v, src, 8);
        else if (st == EINC_INT32) {
            int32_t w;
            memcpy(&w, src, 4);
            v = w;
        } else v = *src != 0;
        if (dt == EINC_INT64) memcpy(dst, &v, 8);
        else if (dt == EINC_INT32) {
            int32_t w = (int32_t)(uint32_t)(uint64_t)v;
            memcpy(dst, &w, 4);
        } else if (dt == EINC_BOOL) *dst = (char)(v != 0);
        else {
            float f = (float)v;
            memcpy(dst, &f, 4);
        }
    } else {
        einc__store_f64(dst, dt, einc__load_f64(src, st));
    }
}

/* An element of an integer or bool dtype, exactly. */
static int64_t ref_int(const char *p, einc_dtype dt) {
    char tmp[8];
    ref_cast(tmp, EINC_INT64, p, dt);
    int64_t v;
    memcpy(&v, tmp, 8);
    return v;
}

/* Stores an integer result, wrapping to int32 or testing != 0 for bool. */
static void ref_store_int(char *p, einc_dtype dt, int64_t v) { ref_cast(p, dt, (const char *)&v, EINC_INT64); }

static double ref_unary_float(einc_unary_op op, double x) {
    switch (op) {
    case EINC_NEG: return -x;
    case EINC_ABS: return fabs(x);
    case EINC_SIGN: return isnan(x) ? x : x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    case EINC_SQUARE: return x * x;
    case EINC_SQRT: return sqrt(x);
    case EINC_RSQRT: return 1.0 / sqrt(x);
    case EINC_EXP: return exp(x);
    case EINC_LOG: return log(x);
    case EINC_LOG1P: return log1p(x);
    case EINC_EXPM1: return expm1(x);
    case EINC_SIN: return sin(x);
    case EINC_COS: return cos(x);
    case EINC_TANH: return tanh(x);
    case EINC_SIGMOID: return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    case EINC_RELU: return isnan(x) ? x : x < 0 ? 0.0 : x;
    case EINC_FLOOR: return floor(x);
    case EINC_CEIL: return ceil(x);
    case EINC_ROUND: return nearbyint(x);
    case EINC_RECIPROCAL: return 1.0 / x;
    case EINC_LOGICAL_NOT: return x == 0;
    }
    return 0;
}

static uint64_t ref_unary_uint(einc_unary_op op, uint64_t x) {
    switch (op) {
    case EINC_NEG: return 0 - x;
    case EINC_SIGN: return x > 0;
    case EINC_SQUARE: return x * x;
    case EINC_LOGICAL_NOT: return x == 0;
    default: return x;
    }
}

static int64_t ref_unary_int(einc_unary_op op, int64_t x) {
    switch (op) {
    case EINC_NEG: return (int64_t)(0 - (uint64_t)x);
    case EINC_ABS: return x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
    case EINC_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case EINC_SQUARE: return (int64_t)((uint64_t)x * (uint64_t)x);
    case EINC_RELU: return x < 0 ? 0 : x;
    case EINC_LOGICAL_NOT: return x == 0;
    default: return x;
    }
}

void einc__k_unary_ref(einc_unary_op op, const einc__view *y, const einc__view *x, int ith, int nth) {
    int64_t n = ref_numel(y), begin, end;
    einc__split_range(n, ith, nth, &begin, &end);
    for (int64_t i = begin; i < end; i++) {
        char *yp = ref_elem(y, y->shape, y->ndim, i);
        char xv[8];
        ref_cast(xv, y->dtype, ref_elem(x, y->shape, y->ndim, i), x->dtype);
        if (einc__dtype_is_float(y->dtype))
            einc__store_f64(yp, y->dtype, ref_unary_float(op, einc__load_f64(xv, y->dtype)));
        else if (y->dtype == EINC_BOOL) *yp = (char)(op == EINC_LOGICAL_NOT ? *xv == 0 : *xv != 0);
        else if (y->dtype == EINC_UINT64)
            ref_store_int(yp, y->dtype, (int64_t)ref_unary_uint(op, (uint64_t)ref_int(xv, y->dtype)));
        else ref_store_int(yp, y->dtype, ref_unary_int(op, ref_int(xv, y->dtype)));
    }
}

/* Comparisons in a common type: doubles hold float32 exactly, int64 holds int32 and bool. */
static bool ref_compare(einc_binary_op op, double x, double y) {
    switch (op) {
    case EINC_EQ: return x == y;
    case EINC_NE: return x != y;
    case EINC_LT: return x < y;
    case EINC_LE: return x <= y;
    case EINC_GT: return x > y;
    case EINC_GE: return x >= y;
    default: return false;
    }
}

static bool ref_compare_int(einc_binary_op op, int64_t x, int64_t y) {
    switch (op) {
    case EINC_EQ: return x == y;
    case EINC_NE: return x != y;
    case EINC_LT: return x < y;
    case EINC_LE: return x <= y;
    case EINC_GT: return x > y;
    case EINC_GE: return x >= y;
    default: return false;
    }
}

static bool is_comparison(einc_binary_op op) { return op >= EINC_EQ && op <= EINC_GE; }

/* Float arithmetic in double; float32 results are rounded once on store, which gives the float32
 * answer for + - * / (double has more than twice the bits). The NumPy-defined floor_div, mod and
 * logaddexp use the shared scalar functions at the compute precision. */
static double ref_binary_float(einc_binary_op op, double x, double y, bool single) {
    switch (op) {
    case EINC_ADD: return x + y;
    case EINC_SUB: return x - y;
    case EINC_MUL: return x * y;
    case EINC_DIV: return x / y;
    case EINC_FLOOR_DIV: return single ? (double)floordiv_f32((float)x, (float)y) : floordiv_f64(x, y);
    case EINC_MOD: return single ? (double)mod_f32((float)x, (float)y) : mod_f64(x, y);
    case EINC_POW: return single ? (double)powf((float)x, (float)y) : pow(x, y);
    case EINC_MAXIMUM: return isnan(x) ? x : isnan(y) ? y : x >= y ? x : y;
    case EINC_MINIMUM: return isnan(x) ? x : isnan(y) ? y : x <= y ? x : y;
    case EINC_LOGADDEXP: return single ? (double)logaddexp_f32((float)x, (float)y) : logaddexp_f64(x, y);
    case EINC_LOGICAL_AND: return x != 0 && y != 0;
    case EINC_LOGICAL_OR: return x != 0 || y != 0;
    default: return ref_compare(op, x, y);
    }
}

/* Integer arithmetic in int64 with wrap-around; int32 results wrap again on store, which is
 * exact for + - * and pow (the low 32 bits do not depend on the high ones). */
static int64_t ref_binary_int(einc_binary_op op, int64_t x, int64_t y, bool is_bool) {
    if (is_bool) {
        switch (op) {
        case EINC_ADD:
        case EINC_MAXIMUM:
        case EINC_LOGICAL_OR: return (x != 0) || (y != 0);
        case EINC_MUL:
        case EINC_MINIMUM:
        case EINC_LOGICAL_AND: return (x != 0) && (y != 0);
        default: break;
        }
        if (is_comparison(op)) return ref_compare_int(op, x != 0, y != 0);
        return (x != 0) != (y != 0);
    }
    switch (op) {
    case EINC_ADD: return (int64_t)((uint64_t)x + (uint64_t)y);
    case EINC_SUB: return (int64_t)((uint64_t)x - (uint64_t)y);
    case EINC_MUL: return (int64_t)((uint64_t)x * (uint64_t)y);
    case EINC_DIV:
    case EINC_FLOOR_DIV:
    case EINC_MOD: {
        if (y == 0) return 0;
        int64_t q;
        if (y == -1) q = (int64_t)(0 - (uint64_t)x);
        else {
            q = x / y;
            if (q * y != x && (x < 0) != (y < 0)) q--;
        }
        return op == EINC_MOD ? (int64_t)((uint64_t)x - (uint64_t)q * (uint64_t)y) : q;
    }
    case EINC_POW: {
        if (y < 0) return 0;
        uint64_t r = 1, b = (uint64_t)x;
        for (int64_t e = y; e > 0; e /= 2) {
            if (e % 2) r *= b;
            b *= b;
        }
        return (int64_t)r;
    }
    case EINC_LOGADDEXP:
    case EINC_MAXIMUM: return x > y ? x : y;
    case EINC_MINIMUM: return x < y ? x : y;
    case EINC_LOGICAL_AND: return x != 0 && y != 0;
    case EINC_LOGICAL_OR: return x != 0 || y != 0;
    default: return ref_compare_int(op, x, y);
    }
}

/* uint64 arithmetic in uint64_t (ref_int reads its bits as int64). */
static uint64_t ref_binary_uint(einc_binary_op op, uint64_t x, uint64_t y) {
    switch (op) {
    case EINC_ADD: return x + y;
    case EINC_SUB: return x - y;
    case EINC_MUL: return x * y;
    case EINC_DIV:
    case EINC_FLOOR_DIV: return y == 0 ? 0 : x / y;
    case EINC_MOD: return y == 0 ? 0 : x - x / y * y;
    case EINC_POW: {
        uint64_t r = 1;
        for (uint64_t e = y, b = x; e > 0; e /= 2, b *= b)
            if (e % 2) r *= b;
        return r;
    }
    case EINC_LOGADDEXP:
    case EINC_MAXIMUM: return x > y ? x : y;
    case EINC_MINIMUM: return x < y ? x : y;
    case EINC_LOGICAL_AND: return x != 0 && y != 0;
    case EINC_LOGICAL_OR: return x != 0 || y != 0;
    case EINC_EQ: return x == y;
    case EINC_NE: return x != y;
    case EINC_LT: return x < y;
    case EINC_LE: return x <= y;
    case EINC_GT: return x > y;
    case EINC_GE: return x >= y;
    }
    return 0;
}

void einc__k_binary_ref(einc_binary_op op, einc_dtype compute, const einc__view *y, const einc__view *a,
                        const einc__view *b, int ith, int nth) {
    int64_t n = ref_numel(y), begin, end;
    einc__split_range(n, ith, nth, &begin, &end);
    for (int64_t i = begin; i < end; i++) {
        char *yp = ref_elem(y, y->shape, y->ndim, i);
        char av[8], bv[8];
        ref_cast(av, compute, ref_elem(a, y->shape, y->ndim, i), a->dtype);
        ref_cast(bv, compute, ref_elem(b, y->shape, y->ndim, i), b->dtype);
        if (einc__dtype_is_float(compute)) {
            double r =
                ref_binary_float(op, einc__load_f64(av, compute), einc__load_f64(bv, compute), compute == EINC_FLOAT32);
            einc__store_f64(yp, y->dtype, r);
        } else if (compute == EINC_UINT64) {
            uint64_t r = ref_binary_uint(op, (uint64_t)ref_int(av, compute), (uint64_t)ref_int(bv, compute));
            ref_store_int(yp, y->dtype, (int64_t)r);
        } else {
            int64_t r = ref_binary_int(op, ref_int(av, compute), ref_int(bv, compute), compute == EINC_BOOL);
            ref_store_int(yp, y->dtype, r);
        }
    }
}

void einc__k_where_ref(const einc__view *y, const einc__view *cond, const einc__view *a, const einc__view *b, int ith,
                       int nth) {
    int64_t n = ref_numel(y), begin, end;
    einc__split_range(n, ith, nth, &begin, &end);
    for (int64_t i = begin; i < end; i++) {
        char c;
        ref_cast(&c, EINC_BOOL, ref_elem(cond, y->shape, y->ndim, i), cond->dtype);
        const einc__view *src = c ? a : b;
        ref_cast(ref_elem(y, y->shape, y->ndim, i), y->dtype, ref_elem(src, y->shape, y->ndim, i), src->dtype);
    }
}

bool einc__k_find_negative(const einc__view *x, einc_dtype as, int64_t *value) {
    /* a uint64 power: an unsigned exponent is never negative, and a signed (0-d) one is checked
     * as it is, before the conversion would wrap -1 into 2^64 - 1 */
    if (as == EINC_UINT64) {
        if (einc__dtype_is_unsigned(x->dtype) || x->dtype == EINC_BOOL) return false;
        as = EINC_INT64;
    }
    int64_t n = ref_numel(x);
    for (int64_t i = 0; i < n; i++) {
        char tmp[8];
        ref_cast(tmp, as, ref_elem(x, x->shape, x->ndim, i), x->dtype);
        int64_t v = ref_int(tmp, as);
        if (v < 0) {
            *value = v;
            return true;
        }
    }
    return false;
}
