// optim.cu: CUDA optimiser steps (Adam/AdamW, SGD with momentum), one thread per
// parameter, the same formulas as the CPU reference.
#include "cuda.h"

__global__ static void adam_k(float *param, const float *grad, float *m, float *v, size_t count,
                              float lr, float beta1, float beta2, float eps, float decay,
                              int decoupled, float c1, float c2)
{
    PH_CUDA_FOR(i, count)
    {
        float p = param[i], g = decoupled ? grad[i] : grad[i] + decay * p;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi, v[i] = vi;
        float step = (mi / c1) / (sqrtf(vi / c2) + eps);
        param[i] = p - lr * (decoupled ? step + decay * p : step);
    }
}

extern "C" int ph_cuda_adam_update(float *param, const float *grad, float *m, float *v,
                                   size_t count, float lr, float beta1, float beta2, float eps,
                                   float decay, int decoupled, int64_t step, char *why, size_t n)
{
    if (step < 1) return snprintf(why, n, "adam step %lld must count from 1", (long long)step), -1;
    const float c1 = 1.0f - powf(beta1, (float)step), c2 = 1.0f - powf(beta2, (float)step);
    if (count)
        adam_k<<<ph_cuda_grid(count), 256>>>(param, grad, m, v, count, lr, beta1, beta2, eps, decay,
                                             decoupled, c1, c2);
    CUDA_LAUNCHED("launching adam_update");
    return 0;
}

// PyTorch's SGD: the buffer starts as the first gradient (no dampening).
__global__ static void sgd_k(float *param, const float *grad, float *buf, size_t count, float lr,
                             float momentum, float decay, int nesterov, int first)
{
    PH_CUDA_FOR(i, count)
    {
        float p = param[i], g = grad[i] + decay * p, d = g;
        if (buf) {
            float b = first ? g : momentum * buf[i] + g;
            buf[i] = b;
            d = nesterov ? g + momentum * b : b;
        }
        param[i] = p - lr * d;
    }
}

extern "C" int ph_cuda_sgd_update(float *param, const float *grad, float *buf, size_t count,
                                  float lr, float momentum, float decay, int nesterov,
                                  int64_t step, char *why, size_t n)
{
    if (step < 1) return snprintf(why, n, "sgd step %lld must count from 1", (long long)step), -1;
    if (momentum != 0.f && !buf)
        return snprintf(why, n, "sgd with momentum %g needs a momentum buffer", momentum), -1;
    // Without momentum the buffer is neither needed nor touched.
    if (count)
        sgd_k<<<ph_cuda_grid(count), 256>>>(param, grad, momentum != 0.f ? buf : nullptr, count,
                                            lr, momentum, decay, nesterov, step == 1);
    CUDA_LAUNCHED("launching sgd_update");
    return 0;
}
