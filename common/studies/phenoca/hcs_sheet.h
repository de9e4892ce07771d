/* hcs_sheet.h: phasor-analyze hcs-sheet, the contact sheet of a synthetic
 * screen's sample file (challenge hcs): DMSO fields, then for a few MoAs one
 * compound's fields at every dose, each field as two false-colour composites
 * of the five channels (hcs_sheet.c). */
#ifndef PHASOR_STUDIES_HCS_SHEET_H
#define PHASOR_STUDIES_HCS_SHEET_H

/* argv[0] is "hcs-sheet"; returns the exit status. */
int ph_analyze_hcs_sheet_main(int argc, char **argv);

#endif
