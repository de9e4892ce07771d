/* featuretracker.h: the FeatureTracker challenge (CV-RNN paper, ICLR 2025).
 * Exposed for tests; the stage uses it only through ph_challenge_featuretracker. */
#ifndef PHASOR_FEATURETRACKER_H
#define PHASOR_FEATURETRACKER_H

#include "pathtracker.h"

#include <stdint.h>

enum {
    FT_FRAME = 32,          /* frame side in pixels (the PathTracker canvas) */
    FT_SIDE = 5,            /* objects and markers are 5x5, placed by their top-left pixel */
    FT_TURNS_IRREGULAR = 190, /* irregular paths: turns {0, 0.95, ..., 179.55} */
    FT_MAX_DISTRACTORS = 250, /* mask ids 5 + d must fit in uint8 */
};

typedef enum { FT_SHAPES_NONE, FT_SHAPES_ID, FT_SHAPES_OOD, FT_SHAPES_COUNT } ft_shapes;
typedef enum { FT_COLORS_NONE, FT_COLORS_ID, FT_COLORS_OOD, FT_COLORS_IRREGULAR, FT_COLORS_COUNT } ft_colors;
typedef enum { FT_PATHS_REGULAR, FT_PATHS_IRREGULAR, FT_PATHS_COUNT } ft_paths;
/* Config values; the condition name spells "none" as "no" (noshapes_nocolors). */
extern const char *const ft_shapes_names[FT_SHAPES_COUNT];
extern const char *const ft_colors_names[FT_COLORS_COUNT];
extern const char *const ft_paths_names[FT_PATHS_COUNT];

typedef struct {
    int length;            /* frames T */
    int num_distractors;   /* distractors; the nearest one's end is the negatives' goal */
    int extra_distractors; /* the original's extra_dist: never chosen as coords_3 */
    int skip;              /* speed: curve points per frame */
    ft_shapes shapes;
    ft_colors colors;
    ft_paths paths;
    int coords3_twice;     /* the original's second drawing of coords_3 (object 1) */
    pt_negatives negatives; /* original: coords_3 nearest the target's end; matched: see pathtracker.h */
    int hue_margin;        /* degrees kept clear of the markers' red (0) and blue (240) hues */
} featuretracker_params;

/* Datasets in the order fields() lists them. */
enum {
    FT_F_X, FT_F_Y, FT_F_TARGET, FT_F_START, FT_F_GOAL, FT_F_COORDS3, FT_F_CONDITION,
    FT_F_DISTRACTORS, FT_F_SHAPES, FT_F_COLORS, FT_F_HUE_SPEED, FT_F_MASKS, FT_F_COUNT
};

/* Objects (the original's indices): 0 target, 1 the second copy of coords_3,
 * 2 + d distractor d.  /meta/masks holds, per pixel, the id of what was drawn
 * there last: */
enum { FT_MASK_NONE = 0, FT_MASK_START = 1, FT_MASK_GOAL = 2, FT_MASK_OBJECT0 = 3 };
/* so the target is 3, the copy 4 and distractor d is 5 + d. */

#endif
