/* front.c — the front end in one call: the call's shapes and constraints, parse, the caller's
 * checks, expand ellipses, merge groups (CSE), solve. Plans, vmap, the solvers and attention all
 * come through here, so the order of the stages (and of their errors) is the same everywhere. */
#include "front.h"

bool einc__front_run(einc__arena *a, const einc__front_spec *s, einc__front *f) {
    int n = s->n;
    const int *ndims = s->ndims;
    const int64_t *const *shapes = s->shapes;
    if (s->tensors) {
        int *nd = einc__arena_alloc(a, sizeof(int) * (size_t)(n + 1));
        const int64_t **sh = einc__arena_alloc(a, sizeof(int64_t *) * (size_t)(n + 1));
        if (!nd || !sh) return false;
        for (int i = 0; i < n; i++) {
            nd[i] = s->tensors[i]->ndim;
            sh[i] = s->tensors[i]->shape;
        }
        ndims = nd;
        shapes = sh;
    }
    memset(f, 0, sizeof *f);
    if (!einc__call_build(a, s->expr, n, ndims, shapes, s->axes, &f->call) || !einc__parse(a, s->expr, &f->d))
        return false;
    if (s->parsed && !s->parsed(s->user, f)) return false;
    /* an operand without a tensor (the solvers' None, or more expressions than tensors) has rank -1 */
    int *ranks = einc__arena_alloc(a, sizeof(int) * (size_t)(f->d.ninputs + 1));
    if (!ranks) return false;
    for (int i = 0; i < f->d.ninputs; i++) ranks[i] = i < f->call.ntensors ? f->call.ndims[i] : -1;
    if (!einc__expand(a, &f->d, ranks, &f->call, &f->e)) return false;
    if (s->expanded && !s->expanded(s->user, f)) return false;
    if ((s->cse & EINC__CSE) &&
        !einc__cse_with(&f->e, (s->cse & EINC__CSE_IN_BRACKETS) != 0, (s->cse & EINC__CSE_CONCAT) != 0))
        return false;
    return einc__solve(&f->e);
}
