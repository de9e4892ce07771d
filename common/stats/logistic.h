/* logistic.h: logistic regression fitted by Newton's method (iteratively
 * reweighted least squares), for baselines of a few features: the shortcut
 * floor (phasor-analyze shortcut) fits P(y = 1 | x) from, e.g., the start-goal
 * distance alone.  Features are standardised before the fit; a ridge of
 * 1e-6 per sample keeps separable data finite.  Each Newton step solves its
 * (k+1)x(k+1) system with LAPACK (dposv). */
#ifndef PHASOR_STATS_LOGISTIC_H
#define PHASOR_STATS_LOGISTIC_H

#include <stdint.h>

enum { PH_LOGISTIC_MAX_FEATURES = 8 };

typedef struct {
    int k;                                     /* features */
    double w[PH_LOGISTIC_MAX_FEATURES + 1];    /* intercept, then one weight per standardised feature */
    double mean[PH_LOGISTIC_MAX_FEATURES];     /* standardisation */
    double scale[PH_LOGISTIC_MAX_FEATURES];
    int iterations;                            /* Newton steps taken */
} ph_logistic;

/* Fits m to n samples x [n][k] with labels y in {0, 1}; returns 0, or -1 when
 * Newton's method did not converge in 100 steps (m then holds the last step). */
int ph_logistic_fit(ph_logistic *m, const double *x, int k, const int32_t *y, int64_t n);
/* P(y = 1 | x) for one sample x [k]. */
double ph_logistic_prob(const ph_logistic *m, const double *x);
/* The weight of raw feature j (per unit of x_j, not standardised). */
double ph_logistic_slope(const ph_logistic *m, int j);

#endif
