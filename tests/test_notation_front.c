/* Front end of the notation: parsing, ellipsis expansion, group merging, axis solving, and the
 * error classes/messages of spec §4.3 (expected texts come from the spec, verified against einx). */
#include "notation/notation.h"
#include "test.h"

static einc_ctx *ctx;

/* Resolves `text` for tensors of the given shapes ("10 5" per tensor, "" = 0-d, "?" = unknown)
 * and constraints ("a=2 b=3,4"). Writes "OK <in0> -> <out0> | name=size ..." or "<Class>: message"
 * into out. */
static void run(const char *text, const char *shapes, const char *constraints, char *out, size_t cap) {
    einc__arena a;
    einc__arena_init(&a, ctx);
    int ndims[8];
    int64_t shp[8][EINC_MAX_DIMS];
    const int64_t *shp_ptr[8];
    int nt = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", shapes);
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        ndims[nt] = 0;
        if (strchr(tok, '?')) ndims[nt] = -1;
        else if (strcmp(tok, "_") == 0) ndims[nt] = 0;
        else
            for (char *s2 = NULL, *d = strtok_r(tok, " ", &s2); d; d = strtok_r(NULL, " ", &s2))
                shp[nt][ndims[nt]++] = atoll(d);
        shp_ptr[nt] = shp[nt];
        nt++;
    }
    if (strcmp(shapes, "-") == 0) nt = 0;
    einc__constraint cons[8];
    int nc = 0;
    char cbuf[256];
    snprintf(cbuf, sizeof cbuf, "%s", constraints);
    for (char *save = NULL, *tok = strtok_r(cbuf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        cons[nc].name = tok;
        cons[nc].n = 0;
        cons[nc].is_tuple = strchr(eq + 1, ',') != NULL || strcmp(eq + 1, "()") == 0;
        if (strcmp(eq + 1, "()") != 0)
            for (char *s2 = NULL, *v = strtok_r(eq + 1, ",", &s2); v; v = strtok_r(NULL, ",", &s2))
                cons[nc].values[cons[nc].n++] = atoll(v);
        nc++;
    }
    einc__call call = {text, nt, ndims, shp_ptr, nc, cons};
    einc__desc d;
    einc__expr e;
    einc__sb sb;
    einc__sb_init(&sb, out, cap);
    int ranks[8];
    for (int i = 0; i < 8; i++) ranks[i] = i < nt ? ndims[i] : -1;
    /* the stages as einc__front_run runs them for a plan (without an operation's rules) */
    if (einc__parse(&a, text, &d) && d.ninputs <= 8 && einc__expand(&a, &d, ranks, &call, &e) && einc__cse(&e, true) &&
        einc__solve(&e)) {
        einc__sb_printf(&sb, "OK");
        for (int i = 0; i < e.ninputs; i++) {
            einc__sb_printf(&sb, i ? ", " : " ");
            einc__node_print(&sb, e.in[i]);
        }
        if (d.has_arrow) einc__sb_printf(&sb, " ->");
        for (int i = 0; i < e.noutputs; i++) {
            einc__sb_printf(&sb, i ? ", " : " ");
            einc__node_print(&sb, e.out[i]);
        }
        einc__sb_printf(&sb, " |");
        for (int i = 0; i < e.nsyms; i++)
            if (e.syms[i].size >= 0 && strncmp(e.syms[i].name, "unnamed", 7) != 0)
                einc__sb_printf(&sb, " %s=%lld", e.syms[i].name, (long long)e.syms[i].size);
    } else {
        einc__sb_printf(&sb, "%s: %s", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
        einc_clear_error(ctx);
    }
    einc__arena_free(&a);
}

#define EXPECT(text, shapes, cons, expected)                                                                           \
    do {                                                                                                               \
        char got_[8192];                                                                                               \
        run(text, shapes, cons, got_, sizeof got_);                                                                    \
        if (strcmp(got_, expected) != 0) {                                                                             \
            fprintf(stderr, "%s:%d: \"%s\"\n  expected: %s\n  got:      %s\n", __FILE__, __LINE__, text, expected,     \
                    got_);                                                                                             \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
    } while (0)

#define EXPECT_PREFIX(text, shapes, cons, expected)                                                                    \
    do {                                                                                                               \
        char got_[8192];                                                                                               \
        run(text, shapes, cons, got_, sizeof got_);                                                                    \
        if (strncmp(got_, expected, strlen(expected)) != 0) {                                                          \
            fprintf(stderr, "%s:%d: \"%s\"\n  expected prefix: %s\n  got:             %s\n", __FILE__, __LINE__, text, \
                    expected, got_);                                                                                   \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
    } while (0)

TEST(parses_and_solves_simple) {
    EXPECT("a b -> b a", "10 5", "", "OK a b -> b a | a=10 b=5");
    EXPECT("  a   b  ->  b a  ", "10 5", "", "OK a b -> b a | a=10 b=5");
    EXPECT("a b->b a", "10 5", "", "OK a b -> b a | a=10 b=5");
    EXPECT("a b c -> a (b c)", "2 3 4", "", "OK a b c -> a (b c) | a=2 b=3 c=4");
    EXPECT("(a b) c -> a b c", "10 5", "a=2", "OK (a b) c -> a b c | a=2 b=5 c=5");
    EXPECT("(a a) -> a", "16", "", "OK (a a) -> a | a=4");
    EXPECT("b (h w) c -> c (h w) b", "2 12 3", "", "OK b (cse.0) c -> c (cse.0) b | b=2 c=3 cse.0=12");
    EXPECT("(a + b) c -> a c, b c", "10 5", "a=3", "OK (a + b) c -> a c, b c | a=3 b=7 c=5");
    EXPECT("a 1 b", "3 1 4", "", "OK a 1 b | a=3 b=4");
}

TEST(ellipses) {
    EXPECT("... (qkv nh dh) H W -> qkv ... nh (H W) dh", "2 48 8 8", "qkv=3 nh=4 dh=4",
           "OK ...0 (qkv nh dh) H W -> qkv ...0 nh (H W) dh | ...0=2 qkv=3 nh=4 dh=4 H=8 W=8");
    EXPECT("b... c -> c b...", "7", "", "OK c -> c | c=7");
    EXPECT("s..., s... -> s...", "2 3;2 3", "", "OK s.0 s.1, s.0 s.1 -> s.0 s.1 | s.0=2 s.1=3");
    EXPECT("a..., b... -> a... b...", "2;3 4", "", "OK a.0, b.0 b.1 -> a.0 b.0 b.1 | a.0=2 b.0=3 b.1=4");
    EXPECT("b (s [ds])... c", "2 8 9 3", "ds=2,3",
           "OK b (s.0 [ds.0]) (s.1 [ds.1]) c | b=2 s.0=4 ds.0=2 s.1=3 ds.1=3 c=3");
    EXPECT("a -> a b...", "5", "b=2,3", "OK a -> a b.0 b.1 | a=5 b.0=2 b.1=3");
    EXPECT("a b... -> a b... c", "5", "b=() c=2", "OK a -> a c | a=5 c=2");
    EXPECT("... ->", "_", "", "OK  ->  |");
}

TEST(syntax_errors) {
    EXPECT("a (b -> b a", "10 5", "",
           "SyntaxError: Found an opening parenthesis that is not closed:\nExpression: \"a (b -> b a\"\n               "
           "^        ");
    EXPECT("a b) -> b a", "10 5", "",
           "SyntaxError: Found a closing parenthesis that is not opened:\nExpression: \"a b) -> b a\"\n                "
           "^       ");
    EXPECT("a b -> b a -> a b", "10 5", "",
           "SyntaxError: The expression must not contain more than one '->' operator.\nExpression: \"a b -> b a -> a "
           "b\"\n                 ^^     ^^    ");
    EXPECT_PREFIX("a$ b -> b a", "10 5", "",
                  "SyntaxError: The expression 'a$' is not allowed:\nExpression: \"a$ b -> b a\"\n             ^^      "
                  "   \nThe following expressions are allowed:\n- Literals: -> + , [ ] ( ) ... whitespace\n");
    EXPECT("a b+c -> a b c", "10 5", "",
           "SyntaxError: Only named axes, unnamed axes, and flattened axes are allowed as operands of a concatenation "
           "operator ('+').\nExpression: \"a b+c -> a b c\"\n             ^^^^          ");
    EXPECT("a [b] -> a b", "10 5", "",
           "SyntaxError: There are multiple occurrences of axis b with inconsistent bracket usage:\nExpression: \"a "
           "[b] -> a b\"\n               ^^^      ^\nAn axis may only appear with brackets or without brackets, but "
           "not both.");
    EXPECT_PREFIX("a......", "1", "",
                  "SyntaxError: The expression 'a......' is not valid. Are you maybe missing a whitespace?");
    EXPECT_PREFIX("a ...b", "1 1", "",
                  "SyntaxError: The expression '...b' is not valid. Are you maybe missing a whitespace?");
    EXPECT_PREFIX("a | b", "1 1", "", "SyntaxError: The operator '|'");
    EXPECT_PREFIX("a\tb", "1", "", "SyntaxError: The expression 'a\tb' is not allowed:");
    EXPECT_PREFIX("a + b", "1", "", "SyntaxError: Concatenated axes must be wrapped in parentheses.");
    EXPECT_PREFIX("[a -> b] -> c", "1", "",
                  "SyntaxError: The expression must not contain more than one '->' operator.");
}

TEST(normalisation) {
    EXPECT("a [b -> c]", "2 3", "c=4", "OK a [b] -> a [c] | a=2 b=3 c=4");
    EXPECT("b p [i,->]", "2 5 7;2 5", "", "OK b p [i], b p -> b p | b=2 p=5 i=7");
    EXPECT("b p [i,,->i]", "2 5 7;2 5;2 5", "", "OK b p [i], b p, b p -> b p [i] | b=2 p=5 i=7");
    EXPECT("b [h w] c, b p [1, 1] -> b p c", "2 3 4 5;2 6 1;2 6 1", "",
           "OK b [h w] c, b p [1], b p [1] -> b p c | b=2 h=3 w=4 c=5 p=6");
    EXPECT("b [c1->c2]", "2 3", "c2=4", "OK b [c1] -> b [c2] | b=2 c1=3 c2=4");
}

TEST(rank_and_axis_errors) {
    EXPECT("(a b) c -> a b c", "10 5", "",
           "AxisSizeError: Failed to uniquely determine the size of the axes a, b. Please provide more "
           "constraints.\nExpression: \"(a b) c -> a b c\"\n              ^ ^       ^ ^  \nThe expression, tensor "
           "shapes and contraints resulted in the following equation(s):\n    (a b) c = 10 5\nThe operation was called "
           "with the following arguments:\n  - Positional argument #1: Tensor with shape (10, 5)");
    EXPECT("a b -> b a", "10 5", "a=11",
           "AxisSizeError: Failed to determine the size of all axes in the expression under the given "
           "constraints.\nExpression: \"a b -> b a\"\n                       \nThe expression, tensor shapes and "
           "contraints resulted in the following equation(s):\n    a b = 10 5\n    a = 11\nThe operation was called "
           "with the following arguments:\n  - Positional argument #1: Tensor with shape (10, 5)\n  - Keyword argument "
           "'a': 11");
    EXPECT_PREFIX(
        "a -> a b", "3", "",
        "AxisSizeError: Failed to uniquely determine the size of the axis b. Please provide more constraints.");
    EXPECT("a b c -> a c b", "10 5", "",
           "RankError: The number of tensor dimensions and axes in the expression does not match.\nThe following "
           "equation(s) were determined for the expression:\n    a b c = 10 5\nThe operation was called with the "
           "following arguments:\n  - Positional argument #1: Tensor with shape (10, 5)");
    EXPECT("s..., s... -> s...", "10 5;2 3 4", "",
           "RankError: Failed to find an expansion of ellipses in the expression such that the number of dimensions "
           "matches all given constraints.\nExpression: \"s..., s... -> s...\"\n              ^^^   ^^^     ^^^\nThe "
           "following equation(s) were determined for the expression:\n    s... = 10 5\n    s... = 2 3 4\nThe "
           "operation was called with the following arguments:\n  - Positional argument #1: Tensor with shape (10, "
           "5)\n  - Positional argument #2: Tensor with shape (2, 3, 4)");
    EXPECT_PREFIX("a b..., c -> a b", "2 3 4;10 5", "",
                  "RankError: Found an invalid usage of ellipses and/or constraints for the axis b:\nExpression: \"a "
                  "b..., c -> a b\"\n               ^            ^\nPlease check the following:\n - Each axis name may "
                  "be used either with or without an ellipsis, but not both.\n");
    EXPECT_PREFIX("a... b... -> b... a...", "2 3 4", "",
                  "RankError: Failed to uniquely determine the expansion of ellipses in the expression. Please provide "
                  "more constraints.");
    EXPECT_PREFIX("a b -> a b", "10 5", "a=2,3",
                  "RankError: Found an invalid usage of ellipses and/or constraints for the axis a:");
    EXPECT_PREFIX("1 ->", "2", "", "AxisSizeError: Failed to determine the size of all axes");
    EXPECT_PREFIX("(a a)", "10", "", "AxisSizeError: Failed to determine the size of all axes");
    EXPECT_PREFIX("b (h w) c -> c h w b", "2 12 3", "",
                  "AxisSizeError: Failed to uniquely determine the size of the axes h, w.");
    EXPECT_PREFIX("(a b) -> (b a)", "12", "", "AxisSizeError: Failed to uniquely determine the size of the axes a, b.");
    EXPECT_PREFIX("a [b]", "2 0", "", "AxisSizeError: Failed to determine the size of all axes");
    EXPECT("a b -> b a", "10 5", "zz=5", "OK a b -> b a | a=10 b=5");
}

int main(void) {
    ctx = einc_ctx_create();
    RUN(parses_and_solves_simple);
    RUN(ellipses);
    RUN(syntax_errors);
    RUN(normalisation);
    RUN(rank_and_axis_errors);
    einc_ctx_destroy(ctx);
    return test_summary();
}
