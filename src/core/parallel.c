/* parallel.c — the context's worker threads: chunks handed out by an atomic counter, sleeping workers.
 *
 * Why not `#pragma omp parallel`: after a region libgomp's workers spin-wait (GOMP_SPINCOUNT,
 * about 0.3 ms by default, far longer with OMP_WAIT_POLICY=active), and einc calls OpenBLAS right
 * after its own regions; on a 2-core machine the spinning worker takes the core OpenBLAS's thread
 * needs. libgomp reads OMP_WAIT_POLICY once, in its constructor, before any einc code runs, so the
 * policy cannot be changed from here. These workers never spin: between regions they sleep on a
 * condition variable, so they cost nothing while BLAS (or anything else) runs.
 *
 * Why chunks from a counter instead of one static piece per thread: the second core of the
 * machines einc targets is often busy. A region of nchunks pieces is a counter that every thread,
 * the caller included, advances until the pieces run out, so a worker that wakes late (or never
 * gets its core) just takes fewer pieces; the caller then sleeps instead of spinning, which frees
 * its core for a preempted worker to migrate to. Kernels keep their contract fn(arg, ith, nth):
 * each ith in [0, nth) runs exactly once, on some thread.
 *
 * Why the threshold moves: a piece a worker has taken must be waited for. When the worker's core
 * is busy (another process, a neighbour VM), the worker can be preempted inside its piece and the
 * caller waits a scheduler slice, milliseconds, for a region that takes a fraction of that on one
 * thread. So each region measures itself: if the caller's time plus its wait exceeds what the
 * caller alone would have taken (its time per piece times the pieces), or if the workers woke too
 * late to take a piece at all, two threads lost, and the threshold rises to where such a wait
 * would cost at most a tenth of a region (and at least past this region). Regions below it run
 * on the caller; after a backoff one of them probes the workers again, and a prompt probe restores
 * EINC_PARALLEL_THRESHOLD. Results never depend on the thread count, so this changes only time.
 */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

#if defined(__unix__) || defined(__APPLE__)
#define EINC_HAVE_PTHREADS 1
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#endif

void einc__split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
    int64_t base = n / nth, extra = n % nth;
    *begin = ith * base + (ith < extra ? ith : extra);
    *end = *begin + base + (ith < extra ? 1 : 0);
}

/* Chunks of a einc__parallel_chunks region: about a quarter of the threading threshold each (small
 * enough that a late worker loses little, big enough that claiming one is noise), at most
 * CHUNKS_PER_THREAD per thread. */
#define CHUNK_WORK (EINC_PARALLEL_THRESHOLD / 4)
#define CHUNKS_PER_THREAD 8
/* How long the caller polls for the last chunks before it sleeps (pause instructions). */
#define WAIT_SPINS 2000
/* The threshold's adaptation (einc_ctx.par): regions shorter than LAG_MIN_S on one thread are not
 * judged (a wake-up alone takes about that long, so their times say little); a raise puts the
 * threshold at least LAG_RAISE_MIN times the lagging region's work; probes come PROBE_FIRST_S
 * after a raise and back off, doubling, to PROBE_MAX_S while they keep lagging (then a busy core
 * costs at most one slow region every PROBE_MAX_S). */
#define LAG_MIN_S 50e-6
#define LAG_RAISE_MIN 2.0
#define PROBE_FIRST_S 0.1
#define PROBE_MAX_S 2.0

/* After a region of `work` in n chunks: started at `start`, the workers woken at `go`, the
 * caller's first chunk done at `first` (0 unless it ran alone) and its `mine` chunks at
 * `mine_end`, the workers' last ones at `end` (seconds). Judges it (the file's comment) and moves
 * the threshold. */
void einc__parallel_judge(einc_ctx *ctx, int64_t work, int n, int mine, double start, double go, double first,
                          double mine_end, double end) {
    /* one thread's time, without the cost of waking and waiting: at the pace of a chunk that ran
     * alone, if one did (once two threads run side by side, a memory-bound kernel's pace halves
     * on both, and its split would look perfect), else at the caller's pace */
    double alone = first > 0 ? (first - go) * n : mine > 0 ? (mine_end - go) * n / mine : 0;
    double over = (end - start) - (mine_end - go);
    if (mine == 0) alone = end - start; /* a worker ran on the caller's core: no gain, no pace to go by */
    if (alone < LAG_MIN_S) return;
    bool probe = work < ctx->par.min_work;
    if (mine > 0 && mine < n && end - start <= alone) {
        if (probe) ctx->par.min_work = 0, ctx->par.backoff = 0; /* prompt again */
        return;
    }
    /* two threads lost (or the workers woke too late to take a chunk): the threshold goes to where
     * this region's overhead would be a tenth of one thread's time, at least LAG_RAISE_MIN times
     * this region (as double: work can be near INT64_MAX) */
    double scale = 10.0 * over / alone, raised = (double)work * (scale > LAG_RAISE_MIN ? scale : LAG_RAISE_MIN);
    int64_t to = raised >= 0x1p62 ? (int64_t)1 << 62 : (int64_t)raised;
    if (to > ctx->par.min_work) ctx->par.min_work = to;
    double b = ctx->par.backoff;
    ctx->par.backoff = !probe || b <= 0 ? PROBE_FIRST_S : b * 2 > PROBE_MAX_S ? PROBE_MAX_S : b * 2;
    ctx->par.probe_at = end + ctx->par.backoff;
}

/* A thread inside a region: a nested einc__parallel runs inline instead of deadlocking. */
static _Thread_local bool in_region;
/* 0 on the calling thread, 1..threads-1 on the context's workers (einc__worker_id). */
static _Thread_local int worker_index;

int einc__worker_id(void) { return worker_index; }

#ifdef EINC_HAVE_PTHREADS

struct einc__team {
    int want;     /* workers asked for (threads - 1)                             */
    int nworkers; /* workers running (fewer if the system refused some)          */
    pid_t pid;    /* the process that started them (a forked child has none)    */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake;   /* a new job (gen changed) or quit                       */
    pthread_cond_t finish; /* the last chunk of the job is done                     */
    /* the current job; written under mu */
    uint64_t gen;
    bool quit;
    einc__task_fn fn;
    void *arg;
    int nchunks;
    /* (gen << 32) | next chunk: a thread holding an older job's gen can never claim a chunk of a
     * newer one, so no stale (fn, arg) ever runs */
    _Atomic uint64_t next;
    _Atomic int done;    /* chunks finished in the current job */
    _Atomic int started; /* workers that took their index          */
};

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static double now_s(void);

/* Claims and runs chunks of job `gen` until none is left; returns how many it ran. The caller
 * passes `first`: when its first chunk ends and nobody else has claimed one yet, that chunk ran
 * alone, and *first is the time it ended (else left as it was). */
static int run_chunks(struct einc__team *t, uint64_t gen, einc__task_fn fn, void *arg, int n, double *first) {
    uint64_t tag = (gen & 0xffffffffu) << 32;
    for (int ran = 0;; ran++) {
        uint64_t s = atomic_load_explicit(&t->next, memory_order_relaxed);
        do {
            if ((s & ~(uint64_t)0xffffffffu) != tag || (int)(uint32_t)s >= n) return ran;
        } while (
            !atomic_compare_exchange_weak_explicit(&t->next, &s, s + 1, memory_order_acquire, memory_order_relaxed));
        fn(arg, (int)(uint32_t)s, n);
        if (first && ran == 0 && (uint32_t)atomic_load_explicit(&t->next, memory_order_relaxed) == 1) *first = now_s();
        if (atomic_fetch_add_explicit(&t->done, 1, memory_order_acq_rel) + 1 == n) {
            pthread_mutex_lock(&t->mu);
            pthread_cond_signal(&t->finish);
            pthread_mutex_unlock(&t->mu);
        }
    }
}

static void *worker_main(void *p) {
    struct einc__team *t = p;
    in_region = true;
    worker_index = atomic_fetch_add(&t->started, 1) + 1;
    uint64_t seen = 0;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (t->gen == seen && !t->quit) pthread_cond_wait(&t->wake, &t->mu);
        if (t->quit) break;
        seen = t->gen;
        einc__task_fn fn = t->fn;
        void *arg = t->arg;
        int n = t->nchunks;
        pthread_mutex_unlock(&t->mu);
        run_chunks(t, seen, fn, arg, n, NULL);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static void team_stop(struct einc__team *t, bool join) {
    if (join) {
        pthread_mutex_lock(&t->mu);
        t->quit = true;
        pthread_cond_broadcast(&t->wake);
        pthread_mutex_unlock(&t->mu);
        for (int i = 0; i < t->nworkers; i++) pthread_join(t->threads[i], NULL);
        pthread_cond_destroy(&t->wake);
        pthread_cond_destroy(&t->finish);
        pthread_mutex_destroy(&t->mu);
    }
    free(t->threads);
    free(t);
}

/* nworkers sleeping threads, or NULL (then the caller runs everything itself). Plain malloc: the
 * team is the context's machinery, not tensor memory, and must not count in allocation sweeps. */
static struct einc__team *team_start(int nworkers) {
    struct einc__team *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->threads = calloc((size_t)nworkers, sizeof *t->threads);
    if (!t->threads || pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t->threads);
        free(t);
        return NULL;
    }
    pthread_cond_init(&t->wake, NULL);
    pthread_cond_init(&t->finish, NULL);
    t->pid = getpid();
    t->want = nworkers;
    /* workers take no signals: the application's handlers run on its own threads */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&t->threads[i], NULL, worker_main, t) != 0) break;
        t->nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return t;
}

void einc__team_destroy(einc_ctx *ctx) {
    if (!ctx->team) return;
    team_stop(ctx->team, ctx->team->pid == getpid());
    ctx->team = NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs fn over n chunks on the caller and up to nth - 1 workers. */
static void run_region(einc_ctx *ctx, int nth, int n, int64_t work, einc__task_fn fn, void *arg) {
    struct einc__team *t = ctx->team;
    if (t && (t->want != nth - 1 || t->pid != getpid())) {
        einc__team_destroy(ctx); /* thread count changed, or a forked child: its threads are gone */
        t = NULL;
    }
    bool fresh = !t; /* the workers are being created: this region's times say nothing */
    if (!t) t = ctx->team = team_start(nth - 1);
    if (!t || t->nworkers == 0) {
        for (int i = 0; i < n; i++) fn(arg, i, n);
        return;
    }
    double t0 = now_s();
    pthread_mutex_lock(&t->mu);
    uint64_t gen = ++t->gen;
    t->fn = fn, t->arg = arg, t->nchunks = n;
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    atomic_store_explicit(&t->next, (gen & 0xffffffffu) << 32, memory_order_release);
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->mu);
    double go = now_s();

    in_region = true;
    double first = 0;
    int mine = run_chunks(t, gen, fn, arg, n, &first);
    in_region = false;
    double t1 = now_s();
    /* the last chunks are running on workers: poll briefly, then sleep so that a worker the
     * scheduler preempted can move to this core */
    for (int i = 0; i < WAIT_SPINS && atomic_load_explicit(&t->done, memory_order_acquire) != n; i++) cpu_relax();
    if (atomic_load_explicit(&t->done, memory_order_acquire) != n) {
        pthread_mutex_lock(&t->mu);
        while (atomic_load_explicit(&t->done, memory_order_acquire) != n) pthread_cond_wait(&t->finish, &t->mu);
        pthread_mutex_unlock(&t->mu);
    }
    double t2 = now_s();
    if (!fresh) einc__parallel_judge(ctx, work, n, mine, t0, go, first, t1, t2);
}

int einc__parallel_width(einc_ctx *ctx, int64_t work) {
    int nth = ctx ? ctx->threads : 1;
    if (nth <= 1 || work < EINC_PARALLEL_THRESHOLD || in_region) return 1;
    if (work < ctx->par.min_work && now_s() < ctx->par.probe_at) return 1;
    return nth;
}

#else /* no pthreads: OpenMP if the build has it, else one thread */

void einc__team_destroy(einc_ctx *ctx) { (void)ctx; }

static void run_region(einc_ctx *ctx, int nth, int n, int64_t work, einc__task_fn fn, void *arg) {
    (void)ctx, (void)work;
#ifdef _OPENMP
#pragma omp parallel num_threads(nth)
    {
        in_region = true;
        worker_index = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < n; i++) fn(arg, i, n);
        in_region = false;
        worker_index = 0;
    }
#else
    (void)nth;
    for (int i = 0; i < n; i++) fn(arg, i, n);
#endif
}

int einc__parallel_width(einc_ctx *ctx, int64_t work) {
    int nth = ctx ? ctx->threads : 1;
    return nth <= 1 || work < EINC_PARALLEL_THRESHOLD || in_region ? 1 : nth;
}

#endif

void einc__parallel_n(einc_ctx *ctx, int width, int64_t work, einc__task_fn fn, void *arg) {
    if (width <= 1 || in_region) fn(arg, 0, 1);
    else run_region(ctx, width, width, work, fn, arg);
}

void einc__parallel(einc_ctx *ctx, int64_t work, einc__task_fn fn, void *arg) {
    einc__parallel_n(ctx, einc__parallel_width(ctx, work), work, fn, arg);
}

void einc__parallel_chunks(einc_ctx *ctx, int64_t work, einc__task_fn fn, void *arg) {
    int nth = einc__parallel_width(ctx, work);
    if (nth <= 1) {
        fn(arg, 0, 1);
        return;
    }
    int64_t n = work / CHUNK_WORK, most = (int64_t)nth * CHUNKS_PER_THREAD;
    if (n > most) n = most;
    if (n < nth) n = nth;
    run_region(ctx, nth, (int)n, work, fn, arg);
}
