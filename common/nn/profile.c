/* profile.c: time spent per kernel op, for `PHASOR_PROFILE=1` and the
 * benchmark's breakdown.  PH_KERNEL adds each call's wall time under the
 * op's name when profiling is on (one branch otherwise).  CUDA calls are
 * asynchronous, so on the GPU a time lands on whichever op waits. */
#include "nn.h"

#include "core/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PROFILE_OPS = 64 };
typedef struct {
    const char *op;
    double seconds;
    long calls;
} op_time;
static op_time table[PROFILE_OPS];
static int nops;
int ph_profile_on;

void ph_profile_from_env(void)
{
    const char *e = getenv("PHASOR_PROFILE");
    ph_profile_on = e && *e && strcmp(e, "0") != 0;
}

double ph_profile_now(void) { return ph_now(); }

void ph_profile_add(const char *op, double seconds)
{
    int i = 0;
    while (i < nops && strcmp(table[i].op, op)) i++;
    if (i == nops) {
        if (nops == PROFILE_OPS) return;
        table[nops++] = (op_time){op, 0, 0};
    }
    table[i].seconds += seconds, table[i].calls++;
}

void ph_profile_reset(void) { nops = 0; }

static int by_time(const void *a, const void *b)
{
    double x = ((const op_time *)a)->seconds, y = ((const op_time *)b)->seconds;
    return (x < y) - (x > y);
}

void ph_profile_print(FILE *f, const char *title)
{
    double total = 0;
    for (int i = 0; i < nops; i++) total += table[i].seconds;
    qsort(table, (size_t)nops, sizeof table[0], by_time);
    fprintf(f, "%s: %.3f s in kernel ops\n", title, total);
    for (int i = 0; i < nops; i++)
        fprintf(f, "  %-24s %8.3f s %5.1f%% %8ld calls\n", table[i].op, table[i].seconds,
                total > 0 ? 100 * table[i].seconds / total : 0, table[i].calls);
}
