/* png.h: writing 8-bit RGB images as PNG (libpng), published atomically. */
#ifndef PHASOR_PNG_H
#define PHASOR_PNG_H

#include <stdint.h>

/* Writes rgb (height rows of width pixels, 3 bytes each, row-major, no padding)
 * to PATH.partial and renames it to PATH when complete.  Any failure is fatal
 * (one line, exit 1) and leaves no file under PATH; an existing PATH is kept. */
void ph_png_write_rgb(const char *path, int width, int height, const uint8_t *rgb);
/* The same for RGBA pixels (4 bytes each; alpha 255 is opaque) and for gray ones (1 byte). */
void ph_png_write_rgba(const char *path, int width, int height, const uint8_t *rgba);
void ph_png_write_gray(const char *path, int width, int height, const uint8_t *gray);

#endif
