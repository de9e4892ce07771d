/* test_kernels_cuda.c: the backend comparison.  Each op runs on the CPU
 * reference and on CUDA with the same inputs; outputs must agree within the
 * stated tolerance.  Without a usable GPU the whole file is skipped (TAP
 * "1..0 # SKIP"), since CUDA is never required to run the tests. */
#include "../../kernels/kernels.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

static void test_u8_affine_cuda_matches_cpu(void **state)
{
    (void)state;
    char why[256] = "";
    const size_t n = ((size_t)1 << 22) + 3; /* vector body plus a scalar tail */
    uint8_t *src = malloc(n);
    float *ref = malloc(n * sizeof *ref), *gpu = malloc(n * sizeof *gpu);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 2654435761u >> 24);
    assert_int_equal(ph_u8_affine_cpu(src, ref, n, 1.0f / 255.0f, 0.25f, why, sizeof why), 0);
    int rc = ph_u8_affine_cuda(src, gpu, n, 1.0f / 255.0f, 0.25f, why, sizeof why);
    if (rc) print_message("# cuda: %s\n", why);
    assert_int_equal(rc, 0);
    /* fmaf on the GPU vs multiply-add on the CPU: at most one rounding apart. */
    double max_err = 0;
    for (size_t i = 0; i < n; i++) max_err = fmax(max_err, fabs((double)gpu[i] - ref[i]));
    print_message("# cuda vs cpu: %zu values, max abs difference %.3g (tolerance 1e-6)\n", n, max_err);
    assert_true(max_err <= 1e-6);
    free(src), free(ref), free(gpu);
}

int main(void)
{
    char why[256] = "";
    if (ph_cuda_device_count(why, sizeof why) == 0) {
        printf("1..0 # SKIP %s\n", why);
        return 0;
    }
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u8_affine_cuda_matches_cpu),
    };
    return cmocka_run_group_tests_name("kernels_cuda", tests, NULL, NULL);
}
