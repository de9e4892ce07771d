/* phasor-analyze scaling: how a routine's error falls with data and model size.
 *
 * Reads one TSV of runs (routine, task, n_data, n_params, seed, error), fits a
 * saturating power law per (routine, task) group with common/stats/powerlaw
 * (GSL nonlinear least squares, bootstrap intervals), tests whether the error
 * falls with size, and projects the size at which it would reach a target: the
 * questions of a scaling-law study such as Pheno-CA (Linsley et al., arXiv
 * 2309.16773), which projects how much more data a target gain needs
 * (docs/scaling_laws.md).  Rank 0 reads, fits and writes; the input is small
 * and the result does not depend on the rank count. */
#include "scaling.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "stats/balacc.h"
#include "stats/powerlaw.h"
#include "studies/report_plot.h"
#include "studies/report_util.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BOOT_DEFAULT = 1000, BOOT_MAX = 100000, MAX_COLS = 64, CURVE_POINTS = 200 };

typedef enum { X_DATA, X_PARAMS, X_BOTH } scaling_x;
static const char *const X_NAMES[] = {"data", "params", "both"};

typedef struct {
    const char *points, *out_dir;
    scaling_x x;
    double target_gain, target_error; /* NAN when not given */
    double level;
    int boot, force, quiet;
    uint32_t seed;
} scaling_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze scaling POINTS.tsv --out DIR [options]\n"
            "\n"
            "Fits a saturating power law of error against size to each group of runs in\n"
            "POINTS.tsv, with bootstrap intervals, a test that the error falls with size,\n"
            "and the size needed to reach a target error (docs/scaling_laws.md):\n"
            "  --x data     error = a N^-b + c, N = n_data; one law per (routine, task, n_params)\n"
            "  --x params   error = a P^-b + c, P = n_params; one law per (routine, task, n_data)\n"
            "  --x both     error = a_N N^-b_N + a_P P^-b_P + c; one law per (routine, task)\n"
            "with a > 0, b > 0, c >= 0 (fitted as a = exp(u), b = exp(v), c = w^2 by GSL's\n"
            "nonlinear least squares).  c is the floor that no amount of scale removes.\n"
            "\n"
            "POINTS.tsv: tab-separated; the first line that is not empty or a '#' comment\n"
            "names the columns (any order, other columns ignored):\n"
            "  routine    the learning routine (e.g. supervised, ibp_probe)\n"
            "  task       the task the error is measured on\n"
            "  n_data     training data size (a positive number; '-' allowed with --x params)\n"
            "  n_params   model size (a positive number; '-' allowed with --x data)\n"
            "  seed       the run's seed (any word); runs of one size with several seeds\n"
            "             are resampled within that size\n"
            "  error      the measured error (finite, >= 0: error rate, 1 - accuracy, a loss)\n"
            "  weight     optional: a positive weight per run (e.g. 1 / variance)\n"
            "Every group needs at least 3 distinct sizes of each fitted variable.\n"
            "\n"
            "options:\n"
            "  --out DIR           output folder (created if missing; required)\n"
            "  --x data|params|both  the size variable(s) of the law (default data)\n"
            "  --target-gain G     project the size at which the error is G below the best\n"
            "                      observed mean error of the group (error units, G > 0)\n"
            "  --target-error E    project the size at which the error reaches E (E >= 0)\n"
            "                      (with neither, the projection columns are '-')\n"
            "  --boot B            bootstrap replicates (default %d; 0 for none, else 2..%d)\n"
            "  --seed S            bootstrap seed, 0..4294967295 (default 0); the same seed\n"
            "                      gives the same intervals\n"
            "  --level L           interval coverage, in (0, 1) (default 0.95)\n"
            "  --force             replace existing outputs (atomically)\n"
            "  --quiet             no result lines\n"
            "  --help              this text\n"
            "\n"
            "The projection grows n_data (--x data, both; for both at the group's largest\n"
            "n_params) or n_params (--x params): N = (a / (E - floor))^(1/b), 'inf' when the\n"
            "target is at or below the floor (c, plus the other term for both).\n"
            "\n"
            "writes: DIR/scaling.tsv, a header and one row per group:\n"
            "  routine, task, x; at_n_data, at_n_params (the size held fixed, '-' if none);\n"
            "  points, sizes (distinct), seeds_max (most runs at one size); status ('ok' or\n"
            "  'failed: WHY' when the fit did not converge or found no decreasing law);\n"
            "  a_data, b_data, a_params, b_params, c, each with _lo and _hi (the bootstrap\n"
            "  interval; '-' for a variable not fitted); rss (weighted residual sum of squares);\n"
            "  boot, fitted (replicates drawn and fitted), resample (seeds: within each size;\n"
            "  points: all points); spearman_data, spearman_params with _lo and _hi (rank\n"
            "  correlation of size with mean error; negative = falls) and p_decrease_data,\n"
            "  p_decrease_params (share of replicates whose least-squares slope of error on\n"
            "  log size is negative); decreasing (yes: every Spearman interval lies below 0;\n"
            "  no: one lies above; unclear; '-' without bootstrap); best_error, best_n_data,\n"
            "  best_n_params (the size with the lowest mean error); target_error; project\n"
            "  (the variable grown), project_at (the other size held, or '-'); needed,\n"
            "  needed_lo, needed_hi ('inf' when not reachable); fold (needed / the largest\n"
            "  size observed); p_reachable (share of fitted replicates that reach the target);\n"
            "  figure; software_version, git_commit.\n"
            "DIR/scaling_NN_ROUTINE_TASK[_SIZE].png per group: log-log error against size,\n"
            "the runs, the mean at each size with its bootstrap interval, the fitted curve,\n"
            "the floor and the target; below, the residuals.\n"
            "A group whose fit fails keeps its row (status says why) and its figure, and a\n"
            "warning line is printed; the exit status stays 0.\n"
            "exit status: 0 success, 2 usage error (bad options or input), 1 runtime failure.\n",
            BOOT_DEFAULT, BOOT_MAX);
}

/* A finite number filling the whole string. */
static int parse_num(const char *s, double *v)
{
    char *end = NULL;
    if (!*s) return -1;
    *v = strtod(s, &end);
    return end != s && !*end && isfinite(*v) ? 0 : -1;
}

static void options_parse(int argc, char **argv, scaling_options *o)
{
    static const struct option longs[] = {
        {"out", required_argument, 0, 'o'},          {"x", required_argument, 0, 'x'},
        {"target-gain", required_argument, 0, 'g'},  {"target-error", required_argument, 0, 'e'},
        {"boot", required_argument, 0, 'b'},         {"seed", required_argument, 0, 's'},
        {"level", required_argument, 0, 'l'},        {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},              {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->x = X_DATA, o->boot = BOOT_DEFAULT, o->level = 0.95;
    o->target_gain = o->target_error = NAN;
    int npos = 0;
    optind = 1, opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "-:", longs, NULL);
        if (c == -1) break;
        double v;
        switch (c) {
        case 1:
            if (npos++) ph_usage_error("scaling: one POINTS.tsv per run, got a second: '%s'", optarg);
            o->points = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'x':
            if (!strcmp(optarg, "data")) o->x = X_DATA;
            else if (!strcmp(optarg, "params")) o->x = X_PARAMS;
            else if (!strcmp(optarg, "both")) o->x = X_BOTH;
            else ph_usage_error("scaling: --x must be data, params or both, got '%s'", optarg);
            break;
        case 'g':
            if (parse_num(optarg, &v) || !(v > 0))
                ph_usage_error("scaling: --target-gain must be a positive number (error units), got '%s'", optarg);
            o->target_gain = v;
            break;
        case 'e':
            if (parse_num(optarg, &v) || v < 0)
                ph_usage_error("scaling: --target-error must be a number >= 0, got '%s'", optarg);
            o->target_error = v;
            break;
        case 'b':
            if (parse_num(optarg, &v) || v != floor(v) || (v != 0 && (v < 2 || v > BOOT_MAX)))
                ph_usage_error("scaling: --boot must be 0 or an integer in 2..%d, got '%s'", BOOT_MAX, optarg);
            o->boot = (int)v;
            break;
        case 's':
            if (parse_num(optarg, &v) || v != floor(v) || v < 0 || v > 4294967295.0)
                ph_usage_error("scaling: --seed must be an integer in 0..4294967295, got '%s'", optarg);
            o->seed = (uint32_t)v;
            break;
        case 'l':
            if (parse_num(optarg, &v) || !(v > 0 && v < 1))
                ph_usage_error("scaling: --level must be a number in (0, 1), e.g. 0.95, got '%s'", optarg);
            o->level = v;
            break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("scaling: option '%s' needs a value (see phasor-analyze scaling --help)", argv[optind - 1]);
        default: ph_usage_error("scaling: unknown option '%s' (see phasor-analyze scaling --help)", argv[optind - 1]);
        }
    }
    if (!o->points) ph_usage_error("scaling: expected POINTS.tsv --out DIR (see phasor-analyze scaling --help)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("scaling: missing --out DIR (the folder for scaling.tsv)");
    if (!isnan(o->target_gain) && !isnan(o->target_error))
        ph_usage_error("scaling: --target-gain and --target-error both given (choose one)");
}

/* ---- the points ------------------------------------------------------------------------------ */

typedef struct {
    const char *routine, *task, *seed; /* into the file's text */
    double n_data, n_params;           /* NAN for '-' */
    double error, weight;              /* weight NAN without the column */
    int line;
} scaling_point;

typedef struct {
    int *idx, n;     /* its points */
    double fixed;    /* the size held (n_params for --x data, n_data for --x params); NAN if none */
    char figure[200];
} scaling_group;

typedef struct {
    char *text;
    scaling_point *pts;
    int n;
    scaling_group *groups;
    int ngroups;
    int has_weight;
} scaling_input;

static void input_free(scaling_input *in)
{
    for (int g = 0; g < in->ngroups; g++) free(in->groups[g].idx);
    free(in->groups), free(in->pts), free(in->text);
    memset(in, 0, sizeof *in);
}

static int split_tabs(char *s, char **out, int max)
{
    int n = 0;
    for (char *p = s, *q; p; p = q) {
        q = strchr(p, '\t');
        if (q) *q++ = 0;
        if (n < max) out[n] = p;
        n++;
    }
    return n;
}

/* NAN-aware equality of two sizes (NAN = '-'). */
static int size_eq(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static double point_size(const scaling_point *p, int var) { return var == 0 ? p->n_data : p->n_params; }

/* Writes a usage message into msg and returns -1. */
__attribute__((format(printf, 3, 4))) static int bad(char *msg, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The size cell of a row: a positive number, or '-' where this --x allows it. */
static int parse_size(const char *cell, int needed, double *v)
{
    if (!needed && !strcmp(cell, "-")) {
        *v = NAN;
        return 0;
    }
    return parse_num(cell, v) || !(*v > 0) ? -1 : 0;
}

static const char *const COLUMNS[] = {"routine", "task", "n_data", "n_params", "seed", "error"};
enum { NCOLUMNS = 6 };

/* Parses in->text into points and groups; 0, or -1 with a usage message. */
static int input_parse(scaling_input *in, const scaling_options *o, char *msg, size_t nmsg)
{
    const char *path = o->points;
    int col[NCOLUMNS + 1], ncols = 0, header_line = 0, cap = 0;
    for (int c = 0; c <= NCOLUMNS; c++) col[c] = -1;
    int lineno = 0;
    char *rest = in->text;
    while (rest) {
        char *line = rest;
        rest = strchr(rest, '\n');
        if (rest) *rest++ = 0;
        lineno++;
        const size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[len - 1] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *cells[MAX_COLS];
        const int nc = split_tabs(line, cells, MAX_COLS);
        if (nc > MAX_COLS) return bad(msg, nmsg, "scaling: %s:%d: more than %d columns", path, lineno, MAX_COLS);
        if (!header_line) {
            header_line = lineno, ncols = nc;
            for (int i = 0; i < nc; i++) {
                for (int c = 0; c < NCOLUMNS; c++)
                    if (!strcmp(cells[i], COLUMNS[c]) && col[c] < 0) col[c] = i;
                if (!strcmp(cells[i], "weight") && col[NCOLUMNS] < 0) col[NCOLUMNS] = i;
            }
            for (int c = 0; c < NCOLUMNS; c++)
                if (col[c] < 0)
                    return bad(msg, nmsg,
                               "scaling: %s: no column '%s' in the header on line %d (the columns are routine, task, "
                               "n_data, n_params, seed, error, optional weight, tab-separated)",
                               path, COLUMNS[c], lineno);
            in->has_weight = col[NCOLUMNS] >= 0;
            continue;
        }
        if (nc != ncols)
            return bad(msg, nmsg, "scaling: %s:%d: %d cells, the header on line %d has %d (cells are separated by "
                       "single tabs)", path, lineno, nc, header_line, ncols);
        if (in->n == cap) {
            cap = cap ? 2 * cap : 64;
            scaling_point *grown = realloc(in->pts, (size_t)cap * sizeof *grown);
            PH_CHECK_ALLOC(grown, "reading the points");
            in->pts = grown;
        }
        scaling_point *p = &in->pts[in->n];
        p->line = lineno;
        p->routine = cells[col[0]], p->task = cells[col[1]], p->seed = cells[col[4]];
        static const int named[3] = {0, 1, 4}; /* routine, task, seed */
        for (int q = 0; q < 3; q++)
            if (!cells[col[named[q]]][0])
                return bad(msg, nmsg, "scaling: %s:%d: empty %s (every row names its routine, task and seed)", path,
                           lineno, COLUMNS[named[q]]);
        if (parse_size(cells[col[2]], o->x != X_PARAMS, &p->n_data))
            return bad(msg, nmsg, "scaling: %s:%d: n_data '%s' is not a positive number (a count such as 50000 or "
                       "5e4%s)", path, lineno, cells[col[2]], o->x == X_PARAMS ? ", or -" : "");
        if (parse_size(cells[col[3]], o->x != X_DATA, &p->n_params))
            return bad(msg, nmsg, "scaling: %s:%d: n_params '%s' is not a positive number (a count such as 1e6%s)",
                       path, lineno, cells[col[3]], o->x == X_DATA ? ", or -" : "");
        if (parse_num(cells[col[5]], &p->error) || p->error < 0)
            return bad(msg, nmsg, "scaling: %s:%d: error '%s' is not a finite number >= 0", path, lineno,
                       cells[col[5]]);
        p->weight = NAN;
        if (in->has_weight && (parse_num(cells[col[NCOLUMNS]], &p->weight) || !(p->weight > 0)))
            return bad(msg, nmsg, "scaling: %s:%d: weight '%s' is not a positive number", path, lineno,
                       cells[col[NCOLUMNS]]);
        for (int q = 0; q < in->n; q++) {
            const scaling_point *e = &in->pts[q];
            if (!strcmp(e->routine, p->routine) && !strcmp(e->task, p->task) && !strcmp(e->seed, p->seed) &&
                size_eq(e->n_data, p->n_data) && size_eq(e->n_params, p->n_params))
                return bad(msg, nmsg, "scaling: %s:%d: repeats line %d (the same routine, task, n_data, n_params and "
                           "seed; remove one, or give the runs different seeds)", path, lineno, e->line);
        }
        in->n++;
    }
    if (!header_line)
        return bad(msg, nmsg, "scaling: %s: no header line (the first line names the columns routine, task, n_data, "
                   "n_params, seed, error)", path);
    if (!in->n) return bad(msg, nmsg, "scaling: %s: no data rows after the header", path);

    /* Groups in order of first appearance. */
    for (int i = 0; i < in->n; i++) {
        const scaling_point *p = &in->pts[i];
        const double fixed = o->x == X_DATA ? p->n_params : o->x == X_PARAMS ? p->n_data : NAN;
        int g = 0;
        for (; g < in->ngroups; g++) {
            const scaling_point *f = &in->pts[in->groups[g].idx[0]];
            if (!strcmp(f->routine, p->routine) && !strcmp(f->task, p->task) && size_eq(in->groups[g].fixed, fixed))
                break;
        }
        if (g == in->ngroups) {
            scaling_group *grown = realloc(in->groups, (size_t)(g + 1) * sizeof *grown);
            PH_CHECK_ALLOC(grown, "grouping the points");
            in->groups = grown;
            memset(&in->groups[g], 0, sizeof in->groups[g]);
            in->groups[g].fixed = fixed;
            in->groups[g].idx = malloc((size_t)in->n * sizeof(int));
            PH_CHECK_ALLOC(in->groups[g].idx, "grouping the points");
            in->ngroups++;
        }
        in->groups[g].idx[in->groups[g].n++] = i;
    }
    /* Every fitted variable needs 3 sizes in every group. */
    for (int g = 0; g < in->ngroups; g++) {
        const scaling_group *gr = &in->groups[g];
        const scaling_point *f = &in->pts[gr->idx[0]];
        for (int var = 0; var < 2; var++) {
            if ((o->x == X_DATA && var == 1) || (o->x == X_PARAMS && var == 0)) continue;
            double seen[3];
            int ns = 0;
            for (int i = 0; i < gr->n && ns < 3; i++) {
                const double v = point_size(&in->pts[gr->idx[i]], var);
                int dup = 0;
                for (int s = 0; s < ns; s++) dup |= seen[s] == v;
                if (!dup) seen[ns++] = v;
            }
            if (ns < 3) {
                char held[64] = "";
                if (!isnan(gr->fixed)) snprintf(held, sizeof held, ", %s %.15g", var ? "n_data" : "n_params", gr->fixed);
                return bad(msg, nmsg, "scaling: %s: routine '%s', task '%s'%s: %d distinct %s (line %d); a saturating "
                           "power law needs at least 3 (add sizes, or check the routine, task and size columns)",
                           path, f->routine, f->task, held, ns, var ? "n_params" : "n_data", f->line);
            }
        }
    }
    return 0;
}

/* ---- one group's fit ------------------------------------------------------------------------- */

typedef struct {
    int k, n;
    double *x, *y, *w;
    double target, best, best_at[2], xmax[2];
    int nsizes, seeds_max;
    ph_powerlaw_boot_options bo;
    ph_powerlaw_boot bt;
} group_fit;

/* The variables of the law, in powerlaw.h's order: data then params. */
static int var_of(const scaling_options *o, int j) { return o->x == X_PARAMS ? 1 : j; }

static void group_fit_run(group_fit *f, const scaling_input *in, const scaling_group *gr, const scaling_options *o)
{
    const int k = o->x == X_BOTH ? 2 : 1, n = gr->n;
    memset(f, 0, sizeof *f);
    f->k = k, f->n = n;
    f->x = malloc((size_t)n * (size_t)k * sizeof *f->x);
    f->y = malloc((size_t)n * sizeof *f->y);
    f->w = in->has_weight ? malloc((size_t)n * sizeof *f->w) : NULL;
    PH_CHECK_ALLOC(f->x && f->y && (f->w || !in->has_weight), "allocating a fit");
    for (int i = 0; i < n; i++) {
        const scaling_point *p = &in->pts[gr->idx[i]];
        for (int j = 0; j < k; j++) f->x[i * k + j] = point_size(p, var_of(o, j));
        f->y[i] = p->error;
        if (f->w) f->w[i] = p->weight;
    }
    /* Sizes, the best mean and the largest size of each variable. */
    f->best = INFINITY;
    for (int j = 0; j < k; j++) f->xmax[j] = 0;
    for (int i = 0; i < n; i++) {
        int first = 1, count = 0;
        double s = 0;
        for (int q = 0; q < n; q++) {
            int same = 1;
            for (int j = 0; j < k; j++) same &= f->x[q * k + j] == f->x[i * k + j];
            if (!same) continue;
            if (q < i) first = 0;
            s += f->y[q], count++;
        }
        for (int j = 0; j < k; j++) f->xmax[j] = fmax(f->xmax[j], f->x[i * k + j]);
        if (!first) continue;
        f->nsizes++;
        f->seeds_max = count > f->seeds_max ? count : f->seeds_max;
        if (s / count < f->best) {
            f->best = s / count;
            for (int j = 0; j < k; j++) f->best_at[j] = f->x[i * k + j];
        }
    }
    f->target = !isnan(o->target_error) ? o->target_error : !isnan(o->target_gain) ? f->best - o->target_gain : NAN;
    /* The projection grows the first variable (data, or params for --x params); for both,
     * at the largest model size observed. */
    const scaling_point *p0 = &in->pts[gr->idx[0]];
    char name[600];
    snprintf(name, sizeof name, "scaling\t%s\t%s\t%s\t%.17g", X_NAMES[o->x], p0->routine, p0->task, gr->fixed);
    f->bo = (ph_powerlaw_boot_options){.reps = o->boot, .level = o->level, .seed = o->seed,
                                       .sub = ph_balacc_name_hash(name), .target = f->target, .axis = 0,
                                       .at = {0, k == 2 ? f->xmax[1] : 0}};
    ph_powerlaw_boot_init(&f->bt);
    const ph_powerlaw_data d = {k, n, f->x, f->y, f->w};
    ph_powerlaw_bootstrap(&f->bt, &d, NULL, &f->bo);
}

static void group_fit_free(group_fit *f)
{
    ph_powerlaw_boot_free(&f->bt);
    free(f->x), free(f->y), free(f->w);
}

/* ---- the table ------------------------------------------------------------------------------- */

static void tsv_num(ph_strbuf *b, double v)
{
    if (isnan(v)) ph_sb_printf(b, "\t-");
    else if (isinf(v)) ph_sb_printf(b, "\t%sinf", v < 0 ? "-" : "");
    else ph_sb_printf(b, "\t%.6g", v);
}

static void tsv_interval(ph_strbuf *b, const ph_interval *iv)
{
    tsv_num(b, iv->value), tsv_num(b, iv->lo), tsv_num(b, iv->hi);
}

static void tsv_size(ph_strbuf *b, double v)
{
    if (isnan(v)) ph_sb_printf(b, "\t-");
    else ph_sb_printf(b, "\t%.15g", v);
}

static const char HEADER[] =
    "routine\ttask\tx\tat_n_data\tat_n_params\tpoints\tsizes\tseeds_max\tstatus\t"
    "a_data\ta_data_lo\ta_data_hi\tb_data\tb_data_lo\tb_data_hi\t"
    "a_params\ta_params_lo\ta_params_hi\tb_params\tb_params_lo\tb_params_hi\tc\tc_lo\tc_hi\trss\t"
    "boot\tfitted\tresample\tspearman_data\tspearman_data_lo\tspearman_data_hi\tp_decrease_data\t"
    "spearman_params\tspearman_params_lo\tspearman_params_hi\tp_decrease_params\tdecreasing\t"
    "best_error\tbest_n_data\tbest_n_params\ttarget_error\tproject\tproject_at\tneeded\tneeded_lo\tneeded_hi\t"
    "fold\tp_reachable\tfigure\tsoftware_version\tgit_commit\n";

/* yes when every fitted variable's Spearman interval lies below 0, no when one lies above. */
static const char *decreasing_of(const group_fit *f, const scaling_options *o)
{
    if (o->boot < 2) return "-";
    int all_below = 1, one_above = 0;
    for (int j = 0; j < f->k; j++) {
        const ph_interval *s = &f->bt.spearman[j];
        all_below &= s->hi < 0;
        one_above |= s->lo > 0;
    }
    return one_above ? "no" : all_below ? "yes" : "unclear";
}

static void table_row(ph_strbuf *b, const scaling_input *in, const scaling_group *gr, const group_fit *f,
                      const scaling_options *o)
{
    const scaling_point *p0 = &in->pts[gr->idx[0]];
    const ph_powerlaw_boot *bt = &f->bt;
    const int ok = !bt->fit.status;
    ph_sb_printf(b, "%s\t%s\t%s", p0->routine, p0->task, X_NAMES[o->x]);
    tsv_size(b, o->x == X_PARAMS ? gr->fixed : NAN);
    tsv_size(b, o->x == X_DATA ? gr->fixed : NAN);
    ph_sb_printf(b, "\t%d\t%d\t%d\t", f->n, f->nsizes, f->seeds_max);
    if (ok) {
        ph_sb_printf(b, "ok");
    } else {
        ph_sb_printf(b, "failed: ");
        for (const char *c = bt->fit.why; *c; c++) ph_sb_printf(b, "%c", *c == '\t' || *c == '\n' ? ' ' : *c);
    }
    const ph_interval none = {NAN, NAN, NAN};
    for (int var = 0; var < 2; var++) {
        int j = -1;
        for (int q = 0; q < f->k; q++)
            if (var_of(o, q) == var) j = q;
        tsv_interval(b, ok && j >= 0 ? &bt->a[j] : &none);
        tsv_interval(b, ok && j >= 0 ? &bt->b[j] : &none);
    }
    tsv_interval(b, ok ? &bt->c : &none);
    tsv_num(b, ok ? bt->fit.rss : NAN);
    ph_sb_printf(b, "\t%d\t%d\t%s", bt->reps, bt->fitted, bt->reps ? (bt->by_seeds ? "seeds" : "points") : "-");
    for (int var = 0; var < 2; var++) {
        int j = -1;
        for (int q = 0; q < f->k; q++)
            if (var_of(o, q) == var) j = q;
        /* the monotonicity test stands without a fit: it shows an error that does not fall */
        tsv_interval(b, j >= 0 ? &bt->spearman[j] : &none);
        tsv_num(b, j >= 0 ? bt->p_decrease[j] : NAN);
    }
    ph_sb_printf(b, "\t%s", decreasing_of(f, o));
    tsv_num(b, f->best);
    for (int var = 0; var < 2; var++) {
        int j = -1;
        for (int q = 0; q < f->k; q++)
            if (var_of(o, q) == var) j = q;
        tsv_size(b, j >= 0 ? f->best_at[j] : gr->fixed);
    }
    const int project = ok && !isnan(f->target);
    tsv_num(b, f->target);
    ph_sb_printf(b, "\t%s", !isnan(f->target) ? (var_of(o, 0) ? "n_params" : "n_data") : "-");
    tsv_size(b, !isnan(f->target) && f->k == 2 ? f->xmax[1] : NAN);
    tsv_interval(b, project ? &bt->needed : &none);
    tsv_num(b, project ? bt->needed.value / f->xmax[0] : NAN);
    tsv_num(b, project ? bt->p_reachable : NAN);
    ph_sb_printf(b, "\t%s\t%s\t%s\n", gr->figure, PHASOR_VERSION, PHASOR_GIT_COMMIT);
}

/* ---- the figure ------------------------------------------------------------------------------ */

static const char *const COLOURS[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
enum { NCOLOURS = 8 };

/* A gnuplot single-quoted string's body: quotes doubled. */
static void gp_str(ph_strbuf *b, const char *s)
{
    for (; *s; s++) ph_sb_printf(b, *s == '\'' ? "''" : "%c", *s);
}

/* File-name part: letters, digits, '.', '-' and '_'; others become '_'. */
static void name_part(char *out, size_t n, const char *s)
{
    size_t i = 0;
    for (; *s && i + 1 < n && i < 40; s++, i++) {
        const char c = *s;
        out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
                     ? c
                     : '_';
    }
    out[i] = 0;
}

static void figure_name(scaling_group *gr, int index, const scaling_point *p0)
{
    char r[48], t[48];
    name_part(r, sizeof r, p0->routine);
    name_part(t, sizeof t, p0->task);
    if (isnan(gr->fixed))
        snprintf(gr->figure, sizeof gr->figure, "scaling_%02d_%s_%s.png", index + 1, r, t);
    else
        snprintf(gr->figure, sizeof gr->figure, "scaling_%02d_%s_%s_%.15g.png", index + 1, r, t, gr->fixed);
}

/* The levels of the second variable (k = 2: one curve per model size), or one level. */
static int levels_of(const group_fit *f, double *lv)
{
    if (f->k == 1) {
        lv[0] = NAN;
        return 1;
    }
    int nl = 0;
    for (int i = 0; i < f->n; i++) {
        int seen = 0;
        for (int l = 0; l < nl; l++) seen |= lv[l] == f->x[i * 2 + 1];
        if (!seen) lv[nl++] = f->x[i * 2 + 1];
    }
    for (int i = 1; i < nl; i++)
        for (int j = i; j > 0 && lv[j - 1] > lv[j]; j--) {
            const double t = lv[j];
            lv[j] = lv[j - 1], lv[j - 1] = t;
        }
    return nl;
}

static int at_level(const group_fit *f, const double *x, double level) { return f->k == 1 || x[1] == level; }

static void figure_write(const char *out_dir, const scaling_group *gr, const group_fit *f, const scaling_point *p0,
                         const scaling_options *o)
{
    const ph_powerlaw_boot *bt = &f->bt;
    const int ok = !bt->fit.status, k = f->k;
    const char *xname = var_of(o, 0) ? "n_params" : "n_data";
    double *lv = malloc((size_t)f->n * sizeof *lv);
    int *has_points = calloc((size_t)f->n, sizeof *has_points), *has_means = calloc((size_t)f->n, sizeof *has_means);
    PH_CHECK_ALLOC(lv && has_points && has_means, "drawing a scaling figure");
    const int nl = levels_of(f, lv);
    double xlo = INFINITY, xhi = 0;
    int log_y = 0;
    for (int i = 0; i < f->n; i++) xlo = fmin(xlo, f->x[i * k]), xhi = fmax(xhi, f->x[i * k]), log_y |= f->y[i] > 0;
    /* A log error axis, unless every error is 0 (then no law was fitted). */
    log_y |= ok;
    const double needed = ok && !isnan(f->target) ? bt->needed.value : NAN;
    /* The curve runs on to the projection when it lies within 1000x the sizes observed. */
    const double xend = isfinite(needed) && needed > xhi && needed < 1e3 * xhi ? needed : xhi;

    /* Data blocks, one index per level of n_params (k = 2) or a single one; an
     * empty block is left out of the plot (gnuplot warns about it). */
    ph_strbuf b = {0};
    ph_sb_printf(&b, "$points << EOD\n");
    for (int l = 0; l < nl; l++) {
        for (int i = 0; i < f->n; i++)
            if (at_level(f, f->x + i * k, lv[l]) && (f->y[i] > 0 || !log_y)) {
                ph_sb_printf(&b, "%.10g %.10g\n", f->x[i * k], f->y[i]);
                has_points[l] = 1;
            }
        ph_sb_printf(&b, "\n\n");
    }
    ph_sb_printf(&b, "EOD\n$means << EOD\n");
    for (int l = 0; l < nl; l++) {
        for (int c = 0; bt->by_seeds && c < bt->ncells; c++) {
            const ph_interval *m = &bt->cell_mean[c];
            if (!at_level(f, bt->cell_x + c * k, lv[l]) || !(m->value > 0 || !log_y) || bt->cell_count[c] < 2)
                continue;
            /* without replicates (--boot 0) the bar is the mean alone */
            const double lo = isnan(m->lo) ? m->value : log_y ? fmax(m->lo, 1e-300) : m->lo;
            ph_sb_printf(&b, "%.10g %.10g %.10g %.10g\n", bt->cell_x[c * k], m->value, lo,
                         isnan(m->hi) ? m->value : m->hi);
            has_means[l] = 1;
        }
        ph_sb_printf(&b, "\n\n");
    }
    ph_sb_printf(&b, "EOD\n");
    if (ok) {
        ph_sb_printf(&b, "$curve << EOD\n");
        for (int l = 0; l < nl; l++) {
            for (int q = 0; q < CURVE_POINTS; q++) {
                const double x[2] = {xlo * pow(xend / xlo, (double)q / (CURVE_POINTS - 1)), lv[l]};
                ph_sb_printf(&b, "%.10g %.10g\n", x[0], ph_powerlaw_eval(&bt->fit, x));
            }
            ph_sb_printf(&b, "\n\n");
        }
        ph_sb_printf(&b, "EOD\n$resid << EOD\n");
        for (int l = 0; l < nl; l++) {
            for (int i = 0; i < f->n; i++)
                if (at_level(f, f->x + i * k, lv[l]))
                    ph_sb_printf(&b, "%.10g %.10g\n", f->x[i * k], f->y[i] - ph_powerlaw_eval(&bt->fit, f->x + i * k));
            ph_sb_printf(&b, "\n\n");
        }
        ph_sb_printf(&b, "EOD\n");
    }

    ph_sb_printf(&b, "set multiplot layout %d,1 title '", ok ? 2 : 1);
    gp_str(&b, p0->routine);
    ph_sb_printf(&b, " / ");
    gp_str(&b, p0->task);
    if (!isnan(gr->fixed)) ph_sb_printf(&b, " (%s = %.6g)", o->x == X_DATA ? "n_params" : "n_data", gr->fixed);
    if (ok && k == 1)
        ph_sb_printf(&b, ": error = %.3g %s^-%.3g + %.3g", bt->fit.a[0], o->x == X_DATA ? "N" : "P", bt->fit.b[0],
                     bt->fit.c);
    else if (ok)
        ph_sb_printf(&b, ": error = %.3g N^-%.3g + %.3g P^-%.3g + %.3g", bt->fit.a[0], bt->fit.b[0], bt->fit.a[1],
                     bt->fit.b[1], bt->fit.c);
    else
        ph_sb_printf(&b, ": no decreasing law fits");
    ph_sb_printf(&b, "'\nset logscale x 10\n%sset grid\nset key bottom left opaque\nset ylabel 'error'\nset xlabel '%s'\n",
                 log_y ? "set logscale y 10\n" : "", ok ? "" : xname);
    if (isfinite(needed) && needed <= xend)
        ph_sb_printf(&b, "set arrow from %.10g, graph 0 to %.10g, graph 1 nohead dt 3 lc rgb '#555555'\n", needed,
                     needed);
    ph_sb_printf(&b, "plot ");
    const char *sep = "";
    for (int l = 0; l < nl; l++) {
        const char *colour = COLOURS[l % NCOLOURS];
        char lname[64] = "";
        if (k == 2) snprintf(lname, sizeof lname, " (n_params %.3g)", lv[l]);
        /* one key entry for the runs and one for the means; the curves name their level */
        if (has_points[l])
            ph_sb_printf(&b, "%s$points index %d u 1:2 w p pt 6 ps 0.6 lc rgb '%s' %s", sep, l, colour,
                         l ? "notitle" : "t 'runs'"),
                sep = ", ";
        if (has_means[l])
            ph_sb_printf(&b, "%s$means index %d u 1:2:3:4 w yerrorbars pt 5 ps 0.7 lc rgb '%s' %s", sep, l, colour,
                         l ? "notitle" : o->boot ? "t 'mean, interval'" : "t 'mean'"),
                sep = ", ";
        if (ok) ph_sb_printf(&b, "%s$curve index %d u 1:2 w l lw 2 lc rgb '%s' t 'fit%s'", sep, l, colour, lname), sep = ", ";
    }
    if (ok && bt->fit.c > 0) ph_sb_printf(&b, ", %.10g w l dt 2 lc rgb '#000000' t 'floor c'", bt->fit.c);
    if (ok && f->target > 0) ph_sb_printf(&b, ", %.10g w l dt 4 lc rgb '#555555' t 'target error'", f->target);
    ph_sb_printf(&b, "\n");
    if (ok) {
        ph_sb_printf(&b, "unset arrow\nunset logscale y\nset ylabel 'residual (error - fit)'\nset xlabel '%s'\nplot ",
                     xname);
        for (int l = 0; l < nl; l++)
            ph_sb_printf(&b, "$resid index %d u 1:2 w p pt 7 ps 0.5 lc rgb '%s' notitle, ", l, COLOURS[l % NCOLOURS]);
        ph_sb_printf(&b, "0 w l lc rgb '#000000' notitle\n");
    }
    ph_sb_printf(&b, "unset multiplot\n");
    char png[4400];
    snprintf(png, sizeof png, "%s/%s", out_dir, gr->figure);
    report_plot(b.s, png, 800, ok ? 900 : 500);
    free(b.s);
    free(lv), free(has_points), free(has_means);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void result_line(const scaling_group *gr, const group_fit *f, const scaling_point *p0, const scaling_options *o)
{
    const ph_powerlaw_boot *bt = &f->bt;
    char held[64] = "";
    if (!isnan(gr->fixed)) snprintf(held, sizeof held, " (%s %.6g)", o->x == X_DATA ? "n_params" : "n_data", gr->fixed);
    if (bt->fit.status) {
        /* the monotonicity test still speaks: the usual reason is an error that does not fall */
        fprintf(stderr, "phasor-analyze: scaling: warning: %s / %s%s: %s; Spearman of size with the mean error",
                p0->routine, p0->task, held, bt->fit.why);
        for (int j = 0; j < f->k; j++)
            fprintf(stderr, "%s %.3g [%.3g, %.3g]", j ? "," : "", bt->spearman[j].value, bt->spearman[j].lo,
                    bt->spearman[j].hi);
        fprintf(stderr, ", decreasing: %s\n", decreasing_of(f, o));
        return;
    }
    fprintf(stderr, "phasor-analyze: scaling: %s / %s%s:", p0->routine, p0->task, held);
    for (int j = 0; j < f->k; j++)
        fprintf(stderr, " b_%s = %.3g [%.3g, %.3g],", var_of(o, j) ? "params" : "data", bt->b[j].value, bt->b[j].lo,
                bt->b[j].hi);
    fprintf(stderr, " c = %.3g [%.3g, %.3g]; decreasing: %s", bt->c.value, bt->c.lo, bt->c.hi, decreasing_of(f, o));
    if (!isnan(f->target)) {
        if (isinf(bt->needed.value))
            fprintf(stderr, "; error %.4g not reachable (below the floor)", f->target);
        else
            fprintf(stderr, "; error %.4g at %s %.3g [%.3g, %.3g]", f->target, var_of(o, 0) ? "n_params" : "n_data",
                    bt->needed.value, bt->needed.lo, bt->needed.hi);
    }
    fprintf(stderr, "\n");
}

int ph_analyze_scaling_main(int argc, char **argv)
{
    scaling_options o;
    options_parse(argc, argv, &o);
    scaling_input in;
    memset(&in, 0, sizeof in);
    char msg[1024] = "";
    if (ph_rank() == 0) {
        in.text = report_file_slurp(o.points);
        if (!in.text)
            snprintf(msg, sizeof msg, "scaling: cannot read %s: %s (check the path)", o.points, strerror(errno));
        else
            input_parse(&in, &o, msg, sizeof msg);
    }
    ph_usage_check_bcast(msg);

    /* Rank 0 alone knows the figures' names; the others only take part in the check. */
    const char **outputs = NULL;
    int noutputs = 0;
    if (ph_rank() == 0) {
        outputs = malloc((size_t)(in.ngroups + 1) * sizeof *outputs);
        PH_CHECK_ALLOC(outputs, "listing the outputs");
        outputs[noutputs++] = "scaling.tsv";
        for (int g = 0; g < in.ngroups; g++) {
            figure_name(&in.groups[g], g, &in.pts[in.groups[g].idx[0]]);
            outputs[noutputs++] = in.groups[g].figure;
        }
    }
    report_outputs_check("scaling", o.out_dir, outputs, noutputs, o.force);
    free(outputs);
    if (ph_rank() != 0) return 0;

    ph_strbuf rows = {0};
    ph_sb_printf(&rows, "%s", HEADER);
    for (int g = 0; g < in.ngroups; g++) {
        const scaling_group *gr = &in.groups[g];
        const scaling_point *p0 = &in.pts[gr->idx[0]];
        group_fit f;
        group_fit_run(&f, &in, gr, &o);
        table_row(&rows, &in, gr, &f, &o);
        figure_write(o.out_dir, gr, &f, p0, &o);
        if (!o.quiet || f.bt.fit.status) result_line(gr, &f, p0, &o);
        group_fit_free(&f);
    }
    char tsv[4200];
    snprintf(tsv, sizeof tsv, "%s/scaling.tsv", o.out_dir);
    const char *const paths[1] = {tsv}, *const texts[1] = {rows.s};
    ph_write_files_atomic(1, paths, texts);
    if (!o.quiet) fprintf(stderr, "phasor-analyze: scaling: wrote %s and %d figure%s\n", tsv, in.ngroups,
                          in.ngroups == 1 ? "" : "s");
    free(rows.s);
    input_free(&in);
    return 0;
}
