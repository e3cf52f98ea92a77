/* bench_load.c — mapped against copied loading of a 256 MiB file (.npy and safetensors).
 *
 * The files are written once to BENCH_DIR (default /tmp) and removed at the end. Each case is
 * timed in three parts, best of BENCH_REPS runs (default 5), the file in the page cache:
 *
 *   load         the load call alone (einc_*_load copies the data; einc_*_load_mapped maps it);
 *   first touch  the first pass that reads every element (a float32 sum): for a mapped load
 *                this is where the pages are faulted in from the page cache;
 *   warm pass    a second pass over the same tensor (every page present for both).
 *
 * With BENCH_COLD=1 each run first asks the kernel to drop the file's cached pages
 * (posix_fadvise DONTNEED, which needs no privilege for clean pages), so load (copied) or first
 * touch (mapped) read from the disk; the baseline is a memcpy of the same 256 MiB between warm
 * buffers, measured in the same run.
 *
 *   build/bench_load
 *   BENCH_COLD=1 BENCH_REPS=3 build/bench_load
 */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "bench.h"
#include "einc.h"

#define TOTAL_BYTES ((size_t)256 << 20)
#define PARTS 4 /* the safetensors file holds 4 float32 tensors of 64 MiB */

static volatile double sink;

static double sum_floats(const einc_tensor *t) {
    const float *p = einc_tensor_data(t);
    int64_t n = einc_tensor_numel(t);
    float acc[16] = {0};
    for (int64_t i = 0; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) acc[k] += p[i + k];
    double s = 0;
    for (int k = 0; k < 16; k++) s += acc[k];
    return s;
}

static void drop_cache(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

typedef struct {
    double load, first, warm;
} timing;

/* One run of one case: load, first pass, second pass; everything released at the end. */
static timing run_once(einc_ctx *ctx, const char *path, bool safetensors, bool mapped, bool cold) {
    if (cold) drop_cache(path);
    timing t = {0, 0, 0};
    einc_scope_begin(ctx);
    double t0 = bench_now();
    einc_tensor *parts[PARTS] = {NULL};
    einc_state *state = NULL;
    int n = 1;
    if (safetensors) {
        state = mapped ? einc_safetensors_load_mapped(ctx, path) : einc_safetensors_load(ctx, path);
        n = einc_state_count(state);
    } else {
        parts[0] = mapped ? einc_npy_load_mapped(ctx, path) : einc_npy_load(ctx, path);
    }
    t.load = bench_now() - t0;
    if (safetensors)
        for (int i = 0; i < n && i < PARTS; i++) parts[i] = einc_state_at(state, i);
    for (int pass = 0; pass < 2; pass++) {
        double t1 = bench_now(), s = 0;
        for (int i = 0; i < n && i < PARTS; i++) s += parts[i] ? sum_floats(parts[i]) : 0;
        sink = s;
        *(pass ? &t.warm : &t.first) = bench_now() - t1;
    }
    if (einc_errcode(ctx) != EINC_OK) {
        fprintf(stderr, "bench_load: %s\n", einc_errmsg(ctx));
        exit(1);
    }
    einc_state_free(state);
    einc_scope_end(ctx);
    return t;
}

static timing best_of(einc_ctx *ctx, const char *path, bool safetensors, bool mapped, bool cold, int reps) {
    timing best = {1e30, 1e30, 1e30};
    for (int r = 0; r < reps; r++) {
        timing t = run_once(ctx, path, safetensors, mapped, cold);
        if (t.load < best.load) best.load = t.load;
        if (t.first < best.first) best.first = t.first;
        if (t.warm < best.warm) best.warm = t.warm;
    }
    return best;
}

int main(void) {
    bench_header("bench_load: mapped vs copied load of a 256 MiB file", 1, NULL, NULL);
    int reps = bench_reps(5);
    bool cold = getenv("BENCH_COLD") && atoi(getenv("BENCH_COLD")) > 0;
    const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    char npy[1024], st[1024];
    snprintf(npy, sizeof npy, "%s/einc_bench_load_%ld.npy", dir, (long)getpid());
    snprintf(st, sizeof st, "%s/einc_bench_load_%ld.safetensors", dir, (long)getpid());

    einc_ctx_options o = {0};
    o.threads = 1;
    einc_ctx *ctx = einc_ctx_create_with(&o);
    int64_t n = (int64_t)(TOTAL_BYTES / sizeof(float));
    einc_tensor *all = einc_tensor_rand(ctx, EINC_FLOAT32, EINC_SHAPE(n));
    einc_state *s = einc_state_new(ctx);
    for (int i = 0; i < PARTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "part%d", i);
        einc_state_set(s, name, einc_tensor_narrow(ctx, all, 0, i * (n / PARTS), n / PARTS));
    }
    einc_save_options so = {EINC_SAVE_NO_SYNC, NULL, NULL, 0};
    if (einc_npy_save_with(ctx, npy, all, &so) != EINC_OK || einc_safetensors_save_with(ctx, st, s, &so) != EINC_OK) {
        fprintf(stderr, "bench_load: cannot write the files in %s: %s\n", dir, einc_errmsg(ctx));
        return 1;
    }
    einc_state_free(s);
    einc_tensor_release(all);
    double tc = bench_memcpy_seconds(TOTAL_BYTES, 3);
    printf("  files in %s, page cache %s; memcpy of 256 MiB: %.1f ms; best of %d\n", dir,
           cold ? "dropped before each run (BENCH_COLD=1)" : "warm", tc * 1e3, reps);
    printf("  %-34s %10s %13s %11s %14s\n", "case", "load ms", "1st touch ms", "warm ms", "load+1st/memcpy");
    static const struct {
        const char *name;
        bool safetensors, mapped;
    } cases[] = {
        {".npy       einc_npy_load", false, false},
        {".npy       einc_npy_load_mapped", false, true},
        {"safetensors einc_safetensors_load", true, false},
        {"safetensors _load_mapped", true, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        timing t = best_of(ctx, cases[c].safetensors ? st : npy, cases[c].safetensors, cases[c].mapped, cold, reps);
        printf("  %-34s %10.3f %13.1f %11.1f %14.2f\n", cases[c].name, t.load * 1e3, t.first * 1e3, t.warm * 1e3,
               (t.load + t.first) / tc);
    }
    einc_ctx_destroy(ctx);
    remove(npy);
    remove(st);
    return 0;
}
