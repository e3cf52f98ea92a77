/* bench.h — timing helpers shared by the benchmarks.
 *
 * Benchmarks print ratios against a baseline measured in the same run (memcpy, raw cblas_sgemm,
 * hand-written loops), never absolute pass/fail thresholds: the machines are noisy, ratios are
 * what carries over. Each measurement takes the best of several repetitions after a warm-up, so
 * first-touch page faults and a busy second core distort it as little as possible.
 */
#ifndef EINC_BENCH_H
#define EINC_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best time in seconds of `reps` runs of fn(arg), after one warm-up run. */
static inline double bench_best(void (*fn)(void *), void *arg, int reps) {
    fn(arg);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        fn(arg);
        double dt = bench_now() - t0;
        if (dt < best) best = dt;
    }
    return best;
}

/* Repetitions for the benchmark: BENCH_REPS from the environment, else `fallback`. */
static inline int bench_reps(int fallback) {
    const char *s = getenv("BENCH_REPS");
    int n = s ? atoi(s) : 0;
    return n > 0 ? n : fallback;
}

/* Threads for the benchmark: BENCH_THREADS from the environment, else 1 (one core first). */
static inline int bench_threads(void) {
    const char *s = getenv("BENCH_THREADS");
    int n = s ? atoi(s) : 0;
    return n > 0 ? n : 1;
}

#endif /* EINC_BENCH_H */
