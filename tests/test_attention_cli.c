/* build/attention as a user runs it: the notebook re-enactment must verify and exit 0; a PyTorch
 * state dict and input given as files must give PyTorch's output and gradients in the files it
 * writes, for the three implementations; bad files and shapes exit 1 with a message. */
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#define TOOL EINC_TEST_TMP "/../attention"
#define GOLD EINC_TEST_DATA "/attention/"

/* Runs a shell command; returns its exit status and leaves its output in `out`. */
static int run(const char *cmd, char *out, size_t cap) {
    char full[4096];
    snprintf(full, sizeof full, "%.4000s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double max_rel_diff(einc_ctx *ctx, einc_tensor *a, einc_tensor *b) {
    einc_tensor *d = einc_tensor_max(ctx, einc_tensor_abs(ctx, einc_tensor_sub(ctx, a, b)), EINC_ALL, false);
    einc_tensor *m = einc_tensor_max(ctx, einc_tensor_abs(ctx, b), EINC_ALL, false);
    if (!d || !m) return 1e30;
    double s = einc_tensor_item(m);
    return einc_tensor_item(d) / (s > 1 ? s : 1);
}

TEST(notebook_reenactment) {
    char out[8192];
    CHECK_EQ_INT(run(TOOL, out, sizeof out), 0);
    CHECK(strstr(out, "max_abs_diff: raw vs notation 0,") != NULL);
    CHECK(strstr(out, "Verification passed") != NULL);
    CHECK(strstr(out, "4 of 4 parameters received a nonzero gradient") != NULL);
    CHECK(strstr(out, "backward (fused): 4 of 4 parameters received a nonzero gradient") != NULL);
    CHECK(strstr(out, "peak fwd+bwd (MiB)") != NULL && strstr(out, "\nfused ") != NULL);
}

TEST(pytorch_weights_through_the_tool) {
    einc_ctx *ctx = einc_ctx_create();
    char dir[] = EINC_TEST_TMP "/attn_cliXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *impls[] = {"notation", "raw", "fused"};
    for (int i = 0; i < 3; i++) {
        char cmd[4096], out[8192], y[1200], gx[1200], g[1200];
        snprintf(y, sizeof y, "%s/y.npy", dir);
        snprintf(gx, sizeof gx, "%s/gx.npy", dir);
        snprintf(g, sizeof g, "%s/g.safetensors", dir);
        snprintf(cmd, sizeof cmd,
                 "%s --impl %s --channels 32 --heads 8 --weights %sheads8_hw.weights.safetensors --input "
                 "%sheads8_hw.x.npy --output %s --grad-input %s --grads %s",
                 TOOL, impls[i], GOLD, GOLD, y, gx, g);
        CHECK_EQ_INT(run(cmd, out, sizeof out), 0);
        einc_scope_begin(ctx);
        CHECK(max_rel_diff(ctx, einc_npy_load(ctx, y), test_golden(ctx, "attention/heads8_hw.y")) < 1e-5);
        CHECK(max_rel_diff(ctx, einc_npy_load(ctx, gx), test_golden(ctx, "attention/heads8_hw.gx")) < 1e-5);
        einc_state *mine = einc_safetensors_load(ctx, g),
                   *torch = einc_safetensors_load(ctx, GOLD "heads8_hw.grads.safetensors");
        const char *names[] = {"qkv.weight", "qkv.bias", "proj.weight", "proj.bias"};
        for (int k = 0; k < 4; k++)
            CHECK(max_rel_diff(ctx, einc_state_get(mine, names[k]), einc_state_get(torch, names[k])) < 1e-5);
        einc_state_free(mine);
        einc_state_free(torch);
        CHECK_OK(ctx);
        einc_scope_end(ctx);
        remove(y);
        remove(gx);
        remove(g);
    }
    rmdir(dir);
    einc_ctx_destroy(ctx);
}

TEST(bad_files_and_shapes) {
    char out[8192];
    CHECK_EQ_INT(run(TOOL " --weights /nonexistent/w.safetensors", out, sizeof out), 1);
    CHECK(strncmp(out, "IOError: ", 9) == 0);
    CHECK_EQ_INT(run(TOOL " --channels 12 --heads 3 --weights " GOLD "notebook.weights.safetensors", out, sizeof out),
                 1);
    CHECK(strncmp(out, "ShapeError: ", 12) == 0);
    CHECK_EQ_INT(run(TOOL " --channels 16 --heads 4 --input " GOLD "h3.x.npy", out, sizeof out), 1);
    CHECK(strstr(out, "expected an input of shape (B, 16, H, W), got (2, 12, 6, 6)") != NULL);
    CHECK_EQ_INT(run(TOOL " --channels 10 --heads 4", out, sizeof out), 1);
    CHECK(strstr(out, "must be a positive multiple of heads") != NULL);
    CHECK_EQ_INT(run(TOOL " --weights " GOLD "notebook.x.npy", out, sizeof out), 1);
    CHECK(strncmp(out, "FormatError: ", 13) == 0);
    CHECK_EQ_INT(run(TOOL " --impl fast", out, sizeof out), 1);
    CHECK(strstr(out, "--impl must be notation, raw or fused") != NULL);
}

int main(void) {
    RUN(notebook_reenactment);
    RUN(pytorch_weights_through_the_tool);
    RUN(bad_files_and_shapes);
    return test_summary();
}
