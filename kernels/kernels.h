/* kernels.h: compute kernels behind one interface, a CPU reference and CUDA.
 *
 * A backend is a table of functions (ph_backend); ph_backends[] has one row
 * per device.  The ops are listed once, in kernels/ops.def (what each
 * computes, and how to add one), which makes the table's fields, ph_op, and
 * both rows.  The CPU row is the reference (oneDNN and OpenMP, host
 * pointers) and has every op; the CUDA row (cuBLAS, cuDNN, own kernels,
 * device pointers) has every op too in a build with nvcc and none in a
 * build without (kernels/cuda_none.c); tests/unit/test_kernels.c checks
 * both against the list.  The CUDA row is checked against the CPU by
 * tests/unit/test_kernels_cuda.c whenever a GPU is present.  All ops return
 * 0, or -1 with a reason in `why`; callers wrap them in PH_KERNEL
 * (common/nn/nn.h), PH_FFT_KERNEL or PH_OP_CALL, which report an op a row
 * lacks (ph_backend_supports) instead of calling NULL. */
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
/* Page-locked host memory (cudaMallocHost), which the device copies to and from
 * directly; NULL without a usable device or when none is left (use malloc then). */
void *ph_cuda_host_alloc(size_t bytes);
void ph_cuda_host_free(void *p);

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

/* Arithmetic of the convolutions (conv_precision); ph_precision_names[] in the same order. */
typedef enum { PH_PRECISION_FP32, PH_PRECISION_BF16, PH_PRECISION_COUNT } ph_precision;
extern const char *const ph_precision_names[PH_PRECISION_COUNT];

/* Element-wise activations; ph_act_names[] in the same order. */
typedef enum { PH_ACT_RELU, PH_ACT_SIGMOID, PH_ACT_TANH, PH_ACT_SOFTPLUS, PH_ACT_COUNT } ph_act;
extern const char *const ph_act_names[PH_ACT_COUNT];

typedef enum { PH_BIN_ADD, PH_BIN_SUB, PH_BIN_MUL, PH_BIN_COUNT } ph_binop;

/* Window pooling geometry, plain layout N C (D) H W, spatial arrays outermost
 * first.  Average pooling divides by the taps inside the input (padding
 * excluded); padded taps never win a max. */
typedef enum { PH_POOL_MAX, PH_POOL_AVG } ph_pool_kind;
typedef struct {
    int nsp;
    int n, c;
    ph_pool_kind kind;
    int in[3], k[3], stride[3], pad[3];
    int out[3]; /* set by ph_pool_shape_init */
} ph_pool_shape;
int ph_pool_shape_init(ph_pool_shape *s, char *why, size_t n);
size_t ph_pool_x_count(const ph_pool_shape *s);
size_t ph_pool_y_count(const ph_pool_shape *s);

/* Normalisation statistics over x [N, C, S] (S = spatial size):
 * groups = 0: one statistic per channel over N and S (batch norm, K = C);
 * groups = G > 0: one per sample and group of C/G channels over those
 * channels and S (group norm; G = C is instance norm, K = N G).
 * Statistic k of element (i, c, s) is c, or i G + c / (C/G). */
typedef struct {
    int n, c, groups;
    size_t s;
} ph_norm_shape;
size_t ph_norm_stat_count(const ph_norm_shape *s);    /* K */
double ph_norm_stat_elements(const ph_norm_shape *s); /* M, elements per statistic */

/* A batch of 2D real DFTs of [batch, h, w] planes.  A spectrum is two planes,
 * real and imaginary, of [batch, h, w/2 + 1]: the non-negative frequencies of
 * the last axis, rows in FFTW/cuFFT order (0, 1, .., then the negative ones). */
typedef struct {
    int batch, h, w;
} ph_fft_shape;
size_t ph_fft_real_count(const ph_fft_shape *s); /* batch h w */
size_t ph_fft_spec_count(const ph_fft_shape *s); /* batch h (w/2 + 1) */

/* An op's parameters as the list writes them, then the reason for a failure:
 * PH_OP_PARAMS((float *x, size_t count)) is (float *x, size_t count, char *why, size_t n). */
#define PH_OP_UNPAREN(...) __VA_ARGS__
#define PH_OP_PARAMS(params) (PH_OP_UNPAREN params, char *why, size_t n)

/* One enumerator per op of kernels/ops.def, in its order: PH_OP_conv_forward, ... */
typedef enum {
#define PH_OP(ret, op, params) PH_OP_##op,
#include "ops.def"
    PH_OP_COUNT
} ph_op;
extern const char *const ph_op_names[PH_OP_COUNT]; /* "conv_forward", ... */

typedef struct {
    const char *name;
    /* the reason reported for an op this row lacks; NULL: "the NAME backend has no op OP" */
    const char *missing;
    /* memory on the backend's device */
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    /* one function per op of kernels/ops.def (upload, download, u8_affine, sgemm, ...),
     * NULL where this backend lacks it */
#define PH_OP(ret, op, params) ret (*op) PH_OP_PARAMS(params);
#include "ops.def"
} ph_backend;

extern const ph_backend ph_backend_cpu, ph_backend_cuda;
extern const ph_backend *const ph_backends[PH_DEVICE_COUNT];

/* 1 when the backend has the op (its entry is set), else 0. */
int ph_backend_supports(const ph_backend *be, ph_op op);
/* Writes why the backend lacks the op (its `missing` reason, or one naming the
 * op) and returns -1, as the op would on failure. */
int ph_backend_missing(const ph_backend *be, ph_op op, char *why, size_t n);

/* be->OP(args..., why, n), or -1 with ph_backend_missing's reason when the
 * backend lacks OP: an op is never called through NULL. */
#define PH_OP_CALL(be, op, why, n, ...)                                                 \
    ((be)->op ? (be)->op(__VA_ARGS__, (why), (n))                                       \
              : ph_backend_missing((be), PH_OP_##op, (why), (n)))

#ifdef __cplusplus
}
#endif

#endif
