/* einc — the command-line tool: einx operations on .npy files.
 *
 *   einc OP 'EXPR' IN.npy [IN.npy ...] -o OUT.npy [-o OUT2.npy ...] [NAME=VALUE ...] [--explain]
 *   einc --einx 0.3 OP 'EXPR' IN.npy ... -o OUT.npy ...          (einx 0.3 semantics: compat03.h)
 *
 * NAME=VALUE is an axis constraint, except the operations' own options: keepdims= (reductions) and
 * shift= (roll).
 *
 * Exit status 0 on success; 1 on any error, with stderr starting with the error's class name
 * ("SyntaxError: ...") and no output file left behind; 2 for a usage error.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "einc.h"
#include "einc_args.h"
#include "einc_extra.h"
#include "einc_files.h"
#include "einc_suggest.h"

#define MAX_ARGS EINC_TOOL_MAX_ARGS

static const char *usage_text =
    "usage: einc OP 'EXPR' IN.npy [IN.npy ...] -o OUT.npy [-o OUT2.npy ...] [NAME=VALUE ...] [--explain]\n"
    "       einc --einx 0.3 OP 'EXPR' IN.npy [IN.npy ...] -o OUT.npy [NAME=VALUE ...]\n"
    "       einc OP --help\n"
    "       einc --version   (version, CPU dispatch level, GEMM and BLAS in use)\n"
    "\n"
    "Runs the einx operation OP (einx 0.4.3 notation) on .npy files and writes the results as .npy.\n"
    "\n"
    "  OP          id, rearrange, dot, sum, mean, var, std, prod, count_nonzero, any, all, max, min,\n"
    "              logsumexp, add, subtract, multiply, divide, true_divide, floor_divide, logaddexp,\n"
    "              maximum, minimum, less, less_equal, greater, greater_equal, equal, not_equal,\n"
    "              logical_and, logical_or, where, softmax, log_softmax, get_at, set_at, add_at,\n"
    "              subtract_at, argmax, argmin, sort, argsort, flip, roll\n"
    "  EXPR        the expression, e.g. 'b (h w) c -> b c h w'\n"
    "  IN.npy      an input tensor; a plain number (2.5, 3) is a 0-d input; - is standard input;\n"
    "              FILE.safetensors:NAME is the tensor NAME of a safetensors file\n"
    "  -o OUT.npy  an output file, one per output expression, in order (also -oOUT.npy,\n"
    "              --output=OUT.npy); -o - is standard output; -o FILE.safetensors:NAME stores\n"
    "              the tensor NAME in FILE, keeping FILE's other tensors\n"
    "  NAME=VALUE  an axis constraint (nh=4), a tuple for an ellipsis axis (ds=2,2), or the\n"
    "              operation's own option (keepdims=true for reductions, shift=1 or shift=1,-2\n"
    "              for roll)\n"
    "  --einx 0.3  einx 0.3's semantics (also --einx=0.3): '|' is '->', dot's one-expression\n"
    "              shorthand ('b [c_in] -> b [c_out]' with x.npy w.npy), elementwise 'b [c]' with\n"
    "              two inputs, keepdims=true only without '->'; 0.4 (the default) is einx 0.4.3\n"
    "  --explain   print the plan: resolved expression, axis lengths, steps and copies\n"
    "  --no-sync   do not fsync the outputs (faster; a system crash may lose them)\n"
    "  --break-links  replace an output that has other hard links (they keep the old contents)\n"
    "  --          every later argument is an operand, even one starting with '-'\n"
    "Options may come anywhere. Devices and FIFOs are written in place; a regular file is replaced\n"
    "atomically (a symbolic link is followed and kept), keeping its mode.\n"
    "\n"
    "examples:\n"
    "  einc rearrange '... (qkv nh dh) H W -> qkv ... nh (H W) dh' x.npy -o qkv.npy qkv=3 nh=4 dh=4\n"
    "  einc dot '... N dh, ... M dh -> ... N M' q.npy k.npy -o logits.npy\n"
    "  einc softmax '... N [M]' logits.npy -o attn.npy\n"
    "  einc sum 'b [h w] c' x.npy -o pooled.npy\n"
    "  einc id 'b (q + k + v) -> b q, b k, b v' x.npy -o q.npy -o k.npy -o v.npy q=2 k=3\n"
    "  einc add 'a b, b' x.npy bias.npy -o y.npy --explain\n"
    "  einc --einx 0.3 dot 'b [c_in] -> b [c_out]' x.npy w.npy -o y.npy\n";

typedef struct {
    const char *name;
    const char *summary;
    const char *example;
} op_help;

static const op_help helps[] = {
    {"id", "rearranges: permute, (un)flatten, squeeze, broadcast, diagonal, concatenate/split; a view when possible",
     "einc id 'b (h w) c -> b c h w' x.npy -o y.npy h=16"},
    {"rearrange", "einx 0.3 name of id", "einc rearrange 'b c h w -> b (h w) c' x.npy -o y.npy"},
    {"dot", "contracts bracketed axes (or, without brackets, every input axis missing from the output)",
     "einc dot 'b c_in, c_in c_out -> b c_out' x.npy w.npy -o y.npy"},
    {"sum", "sums the bracketed axes (or those missing from the output)", "einc sum 'b [h w] c' x.npy -o y.npy"},
    {"mean", "mean over the bracketed axes", "einc mean 'b [h w] c' x.npy -o y.npy"},
    {"var", "population variance (ddof 0) over the bracketed axes", "einc var 'b [n] c' x.npy -o y.npy"},
    {"std", "population standard deviation over the bracketed axes", "einc std 'b [n] c' x.npy -o y.npy"},
    {"prod", "product over the bracketed axes", "einc prod 'a [b]' x.npy -o y.npy"},
    {"count_nonzero", "number of nonzero elements over the bracketed axes (int64)",
     "einc count_nonzero 'a [b]' x.npy -o y.npy"},
    {"any", "true where any element over the bracketed axes is nonzero (bool)", "einc any 'a [b]' x.npy -o y.npy"},
    {"all", "true where every element over the bracketed axes is nonzero (bool)", "einc all 'a [b]' x.npy -o y.npy"},
    {"max", "maximum over the bracketed axes", "einc max 'b [h w] c' x.npy -o y.npy"},
    {"min", "minimum over the bracketed axes", "einc min 'b c -> c' x.npy -o y.npy"},
    {"logsumexp", "log(sum(exp(x))) over the bracketed axes, computed stably", "einc logsumexp 'b [n]' x.npy -o y.npy"},
    {"log_softmax", "log of the softmax jointly over the bracketed axes", "einc log_softmax 'b [n]' x.npy -o y.npy"},
    {"softmax", "softmax jointly over the bracketed axes", "einc softmax 'b h [n]' x.npy -o y.npy"},
    {"where", "cond ? x : y elementwise, broadcast by axis name", "einc where 'a b, a b, ' m.npy x.npy 0 -o y.npy"},
    {"argmax", "int64 coordinates of the first maximum over the bracketed axes, one per bracketed axis",
     "einc argmax 'b [h w] c' x.npy -o idx.npy"},
    {"argmin", "int64 coordinates of the first minimum over the bracketed axes, one per bracketed axis",
     "einc argmin 'a [b] c -> a c' x.npy -o idx.npy"},
    {"sort", "sorts along the one bracketed axis, ascending and stable, NaN last", "einc sort 'a [b]' x.npy -o y.npy"},
    {"argsort", "int64 positions that sort the one bracketed axis (stable: ties keep their order)",
     "einc argsort 'a [b] c -> c a [b]' x.npy -o idx.npy"},
    {"flip", "reverses every bracketed axis", "einc flip 'a [b c]' x.npy -o y.npy"},
    {"roll", "np.roll along every bracketed axis: shift=N for all, or one shift per bracketed axis",
     "einc roll 'a [b c]' x.npy -o y.npy shift=1,-2"},
    {"get_at", "reads the first input at integer coordinates (one per bracketed axis)",
     "einc get_at 'b [h w] c, , -> b c' x.npy 1 2 -o y.npy"},
    {"set_at", "a copy of the first input with the updates written at the coordinates (duplicates: the last wins)",
     "einc set_at 'b [h w] c, , , c' x.npy 1 2 u.npy -o y.npy"},
    {"add_at", "a copy of the first input with the updates added at the coordinates (duplicates accumulate)",
     "einc add_at 'b [h w] c, , , b c' x.npy 0 -1 u.npy -o y.npy"},
    {"subtract_at", "a copy of the first input with the updates subtracted at the coordinates (duplicates accumulate)",
     "einc subtract_at '[h w] c, , , c' x.npy 1 2 u.npy -o y.npy"},
};

static void unknown_operation(const char *op) {
    const char *near = einc_suggest_command(op);
    if (near) fprintf(stderr, "ValueError: unknown operation '%s' (did you mean '%s'?)\n", op, near);
    else fprintf(stderr, "ValueError: unknown operation '%s' (see einc --help)\n", op);
}

static void print_op_help(const char *op) {
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if (strcmp(helps[i].name, op) != 0) continue;
        printf("einc %s: %s\n\nexample:\n  %s\n\n", op, helps[i].summary, helps[i].example);
        break;
    }
    int k = einc_op_from_name(op);
    if (k < 0) {
        unknown_operation(op);
        return;
    }
    printf("usage: einc %s 'EXPR' IN.npy [IN.npy ...] -o OUT.npy [NAME=VALUE ...] [--explain]\n", op);
    if (k >= EINC_OP_SUM && k <= EINC_OP_LOGSUMEXP)
        printf("reduction: brackets mark the reduced axes; 'a [b] c' reduces b; 'a b c -> a' reduces b and c;\n"
               "keepdims=true keeps each bracket group as a length-1 axis.\n");
    else if (k >= EINC_OP_ADD && k <= EINC_OP_WHERE)
        printf("elementwise: inputs broadcast by axis name; without '->' the output is the input that contains\n"
               "every other input's axes; a plain number is a 0-d input: einc %s %s -o y.npy\n",
               op, k == EINC_OP_WHERE ? "'a b, , ' m.npy 1 0" : "'a b, -> a b' x.npy 2");
    else if (k == EINC_OP_ARGMAX || k == EINC_OP_ARGMIN)
        printf("argfind: without '->' the bracket group becomes one axis holding the coordinates ('a [b c]' gives\n"
               "(a, 2)); 'a [b c] -> a [2]' places it, 'a [b] -> a' drops it (one bracketed axis only).\n");
    else if (k == EINC_OP_SORT || k == EINC_OP_ARGSORT)
        printf("exactly one bracketed axis; the output may reorder the other axes ('a [b] c -> c a [b]').\n");
    else if (k == EINC_OP_ROLL)
        printf("shift=N rolls every bracketed axis by N; shift=N1,N2,... gives one shift per bracketed axis, in\n"
               "order (negative or larger than the axis is fine: element i goes to (i + N) mod length).\n");
    else if (k >= EINC_OP_GET_AT && k <= EINC_OP_SUBTRACT_AT)
        printf("indexing: the inputs are the value tensor, then the coordinates (integer .npy files, int32 or\n"
               "int64; a plain integer is a 0-d coordinate), then, for set_at, add_at and subtract_at, the\n"
               "updates. Each coordinate input gives one coordinate for the value's bracketed axes, or as many\n"
               "as the length of its one bracketed axis ('b p [2]'). Negative coordinates count from the end;\n"
               "out-of-range ones are an IndexError. An embedding lookup: get_at '[v] c, b t -> b t c' with\n"
               "table.npy and ids.npy. set_at, add_at and subtract_at write a new file; x.npy is not changed.\n");
    if (k == EINC_OP_DOT)
        printf("einx 0.3 (--einx 0.3): one input expression with two inputs is the weight shorthand: the second\n"
               "input is the bracketed axes of the input and output, 'b [c_in] -> b [c_out]' is\n"
               "'b c_in, c_in c_out -> b c_out', 'b [c1->c2]' and 'b [c1|c2]' the same.\n");
    else if (k >= EINC_OP_ADD && k <= EINC_OP_LOGICAL_OR)
        printf("einx 0.3 (--einx 0.3): one expression without '->' and two inputs is the bias shorthand:\n"
               "'b [c]' is 'b c, c', 'b... (g [c])' is 'b... (g c), (c)'.\n");
    else if (k >= EINC_OP_SUM && k <= EINC_OP_LOGSUMEXP)
        printf("einx 0.3 (--einx 0.3): keepdims=true with '->' is a ValueError, and an expression without '->'\n"
               "must mark the reduced axes.\n");
    printf("The whole notation: man einc, and notation.md in the installed docs (share/doc/einc)\n"
           "or in docs/ of the source.\n");
}

static bool is_number(const char *s) {
    char *end;
    if (!*s) return false;
    strtod(s, &end);
    return *end == '\0';
}

/* roll's shift=1 or shift=1,-2 (also "(1, -2)"): one integer per bracketed axis, or one for all. */
static bool parse_shift(const char *text, einc_op_options *options) {
    const char *p = text + (text[0] == '(');
    options->nshift = 0;
    for (;;) {
        while (*p == ' ') p++;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || options->nshift == EINC_MAX_DIMS) break;
        options->shift[options->nshift++] = v;
        p = end;
        while (*p == ' ') p++;
        if (*p != ',') break;
        p++;
    }
    if (*p == ')' && text[0] == '(') p++;
    if (*p != '\0' || options->nshift == 0) {
        fprintf(stderr,
                "ValueError: shift must be an integer or integers separated by commas (shift=1, "
                "shift=1,-2), got '%s'\n",
                text);
        return false;
    }
    return true;
}

static int fail(einc_ctx *ctx) { return einc_tool_fail(ctx); }

/* --einx VERSION: 3 or 4 (not given: 4), 0 after printing why for anything else. */
static int einx_version(const char *v) {
    if (!v || strcmp(v, "0.4") == 0 || strcmp(v, "0.4.3") == 0) return 4;
    if (strcmp(v, "0.3") == 0 || strcmp(v, "0.3.0") == 0) return 3;
    fprintf(stderr, "ValueError: --einx takes 0.3 (einx 0.3's semantics) or 0.4 (the default, einx 0.4.3), got '%s'\n",
            v);
    return 0;
}

/* `einc --version`: what a bug report or a benchmark needs to say about this binary. */
static int print_version(void) {
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) {
        fprintf(stderr, "MemoryError: cannot create a context\n");
        return 1;
    }
    printf("einc %s (einx 0.4.3 notation)\n", einc_version());
    const char *forced = getenv("EINC_CPU");
    printf("dispatch: %s (the CPU supports %s%s%s)\n", einc_cpu_level_name(einc_cpu_level_active()),
           einc_cpu_level_name(einc_cpu_level_supported()), forced ? "; EINC_CPU=" : "", forced ? forced : "");
    printf("gemm: %s (CBLAS built in: %s)\n", einc_gemm_backend_name(einc_get_gemm_backend(ctx)), einc_blas_backend());
    printf("threads: %d\n", einc_get_threads(ctx));
    einc_ctx_destroy(ctx);
    return 0;
}

/* A signal that ends the tool while outputs are being written (Ctrl-C, kill, a file-size limit)
 * removes the temporaries first, so none is left; the default action then ends the process as the
 * signal would have. */
static void on_fatal_signal(int sig) {
    einc_save_remove_temporaries();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv) {
    const int fatal[] = {SIGTERM, SIGINT, SIGHUP, SIGXFSZ, SIGPIPE};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(fatal[i], &sa, NULL);
    }
    einc_cli cli;
    if (einc_cli_parse(argc, argv, &cli) != 0) return 1;
    int einx = einx_version(cli.einx);
    if (!einx) return 1;
    if (cli.version) return print_version();
    if (cli.npos == 0) {
        FILE *to = cli.help ? stdout : stderr;
        fputs(usage_text, to);
        fprintf(to, "\nsolvers and einx 0.3 functions:\n%s", einc_tool_extra_usage);
        return cli.help ? 0 : 2;
    }
    const char *opname = cli.pos[0];
    if (cli.help) {
        if (einc_tool_extra_has(opname)) {
            einc_tool_extra_help(opname);
            return 0;
        }
        print_op_help(opname);
        return einc_op_from_name(opname) < 0 ? 2 : 0;
    }
    einc_tool_files_init((cli.no_sync ? EINC_SAVE_NO_SYNC : 0u) | (cli.break_links ? EINC_SAVE_BREAK_LINKS : 0u));
    /* solve, matches, check, reduce, ...: 0.3's functions already, or the same in 0.3 and 0.4 */
    if (einc_tool_extra_has(opname)) return einc_tool_extra_main(&cli);
    int op = einc_op_from_name(opname);
    if (op < 0) {
        unknown_operation(opname);
        return 1;
    }
    if (cli.npos < 2) {
        fprintf(stderr, "ValueError: missing the expression\n%s", usage_text);
        return 2;
    }
    const char *expr = cli.pos[1];
    const char *ins[MAX_ARGS];
    const char *const *outs = cli.outs;
    int nin = 0, nout = cli.nout;
    bool explain = cli.explain, keepdims = false;
    einc_op_options options;
    memset(&options, 0, sizeof options);
    char constraint_text[4096] = "";
    size_t ctl = 0;
    for (int i = 2; i < cli.npos; i++) {
        const char *a = cli.pos[i];
        if (strncmp(a, "keepdims=", 9) == 0) {
            const char *v = a + 9;
            if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "1") == 0) keepdims = true;
            else if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "0") == 0) keepdims = false;
            else return fprintf(stderr, "ValueError: keepdims must be true or false, got '%s'\n", v), 1;
            if (op < EINC_OP_SUM || op > EINC_OP_LOGSUMEXP)
                return fprintf(stderr, "ValueError: keepdims is an option of reductions, not of %s\n", opname), 1;
        } else if (op == EINC_OP_ROLL && strncmp(a, "shift=", 6) == 0) {
            if (!parse_shift(a + 6, &options)) return 1;
        } else if (strchr(a, '=') && (isalpha((unsigned char)a[0]) || a[0] == '_')) {
            size_t len = strlen(a);
            if (ctl + len + 3 >= sizeof constraint_text)
                return fprintf(stderr, "ValueError: constraints are too long\n"), 1;
            if (ctl) {
                memcpy(constraint_text + ctl, "; ", 2);
                ctl += 2;
            }
            memcpy(constraint_text + ctl, a, len + 1);
            ctl += len;
        } else {
            if (nin == MAX_ARGS) return fprintf(stderr, "ValueError: too many inputs\n"), 1;
            ins[nin++] = a;
        }
    }
    for (int o = 0; o < nout; o++)
        if (explain && strcmp(outs[o], "-") == 0)
            return fprintf(stderr, "ValueError: --explain and -o - would both write to standard output\n"), 1;

    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) return fprintf(stderr, "MemoryError: cannot create a context\n"), 1;
    /* constraints: each argument parsed on its own, so "ds=2,2" is one tuple */
    einc_axis axes[MAX_ARGS];
    char names[4096];
    int naxes = 0;
    size_t used = 0;
    for (char *save = NULL, *tok = strtok_r(constraint_text, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        int n = 0;
        if (einc_axes_parse(ctx, tok, axes + naxes, MAX_ARGS - naxes, &n, names + used, sizeof names - used) != EINC_OK)
            return fail(ctx);
        for (int k = 0; k < n; k++) used += strlen(axes[naxes + k].name) + 1;
        naxes += n;
    }
    einc_tensor *inputs[MAX_ARGS];
    for (int i = 0; i < nin; i++) {
        if (is_number(ins[i])) {
            bool integral = strspn(ins[i], "+-0123456789") == strlen(ins[i]);
            inputs[i] = einc_tensor_scalar(ctx, integral ? EINC_INT64 : EINC_FLOAT64, strtod(ins[i], NULL));
        } else {
            inputs[i] = einc_tool_load(ctx, ins[i]);
        }
        if (!inputs[i]) return fail(ctx);
    }
    options.keepdims = keepdims;
    einc_options03 o03; /* --einx 0.3: rewritten into the 0.4 form by einc_apply03, then run like any operation */
    memset(&o03, 0, sizeof o03);
    o03.keepdims = options.keepdims;
    o03.nshift = options.nshift;
    memcpy(o03.shift, options.shift, sizeof o03.shift);
    if (explain) { /* with --einx 0.3: the plan of the 0.4 form it runs */
        char buf[16384];
        int64_t len =
            einx == 3 ? einc_explain03(ctx, opname, expr, nin, inputs, (einc_axes){naxes, axes}, &o03, buf, sizeof buf)
                      : einc_explain(ctx, (einc_op)op, expr, nin, inputs, (einc_axes){naxes, axes}, &options, buf,
                                     sizeof buf);
        if (len < 0) return fail(ctx);
        fputs(buf, stdout);
        if (nout == 0) return einc_tool_done(ctx, 0);
    }
    if (nout == 0) {
        fprintf(stderr, "ValueError: no output file given (use -o OUT.npy, one per output expression)\n");
        return einc_tool_done(ctx, 1);
    }
    einc_tensor *results[MAX_ARGS];
    einc_status st;
    if (einx == 3) {
        st = einc_apply03(ctx, opname, expr, nin, inputs, nout, results, (einc_axes){naxes, axes}, &o03);
    } else {
        st = einc_apply(ctx, (einc_op)op, expr, nin, inputs, nout, results, (einc_axes){naxes, axes}, &options);
    }
    if (st != EINC_OK) return fail(ctx);
    /* all-or-nothing: every regular output is written and synced under a temporary name first,
     * then the streams (standard output, devices, FIFOs) in place, and only when all of them
     * succeeded are the temporaries renamed into place, so a failing output replaces no file (not
     * an existing one, not an input named as an output: inputs are already in memory) */
    if (einc_tool_write(ctx, nout, outs, results) != EINC_OK) return fail(ctx);
    return einc_tool_done(ctx, 0);
}
