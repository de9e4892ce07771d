/* clickme_map.c: resize, blur and rescale a region mask as ClickMe maps are
 * (harmonization.md §1-§2; written from the notes' description of the TF code). */
#include "clickme_map.h"

#include "../core/error.h"

#include <math.h>
#include <stdlib.h>

/* Source index pair and weight of output index o (TF's half-pixel scaler:
 * in = (o + 0.5) * scale - 0.5, indices clamped, weight from the unclamped floor). */
static void resize_weights(int o, int in_size, int out_size, int *lo, int *hi, double *frac)
{
    double scale = (double)in_size / (double)out_size;
    double x = ((double)o + 0.5) * scale - 0.5;
    double f = floor(x);
    *frac = x - f;
    *lo = f < 0 ? 0 : (int)f;
    int c = (int)ceil(x);
    *hi = c > in_size - 1 ? in_size - 1 : c;
    if (*lo > in_size - 1) *lo = in_size - 1;
}

void clickme_resize(const double *in, int ih, int iw, double *out, int oh, int ow)
{
    for (int i = 0; i < oh; i++) {
        int r0, r1;
        double fr;
        resize_weights(i, ih, oh, &r0, &r1, &fr);
        for (int j = 0; j < ow; j++) {
            int c0, c1;
            double fc;
            resize_weights(j, iw, ow, &c0, &c1, &fc);
            /* TF interpolates along columns first, then rows. */
            double top = in[(size_t)r0 * iw + c0] + (in[(size_t)r0 * iw + c1] - in[(size_t)r0 * iw + c0]) * fc;
            double bot = in[(size_t)r1 * iw + c0] + (in[(size_t)r1 * iw + c1] - in[(size_t)r1 * iw + c0]) * fc;
            out[(size_t)i * ow + j] = top + (bot - top) * fr;
        }
    }
}

static double tap_row(int d) { return exp(-(double)(d * d) / (2.0 * CLICKME_SIGMA * CLICKME_SIGMA)); }
static double tap_col(int d) { return tap_row(d - 1); }

double clickme_tap(int dr, int dc)
{
    const int lo = -CLICKME_PAD_BEFORE, hi = CLICKME_TAPS - 1 - CLICKME_PAD_BEFORE;
    if (dr < lo || dr > hi || dc < lo || dc > hi) return 0;
    double sr = 0, sc = 0;
    for (int d = lo; d <= hi; d++) sr += tap_row(d), sc += tap_col(d);
    return tap_row(dr) * tap_col(dc) / (sr * sc);
}

void clickme_blur(const double *in, int h, int w, double *out)
{
    const int lo = -CLICKME_PAD_BEFORE, hi = CLICKME_TAPS - 1 - CLICKME_PAD_BEFORE;
    double k[CLICKME_TAPS][CLICKME_TAPS];
    for (int a = lo; a <= hi; a++)
        for (int b = lo; b <= hi; b++) k[a - lo][b - lo] = clickme_tap(a, b);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            double s = 0;
            for (int a = lo; a <= hi; a++) {
                int r = i + a;
                if (r < 0 || r >= h) continue;
                for (int b = lo; b <= hi; b++) {
                    int c = j + b;
                    if (c >= 0 && c < w) s += k[a - lo][b - lo] * in[(size_t)r * w + c];
                }
            }
            out[(size_t)i * w + j] = s;
        }
}

void clickme_map(const float *mask, int h, int w, float *out)
{
    const int g = CLICKME_GRID;
    size_t n = (size_t)h * (size_t)w;
    double *plane = calloc(n ? n : 1, sizeof *plane);
    double *small = malloc((size_t)g * g * sizeof *small);
    double *blurred = malloc((size_t)g * g * sizeof *blurred);
    double *back = malloc(n * sizeof *back);
    PH_CHECK_ALLOC(plane && small && blurred && back, "allocating a ClickMe map");
    for (size_t i = 0; i < n; i++) plane[i] = mask[i];
    clickme_resize(plane, h, w, small, g, g);
    clickme_blur(small, g, g, blurred);
    clickme_resize(blurred, g, g, back, h, w);
    double lo = back[0], hi = back[0];
    for (size_t i = 1; i < n; i++) lo = fmin(lo, back[i]), hi = fmax(hi, back[i]);
    for (size_t i = 0; i < n; i++) out[i] = hi > lo ? (float)((back[i] - lo) / (hi - lo)) : 0.0f;
    free(plane);
    free(small);
    free(blurred);
    free(back);
}
