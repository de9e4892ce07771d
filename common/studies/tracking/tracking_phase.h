/* tracking_phase.h: a PNG of a trained CV-RNN's phase maps (tracking-report). */
#ifndef PHASOR_TRACKING_PHASE_H
#define PHASOR_TRACKING_PHASE_H

#include <stdint.h>

enum { TRACKING_PHASE_MAX = 16 };

typedef struct {
    int videos, frames, scale;
    int frame[TRACKING_PHASE_MAX]; /* the frames shown, left to right */
    int32_t label[TRACKING_PHASE_MAX];
    /* The synchrony of the phase maps against the file's masks, per frame,
     * averaged over every frame of all `sync_videos` videos of the batch:
     * the loss (0.6: one phase everywhere; 0: three coherent groups 120
     * degrees apart), the groups' coherence (background, distractors,
     * target) and the angles in degrees between the groups' mean phases
     * (target-distractors over the frames where both are visible). */
    int sync_videos, sync_frames;
    double sync_loss, sync_coherence[3], sync_background_distractors, sync_target_distractors;
} tracking_phase_info;

/* Runs the cvrnn checkpoint on the first `batch` videos of `samples` (one
 * batch, evaluation mode, on the CPU, as phasor-analyze evaluate batches
 * them), measures the synchrony of every phase map (info->sync_*), and draws,
 * for the first `videos` of them, three rows of `frames` frames evenly spaced
 * from the first to the last: the input frame; the phase map theta_t with
 * hue = phase and value = magnitude (scaled to the 99th percentile of the
 * video's shown magnitudes); the phase at full value on the input's non-black
 * pixels.  Rank-local; fatal with one line on a failure.  videos and frames
 * are at most TRACKING_PHASE_MAX. */
void tracking_phase_png(const char *checkpoint, const char *samples, int batch, int videos, int frames,
                        const char *png, tracking_phase_info *info);

/* The synchrony statistics alone (info->sync_*), of the same run: no picture. */
void tracking_phase_measure(const char *checkpoint, const char *samples, int batch, tracking_phase_info *info);

#endif
