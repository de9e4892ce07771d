/* backend.c: the CPU backend table (the reference) and host memory. */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

const char *const ph_device_names[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = "cpu",
                                                      [PH_DEVICE_CUDA] = "cuda"};

static void *cpu_alloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }
static void cpu_free(void *p) { free(p); }

int ph_cpu_upload(void *dst, const void *host, size_t bytes, char *why, size_t n)
{
    (void)why, (void)n;
    memcpy(dst, host, bytes);
    return 0;
}

int ph_cpu_download(void *host, const void *src, size_t bytes, char *why, size_t n)
{
    (void)why, (void)n;
    memcpy(host, src, bytes);
    return 0;
}

/* Every op of kernels/ops.def: .NAME = ph_cpu_NAME. */
const ph_backend ph_backend_cpu = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
#define PH_OP(ret, op, params) .op = ph_cpu_##op,
#include "../ops.def"
};

const ph_backend *const ph_backends[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = &ph_backend_cpu,
                                                        [PH_DEVICE_CUDA] = &ph_backend_cuda};
