/* The notation front end does work linear in the length of the expression (issue 13): for each
 * shape of expression, at growing lengths, the context's step counter (node visits, hash probes,
 * comparisons, characters printed for comparison: einc_ctx.notation_steps, counted by parse,
 * expansion, CSE, solving and lowering) must grow like n or n log n, never like n^2. Nothing is
 * timed: the counts are the same on any machine and in any build. bench/bench_expr_length prints
 * the times. */
#include <stdarg.h>

#include "notation/notation.h"
#include "test.h"

#define MAXLEN 100000

typedef struct {
    char *buf;
    size_t len;
} text;

static void put(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->buf + t->len, MAXLEN + 1 - t->len, fmt, ap);
    va_end(ap);
    if (w > 0) t->len += (size_t)w;
}

/* Appends fmt (with its index) while the text stays under `target` characters (minus `keep`). */
static void repeat(text *t, size_t target, size_t keep, const char *fmt) {
    char piece[64];
    for (int i = 0;; i++) {
        int w = snprintf(piece, sizeof piece, fmt, i);
        if (t->len + (size_t)w + keep > target) return;
        put(t, "%s", piece);
    }
}

typedef void (*builder)(text *t, size_t n);

static void ones(text *t, size_t n) {
    put(t, "a b c -> a b c");
    repeat(t, n, 0, " 1");
}
static void inputs(text *t, size_t n) {
    put(t, "a b c");
    repeat(t, n, 0, ", a b c");
}
static void concat(text *t, size_t n) {
    put(t, "a b (c + d");
    repeat(t, n, 1, " + 1");
    put(t, ")");
}
static void group_same(text *t, size_t n) { /* accepted: the groups merge (CSE), c = 4 */
    size_t half = (n - 20) / 2;
    put(t, "a b (c");
    repeat(t, half, 1, " 1");
    size_t k = (t->len - 6) / 2;
    put(t, ") -> a b (c");
    for (size_t i = 0; i < k; i++) put(t, " 1");
    put(t, ")");
}
static void group_other(text *t, size_t n) {
    put(t, "a b (c");
    repeat(t, n / 2, 0, " 1");
    put(t, ") -> (c");
    repeat(t, n, 6, " 1");
    put(t, ") b a");
}
static void nested(text *t, size_t n) {
    put(t, "a b ");
    for (int i = 0; i < 200; i++) put(t, "(");
    put(t, "c");
    repeat(t, n, 201, " 1");
    for (int i = 0; i < 200; i++) put(t, ")");
}
static void commas(text *t, size_t n) {
    put(t, "a b c -> a b (c");
    repeat(t, n, 1, ", c");
    put(t, ")");
}
static void distributed(text *t, size_t n) { /* "x ... x (c, c, ...)": the context is copied per branch */
    put(t, "a b c -> ");
    repeat(t, n / 2, 0, "1 ");
    put(t, "(c");
    repeat(t, n, 1, ", c");
    put(t, ")");
}
static void ellipses(text *t, size_t n) {
    put(t, "a b c");
    repeat(t, n / 2, 0, " x%d...");
    put(t, " -> a b c");
    repeat(t, n, 0, " x%d...");
}
static void pairs(text *t, size_t n) { /* many parenthesised pairs: one merge each, then the bound */
    put(t, "a b (c");
    for (int i = 0; i < 250; i++) put(t, " (x%d y%d)", i, i);
    repeat(t, n / 2, 1, " 1");
    put(t, ") -> a b (c");
    for (int i = 0; i < 250; i++) put(t, " (x%d y%d)", i, i);
    repeat(t, n, 1, " 1");
    put(t, ")");
}
static void swapped(text *t, size_t n) { /* no run qualifies: neighbours differ everywhere */
    put(t, "a b (c");
    for (int i = 0; i < 240; i += 2) put(t, " x%d x%d", i, i + 1);
    repeat(t, n / 2, 1, " 1");
    put(t, ") -> a b (c");
    for (int i = 0; i < 240; i += 2) put(t, " x%d x%d", i + 1, i);
    repeat(t, n, 1, " 1");
    put(t, ")");
}
static void badword(text *t, size_t n) {
    put(t, "a b c -> ");
    repeat(t, n, 2, "a%d ");
    put(t, "$");
}

static const struct {
    const char *name;
    builder build;
} shapes[] = {
    {"a b c -> a b c 1 1 ...", ones},
    {"a b c, a b c, ...", inputs},
    {"a b (c + d + 1 ...)", concat},
    {"a b (c 1 1 ...) -> a b (c 1 1 ...)", group_same},
    {"a b (c 1 ...) -> (c 1 1 ...) b a", group_other},
    {"a b ((((c 1 1 ...))))", nested},
    {"a b c -> a b (c, c, ...)", commas},
    {"a b c -> 1 1 ... (c, c, ...)", distributed},
    {"a b c x0... -> a b c x0... x1...", ellipses},
    {"a b (c (x0 y0) ... 1 1 ...) -> ...", pairs},
    {"a b (c x0 x1 ...) -> a b (c x1 x0 ...)", swapped},
    {"a b c -> a0 a1 ... $", badword},
};

/* Steps einc_apply(id) takes on a fresh context (no cached plan); *status its result. */
static uint64_t steps_of(const char *expr, einc_status *status) {
    einc_ctx *c = einc_ctx_create();
    if (!c) return 0;
    einc_tensor *in[1] = {einc_tensor_zeros(c, EINC_FLOAT32, EINC_SHAPE(2, 3, 4))};
    einc_tensor *out[1] = {NULL};
    uint64_t before = c->notation_steps;
    *status = einc_apply(c, EINC_OP_ID, expr, 1, in, 1, out, EINC_NO_AXES, NULL);
    uint64_t steps = c->notation_steps - before;
    einc_ctx_destroy(c);
    return steps;
}

/* Linear: every count under a line a + b n (the CSE's work bound is 2,000,000 + 64 per node, so
 * a shape that reaches it costs up to that much at any length), and doubling the length at the
 * top at most 2.5 times the work (linear 2, n log n about 2.1, quadratic 4). */
#define STEPS_CONST 2500000.0
#define STEPS_PER_CHAR 150.0
#define MAX_DOUBLING 2.5

static bool grows_linearly(const uint64_t *steps, const size_t *n, int k) {
    for (int i = 0; i < k; i++)
        if ((double)steps[i] > STEPS_CONST + STEPS_PER_CHAR * (double)n[i]) return false;
    return (double)steps[k - 1] <= MAX_DOUBLING * (double)steps[k - 2];
}

TEST(work_grows_linearly_with_length) {
    static const size_t lengths[] = {6000, 12000, 24000, 48000, 96000};
    const int k = (int)(sizeof lengths / sizeof lengths[0]);
    text t = {malloc(MAXLEN + 1), 0};
    CHECK(t.buf != NULL);
    if (!t.buf) return;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        uint64_t steps[8];
        einc_status st[8];
        for (int i = 0; i < k; i++) {
            t.len = 0;
            t.buf[0] = '\0';
            shapes[s].build(&t, lengths[i]);
            CHECK(t.len <= lengths[i] && t.len >= lengths[i] / 2);
            steps[i] = steps_of(t.buf, &st[i]);
            /* the counter counts: at least a step per character */
            CHECK(steps[i] >= (uint64_t)t.len);
        }
        printf("  %-42s", shapes[s].name);
        for (int i = 0; i < k; i++) printf(" %10llu", (unsigned long long)steps[i]);
        printf("  %s\n", einc_status_name(st[k - 1]));
        if (!grows_linearly(steps, lengths, k)) {
            fprintf(stderr,
                    "  %s: not linear: %llu steps at %zu characters, %llu at %zu (x%.2f for twice the length)\n",
                    shapes[s].name, (unsigned long long)steps[k - 2], lengths[k - 2], (unsigned long long)steps[k - 1],
                    lengths[k - 1], (double)steps[k - 1] / (double)steps[k - 2]);
            CHECK(false);
        }
    }
    free(t.buf);
}

/* The check itself tells quadratic from linear growth. */
TEST(growth_check_detects_quadratic_work) {
    uint64_t linear[5], nlogn[5], quadratic[5], small_quadratic[5];
    size_t n[5];
    for (int i = 0; i < 5; i++) {
        n[i] = (size_t)6000 << i;
        double x = (double)n[i];
        linear[i] = (uint64_t)(40 * x + 5000);
        nlogn[i] = (uint64_t)(x * log2(x));
        quadratic[i] = (uint64_t)(x * x / 100);
        small_quadratic[i] = (uint64_t)(x * x / 100000); /* under the line, but it grows x4 */
    }
    CHECK(grows_linearly(linear, n, 5));
    CHECK(grows_linearly(nlogn, n, 5));
    CHECK(!grows_linearly(quadratic, n, 5));
    CHECK(!grows_linearly(small_quadratic, n, 5));
}

/* "(c (x0 y0) (x1 y1) ...) -> (c (x1 y1) (x0 y0) ...)": every pair merges, one pass each. */
static void swapped_groups(text *t, int k) {
    put(t, "a b (c");
    for (int i = 0; i < k; i++) put(t, " (x%d y%d)", i, i);
    put(t, ") -> a b (c");
    for (int i = 0; i < k; i += 2) put(t, " (x%d y%d) (x%d y%d)", i + 1, i + 1, i, i);
    put(t, ")");
}

static einc_tensor *run_id(einc_ctx *c, const char *expr) {
    einc_tensor *x = einc_tensor_zeros(c, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    return einc_id(c, expr, x, EINC_AXES({"c", 1}));
}

/* Groups still merge (the pruning keeps the results); an expression past the work bound of the
 * merging, or past the number of names, fails with a clear error. */
TEST(groups_merge_and_bounds_are_clear) {
    text t = {malloc(MAXLEN + 1), 0};
    CHECK(t.buf != NULL);
    if (!t.buf) return;
    static const size_t ok_lengths[] = {40, 300, 1000};
    for (size_t i = 0; i < sizeof ok_lengths / sizeof ok_lengths[0]; i++) {
        t.len = 0;
        group_same(&t, ok_lengths[i]);
        einc_ctx *c = einc_ctx_create();
        einc_tensor *x = einc_tensor_zeros(c, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
        einc_tensor *y = einc_id(c, t.buf, x);
        CHECK(y != NULL);
        if (!y) fprintf(stderr, "  %zu: %s: %.300s\n", t.len, einc_status_name(einc_errcode(c)), einc_errmsg(c));
        if (y) CHECK(einc_tensor_ndim(y) == 3 && einc_tensor_shape(y)[2] == 4);
        einc_ctx_destroy(c);
    }
    /* 16 pairs: 16 merges; x* and y* have length 1 (c = 1 makes the rest 4 / 4) */
    t.len = 0;
    swapped_groups(&t, 16);
    einc_ctx *c = einc_ctx_create();
    einc_tensor *y = run_id(c, t.buf);
    CHECK(y == NULL && einc_errcode(c) == EINC_EAXISSIZE); /* x_i, y_i themselves stay unknown */
    CHECK(strstr(einc_errmsg(c), "too complex") == NULL);
    einc_ctx_destroy(c);
    t.len = 0;
    swapped_groups(&t, 250);
    c = einc_ctx_create();
    CHECK(run_id(c, t.buf) == NULL);
    CHECK_EQ_INT(einc_errcode(c), EINC_EUNSUPPORTED);
    CHECK(strstr(einc_errmsg(c), "is too complex: merging its parenthesised groups") != NULL);
    einc_ctx_destroy(c);
    t.len = 0;
    group_same(&t, 96000);
    c = einc_ctx_create();
    CHECK(run_id(c, t.buf) == NULL);
    CHECK_EQ_INT(einc_errcode(c), EINC_EUNSUPPORTED);
    CHECK(strstr(einc_errmsg(c), "has more than 512 axis names") != NULL);
    einc_ctx_destroy(c);
    free(t.buf);
}

int main(void) {
    RUN(growth_check_detects_quadratic_work);
    RUN(work_grows_linearly_with_length);
    RUN(groups_merge_and_bounds_are_clear);
    return test_summary();
}
