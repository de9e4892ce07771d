/* step.h: one harmonized training step's backward (Fel et al., NeurIPS 2022, arXiv
 * 2211.04533; serre-lab/Harmonization's training/loss.py): the gradient of
 * CE + weight * H, where H is the pyramidal loss between the training saliency of each
 * image's true-class logit and its human map.  Used by phasor-train ([harmonize],
 * stages/train/harmonize.c) and by the engine bench. */
#ifndef PHASOR_HARMONIZE_STEP_H
#define PHASOR_HARMONIZE_STEP_H

#include "models/model.h"
#include "loss.h"

typedef struct {
    double weight, eps;
    ph_harm_loss loss;
    size_t hw;
    float *w, *g, *sal, *dsal, *v; /* host buffers of one step */
    float *v_dev;
    const ph_backend *be;
} ph_harm_step;

/* For model m (images), a global batch of `batch` (the loss's divisor, see loss.h),
 * `levels` pyramid levels, the rescale variant, the loss weight and the central-difference
 * step eps relative to the input range (model.h). */
void ph_harm_step_init(ph_harm_step *h, const ph_model *m, int batch, int levels, ph_harm_rescale rescale,
                       double weight, double eps);
/* After m's forward (training mode): leaves d(CE)/dtheta (from dlogits, already scaled
 * for the global mean) + weight * dH/dtheta in the parameter gradients and returns this
 * rank's part of H.  human [n, h, w] and token [n] are the batch's maps and flags. */
double ph_harm_step_backward(ph_harm_step *h, ph_model *m, ph_param *const *params, int np, const float *human,
                             const float *token, const int32_t *labels, const float *dlogits);
void ph_harm_step_free(ph_harm_step *h);

#endif
