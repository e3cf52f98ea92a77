/* rules.h — per-operation rules of the einx notation (private). */
#ifndef EINC_RULES_H
#define EINC_RULES_H

#include "op_table.h"
#include "plan.h"

typedef struct einc__rules {
    einc__arena *a;
    einc__desc *d;
    const einc__call *call;
    einc_op op;
    int ntensors;
    bool keepdims;
} einc__rules;

/* Checks and completes the parsed expression before solving (counts, brackets, concatenation,
 * implicit outputs, implicit brackets). Records the error and returns false on failure. */
bool einc__rules_before(einc__rules *r);
/* A SemanticError before solving, in einx's layout (message, expression, carets `m` (NULL: none),
 * the call's arguments). Returns false. */
bool einc__rules_error(const einc__rules *r, const einc__marks *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Marks the opening and closing character of every bracket group of a tree. */
void einc__mark_brackets(const einc__node *n, einc__marks *m);
/* The axis nodes inside brackets, in order of appearance; returns how many (at most cap stored). */
int einc__bracketed_axes(const einc__node *n, const einc__node **out, int count, int cap);

/* Checks that need axis lengths (non-id operations). */
bool einc__rules_after(const einc__rules *r, const einc__expr *e);
/* Output = a copy of input `input` (implicit outputs). */
bool einc__set_outputs_clone(einc__rules *r, int input);
/* "The input axes {'a'} must appear in the output expression." for input `input`, given which
 * syms the (paired) output has. */
bool einc__check_missing(const einc__expr *e, int input, const bool *present_in_output);
/* "must not contain multiple vectorized axes with the same name" for one output (piece). */
bool einc__check_output_duplicates(const einc__expr *e, const einc__node *piece);

#endif /* EINC_RULES_H */
