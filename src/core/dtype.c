/* dtype.c — dtype names, sizes, and scalar conversion for slow paths. */
#include <math.h>

#include "internal.h"

bool einc__dtype_valid(einc_dtype dtype) { return (unsigned)dtype < EINC_NUM_DTYPES; }

bool einc__dtype_is_float(einc_dtype dtype) { return dtype == EINC_FLOAT32 || dtype == EINC_FLOAT64; }

const char *einc_dtype_name(einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: return "float32";
    case EINC_FLOAT64: return "float64";
    case EINC_INT64: return "int64";
    case EINC_INT32: return "int32";
    case EINC_BOOL: return "bool";
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
    }
    return 0;
}

double einc__load_f64(const char *p, einc_dtype dtype) {
    switch (dtype) {
    case EINC_FLOAT32: { float v; memcpy(&v, p, 4); return (double)v; }
    case EINC_FLOAT64: { double v; memcpy(&v, p, 8); return v; }
    case EINC_INT64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    case EINC_INT32: { int32_t v; memcpy(&v, p, 4); return (double)v; }
    case EINC_BOOL: return *p ? 1.0 : 0.0;
    }
    return 0.0;
}

/* C conversion with the undefined cases made defined: NaN -> 0 and out-of-range values saturate
 * for integer targets (C leaves both undefined; NumPy gives platform-specific garbage). */
static int64_t to_int64(double v) {
    if (isnan(v)) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

static int32_t to_int32(double v) {
    if (isnan(v)) return 0;
    if (v >= 2147483647.0) return INT32_MAX;
    if (v <= -2147483648.0) return INT32_MIN;
    return (int32_t)v;
}

void einc__store_f64(char *p, einc_dtype dtype, double v) {
    switch (dtype) {
    case EINC_FLOAT32: { float f = (float)v; memcpy(p, &f, 4); return; }
    case EINC_FLOAT64: memcpy(p, &v, 8); return;
    case EINC_INT64: { int64_t i = to_int64(v); memcpy(p, &i, 8); return; }
    case EINC_INT32: { int32_t i = to_int32(v); memcpy(p, &i, 4); return; }
    case EINC_BOOL: *p = (char)(v != 0.0); return;
    }
}
