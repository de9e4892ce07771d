/* phasor-analyze shortcut: how much of a tracking label the start-goal distance
 * gives away.  A logistic regression on one number per video, the distance
 * between the start and the goal marker (both visible in the first frame), is
 * fitted on one sample file and scored on others.  A model that sees the
 * markers learns at least this much without tracking anything, so it is the
 * floor under which a tracking result means nothing (docs/challenges). */
#include "tracking_shortcut.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "io/h5samples.h"
#include "stats/shortcut.h"
#include "studies/report_util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_FILES = 256 };

typedef struct {
    const char *fit, *out_dir;
    const char *samples[MAX_FILES];
    int nsamples, force, quiet;
} shortcut_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze shortcut --fit TRAIN.h5 SAMPLES.h5 [MORE.h5 ...] --out DIR [options]\n"
            "\n"
            "The shortcut floor of a tracking challenge: a logistic regression on the\n"
            "distance between the start and the goal marker alone (no frame is looked at)\n"
            "is fitted on TRAIN.h5 and scored on each SAMPLES.h5.  Any model that sees both\n"
            "markers can reach this accuracy without tracking.  Works on PathTracker and\n"
            "FeatureTracker files (/meta/start, /meta/goal); compare negatives = original\n"
            "with negatives = matched (docs/challenges/pathtracker.md).\n"
            "\n"
            "options:\n"
            "  --fit FILE   the sample file the regression is fitted on (required)\n"
            "  --out DIR    output folder (created if missing; required)\n"
            "  --force      replace an existing shortcut.tsv (atomically)\n"
            "  --quiet      no result lines\n"
            "  --help       this text\n"
            "\n"
            "writes: DIR/shortcut.tsv, one row per sample file: the file, its challenge,\n"
            "condition, split, seed and N, the fit file and its N, the mean distance of\n"
            "positives and of negatives (pixels), the fitted intercept and slope (per\n"
            "pixel), balanced accuracy and its 95%% bootstrap interval (%d replicates,\n"
            "stratified by label), software version and git commit.\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            PH_SHORTCUT_BOOTSTRAP_REPS);
}

static void options_parse(int argc, char **argv, shortcut_options *o)
{
    static const struct option longs[] = {{"fit", required_argument, 0, 'i'}, {"out", required_argument, 0, 'o'},
                                          {"force", no_argument, 0, 'f'},     {"quiet", no_argument, 0, 'q'},
                                          {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    optind = 1, opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "-:", longs, NULL);
        if (c == -1) break;
        switch (c) {
        case 1:
            if (o->nsamples == MAX_FILES)
                ph_usage_error("shortcut: more than %d sample files (at '%s'; score them in several runs)", MAX_FILES,
                               optarg);
            o->samples[o->nsamples++] = optarg;
            break;
        case 'i': o->fit = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("shortcut: option '%s' needs a value (see phasor-analyze shortcut --help)", argv[optind - 1]);
        default: ph_usage_error("shortcut: unknown option '%s' (see phasor-analyze shortcut --help)", argv[optind - 1]);
        }
    }
    if (!o->fit) ph_usage_error("shortcut: missing --fit TRAIN.h5 (the file the regression is fitted on)");
    if (!o->nsamples) ph_usage_error("shortcut: expected --fit TRAIN.h5 SAMPLES.h5 --out DIR (see phasor-analyze shortcut --help)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("shortcut: missing --out DIR (the folder for shortcut.tsv)");
}

/* One file's labels and start-goal distances. */
typedef struct {
    int64_t n;
    int32_t *y;
    double *distance;
    char *challenge, *condition, *split, *seed;
} marked;

static void marked_read(marked *m, const char *path)
{
    memset(m, 0, sizeof *m);
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, path);
    const char *need[2] = {"meta/start", "meta/goal"};
    for (int i = 0; i < 2; i++) {
        if (!ph_samples_has(&r, need[i]))
            ph_usage_error("shortcut: %s has no /%s (give a PathTracker or FeatureTracker sample file)", path, need[i]);
        ph_field f;
        ph_samples_field(&r, need[i], &f);
        if (f.ndims != 1 || f.dims[0] != 2)
            ph_usage_error("shortcut: %s: /%s is not [N, 2] (row, col) (regenerate the file with phasor-generate)",
                           path, need[i]);
    }
    m->n = r.n;
    m->y = malloc((size_t)m->n * sizeof *m->y);
    m->distance = malloc((size_t)m->n * sizeof *m->distance);
    int32_t *start = malloc((size_t)m->n * 2 * sizeof *start), *goal = malloc((size_t)m->n * 2 * sizeof *goal);
    PH_CHECK_ALLOC(m->y && m->distance && start && goal, "allocating start and goal positions");
    ph_samples_labels_read(&r, 0, m->n, m->y, 2);
    ph_samples_read(&r, "meta/start", PH_I32, 0, m->n, start);
    ph_samples_read(&r, "meta/goal", PH_I32, 0, m->n, goal);
    ph_shortcut_distances(start, goal, m->n, m->distance);
    m->challenge = ph_samples_attr(&r, "challenge");
    m->condition = ph_samples_attr(&r, "condition");
    m->split = ph_samples_attr(&r, "split");
    m->seed = ph_samples_attr(&r, "seed");
    ph_samples_reader_close(&r);
    free(start), free(goal);
}

static void marked_free(marked *m)
{
    free(m->y), free(m->distance), free(m->challenge), free(m->condition), free(m->split), free(m->seed);
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

/* One row of shortcut.tsv for a scored file. */
static void score_file(const shortcut_options *o, const ph_logistic *lr, const marked *fit, const char *path,
                       ph_strbuf *rows)
{
    marked m;
    marked_read(&m, path);
    const ph_shortcut_score sc = ph_shortcut_score_of(lr, m.distance, m.y, m.n);
    ph_sb_printf(rows, "%s\t%s\t%s\t%s\t%s\t%lld\t%s\t%lld\t%.4f\t%.4f\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%s\t%s\n", path,
                 or_dash(m.challenge), or_dash(m.condition), or_dash(m.split), or_dash(m.seed), (long long)m.n, o->fit,
                 (long long)fit->n, sc.mean_pos, sc.mean_neg, ph_shortcut_intercept(lr), ph_logistic_slope(lr, 0),
                 sc.accuracy, sc.lo, sc.hi, PHASOR_VERSION, PHASOR_GIT_COMMIT);
    if (ph_rank() == 0 && !o->quiet)
        fprintf(stderr, "phasor-analyze: shortcut: %s (%s): start-goal distance alone, balanced accuracy %.4f "
                "[%.4f, %.4f]; mean distance %.2f px (positives), %.2f px (negatives)\n",
                path, or_dash(m.condition), sc.accuracy, sc.lo, sc.hi, sc.mean_pos, sc.mean_neg);
    marked_free(&m);
}

int ph_analyze_shortcut_main(int argc, char **argv)
{
    shortcut_options o;
    options_parse(argc, argv, &o);
    char tsv[4200];
    snprintf(tsv, sizeof tsv, "%s/shortcut.tsv", o.out_dir);
    static const char *const files[] = {"shortcut.tsv"};
    report_outputs_check("shortcut", o.out_dir, files, 1, o.force);

    marked fit;
    marked_read(&fit, o.fit);
    ph_logistic lr;
    if (ph_shortcut_fit(&lr, fit.distance, fit.y, fit.n) && ph_rank() == 0 && !o.quiet)
        fprintf(stderr, "phasor-analyze: shortcut: warning: the regression on %s did not converge in %d steps\n",
                o.fit, lr.iterations);
    ph_strbuf rows = {0};
    ph_sb_printf(&rows, "samples\tchallenge\tcondition\tsplit\tseed\tn\tfit_file\tfit_n\tmean_distance_pos\t"
                        "mean_distance_neg\tintercept\tslope_per_px\tbalanced_accuracy\tlo\thi\tsoftware_version\t"
                        "git_commit\n");
    for (int f = 0; f < o.nsamples; f++) score_file(&o, &lr, &fit, o.samples[f], &rows);
    if (ph_rank() == 0) {
        const char *const paths[1] = {tsv}, *const texts[1] = {rows.s};
        ph_write_files_atomic(1, paths, texts);
        if (!o.quiet) fprintf(stderr, "phasor-analyze: shortcut: wrote %s\n", tsv);
    }
    free(rows.s);
    marked_free(&fit);
    return 0;
}
