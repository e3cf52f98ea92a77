/* attention.h — fused (flash) attention over strided views, forward and backward (private).
 *
 * Geometry: nb batch dimensions shared by every view, then two role dimensions:
 *     q [batch..., N, d]   k [batch..., M, d]   v [batch..., M, e]   o [batch..., N, e]
 *     bias [batch..., N, M] (optional; any strides, 0 where it broadcasts)
 *     lse [batch..., N] (float32 or the dtype of q; the log-sum-exp of each row of scores)
 * scores x = scale * (q @ k^T) + bias, masked to -inf where causal and j > i (PyTorch's
 * is_causal: the mask is aligned to the top left), o = softmax(x over M) @ v. All views have one
 * float dtype (float32 or float64) and any strides; o, lse and the gradients must not overlap
 * anything. A row whose scores are all -inf (or NaN, or +inf) gives NaN, as the unfused
 * softmax does.
 *
 * The float32 path at the AVX2 and AVX-512 levels never forms the N x M scores: work pieces are
 * (batch entry, block of BR query rows); per key block of BC keys it computes the BR x BC tile
 * S = q k^T with the GEMM micro-kernels (gemm.h, a row strip of 6 at a time), runs the online
 * softmax over each row (vecmath.h: scale, bias, mask, running max m and sum l, the output row
 * rescaled when m grows) and adds P v into the block's output rows (FlashAttention-2's forward:
 * Dao 2023). The keys and values of a batch entry are packed once per worker (k^T in 64-wide
 * strips, v in rows), so the extra memory is O((N + M)(d + e)) per worker, independent of N * M.
 * Narrow heads (d and e at most EINC__ATTN_NARROW = 8, as the notebook's 4) take a forward of their
 * own, one query row at a time against k^T and v^T packed per batch entry: scores, online softmax
 * and p . v in vector registers, with no tiles to load and store (the tiles' micro-kernels at
 * K = 4 spend more on their C tile than on FMAs). The backward is the tiled one for every width.
 * float64 and the baseline level run the reference, one query row at a time (O(M) scratch).
 *
 * Every element of o is computed by one worker in a fixed order, so results do not depend on
 * (ith, nth). The backward splits by batch entry only (each entry's dq sums over key blocks);
 * when the bias gradient is wanted and the bias broadcasts over batch entries, pass nth = 1.
 */
#ifndef EINC_ATTENTION_KERNEL_H
#define EINC_ATTENTION_KERNEL_H

#include "gemm.h"

typedef struct einc__attn {
    int nb;                /* batch dimensions (views have nb + 2 dimensions; lse nb + 1) */
    einc__view q, k, v, o; /* o: the output (forward) or the forward's output (backward)  */
    einc__view lse;        /* forward: written when data != NULL; backward: read          */
    einc__view bias;       /* data == NULL: none                                           */
    double scale;
    bool causal;
    /* backward only */
    einc__view dout;       /* [batch..., N, e] the gradient of o                          */
    einc__view dq, dk, dv; /* written (overwritten), data == NULL: not wanted             */
    einc__view dbias;      /* accumulated into (+=), bias's broadcast view; NULL: none     */
    int level;             /* the EINC_CPU_* level to run (tests); -1: einc__cpu_level()  */
} einc__attn;

/* Bytes of scratch a call needs (64-byte aligned). */
size_t einc__k_attention_scratch(const einc__attn *a, bool backward);

/* The forward for part ith of nth: o (and lse when wanted) for its (batch entry, query block)
 * pieces. `scratch`: einc__k_attention_scratch(a, false) bytes of the calling thread's own (two
 * calls running at once never share it; nothing is kept in it between calls). */
void einc__k_attention(const einc__attn *a, void *scratch, int ith, int nth);
/* The backward for part ith of nth: dq, dk, dv (those wanted) of its batch entries, and adds to
 * dbias. Reads q, k, v, o, lse (from the forward) and dout. Scratch as for the forward. */
void einc__k_attention_backward(const einc__attn *a, void *scratch, int ith, int nth);

/* The oracles: one query row at a time, the scores of that row in float64 (scratch:
 * einc__k_attention_ref_scratch bytes for the call), the exact softmax, then the weighted sum. The
 * backward oracle computes the same rows and accumulates dk, dv, dbias per batch entry. */
size_t einc__k_attention_ref_scratch(const einc__attn *a);
void einc__k_attention_ref(const einc__attn *a, void *scratch, int ith, int nth);
void einc__k_attention_backward_ref(const einc__attn *a, void *scratch, int ith, int nth);

/* What a level brings to the float32 path (attention.c): micro[nv]
 * computes MR x (nv * lanes) tiles (gemm.h's contract), nv = 1..maxnv, all with the same MR; and
 * the row steps of the online softmax (vecmath.h). */
typedef struct einc__attn_kernels {
    int mr, lanes, maxnv;
    const einc__gemm_micro_fn *micro; /* [maxnv + 1] (gemm.h: the GEMM's kernel at every width) */
    void (*fwd_rows)(float *s, int64_t ld, const float *bias, int64_t nrows, int64_t n, int64_t valid0, int64_t vstep,
                     float scale, float *m, float *l, float *o, int64_t ldo, int64_t no);
    void (*bwd_rows)(float *s, float *dp, int64_t ld, const float *bias, int64_t nrows, int64_t n, int64_t valid0,
                     int64_t vstep, float scale, const float *lse, const float *dd);
    /* the forward of one or two query rows for narrow heads (vecmath.h, EINC__ATTN_NARROW) */
    void (*narrow)(const float *qs, int64_t d, const float *kt, const float *vt, int64_t ldk, int64_t e,
                   const float *brow, int64_t m, int64_t valid0, int64_t vstep, int nrows, float *o, int64_t ors,
                   int64_t ocs, float *lse, int64_t lrs);
} einc__attn_kernels;
#if EINC_X86_LEVELS
const einc__attn_kernels *einc__attn_kernels_avx2(void);
const einc__attn_kernels *einc__attn_kernels_avx512(void);
#endif

#endif /* EINC_ATTENTION_KERNEL_H */
