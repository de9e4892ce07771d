/* screen.c: plates, plate maps, replicates, batches and their effects.
 *
 * The library's treatments (compound, dose), compound-major with doses
 * ascending, are dealt to plate maps of wells - controls treatment wells
 * each; the last map's spare wells hold DMSO too.  Every replicate runs
 * every map on a plate of its own (plate = replicate x maps + map), and each
 * plate places its map's wells by its own Philox shuffle, so position
 * effects do not follow a compound from replicate to replicate.  Plates are
 * imaged in batches of plates_per_batch, in plate order (replicate sets
 * follow each other).
 *
 * Technical effects, each per channel: a batch gain (the largest: another
 * day, another lamp), a plate gain, a dye/background offset, and row and
 * column gradients across the plate (uneven staining or temperature).  The
 * batch also sets the field's vignetting (illumination falling off towards the
 * corners). */
#include "hcs.h"

#include "core/error.h"

#include <math.h>

void hcs_screen_layout(hcs_screen *s, int64_t compounds)
{
    s->rows = s->wells == 96 ? 8 : s->wells == 384 ? 16 : 32;
    s->cols = s->wells / s->rows;
    s->treatments = compounds * s->doses;
    const int64_t per_map = s->wells - s->controls;
    s->maps = (int)((s->treatments + per_map - 1) / per_map);
    s->plates = s->maps * s->replicates;
    s->batches = (s->plates + s->plates_per_batch - 1) / s->plates_per_batch;
}

double hcs_dose_um(const hcs_screen *s, int level)
{
    return s->top_dose / pow(s->dilution, s->doses - level);
}

/* The plate's shuffle: slot j of its map sits at position perm[j]. */
static void plate_layout(const hcs_screen *s, uint32_t seed, int plate, int *perm)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)plate, HCS_SUB_LAYOUT);
    for (int k = 0; k < s->wells; k++) perm[k] = k;
    for (int k = s->wells - 1; k > 0; k--) {
        int j = (int)ph_rng_below(&r, (uint32_t)k + 1), t = perm[k];
        perm[k] = perm[j], perm[j] = t;
    }
}

static void well_fill(const hcs_screen *s, int plate, int slot, int pos, hcs_well *w)
{
    const int map = plate % s->maps, per_map = s->wells - s->controls;
    const int64_t k = (int64_t)map * per_map + slot;
    w->compound = -1, w->level = 0;
    if (slot < per_map && k < s->treatments) {
        w->compound = (int)(k / s->doses);
        w->level = (int)(k % s->doses) + 1;
    }
    w->plate = plate;
    w->replicate = plate / s->maps;
    w->batch = plate / s->plates_per_batch;
    w->row = pos / s->cols, w->col = pos % s->cols;
    w->edge = w->row == 0 || w->col == 0 || w->row == s->rows - 1 || w->col == s->cols - 1;
}

void hcs_well_get(const hcs_screen *s, uint32_t seed, int plate, int pos, hcs_well *w)
{
    int perm[HCS_MAX_WELLS];
    plate_layout(s, seed, plate, perm);
    int slot = 0;
    while (perm[slot] != pos) slot++;
    well_fill(s, plate, slot, pos, w);
}

void hcs_plate_get(const hcs_screen *s, uint32_t seed, int plate, hcs_well *wells)
{
    int perm[HCS_MAX_WELLS];
    plate_layout(s, seed, plate, perm);
    for (int j = 0; j < s->wells; j++) well_fill(s, plate, j, perm[j], &wells[perm[j]]);
}

void hcs_plate_effects_get(const hcs_screen *s, uint32_t seed, int plate, double batch_effect,
                           double vignetting, hcs_plate_effects *e)
{
    ph_rng rb, rp;
    ph_rng_init(&rb, seed, PH_STREAM_CONTENT, (uint64_t)(plate / s->plates_per_batch), HCS_SUB_BATCH);
    ph_rng_init(&rp, seed, PH_STREAM_CONTENT, (uint64_t)plate, HCS_SUB_PLATE);
    for (int c = 0; c < HCS_CHANNELS; c++) {
        const double gb = hcs_normal(&rb), gp = hcs_normal(&rp);
        e->gain[c] = (float)exp(batch_effect * (0.15 * gb + 0.06 * gp));
        /* 0.025 of full scale is the camera's dark offset; stain background adds to it */
        e->offset[c] = (float)(0.025 + batch_effect * 0.02 * ph_rng_uniform(&rp));
        e->row_grad[c] = (float)(batch_effect * 0.04 * hcs_normal(&rp));
        e->col_grad[c] = (float)(batch_effect * 0.04 * hcs_normal(&rp));
    }
    e->vignette = (float)(vignetting * (0.1 + 0.15 * ph_rng_uniform(&rb)));
}
