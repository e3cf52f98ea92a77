/* call.h — the calling context of the front end built from plain shapes (private).
 *
 * The solvers (src/ops/solve_ops.c), einc_vmap (src/ops/vmap_ops.c) and the einx 0.3 layer
 * (src/plan/compat03.c) run the front end on shapes that may be unknown, without the plan
 * machinery; this is their shared way to describe a call to it.
 */
#ifndef EINC_NOTATION_CALL_H
#define EINC_NOTATION_CALL_H

#include "notation.h"

/* Fills *out for `n` operands of rank ndims[i] (< 0: unknown shape, einx's None) and shape
 * shapes[i], and the constraints `axes` (entries with the same name form a tuple, in order;
 * EINC_EMPTY_TUPLE alone is "b=()"). Everything lives in the arena. Records EINC_EVALUE for a
 * constraint without a name or with more than EINC_MAX_DIMS values, EINC_ENOMEM on failure. */
bool einc__call_build(einc__arena *a, const char *expr, int n, const int *ndims, const int64_t *const *shapes,
                      einc_axes axes, einc__call *out);

/* Records "<status>: <message>\nExpression: ...\n<carets>" (a SyntaxError-style message without
 * the call block) with carets on every occurrence of `literal`. Returns false. */
bool einc__literal_error(einc__arena *a, einc_status status, const char *text, const char *literal,
                         const char *message);

#endif /* EINC_NOTATION_CALL_H */
