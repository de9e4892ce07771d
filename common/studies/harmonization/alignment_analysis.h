/* alignment.h: phasor-analyze alignment, a trained image model against human
 * importance maps: saliency alignment and adversarial alignment (alignment.c). */
#ifndef PHASOR_ANALYZE_ALIGNMENT_H
#define PHASOR_ANALYZE_ALIGNMENT_H

/* argv[0] is "alignment"; returns the exit status. */
int ph_analyze_alignment_main(int argc, char **argv);

#endif
