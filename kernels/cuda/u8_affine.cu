// u8_affine.cu: CUDA backend of the uint8 -> float affine conversion, and device discovery.
#include "../kernels.h"

#include <cuda_runtime.h>
#include <stdio.h>

#define CUDA_TRY(call, what)                                                            \
    do {                                                                                \
        cudaError_t e_ = (call);                                                        \
        if (e_ != cudaSuccess) {                                                        \
            snprintf(why, why_n, "%s: %s [%s:%d]", (what), cudaGetErrorString(e_),      \
                     __FILE__, __LINE__);                                               \
            goto fail;                                                                  \
        }                                                                               \
    } while (0)

extern "C" int ph_cuda_device_count(char *why, size_t n)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(why, n, "no CUDA device: %s", cudaGetErrorString(e));
        cudaGetLastError(); /* clear the sticky error */
        return 0;
    }
    if (count == 0) snprintf(why, n, "no CUDA device present");
    return count;
}

__global__ static void u8_affine_kernel(const uint8_t *src, float *dst, size_t n, float scale,
                                        float shift)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dst[i] = fmaf((float)src[i], scale, shift);
}

/* Four bytes in, one float4 out per step: full-width loads and stores. */
__global__ static void u8_affine_kernel4(const uchar4 *src, float4 *dst, size_t n4, float scale,
                                         float shift)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n4;
         i += (size_t)gridDim.x * blockDim.x) {
        uchar4 v = src[i];
        dst[i] = make_float4(fmaf((float)v.x, scale, shift), fmaf((float)v.y, scale, shift),
                             fmaf((float)v.z, scale, shift), fmaf((float)v.w, scale, shift));
    }
}

static int grid_for(size_t n) { return (int)((n + 255) / 256 < 65535 ? (n + 255) / 256 : 65535); }

extern "C" int ph_u8_affine_cuda_device(const uint8_t *d_src, float *d_dst, size_t n, float scale,
                                        float shift, char *why, size_t why_n)
{
    size_t n4 = ((uintptr_t)d_src % 4 == 0 && (uintptr_t)d_dst % 16 == 0) ? n / 4 : 0;
    if (n4)
        u8_affine_kernel4<<<grid_for(n4), 256>>>((const uchar4 *)d_src, (float4 *)d_dst, n4,
                                                 scale, shift);
    if (n > 4 * n4)
        u8_affine_kernel<<<grid_for(n - 4 * n4), 256>>>(d_src + 4 * n4, d_dst + 4 * n4,
                                                         n - 4 * n4, scale, shift);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        snprintf(why, why_n, "launching u8_affine: %s", cudaGetErrorString(e));
        return -1;
    }
    return 0;
}

extern "C" int ph_u8_affine_cuda(const uint8_t *src, float *dst, size_t n, float scale,
                                 float shift, char *why, size_t why_n)
{
    uint8_t *d_src = NULL;
    float *d_dst = NULL;
    int rc = -1;
    CUDA_TRY(cudaMalloc(&d_src, n ? n : 1), "allocating device input");
    CUDA_TRY(cudaMalloc(&d_dst, (n ? n : 1) * sizeof(float)), "allocating device output");
    CUDA_TRY(cudaMemcpy(d_src, src, n, cudaMemcpyHostToDevice), "copying input to the device");
    if (ph_u8_affine_cuda_device(d_src, d_dst, n, scale, shift, why, why_n)) goto fail;
    CUDA_TRY(cudaMemcpy(dst, d_dst, n * sizeof(float), cudaMemcpyDeviceToHost),
             "copying output to the host");
    rc = 0;
fail:
    cudaFree(d_src);
    cudaFree(d_dst);
    return rc;
}
