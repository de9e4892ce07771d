/* test_vmath.c: the array math of kernels/cpu/vmath.h: a result depends on its
 * input alone (not on the array's length or offset), nothing past the end is
 * written, and the values agree with double-precision libm. */
#include "cpu/vmath.h"

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define N 41

typedef void (*map1_fn)(size_t, const float *, float *);
typedef void (*map2_fn)(size_t, const float *, const float *, float *);

static const struct {
    const char *name;
    map1_fn f;
    double (*ref)(double);
    float lo, hi;
    double tol; /* |got - ref| <= tol * max(|ref|, floor) */
    double floor;
} one[] = {
    {"exp", ph_vexpf, exp, -87.0f, 88.0f, 4 * FLT_EPSILON, 0},
    {"log", ph_vlogf, log, 1e-6f, 1e6f, 4 * FLT_EPSILON, 1},
    {"sin", ph_vsinf, sin, -20.0f, 20.0f, 4 * FLT_EPSILON, 1},
    {"cos", ph_vcosf, cos, -20.0f, 20.0f, 4 * FLT_EPSILON, 1},
    {"tanh", ph_vtanhf, tanh, -12.0f, 12.0f, 4 * FLT_EPSILON, 0},
};
static const struct {
    const char *name;
    map2_fn f;
    double (*ref)(double, double);
} two[] = {
    {"atan2", ph_vatan2f, atan2},
    {"hypot", ph_vhypotf, hypot},
};

/* deterministic inputs in [lo, hi] (a fixed LCG; no libm in the test's inputs) */
static void fill(float *x, size_t n, float lo, float hi, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = lo + (hi - lo) * (float)(seed >> 8) / 16777216.0f;
    }
}

/* f over every (offset, length) sub-array gives the same bits as over the whole
 * array, and leaves the element after the sub-array untouched */
static void test_position_independent(void **state)
{
    (void)state;
    float x[N], y[N], full[N], out[N + 1];
    fill(x, N, -5.0f, 5.0f, 1);
    fill(y, N, -5.0f, 5.0f, 2);
    for (size_t k = 0; k < sizeof one / sizeof *one + sizeof two / sizeof *two; k++) {
        int unary = k < sizeof one / sizeof *one;
        float in[N];
        for (size_t i = 0; i < N; i++) in[i] = unary && one[k].f == ph_vlogf ? fabsf(x[i]) + 1e-3f : x[i];
        if (unary) one[k].f(N, in, full);
        else two[k - 5].f(N, in, y, full);
        for (size_t off = 0; off < 5; off++)
            for (size_t len = 1; off + len <= N; len++) {
                for (size_t i = 0; i <= len; i++) out[i] = -12345.0f;
                if (unary) one[k].f(len, in + off, out);
                else two[k - 5].f(len, in + off, y + off, out);
                assert_memory_equal(out, full + off, len * sizeof(float));
                assert_true(out[len] == -12345.0f);
            }
    }
    float sp[N], sig[N], sp2[N + 1], sig2[N + 1];
    ph_vsoftplus_sigmoid(N, x, sp, sig);
    for (size_t off = 0; off < 5; off++)
        for (size_t len = 1; off + len <= N; len++) {
            sp2[len] = sig2[len] = -12345.0f;
            ph_vsoftplus_sigmoid(len, x + off, sp2, sig2);
            assert_memory_equal(sp2, sp + off, len * sizeof(float));
            assert_memory_equal(sig2, sig + off, len * sizeof(float));
            assert_true(sp2[len] == -12345.0f && sig2[len] == -12345.0f);
        }
}

static void test_values_against_double(void **state)
{
    (void)state;
    enum { M = 4096 };
    static float x[M], y[M], got[M];
    for (size_t k = 0; k < sizeof one / sizeof *one; k++) {
        fill(x, M, one[k].lo, one[k].hi, 3 + (uint32_t)k);
        one[k].f(M, x, got);
        double worst = 0;
        for (size_t i = 0; i < M; i++) {
            double ref = one[k].ref(x[i]), err = fabs(got[i] - ref) / fmax(fabs(ref), one[k].floor);
            if (err > worst) worst = err;
        }
        print_message("# %s: max error %.2f float epsilons\n", one[k].name, worst / FLT_EPSILON);
        assert_true(worst <= one[k].tol);
    }
    for (size_t k = 0; k < sizeof two / sizeof *two; k++) {
        fill(x, M, -100.0f, 100.0f, 11 + (uint32_t)k);
        fill(y, M, -100.0f, 100.0f, 21 + (uint32_t)k);
        x[0] = 0.0f, y[1] = 0.0f, x[2] = -1.0f, y[2] = 0.0f; /* axes and the branch cut */
        two[k].f(M, x, y, got);
        double worst = 0;
        for (size_t i = 0; i < M; i++) {
            double ref = two[k].ref(x[i], y[i]), err = fabs(got[i] - ref) / fmax(fabs(ref), 1e-3);
            if (err > worst) worst = err;
        }
        print_message("# %s: max error %.2f float epsilons\n", two[k].name, worst / FLT_EPSILON);
        assert_true(worst <= 4 * FLT_EPSILON);
    }
}

/* softplus log(1 + e^x) and sigmoid 1 / (1 + e^-x) over [-100, 100]: within
 * 4 float epsilons relative, plus 1e-34 absolute for the tails below -80,
 * where both are 0 instead of about e^x (< 2e-35); the same bits with one
 * output as with both */
static void test_softplus_sigmoid(void **state)
{
    (void)state;
    float x[PH_VMATH_BLOCK], sp[PH_VMATH_BLOCK], sig[PH_VMATH_BLOCK], sp_only[PH_VMATH_BLOCK],
        sig_only[PH_VMATH_BLOCK];
    for (int rep = 0; rep < 16; rep++) {
        fill(x, PH_VMATH_BLOCK, -100.0f, 100.0f, 31 + (uint32_t)rep);
        x[0] = 0.0f, x[1] = 80.5f, x[2] = -80.5f, x[3] = 1e-30f;
        ph_vsoftplus_sigmoid(PH_VMATH_BLOCK, x, sp, sig);
        ph_vsoftplus_sigmoid(PH_VMATH_BLOCK, x, sp_only, NULL);
        ph_vsoftplus_sigmoid(PH_VMATH_BLOCK, x, NULL, sig_only);
        assert_memory_equal(sp, sp_only, sizeof sp);
        assert_memory_equal(sig, sig_only, sizeof sig);
        for (int i = 0; i < PH_VMATH_BLOCK; i++) {
            double v = x[i], rsp = v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
            double rsig = v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v));
            assert_true(fabs(sp[i] - rsp) <= 4 * FLT_EPSILON * rsp + 1e-34);
            assert_true(fabs(sig[i] - rsig) <= 4 * FLT_EPSILON * rsig + 1e-34);
        }
    }
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_independent),
        cmocka_unit_test(test_values_against_double),
        cmocka_unit_test(test_softplus_sigmoid),
    };
    return cmocka_run_group_tests_name("vmath", tests, NULL, NULL);
}
