/* gradcheck.h: a whole model's gradients (every trainable tensor and the
 * input) against central differences of its float32 forward; test_nn.c and
 * test_tracking_models.c share it.
 *
 * The bound on each value is rel * max(|fd|, |grad|) plus a rounding
 * allowance, and the allowance is measured on the machine that runs the
 * test, not assumed: the forward's float32 rounding is noise in the loss
 * whose size depends on the code paths taken (oneDNN's ISA, libmvec), so a
 * fixed allowance tuned on one processor fails on another.  The noise's
 * standard deviation is estimated from fourth differences of the loss along
 * nine points spaced h/4 apart, at two values of each tensor, for that
 * tensor (Moré and Wild, "Estimating computational noise", SIAM J. Sci.
 * Comput. 33(3), 2011: at such a spacing a smooth function's differences are
 * its rounding alone).
 * Steps are powers of two, so every perturbed value is exact in float.
 *
 * A smooth model (max_kinks 0: softplus, sigmoid, norms) has no kinks, so
 * every value is compared; where the one-sided slopes show strong curvature
 * the estimate is Richardson's from steps h and h/4.  A ReLU model may have
 * up to max_kinks of its values at a kink (slopes that do not close in at
 * h/4), counted and not compared, and differences that crossed a kink too
 * small to show count as outliers, which must stay within 5 %. */
#ifndef PHASOR_TEST_GRADCHECK_H
#define PHASOR_TEST_GRADCHECK_H

#include "core/rng.h"
#include "models/model.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The loss at the model's current parameters and input (forward included). */
typedef double (*gradcheck_loss_fn)(ph_model *m, void *ctx);

typedef struct {
    double rel;        /* relative bound: float32 through the whole model */
    double max_kinks;  /* fraction of values that may sit at a kink; 0: a smooth model */
    int per_tensor;    /* values checked per tensor (evenly spaced) */
    double grad_scale; /* 1; the check's own test scales the gradients to see it fail */
    const float *dlogits; /* d(loss)/d(logits) unperturbed, [n * outputs]: the loss's resolution */
} gradcheck_opts;

typedef struct {
    int tensors, unresolved, checked, curved, relooked, kinks, outliers, failed;
    double noise;     /* standard deviation of the loss's rounding: the largest of the tensors' */
    double allowance; /* absolute allowance of one central difference (6 standard deviations): the largest */
    double grad_rms;      /* of the gradients checked */
    double worst;         /* worst |fd - grad| / bound among the values compared */
    double worst_outlier; /* worst outlier / (5 % + 5 allowances); at most 1 */
    /* unresolved: tensors whose differences show less noise than one
     * rounding of the logits; that rounding is their allowance.
     * relooked: values over their bound at first, whose own noise was
     * then measured from 33 points */
} gradcheck_result;

enum { GRADCHECK_PROBE = 9, GRADCHECK_RELOOK = 33 };
#define GRADCHECK_H (1.0f / 1024) /* step of the central differences: a power of two */

/* Random input bytes, and small random offsets on the small tensors
 * (biases, per-channel and norm parameters start at 0, 1 or -1, which puts
 * pre-activations on kinks and makes the check special). */
static inline void gradcheck_model_prepare(ph_model *m, uint32_t seed)
{
    size_t nx = ph_model_input_count(m);
    uint8_t *x8 = malloc(nx);
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < nx; i++) x8[i] = (uint8_t)ph_rng_below(&r, 256);
    ph_model_load(m, x8);
    free(x8);
    ph_param *params[256];
    int np = m->def->params(m, params, 256);
    for (int p = 0; p < np; p++) {
        if (!params[p]->trainable || params[p]->count > 128) continue;
        float v[128];
        ph_dev_download(m->be, v, params[p]->w, params[p]->count);
        for (size_t i = 0; i < params[p]->count; i++) v[i] += (float)(ph_rng_uniform(&r) - 0.5) * 0.2f;
        ph_dev_upload(m->be, params[p]->w, v, params[p]->count);
    }
}

/* The loss with value i of the tensor (host copy wv, device target) set to v. */
static inline double gradcheck_loss_at(ph_model *m, gradcheck_loss_fn loss, void *ctx, float *target, float *wv,
                                       size_t count, size_t i, float v)
{
    float keep = wv[i];
    wv[i] = v, ph_dev_upload(m->be, target, wv, count);
    double l = loss(m, ctx);
    wv[i] = keep, ph_dev_upload(m->be, target, wv, count);
    return l;
}

/* The standard deviation of the loss's rounding along value i, from fourth
 * differences at `points` points spaced `step` apart: on a smooth function at
 * such a spacing they are rounding alone, and E[d4^2] = 70 sigma^2. */
static inline double gradcheck_noise(ph_model *m, gradcheck_loss_fn loss, void *ctx, float *target, float *wv,
                                     size_t count, size_t i, int points, float step)
{
    double f[GRADCHECK_RELOOK], sum = 0;
    for (int j = 0; j < points; j++)
        f[j] = gradcheck_loss_at(m, loss, ctx, target, wv, count, i, wv[i] + (float)(j - points / 2) * step);
    for (int j = 0; j + 4 < points; j++) {
        double d4 = f[j] - 4 * f[j + 1] + 6 * f[j + 2] - 4 * f[j + 3] + f[j + 4];
        sum += d4 * d4;
    }
    return sqrt(sum / (points - 4) / 70);
}

/* The tensors checked: -1 the input, then every trainable parameter. */
static inline int gradcheck_tensor(ph_model *m, ph_param **params, int p, float **target, float **grad, size_t *count)
{
    if (p >= 0 && !params[p]->trainable) return 0;
    *target = p < 0 ? m->x : params[p]->w, *grad = p < 0 ? m->dx : params[p]->g;
    *count = p < 0 ? ph_model_input_count(m) : params[p]->count;
    return 1;
}

/* After the caller's forward and backward (m->want_dx set): compares the
 * gradients with central differences of loss and fills *res. */
static inline void gradcheck_model(ph_model *m, gradcheck_loss_fn loss, void *ctx, const gradcheck_opts *o,
                                   gradcheck_result *res)
{
    const float h = GRADCHECK_H, h4 = GRADCHECK_H / 4;
    ph_param *params[256];
    int np = m->def->params(m, params, 256);
    memset(res, 0, sizeof *res);
    size_t stride_div = (size_t)(o->per_tensor > 0 ? o->per_tensor : 1);
    double gsq = 0;
    /* The loss's resolution: it moves in steps of about one rounding of a
     * logit, so a tensor that barely moves it shows less noise in its
     * differences than that step puts into a central difference.  Rounding
     * to nearest: a logit's error is uniform over one ulp (standard
     * deviation ulp / sqrt(12)). */
    double floor_noise = 0;
    if (o->dlogits) {
        size_t nl = (size_t)m->g.n * (size_t)m->g.outputs;
        float *z = malloc(nl * 4);
        loss(m, ctx);
        ph_dev_download(m->be, z, m->logits, nl);
        for (size_t k = 0; k < nl; k++) {
            double ulp = (double)nextafterf(fabsf(z[k]), INFINITY) - fabsf(z[k]);
            floor_noise += pow(o->dlogits[k] * ulp, 2) / 12;
        }
        floor_noise = sqrt(floor_noise);
        free(z);
    }
    for (int p = -1; p < np; p++) {
        float *target, *grad;
        size_t count;
        if (!gradcheck_tensor(m, params, p, &target, &grad, &count)) continue;
        res->tensors++;
        float *wv = malloc(count * 4), *g = malloc(count * 4);
        ph_dev_download(m->be, wv, target, count);
        ph_dev_download(m->be, g, grad, count);
        /* this tensor's noise, from two values (E[d4^2] = 70 sigma^2): how
         * much rounding a perturbation stirs up depends on how much of the
         * model it reaches (the input: all of it) */
        double noise = hypot(gradcheck_noise(m, loss, ctx, target, wv, count, count / 3, GRADCHECK_PROBE, h4),
                             gradcheck_noise(m, loss, ctx, target, wv, count, 2 * count / 3, GRADCHECK_PROBE, h4)) /
                       sqrt(2.0);
        res->noise = fmax(res->noise, noise);
        if (noise < floor_noise) noise = floor_noise, res->unresolved++;
        /* a central difference's rounding has standard deviation noise / (sqrt(2) h) */
        const double a = 6 * noise / (sqrt(2.0) * h);
        res->allowance = fmax(res->allowance, a);
        for (size_t i = 0; i < count; i += 1 + count / stride_div) {
            double gi = o->grad_scale * g[i], mult = 1; /* allowances in the estimate's rounding */
            double l0 = loss(m, ctx);
            double lp = gradcheck_loss_at(m, loss, ctx, target, wv, count, i, wv[i] + h);
            double lm = gradcheck_loss_at(m, loss, ctx, target, wv, count, i, wv[i] - h);
            double fd = (lp - lm) / (2.0 * h), tol = o->rel * fmax(fabs(fd), fabs(gi)) + a;
            double gap = (lp - 2 * l0 + lm) / h; /* right slope - left slope */
            res->checked++;
            gsq += gi * gi;
            if (fabs(gap) > 4 * tol + 1e-3 * fabs(fd)) {
                /* strong curvature, or a kink: at h / 4 a smooth function's
                 * slope gap closes in by 4, a kink's does not */
                double lp4 = gradcheck_loss_at(m, loss, ctx, target, wv, count, i, wv[i] + h4);
                double lm4 = gradcheck_loss_at(m, loss, ctx, target, wv, count, i, wv[i] - h4);
                double gap4 = (lp4 - 2 * l0 + lm4) / h4;
                /* gap4's rounding: sqrt(6) noise / h4, i.e. 4 sqrt(3) / 6 allowances */
                if (o->max_kinks > 0 && fabs(gap4) > 0.5 * fabs(gap) + 4 * sqrt(3.0) * a) {
                    res->kinks++;
                    continue;
                }
                if (o->max_kinks > 0) {
                    /* smooth within h/4, but a kink or a step may lie
                     * between h/4 and h: the difference at h/4, with 4
                     * times the rounding */
                    fd = (lp4 - lm4) / (2.0 * h4), mult = 4;
                } else {
                    /* Richardson: (16 fd(h/4) - fd(h)) / 15, free of the h^2
                     * term, with sqrt(64^2 + 1) / 15 = 4.27 times the rounding */
                    fd = (16 * (lp4 - lm4) / (2.0 * h4) - fd) / 15, mult = 4.27;
                }
                res->curved++;
            }
            tol = o->rel * fmax(fabs(fd), fabs(gi)) + mult * a;
            double err = fabs(fd - gi) / tol;
            if (err > 1) {
                /* a second look: the noise at this very value, from 33
                 * points (two probes per tensor can underestimate it) */
                double local = gradcheck_noise(m, loss, ctx, target, wv, count, i, GRADCHECK_RELOOK, h / 8);
                tol = o->rel * fmax(fabs(fd), fabs(gi)) + mult * 6 * fmax(noise, local) / (sqrt(2.0) * h);
                err = fabs(fd - gi) / tol;
                res->relooked++;
            }
            if (err > 1 && o->max_kinks > 0) {
                res->outliers++;
                res->worst_outlier = fmax(res->worst_outlier, fabs(fd - gi) / (0.05 * fmax(fabs(fd), fabs(gi)) + 5 * a));
                continue;
            }
            if (err > 1) {
                res->failed++;
                if (res->failed <= 5)
                    fprintf(stderr, "#   %s tensor %d value %zu: fd %.6g, grad %.6g, bound %.3g\n", m->def->name, p, i,
                            fd, gi, tol);
            }
            res->worst = fmax(res->worst, err);
        }
        free(wv), free(g);
    }
    res->grad_rms = sqrt(gsq / (res->checked ? res->checked : 1));
}

/* One line of what was checked and measured; what is the model's config
 * (newlines shown as spaces). */
static inline void gradcheck_result_print(const char *name, const char *what, const gradcheck_opts *o,
                                          const gradcheck_result *r)
{
    char line[256];
    snprintf(line, sizeof line, "%s", what);
    for (char *q = strchr(line, '\n'); q; q = strchr(q, '\n')) *q = ' ';
    printf("# %s {%s}: %d tensors (input included; %d under the logits' resolution), %d values (%d at h/4 for curvature, %d relooked), %d at a kink + %d "
           "outliers (at most %.0f%%, outliers within 5%%: %.2f <= 1); rounding noise %.2g, allowance %.2g "
           "(gradients' rms %.2g); worst |fd - grad| / (%g max + allowance) = %.3f (must be <= 1)\n",
           name, line, r->tensors, r->unresolved, r->checked, r->curved, r->relooked, r->kinks, r->outliers, 100 * o->max_kinks,
           r->worst_outlier, r->noise, r->allowance, r->grad_rms, o->rel, r->worst);
    if (r->allowance > 0.1 * r->grad_rms)
        printf("#   the allowance is over a tenth of the gradients' rms: this check could not see a wrong gradient\n");
}

/* What a passing check means: no value off its bound, kinks and outliers
 * within their share, and an allowance small beside the gradients (else the
 * check could not fail). */
static inline int gradcheck_result_ok(const gradcheck_opts *o, const gradcheck_result *r)
{
    return r->failed == 0 && r->kinks + r->outliers <= o->max_kinks * r->checked && r->worst_outlier <= 1.0 &&
           r->allowance <= 0.1 * r->grad_rms;
}

#endif
