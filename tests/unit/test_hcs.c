/* test_hcs.c: the synthetic screen (challenge hcs) through the challenge
 * interface, as phasor-generate sees it.
 *
 * The causal structure is there and recoverable:
 *   - the library's bookkeeping (classes, scaffolds, activity and hold-out
 *     rates, motif bits) is what docs/challenges/hcs.md says;
 *   - MoA is learnable from the fingerprint (held-out molecules);
 *   - dose moves a compound's phenotype along its direction with a Hill curve;
 *   - a linear (ridge, LAPACKE) classifier on /meta/phenotype predicts the
 *     MoA of wells on other plates, and of held-out molecules, far above chance;
 *   - from pixels alone (per-channel intensity and texture, normalised to
 *     each plate's DMSO wells), replicate wells of one compound are closer
 *     than wells of compounds of different MoAs;
 * and every pixel and metadata value lies within its documented range;
 * samples are pure functions of (seed, index), a field is the same in every
 * split that holds it, and splits select what their keys say. */
#include "challenges/challenge.h"
#include "challenges/generate_config.h"
#include "challenges/hcs/hcs.h"
#include "neural/ridge.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The screen of configs/hcs.ini: 360 compounds, 12 MoAs x 3 targets, 4 doses,
 * 2 replicates of 4 plate maps, 384 wells with 24 DMSO; batches of 4 plates,
 * the second (replicate 1) held out. */
static const char *const SCREEN = "[generate]\nchallenge = hcs\n[hcs]\nseed = 1\n";

typedef struct {
    const ph_challenge *ch;
    hcs_params *p;
    int nf;
    ph_field fields[PH_MAX_FIELDS];
    uint8_t *slot[PH_MAX_FIELDS];
} split;

/* Loads SCREEN + extra + one split "s" of n samples (n 0: all it selects). */
static void split_open(split *s, const char *extra, const char *split_keys, int64_t n)
{
    memset(s, 0, sizeof *s);
    s->ch = ph_challenge_find("hcs");
    assert_non_null(s->ch);
    char text[2048];
    /* the first pass finds how many fields the split selects */
    for (int pass = 0; pass < 2; pass++) {
        snprintf(text, sizeof text, "%s%s\n[split.s]\nn = %lld\nseed = 11\n%s\n", SCREEN, extra,
                 (long long)(n ? n : 1), split_keys);
        int ns;
        const cfg_section *const *sections = ph_generate_sections(&ns);
        cfg c;
        cfg_init(&c, sections, ns);
        cfg_parse_text(&c, text, "test.ini");
        cfg_validate(&c);
        if (s->p) s->ch->params_free(s->p);
        s->p = s->ch->params_load(&c);
        s->ch->split_load(s->p, &c, "split.s");
        cfg_free(&c);
        if (n) break;
        n = s->p->nsel * s->p->screen.sites;
    }
    s->nf = s->ch->fields(s->p, s->fields, PH_MAX_FIELDS);
    assert_int_equal(s->nf, HCS_F_COUNT);
    for (int f = 0; f < s->nf; f++) s->slot[f] = malloc(ph_field_sample_bytes(&s->fields[f]));
}

static void split_make(split *s, int64_t index)
{
    for (int f = 0; f < s->nf; f++) memset(s->slot[f], 0, ph_field_sample_bytes(&s->fields[f]));
    s->ch->generate(s->p, 11, index, (void *const *)s->slot);
}

static void split_close(split *s)
{
    for (int f = 0; f < s->nf; f++) free(s->slot[f]);
    s->ch->params_free(s->p);
}

#define I32(s, f) (*(int32_t *)(s)->slot[f])
#define F32(s, f) (*(float *)(s)->slot[f])

/* ---- a ridge classifier: one-hot targets, argmax of the fit (LAPACKE) ------- */

static double ridge_accuracy(const double *Xtr, const int *ytr, int ntr, const double *Xte, const int *yte, int nte,
                             int p, int classes, double alpha)
{
    double *Y = calloc((size_t)ntr * classes, sizeof *Y), *P = malloc(sizeof *P * (size_t)nte * classes);
    for (int i = 0; i < ntr; i++) Y[(size_t)i * classes + ytr[i]] = 1;
    ph_ridge_stats st;
    ph_ridge_stats_init(&st, p, classes);
    ph_ridge_stats_add_rows(&st, Xtr, Y, ntr);
    ph_ridge m;
    ph_ridge_fit_stats(&st, &alpha, 1, &m);
    ph_ridge_predict(&m, Xte, nte, P);
    int hits = 0;
    for (int i = 0; i < nte; i++) {
        int best = 0;
        for (int k = 1; k < classes; k++)
            if (P[(size_t)i * classes + k] > P[(size_t)i * classes + best]) best = k;
        hits += best == yte[i];
    }
    ph_ridge_free(&m);
    ph_ridge_stats_free(&st);
    free(Y), free(P);
    return (double)hits / nte;
}

/* ---- the library ---------------------------------------------------------- */

static void test_library(void **state)
{
    (void)state;
    split s;
    split_open(&s, "", "", 1);
    const hcs_library *l = &s.p->lib;
    const int nt = l->moas * l->targets;
    int active = 0, held[64] = {0}, count[64] = {0};
    double core = 0, pharm_on[2] = {0}, pharm_n[2] = {0};
    for (int c = 0; c < l->compounds; c++) {
        const hcs_compound *x = &l->c[c];
        assert_int_equal(x->target, c % nt);
        assert_int_equal(x->moa, x->target / l->targets);
        assert_int_equal(x->scaffold / l->scaffolds, x->moa);
        assert_true(x->potency >= HCS_PEC50_MIN && x->potency <= HCS_PEC50_MAX);
        assert_true(x->hill >= 0.8f && x->hill <= 2.0f);
        assert_true(x->active ? x->emax >= 0.7f && x->emax <= 1.0f : x->emax == 0.0f);
        double norm = 0;
        for (int a = 0; a < HCS_AXES; a++) norm += (double)x->dir[a] * x->dir[a];
        assert_true(fabs(norm - 1) < 1e-5);
        active += x->active;
        held[x->target] += x->held_out, count[x->target]++;
        for (int k = 0; k < HCS_CORE_BITS; k++)
            core += hcs_library_bit(l, c, l->core[x->scaffold * HCS_CORE_BITS + k]);
        for (int k = 0; k < HCS_PHARM_BITS; k++)
            pharm_on[x->active] += hcs_library_bit(l, c, l->pharm[x->moa * HCS_PHARM_BITS + k]);
        pharm_n[x->active] += HCS_PHARM_BITS;
    }
    /* 20% inactive: 288 of 360 active expected, 4 binomial SD = 30 */
    assert_true(abs(active - 288) <= 30);
    for (int t = 0; t < nt; t++) assert_int_equal(held[t], (int)lround(0.2 * count[t]));
    /* motif bits kept at 0.9 (core), 0.9 / 0.3 (pharmacophore, active / inactive), plus
     * overlaps with other motifs and decoration */
    core /= (double)l->compounds * HCS_CORE_BITS;
    print_message("# core bits present %.3f, pharmacophore bits: active %.3f, inactive %.3f\n", core,
                  pharm_on[1] / pharm_n[1], pharm_on[0] / pharm_n[0]);
    assert_true(core > 0.87 && core < 0.95);
    assert_true(pharm_on[1] / pharm_n[1] > 0.87 && pharm_on[0] / pharm_n[0] < 0.45);
    split_close(&s);
}

/* Inverting the library: the fingerprint of a held-out molecule tells its MoA
 * (scaffold cores and pharmacophores are shared within a MoA) and, less well,
 * its target (six substituent bits). */
static void test_fingerprint_learnable(void **state)
{
    (void)state;
    split s;
    split_open(&s, "", "", 1);
    const hcs_library *l = &s.p->lib;
    const int B = l->bits, C = l->compounds;
    double *Xtr = malloc(sizeof(double) * (size_t)C * B), *Xte = malloc(sizeof(double) * (size_t)C * B);
    int *moa_tr = malloc(sizeof(int) * C), *moa_te = malloc(sizeof(int) * C);
    int *tgt_tr = malloc(sizeof(int) * C), *tgt_te = malloc(sizeof(int) * C), ntr = 0, nte = 0;
    for (int c = 0; c < C; c++) {
        double *row = l->c[c].held_out ? Xte + (size_t)nte * B : Xtr + (size_t)ntr * B;
        for (int b = 0; b < B; b++) row[b] = hcs_library_bit(l, c, b);
        if (l->c[c].held_out)
            moa_te[nte] = l->c[c].moa, tgt_te[nte++] = l->c[c].target;
        else
            moa_tr[ntr] = l->c[c].moa, tgt_tr[ntr++] = l->c[c].target;
    }
    const double moa = ridge_accuracy(Xtr, moa_tr, ntr, Xte, moa_te, nte, B, l->moas, 1.0);
    const double tgt = ridge_accuracy(Xtr, tgt_tr, ntr, Xte, tgt_te, nte, B, l->moas * l->targets, 1.0);
    print_message("# fingerprint -> MoA of %d held-out compounds: %.3f (chance %.3f); -> target %.3f (chance %.3f)\n",
                  nte, moa, 1.0 / l->moas, tgt, 1.0 / (l->moas * l->targets));
    assert_true(moa > 0.8);
    assert_true(tgt > 5.0 / (l->moas * l->targets));
    free(Xtr), free(Xte), free(moa_tr), free(moa_te), free(tgt_tr), free(tgt_te);
    split_close(&s);
}

/* ---- dose -> phenotype --------------------------------------------------------- */

static void test_dose_response(void **state)
{
    (void)state;
    assert_true(fabs(hcs_hill(1.0, 6.0, 1.3) - 0.5) < 1e-12); /* EC50 1 uM at pEC50 6 */
    assert_true(fabs(hcs_hill(10.0, 6.0, 1.0) - 10.0 / 11.0) < 1e-12);
    split s;
    split_open(&s, "\nwell_noise = 0\n", "", 1);
    const hcs_params *p = s.p;
    for (int c = 0; c < 40; c++) {
        const hcs_compound *x = &p->lib.c[c];
        double last = -1;
        for (int level = 1; level <= p->screen.doses; level++) {
            hcs_well w = {.compound = c, .level = level, .row = 3, .col = 3};
            float z[HCS_AXES];
            hcs_phenotype(&p->lib, &p->screen, p->seed, &w, 1000, p->strength, 0, z);
            double len = 0, along = 0;
            for (int a = 0; a < HCS_AXES; a++) len += (double)z[a] * z[a], along += (double)z[a] * x->dir[a];
            len = sqrt(len);
            const double want = p->strength * x->emax *
                                hcs_hill(hcs_dose_um(&p->screen, level), x->potency, x->hill);
            assert_true(fabs(len - want) < 1e-4 && fabs(along - want) < 1e-4); /* along the direction */
            assert_true(len <= p->strength + 1e-6);
            assert_true(x->active ? len > last : len == 0);
            last = len;
        }
    }
    assert_true(fabs(hcs_dose_um(&p->screen, p->screen.doses) - 10) < 1e-9);
    assert_true(fabs(hcs_dose_um(&p->screen, 1) - 10 / pow(3.1623, 3)) < 1e-9);
    split_close(&s);
}

/* ---- ranges ---------------------------------------------------------------------- */

static void test_ranges(void **state)
{
    (void)state;
    split s;
    split_open(&s, "", "", 600);
    const hcs_params *p = s.p;
    const hcs_library *l = &p->lib;
    const int S = p->render.size;
    long long saturated = 0, pixels = 0;
    for (int64_t i = 0; i < 600; i++) {
        split_make(&s, i);
        const int32_t compound = I32(&s, HCS_F_COMPOUND), moa = I32(&s, HCS_F_MOA);
        const int dmso = compound == l->compounds;
        assert_true(compound >= 0 && compound <= l->compounds);
        assert_int_equal(moa, dmso ? l->moas : l->c[compound].moa);
        assert_int_equal(I32(&s, HCS_F_TARGET), dmso ? l->moas * l->targets : l->c[compound].target);
        assert_int_equal(I32(&s, HCS_F_SCAFFOLD), dmso ? l->moas * l->scaffolds : l->c[compound].scaffold);
        assert_int_equal(I32(&s, HCS_F_Y), moa); /* label = moa */
        assert_int_equal(*(uint8_t *)s.slot[HCS_F_ACTIVE], dmso ? 0 : l->c[compound].active);
        const float potency = F32(&s, HCS_F_POTENCY), dose = F32(&s, HCS_F_DOSE);
        assert_true(dmso ? potency == 0 : potency >= HCS_PEC50_MIN && potency <= HCS_PEC50_MAX);
        int level = 0;
        for (int k = 1; k <= p->screen.doses; k++)
            if (dose == (float)hcs_dose_um(&p->screen, k)) level = k;
        assert_true(dmso ? dose == 0 : level > 0);
        const int32_t plate = I32(&s, HCS_F_PLATE);
        assert_true(plate >= 0 && plate < p->screen.plates);
        assert_int_equal(I32(&s, HCS_F_REPLICATE), plate / p->screen.maps);
        assert_int_equal(I32(&s, HCS_F_BATCH), plate / p->screen.plates_per_batch);
        const int16_t *well = (int16_t *)s.slot[HCS_F_WELL];
        assert_true(well[0] >= 0 && well[0] < p->screen.rows && well[1] >= 0 && well[1] < p->screen.cols);
        assert_true(well[2] >= 0 && well[2] < p->screen.sites);
        const uint8_t *fp = s.slot[HCS_F_FINGERPRINT];
        for (int b = 0; b < l->bits; b++) assert_true(fp[b] == (dmso ? 0 : hcs_library_bit(l, compound, b)));
        const float *z = (float *)s.slot[HCS_F_PHENOTYPE];
        for (int a = 0; a < HCS_AXES; a++)
            assert_true(fabsf(z[a]) <= p->strength + 4 * p->well_noise + 0.3 + 1e-5);
        const int32_t cells = I32(&s, HCS_F_CELLS);
        assert_true(cells >= 0 && cells <= HCS_MAX_CELLS);
        /* pixels: the dark background sits at the camera offset (6 to 13 grey levels), and
         * little saturates */
        const uint8_t *x = s.slot[HCS_F_X];
        for (int c = 0; c < HCS_CHANNELS; c++) {
            int hist[256] = {0};
            for (int q = 0; q < S * S; q++) hist[x[q * HCS_CHANNELS + c]]++;
            int acc = 0, p5 = 0;
            while ((acc += hist[p5]) < S * S / 20) p5++;
            assert_true(p5 >= 1 && p5 <= 25);
            saturated += hist[255], pixels += S * S;
        }
    }
    print_message("# saturated pixels: %.5f%%\n", 100.0 * saturated / pixels);
    assert_true(saturated * 200 < pixels);
    split_close(&s);
}

/* ---- the phenotype carries the MoA ------------------------------------------------- */

/* /meta/phenotype and MoA of the samples of a split that are active compounds at
 * dose level >= min_level; returns their number. */
static int phenotypes_read(split *s, int min_level, double **X, int **y)
{
    const hcs_params *p = s->p;
    const int64_t n = s->p->n;
    *X = malloc(sizeof **X * (size_t)n * HCS_AXES);
    *y = malloc(sizeof **y * (size_t)n);
    int m = 0;
    for (int64_t i = 0; i < n; i++) {
        split_make(s, i);
        const int32_t c = I32(s, HCS_F_COMPOUND);
        if (c == p->lib.compounds || !*(uint8_t *)s->slot[HCS_F_ACTIVE]) continue;
        const float dose = F32(s, HCS_F_DOSE);
        if (dose < (float)hcs_dose_um(&p->screen, min_level) * 0.999f) continue;
        const float *z = (float *)s->slot[HCS_F_PHENOTYPE];
        for (int a = 0; a < HCS_AXES; a++) (*X)[(size_t)m * HCS_AXES + a] = z[a];
        (*y)[m++] = I32(s, HCS_F_MOA);
    }
    return m;
}

static void test_moa_from_phenotype(void **state)
{
    (void)state;
    split tr, va, te;
    split_open(&tr, "", "compounds = seen\nplates = seen\n", 0);
    split_open(&va, "", "compounds = seen\nplates = held_out\n", 0);
    split_open(&te, "", "compounds = held_out\n", 0);
    const int M = tr.p->lib.moas;
    double *Xtr, *Xva, *Xte;
    int *ytr, *yva, *yte;
    const int ntr = phenotypes_read(&tr, 1, &Xtr, &ytr), nva = phenotypes_read(&va, 1, &Xva, &yva);
    const int nte = phenotypes_read(&te, 1, &Xte, &yte);
    const double all_doses = ridge_accuracy(Xtr, ytr, ntr, Xva, yva, nva, HCS_AXES, M, 1e-3);
    const double held = ridge_accuracy(Xtr, ytr, ntr, Xte, yte, nte, HCS_AXES, M, 1e-3);
    free(Xva), free(yva);
    const int nva3 = phenotypes_read(&va, 3, &Xva, &yva);
    const double top = ridge_accuracy(Xtr, ytr, ntr, Xva, yva, nva3, HCS_AXES, M, 1e-3);
    print_message("# ridge on /meta/phenotype, fitted on %d active wells of replicate 0 (seen compounds):\n"
                  "#   MoA of replicate 1: %.3f over %d wells at all doses, %.3f over %d at the top two doses;\n"
                  "#   MoA of %d wells of held-out compounds: %.3f (chance %.3f)\n",
                  ntr, all_doses, nva, top, nva3, nte, held, 1.0 / M);
    assert_true(all_doses > 4.0 / M);
    assert_true(top > 0.8);
    assert_true(held > 4.0 / M);
    free(Xtr), free(Xva), free(Xte), free(ytr), free(yva), free(yte);
    split_close(&tr), split_close(&va), split_close(&te);
}

/* The inverse biological process: a linear map from a well's phenotype to its
 * compound's fingerprint, fitted on seen compounds, then used to retrieve
 * held-out wells' compounds from the whole library (cosine of the predicted
 * bits with each fingerprint).  Learnable: the retrieved compound is mostly
 * of the right MoA.  Not trivial: the exact molecule is rarely first, since
 * decoration, which potency substituents and dropped motif bits are not in
 * the phenotype. */
static void test_fingerprint_from_phenotype(void **state)
{
    (void)state;
    split tr, te;
    split_open(&tr, "", "compounds = seen\ncontrols = false\n", 0);
    split_open(&te, "", "compounds = held_out\ncontrols = false\n", 0);
    const hcs_library *l = &tr.p->lib;
    const int B = l->bits, C = l->compounds;
    const double top = hcs_dose_um(&tr.p->screen, tr.p->screen.doses - 1) * 0.999;
    ph_ridge_stats st;
    ph_ridge_stats_init(&st, HCS_AXES, B);
    double x[HCS_AXES], *y = malloc(sizeof *y * B), *pred = malloc(sizeof *pred * B), *score = malloc(sizeof *score * C);
    for (int64_t i = 0; i < tr.p->n; i++) {
        split_make(&tr, i);
        if (!*(uint8_t *)tr.slot[HCS_F_ACTIVE] || F32(&tr, HCS_F_DOSE) < top) continue;
        for (int a = 0; a < HCS_AXES; a++) x[a] = ((float *)tr.slot[HCS_F_PHENOTYPE])[a];
        for (int b = 0; b < B; b++) y[b] = tr.slot[HCS_F_FINGERPRINT][b];
        ph_ridge_stats_add_rows(&st, x, y, 1);
    }
    ph_ridge m;
    const double alpha = 1;
    ph_ridge_fit_stats(&st, &alpha, 1, &m);
    int n = 0, exact = 0, top10 = 0, moa = 0;
    for (int64_t i = 0; i < te.p->n; i++) {
        split_make(&te, i);
        if (!*(uint8_t *)te.slot[HCS_F_ACTIVE] || F32(&te, HCS_F_DOSE) < top) continue;
        for (int a = 0; a < HCS_AXES; a++) x[a] = ((float *)te.slot[HCS_F_PHENOTYPE])[a];
        ph_ridge_predict(&m, x, 1, pred);
        const int truth = I32(&te, HCS_F_COMPOUND);
        for (int c = 0; c < C; c++) {
            double dotp = 0, bits = 0;
            for (int b = 0; b < B; b++)
                if (hcs_library_bit(l, c, b)) dotp += pred[b], bits++;
            score[c] = dotp / sqrt(bits > 0 ? bits : 1);
        }
        int first = 0, above = 0;
        for (int c = 0; c < C; c++) {
            if (score[c] > score[first]) first = c;
            above += score[c] > score[truth];
        }
        exact += first == truth, top10 += above < 10, moa += l->c[first].moa == l->c[truth].moa;
        n++;
    }
    print_message("# phenotype -> fingerprint (ridge) -> retrieval among %d compounds, %d held-out wells at the top "
                  "two doses: exact %.3f, in the top 10 %.3f, MoA of the first %.3f (chance %.3f, %.3f, %.3f)\n",
                  C, n, (double)exact / n, (double)top10 / n, (double)moa / n, 1.0 / C, 10.0 / C, 1.0 / l->moas);
    assert_true(moa > 0.5 * n);
    assert_true(top10 > 5.0 * 10 / C * n);
    assert_true(exact < 0.5 * n);
    ph_ridge_free(&m);
    ph_ridge_stats_free(&st);
    free(y), free(pred), free(score);
    split_close(&tr), split_close(&te);
}

/* ---- images of replicates are alike -------------------------------------------------- */

enum { FEATS = 3 * HCS_CHANNELS };

/* Per channel: mean intensity above the dark offset, mean over the cells
 * (pixels where DNA or AGP rise above the offset) and texture (mean absolute
 * difference of horizontal neighbours within the cells). */
static void image_features(const uint8_t *x, int S, double *f)
{
    int fg = 0;
    double sum[HCS_CHANNELS] = {0}, in[HCS_CHANNELS] = {0}, tex[HCS_CHANNELS] = {0};
    for (int y = 0; y < S; y++)
        for (int q = 0; q < S; q++) {
            const uint8_t *p = x + ((size_t)y * S + q) * HCS_CHANNELS;
            const int cell = p[HCS_DNA] > 30 || p[HCS_AGP] > 30;
            fg += cell;
            for (int c = 0; c < HCS_CHANNELS; c++) {
                sum[c] += p[c];
                if (!cell) continue;
                in[c] += p[c];
                if (q + 1 < S) tex[c] += abs((int)p[c] - (int)p[c + HCS_CHANNELS]);
            }
        }
    for (int c = 0; c < HCS_CHANNELS; c++) {
        f[c] = sum[c] / (S * S);
        f[HCS_CHANNELS + c] = fg ? in[c] / fg : 0;
        f[2 * HCS_CHANNELS + c] = fg ? tex[c] / fg : 0;
    }
}

static void test_replicates_closer(void **state)
{
    (void)state;
    split s;
    split_open(&s, "", "", 0); /* the whole screen */
    const hcs_params *p = s.p;
    const int64_t n = p->n;
    const int S = p->render.size, plates = p->screen.plates, C = p->lib.compounds, D = p->screen.doses;
    double *f = malloc(sizeof *f * (size_t)n * FEATS), *dmso = calloc((size_t)plates * FEATS, sizeof *dmso);
    int *compound = malloc(sizeof(int) * n), *level = malloc(sizeof(int) * n), *plate = malloc(sizeof(int) * n);
    int *rep = malloc(sizeof(int) * n), *ndmso = calloc((size_t)plates, sizeof(int));
    for (int64_t i = 0; i < n; i++) {
        split_make(&s, i);
        image_features(s.slot[HCS_F_X], S, f + i * FEATS);
        compound[i] = I32(&s, HCS_F_COMPOUND), plate[i] = I32(&s, HCS_F_PLATE), rep[i] = I32(&s, HCS_F_REPLICATE);
        level[i] = 0;
        for (int k = 1; k <= D; k++)
            if (F32(&s, HCS_F_DOSE) == (float)hcs_dose_um(&p->screen, k)) level[i] = k;
        if (compound[i] == C) {
            for (int k = 0; k < FEATS; k++) dmso[plate[i] * FEATS + k] += f[i * FEATS + k];
            ndmso[plate[i]]++;
        }
    }
    /* plate normalisation: log of the ratio to the plate's DMSO mean (removes gains) */
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < FEATS; k++)
            f[i * FEATS + k] = log((f[i * FEATS + k] + 1) / (dmso[plate[i] * FEATS + k] / ndmso[plate[i]] + 1));
    /* wells of active compounds at the top dose, one per (compound, replicate) */
    int64_t *at = malloc(sizeof *at * (size_t)C * 2);
    for (int k = 0; k < 2 * C; k++) at[k] = -1;
    for (int64_t i = 0; i < n; i++)
        if (compound[i] < C && level[i] == D && p->lib.c[compound[i]].active && rep[i] < 2)
            at[compound[i] * 2 + rep[i]] = i;
    double same = 0, other = 0;
    long nsame = 0, nother = 0;
    for (int a = 0; a < C; a++) {
        if (at[2 * a] < 0 || at[2 * a + 1] < 0) continue;
        for (int b = 0; b < C; b++) {
            if (at[2 * b + 1] < 0 || (b != a && p->lib.c[a].moa == p->lib.c[b].moa)) continue;
            double d = 0;
            for (int k = 0; k < FEATS; k++) {
                const double e = f[at[2 * a] * FEATS + k] - f[at[2 * b + 1] * FEATS + k];
                d += e * e;
            }
            if (a == b) same += sqrt(d), nsame++;
            else other += sqrt(d), nother++;
        }
    }
    same /= nsame, other /= nother;
    print_message("# image features (plate-normalised), top dose: replicate pairs %.3f (%ld), different MoAs %.3f\n",
                  same, nsame, other);
    assert_true(nsame > 100);
    assert_true(same < 0.8 * other);
    free(f), free(dmso), free(compound), free(level), free(plate), free(rep), free(ndmso), free(at);
    split_close(&s);
}

/* ---- purity and splits ------------------------------------------------------------------ */

static void test_pure_and_split_views(void **state)
{
    (void)state;
    split all, seen, held;
    split_open(&all, "", "", 0);
    split_open(&seen, "", "compounds = seen\n", 0);
    split_open(&held, "", "compounds = held_out\n", 0);
    const hcs_params *a = all.p;
    assert_int_equal(seen.p->nsel + held.p->nsel, a->nsel); /* a partition of the wells */
    assert_int_equal(a->nsel, (int64_t)a->screen.plates * a->screen.wells);
    /* every plate holds every dose of its map's compounds, controls at least `controls` */
    int64_t dmso = 0;
    const size_t bytes = ph_field_sample_bytes(&all.fields[HCS_F_X]);
    uint8_t *x = malloc(bytes);
    for (int64_t i = 0; i < held.p->n; i += 7) {
        split_make(&held, i);
        memcpy(x, held.slot[HCS_F_X], bytes);
        const int32_t c = I32(&held, HCS_F_COMPOUND);
        assert_true(c == a->lib.compounds || a->lib.c[c].held_out);
        /* the same field in the split of all wells: same well id, same pixels */
        int64_t w, j = 0;
        int site;
        hcs_sample_field(held.p, i, &w, &site);
        while (a->sel[j] != w) j++;
        split_make(&all, j);
        assert_memory_equal(all.slot[HCS_F_X], x, bytes);
        split_make(&held, i);
        assert_memory_equal(held.slot[HCS_F_X], x, bytes); /* pure */
        dmso += c == a->lib.compounds;
    }
    assert_true(dmso > 0); /* held-out DMSO wells: the test split has controls of its own */
    for (int64_t i = 0; i < seen.p->n; i += 11) {
        split_make(&seen, i);
        const int32_t c = I32(&seen, HCS_F_COMPOUND);
        assert_true(c == a->lib.compounds || !a->lib.c[c].held_out);
    }
    free(x);
    split_close(&all), split_close(&seen), split_close(&held);

    /* plates: the last batch (replicate 1) is held out; controls = false drops DMSO;
     * a smaller n is an even subset over all plates */
    split ps, ph;
    split_open(&ps, "", "plates = seen\ncontrols = false\n", 0);
    split_open(&ph, "", "plates = held_out\n", 40);
    for (int64_t i = 0; i < ps.p->n; i += 13) {
        split_make(&ps, i);
        assert_int_equal(I32(&ps, HCS_F_BATCH), 0);
        assert_int_not_equal(I32(&ps, HCS_F_COMPOUND), ps.p->lib.compounds);
    }
    int plates_seen[16] = {0};
    for (int64_t i = 0; i < 40; i++) {
        split_make(&ph, i);
        assert_int_equal(I32(&ph, HCS_F_BATCH), 1);
        assert_int_equal(I32(&ph, HCS_F_REPLICATE), 1);
        plates_seen[I32(&ph, HCS_F_PLATE)] = 1;
    }
    for (int q = 4; q < 8; q++) assert_true(plates_seen[q]);
    split_close(&ps), split_close(&ph);
}

static void test_labels(void **state)
{
    (void)state;
    static const char *const labels[] = {"target", "compound", "scaffold", "activity", "dose", "plate", "batch"};
    static const int fields[] = {HCS_F_TARGET, HCS_F_COMPOUND, HCS_F_SCAFFOLD, -1, -1, HCS_F_PLATE, HCS_F_BATCH};
    for (int k = 0; k < 7; k++) {
        char extra[64];
        snprintf(extra, sizeof extra, "\nlabel = %s\nsites = 2\n", labels[k]);
        split s;
        split_open(&s, extra, "", 200);
        for (int64_t i = 0; i < 200; i++) {
            split_make(&s, i);
            const int32_t y = I32(&s, HCS_F_Y);
            assert_true(y >= 0 && y < hcs_label_classes(s.p));
            if (fields[k] >= 0) assert_int_equal(y, I32(&s, fields[k]));
            if (k == 3) assert_int_equal(y, *(uint8_t *)s.slot[HCS_F_ACTIVE]);
            if (k == 4) assert_true(F32(&s, HCS_F_DOSE) == (y ? (float)hcs_dose_um(&s.p->screen, y) : 0.0f));
        }
        split_close(&s);
    }
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library),
        cmocka_unit_test(test_fingerprint_learnable),
        cmocka_unit_test(test_dose_response),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_moa_from_phenotype),
        cmocka_unit_test(test_fingerprint_from_phenotype),
        cmocka_unit_test(test_replicates_closer),
        cmocka_unit_test(test_pure_and_split_views),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests_name("hcs", tests, NULL, NULL);
}
