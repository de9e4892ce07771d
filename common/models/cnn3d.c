/* cnn3d.c: the R3D-style 3D CNN (see cnn3d.h): forward, backward, parameters. */
#include "cnn3d.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cfg_key cnn3d_keys[] = {
    {"width", CFG_INT, "8", 1, 1024, NULL, "channels of the first stage (doubling per stage)"},
    {"stages", CFG_INT, "3", 1, PH_CNN3D_MAX_STAGES, NULL, "strided stages (each halves space)"},
    {"blocks", CFG_INT, "0", 0, PH_CNN3D_MAX_BLOCKS, NULL, "basic residual blocks per stage after its strided convolution"},
    {"temporal_stride", CFG_INT, "2", 1, 4, NULL, "time stride of every stage after the first"},
    {"norm", CFG_ENUM, "none", 0, 0, "none|batch|group|instance", "normalisation after each convolution"},
    {"activation", CFG_ENUM, "relu", 0, 0, "relu|softplus|tanh|sigmoid", "activation after each norm (tests use softplus: smooth)"},
};
static const cfg_section cnn3d_section = {"cnn3d", "the 3D CNN (R3D style) for videos", cnn3d_keys,
                                          (int)(sizeof cnn3d_keys / sizeof cnn3d_keys[0]), 0};

static ph_model *cnn3d_create(const cfg *c, const ph_backend *be, const ph_model_geometry *g)
{
    ph_cnn3d *m = calloc(1, sizeof *m);
    PH_CHECK_ALLOC(m, "building the 3D CNN");
    ph_model_base_init(&m->base, &ph_model_cnn3d, be, g);
    m->width = (int)cfg_int(c, "cnn3d", "width");
    m->stages = (int)cfg_int(c, "cnn3d", "stages");
    m->blocks = (int)cfg_int(c, "cnn3d", "blocks");
    int ts = (int)cfg_int(c, "cnn3d", "temporal_stride"), norm = ph_unit_norm_parse(cfg_str(c, "cnn3d", "norm"));
    const ph_act act = ph_unit_act_parse(cfg_str(c, "cnn3d", "activation"));
    int in_c = g->c, in[3] = {g->t, g->h, g->w};
    /* Refused before anything is allocated: a stage given a 1x1 map (it halves nothing and
     * sees padding), and weights beyond this machine's memory (with Adam's two moments and
     * the gradient, four copies), which would otherwise allocate for minutes and then fail. */
    double weights = 0;
    for (int i = 0, h = g->h, w = g->w; i < m->stages; i++, h = (h + 1) / 2, w = (w + 1) / 2) {
        if (i > 0 && h < 2 && w < 2) {
            int most_stages = 0;
            for (int x = g->h < g->w ? g->h : g->w; x >= 2; x = (x + 1) / 2) most_stages++;
            ph_usage_error("config error: [cnn3d] stages = %d: stage %d would get a 1x1 map from %dx%d frames, "
                           "which allow at most %d stages; use fewer stages", m->stages, i + 1, g->h, g->w,
                           most_stages);
        }
        const double cin = i ? (double)(m->width << (i - 1)) : g->c, cout = (double)(m->width << i);
        weights += 27 * cin * cout + m->blocks * 2 * 27 * cout * cout; /* the stage's conv, its blocks' two each */
    }
    const double memory = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (memory > 0 && 16 * weights > memory)
        ph_usage_error("config error: [cnn3d] width = %d with %d stages has %.3g weights, %.0f GiB with the "
                       "optimiser's state, more than this machine's %.0f GiB; use a smaller width or fewer stages",
                       m->width, m->stages, weights, 16 * weights / (1 << 30), memory / (1 << 30));
    uint32_t id = 0;
    size_t most = 0;
    for (int i = 0; i < m->stages; i++) {
        int out_c = m->width << i;
        ph_conv_shape s = {3, g->n, in_c, out_c, 1, {in[0], in[1], in[2]}, {3, 3, 3},
                           {i ? ts : 1, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0}};
        char why[256];
        ph_conv_shape probe = s;
        if (ph_conv_shape_init(&probe, why, sizeof why))
            ph_usage_error("config error: [cnn3d] stages = %d is too deep for %dx%dx%d videos (%s); "
                           "use fewer stages", m->stages, g->t, g->h, g->w, why);
        ph_conv_unit_init(&m->down[i], be, s, norm, (int)act, g->comm, g->seed, id++);
        memcpy(in, m->down[i].conv.s.out, sizeof in);
        most = m->down[i].count > most ? m->down[i].count : most;
        for (int j = 0; j < m->blocks; j++) {
            int one[3] = {1, 1, 1};
            ph_resblock_init(&m->block[i][j], be, 3, g->n, out_c, out_c, in, one, 0, norm, act, g->comm,
                             g->seed, 64 + id++);
        }
        in_c = out_c;
    }
    m->feat_c = in_c;
    m->feat_spatial = (size_t)in[0] * in[1] * in[2];
    ph_linear_init(&m->fc, be, g->n, in_c, g->outputs, g->seed, 1000);
    m->pooled = ph_dev_alloc(be, (size_t)g->n * in_c), m->dpooled = ph_dev_alloc(be, (size_t)g->n * in_c);
    m->ga = ph_dev_alloc(be, most), m->gb = ph_dev_alloc(be, most);
    return &m->base;
}

static void cnn3d_destroy(ph_model *base)
{
    ph_cnn3d *m = (ph_cnn3d *)base;
    for (int i = 0; i < m->stages; i++) {
        ph_conv_unit_free(&m->down[i]);
        for (int j = 0; j < m->blocks; j++) ph_resblock_free(&m->block[i][j]);
    }
    ph_linear_free(&m->fc);
    base->be->free(m->pooled), base->be->free(m->dpooled), base->be->free(m->ga), base->be->free(m->gb);
    ph_model_base_free(base);
    free(m);
}

/* Output of stage i (after its blocks). */
static const float *stage_out(const ph_cnn3d *m, int i)
{
    return m->blocks ? m->block[i][m->blocks - 1].out_act : m->down[i].out;
}

static void cnn3d_forward(ph_model *base, int training)
{
    ph_cnn3d *m = (ph_cnn3d *)base;
    const float *h = base->x;
    for (int i = 0; i < m->stages; i++) {
        ph_conv_unit_forward(&m->down[i], h, training);
        h = m->down[i].out;
        for (int j = 0; j < m->blocks; j++) ph_resblock_forward(&m->block[i][j], h, training), h = m->block[i][j].out_act;
    }
    PH_KERNEL(base->be, avgpool_global_forward, "pooling", h, m->pooled, (size_t)base->g.n * m->feat_c,
              m->feat_spatial);
    ph_linear_forward(&m->fc, m->pooled, base->logits);
}

static void cnn3d_backward(ph_model *base)
{
    ph_cnn3d *m = (ph_cnn3d *)base;
    const ph_backend *be = base->be;
    ph_linear_backward(&m->fc, m->pooled, base->dlogits, m->dpooled);
    float *d = m->ga;
    PH_KERNEL(be, avgpool_global_backward, "pooling backward", m->dpooled, d,
              (size_t)base->g.n * m->feat_c, m->feat_spatial);
    for (int i = m->stages - 1; i >= 0; i--) {
        for (int j = m->blocks - 1; j >= 0; j--) {
            const float *in = j ? m->block[i][j - 1].out_act : m->down[i].out;
            float *dprev = d == m->ga ? m->gb : m->ga;
            ph_resblock_backward(&m->block[i][j], in, d, dprev);
            d = dprev;
        }
        /* The input gradient of the first stage only when asked (saliency). */
        float *dprev = i ? (d == m->ga ? m->gb : m->ga) : (base->want_dx ? base->dx : NULL);
        ph_conv_unit_backward(&m->down[i], i ? stage_out(m, i - 1) : base->x, d, dprev);
        d = dprev;
    }
}

static int cnn3d_params(ph_model *base, ph_param **out, int max)
{
    ph_cnn3d *m = (ph_cnn3d *)base;
    int k = 0;
    for (int i = 0; i < m->stages; i++) {
        k += ph_conv_unit_params(&m->down[i], out + k, max - k);
        for (int j = 0; j < m->blocks; j++) k += ph_resblock_params(&m->block[i][j], out + k, max - k);
    }
    if (k + 2 <= max) out[k++] = &m->fc.w, out[k++] = &m->fc.b;
    return k;
}

static double cnn3d_step_flops(const ph_model *base)
{
    const ph_cnn3d *m = (const ph_cnn3d *)base;
    double f = 0;
    for (int i = 0; i < m->stages; i++) {
        /* the first convolution has no backward-data pass unless dx is wanted */
        f += ph_conv_flops(&m->down[i].conv.s) * (i || base->want_dx ? 3 : 2);
        for (int j = 0; j < m->blocks; j++) f += ph_resblock_step_flops(&m->block[i][j]);
    }
    return f;
}

const ph_model_def ph_model_cnn3d = {
    .name = "cnn3d",
    .display_name = "3D CNN",
    .summary = "3D CNN (R3D style: strided 3x3x3 stages, optional residual blocks and norms)",
    .section = &cnn3d_section,
    .video = 1,
    .create = cnn3d_create,
    .destroy = cnn3d_destroy,
    .forward = cnn3d_forward,
    .backward = cnn3d_backward,
    .params = cnn3d_params,
    .step_flops = cnn3d_step_flops,
};
