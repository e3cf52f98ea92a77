/* call.c — the front end's calling context from plain shapes (see call.h). */
#include "call.h"

bool einc__call_build(einc__arena *a, const char *expr, int n, const int *ndims, const int64_t *const *shapes,
                      einc_axes axes, einc__call *out) {
    int *nd = einc__arena_alloc(a, sizeof(int) * (size_t)(n + 1));
    const int64_t **sh = einc__arena_alloc(a, sizeof(int64_t *) * (size_t)(n + 1));
    einc__constraint *cons = einc__arena_alloc(a, sizeof(einc__constraint) * (size_t)(axes.n + 1));
    if (!nd || !sh || !cons) return false;
    for (int i = 0; i < n; i++) {
        nd[i] = ndims[i];
        sh[i] = shapes[i];
    }
    int ncons = 0;
    for (int i = 0; i < axes.n; i++) {
        const einc_axis *x = &axes.v[i];
        if (!x->name || !x->name[0]) {
            einc__error(a->ctx, EINC_EVALUE, "Constraint #%d has no axis name\nExpression: \"%s\"", i + 1, expr);
            return false;
        }
        einc__constraint *c = NULL;
        for (int k = 0; k < ncons && !c; k++)
            if (strcmp(cons[k].name, x->name) == 0) c = &cons[k];
        if (!c) {
            c = &cons[ncons++];
            memset(c, 0, sizeof *c);
            c->name = x->name;
        } else {
            c->is_tuple = true; /* a second entry of the same name makes a tuple */
        }
        if (x->value == EINC_EMPTY_TUPLE) {
            if (c->n > 0) {
                einc__error(a->ctx, EINC_EVALUE, "Constraint '%s' mixes the empty tuple with values", x->name);
                return false;
            }
            c->is_tuple = true;
            continue;
        }
        if (c->n == EINC_MAX_DIMS) {
            einc__error(a->ctx, EINC_EVALUE, "Constraint '%s' has more than %d values", x->name, EINC_MAX_DIMS);
            return false;
        }
        c->values[c->n++] = x->value;
    }
    *out = (einc__call){expr, n, nd, sh, ncons, cons};
    return true;
}

bool einc__literal_error(einc__arena *a, einc_status status, const char *text, const char *literal,
                         const char *message) {
    einc__marks m;
    if (!einc__marks_init(a, &m, text)) return false;
    einc__marks_literal(&m, text, literal);
    char buf[EINC_ERRMSG_SIZE];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    einc__sb_printf(&sb, "%s\n", message);
    einc__render_expression(&sb, text, &m);
    einc__error(a->ctx, status, "%s", buf);
    return false;
}
