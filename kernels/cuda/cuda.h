// cuda.h: helpers shared by the CUDA backend's files.
#ifndef PHASOR_KERNELS_CUDA_H
#define PHASOR_KERNELS_CUDA_H

#include "../kernels.h"

#include <cuda_runtime.h>
#include <stdio.h>

// Each CUDA file returns -1 with "what: cause [file:line]" in why.
#define CUDA_TRY(call, what)                                                             \
    do {                                                                                 \
        cudaError_t e_ = (call);                                                         \
        if (e_ != cudaSuccess) {                                                         \
            snprintf(why, n, "%s: %s [%s:%d]", (what), cudaGetErrorString(e_), __FILE__,  \
                     __LINE__);                                                          \
            return -1;                                                                   \
        }                                                                                \
    } while (0)

static inline int ph_cuda_grid(size_t count)
{
    size_t blocks = (count + 255) / 256;
    return (int)(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

extern "C" {
int ph_cuda_u8_affine(const uint8_t *src, float *dst, size_t count, float scale, float shift,
                      char *why, size_t n);
int ph_cuda_avgpool_global_forward(const float *x, float *y, size_t planes, size_t spatial,
                                   char *why, size_t n);
int ph_cuda_avgpool_global_backward(const float *dy, float *dx, size_t planes, size_t spatial,
                                    char *why, size_t n);
int ph_cuda_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                        float lr, float beta1, float beta2, float eps, float decay, int64_t step,
                        char *why, size_t n);
int ph_cuda_relu_forward(const float *x, float *y, size_t count, char *why, size_t n);
int ph_cuda_relu_backward(const float *x, const float *dy, float *dx, size_t count, char *why,
                          size_t n);
int ph_cuda_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                  char *why, size_t n);
int ph_cuda_conv_forward(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y, char *why, size_t n);
int ph_cuda_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w,
                               float *dx, char *why, size_t n);
int ph_cuda_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                  float *dw, float *db, char *why, size_t n);
}

#endif
