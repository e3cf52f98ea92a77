/* op_table.h — every einx operation, listed once: its name, plan family, kernel op and arity (private).
 *
 * The one place an operation is listed: einc_op_name / einc_op_from_name, the family that lowers
 * it (plan.h), the elementwise or reduction kernel op it runs, and for elementwise operations how
 * many inputs it takes all come from this table. Adding an operation is one row here and its
 * enum value in include/einc/notation.h (a row count check in op_table.c keeps the two in step).
 *
 *   X(OP, einx name, family, kernel op, inputs)
 *     OP         the einc_op without its EINC_OP_ prefix
 *     family     the einc__family without its EINC__FAMILY_ prefix
 *     kernel op  the einc_binary_op (ELEMENTWISE) or einc_reduce_op (REDUCE) it runs; -1: none
 *     inputs     ELEMENTWISE only: exactly n, or -1 for one or more folded left; 0 elsewhere (the
 *                family's rules decide)
 */
#ifndef EINC_PLAN_OP_TABLE_H
#define EINC_PLAN_OP_TABLE_H

#include "plan.h"

#define EINC__OP_TABLE(X)                                                                                              \
    X(ID, "id", ID, -1, 0)                                                                                             \
    X(REARRANGE, "rearrange", ID, -1, 0) /* einx 0.3's name of id */                                                   \
    X(DOT, "dot", DOT, -1, 0)                                                                                          \
    X(SUM, "sum", REDUCE, EINC_REDUCE_SUM, 0)                                                                          \
    X(MEAN, "mean", REDUCE, EINC_REDUCE_MEAN, 0)                                                                       \
    X(VAR, "var", REDUCE, EINC_REDUCE_VAR, 0)                                                                          \
    X(STD, "std", REDUCE, EINC_REDUCE_STD, 0)                                                                          \
    X(PROD, "prod", REDUCE, EINC_REDUCE_PROD, 0)                                                                       \
    X(COUNT_NONZERO, "count_nonzero", REDUCE, EINC_REDUCE_COUNT_NONZERO, 0)                                            \
    X(ANY, "any", REDUCE, EINC_REDUCE_ANY, 0)                                                                          \
    X(ALL, "all", REDUCE, EINC_REDUCE_ALL, 0)                                                                          \
    X(MAX, "max", REDUCE, EINC_REDUCE_MAX, 0)                                                                          \
    X(MIN, "min", REDUCE, EINC_REDUCE_MIN, 0)                                                                          \
    X(LOGSUMEXP, "logsumexp", REDUCE, EINC_REDUCE_LOGSUMEXP, 0)                                                        \
    X(ADD, "add", ELEMENTWISE, EINC_ADD, -1)                                                                           \
    X(SUBTRACT, "subtract", ELEMENTWISE, EINC_SUB, 2)                                                                  \
    X(MULTIPLY, "multiply", ELEMENTWISE, EINC_MUL, -1)                                                                 \
    X(DIVIDE, "divide", ELEMENTWISE, EINC_DIV, 2)                                                                      \
    X(TRUE_DIVIDE, "true_divide", ELEMENTWISE, EINC_DIV, 2)                                                            \
    X(FLOOR_DIVIDE, "floor_divide", ELEMENTWISE, EINC_FLOOR_DIV, 2)                                                    \
    X(LOGADDEXP, "logaddexp", ELEMENTWISE, EINC_LOGADDEXP, -1)                                                         \
    X(MAXIMUM, "maximum", ELEMENTWISE, EINC_MAXIMUM, -1)                                                               \
    X(MINIMUM, "minimum", ELEMENTWISE, EINC_MINIMUM, -1)                                                               \
    X(LESS, "less", ELEMENTWISE, EINC_LT, 2)                                                                           \
    X(LESS_EQUAL, "less_equal", ELEMENTWISE, EINC_LE, 2)                                                               \
    X(GREATER, "greater", ELEMENTWISE, EINC_GT, 2)                                                                     \
    X(GREATER_EQUAL, "greater_equal", ELEMENTWISE, EINC_GE, 2)                                                         \
    X(EQUAL, "equal", ELEMENTWISE, EINC_EQ, 2)                                                                         \
    X(NOT_EQUAL, "not_equal", ELEMENTWISE, EINC_NE, 2)                                                                 \
    X(LOGICAL_AND, "logical_and", ELEMENTWISE, EINC_LOGICAL_AND, -1)                                                   \
    X(LOGICAL_OR, "logical_or", ELEMENTWISE, EINC_LOGICAL_OR, -1)                                                      \
    X(WHERE, "where", ELEMENTWISE, -1, 3)                                                                              \
    X(SOFTMAX, "softmax", SOFTMAX, -1, 0)                                                                              \
    X(LOG_SOFTMAX, "log_softmax", SOFTMAX, -1, 0)                                                                      \
    X(GET_AT, "get_at", INDEX, -1, 0)                                                                                  \
    X(SET_AT, "set_at", INDEX, -1, 0)                                                                                  \
    X(ADD_AT, "add_at", INDEX, -1, 0)                                                                                  \
    X(SUBTRACT_AT, "subtract_at", INDEX, -1, 0)                                                                        \
    X(ARGMAX, "argmax", ARGFIND, -1, 0)                                                                                \
    X(ARGMIN, "argmin", ARGFIND, -1, 0)                                                                                \
    X(SORT, "sort", SORT, -1, 0)                                                                                       \
    X(ARGSORT, "argsort", SORT, -1, 0)                                                                                 \
    X(FLIP, "flip", SHIFT, -1, 0)                                                                                      \
    X(ROLL, "roll", SHIFT, -1, 0)

/* One row of the table. */
typedef struct einc__op_info {
    const char *name;
    einc__family family;
    int kernel_op;
    int inputs;
} einc__op_info;

/* The row of a valid `op` (op < EINC_OP_COUNT_). */
const einc__op_info *einc__op_info_of(einc_op op);

/* The plan family that lowers `op`. */
static inline einc__family einc__op_family(einc_op op) { return einc__op_info_of(op)->family; }
/* The elementwise kernel op of an ELEMENTWISE operation other than where. */
static inline einc_binary_op einc__plan_binary_op(einc_op op) {
    return (einc_binary_op)einc__op_info_of(op)->kernel_op;
}
/* The reduction kernel op of a REDUCE operation. */
static inline einc_reduce_op einc__plan_reduce_op(einc_op op) {
    return (einc_reduce_op)einc__op_info_of(op)->kernel_op;
}
/* Inputs an ELEMENTWISE operation takes: exactly n, or -1 for "one or more" (folded left). */
static inline int einc__elementwise_arity(einc_op op) { return einc__op_info_of(op)->inputs; }

#endif /* EINC_PLAN_OP_TABLE_H */
