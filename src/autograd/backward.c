/* backward.c — einc_backward: walks the graph from the loss in topological order, runs each
 * node's backward rule, sums the gradients flowing into each tensor, and finally adds the leaf
 * gradients into the leaves' .grad buffers.
 *
 * Every tensor the engine holds between rules is a private reference (in no scope): gradients
 * being summed live in node->bw_grads, each rule runs inside a scope of its own, and the engine
 * keeps only the entries of grad_inputs. So nothing reaches the caller's scope, and memory of a
 * node's gradients is returned as soon as its rule has run. */
#include "autograd.h"

/* A growable array of nodes (einc__alloc memory). */
typedef struct {
    einc__ag_node **v;
    size_t n, cap;
} node_vec;

static bool vec_push(einc_ctx *ctx, node_vec *s, einc__ag_node *x) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        einc__ag_node **v = einc__alloc(ctx, cap * sizeof *v);
        if (!v) return false;
        if (s->n) memcpy(v, s->v, s->n * sizeof *v);
        if (s->v) einc__free(ctx, s->v, s->cap * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return true;
}

static void vec_free(einc_ctx *ctx, node_vec *s) {
    if (s->v) einc__free(ctx, s->v, s->cap * sizeof *s->v);
}

static bool same_shape(const einc_tensor *t, const einc__ag_meta *m) {
    return t->ndim == m->ndim && (m->ndim == 0 || memcmp(t->shape, m->shape, sizeof(int64_t) * (size_t)m->ndim) == 0);
}

/* Adds src into dst elementwise; both contiguous, same dtype (float) and element count. */
typedef struct {
    char *dst;
    const char *src;
    int64_t n;
    einc_dtype dtype;
} add_job;

static void add_into_f32(float *d, const float *s, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) d[i] += s[i];
}

static void add_into_f64(double *d, const double *s, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) d[i] += s[i];
}

static void add_task(void *arg, int ith, int nth) {
    const add_job *job = arg;
    int64_t b, e;
    einc__split_range(job->n, ith, nth, &b, &e);
    if (job->dtype == EINC_FLOAT32)
        add_into_f32((float *)(void *)job->dst, (const float *)(const void *)job->src, b, e);
    else add_into_f64((double *)(void *)job->dst, (const double *)(const void *)job->src, b, e);
}

/* True when g can become a leaf's .grad buffer as it is: contiguous, the leaf's dtype, and its
 * storage used by this handle alone (later accumulation writes into it in place). */
static bool adoptable(const einc_tensor *g, einc_dtype dtype) {
    return g->refcount == 1 && g->storage->refcount == 1 && g->storage->owned && g->dtype == dtype && g->offset == 0 &&
           einc__tensor_is_contiguous(g) &&
           g->storage->nbytes == (size_t)einc__tensor_numel(g) * einc_dtype_size(dtype);
}

/* Adds the gradient `g` (a reference the callee takes over) to the sum for output `index` of `n`. */
static bool accumulate(einc_ctx *ctx, einc__ag_node *n, int index, einc_tensor *g) {
    einc_tensor *old = n->bw_grads[index];
    if (!old) {
        n->bw_grads[index] = g;
        return true;
    }
    einc_tensor *sum = einc__ag_private(ctx, einc_tensor_add(ctx, old, g));
    einc_tensor_release(g);
    if (!sum) return false;
    einc_tensor_release(old);
    n->bw_grads[index] = sum;
    return true;
}

typedef struct {
    node_vec visited;  /* every node reachable from the root, root first            */
    node_vec stack;    /* discovery stack, then the ready list of Kahn's algorithm   */
    einc_tensor **gin; /* [max_inputs] the running rule's grad_inputs            */
    size_t gin_cap;
} walk;

/* Collects the nodes reachable from root (iteratively) and counts, for each, the edges that
 * point at it from reachable nodes. */
static bool discover(einc_ctx *ctx, walk *w, einc__ag_node *root, uint64_t epoch) {
    root->bw_epoch = epoch;
    root->bw_deps = 0;
    if (!vec_push(ctx, &w->stack, root)) return false;
    size_t max_in = 1;
    while (w->stack.n) {
        einc__ag_node *n = w->stack.v[--w->stack.n];
        if (!vec_push(ctx, &w->visited, n)) return false;
        if ((size_t)n->ninputs > max_in) max_in = (size_t)n->ninputs;
        for (int i = 0; i < n->ninputs; i++) {
            einc__ag_node *m = n->inputs[i].node;
            if (!m) continue;
            if (m->bw_epoch != epoch) {
                m->bw_epoch = epoch;
                m->bw_deps = 0;
                if (!vec_push(ctx, &w->stack, m)) return false;
            }
            m->bw_deps++;
        }
    }
    w->gin = einc__alloc(ctx, max_in * sizeof *w->gin);
    w->gin_cap = max_in;
    return w->gin != NULL;
}

/* Runs the rule of node n and hands its gradients on to the producers of n's inputs. */
static einc_status run_node(einc_ctx *ctx, walk *w, einc__ag_node *n) {
    char a[256], b[256];
    bool any = false;
    for (int k = 0; k < n->noutputs; k++) any |= n->bw_grads[k] != NULL;
    if (!any) return EINC_OK; /* only "no gradient" reached it: nothing flows on */
    for (int k = 0; k < n->noutputs; k++)
        if (!n->bw_grads[k] && !(n->bw_grads[k] = einc__ag_private(ctx, einc__ag_zeros_meta(ctx, &n->outputs[k]))))
            return EINC_ENOMEM;
    einc_tensor **gin = w->gin;
    for (int i = 0; i < n->ninputs; i++) gin[i] = NULL;
    einc_status st = einc_scope_begin(ctx);
    if (st != EINC_OK) return st;
    st = n->backward(ctx, n, n->bw_grads, gin);
    for (int i = 0; i < n->ninputs; i++) einc_tensor_retain(gin[i]); /* outlive the rule's scope */
    einc_scope_end(ctx);
    for (int k = 0; k < n->noutputs; k++) { /* consumed: free them now */
        einc_tensor_release(n->bw_grads[k]);
        n->bw_grads[k] = NULL;
    }
    for (int i = 0; i < n->ninputs; i++) {
        einc_tensor *g = gin[i];
        gin[i] = NULL;
        const einc__ag_input *in = &n->inputs[i];
        if (!g) continue;
        if (st != EINC_OK || !in->node) {
            einc_tensor_release(g);
            continue;
        }
        if (!same_shape(g, &in->meta)) {
            st = einc__error(ctx, EINC_ESHAPE,
                             "einc_backward: the backward rule of '%s' returned a gradient of shape "
                             "%s for input #%d of shape %s",
                             n->name, einc__shape_str(a, sizeof a, g->ndim, g->shape), i + 1,
                             einc__shape_str(b, sizeof b, in->meta.ndim, in->meta.shape));
            einc_tensor_release(g);
            continue;
        }
        if (g->dtype != in->meta.dtype) {
            einc_tensor *c = einc__ag_private(ctx, einc_tensor_cast(ctx, g, in->meta.dtype));
            einc_tensor_release(g);
            if (!c) {
                st = EINC_ENOMEM;
                continue;
            }
            g = c;
        }
        if (!accumulate(ctx, in->node, in->index, g)) st = EINC_ENOMEM;
    }
    return st;
}

/* Makes every pending leaf gradient ready to be added without allocating (pass 1), then adds
 * them all (pass 2), so a failure leaves every .grad as it was. */
static einc_status commit_leaves(einc_ctx *ctx, const walk *w) {
    for (size_t j = 0; j < w->visited.n; j++) {
        einc__ag_node *acc = w->visited.v[j];
        einc_tensor *g = acc->bw_grads[0];
        if (acc->backward || !g) continue;
        einc_dtype dt = acc->outputs[0].dtype;
        bool ready = acc->grad ? (g->dtype == dt && einc__tensor_is_contiguous(g)) : adoptable(g, dt);
        if (ready) continue;
        einc_tensor *c = einc__ag_private(ctx, einc_tensor_cast(ctx, g, dt)); /* contiguous, own storage */
        if (!c) return EINC_ENOMEM;
        einc_tensor_release(g);
        acc->bw_grads[0] = c;
    }
    for (size_t j = 0; j < w->visited.n; j++) {
        einc__ag_node *acc = w->visited.v[j];
        einc_tensor *g = acc->bw_grads[0];
        if (acc->backward || !g) continue;
        acc->bw_grads[0] = NULL;
        if (!acc->grad) {
            einc__scope_forget(ctx, g); /* a scope's list may still link it (without a reference) */
            acc->grad = g;
            continue;
        }
        add_job job = {einc__tensor_ptr(acc->grad), einc__tensor_ptr(g), einc__tensor_numel(g), g->dtype};
        if (job.n > 0) einc__parallel_chunks(ctx, job.n, add_task, &job);
        einc_tensor_release(g);
    }
    return EINC_OK;
}

static einc_status backward_run(einc_ctx *ctx, einc_tensor *loss, einc_tensor *grad_output) {
    walk w;
    memset(&w, 0, sizeof w);
    einc_status st = EINC_OK;
    einc_tensor *g0;
    if (!grad_output) g0 = einc__ag_private(ctx, einc_tensor_ones(ctx, loss->dtype, loss->ndim, loss->shape));
    else if (grad_output->dtype == loss->dtype) g0 = einc_tensor_retain(grad_output);
    else g0 = einc__ag_private(ctx, einc_tensor_cast(ctx, grad_output, loss->dtype));
    einc__ag_node *root = g0 ? einc__ag_accumulator(ctx, loss) : NULL; /* a leaf loss may lack one yet */
    if (!root) {
        einc_tensor_release(g0);
        return EINC_ENOMEM;
    }
    uint64_t epoch = ++ctx->ag.epoch;
    if (!discover(ctx, &w, root, epoch)) {
        einc_tensor_release(g0);
        st = EINC_ENOMEM;
        goto done;
    }
    root->bw_grads[loss->ag_index] = g0;
    /* Kahn's algorithm; the discovery stack is empty again and serves as the ready list */
    w.stack.n = 0;
    w.stack.v[w.stack.n++] = root;
    while (w.stack.n && st == EINC_OK) {
        einc__ag_node *n = w.stack.v[--w.stack.n];
        if (!n->backward) continue; /* an accumulator: its sum waits for commit_leaves */
        st = run_node(ctx, &w, n);
        for (int i = 0; i < n->ninputs && st == EINC_OK; i++) {
            einc__ag_node *m = n->inputs[i].node;
            if (m && --m->bw_deps == 0 && !vec_push(ctx, &w.stack, m)) st = EINC_ENOMEM;
        }
    }
    if (st == EINC_OK) st = commit_leaves(ctx, &w);
done:
    for (size_t j = 0; j < w.visited.n; j++) /* whatever is left after a failure */
        for (int k = 0; k < w.visited.v[j]->noutputs; k++) {
            einc_tensor_release(w.visited.v[j]->bw_grads[k]);
            w.visited.v[j]->bw_grads[k] = NULL;
        }
    vec_free(ctx, &w.visited);
    vec_free(ctx, &w.stack);
    if (w.gin) einc__free(ctx, w.gin, w.gin_cap * sizeof *w.gin);
    return st;
}

einc_status einc_backward(einc_ctx *ctx, einc_tensor *loss, einc_tensor *grad_output) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (!loss) return einc__error(ctx, EINC_EINVAL, "einc_backward: loss is NULL");
    char a[256], b[256];
    einc__shape_str(a, sizeof a, loss->ndim, loss->shape);
    if (!loss->requires_grad)
        return einc__error(ctx, EINC_EINVAL,
                           "einc_backward: the loss (shape %s) does not require grad: no tensor it "
                           "was computed from requires grad (see einc_requires_grad), or it was "
                           "computed with gradients disabled",
                           a);
    if (!grad_output && einc__tensor_numel(loss) != 1)
        return einc__error(ctx, EINC_ESHAPE,
                           "einc_backward: grad_output is NULL, so the loss must have exactly one "
                           "element, but it has shape %s (%lld elements); pass a grad_output of "
                           "that shape",
                           a, (long long)einc__tensor_numel(loss));
    if (grad_output && !einc__dtype_is_float(grad_output->dtype))
        return einc__error(ctx, EINC_EDTYPE, "einc_backward: grad_output must be float32 or float64, got %s",
                           einc_dtype_name(grad_output->dtype));
    if (grad_output && !(grad_output->ndim == loss->ndim &&
                         memcmp(grad_output->shape, loss->shape, sizeof(int64_t) * (size_t)loss->ndim) == 0))
        return einc__error(ctx, EINC_ESHAPE,
                           "einc_backward: grad_output of shape %s does not match the loss's shape %s",
                           einc__shape_str(b, sizeof b, grad_output->ndim, grad_output->shape), a);
    bool was_disabled = ctx->ag.disabled;
    ctx->ag.disabled = true; /* the rules' operations are not recorded */
    einc_status st = backward_run(ctx, loss, grad_output);
    ctx->ag.disabled = was_disabled;
    if (st != EINC_OK && einc_errcode(ctx) == EINC_OK) einc__error(ctx, st, "einc_backward: out of memory");
    return st;
}
