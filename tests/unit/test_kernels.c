/* test_kernels.c: the backend rows hold the op list (kernels/ops.def) and a
 * missing op is reported, not called; the CPU reference is right:
 * element-wise ops exactly, sgemm and convolutions against float64 loops,
 * convolution backward passes against central finite differences.
 * tests/unit/test_kernels_cuda.c compares the CUDA backend with this one. */
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

static void fill(float *v, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)((seed >> 8) * (1.0 / 16777216.0) * 2 - 1);
    }
}

/* 0 when row b has op exactly as wanted (its entry set and ph_backend_supports
 * saying so, or neither); else 1, naming the gap. */
static int row_check(const ph_backend *b, ph_op op, const char *name, int set, int want)
{
    if (set == want && ph_backend_supports(b, op) == want && !strcmp(ph_op_names[op], name)) return 0;
    print_message("# gap: backend %s, op %s: %s\n", b->name, name,
                  want ? "no entry" : "an entry in a build without nvcc");
    return 1;
}

static void test_every_backend_fills_every_op(void **state)
{
    (void)state;
    /* The op list itself (kernels/ops.def) says what a row must have, so a new
     * op is checked here without an edit: the CPU row (the reference) has
     * every op; the CUDA row has every op in a build with nvcc and none in a
     * build without (kernels/cuda_none.c). */
#ifdef PHASOR_CUDA
    const int cuda_ops = 1;
#else
    const int cuda_ops = 0;
#endif
    for (int d = 0; d < PH_DEVICE_COUNT; d++) {
        const ph_backend *b = ph_backends[d];
        assert_non_null(b);
        assert_non_null(ph_device_names[d]);
        assert_string_equal(b->name, ph_device_names[d]);
        assert_non_null(b->alloc);
        assert_non_null(b->free);
    }
    int gaps = 0, ops = 0;
#define PH_OP(ret, op, params)                                                        \
    gaps += row_check(&ph_backend_cpu, PH_OP_##op, #op, ph_backend_cpu.op != NULL, 1); \
    gaps += row_check(&ph_backend_cuda, PH_OP_##op, #op, ph_backend_cuda.op != NULL, cuda_ops), ops++;
#include "ops.def"
    print_message("# %d ops; the CUDA row has %s\n", ops, cuda_ops ? "all (built with nvcc)" : "none (built without nvcc)");
    assert_int_equal(ops, PH_OP_COUNT);
    assert_int_equal(gaps, 0);
}

static void test_a_missing_op_is_reported(void **state)
{
    (void)state;
    float x[4] = {0};
    /* A row without an op: PH_OP_CALL returns -1 naming it, never calls NULL. */
    ph_backend partial = ph_backend_cpu;
    partial.name = "partial", partial.fill = NULL;
    assert_false(ph_backend_supports(&partial, PH_OP_fill));
    assert_true(ph_backend_supports(&partial, PH_OP_axpby));
    why[0] = 0;
    assert_int_equal(PH_OP_CALL(&partial, fill, why, sizeof why, x, 1.0f, 4), -1);
    assert_string_equal(why, "the partial backend has no op fill");
    assert_int_equal(PH_OP_CALL(&partial, axpby, why, sizeof why, 1.0f, x, 0.0f, x, 4), 0);
    assert_int_equal(PH_OP_CALL(cpu, fill, why, sizeof why, x, 2.0f, 4), 0);
    assert_true(x[0] == 2.0f && x[3] == 2.0f);
#ifndef PHASOR_CUDA
    /* Without nvcc every use of the CUDA row gets the reason it always got. */
    const char *none = "this build has no CUDA backend (rebuild with nvcc on PATH)";
    assert_int_equal(ph_cuda_device_count(why, sizeof why), 0);
    assert_string_equal(why, none);
    assert_null(ph_backend_cuda.alloc(16));
    why[0] = 0;
    assert_int_equal(PH_OP_CALL(&ph_backend_cuda, conv_forward, why, sizeof why, NULL, x, x, NULL, x), -1);
    assert_string_equal(why, none);
    why[0] = 0;
    assert_int_equal(PH_OP_CALL(&ph_backend_cuda, upload, why, sizeof why, x, x, sizeof x), -1);
    assert_string_equal(why, none);
#else
    assert_null(ph_backend_cuda.missing);
#endif
}

static void test_u8_affine_and_relu(void **state)
{
    (void)state;
    uint8_t src[256];
    float dst[256], x[256], y[256], dy[256], dx[256];
    for (int i = 0; i < 256; i++) src[i] = (uint8_t)i;
    assert_int_equal(cpu->u8_affine(src, dst, 256, 1.0f / 255.0f, -0.5f, why, sizeof why), 0);
    for (int i = 0; i < 256; i++) assert_true(fabsf(dst[i] - ((float)i / 255.0f - 0.5f)) < 1e-6f);
    fill(x, 256, 1), fill(dy, 256, 2);
    assert_int_equal(cpu->act_forward(PH_ACT_RELU, x, y, 256, why, sizeof why), 0);
    assert_int_equal(cpu->act_backward(PH_ACT_RELU, x, y, dy, dx, 256, why, sizeof why), 0);
    for (int i = 0; i < 256; i++) {
        assert_true(y[i] == (x[i] > 0 ? x[i] : 0));
        assert_true(dx[i] == (x[i] > 0 ? dy[i] : 0));
    }
}

static void test_avgpool_and_adam(void **state)
{
    (void)state;
    enum { P = 6, S = 50 };
    float x[P * S], y[P], dy[P], dx[P * S];
    fill(x, P * S, 9), fill(dy, P, 10);
    assert_int_equal(cpu->avgpool_global_forward(x, y, P, S, why, sizeof why), 0);
    assert_int_equal(cpu->avgpool_global_backward(dy, dx, P, S, why, sizeof why), 0);
    for (int i = 0; i < P; i++) {
        double s = 0;
        for (int j = 0; j < S; j++) s += x[i * S + j];
        assert_true(fabs(s / S - y[i]) < 1e-6);
        /* The mean is linear: each input's gradient is dy / S exactly. */
        for (int j = 0; j < S; j++) assert_true(dx[i * S + j] == dy[i] / (float)S);
    }
    /* Adam(W) against the textbook update in double, over three steps. */
    float p[2] = {0.5f, -1.0f}, g[2] = {0.1f, -0.3f}, m[2] = {0}, v[2] = {0};
    double pr[2] = {0.5, -1.0}, mr[2] = {0}, vr[2] = {0};
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
    for (int t = 1; t <= 3; t++) {
        assert_int_equal(cpu->adam_update(p, g, m, v, 2, (float)lr, (float)b1, (float)b2, (float)eps,
                                          (float)wd, 1, t, why, sizeof why), 0);
        for (int i = 0; i < 2; i++) {
            mr[i] = b1 * mr[i] + (1 - b1) * g[i];
            vr[i] = b2 * vr[i] + (1 - b2) * g[i] * g[i];
            double mh = mr[i] / (1 - pow(b1, t)), vh = vr[i] / (1 - pow(b2, t));
            pr[i] -= lr * (mh / (sqrt(vh) + eps) + wd * pr[i]);
            assert_true(fabs(pr[i] - p[i]) < 1e-6);
        }
    }
}

static void test_sgemm_against_loops(void **state)
{
    (void)state;
    enum { M = 37, N = 23, K = 41 };
    float a[M * K], b[K * N], c[M * N], c0[M * N];
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            fill(a, M * K, 3 + ta), fill(b, K * N, 5 + tb), fill(c0, M * N, 7);
            memcpy(c, c0, sizeof c);
            /* Stored as A [M,K] or A^T [K,M]; B [K,N] or B^T [N,K]. */
            int lda = ta ? M : K, ldb = tb ? K : N;
            assert_int_equal(cpu->sgemm(ta, tb, M, N, K, 0.5f, a, lda, b, ldb, 2.0f, c, N, why, sizeof why), 0);
            double worst = 0;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int k = 0; k < K; k++)
                        s += (double)(ta ? a[k * lda + i] : a[i * lda + k]) *
                             (tb ? b[j * ldb + k] : b[k * ldb + j]);
                    worst = fmax(worst, fabs(0.5 * s + 2.0 * c0[i * N + j] - c[i * N + j]));
                }
            assert_true(worst < 1e-4);
        }
}

/* ---- convolutions --------------------------------------------------------- */

/* float64 direct convolution: the oracle. */
static void conv_reference(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                           double *y)
{
    int sp = s->nsp, cg = s->c / s->groups, og = s->o / s->groups;
    int in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, st[3] = {1, 1, 1}, pd[3] = {0}, dl[3] = {1, 1, 1};
    for (int i = 0; i < sp; i++) { /* pad 2D to 3D with a unit outer axis */
        int j = 3 - sp + i;
        in[j] = s->in[i], out[j] = s->out[i], k[j] = s->k[i], st[j] = s->stride[i], pd[j] = s->pad[i], dl[j] = s->dil[i];
    }
    for (int n = 0; n < s->n; n++)
        for (int o = 0; o < s->o; o++)
            for (int z = 0; z < out[0]; z++)
                for (int r = 0; r < out[1]; r++)
                    for (int q = 0; q < out[2]; q++) {
                        double acc = b ? b[o] : 0;
                        int g = o / og;
                        for (int c = 0; c < cg; c++)
                            for (int kz = 0; kz < k[0]; kz++)
                                for (int kr = 0; kr < k[1]; kr++)
                                    for (int kq = 0; kq < k[2]; kq++) {
                                        int iz = z * st[0] - pd[0] + kz * dl[0], ir = r * st[1] - pd[1] + kr * dl[1],
                                            iq = q * st[2] - pd[2] + kq * dl[2];
                                        if (iz < 0 || ir < 0 || iq < 0 || iz >= in[0] || ir >= in[1] || iq >= in[2]) continue;
                                        size_t xi = ((((size_t)n * s->c + g * cg + c) * in[0] + iz) * in[1] + ir) * in[2] + iq;
                                        size_t wi = ((((size_t)o * cg + c) * k[0] + kz) * k[1] + kr) * k[2] + kq;
                                        acc += (double)x[xi] * w[wi];
                                    }
                        y[(((size_t)n * s->o + o) * out[0] + z) * out[1] * out[2] + (size_t)r * out[2] + q] = acc;
                    }
}

static const ph_conv_shape shapes[] = {
    /* nsp n c o groups in k stride pad dil */
    {2, 2, 3, 4, 1, {9, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}},
    {2, 1, 4, 6, 2, {10, 7}, {3, 2}, {2, 1}, {1, 0}, {2, 1}, {0}}, /* groups, stride, dilation */
    {2, 2, 1, 3, 1, {12, 12}, {7, 7}, {2, 2}, {3, 3}, {1, 1}, {0}}, /* stem-like */
    {3, 2, 2, 3, 1, {5, 6, 6}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}},
    {3, 1, 3, 4, 1, {4, 8, 8}, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, {1, 1, 1}, {0}}, /* 3D stem */
    {3, 2, 2, 4, 1, {4, 4, 4}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0}}, /* the CNN's conv2 */
};

static void test_conv_forward_against_float64(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        ph_conv_shape s = shapes[t];
        assert_int_equal(ph_conv_shape_init(&s, why, sizeof why), 0);
        size_t nx = ph_conv_x_count(&s), nw = ph_conv_w_count(&s), ny = ph_conv_y_count(&s);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(s.o * 4), *y = malloc(ny * 4);
        double *ref = malloc(ny * 8);
        fill(x, nx, 11), fill(w, nw, 13), fill(b, s.o, 17);
        int rc = cpu->conv_forward(&s, x, w, b, y, why, sizeof why);
        if (rc) print_message("# %s\n", why);
        assert_int_equal(rc, 0);
        conv_reference(&s, x, w, b, ref);
        double worst = 0;
        for (size_t i = 0; i < ny; i++) worst = fmax(worst, fabs(ref[i] - y[i]));
        print_message("# conv %zu (%dD): forward max |error| %.2g vs float64 (tolerance 1e-4)\n", t, s.nsp, worst);
        assert_true(worst < 1e-4);
        free(x), free(w), free(b), free(y), free(ref);
    }
}

/* L(x, w, b) = sum(conv(x, w, b) * r) in float64 from the float32 forward. */
static double loss(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                   const float *r, float *y)
{
    assert_int_equal(cpu->conv_forward(s, x, w, b, y, why, sizeof why), 0);
    double l = 0;
    for (size_t i = 0; i < ph_conv_y_count(s); i++) l += (double)y[i] * r[i];
    return l;
}

/* Central differences of L against the analytic gradient, on a sample of
 * coordinates.  L is linear in each argument, so the difference quotient has
 * no truncation error; only float32 rounding of the forward remains, which a
 * step of 0.5 keeps far below the 1e-4 relative tolerance. */
static double fd_check(const ph_conv_shape *s, float *x, float *w, float *b, const float *r,
                       float *y, float *param, size_t count, const float *grad)
{
    const float h = 0.5f;
    double worst = 0;
    for (size_t i = 0; i < count; i += 1 + count / 40) {
        float keep = param[i];
        param[i] = keep + h;
        double lp = loss(s, x, w, b, r, y);
        param[i] = keep - h;
        double lm = loss(s, x, w, b, r, y);
        param[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        worst = fmax(worst, fabs(fd - grad[i]) / fmax(1.0, fabs(fd)));
    }
    return worst;
}

static void test_conv_backward_against_finite_differences(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        ph_conv_shape s = shapes[t];
        assert_int_equal(ph_conv_shape_init(&s, why, sizeof why), 0);
        size_t nx = ph_conv_x_count(&s), nw = ph_conv_w_count(&s), ny = ph_conv_y_count(&s);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(s.o * 4), *y = malloc(ny * 4);
        float *r = malloc(ny * 4), *dx = malloc(nx * 4), *dw = malloc(nw * 4), *db = malloc(s.o * 4);
        fill(x, nx, 21), fill(w, nw, 23), fill(b, s.o, 29), fill(r, ny, 31);
        /* dL/dy = r, so the backward passes of r are the gradients of L. */
        assert_int_equal(cpu->conv_backward_data(&s, r, w, dx, why, sizeof why), 0);
        assert_int_equal(cpu->conv_backward_weights(&s, x, r, dw, db, why, sizeof why), 0);
        double ex = fd_check(&s, x, w, b, r, y, x, nx, dx);
        double ew = fd_check(&s, x, w, b, r, y, w, nw, dw);
        double eb = fd_check(&s, x, w, b, r, y, b, s.o, db);
        print_message("# conv %zu (%dD): relative error vs central differences: dx %.2g, dw %.2g, "
                      "db %.2g (tolerance 1e-4)\n", t, s.nsp, ex, ew, eb);
        assert_true(ex < 1e-4 && ew < 1e-4 && eb < 1e-4);
        free(x), free(w), free(b), free(y), free(r), free(dx), free(dw), free(db);
    }
}

/* x rounded to bfloat16, to nearest, ties to even (what oneDNN's reorders do) */
static void round_bf16(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        u += 0x7fffu + ((u >> 16) & 1u);
        u &= 0xffff0000u;
        memcpy(&v[i], &u, 4);
    }
}

/* precision bf16: each pass computes with its inputs rounded to bfloat16 and sums in float,
 * so it equals the float pass on rounded inputs up to float sums (1e-4), and differs from the
 * float pass on the inputs themselves by about bfloat16's rounding.  A shape without a fast bf16
 * kernel runs in fp32; the 2D 3x3 shape has one wherever bf16 is offered. */
static void test_conv_bf16_rounds_inputs_and_sums_in_float(void **state)
{
    (void)state;
    if (cpu->conv_precision(PH_PRECISION_BF16, why, sizeof why)) {
        print_message("# skipped: %s\n", why); /* a pass: cmocka 1.1's TAP skip reads as a failure */
        return;
    }
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        ph_conv_shape s = shapes[t];
        assert_int_equal(ph_conv_shape_init(&s, why, sizeof why), 0);
        size_t nx = ph_conv_x_count(&s), nw = ph_conv_w_count(&s), ny = ph_conv_y_count(&s);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(s.o * 4), *dy = malloc(ny * 4);
        float *xr = malloc(nx * 4), *wr = malloc(nw * 4), *dyr = malloc(ny * 4);
        float *y = malloc(ny * 4), *dx = malloc(nx * 4), *dw = malloc(nw * 4), *db = malloc(s.o * 4);
        float *y32 = malloc(ny * 4), *dx32 = malloc(nx * 4), *dw32 = malloc(nw * 4), *db32 = malloc(s.o * 4);
        fill(x, nx, 41), fill(w, nw, 43), fill(b, s.o, 47), fill(dy, ny, 53);
        memcpy(xr, x, nx * 4), memcpy(wr, w, nw * 4), memcpy(dyr, dy, ny * 4);
        round_bf16(xr, nx), round_bf16(wr, nw), round_bf16(dyr, ny);
        assert_int_equal(cpu->conv_precision(PH_PRECISION_BF16, why, sizeof why), 0);
        assert_int_equal(cpu->conv_forward(&s, x, w, b, y, why, sizeof why), 0);
        assert_int_equal(cpu->conv_backward_data(&s, dy, w, dx, why, sizeof why), 0);
        assert_int_equal(cpu->conv_backward_weights(&s, x, dy, dw, db, why, sizeof why), 0);
        assert_int_equal(cpu->conv_precision(PH_PRECISION_FP32, why, sizeof why), 0);
        /* the float passes on the rounded inputs */
        assert_int_equal(cpu->conv_forward(&s, xr, wr, b, y32, why, sizeof why), 0);
        assert_int_equal(cpu->conv_backward_data(&s, dyr, wr, dx32, why, sizeof why), 0);
        assert_int_equal(cpu->conv_backward_weights(&s, xr, dyr, dw32, db32, why, sizeof why), 0);
        double ey = 0, ex = 0, ew = 0, eb = 0, moved = 0;
        for (size_t i = 0; i < ny; i++) ey = fmax(ey, fabs(y[i] - y32[i]) / fmax(1.0, fabs(y32[i])));
        for (size_t i = 0; i < nx; i++) ex = fmax(ex, fabs(dx[i] - dx32[i]) / fmax(1.0, fabs(dx32[i])));
        for (size_t i = 0; i < nw; i++) ew = fmax(ew, fabs(dw[i] - dw32[i]) / fmax(1.0, fabs(dw32[i])));
        for (int i = 0; i < s.o; i++) eb = fmax(eb, fabs(db[i] - db32[i]) / fmax(1.0, fabs(db32[i])));
        for (size_t i = 0; i < nx; i++) moved = fmax(moved, fabs(x[i] - xr[i]));
        const int bf16 = ey < 1e-4 && ex < 1e-4 && ew < 1e-4 && eb < 1e-4;
        print_message("# conv %zu (%dD), bf16: relative difference from float passes on rounded inputs: y %.2g, dx %.2g, "
                      "dw %.2g, db %.2g (%s)\n", t, s.nsp, ey, ex, ew, eb, bf16 ? "bf16" : "ran in fp32");
        assert_true(moved > 1e-4); /* the rounding is visible, so equality above means bf16 inputs */
        if (t == 0) assert_true(bf16);
        if (!bf16) { /* the fp32 fallback: the float passes on the inputs themselves */
            assert_int_equal(cpu->conv_forward(&s, x, w, b, y32, why, sizeof why), 0);
            for (size_t i = 0; i < ny; i++) assert_true(fabs(y[i] - y32[i]) <= 1e-4 * fmax(1.0, fabs(y32[i])));
        }
        free(x), free(w), free(b), free(dy), free(xr), free(wr), free(dyr), free(y), free(dx), free(dw), free(db);
        free(y32), free(dx32), free(dw32), free(db32);
    }
}

static void test_conv_shape_rejects_impossible(void **state)
{
    (void)state;
    ph_conv_shape s = {2, 1, 3, 4, 2, {8, 8}, {3, 3}, {1, 1}, {0, 0}, {1, 1}, {0}};
    assert_int_equal(ph_conv_shape_init(&s, why, sizeof why), -1); /* 3 channels, 2 groups */
    ph_conv_shape t = {2, 1, 2, 2, 1, {4, 4}, {5, 5}, {1, 1}, {0, 0}, {1, 1}, {0}};
    assert_int_equal(ph_conv_shape_init(&t, why, sizeof why), -1); /* kernel larger than input */
    ph_conv_shape u = {2, 1, 2, 2, 1, {7, 7}, {3, 3}, {2, 2}, {1, 1}, {2, 2}, {0}};
    assert_int_equal(ph_conv_shape_init(&u, why, sizeof why), 0);
    assert_int_equal(u.out[0], 3); /* (7 + 2 - 5) / 2 + 1 */
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_backend_fills_every_op),
        cmocka_unit_test(test_a_missing_op_is_reported),
        cmocka_unit_test(test_u8_affine_and_relu),
        cmocka_unit_test(test_avgpool_and_adam),
        cmocka_unit_test(test_sgemm_against_loops),
        cmocka_unit_test(test_conv_shape_rejects_impossible),
        cmocka_unit_test(test_conv_forward_against_float64),
        cmocka_unit_test(test_conv_backward_against_finite_differences),
        cmocka_unit_test(test_conv_bf16_rounds_inputs_and_sums_in_float),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, NULL);
}
