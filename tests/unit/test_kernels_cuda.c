/* test_kernels_cuda.c: the backend comparison.  Every op of the table runs on
 * the CPU reference and on CUDA with the same random inputs (independent
 * Philox streams, backend_check.h).  Most ops check the maximum error relative
 * to the largest reference value; the recurrent cells' ops check every element
 * against its own size (backend_check.h), with the tolerance built from
 * test_cells.c, which holds the CPU to double precision on the same inputs.
 * Each error is printed per op beside the tolerance stated at its assertion
 * (FMA math on the GPU, no TF32).  Without a usable GPU (CUDA is never
 * required to run the tests) the CPU row stands in for the CUDA row and every
 * error must be exactly 0: that checks this file's own code (the inputs, the
 * NaN-filled outputs, the error measures), which would otherwise first run on
 * a GPU, and says nothing about CUDA.  Whether both rows have every op of
 * kernels/ops.def is checked by tests/unit/test_kernels.c. */
#include "kernels.h"
#include "backend_check.h"

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
static int stand_in; /* 1: no GPU, the CPU row is "gpu" and every tolerance is 0 */
#define LIMIT(tol) (stand_in ? 0.0 : (double)(tol))

static void fill(float *v, size_t n, unsigned seed) { fill_uniform(v, n, seed, 1.0f); }

/* n floats uniform in [-1, 1), freed with free() */
static float *host_rand(size_t n, unsigned seed)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    fill(v, n, seed);
    return v;
}

static float *host_alloc(size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    return v;
}

static void *to_gpu(const void *host, size_t bytes)
{
    void *d = gpu->alloc(bytes);
    assert_non_null(d);
    assert_int_equal(gpu->upload(d, host, bytes, why, sizeof why), 0);
    return d;
}

static void *gpu_alloc(size_t bytes)
{
    void *d = gpu->alloc(bytes);
    assert_non_null(d);
    return d;
}

static double report(const char *op, size_t count, double err, double scale, double tol)
{
    print_message("# %-34s %9zu values, max relative error %.2g (tolerance %.0g)\n", op, count,
                  err / scale, LIMIT(tol));
    return err / scale;
}

/* Downloads count floats from the GPU and returns max |gpu - ref| / max |ref|. */
static double compare(const char *op, const float *ref, const void *dev, size_t count, double tol)
{
    float *got = host_alloc(count);
    assert_int_equal(gpu->download(got, dev, count * sizeof *got, why, sizeof why), 0);
    double err = 0, scale = 1e-30;
    for (size_t i = 0; i < count; i++) {
        /* NaN compares false: count it as an infinite error */
        double d = fabs((double)got[i] - ref[i]);
        err = fmax(err, d == d ? d : INFINITY);
        scale = fmax(scale, fabs((double)ref[i]));
    }
    free(got);
    return report(op, count, err, scale, tol);
}

/* The same for double results (the normalisation sums). */
static double compare_d(const char *op, const double *ref, const void *dev, size_t count,
                        double tol)
{
    double *got = malloc((count ? count : 1) * sizeof *got);
    assert_non_null(got);
    assert_int_equal(gpu->download(got, dev, count * sizeof *got, why, sizeof why), 0);
    double err = 0, scale = 1e-300;
    for (size_t i = 0; i < count; i++) {
        double d = fabs(got[i] - ref[i]);
        err = fmax(err, d == d ? d : INFINITY);
        scale = fmax(scale, fabs(ref[i]));
    }
    free(got);
    return report(op, count, err, scale, tol);
}

/* Downloads count floats from the GPU and returns their element-wise error against the
 * CPU's ref (backend_check.h; prior: what an accumulated output held before, or NULL). */
static double compare_each(const char *op, const float *ref, const void *dev, size_t count, const float *prior,
                           double tol)
{
    float *got = host_alloc(count);
    double *r = malloc((count ? count : 1) * sizeof *r);
    assert_non_null(r);
    assert_int_equal(gpu->download(got, dev, count * sizeof *got, why, sizeof why), 0);
    for (size_t i = 0; i < count; i++) r[i] = ref[i];
    double err = elementwise_error(count, got, r, prior);
    free(got), free(r);
    print_message("# %-34s %9zu values, max error per element %.2g (tolerance %.2g)\n", op, count, err, LIMIT(tol));
    return err;
}

#define RUN(call)                                  \
    do {                                           \
        int rc_ = (call);                          \
        if (rc_) print_message("# %s\n", why);     \
        assert_int_equal(rc_, 0);                  \
    } while (0)

#define EXPECT(op, ref, dev, count, tol) assert_true(compare((op), (ref), (dev), (count), (tol)) <= LIMIT(tol))
/* the cells' ops: every element, and for an accumulated output its increment over prior */
#define EXPECT_EACH(op, ref, dev, count, prior, tol) \
    assert_true(compare_each((op), (ref), (dev), (count), (prior), (tol)) <= LIMIT(tol))
/* test_cells.c holds the CPU within 16 float epsilons of double precision (at most 6 measured);
 * CUDA's expf, log1pf, tanhf, sincosf, hypotf and atan2f are within 1-3 ulp (CUDA C Programming Guide,
 * table of single-precision functions), like libmvec's 4: two backends each within 16 of the exact
 * value are within 32 of each other */
#define CELL_TOL (32 * FLT_EPSILON)
#define EXPECT_D(op, ref, dev, count, tol) \
    assert_true(compare_d((op), (ref), (dev), (count), (tol)) <= LIMIT(tol))

static void test_u8_affine(void **state)
{
    (void)state;
    const size_t n = ((size_t)1 << 20) + 3; /* vector body and a scalar tail */
    uint8_t *src = malloc(n);
    float *ref = host_alloc(n);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 2654435761u >> 24);
    RUN(cpu->u8_affine(src, ref, n, 1.0f / 255, 0.25f, why, sizeof why));
    void *dsrc = to_gpu(src, n), *dout = gpu_alloc(n * 4);
    RUN(gpu->u8_affine(dsrc, dout, n, 1.0f / 255, 0.25f, why, sizeof why));
    /* 1e-6: the GPU fuses the multiply-add the CPU rounds twice (1 ulp) */
    EXPECT("u8_affine", ref, dout, n, 1e-6);
    gpu->free(dsrc), gpu->free(dout);
    free(src), free(ref);
}

static void test_activations(void **state)
{
    (void)state;
    const size_t n = ((size_t)1 << 20) + 3;
    float *x = host_rand(n, 1), *dy = host_rand(n, 2), *y = host_alloc(n), *dx = host_alloc(n);
    for (size_t i = 0; i < n; i++) x[i] *= 30; /* into the saturated tails of every activation */
    void *gx = to_gpu(x, n * 4), *gdy = to_gpu(dy, n * 4), *gy = gpu_alloc(n * 4), *gdx = gpu_alloc(n * 4);
    for (int k = 0; k < PH_ACT_COUNT; k++) {
        char name[64];
        RUN(cpu->act_forward((ph_act)k, x, y, n, why, sizeof why));
        RUN(cpu->act_backward((ph_act)k, x, y, dy, dx, n, why, sizeof why));
        RUN(gpu->act_forward((ph_act)k, gx, gy, n, why, sizeof why));
        /* the backward gets the CPU's y, so it is compared on its own */
        void *gyref = to_gpu(y, n * 4);
        RUN(gpu->act_backward((ph_act)k, gx, gyref, gdy, gdx, n, why, sizeof why));
        /* relu: a select, exact; the others: CUDA's expf/tanhf/log1pf are within 2 ulp of
         * glibc's, so 1e-6 of the largest value */
        double tol = k == PH_ACT_RELU ? 0 : 1e-6;
        snprintf(name, sizeof name, "act_forward %s", ph_act_names[k]);
        EXPECT(name, y, gy, n, tol);
        snprintf(name, sizeof name, "act_backward %s", ph_act_names[k]);
        EXPECT(name, dx, gdx, n, tol);
        gpu->free(gyref);
    }
    gpu->free(gx), gpu->free(gdy), gpu->free(gy), gpu->free(gdx);
    free(x), free(dy), free(y), free(dx);
}

static void test_binary_axpby_fill_copy(void **state)
{
    (void)state;
    /* more than 65535 blocks of 256: the grid-stride loops wrap */
    const size_t n = ((size_t)1 << 24) + 77;
    float *a = host_rand(n, 3), *b = host_rand(n, 4), *y = host_alloc(n);
    void *ga = to_gpu(a, n * 4), *gb = to_gpu(b, n * 4), *gy = gpu_alloc(n * 4);
    const char *names[PH_BIN_COUNT] = {"binary add", "binary sub", "binary mul"};
    for (int op = 0; op < PH_BIN_COUNT; op++) {
        RUN(cpu->binary((ph_binop)op, a, b, y, n, why, sizeof why));
        RUN(gpu->binary((ph_binop)op, ga, gb, gy, n, why, sizeof why));
        /* 0: one correctly rounded IEEE operation on both */
        EXPECT(names[op], y, gy, n, 0);
    }
    /* in place: y aliases a */
    float *a2 = host_rand(n, 3);
    RUN(cpu->binary(PH_BIN_MUL, a2, b, a2, n, why, sizeof why));
    RUN(gpu->binary(PH_BIN_MUL, ga, gb, ga, n, why, sizeof why));
    EXPECT("binary mul in place", a2, ga, n, 0); /* 0: as above */
    free(a2);
    RUN(gpu->upload(ga, a, n * 4, why, sizeof why));

    /* axpby with beta != 0, then beta = 0 over a y full of NaN (must not be read) */
    memcpy(y, b, n * 4);
    RUN(gpu->upload(gy, b, n * 4, why, sizeof why));
    RUN(cpu->axpby(0.75f, a, -1.25f, y, n, why, sizeof why));
    RUN(gpu->axpby(0.75f, ga, -1.25f, gy, n, why, sizeof why));
    /* 0: the GPU rounds both products and the sum separately, like the CPU */
    EXPECT("axpby", y, gy, n, 0);
    for (size_t i = 0; i < n; i++) y[i] = NAN;
    RUN(gpu->upload(gy, y, n * 4, why, sizeof why));
    RUN(cpu->axpby(-3.0f, a, 0.0f, y, n, why, sizeof why));
    RUN(gpu->axpby(-3.0f, ga, 0.0f, gy, n, why, sizeof why));
    EXPECT("axpby beta=0 over NaN", y, gy, n, 0); /* 0: one rounded product on both */

    RUN(cpu->fill(y, 0.3f, n, why, sizeof why));
    RUN(gpu->fill(gy, 0.3f, n, why, sizeof why));
    EXPECT("fill", y, gy, n, 0); /* 0: a copy */

    /* a 301 x 77 block from a 301 x 123 matrix into column 40 of a 301 x 150 one */
    const size_t rows = 301, cols = 77, lds = 123, ldd = 150;
    float *src = host_rand(rows * lds, 5), *dst = host_rand(rows * ldd, 6);
    void *gsrc = to_gpu(src, rows * lds * 4), *gdst = to_gpu(dst, rows * ldd * 4);
    RUN(cpu->copy2d(dst + 40, ldd, src + 7, lds, rows, cols, why, sizeof why));
    RUN(gpu->copy2d((float *)gdst + 40, ldd, (const float *)gsrc + 7, lds, rows, cols, why, sizeof why));
    EXPECT("copy2d", dst, gdst, rows * ldd, 0); /* 0: a copy; the untouched columns too */

    gpu->free(ga), gpu->free(gb), gpu->free(gy), gpu->free(gsrc), gpu->free(gdst);
    free(a), free(b), free(y), free(src), free(dst);
}

static void test_avgpool_global(void **state)
{
    (void)state;
    const size_t planes = 37, spatial = 4099, count = planes * spatial;
    float *x = host_rand(count, 61), *y = host_alloc(planes), *dy = host_rand(planes, 62), *dx = host_alloc(count);
    RUN(cpu->avgpool_global_forward(x, y, planes, spatial, why, sizeof why));
    RUN(cpu->avgpool_global_backward(dy, dx, planes, spatial, why, sizeof why));
    void *gx = to_gpu(x, count * 4), *gdy = to_gpu(dy, planes * 4);
    void *gy = gpu_alloc(planes * 4), *gdx = gpu_alloc(count * 4);
    RUN(gpu->avgpool_global_forward(gx, gy, planes, spatial, why, sizeof why));
    RUN(gpu->avgpool_global_backward(gdy, gdx, planes, spatial, why, sizeof why));
    /* 1e-6: double sums in another order, rounded to float */
    EXPECT("avgpool_global forward", y, gy, planes, 1e-6);
    /* 1e-6: the same single division on both; slack for a differing last bit */
    EXPECT("avgpool_global backward", dx, gdx, count, 1e-6);
    gpu->free(gx), gpu->free(gdy), gpu->free(gy), gpu->free(gdx);
    free(x), free(y), free(dy), free(dx);
}

static void test_optimisers(void **state)
{
    (void)state;
    const size_t count = 100003;
    float *g = host_rand(count, 64);
    void *gg = to_gpu(g, count * 4);
    /* Three Adam steps from the same state on both backends, L2 and decoupled decay. */
    for (int decoupled = 0; decoupled < 2; decoupled++) {
        float *p = host_rand(count, 63), *m = calloc(count, 4), *v = calloc(count, 4);
        void *gp = to_gpu(p, count * 4), *gm = to_gpu(m, count * 4), *gv = to_gpu(v, count * 4);
        for (int t = 1; t <= 3; t++) {
            RUN(cpu->adam_update(p, g, m, v, count, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, t, why, sizeof why));
            RUN(gpu->adam_update(gp, gg, gm, gv, count, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, t, why, sizeof why));
        }
        /* 1e-6: the GPU fuses multiply-adds the CPU rounds twice (a few ulp after 3 steps) */
        EXPECT(decoupled ? "adam_update AdamW (3 steps)" : "adam_update L2 (3 steps)", p, gp, count, 1e-6);
        EXPECT(decoupled ? "adam_update AdamW m" : "adam_update L2 m", m, gm, count, 1e-6);
        EXPECT(decoupled ? "adam_update AdamW v" : "adam_update L2 v", v, gv, count, 1e-6);
        gpu->free(gp), gpu->free(gm), gpu->free(gv);
        free(p), free(m), free(v);
    }
    /* SGD: no momentum (no buffer), heavy-ball and Nesterov momentum, three steps each */
    const struct {
        float momentum;
        int nesterov;
        const char *name;
    } cases[] = {{0, 0, "sgd_update plain"}, {0.9f, 0, "sgd_update momentum"}, {0.9f, 1, "sgd_update nesterov"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *p = host_rand(count, 65), *buf = host_rand(count, 66);
        void *gp = to_gpu(p, count * 4), *gbuf = to_gpu(buf, count * 4);
        int mom = cases[c].momentum != 0;
        for (int t = 1; t <= 3; t++) {
            RUN(cpu->sgd_update(p, g, mom ? buf : NULL, count, 0.05f, cases[c].momentum, 1e-4f, cases[c].nesterov, t, why, sizeof why));
            RUN(gpu->sgd_update(gp, gg, mom ? gbuf : NULL, count, 0.05f, cases[c].momentum, 1e-4f, cases[c].nesterov, t, why, sizeof why));
        }
        /* 1e-6: fused multiply-adds on the GPU, as for Adam */
        EXPECT(cases[c].name, p, gp, count, 1e-6);
        if (mom) EXPECT("sgd_update momentum buffer", buf, gbuf, count, 1e-6); /* 1e-6: as above */
        gpu->free(gp), gpu->free(gbuf);
        free(p), free(buf);
    }
    gpu->free(gg);
    free(g);
}

static void test_sgemm(void **state)
{
    (void)state;
    enum { M = 129, N = 67, K = 255 };
    float *a = host_alloc(M * K), *b = host_alloc(K * N), *c = host_alloc(M * N);
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1, lda = ta ? M : K, ldb = tb ? K : N;
        fill(a, M * K, 3 + t), fill(b, K * N, 9 + t), fill(c, M * N, 5);
        void *da = to_gpu(a, M * K * 4), *db = to_gpu(b, K * N * 4), *dc = to_gpu(c, M * N * 4);
        RUN(cpu->sgemm(ta, tb, M, N, K, 0.75f, a, lda, b, ldb, 0.5f, c, N, why, sizeof why));
        RUN(gpu->sgemm(ta, tb, M, N, K, 0.75f, da, lda, db, ldb, 0.5f, dc, N, why, sizeof why));
        char name[32];
        snprintf(name, sizeof name, "sgemm %c%c", ta ? 'T' : 'N', tb ? 'T' : 'N');
        /* 1e-5: 255-term dot products summed in a different order, with FMA */
        EXPECT(name, c, dc, M * N, 1e-5);
        gpu->free(da), gpu->free(db), gpu->free(dc);
    }
    free(a), free(b), free(c);
}

static void test_sgemm_batched(void **state)
{
    (void)state;
    /* attention-like sizes; padded leading dimensions and matrix strides */
    enum { B = 6, M = 49, N = 33, K = 70, PAD = 3, GAP = 11 };
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        int64_t lda = (ta ? M : K) + PAD, ldb = (tb ? K : N) + PAD, ldc = N + PAD;
        int64_t sa = lda * (ta ? K : M) + GAP, sb = ldb * (tb ? N : K) + GAP, sc = ldc * M + GAP;
        float *a = host_rand(B * sa, 20 + t), *b = host_rand(B * sb, 30 + t), *c = host_rand(B * sc, 40);
        void *da = to_gpu(a, B * sa * 4), *db = to_gpu(b, B * sb * 4), *dc = to_gpu(c, B * sc * 4);
        RUN(cpu->sgemm_batched(ta, tb, M, N, K, 1.5f, a, lda, sa, b, ldb, sb, -0.5f, c, ldc, sc, B, why, sizeof why));
        RUN(gpu->sgemm_batched(ta, tb, M, N, K, 1.5f, da, lda, sa, db, ldb, sb, -0.5f, dc, ldc, sc, B, why, sizeof why));
        char name[40];
        snprintf(name, sizeof name, "sgemm_batched %c%c x%d", ta ? 'T' : 'N', tb ? 'T' : 'N', (int)B);
        /* 1e-5: as for sgemm; the padding between rows and matrices is compared too (untouched) */
        EXPECT(name, c, dc, B * sc, 1e-5);
        gpu->free(da), gpu->free(db), gpu->free(dc);
        free(a), free(b), free(c);
    }
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
        float *x = host_rand(nx, 41), *w = host_rand(nw, 43), *b = host_rand(s.o, 47), *dy = host_rand(ny, 53);
        float *y = host_alloc(ny), *dx = host_alloc(nx), *dw = host_alloc(nw), *dbias = host_alloc(s.o);
        RUN(cpu->conv_forward(&s, x, w, b, y, why, sizeof why));
        RUN(cpu->conv_backward_data(&s, dy, w, dx, why, sizeof why));
        RUN(cpu->conv_backward_weights(&s, x, dy, dw, dbias, why, sizeof why));
        void *gx = to_gpu(x, nx * 4), *gw = to_gpu(w, nw * 4), *gb = to_gpu(b, s.o * 4), *gdy = to_gpu(dy, ny * 4);
        void *gy = gpu_alloc(ny * 4), *gdx = gpu_alloc(nx * 4), *gdw = gpu_alloc(nw * 4), *gdb = gpu_alloc(s.o * 4);
        RUN(gpu->conv_forward(&s, gx, gw, gb, gy, why, sizeof why));
        RUN(gpu->conv_backward_data(&s, gdy, gw, gdx, why, sizeof why));
        RUN(gpu->conv_backward_weights(&s, gx, gdy, gdw, gdb, why, sizeof why));
        char name[48];
        /* 1e-5 each: sums over up to a few thousand taps in another order (cuDNN's algorithm
         * choice), FMA math */
        snprintf(name, sizeof name, "conv%dd #%zu forward", s.nsp, t);
        EXPECT(name, y, gy, ny, 1e-5);
        snprintf(name, sizeof name, "conv%dd #%zu backward data", s.nsp, t);
        EXPECT(name, dx, gdx, nx, 1e-5);
        snprintf(name, sizeof name, "conv%dd #%zu backward weights", s.nsp, t);
        EXPECT(name, dw, gdw, nw, 1e-5);
        snprintf(name, sizeof name, "conv%dd #%zu backward bias", s.nsp, t);
        EXPECT(name, dbias, gdb, s.o, 1e-5);
        gpu->free(gx), gpu->free(gw), gpu->free(gb), gpu->free(gdy);
        gpu->free(gy), gpu->free(gdx), gpu->free(gdw), gpu->free(gdb);
        free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(dbias);
    }
}

static void test_pooling(void **state)
{
    (void)state;
    /* nsp, n, c, kind, in, k, stride, pad: overlapping and disjoint windows, padding,
     * odd sizes, 3D */
    const ph_pool_shape shapes[] = {
        {2, 2, 5, PH_POOL_MAX, {17, 14}, {3, 3}, {2, 2}, {1, 1}, {0}},
        {2, 2, 5, PH_POOL_AVG, {17, 14}, {3, 3}, {2, 2}, {1, 1}, {0}},
        {2, 3, 4, PH_POOL_MAX, {16, 16}, {2, 2}, {2, 2}, {0, 0}, {0}},
        {2, 3, 4, PH_POOL_AVG, {15, 9}, {3, 2}, {1, 2}, {1, 0}, {0}},
        {3, 2, 3, PH_POOL_MAX, {6, 11, 10}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {0}},
        {3, 2, 3, PH_POOL_AVG, {6, 11, 10}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {0}},
        {3, 2, 4, PH_POOL_MAX, {8, 8, 8}, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}, {0}},
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++)
        for (int ties = 0; ties < 2; ties++) {
            ph_pool_shape s = shapes[t];
            if (ties && s.kind != PH_POOL_MAX) continue;
            assert_int_equal(ph_pool_shape_init(&s, why, sizeof why), 0);
            size_t nx = ph_pool_x_count(&s), ny = ph_pool_y_count(&s);
            float *x = host_rand(nx, 71 + t), *dy = host_rand(ny, 81 + t), *y = host_alloc(ny), *dx = host_alloc(nx);
            /* ties: a ReLU output, many windows all zero; the gradient must go to the first
             * maximum in scan order on both backends */
            if (ties)
                for (size_t i = 0; i < nx; i++) x[i] = x[i] > 0.5f ? x[i] : 0;
            RUN(cpu->pool_forward(&s, x, y, why, sizeof why));
            RUN(cpu->pool_backward(&s, x, y, dy, dx, why, sizeof why));
            void *gx = to_gpu(x, nx * 4), *gdy = to_gpu(dy, ny * 4), *gy = gpu_alloc(ny * 4), *gdx = gpu_alloc(nx * 4);
            RUN(gpu->pool_forward(&s, gx, gy, why, sizeof why));
            RUN(gpu->pool_backward(&s, gx, gy, gdy, gdx, why, sizeof why));
            char name[64];
            const char *kind = s.kind == PH_POOL_MAX ? "max" : "avg";
            snprintf(name, sizeof name, "pool%dd %s #%zu%s forward", s.nsp, kind, t, ties ? " ties" : "");
            /* max: 0, the maximum is one of the inputs; avg: 1e-6, the window sums in another
             * order */
            double tol = s.kind == PH_POOL_MAX ? 0 : 1e-6;
            EXPECT(name, y, gy, ny, tol);
            snprintf(name, sizeof name, "pool%dd %s #%zu%s backward", s.nsp, kind, t, ties ? " ties" : "");
            /* 1e-6: overlapping windows add their gradients in another order; a tie routed to
             * another element would give an error of order 1 */
            EXPECT(name, dx, gdx, nx, 1e-6);
            gpu->free(gx), gpu->free(gdy), gpu->free(gy), gpu->free(gdx);
            free(x), free(dy), free(y), free(dx);
        }
}

static void test_norm(void **state)
{
    (void)state;
    /* batch norm, group norm, instance norm (G = C), layer norm (G = 1), a 1x1 batch norm */
    const ph_norm_shape shapes[] = {{4, 6, 0, 50}, {3, 8, 4, 37}, {2, 5, 5, 64}, {3, 6, 1, 20}, {64, 16, 0, 1}};
    const char *names[] = {"batch", "group", "instance", "layer", "batch 1x1"};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const ph_norm_shape *s = &shapes[t];
        size_t count = (size_t)s->n * s->c * s->s, K = ph_norm_stat_count(s), C = (size_t)s->c;
        double M = ph_norm_stat_elements(s);
        float *x = host_rand(count, 90 + t), *dy = host_rand(count, 100 + t);
        float *gamma = host_rand(C, 110 + t), *beta = host_rand(C, 120 + t);
        for (size_t i = 0; i < count; i++) x[i] = 2 * x[i] + 0.5f; /* a mean away from 0 */
        double *sum = malloc(K * 8), *sumsq = malloc(K * 8), *sg = malloc(K * 8), *sgx = malloc(K * 8);
        float *mean = host_alloc(K), *rstd = host_alloc(K), *a = host_alloc(K), *b = host_alloc(K);
        float *y = host_alloc(count), *y0 = host_alloc(count), *dx = host_alloc(count);
        float *dgamma = host_alloc(C), *dbeta = host_alloc(C);
        void *gx = to_gpu(x, count * 4), *gdy = to_gpu(dy, count * 4), *ggamma = to_gpu(gamma, C * 4), *gbeta = to_gpu(beta, C * 4);
        void *gsum = gpu_alloc(K * 8), *gsumsq = gpu_alloc(K * 8), *gsg = gpu_alloc(K * 8), *gsgx = gpu_alloc(K * 8);
        void *gy = gpu_alloc(count * 4), *gdx = gpu_alloc(count * 4), *gdgamma = gpu_alloc(C * 4), *gdbeta = gpu_alloc(C * 4);
        char name[64];

        RUN(cpu->norm_moments(s, x, sum, sumsq, why, sizeof why));
        RUN(gpu->norm_moments(s, gx, gsum, gsumsq, why, sizeof why));
        /* 1e-12: double sums of the same terms in another order */
        snprintf(name, sizeof name, "norm %s moments sum", names[t]);
        EXPECT_D(name, sum, gsum, K, 1e-12);
        snprintf(name, sizeof name, "norm %s moments sumsq", names[t]);
        EXPECT_D(name, sumsq, gsumsq, K, 1e-12);

        /* both backends normalise with the same statistics */
        for (size_t k = 0; k < K; k++) {
            double mu = sum[k] / M, var = sumsq[k] / M - mu * mu;
            mean[k] = (float)mu, rstd[k] = (float)(1 / sqrt(var + 1e-5));
        }
        void *gmean = to_gpu(mean, K * 4), *grstd = to_gpu(rstd, K * 4);
        RUN(cpu->norm_forward(s, x, mean, rstd, gamma, beta, y, why, sizeof why));
        RUN(cpu->norm_forward(s, x, mean, rstd, NULL, NULL, y0, why, sizeof why));
        RUN(gpu->norm_forward(s, gx, gmean, grstd, ggamma, gbeta, gy, why, sizeof why));
        /* 1e-6: the GPU fuses x scale + shift into one FMA */
        snprintf(name, sizeof name, "norm %s forward", names[t]);
        EXPECT(name, y, gy, count, 1e-6);
        RUN(gpu->norm_forward(s, gx, gmean, grstd, NULL, NULL, gy, why, sizeof why));
        snprintf(name, sizeof name, "norm %s forward, no affine", names[t]);
        EXPECT(name, y0, gy, count, 1e-6); /* 1e-6: as above */

        RUN(cpu->norm_backward_sums(s, x, dy, mean, rstd, gamma, sg, sgx, dgamma, dbeta, why, sizeof why));
        RUN(gpu->norm_backward_sums(s, gx, gdy, gmean, grstd, ggamma, gsg, gsgx, gdgamma, gdbeta, why, sizeof why));
        /* 1e-12: double sums of the same terms in another order */
        snprintf(name, sizeof name, "norm %s backward sum_g", names[t]);
        EXPECT_D(name, sg, gsg, K, 1e-12);
        snprintf(name, sizeof name, "norm %s backward sum_gx", names[t]);
        EXPECT_D(name, sgx, gsgx, K, 1e-12);
        /* 1e-6: double sums in another order, rounded to float (1 ulp) */
        snprintf(name, sizeof name, "norm %s backward dgamma", names[t]);
        EXPECT(name, dgamma, gdgamma, C, 1e-6);
        snprintf(name, sizeof name, "norm %s backward dbeta", names[t]);
        EXPECT(name, dbeta, gdbeta, C, 1e-6);

        for (size_t k = 0; k < K; k++) a[k] = (float)(sg[k] / M), b[k] = (float)(sgx[k] / M);
        void *ga = to_gpu(a, K * 4), *gb = to_gpu(b, K * 4);
        RUN(cpu->norm_backward_apply(s, x, dy, mean, rstd, gamma, a, b, dx, why, sizeof why));
        RUN(gpu->norm_backward_apply(s, gx, gdy, gmean, grstd, ggamma, ga, gb, gdx, why, sizeof why));
        /* 1e-6: a few float operations per element, fused differently */
        snprintf(name, sizeof name, "norm %s backward apply", names[t]);
        EXPECT(name, dx, gdx, count, 1e-6);

        gpu->free(gx), gpu->free(gdy), gpu->free(ggamma), gpu->free(gbeta), gpu->free(gsum);
        gpu->free(gsumsq), gpu->free(gsg), gpu->free(gsgx), gpu->free(gy), gpu->free(gdx);
        gpu->free(gdgamma), gpu->free(gdbeta), gpu->free(gmean), gpu->free(grstd), gpu->free(ga), gpu->free(gb);
        free(x), free(dy), free(gamma), free(beta), free(sum), free(sumsq), free(sg), free(sgx);
        free(mean), free(rstd), free(a), free(b), free(y), free(y0), free(dx), free(dgamma), free(dbeta);
    }
}

/* A batch of 0 (a rank whose share of the global batch is empty): both
 * backends accept it, and where statistics or per-channel gradients exist
 * (batch norm; group norm's dgamma, dbeta) they are written as zeros, which
 * the GPU buffers, filled with 7 first, must show. */
static void test_norm_empty_batch(void **state)
{
    (void)state;
    const ph_norm_shape shapes[] = {{0, 6, 0, 50}, {0, 8, 4, 37}};
    const char *names[] = {"batch", "group"};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const ph_norm_shape *s = &shapes[t];
        size_t K = ph_norm_stat_count(s), C = (size_t)s->c, KB = K ? K : 1;
        double *sum = malloc(KB * 8), *sumsq = malloc(KB * 8), *sg = malloc(KB * 8), *sgx = malloc(KB * 8);
        double *seven_d = malloc(KB * 8);
        float *x = host_rand(1, 130), *gamma = host_rand(C, 131), *dgamma = host_alloc(C), *dbeta = host_alloc(C);
        float *seven = host_alloc(C), *stat = host_alloc(KB);
        assert_true(sum && sumsq && sg && sgx && seven_d);
        for (size_t i = 0; i < KB; i++) seven_d[i] = 7, stat[i] = 1;
        for (size_t i = 0; i < C; i++) seven[i] = 7;
        void *gx = to_gpu(x, 4), *ggamma = to_gpu(gamma, C * 4), *gstat = to_gpu(stat, KB * 4);
        void *gsum = to_gpu(seven_d, KB * 8), *gsumsq = to_gpu(seven_d, KB * 8);
        void *gsg = to_gpu(seven_d, KB * 8), *gsgx = to_gpu(seven_d, KB * 8);
        void *gdgamma = to_gpu(seven, C * 4), *gdbeta = to_gpu(seven, C * 4), *gy = gpu_alloc(4);
        char name[64];

        RUN(cpu->norm_moments(s, x, sum, sumsq, why, sizeof why));
        RUN(gpu->norm_moments(s, gx, gsum, gsumsq, why, sizeof why));
        snprintf(name, sizeof name, "norm %s, batch 0, moments sum", names[t]);
        EXPECT_D(name, sum, gsum, K, 0);
        snprintf(name, sizeof name, "norm %s, batch 0, moments sumsq", names[t]);
        EXPECT_D(name, sumsq, gsumsq, K, 0);
        RUN(gpu->norm_forward(s, gx, gstat, gstat, ggamma, ggamma, gy, why, sizeof why));
        RUN(cpu->norm_backward_sums(s, x, x, stat, stat, gamma, sg, sgx, dgamma, dbeta, why, sizeof why));
        RUN(gpu->norm_backward_sums(s, gx, gx, gstat, gstat, ggamma, gsg, gsgx, gdgamma, gdbeta, why, sizeof why));
        snprintf(name, sizeof name, "norm %s, batch 0, backward sum_g", names[t]);
        EXPECT_D(name, sg, gsg, K, 0);
        snprintf(name, sizeof name, "norm %s, batch 0, backward sum_gx", names[t]);
        EXPECT_D(name, sgx, gsgx, K, 0);
        snprintf(name, sizeof name, "norm %s, batch 0, backward dgamma", names[t]);
        EXPECT(name, dgamma, gdgamma, C, 0);
        snprintf(name, sizeof name, "norm %s, batch 0, backward dbeta", names[t]);
        EXPECT(name, dbeta, gdbeta, C, 0);
        RUN(gpu->norm_backward_apply(s, gx, gx, gstat, gstat, ggamma, gstat, gstat, gy, why, sizeof why));

        gpu->free(gx), gpu->free(ggamma), gpu->free(gstat), gpu->free(gsum), gpu->free(gsumsq);
        gpu->free(gsg), gpu->free(gsgx), gpu->free(gdgamma), gpu->free(gdbeta), gpu->free(gy);
        free(sum), free(sumsq), free(sg), free(sgx), free(seven_d), free(x), free(gamma);
        free(dgamma), free(dbeta), free(seven), free(stat);
    }
}

static void test_softmax(void **state)
{
    (void)state;
    /* short rows (fewer columns than threads), long odd rows */
    const size_t dims[][2] = {{300, 17}, {37, 1000}, {5, 4099}};
    for (size_t t = 0; t < sizeof dims / sizeof dims[0]; t++) {
        size_t rows = dims[t][0], cols = dims[t][1], count = rows * cols;
        float *x = host_rand(count, 130 + t), *dy = host_rand(count, 140 + t), *y = host_alloc(count), *dx = host_alloc(count);
        /* logits up to 150: exp would overflow unless the row maximum is subtracted */
        for (size_t i = 0; i < count; i++) x[i] = 50 * x[i] + 100;
        RUN(cpu->softmax_forward(x, y, rows, cols, why, sizeof why));
        RUN(cpu->softmax_backward(y, dy, dx, rows, cols, why, sizeof why));
        void *gx = to_gpu(x, count * 4), *gdy = to_gpu(dy, count * 4), *gy = gpu_alloc(count * 4), *gdx = gpu_alloc(count * 4);
        RUN(gpu->softmax_forward(gx, gy, rows, cols, why, sizeof why));
        char name[64];
        snprintf(name, sizeof name, "softmax %zux%zu forward", rows, cols);
        /* 1e-6: CUDA's expf is within 2 ulp of glibc's; the row sum is in double on both */
        EXPECT(name, y, gy, count, 1e-6);
        void *gyref = to_gpu(y, count * 4); /* the backward gets the CPU's y */
        RUN(gpu->softmax_backward(gyref, gdy, gdx, rows, cols, why, sizeof why));
        snprintf(name, sizeof name, "softmax %zux%zu backward", rows, cols);
        /* 1e-6: the dot product in double in another order, then the same float steps */
        EXPECT(name, dx, gdx, count, 1e-6);
        gpu->free(gx), gpu->free(gdy), gpu->free(gy), gpu->free(gdx), gpu->free(gyref);
        free(x), free(dy), free(y), free(dx);
    }
}

static void test_resize(void **state)
{
    (void)state;
    /* non-square: up, down, up in one axis and down in the other, integer factors */
    const int dims[][4] = {{15, 22, 31, 47}, {31, 47, 12, 9}, {16, 40, 33, 17}, {16, 16, 64, 48}, {64, 48, 16, 16}};
    const size_t planes = 7;
    for (size_t t = 0; t < sizeof dims / sizeof dims[0]; t++) {
        int ih = dims[t][0], iw = dims[t][1], oh = dims[t][2], ow = dims[t][3];
        size_t nx = planes * ih * iw, ny = planes * oh * ow;
        float *x = host_rand(nx, 150 + t), *dy = host_rand(ny, 160 + t), *y = host_alloc(ny), *dx = host_alloc(nx);
        RUN(cpu->resize_forward(x, y, planes, ih, iw, oh, ow, why, sizeof why));
        RUN(cpu->resize_backward(dy, dx, planes, ih, iw, oh, ow, why, sizeof why));
        void *gx = to_gpu(x, nx * 4), *gdy = to_gpu(dy, ny * 4), *gy = gpu_alloc(ny * 4);
        void *gdx = to_gpu(x, nx * 4); /* not zeroed: the backward must overwrite it */
        RUN(gpu->resize_forward(gx, gy, planes, ih, iw, oh, ow, why, sizeof why));
        RUN(gpu->resize_backward(gdy, gdx, planes, ih, iw, oh, ow, why, sizeof why));
        char name[64];
        snprintf(name, sizeof name, "resize %dx%d->%dx%d forward", ih, iw, oh, ow);
        /* 1e-6: the GPU rounds every step as the CPU does, so this should be exact; slack for
         * a last bit */
        EXPECT(name, y, gy, ny, 1e-6);
        snprintf(name, sizeof name, "resize %dx%d->%dx%d backward", ih, iw, oh, ow);
        /* 1e-6: a gather summed in double against a float scatter (measured 1.4e-7 on the host) */
        EXPECT(name, dx, gdx, nx, 1e-6);
        gpu->free(gx), gpu->free(gdy), gpu->free(gy), gpu->free(gdx);
        free(x), free(dy), free(y), free(dx);
    }
}

static void test_complex(void **state)
{
    (void)state;
    const size_t n = 100003;
    float *mag = host_rand(n, 170), *phase = host_rand(n, 171), *d1 = host_rand(n, 172), *d2 = host_rand(n, 173);
    for (size_t i = 0; i < n; i++) mag[i] = fabsf(mag[i]) * 3, phase[i] *= 7; /* several turns */
    float *re = host_alloc(n), *im = host_alloc(n), *o1 = host_alloc(n), *o2 = host_alloc(n);
    void *gmag = to_gpu(mag, n * 4), *gphase = to_gpu(phase, n * 4), *gd1 = to_gpu(d1, n * 4), *gd2 = to_gpu(d2, n * 4);
    void *g1 = gpu_alloc(n * 4), *g2 = gpu_alloc(n * 4);

    RUN(cpu->polar_forward(mag, phase, re, im, n, why, sizeof why));
    RUN(gpu->polar_forward(gmag, gphase, g1, g2, n, why, sizeof why));
    /* 1e-6 each: CUDA's sincosf and glibc's sinf/cosf are within 2 ulp */
    EXPECT("polar_forward re", re, g1, n, 1e-6);
    EXPECT("polar_forward im", im, g2, n, 1e-6);
    RUN(cpu->polar_backward(mag, phase, d1, d2, o1, o2, n, why, sizeof why));
    RUN(gpu->polar_backward(gmag, gphase, gd1, gd2, g1, g2, n, why, sizeof why));
    EXPECT("polar_backward dmag", o1, g1, n, 1e-6);
    EXPECT("polar_backward dphase", o2, g2, n, 1e-6);

    /* abs_arg on z = re + i im from above, with some exact zeros (gradient 0 there) */
    for (size_t i = 0; i < n; i += 97) re[i] = im[i] = 0;
    void *gre = to_gpu(re, n * 4), *gim = to_gpu(im, n * 4);
    float *m2 = host_alloc(n), *p2 = host_alloc(n);
    RUN(cpu->abs_arg_forward(re, im, m2, p2, n, why, sizeof why));
    RUN(gpu->abs_arg_forward(gre, gim, g1, g2, n, why, sizeof why));
    /* 1e-6 each: hypotf and atan2f differ by up to 2 ulp between CUDA and glibc */
    EXPECT("abs_arg_forward mag", m2, g1, n, 1e-6);
    EXPECT("abs_arg_forward phase", p2, g2, n, 1e-6);
    void *gm2 = to_gpu(m2, n * 4); /* the backward gets the CPU's modulus */
    RUN(cpu->abs_arg_backward(re, im, m2, d1, d2, o1, o2, n, why, sizeof why));
    RUN(gpu->abs_arg_backward(gre, gim, gm2, gd1, gd2, g1, g2, n, why, sizeof why));
    /* 1e-6 each: a few float divisions, fused differently; near z = 0 the terms grow like
     * 1/|z| on both sides alike */
    EXPECT("abs_arg_backward dre", o1, g1, n, 1e-6);
    EXPECT("abs_arg_backward dim", o2, g2, n, 1e-6);
    RUN(cpu->abs_arg_backward(re, im, m2, d1, NULL, o1, o2, n, why, sizeof why));
    RUN(gpu->abs_arg_backward(gre, gim, gm2, gd1, NULL, g1, g2, n, why, sizeof why));
    EXPECT("abs_arg_backward dre, no dphase", o1, g1, n, 1e-6); /* 1e-6: as above */
    EXPECT("abs_arg_backward dim, no dphase", o2, g2, n, 1e-6);

    gpu->free(gmag), gpu->free(gphase), gpu->free(gd1), gpu->free(gd2), gpu->free(g1), gpu->free(g2);
    gpu->free(gre), gpu->free(gim), gpu->free(gm2);
    free(mag), free(phase), free(d1), free(d2), free(re), free(im), free(o1), free(o2), free(m2), free(p2);
}

/* The recurrent tracking cells' fused ops (kernels/cpu/cell.c, kernels/cuda/cell.cu). */
static void test_cells(void **state)
{
    (void)state;
    const int nb = CELL_NB, c = CELL_C;
    const size_t s = CELL_S, n = (size_t)nb * c * s;
    float *in[8], *pc[2];
    void *g[8], *gp[2];
    for (int i = 0; i < 8; i++) {
        in[i] = host_alloc(n);
        fill_cell_state(in[i], i);
        g[i] = to_gpu(in[i], n * 4);
    }
    for (int i = 0; i < 2; i++) pc[i] = host_alloc((size_t)c), fill_cell_param(pc[i], i), gp[i] = to_gpu(pc[i], (size_t)c * 4);
    float *o1 = host_alloc(n), *o2 = host_alloc(n), *o3 = host_alloc(n), *o4 = host_alloc(n), *o5 = host_alloc(n);
    float *s1 = host_alloc((size_t)c), *s2 = host_alloc((size_t)c);
    void *q1 = gpu_alloc(n * 4), *q2 = gpu_alloc(n * 4), *q3 = gpu_alloc(n * 4), *q4 = gpu_alloc(n * 4);
    void *q5 = gpu_alloc(n * 4), *r1 = gpu_alloc((size_t)c * 4), *r2 = gpu_alloc((size_t)c * 4);

    /* attention, a2 given and NULL */
    for (int with2 = 0; with2 < 2; with2++) {
        RUN(gpu->fill(q1, NAN, n, why, sizeof why)); /* outputs: NaN first, so a value not written shows */
        RUN(gpu->fill(q2, NAN, n, why, sizeof why));
        RUN(cpu->cell_attend_forward(n, in[0], with2 ? in[1] : NULL, in[2], o1, o2, why, sizeof why));
        RUN(gpu->cell_attend_forward(n, g[0], with2 ? g[1] : NULL, g[2], q1, q2, why, sizeof why));
        EXPECT_EACH("cell_attend_forward att", o1, q1, n, NULL, CELL_TOL);
        EXPECT_EACH("cell_attend_forward et", o2, q2, n, NULL, CELL_TOL);
    }
    void *ga = to_gpu(o1, n * 4); /* the backward gets the CPU's attention */
    memcpy(o3, in[5], n * 4);
    RUN(gpu->upload(q3, in[5], n * 4, why, sizeof why));
    /* outputs that are overwritten start as NaN, so an accidental += shows */
    RUN(gpu->fill(q4, NAN, n, why, sizeof why));
    RUN(cpu->cell_attend_backward(n, in[3], o1, in[2], o3, o4, why, sizeof why));
    RUN(gpu->cell_attend_backward(n, g[3], ga, g[2], q3, q4, why, sizeof why));
    EXPECT_EACH("cell_attend_backward de (accumulated)", o3, q3, n, in[5], CELL_TOL);
    EXPECT_EACH("cell_attend_backward da", o4, q4, n, NULL, CELL_TOL);

    /* inhibition: z, q, i_prev, g1, g2 from in[0..4]; the backward's gate is the CPU's */
    RUN(cpu->cell_inhibit_forward(nb, c, s, in[0], in[1], in[2], in[3], in[4], pc[0], pc[1], o1, o2, why, sizeof why));
    RUN(gpu->cell_inhibit_forward(nb, c, s, g[0], g[1], g[2], g[3], g[4], gp[0], gp[1], q1, q2, why, sizeof why));
    EXPECT_EACH("cell_inhibit_forward g", o1, q1, n, NULL, CELL_TOL);
    EXPECT_EACH("cell_inhibit_forward i", o2, q2, n, NULL, CELL_TOL);
    gpu->free(ga), ga = to_gpu(o1, n * 4);
    memcpy(o3, in[6], n * 4), memcpy(o4, in[7], n * 4);
    RUN(gpu->upload(q3, in[6], n * 4, why, sizeof why));
    RUN(gpu->upload(q4, in[7], n * 4, why, sizeof why));
    RUN(gpu->fill(q2, NAN, n, why, sizeof why)); /* overwritten outputs: NaN first, as above */
    RUN(gpu->fill(q5, NAN, n, why, sizeof why));
    RUN(gpu->fill(r1, NAN, (size_t)c, why, sizeof why));
    RUN(gpu->fill(r2, NAN, (size_t)c, why, sizeof why));
    RUN(cpu->cell_inhibit_backward(nb, c, s, in[5], in[0], in[1], in[2], o1, pc[0], pc[1], o3, o2, o4, o5, s1, s2, why,
                                   sizeof why));
    RUN(gpu->cell_inhibit_backward(nb, c, s, g[5], g[0], g[1], g[2], ga, gp[0], gp[1], q3, q2, q4, q5, r1, r2, why,
                                   sizeof why));
    EXPECT_EACH("cell_inhibit_backward dz (accumulated)", o3, q3, n, in[6], CELL_TOL);
    EXPECT_EACH("cell_inhibit_backward dq", o2, q2, n, NULL, CELL_TOL);
    EXPECT_EACH("cell_inhibit_backward dip (accumulated)", o4, q4, n, in[7], CELL_TOL);
    EXPECT_EACH("cell_inhibit_backward dg", o5, q5, n, NULL, CELL_TOL);
    /* per-channel sums of 7 x 1031 mixed-sign terms, in double on both: a channel whose sum
     * cancels is measured against the typical channel's */
    EXPECT_EACH("cell_inhibit_backward dalpha", s1, r1, (size_t)c, NULL, CELL_TOL);
    EXPECT_EACH("cell_inhibit_backward dmu", s2, r2, (size_t)c, NULL, CELL_TOL);

    /* excitation: r, i, e_prev, g1, g2 from in[0..4] */
    RUN(cpu->cell_excite_forward(nb, c, s, in[0], in[1], in[2], in[3], in[4], pc[0], pc[1], o1, o2, why, sizeof why));
    RUN(gpu->cell_excite_forward(nb, c, s, g[0], g[1], g[2], g[3], g[4], gp[0], gp[1], q1, q2, why, sizeof why));
    EXPECT_EACH("cell_excite_forward g", o1, q1, n, NULL, CELL_TOL);
    EXPECT_EACH("cell_excite_forward e", o2, q2, n, NULL, CELL_TOL);
    gpu->free(ga), ga = to_gpu(o1, n * 4);
    memcpy(o3, in[6], n * 4), memcpy(o4, in[7], n * 4);
    RUN(gpu->upload(q3, in[6], n * 4, why, sizeof why));
    RUN(gpu->upload(q4, in[7], n * 4, why, sizeof why));
    RUN(gpu->fill(q2, NAN, n, why, sizeof why)); /* overwritten outputs: NaN first, as above */
    RUN(gpu->fill(q5, NAN, n, why, sizeof why));
    RUN(gpu->fill(r1, NAN, (size_t)c, why, sizeof why));
    RUN(gpu->fill(r2, NAN, (size_t)c, why, sizeof why));
    RUN(cpu->cell_excite_backward(nb, c, s, in[5], in[0], in[1], in[2], o1, pc[0], pc[1], o2, o3, o4, o5, s1, s2, why,
                                  sizeof why));
    RUN(gpu->cell_excite_backward(nb, c, s, g[5], g[0], g[1], g[2], ga, gp[0], gp[1], q2, q3, q4, q5, r1, r2, why,
                                  sizeof why));
    EXPECT_EACH("cell_excite_backward dr", o2, q2, n, NULL, CELL_TOL);
    EXPECT_EACH("cell_excite_backward di (accumulated)", o3, q3, n, in[6], CELL_TOL);
    EXPECT_EACH("cell_excite_backward dep (accumulated)", o4, q4, n, in[7], CELL_TOL);
    EXPECT_EACH("cell_excite_backward dg", o5, q5, n, NULL, CELL_TOL);
    EXPECT_EACH("cell_excite_backward dkappa", s1, r1, (size_t)c, NULL, CELL_TOL);
    EXPECT_EACH("cell_excite_backward dgamma", s2, r2, (size_t)c, NULL, CELL_TOL);

    gpu->free(ga);
    for (int i = 0; i < 8; i++) gpu->free(g[i]), free(in[i]);
    for (int i = 0; i < 2; i++) gpu->free(gp[i]), free(pc[i]);
    void *qs[] = {q1, q2, q3, q4, q5, r1, r2};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) gpu->free(qs[i]);
    free(o1), free(o2), free(o3), free(o4), free(o5), free(s1), free(s2);
}

static void test_complex_cells(void **state)
{
    (void)state;
    const size_t n = CELL_COMPLEX_N;
    float *v[6];
    for (int i = 0; i < 6; i++) v[i] = host_alloc(n);
    fill_complex_inputs(v);
    float *re = v[0], *im = v[1], *chi = v[2], *d1 = v[3], *d2 = v[4], *d3 = v[5];
    float *m = host_alloc(n), *ph = host_alloc(n), *o1 = host_alloc(n), *o2 = host_alloc(n), *o3 = host_alloc(n);
    void *gre = to_gpu(re, n * 4), *gim = to_gpu(im, n * 4), *gchi = to_gpu(chi, n * 4), *gd1 = to_gpu(d1, n * 4);
    void *gd2 = to_gpu(d2, n * 4), *gd3 = to_gpu(d3, n * 4), *q1 = gpu_alloc(n * 4), *q2 = gpu_alloc(n * 4);
    void *q3 = gpu_alloc(n * 4);
    for (int with_chi = 0; with_chi < 2; with_chi++) {
        RUN(gpu->fill(q1, NAN, n, why, sizeof why)); /* outputs: NaN first, so a value not written shows */
        RUN(gpu->fill(q2, NAN, n, why, sizeof why));
        RUN(cpu->cplx_magphase_forward(n, re, im, with_chi ? chi : NULL, m, ph, why, sizeof why));
        RUN(gpu->cplx_magphase_forward(n, gre, gim, with_chi ? gchi : NULL, q1, q2, why, sizeof why));
        EXPECT_EACH("cplx_magphase_forward mag", m, q1, n, NULL, CELL_TOL);
        EXPECT_EACH("cplx_magphase_forward phase", ph, q2, n, NULL, CELL_TOL);
        RUN(gpu->fill(q3, NAN, n, why, sizeof why)); /* dchi is overwritten: NaN first, so += shows */
        RUN(cpu->cplx_magphase_backward(n, re, im, d1, d2, o1, o2, with_chi ? o3 : NULL, why, sizeof why));
        RUN(gpu->cplx_magphase_backward(n, gre, gim, gd1, gd2, q1, q2, with_chi ? q3 : NULL, why, sizeof why));
        EXPECT_EACH("cplx_magphase_backward dre", o1, q1, n, NULL, CELL_TOL);
        EXPECT_EACH("cplx_magphase_backward dim", o2, q2, n, NULL, CELL_TOL);
        if (with_chi) EXPECT("cplx_magphase_backward dchi", o3, q3, n, 0); /* a halving: exact */
    }
    /* the optional pointers (kernels.h): the phase alone, then each incoming gradient NULL */
    RUN(gpu->fill(q2, NAN, n, why, sizeof why));
    RUN(cpu->cplx_magphase_forward(n, re, im, NULL, NULL, ph, why, sizeof why));
    RUN(gpu->cplx_magphase_forward(n, gre, gim, NULL, NULL, q2, why, sizeof why));
    EXPECT_EACH("cplx_magphase_forward phase, no mag", ph, q2, n, NULL, CELL_TOL);
    for (int drop = 0; drop < 2; drop++) {
        RUN(gpu->fill(q1, NAN, n, why, sizeof why));
        RUN(gpu->fill(q2, NAN, n, why, sizeof why));
        RUN(cpu->cplx_magphase_backward(n, re, im, drop ? d1 : NULL, drop ? NULL : d2, o1, o2, NULL, why, sizeof why));
        RUN(gpu->cplx_magphase_backward(n, gre, gim, drop ? gd1 : NULL, drop ? NULL : gd2, q1, q2, NULL, why,
                                        sizeof why));
        EXPECT_EACH(drop ? "cplx_magphase_backward dre, no dphase" : "cplx_magphase_backward dre, no dmag", o1, q1, n,
                    NULL, CELL_TOL);
        EXPECT_EACH(drop ? "cplx_magphase_backward dim, no dphase" : "cplx_magphase_backward dim, no dmag", o2, q2, n,
                    NULL, CELL_TOL);
    }
    for (int k = 0; k < PH_ACT_COUNT; k++) {
        char name[80];
        RUN(gpu->fill(q1, NAN, n, why, sizeof why));
        RUN(gpu->fill(q2, NAN, n, why, sizeof why));
        RUN(gpu->fill(q3, NAN, n, why, sizeof why));
        RUN(cpu->cplx_polar_act_forward((ph_act)k, n, re, d3, o1, o2, o3, why, sizeof why));
        RUN(gpu->cplx_polar_act_forward((ph_act)k, n, gre, gd3, q1, q2, q3, why, sizeof why));
        snprintf(name, sizeof name, "cplx_polar_act_forward %s re", ph_act_names[k]);
        EXPECT_EACH(name, o1, q1, n, NULL, CELL_TOL);
        snprintf(name, sizeof name, "cplx_polar_act_forward %s im", ph_act_names[k]);
        EXPECT_EACH(name, o2, q2, n, NULL, CELL_TOL);
        snprintf(name, sizeof name, "cplx_polar_act_forward %s mag", ph_act_names[k]);
        EXPECT_EACH(name, o3, q3, n, NULL, CELL_TOL);
        for (int with_dmag = 1; with_dmag >= 0; with_dmag--) {
            RUN(gpu->fill(q1, NAN, n, why, sizeof why));
            RUN(gpu->fill(q2, NAN, n, why, sizeof why));
            RUN(cpu->cplx_polar_act_backward((ph_act)k, n, re, d3, d1, d2, with_dmag ? chi : NULL, o1, o2, why,
                                             sizeof why));
            RUN(gpu->cplx_polar_act_backward((ph_act)k, n, gre, gd3, gd1, gd2, with_dmag ? gchi : NULL, q1, q2, why,
                                             sizeof why));
            snprintf(name, sizeof name, "cplx_polar_act_backward %s dm%s", ph_act_names[k], with_dmag ? "" : ", no dmag");
            EXPECT_EACH(name, o1, q1, n, NULL, CELL_TOL);
            snprintf(name, sizeof name, "cplx_polar_act_backward %s dphase%s", ph_act_names[k],
                     with_dmag ? "" : ", no dmag");
            EXPECT_EACH(name, o2, q2, n, NULL, CELL_TOL);
        }
    }
    RUN(gpu->fill(q1, NAN, n, why, sizeof why));
    RUN(gpu->fill(q2, NAN, n, why, sizeof why));
    RUN(cpu->cplx_polar_act_forward(PH_ACT_SOFTPLUS, n, re, d3, o1, o2, NULL, why, sizeof why));
    RUN(gpu->cplx_polar_act_forward(PH_ACT_SOFTPLUS, n, gre, gd3, q1, q2, NULL, why, sizeof why));
    EXPECT_EACH("cplx_polar_act_forward softplus re, no mag", o1, q1, n, NULL, CELL_TOL);
    EXPECT_EACH("cplx_polar_act_forward softplus im, no mag", o2, q2, n, NULL, CELL_TOL);
    void *gs[] = {gre, gim, gchi, gd1, gd2, gd3, q1, q2, q3};
    for (size_t i = 0; i < sizeof gs / sizeof *gs; i++) gpu->free(gs[i]);
    free(re), free(im), free(chi), free(d1), free(d2), free(d3), free(m), free(ph), free(o1), free(o2), free(o3);
}

int main(void)
{
    char reason[256] = "";
    if (ph_cuda_device_count(reason, sizeof reason) == 0) {
        gpu = &ph_backend_cpu, stand_in = 1;
        printf("# %s: the CPU row stands in for CUDA and every error must be 0 (a check of this test's own code, "
               "not of CUDA)\n", reason);
    }
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u8_affine),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_binary_axpby_fill_copy),
        cmocka_unit_test(test_avgpool_global),
        cmocka_unit_test(test_optimisers),
        cmocka_unit_test(test_sgemm),
        cmocka_unit_test(test_sgemm_batched),
        cmocka_unit_test(test_convolutions),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_norm),
        cmocka_unit_test(test_norm_empty_batch),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_complex),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_complex_cells),
    };
    return cmocka_run_group_tests_name(stand_in ? "kernels_cuda (CPU standing in)" : "kernels_cuda", tests, NULL, NULL);
}
