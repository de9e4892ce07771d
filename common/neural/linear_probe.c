/* linear_probe.c: BatchNorm1d (no affine) -> Dropout -> Linear, AdamW
 * (linear_probe.h).  Host double precision: the probe is tiny. */
#include "linear_probe.h"

#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating the linear probe");
    return p;
}

void ph_linear_probe_init(ph_linear_probe *p, int d, int outputs, double lr, double wd, double dropout,
                          uint32_t seed)
{
    memset(p, 0, sizeof *p);
    p->d = d, p->outputs = outputs, p->lr = lr, p->wd = wd, p->dropout = dropout, p->seed = seed;
    p->eps_bn = 1e-6, p->momentum = 0.1;
    const size_t nw = (size_t)outputs * d;
    p->w = dalloc(nw), p->mw = dalloc(nw), p->vw = dalloc(nw);
    p->b = dalloc((size_t)outputs), p->mb = dalloc((size_t)outputs), p->vb = dalloc((size_t)outputs);
    p->run_mean = dalloc((size_t)d), p->run_var = dalloc((size_t)d);
    for (int j = 0; j < d; j++) p->run_var[j] = 1;
    const double bound = 1.0 / sqrt((double)d);
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_INIT, 0, 0);
    for (size_t i = 0; i < nw; i++) p->w[i] = (2 * ph_rng_uniform(&r) - 1) * bound;
    ph_rng_init(&r, seed, PH_STREAM_INIT, 1, 0);
    for (int i = 0; i < outputs; i++) p->b[i] = (2 * ph_rng_uniform(&r) - 1) * bound;
}

void ph_linear_probe_free(ph_linear_probe *p)
{
    free(p->w), free(p->mw), free(p->vw), free(p->b), free(p->mb), free(p->vb), free(p->run_mean), free(p->run_var);
    memset(p, 0, sizeof *p);
}

/* loss of one sample's logits z and label y; dz gets d(loss)/dz */
static double sample_loss(int outputs, const double *z, int32_t y, double *dz)
{
    if (outputs == 1) { /* BCE with logits, stable form */
        const double t = y ? 1.0 : 0.0, s = 1.0 / (1.0 + exp(-z[0]));
        dz[0] = s - t;
        return fmax(z[0], 0) - z[0] * t + log1p(exp(-fabs(z[0])));
    }
    double mx = z[0];
    for (int k = 1; k < outputs; k++) mx = z[k] > mx ? z[k] : mx;
    double sum = 0;
    for (int k = 0; k < outputs; k++) sum += exp(z[k] - mx);
    for (int k = 0; k < outputs; k++) dz[k] = exp(z[k] - mx) / sum - (k == y);
    return log(sum) + mx - z[y];
}

static void adamw(double *prm, double *m, double *v, const double *g, size_t n, const ph_linear_probe *p)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1 - pow(b1, (double)p->steps), c2 = 1 - pow(b2, (double)p->steps);
    for (size_t i = 0; i < n; i++) {
        prm[i] *= 1 - p->lr * p->wd; /* decoupled decay first, as torch.optim.AdamW */
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        prm[i] -= p->lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps);
    }
}

double ph_linear_probe_step(ph_linear_probe *p, const float *x, const int32_t *y, const int64_t *ids, int n,
                            int epoch)
{
    const int d = p->d, O = p->outputs;
    double *h = dalloc((size_t)n * d), *mean = dalloc((size_t)d), *var = dalloc((size_t)d);
    double *gw = dalloc((size_t)O * d), *gb = dalloc((size_t)O), *z = dalloc((size_t)O), *dz = dalloc((size_t)O);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mean[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++) mean[j] /= n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            const double c = x[(size_t)i * d + j] - mean[j];
            var[j] += c * c;
        }
    for (int j = 0; j < d; j++) {
        p->run_mean[j] = (1 - p->momentum) * p->run_mean[j] + p->momentum * mean[j];
        p->run_var[j] = (1 - p->momentum) * p->run_var[j] + p->momentum * var[j] / (n - 1);
        var[j] /= n; /* normalisation uses the biased variance */
    }
    const double keep = 1 - p->dropout;
    for (int i = 0; i < n; i++) {
        ph_rng r;
        ph_rng_init(&r, p->seed, PH_STREAM_DROPOUT, (uint64_t)ids[i], (uint32_t)epoch);
        for (int j = 0; j < d; j++) {
            double v = (x[(size_t)i * d + j] - mean[j]) / sqrt(var[j] + p->eps_bn);
            if (p->dropout > 0) v = ph_rng_uniform(&r) < p->dropout ? 0 : v / keep;
            h[(size_t)i * d + j] = v;
        }
    }
    double loss = 0;
    for (int i = 0; i < n; i++) {
        const double *hi = h + (size_t)i * d;
        for (int k = 0; k < O; k++) {
            double s = p->b[k];
            for (int j = 0; j < d; j++) s += p->w[(size_t)k * d + j] * hi[j];
            z[k] = s;
        }
        loss += sample_loss(O, z, y[i], dz);
        for (int k = 0; k < O; k++) {
            gb[k] += dz[k] / n;
            for (int j = 0; j < d; j++) gw[(size_t)k * d + j] += dz[k] * hi[j] / n;
        }
    }
    p->steps++;
    adamw(p->w, p->mw, p->vw, gw, (size_t)O * d, p);
    adamw(p->b, p->mb, p->vb, gb, (size_t)O, p);
    free(h), free(mean), free(var), free(gw), free(gb), free(z), free(dz);
    return loss / n;
}

void ph_linear_probe_logits(const ph_linear_probe *p, const float *x, int n, double *logits)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < p->outputs; k++) {
            double s = p->b[k];
            for (int j = 0; j < p->d; j++)
                s += p->w[(size_t)k * p->d + j] * (x[(size_t)i * p->d + j] - p->run_mean[j]) /
                     sqrt(p->run_var[j] + p->eps_bn);
            logits[(size_t)i * p->outputs + k] = s;
        }
}

double ph_linear_probe_accuracy(const ph_linear_probe *p, const float *x, const int32_t *y, int n)
{
    if (n <= 0) return NAN;
    double *z = dalloc((size_t)n * p->outputs);
    ph_linear_probe_logits(p, x, n, z);
    int right = 0;
    for (int i = 0; i < n; i++) {
        int pred;
        if (p->outputs == 1) {
            pred = z[i] > 0;
        } else {
            pred = 0;
            for (int k = 1; k < p->outputs; k++)
                if (z[(size_t)i * p->outputs + k] > z[(size_t)i * p->outputs + pred]) pred = k;
        }
        right += pred == y[i];
    }
    free(z);
    return (double)right / n;
}
