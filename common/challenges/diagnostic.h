/* diagnostic.h: the neural harmonizer's synthetic challenge.
 *
 * An RGB image's class is set by one small diagnostic part (a shape, or a
 * grating texture, per class) at a random place among clutter, while a
 * spurious cue, the background colour, names the class on a per-split
 * fraction of images (cue_agreement: 0.95 for training, chance for a
 * decorrelated test).  /maps/human is the part's mask blurred as ClickMe maps
 * are (common/io/importance_map.h).  docs/challenges/diagnostic.md has the details. */
#ifndef PHASOR_DIAGNOSTIC_H
#define PHASOR_DIAGNOSTIC_H

#include <stdint.h>

#define DIAG_MAX_CLASSES 6

typedef enum { DIAG_PART_SHAPE, DIAG_PART_TEXTURE, DIAG_PART_COUNT } diagnostic_part;
extern const char *const diagnostic_part_names[DIAG_PART_COUNT];

/* The spurious cue: the background's hue (colour: classes differ by an opponent
 * direction at similar brightness), its gray level (brightness: classes differ along
 * the channel mean), or a grating square somewhere else in the image (patch: a local
 * cue, white on near black, its orientation naming the class, on a background of
 * random hue).  Only the local one can be seen by the harmonization loss, which
 * standardises each saliency map: a global cue spreads a model's input gradient
 * evenly, and the mean removes it. */
typedef enum { DIAG_CUE_COLOUR, DIAG_CUE_BRIGHTNESS, DIAG_CUE_PATCH, DIAG_CUE_COUNT } diagnostic_cue;
extern const char *const diagnostic_cue_names[DIAG_CUE_COUNT];

/* Shape classes, in class order (shape part). */
extern const char *const diagnostic_shape_names[DIAG_MAX_CLASSES];

typedef struct {
    int size;        /* image side S */
    int classes;     /* K */
    diagnostic_part part;
    int patch;       /* side P of the diagnostic patch */
    int distractors; /* clutter items tried per image */
    diagnostic_cue cue;
    double agreement; /* of the split being generated: P(cue class == label) */
} diagnostic_params;

/* Datasets, in this order (field 0 is x, 1 is y). */
enum { DIAG_F_X, DIAG_F_Y, DIAG_F_PATCH, DIAG_F_CUE, DIAG_F_DISTRACTORS, DIAG_F_HUMAN, DIAG_F_COUNT };
/* With cue = patch one more dataset follows: the cue square's (row, col, side). */
enum { DIAG_F_CUE_BOX = DIAG_F_COUNT };

/* Label of sample `index`: each block of K consecutive indices holds every class once. */
int diagnostic_label(uint32_t seed, int classes, int64_t index);

/* P x P mask (1 = drawn) of class `cls`'s diagnostic part, row-major. */
void diagnostic_template(diagnostic_part part, int cls, int classes, int patch, uint8_t *mask);

/* Centre hue in [0, 1) of the background colour of cue class `cls`; drawn
 * backgrounds stay within 0.3 / K of it (so the nearest centre names the class). */
double diagnostic_cue_hue(int cls, int classes);
/* Gray level (HSV value) of class cls's background under the brightness cue, before jitter. */
double diagnostic_cue_value(int cls, int classes);

#endif
