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

// One block per plane; a fixed-order tree reduction, so results are reproducible.
__global__ static void avgpool_fwd(const float *x, float *y, size_t spatial)
{
    __shared__ double part[256];
    const float *p = x + blockIdx.x * spatial;
    double s = 0;
    for (size_t j = threadIdx.x; j < spatial; j += blockDim.x) s += p[j];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if ((int)threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) y[blockIdx.x] = (float)(part[0] / (double)spatial);
}

__global__ static void avgpool_bwd(const float *dy, float *dx, size_t planes, size_t spatial)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < planes * spatial;
         i += (size_t)gridDim.x * blockDim.x)
        dx[i] = dy[i / spatial] / (float)spatial;
}

extern "C" int ph_cuda_avgpool_global_forward(const float *x, float *y, size_t planes,
                                              size_t spatial, char *why, size_t n)
{
    if (planes > 2147483647u) return snprintf(why, n, "too many planes for one grid"), -1;
    if (planes) avgpool_fwd<<<(unsigned)planes, 256>>>(x, y, spatial);
    CUDA_TRY(cudaGetLastError(), "launching avgpool_global_forward");
    return 0;
}

extern "C" int ph_cuda_avgpool_global_backward(const float *dy, float *dx, size_t planes,
                                               size_t spatial, char *why, size_t n)
{
    if (planes != 0 && spatial != 0) avgpool_bwd<<<ph_cuda_grid(planes * spatial), 256>>>(dy, dx, planes, spatial);
    CUDA_TRY(cudaGetLastError(), "launching avgpool_global_backward");
    return 0;
}

__global__ static void adam(float *param, const float *grad, float *m, float *v, size_t count,
                            float lr, float beta1, float beta2, float eps, float decay, float c1,
                            float c2)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < count;
         i += (size_t)gridDim.x * blockDim.x) {
        float g = grad[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        float mh = m[i] / c1, vh = v[i] / c2;
        param[i] -= lr * (mh / (sqrtf(vh) + eps) + decay * param[i]);
    }
}

extern "C" int ph_cuda_adam_update(float *param, const float *grad, float *m, float *v,
                                   size_t count, float lr, float beta1, float beta2, float eps,
                                   float decay, int64_t step, char *why, size_t n)
{
    const float c1 = 1.0f - powf(beta1, (float)step), c2 = 1.0f - powf(beta2, (float)step);
    if (count) adam<<<ph_cuda_grid(count), 256>>>(param, grad, m, v, count, lr, beta1, beta2, eps, decay, c1, c2);
    CUDA_TRY(cudaGetLastError(), "launching adam_update");
    return 0;
}
