/* attention.c — the fused attention kernels (kernels/attention.h) on a context's threads, with
 * their per-worker scratch from the buffer pool. */
#include "../kernels/attention.h"
#include "drivers.h"

typedef struct {
    const einc__attn *a;
    char *scratch; /* one slice per thread of the context */
    size_t per;
    bool backward;
} attention_job;

/* A piece of the work on whichever thread is free (einc__parallel_chunks: a busy core delays
 * the call by one piece, not by half of it), with that thread's scratch. */
static void attention_task(void *arg, int ith, int nth) {
    attention_job *job = arg;
    void *scratch = job->scratch + job->per * (size_t)einc__worker_id();
    if (job->backward) einc__k_attention_backward(job->a, scratch, ith, nth);
    else einc__k_attention(job->a, scratch, ith, nth);
}

/* True when two batch entries may add to the same bias-gradient element (a stride-0 batch
 * dimension of more than one entry): then one worker must do them all, in order. */
static bool dbias_shared(const einc__attn *a) {
    if (!a->dbias.data) return false;
    for (int i = 0; i < a->nb; i++)
        if (a->dbias.shape[i] > 1 && a->dbias.strides[i] == 0) return true;
    return false;
}

einc_status einc__attention_run(einc_ctx *ctx, const einc__attn *a, bool backward) {
    int nb = a->nb;
    int64_t batch = 1, work;
    for (int i = 0; i < nb; i++) batch *= a->q.shape[i];
    int64_t per_row = a->k.shape[nb] * (a->q.shape[nb + 1] + a->v.shape[nb + 1]);
    if (__builtin_mul_overflow(batch * a->q.shape[nb], per_row > 0 ? per_row : 1, &work)) work = INT64_MAX;
    /* scratch is sized for this answer; einc__parallel_chunks asks again and gets the same one (no
     * region runs in between, and a due probe stays due) */
    bool serial = einc__parallel_width(ctx, work) == 1 || (backward && dbias_shared(a));
    int workers = serial ? 1 : ctx->threads;
    size_t per = (einc__k_attention_scratch(a, backward) + 63) / 64 * 64, bytes = per * (size_t)workers;
    attention_job job = {a, NULL, per, backward};
    if (bytes > 0 && !(job.scratch = einc__buffer_alloc(ctx, bytes))) return EINC_ENOMEM;
    if (serial) attention_task(&job, 0, 1);
    else einc__parallel_chunks(ctx, work, attention_task, &job);
    if (job.scratch) einc__buffer_free(ctx, job.scratch, bytes);
    return EINC_OK;
}

/* The view of t with its dimensions picked in the order `dims` [n]. */
static einc__view pick(const einc_tensor *t, const int *dims, int n) {
    einc__view v = einc__view_of(t), r = v;
    r.ndim = n;
    for (int i = 0; i < n; i++) {
        r.shape[i] = v.shape[dims[i]];
        r.strides[i] = v.strides[dims[i]];
    }
    return r;
}

einc__attn einc__attention_views(const einc__attn_map *map, einc_tensor *q, einc_tensor *k, einc_tensor *v,
                                 einc_tensor *o, einc_tensor *lse, einc_tensor *bias) {
    int nb = map->nb;
    einc__attn a;
    memset(&a, 0, sizeof a);
    a.nb = nb;
    a.q = pick(q, map->q, nb + 2), a.k = pick(k, map->k, nb + 2), a.v = pick(v, map->v, nb + 2);
    a.o = pick(o, map->o, nb + 2);
    if (lse) a.lse = einc__view_of(lse);
    if (bias) a.bias = einc__view_broadcast(bias, nb + 2, map->scores);
    a.scale = map->scale;
    a.causal = map->causal;
    a.level = -1;
    return a;
}

void einc__attention_grad_views(einc__attn *a, const einc__attn_map *map, einc_tensor *dout, einc_tensor *dq,
                                einc_tensor *dk, einc_tensor *dv, einc_tensor *dbias) {
    int nb = map->nb;
    a->dout = pick(dout, map->o, nb + 2);
    if (dq) a->dq = pick(dq, map->q, nb + 2);
    if (dk) a->dk = pick(dk, map->k, nb + 2);
    if (dv) a->dv = pick(dv, map->v, nb + 2);
    if (dbias) a->dbias = einc__view_broadcast(dbias, nb + 2, map->scores);
}
