/* A ten-line user program: builds against an installed einc via pkg-config or find_package. */
#include <einc.h>
#include <stdio.h>
int main(void) {
    einc_ctx *ctx = einc_ctx_create();
    einc_tensor *x = einc_tensor_arange(ctx, EINC_FLOAT32, 0, 6, 1);
    einc_tensor *y = einc_tensor_permute(ctx, einc_tensor_view(ctx, x, EINC_SHAPE(2, 3)), EINC_DIMS(1, 0));
    printf("%g\n", y ? einc_tensor_get(y, (int64_t[]){2, 1}) : -1.0); /* x[1][2] = 5 */
    einc_ctx_destroy(ctx);
    return 0;
}
