/* progress.c: progress reporting for long loops. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

double ph_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ph_progress_init(ph_progress *p, const char *label, const char *unit, int64_t total,
                      int enabled)
{
    snprintf(p->label, sizeof p->label, "%s", label);
    p->unit = unit;
    p->total = total;
    p->done = 0;
    p->t0 = p->last = ph_now();
    p->tty = isatty(STDERR_FILENO);
    const char *iv = getenv("PHASOR_PROGRESS_SECONDS");
    p->interval = p->tty ? 0.2 : (iv ? atof(iv) : 10.0);
    p->enabled = enabled;
}

static void format_eta(double s, char *buf, size_t n)
{
    if (s < 0 || s > 1e7)
        snprintf(buf, n, "?");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static void print_line(ph_progress *p, double now, int final)
{
    double el = now - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32];
    format_eta(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
    double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
    if (p->tty)
        fprintf(stderr, "\r%s: %lld/%lld %s (%.0f%%) %.1f %s/s ETA %s   %s", p->label,
                (long long)p->done, (long long)p->total, p->unit, pct, rate, p->unit,
                final ? "done" : eta, final ? "\n" : "");
    else
        fprintf(stderr, "%s: %lld/%lld %s (%.0f%%) %.1f %s/s %s %s\n", p->label,
                (long long)p->done, (long long)p->total, p->unit, pct, rate, p->unit,
                final ? "done in" : "ETA", final ? "" : eta);
    fflush(stderr);
}

void ph_progress_update(ph_progress *p, int64_t done)
{
    p->done = done;
    if (!p->enabled) return;
    double now = ph_now();
    if (now - p->last < p->interval) return;
    p->last = now;
    print_line(p, now, 0);
}

void ph_progress_finish(ph_progress *p)
{
    if (!p->enabled) return;
    p->done = p->total;
    double now = ph_now();
    if (p->tty) {
        print_line(p, now, 1);
    } else {
        double el = now - p->t0;
        fprintf(stderr, "%s: %lld %s in %.1fs (%.1f %s/s)\n", p->label, (long long)p->total,
                p->unit, el, el > 0 ? (double)p->total / el : 0.0, p->unit);
        fflush(stderr);
    }
}
