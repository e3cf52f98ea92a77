/* Tensors of safetensors files through the command-line tool (build/einc, a separate process):
 * FILE.safetensors:NAME as an operand (a missing name lists the file's tensors) and as an output
 * (a new file; an existing file keeps its other tensors and metadata and is rewritten atomically;
 * several outputs into one file make one rewrite; an invalid existing file is not touched; a
 * name given twice is an error), and the same file as input and output. */
#include "test_tool.h"

static einc_ctx *ctx;
static char w_st[1200]; /* in/w.safetensors: "a" (2, 3) float32, "b" (3,) int64, metadata format=pt */

/* Checks that tensor `name` of the safetensors file at `path` equals `want`. */
static bool tensor_is(const char *path, const char *name, einc_tensor *want) {
    einc_state *st = einc_safetensors_load(ctx, path);
    einc_tensor *got = st ? einc_state_get(st, name) : NULL;
    bool ok = got && CHECK_TENSOR_CLOSE(got, want, 0, 0);
    einc_state_free(st);
    einc_clear_error(ctx);
    return ok;
}

static int tensor_count(const char *path) {
    einc_state *st = einc_safetensors_load(ctx, path);
    int n = st ? einc_state_count(st) : -1;
    einc_state_free(st);
    einc_clear_error(ctx);
    return n;
}

static einc_tensor *a_tensor(void) {
    const int64_t shape[2] = {2, 3};
    return ramp(ctx, 2, shape);
}
static einc_tensor *b_tensor(void) { return einc_tensor_arange(ctx, EINC_INT64, 5, 8, 1); }

TEST(tensor_of_a_file_as_an_operand) {
    char out[1200], arg_a[1300], arg_b[1300];
    out_path(out, sizeof out, "y.npy");
    snprintf(arg_a, sizeof arg_a, "%s:a", w_st);
    snprintf(arg_b, sizeof arg_b, "%s:b", w_st);
    run("id", "a b -> b a", arg_a, "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    einc_scope_begin(ctx);
    einc_tensor *got = einc_npy_load(ctx, out);
    CHECK(got && CHECK_TENSOR_CLOSE(got, einc_tensor_permute(ctx, a_tensor(), EINC_DIMS(1, 0)), 0, 0));
    /* two tensors of one file, with broadcasting by name */
    run("add", "a b, b", arg_a, arg_b, "-o", out, NULL);
    CHECK_RUN(run_status == 0);
    got = einc_npy_load(ctx, out);
    CHECK(got && CHECK_TENSOR_CLOSE(got, einc_tensor_add(ctx, a_tensor(), b_tensor()), 0, 0));
    /* the solvers take them too */
    run("solve", "x y", arg_a, NULL);
    CHECK_RUN(run_status == 0 && strcmp(run_out, "x=2\ny=3\n") == 0);
    einc_scope_end(ctx);
    unlink(out);
    /* a missing tensor names the file's tensors; a missing name; a missing file */
    char bad[1300];
    snprintf(bad, sizeof bad, "%s:c", w_st);
    run("id", "a", bad, "-o", out, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "IndexError") && strstr(run_err, "has no tensor 'c'") &&
              strstr(run_err, "(it holds b, a)")); /* in the file's order */
    snprintf(bad, sizeof bad, "%s:", w_st);
    run("id", "a", bad, "-o", out, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError") && strstr(run_err, "name the tensor"));
    run("id", "a", "nowhere.safetensors:a", "-o", out, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "IOError") && strstr(run_err, "nowhere.safetensors"));
    CHECK_EQ_INT(dir_entries(out_dir), 0);
}

TEST(tensor_into_a_new_file) {
    char file[1200], arg[1300];
    out_path(file, sizeof file, "new.safetensors");
    snprintf(arg, sizeof arg, "%s:t", file);
    run("id", "a b -> b a", w_st, "-o", arg, NULL); /* which tensor? */
    CHECK_RUN(run_status == 1 && starts_with(run_err, "ValueError") && strstr(run_err, "name the tensor") &&
              strstr(run_err, "(it holds b, a)"));
    char in_a[1300];
    snprintf(in_a, sizeof in_a, "%s:a", w_st);
    run("id", "a b -> b a", in_a, "-o", arg, NULL);
    CHECK_RUN(run_status == 0);
    einc_scope_begin(ctx);
    CHECK(tensor_is(file, "t", einc_tensor_permute(ctx, a_tensor(), EINC_DIMS(1, 0))));
    CHECK_EQ_INT(tensor_count(file), 1);
    /* several outputs into one file: one file holding all of them */
    char q[1300], k[1300];
    snprintf(q, sizeof q, "%s:q", file);
    snprintf(k, sizeof k, "%s:k", file);
    run("id", "(1 + 1) b -> b, b", in_a, "-o", q, "-o", k, NULL);
    CHECK_RUN(run_status == 0);
    CHECK_EQ_INT(tensor_count(file), 3); /* t kept, q and k added */
    CHECK(tensor_is(file, "q", einc_tensor_select(ctx, a_tensor(), 0, 0)));
    CHECK(tensor_is(file, "k", einc_tensor_select(ctx, a_tensor(), 0, 1)));
    einc_scope_end(ctx);
    /* a name given twice, and one file as .npy and as safetensors */
    run("id", "(1 + 1) b -> b, b", in_a, "-o", q, "-o", q, NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "given twice"));
    run("id", "(1 + 1) b -> b, b", in_a, "-o", q, "-o", file, NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "both as a .npy file and as a safetensors file"));
    CHECK_EQ_INT(dir_entries(out_dir), 1);
    /* one file under two names (a symbolic link): still one rewrite holding both */
    char alias[1200], via_alias[1300];
    out_path(alias, sizeof alias, "alias.safetensors");
    CHECK(symlink("new.safetensors", alias) == 0);
    snprintf(via_alias, sizeof via_alias, "%s:k2", alias);
    snprintf(q, sizeof q, "%s:q2", file);
    run("id", "(1 + 1) b -> b, b", in_a, "-o", q, "-o", via_alias, NULL);
    CHECK_RUN(run_status == 0);
    CHECK_EQ_INT(tensor_count(file), 5);
    /* the same .npy under two names is refused; /dev/null twice is fine */
    char npy[1200], npy_alias[1200];
    out_path(npy, sizeof npy, "x.npy");
    out_path(npy_alias, sizeof npy_alias, "x_alias.npy");
    run("id", "a b", in_a, "-o", npy, NULL);
    CHECK(symlink("x.npy", npy_alias) == 0);
    run("id", "(1 + 1) b -> b, b", in_a, "-o", npy, "-o", npy_alias, NULL);
    CHECK_RUN(run_status == 1 && strstr(run_err, "are the same file"));
    run("id", "(1 + 1) b -> b, b", in_a, "-o", "/dev/null", "-o", "/dev/null", NULL);
    CHECK_RUN(run_status == 0);
    clear_dir(out_dir);
}

TEST(existing_file_keeps_its_other_tensors_and_metadata) {
    char file[1200], arg[1300], in_b[1300];
    out_path(file, sizeof file, "w.safetensors");
    /* a copy of in/w.safetensors with mode 0640 */
    einc_state *st = einc_safetensors_load(ctx, w_st);
    CHECK(st && einc_safetensors_save(ctx, file, st) == EINC_OK);
    einc_state_free(st);
    chmod(file, 0640);
    snprintf(in_b, sizeof in_b, "%s:b", file);
    /* replace b by b * 2 (input and output in the same file), add c */
    snprintf(arg, sizeof arg, "%s:b", file);
    char c[1300];
    snprintf(c, sizeof c, "%s:c", file);
    run("multiply", "n, -> n", in_b, "2", "-o", arg, NULL);
    CHECK_RUN(run_status == 0);
    run("sum", "[n]", in_b, "-o", c, NULL);
    CHECK_RUN(run_status == 0);
    einc_scope_begin(ctx);
    CHECK_EQ_INT(tensor_count(file), 3);
    CHECK(tensor_is(file, "a", a_tensor()));
    CHECK(tensor_is(file, "b", einc_tensor_add(ctx, b_tensor(), b_tensor())));
    CHECK(tensor_is(file, "c", einc_tensor_scalar(ctx, EINC_INT64, 2 * (5 + 6 + 7))));
    einc_scope_end(ctx);
    st = einc_safetensors_load(ctx, file);
    CHECK(st && einc_state_metadata(st, "format") && strcmp(einc_state_metadata(st, "format"), "pt") == 0);
    einc_state_free(st);
    struct stat sb;
    CHECK(stat(file, &sb) == 0 && (sb.st_mode & 07777) == 0640);
    CHECK_EQ_INT(dir_entries(out_dir), 1); /* no temporary left */
    /* an existing file that is not safetensors is not overwritten */
    char junk[1200], junk_arg[1300];
    out_path(junk, sizeof junk, "junk.safetensors");
    FILE *f = fopen(junk, "wb");
    fputs("not a safetensors file at all", f);
    fclose(f);
    snprintf(junk_arg, sizeof junk_arg, "%s:x", junk);
    run("id", "n", in_b, "-o", junk_arg, NULL);
    CHECK_RUN(run_status == 1 && starts_with(run_err, "FormatError") && strstr(run_err, "was not changed"));
    static char text[256];
    read_file(junk, text, sizeof text);
    CHECK(strcmp(text, "not a safetensors file at all") == 0);
    CHECK_EQ_INT(dir_entries(out_dir), 2);
    clear_dir(out_dir);
}

int main(void) {
    if (!test_tool_setup("cli_safetensors")) return 1;
    ctx = einc_ctx_create();
    in_path(w_st, sizeof w_st, "w.safetensors");
    einc_state *st = einc_state_new(ctx);
    einc_state_set(st, "a", a_tensor());
    einc_state_set(st, "b", b_tensor());
    einc_state_set_metadata(st, "format", "pt");
    if (einc_safetensors_save(ctx, w_st, st) != EINC_OK) {
        fprintf(stderr, "cannot write %s: %s\n", w_st, einc_errmsg(ctx));
        return 1;
    }
    einc_state_free(st);
    RUN(tensor_of_a_file_as_an_operand);
    RUN(tensor_into_a_new_file);
    RUN(existing_file_keeps_its_other_tensors_and_metadata);
    einc_ctx_destroy(ctx);
    test_tool_teardown();
    return test_summary();
}
