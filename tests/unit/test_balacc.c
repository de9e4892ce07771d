/* test_balacc.c: balanced accuracy and its stratified, paired bootstrap interval
 * (common/stats/balacc.h). */
#include "stats/balacc.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* (2/3 hits on positives + 1/2 on negatives) / 2, by hand. */
static void test_balacc_by_hand(void **state)
{
    (void)state;
    const int32_t y[5] = {1, 1, 1, 0, 0};
    const int hit[5] = {1, 1, 0, 1, 0};
    assert_true(fabs(ph_balacc(y, hit, 5) - (2.0 / 3 + 0.5) / 2) < 1e-15);
    /* Unbalanced classes: plain accuracy 0.8 (4 of 5), balanced 0.75. */
    const int32_t y2[5] = {1, 1, 1, 1, 0};
    const int h2[5] = {1, 1, 1, 1, 0};
    assert_true(fabs(ph_balacc(y2, h2, 5) - 0.5) < 1e-15);
    const int h3[5] = {1, 1, 0, 1, 1};
    assert_true(fabs(ph_balacc(y2, h3, 5) - (0.75 + 1) / 2) < 1e-15);
    /* One class only: undefined. */
    const int32_t y4[3] = {1, 1, 1};
    assert_true(isnan(ph_balacc(y4, hit, 3)));
}

/* n samples, half positive; hits with probability p, from a fixed arithmetic pattern. */
static void make(int32_t *y, int *hit, int n, double p, int shift)
{
    for (int i = 0; i < n; i++) {
        y[i] = i % 2;
        hit[i] = fmod((i / 2 + shift) * 0.6180339887498949, 1.0) < p;
    }
}

static void test_bootstrap_deterministic_and_keyed(void **state)
{
    (void)state;
    enum { N = 400 };
    int32_t y[N];
    int hit[N];
    make(y, hit, N, 0.7, 0);
    const ph_balacc_term t = {y, hit, N, 1};
    double lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4;
    const double v1 = ph_balacc_bootstrap(&t, 1, 2000, 0.95, 7, 11, &lo1, &hi1);
    const double v2 = ph_balacc_bootstrap(&t, 1, 2000, 0.95, 7, 11, &lo2, &hi2);
    assert_true(v1 == v2 && lo1 == lo2 && hi1 == hi2);
    assert_true(v1 == ph_balacc(y, hit, N));
    assert_true(lo1 <= v1 && v1 <= hi1 && lo1 < hi1);
    ph_balacc_bootstrap(&t, 1, 2000, 0.95, 8, 11, &lo3, &hi3);
    assert_true(lo3 != lo1 || hi3 != hi1);
    /* The quantiles of a discrete statistic can coincide for one other key; of four, some differ. */
    int differ = 0;
    for (uint32_t sub = 12; sub < 16; sub++) {
        ph_balacc_bootstrap(&t, 1, 2000, 0.95, 7, sub, &lo4, &hi4);
        differ += lo4 != lo1 || hi4 != hi1;
    }
    assert_true(differ > 0);
    assert_int_equal(ph_balacc_name_hash("a"), ph_balacc_name_hash("a"));
    assert_true(ph_balacc_name_hash("a|b") != ph_balacc_name_hash("a|c"));
}

/* The interval's width matches the normal approximation: balanced accuracy over
 * n/2 positives and n/2 negatives, each hit rate p, has standard error
 * 0.5 sqrt(2 p (1 - p) / (n/2)); the 95 % interval is about 3.92 of them wide. */
static void test_bootstrap_width(void **state)
{
    (void)state;
    enum { N = 2000 };
    int32_t *y = malloc(N * sizeof *y);
    int *hit = malloc(N * sizeof *hit);
    make(y, hit, N, 0.7, 3);
    const ph_balacc_term t = {y, hit, N, 1};
    double lo, hi;
    const double v = ph_balacc_bootstrap(&t, 1, 4000, 0.95, 1, 1, &lo, &hi);
    const double p = v, se = 0.5 * sqrt(2 * p * (1 - p) / (N / 2));
    assert_true(fabs((hi - lo) / (3.92 * se) - 1) < 0.12);
    assert_true(fabs((lo + hi) / 2 - v) < 0.5 * se);
    /* All right: every replicate is 1. */
    for (int i = 0; i < N; i++) hit[i] = 1;
    assert_true(ph_balacc_bootstrap(&t, 1, 100, 0.95, 1, 1, &lo, &hi) == 1 && lo == 1 && hi == 1);
    free(y), free(hit);
}

/* A difference between two conditions scored on the same videos draws the same
 * indices for both: identical hits give an interval of exactly 0, while the
 * same hits with labels in another order (unpaired) give a spread. */
static void test_bootstrap_paired(void **state)
{
    (void)state;
    enum { N = 300 };
    int32_t y[N], y2[N];
    int a[N], b[N];
    make(y, a, N, 0.6, 0);
    memcpy(b, a, sizeof a);
    const ph_balacc_term same[2] = {{y, a, N, 1}, {y, b, N, -1}};
    double lo, hi;
    assert_true(ph_balacc_bootstrap(same, 2, 1000, 0.95, 1, 5, &lo, &hi) == 0);
    assert_true(lo == 0 && hi == 0);
    for (int i = 0; i < N; i++) y2[i] = 1 - y[i]; /* other labels: not paired */
    int b2[N];
    for (int i = 0; i < N; i++) b2[i] = a[i ^ 1];
    const ph_balacc_term other[2] = {{y, a, N, 1}, {y2, b2, N, -1}};
    const double d = ph_balacc_bootstrap(other, 2, 1000, 0.95, 1, 5, &lo, &hi);
    assert_true(fabs(d) < 1e-12);
    assert_true(hi - lo > 0.05);
    /* A class missing: the statistic and the interval are undefined. */
    int32_t ones[N];
    for (int i = 0; i < N; i++) ones[i] = 1;
    const ph_balacc_term none = {ones, a, N, 1};
    assert_true(isnan(ph_balacc_bootstrap(&none, 1, 100, 0.95, 1, 1, &lo, &hi)) && isnan(lo) && isnan(hi));
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balacc_by_hand),
        cmocka_unit_test(test_bootstrap_deterministic_and_keyed),
        cmocka_unit_test(test_bootstrap_width),
        cmocka_unit_test(test_bootstrap_paired),
    };
    return cmocka_run_group_tests_name("balacc", tests, NULL, NULL);
}
