/* complex.c: complex tensors as [real plane | imaginary plane] and the
 * CV-RNN's complex convolution (one real kernel on both planes, no bias, so
 * that a phase rotation of the input rotates the output alike). */
#include "nn.h"

static ph_conv_shape doubled(const ph_conv_layer *l)
{
    ph_conv_shape s = l->s;
    s.n *= 2;
    return s;
}

void ph_complex_conv_forward(const ph_conv_layer *l, const float *z, float *y)
{
    if (l->bias) PH_FAIL("running a complex convolution", "the layer has a bias", "build it with bias = 0");
    ph_conv_shape s = doubled(l);
    PH_KERNEL(l->w.be, conv_forward, "running a complex convolution", &s, z, l->w.w, NULL, y);
}

void ph_complex_conv_backward(ph_conv_layer *l, const float *z, const float *dy, float *dz)
{
    ph_conv_shape s = doubled(l);
    const ph_backend *be = l->w.be;
    PH_KERNEL(be, conv_backward_weights, "running a complex convolution backward", &s, z, dy,
              ph_param_grad_out(&l->w), NULL);
    ph_param_grad_done(&l->w);
    if (dz) PH_KERNEL(be, conv_backward_data, "running a complex convolution backward", &s, dy, l->w.w, dz);
}

void ph_complex_polar(const ph_backend *be, const float *mag, const float *phase, float *z,
                      size_t count)
{
    PH_KERNEL(be, polar_forward, "building complex values", mag, phase, z, z + count, count);
}

void ph_complex_polar_backward(const ph_backend *be, const float *mag, const float *phase,
                               const float *dz, float *dmag, float *dphase, size_t count)
{
    PH_KERNEL(be, polar_backward, "building complex values backward", mag, phase, dz, dz + count,
              dmag, dphase, count);
}

void ph_complex_abs_arg(const ph_backend *be, const float *z, float *mag, float *phase,
                        size_t count)
{
    PH_KERNEL(be, abs_arg_forward, "taking modulus and phase", z, z + count, mag, phase, count);
}

void ph_complex_abs_arg_backward(const ph_backend *be, const float *z, const float *mag,
                                 const float *dmag, const float *dphase, float *dz,
                                 size_t count)
{
    PH_KERNEL(be, abs_arg_backward, "taking modulus and phase backward", z, z + count, mag, dmag,
              dphase, dz, dz + count, count);
}
