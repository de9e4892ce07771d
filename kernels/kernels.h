/* kernels.h: compute kernels behind one interface, a CPU reference and CUDA.
 *
 * A backend is a table of functions (ph_backend); ph_backends[] has one row
 * per device, and every field must be set in every row (tests/unit/
 * test_kernels.c lists any gap).  The CPU row is the reference (oneDNN and
 * OpenMP, host pointers); the CUDA row (cuBLAS, cuDNN, own kernels, device
 * pointers) is checked against it by tests/unit/test_kernels_cuda.c
 * whenever a GPU is present.  All functions return 0, or -1 with a reason
 * in `why`; callers wrap them in PH_CHECK_KERNEL. */
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

/* Convolution geometry, plain layouts: activations N C (D) H W, weights
 * O C/G (KD) KH KW, bias O.  Spatial arrays hold nsp entries (2 or 3),
 * outermost first; dil = 1 means no dilation. */
typedef struct {
    int nsp;
    int n, c, o, groups;
    int in[3], k[3], stride[3], pad[3], dil[3];
    int out[3]; /* set by ph_conv_shape_init */
} ph_conv_shape;

/* Checks the geometry and computes the output size; -1 with a reason if impossible. */
int ph_conv_shape_init(ph_conv_shape *s, char *why, size_t n);
size_t ph_conv_x_count(const ph_conv_shape *s);
size_t ph_conv_w_count(const ph_conv_shape *s);
size_t ph_conv_y_count(const ph_conv_shape *s);
/* Floating-point operations of one pass (2 x multiply-adds, padding taps included). */
double ph_conv_flops(const ph_conv_shape *s);

typedef struct {
    const char *name;
    /* memory on the backend's device */
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    int (*upload)(void *dst, const void *host, size_t bytes, char *why, size_t n);
    int (*download)(void *host, const void *src, size_t bytes, char *why, size_t n);
    /* dst[i] = src[i] * scale + shift: stored uint8 frames -> model inputs */
    int (*u8_affine)(const uint8_t *src, float *dst, size_t count, float scale, float shift,
                     char *why, size_t n);
    /* C = alpha op(A) op(B) + beta C, row-major, op = transpose when ta/tb */
    int (*sgemm)(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha, const float *a,
                 int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                 char *why, size_t n);
    /* y = conv(x, w) + b (b may be NULL) */
    int (*conv_forward)(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, char *why, size_t n);
    /* dx = conv_transpose(dy, w) */
    int (*conv_backward_data)(const ph_conv_shape *s, const float *dy, const float *w, float *dx,
                              char *why, size_t n);
    /* dw = correlation(x, dy), db = sum of dy over N and space (db may be NULL) */
    int (*conv_backward_weights)(const ph_conv_shape *s, const float *x, const float *dy,
                                 float *dw, float *db, char *why, size_t n);
    /* y[i] = mean of x[i*spatial .. (i+1)*spatial), i < planes; dx = dy[i] / spatial */
    int (*avgpool_global_forward)(const float *x, float *y, size_t planes, size_t spatial,
                                  char *why, size_t n);
    int (*avgpool_global_backward)(const float *dy, float *dx, size_t planes, size_t spatial,
                                   char *why, size_t n);
    /* One Adam(W) step on count parameters; step counts from 1 (bias correction),
     * decay is decoupled weight decay (AdamW). */
    int (*adam_update)(float *param, const float *grad, float *m, float *v, size_t count,
                       float lr, float beta1, float beta2, float eps, float decay, int64_t step,
                       char *why, size_t n);
    /* y = max(x, 0); dx = dy where x > 0, else 0 */
    int (*relu_forward)(const float *x, float *y, size_t count, char *why, size_t n);
    int (*relu_backward)(const float *x, const float *dy, float *dx, size_t count, char *why,
                         size_t n);
} ph_backend;

extern const ph_backend ph_backend_cpu, ph_backend_cuda;
extern const ph_backend *const ph_backends[PH_DEVICE_COUNT];

#ifdef __cplusplus
}
#endif

#endif
