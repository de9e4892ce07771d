/* phasor-analyze svrt-report: the SVRT study's report (docs/studies/svrt.md) from
 * the sweeps' evaluations.
 *
 * Reads every point's analyze/evaluate.tsv (phasor-analyze evaluate: best.h5 on
 * the held-out test split) of one or more run folders of slurm/submit, and
 * writes into --out:
 *   REPORT.md              the scale, accuracy per problem x model x training size,
 *                          cluster means, the taxonomy and its agreement with the
 *                          published one, attention gains, checks of the expected
 *                          directions, missing points
 *   accuracy.tsv           every number of the accuracy table
 *   linkage.tsv            the Ward merges (the dendrogram as numbers)
 *   sample_efficiency.png  accuracy against training size, per model
 *   dendrogram.png         the taxonomy, leaves coloured by published cluster
 *   attention_gain.png     attention gain against the plain model's accuracy
 * Runs on rank 0; other ranks only take part in MPI start and end. */
#include "svrt_report.h"

#include "svrt_cluster.h"
#include "studies/report_util.h"
#include "studies/report_plot.h"
#include "studies/reference.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/rng.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"

#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { NPROB = 23, MAX_MODELS = 16, MAX_SIZES = 16, MAX_RUNS = 16, MAX_MISSING = 64,
       PERMUTATIONS_DEFAULT = 10000, NCLUSTER = 4 };

/* ---- the published taxonomy (taxonomy.tsv) ---------------------------------------- */

enum { SD1, SD2, SR1, SR2 };
static const char *const cluster_names[NCLUSTER] = {"SD1", "SD2", "SR1", "SR2"};
static int published[NPROB + 1]; /* cluster of problem p; taxonomy_load fills it */

static void taxonomy_load(void)
{
    ph_reference r;
    ph_reference_load(&r, "svrt/taxonomy.tsv");
    published[0] = -1;
    for (int p = 1; p <= NPROB; p++) published[p] = -2;
    for (int i = 0; i < r.nrows; i++) {
        const double p = ph_reference_num(&r, i, "problem");
        const char *c = ph_reference_cell(&r, i, "cluster");
        int k = 0;
        while (k < NCLUSTER && strcmp(cluster_names[k], c)) k++;
        if (p != (int)p || p < 1 || p > NPROB || k == NCLUSTER)
            PH_FAIL("reading svrt/taxonomy.tsv", "a problem outside 1..23 or a cluster other than SD1, SD2, SR1, SR2",
                    "fix common/studies/svrt/taxonomy.tsv and rebuild");
        published[(int)p] = k;
    }
    for (int p = 1; p <= NPROB; p++)
        if (published[p] < 0) PH_FAIL("reading svrt/taxonomy.tsv", "a problem has no cluster", "fix the file and rebuild");
    ph_reference_free(&r);
}
static int is_sd(int problem) { return published[problem] <= SD2; }
/* Groups of problems the tables summarise: the four clusters, then SD, SR, all. */
enum { NGROUPS = 7 };
static const char *const group_names[NGROUPS] = {"SD1", "SD2", "SR1", "SR2", "SD", "SR", "all"};
static int in_group(int problem, int g)
{
    if (g < NCLUSTER) return published[problem] == g;
    if (g == 4) return is_sd(problem);
    if (g == 5) return !is_sd(problem);
    return 1;
}

/* ---- options ---------------------------------------------------------------------- */

typedef struct {
    const char *runs[MAX_RUNS];
    int nruns, force, quiet, permutations;
    const char *out_dir;
} report_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze svrt-report RUN [RUN ...] --out DIR [options]\n"
            "\n"
            "The SVRT study's report from the run folders of its sweeps (slurm/submit; each\n"
            "point's analyze stage ran phasor-analyze evaluate on the held-out test split):\n"
            "test accuracy per problem x model x training size, sample-efficiency curves, the\n"
            "task taxonomy by Ward clustering of the problems' accuracy vectors (plain models\n"
            "x sizes) and its adjusted Rand index against the published clusters SD1, SD2,\n"
            "SR1, SR2 (at 4 clusters) and against SD vs SR (at 2), and the gains of attention\n"
            "models over the same model without attention, per cluster.  Points without an\n"
            "evaluation are listed as missing.  make reproduce-svrt runs it.\n"
            "\n"
            "options:\n"
            "  --out DIR           output folder (created if missing; required)\n"
            "  --permutations N    random relabellings for the ARI's permutation p-value\n"
            "                      (default %d, 0 = none)\n"
            "  --force             replace existing outputs (each atomically)\n"
            "  --quiet             no final line\n"
            "  --help              this text\n"
            "\n"
            "writes: DIR/REPORT.md, DIR/accuracy.tsv, DIR/linkage.tsv, DIR/sample_efficiency.png,\n"
            "DIR/dendrogram.png, DIR/attention_gain.png (when there are attention models)\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            PERMUTATIONS_DEFAULT);
}

static void options_parse(int argc, char **argv, report_options *o)
{
    static const struct option longs[] = {{"out", required_argument, 0, 'o'},
                                          {"permutations", required_argument, 0, 'p'},
                                          {"force", no_argument, 0, 'f'},
                                          {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->permutations = PERMUTATIONS_DEFAULT;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "-:", longs, NULL)) != -1;) {
        switch (c) {
        case 1:
            if (o->nruns == MAX_RUNS) ph_usage_error("svrt-report: at most %d run folders", MAX_RUNS);
            o->runs[o->nruns++] = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'p': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 0 || v > 10000000)
                ph_usage_error("svrt-report: --permutations must be an integer in 0..10000000, got '%s'", optarg);
            o->permutations = (int)v;
            break;
        }
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("svrt-report: option '%s' needs a value (see phasor-analyze svrt-report --help)", argv[optind - 1]);
        default: ph_usage_error("svrt-report: unknown option '%s' (see phasor-analyze svrt-report --help)", argv[optind - 1]);
        }
    }
    if (!o->nruns) ph_usage_error("svrt-report: no run folder given (phasor-analyze svrt-report RUN... --out DIR)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("svrt-report: missing --out DIR (the folder for REPORT.md)");
}

/* ---- reading the run folders ----------------------------------------------------------- */

/* "key=value;..." -> value of key into out ("" if absent). */
static void config_get(const char *conf, const char *key, char *out, size_t n)
{
    out[0] = 0;
    size_t kl = strlen(key);
    for (const char *p = conf; p && *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            snprintf(out, n, "%.*s", (int)(len - kl - 1), p + kl + 1);
            return;
        }
        p = e ? e + 1 : NULL;
    }
}

typedef struct {
    char label[160]; /* shown in tables: "ResNet-10 w8", "ResNet-10 w8 + spatial attention" */
    char base[160];  /* label of the same model without attention; "" for a plain model */
    char attention[32];
    int depth, width;
    int base_index; /* models[] index of base, -1 if none or not evaluated */
} model_info;

typedef struct {
    const char *path;
    int points, evaluated;
    char missing[MAX_MISSING][160];
    int nmissing;
    double stage_seconds[3]; /* generate, train, analyze: summed over points */
    time_t first_start, last_done;
} run_info;

typedef struct {
    model_info models[MAX_MODELS];
    int nmodels;
    long long sizes[MAX_SIZES];
    int nsizes;
    double acc[NPROB + 1][MAX_MODELS][MAX_SIZES]; /* NAN: not evaluated */
    long long ntest[NPROB + 1][MAX_MODELS][MAX_SIZES];
    run_info runs[MAX_RUNS];
    int nruns;
    char settings[8][160]; /* distinct "steps S, batch B, lr L, validation V" */
    int nsettings;
    long long test_min, test_max;
    int nevaluated;
} study;

/* Label of a model from its name and config line; base = the same without attention. */
static void model_describe(const char *model, const char *conf, model_info *m)
{
    memset(m, 0, sizeof *m);
    m->base_index = -1;
    if (strcmp(model, "resnet")) {
        snprintf(m->label, sizeof m->label, "%s (%s)", model, conf);
        snprintf(m->attention, sizeof m->attention, "none");
        return;
    }
    char depth[16], width[16], stem[32], norm[32], stage[16];
    config_get(conf, "depth", depth, sizeof depth);
    config_get(conf, "width", width, sizeof width);
    config_get(conf, "stem", stem, sizeof stem);
    config_get(conf, "norm", norm, sizeof norm);
    config_get(conf, "attention", m->attention, sizeof m->attention);
    config_get(conf, "attention_stage", stage, sizeof stage);
    if (!m->attention[0]) snprintf(m->attention, sizeof m->attention, "none");
    m->depth = atoi(depth), m->width = atoi(width);
    char base[160];
    snprintf(base, sizeof base, "ResNet-%s w%s%s%s%s%s", depth, width, strcmp(stem, "imagenet") ? " " : "",
             strcmp(stem, "imagenet") ? stem : "", strcmp(norm, "batch") ? " norm=" : "",
             strcmp(norm, "batch") ? norm : "");
    if (!strcmp(m->attention, "none")) {
        snprintf(m->label, sizeof m->label, "%s", base);
    } else {
        snprintf(m->label, sizeof m->label, "%s + %s attention (stage %s)", base, m->attention, stage);
        snprintf(m->base, sizeof m->base, "%s", base);
    }
}

static int model_index(study *s, const model_info *m)
{
    for (int i = 0; i < s->nmodels; i++)
        if (!strcmp(s->models[i].label, m->label)) return i;
    if (s->nmodels == MAX_MODELS) PH_FAIL("collecting models", "more than 16 models", "report fewer sweeps at once");
    s->models[s->nmodels] = *m;
    for (int p = 0; p <= NPROB; p++)
        for (int k = 0; k < MAX_SIZES; k++) s->acc[p][s->nmodels][k] = NAN;
    return s->nmodels++;
}

static int size_index(study *s, long long n)
{
    for (int i = 0; i < s->nsizes; i++)
        if (s->sizes[i] == n) return i;
    if (s->nsizes == MAX_SIZES) PH_FAIL("collecting training sizes", "more than 16 sizes", "report fewer sweeps at once");
    s->sizes[s->nsizes] = n;
    return s->nsizes++;
}

static void study_read_run(study *s, const char *run)
{
    run_info *r = &s->runs[s->nruns++];
    memset(r, 0, sizeof *r);
    r->path = run;
    char path[4200];
    snprintf(path, sizeof path, "%s/points.tsv", run);
    char *points = report_file_slurp(path);
    if (!points)
        ph_usage_error("svrt-report: %s has no points.tsv: not a run folder of slurm/submit (give runs/NAME)", run);
    char *save = NULL, *header = strtok_r(points, "\n", &save);
    (void)header;
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char point[32];
        if (sscanf(line, "%31s", point) != 1) continue;
        r->points++;
        static const char *const stages[3] = {"generate", "train", "analyze"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/p%s/%s.log", run, point, stages[k]);
            report_log_times(path, &r->stage_seconds[k], &r->first_start, &r->last_done);
        }
        snprintf(path, sizeof path, "%s/p%s/analyze/evaluate.tsv", run, point);
        report_tsv t;
        if (report_tsv_read(path, "phasor-analyze evaluate", &t)) {
            if (r->nmissing < MAX_MISSING) {
                /* the axis values, tab-separated in points.tsv, shown as "a b c" */
                char *v = strchr(line, '\t');
                snprintf(r->missing[r->nmissing], sizeof r->missing[0], "p%s (%s)", point, v ? v + 1 : "");
                for (char *c = r->missing[r->nmissing]; *c; c++)
                    if (*c == '\t') *c = ' ';
            }
            r->nmissing++;
            continue;
        }
        const char *cond = report_tsv_need(&t, "condition", path), *challenge = report_tsv_need(&t, "challenge", path);
        int problem = 0;
        if (strcmp(challenge, "svrt") || sscanf(cond, "problem%d", &problem) != 1 || problem < 1 || problem > NPROB) {
            char what[4300];
            snprintf(what, sizeof what, "reading %s", path);
            PH_FAIL(what, "the test file is not an SVRT problem (challenge svrt, condition problemNN)",
                    "give run folders of the SVRT study (configs/svrt_study*.ini)");
        }
        model_info m;
        model_describe(report_tsv_need(&t, "model", path), report_tsv_need(&t, "model_config", path), &m);
        const int mi = model_index(s, &m);
        const int si = size_index(s, atoll(report_tsv_need(&t, "train_n", path)));
        if (!isnan(s->acc[problem][mi][si])) {
            char what[4300];
            snprintf(what, sizeof what, "reading %s", path);
            PH_FAIL(what, "this problem, model and training size was already read from another point",
                    "give each sweep once, or sweeps without common points");
        }
        const long long n = atoll(report_tsv_need(&t, "n", path));
        s->acc[problem][mi][si] = atof(report_tsv_need(&t, "accuracy", path));
        s->ntest[problem][mi][si] = n;
        s->test_min = !s->nevaluated || n < s->test_min ? n : s->test_min;
        s->test_max = !s->nevaluated || n > s->test_max ? n : s->test_max;
        s->nevaluated++, r->evaluated++;
        const char *vn = report_tsv_get(&t, "val_n");
        char set[160];
        snprintf(set, sizeof set, "%s steps of batch %s, AdamW learning rate %s%s%s", report_tsv_need(&t, "steps", path),
                 report_tsv_need(&t, "batch", path), report_tsv_need(&t, "lr", path), vn ? ", validation split " : "", vn ? vn : "");
        int known = 0;
        for (int i = 0; i < s->nsettings; i++) known |= !strcmp(s->settings[i], set);
        if (!known && s->nsettings < 8) snprintf(s->settings[s->nsettings++], sizeof s->settings[0], "%s", set);
        free(t.text);
    }
    free(points);
}

/* Plain models first (by depth, width), then attention models (by base, kind). */
static int model_cmp(const void *pa, const void *pb)
{
    const model_info *a = pa, *b = pb;
    int aa = strcmp(a->attention, "none") != 0, ab = strcmp(b->attention, "none") != 0;
    if (aa != ab) return aa - ab;
    if (a->depth != b->depth) return a->depth - b->depth;
    if (a->width != b->width) return a->width - b->width;
    return strcmp(a->label, b->label);
}

static void study_sort(study *s)
{
    /* Sort models and sizes, permuting the accuracy cells alike. */
    int morder[MAX_MODELS], sorder[MAX_SIZES];
    model_info sorted[MAX_MODELS];
    memcpy(sorted, s->models, sizeof sorted);
    qsort(sorted, (size_t)s->nmodels, sizeof sorted[0], model_cmp);
    for (int i = 0; i < s->nmodels; i++)
        for (int j = 0; j < s->nmodels; j++)
            if (!strcmp(sorted[i].label, s->models[j].label)) morder[i] = j;
    for (int i = 0; i < s->nsizes; i++) sorder[i] = i;
    for (int i = 1; i < s->nsizes; i++)
        for (int j = i; j > 0 && s->sizes[sorder[j]] < s->sizes[sorder[j - 1]]; j--) {
            int t = sorder[j];
            sorder[j] = sorder[j - 1], sorder[j - 1] = t;
        }
    static double acc[NPROB + 1][MAX_MODELS][MAX_SIZES];
    static long long nt[NPROB + 1][MAX_MODELS][MAX_SIZES];
    long long sizes[MAX_SIZES];
    for (int p = 0; p <= NPROB; p++)
        for (int i = 0; i < s->nmodels; i++)
            for (int k = 0; k < s->nsizes; k++)
                acc[p][i][k] = s->acc[p][morder[i]][sorder[k]], nt[p][i][k] = s->ntest[p][morder[i]][sorder[k]];
    for (int k = 0; k < s->nsizes; k++) sizes[k] = s->sizes[sorder[k]];
    memcpy(s->acc, acc, sizeof acc), memcpy(s->ntest, nt, sizeof nt), memcpy(s->sizes, sizes, sizeof sizes);
    memcpy(s->models, sorted, sizeof sorted);
    for (int i = 0; i < s->nmodels; i++)
        for (int j = 0; j < s->nmodels; j++)
            if (s->models[i].base[0] && !strcmp(s->models[i].base, s->models[j].label)) s->models[i].base_index = j;
}

/* ---- numbers ----------------------------------------------------------------------------- */

/* Mean accuracy of group g for model m at size k over the problems evaluated; NAN if none. */
static double group_mean(const study *s, int g, int m, int k, int *count)
{
    double sum = 0;
    int n = 0;
    for (int p = 1; p <= NPROB; p++)
        if (in_group(p, g) && !isnan(s->acc[p][m][k])) sum += s->acc[p][m][k], n++;
    if (count) *count = n;
    return n ? sum / n : NAN;
}

/* Mean gain of attention model a over its base b at size k in group g (both evaluated). */
static double group_gain(const study *s, int g, int a, int k, int *count)
{
    const int b = s->models[a].base_index;
    double sum = 0;
    int n = 0;
    for (int p = 1; p <= NPROB; p++)
        if (in_group(p, g) && !isnan(s->acc[p][a][k]) && !isnan(s->acc[p][b][k])) sum += s->acc[p][a][k] - s->acc[p][b][k], n++;
    if (count) *count = n;
    return n ? sum / n : NAN;
}

static double pearson(const double *x, const double *y, int n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= n, my /= n;
    for (int i = 0; i < n; i++) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx), syy += (y[i] - my) * (y[i] - my);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

typedef struct {
    int problems[NPROB], n; /* problems clustered (every feature evaluated) */
    int features[MAX_MODELS * MAX_SIZES][2], nfeatures; /* (model, size) */
    svrt_merge merges[NPROB];
    int order[NPROB];
    int cut4[NPROB], cut2[NPROB], pub4[NPROB], pub2[NPROB];
    double ari4, ari2, p4, p2; /* p: permutation p-values (NAN: not computed) */
    int k4, k2;                /* clusters actually made (fewer when fewer problems) */
} taxonomy;

/* P(ARI of a random relabelling of `pub` against `found` >= observed), (1 + hits) / (1 + N). */
static double permutation_p(const int *found, const int *pub, int n, double observed, int perms, uint32_t test)
{
    if (perms <= 0) return NAN;
    int shuffled[NPROB];
    long hits = 0;
    for (int i = 0; i < perms; i++) {
        memcpy(shuffled, pub, (size_t)n * sizeof *pub);
        ph_rng r;
        ph_rng_init(&r, 1, PH_STREAM_PERMUTATION, (uint64_t)i, test);
        for (int j = n - 1; j > 0; j--) {
            int k = (int)ph_rng_below(&r, (uint32_t)j + 1), t = shuffled[j];
            shuffled[j] = shuffled[k], shuffled[k] = t;
        }
        hits += svrt_ari(found, shuffled, n) >= observed - 1e-12;
    }
    return (1.0 + (double)hits) / (1.0 + perms);
}

/* Features: plain models x sizes (every model if none is plain); problems: those with all. */
static void taxonomy_build(const study *s, taxonomy *t, int perms)
{
    memset(t, 0, sizeof *t);
    int plain = 0;
    for (int m = 0; m < s->nmodels; m++) plain += !strcmp(s->models[m].attention, "none");
    for (int m = 0; m < s->nmodels; m++)
        if (!plain || !strcmp(s->models[m].attention, "none"))
            for (int k = 0; k < s->nsizes; k++) t->features[t->nfeatures][0] = m, t->features[t->nfeatures++][1] = k;
    for (int p = 1; p <= NPROB; p++) {
        int all = t->nfeatures > 0;
        for (int f = 0; f < t->nfeatures; f++) all &= !isnan(s->acc[p][t->features[f][0]][t->features[f][1]]);
        if (all) t->problems[t->n++] = p;
    }
    t->ari4 = t->ari2 = t->p4 = t->p2 = NAN;
    if (t->n < 2) return;
    double *x = malloc((size_t)t->n * (size_t)t->nfeatures * sizeof *x);
    PH_CHECK_ALLOC(x, "building the accuracy vectors");
    for (int i = 0; i < t->n; i++)
        for (int f = 0; f < t->nfeatures; f++)
            x[(size_t)i * t->nfeatures + f] = s->acc[t->problems[i]][t->features[f][0]][t->features[f][1]];
    svrt_ward(x, t->n, t->nfeatures, t->merges);
    free(x);
    svrt_dendrogram_order(t->merges, t->n, t->order);
    t->k4 = t->n < NCLUSTER ? t->n : NCLUSTER, t->k2 = 2;
    svrt_cut(t->merges, t->n, t->k4, t->cut4);
    svrt_cut(t->merges, t->n, t->k2, t->cut2);
    /* Published labels renumbered 0.. in order of appearance (ARI needs no gaps). */
    int map4[NCLUSTER] = {-1, -1, -1, -1}, map2[2] = {-1, -1}, n4 = 0, n2 = 0;
    for (int i = 0; i < t->n; i++) {
        int c = published[t->problems[i]], d = is_sd(t->problems[i]) ? 0 : 1;
        if (map4[c] < 0) map4[c] = n4++;
        if (map2[d] < 0) map2[d] = n2++;
        t->pub4[i] = map4[c], t->pub2[i] = map2[d];
    }
    t->ari4 = svrt_ari(t->cut4, t->pub4, t->n);
    t->ari2 = svrt_ari(t->cut2, t->pub2, t->n);
    t->p4 = permutation_p(t->cut4, t->pub4, t->n, t->ari4, perms, 0);
    t->p2 = permutation_p(t->cut2, t->pub2, t->n, t->ari2, perms, 1);
}

/* ---- outputs ------------------------------------------------------------------------------- */

static void sb_acc(ph_strbuf *b, double v)
{
    if (isnan(v))
        ph_sb_printf(b, " - |");
    else
        ph_sb_printf(b, " %.1f |", 100 * v);
}

static void sb_gain(ph_strbuf *b, double v)
{
    if (isnan(v))
        ph_sb_printf(b, " - |");
    else
        ph_sb_printf(b, " %+.1f |", 100 * v);
}

static void write_accuracy_tsv(const study *s, const char *path)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "problem\trelation\tpublished_cluster\tmodel\ttrain_n\ttest_n\taccuracy\n");
    for (int p = 1; p <= NPROB; p++)
        for (int m = 0; m < s->nmodels; m++)
            for (int k = 0; k < s->nsizes; k++)
                if (!isnan(s->acc[p][m][k]))
                    ph_sb_printf(&b, "%d\t%s\t%s\t%s\t%lld\t%lld\t%.6f\n", p, is_sd(p) ? "SD" : "SR",
                                 cluster_names[published[p]], s->models[m].label, s->sizes[k], s->ntest[p][m][k],
                                 s->acc[p][m][k]);
    report_write(path, b.s, b.len);
    free(b.s);
}

/* Node names: a problem "pN", merge j "cJ" (1-based). */
static void node_name(const taxonomy *t, int id, char *out, size_t n)
{
    if (id < t->n)
        snprintf(out, n, "p%d", t->problems[id]);
    else
        snprintf(out, n, "c%d", id - t->n + 1);
}

static void write_linkage_tsv(const taxonomy *t, const char *path)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "merge\tleft\tright\theight\tsize\n");
    for (int m = 0; m + 1 < t->n; m++) {
        char a[16], c[16];
        node_name(t, t->merges[m].a, a, sizeof a);
        node_name(t, t->merges[m].b, c, sizeof c);
        ph_sb_printf(&b, "c%d\t%s\t%s\t%.6f\t%d\n", m + 1, a, c, t->merges[m].height, t->merges[m].size);
    }
    report_write(path, b.s, b.len);
    free(b.s);
}

static const char *const cluster_colors[NCLUSTER] = {"#b2182b", "#ef8a62", "#2166ac", "#67a9cf"};

static void plot_sample_efficiency(const study *s, const char *png)
{
    ph_strbuf b = {0};
    const int cols = s->nmodels < 2 ? 1 : 2, rows = (s->nmodels + cols - 1) / cols;
    ph_sb_printf(&b, "set multiplot layout %d,%d title 'SVRT: test accuracy against training-set size (thin: "
                 "problems, thick: published clusters)'\n", rows, cols);
    ph_sb_printf(&b, "set logscale x\nset xrange [%g:%g]\nset yrange [0.3:1.02]\nset grid\nset key bottom right "
                 "horizontal font ',9'\nset xlabel 'training samples'\nset ylabel 'test accuracy'\nset xtics (",
                 s->sizes[0] / 1.25, s->sizes[s->nsizes - 1] * 1.25);
    for (int k = 0; k < s->nsizes; k++) ph_sb_printf(&b, "%s'%lld' %lld", k ? ", " : "", s->sizes[k], s->sizes[k]);
    ph_sb_printf(&b, ")\n");
    for (int m = 0; m < s->nmodels; m++) {
        /* Data blocks hold only non-empty series: gnuplot does not count empty ones. */
        int nprob = 0, clusters[NCLUSTER], nclus = 0;
        ph_sb_printf(&b, "$P%d << EOD\n", m);
        for (int p = 1; p <= NPROB; p++) {
            int any = 0;
            for (int k = 0; k < s->nsizes; k++)
                if (!isnan(s->acc[p][m][k]))
                    any = 1, ph_sb_printf(&b, "%lld %.6f %d\n", s->sizes[k], s->acc[p][m][k], is_sd(p) ? 0xf4a582 : 0x92c5de);
            if (any) ph_sb_printf(&b, "\n\n"), nprob++;
        }
        ph_sb_printf(&b, "EOD\n$C%d << EOD\n", m);
        for (int g = 0; g < NCLUSTER; g++) {
            int any = 0;
            for (int k = 0; k < s->nsizes; k++) {
                double v = group_mean(s, g, m, k, NULL);
                if (!isnan(v)) any = 1, ph_sb_printf(&b, "%lld %.6f\n", s->sizes[k], v);
            }
            if (any) ph_sb_printf(&b, "\n\n"), clusters[nclus++] = g;
        }
        ph_sb_printf(&b, "EOD\nset title '%s'\nplot 0.5 with lines lc rgb '#999999' dt 2 notitle", s->models[m].label);
        if (nprob)
            ph_sb_printf(&b, ", for [i=0:%d] $P%d index i using 1:2:3 with lines lc rgb variable lw 1 notitle",
                         nprob - 1, m);
        for (int i = 0; i < nclus; i++)
            ph_sb_printf(&b, ", $C%d index %d using 1:2 with linespoints lw 3 pt 7 lc rgb '%s' title '%s'", m, i,
                         cluster_colors[clusters[i]], cluster_names[clusters[i]]);
        ph_sb_printf(&b, "\n");
    }
    ph_sb_printf(&b, "unset multiplot\n");
    report_plot(b.s, png, 560 * cols, 430 * rows + 30);
    free(b.s);
}

static void plot_dendrogram(const study *s, const taxonomy *t, const char *png)
{
    (void)s;
    const int n = t->n;
    double *x = malloc((size_t)(2 * n) * sizeof *x), *y = malloc((size_t)(2 * n) * sizeof *y);
    PH_CHECK_ALLOC(x && y, "drawing the dendrogram");
    for (int i = 0; i < n; i++) x[t->order[i]] = i + 1, y[t->order[i]] = 0;
    ph_strbuf b = {0};
    ph_sb_printf(&b, "$S << EOD\n");
    double top = 0;
    for (int m = 0; m + 1 < n; m++) {
        const int a = t->merges[m].a, c = t->merges[m].b;
        const double h = t->merges[m].height;
        x[n + m] = (x[a] + x[c]) / 2, y[n + m] = h, top = h > top ? h : top;
        ph_sb_printf(&b, "%g %g\n%g %g\n%g %g\n%g %g\n\n", x[a], y[a], x[a], h, x[c], h, x[c], y[c]);
    }
    ph_sb_printf(&b, "EOD\n$L << EOD\n");
    for (int i = 0; i < n; i++) {
        const int p = t->problems[t->order[i]];
        static const int rgb[NCLUSTER] = {0xb2182b, 0xef8a62, 0x2166ac, 0x67a9cf};
        ph_sb_printf(&b, "%d 0 %d\n", i + 1, rgb[published[p]]);
    }
    ph_sb_printf(&b, "EOD\nset title 'SVRT task taxonomy: Ward clustering of the problems'' accuracy vectors "
                 "(leaves coloured by published cluster)'\nset xrange [0:%d]\nset yrange [%g:%g]\nset ylabel "
                 "'Ward distance'\nset xlabel 'SVRT problem'\nset key below horizontal\nset bmargin 5\nset xtics (", n + 1, -top * 0.04,
                 top * 1.08 + 1e-9);
    for (int i = 0; i < n; i++) ph_sb_printf(&b, "%s'%d' %d", i ? ", " : "", t->problems[t->order[i]], i + 1);
    ph_sb_printf(&b, ")\n");
    if (n >= NCLUSTER + 1) {
        const double cut = (t->merges[n - NCLUSTER - 1].height + t->merges[n - NCLUSTER].height) / 2;
        ph_sb_printf(&b, "set arrow from graph 0, first %g to graph 1, first %g nohead dt 2 lc rgb '#555555'\n"
                     "set label '4 clusters' at graph 0.99, first %g right offset 0,0.6 textcolor rgb '#555555'\n",
                     cut, cut, cut);
    }
    ph_sb_printf(&b, "plot $S with lines lc rgb '#333333' lw 1.5 notitle, $L using 1:2:3 with points pt 7 ps 1.6 "
                 "lc rgb variable notitle");
    for (int g = 0; g < NCLUSTER; g++)
        ph_sb_printf(&b, ", NaN with points pt 7 ps 1.6 lc rgb '%s' title 'published %s'", cluster_colors[g], cluster_names[g]);
    ph_sb_printf(&b, "\n");
    report_plot(b.s, png, 900, 520);
    free(b.s), free(x), free(y);
}

static void plot_attention_gain(const study *s, const char *png)
{
    ph_strbuf b = {0};
    int na = 0;
    for (int a = 0; a < s->nmodels; a++) na += s->models[a].base_index >= 0;
    const int cols = na < 2 ? 1 : 2, rows = (na + cols - 1) / cols;
    ph_sb_printf(&b, "set multiplot layout %d,%d title 'Attention gain over the same model without attention "
                 "(one point per problem and training size, labelled with the problem)'\nset grid\nset key bottom right box opaque "
                 "font ',9'\nset xlabel 'test accuracy without attention'\nset ylabel 'gain (accuracy "
                 "points)'\nset xrange [0.4:1.02]\n", rows, cols);
    static const char *const kind[2] = {"same-different", "spatial relation"};
    static const char *const style[2] = {"pt 7 lc rgb '#d6604d'", "pt 5 lc rgb '#4393c3'"};
    for (int a = 0; a < s->nmodels; a++) {
        const int base = s->models[a].base_index;
        if (base < 0) continue;
        ph_sb_printf(&b, "$G%d << EOD\n", a);
        int blocks[2], nb = 0;
        for (int sr = 0; sr < 2; sr++) {
            int any = 0;
            for (int p = 1; p <= NPROB; p++)
                for (int k = 0; k < s->nsizes; k++)
                    if (is_sd(p) == !sr && !isnan(s->acc[p][a][k]) && !isnan(s->acc[p][base][k]))
                        any = 1, ph_sb_printf(&b, "%.6f %.4f %d\n", s->acc[p][base][k],
                                              100 * (s->acc[p][a][k] - s->acc[p][base][k]), p);
            if (any) ph_sb_printf(&b, "\n\n"), blocks[nb++] = sr;
        }
        ph_sb_printf(&b, "EOD\nset title '%s'\nplot 0 with lines lc rgb '#999999' dt 2 notitle", s->models[a].label);
        for (int i = 0; i < nb; i++)
            ph_sb_printf(&b, ", $G%d index %d using 1:2 with points %s title '%s', $G%d index %d using 1:2:3 with "
                         "labels offset 0.9,0.4 font ',7' notitle", a, i, style[blocks[i]], kind[blocks[i]], a, i);
        ph_sb_printf(&b, "\n");
    }
    ph_sb_printf(&b, "unset multiplot\n");
    report_plot(b.s, png, 560 * cols, 430 * rows + 30);
    free(b.s);
}

static void md_scale(ph_strbuf *b, const study *s)
{
    ph_sb_printf(b, "## Scale\n\n");
    int problems = 0;
    for (int p = 1; p <= NPROB; p++) {
        int any = 0;
        for (int m = 0; m < s->nmodels; m++)
            for (int k = 0; k < s->nsizes; k++) any |= !isnan(s->acc[p][m][k]);
        problems += any;
    }
    ph_sb_printf(b, "- Problems: %d of 23 have at least one evaluation; %d evaluations in all.\n", problems,
                 s->nevaluated);
    ph_sb_printf(b, "- Training-set sizes (balanced, the first N samples of one training split per problem):");
    for (int k = 0; k < s->nsizes; k++) ph_sb_printf(b, "%s %lld", k ? "," : "", s->sizes[k]);
    char *sizes = ph_reference_value("svrt/original_protocol.tsv", "train_sizes");
    ph_sb_printf(b, ". The sizes of Vaishnav et al. (2022) are quoted as %s [U].\n", sizes);
    free(sizes);
    ph_sb_printf(b, "- Models (%d):", s->nmodels);
    for (int m = 0; m < s->nmodels; m++) ph_sb_printf(b, "%s M%d = %s", m ? ";" : "", m + 1, s->models[m].label);
    ph_sb_printf(b, ". ResNet-D wW is a ResNet of depth D whose first stage has W channels (64 in the standard "
                 "network); docs/models/resnet.md. The study used ResNets of several depths (18, 50, 152 [U]) at "
                 "width 64, and ResNet-50 with attention.\n");
    ph_sb_printf(b, "- Training: ");
    for (int i = 0; i < s->nsettings; i++) ph_sb_printf(b, "%s%s", i ? "; " : "", s->settings[i]);
    ph_sb_printf(b, "; best.h5 is the checkpoint with the best validation accuracy (a split of its own seed), "
                 "one training seed per point.\n");
    ph_sb_printf(b, "- Test: held-out splits of %lld", s->test_min);
    if (s->test_max != s->test_min) ph_sb_printf(b, " to %lld", s->test_max);
    const double se = s->test_min > 0 ? 100 * sqrt(0.25 / (double)s->test_min) : NAN;
    ph_sb_printf(b, " samples per problem (a third seed; never used for training or selection). The binomial "
                 "standard error of one accuracy is at most %.1f points (at 50%%); differences between two "
                 "trainings also carry the training-seed variation, which one seed per point does not measure.\n",
                 se);
    report_times times = {{0, 0, 0}, 0, 0};
    for (int r = 0; r < s->nruns; r++)
        report_times_add(&times, s->runs[r].stage_seconds, s->runs[r].first_start, s->runs[r].last_done);
    report_md_compute(b, &times, "");
    ph_sb_printf(b, "- Runs:");
    for (int r = 0; r < s->nruns; r++)
        ph_sb_printf(b, "%s `%s` (%d points, %d evaluated)", r ? "," : "", s->runs[r].path, s->runs[r].points,
                     s->runs[r].evaluated);
    ph_sb_printf(b, ".\n\n");
}

static void md_accuracy(ph_strbuf *b, const study *s)
{
    ph_sb_printf(b, "## Test accuracy per problem (%%)\n\nColumns are model (M1... above) and training-set size; "
                 "rows are problems with their relation type (SD: same-different, SR: spatial relation) and "
                 "published cluster. Every number is also in `accuracy.tsv`.\n\n| problem | type | cluster |");
    for (int m = 0; m < s->nmodels; m++)
        for (int k = 0; k < s->nsizes; k++) ph_sb_printf(b, " M%d %lld |", m + 1, s->sizes[k]);
    ph_sb_printf(b, "\n|--:|---|---|");
    for (int i = 0; i < s->nmodels * s->nsizes; i++) ph_sb_printf(b, "--:|");
    ph_sb_printf(b, "\n");
    for (int p = 1; p <= NPROB; p++) {
        ph_sb_printf(b, "| %d | %s | %s |", p, is_sd(p) ? "SD" : "SR", cluster_names[published[p]]);
        for (int m = 0; m < s->nmodels; m++)
            for (int k = 0; k < s->nsizes; k++) sb_acc(b, s->acc[p][m][k]);
        ph_sb_printf(b, "\n");
    }
    ph_sb_printf(b, "\n### Means per published cluster (%%)\n\n| group | problems |");
    for (int m = 0; m < s->nmodels; m++)
        for (int k = 0; k < s->nsizes; k++) ph_sb_printf(b, " M%d %lld |", m + 1, s->sizes[k]);
    ph_sb_printf(b, "\n|---|--:|");
    for (int i = 0; i < s->nmodels * s->nsizes; i++) ph_sb_printf(b, "--:|");
    ph_sb_printf(b, "\n");
    for (int g = 0; g < NGROUPS; g++) {
        int members = 0;
        for (int p = 1; p <= NPROB; p++) members += in_group(p, g);
        ph_sb_printf(b, "| %s | %d |", group_names[g], members);
        for (int m = 0; m < s->nmodels; m++)
            for (int k = 0; k < s->nsizes; k++) sb_acc(b, group_mean(s, g, m, k, NULL));
        ph_sb_printf(b, "\n");
    }
    ph_sb_printf(b, "| SD − SR | |");
    for (int m = 0; m < s->nmodels; m++)
        for (int k = 0; k < s->nsizes; k++) sb_gain(b, group_mean(s, 4, m, k, NULL) - group_mean(s, 5, m, k, NULL));
    ph_sb_printf(b, "\n\n![sample efficiency](sample_efficiency.png)\n\n`sample_efficiency.png`: one panel per "
                 "model; thin lines are the problems (orange: same-different, blue: spatial relation), thick lines "
                 "the means of the published clusters; the dashed line is chance.\n\n");
}

static void md_members(ph_strbuf *b, const taxonomy *t, const int *labels, int k)
{
    ph_sb_printf(b, "| cluster found | problems (published cluster) |\n|---|---|\n");
    for (int c = 0; c < k; c++) {
        ph_sb_printf(b, "| %d |", c + 1);
        int first = 1;
        for (int i = 0; i < t->n; i++) /* problems ascending */
            if (labels[i] == c) {
                ph_sb_printf(b, "%s %d (%s)", first ? "" : ",", t->problems[i], cluster_names[published[t->problems[i]]]);
                first = 0;
            }
        ph_sb_printf(b, " |\n");
    }
    ph_sb_printf(b, "\n");
}

static void md_taxonomy(ph_strbuf *b, const study *s, const taxonomy *t, int perms)
{
    ph_sb_printf(b, "## Taxonomy\n\nEach problem is described by its vector of test accuracies over ");
    for (int f = 0; f < t->nfeatures; f++)
        ph_sb_printf(b, "%s(M%d, %lld)", f ? ", " : "", t->features[f][0] + 1, s->sizes[t->features[f][1]]);
    ph_sb_printf(b, " (%d feature%s: the models without attention, as in the study [U]); %d problems have every "
                 "feature. Agglomerative clustering with Ward's criterion on Euclidean distances "
                 "(`linkage.tsv` lists the merges) gives the dendrogram below.\n\n", t->nfeatures,
                 t->nfeatures == 1 ? "" : "s", t->n);
    if (t->n < 2) {
        ph_sb_printf(b, "Too few problems for a taxonomy.\n\n");
        return;
    }
    ph_sb_printf(b, "![dendrogram](dendrogram.png)\n\n"
                 "| agreement with | clusters | adjusted Rand index | permutation p |\n|---|--:|--:|--:|\n");
    char p4[32] = "-", p2[32] = "-";
    if (!isnan(t->p4)) snprintf(p4, sizeof p4, "%.4f", t->p4);
    if (!isnan(t->p2)) snprintf(p2, sizeof p2, "%.4f", t->p2);
    ph_sb_printf(b, "| published SD1, SD2, SR1, SR2 | %d | %.3f | %s |\n", t->k4, t->ari4, p4);
    ph_sb_printf(b, "| same-different vs spatial relation | 2 | %.3f | %s |\n\n", t->ari2, p2);
    ph_sb_printf(b, "The adjusted Rand index is 1 for identical partitions and about 0 for unrelated ones. ");
    if (perms > 0)
        ph_sb_printf(b, "The permutation p is the share of %d random relabellings of the published partition "
                     "(same cluster sizes; Philox) that agree at least as well with the clusters found.", perms);
    /* Problems near chance carry almost no information about their cluster: say how many. */
    const int m0 = t->features[t->nfeatures - 1][0], k0 = t->features[t->nfeatures - 1][1];
    int near[2] = {0, 0};
    for (int i = 0; i < t->n; i++) near[!is_sd(t->problems[i])] += s->acc[t->problems[i]][m0][k0] < 0.55;
    ph_sb_printf(b, "\n\nWith M%d at %lld samples, %d of the %d problems are below 55%% (%d SD, %d SR): near "
                 "chance, their accuracy vectors are almost equal whatever their published cluster, so a clustering "
                 "of them mostly separates the problems that were learned from those that were not.\n\n",
                 m0 + 1, s->sizes[k0], near[0] + near[1], t->n, near[0], near[1]);
    ph_sb_printf(b, "The %d clusters found:\n\n", t->k4);
    md_members(b, t, t->cut4, t->k4);
    if (t->k4 != t->k2) {
        ph_sb_printf(b, "The 2 clusters found:\n\n");
        md_members(b, t, t->cut2, t->k2);
    }
}

static void md_attention(ph_strbuf *b, const study *s)
{
    int na = 0;
    for (int a = 0; a < s->nmodels; a++) na += s->models[a].base_index >= 0;
    ph_sb_printf(b, "## Attention gains\n\n");
    if (!na) {
        ph_sb_printf(b, "No attention model was evaluated together with the same model without attention.\n\n");
        return;
    }
    ph_sb_printf(b, "Gain = accuracy of the model with attention minus that of the same model without it, same "
                 "problem and training size (accuracy points; mean over the problems of each group). On test "
                 "splits of %lld samples the binomial standard error of one such difference is up to %.1f points "
                 "(at 50%%), before the training-seed variation.\n\n", s->test_min,
                 s->test_min > 0 ? 100 * sqrt(0.5 / (double)s->test_min) : NAN);
    ph_sb_printf(b, "| model | size | SD1 | SD2 | SR1 | SR2 | SD | SR | all | hardest third | other two thirds | "
                 "r(plain accuracy, gain) |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (int a = 0; a < s->nmodels; a++) {
        const int base = s->models[a].base_index;
        if (base < 0) continue;
        for (int k = 0; k < s->nsizes; k++) {
            ph_sb_printf(b, "| M%d | %lld |", a + 1, s->sizes[k]);
            for (int g = 0; g < NGROUPS; g++) sb_gain(b, group_gain(s, g, a, k, NULL));
            /* Hardest third: the problems with the lowest accuracy without attention at this size. */
            double xs[NPROB], ys[NPROB];
            int idx[NPROB], n = 0;
            for (int p = 1; p <= NPROB; p++)
                if (!isnan(s->acc[p][a][k]) && !isnan(s->acc[p][base][k]))
                    xs[n] = s->acc[p][base][k], ys[n] = s->acc[p][a][k] - s->acc[p][base][k], idx[n] = n, n++;
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && xs[idx[j]] < xs[idx[j - 1]]; j--) {
                    int t = idx[j];
                    idx[j] = idx[j - 1], idx[j - 1] = t;
                }
            const int h = n / 3;
            double hard = 0, rest = 0;
            for (int i = 0; i < n; i++) {
                if (i < h)
                    hard += ys[idx[i]];
                else
                    rest += ys[idx[i]];
            }
            sb_gain(b, h ? hard / h : NAN);
            sb_gain(b, n - h ? rest / (n - h) : NAN);
            double r = n > 2 ? pearson(xs, ys, n) : NAN;
            if (isnan(r))
                ph_sb_printf(b, " - |\n");
            else
                ph_sb_printf(b, " %.2f |\n", r);
        }
    }
    ph_sb_printf(b, "\nThe hardest third are the n/3 problems (rounded down) with the lowest accuracy without "
                 "attention at that size; a negative r means larger gains where the plain model is worse.\n\n"
                 "![attention gain](attention_gain.png)\n\n### Gains per problem (accuracy points)\n\n"
                 "| problem | type | cluster |");
    for (int a = 0; a < s->nmodels; a++)
        if (s->models[a].base_index >= 0)
            for (int k = 0; k < s->nsizes; k++) ph_sb_printf(b, " M%d %lld |", a + 1, s->sizes[k]);
    ph_sb_printf(b, "\n|--:|---|---|");
    for (int i = 0; i < na * s->nsizes; i++) ph_sb_printf(b, "--:|");
    ph_sb_printf(b, "\n");
    for (int p = 1; p <= NPROB; p++) {
        ph_sb_printf(b, "| %d | %s | %s |", p, is_sd(p) ? "SD" : "SR", cluster_names[published[p]]);
        for (int a = 0; a < s->nmodels; a++) {
            const int base = s->models[a].base_index;
            if (base >= 0)
                for (int k = 0; k < s->nsizes; k++) sb_gain(b, s->acc[p][a][k] - s->acc[p][base][k]);
        }
        ph_sb_printf(b, "\n");
    }
    ph_sb_printf(b, "\n");
}

/* The study's expected directions, checked on these numbers (not a significance test). */
static void md_expectations(ph_strbuf *b, const study *s)
{
    ph_sb_printf(b, "## Expected directions, checked\n\n");
    int cells = 0, below = 0;
    for (int m = 0; m < s->nmodels; m++)
        for (int k = 0; k < s->nsizes; k++) {
            double d = group_mean(s, 4, m, k, NULL) - group_mean(s, 5, m, k, NULL);
            if (!isnan(d)) cells++, below += d < 0;
        }
    ph_sb_printf(b, "1. *Same-different problems need more samples than spatial-relation problems.* Mean SD "
                 "accuracy is below mean SR accuracy in %d of %d (model, size) cells.", below, cells);
    if (s->nsizes >= 2) {
        const int k0 = 0, k1 = s->nsizes - 1;
        ph_sb_printf(b, " From %lld to %lld samples the mean gains are:", s->sizes[k0], s->sizes[k1]);
        for (int m = 0; m < s->nmodels; m++) {
            double sd = group_mean(s, 4, m, k1, NULL) - group_mean(s, 4, m, k0, NULL);
            double sr = group_mean(s, 5, m, k1, NULL) - group_mean(s, 5, m, k0, NULL);
            ph_sb_printf(b, "%s M%d SD %+.1f, SR %+.1f", m ? ";" : "", m + 1, 100 * sd, 100 * sr);
        }
        ph_sb_printf(b, " points.");
        /* Problems that reach 80% at the largest size, by type. */
        ph_sb_printf(b, " Problems at 80%% or more with %lld samples (SD of 11, SR of 12):", s->sizes[k1]);
        for (int m = 0; m < s->nmodels; m++) {
            int nsd = 0, nsr = 0;
            for (int p = 1; p <= NPROB; p++)
                if (!isnan(s->acc[p][m][k1]) && s->acc[p][m][k1] >= 0.8) {
                    nsd += is_sd(p);
                    nsr += !is_sd(p);
                }
            ph_sb_printf(b, "%s M%d %d SD, %d SR", m ? ";" : "", m + 1, nsd, nsr);
        }
        ph_sb_printf(b, ".");
    }
    ph_sb_printf(b, "\n2. *Attention helps most on the hardest problems.* ");
    int any = 0, more = 0, total = 0;
    for (int a = 0; a < s->nmodels; a++) {
        const int base = s->models[a].base_index;
        if (base < 0) continue;
        any = 1;
        for (int k = 0; k < s->nsizes; k++) {
            double xs[NPROB], ys[NPROB];
            int n = 0;
            for (int p = 1; p <= NPROB; p++)
                if (!isnan(s->acc[p][a][k]) && !isnan(s->acc[p][base][k]))
                    xs[n] = s->acc[p][base][k], ys[n] = s->acc[p][a][k] - s->acc[p][base][k], n++;
            double r = n > 2 ? pearson(xs, ys, n) : NAN;
            if (!isnan(r)) total++, more += r < 0;
        }
    }
    if (any)
        ph_sb_printf(b, "The gain is negatively correlated with the plain model's accuracy (larger where the plain "
                     "model is worse) in %d of %d (attention model, size) cells; the table above gives the gains on "
                     "the hardest third against the rest. Part of any such correlation is regression to the mean: "
                     "with one training per point, a plain model that happened to do badly tends to be beaten.\n",
                     more, total);
    else
        ph_sb_printf(b, "No attention model was evaluated.\n");
    ph_sb_printf(b, "3. *The taxonomy follows the relation type and the published clusters.* See the adjusted "
                 "Rand indices above. The published clusters ordered by mean accuracy, lowest first, per (model, "
                 "size):");
    for (int m = 0; m < s->nmodels; m++)
        for (int k = 0; k < s->nsizes; k++) {
            int order[NCLUSTER] = {0, 1, 2, 3};
            double v[NCLUSTER];
            for (int g = 0; g < NCLUSTER; g++) v[g] = group_mean(s, g, m, k, NULL);
            for (int i = 1; i < NCLUSTER; i++) /* NAN (no problem evaluated) sorts last */
                for (int j = i; j > 0 && (v[order[j]] < v[order[j - 1]] || isnan(v[order[j - 1]])) &&
                                !isnan(v[order[j]]); j--) {
                    int x = order[j];
                    order[j] = order[j - 1], order[j - 1] = x;
                }
            ph_sb_printf(b, "%s (M%d, %lld) %s < %s < %s < %s", m + k ? ";" : "", m + 1, s->sizes[k],
                         cluster_names[order[0]], cluster_names[order[1]], cluster_names[order[2]],
                         cluster_names[order[3]]);
        }
    ph_sb_printf(b, ".\n\n");
}

static void md_missing(ph_strbuf *b, const study *s)
{
    int total = 0;
    for (int r = 0; r < s->nruns; r++) total += s->runs[r].nmissing;
    ph_sb_printf(b, "## Missing points\n\n");
    if (!total) {
        ph_sb_printf(b, "None: every point of every run has an evaluation.\n");
        return;
    }
    ph_sb_printf(b, "%d point(s) have no evaluation (`slurm/status RUN` says why); the tables leave them out "
                 "(-).\n\n", total);
    for (int r = 0; r < s->nruns; r++)
        for (int i = 0; i < s->runs[r].nmissing && i < MAX_MISSING; i++)
            ph_sb_printf(b, "- `%s` %s\n", s->runs[r].path, s->runs[r].missing[i]);
    ph_sb_printf(b, "\n");
}

static void write_report(const study *s, const taxonomy *t, const char *path, int perms)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "# SVRT study: sample efficiency, task taxonomy and attention\n\n"
                 "Written by `phasor-analyze svrt-report` (phasor %s, git %s) from the evaluations of the "
                 "sweeps listed under Scale (`make reproduce-svrt` runs the local study; docs/studies/svrt.md "
                 "describes it and discusses the results). Every accuracy is measured on a held-out test split "
                 "by `phasor-analyze evaluate`. Published taxonomy: Vaishnav et al. (2022), read off their "
                 "dendrogram (Neural Computation 34(5), arXiv 2108.03603; svrt/taxonomy.tsv); [U] marks what is not verified about their "
                 "protocol.\n\n", PHASOR_VERSION, PHASOR_GIT_COMMIT);
    md_scale(&b, s);
    md_accuracy(&b, s);
    md_taxonomy(&b, s, t, perms);
    md_attention(&b, s);
    md_expectations(&b, s);
    md_missing(&b, s);
    report_write(path, b.s, b.len);
    free(b.s);
}

int ph_analyze_svrt_report_main(int argc, char **argv)
{
    report_options o;
    options_parse(argc, argv, &o);
    static const char *const outputs[] = {"REPORT.md", "accuracy.tsv", "linkage.tsv", "sample_efficiency.png",
                                          "dendrogram.png", "attention_gain.png"};
    report_outputs_check("svrt-report", o.out_dir, outputs, (int)(sizeof outputs / sizeof outputs[0]), o.force);
    if (ph_rank() != 0) return 0;
    taxonomy_load();

    static study s; /* large: keep it off the stack */
    memset(&s, 0, sizeof s);
    for (int r = 0; r < o.nruns; r++) study_read_run(&s, o.runs[r]);
    if (!s.nevaluated)
        ph_usage_error("svrt-report: no point of %s%s has an evaluation (run the sweeps first: make reproduce-svrt; "
                       "slurm/status RUN shows each point)", o.runs[0], o.nruns > 1 ? " and the others" : "");
    study_sort(&s);
    taxonomy t;
    taxonomy_build(&s, &t, o.permutations);

    char path[4200];
    snprintf(path, sizeof path, "%s/accuracy.tsv", o.out_dir);
    write_accuracy_tsv(&s, path);
    snprintf(path, sizeof path, "%s/linkage.tsv", o.out_dir);
    write_linkage_tsv(&t, path);
    snprintf(path, sizeof path, "%s/sample_efficiency.png", o.out_dir);
    plot_sample_efficiency(&s, path);
    if (t.n >= 2) {
        snprintf(path, sizeof path, "%s/dendrogram.png", o.out_dir);
        plot_dendrogram(&s, &t, path);
    }
    int na = 0;
    for (int a = 0; a < s.nmodels; a++) na += s.models[a].base_index >= 0;
    snprintf(path, sizeof path, "%s/attention_gain.png", o.out_dir);
    if (na)
        plot_attention_gain(&s, path);
    else if (ph_exists(path))
        PH_CHECK_LIBC(unlink(path) == 0, "removing the stale attention_gain.png", "check the --out folder");
    snprintf(path, sizeof path, "%s/REPORT.md", o.out_dir);
    write_report(&s, &t, path, o.permutations);
    if (!o.quiet)
        fprintf(stderr, "phasor-analyze: svrt-report: %d evaluations, %d models, %d sizes; ARI %.3f (4 clusters), "
                "%.3f (SD vs SR); wrote %s\n", s.nevaluated, s.nmodels, s.nsizes, t.ari4, t.ari2, path);
    return 0;
}
