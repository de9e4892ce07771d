/* optim.c: CPU optimiser updates (Adam/AdamW, SGD with momentum). */
#include "cpu.h"

#include <math.h>

int ph_cpu_adam_update(float *param, const float *grad, float *m, float *v, size_t count,
                       float lr, float beta1, float beta2, float eps, float decay, int decoupled,
                       int64_t step, char *why, size_t n)
{
    (void)why, (void)n;
    const float c1 = 1.0f - powf(beta1, (float)step), c2 = 1.0f - powf(beta2, (float)step);
    const float l2 = decoupled ? 0.0f : decay, wd = decoupled ? decay : 0.0f;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) {
        float g = grad[i] + l2 * param[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        float mh = m[i] / c1, vh = v[i] / c2;
        param[i] -= lr * (mh / (sqrtf(vh) + eps) + wd * param[i]);
    }
    return 0;
}

int ph_cpu_sgd_update(float *param, const float *grad, float *buf, size_t count, float lr,
                      float momentum, float decay, int nesterov, int64_t step, char *why,
                      size_t n)
{
    (void)why, (void)n;
    if (momentum == 0) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < count; i++) param[i] -= lr * (grad[i] + decay * param[i]);
        return 0;
    }
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; i++) {
        float g = grad[i] + decay * param[i];
        buf[i] = step == 1 ? g : momentum * buf[i] + g;
        param[i] -= lr * (nesterov ? g + momentum * buf[i] : buf[i]);
    }
    return 0;
}
