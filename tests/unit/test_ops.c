/* test_ops.c: the CPU reference of the engine's element-wise, pooling,
 * normalisation, attention, resampling, complex and optimiser ops.
 * Forward passes against float64 loops or libm; backward passes against
 * central finite differences of L = sum(r * y) (dL/dy = r), in double on the
 * float32 ops; linear ops also by adjointness <A x, r> = <x, A^T r>. */
#include "kernels.h"

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

/* Distinct values spaced 0.01 apart in random order: finite differences with
 * h = 1e-3 never reorder a max or cross a ReLU kink. */
static void fill_distinct(float *v, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) v[i] = ((float)i - (float)n / 2 + 0.5f) * 0.01f;
    for (size_t i = n; i > 1; i--) {
        size_t j = lcg(&seed) % i;
        float t = v[i - 1];
        v[i - 1] = v[j], v[j] = t;
    }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* A function of x writing y; the check perturbs x (and calls it again). */
typedef void (*fwd_fn)(const void *ctx, const float *x, float *y);

/* max |fd - g| / max |g| over every input (or a stride of them). */
static double fd_error(fwd_fn f, const void *ctx, float *x, size_t nx, float *y, size_t ny,
                       const float *r, const float *g, float h)
{
    double err = 0, scale = 1e-12;
    for (size_t i = 0; i < nx; i++) {
        float keep = x[i];
        x[i] = keep + h, f(ctx, x, y);
        double lp = dot(y, r, ny);
        x[i] = keep - h, f(ctx, x, y);
        double lm = dot(y, r, ny);
        x[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        err = fmax(err, fabs(fd - g[i]));
        scale = fmax(scale, fabs(g[i]));
    }
    f(ctx, x, y);
    return err / scale;
}

/* ---- activations ---- */
typedef struct {
    ph_act kind;
    size_t n;
} act_ctx;

static void act_f(const void *c, const float *x, float *y)
{
    const act_ctx *a = c;
    OK(cpu->act_forward(a->kind, x, y, a->n, why, sizeof why));
}

static void test_activations(void **state)
{
    (void)state;
    enum { N = 400 };
    float x[N], y[N], r[N], g[N];
    for (int k = 0; k < PH_ACT_COUNT; k++) {
        fill_distinct(x, N, 1 + k);
        for (int i = 0; i < N; i++) x[i] *= 2.5f; /* [-5, 5] */
        fill(r, N, 7, -1, 1);
        act_ctx c = {(ph_act)k, N};
        act_f(&c, x, y);
        double fe = 0;
        for (int i = 0; i < N; i++) {
            double v = x[i], ref = k == PH_ACT_RELU      ? fmax(v, 0)
                                   : k == PH_ACT_SIGMOID ? 1 / (1 + exp(-v))
                                   : k == PH_ACT_TANH    ? tanh(v)
                                                         : log1p(exp(v));
            fe = fmax(fe, fabs(ref - y[i]));
        }
        OK(cpu->act_backward(c.kind, x, y, r, g, N, why, sizeof why));
        double be = fd_error(act_f, &c, x, N, y, N, r, g, 1e-3f);
        print_message("# %-8s forward max |err| %.2g (tol 1e-6), backward vs fd %.2g (tol 1e-3)\n",
                      ph_act_names[k], fe, be);
        assert_true(fe < 1e-6 && be < 1e-3);
    }
}

static void test_binary_axpby_fill_copy2d(void **state)
{
    (void)state;
    enum { N = 1000 };
    float a[N], b[N], y[N];
    fill(a, N, 1, -1, 1), fill(b, N, 2, -1, 1);
    OK(cpu->binary(PH_BIN_ADD, a, b, y, N, why, sizeof why));
    for (int i = 0; i < N; i++) assert_true(y[i] == a[i] + b[i]);
    OK(cpu->binary(PH_BIN_SUB, a, b, y, N, why, sizeof why));
    for (int i = 0; i < N; i++) assert_true(y[i] == a[i] - b[i]);
    OK(cpu->binary(PH_BIN_MUL, a, b, y, N, why, sizeof why));
    for (int i = 0; i < N; i++) assert_true(y[i] == a[i] * b[i]);
    for (int i = 0; i < N; i++) y[i] = NAN;
    OK(cpu->axpby(2.0f, a, 0.0f, y, N, why, sizeof why)); /* beta 0 must not read y */
    for (int i = 0; i < N; i++) assert_true(y[i] == 2 * a[i]);
    OK(cpu->axpby(1.0f, b, -1.0f, y, N, why, sizeof why));
    for (int i = 0; i < N; i++) assert_true(y[i] == b[i] - 2 * a[i]);
    OK(cpu->fill(y, 3.5f, N, why, sizeof why));
    for (int i = 0; i < N; i++) assert_true(y[i] == 3.5f);
    /* a 10 x 7 block out of rows of 20 into rows of 9 */
    float d[10 * 9];
    memset(d, 0, sizeof d);
    OK(cpu->copy2d(d, 9, a + 3, 20, 10, 7, why, sizeof why));
    for (int r = 0; r < 10; r++)
        for (int c = 0; c < 9; c++) assert_true(d[r * 9 + c] == (c < 7 ? a[3 + r * 20 + c] : 0));
}

/* ---- pooling ---- */
static void pool_reference(const ph_pool_shape *s, const float *x, double *y)
{
    int nsp = s->nsp, in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, st[3] = {1, 1, 1}, pd[3] = {0, 0, 0};
    for (int d = 0; d < nsp; d++) {
        int o = 3 - nsp + d;
        in[o] = s->in[d], out[o] = s->out[d], k[o] = s->k[d], st[o] = s->stride[d], pd[o] = s->pad[d];
    }
    size_t ix = (size_t)in[0] * in[1] * in[2], oy = (size_t)out[0] * out[1] * out[2];
    for (int p = 0; p < s->n * s->c; p++)
        for (int a = 0; a < out[0]; a++)
            for (int b = 0; b < out[1]; b++)
                for (int c = 0; c < out[2]; c++) {
                    double best = -INFINITY, sum = 0;
                    int taps = 0;
                    for (int i = 0; i < k[0]; i++)
                        for (int j = 0; j < k[1]; j++)
                            for (int l = 0; l < k[2]; l++) {
                                int u = a * st[0] - pd[0] + i, v = b * st[1] - pd[1] + j, w = c * st[2] - pd[2] + l;
                                if (u < 0 || v < 0 || w < 0 || u >= in[0] || v >= in[1] || w >= in[2]) continue;
                                double t = x[p * ix + ((size_t)u * in[1] + v) * in[2] + w];
                                best = fmax(best, t), sum += t, taps++;
                            }
                    y[p * oy + ((size_t)a * out[1] + b) * out[2] + c] = s->kind == PH_POOL_MAX ? best : sum / taps;
                }
}

static void pool_f(const void *c, const float *x, float *y)
{
    OK(cpu->pool_forward(c, x, y, why, sizeof why));
}

static void test_pooling(void **state)
{
    (void)state;
    const ph_pool_shape shapes[] = {
        {2, 2, 3, PH_POOL_MAX, {7, 6}, {3, 3}, {2, 2}, {1, 1}, {0}},
        {2, 2, 3, PH_POOL_AVG, {7, 6}, {3, 3}, {2, 2}, {1, 1}, {0}},
        {2, 1, 2, PH_POOL_MAX, {8, 8}, {2, 2}, {2, 2}, {0, 0}, {0}},
        {3, 1, 2, PH_POOL_MAX, {4, 5, 6}, {2, 3, 3}, {2, 2, 2}, {0, 1, 1}, {0}},
        {3, 2, 2, PH_POOL_AVG, {4, 5, 6}, {3, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0}},
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        ph_pool_shape s = shapes[t];
        assert_int_equal(ph_pool_shape_init(&s, why, sizeof why), 0);
        size_t nx = ph_pool_x_count(&s), ny = ph_pool_y_count(&s);
        float *x = malloc(nx * 4), *y = malloc(ny * 4), *r = malloc(ny * 4), *g = malloc(nx * 4);
        double *ref = malloc(ny * 8);
        fill_distinct(x, nx, 3 + (unsigned)t), fill(r, ny, 4, -1, 1);
        pool_f(&s, x, y);
        pool_reference(&s, x, ref);
        double fe = 0;
        for (size_t i = 0; i < ny; i++) fe = fmax(fe, fabs(ref[i] - y[i]));
        OK(cpu->pool_backward(&s, x, y, r, g, why, sizeof why));
        double be = fd_error(pool_f, &s, x, nx, y, ny, r, g, 1e-3f);
        print_message("# pool %zu (%dD %s): forward max |err| %.2g (tol 1e-6), backward vs fd %.2g (tol 1e-3)\n",
                      t, s.nsp, s.kind == PH_POOL_MAX ? "max" : "avg", fe, be);
        assert_true(fe < 1e-6 && be < 1e-3);
        free(x), free(y), free(r), free(g), free(ref);
    }
    ph_pool_shape bad = {2, 1, 1, PH_POOL_MAX, {4, 4}, {2, 2}, {1, 1}, {2, 2}, {0}};
    assert_int_equal(ph_pool_shape_init(&bad, why, sizeof why), -1); /* padding >= window */
}

/* ---- normalisation: the whole function x -> y with statistics recomputed ---- */
typedef struct {
    ph_norm_shape s;
    const float *gamma, *beta;
} norm_ctx;

static void norm_stats(const ph_norm_shape *s, const float *x, float *mean, float *rstd)
{
    size_t K = ph_norm_stat_count(s);
    double *a = malloc(K * 8), *b = malloc(K * 8), m = ph_norm_stat_elements(s);
    OK(cpu->norm_moments(s, x, a, b, why, sizeof why));
    for (size_t k = 0; k < K; k++) {
        double mu = a[k] / m, var = b[k] / m - mu * mu;
        mean[k] = (float)mu, rstd[k] = (float)(1 / sqrt(var + 1e-5));
    }
    free(a), free(b);
}

static void norm_f(const void *c, const float *x, float *y)
{
    const norm_ctx *n = c;
    float mean[64], rstd[64];
    norm_stats(&n->s, x, mean, rstd);
    OK(cpu->norm_forward(&n->s, x, mean, rstd, n->gamma, n->beta, y, why, sizeof why));
}

static void test_normalisation(void **state)
{
    (void)state;
    const ph_norm_shape shapes[] = {{3, 4, 0, 10}, {2, 6, 3, 7}, {2, 4, 4, 9}}; /* batch, group, instance */
    for (size_t t = 0; t < 3; t++) {
        norm_ctx c = {shapes[t], NULL, NULL};
        const ph_norm_shape *s = &c.s;
        size_t nx = (size_t)s->n * s->c * s->s, K = ph_norm_stat_count(s);
        float *x = malloc(nx * 4), *y = malloc(nx * 4), *r = malloc(nx * 4), *g = malloc(nx * 4);
        float gamma[8], beta[8], mean[64], rstd[64], a[64], b[64], dgam[8], dbet[8];
        double sg[64], sgx[64];
        fill(x, nx, 10 + (unsigned)t, -2, 3), fill(r, nx, 11, -1, 1);
        fill(gamma, 8, 12, 0.5f, 1.5f), fill(beta, 8, 13, -0.5f, 0.5f);
        c.gamma = gamma, c.beta = beta;
        norm_f(&c, x, y);
        /* forward: each statistic's normalised values have mean beta-ish: check by float64 */
        double fe = 0;
        norm_stats(s, x, mean, rstd);
        for (size_t e = 0; e < nx; e++) {
            int i = (int)(e / (s->s * s->c)), ch = (int)(e / s->s % s->c);
            size_t k = s->groups ? (size_t)i * s->groups + ch / (s->c / s->groups) : (size_t)ch;
            double ref = ((double)x[e] - mean[k]) * rstd[k] * gamma[ch] + beta[ch];
            fe = fmax(fe, fabs(ref - y[e]));
        }
        OK(cpu->norm_backward_sums(s, x, r, mean, rstd, gamma, sg, sgx, dgam, dbet, why, sizeof why));
        double m = ph_norm_stat_elements(s);
        for (size_t k = 0; k < K; k++) a[k] = (float)(sg[k] / m), b[k] = (float)(sgx[k] / m);
        OK(cpu->norm_backward_apply(s, x, r, mean, rstd, gamma, a, b, g, why, sizeof why));
        double be = fd_error(norm_f, &c, x, nx, y, nx, r, g, 1e-2f);
        /* gamma and beta: perturb them as the input of the same function */
        double ge = 0, gs = 1e-12;
        for (int ch = 0; ch < s->c; ch++)
            for (int which = 0; which < 2; which++) {
                float *p = which ? beta : gamma, keep = p[ch];
                p[ch] = keep + 1e-2f, norm_f(&c, x, y);
                double lp = dot(y, r, nx);
                p[ch] = keep - 1e-2f, norm_f(&c, x, y);
                double lm = dot(y, r, nx);
                p[ch] = keep;
                double fd = (lp - lm) / 2e-2, an = which ? dbet[ch] : dgam[ch];
                ge = fmax(ge, fabs(fd - an)), gs = fmax(gs, fabs(an));
            }
        print_message("# norm %s: forward %.2g (tol 1e-5), dx vs fd %.2g (tol 2e-3), dgamma/dbeta vs fd %.2g (tol 2e-3)\n",
                      t == 0 ? "batch" : t == 1 ? "group" : "instance", fe, be, ge / gs);
        assert_true(fe < 1e-5 && be < 2e-3 && ge / gs < 2e-3);
        (void)K;
        free(x), free(y), free(r), free(g);
    }
}

/* ---- attention ---- */
static void test_sgemm_batched_and_softmax(void **state)
{
    (void)state;
    enum { B = 3, M = 5, N = 4, K = 6 };
    float a[B * M * K], b[B * K * N], c[B * M * N];
    fill(a, sizeof a / 4, 20, -1, 1), fill(b, sizeof b / 4, 21, -1, 1);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            OK(cpu->sgemm_batched(ta, tb, M, N, K, 1.0f, a, ta ? M : K, M * K, b, tb ? K : N, K * N, 0.0f,
                                  c, N, M * N, B, why, sizeof why));
            double err = 0;
            for (int i = 0; i < B; i++)
                for (int r = 0; r < M; r++)
                    for (int q = 0; q < N; q++) {
                        double s = 0;
                        for (int k = 0; k < K; k++)
                            s += (double)a[i * M * K + (ta ? k * M + r : r * K + k)] *
                                 b[i * K * N + (tb ? q * K + k : k * N + q)];
                        err = fmax(err, fabs(s - c[i * M * N + r * N + q]));
                    }
            assert_true(err < 1e-5);
        }
    enum { R = 4, C = 7 };
    float x[R * C], y[R * C], rr[R * C], g[R * C];
    fill(x, R * C, 22, -4, 4), fill(rr, R * C, 23, -1, 1);
    OK(cpu->softmax_forward(x, y, R, C, why, sizeof why));
    double fe = 0;
    for (int i = 0; i < R; i++) {
        double z = 0;
        for (int j = 0; j < C; j++) z += exp(x[i * C + j]);
        for (int j = 0; j < C; j++) fe = fmax(fe, fabs(exp(x[i * C + j]) / z - y[i * C + j]));
    }
    OK(cpu->softmax_backward(y, rr, g, R, C, why, sizeof why));
    double be = 0, gs = 1e-12;
    for (int i = 0; i < R * C; i++) {
        float keep = x[i];
        x[i] = keep + 1e-3f, cpu->softmax_forward(x, y, R, C, why, sizeof why);
        double lp = dot(y, rr, R * C);
        x[i] = keep - 1e-3f, cpu->softmax_forward(x, y, R, C, why, sizeof why);
        double lm = dot(y, rr, R * C);
        x[i] = keep;
        be = fmax(be, fabs((lp - lm) / 2e-3 - g[i])), gs = fmax(gs, fabs(g[i]));
    }
    print_message("# softmax: forward %.2g (tol 1e-6), backward vs fd %.2g (tol 1e-3)\n", fe, be / gs);
    assert_true(fe < 1e-6 && be / gs < 1e-3);
}

/* ---- resampling ---- */
static void test_resize(void **state)
{
    (void)state;
    /* PyTorch F.interpolate(size=4, mode="bilinear", align_corners=False) of [[1,2],[3,4]] */
    const float in[4] = {1, 2, 3, 4};
    const float want[16] = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f,
                            2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
    float out[16];
    OK(cpu->resize_forward(in, out, 1, 2, 2, 4, 4, why, sizeof why));
    for (int i = 0; i < 16; i++) assert_true(fabsf(out[i] - want[i]) < 1e-6f);
    /* adjointness, up and down and non-square */
    const int sizes[][4] = {{5, 7, 9, 4}, {9, 4, 5, 7}, {6, 6, 3, 3}};
    for (int t = 0; t < 3; t++) {
        int ih = sizes[t][0], iw = sizes[t][1], oh = sizes[t][2], ow = sizes[t][3];
        size_t nx = 2 * (size_t)ih * iw, ny = 2 * (size_t)oh * ow;
        float *x = malloc(nx * 4), *y = malloc(ny * 4), *r = malloc(ny * 4), *g = malloc(nx * 4);
        fill(x, nx, 30, -1, 1), fill(r, ny, 31, -1, 1);
        OK(cpu->resize_forward(x, y, 2, ih, iw, oh, ow, why, sizeof why));
        OK(cpu->resize_backward(r, g, 2, ih, iw, oh, ow, why, sizeof why));
        double lhs = dot(y, r, ny), rhs = dot(x, g, nx);
        print_message("# resize %dx%d -> %dx%d: <Ax, r> - <x, A'r> = %.2g (tol 1e-5)\n", ih, iw, oh, ow, lhs - rhs);
        assert_true(fabs(lhs - rhs) < 1e-5 * fmax(1, fabs(lhs)));
        free(x), free(y), free(r), free(g);
    }
}

/* ---- complex ---- */
typedef struct {
    int which; /* 0 polar (x = [mag | phase]), 1 abs_arg (x = [re | im]) */
    size_t n;
} cx_ctx;

static void cx_f(const void *c, const float *x, float *y)
{
    const cx_ctx *k = c;
    if (k->which == 0) OK(cpu->polar_forward(x, x + k->n, y, y + k->n, k->n, why, sizeof why));
    else OK(cpu->abs_arg_forward(x, x + k->n, y, y + k->n, k->n, why, sizeof why));
}

static void test_complex(void **state)
{
    (void)state;
    enum { N = 50 };
    float x[2 * N], y[2 * N], r[2 * N], g[2 * N];
    for (int w = 0; w < 2; w++) {
        cx_ctx c = {w, N};
        fill(x, 2 * N, 40 + (unsigned)w, -1, 1);
        if (w == 0) for (int i = 0; i < N; i++) x[i] += 1.5f, x[N + i] *= 3; /* mag > 0, phase in (-3, 3) */
        else for (int i = 0; i < N; i++) x[i] = x[i] < 0 ? x[i] - 0.2f : x[i] + 0.2f; /* away from 0 and the cut */
        fill(r, 2 * N, 42, -1, 1);
        cx_f(&c, x, y);
        double fe = 0;
        for (int i = 0; i < N; i++) {
            double a = x[i], b = x[N + i];
            double r0 = w ? hypot(a, b) : a * cos(b), r1 = w ? atan2(b, a) : a * sin(b);
            fe = fmax(fe, fmax(fabs(r0 - y[i]), fabs(r1 - y[N + i])));
        }
        if (w == 0) OK(cpu->polar_backward(x, x + N, r, r + N, g, g + N, N, why, sizeof why));
        else OK(cpu->abs_arg_backward(x, x + N, y, r, r + N, g, g + N, N, why, sizeof why));
        double be = fd_error(cx_f, &c, x, 2 * N, y, 2 * N, r, g, 1e-3f);
        print_message("# %s: forward %.2g (tol 1e-5), backward vs fd %.2g (tol 1e-3)\n",
                      w ? "abs_arg" : "polar", fe, be);
        assert_true(fe < 1e-5 && be < 1e-3);
    }
    /* the modulus at 0 has gradient 0, not NaN */
    float z[2] = {0, 0}, m[1], ph[1], dm[1] = {1}, dp[1] = {1}, dz[2];
    OK(cpu->abs_arg_forward(z, z + 1, m, ph, 1, why, sizeof why));
    OK(cpu->abs_arg_backward(z, z + 1, m, dm, dp, dz, dz + 1, 1, why, sizeof why));
    assert_true(dz[0] == 0 && dz[1] == 0);
}

/* ---- optimisers against the textbook updates in double ---- */
static void test_optimisers(void **state)
{
    (void)state;
    const float g[3] = {0.1f, -0.3f, 0.05f};
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        float p[3] = {0.5f, -1.0f, 2.0f}, buf[3] = {0};
        double pr[3] = {0.5, -1.0, 2.0}, br[3] = {0};
        const double lr = 0.1, mom = 0.9, wd = 0.01;
        for (int t = 1; t <= 4; t++) {
            OK(cpu->sgd_update(p, g, buf, 3, (float)lr, (float)mom, (float)wd, nesterov, t, why, sizeof why));
            for (int i = 0; i < 3; i++) {
                double gg = g[i] + wd * pr[i];
                br[i] = t == 1 ? gg : mom * br[i] + gg;
                pr[i] -= lr * (nesterov ? gg + mom * br[i] : br[i]);
                assert_true(fabs(pr[i] - p[i]) < 1e-6);
            }
        }
    }
    /* Adam with L2 in the gradient (decoupled = 0) */
    float p[3] = {0.5f, -1.0f, 2.0f}, m[3] = {0}, v[3] = {0};
    double pr[3] = {0.5, -1.0, 2.0}, mr[3] = {0}, vr[3] = {0};
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
    for (int t = 1; t <= 3; t++) {
        OK(cpu->adam_update(p, g, m, v, 3, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd, 0, t, why, sizeof why));
        for (int i = 0; i < 3; i++) {
            double gg = g[i] + wd * pr[i];
            mr[i] = b1 * mr[i] + (1 - b1) * gg;
            vr[i] = b2 * vr[i] + (1 - b2) * gg * gg;
            pr[i] -= lr * (mr[i] / (1 - pow(b1, t))) / (sqrt(vr[i] / (1 - pow(b2, t))) + eps);
            assert_true(fabs(pr[i] - p[i]) < 1e-6);
        }
    }
}

/* The vectorised Adam loop computes exactly the scalar float formula (same IEEE operations in
 * the same order), so vectorising it changes no trained weight: equal bits, not a tolerance. */
static void test_adam_update_equals_scalar_float(void **state)
{
    (void)state;
    enum { N = 1037 }; /* not a multiple of any vector width: the remainder loop runs too */
    static float p[N], g[N], m[N], v[N], pr[N], mr[N], vr[N];
    char why[256];
    uint32_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u, p[i] = pr[i] = (float)(s >> 8) * 1e-7f - 0.8f;
        s = s * 1664525u + 1013904223u, g[i] = (float)(s >> 8) * 1e-9f - 0.008f;
        m[i] = mr[i] = v[i] = vr[i] = 0;
    }
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, decay = 0.01f;
    for (int t = 1; t <= 4; t++) {
        const int decoupled = t & 1;
        OK(cpu->adam_update(p, g, m, v, N, lr, b1, b2, eps, decay, decoupled, t, why, sizeof why));
        const float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
        const float l2 = decoupled ? 0.0f : decay, wd = decoupled ? decay : 0.0f;
        for (int i = 0; i < N; i++) {
            float gg = g[i] + l2 * pr[i];
            mr[i] = b1 * mr[i] + (1.0f - b1) * gg;
            vr[i] = b2 * vr[i] + (1.0f - b2) * gg * gg;
            float mh = mr[i] / c1, vh = vr[i] / c2;
            pr[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * pr[i]);
        }
        assert_memory_equal(p, pr, sizeof p);
        assert_memory_equal(m, mr, sizeof m);
        assert_memory_equal(v, vr, sizeof v);
    }
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_binary_axpby_fill_copy2d),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_normalisation),
        cmocka_unit_test(test_sgemm_batched_and_softmax),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_complex),
        cmocka_unit_test(test_optimisers),
        cmocka_unit_test(test_adam_update_equals_scalar_float),
    };
    return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
