/* test_parallel.c — the contract of einc__parallel / einc__parallel_chunks and the context's workers. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "test.h"

#define MAX_PIECES 64

/* Counts how often each ith ran and what nth every call saw. */
typedef struct {
    _Atomic int runs[MAX_PIECES];
    _Atomic int calls;
    _Atomic int bad; /* ith out of range, or nth changing within one region */
    _Atomic int nth_seen;
    _Atomic int on_workers; /* calls not on the calling thread */
    pthread_t caller;
    einc_ctx *ctx; /* for the nested region */
    _Atomic int nested_bad;
} tally;

static void tally_reset(tally *t, einc_ctx *ctx) {
    memset(t, 0, sizeof *t);
    t->caller = pthread_self();
    t->ctx = ctx;
}

static void count_task(void *arg, int ith, int nth) {
    tally *t = arg;
    if (ith < 0 || ith >= nth || nth > MAX_PIECES) {
        atomic_fetch_add(&t->bad, 1);
        return;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&t->nth_seen, &expected, nth) && expected != nth) atomic_fetch_add(&t->bad, 1);
    atomic_fetch_add(&t->runs[ith], 1);
    atomic_fetch_add(&t->calls, 1);
    if (!pthread_equal(pthread_self(), t->caller)) atomic_fetch_add(&t->on_workers, 1);
}

/* Every ith in [0, nth) exactly once. */
static bool each_once(tally *t) {
    int nth = atomic_load(&t->nth_seen);
    if (atomic_load(&t->bad) || nth < 1 || atomic_load(&t->calls) != nth) return false;
    for (int i = 0; i < nth; i++)
        if (atomic_load(&t->runs[i]) != 1) return false;
    return true;
}

TEST(static_split_is_one_piece_per_thread) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    tally t;
    tally_reset(&t, ctx);
    einc__parallel(ctx, EINC_PARALLEL_THRESHOLD, count_task, &t);
    CHECK(each_once(&t));
    CHECK_EQ_INT(atomic_load(&t.nth_seen), 2); /* per-worker scratch is sized by ctx->threads */
    /* below the threshold, or with one thread: one call (0, 1) on the caller */
    tally_reset(&t, ctx);
    einc__parallel(ctx, EINC_PARALLEL_THRESHOLD - 1, count_task, &t);
    CHECK(each_once(&t) && atomic_load(&t.nth_seen) == 1 && atomic_load(&t.on_workers) == 0);
    einc_set_threads(ctx, 1);
    tally_reset(&t, ctx);
    einc__parallel(ctx, (int64_t)1 << 40, count_task, &t);
    CHECK(each_once(&t) && atomic_load(&t.nth_seen) == 1);
    einc_ctx_destroy(ctx);
}

TEST(chunks_cover_every_piece_once) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    const int64_t works[] = {EINC_PARALLEL_THRESHOLD, 3 * EINC_PARALLEL_THRESHOLD, (int64_t)1 << 40};
    for (int w = 0; w < 3; w++) {
        tally t;
        tally_reset(&t, ctx);
        einc__parallel_chunks(ctx, works[w], count_task, &t);
        CHECK(each_once(&t));
        int nth = atomic_load(&t.nth_seen);
        CHECK(nth >= 2 && nth <= 16); /* between one and 8 pieces per thread */
    }
    tally t;
    tally_reset(&t, ctx);
    einc__parallel_chunks(ctx, EINC_PARALLEL_THRESHOLD / 2, count_task, &t);
    CHECK(each_once(&t) && atomic_load(&t.nth_seen) == 1);
    einc_ctx_destroy(ctx);
}

/* einc__worker_id: below the thread count, and never shared by two pieces running at once. */
typedef struct {
    _Atomic int busy[8];
    _Atomic int bad;
    int threads;
} worker_ids;

static void id_task(void *arg, int ith, int nth) {
    worker_ids *w = arg;
    (void)ith, (void)nth;
    int id = einc__worker_id();
    if (id < 0 || id >= w->threads) {
        atomic_fetch_add(&w->bad, 1);
        return;
    }
    if (atomic_exchange(&w->busy[id], 1)) atomic_fetch_add(&w->bad, 1);
    for (volatile int i = 0; i < 20000; i++) {
    }
    atomic_store(&w->busy[id], 0);
}

TEST(worker_ids_are_private) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 3});
    worker_ids w;
    memset(&w, 0, sizeof w);
    w.threads = 3;
    for (int r = 0; r < 50; r++) einc__parallel_chunks(ctx, (int64_t)1 << 30, id_task, &w);
    CHECK_EQ_INT(atomic_load(&w.bad), 0);
    CHECK_EQ_INT(einc__worker_id(), 0);
    einc_ctx_destroy(ctx);
}

/* Back-to-back regions with changing thread counts: no lost wake-up, no stale job. */
TEST(many_regions_and_thread_changes) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    int failures = 0, on_workers = 0;
    for (int r = 0; r < 3000; r++) {
        if (r == 1000) einc_set_threads(ctx, 3);
        if (r == 2000) einc_set_threads(ctx, 2);
        tally t;
        tally_reset(&t, ctx);
        if (r % 2) einc__parallel(ctx, EINC_PARALLEL_THRESHOLD, count_task, &t);
        else einc__parallel_chunks(ctx, (int64_t)1 << 30, count_task, &t);
        if (!each_once(&t)) failures++;
        on_workers += atomic_load(&t.on_workers);
    }
    CHECK_EQ_INT(failures, 0);
    /* not asserted: on a machine whose other cores are busy the caller may do everything */
    printf("  %d of the pieces ran on workers\n", on_workers);
    einc_ctx_destroy(ctx);
}

static void nested_task(void *arg, int ith, int nth) {
    tally *t = arg;
    (void)ith, (void)nth;
    tally inner;
    tally_reset(&inner, t->ctx);
    einc__parallel_chunks(t->ctx, (int64_t)1 << 30, count_task, &inner);
    if (!each_once(&inner) || atomic_load(&inner.nth_seen) != 1) atomic_fetch_add(&t->nested_bad, 1);
    count_task(arg, ith, nth);
}

/* The threshold's adaptation (einc_ctx.par, parallel.c). A region whose worker piece takes far
 * longer than the caller's raises the threshold past it: the next region of that work stays on
 * the caller, a bigger one still splits. Once the probe falls due, a region below the raised
 * threshold splits again; a prompt one restores the threshold, a lagging one raises it again
 * and doubles the backoff. */
typedef struct {
    _Atomic int on_worker; /* a worker has started its piece */
    int worker_ms, caller_ms;
} lag_arg;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The worker's piece takes worker_ms; the caller's waits (up to 2 s) for the worker to start its
 * piece, so that the two run side by side, then takes caller_ms. */
static void lag_task(void *arg, int ith, int nth) {
    lag_arg *a = arg;
    (void)ith, (void)nth;
    if (einc__worker_id() != 0) {
        atomic_store(&a->on_worker, 1);
        sleep_ms(a->worker_ms);
        return;
    }
    for (int i = 0; i < 2000 && !atomic_load(&a->on_worker); i++) sleep_ms(1);
    sleep_ms(a->caller_ms);
}

/* One region of `work` split in two pieces; false if no worker took a piece (skip the checks). */
static bool lag_region(einc_ctx *ctx, int64_t work, int worker_ms, int caller_ms) {
    lag_arg a = {0, worker_ms, caller_ms};
    CHECK_EQ_INT(einc__parallel_width(ctx, work), 2);
    einc__parallel(ctx, work, lag_task, &a);
    return atomic_load(&a.on_worker) != 0;
}

TEST(lagging_workers_raise_the_threshold) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    const int64_t work = 4 * EINC_PARALLEL_THRESHOLD;
    tally t;
    tally_reset(&t, ctx);
    einc__parallel(ctx, work, count_task, &t); /* starts the workers (that region is not judged) */
    if (!lag_region(ctx, work, 40, 2)) {
        printf("  skipped: no worker started within 2 s\n");
        einc_ctx_destroy(ctx);
        return;
    }
    CHECK(ctx->par.min_work >= 2 * work); /* lagged: raised past this region */
    CHECK(ctx->par.backoff > 0 && ctx->par.probe_at > 0);
    double first_backoff = ctx->par.backoff;
    ctx->par.probe_at = 1e300; /* the probe not due, however slow this machine */
    CHECK_EQ_INT(einc__parallel_width(ctx, work), 1);
    CHECK_EQ_INT(einc__parallel_width(ctx, ctx->par.min_work), 2);
    tally_reset(&t, ctx);
    einc__parallel(ctx, work, count_task, &t); /* runs on the caller alone */
    CHECK(each_once(&t) && atomic_load(&t.nth_seen) == 1 && atomic_load(&t.on_workers) == 0);

    ctx->par.probe_at = 0; /* due: the next region below the threshold probes, and lags again */
    if (lag_region(ctx, work, 40, 2)) {
        CHECK(ctx->par.min_work >= 2 * work);
        CHECK(ctx->par.backoff == 2 * first_backoff); /* a failed probe doubles the wait */
    }
    ctx->par.probe_at = 0; /* due again: a prompt probe (both pieces alike) restores the threshold */
    if (lag_region(ctx, work, 5, 5)) {
        CHECK_EQ_INT(ctx->par.min_work, 0);
        CHECK_EQ_INT(einc__parallel_width(ctx, EINC_PARALLEL_THRESHOLD), 2);
    }
    einc_ctx_destroy(ctx);
}

/* The rule itself, on chosen times (seconds; the clock of a sanitizer build or a loaded machine
 * would make real regions of any size land anywhere): a region too short to judge, a gain, a loss
 * at the caller's pace, a loss only a lone first chunk reveals, workers that took nothing, and a
 * raise sized by the overhead. */
TEST(the_judgement_on_chosen_times) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    const int64_t w = 4 * EINC_PARALLEL_THRESHOLD;
    /* 12 chunks, 6 each; one thread would take 12 us: too short to judge, however it went */
    einc__parallel_judge(ctx, w, 12, 6, 0, 0, 0, 6e-6, 40e-6);
    CHECK_EQ_INT(ctx->par.min_work, 0);
    /* 6 of 12 in 1 ms and 0.1 ms of wait: 1.1 ms against 2 ms alone, a gain */
    einc__parallel_judge(ctx, w, 12, 6, 0, 0, 0, 1e-3, 1.1e-3);
    CHECK_EQ_INT(ctx->par.min_work, 0);
    /* the same, but the first chunk ran alone in 0.05 ms: one thread takes 0.6 ms, so 1.1 ms lost
     * (the caller's pace was halved by the worker beside it) */
    einc__parallel_judge(ctx, w, 12, 6, 0, 0, 0.05e-3, 1e-3, 1.1e-3);
    CHECK(ctx->par.min_work >= 2 * w);
    CHECK(ctx->par.probe_at > 1.1e-3 && ctx->par.backoff > 0);
    /* a prompt probe (work below the raised threshold, a clear gain) restores it */
    einc__parallel_judge(ctx, w, 12, 6, 0, 0, 0, 1e-3, 1.05e-3);
    CHECK_EQ_INT(ctx->par.min_work, 0);
    /* the workers took nothing: no gain for the wake-up's cost */
    einc__parallel_judge(ctx, w, 12, 12, 0, 0.01e-3, 0, 2e-3, 2e-3);
    CHECK(ctx->par.min_work >= 2 * w);
    ctx->par.min_work = 0, ctx->par.backoff = 0;
    /* a worker preempted in its piece: 4 ms of wait on 1 ms of one thread's work; the threshold
     * goes to where that would be a tenth: 10 * 4 / 1 = 40 times this region */
    einc__parallel_judge(ctx, w, 2, 1, 0, 0, 0, 0.5e-3, 4.5e-3);
    CHECK(ctx->par.min_work >= 39 * w && ctx->par.min_work <= 41 * w);
    /* a lagging probe doubles the backoff; the raise never shrinks */
    double b = ctx->par.backoff;
    int64_t raised = ctx->par.min_work;
    einc__parallel_judge(ctx, w, 2, 1, 0, 0, 0, 0.5e-3, 1.2e-3);
    CHECK(ctx->par.backoff == 2 * b && ctx->par.min_work == raised);
    /* a huge region's raise saturates instead of overflowing */
    einc__parallel_judge(ctx, (int64_t)1 << 61, 2, 1, 0, 0, 0, 0.5e-3, 100e-3);
    CHECK(ctx->par.min_work == (int64_t)1 << 62);
    einc_ctx_destroy(ctx);
}

/* A region started from inside a region runs inline, on the thread that started it. */
TEST(nested_region_runs_inline) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    tally t;
    tally_reset(&t, ctx);
    einc__parallel_chunks(ctx, (int64_t)1 << 30, nested_task, &t);
    CHECK(each_once(&t));
    CHECK_EQ_INT(atomic_load(&t.nested_bad), 0);
    einc_ctx_destroy(ctx);
}

/* A forked child has no worker threads: its context starts new ones. */
TEST(fork_child_gets_new_workers) {
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 2});
    tally t;
    tally_reset(&t, ctx);
    einc__parallel_chunks(ctx, (int64_t)1 << 30, count_task, &t); /* workers started */
    CHECK(each_once(&t));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        tally c, d;
        tally_reset(&c, ctx);
        tally_reset(&d, ctx);
        einc__parallel_chunks(ctx, (int64_t)1 << 30, count_task, &c);
        einc__parallel(ctx, (int64_t)1 << 30, count_task, &d);
        _exit(each_once(&c) && each_once(&d) ? 0 : 1);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tally_reset(&t, ctx);
    einc__parallel_chunks(ctx, (int64_t)1 << 30, count_task, &t); /* the parent's workers still work */
    CHECK(each_once(&t));
    einc_ctx_destroy(ctx);
}

/* Elementwise, reduction, softmax and random tensors give the same bits on 1 and 2 threads, with
 * sizes that split into many pieces. */
TEST(results_do_not_depend_on_threads) {
    einc_tensor *r[2][4];
    einc_ctx *ctx[2];
    for (int k = 0; k < 2; k++) {
        ctx[k] = einc_ctx_create_with(&(einc_ctx_options){.threads = k + 1, .seed = 5});
        einc_ctx *c = ctx[k];
        einc_tensor *x = einc_tensor_randn(c, EINC_FLOAT32, EINC_SHAPE(512, 3001));
        einc_tensor *y = einc_tensor_randn(c, EINC_FLOAT32, EINC_SHAPE(512, 3001));
        r[k][0] = x;
        r[k][1] = einc_tensor_add(c, einc_tensor_exp(c, x), y);
        r[k][2] = einc_tensor_sum(c, x, EINC_DIMS(1), false);
        r[k][3] = einc_softmax(c, "a [b]", y);
        CHECK_OK(c);
    }
    for (int i = 0; i < 4; i++) {
        CHECK(r[0][i] && r[1][i]);
        if (!r[0][i] || !r[1][i]) continue;
        size_t bytes = (size_t)einc_tensor_numel(r[0][i]) * sizeof(float);
        CHECK(memcmp(einc_tensor_data(r[0][i]), einc_tensor_data(r[1][i]), bytes) == 0);
    }
    for (int k = 0; k < 2; k++) einc_ctx_destroy(ctx[k]);
}

int main(void) {
    RUN(static_split_is_one_piece_per_thread);
    RUN(chunks_cover_every_piece_once);
    RUN(worker_ids_are_private);
    RUN(many_regions_and_thread_changes);
    RUN(lagging_workers_raise_the_threshold);
    RUN(the_judgement_on_chosen_times);
    RUN(nested_region_runs_inline);
    RUN(fork_child_gets_new_workers);
    RUN(results_do_not_depend_on_threads);
    return test_summary();
}
