/* studies.h: the analyses each study adds to phasor-analyze, one row per command.
 *
 * A study is a folder here (its reports, figures and the analyses only it uses)
 * plus its rows in ph_study_analyses (studies.c); phasor-analyze lists them after
 * its general analyses (summary, evaluate, scaling). */
#ifndef PHASOR_STUDIES_H
#define PHASOR_STUDIES_H

typedef struct {
    const char *name, *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the name; returns the exit status */
} ph_analysis;

extern const ph_analysis ph_study_analyses[];
extern const int ph_study_analysis_count;

#endif
