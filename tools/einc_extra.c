/* einc_extra.c — the tool's solver and einx 0.3 commands (see einc_extra.h, docs/cli.md).
 *
 *   einc solve 'EXPR' IN.npy|SHAPE ... [NAME=VALUE ...]          prints "name=length" per axis
 *   einc solve_shapes 'EXPR' IN.npy|SHAPE ... [NAME=VALUE ...]   prints one shape per operand
 *   einc matches 'EXPR' IN.npy|SHAPE ... [-o OUT.npy] [...]      0-d bool to OUT.npy, else True/False
 *   einc check 'EXPR' IN.npy|SHAPE ... [NAME=VALUE ...]          exit status 0, or 1 with the error
 *   einc reduce|elementwise|vmap_with_axis 'EXPR' IN.npy ... -o OUT.npy op=NAME [...]
 *   einc arange 'EXPR' -o OUT.npy [NAME=VALUE ...] [dtype=int32]
 *
 * A SHAPE is a tuple of lengths, "2,3,4" or "(2, 3, 4)" ("()" is 0-d, "5" and "(5,)" are 1-d), or
 * "?" / "None" for an unknown shape.
 */
#include "einc_extra.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "einc.h"
#include "einc_files.h"

#define MAX_ARGS 64

typedef struct {
    const char *name;
    const char *summary;
    const char *usage;
    const char *example;
} command;

static const command commands[] = {
    {"solve", "prints the length of every axis (einx.solve_axes; 0.3's einx.solve)",
     "einc solve 'EXPR' IN.npy|SHAPE [IN.npy|SHAPE ...] [NAME=VALUE ...]", "einc solve 'b (s [ds])... c' 2,4,6,3 ds=2"},
    {"solve_axes", "the same as solve", "einc solve_axes 'EXPR' IN.npy|SHAPE [IN.npy|SHAPE ...] [NAME=VALUE ...]",
     "einc solve_axes '(a + b) c' '(5, 4)' b=3"},
    {"solve_shapes", "prints the shape of every operand (einx.solve_shapes)",
     "einc solve_shapes 'EXPR' IN.npy|SHAPE [IN.npy|SHAPE ...] [NAME=VALUE ...]",
     "einc solve_shapes 'a b, c b a' 3,4 None c=3"},
    {"matches", "whether the shapes match the expression (einx.matches): a 0-d bool, or True/False without -o",
     "einc matches 'EXPR' IN.npy|SHAPE [IN.npy|SHAPE ...] [-o OUT.npy] [NAME=VALUE ...]",
     "einc matches 'b (h w) c' 2,12,3"},
    {"check", "exit status 0 if the shapes match the expression, else 1 with the error (einx 0.3's einx.check)",
     "einc check 'EXPR' IN.npy|SHAPE [IN.npy|SHAPE ...] [NAME=VALUE ...]", "einc check 'a b, b' 3,4 4"},
    {"reduce",
     "einx 0.3's reduce with op=NAME (sum, mean, var, std, prod, count_nonzero, any, all, max, min, logsumexp)",
     "einc reduce 'EXPR' IN.npy -o OUT.npy op=NAME [keepdims=true] [NAME=VALUE ...]",
     "einc reduce 'a [b]' x.npy -o y.npy op=sum"},
    {"elementwise",
     "einx 0.3's elementwise with op=NAME (add, subtract, multiply, ..., where), incl. 'b [c]' "
     "with two inputs",
     "einc elementwise 'EXPR' IN.npy [IN.npy ...] -o OUT.npy op=NAME [NAME=VALUE ...]",
     "einc elementwise 'a [b]' x.npy bias.npy -o y.npy op=add"},
    {"vmap_with_axis",
     "einx 0.3's vmap_with_axis with op=NAME (softmax, log_softmax, flip, roll, sort, a reduction, ...)",
     "einc vmap_with_axis 'EXPR' IN.npy -o OUT.npy op=NAME [shift=S,...] [NAME=VALUE ...]",
     "einc vmap_with_axis 'a [b]' x.npy -o y.npy op=softmax"},
    {"arange", "einx 0.3's arange: coordinates stacked along the bracketed axis (int32 unless dtype=...)",
     "einc arange 'EXPR' -o OUT.npy [NAME=VALUE ...] [dtype=int32|int64|float32|float64]",
     "einc arange 'a b [2]' -o coords.npy a=3 b=4"},
};

const char *const einc_tool_extra_usage =
    "       einc solve|solve_axes|solve_shapes|check 'EXPR' IN.npy|SHAPE ... [NAME=VALUE ...]\n"
    "       einc matches 'EXPR' IN.npy|SHAPE ... [-o OUT.npy] [NAME=VALUE ...]\n"
    "       einc reduce|elementwise|vmap_with_axis 'EXPR' IN.npy ... -o OUT.npy op=NAME [...]  (einx 0.3)\n"
    "       einc arange 'EXPR' -o OUT.npy [NAME=VALUE ...] [dtype=int32]                    (einx 0.3)\n";

const char *const einc_tool_extra_names[] = {"solve",  "solve_axes",  "solve_shapes",   "matches", "check",
                                             "reduce", "elementwise", "vmap_with_axis", "arange",  NULL};

static const command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

bool einc_tool_extra_has(const char *name) { return find_command(name) != NULL; }

void einc_tool_extra_help(const char *name) {
    const command *c = find_command(name);
    if (!c) return;
    printf("einc %s: %s\n\nexample:\n  %s\n\nusage: %s\n", c->name, c->summary, c->example, c->usage);
    if (strncmp(name, "solve", 5) == 0 || strcmp(name, "matches") == 0 || strcmp(name, "check") == 0)
        printf("An operand is a .npy file (its shape counts) or a SHAPE: 2,3,4 or '(2, 3, 4)'; () is 0-d, 5 is\n"
               "(5,); ? or None is an unknown shape. The expression has no '->'.\n");
    printf("See docs/cli.md and docs/notation.md.\n");
}

/* ---- arguments --------------------------------------------------------------------------------- */

static int fail(einc_ctx *ctx) { return einc_tool_fail(ctx); }

static bool is_number(const char *s) {
    char *end;
    if (!*s) return false;
    strtod(s, &end);
    return *end == '\0';
}

/* "2,3,4", "(2, 3, 4)", "(3,)", "()", "5": a shape; "?" / "None": unknown. False if not a shape. */
static bool parse_shape(const char *s, einc_shape *out) {
    memset(out, 0, sizeof *out);
    if (strcmp(s, "?") == 0 || strcmp(s, "None") == 0) {
        out->ndim = -1;
        return true;
    }
    const char *p = s;
    while (*p == ' ') p++;
    bool paren = *p == '(';
    if (paren) p++;
    for (;;) {
        while (*p == ' ') p++;
        if (!isdigit((unsigned char)*p)) break;
        if (out->ndim == EINC_MAX_DIMS) return false;
        char *end;
        long long v = strtoll(p, &end, 10);
        out->dims[out->ndim++] = v;
        p = end;
        while (*p == ' ') p++;
        if (*p != ',') break;
        p++;
    }
    while (*p == ' ') p++;
    if (paren) {
        if (*p != ')') return false;
        p++;
    }
    while (*p == ' ') p++;
    return *p == '\0' && (paren || out->ndim > 0);
}

typedef struct {
    const char *outs[MAX_ARGS];
    int nout;
    const char *ins[MAX_ARGS];
    int nin;
    const char *op;
    const char *dtype;
    bool keepdims;
    int nshift;
    int64_t shift[EINC_MAX_DIMS];
    einc_axis axes[MAX_ARGS];
    int naxes;
    char names[4096];
} cli_args;

static bool parse_bool(const char *v, bool *out) {
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "1")) *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "0")) *out = false;
    else return false;
    return true;
}

static bool parse_shift(const char *v, cli_args *a) {
    a->nshift = 0;
    const char *p = v;
    while (*p) {
        char *end;
        long long s = strtoll(p, &end, 10);
        if (end == p || a->nshift == EINC_MAX_DIMS) return false;
        a->shift[a->nshift++] = s;
        p = end;
        if (*p == ',') p++;
        else if (*p) return false;
    }
    return a->nshift > 0;
}

/* Splits the positionals after the expression into options, constraints (parsed) and operands;
 * the outputs come from the command line's -o. Returns 0, -1 (the error in ctx) or the exit
 * status of a usage error (after printing it). */
static int parse_args(einc_ctx *ctx, const einc_cli *cli, const char *cmd, cli_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < cli->nout; i++) a->outs[a->nout++] = cli->outs[i];
    size_t used = 0;
    bool op_option = !strcmp(cmd, "reduce") || !strcmp(cmd, "elementwise") || !strcmp(cmd, "vmap_with_axis");
    for (int i = 2; i < cli->npos; i++) {
        const char *s = cli->pos[i];
        if (op_option && strncmp(s, "op=", 3) == 0) {
            a->op = s + 3;
        } else if (strcmp(cmd, "arange") == 0 && strncmp(s, "dtype=", 6) == 0) {
            a->dtype = s + 6;
        } else if (strncmp(s, "keepdims=", 9) == 0 && (!strcmp(cmd, "reduce") || !strcmp(cmd, "vmap_with_axis"))) {
            if (!parse_bool(s + 9, &a->keepdims))
                return fprintf(stderr, "ValueError: keepdims must be true or false, got '%s'\n", s + 9), 1;
        } else if (strncmp(s, "shift=", 6) == 0 && !strcmp(cmd, "vmap_with_axis")) {
            if (!parse_shift(s + 6, a))
                return fprintf(stderr,
                               "ValueError: shift must be an integer or integers separated by commas, got "
                               "'%s'\n",
                               s + 6),
                       1;
        } else if (strchr(s, '=') && (isalpha((unsigned char)s[0]) || s[0] == '_')) {
            int n = 0;
            if (einc_axes_parse(ctx, s, a->axes + a->naxes, MAX_ARGS - a->naxes, &n, a->names + used,
                                sizeof a->names - used) != EINC_OK)
                return -1;
            for (int k = 0; k < n; k++) used += strlen(a->axes[a->naxes + k].name) + 1;
            a->naxes += n;
        } else {
            if (a->nin == MAX_ARGS) return fprintf(stderr, "ValueError: too many inputs\n"), 1;
            a->ins[a->nin++] = s;
        }
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* An operand of the solvers: a shape written out, or the shape of a .npy file. */
static bool operand_shape(einc_ctx *ctx, const char *s, einc_shape *out) {
    if (!ends_with(s, ".npy") && !einc_tool_is_tensor_ref(s) && parse_shape(s, out)) return true;
    einc_tensor *t = einc_tool_load(ctx, s);
    if (!t) return false;
    *out = einc_shape_of(t);
    einc_tensor_release(t);
    return true;
}

static void print_values(const einc_solved_axis *ax, int depth, int64_t *at) {
    if (depth == ax->ndim) {
        printf("%lld", (long long)ax->values[(*at)++]);
        return;
    }
    printf("(");
    for (int64_t i = 0; i < ax->shape[depth]; i++) {
        if (i) printf(", ");
        print_values(ax, depth + 1, at);
    }
    printf(ax->shape[depth] == 1 ? ",)" : ")");
}

static int run_solver(einc_ctx *ctx, const char *cmd, const char *expr, const cli_args *a) {
    einc_shape shapes[MAX_ARGS];
    for (int i = 0; i < a->nin; i++)
        if (!operand_shape(ctx, a->ins[i], &shapes[i])) return fail(ctx);
    einc_axes axes = {a->naxes, a->axes};
    if (strcmp(cmd, "matches") != 0 && a->nout)
        return fprintf(stderr, "ValueError: %s writes no file (-o is for matches)\n", cmd), einc_tool_done(ctx, 1);
    if (strcmp(cmd, "matches") == 0) {
        if (a->nout > 1) return fprintf(stderr, "ValueError: matches writes one file\n"), einc_tool_done(ctx, 1);
        bool m = einc_matches(ctx, expr, a->nin, shapes, axes);
        if (einc_errcode(ctx) != EINC_OK) return fail(ctx);
        if (a->nout == 0) {
            printf("%s\n", m ? "True" : "False");
        } else {
            einc_tensor *t = einc_tensor_scalar(ctx, EINC_BOOL, m ? 1.0 : 0.0);
            if (!t || einc_tool_write(ctx, 1, a->outs, &t) != EINC_OK) return fail(ctx);
        }
    } else if (strcmp(cmd, "check") == 0) {
        if (einc_check(ctx, expr, a->nin, shapes, axes) != EINC_OK) return fail(ctx);
    } else if (strcmp(cmd, "solve_shapes") == 0) {
        einc_shape out[MAX_ARGS];
        if (einc_solve_shapes(ctx, expr, a->nin, shapes, out, axes) != EINC_OK) return fail(ctx);
        for (int i = 0; i < a->nin; i++) {
            printf("(");
            for (int k = 0; k < out[i].ndim; k++) printf("%s%lld", k ? ", " : "", (long long)out[i].dims[k]);
            printf(out[i].ndim == 1 ? ",)\n" : ")\n");
        }
    } else {
        einc_solution *s = einc_solve_axes(ctx, expr, a->nin, shapes, axes);
        if (!s) return fail(ctx);
        for (int i = 0; i < s->naxes; i++) {
            int64_t at = 0;
            printf("%s=", s->axes[i].name);
            print_values(&s->axes[i], 0, &at);
            printf("\n");
        }
        einc_solution_free(s);
    }
    return einc_tool_done(ctx, 0);
}

static bool parse_dtype(const char *s, einc_dtype *out) {
    for (int i = 0; i < EINC_NUM_DTYPES; i++)
        if (strcmp(einc_dtype_name((einc_dtype)i), s) == 0) {
            *out = (einc_dtype)i;
            return true;
        }
    return false;
}

static int run_03(einc_ctx *ctx, const char *cmd, const char *expr, const cli_args *a) {
    einc_axes axes = {a->naxes, a->axes};
    if (a->nout != 1)
        return fprintf(stderr, "ValueError: %s writes one output: give one -o OUT.npy\n", cmd), einc_tool_done(ctx, 1);
    einc_tensor *result = NULL;
    if (strcmp(cmd, "arange") == 0) {
        if (a->nin)
            return fprintf(stderr, "ValueError: arange takes no input, got '%s'\n", a->ins[0]), einc_tool_done(ctx, 1);
        einc_dtype dt = EINC_INT32;
        if (a->dtype && !parse_dtype(a->dtype, &dt))
            return fprintf(stderr, "ValueError: unknown dtype '%s'\n", a->dtype), einc_tool_done(ctx, 1);
        result = einc_arange(ctx, expr, dt, axes);
        if (!result) return fail(ctx);
    } else {
        if (!a->op)
            return fprintf(stderr, "ValueError: %s needs op=NAME (see einc %s --help)\n", cmd, cmd),
                   einc_tool_done(ctx, 1);
        einc_tensor *inputs[MAX_ARGS];
        for (int i = 0; i < a->nin; i++) {
            if (is_number(a->ins[i])) {
                bool integral = strspn(a->ins[i], "+-0123456789") == strlen(a->ins[i]);
                inputs[i] = einc_tensor_scalar(ctx, integral ? EINC_INT64 : EINC_FLOAT64, strtod(a->ins[i], NULL));
            } else {
                inputs[i] = einc_tool_load(ctx, a->ins[i]);
            }
            if (!inputs[i]) return fail(ctx);
        }
        einc_options03 o;
        memset(&o, 0, sizeof o);
        o.op = a->op;
        o.keepdims = a->keepdims;
        o.nshift = a->nshift;
        memcpy(o.shift, a->shift, sizeof o.shift);
        if (einc_apply03(ctx, cmd, expr, a->nin, inputs, 1, &result, axes, &o) != EINC_OK) return fail(ctx);
    }
    if (einc_tool_write(ctx, 1, a->outs, &result) != EINC_OK) return fail(ctx);
    return einc_tool_done(ctx, 0);
}

int einc_tool_extra_main(const einc_cli *cli) {
    const char *cmd = cli->pos[0];
    if (cli->npos < 2) {
        fprintf(stderr, "ValueError: missing the expression\nusage: %s\n", find_command(cmd)->usage);
        return 2;
    }
    if (cli->explain) return fprintf(stderr, "ValueError: --explain is for the einx operations, not %s\n", cmd), 1;
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return fprintf(stderr, "MemoryError: cannot create a context\n"), 1;
    static cli_args a;
    int rc = parse_args(ctx, cli, cmd, &a);
    if (rc < 0) return fail(ctx);
    if (rc > 0) return einc_tool_done(ctx, rc);
    bool solver = strncmp(cmd, "solve", 5) == 0 || !strcmp(cmd, "matches") || !strcmp(cmd, "check");
    return solver ? run_solver(ctx, cmd, cli->pos[1], &a) : run_03(ctx, cmd, cli->pos[1], &a);
}
