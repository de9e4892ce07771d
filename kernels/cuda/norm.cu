// norm.cu: CUDA normalisation kernels (batch, group, instance; see ph_norm_shape).
// Sums over a statistic or a channel run in one block each, accumulate in double
// and finish with a fixed-order tree, so they are the same on every run.
#include "cuda.h"

#include <limits.h>

// The shape with its derived sizes, passed to kernels by value.
struct norm_geom {
    size_t n, c, g, s, cpg, m; // g = 0 for batch norm; cpg channels per group; m elements per statistic
};

static int geom_init(const ph_norm_shape *s, norm_geom *q, char *why, size_t n)
{
    // A batch of 0 is valid, as on the CPU: a rank whose share of a global batch
    // is empty still joins batch norm's sums over ranks, with zeros.
    if (s->n < 0 || s->c < 1 || s->groups < 0 || (s->groups && s->c % s->groups))
        return snprintf(why, n, "normalisation shape: batch %d, channels %d, groups %d", s->n,
                        s->c, s->groups), -1;
    q->n = (size_t)s->n, q->c = (size_t)s->c, q->g = (size_t)s->groups, q->s = s->s;
    q->cpg = s->groups ? q->c / q->g : 0;
    q->m = s->groups ? q->cpg * q->s : q->n * q->s;
    if (ph_norm_stat_count(s) > INT_MAX || q->c > INT_MAX)
        return snprintf(why, n, "too many normalisation statistics for one grid"), -1;
    return 0;
}

// Offset in x of element j < m of statistic k, and the channel it belongs to.
__host__ __device__ static inline size_t stat_offset(const norm_geom &q, size_t k, size_t j, size_t *ch)
{
    if (!q.g) {
        *ch = k;
        return (j / q.s) * q.c * q.s + k * q.s + j % q.s;
    }
    size_t i = k / q.g, grp = k % q.g;
    *ch = grp * q.cpg + j / q.s;
    return (i * q.c + grp * q.cpg) * q.s + j;
}

// Statistic of the element at offset e, and its channel.
__host__ __device__ static inline size_t stat_of(const norm_geom &q, size_t e, size_t *ch)
{
    size_t c = e / q.s % q.c;
    *ch = c;
    return q.g ? e / (q.c * q.s) * q.g + c / q.cpg : c;
}

__global__ static void moments_k(norm_geom q, const float *x, double *sum, double *sumsq)
{
    __shared__ double ps[PH_CUDA_REDUCE_THREADS], pq[PH_CUDA_REDUCE_THREADS];
    size_t k = blockIdx.x, ch;
    double a = 0, b = 0;
    for (size_t j = threadIdx.x; j < q.m; j += blockDim.x) {
        double v = x[stat_offset(q, k, j, &ch)];
        a += v, b += v * v;
    }
    ps[threadIdx.x] = a, pq[threadIdx.x] = b;
    ph_cuda_block_sum(ps);
    ph_cuda_block_sum(pq);
    if (threadIdx.x == 0) sum[k] = ps[0], sumsq[k] = pq[0];
}

extern "C" int ph_cuda_norm_moments(const ph_norm_shape *s, const float *x, double *sum,
                                    double *sumsq, char *why, size_t n)
{
    norm_geom q;
    if (geom_init(s, &q, why, n)) return -1;
    if (!ph_norm_stat_count(s)) return 0; // group norm of 0 samples: no statistics
    moments_k<<<(unsigned)ph_norm_stat_count(s), PH_CUDA_REDUCE_THREADS>>>(q, x, sum, sumsq);
    CUDA_LAUNCHED("launching norm_moments");
    return 0;
}

__global__ static void forward_k(norm_geom q, const float *x, const float *mean, const float *rstd,
                                 const float *gamma, const float *beta, float *y)
{
    PH_CUDA_FOR(e, q.n * q.c * q.s)
    {
        size_t c, k = stat_of(q, e, &c);
        // the CPU reference's form: one scale and shift per (statistic, channel)
        float scale = rstd[k] * (gamma ? gamma[c] : 1.f);
        float shift = (beta ? beta[c] : 0.f) - mean[k] * scale;
        y[e] = x[e] * scale + shift;
    }
}

extern "C" int ph_cuda_norm_forward(const ph_norm_shape *s, const float *x, const float *mean,
                                    const float *rstd, const float *gamma, const float *beta,
                                    float *y, char *why, size_t n)
{
    norm_geom q;
    if (geom_init(s, &q, why, n)) return -1;
    if (q.n && q.s) forward_k<<<ph_cuda_grid(q.n * q.c * q.s), 256>>>(q, x, mean, rstd, gamma, beta, y);
    CUDA_LAUNCHED("launching norm_forward");
    return 0;
}

// Per statistic: sum of gamma dy and of gamma dy xhat; for batch norm, where a
// statistic is a channel, also dgamma and dbeta.
__global__ static void stat_sums_k(norm_geom q, const float *x, const float *dy, const float *mean,
                                   const float *rstd, const float *gamma, double *sum_g,
                                   double *sum_gx, float *dgamma, float *dbeta)
{
    __shared__ double p[4][PH_CUDA_REDUCE_THREADS];
    size_t k = blockIdx.x, ch;
    const float mk = mean[k], rk = rstd[k];
    double a = 0, b = 0, dg = 0, db = 0;
    for (size_t j = threadIdx.x; j < q.m; j += blockDim.x) {
        size_t e = stat_offset(q, k, j, &ch);
        float xc = x[e] - mk, d = dy[e];
        double gd = gamma ? (double)gamma[ch] * d : (double)d;
        a += gd, b += gd * xc * rk, dg += (double)d * xc * rk, db += d;
    }
    p[0][threadIdx.x] = a, p[1][threadIdx.x] = b, p[2][threadIdx.x] = dg, p[3][threadIdx.x] = db;
    for (int i = 0; i < 4; i++) ph_cuda_block_sum(p[i]);
    if (threadIdx.x) return;
    if (sum_g) sum_g[k] = p[0][0];
    if (sum_gx) sum_gx[k] = p[1][0];
    if (!q.g && dgamma) dgamma[k] = (float)p[2][0];
    if (!q.g && dbeta) dbeta[k] = (float)p[3][0];
}

// Group norm's per-channel dgamma and dbeta: one block per channel over N and S.
__global__ static void channel_sums_k(norm_geom q, const float *x, const float *dy,
                                      const float *mean, const float *rstd, float *dgamma,
                                      float *dbeta)
{
    __shared__ double p[2][PH_CUDA_REDUCE_THREADS];
    size_t c = blockIdx.x, grp = c / q.cpg;
    double dg = 0, db = 0;
    for (size_t j = threadIdx.x; j < q.n * q.s; j += blockDim.x) {
        size_t i = j / q.s, e = (i * q.c + c) * q.s + j % q.s, k = i * q.g + grp;
        float xc = x[e] - mean[k], d = dy[e];
        dg += (double)d * xc * rstd[k], db += d;
    }
    p[0][threadIdx.x] = dg, p[1][threadIdx.x] = db;
    ph_cuda_block_sum(p[0]);
    ph_cuda_block_sum(p[1]);
    if (threadIdx.x) return;
    if (dgamma) dgamma[c] = (float)p[0][0];
    if (dbeta) dbeta[c] = (float)p[1][0];
}

extern "C" int ph_cuda_norm_backward_sums(const ph_norm_shape *s, const float *x, const float *dy,
                                          const float *mean, const float *rstd,
                                          const float *gamma, double *sum_g, double *sum_gx,
                                          float *dgamma, float *dbeta, char *why, size_t n)
{
    norm_geom q;
    if (geom_init(s, &q, why, n)) return -1;
    if (ph_norm_stat_count(s)) {
        stat_sums_k<<<(unsigned)ph_norm_stat_count(s), PH_CUDA_REDUCE_THREADS>>>(
            q, x, dy, mean, rstd, gamma, sum_g, sum_gx, dgamma, dbeta);
        CUDA_LAUNCHED("launching norm_backward_sums");
    }
    if (q.g && (dgamma || dbeta)) {
        channel_sums_k<<<(unsigned)q.c, PH_CUDA_REDUCE_THREADS>>>(q, x, dy, mean, rstd, dgamma,
                                                                  dbeta);
        CUDA_LAUNCHED("launching norm_backward_sums (channels)");
    }
    return 0;
}

__global__ static void apply_k(norm_geom q, const float *x, const float *dy, const float *mean,
                               const float *rstd, const float *gamma, const float *a,
                               const float *b, float *dx)
{
    PH_CUDA_FOR(e, q.n * q.c * q.s)
    {
        size_t c, k = stat_of(q, e, &c);
        float xhat = (x[e] - mean[k]) * rstd[k], gd = gamma ? gamma[c] * dy[e] : dy[e];
        dx[e] = rstd[k] * (gd - a[k] - xhat * b[k]);
    }
}

extern "C" int ph_cuda_norm_backward_apply(const ph_norm_shape *s, const float *x, const float *dy,
                                           const float *mean, const float *rstd,
                                           const float *gamma, const float *a, const float *b,
                                           float *dx, char *why, size_t n)
{
    norm_geom q;
    if (geom_init(s, &q, why, n)) return -1;
    if (q.n && q.s) apply_k<<<ph_cuda_grid(q.n * q.c * q.s), 256>>>(q, x, dy, mean, rstd, gamma, a, b, dx);
    CUDA_LAUNCHED("launching norm_backward_apply");
    return 0;
}
