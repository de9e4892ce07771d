/* test_featvis.c: the image parameterisations of feature visualisation on the
 * CPU backend.  The MACO forward pass (phase -> standardise -> spectrum ->
 * inverse FFT -> standardise -> recolour -> sigmoid) against an independent
 * float64 implementation with a naive DFT; the gradient of every
 * parameterisation against central finite differences; crop_and_resize
 * against float64 and its adjoint; NAdam against PyTorch's update in double. */
#include "fft/fft.h"
#include "fft/imageparam.h"
#include "fft/spectrum.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const ph_backend *cpu = &ph_backend_cpu;
static char why[512];

#define OK(call)                                   \
    do {                                           \
        int rc_ = (call);                          \
        if (rc_) print_message("# %s\n", why);     \
        assert_int_equal(rc_, 0);                  \
    } while (0)

static unsigned lcg(unsigned *s) { return *s = *s * 1664525u + 1013904223u; }
static void fill(float *v, size_t n, unsigned seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)((lcg(&seed) >> 8) * (1.0 / 16777216.0));
}

static const double EPS = 1e-4; /* Horama's standardisation epsilon */

/* (v - mean) / (sd + eps), sd unbiased, in double. */
static void std_ref(double *v, size_t n)
{
    double m = 0, ss = 0;
    for (size_t i = 0; i < n; i++) m += v[i];
    m /= n;
    for (size_t i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
    double sd = sqrt(ss / (n - 1));
    for (size_t i = 0; i < n; i++) v[i] = (v[i] - m) / (sd + EPS);
}

/* irfft2 of one plane with the Hermitian projection of columns 0 and w/2, in double. */
static void c2r_ref(const double *re, const double *im, int h, int w, double *x)
{
    const int wc = w / 2 + 1;
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++) {
            double s = 0;
            for (int ky = 0; ky < h; ky++)
                for (int kx = 0; kx < w; kx++) {
                    double a, b;
                    int m = (h - ky) % h;
                    if (kx == 0 || (w % 2 == 0 && kx == w / 2))
                        a = 0.5 * (re[ky * wc + kx] + re[m * wc + kx]), b = 0.5 * (im[ky * wc + kx] - im[m * wc + kx]);
                    else if (kx < wc)
                        a = re[ky * wc + kx], b = im[ky * wc + kx];
                    else
                        a = re[m * wc + w - kx], b = -im[m * wc + w - kx];
                    double t = 2 * M_PI * ((double)ky * y / h + (double)kx * xx / w);
                    s += a * cos(t) - b * sin(t);
                }
            x[y * w + xx] = s / ((double)h * w);
        }
}

static void test_maco_oracle(void **state)
{
    (void)state;
    enum { C = 3, S = 8, WC = S / 2 + 1, NS = C * S * WC, NI = C * S * S };
    float mag[NS], w[NS], x[NI];
    fill(mag, NS, 1, 0.1f, 2.0f);
    ph_fvis p;
    ph_fvis_init(&p, cpu, PH_FVIS_MACO, C, S, mag, 1.0, EPS, 1);
    ph_fvis_reset(&p, 5, 0);
    ph_fvis_forward(&p);
    memcpy(w, p.w, sizeof w), memcpy(x, p.x, sizeof x);
    double ph[NS], re[NS], im[NS], img[NI];
    for (int i = 0; i < NS; i++) ph[i] = w[i];
    std_ref(ph, NS);
    for (int i = 0; i < NS; i++) re[i] = mag[i] * cos(ph[i]), im[i] = mag[i] * sin(ph[i]);
    for (int c = 0; c < C; c++) c2r_ref(re + c * S * WC, im + c * S * WC, S, S, img + c * S * S);
    std_ref(img, NI);
    double err = 0;
    for (int p2 = 0; p2 < S * S; p2++)
        for (int c = 0; c < C; c++) {
            double v = 0;
            for (int k = 0; k < C; k++) v += img[k * S * S + p2] * ph_colour_R[k][c];
            err = fmax(err, fabs(1 / (1 + exp(-v)) - x[c * S * S + p2]));
        }
    print_message("# maco forward against float64 (naive DFT): max error %.2e (tolerance 1e-5)\n", err);
    assert_true(err < 1e-5);
    ph_fvis_free(&p);
}

/* max |fd - g| / max |g| of L = sum(r x) over the parameters (central differences). */
static double grad_error(ph_fvis *p, const float *r, double h, double *gmax)
{
    const size_t ni = (size_t)p->c * p->s * p->s;
    ph_fvis_forward(p);
    ph_fvis_backward(p, r);
    float *g = malloc(p->count * sizeof *g);
    memcpy(g, p->g, p->count * sizeof *g);
    double err = 0, scale = 1e-12;
    for (size_t i = 0; i < p->count; i++) {
        float keep = p->w[i];
        double l[2];
        for (int side = 0; side < 2; side++) {
            p->w[i] = keep + (float)(side ? -h : h);
            ph_fvis_forward(p);
            l[side] = 0;
            for (size_t j = 0; j < ni; j++) l[side] += (double)r[j] * p->x[j];
        }
        p->w[i] = keep;
        double fd = (l[0] - l[1]) / (2 * h);
        err = fmax(err, fabs(fd - g[i])), scale = fmax(scale, fabs(g[i]));
    }
    free(g);
    *gmax = scale;
    return err / scale;
}

static void test_gradients(void **state)
{
    (void)state;
    const int cs[] = {1, 3}, ss[] = {6, 7, 8};
    for (int kind = 0; kind < PH_FVIS_COUNT; kind++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++) {
                const int c = cs[a], s = ss[b];
                const size_t ns = (size_t)c * s * (s / 2 + 1), ni = (size_t)c * s * s;
                float *mag = malloc(ns * 4), *r = malloc(ni * 4);
                fill(mag, ns, 7 + b, 0.2f, 2.0f);
                fill(r, ni, 17 + a + b, -1, 1);
                ph_fvis p;
                ph_fvis_init(&p, cpu, (ph_fvis_kind)kind, c, s, mag, 1.0, EPS, 1);
                ph_fvis_reset(&p, 3, (uint32_t)(kind * 10 + a * 3 + b));
                double gmax, e = grad_error(&p, r, 1e-2, &gmax);
                print_message("# %s C=%d S=%d: %zu parameters, max |g| %.3g, finite-difference error %.2e "
                              "relative (tolerance 2e-3)\n", ph_fvis_names[kind], c, s, p.count, gmax, e);
                assert_true(e < 2e-3);
                ph_fvis_free(&p);
                free(mag), free(r);
            }
}

/* The check can fail: a gradient with the column weights of fft_c2r_backward
 * replaced by 1 everywhere is caught. */
static void test_gradient_check_can_fail(void **state)
{
    (void)state;
    enum { C = 1, S = 8, NS = C * S * (S / 2 + 1), NI = C * S * S };
    float mag[NS], r[NI];
    fill(mag, NS, 3, 0.2f, 2.0f), fill(r, NI, 4, -1, 1);
    ph_fvis p;
    ph_fvis_init(&p, cpu, PH_FVIS_FOURIER, C, S, mag, 1.0, EPS, 1);
    ph_fvis_reset(&p, 1, 1);
    ph_fvis_forward(&p);
    ph_fvis_backward(&p, r);
    /* halve the gradient of the interior columns: what a missing factor 2 would do */
    for (int i = 0; i < NS; i++)
        if (i % (S / 2 + 1) != 0 && i % (S / 2 + 1) != S / 2) p.g[i] *= 0.5f, p.g[NS + i] *= 0.5f;
    float *g = malloc(sizeof(float) * 2 * NS);
    memcpy(g, p.g, sizeof(float) * 2 * NS);
    double err = 0;
    for (int i = 0; i < 2 * NS; i++) {
        float keep = p.w[i];
        double l[2];
        for (int side = 0; side < 2; side++) {
            p.w[i] = keep + (side ? -0.01f : 0.01f);
            ph_fvis_forward(&p);
            l[side] = 0;
            for (int j = 0; j < NI; j++) l[side] += (double)r[j] * p.x[j];
        }
        p.w[i] = keep;
        err = fmax(err, fabs((l[0] - l[1]) / 0.02 - g[i]));
    }
    assert_true(err > 1e-3);
    free(g);
    ph_fvis_free(&p);
}

/* The parameters are a pure function of (seed, run); another run differs. */
static void test_reset(void **state)
{
    (void)state;
    float mag[3 * 8 * 5];
    fill(mag, sizeof mag / 4, 1, 0.1f, 1);
    ph_fvis a, b;
    ph_fvis_init(&a, cpu, PH_FVIS_MACO, 3, 8, mag, 1, EPS, 1);
    ph_fvis_init(&b, cpu, PH_FVIS_MACO, 3, 8, mag, 1, EPS, 1);
    ph_fvis_reset(&a, 9, 2), ph_fvis_reset(&b, 9, 2);
    assert_memory_equal(a.w, b.w, a.count * 4);
    ph_fvis_reset(&b, 9, 3);
    assert_memory_not_equal(a.w, b.w, a.count * 4);
    double m = 0, v = 0;
    for (size_t i = 0; i < a.count; i++) m += a.w[i], v += (double)a.w[i] * a.w[i];
    m /= a.count, v = v / a.count - m * m;
    assert_true(fabs(m) < 0.2 && fabs(v - 1) < 0.25); /* N(0, 1), 120 draws */
    ph_fvis_free(&a), ph_fvis_free(&b);
}

/* ---- crop_and_resize ---- */

static double crop_src_ref(double a, double b, int in, int out, int o)
{
    double p = out > 1 ? a * (in - 1) + o * (b - a) * (in - 1) / (out - 1) : 0.5 * (a + b) * (in - 1);
    return p < 0 || p > in - 1 ? -1 : p;
}

static void test_crop_resize(void **state)
{
    (void)state;
    enum { P = 2, H = 9, W = 11, NB = 4, OH = 7, OW = 5 };
    const float boxes[4 * NB] = {0.1f, 0.2f, 0.6f, 0.9f, -0.2f, -0.1f, 0.5f, 0.4f, 0.3f, 0.3f, 1.3f, 1.1f,
                                 0.0f, 0.0f, 1.0f, 1.0f};
    float x[P * H * W], y[NB * P * OH * OW], r[NB * P * OH * OW], g[P * H * W];
    fill(x, P * H * W, 2, -1, 1), fill(r, NB * P * OH * OW, 3, -1, 1);
    OK(cpu->crop_resize_forward(x, y, P, H, W, boxes, NB, OH, OW, why, sizeof why));
    double err = 0;
    int zeros = 0;
    for (int b = 0; b < NB; b++)
        for (int p = 0; p < P; p++)
            for (int i = 0; i < OH; i++)
                for (int j = 0; j < OW; j++) {
                    const float *bx = boxes + 4 * b;
                    double sy = crop_src_ref(bx[0], bx[2], H, OH, i), sx = crop_src_ref(bx[1], bx[3], W, OW, j), v = 0;
                    if (sy >= 0 && sx >= 0) {
                        int y0 = (int)floor(sy), x0 = (int)floor(sx), y1 = y0 + (y0 < H - 1), x1 = x0 + (x0 < W - 1);
                        double ly = sy - y0, lx = sx - x0;
                        const float *q = x + p * H * W;
                        v = (1 - ly) * ((1 - lx) * q[y0 * W + x0] + lx * q[y0 * W + x1]) +
                            ly * ((1 - lx) * q[y1 * W + x0] + lx * q[y1 * W + x1]);
                    } else {
                        zeros++;
                    }
                    err = fmax(err, fabs(v - y[((b * P + p) * OH + i) * OW + j]));
                }
    print_message("# crop_resize forward: max error %.2e against float64 (%d outputs outside the image)\n",
                  err, zeros);
    assert_true(err < 1e-5 && zeros > 0);
    /* The full box [0, 1] reproduces the image at the same size. */
    float full[P * H * W];
    OK(cpu->crop_resize_forward(x, full, P, H, W, boxes + 12, 1, H, W, why, sizeof why));
    for (int i = 0; i < P * H * W; i++) assert_float_equal(full[i], x[i], 1e-5);
    /* Adjoint: <crop(x), r> = <x, crop'(r)>. */
    OK(cpu->crop_resize_backward(r, g, P, H, W, boxes, NB, OH, OW, why, sizeof why));
    double lhs = 0, rhs = 0;
    for (int i = 0; i < NB * P * OH * OW; i++) lhs += (double)y[i] * r[i];
    for (int i = 0; i < P * H * W; i++) rhs += (double)x[i] * g[i];
    print_message("# crop_resize adjoint: %.9g against %.9g\n", lhs, rhs);
    assert_true(fabs(lhs - rhs) < 1e-5 * (1 + fabs(lhs)));
}

/* ---- NAdam ---- */

static void test_nadam(void **state)
{
    (void)state;
    enum { N = 50, T = 12 };
    float w[N], g[N], m[N] = {0}, v[N] = {0};
    double rw[N], rm[N] = {0}, rv[N] = {0}, mu_prod = 1;
    fill(w, N, 1, -1, 1);
    for (int i = 0; i < N; i++) rw[i] = w[i];
    ph_nadam o = ph_nadam_default(0.5);
    for (int t = 1; t <= T; t++) {
        fill(g, N, 100 + t, -1, 1);
        ph_nadam_step(&o, cpu, w, g, m, v, N);
        /* torch.optim.NAdam, single tensor, no weight decay */
        double mu = 0.9 * (1 - 0.5 * pow(0.96, t * 4e-3)), mun = 0.9 * (1 - 0.5 * pow(0.96, (t + 1) * 4e-3));
        mu_prod *= mu;
        for (int i = 0; i < N; i++) {
            rm[i] = 0.9 * rm[i] + 0.1 * g[i];
            rv[i] = 0.999 * rv[i] + 0.001 * (double)g[i] * g[i];
            double d = sqrt(rv[i] / (1 - pow(0.999, t))) + 1e-8;
            rw[i] -= 0.5 * (1 - mu) / (1 - mu_prod) * g[i] / d;
            rw[i] -= 0.5 * mun / (1 - mu_prod * mun) * rm[i] / d;
        }
    }
    double err = 0, big = 0;
    for (int i = 0; i < N; i++) err = fmax(err, fabs(rw[i] - w[i])), big = fmax(big, fabs(rw[i]));
    /* float32 steps of about lr each: roundoff grows with |w| and the step count */
    print_message("# NAdam, %d steps of lr 0.5: max difference %.2e from the float64 update, max |w| %.2f "
                  "(tolerance 1e-5 |w|)\n", T, err, big);
    assert_true(err < 1e-5 * big);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maco_oracle),  cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_gradient_check_can_fail), cmocka_unit_test(test_reset),
        cmocka_unit_test(test_crop_resize),  cmocka_unit_test(test_nadam),
    };
    return cmocka_run_group_tests_name("featvis", tests, NULL, NULL);
}
