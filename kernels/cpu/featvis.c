/* featvis.c: CPU ops of feature visualisation: crops resampled to the model's
 * input (TensorFlow's crop_and_resize) and its adjoint, and the NAdam step. */
#include "cpu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Source position of output index o of `out` along an axis of `in` pixels for
 * the box edges a, b (crop_and_resize's rule); -1 when it lies outside. */
static float crop_src(float a, float b, int in, int out, int o)
{
    float p = out > 1 ? a * (float)(in - 1) + (float)o * ((b - a) * (float)(in - 1) / (float)(out - 1))
                      : 0.5f * (a + b) * (float)(in - 1);
    return p < 0 || p > (float)(in - 1) ? -1.0f : p;
}

static int crop_check(size_t planes, int h, int w, const float *boxes, int nbox, int oh, int ow,
                      char *why, size_t n)
{
    if (h < 1 || w < 1 || oh < 1 || ow < 1 || nbox < 0 || (nbox && !boxes) || !planes)
        return snprintf(why, n, "crop_resize: bad geometry (%zu planes %dx%d, %d boxes to %dx%d)",
                        planes, h, w, nbox, oh, ow), -1;
    return 0;
}

int ph_cpu_crop_resize_forward(const float *x, float *y, size_t planes, int h, int w,
                               const float *boxes, int nbox, int oh, int ow, char *why, size_t n)
{
    if (crop_check(planes, h, w, boxes, nbox, oh, ow, why, n)) return -1;
    const size_t rows = (size_t)nbox * planes * oh;
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        const int i = (int)(r % oh), b = (int)(r / oh / planes);
        const size_t p = r / oh % planes;
        const float *bx = boxes + 4 * b, *px = x + p * (size_t)h * w;
        float *out = y + r * ow;
        const float sy = crop_src(bx[0], bx[2], h, oh, i);
        if (sy < 0) {
            memset(out, 0, (size_t)ow * sizeof *out);
            continue;
        }
        const int y0 = (int)floorf(sy), y1 = (int)ceilf(sy);
        const float ly = sy - (float)y0;
        for (int j = 0; j < ow; j++) {
            const float sx = crop_src(bx[1], bx[3], w, ow, j);
            if (sx < 0) {
                out[j] = 0;
                continue;
            }
            const int x0 = (int)floorf(sx), x1 = (int)ceilf(sx);
            const float lx = sx - (float)x0;
            const float top = px[y0 * w + x0] + (px[y0 * w + x1] - px[y0 * w + x0]) * lx;
            const float bot = px[y1 * w + x0] + (px[y1 * w + x1] - px[y1 * w + x0]) * lx;
            out[j] = top + (bot - top) * ly;
        }
    }
    return 0;
}

int ph_cpu_crop_resize_backward(const float *dy, float *dx, size_t planes, int h, int w,
                                const float *boxes, int nbox, int oh, int ow, char *why, size_t n)
{
    if (crop_check(planes, h, w, boxes, nbox, oh, ow, why, n)) return -1;
    /* One plane per thread, boxes and pixels in order: a fixed summation order
     * whatever the thread count. */
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < planes; p++) {
        float *px = dx + p * (size_t)h * w;
        memset(px, 0, (size_t)h * w * sizeof *px);
        for (int b = 0; b < nbox; b++) {
            const float *bx = boxes + 4 * b;
            for (int i = 0; i < oh; i++) {
                const float sy = crop_src(bx[0], bx[2], h, oh, i);
                if (sy < 0) continue;
                const int y0 = (int)floorf(sy), y1 = (int)ceilf(sy);
                const float ly = sy - (float)y0;
                const float *g = dy + (((size_t)b * planes + p) * oh + i) * ow;
                for (int j = 0; j < ow; j++) {
                    const float sx = crop_src(bx[1], bx[3], w, ow, j);
                    if (sx < 0) continue;
                    const int x0 = (int)floorf(sx), x1 = (int)ceilf(sx);
                    const float lx = sx - (float)x0, top = (1 - ly) * g[j], bot = ly * g[j];
                    px[y0 * w + x0] += (1 - lx) * top;
                    px[y0 * w + x1] += lx * top;
                    px[y1 * w + x0] += (1 - lx) * bot;
                    px[y1 * w + x1] += lx * bot;
                }
            }
        }
    }
    return 0;
}

int ph_cpu_nadam_update(float *param, const float *grad, float *m, float *v, size_t count,
                        float beta1, float beta2, float eps, float cg, float cm, float bc2,
                        char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) {
        const float g = grad[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        const float d = sqrtf(v[i] / bc2) + eps;
        float p = param[i] - cg * g / d;
        param[i] = p - cm * m[i] / d;
    }
    return 0;
}
