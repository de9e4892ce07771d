/* dropout.c: inverted dropout with masks from Philox keyed on the global
 * sample id, so that the rank count does not change which units drop. */
#include "nn.h"

#include "core/rng.h"

#include <stdlib.h>

void ph_dropout_init(ph_dropout_layer *l, const ph_backend *be, int n, size_t per_sample, float p,
                     uint32_t seed, uint32_t layer)
{
    if (!(p >= 0 && p < 1)) PH_FAIL("building a dropout layer", "p must be in [0, 1)", "fix the model's dropout rate");
    l->be = be, l->p = p, l->seed = seed, l->layer = layer, l->n = n, l->per_sample = per_sample;
    l->mask = ph_dev_alloc(be, (size_t)n * per_sample);
    l->hmask = malloc((size_t)n * per_sample * sizeof *l->hmask + 1);
    PH_CHECK_ALLOC(l->hmask, "building a dropout layer");
}

void ph_dropout_forward(ph_dropout_layer *l, const float *x, float *y, const int64_t *ids,
                        int64_t step, int training)
{
    size_t count = (size_t)l->n * l->per_sample;
    if (!training || l->p == 0) {
        PH_KERNEL(l->be, fill, "running dropout", l->mask, 1.0f, count);
    } else {
        const float keep = 1.0f / (1.0f - l->p);
        const uint32_t threshold = (uint32_t)((double)l->p * 4294967296.0);
        for (int i = 0; i < l->n; i++) {
            ph_rng r;
            /* index: the sample; sub: the layer; the step goes into the seed word
             * pair through the index's high half, which sample ids never reach */
            ph_rng_init(&r, l->seed, PH_STREAM_DROPOUT, (uint64_t)ids[i] | ((uint64_t)step << 40), l->layer);
            for (size_t j = 0; j < l->per_sample; j++)
                l->hmask[(size_t)i * l->per_sample + j] = ph_rng_u32(&r) >= threshold ? keep : 0.0f;
        }
        ph_dev_upload(l->be, l->mask, l->hmask, count);
    }
    PH_KERNEL(l->be, binary, "running dropout", PH_BIN_MUL, x, l->mask, y, count);
}

void ph_dropout_backward(const ph_dropout_layer *l, const float *dy, float *dx)
{
    PH_KERNEL(l->be, binary, "running dropout backward", PH_BIN_MUL, dy, l->mask, dx,
              (size_t)l->n * l->per_sample);
}

void ph_dropout_free(ph_dropout_layer *l)
{
    l->be->free(l->mask);
    free(l->hmask);
}
