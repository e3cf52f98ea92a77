/* random.c — a counter-based generator: value i is a pure function of (seed, counter + i), so the
 * numbers never depend on how work is split between threads.
 *
 * The mixing function is SplitMix64's finaliser applied to a Weyl sequence keyed by the seed;
 * 53 bits of it give a uniform double in [0, 1). Normals use Box-Muller on consecutive pairs.
 */
#include <math.h>

#include "internal.h"

uint64_t einc__rng_bits(uint64_t seed, uint64_t counter) {
    uint64_t z = seed * 0xD1B54A32D192ED03ull + (counter + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t seed, uint64_t counter) {
    return (double)(einc__rng_bits(seed, counter) >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct {
    einc_tensor *t;
    uint64_t seed, base;
    bool normal;
} rng_job;

static void rng_task(void *arg, int ith, int nth) {
    rng_job *job = arg;
    int64_t n = einc__tensor_numel(job->t);
    int64_t begin, end;
    einc__split_range(n, ith, nth, &begin, &end);
    char *p = einc__tensor_ptr(job->t);
    bool f32 = job->t->dtype == EINC_FLOAT32;
    for (int64_t i = begin; i < end; i++) {
        double v;
        if (job->normal) {
            /* element i uses pair (i & ~1): cosine for even i, sine for odd i */
            uint64_t pair = job->base + (uint64_t)(i & ~(int64_t)1);
            double u1 = 1.0 - uniform01(job->seed, pair); /* (0, 1]: log is finite */
            double u2 = uniform01(job->seed, pair + 1);
            double r = sqrt(-2.0 * log(u1));
            v = (i & 1) ? r * sin(2.0 * M_PI * u2) : r * cos(2.0 * M_PI * u2);
        } else {
            v = uniform01(job->seed, job->base + (uint64_t)i);
        }
        if (f32) {
            float f = (float)v;
            if (!job->normal && f >= 1.0f) f = 0x1.fffffep-1f; /* rounding must not reach 1 */
            ((float *)(void *)p)[i] = f;
        } else {
            ((double *)(void *)p)[i] = v;
        }
    }
}

static einc_tensor *random_tensor(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape, bool normal,
                                  const char *fname) {
    if (!ctx) return NULL;
    if (dtype != EINC_FLOAT32 && dtype != EINC_FLOAT64) {
        einc__error(ctx, EINC_EDTYPE, "%s: dtype must be float32 or float64, got %s", fname, einc_dtype_name(dtype));
        return NULL;
    }
    /* validated here so that shape errors name einc_tensor_rand(n), not einc_tensor_empty */
    if (!einc__shape_check(ctx, fname, dtype, ndim, shape, NULL)) return NULL;
    einc_tensor *t = einc__tensor_new(ctx, dtype, ndim, shape);
    if (!t) return NULL;
    int64_t n = einc__tensor_numel(t);
    rng_job job = {t, ctx->rng_seed, ctx->rng_counter, normal};
    ctx->rng_counter += (uint64_t)(n + (n & 1)); /* pairs stay aligned */
    einc__parallel_chunks(ctx, n * 8, rng_task, &job);
    return t;
}

einc_tensor *einc_tensor_rand(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    return random_tensor(ctx, dtype, ndim, shape, false, "einc_tensor_rand");
}

einc_tensor *einc_tensor_randn(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape) {
    EINC__OWNED(ctx, NULL);
    return random_tensor(ctx, dtype, ndim, shape, true, "einc_tensor_randn");
}
