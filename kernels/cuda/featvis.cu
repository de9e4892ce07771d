// featvis.cu: CUDA crop_and_resize (forward one thread per output value; the
// backward scatters with atomicAdd, so its float sums may differ from the CPU's
// fixed order in the last bits) and the NAdam step.  The source positions are
// rounded exactly as in kernels/cpu/featvis.c (no contraction into FMA).
#include "cuda.h"

namespace {

constexpr int MAX_BOXES = 1024;
__constant__ float c_boxes[4 * MAX_BOXES];

// The CPU's crop_src: a (in-1) + o ((b-a)(in-1)/(out-1)), or the box centre; -1 outside.
__device__ float crop_src(float a, float b, int in, int out, int o)
{
    const float in1 = (float)(in - 1);
    float p = out > 1 ? __fadd_rn(__fmul_rn(a, in1),
                                  __fmul_rn((float)o, __fdiv_rn(__fmul_rn(__fsub_rn(b, a), in1), (float)(out - 1))))
                      : __fmul_rn(__fmul_rn(0.5f, __fadd_rn(a, b)), in1);
    return p < 0.f || p > in1 ? -1.0f : p;
}

__global__ void crop_forward_k(const float *x, float *y, size_t planes, int h, int w, int oh, int ow,
                               size_t count)
{
    PH_CUDA_FOR(idx, count)
    {
        const int j = (int)(idx % ow), i = (int)(idx / ow % oh);
        const size_t p = idx / ow / oh % planes;
        const int b = (int)(idx / ow / oh / planes);
        const float *bx = c_boxes + 4 * b, *px = x + p * (size_t)h * w;
        const float sy = crop_src(bx[0], bx[2], h, oh, i), sx = crop_src(bx[1], bx[3], w, ow, j);
        if (sy < 0.f || sx < 0.f) {
            y[idx] = 0.f;
            continue;
        }
        const int y0 = (int)floorf(sy), y1 = (int)ceilf(sy), x0 = (int)floorf(sx), x1 = (int)ceilf(sx);
        const float ly = __fsub_rn(sy, (float)y0), lx = __fsub_rn(sx, (float)x0);
        const float top = __fadd_rn(px[y0 * w + x0], __fmul_rn(__fsub_rn(px[y0 * w + x1], px[y0 * w + x0]), lx));
        const float bot = __fadd_rn(px[y1 * w + x0], __fmul_rn(__fsub_rn(px[y1 * w + x1], px[y1 * w + x0]), lx));
        y[idx] = __fadd_rn(top, __fmul_rn(__fsub_rn(bot, top), ly));
    }
}

__global__ void crop_backward_k(const float *dy, float *dx, size_t planes, int h, int w, int oh, int ow,
                                size_t count)
{
    PH_CUDA_FOR(idx, count)
    {
        const int j = (int)(idx % ow), i = (int)(idx / ow % oh);
        const size_t p = idx / ow / oh % planes;
        const int b = (int)(idx / ow / oh / planes);
        const float *bx = c_boxes + 4 * b;
        float *px = dx + p * (size_t)h * w;
        const float sy = crop_src(bx[0], bx[2], h, oh, i), sx = crop_src(bx[1], bx[3], w, ow, j);
        if (sy < 0.f || sx < 0.f) continue;
        const int y0 = (int)floorf(sy), y1 = (int)ceilf(sy), x0 = (int)floorf(sx), x1 = (int)ceilf(sx);
        const float ly = sy - (float)y0, lx = sx - (float)x0, top = (1 - ly) * dy[idx], bot = ly * dy[idx];
        atomicAdd(px + y0 * w + x0, (1 - lx) * top);
        atomicAdd(px + y0 * w + x1, lx * top);
        atomicAdd(px + y1 * w + x0, (1 - lx) * bot);
        atomicAdd(px + y1 * w + x1, lx * bot);
    }
}

int crop_check(size_t planes, int h, int w, const float *boxes, int nbox, int oh, int ow, char *why, size_t n)
{
    if (h < 1 || w < 1 || oh < 1 || ow < 1 || nbox < 0 || (nbox && !boxes) || !planes)
        return snprintf(why, n, "crop_resize: bad geometry (%zu planes %dx%d, %d boxes to %dx%d)", planes,
                        h, w, nbox, oh, ow), -1;
    if (nbox > MAX_BOXES) return snprintf(why, n, "crop_resize: %d boxes, at most %d", nbox, MAX_BOXES), -1;
    if (nbox) CUDA_TRY(cudaMemcpyToSymbol(c_boxes, boxes, 4 * sizeof(float) * nbox), "uploading crop boxes");
    return 0;
}

__global__ void nadam_k(float *param, const float *grad, float *m, float *v, size_t count, float beta1,
                        float beta2, float eps, float cg, float cm, float bc2)
{
    PH_CUDA_FOR(i, count)
    {
        const float g = grad[i];
        const float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(1.0f - beta1, g));
        const float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(1.0f - beta2, g), g));
        m[i] = mi, v[i] = vi;
        const float d = __fadd_rn(sqrtf(__fdiv_rn(vi, bc2)), eps);
        const float p = __fsub_rn(param[i], __fdiv_rn(__fmul_rn(cg, g), d));
        param[i] = __fsub_rn(p, __fdiv_rn(__fmul_rn(cm, mi), d));
    }
}

} // namespace

extern "C" int ph_cuda_crop_resize_forward(const float *x, float *y, size_t planes, int h, int w,
                                           const float *boxes, int nbox, int oh, int ow, char *why,
                                           size_t n)
{
    if (crop_check(planes, h, w, boxes, nbox, oh, ow, why, n)) return -1;
    const size_t count = (size_t)nbox * planes * oh * ow;
    if (count) crop_forward_k<<<ph_cuda_grid(count), 256>>>(x, y, planes, h, w, oh, ow, count);
    CUDA_LAUNCHED("launching crop_resize_forward");
    return 0;
}

extern "C" int ph_cuda_crop_resize_backward(const float *dy, float *dx, size_t planes, int h, int w,
                                            const float *boxes, int nbox, int oh, int ow, char *why,
                                            size_t n)
{
    if (crop_check(planes, h, w, boxes, nbox, oh, ow, why, n)) return -1;
    CUDA_TRY(cudaMemset(dx, 0, planes * (size_t)h * w * sizeof(float)), "clearing the crop gradient");
    const size_t count = (size_t)nbox * planes * oh * ow;
    if (count) crop_backward_k<<<ph_cuda_grid(count), 256>>>(dy, dx, planes, h, w, oh, ow, count);
    CUDA_LAUNCHED("launching crop_resize_backward");
    return 0;
}

extern "C" int ph_cuda_nadam_update(float *param, const float *grad, float *m, float *v, size_t count,
                                    float beta1, float beta2, float eps, float cg, float cm, float bc2,
                                    char *why, size_t n)
{
    if (count) nadam_k<<<ph_cuda_grid(count), 256>>>(param, grad, m, v, count, beta1, beta2, eps, cg, cm, bc2);
    CUDA_LAUNCHED("launching nadam_update");
    return 0;
}
