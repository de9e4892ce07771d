/* cell.h: the CPU reference of the recurrent tracking cells' fused ops
 * (kernels.h, "recurrent tracking cells"). */
#ifndef PHASOR_KERNELS_CPU_CELL_H
#define PHASOR_KERNELS_CPU_CELL_H

#include "../kernels.h"

int ph_cpu_cell_attend_forward(size_t count, const float *a1, const float *a2, const float *e,
                               float *att, float *et, char *why, size_t n);
int ph_cpu_cell_attend_backward(size_t count, const float *det, const float *att, const float *e,
                                float *de, float *da, char *why, size_t n);
int ph_cpu_cell_inhibit_forward(int nb, int c, size_t s, const float *z, const float *q,
                                const float *ip, const float *g1, const float *g2,
                                const float *alpha, const float *mu, float *g, float *i,
                                char *why, size_t n);
int ph_cpu_cell_inhibit_backward(int nb, int c, size_t s, const float *di, const float *z,
                                 const float *q, const float *ip, const float *g,
                                 const float *alpha, const float *mu, float *dz, float *dq,
                                 float *dip, float *dg, float *dalpha, float *dmu, char *why,
                                 size_t n);
int ph_cpu_cell_excite_forward(int nb, int c, size_t s, const float *r, const float *i,
                               const float *ep, const float *g1, const float *g2,
                               const float *kappa, const float *gamma, float *g, float *e,
                               char *why, size_t n);
int ph_cpu_cell_excite_backward(int nb, int c, size_t s, const float *de, const float *r,
                                const float *i, const float *ep, const float *g,
                                const float *kappa, const float *gamma, float *dr, float *di,
                                float *dep, float *dg, float *dkappa, float *dgamma, char *why,
                                size_t n);
int ph_cpu_cplx_magphase_forward(size_t count, const float *re, const float *im, const float *chi,
                                 float *mag, float *phase, char *why, size_t n);
int ph_cpu_cplx_magphase_backward(size_t count, const float *re, const float *im,
                                  const float *dmag, const float *dphase, float *dre, float *dim,
                                  float *dchi, char *why, size_t n);
int ph_cpu_cplx_polar_act_forward(ph_act kind, size_t count, const float *m, const float *phase,
                                  float *re, float *im, float *mag, char *why, size_t n);
int ph_cpu_cplx_polar_act_backward(ph_act kind, size_t count, const float *m,
                                   const float *phase, const float *dre, const float *dim,
                                   const float *dmag, float *dm, float *dphase, char *why,
                                   size_t n);

#endif
