/* resnet.c: the 2D ResNet (see resnet.h): forward, backward, parameters. */
#include "resnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cfg_key resnet_keys[] = {
    {"depth", CFG_ENUM, "18", 0, 0, "10|18|34|50|101", "layers: 10/18/34 basic blocks, 50/101 bottleneck"},
    {"width", CFG_INT, "64", 1, 1024, NULL, "channels of the first stage (doubling per stage)"},
    {"stem", CFG_ENUM, "imagenet", 0, 0, "imagenet|small", "imagenet: 7x7/2 conv + 3x3/2 max pool; small: one 3x3 conv"},
    {"norm", CFG_ENUM, "batch", 0, 0, "none|batch|group|instance", "normalisation after each convolution"},
    {"attention", CFG_ENUM, "none", 0, 0, "none|spatial|feature", "self-attention module after a stage (SVRT study)"},
    {"attention_stage", CFG_INT, "3", 1, 4, NULL, "the stage (1-4) whose output the attention module enriches"},
    {"activation", CFG_ENUM, "relu", 0, 0, "relu|softplus|tanh|sigmoid", "activation after each norm (tests use softplus: smooth)"},
};
static const cfg_section resnet_section = {"resnet", "the 2D ResNet for images", resnet_keys,
                                           (int)(sizeof resnet_keys / sizeof resnet_keys[0]), 0};

static void blocks_for_depth(int depth, int *nb, int *bottleneck)
{
    static const int b10[4] = {1, 1, 1, 1}, b18[4] = {2, 2, 2, 2}, b34[4] = {3, 4, 6, 3},
                     b101[4] = {3, 4, 23, 3};
    const int *b = depth == 10 ? b10 : depth == 18 ? b18 : depth == 101 ? b101 : b34;
    memcpy(nb, b, 4 * sizeof *nb);
    *bottleneck = depth >= 50;
}

static ph_model *resnet_create(const cfg *c, const ph_backend *be, const ph_model_geometry *g)
{
    ph_resnet *m = calloc(1, sizeof *m);
    PH_CHECK_ALLOC(m, "building the ResNet");
    ph_model_base_init(&m->base, &ph_model_resnet, be, g);
    if (g->t != 1) ph_usage_error("config error: the resnet model takes images, but the samples are videos of %d frames (use cnn3d)", g->t);
    m->depth = atoi(cfg_str(c, "resnet", "depth"));
    m->width = (int)cfg_int(c, "resnet", "width");
    m->imagenet_stem = !strcmp(cfg_str(c, "resnet", "stem"), "imagenet");
    int norm = ph_unit_norm_parse(cfg_str(c, "resnet", "norm"));
    const ph_act act = ph_unit_act_parse(cfg_str(c, "resnet", "activation"));
    blocks_for_depth(m->depth, m->nblocks, &m->bottleneck);
    int in[2] = {g->h, g->w};
    ph_conv_shape s = {2, g->n, g->c, m->width, 1, {in[0], in[1]}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}};
    if (m->imagenet_stem)
        s.k[0] = s.k[1] = 7, s.stride[0] = s.stride[1] = 2, s.pad[0] = s.pad[1] = 3;
    ph_conv_unit_init(&m->stem, be, s, norm, (int)act, g->comm, g->seed, 0);
    memcpy(in, m->stem.conv.s.out, sizeof in);
    size_t most = m->stem.count;
    if (m->imagenet_stem) {
        ph_pool_shape ps = {2, g->n, m->width, PH_POOL_MAX, {in[0], in[1]}, {3, 3}, {2, 2}, {1, 1}, {0}};
        ph_pool_init(&m->stem_pool, be, ps);
        memcpy(in, m->stem_pool.s.out, sizeof in);
        size_t pc = ph_pool_y_count(&m->stem_pool.s);
        m->pooled_stem = ph_dev_alloc(be, pc);
        m->dpooled_stem = ph_dev_alloc(be, m->stem.count);
    }
    int in_c = m->width;
    uint32_t id = 1;
    const char *attn = cfg_str(c, "resnet", "attention");
    ph_attn_kind kind = PH_ATTN_NONE;
    for (int k = 0; k < PH_ATTN_COUNT; k++)
        if (!strcmp(attn, ph_attn_names[k])) kind = (ph_attn_kind)k;
    m->attn_stage = (int)cfg_int(c, "resnet", "attention_stage");
    for (int i = 0; i < PH_RESNET_STAGES; i++) {
        for (int j = 0; j < m->nblocks[i]; j++) {
            if (in[0] < 1 || in[1] < 1)
                ph_usage_error("config error: [resnet] depth %d is too deep for %dx%d images", m->depth, g->h, g->w);
            int st = i > 0 && j == 0 ? 2 : 1, stride[2] = {st, st};
            ph_resblock *b = &m->block[i][j];
            ph_resblock_init(b, be, 2, g->n, in_c, m->width << i, in, stride, m->bottleneck, norm, act,
                             g->comm, g->seed, id++);
            in_c = b->out_c;
            in[0] = b->out[0], in[1] = b->out[1];
            most = b->count > most ? b->count : most;
            most = b->in_count > most ? b->in_count : most;
        }
        if (i + 1 == m->attn_stage && kind != PH_ATTN_NONE)
            ph_attention_init(&m->attn, be, kind, g->n, in_c, in[0], in[1], g->seed, 4000);
    }
    m->feat_c = in_c, m->feat_spatial = (size_t)in[0] * in[1];
    ph_linear_init(&m->fc, be, g->n, in_c, g->outputs, g->seed, 1000);
    m->pooled = ph_dev_alloc(be, (size_t)g->n * in_c), m->dpooled = ph_dev_alloc(be, (size_t)g->n * in_c);
    m->ga = ph_dev_alloc(be, most), m->gb = ph_dev_alloc(be, most);
    return &m->base;
}

static void resnet_destroy(ph_model *base)
{
    ph_resnet *m = (ph_resnet *)base;
    ph_conv_unit_free(&m->stem);
    if (m->imagenet_stem) base->be->free(m->pooled_stem), base->be->free(m->dpooled_stem);
    for (int i = 0; i < PH_RESNET_STAGES; i++)
        for (int j = 0; j < m->nblocks[i]; j++) ph_resblock_free(&m->block[i][j]);
    if (m->attn.kind != PH_ATTN_NONE) ph_attention_free(&m->attn);
    ph_linear_free(&m->fc);
    base->be->free(m->pooled), base->be->free(m->dpooled), base->be->free(m->ga), base->be->free(m->gb);
    ph_model_base_free(base);
    free(m);
}

static const float *stem_out(const ph_resnet *m) { return m->imagenet_stem ? m->pooled_stem : m->stem.out; }

static void resnet_forward(ph_model *base, int training)
{
    ph_resnet *m = (ph_resnet *)base;
    ph_conv_unit_forward(&m->stem, base->x, training);
    if (m->imagenet_stem) ph_pool_forward(&m->stem_pool, m->stem.out, m->pooled_stem);
    const float *h = stem_out(m);
    for (int i = 0; i < PH_RESNET_STAGES; i++) {
        for (int j = 0; j < m->nblocks[i]; j++) ph_resblock_forward(&m->block[i][j], h, training), h = m->block[i][j].out_act;
        if (i + 1 == m->attn_stage && m->attn.kind != PH_ATTN_NONE) ph_attention_forward(&m->attn, h), h = m->attn.y;
    }
    PH_KERNEL(base->be, avgpool_global_forward, "pooling", h, m->pooled, (size_t)base->g.n * m->feat_c,
              m->feat_spatial);
    ph_linear_forward(&m->fc, m->pooled, base->logits);
}

/* Backward of the stages below `top` (0: none, PH_RESNET_STAGES: all; stage top's
 * attention module included, since a tap sits after it) and of the stem, from the
 * gradient at m->ga: shared by the whole backward and a tap's. */
static void backward_below(ph_resnet *m, int top)
{
    ph_model *base = &m->base;
    float *d = m->ga;
    /* blocks in reverse; the input of block (i, j) is the previous block's
     * output, or the attention module's after the stage that has one */
    for (int i = top - 1; i >= 0; i--) {
        const ph_resblock *last = &m->block[i][m->nblocks[i] - 1];
        if (i + 1 == m->attn_stage && m->attn.kind != PH_ATTN_NONE) {
            float *dprev = d == m->ga ? m->gb : m->ga;
            ph_attention_backward(&m->attn, last->out_act, d, dprev);
            d = dprev;
        }
        for (int j = m->nblocks[i] - 1; j >= 0; j--) {
            const float *in;
            if (j) in = m->block[i][j - 1].out_act;
            else if (!i) in = stem_out(m);
            else if (i == m->attn_stage && m->attn.kind != PH_ATTN_NONE) in = m->attn.y;
            else in = m->block[i - 1][m->nblocks[i - 1] - 1].out_act;
            float *dprev = d == m->ga ? m->gb : m->ga;
            ph_resblock_backward(&m->block[i][j], in, d, dprev);
            d = dprev;
        }
    }
    if (m->imagenet_stem) {
        ph_pool_backward(&m->stem_pool, m->stem.out, m->pooled_stem, d, m->dpooled_stem);
        d = m->dpooled_stem;
    }
    ph_conv_unit_backward(&m->stem, base->x, d, base->want_dx ? base->dx : NULL);
}

static void resnet_backward(ph_model *base)
{
    ph_resnet *m = (ph_resnet *)base;
    ph_linear_backward(&m->fc, m->pooled, base->dlogits, m->dpooled);
    PH_KERNEL(base->be, avgpool_global_backward, "pooling backward", m->dpooled, m->ga,
              (size_t)base->g.n * m->feat_c, m->feat_spatial);
    backward_below(m, PH_RESNET_STAGES);
}

static int resnet_params(ph_model *base, ph_param **out, int max)
{
    ph_resnet *m = (ph_resnet *)base;
    int k = ph_conv_unit_params(&m->stem, out, max);
    for (int i = 0; i < PH_RESNET_STAGES; i++)
        for (int j = 0; j < m->nblocks[i]; j++) k += ph_resblock_params(&m->block[i][j], out + k, max - k);
    if (m->attn.kind != PH_ATTN_NONE) k += ph_attention_params(&m->attn, out + k, max - k);
    if (k + 2 <= max) out[k++] = &m->fc.w, out[k++] = &m->fc.b;
    return k;
}

/* "stem" (after the stem's pool) and "stage1".."stage4" (after the attention
 * module of the stage that has one): what the next layer reads. */
static int resnet_taps(ph_model *base, ph_model_tap *out, int max)
{
    ph_resnet *m = (ph_resnet *)base;
    const int *sz = m->imagenet_stem ? m->stem_pool.s.out : m->stem.conv.s.out;
    ph_model_tap t[1 + PH_RESNET_STAGES] = {{"stem", stem_out(m), base->g.n, m->width, sz[0], sz[1]}};
    for (int i = 0; i < PH_RESNET_STAGES; i++) {
        const ph_resblock *b = &m->block[i][m->nblocks[i] - 1];
        const int attn = i + 1 == m->attn_stage && m->attn.kind != PH_ATTN_NONE;
        t[i + 1] = (ph_model_tap){"", attn ? m->attn.y : b->out_act, base->g.n, b->out_c, b->out[0], b->out[1]};
        snprintf(t[i + 1].name, sizeof t[i + 1].name, "stage%d", i + 1);
    }
    for (int i = 0; i < 1 + PH_RESNET_STAGES && i < max; i++) out[i] = t[i];
    return 1 + PH_RESNET_STAGES;
}

static void resnet_tap_backward(ph_model *base, int i, const float *dtap)
{
    ph_resnet *m = (ph_resnet *)base;
    if (i < 0 || i > PH_RESNET_STAGES) PH_FAIL("a tap's backward", "no such tap", "a bug in the caller");
    ph_model_tap t[1 + PH_RESNET_STAGES];
    resnet_taps(base, t, 1 + PH_RESNET_STAGES);
    ph_dev_upload(base->be, m->ga, dtap, (size_t)t[i].n * t[i].c * t[i].h * t[i].w);
    backward_below(m, i);
}

static double resnet_step_flops(const ph_model *base)
{
    const ph_resnet *m = (const ph_resnet *)base;
    double f = ph_conv_flops(&m->stem.conv.s) * (base->want_dx ? 3 : 2);
    for (int i = 0; i < PH_RESNET_STAGES; i++)
        for (int j = 0; j < m->nblocks[i]; j++) f += ph_resblock_step_flops(&m->block[i][j]);
    if (m->attn.kind != PH_ATTN_NONE) f += ph_attention_step_flops(&m->attn);
    return f;
}

const ph_model_def ph_model_resnet = {
    .name = "resnet",
    .display_name = "ResNet",
    .summary = "2D ResNet (10/18/34 basic, 50/101 bottleneck blocks) for images",
    .section = &resnet_section,
    .video = 0,
    .create = resnet_create,
    .destroy = resnet_destroy,
    .forward = resnet_forward,
    .backward = resnet_backward,
    .params = resnet_params,
    .step_flops = resnet_step_flops,
    .taps = resnet_taps,
    .tap_backward = resnet_tap_backward,
};
