/* complex.c: CPU complex values as pairs of real planes (polar form, modulus
 * and argument) with their gradients. */
#include "cpu.h"

#include <math.h>

int ph_cpu_polar_forward(const float *mag, const float *phase, float *re, float *im, size_t count,
                         char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        float s, c;
        s = sinf(phase[i]), c = cosf(phase[i]);
        re[i] = mag[i] * c, im[i] = mag[i] * s;
    }
    return 0;
}

int ph_cpu_polar_backward(const float *mag, const float *phase, const float *dre,
                          const float *dim, float *dmag, float *dphase, size_t count, char *why,
                          size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        float s = sinf(phase[i]), c = cosf(phase[i]), gr = dre ? dre[i] : 0.0f, gi = dim ? dim[i] : 0.0f;
        if (dmag) dmag[i] = gr * c + gi * s;
        if (dphase) dphase[i] = mag[i] * (gi * c - gr * s);
    }
    return 0;
}

int ph_cpu_abs_arg_forward(const float *re, const float *im, float *mag, float *phase,
                           size_t count, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        if (mag) mag[i] = hypotf(re[i], im[i]);
        if (phase) phase[i] = atan2f(im[i], re[i]);
    }
    return 0;
}

int ph_cpu_abs_arg_backward(const float *re, const float *im, const float *mag,
                            const float *dmag, const float *dphase, float *dre, float *dim,
                            size_t count, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        float r = mag[i], gm = dmag ? dmag[i] : 0.0f, gp = dphase ? dphase[i] : 0.0f, x = 0, y = 0;
        if (r != 0) {
            /* d|z| = (re, im) / r; d arg z = (-im, re) / r^2 */
            x = (gm * re[i] - gp * im[i] / r) / r;
            y = (gm * im[i] + gp * re[i] / r) / r;
        }
        if (dre) dre[i] = x;
        if (dim) dim[i] = y;
    }
    return 0;
}
