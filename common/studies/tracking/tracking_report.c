/* tracking_report.c: phasor-analyze tracking-report, the tracking study's
 * report (docs/studies/tracking.md) from the run folders of its sweeps.
 *
 * Every training point's analyze stage ran phasor-analyze evaluate of best.h5
 * on its challenge's grid of test files: evaluate.tsv (one row per file) and
 * evaluate_samples.tsv (label and hit per sample).  From the hits this computes
 * balanced accuracy per model and condition with stratified bootstrap 95%
 * intervals (common/stats/balacc.h), the drops from easy to hard conditions and
 * their differences between models with paired intervals (the test files share
 * one seed, so labels and sample order agree), and writes REPORT.md,
 * accuracy.tsv and the figures.  Nothing in the text is fixed in advance: every
 * number and every verdict comes from the files read. */
#include "tracking_report.h"

#include "nn/checkpoint.h"
#include "studies/report_util.h"
#include "tracking_phase.h"
#include "tracking_study.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "models/model.h"
#include "studies/reference.h"
#include "stats/balacc.h"

#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { REPS_DEFAULT = 10000, PHASE_VIDEOS = 2, PHASE_FRAMES = 6, PHASE_BATCH = PH_EVALUATE_BATCH_DEFAULT, MAX_COLS = 64 };
static const double LEVEL = 0.95;

/* ---- human references (human_pathtracker.tsv, human_featuretracker.tsv) ------------------------ */

double ts_human_pathtracker(int length, int dist, double *lo, double *hi)
{
    ph_reference r;
    ph_reference_load(&r, "tracking/human_pathtracker.tsv");
    double acc = NAN;
    *lo = *hi = NAN;
    for (int i = 0; i < r.nrows; i++)
        if (ph_reference_num(&r, i, "length") == length && ph_reference_num(&r, i, "distractors") == dist) {
            acc = ph_reference_num(&r, i, "accuracy");
            *lo = ph_reference_num(&r, i, "lo"), *hi = ph_reference_num(&r, i, "hi");
        }
    ph_reference_free(&r);
    return acc;
}

/* *source: the original condition name, static storage (NULL where none). */
double ts_human_featuretracker(const char *ft, const char **source)
{
    static char name[64];
    ph_reference r;
    ph_reference_load(&r, "tracking/human_featuretracker.tsv");
    double acc = NAN;
    *source = NULL;
    for (int i = 0; i < r.nrows; i++)
        if (!strcmp(ph_reference_cell(&r, i, "condition"), ft)) {
            acc = ph_reference_num(&r, i, "accuracy");
            snprintf(name, sizeof name, "%s", ph_reference_cell(&r, i, "source"));
            *source = name;
        }
    ph_reference_free(&r);
    return acc;
}

const ts_cond *ts_find_pt(const ts_entry *e, int length, int dist)
{
    for (int c = 0; c < e->ncond; c++)
        if (e->cond[c].length == length && e->cond[c].dist == dist && e->cond[c].skip == 1) return &e->cond[c];
    return NULL;
}

const ts_cond *ts_find_ft(const ts_entry *e, const char *ft)
{
    for (int c = 0; c < e->ncond; c++)
        if (e->cond[c].ft[0] && !strcmp(e->cond[c].ft, ft)) return &e->cond[c];
    return NULL;
}

/* ---- options ----------------------------------------------------------------------------- */

typedef struct {
    const char *runs[TS_MAX_RUNS];
    int nruns, force, quiet, reps, phase;
    uint32_t seed;
    const char *out_dir;
} report_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze tracking-report RUN [RUN ...] --out DIR [options]\n"
            "\n"
            "The tracking study's report (docs/studies/tracking.md) from the run folders of\n"
            "its sweeps (slurm/submit): training sweeps, whose analyze stage ran phasor-analyze\n"
            "evaluate of best.h5 on a grid of test files, and test-grid sweeps (generation\n"
            "only; their stage times count).  Balanced accuracy per model and test condition\n"
            "from the per-sample hits, with stratified bootstrap 95%% intervals (Philox); the\n"
            "human accuracies of the original studies as reference; the expected directions\n"
            "(recurrent models lose less than the 3D CNN with more distractors and longer\n"
            "videos; the CV-RNN beats it on out-of-distribution colours) checked on the\n"
            "numbers, with paired bootstrap intervals of the differences; the CV-RNN's phase\n"
            "maps.  Points of one run that differ only in their training seed ([train] seed,\n"
            "evaluate.tsv's rng_seed) are averaged: tables, figures and comparisons show the\n"
            "mean of their balanced accuracies (bootstrap over the shared test videos) and\n"
            "the seeds' range.  make reproduce-tracking runs it.  One MPI rank.\n"
            "\n"
            "options:\n"
            "  --out DIR          output folder (created if missing; required)\n"
            "  --bootstrap N      bootstrap replicates (default %d, 2..1000000)\n"
            "  --seed S           Philox seed of the bootstrap (default 1)\n"
            "  --no-phase         no phase-map figures (they run the CV-RNN checkpoints)\n"
            "  --force            replace existing outputs (each atomically)\n"
            "  --quiet            no final line\n"
            "  --help             this text\n"
            "\n"
            "writes: DIR/REPORT.md, DIR/accuracy.tsv, DIR/pathtracker_distractors.png,\n"
            "DIR/pathtracker_length.png, DIR/featuretracker.png, DIR/cvrnn_phase_CHALLENGE.png\n"
            "(those with something to show; DIR/cvrnn_phase_CHALLENGE_{T}frames.png for each\n"
            "training length T where a challenge has models trained at several)\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            REPS_DEFAULT);
}

static long parse_long(const char *opt, const char *s, long lo, long hi)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        ph_usage_error("tracking-report: %s must be an integer in %ld..%ld, got '%s'", opt, lo, hi, s);
    return v;
}

static void options_parse(int argc, char **argv, report_options *o)
{
    static const struct option longs[] = {{"out", required_argument, 0, 'o'},  {"bootstrap", required_argument, 0, 'b'},
                                          {"seed", required_argument, 0, 's'}, {"no-phase", no_argument, 0, 'n'},
                                          {"force", no_argument, 0, 'f'},      {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->reps = REPS_DEFAULT, o->seed = 1, o->phase = 1;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "-:", longs, NULL)) != -1;) {
        switch (c) {
        case 1:
            if (o->nruns == TS_MAX_RUNS) ph_usage_error("tracking-report: at most %d run folders", TS_MAX_RUNS);
            o->runs[o->nruns++] = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'b': o->reps = (int)parse_long("--bootstrap", optarg, 2, 1000000); break;
        case 's': o->seed = (uint32_t)parse_long("--seed", optarg, 0, 4294967295L); break;
        case 'n': o->phase = 0; break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("tracking-report: option '%s' needs a value (see phasor-analyze tracking-report --help)", argv[optind - 1]);
        default: ph_usage_error("tracking-report: unknown option '%s' (see phasor-analyze tracking-report --help)", argv[optind - 1]);
        }
    }
    if (!o->nruns) ph_usage_error("tracking-report: no run folder given (phasor-analyze tracking-report RUN... --out DIR)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("tracking-report: missing --out DIR (the folder for REPORT.md)");
}

/* ---- reading ------------------------------------------------------------------------------- */

/* Splits s at `sep` in place into at most max cells; returns the count. */
static int split(char *s, char sep, char **cells, int max)
{
    int n = 0;
    for (char *p = s, *q; p && n < max; p = q) {
        q = strchr(p, sep);
        if (q) *q++ = 0;
        cells[n++] = p;
    }
    return n;
}

static const char *col(char **names, char **cells, int n, const char *name, const char *path)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return cells[i];
    char what[4200];
    snprintf(what, sizeof what, "reading %s", path);
    PH_FAIL(what, "a column is missing", "it is not an evaluate.tsv of this phasor; rerun the point's analyze stage");
}

/* An optional column: "" when the file predates it. */
static const char *col_opt(char **names, char **cells, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return strcmp(cells[i], "-") ? cells[i] : "";
    return "";
}

/* The first len bytes of src (at most n - 1) as a string in dst. */
static void str_copy(char *dst, size_t n, const char *src, size_t len)
{
    if (len > n - 1) len = n - 1;
    memmove(dst, src, len);
    dst[len] = 0;
}

static void cond_parse(ts_cond *k)
{
    k->length = k->dist = k->skip = -1;
    k->ft[0] = 0;
    int L, D, S;
    if (!strcmp(k->challenge, "pathtracker") && sscanf(k->condition, "length%d_dist%d_skip%d", &L, &D, &S) == 3)
        k->length = L, k->dist = D, k->skip = S;
    if (!strcmp(k->challenge, "featuretracker")) {
        const char *at = strstr(k->condition, "_length");
        str_copy(k->ft, sizeof k->ft, k->condition, at ? (size_t)(at - k->condition) : strlen(k->condition));
    }
}

/* Short names of the models (their display names) with their sizes. */
static void entry_label(ts_entry *e)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s", e->config);
    const ph_model_def *def = ph_model_find(e->model);
    const char *name = def && def->display_name ? def->display_name : e->model;
    char size[64] = "";
    char *cells[32];
    const int n = split(cfg, ';', cells, 32);
    for (int i = 0; i < n; i++) {
        if (!strncmp(cells[i], "width=", 6)) snprintf(size + strlen(size), sizeof size - strlen(size), " w%s", cells[i] + 6);
        if (!strncmp(cells[i], "channels=", 9)) snprintf(size + strlen(size), sizeof size - strlen(size), " C%s", cells[i] + 9);
        if (!strncmp(cells[i], "kernel=", 7)) snprintf(size + strlen(size), sizeof size - strlen(size), " k%s", cells[i] + 7);
    }
    int earlier = e->curriculum[0] != 0;
    for (const char *p = e->curriculum; (p = strstr(p, " + ")); p += 3) earlier++;
    char after[48] = "";
    if (earlier) snprintf(after, sizeof after, " after %d earlier stage%s", earlier, earlier > 1 ? "s" : "");
    snprintf(e->label, sizeof e->label, "%s%s, %lld steps%s", name, size, e->steps, after);
}

static void entry_read_samples(ts_entry *e, const char *path)
{
    char *text = report_file_slurp(path);
    char what[4200];
    snprintf(what, sizeof what, "reading %s", path);
    if (!text) PH_FAIL(what, "no such file (evaluate.tsv is there)", "rerun the point's analyze stage with this phasor");
    for (int c = 0; c < e->ncond; c++) {
        ts_cond *k = &e->cond[c];
        k->label = malloc((size_t)(k->n ? k->n : 1) * sizeof *k->label);
        k->hit = malloc((size_t)(k->n ? k->n : 1) * sizeof *k->hit);
        PH_CHECK_ALLOC(k->label && k->hit, what);
        for (int64_t i = 0; i < k->n; i++) k->label[i] = -1;
    }
    char *save = NULL, *line = strtok_r(text, "\n", &save); /* header */
    if (!line || strcmp(line, "file\tsample\tlabel\tlogit\thit"))
        PH_FAIL(what, "not an evaluate_samples.tsv (unexpected header)", "rerun the point's analyze stage");
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *cells[8];
        if (split(line, '\t', cells, 8) != 5) PH_FAIL(what, "a row does not have 5 cells", "rerun the analyze stage");
        const long f = atol(cells[0]);
        const long long i = atoll(cells[1]);
        if (f < 0 || f >= e->ncond || i < 0 || i >= e->cond[f].n)
            PH_FAIL(what, "a row names a file or sample that evaluate.tsv does not have", "rerun the analyze stage");
        e->cond[f].label[i] = atoi(cells[2]);
        e->cond[f].hit[i] = atoi(cells[4]);
    }
    for (int c = 0; c < e->ncond; c++) {
        int64_t hits = 0;
        for (int64_t i = 0; i < e->cond[c].n; i++) {
            if (e->cond[c].label[i] < 0) PH_FAIL(what, "a sample of evaluate.tsv has no row", "rerun the analyze stage");
            hits += e->cond[c].hit[i];
        }
        if (hits != e->cond[c].correct)
            PH_FAIL(what, "its hits do not add up to evaluate.tsv's correct count", "rerun the analyze stage");
    }
    free(text);
}

/* 0 when the point has no evaluation. */
static int entry_read(ts_entry *e, const char *run, const char *point)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/analyze/evaluate.tsv", run, point);
    char *text = report_file_slurp(path);
    if (!text) return 0;
    memset(e, 0, sizeof *e);
    snprintf(e->run, sizeof e->run, "%s", run);
    snprintf(e->point, sizeof e->point, "%s", point);
    e->group = -1;
    char *lines[TS_MAX_CONDS + 2];
    int nl = split(text, '\n', lines, TS_MAX_CONDS + 2);
    while (nl > 0 && !*lines[nl - 1]) nl--;
    char what[4200];
    snprintf(what, sizeof what, "reading %s", path);
    if (nl < 2) PH_FAIL(what, "no data row", "rerun the point's analyze stage");
    if (nl - 1 > TS_MAX_CONDS) PH_FAIL(what, "more than 32 test files", "evaluate on fewer files per point");
    char *names[MAX_COLS];
    const int nn = split(lines[0], '\t', names, MAX_COLS);
    for (int r = 1; r < nl; r++) {
        char *cells[MAX_COLS];
        if (split(lines[r], '\t', cells, MAX_COLS) != nn) PH_FAIL(what, "a row and the header differ in length", "rerun evaluate");
        ts_cond *k = &e->cond[e->ncond++];
        snprintf(k->challenge, sizeof k->challenge, "%s", col(names, cells, nn, "challenge", path));
        snprintf(k->condition, sizeof k->condition, "%s", col(names, cells, nn, "condition", path));
        snprintf(k->samples, sizeof k->samples, "%s", col(names, cells, nn, "samples", path));
        if (strcmp(col(names, cells, nn, "split", path), "test"))
            PH_FAIL(what, "a scored file is not a test split", "evaluate on the held-out test grid only");
        k->n = atoll(col(names, cells, nn, "n", path));
        k->correct = atoll(col(names, cells, nn, "correct", path));
        cond_parse(k);
        if (r == 1) {
            snprintf(e->checkpoint, sizeof e->checkpoint, "%s", col(names, cells, nn, "checkpoint", path));
            snprintf(e->model, sizeof e->model, "%s", col(names, cells, nn, "model", path));
            snprintf(e->config, sizeof e->config, "%s", col(names, cells, nn, "model_config", path));
            str_copy(e->challenge, sizeof e->challenge, k->challenge, strlen(k->challenge));
            snprintf(e->train_condition, sizeof e->train_condition, "%s", col(names, cells, nn, "train_condition", path));
            snprintf(e->lr, sizeof e->lr, "%s", col(names, cells, nn, "lr", path));
            e->train_n = atoll(col(names, cells, nn, "train_n", path));
            e->val_n = atoll(col(names, cells, nn, "val_n", path));
            e->steps = atoll(col(names, cells, nn, "steps", path));
            e->batch = atoll(col(names, cells, nn, "batch", path));
            e->step = atoll(col(names, cells, nn, "step", path));
            e->best_val = atof(col(names, cells, nn, "best_val_accuracy", path));
            snprintf(e->curriculum, sizeof e->curriculum, "%s", col_opt(names, cells, nn, "curriculum"));
            const char *seed = col_opt(names, cells, nn, "rng_seed");
            e->rng_seed = *seed ? atoll(seed) : -1;
        }
    }
    free(text);
    entry_label(e);
    snprintf(path, sizeof path, "%s/%s/analyze/evaluate_samples.tsv", run, point);
    entry_read_samples(e, path);
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void study_read_run(ts_study *s, const char *run)
{
    ts_run *r = &s->runs[s->nruns++];
    memset(r, 0, sizeof *r);
    r->path = run;
    char conf[4200];
    snprintf(conf, sizeof conf, "%s/run.conf", run);
    if (!ph_exists(conf))
        ph_usage_error("tracking-report: %s is not a run folder of slurm/submit (no run.conf)", run);
    DIR *d = opendir(run);
    PH_CHECK_LIBC(d != NULL, "listing a run folder", "check the path and its permissions");
    char *points[4096];
    int np = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] == 'p' && strlen(de->d_name) == 5 && strspn(de->d_name + 1, "0123456789") == 4 && np < 4096) {
            points[np] = strdup(de->d_name);
            PH_CHECK_ALLOC(points[np], "listing points");
            np++;
        }
    closedir(d);
    qsort(points, (size_t)np, sizeof *points, cmp_str);
    static const char *const stages[3] = {"generate", "train", "analyze"};
    for (int i = 0; i < np; i++) {
        char path[4200];
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s/%s.log", run, points[i], stages[k]);
            report_log_times(path, &r->stage_seconds[k], &r->first_start, &r->last_done);
        }
        snprintf(path, sizeof path, "%s/%s/analyze.cmd", run, points[i]);
        r->points++;
        if (ph_exists(path)) {
            r->trains = 1;
            if (s->nentries == TS_MAX_ENTRIES) PH_FAIL("collecting trained models", "more than 48", "report fewer sweeps at once");
            if (entry_read(&s->entries[s->nentries], run, points[i]))
                s->nentries++, r->evaluated++;
            else if (r->nmissing < TS_MAX_MISSING)
                snprintf(r->missing[r->nmissing++], sizeof r->missing[0], "%s", points[i]);
        }
        free(points[i]);
    }
}

/* Appends src to the string dst of the given size (truncating). */
static void str_append(char *dst, size_t size, const char *src)
{
    const size_t at = strlen(dst);
    if (at + 1 < size) snprintf(dst + at, size - at, "%s", src);
}

/* The frames of the entry's training videos ("length{T}" in its training condition); -1 if none. */
static int train_length(const ts_entry *e)
{
    const char *p = strstr(e->train_condition, "length");
    int t;
    return p && sscanf(p, "length%d", &t) == 1 ? t : -1;
}

/* Where one challenge's models were trained at several lengths (FeatureTracker at 8 and 32
 * frames here; PathTracker at 32 and 64 at paper scale), each label names its length. */
static void study_label_lengths(ts_study *s)
{
    for (int i = 0; i < s->nentries; i++) {
        int several = 0;
        for (int j = 0; j < s->nentries; j++)
            several |= !strcmp(s->entries[i].challenge, s->entries[j].challenge) &&
                       train_length(&s->entries[i]) != train_length(&s->entries[j]);
        if (several) s->entries[i].several_lengths = 1;
    }
    for (int i = 0; i < s->nentries; i++)
        if (s->entries[i].several_lengths) {
            char part[40];
            snprintf(part, sizeof part, ", %d frames", train_length(&s->entries[i]));
            str_append(s->entries[i].label, sizeof s->entries[i].label, part);
        }
}

/* Two evaluated points of one run that differ only in their training seed. */
static int entry_same_but_seed(const ts_entry *a, const ts_entry *b)
{
    if (strcmp(a->run, b->run) || strcmp(a->model, b->model) || strcmp(a->config, b->config) ||
        strcmp(a->challenge, b->challenge) || strcmp(a->train_condition, b->train_condition) ||
        strcmp(a->curriculum, b->curriculum) || strcmp(a->lr, b->lr) || a->steps != b->steps || a->batch != b->batch ||
        a->train_n != b->train_n || a->val_n != b->val_n || a->ncond != b->ncond || a->rng_seed < 0 || b->rng_seed < 0)
        return 0;
    for (int c = 0; c < a->ncond; c++)
        if (strcmp(a->cond[c].condition, b->cond[c].condition) || a->cond[c].n != b->cond[c].n) return 0;
    return 1;
}

/* Points of one run that differ only in the training seed (a sweep over [train] seed) are
 * averaged: a seed mean is appended after them, with one condition per test file whose members
 * are the points' conditions.  The tables, figures and comparisons show the mean; the scale
 * table and accuracy.tsv every point. */
static void study_group_seeds(ts_study *s)
{
    const int n = s->nentries;
    for (int i = 0; i < n; i++) {
        ts_entry *first = &s->entries[i];
        if (first->group >= 0) continue;
        int idx[TS_MAX_SEEDS] = {i}, k = 1;
        for (int j = i + 1; j < n && k < TS_MAX_SEEDS; j++) {
            int seen = 0;
            for (int m = 0; m < k; m++) seen |= s->entries[idx[m]].rng_seed == s->entries[j].rng_seed;
            if (!seen && s->entries[j].group < 0 && entry_same_but_seed(first, &s->entries[j])) idx[k++] = j;
        }
        if (k < 2) continue;
        if (s->nentries == TS_MAX_ENTRIES) PH_FAIL("averaging seeds", "more than 48 models and means", "report fewer sweeps at once");
        const int g = s->nentries++;
        ts_entry *mean = &s->entries[g];
        *mean = *first;
        mean->checkpoint[0] = mean->point[0] = 0;
        mean->rng_seed = -1, mean->nmembers = k;
        for (int m = 0; m < k; m++) {
            ts_entry *e = &s->entries[idx[m]];
            e->group = g;
            char part[80];
            snprintf(part, sizeof part, "%s%s", m ? "+" : "", e->point);
            str_append(mean->point, sizeof mean->point, part);
            snprintf(part, sizeof part, ", seed %lld", e->rng_seed);
            str_append(e->label, sizeof e->label, part);
        }
        char part[40];
        snprintf(part, sizeof part, ", mean of %d seeds", k);
        str_append(mean->label, sizeof mean->label, part);
        for (int c = 0; c < mean->ncond; c++) {
            ts_cond *kc = &mean->cond[c];
            kc->label = NULL, kc->hit = NULL, kc->nmember = k;
            for (int m = 0; m < k; m++) kc->member[m] = &s->entries[idx[m]].cond[c];
        }
    }
}

/* ---- statistics ---------------------------------------------------------------------------- */

/* The run folder's last component: statistics are keyed on it, so an interval does not
 * depend on how the folder's path was spelled (relative, absolute, moved). */
static const char *run_name(const ts_entry *e)
{
    size_t n = strlen(e->run);
    while (n > 1 && e->run[n - 1] == '/') n--;
    static char buf[4][256];
    static int at;
    char *b = buf[at++ & 3];
    size_t i = n;
    while (i > 0 && e->run[i - 1] != '/') i--;
    snprintf(b, sizeof buf[0], "%.*s", (int)(n - i), e->run + i);
    return b;
}

enum { MAX_TERMS = 64 };

/* Appends w x condition k to a statistic's terms: one term, or a seed mean's members with
 * w / members each (they share the test videos, so a replicate draws the same ones for all). */
static void terms_add(ph_balacc_term *t, int *n, const ts_cond *k, double w)
{
    const int nm = k->nmember ? k->nmember : 1;
    if (*n + nm > MAX_TERMS) PH_FAIL("bootstrapping a statistic", "more than 64 terms", "a bug in tracking_report.c");
    for (int m = 0; m < nm; m++) {
        const ts_cond *x = k->nmember ? k->member[m] : k;
        t[(*n)++] = (ph_balacc_term){x->label, x->hit, x->n, w / nm};
    }
}

static void cond_bootstrap(ts_study *s, const ts_entry *e, ts_cond *k)
{
    char name[1024];
    snprintf(name, sizeof name, "%s|%s|%s", run_name(e), e->point, k->condition);
    ph_balacc_term t[MAX_TERMS];
    int n = 0;
    terms_add(t, &n, k, 1);
    k->balacc = ph_balacc_bootstrap(t, n, s->reps, LEVEL, s->seed, ph_balacc_name_hash(name), &k->lo, &k->hi);
    k->seed_lo = k->seed_hi = NAN;
    for (int m = 0; m < k->nmember; m++) {
        const double v = k->member[m]->balacc;
        k->seed_lo = m == 0 || v < k->seed_lo ? v : k->seed_lo;
        k->seed_hi = m == 0 || v > k->seed_hi ? v : k->seed_hi;
    }
}

/* A difference of balanced accuracies: sum of weight x condition, paired where labels agree. */
typedef struct {
    double v, lo, hi;
} ts_diff;

static ts_diff diff_eval(const ts_study *s, const ts_cond *const *conds, const double *w, int k, const char *name)
{
    ph_balacc_term t[MAX_TERMS];
    int n = 0;
    ts_diff d = {NAN, NAN, NAN};
    for (int i = 0; i < k; i++) {
        if (!conds[i]) return d;
        terms_add(t, &n, conds[i], w[i]);
    }
    d.v = ph_balacc_bootstrap(t, n, s->reps, LEVEL, s->seed, ph_balacc_name_hash(name), &d.lo, &d.hi);
    return d;
}

/* ---- report -------------------------------------------------------------------------------- */

static void sb_cell(ph_strbuf *b, const ts_cond *k)
{
    if (!k || isnan(k->balacc)) {
        ph_sb_printf(b, " - |");
        return;
    }
    ph_sb_printf(b, " %.1f [%.1f, %.1f]", 100 * k->balacc, 100 * k->lo, 100 * k->hi);
    if (k->nmember) ph_sb_printf(b, " (seeds %.1f-%.1f)", 100 * k->seed_lo, 100 * k->seed_hi);
    ph_sb_printf(b, " |");
}

static void sb_diff(ph_strbuf *b, ts_diff d)
{
    if (isnan(d.v))
        ph_sb_printf(b, "-");
    else
        ph_sb_printf(b, "%+.1f [%+.1f, %+.1f]", 100 * d.v, 100 * d.lo, 100 * d.hi);
}

/* A reported entry (a single point or a seed mean) of model m on the challenge. */
static int is_model(const ts_entry *e, const char *m, const char *challenge)
{
    return ts_reported_on(e, challenge) && !strcmp(e->model, m);
}

static void md_scale(ph_strbuf *b, const ts_study *s)
{
    ph_sb_printf(b, "## Scale\n\nEvery trained model, as its analyze stage recorded it. Points of one run that differ "
                 "only in their training seed ([train] seed: sample order, and initial weights where no earlier stage "
                 "gives them) are averaged in the tables, figures and comparisons below (\"mean of N seeds\": the "
                 "mean of their balanced accuracies, its interval from resampling the test videos, the same ones "
                 "for every seed; \"seeds a-b\": the lowest and highest seed):\n\n"
                 "| model | run / point | earlier stages (condition steps x batch) | trained on | training videos | steps x batch | "
                 "learning rate | validation videos | best validation accuracy (%%) | model config |\n"
                 "|---|---|---|---|--:|--:|--:|--:|--:|---|\n");
    for (int i = 0; i < s->nentries; i++) {
        const ts_entry *e = &s->entries[i];
        if (e->nmembers) continue;
        const char *base = strrchr(e->run, '/');
        ph_sb_printf(b, "| %s | %s/%s | %s | %s %s | %lld | %lld x %lld | %s | %lld | %.1f | %s |\n", e->label,
                     base ? base + 1 : e->run, e->point, e->curriculum[0] ? e->curriculum : "-", e->challenge, e->train_condition, e->train_n, e->steps, e->batch,
                     e->lr, e->val_n, 100 * e->best_val, e->config);
    }
    long long nmin = -1, nmax = -1;
    int nconds = 0;
    for (int i = 0; i < s->nentries; i++)
        for (int c = 0; c < s->entries[i].ncond && !s->entries[i].nmembers; c++) {
            const long long n = s->entries[i].cond[c].n;
            nmin = nmin < 0 || n < nmin ? n : nmin, nmax = n > nmax ? n : nmax;
            nconds++;
        }
    ph_sb_printf(b, "\n- Test: %d evaluations (model x held-out test file) of %lld", nconds, nmin);
    if (nmax != nmin) ph_sb_printf(b, " to %lld", nmax);
    ph_sb_printf(b, " videos each, from test splits of their own seed (evaluate refuses a model's training and "
                 "validation files; best.h5 was chosen on the validation split only). A balanced accuracy from %lld "
                 "videos has a binomial standard error of about %.1f points near 50 %%.\n",
                 nmin, nmin > 0 ? 100 * sqrt(0.25 / (double)nmin) : NAN);
    char *videos = ph_reference_value("tracking/original_protocol.tsv", "train_videos");
    ph_sb_printf(b, "- The original code trains on %s videos (the loaders of github.com/S4b1n3/feature_tracker) with InT and the CV-RNN at "
                 "32 channels and 7x7 kernels and ResNet-18-sized 3D CNNs, to early stopping; the paper-scale configs "
                 "(docs/studies/tracking.md) do that on a cluster.\n", videos);
    free(videos);
    report_times times = {{0, 0, 0}, 0, 0};
    for (int r = 0; r < s->nruns; r++)
        report_times_add(&times, s->runs[r].stage_seconds, s->runs[r].first_start, s->runs[r].last_done);
    report_md_compute(b, &times, " (including any pause between runs of the study script)");
    ph_sb_printf(b, "- Runs:");
    for (int r = 0; r < s->nruns; r++) {
        ph_sb_printf(b, "%s `%s` (%d points", r ? "," : "", s->runs[r].path, s->runs[r].points);
        if (s->runs[r].trains) ph_sb_printf(b, ", %d evaluated", s->runs[r].evaluated);
        for (int m = 0; m < s->runs[r].nmissing; m++)
            ph_sb_printf(b, "%s%s", m ? ", " : "; missing: ", s->runs[r].missing[m]);
        ph_sb_printf(b, ")");
    }
    ph_sb_printf(b, ".\n- Statistics: balanced accuracy = mean of the hit rates on positive and on negative videos, "
                 "a video's decision being logit > 0 (probability 0.5; the original code thresholds logits at 0.5, a "
                 "quirk not copied). Intervals: %d stratified bootstrap replicates (positives and negatives resampled "
                 "separately), percentile 95 %% intervals, Philox seed %u; differences between conditions or models "
                 "resample the same videos jointly (the test files share one seed, so their labels agree).\n\n",
                 s->reps, s->seed);
}

static void md_pathtracker(ph_strbuf *b, const ts_study *s)
{
    int L[8], D[8];
    const int nl = ts_pt_values(s, 1, L, 8), nd = ts_pt_values(s, 0, D, 8);
    if (!nl || !nd) return;
    ph_sb_printf(b, "## PathTracker: balanced accuracy (%%) [bootstrap 95 %% interval]\n\nColumns: test videos of T "
                 "frames with D distractors at speed 1 (other speeds, if scored, are in accuracy.tsv). Humans: "
                 "the PathTracker paper's MTurk data (arXiv 2105.13351; trained at 14 distractors; their \"1 distractor\" is D = 0 here).\n\n"
                 "| model (trained on) |");
    for (int l = 0; l < nl; l++)
        for (int d = 0; d < nd; d++) ph_sb_printf(b, " T%d D%d |", L[l], D[d]);
    ph_sb_printf(b, "\n|---|");
    for (int k = 0; k < nl * nd; k++) ph_sb_printf(b, "--:|");
    ph_sb_printf(b, "\n");
    for (int i = 0; i < s->nentries; i++) {
        const ts_entry *e = &s->entries[i];
        if (!ts_reported_on(e, "pathtracker")) continue;
        ph_sb_printf(b, "| %s (%s) |", e->label, e->train_condition);
        for (int l = 0; l < nl; l++)
            for (int d = 0; d < nd; d++) sb_cell(b, ts_find_pt(e, L[l], D[d]));
        ph_sb_printf(b, "\n");
    }
    ph_sb_printf(b, "| humans |");
    for (int l = 0; l < nl; l++)
        for (int d = 0; d < nd; d++) {
            double lo, hi, h = ts_human_pathtracker(L[l], D[d], &lo, &hi);
            if (isnan(h))
                ph_sb_printf(b, " - |");
            else
                ph_sb_printf(b, " %.1f [%.1f, %.1f] |", h, lo, hi);
        }
    ph_sb_printf(b, "\n\n![accuracy against distractors](pathtracker_distractors.png)\n\n"
                 "![accuracy against length](pathtracker_length.png)\n\n");
}

static void md_featuretracker(ph_strbuf *b, const ts_study *s)
{
    const ts_entry *first = NULL;
    for (int i = 0; i < s->nentries && !first; i++)
        if (ts_reported_on(&s->entries[i], "featuretracker")) first = &s->entries[i];
    if (!first) return;
    ph_sb_printf(b, "## FeatureTracker: balanced accuracy (%%) [bootstrap 95 %% interval]\n\nRows: test conditions "
                 "(shape rule x hues; idshapes_idcolors is the training condition, ood = out of distribution). "
                 "Humans: raw Prolific accuracies of the CV-RNN paper's data (arXiv 2410.02094), where an inferred, unverified mapping of "
                 "file names to conditions gives one (they saw 32 frames).%s\n\n| condition |",
                 first->several_lengths ? " Each model is scored on the grid at its own training length (its "
                                          "column's frames)." : "");
    for (int i = 0; i < s->nentries; i++)
        if (ts_reported_on(&s->entries[i], "featuretracker")) ph_sb_printf(b, " %s |", s->entries[i].label);
    ph_sb_printf(b, " humans |\n|---|");
    for (int i = 0; i < s->nentries; i++)
        if (ts_reported_on(&s->entries[i], "featuretracker")) ph_sb_printf(b, "--:|");
    ph_sb_printf(b, "--:|\n");
    for (int c = 0; c < first->ncond; c++) {
        ph_sb_printf(b, "| %s |", first->cond[c].ft);
        for (int i = 0; i < s->nentries; i++)
            if (ts_reported_on(&s->entries[i], "featuretracker")) sb_cell(b, ts_find_ft(&s->entries[i], first->cond[c].ft));
        const char *src;
        const double h = ts_human_featuretracker(first->cond[c].ft, &src);
        if (isnan(h))
            ph_sb_printf(b, " - |\n");
        else
            ph_sb_printf(b, " %.1f (`%s`) |\n", h, src);
    }
    ph_sb_printf(b, "\n![FeatureTracker accuracy per condition](featuretracker.png)\n\n");
}

/* Verdict counts: expected direction, not (or no difference), not informative. */
typedef struct {
    int expected, not_expected, uninformative;
} ts_tally;

/* The model gave every video of the condition the same class: the class it answered is the label
 * where it hit and the other class where it missed (binary tasks).  Its balanced accuracy is then
 * exactly 0.5 with the interval [0.5, 0.5].  A seed mean: every member did. */
static int cond_one_class(const ts_cond *k)
{
    if (!k->label) {
        for (int m = 0; m < k->nmember; m++)
            if (!cond_one_class(k->member[m])) return 0;
        return k->nmember > 0;
    }
    for (int64_t i = 1; i < k->n; i++)
        if ((k->hit[i] ? k->label[i] : 1 - k->label[i]) != (k->hit[0] ? k->label[0] : 1 - k->label[0])) return 0;
    return k->n > 0;
}

/* Training condition learned: its interval lies above chance. */
static int entry_learned(const ts_entry *e)
{
    for (int c = 0; c < e->ncond; c++)
        if (!strcmp(e->cond[c].condition, e->train_condition)) return e->cond[c].lo > 0.5;
    return 0;
}

/* One verdict line: what is expected, the numbers, and whether they go that way.  A comparison
 * involving a model that did not learn its training condition is reported but not counted as
 * evidence: a model at chance loses nothing and beats nothing. */
static void md_verdict(ph_strbuf *b, const char *claim, ts_diff d, int expect_negative, const ts_entry *x,
                       const ts_entry *y, ts_tally *t)
{
    ph_sb_printf(b, "%s: ", claim);
    sb_diff(b, d);
    if (isnan(d.v)) {
        ph_sb_printf(b, " — not measurable (a condition is missing).\n");
        return;
    }
    if (!entry_learned(x) || !entry_learned(y)) {
        ph_sb_printf(b, " points — not informative: %s did not learn its training condition\n",
                     !entry_learned(x) ? x->label : y->label);
        t->uninformative++;
        return;
    }
    if (d.v == 0) {
        ph_sb_printf(b, " points — **no difference**\n");
        t->not_expected++;
        return;
    }
    const int way = expect_negative ? d.v < 0 : d.v > 0;
    const int sure = expect_negative ? d.hi < 0 : d.lo > 0;
    const int against = expect_negative ? d.lo > 0 : d.hi < 0;
    if (way)
        t->expected++;
    else
        t->not_expected++;
    ph_sb_printf(b, " points — %s\n", way ? (sure ? "the expected direction, interval excludes 0"
                                                  : "the expected direction, but the interval includes 0")
                                          : (against ? "**NOT the expected direction** (interval excludes 0)"
                                                     : "**NOT the expected direction** (interval includes 0)"));
}

/* The models that answer one class on every video of a test file, named: they ignore the video,
 * which "did not learn" alone does not say. */
static void md_one_class(ph_strbuf *b, const ts_study *s)
{
    int scores = 0, single = 0, models = 0;
    ph_strbuf list = {0};
    for (int i = 0; i < s->nentries; i++) {
        const ts_entry *e = &s->entries[i];
        if (!ts_reported(e)) continue;
        int k = 0;
        for (int c = 0; c < e->ncond; c++) k += cond_one_class(&e->cond[c]);
        scores += e->ncond, single += k;
        if (k) ph_sb_printf(&list, "%s%s (%d of %d files)", models++ ? "; " : "", e->label, k, e->ncond);
    }
    if (!single)
        ph_sb_printf(b, "\n\n**One class.** No model answers the same class on every video of a test file.");
    else
        ph_sb_printf(b, "\n\n**One class.** %d of the %d scores come from a model that answered the same class on every "
                     "video of the test file (balanced accuracy exactly 50 %%, interval [50, 50]): it ignores the video, "
                     "which is more than not learning. %d model(s): %s.", single, scores, models, list.s);
    free(list.s);
}

static void md_findings(ph_strbuf *b, ts_study *s)
{
    ts_tally tally = {0, 0, 0};
    ph_sb_printf(b, "## Expected directions, checked on these numbers\n\n");
    /* 1. Every model far above chance on the easiest condition; and on its training condition. */
    ph_sb_printf(b, "**Easiest condition and training condition.** The original models are far above chance at "
                 "PathTracker T32 D0 and learn their training condition.\n\n");
    int learned_all = 1; /* of the reported entries */
    for (int i = 0; i < s->nentries; i++) {
        const ts_entry *e = &s->entries[i];
        if (!ts_reported(e)) continue;
        const ts_cond *easy = !strcmp(e->challenge, "pathtracker") ? ts_find_pt(e, 32, 0) : ts_find_ft(e, "noshapes_nocolors");
        const ts_cond *own = NULL;
        for (int c = 0; c < e->ncond; c++)
            if (!strcmp(e->cond[c].condition, e->train_condition)) own = &e->cond[c];
        ph_sb_printf(b, "- %s on %s: ", e->label, e->challenge);
        if (easy) {
            ph_sb_printf(b, "%s %.1f %% [%.1f, %.1f] (%s)", easy->condition, 100 * easy->balacc, 100 * easy->lo,
                         100 * easy->hi, easy->lo > 0.5 ? "above chance" : "**not distinguishable from chance**");
        }
        if (own) {
            ph_sb_printf(b, "%straining condition %.1f %% [%.1f, %.1f] (%s)", easy ? "; " : "", 100 * own->balacc,
                         100 * own->lo, 100 * own->hi, own->lo > 0.5 ? "learned" : "**not learned at this scale**");
            learned_all &= own->lo > 0.5;
        }
        ph_sb_printf(b, ".\n");
    }
    /* 2. PathTracker: recurrent models lose less than the 3D CNN. */
    ph_sb_printf(b, "\n**PathTracker: InT and the CV-RNN lose less than the 3D CNN** with more distractors and with "
                 "longer videos. A loss is accuracy(easier) minus accuracy(harder) in points; the number shown is the "
                 "recurrent model's loss minus the 3D CNN's, so a negative value is the expected direction.\n\n");
    static const char *const rec[2] = {"int", "cvrnn"};
    int pairs = 0;
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < s->nentries; i++) {
            const ts_entry *R = &s->entries[i];
            if (!is_model(R, rec[r], "pathtracker")) continue;
            for (int j = 0; j < s->nentries; j++) {
                const ts_entry *B = &s->entries[j];
                if (!is_model(B, "cnn3d", "pathtracker") || strcmp(B->train_condition, R->train_condition)) continue;
                pairs++;
                ph_sb_printf(b, "- %s against %s:\n", R->label, B->label);
                static const int steps[3][2] = {{0, 14}, {14, 25}, {0, 25}};
                for (int t = 0; t < 2; t++) {
                    const int T = t ? 64 : 32;
                    for (int k = 0; k < 3; k++) {
                        const ts_cond *c[4] = {ts_find_pt(R, T, steps[k][0]), ts_find_pt(R, T, steps[k][1]),
                                               ts_find_pt(B, T, steps[k][0]), ts_find_pt(B, T, steps[k][1])};
                        const double w[4] = {1, -1, -1, 1}, w2[2] = {1, -1};
                        char name[512], claim[512];
                        snprintf(name, sizeof name, "dist|%s|%s|%s|%s|%d|%d", run_name(R), R->point, run_name(B), B->point,
                                 T, k);
                        ts_diff dr = diff_eval(s, c, w2, 2, name), db = diff_eval(s, c + 2, w2, 2, name);
                        snprintf(claim, sizeof claim, "  - T%d, D%d -> D%d: %s loses %+.1f, %s %+.1f; difference", T,
                                 steps[k][0], steps[k][1], R->label, 100 * dr.v, B->label, 100 * db.v);
                        md_verdict(b, claim, diff_eval(s, c, w, 4, name), 1, R, B, &tally);
                    }
                }
                /* Length: mean over distractor counts of T32 minus T64. */
                const ts_cond *c[12];
                double w[12];
                int k = 0;
                for (int d = 0; d < 3; d++) {
                    static const int D[3] = {0, 14, 25};
                    c[k] = ts_find_pt(R, 32, D[d]), w[k++] = 1.0 / 3;
                    c[k] = ts_find_pt(R, 64, D[d]), w[k++] = -1.0 / 3;
                    c[k] = ts_find_pt(B, 32, D[d]), w[k++] = -1.0 / 3;
                    c[k] = ts_find_pt(B, 64, D[d]), w[k++] = 1.0 / 3;
                }
                const ts_cond *cr[6] = {c[0], c[1], c[4], c[5], c[8], c[9]}, *cb[6] = {c[2], c[3], c[6], c[7], c[10], c[11]};
                const double wr[6] = {1.0 / 3, -1.0 / 3, 1.0 / 3, -1.0 / 3, 1.0 / 3, -1.0 / 3};
                char name[512], claim[512];
                snprintf(name, sizeof name, "length|%s|%s|%s|%s", run_name(R), R->point, run_name(B), B->point);
                /* Each model's loss, and the difference with all twelve terms drawn together (paired). */
                const ts_diff dr = diff_eval(s, cr, wr, 6, name), db = diff_eval(s, cb, wr, 6, name);
                const ts_diff dd = diff_eval(s, c, w, 12, name);
                snprintf(claim, sizeof claim, "  - T32 -> T64 (mean over D 0, 14, 25): %s loses %+.1f, %s %+.1f; difference",
                         R->label, 100 * dr.v, B->label, 100 * db.v);
                md_verdict(b, claim, dd, 1, R, B, &tally);
            }
        }
    if (!pairs) ph_sb_printf(b, "- No PathTracker pair of a recurrent model and a 3D CNN trained on the same condition.\n");
    /* 3. FeatureTracker: CV-RNN beats the 3D CNN on OOD colours. */
    ph_sb_printf(b, "\n**FeatureTracker: the CV-RNN beats the 3D CNN on out-of-distribution colours.** The number is the "
                 "CV-RNN's balanced accuracy minus the 3D CNN's on the same videos, so a positive value is the "
                 "expected direction.\n\n");
    pairs = 0;
    for (int i = 0; i < s->nentries; i++) {
        const ts_entry *R = &s->entries[i];
        if (!is_model(R, "cvrnn", "featuretracker")) continue;
        for (int j = 0; j < s->nentries; j++) {
            const ts_entry *B = &s->entries[j];
            if (!is_model(B, "cnn3d", "featuretracker") || strcmp(B->train_condition, R->train_condition)) continue;
            for (int c = 0; c < R->ncond; c++) {
                if (!strstr(R->cond[c].ft, "oodcolors")) continue;
                pairs++;
                const ts_cond *cc[2] = {&R->cond[c], ts_find_ft(B, R->cond[c].ft)};
                const double w[2] = {1, -1};
                char name[512], claim[512];
                snprintf(name, sizeof name, "ood|%s|%s|%s|%s|%s", run_name(R), R->point, run_name(B), B->point,
                         R->cond[c].ft);
                snprintf(claim, sizeof claim, "- %s: %s %.1f, %s %.1f; difference", R->cond[c].ft, R->label,
                         100 * R->cond[c].balacc, B->label, cc[1] ? 100 * cc[1]->balacc : NAN);
                md_verdict(b, claim, diff_eval(s, cc, w, 2, name), 0, R, B, &tally);
            }
        }
    }
    if (!pairs) ph_sb_printf(b, "- No FeatureTracker pair of a CV-RNN and a 3D CNN trained on the same condition.\n");
    ph_sb_printf(b, "\n**Tally.** Of the comparisons between models that learned their training condition, %d go the "
                 "expected direction and %d do not or show no difference (point estimates; see each interval); %d "
                 "comparisons involve a model that did not learn its training condition and carry no evidence either "
                 "way.", tally.expected, tally.not_expected, tally.uninformative);
    if (!learned_all) {
        /* The closing note: how much the models that did not learn saw, against the originals. */
        long long seen = 0;
        int n = 0, nrep = 0;
        for (int i = 0; i < s->nentries; i++) nrep += ts_reported(&s->entries[i]);
        for (int i = 0; i < s->nentries; i++)
            if (ts_reported(&s->entries[i]) && !entry_learned(&s->entries[i])) {
                const long long v = s->entries[i].steps * s->entries[i].batch;
                seen = v > seen ? v : seen, n++;
            }
        char *videos = ph_reference_value("tracking/original_protocol.tsv", "train_videos");
        ph_sb_printf(b, "\n\n**Why.** %d of %d models did not learn their training condition. Each of them was shown at most "
                     "%lld training videos (steps x batch, repeats counted), against the original studies' %s training videos and "
                     "many epochs to early stopping (github.com/pathtracker-code/pathtracker-models, github.com/S4b1n3/feature_tracker); a model at chance cannot show the studies' "
                     "effects, so at this scale the claims are neither confirmed nor refuted. The paper-scale configs "
                     "(docs/studies/tracking.md) run the same code at the original scale.",
                     n, nrep, seen, videos);
        free(videos);
    }
    md_one_class(b, s);
    ph_sb_printf(b, "\n\n");
}

static void write_accuracy_tsv(const ts_study *s, const char *path)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "run\tpoint\tmodel\tmodel_config\tsteps\ttrain_condition\tchallenge\tcondition\tn\tcorrect\t"
                 "balanced_accuracy\tci_low\tci_high\trng_seed\tone_class\n");
    for (int i = 0; i < s->nentries; i++) {
        const ts_entry *e = &s->entries[i];
        for (int c = 0; c < e->ncond && !e->nmembers; c++) {
            const ts_cond *k = &e->cond[c];
            ph_sb_printf(&b, "%s\t%s\t%s\t%s\t%lld\t%s\t%s\t%s\t%lld\t%lld\t%.6f\t%.6f\t%.6f\t", e->run, e->point, e->model,
                         e->config, e->steps, e->train_condition, k->challenge, k->condition, (long long)k->n,
                         (long long)k->correct, k->balacc, k->lo, k->hi);
            if (e->rng_seed >= 0)
                ph_sb_printf(&b, "%lld", e->rng_seed);
            else
                ph_sb_printf(&b, "-");
            ph_sb_printf(&b, "\t%d\n", cond_one_class(k));
        }
    }
    report_write(path, b.s, b.len);
    free(b.s);
}

/* The figure of entry e: cvrnn_phase_CHALLENGE.png, or ..._{T}frames.png where the challenge has
 * models trained at several lengths. */
static void phase_png_name(const ts_entry *e, char *name, size_t size)
{
    if (e->several_lengths)
        snprintf(name, size, "cvrnn_phase_%s_%dframes.png", e->challenge, train_length(e));
    else
        snprintf(name, size, "cvrnn_phase_%s.png", e->challenge);
}

/* Whether an earlier entry than i is a CV-RNN trained on the same challenge at the same length. */
static int phase_drawn_before(const ts_study *s, int i)
{
    const ts_entry *e = &s->entries[i];
    for (int j = 0; j < i; j++) {
        const ts_entry *d = &s->entries[j];
        if (!strcmp(d->model, "cvrnn") && !d->nmembers && !strcmp(d->challenge, e->challenge) &&
            train_length(d) == train_length(e))
            return 1;
    }
    return 0;
}

/* The target-distractors angle with one decimal, or `none` where no frame shows both. */
static const char *phase_angle_text(const tracking_phase_info *info, const char *none, char *buf, size_t size)
{
    if (isnan(info->sync_target_distractors)) return none;
    snprintf(buf, size, "%.1f", info->sync_target_distractors);
    return buf;
}

/* The same measurement on every test file the entry was scored on, beside its accuracy there: does
 * the phase keep the target apart where the model generalises, and lose it where it does not? */
static void phase_table(const ts_entry *e, const ts_cond *shown, const tracking_phase_info *shown_info, ph_strbuf *b)
{
    ph_sb_printf(b, "The same measurement on the first %d videos of each test file this model was scored on, beside "
                 "its balanced accuracy there:\n\n| test file | balanced accuracy (%%) | synchrony loss | R background "
                 "| R distractors | R target | target-distractors (deg) | background-distractors (deg) |\n"
                 "|---|--:|--:|--:|--:|--:|--:|--:|\n", PHASE_BATCH);
    for (int c = 0; c < e->ncond; c++) {
        const ts_cond *k = &e->cond[c];
        tracking_phase_info info;
        if (k == shown)
            info = *shown_info;
        else if (ph_exists(k->samples))
            tracking_phase_measure(e->checkpoint, k->samples, PHASE_BATCH, &info);
        else {
            ph_sb_printf(b, "| %s | %.1f | (%s is gone) | | | | | |\n", k->condition, 100 * k->balacc, k->samples);
            continue;
        }
        char td[32];
        ph_sb_printf(b, "| %s | %.1f | %.3f | %.2f | %.2f | %.2f | %s | %.1f |\n", k->condition, 100 * k->balacc,
                     info.sync_loss, info.sync_coherence[0], info.sync_coherence[1], info.sync_coherence[2],
                     phase_angle_text(&info, "-", td, sizeof td),
                     info.sync_background_distractors);
    }
    ph_sb_printf(b, "\n");
}

/* The phase maps of the first CV-RNN per challenge and training length (the first seed of a seed
 * mean), on its training condition's test file. */
static void phase_figures(const ts_study *s, const char *out, int quiet, ph_strbuf *b)
{
    int any = 0;
    static const char *const challenges[2] = {"pathtracker", "featuretracker"};
    for (int ch = 0; ch < 2; ch++)
        for (int i = 0; i < s->nentries; i++) {
            const ts_entry *e = &s->entries[i];
            if (strcmp(e->model, "cvrnn") || strcmp(e->challenge, challenges[ch]) || e->nmembers ||
                phase_drawn_before(s, i))
                continue;
            const ts_cond *k = &e->cond[0];
            for (int c = 0; c < e->ncond; c++)
                if (!strcmp(e->cond[c].condition, e->train_condition)) k = &e->cond[c];
            if (!ph_exists(e->checkpoint) || !ph_exists(k->samples)) {
                ph_sb_printf(b, "- %s: no phase map (%s or %s is gone).\n", e->label, e->checkpoint, k->samples);
                continue;
            }
            if (!any)
                ph_sb_printf(b, "## CV-RNN phase maps\n\nOne figure per challenge and training length, of its first "
                             "CV-RNN (the first seed). Each shows, for the first %d videos of a test file, "
                             "three rows of %d frames evenly spaced from the first to the last: the input frame (the "
                             "target and distractors, red start and blue goal markers); under it the phase map "
                             "theta_t of the CV-RNN's decode layer, hue = phase (a full turn of the colour circle = "
                             "2 pi), brightness = its magnitude (scaled to the 99th percentile of the video's shown "
                             "magnitudes); and the same phase at full brightness on the pixels where the input frame "
                             "is not black (objects and markers), black elsewhere. Training worked where the target "
                             "and the distractors take different, steady hues. The model runs on the file's first "
                             "%d videos as one batch (evaluate's default batch: the cell normalises with batch "
                             "statistics); under each figure, the synchrony of all their phase maps against the "
                             "file's masks, per frame, averaged over videos and frames: the synchrony loss the "
                             "model trained with (docs/studies/tracking.md: 0.60 when one phase covers everything, 0 when "
                             "background, distractors and target are each one phase and the three are 120 degrees "
                             "apart), each group's coherence R (1: one phase; near 0: phases spread) and the angles "
                             "between the groups' mean phases; then a table of the same on every test file the "
                             "model was scored on, beside its accuracy there (where the model generalises, does its "
                             "phase still keep the target apart?).\n\n",
                             PHASE_VIDEOS, PHASE_FRAMES, PHASE_BATCH);
            any = 1;
            if (!quiet)
                fprintf(stderr, "phasor-analyze: tracking-report: running %s on its %d test files for its phase maps\n",
                        e->label, e->ncond);
            char name[96], png[4300];
            phase_png_name(e, name, sizeof name);
            snprintf(png, sizeof png, "%s/%s", out, name);
            tracking_phase_info info;
            tracking_phase_png(e->checkpoint, k->samples, PHASE_BATCH, PHASE_VIDEOS, PHASE_FRAMES, png, &info);
            ph_sb_printf(b, "![CV-RNN phase maps, %s](%s)\n\n`%s`: %s, checkpoint `%s`, test file `%s` (%s); frames",
                         e->label, name, name, e->label, e->checkpoint, k->samples, k->condition);
            for (int f = 0; f < info.frames; f++) ph_sb_printf(b, "%s%d", f ? ", " : " ", info.frame[f]);
            ph_sb_printf(b, "; videos 0..%d with labels", info.videos - 1);
            for (int v = 0; v < info.videos; v++) ph_sb_printf(b, "%s%d", v ? ", " : " ", (int)info.label[v]);
            ph_sb_printf(b, " (1: the goal is on the target's end); each pixel drawn %dx%d.\n\n", info.scale, info.scale);
            char td[32];
            ph_sb_printf(b, "Synchrony over %d videos x %d frames: loss %.3f per frame; coherence R background %.2f, "
                         "distractors %.2f, target %.2f; angle between mean phases target-distractors %s degrees, "
                         "background-distractors %.1f degrees.\n\n", info.sync_videos, info.sync_frames,
                         info.sync_loss, info.sync_coherence[0], info.sync_coherence[1], info.sync_coherence[2],
                         phase_angle_text(&info, "- (no frame shows both)", td, sizeof td),
                         info.sync_background_distractors);
            phase_table(e, k, &info, b);
        }
}

/* Stale figures of an earlier report would be mistaken for this one's: the fixed names and every
 * cvrnn_phase_*.png (their names depend on the training lengths). */
static void remove_old_figures(const char *out, const char *const *figures, int n)
{
    char path[4400];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", out, figures[i]);
        if (ph_exists(path)) PH_CHECK_LIBC(unlink(path) == 0, "removing an old figure", "check the --out folder");
    }
    DIR *d = opendir(out);
    PH_CHECK_LIBC(d != NULL, "listing the output folder", "check the --out folder");
    for (struct dirent *de; (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (strncmp(de->d_name, "cvrnn_phase_", 12) || len < 4 || strcmp(de->d_name + len - 4, ".png")) continue;
        snprintf(path, sizeof path, "%s/%s", out, de->d_name);
        PH_CHECK_LIBC(unlink(path) == 0, "removing an old figure", "check the --out folder");
    }
    closedir(d);
}

int ph_analyze_tracking_report_main(int argc, char **argv)
{
    report_options o;
    options_parse(argc, argv, &o);
    static const char *const outputs[] = {"REPORT.md", "accuracy.tsv", "pathtracker_distractors.png",
                                          "pathtracker_length.png", "featuretracker.png", "cvrnn_phase_pathtracker.png",
                                          "cvrnn_phase_featuretracker.png"};
    char msg[4400] = "";
    if (ph_size() != 1) snprintf(msg, sizeof msg, "tracking-report: run it with one MPI rank (it reads small files)");
    ph_usage_check_bcast(msg);
    report_outputs_check("tracking-report", o.out_dir, outputs, (int)(sizeof outputs / sizeof outputs[0]), o.force);

    static ts_study s; /* large: keep it off the stack */
    memset(&s, 0, sizeof s);
    s.reps = o.reps, s.seed = o.seed;
    for (int r = 0; r < o.nruns; r++) study_read_run(&s, o.runs[r]);
    study_label_lengths(&s);
    study_group_seeds(&s);
    if (!s.nentries)
        ph_usage_error("tracking-report: no point of %s%s has an evaluation (run the sweeps first: make "
                       "reproduce-tracking; slurm/status RUN shows each point)", o.runs[0], o.nruns > 1 ? " and the others" : "");
    for (int i = 0; i < s.nentries; i++)
        for (int c = 0; c < s.entries[i].ncond; c++) cond_bootstrap(&s, &s.entries[i], &s.entries[i].cond[c]);

    char path[4200];
    remove_old_figures(o.out_dir, outputs + 2, (int)(sizeof outputs / sizeof outputs[0]) - 2);
    snprintf(path, sizeof path, "%s/accuracy.tsv", o.out_dir);
    write_accuracy_tsv(&s, path);
    snprintf(path, sizeof path, "%s/pathtracker_distractors.png", o.out_dir);
    ts_plot_distractors(&s, path);
    snprintf(path, sizeof path, "%s/pathtracker_length.png", o.out_dir);
    ts_plot_length(&s, path);
    snprintf(path, sizeof path, "%s/featuretracker.png", o.out_dir);
    ts_plot_featuretracker(&s, path);

    ph_strbuf b = {0};
    ph_sb_printf(&b, "# Tracking study: PathTracker and FeatureTracker generalisation\n\nWritten by `phasor-analyze "
                 "tracking-report` (phasor %s, git %s) from %d run folder%s; every number below is computed from their "
                 "evaluation files (accuracy.tsv lists them all). The study and how to run it: "
                 "docs/studies/tracking.md.\n\n",
                 PHASOR_VERSION, PHASOR_GIT_COMMIT, s.nruns, s.nruns == 1 ? "" : "s");
    md_scale(&b, &s);
    md_pathtracker(&b, &s);
    md_featuretracker(&b, &s);
    md_findings(&b, &s);
    if (o.phase) phase_figures(&s, o.out_dir, o.quiet, &b);
    snprintf(path, sizeof path, "%s/REPORT.md", o.out_dir);
    report_write(path, b.s, b.len);
    free(b.s);
    if (!o.quiet)
        fprintf(stderr, "phasor-analyze: tracking-report: %d trained models from %d run folders; wrote %s\n", s.nentries,
                s.nruns, path);
    for (int i = 0; i < s.nentries; i++)
        for (int c = 0; c < s.entries[i].ncond; c++) free(s.entries[i].cond[c].label), free(s.entries[i].cond[c].hit);
    return 0;
}
