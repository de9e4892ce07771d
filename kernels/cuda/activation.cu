// activation.cu: CUDA element-wise activations (ph_act) and their gradients.
// Backward passes use whichever of x and y = f(x) gives the cheaper, stabler form.
#include "cuda.h"

__device__ static inline float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

template <ph_act kind> __device__ static inline float act(float x)
{
    switch (kind) {
    case PH_ACT_RELU: return x > 0.f ? x : 0.f;
    case PH_ACT_SIGMOID: return sigmoid(x);
    case PH_ACT_TANH: return tanhf(x);
    // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
    default: return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x)));
    }
}

template <ph_act kind> __device__ static inline float act_grad(float x, float y, float dy)
{
    switch (kind) {
    case PH_ACT_RELU: return x > 0.f ? dy : 0.f;
    case PH_ACT_SIGMOID: return dy * y * (1.f - y);
    case PH_ACT_TANH: return dy * (1.f - y * y);
    default: return dy * sigmoid(x); // softplus' = sigmoid
    }
}

template <ph_act kind> __global__ static void act_fwd(const float *x, float *y, size_t count)
{
    PH_CUDA_FOR(i, count) y[i] = act<kind>(x[i]);
}

template <ph_act kind>
__global__ static void act_bwd(const float *x, const float *y, const float *dy, float *dx,
                               size_t count)
{
    PH_CUDA_FOR(i, count) dx[i] = act_grad<kind>(x[i], y[i], dy[i]);
}

extern "C" int ph_cuda_act_forward(ph_act kind, const float *x, float *y, size_t count, char *why,
                                   size_t n)
{
    int g = ph_cuda_grid(count);
    if (kind < 0 || kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
    if (!count) return 0;
    switch (kind) {
    case PH_ACT_RELU: act_fwd<PH_ACT_RELU><<<g, 256>>>(x, y, count); break;
    case PH_ACT_SIGMOID: act_fwd<PH_ACT_SIGMOID><<<g, 256>>>(x, y, count); break;
    case PH_ACT_TANH: act_fwd<PH_ACT_TANH><<<g, 256>>>(x, y, count); break;
    default: act_fwd<PH_ACT_SOFTPLUS><<<g, 256>>>(x, y, count); break;
    }
    CUDA_LAUNCHED("launching act_forward");
    return 0;
}

extern "C" int ph_cuda_act_backward(ph_act kind, const float *x, const float *y, const float *dy,
                                    float *dx, size_t count, char *why, size_t n)
{
    int g = ph_cuda_grid(count);
    if (kind < 0 || kind >= PH_ACT_COUNT) return snprintf(why, n, "unknown activation %d", (int)kind), -1;
    if (!count) return 0;
    switch (kind) {
    case PH_ACT_RELU: act_bwd<PH_ACT_RELU><<<g, 256>>>(x, y, dy, dx, count); break;
    case PH_ACT_SIGMOID: act_bwd<PH_ACT_SIGMOID><<<g, 256>>>(x, y, dy, dx, count); break;
    case PH_ACT_TANH: act_bwd<PH_ACT_TANH><<<g, 256>>>(x, y, dy, dx, count); break;
    default: act_bwd<PH_ACT_SOFTPLUS><<<g, 256>>>(x, y, dy, dx, count); break;
    }
    CUDA_LAUNCHED("launching act_backward");
    return 0;
}
