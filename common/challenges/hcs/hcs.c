/* hcs.c: the synthetic high-content screen as a phasor-generate challenge:
 * config keys, the split's selection of wells, datasets, one field of view
 * per sample index.
 *
 * A split is a view of one screen: [split.NAME] compounds, plates and
 * controls select wells (held-out molecules, held-out batches of plates,
 * with or without DMSO), and sample i of n is field floor(i x F / n) of the
 * F fields those wells hold, in (plate, position, site) order, so a smaller n
 * is an even subset that still spans every plate. */
#include "hcs.h"

#include "challenges/challenge.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hcs_label_names[HCS_LABEL_COUNT] = {"moa",      "target", "compound", "scaffold",
                                                      "activity", "dose",   "plate",    "batch"};
const char *const hcs_pick_names[HCS_PICK_COUNT] = {"seen", "held_out", "all"};

/* Wells a screen may have: the split's selection holds one id per well on every rank. */
#define HCS_MAX_SCREEN_WELLS 20000000LL

static const cfg_key hcs_keys[] = {
    {"seed", CFG_INT, "1", 0, 4294967295.0, NULL,
     "Philox seed of the screen: library, plate maps, plate and batch effects, every well's biology (keep it for every split)"},
    {"size", CFG_INT, "64", 32, 512, NULL, "side S of a field of view in pixels (S x S x 5 images)"},
    {"label", CFG_ENUM, "moa", 0, 0, "moa|target|compound|scaffold|activity|dose|plate|batch",
     "what /y holds: mechanism of action, protein target, compound, scaffold family (DMSO the last class of each), "
     "activity (1 active), dose level (0 DMSO, 1.. ascending), plate, imaging batch"},
    {"moas", CFG_INT, "12", 2, 32, NULL, "mechanisms of action M"},
    {"targets", CFG_INT, "3", 1, 8, NULL, "protein targets per MoA T"},
    {"scaffolds", CFG_INT, "3", 1, 16, NULL, "scaffold families per MoA F (a scaffold belongs to one MoA)"},
    {"compounds", CFG_INT, "360", 2, 100000, NULL, "library size C, dealt round-robin over the M x T targets (at least M x T)"},
    {"inactive", CFG_REAL, "0.2", 0, 0.9, NULL, "chance that a compound is inactive (no phenotype; lacks most of its pharmacophore)"},
    {"bits", CFG_INT, "256", 64, 2048, NULL, "fingerprint length in bits"},
    {"decoration", CFG_REAL, "0.03", 0, 0.2, NULL, "chance of each fingerprint bit being set by the rest of the molecule"},
    {"doses", CFG_INT, "4", 1, HCS_MAX_DOSES, NULL, "doses per compound (a dilution series)"},
    {"top_dose", CFG_REAL, "10", 0.001, 1000, NULL, "highest dose in uM"},
    {"dilution", CFG_REAL, "3.1623", 1.5, 10, NULL, "factor between successive doses (3.1623: half-log steps)"},
    {"replicates", CFG_INT, "2", 1, 64, NULL, "replicate plates of every plate map"},
    {"wells", CFG_ENUM, "384", 0, 0, "96|384|1536", "wells per plate (8x12, 16x24, 32x48)"},
    {"controls", CFG_INT, "24", 1, 768, NULL, "DMSO control wells per plate (at most half the wells)"},
    {"sites", CFG_INT, "1", 1, 16, NULL, "fields of view imaged per well (one sample each)"},
    {"plates_per_batch", CFG_INT, "4", 1, 1000000, NULL, "plates imaged per batch, in plate order (replicate sets follow each other)"},
    {"held_out", CFG_REAL, "0.2", 0, 0.9, NULL,
     "share of each target's compounds (and of DMSO wells) that only splits with compounds = held_out see"},
    {"held_out_batches", CFG_INT, "1", 0, 1000000, NULL, "the last batches of plates, seen only by splits with plates = held_out"},
    {"strength", CFG_REAL, "3", 0, 10, NULL, "length of a saturating compound's phenotype vector (the well noise is per axis)"},
    {"well_noise", CFG_REAL, "0.2", 0, 2, NULL, "biological well-to-well SD on every phenotype axis"},
    {"target_spread", CFG_REAL, "0.6", 0, 3, NULL, "how far a target's phenotype departs from its MoA's (relative)"},
    {"scaffold_spread", CFG_REAL, "0.3", 0, 3, NULL, "a scaffold's off-target departure (relative)"},
    {"compound_spread", CFG_REAL, "0.2", 0, 3, NULL, "a compound's own departure (relative)"},
    {"cells", CFG_REAL, "8", 1, 64, NULL, "mean cells per untreated field (scale with the field's area)"},
    {"cell_radius", CFG_REAL, "7", 2, 64, NULL, "untreated cell radius in pixels; at most size / 4"},
    {"batch_effect", CFG_REAL, "1", 0, 3, NULL, "scale of batch and plate gains, offsets and gradients (0: none)"},
    {"vignetting", CFG_REAL, "1", 0, 3, NULL, "scale of the illumination fall-off across a field (0: flat)"},
    {"camera_noise", CFG_REAL, "1", 0, 5, NULL, "scale of shot and read noise (0: none)"},
};
static const cfg_section hcs_section = {
    "hcs", "a synthetic Cell Painting screen: compounds (fingerprint, MoA, target) x dose -> phenotype -> cells",
    hcs_keys, (int)(sizeof hcs_keys / sizeof hcs_keys[0]), 0};

static const cfg_key hcs_split_keys[] = {
    {"compounds", CFG_ENUM, "all", 0, 0, "seen|held_out|all",
     "hcs challenge: the wells of seen compounds, of held-out ones ([hcs] held_out), or all"},
    {"plates", CFG_ENUM, "all", 0, 0, "seen|held_out|all",
     "hcs challenge: the plates of seen batches, of the held-out ones ([hcs] held_out_batches), or all"},
    {"controls", CFG_BOOL, "true", 0, 0, NULL, "hcs challenge: include DMSO control wells"},
};

static int name_index(const char *const *names, int n, const char *s)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(names[k], s)) return k;
    return 0;
}

/* ---- selection ------------------------------------------------------------------ */

int64_t hcs_select(hcs_params *p)
{
    const hcs_screen *s = &p->screen;
    free(p->sel);
    p->sel = NULL, p->nsel = 0;
    int64_t cap = 0;
    hcs_well *wells = malloc(sizeof *wells * (size_t)s->wells);
    PH_CHECK_ALLOC(wells, "allocating a plate");
    for (int plate = 0; plate < s->plates; plate++) {
        const int held_plate = plate / s->plates_per_batch >= s->batches - s->held_out_batches;
        if (p->plates != HCS_PICK_ALL && held_plate != (p->plates == HCS_PICK_HELD_OUT)) continue;
        hcs_plate_get(s, p->seed, plate, wells);
        for (int pos = 0; pos < s->wells; pos++) {
            const hcs_well *w = &wells[pos];
            const int64_t id = (int64_t)plate * s->wells + pos;
            int held;
            if (w->compound < 0) {
                if (!p->controls) continue;
                ph_rng r;
                ph_rng_init(&r, p->seed, PH_STREAM_CONTENT, (uint64_t)id, HCS_SUB_CONTROL);
                held = ph_rng_uniform(&r) < p->lib.held_out;
            } else {
                held = p->lib.c[w->compound].held_out;
            }
            if (p->compounds != HCS_PICK_ALL && held != (p->compounds == HCS_PICK_HELD_OUT)) continue;
            if (p->nsel == cap) {
                cap = cap ? 2 * cap : 1024;
                int64_t *grown = realloc(p->sel, sizeof *grown * (size_t)cap);
                PH_CHECK_ALLOC(grown, "allocating the split's wells");
                p->sel = grown;
            }
            p->sel[p->nsel++] = id;
        }
    }
    free(wells);
    return p->nsel * s->sites;
}

void hcs_sample_field(const hcs_params *p, int64_t index, int64_t *well_id, int *site)
{
    const int64_t avail = p->nsel * p->screen.sites, j = index * avail / p->n;
    *well_id = p->sel[j / p->screen.sites];
    *site = (int)(j % p->screen.sites);
}

int hcs_label_classes(const hcs_params *p)
{
    const hcs_library *l = &p->lib;
    switch (p->label) {
    case HCS_LABEL_MOA: return l->moas + 1;
    case HCS_LABEL_TARGET: return l->moas * l->targets + 1;
    case HCS_LABEL_COMPOUND: return l->compounds + 1;
    case HCS_LABEL_SCAFFOLD: return l->moas * l->scaffolds + 1;
    case HCS_LABEL_ACTIVITY: return 2;
    case HCS_LABEL_DOSE: return p->screen.doses + 1;
    case HCS_LABEL_PLATE: return p->screen.plates;
    default: return p->screen.batches;
    }
}

/* ---- challenge interface ------------------------------------------------------- */

static void split_pick(hcs_params *p, const cfg *c, const char *section)
{
    p->compounds = (hcs_pick)name_index(hcs_pick_names, HCS_PICK_COUNT, cfg_str(c, section, "compounds"));
    p->plates = (hcs_pick)name_index(hcs_pick_names, HCS_PICK_COUNT, cfg_str(c, section, "plates"));
    p->controls = cfg_bool(c, section, "controls");
    p->n = cfg_int(c, section, "n");
}

/* The first place a key was set, for messages about keys that clash. */
static const char *where_set(const cfg *c, const char *a, const char *b)
{
    const char *w = cfg_where(c, "hcs", a);
    return strcmp(w, "default") ? w : cfg_where(c, "hcs", b);
}

/* Every split must select wells, and at least n fields: checked before anything is written. */
static void splits_check(hcs_params *p, const cfg *c)
{
    const char *names[256];
    const int nsplits = cfg_section_names(c, "split", names, 256);
    for (int i = 0; i < nsplits; i++) {
        char section[256];
        snprintf(section, sizeof section, "split.%s", names[i]);
        split_pick(p, c, section);
        const int64_t avail = hcs_select(p);
        const char *where = cfg_where(c, section, "compounds");
        if (!strcmp(where, "default")) where = cfg_where(c, section, "plates");
        if (!strcmp(where, "default")) where = cfg_where(c, section, "n");
        if (avail == 0)
            ph_usage_error("config error at %s: [%s] selects no wells (compounds = %s, plates = %s, controls = %s; "
                           "[hcs] held_out = %g, held_out_batches = %d of %d batches) (hold out some compounds or "
                           "batches, or select more)", where, section,
                           hcs_pick_names[p->compounds], hcs_pick_names[p->plates], p->controls ? "true" : "false",
                           p->lib.held_out, p->screen.held_out_batches, p->screen.batches);
        if (p->n > avail)
            ph_usage_error("config error at %s: [%s] n = %lld exceeds the %lld fields of view this split selects "
                           "(choose n <= %lld, or a larger screen: compounds, replicates, sites)",
                           cfg_where(c, section, "n"), section, (long long)p->n, (long long)avail, (long long)avail);
    }
    free(p->sel);
    p->sel = NULL, p->nsel = 0;
}

static void *hcs_params_load(const cfg *c)
{
    hcs_params *p = calloc(1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating hcs parameters");
    p->seed = (uint32_t)cfg_int(c, "hcs", "seed");
    p->label = (hcs_label)name_index(hcs_label_names, HCS_LABEL_COUNT, cfg_str(c, "hcs", "label"));
    hcs_library *l = &p->lib;
    l->moas = (int)cfg_int(c, "hcs", "moas");
    l->targets = (int)cfg_int(c, "hcs", "targets");
    l->scaffolds = (int)cfg_int(c, "hcs", "scaffolds");
    l->compounds = (int)cfg_int(c, "hcs", "compounds");
    l->inactive = cfg_real(c, "hcs", "inactive");
    l->bits = (int)cfg_int(c, "hcs", "bits");
    l->decoration = cfg_real(c, "hcs", "decoration");
    l->held_out = cfg_real(c, "hcs", "held_out");
    l->target_spread = cfg_real(c, "hcs", "target_spread");
    l->scaffold_spread = cfg_real(c, "hcs", "scaffold_spread");
    l->compound_spread = cfg_real(c, "hcs", "compound_spread");
    hcs_screen *s = &p->screen;
    s->wells = atoi(cfg_str(c, "hcs", "wells"));
    s->controls = (int)cfg_int(c, "hcs", "controls");
    s->doses = (int)cfg_int(c, "hcs", "doses");
    s->top_dose = cfg_real(c, "hcs", "top_dose");
    s->dilution = cfg_real(c, "hcs", "dilution");
    s->replicates = (int)cfg_int(c, "hcs", "replicates");
    s->sites = (int)cfg_int(c, "hcs", "sites");
    s->plates_per_batch = (int)cfg_int(c, "hcs", "plates_per_batch");
    s->held_out_batches = (int)cfg_int(c, "hcs", "held_out_batches");
    p->render.size = (int)cfg_int(c, "hcs", "size");
    p->render.cells = cfg_real(c, "hcs", "cells");
    p->render.cell_radius = cfg_real(c, "hcs", "cell_radius");
    p->render.camera_noise = cfg_real(c, "hcs", "camera_noise");
    p->strength = cfg_real(c, "hcs", "strength");
    p->well_noise = cfg_real(c, "hcs", "well_noise");
    p->batch_effect = cfg_real(c, "hcs", "batch_effect");
    p->vignetting = cfg_real(c, "hcs", "vignetting");

    if (l->compounds < l->moas * l->targets)
        ph_usage_error("config error at %s: [hcs] compounds = %d is fewer than moas x targets = %d x %d "
                       "(every target needs a compound: raise compounds or lower moas, targets)",
                       where_set(c, "compounds", "targets"), l->compounds, l->moas, l->targets);
    if (2 * s->controls > s->wells)
        ph_usage_error("config error at %s: [hcs] controls = %d is more than half of the %d wells of a plate "
                       "(choose controls <= %d)", where_set(c, "controls", "wells"), s->controls, s->wells,
                       s->wells / 2);
    if (4 * p->render.cell_radius > p->render.size)
        ph_usage_error("config error at %s: [hcs] cell_radius = %g is more than size / 4 = %g: a field would hold "
                       "about one cell (lower cell_radius or raise size)", where_set(c, "cell_radius", "size"),
                       p->render.cell_radius, p->render.size / 4.0);
    hcs_screen_layout(s, l->compounds);
    if ((int64_t)s->plates * s->wells > HCS_MAX_SCREEN_WELLS)
        ph_usage_error("config error at %s: [hcs] the screen has %lld plates of %d wells, more than %lld wells "
                       "(use fewer compounds, doses or replicates; sites add images without wells)",
                       where_set(c, "compounds", "replicates"), (long long)s->plates, s->wells,
                       HCS_MAX_SCREEN_WELLS);
    hcs_library_init(l, p->seed);
    splits_check(p, c);
    return p;
}

static void hcs_params_free(void *params)
{
    hcs_params *p = params;
    hcs_library_free(&p->lib);
    free(p->sel);
    free(p);
}

static void hcs_split_load(void *params, const cfg *c, const char *section)
{
    hcs_params *p = params;
    split_pick(p, c, section);
    hcs_select(p);
}

static const char *const label_docs[HCS_LABEL_COUNT] = {
    "label: mechanism of action 0..M-1, M for DMSO",
    "label: protein target 0..M*T-1, M*T for DMSO",
    "label: compound 0..C-1, C for DMSO",
    "label: scaffold family 0..M*F-1, M*F for DMSO",
    "label: 1 for an active compound, 0 for inactive compounds and DMSO",
    "label: dose level, 0 for DMSO, 1..D from the lowest dose",
    "label: plate",
    "label: imaging batch",
};

static int hcs_fields(const void *params, ph_field *out, int max)
{
    const hcs_params *p = params;
    const hsize_t S = (hsize_t)p->render.size;
    ph_field f[HCS_F_COUNT] = {
        {"x", PH_U8, 3, {S, S, HCS_CHANNELS}, "images [N,H,W,C] uint8, channels DNA, ER, RNA, AGP, Mito"},
        {"y", PH_I32, 0, {0}, label_docs[p->label]},
        {"meta/compound", PH_I32, 0, {0}, "compound 0..C-1; C for a DMSO control well"},
        {"meta/moa", PH_I32, 0, {0}, "mechanism of action 0..M-1; M for DMSO"},
        {"meta/target", PH_I32, 0, {0}, "protein target 0..M*T-1 (its MoA is target / T); M*T for DMSO"},
        {"meta/scaffold", PH_I32, 0, {0}, "scaffold family 0..M*F-1 (its MoA is scaffold / F); M*F for DMSO"},
        {"meta/active", PH_U8, 0, {0}, "1 if the compound is active; 0 for inactive compounds and DMSO"},
        {"meta/potency", PH_F32, 0, {0}, "the compound's pEC50 = -log10(EC50 / M), in [3.5, 9]; 0 for DMSO"},
        {"meta/dose", PH_F32, 0, {0}, "concentration in uM; 0 for DMSO"},
        {"meta/plate", PH_I32, 0, {0}, "plate = replicate * maps + plate map"},
        {"meta/replicate", PH_I32, 0, {0}, "replicate 0..R-1 of the plate map"},
        {"meta/batch", PH_I32, 0, {0}, "imaging batch = plate / plates_per_batch"},
        {"meta/well", PH_I16, 1, {3}, "well row, well column, site (field of view) in the well"},
        {"meta/fingerprint", PH_U8, 1, {(hsize_t)p->lib.bits}, "the compound's fingerprint bits, 0 or 1; all 0 for DMSO"},
        {"meta/phenotype", PH_F32, 1, {HCS_AXES}, "latent phenotype of the well that drove its cells (axes: docs/challenges/hcs.md)"},
        {"meta/cells", PH_I32, 0, {0}, "cells drawn whose centre lies in the field"},
    };
    if (HCS_F_COUNT > max) PH_FAIL("listing hcs datasets", "too many fields", "this is a bug");
    memcpy(out, f, sizeof f);
    return HCS_F_COUNT;
}

static void hcs_condition(const void *params, char *buf, size_t n)
{
    const hcs_params *p = params;
    snprintf(buf, n, "%s_c%d_m%d_d%d_r%d_compounds-%s_plates-%s%s", hcs_label_names[p->label], p->lib.compounds,
             p->lib.moas, p->screen.doses, p->screen.replicates, hcs_pick_names[p->compounds],
             hcs_pick_names[p->plates], p->controls ? "" : "_nocontrols");
}

static void hcs_generate(const void *params, uint32_t seed, int64_t index, void *const *out)
{
    const hcs_params *p = params;
    const hcs_library *l = &p->lib;
    const hcs_screen *s = &p->screen;
    int64_t well_id;
    int site;
    hcs_sample_field(p, index, &well_id, &site);
    hcs_well w;
    hcs_well_get(s, p->seed, (int)(well_id / s->wells), (int)(well_id % s->wells), &w);
    float *z = out[HCS_F_PHENOTYPE];
    hcs_phenotype(l, s, p->seed, &w, well_id, p->strength, p->well_noise, z);
    hcs_plate_effects e;
    hcs_plate_effects_get(s, p->seed, w.plate, p->batch_effect, p->vignetting, &e);
    const int cells = hcs_field_render(&p->render, z, &e, &w, s, seed, well_id * s->sites + site, out[HCS_F_X]);

    const int dmso = w.compound < 0;
    const hcs_compound *c = dmso ? NULL : &l->c[w.compound];
    const int32_t compound = dmso ? l->compounds : w.compound, moa = dmso ? l->moas : c->moa;
    const int32_t target = dmso ? l->moas * l->targets : c->target;
    const int32_t scaffold = dmso ? l->moas * l->scaffolds : c->scaffold;
    const int active = !dmso && c->active;
    *(int32_t *)out[HCS_F_COMPOUND] = compound;
    *(int32_t *)out[HCS_F_MOA] = moa;
    *(int32_t *)out[HCS_F_TARGET] = target;
    *(int32_t *)out[HCS_F_SCAFFOLD] = scaffold;
    *(uint8_t *)out[HCS_F_ACTIVE] = (uint8_t)active;
    *(float *)out[HCS_F_POTENCY] = dmso ? 0.0f : c->potency;
    *(float *)out[HCS_F_DOSE] = dmso ? 0.0f : (float)hcs_dose_um(s, w.level);
    *(int32_t *)out[HCS_F_PLATE] = w.plate;
    *(int32_t *)out[HCS_F_REPLICATE] = w.replicate;
    *(int32_t *)out[HCS_F_BATCH] = w.batch;
    int16_t *well = out[HCS_F_WELL];
    well[0] = (int16_t)w.row, well[1] = (int16_t)w.col, well[2] = (int16_t)site;
    uint8_t *fp = out[HCS_F_FINGERPRINT];
    for (int b = 0; b < l->bits && !dmso; b++) fp[b] = (uint8_t)hcs_library_bit(l, w.compound, b);
    *(int32_t *)out[HCS_F_CELLS] = cells;

    const int32_t labels[HCS_LABEL_COUNT] = {moa, target, compound, scaffold, active, w.level, w.plate, w.batch};
    *(int32_t *)out[HCS_F_Y] = labels[p->label];
}

const ph_challenge ph_challenge_hcs = {
    .name = "hcs",
    .summary = "synthetic Cell Painting screen: compound (fingerprint, MoA, target) x dose -> phenotype -> 5-channel cells",
    .section = &hcs_section,
    .params_load = hcs_params_load,
    .params_free = hcs_params_free,
    .fields = hcs_fields,
    .condition = hcs_condition,
    .generate = hcs_generate,
    .split_keys = hcs_split_keys,
    .nsplit_keys = (int)(sizeof hcs_split_keys / sizeof hcs_split_keys[0]),
    .split_load = hcs_split_load,
};
