/* Replays the committed fuzz corpus of the einx operations (fuzz/corpus/notation/, crash
 * reproducers included) through the same invariants as the libFuzzer target
 * (fuzz/fuzz_notation_check.h), in every build: whatever the fuzzer once found stays fixed without
 * clang or libFuzzer. Also replays a few hand-written calls of each kind. */
#include <dirent.h>

#include "../fuzz/fuzz_notation_check.h"
#include "test.h"

#define CORPUS EINC_TEST_DATA "/../../fuzz/corpus/notation"

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void replay(const char *name, const uint8_t *data, size_t size) {
    einc_fuzz_notation_result res;
    const char *why = einc_fuzz_notation_run(&res, data, size);
    if (why) {
        fprintf(stderr, "%s: %s\n", name, why);
        test_failed_checks_++;
    }
}

TEST(corpus_files) {
    DIR *dir = opendir(CORPUS);
    CHECK(dir != NULL);
    if (!dir) return;
    char *names[1024];
    int n = 0;
    for (struct dirent *e = readdir(dir); e && n < 1024; e = readdir(dir))
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    CHECK(n >= 20); /* the committed corpus is there */
    for (int i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", CORPUS, names[i]);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        if (f) {
            static uint8_t buf[1 << 16];
            size_t size = fread(buf, 1, sizeof buf, f);
            fclose(f);
            replay(names[i], buf, size);
        }
        free(names[i]);
    }
}

/* Hand-written inputs: header bytes (operation, flags, budget, tensors, constraints) + expression. */
static void replay_call(einc_op op, unsigned flags, unsigned budget, const uint8_t *tensors, size_t ntensor_bytes,
                        const char *expr) {
    uint8_t buf[512];
    size_t n = 0;
    buf[n++] = (uint8_t)op;
    buf[n++] = (uint8_t)flags;
    buf[n++] = (uint8_t)budget;
    memcpy(buf + n, tensors, ntensor_bytes);
    n += ntensor_bytes;
    size_t el = strlen(expr);
    memcpy(buf + n, expr, el);
    replay(expr, buf, n + el);
}

TEST(hand_written_calls) {
    /* one float32 tensor (2, 3), no constraints */
    static const uint8_t t23[] = {2, 1, 2, 0};
    /* one float64 tensor (2, 3) transposed, one int64 (3,) reversed, no constraints */
    static const uint8_t t23_3[] = {2 | 1 << 3 | 1 << 6, 1, 2, 1 | 2 << 3 | 2 << 6, 2, 0};
    replay_call(EINC_OP_ID, 1, 0, t23, sizeof t23, "a b -> b a");
    replay_call(EINC_OP_SUM, 1, 0, t23, sizeof t23, "a [b]");
    replay_call(EINC_OP_SOFTMAX, 1, 0, t23, sizeof t23, "a [b]");
    replay_call(EINC_OP_ID, 1, 0, t23, sizeof t23, "a (b -> b a");
    replay_call(EINC_OP_DOT, 2, 0, t23_3, sizeof t23_3, "a b, b -> a");
    replay_call(EINC_OP_ADD, 2, 0, t23_3, sizeof t23_3, "a b, b");
    replay_call(EINC_OP_ID, 2, 0, t23_3, sizeof t23_3, "a b, b -> a (b + b)");
    /* every allocation number failing in turn: MemoryError or success, nothing leaked */
    for (unsigned b = 0; b < 64; b++) {
        replay_call(EINC_OP_DOT, 2 | 1 << 4, b, t23_3, sizeof t23_3, "a b, b -> a");
        replay_call(EINC_OP_ID, 1 | 1 << 4, b, t23, sizeof t23, "a b -> b a");
        replay_call(EINC_OP_SOFTMAX, 1 | 1 << 4, b, t23, sizeof t23, "a [b]");
    }
}

int main(void) {
    RUN(corpus_files);
    RUN(hand_written_calls);
    return test_summary();
}
