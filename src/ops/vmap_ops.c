/* vmap_ops.c — einc_vmap: a C function as the elementary operation of an expression.
 *
 * After the front end (parse, rules shared with the other operations, expand, merge, solve),
 * every operand is split into LOOP axes (outside brackets) and ARGUMENT dimensions (the
 * elementary operation's view of it: each top-level bracketed item is one dimension, and so is
 * each parenthesised group holding brackets, "(h [w])"). A loop axis' stride is the sum of its
 * terms (a diagonal when an input repeats it); an argument dimension may consist of several axes
 * and must then be viewable as one stride. The function sees views whose offsets move through
 * the loops: the view handles are made once and only their offsets change per call.
 */
#include <stdio.h>

#include "../notation/front.h"
#include "../plan/rules.h"

#define MAX_PARTS 16 /* axes making up one argument dimension */

typedef struct {
    int64_t size;
    int nparts;
    einc__term parts[MAX_PARTS]; /* (tensor dim, multiplier) of each axis, outermost first */
    int64_t part_size[MAX_PARTS];
} arg_dim;

typedef struct {
    einc__operand loop; /* a repeated loop axis is one leaf with several terms (a diagonal) */
    int nargs;
    arg_dim args[EINC_MAX_DIMS];
    bool too_many;
} split_operand;

/* ---- splitting an operand -------------------------------------------------------------------- */

static void add_part(split_operand *s, int arg, int dim, int64_t mult, int64_t size) {
    arg_dim *a = &s->args[arg];
    if (a->nparts == MAX_PARTS) {
        s->too_many = true;
        return;
    }
    a->parts[a->nparts] = (einc__term){dim, mult};
    a->part_size[a->nparts++] = size;
    a->size *= size;
}

/* The walk of one tensor dimension (einc__walk): bracketed axes go to argument `arg`, others to
 * the loops. */
typedef struct {
    einc__walker base;
    split_operand *s;
    int arg;
} splitter;

static void split_axis(einc__walker *w, const einc__node *n, int dim, int64_t mult) {
    splitter *sp = (splitter *)w;
    int64_t size = w->e->syms[n->sym].size;
    if (sp->arg >= 0 && einc__node_in_brackets(n)) add_part(sp->s, sp->arg, dim, mult, size);
    else if (einc__operand_add(&sp->s->loop, n->sym, size, dim, mult, true) < 0) sp->s->too_many = true;
}

static void walk(const einc__expr *e, split_operand *s, const einc__node *n, int dim, int arg) {
    splitter sp = {{e, NULL, NULL, split_axis, NULL}, s, arg}; /* no concatenation: the rules refuse it */
    einc__walk(&sp.base, n, dim, 1);
}

static bool has_bracket(const einc__node *n) {
    if (n->kind == EINC__N_BRACKET) return true;
    for (int i = 0; i < n->n; i++)
        if (has_bracket(n->c[i])) return true;
    return false;
}

static int new_arg(split_operand *s) {
    if (s->nargs == EINC_MAX_DIMS) {
        s->too_many = true;
        return -1;
    }
    s->args[s->nargs] = (arg_dim){.size = 1};
    return s->nargs++;
}

static bool split(const einc__expr *e, const einc__node *root, split_operand *s) {
    memset(s, 0, sizeof *s);
    int dim = 0;
    for (int i = 0; i < root->n; i++) {
        const einc__node *item = root->c[i];
        if (item->kind == EINC__N_BRACKET) { /* "[h w]": each item is a tensor dim and an argument dim */
            const einc__node *inner = item->c[0];
            int n = inner->kind == EINC__N_LIST ? inner->n : 1;
            for (int k = 0; k < n; k++) {
                int arg = new_arg(s);
                if (arg < 0) break;
                walk(e, s, inner->kind == EINC__N_LIST ? inner->c[k] : inner, dim++, arg);
            }
        } else {
            int arg = has_bracket(item) ? new_arg(s) : -1;
            walk(e, s, item, dim++, arg);
        }
    }
    if (dim > EINC_MAX_DIMS) s->too_many = true;
    if (s->too_many)
        einc__error(e->arena->ctx, EINC_EUNSUPPORTED,
                    "einc_vmap: \"%s\" needs more than %d axes (or a diagonal of more than %d axes) for one tensor",
                    e->desc->text, EINC_MAX_DIMS, EINC_MAX_TERMS);
    return !s->too_many;
}

/* The stride of an argument dimension, or false if its axes are not one stride apart. */
static bool arg_stride(const arg_dim *a, const int64_t *strides, int64_t *out) {
    int64_t stride = 0, inner = 0, span = 0;
    bool have = false;
    for (int i = a->nparts - 1; i >= 0; i--) {
        if (a->part_size[i] == 1) continue;
        int64_t s = strides[a->parts[i].dim] * a->parts[i].mult;
        if (!have) {
            stride = s;
            inner = s;
            span = a->part_size[i];
            have = true;
        } else {
            if (s != inner * span) return false;
            inner = s;
            span = a->part_size[i];
        }
    }
    *out = stride;
    return true;
}

/* ---- the call ---------------------------------------------------------------------------------- */

typedef struct {
    einc_tensor *base;
    split_operand sp;
    int64_t loop_stride[EINC_MAX_LEAVES]; /* per loop axis of the call                        */
    einc_tensor *view;
} operand;

typedef struct {
    einc_ctx *ctx;
    const char *expr;
    const einc_vmap_op *op;
    int n; /* inputs + outputs */
    int ninputs;
    operand *ops;
    int nloop;
    int64_t loop_size[EINC_MAX_LEAVES];
} vmap_state;

static einc_status call_fn(vmap_state *v, const einc_vmap_args *args) {
    einc_ctx *ctx = v->ctx;
    einc_status before = einc_errcode(ctx);
    if (einc_scope_begin(ctx) != EINC_OK) return einc_errcode(ctx);
    einc_status st = v->op->fn(ctx, args, v->op->user);
    einc_scope_end(ctx);
    if (st == EINC_OK && before == EINC_OK && einc_errcode(ctx) != EINC_OK) st = einc_errcode(ctx);
    if (st == EINC_OK) return EINC_OK;
    char where[512] = "";
    if (args->index) {
        int w = snprintf(where, sizeof where, " at loop index (");
        for (int i = 0; i < args->nloops && w > 0 && (size_t)w < sizeof where - 24; i++)
            w += snprintf(where + w, sizeof where - (size_t)w, "%s%lld", i ? ", " : "", (long long)args->index[i]);
        snprintf(where + w, sizeof where - (size_t)w, ")");
    }
    einc__error(ctx, st, "einc_vmap(\"%s\"): the function returned %s%s", v->expr, einc_status_name(st), where);
    return st;
}

/* Views of every operand: loops first (WITH_AXIS) or only the arguments (per call). */
static einc_status make_views(vmap_state *v, bool with_axis) {
    for (int k = 0; k < v->n; k++) {
        operand *o = &v->ops[k];
        int64_t shape[EINC_MAX_DIMS], strides[EINC_MAX_DIMS];
        int nd = 0;
        if (with_axis) {
            if (v->nloop + o->sp.nargs > EINC_MAX_DIMS)
                return einc__error(v->ctx, EINC_EUNSUPPORTED,
                                   "einc_vmap(\"%s\"): operand #%d would need %d dimensions "
                                   "(at most %d)",
                                   v->expr, k + 1, v->nloop + o->sp.nargs, EINC_MAX_DIMS);
            for (int i = 0; i < v->nloop; i++) {
                shape[nd] = v->loop_size[i];
                strides[nd++] = o->loop_stride[i];
            }
        }
        for (int i = 0; i < o->sp.nargs; i++) {
            shape[nd] = o->sp.args[i].size;
            if (!arg_stride(&o->sp.args[i], o->base->strides, &strides[nd++]))
                return einc__error(v->ctx, EINC_EUNSUPPORTED,
                                   "einc_vmap(\"%s\"): the bracketed axes of the %s #%d that form one argument "
                                   "dimension are not one stride apart in the tensor (a vectorized axis lies between "
                                   "them); rearrange the tensor first",
                                   v->expr, k < v->ninputs ? "input" : "output",
                                   k < v->ninputs ? k + 1 : k - v->ninputs + 1);
        }
        o->view = einc__tensor_view_of(v->ctx, o->base, nd, shape, strides, o->base->offset);
        if (!o->view) return EINC_ENOMEM;
    }
    return EINC_OK;
}

static einc_status run(vmap_state *v, einc_tensor **in_views, einc_tensor **out_views) {
    bool with_axis = (v->op->flags & EINC_VMAP_WITH_AXIS) != 0;
    einc_status st = make_views(v, with_axis);
    if (st != EINC_OK) return st;
    for (int k = 0; k < v->n; k++) {
        if (k < v->ninputs) in_views[k] = v->ops[k].view;
        else out_views[k - v->ninputs] = v->ops[k].view;
    }
    einc_vmap_args args = {v->ninputs, v->n - v->ninputs, in_views, out_views, v->nloop, NULL, 0, NULL};
    if (with_axis) {
        int axes[EINC_MAX_DIMS];
        args.naxes = v->ninputs ? v->ops[0].sp.nargs : 0;
        for (int i = 0; i < args.naxes; i++) axes[i] = v->nloop + i;
        args.axes = axes;
        return call_fn(v, &args);
    }
    int64_t index[EINC_MAX_LEAVES] = {0};
    args.index = index;
    for (;;) {
        for (int k = 0; k < v->n; k++) {
            operand *o = &v->ops[k];
            int64_t off = 0;
            for (int i = 0; i < v->nloop; i++) off += index[i] * o->loop_stride[i];
            o->view->offset = o->base->offset + off * (int64_t)einc_dtype_size(o->base->dtype);
        }
        st = call_fn(v, &args);
        if (st != EINC_OK) return st;
        int i = v->nloop - 1;
        while (i >= 0 && ++index[i] == v->loop_size[i]) index[i--] = 0;
        if (i < 0) return EINC_OK;
    }
}

/* ---- front end ------------------------------------------------------------------------------------ */

static bool rules_before(einc__rules *r, int noutputs) {
    einc__desc *d = r->d;
    einc_ctx *ctx = r->a->ctx;
    if (d->ninputs != r->ntensors) {
        einc__error(ctx, EINC_EVALUE,
                    "The operation is defined with %d input expression%s, but %d input tensor%s given as argument.",
                    d->ninputs, d->ninputs == 1 ? "" : "s", r->ntensors, r->ntensors == 1 ? " is" : "s are");
        return false;
    }
    einc__expr e;
    memset(&e, 0, sizeof e);
    e.desc = d;
    e.arena = r->a;
    e.call = r->call;
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < (side ? d->noutputs : d->ninputs); i++) {
            const einc__node *root = side ? d->outputs[i] : d->inputs[i];
            const einc__node *stack[512];
            int sp = 0;
            stack[sp++] = root;
            while (sp) {
                const einc__node *x = stack[--sp];
                if (x->kind == EINC__N_CONCAT) {
                    einc__marks m;
                    if (!einc__marks_init(r->a, &m, d->text)) return false;
                    einc__marks_literal(&m, d->text, "+");
                    return einc__notation_error(&e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                                "The concatenation operator (+) is not allowed in this function.");
                }
                for (int k = 0; k < x->n && sp < 512; k++) stack[sp++] = x->c[k];
            }
        }
    if (!d->has_arrow) {
        if (d->ninputs == 1) {
            if (!einc__set_outputs_clone(r, 0)) return false;
        } else {
            einc__marks m;
            if (!einc__marks_init(r->a, &m, d->text)) return false;
            return einc__notation_error(&e, EINC_ESEMANTIC, &m, NULL, EINC__EQ_NONE,
                                        "The operation expects an output expression, but no '->' was found.");
        }
    }
    if (d->noutputs != noutputs) {
        einc__error(ctx, EINC_EVALUE,
                    "einc_vmap(\"%s\"): the expression has %d output%s, but %d output tensor%s requested", d->text,
                    d->noutputs, d->noutputs == 1 ? "" : "s", noutputs, noutputs == 1 ? " was" : "s were");
        return false;
    }
    return true;
}

static void vec_syms(const einc__node *n, bool *mask) {
    if (n->kind == EINC__N_BRACKET) return;
    if (n->kind == EINC__N_AXIS && n->sym >= 0) mask[n->sym] = true;
    for (int i = 0; i < n->n; i++) vec_syms(n->c[i], mask);
}

static bool rules_after(const einc__expr *e) {
    bool *present = einc__arena_alloc(e->arena, sizeof(bool) * (size_t)(e->nsyms + 1));
    if (!present) return false;
    for (int o = 0; o < e->noutputs; o++) {
        if (!einc__check_output_duplicates(e, e->out[o])) return false;
        vec_syms(e->out[o], present);
    }
    for (int i = 0; i < e->ninputs; i++)
        if (!einc__check_missing(e, i, present)) return false;
    return true;
}

/* The front end's hook after parsing: the rules above, for `noutputs` outputs. */
typedef struct {
    einc__rules r;
    int noutputs;
} vmap_rules;

static bool parsed(void *user, einc__front *f) {
    vmap_rules *vr = user;
    vr->r.d = &f->d;
    vr->r.call = &f->call;
    return rules_before(&vr->r, vr->noutputs);
}

static einc_status vmap_build(vmap_state *v, einc__arena *a, einc_tensor *const *inputs, int noutputs,
                              einc_tensor **outputs, einc_axes axes) {
    einc_ctx *ctx = v->ctx;
    int ninputs = v->ninputs;
    einc__front *f = einc__arena_alloc(a, sizeof *f);
    if (!f) return EINC_ENOMEM;
    vmap_rules vr = {{a, NULL, NULL, EINC_OP_ID, ninputs, false}, noutputs};
    einc__front_spec spec = {v->expr, ninputs, inputs, NULL, NULL, axes, EINC__CSE | EINC__CSE_IN_BRACKETS,
                             parsed,  NULL,    &vr};
    if (!einc__front_run(a, &spec, f) || !rules_after(&f->e)) return einc_errcode(ctx);
    const einc__expr *e = &f->e;

    v->n = ninputs + noutputs;
    v->ops = einc__arena_alloc(a, sizeof(operand) * (size_t)v->n);
    if (!v->ops) return EINC_ENOMEM;
    for (int o = 0; o < noutputs; o++) {
        const einc__node *dims[EINC_MAX_DIMS + 1];
        int nd = einc__root_dims(e->out[o], dims, EINC_MAX_DIMS + 1);
        if (nd > EINC_MAX_DIMS)
            return einc__error(ctx, EINC_EUNSUPPORTED,
                               "einc_vmap: output #%d of \"%s\" would have more than %d "
                               "dimensions",
                               o + 1, v->expr, EINC_MAX_DIMS);
        int64_t shape[EINC_MAX_DIMS];
        for (int k = 0; k < nd; k++) shape[k] = einc__node_size(e, dims[k]);
        outputs[o] = einc_tensor_zeros(ctx, v->op->dtype, nd, shape);
        if (!outputs[o]) return einc_errcode(ctx);
    }
    for (int k = 0; k < v->n; k++) {
        operand *op = &v->ops[k];
        op->base = k < ninputs ? inputs[k] : outputs[k - ninputs];
        if (!split(e, k < ninputs ? e->in[k] : e->out[k - ninputs], &op->sp)) return einc_errcode(ctx);
    }
    /* the loops: the outputs' vectorized axes, in order of appearance */
    int loop_sym[EINC_MAX_LEAVES];
    v->nloop = 0;
    for (int k = ninputs; k < v->n; k++)
        for (int i = 0; i < v->ops[k].sp.loop.nleaves; i++) {
            int sym = v->ops[k].sp.loop.leaves[i].sym;
            bool seen = false;
            for (int j = 0; j < v->nloop && !seen; j++) seen = loop_sym[j] == sym;
            if (seen) continue;
            if (v->nloop == EINC_MAX_LEAVES)
                return einc__error(ctx, EINC_EUNSUPPORTED, "einc_vmap: \"%s\" has more than %d loop axes", v->expr,
                                   EINC_MAX_LEAVES);
            loop_sym[v->nloop] = sym;
            v->loop_size[v->nloop++] = e->syms[sym].size;
        }
    for (int k = 0; k < v->n; k++) {
        operand *op = &v->ops[k];
        for (int j = 0; j < v->nloop; j++) {
            op->loop_stride[j] = 0; /* an operand without the axis is broadcast along it */
            for (int i = 0; i < op->sp.loop.nleaves; i++)
                if (op->sp.loop.leaves[i].sym == loop_sym[j])
                    op->loop_stride[j] = einc__leaf_stride(&op->sp.loop.leaves[i], op->base->strides);
        }
    }
    return EINC_OK;
}

einc_status einc_vmap(einc_ctx *ctx, const char *expr, int ninputs, einc_tensor *const *inputs, int noutputs,
                      einc_tensor **outputs, const einc_vmap_op *op, einc_axes axes) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (noutputs < 1 || noutputs > EINC_MAX_OPERANDS || !outputs)
        return einc__error(ctx, EINC_EINVAL, "einc_vmap: %d outputs%s (1 to %d)", noutputs, outputs ? "" : " at NULL",
                           EINC_MAX_OPERANDS);
    for (int o = 0; o < noutputs; o++) outputs[o] = NULL;
    if (!expr) return einc__error(ctx, EINC_EINVAL, "einc_vmap: expression is NULL");
    if (!op || !op->fn) return einc__error(ctx, EINC_EINVAL, "einc_vmap(\"%s\"): the operation has no function", expr);
    if (!einc__dtype_valid(op->dtype))
        return einc__error(ctx, EINC_EINVAL, "einc_vmap(\"%s\"): invalid output dtype %d", expr, (int)op->dtype);
    if (ninputs < 0 || ninputs > EINC_MAX_OPERANDS || (ninputs > 0 && !inputs))
        return einc__error(ctx, EINC_EINVAL, "einc_vmap(\"%s\"): %d inputs (at most %d)", expr, ninputs,
                           EINC_MAX_OPERANDS);
    for (int i = 0; i < ninputs; i++)
        if (!inputs[i])
            return einc__error(ctx, EINC_EINVAL, "einc_vmap(\"%s\"): input tensor #%d is NULL", expr, i + 1);
    if (axes.n < 0 || (axes.n > 0 && !axes.v))
        return einc__error(ctx, EINC_EINVAL, "einc_vmap: invalid constraints (n = %d)", axes.n);

    einc__arena a;
    einc__arena_init(&a, ctx);
    vmap_state v;
    memset(&v, 0, sizeof v);
    v.ctx = ctx;
    v.expr = expr;
    v.op = op;
    v.ninputs = ninputs;
    einc_status st = vmap_build(&v, &a, inputs, noutputs, outputs, axes);
    einc_tensor *in_views[EINC_MAX_OPERANDS], *out_views[EINC_MAX_OPERANDS];
    if (st == EINC_OK) st = run(&v, in_views, out_views);
    for (int k = 0; v.ops && k < v.n; k++) einc_tensor_release(v.ops[k].view);
    if (st != EINC_OK && einc_errcode(ctx) == EINC_OK)
        einc__error(ctx, EINC_ENOMEM, "out of memory in einc_vmap(\"%s\")", expr);
    einc__arena_free(&a);
    if (st != EINC_OK)
        for (int o = 0; o < noutputs; o++) {
            einc_tensor_release(outputs[o]);
            outputs[o] = NULL;
        }
    return st;
}
