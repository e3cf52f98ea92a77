/* vecmath.h — float32 math that vectorises: scalar forms the compiler vectorises (the baseline
 * and the oracle of the level code) and the row kernels chosen at run time (vecmath.c) that the
 * elementwise, reduction and softmax kernels call on contiguous float32 runs. Private. */
#ifndef EINC_VECMATH_H
#define EINC_VECMATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "isa.h"

/* c ? a : b through an integer mask. Under the default -ftrapping-math GCC keeps a float select
 * whose operands need arithmetic as a branch, and a branch stops vectorisation; a mask does not. */
static inline float einc__k_select_f32(bool c, float a, float b) {
    uint32_t ua, ub, m = 0u - (uint32_t)c;
    memcpy(&ua, &a, 4);
    memcpy(&ub, &b, 4);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, 4);
    return f;
}

/* exp(x) in float32, within 1 ulp of the exact value, NaN, ±inf, overflow and denormal results
 * included; loops over it vectorise (libm's expf is a call). x = n ln2 + r with a two-part ln2,
 * Cephes' degree-6 polynomial for exp(r), and 2^n applied as two power-of-two factors so that
 * denormal results are rounded once. */
static inline float einc__k_exp_f32(float x) {
    float xc = einc__k_select_f32(x < -104.0f, -104.0f, x);            /* exp(-104) rounds to 0 */
    xc = einc__k_select_f32(xc > 89.0f, 89.0f, xc);                    /* exp(89) overflows     */
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round(x / ln2) */
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t ni = (int32_t)einc__k_select_f32(n > -200.0f, n, -200.0f); /* NaN: any exponent */
    int32_t n1 = ni / 2, n2 = ni - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, 4);
    memcpy(&s2, &b2, 4);
    return p * s1 * s2;
}

/* log(x) in float32 (Cephes' logf: x = 2^e m with m in [sqrt(1/2), sqrt(2)), a degree-9
 * polynomial in m - 1 and a two-part ln2), about 1 ulp; denormal inputs are scaled up first.
 * Selects instead of branches, so loops over it vectorise (libm's logf is a call). */
static inline float einc__k_log_f32(float x) {
    bool sub = x < 1.17549435e-38f; /* denormals (and 0, negatives: fixed at the end) */
    float xs = einc__k_select_f32(sub, x * 8388608.0f, x);
    uint32_t bits;
    memcpy(&bits, &xs, 4);
    float e = (float)((int32_t)((bits >> 23) & 0xffu) - 126) - einc__k_select_f32(sub, 23.0f, 0.0f);
    uint32_t mb = (bits & 0x007fffffu) | 0x3f000000u;
    float m;
    memcpy(&m, &mb, 4); /* [0.5, 1) */
    bool lo = m < 0.707106781186547524f;
    e = e - einc__k_select_f32(lo, 1.0f, 0.0f);
    m = einc__k_select_f32(lo, m + m, m) - 1.0f;
    float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y = y + e * -2.12194440e-4f;
    y = y - 0.5f * z;
    float r = (m + y) + e * 0.693359375f;
    r = einc__k_select_f32(x == 0, -INFINITY, r);
    r = einc__k_select_f32(x < 0, NAN, r);
    r = einc__k_select_f32(x == INFINITY, INFINITY, r);
    return einc__k_select_f32(x != x, x, r);
}

/* sigmoid over exp of -|x| only, so it never overflows; both branches are computed and selected
 * by mask so that loops vectorise. */
static inline float einc__k_sigmoid_f32(float x) {
    float e = einc__k_exp_f32(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return einc__k_select_f32(x >= 0, s, e * s);
}

/* Cephes' tanhf: 1 - 2 / (exp(2|x|) + 1) from |x| = 0.625 on, an odd polynomial below (which
 * keeps the relative accuracy near 0, and -0.0 as -0.0). */
static inline float einc__k_tanh_f32(float x) {
    float ax = fabsf(x);
    float big = copysignf(1.0f - 2.0f / (einc__k_exp_f32(ax + ax) + 1.0f), x);
    float z = x * x;
    float small =
        ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
         3.33332819422e-1f) *
            z * x +
        x;
    return einc__k_select_f32(ax >= 0.625f, big, einc__k_select_f32(x == 0, x, small));
}

/* ---- row kernels over contiguous float32, chosen at run time (vecmath.c) -------------------- *
 * Each reads einc__cpu_level() and runs the AVX-512 (16 lanes), AVX2 (8 lanes) or portable code;
 * tails are masked loads / stores at the x86 levels, so short rows cost no scalar loops. Results
 * depend only on n and the level (never on where a row was split between workers, for the maps).
 * `stream`: write y with non-temporal stores (large outputs that would not stay in cache). */

/* The online (one pass) max and sum of exponentials of a float32 group: r is the running max,
 * s = sum(exp(x - r)) in float64, rescaled (by exp in float64) when r grows. Start from
 * EINC__LSE_INIT; feed the group's runs in any number of calls. At the end r is the max unless
 * s is NaN (a NaN, +inf or (-inf) - (-inf) was met). */
typedef struct {
    float r;
    double s;
} einc__lse_f32;
#define EINC__LSE_INIT                                                                                                 \
    { -INFINITY, 0.0 }
void einc__vm_lse_f32(einc__lse_f32 *st, const float *x, int64_t n);
/* The statistics of nrows whole rows of n elements, row j at x + j * xr, into st[j] (no need to
 * initialise them): one call for many short rows. Rows of up to EINC__VM_KEEP elements run
 * softmax's pipeline (each row's max read first, beside the previous row's sums), so the
 * statistics never rescale; longer rows use the online form. */
void einc__vm_lse_rows_f32(einc__lse_f32 *st, const float *x, int64_t xr, int64_t nrows, int64_t n);

/* Rows of at most this many elements can keep their exponentials (einc__vm_softmax_rows_f32). */
#define EINC__VM_KEEP 4096
/* softmax (is_log: log_softmax) of nrows contiguous rows of n elements each (softmax: n <=
 * EINC__VM_KEEP), row j at x + j * xr and y + j * yr: two passes per row over memory (the
 * statistics, then the output; softmax keeps its exponentials in between, so one exp per
 * element), the rows pipelined. softmax takes each row's max first (the row after the one whose
 * exponentials it computes) and sums in float32 blocks; log_softmax does the same with float64
 * sums for rows of up to EINC__VM_KEEP elements and uses the online form for longer ones. A row
 * whose sum is NaN or whose max is not finite is all NaN. */
void einc__vm_softmax_rows_f32(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n, bool is_log,
                               bool stream);
/* Orders the streaming stores of the calls before it (once after a kernel's last one). */
void einc__vm_fence(void);

/* y = exp(x - m) * scale (softmax's normalising pass when the exponentials were not kept). */
void einc__vm_softmax_f32(float *y, const float *x, int64_t n, float m, float scale, bool stream);
/* y = (x - m) - ls (log_softmax's pass). */
void einc__vm_log_softmax_f32(float *y, const float *x, int64_t n, float m, float ls, bool stream);

/* sum(x) accumulated in float64 (several vector accumulators). */
double einc__vm_sum_f32(const float *x, int64_t n);
/* max / min of x with NaN winning (any NaN gives NaN); -inf / +inf for n == 0. */
float einc__vm_max_f32(const float *x, int64_t n);
float einc__vm_min_f32(const float *x, int64_t n);

/* Column reductions (reduce.c's column mode): nrows rows of n contiguous floats, row r at
 * x + r * xr, folded into n running results. sum: acc[j] += x[r][j] in float64, row by row in
 * order (the same sums, bit for bit, at every level and however the columns are split); max / min:
 * acc[j] = x[r][j] when it is greater (is_max) / smaller than acc[j] or NaN, so that a NaN stays
 * and a later NaN replaces it, as reduce.c's scalar column loop does. */
void einc__vm_col_sum_f32(double *acc, const float *x, int64_t xr, int64_t nrows, int64_t n);
void einc__vm_col_max_f32(float *acc, const float *x, int64_t xr, int64_t nrows, int64_t n, bool is_max);
/* The first i with x[i] == v, or with x[i] NaN when v is NaN; n when there is none (argmax /
 * argmin of a contiguous row: its max / min first, then this scan, from L1). */
int64_t einc__vm_find_f32(const float *x, int64_t n, float v);
/* softmax over a non-contiguous axis (softmax.c's column mode), given each column's max m (from
 * einc__vm_col_max_f32): s[j] += exp(x[r][j] - m[j]) in float64, row by row; then
 * y[r][j] = exp(x[r][j] - m[j]) * c[j] (c = 1 / s), or (x[r][j] - m[j]) - c[j] for is_log (c = log s),
 * the exponentials taken again rather than kept (a read of x costs less than a write and a read
 * of y). A NaN or infinite max gives NaN, as (x - m) does. */
void einc__vm_col_sumexp_f32(double *s, const float *m, const float *x, int64_t xr, int64_t nrows, int64_t n);
void einc__vm_col_softmax_f32(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                              const float *m, const float *c, bool is_log, bool stream);

/* y = op(x) for the ops with vector code at the active level (exp, log, tanh, sigmoid, sqrt,
 * neg, abs, square, relu, reciprocal); false (nothing written) for the others and at the
 * baseline, where the callers' own loops vectorise. */
bool einc__vm_unary_f32(einc_unary_op op, float *y, const float *x, int64_t n, bool stream);
/* y = op(a, b) for add, sub, mul, div, maximum, minimum; as / bs are 1 (a run) or 0 (one value
 * broadcast). false (nothing written) for other ops and at the baseline. */
bool einc__vm_binary_f32(einc_binary_op op, float *y, const float *a, int64_t as, const float *b, int64_t bs, int64_t n,
                         bool stream);

/* Outputs of this many elements and more are written with streaming stores. */
#define EINC__VM_STREAM_ELEMS ((int64_t)1 << 20)

/* Fused attention's row steps (kernels/attention.c; level code only: the baseline runs the
 * reference). Both work on nrows rows of n scores, row r at s + r * ld (ld a multiple of 16, the
 * vectors of a row may be read and written up to n rounded up to 16), the bias tile (NULL: none)
 * laid out alike, columns from valid_r = clamp(valid0 + r * vstep, 0, n) on masked (-inf).
 * fwd: the online softmax step in base 2 (FlashAttention-2's: the scores come times log2(e), from
 * q packed times scale * log2(e), so that the exponentials are 2^x, whose argument reduction is
 * exact and cheaper). s := x = scale * s + log2(e) * bias, then 2^(x - m_new) in place, where
 * m_new = max(m[r], max x); l[r] = l[r] * 2^(m[r] - m_new) + sum 2^(...), m[r] = m_new (base 2:
 * the log-sum-exp is m[r] ln 2 + log l[r]), and the output row o + r * ldo (no floats, a multiple
 * of 16) is scaled by the same 2^(m[r] - m_new).
 * bwd: s := P = exp(x - lse[r]) (0 where masked), dp := P * (dp - dd[r]) (the gradient of x). */
/* narrow: the whole forward of nrows (1 to EINC__ATTN_NARROW_ROWS) query rows for heads of at most EINC__ATTN_NARROW
 * (d and e), where the tiles' micro-kernels would spend more on loads and stores than on FMAs: q
 * already scaled, times log2(e) as for fwd (qs [nrows][dp], zeros past d); keys and values transposed, kt [dp][ldk] and
 * vt [ep][ldk] (dp = EINC__ATTN_NARROW_PAD(d), ep likewise: zero rows past d and e; ldk a multiple of 16, zeros past
 * m); the bias rows brow [nrows][ldk] (NULL: none; finite past m); row r's keys from valid0 + r * vstep on masked. Keys
 * go by in blocks of 256 with the online softmax between blocks; writes row r's e outputs at o + r * ors + c * ocs and,
 * when lse != NULL, its log-sum-exp at lse + r * lrs. */
#define EINC__LOG2E 1.44269504088896340736
#define EINC__LOG2E_F ((float)EINC__LOG2E)
#define EINC__LN2_F 0.693147180559945309f
#define EINC__ATTN_NARROW 8
#define EINC__ATTN_NARROW_ROWS 4 /* rows per call: they share every load of k^T and v^T */
#define EINC__ATTN_NARROW_PAD(x) ((x) <= 4 ? 4 : 8)
#define EINC__VM_ATTN_DECLARE(sfx)                                                                                     \
    void einc__vm_attn_narrow_f32_##sfx(const float *qs, int64_t d, const float *kt, const float *vt, int64_t ldk,     \
                                        int64_t e, const float *brow, int64_t m, int64_t valid0, int64_t vstep,        \
                                        int nrows, float *o, int64_t ors, int64_t ocs, float *lse, int64_t lrs);       \
    void einc__vm_attn_fwd_rows_f32_##sfx(float *s, int64_t ld, const float *bias, int64_t nrows, int64_t n,           \
                                          int64_t valid0, int64_t vstep, float scale, float *m, float *l, float *o,    \
                                          int64_t ldo, int64_t no);                                                    \
    void einc__vm_attn_bwd_rows_f32_##sfx(float *s, float *dp, int64_t ld, const float *bias, int64_t nrows,           \
                                          int64_t n, int64_t valid0, int64_t vstep, float scale, const float *lse,     \
                                          const float *dd);

/* The per-level implementations behind the dispatchers (vecmath_avx2.c, vecmath_avx512.c). */
#define EINC__VM_DECLARE(sfx)                                                                                          \
    void einc__vm_lse_f32_##sfx(einc__lse_f32 *st, const float *x, int64_t n);                                         \
    void einc__vm_lse_rows_f32_##sfx(einc__lse_f32 *st, const float *x, int64_t xr, int64_t nrows, int64_t n);         \
    void einc__vm_softmax_rows_f32_##sfx(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,   \
                                         bool is_log, bool stream);                                                    \
    void einc__vm_fence_##sfx(void);                                                                                   \
    void einc__vm_softmax_f32_##sfx(float *y, const float *x, int64_t n, float m, float scale, bool stream);           \
    void einc__vm_log_softmax_f32_##sfx(float *y, const float *x, int64_t n, float m, float ls, bool stream);          \
    double einc__vm_sum_f32_##sfx(const float *x, int64_t n);                                                          \
    float einc__vm_max_f32_##sfx(const float *x, int64_t n);                                                           \
    float einc__vm_min_f32_##sfx(const float *x, int64_t n);                                                           \
    void einc__vm_col_sum_f32_##sfx(double *acc, const float *x, int64_t xr, int64_t nrows, int64_t n);                \
    void einc__vm_col_max_f32_##sfx(float *acc, const float *x, int64_t xr, int64_t nrows, int64_t n, bool is_max);    \
    int64_t einc__vm_find_f32_##sfx(const float *x, int64_t n, float v);                                               \
    void einc__vm_col_sumexp_f32_##sfx(double *s, const float *m, const float *x, int64_t xr, int64_t nrows,           \
                                       int64_t n);                                                                     \
    void einc__vm_col_softmax_f32_##sfx(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,    \
                                        const float *m, const float *c, bool is_log, bool stream);                     \
    bool einc__vm_unary_f32_##sfx(einc_unary_op op, float *y, const float *x, int64_t n, bool stream);                 \
    bool einc__vm_binary_f32_##sfx(einc_binary_op op, float *y, const float *a, int64_t as, const float *b,            \
                                   int64_t bs, int64_t n, bool stream);
#if EINC_X86_LEVELS
EINC__VM_DECLARE(avx2)
EINC__VM_DECLARE(avx512)
EINC__VM_ATTN_DECLARE(avx2)
EINC__VM_ATTN_DECLARE(avx512)
#endif

#endif /* EINC_VECMATH_H */
