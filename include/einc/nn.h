/* einc/nn.h — a small layer set: Linear, 1x1 Conv2d, multi-head self-attention (written two ways),
 * PyTorch's default initialisation, and the SGD and Adam optimisers.
 *
 * Modules own their parameters: init creates them (requiring gradients, in the root of the
 * module's own references, so they outlive any scope) and *_free releases them. Parameters are
 * named as PyTorch names them ("weight", "bias"; "qkv.weight", "proj.bias" for attention), so a
 * PyTorch state_dict saved as safetensors loads directly (einc_mha_load).
 */
#ifndef EINC_NN_H
#define EINC_NN_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A named parameter of a module (the tensor is borrowed from the module). */
typedef struct einc_param {
    const char *name;
    einc_tensor *tensor;
} einc_param;

/* ---------------------------------------------------------------------------------------------
 * Initialisation (PyTorch's defaults, drawn from the context's generator).
 */

/** Fills `t` (float) in place with U(-bound, bound), bound = gain * sqrt(3 / fan_in) with
 * gain = sqrt(2 / (1 + a^2)): torch.nn.init.kaiming_uniform_(t, a). fan_in = t's size divided by
 * its first dimension. With a = sqrt(5) (what Linear and Conv2d use) bound = 1 / sqrt(fan_in). */
EINC_API einc_status einc_init_kaiming_uniform(einc_ctx *ctx, einc_tensor *t, double a);
/** Fills `t` in place with U(lo, hi). */
EINC_API einc_status einc_init_uniform(einc_ctx *ctx, einc_tensor *t, double lo, double hi);

/* ---------------------------------------------------------------------------------------------
 * Linear: y [..., out] = x [..., in] @ weight[out, in]^T + bias[out].
 */
typedef struct einc_linear {
    int64_t in_features, out_features;
    einc_tensor *weight; /* [out, in]           */
    einc_tensor *bias;   /* [out], or NULL      */
} einc_linear;

/** Creates the parameters (float32) with PyTorch's default initialisation: weight kaiming-uniform
 * with a = sqrt(5), bias U(+-1/sqrt(in)). Errors: EINC_EVALUE for sizes < 1. */
EINC_API einc_status einc_linear_init(einc_ctx *ctx, einc_linear *m, int64_t in_features, int64_t out_features,
                                      bool bias);
/** x [..., in] -> [..., out] (written with einc_dot: "... i, o i -> ... o"). A float16 or
 * bfloat16 result (half x and parameters) is computed in float32 and rounded once. */
EINC_API einc_tensor *einc_linear_forward(einc_ctx *ctx, const einc_linear *m, einc_tensor *x);
/** The parameters ("weight", "bias"); returns the count (at most 2) written to `out`. */
EINC_API int einc_linear_params(const einc_linear *m, einc_param *out, int cap);
EINC_API void einc_linear_free(einc_linear *m);

/* ---------------------------------------------------------------------------------------------
 * Conv2d with a 1x1 kernel, as torch.nn.Conv2d(in, out, kernel_size=1).
 */
typedef struct einc_conv1x1 {
    int64_t in_channels, out_channels;
    einc_tensor *weight; /* [out, in, 1, 1]     */
    einc_tensor *bias;   /* [out], or NULL      */
} einc_conv1x1;

/** Parameters as torch.nn.Conv2d initialises them (fan_in = in_channels). */
EINC_API einc_status einc_conv1x1_init(einc_ctx *ctx, einc_conv1x1 *m, int64_t in_channels, int64_t out_channels,
                                       bool bias);
/** x [B, in, H, W] -> [B, out, H, W]. */
EINC_API einc_tensor *einc_conv1x1_forward(einc_ctx *ctx, const einc_conv1x1 *m, einc_tensor *x);
EINC_API int einc_conv1x1_params(const einc_conv1x1 *m, einc_param *out, int cap);
EINC_API void einc_conv1x1_free(einc_conv1x1 *m);

/* ---------------------------------------------------------------------------------------------
 * Multi-head self-attention over the pixels of an image, as in the einx-vs-PyTorch notebook:
 * (B, C, H, W) -> (B, C, H, W), qkv = Conv2d(C, 3C, 1), proj = Conv2d(C, C, 1), scale
 * head_dim^-0.5. Three forwards over the same parameters:
 *   einc_mha_forward_notation — einx notation (rearrange / dot / softmax / dot / rearrange),
 *   einc_mha_forward_raw      — view / permute / contiguous / bmm / softmax over dim -1,
 *   einc_mha_forward_fused    — the notation one with the attention done by einc_attention
 *                               (einc/attention.h): no N x N scores, O(N) extra memory.
 */
typedef struct einc_mha {
    int64_t channels, heads;
    einc_conv1x1 qkv, proj;
} einc_mha;

/** Errors: EINC_EVALUE when channels % heads != 0 or either is < 1. */
EINC_API einc_status einc_mha_init(einc_ctx *ctx, einc_mha *m, int64_t channels, int64_t heads);
/** Errors: EINC_ESHAPE for an input that is not (B, C, H, W) with C = channels. */
EINC_API einc_tensor *einc_mha_forward_notation(einc_ctx *ctx, const einc_mha *m, einc_tensor *x);
EINC_API einc_tensor *einc_mha_forward_raw(einc_ctx *ctx, const einc_mha *m, einc_tensor *x);
EINC_API einc_tensor *einc_mha_forward_fused(einc_ctx *ctx, const einc_mha *m, einc_tensor *x);
/** "qkv.weight", "qkv.bias", "proj.weight", "proj.bias"; returns the count written (4). */
EINC_API int einc_mha_params(const einc_mha *m, einc_param *out, int cap);
/** Copies every parameter's values from `src` (same sizes; EINC_ESHAPE otherwise). */
EINC_API einc_status einc_mha_copy_params(einc_ctx *ctx, einc_mha *dst, const einc_mha *src);
EINC_API void einc_mha_free(einc_mha *m);

typedef struct einc_state einc_state; /* einc/safetensors.h */

/** Loads "qkv.weight", "qkv.bias", "proj.weight", "proj.bias" from a state dict (a PyTorch
 * state_dict saved as safetensors): every name must be present with the module's shape
 * (EINC_EINDEX naming the missing name, EINC_ESHAPE naming the mismatch); float64 values are
 * converted. Extra entries are ignored. */
EINC_API einc_status einc_mha_load_state(einc_ctx *ctx, einc_mha *m, const einc_state *state);
/** A new state dict holding the parameters under PyTorch's names (free with einc_state_free). */
EINC_API einc_state *einc_mha_state(einc_ctx *ctx, const einc_mha *m);
/** A new state dict holding the parameters' gradients (zeros where a parameter has none). */
EINC_API einc_state *einc_mha_grad_state(einc_ctx *ctx, const einc_mha *m);

/* ---------------------------------------------------------------------------------------------
 * Optimisers over a list of parameters (borrowed: they must outlive the optimiser). step() reads
 * each parameter's gradient (einc_grad) and updates the parameter in place, without recording a
 * graph; parameters without a gradient are skipped.
 */
typedef struct einc_optimizer einc_optimizer;

/** SGD with momentum (PyTorch's formulation: v = momentum * v + g; p -= lr * v). */
EINC_API einc_optimizer *einc_sgd_create(einc_ctx *ctx, const einc_param *params, int n, double lr, double momentum);
/** Adam (PyTorch's defaults: beta1 0.9, beta2 0.999, eps 1e-8), with bias correction. */
EINC_API einc_optimizer *einc_adam_create(einc_ctx *ctx, const einc_param *params, int n, double lr, double beta1,
                                          double beta2, double eps);
/** One update. */
EINC_API einc_status einc_optimizer_step(einc_ctx *ctx, einc_optimizer *opt);
/** Zeroes the gradients of the optimiser's parameters. */
EINC_API einc_status einc_optimizer_zero_grad(einc_optimizer *opt);
EINC_API void einc_optimizer_free(einc_optimizer *opt);

#ifdef __cplusplus
}
#endif
#endif /* EINC_NN_H */
