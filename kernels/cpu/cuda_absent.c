/* cuda_absent.c: the CUDA backend of a build without nvcc (make CUDA=0).  Every
 * entry exists and reports that this build has no CUDA backend, so callers
 * and tests fall back to the CPU with a clear reason. */
#include "../kernels.h"

#include <stdio.h>

#define ABSENT (snprintf(why, n, "this build has no CUDA backend (rebuild with nvcc on PATH)"), -1)

int ph_cuda_device_count(char *why, size_t n) { return ABSENT + 1; }

static void *absent_alloc(size_t bytes) { return (void)bytes, NULL; }
static void absent_free(void *p) { (void)p; }
static int absent_copy(void *dst, const void *src, size_t bytes, char *why, size_t n)
{
    (void)dst, (void)src, (void)bytes;
    return ABSENT;
}
static int absent_u8_affine(const uint8_t *src, float *dst, size_t count, float scale,
                            float shift, char *why, size_t n)
{
    (void)src, (void)dst, (void)count, (void)scale, (void)shift;
    return ABSENT;
}
static int absent_sgemm(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc, char *why, size_t n)
{
    (void)ta, (void)tb, (void)m, (void)nn, (void)k, (void)alpha, (void)a, (void)lda, (void)b;
    (void)ldb, (void)beta, (void)c, (void)ldc;
    return ABSENT;
}
static int absent_conv_forward(const ph_conv_shape *s, const float *x, const float *w,
                               const float *b, float *y, char *why, size_t n)
{
    (void)s, (void)x, (void)w, (void)b, (void)y;
    return ABSENT;
}
static int absent_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w,
                                     float *dx, char *why, size_t n)
{
    (void)s, (void)dy, (void)w, (void)dx;
    return ABSENT;
}
static int absent_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                        float *dw, float *db, char *why, size_t n)
{
    (void)s, (void)x, (void)dy, (void)dw, (void)db;
    return ABSENT;
}
static int absent_avgpool(const float *x, float *y, size_t planes, size_t spatial, char *why,
                          size_t n)
{
    (void)x, (void)y, (void)planes, (void)spatial;
    return ABSENT;
}
static int absent_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                              float lr, float beta1, float beta2, float eps, float decay,
                              int decoupled, int64_t step, char *why, size_t n)
{
    (void)param, (void)grad, (void)m, (void)v, (void)count, (void)lr, (void)beta1, (void)beta2;
    (void)eps, (void)decay, (void)decoupled, (void)step;
    return ABSENT;
}
static int absent_sgd_update(float *param, const float *grad, float *buf, size_t count, float lr,
                             float momentum, float decay, int nesterov, int64_t step, char *why,
                             size_t n)
{
    (void)param, (void)grad, (void)buf, (void)count, (void)lr, (void)momentum, (void)decay;
    (void)nesterov, (void)step;
    return ABSENT;
}
static int absent_act_forward(ph_act kind, const float *x, float *y, size_t count, char *why,
                              size_t n)
{
    (void)kind, (void)x, (void)y, (void)count;
    return ABSENT;
}
static int absent_act_backward(ph_act kind, const float *x, const float *y, const float *dy,
                               float *dx, size_t count, char *why, size_t n)
{
    (void)kind, (void)x, (void)y, (void)dy, (void)dx, (void)count;
    return ABSENT;
}
static int absent_binary(ph_binop op, const float *a, const float *b, float *y, size_t count,
                         char *why, size_t n)
{
    (void)op, (void)a, (void)b, (void)y, (void)count;
    return ABSENT;
}
static int absent_axpby(float alpha, const float *x, float beta, float *y, size_t count, char *why,
                        size_t n)
{
    (void)alpha, (void)x, (void)beta, (void)y, (void)count;
    return ABSENT;
}
static int absent_fill(float *x, float value, size_t count, char *why, size_t n)
{
    (void)x, (void)value, (void)count;
    return ABSENT;
}
static int absent_copy2d(float *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                         size_t cols, char *why, size_t n)
{
    (void)dst, (void)ldd, (void)src, (void)lds, (void)rows, (void)cols;
    return ABSENT;
}
static int absent_pool_forward(const ph_pool_shape *s, const float *x, float *y, char *why,
                               size_t n)
{
    (void)s, (void)x, (void)y;
    return ABSENT;
}
static int absent_pool_backward(const ph_pool_shape *s, const float *x, const float *y,
                                const float *dy, float *dx, char *why, size_t n)
{
    (void)s, (void)x, (void)y, (void)dy, (void)dx;
    return ABSENT;
}
static int absent_norm_moments(const ph_norm_shape *s, const float *x, double *sum, double *sumsq,
                               char *why, size_t n)
{
    (void)s, (void)x, (void)sum, (void)sumsq;
    return ABSENT;
}
static int absent_norm_forward(const ph_norm_shape *s, const float *x, const float *mean,
                               const float *rstd, const float *gamma, const float *beta, float *y,
                               char *why, size_t n)
{
    (void)s, (void)x, (void)mean, (void)rstd, (void)gamma, (void)beta, (void)y;
    return ABSENT;
}
static int absent_norm_backward_sums(const ph_norm_shape *s, const float *x, const float *dy,
                                     const float *mean, const float *rstd, const float *gamma,
                                     double *sum_g, double *sum_gx, float *dgamma, float *dbeta,
                                     char *why, size_t n)
{
    (void)s, (void)x, (void)dy, (void)mean, (void)rstd, (void)gamma, (void)sum_g, (void)sum_gx;
    (void)dgamma, (void)dbeta;
    return ABSENT;
}
static int absent_norm_backward_apply(const ph_norm_shape *s, const float *x, const float *dy,
                                      const float *mean, const float *rstd, const float *gamma,
                                      const float *a, const float *b, float *dx, char *why,
                                      size_t n)
{
    (void)s, (void)x, (void)dy, (void)mean, (void)rstd, (void)gamma, (void)a, (void)b, (void)dx;
    return ABSENT;
}
static int absent_sgemm_batched(int ta, int tb, int64_t m, int64_t nn, int64_t k, float alpha,
                                const float *a, int64_t lda, int64_t sa, const float *b,
                                int64_t ldb, int64_t sb, float beta, float *c, int64_t ldc,
                                int64_t sc, int64_t batch, char *why, size_t n)
{
    (void)ta, (void)tb, (void)m, (void)nn, (void)k, (void)alpha, (void)a, (void)lda, (void)sa;
    (void)b, (void)ldb, (void)sb, (void)beta, (void)c, (void)ldc, (void)sc, (void)batch;
    return ABSENT;
}
static int absent_softmax_forward(const float *x, float *y, size_t rows, size_t cols, char *why,
                                  size_t n)
{
    (void)x, (void)y, (void)rows, (void)cols;
    return ABSENT;
}
static int absent_softmax_backward(const float *y, const float *dy, float *dx, size_t rows,
                                   size_t cols, char *why, size_t n)
{
    (void)y, (void)dy, (void)dx, (void)rows, (void)cols;
    return ABSENT;
}
static int absent_resize_forward(const float *x, float *y, size_t planes, int ih, int iw, int oh,
                                 int ow, char *why, size_t n)
{
    (void)x, (void)y, (void)planes, (void)ih, (void)iw, (void)oh, (void)ow;
    return ABSENT;
}
static int absent_resize_backward(const float *dy, float *dx, size_t planes, int ih, int iw,
                                  int oh, int ow, char *why, size_t n)
{
    (void)dy, (void)dx, (void)planes, (void)ih, (void)iw, (void)oh, (void)ow;
    return ABSENT;
}
static int absent_polar_forward(const float *mag, const float *phase, float *re, float *im,
                                size_t count, char *why, size_t n)
{
    (void)mag, (void)phase, (void)re, (void)im, (void)count;
    return ABSENT;
}
static int absent_polar_backward(const float *mag, const float *phase, const float *dre,
                                 const float *dim, float *dmag, float *dphase, size_t count,
                                 char *why, size_t n)
{
    (void)mag, (void)phase, (void)dre, (void)dim, (void)dmag, (void)dphase, (void)count;
    return ABSENT;
}
static int absent_abs_arg_forward(const float *re, const float *im, float *mag, float *phase,
                                  size_t count, char *why, size_t n)
{
    (void)re, (void)im, (void)mag, (void)phase, (void)count;
    return ABSENT;
}
static int absent_abs_arg_backward(const float *re, const float *im, const float *mag,
                                   const float *dmag, const float *dphase, float *dre, float *dim,
                                   size_t count, char *why, size_t n)
{
    (void)re, (void)im, (void)mag, (void)dmag, (void)dphase, (void)dre, (void)dim, (void)count;
    return ABSENT;
}

/* the recurrent tracking cells' fused ops */
static int absent_cell_attend_forward(size_t count, const float *a1, const float *a2,
                                      const float *e, float *att, float *et, char *why, size_t n)
{
    (void)count, (void)a1, (void)a2, (void)e, (void)att, (void)et;
    return ABSENT;
}
static int absent_cell_attend_backward(size_t count, const float *det, const float *att,
                                       const float *e, float *de, float *da, char *why, size_t n)
{
    (void)count, (void)det, (void)att, (void)e, (void)de, (void)da;
    return ABSENT;
}
static int absent_cell_inhibit_forward(int nb, int c, size_t s, const float *z, const float *q,
                                       const float *ip, const float *g1, const float *g2,
                                       const float *alpha, const float *mu, float *g, float *i,
                                       char *why, size_t n)
{
    (void)nb, (void)c, (void)s, (void)z, (void)q, (void)ip, (void)g1, (void)g2, (void)alpha;
    (void)mu, (void)g, (void)i;
    return ABSENT;
}
static int absent_cell_inhibit_backward(int nb, int c, size_t s, const float *di, const float *z,
                                        const float *q, const float *ip, const float *g,
                                        const float *alpha, const float *mu, float *dz,
                                        float *dq, float *dip, float *dg, float *dalpha,
                                        float *dmu, char *why, size_t n)
{
    (void)nb, (void)c, (void)s, (void)di, (void)z, (void)q, (void)ip, (void)g, (void)alpha;
    (void)mu, (void)dz, (void)dq, (void)dip, (void)dg, (void)dalpha, (void)dmu;
    return ABSENT;
}
static int absent_cell_excite_forward(int nb, int c, size_t s, const float *r, const float *i,
                                      const float *ep, const float *g1, const float *g2,
                                      const float *kappa, const float *gamma, float *g, float *e,
                                      char *why, size_t n)
{
    (void)nb, (void)c, (void)s, (void)r, (void)i, (void)ep, (void)g1, (void)g2, (void)kappa;
    (void)gamma, (void)g, (void)e;
    return ABSENT;
}
static int absent_cell_excite_backward(int nb, int c, size_t s, const float *de, const float *r,
                                       const float *i, const float *ep, const float *g,
                                       const float *kappa, const float *gamma, float *dr,
                                       float *di, float *dep, float *dg, float *dkappa,
                                       float *dgamma, char *why, size_t n)
{
    (void)nb, (void)c, (void)s, (void)de, (void)r, (void)i, (void)ep, (void)g, (void)kappa;
    (void)gamma, (void)dr, (void)di, (void)dep, (void)dg, (void)dkappa, (void)dgamma;
    return ABSENT;
}
static int absent_cplx_magphase_forward(size_t count, const float *re, const float *im,
                                        const float *chi, float *mag, float *phase, char *why,
                                        size_t n)
{
    (void)count, (void)re, (void)im, (void)chi, (void)mag, (void)phase;
    return ABSENT;
}
static int absent_cplx_magphase_backward(size_t count, const float *re, const float *im,
                                         const float *dmag, const float *dphase, float *dre,
                                         float *dim, float *dchi, char *why, size_t n)
{
    (void)count, (void)re, (void)im, (void)dmag, (void)dphase, (void)dre, (void)dim, (void)dchi;
    return ABSENT;
}
static int absent_cplx_polar_act_forward(ph_act kind, size_t count, const float *m,
                                         const float *phase, float *re, float *im, float *mag,
                                         char *why, size_t n)
{
    (void)kind, (void)count, (void)m, (void)phase, (void)re, (void)im, (void)mag;
    return ABSENT;
}
static int absent_cplx_polar_act_backward(ph_act kind, size_t count, const float *m,
                                          const float *phase, const float *dre, const float *dim,
                                          const float *dmag, float *dm, float *dphase, char *why,
                                          size_t n)
{
    (void)kind, (void)count, (void)m, (void)phase, (void)dre, (void)dim, (void)dmag, (void)dm;
    (void)dphase;
    return ABSENT;
}

static int absent_fft_r2c(const ph_fft_shape *s, const float *x, float *re, float *im,
                          char *why, size_t n)
{
    (void)s, (void)x, (void)re, (void)im;
    return ABSENT;
}
static int absent_fft_c2r(const ph_fft_shape *s, const float *re, const float *im, float *x,
                          char *why, size_t n)
{
    (void)s, (void)re, (void)im, (void)x;
    return ABSENT;
}
static int absent_fft_c2r_backward(const ph_fft_shape *s, const float *dx, float *dre,
                                   float *dim, char *why, size_t n)
{
    (void)s, (void)dx, (void)dre, (void)dim;
    return ABSENT;
}
static int absent_crop_resize(const float *x, float *y, size_t planes, int h, int w,
                              const float *boxes, int nbox, int oh, int ow, char *why, size_t n)
{
    (void)x, (void)y, (void)planes, (void)h, (void)w, (void)boxes, (void)nbox, (void)oh, (void)ow;
    return ABSENT;
}
static int absent_nadam_update(float *param, const float *grad, float *m, float *v, size_t count,
                               float beta1, float beta2, float eps, float cg, float cm, float bc2,
                               char *why, size_t n)
{
    (void)param, (void)grad, (void)m, (void)v, (void)count, (void)beta1, (void)beta2, (void)eps;
    (void)cg, (void)cm, (void)bc2;
    return ABSENT;
}

const ph_backend ph_backend_cuda = {
    .name = "cuda (absent)",
    .alloc = absent_alloc,
    .free = absent_free,
    .upload = absent_copy,
    .download = absent_copy,
    .u8_affine = absent_u8_affine,
    .sgemm = absent_sgemm,
    .conv_forward = absent_conv_forward,
    .conv_backward_data = absent_conv_backward_data,
    .conv_backward_weights = absent_conv_backward_weights,
    .avgpool_global_forward = absent_avgpool,
    .avgpool_global_backward = absent_avgpool,
    .adam_update = absent_adam_update,
    .sgd_update = absent_sgd_update,
    .act_forward = absent_act_forward,
    .act_backward = absent_act_backward,
    .binary = absent_binary,
    .axpby = absent_axpby,
    .fill = absent_fill,
    .copy2d = absent_copy2d,
    .pool_forward = absent_pool_forward,
    .pool_backward = absent_pool_backward,
    .norm_moments = absent_norm_moments,
    .norm_forward = absent_norm_forward,
    .norm_backward_sums = absent_norm_backward_sums,
    .norm_backward_apply = absent_norm_backward_apply,
    .sgemm_batched = absent_sgemm_batched,
    .softmax_forward = absent_softmax_forward,
    .softmax_backward = absent_softmax_backward,
    .resize_forward = absent_resize_forward,
    .resize_backward = absent_resize_backward,
    .polar_forward = absent_polar_forward,
    .polar_backward = absent_polar_backward,
    .abs_arg_forward = absent_abs_arg_forward,
    .abs_arg_backward = absent_abs_arg_backward,
    .cell_attend_forward = absent_cell_attend_forward,
    .cell_attend_backward = absent_cell_attend_backward,
    .cell_inhibit_forward = absent_cell_inhibit_forward,
    .cell_inhibit_backward = absent_cell_inhibit_backward,
    .cell_excite_forward = absent_cell_excite_forward,
    .cell_excite_backward = absent_cell_excite_backward,
    .cplx_magphase_forward = absent_cplx_magphase_forward,
    .cplx_magphase_backward = absent_cplx_magphase_backward,
    .cplx_polar_act_forward = absent_cplx_polar_act_forward,
    .cplx_polar_act_backward = absent_cplx_polar_act_backward,
    .fft_r2c = absent_fft_r2c,
    .fft_c2r = absent_fft_c2r,
    .fft_c2r_backward = absent_fft_c2r_backward,
    .crop_resize_forward = absent_crop_resize,
    .crop_resize_backward = absent_crop_resize,
    .nadam_update = absent_nadam_update,
};
