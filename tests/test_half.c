/* test_half.c — the float16 and bfloat16 <-> float32 run kernels (src/kernels/half.h) at every
 * dispatch level against their reference twins, bit for bit.
 *
 * Widening: all 65,536 float16 patterns (NaNs with every payload, subnormals, infinities, signed
 * zeros). Narrowing: every float32 within 3 ulps of each rounding boundary (the midpoint between
 * two neighbouring float16 values, ties included, subnormal ones too, and the overflow threshold
 * 65520), NaNs with assorted payloads (signalling ones too), infinities, float32 subnormals and a
 * stride-hopping sweep of all 2^32 patterns. Runs of every length around the vector width (tails)
 * at unit and non-unit strides, between guard elements. The reference twin itself is checked
 * against einc__f16_from_f64, which tests/test_dtypes.c checks against NumPy. bfloat16 the same
 * way: all 65,536 patterns widened; narrowed, every float32 within 3 ulps of each bfloat16 midpoint,
 * the specials and the sweep, its twin checked against einc__bf16_from_f64 (PyTorch's, there).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/half.h"
#include "test.h"

static int num_levels(void) { return (int)einc_cpu_level_supported() + 1; }

static float f32_of_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t bits_of_f32(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The narrowing inputs: boundaries, specials and a sweep. */
static float *narrowing_inputs(int64_t *count) {
    int64_t cap = 65536 * 14 + (1 << 20) + 64, n = 0;
    float *x = malloc((size_t)cap * sizeof *x);
    for (uint32_t h = 0; h < 0x7c00u; h++) { /* positive finite float16 values h and h + 1 */
        float lo = einc__f16_to_f32((uint16_t)h), hi = einc__f16_to_f32((uint16_t)(h + 1));
        /* the midpoint is exact in float32 (float16 has 13 fewer mantissa bits) */
        uint32_t mid = bits_of_f32(lo + (hi - lo) * 0.5f);
        for (int d = -3; d <= 3; d++) {
            x[n++] = f32_of_bits(mid + (uint32_t)d);
            x[n++] = -f32_of_bits(mid + (uint32_t)d);
        }
    }
    for (uint64_t u = 0; u < (1ull << 32); u += 4099) x[n++] = f32_of_bits((uint32_t)u); /* ~1M patterns */
    static const uint32_t special[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                                       0x7f800001u, 0xff800001u, 0x7fa00000u, 0x7fbfffffu, 0x7fffffffu, 0xffffffffu,
                                       0x7fc02000u, 0x7f802000u, 0x00000001u, 0x807fffffu, 0x33000000u, 0x33000001u,
                                       0xb3000000u, 0x477fe000u, 0x477fefffu, 0x477ff000u, 0x477ff001u, 0x47800000u,
                                       0x38800000u, 0x387fffffu, 0x7f7fffffu, 0xff7fffffu};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) x[n++] = f32_of_bits(special[i]);
    *count = n;
    return x;
}

TEST(reference_twin_matches_the_float64_rounding) {
    int64_t n;
    float *x = narrowing_inputs(&n);
    uint16_t *y = malloc((size_t)n * 2);
    einc__k_f16_from_f32_ref(y, 1, x, n);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint16_t want = einc__f16_from_f64((double)x[i]);
        if (y[i] != want && bad++ < 5)
            fprintf(stderr, "f16(0x%08x): 0x%04x, float64 path 0x%04x\n", bits_of_f32(x[i]), y[i], want);
    }
    CHECK_EQ_INT(bad, 0);
    free(x);
    free(y);
}

TEST(widening_every_level) {
    uint16_t *h = malloc(65536 * 3 * 2);
    for (uint32_t i = 0; i < 65536 * 3; i++) h[i] = (uint16_t)(i % 65536 * 40503u); /* all patterns, shuffled */
    float *want = malloc(65536 * 3 * 4), *got = malloc((65536 * 3 + 2) * 4);
    for (int lv = 0; lv < num_levels(); lv++) {
        for (int64_t ss = 1; ss <= 3; ss++) {
            int64_t n = 65536 * 3 / ss;
            einc__k_f32_from_f16_ref(want, h, ss, n);
            memset(got, 0x5a, (size_t)(n + 2) * 4);
            einc__k_f32_from_f16_with_isa(got + 1, h, ss, n, lv);
            CHECK(memcmp(got + 1, want, (size_t)n * 4) == 0);
            CHECK(bits_of_f32(got[0]) == 0x5a5a5a5au && bits_of_f32(got[n + 1]) == 0x5a5a5a5au);
        }
        for (int64_t n = 0; n <= 40; n++) { /* every tail length, at an odd offset */
            einc__k_f32_from_f16_ref(want, h + 3, 1, n);
            memset(got, 0x5a, (size_t)(n + 2) * 4);
            einc__k_f32_from_f16_with_isa(got + 1, h + 3, 1, n, lv);
            CHECK(memcmp(got + 1, want, (size_t)n * 4) == 0);
            CHECK(bits_of_f32(got[n + 1]) == 0x5a5a5a5au);
        }
    }
    /* the kernel is exact: the widened value narrows back to the pattern (NaNs come back quiet) */
    einc__k_f32_from_f16(want, h, 1, 65536);
    int64_t bad = 0;
    for (int i = 0; i < 65536; i++) {
        uint16_t back = einc__f16_from_f32(want[i]);
        bool nan = (h[i] & 0x7c00u) == 0x7c00u && (h[i] & 0x3ffu);
        bad += nan ? back != (h[i] | 0x200u) : back != h[i];
    }
    CHECK_EQ_INT(bad, 0);
    free(h);
    free(want);
    free(got);
}

TEST(narrowing_every_level) {
    int64_t n;
    float *x = narrowing_inputs(&n);
    uint16_t *want = malloc((size_t)n * 2 * 3), *got = malloc(((size_t)n * 3 + 2) * 2);
    for (int lv = 0; lv < num_levels(); lv++) {
        for (int64_t ds = 1; ds <= 3; ds++) {
            for (int64_t i = 0; i < n * ds; i++) want[i] = 0x5a5a;
            einc__k_f16_from_f32_ref(want, ds, x, n);
            for (int64_t i = 0; i < n * ds + 2; i++) got[i] = 0x5a5a;
            einc__k_f16_from_f32_with_isa(got + 1, ds, x, n, lv);
            int64_t bad = 0;
            for (int64_t i = 0; i < n * ds; i++) {
                if (got[i + 1] != want[i] && bad++ < 5)
                    fprintf(stderr, "level %s, stride %lld: f16(0x%08x) = 0x%04x, reference 0x%04x\n",
                            einc_cpu_level_name((einc_cpu_level)lv), (long long)ds,
                            i % ds == 0 ? bits_of_f32(x[i / ds]) : 0u, got[i + 1], want[i]);
            }
            CHECK_EQ_INT(bad, 0);
            CHECK(got[0] == 0x5a5a && got[n * ds + 1] == 0x5a5a);
        }
        for (int64_t m = 0; m <= 40; m++) { /* every tail length, at an odd offset */
            einc__k_f16_from_f32_ref(want, 1, x + 5, m);
            for (int64_t i = 0; i < m + 2; i++) got[i] = 0x5a5a;
            einc__k_f16_from_f32_with_isa(got + 1, 1, x + 5, m, lv);
            CHECK(memcmp(got + 1, want, (size_t)m * 2) == 0);
            CHECK(got[m + 1] == 0x5a5a);
        }
    }
    free(x);
    free(want);
    free(got);
}

/* The bfloat16 narrowing inputs: the specials and sweep of narrowing_inputs plus the float32
 * values near every midpoint between neighbouring bfloat16 values (a tie is exactly 0x8000 in
 * the dropped half). */
static float *bf16_inputs(int64_t *count) {
    int64_t n0;
    float *base = narrowing_inputs(&n0);
    int64_t cap = n0 + 0x7f80 * 14, n = n0;
    float *x = realloc(base, (size_t)cap * sizeof *x);
    for (uint32_t h = 0; h < 0x7f80u; h++) {
        uint32_t mid = (h << 16) | 0x8000u;
        for (int d = -3; d <= 3; d++) {
            x[n++] = f32_of_bits(mid + (uint32_t)d);
            x[n++] = f32_of_bits((mid + (uint32_t)d) | 0x80000000u);
        }
    }
    *count = n;
    return x;
}

TEST(bfloat16_every_level) {
    int64_t n;
    float *x = bf16_inputs(&n);
    uint16_t *want = malloc((size_t)n * 2), *got = malloc(((size_t)n + 2) * 2);
    /* the twin against the float64 rounding (tests/test_dtypes.c checks that against PyTorch) */
    einc__k_bf16_from_f32_ref(want, 1, x, n);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint16_t w = einc__bf16_from_f64((double)x[i]);
        bool nan = (w & 0x7f80u) == 0x7f80u && (w & 0x7fu);
        bad += nan ? !((want[i] & 0x7f80u) == 0x7f80u && (want[i] & 0x7fu)) : want[i] != w;
    }
    CHECK_EQ_INT(bad, 0);
    uint16_t *h = malloc(65536 * 2);
    float *wf = malloc(65536 * 4), *gf = malloc((65536 + 2) * 4);
    for (uint32_t i = 0; i < 65536; i++) h[i] = (uint16_t)(i * 40503u);
    for (int lv = 0; lv < num_levels(); lv++) {
        for (int64_t ds = 1; ds <= 2; ds++) {
            int64_t m = n / ds;
            einc__k_bf16_from_f32_ref(want, ds, x, m);
            for (int64_t i = 0; i < m * ds + 2; i++) got[i] = 0x5a5a;
            for (int64_t i = 0; i < m * ds; i++)
                if (i % ds) want[i] = 0x5a5a;
            einc__k_bf16_from_f32_with_isa(got + 1, ds, x, m, lv);
            CHECK(memcmp(got + 1, want, (size_t)(m * ds) * 2) == 0);
            CHECK(got[0] == 0x5a5a && got[m * ds + 1] == 0x5a5a);
            int64_t k = 65536 / ds;
            einc__k_f32_from_bf16_ref(wf, h, ds, k);
            memset(gf, 0x5a, (size_t)(k + 2) * 4);
            einc__k_f32_from_bf16_with_isa(gf + 1, h, ds, k, lv);
            CHECK(memcmp(gf + 1, wf, (size_t)k * 4) == 0);
            CHECK(bits_of_f32(gf[k + 1]) == 0x5a5a5a5au);
        }
        for (int64_t m = 0; m <= 40; m++) { /* every tail length, at an odd offset */
            einc__k_bf16_from_f32_ref(want, 1, x + 5, m);
            for (int64_t i = 0; i < m + 2; i++) got[i] = 0x5a5a;
            einc__k_bf16_from_f32_with_isa(got + 1, 1, x + 5, m, lv);
            CHECK(memcmp(got + 1, want, (size_t)m * 2) == 0);
            CHECK(got[m + 1] == 0x5a5a);
            einc__k_f32_from_bf16_ref(wf, h + 3, 1, m);
            memset(gf, 0x5a, (size_t)(m + 2) * 4);
            einc__k_f32_from_bf16_with_isa(gf + 1, h + 3, 1, m, lv);
            CHECK(memcmp(gf + 1, wf, (size_t)m * 4) == 0);
            CHECK(bits_of_f32(gf[m + 1]) == 0x5a5a5a5au);
        }
    }
    free(x);
    free(want);
    free(got);
    free(h);
    free(wf);
    free(gf);
}

int main(void) {
    RUN(reference_twin_matches_the_float64_rounding);
    RUN(widening_every_level);
    RUN(narrowing_every_level);
    RUN(bfloat16_every_level);
    return test_summary();
}
