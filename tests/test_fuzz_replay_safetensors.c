/* test_fuzz_replay_safetensors.c — replays the committed fuzz corpus (fuzz/corpus/safetensors)
 * through the fuzz target's property (fuzz/fuzz_safetensors_check.h) in every build, and through
 * a fail-the-Nth-allocation sweep: each input is loaded (and saved and reloaded) with allocation
 * k failing, for every k until it succeeds, and must fail cleanly with nothing leaked. */
#include <dirent.h>

#include "test.h"
#include "../fuzz/fuzz_safetensors_check.h"

#define CORPUS EINC_TEST_DATA "/../../fuzz/corpus/safetensors"

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    *size = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void replay_one(const char *name, const unsigned char *data, size_t size, int *accepted) {
    einc_ctx *ctx = einc_ctx_create();
    const char *bad = fuzz_safetensors_check(ctx, data, size, 0);
    if (bad) fprintf(stderr, "corpus file %s: %s\n", name, bad);
    CHECK(bad == NULL);
    einc_state *s = einc_safetensors_load_buffer(ctx, data, size);
    if (s) (*accepted)++;
    einc_state_free(s);
    einc_clear_error(ctx);
    einc_ctx_destroy(ctx);

    int done = 0;
    for (long k = 0; k < 10000 && !done; k++) {
        test_alloc_state st;
        einc_ctx *c = test_ctx_with_budget(&st, -1);
        st.budget = st.count + k;
        bad = fuzz_safetensors_check(c, data, size, 1);
        if (bad) fprintf(stderr, "corpus file %s, allocation %ld failing: %s\n", name, k, bad);
        CHECK(bad == NULL);
        done = st.count < st.budget; /* nothing was refused: the whole check ran */
        einc_ctx_destroy(c);
        if (st.live != 0)
            fprintf(stderr, "corpus file %s, allocation %ld failing: %lld bytes leaked\n", name, k, st.live);
        CHECK_EQ_INT(st.live, 0);
        if (bad || st.live) break;
    }
    CHECK(done);
}

TEST(replay_corpus) {
    DIR *d = opendir(CORPUS);
    CHECK(d != NULL);
    if (!d) return;
    int files = 0, accepted = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS, e->d_name);
        size_t size = 0;
        unsigned char *data = read_all(path, &size);
        CHECK(data != NULL);
        if (!data) continue;
        replay_one(e->d_name, data, size, &accepted);
        free(data);
        files++;
    }
    closedir(d);
    /* the corpus is committed: a missing or emptied directory must fail, and it must hold
     * both files the reader accepts and files it rejects */
    printf("replayed %d corpus files (%d accepted)\n", files, accepted);
    CHECK(files >= 20);
    CHECK(accepted >= 3 && accepted < files);
}

int main(void) {
    RUN(replay_corpus);
    return test_summary();
}
