/* tracking_study.h: what tracking-report reads from the run folders of the
 * tracking study (tracking_report.c) and draws (tracking_plot.c). */
#ifndef PHASOR_TRACKING_STUDY_H
#define PHASOR_TRACKING_STUDY_H

#include <stdint.h>
#include <string.h>
#include <time.h>

enum { TS_MAX_RUNS = 16, TS_MAX_ENTRIES = 48, TS_MAX_CONDS = 32, TS_MAX_MISSING = 64, TS_MAX_SEEDS = 8 };

/* One test file scored by one trained model: an evaluate.tsv row and its samples. */
typedef struct ts_cond {
    char challenge[32], condition[160], samples[4096];
    int length, dist, skip; /* PathTracker: from "length{T}_dist{D}_skip{S}"; -1 otherwise */
    char ft[64];      /* FeatureTracker: the condition name before "_length" ("" otherwise) */
    int64_t n, correct;
    int32_t *label; /* NULL in a seed mean's condition: its members hold the samples */
    int *hit;
    double balacc, lo, hi; /* balanced accuracy and its bootstrap interval, fractions */
    int nmember;           /* a seed mean's condition: the same condition of each member */
    const struct ts_cond *member[TS_MAX_SEEDS];
    double seed_lo, seed_hi; /* a seed mean's condition: the lowest and highest member */
} ts_cond;

/* One trained model (a training point) with its evaluations; or the mean of the points of one
 * run that differ only in their training seed (a seed mean, appended after its members). */
typedef struct {
    char run[4096], point[64], checkpoint[4096]; /* a seed mean: point "p0000+p0001+...", no checkpoint */
    char model[32], config[512], label[160];
    char challenge[32], train_condition[160];
    long long train_n, val_n, steps, batch, step;
    char lr[32];
    char curriculum[1024]; /* earlier stages ([train] init): "CONDITION STEPSxBATCH + ...", "" if none */
    long long rng_seed; /* [train] seed; -1 when the evaluation does not record it */
    double best_val;
    int group;    /* a seed mean's member: the mean's index; -1 otherwise */
    int nmembers; /* a seed mean: its members' count (they have group = its index); 0 otherwise */
    int several_lengths; /* its challenge has models trained at other lengths: the label names its own */
    int ncond;
    ts_cond cond[TS_MAX_CONDS];
} ts_entry;

typedef struct {
    const char *path;
    int points, evaluated, trains; /* trains: the run has an analyze stage (a training sweep) */
    char missing[TS_MAX_MISSING][64];
    int nmissing;
    double stage_seconds[3]; /* generate, train, analyze */
    time_t first_start, last_done;
} ts_run;

typedef struct {
    ts_entry entries[TS_MAX_ENTRIES];
    int nentries;
    ts_run runs[TS_MAX_RUNS];
    int nruns;
    int reps;
    uint32_t seed;
} ts_study;

/* Whether tables, figures and comparisons show the entry: every entry but a seed mean's members
 * (they are in the scale table and accuracy.tsv). */
static inline int ts_reported(const ts_entry *e) { return e->group < 0; }
/* A reported entry trained on the challenge ("pathtracker", "featuretracker"). */
static inline int ts_reported_on(const ts_entry *e, const char *challenge)
{
    return ts_reported(e) && !strcmp(e->challenge, challenge);
}

/* Human reference accuracies (tracking.md), percent; NAN where none. */
double ts_human_pathtracker(int length, int dist, double *lo, double *hi);
double ts_human_featuretracker(const char *ft, const char **source);

/* The condition of entry e with PathTracker (length, dist) at speed 1, or FeatureTracker name; NULL if absent. */
const ts_cond *ts_find_pt(const ts_entry *e, int length, int dist);
const ts_cond *ts_find_ft(const ts_entry *e, const char *ft);

/* The distinct PathTracker lengths (want_length) or distractor counts at speed 1, sorted; their count. */
int ts_pt_values(const ts_study *s, int want_length, int *v, int max);

/* Figures (gnuplot); each returns 0 when it had nothing to draw (no file written). */
int ts_plot_distractors(const ts_study *s, const char *png);
int ts_plot_length(const ts_study *s, const char *png);
int ts_plot_featuretracker(const ts_study *s, const char *png);

#endif
