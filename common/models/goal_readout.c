/* goal_readout.c: the readout of InT and the CV-RNN (see goal_readout.h). */
#include "goal_readout.h"

#include "track_util.h"

#include <string.h>

void ph_goal_readout_init(ph_goal_readout *o, const ph_backend *be, int n, int ch, int h, int w,
                          int k, uint32_t seed, uint32_t id0)
{
    memset(o, 0, sizeof *o);
    o->be = be, o->n = n, o->s = (size_t)h * w;
    ph_conv_shape rs = {2, n, ch, 1, 1, {h, w}, {k, k}, {1, 1}, {k / 2, k / 2}, {1, 1}, {0}};
    ph_conv_shape ts = {2, n, 2, 1, 1, {h, w}, {5, 5}, {1, 1}, {2, 2}, {1, 1}, {0}};
    ph_conv_layer_init(&o->readout, be, rs, 1, seed, id0);
    ph_conv_torch_default(&o->readout, seed, id0);
    ph_conv_layer_init(&o->target, be, ts, 1, seed, id0 + 1); /* bias 0, as the original sets it */
    ph_conv_torch_default(&o->target, seed, id0 + 1);
    ph_linear_init(&o->fc, be, n, 1, 1, seed, id0 + 2);
    size_t ns = (size_t)n * o->s;
    float **b[] = {&o->r, &o->goal, &o->tout, &o->dtout};
    for (size_t j = 0; j < sizeof b / sizeof *b; j++) *b[j] = ph_dev_alloc(be, ns);
    o->cat = ph_dev_alloc(be, 2 * ns), o->dcat = ph_dev_alloc(be, 2 * ns);
    o->pooled = ph_dev_alloc(be, (size_t)n), o->dpooled = ph_dev_alloc(be, (size_t)n);
}

void ph_goal_readout_free(ph_goal_readout *o)
{
    ph_conv_layer_free(&o->readout), ph_conv_layer_free(&o->target);
    ph_linear_free(&o->fc);
    float *b[] = {o->r, o->goal, o->tout, o->dtout, o->cat, o->dcat, o->pooled, o->dpooled};
    for (size_t j = 0; j < sizeof b / sizeof *b; j++) o->be->free(b[j]);
}

void ph_goal_readout_forward(ph_goal_readout *o, const float *e, const float *x0, float *logits)
{
    const ph_backend *be = o->be;
    const size_t s = o->s;
    ph_conv_layer_forward(&o->readout, e, o->r);
    /* the blue channel of frame 0 */
    PH_KERNEL(be, copy2d, "taking the goal channel", o->goal, s, x0 + 2 * s, 3 * s, (size_t)o->n, s);
    const int parts[2] = {1, 1};
    const float *in[2] = {o->r, o->goal};
    ph_concat(be, o->n, s, 2, parts, in, o->cat);
    ph_conv_layer_forward(&o->target, o->cat, o->tout);
    PH_KERNEL(be, avgpool_global_forward, "pooling the readout", o->tout, o->pooled, (size_t)o->n, s);
    ph_linear_forward(&o->fc, o->pooled, logits);
}

void ph_goal_readout_backward(ph_goal_readout *o, const float *e, const float *dlogits, float *de,
                              float *dx0)
{
    const ph_backend *be = o->be;
    const size_t s = o->s;
    ph_linear_backward(&o->fc, o->pooled, dlogits, o->dpooled);
    PH_KERNEL(be, avgpool_global_backward, "pooling the readout backward", o->dpooled, o->dtout,
              (size_t)o->n, s);
    ph_conv_layer_backward(&o->target, o->cat, o->dtout, o->dcat);
    /* the forward's r and goal buffers take their gradients */
    const int parts[2] = {1, 1};
    float *out[2] = {o->r, o->goal};
    ph_split(be, o->n, s, 2, parts, o->dcat, out);
    ph_conv_layer_backward(&o->readout, e, o->r, de);
    if (dx0)
        for (int i = 0; i < o->n; i++) ph_dev_add(be, o->goal + (size_t)i * s, dx0 + ((size_t)i * 3 + 2) * s, s);
}

int ph_goal_readout_params(ph_goal_readout *o, ph_param **out, int max)
{
    ph_param *p[] = {&o->readout.w, &o->readout.b, &o->target.w, &o->target.b, &o->fc.w, &o->fc.b};
    int k = 0;
    for (int j = 0; j < 6 && k < max; j++) out[k++] = p[j];
    return k;
}

double ph_goal_readout_step_flops(const ph_goal_readout *o)
{
    /* forward, weight and data gradients of both convolutions */
    return 3 * (ph_conv_flops(&o->readout.s) + ph_conv_flops(&o->target.s));
}
