// handles.cu: the process's cuDNN and cuBLAS handles, created on first use and
// shared by every file, so each library is initialised once.
#include "cuda.h"

static cudnnHandle_t dnn;
static cublasHandle_t blas;

extern "C" int ph_cuda_cudnn_handle(cudnnHandle_t *h, char *why, size_t n)
{
    if (!dnn) {
        cudnnStatus_t s = cudnnCreate(&dnn);
        if (s != CUDNN_STATUS_SUCCESS) {
            dnn = nullptr;
            return snprintf(why, n, "creating the cuDNN handle: %s", cudnnGetErrorString(s)), -1;
        }
    }
    *h = dnn;
    return 0;
}

extern "C" int ph_cuda_cublas_handle(cublasHandle_t *h, char *why, size_t n)
{
    if (!blas) {
        cublasHandle_t b = nullptr;
        BLAS_TRY(cublasCreate(&b), "creating the cuBLAS handle");
        // Plain FP32 with FMA (the default, stated so no TF32 mode slips in): TF32
        // would not match the CPU reference.
        cublasStatus_t s = cublasSetMathMode(b, CUBLAS_DEFAULT_MATH);
        if (s != CUBLAS_STATUS_SUCCESS) {
            cublasDestroy(b);
            return snprintf(why, n, "setting the cuBLAS math mode: %s", cublasGetStatusString(s)),
                   -1;
        }
        blas = b;
    }
    *h = blas;
    return 0;
}
