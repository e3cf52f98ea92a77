/* einc/compat03.h — einx 0.3 code: the functions and shorthands einx 0.4 removed.
 *
 *   einx 0.3 (Python)                                   einc (C)
 *   einx.dot("b [c1->c2]", x, w)                        einc_dot03(ctx, "b [c1->c2]", x, w, EINC_NO_AXES)
 *   einx.add("b... [c]", x, bias)                       einc_elementwise_named(ctx, "add", "b... [c]", x, bias,
 * EINC_NO_AXES) einx.reduce("a [b]", x, op="sum")                   einc_reduce_named(ctx, "sum", "a [b]", x,
 * EINC_NO_AXES) einx.elementwise("a, b -> a b", x, y, op="add")     einc_elementwise_named(ctx, "add", "a, b -> a b",
 * x, y, EINC_NO_AXES) einx.vmap_with_axis("a [b]", x, op="softmax")       einc_vmap_with_axis_named(ctx, "softmax", "a
 * [b]", x, EINC_NO_AXES) einx.arange("a b [2]", a=5, b=6)                    einc_arange(ctx, "a b [2]", EINC_INT32,
 * EINC_AXES({"a", 5}, {"b", 6})) einx.check("a b, b", x, y)                          einc_check(ctx, "a b, b", 2,
 * shapes, EINC_NO_AXES)    (einc/solve.h) einx.rearrange("b c -> c b", x)                     einc_rearrange(ctx, "b c
 * -> c b", x)                 (einc/notation.h)
 *
 * Each 0.3 call is rewritten into the 0.4 form and then runs as every other operation (plans are
 * cached by the rewritten expression; error messages quote it). The rewriting:
 *   - "|" is "->" (0.3's spelling: "a b | b a", "b [c1|c2]");
 *   - dot with one input expression and two tensors: the second tensor's expression is the list of
 *     the bracketed names of the input and the output, in order of appearance, each once, with
 *     its ellipses: "b [c_in] -> b [c_out]" is "b c_in, c_in c_out -> b c_out",
 *     "[a b] -> [a c]" is "a b, a b c -> a c", "b... [c1->c2]" is "b... c1, c1 c2 -> b... c2"
 *     (without "->" the output is the input: "a [b]" is "a b, b -> a b");
 *   - elementwise operations without "->" with one expression and two tensors: the second tensor's
 *     expression is the bracketed part: "b [c]" is "b c, c", "b... (g [c])" is "b... (g c), (c)";
 *   - reductions: keepdims together with "->" is a ValueError ("keepdims cannot be given when
 *     using '->'"), and an implicit output needs brackets ("No axes are marked for reduction");
 *   - arange: "a b [2]" (input = the output without its brackets) or "a b -> b a [2]": one int
 *     coordinate per input axis (0, 1, ...), stacked in input order along the single bracketed
 *     axis, whose length is the number of the output's other axes (it may be a name: "a b [n]").
 */
#ifndef EINC_COMPAT03_H
#define EINC_COMPAT03_H

#include "notation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of einc_apply03 (zero-initialise; NULL means all defaults). */
typedef struct einc_options03 {
    const char *op; /* reduce / elementwise / vmap_with_axis: the operation's name ("sum", "add", "softmax") */
    bool keepdims;  /* reductions with an implicit output: each bracket group stays as a length-1 axis */
    int nshift;     /* roll: 1 (every bracketed axis) or one shift per bracketed axis             */
    int64_t shift[EINC_MAX_DIMS];
} einc_options03;

/** The array form of every einx 0.3 function. `func` is the 0.3 name: "rearrange", "check", "dot",
 * the reductions ("sum" ... "logsumexp"), the elementwise operations ("add" ... "where"), "softmax",
 * "log_softmax", "flip", "roll", "sort", "argsort", the indexing operations ("get_at", "set_at",
 * "add_at", "subtract_at", with 0.4's rules), "arange", or "reduce" / "elementwise" /
 * "vmap_with_axis" with options->op naming the operation. Every other einc operation name ("id",
 * "argmax", ...) runs with 0.4's rules, "|" read as "->". Runs it on `ninputs` tensors and stores
 * `noutputs` new tensors in `outputs` ("check" has none; "arange" takes no input and gives an
 * int32 tensor). "vmap_with_axis" runs the named einc operation with its 0.4 rules (a reduction's
 * implicit output drops the bracketed axes). On failure every outputs[i] is NULL and the error is
 * recorded: the notation's errors for the rewritten expression, EINC_EVALUE for 0.3's own rules
 * (unknown function or operation, counts, keepdims with "->", markers) and EINC_EINVAL for NULL
 * arguments. */
EINC_API einc_status einc_apply03(einc_ctx *ctx, const char *func, const char *expr, int ninputs,
                                  einc_tensor *const *inputs, int noutputs, einc_tensor **outputs, einc_axes axes,
                                  const einc_options03 *options);
/** einc_explain (einc/notation.h) for einx 0.3 code: the plan of the 0.4 call that einc_apply03
 * would run for the same arguments, as text into buf (size bytes, NUL-terminated, truncated if
 * short; buf may be NULL with size 0). Returns the text's full length, or -1 with the error
 * recorded (einc_apply03's errors; EINC_EVALUE for "arange" and "check", which run no einx
 * operation).
 *
 *   einc_explain03(ctx, "dot", "b [c_in->c_out]", 2, (einc_tensor *[]){x, w}, EINC_NO_AXES, NULL, buf, sizeof buf);
 */
EINC_API int64_t einc_explain03(einc_ctx *ctx, const char *func, const char *expr, int ninputs,
                                einc_tensor *const *inputs, einc_axes axes, const einc_options03 *options, char *buf,
                                size_t size);

/** einx 0.3's dot, with the one-expression shorthand for two tensors (see above). */
EINC_API einc_tensor *einc_dot03(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes);
/** einx 0.3's reduce(expr, x, op=op): op is a reduction's name ("sum", "mean", "var", "std", "prod",
 * "count_nonzero", "any", "all", "max", "min", "logsumexp"). */
EINC_API einc_tensor *einc_reduce_named(einc_ctx *ctx, const char *op, const char *expr, einc_tensor *x,
                                        einc_axes axes);
/** einx 0.3's elementwise(expr, a, b, op=op) and einx.add(...) etc.: op is an elementwise
 * operation's name ("add", "multiply", "less", ...), with the "b [c]" shorthand. Use einc_apply03
 * for one or three tensors. */
EINC_API einc_tensor *einc_elementwise_named(einc_ctx *ctx, const char *op, const char *expr, einc_tensor *a,
                                             einc_tensor *b, einc_axes axes);
/** einx 0.3's vmap_with_axis(expr, x, op=op) for a named operation ("softmax", "log_softmax",
 * "flip", "sort", "argsort", a reduction, ...). For a C function of your own use einc_vmap
 * (einc/vmap.h) with EINC_VMAP_WITH_AXIS. */
EINC_API einc_tensor *einc_vmap_with_axis_named(einc_ctx *ctx, const char *op, const char *expr, einc_tensor *x,
                                                einc_axes axes);
/** einx 0.3's arange(expr, dtype=...): a new contiguous tensor of coordinates (see above), e.g.
 * "a b [2]" with a=5, b=6 is (5, 6, 2) with [i, j] = (i, j). `dtype` is an integer or float
 * dtype (0.3's default was int32). Every axis length must come from `axes` or the expression. */
EINC_API einc_tensor *einc_arange(einc_ctx *ctx, const char *expr, einc_dtype dtype, einc_axes axes);

#ifdef __cplusplus
}
#endif
#endif /* EINC_COMPAT03_H */
