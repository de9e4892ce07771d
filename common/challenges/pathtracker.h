/* pathtracker.h: the PathTracker challenge (Linsley et al., NeurIPS 2021).
 * Exposed for tests; the stage uses it only through ph_challenge_pathtracker. */
#ifndef PHASOR_PATHTRACKER_H
#define PHASOR_PATHTRACKER_H

#include "core/rng.h"

#include <stdint.h>

enum {
    PT_FRAME = 32,         /* frame side in pixels */
    PT_BOX = 27,           /* trajectories are scaled into [0, 27] */
    PT_SEGMENTS = 65,      /* heading updates per curve */
    PT_SEGMENT_POINTS = 5, /* points appended per heading update */
    PT_CURVE_POINTS = 1 + PT_SEGMENTS * PT_SEGMENT_POINTS, /* 326 */
    PT_TURNS = 95,         /* turn values {0, 0.95, ..., 89.3} */
};

/* Where a negative's goal lies: `original` at the end of an independent path
 * (the start-goal distance then tells the label), `matched` where a positive
 * from the same start would end (docs/challenges/pathtracker.md, "Controls"). */
typedef enum { PT_NEGATIVES_ORIGINAL, PT_NEGATIVES_MATCHED, PT_NEGATIVES_COUNT } pt_negatives;
extern const char *const pt_negatives_names[PT_NEGATIVES_COUNT];

/* Sub-streams of (seed, PH_STREAM_CONTENT, index) for matched negatives: ghost
 * g's draws sit at PT_SUB_GHOST + g * PT_GHOST_DRAWS + k; the decoys redrawn to
 * end where it ends at each challenge's redraw base + g * PT_MATCH_DRAWS + m. */
#define PT_SUB_GHOST 0x60000000u
enum {
    PT_GHOST_DRAWS = 1 << 14, /* draws per ghost to find one starting at the target's start */
    PT_MATCH_DRAWS = 1 << 14, /* decoy draws per ghost before the next ghost */
    PT_GHOSTS_EXACT = 8,      /* ghosts matched exactly; later ones within a pixel */
    PT_GHOSTS_MAX = 1 << 15,
};

typedef struct {
    int length;            /* frames T */
    int num_distractors;   /* ordinary distractor dots (paper: 0, 14, 25) */
    int extra_distractors; /* the original's extra_dist (0 in the paper) */
    int skip;              /* window step: speed 1, 2 or 4 */
    pt_negatives negatives;
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
/* Matched negatives: where a positive that starts at `start` ends.  Ghost g is
 * a target path (same curve model, `turns`) drawn until it starts at `start`,
 * within tol = pathtracker_ghost_tolerance(g) pixels on each axis; *goal gets
 * start + its displacement.  Returns 0 if none of its draws started there. */
int pathtracker_ghost_goal(uint32_t seed, int64_t index, uint32_t g, int length, int skip, int turns,
                           const int16_t *start, int16_t *goal);
int pathtracker_ghost_tolerance(uint32_t g);
/* 1 if `end` lies within `tol` pixels of `goal` on each axis, and not on
 * `avoid` (the target's end: a goal there would make a positive). */
int pathtracker_end_matches(const int16_t *end, const int16_t *goal, int tol, const int16_t *avoid);

#endif
