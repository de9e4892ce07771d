/* model.h: what phasor-train (and later stages) need from a model.
 *
 * A model is one file plus one row in registry.c; stages never switch on a
 * model's name.  Every model embeds ph_model as its first member, reads its
 * own config section, takes a uint8 batch through ph_model_load and keeps
 * its input x, logits and (on request) the input gradient dx on the device. */
#ifndef PHASOR_MODEL_H
#define PHASOR_MODEL_H

#include "core/config.h"
#include "io/h5samples.h"
#include "nn/nn.h"

#include <mpi.h>
#include <stdint.h>

/* The batch a model is built for. */
/* Videos per forward pass by default.  The recurrent models normalise with batch statistics at
 * test time, so anything that runs a model as evaluate does (tracking-report's phase maps) uses
 * the same batch. */
enum { PH_EVALUATE_BATCH_DEFAULT = 50 };

typedef struct {
    int n;          /* samples on this rank */
    int t, h, w, c; /* frames (1 for images), height, width, channels */
    int outputs;    /* logits per sample (1 for a binary task: BCE) */
    uint32_t seed;  /* Philox seed of the initial parameters */
    MPI_Comm comm;  /* ranks that share batch-norm statistics */
} ph_model_geometry;

typedef struct ph_model ph_model;

/* A named intermediate activation [n, c, h, w] on the model's device, valid
 * after forward until the next forward (phasor-probe reads layers through it). */
typedef struct {
    char name[32];
    const float *data;
    int n, c, h, w;
} ph_model_tap;

/* More parameter tensors than any model has; a params() list fits in it. */
enum { PH_MODEL_MAX_PARAMS = 1024 };

typedef struct ph_model_def {
    const char *name;
    const char *display_name; /* what reports call it: "InT", "3D CNN" */
    const char *summary;
    const cfg_section *section; /* the model's config keys, [name] */
    int video;                  /* 1: wants [T,H,W,C] samples; 0: [H,W,C] images */
    /* Builds the model from its validated section; cross-key errors are
     * ph_usage_error. */
    ph_model *(*create)(const cfg *c, const ph_backend *be, const ph_model_geometry *g);
    void (*destroy)(ph_model *m);
    /* x -> logits; training selects batch statistics (norms) and dropout. */
    void (*forward)(ph_model *m, int training);
    /* From d(loss)/d(logits) on the device: adds every parameter gradient,
     * and writes dx when m->want_dx. */
    void (*backward)(ph_model *m);
    int (*params)(ph_model *m, ph_param **out, int max);
    /* Floating-point operations of one forward + backward step (the passes
     * that run), for GFLOP/s figures. */
    double (*step_flops)(const ph_model *m);
    /* Optional auxiliary training loss on more of each sample than x and y
     * (the CV-RNN's synchrony loss on per-frame masks); NULL when none.
     * aux_bytes: bytes of auxiliary data per sample, 0 when the loss is off;
     * aux_read: samples [start, start + count) of an open sample file into
     * out (collective; one line and exit when the file lacks them);
     * aux_loss: after forward(m, 1), given the batch's rows [n, aux_bytes]
     * on the host, returns weight * (sum of the local samples' losses) and
     * makes the next backward add that sum's gradient. */
    size_t (*aux_bytes)(const ph_model *m);
    void (*aux_read)(const ph_model *m, ph_samples_reader *r, int64_t start, int64_t count,
                     void *out);
    double (*aux_loss)(ph_model *m, const void *aux, double weight);
    /* Optional (NULL when none): the model's intermediate activations, in
     * input-to-output order; writes at most max and returns how many exist. */
    int (*taps)(ph_model *m, ph_model_tap *out, int max);
    /* Optional, with taps: from d(loss)/d(tap i's activation) [n, c, h, w] on the
     * host, after forward, the backward pass of the layers below tap i (adds their
     * parameter gradients; writes dx when m->want_dx).  MACO's feature objectives. */
    void (*tap_backward)(ph_model *m, int i, const float *dtap);
} ph_model_def;

struct ph_model {
    const ph_model_def *def;
    const ph_backend *be;
    ph_model_geometry g;
    float *x, *dx;           /* input [N, C, T, H, W] (T absent for images) */
    float *logits, *dlogits; /* [N, outputs] */
    int want_dx;
    const int64_t *ids; /* global sample ids of the batch (dropout masks) */
    int64_t step;       /* the optimisation step (dropout masks) */
    uint8_t *staging;
};

extern const ph_model_def *const ph_models[];
extern const int ph_model_count;
const ph_model_def *ph_model_find(const char *name);
const char *ph_model_names(void); /* "a|b" for the config enum */

/* Builds model def from a config holding its section, its trainable parameters packed into
 * one arena (ph_params_pack): every stage builds its models through this. */
ph_model *ph_model_create(const ph_model_def *def, const cfg *c, const ph_backend *be, const ph_model_geometry *g);
/* Builds registered model `name` from INI text for its section (tests,
 * benchmarks): "[resnet]\ndepth = 18\n"; NULL text takes the defaults. */
ph_model *ph_model_create_text(const char *name, const char *ini, const ph_backend *be,
                               const ph_model_geometry *g);

/* For create(): fills the base and allocates x, dx, logits, dlogits. */
void ph_model_base_init(ph_model *m, const ph_model_def *def, const ph_backend *be,
                        const ph_model_geometry *g);
void ph_model_base_free(ph_model *m);
size_t ph_model_input_count(const ph_model *m);
/* Host uint8 [N, T, H, W, C] (or [N, H, W, C]) -> m->x [N, C, T, H, W] in [0, 1]. */
void ph_model_load(ph_model *m, const uint8_t *batch);
/* Host d(loss)/d(logits) [N, outputs] -> the device, then backward. */
void ph_model_backward_host(ph_model *m, const float *dlogits);

/* The gradient, with respect to the parameters, of a loss on the input
 * gradient (saliency) s = d(sum_i w_i . logits_i)/dx, by central differences
 * along the direction v = dL/ds (docs/harmonizer.md):
 *   dL/dtheta = d/de [dlogit/dtheta at x + e v] at e = 0
 *            ~= (g(x + eps v) - g(x - eps v)) / (2 eps),
 * with every ReLU gated as at x (an extra recording forward pass; relu_freeze.c), so the
 * two passes run the network linearised at x: exact for piecewise-linear networks (the
 * second-order autodiff's value, ReLU'' = 0), differenced only through smooth parts
 * (batch norm, softplus).  Max pooling is not frozen: a window whose winner changes
 * between the two points still adds a jump.
 * `w` is the logit weighting [N, outputs] on the host, `v` the direction on
 * the device; the result is ADDED, scaled by `scale`, to every parameter
 * gradient.  m->x is restored afterwards.  `training` is passed to the two
 * forward passes (batch statistics; running statistics then also see the
 * two perturbed batches, whose mean is the batch's own to first order). */
void ph_model_input_grad_loss_backward(ph_model *m, const float *w, const float *v, float eps,
                                       float scale, int training);

#endif
