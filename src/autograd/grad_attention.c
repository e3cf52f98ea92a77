/* grad_attention.c — the gradient of einc_attention: the fused backward (FlashAttention-2's
 * recomputation of the score tiles from q, k and the saved log-sum-exp), never the N x M scores. */
#include "../drivers/drivers.h"
#include "autograd.h"

/* saved: q, k, v, bias (or NULL), out, lse; payload: the dimension map. */
static einc_status attention_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                      einc_tensor **grad_inputs) {
    const einc__attn_map *map = node->payload;
    einc_tensor *const *s = node->saved;
    einc_tensor *zero[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < 4; i++)
        if (s[i] && einc__ag_wants(node, i)) {
            zero[i] = einc_tensor_zeros(ctx, s[i]->dtype, s[i]->ndim, s[i]->shape);
            if (!zero[i]) return einc_errcode(ctx);
        }
    einc__attn a = einc__attention_views(map, s[0], s[1], s[2], s[4], s[5], s[3]);
    einc__attention_grad_views(&a, map, grad_outputs[0], zero[0], zero[1], zero[2], zero[3]);
    int64_t n = 1;
    for (int i = 0; i < map->nb + 2; i++) n *= map->scores[i];
    if (n > 0) {
        einc_status st = einc__attention_run(ctx, &a, true);
        if (st != EINC_OK) return st;
    }
    for (int i = 0; i < 4; i++) grad_inputs[i] = zero[i];
    return einc__ag_check(node, grad_inputs);
}

einc_tensor *einc__rule_attention(einc_ctx *ctx, einc_tensor *out, einc_tensor *lse, einc_tensor *q, einc_tensor *k,
                                  einc_tensor *v, einc_tensor *bias, const einc__attn_map *map) {
    einc_tensor *inputs[4] = {q, k, v, bias};
    einc_tensor *saved[6] = {q, k, v, bias, out, lse};
    return einc__ag_record1(ctx, "einc_attention", out, 4, inputs, attention_backward, 6, saved, map, sizeof *map);
}
