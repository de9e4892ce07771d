/* cuda_absent.c: the CUDA backend of a build without nvcc (make CUDA=0).  Every
 * entry exists and reports that this build has no CUDA backend, so callers
 * and tests fall back to the CPU with a clear reason. */
#include "../kernels.h"

#include <stdio.h>

#define ABSENT (snprintf(why, n, "this build has no CUDA backend (rebuild with nvcc on PATH)"), -1)

int ph_cuda_device_count(char *why, size_t n) { return ABSENT + 1; }

static void *absent_alloc(size_t bytes) { return (void)bytes, NULL; }
static void absent_free(void *p) { (void)p; }
static int absent_copy(void *dst, const void *src, size_t bytes, char *why, size_t n)
{
    (void)dst, (void)src, (void)bytes;
    return ABSENT;
}
static int absent_u8_affine(const uint8_t *src, float *dst, size_t count, float scale,
                            float shift, char *why, size_t n)
{
    (void)src, (void)dst, (void)count, (void)scale, (void)shift;
    return ABSENT;
}
static int absent_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc, char *why, size_t n)
{
    (void)ta, (void)tb, (void)m, (void)nn, (void)k, (void)alpha, (void)a, (void)lda, (void)b;
    (void)ldb, (void)beta, (void)c, (void)ldc;
    return ABSENT;
}
static int absent_conv_forward(const ph_conv_shape *s, const float *x, const float *w,
                               const float *b, float *y, char *why, size_t n)
{
    (void)s, (void)x, (void)w, (void)b, (void)y;
    return ABSENT;
}
static int absent_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w,
                                     float *dx, char *why, size_t n)
{
    (void)s, (void)dy, (void)w, (void)dx;
    return ABSENT;
}
static int absent_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                        float *dw, float *db, char *why, size_t n)
{
    (void)s, (void)x, (void)dy, (void)dw, (void)db;
    return ABSENT;
}
static int absent_avgpool(const float *x, float *y, size_t planes, size_t spatial, char *why,
                          size_t n)
{
    (void)x, (void)y, (void)planes, (void)spatial;
    return ABSENT;
}
static int absent_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                              float lr, float beta1, float beta2, float eps, float decay,
                              int64_t step, char *why, size_t n)
{
    (void)param, (void)grad, (void)m, (void)v, (void)count, (void)lr, (void)beta1, (void)beta2;
    (void)eps, (void)decay, (void)step;
    return ABSENT;
}
static int absent_relu_forward(const float *x, float *y, size_t count, char *why, size_t n)
{
    (void)x, (void)y, (void)count;
    return ABSENT;
}
static int absent_relu_backward(const float *x, const float *dy, float *dx, size_t count,
                                char *why, size_t n)
{
    (void)x, (void)dy, (void)dx, (void)count;
    return ABSENT;
}

const ph_backend ph_backend_cuda = {
    .name = "cuda (absent)",
    .alloc = absent_alloc,
    .free = absent_free,
    .upload = absent_copy,
    .download = absent_copy,
    .u8_affine = absent_u8_affine,
    .sgemm = absent_sgemm,
    .conv_forward = absent_conv_forward,
    .conv_backward_data = absent_conv_backward_data,
    .conv_backward_weights = absent_conv_backward_weights,
    .avgpool_global_forward = absent_avgpool,
    .avgpool_global_backward = absent_avgpool,
    .adam_update = absent_adam_update,
    .relu_forward = absent_relu_forward,
    .relu_backward = absent_relu_backward,
};
