/* tape.c — graph nodes: allocation, recording, iterative release, and the grad mode. */
#include <stdalign.h>
#include <stddef.h>

#include "autograd.h"

/* Limits that keep the node's one-block size computation far from overflow. */
#define MAX_EDGES (1 << 20)
#define MAX_PAYLOAD ((size_t)1 << 30)

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

static void meta_of(einc__ag_meta *m, const einc_tensor *t) {
    m->dtype = t->dtype;
    m->ndim = t->ndim;
    if (t->ndim > 0) memcpy(m->shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
}

/* One zeroed allocation holding the node, its arrays and the payload copy. */
static einc__ag_node *node_alloc(einc_ctx *ctx, int ninputs, int noutputs, int nsaved, size_t payload_size) {
    const size_t A = alignof(max_align_t);
    size_t off_in = round_up(sizeof(einc__ag_node), A);
    size_t off_out = round_up(off_in + (size_t)ninputs * sizeof(einc__ag_input), A);
    size_t off_saved = round_up(off_out + (size_t)noutputs * sizeof(einc__ag_meta), A);
    size_t off_bw = round_up(off_saved + (size_t)nsaved * sizeof(einc_tensor *), A);
    size_t off_payload = round_up(off_bw + (size_t)noutputs * sizeof(einc_tensor *), A);
    size_t size = off_payload + payload_size;
    char *block = einc__alloc(ctx, size);
    if (!block) return NULL;
    memset(block, 0, size);
    einc__ag_node *n = (einc__ag_node *)(void *)block;
    n->block_size = size;
    n->ninputs = ninputs;
    n->noutputs = noutputs;
    n->nsaved = nsaved;
    n->inputs = (einc__ag_input *)(void *)(block + off_in);
    n->outputs = (einc__ag_meta *)(void *)(block + off_out);
    n->saved = (einc_tensor **)(void *)(block + off_saved);
    n->bw_grads = (einc_tensor **)(void *)(block + off_bw);
    n->payload = payload_size ? block + off_payload : NULL;
    return n;
}

/* Frees one node; the nodes it referred to are queued by einc__ag_node_unref, not freed here. */
static void node_destroy(einc_ctx *ctx, einc__ag_node *n) {
    for (int i = 0; i < n->ninputs; i++)
        if (n->inputs[i].node) einc__ag_node_unref(ctx, n->inputs[i].node);
    for (int i = 0; i < n->nsaved; i++) einc_tensor_release(n->saved[i]);
    for (int k = 0; k < n->noutputs; k++) einc_tensor_release(n->bw_grads[k]);
    einc_tensor_release(n->grad);
    if (n->payload_free && n->payload) n->payload_free(n->payload);
    einc__free(ctx, n, n->block_size);
}

void einc__ag_node_unref(einc_ctx *ctx, einc__ag_node *n) {
    if (--n->refcount > 0) return;
    n->free_next = ctx->ag.free_list;
    ctx->ag.free_list = n;
    if (ctx->ag.freeing) return; /* an outer call is draining the list */
    ctx->ag.freeing = true;
    while ((n = ctx->ag.free_list) != NULL) {
        ctx->ag.free_list = n->free_next;
        node_destroy(ctx, n);
    }
    ctx->ag.freeing = false;
}

void einc__ag_tensor_freed(einc_tensor *t) {
    einc__ag_node *n = t->ag_node;
    t->ag_node = NULL;
    t->requires_grad = false;
    einc__ag_node_unref(t->ctx, n);
}

einc__ag_node *einc__ag_accumulator(einc_ctx *ctx, einc_tensor *t) {
    if (t->ag_node) return t->ag_node;
    einc__ag_node *n = node_alloc(ctx, 0, 1, 0, 0);
    if (!n) return NULL;
    n->name = "leaf";
    n->refcount = 1; /* the leaf's */
    meta_of(&n->outputs[0], t);
    t->ag_node = n;
    t->ag_index = 0;
    return n;
}

einc_tensor *einc__ag_private(einc_ctx *ctx, einc_tensor *t) {
    if (t && t->scope >= 0 && t->scope == ctx->scope_depth) einc__scope_forget(ctx, t);
    return t;
}

/* ---- recording ----------------------------------------------------------------------------- */

bool einc__ag_needed(const einc_ctx *ctx, int ninputs, einc_tensor *const *inputs) {
    if (ctx->ag.disabled) return false;
    for (int i = 0; i < ninputs; i++)
        if (inputs[i] && inputs[i]->requires_grad) return true;
    return false;
}

einc_status einc__ag_record(einc_ctx *ctx, const char *name, int noutputs, einc_tensor *const *outputs, int ninputs,
                            einc_tensor *const *inputs, einc__backward_fn backward, int nsaved,
                            einc_tensor *const *saved, const void *payload, size_t payload_size,
                            void (*payload_free)(void *payload)) {
    int linked = 0;
    if (einc__ag_needed(ctx, ninputs, inputs))
        for (int k = 0; k < noutputs; k++)
            if (outputs[k] && einc__dtype_is_float(outputs[k]->dtype)) linked++;
    if (linked == 0) {
        if (payload_free && payload) payload_free((void *)(uintptr_t)payload);
        return EINC_OK;
    }
    if (ninputs > MAX_EDGES || noutputs > MAX_EDGES || nsaved < 0 || nsaved > MAX_EDGES || payload_size > MAX_PAYLOAD ||
        !backward || (payload_size && !payload)) {
        if (payload_free && payload) payload_free((void *)(uintptr_t)payload);
        return einc__error(ctx, EINC_EINVAL,
                           "%s: invalid autograd record (%d inputs, %d outputs, %d saved, payload "
                           "of %zu bytes)",
                           name, ninputs, noutputs, nsaved, payload_size);
    }
    einc__ag_node *n = node_alloc(ctx, ninputs, noutputs, nsaved, payload_size);
    if (!n) {
        if (payload_free && payload) payload_free((void *)(uintptr_t)payload);
        return EINC_ENOMEM;
    }
    n->name = name;
    n->backward = backward;
    if (payload_size) memcpy(n->payload, payload, payload_size);
    n->payload_free = payload_free;
    for (int i = 0; i < nsaved; i++) {
        einc_tensor *s = saved[i];
        if (!s) continue;
        einc_tensor *h = einc__tensor_view_of(ctx, s, s->ndim, s->shape, s->strides, s->offset);
        if (!h) goto fail;
        n->saved[i] = einc__ag_private(ctx, h);
    }
    for (int i = 0; i < ninputs; i++)
        if (inputs[i] && inputs[i]->requires_grad && !einc__ag_accumulator(ctx, inputs[i])) goto fail;
    /* nothing can fail from here on */
    for (int i = 0; i < ninputs; i++) {
        einc_tensor *in = inputs[i];
        if (!in) continue;
        meta_of(&n->inputs[i].meta, in);
        if (in->requires_grad) {
            n->inputs[i].node = in->ag_node;
            n->inputs[i].index = in->ag_index;
            in->ag_node->refcount++;
        }
    }
    for (int k = 0; k < noutputs; k++) {
        einc_tensor *out = outputs[k];
        if (!out) continue;
        meta_of(&n->outputs[k], out);
        if (!einc__dtype_is_float(out->dtype)) continue;
        if (out->ag_node) einc__ag_node_unref(ctx, out->ag_node);
        out->ag_node = n;
        out->ag_index = k;
        out->requires_grad = true;
        n->refcount++;
    }
    return EINC_OK;
fail:
    node_destroy(ctx, n); /* no edges or outputs were linked yet */
    return EINC_ENOMEM;
}

einc_tensor *einc__ag_record1(einc_ctx *ctx, const char *name, einc_tensor *out, int ninputs,
                              einc_tensor *const *inputs, einc__backward_fn backward, int nsaved,
                              einc_tensor *const *saved, const void *payload, size_t payload_size) {
    if (!out) return NULL;
    if (!einc__ag_needed(ctx, ninputs, inputs)) return out;
    if (einc__ag_record(ctx, name, 1, &out, ninputs, inputs, backward, nsaved, saved, payload, payload_size, NULL) !=
        EINC_OK) {
        einc_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- grad mode ----------------------------------------------------------------------------- */

bool einc_set_grad_enabled(einc_ctx *ctx, bool enabled) {
    EINC__OWNED(ctx, false);
    if (!ctx) return false;
    bool was = !ctx->ag.disabled;
    ctx->ag.disabled = !enabled;
    return was;
}

bool einc_is_grad_enabled(const einc_ctx *ctx) {
    EINC__OWNED(ctx, false);
    return ctx ? !ctx->ag.disabled : false;
}
