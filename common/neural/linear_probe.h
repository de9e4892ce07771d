/* linear_probe.h: the linear probe of the 3D-PC protocol
 * (Linsley et al., arXiv 2406.04138, ICLR 2025; serre-lab/VPT
 * run_linear_probe.py):
 * BatchNorm1d without affine (eps 1e-6, momentum 0.1: PyTorch's running
 * statistics, the unbiased variance), Dropout, Linear(D -> outputs); one logit
 * with BCE-with-logits for two classes, softmax cross-entropy otherwise;
 * AdamW (decoupled weight decay; betas 0.9, 0.999, eps 1e-8); PyTorch's
 * default Linear initialisation U(-1/sqrt(D), 1/sqrt(D)).
 *
 * Randomness is Philox: initial weights PH_STREAM_INIT (index 0 weights, 1
 * bias), dropout masks PH_STREAM_DROPOUT (index = sample id, sub = epoch),
 * the epoch's shuffle PH_STREAM_BATCH (index = epoch). */
#ifndef PHASOR_NEURAL_LINEAR_PROBE_H
#define PHASOR_NEURAL_LINEAR_PROBE_H

#include <stdint.h>

typedef struct {
    int d, outputs; /* outputs: 1 (BCE, labels 0/1) or the number of classes */
    double lr, wd, dropout, eps_bn, momentum;
    uint32_t seed;
    double *w, *b;          /* [outputs, d], [outputs] */
    double *mw, *vw, *mb, *vb;
    double *run_mean, *run_var; /* [d] */
    int64_t steps;
} ph_linear_probe;

void ph_linear_probe_init(ph_linear_probe *p, int d, int outputs, double lr, double wd, double dropout,
                          uint32_t seed);
void ph_linear_probe_free(ph_linear_probe *p);
/* One AdamW step on a batch x [n, d] (rows), labels y [n], global sample ids
 * (dropout masks), epoch; returns the batch's mean loss.  n >= 2. */
double ph_linear_probe_step(ph_linear_probe *p, const float *x, const int32_t *y, const int64_t *ids, int n,
                            int epoch);
/* Evaluation mode (running statistics, no dropout): logits [n, outputs]. */
void ph_linear_probe_logits(const ph_linear_probe *p, const float *x, int n, double *logits);
/* Fraction of correct predictions (one logit: logit > 0 means class 1). */
double ph_linear_probe_accuracy(const ph_linear_probe *p, const float *x, const int32_t *y, int n);

#endif
