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

#include "einc.h"

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

/* Median of n values (sorts them in place). */
static inline double bench_median(double *v, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : 0.0;
}

/* ---- the machine's limits, measured in the same run ------------------------------------------ */

/* The CPU's model name (from /proc/cpuinfo; "unknown" elsewhere) into buf. */
static inline const char *bench_cpu_model(char *buf, size_t n) {
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return buf;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ') v++;
        snprintf(buf, n, "%s", v);
        buf[strcspn(buf, "\n")] = 0;
        break;
    }
    fclose(f);
    return buf;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
/* 12 independent FMA chains hide the 4-cycle latency on two FMA ports; the loop runs `iters`
 * times, 12 vector FMAs each. The result is returned so nothing is optimised away. */
__attribute__((target("avx512f"))) static float bench_fma_loop_avx512(long iters) {
    __m512 acc[12], b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    __m512 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}
__attribute__((target("avx2,fma"))) static float bench_fma_loop_avx2(long iters) {
    __m256 acc[12], b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
    float o[8];
    _mm256_storeu_ps(o, s);
    return o[0] + o[7];
}
static inline float bench_fma_loop_sse(long iters) { /* baseline: a multiply and an add */
    __m128 acc[12], b = _mm_set1_ps(0.999f), c = _mm_set1_ps(1e-3f);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm_set1_ps((float)i);
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], b), c);
    __m128 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm_add_ps(s, acc[i]);
    return _mm_cvtss_f32(s);
}
#endif

/* The float32 multiply-add peak of one core at the active dispatch level, in GFLOP/s (an FMA is
 * two flops): the best of 5 runs of a register-only loop. Off x86 returns 0 (unknown). */
static inline double bench_fma_peak_gflops(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    int level = (int)einc_cpu_level_active();
    int lanes = level == EINC_CPU_AVX512 ? 16 : level == EINC_CPU_AVX2 ? 8 : 4;
    long iters = 4000000;
    double best = 1e30;
    volatile float sink = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        if (level == EINC_CPU_AVX512) sink += bench_fma_loop_avx512(iters);
        else if (level == EINC_CPU_AVX2) sink += bench_fma_loop_avx2(iters);
        else sink += bench_fma_loop_sse(iters);
        double dt = bench_now() - t0;
        if (dt < best) best = dt;
    }
    (void)sink;
    return (double)iters * 12 * lanes * 2 / best * 1e-9;
#else
    return 0;
#endif
}

typedef struct {
    void *dst;
    const void *src;
    size_t n;
} bench_memcpy_job;

static inline void bench_memcpy_run(void *arg) {
    bench_memcpy_job *c = arg;
    memcpy(c->dst, c->src, c->n);
}

/* memcpy of `bytes` between two buffers touched beforehand: best time in seconds over `reps`. */
static inline double bench_memcpy_seconds(size_t bytes, int reps) {
    char *a = malloc(bytes), *b = malloc(bytes);
    double t = 0;
    if (a && b) {
        memset(a, 1, bytes);
        memset(b, 2, bytes);
        bench_memcpy_job j = {b, a, bytes};
        t = bench_best(bench_memcpy_run, &j, reps);
    }
    free(a);
    free(b);
    return t;
}

/* The header every benchmark prints first: CPU, dispatch level, threads, the FMA peak and the
 * memcpy bandwidth of 64 MiB measured now. Returns the peak (GFLOP/s) in *peak and the memcpy
 * bandwidth (bytes copied per second) in *copy_bps when they are not NULL. */
static inline void bench_header(const char *name, int threads, double *peak, double *copy_bps) {
    char cpu[256];
    double p = bench_fma_peak_gflops();
    size_t bytes = (size_t)64 << 20;
    double tc = bench_memcpy_seconds(bytes, 5);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("%s\n  cpu: %s\n  dispatch: %s (supported: %s), threads: %d, OPENBLAS_CORETYPE=%s\n", name,
           bench_cpu_model(cpu, sizeof cpu), einc_cpu_level_name(einc_cpu_level_active()),
           einc_cpu_level_name(einc_cpu_level_supported()), threads, ct ? ct : "(unset)");
    printf("  float32 FMA peak (1 core, %s): %.1f GFLOP/s; memcpy 64 MiB: %.2f ms = %.1f GB/s\n",
           einc_cpu_level_name(einc_cpu_level_active()), p, tc * 1e3, tc > 0 ? (double)bytes / tc * 1e-9 : 0.0);
    printf("  gemm: %s by default (CBLAS built in: %s)\n", einc_gemm_backend_name(einc_get_gemm_backend(NULL)),
           einc_blas_backend());
    if (peak) *peak = p;
    if (copy_bps) *copy_bps = tc > 0 ? (double)bytes / tc : 0;
}

#endif /* EINC_BENCH_H */
