/* test_alignment.c: human-alignment scores (common/harmonize/alignment.h,
 * harmonization.md §2): average ranks over ties, Spearman's rho, numpy's
 * linear percentile, top-10% Dice and IoU, the ceiling-normalised score, on
 * hand-computed cases (ties, constant maps, empty masks) and against values
 * numpy 2.4.6 / scipy 1.17.1 printed for fixed maps. */
#include "harmonize/alignment.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

/* cmocka's assert_float_equal compares in single precision; this is double. */
#define assert_near(a, b, tol)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b), t_ = (tol);                                                 \
        if (!(fabs(a_ - b_) <= t_)) fail_msg("%s = %.17g, %s = %.17g, tolerance %g", #a, a_, #b, b_, t_); \
    } while (0)

static void test_ranks_average_ties(void **state)
{
    (void)state;
    const float x[7] = {3, 1, 3, 2, 3, 1, 7};
    /* sorted: 1 1 | 2 | 3 3 3 | 7 -> ranks 1.5, 3, 5, 7 */
    const double want[7] = {5, 1.5, 5, 3, 5, 1.5, 7};
    double r[7];
    ph_rank_average(x, 7, r);
    for (int i = 0; i < 7; i++) assert_near(r[i], want[i], 0);
}

static void test_spearman_hand_cases(void **state)
{
    (void)state;
    /* ranks a 1 2.5 2.5 4, b 1 3 2 4: centred products 4.5, sums of squares
     * 4.5 and 5, rho = 4.5 / sqrt(22.5) */
    const float a[4] = {1, 2, 2, 3}, b[4] = {1, 3, 2, 4};
    double rho = ph_spearman(a, b, 4);
    print_message("# spearman(1 2 2 3, 1 3 2 4) = %.16f (hand: 4.5/sqrt(22.5) = %.16f)\n", rho, 4.5 / sqrt(22.5));
    assert_near(rho, 4.5 / sqrt(22.5), 1e-15);
    /* monotone transforms do not matter; reversal gives -1 */
    const float c[5] = {0.1f, 5, 7, 100, 1000}, d[5] = {-3, -2, -1, 0, 1}, e[5] = {9, 8, 7, 6, 5};
    assert_near(ph_spearman(c, d, 5), 1, 1e-15);
    assert_near(ph_spearman(c, e, 5), -1, 1e-15);
    /* constant maps, too few pixels, NaN: undefined, as scipy */
    const float k[4] = {2, 2, 2, 2}, nanmap[4] = {1, NAN, 2, 3};
    assert_true(isnan(ph_spearman(a, k, 4)));
    assert_true(isnan(ph_spearman(k, a, 4)));
    assert_true(isnan(ph_spearman(k, k, 4)));
    assert_true(isnan(ph_spearman(a, b, 1)));
    assert_true(isnan(ph_spearman(nanmap, b, 4)));
}

static void test_percentile_numpy_linear(void **state)
{
    (void)state;
    const float x[10] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    /* position 0.9 * 9 = 8.1 between sorted values 9 and 10 */
    assert_near(ph_percentile(x, 10, 90), 9.1, 1e-14);
    assert_near(ph_percentile(x, 10, 0), 1, 0);
    assert_near(ph_percentile(x, 10, 100), 10, 0);
    assert_near(ph_percentile(x, 10, 50), 5.5, 1e-15);
    const float one[1] = {4};
    assert_near(ph_percentile(one, 1, 90), 4, 0);
    assert_true(isnan(ph_percentile(x, 10, 101)));
}

static void test_top10_dice_iou_hand_cases(void **state)
{
    (void)state;
    /* 20 pixels: a = 0..19, its 90th percentile 17.1, top = {18, 19};
     * b puts its top two on pixels 19 and 0: one shared pixel.
     * Dice = 2 * 1 / (2 + 2) = 0.5, IoU = 1 / 3 */
    float a[20], b[20];
    for (int i = 0; i < 20; i++) a[i] = (float)i, b[i] = (float)(i % 19 == 0 ? 50 + i : i % 7);
    double dice, iou;
    ph_top_overlap(a, b, 20, 10, &dice, &iou);
    print_message("# top-10%% overlap: dice %.12f (hand 0.5), iou %.12f (hand 1/3)\n", dice, iou);
    assert_near(dice, 0.5, 1e-9);
    assert_near(iou, 1.0 / 3, 1e-9);
    /* strict >: a map whose largest value fills more than 10% has an empty
     * mask; with a constant map both are empty and score 0, not NaN */
    float ties[20] = {0}, k[20];
    for (int i = 0; i < 20; i++) ties[i] = i < 17 ? 0 : 1, k[i] = 3;
    ph_top_overlap(ties, a, 20, 10, &dice, &iou);
    assert_near(dice, 0, 0);
    assert_near(iou, 0, 0);
    ph_top_overlap(k, k, 20, 10, &dice, &iou);
    assert_near(dice, 0, 0);
    assert_near(iou, 0, 0);
    /* identical non-constant maps: 1 (up to the package's 1e-9) */
    ph_top_overlap(a, a, 20, 10, &dice, &iou);
    assert_near(dice, 1, 1e-9);
    assert_near(iou, 1, 1e-9);
}

static void test_alignment_score_ceiling_and_undefined(void **state)
{
    (void)state;
    const double rho[3] = {0.5, NAN, 0.3};
    int undefined = -1;
    double s = ph_alignment_score(rho, 3, &undefined);
    assert_int_equal(undefined, 1);
    assert_near(s, 0.4 / 0.6575315343478081, 1e-15);
    const double none[2] = {NAN, NAN};
    assert_true(isnan(ph_alignment_score(none, 2, &undefined)));
    assert_int_equal(undefined, 2);
    assert_near(ph_alignment_score(rho, 1, NULL), 0.5 / PH_HUMAN_SPEARMAN_CEILING, 1e-15);
}

/* Against numpy / scipy.  Maps are integers / 64 (exact in float32), made by:
 *
 *   import numpy as np
 *   from scipy.stats import spearmanr
 *   rng = np.random.default_rng(7)
 *   a1 = rng.integers(0, 100, 40)
 *   b1 = a1 + rng.integers(-30, 31, 40)     # correlated, some ties
 *   a2 = rng.integers(0, 4, 40) * 16        # 4 levels: heavy ties
 *   b2 = rng.integers(0, 3, 40) * 32
 *   cases = [(a1, b1), (a2, b2), (a1, np.full(40, 32))]
 *   for a, b in cases:
 *       a = (a / 64).astype(np.float32); b = (b / 64).astype(np.float32)
 *       rho = spearmanr(a, b)[0]
 *       ta, tb = np.percentile(a, 90), np.percentile(b, 90)
 *       ma, mb = a > ta, b > tb
 *       dice = 2.0 * np.sum(ma * mb) / (np.sum(ma.astype(np.float32) + mb) + 1e-9)
 *       iou = np.sum(ma & mb) / (np.sum(ma | mb) + 1e-9)
 *       print(a * 64, b * 64, rho, ta, tb, dice, iou)
 *
 * (dice and iou as in serre-lab/Harmonization's evaluation/metrics.py).
 * numpy returns the percentile of float32 maps in float32, so the thresholds
 * are compared to 1e-7 (the masks are the same); numpy 2 adds the 1e-9 of the
 * Dice denominator to a float32 sum, where it vanishes, so Dice and IoU are
 * compared to 1e-9. */
enum { XN = 40 };
static const int xa[3][XN] = {
    {94, 62, 68, 89, 57, 77, 83, 22, 5, 30, 28, 87, 91, 0, 49, 82, 13, 79, 11, 46,
     81, 30, 34, 27, 71, 25, 99, 44, 47, 50, 58, 55, 50, 99, 80, 79, 70, 62, 34, 98},
    {32, 16, 48, 48, 0, 32, 48, 48, 32, 32, 0, 32, 16, 0, 0, 32, 32, 32, 32, 48,
     32, 16, 32, 32, 0, 0, 32, 16, 32, 16, 0, 0, 16, 48, 16, 16, 32, 48, 16, 32},
    {94, 62, 68, 89, 57, 77, 83, 22, 5, 30, 28, 87, 91, 0, 49, 82, 13, 79, 11, 46,
     81, 30, 34, 27, 71, 25, 99, 44, 47, 50, 58, 55, 50, 99, 80, 79, 70, 62, 34, 98},
};
static const int xb[3][XN] = {
    {92, 45, 89, 68, 79, 84, 59, -6, 2, 2, 6, 88, 120, -2, 68, 107, 33, 87, 7, 47,
     67, 30, 27, 12, 101, -5, 74, 25, 76, 62, 81, 37, 63, 91, 79, 49, 77, 82, 44, 77},
    {32, 32, 32, 32, 32, 64, 64, 0, 32, 32, 32, 0, 0, 32, 64, 0, 32, 64, 64, 0,
     0, 64, 0, 0, 32, 64, 0, 32, 32, 0, 64, 64, 32, 64, 32, 64, 64, 32, 0, 0},
    {32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32,
     32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32},
};
/* rho, percentile 90 of a, of b, dice, iou */
static const double xwant[3][5] = {
    {0.80952604767602832, 1.4265625476837158, 1.4234374761581421, 0.25, 0.1428571428367347},
    {-0.20935449324262878, 0.75, 1, 0, 0},
    {NAN, 1.4265625476837158, 0.5, 0, 0},
};

static void test_against_numpy_scipy(void **state)
{
    (void)state;
    float a[XN], b[XN];
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < XN; i++) a[i] = xa[c][i] / 64.0f, b[i] = xb[c][i] / 64.0f;
        double rho, dice, iou;
        ph_alignment_maps(a, b, 1, XN, &rho, &dice, &iou);
        print_message("# case %d: rho %.15g (scipy %.15g), dice %.12g (%.12g), iou %.12g (%.12g)\n", c, rho,
                      xwant[c][0], dice, xwant[c][3], iou, xwant[c][4]);
        if (isnan(xwant[c][0])) assert_true(isnan(rho));
        else assert_near(rho, xwant[c][0], 1e-13);
        assert_near(ph_percentile(a, XN, 90), xwant[c][1], 1e-7);
        assert_near(ph_percentile(b, XN, 90), xwant[c][2], 1e-7);
        /* 1e-9: the package's EPSILON, which numpy 2 drops in float32 sums */
        assert_near(dice, xwant[c][3], 1e-9);
        assert_near(iou, xwant[c][4], 1e-9);
    }
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_average_ties),
        cmocka_unit_test(test_spearman_hand_cases),
        cmocka_unit_test(test_percentile_numpy_linear),
        cmocka_unit_test(test_top10_dice_iou_hand_cases),
        cmocka_unit_test(test_alignment_score_ceiling_and_undefined),
        cmocka_unit_test(test_against_numpy_scipy),
    };
    return cmocka_run_group_tests_name("alignment", tests, NULL, NULL);
}
