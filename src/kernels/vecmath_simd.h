/* vecmath_simd.h — the vector math row kernels written once over a small SIMD vocabulary; included
 * by vecmath_avx2.c and vecmath_avx512.c, which define that vocabulary for their registers.
 *
 * The including file provides: W (float lanes), V / VD (float / double vectors), M (a lane mask),
 * VM(name) (the level's suffix), and the inline operations used below (v_*, m_*, vd_*). Loops take
 * four vectors per step so that the latency of FMA chains and of the accumulators is hidden; tails
 * are one masked load / store, never a scalar loop. Streaming stores are fenced by the caller,
 * once per kernel call (einc__vm_fence), not once per row.
 */

/* How far ahead (floats) the statistics pass asks for its input: far enough that the next row of
 * a softmax is on its way while this one is computed and written. */
#define PREFETCH_AHEAD 2048

/* ---- elementary functions ------------------------------------------------------------------- */

/* exp as einc__k_exp_f32, with FMAs. The clamps keep NaN: v_max / v_min return their second
 * operand when either is NaN. */
static inline V VM(vexp)(V x) {
    x = v_max(v_set1(-104.0f), x);
    x = v_min(v_set1(89.0f), x);
    /* round(x / ln2) by the 1.5 * 2^23 shift, the multiply fused into it */
    V n = v_sub(v_fma(x, v_set1(1.44269504088896341f), v_set1(12582912.0f)), v_set1(12582912.0f));
    V r = v_fnma(n, v_set1(0.693359375f), x);
    r = v_fnma(n, v_set1(-2.12194440e-4f), r);
    V p = v_set1(1.9875691500e-4f);
    p = v_fma(p, r, v_set1(1.3981999507e-3f));
    p = v_fma(p, r, v_set1(8.3334519073e-3f));
    p = v_fma(p, r, v_set1(4.1665795894e-2f));
    p = v_fma(p, r, v_set1(1.6666665459e-1f));
    p = v_fma(p, r, v_set1(5.0000001201e-1f));
    p = v_add(v_add(v_mul(p, v_mul(r, r)), r), v_set1(1.0f)); /* as the scalar rounds: 1 ulp */
    return v_ldexp(p, n);
}

/* exp(x) (BASE2: 2^x) for x <= 0 (and -inf, NaN): the softmax row kernels and fused attention,
 * whose arguments are x - max. No overflow clamp; n = round(x / ln 2) (2^x: round(x)) by the
 * 1.5 * 2^23 shift, r the rest, and a degree-5 polynomial with c0 = 1 (the minimax coefficients
 * of Arm's optimized-routines v_expf, 1.45 ulp relative on [-ln2/2, ln2/2]) in place of Cephes'
 * degree 6: 11 vector operations instead of 16, a quarter of the vector work of attention's row
 * steps.
 * exp reduces r = x - n ln2 with a two-part ln2 (two FMAs). 2^x, for attention's forward, whose
 * scores come in base 2 (q packed times scale * log2(e), as FlashAttention-2 does), has
 * r = x - n exactly (an add) and the same polynomial in r ln2 (its coefficients times powers of
 * ln2: the same approximation): three fewer FMA-port operations, whose count bounds those steps.
 * Where the level has no one-instruction ldexp (VM_EXP_SHIFT: AVX2), 2^n is built from the bits
 * of the rounding shift itself (1.5 * 2^23 + 127 + n holds 127 + n in its low bits), one shift
 * and one multiply in place of the two-factor ldexp's nine operations, and results below 2^-126.4
 * (where 127 + n would leave the exponent field) are 0 instead of denormals: a compare and an
 * AND, which also give 0 for -inf and keep NaN (NaN compares unordered, kept). Elsewhere results
 * below 2^-150 are 0. Always inlined, so that BASE2 leaves one straight form of each. */
static inline __attribute__((always_inline)) V VM(vexp_le0_base)(V x, const bool base2) {
    static const float ce[5] = {0x1.0e4020p-7f, 0x1.573e2ep-5f, 0x1.555e66p-3f, 0x1.fffdb6p-2f, 0x1.ffffecp-1f};
    static const float c2[5] = {0x1.59ed2cp-10f, 0x1.3cee16p-7f, 0x1.c6bca0p-5f, 0x1.ebf9acp-3f, 0x1.62e422p-1f};
    const float *c = base2 ? c2 : ce;
#if VM_EXP_SHIFT
    const float shift = 12582912.0f + 127.0f;
    M keep = m_nlt(x, v_set1(base2 ? -126.4f : -87.6f));
#else
    const float shift = 12582912.0f;
    x = v_max(v_set1(base2 ? -151.0f : -104.0f), x); /* keeps NaN */
#endif
    V t = base2 ? v_add(x, v_set1(shift)) : v_fma(x, v_set1(1.44269504088896341f), v_set1(shift));
    V n = v_sub(t, v_set1(shift));
    V r = base2 ? v_sub(x, n) : v_fnma(n, v_set1(-2.12194440e-4f), v_fnma(n, v_set1(0.693359375f), x));
    V p = v_fma(v_set1(c[0]), r, v_set1(c[1]));
    for (int k = 2; k < 5; k++) p = v_fma(p, r, v_set1(c[k]));
    p = v_fma(p, r, v_set1(1.0f));
#if VM_EXP_SHIFT
    return v_keep(v_mul(p, v_pow2_bits(t)), keep);
#else
    return v_ldexp(p, n);
#endif
}
static inline V VM(vexp_le0)(V x) { return VM(vexp_le0_base)(x, false); }
static inline V VM(vexp2_le0)(V x) { return VM(vexp_le0_base)(x, true); }

/* log as einc__k_log_f32. */
static inline V VM(vlog)(V x) {
    M sub = m_lt(x, v_set1(1.17549435e-38f));
    V xs = v_sel(sub, v_mul(x, v_set1(8388608.0f)), x);
    V e = v_sub(v_exponent(xs), v_sel(sub, v_set1(23.0f), v_zero()));
    V m = v_mantissa(xs); /* [0.5, 1) */
    M lo = m_lt(m, v_set1(0.707106781186547524f));
    e = v_sel(lo, v_sub(e, v_set1(1.0f)), e);
    m = v_sub(v_sel(lo, v_add(m, m), m), v_set1(1.0f));
    V z = v_mul(m, m);
    V y = v_set1(7.0376836292e-2f);
    y = v_fma(y, m, v_set1(-1.1514610310e-1f));
    y = v_fma(y, m, v_set1(1.1676998740e-1f));
    y = v_fma(y, m, v_set1(-1.2420140846e-1f));
    y = v_fma(y, m, v_set1(1.4249322787e-1f));
    y = v_fma(y, m, v_set1(-1.6668057665e-1f));
    y = v_fma(y, m, v_set1(2.0000714765e-1f));
    y = v_fma(y, m, v_set1(-2.4999993993e-1f));
    y = v_fma(y, m, v_set1(3.3333331174e-1f));
    y = v_mul(v_mul(y, m), z);
    y = v_fma(e, v_set1(-2.12194440e-4f), y);
    y = v_fnma(v_set1(0.5f), z, y);
    V r = v_fma(e, v_set1(0.693359375f), v_add(m, y));
    r = v_sel(m_eq(x, v_zero()), v_set1(-INFINITY), r);
    r = v_sel(m_lt(x, v_zero()), v_set1(NAN), r);
    r = v_sel(m_eq(x, v_set1(INFINITY)), x, r);
    return v_sel(m_unord(x, x), x, r);
}

static inline V VM(vsigmoid)(V x) {
    V e = VM(vexp)(v_neg(v_abs(x)));
    V s = v_div(v_set1(1.0f), v_add(v_set1(1.0f), e));
    return v_sel(m_ge(x, v_zero()), s, v_mul(e, s));
}

static inline V VM(vtanh)(V x) {
    V ax = v_abs(x);
    V big = v_sub(v_set1(1.0f), v_div(v_set1(2.0f), v_add(VM(vexp)(v_add(ax, ax)), v_set1(1.0f))));
    big = v_or(big, v_and(x, v_set1(-0.0f))); /* copysign: big >= 0 */
    V z = v_mul(x, x);
    V p = v_set1(-5.70498872745e-3f);
    p = v_fma(p, z, v_set1(2.06390887954e-2f));
    p = v_fma(p, z, v_set1(-5.37397155531e-2f));
    p = v_fma(p, z, v_set1(1.33314422036e-1f));
    p = v_fma(p, z, v_set1(-3.33332819422e-1f));
    V small = v_fma(v_mul(p, z), x, x);
    small = v_sel(m_eq(x, v_zero()), x, small);
    return v_sel(m_ge(ax, v_set1(0.625f)), big, small);
}

/* ---- maps: y[i] = F(x[i]) over a run, streaming or not ------------------------------------------ */

/* Elements before y reaches a vector-aligned address (streaming stores need one). */
static inline int64_t VM(head)(const float *y, int64_t n) {
    int64_t h = (int64_t)(((uintptr_t)0 - (uintptr_t)y) & (uintptr_t)(W * 4 - 1)) / 4;
    return h < n ? h : n;
}

/* The loop every map uses: EXPR computes the vector `r` from the loaded `a` (and `b`); LOADB loads
 * b at offset i (or broadcasts it). The head (streaming only) and the tail are masked. */
#define VM_MAP(LOADB, LOADB_TAIL, EXPR)                                                                                \
    do {                                                                                                               \
        int64_t i = 0;                                                                                                 \
        if (stream) {                                                                                                  \
            int64_t h = VM(head)(y, n);                                                                                \
            if (h > 0) {                                                                                               \
                V a = v_load_tail(x, h, 0.0f), b = LOADB_TAIL(0, h);                                                   \
                (void)b;                                                                                               \
                V r = (EXPR);                                                                                          \
                v_store_tail(y, r, h);                                                                                 \
                i = h;                                                                                                 \
            }                                                                                                          \
            for (; i + W <= n; i += W) {                                                                               \
                V a = v_loadu(x + i), b = LOADB(i);                                                                    \
                (void)b;                                                                                               \
                v_stream(y + i, (EXPR));                                                                               \
            }                                                                                                          \
        } else {                                                                                                       \
            for (; i + 2 * W <= n; i += 2 * W) {                                                                       \
                V a = v_loadu(x + i), b = LOADB(i);                                                                    \
                (void)b;                                                                                               \
                V r0 = (EXPR);                                                                                         \
                a = v_loadu(x + i + W), b = LOADB(i + W);                                                              \
                v_storeu(y + i, r0);                                                                                   \
                v_storeu(y + i + W, (EXPR));                                                                           \
            }                                                                                                          \
            for (; i + W <= n; i += W) {                                                                               \
                V a = v_loadu(x + i), b = LOADB(i);                                                                    \
                (void)b;                                                                                               \
                v_storeu(y + i, (EXPR));                                                                               \
            }                                                                                                          \
        }                                                                                                              \
        if (i < n) {                                                                                                   \
            V a = v_load_tail(x + i, n - i, 1.0f), b = LOADB_TAIL(i, n - i);                                           \
            (void)b;                                                                                                   \
            V r = (EXPR);                                                                                              \
            v_store_tail(y + i, r, n - i);                                                                             \
        }                                                                                                              \
        if (stream) v_fence();                                                                                         \
    } while (0)

#define VM_NOB(i) a
#define VM_NOB_TAIL(i, k) a

void VM(einc__vm_softmax_f32)(float *y, const float *x, int64_t n, float m, float scale, bool stream) {
    V vm = v_set1(m), vs = v_set1(scale);
    VM_MAP(VM_NOB, VM_NOB_TAIL, v_mul(VM(vexp)(v_sub(a, vm)), vs));
}

void VM(einc__vm_log_softmax_f32)(float *y, const float *x, int64_t n, float m, float ls, bool stream) {
    V vm = v_set1(m), vl = v_set1(ls);
    VM_MAP(VM_NOB, VM_NOB_TAIL, v_sub(v_sub(a, vm), vl));
}

bool VM(einc__vm_unary_f32)(einc_unary_op op, float *y, const float *x, int64_t n, bool stream) {
    switch (op) {
    case EINC_EXP: VM_MAP(VM_NOB, VM_NOB_TAIL, VM(vexp)(a)); return true;
    case EINC_LOG: VM_MAP(VM_NOB, VM_NOB_TAIL, VM(vlog)(a)); return true;
    case EINC_TANH: VM_MAP(VM_NOB, VM_NOB_TAIL, VM(vtanh)(a)); return true;
    case EINC_SIGMOID: VM_MAP(VM_NOB, VM_NOB_TAIL, VM(vsigmoid)(a)); return true;
    case EINC_SQRT: VM_MAP(VM_NOB, VM_NOB_TAIL, v_sqrt(a)); return true;
    case EINC_NEG: VM_MAP(VM_NOB, VM_NOB_TAIL, v_neg(a)); return true;
    case EINC_ABS: VM_MAP(VM_NOB, VM_NOB_TAIL, v_abs(a)); return true;
    case EINC_SQUARE: VM_MAP(VM_NOB, VM_NOB_TAIL, v_mul(a, a)); return true;
    /* relu: NaN stays NaN (v_max returns its second operand on NaN) and -0.0 stays -0.0, as
     * `v < 0 ? 0 : v` gives */
    case EINC_RELU: VM_MAP(VM_NOB, VM_NOB_TAIL, v_sel(m_lt(a, v_zero()), v_zero(), a)); return true;
    case EINC_RECIPROCAL: VM_MAP(VM_NOB, VM_NOB_TAIL, v_div(v_set1(1.0f), a)); return true;
    default: return false;
    }
}

/* a and b: runs or broadcast values; the binary map is written as a map over a with b alongside. */
#define VM_B(i) v_loadu(bp + (i))
#define VM_B_TAIL(i, k) v_load_tail(bp + (i), (k), 1.0f)
#define VM_B0(i) vb
#define VM_B0_TAIL(i, k) vb

#define VM_BINARY_CASES(LB, LBT)                                                                                       \
    switch (op) {                                                                                                      \
    case EINC_ADD: VM_MAP(LB, LBT, v_add(a, b)); return true;                                                          \
    case EINC_SUB: VM_MAP(LB, LBT, v_sub(a, b)); return true;                                                          \
    case EINC_MUL: VM_MAP(LB, LBT, v_mul(a, b)); return true;                                                          \
    case EINC_DIV: VM_MAP(LB, LBT, v_div(a, b)); return true;                                                          \
    case EINC_MAXIMUM: VM_MAP(LB, LBT, v_sel(m_ge(a, b), a, v_sel(m_unord(a, a), a, b))); return true;                 \
    case EINC_MINIMUM: VM_MAP(LB, LBT, v_sel(m_le(a, b), a, v_sel(m_unord(a, a), a, b))); return true;                 \
    default: return false;                                                                                             \
    }

/* Swaps the roles of a and b for ops where b is a run and a is broadcast: only commutative ops
 * take that shortcut, the others keep their order through their own loops. */
bool VM(einc__vm_binary_f32)(einc_binary_op op, float *y, const float *a_, int64_t as, const float *b_, int64_t bs,
                             int64_t n, bool stream) {
    if (as == 1 && bs == 1) {
        const float *x = a_, *bp = b_;
        VM_BINARY_CASES(VM_B, VM_B_TAIL)
    }
    if (as == 1 && bs == 0) {
        const float *x = a_;
        V vb = v_set1(b_[0]);
        VM_BINARY_CASES(VM_B0, VM_B0_TAIL)
    }
    return false;
}

/* ---- reductions ------------------------------------------------------------------------------ */

/* Four vectors per step into eight float64 accumulators; the tail is one masked step. */
double VM(einc__vm_sum_f32)(const float *x, int64_t n) {
    VD acc[8];
    for (int k = 0; k < 8; k++) acc[k] = vd_zero();
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W)
        for (int k = 0; k < 4; k++) vd_add_f(&acc[2 * k], &acc[2 * k + 1], v_loadu(x + i + k * W));
    for (; i + W <= n; i += W) vd_add_f(&acc[0], &acc[1], v_loadu(x + i));
    if (i < n) vd_add_f(&acc[2], &acc[3], v_load_tail(x + i, n - i, 0.0f));
    for (int k = 0; k < 4; k++) acc[k] = vd_add(acc[k], acc[k + 4]);
    return vd_hsum(vd_add(vd_add(acc[0], acc[1]), vd_add(acc[2], acc[3])));
}

/* NaN is tracked in a mask of its own: v_max drops it. */
#define VM_EXTREMUM(OP, FILL, HOP)                                                                                     \
    do {                                                                                                               \
        V acc[4];                                                                                                      \
        for (int k = 0; k < 4; k++) acc[k] = v_set1(FILL);                                                             \
        M nan = m_none();                                                                                              \
        int64_t i = 0;                                                                                                 \
        for (; i + 4 * W <= n; i += 4 * W)                                                                             \
            for (int k = 0; k < 4; k++) {                                                                              \
                V v = v_loadu(x + i + k * W);                                                                          \
                nan = m_or(nan, m_unord(v, v));                                                                        \
                acc[k] = OP(acc[k], v);                                                                                \
            }                                                                                                          \
        for (; i < n; i += W) {                                                                                        \
            V v = i + W <= n ? v_loadu(x + i) : v_load_tail(x + i, n - i, FILL);                                       \
            nan = m_or(nan, m_unord(v, v));                                                                            \
            acc[0] = OP(acc[0], v);                                                                                    \
        }                                                                                                              \
        if (m_any(nan)) return NAN;                                                                                    \
        return HOP(OP(OP(acc[0], acc[1]), OP(acc[2], acc[3])));                                                        \
    } while (0)

float VM(einc__vm_max_f32)(const float *x, int64_t n) { VM_EXTREMUM(v_max, -INFINITY, v_hmax); }
float VM(einc__vm_min_f32)(const float *x, int64_t n) { VM_EXTREMUM(v_min, INFINITY, v_hmin); }

/* The total of eight float64 accumulators, in a fixed order. */
static inline double VM(acc_sum)(const VD *a) {
    return vd_hsum(
        vd_add(vd_add(vd_add(a[0], a[1]), vd_add(a[2], a[3])), vd_add(vd_add(a[4], a[5]), vd_add(a[6], a[7]))));
}

/* One pass of online softmax statistics, in blocks of four vectors: a lane test of the block
 * against r (a horizontal max only when some lane is above it, which is rare after a row's first
 * block), a rescale of the sums in float64 when r grows, then exp(x - r) added to float64
 * accumulators (each vector on its own: a float32 partial sum would round away the small terms
 * next to the max's exp(0) = 1, which log_softmax of a peaked row needs). While
 * r is still -inf (nothing but -inf and NaN so far) the exponentials are taken of x - 0: -inf
 * gives 0 and NaN stays NaN, so a later finite block is not poisoned by (-inf) - (-inf).
 * One block of four vectors at X + i (v, full, i, n, r, re, base, acc in scope). */
#define VM_LSE_BLOCK(X)                                                                                                \
    for (int k = 0; k < 4 * W; k += 16) v_prefetch(X + i + k + PREFETCH_AHEAD);                                        \
    if (full)                                                                                                          \
        for (int k = 0; k < 4; k++) v[k] = v_loadu(X + i + k * W);                                                     \
    else                                                                                                               \
        for (int k = 0; k < 4; k++) {                                                                                  \
            int64_t o = i + k * W, left = n - o;                                                                       \
            v[k] = left >= W ? v_loadu(X + o) : left > 0 ? v_load_tail(X + o, left, -INFINITY) : v_set1(-INFINITY);    \
        }                                                                                                              \
    V bmv = v_max(v_max(v[0], v[1]), v_max(v[2], v[3]));                                                               \
    if (m_any(m_gt(bmv, v_set1(r)))) {                                                                                 \
        float bm = v_hmax(bmv);                                                                                        \
        double g = 0.0; /* from r = -inf: what came before is 0 (or NaN) */                                            \
        if (r != -INFINITY) {                                                                                          \
            g = exp((double)r - (double)bm);                                                                           \
            base *= g;                                                                                                 \
            for (int k = 0; k < 8; k++) acc[k] = vd_mul(acc[k], vd_set1(g));                                           \
        }                                                                                                              \
        r = bm;                                                                                                        \
        re = v_set1(r);                                                                                                \
    }                                                                                                                  \
    V e0 = VM(vexp_le0)(v_sub(v[0], re)), e1 = VM(vexp_le0)(v_sub(v[1], re));                                          \
    V e2 = VM(vexp_le0)(v_sub(v[2], re)), e3 = VM(vexp_le0)(v_sub(v[3], re));                                          \
    vd_add_f(&acc[0], &acc[1], e0), vd_add_f(&acc[2], &acc[3], e1);                                                    \
    vd_add_f(&acc[4], &acc[5], e2), vd_add_f(&acc[6], &acc[7], e3);

#define VM_LSE_BODY                                                                                                    \
    float r = st->r;                                                                                                   \
    double base = st->s;                                                                                               \
    VD acc[8];                                                                                                         \
    for (int k = 0; k < 8; k++) acc[k] = vd_zero();                                                                    \
    V re = v_set1(r == -INFINITY ? 0.0f : r);                                                                          \
    for (int64_t i = 0; i < n; i += 4 * W) {                                                                           \
        V v[4];                                                                                                        \
        bool full = i + 4 * W <= n;                                                                                    \
        VM_LSE_BLOCK(x);                                                                                               \
    }                                                                                                                  \
    st->r = r;                                                                                                         \
    st->s = base + VM(acc_sum)(acc)

/* max of x[0, n), NaN lanes ignored (a NaN makes the statistics' sum NaN). Prefetches as the
 * statistics pass does, since this is the first read of the row. */
static inline float VM(row_max)(const float *x, int64_t n) {
    V a[4] = {v_set1(-INFINITY), v_set1(-INFINITY), v_set1(-INFINITY), v_set1(-INFINITY)};
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        for (int k = 0; k < 4 * W; k += 16) v_prefetch(x + i + k + PREFETCH_AHEAD);
        for (int k = 0; k < 4; k++) a[k] = v_max(v_loadu(x + i + k * W), a[k]);
    }
    if (i < n) v_prefetch(x + i + PREFETCH_AHEAD);
    for (; i < n; i += W) a[0] = v_max(n - i >= W ? v_loadu(x + i) : v_load_tail(x + i, n - i, -INFINITY), a[0]);
    return v_hmax(v_max(v_max(a[0], a[1]), v_max(a[2], a[3])));
}

static inline void VM(lse_one)(einc__lse_f32 *st, const float *x, int64_t n) { VM_LSE_BODY; }

void VM(einc__vm_lse_f32)(einc__lse_f32 *st, const float *x, int64_t n) { VM(lse_one)(st, x, n); }

void VM(einc__vm_fence)(void) { v_fence(); }

/* softmax, log_softmax and the log-sum-exp statistics of rows of at most EINC__VM_KEEP elements
 * (einc__vm_softmax_rows_f32, einc__vm_lse_rows_f32), three rows in flight: step j takes the max of row j + 1 (its one
 * read from memory), the exponentials of row j against its max (from L1 or L2, kept in a buffer, summed in float32) and
 * writes row j - 1 (its kept exponentials times 1 / sum), all in one loop over the columns, so
 * that memory reads, exp's arithmetic and the streaming stores overlap and no row waits for its
 * own max or sum. The sums: each of the W lanes adds at most VM_SM_FLUSH / (4 W) block sums of
 * four terms in [0, 1] before going to float64, good to a few ulp, which is enough for e / sum
 * (log_softmax needs the small terms beside the max's 1 and keeps float64). */
#define VM_SM_FLUSH 1024

typedef struct {
    const float *xn, *xc, *ep; /* the next row (its max), this row (its exp), the last row's exps */
    const float *xp;           /* log_softmax: the last row (its output is x - max - log sum) */
    float *ec, *yp;            /* this row's exps, the last row's output */
    V mx, vm, a, vf;           /* next row's max so far, this row's max, its sum so far, 1 / last sum */
    V vmp;                     /* log_softmax: the last row's max (and vf its log sum) */
    VD lo, hi;                 /* this row's float64 sum */
} VM(sm_rows);

/* One block of four vectors at column i: the stages PM (max), PE (exp), PO (output, streaming
 * when NT); LG: log_softmax (its exps are summed in float64 one by one, not kept). Always inlined,
 * so that constant flags leave straight code. */
static inline __attribute__((always_inline)) void VM(sm_block)(VM(sm_rows) * t, int64_t i, bool pm, bool pe, bool po,
                                                               bool nt, bool lg) {
    if (pm) {
        for (int k = 0; k < 4 * W; k += 16) v_prefetch(t->xn + i + k + PREFETCH_AHEAD);
        V m01 = v_max(v_loadu(t->xn + i), v_loadu(t->xn + i + W));
        V m23 = v_max(v_loadu(t->xn + i + 2 * W), v_loadu(t->xn + i + 3 * W));
        t->mx = v_max(v_max(m01, m23), t->mx); /* NaN lanes dropped: the sum catches them */
    }
    if (pe && lg)
        for (int k = 0; k < 4; k++) vd_add_f(&t->lo, &t->hi, VM(vexp_le0)(v_sub(v_loadu(t->xc + i + k * W), t->vm)));
    if (pe && !lg) {
        V ek[4];
        for (int k = 0; k < 4; k++) {
            ek[k] = VM(vexp_le0)(v_sub(v_loadu(t->xc + i + k * W), t->vm));
            v_storeu(t->ec + i + k * W, ek[k]);
        }
        t->a = v_add(t->a, v_add(v_add(ek[0], ek[1]), v_add(ek[2], ek[3])));
        if (((i + 4 * W) & (VM_SM_FLUSH - 1)) == 0) vd_add_f(&t->lo, &t->hi, t->a), t->a = v_zero();
    }
    if (po)
        for (int k = 0; k < 4; k++) {
            V y =
                lg ? v_sub(v_sub(v_loadu(t->xp + i + k * W), t->vmp), t->vf) : v_mul(v_loadu(t->ep + i + k * W), t->vf);
            if (nt) v_stream(t->yp + i + k * W, y);
            else v_storeu(t->yp + i + k * W, y);
        }
}

/* The columns past the last whole block: whole vectors, then one masked. */
static inline void VM(sm_tail)(VM(sm_rows) * t, int64_t i, int64_t n, bool pm, bool pe, bool po, bool nt, bool lg) {
    for (; i < n; i += W) {
        int64_t left = n - i;
        if (pm) t->mx = v_max(left >= W ? v_loadu(t->xn + i) : v_load_tail(t->xn + i, left, -INFINITY), t->mx);
        if (pe) {
            V v = left >= W ? v_loadu(t->xc + i) : v_load_tail(t->xc + i, left, -INFINITY);
            V ek = VM(vexp_le0)(v_sub(v, t->vm));
            if (lg) vd_add_f(&t->lo, &t->hi, ek);
            else v_storeu(t->ec + i, ek), t->a = v_add(t->a, ek); /* whole: the buffer has room */
        }
        if (po) {
            V y = lg ? v_sub(v_sub(left >= W ? v_loadu(t->xp + i) : v_load_tail(t->xp + i, left, 0.0f), t->vmp), t->vf)
                     : v_mul(v_loadu(t->ep + i), t->vf);
            if (left < W) v_store_tail(t->yp + i, y, left);
            else if (nt) v_stream(t->yp + i, y);
            else v_storeu(t->yp + i, y);
        }
    }
}

/* The pipeline over nrows (a multiple of R) rows, R rows per step: short rows take two at once, so
 * that the per-step work (the sum, 1 / sum, the next max, the loop) is shared and the rows'
 * chains overlap. ebuf: [2][R][ld] floats (softmax). LG: log_softmax, whose output pass
 * reads the last row's x again (from L1 or L2) instead of kept exponentials. */
static inline __attribute__((always_inline)) void VM(sm_steps)(float *y, int64_t yr, const float *x, int64_t xr,
                                                               int64_t nrows, int64_t n, bool stream, float *ebuf,
                                                               int64_t ld, const int R, const bool lg,
                                                               einc__lse_f32 *st) {
    /* per row of the last step: 1 / sum (log_softmax: log sum) and the max; r: this step's maxes */
    float last[2][2] = {{0.0f}}, lastm[2][2] = {{0.0f}}, r[2] = {0.0f};
    for (int k = 0; k < R; k++) r[k] = VM(row_max)(x + k * xr, n);
    int64_t nb = n / (4 * W) * (4 * W), steps = nrows / R;
    for (int64_t j = 0; j <= steps; j++) {
        int cur = (int)(j & 1);
        bool pm = j + 1 < steps, pe = (j < steps), po = (j > 0) && !st; /* st: statistics only */
        VM(sm_rows) t[2];
        bool nt = po && stream;
        for (int k = 0; k < R; k++) {
            int64_t row = j * R + k;
            t[k].xn = pm ? x + (row + R) * xr : x, t[k].xc = pe ? x + row * xr : x;
            t[k].xp = po ? x + (row - R) * xr : x;
            t[k].ep = ebuf ? ebuf + ((cur ^ 1) * R + k) * ld : NULL, t[k].ec = ebuf ? ebuf + (cur * R + k) * ld : NULL;
            t[k].yp = po ? y + (row - R) * yr : y;
            t[k].mx = v_set1(-INFINITY), t[k].vm = v_set1(r[k] == -INFINITY ? 0.0f : r[k]);
            t[k].a = v_zero(), t[k].vf = v_set1(last[cur ^ 1][k]), t[k].vmp = v_set1(lastm[cur ^ 1][k]);
            t[k].lo = t[k].hi = vd_zero();
            nt = nt && ((uintptr_t)t[k].yp & (W * 4 - 1)) == 0;
        }
        int64_t i = 0;
        if (pm && pe && po && nt)
            for (; i < nb; i += 4 * W)
                for (int k = 0; k < R; k++) VM(sm_block)(&t[k], i, true, true, true, true, lg);
        else if (pm && pe && po)
            for (; i < nb; i += 4 * W)
                for (int k = 0; k < R; k++) VM(sm_block)(&t[k], i, true, true, true, false, lg);
        else /* the first step and the last two: any stages */
            for (; i < nb; i += 4 * W)
                for (int k = 0; k < R; k++) VM(sm_block)(&t[k], i, pm, pe, po, nt, lg);
        for (int k = 0; k < R; k++) {
            VM(sm_tail)(&t[k], i, n, pm, pe, po, nt, lg);
            if (pe) {
                vd_add_f(&t[k].lo, &t[k].hi, t[k].a);
                double s = vd_hsum(vd_add(t[k].lo, t[k].hi));
                bool bad = isnan(s) || !isfinite(r[k]); /* NaN, +inf or only -inf: NaN */
                last[cur][k] = bad ? NAN : lg ? (float)log(s) : (float)(1.0 / s);
                lastm[cur][k] = bad ? NAN : r[k];
                if (st) st[j * R + k].r = r[k], st[j * R + k].s = s;
            }
            if (pm) r[k] = v_hmax(t[k].mx);
        }
    }
}

/* Rows up to this long go two per step (the fixed cost of a step, its horizontal max and sum and
 * 1 / sum, is a fair part of a short row's work; the shortest rows take softmax_rows_reg). */
#define VM_SM_PAIR_ROW 256

/* softmax (lg: log_softmax; st: only the log-sum-exp statistics, into st[]) of rows of at most
 * EINC__VM_KEEP elements: two rows per step while they last (short rows), then one.
 * Every call of sm_steps names R and lg as constants, so that each is compiled straight. */
static void VM(softmax_rows_kept)(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                                  bool stream, bool lg, einc__lse_f32 *st) {
    _Alignas(64) float ebuf[2 * (EINC__VM_KEEP + W)]; /* + W: the tail stores a whole vector */
    float *eb = st ? NULL : ebuf;
#define VM_SM_TIER(R, LD)                                                                                              \
    do {                                                                                                               \
        int64_t rows = nrows & ~(int64_t)(R - 1);                                                                      \
        if (rows && lg) VM(sm_steps)(y, yr, x, xr, rows, n, stream, eb, LD, R, true, st);                              \
        else if (rows) VM(sm_steps)(y, yr, x, xr, rows, n, stream, eb, LD, R, false, NULL);                            \
        if (y) y += rows * yr;                                                                                         \
        if (st) st += rows;                                                                                            \
        x += rows * xr, nrows -= rows;                                                                                 \
    } while (0)
    if (n <= VM_SM_PAIR_ROW) VM_SM_TIER(2, VM_SM_PAIR_ROW + W);
    VM_SM_TIER(1, EINC__VM_KEEP + W);
#undef VM_SM_TIER
}

/* Rows of at most VM_SM_REG_V vectors (64 floats at AVX2, 128 at AVX-512) take a lighter
 * pipeline: the general one's per-row cost (its step set-up, the horizontal max and sum, 1 / sum)
 * was as big as the work of such a row. Here each step is straight code over NV registers: the
 * max of row j + 1 (a tree, read from memory), then row j read again (from L1), its
 * exponentials against the max found one step earlier, their sum (a tree; 1 / sum stays in a
 * vector) and the output, so the exponentials never wait for their own row's max. (Deferring
 * the output by a step, through a kept buffer, measured no faster.) Sums: a float32 tree of
 * at most VM_SM_REG_V * W terms in [0, 1] for softmax (a few ulp, as the pipeline's blocks);
 * float64 for log_softmax and the statistics, as theirs. */
#define VM_SM_REG_V 8

/* Vector k of a row of NV vectors whose last holds `tail` elements; that one's lanes past the row
 * read as `fill` (nothing past the row is read). */
static inline __attribute__((always_inline)) V VM(sm_reg_load)(const float *x, int k, int64_t tail, const int NV,
                                                               float fill) {
    return k == NV - 1 && tail < W ? v_load_tail(x + k * W, tail, fill) : v_loadu(x + k * W);
}

/* The max of a row of NV vectors (the last holding tail elements), as a tree, in every lane. */
static inline __attribute__((always_inline)) V VM(sm_reg_max)(const float *x, int64_t tail, const int NV) {
    V m[VM_SM_REG_V];
#pragma GCC unroll 8
    for (int k = 0; k < NV * W; k += 16) v_prefetch(x + k + PREFETCH_AHEAD); /* the rows some steps on */
#pragma GCC unroll 8
    for (int k = 0; k < NV; k++) m[k] = VM(sm_reg_load)(x, k, tail, NV, -INFINITY);
#pragma GCC unroll 8
    for (int h = 1; h < NV; h *= 2) /* NaN lanes may drop: the sum catches them */
#pragma GCC unroll 8
        for (int k = 0; k + h < NV; k += 2 * h) m[k] = v_max(m[k], m[k + h]);
    return v_allmax(m[0]);
}

static inline __attribute__((always_inline)) void VM(sm_reg_rows)(float *y, int64_t yr, const float *x, int64_t xr,
                                                                  int64_t nrows, int64_t n, bool stream, const int NV,
                                                                  const bool lg, einc__lse_f32 *st) {
    const int64_t tail = n - (int64_t)(NV - 1) * W; /* 1 .. W elements in the last register */
    /* every row's output aligned: the first, and a row stride of whole vectors */
    bool nt = stream && y && ((uintptr_t)y & (W * 4 - 1)) == 0 && yr % W == 0;
    V mnext = nrows > 0 ? VM(sm_reg_max)(x, tail, NV) : v_zero();
    for (int64_t j = 0; j < nrows; j++) {
        const float *xj = x + j * xr;
        V mx = mnext, e[VM_SM_REG_V];
        if (j + 1 < nrows) mnext = VM(sm_reg_max)(xj + xr, tail, NV);
        V vm = v_sel(m_eq(mx, v_set1(-INFINITY)), v_zero(), mx); /* only -inf: exp(-inf - 0) = 0 */
#pragma GCC unroll 8
        for (int k = 0; k < NV; k++) e[k] = VM(vexp_le0)(v_sub(VM(sm_reg_load)(xj, k, tail, NV, -INFINITY), vm));
        V vf, vr = mx;
        if (lg || st) {
            VD lo = vd_zero(), hi = vd_zero();
#pragma GCC unroll 8
            for (int k = 0; k < NV; k++) vd_add_f(&lo, &hi, e[k]);
            double sum = vd_hsum(vd_add(lo, hi));
            float r = v_first(mx);
            if (st) {
                st[j].r = r, st[j].s = sum;
                continue;
            }
            bool bad = isnan(sum) || !isfinite(r); /* NaN, +inf or only -inf: NaN everywhere */
            vf = v_set1(bad ? NAN : (float)log(sum)), vr = v_set1(bad ? NAN : r);
        } else {
            V t[VM_SM_REG_V];
#pragma GCC unroll 8
            for (int k = 0; k < NV; k++) t[k] = e[k];
#pragma GCC unroll 8
            for (int h = 1; h < NV; h *= 2)
#pragma GCC unroll 8
                for (int k = 0; k + h < NV; k += 2 * h) t[k] = v_add(t[k], t[k + h]);
            /* 1 / sum in every lane; the bad rows need no test: a NaN or +inf in the row makes the
             * sum NaN, and a row of only -inf has sum 0, so 0 * (1 / 0) is NaN */
            vf = v_div(v_set1(1.0f), v_allsum(t[0]));
        }
        float *yj = y + j * yr;
#pragma GCC unroll 8
        for (int k = 0; k < NV; k++) {
            /* log_softmax: x again, from L1 */
            V out = lg ? v_sub(v_sub(VM(sm_reg_load)(xj, k, tail, NV, 0.0f), vr), vf) : v_mul(e[k], vf);
            if (k == NV - 1 && tail < W) v_store_tail(yj + k * W, out, tail); /* the row ends in it */
            else if (nt) v_stream(yj + k * W, out);
            else v_storeu(yj + k * W, out);
        }
    }
}

/* softmax, log_softmax (lg) or the statistics (st) of rows of 1 .. VM_SM_REG_V * W elements:
 * one straight body per register count and mode. */
static void VM(softmax_rows_reg)(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                                 bool stream, bool lg, einc__lse_f32 *st) {
#define VM_SM_REG_CASE(NV)                                                                                             \
    case NV:                                                                                                           \
        if (st) VM(sm_reg_rows)(NULL, 0, x, xr, nrows, n, false, NV, true, st);                                        \
        else if (lg) VM(sm_reg_rows)(y, yr, x, xr, nrows, n, stream, NV, true, NULL);                                  \
        else VM(sm_reg_rows)(y, yr, x, xr, nrows, n, stream, NV, false, NULL);                                         \
        return
    switch ((n + W - 1) / W) {
        VM_SM_REG_CASE(1);
        VM_SM_REG_CASE(2);
        VM_SM_REG_CASE(3);
        VM_SM_REG_CASE(4);
        VM_SM_REG_CASE(5);
        VM_SM_REG_CASE(6);
        VM_SM_REG_CASE(7);
        VM_SM_REG_CASE(8);
    default: return; /* n = 0: nothing */
    }
#undef VM_SM_REG_CASE
}

/* The log-sum-exp statistics of rows (logsumexp over the last axis): rows up to EINC__VM_KEEP
 * run log_softmax's pipeline without its output stage (the max of row j+1 beside the float64 sum
 * of row j), longer ones the online form. */
void VM(einc__vm_lse_rows_f32)(einc__lse_f32 *st, const float *x, int64_t xr, int64_t nrows, int64_t n) {
    if (n > EINC__VM_KEEP) {
        for (int64_t j = 0; j < nrows; j++) {
            st[j].r = -INFINITY, st[j].s = 0.0;
            VM(lse_one)(&st[j], x + j * xr, n);
        }
        return;
    }
    if (n <= VM_SM_REG_V * W) VM(softmax_rows_reg)(NULL, 0, x, xr, nrows, n, false, true, st);
    else VM(softmax_rows_kept)(NULL, 0, x, xr, nrows, n, false, true, st);
}

/* log_softmax of rows longer than EINC__VM_KEEP, software-pipelined: each block step runs the
 * statistics pass of row j (the online form, float64 sums) and the output pass of row j - 1
 * (x - max - log(sum), from x, just read), streaming into y, so that compute and writes overlap. */
static void VM(log_softmax_rows)(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                                 bool stream) {
    float mrow[2] = {0, 0}, lsrow[2] = {0, 0};
    for (int64_t j = 0; j <= nrows; j++) {
        int cur = (int)(j & 1), prev = cur ^ 1;
        bool p1 = j<nrows, p2 = j> 0;
        const float *xp = p1 ? x + j * xr : x, *xq = p2 ? x + (j - 1) * xr : x;
        float *yp = p2 ? y + (j - 1) * yr : y;
        bool nt = stream && ((uintptr_t)yp & (W * 4 - 1)) == 0;
        V vm = v_set1(mrow[prev]), vl = v_set1(lsrow[prev]);
        float r = -INFINITY;
        double base = 0.0;
        VD acc[8];
        for (int k = 0; k < 8; k++) acc[k] = vd_zero();
        V re = v_zero();
        for (int64_t i = 0; i < n; i += 4 * W) {
            if (p1) {
                V v[4];
                bool full = i + 4 * W <= n;
                VM_LSE_BLOCK(xp);
            }
            if (p2)
                for (int k = 0; k < 4; k++) {
                    int64_t o = i + k * W, left = n - o;
                    if (left >= W) {
                        V t = v_sub(v_sub(v_loadu(xq + o), vm), vl);
                        if (nt) v_stream(yp + o, t);
                        else v_storeu(yp + o, t);
                    } else if (left > 0) {
                        v_store_tail(yp + o, v_sub(v_sub(v_load_tail(xq + o, left, 0.0f), vm), vl), left);
                    }
                }
        }
        if (!p1) continue;
        double s = base + VM(acc_sum)(acc);
        bool bad = isnan(s) || !isfinite(r); /* NaN, +inf or only -inf: NaN everywhere */
        mrow[cur] = bad ? NAN : r;
        lsrow[cur] = bad ? NAN : (float)log(s);
    }
}

void VM(einc__vm_softmax_rows_f32)(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                                   bool is_log, bool stream) {
    if (n <= VM_SM_REG_V * W) VM(softmax_rows_reg)(y, yr, x, xr, nrows, n, stream, is_log, NULL);
    else if (n <= EINC__VM_KEEP) VM(softmax_rows_kept)(y, yr, x, xr, nrows, n, stream, is_log, NULL);
    else VM(log_softmax_rows)(y, yr, x, xr, nrows, n, stream); /* softmax: never above EINC__VM_KEEP */
}

/* ---- fused attention's row steps (vecmath.h) ------------------------------------------------ */

static const float VM(iota)[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* x = scale * s (+ b) on the vector of columns [i, i + W), -inf from column `valid` on. A select,
 * not an added -inf, so that a NaN score in a masked position stays masked. scale == 1 (q scaled
 * when packed) skips the multiply. */
static inline V VM(attn_score)(const float *s, const float *b, int64_t i, int64_t valid, V vs, bool scaled, V vbf) {
    if (i >= valid) return v_set1(-INFINITY);
    V x = v_loadu(s + i);
    if (scaled) x = v_mul(x, vs);
    if (b) x = v_fma(v_loadu(b + i), vbf, x); /* vbf: 1, or log2(e) for the forward's base 2 */
    if (i + W > valid) x = v_sel(m_lt(v_loadu(VM(iota)), v_set1((float)(valid - i))), x, v_set1(-INFINITY));
    return x;
}

static inline int64_t VM(attn_valid)(int64_t valid0, int64_t vstep, int64_t r, int64_t n) {
    int64_t v = valid0 + r * vstep;
    return v < 0 ? 0 : v > n ? n : v;
}

void VM(einc__vm_attn_fwd_rows_f32)(float *s, int64_t ld, const float *bias, int64_t nrows, int64_t n, int64_t valid0,
                                    int64_t vstep, float scale, float *m, float *l, float *o, int64_t ldo, int64_t no) {
    V vs = v_set1(scale), vbf = v_set1(EINC__LOG2E_F);
    for (int64_t r = 0; r < nrows; r++) {
        float *x = s + r * ld;
        const float *b = bias ? bias + r * ld : NULL;
        int64_t valid = VM(attn_valid)(valid0, vstep, r, n);
        /* pass 1: the scores (written back only where they change) and their max. A NaN need not
         * be tracked here: it reaches the sum below through its exp, and the row is NaN. */
        V mx = v_set1(-INFINITY);
        bool plain = !b && scale == 1.0f;
        for (int64_t i = 0; i < n; i += W) {
            V v = VM(attn_score)(x, b, i, valid, vs, scale != 1.0f, vbf);
            mx = v_max(mx, v);
            if (!plain || i + W > valid) v_storeu(x + i, v);
        }
        float mo = m[r], bm = v_hmax(mx);
        float mn = isnan(mo) ? NAN : mo > bm ? mo : bm;
        float ms = mn == -INFINITY ? 0.0f : mn; /* nothing valid yet: every exp is 0, not NaN */
        V vm = v_set1(ms), acc = v_zero();
        for (int64_t i = 0; i < n; i += W) { /* pass 2: p = 2^(x - max), in place, and its sum */
            V p = VM(vexp2_le0)(v_sub(v_loadu(x + i), vm));
            v_storeu(x + i, p);
            acc = v_add(acc, p);
        }
        float sum = v_hsum(acc);
        if (mo != mn && mo != -INFINITY) { /* the max grew: rescale what was summed before (nothing yet: no) */
            float alpha = exp2f(mo - ms);
            l[r] *= alpha;
            V va = v_set1(alpha);
            float *orow = o + r * ldo;
            for (int64_t i = 0; i < no; i += W) v_storeu(orow + i, v_mul(v_loadu(orow + i), va));
        }
        l[r] += sum;
        m[r] = mn;
    }
}

/* The narrow forward of R query rows at once with DP rows of k^T and EP of v^T (constants, so that
 * the R x EP accumulators live in registers). R rows share every load of k^T and v^T, and their
 * chains (max, exp, sums) are independent: one row alone is bound by the latency of that chain. */
#define VM_ATTN_NARROW(NAME, DP, EP, R)                                                                                \
    static void NAME(const float *qs, const float *kt, const float *vt, int64_t ldk, int64_t e, const float *brow,     \
                     int64_t m, int64_t valid0, int64_t vstep, float *o, int64_t ors, int64_t ocs, float *lse,         \
                     int64_t lrs) {                                                                                    \
        enum { NB = 256 };                                                                                             \
        _Alignas(64) float s[R][NB];                                                                                   \
        V acc[R][EP];                                                                                                  \
        float mo[R], l[R];                                                                                             \
        int64_t valid[R], jend = 0;                                                                                    \
        for (int r = 0; r < R; r++) {                                                                                  \
            for (int c = 0; c < EP; c++) acc[r][c] = v_zero();                                                         \
            mo[r] = -INFINITY, l[r] = 0.0f;                                                                            \
            valid[r] = valid0 + r * vstep < m ? valid0 + r * vstep : m;                                                \
            jend = valid[r] > jend ? valid[r] : jend; /* masked keys add exp(-inf) = 0: skipped */                     \
        }                                                                                                              \
        for (int64_t j0 = 0; j0 < jend; j0 += NB) {                                                                    \
            int64_t nc = jend - j0 < NB ? jend - j0 : NB;                                                              \
            V mx[R];                                                                                                   \
            for (int r = 0; r < R; r++) mx[r] = v_set1(-INFINITY);                                                     \
            for (int64_t i = 0; i < nc; i += W) { /* x = q . k (+ b), -inf from valid on, and its max */               \
                const float *kp = kt + j0 + i;                                                                         \
                V kc[DP];                                                                                              \
                for (int c = 0; c < DP; c++) kc[c] = v_loadu(kp + c * ldk);                                            \
                for (int r = 0; r < R; r++) {                                                                          \
                    V x = v_mul(v_set1(qs[r * DP]), kc[0]);                                                            \
                    for (int c = 1; c < DP; c++) x = v_fma(v_set1(qs[r * DP + c]), kc[c], x);                          \
                    if (brow) x = v_fma(v_loadu(brow + r * ldk + j0 + i), v_set1(EINC__LOG2E_F), x);                   \
                    int64_t left = valid[r] - j0 - i;                                                                  \
                    if (left < W) x = v_sel(m_lt(v_loadu(VM(iota)), v_set1((float)left)), x, v_set1(-INFINITY));       \
                    v_storeu(s[r] + i, x);                                                                             \
                    mx[r] = v_max(mx[r], x);                                                                           \
                }                                                                                                      \
            }                                                                                                          \
            V vm[R], vl[R];                                                                                            \
            for (int r = 0; r < R; r++) {                                                                              \
                float bm = v_hmax(mx[r]);                                                                              \
                float mn = isnan(mo[r]) ? NAN : mo[r] > bm ? mo[r] : bm;                                               \
                float ms = mn == -INFINITY ? 0.0f : mn;  /* nothing valid yet: every exp is 0, not NaN */              \
                if (mo[r] != mn && mo[r] != -INFINITY) { /* the max grew: rescale what was summed before */            \
                    float alpha = exp2f(mo[r] - ms);                                                                   \
                    l[r] *= alpha;                                                                                     \
                    for (int c = 0; c < EP; c++) acc[r][c] = v_mul(acc[r][c], v_set1(alpha));                          \
                }                                                                                                      \
                mo[r] = mn, vm[r] = v_set1(ms), vl[r] = v_zero();                                                      \
            }                                                                                                          \
            /* p = exp(x - max) in place and its sum, then p . v: two loops, because in one the                        \
             * accumulators leave exp's constants no registers and every one is loaded at each use */                  \
            for (int64_t i = 0; i < nc; i += W)                                                                        \
                for (int r = 0; r < R; r++) {                                                                          \
                    V p = VM(vexp2_le0)(v_sub(v_loadu(s[r] + i), vm[r]));                                              \
                    vl[r] = v_add(vl[r], p);                                                                           \
                    v_storeu(s[r] + i, p);                                                                             \
                }                                                                                                      \
            for (int64_t i = 0; i < nc; i += W) {                                                                      \
                const float *vp = vt + j0 + i;                                                                         \
                V vc[EP];                                                                                              \
                for (int c = 0; c < EP; c++) vc[c] = v_loadu(vp + c * ldk);                                            \
                for (int r = 0; r < R; r++) {                                                                          \
                    V p = v_loadu(s[r] + i);                                                                           \
                    for (int c = 0; c < EP; c++) acc[r][c] = v_fma(p, vc[c], acc[r][c]);                               \
                }                                                                                                      \
            }                                                                                                          \
            for (int r = 0; r < R; r++) l[r] += v_hsum(vl[r]);                                                         \
        }                                                                                                              \
        for (int r = 0; r < R; r++) {                                                                                  \
            float inv = 1.0f / l[r], sums[EP];                                                                         \
            for (int c = 0; c < EP; c += 4) v_sums4(acc[r][c], acc[r][c + 1], acc[r][c + 2], acc[r][c + 3], sums + c); \
            for (int64_t c = 0; c < e; c++) o[r * ors + c * ocs] = sums[c] * inv;                                      \
            if (lse) lse[r * lrs] = mo[r] * EINC__LN2_F + logf(l[r]); /* base 2 back to e */                           \
        }                                                                                                              \
    }

/* Four rows at once only with 4 outputs: 4 x 8 accumulators would not stay in registers. */
VM_ATTN_NARROW(VM(attn_narrow_4_4_1), 4, 4, 1)
VM_ATTN_NARROW(VM(attn_narrow_4_4_2), 4, 4, 2)
VM_ATTN_NARROW(VM(attn_narrow_4_4_4), 4, 4, 4)
VM_ATTN_NARROW(VM(attn_narrow_4_8_1), 4, 8, 1)
VM_ATTN_NARROW(VM(attn_narrow_4_8_2), 4, 8, 2)
VM_ATTN_NARROW(VM(attn_narrow_8_4_1), 8, 4, 1)
VM_ATTN_NARROW(VM(attn_narrow_8_4_2), 8, 4, 2)
VM_ATTN_NARROW(VM(attn_narrow_8_4_4), 8, 4, 4)
VM_ATTN_NARROW(VM(attn_narrow_8_8_1), 8, 8, 1)
VM_ATTN_NARROW(VM(attn_narrow_8_8_2), 8, 8, 2)

void VM(einc__vm_attn_narrow_f32)(const float *qs, int64_t d, const float *kt, const float *vt, int64_t ldk, int64_t e,
                                  const float *brow, int64_t m, int64_t valid0, int64_t vstep, int nrows, float *o,
                                  int64_t ors, int64_t ocs, float *lse, int64_t lrs) {
    typedef void (*narrow_fn)(const float *, const float *, const float *, int64_t, int64_t, const float *, int64_t,
                              int64_t, int64_t, float *, int64_t, int64_t, float *, int64_t);
    static const narrow_fn fns[4][3] = {{VM(attn_narrow_4_4_1), VM(attn_narrow_4_4_2), VM(attn_narrow_4_4_4)},
                                        {VM(attn_narrow_4_8_1), VM(attn_narrow_4_8_2), NULL},
                                        {VM(attn_narrow_8_4_1), VM(attn_narrow_8_4_2), VM(attn_narrow_8_4_4)},
                                        {VM(attn_narrow_8_8_1), VM(attn_narrow_8_8_2), NULL}};
    int64_t dp = EINC__ATTN_NARROW_PAD(d);
    bool wide = EINC__ATTN_NARROW_PAD(e) == 8;
    const narrow_fn *f = fns[(dp == 8) * 2 + wide];
    for (int r = 0; r < nrows;) { /* four rows at once (two when e > 4), then two, then one */
        int k = nrows - r >= 4 && !wide ? 2 : nrows - r >= 2 ? 1 : 0, rows = 1 << k;
        f[k](qs + r * dp, kt, vt, ldk, e, brow ? brow + r * ldk : NULL, m, valid0 + r * vstep, vstep, o + r * ors, ors,
             ocs, lse ? lse + r * lrs : NULL, lrs);
        r += rows;
    }
}

void VM(einc__vm_attn_bwd_rows_f32)(float *s, float *dp, int64_t ld, const float *bias, int64_t nrows, int64_t n,
                                    int64_t valid0, int64_t vstep, float scale, const float *lse, const float *dd) {
    V vs = v_set1(scale);
    for (int64_t r = 0; r < nrows; r++) {
        float *x = s + r * ld, *g = dp + r * ld;
        const float *b = bias ? bias + r * ld : NULL;
        int64_t valid = VM(attn_valid)(valid0, vstep, r, n);
        V vl = v_set1(lse[r]), vd = v_set1(dd[r]);
        for (int64_t i = 0; i < n; i += W) {
            V p = VM(vexp_le0)(v_sub(VM(attn_score)(x, b, i, valid, vs, scale != 1.0f, v_set1(1.0f)), vl));
            p = v_sel(m_lt(v_loadu(VM(iota)), v_set1((float)(valid - i))), p, v_zero()); /* exp(-inf - -inf) */
            v_storeu(x + i, p);
            v_storeu(g + i, v_mul(p, v_sub(v_loadu(g + i), vd)));
        }
    }
}

/* ---- column reductions (reduce.c's column mode, vecmath.h) ---------------------------------- */

/* Rows go four at a time over each vector of columns, so the running results make one trip
 * through L1 per four rows while every column still takes its rows in order (the sums are the
 * portable loop's, bit for bit). The next four rows are prefetched a cache line at a time as the
 * columns go by: the hardware prefetcher follows each row only once it has seen a few of its lines,
 * and a chunk of columns is just a few kilobytes of each row. */
#define VM_COL_ROWS 4

static inline __attribute__((always_inline)) void VM(col_sum_rows)(double *acc, const float *p, int64_t xr, int nr,
                                                                   int64_t n, bool pf) {
    int64_t j = 0;
    for (; j + W <= n; j += W) {
        if (pf && (j & 15) == 0)
            for (int k = 0; k < VM_COL_ROWS; k++) v_prefetch(p + (VM_COL_ROWS + k) * xr + j);
        VD lo = vd_loadu(acc + j), hi = vd_loadu(acc + j + W / 2);
        for (int k = 0; k < nr; k++) vd_add_f(&lo, &hi, v_loadu(p + k * xr + j));
        vd_storeu(acc + j, lo);
        vd_storeu(acc + j + W / 2, hi);
    }
    for (; j < n; j++) /* fewer than W columns: no masked float64 loads in the vocabulary */
        for (int k = 0; k < nr; k++) acc[j] += (double)p[k * xr + j];
}

void VM(einc__vm_col_sum_f32)(double *acc, const float *x, int64_t xr, int64_t nrows, int64_t n) {
    int64_t r = 0;
    for (; r + VM_COL_ROWS <= nrows; r += VM_COL_ROWS)
        VM(col_sum_rows)(acc, x + r * xr, xr, VM_COL_ROWS, n, r + 2 * VM_COL_ROWS <= nrows);
    if (r < nrows) VM(col_sum_rows)(acc, x + r * xr, xr, (int)(nrows - r), n, false);
}

/* v_max(v, a) is v > a ? v : a, which keeps a NaN already in a; a NaN in v is taken by the select. */
static inline V VM(col_ext)(V a, V v, bool is_max) {
    return v_sel(m_unord(v, v), v, is_max ? v_max(v, a) : v_min(v, a));
}

static inline __attribute__((always_inline)) void VM(col_max_rows)(float *acc, const float *p, int64_t xr, int nr,
                                                                   int64_t n, bool is_max, bool pf) {
    int64_t j = 0;
    for (; j + W <= n; j += W) {
        if (pf && (j & 15) == 0)
            for (int k = 0; k < VM_COL_ROWS; k++) v_prefetch(p + (VM_COL_ROWS + k) * xr + j);
        V a = v_loadu(acc + j);
        for (int k = 0; k < nr; k++) a = VM(col_ext)(a, v_loadu(p + k * xr + j), is_max);
        v_storeu(acc + j, a);
    }
    if (j < n) {
        V a = v_load_tail(acc + j, n - j, 0.0f);
        for (int k = 0; k < nr; k++) a = VM(col_ext)(a, v_load_tail(p + k * xr + j, n - j, 0.0f), is_max);
        v_store_tail(acc + j, a, n - j);
    }
}

void VM(einc__vm_col_max_f32)(float *acc, const float *x, int64_t xr, int64_t nrows, int64_t n, bool is_max) {
    int64_t r = 0;
    for (; r + VM_COL_ROWS <= nrows; r += VM_COL_ROWS) {
        bool pf = r + 2 * VM_COL_ROWS <= nrows;
        if (is_max) VM(col_max_rows)(acc, x + r * xr, xr, VM_COL_ROWS, n, true, pf);
        else VM(col_max_rows)(acc, x + r * xr, xr, VM_COL_ROWS, n, false, pf);
    }
    for (; r < nrows; r++) VM(col_max_rows)(acc, x + r * xr, xr, 1, n, is_max, false);
}

/* Four vectors per test; the block that holds the first match is searched lane by lane. */
int64_t VM(einc__vm_find_f32)(const float *x, int64_t n, float v) {
    bool nan = v != v;
    V vv = v_set1(v);
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
        M hit = m_none();
        for (int k = 0; k < 4; k++) {
            V a = v_loadu(x + i + k * W);
            hit = m_or(hit, nan ? m_unord(a, a) : m_eq(a, vv));
        }
        if (m_any(hit)) break;
    }
    for (; i < n; i++)
        if (nan ? x[i] != x[i] : x[i] == v) return i;
    return n;
}

/* softmax's column passes: each row's floats go by once per pass, a vector of columns at a time
 * against the columns' max; rows in order, so a column's sum depends on nothing but its values.
 * x - m <= 0 (or NaN), the statistics' exp. */
static inline __attribute__((always_inline)) void VM(col_sumexp_rows)(double *s, const float *m, const float *p,
                                                                      int64_t xr, int nr, int64_t n, bool pf) {
    int64_t j = 0;
    for (; j + W <= n; j += W) {
        if (pf && (j & 15) == 0)
            for (int k = 0; k < VM_COL_ROWS; k++) v_prefetch(p + (VM_COL_ROWS + k) * xr + j);
        V mj = v_loadu(m + j);
        VD lo = vd_loadu(s + j), hi = vd_loadu(s + j + W / 2);
        for (int k = 0; k < nr; k++) vd_add_f(&lo, &hi, VM(vexp_le0)(v_sub(v_loadu(p + k * xr + j), mj)));
        vd_storeu(s + j, lo);
        vd_storeu(s + j + W / 2, hi);
    }
    if (j < n) {
        V mj = v_load_tail(m + j, n - j, 0.0f);
        for (int k = 0; k < nr; k++) {
            float t[W];
            v_storeu(t, VM(vexp_le0)(v_sub(v_load_tail(p + k * xr + j, n - j, 0.0f), mj)));
            for (int64_t i = 0; j + i < n; i++) s[j + i] += (double)t[i];
        }
    }
}

/* Four rows per trip through the sums, as einc__vm_col_sum_f32. */
void VM(einc__vm_col_sumexp_f32)(double *s, const float *m, const float *x, int64_t xr, int64_t nrows, int64_t n) {
    int64_t r = 0;
    for (; r + VM_COL_ROWS <= nrows; r += VM_COL_ROWS)
        VM(col_sumexp_rows)(s, m, x + r * xr, xr, VM_COL_ROWS, n, r + 2 * VM_COL_ROWS <= nrows);
    if (r < nrows) VM(col_sumexp_rows)(s, m, x + r * xr, xr, (int)(nrows - r), n, false);
}

/* Streams only when every full vector of y is aligned (y and yr line up with W floats). */
void VM(einc__vm_col_softmax_f32)(float *y, int64_t yr, const float *x, int64_t xr, int64_t nrows, int64_t n,
                                  const float *m, const float *c, bool is_log, bool stream) {
    stream = stream && ((uintptr_t)y % (W * sizeof(float))) == 0 && yr % W == 0;
    for (int64_t r = 0; r < nrows; r++) {
        const float *p = x + r * xr;
        float *q = y + r * yr;
        int64_t j = 0;
        for (; j + W <= n; j += W) {
            if ((j & 15) == 0) v_prefetch(p + 2 * xr + j);
            V d = v_sub(v_loadu(p + j), v_loadu(m + j));
            V o = is_log ? v_sub(d, v_loadu(c + j)) : v_mul(VM(vexp_le0)(d), v_loadu(c + j));
            if (stream) v_stream(q + j, o);
            else v_storeu(q + j, o);
        }
        if (j < n) {
            V d = v_sub(v_load_tail(p + j, n - j, 0.0f), v_load_tail(m + j, n - j, 0.0f));
            V o = is_log ? v_sub(d, v_load_tail(c + j, n - j, 0.0f))
                         : v_mul(VM(vexp_le0)(d), v_load_tail(c + j, n - j, 0.0f));
            v_store_tail(q + j, o, n - j);
        }
    }
}
