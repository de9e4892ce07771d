/* harmonize.c: phasor-train's [harmonize] section and the training file's human maps;
 * the step itself is common/harmonize/step.c. */
#include "harmonize.h"

#include "core/error.h"
#include "io/h5samples.h"
#include "nn/nn.h"

#include <math.h>
#include <stdio.h>
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
    const double weight = cfg_real(c, "harmonize", "weight");
    h->on = weight > 0;
    if (!h->on) return;
    if (m->def->video)
        ph_usage_error("config error: [harmonize] weight > 0 needs an image model; %s takes videos", m->def->name);
    const char *map = cfg_str(c, "harmonize", "map"), *token = cfg_str(c, "harmonize", "token");
    snprintf(h->map, sizeof h->map, "%s", map), snprintf(h->token, sizeof h->token, "%s", token);
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
    h->has_tokens = ph_samples_has(&r, token);
    ph_samples_reader_close(&r);
    h->hw = (size_t)m->g.h * m->g.w;
    const int n = m->g.n;
    ph_harm_rescale rescale = strcmp(cfg_str(c, "harmonize", "rescale"), "tpu") ? PH_HARM_RESCALE_PACKAGE
                                                                                 : PH_HARM_RESCALE_TPU;
    ph_harm_step_init(&h->step, m, batch, (int)cfg_int(c, "harmonize", "levels"), rescale, weight,
                      cfg_real(c, "harmonize", "eps"));
    h->tok = malloc((size_t)n * sizeof *h->tok);
    PH_CHECK_ALLOC(h->tok, "allocating harmonizer buffers");
    for (int i = 0; i < n; i++) h->tok[i] = 1;
}

int train_harmonize_fields(const train_harmonizer *h, ph_stream_field *out)
{
    if (!h->on) return 0;
    out[0] = (ph_stream_field){h->map, PH_F32, h->hw * sizeof(float), NULL, NULL};
    if (!h->has_tokens) return 1;
    out[1] = (ph_stream_field){h->token, PH_F32, sizeof(float), NULL, NULL};
    return 2;
}

double train_harmonize_backward(train_harmonizer *h, ph_model *m, ph_param *const *params, int np,
                                const float *maps, const float *tokens, const int32_t *labels,
                                const float *dlogits)
{
    return ph_harm_step_backward(&h->step, m, params, np, maps, tokens ? tokens : h->tok, labels, dlogits);
}

void train_harmonize_free(train_harmonizer *h)
{
    if (!h->on) return;
    ph_harm_step_free(&h->step);
    free(h->tok);
}
