/* test_core.c — contexts, sticky errors, scopes, the buffer pool, and a fail-the-Nth-allocation
 * sweep over representative public calls. */
#include "core/internal.h"
#include "test.h"

/* ---- status codes, dtypes ------------------------------------------------------------------ */

TEST(status_names) {
    static const struct {
        einc_status code;
        int value;
        const char *name;
    } table[] = {
#define ROW(code, value, name) {code, value, name},
        EINC_STATUS_TABLE(ROW)
#undef ROW
    };
    size_t n = sizeof table / sizeof table[0];
    CHECK_EQ_INT(n, 16);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_INT(table[i].code, table[i].value);
        CHECK(strcmp(einc_status_name(table[i].code), table[i].name) == 0);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(table[i].name, table[j].name) != 0);
    }
    CHECK(strcmp(einc_status_name(EINC_OK), "OK") == 0);
    CHECK(strcmp(einc_status_name(EINC_ESYNTAX), "SyntaxError") == 0);
    CHECK(strcmp(einc_status_name(EINC_ENOMEM), "MemoryError") == 0);
    CHECK(strcmp(einc_status_name(EINC_EBUSY), "ThreadError") == 0);
    CHECK(strcmp(einc_status_name((einc_status)16), "UnknownError") == 0);
    CHECK(strcmp(einc_status_name((einc_status)-1), "UnknownError") == 0);
}

TEST(dtype_names_and_sizes) {
    static const char *names[] = {"float32",  "float64", "int64", "int32", "bool",  "float16",
                                  "bfloat16", "uint8",   "int8",  "int16", "uint64"};
    static const size_t sizes[] = {4, 8, 8, 4, 1, 2, 2, 1, 1, 2, 8};
    for (int d = 0; d < EINC_NUM_DTYPES; d++) {
        CHECK(strcmp(einc_dtype_name((einc_dtype)d), names[d]) == 0);
        CHECK_EQ_INT(einc_dtype_size((einc_dtype)d), sizes[d]);
    }
    CHECK(strcmp(einc_dtype_name((einc_dtype)EINC_NUM_DTYPES), "invalid") == 0);
    CHECK_EQ_INT(einc_dtype_size((einc_dtype)-1), 0);
}

/* ---- contexts ------------------------------------------------------------------------------ */

TEST(context_lifecycle) {
    einc_ctx *ctx = einc_ctx_create_with(NULL);
    CHECK(ctx != NULL);
    CHECK_EQ_INT(einc_errcode(ctx), EINC_OK);
    CHECK(strcmp(einc_errmsg(ctx), "") == 0);
    CHECK_EQ_INT(einc_scope_depth(ctx), 0);
    CHECK(einc_get_threads(ctx) >= 1);
    einc_set_threads(ctx, 3);
    CHECK_EQ_INT(einc_get_threads(ctx), 3);
    einc_set_threads(ctx, 0);
    CHECK(einc_get_threads(ctx) >= 1);
    einc_ctx_destroy(ctx);
    einc_ctx_destroy(NULL);
    CHECK_EQ_INT(einc_get_threads(NULL), 1);
    CHECK_EQ_INT(einc_scope_depth(NULL), 0);
    /* an allocator without functions, or one that fails at once, gives no context */
    einc_allocator broken = {NULL, NULL, NULL};
    CHECK(einc_ctx_create_with(&(einc_ctx_options){.allocator = &broken}) == NULL);
    test_alloc_state st;
    CHECK(test_ctx_with_budget(&st, 0) == NULL);
    CHECK_EQ_INT(st.live, 0);
    /* tensors still alive at destroy time are freed with it */
    ctx = test_ctx_with_budget(&st, -1);
    einc_tensor *kept = einc_tensor_retain(einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(100000)));
    einc_scope_begin(ctx);
    einc_tensor_ones(ctx, EINC_INT32, EINC_SHAPE(10));
    CHECK(kept != NULL);
    einc_ctx_destroy(ctx); /* with a scope still open */
    CHECK_EQ_INT(st.live, 0);
    CHECK_EQ_INT(st.live_blocks, 0);
}

/* ---- sticky errors ------------------------------------------------------------------------- */

TEST(sticky_errors) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3));
    /* the first error wins */
    CHECK(einc_tensor_select(ctx, x, 0, 5) == NULL);
    CHECK(einc_tensor_squeeze(ctx, x, 0) == NULL);
    CHECK_EQ_INT(einc_errcode(ctx), EINC_EINDEX);
    CHECK(strstr(einc_errmsg(ctx), "einc_tensor_select: index 5") != NULL);
    /* operations still run while an error is recorded, and leave it alone */
    einc_tensor *y = einc_tensor_transpose(ctx, x, 0, 1);
    CHECK(y != NULL && einc_tensor_dim(y, 0) == 3);
    CHECK_ERROR(ctx, EINC_EINDEX, "einc_tensor_select: index 5 is out of range for dimension 0 of size 2");
    CHECK_EQ_INT(einc_errcode(ctx), EINC_OK);
    CHECK(strcmp(einc_errmsg(ctx), "") == 0);

    /* NULL propagates through a chain; the error names the first failing call */
    einc_tensor *z =
        einc_tensor_flip(ctx, einc_tensor_unsqueeze(ctx, einc_tensor_transpose(ctx, x, 0, 2), 0), EINC_ALL);
    CHECK(z == NULL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_tensor_transpose: axis 2 is out of range for a tensor with 2 dimensions");
    /* a NULL argument records EINVAL only when nothing is recorded yet */
    CHECK(einc_tensor_clone(ctx, NULL) == NULL);
    CHECK_EQ_INT(einc_errcode(ctx), EINC_EINVAL);
    einc_clear_error(ctx);
    CHECK_EQ_INT(einc_set_error(ctx, EINC_EVALUE, "custom %d/%s", 7, "x"), EINC_EVALUE);
    CHECK(einc_tensor_clone(ctx, NULL) == NULL);
    CHECK_ERROR(ctx, EINC_EVALUE, "custom 7/x");
    /* set_error with EINC_OK records nothing; a NULL format records an empty message */
    CHECK_EQ_INT(einc_set_error(ctx, EINC_OK, "ignored"), EINC_OK);
    CHECK_OK(ctx);
    CHECK_EQ_INT(einc_set_error(ctx, EINC_EIO, NULL), EINC_EIO);
    CHECK_ERROR(ctx, EINC_EIO, "");
    /* overlong messages are truncated, not overflowed */
    char *longmsg = malloc(20000);
    memset(longmsg, 'a', 19999);
    longmsg[19999] = '\0';
    einc_set_error(ctx, EINC_EFORMAT, "%s", longmsg);
    CHECK(strlen(einc_errmsg(ctx)) > 1000 && strlen(einc_errmsg(ctx)) < 19999);
    einc_clear_error(ctx);
    free(longmsg);
    /* no context */
    CHECK_EQ_INT(einc_errcode(NULL), EINC_EINVAL);
    CHECK(strcmp(einc_errmsg(NULL), "context is NULL") == 0);
    einc_clear_error(NULL);
    CHECK_EQ_INT(einc_set_error(NULL, EINC_EVALUE, "nowhere"), EINC_EVALUE);
    CHECK(einc_tensor_transpose(NULL, x, 0, 1) == NULL);
    einc_ctx_destroy(ctx);
}

/* ---- scopes -------------------------------------------------------------------------------- */

static size_t live_tensors(const einc_ctx *ctx) {
    einc_memory_stats s;
    einc_memory_stats_get(ctx, &s);
    return s.live_tensors;
}

static size_t live_bytes(const einc_ctx *ctx) {
    einc_memory_stats s;
    einc_memory_stats_get(ctx, &s);
    return s.live_bytes;
}

TEST(scopes_release_keep_retain) {
    test_alloc_state st;
    einc_ctx *ctx = test_ctx_with_budget(&st, -1);
    einc_tensor *root = einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(4));
    CHECK_EQ_INT(live_tensors(ctx), 1);

    CHECK_EQ_INT(einc_scope_begin(ctx), EINC_OK);
    CHECK_EQ_INT(einc_scope_depth(ctx), 1);
    einc_tensor *tmp = einc_tensor_ones(ctx, EINC_FLOAT64, EINC_SHAPE(1000));
    einc_tensor *view = einc_tensor_flip(ctx, tmp, EINC_ALL);
    einc_tensor *kept = einc_keep(ctx, einc_tensor_full(ctx, EINC_FLOAT64, EINC_SHAPE(3), 2.0));
    einc_tensor *held = einc_tensor_retain(einc_tensor_full(ctx, EINC_INT32, EINC_SHAPE(5), 9.0));
    einc_tensor *early = einc_tensor_zeros(ctx, EINC_BOOL, EINC_SHAPE(8));
    einc_tensor_release(early); /* releasing early is allowed: the scope skips it */
    CHECK(tmp && view && kept && held);
    CHECK_EQ_INT(live_tensors(ctx), 5);
    CHECK_EQ_INT(einc_scope_end(ctx), EINC_OK);
    CHECK_EQ_INT(einc_scope_depth(ctx), 0);
    /* tmp and view are gone; kept moved to the root; held survives on its own reference */
    CHECK_EQ_INT(live_tensors(ctx), 3);
    CHECK_EQ_INT(einc_tensor_item(einc_tensor_select(ctx, kept, 0, 2)), 2);
    CHECK_EQ_INT(einc_tensor_get(held, (int64_t[]){4}), 9);
    einc_tensor_release(held);
    CHECK_EQ_INT(live_tensors(ctx), 3); /* kept, root and the select above */

    /* nested scopes: keep moves exactly one level up */
    einc_scope_begin(ctx);
    einc_tensor *outer = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2));
    einc_scope_begin(ctx);
    einc_tensor *inner = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2));
    einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2));
    CHECK(einc_keep(ctx, inner) == inner);
    einc_keep(ctx, inner); /* already in the enclosing scope: stays there */
    einc_keep(ctx, outer); /* belongs to an outer scope: stays */
    CHECK_EQ_INT(einc_scope_depth(ctx), 2);
    CHECK_EQ_INT(live_tensors(ctx), 6);
    einc_scope_end(ctx);
    CHECK_EQ_INT(live_tensors(ctx), 5);
    CHECK_EQ_INT(einc_tensor_numel(inner), 2);
    einc_scope_end(ctx);
    CHECK_EQ_INT(live_tensors(ctx), 3);
    CHECK(einc_keep(ctx, NULL) == NULL);
    CHECK(einc_keep(ctx, root) == root); /* root scope: no-op */
    CHECK(einc_keep(NULL, root) == root);

    /* unbalanced scope_end */
    CHECK_EQ_INT(einc_scope_end(ctx), EINC_EINVAL);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_scope_end: no scope is open (unbalanced scope_end)");
    CHECK_EQ_INT(einc_scope_begin(NULL), EINC_EINVAL);
    CHECK_EQ_INT(einc_scope_end(NULL), EINC_EINVAL);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live, 0);
    CHECK_EQ_INT(st.live_blocks, 0);
}

/* A retained tensor outlives its scope; a scope ending while it is still held must not lose it
 * (einc_ctx_destroy frees it if the caller never releases). */
TEST(scopes_retained_left_to_destroy) {
    test_alloc_state st;
    einc_ctx *ctx = test_ctx_with_budget(&st, -1);
    einc_scope_begin(ctx);
    einc_tensor *t = einc_tensor_retain(einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(64)));
    einc_tensor *v = einc_tensor_retain(einc_tensor_transpose(ctx, einc_tensor_view(ctx, t, EINC_SHAPE(8, 8)), 0, 1));
    einc_scope_end(ctx);
    CHECK_EQ_INT(live_tensors(ctx), 2);
    einc_keep(ctx, v); /* a detached tensor has no scope to move from */
    einc_tensor_release(t);
    CHECK_EQ_INT(einc_tensor_get(v, (int64_t[]){7, 7}), 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live, 0);
    CHECK_EQ_INT(st.live_blocks, 0);
}

TEST(scope_nesting_limit) {
    einc_ctx *ctx = einc_ctx_create();
    int opened = 0;
    while (einc_scope_begin(ctx) == EINC_OK && opened < 1000) opened++;
    CHECK_EQ_INT(opened, 255);
    CHECK_ERROR(ctx, EINC_EINVAL, "einc_scope_begin: more than 255 nested scopes");
    CHECK_EQ_INT(einc_scope_depth(ctx), 255);
    /* every level still owns its tensors */
    einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(2));
    for (int i = 0; i < opened; i++) CHECK_EQ_INT(einc_scope_end(ctx), EINC_OK);
    CHECK_EQ_INT(live_tensors(ctx), 0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* A training-loop shape: 1000 steps, each in its own scope, with temporaries of several sizes
 * (pooled and not) and one result copied into a tensor of the root scope. Memory stays flat. */
TEST(scope_loop_is_flat) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *acc = einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(64, 64));
    einc_memory_stats before, after;
    einc_memory_stats_get(ctx, &before);
    size_t worst_tensors = 0, worst_bytes = 0;
    for (int step = 0; step < 1000; step++) {
        einc_scope_begin(ctx);
        einc_tensor *a = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(64, 64));
        einc_tensor *b = einc_tensor_clone(ctx, einc_tensor_transpose(ctx, a, 0, 1));
        einc_tensor *c = einc_tensor_cast(ctx, einc_tensor_flip(ctx, b, EINC_ALL), EINC_FLOAT64);
        einc_tensor_zeros(ctx, EINC_INT32, EINC_SHAPE(step % 50 + 1));
        einc_tensor_copy_(ctx, acc, c);
        einc_scope_end(ctx);
        if (live_tensors(ctx) > worst_tensors) worst_tensors = live_tensors(ctx);
        if (live_bytes(ctx) > worst_bytes) worst_bytes = live_bytes(ctx);
    }
    einc_memory_stats_get(ctx, &after);
    CHECK_EQ_INT(after.live_tensors, before.live_tensors);
    CHECK_EQ_INT(after.live_bytes, before.live_bytes);
    CHECK_EQ_INT(worst_tensors, before.live_tensors);
    CHECK_EQ_INT(worst_bytes, before.live_bytes);
    /* the 64x64 buffers are below the pool's minimum; the float64 one (32 KiB) is pooled and
     * reused every step: one miss, then hits */
    CHECK(after.pool_hits >= before.pool_hits + 999);
    CHECK(after.pooled_bytes <= 64 * 1024);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}

/* ---- buffer pool --------------------------------------------------------------------------- */

static einc_ctx *pool_ctx(test_alloc_state *st, size_t pool_limit) {
    static einc_allocator a;
    a.alloc = test_alloc_;
    a.free = test_free_;
    a.user = st;
    memset(st, 0, sizeof *st);
    st->budget = -1;
    einc_ctx_options o = {0};
    o.allocator = &a;
    o.pool_limit = pool_limit;
    o.threads = 1;
    return einc_ctx_create_with(&o);
}

TEST(pool_reuses_buffers) {
    test_alloc_state st;
    einc_ctx *ctx = pool_ctx(&st, 0);
    const int64_t mib_f32 = (1 << 20) / 4;
    einc_memory_stats s;
    einc_tensor *a = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &mib_f32);
    void *first = einc_tensor_data(a);
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.pool_misses, 1);
    CHECK_EQ_INT(s.pool_hits, 0);
    CHECK(s.live_bytes >= (1 << 20) && s.peak_bytes == s.live_bytes);
    einc_tensor_release(a);
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.live_bytes, 0);
    CHECK(s.pooled_bytes >= (1 << 20));
    long allocs = st.count;
    einc_tensor *b = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &mib_f32);
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.pool_hits, 1);
    CHECK_EQ_INT(s.pool_misses, 1);
    CHECK(einc_tensor_data(b) == first);
    CHECK_EQ_INT(st.count - allocs, 2); /* the storage record and the handle, not the buffer */
    /* a slightly smaller request falls in the same size class and is served too */
    einc_tensor_release(b);
    const int64_t smaller = mib_f32 - 1000;
    b = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &smaller);
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.pool_hits, 2);
    einc_tensor_release(b);
    /* small buffers go straight back to the allocator */
    einc_tensor_release(einc_tensor_empty(ctx, EINC_FLOAT32, EINC_SHAPE(256)));
    einc_memory_stats_get(ctx, &s);
    CHECK(s.pooled_bytes >= (1 << 20) && s.pooled_bytes < (1 << 20) + 4096);
    /* trim returns everything */
    long long live_before = st.live;
    einc_pool_trim(ctx);
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.pooled_bytes, 0);
    CHECK(live_before - st.live >= (1 << 20));
    einc_pool_trim(NULL);
    einc_memory_stats_get(NULL, &s);
    CHECK_EQ_INT(s.live_bytes, 0);
    einc_memory_stats_get(ctx, NULL);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live, 0);
    CHECK_EQ_INT(st.live_blocks, 0);
}

TEST(pool_limit_respected) {
    test_alloc_state st;
    einc_ctx *ctx = pool_ctx(&st, (3u << 20) / 2); /* 1.5 MiB */
    const int64_t mib_f32 = (1 << 20) / 4;
    einc_tensor *a = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &mib_f32);
    einc_tensor *b = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &mib_f32);
    long long live_two = st.live;
    einc_tensor_release(a);
    einc_tensor_release(b);
    einc_memory_stats s;
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.pooled_bytes, 1 << 20); /* one cached, the second freed */
    CHECK(live_two - st.live >= (1 << 20));
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live, 0);
}

/* The automatic cap as a pure rule, on made-up machines. */
TEST(pool_cap_rule) {
    const size_t G = (size_t)1 << 30, M = (size_t)1 << 20;
    /* an explicit limit wins, whatever the peak and the machine */
    CHECK_EQ_INT(einc__pool_cap(3 * M, G, 9 * G, 64 * G), 3 * M);
    CHECK(einc__pool_cap(SIZE_MAX, G, 0, 0) == SIZE_MAX);
    /* small workloads: the 1 GiB floor */
    CHECK_EQ_INT(einc__pool_cap(0, G, 0, 64 * G), G);
    CHECK_EQ_INT(einc__pool_cap(0, G, 200 * M, 64 * G), G);
    /* a 4.1 GB attention step: its peak */
    CHECK_EQ_INT(einc__pool_cap(0, G, 4100 * M, 64 * G), 4100 * M);
    /* bounded by half of physical memory, also below the floor on a tiny machine */
    CHECK_EQ_INT(einc__pool_cap(0, G, 40 * G, 64 * G), 32 * G);
    CHECK_EQ_INT(einc__pool_cap(0, G, 0, G), G / 2);
    /* physical memory unknown: the floor alone */
    CHECK_EQ_INT(einc__pool_cap(0, G, 4100 * M, 0), G);
#if defined(__linux__)
    CHECK(einc__phys_bytes() > 0);
#endif
}

/* Scaled model of the N=4096 attention step (4.1 GB live against a 1 GiB floor): a working set
 * above the floor is freed and built again; every buffer of the later steps comes from the pool. */
TEST(pool_follows_peak) {
    test_alloc_state st;
    einc_ctx *ctx = pool_ctx(&st, 0);
    ctx->pool_floor = (size_t)1 << 20; /* 1 MiB plays 1 GiB */
    ctx->phys_bytes = (size_t)64 << 20;
    const int64_t mib_f32 = (1 << 20) / 4;
    einc_memory_stats s;
    einc_tensor *t[4];
    long allocs = 0;
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < 4; i++) t[i] = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &mib_f32);
        for (int i = 0; i < 4; i++) einc_tensor_release(t[i]);
        einc_memory_stats_get(ctx, &s);
        CHECK(s.peak_bytes >= (4u << 20));
        CHECK_EQ_INT(s.pooled_bytes, 4u << 20); /* all four kept: the cap is the peak */
        CHECK_EQ_INT(s.pool_misses, 4);         /* only the first step went to the allocator */
        CHECK_EQ_INT(s.pool_hits, 4 * step);
        if (step == 1) allocs = st.count;
        if (step == 2) CHECK_EQ_INT(st.count - allocs, 8); /* handles and storage records only */
    }
    /* half of a 4 MiB machine is 2 MiB: the same step keeps only two buffers */
    einc_pool_trim(ctx);
    ctx->phys_bytes = (size_t)4 << 20;
    for (int i = 0; i < 4; i++) t[i] = einc_tensor_empty(ctx, EINC_FLOAT32, 1, &mib_f32);
    for (int i = 0; i < 4; i++) einc_tensor_release(t[i]);
    einc_memory_stats_get(ctx, &s);
    CHECK_EQ_INT(s.pooled_bytes, 2u << 20);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(st.live, 0);
}

/* ---- fail the Nth allocation --------------------------------------------------------------- */

/* Inputs built before the budget starts, and what the call under test reports. */
typedef struct {
    einc_tensor *x; /* float32 (2, 3, 4, 5) arange                                     */
    void *npy;      /* an encoded .npy image in malloc memory                         */
    size_t npy_size;
    int released;    /* wrap's release callback count                                  */
    bool wrapped_ok; /* einc_tensor_wrap itself succeeded                              */
    float wrapped[6];
} sweep_data;

static void setup_x(einc_ctx *ctx, sweep_data *d) {
    d->x = einc_tensor_view(ctx, einc_tensor_arange(ctx, EINC_FLOAT32, 0, 120, 1), EINC_SHAPE(2, 3, 4, 5));
}

static void setup_npy(einc_ctx *ctx, sweep_data *d) {
    setup_x(ctx, d);
    void *buf = NULL;
    size_t size = 0;
    einc_npy_save_buffer(ctx, einc_tensor_permute(ctx, d->x, EINC_DIMS(3, 1, 0, 2)), &buf, &size);
    d->npy = malloc(size);
    memcpy(d->npy, buf, size);
    d->npy_size = size;
    einc_buffer_free(ctx, buf, size);
}

static void count_release(void *data, void *user) {
    (void)data;
    ((sweep_data *)user)->released++;
}

/* Each returns whether the call succeeded. */
static bool call_create(einc_ctx *ctx, sweep_data *d) {
    (void)d;
    return einc_tensor_zeros(ctx, EINC_FLOAT32, EINC_SHAPE(64, 64)) &&
           einc_tensor_full(ctx, EINC_INT64, EINC_SHAPE(5), 3) &&
           einc_tensor_empty(ctx, EINC_FLOAT64, EINC_SHAPE(300, 300)) && einc_tensor_scalar(ctx, EINC_BOOL, 1) &&
           einc_tensor_from_data(ctx, EINC_INT32, EINC_SHAPE(2), (int32_t[]){1, 2}) &&
           einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(9)) && einc_tensor_randn(ctx, EINC_FLOAT64, EINC_SHAPE(9));
}

static bool call_arange(einc_ctx *ctx, sweep_data *d) {
    (void)d;
    return einc_tensor_arange(ctx, EINC_FLOAT64, -1, 1, 0.01) != NULL;
}

static bool call_wrap(einc_ctx *ctx, sweep_data *d) {
    einc_tensor *w = einc_tensor_wrap(ctx, EINC_FLOAT32, EINC_SHAPE(2, 3), NULL, d->wrapped, count_release, d);
    d->wrapped_ok = w != NULL;
    return w && einc_tensor_transpose(ctx, w, 0, 1);
}

static bool call_views(einc_ctx *ctx, sweep_data *d) {
    einc_tensor *v = einc_tensor_permute(ctx, d->x, EINC_DIMS(3, 1, 0, 2));
    v = einc_tensor_slice(ctx, v, 0, INT64_MAX, INT64_MIN, -2);
    v = einc_tensor_diagonal(ctx, v, 0, 1, 3);
    v = einc_tensor_unsqueeze(ctx, einc_tensor_flip(ctx, v, EINC_ALL), 0);
    v = einc_tensor_expand(ctx, v, EINC_SHAPE(4, -1, -1, -1));
    v = einc_tensor_select(ctx, einc_tensor_narrow(ctx, v, 0, 1, 2), 0, 1);
    v = einc_tensor_squeeze_all(ctx,
                                einc_tensor_view(ctx, einc_tensor_transpose(ctx, d->x, 0, 1), EINC_SHAPE(3, 2, 20)));
    return v != NULL;
}

static bool call_reshape_copy(einc_ctx *ctx, sweep_data *d) {
    return einc_tensor_reshape(ctx, einc_tensor_permute(ctx, d->x, EINC_DIMS(1, 0, 2, 3)), EINC_SHAPE(6, 20)) != NULL;
}

static bool call_clone_cast(einc_ctx *ctx, sweep_data *d) {
    einc_tensor *f = einc_tensor_flip(ctx, d->x, EINC_DIMS(1));
    return einc_tensor_clone(ctx, f) && einc_tensor_contiguous(ctx, f) && einc_tensor_cast(ctx, f, EINC_INT64);
}

static bool call_copy_overlap(einc_ctx *ctx, sweep_data *d) {
    return einc_tensor_copy_(ctx, d->x, einc_tensor_flip(ctx, d->x, EINC_ALL)) == EINC_OK;
}

static bool call_npy_save(einc_ctx *ctx, sweep_data *d) {
    void *buf = NULL;
    size_t size = 0;
    if (einc_npy_save_buffer(ctx, einc_tensor_transpose(ctx, d->x, 0, 3), &buf, &size) != EINC_OK) return false;
    einc_buffer_free(ctx, buf, size);
    return true;
}

static bool call_npy_load(einc_ctx *ctx, sweep_data *d) {
    return einc_npy_load_buffer(ctx, d->npy, d->npy_size) != NULL;
}

static bool call_format(einc_ctx *ctx, sweep_data *d) {
    char buf[64];
    (void)ctx;
    return einc_tensor_format(d->x, buf, sizeof buf) > 0;
}

/* For k = 0, 1, 2, ... allocations allowed after the setup: the call fails with EINC_ENOMEM
 * (and no other error) until it succeeds, and nothing leaks either way. */
static void sweep(const char *name, void (*setup)(einc_ctx *, sweep_data *), bool (*call)(einc_ctx *, sweep_data *),
                  long min_failures) {
    long k;
    for (k = 0; k < 10000; k++) {
        test_alloc_state st;
        einc_ctx *ctx = test_ctx_with_budget(&st, -1);
        sweep_data d;
        memset(&d, 0, sizeof d);
        if (setup) setup(ctx, &d);
        CHECK_OK(ctx);
        st.budget = st.count + k;
        bool ok = call(ctx, &d);
        if (!ok && einc_errcode(ctx) != EINC_ENOMEM) {
            fprintf(stderr, "%s, %ld allocations allowed: expected MemoryError, got %s: %s\n", name, k,
                    einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
            test_failed_checks_++;
        }
        if (ok) CHECK_OK(ctx);
        st.budget = -1;
        einc_ctx_destroy(ctx);
        free(d.npy);
        if (st.live != 0 || st.live_blocks != 0) {
            fprintf(stderr, "%s, %ld allocations allowed: %lld bytes in %ld blocks leaked\n", name, k, st.live,
                    st.live_blocks);
            test_failed_checks_++;
        }
        /* the callback runs once if wrap succeeded (at destroy at the latest), never otherwise */
        if (call == call_wrap && d.released != (d.wrapped_ok ? 1 : 0)) {
            fprintf(stderr, "wrap, %ld allocations allowed: release called %d times\n", k, d.released);
            test_failed_checks_++;
        }
        if (ok) break;
    }
    if (k < min_failures) {
        fprintf(stderr, "%s succeeded with %ld allocations; expected at least %ld\n", name, k, min_failures);
        test_failed_checks_++;
    }
}

TEST(fail_nth_allocation) {
    sweep("create", NULL, call_create, 14);
    sweep("arange", NULL, call_arange, 3);
    sweep("wrap", NULL, call_wrap, 3);
    sweep("views", setup_x, call_views, 11);
    sweep("reshape_copy", setup_x, call_reshape_copy, 4);
    sweep("clone_cast", setup_x, call_clone_cast, 8);
    sweep("copy_overlap", setup_x, call_copy_overlap, 4);
    sweep("npy_save_buffer", setup_x, call_npy_save, 2);
    sweep("npy_load_buffer", setup_npy, call_npy_load, 3);
    sweep("format", setup_x, call_format, 0);
}

int main(void) {
    RUN(status_names);
    RUN(dtype_names_and_sizes);
    RUN(context_lifecycle);
    RUN(sticky_errors);
    RUN(scopes_release_keep_retain);
    RUN(scopes_retained_left_to_destroy);
    RUN(scope_nesting_limit);
    RUN(scope_loop_is_flat);
    RUN(pool_reuses_buffers);
    RUN(pool_limit_respected);
    RUN(pool_cap_rule);
    RUN(pool_follows_peak);
    RUN(fail_nth_allocation);
    return test_summary();
}
