/* grad_notation.h — pieces of the notation operations' gradients (grad_notation.c) shared with
 * the rules of the families kept in their own files (private). Every rule works in leaf space:
 * see grad_notation.c. */
#ifndef EINC_AUTOGRAD_GRAD_NOTATION_H
#define EINC_AUTOGRAD_GRAD_NOTATION_H

#include "../plan/plan.h"
#include "autograd.h"

/* A view of t with one dimension per leaf of op (broadcast leaves stride 0); NULL for NULL t. */
einc_tensor *einc__notation_leaf_view(einc_ctx *ctx, einc_tensor *t, const einc__operand *op);
/* g has one dim per leaf of `aligned` (an input aligned to an output, broadcast leaves included):
 * sums the broadcast dims away and adds the rest into acc (a tensor of the input's shape) through
 * the input's leaves. */
einc_status einc__notation_scatter_add(einc_ctx *ctx, einc_tensor *acc, const einc__operand *aligned, einc_tensor *g);
/* A zero tensor of input i's shape, in its float dtype (float64 for other dtypes). */
einc_tensor *einc__notation_zeros_for(einc_ctx *ctx, const einc__ag_node *node, int i);

/* grad_sorting.c: records the node of a flip, roll or sort call (nothing for argmax, argmin and
 * argsort, whose int64 results carry no gradient). Same contract as einc__notation_record. */
einc_status einc__notation_record_sorting(einc_ctx *ctx, einc__plan *p, einc_tensor *const *inputs,
                                          einc_tensor **outputs);

/* grad_indexing.c: the tensors an indexing call's backward keeps (the coordinates; NULL for the
 * other inputs; returns the count written to saved [ninputs]) and the backward itself (its payload
 * is grad_notation.c's: the plan). */
int einc__index_saved(const einc__plan *p, int ninputs, einc_tensor *const *inputs, einc_tensor **saved);
einc_status einc__index_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                 einc_tensor **grad_inputs);

#endif /* EINC_AUTOGRAD_GRAD_NOTATION_H */
