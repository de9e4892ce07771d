/* track_util.c: batched convolutions, per-step normalisations, the
 * original's initialisations and frame reordering for the tracking models. */
#include "track_util.h"

#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static ph_conv_shape with_n(const ph_conv_layer *l, int nb)
{
    ph_conv_shape s = l->s;
    s.n = nb;
    return s;
}

void ph_conv_forward_n(const ph_conv_layer *l, int nb, const float *x, float *y)
{
    ph_conv_shape s = with_n(l, nb);
    PH_KERNEL(l->w.be, conv_forward, "running a convolution", &s, x, l->w.w, l->bias ? l->b.w : NULL, y);
}

void ph_conv_backward_weights_n(ph_conv_layer *l, int nb, const float *x, const float *dy)
{
    ph_conv_shape s = with_n(l, nb);
    PH_KERNEL(l->w.be, conv_backward_weights, "running a convolution backward", &s, x, dy, ph_param_grad_out(&l->w),
              l->bias ? ph_param_grad_out(&l->b) : NULL);
    ph_param_grad_done(&l->w);
    if (l->bias) ph_param_grad_done(&l->b);
}

void ph_conv_backward_n(ph_conv_layer *l, int nb, const float *x, const float *dy, float *dx)
{
    ph_conv_backward_weights_n(l, nb, x, dy);
    ph_conv_shape s = with_n(l, nb);
    if (dx) PH_KERNEL(l->w.be, conv_backward_data, "running a convolution backward", &s, dy, l->w.w, dx);
}

void ph_conv_backward_data_add(const ph_conv_layer *l, int nb, const float *dy, float *dx_acc,
                               float *tmp)
{
    ph_conv_shape s = with_n(l, nb);
    PH_KERNEL(l->w.be, conv_backward_data, "running a convolution backward", &s, dy, l->w.w, tmp);
    ph_dev_add(l->w.be, tmp, dx_acc, ph_conv_x_count(&s));
}

void ph_dev_add(const ph_backend *be, const float *x, float *y, size_t count)
{
    PH_KERNEL(be, axpby, "adding gradients", 1.0f, x, 1.0f, y, count);
}

void ph_dev_fill(const ph_backend *be, float *x, float value, size_t count)
{
    PH_KERNEL(be, fill, "filling a buffer", x, value, count);
}

void ph_step_norm_init(ph_step_norm *s, const ph_backend *be, ph_norm_kind kind, int n, int c,
                       size_t spatial, int steps, float eps, float gamma0, MPI_Comm comm)
{
    memset(s, 0, sizeof *s);
    ph_norm_init(&s->nl, be, kind, n, c, spatial, 0, comm);
    s->nl.eps = eps;
    if (gamma0 != 1.0f) ph_param_set(&s->nl.gamma, gamma0);
    s->steps = steps;
    s->k = ph_norm_stat_count(&s->nl.s);
    s->mean = ph_dev_alloc(be, (size_t)steps * s->k);
    s->rstd = ph_dev_alloc(be, (size_t)steps * s->k);
}

void ph_step_norm_forward(ph_step_norm *s, int t, const float *x, float *y, int training)
{
    const ph_backend *be = s->nl.be;
    ph_norm_forward(&s->nl, x, y, training);
    PH_KERNEL(be, copy2d, "saving step statistics", s->mean + (size_t)t * s->k, s->k, s->nl.mean, s->k, 1, s->k);
    PH_KERNEL(be, copy2d, "saving step statistics", s->rstd + (size_t)t * s->k, s->k, s->nl.rstd, s->k, 1, s->k);
}

void ph_step_norm_backward(ph_step_norm *s, int t, const float *x, const float *dy, float *dx)
{
    const ph_backend *be = s->nl.be;
    PH_KERNEL(be, copy2d, "restoring step statistics", s->nl.mean, s->k, s->mean + (size_t)t * s->k, s->k, 1, s->k);
    PH_KERNEL(be, copy2d, "restoring step statistics", s->nl.rstd, s->k, s->rstd + (size_t)t * s->k, s->k, 1, s->k);
    ph_norm_backward(&s->nl, x, dy, dx);
}

void ph_step_norm_free(ph_step_norm *s)
{
    ph_norm_free(&s->nl);
    s->nl.be->free(s->mean), s->nl.be->free(s->rstd);
}

void ph_param_set(ph_param *p, float v)
{
    PH_KERNEL(p->be, fill, "initialising parameters", p->w, v, p->count);
}

static double normal(ph_rng *r)
{
    double u = 1.0 - ph_rng_uniform(r), t = ph_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * t);
}

void ph_param_orthogonal(ph_param *p, int rows, uint32_t seed, uint32_t id)
{
    size_t cols = p->count / (size_t)rows;
    double *a = malloc(p->count * sizeof *a);
    float *h = malloc(p->count * sizeof *h);
    PH_CHECK_ALLOC(a, "initialising orthogonal weights");
    PH_CHECK_ALLOC(h, "initialising orthogonal weights");
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_INIT, id, 1);
    for (size_t i = 0; i < p->count; i++) a[i] = normal(&r);
    /* vectors v_k (rows, or columns when there are fewer) of length len,
     * element j at a[k * ks + j * js]; Gram-Schmidt run twice (stable in double) */
    int by_rows = (size_t)rows <= cols;
    size_t nv = by_rows ? (size_t)rows : cols, len = by_rows ? cols : (size_t)rows;
    size_t ks = by_rows ? cols : 1, js = by_rows ? 1 : cols;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < nv; k++) {
            for (size_t q = 0; q < k; q++) {
                double d = 0;
                for (size_t j = 0; j < len; j++) d += a[k * ks + j * js] * a[q * ks + j * js];
                for (size_t j = 0; j < len; j++) a[k * ks + j * js] -= d * a[q * ks + j * js];
            }
            double nn = 0;
            for (size_t j = 0; j < len; j++) nn += a[k * ks + j * js] * a[k * ks + j * js];
            nn = sqrt(nn);
            for (size_t j = 0; j < len; j++) a[k * ks + j * js] /= nn;
        }
    for (size_t i = 0; i < p->count; i++) h[i] = (float)a[i];
    ph_dev_upload(p->be, p->w, h, p->count);
    free(a), free(h);
}

void ph_conv_torch_default(ph_conv_layer *l, uint32_t seed, uint32_t id)
{
    const ph_backend *be = l->w.be;
    size_t fan_in = ph_conv_w_count(&l->s) / (size_t)l->s.o;
    ph_param_free(&l->w);
    ph_param_init(&l->w, be, ph_conv_w_count(&l->s), (float)(1.0 / sqrt(3.0 * (double)fan_in)), seed, 2 * id);
}

void ph_frames_split(const ph_backend *be, int n, int c, int t, size_t s, const float *x,
                     float *frames)
{
    size_t rows = (size_t)n * c;
    for (int f = 0; f < t; f++)
        PH_KERNEL(be, copy2d, "reordering frames", frames + (size_t)f * rows * s, s, x + (size_t)f * s,
                  (size_t)t * s, rows, s);
}

void ph_frames_merge(const ph_backend *be, int n, int c, int t, size_t s, const float *frames,
                     float *x)
{
    size_t rows = (size_t)n * c;
    for (int f = 0; f < t; f++)
        PH_KERNEL(be, copy2d, "reordering frames", x + (size_t)f * s, (size_t)t * s,
                  frames + (size_t)f * rows * s, s, rows, s);
}
