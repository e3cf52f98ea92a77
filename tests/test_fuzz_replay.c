/* Replays the committed fuzz corpora through the fuzz targets' own checks, so every ordinary
 * build (gcc, ASan/UBSan, no BLAS) re-proves what the fuzzer found: each input is checked once
 * with a plain context and then under a fail-the-Nth-allocation sweep (EINC_ENOMEM allowed,
 * nothing may leak). A new fuzz target adds its fuzz/fuzz_<area>_check.h include and one row
 * to `targets`. */
#define _GNU_SOURCE /* before any #include: fuzz_npy_check.h also checks the file loader via memfd_create */
#include <dirent.h>

#include "../fuzz/fuzz_axes_check.h"
#include "../fuzz/fuzz_npy_check.h"
#include "test.h"

#define FUZZ_CORPUS EINC_TEST_DATA "/../../fuzz/corpus"

typedef struct {
    const char *dir;
    einc_fuzz_check_fn check;
    int min_files; /* guards against replaying an empty or missing directory */
} replay_target;

static const replay_target targets[] = {
    {FUZZ_CORPUS "/npy", einc_fuzz_npy_check, 20},
    {EINC_TEST_DATA "/npy", einc_fuzz_npy_check, 20}, /* the golden files seed the fuzzer */
    {FUZZ_CORPUS "/axes", einc_fuzz_axes_check, 16},
};

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f) return NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) break;
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            fclose(f);
            *size = n;
            return buf;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

/* One input: a plain run, then allocation budgets 0, 1, ... until a run needs no more. */
static void replay_one(const replay_target *tg, const char *name, const unsigned char *data, size_t size) {
    einc_ctx *ctx = einc_ctx_create();
    const char *violation = tg->check(ctx, data, size, false);
    einc_ctx_destroy(ctx);
    if (violation) {
        fprintf(stderr, "%s/%s: %s\n", tg->dir, name, violation);
        test_failed_checks_++;
        return;
    }
    for (long budget = 0; budget < 1000; budget++) {
        test_alloc_state s;
        ctx = test_ctx_with_budget(&s, budget);
        if (!ctx) continue;
        violation = tg->check(ctx, data, size, true);
        bool starved = einc_errcode(ctx) == EINC_ENOMEM;
        einc_ctx_destroy(ctx);
        if (violation || s.live_blocks != 0) {
            fprintf(stderr, "%s/%s with %ld allocations: %s, %ld blocks leaked\n", tg->dir, name, budget,
                    violation ? violation : "no violation", s.live_blocks);
            test_failed_checks_++;
            return;
        }
        if (!starved) return;
    }
    fprintf(stderr, "%s/%s: still out of memory after 1000 allocations\n", tg->dir, name);
    test_failed_checks_++;
}

TEST(replay_corpora) {
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        const replay_target *tg = &targets[k];
        DIR *d = opendir(tg->dir);
        if (!d) {
            fprintf(stderr, "cannot open corpus directory %s\n", tg->dir);
            test_failed_checks_++;
            continue;
        }
        char **names = NULL;
        size_t count = 0, cap = 0;
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (e->d_name[0] == '.') continue;
            if (count == cap) {
                cap = cap ? 2 * cap : 64;
                char **grown = realloc(names, cap * sizeof *names);
                if (!grown) break;
                names = grown;
            }
            names[count] = malloc(strlen(e->d_name) + 1);
            if (names[count]) strcpy(names[count++], e->d_name);
        }
        closedir(d);
        if (count) qsort(names, count, sizeof *names, compare_names);
        if ((int)count < tg->min_files) {
            fprintf(stderr, "%s holds %zu inputs, expected at least %d\n", tg->dir, count, tg->min_files);
            test_failed_checks_++;
        }
        for (size_t i = 0; i < count; i++) {
            char path[2048];
            size_t size = 0;
            snprintf(path, sizeof path, "%s/%s", tg->dir, names[i]);
            unsigned char *data = read_all(path, &size);
            if (!data) {
                fprintf(stderr, "cannot read %s\n", path);
                test_failed_checks_++;
            } else {
                replay_one(tg, names[i], data, size);
            }
            free(data);
            free(names[i]);
        }
        free(names);
        printf("replayed %zu inputs from %s\n", count, tg->dir);
    }
}

int main(void) {
    RUN(replay_corpora);
    return test_summary();
}
