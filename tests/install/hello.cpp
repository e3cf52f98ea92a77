// A C++ user program: every documented macro and the einc.hpp guards, against an installed einc.
#include <einc.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>

static einc_tensor *total(einc_ctx *ctx, einc_tensor *x, int nh) {
    einc::scope scope(ctx); // the temporaries below are released when it ends
    einc_tensor *v = einc_tensor_view(ctx, x, EINC_SHAPE(2, 12));
    einc_tensor *y = einc_id(ctx, "a (b c) -> b c a", v, EINC_AXES({"b", nh}, {"c", 4}));
    einc_tensor *s = einc_sum(ctx, "b [c] a", y); // no constraints
    einc_tensor *r = einc_roll(ctx, "[b] a", s, EINC_SHIFT(1), EINC_NO_AXES);
    einc_tensor *t = einc_tensor_sum(ctx, einc_tensor_permute(ctx, r, EINC_DIMS(1, 0)), EINC_ALL, false);
    if (!t) throw std::runtime_error(einc_errmsg(ctx)); // the scope still ends
    return einc_keep(ctx, t);
}

int main() {
    einc::context ctx;
    if (!ctx) return 1;
    if (std::strcmp(einc_version(), EINC_VERSION_STRING) != 0) return 2; // headers and library agree
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1);
    einc_shape shapes[2] = {einc_shape_of(x), EINC_UNKNOWN_SHAPE};
    bool ok = einc_matches(ctx, "(a b), a b", 2, shapes, EINC_AXES({"a", 4}));
    try {
        einc_tensor *t = total(ctx, x, 3);
        const int64_t at[1] = {0};
        std::printf("%g %d %d\n", einc_tensor_get(t, at), ok ? 1 : 0, einc_scope_depth(ctx));
        total(ctx, x, 5); // 5 does not divide 12: throws, and the scope is closed on the way out
    } catch (const std::runtime_error &e) {
        std::printf("%s %d\n", einc_status_name(einc_errcode(ctx)), einc_scope_depth(ctx));
    }
    return 0;
}
