/* cnn3d.c: the small 3D CNN (forward, backward, parameters). */
#include "cnn3d.h"

#include <stdlib.h>
#include <string.h>

void ph_cnn3d_init(ph_cnn3d *m, const ph_backend *be, int n, int t, int h, int w, int c,
                   int width, uint32_t seed)
{
    memset(m, 0, sizeof *m);
    m->be = be, m->n = n, m->t = t, m->h = h, m->w = w, m->c = c, m->width = width;
    int in_c = c, in[3] = {t, h, w};
    for (int i = 0; i < PH_CNN3D_CONVS; i++) {
        int out_c = width << i, st_t = i == 0 ? 1 : 2;
        ph_conv_shape s = {3, n, in_c, out_c, 1, {in[0], in[1], in[2]}, {3, 3, 3},
                           {st_t, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0}};
        ph_conv_layer_init(&m->conv[i], be, s, seed, (uint32_t)i);
        size_t ny = ph_conv_y_count(&m->conv[i].s);
        m->pre[i] = ph_dev_alloc(be, ny), m->act[i] = ph_dev_alloc(be, ny);
        m->dpre[i] = ph_dev_alloc(be, ny), m->dact[i] = ph_dev_alloc(be, ny);
        in_c = out_c;
        memcpy(in, m->conv[i].s.out, sizeof in);
    }
    ph_linear_init(&m->fc, be, n, in_c, 1, seed, PH_CNN3D_CONVS);
    size_t nx = (size_t)n * c * t * h * w;
    m->staging = be->alloc(nx);
    if (!m->staging) PH_FAIL("allocating the input batch", "out of memory", "use a smaller batch");
    m->x = ph_dev_alloc(be, nx);
    m->pooled = ph_dev_alloc(be, (size_t)n * in_c), m->dpooled = ph_dev_alloc(be, (size_t)n * in_c);
    m->logits = ph_dev_alloc(be, (size_t)n), m->dlogits = ph_dev_alloc(be, (size_t)n);
}

void ph_cnn3d_free(ph_cnn3d *m)
{
    const ph_backend *be = m->be;
    for (int i = 0; i < PH_CNN3D_CONVS; i++) {
        ph_conv_layer_free(&m->conv[i]);
        be->free(m->pre[i]), be->free(m->act[i]), be->free(m->dpre[i]), be->free(m->dact[i]);
    }
    ph_linear_free(&m->fc);
    be->free(m->staging), be->free(m->x);
    be->free(m->pooled), be->free(m->dpooled), be->free(m->logits), be->free(m->dlogits);
}

void ph_cnn3d_load(ph_cnn3d *m, const uint8_t *videos)
{
    const size_t frame = (size_t)m->h * m->w, nx = (size_t)m->n * m->c * m->t * frame;
    uint8_t *planar = malloc(nx);
    PH_CHECK_ALLOC(planar, "reordering a batch");
    /* [N,T,H,W,C] -> [N,C,T,H,W] */
    for (int b = 0; b < m->n; b++)
        for (int t = 0; t < m->t; t++)
            for (size_t p = 0; p < frame; p++)
                for (int ch = 0; ch < m->c; ch++)
                    planar[(((size_t)b * m->c + ch) * m->t + t) * frame + p] =
                        videos[(((size_t)b * m->t + t) * frame + p) * m->c + ch];
    PH_KERNEL(m->be, upload, "copying a batch to the device", m->staging, planar, nx);
    PH_KERNEL(m->be, u8_affine, "scaling a batch", m->staging, m->x, nx, 1.0f / 255.0f, 0.0f);
    free(planar);
}

void ph_cnn3d_forward(ph_cnn3d *m)
{
    const float *in = m->x;
    for (int i = 0; i < PH_CNN3D_CONVS; i++) {
        ph_conv_layer_forward(&m->conv[i], in, m->pre[i]);
        PH_KERNEL(m->be, relu_forward, "running a ReLU", m->pre[i], m->act[i],
                  ph_conv_y_count(&m->conv[i].s));
        in = m->act[i];
    }
    const ph_conv_shape *last = &m->conv[PH_CNN3D_CONVS - 1].s;
    size_t spatial = (size_t)last->out[0] * last->out[1] * last->out[2];
    PH_KERNEL(m->be, avgpool_global_forward, "pooling", in, m->pooled, (size_t)m->n * last->o, spatial);
    ph_linear_forward(&m->fc, m->pooled, m->logits);
}

void ph_cnn3d_backward(ph_cnn3d *m, const float *dlogits)
{
    ph_dev_upload(m->be, m->dlogits, dlogits, (size_t)m->n);
    ph_linear_backward(&m->fc, m->pooled, m->dlogits, m->dpooled);
    const ph_conv_shape *last = &m->conv[PH_CNN3D_CONVS - 1].s;
    size_t spatial = (size_t)last->out[0] * last->out[1] * last->out[2];
    PH_KERNEL(m->be, avgpool_global_backward, "pooling backward", m->dpooled,
              m->dact[PH_CNN3D_CONVS - 1], (size_t)m->n * last->o, spatial);
    for (int i = PH_CNN3D_CONVS - 1; i >= 0; i--) {
        PH_KERNEL(m->be, relu_backward, "running a ReLU backward", m->pre[i], m->dact[i],
                  m->dpre[i], ph_conv_y_count(&m->conv[i].s));
        /* The first layer's input gradient is never needed (calibration.md). */
        ph_conv_layer_backward(&m->conv[i], i ? m->act[i - 1] : m->x, m->dpre[i],
                               i ? m->dact[i - 1] : NULL);
    }
}

int ph_cnn3d_params(ph_cnn3d *m, ph_param **out, int max)
{
    int k = 0;
    for (int i = 0; i < PH_CNN3D_CONVS && k + 2 <= max; i++)
        out[k++] = &m->conv[i].w, out[k++] = &m->conv[i].b;
    if (k + 2 <= max) out[k++] = &m->fc.w, out[k++] = &m->fc.b;
    return k;
}

double ph_cnn3d_step_flops(const ph_cnn3d *m)
{
    double flops = 0;
    for (int i = 0; i < PH_CNN3D_CONVS; i++) flops += ph_conv_flops(&m->conv[i].s) * (i ? 3 : 2);
    return flops;
}
