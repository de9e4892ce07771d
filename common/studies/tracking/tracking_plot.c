/* tracking_plot.c: the tracking study's figures, drawn by gnuplot through
 * svrt_plot (tracking_study.h).  Accuracies are balanced accuracies in percent
 * with their bootstrap 95% intervals as error bars; humans are black dashes. */
#include "studies/report_plot.h"
#include "tracking_study.h"

#include "core/strbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const COLOURS[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
enum { NCOLOURS = 8 };

int ts_pt_values(const ts_study *s, int want_length, int *v, int max)
{
    int n = 0;
    for (int e = 0; e < s->nentries; e++)
        for (int c = 0; c < s->entries[e].ncond; c++) {
            const ts_cond *k = &s->entries[e].cond[c];
            if (k->length < 0 || k->skip != 1) continue;
            const int x = want_length ? k->length : k->dist;
            int seen = 0;
            for (int i = 0; i < n; i++) seen |= v[i] == x;
            if (!seen && n < max) v[n++] = x;
        }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    return n;
}

static int is_pt(const ts_entry *e) { return ts_reported_on(e, "pathtracker"); }
static int is_ft(const ts_entry *e) { return ts_reported_on(e, "featuretracker"); }

/* One panel per value of `fixed` (length or distractors), x = the other. */
static int plot_pt(const ts_study *s, const char *png, int x_is_dist)
{
    int lengths[8], dists[8];
    const int nl = ts_pt_values(s, 1, lengths, 8), nd = ts_pt_values(s, 0, dists, 8);
    const int *panel = x_is_dist ? lengths : dists, *xs = x_is_dist ? dists : lengths;
    const int np = x_is_dist ? nl : nd, nx = x_is_dist ? nd : nl;
    int any = 0;
    for (int e = 0; e < s->nentries; e++) any |= is_pt(&s->entries[e]);
    if (!any || np == 0 || nx == 0) return 0;
    ph_strbuf b = {0};
    for (int p = 0; p < np; p++) {
        for (int e = 0; e < s->nentries; e++) {
            if (!is_pt(&s->entries[e])) continue;
            ph_sb_printf(&b, "$m%d_%d << EOD\n", p, e);
            for (int i = 0; i < nx; i++) {
                const int L = x_is_dist ? panel[p] : xs[i], D = x_is_dist ? xs[i] : panel[p];
                const ts_cond *k = ts_find_pt(&s->entries[e], L, D);
                if (k && !isnan(k->balacc))
                    ph_sb_printf(&b, "%d %.4f %.4f %.4f\n", xs[i], 100 * k->balacc, 100 * k->lo, 100 * k->hi);
            }
            ph_sb_printf(&b, "EOD\n");
        }
        ph_sb_printf(&b, "$h%d << EOD\n", p);
        for (int i = 0; i < nx; i++) {
            double lo, hi;
            const int L = x_is_dist ? panel[p] : xs[i], D = x_is_dist ? xs[i] : panel[p];
            const double h = ts_human_pathtracker(L, D, &lo, &hi);
            if (!isnan(h)) ph_sb_printf(&b, "%d %.1f %.1f %.1f\n", xs[i], h, lo, hi);
        }
        ph_sb_printf(&b, "EOD\n");
    }
    ph_sb_printf(&b, "set multiplot layout 1,%d title 'PathTracker: balanced accuracy against %s (trained at 14 "
                 "distractors; bars: bootstrap 95%% intervals)'\n",
                 np, x_is_dist ? "distractors" : "video length");
    /* The key sits below 45 %, under the chance line, clear of the data. */
    ph_sb_printf(&b, "set yrange [0:105]\nset ytics 10\nset grid ytics\nset key bottom left font ',8'\n"
                 "set xlabel '%s'\nset ylabel 'balanced accuracy (%%)'\nset xtics (",
                 x_is_dist ? "distractors" : "frames T");
    for (int i = 0; i < nx; i++) ph_sb_printf(&b, "%s'%d' %d", i ? ", " : "", xs[i], xs[i]);
    const double span = xs[nx - 1] - xs[0] > 0 ? xs[nx - 1] - xs[0] : 10;
    ph_sb_printf(&b, ")\nset xrange [%g:%g]\n", xs[0] - 0.15 * span, xs[nx - 1] + 0.15 * span);
    for (int p = 0; p < np; p++) {
        ph_sb_printf(&b, "set title '%s %d'\nplot 50 with lines dt 3 lc rgb '#888888' title 'chance'", x_is_dist ? "T =" : "distractors =", panel[p]);
        for (int e = 0, j = 0; e < s->nentries; e++) {
            if (!is_pt(&s->entries[e])) continue;
            /* Entries side by side around each x, so the bars do not hide each other. */
            const double off = (j - 2) * 0.012 * span;
            ph_sb_printf(&b, ", $m%d_%d using ($1+%g):2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb '%s' title '%s'", p, e,
                         off, COLOURS[j % NCOLOURS], s->entries[e].label);
            j++;
        }
        ph_sb_printf(&b, ", $h%d using 1:2 with linespoints dt 2 lw 2 pt 4 lc rgb 'black' title 'humans (PathTracker paper)'\n", p);
    }
    ph_sb_printf(&b, "unset multiplot\n");
    report_plot(b.s, png, 520 * np, 480);
    free(b.s);
    return 1;
}

int ts_plot_distractors(const ts_study *s, const char *png) { return plot_pt(s, png, 1); }
int ts_plot_length(const ts_study *s, const char *png) { return plot_pt(s, png, 0); }

int ts_plot_featuretracker(const ts_study *s, const char *png)
{
    /* Conditions in the order of the first FeatureTracker entry; entries as bar groups. */
    const ts_entry *first = NULL;
    int ne = 0;
    for (int e = 0; e < s->nentries; e++)
        if (is_ft(&s->entries[e])) {
            if (!first) first = &s->entries[e];
            ne++;
        }
    if (!first) return 0;
    ph_strbuf b = {0};
    /* Columns: condition, then y lo hi per entry, then the human accuracy (no header line:
     * a histogram counts every line as a cluster). */
    ph_sb_printf(&b, "$d << EOD\n");
    for (int c = 0; c < first->ncond; c++) {
        const char *ft = first->cond[c].ft;
        ph_sb_printf(&b, "%s", ft);
        for (int e = 0; e < s->nentries; e++) {
            if (!is_ft(&s->entries[e])) continue;
            const ts_cond *k = ts_find_ft(&s->entries[e], ft);
            if (k && !isnan(k->balacc))
                ph_sb_printf(&b, " %.4f %.4f %.4f", 100 * k->balacc, 100 * k->lo, 100 * k->hi);
            else
                ph_sb_printf(&b, " NaN NaN NaN");
        }
        const char *src;
        const double h = ts_human_featuretracker(ft, &src);
        if (isnan(h))
            ph_sb_printf(&b, " NaN\n");
        else
            ph_sb_printf(&b, " %.1f\n", h);
    }
    ph_sb_printf(&b, "EOD\n");
    ph_sb_printf(&b, "set title 'FeatureTracker: balanced accuracy per test condition (trained on idshapes_idcolors; "
                 "bars: bootstrap 95%% intervals)'\n"
                 "set style data histogram\nset style histogram errorbars gap 1 lw 1\nset style fill solid 0.7 border -1\n"
                 "set yrange [30:105]\nset ytics 10\nset grid ytics\n"
                 /* below the plot: beside it the key of eight models outgrew the canvas */
                 "set key outside below center font ',8' noenhanced\n"
                 "set ylabel 'balanced accuracy (%%)'\nset xtics rotate by -30 font ',8' noenhanced\n"
                 "set xrange [-0.6:%d.6]\n",
                 first->ncond - 1);
    ph_sb_printf(&b, "plot");
    for (int e = 0, j = 0; e < s->nentries; e++) {
        if (!is_ft(&s->entries[e])) continue;
        const int col = 2 + 3 * j;
        ph_sb_printf(&b, "%s $d using %d:%d:%d%s lc rgb '%s' title '%s'", j ? "," : "", col, col + 1, col + 2,
                     j ? "" : ":xtic(1)", COLOURS[j % NCOLOURS], s->entries[e].label);
        j++;
    }
    ph_sb_printf(&b, ", $d using ($0):%d with points pt 5 ps 1.2 lc rgb 'black' title 'humans (CV-RNN paper, mapping inferred)', "
                 "50 with lines dt 3 lc rgb '#888888' title 'chance'\n",
                 2 + 3 * ne);
    report_plot(b.s, png, 1100, 520 + 14 * (ne + 2)); /* a key row per model, the humans and chance */
    free(b.s);
    return 1;
}
