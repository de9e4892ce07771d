/* test_harmonize.c: the harmonization loss (common/harmonize, harmonization.md
 * §1 steps 3-8).
 *   - the two saliency forms on a hand case;
 *   - standardize_cut on a hand case;
 *   - the Gaussian pyramid against a direct computation (explicitly padded
 *     arrays, TF SAME: even sizes 1 before / 2 after, odd 2 / 2) and an
 *     impulse that tells TF's padding from the engine blur's symmetric 2;
 *   - the pyramid step's backward is its adjoint;
 *   - the loss against an independent float64 implementation written here
 *     (levels 5 and 6, tokens, batch divisor), and its gradient against
 *     float64 central differences of that implementation;
 *   - Must show 1: end to end on a small ReLU CNN built with the engine
 *     (cnn3d with one frame: two strided 3x3 convolutions, ReLU, global mean,
 *     a linear layer of 3 logits): the engine's parameter gradient of the
 *     harmonization loss on the true-class saliency (saliency.h train form
 *     -> loss backward -> ph_model_input_grad_loss_backward) against float64
 *     central differences of the whole loss computed by a float64 copy of the
 *     network whose input gradient is derived by hand. */
#include "core/rng.h"
#include "harmonize/loss.h"
#include "harmonize/saliency.h"
#include "models/model.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka's assert_float_equal compares in single precision; this is double. */
#define assert_near(a, b, tol)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b), t_ = (tol);                                                 \
        if (!(fabs(a_ - b_) <= t_)) fail_msg("%s = %.17g, %s = %.17g, tolerance %g", #a, a_, #b, b_, t_); \
    } while (0)

/* ---- a float64 oracle of the loss, written from the notes without loss.c ---- */

static const double tap[5] = {1, 4, 6, 4, 1};

/* One level by an explicitly padded copy and a plain 5x5 window at stride 2. */
static void naive_down(const double *x, int h, int w, double *y, int *oh, int *ow)
{
    int bh = h % 2 ? 2 : 1, bw = w % 2 ? 2 : 1; /* TF SAME, 5 taps, stride 2 */
    int ph = h + bh + 2, pw = w + bw + 2;
    double *p = calloc((size_t)ph * pw, sizeof *p);
    assert_non_null(p);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) p[(size_t)(i + bh) * pw + j + bw] = x[(size_t)i * w + j];
    *oh = (h + 1) / 2, *ow = (w + 1) / 2;
    for (int r = 0; r < *oh; r++)
        for (int c = 0; c < *ow; c++) {
            double s = 0;
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 5; b++) s += tap[a] * tap[b] / 256.0 * p[(size_t)(2 * r + a) * pw + 2 * c + b];
            y[(size_t)r * *ow + c] = s;
        }
    free(p);
}

static void naive_standardize_cut(const double *x, int n, double *y)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i] / n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m) / n;
    for (int i = 0; i < n; i++) y[i] = fmax(0, (x[i] - m) / (sqrt(v) + 1e-5));
}

/* The loss of loss.h for maps [n, h, w]; `scale` [n] is the human map's
 * rescale factor (max s' + 1e-6) / (max h + 1e-6): computed here when
 * `fixed` is NULL, else taken from it (the package stops its gradient, so a
 * finite difference must hold it constant). */
static double oracle_harm_loss(const double *sal, const double *hum, const double *token, int n, int h,
                               int w, int batch, int levels, const double *fixed, double *scale)
{
    int hw = h * w;
    double *ps = malloc(sizeof(double) * hw), *ph = malloc(sizeof(double) * hw);
    double *ts = malloc(sizeof(double) * hw), *th = malloc(sizeof(double) * hw);
    double level[16] = {0};
    int ls[16];
    for (int b = 0; b < n; b++) {
        naive_standardize_cut(sal + b * hw, hw, ps);
        naive_standardize_cut(hum + b * hw, hw, ph);
        double smax = -1, hmax = -1;
        for (int i = 0; i < hw; i++) smax = fmax(smax, ps[i]), hmax = fmax(hmax, ph[i]);
        double f = fixed ? fixed[b] : (smax + 1e-6) / (hmax + 1e-6);
        if (scale) scale[b] = f;
        for (int i = 0; i < hw; i++) ph[i] *= f;
        int ch = h, cw = w;
        for (int k = 0; k < levels; k++) {
            if (k) {
                int oh, ow;
                naive_down(ps, ch, cw, ts, &oh, &ow);
                naive_down(ph, ch, cw, th, &oh, &ow);
                memcpy(ps, ts, sizeof(double) * oh * ow), memcpy(ph, th, sizeof(double) * oh * ow);
                ch = oh, cw = ow;
            }
            ls[k] = ch * cw;
            for (int i = 0; i < ch * cw; i++) level[k] += token[b] * (ps[i] - ph[i]) * (ps[i] - ph[i]);
        }
    }
    double total = 0;
    for (int k = 0; k < levels; k++) total += level[k] / ((double)batch * ls[k]) / levels;
    free(ps), free(ph), free(ts), free(th);
    return total;
}

/* ---- saliency and pieces ---- */

static void test_saliency_forms_hand_case(void **state)
{
    (void)state;
    /* one image, 3 channels, 2 pixels */
    const float g[6] = {1, -2, /* c0 */ 2, 1, /* c1 */ -6, 0.5f /* c2 */};
    float train[2], eval[2], dg[6], dmap[2] = {3, -6};
    ph_saliency_reduce(PH_SALIENCY_TRAIN, g, 1, 3, 2, train);
    ph_saliency_reduce(PH_SALIENCY_EVAL, g, 1, 3, 2, eval);
    print_message("# train form %g %g (want -1, -0.1667); eval form %g %g (want 6, 2)\n", train[0], train[1],
                  eval[0], eval[1]);
    assert_near(train[0], -1.0f, 1e-6);
    assert_near(train[1], -0.5f / 3, 1e-6);
    assert_near(eval[0], 6.0f, 0);
    assert_near(eval[1], 2.0f, 0);
    ph_saliency_train_backward(dmap, 1, 3, 2, dg);
    for (int k = 0; k < 3; k++) {
        assert_near(dg[k * 2], 1.0f, 1e-6);
        assert_near(dg[k * 2 + 1], -2.0f, 1e-6);
    }
    assert_int_equal(ph_saliency_find("eval"), PH_SALIENCY_EVAL);
    assert_int_equal(ph_saliency_find("abs"), -1);
}

static void test_standardize_cut_hand_case(void **state)
{
    (void)state;
    const double x[4] = {1, 2, 3, 4};
    double y[4], z[4], m, s;
    ph_harm_standardize_cut(x, 4, y, z, &m, &s);
    /* mean 2.5, population std sqrt(1.25) (ddof 1 would give sqrt(5/3)) */
    double d = sqrt(1.25) + 1e-5;
    print_message("# standardize_cut(1 2 3 4) = %.6f %.6f %.6f %.6f\n", y[0], y[1], y[2], y[3]);
    assert_near(m, 2.5, 1e-15);
    assert_near(s, sqrt(1.25), 1e-15);
    assert_near(y[0], 0, 0);
    assert_near(y[1], 0, 0);
    assert_near(y[2], 0.5 / d, 1e-15);
    assert_near(y[3], 1.5 / d, 1e-15);
    assert_near(z[0], -1.5 / d, 1e-15);
}

static void test_pyramid_against_direct(void **state)
{
    (void)state;
    ph_rng r;
    ph_rng_init(&r, 11, PH_STREAM_CONTENT, 0, 0);
    const int sizes[][2] = {{8, 6}, {7, 5}, {10, 9}, {1, 1}, {2, 3}};
    double worst = 0;
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int h = sizes[t][0], w = sizes[t][1], oh, ow;
        double x[100], y[100], yn[100];
        for (int i = 0; i < h * w; i++) x[i] = ph_rng_uniform(&r) - 0.3;
        ph_harm_pyramid_down(x, h, w, y);
        naive_down(x, h, w, yn, &oh, &ow);
        assert_int_equal(ph_harm_pyramid_next(h), oh);
        assert_int_equal(ph_harm_pyramid_next(w), ow);
        for (int i = 0; i < oh * ow; i++) worst = fmax(worst, fabs(y[i] - yn[i]));
    }
    print_message("# pyramid step vs explicitly padded direct computation: max |diff| %.2g\n", worst);
    assert_true(worst < 1e-14);
    /* an impulse at (0, 0) of a 4 x 4 map: TF SAME puts it under tap 1 of
     * output (0, 0), (4/16)^2; symmetric padding 2 would give (6/16)^2 */
    double imp[16] = {1}, out[4];
    ph_harm_pyramid_down(imp, 4, 4, out);
    print_message("# impulse: level-1 (0,0) = %g (TF SAME 0.0625; pad-2 blur 0.140625)\n", out[0]);
    assert_near(out[0], 1.0 / 16, 1e-15);
    assert_near(out[1], 0, 0); /* output column 1 starts at input column 1 */
    /* ClickMe's 224: levels 224 112 56 28 14 (7 only with levels = 6) */
    ph_harm_loss l;
    ph_harm_loss_init(&l, 1, 224, 224, 1, 6, PH_HARM_RESCALE_PACKAGE);
    const int want[6] = {224, 112, 56, 28, 14, 7};
    for (int k = 0; k < 6; k++) assert_int_equal(l.lh[k], want[k]), assert_int_equal(l.lw[k], want[k]);
    ph_harm_loss_free(&l);
}

static void test_pyramid_backward_is_adjoint(void **state)
{
    (void)state;
    ph_rng r;
    ph_rng_init(&r, 12, PH_STREAM_CONTENT, 0, 0);
    const int sizes[][2] = {{8, 6}, {7, 5}, {3, 2}};
    for (size_t t = 0; t < 3; t++) {
        int h = sizes[t][0], w = sizes[t][1], oh = (h + 1) / 2, ow = (w + 1) / 2;
        double x[64], y[64], dy[64], dx[64] = {0}, a = 0, b = 0;
        for (int i = 0; i < h * w; i++) x[i] = ph_rng_uniform(&r) - 0.5;
        for (int i = 0; i < oh * ow; i++) dy[i] = ph_rng_uniform(&r) - 0.5;
        ph_harm_pyramid_down(x, h, w, y);
        ph_harm_pyramid_down_backward(dy, h, w, dx);
        for (int i = 0; i < oh * ow; i++) a += y[i] * dy[i];
        for (int i = 0; i < h * w; i++) b += x[i] * dx[i];
        print_message("# %dx%d: <down x, dy> = %.15f, <x, down^T dy> = %.15f\n", h, w, a, b);
        assert_near(a, b, 1e-13);
    }
}

/* ---- the loss on maps ---- */

enum { LN = 3, LH = 10, LW = 9 };

static void random_maps(ph_rng *r, float *sal, float *hum, double *sd, double *hd)
{
    for (int i = 0; i < LN * LH * LW; i++) {
        sal[i] = (float)(ph_rng_uniform(r) - 0.5) * 0.01f; /* saliency-like small values */
        hum[i] = (float)ph_rng_uniform(r);
        sd[i] = sal[i], hd[i] = hum[i];
    }
}

static void test_loss_against_float64_oracle(void **state)
{
    (void)state;
    ph_rng r;
    ph_rng_init(&r, 13, PH_STREAM_CONTENT, 0, 0);
    float sal[LN * LH * LW], hum[LN * LH * LW];
    double sd[LN * LH * LW], hd[LN * LH * LW];
    random_maps(&r, sal, hum, sd, hd);
    const float tokf[LN] = {1, 0, 1};
    const double tok[LN] = {1, 0, 1};
    double got[2];
    for (int levels = 5; levels <= 6; levels++) {
        ph_harm_loss l;
        ph_harm_loss_init(&l, LN, LH, LW, 4, levels, PH_HARM_RESCALE_PACKAGE);
        double v = ph_harm_loss_forward(&l, sal, hum, tokf);
        double o = oracle_harm_loss(sd, hd, tok, LN, LH, LW, 4, levels, NULL, NULL);
        print_message("# levels %d, tokens 1 0 1, divisor 4: loss %.12f, float64 oracle %.12f\n", levels, v, o);
        assert_near(v, o, 1e-12 * fabs(o));
        got[levels - 5] = v;
        ph_harm_loss_free(&l);
    }
    assert_true(fabs(got[0] - got[1]) > 1e-6); /* the levels choice matters */
    /* the old TPU code's rescale: h / (relu(max h) + 1e-4) * max s' */
    double fixed[LN], cs[LN * LH * LW], ch[LN * LH * LW];
    for (int b = 0; b < LN; b++) {
        naive_standardize_cut(sd + b * LH * LW, LH * LW, cs);
        naive_standardize_cut(hd + b * LH * LW, LH * LW, ch);
        double smax = 0, hmax = 0;
        for (int i = 0; i < LH * LW; i++) smax = fmax(smax, cs[i]), hmax = fmax(hmax, ch[i]);
        fixed[b] = smax / (hmax + 1e-4);
    }
    ph_harm_loss lt;
    ph_harm_loss_init(&lt, LN, LH, LW, 4, 5, PH_HARM_RESCALE_TPU);
    double vt = ph_harm_loss_forward(&lt, sal, hum, tokf), ot = oracle_harm_loss(sd, hd, tok, LN, LH, LW, 4, 5, fixed, NULL);
    print_message("# TPU rescale: loss %.12f, float64 oracle %.12f\n", vt, ot);
    assert_near(vt, ot, 1e-12 * fabs(ot));
    assert_true(fabs(vt - got[0]) > 1e-9);
    ph_harm_loss_free(&lt);
    /* token 0 removes a sample: changing its maps changes nothing */
    ph_harm_loss l;
    ph_harm_loss_init(&l, LN, LH, LW, 4, 5, PH_HARM_RESCALE_PACKAGE);
    for (int i = LH * LW; i < 2 * LH * LW; i++) sal[i] *= -3;
    assert_near(ph_harm_loss_forward(&l, sal, hum, tokf), got[0], 1e-15 * got[0]);
    ph_harm_loss_free(&l);
}

static void test_loss_gradient_against_float64_differences(void **state)
{
    (void)state;
    ph_rng r;
    ph_rng_init(&r, 14, PH_STREAM_CONTENT, 0, 0);
    float sal[LN * LH * LW], hum[LN * LH * LW], dsal[LN * LH * LW];
    double sd[LN * LH * LW], hd[LN * LH * LW], scale[LN];
    random_maps(&r, sal, hum, sd, hd);
    const float tokf[LN] = {1, 0, 1};
    const double tok[LN] = {1, 0, 1};
    ph_harm_loss l;
    ph_harm_loss_init(&l, LN, LH, LW, LN, PH_HARM_LEVELS_DEFAULT, PH_HARM_RESCALE_PACKAGE);
    ph_harm_loss_forward(&l, sal, hum, tokf);
    ph_harm_loss_backward(&l, dsal);
    oracle_harm_loss(sd, hd, tok, LN, LH, LW, LN, 5, NULL, scale);
    double err = 0, big = 0;
    for (int i = 0; i < LN * LH * LW; i++) {
        double keep = sd[i], hstep = 1e-9;
        sd[i] = keep + hstep;
        double lp = oracle_harm_loss(sd, hd, tok, LN, LH, LW, LN, 5, scale, NULL);
        sd[i] = keep - hstep;
        double lm = oracle_harm_loss(sd, hd, tok, LN, LH, LW, LN, 5, scale, NULL);
        sd[i] = keep;
        double fd = (lp - lm) / (2 * hstep);
        err = fmax(err, fabs(fd - dsal[i])), big = fmax(big, fabs(fd));
        if (i >= LH * LW && i < 2 * LH * LW) assert_near(dsal[i], 0, 0); /* token 0 */
    }
    print_message("# dLoss/dsaliency: max |loss.c - float64 differences| / max |differences| = %.2g "
                  "(tolerance 1e-5; max %.3g)\n", err / big, big);
    assert_true(big > 0);
    assert_true(err / big < 1e-5);
    ph_harm_loss_free(&l);
}

/* ---- Must show 1: end to end through the engine ---- */

enum { N = 3, C = 3, H = 10, W = 10, WIDTH = 2, OUT = 3 };

typedef struct {
    int c, o, h, w, oh, ow;
} conv_geo;

static void geo_init(conv_geo *g, int c, int o, int h, int w)
{
    g->c = c, g->o = o, g->h = h, g->w = w, g->oh = (h - 1) / 2 + 1, g->ow = (w - 1) / 2 + 1;
}

/* A 3x3x3 kernel on one frame with time padding 1 sees only its middle time
 * slice (index 1); space: stride 2, padding 1. */
static double wk(const double *w, const conv_geo *g, int o, int c, int i, int j)
{
    return w[(((o * g->c + c) * 3 + 1) * 3 + i) * 3 + j];
}

static void conv_fwd(const conv_geo *g, const double *x, const double *w, const double *b, double *y)
{
    for (int o = 0; o < g->o; o++)
        for (int p = 0; p < g->oh; p++)
            for (int q = 0; q < g->ow; q++) {
                double s = b[o];
                for (int c = 0; c < g->c; c++)
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++) {
                            int u = 2 * p - 1 + i, v = 2 * q - 1 + j;
                            if (u >= 0 && v >= 0 && u < g->h && v < g->w) s += wk(w, g, o, c, i, j) * x[(c * g->h + u) * g->w + v];
                        }
                y[(o * g->oh + p) * g->ow + q] = s;
            }
}

static void conv_bwd_data(const conv_geo *g, const double *dy, const double *w, double *dx)
{
    memset(dx, 0, sizeof(double) * g->c * g->h * g->w);
    for (int o = 0; o < g->o; o++)
        for (int p = 0; p < g->oh; p++)
            for (int q = 0; q < g->ow; q++)
                for (int c = 0; c < g->c; c++)
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++) {
                            int u = 2 * p - 1 + i, v = 2 * q - 1 + j;
                            if (u >= 0 && v >= 0 && u < g->h && v < g->w)
                                dx[(c * g->h + u) * g->w + v] += dy[(o * g->oh + p) * g->ow + q] * wk(w, g, o, c, i, j);
                        }
}

/* parameters in the model's order: w1 b1 w2 b2 fc_w [OUT, 2 WIDTH] fc_b */
typedef struct {
    double *p[6];
} net64;

/* d logit[label] / dx of one image [C, H, W] */
static void net64_saliency(const net64 *o, const double *x, int label, double *g)
{
    conv_geo g1, g2;
    geo_init(&g1, C, WIDTH, H, W);
    geo_init(&g2, WIDTH, 2 * WIDTH, g1.oh, g1.ow);
    int n1 = WIDTH * g1.oh * g1.ow, n2 = 2 * WIDTH * g2.oh * g2.ow, sp2 = g2.oh * g2.ow;
    double y1[256], y2[256], d2[256], d1[256];
    conv_fwd(&g1, x, o->p[0], o->p[1], y1);
    for (int i = 0; i < n1; i++) y1[i] = fmax(y1[i], 0);
    conv_fwd(&g2, y1, o->p[2], o->p[3], y2);
    for (int i = 0; i < n2; i++) d2[i] = y2[i] > 0 ? o->p[4][label * 2 * WIDTH + i / sp2] / sp2 : 0;
    conv_bwd_data(&g2, d2, o->p[2], d1);
    for (int i = 0; i < n1; i++) d1[i] = y1[i] > 0 ? d1[i] : 0;
    conv_bwd_data(&g1, d1, o->p[0], g);
}

/* The whole harmonization loss of the float64 network (training saliency form). */
static double net64_loss(const net64 *o, const double *x, const int *label, const double *hum,
                         const double *tok, const double *fixed, double *scale)
{
    double g[C * H * W], sal[N * H * W];
    for (int b = 0; b < N; b++) {
        net64_saliency(o, x + b * C * H * W, label[b], g);
        for (int p = 0; p < H * W; p++) {
            double s = 0;
            for (int c = 0; c < C; c++) s += g[c * H * W + p];
            sal[b * H * W + p] = s / C;
        }
    }
    return oracle_harm_loss(sal, hum, tok, N, H, W, N, PH_HARM_LEVELS_DEFAULT, fixed, scale);
}

static void test_end_to_end_against_float64_oracle(void **state)
{
    (void)state;
    const ph_backend *be = &ph_backend_cpu;
    ph_model_geometry geo = {N, 1, H, W, C, OUT, 5, MPI_COMM_SELF};
    ph_model *m = ph_model_create_text("cnn3d", "[cnn3d]\nwidth = 2\nstages = 2\n", be, &geo);
    ph_param *params[16];
    int np = m->def->params(m, params, 16);
    assert_int_equal(np, 6);
    size_t nx = ph_model_input_count(m), hw = (size_t)H * W;
    assert_int_equal(nx, (size_t)N * C * hw);
    uint8_t x8[N * C * H * W];
    ph_rng r;
    ph_rng_init(&r, 15, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < nx; i++) x8[i] = (uint8_t)ph_rng_below(&r, 256);
    ph_model_load(m, x8);
    net64 o;
    for (int p = 0; p < np; p++) {
        size_t n = params[p]->count;
        float *v = malloc(n * 4);
        ph_dev_download(be, v, params[p]->w, n);
        if (p % 2) for (size_t i = 0; i < n; i++) v[i] = (float)(ph_rng_uniform(&r) - 0.3) * 0.2f; /* biases off 0 */
        ph_dev_upload(be, params[p]->w, v, n);
        o.p[p] = malloc(n * 8);
        for (size_t i = 0; i < n; i++) o.p[p][i] = v[i];
        free(v);
    }
    const int label[N] = {2, 0, 1};
    const float tokf[N] = {1, 1, 0};
    const double tok[N] = {1, 1, 0};
    float w[N * OUT] = {0}, hum[N * H * W], *xf = malloc(nx * 4);
    double *x = malloc(nx * 8), humd[N * H * W];
    for (int b = 0; b < N; b++) w[b * OUT + label[b]] = 1; /* the true-class logit */
    /* human maps: a blob per image, off centre */
    for (int b = 0; b < N; b++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double d2 = (i - 2.0 - 2 * b) * (i - 2.0 - 2 * b) + (j - 6.0 + b) * (j - 6.0 + b);
                hum[(b * H + i) * W + j] = (float)exp(-d2 / 6), humd[(b * H + i) * W + j] = hum[(b * H + i) * W + j];
            }
    ph_dev_download(be, xf, m->x, nx);
    for (size_t i = 0; i < nx; i++) x[i] = xf[i];

    /* engine: input gradient -> training saliency -> loss -> dL/dsal -> dL/dg -> dL/dtheta */
    float *g = malloc(nx * 4), *v = malloc(nx * 4), sal[N * H * W], dsal[N * H * W];
    m->want_dx = 1;
    m->def->forward(m, 1);
    ph_params_zero_grad(params, np);
    ph_model_backward_host(m, w);
    ph_dev_download(be, g, m->dx, nx);
    ph_saliency_reduce(PH_SALIENCY_TRAIN, g, N, C, hw, sal);
    ph_harm_loss l;
    ph_harm_loss_init(&l, N, H, W, N, PH_HARM_LEVELS_DEFAULT, PH_HARM_RESCALE_PACKAGE);
    double loss = ph_harm_loss_forward(&l, sal, hum, tokf);
    ph_harm_loss_backward(&l, dsal);
    ph_saliency_train_backward(dsal, N, C, hw, v);
    double vmax = 0;
    for (size_t i = 0; i < nx; i++) vmax = fmax(vmax, fabs(v[i]));
    float *vd = ph_dev_alloc(be, nx);
    ph_dev_upload(be, vd, v, nx);
    ph_params_zero_grad(params, np);
    ph_model_input_grad_loss_backward(m, w, vd, (float)(1e-3 / vmax), 1.0f, 1);

    double scale[N];
    double loss64 = net64_loss(&o, x, label, humd, tok, NULL, scale);
    print_message("# harmonization loss: engine saliency + loss.c %.9f, float64 network %.9f\n", loss, loss64);
    assert_near(loss, loss64, 1e-4 * loss64);

    /* dL/dtheta: float64 central differences of the whole loss, the human
     * maps' rescale factor held at its value (the package's stop_gradient) */
    /* errors relative to the largest derivative of all tensors: the biases'
     * derivatives are 0 (a ReLU network's input gradient does not depend on
     * them while no unit changes side) */
    double err[6] = {0}, big = 1e-30, worst = 0;
    int compared = 0;
    for (int p = 0; p < np; p++) {
        size_t n = params[p]->count;
        float *gp = malloc(n * 4);
        ph_dev_download(be, gp, params[p]->g, n);
        for (size_t i = 0; i < n; i++) {
            double keep = o.p[p][i], hstep = 1e-6;
            o.p[p][i] = keep + hstep;
            double lp = net64_loss(&o, x, label, humd, tok, scale, NULL);
            o.p[p][i] = keep - hstep;
            double lm = net64_loss(&o, x, label, humd, tok, scale, NULL);
            o.p[p][i] = keep;
            double fd = (lp - lm) / (2 * hstep);
            err[p] = fmax(err[p], fabs(fd - gp[i])), big = fmax(big, fabs(fd));
            compared++;
        }
        free(gp);
    }
    for (int p = 0; p < np; p++) {
        print_message("# tensor %d (%zu values): max |engine - oracle| / max |oracle| = %.2g (tolerance 1e-3)\n", p,
                      params[p]->count, err[p] / big);
        worst = fmax(worst, err[p] / big);
    }
    print_message("# %d parameter derivatives of the harmonization loss compared, max |oracle| %.3g\n", compared, big);
    assert_true(worst < 1e-3);
    ph_harm_loss_free(&l);
    free(xf), free(x), free(g), free(v);
    be->free(vd);
    for (int p = 0; p < np; p++) free(o.p[p]);
    m->def->destroy(m);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_saliency_forms_hand_case),
        cmocka_unit_test(test_standardize_cut_hand_case),
        cmocka_unit_test(test_pyramid_against_direct),
        cmocka_unit_test(test_pyramid_backward_is_adjoint),
        cmocka_unit_test(test_loss_against_float64_oracle),
        cmocka_unit_test(test_loss_gradient_against_float64_differences),
        cmocka_unit_test(test_end_to_end_against_float64_oracle),
    };
    int failed = cmocka_run_group_tests_name("harmonize", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
