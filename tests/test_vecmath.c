/* test_vecmath.c — the vector math row kernels (src/kernels/vecmath.h) at every dispatch level.
 *
 * Each level this CPU has (portable, AVX2, AVX-512) is forced in turn. The elementary functions
 * are checked in ulps against double precision over dense sweeps and at their special values;
 * softmax, log_softmax, logsumexp, sum, max, min and the binary maps are checked against the
 * reference twins (einc__k_softmax_ref, einc__k_reduce_ref, einc__k_binary_ref) on row lengths
 * around the vector widths (1, 2, 3, 15, 16, 17, 63, 64, 65, 4096 ...), on non-contiguous views
 * and on rows holding NaN, +-inf and values whose exponential overflows or underflows. Outputs
 * sit between guard elements, so a masked tail that writes one element too far fails.
 */
#include <stdint.h>

#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "test.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)((double)(rnd() >> 11) * 0x1p-53); }

static const int64_t LENGTHS[] = {1,  2,  3,  7,  8,   9,   15,   16,   17,   31,   32,
                                  33, 63, 64, 65, 127, 129, 1000, 1024, 2048, 4096, 4097};
#define NLEN ((int)(sizeof LENGTHS / sizeof LENGTHS[0]))

/* |got - exact| in units of the float32 spacing at the exact value (denormal spacing near 0). */
static double ulp_error(float got, double exact) {
    if (isnan(exact)) return isnan(got) ? 0 : INFINITY;
    float w = (float)exact;
    if (isinf(w) || isinf(got)) return w == got ? 0 : INFINITY;
    float spacing = nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - exact) / spacing;
}

static int num_levels(void) { return (int)einc_cpu_level_supported() + 1; }

static const char *level_name(int level) { return einc_cpu_level_name((einc_cpu_level)level); }

/* A 1-d float32 view of n elements, stride s, over `data`. */
static einc__view view1(float *data, int64_t n, int64_t s) {
    einc__view v;
    memset(&v, 0, sizeof v);
    v.data = (char *)data;
    v.dtype = EINC_FLOAT32;
    v.ndim = 1;
    v.shape[0] = n;
    v.strides[0] = s;
    return v;
}

/* ---- elementary functions ---------------------------------------------------------------------- */

typedef struct {
    einc_unary_op op;
    double limit; /* ulps */
} ulp_case;

static double exact_of(einc_unary_op op, double v) {
    switch (op) {
    case EINC_EXP: return exp(v);
    case EINC_LOG: return log(v);
    case EINC_TANH: return tanh(v);
    case EINC_SIGMOID: return 1.0 / (1.0 + exp(-v));
    default: return NAN;
    }
}

/* y = op(x) at the active level through the unary kernel (the vector map on contiguous float32),
 * over a buffer with guards on both sides. */
static void unary_run(einc_unary_op op, float *y, const float *x, int64_t n) {
    einc__view yv = view1(y, n, 1), xv = view1((float *)(uintptr_t)x, n, 1);
    einc__k_unary(op, &yv, &xv, 0, 1);
}

TEST(elementary_ulps_every_level) {
    enum { N = 1 << 20 };
    float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
    static const ulp_case cases[] = {{EINC_EXP, 1.0}, {EINC_LOG, 1.0}, {EINC_TANH, 2.0}, {EINC_SIGMOID, 3.0}};
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            einc_unary_op op = cases[c].op;
            for (int i = 0; i < N; i++) {
                if (op == EINC_EXP) x[i] = -104.0f + 193.0f * (float)i / N; /* underflow .. overflow */
                else if (op == EINC_LOG) {                                  /* every binade, denormals too */
                    uint32_t b = (uint32_t)((uint64_t)i * 0x7f800000u / N) | 1u;
                    memcpy(&x[i], &b, 4);
                } else x[i] = (i % 2 ? -1.0f : 1.0f) * powf(10.0f, -30.0f + 32.0f * (float)i / N);
            }
            unary_run(op, y, x, N);
            double worst = 0;
            float at = 0;
            for (int i = 0; i < N; i++) {
                double e = ulp_error(y[i], exact_of(op, x[i]));
                if (e > worst) worst = e, at = x[i];
            }
            if (!(worst <= cases[c].limit))
                fprintf(stderr, "%s %s: %.3f ulp at x = %.9g (limit %.1f)\n", level_name(lv), einc_unary_op_name(op),
                        worst, at, cases[c].limit);
            CHECK(worst <= cases[c].limit);
        }
        einc__cpu_level_force(before);
    }
    free(x);
    free(y);
}

TEST(exp_special_values_every_level) {
    static const float in[] = {NAN,    INFINITY, -INFINITY, 0.0f,    -0.0f,   89.0f, 88.7228f, 88.72f,
                               -87.3f, -100.0f,  -103.9f,   -104.0f, -104.5f, 1e30f, -1e30f,   1e-30f};
    enum { K = sizeof in / sizeof in[0] };
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        float y[K + 2];
        for (int rep = 0; rep < 2; rep++) { /* in a tail, then in a full vector of 16 */
            int n = rep ? K : 5;
            y[n] = 12345.0f;
            unary_run(EINC_EXP, y, in, n);
            CHECK(y[n] == 12345.0f);
            for (int i = 0; i < n; i++) {
                double exact = exp((double)in[i]);
                bool ok = isnan(in[i]) ? isnan(y[i]) : ulp_error(y[i], exact) <= 1.0;
                if (!ok) fprintf(stderr, "%s exp(%.9g) = %.9g, exact %.9g\n", level_name(lv), in[i], y[i], exact);
                CHECK(ok);
            }
        }
        /* the named cases, exactly */
        CHECK(isnan(y[0]) && isinf(y[1]) && y[1] > 0 && y[2] == 0 && y[3] == 1 && y[4] == 1);
        CHECK(isinf(y[5]) && isfinite(y[7]) && y[11] == 0 && y[12] == 0 && isinf(y[13]) && y[14] == 0);
        CHECK(y[9] > 0 && y[9] < 1.17549435e-38f); /* exp(-100): a denormal */
        einc__cpu_level_force(before);
    }
}

TEST(log_tanh_sigmoid_special_values_every_level) {
    static const float in[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1.0f, 1.0f, 1e-45f, 3.4e38f};
    enum { K = sizeof in / sizeof in[0] };
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        float l[K], t[K], s[K];
        unary_run(EINC_LOG, l, in, K);
        unary_run(EINC_TANH, t, in, K);
        unary_run(EINC_SIGMOID, s, in, K);
        CHECK(isnan(l[0]) && l[1] == INFINITY && isnan(l[2]) && l[3] == -INFINITY && l[4] == -INFINITY);
        CHECK(isnan(l[5]) && l[6] == 0 && fabs(l[7] - log((double)in[7])) < 1e-5 &&
              fabs(l[8] - log((double)in[8])) < 1e-4);
        CHECK(isnan(t[0]) && t[1] == 1 && t[2] == -1 && t[3] == 0 && signbit(t[4]) && t[4] == 0);
        CHECK(isnan(s[0]) && s[1] == 1 && s[2] == 0 && s[3] == 0.5f && s[4] == 0.5f);
        einc__cpu_level_force(before);
    }
}

/* Every vectorised unary op against the reference twin, every length, contiguous and strided. */
TEST(unary_maps_match_reference) {
    static const einc_unary_op ops[] = {EINC_EXP, EINC_LOG, EINC_TANH,   EINC_SIGMOID,    EINC_SQRT,
                                        EINC_NEG, EINC_ABS, EINC_SQUARE, EINC_RECIPROCAL, EINC_RELU};
    enum { MAXN = 4097 * 2 + 8 };
    float *x = malloc(sizeof(float) * MAXN), *y = malloc(sizeof(float) * MAXN), *r = malloc(sizeof(float) * MAXN);
    for (int i = 0; i < MAXN; i++)
        x[i] = i % 37 == 5 ? NAN : i % 41 == 3 ? -INFINITY : i % 43 == 1 ? -0.0f : rnd_f(-30.0f, 30.0f);
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            for (int li = 0; li < NLEN; li++)
                for (int64_t s = 1; s <= 2; s++) {
                    int64_t n = LENGTHS[li];
                    for (int i = 0; i < MAXN; i++) y[i] = r[i] = 777.0f;
                    einc__view xv = view1(x + 1, n, s), yv = view1(y + 1, n, 1), rv = view1(r + 1, n, 1);
                    einc__k_unary(ops[o], &yv, &xv, 0, 1);
                    einc__k_unary_ref(ops[o], &rv, &xv, 0, 1);
                    int bad = 0;
                    for (int64_t i = 0; i < n + 2; i++) {
                        float a = y[i], b = r[i];
                        bool ok = (isnan(a) && isnan(b)) || a == b || fabsf(a - b) <= 2e-6f * fabsf(b) + 1e-37f;
                        bad += !ok;
                    }
                    if (bad)
                        fprintf(stderr, "%s %s n=%lld stride %lld: %d mismatches\n", level_name(lv),
                                einc_unary_op_name(ops[o]), (long long)n, (long long)s, bad);
                    CHECK(bad == 0);
                }
        einc__cpu_level_force(before);
    }
    free(x);
    free(y);
    free(r);
}

/* The streaming path (outputs of EINC__VM_STREAM_ELEMS and more), at a misaligned start. */
TEST(streaming_maps_match_scalar) {
    int64_t n = EINC__VM_STREAM_ELEMS + 21;
    float *x = malloc(sizeof(float) * (size_t)(n + 8)), *b = malloc(sizeof(float) * (size_t)(n + 8));
    float *y = malloc(sizeof(float) * (size_t)(n + 8));
    for (int64_t i = 0; i < n + 8; i++) x[i] = rnd_f(-5, 5), b[i] = rnd_f(-5, 5);
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        y[0] = y[n + 4] = 5.0f;
        einc__view yv = view1(y + 3, n, 1), xv = view1(x + 1, n, 1), bv = view1(b + 2, n, 1);
        einc__k_unary(EINC_EXP, &yv, &xv, 0, 1);
        int bad = 0;
        for (int64_t i = 0; i < n; i++) bad += !(ulp_error(y[3 + i], exp((double)x[1 + i])) <= 1.0);
        einc__k_binary(EINC_ADD, EINC_FLOAT32, &yv, &xv, &bv, 0, 1);
        for (int64_t i = 0; i < n; i++) bad += y[3 + i] != x[1 + i] + b[2 + i];
        CHECK(bad == 0 && y[0] == 5.0f && y[n + 4] == 5.0f);
        einc__cpu_level_force(before);
    }
    free(x);
    free(b);
    free(y);
}

/* ---- binary maps ------------------------------------------------------------------------------ */

TEST(binary_maps_match_reference) {
    static const einc_binary_op ops[] = {EINC_ADD, EINC_SUB, EINC_MUL, EINC_DIV, EINC_MAXIMUM, EINC_MINIMUM};
    enum { MAXN = 4097 + 8 };
    float *a = malloc(sizeof(float) * MAXN), *b = malloc(sizeof(float) * MAXN);
    float *y = malloc(sizeof(float) * MAXN), *r = malloc(sizeof(float) * MAXN);
    for (int i = 0; i < MAXN; i++) {
        a[i] = i % 29 == 3 ? NAN : rnd_f(-4, 4);
        b[i] = i % 31 == 7 ? NAN : i % 13 == 0 ? a[i] : rnd_f(-4, 4);
    }
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            for (int li = 0; li < NLEN - 1; li++)
                for (int form = 0; form < 3; form++) { /* both runs, b broadcast, a broadcast */
                    int64_t n = LENGTHS[li];
                    for (int i = 0; i < MAXN; i++) y[i] = r[i] = 777.0f;
                    einc__view av = view1(a + 1, n, form == 2 ? 0 : 1), bv = view1(b + 2, n, form == 1 ? 0 : 1);
                    einc__view yv = view1(y + 1, n, 1), rv = view1(r + 1, n, 1);
                    einc__k_binary(ops[o], EINC_FLOAT32, &yv, &av, &bv, 0, 1);
                    einc__k_binary_ref(ops[o], EINC_FLOAT32, &rv, &av, &bv, 0, 1);
                    int bad = 0;
                    for (int64_t i = 0; i < n + 2; i++) bad += !((isnan(y[i]) && isnan(r[i])) || y[i] == r[i]);
                    if (bad)
                        fprintf(stderr, "%s %s n=%lld form %d: %d mismatches\n", level_name(lv),
                                einc_binary_op_name(ops[o]), (long long)n, form, bad);
                    CHECK(bad == 0);
                }
        einc__cpu_level_force(before);
    }
    free(a);
    free(b);
    free(y);
    free(r);
}

/* ---- softmax, log_softmax and the reductions ------------------------------------------------ */

/* Fills rows x n of x (row stride ld) with the pattern `kind`. */
static void fill_rows(float *x, int64_t rows, int64_t n, int64_t ld, int kind) {
    for (int64_t j = 0; j < rows; j++)
        for (int64_t i = 0; i < n; i++) {
            float v = rnd_f(-3, 3);
            switch (kind) {
            case 1: v = (float)i * 0.37f - 40.0f; break;                    /* increasing: the max moves often */
            case 2: v = rnd_f(-3, 3) + (i == n / 2 ? 95.0f : 0.0f); break;  /* exp of the spike overflows */
            case 3: v = i % 5 == 1 ? -INFINITY : rnd_f(-1e3f, 1e3f); break; /* underflow, -inf */
            case 4: v = (j % 4 == 0 && i == n - 1) ? NAN : v; break;        /* NaN in the last (tail) element */
            case 5: v = (j % 4 == 1 && i == n / 3) ? INFINITY : v; break;
            case 6: v = j % 3 == 0 ? -INFINITY : (i < n / 2 ? -INFINITY : v); break; /* -inf rows, -inf heads */
            case 7: v = rnd_f(-3, 3) * 1e-3f + 1e4f; break;                          /* big values close together */
            case 8: v = i == n - 1 ? NAN : i == 0 ? INFINITY : v; break;             /* +inf and NaN: NaN */
            default: break;
            }
            x[j * ld + i] = v;
        }
}

/* y and r agree: NaN where r is NaN, else within rtol * |r| + atol. Counts the bad elements. */
static int count_bad(const float *y, const float *r, int64_t count, double rtol, double atol) {
    int bad = 0;
    for (int64_t i = 0; i < count; i++) {
        double a = y[i], b = r[i];
        bool ok = (isnan(a) && isnan(b)) || a == b || fabs(a - b) <= rtol * fabs(b) + atol;
        if (!ok && getenv("VM_DEBUG")) fprintf(stderr, "  [%lld] %.9g vs %.9g\n", (long long)i, a, b);
        bad += !ok;
    }
    return bad;
}

/* softmax / log_softmax of `rows` rows of n over the last axis, contiguous (layout 0), with padded
 * rows (layout 1) or transposed storage (layout 2: the reduced axis is strided), and the
 * logsumexp / sum / max / min / argmax / argmin reductions of the same rows (the indices stored as
 * float32: exact, and any difference is at least 1). */
static void check_rows(int64_t rows, int64_t n, int kind, int layout, const char *lv) {
    int64_t ld = layout == 1 ? n + 3 : n, size = layout == 2 ? rows * n : rows * ld;
    float *x = malloc(sizeof(float) * (size_t)(size + 2)), *xt = malloc(sizeof(float) * (size_t)(size + 2));
    float *y = malloc(sizeof(float) * (size_t)(size + 2)), *r = malloc(sizeof(float) * (size_t)(size + 2));
    fill_rows(x, rows, n, ld, kind);
    einc__view xv, yv, rv;
    memset(&xv, 0, sizeof xv);
    xv.dtype = EINC_FLOAT32;
    xv.ndim = 2;
    xv.shape[0] = rows, xv.shape[1] = n;
    xv.data = (char *)x;
    xv.strides[0] = ld, xv.strides[1] = 1;
    if (layout == 2) { /* the same values stored column-major */
        for (int64_t j = 0; j < rows; j++)
            for (int64_t i = 0; i < n; i++) xt[i * rows + j] = x[j * ld + i];
        xv.data = (char *)xt;
        xv.strides[0] = 1, xv.strides[1] = rows;
    }
    yv = xv, rv = xv;
    yv.data = (char *)y, rv.data = (char *)r;
    yv.strides[0] = ld, yv.strides[1] = 1, rv.strides[0] = ld, rv.strides[1] = 1;
    if (layout == 2) yv.strides[0] = rv.strides[0] = n;
    for (int lg = 0; lg < 2; lg++) {
        for (int64_t i = 0; i < size + 2; i++) y[i] = r[i] = 777.0f;
        einc__k_softmax(&yv, &xv, 2u, lg, 0, 1);
        einc__k_softmax_ref(&rv, &xv, 2u, lg, 0, 1);
        int bad = count_bad(y, r, size + 2, 5e-7, 1e-9);
        if (bad)
            fprintf(stderr, "%s %s rows %lld n %lld kind %d layout %d: %d bad\n", lv, lg ? "log_softmax" : "softmax",
                    (long long)rows, (long long)n, kind, layout, bad);
        CHECK(bad == 0);
    }
    static const einc_reduce_op rops[] = {EINC_REDUCE_LOGSUMEXP, EINC_REDUCE_SUM,    EINC_REDUCE_MAX,   EINC_REDUCE_MIN,
                                          EINC_REDUCE_MEAN,      EINC_REDUCE_ARGMAX, EINC_REDUCE_ARGMIN};
    for (size_t k = 0; k < sizeof rops / sizeof rops[0]; k++) {
        einc__view ov = xv, qv = xv;
        ov.data = (char *)y, qv.data = (char *)r;
        ov.shape[1] = qv.shape[1] = 1;
        ov.strides[0] = qv.strides[0] = 1;
        for (int64_t i = 0; i < rows + 2; i++) y[i] = r[i] = 777.0f;
        einc__k_reduce(rops[k], &ov, &xv, 2u, 0, 1);
        einc__k_reduce_ref(rops[k], &qv, &xv, 2u, 0, 1);
        int bad = count_bad(y, r, rows + 2, rops[k] == EINC_REDUCE_LOGSUMEXP ? 5e-7 : 2e-7, 1e-6);
        if (bad)
            fprintf(stderr, "%s %s rows %lld n %lld kind %d layout %d: %d bad\n", lv, einc_reduce_op_name(rops[k]),
                    (long long)rows, (long long)n, kind, layout, bad);
        CHECK(bad == 0);
    }
    free(x);
    free(xt);
    free(y);
    free(r);
}

TEST(softmax_and_reductions_match_reference) {
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        for (int li = 0; li < NLEN; li++)
            for (int kind = 0; kind < 9; kind++)
                for (int layout = 0; layout < 3; layout++) {
                    int64_t n = LENGTHS[li], rows = n >= 1000 ? 5 : 9;
                    if (layout == 2 && n > 200) continue; /* column-major rows: the strided path is enough */
                    check_rows(rows, n, kind, layout, level_name(lv));
                }
        einc__cpu_level_force(before);
    }
}

/* A group of several runs (softmax over two axes) and rows longer than the kept buffer. */
TEST(softmax_multi_run_groups_and_long_rows) {
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        check_rows(2, 9000, 0, 0, level_name(lv));
        check_rows(2, 9000, 1, 1, level_name(lv));
        /* softmax over both axes of (5, 37) padded: runs of 37 joined into one group */
        float x[5 * 40], y[5 * 40], r[5 * 40];
        fill_rows(x, 5, 37, 40, 1);
        einc__view xv;
        memset(&xv, 0, sizeof xv);
        xv.data = (char *)x, xv.dtype = EINC_FLOAT32, xv.ndim = 2;
        xv.shape[0] = 5, xv.shape[1] = 37, xv.strides[0] = 40, xv.strides[1] = 1;
        einc__view yv = xv, rv = xv;
        yv.data = (char *)y, rv.data = (char *)r;
        for (int lg = 0; lg < 2; lg++) {
            for (int i = 0; i < 200; i++) y[i] = r[i] = 1.0f;
            einc__k_softmax(&yv, &xv, 3u, lg, 0, 1);
            einc__k_softmax_ref(&rv, &xv, 3u, lg, 0, 1);
            CHECK(count_bad(y, r, 200, 5e-7, 1e-9) == 0);
        }
        einc__cpu_level_force(before);
    }
}

/* Reductions over the non-contiguous axes of float32 (reduce.c's column mode: the vector column
 * kernels for sum / max / min): (P, R, C) with padded rows (ld = C + 3) and planes, reduced over
 * axis 1 or over axes 0 and 1 (several runs of rows per column), C around the vector widths and
 * the column chunk, R around the four rows a kernel step takes, NaN / inf patterns. Against the
 * reference; every level and every worker split gives the bits of the portable level, one worker. */
static void check_columns(int64_t p, int64_t rows, int64_t c, int kind, uint32_t mask, float *base, int lv) {
    int64_t ld = c + 3, ps = rows * ld + 5, size = p * ps;
    float *x = malloc(sizeof(float) * (size_t)size), *y = malloc(sizeof(float) * (size_t)(p * c + 2));
    float *r = malloc(sizeof(float) * (size_t)(p * c + 2)), *z = malloc(sizeof(float) * (size_t)(p * c + 2));
    for (int64_t q = 0; q < p; q++) fill_rows(x + q * ps, rows, c, ld, kind);
    einc__view xv;
    memset(&xv, 0, sizeof xv);
    xv.dtype = EINC_FLOAT32, xv.ndim = 3, xv.data = (char *)x;
    xv.shape[0] = p, xv.shape[1] = rows, xv.shape[2] = c;
    xv.strides[0] = ps, xv.strides[1] = ld, xv.strides[2] = 1;
    int64_t np = mask & 1u ? 1 : p;
    einc__view yv = xv;
    yv.shape[0] = np, yv.shape[1] = 1, yv.strides[0] = c, yv.strides[1] = c, yv.strides[2] = 1;
    einc__view rv = yv, zv = yv;
    yv.data = (char *)y, rv.data = (char *)r, zv.data = (char *)z;
    static const einc_reduce_op ops[] = {EINC_REDUCE_SUM, EINC_REDUCE_MAX, EINC_REDUCE_MIN, EINC_REDUCE_MEAN};
    for (int k = 0; k < 4; k++) {
        int64_t nout = np * c;
        for (int64_t i = 0; i < nout + 2; i++) y[i] = r[i] = z[i] = 777.0f;
        einc__k_reduce(ops[k], &yv, &xv, mask, 0, 1);
        einc__k_reduce_ref(ops[k], &rv, &xv, mask, 0, 1);
        int bad = count_bad(y, r, nout + 2, ops[k] == EINC_REDUCE_MAX || ops[k] == EINC_REDUCE_MIN ? 0 : 2e-7, 1e-6);
        for (int nth = 3; nth <= 7; nth += 4)
            for (int ith = nth - 1; ith >= 0; ith--) einc__k_reduce(ops[k], &zv, &xv, mask, ith, nth);
        bool split_same = memcmp(y, z, sizeof(float) * (size_t)(nout + 2)) == 0;
        float *b = base + k * (p * c + 2);
        if (lv == 0) memcpy(b, y, sizeof(float) * (size_t)(nout + 2));
        bool level_same = memcmp(b, y, sizeof(float) * (size_t)(nout + 2)) == 0;
        if (bad || !split_same || !level_same)
            fprintf(stderr, "%s %s (%lld, %lld, %lld) mask %#x kind %d: %d bad, split %s, level 0 %s\n", level_name(lv),
                    einc_reduce_op_name(ops[k]), (long long)p, (long long)rows, (long long)c, mask, kind, bad,
                    split_same ? "same" : "differs", level_same ? "same" : "differs");
        CHECK(bad == 0 && split_same && level_same);
    }
    /* softmax / log_softmax over the same axes, y laid out as x (the column kernels' case) */
    float *sy = malloc(sizeof(float) * (size_t)(size + 2)), *sr = malloc(sizeof(float) * (size_t)(size + 2));
    float *sz = malloc(sizeof(float) * (size_t)(size + 2));
    einc__view syv = xv, srv = xv, szv = xv;
    syv.data = (char *)sy, srv.data = (char *)sr, szv.data = (char *)sz;
    for (int lg = 0; lg < 2; lg++) {
        for (int64_t i = 0; i < size + 2; i++) sy[i] = sr[i] = sz[i] = 777.0f;
        einc__k_softmax(&syv, &xv, mask, lg, 0, 1);
        einc__k_softmax_ref(&srv, &xv, mask, lg, 0, 1);
        for (int nth = 3; nth <= 7; nth += 4)
            for (int ith = nth - 1; ith >= 0; ith--) einc__k_softmax(&szv, &xv, mask, lg, ith, nth);
        int bad = count_bad(sy, sr, size + 2, 5e-7, 1e-9);
        bool split_same = memcmp(sy, sz, sizeof(float) * (size_t)(size + 2)) == 0;
        if (bad || !split_same)
            fprintf(stderr, "%s %s (%lld, %lld, %lld) mask %#x kind %d: %d bad, split %s\n", level_name(lv),
                    lg ? "log_softmax" : "softmax", (long long)p, (long long)rows, (long long)c, mask, kind, bad,
                    split_same ? "same" : "differs");
        CHECK(bad == 0 && split_same);
    }
    free(sy);
    free(sr);
    free(sz);
    free(x);
    free(y);
    free(r);
    free(z);
}

TEST(column_reductions_and_softmax_match_reference_at_every_level) {
    static const int64_t cols[] = {8, 9, 15, 16, 17, 31, 33, 100, 1023, 1024, 1025, 2100};
    static const int64_t rowss[] = {1, 3, 4, 5, 8, 9, 13};
    float *base = malloc(sizeof(float) * 4 * (3 * 2100 + 2));
    for (size_t ci = 0; ci < sizeof cols / sizeof cols[0]; ci++)
        for (size_t ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
            for (int kind = 0; kind < 9; kind++)
                for (uint32_t mask = 2u; mask <= 3u; mask++) {
                    uint64_t seed = rng_state;
                    for (int lv = 0; lv < num_levels(); lv++) {
                        int before = einc__cpu_level_force(lv);
                        rng_state = seed; /* the same data at every level */
                        check_columns(3, rowss[ri], cols[ci], kind, mask, base, lv);
                        einc__cpu_level_force(before);
                    }
                }
    free(base);
}

/* Worker splits of softmax rows give the same bits as one worker. */
TEST(softmax_rows_split_over_workers) {
    enum { R = 37, N = 100 };
    static float x[R * N], y1[R * N], y3[R * N];
    fill_rows(x, R, N, N, 0);
    for (int lv = 0; lv < num_levels(); lv++) {
        int before = einc__cpu_level_force(lv);
        einc__view xv;
        memset(&xv, 0, sizeof xv);
        xv.data = (char *)x, xv.dtype = EINC_FLOAT32, xv.ndim = 2;
        xv.shape[0] = R, xv.shape[1] = N, xv.strides[0] = N, xv.strides[1] = 1;
        einc__view a = xv, b = xv;
        a.data = (char *)y1, b.data = (char *)y3;
        einc__k_softmax(&a, &xv, 2u, false, 0, 1);
        for (int ith = 0; ith < 3; ith++) einc__k_softmax(&b, &xv, 2u, false, ith, 3);
        CHECK(memcmp(y1, y3, sizeof y1) == 0);
        einc__cpu_level_force(before);
    }
}

int main(void) {
    RUN(elementary_ulps_every_level);
    RUN(exp_special_values_every_level);
    RUN(log_tanh_sigmoid_special_values_every_level);
    RUN(unary_maps_match_reference);
    RUN(streaming_maps_match_scalar);
    RUN(binary_maps_match_reference);
    RUN(softmax_and_reductions_match_reference);
    RUN(softmax_multi_run_groups_and_long_rows);
    RUN(softmax_rows_split_over_workers);
    RUN(column_reductions_and_softmax_match_reference_at_every_level);
    return test_summary();
}
