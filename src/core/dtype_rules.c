/* dtype_rules.c — NumPy's dtype rules for every layer: promotion, elementwise and reduction dtypes.
 *
 * The plans decide each step's dtypes with these at plan time, the raw operations at call time;
 * the kernels take the resolved dtypes and never decide. The rules are documented for users in
 * include/einc/elementwise.h, include/einc/reduce.h and docs/dtypes.md.
 */
#include "internal.h"

/* bool < integer < floating. */
static int dtype_kind(einc_dtype t) { return einc__dtype_kind(t); }

/* Integers: signed bits (uint8 needs 9 to be held signed, uint64 65). */
static int int_bits(einc_dtype t) {
    switch (t) {
    case EINC_UINT8: return 9;
    case EINC_UINT64: return 65;
    case EINC_INT8: return 8;
    case EINC_INT16: return 16;
    case EINC_INT32: return 32;
    default: return 64;
    }
}

/* The smallest integer holding both, as NumPy's table: two unsigned ones the wider, else the
 * smallest signed one (uint8 with int8 is int16); uint64 with a signed integer has none, and
 * NumPy takes float64 (which holds neither exactly). */
static einc_dtype promote_int(einc_dtype a, einc_dtype b) {
    if (a == b) return a;
    bool au = einc__dtype_is_unsigned(a), bu = einc__dtype_is_unsigned(b);
    int bits = int_bits(a) > int_bits(b) ? int_bits(a) : int_bits(b);
    if (au && bu) return bits > 9 ? EINC_UINT64 : EINC_UINT8;
    if (au || bu) bits = bits <= 9 ? 16 : bits; /* uint8 with int8: int16; with int16 and up: that */
    return bits <= 8    ? EINC_INT8
           : bits <= 16 ? EINC_INT16
           : bits <= 32 ? EINC_INT32
           : bits <= 64 ? EINC_INT64
                        : EINC_FLOAT64;
}

/* Significand bits of a float; and an integer's magnitude bits, which a float must hold exactly
 * to take it (NumPy: float16 takes int8 and uint8, float32 int16, float64 everything). */
static int float_digits(einc_dtype t) {
    switch (t) {
    case EINC_BFLOAT16: return 8;
    case EINC_FLOAT16: return 11;
    case EINC_FLOAT32: return 24;
    default: return 53;
    }
}

static einc_dtype float_of_digits(int digits) {
    return digits <= 11 ? EINC_FLOAT16 : digits <= 24 ? EINC_FLOAT32 : EINC_FLOAT64;
}

static einc_dtype promote_float(einc_dtype a, einc_dtype b) {
    if (a == b) return a;
    /* bfloat16 and float16 hold each other's values only in float32 (ml_dtypes, PyTorch) */
    if ((a == EINC_BFLOAT16 && b == EINC_FLOAT16) || (a == EINC_FLOAT16 && b == EINC_BFLOAT16)) return EINC_FLOAT32;
    return float_digits(a) >= float_digits(b) ? a : b;
}

/* Promotion of two operands of the same rank class (numpy.promote_types). */
static einc_dtype promote_plain(einc_dtype a, einc_dtype b) {
    if (a == b) return a;
    int ka = dtype_kind(a), kb = dtype_kind(b);
    if (ka == kb) return ka == 1 ? promote_int(a, b) : promote_float(a, b);
    einc_dtype hi = ka > kb ? a : b, lo = ka > kb ? b : a;
    if (dtype_kind(lo) == 0 || dtype_kind(hi) == 1) return hi;
    /* an integer with a float: the float must hold every value of the integer exactly (float32
     * cannot hold every int32: 24-bit mantissa; NumPy goes to float64) */
    int need = int_bits(lo) - 1; /* magnitude bits */
    if (float_digits(hi) >= need) return hi;
    return float_of_digits(need);
}

einc_dtype einc_promote_types(einc_dtype a, int a_ndim, einc_dtype b, int b_ndim) {
    if (!einc__dtype_valid(a) || !einc__dtype_valid(b)) return (einc_dtype)-1;
    /* NumPy 1.x value-based casting without the value: a 0-d operand of the same or a lower kind
     * takes the n-d operand's dtype */
    if (a_ndim == 0 && b_ndim != 0 && dtype_kind(a) <= dtype_kind(b)) return b;
    if (b_ndim == 0 && a_ndim != 0 && dtype_kind(b) <= dtype_kind(a)) return a;
    return promote_plain(a, b);
}

bool einc__unary_is_math(einc_unary_op op) {
    switch (op) {
    case EINC_SQRT:
    case EINC_RSQRT:
    case EINC_EXP:
    case EINC_LOG:
    case EINC_LOG1P:
    case EINC_EXPM1:
    case EINC_SIN:
    case EINC_COS:
    case EINC_TANH:
    case EINC_SIGMOID:
    case EINC_RECIPROCAL: return true;
    default: return false;
    }
}

/* The float NumPy computes math functions of an integer in: the smallest that holds its values
 * (uint8, int8: float16; int16: float32); int32, int64 and (einc's choice) bool: float64. */
static einc_dtype math_float_of(einc_dtype x) {
    if (dtype_kind(x) == 2) return x;
    if (x == EINC_UINT8 || x == EINC_INT8) return EINC_FLOAT16;
    if (x == EINC_INT16) return EINC_FLOAT32;
    return EINC_FLOAT64;
}

einc_dtype einc__compute_dtype(einc_dtype result) {
    if (einc__dtype_is_half(result)) return EINC_FLOAT32;
    if (result == EINC_UINT8 || result == EINC_INT8 || result == EINC_INT16) return EINC_INT32;
    return result;
}

einc_dtype einc__product_dtype(einc_dtype result) {
    return result == EINC_UINT64 ? EINC_INT64 : einc__compute_dtype(result);
}

einc_dtype einc__softmax_dtype(einc_dtype x) { return x == EINC_UINT64 ? EINC_FLOAT64 : einc__compute_dtype(x); }

bool einc__ew_unary_dtype(einc_unary_op op, einc_dtype x, einc_dtype *result) {
    if (op == EINC_NEG && x == EINC_BOOL) return false;
    if (op == EINC_LOGICAL_NOT) *result = EINC_BOOL;
    else if (einc__unary_is_math(op)) *result = math_float_of(x);
    else *result = x;
    return true;
}

bool einc__ew_binary_dtypes(einc_binary_op op, einc_dtype a, int a_ndim, einc_dtype b, int b_ndim, einc_dtype *compute,
                            einc_dtype *result) {
    einc_dtype c = einc_promote_types(a, a_ndim, b, b_ndim);
    switch (op) {
    case EINC_SUB:
        if (c == EINC_BOOL) return false;
        break;
    case EINC_DIV:
        if (dtype_kind(c) != 2) c = EINC_FLOAT64; /* NumPy: true division of integers is float64 */
        break;
    case EINC_LOGADDEXP: c = math_float_of(c); break;
    case EINC_FLOOR_DIV:
    case EINC_MOD:
    case EINC_POW:
        /* NumPy computes these in int8 for two bools; int64 is einc's nearest integer */
        if (c == EINC_BOOL) c = EINC_INT64;
        break;
    case EINC_LOGICAL_AND:
    case EINC_LOGICAL_OR: c = EINC_BOOL; break;
    default: break;
    }
    bool compare = op >= EINC_EQ && op <= EINC_GE;
    /* the storage dtypes compute in float32 or int32, which hold their values exactly; results are
     * rounded (float16, bfloat16) or wrapped (integers) into the result dtype on store */
    *compute = einc__compute_dtype(c);
    *result = compare ? EINC_BOOL : c;
    return true;
}

einc_dtype einc__reduce_dtype(einc_reduce_op op, einc_dtype in) {
    bool fl = dtype_kind(in) == 2;
    switch (op) {
    case EINC_REDUCE_SUM:
    case EINC_REDUCE_PROD: /* NumPy's default integers: uint64 for the unsigned ones, int64 for the rest and bool */
        return fl ? in : einc__dtype_is_unsigned(in) ? EINC_UINT64 : EINC_INT64;
    case EINC_REDUCE_MEAN:
    case EINC_REDUCE_VAR:
    case EINC_REDUCE_STD:
    case EINC_REDUCE_LOGSUMEXP: return fl ? in : EINC_FLOAT64;
    case EINC_REDUCE_MAX:
    case EINC_REDUCE_MIN: return in;
    case EINC_REDUCE_ARGMAX:
    case EINC_REDUCE_ARGMIN:
    case EINC_REDUCE_COUNT_NONZERO: return EINC_INT64;
    case EINC_REDUCE_ANY:
    case EINC_REDUCE_ALL: return EINC_BOOL;
    }
    return in;
}
