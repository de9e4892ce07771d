/* cuda_none.c: the CUDA row of a build without nvcc (make CUDA=0): no devices and
 * no ops, so a caller of any op gets the reason below (ph_backend_missing). */
#include "kernels.h"

#include <stdio.h>

static const char none[] = "this build has no CUDA backend (rebuild with nvcc on PATH)";

int ph_cuda_device_count(char *why, size_t n) { return snprintf(why, n, "%s", none), 0; }

void *ph_cuda_host_alloc(size_t bytes) { return (void)bytes, NULL; }
void ph_cuda_host_free(void *p) { (void)p; }

static void *none_alloc(size_t bytes) { return (void)bytes, NULL; }
static void none_free(void *p) { (void)p; }

const ph_backend ph_backend_cuda = {
    .name = "cuda", .missing = none, .alloc = none_alloc, .free = none_free};
