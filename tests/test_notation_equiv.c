/* Equivalences of the notation: groups of calls that must give the same result on the same
 * data — different spellings of one operation (bracket placement, implicit and explicit outputs
 * and brackets, ellipses, nested '->' and ',', flattened and unflattened inputs, reordered
 * operands) — plus round trips of `id` and a few results computed by hand.
 *
 * Both sides are einc's own results, so the truth is the identity itself (spec §1-§3 says these
 * spellings mean the same operation). A group's first call is its reference; every other call must
 * match it in shape and dtype and within 1e-9 (float64 data; float32 and exact results bitwise). */
#include "test.h"

static einc_ctx *ctx;

/* One spelling. `inputs` says where each operand comes from, ';'-separated:
 *   "0"               the group's base tensor #0 as it is
 *   "0:2 12 5"        base #0 viewed with another shape (same elements, row-major)
 *   "1=b c -> c b"    base #1 rearranged by einc_id (constraints from `tf_axes`)
 * `out_tf` (may be NULL) rearranges the result before the comparison. */
typedef struct {
    const char *op, *expr, *axes, *inputs, *out_tf, *tf_axes;
} spelling;

typedef struct {
    const char *name;
    einc_dtype dtype;
    const char *base; /* shapes of the base tensors, ';'-separated */
    spelling s[12];   /* ends at op == NULL */
} group;

/* Deterministic values in [0.5, 1.5) (products stay small, logs defined, no ties). */
static einc_tensor *base_tensor(einc_dtype dtype, const char *shape, int slot) {
    int64_t dims[EINC_MAX_DIMS];
    int nd = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", shape);
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && nd < EINC_MAX_DIMS; t = strtok_r(NULL, " ", &save))
        dims[nd++] = atoll(t);
    einc_tensor *x = einc_tensor_empty(ctx, dtype, nd, dims);
    if (!x) return NULL;
    int64_t n = einc_tensor_numel(x);
    uint64_t s = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(slot + 1);
    for (int64_t i = 0; i < n; i++) {
        s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        double v = 0.5 + (double)(s >> 11) / 9007199254740992.0;
        if (dtype == EINC_FLOAT32) ((float *)einc_tensor_data(x))[i] = (float)v;
        else ((double *)einc_tensor_data(x))[i] = v;
    }
    return x;
}

/* Parses constraint text ("" = none) into `ax` (names stored in `names`). */
static einc_axes parse_axes(const char *text, einc_axis *ax, int cap, char *names, size_t names_size) {
    int n = 0;
    if (text && *text && einc_axes_parse(ctx, text, ax, cap, &n, names, names_size) != EINC_OK) return EINC_NO_AXES;
    return (einc_axes){n, ax};
}

/* The operand described by `spec` (see `spelling`). */
static einc_tensor *operand(einc_tensor *const *base, const char *spec, const char *tf_axes) {
    int slot = spec[0] - '0';
    einc_tensor *b = base[slot];
    if (spec[1] == ':') {
        int64_t dims[EINC_MAX_DIMS];
        int nd = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", spec + 2);
        for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && nd < EINC_MAX_DIMS; t = strtok_r(NULL, " ", &save))
            dims[nd++] = atoll(t);
        return einc_tensor_view(ctx, b, nd, dims);
    }
    if (spec[1] == '=') {
        einc_axis ax[16];
        char names[256];
        return einc_id(ctx, spec + 2, b, parse_axes(tf_axes, ax, 16, names, sizeof names));
    }
    return b;
}

static einc_tensor *run_spelling(einc_tensor *const *base, const spelling *sp) {
    einc_tensor *in[8];
    int n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sp->inputs);
    for (char *save = NULL, *t = strtok_r(buf, ";", &save); t && n < 8; t = strtok_r(NULL, ";", &save))
        in[n++] = operand(base, t, sp->tf_axes);
    einc_axis ax[16];
    char names[256];
    einc_axes axes = parse_axes(sp->axes, ax, 16, names, sizeof names);
    int op = einc_op_from_name(sp->op);
    einc_tensor *out = NULL;
    if (op < 0 || einc_apply(ctx, (einc_op)op, sp->expr, n, in, 1, &out, axes, NULL) != EINC_OK) return NULL;
    if (sp->out_tf) {
        einc_axis tax[16];
        char tnames[256];
        out = einc_id(ctx, sp->out_tf, out, parse_axes(sp->tf_axes, tax, 16, tnames, sizeof tnames));
    }
    return out;
}

static void check_group(const group *g) {
    einc_scope_begin(ctx);
    einc_tensor *base[4] = {NULL, NULL, NULL, NULL};
    int nb = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", g->base);
    for (char *save = NULL, *t = strtok_r(buf, ";", &save); t && nb < 4; t = strtok_r(NULL, ";", &save), nb++)
        base[nb] = base_tensor(g->dtype, t, nb);
    einc_tensor *ref = run_spelling(base, &g->s[0]);
    if (!ref) {
        fprintf(stderr, "group %s: reference %s(\"%s\") failed: %s\n", g->name, g->s[0].op, g->s[0].expr,
                einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    }
    for (int i = 1; ref && g->s[i].op; i++) {
        const spelling *sp = &g->s[i];
        einc_tensor *got = run_spelling(base, sp);
        if (!got) {
            fprintf(stderr, "group %s: %s(\"%s\")%s%s%s failed: %s: %s\n", g->name, sp->op, sp->expr,
                    sp->out_tf ? " then id(\"" : "", sp->out_tf ? sp->out_tf : "", sp->out_tf ? "\")" : "",
                    einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            test_failed_checks_++;
            einc_clear_error(ctx);
            continue;
        }
        if (!test_tensors_close_(__FILE__, __LINE__, got, ref, 1e-9, 1e-9, 1))
            fprintf(stderr, "  group %s: %s(\"%s\") differs from %s(\"%s\")\n", g->name, sp->op, sp->expr, g->s[0].op,
                    g->s[0].expr);
    }
    einc_scope_end(ctx);
}

/* ---- the tables ---------------------------------------------------------------------------- */

static const group groups[] = {
    /* id: flattening written with and without ellipses, extra parentheses, constraints that restate sizes */
    {"id_flatten",
     EINC_FLOAT32,
     "2 3 4",
     {{"id", "a b c -> (a b) c", "", "0", NULL, NULL},
      {"id", "a b ... -> (a b) ...", "", "0", NULL, NULL},
      {"id", "a ... c -> (a ...) c", "", "0", NULL, NULL},
      {"id", "a b c -> ((a b)) c", "", "0", NULL, NULL},
      {"id", "a b c -> (a b) (c)", "", "0", NULL, NULL},
      {"id", "(a) b c -> (a b) c", "", "0", NULL, NULL},
      {"id", "a b c -> (a b) c", "a=2, c=4", "0", NULL, NULL},
      {"rearrange", "a b c->(a b) c", "", "0", NULL, NULL},
      {"id", "  a   b c  ->  (a  b)  c ", "", "0", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    /* id: a transpose, by names, by ellipsis, via an unflattened view, and with the CSE group */
    {"id_transpose",
     EINC_FLOAT32,
     "2 12 3",
     {{"id", "b (h w) c -> c (h w) b", "", "0", NULL, NULL},
      {"id", "b (h w) c -> c (h w) b", "h=3", "0", NULL, NULL},
      {"id", "b x c -> c x b", "", "0", NULL, NULL},
      {"id", "b h w c -> c (h w) b", "", "0:2 3 4 3", NULL, NULL},
      {"id", "b ... c -> c ... b", "", "0", NULL, NULL},
      {"id", "b h w c -> c h w b", "", "0:2 3 4 3", "c h w b -> c (h w) b", NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    /* id: squeezing and unsqueezing length-1 axes, named or unnamed */
    {"id_squeeze",
     EINC_FLOAT32,
     "3 1 4",
     {{"id", "a 1 c -> c a", "", "0", NULL, NULL},
      {"id", "a b c -> c a", "", "0", NULL, NULL},
      {"id", "a () c -> c a", "", "0", NULL, NULL},
      {"id", "a b c -> c a", "b=1", "0", NULL, NULL},
      {"id", "a c -> c a", "", "0:3 4", NULL, NULL},
      {"id", "a c -> c 1 a 1", "", "0:3 4", "c x a y -> c a", NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    /* id: multi-input concatenation, its operands written in either order */
    {"id_concat",
     EINC_FLOAT32,
     "2 3;2 4",
     {{"id", "a b, a c -> a (b + c)", "", "0;1", NULL, NULL},
      {"id", "b a, a c -> a (b + c)", "", "0=a b -> b a;1", NULL, NULL},
      {"id", "a b, a c -> (b + c) a", "", "0;1", "x a -> a x", NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},

    /* sum: one bracket group or several, flattened inside or outside the brackets, implicit and
     * explicit output and brackets, ellipses, nested brackets, '->' inside brackets */
    {"sum_brackets",
     EINC_FLOAT64,
     "2 3 4 5",
     {{"sum", "b [h w] c", "", "0", NULL, NULL},
      {"sum", "b [h] [w] c", "", "0", NULL, NULL},
      {"sum", "b h w c -> b c", "", "0", NULL, NULL},
      {"sum", "b [h w] c -> b c", "", "0", NULL, NULL},
      {"sum", "b [(h w)] c", "", "0:2 12 5", NULL, NULL},
      /* the implicit output of "b ([h w]) c" keeps "()" (spec §2.7); engine bug D: einc returns
       * shape (2, 12, 5) with uninitialised rows */
      {"sum", "b ([h w]) c", "h=3", "0:2 12 5", "b 1 c -> b c", NULL},
      {"sum", "b [...] c", "", "0", NULL, NULL},
      {"sum", "b [h [w]] c", "", "0", NULL, NULL},
      {"sum", "b [h w ->] c", "", "0", NULL, NULL},
      {"sum", "b [h]... c", "", "0", NULL, NULL}, /* engine bug D */
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"sum_everything",
     EINC_FLOAT64,
     "3 4",
     {{"sum", "[a b]", "", "0", NULL, NULL},
      {"sum", "[a [b]]", "", "0", NULL, NULL},
      {"sum", "[[a]] [b]", "", "0", NULL, NULL},
      {"sum", "[...]", "", "0", NULL, NULL},
      {"sum", "a b ->", "", "0", NULL, NULL},
      {"sum", "[a b] -> ", "", "0", NULL, NULL},
      {"sum", "[x]", "", "0:12", NULL, NULL},
      {"sum", "[(a b)]", "", "0:12", NULL, NULL},
      {"sum", "[b a]", "", "0=a b -> b a", NULL, NULL},
      {"sum", "[c]...", "", "0", NULL, NULL}, /* engine bug D: the brackets stay in the output */
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    /* reductions: output order, kept length-1 axes, grouped axes */
    {"sum_layout",
     EINC_FLOAT64,
     "2 3 4",
     {{"sum", "a [b] c", "", "0", NULL, NULL},
      {"sum", "a [b] c -> c a", "", "0", "c a -> a c", NULL},
      {"sum", "a b c -> a 1 c", "", "0", "a 1 c -> a c", NULL},
      {"sum", "a ([b]) c", "", "0", "a 1 c -> a c", NULL}, /* engine bug D (see sum_brackets) */
      {"sum", "a [b] c", "", "0=a b c -> c b a", "c a -> a c", NULL},
      {"sum", "... [b] c", "", "0", NULL, NULL},
      {"sum", "(a [b]) c", "a=2", "0:6 4", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    /* pooling: groups of the flattened axis, strided and blocked */
    {"sum_pool",
     EINC_FLOAT64,
     "2 12",
     {{"sum", "a (b [c])", "c=3", "0", NULL, NULL},
      {"sum", "a b c -> a b", "", "0:2 4 3", NULL, NULL},
      {"sum", "a (b [c])", "b=4", "0", NULL, NULL},
      {"sum", "a ([c] b) -> a b", "c=3", "0=a (b c) -> a (c b)", NULL, "c=3"},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},

    /* dot: implicit brackets, explicit brackets, operand order, transposed operands, ellipses */
    {"dot_matmul",
     EINC_FLOAT64,
     "3 4;4 5",
     {{"dot", "a b, b c -> a c", "", "0;1", NULL, NULL},
      {"dot", "a [b], [b] c -> a c", "", "0;1", NULL, NULL},
      {"dot", "b c, a b -> a c", "", "1;0", NULL, NULL},
      {"dot", "a [b], c [b] -> a c", "", "0;1=b c -> c b", NULL, NULL},
      {"dot", "[b] a, [b] c -> a c", "", "0=a b -> b a;1", NULL, NULL},
      {"dot", "a b, b c -> c a", "", "0;1", "c a -> a c", NULL},
      {"dot", "... b, b c -> ... c", "", "0;1", NULL, NULL},
      {"dot", "a (b), (b) c -> a c", "", "0;1", NULL, NULL},
      {"dot", "a (b1 b2), (b1 b2) c -> a c", "b1=2", "0;1", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    /* dot: batched, with ',' inside the brackets ("a [b, b] -> a" is "a [b], a [b] -> a") */
    {"dot_batched_inner",
     EINC_FLOAT64,
     "3 4;3 4",
     {{"dot", "a b, a b -> a", "", "0;1", NULL, NULL},
      {"dot", "a [b], a [b] -> a", "", "0;1", NULL, NULL},
      {"dot", "a [b, b] -> a", "", "0;1", NULL, NULL},
      {"dot", "a [b], a [b] -> a", "", "1;0", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"dot_attention",
     EINC_FLOAT64,
     "2 3 5 4;2 3 6 4",
     {{"dot", "... N dh, ... M dh -> ... N M", "", "0;1", NULL, NULL},
      {"dot", "b h N dh, b h M dh -> b h N M", "", "0;1", NULL, NULL},
      {"dot", "b h N [dh], b h M [dh] -> b h N M", "", "0;1", NULL, NULL},
      {"dot", "(b h) N dh, (b h) M dh -> (b h) N M", "b=2", "0:6 5 4;1:6 6 4", "(b h) N M -> b h N M", "b=2"},
      {"dot", "b h M dh, b h N dh -> b h N M", "", "1;0", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"dot_grouped",
     EINC_FLOAT64,
     "2 6;3 5",
     {{"dot", "b (g c1), c1 c2 -> b (g c2)", "g=2", "0;1", NULL, NULL},
      {"dot", "b g c1, c1 c2 -> b g c2", "", "0:2 2 3;1", "b g c2 -> b (g c2)", NULL},
      {"dot", "b (g [c1]), [c1] c2 -> b (g c2)", "g=2", "0;1", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},

    /* softmax / log_softmax: implicit output, explicit output, '->' in the brackets, flattened
     * bracket groups, permuted vectorized axes */
    {"softmax",
     EINC_FLOAT64,
     "2 3 4 5",
     {{"softmax", "b [h w] c", "", "0", NULL, NULL},
      {"softmax", "b [h w] c -> b [h w] c", "", "0", NULL, NULL},
      {"softmax", "b [h w -> h w] c", "", "0", NULL, NULL},
      {"softmax", "b [(h w)] c", "", "0:2 12 5", "b (h w) c -> b h w c", "h=3"},
      {"softmax", "b [h w] c -> c b [h w]", "", "0", "c b h w -> b h w c", NULL},
      {"softmax", "... [h w] c", "", "0", NULL, NULL},
      {"softmax", "c b [h w]", "", "0=b h w c -> c b h w", "c b h w -> b h w c", NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"log_softmax",
     EINC_FLOAT64,
     "3 4",
     {{"log_softmax", "a [b]", "", "0", NULL, NULL},
      {"log_softmax", "a [b] -> a [b]", "", "0", NULL, NULL},
      {"log_softmax", "[b] a", "", "0=a b -> b a", "b a -> a b", NULL},
      {"log_softmax", "... [b]", "", "0", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},

    /* elementwise: reordered operands, implicit outputs, broadcasting by name */
    {"add_broadcast",
     EINC_FLOAT64,
     "3 4;4",
     {{"add", "a b, b -> a b", "", "0;1", NULL, NULL},
      {"add", "b, a b -> a b", "", "1;0", NULL, NULL},
      {"add", "a b, b", "", "0;1", NULL, NULL},
      {"add", "b, a b", "", "1;0", NULL, NULL},
      {"add", "a b, b -> b a", "", "0;1", "b a -> a b", NULL},
      {"add", "b a, b -> a b", "", "0=a b -> b a;1", NULL, NULL},
      {"add", "a b, 1 b -> a b", "", "0;1:1 4", NULL, NULL},
      {"add", "... b, b", "", "0;1", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"multiply_flattened",
     EINC_FLOAT64,
     "2 6;6",
     {{"multiply", "a (b c), (b c) -> a (b c)", "", "0;1", NULL, NULL},
      {"multiply", "a x, x", "", "0;1", NULL, NULL},
      {"multiply", "a b c, b c -> a (b c)", "", "0:2 2 3;1:2 3", NULL, NULL},
      {"multiply", "(b c), a (b c)", "", "1;0", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"maximum_commutes",
     EINC_FLOAT32,
     "3 4;4 3",
     {{"maximum", "a b, b a -> a b", "", "0;1", NULL, NULL},
      {"maximum", "b a, a b -> a b", "", "1;0", NULL, NULL},
      {"maximum", "a b, a b", "", "0;1=b a -> a b", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
    {"subtract_layout",
     EINC_FLOAT64,
     "3 4;3",
     {{"subtract", "a b, a -> a b", "", "0;1", NULL, NULL},
      {"subtract", "a b, a -> b a", "", "0;1", "b a -> a b", NULL},
      {"subtract", "b a, a -> a b", "", "0=a b -> b a;1", NULL, NULL},
      {"subtract", "a b, a", "", "0;1", NULL, NULL},
      {NULL, NULL, NULL, NULL, NULL, NULL}}},
};

TEST(equivalent_spellings) {
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) check_group(&groups[i]);
}

/* Every reduction: the spellings of one reduction agree for each reduction operation. */
TEST(equivalent_spellings_every_reduction) {
    static const char *const ops[] = {"sum", "mean",      "var",           "std", "prod", "max",
                                      "min", "logsumexp", "count_nonzero", "any", "all"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        group g = {ops[i],
                   EINC_FLOAT64,
                   "2 3 4 5",
                   {{ops[i], "b [h w] c", "", "0", NULL, NULL},
                    {ops[i], "b [h] [w] c", "", "0", NULL, NULL},
                    {ops[i], "b h w c -> b c", "", "0", NULL, NULL},
                    {ops[i], "b [(h w)] c", "", "0:2 12 5", NULL, NULL},
                    {ops[i], "b [h w] c -> c b", "", "0", "c b -> b c", NULL},
                    {ops[i], "c b [w h]", "", "0=b h w c -> c b w h", "c b -> b c", NULL},
                    {ops[i], "b [h w ->] c", "", "0", NULL, NULL},
                    {NULL, NULL, NULL, NULL, NULL, NULL}}};
        check_group(&g);
    }
}

/* id there and back is the identity, bit for bit (float32; also int64 and bool). */
TEST(id_round_trips) {
    static const struct {
        const char *there, *back, *axes;
    } trips[] = {
        {"a b c -> c (a b)", "c (a b) -> a b c", "a=2"},
        {"a b c -> (c a) b", "(c a) b -> a b c", "c=4"},
        {"a b c -> b 1 (c a) 1", "b 1 (c a) 1 -> a b c", "c=4"},
        {"a b c -> a b c", "a b c -> a b c", ""},
        {"... c -> c ...", "c ... -> ... c", ""},
        {"a (b1 b2) c -> b2 c a b1", "b2 c a b1 -> a (b1 b2) c", "b1=1"},
        {"(a b) c d -> a b c d", "a b c d -> (a b) c d", "a=1"},
    };
    einc_dtype dtypes[3] = {EINC_FLOAT32, EINC_INT64, EINC_BOOL};
    for (int d = 0; d < 3; d++)
        for (size_t i = 0; i < sizeof trips / sizeof trips[0]; i++) {
            einc_scope_begin(ctx);
            /* bool: all true but the first element */
            einc_tensor *x = einc_tensor_cast(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 24, 1), dtypes[d]);
            x = einc_tensor_view(ctx, x, EINC_SHAPE(2, 3, 4));
            einc_axis ax[4];
            char names[64];
            einc_axes axes = parse_axes(trips[i].axes, ax, 4, names, sizeof names);
            einc_tensor *y = einc_id(ctx, trips[i].back, einc_id(ctx, trips[i].there, x, axes), axes);
            CHECK_OK(ctx);
            if (!CHECK_TENSOR_CLOSE(y, x, 0, 0))
                fprintf(stderr, "  round trip \"%s\" / \"%s\"\n", trips[i].there, trips[i].back);
            einc_scope_end(ctx);
        }
    /* split and concatenate */
    einc_scope_begin(ctx);
    einc_tensor *x = base_tensor(EINC_FLOAT32, "3 7", 0);
    einc_tensor *parts[3] = {NULL, NULL, NULL}, *back = NULL;
    CHECK(einc_apply(ctx, EINC_OP_ID, "b (q + k + v) -> b q, b k, b v", 1, &x, 3, parts, EINC_AXES({"q", 2}, {"k", 4}),
                     NULL) == EINC_OK);
    CHECK(einc_apply(ctx, EINC_OP_ID, "b q, b k, b v -> b (q + k + v)", 3, parts, 1, &back, EINC_NO_AXES, NULL) ==
          EINC_OK);
    CHECK_TENSOR_CLOSE(back, x, 0, 0);
    /* the pieces as slices */
    CHECK_TENSOR_CLOSE(parts[1], einc_tensor_narrow(ctx, x, 1, 2, 4), 0, 0);
    /* concatenating the two halves of a transpose, then splitting it again */
    einc_tensor *halves[2] = {NULL, NULL}, *whole = NULL;
    CHECK(einc_apply(ctx, EINC_OP_ID, "(a + b) c -> c a, c b", 1, &x, 2, halves, EINC_AXES({"a", 1}), NULL) == EINC_OK);
    CHECK(einc_apply(ctx, EINC_OP_ID, "c a, c b -> (a + b) c", 2, halves, 1, &whole, EINC_NO_AXES, NULL) == EINC_OK);
    CHECK_TENSOR_CLOSE(whole, x, 0, 0);
    einc_scope_end(ctx);
}

/* Inputs that are not contiguous, broadcast (stride 0) or reversed (negative strides) give the same
 * results as their contiguous copies. */
TEST(strided_inputs_agree_with_contiguous_copies) {
    static const struct {
        const char *op, *expr;
    } calls[] = {
        {"id", "a b -> b a"},       {"id", "a b -> (b a)"}, {"sum", "a [b]"},    {"sum", "[a] b"},
        {"dot", "a b, b c -> a c"}, {"softmax", "a [b]"},   {"add", "a b, a b"}, {"max", "a b -> b"},
    };
    einc_scope_begin(ctx);
    einc_tensor *x = base_tensor(EINC_FLOAT64, "4 6", 0);
    einc_tensor *views[3] = {
        einc_tensor_transpose(ctx, base_tensor(EINC_FLOAT64, "6 4", 1), 0, 1),          /* transposed */
        einc_tensor_flip(ctx, x, EINC_DIMS(0, 1)),                                      /* negative */
        einc_tensor_expand(ctx, einc_tensor_narrow(ctx, x, 0, 1, 1), EINC_SHAPE(4, 6)), /* broadcast */
    };
    for (int v = 0; v < 3; v++) {
        einc_tensor *c = einc_tensor_contiguous(ctx, views[v]);
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            int op = einc_op_from_name(calls[i].op);
            int n = strcmp(calls[i].op, "dot") == 0 || strcmp(calls[i].op, "add") == 0 ? 2 : 1;
            einc_tensor *w = einc_id(ctx, "a b -> b a", x);
            einc_tensor *in_v[2] = {views[v], n == 2 && strcmp(calls[i].op, "dot") == 0 ? w : views[v]};
            einc_tensor *in_c[2] = {c, in_v[1] == w ? w : c};
            einc_tensor *rv = NULL, *rc = NULL;
            einc_apply(ctx, (einc_op)op, calls[i].expr, n, in_v, 1, &rv, EINC_NO_AXES, NULL);
            einc_apply(ctx, (einc_op)op, calls[i].expr, n, in_c, 1, &rc, EINC_NO_AXES, NULL);
            CHECK_OK(ctx);
            if (!CHECK_TENSOR_CLOSE(rv, rc, 1e-12, 1e-12))
                fprintf(stderr, "  %s(\"%s\") on view #%d\n", calls[i].op, calls[i].expr, v);
        }
    }
    einc_scope_end(ctx);
}

/* A few results by hand. */
TEST(hand_computed_values) {
    einc_scope_begin(ctx);
    /* x = [[0 1 2] [3 4 5]] */
    einc_tensor *x = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 6, 1), EINC_SHAPE(2, 3));
    einc_tensor *s = einc_sum(ctx, "a [b]", x);
    CHECK(s && einc_tensor_ndim(s) == 1);
    CHECK_CLOSE(einc_tensor_get(s, (const int64_t[]){0}), 3, 0);
    CHECK_CLOSE(einc_tensor_get(s, (const int64_t[]){1}), 12, 0);
    einc_tensor *c = einc_sum(ctx, "[a] b", x);
    CHECK_CLOSE(einc_tensor_get(c, (const int64_t[]){2}), 7, 0);
    CHECK_CLOSE(einc_tensor_item(einc_sum(ctx, "[a b]", x)), 15, 0);
    CHECK_CLOSE(einc_tensor_item(einc_prod(ctx, "[a b]", einc_add_scalar(ctx, x, 1))), 720, 0);
    CHECK_CLOSE(einc_tensor_get(einc_mean(ctx, "a [b]", x), (const int64_t[]){1}), 4, 0);
    CHECK_CLOSE(einc_tensor_get(einc_var(ctx, "a [b]", x), (const int64_t[]){0}), 2.0 / 3.0, 1e-15);
    CHECK_CLOSE(einc_tensor_get(einc_max(ctx, "[a] b", x), (const int64_t[]){0}), 3, 0);
    CHECK_CLOSE(einc_tensor_item(einc_count_nonzero(ctx, "[a b]", x)), 5, 0);
    /* x x^T = [[5 14] [14 50]] */
    einc_tensor *g = einc_dot(ctx, "a b, c b -> a c", x, x);
    CHECK_CLOSE(einc_tensor_get(g, (const int64_t[]){0, 0}), 5, 0);
    CHECK_CLOSE(einc_tensor_get(g, (const int64_t[]){0, 1}), 14, 0);
    CHECK_CLOSE(einc_tensor_get(g, (const int64_t[]){1, 1}), 50, 0);
    /* softmax of [0, log 3] is [1/4, 3/4]; log_softmax of it is [-log 4, log 3 - log 4] */
    einc_tensor *z = einc_tensor_from_data(ctx, EINC_FLOAT64, EINC_SHAPE(2), (const double[]){0, log(3.0)});
    einc_tensor *p = einc_softmax(ctx, "[a]", z), *lp = einc_log_softmax(ctx, "[a]", z);
    CHECK_CLOSE(einc_tensor_get(p, (const int64_t[]){0}), 0.25, 1e-15);
    CHECK_CLOSE(einc_tensor_get(p, (const int64_t[]){1}), 0.75, 1e-15);
    CHECK_CLOSE(einc_tensor_get(lp, (const int64_t[]){0}), -log(4.0), 1e-15);
    CHECK_CLOSE(einc_tensor_item(einc_logsumexp(ctx, "[a]", z)), log(4.0), 1e-15);
    /* a diagonal: [[0 1 2] [3 4 5] [6 7 8]] -> [0 4 8] */
    einc_tensor *sq = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 9, 1), EINC_SHAPE(3, 3));
    einc_tensor *d = einc_id(ctx, "a a -> a", sq);
    CHECK_CLOSE(einc_tensor_get(d, (const int64_t[]){2}), 8, 0);
    CHECK_CLOSE(einc_tensor_item(einc_sum(ctx, "[a]", d)), 12, 0);
    /* "sum('[a a] b -> b')" sums the whole block; the trace is a dot with the diagonal */
    CHECK_CLOSE(einc_tensor_item(einc_sum(ctx, "[a a]", sq)), 36, 0);
    /* sum without brackets and arrow is the identity; softmax of it is all ones */
    CHECK_TENSOR_CLOSE(einc_sum(ctx, "a b", x), x, 0, 0);
    CHECK_CLOSE(einc_tensor_get(einc_softmax(ctx, "a b", x), (const int64_t[]){1, 2}), 1, 0);
    /* a broadcast of a scalar: "-> a..." with a=(2, 3) */
    einc_tensor *k = einc_tensor_scalar(ctx, EINC_FLOAT64, 2.5);
    einc_tensor *b = einc_id(ctx, "-> a...", k, EINC_AXES({"a", 2}, {"a", 3}));
    CHECK(b && einc_tensor_ndim(b) == 2 && einc_tensor_dim(b, 1) == 3);
    CHECK_CLOSE(einc_tensor_get(b, (const int64_t[]){1, 2}), 2.5, 0);
    /* a scalar operand: "a b, -> a b" */
    CHECK_CLOSE(einc_tensor_get(einc_add(ctx, "a b, -> a b", x, k), (const int64_t[]){1, 1}), 6.5, 0);
    /* the square-root solve: "(a a) -> a" on 16 elements */
    einc_tensor *r = einc_id(ctx, "(a a) -> a", einc_tensor_arange(ctx, EINC_FLOAT64, 0, 16, 1));
    CHECK(r && einc_tensor_dim(r, 0) == 4);
    CHECK_CLOSE(einc_tensor_get(r, (const int64_t[]){3}), 15, 0);
    CHECK_OK(ctx);
    einc_scope_end(ctx);
}

int main(void) {
    ctx = einc_ctx_create();
    RUN(equivalent_spellings);
    RUN(equivalent_spellings_every_reduction);
    RUN(id_round_trips);
    RUN(strided_inputs_agree_with_contiguous_copies);
    RUN(hand_computed_values);
    einc_ctx_destroy(ctx);
    return test_summary();
}
