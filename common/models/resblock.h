/* resblock.h: the residual blocks of ResNets, 2D or 3D (R3D): basic (two
 * 3x3 convolutions) or bottleneck (1x1 down, 3x3, 1x1 up to 4x), each
 * convolution followed by a normalisation; a projection shortcut (1x1
 * convolution + norm) when the stride or the width changes.  The activation
 * is ReLU in ResNets; a smooth one (softplus) lets tests check whole models
 * against finite differences without crossing kinks. */
#ifndef PHASOR_RESBLOCK_H
#define PHASOR_RESBLOCK_H

#include "nn/nn.h"

/* A convolution, its optional normalisation and optional activation: the
 * unit of every block and stem.  norm < 0: none (the convolution gets a
 * bias); act < 0: none. */
typedef struct {
    ph_conv_layer conv;
    int norm, act;
    ph_norm_layer nl;
    size_t count;     /* output values */
    float *pre, *nrm; /* convolution output, normalised (== pre without norm) */
    float *out;       /* after the activation (== nrm without one) */
} ph_conv_unit;

/* Config names: "none" -> -1, else the ph_norm_kind; an activation name ->
 * its ph_act (the config tables admit only valid names). */
int ph_unit_norm_parse(const char *name);
ph_act ph_unit_act_parse(const char *name);

void ph_conv_unit_init(ph_conv_unit *u, const ph_backend *be, ph_conv_shape s, int norm,
                       int act, MPI_Comm comm, uint32_t seed, uint32_t id);
void ph_conv_unit_forward(ph_conv_unit *u, const float *x, int training);
/* dout is overwritten (used as scratch) when the unit has an activation,
 * and so are the forward's buffers: one backward per forward.  dx may be
 * NULL. */
void ph_conv_unit_backward(ph_conv_unit *u, const float *x, float *dout, float *dx);
int ph_conv_unit_params(ph_conv_unit *u, ph_param **out, int max);
void ph_conv_unit_free(ph_conv_unit *u);

typedef struct {
    const ph_backend *be;
    ph_act act;            /* the activation (ReLU in ResNets) */
    int units;             /* 2 basic, 3 bottleneck */
    ph_conv_unit u[3];
    int proj;
    ph_conv_unit shortcut;
    size_t count, in_count; /* output and input values */
    int out_c, out[3];      /* output channels and spatial size */
    float *sum, *out_act;   /* main + shortcut, after the activation */
    float *ds, *ga, *gb, *dx_sc;
} ph_resblock;

/* in: spatial size (nsp entries), stride on the block's 3x3 convolution. */
void ph_resblock_init(ph_resblock *b, const ph_backend *be, int nsp, int n, int in_c, int width,
                      const int *in, const int *stride, int bottleneck, int norm, ph_act act,
                      MPI_Comm comm, uint32_t seed, uint32_t id);
void ph_resblock_forward(ph_resblock *b, const float *x, int training);
/* One backward per forward (it reuses the forward's buffers); dx may be NULL. */
void ph_resblock_backward(ph_resblock *b, const float *x, const float *dout, float *dx);
int ph_resblock_params(ph_resblock *b, ph_param **out, int max);
double ph_resblock_step_flops(const ph_resblock *b);
void ph_resblock_free(ph_resblock *b);

#endif
