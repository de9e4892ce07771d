/* norm.c: CPU normalisation (batch, group and instance norm) statistics,
 * forward and backward.  x is [N, C, S]; see ph_norm_shape for which
 * elements share a statistic.  Sums accumulate in double per statistic in a
 * fixed order, so results do not depend on the thread count. */
#include "cpu.h"

#include <string.h>

/* Statistic k covers the (sample i, channel c) planes i0 <= i < i1, c0 <= c < c1:
 * batch norm k = c over all samples; group norm k = i G + g over the group's channels. */
typedef struct {
    int i0, i1, c0, c1;
} stat_range;

static stat_range range_of(const ph_norm_shape *s, size_t k)
{
    if (!s->groups) return (stat_range){0, s->n, (int)k, (int)k + 1};
    int i = (int)(k / (size_t)s->groups), g = (int)(k % (size_t)s->groups), cg = s->c / s->groups;
    return (stat_range){i, i + 1, g * cg, (g + 1) * cg};
}

static inline size_t stat_of(const ph_norm_shape *s, int i, int c)
{
    return s->groups ? (size_t)i * s->groups + (size_t)(c / (s->c / s->groups)) : (size_t)c;
}

int ph_cpu_norm_moments(const ph_norm_shape *s, const float *x, double *sum, double *sumsq,
                        char *why, size_t n)
{
    (void)why, (void)n;
    const size_t K = ph_norm_stat_count(s);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < K; k++) {
        double a = 0, b = 0;
        stat_range r = range_of(s, k);
        for (int i = r.i0; i < r.i1; i++)
            for (int c = r.c0; c < r.c1; c++) {
                const float *p = x + ((size_t)i * s->c + c) * s->s;
                for (size_t j = 0; j < s->s; j++) a += p[j], b += (double)p[j] * p[j];
            }
        sum[k] = a, sumsq[k] = b;
    }
    return 0;
}

int ph_cpu_norm_forward(const ph_norm_shape *s, const float *x, const float *mean,
                        const float *rstd, const float *gamma, const float *beta, float *y,
                        char *why, size_t n)
{
    (void)why, (void)n;
    const size_t planes = (size_t)s->n * s->c;
#pragma omp parallel for schedule(static)
    for (size_t pl = 0; pl < planes; pl++) {
        int i = (int)(pl / s->c), c = (int)(pl % s->c);
        size_t k = stat_of(s, i, c);
        float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        float scale = rstd[k] * g, shift = b - mean[k] * scale;
        const float *px = x + pl * s->s;
        float *py = y + pl * s->s;
        for (size_t j = 0; j < s->s; j++) py[j] = px[j] * scale + shift;
    }
    return 0;
}

int ph_cpu_norm_backward_sums(const ph_norm_shape *s, const float *x, const float *dy,
                              const float *mean, const float *rstd, const float *gamma,
                              double *sum_g, double *sum_gx, float *dgamma, float *dbeta,
                              char *why, size_t n)
{
    (void)why, (void)n;
    const size_t K = ph_norm_stat_count(s);
    /* Batch norm: statistic k is channel k, so one pass gives the per-channel
     * sums of dy and dy xhat, and the gamma-weighted ones from them. */
    const int per_channel = !s->groups;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < K; k++) {
        double a = 0, b = 0;
        stat_range r = range_of(s, k);
        for (int i = r.i0; i < r.i1; i++)
            for (int c = r.c0; c < r.c1; c++) {
                size_t pl = (size_t)i * s->c + c;
                double g = per_channel || !gamma ? 1.0 : gamma[c];
                for (size_t j = 0; j < s->s; j++) {
                    double d = g * dy[pl * s->s + j];
                    a += d, b += d * (x[pl * s->s + j] - mean[k]) * rstd[k];
                }
            }
        if (per_channel) {
            double g = gamma ? gamma[k] : 1.0;
            if (dbeta) dbeta[k] = (float)a;
            if (dgamma) dgamma[k] = (float)b;
            a *= g, b *= g;
        }
        sum_g[k] = a, sum_gx[k] = b;
    }
    if (!per_channel && (dgamma || dbeta)) {
#pragma omp parallel for schedule(static)
        for (int c = 0; c < s->c; c++) {
            double a = 0, b = 0;
            for (int i = 0; i < s->n; i++) {
                size_t pl = (size_t)i * s->c + c, k = stat_of(s, i, c);
                for (size_t j = 0; j < s->s; j++) {
                    double d = dy[pl * s->s + j];
                    a += d * (x[pl * s->s + j] - mean[k]) * rstd[k], b += d;
                }
            }
            if (dgamma) dgamma[c] = (float)a;
            if (dbeta) dbeta[c] = (float)b;
        }
    }
    return 0;
}

int ph_cpu_norm_backward_apply(const ph_norm_shape *s, const float *x, const float *dy,
                               const float *mean, const float *rstd, const float *gamma,
                               const float *a, const float *b, float *dx, char *why, size_t n)
{
    (void)why, (void)n;
    const size_t planes = (size_t)s->n * s->c;
#pragma omp parallel for schedule(static)
    for (size_t pl = 0; pl < planes; pl++) {
        int i = (int)(pl / s->c), c = (int)(pl % s->c);
        size_t k = stat_of(s, i, c);
        float g = gamma ? gamma[c] : 1.0f;
        for (size_t j = 0; j < s->s; j++) {
            size_t e = pl * s->s + j;
            float xhat = (x[e] - mean[k]) * rstd[k];
            dx[e] = rstd[k] * (g * dy[e] - a[k] - xhat * b[k]);
        }
    }
    return 0;
}
