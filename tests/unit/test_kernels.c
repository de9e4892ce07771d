/* test_kernels.c: every op has an implementation per device and the CPU
 * reference is right.  test_kernels_cuda.c compares CUDA against it. */
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

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_table_has_every_device),
        cmocka_unit_test(test_u8_affine_cpu_reference),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, NULL);
}
