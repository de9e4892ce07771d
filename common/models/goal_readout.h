/* goal_readout.h: the readout of InT and the CV-RNN (models/InT.py of
 * pathtracker-code/pathtracker-models, featuretracker_models/models/CVInT.py
 * of S4b1n3/feature_tracker): the excitation e_T [N, C, H, W] through a
 * k x k convolution to one channel (k = 1 in InT, 3 in the CV-RNN; bias),
 * stacked with the blue channel of frame 0 (the goal marker), a 5x5
 * convolution 2 -> 1 (bias 0), global average pooling and a linear 1 -> 1
 * give the logit.  No nonlinearity between, as released. */
#ifndef PHASOR_GOAL_READOUT_H
#define PHASOR_GOAL_READOUT_H

#include "nn/nn.h"

typedef struct {
    const ph_backend *be;
    int n;
    size_t s;
    ph_conv_layer readout, target;
    ph_linear_layer fc;
    float *r, *goal, *cat, *tout, *pooled, *dpooled, *dcat, *dtout;
} ph_goal_readout;

/* Uses parameter ids id0 .. id0 + 2. */
void ph_goal_readout_init(ph_goal_readout *o, const ph_backend *be, int n, int ch, int h, int w,
                          int k, uint32_t seed, uint32_t id0);
void ph_goal_readout_free(ph_goal_readout *o);
/* x0: frame 0 of the input [N, 3, S] */
void ph_goal_readout_forward(ph_goal_readout *o, const float *e, const float *x0, float *logits);
/* de (overwritten): d loss / d e_T; dx0 (may be NULL): the goal channel's
 * gradient is ADDED to its blue plane. */
void ph_goal_readout_backward(ph_goal_readout *o, const float *e, const float *dlogits, float *de,
                              float *dx0);
int ph_goal_readout_params(ph_goal_readout *o, ph_param **out, int max);
double ph_goal_readout_step_flops(const ph_goal_readout *o);

#endif
