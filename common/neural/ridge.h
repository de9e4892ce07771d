/* ridge.h: ridge regression with an intercept, the penalty chosen by
 * cross-validation over groups (images) on a log grid.
 *
 * Fit: centre X and Y on the training means; W = (X'X + alpha I)^-1 X'Y,
 * through the eigendecomposition X'X = V diag(l) V' (LAPACKE dsyevd), so that
 * every alpha of the grid costs one product: W = V diag(1/(l + alpha)) V'X'Y.
 * Prediction: (x - x_mean) W + y_mean.
 *
 * The fit works from per-group sufficient statistics (sum of x x', of x, of
 * x y', of y, and the count, per image), so a fold of leave-one-image-out and
 * each inner fold only add up groups instead of passing over the data again. */
#ifndef PHASOR_NEURAL_RIDGE_H
#define PHASOR_NEURAL_RIDGE_H

#include <stddef.h>

/* The sums of one group of rows (x [p], y [q]), uncentred. */
typedef struct {
    int p, q;
    double n;
    double *xx; /* [p, p] */
    double *xy; /* [p, q] */
    double *sx; /* [p] */
    double *sy; /* [q] */
} ph_ridge_stats;

void ph_ridge_stats_init(ph_ridge_stats *s, int p, int q);
void ph_ridge_stats_free(ph_ridge_stats *s);
/* Adds rows X [n, p], Y [n, q]. */
void ph_ridge_stats_add_rows(ph_ridge_stats *s, const double *X, const double *Y, int n);
/* s += o. */
void ph_ridge_stats_add(ph_ridge_stats *s, const ph_ridge_stats *o);

typedef struct {
    int p, q;
    double alpha;
    double *w;      /* [p, q] */
    double *x_mean; /* [p] */
    double *y_mean; /* [q] */
} ph_ridge;

/* The fits for several penalties from one set of statistics (n >= 1):
 * out[a] for alphas[a]. */
void ph_ridge_fit_stats(const ph_ridge_stats *s, const double *alphas, int nalpha, ph_ridge *out);
void ph_ridge_predict(const ph_ridge *m, const double *X, int n, double *Y);
void ph_ridge_free(ph_ridge *m);

/* Picks alpha by K-fold cross-validation over groups: group g (of ngroups,
 * statistics stats[g], rows X[g] [rows[g], p], Y[g] [rows[g], q]) is held out
 * in inner fold g % K; the criterion is the squared error summed over every
 * held-out value; the smallest error wins, the first alpha (list them in
 * ascending order) on ties: errors within 1e-12 of the held-out targets' sum of
 * squares (a constant target leaves only rounding).
 * Returns the index into alphas; errors[nalpha] (may be NULL) gets the sums. */
int ph_ridge_select(const ph_ridge_stats *stats, const double *const *X, const double *const *Y,
                    const int *rows, int ngroups, int K, const double *alphas, int nalpha, double *errors);

#endif
