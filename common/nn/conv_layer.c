/* conv_layer.c: convolution layer with optional bias, forward and backward. */
#include "nn.h"

#include <math.h>
#include <string.h>

void ph_conv_layer_init(ph_conv_layer *l, const ph_backend *be, ph_conv_shape s, int bias,
                        uint32_t seed, uint32_t id)
{
    char why[256];
    if (ph_conv_shape_init(&s, why, sizeof why))
        PH_FAIL("building a convolution layer", why, "check the model's layer sizes");
    memset(l, 0, sizeof *l);
    l->s = s, l->bias = bias;
    size_t fan_in = ph_conv_w_count(&s) / (size_t)s.o;
    ph_param_init(&l->w, be, ph_conv_w_count(&s), (float)sqrt(2.0 / (double)fan_in), seed, 2 * id);
    if (bias) ph_param_init(&l->b, be, (size_t)s.o, 0.0f, seed, 2 * id + 1);
}

void ph_conv_layer_forward(const ph_conv_layer *l, const float *x, float *y)
{
    PH_KERNEL(l->w.be, conv_forward, "running a convolution", &l->s, x, l->w.w,
              l->bias ? l->b.w : NULL, y);
}

void ph_conv_layer_backward(ph_conv_layer *l, const float *x, const float *dy, float *dx)
{
    const ph_backend *be = l->w.be;
    if (!l->w.frozen) {
        PH_KERNEL(be, conv_backward_weights, "running a convolution backward", &l->s, x, dy, ph_param_grad_out(&l->w),
                  l->bias ? ph_param_grad_out(&l->b) : NULL);
        ph_param_grad_done(&l->w);
        if (l->bias) ph_param_grad_done(&l->b);
    }
    if (dx) PH_KERNEL(be, conv_backward_data, "running a convolution backward", &l->s, dy, l->w.w, dx);
}

void ph_conv_layer_free(ph_conv_layer *l)
{
    ph_param_free(&l->w);
    if (l->bias) ph_param_free(&l->b);
}
