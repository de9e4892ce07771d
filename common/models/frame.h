/* frame.h: the frame-only baseline of the tracking studies (frame.c,
 * docs/models/frame.md). */
#ifndef PHASOR_FRAME_H
#define PHASOR_FRAME_H

#include "model.h"

extern const ph_model_def ph_model_frame;

#endif
