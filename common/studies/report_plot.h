/* report_plot.h: PNG figures through gnuplot (gnuplot-nox, pngcairo terminal). */
#ifndef PHASOR_REPORT_PLOT_H
#define PHASOR_REPORT_PLOT_H

/* Runs gnuplot on `body` (data blocks and plot commands; the terminal and output
 * are set here) and publishes the figure as `png` (written to png.partial, then
 * renamed).  Fatal with one line if gnuplot is missing or fails. */
void report_plot(const char *body, const char *png, int width, int height);

#endif
