/* fft.c: CPU 2D real DFTs with FFTW (single precision), batched over planes.
 *
 * Plans are made once per shape with FFTW_ESTIMATE (deterministic: MEASURE may
 * pick other algorithms from run to run, with roundoff-level differences, and
 * it overwrites the arrays while planning) and kept for the process.  The
 * planner is not thread-safe, so planning holds a lock; plans are run with
 * the new-array interface on buffers of each call (fftwf_malloc gives the
 * alignment the plans were made for), so concurrent calls never share memory.
 * c2r destroys its input, so it always runs on a copy (the FFTW manual,
 * "Real-data DFTs"; docs/maco.md, "The FFT module"). */
#include "cpu.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

size_t ph_fft_real_count(const ph_fft_shape *s) { return (size_t)s->batch * s->h * s->w; }
size_t ph_fft_spec_count(const ph_fft_shape *s) { return (size_t)s->batch * s->h * (s->w / 2 + 1); }

enum { PLAN_CACHE = 64 };
typedef struct {
    ph_fft_shape s;
    fftwf_plan r2c, c2r;
} plan_entry;
static plan_entry cache[PLAN_CACHE];
static int ncache;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int shape_check(const ph_fft_shape *s, char *why, size_t n)
{
    if (s->batch < 1 || s->h < 1 || s->w < 1 || (double)s->h * s->w > 2147483647.0)
        return snprintf(why, n, "FFT shape %d x %d x %d is empty or too large", s->batch, s->h,
                        s->w), -1;
    return 0;
}

/* The plans of shape s, made on first use. */
static const plan_entry *plans_get(const ph_fft_shape *s, char *why, size_t n)
{
    if (shape_check(s, why, n)) return NULL;
    pthread_mutex_lock(&lock);
    const plan_entry *found = NULL;
    for (int i = 0; i < ncache && !found; i++)
        if (!memcmp(&cache[i].s, s, sizeof *s)) found = &cache[i];
    if (!found && ncache == PLAN_CACHE)
        snprintf(why, n, "more than %d FFT shapes in one process", PLAN_CACHE);
    else if (!found) {
        const int dims[2] = {s->h, s->w}, wc = s->w / 2 + 1;
        float *r = fftwf_alloc_real(ph_fft_real_count(s));
        fftwf_complex *c = fftwf_alloc_complex(ph_fft_spec_count(s));
        plan_entry e = {*s, NULL, NULL};
        if (r && c) {
            /* Planned with ESTIMATE, which does not touch the arrays. */
            e.r2c = fftwf_plan_many_dft_r2c(2, dims, s->batch, r, NULL, 1, s->h * s->w, c, NULL, 1,
                                            s->h * wc, FFTW_ESTIMATE);
            e.c2r = fftwf_plan_many_dft_c2r(2, dims, s->batch, c, NULL, 1, s->h * wc, r, NULL, 1,
                                            s->h * s->w, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
        }
        fftwf_free(r), fftwf_free(c);
        if (e.r2c && e.c2r) {
            cache[ncache] = e;
            found = &cache[ncache++];
        } else {
            if (e.r2c) fftwf_destroy_plan(e.r2c);
            if (e.c2r) fftwf_destroy_plan(e.c2r);
            snprintf(why, n, "FFTW could not plan a %d x %d transform of %d planes (out of memory?)",
                     s->h, s->w, s->batch);
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

static int buffers(const ph_fft_shape *s, float **r, fftwf_complex **c, char *why, size_t n)
{
    *r = fftwf_alloc_real(ph_fft_real_count(s));
    *c = fftwf_alloc_complex(ph_fft_spec_count(s));
    if (*r && *c) return 0;
    fftwf_free(*r), fftwf_free(*c);
    return snprintf(why, n, "out of memory for FFT buffers of %d x %d x %d", s->batch, s->h, s->w), -1;
}

int ph_cpu_fft_r2c(const ph_fft_shape *s, const float *x, float *re, float *im, char *why, size_t n)
{
    const plan_entry *p = plans_get(s, why, n);
    float *r;
    fftwf_complex *c;
    if (!p || buffers(s, &r, &c, why, n)) return -1;
    memcpy(r, x, ph_fft_real_count(s) * sizeof *r);
    fftwf_execute_dft_r2c(p->r2c, r, c);
    const size_t nc = ph_fft_spec_count(s);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < nc; i++) re[i] = c[i][0], im[i] = c[i][1];
    fftwf_free(r), fftwf_free(c);
    return 0;
}

int ph_cpu_fft_c2r(const ph_fft_shape *s, const float *re, const float *im, float *x, char *why,
                   size_t n)
{
    const plan_entry *p = plans_get(s, why, n);
    float *r;
    fftwf_complex *c;
    if (!p || buffers(s, &r, &c, why, n)) return -1;
    const int h = s->h, wc = s->w / 2 + 1;
    const size_t plane = (size_t)h * wc;
#pragma omp parallel for schedule(static)
    for (size_t row = 0; row < (size_t)s->batch * h; row++) {
        const size_t b = row / h, ky = row % h, o = row * wc;
        for (int kx = 0; kx < wc; kx++) c[o + kx][0] = re[o + kx], c[o + kx][1] = im[o + kx];
        /* Columns that are their own mirror (0, and w/2 for even w): project on the
         * Hermitian part, Z[ky] = (X[ky] + conj X[-ky]) / 2, explicitly, so both
         * backends read the same spectrum. */
        const size_t m = b * plane + ((h - ky) % h) * wc;
        for (int kx = 0; kx < wc; kx += (s->w % 2 == 0 && wc > 1) ? wc - 1 : wc) {
            c[o + kx][0] = 0.5f * (re[o + kx] + re[m + kx]);
            c[o + kx][1] = 0.5f * (im[o + kx] - im[m + kx]);
        }
    }
    fftwf_execute_dft_c2r(p->c2r, c, r);
    const size_t nr = ph_fft_real_count(s);
    const float scale = (float)(1.0 / ((double)s->h * s->w));
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < nr; i++) x[i] = r[i] * scale;
    fftwf_free(r), fftwf_free(c);
    return 0;
}

int ph_cpu_fft_c2r_backward(const ph_fft_shape *s, const float *dx, float *dre, float *dim,
                            char *why, size_t n)
{
    const plan_entry *p = plans_get(s, why, n);
    float *r;
    fftwf_complex *c;
    if (!p || buffers(s, &r, &c, why, n)) return -1;
    memcpy(r, dx, ph_fft_real_count(s) * sizeof *r);
    fftwf_execute_dft_r2c(p->r2c, r, c);
    const int wc = s->w / 2 + 1, even = s->w % 2 == 0;
    const float one = (float)(1.0 / ((double)s->h * s->w)), two = 2 * one;
    const size_t nc = ph_fft_spec_count(s);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < nc; i++) {
        const int kx = (int)(i % wc);
        const float k = kx == 0 || (even && kx == wc - 1) ? one : two;
        dre[i] = k * c[i][0], dim[i] = k * c[i][1];
    }
    fftwf_free(r), fftwf_free(c);
    return 0;
}
