/* test_cpu.c — the dispatch level: names, detection bounds and the EINC_CPU override.
 *
 * CTest runs this program with EINC_CPU unset, set to each level and set to a bogus value
 * (tests/CMakeLists.txt); each run checks that the active level is what the rule in
 * include/einc/core.h gives for that environment: min(requested, supported), unknown ignored. */
#include "test.h"

TEST(level_names) {
    CHECK(strcmp(einc_cpu_level_name(EINC_CPU_BASELINE), "baseline") == 0);
    CHECK(strcmp(einc_cpu_level_name(EINC_CPU_AVX2), "avx2") == 0);
    CHECK(strcmp(einc_cpu_level_name(EINC_CPU_AVX512), "avx512") == 0);
    CHECK(strcmp(einc_cpu_level_name((einc_cpu_level)7), "?") == 0);
}

TEST(active_follows_environment) {
    einc_cpu_level sup = einc_cpu_level_supported(), act = einc_cpu_level_active();
    CHECK(act <= sup);
    const char *e = getenv("EINC_CPU");
    einc_cpu_level want = sup;
    for (int l = EINC_CPU_BASELINE; l <= EINC_CPU_AVX512; l++)
        if (e && strcmp(e, einc_cpu_level_name((einc_cpu_level)l)) == 0)
            want = (einc_cpu_level)l < sup ? (einc_cpu_level)l : sup;
    CHECK_EQ_INT(act, want);
    CHECK_EQ_INT(einc_cpu_level_active(), act); /* chosen once: stable */
#if !defined(__x86_64__) && !defined(__i386__)
    CHECK_EQ_INT(sup, EINC_CPU_BASELINE);
#endif
}

int main(void) {
    RUN(level_names);
    RUN(active_follows_environment);
    return test_summary();
}
