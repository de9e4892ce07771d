/* harmonize.h: the neural harmonizer's term in phasor-train (Fel et al., NeurIPS
 * 2022, arXiv 2211.04533; serre-lab/Harmonization's training/loss.py).
 *
 * With [harmonize] weight > 0, each step's loss is CE + weight * H, where H is the
 * pyramidal loss between the training saliency of each image and its human map
 * (/maps/human of the training file, weighted by /meta/token when present); the step
 * itself is common/harmonize/step.c.  A harmonized step costs about four forward and
 * four backward passes against one and one (make bench measures the ratio). */
#ifndef PHASOR_TRAIN_HARMONIZE_H
#define PHASOR_TRAIN_HARMONIZE_H

#include "core/config.h"
#include "harmonize/step.h"
#include "io/sample_stream.h"

extern const cfg_section train_harmonize_section;

typedef struct {
    int on, has_tokens;
    char map[256], token[256]; /* datasets of the training file */
    size_t hw;
    float *tok; /* one step's token weights when the file has none (all 1) */
    ph_harm_step step;
} train_harmonizer;

/* Reads [harmonize]; when on, checks that the training file has maps of the
 * images' size (a usage error when it has none, or the model takes videos). */
void train_harmonize_init(train_harmonizer *h, const cfg *c, const ph_model *m, const char *train_path,
                          int batch);
/* The training file's fields the harmonizer reads per sample (maps, then tokens
 * when the file has them), for the sample stream; returns how many (0 when off). */
int train_harmonize_fields(const train_harmonizer *h, ph_stream_field *out);
/* Replaces the plain backward of a step (common/harmonize/step.h); maps and tokens:
 * this rank's batch rows of those fields (tokens NULL when the file has none).
 * Returns this rank's part of H. */
double train_harmonize_backward(train_harmonizer *h, ph_model *m, ph_param *const *params, int np,
                                const float *maps, const float *tokens, const int32_t *labels,
                                const float *dlogits);
void train_harmonize_free(train_harmonizer *h);

#endif
