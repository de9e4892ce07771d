/* attention.c: CPU batched GEMM (dnnl_sgemm per matrix) and row softmax. */
#include "cpu.h"

#include <math.h>

int ph_cpu_sgemm_batched(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                         const float *a, int64_t lda, int64_t sa, const float *b, int64_t ldb,
                         int64_t sb, float beta, float *c, int64_t ldc, int64_t sc, int64_t batch,
                         char *why, size_t n)
{
    for (int64_t i = 0; i < batch; i++)
        if (ph_cpu_sgemm(ta, tb, m, nn, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta,
                         c + i * sc, ldc, why, n))
            return -1;
    return 0;
}

int ph_cpu_softmax_forward(const float *x, float *y, size_t rows, size_t cols, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        const float *px = x + r * cols;
        float *py = y + r * cols;
        float mx = -INFINITY;
        for (size_t j = 0; j < cols; j++) mx = px[j] > mx ? px[j] : mx;
        double sum = 0;
        for (size_t j = 0; j < cols; j++) sum += py[j] = expf(px[j] - mx);
        float inv = (float)(1.0 / sum);
        for (size_t j = 0; j < cols; j++) py[j] *= inv;
    }
    return 0;
}

int ph_cpu_softmax_backward(const float *y, const float *dy, float *dx, size_t rows, size_t cols,
                            char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) {
        const float *py = y + r * cols, *pd = dy + r * cols;
        double dot = 0;
        for (size_t j = 0; j < cols; j++) dot += (double)pd[j] * py[j];
        for (size_t j = 0; j < cols; j++) dx[r * cols + j] = py[j] * (pd[j] - (float)dot);
    }
    return 0;
}
