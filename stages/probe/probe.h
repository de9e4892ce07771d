/* probe.h: phasor-probe's subcommands and what they share (docs/probe.md). */
#ifndef PHASOR_PROBE_H
#define PHASOR_PROBE_H

#include "io/h5samples.h"

#include <stdint.h>
#include <stdio.h>

int probe_features_main(int argc, char **argv);
int probe_sites_main(int argc, char **argv);
int probe_neural_main(int argc, char **argv);
int probe_linear_main(int argc, char **argv);

/* ---- probe_util.c ---- */

/* One option of a subcommand's table: --NAME and where its value goes. */
typedef enum {
    PROBE_OPT_STR,    /* const char ** (the argument itself) */
    PROBE_OPT_CHOICE, /* const char **, one of choices (NULL-terminated) */
    PROBE_OPT_INT,    /* int *, an integer in [lo, hi] */
    PROBE_OPT_U32,    /* uint32_t *, an integer in [lo, hi] */
    PROBE_OPT_REAL,   /* double *, a number in [lo, hi] */
    PROBE_OPT_FLAG    /* int *, set to 1; takes no value */
} probe_opt_kind;

typedef struct {
    const char *name; /* without the leading -- */
    probe_opt_kind kind;
    void *target;
    double lo, hi;
    const char *const *choices;
} probe_opt;

/* Parses argv[1..] of subcommand cmd: the options of the table (each bad value, missing
 * value, unknown option or positional beyond max_pos is one usage line naming it and exits 2;
 * --help prints usage and exits 0) and up to max_pos positional arguments into pos.  Returns
 * the number of positionals. */
int probe_parse_args(const char *cmd, int argc, char **argv, const probe_opt *opts, int nopts, const char **pos,
                     int max_pos, void (*usage)(FILE *f));

/* An integer / real option value in [lo, hi], else a usage error naming opt. */
long probe_parse_long(const char *cmd, const char *opt, const char *v, long lo, long hi);
double probe_parse_double(const char *cmd, const char *opt, const char *v, double lo, double hi);

/* The output folder (created) and DIR/NAME; refuses to replace an existing
 * output without --force (usage error, exit 2). */
void probe_out_path(const char *cmd, const char *dir, const char *name, int force, char *out, size_t n);

/* A fixed-length string root attribute of an HDF5 file (malloc'd); fails with
 * one line naming the file when it is missing ("what" says what the file
 * should be). */
char *probe_attr_str(const char *path, const char *name, const char *what);

/* A float32 dataset of a phasor-probe file read whole (any rank, serial
 * HDF5): *out malloc'd, dims[0..*ndims).  A missing file or dataset is one
 * line (exit 2: the inputs are wrong). */
float *probe_read_f32(const char *path, const char *name, int *ndims, int64_t dims[8]);
/* Root attributes of a probe file; missing: NAN / NULL. */
double probe_attr_f64(const char *path, const char *name);

/* Root attributes of a file being written (collective, the same values on
 * every rank). */
void probe_attr_f64_write(ph_samples_writer *w, const char *name, const double *v, int n);

/* rank 0 only: the text file DIR/NAME atomically. */
void probe_write_text(const char *path, const char *text, size_t len);

#endif
