/* powerlaw.h: saturating power laws of error against scale, their bootstrap
 * intervals, a monotonicity test and the projection to a target error.
 *
 * The model (k = 1 size variable, or k = 2: data N and parameters P):
 *     k = 1:  error = a N^-b + c
 *     k = 2:  error = a_N N^-b_N + a_P P^-b_P + c
 * with a > 0, b > 0, c >= 0: the error falls with scale towards a floor c that
 * no amount of scale removes.  Scaling-law studies fit this form to project how
 * much more data a target gain needs (Pheno-CA: Linsley et al., arXiv
 * 2309.16773; docs/scaling_laws.md).
 *
 * Fit: nonlinear least squares with GSL's gsl_multifit_nlinear (trust region,
 * Levenberg-Marquardt), over unconstrained parameters
 *     a = exp(u), b = exp(v), c = w^2
 * so every step stays inside the constraints.  c = w^2 rather than exp(w) lets
 * the floor reach 0 exactly (a pure power law) at the finite w = 0.  Starting
 * values come from log-log line fits of error - c0 against size for a few trial
 * floors c0 below the smallest error, a and c then by linear least squares;
 * the best starts are tried in turn.  A fit that does not converge, or that
 * ends on the edge of the constraints (the error does not fall with scale), is
 * an error with its reason, never a crash.
 *
 * Bootstrap: replicates resample seeds within each size (each distinct size, or
 * (N, P) cell, keeps its number of points) when some size has several points,
 * else the points themselves; every replicate is refitted.  Intervals are
 * percentiles (R's type 7).  Draws are Philox (PH_STREAM_BOOTSTRAP) keyed on
 * (seed, stream) with the replicate as counter index and `sub` naming the
 * statistic, so results are a pure function of the inputs.
 *
 * The functions are not thread-safe: while they run, GSL's error handler is
 * one that records GSL's reason for the returned message. */
#ifndef PHASOR_STATS_POWERLAW_H
#define PHASOR_STATS_POWERLAW_H

#include <stdint.h>

enum {
    PH_POWERLAW_MAX_K = 2,                           /* size variables */
    PH_POWERLAW_MAX_PARAMS = 2 * PH_POWERLAW_MAX_K + 1, /* a and b per variable, then c */
};

/* Points to fit: n points of k sizes each and their errors. */
typedef struct {
    int k;           /* 1 or 2 */
    int n;           /* points */
    const double *x; /* [n][k] sizes, positive (k = 2: N then P) */
    const double *y; /* [n] errors, finite and >= 0 */
    const double *w; /* [n] positive weights (1 / variance), or NULL for equal weights */
} ph_powerlaw_data;

/* Solver limits; ph_powerlaw_options_default gives the ones the tool uses. */
typedef struct {
    int max_iter; /* trust-region iterations per start */
    double xtol;  /* relative step size that counts as converged */
    double gtol;  /* GSL's scaled-gradient test (0: off; see the default) */
} ph_powerlaw_options;

ph_powerlaw_options ph_powerlaw_options_default(void);

/* A fitted law; status 0 when converged, else -1 and `why` says what failed. */
typedef struct {
    int k;
    double a[PH_POWERLAW_MAX_K], b[PH_POWERLAW_MAX_K], c;
    double rss;     /* weighted residual sum of squares */
    int iterations; /* trust-region iterations of the start that converged */
    int status;
    char why[320];
} ph_powerlaw;

/* Fits d; returns m->status.  opt may be NULL (defaults). */
int ph_powerlaw_fit(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *opt);
/* The same from a given start (a converged law, e.g. for a bootstrap replicate),
 * falling back to ph_powerlaw_fit's own starts if that one fails. */
int ph_powerlaw_fit_from(ph_powerlaw *m, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                         const ph_powerlaw *start);
/* The law at sizes x [k]. */
double ph_powerlaw_eval(const ph_powerlaw *m, const double *x);
/* The size along variable `axis` at which the law reaches error `target`, the
 * other variable held at at[] (at[axis] is ignored): +INFINITY when the target
 * is at or below the floor (c, plus the other term for k = 2): not reachable by
 * this variable; NAN for a NaN target. */
double ph_powerlaw_solve(const ph_powerlaw *m, double target, int axis, const double *at);

/* What the bootstrap computes beside the parameters. */
typedef struct {
    int reps;       /* replicates */
    double level;   /* interval coverage, e.g. 0.95 */
    uint32_t seed;  /* Philox seed */
    uint32_t sub;   /* names the statistic (e.g. ph_balacc_name_hash of the group) */
    double target;  /* error to reach for the projection, or NAN for none */
    int axis;       /* the variable the projection grows */
    double at[PH_POWERLAW_MAX_K]; /* the other variable's value during the projection */
} ph_powerlaw_boot_options;

/* An estimate and its percentile interval. */
typedef struct {
    double value, lo, hi;
} ph_interval;

typedef struct {
    int k;
    ph_powerlaw fit;                       /* the fit to all points */
    ph_interval a[PH_POWERLAW_MAX_K], b[PH_POWERLAW_MAX_K], c;
    int reps, fitted;                      /* replicates drawn, and fitted (converged) */
    int by_seeds;                          /* 1: seeds resampled within sizes; 0: points resampled */
    /* Monotonicity per variable: Spearman correlation of the variable's distinct
     * values with the mean error at each (marginal means for k = 2), and the
     * fraction of replicates in which the least-squares slope of error on
     * log(size) (jointly on log N and log P for k = 2) is negative. */
    ph_interval spearman[PH_POWERLAW_MAX_K];
    double p_decrease[PH_POWERLAW_MAX_K];
    /* Projection: the size reaching opt.target (ph_powerlaw_solve; +INFINITY
     * when not reachable), its interval over the fitted replicates, and the
     * fraction of them in which it is reachable. */
    ph_interval needed;
    double p_reachable;
    /* Sizes: the ncells distinct size tuples in increasing order (k = 2: by N,
     * then P), the mean error at each and its interval over replicates that
     * resample seeds (NAN when points are resampled or a cell has one point). */
    int ncells;
    double *cell_x;          /* [ncells][k] */
    ph_interval *cell_mean;  /* [ncells] */
    int *cell_count;         /* [ncells] points */
} ph_powerlaw_boot;

void ph_powerlaw_boot_init(ph_powerlaw_boot *b);
void ph_powerlaw_boot_free(ph_powerlaw_boot *b);
/* Fits d and bootstraps it; returns the full fit's status (b->fit.why says why
 * it failed).  The parameters, their intervals and the projection are filled
 * only when the fit converged; the monotonicity test and the cells whenever the
 * points are valid, so an error that does not fall with size (which no
 * decreasing law fits) still shows in it.  Intervals are NAN when fewer than 2
 * replicates gave a value.  opt may be NULL. */
int ph_powerlaw_bootstrap(ph_powerlaw_boot *b, const ph_powerlaw_data *d, const ph_powerlaw_options *opt,
                          const ph_powerlaw_boot_options *bo);

/* Spearman's rank correlation of x and y (mid-ranks for ties); NAN when n < 2
 * or either is constant. */
double ph_powerlaw_spearman(const double *x, const double *y, int n);

#endif
