/* loss.h: the neural harmonizer's pyramidal saliency loss (Fel et al.,
 * NeurIPS 2022, arXiv 2211.04533), steps 4-8 of the per-batch computation
 * that serre-lab/Harmonization's training/loss.py performs.
 *
 * Per image b, with saliency s_b (the training form, saliency.h) and human
 * map h_b, both [H, W]:
 *   4. standardize_cut: x -> relu((x - mean x) / (std x + 1e-5)), population
 *      std (ddof 0), on both maps;
 *   5. rescale: h' = h / (max h + 1e-6) * (max s' + 1e-6), the saliency max
 *      held constant (no gradient through it) -- the package's epsilons,
 *      PH_HARM_RESCALE_PACKAGE; the old TPU code's h / (relu(max h) + 1e-4) *
 *      max s' is PH_HARM_RESCALE_TPU;
 *   6. Gaussian pyramid of both: level 0 is the map, level l+1 is level l
 *      correlated with outer([1 4 6 4 1])/256 at stride 2 with TF "SAME" zero
 *      padding (output ceil(n/2); even n: 1 row before, 2 after; odd n: 2 and
 *      2), no renormalisation at the edges;
 *   7. per level l: D_l = sum_b token_b sum_px (P_l s'_b - P_l h'_b)^2
 *                          / (batch * H_l * W_l);
 *   8. H = mean of D_0 .. D_{levels-1}.
 * `batch` is the divisor of step 7: the global batch, so that each rank's
 * forward over its own `n` maps sums (MPI_Allreduce) to the package's loss,
 * which divides by every sample of the batch, token-0 ones included.
 * Levels: the package computes 6 levels and averages 0..4 (levels = 5, the
 * default); the old TPU code averages all 6 (levels = 6).
 *
 * The engine's ph_blur_layer pads 2 on both sides, which for even sizes is
 * shifted half a pixel from TF's SAME; maps are small, so the pyramid runs
 * here on the host in double precision. */
#ifndef PHASOR_HARMONIZE_LOSS_H
#define PHASOR_HARMONIZE_LOSS_H

#include <stddef.h>

enum { PH_HARM_LEVELS_DEFAULT = 5, PH_HARM_MAX_LEVELS = 8 };

typedef enum { PH_HARM_RESCALE_PACKAGE, PH_HARM_RESCALE_TPU, PH_HARM_RESCALE_COUNT } ph_harm_rescale;
extern const char *const ph_harm_rescale_names[PH_HARM_RESCALE_COUNT];

typedef struct {
    int n, h, w, batch, levels;
    ph_harm_rescale rescale;
    int lh[PH_HARM_MAX_LEVELS], lw[PH_HARM_MAX_LEVELS];
    /* state of the last forward, for backward */
    double *z;                       /* standardised saliency before the ReLU [n, H, W] */
    double *mean, *std;              /* of each saliency map [n] */
    double *token;                   /* [n] */
    double *ps[PH_HARM_MAX_LEVELS];  /* pyramid of s' [n, H_l, W_l] */
    double *ph[PH_HARM_MAX_LEVELS];  /* pyramid of h' */
    double *acc, *tmp;               /* backward scratch [n, H, W] */
    double level_loss[PH_HARM_MAX_LEVELS]; /* D_l of the last forward */
} ph_harm_loss;

/* n maps of h x w on this rank, `batch` >= n the divisor (see above), levels
 * in 1..PH_HARM_MAX_LEVELS.  Bad arguments are a programming error: PH_FAIL. */
void ph_harm_loss_init(ph_harm_loss *l, int n, int h, int w, int batch, int levels,
                       ph_harm_rescale rescale);
void ph_harm_loss_free(ph_harm_loss *l);

/* H for saliency maps `sal` and human maps `human` [n, h, w]; token [n] is
 * 0/1 per sample (NULL: all 1). */
double ph_harm_loss_forward(ph_harm_loss *l, const float *sal, const float *human,
                            const float *token);
/* dH/dsal [n, h, w] of the last forward (the human maps get no gradient). */
void ph_harm_loss_backward(ph_harm_loss *l, float *dsal);

/* ---- pieces, exposed for tests and for other map losses ---- */
/* y = relu((x - mean) / (std + 1e-5)) over `count` values; *mean and *std
 * (population) may be NULL.  z (may be NULL) gets the value before the ReLU. */
void ph_harm_standardize_cut(const double *x, size_t count, double *y, double *z,
                             double *mean, double *std);
/* dx from dy for standardize_cut at x with its z, mean and std. */
void ph_harm_standardize_cut_backward(const double *x, const double *z, size_t count,
                                      double mean, double std, const double *dy, double *dx);
/* ceil(n / 2): the size of the next pyramid level. */
int ph_harm_pyramid_next(int n);
/* One pyramid step of one [h, w] map into [next(h), next(w)]. */
void ph_harm_pyramid_down(const double *x, int h, int w, double *y);
/* Its adjoint: dx [h, w] += transpose applied to dy. */
void ph_harm_pyramid_down_backward(const double *dy, int h, int w, double *dx);

#endif
