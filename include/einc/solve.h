/* einc/solve.h — solving expressions for axis lengths and shapes: einx's solve_axes,
 * solve_shapes, matches (and 0.3's solve / check).
 *
 *   einc_shape shapes[2] = {einc_shape_of(x), EINC_UNKNOWN_SHAPE};   // x: (3, 4); second: None
 *   einc_shape out[2];
 *   einc_solve_shapes(ctx, "a b, c b a", 2, shapes, out, EINC_AXES({"c", 3}));
 *   // out[0] = (3, 4), out[1] = (3, 4, 3)
 *
 *   einc_solution *s = einc_solve_axes(ctx, "b (s [ds])... c", 1, &(einc_shape){4, {2, 4, 6, 3}},
 *                                      EINC_AXES({"ds", 2}));
 *   // b = 2, s = (2, 3), ds = (2, 2), c = 3        (einx: {'b': 2, 's': [2, 3], 'ds': [2, 2], 'c': 3})
 *   einc_solution_free(s);
 *
 * The expression is a comma-separated list of operand expressions without "->" (a SyntaxError
 * "The expression must not contain a '->' operator."). Each operand has a shape, which may be
 * unknown (EINC_UNKNOWN_SHAPE, ndim -1: einx's None); lengths then come from the other operands
 * and the constraints. Brackets may appear anywhere (they mean nothing here) and so may
 * concatenations. Errors are the notation's (docs/notation.md §5): SyntaxError, RankError,
 * AxisSizeError, and ValueError when the number of shapes is not the number of expressions.
 *
 * As in einx, solve_shapes / matches / check merge groups that always travel together before
 * solving ("b (h w) c" matches (2, 12, 3) without h and w; groups inside brackets are never
 * merged, concatenations are), while solve_axes merges nothing, since it reports every axis
 * ("b (h w) c" then needs h or w).
 */
#ifndef EINC_SOLVE_H
#define EINC_SOLVE_H

#include "core.h"
#include "notation.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A shape for the solvers: ndim dimensions, or ndim == -1 for an unknown shape. */
typedef struct einc_shape {
    int ndim;
    int64_t dims[EINC_MAX_DIMS];
} einc_shape;

/** The unknown shape (einx's None). */
#ifndef __cplusplus
#define EINC_UNKNOWN_SHAPE ((einc_shape){-1, {0}})
#else
#define EINC_UNKNOWN_SHAPE (einc_shape{-1, {0}})
#endif

/** The shape of a tensor (EINC_UNKNOWN_SHAPE for NULL). */
EINC_API einc_shape einc_shape_of(const einc_tensor *t);

/** One axis of a solution. A plain axis has ndim 0 and one value; an axis written under k
 * ellipses ("s" in "(s [ds])...") has ndim k, shape[] the repetitions of its ellipses (outermost
 * first) and one length per repetition, row-major (einx's int arrays). */
typedef struct einc_solved_axis {
    const char *name;             /* as written in the expression                     */
    int ndim;                     /* 0: plain axis; k >= 1: under k ellipses          */
    int64_t shape[EINC_MAX_DIMS]; /* ndim entries                                     */
    int64_t nvalues;              /* product of shape[] (1 for a plain axis)          */
    const int64_t *values;        /* the lengths                                      */
} einc_solved_axis;

/** Every named axis of an expression with its length(s), in order of first appearance. Unnamed
 * axes ("3") and anonymous ellipses ("...") are left out, and so is an axis whose ellipsis has
 * zero repetitions (as in einx). Free with einc_solution_free. */
typedef struct einc_solution {
    int naxes;
    const einc_solved_axis *axes;
    /* private */
    einc_ctx *ctx_;
    size_t bytes_;
} einc_solution;

/** einx.solve_axes (and 0.3's einx.solve): the length of every axis. `n` shapes, one per
 * operand expression. Returns a new solution, or NULL with the error recorded (EINC_ESYNTAX,
 * EINC_ERANK, EINC_EAXISSIZE, EINC_EVALUE, EINC_EINVAL for NULL arguments or an invalid shape,
 * EINC_ENOMEM). No groups are merged (see above). */
EINC_API einc_solution *einc_solve_axes(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes,
                                        einc_axes axes);
/** Frees a solution (NULL is a no-op). */
EINC_API void einc_solution_free(einc_solution *s);
/** The entry of axis `name`, or NULL if the solution has none. */
EINC_API const einc_solved_axis *einc_solution_find(const einc_solution *s, const char *name);
/** The length of the plain axis `name`, or -1 (no such axis, or an axis under ellipses). */
EINC_API int64_t einc_solution_size(const einc_solution *s, const char *name);

/** einx.solve_shapes: the shape of every operand, written to out[0..n-1] (which may alias
 * `shapes`). Returns EINC_OK, or the recorded error's status (as einc_solve_axes; groups that
 * always travel together are merged). */
EINC_API einc_status einc_solve_shapes(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes,
                                       einc_shape *out, einc_axes axes);

/** einx.matches: true if the shapes and constraints satisfy the expression. A mismatch of any
 * kind (syntax, ranks, lengths, the number of shapes) is `false` with no error recorded, and an
 * error recorded before the call stays as it was. Only EINC_EINVAL (NULL expression, invalid
 * shapes) and EINC_ENOMEM are recorded, with `false`. */
EINC_API bool einc_matches(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes, einc_axes axes);

/** einx 0.3's einx.check (deprecated in 0.4, where it is einc_solve_shapes without a result):
 * EINC_OK if the shapes match the expression, otherwise the recorded error's status. */
EINC_API einc_status einc_check(einc_ctx *ctx, const char *expr, int n, const einc_shape *shapes, einc_axes axes);

#ifdef __cplusplus
}
#endif
#endif /* EINC_SOLVE_H */
