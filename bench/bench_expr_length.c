/* bench_expr_length.c — how the notation front end scales with the length of the expression.
 *
 * A service that evaluates user-written expressions must answer a hostile one quickly: einc
 * promises that any expression up to the 100,000-character limit is accepted or rejected in well
 * under 50 ms (issue 13). Each shape below is built at several lengths and compiled once on a
 * fresh context (so nothing comes from the plan cache); the table shows the best of a few runs
 * in milliseconds, the result (OK or the error's status) and the growth factor from the previous
 * length (about 10 for linear work, 100 for quadratic).
 *
 *   build/bench_expr_length              lengths 1,000 / 10,000 / 100,000 characters
 *   BENCH_MAX=10000 build/bench_expr_length   stop at 10,000 (for slow builds)
 *   BENCH_REPS=5 build/bench_expr_length      best of 5 instead of 3
 *   BENCH_ONLY=2 build/bench_expr_length      only the third shape (for a profiler)
 */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "einc.h"

typedef struct {
    char *buf;
    size_t len, cap;
} text;

static void put(text *t, const char *s) {
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) return;
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

/* Appends `piece` (formatted with the index) until the text would pass `target` characters. */
static void repeat(text *t, size_t target, const char *fmt) {
    char piece[64];
    for (int i = 0;; i++) {
        int n = snprintf(piece, sizeof piece, fmt, i);
        if (t->len + (size_t)n + 16 > target) return;
        put(t, piece);
    }
}

typedef struct {
    const char *name;
    einc_op op;
    int ninputs; /* tensors passed: each (2, 3, 4) */
    void (*build)(text *t, size_t target);
} shape;

static void b_ones(text *t, size_t n) {
    put(t, "a b c -> a b c");
    repeat(t, n, " 1");
}
static void b_inputs(text *t, size_t n) {
    put(t, "a b c");
    repeat(t, n, ", a b c");
}
static void b_concat(text *t, size_t n) {
    put(t, "a b (c + d");
    repeat(t, n, " + 1");
    put(t, ")");
}
static void b_names(text *t, size_t n) {
    put(t, "a b (c");
    repeat(t, n / 2, " x%d");
    put(t, ") -> a b (c");
    repeat(t, n, " x%d");
    put(t, ")");
}
static void b_group(text *t, size_t n) {
    put(t, "a b (c");
    repeat(t, n / 2, " 1");
    put(t, ") -> (c");
    repeat(t, n, " 1");
    put(t, ") b a");
}
static void b_nested(text *t, size_t n) {
    put(t, "a b ");
    size_t depth = (n - 16) / 2;
    if (depth > 500) depth = 500; /* the parser's nesting limit is 512 */
    for (size_t i = 0; i < depth; i++) put(t, "(");
    put(t, "c");
    for (size_t i = 0; i < depth; i++) put(t, ")");
    repeat(t, n, " 1");
}
static void b_commas(text *t, size_t n) {
    put(t, "a b c -> a b (c");
    repeat(t, n, ", c");
    put(t, ")");
}
static void b_ellipsis(text *t, size_t n) {
    put(t, "a b c");
    repeat(t, n / 2, " x%d...");
    put(t, " -> a b c");
    repeat(t, n, " x%d...");
}
static void b_spaces(text *t, size_t n) {
    put(t, "a b c ->");
    while (t->len + 16 < n) put(t, " ");
    put(t, "c b a");
}
static void b_badword(text *t, size_t n) {
    put(t, "a b c -> ");
    repeat(t, n, "a%d ");
    put(t, "$");
}

static const shape shapes[] = {
    {"id \"a b c -> a b c 1 1 1 ...\"", EINC_OP_ID, 1, b_ones},
    {"id \"a b c, a b c, ...\"", EINC_OP_ID, 1, b_inputs},
    {"id \"a b (c + d + 1 + 1 ...)\"", EINC_OP_ID, 1, b_concat},
    {"id \"a b (c x0 x1 ...) -> a b (c x0 ...)\"", EINC_OP_ID, 1, b_names},
    {"id \"a b (c 1 1 ...) -> (c 1 1 ...) b a\"", EINC_OP_ID, 1, b_group},
    {"id \"a b ((((c)))) 1 1 ...\"", EINC_OP_ID, 1, b_nested},
    {"id \"a b c -> a b (c, c, c ...)\"", EINC_OP_ID, 1, b_commas},
    {"id \"a b c x0... x1... -> ...\"", EINC_OP_ID, 1, b_ellipsis},
    {"id \"a b c ->      ...      c b a\"", EINC_OP_ID, 1, b_spaces},
    {"id \"a b c -> a0 a1 ... $\" (bad word)", EINC_OP_ID, 1, b_badword},
};

/* One compile (and run) on a fresh context; returns seconds, *status the call's status. */
static double run_once(const shape *s, const char *expr, einc_status *status) {
    einc_ctx *ctx = einc_ctx_create();
    if (!ctx) {
        *status = EINC_ENOMEM;
        return 0;
    }
    einc_tensor *in[4];
    for (int i = 0; i < s->ninputs; i++) in[i] = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3, 4));
    einc_tensor *out[4] = {NULL, NULL, NULL, NULL};
    double t0 = bench_now();
    *status = einc_apply(ctx, s->op, expr, s->ninputs, in, 1, out, EINC_NO_AXES, NULL);
    double dt = bench_now() - t0;
    if (getenv("BENCH_SHOW") && *status != EINC_OK) printf("\n    %.300s\n", einc_errmsg(ctx));
    einc_ctx_destroy(ctx);
    return dt;
}

int main(void) {
    int reps = bench_reps(3);
    const char *m = getenv("BENCH_MAX");
    size_t max = m && atol(m) > 0 ? (size_t)atol(m) : 100000;
    static const size_t lengths[] = {1000, 10000, 100000};
    bench_header("bench_expr_length: compile time against the length of the expression", 1, NULL, NULL);
    printf("best of %d, fresh context per call (no plan cache); ms, status, growth from the previous length\n", reps);
    printf("%-44s", "shape");
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0] && lengths[k] <= max; k++)
        printf(" %9zu chars      ", lengths[k]);
    printf("\n");
    text t = {malloc(100001), 0, 100001};
    if (!t.buf) return 1;
    double worst = 0;
    const char *only = getenv("BENCH_ONLY"); /* one shape, by its index from 0 (for profiling) */
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (only && (size_t)atoi(only) != i) continue;
        printf("%-44s", shapes[i].name);
        double prev = 0;
        for (size_t k = 0; k < sizeof lengths / sizeof lengths[0] && lengths[k] <= max; k++) {
            t.len = 0;
            t.buf[0] = '\0';
            shapes[i].build(&t, lengths[k]);
            double best = 1e30;
            einc_status st = EINC_OK;
            for (int r = 0; r < reps; r++) {
                double dt = run_once(&shapes[i], t.buf, &st);
                if (dt < best) best = dt;
                if (dt > 2.0) break; /* a slow build: one run is enough */
            }
            const char *sname = st == EINC_OK ? "OK" : einc_status_name(st);
            if (strncmp(sname, "EINC_", 5) == 0) sname += 5;
            char growth[16] = "";
            if (prev > 0) snprintf(growth, sizeof growth, "x%.0f", best / prev);
            printf(" %9.3f %-6.6s %4s", best * 1e3, sname, growth);
            prev = best;
            if (lengths[k] == 100000 && best > worst) worst = best;
        }
        printf("\n");
        fflush(stdout);
    }
    if (max >= 100000) printf("slowest 100,000-character expression: %.2f ms (target < 50 ms)\n", worst * 1e3);
    free(t.buf);
    return 0;
}
