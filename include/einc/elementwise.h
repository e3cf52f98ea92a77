/* einc/elementwise.h — the raw (index-based) elementwise operations.
 *
 * Inputs may have any strides: non-contiguous, broadcast (stride 0) or negative. Results are new
 * contiguous tensors in the current scope. Binary operations broadcast like NumPy (shapes aligned
 * at the end; a size-1 dimension stretches), else EINC_ESHAPE naming both shapes.
 *
 * Dtype promotion (NumPy 1.x rules, documented in docs/dtypes.md):
 *   - kinds are ordered bool < integer < floating; within a kind the wider type wins;
 *     int32 with float32 gives float64, int64 with float32 gives float64 (as NumPy does);
 *   - a 0-d operand never widens an n-d operand of the same or a higher kind: float32[...] * 0-d
 *     float64 stays float32 (NumPy's value-based casting for scalars), int32[...] + 0-d int64 is int32;
 *   - comparisons and logical operations return bool; `div` (true division) of integers or bools
 *     returns float64; math functions (exp, log, sqrt, tanh, sigmoid, ...) of integers return float64.
 *   - integer division or modulo by zero gives 0 (NumPy gives 0 with a warning); never a trap.
 */
#ifndef EINC_ELEMENTWISE_H
#define EINC_ELEMENTWISE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum einc_unary_op {
    EINC_NEG,        /* -x        (bool: EINC_EDTYPE)                          */
    EINC_ABS,        /* |x|                                                    */
    EINC_SIGN,       /* -1, 0, 1 (NaN stays NaN)                               */
    EINC_SQUARE,     /* x*x                                                    */
    EINC_SQRT,       /* float                                                  */
    EINC_RSQRT,      /* 1/sqrt(x)                                              */
    EINC_EXP,
    EINC_LOG,
    EINC_LOG1P,
    EINC_EXPM1,
    EINC_SIN,
    EINC_COS,
    EINC_TANH,
    EINC_SIGMOID,    /* 1/(1+exp(-x)), stable for large |x|                    */
    EINC_RELU,       /* max(x, 0); keeps the dtype                             */
    EINC_FLOOR,      /* keeps integer dtypes                                   */
    EINC_CEIL,
    EINC_ROUND,      /* half to even, like NumPy                               */
    EINC_RECIPROCAL, /* 1/x                                                    */
    EINC_LOGICAL_NOT /* bool result                                            */
} einc_unary_op;

typedef enum einc_binary_op {
    EINC_ADD,
    EINC_SUB,
    EINC_MUL,
    EINC_DIV,           /* true division                                       */
    EINC_FLOOR_DIV,     /* floor(a / b), NumPy semantics for ints and floats   */
    EINC_POW,           /* ints: negative exponent is EINC_EVALUE              */
    EINC_MAXIMUM,       /* NaN propagates, like NumPy                          */
    EINC_MINIMUM,
    EINC_LOGADDEXP,     /* log(exp(a) + exp(b)), stable                        */
    EINC_EQ,
    EINC_NE,
    EINC_LT,
    EINC_LE,
    EINC_GT,
    EINC_GE,
    EINC_LOGICAL_AND,   /* nonzero is true; bool result                        */
    EINC_LOGICAL_OR
} einc_binary_op;

/** Name of the operation ("exp", "add", ...). */
EINC_API const char *einc_unary_op_name(einc_unary_op op);
EINC_API const char *einc_binary_op_name(einc_binary_op op);

/** The result dtype of a binary operation on these operand dtypes and ranks (see the rules above). */
EINC_API einc_dtype einc_promote_types(einc_dtype a, int a_ndim, einc_dtype b, int b_ndim);

/** y = op(x), elementwise. */
EINC_API einc_tensor *einc_tensor_unary(einc_ctx *ctx, einc_unary_op op, einc_tensor *x);
/** y = op(a, b), elementwise with broadcasting and promotion. */
EINC_API einc_tensor *einc_tensor_binary(einc_ctx *ctx, einc_binary_op op, einc_tensor *a, einc_tensor *b);
/** y = cond ? x : y elementwise (cond of any dtype, nonzero is true); x and y promoted; all three
 * broadcast together. */
EINC_API einc_tensor *einc_tensor_where(einc_ctx *ctx, einc_tensor *cond, einc_tensor *x, einc_tensor *y);

/** x * s, keeping x's dtype when it is floating (integers and bools become float64). */
EINC_API einc_tensor *einc_mul_scalar(einc_ctx *ctx, einc_tensor *x, double s);
/** x + s, with the same dtype rule as einc_mul_scalar. */
EINC_API einc_tensor *einc_add_scalar(einc_ctx *ctx, einc_tensor *x, double s);

/* One-line conveniences for the most common operations. */
EINC_API einc_tensor *einc_tensor_neg(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_abs(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_exp(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_log(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_sqrt(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_tanh(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_sigmoid(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_relu(einc_ctx *ctx, einc_tensor *x);
EINC_API einc_tensor *einc_tensor_add(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
EINC_API einc_tensor *einc_tensor_sub(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
EINC_API einc_tensor *einc_tensor_mul(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
EINC_API einc_tensor *einc_tensor_div(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
EINC_API einc_tensor *einc_tensor_maximum(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);
EINC_API einc_tensor *einc_tensor_minimum(einc_ctx *ctx, einc_tensor *a, einc_tensor *b);

#ifdef __cplusplus
}
#endif
#endif /* EINC_ELEMENTWISE_H */
