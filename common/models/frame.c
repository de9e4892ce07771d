/* frame.c: the frame-only baseline of the tracking studies (docs/models/frame.md):
 * a 2D CNN that sees the last frame of a video, or its first and last frames
 * stacked as channels, and never the motion between them.  Stages of a 3x3
 * stride-2 convolution + norm + activation, global average pooling, linear. */
#include "frame.h"
#include "resblock.h"
#include "track_util.h"

#include <stdlib.h>
#include <string.h>

enum { FRAME_MAX_STAGES = 6 };

typedef struct {
    ph_model base;
    int nframes, stages, feat_c;
    size_t s, feat_spatial;
    ph_conv_unit unit[FRAME_MAX_STAGES];
    ph_linear_layer fc;
    float *in, *pooled, *dpooled, *ga, *gb;
} ph_frame;

static const cfg_key frame_keys[] = {
    {"frames", CFG_ENUM, "first_last", 0, 0, "last|first_last", "what the network sees: the last frame, or the first and last"},
    {"width", CFG_INT, "16", 1, 1024, NULL, "channels of the first stage (doubling per stage)"},
    {"stages", CFG_INT, "3", 1, FRAME_MAX_STAGES, NULL, "stride-2 stages"},
    {"norm", CFG_ENUM, "batch", 0, 0, "none|batch|group|instance", "normalisation after each convolution"},
    {"activation", CFG_ENUM, "relu", 0, 0, "relu|softplus|tanh|sigmoid", "activation after each norm (tests use softplus)"},
};
static const cfg_section frame_section = {"frame", "frame-only 2D CNN baseline for videos (last, or first and last frame)",
                                          frame_keys, (int)(sizeof frame_keys / sizeof frame_keys[0]), 0};

static int name_index(const char *name, const char *const *names, int count)
{
    for (int k = 0; k < count; k++)
        if (!strcmp(name, names[k])) return k;
    return -1;
}

/* the frames seen: index f of nframes */
static int frame_at(const ph_frame *m, int f) { return f == m->nframes - 1 ? m->base.g.t - 1 : 0; }

static ph_model *frame_create(const cfg *c, const ph_backend *be, const ph_model_geometry *g)
{
    ph_frame *m = calloc(1, sizeof *m);
    PH_CHECK_ALLOC(m, "building the frame baseline");
    ph_model_base_init(&m->base, &ph_model_frame, be, g);
    m->nframes = strcmp(cfg_str(c, "frame", "frames"), "last") ? 2 : 1;
    m->stages = (int)cfg_int(c, "frame", "stages");
    const int width = (int)cfg_int(c, "frame", "width");
    const int norm = name_index(cfg_str(c, "frame", "norm"), ph_norm_names, PH_NORM_COUNT);
    const int act = name_index(cfg_str(c, "frame", "activation"), ph_act_names, PH_ACT_COUNT);
    m->s = (size_t)g->h * g->w;
    int in_c = g->c * m->nframes, in[2] = {g->h, g->w};
    size_t most = 0;
    for (int i = 0; i < m->stages; i++) {
        ph_conv_shape s = {2, g->n, in_c, width << i, 1, {in[0], in[1]}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {0}};
        char why[256];
        ph_conv_shape probe = s;
        if (ph_conv_shape_init(&probe, why, sizeof why))
            ph_usage_error("config error: [frame] stages = %d is too deep for %dx%d frames (%s); use fewer stages",
                           m->stages, g->h, g->w, why);
        ph_conv_unit_init(&m->unit[i], be, s, norm, act, g->comm, g->seed, (uint32_t)i);
        in[0] = m->unit[i].conv.s.out[0], in[1] = m->unit[i].conv.s.out[1];
        in_c = width << i;
        most = m->unit[i].count > most ? m->unit[i].count : most;
    }
    m->feat_c = in_c, m->feat_spatial = (size_t)in[0] * in[1];
    ph_linear_init(&m->fc, be, g->n, in_c, g->outputs, g->seed, 100);
    m->in = ph_dev_alloc(be, (size_t)g->n * g->c * m->nframes * m->s);
    m->pooled = ph_dev_alloc(be, (size_t)g->n * in_c), m->dpooled = ph_dev_alloc(be, (size_t)g->n * in_c);
    m->ga = ph_dev_alloc(be, most), m->gb = ph_dev_alloc(be, most);
    return &m->base;
}

static void frame_destroy(ph_model *base)
{
    ph_frame *m = (ph_frame *)base;
    for (int i = 0; i < m->stages; i++) ph_conv_unit_free(&m->unit[i]);
    ph_linear_free(&m->fc);
    float *b[] = {m->in, m->pooled, m->dpooled, m->ga, m->gb};
    for (size_t j = 0; j < sizeof b / sizeof *b; j++) base->be->free(b[j]);
    ph_model_base_free(base);
    free(m);
}

static void frame_forward(ph_model *base, int training)
{
    ph_frame *m = (ph_frame *)base;
    const ph_model_geometry *g = &base->g;
    const size_t s = m->s, rows = (size_t)g->n * g->c;
    /* x [N, C, T, S] -> in [N, C, F, S]: channel c of frame f is input channel c F + f */
    for (int f = 0; f < m->nframes; f++)
        PH_KERNEL(base->be, copy2d, "selecting frames", m->in + (size_t)f * s, (size_t)m->nframes * s,
                  base->x + (size_t)frame_at(m, f) * s, (size_t)g->t * s, rows, s);
    const float *h = m->in;
    for (int i = 0; i < m->stages; i++) ph_conv_unit_forward(&m->unit[i], h, training), h = m->unit[i].out;
    PH_KERNEL(base->be, avgpool_global_forward, "pooling", h, m->pooled, (size_t)g->n * m->feat_c, m->feat_spatial);
    ph_linear_forward(&m->fc, m->pooled, base->logits);
}

static void frame_backward(ph_model *base)
{
    ph_frame *m = (ph_frame *)base;
    const ph_backend *be = base->be;
    const ph_model_geometry *g = &base->g;
    ph_linear_backward(&m->fc, m->pooled, base->dlogits, m->dpooled);
    float *d = m->ga;
    PH_KERNEL(be, avgpool_global_backward, "pooling backward", m->dpooled, d, (size_t)g->n * m->feat_c, m->feat_spatial);
    for (int i = m->stages - 1; i >= 0; i--) {
        /* the first unit's input gradient only when asked (saliency) */
        float *dprev = i ? (d == m->ga ? m->gb : m->ga) : (base->want_dx ? m->in : NULL);
        ph_conv_unit_backward(&m->unit[i], i ? m->unit[i - 1].out : m->in, d, dprev);
        d = dprev;
    }
    if (base->want_dx) {
        const size_t s = m->s, rows = (size_t)g->n * g->c;
        ph_dev_fill(be, base->dx, 0.0f, ph_model_input_count(base));
        /* frames not seen get zero; with one frame first and last are the same frame */
        for (int f = 0; f < m->nframes; f++)
            for (size_t r = 0; r < rows; r++)
                ph_dev_add(be, m->in + (r * m->nframes + f) * s, base->dx + (r * g->t + frame_at(m, f)) * s, s);
    }
}

static int frame_params(ph_model *base, ph_param **out, int max)
{
    ph_frame *m = (ph_frame *)base;
    int k = 0;
    for (int i = 0; i < m->stages; i++) k += ph_conv_unit_params(&m->unit[i], out + k, max - k);
    if (k + 2 <= max) out[k++] = &m->fc.w, out[k++] = &m->fc.b;
    return k;
}

static double frame_step_flops(const ph_model *base)
{
    const ph_frame *m = (const ph_frame *)base;
    double f = 0;
    for (int i = 0; i < m->stages; i++) f += ph_conv_flops(&m->unit[i].conv.s) * (i || base->want_dx ? 3 : 2);
    return f;
}

const ph_model_def ph_model_frame = {
    .name = "frame",
    .display_name = "frame CNN",
    .summary = "frame-only 2D CNN on the last (or first and last) frame of a video: what the task needs beyond motion",
    .section = &frame_section,
    .video = 1,
    .create = frame_create,
    .destroy = frame_destroy,
    .forward = frame_forward,
    .backward = frame_backward,
    .params = frame_params,
    .step_flops = frame_step_flops,
};
