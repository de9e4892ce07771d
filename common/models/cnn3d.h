/* cnn3d.h: the 3D CNN for videos in the R3D style, the feed-forward baseline
 * of the tracking studies (exposed for tests; stages use ph_model_cnn3d).
 *
 * `stages` stages; stage i has width << i channels and starts with a 3x3x3
 * convolution of stride (1,2,2) for i = 0 and (temporal_stride,2,2) after,
 * followed by a norm and ReLU, then `blocks` basic residual blocks (two
 * 3x3x3 convolutions with a shortcut).  Global average pooling and one
 * linear layer give the logits.  blocks = 0, norm = none is the plain
 * three-convolution network of the first engine. */
#ifndef PHASOR_CNN3D_H
#define PHASOR_CNN3D_H

#include "model.h"
#include "resblock.h"

enum { PH_CNN3D_MAX_STAGES = 6, PH_CNN3D_MAX_BLOCKS = 4 };

typedef struct {
    ph_model base;
    int stages, blocks, width;
    ph_conv_unit down[PH_CNN3D_MAX_STAGES];
    ph_resblock block[PH_CNN3D_MAX_STAGES][PH_CNN3D_MAX_BLOCKS];
    ph_linear_layer fc;
    const float *feat; /* the last stage's output */
    int feat_c;
    size_t feat_spatial;
    float *pooled, *dpooled, *dfeat, *ga, *gb;
} ph_cnn3d;

extern const ph_model_def ph_model_cnn3d;

#endif
