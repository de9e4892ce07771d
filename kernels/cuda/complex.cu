// complex.cu: CUDA complex-value ops on pairs of real planes (polar <-> Cartesian)
// and their backward passes.  A NULL incoming gradient counts as zero.
#include "cuda.h"

__global__ static void polar_fwd(const float *mag, const float *phase, float *re, float *im,
                                 size_t count)
{
    PH_CUDA_FOR(i, count)
    {
        float s, c;
        sincosf(phase[i], &s, &c);
        re[i] = mag[i] * c, im[i] = mag[i] * s;
    }
}

// d/dmag = dre cos + dim sin; d/dphase = mag (dim cos - dre sin)
__global__ static void polar_bwd(const float *mag, const float *phase, const float *dre,
                                 const float *dim, float *dmag, float *dphase, size_t count)
{
    PH_CUDA_FOR(i, count)
    {
        float s, c, gr = dre ? dre[i] : 0.f, gi = dim ? dim[i] : 0.f;
        sincosf(phase[i], &s, &c);
        if (dmag) dmag[i] = gr * c + gi * s;
        if (dphase) dphase[i] = mag[i] * (gi * c - gr * s);
    }
}

__global__ static void abs_arg_fwd(const float *re, const float *im, float *mag, float *phase,
                                   size_t count)
{
    PH_CUDA_FOR(i, count)
    {
        if (mag) mag[i] = hypotf(re[i], im[i]);
        if (phase) phase[i] = atan2f(im[i], re[i]);
    }
}

// d|z|/dre = re/|z|, d|z|/dim = im/|z|; d arg/dre = -im/|z|^2, d arg/dim = re/|z|^2;
// 0 at z = 0.
__global__ static void abs_arg_bwd(const float *re, const float *im, const float *mag,
                                   const float *dmag, const float *dphase, float *dre, float *dim,
                                   size_t count)
{
    PH_CUDA_FOR(i, count)
    {
        float m = mag[i], gm = dmag ? dmag[i] : 0.f, gp = dphase ? dphase[i] : 0.f;
        float r = 0.f, j = 0.f;
        if (m != 0.f) {
            r = (gm * re[i] - gp * im[i] / m) / m;
            j = (gm * im[i] + gp * re[i] / m) / m;
        }
        if (dre) dre[i] = r;
        if (dim) dim[i] = j;
    }
}

extern "C" int ph_cuda_polar_forward(const float *mag, const float *phase, float *re, float *im,
                                     size_t count, char *why, size_t n)
{
    if (count) polar_fwd<<<ph_cuda_grid(count), 256>>>(mag, phase, re, im, count);
    CUDA_LAUNCHED("launching polar_forward");
    return 0;
}

extern "C" int ph_cuda_polar_backward(const float *mag, const float *phase, const float *dre,
                                      const float *dim, float *dmag, float *dphase, size_t count,
                                      char *why, size_t n)
{
    if (count) polar_bwd<<<ph_cuda_grid(count), 256>>>(mag, phase, dre, dim, dmag, dphase, count);
    CUDA_LAUNCHED("launching polar_backward");
    return 0;
}

extern "C" int ph_cuda_abs_arg_forward(const float *re, const float *im, float *mag, float *phase,
                                       size_t count, char *why, size_t n)
{
    if (count) abs_arg_fwd<<<ph_cuda_grid(count), 256>>>(re, im, mag, phase, count);
    CUDA_LAUNCHED("launching abs_arg_forward");
    return 0;
}

extern "C" int ph_cuda_abs_arg_backward(const float *re, const float *im, const float *mag,
                                        const float *dmag, const float *dphase, float *dre,
                                        float *dim, size_t count, char *why, size_t n)
{
    if (count) abs_arg_bwd<<<ph_cuda_grid(count), 256>>>(re, im, mag, dmag, dphase, dre, dim, count);
    CUDA_LAUNCHED("launching abs_arg_backward");
    return 0;
}
