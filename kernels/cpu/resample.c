/* resample.c: CPU bilinear resize with half-pixel centres (align_corners =
 * false, edges clamped, no antialias: PyTorch's F.interpolate bilinear). */
#include "cpu.h"

#include <string.h>

/* Source position of output index o: two taps and the second tap's weight. */
static void taps(int o, int in, int out, int *i0, int *i1, float *w1)
{
    float src = ((float)o + 0.5f) * (float)in / (float)out - 0.5f;
    if (src < 0) src = 0;
    int lo = (int)src;
    if (lo > in - 1) lo = in - 1;
    *i0 = lo, *i1 = lo + 1 < in ? lo + 1 : in - 1, *w1 = src - (float)lo;
}

int ph_cpu_resize_forward(const float *x, float *y, size_t planes, int ih, int iw, int oh, int ow,
                          char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < planes; p++) {
        const float *px = x + p * (size_t)ih * iw;
        for (int r = 0; r < oh; r++) {
            int r0, r1;
            float wr;
            taps(r, ih, oh, &r0, &r1, &wr);
            for (int c = 0; c < ow; c++) {
                int c0, c1;
                float wc;
                taps(c, iw, ow, &c0, &c1, &wc);
                float top = px[r0 * iw + c0] * (1 - wc) + px[r0 * iw + c1] * wc;
                float bot = px[r1 * iw + c0] * (1 - wc) + px[r1 * iw + c1] * wc;
                y[(p * oh + r) * ow + c] = top * (1 - wr) + bot * wr;
            }
        }
    }
    return 0;
}

int ph_cpu_resize_backward(const float *dy, float *dx, size_t planes, int ih, int iw, int oh,
                           int ow, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < planes; p++) { /* one plane per thread: a fixed scatter order */
        float *px = dx + p * (size_t)ih * iw;
        memset(px, 0, (size_t)ih * iw * sizeof *px);
        for (int r = 0; r < oh; r++) {
            int r0, r1;
            float wr;
            taps(r, ih, oh, &r0, &r1, &wr);
            for (int c = 0; c < ow; c++) {
                int c0, c1;
                float wc;
                taps(c, iw, ow, &c0, &c1, &wc);
                float g = dy[(p * oh + r) * ow + c];
                px[r0 * iw + c0] += g * (1 - wr) * (1 - wc);
                px[r0 * iw + c1] += g * (1 - wr) * wc;
                px[r1 * iw + c0] += g * wr * (1 - wc);
                px[r1 * iw + c1] += g * wr * wc;
            }
        }
    }
    return 0;
}
