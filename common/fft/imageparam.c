/* imageparam.c: the maco, fourier and pixel parameterisations (imageparam.h). */
#include "imageparam.h"

#include "fft.h"
#include "spectrum.h"

#include "core/progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const ph_fvis_names[PH_FVIS_COUNT] = {[PH_FVIS_MACO] = "maco",
                                                  [PH_FVIS_FOURIER] = "fourier",
                                                  [PH_FVIS_PIXEL] = "pixel"};

static float *dev(const ph_backend *be, size_t count)
{
    float *p = be->alloc((count ? count : 1) * sizeof *p);
    if (!p) PH_FAIL("allocating a feature visualisation", "out of device memory", "use a smaller size");
    return p;
}

static void upload(const ph_backend *be, float *dst, const float *src, size_t count)
{
    PH_FFT_KERNEL(be, upload, "copying to the device", dst, src, count * sizeof *src);
}

/* ---- standardisation ---------------------------------------------------------- */

void ph_fvis_std_init(ph_fvis_std *s, const ph_backend *be, size_t count, double eps, int unbiased)
{
    memset(s, 0, sizeof *s);
    s->be = be, s->count = count, s->eps = eps, s->unbiased = unbiased;
    /* One statistic over everything: "batch norm" of one channel. */
    s->shape = (ph_norm_shape){1, 1, 0, count};
    s->dmean = dev(be, 1), s->drstd = dev(be, 1), s->da = dev(be, 1), s->db = dev(be, 1);
}

void ph_fvis_std_forward(ph_fvis_std *s, const float *x, float *y)
{
    const ph_backend *be = s->be;
    double sum = 0, sq = 0, n = (double)s->count;
    PH_FFT_KERNEL(be, norm_moments, "standardising", &s->shape, x, &sum, &sq);
    s->mean = sum / n;
    double ss = fmax(sq - sum * s->mean, 0.0); /* sum of squared deviations */
    s->sd = sqrt(ss / (s->unbiased && n > 1 ? n - 1 : n));
    float m = (float)s->mean, r = (float)(1.0 / (s->sd + s->eps));
    upload(be, s->dmean, &m, 1);
    upload(be, s->drstd, &r, 1);
    PH_FFT_KERNEL(be, norm_forward, "standardising", &s->shape, x, s->dmean, s->drstd, NULL, NULL, y);
}

void ph_fvis_std_backward(ph_fvis_std *s, const float *x, const float *dy, float *dx)
{
    /* y = (x - mu) / t, t = sd + eps: dx = (dy - mean(dy) - yhat t sum(dy yhat) / (M sd)) / t,
     * M = N - 1 (unbiased sd) or N; the op computes rstd (dy - a - yhat b). */
    const ph_backend *be = s->be;
    double sg = 0, sgx = 0, n = (double)s->count, t = s->sd + s->eps;
    PH_FFT_KERNEL(be, norm_backward_sums, "standardising backward", &s->shape, x, dy, s->dmean,
                  s->drstd, NULL, &sg, &sgx, NULL, NULL);
    double m = s->unbiased && n > 1 ? n - 1 : n;
    float a = (float)(sg / n), b = s->sd > 0 ? (float)(t * sgx / (m * s->sd)) : 0.0f;
    upload(be, s->da, &a, 1);
    upload(be, s->db, &b, 1);
    PH_FFT_KERNEL(be, norm_backward_apply, "standardising backward", &s->shape, x, dy, s->dmean,
                  s->drstd, NULL, s->da, s->db, dx);
}

void ph_fvis_std_free(ph_fvis_std *s)
{
    if (!s->be) return;
    s->be->free(s->dmean), s->be->free(s->drstd), s->be->free(s->da), s->be->free(s->db);
    memset(s, 0, sizeof *s);
}

/* ---- the parameterisations ------------------------------------------------------ */

void ph_fvis_init(ph_fvis *p, const ph_backend *be, ph_fvis_kind kind, int c, int s,
                  const float *magnitude, double decay, double eps, int unbiased)
{
    memset(p, 0, sizeof *p);
    if ((c != 1 && c != 3) || s < 2 || kind >= PH_FVIS_COUNT || (kind == PH_FVIS_MACO && !magnitude))
        PH_FAIL("building an image parameterisation", "needs 1 or 3 channels, a size >= 2 and (maco) a magnitude",
                "this is a bug");
    p->be = be, p->kind = kind, p->c = c, p->s = s;
    const size_t spec = (size_t)c * s * (s / 2 + 1), img = (size_t)c * s * s;
    p->count = kind == PH_FVIS_MACO ? spec : kind == PH_FVIS_FOURIER ? 2 * spec : img;
    p->w = dev(be, p->count), p->g = dev(be, p->count), p->m = dev(be, p->count), p->v = dev(be, p->count);
    if (kind != PH_FVIS_PIXEL) {
        p->scale = dev(be, spec);
        p->re = dev(be, spec), p->im = dev(be, spec), p->dre = dev(be, spec), p->dim = dev(be, spec);
        p->pre = dev(be, img);
        if (kind == PH_FVIS_MACO) {
            upload(be, p->scale, magnitude, spec);
            p->phs = dev(be, spec), p->dmag = dev(be, spec);
            ph_fvis_std_init(&p->sp, be, spec, eps, unbiased);
        } else {
            const size_t plane = (size_t)s * (s / 2 + 1);
            float *sc = malloc(spec * sizeof *sc);
            PH_CHECK_ALLOC(sc, "building the Fourier scale");
            ph_spectrum_fourier_scale(s, decay, sc);
            for (int ch = 1; ch < c; ch++) memcpy(sc + ch * plane, sc, plane * sizeof *sc);
            upload(be, p->scale, sc, spec);
            free(sc);
        }
    } else {
        p->pre = p->w; /* the pixels are the image */
    }
    p->st = dev(be, img), p->x = dev(be, img);
    p->rc = c == 3 ? dev(be, img) : p->st;
    p->d1 = dev(be, img), p->d2 = dev(be, img), p->d3 = dev(be, img);
    if (c == 3) {
        float r[9];
        for (int i = 0; i < 9; i++) r[i] = (float)ph_colour_R[i / 3][i % 3];
        p->R = dev(be, 9);
        upload(be, p->R, r, 9);
    }
    ph_fvis_std_init(&p->si, be, img, eps, unbiased);
}

double ph_fvis_normal(ph_rng *r)
{
    double u1 = ph_rng_uniform(r), u2 = ph_rng_uniform(r);
    return sqrt(-2.0 * log1p(-u1)) * cos(2.0 * M_PI * u2);
}

void ph_fvis_reset(ph_fvis *p, uint32_t seed, uint32_t run)
{
    float *h = malloc(p->count * sizeof *h);
    PH_CHECK_ALLOC(h, "initialising a feature visualisation");
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_FEATVIS, (uint64_t)run << 32, 0);
    for (size_t i = 0; i < p->count; i++) h[i] = (float)ph_fvis_normal(&r);
    upload(p->be, p->w, h, p->count);
    free(h);
    PH_FFT_KERNEL(p->be, fill, "clearing optimiser moments", p->m, 0.0f, p->count);
    PH_FFT_KERNEL(p->be, fill, "clearing optimiser moments", p->v, 0.0f, p->count);
}

void ph_fvis_forward(ph_fvis *p)
{
    const ph_backend *be = p->be;
    const size_t spec = (size_t)p->c * p->s * (p->s / 2 + 1), img = (size_t)p->c * p->s * p->s;
    ph_fft_shape fs = {p->c, p->s, p->s};
    if (p->kind == PH_FVIS_MACO) {
        ph_fvis_std_forward(&p->sp, p->w, p->phs);
        PH_FFT_KERNEL(be, polar_forward, "building the spectrum", p->scale, p->phs, p->re, p->im, spec);
        double t = ph_now();
        ph_fft_irfft2(be, &fs, p->re, p->im, p->pre);
        p->fft_seconds += ph_now() - t;
    } else if (p->kind == PH_FVIS_FOURIER) {
        PH_FFT_KERNEL(be, binary, "scaling the spectrum", PH_BIN_MUL, p->scale, p->w, p->re, spec);
        PH_FFT_KERNEL(be, binary, "scaling the spectrum", PH_BIN_MUL, p->scale, p->w + spec, p->im, spec);
        double t = ph_now();
        ph_fft_irfft2(be, &fs, p->re, p->im, p->pre);
        p->fft_seconds += ph_now() - t;
    }
    ph_fvis_std_forward(&p->si, p->pre, p->st);
    const int64_t px = (int64_t)p->s * p->s;
    if (p->c == 3) /* rgb[c][p] = sum_k st[k][p] R[k][c]: R^T st */
        PH_FFT_KERNEL(be, sgemm, "recolouring", 1, 0, 3, px, 3, 1.0f, p->R, 3, p->st, px, 0.0f, p->rc, px);
    PH_FFT_KERNEL(be, act_forward, "squashing", PH_ACT_SIGMOID, p->rc, p->x, img);
}

void ph_fvis_backward(ph_fvis *p, const float *dx)
{
    const ph_backend *be = p->be;
    const size_t spec = (size_t)p->c * p->s * (p->s / 2 + 1), img = (size_t)p->c * p->s * p->s;
    const int64_t px = (int64_t)p->s * p->s;
    ph_fft_shape fs = {p->c, p->s, p->s};
    PH_FFT_KERNEL(be, act_backward, "squashing backward", PH_ACT_SIGMOID, p->rc, p->x, dx, p->d1, img);
    float *dst = p->d1;
    if (p->c == 3) { /* dst = R drgb */
        PH_FFT_KERNEL(be, sgemm, "recolouring backward", 0, 0, 3, px, 3, 1.0f, p->R, 3, p->d1, px, 0.0f,
                      p->d2, px);
        dst = p->d2;
    }
    float *dpre = p->kind == PH_FVIS_PIXEL ? p->g : p->d3;
    ph_fvis_std_backward(&p->si, p->pre, dst, dpre);
    if (p->kind == PH_FVIS_PIXEL) return;
    double t = ph_now();
    ph_fft_irfft2_backward(be, &fs, dpre, p->dre, p->dim);
    p->fft_seconds += ph_now() - t;
    if (p->kind == PH_FVIS_MACO) {
        /* dphs into re: the forward's spectrum is not needed any more */
        PH_FFT_KERNEL(be, polar_backward, "building the spectrum backward", p->scale, p->phs, p->dre,
                      p->dim, p->dmag, p->re, spec);
        ph_fvis_std_backward(&p->sp, p->w, p->re, p->g);
    } else {
        PH_FFT_KERNEL(be, binary, "scaling the spectrum backward", PH_BIN_MUL, p->scale, p->dre, p->g, spec);
        PH_FFT_KERNEL(be, binary, "scaling the spectrum backward", PH_BIN_MUL, p->scale, p->dim, p->g + spec,
                      spec);
    }
}

void ph_fvis_free(ph_fvis *p)
{
    const ph_backend *be = p->be;
    if (!be) return;
    float *bufs[] = {p->w, p->g, p->m, p->v, p->scale, p->phs, p->re, p->im, p->dre, p->dim, p->dmag,
                     p->kind == PH_FVIS_PIXEL ? NULL : p->pre, p->st, p->c == 3 ? p->rc : NULL, p->x,
                     p->d1, p->d2, p->d3, p->R};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]) be->free(bufs[i]);
    ph_fvis_std_free(&p->sp);
    ph_fvis_std_free(&p->si);
    memset(p, 0, sizeof *p);
}

/* ---- NAdam ----------------------------------------------------------------------- */

ph_nadam ph_nadam_default(double lr)
{
    return (ph_nadam){.lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .momentum_decay = 4e-3,
                      .mu_product = 1.0, .step = 0};
}

void ph_nadam_step(ph_nadam *o, const ph_backend *be, float *w, const float *g, float *m, float *v,
                   size_t count)
{
    const int64_t t = ++o->step;
    const double bc2 = 1.0 - pow(o->beta2, (double)t);
    const double mu = o->beta1 * (1.0 - 0.5 * pow(0.96, (double)t * o->momentum_decay));
    const double mu_next = o->beta1 * (1.0 - 0.5 * pow(0.96, (double)(t + 1) * o->momentum_decay));
    o->mu_product *= mu;
    const double cg = o->lr * (1.0 - mu) / (1.0 - o->mu_product);
    const double cm = o->lr * mu_next / (1.0 - o->mu_product * mu_next);
    PH_FFT_KERNEL(be, nadam_update, "an NAdam step", w, g, m, v, count, (float)o->beta1, (float)o->beta2,
                  (float)o->eps, (float)cg, (float)cm, (float)bc2);
}
