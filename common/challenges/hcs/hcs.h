/* hcs.h: a synthetic high-content screen (Cell Painting) with a known causal
 * structure, for the Pheno-CA / inverse-biological-process study (Linsley et
 * al., "Neural scaling laws for phenotypic drug discovery", arXiv 2309.16773).
 *
 *   compound library (fingerprint, MoA, target, potency, activity)   library.c
 *     x dose (Hill curve) -> latent phenotype of a well              phenotype.c
 *     -> cells drawn in 5 channels, plate/batch/well effects         render.c
 *   plates, plate maps, replicates, batches, split selection        screen.c
 *   the challenge interface for phasor-generate                     hcs.c
 *
 * Everything about the screen (library, plate maps, plate effects, the
 * biology of each well) is a pure function of [hcs] seed; the cells of one
 * field of view are a pure function of (split seed, field id).  Files are
 * therefore the same for any rank count, and two splits are views of one
 * screen.  docs/challenges/hcs.md gives every modelling choice. */
#ifndef PHASOR_HCS_H
#define PHASOR_HCS_H

#include "core/rng.h"

#include <stdint.h>

enum {
    HCS_CHANNELS = 5,    /* DNA, ER, RNA, AGP, Mito (Cell Painting) */
    HCS_AXES = 16,       /* latent phenotype dimensions (hcs_axis) */
    HCS_MAX_DOSES = 8,
    HCS_PHARM_BITS = 8,  /* fingerprint bits of a MoA's pharmacophore */
    HCS_CORE_BITS = 16,  /* bits of a scaffold's core */
    HCS_MOTIF_BITS = 6,  /* bits of a target's substituent motif */
    HCS_POTENCY_BITS = 8, /* potency-raising substituents of a scaffold */
    HCS_MAX_CELLS = 255, /* cells drawn in one field at most */
    HCS_MAX_WELLS = 1536, /* wells of the largest plate */
};

enum { HCS_DNA, HCS_ER, HCS_RNA, HCS_AGP, HCS_MITO };
extern const char *const hcs_channel_names[HCS_CHANNELS];

/* The phenotype's axes; each drives one measurable property of the cells
 * (render.c).  Units are arbitrary: 0 is the untreated (DMSO) mean. */
typedef enum {
    HCS_AX_CELL_COUNT,   /* cells per field: x exp(0.35 z) */
    HCS_AX_CELL_AREA,    /* cell radius: x exp(0.15 z) */
    HCS_AX_CELL_SHAPE,   /* cell elongation */
    HCS_AX_NUC_AREA,     /* nucleus radius: x exp(0.15 z) */
    HCS_AX_NUC_SHAPE,    /* nucleus elongation */
    HCS_AX_DNA,          /* DNA stain intensity */
    HCS_AX_DNA_TEXTURE,  /* chromatin granularity (condensation, fragmentation) */
    HCS_AX_ER,           /* ER intensity */
    HCS_AX_ER_TEXTURE,   /* ER reticulation */
    HCS_AX_NUCLEOLI,     /* nucleolar RNA: size and brightness */
    HCS_AX_RNA,          /* cytoplasmic RNA */
    HCS_AX_AGP,          /* actin, Golgi, plasma membrane intensity */
    HCS_AX_AGP_FIBRES,   /* stress fibres */
    HCS_AX_MITO,         /* mitochondrial intensity */
    HCS_AX_MITO_FRAG,    /* mitochondrial fragmentation (tubular -> punctate) */
    HCS_AX_MITOTIC,      /* fraction of rounded mitotic cells (mitotic arrest) */
} hcs_axis;
extern const char *const hcs_axis_names[HCS_AXES];

/* Sub-streams of Philox (PH_STREAM_CONTENT).  Screen draws use key
 * ([hcs] seed) and index = the entity; field draws use key (split seed) and
 * index = the field id.  The two ranges never meet, so a split seed equal to
 * the screen seed draws nothing twice. */
enum {
    HCS_SUB_FIELD_CELLS = 0, /* field: cell count, places, shapes */
    HCS_SUB_FIELD_TEXTURE,   /* field: texture lattices */
    HCS_SUB_FIELD_CAMERA,    /* field: camera noise */
    HCS_SUB_BITS = 0x10000,  /* screen (index 0): the fingerprint motifs */
    HCS_SUB_MOA,             /* index MoA: its phenotype direction */
    HCS_SUB_TARGET,          /* index target: its deviation */
    HCS_SUB_SCAFFOLD,        /* index scaffold: off-target deviation, base potency */
    HCS_SUB_COMPOUND,        /* index compound: activity, potency, Hill curve, bits */
    HCS_SUB_HELD_OUT,        /* index target: which of its compounds are held out */
    HCS_SUB_LAYOUT,          /* index plate: positions of the plate map's wells */
    HCS_SUB_PLATE,           /* index plate: gains, offsets, gradients */
    HCS_SUB_BATCH,           /* index batch: gains, vignetting */
    HCS_SUB_WELL,            /* index well id: biological noise */
    HCS_SUB_CONTROL,         /* index well id: whether a DMSO well is held out */
};

/* ---- the compound library (library.c) ------------------------------------- */

/* A standard normal draw (Box-Muller on two uniforms), cut at +-4. */
double hcs_normal(ph_rng *r);

typedef struct {
    int moa, target, scaffold; /* target is global: moa * targets + k */
    uint8_t active, held_out;
    float potency;             /* pEC50 = -log10(EC50 / M), in [HCS_PEC50_MIN, HCS_PEC50_MAX] */
    float hill;                /* Hill coefficient, [0.8, 2] */
    float emax;                /* efficacy, [0.7, 1]; 0 when inactive */
    float dir[HCS_AXES];       /* unit direction of its phenotype */
} hcs_compound;

#define HCS_PEC50_MIN 3.5
#define HCS_PEC50_MAX 9.0

typedef struct {
    int moas, targets, scaffolds; /* targets and scaffolds per MoA */
    int compounds, bits;
    double inactive, held_out;    /* fractions */
    double target_spread, scaffold_spread, compound_spread;
    double decoration;            /* chance of each other bit being set */
    int *pharm, *core, *motif, *potency_bits; /* motif bit indices */
    float *moa_dir, *target_dev, *scaffold_dev; /* [n, HCS_AXES] */
    float *scaffold_p0;           /* base pEC50 of each scaffold */
    hcs_compound *c;              /* [compounds] */
    uint8_t *fp;                  /* [compounds, fp_bytes] packed, bit b = byte b/8, bit b%8 */
    int fp_bytes;
} hcs_library;

/* Builds the library from seed; the fields above the motifs must be set. */
void hcs_library_init(hcs_library *lib, uint32_t seed);
void hcs_library_free(hcs_library *lib);
/* 1 if compound c carries fingerprint bit b. */
int hcs_library_bit(const hcs_library *lib, int c, int b);

/* ---- the screen: plates, plate maps, effects (screen.c) -------------------- */

typedef struct {
    int wells, rows, cols, controls;
    int doses, replicates, sites, plates_per_batch, held_out_batches;
    double top_dose, dilution;   /* uM; each lower dose divides by dilution */
    int maps, plates, batches;   /* plate maps per replicate; plates; batches */
    int64_t treatments;          /* compounds x doses */
} hcs_screen;

/* What a well holds: compound -1 is a DMSO control (level 0); otherwise dose
 * level 1..doses, from the lowest dose up. */
typedef struct {
    int compound, level;
    int plate, replicate, batch, row, col;
    int edge; /* an outer-ring well */
} hcs_well;

typedef struct {
    float gain[HCS_CHANNELS], offset[HCS_CHANNELS];
    float row_grad[HCS_CHANNELS], col_grad[HCS_CHANNELS];
    float vignette; /* fractional fall-off of illumination at the field's corner */
} hcs_plate_effects;

/* The derived counts (maps, plates, batches) from the others and the library size. */
void hcs_screen_layout(hcs_screen *s, int64_t compounds);
/* Dose of level 1..doses in uM (top_dose at level doses). */
double hcs_dose_um(const hcs_screen *s, int level);
/* The well at position pos (row * cols + col) of plate p. */
void hcs_well_get(const hcs_screen *s, uint32_t seed, int plate, int pos, hcs_well *w);
/* Every well of plate p, wells[pos] for pos in 0..wells-1. */
void hcs_plate_get(const hcs_screen *s, uint32_t seed, int plate, hcs_well *wells);
void hcs_plate_effects_get(const hcs_screen *s, uint32_t seed, int plate, double batch_effect,
                           double vignetting, hcs_plate_effects *e);

/* ---- the phenotype of a well (phenotype.c) --------------------------------- */

/* Fraction of the maximal effect at dose_um: Hill curve d^h / (d^h + EC50^h). */
double hcs_hill(double dose_um, double pec50, double hill);
/* The latent phenotype of well w (global id well_id) into z: the compound's
 * direction times strength x emax x Hill, plus the well's biological noise
 * (well_noise per axis, Gaussian cut at 4 SD), plus the edge-well growth
 * deficit; DMSO and inactive compounds get the noise alone. */
void hcs_phenotype(const hcs_library *lib, const hcs_screen *s, uint32_t seed, const hcs_well *w,
                   int64_t well_id, double strength, double well_noise, float *z);

/* ---- drawing a field of view (render.c) ------------------------------------ */

typedef struct {
    int size;
    double cells, cell_radius, camera_noise;
} hcs_render_params;

/* Draws one field: cells driven by z, under the plate's effects (edge wells a
 * little brighter), into img [size, size, HCS_CHANNELS] uint8; returns the
 * number of cells whose centre lies in the field. */
int hcs_field_render(const hcs_render_params *rp, const float *z, const hcs_plate_effects *e,
                     const hcs_well *w, const hcs_screen *s, uint32_t seed, int64_t field_id, uint8_t *img);

/* ---- the challenge (hcs.c) --------------------------------------------------- */

typedef enum {
    HCS_LABEL_MOA, HCS_LABEL_TARGET, HCS_LABEL_COMPOUND, HCS_LABEL_SCAFFOLD,
    HCS_LABEL_ACTIVITY, HCS_LABEL_DOSE, HCS_LABEL_PLATE, HCS_LABEL_BATCH, HCS_LABEL_COUNT
} hcs_label;
extern const char *const hcs_label_names[HCS_LABEL_COUNT];

typedef enum { HCS_PICK_SEEN, HCS_PICK_HELD_OUT, HCS_PICK_ALL, HCS_PICK_COUNT } hcs_pick;
extern const char *const hcs_pick_names[HCS_PICK_COUNT];

typedef struct {
    uint32_t seed; /* the screen */
    hcs_label label;
    hcs_library lib;
    hcs_screen screen;
    hcs_render_params render;
    double strength, well_noise, batch_effect, vignetting;
    /* the split being generated (hcs_select) */
    hcs_pick compounds, plates;
    int controls;
    int64_t *sel;  /* selected well ids (plate * wells + pos), ascending */
    int64_t nsel;
    int64_t n;     /* the split's samples */
} hcs_params;

/* Datasets, in this order (field 0 is x, 1 is y). */
enum {
    HCS_F_X, HCS_F_Y, HCS_F_COMPOUND, HCS_F_MOA, HCS_F_TARGET, HCS_F_SCAFFOLD, HCS_F_ACTIVE,
    HCS_F_POTENCY, HCS_F_DOSE, HCS_F_PLATE, HCS_F_REPLICATE, HCS_F_BATCH, HCS_F_WELL,
    HCS_F_FINGERPRINT, HCS_F_PHENOTYPE, HCS_F_CELLS, HCS_F_COUNT
};

/* Selects the wells of a split (sets compounds, plates, controls first):
 * fills p->sel and p->nsel; returns the fields of view available. */
int64_t hcs_select(hcs_params *p);
/* Classes of the configured label (DMSO is the last class of moa, target,
 * compound and scaffold; dose level 0). */
int hcs_label_classes(const hcs_params *p);
/* Sample `index` of a split of n samples: its well id and site. */
void hcs_sample_field(const hcs_params *p, int64_t index, int64_t *well_id, int *site);

#endif
