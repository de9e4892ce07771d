/* cuda_absent.c: the CUDA entry points of a build without nvcc (make CUDA=0).
 * They report that this build has no CUDA backend; callers fall back to CPU. */
#include "../kernels.h"

#include <stdio.h>

int ph_cuda_device_count(char *why, size_t n)
{
    snprintf(why, n, "this build has no CUDA backend (rebuild with nvcc on PATH)");
    return 0;
}

int ph_u8_affine_cuda(const uint8_t *src, float *dst, size_t n, float scale, float shift,
                      char *why, size_t why_n)
{
    (void)src, (void)dst, (void)n, (void)scale, (void)shift;
    snprintf(why, why_n, "this build has no CUDA backend");
    return -1;
}

int ph_u8_affine_cuda_device(const uint8_t *d_src, float *d_dst, size_t n, float scale,
                             float shift, char *why, size_t why_n)
{
    return ph_u8_affine_cuda(d_src, d_dst, n, scale, shift, why, why_n);
}
