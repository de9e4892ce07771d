/* balacc.h: balanced accuracy of binary decisions and its bootstrap interval.
 *
 * Balanced accuracy is the mean of the hit rate on label-1 samples and on
 * label-0 samples (the tracking studies' metric: Linsley et al., NeurIPS
 * 2021, arXiv 2105.13351; Muzellec et al., ICLR 2025, arXiv 2410.02094).  The
 * bootstrap resamples within each label (stratified: the class sizes stay),
 * so every replicate has both classes.  A statistic may combine several
 * conditions scored on the same samples (a paired design: the same labels in
 * the same order, e.g. one test seed for every grid point); then each
 * replicate draws one set of sample indices for all of them, so a difference
 * between conditions or models carries only the variation of the difference.
 * Draws come from Philox (PH_STREAM_BOOTSTRAP) keyed on (seed, stream), with
 * the replicate as counter index and `sub` naming the statistic, so the
 * interval is a pure function of its inputs. */
#ifndef PHASOR_STATS_BALACC_H
#define PHASOR_STATS_BALACC_H

#include <stdint.h>

/* Balanced accuracy of hits (1 = right) on samples with labels 0/1; NAN when a
 * class has no sample. */
double ph_balacc(const int32_t *label, const int *hit, int64_t n);

/* One term of a statistic: weight x balanced accuracy of `hit` over `label`. */
typedef struct {
    const int32_t *label;
    const int *hit;
    int64_t n;
    double weight;
} ph_balacc_term;

/* The statistic sum_j weight_j balacc_j and its percentile bootstrap interval:
 * `reps` replicates, the (1-level)/2 and (1+level)/2 quantiles with linear
 * interpolation between order statistics.  Terms whose labels are equal (same n,
 * same values) share each replicate's draws; the others draw their own.  Returns
 * the statistic; *lo, *hi get NAN when a term lacks a class or reps < 2. */
double ph_balacc_bootstrap(const ph_balacc_term *terms, int k, int reps, double level, uint32_t seed, uint32_t sub,
                           double *lo, double *hi);

/* FNV-1a of a string: a stable `sub` for a named statistic. */
uint32_t ph_balacc_name_hash(const char *name);

#endif
