/* internal.h — the library's private structures and helpers (never installed).
 *
 * Module tags: einc__ctx_*, einc__tensor_*, einc__shape_* (core), einc__k_* (kernels),
 * einc__parallel (threads). Only einc_* symbols are exported from the shared library.
 */
#ifndef EINC_INTERNAL_H
#define EINC_INTERNAL_H

#include <stdarg.h>
#include <string.h>

#include "einc.h"

#define EINC_ALIGN 64         /* alignment of every tensor buffer              */
#define EINC_MAX_SCOPES 256   /* nesting limit of einc_scope_begin             */
#define EINC_ERRMSG_SIZE 8192 /* error text beyond this is truncated           */
#define EINC_POOL_CLASSES 192 /* size classes of the buffer pool               */

/* Reference-counted memory shared by a tensor and all its views. */
typedef struct einc_storage {
    void *data; /* NULL only when nbytes == 0                              */
    size_t nbytes;
    int64_t refcount;        /* one per tensor handle using it                          */
    einc_release_fn release; /* wrapped caller memory: called at the end; else NULL     */
    void *release_user;
    bool owned;    /* allocated by einc (returned to the pool at the end)     */
    bool readonly; /* a read-only file mapping: einc's writers refuse it      */
} einc_storage;

struct einc_tensor {
    einc_ctx *ctx;
    einc_storage *storage;
    int64_t offset; /* bytes from storage->data to element [0, ..., 0]          */
    einc_dtype dtype;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
    int64_t strides[EINC_MAX_DIMS]; /* elements                                  */
    int64_t refcount;
    int scope; /* owning scope index, -1 once unlinked      */
    einc_tensor *scope_prev, *scope_next;
    /* autograd (src/autograd): a non-leaf points at the node that computed it (its output
     * ag_index); a leaf that requires grad at its gradient accumulator (created when an op first
     * records it as an input). One reference to ag_node is held per handle. */
    bool requires_grad;
    int ag_index;
    struct einc__ag_node *ag_node;
};

/* A cached free block of the pool; lives inside the block it describes. */
typedef struct einc_pool_block {
    struct einc_pool_block *next;
    size_t size;
} einc_pool_block;

struct einc_ctx {
    einc_allocator allocator;
    einc_status status;
    char errmsg[EINC_ERRMSG_SIZE];

    int scope_depth; /* 0 = root only                          */
    einc_tensor *scope_head[EINC_MAX_SCOPES + 1];

    einc_pool_block *pool[EINC_POOL_CLASSES]; /* free lists by size class               */
    size_t pool_limit; /* einc_ctx_options.pool_limit; 0 = follow the workload (einc__pool_cap) */
    size_t pool_floor; /* the automatic cap's minimum (EINC_POOL_FLOOR; tests scale it down)  */
    size_t phys_bytes; /* physical memory, read once at creation; 0 = unknown                */
    einc_memory_stats stats;

    struct einc__plan_cache *plans; /* compiled notation calls (src/plan/cache.c)          */
    /* work done by the notation front end (node visits, hash probes, comparisons): a counter that
     * only grows; tests read it to check that compiling grows linearly with the expression */
    uint64_t notation_steps;
    void (*plans_destroy)(einc_ctx *ctx); /* set with `plans`: frees them (einc_ctx_destroy)  */
    /* set by einc__grad_install (src/autograd) when a tensor first requires grad here */
    const struct einc__grad_hooks *grad;
    void (*tensor_freed)(einc_tensor *t); /* a handle with an ag_node is being freed     */

    /* the thread using the context (einc__owned): its einc__thread_tag address, 0 = none yet or
     * detached (einc_ctx_detach); `intruded` counts calls refused to other threads, reported as a
     * ThreadError by the owner's next einc_errcode / einc_errmsg */
    uintptr_t owner;
    int intruded;

    int threads;             /* effective, >= 1                                                */
    int gemm;                /* einc_gemm_backend as set (0: the process default, see gemm_batched.c) */
    struct einc__team *team; /* worker threads (parallel.c), started by the first big region       */
    /* The threading threshold in force (parallel.c, einc__parallel_width): EINC_PARALLEL_THRESHOLD
     * until a region waits on a worker that did not keep up (its core busy elsewhere); then raised
     * so that such a wait would cost at most a tenth of a region, until a probe finds the workers
     * prompt again. Only the owning thread touches it. */
    struct {
        int64_t min_work; /* 0: EINC_PARALLEL_THRESHOLD                                   */
        double probe_at;  /* monotonic seconds: from then on a region below min_work probes */
        double backoff;   /* seconds from a failed probe to the next (doubles, capped)       */
    } par;
    uint64_t rng_seed;
    uint64_t rng_counter;

    /* autograd state (src/autograd); all zero = gradients recorded, nothing pending */
    struct {
        bool disabled;                   /* einc_set_grad_enabled(ctx, false)            */
        bool freeing;                    /* a node release is draining free_list         */
        struct einc__ag_node *free_list; /* nodes whose last reference went (iterative)  */
        uint64_t epoch;                  /* einc_backward's visit marks                  */
    } ag;
};

/* ---- one thread per context: the owner check every public entry point makes --------------------
 * A context belongs to the first thread that uses it (until einc_ctx_detach). Each public
 * function that takes a context, or a tensor, state or module of one, starts with
 *     EINC__OWNED(ctx, <what it returns on failure>);
 * On the owner's thread that is one thread-local address, one load and a compare (no atomic
 * read-modify-write, nothing to undo on return). Any other thread gets the failure value at once,
 * touching nothing in the context but the `intruded` counter (atomically), so a misuse cannot
 * corrupt it; the owner learns of it as a ThreadError (EINC_EBUSY) from einc_errcode. */
extern __thread char einc__thread_tag;
bool einc__claim(const einc_ctx *ctx, uintptr_t seen, uintptr_t me);

static inline bool einc__owned(const einc_ctx *ctx) {
    if (!ctx) return true; /* the function's own NULL check reports it */
    uintptr_t me = (uintptr_t)&einc__thread_tag;
    uintptr_t seen = __atomic_load_n(&ctx->owner, __ATOMIC_RELAXED);
    return __builtin_expect(seen == me, 1) || einc__claim(ctx, seen, me);
}

#define EINC__OWNED(ctx, ...)                                                                                          \
    do {                                                                                                               \
        if (__builtin_expect(!einc__owned(ctx), 0)) return __VA_ARGS__;                                                \
    } while (0)

/* ---- hooks: how core and the operations reach the layers above them ------------------------
 * A layer never names one above it. Where it must reach one — core freeing a context's plan
 * cache, a tensor telling autograd it is gone, an operation asking autograd to record it — it
 * calls a hook that the higher layer installed in the context when it first had something there
 * (Lua's state does the same). A NULL hook means that layer has nothing in this context. */

struct einc__plan;

/* The autograd hooks of the raw operations, listed once: X(name, (parameters), (arguments)).
 * Each is the last call of its operation: `return einc__ag_xxx(ctx, out, ...)` (core/grad_hooks.c
 * forwards it to the rule einc__rule_xxx a context installed, src/autograd). They return `out`
 * unchanged when nothing must be recorded, NULL (out released) when recording failed, and NULL at
 * once for a NULL out. Axes arrive validated and normalised unless said otherwise. */
/* Which dimension of each einc_attention operand plays which role: q [nb batch, N, d],
 * k [.., M, d], v [.., M, e], out [.., N, e] (dimension indices into each tensor; batch axes in the
 * output's order); the bias broadcasts to [batch..., N, M]. */
typedef struct einc__attn_map {
    int nb;
    int q[EINC_MAX_DIMS], k[EINC_MAX_DIMS], v[EINC_MAX_DIMS], o[EINC_MAX_DIMS];
    int64_t scores[EINC_MAX_DIMS]; /* the shape [batch..., N, M] */
    double scale;
    bool causal;
} einc__attn_map;

#define EINC__GRAD_HOOKS(X)                                                                                            \
    /* view, reshape, squeeze, squeeze_all, unsqueeze: the gradient reshaped back to x's shape. */                     \
    X(reshape, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x), (ctx, out, x))                                    \
    /* permute by `axes` [x->ndim] (validated, may be negative). */                                                    \
    X(permute, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, const int *axes), (ctx, out, x, axes))             \
    /* expand / broadcast_to: gradient summed over the stretched axes. */                                              \
    X(expand, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x), (ctx, out, x))                                     \
    /* slice on `axis` from the normalised `start` with `step` (out->shape[axis] elements). */                         \
    X(slice, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, int axis, int64_t start, int64_t step),              \
      (ctx, out, x, axis, start, step))                                                                                \
    /* select of the normalised `index` on `axis`. */                                                                  \
    X(select, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, int axis, int64_t index),                           \
      (ctx, out, x, axis, index))                                                                                      \
    /* diagonal with `offset` over the normalised axes (axis1 != axis2). */                                            \
    X(diagonal, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, int64_t offset, int axis1, int axis2),            \
      (ctx, out, x, offset, axis1, axis2))                                                                             \
    /* flip of the axes with flipped[d] set (x->ndim entries). */                                                      \
    X(flip, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, const bool *flipped), (ctx, out, x, flipped))         \
    /* cast (hence clone) and contiguous: the gradient passes through, cast back to x's dtype; nothing is recorded for \
     * a non-float out (a cast to an integer or bool dtype). */                                                        \
    X(identity, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x), (ctx, out, x))                                   \
    X(unary, (einc_ctx * ctx, einc_tensor * out, einc_unary_op op, einc_tensor * x), (ctx, out, op, x))                \
    X(binary, (einc_ctx * ctx, einc_tensor * out, einc_binary_op op, einc_tensor * a, einc_tensor * b),                \
      (ctx, out, op, a, b))                                                                                            \
    /* einc_mul_scalar (op EINC_MUL) and einc_add_scalar (EINC_ADD). */                                                \
    X(scalar_op, (einc_ctx * ctx, einc_tensor * out, einc_binary_op op, einc_tensor * x, double s),                    \
      (ctx, out, op, x, s))                                                                                            \
    X(where, (einc_ctx * ctx, einc_tensor * out, einc_tensor * cond, einc_tensor * x, einc_tensor * y),                \
      (ctx, out, cond, x, y))                                                                                          \
    /* einc_tensor_reduce over the axes in `mask`. */                                                                  \
    X(reduce, (einc_ctx * ctx, einc_tensor * out, einc_reduce_op op, einc_tensor * x, uint32_t mask, bool keepdims),   \
      (ctx, out, op, x, mask, keepdims))                                                                               \
    /* softmax / log_softmax normalised over the axes in `mask`. */                                                    \
    X(softmax, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, uint32_t mask, bool is_log),                       \
      (ctx, out, x, mask, is_log))                                                                                     \
    /* matmul (NumPy semantics, 1-d operands included) and bmm. */                                                     \
    X(matmul, (einc_ctx * ctx, einc_tensor * out, einc_tensor * a, einc_tensor * b), (ctx, out, a, b))                 \
    /* conv2d_1x1 (bias may be NULL). */                                                                               \
    X(conv2d_1x1, (einc_ctx * ctx, einc_tensor * out, einc_tensor * x, einc_tensor * w, einc_tensor * bias),           \
      (ctx, out, x, w, bias))                                                                                          \
    /* einc_attention: lse [batch..., N] saved from the forward; the map says which dimension of each                  \
     * tensor plays which role (bias may be NULL). */                                                                  \
    X(attention,                                                                                                       \
      (einc_ctx * ctx, einc_tensor * out, einc_tensor * lse, einc_tensor * q, einc_tensor * k, einc_tensor * v,        \
       einc_tensor * bias, const einc__attn_map *map),                                                                 \
      (ctx, out, lse, q, k, v, bias, map))

#define EINC__GRAD_HOOK_FIELD(name, params, args) einc_tensor *(*name)params;
typedef struct einc__grad_hooks {
    EINC__GRAD_HOOKS(EINC__GRAD_HOOK_FIELD)
    einc_status (*notation)(einc_ctx *ctx, struct einc__plan *p, int ninputs, einc_tensor *const *inputs, int noutputs,
                            einc_tensor **outputs);
} einc__grad_hooks;
#undef EINC__GRAD_HOOK_FIELD

#define EINC__GRAD_HOOK_DECL(name, params, args) einc_tensor *einc__ag_##name params;
EINC__GRAD_HOOKS(EINC__GRAD_HOOK_DECL)
#undef EINC__GRAD_HOOK_DECL

/* A notation call (src/autograd/grad_notation.c): nothing when no input requires grad. On
 * failure (EINC_ENOMEM recorded) the caller releases the outputs. */
einc_status einc__notation_record(einc_ctx *ctx, struct einc__plan *p, int ninputs, einc_tensor *const *inputs,
                                  int noutputs, einc_tensor **outputs);

/* ---- errors -------------------------------------------------------------------------------- */

/* Records an error unless one is recorded already; returns `status`. */
einc_status einc__error(einc_ctx *ctx, einc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
einc_status einc__verror(einc_ctx *ctx, einc_status status, const char *fmt, va_list ap);

/* NULL-argument guard for public functions returning a tensor. */
#define EINC__REQUIRE(ctx, t, fname)                                                                                   \
    do {                                                                                                               \
        if (!(ctx)) return NULL;                                                                                       \
        if (!(t)) {                                                                                                    \
            einc__error((ctx), EINC_EINVAL, "%s: tensor argument '%s' is NULL", (fname), #t);                          \
            return NULL;                                                                                               \
        }                                                                                                              \
    } while (0)

/* ---- memory -------------------------------------------------------------------------------- */

/* Small allocations (handles, scratch): straight to the allocator. Records EINC_ENOMEM. */
void *einc__alloc(einc_ctx *ctx, size_t size);
void einc__free(einc_ctx *ctx, void *ptr, size_t size);
/* Tensor buffers: served from the pool when a cached block fits. Records EINC_ENOMEM. */
void *einc__buffer_alloc(einc_ctx *ctx, size_t size);
/* The same, recording nothing: the caller says what the buffer was for. */
void *einc__buffer_alloc_quiet(einc_ctx *ctx, size_t size);
/* "1.0 GiB", "12.5 MiB", "300 bytes": a size for error messages. */
char *einc__bytes_str(char *buf, size_t size, size_t bytes);
void einc__buffer_free(einc_ctx *ctx, void *ptr, size_t size);

/* How many bytes the pool may keep cached. An explicit `limit` (einc_ctx_options.pool_limit)
 * wins. Otherwise the pool follows the workload's high-water mark: max(floor, peak) live bytes,
 * so a workload that once held 4 GB live gets its big buffers back on every later call instead of
 * faulting fresh pages in again; but never more than 1/EINC_POOL_PHYS_DIVISOR of physical memory
 * (`phys`), and just `floor` when physical memory is unknown (0). A pure function of its
 * arguments, so tests can feed it made-up machines. */
size_t einc__pool_cap(size_t limit, size_t floor, size_t peak, size_t phys);
/* Physical memory in bytes (sysconf where it exists), 0 when it cannot be read. */
size_t einc__phys_bytes(void);

#define EINC_POOL_FLOOR ((size_t)1 << 30) /* the automatic cap's minimum, 1 GiB        */
#define EINC_POOL_PHYS_DIVISOR 2          /* the automatic cap's maximum: 1/2 of RAM   */

/* ---- shapes -------------------------------------------------------------------------------- */

/* numel of a shape; false on overflow or a negative size. */
bool einc__shape_numel(int ndim, const int64_t *shape, int64_t *numel);
/* Validates ndim/shape for a new tensor of `dtype`; records EINC_EINVAL / EINC_EOVERFLOW. */
bool einc__shape_check(einc_ctx *ctx, const char *fname, einc_dtype dtype, int ndim, const int64_t *shape,
                       int64_t *numel);
void einc__shape_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);
/* Python tuple text of a shape: "(2, 3)", "(3,)", "()". Returns buf. */
char *einc__shape_str(char *buf, size_t size, int ndim, const int64_t *shape);
/* Normalises a possibly negative axis into [0, ndim); records EINC_EINVAL if out of range. */
bool einc__axis_normalize(einc_ctx *ctx, const char *fname, int axis, int ndim, int *out);
/* Broadcasts shapes a and b (NumPy rules) into out (ndim = max); false if incompatible. */
bool einc__shape_broadcast(int andim, const int64_t *ashape, int bndim, const int64_t *bshape, int *ondim,
                           int64_t *oshape);
bool einc__dtype_valid(einc_dtype dtype);
/* float32 or float64: the dtypes einc computes floating point in (and differentiates). float16
 * and bfloat16 are floating in kind (einc__dtype_kind) but stored only: see einc__dtype_is_half. */
bool einc__dtype_is_float(einc_dtype dtype);
/* float16 or bfloat16. */
bool einc__dtype_is_half(einc_dtype dtype);
/* 0 bool, 1 integer (uint8, int8, int16, int32, int64, uint64), 2 floating (float16 to float64); -1 for
 * an invalid value. */
int einc__dtype_kind(einc_dtype dtype);
/* One of the five dtypes every operation takes (float32, float64, int64, int32, bool). */
bool einc__dtype_is_basic(einc_dtype dtype);
/* uint8 or uint64. */
bool einc__dtype_is_unsigned(einc_dtype dtype);
/* EINC_OK when `dtype` is basic; else records and returns EINC_EDTYPE with a message naming the
 * function, the operand (`what`, e.g. "input #1") and the dtype. */
einc_status einc__require_basic(einc_ctx *ctx, const char *fname, const char *what, einc_dtype dtype);

/* ---- dtype rules (dtype_rules.c) ---------------------------------------------------------- */

/* Result dtype of `op` on an x of dtype `x` (the kernel also computes in it). False when the op
 * rejects the dtype (neg of bool). `op` must be valid. */
bool einc__ew_unary_dtype(einc_unary_op op, einc_dtype x, einc_dtype *result);
/* sqrt, exp, sin, ...: the unary ops that compute in floating point (integers give float64). */
bool einc__unary_is_math(einc_unary_op op);
/* The dtype the operands are converted to (`compute`) and the result dtype of `op` on operands
 * of these dtypes and ranks (einc_promote_types, then the op's own rule). `result` equals
 * `compute` except for comparisons (result bool). False when the op rejects the dtypes (sub of
 * two bools). `op` must be valid. */
bool einc__ew_binary_dtypes(einc_binary_op op, einc_dtype a, int a_ndim, einc_dtype b, int b_ndim, einc_dtype *compute,
                            einc_dtype *result);
/* The dtype a kernel computes a result of dtype `result` in: float32 for float16 and bfloat16,
 * int32 for uint8, int8 and int16 (the store rounds or wraps), else `result` itself (uint64 has
 * its own elementwise loops: division, comparisons and extrema depend on the sign bit). */
einc_dtype einc__compute_dtype(einc_dtype result);
/* The basic dtype a product (dot, matmul, conv2d_1x1, Linear) of result dtype `result` is
 * computed in: einc__compute_dtype, except int64 for uint64 (sums and products modulo 2^64 have
 * the same bits in both, so int64's GEMM serves). */
einc_dtype einc__product_dtype(einc_dtype result);
/* The basic dtype softmax and log_softmax convert an input of a stored-only dtype to:
 * einc__compute_dtype, except float64 for uint64 (as int64 it would read values from 2^63 on
 * as negative; every integer's softmax is float64 anyway). */
einc_dtype einc__softmax_dtype(einc_dtype x);
/* Result dtype of `op` on an input of dtype `in` (NumPy rules, see einc/reduce.h). */
einc_dtype einc__reduce_dtype(einc_reduce_op op, einc_dtype in);

/* ---- tensors ------------------------------------------------------------------------------- */

/* New contiguous tensor with uninitialised storage, owned by the current scope. */
einc_tensor *einc__tensor_new(einc_ctx *ctx, einc_dtype dtype, int ndim, const int64_t *shape);
/* New handle sharing base's storage, with the given geometry (dtype of base). Owned by the
 * current scope. The caller guarantees every reachable element lies inside the storage. */
einc_tensor *einc__tensor_view_of(einc_ctx *ctx, const einc_tensor *base, int ndim, const int64_t *shape,
                                  const int64_t *strides, int64_t offset_bytes);
static inline char *einc__tensor_ptr(const einc_tensor *t) {
    return t->storage->data ? (char *)t->storage->data + t->offset : NULL;
}
int64_t einc__tensor_numel(const einc_tensor *t);
/* A storage over `nbytes` of memory einc did not allocate (a file mapping): `release(data, user)`
 * is called when its last reference goes. The caller holds the one reference it starts with
 * (drop it with einc__storage_release); each einc__tensor_on_storage handle adds one. NULL
 * (EINC_ENOMEM) if memory runs out; `release` is then not called. */
einc_storage *einc__storage_external(einc_ctx *ctx, void *data, size_t nbytes, einc_release_fn release, void *user,
                                     bool readonly);
void einc__storage_release(einc_ctx *ctx, einc_storage *s);
/* A new handle (current scope) over `s` with the given geometry; takes its own reference. The
 * caller guarantees every reachable element lies inside the storage. */
einc_tensor *einc__tensor_on_storage(einc_ctx *ctx, einc_storage *s, einc_dtype dtype, int ndim, const int64_t *shape,
                                     const int64_t *strides, int64_t offset_bytes);
/* False, with EINC_EINVAL recorded naming `fname` and `what`, when `t` views read-only memory. */
bool einc__tensor_writable(einc_ctx *ctx, const char *fname, const char *what, const einc_tensor *t);
/* Drops one reference; frees the handle (and unlinks it from its scope) at zero. */
void einc__tensor_drop(einc_tensor *t);
/* Frees the handle now, whatever its count (context teardown only). */
void einc__tensor_free_now(einc_tensor *t);
/* Scope bookkeeping (context.c): link a new handle into the current scope / unlink it. */
void einc__scope_adopt(einc_ctx *ctx, einc_tensor *t);
void einc__scope_forget(einc_ctx *ctx, einc_tensor *t);
bool einc__tensor_is_contiguous(const einc_tensor *t);

/* ---- strided views for kernels ------------------------------------------------------------- */

/* What a kernel sees: data pointer, dtype, geometry. Kernels are pure functions of views. */
typedef struct einc__view {
    char *data;
    einc_dtype dtype;
    int ndim;
    int64_t shape[EINC_MAX_DIMS];
    int64_t strides[EINC_MAX_DIMS]; /* elements */
} einc__view;

einc__view einc__view_of(const einc_tensor *t);
/* The same view broadcast to `ndim`/`shape` (trailing alignment, stride 0 where stretched). The
 * shapes must be broadcast-compatible (checked by the caller). */
einc__view einc__view_broadcast(const einc_tensor *t, int ndim, const int64_t *shape);

/* Element access by dtype, for reference kernels and slow paths. */
double einc__load_f64(const char *p, einc_dtype dtype);
void einc__store_f64(char *p, einc_dtype dtype, double v);
/* Integer and bool elements as int64, exactly (floats: truncated as einc__store_f64 stores
 * them into int64). */
int64_t einc__load_i64(const char *p, einc_dtype dtype);
/* Stores v into an integer or bool element: two's complement wrap-around (NumPy's integer
 * casts), bool by != 0. A float dtype gets the nearest value. */
void einc__store_i64(char *p, einc_dtype dtype, int64_t v);
/* One element from src (dtype st) to dst (dtype dt), by einc_tensor_cast's rules: between
 * integer and bool dtypes exactly (wrapping), int64 to float32 with one rounding, everything
 * else through float64 (exact for every source) with one rounding on the store. */
void einc__convert_elem(char *dst, einc_dtype dt, const char *src, einc_dtype st);

/* IEEE binary16 and bfloat16 bit patterns. Widening is exact; narrowing rounds to nearest, ties
 * to even, overflows to infinity, keeps the sign of zeros and infinities and keeps NaN a NaN
 * (quiet, sign and top payload bits kept). */
uint16_t einc__f16_from_f64(double x);
uint16_t einc__bf16_from_f64(double x);
static inline float einc__f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, u;
    if (exp == 0x1f) {
        u = sign | 0x7f800000u | (man << 13); /* infinity, or NaN with its payload */
    } else if (exp == 0) {
        float f = (float)man * 0x1p-24f; /* zero or subnormal: exact */
        return sign ? -f : f;
    } else {
        u = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline float einc__bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
/* The float32 narrowings, by bit arithmetic, with the results of the float64 ones for every
 * float32 (a NaN comes out quiet, as it does through a conversion to double). */
static inline uint16_t einc__f16_from_f32(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x47800000u) return (uint16_t)(sign | 0x7c00u); /* 2^16 and up (and infinity) */
    if (a < 0x38800000u) {                      /* below 2^-14: the float adder rounds to the subnormal quantum 2^-24 */
        const uint32_t magic_bits = 126u << 23; /* 0.5: its ulp is 2^-24 */
        float v, m;
        memcpy(&v, &a, 4);
        memcpy(&m, &magic_bits, 4);
        v += m;
        uint32_t r;
        memcpy(&r, &v, 4);
        return (uint16_t)(sign | (r - magic_bits));
    }
    /* rebias, then round the 13 dropped bits to nearest even; a carry may reach infinity */
    uint32_t r = a + 0xc8000fffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | (r >> 13));
}
static inline uint16_t einc__bf16_from_f32(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

/* ---- threads ------------------------------------------------------------------------------- */

typedef void (*einc__task_fn)(void *arg, int ith, int nth);
/* How many threads a region of `work` (about one unit per element touched) runs on now: 1 when
 * work is below the threading threshold in force (EINC_PARALLEL_THRESHOLD, or higher while the
 * workers lag, see einc_ctx.par), when ctx->threads is 1 or inside a region; else ctx->threads.
 * A caller that sizes per-worker scratch asks once and passes the answer to einc__parallel_n:
 * asking again may answer more (a probe falls due in between). */
int einc__parallel_width(einc_ctx *ctx, int64_t work);
/* Runs fn(arg, ith, nth) once for every ith in [0, nth), nth = width (from einc__parallel_width
 * for the same work), spread over the calling thread and the context's sleeping workers
 * (parallel.c); width 1 runs fn(arg, 0, 1) on the caller. For kernels with per-worker scratch
 * (ith indexes it). Never call BLAS from fn. */
void einc__parallel_n(einc_ctx *ctx, int width, int64_t work, einc__task_fn fn, void *arg);
/* The threshold's adaptation after one region (parallel.c): `work` split into n chunks, started
 * at `start`, the workers woken at `go`, the caller's first chunk done at `first` (0 unless it ran
 * alone) and its `mine` chunks at `mine_end`, the workers' last at `end`, in seconds. Called by
 * every timed region; tests call it with chosen times. */
void einc__parallel_judge(einc_ctx *ctx, int64_t work, int n, int mine, double start, double go, double first,
                          double mine_end, double end);
/* einc__parallel_n at einc__parallel_width(ctx, work). */
void einc__parallel(einc_ctx *ctx, int64_t work, einc__task_fn fn, void *arg);
/* The same with a finer split: one call (0, 1) where einc__parallel_width(ctx, work) is 1, else
 * up to 8 * ctx->threads pieces, about EINC_PARALLEL_THRESHOLD / 4 work each, taken by whichever
 * thread is free, so a busy core delays the region by one piece, not by half the work. fn must
 * only use ith to pick its part (no per-worker scratch) and its results must not depend on nth. */
void einc__parallel_chunks(einc_ctx *ctx, int64_t work, einc__task_fn fn, void *arg);
/* The thread running this piece: 0 for the caller, 1..ctx->threads-1 for workers; two pieces that
 * run at the same time never share it. Lets a kernel on einc__parallel_chunks keep per-thread
 * scratch (index it by einc__worker_id(), size it by ctx->threads). */
int einc__worker_id(void);
/* Joins the context's workers (einc_ctx_destroy). */
void einc__team_destroy(einc_ctx *ctx);
/* [begin, end) of `n` items for worker ith of nth (contiguous, balanced). */
void einc__split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end);

/* The least work a region splits: about 0.1-0.3 ms of a memory-bound kernel on the Zen 3 VM
 * (2026-12), where waking a sleeping worker costs 0.05-0.1 ms. Below it a second thread costs
 * more than it saves. Above it the cost is measured region by region (einc_ctx.par). */
#define EINC_PARALLEL_THRESHOLD (1 << 20)

/* ---- CPU dispatch (cpu.c) ------------------------------------------------------------------ */

/* The einc_cpu_level kernels dispatch on: einc_cpu_level_active() as an int (EINC_CPU_*),
 * detected once. Kernels read it on every call (one relaxed atomic load), so a test can switch. */
int einc__cpu_level(void);
/* Tests only: makes einc__cpu_level() return min(level, supported) until the next call; returns
 * the level in force before. Not thread-safe against kernels running at the same time. */
int einc__cpu_level_force(int level);
/* Whether the CPU is Intel's: the few choices that are measured facts about one vendor's memory
 * system rather than about an instruction set (gemm.c's non-temporal stores). */
bool einc__cpu_is_intel(void);

/* ---- random numbers ------------------------------------------------------------------------ */

/* 64 random bits for counter value `counter` of stream `seed` (a keyed mixing function). */
uint64_t einc__rng_bits(uint64_t seed, uint64_t counter);

#endif /* EINC_INTERNAL_H */
