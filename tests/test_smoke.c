#include "test.h"
TEST(creates_and_views) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 24, 1);
    einc_tensor *y = einc_tensor_view(ctx, x, EINC_SHAPE(2, 3, 4));
    einc_tensor *z = einc_tensor_permute(ctx, y, EINC_DIMS(2, 0, 1));
    CHECK_EQ_INT(einc_tensor_get(z, (int64_t[]){3, 1, 2}), 1 * 12 + 2 * 4 + 3);
    einc_tensor *c = einc_tensor_contiguous(ctx, z);
    CHECK(einc_tensor_is_contiguous(c));
    CHECK_EQ_INT(einc_tensor_get(c, (int64_t[]){3, 1, 2}), 23);
    CHECK_OK(ctx);
    einc_ctx_destroy(ctx);
}
int main(void) { RUN(creates_and_views); return test_summary(); }
