/* index.h — the indexing operations get_at, set_at, add_at, subtract_at (spec §3.5): their rules,
 * plans, execution and gradients (private).
 *
 *   get_at("b [h w] c, b p [2] -> b p c", x, coords)
 *   set_at("b [h w] c, b p [2], b p c -> b [h w] c", x, coords, updates)
 *
 * Input 0 is the value tensor; its bracketed axes are the INDEXED axes. Then come coordinate
 * tensors, each with at most one bracketed axis (its length = how many coordinates it gives; no
 * bracket: one), together one coordinate per indexed axis, in order; *_at take the updates last.
 *
 * The plan describes everything in leaf space (plan.h) around one LOOP: get_at loops over the
 * output's axes; *_at over the output's vectorized axes followed by the SCATTER axes (those of
 * the coordinates and updates that the output does not have, e.g. p above). At every loop point
 * the coordinates pick one element of the INDEXED TENSOR t (get_at: the value tensor; *_at: the
 * output, which starts as a copy of the value tensor), which is read into the output (get_at) or
 * updated with the update value (*_at).
 */
#ifndef EINC_INDEX_H
#define EINC_INDEX_H

#include "../kernels/gather.h"
#include "rules.h"

/* One coordinate tensor (input 1 + its position). */
typedef struct einc__index_coord {
    int ncomp;          /* coordinates it provides                                           */
    int first_axis;     /* the first indexed axis they are for                               */
    einc__operand loop; /* its leaves aligned to the loop (without the component leaf)       */
    einc__operand own;  /* its own leaves: the elements the kernels read (checked first)    */
    int comp;           /* own leaf holding the coordinate index, or -1 (one coordinate)     */
} einc__index_coord;

typedef struct einc__index_plan {
    bool passthrough; /* *_at with an empty coordinate or update tensor: a copy of input 1  */
    bool update;      /* set_at, add_at, subtract_at                                         */
    const char *expr; /* the expression as passed, for messages                              */
    int nloop;
    int loop_sym[EINC_MAX_LEAVES];
    int64_t loop_size[EINC_MAX_LEAVES];
    int nvec;               /* the leading loop dims that are the output's vectorized axes      */
    einc__operand t_loop;   /* the indexed tensor's vectorized leaves aligned to the loop       */
    einc__operand t_idx;    /* its indexed (bracketed) leaves, in order                         */
    einc__operand e_loop;   /* get_at: the output; *_at: the updates; aligned to the loop       */
    einc__operand out;      /* *_at: the output's leaves                                      */
    einc__operand x_to_out; /* *_at: the value tensor aligned to `out` (the initial copy)     */
    int ncoords;
    einc__index_coord *coords; /* [ncoords]: inputs 1 .. ncoords                              */
} einc__index_plan;

/* ---- rules (rules_indexing.c) ---------------------------------------------------------------- */

/* Counts, brackets and the implicit output, before ellipses are expanded. */
bool einc__rules_index_before(einc__rules *r);
/* The indexing family's check of the expanded trees (the front end's `expanded` hook): the
 * coordinate brackets and counts. Groups are then never merged inside brackets: every indexed
 * axis needs its own coordinate. */
bool einc__index_expanded(const einc__rules *r, einc__expr *e);
/* The checks that need axis lengths. */
bool einc__rules_index_after(const einc__rules *r, const einc__expr *e);

/* ---- plans (lower_indexing.c) ---------------------------------------------------------------- */

/* einc__lower_index (plan.h) fills p->index (and the output's shape and dtype). */
/* True for a *_at call with a zero-sized coordinate or update tensor: einx returns the value
 * tensor unchanged before looking at the expression. */
bool einc__index_zero_sized(einc_op op, int ninputs, einc_tensor *const *inputs);
/* The plan of such a call: a copy of input 1. */
einc__plan *einc__plan_index_passthrough(einc_ctx *ctx, einc_op op, const char *expr, int ninputs,
                                         einc_tensor *const *inputs);

/* ---- execution (exec_indexing.c) ------------------------------------------------------------- */

/* e (through e_loop) <- t (through the plan's t_loop and t_idx) at the coordinates `coords`
 * [ncoords] (already checked). t and e have one dtype; e is written in full. */
void einc__index_gather(einc_ctx *ctx, const einc__plan *p, einc_tensor *t, einc_tensor *e, const einc__operand *e_loop,
                        einc_tensor *const *coords);
/* t (through t_loop and t_idx) <op>= e (through e_loop) at the coordinates (see einc__k_scatter). */
void einc__index_scatter(einc_ctx *ctx, const einc__plan *p, einc__scatter_op op, einc_tensor *t, einc_tensor *e,
                         const einc__operand *e_loop, einc_tensor *const *coords);

#endif /* EINC_INDEX_H */
