/* stats.h: the statistics of neural predictivity (Linsley et al., NeurIPS
 * 2023, arXiv 2306.03779; serre-lab/neural_harmonizer's
 * evaluation/metrics.py): Pearson r, the median that leaves undefined values
 * out, the original's reliability ceiling and a split-half reliability. */
#ifndef PHASOR_NEURAL_STATS_H
#define PHASOR_NEURAL_STATS_H

#include <stddef.h>

/* Pearson r of x and y, n values each with strides sx, sy; NaN when either is
 * constant (as scipy.stats.pearsonr). */
double ph_pearson(const double *x, size_t sx, const double *y, size_t sy, size_t n);
double ph_pearson_f(const float *x, size_t sx, const float *y, size_t sy, size_t n);

/* Median of the finite values of v (n of them; v is reordered); NaN when none.
 * *left_out (may be NULL) gets the number of NaN values. */
double ph_median_finite(double *v, size_t n, size_t *left_out);

/* The original's ceiling of one image (ceiling_score): the maximum over
 * site pairs i < j of the Pearson r between their maps.  maps [cells, k]
 * (site fastest); NaN when no pair is defined.  All k sites take part (the
 * original's loop leaves the last one out: an off-by-one we do not copy;
 * docs/probe.md). */
double ph_ceiling_max_pair(const float *maps, size_t cells, int k);

/* Spearman-Brown corrected split-half reliability 2r / (1 + r) of one site
 * from two repeats a, b (n values each, strides sa, sb); NaN when undefined. */
double ph_split_half(const float *a, size_t sa, const float *b, size_t sb, size_t n);

#endif
