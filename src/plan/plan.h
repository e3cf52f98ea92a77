/* plan.h — compiled einx operations: what a call needs at run time, independent of strides.
 *
 * A plan is built once per (operation, expression, input shapes, dtypes, constraints, options)
 * and cached in the context. It describes every operand as a list of LEAVES: the distinct axes
 * after un-flattening, diagonal extraction and squeezing. A leaf's stride is not stored; it is a
 * sum of TERMS (dimension, multiplier) of the tensor it comes from, so one plan serves every
 * memory layout: at run time stride = sum(strides[term.dim] * term.mult). Un-flattening never
 * copies; copies happen only where an operation must write a new layout.
 */
#ifndef EINC_PLAN_H
#define EINC_PLAN_H

#include "../notation/notation.h"

#define EINC_MAX_LEAVES EINC_MAX_DIMS
#define EINC_MAX_TERMS 4     /* one leaf repeated this often in one input: a diagonal of 4 axes */
#define EINC_MAX_OPERANDS 16 /* tensors of one call                                              */
#define EINC_MAX_PIECES 32   /* concatenation pieces of one id call                              */

typedef struct einc__term {
    int dim;      /* dimension of the source tensor                                  */
    int64_t mult; /* multiplier of that dimension's stride                           */
} einc__term;

typedef struct einc__leaf {
    int sym; /* axis: index into the plan's axis table                               */
    int64_t size;
    int nterms; /* 0: broadcast (stride 0)                                           */
    einc__term terms[EINC_MAX_TERMS];
} einc__leaf;

/* One tensor (or one concatenation piece of it) as leaves. */
typedef struct einc__operand {
    int nleaves;
    einc__leaf leaves[EINC_MAX_LEAVES];
    int noffset; /* element offset of the piece: sum(strides[dim] * mult)             */
    einc__term offset[EINC_MAX_TERMS * 2];
} einc__operand;

typedef enum {
    EINC__FAMILY_ID,
    EINC__FAMILY_DOT,
    EINC__FAMILY_REDUCE,
    EINC__FAMILY_ELEMENTWISE,
    EINC__FAMILY_SOFTMAX,
    EINC__FAMILY_ARGFIND, /* argmax, argmin (src/plan/sorting.h)     */
    EINC__FAMILY_SORT,    /* sort, argsort                          */
    EINC__FAMILY_SHIFT,   /* flip, roll                             */
    EINC__FAMILY_INDEX    /* get_at, set_at, add_at, subtract_at (index.h) */
} einc__family;

/* id: input piece `in_tensor` (leaves aligned to the output piece) copied to output piece. */
typedef struct einc__pair {
    int in_tensor, out_tensor;
    einc__operand src, dst;
} einc__pair;

/* dot: one pairwise contraction. Operand 0 is input 0 or the previous step's result. */
typedef struct einc__dot_step {
    int a_input; /* input tensor index, or -1: the previous step's result  */
    int b_input; /* input tensor index                                      */
    int nbatch, nleft, ncontr, nright;
    int batch[EINC_MAX_LEAVES], left[EINC_MAX_LEAVES], contr[EINC_MAX_LEAVES], right[EINC_MAX_LEAVES];
} einc__dot_step;

typedef struct einc__plan {
    einc__arena arena; /* owns everything below                                  */
    int64_t refcount;  /* the cache's reference, the autograd nodes' and a caller's */
    einc_op op;
    einc__family family;
    int ninputs, noutputs;
    einc_dtype in_dtype[EINC_MAX_OPERANDS];
    einc_dtype out_dtype[EINC_MAX_OPERANDS];
    int out_ndim[EINC_MAX_OPERANDS];
    int64_t out_shape[EINC_MAX_OPERANDS][EINC_MAX_DIMS];
    einc_dtype compute; /* elementwise/dot: dtype the work is done in            */
    /* elementwise fold acc = op(acc, in[i]), i >= 1: each step's compute and result dtypes,
     * decided at plan time (a result unlike the output's goes to a temporary) */
    einc_dtype step_compute[EINC_MAX_OPERANDS], step_result[EINC_MAX_OPERANDS];
    int nsyms;
    const char **sym_name;
    int64_t *sym_size;
    char *resolved; /* the expanded expression, for explain                   */

    /* id */
    int npairs;
    einc__pair *pairs;
    bool may_view;                     /* one pair, no concatenation            */
    int dim_leaf_begin[EINC_MAX_DIMS]; /* output dim k = dst leaves [begin, end) */
    int dim_leaf_end[EINC_MAX_DIMS];

    /* elementwise, reduce, softmax, dot: one output */
    einc__operand out;        /* the output's leaves, in its order                          */
    einc__operand *in;        /* [ninputs]: elementwise: aligned to out; others: own order   */
    uint32_t reduce_mask;     /* reduce/softmax: leaves of in[0] that are reduced           */
    bool direct;              /* reduce/softmax/dot: write straight into the output         */
    einc__operand y;          /* reduce/softmax direct: output strides aligned to in[0]     */
    einc__operand tmp_to_out; /* otherwise: the temporary's dims (terms) aligned to out     */
    int tmp_ndim;
    int64_t tmp_shape[EINC_MAX_DIMS];

    /* dot */
    int nsteps;
    einc__dot_step *steps;

    /* argfind, sort, flip, roll (src/plan/sorting.h) */
    struct einc__sorting_plan *sorting;
    /* indexing */
    struct einc__index_plan *index;
    /* einc_attention's front end (src/ops/attention_ops.c): the roles, cached like a plan under
     * the operation value EINC_OP_COUNT_, which no notation call has; out_shape[0] is its output */
    struct einc__attn_map *attention;
} einc__plan;

/* What a family does at each stage, one row per family (family.c) in place of a switch per stage:
 *   cse, expanded   the front end's merging and its hook on the expanded trees (NULL: none)
 *   lower           the plan of a solved expression     run      the plan on tensors
 *   explain         its steps as text                   storage_dtypes  takes float16 ... int16
 * The gradients sit a layer up, in autograd/grad_notation.c's table over the same families. */
struct einc__rules;
typedef struct einc__family_ops {
    unsigned cse;
    bool (*expanded)(const struct einc__rules *r, einc__expr *e);
    bool (*lower)(einc__plan *p, const einc__expr *e, const einc_op_options *options);
    einc_status (*run)(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs);
    void (*explain)(const einc__plan *p, einc__sb *sb);
    bool storage_dtypes;
} einc__family_ops;

extern const einc__family_ops einc__families[];

/* The stages of a family (id, dot, elementwise, reduce (with softmax), sorting (argfind, sort,
 * shift), index), defined in lower_<family>.c, exec_<family>.c and explain_<family>.c or, for the
 * first four, lower.c, exec.c and explain.c. */
#define EINC__FAMILY_STAGES(f)                                                                                         \
    bool einc__lower_##f(einc__plan *p, const einc__expr *e, const einc_op_options *options);                          \
    einc_status einc__run_##f(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs);  \
    void einc__explain_##f(const einc__plan *p, einc__sb *sb);
EINC__FAMILY_STAGES(id)
EINC__FAMILY_STAGES(dot)
EINC__FAMILY_STAGES(elementwise)
EINC__FAMILY_STAGES(reduce)
EINC__FAMILY_STAGES(sorting)
EINC__FAMILY_STAGES(index)
#undef EINC__FAMILY_STAGES

/* Builds the plan for a call (the slow path): parse, rules, expand, merge, solve, lower.
 * Returns NULL with the error recorded. The plan owns its memory (free with einc__plan_free). */
einc__plan *einc__plan_build(einc_ctx *ctx, einc_op op, const char *expr, int ninputs, einc_tensor *const *inputs,
                             einc_axes axes, const einc_op_options *options);
void einc__plan_free(einc__plan *p);
/* Reference counting: a new plan has one reference; release frees it at zero. */
void einc__plan_retain(einc__plan *p);
void einc__plan_release(einc__plan *p);

/* Runs a plan on inputs matching its key; writes plan->noutputs new tensors. */
einc_status einc__plan_exec(einc_ctx *ctx, const einc__plan *p, einc_tensor *const *inputs, einc_tensor **outputs);

/* Appends "[a=2, b=3 (broadcast), ...]": an operand's leaves, for explain texts. */
void einc__explain_leaves(einc__sb *sb, const einc__plan *p, const einc__operand *op);

/* A view of `t` with one dimension per leaf of `op` (broadcast leaves stride 0, the piece's offset
 * applied): how gradients and other whole-tensor work see an operand. NULL stays NULL. */
einc_tensor *einc__leaf_view(einc_ctx *ctx, einc_tensor *t, const einc__operand *op);

/* Writes the plan as text (einc_explain). */
void einc__plan_explain(const einc__plan *p, einc__sb *sb);

/* Lowering steps of lower.c shared with the families lowered in other files. Each records its
 * error and returns false on failure.
 *   einc__lower_output   the output's leaves and shape (p->out, p->out_shape[0])
 *   einc__lower_inputs   every input's leaves, length-1 axes the output lacks dropped (bracketed
 *                        axes kept when asked)
 *   einc__lower_tmp      the contiguous temporary over `leaves` (minus dropped_mask) and its map
 *                        onto the output (p->tmp_*)
 *   einc__plan_decompose a root's leaves (dim_begin/dim_end: each top-level dimension's leaf range;
 *                        duplicate: a vectorized axis repeated, i.e. a diagonal; all may be NULL)
 *   einc__plan_squeeze   drops length-1 leaves not in keep [nsyms]
 *   einc__plan_align     src's leaves in target's order (axes src lacks broadcast)
 *   einc__plan_output_shape  output o's shape */
bool einc__lower_output(einc__plan *p, const einc__expr *e);
bool einc__lower_inputs(einc__plan *p, const einc__expr *e, bool keep_brackets);
void einc__lower_tmp(einc__plan *p, const einc__operand *leaves, uint32_t dropped_mask);
bool einc__plan_decompose(const einc__expr *e, const einc__node *root, einc__operand *op, int *dim_begin, int *dim_end,
                          bool *duplicate);
void einc__plan_squeeze(einc__operand *op, const bool *keep);
void einc__plan_align(const einc__operand *src, const einc__operand *target, einc__operand *out);
bool einc__plan_output_shape(einc__plan *p, const einc__expr *e, int o);

/* A row-major walk of one top-level dimension `dim` of a solved tree: `axis` sees every axis with
 * its multiplier of the dimension's stride; a concatenation walks the piece choice[its preorder
 * number] (choice NULL: the first), marks it in `reached` (may be NULL) and hands the piece's
 * offset to `offset`. Callers extend the struct (it comes first in theirs). */
typedef struct einc__walker {
    const einc__expr *e;
    const int *choice;
    bool *reached;
    void (*axis)(struct einc__walker *w, const einc__node *axis, int dim, int64_t mult);
    void (*offset)(struct einc__walker *w, int dim, int64_t mult);
} einc__walker;
void einc__walk(einc__walker *w, const einc__node *n, int dim, int64_t mult);
/* Adds (dim, mult) to op as a new leaf of axis `sym`, or (merge) as another term of its leaf
 * if it has one (a diagonal). Returns 0 (new leaf), 1 (a term added) or -1 (no room). */
int einc__operand_add(einc__operand *op, int sym, int64_t size, int dim, int64_t mult, bool merge);

/* Stride of a leaf in a tensor with these strides. */
static inline int64_t einc__leaf_stride(const einc__leaf *l, const int64_t *strides) {
    int64_t s = 0;
    for (int i = 0; i < l->nterms; i++) s += strides[l->terms[i].dim] * l->terms[i].mult;
    return s;
}

#endif /* EINC_PLAN_H */
