/* svrt_plot.h: PNG figures through gnuplot (gnuplot-nox, pngcairo terminal). */
#ifndef PHASOR_SVRT_PLOT_H
#define PHASOR_SVRT_PLOT_H

/* Runs gnuplot on `body` (data blocks and plot commands; the terminal and output
 * are set here) and publishes the figure as `png` (written to png.partial, then
 * renamed).  Fatal with one line if gnuplot is missing or fails. */
void svrt_plot(const char *body, const char *png, int width, int height);

#endif
