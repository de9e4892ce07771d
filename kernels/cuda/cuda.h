// cuda.h: helpers shared by the CUDA backend's files.
#ifndef PHASOR_KERNELS_CUDA_H
#define PHASOR_KERNELS_CUDA_H

#include "../kernels.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Each CUDA file returns -1 with "what: cause [file:line]" in why.
#define CUDA_TRY(call, what)                                                             \
    do {                                                                                 \
        cudaError_t e_ = (call);                                                         \
        if (e_ != cudaSuccess) {                                                         \
            snprintf(why, n, "%s: %s [%s:%d]", (what), cudaGetErrorString(e_), __FILE__,  \
                     __LINE__);                                                          \
            return -1;                                                                   \
        }                                                                                \
    } while (0)

// PHASOR_CUDA_SYNC=1: wait for every kernel right after its launch (debugging; slower).
static inline int ph_cuda_sync_each(void)
{
    static int v = -1; // read once per file; a race writes the same value
    if (v < 0) {
        const char *e = getenv("PHASOR_CUDA_SYNC");
        v = e && *e && strcmp(e, "0") != 0;
    }
    return v;
}

// After a kernel launch: a launch error is reported now.  An error while the kernel runs
// (an illegal address) surfaces at a later call, blamed on that call, unless
// PHASOR_CUDA_SYNC=1 makes this op wait for its kernel and report it here.
#define CUDA_LAUNCHED(what)                                                  \
    do {                                                                     \
        CUDA_TRY(cudaGetLastError(), (what));                                \
        if (ph_cuda_sync_each()) CUDA_TRY(cudaDeviceSynchronize(), (what));  \
    } while (0)

// cuDNN calls jump to a local `done:` label that returns -1, so descriptors held
// by destructors are released on every path.
#define DNN_TRY(call, what)                                                               \
    do {                                                                                  \
        cudnnStatus_t s_ = (call);                                                        \
        if (s_ != CUDNN_STATUS_SUCCESS) {                                                 \
            snprintf(why, n, "%s: %s [%s:%d]", (what), cudnnGetErrorString(s_), __FILE__, \
                     __LINE__);                                                           \
            goto done;                                                                    \
        }                                                                                 \
    } while (0)

#define BLAS_TRY(call, what)                                                                \
    do {                                                                                    \
        cublasStatus_t b_ = (call);                                                         \
        if (b_ != CUBLAS_STATUS_SUCCESS) {                                                  \
            snprintf(why, n, "%s: %s [%s:%d]", (what), cublasGetStatusString(b_), __FILE__, \
                     __LINE__);                                                             \
            return -1;                                                                      \
        }                                                                                   \
    } while (0)

// Grid for grid-stride loops of 256 threads.
static inline int ph_cuda_grid(size_t count)
{
    size_t blocks = (count + 255) / 256;
    return (int)(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

// Grid-stride loop over [0, count): each thread takes every gridDim*blockDim-th index.
#define PH_CUDA_FOR(i, count)                                                        \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (count);      \
         i += (size_t)gridDim.x * blockDim.x)

// Strides of a packed row-major tensor of nd dimensions (cuDNN descriptors).
static inline void ph_cuda_packed_strides(const int *dims, int nd, int *strides)
{
    strides[nd - 1] = 1;
    for (int i = nd - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
}

// Threads of the one-block-per-row/statistic reductions (a power of two).
#define PH_CUDA_REDUCE_THREADS 256

// Sums part[0 .. blockDim.x) into part[0] in a fixed order (blockDim.x a power of
// two), so a reduction gives the same bits on every run.
template <typename T> __device__ inline void ph_cuda_block_sum(T *part)
{
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if ((int)threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
        __syncthreads();
    }
}

extern "C" {
// One cuDNN and one cuBLAS handle per process, created on first use (FMA math, no TF32).
int ph_cuda_cudnn_handle(cudnnHandle_t *h, char *why, size_t n);
int ph_cuda_cublas_handle(cublasHandle_t *h, char *why, size_t n);

int ph_cuda_u8_affine(const uint8_t *src, float *dst, size_t count, float scale, float shift,
                      char *why, size_t n);
int ph_cuda_avgpool_global_forward(const float *x, float *y, size_t planes, size_t spatial,
                                   char *why, size_t n);
int ph_cuda_avgpool_global_backward(const float *dy, float *dx, size_t planes, size_t spatial,
                                    char *why, size_t n);
int ph_cuda_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                        float lr, float beta1, float beta2, float eps, float decay, int decoupled,
                        int64_t step, char *why, size_t n);
int ph_cuda_sgd_update(float *param, const float *grad, float *buf, size_t count, float lr,
                       float momentum, float decay, int nesterov, int64_t step, char *why,
                       size_t n);
int ph_cuda_act_forward(ph_act kind, const float *x, float *y, size_t count, char *why, size_t n);
int ph_cuda_act_backward(ph_act kind, const float *x, const float *y, const float *dy, float *dx,
                         size_t count, char *why, size_t n);
int ph_cuda_binary(ph_binop op, const float *a, const float *b, float *y, size_t count, char *why,
                   size_t n);
int ph_cuda_axpby(float alpha, const float *x, float beta, float *y, size_t count, char *why,
                  size_t n);
int ph_cuda_fill(float *x, float value, size_t count, char *why, size_t n);
int ph_cuda_copy2d(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t cols,
                   char *why, size_t n);
int ph_cuda_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                  char *why, size_t n);
int ph_cuda_sgemm_batched(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                          const float *a, int64_t lda, int64_t sa, const float *b, int64_t ldb,
                          int64_t sb, float beta, float *c, int64_t ldc, int64_t sc,
                          int64_t batch, char *why, size_t n);
int ph_cuda_conv_forward(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y, char *why, size_t n);
int ph_cuda_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w,
                               float *dx, char *why, size_t n);
int ph_cuda_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                  float *dw, float *db, char *why, size_t n);
int ph_cuda_pool_forward(const ph_pool_shape *s, const float *x, float *y, char *why, size_t n);
int ph_cuda_pool_backward(const ph_pool_shape *s, const float *x, const float *y,
                          const float *dy, float *dx, char *why, size_t n);
int ph_cuda_norm_moments(const ph_norm_shape *s, const float *x, double *sum, double *sumsq,
                         char *why, size_t n);
int ph_cuda_norm_forward(const ph_norm_shape *s, const float *x, const float *mean,
                         const float *rstd, const float *gamma, const float *beta, float *y,
                         char *why, size_t n);
int ph_cuda_norm_backward_sums(const ph_norm_shape *s, const float *x, const float *dy,
                               const float *mean, const float *rstd, const float *gamma,
                               double *sum_g, double *sum_gx, float *dgamma, float *dbeta,
                               char *why, size_t n);
int ph_cuda_norm_backward_apply(const ph_norm_shape *s, const float *x, const float *dy,
                                const float *mean, const float *rstd, const float *gamma,
                                const float *a, const float *b, float *dx, char *why, size_t n);
int ph_cuda_softmax_forward(const float *x, float *y, size_t rows, size_t cols, char *why,
                            size_t n);
int ph_cuda_softmax_backward(const float *y, const float *dy, float *dx, size_t rows, size_t cols,
                             char *why, size_t n);
int ph_cuda_resize_forward(const float *x, float *y, size_t planes, int ih, int iw, int oh, int ow,
                           char *why, size_t n);
int ph_cuda_resize_backward(const float *dy, float *dx, size_t planes, int ih, int iw, int oh,
                            int ow, char *why, size_t n);
int ph_cuda_polar_forward(const float *mag, const float *phase, float *re, float *im,
                          size_t count, char *why, size_t n);
int ph_cuda_polar_backward(const float *mag, const float *phase, const float *dre,
                           const float *dim, float *dmag, float *dphase, size_t count, char *why,
                           size_t n);
int ph_cuda_abs_arg_forward(const float *re, const float *im, float *mag, float *phase,
                            size_t count, char *why, size_t n);
int ph_cuda_abs_arg_backward(const float *re, const float *im, const float *mag,
                             const float *dmag, const float *dphase, float *dre, float *dim,
                             size_t count, char *why, size_t n);
}

#endif
