/* einc/attention.h — fused scaled dot-product attention, named by the notation.
 *
 *   out = einc_attention(ctx, "... N d, ... M d, ... M e -> ... N e", q, k, v, EINC_NO_AXES, NULL);
 *
 * computes softmax over M of (scale * q.k + bias) times v — the same function as
 *   einc_dot(ctx, "... N M, ... M e -> ... N e",
 *            einc_softmax(ctx, "... N [M]", scale * einc_dot(ctx, "... N d, ... M d -> ... N M", q, k)), v)
 * without ever forming the N x M scores (FlashAttention's tiling, docs/attention.md): the extra
 * memory is O((N + M)(d + e)) per thread, whatever N and M are.
 */
#ifndef EINC_ATTENTION_H
#define EINC_ATTENTION_H

#include "notation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of einc_attention; NULL means all defaults (a zeroed struct). */
typedef struct einc_attention_options {
    /** The factor of the scores: 0 means 1 / sqrt(d) (d the contraction axis' length); any
     * other finite value is used as given. NaN or infinity is an EINC_EVALUE error. */
    double scale;
    /** Query i sees keys j <= i only (PyTorch's is_causal: the mask aligned to the top left,
     * also when N != M). */
    bool causal;
    /** An additive float bias on the scores, or a bool mask (true: the query attends to the
     * key; false: it does not, as PyTorch's boolean attn_mask, i.e. a bias of 0 and -inf),
     * broadcast with NumPy's rules to (batch axes in the output's order..., N, M); e.g. (N, M),
     * (1, M) or (B, 1, N, M) for "b h N d, b h M d, b h M e -> b h N e". NULL: none. Gradients
     * flow into a float bias. */
    einc_tensor *bias;
} einc_attention_options;

/** Fused attention. The expression names the roles by where each axis appears:
 *    batch axes   in q, k, v and the output ("..." or named; any number, any order)
 *    N (queries)  in q and the output only        M (keys)   in k and v only
 *    d            in q and k only (contracted)    e          in v and the output only
 * Each role but batch is exactly one axis; every dimension is one named axis (or an ellipsis of
 * one); N != M and d != e are allowed. Name d and e apart even when equal in length
 * ("... N d, ... M d, ... M e -> ... N e"): an axis in all four is a batch axis, as in einc_dot.
 * `axes` are the usual constraints (EINC_NO_AXES for none). q, k, v may be any strided views
 * (nothing is copied); float32 or float64 (mixed: float64). Rows whose scores are all -inf give
 * NaN, as the unfused softmax does. Records gradients for q, k, v and the bias.
 * Errors: EINC_ESYNTAX / ERANK / EAXISSIZE as for every expression (with einx's carets),
 * EINC_ESEMANTIC for an expression whose roles are not as above (caret under the axis),
 * EINC_ESHAPE for a bias that does not broadcast, EINC_EDTYPE for non-float inputs (or a bias
 * neither float nor bool), EINC_EVALUE
 * for a bad scale, EINC_EINVAL for NULL arguments. */
EINC_API einc_tensor *einc_attention(einc_ctx *ctx, const char *expr, einc_tensor *q, einc_tensor *k, einc_tensor *v,
                                     einc_axes axes, const einc_attention_options *options);

#ifdef __cplusplus
}
#endif
#endif /* EINC_ATTENTION_H */
