/* harmonize.c: the harmonized step: saliency backward, the map loss on the host,
 * the CE backward, then the gradient of the map loss by central differences. */
#include "harmonize.h"

#include "../../common/core/error.h"
#include "../../common/harmonize/saliency.h"
#include "../../common/io/h5samples.h"
#include "../../common/nn/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cfg_key harmonize_keys[] = {
    {"weight", CFG_REAL, "0", 0, 1e6, NULL, "lambda_h, the weight of the pyramidal saliency loss (0: plain training)"},
    {"levels", CFG_INT, "5", 1, PH_HARM_MAX_LEVELS, NULL,
     "pyramid levels averaged (5: the package, levels 0..4; 6: the old TPU code)"},
    {"rescale", CFG_ENUM, "package", 0, 0, "package|tpu", "epsilons of the human map's rescale (loss.h)"},
    {"map", CFG_STRING, "maps/human", 0, 0, NULL, "dataset of the training file holding the human maps [N, H, W]"},
    {"token", CFG_STRING, "meta/token", 0, 0, NULL, "dataset of 0/1 per sample (has a map); all 1 when absent"},
    {"eps", CFG_REAL, "0.001", 1e-8, 1, NULL,
     "central-difference step along dH/dx, relative to the input range (/ max |dH/dx|)"},
};
const cfg_section train_harmonize_section = {"harmonize", "the neural harmonizer's saliency loss (docs/harmonizer.md)",
                                             harmonize_keys, (int)(sizeof harmonize_keys / sizeof harmonize_keys[0]),
                                             0};

void train_harmonize_init(train_harmonizer *h, const cfg *c, const ph_model *m, const char *train_path, int batch)
{
    memset(h, 0, sizeof *h);
    h->weight = cfg_real(c, "harmonize", "weight");
    h->on = h->weight > 0;
    if (!h->on) return;
    if (m->def->video)
        ph_usage_error("config error: [harmonize] weight > 0 needs an image model; %s takes videos", m->def->name);
    h->eps = cfg_real(c, "harmonize", "eps");
    const char *map = cfg_str(c, "harmonize", "map"), *token = cfg_str(c, "harmonize", "token");
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, train_path);
    if (!ph_samples_has(&r, map))
        ph_usage_error("config error: [harmonize] weight > 0, but %s has no /%s (import maps with "
                       "phasor-preprocess import --maps, or generate a challenge that writes them)", train_path, map);
    ph_field f;
    ph_samples_field(&r, map, &f);
    if (f.ndims != 2 || (int)f.dims[0] != m->g.h || (int)f.dims[1] != m->g.w)
        ph_usage_error("config error: /%s of %s is not [N, %d, %d] maps of the images' size", map, train_path,
                       m->g.h, m->g.w);
    h->n = r.n, h->hw = (size_t)m->g.h * m->g.w;
    h->maps = malloc(h->hw * (size_t)r.n * sizeof *h->maps + 1);
    h->tokens = malloc((size_t)r.n * sizeof *h->tokens + 1);
    PH_CHECK_ALLOC(h->maps && h->tokens, "loading the human maps");
    ph_samples_read(&r, map, PH_F32, 0, r.n, h->maps);
    if (ph_samples_has(&r, token)) {
        ph_samples_read(&r, token, PH_F32, 0, r.n, h->tokens);
    } else {
        for (int64_t i = 0; i < r.n; i++) h->tokens[i] = 1;
    }
    ph_samples_reader_close(&r);
    const int n = m->g.n, outputs = m->g.outputs;
    const size_t nx = ph_model_input_count(m);
    ph_harm_rescale rescale = strcmp(cfg_str(c, "harmonize", "rescale"), "tpu") ? PH_HARM_RESCALE_PACKAGE
                                                                                 : PH_HARM_RESCALE_TPU;
    ph_harm_loss_init(&h->loss, n, m->g.h, m->g.w, batch, (int)cfg_int(c, "harmonize", "levels"), rescale);
    h->w = malloc((size_t)n * outputs * sizeof *h->w);
    h->g = malloc(nx * sizeof *h->g), h->v = malloc(nx * sizeof *h->v);
    h->sal = malloc((size_t)n * h->hw * sizeof *h->sal), h->dsal = malloc((size_t)n * h->hw * sizeof *h->dsal);
    h->hum = malloc((size_t)n * h->hw * sizeof *h->hum), h->tok = malloc((size_t)n * sizeof *h->tok);
    PH_CHECK_ALLOC(h->w && h->g && h->v && h->sal && h->dsal && h->hum && h->tok, "allocating harmonizer buffers");
    h->v_dev = ph_dev_alloc(m->be, nx), h->be = m->be;
}

double train_harmonize_backward(train_harmonizer *h, ph_model *m, ph_param *const *params, int np,
                                const int64_t *idx, const int32_t *labels, const float *dlogits)
{
    const int n = m->g.n, outputs = m->g.outputs, c = m->g.c;
    const size_t nx = ph_model_input_count(m);
    /* The true-class logit: one-hot rows; with one BCE logit z, +z for class 1 and -z for
     * class 0 (the two-logit softmax (-z/2, z/2) up to a factor the standardisation removes). */
    memset(h->w, 0, (size_t)n * outputs * sizeof *h->w);
    for (int i = 0; i < n; i++) {
        if (outputs == 1) h->w[i] = labels[i] ? 1.0f : -1.0f;
        else h->w[(size_t)i * outputs + labels[i]] = 1.0f;
        memcpy(h->hum + (size_t)i * h->hw, h->maps + (size_t)idx[i] * h->hw, h->hw * sizeof *h->hum);
        h->tok[i] = h->tokens[idx[i]];
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
    double loss = ph_harm_loss_forward(&h->loss, h->sal, h->hum, h->tok);
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

void train_harmonize_free(train_harmonizer *h)
{
    if (!h->on) return;
    ph_harm_loss_free(&h->loss);
    h->be->free(h->v_dev);
    free(h->maps), free(h->tokens), free(h->w), free(h->g), free(h->v), free(h->sal), free(h->dsal), free(h->hum),
        free(h->tok);
}
