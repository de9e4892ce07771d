/* saliency.h: the two per-pixel saliency maps of an input gradient.
 *
 * The input gradient g = d(true-class logit)/dx is [N, C, H, W] (the layout
 * of ph_model's dx for images).  The neural harmonizer reduces channels in
 * two different ways (serre-lab/Harmonization: its training loss, and its
 * ClickMe evaluation with Xplique's Saliency explainer):
 *   train: the signed mean over channels, mean_c g      (the training loss)
 *   eval:  the largest magnitude,         max_c |g|     (the alignment score)
 * They are not interchangeable: the training form keeps signs and so can
 * cancel across channels; scores computed with the wrong form are not the
 * package's. */
#ifndef PHASOR_HARMONIZE_SALIENCY_H
#define PHASOR_HARMONIZE_SALIENCY_H

#include <stddef.h>

typedef enum { PH_SALIENCY_TRAIN, PH_SALIENCY_EVAL, PH_SALIENCY_COUNT } ph_saliency_form;
extern const char *const ph_saliency_names[PH_SALIENCY_COUNT];
/* The form named `name`, or -1. */
int ph_saliency_find(const char *name);

/* map [N, H, W] from grad [N, C, H, W] (host arrays). */
void ph_saliency_reduce(ph_saliency_form form, const float *grad, int n, int c, size_t hw,
                        float *map);

/* Backward of the training form: dgrad[n, c, :] = dmap[n, :] / C.  This is
 * the direction dL/dg that ph_model_input_grad_loss_backward takes. */
void ph_saliency_train_backward(const float *dmap, int n, int c, size_t hw, float *dgrad);

#endif
