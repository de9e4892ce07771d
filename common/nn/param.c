/* param.c: device buffers and trainable parameters. */
#include "nn.h"

#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>

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

float *ph_dev_zeros(const ph_backend *be, size_t count)
{
    float *host = calloc(count ? count : 1, sizeof(float));
    PH_CHECK_ALLOC(host, "allocating zeros");
    float *p = ph_dev_alloc(be, count);
    ph_dev_upload(be, p, host, count);
    free(host);
    return p;
}

void ph_param_init(ph_param *p, const ph_backend *be, size_t count, float std, uint32_t seed,
                   uint32_t id)
{
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
    p->g = ph_dev_zeros(be, count);
    p->m = ph_dev_zeros(be, count);
    p->v = ph_dev_zeros(be, count);
}

void ph_param_free(ph_param *p)
{
    p->be->free(p->w), p->be->free(p->g), p->be->free(p->m), p->be->free(p->v);
    p->w = p->g = p->m = p->v = NULL;
}

void ph_param_adam_step(ph_param *p, const ph_adam *o, int64_t step)
{
    PH_KERNEL(p->be, adam_update, "updating parameters", p->w, p->g, p->m, p->v, p->count, o->lr,
              o->beta1, o->beta2, o->eps, o->decay, step);
}
