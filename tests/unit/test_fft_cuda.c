/* test_fft_cuda.c: FFTW (CPU backend) against cuFFT (CUDA backend) on the same
 * inputs: r2c, the Hermitian-projected c2r on spectra that are not Hermitian
 * on the self-mirrored columns, its adjoint, crop_and_resize both ways, NAdam,
 * and the whole MACO parameterisation (the same phase gives the same image and
 * the same phase gradient).  Without a usable GPU the whole file is skipped
 * with the reason ("1..0 # SKIP ..."), since CUDA is never required to run
 * the tests.  Tolerances (maco.md §8): FFT outputs 1e-5 relative to their
 * largest value; the image 1e-5 absolute; gradients 1e-4 relative. */
#include "fft/fft.h"
#include "fft/imageparam.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const ph_backend *cpu = &ph_backend_cpu, *gpu = &ph_backend_cuda;

static unsigned lcg(unsigned *s) { return *s = *s * 1664525u + 1013904223u; }
static void fill(float *v, size_t n, unsigned seed, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)((lcg(&seed) >> 8) * (1.0 / 16777216.0));
}

static float *up(const float *h, size_t n)
{
    float *d = gpu->alloc(n * sizeof *d);
    char why[256];
    assert_non_null(d);
    assert_int_equal(gpu->upload(d, h, n * sizeof *h, why, sizeof why), 0);
    return d;
}

static void down(float *h, const float *d, size_t n)
{
    char why[256];
    assert_int_equal(gpu->download(h, d, n * sizeof *h, why, sizeof why), 0);
}

/* max |a - b| / max |a| */
static double rel(const float *a, const float *b, size_t n)
{
    double e = 0, m = 1e-30;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)a[i] - b[i])), m = fmax(m, fabs(a[i]));
    return e / m;
}

static const int sizes[][3] = {{3, 8, 8}, {2, 7, 9}, {1, 6, 5}, {3, 64, 64}, {3, 224, 224}, {1, 96, 96}};

static void test_fft(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        ph_fft_shape s = {sizes[k][0], sizes[k][1], sizes[k][2]};
        size_t nr = ph_fft_real_count(&s), nc = ph_fft_spec_count(&s);
        float *x = malloc(nr * 4), *re = malloc(nc * 4), *im = malloc(nc * 4), *a = malloc(nr * 4), *b = malloc(nr * 4);
        float *ra = malloc(nc * 4), *ia = malloc(nc * 4), *rb = malloc(nc * 4), *ib = malloc(nc * 4);
        fill(x, nr, 1 + k, -1, 1), fill(re, nc, 2 + k, -1, 1), fill(im, nc, 3 + k, -1, 1);
        float *dx = up(x, nr), *dre = up(re, nc), *dim = up(im, nc), *dy = gpu->alloc(nr * 4);
        float *dgr = gpu->alloc(nc * 4), *dgi = gpu->alloc(nc * 4);
        /* r2c */
        ph_fft_rfft2(cpu, &s, x, ra, ia);
        ph_fft_rfft2(gpu, &s, dx, dgr, dgi);
        down(rb, dgr, nc), down(ib, dgi, nc);
        double e1 = fmax(rel(ra, rb, nc), rel(ia, ib, nc));
        /* c2r, not Hermitian on columns 0 and w/2: the explicit projection on both */
        ph_fft_irfft2(cpu, &s, re, im, a);
        ph_fft_irfft2(gpu, &s, dre, dim, dy);
        down(b, dy, nr);
        double e2 = rel(a, b, nr);
        /* the inputs stay intact on the device too */
        down(rb, dre, nc);
        assert_memory_equal(rb, re, nc * 4);
        /* adjoint */
        ph_fft_irfft2_backward(cpu, &s, x, ra, ia);
        ph_fft_irfft2_backward(gpu, &s, dx, dgr, dgi);
        down(rb, dgr, nc), down(ib, dgi, nc);
        double e3 = fmax(rel(ra, rb, nc), rel(ia, ib, nc));
        print_message("# %d x %dx%d: r2c %.1e, c2r %.1e, c2r backward %.1e (relative to the largest value; "
                      "tolerance 1e-5)\n", s.batch, s.h, s.w, e1, e2, e3);
        assert_true(e1 < 1e-5 && e2 < 1e-5 && e3 < 1e-5);
        gpu->free(dx), gpu->free(dre), gpu->free(dim), gpu->free(dy), gpu->free(dgr), gpu->free(dgi);
        free(x), free(re), free(im), free(a), free(b), free(ra), free(ia), free(rb), free(ib);
    }
}

static void test_crop_nadam(void **state)
{
    (void)state;
    char why[256];
    enum { P = 3, H = 40, W = 40, NB = 5, OH = 24, OW = 24, NY = NB * P * OH * OW, NX = P * H * W };
    const float boxes[4 * NB] = {0.1f, 0.2f, 0.6f, 0.9f, -0.2f, -0.1f, 0.5f, 0.4f, 0.3f, 0.3f, 1.3f, 1.1f,
                                 0, 0, 1, 1, 0.45f, 0.5f, 0.55f, 0.6f};
    static float x[NX], y[NY], r[NY], a[NY], g[NX], gb[NX];
    fill(x, NX, 5, 0, 1), fill(r, NY, 6, -1, 1);
    float *dx = up(x, NX), *dr = up(r, NY), *dy = gpu->alloc(NY * 4), *dg = gpu->alloc(NX * 4);
    assert_int_equal(cpu->crop_resize_forward(x, y, P, H, W, boxes, NB, OH, OW, why, sizeof why), 0);
    assert_int_equal(gpu->crop_resize_forward(dx, dy, P, H, W, boxes, NB, OH, OW, why, sizeof why), 0);
    down(a, dy, NY);
    double e1 = rel(y, a, NY);
    assert_int_equal(cpu->crop_resize_backward(r, g, P, H, W, boxes, NB, OH, OW, why, sizeof why), 0);
    assert_int_equal(gpu->crop_resize_backward(dr, dg, P, H, W, boxes, NB, OH, OW, why, sizeof why), 0);
    down(gb, dg, NX);
    double e2 = rel(g, gb, NX);
    print_message("# crop_resize: forward %.1e (tolerance 1e-6: the same rounding), backward %.1e (atomics; 1e-5)\n",
                  e1, e2);
    assert_true(e1 < 1e-6 && e2 < 1e-5);
    /* NAdam: 5 steps */
    enum { N = 1000 };
    static float w[N], gr[N], m[N], v[N], w2[N];
    fill(w, N, 7, -1, 1), fill(gr, N, 8, -1, 1);
    float *dw = up(w, N), *dgr = up(gr, N), *dm = up(m, N), *dv = up(v, N);
    ph_nadam oc = ph_nadam_default(1.0), og = ph_nadam_default(1.0);
    for (int t = 0; t < 5; t++) {
        ph_nadam_step(&oc, cpu, w, gr, m, v, N);
        ph_nadam_step(&og, gpu, dw, dgr, dm, dv, N);
    }
    down(w2, dw, N);
    double e3 = rel(w, w2, N);
    print_message("# nadam, 5 steps: %.1e (tolerance 1e-6)\n", e3);
    assert_true(e3 < 1e-6);
    gpu->free(dx), gpu->free(dr), gpu->free(dy), gpu->free(dg), gpu->free(dw), gpu->free(dgr), gpu->free(dm), gpu->free(dv);
}

/* The same phase on both backends gives the same image and phase gradient. */
static void test_maco_parity(void **state)
{
    (void)state;
    enum { C = 3, S = 128, NS = C * S * (S / 2 + 1), NI = C * S * S };
    float *mag = malloc(NS * 4), *r = malloc(NI * 4), *xa = malloc(NI * 4), *xb = malloc(NI * 4);
    float *ga = malloc(NS * 4), *gb = malloc(NS * 4);
    fill(mag, NS, 9, 0.01f, 3.0f), fill(r, NI, 10, -1, 1);
    ph_fvis pc, pg;
    ph_fvis_init(&pc, cpu, PH_FVIS_MACO, C, S, mag, 1.0, 1e-4, 1);
    ph_fvis_init(&pg, gpu, PH_FVIS_MACO, C, S, mag, 1.0, 1e-4, 1);
    ph_fvis_reset(&pc, 4, 1), ph_fvis_reset(&pg, 4, 1);
    ph_fvis_forward(&pc), ph_fvis_forward(&pg);
    memcpy(xa, pc.x, NI * 4);
    down(xb, pg.x, NI);
    double e1 = 0;
    for (int i = 0; i < NI; i++) e1 = fmax(e1, fabs((double)xa[i] - xb[i]));
    float *dr = up(r, NI);
    ph_fvis_backward(&pc, r), ph_fvis_backward(&pg, dr);
    memcpy(ga, pc.g, NS * 4);
    down(gb, pg.g, NS);
    double e2 = rel(ga, gb, NS);
    print_message("# maco %dx%dx%d: image %.1e absolute (tolerance 1e-5), phase gradient %.1e relative (1e-4)\n", C, S,
                  S, e1, e2);
    assert_true(e1 < 1e-5 && e2 < 1e-4);
    gpu->free(dr);
    ph_fvis_free(&pc), ph_fvis_free(&pg);
    free(mag), free(r), free(xa), free(xb), free(ga), free(gb);
}

int main(void)
{
    char reason[256] = "";
    if (ph_cuda_device_count(reason, sizeof reason) == 0) {
        printf("1..0 # SKIP %s\n", reason);
        return 0;
    }
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft),
        cmocka_unit_test(test_crop_nadam),
        cmocka_unit_test(test_maco_parity),
    };
    return cmocka_run_group_tests_name("fft_cuda", tests, NULL, NULL);
}
