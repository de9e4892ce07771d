/* loss.c: the pyramidal harmonization loss and its gradient (loss.h). */
#include "loss.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ph_harm_rescale_names[PH_HARM_RESCALE_COUNT] = {"package", "tpu"};

/* standardize_cut's epsilon (TF code: epsilon=1e-5 added to the std) */
static const double std_eps = 1e-5;
static const double binomial[5] = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};

static double *harm_alloc(size_t count)
{
    double *p = calloc(count ? count : 1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating the harmonization loss");
    return p;
}

void ph_harm_loss_init(ph_harm_loss *l, int n, int h, int w, int batch, int levels,
                       ph_harm_rescale rescale)
{
    memset(l, 0, sizeof *l);
    char why[160];
    snprintf(why, sizeof why, "n %d, %d x %d maps, batch %d, levels %d, rescale %d", n, h, w,
             batch, levels, (int)rescale);
    if (n < 1 || h < 1 || w < 1 || batch < n || levels < 1 || levels > PH_HARM_MAX_LEVELS ||
        (unsigned)rescale >= PH_HARM_RESCALE_COUNT)
        PH_FAIL("setting up the harmonization loss", why,
                "need n, h, w >= 1, batch >= n, 1 <= levels <= 8 and a known rescale");
    l->n = n, l->h = h, l->w = w, l->batch = batch, l->levels = levels, l->rescale = rescale;
    size_t hw = (size_t)h * w;
    l->z = harm_alloc((size_t)n * hw);
    l->acc = harm_alloc((size_t)n * hw);
    l->tmp = harm_alloc((size_t)n * hw);
    l->mean = harm_alloc((size_t)n);
    l->std = harm_alloc((size_t)n);
    l->token = harm_alloc((size_t)n);
    for (int k = 0; k < levels; k++) {
        l->lh[k] = k ? ph_harm_pyramid_next(l->lh[k - 1]) : h;
        l->lw[k] = k ? ph_harm_pyramid_next(l->lw[k - 1]) : w;
        l->ps[k] = harm_alloc((size_t)n * l->lh[k] * l->lw[k]);
        l->ph[k] = harm_alloc((size_t)n * l->lh[k] * l->lw[k]);
    }
}

void ph_harm_loss_free(ph_harm_loss *l)
{
    free(l->z), free(l->acc), free(l->tmp), free(l->mean), free(l->std), free(l->token);
    for (int k = 0; k < l->levels; k++) free(l->ps[k]), free(l->ph[k]);
    memset(l, 0, sizeof *l);
}

void ph_harm_standardize_cut(const double *x, size_t count, double *y, double *z,
                             double *mean, double *std)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < count; i++) m += x[i];
    m /= (double)count;
    for (size_t i = 0; i < count; i++) v += (x[i] - m) * (x[i] - m);
    double sd = sqrt(v / (double)count);
    for (size_t i = 0; i < count; i++) {
        double zi = (x[i] - m) / (sd + std_eps);
        if (z) z[i] = zi;
        y[i] = zi > 0 ? zi : 0;
    }
    if (mean) *mean = m;
    if (std) *std = sd;
}

/* z = (x - m) / (sd + e) with m and sd functions of x:
 *   dL/dx_i = (gz_i - mean gz) / (sd + e)
 *             - (sum_j gz_j (x_j - m)) (x_i - m) / (count sd (sd + e)^2),
 * gz = dy where z > 0 (TF's ReLU has gradient 0 at 0).  A constant map
 * (sd = 0) has no derivative of sd; its second term is taken as 0. */
void ph_harm_standardize_cut_backward(const double *x, const double *z, size_t count,
                                      double mean, double std, const double *dy, double *dx)
{
    double gsum = 0, gdot = 0;
    for (size_t i = 0; i < count; i++) {
        double gz = z[i] > 0 ? dy[i] : 0;
        gsum += gz, gdot += gz * (x[i] - mean);
    }
    double gmean = gsum / (double)count, d = std + std_eps;
    double c2 = std > 0 ? gdot / ((double)count * std * d * d) : 0;
    for (size_t i = 0; i < count; i++) {
        double gz = z[i] > 0 ? dy[i] : 0;
        dx[i] = (gz - gmean) / d - c2 * (x[i] - mean);
    }
}

int ph_harm_pyramid_next(int n) { return (n + 1) / 2; }

/* TF "SAME" for a 5-tap kernel at stride 2: total padding so that
 * ceil(n/2) outputs fit, the smaller half before. */
static int same_pad_before(int n)
{
    int out = ph_harm_pyramid_next(n), total = (out - 1) * 2 + 5 - n;
    return total > 0 ? total / 2 : 0;
}

void ph_harm_pyramid_down(const double *x, int h, int w, double *y)
{
    int oh = ph_harm_pyramid_next(h), ow = ph_harm_pyramid_next(w);
    int ph = same_pad_before(h), pw = same_pad_before(w);
    for (int r = 0; r < oh; r++)
        for (int c = 0; c < ow; c++) {
            double s = 0;
            for (int a = 0; a < 5; a++) {
                int i = 2 * r - ph + a;
                if (i < 0 || i >= h) continue;
                for (int b = 0; b < 5; b++) {
                    int j = 2 * c - pw + b;
                    if (j >= 0 && j < w) s += binomial[a] * binomial[b] * x[(size_t)i * w + j];
                }
            }
            y[(size_t)r * ow + c] = s;
        }
}

void ph_harm_pyramid_down_backward(const double *dy, int h, int w, double *dx)
{
    int oh = ph_harm_pyramid_next(h), ow = ph_harm_pyramid_next(w);
    int ph = same_pad_before(h), pw = same_pad_before(w);
    for (int r = 0; r < oh; r++)
        for (int c = 0; c < ow; c++) {
            double g = dy[(size_t)r * ow + c];
            for (int a = 0; a < 5; a++) {
                int i = 2 * r - ph + a;
                if (i < 0 || i >= h) continue;
                for (int b = 0; b < 5; b++) {
                    int j = 2 * c - pw + b;
                    if (j >= 0 && j < w) dx[(size_t)i * w + j] += binomial[a] * binomial[b] * g;
                }
            }
        }
}

static double map_max(const double *x, size_t count)
{
    double m = -INFINITY;
    for (size_t i = 0; i < count; i++) m = fmax(m, x[i]);
    return m;
}

double ph_harm_loss_forward(ph_harm_loss *l, const float *sal, const float *human,
                            const float *token)
{
    size_t hw = (size_t)l->h * l->w;
    double *x = l->tmp, *hcut = l->acc; /* acc is free until backward */
    for (int b = 0; b < l->n; b++) {
        double *s0 = l->ps[0] + b * hw, *h0 = l->ph[0] + b * hw;
        l->token[b] = token ? token[b] : 1.0;
        /* step 4; the saliency input stays in tmp for backward */
        for (size_t i = 0; i < hw; i++) x[b * hw + i] = sal[b * hw + i];
        ph_harm_standardize_cut(x + b * hw, hw, s0, l->z + b * hw, &l->mean[b], &l->std[b]);
        for (size_t i = 0; i < hw; i++) hcut[i] = human[b * hw + i];
        ph_harm_standardize_cut(hcut, hw, h0, NULL, NULL, NULL);
        /* step 5: the human map to the saliency's scale; constants, no gradient */
        double hmax = map_max(h0, hw), smax = map_max(s0, hw), f;
        if (l->rescale == PH_HARM_RESCALE_PACKAGE) f = (smax + 1e-6) / (hmax + 1e-6);
        else f = smax / (fmax(hmax, 0) + 1e-4);
        for (size_t i = 0; i < hw; i++) h0[i] *= f;
        /* step 6 */
        for (int k = 1; k < l->levels; k++) {
            size_t prev = (size_t)l->lh[k - 1] * l->lw[k - 1], cur = (size_t)l->lh[k] * l->lw[k];
            ph_harm_pyramid_down(l->ps[k - 1] + b * prev, l->lh[k - 1], l->lw[k - 1], l->ps[k] + b * cur);
            ph_harm_pyramid_down(l->ph[k - 1] + b * prev, l->lh[k - 1], l->lw[k - 1], l->ph[k] + b * cur);
        }
    }
    /* steps 7 and 8 */
    double total = 0;
    for (int k = 0; k < l->levels; k++) {
        size_t cur = (size_t)l->lh[k] * l->lw[k];
        double d = 0;
        for (int b = 0; b < l->n; b++) {
            double e = 0;
            for (size_t i = 0; i < cur; i++) {
                double diff = l->ps[k][b * cur + i] - l->ph[k][b * cur + i];
                e += diff * diff;
            }
            d += l->token[b] * e;
        }
        l->level_loss[k] = d / ((double)l->batch * (double)cur);
        total += l->level_loss[k];
    }
    return total / l->levels;
}

void ph_harm_loss_backward(ph_harm_loss *l, float *dsal)
{
    size_t hw = (size_t)l->h * l->w;
    double *g = harm_alloc(hw), *up = harm_alloc(hw), *dx = harm_alloc(hw);
    for (int b = 0; b < l->n; b++) {
        /* from the top level down: g_{k-1} = dD/dP_{k-1} + down^T g_k */
        memset(up, 0, hw * sizeof *up);
        for (int k = l->levels - 1; k >= 0; k--) {
            size_t cur = (size_t)l->lh[k] * l->lw[k];
            double c = 2.0 * l->token[b] / ((double)l->levels * l->batch * (double)cur);
            for (size_t i = 0; i < cur; i++)
                g[i] = up[i] + c * (l->ps[k][b * cur + i] - l->ph[k][b * cur + i]);
            if (k) {
                size_t below = (size_t)l->lh[k - 1] * l->lw[k - 1];
                memset(up, 0, below * sizeof *up);
                ph_harm_pyramid_down_backward(g, l->lh[k - 1], l->lw[k - 1], up);
            }
        }
        ph_harm_standardize_cut_backward(l->tmp + b * hw, l->z + b * hw, hw, l->mean[b],
                                         l->std[b], g, dx);
        for (size_t i = 0; i < hw; i++) dsal[b * hw + i] = (float)dx[i];
    }
    free(g), free(up), free(dx);
}
