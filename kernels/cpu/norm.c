/* norm.c: CPU normalisation (batch, group and instance norm) statistics,
 * forward and backward.  x is [N, C, S]; see ph_norm_shape for which
 * elements share a statistic.  Sums accumulate in double per statistic in a
 * fixed order, so results do not depend on the thread count: element j of a
 * plane goes to partial sum j % LANES, and the partial sums are added in
 * order at the end.  Independent partial sums let the additions overlap (and
 * vectorise) instead of each waiting for the one before. */
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

enum { LANES = 8 };

/* a[l] += x[j], b[l] += x[j]^2 for j % LANES == l */
static inline void lanes_moments(const float *restrict x, size_t count, double *restrict a, double *restrict b)
{
    size_t j = 0;
    for (; j + LANES <= count; j += LANES)
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
            const double v = x[j + l];
            a[l] += v, b[l] += v * v;
        }
    for (int l = 0; j < count; j++, l++) {
        const double v = x[j];
        a[l] += v, b[l] += v * v;
    }
}

/* with d = g dy[j]: a[l] += d, b[l] += d (x[j] - mean) rstd, for j % LANES == l */
static inline void lanes_grad_sums(const float *restrict dy, const float *restrict x, double g, float mean,
                                   float rstd, size_t count, double *restrict a, double *restrict b)
{
    size_t j = 0;
    for (; j + LANES <= count; j += LANES)
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
            const double d = g * dy[j + l];
            a[l] += d, b[l] += d * (x[j + l] - mean) * rstd;
        }
    for (int l = 0; j < count; j++, l++) {
        const double d = g * dy[j];
        a[l] += d, b[l] += d * (x[j] - mean) * rstd;
    }
}

static inline double lanes_total(const double *v)
{
    double t = 0;
    for (int l = 0; l < LANES; l++) t += v[l];
    return t;
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
        double a[LANES] = {0}, b[LANES] = {0};
        stat_range r = range_of(s, k);
        for (int i = r.i0; i < r.i1; i++)
            for (int c = r.c0; c < r.c1; c++) lanes_moments(x + ((size_t)i * s->c + c) * s->s, s->s, a, b);
        sum[k] = lanes_total(a), sumsq[k] = lanes_total(b);
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
        float *py = y + pl * s->s; /* may be x: element j reads before it writes */
#pragma omp simd
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
        double la[LANES] = {0}, lb[LANES] = {0};
        stat_range r = range_of(s, k);
        for (int i = r.i0; i < r.i1; i++)
            for (int c = r.c0; c < r.c1; c++) {
                size_t pl = (size_t)i * s->c + c;
                double g = per_channel || !gamma ? 1.0 : gamma[c];
                lanes_grad_sums(dy + pl * s->s, x + pl * s->s, g, mean[k], rstd[k], s->s, la, lb);
            }
        double a = lanes_total(la), b = lanes_total(lb);
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
            double la[LANES] = {0}, lb[LANES] = {0};
            for (int i = 0; i < s->n; i++) {
                size_t pl = (size_t)i * s->c + c, k = stat_of(s, i, c);
                lanes_grad_sums(dy + pl * s->s, x + pl * s->s, 1.0, mean[k], rstd[k], s->s, lb, la);
            }
            if (dgamma) dgamma[c] = (float)lanes_total(la);
            if (dbeta) dbeta[c] = (float)lanes_total(lb);
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
        const float g = gamma ? gamma[c] : 1.0f, m = mean[k], r = rstd[k], ak = a[k], bk = b[k];
        const float *px = x + pl * s->s, *pdy = dy + pl * s->s;
        float *pdx = dx + pl * s->s; /* may be dy */
#pragma omp simd
        for (size_t j = 0; j < s->s; j++) {
            float xhat = (px[j] - m) * r;
            pdx[j] = r * (g * pdy[j] - ak - xhat * bk);
        }
    }
    return 0;
}
