/* test_kernels_cuda.c: the backend comparison.  Every op runs on the CPU
 * reference and on CUDA with the same random inputs; the maximum error,
 * relative to the largest reference value, is printed per op and must stay
 * within the stated tolerance (FMA math on the GPU, no TF32).  Without a
 * usable GPU the whole file is skipped ("1..0 # SKIP reason"), since CUDA is
 * never required to run the tests. */
#include "../../kernels/kernels.h"

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
static char why[512];

static void fill(float *v, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)((seed >> 8) * (1.0 / 16777216.0) * 2 - 1);
    }
}

static void *to_gpu(const void *host, size_t bytes)
{
    void *d = gpu->alloc(bytes);
    assert_non_null(d);
    assert_int_equal(gpu->upload(d, host, bytes, why, sizeof why), 0);
    return d;
}

/* Downloads count floats from the GPU and returns max |gpu - ref| / max |ref|. */
static double compare(const char *op, const float *ref, const void *dev, size_t count, double tol)
{
    float *got = malloc(count * sizeof *got);
    assert_int_equal(gpu->download(got, dev, count * sizeof *got, why, sizeof why), 0);
    double err = 0, scale = 1e-30;
    for (size_t i = 0; i < count; i++) {
        err = fmax(err, fabs((double)got[i] - ref[i]));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    free(got);
    print_message("# %-22s %9zu values, max relative error %.2g (tolerance %.0g)\n", op, count,
                  err / scale, tol);
    return err / scale;
}

#define RUN(call)                                  \
    do {                                           \
        int rc_ = (call);                          \
        if (rc_) print_message("# %s\n", why);     \
        assert_int_equal(rc_, 0);                  \
    } while (0)

static void test_elementwise(void **state)
{
    (void)state;
    const size_t n = ((size_t)1 << 20) + 3; /* vector body and a scalar tail */
    uint8_t *src = malloc(n);
    float *ref = malloc(n * 4), *x = malloc(n * 4), *dy = malloc(n * 4), *ry = malloc(n * 4), *rdx = malloc(n * 4);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 2654435761u >> 24);
    fill(x, n, 1), fill(dy, n, 2);
    RUN(cpu->u8_affine(src, ref, n, 1.0f / 255, 0.25f, why, sizeof why));
    RUN(cpu->relu_forward(x, ry, n, why, sizeof why));
    RUN(cpu->relu_backward(x, dy, rdx, n, why, sizeof why));
    void *dsrc = to_gpu(src, n), *dx_ = to_gpu(x, n * 4), *ddy = to_gpu(dy, n * 4);
    void *dout = gpu->alloc(n * 4);
    RUN(gpu->u8_affine(dsrc, dout, n, 1.0f / 255, 0.25f, why, sizeof why));
    assert_true(compare("u8_affine", ref, dout, n, 1e-6) <= 1e-6);
    RUN(gpu->relu_forward(dx_, dout, n, why, sizeof why));
    assert_true(compare("relu_forward", ry, dout, n, 0) == 0);
    RUN(gpu->relu_backward(dx_, ddy, dout, n, why, sizeof why));
    assert_true(compare("relu_backward", rdx, dout, n, 0) == 0);
    gpu->free(dsrc), gpu->free(dx_), gpu->free(ddy), gpu->free(dout);
    free(src), free(ref), free(x), free(dy), free(ry), free(rdx);
}

static void test_avgpool_and_adam(void **state)
{
    (void)state;
    const size_t planes = 37, spatial = 4099, count = planes * spatial;
    float *x = malloc(count * 4), *y = malloc(planes * 4), *dy = malloc(planes * 4), *dx = malloc(count * 4);
    fill(x, count, 61), fill(dy, planes, 62);
    RUN(cpu->avgpool_global_forward(x, y, planes, spatial, why, sizeof why));
    RUN(cpu->avgpool_global_backward(dy, dx, planes, spatial, why, sizeof why));
    void *gx = to_gpu(x, count * 4), *gdy = to_gpu(dy, planes * 4);
    void *gy = gpu->alloc(planes * 4), *gdx = gpu->alloc(count * 4);
    RUN(gpu->avgpool_global_forward(gx, gy, planes, spatial, why, sizeof why));
    RUN(gpu->avgpool_global_backward(gdy, gdx, planes, spatial, why, sizeof why));
    assert_true(compare("avgpool_global forward", y, gy, planes, 1e-6) <= 1e-6);
    assert_true(compare("avgpool_global backward", dx, gdx, count, 1e-6) <= 1e-6);
    /* Three Adam steps from the same state on both backends. */
    float *p = malloc(count * 4), *g = malloc(count * 4), *m = calloc(count, 4), *v = calloc(count, 4);
    fill(p, count, 63), fill(g, count, 64);
    void *gp = to_gpu(p, count * 4), *gg = to_gpu(g, count * 4), *gm = to_gpu(m, count * 4), *gv = to_gpu(v, count * 4);
    for (int t = 1; t <= 3; t++) {
        RUN(cpu->adam_update(p, g, m, v, count, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t, why, sizeof why));
        RUN(gpu->adam_update(gp, gg, gm, gv, count, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t, why, sizeof why));
    }
    assert_true(compare("adam_update (3 steps)", p, gp, count, 1e-6) <= 1e-6);
    gpu->free(gx), gpu->free(gdy), gpu->free(gy), gpu->free(gdx);
    gpu->free(gp), gpu->free(gg), gpu->free(gm), gpu->free(gv);
    free(x), free(y), free(dy), free(dx), free(p), free(g), free(m), free(v);
}

static void test_sgemm(void **state)
{
    (void)state;
    enum { M = 129, N = 67, K = 255 };
    float *a = malloc(M * K * 4), *b = malloc(K * N * 4), *c = malloc(M * N * 4);
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1, lda = ta ? M : K, ldb = tb ? K : N;
        fill(a, M * K, 3 + t), fill(b, K * N, 9 + t), fill(c, M * N, 5);
        void *da = to_gpu(a, M * K * 4), *db = to_gpu(b, K * N * 4), *dc = to_gpu(c, M * N * 4);
        RUN(cpu->sgemm(ta, tb, M, N, K, 0.75f, a, lda, b, ldb, 0.5f, c, N, why, sizeof why));
        RUN(gpu->sgemm(ta, tb, M, N, K, 0.75f, da, lda, db, ldb, 0.5f, dc, N, why, sizeof why));
        char name[32];
        snprintf(name, sizeof name, "sgemm %c%c", ta ? 'T' : 'N', tb ? 'T' : 'N');
        assert_true(compare(name, c, dc, M * N, 1e-5) <= 1e-5);
        gpu->free(da), gpu->free(db), gpu->free(dc);
    }
    free(a), free(b), free(c);
}

static void test_convolutions(void **state)
{
    (void)state;
    const ph_conv_shape shapes[] = {
        {2, 4, 16, 32, 1, {16, 16}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0}},
        {2, 2, 8, 12, 4, {15, 13}, {3, 3}, {2, 1}, {1, 1}, {2, 1}, {0}},
        {2, 2, 3, 16, 1, {32, 32}, {7, 7}, {2, 2}, {3, 3}, {1, 1}, {0}},
        {3, 2, 4, 8, 1, {8, 12, 12}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}},
        {3, 1, 3, 8, 1, {8, 16, 16}, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, {1, 1, 1}, {0}},
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        ph_conv_shape s = shapes[t];
        assert_int_equal(ph_conv_shape_init(&s, why, sizeof why), 0);
        size_t nx = ph_conv_x_count(&s), nw = ph_conv_w_count(&s), ny = ph_conv_y_count(&s);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(s.o * 4), *dy = malloc(ny * 4);
        float *y = malloc(ny * 4), *dx = malloc(nx * 4), *dw = malloc(nw * 4), *dbias = malloc(s.o * 4);
        fill(x, nx, 41), fill(w, nw, 43), fill(b, s.o, 47), fill(dy, ny, 53);
        RUN(cpu->conv_forward(&s, x, w, b, y, why, sizeof why));
        RUN(cpu->conv_backward_data(&s, dy, w, dx, why, sizeof why));
        RUN(cpu->conv_backward_weights(&s, x, dy, dw, dbias, why, sizeof why));
        void *gx = to_gpu(x, nx * 4), *gw = to_gpu(w, nw * 4), *gb = to_gpu(b, s.o * 4), *gdy = to_gpu(dy, ny * 4);
        void *gy = gpu->alloc(ny * 4), *gdx = gpu->alloc(nx * 4), *gdw = gpu->alloc(nw * 4), *gdb = gpu->alloc(s.o * 4);
        RUN(gpu->conv_forward(&s, gx, gw, gb, gy, why, sizeof why));
        RUN(gpu->conv_backward_data(&s, gdy, gw, gdx, why, sizeof why));
        RUN(gpu->conv_backward_weights(&s, gx, gdy, gdw, gdb, why, sizeof why));
        char name[48];
        snprintf(name, sizeof name, "conv%dd #%zu forward", s.nsp, t);
        assert_true(compare(name, y, gy, ny, 1e-5) <= 1e-5);
        snprintf(name, sizeof name, "conv%dd #%zu backward data", s.nsp, t);
        assert_true(compare(name, dx, gdx, nx, 1e-5) <= 1e-5);
        snprintf(name, sizeof name, "conv%dd #%zu backward weights", s.nsp, t);
        assert_true(compare(name, dw, gdw, nw, 1e-5) <= 1e-5);
        snprintf(name, sizeof name, "conv%dd #%zu backward bias", s.nsp, t);
        assert_true(compare(name, dbias, gdb, s.o, 1e-5) <= 1e-5);
        gpu->free(gx), gpu->free(gw), gpu->free(gb), gpu->free(gdy);
        gpu->free(gy), gpu->free(gdx), gpu->free(gdw), gpu->free(gdb);
        free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(dbias);
    }
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
        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_avgpool_and_adam),
        cmocka_unit_test(test_sgemm),
        cmocka_unit_test(test_convolutions),
    };
    return cmocka_run_group_tests_name("kernels_cuda", tests, NULL, NULL);
}
