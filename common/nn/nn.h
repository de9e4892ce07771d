/* nn.h: parameters, layers and losses on a ph_backend.
 *
 * Layers are plain structs with explicit forward and backward functions
 * (llm.c style); buffers live on the backend's device.  Backward overwrites
 * the parameter gradients (a recurrent model would accumulate; that comes
 * with back-propagation through time).  Kernel failures are fatal through
 * PH_KERNEL with the kernel's own reason. */
#ifndef PHASOR_NN_H
#define PHASOR_NN_H

#include "../../kernels/kernels.h"
#include "../core/error.h"

#include <stdint.h>

/* Calls be->OP(args..., why, n) and fails with the reason on error. */
#define PH_KERNEL(be, op, what, ...)                                                  \
    do {                                                                              \
        char ph_why_[512] = "";                                                       \
        if ((be)->op(__VA_ARGS__, ph_why_, sizeof ph_why_) != 0)                      \
            PH_FAIL((what), ph_why_, "see the reason; --device cpu avoids GPU issues"); \
    } while (0)

/* Device memory that is checked. */
float *ph_dev_alloc(const ph_backend *be, size_t count);
float *ph_dev_zeros(const ph_backend *be, size_t count);
void ph_dev_upload(const ph_backend *be, float *dst, const float *host, size_t count);
void ph_dev_download(const ph_backend *be, float *host, const float *src, size_t count);

/* A trainable tensor with its gradient and Adam moments. */
typedef struct {
    const ph_backend *be;
    size_t count;
    float *w, *g, *m, *v;
} ph_param;

/* Normal(0, std) from Philox keyed on (seed, PH_STREAM_INIT, id): the same
 * initial values on every rank and backend.  std 0 gives zeros. */
void ph_param_init(ph_param *p, const ph_backend *be, size_t count, float std, uint32_t seed,
                   uint32_t id);
void ph_param_free(ph_param *p);

typedef struct {
    float lr, beta1, beta2, eps, decay;
} ph_adam;
void ph_param_adam_step(ph_param *p, const ph_adam *opt, int64_t step);

/* Convolution with bias (He initialisation). */
typedef struct {
    ph_conv_shape s;
    ph_param w, b;
} ph_conv_layer;
void ph_conv_layer_init(ph_conv_layer *l, const ph_backend *be, ph_conv_shape s, uint32_t seed,
                        uint32_t id);
void ph_conv_layer_forward(const ph_conv_layer *l, const float *x, float *y);
/* dx may be NULL: the first layer never needs its input gradient. */
void ph_conv_layer_backward(ph_conv_layer *l, const float *x, const float *dy, float *dx);
void ph_conv_layer_free(ph_conv_layer *l);

/* y[N,O] = x[N,I] W^T + b, W [O,I]. */
typedef struct {
    const ph_backend *be;
    int n, in, out;
    ph_param w, b;
    float *ones; /* [N] for the bias through sgemm */
} ph_linear_layer;
void ph_linear_init(ph_linear_layer *l, const ph_backend *be, int n, int in, int out,
                    uint32_t seed, uint32_t id);
void ph_linear_forward(const ph_linear_layer *l, const float *x, float *y);
void ph_linear_backward(ph_linear_layer *l, const float *x, const float *dy, float *dx);
void ph_linear_free(ph_linear_layer *l);

/* Binary cross-entropy on logits (host arrays, n values): returns the mean
 * loss, writes dL/dlogit to grad (may be NULL) and the number of correct
 * decisions (logit > 0 means class 1) to *correct (may be NULL). */
double ph_bce_logits(const float *logits, const int32_t *labels, int n, float *grad,
                     int *correct);

/* Softmax cross-entropy with label smoothing eps over k classes (host
 * arrays, logits [n,k]): the target puts 1 - eps + eps/k on the label and
 * eps/k elsewhere.  Returns the mean loss, writes dL/dlogits (may be NULL)
 * and the number of argmax hits (may be NULL). */
double ph_softmax_ce(const float *logits, const int32_t *labels, int n, int k, double eps,
                     float *grad, int *correct);

#endif
