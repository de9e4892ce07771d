/* int.c: InT (see int.h and docs/models/int.md): forward over the frames,
 * back-propagation through time. */
#include "int.h"

#include <stdlib.h>
#include <string.h>

static const cfg_key int_keys[] = {
    {"channels", CFG_INT, "32", 1, 1024, NULL, "channels of the recurrent cell (paper: 32)"},
    {"kernel", CFG_INT, "7", 1, 31, NULL, "size of the excitatory and inhibitory kernels, odd (paper: 7)"},
    {"bn_eval", CFG_ENUM, "batch", 0, 0, "batch|running",
     "statistics of the cell's batch norms at test time: batch (as released) or running averages"},
};
static const cfg_section int_section = {"int", "InT, the Index-and-Track recurrent circuit (videos)", int_keys,
                                        (int)(sizeof int_keys / sizeof int_keys[0]), 0};

static ph_model *int_create(const cfg *c, const ph_backend *be, const ph_model_geometry *g)
{
    ph_int *m = calloc(1, sizeof *m);
    PH_CHECK_ALLOC(m, "building InT");
    ph_model_base_init(&m->base, &ph_model_int, be, g);
    m->ch = (int)cfg_int(c, "int", "channels"), m->k = (int)cfg_int(c, "int", "kernel");
    if (m->k % 2 == 0) ph_usage_error("config error: [int] kernel = %d must be odd (same-size convolutions)", m->k);
    if (g->c != 3)
        ph_usage_error("config error: InT reads the goal marker from the blue channel, but the samples have %d "
                       "channel(s) (train it on RGB videos)", g->c);
    if (g->outputs != 1)
        ph_usage_error("config error: InT has one logit (two classes), but the data have %d classes", g->outputs);
    const int n = g->n, T = g->t, ch = m->ch;
    m->s = (size_t)g->h * g->w, m->cnt = (size_t)n * ch * m->s;
    ph_conv_shape ps = {2, n, 3, ch, 1, {g->h, g->w}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, {0}};
    ph_conv_layer_init(&m->pre, be, ps, 1, g->seed, 0);
    ph_conv_torch_default(&m->pre, g->seed, 0);
    ph_conv_shape as = {2, n, ch, ch, 1, {g->h, g->w}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, {0}};
    ph_conv_layer_init(&m->w_a, be, as, 1, g->seed, 1);
    ph_conv_layer_init(&m->u_a, be, as, 1, g->seed, 2);
    ph_param_orthogonal(&m->w_a.w, ch, g->seed, 2), ph_param_orthogonal(&m->u_a.w, ch, g->seed, 4);
    ph_param_set(&m->w_a.b, 1.0f), ph_param_set(&m->u_a.b, 1.0f);
    ph_eicell_init(&m->cell, be, n, ch, T, g->h, g->w, m->k, !strcmp(cfg_str(c, "int", "bn_eval"), "running"),
                   g->comm, g->seed, 16);
    ph_goal_readout_init(&m->out, be, n, ch, g->h, g->w, 1, g->seed, 40);
    size_t tc = (size_t)T * m->cnt, nx = ph_model_input_count(&m->base);
    m->xf = ph_dev_alloc(be, nx), m->dxf = ph_dev_alloc(be, nx);
    m->zpre = ph_dev_alloc(be, tc), m->z = ph_dev_alloc(be, tc), m->aw = ph_dev_alloc(be, tc);
    m->tmp = ph_dev_alloc(be, m->cnt);
    return &m->base;
}

static void int_destroy(ph_model *base)
{
    ph_int *m = (ph_int *)base;
    ph_conv_layer_free(&m->pre), ph_conv_layer_free(&m->w_a), ph_conv_layer_free(&m->u_a);
    ph_eicell_free(&m->cell);
    ph_goal_readout_free(&m->out);
    float *b[] = {m->xf, m->dxf, m->zpre, m->z, m->aw, m->tmp};
    for (size_t j = 0; j < sizeof b / sizeof *b; j++) base->be->free(b[j]);
    ph_model_base_free(base);
    free(m);
}

static void int_forward(ph_model *base, int training)
{
    ph_int *m = (ph_int *)base;
    const ph_backend *be = base->be;
    const ph_model_geometry *g = &base->g;
    const int T = g->t, nb = T * g->n;
    ph_frames_split(be, g->n, 3, T, m->s, base->x, m->xf);
    ph_conv_forward_n(&m->pre, nb, m->xf, m->zpre);
    ph_act_forward(be, PH_ACT_SOFTPLUS, m->zpre, m->z, (size_t)T * m->cnt);
    ph_conv_forward_n(&m->w_a, nb, m->z, m->aw);
    ph_eicell_begin(&m->cell, m->z);
    for (int t = 0; t < T; t++) {
        ph_conv_layer_forward(&m->u_a, ph_eicell_e(&m->cell, t), m->tmp);
        ph_eicell_step(&m->cell, t, m->z, m->aw + (size_t)t * m->cnt, m->tmp, training);
    }
    ph_goal_readout_forward(&m->out, ph_eicell_e(&m->cell, T), m->xf, base->logits);
}

static void int_backward(ph_model *base)
{
    ph_int *m = (ph_int *)base;
    const ph_backend *be = base->be;
    const ph_model_geometry *g = &base->g;
    const int T = g->t, nb = T * g->n;
    ph_eicell *c = &m->cell;
    const size_t tc = (size_t)T * m->cnt;
    if (base->want_dx) ph_dev_fill(be, m->dxf, 0.0f, ph_model_input_count(base));
    ph_eicell_backward_begin(c);
    ph_goal_readout_backward(&m->out, ph_eicell_e(c, T), base->dlogits, c->de, base->want_dx ? m->dxf : NULL);
    for (int t = T - 1; t >= 0; t--) {
        const float *da = ph_eicell_step_backward(c, t, m->z);
        ph_conv_backward_data_add(&m->u_a, g->n, da, c->de_prev, m->tmp);
        ph_eicell_step_backward_done(c);
    }
    ph_eicell_backward_end(c, m->z);
    /* the attention's weights over all steps: d(pre-activation) is in c->att */
    ph_conv_backward_weights_n(&m->u_a, nb, c->e, c->att);
    ph_conv_backward_n(&m->w_a, nb, m->z, c->att, m->aw);
    ph_dev_add(be, m->aw, c->dz, tc);
    ph_act_backward(be, PH_ACT_SOFTPLUS, m->zpre, m->z, c->dz, c->dz, tc);
    ph_conv_backward_n(&m->pre, nb, m->xf, c->dz, base->want_dx ? m->aw : NULL);
    if (base->want_dx) {
        ph_dev_add(be, m->aw, m->dxf, ph_model_input_count(base));
        ph_frames_merge(be, g->n, 3, T, m->s, m->dxf, base->dx);
    }
}

static int int_params(ph_model *base, ph_param **out, int max)
{
    ph_int *m = (ph_int *)base;
    ph_param *p[] = {&m->pre.w, &m->pre.b, &m->w_a.w, &m->w_a.b, &m->u_a.w, &m->u_a.b};
    int k = 0;
    for (int j = 0; j < 6 && k < max; j++) out[k++] = p[j];
    k += ph_eicell_params(&m->cell, out + k, max - k);
    k += ph_goal_readout_params(&m->out, out + k, max - k);
    return k;
}

static double int_step_flops(const ph_model *base)
{
    const ph_int *m = (const ph_int *)base;
    const int T = base->g.t;
    double f = ph_eicell_step_flops(&m->cell) + ph_goal_readout_step_flops(&m->out);
    f += 3.0 * T * (ph_conv_flops(&m->w_a.s) + ph_conv_flops(&m->u_a.s));
    f += (base->want_dx ? 3.0 : 2.0) * T * ph_conv_flops(&m->pre.s);
    return f;
}

const ph_model_def ph_model_int = {
    .name = "int",
    .display_name = "InT",
    .summary = "InT: recurrent excitation/inhibition circuit with attention (PathTracker, Linsley et al., NeurIPS 2021)",
    .section = &int_section,
    .video = 1,
    .create = int_create,
    .destroy = int_destroy,
    .forward = int_forward,
    .backward = int_backward,
    .params = int_params,
    .step_flops = int_step_flops,
};
