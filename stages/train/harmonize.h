/* harmonize.h: the neural harmonizer's term in phasor-train (harmonization.md §1).
 *
 * With [harmonize] weight > 0, each step's loss is CE + weight * H, where H is
 * the pyramidal loss (common/harmonize/loss.h) between the training saliency of
 * each image (signed channel mean of d(true-class logit)/dx) and its human map
 * (/maps/human of the training file, weighted by /meta/token when present).
 * Its parameter gradient comes from ph_model_input_grad_loss_backward (central
 * differences along dH/dx), so a harmonized step costs about three forward and
 * four backward passes against one and one. */
#ifndef PHASOR_TRAIN_HARMONIZE_H
#define PHASOR_TRAIN_HARMONIZE_H

#include "../../common/core/config.h"
#include "../../common/harmonize/loss.h"
#include "../../common/models/model.h"

extern const cfg_section train_harmonize_section;

typedef struct {
    int on;
    double weight, eps;
    float *maps, *tokens; /* the whole training file's [n, h, w] and [n] */
    int64_t n;
    size_t hw;
    ph_harm_loss loss;
    float *w, *g, *sal, *dsal, *v, *hum, *tok; /* one step's host buffers */
    float *v_dev;
    const ph_backend *be;
} train_harmonizer;

/* Reads [harmonize]; when on, loads the training file's maps (a usage error when the
 * file has none, or the model takes videos). */
void train_harmonize_init(train_harmonizer *h, const cfg *c, const ph_model *m, const char *train_path,
                          int batch);
/* Replaces the plain backward of a step: leaves in the parameter gradients
 * d(CE)/dtheta (from dlogits) + weight * dH/dtheta, and returns this rank's part of H
 * (ranks' parts add up to the global batch's H).  idx: this rank's sample indices. */
double train_harmonize_backward(train_harmonizer *h, ph_model *m, ph_param *const *params, int np,
                                const int64_t *idx, const int32_t *labels, const float *dlogits);
void train_harmonize_free(train_harmonizer *h);

#endif
