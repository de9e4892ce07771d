/* evaluate.h: phasor-analyze evaluate, a trained model's accuracy on a
 * held-out sample file (its own command line; evaluate.c). */
#ifndef PHASOR_ANALYZE_EVALUATE_H
#define PHASOR_ANALYZE_EVALUATE_H

/* Videos per forward pass by default.  The recurrent models normalise with batch statistics at
 * test time, so anything that runs a model as evaluate does (tracking-report's phase maps) uses
 * the same batch. */
enum { PH_EVALUATE_BATCH_DEFAULT = 50 };

/* argv[0] is "evaluate"; returns the exit status. */
int ph_analyze_evaluate_main(int argc, char **argv);

/* A fixed-length string root attribute of a checkpoint (malloc'd); fatal on every
 * rank, with one line, if the file or attribute is missing. */
char *ph_evaluate_attr_str(const char *path, const char *name);

#endif
