/* test_nn.c: the models on the CPU reference backend: gradients of whole
 * models (3D CNN plain and R3D with batch norm, ResNet basic and
 * bottleneck) against central finite differences, the losses, and a
 * training run that learns an easy task (the direction a dot moves). */
#include "core/rng.h"
#include "models/model.h"
#include "gradcheck.h"

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

/* Under AddressSanitizer (make sanitize) every forward is ~30x slower: the
 * gradient checks sample fewer values per tensor there. */
#ifdef __SANITIZE_ADDRESS__
enum { SAMPLE_DIV = 5 };
#else
enum { SAMPLE_DIV = 1 };
#endif

static double model_loss(ph_model *m, const int32_t *labels, float *dlogits)
{
    float logits[64];
    m->def->forward(m, 1);
    ph_dev_download(be, logits, m->logits, (size_t)m->g.n);
    return ph_bce_logits(logits, labels, m->g.n, dlogits, NULL);
}

static ph_model *model_new(const char *name, const char *ini, int n, int t, int h, int w, int c, uint32_t seed)
{
    ph_model_geometry g = {n, t, h, w, c, 1, seed, MPI_COMM_SELF};
    return ph_model_create_text(name, ini, be, &g);
}

static double gradcheck_loss(ph_model *m, void *ctx)
{
    return model_loss(m, ctx, NULL);
}

/* Every trainable tensor's gradient (and the input gradient) of a whole
 * model against central differences of its float32 forward (gradcheck.h).
 * Batch norm recomputes its statistics in every forward, so its dependence
 * on the batch is part of what is checked.  max_kinks: the share of values
 * a ReLU model may have at a kink (0 for a smooth model). */
static void model_gradcheck(const char *name, const char *ini, int t, int h, int w, int c, int per_tensor,
                            double rel, double max_kinks)
{
    enum { N = 4 };
    ph_model *m = model_new(name, ini, N, t, h, w, c, 7);
    int32_t labels[N] = {1, 0, 0, 1};
    gradcheck_model_prepare(m, 1);
    ph_param *params[256];
    int np = m->def->params(m, params, 256);
    float dlogits[N];
    m->want_dx = 1;
    model_loss(m, labels, dlogits);
    ph_params_zero_grad(params, np);
    ph_model_backward_host(m, dlogits);
    gradcheck_opts o = {rel, max_kinks, per_tensor > SAMPLE_DIV ? per_tensor / SAMPLE_DIV : 1, 1.0, dlogits};
    gradcheck_result r;
    gradcheck_model(m, gradcheck_loss, labels, &o, &r);
    gradcheck_result_print(name, ini, &o, &r);
    assert_true(gradcheck_result_ok(&o, &r));
    m->def->destroy(m);
}

/* With ReLU, a finite difference of a whole network crosses some unit's kink
 * for most steps (thousands of units): the deeper models are checked with
 * softplus, which is smooth, and ReLU itself is checked as an op
 * (test_ops.c); one small ReLU network is checked as well, with up to 10 %
 * of its values at a kink. */
static void test_cnn3d_gradients_against_finite_differences(void **state)
{
    (void)state;
    model_gradcheck("cnn3d", "[cnn3d]\nwidth = 2\n", 4, 8, 8, 3, 10, 2e-3, 0.1);
    model_gradcheck("cnn3d", "[cnn3d]\nwidth = 2\nstages = 2\nblocks = 1\nnorm = batch\nactivation = softplus\n", 4, 8, 8, 3, 10, 2e-3, 0.0);
}

static void test_resnet_gradients_against_finite_differences(void **state)
{
    (void)state;
    model_gradcheck("resnet", "[resnet]\ndepth = 10\nwidth = 2\nstem = small\nnorm = batch\nactivation = softplus\n", 1, 16, 16, 1, 10, 2e-3, 0.0);
    /* self-attention after a stage: across positions, and across channels */
    model_gradcheck("resnet", "[resnet]\ndepth = 10\nwidth = 2\nstem = small\nnorm = batch\nactivation = softplus\nattention = spatial\nattention_stage = 2\n", 1, 16, 16, 1, 10, 2e-3, 0.0);
    model_gradcheck("resnet", "[resnet]\ndepth = 10\nwidth = 2\nstem = small\nnorm = batch\nactivation = softplus\nattention = feature\nattention_stage = 3\n", 1, 16, 16, 1, 10, 2e-3, 0.0);
#ifndef __SANITIZE_ADDRESS__ /* fifty layers: minutes under ASan; the plain build checks it */
    /* Bottleneck blocks; the small stem, as max pooling has kinks.  Fifty
     * float32 layers: 1 % relative; a wrong backward is off by O(1). */
    model_gradcheck("resnet", "[resnet]\ndepth = 50\nwidth = 2\nstem = small\nnorm = batch\nactivation = softplus\n", 1, 16, 16, 1, 3, 1e-2, 0.0);
#endif
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

/* Schedules: warm-up, step and cosine at chosen steps; weight decay skips
 * norm parameters only when told to. */
static void test_schedules_and_decay_exclusion(void **state)
{
    (void)state;
    ph_optim o = ph_optim_default();
    o.lr = 0.1f, o.warmup = 10;
    assert_true(fabs(ph_optim_lr(&o, 1) - 0.01) < 1e-7);  /* 1/10 of lr on step 1 */
    assert_true(fabs(ph_optim_lr(&o, 10) - 0.1) < 1e-7);
    assert_true(fabs(ph_optim_lr(&o, 500) - 0.1) < 1e-7);  /* constant after */
    o.schedule = PH_SCHED_STEP, o.step_size = 100, o.gamma = 0.5f, o.warmup = 0;
    assert_true(fabs(ph_optim_lr(&o, 100) - 0.1) < 1e-7);
    assert_true(fabs(ph_optim_lr(&o, 101) - 0.05) < 1e-7);
    assert_true(fabs(ph_optim_lr(&o, 250) - 0.025) < 1e-7);
    o.schedule = PH_SCHED_COSINE, o.total = 110, o.warmup = 10, o.min_lr = 0.001f;
    assert_true(fabs(ph_optim_lr(&o, 10) - 0.1) < 1e-7);
    assert_true(fabs(ph_optim_lr(&o, 60) - (0.001 + 0.099 * 0.5)) < 1e-7); /* half way */
    assert_true(fabs(ph_optim_lr(&o, 110) - 0.001) < 1e-7);
    /* SGD with decay 0.5, lr 1, zero gradient: w -= w/2, unless excluded */
    ph_param w, nrm;
    ph_param_init_const(&w, be, 1, 2.0f, 1);
    ph_param_init_const(&nrm, be, 1, 2.0f, 1);
    nrm.no_decay = 1;
    ph_param *ps[2] = {&w, &nrm};
    ph_params_zero_grad(ps, 2);
    ph_optim sgd = ph_optim_default();
    sgd.kind = PH_OPT_SGD, sgd.lr = 1, sgd.weight_decay = 0.5f, sgd.momentum = 0, sgd.decay_norm = 0;
    ph_optim_step(&sgd, ps, 2, 1);
    float a, b;
    ph_dev_download(be, &a, w.w, 1), ph_dev_download(be, &b, nrm.w, 1);
    assert_true(a == 1.0f && b == 2.0f);
    sgd.decay_norm = 1;
    ph_optim_step(&sgd, ps, 2, 2);
    ph_dev_download(be, &a, w.w, 1), ph_dev_download(be, &b, nrm.w, 1);
    assert_true(a == 0.5f && b == 1.0f);
    ph_param_free(&w), ph_param_free(&nrm);
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
    ph_model *m = model_new("cnn3d", "[cnn3d]\nwidth = 4\n", N, T, S, S, 3, 3);
    ph_param *params[16];
    int np = m->def->params(m, params, 16);
    ph_optim opt = ph_optim_default();
    opt.lr = 3e-3f;
    uint8_t *batch = malloc((size_t)N * T * S * S * 3);
    int32_t labels[N];
    float dlogits[N];
    double first = 0, last = 0;
    for (int step = 1; step <= STEPS; step++) {
        for (int i = 0; i < N; i++)
            moving_dot(11, (int64_t)step * N + i, T, S, batch + (size_t)i * T * S * S * 3, &labels[i]);
        ph_model_load(m, batch);
        double loss = model_loss(m, labels, dlogits);
        ph_params_zero_grad(params, np);
        ph_model_backward_host(m, dlogits);
        ph_optim_step(&opt, params, np, step);
        if (step <= 10) first += loss / 10;
        if (step > STEPS - 10) last += loss / 10;
    }
    /* Held-out videos (another seed). */
    int correct = 0, total = 0;
    for (int b = 0; b < 16; b++) {
        for (int i = 0; i < N; i++)
            moving_dot(12, (int64_t)b * N + i, T, S, batch + (size_t)i * T * S * S * 3, &labels[i]);
        ph_model_load(m, batch);
        int right = 0;
        float logits[N];
        m->def->forward(m, 0);
        ph_dev_download(be, logits, m->logits, N);
        ph_bce_logits(logits, labels, N, NULL, &right);
        correct += right, total += N;
    }
    double acc = (double)correct / total;
    print_message("# %d steps: loss %.3f -> %.3f, held-out accuracy %.3f (chance 0.5, required >= 0.9)\n",
                  STEPS, first, last, acc);
    assert_true(last < first);
    assert_true(acc >= 0.9);
    free(batch);
    m->def->destroy(m);
}

/* ph_params_pack: the values survive the move, the tensors lie back to back in 64-byte slots,
 * one optimiser pass over the arena gives exactly the tensor-by-tensor updates (the padding
 * stays zero), and freeing the views and the owner frees every buffer once (ASan). */
static void test_params_pack_is_one_arena_with_the_same_updates(void **state)
{
    (void)state;
    enum { NP = 5 };
    const size_t counts[NP] = {37, 3, 64, 1, 250};
    ph_param a[NP], b[NP]; /* a: packed, b: left apart */
    ph_param *pa[NP], *pb[NP];
    for (int i = 0; i < NP; i++) {
        if (i == 1) { /* a buffer between trainable tensors stays outside the arena */
            ph_param_init_const(&a[i], be, counts[i], 0.5f, 0), ph_param_init_const(&b[i], be, counts[i], 0.5f, 0);
        } else {
            ph_param_init(&a[i], be, counts[i], 0.1f, 7, (uint32_t)i);
            ph_param_init(&b[i], be, counts[i], 0.1f, 7, (uint32_t)i);
        }
        a[i].no_decay = b[i].no_decay = i == 3;
        pa[i] = &a[i], pb[i] = &b[i];
    }
    float *before = malloc(counts[4] * sizeof *before);
    memcpy(before, a[4].w, counts[4] * sizeof *before);
    ph_params_pack(pa, NP);
    assert_memory_equal(before, a[4].w, counts[4] * sizeof *before);
    assert_int_equal(a[4].view, 0); /* the last tensor comes first and owns the arena */
    assert_int_equal(a[1].view, 0); /* the buffer is untouched */
    assert_ptr_equal(a[3].w, a[4].w + 256); /* 250 rounded up to 16 floats */
    assert_ptr_equal(a[2].g, a[3].g + 16);
    assert_ptr_equal(a[0].v, a[2].v + 64);
    size_t n;
    assert_int_equal(ph_params_run(pa, NP - 1, 0, &n), -1);
    assert_int_equal(n, 256 + 16 + 64 + 37);
    assert_int_equal(ph_params_run(pa, NP - 1, 1, &n), 3); /* no_decay splits when asked */
    ph_optim o = ph_optim_default();
    o.weight_decay = 0.05f, o.decay_norm = 0;
    for (int64_t step = 1; step <= 3; step++) {
        for (int i = 0; i < NP; i++)
            if (a[i].trainable)
                for (size_t k = 0; k < counts[i]; k++)
                    a[i].g[k] = b[i].g[k] = (float)((k * 7 + (size_t)i * 3 + (size_t)step) % 11) * 0.01f - 0.05f;
        ph_optim_step(&o, pa, NP, step);
        ph_optim_step(&o, pb, NP, step);
        for (int i = 0; i < NP; i++) {
            assert_memory_equal(a[i].w, b[i].w, counts[i] * sizeof(float));
            if (a[i].trainable) assert_memory_equal(a[i].v, b[i].v, counts[i] * sizeof(float));
        }
    }
    for (size_t k = 250; k < 256; k++) assert_true(a[4].w[k] == 0 && a[4].m[k] == 0 && a[4].v[k] == 0);
    ph_params_zero_grad(pa, NP);
    ph_params_run(pa, NP - 1, 0, &n);
    for (size_t k = 0; k < n; k++) assert_true(a[4].g[k] == 0);
    for (int i = 0; i < NP; i++) ph_param_free(&a[i]), ph_param_free(&b[i]);
    free(before);
}

/* Frozen parameters (MACO, attacks): the input gradient is the same bit for bit and no weight
 * gradient is computed (g stays as it was). */
static void test_frozen_params_give_the_same_input_gradient_and_no_weight_gradient(void **state)
{
    (void)state;
    enum { N = 2 };
    const char *ini = "[resnet]\ndepth = 10\nwidth = 8\nstem = small\n";
    ph_model *a = model_new("resnet", ini, N, 1, 16, 16, 3, 3), *b = model_new("resnet", ini, N, 1, 16, 16, 3, 3);
    int32_t labels[N] = {1, 0};
    gradcheck_model_prepare(a, 1), gradcheck_model_prepare(b, 1);
    ph_param *pa[256], *pb[256];
    const int np = a->def->params(a, pa, 256);
    b->def->params(b, pb, 256);
    ph_params_freeze(pb, np, 1);
    float da[N], db[N];
    a->want_dx = b->want_dx = 1;
    model_loss(a, labels, da), model_loss(b, labels, db);
    ph_params_zero_grad(pa, np), ph_params_zero_grad(pb, np);
    ph_model_backward_host(a, da), ph_model_backward_host(b, db);
    const size_t nx = ph_model_input_count(a);
    assert_memory_equal(a->dx, b->dx, nx * sizeof(float));
    double ga = 0, gb = 0;
    for (int i = 0; i < np; i++)
        if (pa[i]->trainable && !pa[i]->no_decay) /* convolution and linear weights (norms still give theirs) */
            for (size_t k = 0; k < pa[i]->count; k++) ga += fabs(pa[i]->g[k]), gb += fabs(pb[i]->g[k]);
    assert_true(ga > 0);
    assert_true(gb == 0);
    a->def->destroy(a), b->def->destroy(b);
}

/* The first contribution after ph_params_zero_grad is written straight into g; the next ones
 * are added.  A second backward pass without clearing doubles the gradients (within rounding:
 * a product that adds into g, such as the linear layer's sgemm, rounds differently from one
 * that starts at zero; overwriting instead would leave a difference as large as the gradients),
 * and a pass after ph_params_zero_grad gives exactly one pass's gradients, not the stale ones. */
static void test_gradients_overwrite_only_cleared_values(void **state)
{
    (void)state;
    enum { N = 2 };
    ph_model *a = model_new("resnet", "[resnet]\ndepth = 10\nwidth = 8\nstem = small\n", N, 1, 16, 16, 3, 3);
    int32_t labels[N] = {1, 0};
    gradcheck_model_prepare(a, 1);
    ph_param *p[256];
    const int np = a->def->params(a, p, 256);
    float d[N];
    model_loss(a, labels, d);
    ph_params_zero_grad(p, np);
    ph_model_backward_host(a, d);
    size_t total = 0;
    for (int i = 0; i < np; i++) total += p[i]->trainable ? p[i]->count : 0;
    float *once = malloc(total * sizeof *once);
    assert_non_null(once);
    size_t at = 0;
    for (int i = 0; i < np; i++)
        if (p[i]->trainable) memcpy(once + at, p[i]->g, p[i]->count * sizeof *once), at += p[i]->count;
    model_loss(a, labels, d); /* the same forward again: a backward pass may reuse its buffers */
    ph_model_backward_host(a, d); /* adds a second time */
    at = 0;
    double norm = 0, off = 0;
    for (int i = 0; i < np; i++)
        if (p[i]->trainable)
            for (size_t k = 0; k < p[i]->count; k++, at++)
                norm += fabs(once[at]), off += fabs(p[i]->g[k] - 2.0 * once[at]);
    assert_true(norm > 0);
    assert_true(off <= 1e-3 * norm);
    model_loss(a, labels, d);
    ph_params_zero_grad(p, np);
    ph_model_backward_host(a, d);
    at = 0;
    for (int i = 0; i < np; i++)
        if (p[i]->trainable) assert_memory_equal(p[i]->g, once + at, p[i]->count * sizeof *once), at += p[i]->count;
    free(once);
    a->def->destroy(a);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv); /* batch norm layers take a communicator */
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_losses_against_finite_differences),
        cmocka_unit_test(test_cnn3d_gradients_against_finite_differences),
        cmocka_unit_test(test_resnet_gradients_against_finite_differences),
        cmocka_unit_test(test_schedules_and_decay_exclusion),
        cmocka_unit_test(test_params_pack_is_one_arena_with_the_same_updates),
        cmocka_unit_test(test_frozen_params_give_the_same_input_gradient_and_no_weight_gradient),
        cmocka_unit_test(test_gradients_overwrite_only_cleared_values),
        cmocka_unit_test(test_training_learns_motion_direction),
    };
    int failed = cmocka_run_group_tests_name("nn", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
