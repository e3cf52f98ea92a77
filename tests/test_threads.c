/* test_threads.c — many contexts on many threads (issue 13 item 4), the program `make test-tsan`
 * runs under ThreadSanitizer.
 *
 * Contexts share nothing but process-wide read-mostly state (the CPU dispatch level, the default
 * GEMM backend, the signal-safe list of temporaries), so eight threads, each with its own context,
 * may run notation calls (plans built and cached concurrently, errors with carets), autograd
 * (forward and backward) and .npy I/O at once and must each get exactly their own results. The
 * second half runs a context's worker threads inside operations (threads > 1, tensors above the
 * threading threshold), several such contexts at once, and checks that the results are bitwise
 * those of one thread.
 *
 * Worker threads never call CHECK (its counters are not atomic): each records its failures in its
 * own job, and the main thread checks them after joining. */
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "test.h"

#define NTHREADS 8
#define ROUNDS 16

typedef struct {
    int id;
    pthread_barrier_t *start;
    int checks, failures;
    char first[512];
} job;

static void failed(job *j, int line, const char *what, const char *msg) {
    if (j->failures++ == 0)
        snprintf(j->first, sizeof j->first, "thread %d, line %d: %s%s%s", j->id, line, what, msg ? ": " : "",
                 msg ? msg : "");
}

#define EXPECT(j, ctx, cond)                                                                                           \
    do {                                                                                                               \
        (j)->checks++;                                                                                                 \
        if (!(cond)) failed((j), __LINE__, #cond, einc_errcode(ctx) != EINC_OK ? einc_errmsg(ctx) : NULL);             \
    } while (0)

/* x [2, 3, 4] float64, x[a, b, c] = (12a + 4b + c) * scale */
static einc_tensor *make_x(einc_ctx *ctx, double scale) {
    return einc_mul_scalar(
        ctx, einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 24, 1), EINC_SHAPE(2, 3, 4)), scale);
}

/* Notation calls: results checked against loops, plans particular to this thread and round (so
 * every round builds and caches new plans while the other threads do the same), an error whose
 * message must name this thread's own expression. */
static void notation_round(job *j, einc_ctx *ctx, int round) {
    double scale = 1.0 + j->id;
    einc_tensor *x = make_x(ctx, scale);
    EXPECT(j, ctx, x != NULL);
    if (!x) return;
    const int64_t ix3[3] = {1, 2, 3};
    /* a transposition (a view) and a merge (a copy) */
    einc_tensor *y = einc_id(ctx, "a b c -> c (a b)", x);
    EXPECT(j, ctx, y && einc_tensor_dim(y, 0) == 4 && einc_tensor_dim(y, 1) == 6);
    if (y) EXPECT(j, ctx, einc_tensor_get(y, (int64_t[]){3, 5}) == einc_tensor_get(x, ix3));
    /* a split whose constraint differs by thread and round: a plan nobody else has */
    int k = 1 + (j->id + round) % 3;
    einc_tensor *v = einc_tensor_arange(ctx, EINC_FLOAT64, 0, (double)(6 * k), 1);
    einc_tensor *split = einc_id(ctx, "(a k) -> k a", v, EINC_AXES({"k", k}));
    EXPECT(j, ctx, split && einc_tensor_dim(split, 0) == k && einc_tensor_dim(split, 1) == 6);
    if (split) EXPECT(j, ctx, einc_tensor_get(split, (int64_t[]){k - 1, 5}) == 5.0 * k + (k - 1));
    /* dot against w[c, n] = c + n */
    einc_tensor *w = einc_tensor_empty(ctx, EINC_FLOAT64, EINC_SHAPE(4, 5));
    for (int64_t c = 0; w && c < 4; c++)
        for (int64_t n = 0; n < 5; n++) einc_tensor_set(w, (int64_t[]){c, n}, (double)(c + n));
    einc_tensor *d = einc_dot(ctx, "a b c, c n -> b n a", x, w);
    EXPECT(j, ctx, d && einc_tensor_dim(d, 0) == 3 && einc_tensor_dim(d, 1) == 5 && einc_tensor_dim(d, 2) == 2);
    for (int64_t a = 0; d && a < 2; a++)
        for (int64_t b = 0; b < 3; b++)
            for (int64_t n = 0; n < 5; n++) {
                double want = 0;
                for (int64_t c = 0; c < 4; c++) want += (double)(12 * a + 4 * b + c) * scale * (double)(c + n);
                EXPECT(j, ctx, einc_tensor_get(d, (int64_t[]){b, n, a}) == want);
            }
    /* softmax over c: each row sums to 1, and its ratios are exp of the differences */
    einc_tensor *s = einc_softmax(ctx, "a b [c]", x);
    einc_tensor *rows = einc_sum(ctx, "a b [c]", s);
    EXPECT(j, ctx, s && rows);
    for (int64_t a = 0; rows && a < 2; a++)
        for (int64_t b = 0; b < 3; b++) EXPECT(j, ctx, fabs(einc_tensor_get(rows, (int64_t[]){a, b}) - 1.0) < 1e-12);
    if (s)
        EXPECT(j, ctx,
               fabs(einc_tensor_get(s, (int64_t[]){1, 2, 3}) / einc_tensor_get(s, (int64_t[]){1, 2, 2}) - exp(scale)) <
                   1e-9 * exp(scale));
    /* the array form with two outputs */
    einc_tensor *outs[2] = {NULL, NULL};
    einc_status st = einc_apply(ctx, EINC_OP_ID, "a b (p + q) -> a b p, q a b", 1, (einc_tensor *[]){x}, 2, outs,
                                EINC_AXES({"p", 1}), NULL);
    EXPECT(j, ctx, st == EINC_OK && outs[0] && outs[1]);
    if (outs[1])
        EXPECT(j, ctx,
               einc_tensor_dim(outs[1], 0) == 3 &&
                   einc_tensor_get(outs[1], (int64_t[]){2, 1, 2}) == einc_tensor_get(x, ix3));
    /* an error naming this thread's expression, and nobody else's */
    char expr[64], axis[16];
    snprintf(axis, sizeof axis, "t%dr%d", j->id, round);
    snprintf(expr, sizeof expr, "a b c -> a b %s", axis);
    EXPECT(j, ctx, einc_id(ctx, expr, x) == NULL);
    EXPECT(j, ctx, einc_errcode(ctx) != EINC_OK && strstr(einc_errmsg(ctx), expr) != NULL);
    einc_clear_error(ctx);
}

/* Forward and backward: loss = sum(x w) + sum(x * x), so dL/dx[a, b] = sum_n w[b, n] + 2 x[a, b]
 * and dL/dw[b, n] = sum_a x[a, b]; float64 with small integers, so the values are exact. */
static void autograd_round(job *j, einc_ctx *ctx) {
    einc_tensor *x = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 12, 1), EINC_SHAPE(3, 4));
    x = einc_tensor_clone(ctx, einc_mul_scalar(ctx, x, (double)(j->id + 1)));
    einc_tensor *w = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 20, 1), EINC_SHAPE(4, 5));
    w = einc_tensor_clone(ctx, w);
    EXPECT(j, ctx, x && w && einc_requires_grad(x, true) == EINC_OK && einc_requires_grad(w, true) == EINC_OK);
    einc_tensor *xw = einc_dot(ctx, "a b, b n -> a n", x, w);
    einc_tensor *xx = einc_multiply(ctx, "a b, a b -> a b", x, x);
    einc_tensor *loss = einc_tensor_add(ctx, einc_sum(ctx, "[a n]", xw), einc_sum(ctx, "[a b]", xx));
    EXPECT(j, ctx, loss && einc_backward(ctx, loss, NULL) == EINC_OK);
    einc_tensor *gx = einc_grad(ctx, x), *gw = einc_grad(ctx, w);
    EXPECT(j, ctx, gx && gw);
    for (int64_t a = 0; gx && a < 3; a++)
        for (int64_t b = 0; b < 4; b++) {
            double want = (double)(2 * (4 * a + b)) * (double)(j->id + 1);
            for (int64_t n = 0; n < 5; n++) want += (double)(5 * b + n);
            EXPECT(j, ctx, einc_tensor_get(gx, (int64_t[]){a, b}) == want);
        }
    for (int64_t b = 0; gw && b < 4; b++)
        for (int64_t n = 0; n < 5; n++)
            EXPECT(j, ctx, einc_tensor_get(gw, (int64_t[]){b, n}) == (double)((0 + 4 + 8 + 3 * b) * (j->id + 1)));
}

/* .npy I/O: a file of this thread's own, saved (temporary, fsync, rename), loaded back (copying
 * and mapped), compared, removed; and the in-memory forms. */
static void io_round(job *j, einc_ctx *ctx, int round) {
    char path[1024];
    snprintf(path, sizeof path, "%s/threads_%d_%d.npy", EINC_TEST_TMP, (int)getpid(), j->id);
    einc_tensor *t = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 60, 1), EINC_SHAPE(3, 4, 5));
    t = einc_add_scalar(ctx, t, 1000.0 * j->id + round);
    EXPECT(j, ctx, t && einc_npy_save(ctx, path, t) == EINC_OK);
    einc_tensor *back = einc_npy_load(ctx, path), *mapped = einc_npy_load_mapped(ctx, path);
    EXPECT(j, ctx, back && mapped && einc_tensor_numel(back) == 60 && einc_tensor_numel(mapped) == 60);
    if (t && back && mapped) {
        const float *p = einc_tensor_data(t), *q = einc_tensor_data(back), *r = einc_tensor_data(mapped);
        EXPECT(j, ctx, memcmp(p, q, 60 * sizeof(float)) == 0 && memcmp(p, r, 60 * sizeof(float)) == 0);
        EXPECT(j, ctx, q[59] == (float)(59 + 1000 * j->id + round));
    }
    void *buf = NULL;
    size_t size = 0;
    EXPECT(j, ctx, einc_npy_save_buffer(ctx, t, &buf, &size) == EINC_OK);
    einc_tensor *fromb = einc_npy_load_buffer(ctx, buf, size);
    EXPECT(j, ctx, fromb && einc_tensor_get(fromb, (int64_t[]){2, 3, 4}) == 59.0 + 1000.0 * j->id + round);
    einc_buffer_free(ctx, buf, size);
    EXPECT(j, ctx, remove(path) == 0);
}

static void *run_job(void *arg) {
    job *j = arg;
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1, .seed = (uint64_t)j->id});
    if (!ctx) {
        j->failures++;
        return NULL;
    }
    pthread_barrier_wait(j->start);
    for (int round = 0; round < ROUNDS; round++) {
        EXPECT(j, ctx, einc_scope_begin(ctx) == EINC_OK);
        notation_round(j, ctx, round);
        autograd_round(j, ctx);
        io_round(j, ctx, round);
        EXPECT(j, ctx, einc_errcode(ctx) == EINC_OK);
        EXPECT(j, ctx, einc_scope_end(ctx) == EINC_OK);
    }
    einc_memory_stats ms;
    einc_memory_stats_get(ctx, &ms);
    EXPECT(j, ctx, ms.live_tensors == 0);
    einc_ctx_destroy(ctx);
    return NULL;
}

static void check_jobs(job *jobs, int n) {
    for (int i = 0; i < n; i++) {
        if (jobs[i].failures)
            fprintf(stderr, "%d of %d checks failed; first: %s\n", jobs[i].failures, jobs[i].checks, jobs[i].first);
        CHECK_EQ_INT(jobs[i].failures, 0);
        CHECK(jobs[i].checks > 50 * ROUNDS);
    }
}

/* Files of this test left in the test directory: neither a destination (each round removes its
 * own) nor a save's temporary (named after its destination) may remain. */
static int temporaries_left(void) {
    DIR *d = opendir(EINC_TEST_TMP);
    if (!d) return -1;
    char mine[64];
    snprintf(mine, sizeof mine, "threads_%d_", (int)getpid());
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, mine, strlen(mine)) == 0) n++;
    closedir(d);
    return n;
}

TEST(eight_contexts_on_eight_threads) {
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    job jobs[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].id = i;
        jobs[i].start = &start;
        CHECK_EQ_INT(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    check_jobs(jobs, NTHREADS);
    CHECK_EQ_INT(temporaries_left(), 0);
}

/* ---- worker threads inside operations ------------------------------------------------------- */

/* The number of threads of this process (Linux: /proc/self/task), or -1. */
static int process_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* The big computation, every family that splits its work: elementwise (exp is costly enough to
 * split), a reduction, softmax, a strided copy, GEMM, and a backward pass through them. Stores
 * the results' sums and a few elements in out[0..NOUT). */
#define NOUT 12
static bool big_computation(einc_ctx *ctx, double *out) {
    /* einc's GEMM, whatever the build's default: CBLAS may differ in the last bits by threads */
    if (einc_set_gemm_backend(ctx, EINC_GEMM_EINC) != EINC_OK || einc_scope_begin(ctx) != EINC_OK) return false;
    einc_seed(ctx, 7);
    einc_tensor *x = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(512, 2048)); /* 1 Mi elements */
    einc_tensor *w = einc_tensor_randn(ctx, EINC_FLOAT32, EINC_SHAPE(2048, 32));
    einc_requires_grad(x, true);
    einc_requires_grad(w, true);
    einc_tensor *e = einc_tensor_unary(ctx, EINC_EXP, einc_mul_scalar(ctx, x, 0.25));
    einc_tensor *s = einc_softmax(ctx, "a [b]", x);
    einc_tensor *r = einc_sum(ctx, "[a] b", e);
    einc_tensor *tr = einc_id(ctx, "a b -> (b a)", x); /* a transposing copy */
    einc_tensor *xw = einc_dot(ctx, "a b, b n -> a n", s, w);
    einc_tensor *loss = einc_sum(ctx, "[a n]", einc_multiply(ctx, "a n, a n -> a n", xw, xw));
    bool ok = e && s && r && tr && xw && loss && einc_backward(ctx, loss, NULL) == EINC_OK;
    einc_tensor *gx = ok ? einc_grad(ctx, x) : NULL, *gw = ok ? einc_grad(ctx, w) : NULL;
    ok = ok && gx && gw;
    if (ok) {
        einc_tensor *parts[6] = {e, s, r, tr, xw, gx};
        for (int i = 0; i < 6; i++) out[i] = einc_tensor_item(einc_sum(ctx, "[...]", parts[i]));
        out[6] = einc_tensor_item(einc_sum(ctx, "[...]", gw));
        out[7] = einc_tensor_item(loss);
        out[8] = einc_tensor_get(tr, (int64_t[]){2048 * 512 - 3});
        out[9] = einc_tensor_get(gx, (int64_t[]){511, 2047});
        out[10] = einc_tensor_get(gw, (int64_t[]){1000, 20});
        out[11] = einc_tensor_get(xw, (int64_t[]){300, 20});
    }
    ok = ok && einc_errcode(ctx) == EINC_OK;
    return einc_scope_end(ctx) == EINC_OK && ok;
}

typedef struct {
    int threads;
    const double *want;
    pthread_barrier_t *start;
    int mismatches;
    bool ok;
    char err[256];
} team_job;

static void *run_team_job(void *arg) {
    team_job *t = arg;
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = t->threads});
    pthread_barrier_wait(t->start);
    t->ok = ctx != NULL;
    for (int rep = 0; t->ok && rep < 2; rep++) {
        double got[NOUT];
        t->ok = big_computation(ctx, got);
        for (int i = 0; t->ok && i < NOUT; i++) t->mismatches += memcmp(&got[i], &t->want[i], sizeof got[i]) != 0;
        /* a changed thread count restarts the context's workers between operations */
        einc_set_threads(ctx, t->threads == 2 ? 3 : 2);
    }
    if (!t->ok && ctx) snprintf(t->err, sizeof t->err, "%s", einc_errmsg(ctx));
    einc_ctx_destroy(ctx); /* joins its workers */
    return NULL;
}

TEST(workers_inside_operations) {
    /* the reference: one thread */
    einc_ctx *one = einc_ctx_create_with(&(einc_ctx_options){.threads = 1});
    double want[NOUT];
    int before = process_threads();
    CHECK(big_computation(one, want));
    CHECK_EQ_INT(process_threads(), before); /* one thread starts no worker */
    einc_ctx_destroy(one);

    /* three threads on this thread: its two workers run (the work was split), bitwise the same */
    einc_ctx *three = einc_ctx_create_with(&(einc_ctx_options){.threads = 3});
    double got[NOUT];
    CHECK(big_computation(three, got));
    for (int i = 0; i < NOUT; i++) CHECK(memcmp(&got[i], &want[i], sizeof got[i]) == 0);
    if (before > 0) CHECK_EQ_INT(process_threads(), before + 2);
    einc_ctx_destroy(three);
    if (before > 0) CHECK_EQ_INT(process_threads(), before); /* joined */

    /* four application threads, each with a context of 2 or 3 threads, at once */
    enum { NJOBS = 4 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NJOBS);
    team_job jobs[NJOBS];
    pthread_t th[NJOBS];
    for (int i = 0; i < NJOBS; i++) {
        jobs[i] = (team_job){2 + i % 2, want, &start, 0, false, ""};
        CHECK_EQ_INT(pthread_create(&th[i], NULL, run_team_job, &jobs[i]), 0);
    }
    for (int i = 0; i < NJOBS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < NJOBS; i++) {
        if (!jobs[i].ok) fprintf(stderr, "team job %d failed: %s\n", i, jobs[i].err);
        CHECK(jobs[i].ok);
        CHECK_EQ_INT(jobs[i].mismatches, 0);
    }
    if (before > 0) CHECK_EQ_INT(process_threads(), before);
}

int main(void) {
    RUN(eight_contexts_on_eight_threads);
    RUN(workers_inside_operations);
    return test_summary();
}
