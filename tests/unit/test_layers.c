/* test_layers.c: the nn layers on the CPU reference backend, each against
 * central finite differences of L = sum(r * y) in double on the float32
 * forward: normalisation layers (batch statistics included), batched
 * products (attention), blur, resize, a complex convolution, dropout, and
 * back-propagation through time in an unrolled recurrent cell. */
#include "core/rng.h"
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

static int norm_training = 1;

static double norm_loss(void *c)
{
    norm_case *k = c;
    ph_norm_forward(&k->l, k->x, k->y, norm_training);
    return dot_dev(k->y, k->r, k->n);
}

/* One norm layer against central differences, in training or evaluation mode. */
static void check_norm(ph_norm_kind kind, int n, int c, int groups, size_t sp, int training)
{
    norm_training = training;
    norm_case k;
    ph_norm_init(&k.l, be, kind, n, c, sp, groups, MPI_COMM_SELF);
    k.n = (size_t)n * c * sp;
    float *x = malloc(k.n * 4), *gm = malloc(64), *bt = malloc(64);
    k.r = malloc(k.n * 4);
    fill(x, k.n, 1 + (uint32_t)kind, -2, 2), fill(k.r, k.n, 9, -1, 1);
    fill(gm, (size_t)c, 3, 0.5f, 1.5f), fill(bt, (size_t)c, 4, -0.5f, 0.5f);
    ph_dev_upload(be, k.l.gamma.w, gm, (size_t)c);
    ph_dev_upload(be, k.l.beta.w, bt, (size_t)c);
    k.x = dev(x, k.n), k.y = ph_dev_alloc(be, k.n);
    float *dy = dev(k.r, k.n), *dx = ph_dev_alloc(be, k.n);
    ph_param *ps[2] = {&k.l.gamma, &k.l.beta};
    ph_params_zero_grad(ps, 2);
    norm_loss(&k);
    ph_norm_backward(&k.l, k.x, dy, dx);
    float *gx = host_of(dx, k.n), *gg = host_of(k.l.gamma.g, (size_t)c), *gb = host_of(k.l.beta.g, (size_t)c);
    double ex = fd_tensor(norm_loss, &k, k.x, k.n, gx, 1e-3f);
    double eg = fd_tensor(norm_loss, &k, k.l.gamma.w, (size_t)c, gg, 1e-3f);
    double eb = fd_tensor(norm_loss, &k, k.l.beta.w, (size_t)c, gb, 1e-3f);
    print_message("# %s norm [%d,%d,%zu]%s: dx %.2g, dgamma %.2g, dbeta %.2g vs fd (tolerance 5e-3)\n",
                  ph_norm_names[kind], n, c, sp, training ? "" : " in evaluation mode", ex, eg, eb);
    assert_true(ex < 5e-3 && eg < 5e-3 && eb < 5e-3);
    free(x), free(gm), free(bt), free(k.r), free(gx), free(gg), free(gb);
    be->free(k.x), be->free(k.y), be->free(dy), be->free(dx);
    ph_norm_free(&k.l);
}

static void test_norm_layers(void **state)
{
    (void)state;
    check_norm(PH_NORM_BATCH, 2, 3, 0, 3, 1);
    check_norm(PH_NORM_BATCH, 2, 3, 0, 16, 1);
    check_norm(PH_NORM_GROUP, 2, 4, 2, 9, 1);
    check_norm(PH_NORM_INSTANCE, 3, 2, 0, 5, 1);
    /* running statistics: the layer is affine, its backward gamma rstd dy */
    check_norm(PH_NORM_BATCH, 2, 3, 0, 16, 0);
}

/* ---- attention: scores = Q^T K / sqrt(d), A = softmax(scores), out = V A^T ---- */
typedef struct {
    int b, d, l;
    float *q, *k, *v, *s, *a, *o, *r;
} attn_case;

static double attn_loss(void *c)
{
    attn_case *t = c;
    ph_bmm_shape qk = {t->b, t->l, t->l, t->d, 1, 0}, va = {t->b, t->d, t->l, t->l, 0, 1};
    ph_bmm_forward(be, &qk, t->q, t->k, t->s);
    PH_KERNEL(be, axpby, "scaling", 1.0f / sqrtf((float)t->d), t->s, 0.0f, t->s, (size_t)t->b * t->l * t->l);
    ph_softmax_forward(be, t->s, t->a, (size_t)t->b * t->l, (size_t)t->l);
    ph_bmm_forward(be, &va, t->v, t->a, t->o);
    return dot_dev(t->o, t->r, (size_t)t->b * t->d * t->l);
}

static void test_attention(void **state)
{
    (void)state;
    attn_case t = {2, 3, 5, 0, 0, 0, 0, 0, 0, 0};
    size_t nq = (size_t)t.b * t.d * t.l, ns = (size_t)t.b * t.l * t.l;
    float *h = malloc(nq * 4);
    fill(h, nq, 1, -1, 1), t.q = dev(h, nq);
    fill(h, nq, 2, -1, 1), t.k = dev(h, nq);
    fill(h, nq, 3, -1, 1), t.v = dev(h, nq);
    t.r = malloc(nq * 4), fill(t.r, nq, 4, -1, 1);
    t.s = ph_dev_alloc(be, ns), t.a = ph_dev_alloc(be, ns), t.o = ph_dev_alloc(be, nq);
    float *dq = ph_dev_alloc(be, nq), *dk = ph_dev_alloc(be, nq), *dv = ph_dev_alloc(be, nq);
    float *da = ph_dev_alloc(be, ns), *ds = ph_dev_alloc(be, ns), *dout = dev(t.r, nq);
    attn_loss(&t);
    ph_bmm_shape qk = {t.b, t.l, t.l, t.d, 1, 0}, va = {t.b, t.d, t.l, t.l, 0, 1};
    ph_bmm_backward(be, &va, t.v, t.a, dout, dv, da);
    ph_softmax_backward(be, t.a, da, ds, (size_t)t.b * t.l, (size_t)t.l);
    PH_KERNEL(be, axpby, "scaling", 1.0f / sqrtf((float)t.d), ds, 0.0f, ds, ns);
    ph_bmm_backward(be, &qk, t.q, t.k, ds, dq, dk);
    float *gq = host_of(dq, nq), *gk = host_of(dk, nq), *gv = host_of(dv, nq);
    double eq = fd_tensor(attn_loss, &t, t.q, nq, gq, 1e-3f), ek = fd_tensor(attn_loss, &t, t.k, nq, gk, 1e-3f),
           ev = fd_tensor(attn_loss, &t, t.v, nq, gv, 1e-3f);
    print_message("# self-attention (batched products with transposes, softmax): dQ %.2g, dK %.2g, dV %.2g vs fd (tolerance 2e-3)\n",
                  eq, ek, ev);
    assert_true(eq < 2e-3 && ek < 2e-3 && ev < 2e-3);
    free(h), free(t.r), free(gq), free(gk), free(gv);
    float *bufs[] = {t.q, t.k, t.v, t.s, t.a, t.o, dq, dk, dv, da, ds, dout};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) be->free(bufs[i]);
}

/* ---- blur pyramid level and concat/split ---- */
static void test_blur_and_concat(void **state)
{
    (void)state;
    enum { N = 2, C = 3, S = 9 };
    size_t nx = (size_t)N * C * S * S;
    float *x = malloc(nx * 4);
    fill(x, nx, 5, -1, 1);
    float *dx_ = dev(x, nx);
    for (int stride = 1; stride <= 2; stride++) {
        ph_blur_layer b;
        ph_blur_init(&b, be, N, C, S, S, stride);
        size_t ny = ph_conv_y_count(&b.s);
        float *y = ph_dev_alloc(be, ny), *r = malloc(ny * 4), *g = ph_dev_alloc(be, nx);
        fill(r, ny, 6, -1, 1);
        float *rd = dev(r, ny);
        ph_blur_forward(&b, dx_, y);
        float *yh = host_of(y, ny);
        /* the binomial kernel sums to 1: a constant image stays constant inside */
        double err = 0;
        int o = b.s.out[0];
        for (int i = 0; i < N * C; i++)
            for (int p = 0; p < o; p++)
                for (int q = 0; q < o; q++) {
                    double ref = 0;
                    for (int a = 0; a < 5; a++)
                        for (int c = 0; c < 5; c++) {
                            int u = p * stride - 2 + a, v = q * stride - 2 + c;
                            if (u < 0 || v < 0 || u >= S || v >= S) continue;
                            static const double tap[5] = {1, 4, 6, 4, 1};
                            ref += tap[a] * tap[c] / 256.0 * x[(size_t)i * S * S + u * S + v];
                        }
                    err = fmax(err, fabs(ref - yh[((size_t)i * o + p) * o + q]));
                }
        ph_blur_backward(&b, rd, g);
        float *gh = host_of(g, nx);
        double lhs = dot_dev(y, r, ny), rhs = 0;
        for (size_t i = 0; i < nx; i++) rhs += (double)gh[i] * x[i];
        print_message("# blur stride %d: forward %.2g (tolerance 1e-6), <Bx, r> - <x, B'r> = %.2g (tolerance 1e-5)\n",
                      stride, err, lhs - rhs);
        assert_true(err < 1e-6 && fabs(lhs - rhs) < 1e-5);
        free(r), free(yh), free(gh);
        be->free(y), be->free(g), be->free(rd);
        ph_blur_free(&b);
    }
    /* concat then split gives the parts back */
    int cs[2] = {1, 2};
    float *p0 = ph_dev_alloc(be, (size_t)N * 1 * S * S), *p1 = ph_dev_alloc(be, (size_t)N * 2 * S * S);
    float *parts[2] = {p0, p1}, *cat = ph_dev_alloc(be, nx);
    ph_split(be, N, (size_t)S * S, 2, cs, dx_, parts);
    ph_concat(be, N, (size_t)S * S, 2, cs, (const float *const *)parts, cat);
    float *back = host_of(cat, nx), *h0 = host_of(p0, (size_t)N * S * S);
    assert_memory_equal(back, x, nx * 4);
    assert_memory_equal(h0 + S * S, x + (size_t)C * S * S, (size_t)S * S * 4); /* sample 1, channel 0 */
    free(back), free(h0), free(x);
    be->free(p0), be->free(p1), be->free(cat), be->free(dx_);
}

/* ---- complex convolution ---- */
static void test_complex_convolution(void **state)
{
    (void)state;
    enum { N = 2, C = 2, O = 3, S = 6 };
    ph_conv_layer l;
    ph_conv_shape s = {2, N, C, O, 1, {S, S}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}};
    ph_conv_layer_init(&l, be, s, 0, 9, 0);
    size_t nz = (size_t)N * C * S * S, ny = ph_conv_y_count(&l.s);
    float *mag = malloc(nz * 4), *ph = malloc(nz * 4);
    fill(mag, nz, 7, 0.2f, 1), fill(ph, nz, 8, -3, 3);
    float *dm = dev(mag, nz), *dp = dev(ph, nz), *z = ph_dev_alloc(be, 2 * nz), *y = ph_dev_alloc(be, 2 * ny);
    ph_complex_polar(be, dm, dp, z, nz);
    ph_complex_conv_forward(&l, z, y);
    float *y0 = host_of(y, 2 * ny);
    /* rotating every input phase by phi rotates every output by phi */
    const float phi = 0.7f;
    for (size_t i = 0; i < nz; i++) ph[i] += phi;
    ph_dev_upload(be, dp, ph, nz);
    ph_complex_polar(be, dm, dp, z, nz);
    ph_complex_conv_forward(&l, z, y);
    float *y1 = host_of(y, 2 * ny);
    double err = 0, scale = 1e-30;
    for (size_t i = 0; i < ny; i++) {
        double re = y0[i] * cos(phi) - y0[ny + i] * sin(phi), im = y0[i] * sin(phi) + y0[ny + i] * cos(phi);
        err = fmax(err, fmax(fabs(re - y1[i]), fabs(im - y1[ny + i])));
        scale = fmax(scale, fabs(re));
    }
    print_message("# complex convolution: phase equivariance error %.2g (tolerance 1e-5)\n", err / scale);
    assert_true(err / scale < 1e-5);
    free(mag), free(ph), free(y0), free(y1);
    be->free(dm), be->free(dp), be->free(z), be->free(y);
    ph_conv_layer_free(&l);
}

/* ---- dropout ---- */
static void test_dropout_is_keyed_on_sample_ids(void **state)
{
    (void)state;
    enum { N = 4, P = 500 };
    ph_dropout_layer d;
    ph_dropout_init(&d, be, N, P, 0.3f, 11, 2);
    float *x = malloc((size_t)N * P * 4);
    for (size_t i = 0; i < (size_t)N * P; i++) x[i] = 1;
    float *dx_ = dev(x, (size_t)N * P), *y = ph_dev_alloc(be, (size_t)N * P);
    int64_t ids[N] = {10, 11, 12, 13}, swapped[N] = {12, 13, 10, 11};
    ph_dropout_forward(&d, dx_, y, ids, 5, 1);
    float *a = host_of(y, (size_t)N * P);
    ph_dropout_forward(&d, dx_, y, swapped, 5, 1);
    float *b = host_of(y, (size_t)N * P);
    /* the same sample gets the same mask wherever it sits in the batch (any rank split) */
    assert_memory_equal(a, b + 2 * P, 2 * P * 4);
    assert_memory_equal(a + 2 * P, b, 2 * P * 4);
    int dropped = 0;
    for (size_t i = 0; i < (size_t)N * P; i++) {
        assert_true(a[i] == 0 || fabsf(a[i] - 1 / 0.7f) < 1e-6f);
        dropped += a[i] == 0;
    }
    double frac = (double)dropped / (N * P);
    print_message("# dropout p = 0.3: dropped fraction %.3f over %d units (required 0.25..0.35)\n", frac, N * P);
    assert_true(frac > 0.25 && frac < 0.35);
    ph_dropout_forward(&d, dx_, y, ids, 6, 1); /* another step: another mask */
    float *c = host_of(y, (size_t)N * P);
    assert_true(memcmp(a, c, (size_t)N * P * 4) != 0);
    ph_dropout_forward(&d, dx_, y, ids, 6, 0); /* evaluation: identity */
    float *e = host_of(y, (size_t)N * P);
    assert_memory_equal(e, x, (size_t)N * P * 4);
    free(x), free(a), free(b), free(c), free(e);
    be->free(dx_), be->free(y);
    ph_dropout_free(&d);
}

/* ---- back-propagation through time ----
 * h_t = tanh(Wx * x_t + Wh * h_{t-1} + b), h_0 = 0, L = sum r . h_T: the same
 * weights at every step, so their gradients sum over the unrolled steps. */
enum { RN = 2, RC = 2, RH = 3, RS = 5, RT = 4 };
typedef struct {
    ph_conv_layer wx, wh;
    float *x[RT], *pre[RT], *h[RT + 1], *tmp, *r;
    size_t nh;
} rnn_case;

static double rnn_loss(void *c)
{
    rnn_case *k = c;
    for (int t = 0; t < RT; t++) {
        ph_conv_layer_forward(&k->wx, k->x[t], k->pre[t]);
        ph_conv_layer_forward(&k->wh, k->h[t], k->tmp);
        PH_KERNEL(be, binary, "adding", PH_BIN_ADD, k->pre[t], k->tmp, k->pre[t], k->nh);
        ph_act_forward(be, PH_ACT_TANH, k->pre[t], k->h[t + 1], k->nh);
    }
    return dot_dev(k->h[RT], k->r, k->nh);
}

static void test_backprop_through_time(void **state)
{
    (void)state;
    rnn_case k;
    ph_conv_shape sx = {2, RN, RC, RH, 1, {RS, RS}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}};
    ph_conv_shape sh = {2, RN, RH, RH, 1, {RS, RS}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}};
    ph_conv_layer_init(&k.wx, be, sx, 1, 3, 0);
    ph_conv_layer_init(&k.wh, be, sh, 0, 3, 1);
    size_t nx = (size_t)RN * RC * RS * RS;
    k.nh = (size_t)RN * RH * RS * RS;
    float *hx = malloc(nx * 4);
    for (int t = 0; t < RT; t++) fill(hx, nx, 20 + (uint32_t)t, -1, 1), k.x[t] = dev(hx, nx), k.pre[t] = ph_dev_alloc(be, k.nh);
    for (int t = 0; t <= RT; t++) k.h[t] = ph_dev_zeros(be, k.nh);
    k.tmp = ph_dev_alloc(be, k.nh);
    k.r = malloc(k.nh * 4), fill(k.r, k.nh, 30, -1, 1);
    ph_param *ps[3] = {&k.wx.w, &k.wx.b, &k.wh.w};
    ph_params_zero_grad(ps, 3);
    rnn_loss(&k);
    /* backward through time */
    float *dh = dev(k.r, k.nh), *dpre = ph_dev_alloc(be, k.nh), *dprev = ph_dev_alloc(be, k.nh);
    float *dx0 = ph_dev_alloc(be, nx);
    for (int t = RT - 1; t >= 0; t--) {
        ph_act_backward(be, PH_ACT_TANH, k.pre[t], k.h[t + 1], dh, dpre, k.nh);
        ph_conv_layer_backward(&k.wx, k.x[t], dpre, t == 0 ? dx0 : NULL);
        ph_conv_layer_backward(&k.wh, k.h[t], dpre, dprev);
        float *sw = dh;
        dh = dprev, dprev = sw;
    }
    float *gx = host_of(k.wx.w.g, k.wx.w.count), *gb = host_of(k.wx.b.g, k.wx.b.count),
          *gh = host_of(k.wh.w.g, k.wh.w.count), *g0 = host_of(dx0, nx);
    double ex = fd_tensor(rnn_loss, &k, k.wx.w.w, k.wx.w.count, gx, 1e-3f);
    double eb = fd_tensor(rnn_loss, &k, k.wx.b.w, k.wx.b.count, gb, 1e-3f);
    double eh = fd_tensor(rnn_loss, &k, k.wh.w.w, k.wh.w.count, gh, 1e-3f);
    double e0 = fd_tensor(rnn_loss, &k, k.x[0], nx, g0, 1e-3f);
    print_message("# recurrent cell unrolled over %d steps: dWx %.2g, db %.2g, dWh %.2g, dx_0 %.2g vs fd (tolerance 2e-3)\n",
                  RT, ex, eb, eh, e0);
    assert_true(ex < 2e-3 && eb < 2e-3 && eh < 2e-3 && e0 < 2e-3);
    free(hx), free(k.r), free(gx), free(gb), free(gh), free(g0);
    for (int t = 0; t < RT; t++) be->free(k.x[t]), be->free(k.pre[t]);
    for (int t = 0; t <= RT; t++) be->free(k.h[t]);
    be->free(k.tmp), be->free(dh), be->free(dpre), be->free(dprev), be->free(dx0);
    ph_conv_layer_free(&k.wx), ph_conv_layer_free(&k.wh);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_layers),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_blur_and_concat),
        cmocka_unit_test(test_complex_convolution),
        cmocka_unit_test(test_dropout_is_keyed_on_sample_ids),
        cmocka_unit_test(test_backprop_through_time),
    };
    int failed = cmocka_run_group_tests_name("layers", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
