// cuda.h: helpers shared by the CUDA backend's files, and its functions (one per op).
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

// ph_cuda_NAME for every op NAME of kernels/ops.def, with the op's parameters.
#define PH_OP(ret, op, params) ret ph_cuda_##op PH_OP_PARAMS(params);
#include "../ops.def"
}

#endif
