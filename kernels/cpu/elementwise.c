/* elementwise.c: CPU element-wise ops (OpenMP loops). */
#include "cpu.h"

#include <math.h>

int ph_cpu_u8_affine(const uint8_t *src, float *dst, size_t count, float scale, float shift,
                     char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) dst[i] = (float)src[i] * scale + shift;
    return 0;
}

int ph_cpu_relu_forward(const float *x, float *y, size_t count, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : 0;
    return 0;
}

int ph_cpu_relu_backward(const float *x, const float *dy, float *dx, size_t count, char *why,
                         size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
    return 0;
}

int ph_cpu_avgpool_global_forward(const float *x, float *y, size_t planes, size_t spatial,
                                  char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < planes; i++) {
        double s = 0; /* double accumulator: the result does not depend on the thread count */
        for (size_t j = 0; j < spatial; j++) s += x[i * spatial + j];
        y[i] = (float)(s / (double)spatial);
    }
    return 0;
}

int ph_cpu_avgpool_global_backward(const float *dy, float *dx, size_t planes, size_t spatial,
                                   char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < planes; i++)
        for (size_t j = 0; j < spatial; j++) dx[i * spatial + j] = dy[i] / (float)spatial;
    return 0;
}

int ph_cpu_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                       float lr, float beta1, float beta2, float eps, float decay, int64_t step,
                       char *why, size_t n)
{
    (void)why, (void)n;
    const float c1 = 1.0f - powf(beta1, (float)step), c2 = 1.0f - powf(beta2, (float)step);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) {
        m[i] = beta1 * m[i] + (1.0f - beta1) * grad[i];
        v[i] = beta2 * v[i] + (1.0f - beta2) * grad[i] * grad[i];
        float mh = m[i] / c1, vh = v[i] / c2;
        param[i] -= lr * (mh / (sqrtf(vh) + eps) + decay * param[i]);
    }
    return 0;
}
