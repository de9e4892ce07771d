/* shapes.c: op geometry (convolution, pooling, normalisation) and name tables
 * shared by every backend. */
#include "kernels.h"

#include <stdio.h>

const char *const ph_precision_names[PH_PRECISION_COUNT] = {[PH_PRECISION_FP32] = "fp32",
                                                            [PH_PRECISION_BF16] = "bf16"};

const char *const ph_act_names[PH_ACT_COUNT] = {[PH_ACT_RELU] = "relu", [PH_ACT_SIGMOID] = "sigmoid",
                                                [PH_ACT_TANH] = "tanh", [PH_ACT_SOFTPLUS] = "softplus"};

int ph_conv_shape_init(ph_conv_shape *s, char *why, size_t n)
{
    if (s->nsp != 2 && s->nsp != 3) return snprintf(why, n, "convolution must be 2D or 3D"), -1;
    if (s->n < 1 || s->c < 1 || s->o < 1 || s->groups < 1)
        return snprintf(why, n, "batch, channels and groups must be positive"), -1;
    if (s->c % s->groups || s->o % s->groups)
        return snprintf(why, n, "channels %d -> %d are not divisible by %d groups", s->c, s->o,
                        s->groups), -1;
    for (int i = 0; i < s->nsp; i++) {
        if (s->in[i] < 1 || s->k[i] < 1 || s->stride[i] < 1 || s->dil[i] < 1 || s->pad[i] < 0)
            return snprintf(why, n, "non-positive size, kernel, stride or dilation"), -1;
        int span = (s->k[i] - 1) * s->dil[i] + 1;
        int room = s->in[i] + 2 * s->pad[i] - span;
        if (room < 0)
            return snprintf(why, n, "kernel span %d exceeds padded input %d", span,
                            s->in[i] + 2 * s->pad[i]), -1;
        s->out[i] = room / s->stride[i] + 1;
    }
    return 0;
}

static size_t spatial(const int *d, int nsp)
{
    size_t v = 1;
    for (int i = 0; i < nsp; i++) v *= (size_t)d[i];
    return v;
}

size_t ph_conv_x_count(const ph_conv_shape *s) { return (size_t)s->n * s->c * spatial(s->in, s->nsp); }
size_t ph_conv_w_count(const ph_conv_shape *s)
{
    return (size_t)s->o * (s->c / s->groups) * spatial(s->k, s->nsp);
}
size_t ph_conv_y_count(const ph_conv_shape *s) { return (size_t)s->n * s->o * spatial(s->out, s->nsp); }

double ph_conv_flops(const ph_conv_shape *s)
{
    return 2.0 * (double)ph_conv_y_count(s) * (double)(ph_conv_w_count(s) / (size_t)s->o);
}

int ph_pool_shape_init(ph_pool_shape *s, char *why, size_t n)
{
    if (s->nsp != 2 && s->nsp != 3) return snprintf(why, n, "pooling must be 2D or 3D"), -1;
    if (s->n < 1 || s->c < 1) return snprintf(why, n, "batch and channels must be positive"), -1;
    if (s->kind != PH_POOL_MAX && s->kind != PH_POOL_AVG)
        return snprintf(why, n, "unknown pooling kind %d", (int)s->kind), -1;
    for (int i = 0; i < s->nsp; i++) {
        if (s->in[i] < 1 || s->k[i] < 1 || s->stride[i] < 1 || s->pad[i] < 0)
            return snprintf(why, n, "non-positive size, window or stride"), -1;
        /* every window must hold at least one real tap */
        if (s->pad[i] >= s->k[i])
            return snprintf(why, n, "padding %d must be smaller than the window %d", s->pad[i],
                            s->k[i]), -1;
        int room = s->in[i] + 2 * s->pad[i] - s->k[i];
        if (room < 0)
            return snprintf(why, n, "window %d exceeds padded input %d", s->k[i],
                            s->in[i] + 2 * s->pad[i]), -1;
        s->out[i] = room / s->stride[i] + 1;
    }
    return 0;
}

size_t ph_pool_x_count(const ph_pool_shape *s) { return (size_t)s->n * s->c * spatial(s->in, s->nsp); }
size_t ph_pool_y_count(const ph_pool_shape *s) { return (size_t)s->n * s->c * spatial(s->out, s->nsp); }

size_t ph_norm_stat_count(const ph_norm_shape *s)
{
    return s->groups ? (size_t)s->n * (size_t)s->groups : (size_t)s->c;
}

double ph_norm_stat_elements(const ph_norm_shape *s)
{
    return s->groups ? (double)(s->c / s->groups) * (double)s->s : (double)s->n * (double)s->s;
}
