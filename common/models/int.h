/* int.h: InT (Index-and-Track), the recurrent circuit of the PathTracker
 * study (Linsley et al., NeurIPS 2021, arXiv 2105.13351; code
 * pathtracker-code/pathtracker-models; docs/models/int.md), exposed for
 * tests; stages use ph_model_int.
 *
 * z = softplus(conv1x1(x)) per frame; the E/I cell (eicell.h) runs one step
 * per frame with the attention A = sigmoid(W_a z_t + U_a e_{t-1}) (1x1
 * convolutions, bias +1, orthogonal); the goal readout (goal_readout.h,
 * 1x1) gives the logit from e_T and the goal marker. */
#ifndef PHASOR_INT_H
#define PHASOR_INT_H

#include "eicell.h"
#include "goal_readout.h"
#include "model.h"

typedef struct {
    ph_model base;
    int ch, k;
    size_t s, cnt;          /* H W; N C S */
    ph_conv_layer pre;      /* 1x1, 3 -> C, bias */
    ph_conv_layer w_a, u_a; /* attention, 1x1, bias +1 */
    ph_eicell cell;
    ph_goal_readout out;
    float *xf, *zpre, *z, *aw; /* [T N 3 S], then [T cnt] each */
    float *tmp;                /* [cnt] */
    float *dxf;                /* [T N 3 S] when the input gradient is wanted */
} ph_int;

extern const ph_model_def ph_model_int;

#endif
