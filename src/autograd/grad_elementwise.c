/* grad_elementwise.c — backward rules of the elementwise operations: unary, binary (with
 * broadcasting undone by einc__ag_reduce_to_input), where, and the scalar operations.
 *
 * Each rule saves only what its derivative reads: the input x or the output y of a unary op (the
 * cheaper form: exp' = y, log' = 1/x), and for binary ops the operand the OTHER gradient needs. */
#include "autograd.h"

/* ---- unary ---------------------------------------------------------------------------------- */

typedef struct {
    einc_unary_op op;
} unary_payload;

/* What the derivative of op reads: 'x' (the input), 'y' (the output) or 0 (neither). */
static char unary_reads(einc_unary_op op) {
    switch (op) {
    case EINC_ABS:
    case EINC_SQUARE:
    case EINC_LOG:
    case EINC_LOG1P:
    case EINC_SIN:
    case EINC_COS:
    case EINC_RELU: return 'x';
    case EINC_SQRT:
    case EINC_RSQRT:
    case EINC_EXP:
    case EINC_EXPM1:
    case EINC_TANH:
    case EINC_SIGMOID:
    case EINC_RECIPROCAL: return 'y';
    default: return 0;
    }
}

static einc_status unary_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                  einc_tensor **gin) {
    const unary_payload *p = node->payload;
    einc_tensor *g = gout[0], *s = node->saved[0]; /* s: x or y, as unary_reads says */
    einc_tensor *r = NULL;
    switch (p->op) {
    case EINC_NEG: r = einc_tensor_neg(ctx, g); break;
    case EINC_ABS: r = einc_tensor_mul(ctx, g, einc_tensor_unary(ctx, EINC_SIGN, s)); break;
    case EINC_SQUARE: r = einc_tensor_mul(ctx, g, einc_mul_scalar(ctx, s, 2.0)); break;
    case EINC_SQRT: r = einc_tensor_div(ctx, g, einc_mul_scalar(ctx, s, 2.0)); break;
    case EINC_RSQRT: /* d/dx x^-1/2 = -y^3 / 2 */
        r = einc_tensor_mul(
            ctx, g, einc_mul_scalar(ctx, einc_tensor_mul(ctx, s, einc_tensor_unary(ctx, EINC_SQUARE, s)), -0.5));
        break;
    case EINC_EXP: r = einc_tensor_mul(ctx, g, s); break;
    case EINC_LOG: r = einc_tensor_div(ctx, g, s); break;
    case EINC_LOG1P: r = einc_tensor_div(ctx, g, einc_add_scalar(ctx, s, 1.0)); break;
    case EINC_EXPM1: r = einc_tensor_mul(ctx, g, einc_add_scalar(ctx, s, 1.0)); break;
    case EINC_SIN: r = einc_tensor_mul(ctx, g, einc_tensor_unary(ctx, EINC_COS, s)); break;
    case EINC_COS: r = einc_tensor_mul(ctx, g, einc_tensor_neg(ctx, einc_tensor_unary(ctx, EINC_SIN, s))); break;
    case EINC_TANH: /* 1 - y^2 */
        r = einc_tensor_mul(ctx, g,
                            einc_add_scalar(ctx, einc_tensor_neg(ctx, einc_tensor_unary(ctx, EINC_SQUARE, s)), 1.0));
        break;
    case EINC_SIGMOID: /* y (1 - y) */
        r = einc_tensor_mul(ctx, g, einc_tensor_mul(ctx, s, einc_add_scalar(ctx, einc_tensor_neg(ctx, s), 1.0)));
        break;
    case EINC_RELU: { /* 0 at x == 0, as PyTorch */
        einc_tensor *zero = einc__ag_scalar(ctx, g->dtype, 0.0);
        r = einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_GT, s, zero), g, zero);
        break;
    }
    case EINC_RECIPROCAL:
        r = einc_tensor_mul(ctx, g, einc_tensor_neg(ctx, einc_tensor_unary(ctx, EINC_SQUARE, s)));
        break;
    default: /* sign, floor, ceil, round: piecewise constant */
        r = einc__ag_zeros_meta(ctx, &node->inputs[0].meta);
        break;
    }
    gin[0] = r;
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_unary(einc_ctx *ctx, einc_tensor *out, einc_unary_op op, einc_tensor *x) {
    if (!out || op == EINC_LOGICAL_NOT || !einc__ag_needed(ctx, 1, &x)) return out;
    unary_payload p = {op};
    char reads = unary_reads(op);
    einc_tensor *saved = reads == 'x' ? x : reads == 'y' ? out : NULL;
    return einc__ag_record1(ctx, einc_unary_op_name(op), out, 1, &x, unary_backward, 1, &saved, &p, sizeof p);
}

/* ---- binary --------------------------------------------------------------------------------- */

typedef struct {
    einc_binary_op op;
} binary_payload;

/* The gradients of maximum (cmp = EINC_GT) or minimum (EINC_LT): all to the winner, half each on
 * a tie (PyTorch's convention). */
static void extremum_grads(einc_ctx *ctx, einc_binary_op cmp, einc_tensor *g, einc_tensor *a, einc_tensor *b,
                           einc_tensor **ga, einc_tensor **gb) {
    einc_tensor *one = einc__ag_scalar(ctx, g->dtype, 1.0), *half = einc__ag_scalar(ctx, g->dtype, 0.5);
    einc_tensor *zero = einc__ag_scalar(ctx, g->dtype, 0.0);
    einc_tensor *tie = einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, a, b), half, zero);
    *ga = einc_tensor_mul(ctx, g, einc_tensor_where(ctx, einc_tensor_binary(ctx, cmp, a, b), one, tie));
    *gb = einc_tensor_mul(ctx, g, einc_tensor_where(ctx, einc_tensor_binary(ctx, cmp, b, a), one, tie));
}

static einc_status binary_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                   einc_tensor **gin) {
    const binary_payload *p = node->payload;
    einc_tensor *g = gout[0], *a = node->saved[0], *b = node->saved[1], *y = node->saved[2];
    bool wa = einc__ag_wants(node, 0), wb = einc__ag_wants(node, 1);
    einc_tensor *ga = NULL, *gb = NULL;
    switch (p->op) {
    case EINC_ADD: ga = gb = g; break;
    case EINC_SUB:
        ga = g;
        if (wb) gb = einc_tensor_neg(ctx, g);
        break;
    case EINC_MUL:
        if (wa) ga = einc_tensor_mul(ctx, g, b);
        if (wb) gb = einc_tensor_mul(ctx, g, a);
        break;
    case EINC_DIV: /* d/db a/b = -y/b */
        if (wa) ga = einc_tensor_div(ctx, g, b);
        if (wb) gb = einc_tensor_neg(ctx, einc_tensor_div(ctx, einc_tensor_mul(ctx, g, y), b));
        break;
    case EINC_POW: {
        einc_tensor *zero = einc__ag_scalar(ctx, g->dtype, 0.0);
        if (wa) { /* b a^(b-1), 0 where b == 0 */
            einc_tensor *d =
                einc_tensor_mul(ctx, b, einc_tensor_binary(ctx, EINC_POW, a, einc_add_scalar(ctx, b, -1.0)));
            ga = einc_tensor_where(ctx, einc_tensor_binary(ctx, EINC_EQ, b, zero), zero, einc_tensor_mul(ctx, g, d));
        }
        if (wb) { /* y log(a), 0 where a == 0 and b >= 0 */
            einc_tensor *d = einc_tensor_mul(ctx, g, einc_tensor_mul(ctx, y, einc_tensor_log(ctx, a)));
            einc_tensor *m = einc_tensor_binary(ctx, EINC_LOGICAL_AND, einc_tensor_binary(ctx, EINC_EQ, a, zero),
                                                einc_tensor_binary(ctx, EINC_GE, b, zero));
            gb = einc_tensor_where(ctx, m, zero, d);
        }
        break;
    }
    case EINC_MAXIMUM: extremum_grads(ctx, EINC_GT, g, a, b, &ga, &gb); break;
    case EINC_MINIMUM: extremum_grads(ctx, EINC_LT, g, a, b, &ga, &gb); break;
    case EINC_LOGADDEXP: /* exp(a - y), exp(b - y): the softmax weights of a and b */
        if (wa) ga = einc_tensor_mul(ctx, g, einc_tensor_exp(ctx, einc_tensor_sub(ctx, a, y)));
        if (wb) gb = einc_tensor_mul(ctx, g, einc_tensor_exp(ctx, einc_tensor_sub(ctx, b, y)));
        break;
    case EINC_MOD: /* a - floor(a / b) b */
        ga = g;
        if (wb) gb = einc_tensor_neg(ctx, einc_tensor_mul(ctx, g, einc_tensor_binary(ctx, EINC_FLOOR_DIV, a, b)));
        break;
    default: /* floor_div: piecewise constant */
        ga = einc__ag_zeros_meta(ctx, &node->inputs[0].meta);
        gb = einc__ag_zeros_meta(ctx, &node->inputs[1].meta);
        break;
    }
    if (wa) gin[0] = einc__ag_reduce_to_input(ctx, node, 0, ga);
    if (wb) gin[1] = einc__ag_reduce_to_input(ctx, node, 1, gb);
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_binary(einc_ctx *ctx, einc_tensor *out, einc_binary_op op, einc_tensor *a, einc_tensor *b) {
    einc_tensor *in[2] = {a, b};
    if (!out || (op >= EINC_EQ && op <= EINC_LOGICAL_OR) || !einc__ag_needed(ctx, 2, in)) return out;
    bool ra = a->requires_grad, rb = b->requires_grad;
    /* saved: a, b, y — each only when a derivative that is wanted reads it */
    einc_tensor *saved[3] = {NULL, NULL, NULL};
    switch (op) {
    case EINC_MUL: saved[0] = rb ? a : NULL, saved[1] = ra ? b : NULL; break;
    case EINC_DIV: saved[1] = b, saved[2] = rb ? out : NULL; break;
    case EINC_POW: saved[0] = a, saved[1] = b, saved[2] = rb ? out : NULL; break;
    case EINC_MAXIMUM:
    case EINC_MINIMUM: saved[0] = a, saved[1] = b; break;
    case EINC_LOGADDEXP: saved[0] = ra ? a : NULL, saved[1] = rb ? b : NULL, saved[2] = out; break;
    case EINC_MOD: saved[0] = rb ? a : NULL, saved[1] = rb ? b : NULL; break;
    default: break;
    }
    binary_payload p = {op};
    return einc__ag_record1(ctx, einc_binary_op_name(op), out, 2, in, binary_backward, 3, saved, &p, sizeof p);
}

/* ---- where and the scalar operations ------------------------------------------------------- */

static einc_status where_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                  einc_tensor **gin) {
    einc_tensor *g = gout[0], *cond = node->saved[0];
    einc_tensor *zero = einc__ag_scalar(ctx, g->dtype, 0.0);
    if (einc__ag_wants(node, 0)) gin[0] = einc__ag_reduce_to_input(ctx, node, 0, einc_tensor_where(ctx, cond, g, zero));
    if (einc__ag_wants(node, 1)) gin[1] = einc__ag_reduce_to_input(ctx, node, 1, einc_tensor_where(ctx, cond, zero, g));
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_where(einc_ctx *ctx, einc_tensor *out, einc_tensor *cond, einc_tensor *x, einc_tensor *y) {
    einc_tensor *in[2] = {x, y}; /* the condition never receives a gradient */
    return einc__ag_record1(ctx, "where", out, 2, in, where_backward, 1, &cond, NULL, 0);
}

typedef struct {
    einc_binary_op op;
    double s;
} scalar_payload;

static einc_status scalar_backward(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *gout,
                                   einc_tensor **gin) {
    const scalar_payload *p = node->payload;
    gin[0] = p->op == EINC_MUL ? einc_mul_scalar(ctx, gout[0], p->s) : gout[0];
    return einc__ag_check(node, gin);
}

einc_tensor *einc__rule_scalar_op(einc_ctx *ctx, einc_tensor *out, einc_binary_op op, einc_tensor *x, double s) {
    scalar_payload p = {op, s};
    return einc__ag_record1(ctx, op == EINC_MUL ? "mul_scalar" : "add_scalar", out, 1, &x, scalar_backward, 0, NULL, &p,
                            sizeof p);
}
