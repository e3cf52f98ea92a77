/* dtype.c — dtype names, sizes, kinds, scalar conversion for slow paths, and the float16 /
 * bfloat16 bit conversions. */
#include <math.h>

#include "internal.h"

bool einc__dtype_valid(einc_dtype dtype) { return (unsigned)dtype < EINC_NUM_DTYPES; }

bool einc__dtype_is_float(einc_dtype dtype) { return dtype == EINC_FLOAT32 || dtype == EINC_FLOAT64; }

bool einc__dtype_is_half(einc_dtype dtype) { return dtype == EINC_FLOAT16 || dtype == EINC_BFLOAT16; }

bool einc__dtype_is_basic(einc_dtype dtype) { return (unsigned)dtype <= EINC_BOOL; }

bool einc__dtype_is_unsigned(einc_dtype dtype) { return dtype == EINC_UINT8 || dtype == EINC_UINT64; }

int einc__dtype_kind(einc_dtype dtype) {
    switch (dtype) {
    case EINC_BOOL: return 0;
    case EINC_UINT8:
    case EINC_INT8:
    case EINC_INT16:
    case EINC_UINT64:
    case EINC_INT32:
    case EINC_INT64: return 1;
    case EINC_FLOAT16:
    case EINC_BFLOAT16:
    case EINC_FLOAT32:
    case EINC_FLOAT64: return 2;
    }
    return -1;
}

einc_status einc__require_basic(einc_ctx *ctx, const char *fname, const char *what, einc_dtype dtype) {
    if (einc__dtype_is_basic(dtype)) return EINC_OK;
    if (!einc__dtype_valid(dtype))
        return einc__error(ctx, EINC_EDTYPE, "%s: %s has an invalid dtype value %d", fname, what, (int)dtype);
    return einc__error(ctx, EINC_EDTYPE,
                       "%s: %s has dtype %s, which this operation does not support (it takes float32, float64, "
                       "int64, int32 and bool; convert with einc_tensor_cast first)",
                       fname, what, einc_dtype_name(dtype));
}

const char *einc_dtype_name(einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: return "float32";
    case EINC_FLOAT64: return "float64";
    case EINC_INT64: return "int64";
    case EINC_INT32: return "int32";
    case EINC_BOOL: return "bool";
    case EINC_FLOAT16: return "float16";
    case EINC_BFLOAT16: return "bfloat16";
    case EINC_UINT8: return "uint8";
    case EINC_INT8: return "int8";
    case EINC_INT16: return "int16";
    case EINC_UINT64: return "uint64";
    }
    return "invalid";
}

size_t einc_dtype_size(einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: return 4;
    case EINC_FLOAT64: return 8;
    case EINC_INT64: return 8;
    case EINC_INT32: return 4;
    case EINC_BOOL: return 1;
    case EINC_FLOAT16: return 2;
    case EINC_BFLOAT16: return 2;
    case EINC_UINT8: return 1;
    case EINC_INT8: return 1;
    case EINC_INT16: return 2;
    case EINC_UINT64: return 8;
    }
    return 0;
}

/* ---- float16 and bfloat16 ------------------------------------------------------------------ */

/* |x| (finite, below the overflow threshold) rounded to `p` significant bits, ties to even, in
 * a format whose smallest normal is 2^emin (below it the quantum stays 2^(emin - p + 1)).
 * Returns the biased-exponent / mantissa bits of the result (bias 1 - emin). The scalings are
 * by powers of two and exact; rint rounds ties to even in the default rounding mode. */
static uint32_t round_bits(double a, int p, int emin) {
    if (a < ldexp(1.0, emin)) return (uint32_t)rint(ldexp(a, p - 1 - emin)); /* subnormal or zero */
    int e;
    (void)frexp(a, &e); /* a in [2^(e-1), 2^e) */
    double q = rint(ldexp(a, p - e));
    int exp = e - 1;
    if (q == ldexp(1.0, p)) { /* rounded up to the next power of two */
        q = ldexp(1.0, p - 1);
        exp++;
    }
    uint32_t man = (uint32_t)q - (1u << (p - 1));
    return ((uint32_t)(exp - emin + 1) << (p - 1)) | man;
}

uint16_t einc__f16_from_f64(double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000u);
    if (isnan(x)) { /* as NumPy: the top payload bits, never the infinity pattern */
        uint16_t h = (uint16_t)(0x7c00u | ((b >> 42) & 0x3ffu));
        return (uint16_t)(sign | (h == 0x7c00u ? 0x7e00u : h));
    }
    double a = fabs(x);
    if (a >= 65520.0) return (uint16_t)(sign | 0x7c00u); /* 65520 is the tie between 65504 and 2^16 */
    return (uint16_t)(sign | round_bits(a, 11, -14));
}

uint16_t einc__bf16_from_f64(double x) {
    uint64_t b;
    memcpy(&b, &x, 8);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000u);
    if (isnan(x)) return (uint16_t)(sign | 0x7fc0u | ((b >> 45) & 0x7fu)); /* quiet */
    double a = fabs(x);
    /* the tie between the largest bfloat16 (2 - 2^-7) * 2^127 and 2^128 */
    if (a >= ldexp(2.0 - 0x1p-8, 127)) return (uint16_t)(sign | 0x7f80u);
    return (uint16_t)(sign | round_bits(a, 8, -126));
}

/* ---- scalar access ------------------------------------------------------------------------- */

double einc__load_f64(const char *p, einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: {
        float v;
        memcpy(&v, p, 4);
        return (double)v;
    }
    case EINC_FLOAT64: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    case EINC_INT64: {
        int64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    case EINC_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        return (double)v;
    }
    case EINC_BOOL: return *p ? 1.0 : 0.0;
    case EINC_FLOAT16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return (double)einc__f16_to_f32(v);
    }
    case EINC_BFLOAT16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return (double)einc__bf16_to_f32(v);
    }
    case EINC_UINT8: return (double)*(const uint8_t *)(const void *)p;
    case EINC_INT8: return (double)*(const int8_t *)(const void *)p;
    case EINC_INT16: {
        int16_t v;
        memcpy(&v, p, 2);
        return (double)v;
    }
    case EINC_UINT64: {
        uint64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    }
    return 0.0;
}

/* C conversion with the undefined cases made defined: NaN -> 0 and out-of-range values saturate
 * for integer targets (C leaves both undefined; NumPy gives platform-specific garbage). */
static int64_t sat(double v, double lo, double hi) {
    if (isnan(v)) return 0;
    if (v >= hi) return (int64_t)hi;
    if (v <= lo) return (int64_t)lo;
    return (int64_t)v;
}

/* 2^64 and above saturate; 2^64 - 1 itself is no double (it rounds up to 2^64). */
static uint64_t to_uint64(double v) {
    if (isnan(v) || v <= 0.0) return 0;
    if (v >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)v;
}

static int64_t to_int64(double v) {
    if (isnan(v)) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

void einc__store_f64(char *p, einc_dtype dtype, double v) {
    switch (dtype) {
    case EINC_FLOAT32: {
        float f = (float)v;
        memcpy(p, &f, 4);
        return;
    }
    case EINC_FLOAT64: memcpy(p, &v, 8); return;
    case EINC_INT64: {
        int64_t i = to_int64(v);
        memcpy(p, &i, 8);
        return;
    }
    case EINC_INT32: {
        int32_t i = (int32_t)sat(v, -2147483648.0, 2147483647.0);
        memcpy(p, &i, 4);
        return;
    }
    case EINC_BOOL: *p = (char)(v != 0.0); return;
    case EINC_FLOAT16: {
        uint16_t h = einc__f16_from_f64(v);
        memcpy(p, &h, 2);
        return;
    }
    case EINC_BFLOAT16: {
        uint16_t h = einc__bf16_from_f64(v);
        memcpy(p, &h, 2);
        return;
    }
    case EINC_UINT8: *(uint8_t *)(void *)p = (uint8_t)sat(v, 0.0, 255.0); return;
    case EINC_INT8: *(int8_t *)(void *)p = (int8_t)sat(v, -128.0, 127.0); return;
    case EINC_INT16: {
        int16_t i = (int16_t)sat(v, -32768.0, 32767.0);
        memcpy(p, &i, 2);
        return;
    }
    case EINC_UINT64: {
        uint64_t u = to_uint64(v);
        memcpy(p, &u, 8);
        return;
    }
    }
}

int64_t einc__load_i64(const char *p, einc_dtype dtype) {
    switch (dtype) {
    case EINC_INT64:
    case EINC_UINT64: { /* the bits: uint64 values from 2^63 on read as the value - 2^64 */
        int64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    case EINC_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case EINC_INT16: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case EINC_INT8: return *(const int8_t *)(const void *)p;
    case EINC_UINT8: return *(const uint8_t *)(const void *)p;
    case EINC_BOOL: return *p != 0;
    case EINC_FLOAT32:
    case EINC_FLOAT64:
    case EINC_FLOAT16:
    case EINC_BFLOAT16: return to_int64(einc__load_f64(p, dtype));
    }
    return 0;
}

void einc__store_i64(char *p, einc_dtype dtype, int64_t v) {
    uint64_t u = (uint64_t)v;
    switch (dtype) {
    case EINC_INT64: memcpy(p, &v, 8); return;
    case EINC_UINT64: memcpy(p, &u, 8); return;
    case EINC_INT32: {
        int32_t i = (int32_t)(uint32_t)u;
        memcpy(p, &i, 4);
        return;
    }
    case EINC_INT16: {
        int16_t i = (int16_t)(uint16_t)u;
        memcpy(p, &i, 2);
        return;
    }
    case EINC_INT8: *(int8_t *)(void *)p = (int8_t)(uint8_t)u; return;
    case EINC_UINT8: *(uint8_t *)(void *)p = (uint8_t)u; return;
    case EINC_BOOL: *p = (char)(v != 0); return;
    case EINC_FLOAT32: {
        float f = (float)v;
        memcpy(p, &f, 4);
        return;
    }
    case EINC_FLOAT64:
    case EINC_FLOAT16:
    case EINC_BFLOAT16: einc__store_f64(p, dtype, (double)v); return;
    }
}

void einc__convert_elem(char *dst, einc_dtype dt, const char *src, einc_dtype st) {
    if (dt == st) {
        memcpy(dst, src, einc_dtype_size(dt));
    } else if (dt == EINC_FLOAT32 && einc__dtype_is_half(st)) { /* bit-exact: a signaling NaN stays one */
        uint16_t h;
        memcpy(&h, src, 2);
        float f = st == EINC_FLOAT16 ? einc__f16_to_f32(h) : einc__bf16_to_f32(h);
        memcpy(dst, &f, 4);
    } else if (st == EINC_FLOAT32 && einc__dtype_is_half(dt)) {
        float f;
        memcpy(&f, src, 4);
        uint16_t h = dt == EINC_FLOAT16 ? einc__f16_from_f32(f) : einc__bf16_from_f32(f);
        memcpy(dst, &h, 2);
    } else if (st == EINC_UINT64 && einc__dtype_kind(dt) == 2) { /* the value, not int64's reading of its bits */
        uint64_t u;
        memcpy(&u, src, 8);
        if (dt == EINC_FLOAT32) {
            float f = (float)u; /* one rounding */
            memcpy(dst, &f, 4);
        } else {
            einc__store_f64(dst, dt, (double)u);
        }
    } else if (einc__dtype_kind(st) < 2 && (einc__dtype_kind(dt) < 2 || dt == EINC_FLOAT32)) {
        einc__store_i64(dst, dt, einc__load_i64(src, st)); /* exact, or one rounding to float32 */
    } else {
        einc__store_f64(dst, dt, einc__load_f64(src, st));
    }
}
