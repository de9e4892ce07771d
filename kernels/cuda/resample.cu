// resample.cu: CUDA bilinear resize (half-pixel centres, edges clamped, no
// antialias: PyTorch's align_corners=False) and its backward.  The backward is a
// gather, one thread per input pixel summing the output pixels that read it, so
// it needs no atomics and gives the same bits on every run.
#include "cuda.h"

// Explicitly rounded on the device, so nvcc does not fuse what the CPU rounds twice.
__host__ __device__ static inline float mul(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
__host__ __device__ static inline float div(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}
__host__ __device__ static inline float add(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

// Source taps of output index o along an axis of `in` samples: i0, i1 with weights l0, l1.
struct taps {
    int i0, i1;
    float l0, l1;
};

// The source position is rounded as in the CPU reference: ((o + 1/2) in) / out - 1/2.
__host__ __device__ static inline taps taps_of(int out, int in, int o)
{
    float s = add(div(mul(add((float)o, 0.5f), (float)in), (float)out), -0.5f);
    if (s < 0.f) s = 0.f;
    taps t;
    t.i0 = (int)s;
    if (t.i0 > in - 1) t.i0 = in - 1;
    t.i1 = t.i0 < in - 1 ? t.i0 + 1 : t.i0;
    t.l1 = add(s, -(float)t.i0);
    t.l0 = add(1.f, -t.l1);
    return t;
}

// Weight of input index r in output index o along one axis (0 when o does not read r).
__host__ __device__ static inline float weight_of(int out, int in, int o, int r)
{
    taps t = taps_of(out, in, o);
    return (t.i0 == r ? t.l0 : 0.f) + (t.i1 == r ? t.l1 : 0.f);
}

// First output index whose i0 reaches at least r (i0 never decreases with o).
__host__ __device__ static inline int first_reaching(int in, int out, int r)
{
    int lo = 0, hi = out;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (taps_of(out, in, mid).i0 >= r) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

struct resize_geom {
    int ih, iw, oh, ow;
};

__host__ __device__ static inline float resize_at(const resize_geom &g, const float *x, size_t e)
{
    size_t plane = e / ((size_t)g.oh * g.ow);
    int oy = (int)(e / g.ow % g.oh), ox = (int)(e % g.ow);
    taps ty = taps_of(g.oh, g.ih, oy), tx = taps_of(g.ow, g.iw, ox);
    const float *p = x + plane * g.ih * g.iw;
    const float *r0 = p + (size_t)ty.i0 * g.iw, *r1 = p + (size_t)ty.i1 * g.iw;
    float top = add(mul(r0[tx.i0], tx.l0), mul(r0[tx.i1], tx.l1));
    float bot = add(mul(r1[tx.i0], tx.l0), mul(r1[tx.i1], tx.l1));
    return add(mul(top, ty.l0), mul(bot, ty.l1));
}

// dx at input element e: the output pixels whose taps include it, weighted.
__host__ __device__ static inline float resize_grad_at(const resize_geom &g, const float *dy,
                                                       size_t e)
{
    size_t plane = e / ((size_t)g.ih * g.iw);
    int r = (int)(e / g.iw % g.ih), c = (int)(e % g.iw);
    // outputs reading row r have i0 = r - 1 (through i1) or i0 = r
    int y0 = first_reaching(g.ih, g.oh, r - 1), y1 = first_reaching(g.ih, g.oh, r + 1);
    int x0 = first_reaching(g.iw, g.ow, c - 1), x1 = first_reaching(g.iw, g.ow, c + 1);
    const float *p = dy + plane * g.oh * g.ow;
    double sum = 0;
    for (int oy = y0; oy < y1; oy++) {
        float wy = weight_of(g.oh, g.ih, oy, r);
        for (int ox = x0; ox < x1; ox++)
            sum += (double)(wy * weight_of(g.ow, g.iw, ox, c)) * p[(size_t)oy * g.ow + ox];
    }
    return (float)sum;
}

__global__ static void resize_fwd(resize_geom g, const float *x, float *y, size_t count)
{
    PH_CUDA_FOR(e, count) y[e] = resize_at(g, x, e);
}

__global__ static void resize_bwd(resize_geom g, const float *dy, float *dx, size_t count)
{
    PH_CUDA_FOR(e, count) dx[e] = resize_grad_at(g, dy, e);
}

static int geom_init(resize_geom *g, int ih, int iw, int oh, int ow, char *why, size_t n)
{
    if (ih < 1 || iw < 1 || oh < 1 || ow < 1)
        return snprintf(why, n, "resize %dx%d -> %dx%d: sizes must be positive", ih, iw, oh, ow),
               -1;
    *g = {ih, iw, oh, ow};
    return 0;
}

extern "C" int ph_cuda_resize_forward(const float *x, float *y, size_t planes, int ih, int iw,
                                      int oh, int ow, char *why, size_t n)
{
    resize_geom g;
    if (geom_init(&g, ih, iw, oh, ow, why, n)) return -1;
    size_t count = planes * oh * ow;
    if (count) resize_fwd<<<ph_cuda_grid(count), 256>>>(g, x, y, count);
    CUDA_LAUNCHED("launching resize_forward");
    return 0;
}

extern "C" int ph_cuda_resize_backward(const float *dy, float *dx, size_t planes, int ih, int iw,
                                       int oh, int ow, char *why, size_t n)
{
    resize_geom g;
    if (geom_init(&g, ih, iw, oh, ow, why, n)) return -1;
    size_t count = planes * ih * iw;
    if (count) resize_bwd<<<ph_cuda_grid(count), 256>>>(g, dy, dx, count);
    CUDA_LAUNCHED("launching resize_backward");
    return 0;
}
