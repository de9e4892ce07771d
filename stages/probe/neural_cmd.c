/* neural_cmd.c: phasor-probe neural: neural predictivity per layer
 * (Linsley et al., NeurIPS 2023, arXiv 2306.03779; serre-lab/neural_harmonizer,
 * evaluation/metrics.py): leave one image out; regress the sites on the
 * features over the other images' grid locations (PLS, or ridge with an
 * inner-CV penalty); Pearson r per site across the held-out image's grid
 * locations; the median over sites; the mean over folds; divided by the
 * ceiling stored with the sites.
 *
 * The (layer, fold) tasks are dealt to ranks in contiguous blocks; each task's
 * numbers depend only on the inputs, and rank 0 gathers them in task order, so
 * the outputs are the same for any rank count. */
#include "probe.h"

#include "core/error.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "io/provenance.h"
#include "neural/pls.h"
#include "neural/ridge.h"
#include "neural/stats.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LAYERS = 16, NALPHA = 10, INNER_FOLDS = 5 };
typedef enum { METHOD_PLS, METHOD_RIDGE, METHOD_COUNT } method;
static const char *const method_names[METHOD_COUNT + 1] = {"pls", "ridge", NULL}; /* NULL: a probe_opt choice list */
/* ridge penalties: 1e-3 .. 1e6 (features are min-max scaled to [0, 1]) */
static const double alphas[NALPHA] = {1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

typedef struct {
    const char *features, *sites, *out_dir;
    method m;
    int components, max_iter, force, quiet;
    double tol;
} neural_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-probe neural FEATURES.h5 SITES.h5 --out DIR [options]\n"
            "\n"
            "Neural predictivity of every layer of FEATURES.h5 (phasor-probe features) for the\n"
            "sites of SITES.h5 (phasor-probe sites): leave one image out; fit on the other images'\n"
            "grid locations (samples) x channels; Pearson r per site across the held-out image's\n"
            "grid locations; median over sites (undefined r left out); mean over folds; divided by\n"
            "the sites' ceiling.  Parallel over (layer, fold) tasks.\n"
            "\n"
            "options:\n"
            "  --out DIR        output folder (created if missing; required)\n"
            "  --method M       pls (default; NIPALS as sklearn PLSRegression(scale=False)) or ridge\n"
            "                   (penalty from 1e-3..1e6 by %d-fold inner cross-validation over images)\n"
            "  --components A   PLS components (default 25, at most the layer's channels)\n"
            "  --tol t          PLS power-method tolerance (default 1e-4, the original's value)\n"
            "  --max-iter I     PLS power-method iterations (default 500)\n"
            "  --force          replace existing outputs (atomically)\n"
            "  --quiet          no final lines\n"
            "\n"
            "writes: DIR/neural.tsv: layer, raw, ceiling, normalised (raw / ceiling), a row per layer;\n"
            "DIR/neural.h5: per fold (held-out image) /score [L] (median r), /site_r [L, K],\n"
            "/fit [L] (PLS components fitted, or the ridge penalty chosen); root attributes layers,\n"
            "method, raw [L], normalised [L], ceiling.\n"
            "exit status: 0 success, 2 usage error (inputs that do not match), 1 runtime failure.\n",
            INNER_FOLDS);
}

static void parse(int argc, char **argv, neural_options *o)
{
    memset(o, 0, sizeof *o);
    o->m = METHOD_PLS, o->components = 25, o->max_iter = 500, o->tol = 1e-4;
    const char *method_name = method_names[METHOD_PLS];
    const probe_opt opts[] = {
        {"out", PROBE_OPT_STR, &o->out_dir, 0, 0, NULL},
        {"method", PROBE_OPT_CHOICE, &method_name, 0, 0, method_names},
        {"components", PROBE_OPT_INT, &o->components, 1, 4096, NULL},
        {"tol", PROBE_OPT_REAL, &o->tol, 0, 1, NULL},
        {"max-iter", PROBE_OPT_INT, &o->max_iter, 1, 100000, NULL},
        {"force", PROBE_OPT_FLAG, &o->force, 0, 0, NULL},
        {"quiet", PROBE_OPT_FLAG, &o->quiet, 0, 0, NULL}};
    const char *pos[2] = {NULL, NULL};
    const int npos = probe_parse_args("neural", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 2, usage);
    for (int k = 0; k < METHOD_COUNT; k++)
        if (!strcmp(method_name, method_names[k])) o->m = (method)k;
    if (npos != 2) ph_usage_error("neural: expected FEATURES.h5 SITES.h5 (see phasor-probe neural --help)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("neural: missing --out DIR");
    o->features = pos[0], o->sites = pos[1];
}

typedef struct {
    char name[64];
    float *x; /* [N, cells, C] */
    int c;
} layer;

/* One task: layer l, held-out image f -> r per site [K] and the fit's number. */
static void run_task(const neural_options *o, const layer *ly, const float *sites, int64_t N, size_t cells, int K,
                     int64_t f, double *r_out, double *fit_out, ph_ridge_stats *stats)
{
    const int p = ly->c;
    const int n = (int)((N - 1) * (int64_t)cells);
    double *Xte = malloc(cells * p * sizeof *Xte), *pred = malloc(cells * K * sizeof *pred);
    PH_CHECK_ALLOC(Xte && pred, "allocating a regression fold");
    for (size_t i = 0; i < cells * p; i++) Xte[i] = ly->x[(size_t)f * cells * p + i];
    if (o->m == METHOD_PLS) {
        double *X = malloc((size_t)n * p * sizeof *X), *Y = malloc((size_t)n * K * sizeof *Y);
        PH_CHECK_ALLOC(X && Y, "allocating a regression fold");
        size_t row = 0;
        for (int64_t i = 0; i < N; i++) {
            if (i == f) continue;
            for (size_t c = 0; c < cells; c++, row++) {
                for (int j = 0; j < p; j++) X[row * p + j] = ly->x[((size_t)i * cells + c) * p + j];
                for (int k = 0; k < K; k++) Y[row * K + k] = sites[((size_t)i * cells + c) * K + k];
            }
        }
        ph_pls m;
        char why[256];
        if (ph_pls_fit(&m, X, Y, n, p, K, o->components, o->tol, o->max_iter, why, sizeof why))
            PH_FAIL("fitting PLS", why, "this is a bug: leave-one-out folds have at least 2 images"); /* one rank only */
        ph_pls_predict(&m, Xte, (int)cells, pred);
        *fit_out = m.used;
        ph_pls_free(&m);
        free(X), free(Y);
    } else {
        /* the training images' statistics, their rows for the inner folds */
        const int ng = (int)(N - 1);
        const double **xs = malloc((size_t)ng * sizeof *xs), **ys = malloc((size_t)ng * sizeof *ys);
        int *rows = malloc((size_t)ng * sizeof *rows);
        ph_ridge_stats *st = malloc((size_t)ng * sizeof *st);
        PH_CHECK_ALLOC(xs && ys && rows && st, "allocating a regression fold");
        ph_ridge_stats all;
        ph_ridge_stats_init(&all, p, K);
        for (int64_t i = 0, g = 0; i < N; i++) {
            if (i == f) continue;
            st[g] = stats[i]; /* a shallow copy: the statistics stay the caller's */
            rows[g] = (int)cells;
            ph_ridge_stats_add(&all, &stats[i]);
            g++;
        }
        /* rows of the training images in double for the inner folds' errors */
        double *X = malloc((size_t)n * p * sizeof *X), *Y = malloc((size_t)n * K * sizeof *Y);
        PH_CHECK_ALLOC(X && Y, "allocating a regression fold");
        for (int64_t i = 0, g = 0; i < N; i++) {
            if (i == f) continue;
            double *xg = X + (size_t)g * cells * p, *yg = Y + (size_t)g * cells * K;
            for (size_t v = 0; v < cells * p; v++) xg[v] = ly->x[(size_t)i * cells * p + v];
            for (size_t v = 0; v < cells * K; v++) yg[v] = sites[(size_t)i * cells * K + v];
            xs[g] = xg, ys[g] = yg;
            g++;
        }
        const int best = ph_ridge_select(st, xs, ys, rows, ng, INNER_FOLDS, alphas, NALPHA, NULL);
        ph_ridge m;
        ph_ridge_fit_stats(&all, &alphas[best], 1, &m);
        ph_ridge_predict(&m, Xte, (int)cells, pred);
        *fit_out = alphas[best];
        ph_ridge_free(&m);
        ph_ridge_stats_free(&all);
        free(X), free(Y), free(xs), free(ys), free(rows), free(st);
    }
    /* r per site: predictions vs the held-out image's responses */
    double *obs = malloc(cells * sizeof *obs), *pk = malloc(cells * sizeof *pk);
    PH_CHECK_ALLOC(obs && pk, "scoring a fold");
    for (int k = 0; k < K; k++) {
        for (size_t c = 0; c < cells; c++) obs[c] = sites[((size_t)f * cells + c) * K + k], pk[c] = pred[c * K + k];
        r_out[k] = ph_pearson(pk, 1, obs, 1, cells);
    }
    free(obs), free(pk), free(Xte), free(pred);
}

int probe_neural_main(int argc, char **argv)
{
    neural_options o;
    parse(argc, argv, &o);
    char tsv_path[4200], h5_path[4200];
    probe_out_path("neural", o.out_dir, "neural.tsv", o.force, tsv_path, sizeof tsv_path);
    probe_out_path("neural", o.out_dir, "neural.h5", o.force, h5_path, sizeof h5_path);

    /* the sites */
    int nd = 0;
    int64_t sd[8];
    float *sites = probe_read_f32(o.sites, "sites", &nd, sd);
    if (nd != 4) ph_usage_error("neural: %s: /sites is not [N, G, G, K]", o.sites);
    const int64_t N = sd[0];
    const int G = (int)sd[1], K = (int)sd[3];
    const size_t cells = (size_t)G * G;
    const double ceiling = probe_attr_f64(o.sites, "ceiling");
    if (N < 3) ph_usage_error("neural: %s holds %lld images; leave-one-out needs at least 3", o.sites, (long long)N);

    /* the features: every layer listed in the file */
    char *names = probe_attr_str(o.features, "layers", "a phasor-probe features file");
    layer ly[MAX_LAYERS];
    int L = 0;
    for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok && L < MAX_LAYERS; tok = strtok_r(NULL, ",", &save)) {
        char ds[128];
        snprintf(ds, sizeof ds, "features/%s", tok);
        int fd = 0;
        int64_t fdims[8];
        ly[L].x = probe_read_f32(o.features, ds, &fd, fdims);
        snprintf(ly[L].name, sizeof ly[L].name, "%s", tok);
        if (fd != 4) ph_usage_error("neural: %s: /%s is not [N, G, G, C]", o.features, ds);
        if (fdims[0] != N)
            ph_usage_error("neural: %s has %lld images but %s has %lld; give features and sites of the same images",
                           o.features, (long long)fdims[0], o.sites, (long long)N);
        if (fdims[1] != G || fdims[2] != G)
            ph_usage_error("neural: %s is on a %lldx%lld grid but %s on %dx%d; extract features with --grid %d",
                           o.features, (long long)fdims[1], (long long)fdims[2], o.sites, G, G, G);
        ly[L].c = (int)fdims[3];
        L++;
    }
    if (!L) ph_usage_error("neural: %s lists no layers", o.features);

    /* tasks t = l * N + f, contiguous per rank */
    const int64_t T = (int64_t)L * N;
    int64_t t0, tn;
    ph_rank_range(T, 1, ph_rank(), ph_size(), &t0, &tn);
    const int per = K + 1;
    double *mine = malloc((size_t)(tn ? tn : 1) * per * sizeof *mine);
    PH_CHECK_ALLOC(mine, "allocating results");
    int cached = -1;
    ph_ridge_stats *stats = NULL;
    for (int64_t t = t0; t < t0 + tn; t++) {
        const int l = (int)(t / N);
        const int64_t f = t % N;
        if (o.m == METHOD_RIDGE && cached != l) {
            /* per-image sufficient statistics of this layer, once per rank */
            if (stats)
                for (int64_t i = 0; i < N; i++) ph_ridge_stats_free(&stats[i]);
            free(stats);
            stats = malloc((size_t)N * sizeof *stats);
            double *xi = malloc(cells * ly[l].c * sizeof *xi), *yi = malloc(cells * K * sizeof *yi);
            PH_CHECK_ALLOC(stats && xi && yi, "allocating ridge statistics");
            for (int64_t i = 0; i < N; i++) {
                for (size_t v = 0; v < cells * ly[l].c; v++) xi[v] = ly[l].x[(size_t)i * cells * ly[l].c + v];
                for (size_t v = 0; v < cells * K; v++) yi[v] = sites[(size_t)i * cells * K + v];
                ph_ridge_stats_init(&stats[i], ly[l].c, K);
                ph_ridge_stats_add_rows(&stats[i], xi, yi, (int)cells);
            }
            free(xi), free(yi);
            cached = l;
        }
        run_task(&o, &ly[l], sites, N, cells, K, f, mine + (t - t0) * per + 1, mine + (t - t0) * per, stats);
    }
    if (stats)
        for (int64_t i = 0; i < N; i++) ph_ridge_stats_free(&stats[i]);
    free(stats);

    /* gathered in task order on rank 0 */
    const int size = ph_size();
    int *counts = malloc((size_t)size * sizeof *counts), *displs = malloc((size_t)size * sizeof *displs);
    double *all = malloc((size_t)T * per * sizeof *all);
    PH_CHECK_ALLOC(counts && displs && all, "gathering results");
    for (int r = 0; r < size; r++) {
        int64_t s, c;
        ph_rank_range(T, 1, r, size, &s, &c);
        counts[r] = (int)(c * per), displs[r] = (int)(s * per);
    }
    PH_CHECK_MPI(MPI_Gatherv(mine, (int)(tn * per), MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD),
                 "gathering the folds' results", "another rank failed");
    PH_CHECK_MPI(MPI_Bcast(all, (int)(T * per), MPI_DOUBLE, 0, MPI_COMM_WORLD), "sharing the folds' results",
                 "rank 0 failed");

    /* per fold: median over sites; per layer: mean over folds */
    float *score = malloc((size_t)N * L * sizeof *score), *site_r = malloc((size_t)N * L * K * sizeof *site_r),
          *fit = malloc((size_t)N * L * sizeof *fit);
    double *raw = malloc((size_t)L * sizeof *raw), *norm = malloc((size_t)L * sizeof *norm), *tmp = malloc((size_t)K * sizeof *tmp);
    PH_CHECK_ALLOC(score && site_r && fit && raw && norm && tmp, "summarising results");
    ph_strbuf tsv = {0};
    ph_sb_printf(&tsv, "layer\traw\tceiling\tnormalised\n");
    for (int l = 0; l < L; l++) {
        double sum = 0;
        int64_t used = 0;
        for (int64_t f = 0; f < N; f++) {
            const double *res = all + ((size_t)l * N + f) * per;
            memcpy(tmp, res + 1, (size_t)K * sizeof *tmp);
            for (int k = 0; k < K; k++) site_r[((size_t)f * L + l) * K + k] = (float)res[1 + k];
            const double med = ph_median_finite(tmp, (size_t)K, NULL);
            score[(size_t)f * L + l] = (float)med, fit[(size_t)f * L + l] = (float)res[0];
            if (!isnan(med)) sum += med, used++;
        }
        raw[l] = used ? sum / (double)used : NAN;
        norm[l] = raw[l] / ceiling;
        ph_sb_printf(&tsv, "%s\t%.6f\t%.6f\t%.6f\n", ly[l].name, raw[l], ceiling, norm[l]);
    }
    if (ph_rank() == 0) probe_write_text(tsv_path, tsv.s, tsv.len);

    ph_field fields[3] = {
        {"score", PH_F32, 1, {(hsize_t)L}, "per fold (held-out image) and layer: median over sites of Pearson r"},
        {"site_r", PH_F32, 2, {(hsize_t)L, (hsize_t)K}, "per fold, layer and site: Pearson r across grid locations"},
        {"fit", PH_F32, 1, {(hsize_t)L}, "PLS components fitted, or the ridge penalty chosen"},
    };
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_WORLD, h5_path, N, fields, 3, N, 0);
    char created[32];
    ph_created_now(MPI_COMM_WORLD, created, sizeof created);
    ph_strbuf conf = {0};
    ph_sb_printf(&conf, "[probe]\ncommand = neural\nfeatures = %s\nsites = %s\nmethod = %s\ncomponents = %d\ntol = %g\nmax_iter = %d\n",
                 o.features, o.sites, method_names[o.m], o.components, o.tol, o.max_iter);
    ph_provenance prov = {"probe", "neural", "", "", -1, conf.s, created};
    ph_provenance_write(&w, &prov);
    ph_strbuf lnames = {0};
    for (int l = 0; l < L; l++) ph_sb_printf(&lnames, "%s%s", l ? "," : "", ly[l].name);
    ph_samples_attr_str(&w, "layers", lnames.s);
    ph_samples_attr_str(&w, "method", method_names[o.m]);
    probe_attr_f64_write(&w, "raw", raw, L);
    probe_attr_f64_write(&w, "normalised", norm, L);
    probe_attr_f64_write(&w, "ceiling", &ceiling, 1);
    const int64_t mine_n = ph_rank() == 0 ? N : 0;
    ph_samples_write(&w, 0, 0, mine_n, score);
    ph_samples_write(&w, 1, 0, mine_n, site_r);
    ph_samples_write(&w, 2, 0, mine_n, fit);
    ph_samples_close(&w);
    if (ph_rank() == 0 && !o.quiet)
        for (int l = 0; l < L; l++)
            fprintf(stderr, "neural: %s %s: raw %.4f, ceiling %.4f, normalised %.4f\n", method_names[o.m], ly[l].name,
                    raw[l], ceiling, norm[l]);
    for (int l = 0; l < L; l++) free(ly[l].x);
    free(names), free(sites), free(mine), free(counts), free(displs), free(all), free(score), free(site_r), free(fit),
        free(raw), free(norm), free(tmp), free(tsv.s), free(conf.s), free(lnames.s);
    return 0;
}
