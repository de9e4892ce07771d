/* vmath.c: array math through libmvec (vmath.h). */
#include "vmath.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__)
/* libmvec's 4-lane SSE variants (glibc >= 2.35 for atan2f, hypotf, tanhf);
 * the names are the vector-function ABI's mangling of the scalar ones. */
typedef float ph_f4 __attribute__((vector_size(16)));
extern ph_f4 _ZGVbN4v_expf(ph_f4);
extern ph_f4 _ZGVbN4v_logf(ph_f4);
extern ph_f4 _ZGVbN4v_sinf(ph_f4);
extern ph_f4 _ZGVbN4v_cosf(ph_f4);
extern ph_f4 _ZGVbN4v_tanhf(ph_f4);
extern ph_f4 _ZGVbN4vv_atan2f(ph_f4, ph_f4);
extern ph_f4 _ZGVbN4vv_hypotf(ph_f4, ph_f4);

/* Whole lanes move as one 16-byte copy; a tail of 1-3 elements goes through a
 * padded array (padded with 1, a value every function takes).  Writing lanes
 * one by one and reading them as a vector would stall store forwarding. */
static inline ph_f4 load4(const float *x)
{
    ph_f4 v;
    memcpy(&v, x, sizeof v);
    return v;
}
static inline void store4(float *y, ph_f4 v) { memcpy(y, &v, sizeof v); }
static inline ph_f4 load_tail(const float *x, size_t m)
{
    float t[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    for (size_t k = 0; k < m; k++) t[k] = x[k];
    return load4(t);
}
static inline void store_tail(float *y, size_t m, ph_f4 v)
{
    float t[4];
    store4(t, v);
    for (size_t k = 0; k < m; k++) y[k] = t[k];
}
#define PH_MAP1(name, vf, sf)                                                                     \
    void name(size_t n, const float *x, float *y)                                                  \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 4 <= n; i += 4) store4(y + i, vf(load4(x + i)));                                \
        if (i < n) store_tail(y + i, n - i, vf(load_tail(x + i, n - i)));                          \
    }
#define PH_MAP2(name, vf, sf)                                                                     \
    void name(size_t n, const float *a, const float *b, float *out)                                \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 4 <= n; i += 4) store4(out + i, vf(load4(a + i), load4(b + i)));                \
        if (i < n) store_tail(out + i, n - i, vf(load_tail(a + i, n - i), load_tail(b + i, n - i))); \
    }
#else
#define PH_MAP1(name, vf, sf)                                                                     \
    void name(size_t n, const float *x, float *y)                                                  \
    {                                                                                              \
        for (size_t i = 0; i < n; i++) y[i] = sf(x[i]);                                            \
    }
#define PH_MAP2(name, vf, sf)                                                                     \
    void name(size_t n, const float *a, const float *b, float *out)                                \
    {                                                                                              \
        for (size_t i = 0; i < n; i++) out[i] = sf(a[i], b[i]);                                    \
    }
#endif

PH_MAP1(ph_vexpf, _ZGVbN4v_expf, expf)
/* In place, for block buffers: GCC 12 takes a local array passed to a const
 * pointer as possibly read before it is written. */
#if defined(__x86_64__) && defined(__GLIBC__)
static void vexpf_inplace(size_t n, float *x)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) store4(x + i, _ZGVbN4v_expf(load4(x + i)));
    if (i < n) store_tail(x + i, n - i, _ZGVbN4v_expf(load_tail(x + i, n - i)));
}
static void vlogf_inplace(size_t n, float *x)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) store4(x + i, _ZGVbN4v_logf(load4(x + i)));
    if (i < n) store_tail(x + i, n - i, _ZGVbN4v_logf(load_tail(x + i, n - i)));
}
#else
static void vexpf_inplace(size_t n, float *x) { for (size_t i = 0; i < n; i++) x[i] = expf(x[i]); }
static void vlogf_inplace(size_t n, float *x) { for (size_t i = 0; i < n; i++) x[i] = logf(x[i]); }
#endif
PH_MAP1(ph_vlogf, _ZGVbN4v_logf, logf)
PH_MAP1(ph_vsinf, _ZGVbN4v_sinf, sinf)
PH_MAP1(ph_vcosf, _ZGVbN4v_cosf, cosf)
PH_MAP1(ph_vtanhf, _ZGVbN4v_tanhf, tanhf)
PH_MAP2(ph_vatan2f, _ZGVbN4vv_atan2f, atan2f)
PH_MAP2(ph_vhypotf, _ZGVbN4vv_hypotf, hypotf)

/* The arithmetic loops are vectorised (omp simd); +, -, *, / and selections
 * round the same in a lane as alone, so this changes no bits. */
void ph_vsoftplus_sigmoid(size_t n, const float *x, float *sp, float *sig)
{
    float e[PH_VMATH_BLOCK], u[PH_VMATH_BLOCK];
#pragma omp simd
    for (size_t j = 0; j < n; j++) {
        float a = fabsf(x[j]);
        e[j] = a > 80.0f ? -80.0f : -a;
    }
    vexpf_inplace(n, e);
#pragma omp simd
    for (size_t j = 0; j < n; j++) {
        e[j] = fabsf(x[j]) > 80.0f ? 0.0f : e[j];
        u[j] = 1.0f + e[j];
    }
    if (sig)
#pragma omp simd
        for (size_t j = 0; j < n; j++) sig[j] = (x[j] >= 0 ? 1.0f : e[j]) / u[j];
    if (!sp) return;
    float l[PH_VMATH_BLOCK];
#pragma omp simd
    for (size_t j = 0; j < n; j++) l[j] = u[j];
    vlogf_inplace(n, l);
    /* log(1 + e) = log(u) * e / (u - 1): the rounding of u = 1 + e corrected to
     * first order (Goldberg 1991, Thm 4); d = 0 where u rounds to 1 */
#pragma omp simd
    for (size_t j = 0; j < n; j++) {
        float d = u[j] - 1.0f, r = l[j] * (e[j] / (d != 0.0f ? d : 1.0f));
        sp[j] = (x[j] > 0.0f ? x[j] : 0.0f) + (d != 0.0f ? r : e[j]);
    }
}
