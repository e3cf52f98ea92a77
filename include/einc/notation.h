/* einc/notation.h — einx operations: tensor operations written as named-axis expressions.
 *
 *   qkv  = einc_id(ctx, "... (qkv nh dh) H W -> qkv ... nh (H W) dh", x,
 *                  EINC_AXES({"qkv", 3}, {"nh", nh}, {"dh", dh}));
 *   attn = einc_dot(ctx, "... N dh, ... M dh -> ... N M", q, k);
 *   attn = einc_softmax(ctx, "... N [M]", einc_mul_scalar(ctx, attn, scale));
 *   out  = einc_dot(ctx, "... N M, ... M d -> ... N d", attn, v);
 *
 * The notation is einx 0.4.3's (docs/notation.md has the grammar, every operation with the einx
 * Python line beside the einc C line, and the differences). Each call compiles the expression for
 * the given shapes, dtypes and constraints into a plan, cached in the context, and runs it: a
 * repeated call with the same key does no parsing and no plan allocation.
 *
 * Errors follow einx's classes and layout: EINC_ESYNTAX (SyntaxError), EINC_ESEMANTIC
 * (SemanticError), EINC_ERANK (RankError), EINC_EAXISSIZE (AxisSizeError), EINC_EVALUE (ValueError),
 * each with the message, the expression, a caret line under the offending characters, the
 * equations and the call's arguments, e.g.
 *
 *   AxisSizeError: Failed to uniquely determine the size of the axes a, b. Please provide more constraints.
 *   Expression: "(a b) c -> a b c"
 *                 ^ ^       ^ ^
 *   ...
 *
 * Results: `id` (and `flip`) return a view of the input whenever the strides allow it (like NumPy's
 * reshape/transpose/flip), otherwise a new tensor; all other operations return new tensors. Results
 * belong to the current scope, like every tensor einc returns.
 */
#ifndef EINC_NOTATION_H
#define EINC_NOTATION_H

#include "core.h"
#ifdef __cplusplus
#include <initializer_list>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Axis constraints: name = length; several entries with the same name form a tuple, one length per
 * repetition of the ellipsis around that axis.
 *
 *   EINC_AXES({"nh", 4}, {"dh", 8})              nh=4, dh=8
 *   EINC_AXES({"ds", 2}, {"ds", 3})              ds=(2, 3)
 *   EINC_AXES({"b", EINC_EMPTY_TUPLE})           b=(): zero repetitions
 *   EINC_AXES({"a", EINC_TUPLE}, {"a", 4})       a=(4,): a tuple of one value (one repetition),
 *                                                where {"a", 4} alone is a scalar for every one
 *   EINC_NO_AXES                                 no constraints
 * Constraints for names the expression does not use are ignored (as in einx). The struct has just
 * the two fields so that {"nh", 4} compiles cleanly under -Wall -Wextra.
 */
typedef struct einc_axis {
    const char *name;
    int64_t value;
} einc_axis;

typedef struct einc_axes {
    int n;
    const einc_axis *v;
} einc_axes;

#ifndef __cplusplus
#define EINC_AXES(...)                                                                           \
    ((einc_axes){(int)(sizeof((einc_axis[]){__VA_ARGS__}) / sizeof(einc_axis)), (einc_axis[]){__VA_ARGS__}})
#define EINC_NO_AXES ((einc_axes){0, (const einc_axis *)0})
#else
/* C++: the entries live in an initializer list's array, which lasts until the end of the full
 * expression; so pass EINC_AXES(...) straight to the operation (keep an einc_axis array, not an
 * einc_axes value, to reuse constraints). A value must convert to int64_t without narrowing. */
extern "C++" {
namespace einc_detail {
inline einc_axes make_axes(std::initializer_list<einc_axis> list) {
    einc_axes axes = {(int)list.size(), list.begin()};
    return axes;
}
} // namespace einc_detail
}
#define EINC_AXES(...) (einc_detail::make_axes({__VA_ARGS__}))
#define EINC_NO_AXES (einc_axes{0, (const einc_axis *)0})
#endif
/** The value of an entry that stands for the empty tuple "b=()". Entries of the same name after it
 * append to the tuple, so it also starts a tuple explicitly: {"a", EINC_TUPLE}, {"a", 4} is
 * "a=(4,)". */
#define EINC_EMPTY_TUPLE INT64_MIN
#define EINC_TUPLE EINC_EMPTY_TUPLE

/** Parses constraints written as text: "nh=4, dh=8", tuples as "ds=(2, 2)" or "ds=2,2" (a bare
 * number after a value continues its tuple: "nh=4, ds=2,2" is nh=4 and ds=(2, 2)), and "b=()" for
 * an empty tuple, "r=(4,)" for a tuple of one. Writes up to `cap` entries to `out` (a parenthesised
 * tuple takes an EINC_TUPLE entry and one per value, "ds=2,2" one per value; names
 * point into `names`, a caller buffer of `names_size` bytes that receives copies) and the count
 * to *n. Errors: EINC_EVALUE with the offending text (a value must be an integer). */
EINC_API einc_status einc_axes_parse(einc_ctx *ctx, const char *text, einc_axis *out, int cap, int *n,
                                     char *names, size_t names_size);

/* ---------------------------------------------------------------------------------------------
 * Operations.
 */
typedef enum einc_op {
    /* rearrangement */
    EINC_OP_ID,
    EINC_OP_REARRANGE, /* einx 0.3 name of id */
    /* contraction */
    EINC_OP_DOT,
    /* reductions */
    EINC_OP_SUM, EINC_OP_MEAN, EINC_OP_VAR, EINC_OP_STD, EINC_OP_PROD, EINC_OP_COUNT_NONZERO, EINC_OP_ANY,
    EINC_OP_ALL, EINC_OP_MAX, EINC_OP_MIN, EINC_OP_LOGSUMEXP,
    /* elementwise */
    EINC_OP_ADD, EINC_OP_SUBTRACT, EINC_OP_MULTIPLY, EINC_OP_DIVIDE, EINC_OP_TRUE_DIVIDE, EINC_OP_FLOOR_DIVIDE,
    EINC_OP_LOGADDEXP, EINC_OP_MAXIMUM, EINC_OP_MINIMUM, EINC_OP_LESS, EINC_OP_LESS_EQUAL, EINC_OP_GREATER,
    EINC_OP_GREATER_EQUAL, EINC_OP_EQUAL, EINC_OP_NOT_EQUAL, EINC_OP_LOGICAL_AND, EINC_OP_LOGICAL_OR, EINC_OP_WHERE,
    /* normalisation */
    EINC_OP_SOFTMAX, EINC_OP_LOG_SOFTMAX,
    /* indexing */
    EINC_OP_GET_AT, EINC_OP_SET_AT, EINC_OP_ADD_AT, EINC_OP_SUBTRACT_AT,
    /* argfind, sorting, flip, roll */
    EINC_OP_ARGMAX, EINC_OP_ARGMIN, EINC_OP_SORT, EINC_OP_ARGSORT, EINC_OP_FLIP, EINC_OP_ROLL,
    EINC_OP_COUNT_ /* number of operations */
} einc_op;

/** The einx name of an operation ("id", "dot", "sum", "floor_divide", ...). */
EINC_API const char *einc_op_name(einc_op op);
/** The operation with that einx name, or -1. */
EINC_API int einc_op_from_name(const char *name);

/** Options of some operations (zero-initialise; NULL means all defaults). */
typedef struct einc_op_options {
    bool keepdims;                /* reductions: each bracket group stays a length-1 axis (implicit output only) */
    int nshift;                   /* roll: 1 (every bracketed axis by shift[0]) or one per bracketed axis */
    int64_t shift[EINC_MAX_DIMS]; /* roll: the shifts                                                   */
} einc_op_options;

/** The array form every operation has: runs `op` on `ninputs` tensors and stores `noutputs` new
 * tensors in `outputs` (which must equal the number of output expressions). On failure every
 * outputs[i] is NULL and the error is recorded. */
EINC_API einc_status einc_apply(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                                int noutputs, einc_tensor **outputs, einc_axes axes, const einc_op_options *options);

/** Writes the plan einc runs for this call to `buf` (snprintf-like; returns the needed length or
 * -1 on error): the resolved expression, every axis length, and each step with its shapes and
 * whether it copies — einx's graph=True. Does not run the operation. */
EINC_API int64_t einc_explain(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                              einc_axes axes, const einc_op_options *options, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------------
 * Convenience forms: one result; the constraints argument may be left out.
 *   einc_id(ctx, "b (h w) c -> b c h w", x, EINC_AXES({"h", 16}))
 *   einc_sum(ctx, "b [h w] c", x)
 * Each is also a real function taking the einc_axes argument (call it as (einc_id)(...) to bypass
 * the macro, e.g. through a function pointer).
 */
EINC_API einc_tensor *einc_id(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_rearrange(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_dot(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_reduce(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_sum(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_mean(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_var(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_std(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_prod(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_max(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_min(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_any(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_all(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_count_nonzero(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_logsumexp(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_elementwise(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *a, einc_tensor *b,
                                       einc_axes axes);
EINC_API einc_tensor *einc_add(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_subtract(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_multiply(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_divide(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_maximum(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_minimum(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
EINC_API einc_tensor *einc_where(einc_ctx *ctx, const char *expr, einc_tensor *cond, einc_tensor *x, einc_tensor *y,
                                 einc_axes axes);
EINC_API einc_tensor *einc_softmax(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_log_softmax(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);

/* argmax, argmin, sort, argsort, flip, roll (einx 0.4.3; docs/notation.md §3.6, §3.7). One input,
 * one new result in the current scope, NULL on error (recorded).
 *
 * einc_argmax / einc_argmin: int64 coordinates of the first maximum / minimum over the bracketed
 *   axes (NaN counts as the extreme, like NumPy: the first NaN wins). "b [h w] c -> b [2] c" gives,
 *   along the output's bracketed axis, one coordinate per bracketed input axis in input order (the
 *   flat row-major index unravelled); implicit output = the input with its one bracket group
 *   replaced by that axis ("a [b] c" -> shape (a, 1, c)); with one bracketed input axis the output
 *   may have none ("a [b] c -> a c"). The output's bracketed axis must have as many entries as the
 *   input has bracketed axes (a written "[3]" for two is a SemanticError).
 * einc_sort / einc_argsort: ascending along the ONE bracketed axis, stable (equal values keep their
 *   order, so argsort is NumPy's argsort(kind="stable")), NaN last; -0.0 and 0.0 compare equal.
 *   argsort gives int64 positions. Any dtype; sort keeps it.
 * einc_flip: reverses every bracketed axis; a view of x (negative strides) when the output's
 *   layout allows it, like einc_id, else a new tensor.
 * einc_roll: np.roll along every bracketed axis: element i moves to (i + shift) mod length;
 *   EINC_SHIFT(s) shifts every bracketed axis by s, EINC_SHIFT(s1, s2, ...) gives one shift per
 *   bracketed axis in the order they appear (any integers: negative, or beyond the length).
 *   A shift count that is neither 1 nor the number of bracketed axes is EINC_EVALUE. (With
 *   einc_apply: einc_op_options.nshift/.shift; leaving nshift 0 is EINC_EVALUE "roll requires
 *   shift".) "shift" cannot be an axis name of roll (SemanticError).
 * The shape-preserving four (sort, argsort, flip, roll) have output = input by default, and the
 * bracketed axes must appear in the same order in input and output; vectorized axes may move
 * ("a [b] c -> c a [b]"). Gradients: flip, roll and sort (values) are differentiable.
 *
 *   einc_tensor *idx = einc_argmax(ctx, "b [h w] c", x);             // (b, 2, c) int64
 *   einc_tensor *top = einc_sort(ctx, "b [n]", scores);
 *   einc_tensor *y   = einc_roll(ctx, "b [h w] c", x, EINC_SHIFT(1, -2));
 */
typedef struct einc_shift {
    int n;
    int64_t v[EINC_MAX_DIMS];
} einc_shift;
#ifndef __cplusplus
#define EINC_SHIFT(...) ((einc_shift){(int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), {__VA_ARGS__}})
#else
extern "C++" {
namespace einc_detail {
template <class... T> inline einc_shift make_shift(T... v) {
    einc_shift shift = {(int)sizeof...(T), {static_cast<int64_t>(v)...}};
    return shift;
}
} // namespace einc_detail
}
#define EINC_SHIFT(...) (einc_detail::make_shift(__VA_ARGS__))
#endif

EINC_API einc_tensor *einc_argmax(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_argmin(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_sort(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_argsort(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_flip(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
EINC_API einc_tensor *einc_roll(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_shift shift, einc_axes axes);

/* The macros that make the constraints optional: einc_dot(ctx, e, a, b) == einc_dot(ctx, e, a, b, EINC_NO_AXES). */
#define EINC__NARGS(...) EINC__NARGS_(__VA_ARGS__, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define EINC__NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, N, ...) N
#define EINC__CAT(a, b) EINC__CAT_(a, b)
#define EINC__CAT_(a, b) a##b
#define EINC__OPT1_3(f, ctx, e, x) (f)(ctx, e, x, EINC_NO_AXES)
#define EINC__OPT1_4(f, ctx, e, x, ax) (f)(ctx, e, x, ax)
#define EINC__OPT2_4(f, ctx, e, a, b) (f)(ctx, e, a, b, EINC_NO_AXES)
#define EINC__OPT2_5(f, ctx, e, a, b, ax) (f)(ctx, e, a, b, ax)
#define EINC__OPT3_5(f, ctx, e, a, b, c) (f)(ctx, e, a, b, c, EINC_NO_AXES)
#define EINC__OPT3_6(f, ctx, e, a, b, c, ax) (f)(ctx, e, a, b, c, ax)
#define EINC__UNARY(f, ...) EINC__CAT(EINC__OPT1_, EINC__NARGS(__VA_ARGS__))(f, __VA_ARGS__)
#define EINC__BINARY(f, ...) EINC__CAT(EINC__OPT2_, EINC__NARGS(__VA_ARGS__))(f, __VA_ARGS__)
#define EINC__TERNARY(f, ...) EINC__CAT(EINC__OPT3_, EINC__NARGS(__VA_ARGS__))(f, __VA_ARGS__)

#define einc_id(...) EINC__UNARY(einc_id, __VA_ARGS__)
#define einc_rearrange(...) EINC__UNARY(einc_rearrange, __VA_ARGS__)
#define einc_dot(...) EINC__BINARY(einc_dot, __VA_ARGS__)
#define einc_sum(...) EINC__UNARY(einc_sum, __VA_ARGS__)
#define einc_mean(...) EINC__UNARY(einc_mean, __VA_ARGS__)
#define einc_var(...) EINC__UNARY(einc_var, __VA_ARGS__)
#define einc_std(...) EINC__UNARY(einc_std, __VA_ARGS__)
#define einc_prod(...) EINC__UNARY(einc_prod, __VA_ARGS__)
#define einc_max(...) EINC__UNARY(einc_max, __VA_ARGS__)
#define einc_min(...) EINC__UNARY(einc_min, __VA_ARGS__)
#define einc_any(...) EINC__UNARY(einc_any, __VA_ARGS__)
#define einc_all(...) EINC__UNARY(einc_all, __VA_ARGS__)
#define einc_count_nonzero(...) EINC__UNARY(einc_count_nonzero, __VA_ARGS__)
#define einc_logsumexp(...) EINC__UNARY(einc_logsumexp, __VA_ARGS__)
#define einc_add(...) EINC__BINARY(einc_add, __VA_ARGS__)
#define einc_subtract(...) EINC__BINARY(einc_subtract, __VA_ARGS__)
#define einc_multiply(...) EINC__BINARY(einc_multiply, __VA_ARGS__)
#define einc_divide(...) EINC__BINARY(einc_divide, __VA_ARGS__)
#define einc_maximum(...) EINC__BINARY(einc_maximum, __VA_ARGS__)
#define einc_minimum(...) EINC__BINARY(einc_minimum, __VA_ARGS__)
#define einc_where(...) EINC__TERNARY(einc_where, __VA_ARGS__)
#define einc_softmax(...) EINC__UNARY(einc_softmax, __VA_ARGS__)
#define einc_log_softmax(...) EINC__UNARY(einc_log_softmax, __VA_ARGS__)
#define einc_argmax(...) EINC__UNARY(einc_argmax, __VA_ARGS__)
#define einc_argmin(...) EINC__UNARY(einc_argmin, __VA_ARGS__)
#define einc_sort(...) EINC__UNARY(einc_sort, __VA_ARGS__)
#define einc_argsort(...) EINC__UNARY(einc_argsort, __VA_ARGS__)
#define einc_flip(...) EINC__UNARY(einc_flip, __VA_ARGS__)
#define einc_roll(...) EINC__BINARY(einc_roll, __VA_ARGS__) /* (ctx, expr, x, shift[, axes]) */

/* ---------------------------------------------------------------------------------------------
 * Indexing (einx get_at, set_at, add_at, subtract_at) with one coordinate tensor; several
 * coordinate tensors go through einc_apply (EINC_OP_GET_AT, ...: the value tensor, the
 * coordinate tensors, then for *_at the updates).
 *
 *   emb = einc_get_at(ctx, "[v] c, b t -> b t c", table, ids);              embedding lookup
 *   y   = einc_get_at(ctx, "b [h w] c, b p [2] -> b p c", x, points);      p points of (h, w)
 *   y   = einc_add_at(ctx, "[v] c, b t, b t c", table, ids, grads);         scatter-add rows
 *
 * The value tensor's bracketed axes are indexed; the coordinates (int32 or int64) give one value
 * per indexed axis, in order: a coordinate tensor's bracketed axis (at most one) lists several,
 * a coordinate tensor without brackets gives one. Vectorized axes are matched by name between
 * the value, coordinates, updates and output (missing ones broadcast). Coordinates follow Python:
 * -n <= c < n for an axis of length n, a negative c counts from the end; anything else is an
 * EINC_EINDEX error naming the value, the axis and its length, raised before anything is
 * written. Other errors: the expression's (EINC_ESEMANTIC etc., as for every operation; e.g.
 * "The sum of the lengths of marked coordinate axes (3) must match the number of marked axes in
 * the first input expression (2)."), EINC_EDTYPE for non-integer coordinates and for add_at /
 * subtract_at on bool values, EINC_ENOMEM.
 *
 * get_at needs "->"; its output has no brackets and is `x`'s dtype. set_at/add_at/subtract_at
 * return a NEW tensor (the inputs are never modified; einx's NumPy backend writes into x): x's
 * dtype, the output expression (default: x's expression) with x's bracketed axes in the same
 * order; `updates` (no brackets, converted to x's dtype) may have axes the output lacks, which
 * are scattered over. Duplicate coordinates: add_at/subtract_at accumulate every update
 * (np.add.at); set_at keeps the update that comes last in row-major order of the loop over the
 * updates' axes. Results do not depend on the number of threads. An empty coordinate or update
 * tensor makes *_at return a copy of x, whatever the expression (as einx does). Gradients flow to
 * x and the updates (set_at: only through the elements and updates that reach the output).
 */
EINC_API einc_tensor *einc_get_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords, einc_axes axes);
EINC_API einc_tensor *einc_set_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords,
                                  einc_tensor *updates, einc_axes axes);
EINC_API einc_tensor *einc_add_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords,
                                  einc_tensor *updates, einc_axes axes);
EINC_API einc_tensor *einc_subtract_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords,
                                       einc_tensor *updates, einc_axes axes);
#define einc_get_at(...) EINC__BINARY(einc_get_at, __VA_ARGS__)
#define einc_set_at(...) EINC__TERNARY(einc_set_at, __VA_ARGS__)
#define einc_add_at(...) EINC__TERNARY(einc_add_at, __VA_ARGS__)
#define einc_subtract_at(...) EINC__TERNARY(einc_subtract_at, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* EINC_NOTATION_H */
