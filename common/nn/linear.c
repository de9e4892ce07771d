/* linear.c: fully connected layer through sgemm; the bias goes through a
 * product with a ones vector, so no backend needs an extra op for it. */
#include "nn.h"

#include <math.h>
#include <stdlib.h>

void ph_linear_init(ph_linear_layer *l, const ph_backend *be, int n, int in, int out,
                    uint32_t seed, uint32_t id)
{
    l->be = be, l->n = n, l->in = in, l->out = out;
    ph_param_init(&l->w, be, (size_t)in * out, (float)(1.0 / sqrt((double)in)), seed, 2 * id);
    ph_param_init(&l->b, be, (size_t)out, 0.0f, seed, 2 * id + 1);
    float *ones = malloc((size_t)n * sizeof *ones);
    PH_CHECK_ALLOC(ones, "building a linear layer");
    for (int i = 0; i < n; i++) ones[i] = 1.0f;
    l->ones = ph_dev_alloc(be, (size_t)n);
    ph_dev_upload(be, l->ones, ones, (size_t)n);
    free(ones);
}

void ph_linear_forward(const ph_linear_layer *l, const float *x, float *y)
{
    /* y = ones b^T, then y += x W^T */
    PH_KERNEL(l->be, sgemm, "running a linear layer", 0, 0, l->n, l->out, 1, 1.0f, l->ones, 1,
              l->b.w, l->out, 0.0f, y, l->out);
    PH_KERNEL(l->be, sgemm, "running a linear layer", 0, 1, l->n, l->out, l->in, 1.0f, x, l->in,
              l->w.w, l->in, 1.0f, y, l->out);
}

void ph_linear_backward(ph_linear_layer *l, const float *x, const float *dy, float *dx)
{
    /* dW += dy^T x, db += dy^T ones, dx = dy W */
    if (!l->w.frozen) {
        PH_KERNEL(l->be, sgemm, "running a linear layer backward", 1, 0, l->out, l->in, l->n, 1.0f, dy, l->out, x,
                  l->in, 1.0f, l->w.g, l->in);
        PH_KERNEL(l->be, sgemm, "running a linear layer backward", 1, 0, l->out, 1, l->n, 1.0f, dy, l->out, l->ones,
                  1, 1.0f, l->b.g, 1);
        ph_param_grad_added(&l->w), ph_param_grad_added(&l->b);
    }
    if (dx)
        PH_KERNEL(l->be, sgemm, "running a linear layer backward", 0, 0, l->n, l->in, l->out,
                  1.0f, dy, l->out, l->w.w, l->in, 0.0f, dx, l->in);
}

void ph_linear_free(ph_linear_layer *l)
{
    ph_param_free(&l->w);
    ph_param_free(&l->b);
    l->be->free(l->ones);
}
