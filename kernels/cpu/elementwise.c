/* elementwise.c: CPU element-wise ops and plain copies (OpenMP loops). */
#include "cpu.h"
#include "vmath.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int ph_cpu_u8_affine(const uint8_t *src, float *dst, size_t count, float scale, float shift,
                     char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) dst[i] = (float)src[i] * scale + shift;
    return 0;
}

int ph_cpu_avgpool_global_forward(const float *x, float *y, size_t planes, size_t spatial,
                                  char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < planes; i++) {
        double s = 0; /* double accumulator: the result does not depend on the thread count */
        for (size_t j = 0; j < spatial; j++) s += x[i * spatial + j];
        y[i] = (float)(s / (double)spatial);
    }
    return 0;
}

int ph_cpu_avgpool_global_backward(const float *dy, float *dx, size_t planes, size_t spatial,
                                   char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < planes; i++)
        for (size_t j = 0; j < spatial; j++) dx[i * spatial + j] = dy[i] / (float)spatial;
    return 0;
}


/* y = softplus(x) or sigmoid(x) in blocks through libmvec (vmath.h): a value depends on its
 * input alone, whatever the block or thread; y may be x */
static void act_blocks(const float *x, float *y, size_t count, int softplus)
{
#pragma omp parallel for schedule(static)
    for (size_t o = 0; o < count; o += PH_VMATH_BLOCK) {
        const size_t m = count - o < PH_VMATH_BLOCK ? count - o : PH_VMATH_BLOCK;
        float v[PH_VMATH_BLOCK];
        ph_vsoftplus_sigmoid(m, x + o, softplus ? v : NULL, softplus ? NULL : v);
        memcpy(y + o, v, m * sizeof *v);
    }
}

int ph_cpu_act_forward(ph_act kind, const float *x, float *y, size_t count, char *why, size_t n)
{
    switch (kind) {
    case PH_ACT_RELU:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : 0;
        return 0;
    case PH_ACT_SIGMOID:
        act_blocks(x, y, count, 0);
        return 0;
    case PH_ACT_TANH:
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = tanhf(x[i]);
        return 0;
    case PH_ACT_SOFTPLUS:
        act_blocks(x, y, count, 1);
        return 0;
    default:
        return snprintf(why, n, "unknown activation %d", (int)kind), -1;
    }
}

int ph_cpu_act_backward(ph_act kind, const float *x, const float *y, const float *dy, float *dx,
                        size_t count, char *why, size_t n)
{
    switch (kind) {
    case PH_ACT_RELU: /* dy read whatever the sign: a conditional load keeps GCC from vectorising */
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) {
            const float d = dy[i];
            dx[i] = x[i] > 0 ? d : 0.0f;
        }
        return 0;
    case PH_ACT_SIGMOID:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        return 0;
    case PH_ACT_TANH:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        return 0;
    case PH_ACT_SOFTPLUS: /* d/dx softplus = sigmoid(x) */
#pragma omp parallel for schedule(static)
        for (size_t o = 0; o < count; o += PH_VMATH_BLOCK) {
            const size_t m = count - o < PH_VMATH_BLOCK ? count - o : PH_VMATH_BLOCK;
            float sig[PH_VMATH_BLOCK];
            ph_vsoftplus_sigmoid(m, x + o, NULL, sig);
#pragma omp simd
            for (size_t j = 0; j < m; j++) dx[o + j] = dy[o + j] * sig[j];
        }
        return 0;
    default:
        return snprintf(why, n, "unknown activation %d", (int)kind), -1;
    }
}

int ph_cpu_binary(ph_binop op, const float *a, const float *b, float *y, size_t count, char *why,
                  size_t n)
{
    switch (op) {
    case PH_BIN_ADD:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = a[i] + b[i];
        return 0;
    case PH_BIN_SUB:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = a[i] - b[i];
        return 0;
    case PH_BIN_MUL:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = a[i] * b[i];
        return 0;
    default:
        return snprintf(why, n, "unknown binary op %d", (int)op), -1;
    }
}

int ph_cpu_axpby(float alpha, const float *x, float beta, float *y, size_t count, char *why,
                 size_t n)
{
    (void)why, (void)n;
    if (beta == 0) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = alpha * x[i];
    } else {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) y[i] = alpha * x[i] + beta * y[i];
    }
    return 0;
}

int ph_cpu_fill(float *x, float value, size_t count, char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) x[i] = value;
    return 0;
}

int ph_cpu_copy2d(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t cols,
                  char *why, size_t n)
{
    (void)why, (void)n;
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++) memcpy(dst + r * ldd, src + r * lds, cols * sizeof *dst);
    return 0;
}
