/* shortcut.h: the start-goal distance shortcut of a tracking challenge.
 *
 * In PathTracker and FeatureTracker both markers are visible in the first
 * frame, so a model can read the distance between them without tracking
 * anything.  The shortcut floor is the balanced accuracy of a logistic
 * regression on that distance alone, fitted on one set of videos and scored
 * on another, with a stratified bootstrap interval (balacc.h). */
#ifndef PHASOR_STATS_SHORTCUT_H
#define PHASOR_STATS_SHORTCUT_H

#include "logistic.h"

#include <stdint.h>

enum { PH_SHORTCUT_BOOTSTRAP_REPS = 2000 };

typedef struct {
    double accuracy, lo, hi; /* balanced accuracy and its 95 % interval */
    double mean_pos, mean_neg; /* mean start-goal distance per class (pixels) */
} ph_shortcut_score;

/* Start-goal distances (pixels) of n videos from their marker positions [n][2]. */
void ph_shortcut_distances(const int32_t *start, const int32_t *goal, int64_t n, double *distance);
/* The regression on distance alone; returns ph_logistic_fit's status. */
int ph_shortcut_fit(ph_logistic *lr, const double *distance, const int32_t *y, int64_t n);
/* Its balanced accuracy on other videos. */
ph_shortcut_score ph_shortcut_score_of(const ph_logistic *lr, const double *distance, const int32_t *y, int64_t n);
/* The fitted intercept and slope per pixel (raw distance). */
double ph_shortcut_intercept(const ph_logistic *lr);

#endif
