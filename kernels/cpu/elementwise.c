/* elementwise.c: CPU element-wise ops (OpenMP loops). */
#include "cpu.h"

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
