/* synchrony.h: the CV-RNN's synchrony loss (Muzellec et al., ICLR 2025,
 * arXiv 2410.02094; S4b1n3/feature_tracker), KuraNet's "circular moments"
 * loss (serre-lab/KuraNet utils.py; Sepulchre et al. 2007, Eq. 36) on one
 * phase map against ground-truth groups, computed on the host in double.
 *
 * Groups from the per-frame mask ids of docs/schema.md: 0 background,
 * 3 target, >= 4 distractors; the markers (1, 2) belong to none.  With
 * theta' = theta + pi, for each of the K = 3 groups k (n_k pixels, at least 1):
 *   X_k = sum cos theta' + 1e-6 S,  Y_k = sum sin theta' + 1e-6 S
 *         (the original adds 1e-6 at every one of the S pixels)
 *   synch   = 1 - (1/K) sum_k sqrt(X_k^2 + Y_k^2) / n_k
 *   psi_k   = atan2(Y_k, X_k)
 *   desynch = sum_{m=1}^{K/2} |sum_k e^{i m psi_k}|^2 / (2 K m^2)
 *   L = (synch + desynch) / (1 + K/2 sum_{m=1}^{K/2} 1/m^2)      (2.5 for K = 3) */
#ifndef PHASOR_SYNCHRONY_H
#define PHASOR_SYNCHRONY_H

#include <stddef.h>
#include <stdint.h>

enum { PH_SYNC_GROUPS = 3 };

/* Group of a mask id: 0 background, 1 distractors, 2 target, -1 none. */
int ph_sync_group(uint8_t id);

/* L for s phases and their mask ids; when grad is not NULL, writes
 * scale * dL/dtheta (0 outside every group). */
double ph_synchrony_loss(const float *theta, const uint8_t *ids, size_t s, double scale,
                         float *grad);

/* What a phase map's groups look like (reports and tests): per group k its
 * pixel count, coherence R_k = |sum e^{i theta}| / n_k (1: one phase, about 0:
 * phases spread; 0 for an empty group) and mean phase psi_k in [-pi, pi] (in
 * theta's frame, not shifted by pi); and L. */
typedef struct {
    double loss;
    double coherence[PH_SYNC_GROUPS], phase[PH_SYNC_GROUPS];
    int pixels[PH_SYNC_GROUPS];
} ph_sync_stats;
void ph_synchrony_stats(const float *theta, const uint8_t *ids, size_t s, ph_sync_stats *st);
/* The angle between two phases, in [0, pi]. */
double ph_phase_distance(double a, double b);

#endif
