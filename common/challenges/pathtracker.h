/* pathtracker.h: the PathTracker challenge (Linsley et al., NeurIPS 2021).
 * Exposed for tests; the stage uses it only through ph_challenge_pathtracker. */
#ifndef PHASOR_PATHTRACKER_H
#define PHASOR_PATHTRACKER_H

#include "../core/rng.h"

#include <stdint.h>

enum {
    PT_FRAME = 32,         /* frame side in pixels */
    PT_BOX = 27,           /* trajectories are scaled into [0, 27] */
    PT_SEGMENTS = 65,      /* heading updates per curve */
    PT_SEGMENT_POINTS = 5, /* points appended per heading update */
    PT_CURVE_POINTS = 1 + PT_SEGMENTS * PT_SEGMENT_POINTS, /* 326 */
    PT_TURNS = 95,         /* turn values {0, 0.95, ..., 89.3} */
};

typedef struct {
    int length;            /* frames T */
    int num_distractors;   /* ordinary distractor dots (paper: 0, 14, 25) */
    int extra_distractors; /* the original's extra_dist (0 in the paper) */
    int skip;              /* window step: speed 1, 2 or 4 */
} pathtracker_params;

/* One curve of the original GenCoord: 326 points scaled to [0, 27]. */
void pathtracker_curve(ph_rng *r, double *rows, double *cols);
/* A curve, a random window of `length` points `skip` apart, floored. */
void pathtracker_track(ph_rng *r, int length, int skip, int16_t *track /* [length][2] */);
/* The same with each turn drawn from `turns` values {0, 0.95, ...}: 95 above
 * (delta_angle_max 90); FeatureTracker's irregular paths use 190 (180). */
void pathtracker_curve_turns(ph_rng *r, int turns, double *rows, double *cols);
void pathtracker_track_turns(ph_rng *r, int length, int skip, int turns, int16_t *track);
/* Label of sample `index`: exactly one positive in each pair (2k, 2k+1). */
int pathtracker_label(uint32_t seed, int64_t index);

#endif
