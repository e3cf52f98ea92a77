/* cpu.c — which instruction-set level the kernels run at: detected once, lowered by EINC_CPU.
 *
 * The level is a process-wide fact about the CPU, so it is the one piece of global state: a
 * single atomic int, written once by the first caller (every racer computes the same value) and
 * read by every dispatching kernel. Detection uses the compiler's CPU model, which also checks
 * that the OS saves the AVX / AVX-512 registers (XCR0), so a kernel never faults on a CPU whose
 * OS left them off. AVX-512 means F+BW+DQ+VL, the subset every AVX-512 CPU since Skylake-SP has;
 * both levels also need FMA and F16C.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define EINC__X86 1
#include <cpuid.h>
#else
#define EINC__X86 0
#endif

#if EINC__X86
/* F16C (CPUID.1:ECX bit 29), which the AVX2 level's float16 conversions use. Every CPU with AVX2
 * has it, but the level promises it, so it is checked; clang 14's __builtin_cpu_supports does not
 * know the name, so CPUID is asked directly. */
static bool has_f16c(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && ((c >> 29) & 1u);
}
#endif

static int detect(void) {
#if EINC__X86
    __builtin_cpu_init();
    if (!has_f16c()) return EINC_CPU_BASELINE;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return EINC_CPU_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return EINC_CPU_AVX2;
#endif
    return EINC_CPU_BASELINE;
}

/* -1 until the first call. */
static int supported_level = -1, active_level = -1;

einc_cpu_level einc_cpu_level_supported(void) {
    int s = __atomic_load_n(&supported_level, __ATOMIC_ACQUIRE);
    if (s < 0) {
        s = detect();
        __atomic_store_n(&supported_level, s, __ATOMIC_RELEASE);
    }
    return (einc_cpu_level)s;
}

/* The level EINC_CPU asks for, or `best` when it is unset or not a level name. */
static int requested(int best) {
    const char *e = getenv("EINC_CPU");
    if (!e) return best;
    for (int l = EINC_CPU_BASELINE; l <= EINC_CPU_AVX512; l++)
        if (strcmp(e, einc_cpu_level_name((einc_cpu_level)l)) == 0) return l;
    return best;
}

int einc__cpu_level(void) {
    int a = __atomic_load_n(&active_level, __ATOMIC_RELAXED);
    if (a < 0) {
        int s = (int)einc_cpu_level_supported(), r = requested(s);
        a = r < s ? r : s;
        __atomic_store_n(&active_level, a, __ATOMIC_RELAXED);
    }
    return a;
}

int einc__cpu_level_force(int level) {
    int before = einc__cpu_level(), s = (int)einc_cpu_level_supported();
    if (level < EINC_CPU_BASELINE) level = EINC_CPU_BASELINE;
    __atomic_store_n(&active_level, level < s ? level : s, __ATOMIC_RELAXED);
    return before;
}

einc_cpu_level einc_cpu_level_active(void) { return (einc_cpu_level)einc__cpu_level(); }

bool einc__cpu_is_intel(void) {
    static int intel = -1; /* a fact about the CPU: every racer computes the same value */
    int v = __atomic_load_n(&intel, __ATOMIC_RELAXED);
    if (v < 0) {
#if EINC__X86
        __builtin_cpu_init();
        v = __builtin_cpu_is("intel") ? 1 : 0;
#else
        v = 0;
#endif
        __atomic_store_n(&intel, v, __ATOMIC_RELAXED);
    }
    return v == 1;
}

const char *einc_cpu_level_name(einc_cpu_level level) {
    switch (level) {
    case EINC_CPU_BASELINE: return "baseline";
    case EINC_CPU_AVX2: return "avx2";
    case EINC_CPU_AVX512: return "avx512";
    }
    return "?";
}
