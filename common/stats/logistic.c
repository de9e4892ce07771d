/* logistic.c: logistic regression by Newton's method (logistic.h). */
#include "logistic.h"

#include "core/error.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

enum { MAX_STEPS = 100 };

static double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z)); }

/* Standardised features of sample i with a leading 1 (the intercept). */
static void design_row(const ph_logistic *m, const double *x, double *row)
{
    row[0] = 1.0;
    for (int j = 0; j < m->k; j++) row[j + 1] = (x[j] - m->mean[j]) / m->scale[j];
}

static void standardise(ph_logistic *m, const double *x, int64_t n)
{
    for (int j = 0; j < m->k; j++) {
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < n; i++) s += x[i * m->k + j];
        m->mean[j] = s / (double)n;
        for (int64_t i = 0; i < n; i++) s2 += (x[i * m->k + j] - m->mean[j]) * (x[i * m->k + j] - m->mean[j]);
        m->scale[j] = n > 1 && s2 > 0 ? sqrt(s2 / (double)(n - 1)) : 1.0;
    }
}

int ph_logistic_fit(ph_logistic *m, const double *x, int k, const int32_t *y, int64_t n)
{
    if (k < 1 || k > PH_LOGISTIC_MAX_FEATURES || n < 1)
        PH_FAIL("fitting a logistic regression", "no samples, or a feature count out of range", "this is a bug");
    memset(m, 0, sizeof *m);
    m->k = k;
    standardise(m, x, n);
    const int d = k + 1;
    const double ridge = 1e-6 * (double)n;
    for (m->iterations = 1; m->iterations <= MAX_STEPS; m->iterations++) {
        double h[(PH_LOGISTIC_MAX_FEATURES + 1) * (PH_LOGISTIC_MAX_FEATURES + 1)] = {0};
        double g[PH_LOGISTIC_MAX_FEATURES + 1] = {0}, row[PH_LOGISTIC_MAX_FEATURES + 1];
        for (int64_t i = 0; i < n; i++) {
            design_row(m, x + i * k, row);
            double z = 0;
            for (int a = 0; a < d; a++) z += m->w[a] * row[a];
            const double p = sigmoid(z), wt = p * (1.0 - p);
            for (int a = 0; a < d; a++) {
                g[a] += ((double)(y[i] != 0) - p) * row[a];
                for (int b = 0; b < d; b++) h[a * d + b] += wt * row[a] * row[b];
            }
        }
        for (int a = 0; a < d; a++) h[a * d + a] += ridge, g[a] -= ridge * m->w[a];
        lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', d, 1, h, d, g, 1);
        if (info != 0) PH_FAIL("fitting a logistic regression", "its Hessian is not positive definite", "this is a bug");
        double step = 0;
        for (int a = 0; a < d; a++) m->w[a] += g[a], step = fmax(step, fabs(g[a]));
        if (step < 1e-10) return 0;
    }
    m->iterations = MAX_STEPS;
    return -1;
}

double ph_logistic_prob(const ph_logistic *m, const double *x)
{
    double row[PH_LOGISTIC_MAX_FEATURES + 1], z = 0;
    design_row(m, x, row);
    for (int a = 0; a <= m->k; a++) z += m->w[a] * row[a];
    return sigmoid(z);
}

double ph_logistic_slope(const ph_logistic *m, int j) { return m->w[j + 1] / m->scale[j]; }
