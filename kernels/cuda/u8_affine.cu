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

extern "C" int ph_u8_affine_cuda(const uint8_t *src, float *dst, size_t n, float scale,
                                 float shift, char *why, size_t why_n)
{
    uint8_t *d_src = NULL;
    float *d_dst = NULL;
    int rc = -1;
    int blocks = (int)((n + 255) / 256 < 65535 ? (n + 255) / 256 : 65535);
    CUDA_TRY(cudaMalloc(&d_src, n ? n : 1), "allocating device input");
    CUDA_TRY(cudaMalloc(&d_dst, (n ? n : 1) * sizeof(float)), "allocating device output");
    CUDA_TRY(cudaMemcpy(d_src, src, n, cudaMemcpyHostToDevice), "copying input to the device");
    if (n) u8_affine_kernel<<<blocks, 256>>>(d_src, d_dst, n, scale, shift);
    CUDA_TRY(cudaGetLastError(), "launching u8_affine");
    CUDA_TRY(cudaMemcpy(dst, d_dst, n * sizeof(float), cudaMemcpyDeviceToHost),
             "copying output to the host");
    rc = 0;
fail:
    cudaFree(d_src);
    cudaFree(d_dst);
    return rc;
}
