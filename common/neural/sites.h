/* sites.h: synthetic spatially resolved "neural" sites for a sample file with
 * ground-truth importance.
 *
 * Site k prefers class k mod classes (its class's diagnostic part) with a
 * gain g_k in [0.5, 1.5) and responds, weaker by b_k in [0, 0.25), to the
 * parts of the other classes.  Its noise-free map on the G x G grid is
 *     g_k * (label == pref_k ? 1 : b_k) * smooth(grid(human map))
 * where grid() is the features' resampling (grid.h) and smooth() a Gaussian
 * of `sigma` cells (a receptive field), and each of `repeats` independent
 * measurements adds Gaussian noise of standard deviation `noise` (Philox,
 * stream PH_STREAM_SITES, index = image, sub = 1 + repeat; the per-site
 * tuning draws use index = site, sub = 0).  Responses depend only on
 * (seed, image index, map, label), never on the rank. */
#ifndef PHASOR_NEURAL_SITES_H
#define PHASOR_NEURAL_SITES_H

#include <stdint.h>

typedef struct {
    int sites;     /* K */
    int grid;      /* G */
    int classes;   /* of the labels */
    int repeats;   /* independent noisy measurements (2 for the ceilings) */
    double noise;  /* standard deviation of the noise */
    double sigma;  /* Gaussian smoothing, grid cells (0: none) */
    uint32_t seed;
} ph_sites_params;

/* Per-site tuning: preferred class, gain, response to other classes. */
typedef struct {
    int pref;
    double gain, other;
} ph_site_tuning;

void ph_sites_tuning(const ph_sites_params *sp, int k, ph_site_tuning *t);

/* One image: map [h, w] (the human map), its label and global index ->
 * out [repeats, G, G, K] (site fastest). */
void ph_sites_image(const ph_sites_params *sp, const float *map, int h, int w, int label, int64_t index,
                    float *out);

#endif
