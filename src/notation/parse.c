/* parse.c — lexer and parser of the einx notation (spec §1).
 *
 * 1. Lexer: at every position the literals "->" "|" "," "+" " " "(" "[" ")" "]" "..." are tried in
 *    that order; text between literals is one word, which must be a name or digits.
 * 2. Grouping: parentheses and brackets become nested groups (unbalanced ones are errors).
 * 3. Parsing: a group sequence splits on the loosest operator present ("->", "|", ",", "+", " "),
 *    then postfix "...", then a single word.
 * 4. Normalisation: nested "->" and "," are moved to the top by distributing their context
 *    ("b p [i,->]" == "b p [i], b p -> b p"); brackets inside brackets are dropped.
 * 5. Static checks: at most one "->"; an axis is either always or never inside brackets.
 */
#include <stdio.h>

#include "notation.h"

/* ---- lexer --------------------------------------------------------------------------------- */

typedef enum {
    T_ARROW,
    T_PIPE,
    T_COMMA,
    T_PLUS,
    T_SPACE,
    T_LPAREN,
    T_LBRACKET,
    T_RPAREN,
    T_RBRACKET,
    T_ELLIPSIS,
    T_WORD,
    T_GROUP /* parser only: a parenthesised or bracketed group */
} tok_kind;

static const struct {
    const char *text;
    tok_kind kind;
} literals[] = {
    {"->", T_ARROW}, {"|", T_PIPE},     {",", T_COMMA},  {"+", T_PLUS},     {" ", T_SPACE},
    {"(", T_LPAREN}, {"[", T_LBRACKET}, {")", T_RPAREN}, {"]", T_RBRACKET}, {"...", T_ELLIPSIS},
};

typedef struct item {
    tok_kind kind;
    int begin, end;     /* span; for a group: from the opening to past the closing delimiter */
    tok_kind open;      /* T_GROUP: T_LPAREN or T_LBRACKET                                   */
    struct item *items; /* T_GROUP: the contents (without delimiters)                         */
    int nitems;
} item;

typedef struct parser {
    einc__arena *a;
    einc_ctx *ctx;
    const char *text;
    int next_unnamed;
    int next_ellipsis;
    int64_t copies, max_copies; /* nodes replicated by normalisation, and their bound */
} parser;

static bool is_name(const char *s, int n) {
    if (n <= 0) return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
    for (int i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

static bool is_digits(const char *s, int n) {
    if (n <= 0) return false;
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* Records a SyntaxError: message, the expression with carets over [ranges], then `tail`. */
static bool syntax_error(parser *p, const einc__marks *m, const char *message, const char *tail) {
    char buf[EINC_ERRMSG_SIZE];
    einc__sb sb;
    einc__sb_init(&sb, buf, sizeof buf);
    einc__sb_printf(&sb, "%s\n", message);
    einc__render_expression(&sb, p->text, m);
    if (tail) einc__sb_printf(&sb, "\n%s", tail);
    einc__error(p->ctx, EINC_ESYNTAX, "%s", buf);
    return false;
}

static bool syntax_error_at(parser *p, int begin, int end, const char *message, const char *tail) {
    einc__marks m;
    if (!einc__marks_init(p->a, &m, p->text)) return false;
    einc__marks_range(&m, begin, end);
    return syntax_error(p, &m, message, tail);
}

static bool syntax_error_literal(parser *p, const char *literal, const char *message) {
    einc__marks m;
    if (!einc__marks_init(p->a, &m, p->text)) return false;
    einc__marks_literal(&m, p->text, literal);
    return syntax_error(p, &m, message, NULL);
}

/* Tokenises text into `toks` (capacity len+1). Returns the count, or -1 on error. */
static int lex(parser *p, item *toks) {
    const char *s = p->text;
    int len = (int)strlen(s), n = 0, word = 0, pos = 0;
    EINC__STEPS(p->ctx, len + 1);
    while (pos <= len) {
        tok_kind kind = T_WORD;
        int llen = 0;
        if (pos < len) {
            for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
                int l = (int)strlen(literals[i].text);
                if (strncmp(s + pos, literals[i].text, (size_t)l) == 0) {
                    kind = literals[i].kind;
                    llen = l;
                    break;
                }
            }
        }
        if (kind == T_WORD && pos < len) {
            pos++;
            continue;
        }
        if (pos > word) { /* the word before this literal (or the end) */
            if (!is_name(s + word, pos - word) && !is_digits(s + word, pos - word)) {
                char msg[600];
                snprintf(msg, sizeof msg, "The expression '%.*s' is not allowed:", pos - word > 200 ? 200 : pos - word,
                         s + word);
                syntax_error_at(p, word, pos, msg,
                                "The following expressions are allowed:\n"
                                "- Literals: -> + , [ ] ( ) ... whitespace\n"
                                "- Named axes: Must match the regex [a-zA-Z_][a-zA-Z0-9_]*\n"
                                "- Unnamed axes: Must match the regex [0-9]+");
                return -1;
            }
            toks[n++] = (item){T_WORD, word, pos, T_WORD, NULL, 0};
        }
        if (pos >= len) break;
        /* runs of spaces collapse to one */
        if (!(kind == T_SPACE && n > 0 && toks[n - 1].kind == T_SPACE))
            toks[n++] = (item){kind, pos, pos + llen, kind, NULL, 0};
        pos += llen;
        word = pos;
    }
    return n;
}

/* Groups parentheses/brackets. `toks` is consumed; groups' contents are arena copies. */
static bool group(parser *p, item *toks, int n, item **out, int *nout) {
    /* explicit stack of open positions: items are compacted in place */
    int stack[512], depth = 0, w = 0;
    for (int i = 0; i < n; i++) {
        item t = toks[i];
        if (t.kind == T_LPAREN || t.kind == T_LBRACKET) {
            if (depth >= (int)(sizeof stack / sizeof stack[0])) {
                syntax_error_at(p, t.begin, t.end, "The expression is nested too deeply:", NULL);
                return false;
            }
            stack[depth++] = w;
            toks[w++] = t;
        } else if (t.kind == T_RPAREN || t.kind == T_RBRACKET) {
            tok_kind want = t.kind == T_RPAREN ? T_LPAREN : T_LBRACKET;
            if (depth == 0 || toks[stack[depth - 1]].kind != want) {
                syntax_error_at(p, t.begin, t.end,
                                t.kind == T_RPAREN ? "Found a closing parenthesis that is not opened:"
                                                   : "Found a closing bracket that is not opened:",
                                NULL);
                return false;
            }
            int start = stack[--depth];
            int count = w - start - 1;
            item *inner = count ? einc__arena_alloc(p->a, sizeof(item) * (size_t)count) : NULL;
            if (count && !inner) return false;
            if (count) memcpy(inner, &toks[start + 1], sizeof(item) * (size_t)count);
            item g = {T_GROUP, toks[start].begin, t.end, want, inner, count};
            toks[start] = g;
            w = start + 1;
        } else {
            toks[w++] = t;
        }
    }
    if (depth > 0) {
        item o = toks[stack[depth - 1]];
        syntax_error_at(p, o.begin, o.end,
                        o.kind == T_LPAREN ? "Found an opening parenthesis that is not closed:"
                                           : "Found an opening bracket that is not closed:",
                        NULL);
        return false;
    }
    *out = toks;
    *nout = w;
    return true;
}

/* ---- node construction --------------------------------------------------------------------- */

static einc__node *node_new(parser *p, einc__node_kind kind, int begin, int end, int n) {
    EINC__STEPS(p->ctx, 1 + n);
    einc__node *x = einc__arena_alloc(p->a, sizeof *x);
    if (!x) return NULL;
    x->kind = kind;
    x->begin = begin;
    x->end = end;
    x->value = -1;
    x->sym = -1;
    x->n = n;
    if (n > 0) {
        x->c = einc__arena_alloc(p->a, sizeof(einc__node *) * (size_t)n);
        if (!x->c) return NULL;
    }
    return x;
}

einc__node *einc__node_clone(einc__arena *a, const einc__node *n) {
    EINC__STEPS(a->ctx, 1 + n->n);
    einc__node *x = einc__arena_alloc(a, sizeof *x);
    if (!x) return NULL;
    *x = *n;
    x->parent = NULL;
    if (n->n > 0) {
        x->c = einc__arena_alloc(a, sizeof(einc__node *) * (size_t)n->n);
        if (!x->c) return NULL;
        for (int i = 0; i < n->n; i++) {
            x->c[i] = einc__node_clone(a, n->c[i]);
            if (!x->c[i]) return NULL;
        }
    }
    return x;
}

static einc__node *parse_items(parser *p, item *it, int n, bool parent_is_paren, int begin, int end);

/* A parenthesised or bracketed group. */
static einc__node *parse_group(parser *p, const item *g) {
    int ibegin = g->nitems ? g->items[0].begin : g->begin + 1;
    einc__node *inner = parse_items(p, g->items, g->nitems, g->open == T_LPAREN, ibegin, g->end - 1);
    if (!inner) return NULL;
    if (g->open == T_LPAREN && inner->kind == EINC__N_CONCAT) return inner;
    einc__node *x = node_new(p, g->open == T_LPAREN ? EINC__N_FLAT : EINC__N_BRACKET, g->begin, g->end, 1);
    if (!x) return NULL;
    x->c[0] = inner;
    return x;
}

static einc__node *parse_items(parser *p, item *it, int n, bool parent_is_paren, int begin, int end) {
    while (n > 0 && it[0].kind == T_SPACE) {
        it++;
        n--;
    }
    while (n > 0 && it[n - 1].kind == T_SPACE) n--;
    if (n == 0) return node_new(p, EINC__N_LIST, begin, end, 0);
    if (n == 1 && it[0].kind == T_GROUP) return parse_group(p, &it[0]);
    begin = it[0].begin;
    end = it[n - 1].end;

    static const tok_kind nary[] = {T_ARROW, T_PIPE, T_COMMA, T_PLUS, T_SPACE};
    for (size_t k = 0; k < sizeof nary / sizeof nary[0]; k++) {
        tok_kind op = nary[k];
        int count = 0;
        EINC__STEPS(p->ctx, n);
        for (int i = 0; i < n; i++) count += it[i].kind == op;
        if (!count) continue;
        if (op == T_PIPE) {
            syntax_error_literal(p, "|",
                                 "The operator '|' is not allowed (it was an alias of '->' before einx 0.4; "
                                 "write '->'):");
            return NULL;
        }
        einc__node_kind kind = op == T_ARROW   ? EINC__N_OP
                               : op == T_COMMA ? EINC__N_ARGS
                               : op == T_PLUS  ? EINC__N_CONCAT
                                               : EINC__N_LIST;
        einc__node *x = node_new(p, kind, begin, end, count + 1);
        if (!x) return NULL;
        int nops = 0, start = 0;
        for (int i = 0; i <= n; i++) {
            if (i < n && it[i].kind != op) continue;
            if (!(op == T_SPACE && i == start)) { /* empty operands vanish only for juxtaposition */
                int ob = i > start ? it[start].begin : (i < n ? it[i].begin : it[n - 1].end);
                if (i == start && start > 0 && i == n) ob = it[n - 1].end;
                einc__node *o = parse_items(p, it + start, i - start, false, ob, ob);
                if (!o) return NULL;
                x->c[nops++] = o;
            }
            start = i + 1;
        }
        x->n = nops;
        if (op == T_PLUS) {
            bool bad = false;
            for (int i = 0; i < nops; i++)
                if (x->c[i]->kind != EINC__N_AXIS && x->c[i]->kind != EINC__N_FLAT) bad = true;
            if (bad) {
                einc__marks m;
                if (!einc__marks_init(p->a, &m, p->text)) return NULL;
                for (int i = 0; i < nops; i++)
                    if (x->c[i]->kind != EINC__N_AXIS && x->c[i]->kind != EINC__N_FLAT)
                        einc__marks_range(&m, x->c[i]->begin, x->c[i]->end);
                for (int i = 0; i < n; i++)
                    if (it[i].kind == T_PLUS) einc__marks_range(&m, it[i].begin, it[i].end);
                syntax_error(p, &m,
                             "Only named axes, unnamed axes, and flattened axes are allowed as operands of a "
                             "concatenation operator ('+').",
                             NULL);
                return NULL;
            }
            if (!parent_is_paren) {
                syntax_error_at(p, begin, end, "Concatenated axes must be wrapped in parentheses.", NULL);
                return NULL;
            }
        }
        return x;
    }

    if (it[n - 1].kind == T_ELLIPSIS && n <= 2) {
        einc__node *x = node_new(p, EINC__N_ELLIPSIS, it[0].begin, it[n - 1].end, 1);
        if (!x) return NULL;
        x->ellipsis_id = p->next_ellipsis++;
        if (n == 1) {
            /* the anonymous ellipsis repeats a hidden axis shared by all anonymous ellipses */
            einc__node *ax = node_new(p, EINC__N_AXIS, it[0].begin, it[0].begin, 0);
            if (!ax) return NULL;
            ax->name = "..";
            x->c[0] = ax;
        } else {
            x->c[0] = parse_items(p, it, 1, false, it[0].begin, it[0].end);
            if (!x->c[0]) return NULL;
        }
        return x;
    }

    if (n == 1 && it[0].kind == T_WORD) {
        const char *w = p->text + it[0].begin;
        int wl = it[0].end - it[0].begin;
        einc__node *x = node_new(p, EINC__N_AXIS, it[0].begin, it[0].end, 0);
        if (!x) return NULL;
        if (is_digits(w, wl)) {
            int64_t v = 0;
            for (int i = 0; i < wl; i++) {
                if (v > (INT64_MAX - 9) / 10) {
                    syntax_error_at(p, it[0].begin, it[0].end, "The unnamed axis is too large:", NULL);
                    return NULL;
                }
                v = v * 10 + (w[i] - '0');
            }
            /* "unnamed.K", written without snprintf (one per number in the text) */
            char digits[16], name[32] = "unnamed.";
            int nd = 0;
            for (unsigned k = (unsigned)p->next_unnamed++; nd == 0 || k; k /= 10) digits[nd++] = (char)('0' + k % 10);
            for (int i = 0; i < nd; i++) name[8 + i] = digits[nd - 1 - i];
            x->name = einc__arena_strdup(p->a, name, (size_t)(8 + nd));
            x->value = v;
        } else {
            x->name = einc__arena_strdup(p->a, w, (size_t)wl);
        }
        if (!x->name) return NULL;
        return x;
    }

    char msg[600];
    int tl = end - begin;
    snprintf(msg, sizeof msg, "The expression '%.*s' is not valid.%s", tl > 200 ? 200 : tl, p->text + begin,
             n > 1 ? " Are you maybe missing a whitespace?" : "");
    syntax_error_at(p, begin, end, msg, NULL);
    return NULL;
}

/* ---- normalisation: move "->" and "," to the top ------------------------------------------- */

/* A node's branches: `n` alternatives (the operands of a "->" or of a ","). */
typedef struct {
    int n;
    einc__node **b;
} branches;

static bool branches_one(parser *p, branches *out, einc__node *x) {
    if (!x) return false; /* an allocation failed (recorded) */
    out->n = 1;
    out->b = einc__arena_alloc(p->a, sizeof(einc__node *));
    if (!out->b) return false;
    out->b[0] = x;
    return true;
}

static int64_t tree_size(const einc__node *x) {
    int64_t n = 1;
    for (int i = 0; i < x->n; i++) n += tree_size(x->c[i]);
    return n;
}

/* Distributing "," or "->" over its context copies the context once per branch: "x x x (a, b, c)"
 * is "x x x a, x x x b, x x x c". Such copies are bounded (a multiple of the text's length), so
 * that a short expression cannot make the front end build a quadratically large tree. */
static bool count_copies(parser *p, int64_t nodes) {
    p->copies += nodes;
    if (p->copies <= p->max_copies) return true;
    einc__error(p->ctx, EINC_EUNSUPPORTED,
                "The expression is too complex: distributing its ',' and '->' operators over the axes around "
                "them would copy more than %lld axes (expression of %zu characters)",
                (long long)p->max_copies, strlen(p->text));
    return false;
}

/* Moves operator `op` (OP or ARGS) up from below `x`: returns its branches. Wrappers (flat,
 * bracket, ellipsis) are replicated around each branch; lists and concatenations combine their
 * children branch-wise, replicating single-branch children. */
static bool move_up(parser *p, einc__node *x, einc__node_kind op, branches *out) {
    switch (x->kind) {
    case EINC__N_AXIS: /* the tree is rebuilt from its branches: a node in one branch is reused */
        return branches_one(p, out, x);
    case EINC__N_FLAT:
    case EINC__N_BRACKET:
    case EINC__N_ELLIPSIS: {
        branches in;
        if (!move_up(p, x->c[0], op, &in)) return false;
        if (in.n == 1) {
            x->c[0] = in.b[0];
            out->n = 1;
            out->b = in.b;
            in.b[0] = x;
            return true;
        }
        out->n = in.n;
        out->b = einc__arena_alloc(p->a, sizeof(einc__node *) * (size_t)in.n);
        if (!out->b) return false;
        if (in.n > 1 && !count_copies(p, in.n - 1)) return false;
        for (int i = 0; i < in.n; i++) {
            einc__node *w = node_new(p, x->kind, x->begin, x->end, 1);
            if (!w) return false;
            w->ellipsis_id = x->ellipsis_id;
            w->c[0] = in.b[i];
            out->b[i] = w;
        }
        return true;
    }
    case EINC__N_LIST:
    case EINC__N_CONCAT:
    case EINC__N_ARGS:
    case EINC__N_OP: {
        if (x->kind == op) { /* the operator itself: its operands' branches are concatenated */
            int total = 0;
            branches *cb = einc__arena_alloc(p->a, sizeof(branches) * (size_t)(x->n ? x->n : 1));
            if (!cb) return false;
            for (int i = 0; i < x->n; i++) {
                if (!move_up(p, x->c[i], op, &cb[i])) return false;
                total += cb[i].n;
            }
            out->n = total;
            out->b = einc__arena_alloc(p->a, sizeof(einc__node *) * (size_t)(total ? total : 1));
            if (!out->b) return false;
            for (int i = 0, k = 0; i < x->n; i++)
                for (int j = 0; j < cb[i].n; j++) out->b[k++] = cb[i].b[j];
            return true;
        }
        if (x->kind == EINC__N_OP) /* an OP below an ARGS pass cannot happen: OPs went first */
            return false;
        branches *cb = einc__arena_alloc(p->a, sizeof(branches) * (size_t)(x->n ? x->n : 1));
        if (!cb) return false;
        int num = 1;
        for (int i = 0; i < x->n; i++) {
            if (!move_up(p, x->c[i], op, &cb[i])) return false;
            if (cb[i].n != 1) {
                if (num != 1 && num != cb[i].n) {
                    syntax_error_literal(
                        p, op == EINC__N_OP ? "->" : ",",
                        op == EINC__N_OP ? "All '->' operators must appear at the same level of the expression tree."
                                         : "All ',' operators must appear at the same level of the expression tree.");
                    return false;
                }
                num = cb[i].n;
            }
        }
        if (num > 1) { /* every single-branch child is copied num - 1 times */
            int64_t single = 0;
            for (int i = 0; i < x->n; i++)
                if (cb[i].n == 1) single += tree_size(cb[i].b[0]);
            if (!count_copies(p, (int64_t)(num - 1) * (single + 1))) return false;
        }
        if (num == 1) {
            for (int i = 0; i < x->n; i++) x->c[i] = cb[i].b[0];
            return branches_one(p, out, x);
        }
        out->n = num;
        out->b = einc__arena_alloc(p->a, sizeof(einc__node *) * (size_t)num);
        if (!out->b) return false;
        for (int k = 0; k < num; k++) {
            einc__node *w = node_new(p, x->kind, x->begin, x->end, x->n);
            if (!w) return false;
            for (int i = 0; i < x->n; i++)
                w->c[i] = cb[i].n == 1 ? (k == 0 ? cb[i].b[0] : einc__node_clone(p->a, cb[i].b[0])) : cb[i].b[k];
            for (int i = 0; i < x->n; i++)
                if (!w->c[i]) return false;
            out->b[k] = w;
        }
        return true;
    }
    }
    return false;
}

/* Drops brackets nested in brackets ("[a [b]]" == "[a b]") and sets parent links. */
static einc__node *drop_nested_brackets(einc__node *x, bool in_brackets, einc__node *parent) {
    if (x->kind == EINC__N_BRACKET && in_brackets) return drop_nested_brackets(x->c[0], true, parent);
    x->parent = parent;
    bool inner = in_brackets || x->kind == EINC__N_BRACKET;
    int w = 0;
    for (int i = 0; i < x->n; i++) {
        einc__node *c = drop_nested_brackets(x->c[i], inner, x);
        /* "[]" disappears from a list ("b p [i,->]" has the operand "b p []" == "b p") */
        if (x->kind == EINC__N_LIST && c->kind == EINC__N_BRACKET && c->c[0]->kind == EINC__N_LIST && c->c[0]->n == 0)
            continue;
        x->c[w++] = c;
    }
    x->n = w;
    return x;
}

bool einc__node_in_brackets(const einc__node *n) {
    for (const einc__node *q = n->parent; q; q = q->parent)
        if (q->kind == EINC__N_BRACKET) return true;
    return false;
}

/* Every occurrence of each axis name is either inside brackets or outside, across the whole
 * expression (spec §1.4). One pass records, per name, whether it was seen inside and outside
 * brackets (a hash table: linear in the number of axes). */
typedef struct {
    einc__node **axes;
    bool *bracketed; /* per entry of axes */
    int n, cap;
} axis_list;

static bool collect_axes(parser *p, einc__node *x, bool in_brackets, axis_list *l) {
    EINC__STEPS(p->ctx, 1);
    in_brackets = in_brackets || x->kind == EINC__N_BRACKET;
    if (x->kind == EINC__N_AXIS) {
        if (l->n == l->cap) {
            int cap = l->cap ? l->cap * 2 : 32;
            einc__node **na = einc__arena_alloc(p->a, sizeof(einc__node *) * (size_t)cap);
            bool *nb = einc__arena_alloc(p->a, sizeof(bool) * (size_t)cap);
            if (!na || !nb) return false;
            if (l->n) memcpy(na, l->axes, sizeof(einc__node *) * (size_t)l->n);
            if (l->n) memcpy(nb, l->bracketed, sizeof(bool) * (size_t)l->n);
            EINC__STEPS(p->ctx, l->n);
            l->axes = na;
            l->bracketed = nb;
            l->cap = cap;
        }
        l->bracketed[l->n] = in_brackets;
        l->axes[l->n++] = x;
    }
    for (int i = 0; i < x->n; i++)
        if (!collect_axes(p, x->c[i], in_brackets, l)) return false;
    return true;
}

static bool check_bracket_consistency(parser *p, einc__desc *d) {
    axis_list l = {0};
    for (int i = 0; i < d->ninputs; i++)
        if (!collect_axes(p, d->inputs[i], false, &l)) return false;
    for (int i = 0; i < d->noutputs; i++)
        if (!collect_axes(p, d->outputs[i], false, &l)) return false;
    /* per distinct name: bit 0 seen outside brackets, bit 1 inside */
    einc__strtab names;
    einc__strtab_init(&names, p->a);
    int *seen = einc__arena_alloc(p->a, sizeof(int) * (size_t)(l.n ? l.n : 1));
    int *id = einc__arena_alloc(p->a, sizeof(int) * (size_t)(l.n ? l.n : 1));
    if (!seen || !id) return false;
    int ndistinct = 0;
    for (int i = 0; i < l.n; i++) {
        int k = einc__strtab_put(&names, l.axes[i]->name, ndistinct);
        if (k == -2) return false;
        if (k == ndistinct) ndistinct++;
        id[i] = k;
        seen[k] |= l.bracketed[i] ? 2 : 1;
    }
    for (int i = 0; i < l.n; i++) {
        if (seen[id[i]] != 3) continue;
        einc__marks m;
        if (!einc__marks_init(p->a, &m, p->text)) return false;
        for (int j = 0; j < l.n; j++) {
            if (id[j] != id[i]) continue;
            einc__marks_range(&m, l.axes[j]->begin, l.axes[j]->end);
            for (const einc__node *q = l.axes[j]->parent; q; q = q->parent) {
                if (q->kind != EINC__N_BRACKET) continue;
                einc__marks_range(&m, q->begin, q->begin + 1);
                einc__marks_range(&m, q->end - 1, q->end);
            }
        }
        char msg[300];
        snprintf(msg, sizeof msg,
                 "There are multiple occurrences of axis %s with inconsistent bracket usage:", l.axes[i]->name);
        return syntax_error(p, &m, msg, "An axis may only appear with brackets or without brackets, but not both.");
    }
    return true;
}

/* Wraps a top-level operand in a LIST root (an operand that is a single item is a list of one). */
static einc__node *as_root(parser *p, einc__node *x) {
    if (x->kind == EINC__N_LIST) return x;
    einc__node *l = node_new(p, EINC__N_LIST, x->begin, x->end, 1);
    if (!l) return NULL;
    l->c[0] = x;
    return l;
}

bool einc__parse(einc__arena *a, const char *text, einc__desc *out) {
    parser p = {a, a->ctx, text, 0, 0, 0, 0};
    memset(out, 0, sizeof *out);
    out->text = text;
    size_t len = strlen(text);
    if (len > 100000) {
        einc__error(a->ctx, EINC_ESYNTAX, "The expression is too long (%zu characters; the limit is 100000).", len);
        return false;
    }
    p.max_copies = 4 * (int64_t)len + 4096;
    /* the tokens live only until the tree is built (nodes keep character positions, groups keep
     * arena copies of their contents): taken from the context, not zeroed, freed right away */
    size_t toks_size = sizeof(item) * (len + 1);
    item *toks = einc__alloc(a->ctx, toks_size);
    if (!toks) {
        a->failed = true;
        return false;
    }
    int n = lex(&p, toks);
    item *groups;
    int ngroups;
    einc__node *tree = NULL;
    if (n >= 0 && group(&p, toks, n, &groups, &ngroups)) tree = parse_items(&p, groups, ngroups, false, 0, (int)len);
    einc__free(a->ctx, toks, toks_size);
    if (!tree) return false;

    branches ops;
    if (!move_up(&p, tree, EINC__N_OP, &ops)) return false;
    if (ops.n > 2)
        return syntax_error_literal(&p, "->", "The expression must not contain more than one '->' operator.");
    out->has_arrow = ops.n == 2;
    for (int side = 0; side < ops.n; side++) {
        branches args;
        if (!move_up(&p, ops.b[side], EINC__N_ARGS, &args)) return false;
        einc__node **roots = einc__arena_alloc(a, sizeof(einc__node *) * (size_t)(args.n ? args.n : 1));
        if (!roots) return false;
        for (int i = 0; i < args.n; i++) {
            roots[i] = as_root(&p, args.b[i]);
            if (!roots[i]) return false;
            roots[i] = drop_nested_brackets(roots[i], false, NULL);
        }
        if (side == 0) {
            out->inputs = roots;
            out->ninputs = args.n;
        } else {
            out->outputs = roots;
            out->noutputs = args.n;
        }
    }
    return check_bracket_consistency(&p, out);
}

/* ---- printing ------------------------------------------------------------------------------ */

void einc__node_print(einc__sb *sb, const einc__node *n) {
    if (sb->cap && sb->len + 1 >= sb->cap) return; /* full: nothing more would be written */
    switch (n->kind) {
    case EINC__N_AXIS:
        if (n->value >= 0 && strncmp(n->name, "unnamed.", 8) == 0) einc__sb_printf(sb, "%lld", (long long)n->value);
        else if (strcmp(n->name, "..") == 0) einc__sb_printf(sb, "...");
        else einc__sb_printf(sb, "%s", n->name);
        return;
    case EINC__N_LIST:
    case EINC__N_ARGS:
    case EINC__N_OP:
    case EINC__N_CONCAT: {
        const char *sep = n->kind == EINC__N_LIST   ? " "
                          : n->kind == EINC__N_ARGS ? ", "
                          : n->kind == EINC__N_OP   ? " -> "
                                                    : " + ";
        if (n->kind == EINC__N_CONCAT) einc__sb_printf(sb, "(");
        for (int i = 0; i < n->n; i++) {
            if (i) einc__sb_printf(sb, "%s", sep);
            einc__node_print(sb, n->c[i]);
        }
        if (n->kind == EINC__N_CONCAT) einc__sb_printf(sb, ")");
        return;
    }
    case EINC__N_FLAT:
        einc__sb_printf(sb, "(");
        einc__node_print(sb, n->c[0]);
        einc__sb_printf(sb, ")");
        return;
    case EINC__N_BRACKET:
        einc__sb_printf(sb, "[");
        einc__node_print(sb, n->c[0]);
        einc__sb_printf(sb, "]");
        return;
    case EINC__N_ELLIPSIS:
        if (n->c[0]->kind == EINC__N_AXIS && strcmp(n->c[0]->name, "..") == 0) {
            einc__sb_printf(sb, "...");
            return;
        }
        einc__node_print(sb, n->c[0]);
        einc__sb_printf(sb, "...");
        return;
    }
}
