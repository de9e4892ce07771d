/* test_layers.c: the nn layers on the CPU reference backend, each against
 * central finite differences of L = sum(r * y) in double on the float32
 * forward: normalisation layers (batch statistics included), batched
 * products (attention), blur, resize, a complex convolution, dropout, and
 * back-propagation through time in an unrolled recurrent cell. */
#include "../../common/core/rng.h"
#include "../../common/nn/nn.h"

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

static void fill(float *v, size_t n, uint32_t seed, float lo, float hi)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)ph_rng_uniform(&r);
}

static float *dev(const float *host, size_t n)
{
    float *d = ph_dev_alloc(be, n);
    ph_dev_upload(be, d, host, n);
    return d;
}

static double dot_dev(const float *d, const float *r, size_t n)
{
    float *h = malloc(n * 4);
    ph_dev_download(be, h, d, n);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)h[i] * r[i];
    free(h);
    return s;
}

/* A layer under test: forward from the current values of its inputs. */
typedef double (*loss_fn)(void *ctx);

/* Worst relative disagreement between an analytic gradient g (host) of a
 * device tensor t and central differences of loss(ctx), over every value. */
static double fd_tensor(loss_fn loss, void *ctx, float *t, size_t n, const float *g, float h)
{
    float *v = malloc(n * 4);
    ph_dev_download(be, v, t, n);
    double err = 0, scale = 1e-12;
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + h, ph_dev_upload(be, t, v, n);
        double lp = loss(ctx);
        v[i] = keep - h, ph_dev_upload(be, t, v, n);
        double lm = loss(ctx);
        v[i] = keep, ph_dev_upload(be, t, v, n);
        err = fmax(err, fabs((lp - lm) / (2.0 * h) - g[i]));
        scale = fmax(scale, fabs(g[i]));
    }
    free(v);
    return err / scale;
}

static float *host_of(const float *d, size_t n)
{
    float *h = malloc(n * 4);
    ph_dev_download(be, h, d, n);
    return h;
}

/* ---- normalisation layers ---- */
typedef struct {
    ph_norm_layer l;
    float *x, *y, *r;
    size_t n;
} norm_case;

static double norm_loss(void *c)
{
    norm_case *k = c;
    ph_norm_forward(&k->l, k->x, k->y, 1);
    return dot_dev(k->y, k->r, k->n);
}

static void test_norm_layers(void **state)
{
    (void)state;
    const struct {
        ph_norm_kind kind;
        int n, c, groups;
        size_t s;
    } cases[] = {{PH_NORM_BATCH, 2, 3, 0, 3}, {PH_NORM_BATCH, 2, 3, 0, 16}, {PH_NORM_GROUP, 2, 4, 2, 9},
                 {PH_NORM_INSTANCE, 3, 2, 0, 5}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        norm_case k;
        ph_norm_init(&k.l, be, cases[t].kind, cases[t].n, cases[t].c, cases[t].s, cases[t].groups, MPI_COMM_SELF);
        k.n = (size_t)cases[t].n * cases[t].c * cases[t].s;
        float *x = malloc(k.n * 4), *gm = malloc(64), *bt = malloc(64);
        k.r = malloc(k.n * 4);
        fill(x, k.n, 1 + (uint32_t)t, -2, 2), fill(k.r, k.n, 9, -1, 1);
        fill(gm, (size_t)cases[t].c, 3, 0.5f, 1.5f), fill(bt, (size_t)cases[t].c, 4, -0.5f, 0.5f);
        ph_dev_upload(be, k.l.gamma.w, gm, (size_t)cases[t].c);
        ph_dev_upload(be, k.l.beta.w, bt, (size_t)cases[t].c);
        k.x = dev(x, k.n), k.y = ph_dev_alloc(be, k.n);
        float *dy = dev(k.r, k.n), *dx = ph_dev_alloc(be, k.n);
        ph_param *ps[2] = {&k.l.gamma, &k.l.beta};
        ph_params_zero_grad(ps, 2);
        norm_loss(&k);
        ph_norm_backward(&k.l, k.x, dy, dx);
        float *gx = host_of(dx, k.n), *gg = host_of(k.l.gamma.g, (size_t)cases[t].c),
              *gb = host_of(k.l.beta.g, (size_t)cases[t].c);
        double ex = fd_tensor(norm_loss, &k, k.x, k.n, gx, 1e-3f);
        double eg = fd_tensor(norm_loss, &k, k.l.gamma.w, (size_t)cases[t].c, gg, 1e-3f);
        double eb = fd_tensor(norm_loss, &k, k.l.beta.w, (size_t)cases[t].c, gb, 1e-3f);
        print_message("# %s norm [%d,%d,%zu]: dx %.2g, dgamma %.2g, dbeta %.2g vs fd (tolerance 5e-3)\n",
                      ph_norm_names[cases[t].kind], cases[t].n, cases[t].c, cases[t].s, ex, eg, eb);
        assert_true(ex < 5e-3 && eg < 5e-3 && eb < 5e-3);
        free(x), free(gm), free(bt), free(k.r), free(gx), free(gg), free(gb);
        be->free(k.x), be->free(k.y), be->free(dy), be->free(dx);
        ph_norm_free(&k.l);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_layers),
    };
    int failed = cmocka_run_group_tests_name("layers", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
