/* grid.h: a layer's activations on the fixed spatial grid of neural
 * predictivity (Linsley et al., NeurIPS 2023, arXiv 2306.03779; the
 * resizing_activity of serre-lab/neural_harmonizer): a map no larger than
 * the grid is resized bilinearly (TensorFlow's half-pixel-centre rule, no
 * antialiasing); a larger one is average-pooled into the bins
 * [int(i*size/G), int((i+1)*size/G)) per axis.
 * Each image's resampled features are then min-max normalised over all its
 * grid cells and channels. */
#ifndef PHASOR_NEURAL_GRID_H
#define PHASOR_NEURAL_GRID_H

#include <stddef.h>

/* One image: act [c, h, w] (the engine's layout) -> out [g, g, c] (grid rows,
 * grid columns, channels).  Each axis is resampled on its own rule. */
void ph_grid_resample(const float *act, int c, int h, int w, int g, float *out);

/* The original's reduction of wide layers: with more than 600 channels, groups of
 * 3 adjacent channels (4 when C is not a multiple of 3) are averaged.  Returns
 * the group size (1: nothing to do, C <= 600), or 0 when C > 600 is a multiple
 * of neither (the original raises an error). */
int ph_grid_channel_group(int c);
/* x [cells, c] -> out [cells, c / g] (means of g adjacent channels); out may be x. */
void ph_grid_group_channels(const float *x, size_t cells, int c, int g, float *out);

/* In place: x -= min; x /= max (of the shifted values).  A constant image
 * (max == min) becomes all zeros, where the original divides by zero. */
void ph_grid_minmax(float *x, size_t n);

#endif
