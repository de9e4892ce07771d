/* summary.h: phasor-analyze summary, what a set of sample files holds (its own
 * command line; summary.c). */
#ifndef PHASOR_ANALYZE_SUMMARY_H
#define PHASOR_ANALYZE_SUMMARY_H

/* argv[0] is "summary"; returns the exit status. */
int ph_analyze_summary_main(int argc, char **argv);

#endif
