/* fft.c: the FFT interface on a backend (fft.h). */
#include "fft.h"

void ph_fft_rfft2(const ph_backend *be, const ph_fft_shape *s, const float *x, float *re,
                  float *im)
{
    PH_FFT_KERNEL(be, fft_r2c, "a forward 2D FFT", s, x, re, im);
}

void ph_fft_irfft2(const ph_backend *be, const ph_fft_shape *s, const float *re, const float *im,
                   float *x)
{
    PH_FFT_KERNEL(be, fft_c2r, "an inverse 2D FFT", s, re, im, x);
}

void ph_fft_irfft2_backward(const ph_backend *be, const ph_fft_shape *s, const float *dx,
                            float *dre, float *dim)
{
    PH_FFT_KERNEL(be, fft_c2r_backward, "the backward pass of an inverse 2D FFT", s, dx, dre, dim);
}

int ph_fft_freq(int k, int n) { return k < (n + 1) / 2 ? k : k - n; }
