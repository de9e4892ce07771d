/* model.c: the base every model embeds, batch loading, and the gradient of
 * a loss on the input gradient. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

size_t ph_model_input_count(const ph_model *m)
{
    return (size_t)m->g.n * m->g.c * m->g.t * m->g.h * m->g.w;
}

void ph_model_base_init(ph_model *m, const ph_model_def *def, const ph_backend *be,
                        const ph_model_geometry *g)
{
    m->def = def, m->be = be, m->g = *g;
    size_t nx = ph_model_input_count(m), nl = (size_t)g->n * g->outputs;
    m->staging = be->alloc(nx ? nx : 1);
    if (!m->staging) PH_FAIL("allocating the input batch", "out of memory", "use a smaller batch");
    m->x = ph_dev_alloc(be, nx), m->dx = ph_dev_alloc(be, nx);
    m->logits = ph_dev_alloc(be, nl), m->dlogits = ph_dev_alloc(be, nl);
}

void ph_model_base_free(ph_model *m)
{
    m->be->free(m->staging), m->be->free(m->x), m->be->free(m->dx);
    m->be->free(m->logits), m->be->free(m->dlogits);
    ph_relu_freeze_free(); /* gates recorded for this model's saliency losses */
}

void ph_model_load(ph_model *m, const uint8_t *batch)
{
    const ph_model_geometry *g = &m->g;
    const size_t frame = (size_t)g->h * g->w, nx = ph_model_input_count(m);
    uint8_t *planar = malloc(nx ? nx : 1);
    PH_CHECK_ALLOC(planar, "reordering a batch");
    /* [N,T,H,W,C] -> [N,C,T,H,W] */
    for (int b = 0; b < g->n; b++)
        for (int t = 0; t < g->t; t++)
            for (size_t p = 0; p < frame; p++)
                for (int ch = 0; ch < g->c; ch++)
                    planar[(((size_t)b * g->c + ch) * g->t + t) * frame + p] =
                        batch[(((size_t)b * g->t + t) * frame + p) * g->c + ch];
    PH_KERNEL(m->be, upload, "copying a batch to the device", m->staging, planar, nx);
    PH_KERNEL(m->be, u8_affine, "scaling a batch", m->staging, m->x, nx, 1.0f / 255.0f, 0.0f);
    free(planar);
}

void ph_model_backward_host(ph_model *m, const float *dlogits)
{
    ph_dev_upload(m->be, m->dlogits, dlogits, (size_t)m->g.n * m->g.outputs);
    m->def->backward(m);
}

void ph_model_input_grad_loss_backward(ph_model *m, const float *w, const float *v, float eps,
                                       float scale, int training)
{
    const ph_backend *be = m->be;
    size_t nx = ph_model_input_count(m), nl = (size_t)m->g.n * m->g.outputs;
    float *x0 = ph_dev_alloc(be, nx), *seed = malloc(nl * sizeof *seed);
    PH_CHECK_ALLOC(seed, "differentiating a saliency loss");
    PH_KERNEL(be, copy2d, "saving the input", x0, nx, m->x, nx, 1, nx);
    int want = m->want_dx;
    m->want_dx = 0;
    /* ReLU gates frozen at x0 (relu_freeze.c): no unit may change side between the two
     * points, or the difference picks up jumps that do not shrink with eps. */
    ph_relu_freeze_set(PH_RELU_RECORD);
    m->def->forward(m, training);
    ph_relu_freeze_set(PH_RELU_FROZEN);
    for (int side = -1; side <= 1; side += 2) {
        /* x = x0 + side eps v; backward seeded with side scale / (2 eps) w */
        PH_KERNEL(be, copy2d, "perturbing the input", m->x, nx, x0, nx, 1, nx);
        PH_KERNEL(be, axpby, "perturbing the input", side * eps, v, 1.0f, m->x, nx);
        m->def->forward(m, training);
        for (size_t i = 0; i < nl; i++) seed[i] = (float)(side * scale / (2.0 * eps)) * w[i];
        ph_model_backward_host(m, seed);
    }
    ph_relu_freeze_set(PH_RELU_LIVE);
    PH_KERNEL(be, copy2d, "restoring the input", m->x, nx, x0, nx, 1, nx);
    m->want_dx = want;
    be->free(x0);
    free(seed);
}

ph_model *ph_model_create_text(const char *name, const char *ini, const ph_backend *be,
                               const ph_model_geometry *g)
{
    const ph_model_def *def = ph_model_find(name);
    if (!def) PH_FAIL("building a model", name, "not a registered model");
    const cfg_section *sec[1] = {def->section};
    cfg c;
    cfg_init(&c, sec, 1);
    cfg_parse_text(&c, ini ? ini : "", "model text");
    cfg_validate(&c);
    ph_model *m = ph_model_create(def, &c, be, g);
    cfg_free(&c);
    return m;
}

ph_model *ph_model_create(const ph_model_def *def, const cfg *c, const ph_backend *be, const ph_model_geometry *g)
{
    ph_model *m = def->create(c, be, g);
    ph_param *params[PH_MODEL_MAX_PARAMS];
    ph_params_pack(params, m->def->params(m, params, PH_MODEL_MAX_PARAMS));
    return m;
}
