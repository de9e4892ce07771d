/* test_fft.c: the CPU backend's 2D real DFTs (FFTW) against a naive float64 DFT
 * on small odd and even sizes, the Hermitian projection of the self-mirrored
 * columns, the round trip, the adjointness of fft_c2r_backward, concurrent
 * planning from threads, and the spectrum helpers (resampling, the Fourier
 * scale, exact fixed-point magnitude sums). */
#include "fft/fft.h"
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

static unsigned lcg(unsigned *s) { return *s = *s * 1664525u + 1013904223u; }
static void fill(float *v, size_t n, unsigned seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)((lcg(&seed) >> 8) * (1.0 / 16777216.0));
}

/* Sizes: odd and even in both axes, square and not, 1 and 2 included. */
static const int sizes[][2] = {{1, 1}, {2, 2}, {3, 2}, {4, 4}, {5, 7}, {6, 5}, {7, 9}, {8, 6}, {9, 9}, {12, 10}};
enum { NSIZES = sizeof sizes / sizeof sizes[0], BATCH = 3 };

/* Naive r2c in double: X[ky][kx] = sum x[y][x] e^{-2 pi i (ky y / h + kx x / w)}. */
static void naive_r2c(const float *x, int h, int w, double *re, double *im)
{
    const int wc = w / 2 + 1;
    for (int ky = 0; ky < h; ky++)
        for (int kx = 0; kx < wc; kx++) {
            double a = 0, b = 0;
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) {
                    double t = -2 * M_PI * ((double)ky * y / h + (double)kx * xx / w);
                    a += x[y * w + xx] * cos(t), b += x[y * w + xx] * sin(t);
                }
            re[ky * wc + kx] = a, im[ky * wc + kx] = b;
        }
}

/* Naive c2r in double, irfft2 semantics: the self-mirrored columns (0, and w/2
 * for even w) take their Hermitian part, the other columns are mirrored. */
static void naive_c2r(const float *re, const float *im, int h, int w, double *x)
{
    const int wc = w / 2 + 1;
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++) {
            double s = 0;
            for (int ky = 0; ky < h; ky++)
                for (int kx = 0; kx < w; kx++) {
                    double a, b; /* the full spectrum at (ky, kx) */
                    int self = kx == 0 || (w % 2 == 0 && kx == w / 2);
                    if (self) {
                        int m = (h - ky) % h;
                        a = 0.5 * ((double)re[ky * wc + kx] + re[m * wc + kx]);
                        b = 0.5 * ((double)im[ky * wc + kx] - im[m * wc + kx]);
                    } else if (kx < wc) {
                        a = re[ky * wc + kx], b = im[ky * wc + kx];
                    } else {
                        int m = (h - ky) % h, mx = w - kx;
                        a = re[m * wc + mx], b = -im[m * wc + mx];
                    }
                    double t = 2 * M_PI * ((double)ky * y / h + (double)kx * xx / w);
                    s += a * cos(t) - b * sin(t);
                }
            x[y * w + xx] = s / ((double)h * w);
        }
}

static void test_r2c_naive(void **state)
{
    (void)state;
    for (int k = 0; k < NSIZES; k++) {
        const int h = sizes[k][0], w = sizes[k][1], wc = w / 2 + 1;
        ph_fft_shape s = {BATCH, h, w};
        size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
        float *x = malloc(nr * 4), *re = malloc(nc * 4), *im = malloc(nc * 4), *keep = malloc(nr * 4);
        double *rr = malloc(h * wc * 8), *ri = malloc(h * wc * 8);
        fill(x, nr, 11 + k, -1, 1);
        memcpy(keep, x, nr * 4);
        ph_fft_rfft2(cpu, &s, x, re, im);
        double err = 0, scale = 0;
        for (int b = 0; b < BATCH; b++) {
            naive_r2c(x + (size_t)b * h * w, h, w, rr, ri);
            for (int i = 0; i < h * wc; i++) {
                err = fmax(err, fmax(fabs(rr[i] - re[b * h * wc + i]), fabs(ri[i] - im[b * h * wc + i])));
                scale = fmax(scale, hypot(rr[i], ri[i]));
            }
        }
        print_message("# r2c %dx%d x%d: max error %.2e of max |X| %.3g (tolerance 1e-6 relative)\n", h, w,
                      BATCH, err, scale);
        assert_true(err <= 1e-6 * scale);
        assert_memory_equal(x, keep, nr * 4); /* the input is kept */
        free(x), free(re), free(im), free(keep), free(rr), free(ri);
    }
}

static void test_c2r_naive(void **state)
{
    (void)state;
    for (int k = 0; k < NSIZES; k++) {
        const int h = sizes[k][0], w = sizes[k][1];
        ph_fft_shape s = {BATCH, h, w};
        size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
        float *x = malloc(nr * 4), *re = malloc(nc * 4), *im = malloc(nc * 4);
        float *kre = malloc(nc * 4), *kim = malloc(nc * 4);
        double *ref = malloc((size_t)h * w * 8);
        /* Not Hermitian-consistent on the self-mirrored columns: the projection matters. */
        fill(re, nc, 21 + k, -1, 1), fill(im, nc, 31 + k, -1, 1);
        memcpy(kre, re, nc * 4), memcpy(kim, im, nc * 4);
        ph_fft_irfft2(cpu, &s, re, im, x);
        double err = 0, scale = 0;
        for (int b = 0; b < BATCH; b++) {
            size_t o = (size_t)b * h * (w / 2 + 1);
            naive_c2r(re + o, im + o, h, w, ref);
            for (int i = 0; i < h * w; i++)
                err = fmax(err, fabs(ref[i] - x[(size_t)b * h * w + i])), scale = fmax(scale, fabs(ref[i]));
        }
        print_message("# c2r %dx%d x%d (projected columns): max error %.2e of max |x| %.3g (tolerance 2e-6 "
                      "relative)\n", h, w, BATCH, err, scale);
        assert_true(err <= 2e-6 * scale);
        assert_memory_equal(re, kre, nc * 4);
        assert_memory_equal(im, kim, nc * 4);
        free(x), free(re), free(im), free(kre), free(kim), free(ref);
    }
}

/* The projection is what FFTW's own c2r does with such input, and it can fail:
 * without it, the imaginary parts on column 0 would change the result. */
static void test_projection_matters(void **state)
{
    (void)state;
    ph_fft_shape s = {1, 6, 6};
    size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
    float re[64] = {0}, im[64] = {0}, x[64], y[64];
    fill(re, nc, 5, -1, 1), fill(im, nc, 6, -1, 1);
    ph_fft_irfft2(cpu, &s, re, im, x);
    /* Make column 0 Hermitian by hand: the output must not change. */
    const int wc = 4;
    for (int ky = 0; ky < 6; ky++)
        for (int kx = 0; kx < wc; kx += wc - 1) {
            int m = (6 - ky) % 6;
            if (m < ky) continue;
            float a = 0.5f * (re[ky * wc + kx] + re[m * wc + kx]), b = 0.5f * (im[ky * wc + kx] - im[m * wc + kx]);
            re[ky * wc + kx] = re[m * wc + kx] = a;
            im[ky * wc + kx] = b, im[m * wc + kx] = -b;
        }
    ph_fft_irfft2(cpu, &s, re, im, y);
    double d = 0;
    for (size_t i = 0; i < nr; i++) d = fmax(d, fabs(x[i] - y[i]));
    print_message("# projecting by hand first changes the output by %.2e (tolerance 1e-6)\n", d);
    assert_true(d < 1e-6);
    /* ... while changing a non-self-mirrored column's mirror partner does change it. */
    im[1 * wc + 1] += 0.5f;
    ph_fft_irfft2(cpu, &s, re, im, y);
    d = 0;
    for (size_t i = 0; i < nr; i++) d = fmax(d, fabs(x[i] - y[i]));
    assert_true(d > 1e-3);
}

static void test_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < NSIZES; k++) {
        ph_fft_shape s = {BATCH, sizes[k][0], sizes[k][1]};
        size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
        float *x = malloc(nr * 4), *y = malloc(nr * 4), *re = malloc(nc * 4), *im = malloc(nc * 4);
        fill(x, nr, 41 + k, -1, 1);
        ph_fft_rfft2(cpu, &s, x, re, im);
        ph_fft_irfft2(cpu, &s, re, im, y);
        double err = 0;
        for (size_t i = 0; i < nr; i++) err = fmax(err, fabs(x[i] - y[i]));
        assert_true(err < 2e-6);
        free(x), free(y), free(re), free(im);
    }
}

/* <c2r(X), y> = <X, c2r_backward(y)>: the backward pass is the exact adjoint. */
static void test_adjoint(void **state)
{
    (void)state;
    for (int k = 0; k < NSIZES; k++) {
        ph_fft_shape s = {BATCH, sizes[k][0], sizes[k][1]};
        size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
        float *x = malloc(nr * 4), *y = malloc(nr * 4), *re = malloc(nc * 4), *im = malloc(nc * 4);
        float *gr = malloc(nc * 4), *gi = malloc(nc * 4);
        fill(re, nc, 51 + k, -1, 1), fill(im, nc, 61 + k, -1, 1), fill(y, nr, 71 + k, -1, 1);
        ph_fft_irfft2(cpu, &s, re, im, x);
        ph_fft_irfft2_backward(cpu, &s, y, gr, gi);
        double lhs = 0, rhs = 0, mag = 0;
        for (size_t i = 0; i < nr; i++) lhs += (double)x[i] * y[i], mag += fabs((double)x[i] * y[i]);
        for (size_t i = 0; i < nc; i++) rhs += (double)re[i] * gr[i] + (double)im[i] * gi[i];
        print_message("# adjoint %dx%d: <c2r X, y> = %.9g, <X, c2r' y> = %.9g\n", s.h, s.w, lhs, rhs);
        assert_true(fabs(lhs - rhs) <= 1e-6 * fmax(mag, 1e-3));
        free(x), free(y), free(re), free(im), free(gr), free(gi);
    }
}

/* Threads plan and run different shapes at once (the planner lock); each result
 * matches the naive DFT. */
static void test_threads(void **state)
{
    (void)state;
    int bad = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : bad) num_threads(4)
    for (int k = 0; k < 16; k++) {
        const int h = 10 + k, w = 11 + (k * 7) % 9, wc = w / 2 + 1;
        ph_fft_shape s = {2, h, w};
        size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
        float *x = malloc(nr * 4), *re = malloc(nc * 4), *im = malloc(nc * 4);
        double *rr = malloc((size_t)h * wc * 8), *ri = malloc((size_t)h * wc * 8);
        fill(x, nr, 81 + k, -1, 1);
        char why[256];
        if (cpu->fft_r2c(&s, x, re, im, why, sizeof why)) bad++;
        naive_r2c(x + (size_t)h * w, h, w, rr, ri);
        for (int i = 0; i < h * wc; i++)
            if (fabs(rr[i] - re[h * wc + i]) > 1e-4 || fabs(ri[i] - im[h * wc + i]) > 1e-4) bad++;
        free(x), free(re), free(im), free(rr), free(ri);
    }
    assert_int_equal(bad, 0);
}

static void test_bad_shape(void **state)
{
    (void)state;
    char why[256] = "";
    ph_fft_shape s = {0, 4, 4};
    float v[4] = {0};
    assert_int_equal(cpu->fft_r2c(&s, v, v, v, why, sizeof why), -1);
    assert_non_null(strstr(why, "empty"));
}

/* ---- spectrum helpers ---- */

static void test_resample(void **state)
{
    (void)state;
    enum { C = 2, S = 8, WS = S / 2 + 1 };
    float src[C * S * WS], dst[C * S * WS];
    fill(src, C * S * WS, 3, 0, 1);
    ph_spectrum_resample(src, C, S, dst, S);
    assert_memory_equal(src, dst, sizeof src); /* the same size copies */
    /* Up to 16: DC stays DC; frequency 2 at size 16 reads frequency 1 at size 8
     * (the same cycles per pixel); negative rows mirror the same way. */
    enum { T = 16, WT = T / 2 + 1 };
    float up[C * T * WT];
    ph_spectrum_resample(src, C, S, up, T);
    for (int c = 0; c < C; c++) {
        const float *s = src + c * S * WS, *u = up + c * T * WT;
        assert_float_equal(u[0], s[0], 0);
        assert_float_equal(u[2 * WT + 4], s[1 * WS + 2], 1e-6);
        assert_float_equal(u[(T - 2) * WT], s[(S - 1) * WS], 1e-6);
        assert_float_equal(u[1 * WT], 0.5f * (s[0] + s[WS]), 1e-6);
    }
}

static void test_fourier_scale(void **state)
{
    (void)state;
    enum { S = 8, WC = 5 };
    float sc[S * WC];
    ph_spectrum_fourier_scale(S, 1.0, sc);
    /* DC: f clamped to 1/S, so S / (1/S) = S^2; (0, 1): f = 1/8 -> 64; (3, 4): f = 5/8 -> 12.8 */
    assert_float_equal(sc[0], 64.0f, 1e-4);
    assert_float_equal(sc[1], 64.0f, 1e-4);
    assert_float_equal(sc[3 * WC + 4], 12.8f, 1e-4);
    assert_float_equal(sc[5 * WC + 4], 12.8f, 1e-4); /* row 5 is frequency -3 */
}

/* A constant image has only DC; the fixed-point sums of two halves add up to the
 * sum of the whole, bit for bit (what makes the spectrum rank-invariant). */
static void test_spectrum_sums(void **state)
{
    (void)state;
    enum { N = 6, H = 10, W = 12, C = 3, S = 8, WC = 5 };
    uint8_t img[N * H * W * C];
    unsigned seed = 9;
    for (size_t i = 0; i < sizeof img; i++) img[i] = (uint8_t)(lcg(&seed) >> 24);
    ph_spectrum_acc all, a, b;
    ph_spectrum_acc_init(&all, cpu, C, H, W, S, N);
    ph_spectrum_acc_init(&a, cpu, C, H, W, S, 4);
    ph_spectrum_acc_init(&b, cpu, C, H, W, S, 4);
    ph_spectrum_acc_add(&all, img, N);
    ph_spectrum_acc_add(&a, img, 2);
    ph_spectrum_acc_add(&a, img + 2 * H * W * C, 1);
    ph_spectrum_acc_add(&b, img + 3 * H * W * C, 3);
    for (size_t i = 0; i < all.count; i++) assert_true(a.sum[i] + b.sum[i] == all.sum[i]);
    ph_spectrum_acc_free(&a), ph_spectrum_acc_free(&b), ph_spectrum_acc_free(&all);

    memset(img, 200, sizeof img);
    ph_spectrum_acc g;
    ph_spectrum_acc_init(&g, cpu, 1, H, W, S, 2);
    ph_spectrum_acc_add(&g, img, 2);
    float mean[S * WC];
    ph_spectrum_mean(g.sum, g.images, g.count, mean);
    assert_float_equal(mean[0], 200.0 / 255.0 * S * S, 1e-3);
    double rest = 0;
    for (int i = 1; i < S * WC; i++) rest = fmax(rest, mean[i]);
    assert_true(rest < 1e-4);
    ph_spectrum_acc_free(&g);
}

static void test_colour_inverse(void **state)
{
    (void)state;
    double inv[3][3];
    ph_colour_R_inverse(inv);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += ph_colour_R[i][k] * inv[k][j];
            assert_true(fabs(s - (i == j)) < 1e-12);
        }
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r2c_naive),     cmocka_unit_test(test_c2r_naive),
        cmocka_unit_test(test_projection_matters), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_adjoint),       cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_shape),     cmocka_unit_test(test_resample),
        cmocka_unit_test(test_fourier_scale), cmocka_unit_test(test_spectrum_sums),
        cmocka_unit_test(test_colour_inverse),
    };
    return cmocka_run_group_tests_name("fft", tests, NULL, NULL);
}
