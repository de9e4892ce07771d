/* harmonization_report.h: phasor-analyze harmonization-report, the neural
 * harmonizer study's REPORT.md from its sweeps (harmonization_report.c). */
#ifndef PHASOR_ANALYZE_HARMONIZATION_REPORT_H
#define PHASOR_ANALYZE_HARMONIZATION_REPORT_H

/* argv[0] is "harmonization-report"; returns the exit status. */
int ph_analyze_harmonization_report_main(int argc, char **argv);

#endif
