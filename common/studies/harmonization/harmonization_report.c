/* phasor-analyze harmonization-report: the harmonizer study's REPORT.md from the run
 * folders of its sweeps (configs/harmonization_study*.ini; every point trains one model,
 * plain or harmonized, and its analyze stage runs phasor-analyze alignment on the
 * decorrelated test split).
 *
 * Per model: balanced accuracy on the test split with a stratified bootstrap interval,
 * the alignment score, Dice, IoU, the attacks' median eps and alignment.  Models are
 * paired by everything but [harmonize] weight: each harmonized model is compared with
 * the plain model of the same architecture and seed, on the same test images, with
 * paired bootstrap intervals of the differences (accuracy, alignment).  The study's
 * expected directions are checked on these numbers and stated either way. */
#include "harmonization_report.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/rng.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "harmonize/alignment.h"
#include "stats/balacc.h"
#include "studies/report_util.h"
#include "studies/report_plot.h"

#include <getopt.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_RUNS = 8, MAX_POINTS = 256, REPS_DEFAULT = 2000 };

typedef struct {
    const char *runs[MAX_RUNS];
    int nruns, reps, force, quiet;
    const char *out_dir;
} report_options;

/* One evaluated point. */
typedef struct {
    char dir[4200], label[160], arch[160]; /* arch: the model without the harmonizer's weight */
    char model[32];
    double weight, lr;
    long long steps, batch, seed, train_n, test_n;
    double acc, score, dice, iou, median_eps, attack_rho;
    double cue_agree_acc, cue_conflict_acc; /* accuracy where the spurious cue agrees / conflicts (NAN: no cue) */
    long long attacked, fooled, maps;
    int32_t *label_v;
    int *hit;
    double *rho;  /* per test image; NAN where undefined or without a map */
    int pair;     /* harmonized: index of its plain model, else -1 */
    double val_acc; /* best validation accuracy (train.jsonl): what chose best.h5 */
    int selected;   /* harmonized: the weight its architecture's validation accuracy chose */
    double ba, ba_lo, ba_hi; /* test balanced accuracy and its bootstrap interval */
    int competent;  /* the interval lies above chance: only then is its alignment reported */
    int nlayers;  /* neural predictivity (probe/neural.tsv), 0 when not measured */
    char layer[8][32];
    double neural_raw[8], neural_norm[8], neural_ceiling;
} point;

typedef struct {
    point p[MAX_POINTS];
    int n, missing;
    char missing_list[16][160];
    report_times times;
} study;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze harmonization-report RUN [RUN ...] --out DIR [options]\n"
            "\n"
            "The neural-harmonizer study's report from the run folders of its sweeps (slurm/submit;\n"
            "each point trained one image model, plain ([harmonize] weight = 0) or harmonized, and its\n"
            "analyze stage ran phasor-analyze alignment on a test split whose spurious cue is\n"
            "decorrelated from the label).  Per model: balanced accuracy with a bootstrap 95%%\n"
            "interval, alignment score, Dice, IoU, adversarial eps and attack alignment; each\n"
            "harmonized model against the plain model of the same architecture and seed, with paired\n"
            "intervals; the trade-off figure.  make reproduce-harmonization runs it.\n"
            "\n"
            "options:\n"
            "  --out DIR     output folder (created if missing; required)\n"
            "  --reps N      bootstrap replicates (default %d, 0 = no intervals)\n"
            "  --force       replace existing outputs\n"
            "  --quiet       no final line\n"
            "\n"
            "writes: DIR/REPORT.md, DIR/models.tsv, DIR/tradeoff.png, DIR/panel_plain.png and\n"
            "DIR/panel_harmonized.png (saliency panels of the first pair)\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            REPS_DEFAULT);
}

static void options_parse(int argc, char **argv, report_options *o)
{
    static const struct option longs[] = {{"out", required_argument, 0, 'o'}, {"reps", required_argument, 0, 'r'},
                                          {"force", no_argument, 0, 'f'},      {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->reps = REPS_DEFAULT;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "-:", longs, NULL)) != -1;) {
        switch (c) {
        case 1:
            if (o->nruns == MAX_RUNS) ph_usage_error("harmonization-report: at most %d run folders", MAX_RUNS);
            o->runs[o->nruns++] = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'r': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 0 || v > 1000000)
                ph_usage_error("harmonization-report: --reps must be an integer in 0..1000000, got '%s'", optarg);
            o->reps = (int)v;
            break;
        }
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("harmonization-report: option '%s' needs a value", argv[optind - 1]);
        default: ph_usage_error("harmonization-report: unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (!o->nruns) ph_usage_error("harmonization-report: no run folder given (harmonization-report RUN... --out DIR)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("harmonization-report: missing --out DIR");
}

/* ---- reading a point ------------------------------------------------------------------- */

typedef struct {
    point *p;
    ph_strbuf arch;
} ini_user;

static int train_ini_key(void *user, const char *section, const char *key, const char *value)
{
    ini_user *u = user;
    point *p = u->p;
    if (!strcmp(section, "train")) {
        if (!strcmp(key, "model")) snprintf(p->model, sizeof p->model, "%s", value);
        else if (!strcmp(key, "steps")) p->steps = atoll(value);
        else if (!strcmp(key, "batch")) p->batch = atoll(value);
        else if (!strcmp(key, "lr")) p->lr = atof(value);
        else if (!strcmp(key, "seed")) p->seed = atoll(value);
    } else if (!strcmp(section, "harmonize")) {
        if (!strcmp(key, "weight")) p->weight = atof(value);
    } else if (!strcmp(section, p->model[0] ? p->model : "resnet")) {
        ph_sb_printf(&u->arch, "%s%s=%s", u->arch.len ? " " : "", key, value);
    }
    return 1;
}

/* Per-image rows of alignment_samples.tsv: label, correct, rho (token-1 images). */
static long long samples_read(const char *path, point *p)
{
    char *text = report_file_slurp(path);
    if (!text) return -1;
    long long n = 0, cap = 1024;
    p->label_v = malloc((size_t)cap * sizeof *p->label_v), p->hit = malloc((size_t)cap * sizeof *p->hit);
    p->rho = malloc((size_t)cap * sizeof *p->rho);
    PH_CHECK_ALLOC(p->label_v && p->hit && p->rho, "reading per-image results");
    char *save = NULL;
    strtok_r(text, "\n", &save); /* header */
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long long idx;
        int label, pred, correct, token;
        char rho[32];
        if (sscanf(line, "%lld\t%d\t%d\t%d\t%d\t%31s", &idx, &label, &pred, &correct, &token, rho) != 6) {
            char what[4300];
            snprintf(what, sizeof what, "reading %s", path);
            PH_FAIL(what, "a row is not index, label, pred, correct, token, rho, ...", "rerun phasor-analyze alignment");
        }
        if (n == cap) {
            cap *= 2;
            p->label_v = realloc(p->label_v, (size_t)cap * sizeof *p->label_v);
            p->hit = realloc(p->hit, (size_t)cap * sizeof *p->hit), p->rho = realloc(p->rho, (size_t)cap * sizeof *p->rho);
            PH_CHECK_ALLOC(p->label_v && p->hit && p->rho, "reading per-image results");
        }
        p->label_v[n] = label, p->hit[n] = correct;
        p->rho[n] = token ? strtod(rho, NULL) : NAN;
        n++;
    }
    free(text);
    return n;
}

/* The largest "val_accuracy" of a phasor-train log (NAN if none). */
static double best_val_accuracy(const char *path)
{
    char *text = report_file_slurp(path);
    double best = NAN;
    for (const char *q = text; q && (q = strstr(q, "\"val_accuracy\":")); q++) {
        double v = strtod(q + strlen("\"val_accuracy\":"), NULL);
        if (isnan(best) || v > best) best = v;
    }
    free(text);
    return best;
}

/* probe/neural.tsv (phasor-probe neural): layer, raw, ceiling, normalised per row. */
static void neural_read(const char *path, point *p)
{
    char *text = report_file_slurp(path);
    if (!text) return;
    char *save = NULL;
    strtok_r(text, "\n", &save);
    for (char *line = strtok_r(NULL, "\n", &save); line && p->nlayers < 8; line = strtok_r(NULL, "\n", &save)) {
        char name[32];
        double raw, ceil, norm;
        if (sscanf(line, "%31s\t%lf\t%lf\t%lf", name, &raw, &ceil, &norm) != 4) continue;
        snprintf(p->layer[p->nlayers], sizeof p->layer[0], "%s", name);
        p->neural_raw[p->nlayers] = raw, p->neural_norm[p->nlayers] = norm, p->neural_ceiling = ceil;
        p->nlayers++;
    }
    free(text);
}

static void study_read_run(study *s, const char *run)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/points.tsv", run);
    char *points = report_file_slurp(path);
    if (!points)
        ph_usage_error("harmonization-report: %s has no points.tsv: not a run folder of slurm/submit (give runs/NAME)", run);
    char *save = NULL;
    strtok_r(points, "\n", &save);
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char id[32];
        if (sscanf(line, "%31s", id) != 1) continue;
        static const char *const stages[3] = {"generate", "train", "analyze"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/p%s/%s.log", run, id, stages[k]);
            report_log_times(path, &s->times.seconds[k], &s->times.first, &s->times.last);
        }
        snprintf(path, sizeof path, "%s/p%s/analyze/alignment.tsv", run, id);
        report_tsv t;
        if (s->n == MAX_POINTS) PH_FAIL("reading the study", "more than 256 points", "report fewer sweeps at once");
        point *p = &s->p[s->n];
        memset(p, 0, sizeof *p);
        if (report_tsv_read(path, "phasor-analyze alignment", &t)) {
            if (s->missing < 16) snprintf(s->missing_list[s->missing], sizeof s->missing_list[0], "%s/p%s", run, id);
            s->missing++;
            continue;
        }
        snprintf(p->dir, sizeof p->dir, "%s/p%s", run, id);
        p->acc = atof(report_tsv_need(&t, "accuracy", path));
        p->score = atof(report_tsv_need(&t, "alignment_score", path));
        p->dice = atof(report_tsv_need(&t, "dice", path)), p->iou = atof(report_tsv_need(&t, "iou", path));
        p->attacked = atoll(report_tsv_need(&t, "attacked", path)), p->fooled = atoll(report_tsv_need(&t, "fooled", path));
        p->median_eps = atof(report_tsv_need(&t, "median_eps", path));
        p->attack_rho = atof(report_tsv_need(&t, "attack_alignment", path));
        p->maps = atoll(report_tsv_need(&t, "maps", path));
        /* optional: alignment.tsv files written before these columns, or samples without a cue */
        const char *ca = report_tsv_get(&t, "cue_agrees_accuracy"), *cc = report_tsv_get(&t, "cue_conflicts_accuracy");
        p->cue_agree_acc = ca ? strtod(ca, NULL) : NAN, p->cue_conflict_acc = cc ? strtod(cc, NULL) : NAN;
        report_tsv_free(&t);
        snprintf(path, sizeof path, "%s/p%s/train.ini", run, id);
        char *ini = report_file_slurp(path);
        if (!ini) PH_FAIL("reading a point's training config", "train.ini is missing", "resubmit the sweep");
        ini_user u = {p, {0}};
        ph_sb_printf(&u.arch, "%s", "");
        if (ini_parse_string(ini, train_ini_key, &u) < 0) PH_FAIL("reading a point's training config", path, "resubmit the sweep");
        free(ini);
        char model[32];
        snprintf(model, sizeof model, "%s", p->model);
        snprintf(p->arch, sizeof p->arch, "%s %s seed=%lld", model, u.arch.s, p->seed);
        free(u.arch.s);
        snprintf(path, sizeof path, "%s/p%s/analyze/alignment_samples.tsv", run, id);
        p->test_n = samples_read(path, p);
        if (p->test_n < 1) PH_FAIL("reading per-image results", path, "rerun phasor-analyze alignment for this point");
        snprintf(path, sizeof path, "%s/p%s/probe/neural.tsv", run, id);
        neural_read(path, p);
        snprintf(path, sizeof path, "%s/p%s/train/train.jsonl", run, id);
        p->val_acc = best_val_accuracy(path);
        s->n++;
    }
    free(points);
}

/* Plain partner of each harmonized model: same architecture and seed, weight 0.  Per
 * architecture, the harmonized weight with the best validation accuracy (the smaller weight
 * on ties) is the selected one: the weight is chosen as any hyperparameter, never on test. */
static void study_pair(study *s)
{
    for (int i = 0; i < s->n; i++) {
        point *p = &s->p[i];
        p->pair = -1, p->selected = 0;
        snprintf(p->label, sizeof p->label, "%s%s", p->arch, p->weight > 0 ? " harmonized" : "");
        if (p->weight <= 0) continue;
        for (int j = 0; j < s->n; j++)
            if (s->p[j].weight <= 0 && !strcmp(s->p[j].arch, p->arch) && s->p[j].test_n == p->test_n) p->pair = j;
    }
    for (int i = 0; i < s->n; i++) {
        point *p = &s->p[i];
        if (p->pair < 0) continue;
        int best = 1;
        for (int j = 0; j < s->n; j++) {
            const point *q = &s->p[j];
            if (j == i || q->pair != p->pair) continue;
            if (q->val_acc > p->val_acc || (q->val_acc == p->val_acc && q->weight < p->weight)) best = 0;
        }
        p->selected = best;
    }
}

/* Paired bootstrap of mean(rho_a) - mean(rho_b) over images defined in both. */
/* Each model's test balanced accuracy and interval; competent when it lies above chance. */
static void study_accuracy(study *s, int reps)
{
    for (int i = 0; i < s->n; i++) {
        point *p = &s->p[i];
        p->ba_lo = p->ba_hi = NAN;
        ph_balacc_term t = {p->label_v, p->hit, p->test_n, 1.0};
        p->ba = ph_balacc_bootstrap(&t, 1, reps, 0.95, 1, ph_balacc_name_hash(p->dir), &p->ba_lo, &p->ba_hi);
        p->competent = p->ba_lo > 0.5;
    }
}

static void rho_diff_interval(const point *a, const point *b, int reps, double *mean, double *lo, double *hi)
{
    long long n = a->test_n, k = 0;
    int64_t *ok = malloc((size_t)n * sizeof *ok);
    double *v = malloc((size_t)(reps > 0 ? reps : 1) * sizeof *v);
    PH_CHECK_ALLOC(ok && v, "bootstrapping");
    double sum = 0;
    for (long long i = 0; i < n; i++)
        if (!isnan(a->rho[i]) && !isnan(b->rho[i])) ok[k++] = i, sum += a->rho[i] - b->rho[i];
    *mean = k ? sum / k / PH_HUMAN_SPEARMAN_CEILING : NAN;
    *lo = *hi = NAN;
    if (k && reps >= 2) {
        const uint32_t sub = ph_balacc_name_hash("alignment difference");
        for (int r = 0; r < reps; r++) {
            ph_rng g;
            ph_rng_init(&g, 1, PH_STREAM_BOOTSTRAP, (uint64_t)r, sub);
            double s = 0;
            for (long long j = 0; j < k; j++) {
                long long i = ok[ph_rng_below(&g, (uint32_t)k)];
                s += a->rho[i] - b->rho[i];
            }
            v[r] = s / k / PH_HUMAN_SPEARMAN_CEILING;
        }
        for (int i = 1; i < reps; i++) /* insertion sort: reps is small */
            for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
                double t = v[j];
                v[j] = v[j - 1], v[j - 1] = t;
            }
        double ql = 0.025 * (reps - 1), qh = 0.975 * (reps - 1);
        int il = (int)ql, ih = (int)qh;
        *lo = v[il] + (ql - il) * (il + 1 < reps ? v[il + 1] - v[il] : 0);
        *hi = v[ih] + (qh - ih) * (ih + 1 < reps ? v[ih + 1] - v[ih] : 0);
    }
    free(ok), free(v);
}

/* ---- outputs ----------------------------------------------------------------------------- */

static void sb_num(ph_strbuf *b, double v, const char *fmt)
{
    if (isnan(v)) ph_sb_printf(b, " - |");
    else {
        ph_sb_printf(b, " ");
        ph_sb_printf(b, fmt, v);
        ph_sb_printf(b, " |");
    }
}

static void plot_tradeoff(const study *s, const char *png)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "$plain << EOD\n");
    for (int i = 0; i < s->n; i++)
        if (s->p[i].weight <= 0) ph_sb_printf(&b, "%.6f %.6f\n", 100 * s->p[i].score, 100 * s->p[i].acc);
    ph_sb_printf(&b, "EOD\n$harm << EOD\n");
    for (int i = 0; i < s->n; i++)
        if (s->p[i].weight > 0) ph_sb_printf(&b, "%.6f %.6f\n", 100 * s->p[i].score, 100 * s->p[i].acc);
    ph_sb_printf(&b, "EOD\n$pairs << EOD\n");
    for (int i = 0; i < s->n; i++)
        if (s->p[i].pair >= 0) {
            const point *a = &s->p[s->p[i].pair], *h = &s->p[i];
            ph_sb_printf(&b, "%.6f %.6f %.6f %.6f\n", 100 * a->score, 100 * a->acc, 100 * (h->score - a->score),
                         100 * (h->acc - a->acc));
        }
    ph_sb_printf(&b, "EOD\nset xlabel 'alignment with the human maps (%% of the human ceiling)'\n"
                     "set ylabel 'balanced accuracy on the decorrelated test split (%%)'\nset grid\nset key bottom right\n"
                     "set title 'Accuracy against alignment: each arrow joins a plain model to its harmonized twin'\n"
                     "plot $pairs using 1:2:3:4 with vectors head filled lc rgb '#999999' notitle, "
                     "$plain using 1:2 with points pt 7 ps 1.4 lc rgb '#1f77b4' title 'plain', "
                     "$harm using 1:2 with points pt 5 ps 1.4 lc rgb '#d62728' title 'harmonized', "
                     "50 with lines dt 2 lc rgb 'black' title 'chance'\n");
    report_plot(b.s, png, 900, 600);
    free(b.s);
}

/* A figure copied byte for byte into the report folder (atomically); absent: nothing. */
static void copy_file(const char *from, const char *to)
{
    FILE *f = fopen(from, "rb");
    if (!f) return;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *buf = len > 0 ? malloc((size_t)len) : NULL;
    int ok = buf && fseek(f, 0, SEEK_SET) == 0 && fread(buf, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (ok) ph_write_file_atomic(to, buf, (size_t)len);
    free(buf);
}

/* Neural predictivity per layer (normalised by the sites' ceiling), and the best layer. */
static void md_neural(ph_strbuf *b, const study *s)
{
    int any = -1;
    for (int i = 0; i < s->n && any < 0; i++)
        if (s->p[i].nlayers) any = i;
    ph_sb_printf(b, "## Neural predictivity\n\n");
    if (any < 0) {
        ph_sb_printf(b, "Not measured (no point has probe/neural.tsv; scripts/harmonization_study.sh runs phasor-probe "
                     "after the sweep).\n\n");
        return;
    }
    const point *q = &s->p[any];
    ph_sb_printf(b, "Leave-one-image-out regression (phasor-probe neural) from each layer's features on a grid to "
                 "synthetic spatially resolved sites driven by the diagnostic part (phasor-probe sites), Pearson r per "
                 "site over the grid of the held-out image, median over sites, mean over images, divided by the "
                 "sites' ceiling (%.3f). Per layer, and the best layer (the maximum over layers, as the IT paper's code takes it: Linsley et al. 2023, arXiv 2306.03779):\n\n"
                 "| model | weight |", q->neural_ceiling);
    for (int l = 0; l < q->nlayers; l++) ph_sb_printf(b, " %s |", q->layer[l]);
    ph_sb_printf(b, " best |\n|---|--:|");
    for (int l = 0; l <= q->nlayers; l++) ph_sb_printf(b, "--:|");
    ph_sb_printf(b, "\n");
    int pairs = 0, better = 0;
    for (int i = 0; i < s->n; i++) {
        const point *p = &s->p[i];
        if (!p->nlayers) continue;
        double best = -INFINITY;
        ph_sb_printf(b, "| %s | %g |", p->arch, p->weight);
        for (int l = 0; l < p->nlayers; l++) ph_sb_printf(b, " %.3f |", p->neural_norm[l]), best = fmax(best, p->neural_norm[l]);
        ph_sb_printf(b, " %.3f |\n", best);
        if (p->pair >= 0 && s->p[p->pair].nlayers) {
            double pb = -INFINITY;
            for (int l = 0; l < s->p[p->pair].nlayers; l++) pb = fmax(pb, s->p[p->pair].neural_norm[l]);
            pairs++, better += best > pb;
        }
    }
    ph_sb_printf(b, "\nThe best layer of the harmonized model predicts the sites better than that of its plain twin in "
                 "%d of %d pairs.\n\n", better, pairs);
}

static void write_report(const study *s, const report_options *o, const char *path)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "# Neural harmonizer study: alignment with human maps, accuracy and adversarial alignment\n\n"
                 "Written by `phasor-analyze harmonization-report` (phasor %s, git %s) from the run folders below "
                 "(`make reproduce-harmonization` runs the local study; docs/studies/harmonization.md describes it). "
                 "Every number is measured on a held-out test split of the synthetic diagnostic challenge whose "
                 "spurious cue is decorrelated from the label, by `phasor-analyze alignment`.\n\n",
                 PHASOR_VERSION, PHASOR_GIT_COMMIT);
    ph_sb_printf(&b, "## Scale\n\n");
    for (int r = 0; r < o->nruns; r++) ph_sb_printf(&b, "- run folder `%s`\n", o->runs[r]);
    ph_sb_printf(&b, "- %d models evaluated", s->n);
    if (s->n) ph_sb_printf(&b, "; test split of %lld images", s->p[0].test_n);
    ph_sb_printf(&b, "\n- training:");
    for (int i = 0; i < s->n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= s->p[j].steps == s->p[i].steps && s->p[j].batch == s->p[i].batch && s->p[j].lr == s->p[i].lr;
        if (!seen) ph_sb_printf(&b, " %lld steps of batch %lld at learning rate %g;", s->p[i].steps, s->p[i].batch, s->p[i].lr);
    }
    ph_sb_printf(&b, "\n");
    report_md_compute(&b, &s->times, "");
    ph_sb_printf(&b, "\n");
    ph_sb_printf(&b, "## Models\n\nBalanced accuracy with a stratified bootstrap 95%% interval (%d replicates); alignment "
                 "score = mean Spearman rho between the evaluation saliency and the human map over images with a map, "
                 "divided by the human ceiling %.4f (so 100 = human-level agreement); Dice and IoU of the top 10%% "
                 "pixels; attacks on the correctly classified images: fooled of attacked within eps <= 10, the median "
                 "minimal L2 eps, and the mean Spearman rho between |perturbation| and the human map.  *Cue agrees / "
                 "conflicts*: plain accuracy on the test images whose spurious cue names the label and on those where "
                 "it names the other class; a model that reads the cue is near 100 / 0, one that reads the part "
                 "scores the same on both.  *At chance*: the test accuracy's interval includes 50 %%, so the model "
                 "has not learned the task and its alignment (in parentheses) is not counted as alignment; Dice "
                 "and IoU are left out for it.\n\n"
                 "| model | weight | validation accuracy %% | test accuracy %% [95%% CI] | cue agrees / conflicts %% | "
                 "alignment %% | Dice | IoU | fooled / attacked | median eps | attack alignment |\n"
                 "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n", o->reps, PH_HUMAN_SPEARMAN_CEILING);
    for (int i = 0; i < s->n; i++) {
        const point *p = &s->p[i];
        ph_sb_printf(&b, "| %s | %g |", p->arch, p->weight);
        sb_num(&b, 100 * p->val_acc, "%.1f");
        if (isnan(p->ba_lo)) ph_sb_printf(&b, " %.1f |", 100 * p->ba);
        else ph_sb_printf(&b, " %.1f [%.1f, %.1f] |", 100 * p->ba, 100 * p->ba_lo, 100 * p->ba_hi);
        if (isnan(p->cue_agree_acc) || isnan(p->cue_conflict_acc)) ph_sb_printf(&b, " - |");
        else ph_sb_printf(&b, " %.1f / %.1f |", 100 * p->cue_agree_acc, 100 * p->cue_conflict_acc);
        if (p->competent) {
            sb_num(&b, 100 * p->score, "%.1f");
            sb_num(&b, p->dice, "%.3f");
            sb_num(&b, p->iou, "%.3f");
        } else {
            ph_sb_printf(&b, " at chance (%.1f) | - | - |", 100 * p->score);
        }
        ph_sb_printf(&b, " %lld / %lld |", p->fooled, p->attacked);
        sb_num(&b, p->median_eps, "%.3f");
        sb_num(&b, p->attack_rho, "%.3f");
        ph_sb_printf(&b, "\n");
    }
    ph_sb_printf(&b, "\n![accuracy against alignment](tradeoff.png)\n\n## Harmonized against plain, pair by pair\n\n"
                 "Each harmonized model against the plain model of the same architecture and seed, on the same test "
                 "images: differences (harmonized - plain) with paired bootstrap 95%% intervals.\n\n"
                 "The weight marked *selected* is, per architecture, the one whose validation accuracy (the "
                 "decorrelated validation split, which also chose each model's best.h5) is highest; the expected "
                 "directions below are checked on the selected pairs, and on all pairs.\n\n"
                 "| model | weight | validation accuracy %% (plain) | accuracy diff (points) [95%% CI] | alignment diff "
                 "(points of ceiling) [95%% CI] | attack alignment diff |\n|---|--:|--:|--:|--:|--:|\n");
    int pairs = 0, aligned = 0, aligned_sig = 0, acc_ok = 0, attack_more = 0, attack_pairs = 0;
    int all_pairs = 0, all_aligned = 0, all_acc_ok = 0, chance_pairs = 0, all_chance_pairs = 0;
    for (int i = 0; i < s->n; i++) {
        const point *h = &s->p[i];
        if (h->pair < 0) continue;
        const point *a = &s->p[h->pair];
        double lo = NAN, hi = NAN, rl, rh, rd;
        ph_balacc_term t[2] = {{h->label_v, h->hit, h->test_n, 1.0}, {a->label_v, a->hit, a->test_n, -1.0}};
        double d = ph_balacc_bootstrap(t, 2, o->reps, 0.95, 1, ph_balacc_name_hash(h->dir), &lo, &hi);
        rho_diff_interval(h, a, o->reps, &rd, &rl, &rh);
        /* Alignment is compared only between two models that learned the task. */
        const int both = h->competent && a->competent;
        all_chance_pairs += !both;
        if (both) all_pairs++, all_aligned += rd > 0, all_acc_ok += d > -0.02;
        const double ad = h->attack_rho - a->attack_rho;
        if (h->selected) {
            chance_pairs += !both;
            if (both) pairs++, aligned += rd > 0, aligned_sig += rl > 0, acc_ok += d > -0.02;
            if (!isnan(ad)) attack_pairs++, attack_more += ad > 0;
        }
        ph_sb_printf(&b, "| %s | %g%s | %.1f (%.1f) | %+.1f [%+.1f, %+.1f] |", h->arch, h->weight,
                     h->selected ? " *selected*" : "", 100 * h->val_acc, 100 * a->val_acc, 100 * d, 100 * lo, 100 * hi);
        if (both) ph_sb_printf(&b, " %+.1f [%+.1f, %+.1f] |", 100 * rd, 100 * rl, 100 * rh);
        else ph_sb_printf(&b, " not compared: %s at chance |", !h->competent && !a->competent ? "both" : h->competent ? "plain" : "harmonized");
        sb_num(&b, ad, "%+.3f");
        ph_sb_printf(&b, "\n");
    }
    if (!all_pairs && !all_chance_pairs) ph_sb_printf(&b, "| (no harmonized model has a plain twin) | | | | | |\n");
    ph_sb_printf(&b, "\n## Expected directions, checked\n\n"
                 "1. *Harmonized models are more aligned with the human maps than plain ones, at similar or better "
                 "accuracy on the decorrelated test split.* Counted only over pairs whose two models are both above "
                 "chance (%d selected and %d of all pairs are left out). Selected pairs: alignment is higher in %d of "
                 "%d (the paired interval excludes 0 in %d); accuracy is no more than 2 points lower in %d of %d. All "
                 "pairs: alignment higher in %d of %d, accuracy no more than 2 points lower in %d of %d.%s\n"
                 "2. *Attacks on harmonized models are more aligned with the human maps.* The attack alignment is "
                 "higher in %d of %d selected pairs with attacks.%s\n\n",
                 chance_pairs, all_chance_pairs, aligned, pairs, aligned_sig, acc_ok, pairs, all_aligned, all_pairs,
                 all_acc_ok, all_pairs,
                 pairs && (aligned < pairs || acc_ok < pairs) ? " **Not every pair comes out this way: see the table above.**" : "",
                 attack_more, attack_pairs,
                 attack_pairs && attack_more < attack_pairs ? " **Not every pair comes out this way.**" : "");
    md_neural(&b, s);
    ph_sb_printf(&b, "## Saliency\n\nImages of the test split (left), their human maps, the models' evaluation "
                 "saliency |d logit / dx| and the minimal perturbation that flips the decision (black when the "
                 "image was misclassified or not flipped within eps = 10), for the first selected pair.\n\n"
                 "| plain | harmonized |\n|---|---|\n| ![plain](panel_plain.png) | ![harmonized](panel_harmonized.png) |\n\n");
    if (s->missing) {
        ph_sb_printf(&b, "## Missing points\n\n%d point(s) have no alignment.tsv (`slurm/status RUN` says why):\n\n", s->missing);
        for (int i = 0; i < s->missing && i < 16; i++) ph_sb_printf(&b, "- `%s`\n", s->missing_list[i]);
        ph_sb_printf(&b, "\n");
    }
    report_write(path, b.s, b.len);
    free(b.s);
}

int ph_analyze_harmonization_report_main(int argc, char **argv)
{
    report_options o;
    options_parse(argc, argv, &o);
    static const char *const outputs[] = {"REPORT.md", "models.tsv", "tradeoff.png"};
    report_outputs_check("harmonization-report", o.out_dir, outputs, (int)(sizeof outputs / sizeof outputs[0]), o.force);
    if (ph_rank() != 0) return 0;
    static study s;
    memset(&s, 0, sizeof s);
    for (int r = 0; r < o.nruns; r++) study_read_run(&s, o.runs[r]);
    if (!s.n)
        ph_usage_error("harmonization-report: no point of %s has an alignment.tsv (run the sweep first: make "
                       "reproduce-harmonization; slurm/status RUN shows each point)", o.runs[0]);
    study_pair(&s);
    study_accuracy(&s, o.reps);
    char path[4300];
    ph_strbuf t = {0};
    ph_sb_printf(&t, "point\tmodel\tweight\taccuracy\talignment_score\tdice\tiou\tattacked\tfooled\tmedian_eps\tattack_alignment\t"
                     "cue_agrees_accuracy\tcue_conflicts_accuracy\tbalanced_accuracy_lo\tabove_chance\n");
    for (int i = 0; i < s.n; i++) {
        const point *p = &s.p[i];
        ph_sb_printf(&t, "%s\t%s\t%g\t%.6f\t%.6f\t%.6f\t%.6f\t%lld\t%lld\t%.4f\t%.6f\t%.6f\t%.6f\t%.6f\t%d\n", p->dir, p->arch,
                     p->weight, p->acc, p->score, p->dice, p->iou, p->attacked, p->fooled, p->median_eps, p->attack_rho,
                     p->cue_agree_acc, p->cue_conflict_acc, p->ba_lo, p->competent);
    }
    snprintf(path, sizeof path, "%s/models.tsv", o.out_dir);
    report_write(path, t.s, t.len);
    free(t.s);
    snprintf(path, sizeof path, "%s/tradeoff.png", o.out_dir);
    plot_tradeoff(&s, path);
    for (int i = 0; i < s.n; i++)
        if (s.p[i].pair >= 0 && s.p[i].selected) {
            char from[4400];
            snprintf(from, sizeof from, "%s/analyze/alignment_panel.png", s.p[s.p[i].pair].dir);
            snprintf(path, sizeof path, "%s/panel_plain.png", o.out_dir);
            copy_file(from, path);
            snprintf(from, sizeof from, "%s/analyze/alignment_panel.png", s.p[i].dir);
            snprintf(path, sizeof path, "%s/panel_harmonized.png", o.out_dir);
            copy_file(from, path);
            break;
        }
    snprintf(path, sizeof path, "%s/REPORT.md", o.out_dir);
    write_report(&s, &o, path);
    if (!o.quiet) fprintf(stderr, "phasor-analyze: harmonization-report: %d models; wrote %s\n", s.n, path);
    for (int i = 0; i < s.n; i++) free(s.p[i].label_v), free(s.p[i].hit), free(s.p[i].rho);
    return 0;
}
