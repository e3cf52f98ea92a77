/* test.h — the tiny test harness every test program uses.
 *
 *   TEST(name) { CHECK(cond); CHECK_EQ_INT(a, b); CHECK_CLOSE(a, b, tol); ... }
 *   int main(void) { RUN(name); ...; return test_summary(); }
 *
 * A failed check prints file:line and the values, marks the current test failed and continues.
 * test_summary prints "N passed, M failed" and returns the exit status. test_golden loads a
 * golden .npy, test_read_table a golden text table, CHECK_TENSOR_CLOSE compares tensors and
 * test_ctx_with_budget makes a context for fail-the-Nth-allocation sweeps. The tests that run the
 * einc tool include test_tool.h (which includes this file).
 */
#ifndef EINC_TEST_H
#define EINC_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "einc.h"

static int test_failed_checks_ = 0, test_passed_ = 0, test_failed_ = 0;

#define TEST(name) static void name(void)
#define RUN(name)                                                                                                      \
    do {                                                                                                               \
        int before_ = test_failed_checks_;                                                                             \
        name();                                                                                                        \
        if (test_failed_checks_ == before_) test_passed_++;                                                            \
        else {                                                                                                         \
            test_failed_++;                                                                                            \
            fprintf(stderr, "FAILED: %s\n", #name);                                                                    \
        }                                                                                                              \
    } while (0)

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                                   \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                                             \
    do {                                                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                                                            \
        if (a_ != b_) {                                                                                                \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, a_, b_);             \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
    } while (0)

#define CHECK_CLOSE(a, b, tol)                                                                                         \
    do {                                                                                                               \
        double a_ = (double)(a), b_ = (double)(b);                                                                     \
        if (!(fabs(a_ - b_) <= (tol) * (1.0 + fabs(b_))) && !(isnan(a_) && isnan(b_))) {                               \
            fprintf(stderr, "%s:%d: %s ~= %s failed: %.9g vs %.9g\n", __FILE__, __LINE__, #a, #b, a_, b_);             \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
    } while (0)

/* The status must be `code` and the message must contain `needle`. Clears the error. */
#define CHECK_ERROR(ctx, code, needle)                                                                                 \
    do {                                                                                                               \
        einc_status s_ = einc_errcode(ctx);                                                                            \
        const char *m_ = einc_errmsg(ctx);                                                                             \
        if (s_ != (code) || !strstr(m_, (needle))) {                                                                   \
            fprintf(stderr, "%s:%d: expected %s containing \"%s\", got %s: \"%s\"\n", __FILE__, __LINE__,              \
                    einc_status_name(code), (needle), einc_status_name(s_), m_);                                       \
            test_failed_checks_++;                                                                                     \
        }                                                                                                              \
        einc_clear_error(ctx);                                                                                         \
    } while (0)

#define CHECK_OK(ctx)                                                                                                  \
    do {                                                                                                               \
        if (einc_errcode(ctx) != EINC_OK) {                                                                            \
            fprintf(stderr, "%s:%d: unexpected error %s: %s\n", __FILE__, __LINE__,                                    \
                    einc_status_name(einc_errcode(ctx)), einc_errmsg(ctx));                                            \
            test_failed_checks_++;                                                                                     \
            einc_clear_error(ctx);                                                                                     \
        }                                                                                                              \
    } while (0)

/* True under `make test-valgrind`: valgrind emulates int64 -> float32 conversion through float64
 * (two roundings), so the few tests of that exact rounding accept one float32 ulp there. */
static inline int test_under_valgrind(void) { return getenv("EINC_UNDER_VALGRIND") != NULL; }

static inline int test_summary(void) {
    printf("%d passed, %d failed\n", test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}

/* Loads tests/golden/<name>.npy; NULL (and a failed check) if missing. */
static inline einc_tensor *test_golden(einc_ctx *ctx, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.npy", EINC_TEST_DATA, name);
    einc_tensor *t = einc_npy_load(ctx, path);
    if (!t) {
        fprintf(stderr, "cannot load golden file %s: %s\n", path, einc_errmsg(ctx));
        test_failed_checks_++;
        einc_clear_error(ctx);
    }
    return t;
}

/* Reads the golden table tests/golden/<relpath> ("notation/cases.txt"): one row a line, `nfields`
 * fields separated by `sep` ('|', or '\t' where a field may hold a '|'). Calls row(fields, user)
 * for each line with exactly `nfields` fields (others, blank lines included, are skipped); the
 * fields are NUL-terminated, writable and valid only during the call. Returns the number of rows;
 * 0 and a failed check if the file cannot be opened. */
static inline int test_read_table(const char *relpath, char sep, int nfields, void (*row)(char **fields, void *user),
                                  void *user) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", EINC_TEST_DATA, relpath);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        test_failed_checks_++;
        return 0;
    }
    char line[4096], *fields[16];
    int rows = 0;
    if (nfields > 16) nfields = 16;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int k = 0;
        fields[k++] = line;
        for (char *p = line; *p && k < nfields; p++)
            if (*p == sep) {
                *p = '\0';
                fields[k++] = p + 1;
            }
        if (k != nfields) continue;
        row(fields, user);
        rows++;
    }
    fclose(f);
    return rows;
}

/* Compares two tensors: same shape, dtype (unless check_dtype is 0), elementwise |a-b| <= atol +
 * rtol*|b| (NaNs must match). Prints the first mismatch. Returns 1 if equal. */
static inline int test_tensors_close_(const char *file, int line, const einc_tensor *a, const einc_tensor *b,
                                      double rtol, double atol, int check_dtype) {
    if (!a || !b) {
        fprintf(stderr, "%s:%d: tensor is NULL (%s)\n", file, line, a ? "expected" : "actual");
        test_failed_checks_++;
        return 0;
    }
    int nd = einc_tensor_ndim(a);
    if (nd != einc_tensor_ndim(b) ||
        memcmp(einc_tensor_shape(a), einc_tensor_shape(b), sizeof(int64_t) * (size_t)nd) != 0) {
        fprintf(stderr, "%s:%d: shapes differ (ndim %d vs %d)\n", file, line, nd, einc_tensor_ndim(b));
        test_failed_checks_++;
        return 0;
    }
    if (check_dtype && einc_tensor_dtype(a) != einc_tensor_dtype(b)) {
        fprintf(stderr, "%s:%d: dtypes differ: %s vs %s\n", file, line, einc_dtype_name(einc_tensor_dtype(a)),
                einc_dtype_name(einc_tensor_dtype(b)));
        test_failed_checks_++;
        return 0;
    }
    int64_t n = einc_tensor_numel(a);
    double *x = malloc(sizeof(double) * (size_t)(n ? n : 1)), *y = malloc(sizeof(double) * (size_t)(n ? n : 1));
    int64_t idx[EINC_MAX_DIMS] = {0};
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = rem % einc_tensor_shape(a)[d];
            rem /= einc_tensor_shape(a)[d];
        }
        x[i] = einc_tensor_get(a, idx);
        y[i] = einc_tensor_get(b, idx);
        int same = (isnan(x[i]) && isnan(y[i])) || x[i] == y[i] || fabs(x[i] - y[i]) <= atol + rtol * fabs(y[i]);
        if (!same && ok) {
            fprintf(stderr, "%s:%d: element %lld differs: %.9g vs %.9g (expected)\n", file, line, (long long)i, x[i],
                    y[i]);
            ok = 0;
        }
    }
    free(x);
    free(y);
    if (!ok) test_failed_checks_++;
    return ok;
}
#define CHECK_TENSOR_CLOSE(a, b, rtol, atol) test_tensors_close_(__FILE__, __LINE__, (a), (b), (rtol), (atol), 1)
#define CHECK_TENSOR_CLOSE_ANYTYPE(a, b, rtol, atol)                                                                   \
    test_tensors_close_(__FILE__, __LINE__, (a), (b), (rtol), (atol), 0)

/* An allocator that fails every allocation after the first `budget` ones and counts live bytes,
 * for fail-the-Nth-allocation sweeps. */
typedef struct {
    long budget;      /* allocations allowed; < 0 = unlimited */
    long count;       /* allocations made                     */
    long long live;   /* bytes currently allocated            */
    long live_blocks; /* blocks currently allocated           */
    long long peak;   /* most bytes allocated at once         */
} test_alloc_state;

static void *test_alloc_(void *user, size_t size, size_t align) {
    test_alloc_state *s = user;
    if (s->budget >= 0 && s->count >= s->budget) return NULL;
    void *p = NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    if (posix_memalign(&p, align, size) != 0) return NULL;
    s->count++;
    s->live += (long long)size;
    if (s->live > s->peak) s->peak = s->live;
    s->live_blocks++;
    return p;
}

static void test_free_(void *user, void *p, size_t size) {
    test_alloc_state *s = user;
    s->live -= (long long)size;
    s->live_blocks--;
    free(p);
}

static inline einc_ctx *test_ctx_with_budget(test_alloc_state *s, long budget) {
    static einc_allocator a;
    a.alloc = test_alloc_;
    a.free = test_free_;
    a.user = s;
    memset(s, 0, sizeof *s);
    s->budget = budget;
    einc_ctx_options o = {0};
    o.allocator = &a;
    o.threads = 1;
    return einc_ctx_create_with(&o);
}

#endif /* EINC_TEST_H */
