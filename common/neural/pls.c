/* pls.c: NIPALS partial least squares regression (pls.h). */
#include "pls.h"

#include "core/error.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating PLS work arrays");
    return p;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* out[j] = sum_i A[i, j] v[i]  (A' v, A [n, m]) */
static void at_v(const double *A, const double *v, int n, int m, double *out)
{
    memset(out, 0, (size_t)m * sizeof *out);
    for (int i = 0; i < n; i++) {
        const double *row = A + (size_t)i * m;
        for (int j = 0; j < m; j++) out[j] += row[j] * v[i];
    }
}

/* out[i] = sum_j A[i, j] v[j]  (A v) */
static void a_v(const double *A, const double *v, int n, int m, double *out)
{
    for (int i = 0; i < n; i++) out[i] = dot(A + (size_t)i * m, v, m);
}

/* pinv(M) of a square a x a matrix (row-major) through dgesvd, numpy's rule:
 * singular values below 1e-15 * the largest are treated as zero. */
static void pinv_square(const double *M, int a, double *out)
{
    double *A = dalloc((size_t)a * a), *U = dalloc((size_t)a * a), *VT = dalloc((size_t)a * a),
           *s = dalloc((size_t)a), *super = dalloc((size_t)a);
    memcpy(A, M, (size_t)a * a * sizeof *A);
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', a, a, A, a, s, U, a, VT, a, super);
    if (info != 0) {
        char why[96];
        snprintf(why, sizeof why, "LAPACKE_dgesvd returned %d", (int)info);
        PH_FAIL("the pseudo-inverse of PLS's P'W", why, "the features may hold NaN or infinite values");
    }
    const double cut = 1e-15 * s[0];
    memset(out, 0, (size_t)a * a * sizeof *out);
    for (int k = 0; k < a; k++) {
        if (!(s[k] > cut)) continue;
        for (int i = 0; i < a; i++)
            for (int j = 0; j < a; j++) out[(size_t)i * a + j] += VT[(size_t)k * a + i] * U[(size_t)j * a + k] / s[k];
    }
    free(A), free(U), free(VT), free(s), free(super);
}

int ph_pls_fit(ph_pls *m, const double *X, const double *Y, int n, int p, int q, int components,
               double tol, int max_iter, char *why, size_t why_n)
{
    memset(m, 0, sizeof *m);
    if (n < 2) {
        snprintf(why, why_n, "PLS needs at least 2 samples, got %d", n);
        return -1;
    }
    m->p = p, m->q = q;
    m->coef = dalloc((size_t)p * q), m->x_mean = dalloc((size_t)p), m->y_mean = dalloc((size_t)q);
    double *Xk = dalloc((size_t)n * p), *Yk = dalloc((size_t)n * q);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < p; j++) m->x_mean[j] += X[(size_t)i * p + j];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < q; j++) m->y_mean[j] += Y[(size_t)i * q + j];
    for (int j = 0; j < p; j++) m->x_mean[j] /= n;
    for (int j = 0; j < q; j++) m->y_mean[j] /= n;
    double ss0 = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < p; j++) {
            Xk[(size_t)i * p + j] = X[(size_t)i * p + j] - m->x_mean[j];
            ss0 += Xk[(size_t)i * p + j] * Xk[(size_t)i * p + j];
        }
        for (int j = 0; j < q; j++) Yk[(size_t)i * q + j] = Y[(size_t)i * q + j] - m->y_mean[j];
    }
    const int A = components < p ? components : p;
    double *W = dalloc((size_t)p * A), *P = dalloc((size_t)p * A), *Q = dalloc((size_t)q * A);
    double *w = dalloc((size_t)p), *w_old = dalloc((size_t)p), *t = dalloc((size_t)n), *u = dalloc((size_t)n),
           *c = dalloc((size_t)q);
    const double eps = DBL_EPSILON;
    int a = 0;
    for (; a < A; a++) {
        double ss = 0;
        for (size_t i = 0; i < (size_t)n * p; i++) ss += Xk[i] * Xk[i];
        if (!(ss > 1e-12 * ss0)) break; /* X's rank is exhausted */
        /* Y columns that are numerically zero are set to exactly zero */
        for (int j = 0; j < q; j++) {
            int small = 1;
            for (int i = 0; i < n && small; i++) small = fabs(Yk[(size_t)i * q + j]) < 10 * eps;
            if (small)
                for (int i = 0; i < n; i++) Yk[(size_t)i * q + j] = 0;
        }
        int first = -1;
        for (int j = 0; j < q && first < 0; j++)
            for (int i = 0; i < n; i++)
                if (fabs(Yk[(size_t)i * q + j]) > eps) {
                    first = j;
                    break;
                }
        if (first < 0) break; /* the Y residual is constant */
        for (int i = 0; i < n; i++) u[i] = Yk[(size_t)i * q + first];
        for (int j = 0; j < p; j++) w_old[j] = 100; /* sklearn's start: the scalar 100 */
        int it = 0;
        for (; it < max_iter; it++) {
            at_v(Xk, u, n, p, w);
            const double uu = dot(u, u, n);
            for (int j = 0; j < p; j++) w[j] /= uu;
            const double norm = sqrt(dot(w, w, p)) + eps;
            for (int j = 0; j < p; j++) w[j] /= norm;
            a_v(Xk, w, n, p, t);
            at_v(Yk, t, n, q, c);
            const double tt = dot(t, t, n);
            for (int j = 0; j < q; j++) c[j] /= tt;
            a_v(Yk, c, n, q, u);
            const double cc = dot(c, c, q) + eps;
            for (int i = 0; i < n; i++) u[i] /= cc;
            double diff = 0;
            for (int j = 0; j < p; j++) diff += (w[j] - w_old[j]) * (w[j] - w_old[j]);
            if (diff < tol || q == 1) break;
            memcpy(w_old, w, (size_t)p * sizeof *w);
        }
        if (it == max_iter) m->max_iter_hit++;
        /* sign: the largest |w_j| (the first of equals) positive */
        int big = 0;
        for (int j = 1; j < p; j++)
            if (fabs(w[j]) > fabs(w[big])) big = j;
        if (w[big] < 0)
            for (int j = 0; j < p; j++) w[j] = -w[j];
        a_v(Xk, w, n, p, t);
        const double tt = dot(t, t, n);
        if (!(tt > 0)) break;
        double *pa = P + (size_t)a * p, *qa = Q + (size_t)a * q;
        at_v(Xk, t, n, p, pa);
        at_v(Yk, t, n, q, qa);
        for (int j = 0; j < p; j++) pa[j] /= tt;
        for (int j = 0; j < q; j++) qa[j] /= tt;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) Xk[(size_t)i * p + j] -= t[i] * pa[j];
            for (int j = 0; j < q; j++) Yk[(size_t)i * q + j] -= t[i] * qa[j];
        }
        memcpy(W + (size_t)a * p, w, (size_t)p * sizeof *w);
    }
    m->used = a;
    if (a > 0) {
        /* PW [a, a] = P'W (components as rows of P and W here) */
        double *PW = dalloc((size_t)a * a), *PWi = dalloc((size_t)a * a), *R = dalloc((size_t)p * a);
        for (int i = 0; i < a; i++)
            for (int j = 0; j < a; j++) PW[(size_t)i * a + j] = dot(P + (size_t)i * p, W + (size_t)j * p, p);
        pinv_square(PW, a, PWi);
        /* R [p, a] = W_cols PWi, with W_cols [p, a] the weights as columns */
        for (int r = 0; r < p; r++)
            for (int j = 0; j < a; j++) {
                double s = 0;
                for (int k = 0; k < a; k++) s += W[(size_t)k * p + r] * PWi[(size_t)k * a + j];
                R[(size_t)r * a + j] = s;
            }
        for (int r = 0; r < p; r++)
            for (int j = 0; j < q; j++) {
                double s = 0;
                for (int k = 0; k < a; k++) s += R[(size_t)r * a + k] * Q[(size_t)k * q + j];
                m->coef[(size_t)r * q + j] = s;
            }
        free(PW), free(PWi), free(R);
    }
    free(Xk), free(Yk), free(W), free(P), free(Q), free(w), free(w_old), free(t), free(u), free(c);
    return 0;
}

void ph_pls_predict(const ph_pls *m, const double *X, int n, double *Y)
{
    double *xc = dalloc((size_t)m->p);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < m->p; j++) xc[j] = X[(size_t)i * m->p + j] - m->x_mean[j];
        for (int k = 0; k < m->q; k++) Y[(size_t)i * m->q + k] = m->y_mean[k];
        for (int j = 0; j < m->p; j++) {
            const double v = xc[j];
            const double *row = m->coef + (size_t)j * m->q;
            for (int k = 0; k < m->q; k++) Y[(size_t)i * m->q + k] += v * row[k];
        }
    }
    free(xc);
}

void ph_pls_free(ph_pls *m)
{
    free(m->coef), free(m->x_mean), free(m->y_mean);
    memset(m, 0, sizeof *m);
}
