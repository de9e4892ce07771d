/* resnet.h: the 2D ResNet for images (exposed for tests; stages use
 * ph_model_resnet).
 *
 * Stem: a 3x3 convolution (stem = small) or a 7x7 stride-2 convolution and a
 * 3x3 stride-2 max pooling (stem = imagenet), each with norm and ReLU.  Then
 * four stages of residual blocks, width << i channels (x4 for bottleneck
 * blocks), the first block of stages 1-3 with stride 2; blocks per stage by
 * depth: 10 [1,1,1,1], 18 [2,2,2,2], 34 [3,4,6,3] basic; 50 [3,4,6,3],
 * 101 [3,4,23,3] bottleneck.  Optionally a self-attention module (spatial
 * or feature-based, attention.h) after one stage.  Global average pooling
 * and a linear layer. */
#ifndef PHASOR_RESNET_H
#define PHASOR_RESNET_H

#include "model.h"
#include "attention.h"
#include "resblock.h"

enum { PH_RESNET_STAGES = 4, PH_RESNET_MAX_BLOCKS = 23 };

typedef struct {
    ph_model base;
    int depth, width, bottleneck, imagenet_stem;
    int nblocks[PH_RESNET_STAGES];
    ph_conv_unit stem;
    ph_pool_layer stem_pool;
    float *pooled_stem, *dpooled_stem;
    ph_resblock block[PH_RESNET_STAGES][PH_RESNET_MAX_BLOCKS];
    ph_attention attn;     /* after stage attn_stage (kind none: absent) */
    int attn_stage;
    ph_linear_layer fc;
    int feat_c;
    size_t feat_spatial;
    float *pooled, *dpooled, *ga, *gb;
} ph_resnet;

extern const ph_model_def ph_model_resnet;

#endif
