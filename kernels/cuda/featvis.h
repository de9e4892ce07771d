// featvis.h: the CUDA backend's FFT (cuFFT) and feature-visualisation ops.
#ifndef PHASOR_KERNELS_CUDA_FEATVIS_H
#define PHASOR_KERNELS_CUDA_FEATVIS_H

#include "../kernels.h"

extern "C" {
int ph_cuda_fft_r2c(const ph_fft_shape *s, const float *x, float *re, float *im, char *why,
                    size_t n);
int ph_cuda_fft_c2r(const ph_fft_shape *s, const float *re, const float *im, float *x, char *why,
                    size_t n);
int ph_cuda_fft_c2r_backward(const ph_fft_shape *s, const float *dx, float *dre, float *dim,
                             char *why, size_t n);
int ph_cuda_crop_resize_forward(const float *x, float *y, size_t planes, int h, int w,
                                const float *boxes, int nbox, int oh, int ow, char *why,
                                size_t n);
int ph_cuda_crop_resize_backward(const float *dy, float *dx, size_t planes, int h, int w,
                                 const float *boxes, int nbox, int oh, int ow, char *why,
                                 size_t n);
int ph_cuda_nadam_update(float *param, const float *grad, float *m, float *v, size_t count,
                         float beta1, float beta2, float eps, float cg, float cm, float bc2,
                         char *why, size_t n);
}

#endif
