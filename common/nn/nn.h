/* nn.h: parameters, layers and losses on a ph_backend.
 *
 * Layers are plain structs with explicit forward and backward functions
 * (llm.c style); buffers live on the backend's device.  Backward overwrites
 * the input gradient it is given and adds into the parameter gradients.
 * Kernel failures are fatal through PH_KERNEL with the kernel's own reason. */
#ifndef PHASOR_NN_H
#define PHASOR_NN_H

#include "kernels.h"
#include "core/error.h"

#include <mpi.h>

#include <stdint.h>
#include <stdio.h>

/* Calls be->OP(args..., why, n) and fails with the reason on error, or when the
 * backend lacks OP (PH_OP_CALL); with PHASOR_PROFILE=1 the call's time is added
 * to the op's total (profile.c). */
#define PH_KERNEL(be, op, what, ...)                                                  \
    do {                                                                              \
        char ph_why_[512] = "";                                                       \
        double ph_t0_ = ph_profile_on ? ph_profile_now() : 0;                         \
        if (PH_OP_CALL(be, op, ph_why_, sizeof ph_why_, __VA_ARGS__) != 0)            \
            PH_FAIL((what), ph_why_, "see the reason; --device cpu avoids GPU issues"); \
        if (ph_profile_on) ph_profile_add(#op, ph_profile_now() - ph_t0_);            \
    } while (0)

/* Per-op timing (profile.c): on when ph_profile_on is set, which
 * ph_profile_from_env does for PHASOR_PROFILE=1. */
extern int ph_profile_on;
void ph_profile_from_env(void);
double ph_profile_now(void);
void ph_profile_add(const char *op, double seconds);
void ph_profile_reset(void);
void ph_profile_print(FILE *f, const char *title);

/* Device memory that is checked. */
float *ph_dev_alloc(const ph_backend *be, size_t count);
float *ph_dev_zeros(const ph_backend *be, size_t count);
void ph_dev_upload(const ph_backend *be, float *dst, const float *host, size_t count);
void ph_dev_download(const ph_backend *be, float *host, const float *src, size_t count);
/* Returns once the device has run all work queued so far (a one-float download; one stream):
 * timing device work from the host. */
void ph_dev_wait(const ph_backend *be, const float *dev);

/* Told of each addition a backward pass makes to a parameter's gradient, with the id the
 * listener gave the parameter: the gradient exchange starts summing a bucket as soon as the
 * additions of its parameters are complete (grad_exchange.c). */
typedef struct ph_grad_hook {
    void (*added)(struct ph_grad_hook *h, int id);
} ph_grad_hook;

/* A tensor of the model's state.  Trainable ones carry a gradient g and
 * optimiser moments m, v; buffers (batch norm's running statistics) carry
 * only w, are saved in checkpoints and never updated by the optimiser.
 * Backward passes ADD into g (so shared weights and unrolled recurrences
 * sum their contributions); call ph_params_zero_grad before each backward. */
typedef struct {
    const ph_backend *be;
    size_t count;
    float *w, *g, *m, *v;
    float *scratch;  /* where a kernel that overwrites writes before it is added to g */
    int trainable;
    int no_decay;    /* a normalisation parameter: weight decay may skip it */
    int view;        /* w, g, m, v lie in another tensor's buffers (ph_params_pack) */
    int frozen;      /* nobody reads its gradient (feature visualisation, attacks): convolution
                      * and linear layers skip computing it; ph_params_freeze sets it */
    int g_clear;     /* g holds the zeros of ph_params_zero_grad: the next contribution may overwrite it */
    ph_grad_hook *hook; /* NULL, or told of each addition to g (ph_param_grad_added) */
    int hook_id;
} ph_param;

/* Every layer calls this after each addition it makes to p->g (after the kernel is queued). */
static inline void ph_param_grad_added(ph_param *p)
{
    p->g_clear = 0;
    if (p->hook) p->hook->added(p->hook, p->hook_id);
}

/* Normal(0, std) from Philox keyed on (seed, PH_STREAM_INIT, id): the same
 * initial values on every rank and backend.  std 0 gives zeros. */
void ph_param_init(ph_param *p, const ph_backend *be, size_t count, float std, uint32_t seed,
                   uint32_t id);
/* Every value = value; trainable or a buffer. */
void ph_param_init_const(ph_param *p, const ph_backend *be, size_t count, float value,
                         int trainable);
void ph_param_free(ph_param *p);
void ph_params_zero_grad(ph_param *const *params, int np);
/* Clears the optimiser's moments (m, v) of the trainable parameters: a new run from
 * another run's weights starts its optimiser afresh. */
void ph_params_zero_moments(ph_param *const *params, int np);
/* Where a kernel that overwrites its output writes p's next gradient contribution: g itself
 * while g still holds the zeros of ph_params_zero_grad (nothing to add, no extra pass), scratch
 * otherwise.  ph_param_grad_done follows the kernel. */
static inline float *ph_param_grad_out(const ph_param *p) { return p->g_clear ? p->g : p->scratch; }
/* After a kernel wrote to ph_param_grad_out(p): g += scratch where it went there. */
void ph_param_grad_done(ph_param *p);

/* Moves the trainable parameters' w, g, m and v into one buffer each (an
 * arena), last parameter first, each tensor at a multiple of 16 floats with
 * zeros between: the optimiser then updates the model in one pass, and the
 * gradient exchange sums the arena's gradients in place.  The values are
 * kept; the first tensor of the arena owns its buffers (ph_param_free frees
 * them with it), the others become views.  Parameters on different backends,
 * or fewer than two, are left as they are. */
void ph_params_pack(ph_param *const *params, int np);
/* Marks every parameter frozen (or not): backward passes still give d(loss)/d(input), but
 * convolution and linear layers skip their weight gradients, which g then no longer holds. */
void ph_params_freeze(ph_param *const *params, int np, int frozen);
/* The run of trainable parameters from params[i] down that lie back to back in
 * one arena (ph_params_pack), with the same no_decay flag when by_decay; its
 * floats from params[i]'s start, padding included, in *count (buffers between
 * them are skipped).  Returns the index of the next trainable parameter below
 * the run that is not in it, or -1. */
int ph_params_run(ph_param *const *params, int i, int by_decay, size_t *count);

/* ---- optimisers and learning-rate schedules (optim.c) ---- */
typedef enum { PH_OPT_SGD, PH_OPT_ADAM, PH_OPT_ADAMW, PH_OPT_COUNT } ph_opt_kind;
extern const char *const ph_opt_names[PH_OPT_COUNT];
typedef enum { PH_SCHED_CONSTANT, PH_SCHED_STEP, PH_SCHED_COSINE, PH_SCHED_COUNT } ph_sched_kind;
extern const char *const ph_sched_names[PH_SCHED_COUNT];

typedef struct {
    ph_opt_kind kind;
    float lr, weight_decay;
    float beta1, beta2, eps;    /* Adam, AdamW */
    float momentum;             /* SGD */
    int nesterov;               /* SGD */
    int decay_norm;             /* 0: no weight decay on normalisation parameters */
    ph_sched_kind schedule;
    int64_t warmup;             /* linear warm-up steps from lr / warmup */
    int64_t step_size;          /* step: lr *= gamma every step_size steps */
    float gamma;
    int64_t total;              /* cosine: steps to reach min_lr */
    float min_lr;
} ph_optim;

/* Defaults: AdamW, lr 1e-3, betas 0.9/0.999, eps 1e-8, constant schedule. */
ph_optim ph_optim_default(void);
/* Learning rate at step (counting from 1). */
double ph_optim_lr(const ph_optim *o, int64_t step);
/* One update of every trainable parameter. */
void ph_optim_step(const ph_optim *o, ph_param *const *params, int np, int64_t step);

/* Convolution, optional bias (He initialisation). */
typedef struct {
    ph_conv_shape s;
    int bias;
    ph_param w, b;
} ph_conv_layer;
void ph_conv_layer_init(ph_conv_layer *l, const ph_backend *be, ph_conv_shape s, int bias,
                        uint32_t seed, uint32_t id);
void ph_conv_layer_forward(const ph_conv_layer *l, const float *x, float *y);
/* dx may be NULL: the first layer never needs its input gradient.  dx is
 * overwritten; the parameter gradients are accumulated. */
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

/* ---- stateless layers (layers.c) ---- */
/* ReLU gates frozen at a reference input (relu_freeze.c): LIVE is the normal network;
 * RECORD also keeps each ReLU call's input; FROZEN gates every ReLU call by the input
 * recorded for the same buffer (the network linearised at the recorded point). */
typedef enum { PH_RELU_LIVE, PH_RELU_RECORD, PH_RELU_FROZEN } ph_relu_freeze_mode;
void ph_relu_freeze_set(ph_relu_freeze_mode m);
ph_relu_freeze_mode ph_relu_freeze_get(void);
const float *ph_relu_freeze_ref(const ph_backend *be, const float *x, size_t count);
void ph_relu_freeze_free(void); /* releases the recorded gates (back to LIVE) */

void ph_act_forward(const ph_backend *be, ph_act kind, const float *x, float *y, size_t count);
void ph_act_backward(const ph_backend *be, ph_act kind, const float *x, const float *y,
                     const float *dy, float *dx, size_t count);

typedef struct {
    const ph_backend *be;
    ph_pool_shape s;
} ph_pool_layer;
void ph_pool_init(ph_pool_layer *l, const ph_backend *be, ph_pool_shape s);
void ph_pool_forward(const ph_pool_layer *l, const float *x, float *y);
void ph_pool_backward(const ph_pool_layer *l, const float *x, const float *y, const float *dy,
                      float *dx);

/* Concatenation along channels of [N, Ci, S] parts into [N, sum Ci, S]; split
 * is its backward (and inverse). */
void ph_concat(const ph_backend *be, int n, size_t s, int parts, const int *c,
               const float *const *x, float *y);
void ph_split(const ph_backend *be, int n, size_t s, int parts, const int *c, const float *y,
              float *const *x);

/* Attention pieces: y[b] = op(a[b]) op(b[b]) for batch matrices, with its
 * backward (da, db overwritten; either may be NULL), and row softmax. */
typedef struct {
    int batch, m, n, k, ta, tb; /* op(a) is m x k, op(b) is k x n */
} ph_bmm_shape;
void ph_bmm_forward(const ph_backend *be, const ph_bmm_shape *s, const float *a, const float *b,
                    float *y);
void ph_bmm_backward(const ph_backend *be, const ph_bmm_shape *s, const float *a, const float *b,
                     const float *dy, float *da, float *db);
void ph_softmax_forward(const ph_backend *be, const float *x, float *y, size_t rows, size_t cols);
void ph_softmax_backward(const ph_backend *be, const float *y, const float *dy, float *dx,
                         size_t rows, size_t cols);

/* Bilinear resize of planes [ih, iw] -> [oh, ow] (see the kernel's contract). */
void ph_resize_forward(const ph_backend *be, const float *x, float *y, size_t planes, int ih,
                       int iw, int oh, int ow);
void ph_resize_backward(const ph_backend *be, const float *dy, float *dx, size_t planes, int ih,
                        int iw, int oh, int ow);

/* Gaussian blur with the 5x5 binomial kernel ([1 4 6 4 1] / 16 outer product),
 * zero padding 2, per channel; stride 2 downsamples (one pyramid level). */
typedef struct {
    const ph_backend *be;
    ph_conv_shape s;
    float *k; /* depthwise weights [C, 1, 5, 5] */
} ph_blur_layer;
void ph_blur_init(ph_blur_layer *l, const ph_backend *be, int n, int c, int h, int w, int stride);
void ph_blur_forward(const ph_blur_layer *l, const float *x, float *y);
void ph_blur_backward(const ph_blur_layer *l, const float *dy, float *dx);
void ph_blur_free(ph_blur_layer *l);

/* ---- normalisation (norm_layer.c) ---- */
typedef enum { PH_NORM_BATCH, PH_NORM_GROUP, PH_NORM_INSTANCE, PH_NORM_COUNT } ph_norm_kind;
extern const char *const ph_norm_names[PH_NORM_COUNT];

/* Batch norm computes its training statistics over the batch of every rank
 * in `comm` (MPI_Allreduce of the sums), so the rank count does not change
 * the result; evaluation uses the running statistics (momentum 0.1,
 * unbiased variance, as PyTorch).  Group and instance norm are per sample. */
typedef struct {
    const ph_backend *be;
    ph_norm_kind kind;
    ph_norm_shape s;
    MPI_Comm comm;
    float eps, momentum;
    int training;                  /* of the last forward: batch or running statistics */
    ph_param gamma, beta;          /* trainable, no_decay */
    ph_param run_mean, run_var;    /* buffers (batch norm) */
    float *mean, *rstd, *a, *b;    /* device [K] */
    double *hsum, *hsq;            /* host [K] */
    float *hmean, *hrstd, *hrm, *hrv; /* host [K] and [C] */
} ph_norm_layer;
/* groups: group norm only.  comm: batch norm's ranks (MPI_COMM_SELF: local). */
void ph_norm_init(ph_norm_layer *l, const ph_backend *be, ph_norm_kind kind, int n, int c,
                  size_t spatial, int groups, MPI_Comm comm);
void ph_norm_forward(ph_norm_layer *l, const float *x, float *y, int training);
void ph_norm_backward(ph_norm_layer *l, const float *x, const float *dy, float *dx);
void ph_norm_free(ph_norm_layer *l);

/* ---- dropout (dropout.c) ---- */
/* The keep mask of element j of sample `id` at `step` is Philox (seed,
 * PH_STREAM_DROPOUT, id, layer) -- a function of the global sample id, so
 * any split of the batch over ranks drops the same elements. */
typedef struct {
    const ph_backend *be;
    float p;
    uint32_t seed, layer;
    int n;
    size_t per_sample;
    float *mask, *hmask;
} ph_dropout_layer;
void ph_dropout_init(ph_dropout_layer *l, const ph_backend *be, int n, size_t per_sample, float p,
                     uint32_t seed, uint32_t layer);
void ph_dropout_forward(ph_dropout_layer *l, const float *x, float *y, const int64_t *ids,
                        int64_t step, int training);
void ph_dropout_backward(const ph_dropout_layer *l, const float *dy, float *dx);
void ph_dropout_free(ph_dropout_layer *l);

/* ---- complex tensors (complex.c) ---- */
/* A complex tensor is one buffer of 2 count floats: the real plane, then the
 * imaginary plane.  A complex convolution applies one real kernel to both
 * planes: the layer's shape has batch n and runs as one convolution of batch
 * 2n over the stacked planes. */
void ph_complex_conv_forward(const ph_conv_layer *l, const float *z, float *y);
void ph_complex_conv_backward(ph_conv_layer *l, const float *z, const float *dy, float *dz);
void ph_complex_polar(const ph_backend *be, const float *mag, const float *phase, float *z,
                      size_t count);
void ph_complex_polar_backward(const ph_backend *be, const float *mag, const float *phase,
                               const float *dz, float *dmag, float *dphase, size_t count);
void ph_complex_abs_arg(const ph_backend *be, const float *z, float *mag, float *phase,
                        size_t count);
void ph_complex_abs_arg_backward(const ph_backend *be, const float *z, const float *mag,
                                 const float *dmag, const float *dphase, float *dz,
                                 size_t count);

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
