/* fft.h: 2D real DFTs behind one interface, FFTW on the CPU backend and cuFFT on
 * the CUDA backend (the backend ops fft_r2c, fft_c2r, fft_c2r_backward; see
 * kernels/kernels.h for the layout).  Both backends plan once per shape,
 * project the self-mirrored spectrum columns on their Hermitian part before
 * the inverse transform, and normalise it by 1/(h w), so the same phase gives
 * the same image within float error (docs/maco.md, "The FFT module").  A
 * kernel failure is fatal with its reason. */
#ifndef PHASOR_FFT_H
#define PHASOR_FFT_H

#include "kernels.h"
#include "core/error.h"

/* Calls be->OP(args..., why, n); a failure, or a backend without OP
 * (PH_OP_CALL), is fatal with the reason (nn.h's PH_KERNEL, for code below
 * common/nn). */
#define PH_FFT_KERNEL(be, op, what, ...)                                               \
    do {                                                                               \
        char ph_fft_why_[512] = "";                                                    \
        if (PH_OP_CALL(be, op, ph_fft_why_, sizeof ph_fft_why_, __VA_ARGS__) != 0)     \
            PH_FAIL((what), ph_fft_why_, "see the reason; --device cpu avoids GPU issues"); \
    } while (0)

/* re + i im = DFT(x), unnormalised; x [batch, h, w], re, im [batch, h, w/2+1]. */
void ph_fft_rfft2(const ph_backend *be, const ph_fft_shape *s, const float *x, float *re,
                  float *im);
/* x = irfft2(re + i im) with norm 1/(h w); re and im are kept. */
void ph_fft_irfft2(const ph_backend *be, const ph_fft_shape *s, const float *re, const float *im,
                   float *x);
/* dre, dim = the gradient through ph_fft_irfft2 from dx (overwritten). */
void ph_fft_irfft2_backward(const ph_backend *be, const ph_fft_shape *s, const float *dx,
                            float *dre, float *dim);

/* Signed frequency of row k of an n-point DFT: k for k < (n+1)/2, else k - n. */
int ph_fft_freq(int k, int n);

#endif
