// backend.cu: the CUDA backend table, device discovery and device memory.
#include "cuda.h"

extern "C" int ph_cuda_device_count(char *why, size_t n)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(why, n, "no CUDA device: %s", cudaGetErrorString(e));
        cudaGetLastError(); // clear the sticky error
        return 0;
    }
    if (count == 0) snprintf(why, n, "no CUDA device present");
    return count;
}

static void *cuda_alloc(size_t bytes)
{
    void *p = nullptr;
    return cudaMalloc(&p, bytes ? bytes : 1) == cudaSuccess ? p : nullptr;
}

static void cuda_free(void *p) { cudaFree(p); }

extern "C" void *ph_cuda_host_alloc(size_t bytes)
{
    void *p = nullptr;
    if (cudaMallocHost(&p, bytes ? bytes : 1) == cudaSuccess) return p;
    cudaGetLastError(); // the caller falls back to pageable memory: no error to keep
    return nullptr;
}

extern "C" void ph_cuda_host_free(void *p) { cudaFreeHost(p); }

int ph_cuda_upload(void *dst, const void *host, size_t bytes, char *why, size_t n)
{
    CUDA_TRY(cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice), "copying to the device");
    return 0;
}

int ph_cuda_download(void *host, const void *src, size_t bytes, char *why, size_t n)
{
    CUDA_TRY(cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost), "copying from the device");
    return 0;
}

// Every op of kernels/ops.def: .NAME = ph_cuda_NAME, in the list's order, which is the
// declaration order C++20's designated initialisers need.
extern "C" const ph_backend ph_backend_cuda = {
    .name = "cuda",
    .alloc = cuda_alloc,
    .free = cuda_free,
#define PH_OP(ret, op, params) .op = ph_cuda_##op,
#include "../ops.def"
};
