/* pls.h: partial least squares regression, as sklearn's
 * PLSRegression(n_components, scale=False) computes it (NIPALS, "regression"
 * deflation; docs/probe.md gives the algorithm step by step).
 *
 * X [n, p] and Y [n, q] are centred on their column means (no scaling).  For
 * each component a: the x weights w are found by the power method on the
 * residuals Xa, Ya (start: the first column of Ya that is not all zero;
 * w = Xa'u / u'u, normalised; t = Xa w; c = Ya't / t't; u = Ya c / (c'c + eps);
 * until |w - w_old|^2 < tol, or at once when q = 1), the sign is fixed so that
 * the largest |w_i| is positive, then t = Xa w, the loadings
 * p_a = Xa't / t't and q_a = Ya't / t't, and both residuals are deflated by t.
 * Y columns whose residual is below 10 eps everywhere are zeroed first.
 * coef = W (P'W)^+ Q' [p, q] (the pseudo-inverse through LAPACKE's SVD);
 * prediction = (x - x_mean) coef + y_mean.
 *
 * Where sklearn would divide by zero we stop adding components: when the Y
 * residual is all zero (sklearn also stops, with a warning) and when the X
 * residual's sum of squares is below 1e-12 of X's (rank exhausted; sklearn
 * continues on rounding noise).  Components are also capped at p, the most
 * sklearn accepts.  ph_pls.used says how many were fitted. */
#ifndef PHASOR_NEURAL_PLS_H
#define PHASOR_NEURAL_PLS_H

#include <stddef.h>

typedef struct {
    int p, q, used;
    int max_iter_hit; /* components whose power method ran max_iter times */
    double *coef;     /* [p, q] */
    double *x_mean;   /* [p] */
    double *y_mean;   /* [q] */
} ph_pls;

/* Fits on X [n, p] and Y [n, q] (row-major, not modified).  Returns 0, or -1
 * with why filled when nothing can be fitted (n < 2). */
int ph_pls_fit(ph_pls *m, const double *X, const double *Y, int n, int p, int q, int components,
               double tol, int max_iter, char *why, size_t why_n);
/* X [n, p] -> Y [n, q]. */
void ph_pls_predict(const ph_pls *m, const double *X, int n, double *Y);
void ph_pls_free(ph_pls *m);

#endif
