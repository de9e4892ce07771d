/* test_saliency.c: the gradient, with respect to the parameters, of a loss on
 * the input gradient (the harmonization loss's form), as the engine computes
 * it (central differences along the saliency direction, float32), against a
 * float64 oracle: a separate double-precision implementation of the same
 * small ReLU CNN (two 3x3x3 convolutions, ReLU, global average pooling, a
 * linear logit) whose input gradient is derived by hand and whose loss
 * L(theta) = 1/2 sum (s(theta) - target)^2 is differentiated by central
 * differences in theta. */
#include "core/rng.h"
#include "models/model.h"
#include "nn/nn.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { N = 2, C = 1, T = 2, H = 6, W = 6, WIDTH = 2 };

typedef struct {
    int c, o, t, h, w, st[3], ot, oh, ow;
} conv_geo;

static void geo_init(conv_geo *g, int c, int o, int t, int h, int w, int s0)
{
    g->c = c, g->o = o, g->t = t, g->h = h, g->w = w;
    g->st[0] = s0, g->st[1] = g->st[2] = 2;
    g->ot = (t + 2 - 3) / s0 + 1, g->oh = (h + 2 - 3) / 2 + 1, g->ow = (w + 2 - 3) / 2 + 1;
}

/* y[o][..] = b[o] + sum w[o][c][kt][kh][kw] x[c][..]; pad 1 */
static void conv_fwd(const conv_geo *g, const double *x, const double *w, const double *b, double *y)
{
    for (int o = 0; o < g->o; o++)
        for (int a = 0; a < g->ot; a++)
            for (int p = 0; p < g->oh; p++)
                for (int q = 0; q < g->ow; q++) {
                    double s = b[o];
                    for (int c = 0; c < g->c; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++)
                                for (int k = 0; k < 3; k++) {
                                    int u = a * g->st[0] - 1 + i, v = p * g->st[1] - 1 + j, z = q * g->st[2] - 1 + k;
                                    if (u < 0 || v < 0 || z < 0 || u >= g->t || v >= g->h || z >= g->w) continue;
                                    s += w[(((o * g->c + c) * 3 + i) * 3 + j) * 3 + k] * x[((c * g->t + u) * g->h + v) * g->w + z];
                                }
                    y[((o * g->ot + a) * g->oh + p) * g->ow + q] = s;
                }
}

/* dx = transpose of the convolution applied to dy */
static void conv_bwd_data(const conv_geo *g, const double *dy, const double *w, double *dx)
{
    memset(dx, 0, sizeof(double) * (size_t)g->c * g->t * g->h * g->w);
    for (int o = 0; o < g->o; o++)
        for (int a = 0; a < g->ot; a++)
            for (int p = 0; p < g->oh; p++)
                for (int q = 0; q < g->ow; q++) {
                    double d = dy[((o * g->ot + a) * g->oh + p) * g->ow + q];
                    for (int c = 0; c < g->c; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++)
                                for (int k = 0; k < 3; k++) {
                                    int u = a * g->st[0] - 1 + i, v = p * g->st[1] - 1 + j, z = q * g->st[2] - 1 + k;
                                    if (u < 0 || v < 0 || z < 0 || u >= g->t || v >= g->h || z >= g->w) continue;
                                    dx[((c * g->t + u) * g->h + v) * g->w + z] += d * w[(((o * g->c + c) * 3 + i) * 3 + j) * 3 + k];
                                }
                }
}

/* The oracle's parameters, in the model's order: w1 b1 w2 b2 fc_w fc_b. */
typedef struct {
    double *p[6];
    size_t n[6];
} oracle;

/* Saliency of sample i: d logit / dx (weighting 1), by hand. */
static void oracle_saliency(const oracle *o, const double *x, double *s)
{
    conv_geo g1, g2;
    geo_init(&g1, C, WIDTH, T, H, W, 1);
    geo_init(&g2, WIDTH, 2 * WIDTH, g1.ot, g1.oh, g1.ow, 2);
    size_t n1 = (size_t)WIDTH * g1.ot * g1.oh * g1.ow, n2 = (size_t)2 * WIDTH * g2.ot * g2.oh * g2.ow;
    size_t sp2 = (size_t)g2.ot * g2.oh * g2.ow;
    double y1[256], y2[256], d2[256], d1[256];
    conv_fwd(&g1, x, o->p[0], o->p[1], y1);
    for (size_t i = 0; i < n1; i++) y1[i] = fmax(y1[i], 0);
    conv_fwd(&g2, y1, o->p[2], o->p[3], y2);
    /* logit = fc_b + sum_o fc_w[o] mean(relu(y2[o])) */
    for (size_t i = 0; i < n2; i++) d2[i] = y2[i] > 0 ? o->p[4][i / sp2] / (double)sp2 : 0;
    conv_bwd_data(&g2, d2, o->p[2], d1);
    /* through the first ReLU: y1 holds relu(pre1); pre1 > 0 exactly where y1 > 0 */
    for (size_t i = 0; i < n1; i++) d1[i] = y1[i] > 0 ? d1[i] : 0;
    conv_bwd_data(&g1, d1, o->p[0], s);
}

static double oracle_loss(const oracle *o, const double *x, const double *target)
{
    size_t nx = (size_t)C * T * H * W;
    double s[256], l = 0;
    for (int i = 0; i < N; i++) {
        oracle_saliency(o, x + i * nx, s);
        for (size_t j = 0; j < nx; j++) l += 0.5 * (s[j] - target[i * nx + j]) * (s[j] - target[i * nx + j]);
    }
    return l;
}

static void test_input_gradient_loss_against_float64_oracle(void **state)
{
    (void)state;
    const ph_backend *be = &ph_backend_cpu;
    ph_model_geometry geo = {N, T, H, W, C, 1, 5, MPI_COMM_SELF};
    ph_model *m = ph_model_create_text("cnn3d", "[cnn3d]\nwidth = 2\nstages = 2\n", be, &geo);
    ph_param *params[16];
    int np = m->def->params(m, params, 16);
    assert_int_equal(np, 6);
    size_t nx = ph_model_input_count(m);
    uint8_t x8[N * C * T * H * W];
    ph_rng r;
    ph_rng_init(&r, 4, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < nx; i++) x8[i] = (uint8_t)ph_rng_below(&r, 256);
    ph_model_load(m, x8);
    /* biases off zero so no unit sits exactly on its kink */
    oracle o;
    for (int p = 0; p < np; p++) {
        size_t n = params[p]->count;
        float *v = malloc(n * 4);
        ph_dev_download(be, v, params[p]->w, n);
        if (p % 2) for (size_t i = 0; i < n; i++) v[i] = (float)(ph_rng_uniform(&r) - 0.3) * 0.2f;
        ph_dev_upload(be, params[p]->w, v, n);
        o.n[p] = n, o.p[p] = malloc(n * 8);
        for (size_t i = 0; i < n; i++) o.p[p][i] = v[i];
        free(v);
    }
    double *x = malloc(nx * 8), *target = malloc(nx * 8);
    float *xf = malloc(nx * 4);
    ph_dev_download(be, xf, m->x, nx);
    for (size_t i = 0; i < nx; i++) x[i] = xf[i], target[i] = (ph_rng_uniform(&r) - 0.5) * 0.02;

    /* engine: s by one backward with dx, v = s - target, then the loss gradient */
    float ones[N] = {1, 1}, *s = malloc(nx * 4), *v = malloc(nx * 4);
    m->want_dx = 1;
    m->def->forward(m, 1);
    ph_params_zero_grad(params, np);
    ph_model_backward_host(m, ones);
    ph_dev_download(be, s, m->dx, nx);
    double vmax = 0;
    for (size_t i = 0; i < nx; i++) v[i] = (float)(s[i] - target[i]), vmax = fmax(vmax, fabs(v[i]));
    float *vd = ph_dev_alloc(be, nx);
    ph_dev_upload(be, vd, v, nx);
    ph_params_zero_grad(params, np);
    /* eps: a step of 1e-3 of the input range along v (inputs are in [0, 1]) */
    ph_model_input_grad_loss_backward(m, ones, vd, (float)(1e-3 / vmax), 1.0f, 1);

    /* the saliency itself first: engine float32 vs oracle float64 */
    double s_err = 0, s_scale = 1e-30, so[256];
    for (int i = 0; i < N; i++) {
        oracle_saliency(&o, x + i * (nx / N), so);
        for (size_t j = 0; j < nx / N; j++)
            s_err = fmax(s_err, fabs(so[j] - s[i * (nx / N) + j])), s_scale = fmax(s_scale, fabs(so[j]));
    }
    print_message("# saliency: engine vs float64 oracle, max relative error %.2g (tolerance 1e-4)\n", s_err / s_scale);
    assert_true(s_err / s_scale < 1e-4);

    /* dL/dtheta: float64 central differences of the oracle's loss */
    double worst = 0;
    int compared = 0;
    for (int p = 0; p < np; p++) {
        size_t n = params[p]->count;
        float *g = malloc(n * 4);
        ph_dev_download(be, g, params[p]->g, n);
        double err = 0, scale = 1e-30;
        for (size_t i = 0; i < n; i++) {
            double keep = o.p[p][i], hstep = 1e-6;
            o.p[p][i] = keep + hstep;
            double lp = oracle_loss(&o, x, target);
            o.p[p][i] = keep - hstep;
            double lm = oracle_loss(&o, x, target);
            o.p[p][i] = keep;
            double fd = (lp - lm) / (2 * hstep);
            err = fmax(err, fabs(fd - g[i])), scale = fmax(scale, fabs(fd));
            compared++;
        }
        print_message("# tensor %d (%zu values): max |engine - oracle| / max |oracle| = %.2g (tolerance 1e-3)\n",
                      p, n, err / scale);
        worst = fmax(worst, err / scale);
        free(g);
    }
    print_message("# %d parameter derivatives of the saliency loss compared\n", compared);
    assert_true(worst < 1e-3);
    /* and the input was restored */
    float *after = malloc(nx * 4);
    ph_dev_download(be, after, m->x, nx);
    assert_memory_equal(after, xf, nx * 4);
    free(after), free(x), free(target), free(xf), free(s), free(v);
    be->free(vd);
    for (int p = 0; p < np; p++) free(o.p[p]);
    m->def->destroy(m);
}

/* Frozen ReLU gates (relu_freeze.c): the two perturbed passes run the network linearised
 * at x, so for a ReLU network without smooth parts the difference quotient is exact for
 * any eps (a step of 10% of the input range and one of 0.1% give the same gradient), and
 * a bias, which cannot change a linearised network's input gradient, gets none.  Without
 * the freeze, the larger step flips many units and the two differ by O(1). */
static void test_frozen_gates_make_the_difference_exact(void **state)
{
    (void)state;
    enum { FN = 4, FC = 3, FH = 16, FW = 16 };
    const ph_backend *be = &ph_backend_cpu;
    ph_model_geometry geo = {FN, 1, FH, FW, FC, 1, 7, MPI_COMM_SELF};
    ph_model *m = ph_model_create_text("resnet", "[resnet]\ndepth = 10\nwidth = 4\nstem = small\nnorm = none\n", be, &geo);
    ph_param *params[256];
    const int np = m->def->params(m, params, 256);
    const size_t nx = ph_model_input_count(m);
    uint8_t *x8 = malloc(nx);
    float *v = malloc(nx * 4), w[FN] = {1, -1, 1, -1};
    ph_rng r;
    ph_rng_init(&r, 9, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < nx; i++) x8[i] = (uint8_t)ph_rng_below(&r, 256), v[i] = (float)(ph_rng_uniform(&r) - 0.5);
    ph_model_load(m, x8);
    float *vd = ph_dev_alloc(be, nx);
    ph_dev_upload(be, vd, v, nx);
    float *g[2][256];
    const float eps[2] = {0.2f, 0.002f}; /* |v| <= 0.5: steps of 10% and 0.1% of the input range */
    for (int k = 0; k < 2; k++) {
        m->def->forward(m, 1);
        ph_params_zero_grad(params, np);
        ph_model_input_grad_loss_backward(m, w, vd, eps[k], 1.0f, 1);
        assert_int_equal(ph_relu_freeze_get(), PH_RELU_LIVE);
        for (int p = 0; p < np; p++) {
            g[k][p] = malloc(params[p]->count * 4);
            ph_dev_download(be, g[k][p], params[p]->g, params[p]->count);
        }
    }
    double big = 1e-30, err = 0, bias = 0;
    for (int p = 0; p < np; p++)
        for (size_t i = 0; i < params[p]->count; i++) big = fmax(big, fabs(g[1][p][i]));
    for (int p = 0; p < np; p++)
        for (size_t i = 0; i < params[p]->count; i++) {
            err = fmax(err, fabs(g[0][p][i] - g[1][p][i]));
            if (p % 2) bias = fmax(bias, fabs(g[1][p][i])); /* conv and linear biases: odd tensors */
        }
    print_message("# frozen gates: gradients at eps 0.2 and 0.002 differ by %.2g of the largest; biases %.2g "
                  "(tolerances 2e-3, 1e-3)\n", err / big, bias / big);
    assert_true(err / big < 2e-3);
    assert_true(bias / big < 1e-3);
    for (int k = 0; k < 2; k++)
        for (int p = 0; p < np; p++) free(g[k][p]);
    free(x8), free(v);
    be->free(vd);
    m->def->destroy(m);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_gradient_loss_against_float64_oracle),
        cmocka_unit_test(test_frozen_gates_make_the_difference_exact),
    };
    int failed = cmocka_run_group_tests_name("saliency", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
