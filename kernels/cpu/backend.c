/* backend.c: the CPU backend table (the reference) and host memory. */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

const char *const ph_device_names[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = "cpu",
                                                      [PH_DEVICE_CUDA] = "cuda"};

static void *cpu_alloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }
static void cpu_free(void *p) { free(p); }

static int cpu_copy(void *dst, const void *src, size_t bytes, char *why, size_t n)
{
    (void)why, (void)n;
    memcpy(dst, src, bytes);
    return 0;
}

const ph_backend ph_backend_cpu = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .u8_affine = ph_cpu_u8_affine,
    .sgemm = ph_cpu_sgemm,
    .conv_forward = ph_cpu_conv_forward,
    .conv_backward_data = ph_cpu_conv_backward_data,
    .conv_backward_weights = ph_cpu_conv_backward_weights,
    .avgpool_global_forward = ph_cpu_avgpool_global_forward,
    .avgpool_global_backward = ph_cpu_avgpool_global_backward,
    .adam_update = ph_cpu_adam_update,
    .relu_forward = ph_cpu_relu_forward,
    .relu_backward = ph_cpu_relu_backward,
};

const ph_backend *const ph_backends[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = &ph_backend_cpu,
                                                        [PH_DEVICE_CUDA] = &ph_backend_cuda};
