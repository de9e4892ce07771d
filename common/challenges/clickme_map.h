/* clickme_map.h: the ClickMe human-map preprocessing of the harmonization
 * notes (../shared/science/harmonization.md §1 "Human-map preprocessing" and
 * §2 "The blur kernel"), used to turn a ground-truth region into a "human"
 * importance map the way ClickMe maps are made:
 *
 *   bilinear resize to 64x64 (TF2 tf.image.resize: half-pixel centres, no
 *   antialias) -> 10x10 Gaussian, sigma 10, TF "SAME" zero padding (4 before,
 *   5 after) with the original's asymmetric column taps -> bilinear resize back
 *   -> min-max to [0, 1].
 *
 * Plain functions on float planes; no randomness, no allocation outside
 * clickme_map (which checks its own). */
#ifndef PHASOR_CLICKME_MAP_H
#define PHASOR_CLICKME_MAP_H

enum { CLICKME_GRID = 64, CLICKME_TAPS = 10, CLICKME_PAD_BEFORE = 4 };
#define CLICKME_SIGMA 10.0

/* TF2 bilinear resize with half-pixel centres, no antialias: in [ih, iw] -> out [oh, ow]. */
void clickme_resize(const double *in, int ih, int iw, double *out, int oh, int ow);

/* Tap of the 10x10 kernel at row offset dr and column offset dc, both in
 * [-4, 5] (out(i, j) = sum tap(dr, dc) in(i + dr, j + dc)); taps sum to 1.
 * Row offsets weigh exp(-dr^2 / 2 sigma^2), column offsets exp(-(dc - 1)^2 / 2 sigma^2):
 * the original builds its column grid from range(-5, 5). */
double clickme_tap(int dr, int dc);

/* The blur above on an [h, w] plane, zero outside (no edge renormalisation). */
void clickme_blur(const double *in, int h, int w, double *out);

/* The whole pipeline: mask [h, w] -> map [h, w] in [0, 1] (all 0 if the
 * blurred map is constant, e.g. an empty mask). */
void clickme_map(const float *mask, int h, int w, float *out);

#endif
