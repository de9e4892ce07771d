/* image_read.h: decoding user images (PNG via libpng, JPEG via libjpeg) and float
 * arrays (.npy) for the importer.  Failures are returned, not fatal, so that the
 * importer can skip a bad file or stop, naming it (phasor-preprocess import). */
#ifndef PHASOR_IMAGE_READ_H
#define PHASOR_IMAGE_READ_H

#include <stddef.h>
#include <stdint.h>

/* 8-bit pixels, row-major, channels interleaved (1 gray or 3 RGB). */
typedef struct {
    int w, h, c;
    uint8_t *px;
} ph_image;

/* Decodes PATH, recognised by its first bytes (not its name), as gray when `c` is 1
 * and RGB when 3 (colour is converted either way; alpha is dropped, 16-bit PNGs are
 * reduced to 8 bits).  Returns 0, or -1 with the reason in why. */
int ph_image_read(const char *path, int c, ph_image *img, char *why, size_t n);
void ph_image_free(ph_image *img);

/* A 2-D float array from a NumPy .npy file (version 1-3, little-endian float32,
 * float64 or uint8, C order).  *out is malloc'd [h * w].  Returns 0, or -1 with why. */
int ph_npy_read_2d(const char *path, float **out, int *h, int *w, char *why, size_t n);

#endif
