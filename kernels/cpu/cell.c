/* cell.c: CPU reference of the recurrent tracking cells' fused element-wise
 * ops (InT and CV-RNN; kernels.h).  Per-channel parameter gradients are
 * summed in double by one thread per channel in a fixed order, so they do
 * not depend on the thread count. */
#include "cell.h"

#include <math.h>
#include <stdio.h>

/* log(1 + e) for e in [0, 1] through logf, which is faster than log1pf here:
 * the rounding of u = 1 + e is corrected to first order (Goldberg 1991, Thm 4) */
static inline float log1p_unit(float e)
{
    float u = 1.0f + e;
    return u == 1.0f ? e : logf(u) * (e / (u - 1.0f));
}

/* softplus and sigmoid of one x from one exponential; beyond |x| = 80 the
 * exponential would be subnormal (slow) and the tails are exact in float */
static inline void sp_sig(float x, float *sp, float *sig)
{
    float a = fabsf(x), e = a > 80.0f ? 0.0f : expf(-a);
    *sp = (x > 0.0f ? x : 0.0f) + log1p_unit(e); /* fmaxf is a libm call without -ffast-math */
    *sig = x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}
static inline float softplus(float x)
{
    float sp, sig;
    sp_sig(x, &sp, &sig);
    return sp;
}
static inline float sigmoid(float x)
{
    float a = fabsf(x), e = a > 80.0f ? 0.0f : expf(-a);
    return x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/* The original's "stable angle": components within 1e-7 of zero become +1e-7. */
#define PH_STABLE_EPS 1e-7f
static inline float stable(float v) { return v < PH_STABLE_EPS && v > -PH_STABLE_EPS ? PH_STABLE_EPS : v; }

static int shape_ok(int nb, int c, size_t s, char *why, size_t n)
{
    if (nb < 0 || c < 1 || (nb && !s)) return snprintf(why, n, "cell shape: batch %d, channels %d, size %zu", nb, c, s), -1;
    return 0;
}

int ph_cpu_cell_attend_forward(size_t count, const float *a1, const float *a2, const float *e,
                               float *att, float *et, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        float a = sigmoid(a1[i] + (a2 ? a2[i] : 0.0f));
        et[i] = a * e[i];
        att[i] = a;
    }
    return 0;
}

int ph_cpu_cell_attend_backward(size_t count, const float *det, const float *att, const float *e,
                                float *de, float *da, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        float a = att[i], d = det[i];
        de[i] += d * a;
        da[i] = d * e[i] * a * (1.0f - a);
    }
    return 0;
}

int ph_cpu_cell_inhibit_forward(int nb, int c, size_t s, const float *z, const float *q,
                                const float *ip, const float *g1, const float *g2,
                                const float *alpha, const float *mu, float *g, float *i,
                                char *why, size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
    /* one plane (sample, channel) per iteration: no division per element */
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < (size_t)nb * c; p++) {
        int ch = (int)(p % (size_t)c);
        for (size_t k = p * s; k < (p + 1) * s; k++) {
        float ihat = softplus(z[k] - softplus(q[k] * (alpha[ch] * ip[k] + mu[ch])));
        float gate = sigmoid(g1[k] + g2[k]);
        i[k] = (1.0f - gate) * ip[k] + gate * ihat;
        g[k] = gate;
        }
    }
    return 0;
}

int ph_cpu_cell_inhibit_backward(int nb, int c, size_t s, const float *di, const float *z,
                                 const float *q, const float *ip, const float *g,
                                 const float *alpha, const float *mu, float *dz, float *dq,
                                 float *dip, float *dg, float *dalpha, float *dmu, char *why,
                                 size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < c; ch++) {
        double sa = 0, sm = 0;
        for (int b = 0; b < nb; b++)
            for (size_t j = 0; j < s; j++) {
                size_t k = ((size_t)b * c + ch) * s + j;
                float gate = g[k], pv = ip[k], qv = q[k], d = di[k];
                float mod = alpha[ch] * pv + mu[ch], y1 = qv * mod, s1, g1, ihat, gw;
                sp_sig(y1, &s1, &g1);
                float w = z[k] - s1;
                sp_sig(w, &ihat, &gw);
                float dw = d * gate * gw;
                float dy1 = -dw * g1;
                dz[k] += dw;
                dip[k] += d * (1.0f - gate) + dy1 * qv * alpha[ch];
                dq[k] = dy1 * mod;
                dg[k] = d * (ihat - pv) * gate * (1.0f - gate);
                sa += (double)dy1 * qv * pv, sm += (double)dy1 * qv;
            }
        dalpha[ch] = (float)sa, dmu[ch] = (float)sm;
    }
    return 0;
}

int ph_cpu_cell_excite_forward(int nb, int c, size_t s, const float *r, const float *i,
                               const float *ep, const float *g1, const float *g2,
                               const float *kappa, const float *gamma, float *g, float *e,
                               char *why, size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < (size_t)nb * c; p++) {
        int ch = (int)(p % (size_t)c);
        for (size_t k = p * s; k < (p + 1) * s; k++) {
        float ehat = softplus(r[k] * (kappa[ch] * i[k] + gamma[ch]));
        float gate = sigmoid(g1[k] + g2[k]);
        e[k] = (1.0f - gate) * ep[k] + gate * ehat;
        g[k] = gate;
        }
    }
    return 0;
}

int ph_cpu_cell_excite_backward(int nb, int c, size_t s, const float *de, const float *r,
                                const float *i, const float *ep, const float *g,
                                const float *kappa, const float *gamma, float *dr, float *di,
                                float *dep, float *dg, float *dkappa, float *dgamma, char *why,
                                size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < c; ch++) {
        double sk = 0, sg = 0;
        for (int b = 0; b < nb; b++)
            for (size_t j = 0; j < s; j++) {
                size_t k = ((size_t)b * c + ch) * s + j;
                float gate = g[k], iv = i[k], rv = r[k], d = de[k], pv = ep[k];
                float arg = kappa[ch] * iv + gamma[ch], p = rv * arg, ehat, gp;
                sp_sig(p, &ehat, &gp);
                float dp = d * gate * gp, darg = dp * rv;
                dep[k] += d * (1.0f - gate);
                di[k] += darg * kappa[ch];
                dr[k] = dp * arg;
                dg[k] = d * (ehat - pv) * gate * (1.0f - gate);
                sk += (double)darg * iv, sg += darg;
            }
        dkappa[ch] = (float)sk, dgamma[ch] = (float)sg;
    }
    return 0;
}

int ph_cpu_cplx_magphase_forward(size_t count, const float *re, const float *im, const float *chi,
                                 float *mag, float *phase, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < count; k++) {
        if (mag) {
            float a = hypotf(re[k], im[k]);
            mag[k] = chi ? 0.5f * a + 0.5f * chi[k] : a;
        }
        if (phase) phase[k] = atan2f(stable(im[k]), stable(re[k]));
    }
    return 0;
}

int ph_cpu_cplx_magphase_backward(size_t count, const float *re, const float *im,
                                  const float *dmag, const float *dphase, float *dre, float *dim,
                                  float *dchi, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < count; k++) {
        float x = re[k], y = im[k], gm = dmag ? dmag[k] : 0.0f, gp = dphase ? dphase[k] : 0.0f;
        if (dchi) dchi[k] = 0.5f * gm, gm *= 0.5f;
        float a = hypotf(x, y), gx = 0, gy = 0;
        if (a > 0) gx = gm * x / a, gy = gm * y / a;
        /* d atan2(y', x') with x' = stable(x): a replaced component is a constant */
        float xs = stable(x), ys = stable(y), r2 = xs * xs + ys * ys;
        if (xs == x) gx -= gp * ys / r2;
        if (ys == y) gy += gp * xs / r2;
        dre[k] = gx, dim[k] = gy;
    }
    return 0;
}

/* f(m) and f'(m) of an activation */
static inline void act_eval(ph_act kind, float m, float *f, float *df)
{
    switch (kind) {
    case PH_ACT_SIGMOID: *f = sigmoid(m), *df = *f * (1.0f - *f); return;
    case PH_ACT_TANH: *f = tanhf(m), *df = 1.0f - *f * *f; return;
    case PH_ACT_SOFTPLUS: sp_sig(m, f, df); return;
    default: *f = m > 0 ? m : 0.0f, *df = m > 0 ? 1.0f : 0.0f; return;
    }
}

int ph_cpu_cplx_polar_act_forward(ph_act kind, size_t count, const float *m, const float *phase,
                                  float *re, float *im, float *mag, char *why, size_t n)
{
    if ((unsigned)kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < count; k++) {
        float a, da;
        act_eval(kind, m[k], &a, &da);
        re[k] = a * cosf(phase[k]), im[k] = a * sinf(phase[k]);
        if (mag) mag[k] = a;
    }
    return 0;
}

int ph_cpu_cplx_polar_act_backward(ph_act kind, size_t count, const float *m,
                                   const float *phase, const float *dre, const float *dim,
                                   const float *dmag, float *dm, float *dphase, char *why,
                                   size_t n)
{
    if ((unsigned)kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < count; k++) {
        float a, da, cs = cosf(phase[k]), sn = sinf(phase[k]);
        act_eval(kind, m[k], &a, &da);
        float gr = dre[k], gi = dim[k];
        dm[k] = (gr * cs + gi * sn + (dmag ? dmag[k] : 0.0f)) * da;
        dphase[k] = a * (gi * cs - gr * sn);
    }
    return 0;
}
