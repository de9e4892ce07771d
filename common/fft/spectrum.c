/* spectrum.c: colour basis, mean magnitude spectra, resampling, Fourier scale
 * (spectrum.h).  Files are in spectrum_file.c. */
#include "spectrum.h"

#include "fft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double ph_colour_R[3][3] = {{0.56282854, 0.58447580, 0.58447580},
                                  {0.19482528, 0.0, -0.19482528},
                                  {0.04329450, -0.10823626, 0.06494176}};

void ph_colour_R_inverse(double inv[3][3])
{
    const double(*a)[3] = ph_colour_R;
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                 a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            /* cofactor of a[j][i] over det */
            int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            inv[i][j] = (a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0]) / det;
        }
}

static float *dev_alloc(const ph_backend *be, size_t count)
{
    float *p = be->alloc((count ? count : 1) * sizeof *p);
    if (!p) PH_FAIL("allocating spectrum buffers", "out of device memory", "use a smaller size or block");
    return p;
}

void ph_spectrum_acc_init(ph_spectrum_acc *a, const ph_backend *be, int c, int h, int w, int s,
                          int block)
{
    memset(a, 0, sizeof *a);
    if (c != 1 && c != 3) PH_FAIL("computing a spectrum", "images must have 1 or 3 channels", "use gray or RGB images");
    a->be = be, a->c = c, a->h = h, a->w = w, a->s = s, a->block = block;
    const int wc = s / 2 + 1;
    a->count = (size_t)c * s * wc;
    const size_t in = (size_t)block * c * h * w, sq = (size_t)block * c * s * s,
                 sp = (size_t)block * c * s * wc;
    a->sum = calloc(a->count, sizeof *a->sum);
    a->host = malloc(in * sizeof *a->host), a->hmag = malloc(sp * sizeof *a->hmag);
    PH_CHECK_ALLOC(a->sum && a->host && a->hmag, "allocating spectrum buffers");
    a->x = dev_alloc(be, in), a->xs = dev_alloc(be, sq), a->xd = dev_alloc(be, sq);
    a->re = dev_alloc(be, sp), a->im = dev_alloc(be, sp), a->mag = dev_alloc(be, sp);
    a->phase = dev_alloc(be, sp), a->rinv = dev_alloc(be, 9);
    double inv[3][3];
    ph_colour_R_inverse(inv);
    float rf[9];
    double most = 1;
    if (c == 3) {
        most = 0;
        for (int j = 0; j < 3; j++) {
            double col = 0;
            for (int i = 0; i < 3; i++) rf[3 * i + j] = (float)inv[i][j], col += fabs(inv[i][j]);
            most = col > most ? col : most;
        }
        PH_FFT_KERNEL(be, upload, "uploading the colour matrix", a->rinv, rf, sizeof rf);
    }
    /* Values in [0, 1], resized (a convex combination) and decorrelated: |X| <= s^2 max |d|. */
    a->bound = (double)s * s * most;
}

void ph_spectrum_acc_add(ph_spectrum_acc *a, const uint8_t *images, int k)
{
    const ph_backend *be = a->be;
    const int c = a->c, s = a->s, wc = s / 2 + 1;
    const size_t hw = (size_t)a->h * a->w, ss = (size_t)s * s;
    if (k < 1 || k > a->block) PH_FAIL("computing a spectrum", "bad batch size", "this is a bug");
    const double limit = 9.0e18 / ldexp(1.0, PH_SPECTRUM_FRAC_BITS);
    if ((double)(a->images + k) * a->bound > limit)
        PH_FAIL("summing magnitude spectra", "too many images for exact 64-bit fixed-point sums",
                "use fewer images or a smaller working size");
    /* [k, h, w, c] uint8 -> [k, c, h, w] in [0, 1] */
    for (int b = 0; b < k; b++)
        for (size_t p = 0; p < hw; p++)
            for (int ch = 0; ch < c; ch++)
                a->host[((size_t)b * c + ch) * hw + p] = images[((size_t)b * hw + p) * c + ch] / 255.0f;
    PH_FFT_KERNEL(be, upload, "uploading images", a->x, a->host, (size_t)k * c * hw * sizeof(float));
    PH_FFT_KERNEL(be, resize_forward, "resizing images", a->x, a->xs, (size_t)k * c, a->h, a->w, s, s);
    const float *planes = a->xs;
    if (c == 3) {
        for (int b = 0; b < k; b++)
            PH_FFT_KERNEL(be, sgemm, "decorrelating colours", 1, 0, 3, (int64_t)ss, 3, 1.0f, a->rinv, 3,
                          a->xs + (size_t)b * 3 * ss, (int64_t)ss, 0.0f, a->xd + (size_t)b * 3 * ss,
                          (int64_t)ss);
        planes = a->xd;
    }
    ph_fft_shape fs = {k * c, s, s};
    const size_t sp = (size_t)k * c * s * wc;
    ph_fft_rfft2(be, &fs, planes, a->re, a->im);
    PH_FFT_KERNEL(be, abs_arg_forward, "taking magnitudes", a->re, a->im, a->mag, a->phase, sp);
    PH_FFT_KERNEL(be, download, "downloading magnitudes", a->hmag, a->mag, sp * sizeof(float));
    /* In image order: the sum is exact, so the order does not matter, but it is fixed anyway. */
    for (int b = 0; b < k; b++) {
        const float *m = a->hmag + (size_t)b * a->count;
        for (size_t i = 0; i < a->count; i++)
            a->sum[i] += llrint(ldexp((double)m[i], PH_SPECTRUM_FRAC_BITS));
    }
    a->images += k;
}

void ph_spectrum_acc_free(ph_spectrum_acc *a)
{
    const ph_backend *be = a->be;
    be->free(a->x), be->free(a->xs), be->free(a->xd), be->free(a->re), be->free(a->im);
    be->free(a->mag), be->free(a->phase), be->free(a->rinv);
    free(a->sum), free(a->host), free(a->hmag);
    memset(a, 0, sizeof *a);
}

void ph_spectrum_mean(const int64_t *sum, int64_t n, size_t count, float *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = n > 0 ? (float)(ldexp((double)sum[i], -PH_SPECTRUM_FRAC_BITS) / (double)n) : 0.0f;
}

/* Linear interpolation of row r of src (one channel, [s, wc]) at column position fx. */
static double row_at(const float *src, int wc, int r, double fx)
{
    int x0 = (int)floor(fx);
    if (x0 < 0) x0 = 0;
    if (x0 > wc - 1) x0 = wc - 1;
    int x1 = x0 + 1 < wc ? x0 + 1 : wc - 1;
    double t = fx - x0;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return (1 - t) * src[(size_t)r * wc + x0] + t * src[(size_t)r * wc + x1];
}

void ph_spectrum_resample(const float *src, int c, int s, float *dst, int t)
{
    const int ws = s / 2 + 1, wt = t / 2 + 1;
    /* Source signed row frequencies run over [lo, hi]. */
    const int lo = -(s / 2), hi = (s - 1) / 2;
    const double r = (double)s / t;
    for (int ch = 0; ch < c; ch++) {
        const float *sp = src + (size_t)ch * s * ws;
        float *dp = dst + (size_t)ch * t * wt;
        for (int ky = 0; ky < t; ky++) {
            double fy = ph_fft_freq(ky, t) * r;
            if (fy < lo) fy = lo;
            if (fy > hi) fy = hi;
            int f0 = (int)floor(fy), f1 = f0 + 1 <= hi ? f0 + 1 : hi;
            double wy = fy - f0;
            int r0 = (f0 % s + s) % s, r1 = (f1 % s + s) % s;
            for (int kx = 0; kx < wt; kx++) {
                double fx = kx * r;
                double v = (1 - wy) * row_at(sp, ws, r0, fx) + wy * row_at(sp, ws, r1, fx);
                dp[(size_t)ky * wt + kx] = (float)v;
            }
        }
    }
}

void ph_spectrum_fourier_scale(int s, double decay, float *out)
{
    const int wc = s / 2 + 1;
    for (int ky = 0; ky < s; ky++)
        for (int kx = 0; kx < wc; kx++) {
            double fy = (double)ph_fft_freq(ky, s) / s, fx = (double)kx / s;
            double f = sqrt(fy * fy + fx * fx);
            if (f < 1.0 / s) f = 1.0 / s;
            out[(size_t)ky * wc + kx] = (float)(s / pow(f, decay));
        }
}
