/* dtype_rules.c — NumPy's dtype rules for every layer: promotion, elementwise and reduction dtypes.
 *
 * The plans decide each step's dtypes with these at plan time, the raw operations at call time;
 * the kernels take the resolved dtypes and never decide. The rules are documented for users in
 * include/einc/elementwise.h, include/einc/reduce.h and docs/dtypes.md.
 */
#include "internal.h"

/* bool < integer < floating. */
static int dtype_kind(einc_dtype t) {
    switch (t) {
    case EINC_BOOL: return 0;
    case EINC_INT32:
    case EINC_INT64: return 1;
    case EINC_FLOAT32:
    case EINC_FLOAT64: return 2;
    }
    return -1;
}

/* Promotion of two operands of the same rank class (numpy.promote_types). */
static einc_dtype promote_plain(einc_dtype a, einc_dtype b) {
    if (a == b) return a;
    int ka = dtype_kind(a), kb = dtype_kind(b);
    if (ka == kb) return ka == 1 ? EINC_INT64 : EINC_FLOAT64;
    einc_dtype hi = ka > kb ? a : b, lo = ka > kb ? b : a;
    /* float32 cannot hold every int32 (24-bit mantissa), so NumPy goes to float64 */
    if (hi == EINC_FLOAT32 && dtype_kind(lo) == 1) return EINC_FLOAT64;
    return hi;
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
    case EINC_SQRT: case EINC_RSQRT: case EINC_EXP: case EINC_LOG: case EINC_LOG1P: case EINC_EXPM1:
    case EINC_SIN: case EINC_COS: case EINC_TANH: case EINC_SIGMOID: case EINC_RECIPROCAL:
        return true;
    default:
        return false;
    }
}

bool einc__ew_unary_dtype(einc_unary_op op, einc_dtype x, einc_dtype *result) {
    if (op == EINC_NEG && x == EINC_BOOL) return false;
    if (op == EINC_LOGICAL_NOT) *result = EINC_BOOL;
    else if (einc__unary_is_math(op)) *result = einc__dtype_is_float(x) ? x : EINC_FLOAT64;
    else *result = x;
    return true;
}

bool einc__ew_binary_dtypes(einc_binary_op op, einc_dtype a, int a_ndim, einc_dtype b, int b_ndim,
                            einc_dtype *compute, einc_dtype *result) {
    einc_dtype c = einc_promote_types(a, a_ndim, b, b_ndim);
    switch (op) {
    case EINC_SUB:
        if (c == EINC_BOOL) return false;
        break;
    case EINC_DIV:
    case EINC_LOGADDEXP:
        if (!einc__dtype_is_float(c)) c = EINC_FLOAT64;
        break;
    case EINC_FLOOR_DIV:
    case EINC_MOD:
    case EINC_POW:
        /* NumPy computes these in int8 for two bools; int64 is einc's nearest integer */
        if (c == EINC_BOOL) c = EINC_INT64;
        break;
    case EINC_LOGICAL_AND:
    case EINC_LOGICAL_OR:
        c = EINC_BOOL;
        break;
    default:
        break;
    }
    *compute = c;
    *result = op >= EINC_EQ && op <= EINC_GE ? EINC_BOOL : c;
    return true;
}

einc_dtype einc__reduce_dtype(einc_reduce_op op, einc_dtype in) {
    bool fl = einc__dtype_is_float(in);
    switch (op) {
    case EINC_REDUCE_SUM:
    case EINC_REDUCE_PROD: return fl ? in : EINC_INT64;
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
