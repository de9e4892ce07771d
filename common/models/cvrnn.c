/* cvrnn.c: the CV-RNN (see cvrnn.h and docs/models/cvrnn.md): forward over
 * the frames, back-propagation through time, the synchrony loss as the
 * model's auxiliary loss. */
#include "cvrnn.h"

#include "core/rng.h"
#include "synchrony.h"
#include "tracking_masks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cfg_key cvrnn_keys[] = {
    {"channels", CFG_INT, "32", 1, 1024, NULL, "channels of the recurrent cell and the complex layers (paper: 32)"},
    {"kernel", CFG_INT, "7", 1, 31, NULL, "size of the excitatory and inhibitory kernels, odd (paper: 7)"},
    {"bn_eval", CFG_ENUM, "batch", 0, 0, "batch|running",
     "statistics of the cell's batch norms at test time: batch (as released) or running averages"},
    {"mag_act", CFG_ENUM, "relu", 0, 0, "relu|softplus",
     "activation of the complex layers' magnitudes: relu (as released) or softplus (smooth: gradient tests)"},
    {"sync_weight", CFG_REAL, "1", 0, 1000, NULL,
     "weight of the synchrony loss (the original's loss_coef1); 0 trains without masks"},
};
static const cfg_section cvrnn_section = {"cvrnn", "the CV-RNN, complex-valued InT with phase synchrony (videos)",
                                          cvrnn_keys, (int)(sizeof cvrnn_keys / sizeof cvrnn_keys[0]), 0};

#define ST(buf, t) ((buf) + (size_t)(t) * m->cnt)
#define ST2(buf, t) ((buf) + 2 * (size_t)(t) * m->cnt)
#define STN(buf, t) ((buf) + (size_t)(t) * m->ns)
#define ST2N(buf, t) ((buf) + 2 * (size_t)(t) * m->ns)

static void conv3_init(ph_conv_layer *l, const ph_backend *be, int n, int in, int out, int h, int w,
                       int bias, uint32_t seed, uint32_t id)
{
    ph_conv_shape s = {2, n, in, out, 1, {h, w}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}};
    ph_conv_layer_init(l, be, s, bias, seed, id);
    ph_conv_torch_default(l, seed, id);
}

static ph_model *cvrnn_create(const cfg *c, const ph_backend *be, const ph_model_geometry *g)
{
    ph_cvrnn *m = calloc(1, sizeof *m);
    PH_CHECK_ALLOC(m, "building the CV-RNN");
    ph_model_base_init(&m->base, &ph_model_cvrnn, be, g);
    m->ch = (int)cfg_int(c, "cvrnn", "channels"), m->k = (int)cfg_int(c, "cvrnn", "kernel");
    m->act = !strcmp(cfg_str(c, "cvrnn", "mag_act"), "softplus") ? PH_ACT_SOFTPLUS : PH_ACT_RELU;
    m->sync_weight = cfg_real(c, "cvrnn", "sync_weight");
    if (m->k % 2 == 0) ph_usage_error("config error: [cvrnn] kernel = %d must be odd (same-size convolutions)", m->k);
    if (g->c != 3)
        ph_usage_error("config error: the CV-RNN reads the goal marker from the blue channel, but the samples have "
                       "%d channel(s) (train it on RGB videos)", g->c);
    if (g->outputs != 1)
        ph_usage_error("config error: the CV-RNN has one logit (two classes), but the data have %d classes", g->outputs);
    const int n = g->n, T = g->t, ch = m->ch, h = g->h, w = g->w, tn = T * n;
    m->s = (size_t)h * w, m->cnt = (size_t)n * ch * m->s, m->ns = (size_t)n * m->s;
    conv3_init(&m->pre, be, n, 3, ch, h, w, 1, g->seed, 0);
    conv3_init(&m->fr, be, n, ch, ch, h, w, 0, g->seed, 1);
    conv3_init(&m->fi, be, n, ch, ch, h, w, 0, g->seed, 2);
    conv3_init(&m->ur, be, n, ch, ch, h, w, 0, g->seed, 3);
    conv3_init(&m->ui, be, n, ch, ch, h, w, 0, g->seed, 4);
    conv3_init(&m->cp, be, n, 3, ch, h, w, 0, g->seed, 5);
    conv3_init(&m->ch_, be, n, ch, ch, h, w, 0, g->seed, 6);
    conv3_init(&m->cd, be, n, ch, 1, h, w, 0, g->seed, 7);
    ph_norm_init(&m->in_f, be, PH_NORM_INSTANCE, tn, ch, m->s, 0, g->comm);
    ph_norm_init(&m->in_p, be, PH_NORM_INSTANCE, n, ch, m->s, 0, g->comm);
    ph_step_norm_init(&m->in_u, be, PH_NORM_INSTANCE, n, ch, m->s, T, 1e-5f, 1.0f, g->comm);
    ph_step_norm_init(&m->in_h, be, PH_NORM_INSTANCE, n, ch, m->s, T, 1e-5f, 1.0f, g->comm);
    ph_step_norm_init(&m->in_d, be, PH_NORM_INSTANCE, n, 1, m->s, T, 1e-5f, 1.0f, g->comm);
    ph_step_norm_init(&m->in_a, be, PH_NORM_INSTANCE, n, ch, m->s, T, 1e-5f, 1.0f, g->comm);
    ph_eicell_init(&m->cell, be, n, ch, T, h, w, m->k, !strcmp(cfg_str(c, "cvrnn", "bn_eval"), "running"),
                   g->comm, g->seed, 16);
    ph_goal_readout_init(&m->out, be, n, ch, h, w, 3, g->seed, 40);

    const size_t tc = (size_t)T * m->cnt, nx = ph_model_input_count(&m->base), x0 = (size_t)n * 3 * m->s;
    const size_t tns = (size_t)T * m->ns;
    m->xf = ph_dev_alloc(be, nx), m->dxf = ph_dev_alloc(be, nx);
    m->tmp_t = ph_dev_alloc(be, tc > nx ? tc : nx);
    float **tcs[] = {&m->zpre, &m->z, &m->fre, &m->fim, &m->fm, &m->fph, &m->fmn, &m->au_re, &m->au_im,
                     &m->au_m, &m->au_ph, &m->au_mn, &m->ms, &m->h_m, &m->h_ph, &m->h_mn, &m->h_abs, &m->a_m};
    for (size_t j = 0; j < sizeof tcs / sizeof *tcs; j++) *tcs[j] = ph_dev_alloc(be, tc);
    float **tc2s[] = {&m->f, &m->sbuf, &m->h_psi, &m->h, &m->q};
    for (size_t j = 0; j < sizeof tc2s / sizeof *tc2s; j++) *tc2s[j] = ph_dev_alloc(be, 2 * tc);
    float **tnss[] = {&m->d_m, &m->d_ph, &m->d_mn, &m->theta, &m->dtheta};
    for (size_t j = 0; j < sizeof tnss / sizeof *tnss; j++) *tnss[j] = ph_dev_alloc(be, tns);
    m->d_psi = ph_dev_alloc(be, 2 * tns), m->dd = ph_dev_alloc(be, 2 * tns);
    m->phase0 = ph_dev_alloc(be, x0), m->cin = ph_dev_alloc(be, 2 * x0);
    m->hphase0 = malloc(x0 * sizeof *m->hphase0);
    m->htheta = malloc(2 * tns * sizeof *m->htheta);
    PH_CHECK_ALLOC(m->hphase0, "building the CV-RNN");
    PH_CHECK_ALLOC(m->htheta, "building the CV-RNN");
    float **cs[] = {&m->p_chi, &m->p_m, &m->p_ph, &m->p_mn, &m->chi, &m->a_n, &m->tc1, &m->tc2};
    for (size_t j = 0; j < sizeof cs / sizeof *cs; j++) *cs[j] = ph_dev_alloc(be, m->cnt);
    float **c2s[] = {&m->p_psi, &m->c0, &m->au, &m->t2a, &m->t2b, &m->dc, &m->dc_prev};
    for (size_t j = 0; j < sizeof c2s / sizeof *c2s; j++) *c2s[j] = ph_dev_alloc(be, 2 * m->cnt);
    m->dn1 = ph_dev_alloc(be, 2 * x0 > m->ns ? 2 * x0 : m->ns), m->dn2 = ph_dev_alloc(be, x0 > m->ns ? x0 : m->ns);
    return &m->base;
}

static void cvrnn_destroy(ph_model *base)
{
    ph_cvrnn *m = (ph_cvrnn *)base;
    const ph_backend *be = base->be;
    ph_conv_layer *convs[] = {&m->pre, &m->fr, &m->fi, &m->ur, &m->ui, &m->cp, &m->ch_, &m->cd};
    for (size_t j = 0; j < sizeof convs / sizeof *convs; j++) ph_conv_layer_free(convs[j]);
    ph_norm_free(&m->in_f), ph_norm_free(&m->in_p);
    ph_step_norm_free(&m->in_u), ph_step_norm_free(&m->in_h), ph_step_norm_free(&m->in_d), ph_step_norm_free(&m->in_a);
    ph_eicell_free(&m->cell);
    ph_goal_readout_free(&m->out);
    float *b[] = {m->xf, m->dxf, m->tmp_t, m->zpre, m->z, m->fre, m->fim, m->fm, m->fph, m->fmn, m->au_re,
                  m->au_im, m->au_m, m->au_ph, m->au_mn, m->ms, m->h_m, m->h_ph, m->h_mn, m->h_abs, m->a_m,
                  m->f, m->sbuf, m->h_psi, m->h, m->q, m->d_m, m->d_ph, m->d_mn, m->theta, m->dtheta, m->d_psi,
                  m->dd, m->phase0, m->cin, m->p_chi, m->p_m, m->p_ph, m->p_mn, m->chi, m->a_n, m->tc1, m->tc2,
                  m->p_psi, m->c0, m->au, m->t2a, m->t2b, m->dc, m->dc_prev, m->dn1, m->dn2};
    for (size_t j = 0; j < sizeof b / sizeof *b; j++) be->free(b[j]);
    free(m->hphase0), free(m->htheta);
    ph_model_base_free(base);
    free(m);
}

static void magphase(const ph_backend *be, size_t count, const float *re, const float *im, const float *chi,
                     float *mag, float *phase)
{
    PH_KERNEL(be, cplx_magphase_forward, "taking complex magnitudes and phases", count, re, im, chi, mag, phase);
}

static void magphase_back(const ph_backend *be, size_t count, const float *re, const float *im, const float *dmag,
                          const float *dphase, float *dre, float *dim, float *dchi)
{
    PH_KERNEL(be, cplx_magphase_backward, "taking complex magnitudes and phases backward", count, re, im, dmag,
              dphase, dre, dim, dchi);
}

static void polar_act(const ph_cvrnn *m, size_t count, const float *mag, const float *phase, float *z, float *abs)
{
    PH_KERNEL(m->base.be, cplx_polar_act_forward, "activating complex values", m->act, count, mag, phase, z,
              z + count, abs);
}

static void polar_act_back(const ph_cvrnn *m, size_t count, const float *mag, const float *phase, const float *dz,
                           const float *dabs, float *dmag, float *dphase)
{
    PH_KERNEL(m->base.be, cplx_polar_act_backward, "activating complex values backward", m->act, count, mag, phase,
              dz, dz + count, dabs, dmag, dphase);
}

static void add(const ph_backend *be, const float *a, const float *b, float *y, size_t count)
{
    PH_KERNEL(be, binary, "adding complex values", PH_BIN_ADD, a, b, y, count);
}

/* phi_0 uniform in [-pi, pi) per pixel and colour of frame 0, keyed on the
 * sample's global id and, in training, the step (a fresh draw each step, as
 * the original's torch.rand); evaluation uses step 0, which training never does. */
static void draw_phases(ph_cvrnn *m, int training)
{
    const ph_model_geometry *g = &m->base.g;
    const size_t per = 3 * m->s;
    const uint64_t key = training ? (uint64_t)m->base.step : 0;
    for (int i = 0; i < g->n; i++) {
        uint64_t id = m->base.ids ? (uint64_t)m->base.ids[i] : (uint64_t)i;
        ph_rng r;
        ph_rng_init(&r, g->seed, PH_STREAM_PHASE, id | (key << 40), 0);
        for (size_t j = 0; j < per; j++) m->hphase0[(size_t)i * per + j] = (float)((ph_rng_uniform(&r) * 2 - 1) * M_PI);
    }
    ph_dev_upload(m->base.be, m->phase0, m->hphase0, (size_t)g->n * per);
}

static void cvrnn_forward(ph_model *base, int training)
{
    ph_cvrnn *m = (ph_cvrnn *)base;
    const ph_backend *be = base->be;
    const ph_model_geometry *g = &base->g;
    const int T = g->t, n = g->n, tn = T * n;
    const size_t cnt = m->cnt, ns = m->ns, tc = (size_t)T * cnt, x0 = (size_t)n * 3 * m->s;
    m->aux_ready = 0;
    ph_frames_split(be, n, 3, T, m->s, base->x, m->xf);
    ph_conv_forward_n(&m->pre, tn, m->xf, m->zpre);
    ph_act_forward(be, PH_ACT_SOFTPLUS, m->zpre, m->z, tc);
    /* the feed-forward complex drive f_t of every frame */
    ph_conv_forward_n(&m->fr, tn, m->z, m->fre);
    ph_conv_forward_n(&m->fi, tn, m->z, m->fim);
    magphase(be, tc, m->fre, m->fim, NULL, m->fm, m->fph);
    ph_norm_forward(&m->in_f, m->fm, m->fmn, training);
    for (int t = 0; t < T; t++) polar_act(m, cnt, ST(m->fmn, t), ST(m->fph, t), ST2(m->f, t), NULL);
    /* c_0 from frame 0 with random phases; |x_0 e^{i phi}| = x_0 */
    draw_phases(m, training);
    ph_complex_polar(be, m->xf, m->phase0, m->cin, x0);
    ph_complex_conv_forward(&m->cp, m->cin, m->p_psi);
    ph_conv_layer_forward(&m->cp, m->xf, m->p_chi);
    magphase(be, cnt, m->p_psi, m->p_psi + cnt, m->p_chi, m->p_m, m->p_ph);
    ph_norm_forward(&m->in_p, m->p_m, m->p_mn, training);
    polar_act(m, cnt, m->p_mn, m->p_ph, m->c0, NULL);

    ph_eicell_begin(&m->cell, m->z);
    for (int t = 0; t < T; t++) {
        const float *ep = ph_eicell_e(&m->cell, t), *cprev = t ? ST2(m->h, t - 1) : m->c0;
        float *s = ST2(m->sbuf, t), *hp = ST2(m->h_psi, t), *h = ST2(m->h, t), *q = ST2(m->q, t);
        /* a_u = RtoC_u(e_{t-1}) */
        ph_conv_layer_forward(&m->ur, ep, ST(m->au_re, t));
        ph_conv_layer_forward(&m->ui, ep, ST(m->au_im, t));
        magphase(be, cnt, ST(m->au_re, t), ST(m->au_im, t), NULL, ST(m->au_m, t), ST(m->au_ph, t));
        ph_step_norm_forward(&m->in_u, t, ST(m->au_m, t), ST(m->au_mn, t), training);
        polar_act(m, cnt, ST(m->au_mn, t), ST(m->au_ph, t), m->au, NULL);
        /* h = CC_h(f_t + c_{t-1}) */
        add(be, ST2(m->f, t), cprev, s, 2 * cnt);
        magphase(be, cnt, s, s + cnt, NULL, ST(m->ms, t), NULL);
        ph_complex_conv_forward(&m->ch_, s, hp);
        ph_conv_layer_forward(&m->ch_, ST(m->ms, t), m->chi);
        magphase(be, cnt, hp, hp + cnt, m->chi, ST(m->h_m, t), ST(m->h_ph, t));
        ph_step_norm_forward(&m->in_h, t, ST(m->h_m, t), ST(m->h_mn, t), training);
        polar_act(m, cnt, ST(m->h_mn, t), ST(m->h_ph, t), h, ST(m->h_abs, t));
        /* theta_t = stable angle of CC_d(h) */
        float *dp = ST2N(m->d_psi, t), *dd = ST2N(m->dd, t);
        ph_complex_conv_forward(&m->cd, h, dp);
        ph_conv_layer_forward(&m->cd, ST(m->h_abs, t), m->dn1);
        magphase(be, ns, dp, dp + ns, m->dn1, STN(m->d_m, t), STN(m->d_ph, t));
        ph_step_norm_forward(&m->in_d, t, STN(m->d_m, t), STN(m->d_mn, t), training);
        polar_act(m, ns, STN(m->d_mn, t), STN(m->d_ph, t), dd, NULL);
        magphase(be, ns, dd, dd + ns, NULL, NULL, STN(m->theta, t));
        /* A = sigmoid(IN(|a_u + f_t + h|)) through the cell */
        add(be, m->au, ST2(m->f, t), q, 2 * cnt);
        add(be, q, h, q, 2 * cnt);
        magphase(be, cnt, q, q + cnt, NULL, ST(m->a_m, t), NULL);
        ph_step_norm_forward(&m->in_a, t, ST(m->a_m, t), m->a_n, training);
        ph_eicell_step(&m->cell, t, m->z, m->a_n, NULL, training);
    }
    ph_goal_readout_forward(&m->out, ph_eicell_e(&m->cell, T), m->xf, base->logits);
}

static void cvrnn_backward(ph_model *base)
{
    ph_cvrnn *m = (ph_cvrnn *)base;
    const ph_backend *be = base->be;
    const ph_model_geometry *g = &base->g;
    const int T = g->t, n = g->n, tn = T * n;
    const size_t cnt = m->cnt, ns = m->ns, tc = (size_t)T * cnt, x0 = (size_t)n * 3 * m->s;
    const int dec = m->aux_ready; /* the phase maps get a gradient only from the synchrony loss */
    ph_eicell *c = &m->cell;
    if (base->want_dx) ph_dev_fill(be, m->dxf, 0.0f, ph_model_input_count(base));
    ph_eicell_backward_begin(c);
    ph_goal_readout_backward(&m->out, ph_eicell_e(c, T), base->dlogits, c->de, base->want_dx ? m->dxf : NULL);
    ph_dev_fill(be, m->dc, 0.0f, 2 * cnt);
    ph_dev_fill(be, m->f, 0.0f, 2 * tc); /* f's values are not needed any more: its gradient goes there */
    for (int t = T - 1; t >= 0; t--) {
        float *s = ST2(m->sbuf, t), *hp = ST2(m->h_psi, t), *q = ST2(m->q, t), *df = ST2(m->f, t);
        const float *da = ph_eicell_step_backward(c, t, m->z);
        /* the attention's magnitude |a_u + f_t + h|: its gradient dq (t2a) reaches a_u, f_t and h */
        ph_step_norm_backward(&m->in_a, t, ST(m->a_m, t), da, m->tc1);
        magphase_back(be, cnt, q, q + cnt, m->tc1, NULL, m->t2a, m->t2a + cnt, NULL);
        ph_dev_add(be, m->t2a, df, 2 * cnt);
        ph_dev_add(be, m->t2a, m->dc, 2 * cnt);
        /* the phase map: |h| gets d|h| in tc2, h the rest in dc */
        if (dec) {
            float *dp = ST2N(m->d_psi, t), *dd = ST2N(m->dd, t);
            magphase_back(be, ns, dd, dd + ns, NULL, STN(m->dtheta, t), m->t2b, m->t2b + ns, NULL);
            polar_act_back(m, ns, STN(m->d_mn, t), STN(m->d_ph, t), m->t2b, NULL, m->dn1, STN(m->d_ph, t));
            ph_step_norm_backward(&m->in_d, t, STN(m->d_m, t), m->dn1, m->dn2);
            magphase_back(be, ns, dp, dp + ns, m->dn2, STN(m->d_ph, t), dp, dp + ns, STN(m->d_m, t));
            ph_conv_shape sd = m->cd.s;
            PH_KERNEL(be, conv_backward_data, "running a convolution backward", &sd, STN(m->d_m, t), m->cd.w.w, m->tc2);
            ph_conv_backward_data_add(&m->cd, 2 * n, dp, m->dc, m->t2b);
        }
        /* h = CC_h(s): dh in dc; ds into dc_prev (= d c_{t-1}) */
        polar_act_back(m, cnt, ST(m->h_mn, t), ST(m->h_ph, t), m->dc, dec ? m->tc2 : NULL, m->tc1, ST(m->h_ph, t));
        ph_step_norm_backward(&m->in_h, t, ST(m->h_m, t), m->tc1, m->tc2);
        magphase_back(be, cnt, hp, hp + cnt, m->tc2, ST(m->h_ph, t), hp, hp + cnt, ST(m->h_m, t));
        PH_KERNEL(be, conv_backward_data, "running a convolution backward", &m->ch_.s, ST(m->h_m, t), m->ch_.w.w, m->tc1);
        magphase_back(be, cnt, s, s + cnt, m->tc1, NULL, m->t2b, m->t2b + cnt, NULL);
        ph_conv_shape s2 = m->ch_.s;
        s2.n *= 2;
        PH_KERNEL(be, conv_backward_data, "running a convolution backward", &s2, hp, m->ch_.w.w, m->dc_prev);
        ph_dev_add(be, m->t2b, m->dc_prev, 2 * cnt);
        ph_dev_add(be, m->dc_prev, df, 2 * cnt);
        /* a_u = RtoC_u(e_{t-1}), gradient dq (t2a) */
        polar_act_back(m, cnt, ST(m->au_mn, t), ST(m->au_ph, t), m->t2a, NULL, m->tc1, ST(m->au_ph, t));
        ph_step_norm_backward(&m->in_u, t, ST(m->au_m, t), m->tc1, m->tc2);
        magphase_back(be, cnt, ST(m->au_re, t), ST(m->au_im, t), m->tc2, ST(m->au_ph, t), ST(m->au_re, t),
                      ST(m->au_im, t), NULL);
        ph_conv_backward_data_add(&m->ur, n, ST(m->au_re, t), c->de_prev, m->tc1);
        ph_conv_backward_data_add(&m->ui, n, ST(m->au_im, t), c->de_prev, m->tc1);
        ph_eicell_step_backward_done(c);
        float *sw = m->dc;
        m->dc = m->dc_prev, m->dc_prev = sw;
    }
    ph_eicell_backward_end(c, m->z);
    /* weight gradients of the per-step layers, all steps at once */
    ph_conv_backward_weights_n(&m->ur, tn, c->e, m->au_re);
    ph_conv_backward_weights_n(&m->ui, tn, c->e, m->au_im);
    ph_conv_backward_weights_n(&m->ch_, 2 * tn, m->sbuf, m->h_psi);
    ph_conv_backward_weights_n(&m->ch_, tn, m->ms, m->h_m);
    if (dec) {
        ph_conv_backward_weights_n(&m->cd, 2 * tn, m->h, m->d_psi);
        ph_conv_backward_weights_n(&m->cd, tn, m->h_abs, m->d_m);
    }
    /* c_0 = CC_p(x_0 e^{i phi_0}), gradient in dc */
    polar_act_back(m, cnt, m->p_mn, m->p_ph, m->dc, NULL, m->tc1, m->p_ph);
    ph_norm_backward(&m->in_p, m->p_m, m->tc1, m->tc2);
    magphase_back(be, cnt, m->p_psi, m->p_psi + cnt, m->tc2, m->p_ph, m->p_psi, m->p_psi + cnt, m->p_m);
    ph_conv_backward_weights_n(&m->cp, 2 * n, m->cin, m->p_psi);
    ph_conv_backward_weights_n(&m->cp, n, m->xf, m->p_m);
    if (base->want_dx) {
        ph_conv_shape s2 = m->cp.s;
        s2.n *= 2;
        PH_KERNEL(be, conv_backward_data, "running a convolution backward", &s2, m->p_psi, m->cp.w.w, m->dn1);
        ph_complex_polar_backward(be, m->xf, m->phase0, m->dn1, m->dn2, m->tmp_t, x0);
        ph_dev_add(be, m->dn2, m->dxf, x0);
        ph_conv_backward_data_add(&m->cp, n, m->p_m, m->dxf, m->dn2);
    }
    /* f_t of every frame, gradient in f */
    for (int t = 0; t < T; t++)
        polar_act_back(m, cnt, ST(m->fmn, t), ST(m->fph, t), ST2(m->f, t), NULL, ST(m->fmn, t), ST(m->fph, t));
    ph_norm_backward(&m->in_f, m->fm, m->fmn, m->tmp_t);
    magphase_back(be, tc, m->fre, m->fim, m->tmp_t, m->fph, m->fre, m->fim, NULL);
    ph_conv_backward_n(&m->fr, tn, m->z, m->fre, m->tmp_t);
    ph_dev_add(be, m->tmp_t, c->dz, tc);
    ph_conv_backward_n(&m->fi, tn, m->z, m->fim, m->tmp_t);
    ph_dev_add(be, m->tmp_t, c->dz, tc);
    ph_act_backward(be, PH_ACT_SOFTPLUS, m->zpre, m->z, c->dz, c->dz, tc);
    ph_conv_backward_n(&m->pre, tn, m->xf, c->dz, base->want_dx ? m->tmp_t : NULL);
    if (base->want_dx) {
        ph_dev_add(be, m->tmp_t, m->dxf, ph_model_input_count(base));
        ph_frames_merge(be, n, 3, T, m->s, m->dxf, base->dx);
    }
}

static int cvrnn_params(ph_model *base, ph_param **out, int max)
{
    ph_cvrnn *m = (ph_cvrnn *)base;
    ph_param *p[] = {&m->pre.w, &m->pre.b, &m->fr.w, &m->fi.w, &m->ur.w, &m->ui.w, &m->cp.w, &m->ch_.w, &m->cd.w,
                     &m->in_f.gamma, &m->in_f.beta, &m->in_p.gamma, &m->in_p.beta, &m->in_u.nl.gamma,
                     &m->in_u.nl.beta, &m->in_h.nl.gamma, &m->in_h.nl.beta, &m->in_d.nl.gamma, &m->in_d.nl.beta,
                     &m->in_a.nl.gamma, &m->in_a.nl.beta};
    int k = 0;
    for (size_t j = 0; j < sizeof p / sizeof *p && k < max; j++) out[k++] = p[j];
    k += ph_eicell_params(&m->cell, out + k, max - k);
    k += ph_goal_readout_params(&m->out, out + k, max - k);
    return k;
}

static double cvrnn_step_flops(const ph_model *base)
{
    const ph_cvrnn *m = (const ph_cvrnn *)base;
    const double T = base->g.t;
    double f = ph_eicell_step_flops(&m->cell) + ph_goal_readout_step_flops(&m->out);
    f += (base->want_dx ? 3.0 : 2.0) * T * ph_conv_flops(&m->pre.s);
    /* f: two real convolutions per frame; a_u likewise per step; CC_h and CC_d
     * three (re, im, |z|) per step, CC_d's backward only with the synchrony
     * loss; CC_p three once (its data gradient only for dx) */
    f += 3.0 * T * (ph_conv_flops(&m->fr.s) + ph_conv_flops(&m->fi.s) + ph_conv_flops(&m->ur.s) + ph_conv_flops(&m->ui.s));
    f += 9.0 * T * ph_conv_flops(&m->ch_.s) + (m->sync_weight > 0 ? 9.0 : 3.0) * T * ph_conv_flops(&m->cd.s);
    f += (base->want_dx ? 9.0 : 6.0) * ph_conv_flops(&m->cp.s);
    return f;
}

static size_t cvrnn_aux_bytes(const ph_model *base)
{
    const ph_cvrnn *m = (const ph_cvrnn *)base;
    return m->sync_weight > 0 ? (size_t)base->g.t * m->s : 0;
}

static void cvrnn_aux_read(const ph_model *base, ph_samples_reader *r, int64_t start, int64_t count, void *out)
{
    ph_tracking_masks_read(r, start, count, base->g.t, base->g.h, base->g.w, out);
}

static double cvrnn_aux_loss(ph_model *base, const void *aux, double weight)
{
    ph_cvrnn *m = (ph_cvrnn *)base;
    const int T = base->g.t, n = base->g.n;
    const size_t s = m->s, tns = (size_t)T * m->ns;
    const uint8_t *masks = aux;
    float *th = m->htheta, *grad = m->htheta + tns;
    ph_dev_download(base->be, th, m->theta, tns);
    double sum = 0, scale = weight * m->sync_weight;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++) {
            size_t at = (size_t)t * m->ns + (size_t)i * s;
            sum += ph_synchrony_loss(th + at, masks + ((size_t)i * T + t) * s, s, scale, grad + at);
        }
    ph_dev_upload(base->be, m->dtheta, grad, tns);
    m->aux_ready = 1;
    return scale * sum;
}

void ph_cvrnn_phase_download(const ph_cvrnn *m, int t, float *host)
{
    ph_dev_download(m->base.be, host, STN(m->theta, t), m->ns);
}

const ph_model_def ph_model_cvrnn = {
    .name = "cvrnn",
    .display_name = "CV-RNN",
    .summary = "CV-RNN: complex-valued InT, attention from phase synchrony, synchrony loss (Muzellec et al., ICLR 2025)",
    .section = &cvrnn_section,
    .video = 1,
    .create = cvrnn_create,
    .destroy = cvrnn_destroy,
    .forward = cvrnn_forward,
    .backward = cvrnn_backward,
    .params = cvrnn_params,
    .step_flops = cvrnn_step_flops,
    .aux_bytes = cvrnn_aux_bytes,
    .aux_read = cvrnn_aux_read,
    .aux_loss = cvrnn_aux_loss,
};
