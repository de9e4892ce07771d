/* test_neural.c: the numerics of neural predictivity (common/neural): PLS and
 * ridge regression against hand-derived cases and against scikit-learn 1.9.1
 * (values pasted below with the snippet that made them), constant columns and
 * ties; the grid resampling against a direct computation; Pearson, the median
 * of defined values, the ceilings; the synthetic sites' determinism.
 *
 * The sklearn snippet (python3, numpy, scikit-learn 1.9.1):
 *   X = np.array(X8x4 below); Y = np.array(Y8x3 below)
 *   m = PLSRegression(n_components=A, scale=False, tol=1e-4).fit(X, Y)
 *   coef = m.coef_.T  (newer sklearn stores [q, p]); m.predict(X[:1])
 *   Ridge(alpha=0.7).fit(X, Y).coef_.T, .intercept_
 *   Ridge(alpha=0.7).fit(np.c_[X, np.full(8, 4.0)], Y).coef_.T
 *   PLSRegression(n_components=1, scale=False).fit([[1,7],[2,7],[4,7]], [1,3,2]).coef_
 *   PLSRegression(n_components=2, ...) on the same: "A has a NaN entry" (ValueError) */
#include "io/npy_nd.h"
#include "neural/grid.h"
#include "neural/linear_probe.h"
#include "neural/pls.h"
#include "neural/ridge.h"
#include "neural/sites.h"
#include "neural/stats.h"

#include <math.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define assert_close(a, b, tol)                                                                \
    do {                                                                                       \
        double a_ = (a), b_ = (b);                                                             \
        if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

static const double X8[8 * 4] = {0.2, 1.0, -0.5, 0.3, 1.1, 0.4, 0.2, -0.7, -0.3, 0.8, 1.5, 0.1, 0.9, -1.2, 0.3, 0.6,
                                 0.0, 0.5, -0.9, 1.4, 1.6, 0.2, 0.7, -0.2, -1.0, -0.4, 0.1, 0.9, 0.4, 1.3, -0.6, -1.1};
static const double Y8[8 * 3] = {1.0, 0.3, -0.2, 0.4, -0.5, 0.9, 1.7, 1.1, 0.2, -0.6, 0.2, 0.5,
                                 0.8, -0.9, 1.3, 0.9, 0.6, -0.4, -0.2, -1.0, 0.7, 1.2, 0.9, -1.0};

/* One target, one feature, y = 2x: centred x = (-1.5, -.5, .5, 1.5), w = 1,
 * t = x, c = t'y / t't = 2, loading 1, so coef = 2 and y_mean = 5:
 * predict(5) = 5 + (5 - 2.5) * 2 = 10. */
static void test_pls_hand_line(void **state)
{
    (void)state;
    const double X[4] = {1, 2, 3, 4}, Y[4] = {2, 4, 6, 8};
    ph_pls m;
    char why[128];
    assert_int_equal(ph_pls_fit(&m, X, Y, 4, 1, 1, 25, 1e-4, 500, why, sizeof why), 0);
    assert_int_equal(m.used, 1); /* capped at p = 1 */
    assert_close(m.coef[0], 2.0, 1e-12);
    double x = 5, y;
    ph_pls_predict(&m, &x, 1, &y);
    assert_close(y, 10.0, 1e-12);
    ph_pls_free(&m);
}

/* A constant column: X = [[1,7],[2,7],[4,7]], y = (1,3,2).  Centred x1 =
 * (-4/3, -1/3, 5/3), the constant column is 0; centred y = (-1, 1, 0);
 * X'y = (1, 0), so w = (1, 0), t = x1c, t't = 42/9, c = t'y / t't = 1 / (42/9)
 * = 3/14, loading (1, 0): coef = (3/14, 0) (sklearn: 0.2142857142857143, 0).
 * A second component would have a zero X residual: sklearn fails ("A has a
 * NaN entry"); we stop at one. */
static void test_pls_constant_column(void **state)
{
    (void)state;
    const double X[6] = {1, 7, 2, 7, 4, 7}, Y[3] = {1, 3, 2};
    ph_pls m;
    char why[128];
    assert_int_equal(ph_pls_fit(&m, X, Y, 3, 2, 1, 2, 1e-6, 500, why, sizeof why), 0);
    assert_int_equal(m.used, 1);
    assert_close(m.coef[0], 3.0 / 14.0, 1e-12);
    assert_close(m.coef[1], 0.0, 1e-12);
    for (int i = 0; i < 2; i++) assert_false(isnan(m.coef[i]));
    ph_pls_free(&m);
    /* a constant Y: nothing to fit, prediction is the mean */
    const double Yc[3] = {4, 4, 4};
    assert_int_equal(ph_pls_fit(&m, X, Yc, 3, 2, 1, 2, 1e-6, 500, why, sizeof why), 0);
    assert_int_equal(m.used, 0);
    double y;
    ph_pls_predict(&m, X, 1, &y);
    assert_close(y, 4.0, 0);
    ph_pls_free(&m);
    assert_int_equal(ph_pls_fit(&m, X, Y, 1, 2, 1, 2, 1e-6, 500, why, sizeof why), -1);
    assert_non_null(strstr(why, "at least 2 samples"));
}

/* sklearn's coef_.T (p x q, row-major) for A = 1, 2, 3 and predict(X[:1]). */
static void test_pls_against_sklearn(void **state)
{
    (void)state;
    static const double coef[3][12] = {
        {0.11290538670155148, 0.1153499643907074, -0.10788265439080685, 0.3562973561728885, 0.36401174955172555,
         -0.34044703852761127, 0.1372499604664629, 0.14022163614107655, -0.1311442304280408, -0.34316217934240895,
         -0.35059217565959133, 0.32789619588171925},
        {-0.16006114265102434, 0.16344116703437453, -0.12657301753731706, 0.7493947535579042, 0.2947559084008754,
         -0.3135311630666165, 0.12706280251773971, 0.14201640811710264, -0.1318417580038359, -0.1600110596113228,
         -0.3828597127612757, 0.3404367844534503},
        {-0.16988560375685638, 0.14927108302883127, -0.1307464355547955, 0.80926318778009, 0.38110575833871113,
         -0.2880991317959362, 0.37581292330064087, 0.5007953853976223, -0.02617303737456302, -0.06919950197902766,
         -0.2518797652138273, 0.37901341341408895}};
    static const double pred[3][3] = {{0.7426188141382386, 0.18212415589608505, 0.1615014455229294},
                                      {1.083612192125176, 0.12204799315256805, 0.18484969294449888},
                                      {0.9888563768595491, -0.01462086306902964, 0.14459754858457238}};
    for (int A = 1; A <= 3; A++) {
        ph_pls m;
        char why[128];
        assert_int_equal(ph_pls_fit(&m, X8, Y8, 8, 4, 3, A, 1e-4, 500, why, sizeof why), 0);
        assert_int_equal(m.used, A);
        double worst = 0, y[3];
        for (int i = 0; i < 12; i++) worst = fmax(worst, fabs(m.coef[i] - coef[A - 1][i]));
        ph_pls_predict(&m, X8, 1, y);
        for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(y[k] - pred[A - 1][k]));
        print_message("# PLS %d components vs sklearn: max difference %.3g\n", A, worst);
        assert_true(worst < 1e-9);
        ph_pls_free(&m);
    }
}

/* Ridge, one feature: x = (0,1,2,3), y = (1,3,2,5): Sxx = 5, Sxy = 5.5, so
 * w(alpha) = 5.5 / (5 + alpha): 0.55 at alpha 5, intercept 2.75 - 0.55 * 1.5
 * = 1.925 (sklearn Ridge(alpha=5): 0.55, 1.9249999999999998). */
static void test_ridge_hand(void **state)
{
    (void)state;
    const double X[4] = {0, 1, 2, 3}, Y[4] = {1, 3, 2, 5}, alphas[2] = {0, 5};
    ph_ridge_stats s;
    ph_ridge_stats_init(&s, 1, 1);
    ph_ridge_stats_add_rows(&s, X, Y, 4);
    ph_ridge fit[2];
    ph_ridge_fit_stats(&s, alphas, 2, fit);
    assert_close(fit[0].w[0], 1.1, 1e-12);
    assert_close(fit[1].w[0], 0.55, 1e-12);
    double x = 0, y;
    ph_ridge_predict(&fit[1], &x, 1, &y);
    assert_close(y, 1.925, 1e-12);
    for (int i = 0; i < 2; i++) ph_ridge_free(&fit[i]);
    ph_ridge_stats_free(&s);
}

/* Against sklearn Ridge(alpha=0.7) on X8, Y8, and with a constant fifth
 * column (its weights are exactly 0 in sklearn, the rest unchanged). */
static void test_ridge_against_sklearn(void **state)
{
    (void)state;
    static const double coef[12] = {0.04177611166675951, 0.1401064319990253, -0.02612292829595824, 0.8166322081243782,
                                    0.3156579891234177, -0.18980883577125252, 0.2934563671165706, 0.4139903041515541,
                                    -0.01849970388294942, 0.0941024491210638, -0.25555430711417393, 0.4484637411172188};
    static const double icpt[3] = {0.32481340718654683, -0.06574888357385957, 0.2501320455896888};
    const double alpha = 0.7;
    double X5[8 * 5];
    for (int i = 0; i < 8; i++) {
        memcpy(X5 + i * 5, X8 + i * 4, 4 * sizeof *X5);
        X5[i * 5 + 4] = 4.0;
    }
    for (int pass = 0; pass < 2; pass++) {
        const int p = pass ? 5 : 4;
        ph_ridge_stats s;
        ph_ridge_stats_init(&s, p, 3);
        /* two groups of rows summed: the statistics are additive */
        ph_ridge_stats a, b;
        ph_ridge_stats_init(&a, p, 3), ph_ridge_stats_init(&b, p, 3);
        ph_ridge_stats_add_rows(&a, pass ? X5 : X8, Y8, 3);
        ph_ridge_stats_add_rows(&b, (pass ? X5 : X8) + 3 * p, Y8 + 9, 5);
        ph_ridge_stats_add(&s, &a), ph_ridge_stats_add(&s, &b);
        ph_ridge m;
        ph_ridge_fit_stats(&s, &alpha, 1, &m);
        double worst = 0, zero[3], y[3];
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(m.w[j * 3 + k] - coef[j * 3 + k]));
        double x0[5] = {0, 0, 0, 0, 4.0};
        ph_ridge_predict(&m, x0, 1, zero);
        for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(zero[k] - icpt[k]));
        if (pass)
            for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(m.w[4 * 3 + k]));
        ph_ridge_predict(&m, pass ? X5 : X8, 1, y);
        print_message("# ridge (alpha 0.7%s) vs sklearn: max difference %.3g\n", pass ? ", constant column" : "", worst);
        assert_true(worst < 1e-10);
        ph_ridge_free(&m);
        ph_ridge_stats_free(&s), ph_ridge_stats_free(&a), ph_ridge_stats_free(&b);
    }
}

/* Penalty selection over groups: exact linear data prefers the smallest
 * penalty; targets unrelated to the features prefer the largest; a constant
 * target ties every penalty (zero error up to rounding) and the first
 * (smallest) wins. */
static void test_ridge_select(void **state)
{
    (void)state;
    enum { G = 6, R = 5, P = 3 };
    double X[G][R * P], Ylin[G][R], Ynoise[G][R], Yconst[G][R];
    for (int g = 0; g < G; g++)
        for (int r = 0; r < R; r++) {
            double *x = X[g] + r * P;
            for (int j = 0; j < P; j++) x[j] = sin(1.0 + 0.37 * (g * R + r) * (j + 1) + j);
            Ylin[g][r] = 1.5 * x[0] - 2.0 * x[1] + 0.5 * x[2] + 3;
            Ynoise[g][r] = cos(7.1 * (g * R + r) * (g * R + r) + 0.3);
            Yconst[g][r] = 2.5;
        }
    const double alphas[4] = {1e-6, 1e-1, 1e1, 1e5};
    double *Ys[3][G];
    for (int g = 0; g < G; g++) Ys[0][g] = Ylin[g], Ys[1][g] = Ynoise[g], Ys[2][g] = Yconst[g];
    const int want[3] = {0, 3, 0};
    for (int c = 0; c < 3; c++) {
        ph_ridge_stats st[G];
        const double *xs[G], *ys[G];
        int rows[G];
        for (int g = 0; g < G; g++) {
            ph_ridge_stats_init(&st[g], P, 1);
            ph_ridge_stats_add_rows(&st[g], X[g], Ys[c][g], R);
            xs[g] = X[g], ys[g] = Ys[c][g], rows[g] = R;
        }
        double err[4];
        int best = ph_ridge_select(st, xs, ys, rows, G, 3, alphas, 4, err);
        print_message("# case %d: inner-CV errors %.3g %.3g %.3g %.3g -> alpha %g\n", c, err[0], err[1], err[2], err[3],
                      alphas[best]);
        assert_int_equal(best, want[c]);
        if (c == 2)
            for (int a = 0; a < 4; a++) assert_close(err[a], 0.0, 1e-20);
        for (int g = 0; g < G; g++) ph_ridge_stats_free(&st[g]);
    }
}

/* Bilinear up (TF half-pixel rule): [[0,1],[2,3]] to 4x4 gives rows
 * (0, .25, .75, 1) + 2 * (0, .25, .75, 1) as row weights: row y uses src
 * (y + .5) / 2 - .5 clamped to 0: 0, .25, .75, 1 -> rows 0, +0.5, +1.5, +2. */
static void test_grid_bilinear_hand(void **state)
{
    (void)state;
    const float in[4] = {0, 1, 2, 3};
    float out[16];
    ph_grid_resample(in, 1, 2, 2, 4, out);
    const float col[4] = {0, 0.25f, 0.75f, 1}, rowadd[4] = {0, 0.5f, 1.5f, 2};
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) assert_close(out[y * 4 + x], col[x] + rowadd[y], 1e-6);
    /* the same size is the identity */
    float same[4];
    ph_grid_resample(in, 1, 2, 2, 2, same);
    assert_memory_equal(same, in, sizeof in);
}

/* Average pooling into int(i * size / G) bins, channels last, against a
 * direct loop over the bins: 7 x 5 maps of 3 channels onto a 3 x 3 grid
 * (rows 7 > 3: bins [0,2) [2,4) [4,7); columns 5 > 3: [0,1) [1,3) [3,5)), and
 * a mixed case (rows pooled, columns up-sampled). */
static void test_grid_pool_direct(void **state)
{
    (void)state;
    enum { C = 3, H = 7, W = 5, G = 3 };
    float act[C * H * W], out[G * G * C];
    for (int i = 0; i < C * H * W; i++) act[i] = (float)((i * 7919) % 97) / 13.0f;
    ph_grid_resample(act, C, H, W, G, out);
    const int rb[G + 1] = {0, 2, 4, 7}, cb[G + 1] = {0, 1, 3, 5};
    for (int c = 0; c < C; c++)
        for (int gy = 0; gy < G; gy++)
            for (int gx = 0; gx < G; gx++) {
                double s = 0;
                int n = 0;
                for (int y = rb[gy]; y < rb[gy + 1]; y++)
                    for (int x = cb[gx]; x < cb[gx + 1]; x++) s += act[(c * H + y) * W + x], n++;
                assert_close(out[(gy * G + gx) * C + c], s / n, 1e-5);
            }
    /* rows 4 -> 2 pooled ([0,2) [2,4)), columns 1 -> 2 up (a single column: copies) */
    const float m[4] = {1, 2, 3, 5};
    float o2[4];
    ph_grid_resample(m, 1, 4, 1, 2, o2);
    assert_close(o2[0], 1.5, 1e-6);
    assert_close(o2[1], 1.5, 1e-6);
    assert_close(o2[2], 4.0, 1e-6);
    assert_close(o2[3], 4.0, 1e-6);
}

/* The notes' reduction of layers wider than 600 channels: groups of 3 (or 4)
 * adjacent channels averaged; in place over cells. */
static void test_grid_channel_groups(void **state)
{
    (void)state;
    assert_int_equal(ph_grid_channel_group(600), 1);
    assert_int_equal(ph_grid_channel_group(603), 3);
    assert_int_equal(ph_grid_channel_group(604), 4);
    assert_int_equal(ph_grid_channel_group(612), 3); /* a multiple of both: 3 */
    assert_int_equal(ph_grid_channel_group(601), 0);
    float x[2 * 6] = {1, 2, 3, 4, 5, 9, 0, 0, 3, 6, 6, 6};
    ph_grid_group_channels(x, 2, 6, 3, x);
    const float want[4] = {2, 6, 1, 6};
    for (int i = 0; i < 4; i++) assert_close(x[i], want[i], 1e-6);
}

static void test_grid_minmax(void **state)
{
    (void)state;
    float v[5] = {3, -1, 7, 1, 7};
    ph_grid_minmax(v, 5);
    const float want[5] = {0.5f, 0, 1, 0.25f, 1};
    for (int i = 0; i < 5; i++) assert_close(v[i], want[i], 1e-7);
    float c[3] = {2, 2, 2};
    ph_grid_minmax(c, 3);
    for (int i = 0; i < 3; i++) assert_close(c[i], 0.0, 0);
}

/* Pearson: a hand case r = 0.8 (x = 1..5, y = (2,1,4,3,5): Sxy = 8, Sxx =
 * Syy = 10), constant input NaN; median with ties and NaN left out. */
static void test_stats(void **state)
{
    (void)state;
    const double x[5] = {1, 2, 3, 4, 5}, y[5] = {2, 1, 4, 3, 5}, k[5] = {3, 3, 3, 3, 3};
    assert_close(ph_pearson(x, 1, y, 1, 5), 0.8, 1e-15);
    assert_true(isnan(ph_pearson(x, 1, k, 1, 5)));
    double v[6] = {0.5, NAN, 0.2, 0.5, 0.9, NAN};
    size_t left = 0;
    assert_close(ph_median_finite(v, 6, &left), 0.5, 0); /* 0.2 0.5 0.5 0.9 -> (0.5 + 0.5) / 2 */
    assert_int_equal(left, 2);
    double none[2] = {NAN, NAN};
    assert_true(isnan(ph_median_finite(none, 2, &left)));
    /* the max-pair ceiling: sites 0 and 2 identical up to scale (r = 1), site 1
     * constant (undefined pairs left out), site 3 = -site 0 */
    float maps[4 * 4];
    for (int c = 0; c < 4; c++) {
        maps[c * 4 + 0] = (float)c, maps[c * 4 + 1] = 1, maps[c * 4 + 2] = 2.0f * c, maps[c * 4 + 3] = -(float)c;
    }
    assert_close(ph_ceiling_max_pair(maps, 4, 4), 1.0, 1e-12);
    float two[4 * 2];
    for (int c = 0; c < 4; c++) two[c * 2] = (float)c, two[c * 2 + 1] = 1;
    assert_true(isnan(ph_ceiling_max_pair(two, 4, 2))); /* only the pair (site, constant) */
    /* split-half: r = 0.8 -> 2 * 0.8 / 1.8 */
    const float a[5] = {1, 2, 3, 4, 5}, b[5] = {2, 1, 4, 3, 5};
    assert_close(ph_split_half(a, 1, b, 1, 5), 1.6 / 1.8, 1e-7);
}

/* The synthetic sites: the same image gives the same bytes; the repeats
 * differ only by noise (noise 0: identical); a site answers its preferred
 * class more strongly, where the map is. */
static void test_sites(void **state)
{
    (void)state;
    enum { S = 12, G = 4, K = 4 };
    float map[S * S] = {0};
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) map[y * S + x] = 1; /* the part: top-left */
    ph_sites_params sp = {K, G, 2, 2, 0.0, 0.0, 9};
    float a[2 * G * G * K], b[2 * G * G * K];
    ph_sites_image(&sp, map, S, S, 0, 17, a);
    ph_sites_image(&sp, map, S, S, 0, 17, b);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(a, a + G * G * K, sizeof a / 2); /* no noise: repeats equal */
    ph_site_tuning t0;
    ph_sites_tuning(&sp, 0, &t0);
    assert_int_equal(t0.pref, 0);
    assert_true(a[0] > a[(G * G - 1) * K]); /* site 0 at the part vs far away */
    assert_close(a[0], t0.gain, 1e-6); /* cell (0,0) pools the 3x3 bin of the part: 1 */
    float c[2 * G * G * K];
    ph_sites_image(&sp, map, S, S, 1, 17, c); /* another label: site 0 answers weakly */
    assert_close(c[0], t0.gain * t0.other, 1e-6);
    sp.noise = 0.5;
    ph_sites_image(&sp, map, S, S, 0, 17, a);
    assert_true(memcmp(a, a + G * G * K, sizeof a / 2) != 0);
}

/* N-D .npy: a [2, 3, 2] float32 file written here, and a malformed one. */
static void test_npy_nd(void **state)
{
    (void)state;
    char path[] = "/tmp/phasor-npy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    char hdr[118];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 2), }";
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, dict, strlen(dict));
    hdr[sizeof hdr - 1] = '\n';
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof hdr, 0};
    fwrite(pre, 1, 10, f), fwrite(hdr, 1, sizeof hdr, f);
    float v[12];
    for (int i = 0; i < 12; i++) v[i] = (float)i * 0.5f;
    fwrite(v, 4, 12, f);
    fclose(f);
    float *out = NULL;
    int nd = 0;
    int64_t dims[PH_NPY_MAX_DIMS];
    char why[256];
    assert_int_equal(ph_npy_read_nd(path, &out, &nd, dims, why, sizeof why), 0);
    assert_int_equal(nd, 3);
    assert_int_equal(dims[0], 2), assert_int_equal(dims[1], 3), assert_int_equal(dims[2], 2);
    assert_memory_equal(out, v, sizeof v);
    free(out);
    /* cut the data short */
    assert_int_equal(truncate(path, 10 + sizeof hdr + 20), 0);
    assert_int_equal(ph_npy_read_nd(path, &out, &nd, dims, why, sizeof why), -1);
    assert_non_null(strstr(why, "truncated"));
    unlink(path);
}

/* One step of the linear probe by hand: d = 1, x = (0, 2), y = (0, 1), no
 * dropout.  Batch norm: mean 1, biased variance 1, so h = (-1, 1) / sqrt(1 +
 * 1e-6); running mean 0.1 * 1 = 0.1, running variance 0.9 + 0.1 * 2 = 1.1
 * (unbiased 2 / 1).  z_i = w h_i + b; dz_i = sigmoid(z_i) - y_i; gw = mean of
 * dz_i h_i, gb = mean of dz_i.  AdamW's first step: p *= 1 - lr wd, then
 * p -= lr g / (|g| + 1e-8) (bias-corrected moments are g and g^2). */
static void test_linear_probe_step_hand(void **state)
{
    (void)state;
    ph_linear_probe p;
    ph_linear_probe_init(&p, 1, 1, 0.1, 0.5, 0.0, 3);
    const double w0 = p.w[0], b0 = p.b[0], h = 1 / sqrt(1 + 1e-6);
    assert_true(fabs(w0) <= 1 && fabs(b0) <= 1); /* U(-1/sqrt(1), 1/sqrt(1)) */
    const float x[2] = {0, 2};
    const int32_t y[2] = {0, 1};
    const int64_t ids[2] = {0, 1};
    const double z0 = -w0 * h + b0, z1 = w0 * h + b0;
    const double d0 = 1 / (1 + exp(-z0)), d1 = 1 / (1 + exp(-z1)) - 1;
    const double gw = (d0 * -h + d1 * h) / 2, gb = (d0 + d1) / 2;
    const double loss = (log1p(exp(z0)) + log1p(exp(-z1))) / 2;
    assert_close(ph_linear_probe_step(&p, x, y, ids, 2, 0), loss, 1e-12);
    assert_close(p.w[0], w0 * 0.95 - 0.1 * gw / (fabs(gw) + 1e-8), 1e-12);
    assert_close(p.b[0], b0 * 0.95 - 0.1 * gb / (fabs(gb) + 1e-8), 1e-12);
    assert_close(p.run_mean[0], 0.1, 1e-15);
    assert_close(p.run_var[0], 1.1, 1e-15);
    /* evaluation uses the running statistics */
    double z;
    const float x1 = 1;
    ph_linear_probe_logits(&p, &x1, 1, &z);
    assert_close(z, p.b[0] + p.w[0] * (1 - 0.1) / sqrt(1.1 + 1e-6), 1e-12);
    ph_linear_probe_free(&p);
}

/* Three separable classes (one-hot-like features plus a shift): softmax
 * cross-entropy with dropout learns them; with labels that ignore the
 * features it stays near chance. */
static void test_linear_probe_learns(void **state)
{
    (void)state;
    enum { N = 60, D = 4 };
    float x[N * D];
    int32_t y[N], ybad[N];
    int64_t ids[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % 3, ybad[i] = (i / 3) % 3, ids[i] = i;
        for (int j = 0; j < D; j++) x[i * D + j] = (float)((j == y[i] ? 1.0 : 0.0) + 0.2 * sin(i * 1.7 + j));
    }
    double acc[2];
    for (int c = 0; c < 2; c++) {
        ph_linear_probe p;
        ph_linear_probe_init(&p, D, 3, 0.05, 1e-4, 0.3, 5);
        for (int e = 0; e < 30; e++)
            for (int b = 0; b + 10 <= N; b += 10) ph_linear_probe_step(&p, x + b * D, (c ? ybad : y) + b, ids + b, 10, e);
        acc[c] = ph_linear_probe_accuracy(&p, x, c ? ybad : y, N);
        ph_linear_probe_free(&p);
    }
    print_message("# linear probe accuracy: separable %.3f, labels unrelated to features %.3f\n", acc[0], acc[1]);
    assert_true(acc[0] == 1.0);
    assert_true(acc[1] < 0.7);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pls_hand_line),       cmocka_unit_test(test_pls_constant_column),
        cmocka_unit_test(test_pls_against_sklearn), cmocka_unit_test(test_ridge_hand),
        cmocka_unit_test(test_ridge_against_sklearn), cmocka_unit_test(test_ridge_select),
        cmocka_unit_test(test_grid_bilinear_hand),  cmocka_unit_test(test_grid_pool_direct),
        cmocka_unit_test(test_grid_channel_groups), cmocka_unit_test(test_grid_minmax),         cmocka_unit_test(test_stats),
        cmocka_unit_test(test_sites),               cmocka_unit_test(test_npy_nd),
        cmocka_unit_test(test_linear_probe_step_hand), cmocka_unit_test(test_linear_probe_learns),
    };
    int failed = cmocka_run_group_tests_name("neural", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
