/* front.h — the front end as one call (private): from a description, the operands' shapes and
 * the constraints to the resolved (expanded, merged, solved) expression.
 *
 * The stages are fixed: shapes and constraints (einc__call_build), parse, the caller's `parsed`
 * hook (its operation's rules, which may complete the description: implicit outputs, brackets),
 * expand ellipses, the caller's `expanded` hook (checks on the expanded trees, extra equations),
 * CSE as the flags ask, solve. Every stage records its error and the run stops at the first.
 */
#ifndef EINC_NOTATION_FRONT_H
#define EINC_NOTATION_FRONT_H

#include "call.h"

/* einc__front_spec.cse: 0 merges nothing (the groups stay as written) */
enum {
    EINC__CSE = 1,             /* merge groups that always travel together (spec §2.4a)        */
    EINC__CSE_IN_BRACKETS = 2, /* ... inside brackets too (not where each axis counts, argmax) */
    EINC__CSE_CONCAT = 4       /* ... inside concatenations (the solvers)                     */
};

typedef struct einc__front {
    einc__call call;
    einc__desc d; /* as parsed and completed by the `parsed` hook */
    einc__expr e; /* resolved                                     */
} einc__front;

typedef struct einc__front_spec {
    const char *expr;
    int n;                       /* operands with a shape                                     */
    einc_tensor *const *tensors; /* their shapes, or (when NULL) ndims/shapes (ndim < 0: unknown) */
    const int *ndims;
    const int64_t *const *shapes;
    einc_axes axes;
    unsigned cse;                               /* EINC__CSE flags                           */
    bool (*parsed)(void *user, einc__front *f); /* may be NULL; false stops (error recorded) */
    bool (*expanded)(void *user, einc__front *f);
    void *user;
} einc__front_spec;

/* Runs the front end into *f (memory from `a`). Returns false with the error recorded. */
bool einc__front_run(einc__arena *a, const einc__front_spec *s, einc__front *f);

#endif /* EINC_NOTATION_FRONT_H */
