/* step.c: the harmonized backward: saliency backward, the map loss on the host, the
 * cross-entropy backward, then the map loss's parameter gradient by central differences
 * along dH/dx with ReLU gates frozen (model.h). */
#include "step.h"

#include "core/error.h"
#include "nn/nn.h"
#include "saliency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ph_harm_step_init(ph_harm_step *h, const ph_model *m, int batch, int levels, ph_harm_rescale rescale,
                       double weight, double eps)
{
    memset(h, 0, sizeof *h);
    const int n = m->g.n, outputs = m->g.outputs;
    const size_t nx = ph_model_input_count(m);
    h->weight = weight, h->eps = eps, h->hw = (size_t)m->g.h * m->g.w, h->be = m->be;
    ph_harm_loss_init(&h->loss, n, m->g.h, m->g.w, batch, levels, rescale);
    h->w = malloc((size_t)n * outputs * sizeof *h->w);
    h->g = malloc(nx * sizeof *h->g), h->v = malloc(nx * sizeof *h->v);
    h->sal = malloc((size_t)n * h->hw * sizeof *h->sal), h->dsal = malloc((size_t)n * h->hw * sizeof *h->dsal);
    PH_CHECK_ALLOC(h->w && h->g && h->v && h->sal && h->dsal, "allocating harmonizer buffers");
    h->v_dev = ph_dev_alloc(m->be, nx);
}

double ph_harm_step_backward(ph_harm_step *h, ph_model *m, ph_param *const *params, int np, const float *human,
                             const float *token, const int32_t *labels, const float *dlogits)
{
    const int n = m->g.n, outputs = m->g.outputs, c = m->g.c;
    const size_t nx = ph_model_input_count(m);
    /* The true-class logit: one-hot rows; with one BCE logit z, +z for class 1 and -z for
     * class 0 (the two-logit softmax (-z/2, z/2) up to a factor the standardisation removes). */
    memset(h->w, 0, (size_t)n * outputs * sizeof *h->w);
    for (int i = 0; i < n; i++) {
        if (outputs == 1) h->w[i] = labels[i] ? 1.0f : -1.0f;
        else h->w[(size_t)i * outputs + labels[i]] = 1.0f;
    }
    /* 1. the saliency g = d(w . logits)/dx of the forward just run */
    int want = m->want_dx;
    m->want_dx = 1;
    ph_params_zero_grad(params, np);
    ph_model_backward_host(m, h->w);
    ph_dev_download(m->be, h->g, m->dx, nx);
    m->want_dx = want;
    /* 2. the map loss and its direction dH/dg */
    ph_saliency_reduce(PH_SALIENCY_TRAIN, h->g, n, c, h->hw, h->sal);
    double loss = ph_harm_loss_forward(&h->loss, h->sal, human, token);
    ph_harm_loss_backward(&h->loss, h->dsal);
    ph_saliency_train_backward(h->dsal, n, c, h->hw, h->v);
    double vmax = 0;
    for (size_t i = 0; i < nx; i++) vmax = fmax(vmax, fabs(h->v[i]));
    /* One step size for the global batch: batch norm sees every rank's perturbed
     * samples, so they must move along one direction, eps * v, together. */
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &vmax, 1, MPI_DOUBLE, MPI_MAX, m->g.comm),
                 "agreeing on the difference step", "another rank failed; see its message");
    /* 3. the cross-entropy's gradient, from the same forward state */
    ph_params_zero_grad(params, np);
    ph_model_backward_host(m, dlogits);
    /* 4. + weight * dH/dtheta; nothing to add when every map of the batch is token 0 or flat */
    if (vmax > 0) {
        ph_dev_upload(m->be, h->v_dev, h->v, nx);
        ph_model_input_grad_loss_backward(m, h->w, h->v_dev, (float)(h->eps / vmax), (float)h->weight, 1);
    }
    return loss;
}

void ph_harm_step_free(ph_harm_step *h)
{
    ph_harm_loss_free(&h->loss);
    if (h->be) h->be->free(h->v_dev);
    free(h->w), free(h->g), free(h->v), free(h->sal), free(h->dsal);
    memset(h, 0, sizeof *h);
}
