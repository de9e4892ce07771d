/* cnn3d.h: a small 3D CNN for videos, the feed-forward baseline of the
 * tracking studies: three 3x3x3 convolutions (the first keeps time and halves
 * space, the others halve both), ReLU, global average pooling, one logit. */
#ifndef PHASOR_CNN3D_H
#define PHASOR_CNN3D_H

#include "../nn/nn.h"

enum { PH_CNN3D_CONVS = 3 };

typedef struct {
    const ph_backend *be;
    int n, t, h, w, c, width;
    ph_conv_layer conv[PH_CNN3D_CONVS];
    ph_linear_layer fc;
    uint8_t *staging;                                    /* device copy of the uint8 batch */
    float *x;                                            /* input [N,C,T,H,W] in [0,1] */
    float *pre[PH_CNN3D_CONVS], *act[PH_CNN3D_CONVS];    /* before / after ReLU */
    float *pooled, *logits;                              /* [N, 4 width], [N] */
    float *dpre[PH_CNN3D_CONVS], *dact[PH_CNN3D_CONVS], *dpooled, *dlogits;
} ph_cnn3d;

void ph_cnn3d_init(ph_cnn3d *m, const ph_backend *be, int n, int t, int h, int w, int c,
                   int width, uint32_t seed);
void ph_cnn3d_free(ph_cnn3d *m);
/* videos: host uint8 [N,T,H,W,C] -> m->x [N,C,T,H,W] scaled to [0,1]. */
void ph_cnn3d_load(ph_cnn3d *m, const uint8_t *videos);
void ph_cnn3d_forward(ph_cnn3d *m);
/* dlogits: host [N]; fills every parameter's gradient. */
void ph_cnn3d_backward(ph_cnn3d *m, const float *dlogits);
/* Floating-point operations of one forward + backward step on the batch: every
 * convolution pass that runs (the first layer has no backward-data pass). */
double ph_cnn3d_step_flops(const ph_cnn3d *m);
/* The trainable tensors, in a fixed order. */
int ph_cnn3d_params(ph_cnn3d *m, ph_param **out, int max);

#endif
