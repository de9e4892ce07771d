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
    /* One Adam step on count parameters; step counts from 1 (bias correction).
     * decoupled = 1: AdamW, param -= lr * decay * param beside the Adam step;
     * decoupled = 0: classic L2, decay * param is added to the gradient. */
    int (*adam_update)(float *param, const float *grad, float *m, float *v, size_t count,
                       float lr, float beta1, float beta2, float eps, float decay, int decoupled,
                       int64_t step, char *why, size_t n);
    /* SGD with momentum (PyTorch's form): g = grad + decay * param;
     * buf = momentum * buf + g (buf = g on step 1); the step is g + momentum *
     * buf when nesterov, else buf; param -= lr * step.  buf may be NULL when
     * momentum is 0. */
    int (*sgd_update)(float *param, const float *grad, float *buf, size_t count, float lr,
                      float momentum, float decay, int nesterov, int64_t step, char *why,
                      size_t n);

    /* ---- element-wise ---- */
    /* y = f(x) for f in ph_act; backward: dx = dy * f'(x), given x and y = f(x) */
    int (*act_forward)(ph_act kind, const float *x, float *y, size_t count, char *why, size_t n);
    int (*act_backward)(ph_act kind, const float *x, const float *y, const float *dy, float *dx,
                        size_t count, char *why, size_t n);
    /* y = a OP b (y may alias a or b) */
    int (*binary)(ph_binop op, const float *a, const float *b, float *y, size_t count, char *why,
                  size_t n);
    /* y = alpha x + beta y; beta = 0 overwrites y without reading it */
    int (*axpby)(float alpha, const float *x, float beta, float *y, size_t count, char *why,
                 size_t n);
    /* x[i] = value */
    int (*fill)(float *x, float value, size_t count, char *why, size_t n);
    /* rows x cols block copy: dst[r*ldd + c] = src[r*lds + c] (concat and split) */
    int (*copy2d)(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t cols,
                  char *why, size_t n);

    /* ---- pooling over windows (plain layout N C (D) H W) ---- */
    int (*pool_forward)(const ph_pool_shape *s, const float *x, float *y, char *why, size_t n);
    /* dx from dy; max pooling routes each dy to the first maximum of its window */
    int (*pool_backward)(const ph_pool_shape *s, const float *x, const float *y, const float *dy,
                         float *dx, char *why, size_t n);

    /* ---- normalisation (batch, group, instance; see ph_norm_shape) ---- */
    /* sum and sum of squares of x per statistic, accumulated in double */
    int (*norm_moments)(const ph_norm_shape *s, const float *x, double *sum, double *sumsq,
                        char *why, size_t n);
    /* y = (x - mean[k]) * rstd[k] * gamma[c] + beta[c]; gamma and beta may be NULL (1, 0) */
    int (*norm_forward)(const ph_norm_shape *s, const float *x, const float *mean,
                        const float *rstd, const float *gamma, const float *beta, float *y,
                        char *why, size_t n);
    /* per statistic k: sum_g[k] = sum of gamma[c] dy, sum_gx[k] = sum of gamma[c] dy xhat
     * (double); per channel (when not NULL): dgamma[c] = sum of dy xhat, dbeta[c] = sum of dy */
    int (*norm_backward_sums)(const ph_norm_shape *s, const float *x, const float *dy,
                              const float *mean, const float *rstd, const float *gamma,
                              double *sum_g, double *sum_gx, float *dgamma, float *dbeta,
                              char *why, size_t n);
    /* dx = rstd[k] (gamma[c] dy - a[k] - xhat b[k]), a = sum_g / M, b = sum_gx / M */
    int (*norm_backward_apply)(const ph_norm_shape *s, const float *x, const float *dy,
                               const float *mean, const float *rstd, const float *gamma,
                               const float *a, const float *b, float *dx, char *why, size_t n);

    /* ---- attention ---- */
    /* batch of row-major GEMMs, matrix i at a + i*sa, b + i*sb, c + i*sc */
    int (*sgemm_batched)(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                         const float *a, int64_t lda, int64_t sa, const float *b, int64_t ldb,
                         int64_t sb, float beta, float *c, int64_t ldc, int64_t sc, int64_t batch,
                         char *why, size_t n);
    /* softmax over each row of [rows, cols]; backward: dx = y (dy - sum(dy y)) */
    int (*softmax_forward)(const float *x, float *y, size_t rows, size_t cols, char *why,
                           size_t n);
    int (*softmax_backward)(const float *y, const float *dy, float *dx, size_t rows, size_t cols,
                            char *why, size_t n);

    /* ---- resampling ---- */
    /* bilinear, half-pixel centres (align_corners = false), edges clamped, no antialias;
     * planes images [ih, iw] -> [oh, ow]; backward accumulates into a zeroed dx itself */
    int (*resize_forward)(const float *x, float *y, size_t planes, int ih, int iw, int oh, int ow,
                          char *why, size_t n);
    int (*resize_backward)(const float *dy, float *dx, size_t planes, int ih, int iw, int oh,
                           int ow, char *why, size_t n);

    /* ---- complex values as pairs of real planes ---- */
    /* re = mag cos(phase), im = mag sin(phase) and its backward.  In polar_backward and both
     * abs_arg ops, on both backends, an incoming gradient may be NULL (zero) and so may an
     * output not wanted. */
    int (*polar_forward)(const float *mag, const float *phase, float *re, float *im, size_t count,
                         char *why, size_t n);
    int (*polar_backward)(const float *mag, const float *phase, const float *dre,
                          const float *dim, float *dmag, float *dphase, size_t count, char *why,
                          size_t n);
    /* mag = |re + i im|, phase = atan2(im, re); backward given both outputs' gradients
     * (either may be NULL = zero); at 0 the gradient is taken as 0 */
    int (*abs_arg_forward)(const float *re, const float *im, float *mag, float *phase,
                           size_t count, char *why, size_t n);
    int (*abs_arg_backward)(const float *re, const float *im, const float *mag,
                            const float *dmag, const float *dphase, float *dre, float *dim,
                            size_t count, char *why, size_t n);

    /* ---- recurrent tracking cells (InT, CV-RNN): one time step's element-wise
     * work, fused (kernels/cpu/cell.c, kernels/cuda/cell.cu).  States are
     * [nb, c, s] (s = H W); alpha, mu, kappa, gamma are per channel [c].  In
     * the backward passes the gradients named "accumulated" are ADDED to,
     * every other output is overwritten; a gate's gradient dg may alias g. */
    /* att = sigmoid(a1 + a2) (a2 may be NULL); et = att e */
    int (*cell_attend_forward)(size_t count, const float *a1, const float *a2, const float *e,
                               float *att, float *et, char *why, size_t n);
    /* de += det att (accumulated); da = det e att (1 - att) */
    int (*cell_attend_backward)(size_t count, const float *det, const float *att, const float *e,
                                float *de, float *da, char *why, size_t n);
    /* inhibition: ihat = softplus(z - softplus(q (alpha ip + mu))), g = sigmoid(g1 + g2),
     * i = (1 - g) ip + g ihat */
    int (*cell_inhibit_forward)(int nb, int c, size_t s, const float *z, const float *q,
                                const float *ip, const float *g1, const float *g2,
                                const float *alpha, const float *mu, float *g, float *i,
                                char *why, size_t n);
    /* from di = dL/di: dz, dip accumulated; dq; dg = dL/d(g1 + g2); dalpha, dmu per channel
     * (sums over nb and s) */
    int (*cell_inhibit_backward)(int nb, int c, size_t s, const float *di, const float *z,
                                 const float *q, const float *ip, const float *g,
                                 const float *alpha, const float *mu, float *dz, float *dq,
                                 float *dip, float *dg, float *dalpha, float *dmu, char *why,
                                 size_t n);
    /* excitation: ehat = softplus(r (kappa i + gamma)), g = sigmoid(g1 + g2),
     * e = (1 - g) ep + g ehat */
    int (*cell_excite_forward)(int nb, int c, size_t s, const float *r, const float *i,
                               const float *ep, const float *g1, const float *g2,
                               const float *kappa, const float *gamma, float *g, float *e,
                               char *why, size_t n);
    /* from de = dL/de: di, dep accumulated; dr; dg; dkappa, dgamma per channel */
    int (*cell_excite_backward)(int nb, int c, size_t s, const float *de, const float *r,
                                const float *i, const float *ep, const float *g,
                                const float *kappa, const float *gamma, float *dr, float *di,
                                float *dep, float *dg, float *dkappa, float *dgamma, char *why,
                                size_t n);
    /* psi = re + i im: mag = |psi|, or (|psi| + chi) / 2 when chi is given (the CV-RNN's
     * complex convolution); phase = atan2 after components below 1e-7 in magnitude
     * are set to 1e-7 (the original's "stable angle"); mag or phase may be NULL */
    int (*cplx_magphase_forward)(size_t count, const float *re, const float *im,
                                 const float *chi, float *mag, float *phase, char *why, size_t n);
    /* dre, dim from dmag and dphase (either may be NULL = zero); dchi given means the
     * forward had chi: |psi| and chi each get dmag / 2 */
    int (*cplx_magphase_backward)(size_t count, const float *re, const float *im,
                                  const float *dmag, const float *dphase, float *dre, float *dim,
                                  float *dchi, char *why, size_t n);
    /* a = f(m) for f in ph_act; re = a cos(phase), im = a sin(phase); mag = a (may be NULL) */
    int (*cplx_polar_act_forward)(ph_act kind, size_t count, const float *m,
                                  const float *phase, float *re, float *im, float *mag,
                                  char *why, size_t n);
    /* dm = (dre cos + dim sin + dmag) f'(m), dphase = f(m) (dim cos - dre sin); dmag may
     * be NULL */
    int (*cplx_polar_act_backward)(ph_act kind, size_t count, const float *m,
                                   const float *phase, const float *dre, const float *dim,
                                   const float *dmag, float *dm, float *dphase, char *why,
                                   size_t n);

    /* ---- 2D real DFTs (FFTW, cuFFT; kernels/cpu/fft.c, kernels/cuda/fft.cu); plans
     * are made once per shape ---- */
    /* re + i im = DFT(x), unnormalised */
    int (*fft_r2c)(const ph_fft_shape *s, const float *x, float *re, float *im, char *why,
                   size_t n);
    /* x = inverse DFT / (h w) of the Hermitian projection of re + i im: columns 0
     * and w/2 (even w) become Z[k] = (X[k] + conj X[-k mod h]) / 2, as FFTW's
     * c2r reads them; the inputs are left intact */
    int (*fft_c2r)(const ph_fft_shape *s, const float *re, const float *im, float *x, char *why,
                   size_t n);
    /* the adjoint of fft_c2r: dre + i dim = c DFT(dx) / (h w), c = 1 on columns
     * 0 and w/2 (even w), 2 elsewhere */
    int (*fft_c2r_backward)(const ph_fft_shape *s, const float *dx, float *dre, float *dim,
                            char *why, size_t n);

    /* ---- feature visualisation (kernels/cpu/featvis.c, kernels/cuda/featvis.cu) ---- */
    /* TensorFlow's crop_and_resize (bilinear): box b = boxes[4b..4b+3] = (y0, x0, y1,
     * x1) on the host, 0 and 1 being the first and last pixel centres; output (i, j)
     * of y [nbox, planes, oh, ow] reads x [planes, h, w] at row y0 (h-1) + i (y1-y0)
     * (h-1)/(oh-1) (the box centre when oh = 1), columns likewise, and is 0 where
     * that lies outside the image.  Backward overwrites dx with the sum over boxes. */
    int (*crop_resize_forward)(const float *x, float *y, size_t planes, int h, int w,
                               const float *boxes, int nbox, int oh, int ow, char *why,
                               size_t n);
    int (*crop_resize_backward)(const float *dy, float *dx, size_t planes, int h, int w,
                                const float *boxes, int nbox, int oh, int ow, char *why,
                                size_t n);
    /* NAdam (PyTorch's): m, v as Adam; d = sqrt(v / bc2) + eps; param -= cg grad / d,
     * then param -= cm m / d, with cg, cm and bc2 from the host (momentum schedule) */
    int (*nadam_update)(float *param, const float *grad, float *m, float *v, size_t count,
                        float beta1, float beta2, float eps, float cg, float cm, float bc2,
                        char *why, size_t n);
} ph_backend;

extern const ph_backend ph_backend_cpu, ph_backend_cuda;
extern const ph_backend *const ph_backends[PH_DEVICE_COUNT];

#ifdef __cplusplus
}
#endif

#endif
