/* gemm.c: CPU sgemm through oneDNN (dnnl_sgemm, row-major). OpenBLAS is not
 * used: Debian 12's OpenBLAS 0.3.21 misdetects recent CPUs and runs slow kernels. */
#include "cpu.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>

int ph_cpu_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha, const float *a,
                 int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                 char *why, size_t n)
{
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, nn, k, alpha, a, lda, b, ldb,
                                  beta, c, ldc);
    if (st != dnnl_success) return snprintf(why, n, "dnnl_sgemm: status %d", (int)st), -1;
    return 0;
}
