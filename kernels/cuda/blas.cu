// blas.cu: CUDA sgemm and batched sgemm through cuBLAS, row-major like the CPU
// reference.  A row-major C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T,
// so the operands are passed swapped with m and n exchanged.
#include "cuda.h"

#include <limits.h>

// cuBLAS takes int sizes and leading dimensions.
static int fits_int(int64_t m, int64_t nn, int64_t k, int64_t lda, int64_t ldb, int64_t ldc,
                    char *why, size_t n)
{
    if (m < 0 || nn < 0 || k < 0 || m > INT_MAX || nn > INT_MAX || k > INT_MAX ||
        lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX)
        return snprintf(why, n, "sgemm sizes %lld x %lld x %lld are negative or exceed cuBLAS's int",
                        (long long)m, (long long)nn, (long long)k), -1;
    return 0;
}

extern "C" int ph_cuda_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                             const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                             float *c, int64_t ldc, char *why, size_t n)
{
    cublasHandle_t h;
    if (fits_int(m, nn, k, lda, ldb, ldc, why, n) || ph_cuda_cublas_handle(&h, why, n)) return -1;
    BLAS_TRY(cublasSgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                         (int)nn, (int)m, (int)k, &alpha, b, (int)ldb, a, (int)lda, &beta, c,
                         (int)ldc),
             "cublasSgemm");
    return 0;
}

extern "C" int ph_cuda_sgemm_batched(int ta, int tb, int64_t m, int64_t nn, int64_t k,
                                     float alpha, const float *a, int64_t lda, int64_t sa,
                                     const float *b, int64_t ldb, int64_t sb, float beta,
                                     float *c, int64_t ldc, int64_t sc, int64_t batch, char *why,
                                     size_t n)
{
    cublasHandle_t h;
    if (fits_int(m, nn, k, lda, ldb, ldc, why, n)) return -1;
    if (batch < 0 || batch > INT_MAX)
        return snprintf(why, n, "batch of %lld GEMMs exceeds cuBLAS's int", (long long)batch), -1;
    if (batch == 0) return 0;
    if (ph_cuda_cublas_handle(&h, why, n)) return -1;
    BLAS_TRY(cublasSgemmStridedBatched(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                       ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)nn, (int)m, (int)k,
                                       &alpha, b, (int)ldb, (long long)sb, a, (int)lda,
                                       (long long)sa, &beta, c, (int)ldc, (long long)sc,
                                       (int)batch),
             "cublasSgemmStridedBatched");
    return 0;
}
