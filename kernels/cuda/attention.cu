// attention.cu: CUDA row softmax and its backward, one block per row.  The row
// maximum is subtracted before exp, sums accumulate in double and finish with a
// fixed-order tree, so results are the same on every run.  (Batched GEMMs are in
// blas.cu.)
#include "cuda.h"

#include <limits.h>

__global__ static void softmax_fwd(const float *x, float *y, size_t cols)
{
    __shared__ float pm[PH_CUDA_REDUCE_THREADS];
    __shared__ double ps[PH_CUDA_REDUCE_THREADS];
    const float *xr = x + blockIdx.x * cols;
    float *yr = y + blockIdx.x * cols;
    float mx = -INFINITY;
    for (size_t j = threadIdx.x; j < cols; j += blockDim.x) mx = fmaxf(mx, xr[j]);
    pm[threadIdx.x] = mx;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if ((int)threadIdx.x < w) pm[threadIdx.x] = fmaxf(pm[threadIdx.x], pm[threadIdx.x + w]);
        __syncthreads();
    }
    mx = pm[0];
    double s = 0;
    for (size_t j = threadIdx.x; j < cols; j += blockDim.x) {
        float e = expf(xr[j] - mx);
        yr[j] = e;
        s += e;
    }
    ps[threadIdx.x] = s;
    ph_cuda_block_sum(ps);
    const float inv = (float)(1.0 / ps[0]);
    // each thread rescales the entries it wrote itself
    for (size_t j = threadIdx.x; j < cols; j += blockDim.x) yr[j] *= inv;
}

__global__ static void softmax_bwd(const float *y, const float *dy, float *dx, size_t cols)
{
    __shared__ double ps[PH_CUDA_REDUCE_THREADS];
    const size_t off = blockIdx.x * cols;
    double s = 0;
    for (size_t j = threadIdx.x; j < cols; j += blockDim.x) s += (double)dy[off + j] * y[off + j];
    ps[threadIdx.x] = s;
    ph_cuda_block_sum(ps);
    const float dot = (float)ps[0];
    for (size_t j = threadIdx.x; j < cols; j += blockDim.x)
        dx[off + j] = y[off + j] * (dy[off + j] - dot);
}

extern "C" int ph_cuda_softmax_forward(const float *x, float *y, size_t rows, size_t cols,
                                       char *why, size_t n)
{
    if (rows > INT_MAX) return snprintf(why, n, "softmax: %zu rows exceed one grid", rows), -1;
    if (rows && cols) softmax_fwd<<<(unsigned)rows, PH_CUDA_REDUCE_THREADS>>>(x, y, cols);
    CUDA_LAUNCHED("launching softmax_forward");
    return 0;
}

extern "C" int ph_cuda_softmax_backward(const float *y, const float *dy, float *dx, size_t rows,
                                        size_t cols, char *why, size_t n)
{
    if (rows > INT_MAX) return snprintf(why, n, "softmax: %zu rows exceed one grid", rows), -1;
    if (rows && cols) softmax_bwd<<<(unsigned)rows, PH_CUDA_REDUCE_THREADS>>>(y, dy, dx, cols);
    CUDA_LAUNCHED("launching softmax_backward");
    return 0;
}
