/* gemm_micro.h — the body of one register-blocked GEMM micro-kernel, instantiated per level.
 *
 * Included by gemm_avx2.c, gemm_avx512.c and (over generic vectors) gemm.c once per element
 * type, after defining:
 *   GEMM_NAME        the function's name
 *   GEMM_T, GEMM_V   element type and vector type (float / __m512, ...)
 *   GEMM_MR          rows of the tile; GEMM_NV vectors per row, so NR = GEMM_NV * lanes
 *   GEMM_LANES       elements per vector
 *   GEMM_LOAD(p), GEMM_STORE(p, v), GEMM_STREAM(p, v) (non-temporal, aligned), GEMM_SET1(x),
 *   GEMM_FMA(a, b, acc), GEMM_ZERO()
 *
 * The contract is einc__gemm_micro_fn's (gemm.h): the MR x NR tile of c is kept in
 * MR * NV vector registers while k runs; each step loads one packed row of b (NV vectors),
 * broadcasts MR elements of a column of a and does MR * NV FMAs. a is read in place through
 * (ars, aks), so a row-major or column-major a needs no packing. The sum over k runs in
 * ascending order with one rounding per step (FMA), starting from c's value when accumulating.
 */
static void GEMM_NAME(int64_t kc, const void *a_, int64_t ars, int64_t aks, const void *b_, void *c_, int64_t crs,
                      int flags) {
    const GEMM_T *a = (const GEMM_T *)a_, *b = (const GEMM_T *)b_;
    GEMM_T *c = (GEMM_T *)c_;
    GEMM_V acc[GEMM_MR][GEMM_NV];
    if (flags & EINC__GEMM_ACCUMULATE) {
#pragma GCC unroll 16
        for (int i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < GEMM_NV; v++) acc[i][v] = GEMM_LOAD(c + i * crs + v * GEMM_LANES);
    } else {
#pragma GCC unroll 16
        for (int i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < GEMM_NV; v++) acc[i][v] = GEMM_ZERO();
    }
    const GEMM_T *ar[GEMM_MR]; /* one pointer per row of a: each walks k with stride aks */
#pragma GCC unroll 16
    for (int i = 0; i < GEMM_MR; i++) ar[i] = a + i * ars;
    for (int64_t k = 0; k < kc; k++) {
        GEMM_V bv[GEMM_NV];
#pragma GCC unroll 4
        for (int v = 0; v < GEMM_NV; v++) bv[v] = GEMM_LOAD(b + v * GEMM_LANES);
#pragma GCC unroll 16
        for (int i = 0; i < GEMM_MR; i++) {
            GEMM_V av = GEMM_SET1(*ar[i]);
            ar[i] += aks;
#pragma GCC unroll 4
            for (int v = 0; v < GEMM_NV; v++) acc[i][v] = GEMM_FMA(av, bv[v], acc[i][v]);
        }
        b += GEMM_NV * GEMM_LANES;
    }
    if (flags & EINC__GEMM_STREAM) {
#pragma GCC unroll 16
        for (int i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < GEMM_NV; v++) GEMM_STREAM(c + i * crs + v * GEMM_LANES, acc[i][v]);
    } else {
#pragma GCC unroll 16
        for (int i = 0; i < GEMM_MR; i++)
#pragma GCC unroll 4
            for (int v = 0; v < GEMM_NV; v++) GEMM_STORE(c + i * crs + v * GEMM_LANES, acc[i][v]);
    }
}
