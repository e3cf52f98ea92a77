/* isa.h — conventions for kernels written for one x86 instruction-set level (private).
 *
 * A kernel family with code for several levels keeps its portable C (the baseline, and the
 * reference twin) in `name.c` and puts each level's code in `name_avx2.c` / `name_avx512.c`.
 * CMake compiles those two files with the level's flags (EINC_AVX2_FLAGS: AVX2, FMA, F16C;
 * EINC_AVX512_FLAGS: those plus AVX-512 F/BW/DQ/VL) and defines EINC_HAVE_X86_KERNELS for the
 * library when it builds them (x86-64 with GCC or Clang); elsewhere they are left out and only
 * the portable code exists. Nothing in a level file may run before the dispatcher in `name.c`
 * has checked einc__cpu_level() (src/core/cpu.c): the level file's code faults on an older CPU.
 *
 * The dispatcher reads einc__cpu_level() on every call and calls the level's function, or the
 * portable one. Tests switch levels with einc__cpu_level_force() and compare every level
 * against the reference twin; CTest also runs the kernel test programs once per level with
 * EINC_CPU set (tests/CMakeLists.txt).
 *
 * GCC and Clang in ISO C mode (-std=c11, as this project builds) do not contract a * b + c into
 * an FMA on their own (-ffp-contract=off), so code compiled for several levels gives the same
 * bits at each of them unless it calls FMA intrinsics explicitly.
 */
#ifndef EINC_KERNELS_ISA_H
#define EINC_KERNELS_ISA_H

#include "../core/internal.h"

#if defined(EINC_HAVE_X86_KERNELS) && (defined(__x86_64__) || defined(_M_X64))
#define EINC_X86_LEVELS 1
#else
#define EINC_X86_LEVELS 0
#endif

#endif /* EINC_KERNELS_ISA_H */
