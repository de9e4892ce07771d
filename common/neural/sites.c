/* sites.c: synthetic neural sites driven by the diagnostic part (sites.h). */
#include "sites.h"

#include "core/error.h"
#include "core/rng.h"
#include "grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ph_sites_tuning(const ph_sites_params *sp, int k, ph_site_tuning *t)
{
    ph_rng r;
    ph_rng_init(&r, sp->seed, PH_STREAM_SITES, (uint64_t)k, 0);
    t->pref = k % sp->classes;
    t->gain = 0.5 + ph_rng_uniform(&r);
    t->other = 0.25 * ph_rng_uniform(&r);
}

/* Separable Gaussian blur of a g x g plane, edges renormalised (weights that
 * fall outside are dropped and the rest rescaled). */
static void smooth(double *m, int g, double sigma)
{
    if (!(sigma > 0)) return;
    const int rad = (int)ceil(3 * sigma);
    double *k = malloc((size_t)(2 * rad + 1) * sizeof *k), *tmp = malloc((size_t)g * g * sizeof *tmp);
    PH_CHECK_ALLOC(k && tmp, "smoothing synthetic site maps");
    for (int i = -rad; i <= rad; i++) k[i + rad] = exp(-0.5 * i * i / (sigma * sigma));
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++) {
                double s = 0, wsum = 0;
                for (int i = -rad; i <= rad; i++) {
                    int yy = pass ? y + i : y, xx = pass ? x : x + i;
                    if (yy < 0 || xx < 0 || yy >= g || xx >= g) continue;
                    s += k[i + rad] * m[yy * g + xx], wsum += k[i + rad];
                }
                tmp[y * g + x] = s / wsum;
            }
        memcpy(m, tmp, (size_t)g * g * sizeof *m);
    }
    free(k), free(tmp);
}

void ph_sites_image(const ph_sites_params *sp, const float *map, int h, int w, int label, int64_t index,
                    float *out)
{
    const int g = sp->grid, K = sp->sites;
    const size_t cells = (size_t)g * g;
    float *gm = malloc(cells * sizeof *gm);
    double *drive = malloc(cells * sizeof *drive);
    ph_site_tuning *tune = malloc((size_t)K * sizeof *tune);
    PH_CHECK_ALLOC(gm && drive && tune, "making synthetic site responses");
    ph_grid_resample(map, 1, h, w, g, gm);
    for (size_t i = 0; i < cells; i++) drive[i] = gm[i];
    smooth(drive, g, sp->sigma);
    for (int k = 0; k < K; k++) ph_sites_tuning(sp, k, &tune[k]);
    for (int rep = 0; rep < sp->repeats; rep++) {
        ph_rng r;
        ph_rng_init(&r, sp->seed, PH_STREAM_SITES, (uint64_t)index, (uint32_t)(1 + rep));
        float *o = out + (size_t)rep * cells * K;
        for (size_t c = 0; c < cells; c++)
            for (int k = 0; k < K; k++) {
                /* Box-Muller: two uniforms per value, the first kept away from 0 */
                const double u1 = 1.0 - ph_rng_uniform(&r), u2 = ph_rng_uniform(&r);
                const double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
                const double sel = label == tune[k].pref ? 1.0 : tune[k].other;
                o[c * K + k] = (float)(tune[k].gain * sel * drive[c] + sp->noise * z);
            }
    }
    free(gm), free(drive), free(tune);
}
