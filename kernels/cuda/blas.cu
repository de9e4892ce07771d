// blas.cu: CUDA sgemm through cuBLAS, row-major like the CPU reference.
#include "cuda.h"

#include <cublas_v2.h>

static cublasHandle_t handle;

extern "C" int ph_cuda_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                             const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                             float *c, int64_t ldc, char *why, size_t n)
{
    cublasStatus_t st;
    if (!handle && (st = cublasCreate(&handle)) != CUBLAS_STATUS_SUCCESS) {
        snprintf(why, n, "cublasCreate: %s", cublasGetStatusString(st));
        return -1;
    }
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    st = cublasSgemm(handle, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                     (int)nn, (int)m, (int)k, &alpha, b, (int)ldb, a, (int)lda, &beta, c, (int)ldc);
    if (st != CUBLAS_STATUS_SUCCESS) {
        snprintf(why, n, "cublasSgemm: %s", cublasGetStatusString(st));
        return -1;
    }
    return 0;
}
