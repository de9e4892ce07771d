/* track_util.h: pieces the recurrent tracking models (InT, CV-RNN) share:
 * convolutions over a batch other than the layer's own (all frames at once),
 * normalisations whose statistics are kept per time step for
 * back-propagation through time, the original's initialisations
 * (orthogonal; PyTorch's default scale), and frame reordering. */
#ifndef PHASOR_TRACK_UTIL_H
#define PHASOR_TRACK_UTIL_H

#include "nn/nn.h"

/* Layer l run on nb samples (its shape's n replaced): all T frames of a
 * clip stacked as one batch of T n.  Backward adds into the parameter
 * gradients; dx (may be NULL) is overwritten. */
void ph_conv_forward_n(const ph_conv_layer *l, int nb, const float *x, float *y);
void ph_conv_backward_n(ph_conv_layer *l, int nb, const float *x, const float *dy, float *dx);
/* Only the parameter gradients (weights, bias) of nb samples. */
void ph_conv_backward_weights_n(ph_conv_layer *l, int nb, const float *x, const float *dy);
/* dx_acc += conv_transpose(dy): tmp holds the data gradient first. */
void ph_conv_backward_data_add(const ph_conv_layer *l, int nb, const float *dy, float *dx_acc,
                               float *tmp);
/* y += x */
void ph_dev_add(const ph_backend *be, const float *x, float *y, size_t count);
void ph_dev_fill(const ph_backend *be, float *x, float value, size_t count);

/* A normalisation applied once per time step with one set of parameters:
 * each step's statistics are saved after its forward and restored before
 * its backward (the layer itself keeps only the last ones). */
typedef struct {
    ph_norm_layer nl;
    int steps;
    size_t k;            /* statistics per step */
    float *mean, *rstd;  /* [steps, k] */
} ph_step_norm;
void ph_step_norm_init(ph_step_norm *s, const ph_backend *be, ph_norm_kind kind, int n, int c,
                       size_t spatial, int steps, float eps, float gamma0, MPI_Comm comm);
void ph_step_norm_forward(ph_step_norm *s, int t, const float *x, float *y, int training);
void ph_step_norm_backward(ph_step_norm *s, int t, const float *x, const float *dy, float *dx);
void ph_step_norm_free(ph_step_norm *s);

/* PyTorch's orthogonal_: the weight as a [rows, numel / rows] matrix with
 * orthonormal rows (or columns, whichever are fewer), from Philox normals
 * (seed, PH_STREAM_INIT, id, sub 1) made orthonormal by Gram-Schmidt in double. */
void ph_param_orthogonal(ph_param *p, int rows, uint32_t seed, uint32_t id);
/* Every value of p set to v (biases the original initialises to constants). */
void ph_param_set(ph_param *p, float v);
/* PyTorch's default convolution scale (kaiming_uniform with a = sqrt 5 has
 * std 1 / sqrt(3 fan_in)) as a Philox normal of that std, for the layers the
 * original leaves at PyTorch's defaults; the bias (if any) at zero. */
void ph_conv_torch_default(ph_conv_layer *l, uint32_t seed, uint32_t id);

/* Frames of x [N, C, T, S] as one batch [T, N, C, S] (frame t contiguous), and back. */
void ph_frames_split(const ph_backend *be, int n, int c, int t, size_t s, const float *x,
                     float *frames);
void ph_frames_merge(const ph_backend *be, int n, int c, int t, size_t s, const float *frames,
                     float *x);

#endif
