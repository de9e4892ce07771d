/* cell.c: CPU reference of the recurrent tracking cells' fused element-wise
 * ops (InT and CV-RNN; kernels/ops.def).  Per-channel parameter gradients are
 * summed in double by one thread per channel in a fixed order, so they do
 * not depend on the thread count. */
#include "cpu.h"
#include "vmath.h"

#include <math.h>
#include <stdio.h>

/* The element-wise work runs in blocks of PH_VMATH_BLOCK elements, each
 * function of a block through vmath.h (libmvec): a value depends only on its
 * inputs, so the thread split does not change it.  The arithmetic between is
 * vectorised (omp simd) where it has no sum: a lane rounds as a scalar does. */
#define B PH_VMATH_BLOCK
#define NBLOCKS(count) (((count) + B - 1) / B)

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
    for (size_t blk = 0; blk < NBLOCKS(count); blk++) {
        size_t o = blk * B, m = count - o < B ? count - o : B;
        float x[B];
#pragma omp simd
        for (size_t j = 0; j < m; j++) x[j] = a1[o + j] + (a2 ? a2[o + j] : 0.0f);
        ph_vsoftplus_sigmoid(m, x, NULL, att + o);
#pragma omp simd
        for (size_t j = 0; j < m; j++) et[o + j] = att[o + j] * e[o + j];
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

/* The gated update of InT's inhibition and excitation over a block: gate = sigmoid(g1 + g2),
 * out = (1 - gate) prev + gate hat; x is scratch space for m values. */
static void gated_update(size_t m, const float *g1, const float *g2, const float *prev, const float *hat,
                         float *x, float *out, float *gate)
{
#pragma omp simd
    for (size_t j = 0; j < m; j++) x[j] = g1[j] + g2[j];
    ph_vsoftplus_sigmoid(m, x, NULL, gate);
#pragma omp simd
    for (size_t j = 0; j < m; j++) out[j] = (1.0f - gate[j]) * prev[j] + gate[j] * hat[j];
}

/* InT's inhibition candidate over a block: y = q (alpha ip + mu), w = z - softplus(y),
 * ihat = softplus(w); sig_y = sigmoid(y) and sig_w = sigmoid(w) when not NULL (backward). */
static void inhibit_candidate(size_t m, const float *q, const float *ip, const float *z, float alpha, float mu,
                              float *y, float *sp, float *sig_y, float *w, float *ihat, float *sig_w)
{
#pragma omp simd
    for (size_t j = 0; j < m; j++) y[j] = q[j] * (alpha * ip[j] + mu);
    ph_vsoftplus_sigmoid(m, y, sp, sig_y);
#pragma omp simd
    for (size_t j = 0; j < m; j++) w[j] = z[j] - sp[j];
    ph_vsoftplus_sigmoid(m, w, ihat, sig_w);
}

int ph_cpu_cell_inhibit_forward(int nb, int c, size_t s, const float *z, const float *q,
                                const float *ip, const float *g1, const float *g2,
                                const float *alpha, const float *mu, float *g, float *i,
                                char *why, size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
    size_t per = NBLOCKS(s); /* blocks per (sample, channel) plane */
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < (size_t)nb * c * per; blk++) {
        size_t plane = blk / per, o = plane * s + blk % per * B, m = (plane + 1) * s - o;
        int ch = (int)(plane % (size_t)c);
        float y[B], sp[B], w[B], ihat[B];
        if (m > B) m = B;
        inhibit_candidate(m, q + o, ip + o, z + o, alpha[ch], mu[ch], y, sp, NULL, w, ihat, NULL);
        gated_update(m, g1 + o, g2 + o, ip + o, ihat, w, i + o, g + o);
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
        float y1[B], s1[B], sg1[B], w[B], ihat[B], gw[B];
        for (int b = 0; b < nb; b++)
            for (size_t o = ((size_t)b * c + ch) * s, end = o + s; o < end; o += B) {
                size_t m = end - o < B ? end - o : B;
                inhibit_candidate(m, q + o, ip + o, z + o, alpha[ch], mu[ch], y1, s1, sg1, w, ihat, gw);
                for (size_t j = 0; j < m; j++) {
                    size_t k = o + j;
                    float gate = g[k], pv = ip[k], qv = q[k], d = di[k];
                    float mod = alpha[ch] * pv + mu[ch];
                    float dw = d * gate * gw[j];
                    float dy1 = -dw * sg1[j];
                    dz[k] += dw;
                    dip[k] += d * (1.0f - gate) + dy1 * qv * alpha[ch];
                    dq[k] = dy1 * mod;
                    dg[k] = d * (ihat[j] - pv) * gate * (1.0f - gate);
                    sa += (double)dy1 * qv * pv, sm += (double)dy1 * qv;
                }
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
    size_t per = NBLOCKS(s);
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < (size_t)nb * c * per; blk++) {
        size_t plane = blk / per, o = plane * s + blk % per * B, m = (plane + 1) * s - o;
        int ch = (int)(plane % (size_t)c);
        float p[B], ehat[B];
        if (m > B) m = B;
#pragma omp simd
        for (size_t j = 0; j < m; j++) p[j] = r[o + j] * (kappa[ch] * i[o + j] + gamma[ch]);
        ph_vsoftplus_sigmoid(m, p, ehat, NULL);
        gated_update(m, g1 + o, g2 + o, ep + o, ehat, p, e + o, g + o);
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
        float p[B], ehat[B], gp[B];
        for (int b = 0; b < nb; b++)
            for (size_t o = ((size_t)b * c + ch) * s, end = o + s; o < end; o += B) {
                size_t m = end - o < B ? end - o : B;
#pragma omp simd
                for (size_t j = 0; j < m; j++) p[j] = r[o + j] * (kappa[ch] * i[o + j] + gamma[ch]);
                ph_vsoftplus_sigmoid(m, p, ehat, gp);
                for (size_t j = 0; j < m; j++) {
                    size_t k = o + j;
                    float gate = g[k], iv = i[k], rv = r[k], d = de[k], pv = ep[k];
                    float arg = kappa[ch] * iv + gamma[ch];
                    float dp = d * gate * gp[j], darg = dp * rv;
                    dep[k] += d * (1.0f - gate);
                    di[k] += darg * kappa[ch];
                    dr[k] = dp * arg;
                    dg[k] = d * (ehat[j] - pv) * gate * (1.0f - gate);
                    sk += (double)darg * iv, sg += darg;
                }
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
    for (size_t blk = 0; blk < NBLOCKS(count); blk++) {
        size_t o = blk * B, m = count - o < B ? count - o : B;
        if (mag) {
            ph_vhypotf(m, re + o, im + o, mag + o);
            if (chi)
#pragma omp simd
                for (size_t j = 0; j < m; j++) mag[o + j] = 0.5f * mag[o + j] + 0.5f * chi[o + j];
        }
        if (phase) {
            float xs[B], ys[B];
#pragma omp simd
            for (size_t j = 0; j < m; j++) xs[j] = stable(re[o + j]), ys[j] = stable(im[o + j]);
            ph_vatan2f(m, ys, xs, phase + o);
        }
    }
    return 0;
}

int ph_cpu_cplx_magphase_backward(size_t count, const float *re, const float *im,
                                  const float *dmag, const float *dphase, float *dre, float *dim,
                                  float *dchi, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < NBLOCKS(count); blk++) {
        size_t o = blk * B, m = count - o < B ? count - o : B;
        float a[B];
        ph_vhypotf(m, re + o, im + o, a);
#pragma omp simd
        for (size_t j = 0; j < m; j++) {
            size_t k = o + j;
            float x = re[k], y = im[k], gm = dmag ? dmag[k] : 0.0f, gp = dphase ? dphase[k] : 0.0f;
            if (dchi) dchi[k] = 0.5f * gm, gm *= 0.5f;
            float gx = 0, gy = 0;
            if (a[j] > 0) gx = gm * x / a[j], gy = gm * y / a[j];
            /* d atan2(y', x') with x' = stable(x): a replaced component is a constant */
            float xs = stable(x), ys = stable(y), r2 = xs * xs + ys * ys;
            if (xs == x) gx -= gp * ys / r2;
            if (ys == y) gy += gp * xs / r2;
            dre[k] = gx, dim[k] = gy;
        }
    }
    return 0;
}

/* f(m) and f'(m) of an activation over a block */
static void act_eval(ph_act kind, size_t count, const float *m, float *f, float *df)
{
    switch (kind) {
    case PH_ACT_SIGMOID:
        ph_vsoftplus_sigmoid(count, m, NULL, f);
#pragma omp simd
        for (size_t j = 0; j < count; j++) df[j] = f[j] * (1.0f - f[j]);
        return;
    case PH_ACT_TANH:
        ph_vtanhf(count, m, f);
#pragma omp simd
        for (size_t j = 0; j < count; j++) df[j] = 1.0f - f[j] * f[j];
        return;
    case PH_ACT_SOFTPLUS: ph_vsoftplus_sigmoid(count, m, f, df); return;
    default:
#pragma omp simd
        for (size_t j = 0; j < count; j++) f[j] = m[j] > 0 ? m[j] : 0.0f, df[j] = m[j] > 0 ? 1.0f : 0.0f;
        return;
    }
}

/* A block of the polar activation: a = f(m), da = f'(m), and the phase's cosine and sine. */
static void polar_block(ph_act kind, size_t len, const float *m, const float *phase, float *a, float *da,
                        float *cs, float *sn)
{
    act_eval(kind, len, m, a, da);
    ph_vcosf(len, phase, cs);
    ph_vsinf(len, phase, sn);
}

int ph_cpu_cplx_polar_act_forward(ph_act kind, size_t count, const float *m, const float *phase,
                                  float *re, float *im, float *mag, char *why, size_t n)
{
    if ((unsigned)kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < NBLOCKS(count); blk++) {
        size_t o = blk * B, len = count - o < B ? count - o : B;
        float a[B], da[B], cs[B], sn[B];
        polar_block(kind, len, m + o, phase + o, a, da, cs, sn);
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            re[o + j] = a[j] * cs[j], im[o + j] = a[j] * sn[j];
            if (mag) mag[o + j] = a[j];
        }
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
    for (size_t blk = 0; blk < NBLOCKS(count); blk++) {
        size_t o = blk * B, len = count - o < B ? count - o : B;
        float a[B], da[B], cs[B], sn[B];
        polar_block(kind, len, m + o, phase + o, a, da, cs, sn);
#pragma omp simd
        for (size_t j = 0; j < len; j++) {
            size_t k = o + j;
            float gr = dre[k], gi = dim[k];
            dm[k] = (gr * cs[j] + gi * sn[j] + (dmag ? dmag[k] : 0.0f)) * da[j];
            dphase[k] = a[j] * (gi * cs[j] - gr * sn[j]);
        }
    }
    return 0;
}
