/* test_nn.c: the layers and the 3D CNN on the CPU reference backend:
 * gradients of the whole model against central finite differences, and a
 * training run that learns an easy task (the direction a dot moves). */
#include "../../common/core/rng.h"
#include "../../common/models/cnn3d.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const ph_backend *be = &ph_backend_cpu;

static double model_loss(ph_cnn3d *m, const int32_t *labels, float *dlogits)
{
    float logits[64];
    ph_cnn3d_forward(m);
    ph_dev_download(be, logits, m->logits, (size_t)m->n);
    return ph_bce_logits(logits, labels, m->n, dlogits, NULL);
}

static void test_cnn3d_gradients_against_finite_differences(void **state)
{
    (void)state;
    enum { N = 2, T = 4, H = 8, W = 8, C = 3 };
    ph_cnn3d m;
    ph_cnn3d_init(&m, be, N, T, H, W, C, 2, 7);
    uint8_t videos[N * T * H * W * C];
    ph_rng r;
    ph_rng_init(&r, 1, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < sizeof videos; i++) videos[i] = (uint8_t)ph_rng_below(&r, 256);
    int32_t labels[N] = {1, 0};
    ph_cnn3d_load(&m, videos);
    ph_param *params[16];
    int np = ph_cnn3d_params(&m, params, 16);
    assert_int_equal(np, 8);
    /* Biases start at zero, which puts many pre-activations exactly on ReLU's
     * kink (where a window sees only zeros); finite differences there measure
     * the mean of both one-sided slopes.  Random biases move every
     * pre-activation off the kink. */
    for (int p = 1; p < np; p += 2) {
        float b[64];
        for (size_t i = 0; i < params[p]->count; i++) b[i] = (float)(ph_rng_uniform(&r) - 0.5) * 0.2f;
        ph_dev_upload(be, params[p]->w, b, params[p]->count);
    }
    float dlogits[N];
    model_loss(&m, labels, dlogits);
    ph_cnn3d_backward(&m, dlogits);
    /* Central differences with step h = 1e-3 on the float32 forward (loss summed
     * in double): rounding gives ~1e-5 absolute noise, so the bound is 2e-3
     * relative plus 2e-5 absolute; a wrong backward is off by O(1). */
    const float h = 1e-3f;
    for (int p = 0; p < np; p++) {
        size_t count = params[p]->count;
        float *w = malloc(count * 4), *g = malloc(count * 4);
        ph_dev_download(be, w, params[p]->w, count);
        ph_dev_download(be, g, params[p]->g, count);
        double worst = 0;
        for (size_t i = 0; i < count; i += 1 + count / 12) {
            float keep = w[i];
            w[i] = keep + h, ph_dev_upload(be, params[p]->w, w, count);
            double lp = model_loss(&m, labels, NULL);
            w[i] = keep - h, ph_dev_upload(be, params[p]->w, w, count);
            double lm = model_loss(&m, labels, NULL);
            w[i] = keep, ph_dev_upload(be, params[p]->w, w, count);
            double fd = (lp - lm) / (2.0 * h);
            double err = fabs(fd - g[i]) / (2e-3 * fmax(fabs(fd), fabs(g[i])) + 2e-5);
            if (err > 1) print_message("#   i=%zu fd=%.6g grad=%.6g\n", i, fd, (double)g[i]);
            worst = fmax(worst, err);
        }
        print_message("# param %d (%zu values): worst |fd - grad| / (2e-3 max(|fd|,|grad|) + 2e-5) = %.3f (must be <= 1)\n",
                      p, count, worst);
        assert_true(worst <= 1.0);
        free(w), free(g);
    }
    ph_cnn3d_free(&m);
}

/* Both losses: analytic gradients against central differences in double. */
static void test_losses_against_finite_differences(void **state)
{
    (void)state;
    enum { N = 5, K = 4 };
    float z[N * K], g[N * K], b[N], gb[N];
    int32_t y[N] = {0, 3, 1, 2, 3}, yb[N] = {1, 0, 0, 1, 1};
    ph_rng r;
    ph_rng_init(&r, 3, PH_STREAM_CONTENT, 0, 0);
    for (int i = 0; i < N * K; i++) z[i] = (float)(ph_rng_uniform(&r) * 6 - 3);
    for (int i = 0; i < N; i++) b[i] = (float)(ph_rng_uniform(&r) * 6 - 3);
    const double eps = 0.1, h = 1e-3;
    ph_softmax_ce(z, y, N, K, eps, g, NULL);
    ph_bce_logits(b, yb, N, gb, NULL);
    double worst = 0;
    for (int i = 0; i < N * K; i++) {
        /* Divide by the float steps actually taken, not by 2h. */
        float keep = z[i], zp = (float)(keep + h), zm = (float)(keep - h);
        z[i] = zp;
        double lp = ph_softmax_ce(z, y, N, K, eps, NULL, NULL);
        z[i] = zm;
        double lm = ph_softmax_ce(z, y, N, K, eps, NULL, NULL);
        z[i] = keep;
        worst = fmax(worst, fabs((lp - lm) / ((double)zp - zm) - g[i]));
    }
    for (int i = 0; i < N; i++) {
        float keep = b[i], bp = (float)(keep + h), bm = (float)(keep - h);
        b[i] = bp;
        double lp = ph_bce_logits(b, yb, N, NULL, NULL);
        b[i] = bm;
        double lm = ph_bce_logits(b, yb, N, NULL, NULL);
        b[i] = keep;
        worst = fmax(worst, fabs((lp - lm) / ((double)bp - bm) - gb[i]));
    }
    print_message("# losses: worst |fd - grad| %.2g (tolerance 1e-6)\n", worst);
    assert_true(worst < 1e-6);
    /* Label smoothing: a confident correct prediction still has a positive loss. */
    float sure[K] = {20, -20, -20, -20};
    int32_t zero = 0;
    assert_true(ph_softmax_ce(sure, &zero, 1, K, 0.1, NULL, NULL) > 0.5);
    assert_true(ph_softmax_ce(sure, &zero, 1, K, 0.0, NULL, NULL) < 1e-6);
}

/* A dot moves one pixel per frame, left (label 0) or right (label 1). */
static void moving_dot(uint32_t seed, int64_t index, int T, int S, uint8_t *video, int32_t *label)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 0);
    int right = (int)ph_rng_below(&r, 2), row = (int)ph_rng_below(&r, (uint32_t)S);
    int start = (int)ph_rng_below(&r, (uint32_t)(S - T + 1)) + (right ? 0 : T - 1);
    memset(video, 0, (size_t)T * S * S * 3);
    for (int t = 0; t < T; t++) {
        int col = start + (right ? t : -t);
        video[(((size_t)t * S + row) * S + col) * 3 + 1] = 255;
    }
    *label = right;
}

static void test_training_learns_motion_direction(void **state)
{
    (void)state;
    enum { N = 16, T = 8, S = 16, STEPS = 150 };
    ph_cnn3d m;
    ph_cnn3d_init(&m, be, N, T, S, S, 3, 4, 3);
    ph_param *params[16];
    int np = ph_cnn3d_params(&m, params, 16);
    ph_adam opt = {3e-3f, 0.9f, 0.999f, 1e-8f, 0.0f};
    uint8_t *batch = malloc((size_t)N * T * S * S * 3);
    int32_t labels[N];
    float dlogits[N];
    double first = 0, last = 0;
    for (int step = 1; step <= STEPS; step++) {
        for (int i = 0; i < N; i++)
            moving_dot(11, (int64_t)step * N + i, T, S, batch + (size_t)i * T * S * S * 3, &labels[i]);
        ph_cnn3d_load(&m, batch);
        double loss = model_loss(&m, labels, dlogits);
        ph_cnn3d_backward(&m, dlogits);
        for (int p = 0; p < np; p++) ph_param_adam_step(params[p], &opt, step);
        if (step <= 10) first += loss / 10;
        if (step > STEPS - 10) last += loss / 10;
    }
    /* Held-out videos (another seed). */
    int correct = 0, total = 0;
    for (int b = 0; b < 16; b++) {
        for (int i = 0; i < N; i++)
            moving_dot(12, (int64_t)b * N + i, T, S, batch + (size_t)i * T * S * S * 3, &labels[i]);
        ph_cnn3d_load(&m, batch);
        int right = 0;
        float logits[N];
        ph_cnn3d_forward(&m);
        ph_dev_download(be, logits, m.logits, N);
        ph_bce_logits(logits, labels, N, NULL, &right);
        correct += right, total += N;
    }
    double acc = (double)correct / total;
    print_message("# %d steps: loss %.3f -> %.3f, held-out accuracy %.3f (chance 0.5, required >= 0.9)\n",
                  STEPS, first, last, acc);
    assert_true(last < first);
    assert_true(acc >= 0.9);
    free(batch);
    ph_cnn3d_free(&m);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_losses_against_finite_differences),
        cmocka_unit_test(test_cnn3d_gradients_against_finite_differences),
        cmocka_unit_test(test_training_learns_motion_direction),
    };
    return cmocka_run_group_tests_name("nn", tests, NULL, NULL);
}
