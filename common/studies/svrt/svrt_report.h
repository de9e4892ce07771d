/* svrt_report.h: phasor-analyze svrt-report, the SVRT study's report from the
 * evaluations of its sweeps (svrt_report.c). */
#ifndef PHASOR_ANALYZE_SVRT_REPORT_H
#define PHASOR_ANALYZE_SVRT_REPORT_H

/* argv[0] is "svrt-report"; returns the exit status. */
int ph_analyze_svrt_report_main(int argc, char **argv);

#endif
