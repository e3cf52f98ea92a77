/* sorting.h — argmax/argmin, sort/argsort, flip and roll in the notation engine (private).
 *
 * Three plan families, each one input and one output:
 *   ARGFIND  "a [b c] -> a [2]": the flat index of the extreme over the bracketed block (the
 *            reduce kernel's argmax/argmin, in row-major order of the bracketed axes as they appear
 *            in the input), unravelled into one int64 coordinate per bracketed axis, stacked along
 *            the output's single bracketed axis (or, with one bracketed input axis, no output axis).
 *   SORT     "a [b]": a stable ascending sort of every row along the one bracketed axis (NaN last);
 *            argsort writes the int64 positions instead of the values.
 *   SHIFT    flip reverses every bracketed axis (a view with negative strides when the output's
 *            layout allows it, else a copy); roll rotates them like np.roll.
 * The input is planned in leaf space like every other family (plan.h): ARGFIND keeps the input in
 * its own order (p->in[0], bracketed leaves in p->reduce_mask) and maps its temporary of flat
 * indices onto the output (p->tmp_*); SORT and SHIFT align the input to the output's leaves
 * (p->in[0] has p->out's leaf order, broadcast where the output has an axis the input lacks).
 */
#ifndef EINC_PLAN_SORTING_H
#define EINC_PLAN_SORTING_H

#include "rules.h"

typedef struct einc__sorting_plan {
    /* SORT: the output leaf sorted along; ARGFIND: the output leaf holding the coordinates, or -1
     * when the output has no bracketed axis ("a [b] c -> a c") */
    int axis;
    /* SHIFT: the output leaves that are flipped or rolled (the bracketed ones) */
    uint32_t mask;
    /* roll: per output leaf, the shift normalised into [0, length) */
    int64_t shift[EINC_MAX_LEAVES];
    /* ARGFIND: the bracketed input leaves' lengths, in input order (the unravel shape) */
    int ncoords;
    int64_t coord_size[EINC_MAX_LEAVES];
} einc__sorting_plan;

/* rules_sorting.c: the checks and implicit outputs before solving (rules.c's switch), and, for
 * argmax/argmin after ellipsis expansion (the front end's `expanded` hook), the bracketed output
 * axis' length (= the number of bracketed input axes, einx's stage-3 equation). */
bool einc__rules_sorting_before(einc__rules *r);
bool einc__argfind_expanded(const einc__rules *r, einc__expr *e);
/* sort/argsort: exactly one bracketed axis in the input and the output (after expansion). */
bool einc__rules_sort_after(const einc__expr *e);

/* The family's stages (plan.h) serve all three: lower_sorting.c, exec_sorting.c, explain_sorting.c. */

/* exec_sorting.c */
/* dst = np.roll(src, shift[d], axis=d) for every d (shift[d] in [0, shape[d])): at most two
 * strided block copies per rolled dimension. dst and src have the same shape; dst must not be a
 * broadcast view nor overlap src. Also the backward of roll (src/autograd/grad_sorting.c). */
void einc__sorting_roll_views(einc_ctx *ctx, const einc__view *dst, const einc__view *src, const int64_t *shift);
/* The stable sort of every row of x along `axis` into values and/or indices (NULL: not wanted),
 * on the context's threads. Records EINC_ENOMEM (scratch) and returns it on failure. */
einc_status einc__sorting_sort_views(einc_ctx *ctx, const einc__view *values, const einc__view *indices,
                                     const einc__view *x, int axis);

#endif /* EINC_PLAN_SORTING_H */
