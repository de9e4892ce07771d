/* test_powerlaw.c: saturating power-law fits, their bootstrap, the monotonicity
 * test and the projection (common/stats/powerlaw.h).
 *
 * Exact laws must be recovered to 1e-9 of each parameter: the fit stops at a
 * relative step of 1e-12, and rounding (errors near 0.1 carry about 1e-17)
 * moves the parameters of these laws by 1e-14 at most, so the bound holds on
 * any machine whatever its libm rounds.  Noisy laws are checked against what the noise allows: the
 * true values inside the 95% bootstrap intervals, and the fitted exponent within
 * four standard errors computed from the Fisher information of the design at
 * the true values (sigma^2 (J^T J)^-1, J the derivatives of the law). */
#include "core/rng.h"
#include "stats/powerlaw.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const double EXACT_REL = 1e-9;

/* n sizes log-spaced from lo to hi. */
static void log_sizes(double lo, double hi, int n, double *x)
{
    for (int i = 0; i < n; i++) x[i] = lo * pow(hi / lo, (double)i / (n - 1));
}

static void assert_rel(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want))) {
        print_error("%s: got %.12g, want %.12g (relative tolerance %g)\n", what, got, want, rel);
        fail();
    }
}

static void test_exact_recovery(void **state)
{
    (void)state;
    /* (a, b, c): shallow and steep exponents, a pure power law (c = 0), large amplitudes. */
    static const double laws[][3] = {{2.0, 0.5, 0.1}, {5.0, 0.3, 0.0}, {0.8, 1.2, 0.05}, {50.0, 0.7, 0.02},
                                     {0.3, 0.08, 0.2}};
    enum { N = 9 };
    double x[N], y[N];
    log_sizes(100, 1e6, N, x);
    for (size_t l = 0; l < sizeof laws / sizeof laws[0]; l++) {
        const double a = laws[l][0], b = laws[l][1], c = laws[l][2];
        for (int i = 0; i < N; i++) y[i] = a * pow(x[i], -b) + c;
        const ph_powerlaw_data d = {1, N, x, y, NULL};
        ph_powerlaw m;
        if (ph_powerlaw_fit(&m, &d, NULL)) {
            print_error("law %zu: %s\n", l, m.why);
            fail();
        }
        printf("# exact a=%g b=%g c=%g: fitted a=%.10g b=%.10g c=%.3g (%d iterations; relative errors %.1e %.1e)\n",
               a, b, c, m.a[0], m.b[0], m.c, m.iterations, fabs(m.a[0] / a - 1), fabs(m.b[0] / b - 1));
        assert_rel(m.a[0], a, EXACT_REL, "a");
        assert_rel(m.b[0], b, EXACT_REL, "b");
        /* c relative to itself, or for c = 0 to the smallest error term the data show */
        assert_true(fabs(m.c - c) <= EXACT_REL * fmax(c, a * pow(x[N - 1], -b)));
        assert_true(m.rss < 1e-20);
    }
}

/* A weighted fit of an exact law is the same law, whatever the weights. */
static void test_weighted_exact(void **state)
{
    (void)state;
    enum { N = 7 };
    double x[N], y[N], w[N];
    log_sizes(1e3, 1e6, N, x);
    for (int i = 0; i < N; i++) y[i] = 1.5 * pow(x[i], -0.4) + 0.03, w[i] = 1.0 + i * i;
    const ph_powerlaw_data d = {1, N, x, y, w};
    ph_powerlaw m;
    assert_int_equal(ph_powerlaw_fit(&m, &d, NULL), 0);
    assert_rel(m.a[0], 1.5, EXACT_REL, "a");
    assert_rel(m.b[0], 0.4, EXACT_REL, "b");
    assert_rel(m.c, 0.03, EXACT_REL, "c");
}

/* Standard normal from two uniforms (Box-Muller). */
static double normal(ph_rng *r)
{
    const double u = 1.0 - ph_rng_uniform(r), v = ph_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* The standard error of b for a law (a, b, c) on sizes x [n] with noise sigma:
 * sqrt of the (b, b) entry of sigma^2 (J^T J)^-1, J = d law / d (a, b, c). */
static double se_b(double a, double b, const double *x, int n, double sigma)
{
    double F[3][3] = {{0}};
    for (int i = 0; i < n; i++) {
        const double t = pow(x[i], -b), g[3] = {t, -a * t * log(x[i]), 1.0};
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++) F[p][q] += g[p] * g[q];
    }
    /* (F^-1)[1][1] = cofactor(1,1) / det */
    const double det = F[0][0] * (F[1][1] * F[2][2] - F[1][2] * F[2][1]) -
                       F[0][1] * (F[1][0] * F[2][2] - F[1][2] * F[2][0]) +
                       F[0][2] * (F[1][0] * F[2][1] - F[1][1] * F[2][0]);
    return sigma * sqrt((F[0][0] * F[2][2] - F[0][2] * F[2][0]) / det);
}

static int inside(const ph_interval *iv, double v) { return iv->lo <= v && v <= iv->hi; }

/* Several seeds per size with Gaussian noise: seeds are resampled within sizes. */
static void test_noisy_seeds(void **state)
{
    (void)state;
    enum { S = 8, SEEDS = 5, N = S * SEEDS, REPS = 400 };
    const double a = 2.0, b = 0.4, c = 0.05, sigma = 0.004;
    double sizes[S], x[N], y[N];
    log_sizes(100, 1e5, S, sizes);
    ph_rng r;
    ph_rng_init(&r, 1, PH_STREAM_CONTENT, 0, 0);
    for (int s = 0, i = 0; s < S; s++)
        for (int q = 0; q < SEEDS; q++, i++) x[i] = sizes[s], y[i] = a * pow(sizes[s], -b) + c + sigma * normal(&r);
    const ph_powerlaw_data d = {1, N, x, y, NULL};
    const ph_powerlaw_boot_options bo = {.reps = REPS, .level = 0.95, .seed = 3, .sub = 1, .target = NAN, .axis = 0};
    ph_powerlaw_boot bt;
    ph_powerlaw_boot_init(&bt);
    assert_int_equal(ph_powerlaw_bootstrap(&bt, &d, NULL, &bo), 0);
    const double tol = 4 * se_b(a, b, x, N, sigma);
    printf("# noisy (a=%g b=%g c=%g, sigma %g, %d sizes x %d seeds): a=%.4f [%.4f, %.4f] b=%.4f [%.4f, %.4f] "
           "c=%.4f [%.4f, %.4f]; |b - %g| = %.4f, allowed %.4f; %d of %d replicates fitted\n",
           a, b, c, sigma, S, SEEDS, bt.a[0].value, bt.a[0].lo, bt.a[0].hi, bt.b[0].value, bt.b[0].lo, bt.b[0].hi,
           bt.c.value, bt.c.lo, bt.c.hi, b, fabs(bt.b[0].value - b), tol, bt.fitted, bt.reps);
    assert_true(bt.by_seeds);
    assert_int_equal(bt.reps, REPS);
    assert_true(bt.fitted >= REPS * 99 / 100);
    assert_true(inside(&bt.a[0], a));
    assert_true(inside(&bt.b[0], b));
    assert_true(inside(&bt.c, c));
    assert_true(fabs(bt.b[0].value - b) <= tol);
    /* The error falls with size, and clearly: every replicate's slope is negative. */
    assert_true(bt.spearman[0].value < -0.9 && bt.spearman[0].hi < 0);
    assert_true(bt.p_decrease[0] == 1.0);
    /* Per-size means with intervals around them. */
    assert_int_equal(bt.ncells, S);
    for (int s = 0; s < S; s++) {
        assert_int_equal(bt.cell_count[s], SEEDS);
        assert_true(bt.cell_x[s] == sizes[s]);
        assert_true(bt.cell_mean[s].lo <= bt.cell_mean[s].value && bt.cell_mean[s].value <= bt.cell_mean[s].hi);
    }
    /* Deterministic for a seed, and keyed on it. */
    ph_powerlaw_boot again, other;
    ph_powerlaw_boot_init(&again), ph_powerlaw_boot_init(&other);
    assert_int_equal(ph_powerlaw_bootstrap(&again, &d, NULL, &bo), 0);
    assert_true(again.b[0].lo == bt.b[0].lo && again.b[0].hi == bt.b[0].hi && again.c.hi == bt.c.hi);
    ph_powerlaw_boot_options bo2 = bo;
    bo2.seed = 4;
    assert_int_equal(ph_powerlaw_bootstrap(&other, &d, NULL, &bo2), 0);
    assert_true(other.b[0].lo != bt.b[0].lo || other.b[0].hi != bt.b[0].hi);
    assert_true(other.b[0].value == bt.b[0].value);
    ph_powerlaw_boot_free(&bt), ph_powerlaw_boot_free(&again), ph_powerlaw_boot_free(&other);
}

/* One point per size: the points themselves are resampled. */
static void test_noisy_points(void **state)
{
    (void)state;
    enum { N = 12, REPS = 400 };
    const double a = 3.0, b = 0.5, c = 0.08, sigma = 0.002;
    double x[N], y[N];
    log_sizes(100, 1e6, N, x);
    ph_rng r;
    ph_rng_init(&r, 2, PH_STREAM_CONTENT, 0, 0);
    for (int i = 0; i < N; i++) y[i] = a * pow(x[i], -b) + c + sigma * normal(&r);
    const ph_powerlaw_data d = {1, N, x, y, NULL};
    const ph_powerlaw_boot_options bo = {.reps = REPS, .level = 0.95, .seed = 5, .sub = 2, .target = NAN, .axis = 0};
    ph_powerlaw_boot bt;
    ph_powerlaw_boot_init(&bt);
    assert_int_equal(ph_powerlaw_bootstrap(&bt, &d, NULL, &bo), 0);
    const double tol = 4 * se_b(a, b, x, N, sigma);
    printf("# noisy, one point per size (a=%g b=%g c=%g, sigma %g): a=%.4f [%.4f, %.4f] b=%.4f [%.4f, %.4f] "
           "c=%.4f [%.4f, %.4f]; |b - %g| = %.4f, allowed %.4f; %d of %d replicates fitted\n",
           a, b, c, sigma, bt.a[0].value, bt.a[0].lo, bt.a[0].hi, bt.b[0].value, bt.b[0].lo, bt.b[0].hi, bt.c.value,
           bt.c.lo, bt.c.hi, b, fabs(bt.b[0].value - b), tol, bt.fitted, bt.reps);
    assert_false(bt.by_seeds);
    assert_true(bt.fitted >= REPS * 9 / 10);
    assert_true(inside(&bt.a[0], a));
    assert_true(inside(&bt.b[0], b));
    assert_true(inside(&bt.c, c));
    assert_true(fabs(bt.b[0].value - b) <= tol);
    /* no seeds: no per-size intervals */
    assert_true(isnan(bt.cell_mean[0].lo));
    ph_powerlaw_boot_free(&bt);
}

/* error = a_N N^-b_N + a_P P^-b_P + c on a 6 x 5 grid. */
static void test_joint(void **state)
{
    (void)state;
    enum { GN = 6, GP = 5, N = GN * GP };
    const double aN = 3.0, bN = 0.35, aP = 30.0, bP = 0.6, c = 0.04;
    double ns[GN], ps[GP], x[2 * N], y[N];
    log_sizes(1e3, 1e6, GN, ns);
    log_sizes(1e4, 1e7, GP, ps);
    for (int i = 0; i < GN; i++)
        for (int j = 0; j < GP; j++) {
            const int q = i * GP + j;
            x[2 * q] = ns[i], x[2 * q + 1] = ps[j];
            y[q] = aN * pow(ns[i], -bN) + aP * pow(ps[j], -bP) + c;
        }
    const ph_powerlaw_data d = {2, N, x, y, NULL};
    ph_powerlaw m;
    if (ph_powerlaw_fit(&m, &d, NULL)) {
        print_error("%s\n", m.why);
        fail();
    }
    printf("# joint (a_N=%g b_N=%g a_P=%g b_P=%g c=%g): a_N=%.10g b_N=%.10g a_P=%.10g b_P=%.10g c=%.10g\n", aN, bN,
           aP, bP, c, m.a[0], m.b[0], m.a[1], m.b[1], m.c);
    assert_rel(m.a[0], aN, EXACT_REL, "a_N");
    assert_rel(m.b[0], bN, EXACT_REL, "b_N");
    assert_rel(m.a[1], aP, EXACT_REL, "a_P");
    assert_rel(m.b[1], bP, EXACT_REL, "b_P");
    assert_rel(m.c, c, EXACT_REL, "c");
    /* The data needed at P = 1e7 for error 0.045: a_N N^-b_N = 0.045 - c - a_P 1e7^-b_P. */
    const double at[2] = {0, 1e7}, target = 0.045;
    const double want = pow(aN / (target - c - aP * pow(1e7, -bP)), 1 / bN);
    assert_rel(ph_powerlaw_solve(&m, target, 0, at), want, 1e-8, "joint projection");
    /* A target under the floor at that P cannot be reached by data. */
    assert_true(isinf(ph_powerlaw_solve(&m, c + 0.5 * aP * pow(1e7, -bP), 0, at)));
    /* The bootstrap of a grid with one point per cell resamples points; both variables fall. */
    const ph_powerlaw_boot_options bo = {.reps = 50, .level = 0.95, .seed = 1, .sub = 3, .target = target,
                                         .axis = 0, .at = {0, 1e7}};
    ph_powerlaw_boot bt;
    ph_powerlaw_boot_init(&bt);
    assert_int_equal(ph_powerlaw_bootstrap(&bt, &d, NULL, &bo), 0);
    assert_int_equal(bt.ncells, N);
    assert_true(bt.spearman[0].value == -1.0 && bt.spearman[1].value == -1.0);
    assert_true(bt.p_decrease[0] == 1.0 && bt.p_decrease[1] == 1.0);
    assert_rel(bt.needed.value, want, 1e-8, "joint projection (bootstrap)");
    ph_powerlaw_boot_free(&bt);
}

/* The projection of an exact law is the analytic N = (a / (E - c))^(1/b). */
static void test_projection(void **state)
{
    (void)state;
    const ph_powerlaw law = {.k = 1, .a = {2.0}, .b = {0.5}, .c = 0.1};
    const double at[1] = {0};
    assert_rel(ph_powerlaw_solve(&law, 0.11, 0, at), 40000.0, 1e-12, "solve 0.11");
    assert_rel(ph_powerlaw_solve(&law, 0.3, 0, at), 100.0, 1e-12, "solve 0.3");
    assert_true(isinf(ph_powerlaw_solve(&law, 0.1, 0, at)) && ph_powerlaw_solve(&law, 0.1, 0, at) > 0);
    assert_true(isinf(ph_powerlaw_solve(&law, 0.05, 0, at)));
    assert_true(isnan(ph_powerlaw_solve(&law, NAN, 0, at)));

    /* Fitted from exact points, with the bootstrap: every replicate agrees. */
    enum { S = 6, SEEDS = 3, N = S * SEEDS };
    double sizes[S], x[N], y[N];
    log_sizes(100, 1e4, S, sizes);
    for (int s = 0, i = 0; s < S; s++)
        for (int q = 0; q < SEEDS; q++, i++) x[i] = sizes[s], y[i] = ph_powerlaw_eval(&law, &sizes[s]);
    const ph_powerlaw_data d = {1, N, x, y, NULL};
    ph_powerlaw_boot_options bo = {.reps = 20, .level = 0.95, .seed = 1, .sub = 4, .target = 0.11, .axis = 0};
    ph_powerlaw_boot bt;
    ph_powerlaw_boot_init(&bt);
    assert_int_equal(ph_powerlaw_bootstrap(&bt, &d, NULL, &bo), 0);
    printf("# projection of a=2 b=0.5 c=0.1 to error 0.11: %.8g [%.8g, %.8g] (analytic 40000)\n", bt.needed.value,
           bt.needed.lo, bt.needed.hi);
    assert_rel(bt.needed.value, 40000.0, 1e-8, "fitted projection");
    assert_rel(bt.needed.lo, 40000.0, 1e-8, "fitted projection, lower bound");
    assert_rel(bt.needed.hi, 40000.0, 1e-8, "fitted projection, upper bound");
    assert_true(bt.p_reachable == 1.0);
    assert_int_equal(bt.fitted, 20);
    /* Under the floor: not reachable in any replicate. */
    bo.target = 0.09;
    assert_int_equal(ph_powerlaw_bootstrap(&bt, &d, NULL, &bo), 0);
    assert_true(isinf(bt.needed.value) && isinf(bt.needed.lo) && isinf(bt.needed.hi));
    assert_true(bt.p_reachable == 0.0);
    ph_powerlaw_boot_free(&bt);
}

static void expect_failure(const ph_powerlaw_data *d, const ph_powerlaw_options *o, const char *says)
{
    ph_powerlaw m;
    const int st = ph_powerlaw_fit(&m, d, o);
    printf("# refused: %s\n", m.why);
    assert_int_equal(st, -1);
    assert_int_equal(m.status, -1);
    if (!strstr(m.why, says)) {
        print_error("the reason '%s' does not say '%s'\n", m.why, says);
        fail();
    }
    /* The bootstrap reports the same failure without crashing. */
    ph_powerlaw_boot bt;
    ph_powerlaw_boot_init(&bt);
    const ph_powerlaw_boot_options bo = {.reps = 10, .level = 0.95, .target = NAN};
    assert_int_equal(ph_powerlaw_bootstrap(&bt, d, o, &bo), -1);
    assert_string_equal(bt.fit.why, m.why);
    ph_powerlaw_boot_free(&bt);
}

static void test_failures(void **state)
{
    (void)state;
    enum { N = 6 };
    double x[N], y[N];
    log_sizes(100, 1e5, N, x);
    for (int i = 0; i < N; i++) y[i] = 2.0 * pow(x[i], -0.5) + 0.1;
    const ph_powerlaw_data good = {1, N, x, y, NULL};

    /* Convergence failure: one iteration is not enough from the log-log start. */
    ph_powerlaw_options one = ph_powerlaw_options_default();
    one.max_iter = 1;
    expect_failure(&good, &one, "no convergence in 1 trust-region iteration");

    /* An error that rises with size: the law's edge (a or b -> 0), reported. */
    double up[N];
    for (int i = 0; i < N; i++) up[i] = 0.1 + 0.01 * i;
    const ph_powerlaw_data rising = {1, N, x, up, NULL};
    ph_powerlaw m;
    assert_int_equal(ph_powerlaw_fit(&m, &rising, NULL), -1);
    printf("# rising errors: %s\n", m.why);
    assert_non_null(strstr(m.why, "does not fall with size"));
    /* ... and the monotonicity test says it rises. */
    ph_powerlaw_boot bt;
    ph_powerlaw_boot_init(&bt);
    const ph_powerlaw_boot_options bo = {.reps = 50, .level = 0.95, .seed = 1, .target = 0.05};
    assert_int_equal(ph_powerlaw_bootstrap(&bt, &rising, NULL, &bo), -1);
    assert_true(bt.spearman[0].value == 1.0 && bt.spearman[0].lo > 0);
    assert_true(bt.p_decrease[0] == 0.0);
    assert_int_equal(bt.fitted, 0);
    assert_true(isnan(bt.b[0].value) && isnan(bt.needed.value) && isnan(bt.needed.lo));
    ph_powerlaw_boot_free(&bt);

    /* Degenerate input. */
    double two[N];
    for (int i = 0; i < N; i++) two[i] = i < N / 2 ? 100 : 1000;
    expect_failure(&(ph_powerlaw_data){1, N, two, y, NULL}, NULL, "2 distinct sizes");
    double flat[N];
    for (int i = 0; i < N; i++) flat[i] = 0.2;
    expect_failure(&(ph_powerlaw_data){1, N, x, flat, NULL}, NULL, "every error is the same");
    expect_failure(&(ph_powerlaw_data){1, 2, x, y, NULL}, NULL, "2 points for 3 parameters");
    expect_failure(&(ph_powerlaw_data){3, 2, x, y, NULL}, NULL, "3 size variables");
    double bad[N];
    memcpy(bad, x, sizeof bad);
    bad[2] = 0;
    expect_failure(&(ph_powerlaw_data){1, N, bad, y, NULL}, NULL, "point 3 has size 0");
    memcpy(bad, y, sizeof bad);
    bad[4] = NAN;
    expect_failure(&(ph_powerlaw_data){1, N, x, bad, NULL}, NULL, "point 5 has error nan");
    double w[N];
    for (int i = 0; i < N; i++) w[i] = 1;
    w[1] = -1;
    expect_failure(&(ph_powerlaw_data){1, N, x, y, w}, NULL, "point 2 has weight -1");
    /* A joint fit whose N and P move together cannot separate them. */
    double xy[2 * N];
    for (int i = 0; i < N; i++) xy[2 * i] = x[i], xy[2 * i + 1] = 10 * x[i];
    ph_powerlaw_data joint = {2, N, xy, y, NULL};
    assert_int_equal(ph_powerlaw_fit(&m, &joint, NULL), -1);
    printf("# N and P collinear: %s\n", m.why);
}

static void test_spearman(void **state)
{
    (void)state;
    const double x[5] = {1, 2, 3, 4, 5}, down[5] = {5, 4, 3, 2, 1}, up[5] = {0.1, 0.2, 0.25, 0.9, 1.0};
    assert_true(ph_powerlaw_spearman(x, down, 5) == -1.0);
    assert_true(ph_powerlaw_spearman(x, up, 5) == 1.0);
    /* ties get mid-ranks: ranks of y are 1, 2.5, 2.5, 4, 5 */
    const double tied[5] = {1, 3, 3, 4, 9};
    const double ry[5] = {1, 2.5, 2.5, 4, 5};
    double sxy = 0, syy = 0;
    for (int i = 0; i < 5; i++) sxy += (i + 1 - 3.0) * (ry[i] - 3.0), syy += (ry[i] - 3.0) * (ry[i] - 3.0);
    assert_true(fabs(ph_powerlaw_spearman(x, tied, 5) - sxy / sqrt(10.0 * syy)) < 1e-15);
    const double same[5] = {2, 2, 2, 2, 2};
    assert_true(isnan(ph_powerlaw_spearman(x, same, 5)));
    assert_true(isnan(ph_powerlaw_spearman(x, down, 1)));
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_recovery), cmocka_unit_test(test_weighted_exact),
        cmocka_unit_test(test_noisy_seeds),    cmocka_unit_test(test_noisy_points),
        cmocka_unit_test(test_joint),          cmocka_unit_test(test_projection),
        cmocka_unit_test(test_failures),       cmocka_unit_test(test_spearman),
    };
    return cmocka_run_group_tests_name("powerlaw", tests, NULL, NULL);
}
