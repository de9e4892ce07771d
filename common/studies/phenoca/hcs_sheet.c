/* phasor-analyze hcs-sheet: what a synthetic screen looks like.
 *
 * Rows: DMSO control fields first (from wells spread over the file), then
 * one row per MoA (the first --moas MoAs that have a usable compound): the
 * active compound of that MoA seen at every dose whose potency lies nearest
 * the middle of the dose range, so that its dose-response shows, one field
 * per dose from the lowest (left) to the highest (right).  A field is drawn
 * twice: DNA blue, ER green, AGP red (left) and DNA blue, RNA green, Mito red
 * (right).  Each channel is scaled the same way in every tile, from the 1st to
 * the 99.5th percentile of its DMSO pixels, so brightness compares across
 * rows.  A grey band above each column rises with the dose; a band left of
 * each row is dark for DMSO and coloured for a MoA.
 *
 * Every rank reads the metadata and picks the same samples; rank 0 reads
 * the images and writes DIR/hcs_sheet.png and DIR/hcs_sheet.tsv (one line
 * per tile), so the outputs do not depend on the rank count. */
#include "hcs_sheet.h"

#include "challenges/hcs/hcs.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "io/h5samples.h"
#include "io/png.h"
#include "studies/report_util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MOAS_DEFAULT = 4, MOAS_MAX = 16, COLS_MAX = HCS_MAX_DOSES, GUTTER = 4, BAND = 8 };

typedef struct {
    const char *samples, *out_dir;
    int moas, force, quiet;
} sheet_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze hcs-sheet SAMPLES.h5 --out DIR [options]\n"
            "\n"
            "The contact sheet of a synthetic screen (a sample file of challenge hcs):\n"
            "a row of DMSO control fields, then for each of the first K MoAs one active\n"
            "compound at every dose, lowest dose left.  Each field is shown as two\n"
            "false-colour composites: DNA blue, ER green, AGP red; DNA blue, RNA green,\n"
            "Mito red.  Channels are scaled alike in every tile (1st to 99.5th percentile\n"
            "of the DMSO pixels).  The file must hold every dose of some active compound.\n"
            "\n"
            "options:\n"
            "  --out DIR   output folder (created if missing; required)\n"
            "  --moas K    MoA rows (default %d, 1..%d)\n"
            "  --force     replace existing outputs (atomically)\n"
            "  --quiet     no final line\n"
            "  --help      this text\n"
            "\n"
            "writes: DIR/hcs_sheet.png, DIR/hcs_sheet.tsv (row, column, sample index,\n"
            "compound, MoA, target, dose, potency, plate, well row and column per tile).\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            MOAS_DEFAULT, MOAS_MAX);
}

static void options_parse(int argc, char **argv, sheet_options *o)
{
    static const struct option longs[] = {{"out", required_argument, 0, 'o'}, {"moas", required_argument, 0, 'm'},
                                          {"force", no_argument, 0, 'f'},     {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->moas = MOAS_DEFAULT;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "-:", longs, NULL)) != -1;) {
        switch (c) {
        case 1:
            if (o->samples) ph_usage_error("hcs-sheet: one sample file only (got '%s' and '%s')", o->samples, optarg);
            o->samples = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'm': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > MOAS_MAX)
                ph_usage_error("hcs-sheet: --moas must be an integer in 1..%d, got '%s'", MOAS_MAX, optarg);
            o->moas = (int)v;
            break;
        }
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("hcs-sheet: option '%s' needs a value (see phasor-analyze hcs-sheet --help)", argv[optind - 1]);
        default: ph_usage_error("hcs-sheet: unknown option '%s' (see phasor-analyze hcs-sheet --help)", argv[optind - 1]);
        }
    }
    if (!o->samples) ph_usage_error("hcs-sheet: no sample file given (phasor-analyze hcs-sheet SAMPLES.h5 --out DIR)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("hcs-sheet: missing --out DIR (the folder for the sheet)");
}

/* The per-sample metadata the choice needs. */
typedef struct {
    int64_t n;
    int32_t *compound, *moa, *target, *plate;
    int16_t *well;
    uint8_t *active;
    float *dose, *potency;
} meta;

static void *meta_read(ph_samples_reader *r, const char *name, ph_dtype t, int per)
{
    if (!ph_samples_has(r, name))
        ph_usage_error("hcs-sheet: %s has no /%s (give a sample file of challenge hcs)", r->path, name);
    void *buf = malloc((size_t)r->n * per * ph_dtype_size(t));
    PH_CHECK_ALLOC(buf, "allocating metadata");
    ph_samples_read(r, name, t, 0, r->n, buf);
    return buf;
}

static void meta_init(meta *m, ph_samples_reader *r)
{
    m->n = r->n;
    m->compound = meta_read(r, "meta/compound", PH_I32, 1);
    m->moa = meta_read(r, "meta/moa", PH_I32, 1);
    m->target = meta_read(r, "meta/target", PH_I32, 1);
    m->plate = meta_read(r, "meta/plate", PH_I32, 1);
    m->well = meta_read(r, "meta/well", PH_I16, 3);
    m->active = meta_read(r, "meta/active", PH_U8, 1);
    m->dose = meta_read(r, "meta/dose", PH_F32, 1);
    m->potency = meta_read(r, "meta/potency", PH_F32, 1);
}

static void meta_free(meta *m)
{
    free(m->compound), free(m->moa), free(m->target), free(m->plate), free(m->well), free(m->active);
    free(m->dose), free(m->potency);
}

/* Distinct positive doses, ascending (at most COLS_MAX). */
static int doses_find(const meta *m, float *doses)
{
    int nd = 0;
    for (int64_t i = 0; i < m->n; i++) {
        const float d = m->dose[i];
        if (d <= 0) continue;
        int k = 0;
        while (k < nd && doses[k] < d) k++;
        if (k < nd && doses[k] == d) continue;
        if (nd == COLS_MAX) PH_FAIL_ALL(MPI_COMM_WORLD, "choosing the sheet's doses", "more than 8 distinct doses",
                                        "give a sample file of challenge hcs");
        memmove(doses + k + 1, doses + k, sizeof *doses * (size_t)(nd - k));
        doses[k] = d, nd++;
    }
    return nd;
}

static int dose_column(const float *doses, int nd, float d)
{
    for (int k = 0; k < nd; k++)
        if (doses[k] == d) return k;
    return -1;
}

typedef struct {
    int rows, cols;
    int64_t tile[1 + MOAS_MAX][COLS_MAX]; /* sample index, -1 none */
    int moa[1 + MOAS_MAX];                /* -1 for the DMSO row */
} layout;

/* The sheet's samples: every rank decides alike from the same metadata. */
static void layout_choose(const meta *m, const float *doses, int nd, int want, layout *L)
{
    L->cols = nd;
    for (int r = 0; r <= MOAS_MAX; r++)
        for (int k = 0; k < COLS_MAX; k++) L->tile[r][k] = -1;
    /* DMSO: nd fields spread evenly over the file's control wells */
    int64_t ndmso = 0;
    for (int64_t i = 0; i < m->n; i++) ndmso += m->dose[i] <= 0;
    for (int k = 0; k < nd && ndmso; k++) {
        const int64_t want_at = k * ndmso / nd;
        for (int64_t i = 0, j = 0; i < m->n; i++)
            if (m->dose[i] <= 0 && j++ == want_at) {
                L->tile[0][k] = i;
                break;
            }
    }
    L->moa[0] = -1;
    L->rows = 1;

    int32_t max_compound = -1, max_moa = -1;
    for (int64_t i = 0; i < m->n; i++) {
        if (m->compound[i] > max_compound) max_compound = m->compound[i];
        if (m->moa[i] > max_moa) max_moa = m->moa[i];
    }
    /* first sample of each (compound, dose) */
    int64_t *first = malloc(sizeof *first * ((size_t)max_compound + 1) * COLS_MAX);
    PH_CHECK_ALLOC(first, "allocating the sheet's choice");
    for (size_t i = 0; i < ((size_t)max_compound + 1) * COLS_MAX; i++) first[i] = -1;
    for (int64_t i = 0; i < m->n; i++) {
        const int k = m->dose[i] > 0 ? dose_column(doses, nd, m->dose[i]) : -1;
        if (k >= 0 && first[(size_t)m->compound[i] * COLS_MAX + k] < 0) first[(size_t)m->compound[i] * COLS_MAX + k] = i;
    }
    /* potency whose EC50 is the geometric middle of the doses */
    const double mid = 6 - 0.5 * (log10(doses[0]) + log10(doses[nd - 1]));
    for (int moa = 0; moa <= max_moa && L->rows <= want; moa++) {
        int64_t best = -1;
        double best_gap = 1e30;
        for (int32_t c = 0; c <= max_compound; c++) {
            const int64_t i0 = first[(size_t)c * COLS_MAX];
            if (i0 < 0 || m->moa[i0] != moa || !m->active[i0]) continue;
            int all = 1;
            for (int k = 0; k < nd; k++) all &= first[(size_t)c * COLS_MAX + k] >= 0;
            const double gap = fabs(m->potency[i0] - mid);
            if (all && gap < best_gap) best_gap = gap, best = c;
        }
        if (best < 0) continue;
        for (int k = 0; k < nd; k++) L->tile[L->rows][k] = first[(size_t)best * COLS_MAX + k];
        L->moa[L->rows++] = moa;
    }
    free(first);
}

/* Per-channel display range: 1st and 99.5th percentiles of the DMSO tiles' pixels. */
static void range_find(const uint8_t *const *img, int ntiles, size_t pixels, float lo[HCS_CHANNELS],
                       float hi[HCS_CHANNELS])
{
    for (int c = 0; c < HCS_CHANNELS; c++) {
        long long hist[256] = {0}, total = 0;
        for (int t = 0; t < ntiles; t++)
            for (size_t p = 0; p < pixels; p++) hist[img[t][p * HCS_CHANNELS + c]]++, total++;
        long long acc = 0;
        int a = -1, b = 255;
        for (int v = 0; v < 256; v++) {
            acc += hist[v];
            if (a < 0 && acc * 100 >= total) a = v;
            if (acc * 1000 >= total * 995) {
                b = v;
                break;
            }
        }
        lo[c] = (float)(a < 0 ? 0 : a);
        hi[c] = (float)(b > lo[c] ? b : lo[c] + 1);
    }
}

static void fill(uint8_t *rgb, int width, int x0, int y0, int w, int h, const uint8_t c[3])
{
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) memcpy(rgb + ((size_t)y * width + x) * 3, c, 3);
}

/* One field as a composite: red, green, blue from channels (r, g, b), each scaled to its range. */
static void composite(uint8_t *rgb, int width, int x0, int y0, const uint8_t *img, int S, int scale,
                      const int chan[3], const float *lo, const float *hi)
{
    for (int y = 0; y < S * scale; y++)
        for (int x = 0; x < S * scale; x++) {
            const uint8_t *p = img + ((size_t)(y / scale) * S + x / scale) * HCS_CHANNELS;
            uint8_t *q = rgb + ((size_t)(y0 + y) * width + x0 + x) * 3;
            for (int k = 0; k < 3; k++) {
                const double v = (p[chan[k]] - lo[chan[k]]) / (hi[chan[k]] - lo[chan[k]]);
                q[k] = (uint8_t)lround(255 * (v < 0 ? 0 : v > 1 ? 1 : v));
            }
        }
}

int ph_analyze_hcs_sheet_main(int argc, char **argv)
{
    sheet_options o;
    options_parse(argc, argv, &o);
    static const char *const outputs[] = {"hcs_sheet.png", "hcs_sheet.tsv"};
    report_outputs_check("hcs-sheet", o.out_dir, outputs, 2, o.force);

    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, o.samples);
    ph_field x;
    ph_samples_field(&r, "x", &x);
    if (x.ndims != 3 || x.dims[2] != HCS_CHANNELS || x.dims[0] != x.dims[1] || x.dims[0] > 512)
        ph_usage_error("hcs-sheet: %s: /x is not [N, S, S, 5] fields of view (give a sample file of challenge hcs)",
                       o.samples);
    const int S = (int)x.dims[0], scale = S >= 128 ? 1 : 128 / S;
    meta m;
    meta_init(&m, &r);
    float doses[COLS_MAX];
    const int nd = doses_find(&m, doses);
    layout L;
    if (nd) layout_choose(&m, doses, nd, o.moas, &L);
    if (!nd || L.rows < 2)
        ph_usage_error("hcs-sheet: %s holds no active compound at every dose (generate more samples, or a split "
                       "with compounds = all or seen)", o.samples);

    /* rank 0 reads the tiles; the others take part in each collective read with nothing */
    const size_t bytes = (size_t)S * S * HCS_CHANNELS;
    uint8_t *tiles[1 + MOAS_MAX][COLS_MAX] = {{0}};
    for (int row = 0; row < L.rows; row++)
        for (int k = 0; k < L.cols; k++) {
            if (L.tile[row][k] < 0) continue;
            if (ph_rank() == 0) {
                tiles[row][k] = malloc(bytes);
                PH_CHECK_ALLOC(tiles[row][k], "allocating a tile");
            }
            ph_samples_read(&r, "x", PH_U8, L.tile[row][k], ph_rank() == 0, tiles[row][k]);
        }
    ph_samples_reader_close(&r);

    if (ph_rank() == 0) {
        const uint8_t *dmso[COLS_MAX];
        int nd0 = 0;
        for (int k = 0; k < L.cols; k++)
            if (tiles[0][k]) dmso[nd0++] = tiles[0][k];
        float lo[HCS_CHANNELS], hi[HCS_CHANNELS];
        if (nd0) {
            range_find(dmso, nd0, (size_t)S * S, lo, hi);
        } else { /* no controls in the file: the compounds' tiles set the range */
            const uint8_t *all[MOAS_MAX * COLS_MAX];
            int na = 0;
            for (int row = 1; row < L.rows; row++)
                for (int k = 0; k < L.cols; k++)
                    if (tiles[row][k]) all[na++] = tiles[row][k];
            range_find(all, na, (size_t)S * S, lo, hi);
        }
        const int fw = S * scale, cell = 2 * fw + GUTTER / 2;
        const int width = GUTTER + BAND + GUTTER + L.cols * (cell + GUTTER);
        const int height = GUTTER + BAND + GUTTER + L.rows * (fw + GUTTER);
        uint8_t *rgb = malloc((size_t)width * height * 3);
        PH_CHECK_ALLOC(rgb, "allocating the sheet");
        static const uint8_t grey[3] = {96, 96, 96}, empty[3] = {40, 40, 40}, dark[3] = {20, 20, 20};
        fill(rgb, width, 0, 0, width, height, grey);
        static const int set_a[3] = {HCS_AGP, HCS_ER, HCS_DNA}, set_b[3] = {HCS_MITO, HCS_RNA, HCS_DNA};
        ph_strbuf tsv = {0};
        ph_sb_printf(&tsv, "row\tcolumn\tsample\tcompound\tmoa\ttarget\tdose_um\tpotency\tplate\twell_row\twell_col\n");
        for (int k = 0; k < L.cols; k++) {
            const uint8_t level = (uint8_t)(60 + 195 * (k + 1) / L.cols), c[3] = {level, level, level};
            fill(rgb, width, GUTTER + BAND + GUTTER + k * (cell + GUTTER), GUTTER, cell, BAND, c);
        }
        for (int row = 0; row < L.rows; row++) {
            const int y0 = GUTTER + BAND + GUTTER + row * (fw + GUTTER);
            uint8_t band[3] = {dark[0], dark[1], dark[2]};
            if (L.moa[row] >= 0) { /* a hue per MoA row */
                const double h = 6.0 * (row - 1) / (L.rows - 1);
                const int i = (int)h % 6;
                const double f = h - floor(h);
                const double rgbf[6][3] = {{1, f, 0}, {1 - f, 1, 0}, {0, 1, f}, {0, 1 - f, 1}, {f, 0, 1}, {1, 0, 1 - f}};
                for (int q = 0; q < 3; q++) band[q] = (uint8_t)lround(60 + 195 * rgbf[i][q]);
            }
            fill(rgb, width, GUTTER, y0, BAND, fw, band);
            for (int k = 0; k < L.cols; k++) {
                const int x0 = GUTTER + BAND + GUTTER + k * (cell + GUTTER);
                const int64_t i = L.tile[row][k];
                if (i < 0) {
                    fill(rgb, width, x0, y0, cell, fw, empty);
                    continue;
                }
                composite(rgb, width, x0, y0, tiles[row][k], S, scale, set_a, lo, hi);
                composite(rgb, width, x0 + fw + GUTTER / 2, y0, tiles[row][k], S, scale, set_b, lo, hi);
                ph_sb_printf(&tsv, "%d\t%d\t%lld\t%d\t%d\t%d\t%.6g\t%.4f\t%d\t%d\t%d\n", row, k, (long long)i,
                             m.compound[i], m.moa[i], m.target[i], m.dose[i], m.potency[i], m.plate[i],
                             m.well[3 * i], m.well[3 * i + 1]);
            }
        }
        char png[4200], tsv_path[4200];
        snprintf(png, sizeof png, "%s/hcs_sheet.png", o.out_dir);
        snprintf(tsv_path, sizeof tsv_path, "%s/hcs_sheet.tsv", o.out_dir);
        ph_png_write_rgb(png, width, height, rgb);
        const char *const paths[1] = {tsv_path}, *const texts[1] = {tsv.s};
        ph_write_files_atomic(1, paths, texts);
        if (!o.quiet)
            fprintf(stderr, "phasor-analyze: hcs-sheet: wrote %s (%d rows: DMSO and %d MoAs; %d doses)\n", png, L.rows,
                    L.rows - 1, L.cols);
        free(rgb);
        free(tsv.s);
    }
    for (int row = 0; row < L.rows; row++)
        for (int k = 0; k < L.cols; k++) free(tiles[row][k]);
    meta_free(&m);
    return 0;
}
