/* einc/vmap.h — user-defined elementary operations: a C function vectorized by an expression.
 *
 * The expression says, in loop notation, what the function sees: the bracketed axes of each
 * operand are the function's arguments, every other axis is a loop. For
 *
 *   einc_vmap(ctx, "a [c], b [c] -> a b [c]", 2, (einc_tensor *[]){x, y}, 1, &z, &op, EINC_NO_AXES)
 *
 * the function is called once per (a, b) with args->inputs = {x[a, :], y[b, :]} and
 * args->outputs = {z[a, b, :]}, as einc tensors (views: zero-copy, valid only during the call)
 * that it reads and writes with any einc function:
 *
 *   static einc_status add_rows(einc_ctx *ctx, const einc_vmap_args *args, void *user) {
 *       einc_tensor *s = einc_tensor_add(ctx, args->inputs[0], args->inputs[1]);   // [c]
 *       return einc_tensor_copy_(ctx, args->outputs[0], s);
 *   }
 *   einc_vmap_op op = {.fn = add_rows};
 *
 * With EINC_VMAP_WITH_AXIS the function is called once, with whole tensors, and told which axes
 * are its arguments (einx 0.3's vmap_with_axis, NumPy's `axis=`): every operand is presented with
 * the loop axes first (in the output's order; an input lacking one is broadcast, stride 0) and its
 * bracketed axes last, so a NumPy-like reduction needs no loop at all:
 *
 *   static einc_status my_sum(einc_ctx *ctx, const einc_vmap_args *args, void *user) {
 *       // "a [b] -> a": inputs[0] is [a, b], axes = {1}; outputs[0] is [a]
 *       einc_tensor *s = einc_tensor_sum(ctx, args->inputs[0], args->naxes, args->axes, false);
 *       return einc_tensor_copy_(ctx, args->outputs[0], s);
 *   }
 *   einc_vmap_op op = {.fn = my_sum, .flags = EINC_VMAP_WITH_AXIS};
 *
 * Rules (those of every einx operation): the number of expressions must match the tensors
 * (ValueError); "+" is not allowed and the output may not repeat a vectorized axis
 * (SemanticError); a vectorized input axis longer than 1 must appear in an output; the lengths of
 * the outputs' bracketed axes must follow from the inputs' shapes and the constraints. Without
 * "->" and with one input the output expression is the input's. A bracketed group inside
 * parentheses is one argument dimension ("[(h w)]" and "(h [w])" are 1-D arguments), in the
 * outputs and, when its axes lie in one dimension of the tensor as in "(h w)", in the inputs.
 */
#ifndef EINC_VMAP_H
#define EINC_VMAP_H

#include "notation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the function receives. */
typedef struct einc_vmap_args {
    int ninputs, noutputs;
    einc_tensor *const *inputs;  /* read them; do not write, release or keep them               */
    einc_tensor *const *outputs; /* write every element (they start as zeros)                   */
    int nloops;                  /* the loop (vectorized) axes, in the outputs' order            */
    const int64_t *index;        /* per-call mode: this call's position in the loops; else NULL  */
    int naxes;                   /* EINC_VMAP_WITH_AXIS: inputs[0]'s argument axes, i.e.         */
    const int *axes;             /*   nloops ... ndim - 1 (every operand's last dims)            */
} einc_vmap_args;

/** The function: returns EINC_OK, or a status (after recording an error with einc_set_error, or
 * else einc_vmap records one naming the call's index). It runs in a scope of its own: every
 * tensor it creates is released when it returns. */
typedef einc_status (*einc_vmap_fn)(einc_ctx *ctx, const einc_vmap_args *args, void *user);

/** The function takes whole tensors and the axes to work on (see above). */
#define EINC_VMAP_WITH_AXIS 1u

typedef struct einc_vmap_op {
    einc_vmap_fn fn;
    void *user;       /* passed to fn                                               */
    unsigned flags;   /* EINC_VMAP_WITH_AXIS                                        */
    einc_dtype dtype; /* the dtype of every output (zero-initialised: float32)      */
} einc_vmap_op;

/** Runs `op` as the elementary operation of `expr` on `ninputs` tensors and stores `noutputs`
 * new contiguous tensors (of op->dtype) in `outputs`. The function is called on the calling
 * thread, once per loop position in row-major order (or once, with EINC_VMAP_WITH_AXIS).
 * Inputs are never modified; calls are not recorded for gradients. On failure every outputs[i]
 * is NULL and the error is recorded: the notation's errors, EINC_EVALUE for counts,
 * EINC_EINVAL for NULL arguments, EINC_EUNSUPPORTED for an input whose bracketed group cannot be
 * viewed as one dimension ("([h] a [w])"), or the function's own status. */
EINC_API einc_status einc_vmap(einc_ctx *ctx, const char *expr, int ninputs, einc_tensor *const *inputs, int noutputs,
                               einc_tensor **outputs, const einc_vmap_op *op, einc_axes axes);

#ifdef __cplusplus
}
#endif
#endif /* EINC_VMAP_H */
