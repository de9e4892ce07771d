/* test_rng.c: Philox draws are a pure function of (seed, stream, index, sub, draw). */
#include "core/rng.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_same_key_same_draws(void **state)
{
    (void)state;
    ph_rng a, b;
    ph_rng_init(&a, 42, PH_STREAM_CONTENT, 1234567890123ull, 7);
    ph_rng_init(&b, 42, PH_STREAM_CONTENT, 1234567890123ull, 7);
    for (int i = 0; i < 1000; i++) assert_int_equal(ph_rng_u32(&a), ph_rng_u32(&b));
}

static void test_every_key_part_matters(void **state)
{
    (void)state;
    uint32_t first[6];
    const uint64_t idx = 5;
    ph_rng r;
    ph_rng_init(&r, 1, 2, idx, 3), first[0] = ph_rng_u32(&r);
    ph_rng_init(&r, 2, 2, idx, 3), first[1] = ph_rng_u32(&r);
    ph_rng_init(&r, 1, 3, idx, 3), first[2] = ph_rng_u32(&r);
    ph_rng_init(&r, 1, 2, idx + 1, 3), first[3] = ph_rng_u32(&r);
    ph_rng_init(&r, 1, 2, idx + (1ull << 32), 3), first[4] = ph_rng_u32(&r);
    ph_rng_init(&r, 1, 2, idx, 4), first[5] = ph_rng_u32(&r);
    for (int i = 0; i < 6; i++)
        for (int j = i + 1; j < 6; j++) assert_int_not_equal(first[i], first[j]);
}

static void test_uniform_range_and_mean(void **state)
{
    (void)state;
    ph_rng r;
    ph_rng_init(&r, 9, 1, 0, 0);
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = ph_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    /* Mean of U[0,1) has s.d. 1/sqrt(12 n); allow 5 s.d. */
    assert_true(fabs(sum / n - 0.5) < 5.0 / sqrt(12.0 * n));
}

static void test_below_is_uniform(void **state)
{
    (void)state;
    enum { K = 95, N = 95000 };
    long count[K] = {0};
    ph_rng r;
    ph_rng_init(&r, 11, 1, 3, 0);
    for (int i = 0; i < N; i++) {
        uint32_t v = ph_rng_below(&r, K);
        assert_true(v < K);
        count[v]++;
    }
    double chi2 = 0, e = (double)N / K;
    for (int k = 0; k < K; k++) chi2 += (count[k] - e) * (count[k] - e) / e;
    /* 94 degrees of freedom: the 99.99th percentile is about 152. */
    assert_true(chi2 < 152.0);
    for (int i = 0; i < 100; i++) assert_int_equal(ph_rng_below(&r, 1), 0);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_key_same_draws),
        cmocka_unit_test(test_every_key_part_matters),
        cmocka_unit_test(test_uniform_range_and_mean),
        cmocka_unit_test(test_below_is_uniform),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
