/* tracking_masks.h: per-frame object masks of a tracking sample file, for the
 * CV-RNN's synchrony loss, with FeatureTracker's ids (docs/schema.md): 0
 * nothing, 1 start marker, 2 goal marker, 3 target, >= 4 distractors (the
 * id of what was drawn last on the pixel).
 *
 * FeatureTracker files carry them (/meta/masks).  For PathTracker files
 * they are drawn from the tracks, in the generator's order: distractors
 * (/meta/distractors, id 5 + d, at most 255), the start and goal outlines
 * (the 8 pixels around /meta/start and /meta/goal), the target
 * (/meta/target, 3), coords_3 (/meta/coords3, 4: a distractor that ends in
 * the goal in negatives). */
#ifndef PHASOR_TRACKING_MASKS_H
#define PHASOR_TRACKING_MASKS_H

#include "io/h5samples.h"

#include <stdint.h>

/* Samples [start, start + count) into out [count, t, h, w] (collective).
 * A file with neither kind of metadata, or of another video size, stops
 * every rank with one line. */
void ph_tracking_masks_read(ph_samples_reader *r, int64_t start, int64_t count, int t, int h,
                            int w, uint8_t *out);

/* One PathTracker sample's masks [t, h, w] from its tracks: target and
 * coords3 [t, 2], start and goal [2], distractors [nd, t, 2] (NULL when nd = 0). */
void ph_tracking_masks_draw(int t, int h, int w, int nd, const int16_t *target, const int16_t *coords3,
                            const int16_t *start, const int16_t *goal, const int16_t *distractors, uint8_t *out);

#endif
