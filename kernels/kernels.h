/* kernels.h: compute kernels behind one interface, CPU reference and CUDA.
 *
 * Each op has one entry per device in its table; the CPU entry is the
 * reference and the backend-comparison test (tests/unit/test_kernels.c)
 * checks the CUDA entry against it whenever a GPU is present.  The engine
 * issue grows this table (convolution, pooling, GEMM, ...). */
#ifndef PHASOR_KERNELS_H
#define PHASOR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PH_DEVICE_CPU, PH_DEVICE_CUDA, PH_DEVICE_COUNT } ph_device;
extern const char *const ph_device_names[PH_DEVICE_COUNT];

/* Number of usable CUDA devices; 0 with a reason in `why` when there are
 * none (no GPU, no driver, or a build without CUDA). */
int ph_cuda_device_count(char *why, size_t n);

/* dst[i] = src[i] * scale + shift: turns stored uint8 frames into model
 * inputs (scale = 1/255 maps to [0, 1]).  Host pointers; returns 0 on
 * success, -1 with a reason on failure. */
typedef int (*ph_u8_affine_fn)(const uint8_t *src, float *dst, size_t n, float scale, float shift,
                               char *why, size_t why_n);
int ph_u8_affine_cpu(const uint8_t *src, float *dst, size_t n, float scale, float shift,
                     char *why, size_t why_n);
int ph_u8_affine_cuda(const uint8_t *src, float *dst, size_t n, float scale, float shift,
                      char *why, size_t why_n);

/* The same on device pointers, no copies (for the engine and for benchmarks). */
int ph_u8_affine_cuda_device(const uint8_t *d_src, float *d_dst, size_t n, float scale,
                             float shift, char *why, size_t why_n);

typedef struct {
    const char *name;
    ph_u8_affine_fn impl[PH_DEVICE_COUNT];
} ph_op_u8_affine;
extern const ph_op_u8_affine ph_op_table_u8_affine;

#ifdef __cplusplus
}
#endif

#endif
