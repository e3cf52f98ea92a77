/* resolve.c — the front end's second half in one call: expand ellipses, merge groups, solve. */
#include "notation.h"

bool einc__resolve(einc__arena *a, const einc__desc *d, const einc__call *call, bool cse_in_brackets_ok,
                   einc__expr *e) {
    int ranks[64];
    int n = d->ninputs < 64 ? d->ninputs : 64;
    for (int i = 0; i < n; i++) ranks[i] = (call && i < call->ntensors) ? call->ndims[i] : -1;
    if (!einc__expand(a, d, ranks, call, e)) return false;
    if (!einc__cse(e, cse_in_brackets_ok)) return false;
    return einc__solve(e);
}
