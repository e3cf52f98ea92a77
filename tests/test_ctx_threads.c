/* One context, several threads (issue 14 item 5): a context belongs to one thread at a time. Two
 * threads hammering one context: the owner's calls all work and give the right results, every
 * call of the other fails at once with EINC_EBUSY / NULL and a message saying why, nothing is
 * corrupted (run under ASan/UBSan in the sanitizer build), and the owner then sees a ThreadError
 * counting the refused calls. Two threads racing for a fresh context: exactly one gets it. Handing
 * a context over with einc_ctx_detach. */
#include <pthread.h>

#include "test.h"

#define CALLS 4000

typedef struct {
    einc_ctx *ctx;
    einc_tensor *shared; /* a tensor of the owner's, which the intruder tries to release; NULL: none */
    pthread_barrier_t *start;
    int ok, refused, wrong;
    bool clear_message;
} worker;

/* What both kinds of thread do: a scope, a tensor, a cached notation call, a raw call, a release.
 * Counts the calls that succeed with the right value and those refused with EINC_EBUSY. */
static void hammer(worker *w) {
    einc_ctx *ctx = w->ctx;
    for (int i = 0; i < CALLS; i++) {
        einc_status st = einc_scope_begin(ctx);
        if (st == EINC_EBUSY) {
            w->refused++;
            /* every other entry point refuses as well, and touches nothing */
            if (einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3)) == NULL) w->refused++;
            if (einc_sum(ctx, "a [b]", w->shared) == NULL) w->refused++;
            einc_tensor_release(w->shared); /* refused: the owner's tensor stays valid */
            if (einc_scope_end(ctx) == EINC_EBUSY) w->refused++;
            if (einc_errcode(ctx) == EINC_EBUSY) w->refused++;
            w->clear_message = strstr(einc_errmsg(ctx), "belongs to another thread") != NULL;
            continue;
        }
        einc_tensor *x = einc_tensor_full(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3), (double)(i % 7));
        einc_tensor *s = einc_sum(ctx, "a [b]", x);
        einc_tensor *other = w->shared ? w->shared : einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
        einc_tensor *t = einc_tensor_add(ctx, s, einc_sum(ctx, "a [b]", other));
        double want = 3.0 * (i % 7) + 3.0;
        if (t && einc_tensor_get(t, (int64_t[]){1}) == want && einc_scope_end(ctx) == EINC_OK) w->ok++;
        else w->wrong++;
    }
}

static void *run_worker(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(w->start);
    hammer(w);
    return NULL;
}

TEST(second_thread_refused_while_the_owner_works) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *ones = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3)); /* this thread owns ctx now */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    worker intruder = {ctx, ones, &start, 0, 0, 0, false}, owner = {ctx, ones, &start, 0, 0, 0, false};
    pthread_t th;
    pthread_create(&th, NULL, run_worker, &intruder);
    pthread_barrier_wait(&start);
    hammer(&owner);
    pthread_join(th, NULL);
    CHECK_EQ_INT(owner.ok, CALLS);
    CHECK_EQ_INT(owner.wrong + owner.refused, 0);
    CHECK_EQ_INT(intruder.ok + intruder.wrong, 0);
    CHECK_EQ_INT(intruder.refused, 5 * CALLS);
    CHECK(intruder.clear_message);
    /* the owner hears of it once, with the count */
    CHECK_EQ_INT(einc_errcode(ctx), EINC_EBUSY);
    CHECK(strstr(einc_errmsg(ctx), "used from another thread") && strstr(einc_errmsg(ctx), "calls refused"));
    einc_clear_error(ctx);
    CHECK_EQ_INT(einc_errcode(ctx), EINC_OK);
    /* the shared tensor survived every refused release */
    CHECK(einc_tensor_get(ones, (int64_t[]){1, 2}) == 1.0);
    pthread_barrier_destroy(&start);
    einc_ctx_destroy(ctx);
}

TEST(two_threads_race_for_a_fresh_context) {
    for (int round = 0; round < 20; round++) {
        einc_ctx *ctx = einc_ctx_create(); /* nobody's yet: the first call claims it */
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        worker w[2] = {{ctx, NULL, &start, 0, 0, 0, false}, {ctx, NULL, &start, 0, 0, 0, false}};
        pthread_t th[2];
        for (int k = 0; k < 2; k++) pthread_create(&th[k], NULL, run_worker, &w[k]);
        for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
        /* exactly one thread owned it: all its calls worked; all of the other's were refused */
        int winners = (w[0].ok == CALLS) + (w[1].ok == CALLS);
        CHECK_EQ_INT(winners, 1);
        CHECK_EQ_INT(w[0].wrong + w[1].wrong, 0);
        CHECK_EQ_INT(w[0].ok + w[1].ok, CALLS);
        pthread_barrier_destroy(&start);
        einc_ctx_destroy(ctx); /* from a third thread, now that neither uses it */
    }
}

typedef struct {
    einc_ctx *ctx;
    einc_tensor *t;
    double got;
    einc_status detach;
} handover;

static void *use_then_detach(void *arg) {
    handover *h = arg;
    einc_tensor *s = einc_sum(h->ctx, "[a b]", h->t);
    h->got = s ? einc_tensor_item(s) : -1;
    h->detach = einc_ctx_detach(h->ctx);
    return NULL;
}

TEST(handing_a_context_over) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *t = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(3, 4));
    handover h = {ctx, t, 0, EINC_OK};
    /* without detaching, the other thread is refused */
    pthread_t th;
    pthread_create(&th, NULL, use_then_detach, &h);
    pthread_join(th, NULL);
    CHECK(h.got == -1);
    CHECK_EQ_INT(h.detach, EINC_EBUSY); /* not its context to give away */
    CHECK_EQ_INT(einc_errcode(ctx), EINC_EBUSY);
    einc_clear_error(ctx);
    /* detached, it works there, and comes back */
    CHECK_EQ_INT(einc_ctx_detach(ctx), EINC_OK);
    pthread_create(&th, NULL, use_then_detach, &h);
    pthread_join(th, NULL);
    CHECK(h.got == 12.0);
    CHECK_EQ_INT(h.detach, EINC_OK);
    einc_tensor *s = einc_sum(ctx, "[a b]", t);
    CHECK(s && einc_tensor_item(s) == 12.0);
    CHECK_EQ_INT(einc_errcode(ctx), EINC_OK);
    CHECK_EQ_INT(einc_ctx_detach(NULL), EINC_EINVAL);
    einc_ctx_destroy(ctx);
}

int main(void) {
    RUN(second_thread_refused_while_the_owner_works);
    RUN(two_threads_race_for_a_fresh_context);
    RUN(handing_a_context_over);
    return test_summary();
}
