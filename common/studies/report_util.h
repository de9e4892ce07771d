/* report_util.h: what the study reports share to read run folders of slurm/submit:
 * whole files, one-row TSV files (a header and a data row), the stage logs' times. */
#ifndef PHASOR_REPORT_UTIL_H
#define PHASOR_REPORT_UTIL_H

#include "core/strbuf.h"

#include <time.h>

enum { REPORT_TSV_MAX_COLS = 64 };

/* A whole file as a string (malloc'd), or NULL if it cannot be read. */
char *report_file_slurp(const char *path);

/* A small TSV file: its header names and the cells of its first data row. */
typedef struct {
    char *text;
    char *names[REPORT_TSV_MAX_COLS], *cells[REPORT_TSV_MAX_COLS];
    int ncols;
} report_tsv;

/* 0 on success; -1 if the file is absent; fatal (naming `producer`, the command to
 * run again) if it is malformed. */
int report_tsv_read(const char *path, const char *producer, report_tsv *t);
/* The cell of column `name`, or NULL; report_tsv_need is fatal when it is missing. */
const char *report_tsv_get(const report_tsv *t, const char *name);
const char *report_tsv_need(const report_tsv *t, const char *name, const char *path);
void report_tsv_free(report_tsv *t);

/* Stage-log times ("== TIME STAGE of point I, start K ..." and "... done" lines of
 * slurm/task): adds the durations of finished attempts to *seconds and widens
 * [*first, *last] (0 = unset).  A missing log adds nothing. */
void report_log_times(const char *path, double *seconds, time_t *first, time_t *last);

/* Collective: rank 0 creates OUT_DIR and checks it is writable and, without force,
 * that none of the n outputs exists; any problem is one usage error line (exit 2)
 * starting with "CMD: ", on every rank. */
void report_outputs_check(const char *cmd, const char *out_dir, const char *const *outputs, int n, int force);

/* Stage time summed over points and runs: generation, training, analysis, and the
 * earliest start and latest end (0 = none seen). */
typedef struct {
    double seconds[3];
    time_t first, last;
} report_times;

/* Adds one run's stage times (report_log_times's outputs) to t. */
void report_times_add(report_times *t, const double seconds[3], time_t first, time_t last);

/* "- Compute (stage logs, ...): ... of stage time (generation ..., training ...,
 * evaluation ...); wall time ..." as one Markdown list line; nothing when no time was
 * logged.  `extra` (may be "") is appended inside the sentence. */
void report_md_compute(ph_strbuf *b, const report_times *t, const char *extra);
/* "1 h 02 min" or "3 min 07 s". */
void report_sb_duration(ph_strbuf *b, double seconds);

/* Writes a report's text file atomically with every absolute path under the
 * working directory (the repository, where make reproduce-NAME runs it)
 * written relative to it: a report names no machine's folders. */
void report_write(const char *path, const char *text, size_t len);

#endif
