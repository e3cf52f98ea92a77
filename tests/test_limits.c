/* test_limits.c — resource limits (issue 13 item 5): a call whose output cannot be allocated under
 * an address-space limit (ulimit -v) fails with EINC_ENOMEM and a message naming the size it
 * needed, and the context goes on working; the plan cache stays within its bounds under a stream
 * of 100,000 distinct expressions, in flat memory, with correct results after eviction. */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

/* ASan's allocator aborts when it runs out of memory unless told to return NULL as malloc does;
 * this program tests exactly that case. (The environment's ASAN_OPTIONS, which the Makefile sets,
 * add to these defaults.) */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

/* The process's address space now (VmSize of /proc/self/status, bytes), or 0. */
static size_t address_space(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %llu kB", &kb) == 1) break;
    fclose(f);
    return (size_t)kb * 1024;
}

/* The call failed with EINC_ENOMEM and a message naming `bytes`; the error is then cleared. */
static void check_enomem(einc_ctx *ctx, einc_tensor *t, const char *bytes, const char *what) {
    CHECK(t == NULL);
    if (einc_errcode(ctx) != EINC_ENOMEM || !strstr(einc_errmsg(ctx), bytes) || !strstr(einc_errmsg(ctx), what))
        fprintf(stderr, "expected ENOMEM naming %s and %s, got %s: %s\n", bytes, what,
                einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));
    CHECK_EQ_INT(einc_errcode(ctx), EINC_ENOMEM);
    CHECK(strstr(einc_errmsg(ctx), bytes) != NULL);
    CHECK(strstr(einc_errmsg(ctx), what) != NULL);
    einc_clear_error(ctx);
}

/* In a child: RLIMIT_AS at 256 MiB above what the process has mapped, then outputs of 1 GiB. */
static int run_under_address_limit(void) {
    size_t now = address_space();
    struct rlimit old, lim;
    if (!now || getrlimit(RLIMIT_AS, &old) != 0) return 2;
    lim = old;
    lim.rlim_cur = (rlim_t)(now + ((size_t)256 << 20));
    if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < lim.rlim_cur) return 3; /* already tighter */
    einc_ctx *ctx = einc_ctx_create_with(&(einc_ctx_options){.threads = 1});
    einc_tensor *col = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(16384, 1));
    einc_tensor *row = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(1, 16384));
    einc_tensor *vec = einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(16384));
    einc_memory_stats before, after;
    einc_memory_stats_get(ctx, &before);
    if (setrlimit(RLIMIT_AS, &lim) != 0) return 4;

    /* a constructor, a product, a broadcast and a rearrangement: 16384 x 16384 float32 = 1 GiB */
    check_enomem(ctx, einc_tensor_zeros(ctx, EINC_FLOAT64, EINC_SHAPE(1 << 27)), "1073741824 bytes",
                 "float64 tensor of shape (134217728,)");
    check_enomem(ctx, einc_dot(ctx, "a k, k b -> a b", col, row), "1073741824 bytes", "shape (16384, 16384) needs");
    check_enomem(ctx, einc_multiply(ctx, "a, b -> a b", vec, vec), "1073741824 bytes", "(1.0 GiB)");
    check_enomem(ctx, einc_id(ctx, "a -> (a b)", vec, EINC_AXES({"b", 16384})), "1073741824 bytes", "float32");
    /* autograd's recording fails the same way, and nothing stays behind */
    einc_requires_grad(vec, true);
    check_enomem(ctx, einc_multiply(ctx, "a, b -> a b", vec, vec), "1073741824 bytes", "needs");

    /* nothing leaked, and the context works on */
    einc_memory_stats_get(ctx, &after);
    CHECK_EQ_INT(after.live_bytes, before.live_bytes);
    CHECK_EQ_INT(after.live_tensors, before.live_tensors);
    einc_tensor *small = einc_dot(ctx, "a k, k b -> a b", einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(64, 1)),
                                  einc_tensor_ones(ctx, EINC_FLOAT32, EINC_SHAPE(1, 64)));
    CHECK(small && einc_tensor_get(small, (int64_t[]){63, 63}) == 1.0);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
    /* the soft limit back, so that the sanitizers' exit checks have memory to run */
    if (setrlimit(RLIMIT_AS, &old) != 0) return 5;
    return test_failed_checks_ ? 1 : 0;
}

TEST(output_too_big_for_the_address_space_limit) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) exit(run_under_address_limit());
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "the child %s %d\n", WIFEXITED(status) ? "exited with" : "died of signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- the plan cache ------------------------------------------------------------------------- */

/* x [2, 3] with x[i, j] = 3i + j; "a_N b_N -> b_N a_N" is expression N (each its own plan). */
static einc_tensor *transpose_n(einc_ctx *ctx, einc_tensor *x, int n) {
    char expr[64];
    snprintf(expr, sizeof expr, "a%d b%d -> b%d a%d", n, n, n, n);
    return einc_id(ctx, expr, x);
}

static bool is_transpose(einc_tensor *y) {
    if (!y || einc_tensor_dim(y, 0) != 3 || einc_tensor_dim(y, 1) != 2) return false;
    for (int64_t i = 0; i < 2; i++)
        for (int64_t j = 0; j < 3; j++)
            if (einc_tensor_get(y, (int64_t[]){j, i}) != (double)(3 * i + j)) return false;
    return true;
}

TEST(plan_cache_bounded_under_100000_expressions) {
    test_alloc_state a;
    einc_ctx *ctx = test_ctx_with_budget(&a, -1); /* counts every byte the context holds */
    einc_memory_stats st;
    einc_memory_stats_get(ctx, &st);
    CHECK_EQ_INT(st.plan_entries, 0);
    CHECK_EQ_INT(st.plan_capacity, EINC_PLAN_CACHE_CAPACITY);
    CHECK_EQ_INT(st.plan_bytes_limit, EINC_PLAN_CACHE_BYTES);
    einc_tensor *x = einc_tensor_reshape(ctx, einc_tensor_arange(ctx, EINC_FLOAT64, 0, 6, 1), EINC_SHAPE(2, 3));
    CHECK(x);
    einc_tensor_retain(x);
    /* a sum used all along: the least recently used go, so it stays cached throughout */
    const char *hot = "a [b]";
    enum { N = 100000, FULL = 2 * EINC_PLAN_CACHE_CAPACITY };
    long long held_full = 0;
    int wrong = 0, hot_wrong = 0;
    for (int n = 0; n < N; n++) {
        einc_scope_begin(ctx);
        wrong += !is_transpose(transpose_n(ctx, x, n));
        if (n % 64 == 0) {
            einc_tensor *s = einc_sum(ctx, hot, x);
            hot_wrong += !s || einc_tensor_get(s, (int64_t[]){1}) != 12.0;
        }
        einc_scope_end(ctx);
        if (n + 1 == FULL) held_full = a.live; /* the cache is full from here on */
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(hot_wrong, 0);
    CHECK_OK(ctx);
    einc_memory_stats_get(ctx, &st);
    CHECK_EQ_INT(st.plan_entries, EINC_PLAN_CACHE_CAPACITY);
    CHECK(st.plan_bytes > 0 && st.plan_bytes <= EINC_PLAN_CACHE_BYTES);
    /* every transpose missed once; the hot sum missed only the first time */
    CHECK_EQ_INT(st.plan_misses, N + 1);
    CHECK_EQ_INT(st.plan_hits, (N + 63) / 64 - 1);
    CHECK_EQ_INT(st.plan_evictions, st.plan_misses - EINC_PLAN_CACHE_CAPACITY);
    /* flat memory: what the context holds after 100,000 expressions is what it held once full
     * (the plans of these expressions differ in a few bytes of their names) */
    if (!(a.live <= held_full + 4096))
        fprintf(stderr, "held %lld bytes when full, %lld at the end\n", held_full, a.live);
    CHECK(a.live <= held_full + 4096);
    CHECK(a.live < (long long)EINC_PLAN_CACHE_BYTES);
    /* the plan bytes are what the cache holds of the allocator's bytes */
    CHECK((long long)st.plan_bytes < a.live);

    /* an evicted expression compiles again, with the same result */
    CHECK(is_transpose(transpose_n(ctx, x, 0)));
    einc_memory_stats_get(ctx, &st);
    CHECK_EQ_INT(st.plan_misses, N + 2);
    /* a recent one is still cached */
    CHECK(is_transpose(transpose_n(ctx, x, N - 1)));
    einc_memory_stats st2;
    einc_memory_stats_get(ctx, &st2);
    CHECK_EQ_INT(st2.plan_misses, st.plan_misses);
    CHECK_EQ_INT(st2.plan_hits, st.plan_hits + 1);
    einc_tensor_release(x);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(a.live, 0);
}

/* Big plans (an add of 16 operands of 16 dimensions holds some 140 KB): the byte bound, not the
 * count, limits the cache then. */
TEST(plan_cache_bounded_in_bytes) {
    test_alloc_state a;
    einc_ctx *ctx = test_ctx_with_budget(&a, -1);
    int64_t shape[16];
    for (int i = 0; i < 16; i++) shape[i] = 1;
    shape[0] = 2;
    einc_tensor *x = einc_tensor_ones(ctx, EINC_FLOAT32, 16, shape), *in[16];
    for (int i = 0; i < 16; i++) in[i] = x;
    einc_tensor_retain(x);
    static char expr[4096];
    size_t largest = 0;
    int wrong = 0;
    einc_memory_stats st;
    for (int n = 0; n < 2 * EINC_PLAN_CACHE_CAPACITY; n++) {
        /* "nN x01 ... x15, ... (16 times) -> nN x01 ... x15": each n its own expression */
        int len = 0;
        for (int o = 0; o < 17; o++) {
            len += snprintf(expr + len, sizeof expr - (size_t)len, "n%d", n);
            for (int i = 1; i < 16; i++) len += snprintf(expr + len, sizeof expr - (size_t)len, " x%02d", i);
            len += snprintf(expr + len, sizeof expr - (size_t)len, "%s", o < 15 ? ", " : o == 15 ? " -> " : "");
        }
        einc_scope_begin(ctx);
        einc_tensor *y = NULL;
        einc_status s = einc_apply(ctx, EINC_OP_ADD, expr, 16, in, 1, &y, EINC_NO_AXES, NULL);
        wrong += s != EINC_OK || !y || einc_tensor_ndim(y) != 16 || einc_tensor_get(y, (int64_t[16]){1}) != 16.0;
        einc_scope_end(ctx);
        einc_memory_stats_get(ctx, &st);
        if (st.plan_bytes > largest) largest = st.plan_bytes;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_OK(ctx);
    einc_memory_stats_get(ctx, &st);
    CHECK(largest <= EINC_PLAN_CACHE_BYTES);
    CHECK(st.plan_bytes > EINC_PLAN_CACHE_BYTES / 2);
    /* fewer plans than the count bound, because of the bytes */
    CHECK(st.plan_entries > 0 && st.plan_entries < EINC_PLAN_CACHE_CAPACITY);
    CHECK_EQ_INT(st.plan_evictions, 2 * EINC_PLAN_CACHE_CAPACITY - st.plan_entries);
    CHECK(a.live < (long long)EINC_PLAN_CACHE_BYTES + (1 << 20));
    einc_tensor_release(x);
    einc_ctx_destroy(ctx);
    CHECK_EQ_INT(a.live, 0);
}

int main(void) {
    RUN(output_too_big_for_the_address_space_limit);
    RUN(plan_cache_bounded_under_100000_expressions);
    RUN(plan_cache_bounded_in_bytes);
    return test_summary();
}
