/* powerlaw.c: saturating power-law fits, their bootstrap and projection (powerlaw.h). */
#include "powerlaw.h"

#include "core/error.h"
#include "core/rng.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_FLOORS = 5, N_STARTS = N_FLOORS + 1, MIN_SIZES = 3 };

/* Trial floors c0 for the starting values, as fractions of the smallest mean error. */
static const double floor_fraction[N_FLOORS] = {0.0, 0.5, 0.75, 0.9, 0.97};

/* A fitted term that changes the error by less than this fraction of the largest
 * error over the sizes given is flat: the fit ran to the edge of the constraints. */
static const double FLAT_DROP = 1e-7;

/* At a start no step improves, the fit stands if the residual is orthogonal to
 * every Jacobian column within this cosine: no direction lowers the cost beyond
 * rounding. */
static const double STATIONARY_COS = 1e-6;

/* A joint fit refuses points whose log N and log P are correlated beyond this:
 * the two terms then trade off along a ridge of equal fits. */
static const double MAX_COLLINEAR = 0.999;

/* Converged when a step moves every parameter by less than 1e-12 of itself.  GSL's
 * gradient test is off (gtol 0): it bounds the gradient by gtol max(cost, 1), an
 * absolute bound for errors below 1, which stops ill-conditioned fits (a steep law
 * seen mostly through its floor) at 1e-7 of their parameters. */
ph_powerlaw_options ph_powerlaw_options_default(void)
{
    return (ph_powerlaw_options){.max_iter = 500, .xtol = 1e-12, .gtol = 0};
}

/* ---- GSL errors ---------------------------------------------------------------------------- */

/* GSL's default handler aborts the process.  While a fit runs, this one keeps
 * GSL's own reason, which the failing call's message then quotes. */
static char gsl_reason[200];

static void gsl_note(const char *reason, const char *file, int line, int gsl_errno)
{
    (void)gsl_errno;
    const char *base = strrchr(file, '/');
    snprintf(gsl_reason, sizeof gsl_reason, "%s [GSL %s:%d]", reason, base ? base + 1 : file, line);
}

static gsl_error_handler_t *gsl_handler_enter(void)
{
    gsl_reason[0] = 0;
    return gsl_set_error_handler(gsl_note);
}

static void gsl_handler_leave(gsl_error_handler_t *old) { gsl_set_error_handler(old); }

/* m's failure: "WHAT failed: WHY (HINT) [file.c:LINE]", the shape of phasor's error lines. */
static void fit_fail_at(ph_powerlaw *m, const char *file, int line, const char *what, const char *why,
                        const char *hint)
{
    const char *base = strrchr(file, '/');
    m->status = -1;
    snprintf(m->why, sizeof m->why, "%s failed: %s (%s) [%s:%d]", what, why, hint, base ? base + 1 : file, line);
}
#define FIT_FAIL(m, what, why, hint) fit_fail_at((m), __FILE__, __LINE__, (what), (why), (hint))

/* 1 when a GSL call succeeded; otherwise m's failure quotes gsl_strerror and GSL's reason. */
static int gsl_ok_at(ph_powerlaw *m, int status, const char *what, const char *hint, const char *file, int line)
{
    if (status == GSL_SUCCESS) {
        gsl_reason[0] = 0;
        return 1;
    }
    char why[300];
    snprintf(why, sizeof why, "%s%s%s", gsl_strerror(status), gsl_reason[0] ? ": " : "", gsl_reason);
    gsl_reason[0] = 0; /* a later failure must not quote this one's reason */
    fit_fail_at(m, file, line, what, why, hint);
    return 0;
}
#define GSL_OK(m, call, what, hint) gsl_ok_at((m), (call), (what), (hint), __FILE__, __LINE__)

/* ---- the model ----------------------------------------------------------------------------- */

/* Unconstrained parameters theta: per variable j, u_j = log a_j and v_j = log b_j
 * at 2j and 2j + 1; then w = sqrt(c) at 2k. */
static int nparams(int k) { return 2 * k + 1; }

static void theta_to_law(const double *theta, int k, ph_powerlaw *m)
{
    m->k = k;
    for (int j = 0; j < k; j++) m->a[j] = exp(theta[2 * j]), m->b[j] = exp(theta[2 * j + 1]);
    m->c = theta[2 * k] * theta[2 * k];
}

static void law_to_theta(const ph_powerlaw *m, double *theta)
{
    for (int j = 0; j < m->k; j++) theta[2 * j] = log(m->a[j]), theta[2 * j + 1] = log(m->b[j]);
    theta[2 * m->k] = sqrt(m->c);
}

double ph_powerlaw_eval(const ph_powerlaw *m, const double *x)
{
    double e = m->c;
    for (int j = 0; j < m->k; j++) e += m->a[j] * pow(x[j], -m->b[j]);
    return e;
}

/* Residuals f_i = law(x_i) - y_i; GSL applies the weights. */
static int model_f(const gsl_vector *theta, void *params, gsl_vector *f)
{
    const ph_powerlaw_data *d = params;
    const int k = d->k;
    for (int i = 0; i < d->n; i++) {
        double e = gsl_vector_get(theta, 2 * k) * gsl_vector_get(theta, 2 * k);
        for (int j = 0; j < k; j++)
            e += exp(gsl_vector_get(theta, 2 * j) - exp(gsl_vector_get(theta, 2 * j + 1)) * log(d->x[i * k + j]));
        /* An overflowing trial step gives an infinite cost, which the trust region rejects. */
        gsl_vector_set(f, i, e - d->y[i]);
    }
    return GSL_SUCCESS;
}

/* d f_i / d u_j = t_ij, d f_i / d v_j = -t_ij b_j log x_ij, d f_i / d w = 2 w, with t_ij = a_j x_ij^-b_j. */
static int model_df(const gsl_vector *theta, void *params, gsl_matrix *jac)
{
    const ph_powerlaw_data *d = params;
    const int k = d->k;
    for (int i = 0; i < d->n; i++) {
        for (int j = 0; j < k; j++) {
            const double b = exp(gsl_vector_get(theta, 2 * j + 1)), lx = log(d->x[i * k + j]);
            const double t = exp(gsl_vector_get(theta, 2 * j) - b * lx);
            gsl_matrix_set(jac, i, 2 * j, t);
            gsl_matrix_set(jac, i, 2 * j + 1, -t * b * lx);
        }
        gsl_matrix_set(jac, i, 2 * k, 2 * gsl_vector_get(theta, 2 * k));
    }
    return GSL_SUCCESS;
}

static double law_rss(const ph_powerlaw *m, const ph_powerlaw_data *d)
{
    double s = 0;
    for (int i = 0; i < d->n; i++) {
        const double r = ph_powerlaw_eval(m, d->x + (size_t)i * d->k) - d->y[i];
        s += (d->w ? d->w[i] : 1.0) * r * r;
    }
    return s;
}

/* ---- input checks -------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distinct values of variable j of d, sorted, into v (n entries); returns how many. */
static int distinct_values(const ph_powerlaw_data *d, int j, double *v)
{
    for (int i = 0; i < d->n; i++) v[i] = d->x[(size_t)i * d->k + j];
    qsort(v, (size_t)d->n, sizeof *v, cmp_double);
    int m = 0;
    for (int i = 0; i < d->n; i++)
        if (!m || v[i] != v[m - 1]) v[m++] = v[i];
    return m;
}

/* 0 if every point of d is valid (positive sizes, finite errors >= 0, positive
 * weights), else m's failure says why. */
static int data_valid(ph_powerlaw *m, const ph_powerlaw_data *d)
{
    static const char *what = "checking the points of a power-law fit";
    char why[200];
    if (d->k < 1 || d->k > PH_POWERLAW_MAX_K) {
        snprintf(why, sizeof why, "%d size variables (1 or 2 are fitted)", d->k);
        FIT_FAIL(m, what, why, "this is a bug");
        return -1;
    }
    if (d->n < 2) {
        snprintf(why, sizeof why, "%d point%s", d->n, d->n == 1 ? "" : "s");
        FIT_FAIL(m, what, why, "give more sizes");
        return -1;
    }
    for (int i = 0; i < d->n; i++) {
        for (int j = 0; j < d->k; j++)
            if (!(d->x[(size_t)i * d->k + j] > 0) || !isfinite(d->x[(size_t)i * d->k + j])) {
                snprintf(why, sizeof why, "point %d has size %g", i + 1, d->x[(size_t)i * d->k + j]);
                FIT_FAIL(m, what, why, "sizes must be positive and finite");
                return -1;
            }
        if (!isfinite(d->y[i]) || d->y[i] < 0) {
            snprintf(why, sizeof why, "point %d has error %g", i + 1, d->y[i]);
            FIT_FAIL(m, what, why, "errors must be finite and >= 0");
            return -1;
        }
        if (d->w && (!(d->w[i] > 0) || !isfinite(d->w[i]))) {
            snprintf(why, sizeof why, "point %d has weight %g", i + 1, d->w[i]);
            FIT_FAIL(m, what, why, "weights must be positive and finite");
            return -1;
        }
    }
    return 0;
}

/* 0 if the valid points d determine a law, else m's failure says why. */
static int data_check(ph_powerlaw *m, const ph_powerlaw_data *d)
{
    static const char *what = "checking the points of a power-law fit";
    char why[200];
    if (data_valid(m, d)) return -1;
    if (d->n < nparams(d->k)) {
        snprintf(why, sizeof why, "%d points for %d parameters", d->n, nparams(d->k));
        FIT_FAIL(m, what, why, "give more sizes");
        return -1;
    }
    double *v = malloc((size_t)d->n * sizeof *v);
    PH_CHECK_ALLOC(v, "checking power-law points");
    int bad = 0;
    for (int j = 0; j < d->k && !bad; j++) {
        const int nd = distinct_values(d, j, v);
        if (nd < MIN_SIZES) {
            snprintf(why, sizeof why, "%d distinct size%s of variable %d", nd, nd == 1 ? "" : "s", j + 1);
            FIT_FAIL(m, what, why, "a saturating power law needs at least 3 sizes");
            bad = 1;
        }
    }
    free(v);
    if (bad) return -1;
    if (d->k == 2) {
        /* A joint law separates N from P only where they vary apart. */
        double m0 = 0, m1 = 0, s00 = 0, s11 = 0, s01 = 0;
        for (int i = 0; i < d->n; i++) m0 += log(d->x[2 * i]), m1 += log(d->x[2 * i + 1]);
        m0 /= d->n, m1 /= d->n;
        for (int i = 0; i < d->n; i++) {
            const double u = log(d->x[2 * i]) - m0, v = log(d->x[2 * i + 1]) - m1;
            s00 += u * u, s11 += v * v, s01 += u * v;
        }
        if (fabs(s01) > MAX_COLLINEAR * sqrt(s00 * s11)) {
            snprintf(why, sizeof why, "log N and log P are correlated %.4f over the points", s01 / sqrt(s00 * s11));
            FIT_FAIL(m, what, why, "a joint law needs N and P varied apart, e.g. on a grid");
            return -1;
        }
    }
    double lo = d->y[0], hi = d->y[0];
    for (int i = 1; i < d->n; i++) lo = fmin(lo, d->y[i]), hi = fmax(hi, d->y[i]);
    if (lo == hi) {
        FIT_FAIL(m, what, "every error is the same: nothing falls with size", "check the error column");
        return -1;
    }
    return 0;
}

/* ---- starting values ----------------------------------------------------------------------- */

/* Marginal means of the error over the distinct values of variable j:
 * val [m], mean [m]; returns m. */
static int marginal_means(const ph_powerlaw_data *d, int j, double *val, double *mean)
{
    const int m = distinct_values(d, j, val);
    for (int g = 0; g < m; g++) {
        double s = 0;
        int cnt = 0;
        for (int i = 0; i < d->n; i++)
            if (d->x[(size_t)i * d->k + j] == val[g]) s += d->y[i], cnt++;
        mean[g] = s / cnt;
    }
    return m;
}

/* For the exponents of s, its amplitudes and floor by weighted linear least
 * squares of y on [x_1^-b_1, ..., x_k^-b_k, 1], then moved into the
 * constraints; a failure's reason goes to m. */
static int linear_amplitudes(ph_powerlaw *s, ph_powerlaw *m, const ph_powerlaw_data *d, double ymax)
{
    const int k = d->k, p = k + 1;
    gsl_matrix *X = gsl_matrix_alloc((size_t)d->n, (size_t)p), *cov = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_vector *coef = gsl_vector_alloc((size_t)p), *wt = gsl_vector_alloc((size_t)d->n);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)d->n, (size_t)p);
    PH_CHECK_ALLOC(X && cov && coef && wt && ws, "allocating a power-law start");
    for (int i = 0; i < d->n; i++) {
        for (int j = 0; j < k; j++) gsl_matrix_set(X, i, j, pow(d->x[(size_t)i * k + j], -s->b[j]));
        gsl_matrix_set(X, i, k, 1.0);
        gsl_vector_set(wt, i, d->w ? d->w[i] : 1.0);
    }
    gsl_vector_const_view yv = gsl_vector_const_view_array(d->y, (size_t)d->n);
    double chisq;
    const int ok = GSL_OK(m, gsl_multifit_wlinear(X, wt, &yv.vector, coef, cov, &chisq, ws),
                          "the linear fit of a power law's amplitudes", "check the sizes and errors");
    if (ok) {
        /* A negative amplitude or floor is moved to a small positive one; the
         * nonlinear fit takes it from there. */
        for (int j = 0; j < k; j++) s->a[j] = fmax(gsl_vector_get(coef, j), 1e-3 * ymax);
        s->c = fmax(gsl_vector_get(coef, k), 0.0);
    }
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(X), gsl_matrix_free(cov), gsl_vector_free(coef), gsl_vector_free(wt);
    return ok ? 0 : -1;
}

/* Starting laws, best first: for each trial floor c0, each exponent from the
 * log-log line fit of (marginal mean error - c0) against size, then the
 * amplitudes and the floor by linear least squares.  Returns how many (at most
 * N_STARTS). */
static int fit_with_starts(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                           const ph_powerlaw *given);

static int starts_make(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *o, ph_powerlaw *starts)
{
    const int k = d->k;
    double *val = malloc((size_t)d->n * sizeof *val), *mean = malloc((size_t)d->n * sizeof *mean);
    double *lx = malloc((size_t)d->n * sizeof *lx), *ly = malloc((size_t)d->n * sizeof *ly);
    PH_CHECK_ALLOC(val && mean && lx && ly, "allocating power-law starts");
    double ymin = INFINITY, ymax = 0;
    for (int i = 0; i < d->n; i++) ymax = fmax(ymax, d->y[i]);
    for (int j = 0; j < k; j++) {
        const int nv = marginal_means(d, j, val, mean);
        for (int g = 0; g < nv; g++) ymin = fmin(ymin, mean[g]);
    }
    int ns = 0;
    /* k = 2: each variable's marginal means are themselves a saturating power
     * law in it (the other term averages into the floor); their 1-D fits give
     * the exponents, which the log-log lines of the trial floors below only
     * approximate. */
    if (k == 2) {
        ph_powerlaw s = {.k = k};
        int ok = 1;
        for (int j = 0; j < k && ok; j++) {
            const int nv = marginal_means(d, j, val, mean);
            const ph_powerlaw_data dj = {1, nv, val, mean, NULL};
            ph_powerlaw mj;
            ok = !fit_with_starts(&mj, &dj, o, NULL);
            s.b[j] = mj.b[0];
        }
        if (ok && !linear_amplitudes(&s, m, d, ymax)) {
            s.rss = law_rss(&s, d);
            if (isfinite(s.rss)) starts[ns++] = s;
        }
    }
    for (int f = 0; f < N_FLOORS; f++) {
        const double c0 = floor_fraction[f] * ymin;
        ph_powerlaw s = {.k = k};
        int ok = 1;
        for (int j = 0; j < k && ok; j++) {
            const int nv = marginal_means(d, j, val, mean);
            int nl = 0;
            for (int g = 0; g < nv; g++)
                if (mean[g] - c0 > 0) lx[nl] = log(val[g]), ly[nl] = log(mean[g] - c0), nl++;
            double i0, s1, c00, c01, c11, sumsq;
            if (nl < 2) {
                ok = 0;
                break;
            }
            ok = GSL_OK(m, gsl_fit_linear(lx, 1, ly, 1, (size_t)nl, &i0, &s1, &c00, &c01, &c11, &sumsq),
                        "the log-log line fit of a power law's start", "check the sizes and errors");
            /* An error that rises along this variable: start from a shallow
             * fall and let the fit find the edge (which it reports). */
            s.b[j] = -s1 > 0 && isfinite(s1) ? -s1 : 0.1;
        }
        if (!ok || linear_amplitudes(&s, m, d, ymax)) continue;
        s.rss = law_rss(&s, d);
        if (isfinite(s.rss)) starts[ns++] = s;
    }
    free(val), free(mean), free(lx), free(ly);
    /* Best (lowest residual) first; insertion sort of at most N_STARTS. */
    for (int i = 1; i < ns; i++)
        for (int j = i; j > 0 && starts[j].rss < starts[j - 1].rss; j--) {
            const ph_powerlaw t = starts[j];
            starts[j] = starts[j - 1], starts[j - 1] = t;
        }
    return ns;
}

/* ---- the nonlinear fit --------------------------------------------------------------------- */

/* Whether the residual at the workspace's position is orthogonal to every
 * Jacobian column (a stationary point), to STATIONARY_COS. */
static int stationary(const gsl_multifit_nlinear_workspace *w)
{
    const gsl_matrix *J = gsl_multifit_nlinear_jac(w);
    const gsl_vector *f = gsl_multifit_nlinear_residual(w);
    double ff = 0;
    for (size_t i = 0; i < f->size; i++) ff += gsl_vector_get(f, i) * gsl_vector_get(f, i);
    if (ff == 0) return 1;
    for (size_t c = 0; c < J->size2; c++) {
        double dot = 0, cc = 0;
        for (size_t i = 0; i < J->size1; i++)
            dot += gsl_matrix_get(J, i, c) * gsl_vector_get(f, i), cc += gsl_matrix_get(J, i, c) * gsl_matrix_get(J, i, c);
        if (cc > 0 && fabs(dot) > STATIONARY_COS * sqrt(cc * ff)) return 0;
    }
    return 1;
}

/* Whether the fitted law falls with every variable over the sizes given. */
static int law_flat(const ph_powerlaw *m, const ph_powerlaw_data *d, char *why, size_t nwhy)
{
    double ymax = 0;
    for (int i = 0; i < d->n; i++) ymax = fmax(ymax, d->y[i]);
    for (int j = 0; j < d->k; j++) {
        double lo = INFINITY, hi = 0;
        for (int i = 0; i < d->n; i++) lo = fmin(lo, d->x[(size_t)i * d->k + j]), hi = fmax(hi, d->x[(size_t)i * d->k + j]);
        const double drop = m->a[j] * (pow(lo, -m->b[j]) - pow(hi, -m->b[j]));
        if (!(drop > FLAT_DROP * ymax)) {
            snprintf(why, nwhy,
                     "the error does not fall with %s over the sizes given (fitted a = %.3g, b = %.3g, c = %.3g)",
                     d->k == 1 ? "size" : j == 0 ? "N" : "P", m->a[j], m->b[j], m->c);
            return 1;
        }
    }
    return 0;
}

/* One trust-region run from `start`; fills m (status 0 when converged). */
static void fit_run(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *o, const ph_powerlaw *start)
{
    const int k = d->k, p = nparams(k);
    double theta0[PH_POWERLAW_MAX_PARAMS];
    law_to_theta(start, theta0);
    m->k = k, m->status = 0, m->why[0] = 0, m->iterations = 0;
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, (size_t)d->n, (size_t)p);
    gsl_vector *wt = d->w ? gsl_vector_alloc((size_t)d->n) : NULL;
    PH_CHECK_ALLOC(w && (wt || !d->w), "allocating a power-law fit");
    for (int i = 0; d->w && i < d->n; i++) gsl_vector_set(wt, i, d->w[i]);
    gsl_multifit_nlinear_fdf fdf = {
        .f = model_f, .df = model_df, .fvv = NULL, .n = (size_t)d->n, .p = (size_t)p, .params = (void *)d};
    gsl_vector_view x0 = gsl_vector_view_array(theta0, (size_t)p);
    int info = 0;
    if (GSL_OK(m, wt ? gsl_multifit_nlinear_winit(&x0.vector, wt, &fdf, w) : gsl_multifit_nlinear_init(&x0.vector, &fdf, w),
               "starting the power-law fit", "check the sizes and errors")) {
        int st = gsl_multifit_nlinear_driver((size_t)o->max_iter, o->xtol, o->gtol, 0.0, NULL, NULL, &info, w);
        m->iterations = (int)gsl_multifit_nlinear_niter(w);
        /* No step from the start lowered the cost: the start already is the fit
         * when nothing points downhill (a replicate started from the full fit). */
        if (st == GSL_EMAXITER && info == GSL_ENOPROG && m->iterations == 0 && stationary(w)) st = GSL_SUCCESS;
        if (st == GSL_EMAXITER && info != GSL_ENOPROG) {
            char why[160];
            snprintf(why, sizeof why, "no convergence in %d trust-region iterations", o->max_iter);
            FIT_FAIL(m, "the power-law fit", why, "the law may not describe the errors; plot them");
        } else if (st == GSL_EMAXITER) {
            FIT_FAIL(m, "the power-law fit", "no step from the start lowers the residual",
                     "the law may not describe the errors; plot them");
        } else {
            GSL_OK(m, st, "the power-law fit", "the law may not describe the errors; plot them");
        }
    }
    if (!m->status) {
        double theta[PH_POWERLAW_MAX_PARAMS] = {0};
        for (int i = 0; i < p; i++) theta[i] = gsl_vector_get(gsl_multifit_nlinear_position(w), i);
        theta_to_law(theta, k, m);
        m->rss = law_rss(m, d);
        char why[200];
        int finite = isfinite(m->c) && isfinite(m->rss);
        for (int j = 0; j < k; j++) finite &= isfinite(m->a[j]) && isfinite(m->b[j]);
        if (!finite)
            FIT_FAIL(m, "the power-law fit", "it ended at parameters that overflow",
                     "the law may not describe the errors; plot them");
        else if (law_flat(m, d, why, sizeof why))
            FIT_FAIL(m, "the power-law fit", why, "a decreasing law does not describe these errors");
    }
    gsl_multifit_nlinear_free(w);
    gsl_vector_free(wt);
}

/* ph_powerlaw_fit's work inside the GSL handler: given starts first, then the own. */
static int fit_with_starts(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                           const ph_powerlaw *given)
{
    const ph_powerlaw_options o = opt ? *opt : ph_powerlaw_options_default();
    memset(m, 0, sizeof *m);
    m->k = d->k;
    if (data_check(m, d)) return m->status;
    ph_powerlaw r;
    if (given) {
        fit_run(&r, d, &o, given);
        if (!r.status) {
            *m = r;
            return 0;
        }
    }
    ph_powerlaw starts[N_STARTS];
    const int ns = starts_make(m, d, &o, starts);
    if (!ns) {
        if (!m->status) FIT_FAIL(m, "choosing the power-law start", "no log-log line fit was possible",
                                 "check that the errors fall with size");
        return m->status;
    }
    for (int s = 0; s < ns; s++) {
        fit_run(&r, d, &o, &starts[s]);
        /* The first start that converges, or the best start's failure. */
        if (!r.status || s == 0) *m = r;
        if (!r.status) break;
    }
    return m->status;
}

int ph_powerlaw_fit_from(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                         const ph_powerlaw *start)
{
    gsl_error_handler_t *old = gsl_handler_enter();
    const int st = fit_with_starts(m, d, opt, start);
    gsl_handler_leave(old);
    return st;
}

int ph_powerlaw_fit(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *opt)
{
    return ph_powerlaw_fit_from(m, d, opt, NULL);
}

double ph_powerlaw_solve(const ph_powerlaw *m, double target, int axis, const double *at)
{
    if (isnan(target)) return NAN;
    double floor_ = m->c;
    for (int j = 0; j < m->k; j++)
        if (j != axis) floor_ += m->a[j] * pow(at[j], -m->b[j]);
    if (target <= floor_) return INFINITY;
    /* a x^-b = target - floor  <=>  x = (a / (target - floor))^(1/b) */
    return pow(m->a[axis] / (target - floor_), 1.0 / m->b[axis]);
}

/* ---- statistics ---------------------------------------------------------------------------- */

/* Order of indices by value, ties by index (qsort_r with the values). */
static int cmp_index(const void *pa, const void *pb, void *values)
{
    const double *v = values;
    const int a = *(const int *)pa, b = *(const int *)pb;
    return v[a] != v[b] ? (v[a] > v[b]) - (v[a] < v[b]) : (a > b) - (a < b);
}

/* Mid-ranks (1-based) of v [n] into r; idx [n] is scratch. */
static void ranks(const double *v, int n, double *r, int *idx)
{
    for (int i = 0; i < n; i++) idx[i] = i;
    qsort_r(idx, (size_t)n, sizeof *idx, cmp_index, (void *)v);
    for (int i = 0; i < n;) {
        int e = i;
        while (e + 1 < n && v[idx[e + 1]] == v[idx[i]]) e++;
        for (int q = i; q <= e; q++) r[idx[q]] = 0.5 * (i + e) + 1;
        i = e + 1;
    }
}

double ph_powerlaw_spearman(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double *rx = malloc((size_t)n * sizeof *rx), *ry = malloc((size_t)n * sizeof *ry);
    int *idx = malloc((size_t)n * sizeof *idx);
    PH_CHECK_ALLOC(rx && ry && idx, "allocating ranks");
    ranks(x, n, rx, idx);
    ranks(y, n, ry, idx);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) mx += rx[i], my += ry[i];
    mx /= n, my /= n;
    for (int i = 0; i < n; i++)
        sxy += (rx[i] - mx) * (ry[i] - my), sxx += (rx[i] - mx) * (rx[i] - mx), syy += (ry[i] - my) * (ry[i] - my);
    free(rx), free(ry), free(idx);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

/* Quantile q of sorted v [n] (R's type 7), where v may end in +INFINITY. */
static double quantile(const double *v, int n, double q)
{
    const double h = (n - 1) * q;
    const int i = (int)floor(h);
    if (i + 1 >= n) return v[n - 1];
    if (h == i || v[i] == v[i + 1]) return v[i];
    if (isinf(v[i + 1])) return INFINITY;
    return v[i] + (h - i) * (v[i + 1] - v[i]);
}

/* Percentile interval of the m finite-or-infinite values in v (sorted here); NAN when m < 2. */
static void interval_of(double *v, int m, double level, ph_interval *iv)
{
    if (m < 2) {
        iv->lo = iv->hi = NAN;
        return;
    }
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    iv->lo = quantile(v, m, (1 - level) / 2);
    iv->hi = quantile(v, m, (1 + level) / 2);
}

static int level_of(const double *lv, int nl, double x)
{
    int l = 0;
    while (l < nl - 1 && lv[l] != x) l++;
    return l;
}

/* The mean error at each distinct value of variable j (val, mean; returns how
 * many, 0 when the fit below fails).  k = 1: the plain means.  k = 2: the
 * main effects of the additive least-squares fit y ~ level(N) + level(P), plus
 * the intercept: on a balanced grid these are the marginal means up to a
 * constant, and where a resample unbalances the grid they still do not mix in
 * the other variable's effect, as marginal means would. */
static int level_means(const ph_powerlaw_data *d, int j, double *val, double *mean)
{
    if (d->k == 1) return marginal_means(d, 0, val, mean);
    const int n = d->n;
    double *lv[2] = {malloc((size_t)n * sizeof(double)), malloc((size_t)n * sizeof(double))};
    PH_CHECK_ALLOC(lv[0] && lv[1], "allocating level means");
    const int nl[2] = {distinct_values(d, 0, lv[0]), distinct_values(d, 1, lv[1])};
    const int off[2] = {1, nl[0]}, p = nl[0] + nl[1] - 1;
    int got = 0;
    if (n >= p) {
        gsl_matrix *X = gsl_matrix_calloc((size_t)n, (size_t)p), *cov = gsl_matrix_alloc((size_t)p, (size_t)p);
        gsl_vector *coef = gsl_vector_alloc((size_t)p), *wt = gsl_vector_alloc((size_t)n);
        gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)n, (size_t)p);
        PH_CHECK_ALLOC(X && cov && coef && wt && ws, "allocating level means");
        for (int i = 0; i < n; i++) {
            gsl_matrix_set(X, i, 0, 1.0);
            for (int q = 0; q < 2; q++) {
                const int l = level_of(lv[q], nl[q], d->x[2 * i + q]);
                if (l > 0) gsl_matrix_set(X, i, off[q] + l - 1, 1.0);
            }
            gsl_vector_set(wt, i, d->w ? d->w[i] : 1.0);
        }
        gsl_vector_const_view yv = gsl_vector_const_view_array(d->y, (size_t)n);
        double chisq;
        ph_powerlaw note; /* where a failure's reason would go; a failed fit gives no means */
        if (GSL_OK(&note, gsl_multifit_wlinear(X, wt, &yv.vector, coef, cov, &chisq, ws), "a two-way fit of level means",
                   "check the sizes")) {
            for (int l = 0; l < nl[j]; l++)
                val[l] = lv[j][l], mean[l] = gsl_vector_get(coef, 0) + (l ? gsl_vector_get(coef, off[j] + l - 1) : 0);
            got = nl[j];
        }
        gsl_multifit_linear_free(ws);
        gsl_matrix_free(X), gsl_matrix_free(cov), gsl_vector_free(coef), gsl_vector_free(wt);
    }
    free(lv[0]), free(lv[1]);
    return got;
}

/* Spearman correlation of variable j's distinct values with the mean error at each. */
static double spearman_of(const ph_powerlaw_data *d, int j, double *val, double *mean)
{
    const int m = level_means(d, j, val, mean);
    return ph_powerlaw_spearman(val, mean, m);
}

/* Weighted least-squares slopes of y on [1, log x_1, ..., log x_k] into slope [k];
 * NAN where a variable has one value. */
static void log_slopes(const ph_powerlaw_data *d, double *slope, double *scratch)
{
    const int k = d->k, p = k + 1;
    for (int j = 0; j < k; j++) {
        slope[j] = NAN;
        if (distinct_values(d, j, scratch) < 2) return;
    }
    gsl_matrix *X = gsl_matrix_alloc((size_t)d->n, (size_t)p), *cov = gsl_matrix_alloc((size_t)p, (size_t)p);
    gsl_vector *coef = gsl_vector_alloc((size_t)p), *wt = gsl_vector_alloc((size_t)d->n);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)d->n, (size_t)p);
    PH_CHECK_ALLOC(X && cov && coef && wt && ws, "allocating a slope fit");
    for (int i = 0; i < d->n; i++) {
        gsl_matrix_set(X, i, 0, 1.0);
        for (int j = 0; j < k; j++) gsl_matrix_set(X, i, j + 1, log(d->x[(size_t)i * k + j]));
        gsl_vector_set(wt, i, d->w ? d->w[i] : 1.0);
    }
    gsl_vector_const_view yv = gsl_vector_const_view_array(d->y, (size_t)d->n);
    double chisq;
    ph_powerlaw note; /* where a failure's reason would go; a failed slope is NAN */
    if (GSL_OK(&note, gsl_multifit_wlinear(X, wt, &yv.vector, coef, cov, &chisq, ws), "a log-size slope",
               "check the sizes"))
        for (int j = 0; j < k; j++) slope[j] = gsl_vector_get(coef, j + 1);
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(X), gsl_matrix_free(cov), gsl_vector_free(coef), gsl_vector_free(wt);
}

/* ---- bootstrap ----------------------------------------------------------------------------- */

void ph_powerlaw_boot_init(ph_powerlaw_boot *b) { memset(b, 0, sizeof *b); }

void ph_powerlaw_boot_free(ph_powerlaw_boot *b)
{
    free(b->cell_x), free(b->cell_mean), free(b->cell_count);
    memset(b, 0, sizeof *b);
}

/* Lexicographic order of points by their sizes (qsort_r with the data). */
static int cmp_point(const void *pa, const void *pb, void *data)
{
    const ph_powerlaw_data *d = data;
    const int a = *(const int *)pa, b = *(const int *)pb, k = d->k;
    for (int j = 0; j < k; j++) {
        const double x = d->x[(size_t)a * k + j], y = d->x[(size_t)b * k + j];
        if (x != y) return (x > y) - (x < y);
    }
    return (a > b) - (a < b); /* input order within a cell: draws do not depend on qsort */
}

static int same_cell(const ph_powerlaw_data *d, int a, int b)
{
    for (int j = 0; j < d->k; j++)
        if (d->x[(size_t)a * d->k + j] != d->x[(size_t)b * d->k + j]) return 0;
    return 1;
}

/* The cells (distinct sizes) of d and the mean error in each; `order` gets the
 * points sorted by size and start[c] the first of cell c (start[ncells] = n). */
static void cells_make(ph_powerlaw_boot *b, const ph_powerlaw_data *d, int *order, int *start)
{
    const int n = d->n, k = d->k;
    for (int i = 0; i < n; i++) order[i] = i;
    qsort_r(order, (size_t)n, sizeof *order, cmp_point, (void *)d);
    int nc = 0;
    for (int i = 0; i < n; i++)
        if (!i || !same_cell(d, order[i], order[i - 1])) start[nc++] = i;
    start[nc] = n;
    b->ncells = nc;
    b->cell_x = malloc((size_t)nc * (size_t)k * sizeof *b->cell_x);
    b->cell_mean = malloc((size_t)nc * sizeof *b->cell_mean);
    b->cell_count = malloc((size_t)nc * sizeof *b->cell_count);
    PH_CHECK_ALLOC(b->cell_x && b->cell_mean && b->cell_count, "allocating the bootstrap");
    b->by_seeds = 0;
    for (int c = 0; c < nc; c++) {
        b->cell_count[c] = start[c + 1] - start[c];
        b->by_seeds |= b->cell_count[c] > 1;
        double s = 0;
        for (int i = start[c]; i < start[c + 1]; i++) s += d->y[order[i]];
        b->cell_mean[c] = (ph_interval){s / b->cell_count[c], NAN, NAN};
        for (int j = 0; j < k; j++) b->cell_x[(size_t)c * k + j] = d->x[(size_t)order[start[c]] * k + j];
    }
}

/* Whether a replicate keeps at least 3 distinct sizes of every variable (a
 * resample of points may lose some). */
static int enough_sizes(const ph_powerlaw_data *d, double *scratch)
{
    for (int j = 0; j < d->k; j++)
        if (distinct_values(d, j, scratch) < MIN_SIZES) return 0;
    return 1;
}

/* Everything after the full fit: replicates, intervals, monotonicity, projection. */
static void boot_replicates(ph_powerlaw_boot *b, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                            const ph_powerlaw_boot_options *bo)
{
    const int n = d->n, k = d->k, reps = bo->reps, p = nparams(k);
    int *order = malloc((size_t)n * sizeof *order), *start = malloc((size_t)(n + 1) * sizeof *start);
    PH_CHECK_ALLOC(order && start, "allocating the bootstrap");
    cells_make(b, d, order, start);
    const int nc = b->ncells;
    double *val = malloc((size_t)n * sizeof *val), *mean = malloc((size_t)n * sizeof *mean);
    double *xr = malloc((size_t)n * (size_t)k * sizeof *xr), *yr = malloc((size_t)n * sizeof *yr);
    double *wr = d->w ? malloc((size_t)n * sizeof *wr) : NULL;
    /* Per statistic, its replicates' values side by side (sorted in place later). */
    const size_t R = (size_t)(reps > 0 ? reps : 1);
    double *par = malloc((size_t)p * R * sizeof *par), *rho = malloc((size_t)k * R * sizeof *rho);
    double *need = malloc(R * sizeof *need), *cm = malloc((size_t)nc * R * sizeof *cm);
    int *drawn = malloc((size_t)n * sizeof *drawn);
    PH_CHECK_ALLOC(val && mean && xr && yr && (wr || !d->w) && par && rho && need && cm && drawn,
                   "allocating the bootstrap");
    int nfit = 0, nrho[PH_POWERLAW_MAX_K] = {0}, nslope[PH_POWERLAW_MAX_K] = {0}, ndec[PH_POWERLAW_MAX_K] = {0};
    int reachable = 0;
    for (int r = 0; r < reps; r++) {
        ph_rng rng;
        ph_rng_init(&rng, bo->seed, PH_STREAM_BOOTSTRAP, (uint64_t)r, bo->sub);
        /* Cells in order, each drawing its own size of points from itself; or n points from all. */
        if (b->by_seeds)
            for (int c = 0, at = 0; c < nc; c++)
                for (int q = 0; q < b->cell_count[c]; q++)
                    drawn[at++] = order[start[c] + (int)ph_rng_below(&rng, (uint32_t)b->cell_count[c])];
        else
            for (int i = 0; i < n; i++) drawn[i] = (int)ph_rng_below(&rng, (uint32_t)n);
        for (int i = 0; i < n; i++) {
            memcpy(xr + (size_t)i * k, d->x + (size_t)drawn[i] * k, (size_t)k * sizeof *xr);
            yr[i] = d->y[drawn[i]];
            if (wr) wr[i] = d->w[drawn[i]];
        }
        const ph_powerlaw_data dr = {k, n, xr, yr, wr};
        if (b->by_seeds)
            for (int c = 0, at = 0; c < nc; c++) {
                double s = 0;
                for (int q = 0; q < b->cell_count[c]; q++) s += yr[at++];
                cm[(size_t)c * R + (size_t)r] = s / b->cell_count[c];
            }
        double slope[PH_POWERLAW_MAX_K];
        log_slopes(&dr, slope, val);
        for (int j = 0; j < k; j++) {
            const double s = spearman_of(&dr, j, val, mean);
            if (!isnan(s)) rho[(size_t)j * R + (size_t)nrho[j]++] = s;
            if (!isnan(slope[j])) nslope[j]++, ndec[j] += slope[j] < 0;
        }
        if (b->fit.status || !enough_sizes(&dr, val)) continue;
        ph_powerlaw m;
        if (ph_powerlaw_fit_from(&m, &dr, opt, &b->fit)) continue;
        for (int j = 0; j < k; j++)
            par[(size_t)(2 * j) * R + (size_t)nfit] = m.a[j], par[(size_t)(2 * j + 1) * R + (size_t)nfit] = m.b[j];
        par[(size_t)(2 * k) * R + (size_t)nfit] = m.c;
        need[nfit] = ph_powerlaw_solve(&m, bo->target, bo->axis, bo->at);
        reachable += isfinite(need[nfit]);
        nfit++;
    }
    b->reps = reps, b->fitted = nfit;
    for (int j = 0; j < k; j++) {
        interval_of(par + (size_t)(2 * j) * R, nfit, bo->level, &b->a[j]);
        interval_of(par + (size_t)(2 * j + 1) * R, nfit, bo->level, &b->b[j]);
        interval_of(rho + (size_t)j * R, nrho[j], bo->level, &b->spearman[j]);
        b->p_decrease[j] = nslope[j] ? (double)ndec[j] / nslope[j] : NAN;
    }
    interval_of(par + (size_t)(2 * k) * R, nfit, bo->level, &b->c);
    if (isnan(bo->target) || b->fit.status) {
        b->needed.lo = b->needed.hi = b->p_reachable = NAN;
    } else {
        interval_of(need, nfit, bo->level, &b->needed);
        b->p_reachable = nfit ? (double)reachable / nfit : NAN;
    }
    if (b->by_seeds)
        for (int c = 0; c < nc; c++) interval_of(cm + (size_t)c * R, reps, bo->level, &b->cell_mean[c]);
    free(order), free(start), free(val), free(mean), free(xr), free(yr), free(wr);
    free(par), free(rho), free(need), free(cm), free(drawn);
}

int ph_powerlaw_bootstrap(ph_powerlaw_boot *b, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                          const ph_powerlaw_boot_options *bo)
{
    ph_powerlaw_boot_free(b);
    b->k = d->k;
    const ph_interval none = {NAN, NAN, NAN};
    for (int j = 0; j < PH_POWERLAW_MAX_K; j++) b->a[j] = b->b[j] = b->spearman[j] = none, b->p_decrease[j] = NAN;
    b->c = b->needed = none, b->p_reachable = NAN;
    ph_powerlaw_fit(&b->fit, d, opt);
    gsl_error_handler_t *old = gsl_handler_enter();
    /* Invalid points stop here; valid ones that no law fits (an error that does not
     * fall) still get the monotonicity test, which is what shows that. */
    ph_powerlaw check;
    if (!data_valid(&check, d)) {
        const ph_powerlaw *m = &b->fit;
        if (!m->status) {
            for (int j = 0; j < d->k; j++) b->a[j].value = m->a[j], b->b[j].value = m->b[j];
            b->c.value = m->c;
            b->needed.value = ph_powerlaw_solve(m, bo->target, bo->axis, bo->at);
        }
        double *val = malloc((size_t)d->n * sizeof *val), *mean = malloc((size_t)d->n * sizeof *mean);
        PH_CHECK_ALLOC(val && mean, "allocating the bootstrap");
        for (int j = 0; j < d->k; j++) b->spearman[j].value = spearman_of(d, j, val, mean);
        free(val), free(mean);
        boot_replicates(b, d, opt, bo);
    }
    gsl_handler_leave(old);
    return b->fit.status;
}
