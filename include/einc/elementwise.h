/* einc/elementwise.h — the raw (index-based) elementwise operations.
 *
 * Inputs may have any strides: non-contiguous, broadcast (stride 0) or negative. Results are new
 * contiguous tensors in the current scope (see einc_scope_begin); the inputs are never modified.
 * Binary operations broadcast like NumPy (shapes aligned at the end; a size-1 dimension
 * stretches), else EINC_ESHAPE naming both shapes:
 *
 *   einc_tensor_add(ctx, x, bias)     x [B, N, C] + bias [C]      -> [B, N, C]
 *   einc_tensor_mul(ctx, col, row)    col [N, 1] * row [M]        -> [N, M]
 *
 * Dtype promotion (NumPy 1.x rules; docs/dtypes.md has the full table):
 *   - float16 and bfloat16 compute in float32 and round to nearest even on store; uint8, int8
 *     and int16 compute in int32 and wrap on store (NumPy's results); uint64 computes in uint64
 *     (wrapping; negation wraps, as NumPy's); math functions of uint8 and int8 give float16, of
 *     int16 float32; bfloat16 with float16 gives float32;
 *   - kinds are ordered bool < integer < floating; within a kind the wider type wins;
 *     int32 with float32 gives float64, int64 with float32 gives float64 (as NumPy does); uint64
 *     with a signed integer (int8 ... int64) gives float64, which NumPy chooses because no
 *     integer holds both;
 *   - a 0-d operand never widens an n-d operand of the same or a higher kind: float32[...] * 0-d
 *     float64 stays float32 (NumPy's value-based casting for scalars), int32[...] + 0-d int64 is
 *     int32. Unlike NumPy, the rule does not look at the 0-d operand's value: it is converted to
 *     the n-d operand's dtype as einc_tensor_cast would (int64 -> int32 wraps). A 0-d operand of a
 *     higher kind, or two operands of the same rank class, promote normally;
 *   - each operand is converted to the promoted dtype (the "compute dtype") before the operation.
 *
 * Result dtypes (C = the promoted dtype of the operands):
 *   - arithmetic (add, sub, mul, floor_div, mod, pow, maximum, minimum) gives C, except that
 *     floor_div, mod and pow of two bools give int64 (NumPy gives int8, which einc lacks) and sub
 *     of two bools is EINC_EDTYPE (as in NumPy; use EINC_NE for exclusive or);
 *   - div (true division) and logaddexp give C when C is floating, else float64;
 *   - comparisons (eq ... ge) compare in C and give bool; logical_and/or/not test each operand
 *     for nonzero (NaN is nonzero) and give bool;
 *   - math functions (sqrt, rsqrt, exp, log, log1p, expm1, sin, cos, tanh, sigmoid, reciprocal)
 *     keep float dtypes and give float64 for integers and bools (NumPy's float16 for bools and
 *     its integer reciprocal are not followed);
 *   - neg, abs, sign, square, relu, floor, ceil and round keep the dtype, bool included (the bool
 *     result equals the input); neg of bool is EINC_EDTYPE (as in NumPy; use EINC_LOGICAL_NOT).
 *
 * Integer arithmetic wraps around on overflow (two's complement, as NumPy's does). Integer
 * floor_div or mod by zero gives 0 (NumPy gives 0 with a warning); never a trap. Float floor_div
 * and mod follow numpy.floor_divide and numpy.remainder exactly (the remainder has the sign of the
 * divisor; x // 0 is ±inf or NaN, x mod 0 is NaN).
 *
 * Errors (recorded in the context; the function returns NULL): a NULL tensor argument
 * (EINC_EINVAL), an op value outside its enum (EINC_EINVAL), shapes that do not broadcast
 * (EINC_ESHAPE), an operation the dtypes do not support (EINC_EDTYPE), an integer pow with a
 * negative exponent (EINC_EVALUE, checked before anything is computed), a result too large to
 * address (EINC_EOVERFLOW), and out of memory (EINC_ENOMEM).
 *
 * Threads: large operations split their output over the context's threads; results never depend
 * on the thread count.
 */
#ifndef EINC_ELEMENTWISE_H
#define EINC_ELEMENTWISE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum einc_unary_op {
    EINC_NEG,    /* -x        (bool: EINC_EDTYPE)                          */
    EINC_ABS,    /* |x|  (integers: |INT_MIN| wraps to INT_MIN, like NumPy) */
    EINC_SIGN,   /* -1, 0, 1 (NaN stays NaN)                               */
    EINC_SQUARE, /* x*x                                                    */
    EINC_SQRT,   /* sqrt(x); NaN for x < 0                                 */
    EINC_RSQRT,  /* 1/sqrt(x)                                              */
    EINC_EXP,
    EINC_LOG,
    EINC_LOG1P,
    EINC_EXPM1,
    EINC_SIN,
    EINC_COS,
    EINC_TANH,
    EINC_SIGMOID, /* 1/(1+exp(-x)), stable for large |x|                    */
    EINC_RELU,    /* max(x, 0) (NaN stays NaN); keeps the dtype             */
    EINC_FLOOR,   /* keeps integer dtypes                                   */
    EINC_CEIL,
    EINC_ROUND,      /* half to even, like NumPy                               */
    EINC_RECIPROCAL, /* 1/x (integers: float64, not NumPy's integer 1/x)      */
    EINC_LOGICAL_NOT /* bool result                                            */
} einc_unary_op;

typedef enum einc_binary_op {
    EINC_ADD,
    EINC_SUB,
    EINC_MUL,
    EINC_DIV,       /* true division                                       */
    EINC_FLOOR_DIV, /* floor(a / b), NumPy semantics for ints and floats   */
    EINC_POW,       /* ints: negative exponent is EINC_EVALUE; 0**0 = 1    */
    EINC_MAXIMUM,   /* NaN propagates, like NumPy                          */
    EINC_MINIMUM,
    EINC_LOGADDEXP, /* log(exp(a) + exp(b)), stable                        */
    EINC_EQ,
    EINC_NE,
    EINC_LT,
    EINC_LE,
    EINC_GT,
    EINC_GE,
    EINC_LOGICAL_AND, /* nonzero is true; bool result                        */
    EINC_LOGICAL_OR,
    EINC_MOD /* a - floor_div(a, b) * b: sign of b, like numpy.mod  */
} einc_binary_op;

/** einc_unary_op_name, einc_binary_op_name: the operation's name ("exp", "add", "floor_div",
 * ...), as used in error messages; "invalid" for a value outside the enum. Never NULL. */
EINC_API const char *einc_unary_op_name(einc_unary_op op);
EINC_API const char *einc_binary_op_name(einc_binary_op op);

/** einc_promote_types: the dtype both operands of a binary operation are converted to, for
 * operands of these dtypes and ranks (see the rules above; ndim 0 is a 0-d operand, anything else
 * an n-d one). Symmetric. Returns (einc_dtype)-1 if either dtype is not a valid einc_dtype. The
 * operation's result dtype may differ (comparisons give bool, ...). */
EINC_API einc_dtype einc_promote_types(einc_dtype a, int a_ndim, einc_dtype b, int b_ndim);

/** einc_tensor_unary: y = op(x) elementwise. y has x's shape and the dtype given by the rules
 * above. Errors: NULL x, invalid op (EINC_EINVAL), neg of bool (EINC_EDTYPE), EINC_ENOMEM. */
EINC_API einc_tensor *einc_tensor_unary(einc_ctx *ctx, einc_unary_op op, einc_tensor *x);

/** einc_tensor_binary: y = op(a, b) elementwise with broadcasting and promotion.
 *   a [..., N, 1], b [M] -> y [..., N, M]   (broadcast shape of a and b)
 * Errors: NULL a or b, invalid op (EINC_EINVAL); shapes that do not broadcast (EINC_ESHAPE, the
 * message names both shapes); sub of two bools (EINC_EDTYPE); integer pow with a negative
 * exponent (EINC_EVALUE); EINC_EOVERFLOW; EINC_ENOMEM. */
EINC_API einc_tensor *einc_tensor_binary(einc_ctx *ctx, einc_binary_op op, einc_tensor *a, einc_tensor *b);

/** einc_tensor_where: out = cond ? x : y elementwise (numpy.where with three arguments).
 * cond may have any dtype (nonzero is true, NaN included); x and y are promoted together with
 * einc_promote_types (cond does not take part); all three broadcast together:
 *   cond [N, 1], x [N, M], y []  -> out [N, M]
 * Errors: NULL argument (EINC_EINVAL); shapes that do not broadcast (EINC_ESHAPE, naming all
 * three); EINC_EOVERFLOW; EINC_ENOMEM. */
EINC_API einc_tensor *einc_tensor_where(einc_ctx *ctx, einc_tensor *cond, einc_tensor *x, einc_tensor *y);

/** einc_mul_scalar: x * s, keeping x's dtype when it is floating (s is first rounded to float32
 * for a float32 x, as NumPy does with a Python float); integers and bools become float64.
 * Same shape as x. Errors: NULL x, EINC_ENOMEM. */
EINC_API einc_tensor *einc_mul_scalar(einc_ctx *ctx, einc_tensor *x, double s);
/** einc_add_scalar: x + s, with the same dtype rule as einc_mul_scalar. */
EINC_API einc_tensor *einc_add_scalar(einc_ctx *ctx, einc_tensor *x, double s);

/* One-line conveniences for the most common operations: einc_tensor_exp(ctx, x) is
 * einc_tensor_unary(ctx, EINC_EXP, x) and einc_tensor_add(ctx, a, b) is
 * einc_tensor_binary(ctx, EINC_ADD, a, b), with the same shapes, dtypes and errors (messages
 * name the convenience function). */
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
