/* report_util.h: what the study reports share to read run folders of slurm/submit:
 * whole files, one-row TSV files (a header and a data row), the stage logs' times. */
#ifndef PHASOR_REPORT_UTIL_H
#define PHASOR_REPORT_UTIL_H

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

#endif
