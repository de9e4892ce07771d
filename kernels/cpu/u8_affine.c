/* u8_affine.c: CPU reference of the uint8 -> float affine conversion, and the op table. */
#include "../kernels.h"

const char *const ph_device_names[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = "cpu",
                                                      [PH_DEVICE_CUDA] = "cuda"};

int ph_u8_affine_cpu(const uint8_t *src, float *dst, size_t n, float scale, float shift,
                     char *why, size_t why_n)
{
    (void)why, (void)why_n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i] * scale + shift;
    return 0;
}

const ph_op_u8_affine ph_op_table_u8_affine = {
    "u8_affine", {[PH_DEVICE_CPU] = ph_u8_affine_cpu, [PH_DEVICE_CUDA] = ph_u8_affine_cuda}};
