/* saliency.c: channel reductions of an input gradient (saliency.h). */
#include "saliency.h"

#include <math.h>
#include <string.h>

const char *const ph_saliency_names[PH_SALIENCY_COUNT] = {"train", "eval"};

int ph_saliency_find(const char *name)
{
    for (int i = 0; i < PH_SALIENCY_COUNT; i++)
        if (!strcmp(ph_saliency_names[i], name)) return i;
    return -1;
}

void ph_saliency_reduce(ph_saliency_form form, const float *grad, int n, int c, size_t hw,
                        float *map)
{
    for (int b = 0; b < n; b++) {
        const float *g = grad + (size_t)b * c * hw;
        float *out = map + (size_t)b * hw;
        for (size_t p = 0; p < hw; p++) {
            /* double sum: the mean does not depend on the channel order's rounding */
            double acc = 0;
            for (int k = 0; k < c; k++) {
                double v = g[(size_t)k * hw + p];
                if (form == PH_SALIENCY_TRAIN) acc += v;
                else if (isnan(v) || fabs(v) > acc) acc = fabs(v); /* a NaN stays */
            }
            out[p] = (float)(form == PH_SALIENCY_TRAIN ? acc / c : acc);
        }
    }
}

void ph_saliency_train_backward(const float *dmap, int n, int c, size_t hw, float *dgrad)
{
    for (int b = 0; b < n; b++)
        for (int k = 0; k < c; k++)
            for (size_t p = 0; p < hw; p++)
                dgrad[((size_t)b * c + k) * hw + p] = dmap[(size_t)b * hw + p] / (float)c;
}
