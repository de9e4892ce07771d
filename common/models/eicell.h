/* eicell.h: the excitation/inhibition recurrence of InT, shared by the
 * CV-RNN (models/InT.py of pathtracker-code/pathtracker-models;
 * docs/models/int.md).  One step per video frame, states i (inhibition) and
 * e (excitation) [N, C, H, W] starting at zero;
 * given the step's attention pre-activation(s) and the frame's drive z_t:
 *
 *   A    = sigmoid(a1 + a2)                  (the model computes a1, a2)
 *   et   = A e_{t-1}
 *   ihat = softplus(z_t - softplus(BN0(W_inh * et) (alpha i_{t-1} + mu)))
 *   g_i  = sigmoid(W_gi z_t + U_gi i_{t-1})
 *   i_t  = (1 - g_i) i_{t-1} + g_i ihat
 *   g_e  = sigmoid(W_ge i_{t-1} + U_ge et)   (the old i_{t-1}, as released)
 *   ehat = softplus(BN1(W_exc * i_t) (kappa i_t + gamma))
 *   e_t  = (1 - g_e) e_{t-1} + g_e ehat
 *
 * W_inh, W_exc: k x k, C -> C, no bias, orthogonal; gates 1x1 with bias
 * -1, orthogonal; alpha = 1, mu = 0, kappa = 1, gamma = 0 per channel; BN
 * gamma 0.1, eps 1e-3, with batch statistics also at test time unless
 * bn_eval_running.  Every step's values stay on the device for
 * back-propagation through time; the weight gradients of all steps are
 * computed at the end as single convolutions over the T N stacked steps. */
#ifndef PHASOR_EICELL_H
#define PHASOR_EICELL_H

#include "track_util.h"

typedef struct {
    const ph_backend *be;
    int n, c, t, k;
    size_t s, cnt; /* H W; n c s values per state */
    int bn_eval_running;
    ph_conv_layer w_inh, w_exc, w_gi, u_gi, w_ge, u_ge;
    ph_param alpha, mu, kappa, gamma;
    ph_step_norm bn0, bn1;
    /* [T + 1] states (index 0 = zeros) and [T] per-step values, cnt each */
    float *e, *i, *att, *et, *u, *q, *gi, *v, *r, *ge;
    float *giw;                        /* W_gi z for all frames [T cnt] */
    float *tmp1, *tmp2, *tmp3;         /* [cnt] */
    float *de, *de_prev, *di, *di_prev; /* backward state gradients [cnt] */
    float *dz;                          /* [T cnt]: d loss / d z_t */
    float *dpar;                        /* [4 C] per-channel gradient sums */
} ph_eicell;

/* ids: the cell uses 16 parameter ids from id0 (Philox). */
void ph_eicell_init(ph_eicell *c, const ph_backend *be, int n, int ch, int t, int h, int w, int k,
                    int bn_eval_running, MPI_Comm comm, uint32_t seed, uint32_t id0);
void ph_eicell_free(ph_eicell *c);
int ph_eicell_params(ph_eicell *c, ph_param **out, int max);
double ph_eicell_step_flops(const ph_eicell *c); /* forward + backward, all steps */

/* z: the drive of all frames [T, N, C, S].  Computes W_gi z, clears the states. */
void ph_eicell_begin(ph_eicell *c, const float *z);
/* Step t (0-based): attention from a1 (+ a2, may be NULL). */
void ph_eicell_step(ph_eicell *c, int t, const float *z, const float *a1, const float *a2,
                    int training);
const float *ph_eicell_e(const ph_eicell *c, int t); /* state after step t - 1 (t = 0: zeros) */

/* Backward: ph_eicell_backward_begin clears the gradients, and de_T (the
 * readout's gradient) is then added to c->de; each step from T - 1 down to 0
 * returns d loss / d(a1 + a2) of that step (valid until the next call; the
 * model adds its attention's contribution to de_{t-1} into c->de_prev
 * before the next step); ph_eicell_backward_end computes every weight
 * gradient and leaves d loss / d z in c->dz. */
void ph_eicell_backward_begin(ph_eicell *c);
const float *ph_eicell_step_backward(ph_eicell *c, int t, const float *z);
void ph_eicell_step_backward_done(ph_eicell *c);
void ph_eicell_backward_end(ph_eicell *c, const float *z);

#endif
