/* ridge.c: ridge regression from sufficient statistics (ridge.h). */
#include "ridge.h"

#include "core/error.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating ridge regression arrays");
    return p;
}

void ph_ridge_stats_init(ph_ridge_stats *s, int p, int q)
{
    s->p = p, s->q = q, s->n = 0;
    s->xx = dalloc((size_t)p * p), s->xy = dalloc((size_t)p * q), s->sx = dalloc((size_t)p), s->sy = dalloc((size_t)q);
}

void ph_ridge_stats_free(ph_ridge_stats *s)
{
    free(s->xx), free(s->xy), free(s->sx), free(s->sy);
    memset(s, 0, sizeof *s);
}

void ph_ridge_stats_add_rows(ph_ridge_stats *s, const double *X, const double *Y, int n)
{
    const int p = s->p, q = s->q;
    for (int i = 0; i < n; i++) {
        const double *x = X + (size_t)i * p, *y = Y + (size_t)i * q;
        for (int a = 0; a < p; a++) {
            const double v = x[a];
            s->sx[a] += v;
            double *r = s->xx + (size_t)a * p;
            for (int b = 0; b < p; b++) r[b] += v * x[b];
            double *ry = s->xy + (size_t)a * q;
            for (int b = 0; b < q; b++) ry[b] += v * y[b];
        }
        for (int b = 0; b < q; b++) s->sy[b] += y[b];
    }
    s->n += n;
}

void ph_ridge_stats_add(ph_ridge_stats *s, const ph_ridge_stats *o)
{
    for (size_t i = 0; i < (size_t)s->p * s->p; i++) s->xx[i] += o->xx[i];
    for (size_t i = 0; i < (size_t)s->p * s->q; i++) s->xy[i] += o->xy[i];
    for (int i = 0; i < s->p; i++) s->sx[i] += o->sx[i];
    for (int i = 0; i < s->q; i++) s->sy[i] += o->sy[i];
    s->n += o->n;
}

void ph_ridge_fit_stats(const ph_ridge_stats *s, const double *alphas, int nalpha, ph_ridge *out)
{
    const int p = s->p, q = s->q;
    const double n = s->n > 0 ? s->n : 1;
    double *G = dalloc((size_t)p * p), *B = dalloc((size_t)p * q), *l = dalloc((size_t)p),
           *VtB = dalloc((size_t)p * q), *mx = dalloc((size_t)p), *my = dalloc((size_t)q);
    for (int a = 0; a < p; a++) mx[a] = s->sx[a] / n;
    for (int b = 0; b < q; b++) my[b] = s->sy[b] / n;
    /* centred: sum (x - mx)(x - mx)' = XX - n mx mx'; likewise X'Y */
    for (int a = 0; a < p; a++)
        for (int b = 0; b < p; b++) G[(size_t)a * p + b] = s->xx[(size_t)a * p + b] - n * mx[a] * mx[b];
    for (int a = 0; a < p; a++)
        for (int b = 0; b < q; b++) B[(size_t)a * q + b] = s->xy[(size_t)a * q + b] - n * mx[a] * my[b];
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', p, G, p, l);
    if (info != 0) {
        char why[96];
        snprintf(why, sizeof why, "LAPACKE_dsyevd returned %d", (int)info);
        PH_FAIL("the eigendecomposition of ridge regression's X'X", why,
                "the features may hold NaN or infinite values");
    }
    /* G now holds V (eigenvectors as columns); VtB = V'B */
    for (int k = 0; k < p; k++)
        for (int b = 0; b < q; b++) {
            double acc = 0;
            for (int a = 0; a < p; a++) acc += G[(size_t)a * p + k] * B[(size_t)a * q + b];
            VtB[(size_t)k * q + b] = acc;
        }
    for (int i = 0; i < nalpha; i++) {
        ph_ridge *m = &out[i];
        m->p = p, m->q = q, m->alpha = alphas[i];
        m->w = dalloc((size_t)p * q), m->x_mean = dalloc((size_t)p), m->y_mean = dalloc((size_t)q);
        memcpy(m->x_mean, mx, (size_t)p * sizeof *mx), memcpy(m->y_mean, my, (size_t)q * sizeof *my);
        for (int k = 0; k < p; k++) {
            /* eigenvalues of a Gram matrix are >= 0; rounding may give -1e-17 */
            const double d = (l[k] > 0 ? l[k] : 0) + alphas[i];
            if (!(d > 0)) continue; /* alpha 0 and a null direction: the minimum-norm solution */
            for (int a = 0; a < p; a++) {
                const double v = G[(size_t)a * p + k] / d;
                for (int b = 0; b < q; b++) m->w[(size_t)a * q + b] += v * VtB[(size_t)k * q + b];
            }
        }
    }
    free(G), free(B), free(l), free(VtB), free(mx), free(my);
}

void ph_ridge_predict(const ph_ridge *m, const double *X, int n, double *Y)
{
    for (int i = 0; i < n; i++) {
        double *y = Y + (size_t)i * m->q;
        for (int b = 0; b < m->q; b++) y[b] = m->y_mean[b];
        for (int a = 0; a < m->p; a++) {
            const double v = X[(size_t)i * m->p + a] - m->x_mean[a];
            for (int b = 0; b < m->q; b++) y[b] += v * m->w[(size_t)a * m->q + b];
        }
    }
}

void ph_ridge_free(ph_ridge *m)
{
    free(m->w), free(m->x_mean), free(m->y_mean);
    memset(m, 0, sizeof *m);
}

int ph_ridge_select(const ph_ridge_stats *stats, const double *const *X, const double *const *Y,
                    const int *rows, int ngroups, int K, const double *alphas, int nalpha, double *errors)
{
    const int p = stats[0].p, q = stats[0].q;
    if (K > ngroups) K = ngroups;
    double *err = dalloc((size_t)nalpha);
    ph_ridge *fits = calloc((size_t)nalpha, sizeof *fits);
    PH_CHECK_ALLOC(fits, "allocating ridge regression arrays");
    int maxrows = 1;
    for (int g = 0; g < ngroups; g++) maxrows = rows[g] > maxrows ? rows[g] : maxrows;
    double *pred = dalloc((size_t)maxrows * q);
    for (int f = 0; f < K && K > 1; f++) {
        ph_ridge_stats tr;
        ph_ridge_stats_init(&tr, p, q);
        for (int g = 0; g < ngroups; g++)
            if (g % K != f) ph_ridge_stats_add(&tr, &stats[g]);
        ph_ridge_fit_stats(&tr, alphas, nalpha, fits);
        for (int g = f; g < ngroups; g += K)
            for (int a = 0; a < nalpha; a++) {
                ph_ridge_predict(&fits[a], X[g], rows[g], pred);
                for (size_t i = 0; i < (size_t)rows[g] * q; i++) {
                    const double d = pred[i] - Y[g][i];
                    err[a] += d * d;
                }
            }
        for (int a = 0; a < nalpha; a++) ph_ridge_free(&fits[a]);
        ph_ridge_stats_free(&tr);
    }
    /* errors closer than 1e-12 of the held-out targets' sum of squares are
     * ties (a constant target leaves only rounding), won by the first */
    double ss = 0;
    for (int g = 0; g < ngroups && K > 1; g++)
        for (size_t i = 0; i < (size_t)rows[g] * q; i++) ss += Y[g][i] * Y[g][i];
    int lowest = 0;
    for (int a = 1; a < nalpha; a++)
        if (err[a] < err[lowest]) lowest = a;
    int best = 0;
    while (err[best] - err[lowest] > 1e-12 * (err[lowest] + ss)) best++;
    if (errors) memcpy(errors, err, (size_t)nalpha * sizeof *err);
    free(err), free(fits), free(pred);
    return best;
}
