/* tracking_report.h: phasor-analyze tracking-report, the tracking study's report
 * from the run folders of its sweeps (its own command line; tracking_report.c). */
#ifndef PHASOR_ANALYZE_TRACKING_REPORT_H
#define PHASOR_ANALYZE_TRACKING_REPORT_H

/* argv[0] is "tracking-report"; returns the exit status. */
int ph_analyze_tracking_report_main(int argc, char **argv);

#endif
