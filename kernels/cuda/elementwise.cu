// elementwise.cu: CUDA element-wise ops on device pointers.
#include "cuda.h"

// Four bytes in, one float4 out per step: full-width loads and stores.
__global__ static void u8_affine4(const uchar4 *src, float4 *dst, size_t n4, float scale,
                                  float shift)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n4;
         i += (size_t)gridDim.x * blockDim.x) {
        uchar4 v = src[i];
        dst[i] = make_float4(fmaf((float)v.x, scale, shift), fmaf((float)v.y, scale, shift),
                             fmaf((float)v.z, scale, shift), fmaf((float)v.w, scale, shift));
    }
}

__global__ static void u8_affine1(const uint8_t *src, float *dst, size_t count, float scale,
                                  float shift)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        dst[i] = fmaf((float)src[i], scale, shift);
}

extern "C" int ph_cuda_u8_affine(const uint8_t *src, float *dst, size_t count, float scale,
                                 float shift, char *why, size_t n)
{
    size_t n4 = ((uintptr_t)src % 4 == 0 && (uintptr_t)dst % 16 == 0) ? count / 4 : 0;
    if (n4) u8_affine4<<<ph_cuda_grid(n4), 256>>>((const uchar4 *)src, (float4 *)dst, n4, scale, shift);
    if (count > 4 * n4)
        u8_affine1<<<ph_cuda_grid(count - 4 * n4), 256>>>(src + 4 * n4, dst + 4 * n4,
                                                          count - 4 * n4, scale, shift);
    CUDA_TRY(cudaGetLastError(), "launching u8_affine");
    return 0;
}

__global__ static void relu_fwd(const float *x, float *y, size_t count)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        y[i] = x[i] > 0.f ? x[i] : 0.f;
}

__global__ static void relu_bwd(const float *x, const float *dy, float *dx, size_t count)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x)
        dx[i] = x[i] > 0.f ? dy[i] : 0.f;
}

extern "C" int ph_cuda_relu_forward(const float *x, float *y, size_t count, char *why, size_t n)
{
    if (count) relu_fwd<<<ph_cuda_grid(count), 256>>>(x, y, count);
    CUDA_TRY(cudaGetLastError(), "launching relu_forward");
    return 0;
}

extern "C" int ph_cuda_relu_backward(const float *x, const float *dy, float *dx, size_t count,
                                     char *why, size_t n)
{
    if (count) relu_bwd<<<ph_cuda_grid(count), 256>>>(x, dy, dx, count);
    CUDA_TRY(cudaGetLastError(), "launching relu_backward");
    return 0;
}
