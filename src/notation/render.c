/* render.c — building error messages in einx's layout:
 *
 *   <message>
 *   Expression: "<the description>"
 *                <carets under the offending characters>
 *   [equations]
 *   The operation was called with the following arguments:
 *     - Positional argument #1: Tensor with shape (10, 5)
 *     - Keyword argument 'a': 11
 */
#include <stdio.h>

#include "notation.h"

void einc__sb_init(einc__sb *sb, char *buf, size_t cap) {
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    if (cap) buf[0] = '\0';
}

void einc__sb_putn(einc__sb *sb, const char *s, size_t n) {
    if (sb->cap == 0) return;
    size_t room = sb->cap - 1 - sb->len;
    if (n > room) n = room;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void einc__sb_printf(einc__sb *sb, const char *fmt, ...) {
    if (sb->cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = sb->cap - sb->len;
    int w = vsnprintf(sb->buf + sb->len, room, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    sb->len += (size_t)w < room ? (size_t)w : room - 1;
}

bool einc__marks_init(einc__arena *a, einc__marks *m, const char *text) {
    m->len = (int)strlen(text);
    m->on = einc__arena_alloc(a, (size_t)m->len + 1);
    return m->on != NULL;
}

void einc__marks_range(einc__marks *m, int begin, int end) {
    if (!m->on) return;
    for (int i = begin; i < end; i++)
        if (i >= 0 && i < m->len) m->on[i] = true;
}

void einc__marks_literal(einc__marks *m, const char *text, const char *literal) {
    size_t n = strlen(literal);
    for (const char *p = strstr(text, literal); p; p = strstr(p + n, literal))
        einc__marks_range(m, (int)(p - text), (int)(p - text + (ptrdiff_t)n));
}

void einc__render_expression(einc__sb *sb, const char *text, const einc__marks *m) {
    einc__sb_printf(sb, "Expression: \"%s\"\n             ", text);
    int last = -1;
    if (m && m->on)
        for (int i = 0; i < m->len; i++)
            if (m->on[i]) last = i;
    /* einx keeps trailing spaces: one character per character of the text */
    int len = (int)strlen(text);
    for (int i = 0; i < len; i++) einc__sb_putn(sb, (m && m->on && i <= last && m->on[i]) ? "^" : " ", 1);
}

static void render_shape(einc__sb *sb, int ndim, const int64_t *shape) {
    char buf[512];
    einc__sb_printf(sb, "%s", einc__shape_str(buf, sizeof buf, ndim, shape));
}

void einc__render_call(einc__sb *sb, const einc__call *call) {
    einc__sb_printf(sb, "\nThe operation was called with the following arguments:");
    for (int i = 0; i < call->ntensors; i++) {
        if (call->ndims[i] < 0) { /* an unknown shape (the solve functions' None) */
            einc__sb_printf(sb, "\n  - Positional argument #%d: Tensor factory", i + 1);
            continue;
        }
        einc__sb_printf(sb, "\n  - Positional argument #%d: Tensor with shape ", i + 1);
        render_shape(sb, call->ndims[i], call->shapes[i]);
    }
    for (int i = 0; i < call->nconstraints; i++) {
        const einc__constraint *c = &call->constraints[i];
        einc__sb_printf(sb, "\n  - Keyword argument '%s': ", c->name);
        if (!c->is_tuple) {
            einc__sb_printf(sb, "%lld", (long long)c->values[0]);
        } else {
            render_shape(sb, c->n, c->values);
        }
    }
}

static void render_equation(einc__sb *sb, const einc__node *root, const einc__call *call, int i) {
    einc__sb_printf(sb, "\n    ");
    einc__node_print(sb, root);
    einc__sb_printf(sb, " =");
    for (int k = 0; k < call->ndims[i]; k++) einc__sb_printf(sb, " %lld", (long long)call->shapes[i][k]);
}

static bool expr_uses_name(const einc__expr *e, const char *name) {
    size_t n = strlen(name);
    for (int s = 0; s < e->nsyms; s++) {
        const char *sn = e->syms[s].name;
        if (e->syms[s].user_visible && strncmp(sn, name, n) == 0 && (sn[n] == '\0' || sn[n] == '.')) return true;
    }
    return false;
}

bool einc__notation_error(const einc__expr *e, einc_status status, const einc__marks *m, const char *tail,
                          einc__eq_mode eq, const char *fmt, ...) {
    char buf[EINC_ERRMSG_SIZE];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    va_list ap;
    va_start(ap, fmt);
    size_t room = sb.cap - sb.len;
    int w = vsnprintf(sb.buf + sb.len, room, fmt, ap);
    va_end(ap);
    if (w > 0) sb.len += (size_t)w < room ? (size_t)w : room - 1;
    const einc__desc *d = e->desc;
    const einc__call *call = e->call;
    if (m) {
        einc__sb_printf(&sb, "\n");
        einc__render_expression(&sb, d->text, m);
    }
    if (tail) einc__sb_printf(&sb, "\n%s", tail);
    if (eq == EINC__EQ_RANK && call && call->ntensors > 0) {
        einc__sb_printf(&sb, "\nThe following equation(s) were determined for the expression:");
        for (int i = 0; i < d->ninputs && i < call->ntensors; i++)
            if (call->ndims[i] >= 0) render_equation(&sb, d->inputs[i], call, i);
    } else if (eq == EINC__EQ_AXES && call) {
        einc__sb_printf(&sb, "\nThe expression, tensor shapes and contraints resulted in the following equation(s):");
        for (int i = 0; i < e->ninputs && i < call->ntensors; i++)
            if (call->ndims[i] >= 0) render_equation(&sb, e->in[i], call, i);
        for (int i = 0; i < call->nconstraints; i++) {
            const einc__constraint *c = &call->constraints[i];
            if (!expr_uses_name(e, c->name)) continue;
            einc__sb_printf(&sb, "\n    %s = ", c->name);
            if (!c->is_tuple) einc__sb_printf(&sb, "%lld", (long long)c->values[0]);
            else {
                char shp[512];
                einc__sb_printf(&sb, "%s", einc__shape_str(shp, sizeof shp, c->n, c->values));
            }
        }
    }
    if (call) einc__render_call(&sb, call);
    einc__error(e->arena->ctx, status, "%s", buf);
    return false;
}

const char *einc__ordinal(int i, char *buf, size_t size) {
    int n = i + 1;
    const char *suffix = "th";
    if (n % 100 < 11 || n % 100 > 13) {
        if (n % 10 == 1) suffix = "st";
        else if (n % 10 == 2) suffix = "nd";
        else if (n % 10 == 3) suffix = "rd";
    }
    snprintf(buf, size, "%d%s", n, suffix);
    return buf;
}
