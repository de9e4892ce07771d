/* tracking_phase.h: a PNG of a trained CV-RNN's phase maps (tracking-report). */
#ifndef PHASOR_TRACKING_PHASE_H
#define PHASOR_TRACKING_PHASE_H

#include <stdint.h>

enum { TRACKING_PHASE_MAX = 16 };

typedef struct {
    int videos, frames, scale;
    int frame[TRACKING_PHASE_MAX]; /* the frames shown, left to right */
    int32_t label[TRACKING_PHASE_MAX];
} tracking_phase_info;

/* Runs the cvrnn checkpoint on the first `videos` videos of `samples` (one
 * batch, evaluation mode, on the CPU) and draws, per video, two rows of
 * `frames` frames evenly spaced from the first to the last: the input frame,
 * and under it the phase map theta_t with hue = phase and value = magnitude
 * (scaled to the 99th percentile of the video's shown magnitudes).  Rank-local; fatal with one
 * line on a failure.  videos and frames are at most TRACKING_PHASE_MAX. */
void tracking_phase_png(const char *checkpoint, const char *samples, int videos, int frames, const char *png,
                        tracking_phase_info *info);

#endif
