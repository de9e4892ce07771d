/* param.c: device buffers and trainable parameters. */
#include "nn.h"

#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float *ph_dev_alloc(const ph_backend *be, size_t count)
{
    float *p = be->alloc(count * sizeof(float));
    if (!p) PH_FAIL("allocating device memory", "out of memory", "use a smaller batch");
    return p;
}

void ph_dev_upload(const ph_backend *be, float *dst, const float *host, size_t count)
{
    PH_KERNEL(be, upload, "copying to the device", dst, host, count * sizeof(float));
}

void ph_dev_download(const ph_backend *be, float *host, const float *src, size_t count)
{
    PH_KERNEL(be, download, "copying from the device", host, src, count * sizeof(float));
}

void ph_dev_wait(const ph_backend *be, const float *dev)
{
    float probe;
    ph_dev_download(be, &probe, dev, 1);
}

float *ph_dev_zeros(const ph_backend *be, size_t count)
{
    float *host = calloc(count ? count : 1, sizeof(float));
    PH_CHECK_ALLOC(host, "allocating zeros");
    float *p = ph_dev_alloc(be, count);
    ph_dev_upload(be, p, host, count);
    free(host);
    return p;
}

static void param_grads_alloc(ph_param *p)
{
    p->trainable = 1;
    p->g = ph_dev_zeros(p->be, p->count);
    p->m = ph_dev_zeros(p->be, p->count);
    p->v = ph_dev_zeros(p->be, p->count);
    p->scratch = ph_dev_alloc(p->be, p->count);
}

void ph_param_init(ph_param *p, const ph_backend *be, size_t count, float std, uint32_t seed,
                   uint32_t id)
{
    memset(p, 0, sizeof *p);
    p->be = be;
    p->count = count;
    float *host = calloc(count ? count : 1, sizeof(float));
    PH_CHECK_ALLOC(host, "initialising parameters");
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_INIT, id, 0);
    for (size_t i = 0; std > 0 && i < count; i++) {
        /* Box-Muller; 1 - u keeps the logarithm finite. */
        double u = 1.0 - ph_rng_uniform(&r), t = ph_rng_uniform(&r);
        host[i] = (float)(std * sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * t));
    }
    p->w = ph_dev_alloc(be, count);
    ph_dev_upload(be, p->w, host, count);
    free(host);
    param_grads_alloc(p);
}

void ph_param_init_const(ph_param *p, const ph_backend *be, size_t count, float value,
                         int trainable)
{
    memset(p, 0, sizeof *p);
    p->be = be;
    p->count = count;
    p->w = ph_dev_alloc(be, count);
    PH_KERNEL(be, fill, "initialising parameters", p->w, value, count);
    if (trainable) param_grads_alloc(p);
}

void ph_param_free(ph_param *p)
{
    if (!p->be) return;
    p->be->free(p->w);
    if (p->trainable) p->be->free(p->g), p->be->free(p->m), p->be->free(p->v), p->be->free(p->scratch);
    p->w = p->g = p->m = p->v = p->scratch = NULL;
}

void ph_params_zero_grad(ph_param *const *params, int np)
{
    for (int i = 0; i < np; i++)
        if (params[i]->trainable)
            PH_KERNEL(params[i]->be, fill, "clearing gradients", params[i]->g, 0.0f, params[i]->count);
}

void ph_params_zero_moments(ph_param *const *params, int np)
{
    for (int i = 0; i < np; i++)
        if (params[i]->trainable) {
            PH_KERNEL(params[i]->be, fill, "clearing optimiser moments", params[i]->m, 0.0f, params[i]->count);
            PH_KERNEL(params[i]->be, fill, "clearing optimiser moments", params[i]->v, 0.0f, params[i]->count);
        }
}

void ph_param_add_scratch(ph_param *p)
{
    PH_KERNEL(p->be, axpby, "accumulating a gradient", 1.0f, p->scratch, 1.0f, p->g, p->count);
}
