/* synchrony.c: the CV-RNN's synchrony loss and its gradient (synchrony.h). */
#include "synchrony.h"

#include <math.h>

int ph_sync_group(uint8_t id)
{
    if (id == 0) return 0;
    if (id == 3) return 2;
    return id >= 4 ? 1 : -1;
}

/* Per group: the sums X_k, Y_k of synchrony.h and the pixel count n_k. */
static void group_sums(const float *theta, const uint8_t *ids, size_t s, double *x, double *y, double *n)
{
    for (int k = 0; k < PH_SYNC_GROUPS; k++) x[k] = y[k] = 1e-6 * (double)s, n[k] = 0;
    for (size_t p = 0; p < s; p++) {
        int k = ph_sync_group(ids[p]);
        if (k < 0) continue;
        double a = (double)theta[p] + M_PI;
        x[k] += cos(a), y[k] += sin(a), n[k] += 1;
    }
}

void ph_synchrony_stats(const float *theta, const uint8_t *ids, size_t s, ph_sync_stats *st)
{
    double x[PH_SYNC_GROUPS], y[PH_SYNC_GROUPS], n[PH_SYNC_GROUPS];
    group_sums(theta, ids, s, x, y, n);
    for (int k = 0; k < PH_SYNC_GROUPS; k++) {
        st->pixels[k] = (int)n[k];
        st->coherence[k] = n[k] > 0 ? sqrt(x[k] * x[k] + y[k] * y[k]) / n[k] : 0;
        st->phase[k] = atan2(y[k], x[k]) - M_PI; /* back to theta's frame */
        if (st->phase[k] < -M_PI) st->phase[k] += 2 * M_PI;
    }
    st->loss = ph_synchrony_loss(theta, ids, s, 1, NULL);
}

double ph_phase_distance(double a, double b)
{
    double d = fmod(fabs(a - b), 2 * M_PI);
    return d > M_PI ? 2 * M_PI - d : d;
}

double ph_synchrony_loss(const float *theta, const uint8_t *ids, size_t s, double scale,
                         float *grad)
{
    enum { K = PH_SYNC_GROUPS, M = K / 2 };
    double x[K], y[K], n[K];
    group_sums(theta, ids, s, x, y, n);
    double bound = 1, synch = 1, r[K], psi[K], dr[K], dpsi[K];
    for (int m = 1; m <= M; m++) bound += 0.5 * K / ((double)m * m);
    for (int k = 0; k < K; k++) {
        if (n[k] < 1) n[k] = 1;
        r[k] = sqrt(x[k] * x[k] + y[k] * y[k]);
        psi[k] = atan2(y[k], x[k]);
        synch -= r[k] / n[k] / K;
        dr[k] = -1.0 / (n[k] * K), dpsi[k] = 0;
    }
    double desynch = 0;
    for (int m = 1; m <= M; m++) {
        double sc = 0, ss = 0;
        for (int k = 0; k < K; k++) sc += cos(m * psi[k]), ss += sin(m * psi[k]);
        desynch += (sc * sc + ss * ss) / (2.0 * K * m * m);
        for (int k = 0; k < K; k++) dpsi[k] += (ss * cos(m * psi[k]) - sc * sin(m * psi[k])) / ((double)K * m);
    }
    if (grad) {
        /* dX/dtheta = -sin, dY/dtheta = cos; dr/dX = X/r, dpsi/dX = -Y/r^2 */
        double gx[K], gy[K];
        for (int k = 0; k < K; k++) {
            double r2 = r[k] * r[k];
            gx[k] = gy[k] = 0;
            if (r2 > 0) {
                gx[k] = dr[k] * x[k] / r[k] - dpsi[k] * y[k] / r2;
                gy[k] = dr[k] * y[k] / r[k] + dpsi[k] * x[k] / r2;
            }
        }
        for (size_t p = 0; p < s; p++) {
            int k = ph_sync_group(ids[p]);
            double a = (double)theta[p] + M_PI;
            grad[p] = k < 0 ? 0.0f : (float)(scale * (-gx[k] * sin(a) + gy[k] * cos(a)) / bound);
        }
    }
    return (synch + desynch) / bound;
}
