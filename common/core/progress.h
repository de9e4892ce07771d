/* progress.h: rank 0's progress line with rate and ETA.
 * On a terminal it redraws one line; otherwise (Slurm logs) it prints a plain
 * line every PHASOR_PROGRESS_SECONDS (default 10) and at the end. */
#ifndef PHASOR_PROGRESS_H
#define PHASOR_PROGRESS_H

#include <stdint.h>

typedef struct {
    char label[64];
    const char *unit;
    int64_t total, done;
    double t0, last;
    double interval;
    int tty, enabled;
} ph_progress;

double ph_now(void); /* monotonic seconds */

void ph_progress_init(ph_progress *p, const char *label, const char *unit, int64_t total,
                      int enabled);
void ph_progress_update(ph_progress *p, int64_t done);
void ph_progress_finish(ph_progress *p);

#endif
