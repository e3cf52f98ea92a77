/* parallel.c — coarse-grained OpenMP dispatch with a size threshold. */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

void einc__split_range(int64_t n, int ith, int nth, int64_t *begin, int64_t *end) {
    int64_t base = n / nth, extra = n % nth;
    *begin = ith * base + (ith < extra ? ith : extra);
    *end = *begin + base + (ith < extra ? 1 : 0);
}

void einc__parallel(const einc_ctx *ctx, int64_t work, einc__task_fn fn, void *arg) {
    int nth = ctx ? ctx->threads : 1;
    if (nth <= 1 || work < EINC_PARALLEL_THRESHOLD) {
        fn(arg, 0, 1);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nth)
    fn(arg, omp_get_thread_num(), omp_get_num_threads());
#else
    fn(arg, 0, 1);
#endif
}
