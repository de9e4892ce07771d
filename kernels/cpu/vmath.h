/* vmath.h: exp, log, atan2, hypot, sin, cos and tanh over float arrays, four
 * lanes at a time through glibc's libmvec (the SSE variants of the x86-64
 * vector-function ABI, present on every x86-64), elsewhere through libm one
 * element at a time.  libmvec is 2-3 times faster than the scalar calls, which
 * were a third of a recurrent tracking cell's step (docs/performance.md).
 *
 * Every element goes through the same function wherever it sits: a tail
 * shorter than four lanes is padded, so a result depends on its input alone,
 * not on the array's length, offset, thread split or rank count.  The lanes'
 * results differ from libm's in the last bits (within libmvec's documented
 * few ulp), so the kernels that use these get different bits than with libm,
 * but the same bits run after run. */
#ifndef PHASOR_KERNELS_CPU_VMATH_H
#define PHASOR_KERNELS_CPU_VMATH_H

#include <stddef.h>

void ph_vexpf(size_t n, const float *x, float *y);
void ph_vlogf(size_t n, const float *x, float *y);
void ph_vsinf(size_t n, const float *x, float *y);
void ph_vcosf(size_t n, const float *x, float *y);
void ph_vtanhf(size_t n, const float *x, float *y);
/* out[i] = atan2f(y[i], x[i]) */
void ph_vatan2f(size_t n, const float *y, const float *x, float *out);
/* out[i] = hypotf(x[i], y[i]) */
void ph_vhypotf(size_t n, const float *x, const float *y, float *out);

/* Softplus log(1 + e^x) and sigmoid 1 / (1 + e^-x) from one exponential of
 * -|x| (exact tails beyond |x| = 80, where it would be subnormal); either
 * output may be NULL, neither may be x.  n at most PH_VMATH_BLOCK. */
#define PH_VMATH_BLOCK 256
void ph_vsoftplus_sigmoid(size_t n, const float *x, float *sp, float *sig);

#endif
