/* copy.c — the copy kernel run on the context's threads. */
#include "../kernels/kernels.h"
#include "drivers.h"

typedef struct {
    einc__view dst, src;
} copy_job;

static void copy_task(void *arg, int ith, int nth) {
    copy_job *job = arg;
    einc__k_copy(&job->dst, &job->src, ith, nth);
}

void einc__copy_views(einc_ctx *ctx, const einc__view *dst, const einc__view *src) {
    copy_job job = {*dst, *src};
    int64_t n = 1;
    for (int d = 0; d < dst->ndim; d++) n *= dst->shape[d];
    if (n == 0) return;
    einc__parallel_chunks(ctx, n, copy_task, &job);
}
