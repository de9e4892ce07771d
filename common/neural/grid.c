/* grid.c: resampling a feature map onto the predictivity grid (grid.h). */
#include "grid.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per output index along one axis: a weighted sum of at most `span` inputs.
 * Up (size <= g): two taps of the bilinear rule; down: the bin's mean. */
typedef struct {
    int lo, count;   /* first input index and how many */
    float w0, w1;    /* bilinear: weights of lo and lo + 1 (count 2) */
} axis_tap;

static void axis_taps(int size, int g, axis_tap *t)
{
    for (int o = 0; o < g; o++) {
        if (size <= g) {
            /* TF2 tf.image.resize bilinear: half-pixel centres, edges clamped */
            double src = (o + 0.5) * (double)size / g - 0.5;
            if (src < 0) src = 0;
            int i0 = (int)floor(src);
            if (i0 > size - 1) i0 = size - 1;
            int i1 = i0 + 1 < size ? i0 + 1 : size - 1;
            float f = (float)(src - i0);
            t[o] = (axis_tap){i0, i1 == i0 ? 1 : 2, i1 == i0 ? 1.0f : 1.0f - f, f};
        } else {
            int a = (int)((double)o * size / g), b = (int)((double)(o + 1) * size / g);
            t[o] = (axis_tap){a, b - a, 0, 0};
        }
    }
}

/* The value of output (oy, ox) of channel plane p [h, w]. */
static float cell(const float *p, int w, const axis_tap *ty, const axis_tap *tx, int up_y, int up_x)
{
    double s = 0;
    if (up_y && up_x) {
        double wy[2] = {ty->w0, ty->w1}, wx[2] = {tx->w0, tx->w1};
        for (int a = 0; a < ty->count; a++)
            for (int b = 0; b < tx->count; b++) s += wy[a] * wx[b] * p[(size_t)(ty->lo + a) * w + tx->lo + b];
        return (float)s;
    }
    if (up_y) { /* rows bilinear, columns pooled */
        double wy[2] = {ty->w0, ty->w1};
        for (int a = 0; a < ty->count; a++) {
            double r = 0;
            for (int b = 0; b < tx->count; b++) r += p[(size_t)(ty->lo + a) * w + tx->lo + b];
            s += wy[a] * r / tx->count;
        }
        return (float)s;
    }
    if (up_x) {
        double wx[2] = {tx->w0, tx->w1};
        for (int b = 0; b < tx->count; b++) {
            double r = 0;
            for (int a = 0; a < ty->count; a++) r += p[(size_t)(ty->lo + a) * w + tx->lo + b];
            s += wx[b] * r / ty->count;
        }
        return (float)s;
    }
    for (int a = 0; a < ty->count; a++)
        for (int b = 0; b < tx->count; b++) s += p[(size_t)(ty->lo + a) * w + tx->lo + b];
    return (float)(s / ((double)ty->count * tx->count));
}

void ph_grid_resample(const float *act, int c, int h, int w, int g, float *out)
{
    axis_tap *ty = malloc((size_t)g * sizeof *ty), *tx = malloc((size_t)g * sizeof *tx);
    PH_CHECK_ALLOC(ty && tx, "resampling features onto the grid");
    axis_taps(h, g, ty), axis_taps(w, g, tx);
    for (int ch = 0; ch < c; ch++) {
        const float *p = act + (size_t)ch * h * w;
        for (int oy = 0; oy < g; oy++)
            for (int ox = 0; ox < g; ox++)
                out[((size_t)oy * g + ox) * c + ch] = cell(p, w, &ty[oy], &tx[ox], h <= g, w <= g);
    }
    free(ty), free(tx);
}

void ph_grid_minmax(float *x, size_t n)
{
    if (!n) return;
    float lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) lo = x[i] < lo ? x[i] : lo, hi = x[i] > hi ? x[i] : hi;
    if (!(hi > lo)) {
        memset(x, 0, n * sizeof *x);
        return;
    }
    /* two steps, as the original: subtract, then divide by the new maximum */
    float top = hi - lo;
    for (size_t i = 0; i < n; i++) x[i] = (x[i] - lo) / top;
}

int ph_grid_channel_group(int c)
{
    if (c <= 600) return 1;
    return c % 3 == 0 ? 3 : c % 4 == 0 ? 4 : 0;
}

void ph_grid_group_channels(const float *x, size_t cells, int c, int g, float *out)
{
    const int oc = c / g;
    /* in order: each output precedes (or is) the inputs it reads, so out may be x */
    for (size_t v = 0; v < cells; v++)
        for (int k = 0; k < oc; k++) {
            double s = 0;
            for (int j = 0; j < g; j++) s += x[v * c + (size_t)k * g + j];
            out[v * oc + k] = (float)(s / g);
        }
}
