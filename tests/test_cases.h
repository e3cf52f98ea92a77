/* test_cases.h — the golden operation cases shared by the notation tests and the tool's tests.
 *
 * A cases table (tests/golden/<area>/cases.txt, written by tests/golden/gen_notation*.py) holds
 * one call per line: name|op|expression|constraints|inputs|outputs, where inputs and outputs are
 * comma lists of .npy files in the same folder or plain numbers (0-d float64 tensors).
 */
#ifndef EINC_TEST_CASES_H
#define EINC_TEST_CASES_H

#include "test.h"

typedef struct {
    char name[1024], op[1024], expr[1024], constraints[1024], inputs[1024], outputs[1024];
} test_op_case;

/* Fills c from the six fields of a table row (test_read_table's callback gets them). */
static inline void test_op_case_fill(test_op_case *c, char **fields) {
    snprintf(c->name, sizeof c->name, "%s", fields[0]);
    snprintf(c->op, sizeof c->op, "%s", fields[1]);
    snprintf(c->expr, sizeof c->expr, "%s", fields[2]);
    snprintf(c->constraints, sizeof c->constraints, "%s", fields[3]);
    snprintf(c->inputs, sizeof c->inputs, "%s", fields[4]);
    snprintf(c->outputs, sizeof c->outputs, "%s", fields[5]);
}

/* Splits a comma list of files (in tests/golden/<folder>/) and numbers into tensors; returns the
 * count. A number is a 0-d float64 tensor. */
static inline int test_load_list(einc_ctx *ctx, const char *folder, const char *list, einc_tensor **out) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strstr(tok, ".npy")) {
            char name[512];
            snprintf(name, sizeof name, "%.100s/%.*s", folder, (int)(strlen(tok) - 4 < 400 ? strlen(tok) - 4 : 400),
                     tok);
            out[n++] = test_golden(ctx, name);
        } else {
            out[n++] = einc_tensor_scalar(ctx, EINC_FLOAT64, atof(tok));
        }
    }
    return n;
}

/* The same values with the memory order of the dims reversed (1-d: flipped twice, i.e. negative
 * strides): a non-contiguous input that must give identical results. */
static inline einc_tensor *test_noncontiguous(einc_ctx *ctx, einc_tensor *t) {
    int nd = einc_tensor_ndim(t);
    if (nd < 2) return einc_tensor_flip(ctx, einc_tensor_contiguous(ctx, einc_tensor_flip(ctx, t, EINC_ALL)), EINC_ALL);
    int perm[EINC_MAX_DIMS];
    for (int i = 0; i < nd; i++) perm[i] = nd - 1 - i;
    return einc_tensor_permute(ctx, einc_tensor_contiguous(ctx, einc_tensor_permute(ctx, t, nd, perm)), nd, perm);
}

#endif /* EINC_TEST_CASES_H */
