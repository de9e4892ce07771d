/* test_cells.c: the CPU reference of the recurrent tracking cells' fused ops
 * (kernels/cpu/cell.c: InT's attention, inhibition and excitation, the
 * CV-RNN's complex magnitude/phase and polar activation) against the same
 * formulas in double precision, element by element (backend_check.h), on the
 * inputs test_kernels_cuda.c gives both backends.  The tolerances here are
 * what that test's CUDA-against-CPU tolerances are built from: two backends
 * each within tol of the exact value are within 2 tol of each other. */
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

static const ph_backend *cpu = &ph_backend_cpu;
static char why[512];

/* 16 float epsilons (at most 6 measured): a chain of up to four libmvec functions (each within 4
 * epsilons, tests/unit/test_vmath.c) and a few roundings between them, with
 * room; a wrong formula, index or += gives errors of order 1 */
#define TOL (16 * FLT_EPSILON)

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
/* the CPU's "stable angle" (kernels/cpu/cell.c) */
static double stable(float v) { return v < 1e-7f && v > -1e-7f ? (double)1e-7f : v; }

static float *floats(size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    return v;
}

static double *doubles(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    return v;
}

/* outputs that are overwritten start as NaN, so an accidental += shows */
static void poison(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = NAN;
}

static void check(const char *op, size_t n, const float *got, const double *ref, const float *prior, double tol)
{
    double e = elementwise_error(n, got, ref, prior);
    print_message("# %-40s %8zu values, max error %6.2f float epsilons (tolerance %.0f)\n", op, n, e / FLT_EPSILON,
                  tol / FLT_EPSILON);
    assert_true(e <= tol);
}

#define RUN(call) assert_int_equal((call), 0)

static void test_cells_against_double(void **state)
{
    (void)state;
    const int nb = CELL_NB, c = CELL_C;
    const size_t s = CELL_S, n = (size_t)nb * c * s;
    float *in[8], *pc[2];
    for (int i = 0; i < 8; i++) in[i] = floats(n), fill_cell_state(in[i], i);
    for (int i = 0; i < 2; i++) pc[i] = floats((size_t)c), fill_cell_param(pc[i], i);
    float *o1 = floats(n), *o2 = floats(n), *o3 = floats(n), *o4 = floats(n), *o5 = floats(n);
    float *s1 = floats((size_t)c), *s2 = floats((size_t)c);
    double *r1 = doubles(n), *r2 = doubles(n), *r3 = doubles(n), *r4 = doubles(n), *r5 = doubles(n);
    double *t1 = doubles((size_t)c), *t2 = doubles((size_t)c);

    /* attention: att = sigmoid(a1 + a2), et = att e; de += det att, da = det e att (1 - att) */
    for (int with2 = 0; with2 < 2; with2++) {
        poison(o1, n), poison(o2, n);
        RUN(cpu->cell_attend_forward(n, in[0], with2 ? in[1] : NULL, in[2], o1, o2, why, sizeof why));
        for (size_t k = 0; k < n; k++) {
            r1[k] = sigmoid((double)in[0][k] + (with2 ? in[1][k] : 0.0));
            r2[k] = r1[k] * in[2][k];
        }
        check(with2 ? "attend_forward att (a1 + a2)" : "attend_forward att", n, o1, r1, NULL, TOL);
        check("attend_forward et", n, o2, r2, NULL, TOL);
    }
    memcpy(o3, in[5], n * 4), poison(o4, n);
    RUN(cpu->cell_attend_backward(n, in[3], o1, in[2], o3, o4, why, sizeof why));
    for (size_t k = 0; k < n; k++) {
        double a = o1[k], d = in[3][k];
        r3[k] = in[5][k] + d * a, r4[k] = d * in[2][k] * a * (1 - a);
    }
    check("attend_backward de (accumulated)", n, o3, r3, in[5], TOL);
    check("attend_backward da", n, o4, r4, NULL, TOL);

    /* inhibition: z, q, ip, g1, g2 = in[0..4]; alpha, mu = pc */
    poison(o1, n), poison(o2, n);
    RUN(cpu->cell_inhibit_forward(nb, c, s, in[0], in[1], in[2], in[3], in[4], pc[0], pc[1], o1, o2, why, sizeof why));
    for (size_t k = 0; k < n; k++) {
        int ch = (int)(k / s % (size_t)c);
        double y = (double)in[1][k] * ((double)pc[0][ch] * in[2][k] + pc[1][ch]);
        double ihat = softplus(in[0][k] - softplus(y)), gate = sigmoid((double)in[3][k] + in[4][k]);
        r1[k] = gate, r2[k] = (1 - gate) * in[2][k] + gate * ihat;
    }
    check("inhibit_forward g", n, o1, r1, NULL, TOL);
    check("inhibit_forward i", n, o2, r2, NULL, TOL);
    memcpy(o3, in[6], n * 4), memcpy(o4, in[7], n * 4);
    poison(o2, n), poison(o5, n), poison(s1, (size_t)c), poison(s2, (size_t)c);
    RUN(cpu->cell_inhibit_backward(nb, c, s, in[5], in[0], in[1], in[2], o1, pc[0], pc[1], o3, o2, o4, o5, s1, s2, why,
                                   sizeof why));
    memset(t1, 0, (size_t)c * sizeof *t1), memset(t2, 0, (size_t)c * sizeof *t2);
    for (size_t k = 0; k < n; k++) {
        int ch = (int)(k / s % (size_t)c);
        double al = pc[0][ch], mu = pc[1][ch], q = in[1][k], ip = in[2][k], d = in[5][k], gate = o1[k];
        double y = q * (al * ip + mu), w = in[0][k] - softplus(y);
        double dw = d * gate * sigmoid(w), dy = -dw * sigmoid(y);
        r3[k] = in[6][k] + dw;
        r2[k] = dy * (al * ip + mu);
        r4[k] = in[7][k] + d * (1 - gate) + dy * q * al;
        r5[k] = d * (softplus(w) - ip) * gate * (1 - gate);
        t1[ch] += dy * q * ip, t2[ch] += dy * q;
    }
    check("inhibit_backward dz (accumulated)", n, o3, r3, in[6], TOL);
    check("inhibit_backward dq", n, o2, r2, NULL, TOL);
    check("inhibit_backward dip (accumulated)", n, o4, r4, in[7], TOL);
    check("inhibit_backward dg", n, o5, r5, NULL, TOL);
    check("inhibit_backward dalpha", (size_t)c, s1, t1, NULL, TOL);
    check("inhibit_backward dmu", (size_t)c, s2, t2, NULL, TOL);

    /* excitation: r, i, ep, g1, g2 = in[0..4]; kappa, gamma = pc */
    poison(o1, n), poison(o2, n);
    RUN(cpu->cell_excite_forward(nb, c, s, in[0], in[1], in[2], in[3], in[4], pc[0], pc[1], o1, o2, why, sizeof why));
    for (size_t k = 0; k < n; k++) {
        int ch = (int)(k / s % (size_t)c);
        double p = (double)in[0][k] * ((double)pc[0][ch] * in[1][k] + pc[1][ch]);
        double gate = sigmoid((double)in[3][k] + in[4][k]);
        r1[k] = gate, r2[k] = (1 - gate) * in[2][k] + gate * softplus(p);
    }
    check("excite_forward g", n, o1, r1, NULL, TOL);
    check("excite_forward e", n, o2, r2, NULL, TOL);
    memcpy(o3, in[6], n * 4), memcpy(o4, in[7], n * 4);
    poison(o2, n), poison(o5, n), poison(s1, (size_t)c), poison(s2, (size_t)c);
    RUN(cpu->cell_excite_backward(nb, c, s, in[5], in[0], in[1], in[2], o1, pc[0], pc[1], o2, o3, o4, o5, s1, s2, why,
                                  sizeof why));
    memset(t1, 0, (size_t)c * sizeof *t1), memset(t2, 0, (size_t)c * sizeof *t2);
    for (size_t k = 0; k < n; k++) {
        int ch = (int)(k / s % (size_t)c);
        double ka = pc[0][ch], ga = pc[1][ch], r = in[0][k], i = in[1][k], d = in[5][k], gate = o1[k];
        double arg = ka * i + ga, p = r * arg, dp = d * gate * sigmoid(p), darg = dp * r;
        r2[k] = dp * arg;
        r3[k] = in[6][k] + darg * ka;
        r4[k] = in[7][k] + d * (1 - gate);
        r5[k] = d * (softplus(p) - in[2][k]) * gate * (1 - gate);
        t1[ch] += darg * i, t2[ch] += darg;
    }
    check("excite_backward dr", n, o2, r2, NULL, TOL);
    check("excite_backward di (accumulated)", n, o3, r3, in[6], TOL);
    check("excite_backward dep (accumulated)", n, o4, r4, in[7], TOL);
    check("excite_backward dg", n, o5, r5, NULL, TOL);
    check("excite_backward dkappa", (size_t)c, s1, t1, NULL, TOL);
    check("excite_backward dgamma", (size_t)c, s2, t2, NULL, TOL);

    for (int i = 0; i < 8; i++) free(in[i]);
    free(pc[0]), free(pc[1]), free(o1), free(o2), free(o3), free(o4), free(o5), free(s1), free(s2);
    free(r1), free(r2), free(r3), free(r4), free(r5), free(t1), free(t2);
}

static double act_f(ph_act k, double m)
{
    return k == PH_ACT_SIGMOID ? sigmoid(m) : k == PH_ACT_TANH ? tanh(m) : k == PH_ACT_SOFTPLUS ? softplus(m) : fmax(m, 0);
}

static double act_df(ph_act k, double m)
{
    double f = act_f(k, m);
    return k == PH_ACT_SIGMOID ? f * (1 - f) : k == PH_ACT_TANH ? 1 - f * f : k == PH_ACT_SOFTPLUS ? sigmoid(m) : m > 0;
}

/* dre, dim of the magnitude/phase op in double (dmag, dphase may be NULL = zero; half: the
 * forward had chi, so |psi| gets dmag / 2) */
static void magphase_backward_ref(size_t n, const float *re, const float *im, const float *dmag, const float *dphase,
                                  int half, double *dre, double *dim)
{
    for (size_t k = 0; k < n; k++) {
        double x = re[k], y = im[k], a = hypot(x, y), gx = 0, gy = 0;
        double gm = dmag ? (half ? 0.5 * dmag[k] : dmag[k]) : 0, gp = dphase ? dphase[k] : 0;
        if (a > 0) gx = gm * x / a, gy = gm * y / a;
        double xs = stable(re[k]), ys = stable(im[k]), rr = xs * xs + ys * ys;
        if (xs == x) gx -= gp * ys / rr;
        if (ys == y) gy += gp * xs / rr;
        dre[k] = gx, dim[k] = gy;
    }
}

/* dm, dphase of the polar activation in double (dmag may be NULL = zero) */
static void polar_act_backward_ref(ph_act k, size_t n, const float *m, const float *phase, const float *dre,
                                   const float *dim, const float *dmag, double *dm, double *dphase)
{
    for (size_t j = 0; j < n; j++) {
        double cs = cos(phase[j]), sn = sin(phase[j]);
        dm[j] = ((double)dre[j] * cs + (double)dim[j] * sn + (dmag ? dmag[j] : 0.0)) * act_df(k, m[j]);
        dphase[j] = act_f(k, m[j]) * ((double)dim[j] * cs - (double)dre[j] * sn);
    }
}

static void test_complex_cells_against_double(void **state)
{
    (void)state;
    const size_t n = CELL_COMPLEX_N;
    float *v[6];
    for (int i = 0; i < 6; i++) v[i] = floats(n);
    fill_complex_inputs(v);
    float *re = v[0], *im = v[1], *chi = v[2], *d1 = v[3], *d2 = v[4], *d3 = v[5];
    float *o1 = floats(n), *o2 = floats(n), *o3 = floats(n);
    double *r1 = doubles(n), *r2 = doubles(n), *r3 = doubles(n);

    for (int with_chi = 0; with_chi < 2; with_chi++) {
        poison(o1, n), poison(o2, n);
        RUN(cpu->cplx_magphase_forward(n, re, im, with_chi ? chi : NULL, o1, o2, why, sizeof why));
        for (size_t k = 0; k < n; k++) {
            double a = hypot(re[k], im[k]);
            r1[k] = with_chi ? 0.5 * a + 0.5 * chi[k] : a;
            r2[k] = atan2(stable(im[k]), stable(re[k]));
        }
        check(with_chi ? "magphase_forward mag (with chi)" : "magphase_forward mag", n, o1, r1, NULL, TOL);
        check("magphase_forward phase", n, o2, r2, NULL, TOL);
        poison(o1, n), poison(o2, n), poison(o3, n);
        RUN(cpu->cplx_magphase_backward(n, re, im, d1, d2, o1, o2, with_chi ? o3 : NULL, why, sizeof why));
        magphase_backward_ref(n, re, im, d1, d2, with_chi, r1, r2);
        for (size_t k = 0; k < n; k++) r3[k] = 0.5 * d1[k];
        check("magphase_backward dre", n, o1, r1, NULL, TOL);
        check("magphase_backward dim", n, o2, r2, NULL, TOL);
        if (with_chi) check("magphase_backward dchi", n, o3, r3, NULL, 0); /* a halving: exact */
    }
    /* the optional pointers: the phase alone, then each incoming gradient NULL (zero) */
    poison(o2, n);
    RUN(cpu->cplx_magphase_forward(n, re, im, NULL, NULL, o2, why, sizeof why));
    for (size_t k = 0; k < n; k++) r2[k] = atan2(stable(im[k]), stable(re[k]));
    check("magphase_forward phase, no mag", n, o2, r2, NULL, TOL);
    for (int drop = 0; drop < 2; drop++) {
        const float *gm = drop ? d1 : NULL, *gp = drop ? NULL : d2;
        poison(o1, n), poison(o2, n);
        RUN(cpu->cplx_magphase_backward(n, re, im, gm, gp, o1, o2, NULL, why, sizeof why));
        magphase_backward_ref(n, re, im, gm, gp, 0, r1, r2);
        check(drop ? "magphase_backward dre, no dphase" : "magphase_backward dre, no dmag", n, o1, r1, NULL, TOL);
        check(drop ? "magphase_backward dim, no dphase" : "magphase_backward dim, no dmag", n, o2, r2, NULL, TOL);
    }
    for (int k = 0; k < PH_ACT_COUNT; k++) {
        char name[80];
        poison(o1, n), poison(o2, n), poison(o3, n);
        RUN(cpu->cplx_polar_act_forward((ph_act)k, n, re, d3, o1, o2, o3, why, sizeof why));
        for (size_t j = 0; j < n; j++) {
            double a = act_f((ph_act)k, re[j]);
            r1[j] = a * cos(d3[j]), r2[j] = a * sin(d3[j]), r3[j] = a;
        }
        snprintf(name, sizeof name, "polar_act_forward %s re", ph_act_names[k]);
        check(name, n, o1, r1, NULL, TOL);
        snprintf(name, sizeof name, "polar_act_forward %s im", ph_act_names[k]);
        check(name, n, o2, r2, NULL, TOL);
        snprintf(name, sizeof name, "polar_act_forward %s mag", ph_act_names[k]);
        check(name, n, o3, r3, NULL, TOL);
        for (int with_dmag = 1; with_dmag >= 0; with_dmag--) {
            const float *dmag = with_dmag ? chi : NULL;
            poison(o1, n), poison(o2, n);
            RUN(cpu->cplx_polar_act_backward((ph_act)k, n, re, d3, d1, d2, dmag, o1, o2, why, sizeof why));
            polar_act_backward_ref((ph_act)k, n, re, d3, d1, d2, dmag, r1, r2);
            snprintf(name, sizeof name, "polar_act_backward %s dm%s", ph_act_names[k], with_dmag ? "" : ", no dmag");
            check(name, n, o1, r1, NULL, TOL);
            snprintf(name, sizeof name, "polar_act_backward %s dphase%s", ph_act_names[k], with_dmag ? "" : ", no dmag");
            check(name, n, o2, r2, NULL, TOL);
        }
    }
    poison(o1, n), poison(o2, n);
    RUN(cpu->cplx_polar_act_forward(PH_ACT_SOFTPLUS, n, re, d3, o1, o2, NULL, why, sizeof why));
    for (size_t j = 0; j < n; j++) r1[j] = softplus(re[j]) * cos(d3[j]), r2[j] = softplus(re[j]) * sin(d3[j]);
    check("polar_act_forward softplus re, no mag", n, o1, r1, NULL, TOL);
    check("polar_act_forward softplus im, no mag", n, o2, r2, NULL, TOL);
    for (int i = 0; i < 6; i++) free(v[i]);
    free(o1), free(o2), free(o3), free(r1), free(r2), free(r3);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_against_double),
        cmocka_unit_test(test_complex_cells_against_double),
    };
    return cmocka_run_group_tests_name("cells", tests, NULL, NULL);
}
