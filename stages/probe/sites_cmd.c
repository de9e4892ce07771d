/* sites_cmd.c: phasor-probe sites: spatially resolved "neural" responses on
 * a G x G grid per image, with reliability ceilings (the per-image ceiling
 * of the neural harmonizer's IT study, Linsley et al., NeurIPS 2023, arXiv
 * 2306.03779, serre-lab/neural_harmonizer; and a split-half one): synthetic
 * sites driven by a sample file's ground-truth importance map
 * (common/neural/sites.h), or real recordings imported from an [N, X, Y, K]
 * .npy array.
 *
 * Each rank computes its chunk-aligned range of images; the responses are
 * then gathered on every rank, which compute the ceilings over all images in
 * image order (the same numbers on every rank, for any rank count), and each
 * rank writes its rows collectively. */
#include "probe.h"

#include "core/error.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "io/npy_nd.h"
#include "io/provenance.h"
#include "neural/sites.h"
#include "neural/stats.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *samples, *import, *out_dir;
    ph_sites_params sp;
    int chunk, force, quiet;
} sites_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-probe sites SAMPLES.h5 --out DIR [--sites K --grid G --noise s --seed n]\n"
            "       phasor-probe sites --import ARRAY.npy --out DIR\n"
            "\n"
            "Synthetic sites: site k prefers class k mod classes and responds where that class's\n"
            "diagnostic part is: its map is gain * (1, or a weaker response to other classes) *\n"
            "the image's /maps/human resampled to the G x G grid and smoothed, plus Gaussian\n"
            "noise (Philox) in each of the independent repeats.  /sites is the repeats' mean.\n"
            "Imported recordings: an [N, X, Y, K] float32/float64 .npy array (X = Y = the grid),\n"
            "already flipped and averaged over the time window as the recordings need.\n"
            "\n"
            "options:\n"
            "  --out DIR      output folder (created if missing; required)\n"
            "  --sites K      number of sites (default 32, 2..4096)\n"
            "  --grid G       grid side (default 9, 1..256)\n"
            "  --noise s      noise standard deviation (default 0.1, 0..100)\n"
            "  --sigma c      smoothing, grid cells (default 1, 0..64)\n"
            "  --repeats R    independent repeats (default 2, 2..16)\n"
            "  --seed n       Philox seed (default 1)\n"
            "  --chunk C      images per HDF5 chunk (default 16)\n"
            "  --import F     read recordings from the .npy file F instead of making sites\n"
            "  --force        replace an existing sites.h5 (atomically)\n"
            "  --quiet        no final line\n"
            "\n"
            "writes: DIR/sites.h5: /sites float32 [N, G, G, K]; synthetic: /repeats [N, R, G, G, K]\n"
            "and /y (labels); /ceiling [N] the original's per-image ceiling (the largest Pearson r\n"
            "between two sites' maps); root attributes ceiling (its mean over images),\n"
            "split_half (the median over sites of the Spearman-Brown corrected correlation\n"
            "between repeats 1 and 2; NaN for imported data), split_half_sites [K], and per site\n"
            "site_pref, site_gain, site_other.\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n");
}

static void parse(int argc, char **argv, sites_options *o)
{
    memset(o, 0, sizeof *o);
    o->sp = (ph_sites_params){32, 9, 2, 2, 0.1, 1.0, 1};
    o->chunk = 16;
    const probe_opt opts[] = {
        {"out", PROBE_OPT_STR, &o->out_dir, 0, 0, NULL},         {"sites", PROBE_OPT_INT, &o->sp.sites, 2, 4096, NULL},
        {"grid", PROBE_OPT_INT, &o->sp.grid, 1, 256, NULL},      {"noise", PROBE_OPT_REAL, &o->sp.noise, 0, 100, NULL},
        {"sigma", PROBE_OPT_REAL, &o->sp.sigma, 0, 64, NULL},    {"repeats", PROBE_OPT_INT, &o->sp.repeats, 2, 16, NULL},
        {"seed", PROBE_OPT_U32, &o->sp.seed, 0, 4294967295.0, NULL}, {"chunk", PROBE_OPT_INT, &o->chunk, 1, 1 << 20, NULL},
        {"import", PROBE_OPT_STR, &o->import, 0, 0, NULL},       {"force", PROBE_OPT_FLAG, &o->force, 0, 0, NULL},
        {"quiet", PROBE_OPT_FLAG, &o->quiet, 0, 0, NULL}};
    const char *pos[1] = {NULL};
    const int npos = probe_parse_args("sites", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, usage);
    if (o->import && npos) ph_usage_error("sites: give either SAMPLES.h5 or --import ARRAY.npy, not both");
    if (!o->import && npos != 1) ph_usage_error("sites: expected SAMPLES.h5 or --import ARRAY.npy (see phasor-probe sites --help)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("sites: missing --out DIR");
    o->samples = npos ? pos[0] : NULL;
}

/* Every rank's rows [start, start + count) of `per` floats each -> all rows on every rank. */
static float *gather_rows(const float *mine, int64_t n, int64_t chunk, size_t per)
{
    const int size = ph_size();
    int *counts = malloc((size_t)size * sizeof *counts), *displs = malloc((size_t)size * sizeof *displs);
    float *all = malloc((size_t)(n ? n : 1) * per * sizeof *all);
    PH_CHECK_ALLOC(counts && displs && all, "gathering site responses");
    for (int r = 0; r < size; r++) {
        int64_t s, c;
        ph_rank_range(n, chunk, r, size, &s, &c);
        if ((size_t)n * per > 2147483647u)
            PH_FAIL("gathering site responses", "more than 2^31 values", "use fewer images, sites or a smaller grid");
        counts[r] = (int)(c * (int64_t)per), displs[r] = (int)(s * (int64_t)per);
    }
    PH_CHECK_MPI(MPI_Allgatherv(mine, counts[ph_rank()], MPI_FLOAT, all, counts, displs, MPI_FLOAT, MPI_COMM_WORLD),
                 "gathering site responses", "another rank failed");
    free(counts), free(displs);
    return all;
}

/* Per-image ceilings of maps [n, cells, K] and their mean over defined images. */
static double ceilings(const float *maps, int64_t n, size_t cells, int K, float *per_image, int64_t *undefined)
{
    double sum = 0;
    int64_t used = 0;
    for (int64_t i = 0; i < n; i++) {
        double c = ph_ceiling_max_pair(maps + (size_t)i * cells * K, cells, K);
        per_image[i] = (float)c;
        if (!isnan(c)) sum += c, used++;
    }
    *undefined = n - used;
    return used ? sum / (double)used : NAN;
}

static void write_sites(const sites_options *o, const char *out_path, int64_t n, int G, int K, int R,
                        const float *all_sites, const float *all_rep, const int32_t *labels, const char *config)
{
    const size_t cells = (size_t)G * G;
    float *ceil_img = malloc((size_t)(n ? n : 1) * sizeof *ceil_img);
    PH_CHECK_ALLOC(ceil_img, "computing ceilings");
    int64_t undefined = 0;
    const double ceiling = ceilings(all_sites, n, cells, K, ceil_img, &undefined);
    double *half = malloc((size_t)K * sizeof *half), split = NAN;
    PH_CHECK_ALLOC(half, "computing split-half reliability");
    if (all_rep) {
        float *a = malloc((size_t)n * cells * sizeof *a), *b = malloc((size_t)n * cells * sizeof *b);
        PH_CHECK_ALLOC(a && b, "computing split-half reliability");
        for (int k = 0; k < K; k++) {
            for (int64_t i = 0; i < n; i++)
                for (size_t c = 0; c < cells; c++) {
                    const float *img = all_rep + (size_t)i * R * cells * K;
                    a[(size_t)i * cells + c] = img[c * K + k];
                    b[(size_t)i * cells + c] = img[cells * K + c * K + k];
                }
            half[k] = ph_split_half(a, 1, b, 1, (size_t)n * cells);
        }
        double *tmp = malloc((size_t)K * sizeof *tmp);
        PH_CHECK_ALLOC(tmp, "computing split-half reliability");
        memcpy(tmp, half, (size_t)K * sizeof *tmp);
        split = ph_median_finite(tmp, (size_t)K, NULL);
        free(tmp), free(a), free(b);
    } else {
        for (int k = 0; k < K; k++) half[k] = NAN;
    }

    ph_field f[4] = {
        {"sites", PH_F32, 3, {(hsize_t)G, (hsize_t)G, (hsize_t)K}, "site responses [N, G, G, K] (the repeats' mean)"},
        {"ceiling", PH_F32, 0, {0}, "per image: the largest Pearson r between two sites' maps (NaN: none defined)"},
        {"repeats", PH_F32, 4, {(hsize_t)R, (hsize_t)G, (hsize_t)G, (hsize_t)K}, "independent noisy repeats"},
        {"y", PH_I32, 0, {0}, "label of the image (the sites' drive)"},
    };
    const int nf = all_rep ? 4 : 2;
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_WORLD, out_path, n, f, nf, o->chunk, 0);
    char created[32];
    ph_created_now(MPI_COMM_WORLD, created, sizeof created);
    ph_provenance prov = {"probe", o->import ? "imported" : "sites", "", "", o->import ? -1 : (int64_t)o->sp.seed,
                          config, created};
    ph_provenance_write(&w, &prov);
    ph_samples_attr_str(&w, "source", o->import ? o->import : o->samples);
    ph_samples_attr_i64(&w, "grid", G);
    ph_samples_attr_i64(&w, "sites", K);
    ph_samples_attr_i64(&w, "ceiling_undefined_images", undefined);
    probe_attr_f64_write(&w, "ceiling", &ceiling, 1);
    probe_attr_f64_write(&w, "split_half", &split, 1);
    probe_attr_f64_write(&w, "split_half_sites", half, K);
    if (all_rep) {
        double *pref = malloc((size_t)K * 3 * sizeof *pref);
        PH_CHECK_ALLOC(pref, "writing site tuning");
        for (int k = 0; k < K; k++) {
            ph_site_tuning t;
            ph_sites_tuning(&o->sp, k, &t);
            pref[k] = t.pref, pref[K + k] = t.gain, pref[2 * K + k] = t.other;
        }
        probe_attr_f64_write(&w, "site_pref", pref, K);
        probe_attr_f64_write(&w, "site_gain", pref + K, K);
        probe_attr_f64_write(&w, "site_other", pref + 2 * K, K);
        double extra[3] = {o->sp.noise, o->sp.sigma, (double)o->sp.repeats};
        probe_attr_f64_write(&w, "noise", &extra[0], 1);
        probe_attr_f64_write(&w, "sigma", &extra[1], 1);
        free(pref);
    }
    int64_t start, count;
    ph_rank_range(n, w.chunk, ph_rank(), ph_size(), &start, &count);
    ph_samples_write(&w, 0, start, count, all_sites + (size_t)start * cells * K);
    ph_samples_write(&w, 1, start, count, ceil_img + start);
    if (all_rep) {
        ph_samples_write(&w, 2, start, count, all_rep + (size_t)start * R * cells * K);
        ph_samples_write(&w, 3, start, count, labels + start);
    }
    ph_samples_close(&w);
    if (ph_rank() == 0 && !o->quiet)
        fprintf(stderr, "sites: wrote %s: %lld images, %d sites, grid %dx%d, ceiling %.4f, split-half %.4f\n",
                out_path, (long long)n, K, G, G, ceiling, split);
    free(ceil_img), free(half);
}

static void run_import(const sites_options *o, const char *out_path)
{
    float *a = NULL;
    int nd = 0;
    int64_t d[PH_NPY_MAX_DIMS];
    char why[512];
    if (ph_npy_read_nd(o->import, &a, &nd, d, why, sizeof why))
        ph_usage_error("sites: --import %s: %s", o->import, why);
    if (nd != 4) ph_usage_error("sites: --import %s: the array has %d dimensions; [N, X, Y, K] expected", o->import, nd);
    if (d[1] != d[2]) ph_usage_error("sites: --import %s: the grid is %lldx%lld; a square X = Y grid is expected",
                                     o->import, (long long)d[1], (long long)d[2]);
    if (d[3] < 2) ph_usage_error("sites: --import %s: %lld site(s); the ceiling needs at least 2", o->import, (long long)d[3]);
    ph_strbuf conf = {0};
    ph_sb_printf(&conf, "[probe]\ncommand = sites\nimport = %s\n", o->import);
    write_sites(o, out_path, d[0], (int)d[1], (int)d[3], 0, a, NULL, NULL, conf.s);
    free(conf.s), free(a);
}

static void run_synthetic(sites_options *o, const char *out_path)
{
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, o->samples);
    if (!ph_samples_has(&r, "maps/human"))
        ph_usage_error("sites: %s has no /maps/human (generate the diagnostic challenge, or import maps)", o->samples);
    ph_field fm;
    ph_samples_field(&r, "maps/human", &fm);
    if (fm.ndims != 2 || fm.type != PH_F32) ph_usage_error("sites: %s: /maps/human is not float32 [N, H, W]", o->samples);
    const int64_t n = r.n;
    int32_t *labels = malloc((size_t)(n ? n : 1) * sizeof *labels);
    PH_CHECK_ALLOC(labels, "reading labels");
    ph_samples_labels_read(&r, 0, n, labels, 0);
    int most = 1;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0) ph_usage_error("sites: %s: label %d of image %lld is negative", o->samples, labels[i], (long long)i);
        most = labels[i] > most ? labels[i] : most;
    }
    o->sp.classes = most + 1;
    const int G = o->sp.grid, K = o->sp.sites, R = o->sp.repeats;
    const size_t cells = (size_t)G * G, H = fm.dims[0], W = fm.dims[1];
    int64_t chunk = o->chunk < n ? o->chunk : (n ? n : 1);
    int64_t start, count;
    ph_rank_range(n, chunk, ph_rank(), ph_size(), &start, &count);
    float *maps = malloc((size_t)(count ? count : 1) * H * W * sizeof *maps);
    float *rep = malloc((size_t)(count ? count : 1) * R * cells * K * sizeof *rep);
    float *mean = malloc((size_t)(count ? count : 1) * cells * K * sizeof *mean);
    PH_CHECK_ALLOC(maps && rep && mean, "making site responses");
    ph_samples_read(&r, "maps/human", PH_F32, start, count, maps);
    ph_samples_reader_close(&r);
    for (int64_t i = 0; i < count; i++) {
        float *ri = rep + (size_t)i * R * cells * K, *mi = mean + (size_t)i * cells * K;
        ph_sites_image(&o->sp, maps + (size_t)i * H * W, (int)H, (int)W, labels[start + i], start + i, ri);
        for (size_t v = 0; v < cells * K; v++) {
            double s = 0;
            for (int q = 0; q < R; q++) s += ri[(size_t)q * cells * K + v];
            mi[v] = (float)(s / R);
        }
    }
    float *all_rep = gather_rows(rep, n, chunk, (size_t)R * cells * K);
    float *all_mean = gather_rows(mean, n, chunk, cells * K);
    ph_strbuf conf = {0};
    ph_sb_printf(&conf, "[probe]\ncommand = sites\nsamples = %s\nsites = %d\ngrid = %d\nnoise = %g\nsigma = %g\nrepeats = %d\nseed = %u\n",
                 o->samples, K, G, o->sp.noise, o->sp.sigma, R, o->sp.seed);
    o->chunk = (int)chunk;
    write_sites(o, out_path, n, G, K, R, all_mean, all_rep, labels, conf.s);
    free(conf.s), free(maps), free(rep), free(mean), free(all_rep), free(all_mean), free(labels);
}

int probe_sites_main(int argc, char **argv)
{
    sites_options o;
    parse(argc, argv, &o);
    char out_path[4200];
    probe_out_path("sites", o.out_dir, "sites.h5", o.force, out_path, sizeof out_path);
    if (o.import) run_import(&o, out_path);
    else run_synthetic(&o, out_path);
    return 0;
}
