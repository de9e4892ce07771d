/* evaluate.h: phasor-analyze evaluate, a trained model's accuracy on a
 * held-out sample file (its own command line; evaluate.c). */
#ifndef PHASOR_ANALYZE_EVALUATE_H
#define PHASOR_ANALYZE_EVALUATE_H

/* argv[0] is "evaluate"; returns the exit status. */
int ph_analyze_evaluate_main(int argc, char **argv);

#endif
