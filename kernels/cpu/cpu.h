/* cpu.h: the CPU backend's functions (reference implementations). */
#ifndef PHASOR_KERNELS_CPU_H
#define PHASOR_KERNELS_CPU_H

#include "../kernels.h"

int ph_cpu_u8_affine(const uint8_t *src, float *dst, size_t count, float scale, float shift,
                     char *why, size_t n);
int ph_cpu_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha, const float *a,
                 int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                 char *why, size_t n);
int ph_cpu_conv_forward(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, char *why, size_t n);
int ph_cpu_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w, float *dx,
                              char *why, size_t n);
int ph_cpu_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                 float *dw, float *db, char *why, size_t n);
int ph_cpu_avgpool_global_forward(const float *x, float *y, size_t planes, size_t spatial,
                                  char *why, size_t n);
int ph_cpu_avgpool_global_backward(const float *dy, float *dx, size_t planes, size_t spatial,
                                   char *why, size_t n);
int ph_cpu_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                       float lr, float beta1, float beta2, float eps, float decay, int64_t step,
                       char *why, size_t n);
int ph_cpu_relu_forward(const float *x, float *y, size_t count, char *why, size_t n);
int ph_cpu_relu_backward(const float *x, const float *dy, float *dx, size_t count, char *why,
                         size_t n);

#endif
