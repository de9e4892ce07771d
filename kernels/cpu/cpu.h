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
                       float lr, float beta1, float beta2, float eps, float decay, int decoupled,
                       int64_t step, char *why, size_t n);
int ph_cpu_sgd_update(float *param, const float *grad, float *buf, size_t count, float lr,
                      float momentum, float decay, int nesterov, int64_t step, char *why,
                      size_t n);
int ph_cpu_act_forward(ph_act kind, const float *x, float *y, size_t count, char *why, size_t n);
int ph_cpu_act_backward(ph_act kind, const float *x, const float *y, const float *dy, float *dx,
                        size_t count, char *why, size_t n);
int ph_cpu_binary(ph_binop op, const float *a, const float *b, float *y, size_t count, char *why,
                  size_t n);
int ph_cpu_axpby(float alpha, const float *x, float beta, float *y, size_t count, char *why,
                 size_t n);
int ph_cpu_fill(float *x, float value, size_t count, char *why, size_t n);
int ph_cpu_copy2d(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t cols,
                  char *why, size_t n);
int ph_cpu_pool_forward(const ph_pool_shape *s, const float *x, float *y, char *why, size_t n);
int ph_cpu_pool_backward(const ph_pool_shape *s, const float *x, const float *y, const float *dy,
                         float *dx, char *why, size_t n);
int ph_cpu_norm_moments(const ph_norm_shape *s, const float *x, double *sum, double *sumsq,
                        char *why, size_t n);
int ph_cpu_norm_forward(const ph_norm_shape *s, const float *x, const float *mean,
                        const float *rstd, const float *gamma, const float *beta, float *y,
                        char *why, size_t n);
int ph_cpu_norm_backward_sums(const ph_norm_shape *s, const float *x, const float *dy,
                              const float *mean, const float *rstd, const float *gamma,
                              double *sum_g, double *sum_gx, float *dgamma, float *dbeta,
                              char *why, size_t n);
int ph_cpu_norm_backward_apply(const ph_norm_shape *s, const float *x, const float *dy,
                               const float *mean, const float *rstd, const float *gamma,
                               const float *a, const float *b, float *dx, char *why, size_t n);
int ph_cpu_sgemm_batched(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                         const float *a, int64_t lda, int64_t sa, const float *b, int64_t ldb,
                         int64_t sb, float beta, float *c, int64_t ldc, int64_t sc, int64_t batch,
                         char *why, size_t n);
int ph_cpu_softmax_forward(const float *x, float *y, size_t rows, size_t cols, char *why, size_t n);
int ph_cpu_softmax_backward(const float *y, const float *dy, float *dx, size_t rows, size_t cols,
                            char *why, size_t n);
int ph_cpu_resize_forward(const float *x, float *y, size_t planes, int ih, int iw, int oh, int ow,
                          char *why, size_t n);
int ph_cpu_resize_backward(const float *dy, float *dx, size_t planes, int ih, int iw, int oh,
                           int ow, char *why, size_t n);
int ph_cpu_polar_forward(const float *mag, const float *phase, float *re, float *im, size_t count,
                         char *why, size_t n);
int ph_cpu_polar_backward(const float *mag, const float *phase, const float *dre,
                          const float *dim, float *dmag, float *dphase, size_t count, char *why,
                          size_t n);
int ph_cpu_abs_arg_forward(const float *re, const float *im, float *mag, float *phase,
                           size_t count, char *why, size_t n);
int ph_cpu_abs_arg_backward(const float *re, const float *im, const float *mag,
                            const float *dmag, const float *dphase, float *dre, float *dim,
                            size_t count, char *why, size_t n);

int ph_cpu_fft_r2c(const ph_fft_shape *s, const float *x, float *re, float *im, char *why,
                   size_t n);
int ph_cpu_fft_c2r(const ph_fft_shape *s, const float *re, const float *im, float *x, char *why,
                   size_t n);
int ph_cpu_fft_c2r_backward(const ph_fft_shape *s, const float *dx, float *dre, float *dim,
                            char *why, size_t n);
int ph_cpu_crop_resize_forward(const float *x, float *y, size_t planes, int h, int w,
                               const float *boxes, int nbox, int oh, int ow, char *why,
                               size_t n);
int ph_cpu_crop_resize_backward(const float *dy, float *dx, size_t planes, int h, int w,
                                const float *boxes, int nbox, int oh, int ow, char *why,
                                size_t n);
int ph_cpu_nadam_update(float *param, const float *grad, float *m, float *v, size_t count,
                        float beta1, float beta2, float eps, float cg, float cm, float bc2,
                        char *why, size_t n);

#endif
