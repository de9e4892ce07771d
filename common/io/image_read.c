/* image_read.c: PNG through libpng's simplified API, JPEG through libjpeg with an
 * error manager that returns instead of exiting, 2-D .npy through npy_nd.c.
 * A header's size claim is not trusted: a PNG may not claim more pixels than
 * its deflated data can hold, and a JPEG's rows are stored as they decode, so
 * a short file never costs the memory its header claims. */
#include "image_read.h"

#include "npy_nd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { DIM_MAX = 1 << 15 };

/* Deflate expands at most 1032:1 and a PNG pixel takes at least one bit, so a
 * file of B bytes holds at most about 8 x 1032 x B pixels (plus slack). */
#define PNG_PIXELS_PER_BYTE 8300.0

void ph_image_free(ph_image *img)
{
    free(img->px);
    img->px = NULL;
}

static int read_png(const char *path, int c, ph_image *img, char *why, size_t n)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path)) {
        snprintf(why, n, "not a readable PNG: %s", pi.message);
        png_image_free(&pi);
        return -1;
    }
    if (pi.width == 0 || pi.height == 0 || pi.width > DIM_MAX || pi.height > DIM_MAX) {
        snprintf(why, n, "PNG of %ux%u pixels (at most %d per side)", pi.width, pi.height, DIM_MAX);
        png_image_free(&pi);
        return -1;
    }
    struct stat st;
    if (!stat(path, &st) && (double)pi.width * pi.height > PNG_PIXELS_PER_BYTE * (double)st.st_size + 65536.0) {
        snprintf(why, n, "corrupt PNG: its header claims %ux%u pixels, more than %lld bytes can hold", pi.width,
                 pi.height, (long long)st.st_size);
        png_image_free(&pi);
        return -1;
    }
    pi.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    img->w = (int)pi.width, img->h = (int)pi.height, img->c = c;
    img->px = malloc(PNG_IMAGE_SIZE(pi));
    if (!img->px) {
        snprintf(why, n, "out of memory for %dx%d pixels", img->w, img->h);
        png_image_free(&pi);
        return -1;
    }
    /* Background black for alpha: the composited colour, as a viewer shows it. */
    png_color black = {0, 0, 0};
    if (!png_image_finish_read(&pi, &black, img->px, 0, NULL)) {
        snprintf(why, n, "corrupt PNG: %s", pi.message);
        png_image_free(&pi);
        ph_image_free(img);
        return -1;
    }
    return 0;
}

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf back;
    char msg[JMSG_LENGTH_MAX];
} jpeg_failure;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_failure *f = (jpeg_failure *)cinfo->err;
    f->mgr.format_message(cinfo, f->msg);
    longjmp(f->back, 1);
}

/* libjpeg reports damage it can step over (data ending early, bad codes) as
 * warnings (level -1) and decodes grey in their place: here they are errors.
 * Trace messages (level >= 0) are ignored. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level < 0) jpeg_on_error(cinfo);
}

static int read_jpeg(const char *path, FILE *f, int c, ph_image *img, char *why, size_t n)
{
    struct jpeg_decompress_struct d;
    jpeg_failure fail;
    d.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = jpeg_on_error;
    fail.mgr.emit_message = jpeg_on_message;
    img->px = NULL;
    if (setjmp(fail.back)) {
        snprintf(why, n, "corrupt JPEG: %s", fail.msg);
        jpeg_destroy_decompress(&d);
        ph_image_free(img);
        return -1;
    }
    jpeg_create_decompress(&d);
    jpeg_stdio_src(&d, f);
    jpeg_read_header(&d, TRUE);
    d.out_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&d);
    if (d.output_width > DIM_MAX || d.output_height > DIM_MAX || (int)d.output_components != c) {
        snprintf(why, n, "JPEG %s of %ux%u x %d channels is not supported", path, d.output_width,
                 d.output_height, d.output_components);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    img->w = (int)d.output_width, img->h = (int)d.output_height, img->c = c;
    const size_t row_bytes = (size_t)img->w * c;
    size_t rows = 0; /* rows allocated: doubled as they decode */
    while (d.output_scanline < d.output_height) {
        if (d.output_scanline == rows) {
            rows = rows ? rows * 2 : 64;
            if (rows > d.output_height) rows = d.output_height;
            unsigned char *px = realloc(img->px, rows * row_bytes);
            if (!px) {
                snprintf(why, n, "out of memory for %dx%d pixels", img->w, img->h);
                jpeg_destroy_decompress(&d);
                ph_image_free(img);
                return -1;
            }
            img->px = px;
        }
        JSAMPROW row = img->px + (size_t)d.output_scanline * row_bytes;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return 0;
}

int ph_image_read(const char *path, int c, ph_image *img, char *why, size_t n)
{
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, n, "cannot open: %s", strerror(errno));
        return -1;
    }
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    int rc;
    if (got == 8 && !png_sig_cmp(magic, 0, 8)) {
        fclose(f);
        return read_png(path, c, img, why, n);
    }
    if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
        rewind(f);
        rc = read_jpeg(path, f, c, img, why, n);
    } else {
        snprintf(why, n, "neither PNG nor JPEG (unrecognised first bytes)");
        rc = -1;
    }
    fclose(f);
    return rc;
}

int ph_npy_read_2d(const char *path, float **out, int *h, int *w, char *why, size_t n)
{
    int ndims = 0;
    int64_t dims[PH_NPY_MAX_DIMS];
    if (ph_npy_read_nd(path, out, &ndims, dims, why, n)) return -1;
    if (ndims != 2 || dims[0] > INT_MAX || dims[1] > INT_MAX) {
        free(*out);
        *out = NULL;
        snprintf(why, n, ".npy array is not 2-D (shape (H, W) expected)");
        return -1;
    }
    *h = (int)dims[0], *w = (int)dims[1];
    return 0;
}
