/* float16, bfloat16, uint8, int8, int16 and uint64 through the command-line tool (build/einc, a
 * separate process): .npy operands of the new dtypes, results written as .npy with numpy's type
 * codes, bfloat16 (no .npy code) refused for a .npy output and written to a safetensors output, and
 * NumPy's result dtypes (int8 sums are int64, int8 sums of two tensors wrap in int8, uint8 and
 * uint64 sums are uint64). */
#include "test_tool.h"

static einc_ctx *ctx;

/* Saves t as the tensor "w" of the safetensors file `path` and writes the operand "path:w". */
static void safetensors_operand(const char *path, einc_tensor *t, char *arg, size_t n) {
    einc_state *s = einc_state_new(ctx);
    einc_state_set(s, "w", t);
    CHECK_EQ_INT(einc_safetensors_save(ctx, path, s), EINC_OK);
    einc_state_free(s);
    snprintf(arg, n, "%s:w", path);
}

TEST(npy_operands_and_outputs) {
    char x[1200], out[1200];
    in_path(x, sizeof x, "h.npy");
    out_path(out, sizeof out, "y.npy");
    einc_scope_begin(ctx);
    const int64_t shape[2] = {2, 3};
    einc_tensor *h = einc_tensor_cast(ctx, ramp(ctx, 2, shape), EINC_FLOAT16);
    save_input(ctx, "h.npy", h);
    run("id", "a b -> b a", x, "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    einc_tensor *got = einc_npy_load(ctx, out);
    CHECK(got && einc_tensor_dtype(got) == EINC_FLOAT16);
    CHECK(got && CHECK_TENSOR_CLOSE(got, einc_tensor_permute(ctx, h, EINC_DIMS(1, 0)), 0, 0));
    /* arithmetic keeps float16 (computed in float32) */
    run("sum", "a [b]", x, "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    got = einc_npy_load(ctx, out);
    CHECK(got && einc_tensor_dtype(got) == EINC_FLOAT16);
    CHECK(got &&
          CHECK_TENSOR_CLOSE(
              got,
              einc_tensor_cast(ctx, einc_tensor_sum(ctx, einc_tensor_cast(ctx, h, EINC_FLOAT64), EINC_DIMS(1), false),
                               EINC_FLOAT16),
              0, 0));
    /* uint8 in, uint8 out */
    einc_tensor *u = einc_tensor_arange(ctx, EINC_UINT8, 250, 256, 1);
    save_input(ctx, "u.npy", u);
    char xu[1200];
    in_path(xu, sizeof xu, "u.npy");
    run("flip", "[a]", xu, "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    got = einc_npy_load(ctx, out);
    CHECK(got && einc_tensor_dtype(got) == EINC_UINT8);
    CHECK(got && CHECK_TENSOR_CLOSE(got, einc_tensor_flip(ctx, u, EINC_ALL), 0, 0));
    einc_scope_end(ctx);
    unlink(out);
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

TEST(bfloat16_has_no_npy_output) {
    char st[1200], arg[1300], out[1200], sto[1300];
    in_path(st, sizeof st, "w.safetensors");
    einc_scope_begin(ctx);
    const int64_t shape[2] = {2, 3};
    einc_tensor *b = einc_tensor_cast(ctx, ramp(ctx, 2, shape), EINC_BFLOAT16);
    safetensors_operand(st, b, arg, sizeof arg);
    out_path(out, sizeof out, "y.npy");
    run("id", "a b -> b a", arg, "-o", out, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "DTypeError") &&
              strstr(run_err, "dtype bfloat16 has no .npy type code"));
    CHECK(!file_exists(out)); /* nothing written, no temporary left */
    CHECK_EQ_INT(dir_entries(out_dir), 0);
    /* a safetensors output takes it */
    out_path(out, sizeof out, "y.safetensors");
    snprintf(sto, sizeof sto, "%s:t", out);
    run("id", "a b -> b a", arg, "-o", sto, NULL);
    CHECK_RUN(run_status == 0);
    einc_state *r = einc_safetensors_load(ctx, out);
    einc_tensor *t = r ? einc_state_get(r, "t") : NULL;
    CHECK(t && einc_tensor_dtype(t) == EINC_BFLOAT16);
    CHECK(t && CHECK_TENSOR_CLOSE(t, einc_tensor_permute(ctx, b, EINC_DIMS(1, 0)), 0, 0));
    einc_state_free(r);
    einc_scope_end(ctx);
    unlink(out);
}

TEST(integer_sums_widen) {
    char x[1200], out[1200];
    in_path(x, sizeof x, "q.npy");
    out_path(out, sizeof out, "y.npy");
    einc_scope_begin(ctx);
    int8_t v[4] = {100, 100, -128, 127};
    einc_tensor *q = einc_tensor_from_data(ctx, EINC_INT8, EINC_SHAPE(2, 2), v);
    save_input(ctx, "q.npy", q);
    run("sum", "[a] b", x, "-o", out, NULL); /* NumPy: int8 sums are int64 */
    CHECK_RUN(run_status == 0);
    einc_tensor *got = einc_npy_load(ctx, out);
    CHECK(got && einc_tensor_dtype(got) == EINC_INT64);
    int64_t i0 = 0, i1 = 1;
    CHECK(got && einc_tensor_get(got, &i0) == -28.0 && einc_tensor_get(got, &i1) == 227.0);
    run("add", "a b, a b", x, x, "-o", out, NULL); /* int8 + int8 wraps in int8 */
    CHECK_RUN(run_status == 0);
    got = einc_npy_load(ctx, out);
    CHECK(got && einc_tensor_dtype(got) == EINC_INT8);
    int64_t i00[2] = {0, 0};
    CHECK(got && einc_tensor_get(got, i00) == -56.0);
    einc_scope_end(ctx);
    unlink(out);
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

/* uint64 values from 2^63 on through .npy (<u8) and safetensors (U64) operands and outputs; sums
 * of uint8 are uint64 (NumPy). */
TEST(uint64_in_and_out) {
    char x[1200], st[1200], arg[1300], out[1200], sto[1300];
    in_path(x, sizeof x, "w.npy");
    in_path(st, sizeof st, "w.safetensors");
    out_path(out, sizeof out, "y.npy");
    einc_scope_begin(ctx);
    uint64_t v[4] = {UINT64_MAX, 1ULL << 63, 1, 7};
    einc_tensor *w = einc_tensor_from_data(ctx, EINC_UINT64, EINC_SHAPE(2, 2), v);
    save_input(ctx, "w.npy", w);
    run("max", "[a] b", x, "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    einc_tensor *got = einc_npy_load(ctx, out);
    uint64_t m[2] = {0, 0};
    CHECK(got && einc_tensor_dtype(got) == EINC_UINT64 && einc_tensor_to_buffer(got, m, sizeof m) == EINC_OK);
    CHECK(m[0] == UINT64_MAX && m[1] == 1ULL << 63); /* unsigned: as int64, 1 and 7 would win */
    safetensors_operand(st, w, arg, sizeof arg);
    out_path(out, sizeof out, "y.safetensors");
    snprintf(sto, sizeof sto, "%s:t", out);
    run("id", "a b -> b a", arg, "-o", sto, NULL);
    CHECK_RUN(run_status == 0);
    einc_state *r = einc_safetensors_load(ctx, out);
    einc_tensor *t = r ? einc_state_get(r, "t") : NULL;
    uint64_t tv[4] = {0, 0, 0, 0};
    CHECK(t && einc_tensor_dtype(t) == EINC_UINT64 && einc_tensor_to_buffer(t, tv, sizeof tv) == EINC_OK);
    CHECK(tv[0] == UINT64_MAX && tv[1] == 1 && tv[2] == 1ULL << 63 && tv[3] == 7);
    einc_state_free(r);
    unlink(out);
    out_path(out, sizeof out, "y.npy");
    save_input(ctx, "u.npy", einc_tensor_arange(ctx, EINC_UINT8, 250, 256, 1));
    in_path(x, sizeof x, "u.npy");
    run("sum", "[a]", x, "-o", out, NULL); /* NumPy: uint8 sums are uint64 */
    CHECK_RUN(run_status == 0);
    got = einc_npy_load(ctx, out);
    CHECK(got && einc_tensor_dtype(got) == EINC_UINT64 && einc_tensor_item(got) == 1515.0);
    einc_scope_end(ctx);
    unlink(out);
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

int main(void) {
    if (!test_tool_setup("cli_dtypes")) return 1;
    ctx = einc_ctx_create();
    RUN(npy_operands_and_outputs);
    RUN(bfloat16_has_no_npy_output);
    RUN(integer_sums_widen);
    RUN(uint64_in_and_out);
    einc_ctx_destroy(ctx);
    test_tool_teardown();
    return test_summary();
}
