/* library.c: the compound library of the synthetic screen.
 *
 * Chemistry is reduced to what the inverse problem needs: a molecule is a
 * fingerprint (bit vector, like a hashed circular fingerprint) built from
 * motifs, and the motifs carry the biology:
 *   - each MoA has a pharmacophore (HCS_PHARM_BITS bits) and `scaffolds`
 *     scaffold families, each with its core (HCS_CORE_BITS bits);
 *   - each target has a substituent motif (HCS_MOTIF_BITS bits);
 *   - each scaffold has HCS_POTENCY_BITS potency substituents; each raises
 *     pEC50 by 0.3;
 *   - inactive analogues mostly lack the pharmacophore;
 *   - every bit of a motif is dropped now and then, and unrelated bits are set
 *     at the `decoration` rate (the rest of the molecule).
 * Compounds are dealt round-robin over targets (compound c has target
 * c mod (moas x targets)) and, within a target, over the MoA's scaffolds, so
 * every class has the same number of compounds, to within one.
 *
 * The phenotype direction of a compound is its MoA's direction plus the
 * target's, scaffold's (an off-target effect of the chemotype) and its own
 * deviations, normalised: MoA decides most of it, the rest makes targets,
 * chemotypes and molecules distinguishable to a degree set by the spreads. */
#include "hcs.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double hcs_normal(ph_rng *r)
{
    double u1 = ph_rng_uniform(r), u2 = ph_rng_uniform(r);
    double g = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
    return g > 4 ? 4 : g < -4 ? -4 : g;
}

/* k distinct bit indices in [0, bits). */
static void motif_draw(ph_rng *r, int bits, int k, int *out)
{
    for (int i = 0; i < k; i++) {
        int b, dup;
        do {
            b = (int)ph_rng_below(r, (uint32_t)bits);
            dup = 0;
            for (int j = 0; j < i; j++) dup |= out[j] == b;
        } while (dup);
        out[i] = b;
    }
}

static void normalise(float *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)v[i] * v[i];
    s = s > 0 ? 1.0 / sqrt(s) : 0;
    for (int i = 0; i < n; i++) v[i] = (float)(v[i] * s);
}

static double dot(const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < HCS_AXES; i++) s += (double)a[i] * b[i];
    return s;
}

/* A MoA's direction: 4 of the axes, random signs, weights in [0.5, 1].
 * Drawn again (up to 100 times) while it lies within 60 degrees of an
 * earlier MoA's; the candidate farthest from the earlier ones is kept, so
 * that MoAs differ in what they do to the cells. */
static void moa_direction(uint32_t seed, int m, const float *earlier, float *out)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)m, HCS_SUB_MOA);
    double best = 2;
    for (int attempt = 0; attempt < 100 && best > 0.5; attempt++) {
        float v[HCS_AXES] = {0};
        int axes[4];
        motif_draw(&r, HCS_AXES, 4, axes);
        for (int k = 0; k < 4; k++)
            v[axes[k]] = (float)((ph_rng_u32(&r) & 1 ? 1 : -1) * (0.5 + 0.5 * ph_rng_uniform(&r)));
        normalise(v, HCS_AXES);
        double worst = -2;
        for (int j = 0; j < m; j++) {
            double c = dot(v, earlier + (size_t)j * HCS_AXES);
            if (c > worst) worst = c;
        }
        if (worst < best) best = worst, memcpy(out, v, sizeof v);
    }
}

static void unit_gaussian(ph_rng *r, float *v)
{
    for (int i = 0; i < HCS_AXES; i++) v[i] = (float)hcs_normal(r);
    normalise(v, HCS_AXES);
}

static void bit_set(uint8_t *fp, int b) { fp[b >> 3] |= (uint8_t)(1u << (b & 7)); }

int hcs_library_bit(const hcs_library *lib, int c, int b)
{
    return lib->fp[(size_t)c * lib->fp_bytes + (b >> 3)] >> (b & 7) & 1;
}

static void compound_make(hcs_library *lib, uint32_t seed, int c)
{
    const int nt = lib->moas * lib->targets;
    hcs_compound *x = &lib->c[c];
    x->target = c % nt;
    x->moa = x->target / lib->targets;
    x->scaffold = x->moa * lib->scaffolds + (c / nt) % lib->scaffolds;

    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)c, HCS_SUB_COMPOUND);
    x->active = ph_rng_uniform(&r) >= lib->inactive;
    uint8_t *fp = lib->fp + (size_t)c * lib->fp_bytes;
    int raised = 0;
    const int *pot = lib->potency_bits + (size_t)x->scaffold * HCS_POTENCY_BITS;
    for (int k = 0; k < HCS_POTENCY_BITS; k++)
        if (ph_rng_u32(&r) & 1) bit_set(fp, pot[k]), raised++;
    double pec50 = lib->scaffold_p0[x->scaffold] + 0.3 * raised + 0.15 * hcs_normal(&r);
    x->potency = (float)(pec50 < HCS_PEC50_MIN ? HCS_PEC50_MIN : pec50 > HCS_PEC50_MAX ? HCS_PEC50_MAX : pec50);
    x->hill = (float)(0.8 + 1.2 * ph_rng_uniform(&r));
    const double emax = 0.7 + 0.3 * ph_rng_uniform(&r);
    x->emax = x->active ? (float)emax : 0.0f;

    /* The motifs, each bit kept at its rate: a scaffold's core is the most
     * stable part of a series, the pharmacophore is what inactive analogues lose. */
    const int *core = lib->core + (size_t)x->scaffold * HCS_CORE_BITS;
    for (int k = 0; k < HCS_CORE_BITS; k++)
        if (ph_rng_uniform(&r) < 0.9) bit_set(fp, core[k]);
    const int *pharm = lib->pharm + (size_t)x->moa * HCS_PHARM_BITS;
    for (int k = 0; k < HCS_PHARM_BITS; k++)
        if (ph_rng_uniform(&r) < (x->active ? 0.9 : 0.3)) bit_set(fp, pharm[k]);
    const int *motif = lib->motif + (size_t)x->target * HCS_MOTIF_BITS;
    for (int k = 0; k < HCS_MOTIF_BITS; k++)
        if (ph_rng_uniform(&r) < 0.85) bit_set(fp, motif[k]);
    /* one word per bit: the library of 100,000 compounds of 2,048 bits stays quick */
    const double below = ldexp(lib->decoration, 32);
    for (int b = 0; b < lib->bits; b++)
        if (ph_rng_u32(&r) < below) bit_set(fp, b);

    float own[HCS_AXES];
    unit_gaussian(&r, own);
    const float *u = lib->moa_dir + (size_t)x->moa * HCS_AXES, *t = lib->target_dev + (size_t)x->target * HCS_AXES,
                *s = lib->scaffold_dev + (size_t)x->scaffold * HCS_AXES;
    for (int i = 0; i < HCS_AXES; i++)
        x->dir[i] = (float)(u[i] + lib->target_spread * t[i] + lib->scaffold_spread * s[i] +
                            lib->compound_spread * own[i]);
    normalise(x->dir, HCS_AXES);
}

/* Within each target, round(held_out x its compounds) are held out, chosen by
 * a Philox shuffle: every target keeps seen compounds and, when it has
 * enough, held-out ones. */
static void held_out_mark(hcs_library *lib, uint32_t seed)
{
    const int nt = lib->moas * lib->targets;
    int *perm = malloc(sizeof *perm * ((size_t)lib->compounds / nt + 1));
    PH_CHECK_ALLOC(perm, "allocating the hold-out shuffle");
    for (int t = 0; t < nt; t++) {
        const int n = (lib->compounds - t + nt - 1) / nt;
        ph_rng r;
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)t, HCS_SUB_HELD_OUT);
        for (int k = 0; k < n; k++) perm[k] = k;
        for (int k = n - 1; k > 0; k--) {
            int j = (int)ph_rng_below(&r, (uint32_t)k + 1), tmp = perm[k];
            perm[k] = perm[j], perm[j] = tmp;
        }
        const int h = (int)lround(lib->held_out * n);
        for (int k = 0; k < h; k++) lib->c[(size_t)perm[k] * nt + t].held_out = 1;
    }
    free(perm);
}

void hcs_library_init(hcs_library *lib, uint32_t seed)
{
    const int M = lib->moas, T = M * lib->targets, S = M * lib->scaffolds, C = lib->compounds;
    lib->fp_bytes = (lib->bits + 7) / 8;
    lib->pharm = malloc(sizeof(int) * (size_t)M * HCS_PHARM_BITS);
    lib->core = malloc(sizeof(int) * (size_t)S * HCS_CORE_BITS);
    lib->motif = malloc(sizeof(int) * (size_t)T * HCS_MOTIF_BITS);
    lib->potency_bits = malloc(sizeof(int) * (size_t)S * HCS_POTENCY_BITS);
    lib->moa_dir = malloc(sizeof(float) * (size_t)M * HCS_AXES);
    lib->target_dev = malloc(sizeof(float) * (size_t)T * HCS_AXES);
    lib->scaffold_dev = malloc(sizeof(float) * (size_t)S * HCS_AXES);
    lib->scaffold_p0 = malloc(sizeof(float) * (size_t)S);
    lib->c = calloc((size_t)C, sizeof *lib->c);
    lib->fp = calloc((size_t)C, (size_t)lib->fp_bytes);
    PH_CHECK_ALLOC(lib->pharm && lib->core && lib->motif && lib->potency_bits && lib->moa_dir &&
                       lib->target_dev && lib->scaffold_dev && lib->scaffold_p0 && lib->c && lib->fp,
                   "allocating the compound library");

    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, 0, HCS_SUB_BITS);
    for (int m = 0; m < M; m++) motif_draw(&r, lib->bits, HCS_PHARM_BITS, lib->pharm + (size_t)m * HCS_PHARM_BITS);
    for (int s = 0; s < S; s++) motif_draw(&r, lib->bits, HCS_CORE_BITS, lib->core + (size_t)s * HCS_CORE_BITS);
    for (int t = 0; t < T; t++) motif_draw(&r, lib->bits, HCS_MOTIF_BITS, lib->motif + (size_t)t * HCS_MOTIF_BITS);
    for (int s = 0; s < S; s++)
        motif_draw(&r, lib->bits, HCS_POTENCY_BITS, lib->potency_bits + (size_t)s * HCS_POTENCY_BITS);

    for (int m = 0; m < M; m++) moa_direction(seed, m, lib->moa_dir, lib->moa_dir + (size_t)m * HCS_AXES);
    for (int t = 0; t < T; t++) {
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)t, HCS_SUB_TARGET);
        unit_gaussian(&r, lib->target_dev + (size_t)t * HCS_AXES);
    }
    for (int s = 0; s < S; s++) {
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)s, HCS_SUB_SCAFFOLD);
        unit_gaussian(&r, lib->scaffold_dev + (size_t)s * HCS_AXES);
        /* EC50 of the bare scaffold between 5 and 50 uM: potency substituents
         * (0.3 each, 2.4 at most) bring the series into the dose range. */
        lib->scaffold_p0[s] = (float)(4.3 + ph_rng_uniform(&r));
    }
    for (int c = 0; c < C; c++) compound_make(lib, seed, c);
    held_out_mark(lib, seed);
}

void hcs_library_free(hcs_library *lib)
{
    free(lib->pharm), free(lib->core), free(lib->motif), free(lib->potency_bits);
    free(lib->moa_dir), free(lib->target_dev), free(lib->scaffold_dev), free(lib->scaffold_p0);
    free(lib->c), free(lib->fp);
    lib->pharm = lib->core = lib->motif = lib->potency_bits = NULL;
    lib->moa_dir = lib->target_dev = lib->scaffold_dev = lib->scaffold_p0 = NULL;
    lib->c = NULL, lib->fp = NULL;
}
