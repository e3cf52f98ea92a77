/* einc.h — einx notation for C.
 *
 * The umbrella header: include this one. Each part documents its functions:
 *   einc/core.h         context, sticky errors, scopes, allocator, threads, dtypes
 *   einc/tensor.h       tensors: creation, access, views, copies, printing
 *   einc/elementwise.h  raw elementwise operations, dtype promotion
 *   einc/reduce.h       raw reductions, softmax, log_softmax
 *   einc/linalg.h       matmul, bmm, 1x1 convolution
 *   einc/autograd.h     reverse-mode gradients: requires_grad, backward, grad, gradcheck
 *   einc/io.h           .npy files
 *   einc/safetensors.h  state dicts (named tensors) and safetensors files
 *   einc/notation.h     the einx operations: einc_id, einc_dot, einc_sum, einc_softmax, ...
 *   einc/solve.h        solving expressions: einc_solve_axes, einc_solve_shapes, einc_matches
 *   einc/vmap.h         user-defined elementary operations: einc_vmap
 *   einc/compat03.h     einx 0.3 code: shorthands, reduce/elementwise(op=...), arange
 *   einc/nn.h           layers: Linear, 1x1 Conv2d, multi-head attention; SGD, Adam
 */
#ifndef EINC_H
#define EINC_H

#include "einc/core.h"
#include "einc/tensor.h"
#include "einc/elementwise.h"
#include "einc/reduce.h"
#include "einc/linalg.h"
#include "einc/autograd.h"
#include "einc/io.h"
#include "einc/safetensors.h"
#include "einc/notation.h"
#include "einc/solve.h"
#include "einc/vmap.h"
#include "einc/compat03.h"
#include "einc/attention.h"
#include "einc/nn.h"

#endif /* EINC_H */
