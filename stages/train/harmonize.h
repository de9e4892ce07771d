/* harmonize.h: the neural harmonizer's term in phasor-train (harmonization.md §1).
 *
 * With [harmonize] weight > 0, each step's loss is CE + weight * H, where H is the
 * pyramidal loss between the training saliency of each image and its human map
 * (/maps/human of the training file, weighted by /meta/token when present); the step
 * itself is common/harmonize/step.c.  A harmonized step costs about four forward and
 * four backward passes against one and one (make bench measures the ratio). */
#ifndef PHASOR_TRAIN_HARMONIZE_H
#define PHASOR_TRAIN_HARMONIZE_H

#include "../../common/core/config.h"
#include "../../common/harmonize/step.h"

extern const cfg_section train_harmonize_section;

typedef struct {
    int on;
    float *maps, *tokens; /* the whole training file's [n, h, w] and [n] */
    int64_t n;
    size_t hw;
    float *hum, *tok; /* one step's batch */
    ph_harm_step step;
} train_harmonizer;

/* Reads [harmonize]; when on, loads the training file's maps (a usage error when the
 * file has none, or the model takes videos). */
void train_harmonize_init(train_harmonizer *h, const cfg *c, const ph_model *m, const char *train_path,
                          int batch);
/* Replaces the plain backward of a step (common/harmonize/step.h); idx: this rank's
 * sample indices.  Returns this rank's part of H. */
double train_harmonize_backward(train_harmonizer *h, ph_model *m, ph_param *const *params, int np,
                                const int64_t *idx, const int32_t *labels, const float *dlogits);
void train_harmonize_free(train_harmonizer *h);

#endif
