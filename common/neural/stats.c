/* stats.c: Pearson r, medians over defined values, reliability (stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

/* Two passes (means, then centred sums) in double, as numpy does it. */
#define PEARSON_BODY(T)                                                       \
    if (n < 2) return NAN;                                                    \
    double mx = 0, my = 0;                                                    \
    for (size_t i = 0; i < n; i++) mx += x[i * sx], my += y[i * sy];          \
    mx /= (double)n, my /= (double)n;                                         \
    double sxy = 0, sxx = 0, syy = 0;                                         \
    for (size_t i = 0; i < n; i++) {                                          \
        double a = (double)x[i * sx] - mx, b = (double)y[i * sy] - my;        \
        sxy += a * b, sxx += a * a, syy += b * b;                             \
    }                                                                         \
    if (!(sxx > 0) || !(syy > 0)) return NAN;                                 \
    double r = sxy / sqrt(sxx * syy);                                         \
    return r > 1 ? 1 : r < -1 ? -1 : r;

double ph_pearson(const double *x, size_t sx, const double *y, size_t sy, size_t n) { PEARSON_BODY(double) }
double ph_pearson_f(const float *x, size_t sx, const float *y, size_t sy, size_t n) { PEARSON_BODY(float) }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ph_median_finite(double *v, size_t n, size_t *left_out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) v[m++] = v[i];
    if (left_out) *left_out = n - m;
    if (!m) return NAN;
    qsort(v, m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

double ph_ceiling_max_pair(const float *maps, size_t cells, int k)
{
    double best = NAN;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            double r = ph_pearson_f(maps + i, (size_t)k, maps + j, (size_t)k, cells);
            if (!isnan(r) && (isnan(best) || r > best)) best = r;
        }
    return best;
}

double ph_split_half(const float *a, size_t sa, const float *b, size_t sb, size_t n)
{
    double r = ph_pearson_f(a, sa, b, sb, n);
    if (isnan(r) || r <= -1) return NAN;
    return 2 * r / (1 + r);
}
