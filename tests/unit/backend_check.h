/* backend_check.h: what the op-by-op accuracy tests share (test_cells.c: the
 * CPU cell ops against double precision; test_kernels_cuda.c: CUDA against
 * the CPU): independent random inputs, and an error measured element by
 * element. */
#ifndef PHASOR_TEST_BACKEND_CHECK_H
#define PHASOR_TEST_BACKEND_CHECK_H

#include "core/rng.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* n floats uniform in [-scale, scale] (the float rounding can reach +scale).  Philox keyed by the seed, so the
 * streams of two seeds are independent (an LCG started from consecutive seeds
 * gives streams that are shifts of one another: where one input was small,
 * the others were too). */
static inline void fill_uniform(float *v, size_t n, uint32_t seed, float scale)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, 0, 0);
    for (size_t i = 0; i < n; i++) v[i] = (float)((2 * ph_rng_uniform(&r) - 1) * scale);
}

/* The recurrent cells' test inputs, one recipe for test_cells.c (which measures the CPU
 * against double on them) and test_kernels_cuda.c (whose tolerance rests on that): states of
 * CELL_NB x CELL_C x CELL_S (S odd: no vector multiple) and per-channel parameters. */
enum { CELL_NB = 7, CELL_C = 32, CELL_S = 1031, CELL_COMPLEX_N = 100003 };

/* state input i (0..7), uniform in [-4, 4]: softplus and sigmoid over their curved range */
static inline void fill_cell_state(float *v, int i) { fill_uniform(v, (size_t)CELL_NB * CELL_C * CELL_S, 300 + (uint32_t)i, 4.0f); }

/* per-channel parameter i (0..1: alpha/kappa, mu/gamma), uniform in [-1, 1] */
static inline void fill_cell_param(float *v, int i) { fill_uniform(v, CELL_C, 320 + (uint32_t)i, 1.0f); }

/* the complex ops' six inputs of CELL_COMPLEX_N values (re, im, chi, d1, d2, d3), uniform in
 * [-1, 1], with exact zeros of psi = re + i im and imaginary parts inside the stable angle's 1e-7 */
static inline void fill_complex_inputs(float *v[6])
{
    for (int i = 0; i < 6; i++) fill_uniform(v[i], CELL_COMPLEX_N, 330 + (uint32_t)i, 1.0f);
    for (size_t i = 0; i < CELL_COMPLEX_N; i += 101) v[0][i] = v[1][i] = 0;
    for (size_t i = 50; i < CELL_COMPLEX_N; i += 103) v[1][i] = 3e-8f;
}

/* The largest error of got against ref over n elements, each in units of
 * |ref_i - prior_i| + mean_j |ref_j - prior_j|: relative where a value is of
 * typical size or larger, absolute (against the typical size) where it is
 * small or cancels, so a wrong small entry is not hidden by the largest one.
 * prior (may be NULL = 0) is what an accumulated output held before: the
 * increment is measured, less one float rounding of the sum (FLT_EPSILON
 * |ref_i|).  A NaN, or an infinite reference, counts as an infinite error (an
 * infinite mean would otherwise excuse every element). */
static inline double elementwise_error(size_t n, const float *got, const double *ref, const float *prior)
{
    double mean = 0, worst = 0;
    for (size_t i = 0; i < n; i++) mean += fabs(ref[i] - (prior ? prior[i] : 0.0));
    mean = mean / (double)(n ? n : 1) + 1e-300;
    if (!isfinite(mean)) return INFINITY;
    for (size_t i = 0; i < n; i++) {
        double inc = fabs(ref[i] - (prior ? prior[i] : 0.0));
        double d = fabs((double)got[i] - ref[i]) - (prior ? FLT_EPSILON * fabs(ref[i]) : 0.0);
        double e = d == d ? fmax(d, 0.0) / (inc + mean) : INFINITY; /* fmax would drop a NaN */
        if (!(e <= worst)) worst = e == e ? e : INFINITY;
    }
    return worst;
}

#endif
