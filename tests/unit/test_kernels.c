/* test_kernels.c: every op has an implementation per device, the CPU reference
 * is right, and the CUDA backend matches it (when a GPU is present). */
#include "../../kernels/kernels.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

static void test_op_table_has_every_device(void **state)
{
    (void)state;
    for (int d = 0; d < PH_DEVICE_COUNT; d++) {
        assert_non_null(ph_device_names[d]);
        assert_non_null(ph_op_table_u8_affine.impl[d]);
    }
}

static void test_u8_affine_cpu_reference(void **state)
{
    (void)state;
    uint8_t src[256];
    float dst[256];
    char why[256];
    for (int i = 0; i < 256; i++) src[i] = (uint8_t)i;
    assert_int_equal(ph_u8_affine_cpu(src, dst, 256, 1.0f / 255.0f, -0.5f, why, sizeof why), 0);
    for (int i = 0; i < 256; i++) assert_true(fabsf(dst[i] - ((float)i / 255.0f - 0.5f)) < 1e-6f);
}

static void test_u8_affine_cuda_matches_cpu(void **state)
{
    (void)state;
    char why[256] = "";
    int devices = ph_cuda_device_count(why, sizeof why);
    if (devices == 0) {
        print_message("# SKIP reason: %s\n", why);
        skip();
    }
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
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_table_has_every_device),
        cmocka_unit_test(test_u8_affine_cpu_reference),
        cmocka_unit_test(test_u8_affine_cuda_matches_cpu),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, NULL);
}
