/* image_read.c: PNG through libpng's simplified API, JPEG through libjpeg with an
 * error manager that returns instead of exiting, .npy by its documented header. */
#include "image_read.h"

#include <errno.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

enum { DIM_MAX = 1 << 15 };

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

static void jpeg_on_message(j_common_ptr cinfo) { (void)cinfo; /* warnings: not printed */ }

static int read_jpeg(const char *path, FILE *f, int c, ph_image *img, char *why, size_t n)
{
    struct jpeg_decompress_struct d;
    jpeg_failure fail;
    d.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = jpeg_on_error;
    fail.mgr.output_message = jpeg_on_message;
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
    img->px = malloc((size_t)img->w * img->h * c);
    if (!img->px) {
        snprintf(why, n, "out of memory for %dx%d pixels", img->w, img->h);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = img->px + (size_t)d.output_scanline * img->w * c;
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

/* The value of 'key': in the header dict, as the text after the colon. */
static const char *npy_value(const char *hdr, const char *key)
{
    const char *p = strstr(hdr, key);
    if (!p) return NULL;
    p = strchr(p + strlen(key), ':');
    if (!p) return NULL;
    for (p++; *p == ' '; p++) {}
    return p;
}

int ph_npy_read_2d(const char *path, float **out, int *h, int *w, char *why, size_t n)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, n, "cannot open: %s", strerror(errno));
        return -1;
    }
    unsigned char pre[12];
    size_t hlen = 0;
    int rc = -1;
    char *hdr = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
        snprintf(why, n, "not a .npy file (no \\x93NUMPY magic)");
        goto done;
    }
    if (pre[6] == 1) {
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            snprintf(why, n, "truncated .npy header");
            goto done;
        }
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        snprintf(why, n, ".npy format version %d is not supported (1-3 are)", pre[6]);
        goto done;
    }
    if (hlen > 1 << 20 || !(hdr = calloc(hlen + 1, 1)) || fread(hdr, 1, hlen, f) != hlen) {
        snprintf(why, n, "truncated or oversized .npy header");
        goto done;
    }
    const char *descr = npy_value(hdr, "'descr'"), *fo = npy_value(hdr, "'fortran_order'"),
               *shape = npy_value(hdr, "'shape'");
    int kind; /* bytes per value: 4 float32, 8 float64, 1 uint8 */
    if (descr && !strncmp(descr, "'<f4'", 5)) kind = 4;
    else if (descr && !strncmp(descr, "'<f8'", 5)) kind = 8;
    else if (descr && (!strncmp(descr, "'|u1'", 5) || !strncmp(descr, "'<u1'", 5))) kind = 1;
    else {
        snprintf(why, n, ".npy dtype is not float32, float64 or uint8 (little-endian)");
        goto done;
    }
    if (!fo || strncmp(fo, "False", 5)) {
        snprintf(why, n, ".npy array is in Fortran order (save it C-ordered: np.ascontiguousarray)");
        goto done;
    }
    long a = 0, b = 0;
    char tail = 0;
    if (!shape || sscanf(shape, "(%ld, %ld%c", &a, &b, &tail) != 3 || tail != ')' || a < 1 || b < 1 ||
        a > DIM_MAX || b > DIM_MAX) {
        snprintf(why, n, ".npy array is not 2-D (shape (H, W) expected)");
        goto done;
    }
    size_t count = (size_t)a * (size_t)b;
    unsigned char *raw = malloc(count * (size_t)kind);
    float *v = malloc(count * sizeof *v);
    if (!raw || !v) {
        free(raw), free(v);
        snprintf(why, n, "out of memory for a %ldx%ld array", a, b);
        goto done;
    }
    if (fread(raw, (size_t)kind, count, f) != count) {
        free(raw), free(v);
        snprintf(why, n, "truncated .npy data (%ldx%ld values expected)", a, b);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (kind == 4) {
            memcpy(&v[i], raw + 4 * i, 4);
        } else if (kind == 8) {
            double d;
            memcpy(&d, raw + 8 * i, 8);
            v[i] = (float)d;
        } else {
            v[i] = raw[i];
        }
        if (!(v[i] - v[i] == 0.0f)) { /* NaN or infinite */
            free(raw), free(v);
            snprintf(why, n, ".npy value %zu (row %zu, column %zu) is not finite", i, i / (size_t)b, i % (size_t)b);
            goto done;
        }
    }
    free(raw);
    *out = v, *h = (int)a, *w = (int)b;
    rc = 0;
done:
    free(hdr);
    fclose(f);
    return rc;
}
