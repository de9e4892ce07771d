/* importance_map.h: human importance maps (ClickMe-style) brought to the images'
 * size, as the neural harmonizer preprocesses them (serre-lab/Harmonization's
 * common/blur.py and common/clickme_dataset.py; the training form from
 * serre-lab/Harmonization-old's training/preprocess.py). */
#ifndef PHASOR_IMPORTANCE_MAP_H
#define PHASOR_IMPORTANCE_MAP_H

#include <stddef.h>

/* clickme: bilinear to 64x64, the ClickMe 10x10 Gaussian (sigma 10), bilinear to the
 * output size, min-max to [0, 1] (the training form; a constant map becomes 0);
 * raw: bilinear to the output size only.  Names in ph_map_form_names, same order. */
typedef enum { PH_MAP_CLICKME, PH_MAP_RAW, PH_MAP_FORM_COUNT } ph_map_form;
extern const char *const ph_map_form_names[PH_MAP_FORM_COUNT];

enum { PH_CLICKME_SIDE = 64, PH_CLICKME_TAPS = 10 };

/* The 10x10 taps, normalised to sum 1: row offset d in [-4, 5] weighs exp(-d^2/200),
 * column offset d weighs exp(-(d-1)^2/200) (the original's grid, range(-5, 5), is
 * shifted by one column; serre-lab/Harmonization's common/blur.py).
 * k[row * 10 + col], offset = index - 4. */
void ph_clickme_kernel(float k[PH_CLICKME_TAPS * PH_CLICKME_TAPS]);

/* The blur of `planes` maps [h, w]: correlation with the taps, zero padding 4 before
 * and 5 after (TensorFlow's SAME for a 10-tap kernel), computed by the CPU backend's
 * convolution.  Returns 0, or -1 with why. */
int ph_clickme_blur(const float *in, float *out, int planes, int h, int w, char *why, size_t n);

/* One map [h, w] -> dst [oh, ow] in the given form.  Returns 0, or -1 with why. */
int ph_importance_map_prepare(const float *src, int h, int w, int oh, int ow, ph_map_form form, float *dst,
                              char *why, size_t n);

#endif
