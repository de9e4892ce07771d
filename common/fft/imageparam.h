/* imageparam.h: image parameterisations for feature visualisation, on a
 * backend, with their backward passes (MACO: Fel et al., NeurIPS 2023, arXiv
 * 2306.06805, code serre-lab/Horama; Lucid's Fourier parameterisation,
 * tensorflow/lucid; docs/maco.md).
 *
 *   maco     the phase phi [C, S, S/2+1] alone: X = M cos(std(phi)) + i M sin(std(phi)),
 *            M the natural-image magnitude template; pre = irfft2(X)
 *   fourier  the whole spectrum (re, im) [2, C, S, S/2+1], scaled by Lucid's
 *            S / max(f, 1/S)^decay; pre = irfft2(scale (re + i im))  (Olah et al.)
 *   pixel    the pixels [C, S, S]: pre = them
 *
 * then, for all three alike: st = std(pre) (global mean, std + eps), recolour
 * (C = 3: rgb = st R per pixel, R = ph_colour_R; C = 1: none), x = sigmoid(rgb),
 * the canvas in (0, 1), the range of phasor models' inputs.  std() is over the
 * whole buffer: (v - mean) / (sd + eps), sd unbiased (Horama) or not. */
#ifndef PHASOR_IMAGEPARAM_H
#define PHASOR_IMAGEPARAM_H

#include "kernels.h"
#include "core/rng.h"

#include <stdint.h>

typedef enum { PH_FVIS_MACO, PH_FVIS_FOURIER, PH_FVIS_PIXEL, PH_FVIS_COUNT } ph_fvis_kind;
extern const char *const ph_fvis_names[PH_FVIS_COUNT];

/* (v - mean) / (sd + eps) over `count` values, and its backward; sums in double. */
typedef struct {
    const ph_backend *be;
    ph_norm_shape shape;
    size_t count;
    double eps;
    int unbiased;
    double mean, sd; /* of the last forward */
    float *dmean, *drstd, *da, *db;
} ph_fvis_std;
void ph_fvis_std_init(ph_fvis_std *s, const ph_backend *be, size_t count, double eps, int unbiased);
void ph_fvis_std_forward(ph_fvis_std *s, const float *x, float *y);
/* dx from dy, for the x of the last forward; dx must not alias x or dy. */
void ph_fvis_std_backward(ph_fvis_std *s, const float *x, const float *dy, float *dx);
void ph_fvis_std_free(ph_fvis_std *s);

typedef struct {
    const ph_backend *be;
    ph_fvis_kind kind;
    int c, s;
    size_t count;          /* parameters */
    float *w, *g, *m, *v;  /* parameters, their gradient, NAdam moments (device) */
    float *scale;          /* maco: the magnitude; fourier: the 1/f scale; [c, s, s/2+1] */
    float *phs, *re, *im, *dre, *dim, *dmag; /* spectra [c, s, s/2+1] */
    float *pre, *st, *rc, *x;                /* [c, s, s]: x is the canvas */
    float *d1, *d2, *d3;                     /* gradients [c, s, s] */
    float *R;                                /* colour matrix [3, 3] */
    ph_fvis_std sp, si;                      /* standardisation of the phase, of the image */
    double fft_seconds;                      /* host time in the FFT calls (CUDA: launches only) */
} ph_fvis;

/* magnitude: maco's template [c, s, s/2+1] on the host (already at size s);
 * decay: fourier's exponent.  c is 1 or 3; s >= 2. */
void ph_fvis_init(ph_fvis *p, const ph_backend *be, ph_fvis_kind kind, int c, int s,
                  const float *magnitude, double decay, double eps, int unbiased);
/* Parameters ~ N(0, 1) from Philox (seed, PH_STREAM_FEATVIS, index run << 32, sub 0),
 * drawn on the host in parameter order (the same on every backend); moments 0. */
void ph_fvis_reset(ph_fvis *p, uint32_t seed, uint32_t run);
/* w -> x */
void ph_fvis_forward(ph_fvis *p);
/* g = dL/dw from dx = dL/dx [c, s, s] (device), for the last forward. */
void ph_fvis_backward(ph_fvis *p, const float *dx);
void ph_fvis_free(ph_fvis *p);

/* A standard normal value from two uniforms of r (Box-Muller, cosine branch). */
double ph_fvis_normal(ph_rng *r);

/* PyTorch's NAdam (momentum_decay psi: mu_t = beta1 (1 - 0.96^(t psi) / 2)), the
 * schedule on the host in double, the update through the backend's op. */
typedef struct {
    double lr, beta1, beta2, eps, momentum_decay, mu_product;
    int64_t step;
} ph_nadam;
ph_nadam ph_nadam_default(double lr); /* betas 0.9, 0.999, eps 1e-8, psi 4e-3 */
void ph_nadam_step(ph_nadam *o, const ph_backend *be, float *w, const float *g, float *m,
                   float *v, size_t count);

#endif
