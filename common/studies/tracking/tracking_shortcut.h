/* shortcut.h: phasor-analyze shortcut, the accuracy that the start-goal
 * distance alone reaches on a tracking sample file (its own command line;
 * shortcut.c). */
#ifndef PHASOR_ANALYZE_SHORTCUT_H
#define PHASOR_ANALYZE_SHORTCUT_H

/* argv[0] is "shortcut"; returns the exit status. */
int ph_analyze_shortcut_main(int argc, char **argv);

#endif
