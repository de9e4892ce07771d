/* phenotype.c: compound x dose -> the latent phenotype of a well.
 *
 * A compound moves the cells along its unit direction (library.c) by
 * strength x emax x f(dose), f the Hill curve of its potency: the MoA and
 * target decide where the cells go, the dose how far, with saturation.
 * Every well adds its own biological noise (cells seeded, passage, local
 * conditions) on every axis, drawn from [hcs] seed and the well, so that
 * replicate wells differ as real ones do and the same well is the same in
 * every split.  Outer-ring wells grow fewer cells (evaporation and
 * temperature at the plate's edge). */
#include "hcs.h"

#include <math.h>

double hcs_hill(double dose_um, double pec50, double hill)
{
    const double ec50_um = pow(10.0, 6.0 - pec50);
    return 1.0 / (1.0 + pow(ec50_um / dose_um, hill));
}

void hcs_phenotype(const hcs_library *lib, const hcs_screen *s, uint32_t seed, const hcs_well *w,
                   int64_t well_id, double strength, double well_noise, float *z)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)well_id, HCS_SUB_WELL);
    for (int a = 0; a < HCS_AXES; a++) z[a] = (float)(well_noise * hcs_normal(&r));
    if (w->edge) z[HCS_AX_CELL_COUNT] -= 0.3f;
    if (w->compound < 0) return;
    const hcs_compound *c = &lib->c[w->compound];
    const double a = strength * c->emax * hcs_hill(hcs_dose_um(s, w->level), c->potency, c->hill);
    for (int k = 0; k < HCS_AXES; k++) z[k] += (float)(a * c->dir[k]);
}
