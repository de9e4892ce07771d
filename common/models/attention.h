/* attention.h: self-attention modules that enrich a feature map [N, C, H, W]
 * (the SVRT study's spatial and feature-based attention: Vaishnav et al.,
 * Neural Computation 34(5):1075, 2022, arXiv 2108.03603).
 *
 * spatial: tokens are the L = H W positions (SAGAN / non-local block):
 *   Q = Wq X, K = Wk X (1x1 convolutions to d = max(C/8, 1) channels),
 *   V = Wv X (C channels), A = softmax(Q^T K / sqrt(d)) over keys,
 *   y = X + gamma V A^T.
 * feature: tokens are the C channels (DANet's channel attention, without
 *   projections): A = softmax(X X^T / sqrt(L)), y = X + gamma A X.
 * gamma is one learnable scalar per module, starting at 0, so a module
 * begins as the identity. */
#ifndef PHASOR_ATTENTION_H
#define PHASOR_ATTENTION_H

#include "nn/nn.h"

typedef enum { PH_ATTN_NONE, PH_ATTN_SPATIAL, PH_ATTN_FEATURE, PH_ATTN_COUNT } ph_attn_kind;
extern const char *const ph_attn_names[PH_ATTN_COUNT];

typedef struct {
    const ph_backend *be;
    ph_attn_kind kind;
    int n, c, d, l;          /* batch, channels, query/key channels, tokens */
    ph_conv_layer q, k, v;   /* spatial only */
    ph_param gamma;          /* [1] */
    float *qb, *kb, *vb, *s, *a, *o, *y; /* activations */
    float *dq, *dk, *dv, *ds, *da, *dtmp;
    float *ones;             /* [count] for gamma's gradient through sgemm */
} ph_attention;

void ph_attention_init(ph_attention *m, const ph_backend *be, ph_attn_kind kind, int n, int c,
                       int h, int w, uint32_t seed, uint32_t id);
void ph_attention_forward(ph_attention *m, const float *x);       /* -> m->y */
void ph_attention_backward(ph_attention *m, const float *x, const float *dy, float *dx);
int ph_attention_params(ph_attention *m, ph_param **out, int max);
double ph_attention_step_flops(const ph_attention *m);
void ph_attention_free(ph_attention *m);

#endif
