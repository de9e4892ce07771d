/* cvrnn.h: the CV-RNN (complex-valued InT) of the FeatureTracker study
 * (Muzellec et al., ICLR 2025, arXiv 2410.02094; code S4b1n3/feature_tracker;
 * docs/models/cvrnn.md), exposed for tests; stages use ph_model_cvrnn.
 *
 * Complex values are pairs of real planes [re | im].  Layers (3x3, no bias):
 *   RtoC(Wr, Wi) x:  psi = Wr*x + i Wi*x, m = |psi|
 *   CC(W) z:         psi = W*Re z + i W*Im z, m = (|psi| + W*|z|) / 2
 * then m <- act(InstanceNorm(m)) (act = ReLU as released) and the output
 * m e^{i arg psi} (arg: the original's stable angle).
 *   z   = softplus(conv3x3(x_t)) per frame
 *   c_0 = CC_p(x_0 e^{i phi_0}), phi_0 uniform in [-pi, pi) per pixel and
 *         colour (Philox keyed on the sample id and step)
 *   per frame t:  f = RtoC_w(z_t);  a = f + RtoC_u(e_{t-1})
 *                 h = CC_h(f + c_{t-1});  c_t = h
 *                 theta_t = arg CC_d(h)   (one channel: the phase map)
 *                 A = sigmoid(InstanceNorm(|a + h|))
 *                 the E/I cell of InT (eicell.h) with A
 *   readout: as InT's with a 3x3 first convolution.
 * The synchrony loss (synchrony.h) on theta_t against per-frame masks is
 * the model's auxiliary loss (model.h aux_*), weighted by sync_weight. */
#ifndef PHASOR_CVRNN_H
#define PHASOR_CVRNN_H

#include "eicell.h"
#include "goal_readout.h"
#include "model.h"

typedef struct {
    ph_model base;
    int ch, k;
    ph_act act;        /* magnitude activation of the complex layers */
    double sync_weight;
    size_t s, cnt, ns; /* H W; N C S; N S */
    ph_conv_layer pre;           /* 3x3, 3 -> C, bias */
    ph_conv_layer fr, fi;        /* RtoC_w */
    ph_conv_layer ur, ui;        /* RtoC_u */
    ph_conv_layer cp, ch_, cd;   /* CC_p (3 -> C), CC_h (C -> C), CC_d (C -> 1) */
    ph_norm_layer in_f, in_p;    /* instance norms: all frames at once; step 0 */
    ph_step_norm in_u, in_h, in_d, in_a;
    ph_eicell cell;
    ph_goal_readout out;
    /* all frames */
    float *xf, *zpre, *z, *fre, *fim, *fm, *fph, *fmn, *f, *tmp_t;
    /* step 0 */
    float *hphase0, *phase0, *cin, *p_psi, *p_chi, *p_m, *p_ph, *p_mn, *c0;
    /* per step */
    float *au_re, *au_im, *au_m, *au_ph, *au_mn, *sbuf, *ms, *h_psi, *h_m, *h_ph, *h_mn, *h, *h_abs;
    float *q, *a_m, *d_psi, *d_m, *d_ph, *d_mn, *dd, *theta, *dtheta;
    /* temporaries */
    float *au, *chi, *a_n, *t2a, *t2b, *tc1, *tc2, *dc, *dc_prev, *dn1, *dn2, *dxf;
    float *htheta;     /* host [T N S] */
    int aux_ready;     /* dtheta holds the synchrony loss gradient of the last forward */
} ph_cvrnn;

extern const ph_model_def ph_model_cvrnn;

/* The phase map theta_t [N, H, W] of the last forward, to the host. */
void ph_cvrnn_phase_download(const ph_cvrnn *m, int t, float *host);

#endif
