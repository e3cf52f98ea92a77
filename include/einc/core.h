/* einc/core.h — context, errors, scopes, allocator, threads, dtypes.
 *
 * Everything in einc happens inside a context (einc_ctx). The context holds the per-user
 * state: the sticky error, the scope stack that owns temporaries, the allocator and its
 * buffer pool, the random generator and the thread count. There are no hidden globals:
 * two contexts never interfere.
 *
 * Threads. A context belongs to one thread at a time: the first thread that uses it (calls a
 * function with it, or with one of its tensors, states or modules). A call from any other thread
 * fails at once without touching the context: it returns NULL, EINC_EBUSY, -1 or false (a void
 * function does nothing), einc_errcode on that thread answers EINC_EBUSY and einc_errmsg says
 * why, and the owner's next einc_errcode reports a ThreadError (EINC_EBUSY) naming how many calls
 * were refused. To hand a context to another thread, its owner calls einc_ctx_detach; the next
 * thread that uses it becomes the owner. The check costs the owner one thread-local load and a
 * compare per call. einc_ctx_destroy may be called from any thread once no other thread uses the
 * context. Use one context per thread for parallel work.
 */
#ifndef EINC_CORE_H
#define EINC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* EINC_VERSION_MAJOR, _MINOR, _PATCH and EINC_VERSION_STRING ("0.1.0"): the headers' version,
 * generated from CMake's project(VERSION) into the build directory and installed beside this. */
#include "einc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define EINC_API
#else
#define EINC_API __attribute__((visibility("default")))
#endif

/** The version of the library that is running, "MAJOR.MINOR.PATCH" (may differ from
 * EINC_VERSION_STRING when a program was built against other headers than it runs with). */
EINC_API const char *einc_version(void);

/** The most dimensions a tensor may have. */
#define EINC_MAX_DIMS 16

typedef struct einc_ctx einc_ctx;
typedef struct einc_tensor einc_tensor;

/* ---------------------------------------------------------------------------------------------
 * Status codes.
 *
 * One table, X-macro style: X(code, value, class name). The class name is what the command-line
 * tool prints first on stderr ("SyntaxError: ..."); the first five mirror einx's error classes.
 */
#define EINC_STATUS_TABLE(X)                                                                                           \
    X(EINC_OK, 0, "OK")                                                                                                \
    X(EINC_ESYNTAX, 1, "SyntaxError")             /* malformed expression                        */                    \
    X(EINC_ESEMANTIC, 2, "SemanticError")         /* expression valid, but not for this operation */                   \
    X(EINC_ERANK, 3, "RankError")                 /* ellipsis expansion / number of dimensions   */                    \
    X(EINC_EAXISSIZE, 4, "AxisSizeError")         /* axis lengths undetermined or contradictory  */                    \
    X(EINC_EVALUE, 5, "ValueError")               /* bad argument value (counts, constraints)    */                    \
    X(EINC_EINVAL, 6, "InvalidArgument")          /* NULL tensor, out-of-range axis, bad option  */                    \
    X(EINC_ESHAPE, 7, "ShapeError")               /* incompatible shapes in the raw API          */                    \
    X(EINC_EDTYPE, 8, "DTypeError")               /* dtype not accepted by the operation         */                    \
    X(EINC_EINDEX, 9, "IndexError")               /* index or coordinate out of range            */                    \
    X(EINC_EOVERFLOW, 10, "OverflowError")        /* a size product does not fit in 64 bits      */                    \
    X(EINC_ENOMEM, 11, "MemoryError")             /* an allocation failed                        */                    \
    X(EINC_EIO, 12, "IOError")                    /* a file could not be opened/read/written     */                    \
    X(EINC_EFORMAT, 13, "FormatError")            /* a file's contents are malformed or hostile  */                    \
    X(EINC_EUNSUPPORTED, 14, "NotSupportedError") /* valid, but not implemented            */                          \
    X(EINC_EBUSY, 15, "ThreadError")              /* the context belongs to another thread      */

typedef enum einc_status {
#define EINC_X_ENUM(code, value, name) code = value,
    EINC_STATUS_TABLE(EINC_X_ENUM)
#undef EINC_X_ENUM
} einc_status;

/** Class name of a status code ("SyntaxError", "MemoryError", ...); "UnknownError" if out of range. */
EINC_API const char *einc_status_name(einc_status status);

/* ---------------------------------------------------------------------------------------------
 * Data types.
 */
typedef enum einc_dtype {
    EINC_FLOAT32 = 0,
    EINC_FLOAT64 = 1,
    EINC_INT64 = 2,
    EINC_INT32 = 3,
    EINC_BOOL = 4,     /* one byte, 0 or 1 */
    EINC_FLOAT16 = 5,  /* IEEE 754 binary16 (NumPy's float16) */
    EINC_BFLOAT16 = 6, /* bfloat16: float32's upper 16 bits (torch.bfloat16, ml_dtypes.bfloat16) */
    EINC_UINT8 = 7,
    EINC_INT8 = 8,
    EINC_INT16 = 9,
    EINC_UINT64 = 10, /* NumPy's sums and products of unsigned integers */
} einc_dtype;

#define EINC_NUM_DTYPES 11

/** NumPy's name of a dtype ("float32", "int64", "bool", "bfloat16" as ml_dtypes names it);
 * "invalid" for an unknown value. */
EINC_API const char *einc_dtype_name(einc_dtype dtype);
/** Bytes per element (4, 8, 8, 4, 1, 2, 2, 1, 1, 2, 8 in enum order); 0 for an unknown value. */
EINC_API size_t einc_dtype_size(einc_dtype dtype);

/* ---------------------------------------------------------------------------------------------
 * Allocator.
 *
 * Every byte einc allocates goes through one hook, so an embedding application can route memory
 * to its own arena, and tests can fail the Nth allocation. `alloc` returns memory aligned to at
 * least `align` bytes (a power of two, at most 2 MiB) or NULL; `free` receives the size that was
 * requested. Large tensor buffers are cached by the context's pool and reused (first touches of
 * fresh pages are slow), so `alloc` sees fewer calls than tensors are created.
 */
typedef struct einc_allocator {
    void *(*alloc)(void *user, size_t size, size_t align);
    void (*free)(void *user, void *ptr, size_t size);
    void *user;
} einc_allocator;

typedef struct einc_ctx_options {
    const einc_allocator *allocator; /* NULL: aligned malloc/free                           */
    /* Bytes the buffer pool may keep cached. 0 (the default): as much as the workload's peak of
     * live tensor memory, at least 1 GiB and at most half of physical memory (1 GiB when that
     * cannot be read), so a training step that holds 4 GB gets its big buffers back on the next
     * step instead of faulting fresh pages in. SIZE_MAX: no limit. einc_pool_trim empties it. */
    size_t pool_limit;
    /* Threads kernels may use. 0: what OpenMP reports (OMP_NUM_THREADS, else the CPUs this
     * process may run on; 1 in a build without OpenMP); 1: single-threaded. See
     * einc_set_threads. */
    int threads;
    uint64_t seed; /* initial seed of the random generator                */
} einc_ctx_options;

/** einc_ctx_create: a new context with default options (threads = all, seed 0).
 * Returns NULL only if memory for the context itself cannot be allocated. */
EINC_API einc_ctx *einc_ctx_create(void);

/** einc_ctx_create_with: a new context with the given options (NULL = defaults).
 * Returns NULL if the allocator fails for the context itself. */
EINC_API einc_ctx *einc_ctx_create_with(const einc_ctx_options *options);

/** einc_ctx_destroy: releases every tensor still owned by the context's scopes, the plan cache,
 * the buffer pool and the context. Tensors the caller retained past the context become invalid.
 * NULL is a no-op. */
EINC_API void einc_ctx_destroy(einc_ctx *ctx);

/** einc_ctx_detach: the calling thread gives up `ctx` (see "Threads" above): the next thread that
 * uses it becomes its owner. Returns EINC_OK, EINC_EINVAL for NULL, or EINC_EBUSY when the caller
 * is not the owner (then nothing changes). Tensors of the context move with it. */
EINC_API einc_status einc_ctx_detach(einc_ctx *ctx);

/* ---------------------------------------------------------------------------------------------
 * Sticky errors (Cairo's model).
 *
 * Every operation returns its result (a tensor, or a status) and on failure records an error in
 * the context: a status code and a message. Only the first error is kept until it is cleared, so
 * a chain of calls can be checked once at the end. An operation given a NULL tensor returns NULL
 * at once (it records EINC_EINVAL only when no error is recorded yet). Operations still run while
 * an error is recorded; they just do not overwrite it.
 *
 *   einc_tensor *y = einc_tensor_exp(ctx, einc_tensor_permute(ctx, x, EINC_DIMS(1, 0)));
 *   if (!y) fprintf(stderr, "%s: %s\n", einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
 */

/** The first recorded status since the last einc_clear_error (EINC_OK if none). */
EINC_API einc_status einc_errcode(const einc_ctx *ctx);
/** The message of the first recorded error ("" if none). Valid until the error is cleared. */
EINC_API const char *einc_errmsg(const einc_ctx *ctx);
/** Forgets the recorded error. */
EINC_API void einc_clear_error(einc_ctx *ctx);
/** Records an error as the library does (first one wins); for bindings and user extensions.
 * `fmt` is printf-style. Returns `status`. */
EINC_API einc_status einc_set_error(einc_ctx *ctx, einc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---------------------------------------------------------------------------------------------
 * Scopes: ownership of temporaries.
 *
 * Every tensor an operation returns belongs to the context's current scope and holds one
 * reference for it. einc_scope_end releases the scope's references to every tensor created since
 * the matching einc_scope_begin, except the tensors passed to einc_keep (which move to the
 * enclosing scope). Tensors created outside any scope belong to the root scope and live until
 * einc_tensor_release or einc_ctx_destroy. A training loop that opens a scope per step runs in
 * flat memory:
 *
 *   for (int step = 0; step < n; step++) {
 *       einc_scope_begin(ctx);
 *       einc_tensor *loss = model_loss(ctx, batch);   // any number of temporaries
 *       einc_keep(ctx, loss);                         // survives into the outer scope
 *       einc_scope_end(ctx);
 *   }
 */

/** Opens a nested scope. Returns EINC_OK, or EINC_EINVAL when 255 nested scopes are already open. */
EINC_API einc_status einc_scope_begin(einc_ctx *ctx);
/** Closes the innermost scope (see above). Ending the root scope is EINC_EINVAL (recorded). */
EINC_API einc_status einc_scope_end(einc_ctx *ctx);
/** Moves `t` from its scope to the scope enclosing the current one (no-op at the root scope or
 * for NULL). Returns `t`, so `return einc_keep(ctx, y);` reads naturally. */
EINC_API einc_tensor *einc_keep(einc_ctx *ctx, einc_tensor *t);
/** Number of open scopes above the root (0 when none is open). */
EINC_API int einc_scope_depth(const einc_ctx *ctx);

/* ---------------------------------------------------------------------------------------------
 * CPU dispatch.
 *
 * One binary runs the best kernels the CPU has: the level is chosen once per process, on first
 * use, from the CPU (and the OS's support for its registers), and can be lowered with the
 * environment variable EINC_CPU=baseline|avx2|avx512 (read once; a level the CPU lacks is never
 * used, and an unknown value is ignored). Every level computes the same results up to float
 * rounding; the tests run each kernel family at every level the machine supports.
 *   baseline  portable C (SSE2 on x86-64), the only level on other architectures
 *   avx2      AVX2 + FMA (Haswell, Zen 1 and later)
 *   avx512    AVX-512 F/BW/DQ/VL (Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4 and later)
 * The level is process-wide (the CPU is), not a context setting.
 */
typedef enum einc_cpu_level { EINC_CPU_BASELINE = 0, EINC_CPU_AVX2 = 1, EINC_CPU_AVX512 = 2 } einc_cpu_level;

/** The level the kernels of this process use. */
EINC_API einc_cpu_level einc_cpu_level_active(void);
/** The best level this CPU supports (what EINC_CPU may not exceed). */
EINC_API einc_cpu_level einc_cpu_level_supported(void);
/** "baseline", "avx2" or "avx512"; "?" for a value outside the enum. */
EINC_API const char *einc_cpu_level_name(einc_cpu_level level);

/* ---------------------------------------------------------------------------------------------
 * Threads, random numbers, memory statistics.
 */

/** Sets how many threads kernels may use (1 = single-threaded; 0 = all available). Work below a
 * size threshold (0.1-0.3 ms on one thread) always stays on one thread. Each split operation
 * also times itself: when two threads did no better than one would have (the second core busy
 * elsewhere, or too slow to wake), the context keeps work up to about ten times that costly on
 * one thread, and tries two again after 0.1 s (backing off to 2 s while they keep losing).
 * Results of einc's own kernels (einc's GEMM included, the default) never depend on the thread
 * count, so none of this changes a result; products run by CBLAS (EINC_GEMM_CBLAS) may differ in
 * the last bits between thread counts (OpenBLAS's own behaviour), see einc/linalg.h. The context
 * starts its threads - 1 worker threads at its first large operation and joins them in
 * einc_ctx_destroy; between operations they sleep (they never spin, so they take no CPU from BLAS
 * or from other programs), and a worker whose core is busy elsewhere only takes fewer pieces of
 * the work instead of holding everyone up. OpenBLAS, where it runs the GEMMs, uses the same
 * number of threads, always from the calling thread; its thread count is process-wide, so einc
 * sets it before each product (see einc/linalg.h). */
EINC_API void einc_set_threads(einc_ctx *ctx, int threads);
/** The effective number of threads kernels may use (>= 1). */
EINC_API int einc_get_threads(const einc_ctx *ctx);

/** Reseeds the context's counter-based generator: the stream restarts at counter 0. */
EINC_API void einc_seed(einc_ctx *ctx, uint64_t seed);

/* The bounds of a context's plan cache (the compiled notation calls, and einc_attention's front
 * end): at most this many plans, holding at most this many bytes (the table, the keys and the
 * plans); the least recently used plans are dropped first, and a plan bigger than the byte bound
 * by itself is not kept (its calls compile it each time). A stream of ever new expressions thus
 * runs in bounded memory; an evicted expression is compiled again on its next call, with the same
 * results. Expressions whose cache key (operation, expression, shapes, constraints) is longer
 * than about 4 KiB are never cached. */
#define EINC_PLAN_CACHE_CAPACITY 512
#define EINC_PLAN_CACHE_BYTES ((size_t)32 << 20)

typedef struct einc_memory_stats {
    size_t live_bytes;        /* tensor buffers in use                           */
    size_t pooled_bytes;      /* freed buffers kept for reuse                    */
    size_t peak_bytes;        /* highest live_bytes so far                       */
    uint64_t pool_hits;       /* buffer requests served from the pool            */
    uint64_t pool_misses;     /* buffer requests that went to the allocator      */
    size_t live_tensors;      /* tensor handles not yet released                 */
    size_t window_peak_bytes; /* highest live_bytes since einc_memory_peak_reset */
    /* the plan cache (EINC_PLAN_CACHE_CAPACITY); added in 0.1.0 after window_peak_bytes */
    size_t plan_entries;     /* plans cached now (<= plan_capacity)                   */
    size_t plan_capacity;    /* the most it keeps: EINC_PLAN_CACHE_CAPACITY           */
    size_t plan_bytes;       /* bytes it holds now (<= plan_bytes_limit)              */
    size_t plan_bytes_limit; /* the most it holds: EINC_PLAN_CACHE_BYTES              */
    uint64_t plan_hits;      /* calls that found their plan there                     */
    uint64_t plan_misses;    /* cacheable calls that compiled theirs                  */
    uint64_t plan_evictions; /* plans dropped to stay within the bounds (LRU)         */
} einc_memory_stats;

/** Fills *stats with the context's memory counters: its tensor memory and its plan cache. The
 * plan cache's memory comes from the context's allocator too, but is not part of live_bytes
 * (which counts tensor buffers). */
EINC_API void einc_memory_stats_get(const einc_ctx *ctx, einc_memory_stats *stats);
/** Starts a new window for window_peak_bytes (set to the live bytes now), to measure the peak
 * of one computation: reset, run it, read the stats. peak_bytes is not affected. */
EINC_API void einc_memory_peak_reset(einc_ctx *ctx);
/** Returns every cached pool buffer to the allocator. */
EINC_API void einc_pool_trim(einc_ctx *ctx);

/* ---------------------------------------------------------------------------------------------
 * Small helpers that keep call sites short.
 *
 * EINC_SHAPE(2, 3, 4)  expands to  3, (const int64_t[]){2, 3, 4}   (ndim, shape)
 * EINC_DIMS(0, 2)      expands to  2, (const int[]){0, 2}          (naxes, axes)
 * EINC_ALL             expands to  -1, NULL                        (every axis)
 */
#ifndef __cplusplus
#define EINC_SHAPE(...)                                                                                                \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]) { __VA_ARGS__ }
#define EINC_DIMS(...)                                                                                                 \
    (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (const int[]) { __VA_ARGS__ }
#else
/* C++ has no compound literals: the array is a temporary that lives until the end of the full
 * expression (the call it is an argument of), and the count is taken without evaluating the
 * values a second time. Each value converts to int64_t (int) as it would in C. */
extern "C++" {
namespace einc_detail {
template <class E, int N> struct array {
    E v[N];
    const E *data() const { return v; }
};
template <class E, class... T> inline array<E, (int)sizeof...(T)> make_array(T... v) {
    return array<E, (int)sizeof...(T)>{{static_cast<E>(v)...}};
}
template <class... T> char (&count(const T &...))[sizeof...(T)];
} // namespace einc_detail
}
#define EINC_SHAPE(...)                                                                                                \
    (int)sizeof(einc_detail::count(__VA_ARGS__)), einc_detail::make_array<int64_t>(__VA_ARGS__).data()
#define EINC_DIMS(...) (int)sizeof(einc_detail::count(__VA_ARGS__)), einc_detail::make_array<int>(__VA_ARGS__).data()
#endif
#define EINC_ALL -1, (const int *)0

#ifdef __cplusplus
}
#endif
#endif /* EINC_CORE_H */
