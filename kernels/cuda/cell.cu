// cell.cu: CUDA row of the recurrent tracking cells' fused element-wise ops (InT
// and CV-RNN; kernels/ops.def).  Forward passes are grid-stride loops; backward passes
// that also produce per-channel parameter gradients run one block per channel,
// accumulate in double and finish with a fixed-order tree (the same bits on every
// run, as kernels/cuda/norm.cu).
#include "cuda.h"

#define CELL_THREADS 512
#define STABLE_EPS 1e-7f

// softplus and sigmoid from one exponential, as the CPU row (kernels/cpu/cell.c)
__device__ static inline void sp_sig(float x, float *sp, float *sig)
{
    float a = fabsf(x), e = a > 80.f ? 0.f : expf(-a);
    *sp = fmaxf(x, 0.f) + log1pf(e);
    *sig = x >= 0.f ? 1.f / (1.f + e) : e / (1.f + e);
}
__device__ static inline float sigm(float x)
{
    float a = fabsf(x), e = a > 80.f ? 0.f : expf(-a);
    return x >= 0.f ? 1.f / (1.f + e) : e / (1.f + e);
}
__device__ static inline float splus(float x)
{
    float sp, sg;
    sp_sig(x, &sp, &sg);
    return sp;
}
// the original's "stable angle": components within 1e-7 of zero become +1e-7
__device__ static inline float stable(float v) { return v < STABLE_EPS && v > -STABLE_EPS ? STABLE_EPS : v; }

static int shape_ok(int nb, int c, size_t s, char *why, size_t n)
{
    if (nb < 0 || c < 1 || (nb && !s))
        return snprintf(why, n, "cell shape: batch %d, channels %d, size %zu", nb, c, s), -1;
    return 0;
}

__global__ static void attend_fwd(size_t count, const float *a1, const float *a2, const float *e,
                                  float *att, float *et)
{
    PH_CUDA_FOR(k, count)
    {
        float a = sigm(a1[k] + (a2 ? a2[k] : 0.f));
        et[k] = a * e[k];
        att[k] = a;
    }
}

__global__ static void attend_bwd(size_t count, const float *det, const float *att, const float *e,
                                  float *de, float *da)
{
    PH_CUDA_FOR(k, count)
    {
        float a = att[k], d = det[k];
        de[k] += d * a;
        da[k] = d * e[k] * a * (1.f - a);
    }
}

__global__ static void inhibit_fwd(size_t count, int c, size_t s, const float *z, const float *q,
                                   const float *ip, const float *g1, const float *g2,
                                   const float *alpha, const float *mu, float *g, float *i)
{
    PH_CUDA_FOR(k, count)
    {
        int ch = (int)(k / s % (size_t)c);
        float ihat = splus(z[k] - splus(q[k] * (alpha[ch] * ip[k] + mu[ch])));
        float gate = sigm(g1[k] + g2[k]);
        i[k] = (1.f - gate) * ip[k] + gate * ihat;
        g[k] = gate;
    }
}

__global__ static void inhibit_bwd(int nb, int c, size_t s, const float *di, const float *z,
                                   const float *q, const float *ip, const float *g,
                                   const float *alpha, const float *mu, float *dz, float *dq,
                                   float *dip, float *dg, float *dalpha, float *dmu)
{
    __shared__ double pa[CELL_THREADS], pm[CELL_THREADS];
    const int ch = blockIdx.x;
    const float al = alpha[ch], m0 = mu[ch];
    double sa = 0, sm = 0;
    for (size_t j = threadIdx.x; j < (size_t)nb * s; j += blockDim.x) {
        size_t k = (j / s * c + ch) * s + j % s;
        float gate = g[k], pv = ip[k], qv = q[k], d = di[k];
        float mod = al * pv + m0, y1 = qv * mod, s1, g1, ihat, gw;
        sp_sig(y1, &s1, &g1);
        float w = z[k] - s1;
        sp_sig(w, &ihat, &gw);
        float dw = d * gate * gw, dy1 = -dw * g1;
        dz[k] += dw;
        dip[k] += d * (1.f - gate) + dy1 * qv * al;
        dq[k] = dy1 * mod;
        dg[k] = d * (ihat - pv) * gate * (1.f - gate);
        sa += (double)dy1 * qv * pv, sm += (double)dy1 * qv;
    }
    pa[threadIdx.x] = sa, pm[threadIdx.x] = sm;
    ph_cuda_block_sum(pa);
    ph_cuda_block_sum(pm);
    if (threadIdx.x == 0) dalpha[ch] = (float)pa[0], dmu[ch] = (float)pm[0];
}

__global__ static void excite_fwd(size_t count, int c, size_t s, const float *r, const float *i,
                                  const float *ep, const float *g1, const float *g2,
                                  const float *kappa, const float *gamma, float *g, float *e)
{
    PH_CUDA_FOR(k, count)
    {
        int ch = (int)(k / s % (size_t)c);
        float ehat = splus(r[k] * (kappa[ch] * i[k] + gamma[ch]));
        float gate = sigm(g1[k] + g2[k]);
        e[k] = (1.f - gate) * ep[k] + gate * ehat;
        g[k] = gate;
    }
}

__global__ static void excite_bwd(int nb, int c, size_t s, const float *de, const float *r,
                                  const float *i, const float *ep, const float *g,
                                  const float *kappa, const float *gamma, float *dr, float *di,
                                  float *dep, float *dg, float *dkappa, float *dgamma)
{
    __shared__ double pk[CELL_THREADS], pg[CELL_THREADS];
    const int ch = blockIdx.x;
    const float ka = kappa[ch], ga = gamma[ch];
    double sk = 0, sg = 0;
    for (size_t j = threadIdx.x; j < (size_t)nb * s; j += blockDim.x) {
        size_t k = (j / s * c + ch) * s + j % s;
        float gate = g[k], iv = i[k], rv = r[k], d = de[k], pv = ep[k];
        float arg = ka * iv + ga, p = rv * arg, ehat, gp;
        sp_sig(p, &ehat, &gp);
        float dp = d * gate * gp, darg = dp * rv;
        dep[k] += d * (1.f - gate);
        di[k] += darg * ka;
        dr[k] = dp * arg;
        dg[k] = d * (ehat - pv) * gate * (1.f - gate);
        sk += (double)darg * iv, sg += darg;
    }
    pk[threadIdx.x] = sk, pg[threadIdx.x] = sg;
    ph_cuda_block_sum(pk);
    ph_cuda_block_sum(pg);
    if (threadIdx.x == 0) dkappa[ch] = (float)pk[0], dgamma[ch] = (float)pg[0];
}

__global__ static void magphase_fwd(size_t count, const float *re, const float *im,
                                    const float *chi, float *mag, float *phase)
{
    PH_CUDA_FOR(k, count)
    {
        if (mag) {
            float a = hypotf(re[k], im[k]);
            mag[k] = chi ? 0.5f * a + 0.5f * chi[k] : a;
        }
        if (phase) phase[k] = atan2f(stable(im[k]), stable(re[k]));
    }
}

__global__ static void magphase_bwd(size_t count, const float *re, const float *im,
                                    const float *dmag, const float *dphase, float *dre,
                                    float *dim, float *dchi)
{
    PH_CUDA_FOR(k, count)
    {
        float x = re[k], y = im[k], gm = dmag ? dmag[k] : 0.f, gp = dphase ? dphase[k] : 0.f;
        if (dchi) dchi[k] = 0.5f * gm, gm *= 0.5f;
        float a = hypotf(x, y), gx = 0.f, gy = 0.f;
        if (a > 0.f) gx = gm * x / a, gy = gm * y / a;
        // a component replaced by the stable angle is a constant
        float xs = stable(x), ys = stable(y), r2 = xs * xs + ys * ys;
        if (xs == x) gx -= gp * ys / r2;
        if (ys == y) gy += gp * xs / r2;
        dre[k] = gx, dim[k] = gy;
    }
}

__device__ static inline void act_eval(ph_act kind, float m, float *f, float *df)
{
    switch (kind) {
    case PH_ACT_SIGMOID: *f = sigm(m), *df = *f * (1.f - *f); return;
    case PH_ACT_TANH: *f = tanhf(m), *df = 1.f - *f * *f; return;
    case PH_ACT_SOFTPLUS: sp_sig(m, f, df); return;
    default: *f = m > 0.f ? m : 0.f, *df = m > 0.f ? 1.f : 0.f; return;
    }
}

__global__ static void polar_act_fwd(ph_act kind, size_t count, const float *m, const float *phase,
                                     float *re, float *im, float *mag)
{
    PH_CUDA_FOR(k, count)
    {
        float a, da, sn, cs;
        act_eval(kind, m[k], &a, &da);
        sincosf(phase[k], &sn, &cs);
        re[k] = a * cs, im[k] = a * sn;
        if (mag) mag[k] = a;
    }
}

__global__ static void polar_act_bwd(ph_act kind, size_t count, const float *m,
                                     const float *phase, const float *dre, const float *dim,
                                     const float *dmag, float *dm, float *dphase)
{
    PH_CUDA_FOR(k, count)
    {
        float a, da, sn, cs;
        act_eval(kind, m[k], &a, &da);
        sincosf(phase[k], &sn, &cs);
        float gr = dre[k], gi = dim[k];
        dm[k] = (gr * cs + gi * sn + (dmag ? dmag[k] : 0.f)) * da;
        dphase[k] = a * (gi * cs - gr * sn);
    }
}

extern "C" int ph_cuda_cell_attend_forward(size_t count, const float *a1, const float *a2,
                                           const float *e, float *att, float *et, char *why,
                                           size_t n)
{
    if (count) attend_fwd<<<ph_cuda_grid(count), 256>>>(count, a1, a2, e, att, et);
    CUDA_LAUNCHED("launching cell_attend_forward");
    return 0;
}

extern "C" int ph_cuda_cell_attend_backward(size_t count, const float *det, const float *att,
                                            const float *e, float *de, float *da, char *why,
                                            size_t n)
{
    if (count) attend_bwd<<<ph_cuda_grid(count), 256>>>(count, det, att, e, de, da);
    CUDA_LAUNCHED("launching cell_attend_backward");
    return 0;
}

extern "C" int ph_cuda_cell_inhibit_forward(int nb, int c, size_t s, const float *z,
                                            const float *q, const float *ip, const float *g1,
                                            const float *g2, const float *alpha, const float *mu,
                                            float *g, float *i, char *why, size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
    size_t count = (size_t)nb * c * s;
    if (count) inhibit_fwd<<<ph_cuda_grid(count), 256>>>(count, c, s, z, q, ip, g1, g2, alpha, mu, g, i);
    CUDA_LAUNCHED("launching cell_inhibit_forward");
    return 0;
}

extern "C" int ph_cuda_cell_inhibit_backward(int nb, int c, size_t s, const float *di,
                                             const float *z, const float *q, const float *ip,
                                             const float *g, const float *alpha, const float *mu,
                                             float *dz, float *dq, float *dip, float *dg,
                                             float *dalpha, float *dmu, char *why, size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
    inhibit_bwd<<<c, CELL_THREADS>>>(nb, c, s, di, z, q, ip, g, alpha, mu, dz, dq, dip, dg, dalpha, dmu);
    CUDA_LAUNCHED("launching cell_inhibit_backward");
    return 0;
}

extern "C" int ph_cuda_cell_excite_forward(int nb, int c, size_t s, const float *r, const float *i,
                                           const float *ep, const float *g1, const float *g2,
                                           const float *kappa, const float *gamma, float *g,
                                           float *e, char *why, size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
    size_t count = (size_t)nb * c * s;
    if (count) excite_fwd<<<ph_cuda_grid(count), 256>>>(count, c, s, r, i, ep, g1, g2, kappa, gamma, g, e);
    CUDA_LAUNCHED("launching cell_excite_forward");
    return 0;
}

extern "C" int ph_cuda_cell_excite_backward(int nb, int c, size_t s, const float *de,
                                            const float *r, const float *i, const float *ep,
                                            const float *g, const float *kappa,
                                            const float *gamma, float *dr, float *di, float *dep,
                                            float *dg, float *dkappa, float *dgamma, char *why,
                                            size_t n)
{
    if (shape_ok(nb, c, s, why, n)) return -1;
    excite_bwd<<<c, CELL_THREADS>>>(nb, c, s, de, r, i, ep, g, kappa, gamma, dr, di, dep, dg, dkappa, dgamma);
    CUDA_LAUNCHED("launching cell_excite_backward");
    return 0;
}

extern "C" int ph_cuda_cplx_magphase_forward(size_t count, const float *re, const float *im,
                                             const float *chi, float *mag, float *phase,
                                             char *why, size_t n)
{
    if (count) magphase_fwd<<<ph_cuda_grid(count), 256>>>(count, re, im, chi, mag, phase);
    CUDA_LAUNCHED("launching cplx_magphase_forward");
    return 0;
}

extern "C" int ph_cuda_cplx_magphase_backward(size_t count, const float *re, const float *im,
                                              const float *dmag, const float *dphase, float *dre,
                                              float *dim, float *dchi, char *why, size_t n)
{
    if (count) magphase_bwd<<<ph_cuda_grid(count), 256>>>(count, re, im, dmag, dphase, dre, dim, dchi);
    CUDA_LAUNCHED("launching cplx_magphase_backward");
    return 0;
}

extern "C" int ph_cuda_cplx_polar_act_forward(ph_act kind, size_t count, const float *m,
                                              const float *phase, float *re, float *im,
                                              float *mag, char *why, size_t n)
{
    if ((unsigned)kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
    if (count) polar_act_fwd<<<ph_cuda_grid(count), 256>>>(kind, count, m, phase, re, im, mag);
    CUDA_LAUNCHED("launching cplx_polar_act_forward");
    return 0;
}

extern "C" int ph_cuda_cplx_polar_act_backward(ph_act kind, size_t count, const float *m,
                                               const float *phase, const float *dre,
                                               const float *dim, const float *dmag, float *dm,
                                               float *dphase, char *why, size_t n)
{
    if ((unsigned)kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
    if (count) polar_act_bwd<<<ph_cuda_grid(count), 256>>>(kind, count, m, phase, dre, dim, dmag, dm, dphase);
    CUDA_LAUNCHED("launching cplx_polar_act_backward");
    return 0;
}
