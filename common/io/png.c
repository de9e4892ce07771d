/* png.c: PNG output through libpng, written as NAME.partial then renamed. */
#include "png.h"

#include "core/error.h"
#include "core/fsutil.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>

/* libpng reports errors through this callback, which must not return: keep the
 * message and jump back to the setjmp in ph_png_write_rgb. */
static char png_why[256];

static void on_png_error(png_structp png, png_const_charp msg)
{
    snprintf(png_why, sizeof png_why, "libpng: %s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg; /* warnings do not stop the write; keep stderr to one line */
}

static void png_write(const char *path, int width, int height, const uint8_t *rgb, int color, int bpp)
{
    char what[4200], partial[4096];
    snprintf(what, sizeof what, "writing PNG image %s", path);
    if (width <= 0 || height <= 0 || !rgb)
        PH_FAIL(what, "empty image", "this is a bug: the image must have pixels");

    ph_partial_path(path, partial, sizeof partial);
    ph_partial_register(partial);
    FILE *f = fopen(partial, "wb");
    PH_CHECK_LIBC(f != NULL, what, "check that the output directory is writable");

    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error,
                                              on_png_warning);
    if (!png) PH_FAIL(what, "cannot create a libpng writer", "out of memory or a broken libpng");
    png_infop info = png_create_info_struct(png);
    if (!info) PH_FAIL(what, "cannot create a libpng info struct", "out of memory");
    /* Nothing set after this point is read on the error path: no volatile needed. */
    if (setjmp(png_jmpbuf(png)))
        PH_FAIL(what, png_why, "check free space and quota on the output file system, and the "
                "image size");

    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, rgb + (size_t)y * (size_t)width * bpp);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    PH_CHECK_LIBC(fclose(f) == 0, what, "check free space and quota on the output file system");
    ph_publish(partial, path);
}

void ph_png_write_rgb(const char *path, int width, int height, const uint8_t *rgb)
{
    png_write(path, width, height, rgb, PNG_COLOR_TYPE_RGB, 3);
}

void ph_png_write_rgba(const char *path, int width, int height, const uint8_t *rgba)
{
    png_write(path, width, height, rgba, PNG_COLOR_TYPE_RGB_ALPHA, 4);
}

void ph_png_write_gray(const char *path, int width, int height, const uint8_t *gray)
{
    png_write(path, width, height, gray, PNG_COLOR_TYPE_GRAY, 1);
}
