/* einc/autograd.h — reverse-mode automatic differentiation (a dynamic tape, like PyTorch's).
 *
 * Mark the parameters, compute as usual, call einc_backward on the loss, read the gradients:
 *
 *   einc_requires_grad(w, true);                              // w: a float leaf tensor
 *   for (int step = 0; step < n; step++) {
 *       einc_scope_begin(ctx);
 *       einc_tensor *err  = einc_tensor_sub(ctx, einc_tensor_matmul(ctx, x, w), y);
 *       einc_tensor *loss = einc_tensor_mean(ctx, einc_tensor_mul(ctx, err, err), EINC_ALL, false);
 *       einc_backward(ctx, loss, NULL);                       // w's .grad += d loss / d w
 *       bool was = einc_set_grad_enabled(ctx, false);         // the update is not recorded
 *       einc_tensor_copy_(ctx, w, einc_tensor_sub(ctx, w, einc_mul_scalar(ctx, einc_grad(ctx, w), lr)));
 *       einc_set_grad_enabled(ctx, was);
 *       einc_zero_grad(w);
 *       einc_scope_end(ctx);                                  // frees the step's graph too
 *   }
 *
 * Recording. While gradients are enabled in the context (the default), every differentiable
 * operation that has at least one input requiring grad records a node in the graph, and its
 * float outputs require grad. Tensors marked with einc_requires_grad are LEAVES; only leaves
 * accumulate a gradient readable with einc_grad (PyTorch's .grad semantics; there is no
 * retain_grad). Differentiable raw operations: every view (view/reshape, permute/transpose,
 * squeeze/unsqueeze, expand, slice/narrow/select with any step, diagonal, flip), contiguous,
 * clone and cast between float dtypes; the elementwise unary operations neg, abs, sign, square,
 * sqrt, rsqrt, exp, log, log1p, expm1, sin, cos, tanh, sigmoid, relu, floor, ceil, round (sign,
 * floor, ceil, round have gradient 0) and reciprocal; the binary add, sub, mul, div, pow, maximum,
 * minimum, logaddexp, mod (d/db = -floor(a / b)) and floor_div (gradient 0); where (with respect
 * to x and y); einc_mul_scalar and einc_add_scalar; the reductions sum, mean, var, std, prod, max,
 * min and logsumexp; softmax and log_softmax; matmul (1-d and broadcast batch operands included),
 * bmm and conv2d_1x1 (with respect to x, w and bias). Not differentiable (their outputs never
 * require grad): comparisons, logical operations, argmax/argmin, any/all/count_nonzero, casts
 * to integer or bool dtypes. Inputs that were broadcast (by a binary operation, matmul's batch
 * dimensions or einc_tensor_expand) receive the gradient summed over the broadcast dimensions.
 *
 * Conventions follow PyTorch where a choice exists: the gradient of max/min is split evenly among
 * tied elements, maximum/minimum give half to each operand on ties, relu'(0) = 0, abs'(0) = 0,
 * d/dx sqrt(x) at 0 is +inf, std'(x) is 0 where the std is 0, d/db pow(a, b) is 0 where a == 0
 * and b >= 0, and d/da pow(a, b) is 0 where b == 0.
 *
 * Not recorded: einc_tensor_copy_, einc_tensor_set and writes through einc_tensor_data. Modifying
 * a tensor in place after an operation used it and before einc_backward gives wrong gradients
 * (einc keeps no version counters): make parameter updates between steps, as above.
 *
 * Memory. The graph lives as long as the outputs that refer to it: a node holds references to the
 * tensors its backward rule needs (sharing their storage; releasing or ending the scope of the
 * originals is always safe) and is freed when the last output computed by it is released, so a
 * scope per training step frees each step's graph. einc_backward does not free the graph: it may
 * be called again on the same loss (gradients then accumulate again).
 *
 * Threads. Gradients, like all results, do not depend on the thread count.
 */
#ifndef EINC_AUTOGRAD_H
#define EINC_AUTOGRAD_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** einc_requires_grad: marks (on = true) or unmarks a LEAF tensor as requiring a gradient.
 * Operations recorded afterwards with `t` as an input propagate gradients to it, and
 * einc_backward accumulates them into its .grad (see einc_grad). Turning it off stops future
 * recording through `t` but keeps the .grad accumulated so far. A tensor computed by a recorded
 * operation (a non-leaf) already requires grad: on = true is a no-op for it.
 * Returns EINC_OK. Errors: NULL t is EINC_EINVAL (nothing recorded: there is no context);
 * on = true for an integer or bool tensor is EINC_EDTYPE; on = false for a non-leaf is EINC_EINVAL
 * (use einc_detach, or compute it with gradients disabled). */
EINC_API einc_status einc_requires_grad(einc_tensor *t, bool on);

/** einc_tensor_requires_grad: true for a leaf marked with einc_requires_grad and for every output of
 * a recorded operation; false otherwise and for NULL. */
EINC_API bool einc_tensor_requires_grad(const einc_tensor *t);

/** einc_backward: back-propagates from `loss` through the graph that computed it and ADDS the
 * gradient of `loss` with respect to every leaf that requires grad into that leaf's .grad
 * (creating it on the first call; gradients accumulate across calls until einc_zero_grad).
 *   grad_output == NULL: `loss` must have exactly one element; its gradient is 1.
 *   grad_output given:   the vector of the vector-Jacobian product, of loss's shape (any strides,
 *                        any float dtype: converted to loss's dtype); the result equals the
 *                        gradient of sum(loss * grad_output).
 * `loss` may itself be a leaf (its .grad then receives grad_output or 1). The graph is kept, so
 * the same loss may be back-propagated again. Gradients are recorded in each tensor's own dtype;
 * the temporaries are freed before returning and never appear in the caller's scope. Gradients are
 * not recorded while it runs (no higher-order gradients). On failure no leaf's .grad is changed.
 * Returns EINC_OK or the error status (recorded): NULL ctx/loss EINC_EINVAL; a loss that does
 * not require grad EINC_EINVAL; grad_output NULL with a loss of more than one element, or a
 * grad_output whose shape differs from loss's, EINC_ESHAPE; a non-float grad_output EINC_EDTYPE;
 * EINC_ENOMEM. Needs one free scope level (at most 254 open scopes). */
EINC_API einc_status einc_backward(einc_ctx *ctx, einc_tensor *loss, einc_tensor *grad_output);

/** einc_grad: the gradient accumulated in leaf `t` by einc_backward, as a new handle in the
 * current scope that shares the gradient's storage (it sees later accumulation and
 * einc_zero_grad; writing through it changes the stored gradient). Same shape and dtype as `t`,
 * contiguous. Returns NULL without recording an error when `t` has no gradient (never
 * back-propagated to, not a leaf, or NULL); EINC_ENOMEM (recorded) when the handle cannot be
 * allocated. */
EINC_API einc_tensor *einc_grad(einc_ctx *ctx, einc_tensor *t);

/** einc_zero_grad: sets the gradient accumulated in leaf `t` to zeros, in place (the buffer is
 * kept for the next step; handles from einc_grad see the zeros). No-op when `t` has no gradient.
 * Returns EINC_OK; NULL t is EINC_EINVAL (nothing recorded). */
EINC_API einc_status einc_zero_grad(einc_tensor *t);

/** einc_set_grad_enabled: switches the recording of operations on (the default) or off (PyTorch's
 * no_grad: nothing is recorded, outputs do not require grad, leaves keep requiring grad).
 * Returns the previous setting, so `bool was = einc_set_grad_enabled(ctx, false); ...;
 * einc_set_grad_enabled(ctx, was);` nests. NULL ctx: returns false. */
EINC_API bool einc_set_grad_enabled(einc_ctx *ctx, bool enabled);

/** einc_is_grad_enabled: the current setting (false for NULL). */
EINC_API bool einc_is_grad_enabled(const einc_ctx *ctx);

/** einc_detach: a new handle in the current scope sharing `t`'s storage, shape and strides, outside
 * any graph: it does not require grad (PyTorch's detach). Errors: NULL t (EINC_EINVAL), EINC_ENOMEM. */
EINC_API einc_tensor *einc_detach(einc_ctx *ctx, einc_tensor *t);

/** A function for einc_gradcheck: computes an output from `inputs` (the array given to
 * einc_gradcheck) with einc operations, returning a tensor of the current scope, or NULL with an
 * error recorded. It must be deterministic and must not modify the inputs. */
typedef einc_tensor *(*einc_gradcheck_fn)(einc_ctx *ctx, einc_tensor *const *inputs, void *user);

/** einc_gradcheck: checks einc_backward's gradients of fn against central finite differences.
 * With out = fn(inputs) and r a fixed pseudo-random tensor of out's shape (values in [0.5, 1.5]
 * with random signs, independent of the context's generator), the analytical gradient of
 * L = sum(out * r) (einc_backward(out, r)) is compared, for every element j of every input i,
 * with (L(x_ij + eps) - L(x_ij - eps)) / (2 eps), computed in float64 with gradients disabled:
 * they agree when |analytical - numerical| <= atol + rtol * |numerical|.
 * `inputs` [ninputs] must be float64 leaves that require grad and are not broadcast views (a
 * stride 0 in a dimension longer than 1 would perturb several elements at once; broadcast inside
 * fn instead); any other strides (transposed, sliced, negative) are fine. The inputs' values and
 * gradients are restored before returning, and all temporaries are released. A sensible choice:
 * eps = 1e-6, atol = 1e-5, rtol = 1e-4 (for inputs of order 1).
 * Returns EINC_OK when every element agrees. Errors (recorded): on the first mismatch EINC_EVALUE
 * with a message naming the input, the element (flat index and coordinates) and both values,
 * e.g. "einc_gradcheck: input #1 of shape (2, 3), element 4 (1, 1): analytical gradient 0.5 but
 * numerical 0.25 (|difference| 0.25 > atol 1e-05 + rtol 0.0001 * |numerical|)"; NULL ctx, fn or
 * input, ninputs < 1, eps <= 0, an input that is a non-leaf, does not require grad or is a broadcast
 * view: EINC_EINVAL; a non-float64 input or a non-float output: EINC_EDTYPE; fn returning NULL:
 * its error (EINC_EINVAL if it recorded none); EINC_ENOMEM. */
EINC_API einc_status einc_gradcheck(einc_ctx *ctx, einc_gradcheck_fn fn, void *user, int ninputs,
                                    einc_tensor *const *inputs, double eps, double atol, double rtol);

#ifdef __cplusplus
}
#endif
#endif /* EINC_AUTOGRAD_H */
