/* shortcut.c: the start-goal distance shortcut (shortcut.h). */
#include "shortcut.h"

#include "core/error.h"
#include "balacc.h"

#include <math.h>
#include <stdlib.h>

void ph_shortcut_distances(const int32_t *start, const int32_t *goal, int64_t n, double *distance)
{
    for (int64_t i = 0; i < n; i++)
        distance[i] = hypot(goal[2 * i] - start[2 * i], goal[2 * i + 1] - start[2 * i + 1]);
}

int ph_shortcut_fit(ph_logistic *lr, const double *distance, const int32_t *y, int64_t n)
{
    return ph_logistic_fit(lr, distance, 1, y, n);
}

static double class_mean(const double *distance, const int32_t *y, int64_t n, int label)
{
    double s = 0;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (y[i] == label) s += distance[i], k++;
    return k ? s / (double)k : NAN;
}

ph_shortcut_score ph_shortcut_score_of(const ph_logistic *lr, const double *distance, const int32_t *y, int64_t n)
{
    ph_shortcut_score s;
    int *hit = malloc((size_t)(n > 0 ? n : 1) * sizeof *hit);
    PH_CHECK_ALLOC(hit, "allocating shortcut hits");
    for (int64_t i = 0; i < n; i++) hit[i] = (ph_logistic_prob(lr, &distance[i]) > 0.5) == (y[i] == 1);
    ph_balacc_term term = {y, hit, n, 1.0};
    s.accuracy = ph_balacc_bootstrap(&term, 1, PH_SHORTCUT_BOOTSTRAP_REPS, 0.95, 0, ph_balacc_name_hash("shortcut"),
                                     &s.lo, &s.hi);
    s.mean_pos = class_mean(distance, y, n, 1);
    s.mean_neg = class_mean(distance, y, n, 0);
    free(hit);
    return s;
}

double ph_shortcut_intercept(const ph_logistic *lr) { return lr->w[0] - lr->w[1] * lr->mean[0] / lr->scale[0]; }
