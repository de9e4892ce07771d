/* importance_map.c: resampling through the CPU backend's bilinear resize and the
 * blur through its convolution, so that no kernel is written twice. */
#include "importance_map.h"

#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ph_map_form_names[PH_MAP_FORM_COUNT] = {"clickme", "raw"};

void ph_clickme_kernel(float k[PH_CLICKME_TAPS * PH_CLICKME_TAPS])
{
    double sum = 0, v[PH_CLICKME_TAPS * PH_CLICKME_TAPS];
    for (int r = 0; r < PH_CLICKME_TAPS; r++)
        for (int c = 0; c < PH_CLICKME_TAPS; c++) {
            double dr = r - 4, dc = c - 4 - 1;
            v[r * PH_CLICKME_TAPS + c] = exp(-(dr * dr) / 200.0) * exp(-(dc * dc) / 200.0);
            sum += v[r * PH_CLICKME_TAPS + c];
        }
    for (int i = 0; i < PH_CLICKME_TAPS * PH_CLICKME_TAPS; i++) k[i] = (float)(v[i] / sum);
}

int ph_clickme_blur(const float *in, float *out, int planes, int h, int w, char *why, size_t n)
{
    const int before = 4, after = 5, ph = h + before + after, pw = w + before + after;
    float *pad = calloc((size_t)planes * ph * pw, sizeof *pad), k[PH_CLICKME_TAPS * PH_CLICKME_TAPS];
    if (!pad) {
        snprintf(why, n, "out of memory for %d padded maps of %dx%d", planes, ph, pw);
        return -1;
    }
    for (int p = 0; p < planes; p++)
        for (int y = 0; y < h; y++)
            memcpy(pad + ((size_t)p * ph + y + before) * pw + before, in + ((size_t)p * h + y) * w,
                   (size_t)w * sizeof *in);
    ph_clickme_kernel(k);
    /* The maps as a batch of one-channel images, pad 0: the padding is already there. */
    ph_conv_shape s = {.nsp = 2, .n = planes, .c = 1, .o = 1, .groups = 1, .in = {ph, pw},
                       .k = {PH_CLICKME_TAPS, PH_CLICKME_TAPS}, .stride = {1, 1}, .pad = {0, 0}, .dil = {1, 1}};
    int rc = ph_conv_shape_init(&s, why, n);
    if (!rc) rc = ph_backend_cpu.conv_forward(&s, pad, k, NULL, out, why, n);
    free(pad);
    return rc;
}

int ph_importance_map_prepare(const float *src, int h, int w, int oh, int ow, ph_map_form form, float *dst,
                              char *why, size_t n)
{
    if (form == PH_MAP_RAW) return ph_backend_cpu.resize_forward(src, dst, 1, h, w, oh, ow, why, n);
    enum { S = PH_CLICKME_SIDE };
    float small[S * S], blurred[S * S];
    if (ph_backend_cpu.resize_forward(src, small, 1, h, w, S, S, why, n) ||
        ph_clickme_blur(small, blurred, 1, S, S, why, n) ||
        ph_backend_cpu.resize_forward(blurred, dst, 1, S, S, oh, ow, why, n))
        return -1;
    float lo = dst[0], hi = dst[0];
    for (size_t i = 1; i < (size_t)oh * ow; i++) lo = fminf(lo, dst[i]), hi = fmaxf(hi, dst[i]);
    for (size_t i = 0; i < (size_t)oh * ow; i++) dst[i] = hi > lo ? (dst[i] - lo) / (hi - lo) : 0.0f;
    return 0;
}
