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
#define EINC_AXES(...)                                                                                                 \
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
 * to *n. Returns EINC_OK, or the status it records in ctx: EINC_EVALUE with the offending text (a
 * value must be an integer; `cap` entries or `names_size` bytes too few), EINC_EINVAL for NULL
 * arguments. Nothing is allocated; `out` stays valid as long as `names`.
 *
 *   einc_axis ax[8]; char names[64]; int n;
 *   einc_axes_parse(ctx, "nh=4, ds=(2, 2)", ax, 8, &n, names, sizeof names);  // n = 4 entries
 *   y = einc_id(ctx, expr, x, (einc_axes){n, ax});
 */
EINC_API einc_status einc_axes_parse(einc_ctx *ctx, const char *text, einc_axis *out, int cap, int *n, char *names,
                                     size_t names_size);

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
    EINC_OP_SUM,
    EINC_OP_MEAN,
    EINC_OP_VAR,
    EINC_OP_STD,
    EINC_OP_PROD,
    EINC_OP_COUNT_NONZERO,
    EINC_OP_ANY,
    EINC_OP_ALL,
    EINC_OP_MAX,
    EINC_OP_MIN,
    EINC_OP_LOGSUMEXP,
    /* elementwise */
    EINC_OP_ADD,
    EINC_OP_SUBTRACT,
    EINC_OP_MULTIPLY,
    EINC_OP_DIVIDE,
    EINC_OP_TRUE_DIVIDE,
    EINC_OP_FLOOR_DIVIDE,
    EINC_OP_LOGADDEXP,
    EINC_OP_MAXIMUM,
    EINC_OP_MINIMUM,
    EINC_OP_LESS,
    EINC_OP_LESS_EQUAL,
    EINC_OP_GREATER,
    EINC_OP_GREATER_EQUAL,
    EINC_OP_EQUAL,
    EINC_OP_NOT_EQUAL,
    EINC_OP_LOGICAL_AND,
    EINC_OP_LOGICAL_OR,
    EINC_OP_WHERE,
    /* normalisation */
    EINC_OP_SOFTMAX,
    EINC_OP_LOG_SOFTMAX,
    /* indexing */
    EINC_OP_GET_AT,
    EINC_OP_SET_AT,
    EINC_OP_ADD_AT,
    EINC_OP_SUBTRACT_AT,
    /* argfind, sorting, flip, roll */
    EINC_OP_ARGMAX,
    EINC_OP_ARGMIN,
    EINC_OP_SORT,
    EINC_OP_ARGSORT,
    EINC_OP_FLIP,
    EINC_OP_ROLL,
    EINC_OP_COUNT_ /* number of operations */
} einc_op;

/** The einx name of an operation ("id", "dot", "sum", "floor_divide", ...): a static string the
 * caller must not free; "invalid" for a value outside the enum. No context, no error, any thread.
 *
 *   printf("%s\n", einc_op_name(EINC_OP_LOG_SOFTMAX));      // log_softmax
 */
EINC_API const char *einc_op_name(einc_op op);
/** The operation with that einx 0.4 name ("rearrange" included), or -1 for an unknown name or
 * NULL. Exact, case-sensitive match. No context, no error, any thread.
 *
 *   int op = einc_op_from_name("sum");                        // EINC_OP_SUM
 */
EINC_API int einc_op_from_name(const char *name);

/** Options of some operations (zero-initialise; NULL means all defaults). */
typedef struct einc_op_options {
    bool keepdims;                /* reductions: each bracket group stays a length-1 axis (implicit output only) */
    int nshift;                   /* roll: 1 (every bracketed axis by shift[0]) or one per bracketed axis */
    int64_t shift[EINC_MAX_DIMS]; /* roll: the shifts                                                   */
} einc_op_options;

/** The array form every operation has: runs `op` on `ninputs` tensors and stores `noutputs` new
 * tensors in `outputs` (which must equal the number of output expressions). Every form above is
 * this call with one output; use it for several inputs or outputs (concatenation, splits, n-ary
 * elementwise, dot of three), for scalars, and for options (keepdims, roll's shift).
 * Ownership: each outputs[i] belongs to the current scope (an id output may be a view of an input,
 * see einc_id). Returns EINC_OK, or the status of the error it records (the first one stays): on
 * failure every outputs[i] is NULL. Errors: those of the convenience forms below; EINC_EVALUE when
 * `noutputs` differs from the expression's outputs or the input count from its inputs; EINC_EINVAL
 * for an op value outside the enum, a NULL expr, inputs or outputs array, a NULL input tensor,
 * more than 16 inputs or invalid constraints.
 *
 *   einc_tensor *parts[3];
 *   einc_apply(ctx, EINC_OP_ID, "b (q + k + v) -> b q, b k, b v", 1, &x, 3, parts,
 *              EINC_AXES({"q", 2}, {"k", 3}), NULL);
 */
EINC_API einc_status einc_apply(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                                int noutputs, einc_tensor **outputs, einc_axes axes, const einc_op_options *options);

/** Writes the plan einc runs for this call to `buf` (snprintf-like; returns the needed length or
 * -1 on error): the resolved expression, every axis length, and each step with its shapes and
 * whether it copies — einx's graph=True. Does not run the operation and does not use or fill the
 * plan cache. `buf` may be NULL when `size` is 0 (to ask for the length); the text is always
 * NUL-terminated when size > 0 and cut at size - 1 bytes. Errors: as einc_apply's (recorded in
 * ctx; the return value is then -1).
 *
 *   char plan[4096];
 *   einc_explain(ctx, EINC_OP_DOT, "b i, i j -> b j", 2, (einc_tensor *[]){x, w}, EINC_NO_AXES, NULL,
 *                plan, sizeof plan);
 */
EINC_API int64_t einc_explain(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                              einc_axes axes, const einc_op_options *options, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------------
 * Convenience forms: one result; the constraints argument may be left out.
 *   einc_id(ctx, "b (h w) c -> b c h w", x, EINC_AXES({"h", 16}))
 *   einc_sum(ctx, "b [h w] c", x)
 * Each is also a real function taking the einc_axes argument (call it as (einc_id)(...) to bypass
 * the macro, e.g. through a function pointer).
 *
 * What every function below shares (the doc blocks only say what differs):
 *   Result   one tensor, owned by the context's current scope like every tensor einc returns:
 *            einc_scope_end releases it unless einc_keep moved it to the enclosing scope;
 *            einc_tensor_release releases it early. `id` and `flip` may return a view sharing the
 *            input's storage (docs/notation.md §7); every other result is a new contiguous tensor.
 *            Inputs are never modified.
 *   Errors   NULL, with the first error recorded in ctx (einc_errcode, einc_errmsg): a NULL input
 *            is EINC_EINVAL "sum("a [b]"): input tensor #1 is NULL" unless an earlier error is
 *            already recorded (so a chain of calls is checked once at its end); the expression's
 *            errors are einx's classes with a caret under the offending characters (EINC_ESYNTAX,
 *            EINC_ESEMANTIC, EINC_ERANK, EINC_EAXISSIZE, EINC_EVALUE), then EINC_EDTYPE for a dtype
 *            the operation does not take, EINC_EUNSUPPORTED past einc's limits (16 dimensions),
 *            EINC_ENOMEM. A NULL ctx returns NULL; a call from a thread that does not own ctx
 *            returns NULL with EINC_EBUSY (core.h).
 *   Plans    the first call with a given (expression, shapes, dtypes, constraints) compiles a plan
 *            into the context's cache; later calls run it without parsing or plan allocation.
 *   Gradients are recorded when an input requires them and the operation is differentiable
 *            (said below); integer and bool results record nothing.
 *   Threads  the work is split over the context's threads; results do not depend on their number.
 */

/** einx.id: rearranges without computing. Permutes, flattens "(h w)" and unflattens, squeezes and
 * inserts length-1 axes, broadcasts to new axes (the output may name axes the input lacks, sized by
 * `axes`), takes diagonals ("a a -> a"), and with "->" absent only checks the shape ("a b c" gives
 * a view of x). One input and one output here; several (concatenation "(a + b)", splits "b (q + k) -> b q,
 * b k", scalars) go through einc_apply with EINC_OP_ID.
 * Shapes: x (2, 12, 3) with "b (h w) c -> b c h w", h=4 gives (2, 3, 4, 3).
 * Result: a VIEW of x whenever the strides allow it (NumPy's reshape/transpose rules), else a new
 * contiguous copy; x's dtype. Differentiable.
 * Errors: the common ones, e.g. EINC_EAXISSIZE when (h w) cannot be split, EINC_ESEMANTIC when an
 * input axis is missing from the output, EINC_ESYNTAX for brackets (id takes none).
 *
 *   einc_tensor *y = einc_id(ctx, "b (h w) c -> b c h w", x, EINC_AXES({"h", 4}));
 */
EINC_API einc_tensor *einc_id(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);

/** einx 0.3's name of einc_id, kept by einx 0.4 as an alias: the same function in every respect
 * (0.3's "|" spelling of "->" is einc_apply03's, einc/compat03.h).
 *
 *   einc_tensor *y = einc_rearrange(ctx, "b c h w -> b (h w) c", x);
 */
EINC_API einc_tensor *einc_rearrange(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);

/** einx.dot: contracts a and b as einsum does, lowered to batched GEMM. Without brackets every
 * input axis missing from the output is contracted ("b c_in, c_in c_out -> b c_out"); with brackets
 * exactly the bracketed axes are ("b [c_in], [c_in] c_out -> b c_out"), and a contracted name must
 * appear in exactly two inputs. Axes in both inputs and the output are batch axes; "->" is required.
 * Shapes: q (2, 4, 64, 8), k (2, 4, 64, 8) with "... N dh, ... M dh -> ... N M" give (2, 4, 64, 64).
 * Result: a new tensor of the operands' promoted dtype (int32 with float32 is float64, as NumPy).
 * Operands are read through their strides when a unit-stride dimension allows it (no copy).
 * Differentiable in both operands. Three or more operands: einc_apply with EINC_OP_DOT.
 * Errors: the common ones, e.g. EINC_ESEMANTIC "All contracted axes must appear in exactly two
 * input expressions", EINC_EDTYPE for bool operands.
 *
 *   einc_tensor *logits = einc_dot(ctx, "... N dh, ... M dh -> ... N M", q, k);
 */
EINC_API einc_tensor *einc_dot(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);

/* Reductions: the bracketed axes are reduced ("b [h w] c" -> (b, c)); with "->" and no brackets,
 * every input axis missing from the output is ("b h w c -> b c"); "[...]" reduces everything to a
 * 0-d tensor. The output may not contain a bracket. keepdims (each bracket group kept as a length-1
 * axis) is einc_apply's einc_op_options. Shapes: x (2, 8, 8, 3) with "b [h w] c" gives (2, 3). */

/** Any reduction chosen at run time: `op` is one of EINC_OP_SUM, MEAN, VAR, STD, PROD,
 * COUNT_NONZERO, ANY, ALL, MAX, MIN, LOGSUMEXP, and the call is that function's (below). Another
 * operation value runs that operation with the single input x, with that operation's rules and
 * errors (use einc_apply for those); a value out of range is EINC_EINVAL.
 *
 *   einc_tensor *m = einc_reduce(ctx, EINC_OP_MAX, "a [b]", x, EINC_NO_AXES);
 */
EINC_API einc_tensor *einc_reduce(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.sum over the bracketed axes. Result: a new tensor; bool and int32 give int64, int64 and the
 * floats keep their dtype (float sums accumulate in float64). Differentiable.
 *
 *   einc_tensor *pooled = einc_sum(ctx, "b [h w] c", x);      // (b, h, w, c) -> (b, c)
 */
EINC_API einc_tensor *einc_sum(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.mean over the bracketed axes. Result: a new tensor; float64 for integer and bool inputs,
 * else the input's float dtype. Differentiable.
 *
 *   einc_tensor *m = einc_mean(ctx, "b h w c -> b c", x);
 */
EINC_API einc_tensor *einc_mean(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.var: the population variance (ddof 0, NumPy's default) over the bracketed axes. Result: a
 * new tensor; float64 for integer and bool inputs, else the input's float dtype. Differentiable.
 *
 *   einc_tensor *v = einc_var(ctx, "a [b] c", x);             // (a, b, c) -> (a, c)
 */
EINC_API einc_tensor *einc_var(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.std: the population standard deviation (ddof 0) over the bracketed axes. Result: as
 * einc_var's. Differentiable (the gradient at a zero deviation is 0, as PyTorch's).
 *
 *   einc_tensor *s = einc_std(ctx, "[a] b c", x);             // (a, b, c) -> (b, c)
 */
EINC_API einc_tensor *einc_std(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.prod over the bracketed axes. Result: a new tensor; bool and int32 give int64 (integers
 * wrap around on overflow, as NumPy's), int64 and floats keep their dtype. Differentiable (exact
 * with zeros among the factors).
 *
 *   einc_tensor *p = einc_prod(ctx, "a b [c]", x);
 */
EINC_API einc_tensor *einc_prod(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.max over the bracketed axes (NaN propagates, as np.max). Result: a new tensor of x's dtype.
 * Differentiable (the gradient is split evenly among tied maxima).
 *
 *   einc_tensor *m = einc_max(ctx, "a [b] c -> c a", x);     // (a, b, c) -> (c, a)
 */
EINC_API einc_tensor *einc_max(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.min over the bracketed axes; as einc_max otherwise.
 *
 *   einc_tensor *m = einc_min(ctx, "b h w c -> b 1 1 c", x);
 */
EINC_API einc_tensor *einc_min(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.any: true where any element over the bracketed axes is nonzero (NaN is nonzero). Result: a
 * new bool tensor. Not differentiable.
 *
 *   einc_tensor *hit = einc_any(ctx, "a [b]", mask);
 */
EINC_API einc_tensor *einc_any(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.all: true where every element over the bracketed axes is nonzero. Result: a new bool
 * tensor. Not differentiable.
 *
 *   einc_tensor *ok = einc_all(ctx, "[a] b", mask);
 */
EINC_API einc_tensor *einc_all(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.count_nonzero: the number of nonzero elements over the bracketed axes. Result: a new int64
 * tensor. Not differentiable.
 *
 *   einc_tensor *n = einc_count_nonzero(ctx, "a [b]", mask);
 */
EINC_API einc_tensor *einc_count_nonzero(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.logsumexp: log(sum(exp(x))) over the bracketed axes, computed as max + log(sum(exp(x -
 * max))) so large inputs do not overflow. Result: a new tensor; float64 for integer and bool
 * inputs, else the input's float dtype. Differentiable.
 *
 *   einc_tensor *lse = einc_logsumexp(ctx, "a [b c]", x);     // (a, b, c) -> (a,)
 */
EINC_API einc_tensor *einc_logsumexp(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);

/* Elementwise (two operands here; n-ary add/multiply/maximum/minimum/logaddexp/logical_* and
 * 0-d scalars through einc_apply): operands broadcast by axis NAME, not position ("a b, b": b's
 * axis meets the second axis of a); without "->" the output is the input whose axes contain every
 * other input's (else EINC_ESEMANTIC "could not determine the output"); the output may add axes
 * sized by `axes`. No brackets. Dtypes are promoted as NumPy 1.x does (docs/dtypes.md). A 0-d
 * operand is written as an empty expression: "a b, " with a 0-d tensor. */

/** Any binary elementwise operation chosen at run time: `op` is one of EINC_OP_ADD ...
 * EINC_OP_LOGICAL_OR (also the ones without a named function here: EINC_OP_TRUE_DIVIDE,
 * FLOOR_DIVIDE, LOGADDEXP, the comparisons LESS ... NOT_EQUAL, LOGICAL_AND, LOGICAL_OR).
 * Result: a new tensor of the promoted dtype; comparisons and logical operations give bool,
 * true_divide/logaddexp of integers float64, floor_divide is NumPy's. Differentiable for add,
 * subtract, multiply, divide, true_divide, maximum, minimum, logaddexp (floor_divide: zero).
 * Errors: the common ones; EINC_ESEMANTIC when `op` does not take two inputs (where takes three);
 * EINC_EINVAL for a value outside the enum.
 *
 *   einc_tensor *lt = einc_elementwise(ctx, EINC_OP_LESS, "a b, b", x, threshold, EINC_NO_AXES);
 */
EINC_API einc_tensor *einc_elementwise(einc_ctx *ctx, einc_op op, const char *expr, einc_tensor *a, einc_tensor *b,
                                       einc_axes axes);
/** einx.add: a + b, broadcast by name. Result: the promoted dtype (two bools: logical or).
 * Differentiable.
 *
 *   einc_tensor *y = einc_add(ctx, "b c, c", x, bias);       // (b, c) + (c,) -> (b, c)
 */
EINC_API einc_tensor *einc_add(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx.subtract: a - b. Result: the promoted dtype; two bools are EINC_EDTYPE (as NumPy).
 * Differentiable.
 *
 *   einc_tensor *d = einc_subtract(ctx, "a b, b -> b a", x, mean);   // (a, b) - (b,) -> (b, a)
 */
EINC_API einc_tensor *einc_subtract(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx.multiply: a * b. Result: the promoted dtype (two bools: logical and). Differentiable.
 *
 *   einc_tensor *k = einc_multiply(ctx, "a..., b... -> (a b)...", x, y);   // Kronecker product
 */
EINC_API einc_tensor *einc_multiply(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx.divide (= true_divide): a / b in floating point. Result: the promoted float dtype, float64
 * for integer and bool operands; division by zero gives inf or NaN as in IEEE arithmetic (no error).
 * Differentiable.
 *
 *   einc_tensor *r = einc_divide(ctx, "a b, b", x, norm);
 */
EINC_API einc_tensor *einc_divide(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx.maximum: the larger of a and b (NaN propagates, as np.maximum). Result: the promoted dtype.
 * Differentiable (ties split the gradient evenly).
 *
 *   einc_tensor *r = einc_maximum(ctx, "a b, a", x, floor_per_row);
 */
EINC_API einc_tensor *einc_maximum(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx.minimum: the smaller of a and b; as einc_maximum otherwise.
 *
 *   einc_tensor *r = einc_minimum(ctx, "a b, a", x, cap_per_row);
 */
EINC_API einc_tensor *einc_minimum(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx.where: x where cond is nonzero, else y; the three broadcast by name. cond may have any
 * dtype (nonzero is true, NaN included). Result: a new tensor of x's and y's promoted dtype.
 * Differentiable in x and y (cond receives no gradient).
 *
 *   einc_tensor *y = einc_where(ctx, "a b, a b, ", mask, x, einc_tensor_scalar(ctx, EINC_FLOAT32, 0));
 */
EINC_API einc_tensor *einc_where(einc_ctx *ctx, const char *expr, einc_tensor *cond, einc_tensor *x, einc_tensor *y,
                                 einc_axes axes);

/** einx.softmax jointly over the bracketed axes: exp(x - max) / sum(exp(x - max)), so large
 * inputs do not overflow. Without "->" the output has the input's shape; with it, the vectorized
 * axes may move ("a [b] c -> c a [b]") but the bracketed ones must appear in the same order.
 * Shapes: (2, 4, 64, 64) with "... N [M]" stays (2, 4, 64, 64), each row over M summing to 1.
 * Result: a new tensor of x's float dtype (float64 for integer inputs). Differentiable.
 * Errors: the common ones, e.g. EINC_ESYNTAX for "a [b] -> a b" (an axis in brackets on one side
 * only), EINC_ESEMANTIC when the bracketed axes change order.
 *
 *   einc_tensor *attn = einc_softmax(ctx, "... N [M]", logits);
 */
EINC_API einc_tensor *einc_softmax(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.log_softmax: x - logsumexp(x) jointly over the bracketed axes (more accurate than
 * log(softmax)); shapes, dtypes, gradient and errors as einc_softmax.
 *
 *   einc_tensor *logp = einc_log_softmax(ctx, "b t [vocab]", logits);
 */
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

/** einx.argmax (see the block above). Shapes: x (2, 8, 8, 3) with "b [h w] c" gives (2, 2, 3)
 * int64, [b, :, c] = (row, column) of the first maximum. Not differentiable.
 *
 *   einc_tensor *idx = einc_argmax(ctx, "b [h w] c", x);
 */
EINC_API einc_tensor *einc_argmax(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.argmin: as einc_argmax, for the first minimum.
 *
 *   einc_tensor *idx = einc_argmin(ctx, "a [b] c -> a c", x);   // (a, b, c) -> (a, c) int64
 */
EINC_API einc_tensor *einc_argmin(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.sort (see the block above): ascending, stable, NaN last, along the one bracketed axis.
 * Result: a new tensor of x's dtype and shape (or the output expression's order). Differentiable
 * (each element's gradient goes back to where it came from). Errors: the common ones, e.g.
 * EINC_ESEMANTIC "The expression for this operation must contain exactly one axis in brackets."
 *
 *   einc_tensor *s = einc_sort(ctx, "b [n]", scores);
 */
EINC_API einc_tensor *einc_sort(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.argsort: the int64 positions that sort the one bracketed axis (NumPy's
 * argsort(kind="stable")). Not differentiable.
 *
 *   einc_tensor *order = einc_argsort(ctx, "a [b] c -> c a [b]", x);   // (c, a, b) int64
 */
EINC_API einc_tensor *einc_argsort(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.flip: reverses every bracketed axis. Result: a VIEW of x with negative strides when the
 * output's layout allows it (as einc_id), else a new tensor; x's dtype. Differentiable.
 *
 *   einc_tensor *mirrored = einc_flip(ctx, "b h [w] c", image);
 */
EINC_API einc_tensor *einc_flip(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_axes axes);
/** einx.roll: np.roll along every bracketed axis (see the block above); `shift` is EINC_SHIFT(s)
 * or one shift per bracketed axis. Result: a new tensor of x's dtype and shape. Differentiable.
 * Errors: the common ones; EINC_EVALUE for a shift count that is neither 1 nor the number of
 * bracketed axes; EINC_ESEMANTIC for an axis named "shift".
 *
 *   einc_tensor *y = einc_roll(ctx, "b [h w] c", x, EINC_SHIFT(1, -2));
 */
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
/** einx.get_at (see the block above): reads x at the coordinates. Shapes: x (2, 8, 8, 3), points
 * (2, 5, 2) with "b [h w] c, b p [2] -> b p c" give (2, 5, 3). Result: a new tensor of x's dtype.
 * Differentiable in x (scattered back; coordinates get no gradient).
 *
 *   einc_tensor *emb = einc_get_at(ctx, "[v] c, b t -> b t c", table, ids);
 */
EINC_API einc_tensor *einc_get_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords, einc_axes axes);
/** einx.set_at: a NEW tensor equal to x with `updates` written at the coordinates (duplicates: the
 * update last in row-major order wins); x is not modified. Result: x's dtype and the output
 * expression's shape. Differentiable in x and the updates.
 *
 *   einc_tensor *y = einc_set_at(ctx, "b [h w] c, b p [2], b p c", x, points, values);
 */
EINC_API einc_tensor *einc_set_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords,
                                  einc_tensor *updates, einc_axes axes);
/** einx.add_at: a NEW tensor equal to x with `updates` added at the coordinates; duplicate
 * coordinates accumulate (np.add.at). Bool values are EINC_EDTYPE. Differentiable in x and the
 * updates.
 *
 *   einc_tensor *g = einc_add_at(ctx, "[v] c, b t, b t c", table, ids, grads);   // scatter-add rows
 */
EINC_API einc_tensor *einc_add_at(einc_ctx *ctx, const char *expr, einc_tensor *x, einc_tensor *coords,
                                  einc_tensor *updates, einc_axes axes);
/** einx.subtract_at: as einc_add_at, subtracting the updates.
 *
 *   einc_tensor *y = einc_subtract_at(ctx, "[h w] c, p [2], p c", x, points, values);
 */
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
