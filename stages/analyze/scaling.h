/* scaling.h: phasor-analyze scaling, saturating power laws of error against
 * data and model size with bootstrap intervals and projections (its own command
 * line; scaling.c, docs/scaling_laws.md). */
#ifndef PHASOR_ANALYZE_SCALING_H
#define PHASOR_ANALYZE_SCALING_H

/* argv[0] is "scaling"; returns the exit status. */
int ph_analyze_scaling_main(int argc, char **argv);

#endif
