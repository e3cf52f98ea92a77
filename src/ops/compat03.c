/* compat03.c — einx 0.3 calls rewritten into einx 0.4 ones (spec §3.10, include/einc/compat03.h).
 *
 * A 0.3 call is parsed with the 0.4 parser (which already distributes nested "->": "b [c1->c2]"
 * is "b [c1] -> b [c2]"), rewritten as text into the 0.4 form and run by einc_apply, so it gets
 * the plan cache and the 0.4 checks. The printers below write parsed trees back as text: with or
 * without their brackets, or only their bracketed parts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../notation/call.h"
#include "../plan/rules.h"

#define TEXT_CAP 4096

/* ---- printing parsed trees ------------------------------------------------------------------- */

typedef enum {
    PRINT_DEMARKED, /* every axis, brackets dropped:  "b (g [c])" -> "b (g c)"     */
    PRINT_MARKED    /* only what lies in brackets:     "b (g [c])" -> "(c)"         */
} print_mode;

static bool has_bracket(const einc__node *n) {
    if (n->kind == EINC__N_BRACKET) return true;
    for (int i = 0; i < n->n; i++)
        if (has_bracket(n->c[i])) return true;
    return false;
}

static bool is_anonymous(const einc__node *n) { return n->kind == EINC__N_AXIS && strcmp(n->name, "..") == 0; }

static bool is_unnamed(const einc__node *n) {
    return n->kind == EINC__N_AXIS && n->value >= 0 && strncmp(n->name, "unnamed.", 8) == 0;
}

static void print_tree(einc__sb *sb, const einc__node *n, print_mode mode) {
    if (mode == PRINT_MARKED && n->kind != EINC__N_BRACKET) {
        if (!has_bracket(n)) return;
    }
    switch (n->kind) {
    case EINC__N_AXIS:
        if (is_unnamed(n)) einc__sb_printf(sb, "%lld", (long long)n->value);
        else if (is_anonymous(n)) einc__sb_printf(sb, "...");
        else einc__sb_printf(sb, "%s", n->name);
        return;
    case EINC__N_BRACKET: print_tree(sb, n->c[0], PRINT_DEMARKED); return;
    case EINC__N_FLAT:
        einc__sb_printf(sb, "(");
        print_tree(sb, n->c[0], mode);
        einc__sb_printf(sb, ")");
        return;
    case EINC__N_ELLIPSIS:
        if (is_anonymous(n->c[0])) {
            einc__sb_printf(sb, "...");
            return;
        }
        print_tree(sb, n->c[0], mode);
        einc__sb_printf(sb, "...");
        return;
    default: { /* lists and concatenations */
        const char *sep = n->kind == EINC__N_CONCAT ? " + " : " ";
        if (n->kind == EINC__N_CONCAT) einc__sb_printf(sb, "(");
        bool first = true;
        for (int i = 0; i < n->n; i++) {
            if (mode == PRINT_MARKED && !has_bracket(n->c[i])) continue;
            if (!first) einc__sb_printf(sb, "%s", sep);
            print_tree(sb, n->c[i], mode);
            first = false;
        }
        if (n->kind == EINC__N_CONCAT) einc__sb_printf(sb, ")");
        return;
    }
    }
}

/* ---- shared helpers ---------------------------------------------------------------------------- */

/* 0.3 spelled "->" also as "|"; the copy has every "|" replaced. */
static char *arrow_text(einc__arena *a, const char *expr) {
    size_t n = 0;
    for (const char *p = expr; *p; p++) n += *p == '|' ? 2 : 1;
    char *s = einc__arena_alloc(a, n + 1);
    if (!s) return NULL;
    char *w = s;
    for (const char *p = expr; *p; p++) {
        if (*p == '|') {
            *w++ = '-';
            *w++ = '>';
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return s;
}

static bool text_done(einc_ctx *ctx, const einc__sb *sb, const char *expr) {
    if (sb->len + 1 < sb->cap) return true;
    einc__error(ctx, EINC_EUNSUPPORTED, "the rewritten form of \"%s\" is longer than %d characters", expr, TEXT_CAP);
    return false;
}

static bool is_reduction(einc_op op) { return einc__op_family(op) == EINC__FAMILY_REDUCE; }
static bool is_elementwise(einc_op op) {
    return einc__op_family(op) == EINC__FAMILY_ELEMENTWISE && op < EINC_OP_SOFTMAX;
}

/* ---- dot ------------------------------------------------------------------------------------------ */

static int ellipsis_depth(const einc__node *n) {
    int d = 0;
    for (const einc__node *q = n->parent; q; q = q->parent) d += q->kind == EINC__N_ELLIPSIS;
    return d;
}

/* Appends the bracketed named axes of a tree (with "..." per enclosing ellipsis), each once;
 * `seen` holds the names written so far as "\nname\nname...\n". */
static bool marked_names(einc_ctx *ctx, const einc__node *n, einc__sb *sb, einc__sb *seen) {
    if (n->kind == EINC__N_AXIS && einc__node_in_brackets(n) && !is_anonymous(n)) {
        if (is_unnamed(n)) {
            if (n->value == 1) return true;
            einc__error(ctx, EINC_EVALUE, "Cannot mark unnamed non-trivial axes, but found %lld", (long long)n->value);
            return false;
        }
        char key[TEXT_CAP];
        einc__sb k;
        einc__sb_init(&k, key, sizeof key);
        einc__sb_printf(&k, "\n%s", n->name);
        for (int d = ellipsis_depth(n); d > 0; d--) einc__sb_printf(&k, "...");
        einc__sb_printf(&k, "\n");
        if (strstr(seen->buf, key)) return true;
        einc__sb_printf(seen, "%s", key + 1);
        einc__sb_printf(sb, "%s%.*s", sb->len ? " " : "", (int)k.len - 2, key + 1);
        return true;
    }
    for (int i = 0; i < n->n; i++)
        if (!marked_names(ctx, n->c[i], sb, seen)) return false;
    return true;
}

/* Where a rewritten call goes: einc_apply, or (einc_explain03) einc_explain into x's buffer. */
typedef struct {
    char *buf;
    size_t size;
    int64_t len;
} explain03;

static einc_status run04(einc_ctx *ctx, explain03 *x, einc_op op, const char *text, int ninputs,
                         einc_tensor *const *inputs, int noutputs, einc_tensor **outputs, einc_axes axes,
                         const einc_op_options *options) {
    if (!x) return einc_apply(ctx, op, text, ninputs, inputs, noutputs, outputs, axes, options);
    x->len = einc_explain(ctx, op, text, ninputs, inputs, axes, options, x->buf, x->size);
    return x->len < 0 ? einc_errcode(ctx) : EINC_OK;
}

static einc_status dot03(einc_ctx *ctx, einc__arena *a, explain03 *x, const char *text, int ninputs,
                         einc_tensor *const *inputs, int noutputs, einc_tensor **outputs, einc_axes axes) {
    einc__desc d;
    if (!einc__parse(a, text, &d)) return einc_errcode(ctx);
    if (!(d.ninputs == 1 && ninputs == 2))
        return run04(ctx, x, EINC_OP_DOT, text, ninputs, inputs, noutputs, outputs, axes, NULL);
    if (d.noutputs > 1)
        return einc__error(ctx, EINC_EVALUE, "dot: the expression \"%s\" has %d outputs", text, d.noutputs);
    einc__node *out = d.noutputs == 1 ? d.outputs[0] : d.inputs[0]; /* 0.3: no "->" means output = input */
    char second[TEXT_CAP], seen_buf[TEXT_CAP];
    einc__sb s2, seen;
    einc__sb_init(&s2, second, sizeof second);
    einc__sb_init(&seen, seen_buf, sizeof seen_buf);
    einc__sb_printf(&seen, "\n");
    if (!marked_names(ctx, d.inputs[0], &s2, &seen) || !marked_names(ctx, out, &s2, &seen)) return einc_errcode(ctx);
    char buf[TEXT_CAP];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    print_tree(&sb, d.inputs[0], PRINT_DEMARKED);
    einc__sb_printf(&sb, ", %s -> ", second);
    print_tree(&sb, out, PRINT_DEMARKED);
    if (!text_done(ctx, &sb, text) || !text_done(ctx, &s2, text)) return einc_errcode(ctx);
    return run04(ctx, x, EINC_OP_DOT, buf, ninputs, inputs, noutputs, outputs, axes, NULL);
}

/* ---- elementwise, reductions --------------------------------------------------------------------- */

static einc_status elementwise03(einc_ctx *ctx, einc__arena *a, explain03 *x, einc_op op, const char *text, int ninputs,
                                 einc_tensor *const *inputs, int noutputs, einc_tensor **outputs, einc_axes axes) {
    einc__desc d;
    if (!einc__parse(a, text, &d)) return einc_errcode(ctx);
    if (d.has_arrow || d.ninputs != 1 || ninputs != 2)
        return run04(ctx, x, op, text, ninputs, inputs, noutputs, outputs, axes, NULL);
    char buf[TEXT_CAP];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    print_tree(&sb, d.inputs[0], PRINT_DEMARKED);
    einc__sb_printf(&sb, ", ");
    print_tree(&sb, d.inputs[0], PRINT_MARKED);
    if (!text_done(ctx, &sb, text)) return einc_errcode(ctx);
    return run04(ctx, x, op, buf, ninputs, inputs, noutputs, outputs, axes, NULL);
}

static einc_status reduce03(einc_ctx *ctx, einc__arena *a, explain03 *x, einc_op op, const char *text, int ninputs,
                            einc_tensor *const *inputs, int noutputs, einc_tensor **outputs, einc_axes axes,
                            bool keepdims) {
    einc__desc d;
    if (!einc__parse(a, text, &d)) return einc_errcode(ctx);
    if (d.has_arrow && keepdims) return einc__error(ctx, EINC_EVALUE, "keepdims cannot be given when using '->'");
    if (!d.has_arrow) {
        bool marked = false;
        for (int i = 0; i < d.ninputs; i++) marked = marked || has_bracket(d.inputs[i]);
        if (!marked) return einc__error(ctx, EINC_EVALUE, "No axes are marked for reduction\nExpression: \"%s\"", text);
    }
    einc_op_options o = {.keepdims = keepdims};
    return run04(ctx, x, op, text, ninputs, inputs, noutputs, outputs, axes, &o);
}

/* ---- arange ----------------------------------------------------------------------------------------- */

/* A copy of `n` without its bracket groups (arange's implicit input). */
static einc__node *unmarked(einc__arena *a, const einc__node *n) {
    einc__node *x = einc__node_clone(a, n);
    if (!x) return NULL;
    int w = 0;
    for (int i = 0; i < x->n; i++) {
        if (x->c[i]->kind == EINC__N_BRACKET) continue;
        einc__node *c = unmarked(a, x->c[i]);
        if (!c) return NULL;
        c->parent = x;
        x->c[w++] = c;
    }
    x->n = w;
    return x;
}

static bool has_kind(const einc__node *n, einc__node_kind k) {
    if (n->kind == k) return true;
    for (int i = 0; i < n->n; i++)
        if (has_kind(n->c[i], k)) return true;
    return false;
}

typedef struct {
    int marked_sym; /* the stacking axis, printed as "(1 + 1 + ...)"    */
    int ndim;
} arange_printer;

/* The expanded output with every axis renamed "_<sym>" (so that no internal name reaches the
 * parser) and the stacking axis written as a concatenation of one 1 per coordinate. */
static void print_expanded(einc__sb *sb, const einc__node *n, const arange_printer *p) {
    switch (n->kind) {
    case EINC__N_AXIS:
        if (n->sym == p->marked_sym) {
            einc__sb_printf(sb, "(");
            for (int i = 0; i < p->ndim; i++) einc__sb_printf(sb, i ? " + 1" : "1");
            einc__sb_printf(sb, ")");
        } else {
            einc__sb_printf(sb, "_%d", n->sym);
        }
        return;
    case EINC__N_BRACKET: print_expanded(sb, n->c[0], p); return;
    case EINC__N_FLAT:
        einc__sb_printf(sb, "(");
        print_expanded(sb, n->c[0], p);
        einc__sb_printf(sb, ")");
        return;
    default:
        for (int i = 0; i < n->n; i++) {
            if (i) einc__sb_printf(sb, " ");
            print_expanded(sb, n->c[i], p);
        }
        return;
    }
}

static void collect_leaves(const einc__node *n, const einc__node **out, int *count, int cap) {
    if (n->kind == EINC__N_AXIS) {
        if (*count < cap) out[*count] = n;
        (*count)++;
    }
    for (int i = 0; i < n->n; i++) collect_leaves(n->c[i], out, count, cap);
}

#define ARANGE_MAX_AXES 256

static einc_tensor *arange_build(einc_ctx *ctx, einc__arena *a, const char *text, einc_dtype dtype, einc_axes axes) {
    einc__desc parsed;
    if (!einc__parse(a, text, &parsed)) return NULL;
    if (parsed.ninputs != 1) {
        einc__error(ctx, EINC_EVALUE, "Only a single input expression is allowed\nExpression: \"%s\"", text);
        return NULL;
    }
    if (parsed.has_arrow && parsed.noutputs != 1) {
        einc__error(ctx, EINC_EVALUE, "Only a single output expression is allowed\nExpression: \"%s\"", text);
        return NULL;
    }
    einc__node *out = parsed.has_arrow ? parsed.outputs[0] : parsed.inputs[0];
    einc__node *in = parsed.has_arrow ? parsed.inputs[0] : unmarked(a, out);
    if (!in) return NULL;
    if (has_kind(in, EINC__N_BRACKET)) {
        einc__error(ctx, EINC_EVALUE, "Marker in input expression not allowed\nExpression: \"%s\"", text);
        return NULL;
    }
    if (has_kind(in, EINC__N_CONCAT) || has_kind(out, EINC__N_CONCAT)) {
        einc__error(ctx, EINC_EVALUE, "Concatenation not allowed\nExpression: \"%s\"", text);
        return NULL;
    }
    einc__desc d = {text, 1, 1, true, NULL, NULL};
    d.inputs = einc__arena_alloc(a, sizeof(einc__node *));
    d.outputs = einc__arena_alloc(a, sizeof(einc__node *));
    einc__call call;
    einc__expr e;
    int rank = -1;
    if (!d.inputs || !d.outputs || !einc__call_build(a, text, 0, NULL, NULL, axes, &call)) return NULL;
    d.inputs[0] = in;
    d.outputs[0] = out;
    if (!einc__expand(a, &d, &rank, &call, &e)) return NULL;

    /* the stacking axis is as long as the output has other axes */
    const einc__node *leaves[ARANGE_MAX_AXES], *in_leaves[ARANGE_MAX_AXES];
    int nleaves = 0, nin = 0, marked = -1, nmarked = 0;
    collect_leaves(e.out[0], leaves, &nleaves, ARANGE_MAX_AXES);
    collect_leaves(e.in[0], in_leaves, &nin, ARANGE_MAX_AXES);
    if (nleaves > ARANGE_MAX_AXES || nin > EINC_MAX_OPERANDS) {
        einc__error(ctx, EINC_EUNSUPPORTED, "arange: \"%s\" has more than %d input axes", text, EINC_MAX_OPERANDS);
        return NULL;
    }
    for (int i = 0; i < nleaves; i++)
        if (einc__node_in_brackets(leaves[i])) {
            marked = leaves[i]->sym;
            nmarked++;
        }
    if (nmarked > 1) {
        einc__error(ctx, EINC_EVALUE, "Expected at most one marked axis, got %d\nExpression: \"%s\"", nmarked, text);
        return NULL;
    }
    int ndim = nleaves - nmarked;
    if (marked >= 0) { /* one more equation: marked axis = ndim */
        int *cs = einc__arena_alloc(a, sizeof(int) * (size_t)(e.nconstraints + 1));
        int64_t *cv = einc__arena_alloc(a, sizeof(int64_t) * (size_t)(e.nconstraints + 1));
        if (!cs || !cv) return NULL;
        memcpy(cs, e.con_sym, sizeof(int) * (size_t)e.nconstraints);
        memcpy(cv, e.con_value, sizeof(int64_t) * (size_t)e.nconstraints);
        cs[e.nconstraints] = marked;
        cv[e.nconstraints] = ndim;
        e.con_sym = cs;
        e.con_value = cv;
        e.nconstraints++;
    }
    if (!einc__solve(&e)) return NULL;

    /* id("_0, _1 -> _0 _1 (1 + 1)", arange(len _0), arange(len _1)) with every length given */
    char buf[TEXT_CAP];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    for (int i = 0; i < nin; i++) einc__sb_printf(&sb, "%s_%d", i ? ", " : "", in_leaves[i]->sym);
    einc__sb_printf(&sb, " -> ");
    arange_printer pr = {marked, ndim};
    print_expanded(&sb, e.out[0], &pr);
    if (!text_done(ctx, &sb, text)) return NULL;
    einc_axis *sizes = einc__arena_alloc(a, sizeof(einc_axis) * (size_t)(e.nsyms + 1));
    char *names = einc__arena_alloc(a, (size_t)e.nsyms * 16 + 1);
    if (!sizes || !names) return NULL;
    int nsizes = 0;
    for (int s = 0; s < e.nsyms; s++) {
        if (s == marked) continue;
        char *nm = names + (size_t)s * 16;
        snprintf(nm, 16, "_%d", s);
        sizes[nsizes++] = (einc_axis){nm, e.syms[s].size};
    }
    einc_tensor *ins[EINC_MAX_OPERANDS];
    int made = 0;
    for (; made < nin; made++) {
        ins[made] = einc_tensor_arange(ctx, dtype, 0, (double)e.syms[in_leaves[made]->sym].size, 1);
        if (!ins[made]) break;
    }
    einc_tensor *result = NULL;
    if (made == nin) einc_apply(ctx, EINC_OP_ID, buf, nin, ins, 1, &result, (einc_axes){nsizes, sizes}, NULL);
    for (int i = 0; i < made; i++) einc_tensor_release(ins[i]);
    return result;
}

einc_tensor *einc_arange(einc_ctx *ctx, const char *expr, einc_dtype dtype, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    if (!ctx) return NULL;
    if (!expr) {
        einc__error(ctx, EINC_EINVAL, "einc_arange: expression is NULL");
        return NULL;
    }
    if (!einc__dtype_valid(dtype) || dtype == EINC_BOOL) {
        einc__error(ctx, EINC_EDTYPE, "einc_arange: the dtype must be an integer or float dtype, not %s",
                    einc_dtype_name(dtype));
        return NULL;
    }
    if (axes.n < 0 || (axes.n > 0 && !axes.v)) {
        einc__error(ctx, EINC_EINVAL, "einc_arange: invalid constraints (n = %d)", axes.n);
        return NULL;
    }
    einc__arena a;
    einc__arena_init(&a, ctx);
    char *text = arrow_text(&a, expr);
    einc_tensor *t = text ? arange_build(ctx, &a, text, dtype, axes) : NULL;
    if (!t && einc_errcode(ctx) == EINC_OK) einc__error(ctx, EINC_ENOMEM, "out of memory in arange(\"%s\")", expr);
    einc__arena_free(&a);
    return t;
}

/* ---- the array form ------------------------------------------------------------------------------ */

static einc_status count_error(einc_ctx *ctx, const char *func, const char *what, int want, int got) {
    return einc__error(ctx, EINC_EVALUE, "%s: expected %d %s%s, got %d", func, want, what, want == 1 ? "" : "s", got);
}

static einc_status dispatch(einc_ctx *ctx, einc__arena *a, explain03 *x, const char *func, const char *text,
                            int ninputs, einc_tensor *const *inputs, int noutputs, einc_tensor **outputs,
                            einc_axes axes, const einc_options03 *o) {
    if (x && (strcmp(func, "arange") == 0 || strcmp(func, "check") == 0))
        return einc__error(ctx, EINC_EVALUE, "%s: nothing to explain (it runs no einx operation)", func);
    if (strcmp(func, "arange") == 0) {
        if (ninputs != 0) return count_error(ctx, func, "input tensor", 0, ninputs);
        if (noutputs != 1) return count_error(ctx, func, "output", 1, noutputs);
        outputs[0] = einc_arange(ctx, text, EINC_INT32, axes);
        return outputs[0] ? EINC_OK : einc_errcode(ctx);
    }
    if (strcmp(func, "check") == 0) {
        if (noutputs != 0) return count_error(ctx, func, "output", 0, noutputs);
        einc_shape *shapes = einc__arena_alloc(a, sizeof(einc_shape) * (size_t)(ninputs + 1));
        if (!shapes) return EINC_ENOMEM;
        for (int i = 0; i < ninputs; i++) shapes[i] = einc_shape_of(inputs[i]);
        return einc_check(ctx, text, ninputs, shapes, axes);
    }
    const char *opname = func;
    bool generic =
        strcmp(func, "reduce") == 0 || strcmp(func, "elementwise") == 0 || strcmp(func, "vmap_with_axis") == 0;
    if (generic) {
        if (!o->op) return einc__error(ctx, EINC_EVALUE, "%s: the operation is missing (op=NAME)", func);
        opname = o->op;
    }
    int op = einc_op_from_name(opname);
    if (strcmp(func, "reduce") == 0 && (op < 0 || !is_reduction((einc_op)op)))
        return einc__error(ctx, EINC_EVALUE,
                           "reduce: '%s' is not a reduction (sum, mean, var, std, prod, "
                           "count_nonzero, any, all, max, min, logsumexp)",
                           opname);
    if (strcmp(func, "elementwise") == 0 && (op < 0 || !is_elementwise((einc_op)op)))
        return einc__error(ctx, EINC_EVALUE,
                           "elementwise: '%s' is not an elementwise operation (add, subtract, "
                           "multiply, divide, ..., where)",
                           opname);
    bool structural = op == EINC_OP_ID || op == EINC_OP_REARRANGE || op == EINC_OP_DOT;
    bool indexing = op >= EINC_OP_GET_AT && op <= EINC_OP_SUBTRACT_AT;
    if (op < 0 || (generic && (structural || indexing)))
        return einc__error(ctx, EINC_EVALUE, "%s: '%s' is not an einx 0.3 %s", func, opname,
                           generic ? "operation for it" : "function");
    einc_op e = (einc_op)op;
    if (e == EINC_OP_REARRANGE || e == EINC_OP_ID)
        return run04(ctx, x, e, text, ninputs, inputs, noutputs, outputs, axes, NULL);
    if (e == EINC_OP_DOT) return dot03(ctx, a, x, text, ninputs, inputs, noutputs, outputs, axes);
    if (strcmp(func, "vmap_with_axis") != 0) {
        if (is_reduction(e)) return reduce03(ctx, a, x, e, text, ninputs, inputs, noutputs, outputs, axes, o->keepdims);
        if (is_elementwise(e)) return elementwise03(ctx, a, x, e, text, ninputs, inputs, noutputs, outputs, axes);
    }
    einc_op_options opts;
    memset(&opts, 0, sizeof opts);
    opts.keepdims = o->keepdims;
    opts.nshift = o->nshift;
    if (o->nshift > 0 && o->nshift <= EINC_MAX_DIMS) memcpy(opts.shift, o->shift, sizeof(int64_t) * (size_t)o->nshift);
    return run04(ctx, x, e, text, ninputs, inputs, noutputs, outputs, axes, &opts);
}

/* einc_apply03 (x NULL) and einc_explain03: the checks, the rewrite, then run04. */
static einc_status apply03(einc_ctx *ctx, explain03 *x, const char *func, const char *expr, int ninputs,
                           einc_tensor *const *inputs, int noutputs, einc_tensor **outputs, einc_axes axes,
                           const einc_options03 *options) {
    if (!func || !expr) return einc__error(ctx, EINC_EINVAL, "einc_apply03: %s is NULL", func ? "expression" : "func");
    if (ninputs < 0 || (ninputs > 0 && !inputs))
        return einc__error(ctx, EINC_EINVAL, "einc_apply03(\"%s\"): inputs is NULL or ninputs = %d is negative", expr,
                           ninputs);
    for (int i = 0; i < ninputs; i++)
        if (!inputs[i]) return einc__error(ctx, EINC_EINVAL, "%s(\"%s\"): input tensor #%d is NULL", func, expr, i + 1);
    if (axes.n < 0 || (axes.n > 0 && !axes.v))
        return einc__error(ctx, EINC_EINVAL, "einc_apply03: invalid constraints (n = %d)", axes.n);
    einc_options03 defaults;
    memset(&defaults, 0, sizeof defaults);
    if (!options) options = &defaults;
    if (options->nshift < 0 || options->nshift > EINC_MAX_DIMS)
        return einc__error(ctx, EINC_EINVAL, "einc_apply03: nshift = %d (0 to %d)", options->nshift, EINC_MAX_DIMS);
    einc__arena a;
    einc__arena_init(&a, ctx);
    char *text = arrow_text(&a, expr);
    einc_status st =
        text ? dispatch(ctx, &a, x, func, text, ninputs, inputs, noutputs, outputs, axes, options) : EINC_ENOMEM;
    if (st != EINC_OK && einc_errcode(ctx) == EINC_OK) einc__error(ctx, EINC_ENOMEM, "out of memory in %s", func);
    einc__arena_free(&a);
    if (st != EINC_OK) st = einc_errcode(ctx) != EINC_OK ? einc_errcode(ctx) : st;
    return st;
}

einc_status einc_apply03(einc_ctx *ctx, const char *func, const char *expr, int ninputs, einc_tensor *const *inputs,
                         int noutputs, einc_tensor **outputs, einc_axes axes, const einc_options03 *options) {
    EINC__OWNED(ctx, EINC_EBUSY);
    if (!ctx) return EINC_EINVAL;
    if (noutputs < 0 || (noutputs > 0 && !outputs))
        return einc__error(ctx, EINC_EINVAL, "einc_apply03: outputs is NULL");
    for (int o = 0; o < noutputs; o++) outputs[o] = NULL;
    return apply03(ctx, NULL, func, expr, ninputs, inputs, noutputs, outputs, axes, options);
}

int64_t einc_explain03(einc_ctx *ctx, const char *func, const char *expr, int ninputs, einc_tensor *const *inputs,
                       einc_axes axes, const einc_options03 *options, char *buf, size_t size) {
    EINC__OWNED(ctx, -1);
    if (!ctx) return -1;
    explain03 x = {buf, size, -1};
    return apply03(ctx, &x, func, expr, ninputs, inputs, 0, NULL, axes, options) == EINC_OK ? x.len : -1;
}

/* ---- convenience forms ----------------------------------------------------------------------------- */

static einc_tensor *one03(einc_ctx *ctx, const char *func, const char *op, const char *expr, int n,
                          einc_tensor *const *in, einc_axes axes) {
    einc_tensor *out = NULL;
    if (!ctx) return NULL;
    einc_options03 o;
    memset(&o, 0, sizeof o);
    o.op = op;
    einc_apply03(ctx, func, expr, n, in, 1, &out, axes, &o);
    return out;
}

einc_tensor *einc_dot03(einc_ctx *ctx, const char *expr, einc_tensor *a, einc_tensor *b, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    einc_tensor *in[2] = {a, b};
    return one03(ctx, "dot", NULL, expr, 2, in, axes);
}

einc_tensor *einc_reduce_named(einc_ctx *ctx, const char *op, const char *expr, einc_tensor *x, einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one03(ctx, "reduce", op, expr, 1, &x, axes);
}

einc_tensor *einc_elementwise_named(einc_ctx *ctx, const char *op, const char *expr, einc_tensor *a, einc_tensor *b,
                                    einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    einc_tensor *in[2] = {a, b};
    return one03(ctx, "elementwise", op, expr, 2, in, axes);
}

einc_tensor *einc_vmap_with_axis_named(einc_ctx *ctx, const char *op, const char *expr, einc_tensor *x,
                                       einc_axes axes) {
    EINC__OWNED(ctx, NULL);
    return one03(ctx, "vmap_with_axis", op, expr, 1, &x, axes);
}
