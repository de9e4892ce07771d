// fft.cu: CUDA 2D real DFTs with cuFFT (cufftPlanMany, batched over planes), the
// same contract as the FFTW reference (kernels/cpu/fft.c): spectra as two planes,
// c2r normalised by 1/(h w) on the explicitly Hermitian-projected spectrum (the
// self-mirrored columns 0 and w/2), its adjoint, and the unnormalised r2c.
// Plans and their scratch buffers are made once per shape and kept; a lock
// serialises calls, since the scratch is shared (c2r overwrites its input, so it
// always runs on a copy).
#include "cuda.h"

#include <cufft.h>
#include <mutex>
#include <string.h>

namespace {

struct plan_entry {
    ph_fft_shape s;
    cufftHandle r2c, c2r;
    float *real;
    cufftComplex *spec;
};
constexpr int PLAN_CACHE = 64;
plan_entry cache[PLAN_CACHE];
int ncache;
std::mutex lock;

#define FFT_TRY(call, what)                                                                 \
    do {                                                                                    \
        cufftResult r_ = (call);                                                            \
        if (r_ != CUFFT_SUCCESS) {                                                          \
            snprintf(why, n, "%s: cuFFT error %d [%s:%d]", (what), (int)r_, __FILE__, __LINE__); \
            return -1;                                                                      \
        }                                                                                   \
    } while (0)

size_t real_count(const ph_fft_shape *s) { return (size_t)s->batch * s->h * s->w; }
size_t spec_count(const ph_fft_shape *s) { return (size_t)s->batch * s->h * (s->w / 2 + 1); }

// The entry of shape s, planned on first use (the caller holds the lock).
int plans_get(const ph_fft_shape *s, plan_entry **out, char *why, size_t n)
{
    if (s->batch < 1 || s->h < 1 || s->w < 1 || (double)s->h * s->w > 2147483647.0)
        return snprintf(why, n, "FFT shape %d x %d x %d is empty or too large", s->batch, s->h, s->w), -1;
    for (int i = 0; i < ncache; i++)
        if (!memcmp(&cache[i].s, s, sizeof *s)) return *out = &cache[i], 0;
    if (ncache == PLAN_CACHE) return snprintf(why, n, "more than %d FFT shapes in one process", PLAN_CACHE), -1;
    plan_entry e = {*s, 0, 0, nullptr, nullptr};
    int dims[2] = {s->h, s->w};
    const int wc = s->w / 2 + 1;
    CUDA_TRY(cudaMalloc(&e.real, real_count(s) * sizeof(float)), "allocating FFT scratch");
    if (cudaMalloc(&e.spec, spec_count(s) * sizeof(cufftComplex)) != cudaSuccess) {
        cudaFree(e.real);
        return snprintf(why, n, "allocating FFT scratch: out of device memory"), -1;
    }
    cufftResult a = cufftPlanMany(&e.r2c, 2, dims, nullptr, 1, s->h * s->w, nullptr, 1, s->h * wc,
                                  CUFFT_R2C, s->batch);
    cufftResult b = a == CUFFT_SUCCESS ? cufftPlanMany(&e.c2r, 2, dims, nullptr, 1, s->h * wc, nullptr,
                                                       1, s->h * s->w, CUFFT_C2R, s->batch)
                                       : a;
    if (a != CUFFT_SUCCESS || b != CUFFT_SUCCESS) {
        if (a == CUFFT_SUCCESS) cufftDestroy(e.r2c);
        cudaFree(e.real), cudaFree(e.spec);
        return snprintf(why, n, "cufftPlanMany %d x %d x %d failed: cuFFT error %d", s->batch, s->h,
                        s->w, (int)(a != CUFFT_SUCCESS ? a : b)), -1;
    }
    cache[ncache] = e;
    *out = &cache[ncache++];
    return 0;
}

// Interleave re, im into c; the self-mirrored columns get their Hermitian part.
__global__ void pack_project_k(const float *re, const float *im, cufftComplex *c, size_t count, int h,
                               int wc, int even)
{
    PH_CUDA_FOR(i, count)
    {
        const int kx = (int)(i % wc);
        const size_t row = i / wc;
        const int ky = (int)(row % h);
        if (kx == 0 || (even && kx == wc - 1)) {
            const size_t m = (row - ky + (h - ky) % h) * wc + kx;
            c[i].x = 0.5f * (re[i] + re[m]);
            c[i].y = 0.5f * (im[i] - im[m]);
        } else {
            c[i].x = re[i], c[i].y = im[i];
        }
    }
}

__global__ void scale_k(const float *r, float *x, size_t count, float scale)
{
    PH_CUDA_FOR(i, count) x[i] = r[i] * scale;
}

// Split c into planes, column weight one (self-mirrored columns) or two.
__global__ void unpack_k(const cufftComplex *c, float *re, float *im, size_t count, int wc, int even,
                         float one, float two)
{
    PH_CUDA_FOR(i, count)
    {
        const int kx = (int)(i % wc);
        const float k = kx == 0 || (even && kx == wc - 1) ? one : two;
        re[i] = k * c[i].x, im[i] = k * c[i].y;
    }
}

// r2c of x (copied: the plan's scratch keeps x intact) into the entry's spectrum.
int forward(plan_entry *e, const float *x, char *why, size_t n)
{
    CUDA_TRY(cudaMemcpy(e->real, x, real_count(&e->s) * sizeof(float), cudaMemcpyDeviceToDevice),
             "copying the FFT input");
    FFT_TRY(cufftExecR2C(e->r2c, e->real, e->spec), "cufftExecR2C");
    return 0;
}

} // namespace

extern "C" int ph_cuda_fft_r2c(const ph_fft_shape *s, const float *x, float *re, float *im, char *why,
                               size_t n)
{
    std::lock_guard<std::mutex> g(lock);
    plan_entry *e;
    if (plans_get(s, &e, why, n) || forward(e, x, why, n)) return -1;
    const size_t nc = spec_count(s);
    unpack_k<<<ph_cuda_grid(nc), 256>>>(e->spec, re, im, nc, s->w / 2 + 1, 0, 1.0f, 1.0f);
    CUDA_LAUNCHED("launching the FFT unpacking");
    return 0;
}

extern "C" int ph_cuda_fft_c2r(const ph_fft_shape *s, const float *re, const float *im, float *x,
                               char *why, size_t n)
{
    std::lock_guard<std::mutex> g(lock);
    plan_entry *e;
    if (plans_get(s, &e, why, n)) return -1;
    const size_t nc = spec_count(s), nr = real_count(s);
    pack_project_k<<<ph_cuda_grid(nc), 256>>>(re, im, e->spec, nc, s->h, s->w / 2 + 1, s->w % 2 == 0);
    CUDA_LAUNCHED("launching the spectrum packing");
    FFT_TRY(cufftExecC2R(e->c2r, e->spec, e->real), "cufftExecC2R");
    scale_k<<<ph_cuda_grid(nr), 256>>>(e->real, x, nr, (float)(1.0 / ((double)s->h * s->w)));
    CUDA_LAUNCHED("launching the FFT scaling");
    return 0;
}

extern "C" int ph_cuda_fft_c2r_backward(const ph_fft_shape *s, const float *dx, float *dre, float *dim,
                                        char *why, size_t n)
{
    std::lock_guard<std::mutex> g(lock);
    plan_entry *e;
    if (plans_get(s, &e, why, n) || forward(e, dx, why, n)) return -1;
    const size_t nc = spec_count(s);
    const float one = (float)(1.0 / ((double)s->h * s->w));
    unpack_k<<<ph_cuda_grid(nc), 256>>>(e->spec, dre, dim, nc, s->w / 2 + 1, s->w % 2 == 0, one, 2 * one);
    CUDA_LAUNCHED("launching the FFT unpacking");
    return 0;
}
