/* autograd.h — the private side of autograd: graph nodes, recording, backward helpers, and the
 * hooks the raw operations call (never installed; the public API is include/einc/autograd.h).
 *
 * The tape is a graph of nodes. An operation that produced outputs from inputs while gradients
 * were being recorded owns one node: the node knows, for every input, the node that produced
 * that input (an "edge"; NULL when no gradient flows there), the inputs' shapes and dtypes, the
 * outputs' shapes and dtypes, the tensors the backward rule needs ("saved"), an opaque payload,
 * and the backward rule itself. A leaf tensor that requires grad gets an accumulator node
 * (backward == NULL) whose `grad` is the leaf's .grad.
 *
 * Ownership. Every output handle holds one reference to its node (t->ag_node), every edge holds
 * one reference to the node it points at, and a leaf holds one to its accumulator. Saved tensors
 * are private handles: new handles sharing the saved tensor's storage, owned by the node alone
 * (in no scope), so the user may release or end the scope of the original freely. A node is
 * freed when its last reference goes; nodes freed as a consequence are freed iteratively (a
 * chain of a million nodes frees without deep recursion). Nothing in the graph points at a
 * user-visible handle, so there are no cycles and einc_ctx_destroy frees every node.
 *
 * ---- How an operation records a node (what the notation ops do) -------------------------------
 *
 *   1. Compute the outputs as usual (grad mode does not change the forward computation).
 *   2. If einc__ag_needed(ctx, ninputs, inputs), call einc__ag_record with the outputs, the inputs
 *      (exactly the tensors the user passed, NULL entries allowed for absent optional inputs),
 *      the backward rule, the tensors the rule needs and a payload (any plain struct, copied into
 *      the node). On failure (EINC_ENOMEM recorded) release the outputs and return NULL.
 *      einc__ag_record1 does that for a single output: `return einc__ag_record1(ctx, ...);`.
 *   3. Write the rule:
 *
 *        static einc_status my_backward(einc_ctx *ctx, const einc__ag_node *node,
 *                                       einc_tensor *const *grad_outputs, einc_tensor **grad_inputs) {
 *            const my_payload *p = node->payload;
 *            einc_tensor *x = node->saved[0];
 *            if (einc__ag_wants(node, 0))
 *                grad_inputs[0] = einc__ag_reduce_to_input(ctx, node, 0, einc_tensor_mul(ctx, grad_outputs[0], x));
 *            return einc__ag_check(node, grad_inputs);
 *        }
 *
 * Contract of a backward rule:
 *   - It runs with gradient recording switched off, inside a scope of its own that the engine
 *     closes after the call: it creates its temporaries with the ordinary operations and releases
 *     nothing (NULL arguments propagate through the operations, so chains need no checks).
 *   - grad_outputs[k] (k < noutputs) is the gradient of output k: never NULL (outputs that
 *     received no gradient get zeros), shape and dtype of that output, any strides (read only).
 *   - It stores in grad_inputs[i] the gradient for input i, for every i with einc__ag_wants(node,
 *     i) (others may be left NULL; the engine ignores them). Each entry must have input i's exact
 *     shape (broadcast inputs: reduce with einc__ag_reduce_to_input), may have any strides (a
 *     broadcast view is fine) and any float dtype (it is cast to input i's dtype). Entries are
 *     borrowed: any tensor valid until the rule's scope closes — a result of an operation made in
 *     this call, grad_outputs[k] itself (pass-through), a saved tensor. The engine takes its own
 *     references before closing the scope. The same tensor may fill several entries.
 *   - It returns EINC_OK, or an error status when an operation failed (that operation recorded the
 *     error); einc__ag_check turns "a wanted entry is NULL" into EINC_ENOMEM.
 *   - The saved tensors must not have been modified in place since the forward pass (einc does not
 *     track versions; see include/einc/autograd.h).
 */
#ifndef EINC_AUTOGRAD_PRIVATE_H
#define EINC_AUTOGRAD_PRIVATE_H

#include "../core/internal.h"

typedef struct einc__ag_node einc__ag_node;

/* A backward rule: see the contract above. grad_outputs [noutputs], grad_inputs [ninputs] (preset
 * to NULL). */
typedef einc_status (*einc__backward_fn)(einc_ctx *ctx, const einc__ag_node *node, einc_tensor *const *grad_outputs,
                                         einc_tensor **grad_inputs);

/* Shape and dtype of a node's input or output, as they were when the node was recorded. */
typedef struct einc__ag_meta {
    einc_dtype dtype;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
} einc__ag_meta;

/* One input of a node: where its gradient goes (node and output index of the producer, or the
 * leaf's accumulator; NULL: the input does not require grad) and its geometry. */
typedef struct einc__ag_input {
    einc__ag_node *node;
    int index;
    einc__ag_meta meta;
} einc__ag_input;

struct einc__ag_node {
    int64_t refcount;
    const char *name;           /* operation name for messages ("mul", "einc_dot"); static text  */
    einc__backward_fn backward; /* NULL: the gradient accumulator of a leaf                      */
    int ninputs, noutputs, nsaved;
    einc__ag_input *inputs; /* [ninputs]                                                      */
    einc__ag_meta *outputs; /* [noutputs] (an accumulator: the leaf's geometry)               */
    einc_tensor **saved;    /* [nsaved] private handles (NULL entries kept as NULL)           */
    void *payload;          /* the node's copy of the payload (NULL if none)                  */
    void (*payload_free)(void *payload);
    size_t block_size; /* bytes of the one allocation holding the node and its arrays    */
    einc_tensor *grad; /* accumulators only: the leaf's .grad (private, contiguous)      */
    /* einc_backward's scratch: valid only while bw_epoch == ctx->ag.epoch */
    uint64_t bw_epoch;
    int64_t bw_deps;          /* edges from unprocessed nodes still to deliver a gradient       */
    einc_tensor **bw_grads;   /* [noutputs] private gradient sums, NULL = none yet              */
    einc__ag_node *free_next; /* ctx->ag.free_list link                                         */
};

/* True when gradient flows to input i (its edge is set). */
static inline bool einc__ag_wants(const einc__ag_node *node, int i) { return node->inputs[i].node != NULL; }

/* ---- recording ----------------------------------------------------------------------------- */

/* True when an operation on these inputs must record a node: recording is enabled in ctx and at
 * least one non-NULL input requires grad. Cheap (no allocation). */
bool einc__ag_needed(const einc_ctx *ctx, int ninputs, einc_tensor *const *inputs);

/* Records one node computing `outputs` [noutputs] from `inputs` [ninputs] (NULL entries allowed:
 * absent optional inputs, which get no gradient). Does nothing and returns EINC_OK when
 * einc__ag_needed is false. Otherwise:
 *   - every output with a float dtype becomes a non-leaf that requires grad and refers to the node
 *     (output index k); outputs with other dtypes are left alone (they never receive gradients).
 *     Outputs must be handles the operation just created (not one of its inputs);
 *   - `saved` [nsaved] (NULL entries allowed) are kept as private handles until the node is freed;
 *     they appear in node->saved in the same order;
 *   - `payload` (payload_size bytes, any plain struct; NULL/0 for none) is copied into the node,
 *     aligned for any type; `payload_free` (may be NULL) is called with the node's copy when the
 *     node is freed — or at once when nothing is recorded or recording fails, so the payload's
 *     resources (e.g. a cached plan the op retained for the rule) are handed over whatever the
 *     outcome. Tensors a rule needs go in `saved`, not in the payload: einc_ctx_destroy frees
 *     scope-owned handles in no particular order, so a payload may hold only private handles
 *     (einc__ag_private(ctx, einc_detach(ctx, t)));
 *   - `name` (static text) names the operation in error messages.
 * Returns EINC_OK, or EINC_ENOMEM (recorded) with nothing changed; the caller then releases its
 * outputs. */
einc_status einc__ag_record(einc_ctx *ctx, const char *name, int noutputs, einc_tensor *const *outputs, int ninputs,
                            einc_tensor *const *inputs, einc__backward_fn backward, int nsaved,
                            einc_tensor *const *saved, const void *payload, size_t payload_size,
                            void (*payload_free)(void *payload));

/* The one-output form, shaped for `return einc__ag_record1(ctx, ..., out, ...);` at the end of an
 * operation: returns `out` (also when nothing had to be recorded), or NULL after releasing `out`
 * when recording failed. A NULL `out` (the operation failed) is returned as NULL at once. */
einc_tensor *einc__ag_record1(einc_ctx *ctx, const char *name, einc_tensor *out, int ninputs,
                              einc_tensor *const *inputs, einc__backward_fn backward, int nsaved,
                              einc_tensor *const *saved, const void *payload, size_t payload_size);

/* ---- helpers for backward rules ------------------------------------------------------------ */

/* Sums the broadcast gradient g down to `shape` (NumPy broadcasting undone: extra leading axes
 * and axes where shape has 1 but g does not are summed). Returns a scope temporary, or g itself
 * when the shape already matches; NULL when g is NULL or on failure. */
einc_tensor *einc__ag_reduce_to(einc_ctx *ctx, einc_tensor *g, int ndim, const int64_t *shape);

/* einc__ag_reduce_to(g, input i's shape), then cast to input i's dtype (if it differs). */
einc_tensor *einc__ag_reduce_to_input(einc_ctx *ctx, const einc__ag_node *node, int i, einc_tensor *g);

/* The inverse of a reduction's shape change: g, the gradient of a reduction of an input of shape
 * (ndim, shape) over the axes in `mask` (without keepdims when !keepdims), as a view broadcast to
 * the input's shape (no copy). */
einc_tensor *einc__ag_unreduce(einc_ctx *ctx, einc_tensor *g, int ndim, const int64_t *shape, uint32_t mask,
                               bool keepdims);

/* Zeros with the shape and dtype of a meta (node->inputs[i].meta, node->outputs[k]). */
einc_tensor *einc__ag_zeros_meta(einc_ctx *ctx, const einc__ag_meta *meta);

/* EINC_OK when every wanted grad_inputs entry is set; EINC_ENOMEM otherwise (an operation failed
 * and recorded why). */
einc_status einc__ag_check(const einc__ag_node *node, einc_tensor *const *grad_inputs);

/* A 0-d tensor of `dtype` holding v (for where/maximum masks). */
einc_tensor *einc__ag_scalar(einc_ctx *ctx, einc_dtype dtype, double v);

/* ---- inside the module (tape.c) ------------------------------------------------------------ */

/* Drops the autograd references of a handle being freed: the context's tensor_freed hook
 * (einc__tensor_free_now calls it for handles with an ag_node). Never recurses deeply: graph
 * nodes whose last reference goes are freed iteratively. */
void einc__ag_tensor_freed(einc_tensor *t);

/* Drops one reference to a node; frees it (and, iteratively, what only it referred to) at zero. */
void einc__ag_node_unref(einc_ctx *ctx, einc__ag_node *n);
/* The accumulator of a leaf (t->ag_node), created on first use; NULL on EINC_ENOMEM (recorded). */
einc__ag_node *einc__ag_accumulator(einc_ctx *ctx, einc_tensor *t);
/* Takes the current scope's reference of a tensor an operation just returned: the handle leaves
 * the scope and its one reference belongs to the caller. Returns t (NULL stays NULL). */
einc_tensor *einc__ag_private(einc_ctx *ctx, einc_tensor *t);

/* ---- the rules behind the raw operations' hooks (src/autograd/rules_*.c) -----------------------
 * Each implements the hook of the same name in core/internal.h (einc__ag_xxx -> einc__rule_xxx),
 * installed in a context by einc__grad_install; their contract is written there. */
#define EINC__RULE_DECL(name, params, args) einc_tensor *einc__rule_##name params;
EINC__GRAD_HOOKS(EINC__RULE_DECL)
#undef EINC__RULE_DECL
einc_status einc__rule_notation(einc_ctx *ctx, struct einc__plan *p, int ninputs, einc_tensor *const *inputs,
                                int noutputs, einc_tensor **outputs);

/* Installs the rules in ctx (ctx->grad, ctx->tensor_freed): called when a tensor of ctx is first
 * marked as requiring grad, so a context that never records pays one NULL test per operation. */
void einc__grad_install(einc_ctx *ctx);

#endif /* EINC_AUTOGRAD_PRIVATE_H */
