/* alignment.h: how well a saliency map agrees with a human importance map
 * (Fel et al., NeurIPS 2022, arXiv 2211.04533; serre-lab/Harmonization's
 * evaluation/metrics.py).
 *
 * Per image: Spearman's rho over the flattened pixels (ranks averaged over
 * ties, scipy.stats.spearmanr); the alignment score is the mean rho over
 * images divided by the human inter-rater ceiling.  Dice and IoU compare the
 * top 10% of each map: pixels strictly above the map's 90th percentile, the
 * percentile taken as numpy's default (linear interpolation between order
 * statistics at position q/100 (n - 1)).
 *
 * Undefined cases.  A constant map has no ranks to correlate: rho is NaN, as
 * scipy returns (so is an input with a NaN, scipy's nan_policy "propagate").
 * The package then takes np.mean over images, which a single NaN turns into
 * NaN; ph_alignment_score instead leaves undefined images out of the mean and
 * reports their count, so a run says how many maps were constant.  A
 * constant map also has an empty top-10% mask (nothing is strictly above the
 * percentile); Dice and IoU keep the package's 1e-9 in their denominators,
 * which makes two empty masks score 0. */
#ifndef PHASOR_HARMONIZE_ALIGNMENT_H
#define PHASOR_HARMONIZE_ALIGNMENT_H

#include <stddef.h>

/* HUMAN_SPEARMAN_CEILING of evaluation/click_me.py@12d4cf6 (0.65753 at HEAD). */
#define PH_HUMAN_SPEARMAN_CEILING 0.6575315343478081

/* 1-based ranks of x[0..n), ties sharing the mean of their positions. */
void ph_rank_average(const float *x, size_t n, double *rank);
/* Spearman's rho of a and b; NaN when n < 2, a map is constant or holds NaN. */
double ph_spearman(const float *a, const float *b, size_t n);
/* numpy.percentile(x, q) with the default "linear" method, 0 <= q <= 100. */
double ph_percentile(const float *x, size_t n, double q);
/* Dice and IoU of the masks x > percentile(x, 100 - top_percent) of a and b
 * (top_percent = 10: the package's top 10%).  Either output may be NULL. */
void ph_top_overlap(const float *a, const float *b, size_t n, double top_percent, double *dice,
                    double *iou);

/* The three per-image scores of n maps of hw pixels: saliency (evaluation
 * form) against human maps.  Any output may be NULL. */
void ph_alignment_maps(const float *saliency, const float *human, int n, size_t hw, double *rho,
                       double *dice, double *iou);
/* mean of the defined rho (NaN ones left out, their count in *undefined, may
 * be NULL) / PH_HUMAN_SPEARMAN_CEILING; NaN when none is defined. */
double ph_alignment_score(const double *rho, int n, int *undefined);

#endif
