/* spectrum.h: natural-image magnitude spectra for feature visualisation (MACO:
 * Fel et al., NeurIPS 2023, arXiv 2306.06805; docs/maco.md): the
 * decorrelated colour basis, the mean magnitude of a set of images, its
 * resampling to another size, the 1/f scale of the Fourier parameterisation,
 * and spectrum files.
 *
 * Spectra are [C, S, S/2+1] float32 in the unshifted rfft2 layout (DC at
 * [c][0][0], rows 0.. then the negative frequencies). */
#ifndef PHASOR_SPECTRUM_H
#define PHASOR_SPECTRUM_H

#include "kernels.h"
#include "io/provenance.h"

#include <mpi.h>
#include <stdint.h>

/* Lucid's colour correlation (the square root of ImageNet's colour covariance,
 * divided by its largest column norm): rgb = d R for a row vector d of
 * decorrelated values (tensorflow/lucid, lucid/optvis/param/color.py).
 * Grayscale images use the identity. */
extern const double ph_colour_R[3][3];
/* Its inverse: d = rgb R^-1. */
void ph_colour_R_inverse(double inv[3][3]);

/* Sum of the magnitude spectra of images in exact fixed point: each value is
 * rounded to a multiple of 2^-PH_SPECTRUM_FRAC_BITS and added as an int64, so
 * sums over any split of the images (ranks) add up to the same bits. */
enum { PH_SPECTRUM_FRAC_BITS = 20 };
typedef struct {
    const ph_backend *be;
    int c, h, w, s, block; /* channels, image size, working size, images per batch */
    size_t count;          /* c s (s/2+1) */
    int64_t *sum;          /* host [count] */
    int64_t images;
    double bound;          /* the largest magnitude an image can have */
    float *host, *hmag;    /* host batch [block, c, h, w] and magnitudes */
    float *x, *xs, *xd, *re, *im, *mag, *phase, *rinv; /* device */
} ph_spectrum_acc;

/* Images of h x w x c (c = 1 or 3) resized to s x s (bilinear, half-pixel). */
void ph_spectrum_acc_init(ph_spectrum_acc *a, const ph_backend *be, int c, int h, int w, int s,
                          int block);
/* Adds k <= block images, uint8 [k, h, w, c]: scaled to [0, 1], resized,
 * decorrelated (c = 3), transformed; |X| is added. */
void ph_spectrum_acc_add(ph_spectrum_acc *a, const uint8_t *images, int k);
void ph_spectrum_acc_free(ph_spectrum_acc *a);
/* sum / (n 2^FRAC_BITS) as float. */
void ph_spectrum_mean(const int64_t *sum, int64_t n, size_t count, float *out);

/* Resamples magnitude spectra [c, s, s/2+1] to [c, t, t/2+1] bilinearly in
 * frequency coordinates: output frequency (fy, fx) (signed row frequency, column)
 * reads the source at (fy s/t, fx s/t), clamped to the source's frequencies, so
 * DC maps to DC and the result keeps cycles per pixel.  t = s copies. */
void ph_spectrum_resample(const float *src, int c, int s, float *dst, int t);

/* Lucid's Fourier scale for an s x s image: s / max(f, 1/s)^decay with f the
 * frequency in cycles per pixel, [s, s/2+1] (tensorflow/lucid,
 * lucid/optvis/param/spatial.py, fft_image). */
void ph_spectrum_fourier_scale(int s, double decay, float *out);

/* A spectrum file: /magnitude float32 [C, S, S/2+1], root provenance
 * attributes plus phasor_spectrum (1), size, images, basis. */
typedef struct {
    int c, s;
    int64_t images;
    char basis[32]; /* "decorrelated" (3 channels) or "gray" */
    float *magnitude;
} ph_spectrum;

/* Collective: rank 0's magnitude is written (NAME.partial, renamed when complete). */
void ph_spectrum_write(MPI_Comm comm, const char *path, const ph_spectrum *sp,
                       const ph_provenance *prov);
/* Every rank reads the file; fatal with one line if it is not a spectrum file. */
void ph_spectrum_read(MPI_Comm comm, const char *path, ph_spectrum *sp);
void ph_spectrum_free(ph_spectrum *sp);

#endif
