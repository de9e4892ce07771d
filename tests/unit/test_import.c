/* test_import.c: phasor-preprocess import on a folder of real PNG and JPEG files made
 * here (libpng, libjpeg), with importance maps as images and .npy arrays; the same
 * output for 1 and 2 ranks; each bad input named, skipped with --bad skip.  Runs the
 * built stage ($PHASOR_BUILD/bin/phasor-preprocess) and reads its files with HDF5. */
#include "io/image_read.h"
#include "io/importance_map.h"
#include "io/png.h"

#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

enum { W = 20, H = 16, NIMG = 12, S = 16 };
static char dir[256], exe[1024], mpirun_np2[1100];

static void write_jpeg(const char *path, int w, int h, int c, const uint8_t *px)
{
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr err;
    j.err = jpeg_std_error(&err);
    jpeg_create_compress(&j);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    jpeg_stdio_dest(&j, f);
    j.image_width = (JDIMENSION)w, j.image_height = (JDIMENSION)h, j.input_components = c;
    j.in_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&j);
    jpeg_set_quality(&j, 95, TRUE);
    jpeg_start_compress(&j, TRUE);
    while (j.next_scanline < j.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)j.next_scanline * w * c);
        jpeg_write_scanlines(&j, &row, 1);
    }
    jpeg_finish_compress(&j);
    fclose(f);
    jpeg_destroy_compress(&j);
}

static void write_npy_f32(const char *path, int h, int w, const float *v)
{
    char hdr[128];
    int len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", h, w);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned short hl = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hl & 0xff, f), fputc(hl >> 8, f);
    fwrite(hdr, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    fwrite(v, sizeof *v, (size_t)h * w, f);
    fclose(f);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Image k: flat colour (10 + 17k, 200 - 9k, 40 + 5k) (gray images: 10 + 17k); 0-5 PNG, 6-9
 * JPEG, 10 gray PNG, 11 gray JPEG.  Maps: 0-3 PNG (a bright square), 4 .npy, 5 a map of the
 * wrong size in maps_bad only, others none.  Label k % 3. */
static void fixtures_make(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/img", dir), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/img/sub", dir), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/maps", dir), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/maps/sub", dir), mkdir(p, 0755);
    uint8_t rgb[W * H * 3], gray[W * H];
    char labels[4096] = "# a comment, then a header\nname,label\n";
    for (int k = 0; k < NIMG; k++) {
        for (int i = 0; i < W * H; i++) {
            rgb[3 * i] = (uint8_t)(10 + 17 * k), rgb[3 * i + 1] = (uint8_t)(200 - 9 * k);
            rgb[3 * i + 2] = (uint8_t)(40 + 5 * k), gray[i] = (uint8_t)(10 + 17 * k);
        }
        const char *ext = k < 6 || k == 10 ? "png" : "jpg";
        char name[64];
        snprintf(name, sizeof name, "%simg%02d.%s", k % 4 == 3 ? "sub/" : "", k, ext);
        snprintf(p, sizeof p, "%s/img/%s", dir, name);
        if (k < 6) ph_png_write_rgb(p, W, H, rgb);
        else if (k < 10) write_jpeg(p, W, H, 3, rgb);
        else if (k == 10) ph_png_write_gray(p, W, H, gray);
        else write_jpeg(p, W, H, 1, gray);
        char line[96];
        snprintf(line, sizeof line, "%s,%d\n", name, k % 3);
        strcat(labels, line);
        if (k < 4) {
            uint8_t m[W * H] = {0};
            for (int y = 4; y < 9; y++)
                for (int x = 2 + k; x < 7 + k; x++) m[y * W + x] = 255;
            snprintf(p, sizeof p, "%s/maps/%simg%02d.png", dir, k % 4 == 3 ? "sub/" : "", k);
            ph_png_write_gray(p, W, H, m);
        } else if (k == 4) {
            float v[W * H];
            for (int i = 0; i < W * H; i++) v[i] = (float)(i % W) / (W - 1); /* a ramp left to right */
            snprintf(p, sizeof p, "%s/maps/img04.npy", dir);
            write_npy_f32(p, H, W, v);
        }
    }
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    write_text(p, labels);
}

/* Runs the stage with arguments; returns its exit status; stderr into dir/err. */
static int run(const char *launcher, const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd %s && %s %s import %s --quiet >out 2>err", dir, launcher, exe, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int err_has(const char *needle)
{
    char p[512], buf[8192] = "";
    snprintf(p, sizeof p, "%s/err", dir);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    if (!strstr(buf, needle)) fprintf(stderr, "# stderr was: %s\n", buf);
    return strstr(buf, needle) != NULL;
}

/* A whole dataset of a file, as `type`; returns the element count. */
static size_t h5_read_all(const char *path, const char *name, hid_t type, void **buf)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    *buf = malloc((size_t)n * H5Tget_size(type) + 1);
    assert_true(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) >= 0);
    H5Sclose(sp), H5Dclose(d), H5Fclose(f);
    return (size_t)n;
}

static const char *splits[3] = {"train", "val", "test"};

/* Every image once over the three splits, with its label, colour and map. */
static void check_import(const char *out)
{
    int seen[NIMG] = {0};
    for (int s = 0; s < 3; s++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s/%s.h5", dir, out, splits[s]);
        int32_t *y, *line;
        uint8_t *x, *tok;
        float *map;
        size_t n = h5_read_all(p, "y", H5T_NATIVE_INT32, (void **)&y);
        assert_int_equal(h5_read_all(p, "meta/line", H5T_NATIVE_INT32, (void **)&line), n);
        assert_int_equal(h5_read_all(p, "x", H5T_NATIVE_UINT8, (void **)&x), n * S * S * 3);
        assert_int_equal(h5_read_all(p, "meta/token", H5T_NATIVE_UINT8, (void **)&tok), n);
        assert_int_equal(h5_read_all(p, "maps/human", H5T_NATIVE_FLOAT, (void **)&map), n * S * S);
        for (size_t i = 0; i < n; i++) {
            int k = line[i] - 1;
            assert_true(k >= 0 && k < NIMG);
            assert_int_equal(seen[k]++, 0);
            assert_int_equal(y[i], k % 3);
            if (i) assert_true(line[i] > line[i - 1]); /* label-file order within a split */
            /* A flat colour stays flat through the resize (JPEG: within its loss). */
            int want[3] = {10 + 17 * k, 200 - 9 * k, 40 + 5 * k}, tol = k < 6 || k == 10 ? 0 : 3;
            if (k >= 10) want[1] = want[2] = want[0];
            for (int q = 0; q < S * S; q++)
                for (int c = 0; c < 3; c++) assert_true(abs(x[(i * S * S + q) * 3 + c] - want[c]) <= tol);
            assert_int_equal(tok[i], k <= 4);
            const float *m = map + i * S * S;
            float lo = m[0], hi = m[0];
            for (int q = 1; q < S * S; q++) lo = fminf(lo, m[q]), hi = fmaxf(hi, m[q]);
            if (k <= 4) { /* clickme form: min-max to [0, 1] */
                assert_true(fabsf(lo) < 1e-6f && fabsf(hi - 1) < 1e-6f);
            } else {
                assert_true(lo == 0 && hi == 0);
            }
            if (k < 4) { /* the blurred square peaks near its centre, (4 + k, 6) of 20x16 -> x 3.6+0.8k */
                int at = 0;
                for (int q = 1; q < S * S; q++)
                    if (m[q] > m[at]) at = q;
                assert_true(abs(at / S - 6) <= 3 && abs(at % S - (int)lrint((4.5 + k) * S / W)) <= 3);
            }
            if (k == 4) assert_true(m[S / 2 * S + S - 1] > m[S / 2 * S]); /* the ramp rises */
        }
        free(y), free(line), free(x), free(tok), free(map);
    }
    for (int k = 0; k < NIMG; k++) assert_int_equal(seen[k], 1);
}

static void test_import_folder(void **state)
{
    (void)state;
    assert_int_equal(run("", "img --labels labels.csv --classes 3 --size %d --maps maps --split "
                             "train=0.5,val=0.25,test=0.25 --out one", S), 0);
    check_import("one");
}

/* Two ranks: the same datasets, value for value. */
static void test_import_ranks(void **state)
{
    (void)state;
    assert_int_equal(run(mpirun_np2, "img --labels labels.csv --classes 3 --size %d --maps maps --split "
                                     "train=0.5,val=0.25,test=0.25 --out two", S), 0);
    check_import("two");
    const char *names[5] = {"x", "y", "meta/line", "meta/token", "maps/human"};
    for (int s = 0; s < 3; s++)
        for (int d = 0; d < 5; d++) {
            char a[512], b[512];
            snprintf(a, sizeof a, "%s/one/%s.h5", dir, splits[s]), snprintf(b, sizeof b, "%s/two/%s.h5", dir, splits[s]);
            void *va, *vb;
            size_t na = h5_read_all(a, names[d], H5T_NATIVE_UINT8, &va), nb = h5_read_all(b, names[d], H5T_NATIVE_UINT8, &vb);
            if (d == 4) { /* floats: compare the bytes */
                free(va), free(vb);
                na = h5_read_all(a, names[d], H5T_NATIVE_FLOAT, &va), nb = h5_read_all(b, names[d], H5T_NATIVE_FLOAT, &vb);
                na *= 4, nb *= 4;
            }
            assert_int_equal(na, nb);
            assert_memory_equal(va, vb, na);
            free(va), free(vb);
        }
}

/* Another seed deals the images differently; the same seed does not. */
static void test_import_seed(void **state)
{
    (void)state;
    assert_int_equal(run("", "img --labels labels.csv --classes 3 --size %d --split train=0.5,val=0.5 --seed 7 "
                             "--out s7", S), 0);
    assert_int_equal(run("", "img --labels labels.csv --classes 3 --size %d --split train=0.5,val=0.5 --seed 8 "
                             "--out s8", S), 0);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/s7/train.h5", dir), snprintf(b, sizeof b, "%s/s8/train.h5", dir);
    int32_t *la, *lb;
    size_t na = h5_read_all(a, "meta/line", H5T_NATIVE_INT32, (void **)&la);
    size_t nb = h5_read_all(b, "meta/line", H5T_NATIVE_INT32, (void **)&lb);
    assert_int_equal(na, 6);
    assert_int_equal(nb, 6);
    assert_true(memcmp(la, lb, 6 * sizeof *la) != 0);
    free(la), free(lb);
}

static void test_import_bad_inputs(void **state)
{
    (void)state;
    char p[512];
    /* A corrupt image: named, exit 1, nothing written; skipped with --bad skip. */
    snprintf(p, sizeof p, "%s/img/broken.png", dir);
    write_text(p, "this is not a PNG\n");
    snprintf(p, sizeof p, "%s/labels_broken.csv", dir);
    char labels[4096];
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    snprintf(labels, sizeof labels, "%s/labels.csv", dir);
    FILE *g = fopen(labels, "r");
    assert_non_null(g);
    size_t n = fread(labels, 1, sizeof labels - 1, g);
    labels[n] = 0;
    fclose(g);
    fputs(labels, f), fputs("broken.png,1\n", f);
    fclose(f);
    assert_int_equal(run("", "img --labels labels_broken.csv --classes 3 --size %d --out broken", S), 1);
    assert_true(err_has("broken.png") && err_has("--bad skip"));
    snprintf(p, sizeof p, "%s/broken/train.h5", dir);
    assert_true(access(p, F_OK) != 0);
    assert_int_equal(run("", "img --labels labels_broken.csv --classes 3 --size %d --bad skip --out skipped", S), 0);
    assert_int_equal(run("", "img --labels labels_broken.csv --classes 3 --size %d --bad skip --out skipped2 "
                             "--force", S), 0);
    /* --quiet hides the count; count the samples instead. */
    size_t total = 0;
    for (int s = 0; s < 3; s++) {
        int32_t *y;
        snprintf(p, sizeof p, "%s/skipped/%s.h5", dir, splits[s]);
        total += h5_read_all(p, "y", H5T_NATIVE_INT32, (void **)&y);
        free(y);
    }
    assert_int_equal(total, NIMG);
    /* A label out of range. */
    snprintf(p, sizeof p, "%s/labels_range.csv", dir);
    write_text(p, "img00.png,0\nimg01.png,5\n");
    assert_int_equal(run("", "img --labels labels_range.csv --classes 3 --out range"), 1);
    assert_true(err_has("label 5 is out of range 0..2"));
    /* A map of another size. */
    snprintf(p, sizeof p, "%s/maps_bad", dir), mkdir(p, 0755);
    uint8_t m[10 * 10] = {0};
    snprintf(p, sizeof p, "%s/maps_bad/img00.png", dir);
    ph_png_write_gray(p, 10, 10, m);
    assert_int_equal(run("", "img --labels labels.csv --classes 3 --maps maps_bad --out mapbad"), 1);
    assert_true(err_has("maps_bad/img00.png: map of 10x10 pixels for an image of 20x16"));
    /* Usage errors: exit 2 with the remedy. */
    assert_int_equal(run("", "img --labels labels.csv --out x"), 2);
    assert_true(err_has("--classes"));
    assert_int_equal(run("", "img --labels nowhere.csv --classes 3 --out x"), 2);
    assert_true(err_has("cannot read the label file nowhere.csv"));
    assert_int_equal(run("", "img --labels labels.csv --classes 3 --split train=0.5,val=0.4 --out x"), 2);
    assert_true(err_has("add up to 1"));
    assert_int_equal(run("", "img --labels labels.csv --classes 3 --size %d --maps maps --split "
                             "train=0.5,val=0.25,test=0.25 --out one", S), 2);
    assert_true(err_has("already exists"));
    snprintf(p, sizeof p, "%s/labels_dup.csv", dir);
    write_text(p, "img00.png,0\nimg00.png,1\n");
    assert_int_equal(run("", "img --labels labels_dup.csv --classes 3 --out dup"), 2);
    assert_true(err_has("twice"));
    snprintf(p, sizeof p, "%s/labels_word.csv", dir);
    write_text(p, "img00.png,0\nimg01.png,cat\n");
    assert_int_equal(run("", "img --labels labels_word.csv --classes 3 --out word"), 2);
    assert_true(err_has("not an integer"));
    /* Images of different sizes without --size. */
    uint8_t small[8 * 8 * 3] = {0};
    snprintf(p, sizeof p, "%s/img/small.png", dir);
    ph_png_write_rgb(p, 8, 8, small);
    snprintf(p, sizeof p, "%s/labels_sizes.csv", dir);
    write_text(p, "img00.png,0\nsmall.png,1\n");
    assert_int_equal(run("", "img --labels labels_sizes.csv --classes 3 --out sizes"), 2);
    assert_true(err_has("give --size S"));
}

/* The decoders directly: gray from RGB, and .npy errors. */
static void test_image_read(void **state)
{
    (void)state;
    char p[512], why[256];
    ph_image img;
    snprintf(p, sizeof p, "%s/img/img00.png", dir);
    assert_int_equal(ph_image_read(p, 3, &img, why, sizeof why), 0);
    assert_int_equal(img.w, W);
    assert_int_equal(img.h, H);
    assert_int_equal(img.px[0], 10);
    assert_int_equal(img.px[1], 200);
    ph_image_free(&img);
    snprintf(p, sizeof p, "%s/labels.csv", dir);
    assert_int_equal(ph_image_read(p, 3, &img, why, sizeof why), -1);
    assert_non_null(strstr(why, "neither PNG nor JPEG"));
    float *v;
    int h, w;
    snprintf(p, sizeof p, "%s/maps/img04.npy", dir);
    assert_int_equal(ph_npy_read_2d(p, &v, &h, &w, why, sizeof why), 0);
    assert_int_equal(h, H);
    assert_int_equal(w, W);
    assert_true(v[W - 1] == 1.0f && v[0] == 0.0f);
    free(v);
    assert_int_equal(ph_npy_read_2d(p + 0, &v, &h, &w, why, sizeof why), 0);
    free(v);
    snprintf(p, sizeof p, "%s/img/img00.png", dir);
    assert_int_equal(ph_npy_read_2d(p, &v, &h, &w, why, sizeof why), -1);
    assert_non_null(strstr(why, "not a .npy"));
}

/* The first 16 rows of a 1-bit gray PNG whose header claims side x side pixels,
 * cut off after its first IDAT chunks: a small file with a huge, valid header.
 * The rows are noise, so that their deflated bytes fill whole IDAT chunks. */
static void write_png_claiming(const char *path, int side)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_true(png && info);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng could not write %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const size_t bytes = (size_t)side / 8 + 1;
    png_byte *row = malloc(bytes);
    uint32_t x = 1;
    for (int r = 0; r < 16; r++) {
        for (size_t i = 0; i < bytes; i++) x = x * 1664525u + 1013904223u, row[i] = (png_byte)(x >> 24);
        png_write_row(png, row);
    }
    png_write_flush(png);
    free(row);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

/* Damaged images are refused with a reason, and a header's size claim costs no
 * memory before the data back it: a JPEG cut short (libjpeg would decode grey in
 * place of the missing rows) and a PNG claiming 30000 x 30000 pixels in about 60 KB. */
static void test_image_read_damaged(void **state)
{
    (void)state;
    char p[512], q[512], why[256];
    ph_image img;
    snprintf(p, sizeof p, "%s/img/img06.jpg", dir);
    snprintf(q, sizeof q, "%s/cut.jpg", dir);
    FILE *in = fopen(p, "rb"), *out = fopen(q, "wb");
    assert_true(in && out);
    unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, in);
    assert_true(n > 200 && n < sizeof buf);
    fwrite(buf, 1, n * 9 / 10, out);
    fclose(in), fclose(out);
    assert_int_equal(ph_image_read(p, 3, &img, why, sizeof why), 0);
    ph_image_free(&img);
    assert_int_equal(ph_image_read(q, 3, &img, why, sizeof why), -1);
    assert_non_null(strstr(why, "corrupt JPEG"));
    assert_null(img.px);

    snprintf(q, sizeof q, "%s/claim.png", dir);
    write_png_claiming(q, 30000);
    assert_int_equal(ph_image_read(q, 1, &img, why, sizeof why), -1);
    assert_non_null(strstr(why, "claims 30000x30000 pixels"));
    assert_null(img.px);
}

/* The ClickMe blur's taps sum to 1 and follow the notes' two Gaussians; the blur of an
 * impulse is the flipped kernel (a correlation), zero-padded at the edges. */
static void test_clickme_blur(void **state)
{
    (void)state;
    float k[100], in[32 * 32] = {0}, out[32 * 32], ksum = 0;
    char why[256];
    ph_clickme_kernel(k);
    for (int i = 0; i < 100; i++) ksum += k[i];
    assert_true(fabsf(ksum - 1) < 1e-5f);
    /* Row offset d = r - 4 weighs exp(-d^2/200); column offset d = c - 4 weighs exp(-(d-1)^2/200). */
    assert_true(fabsf(k[4 * 10 + 5] / k[4 * 10 + 4] - expf(0.0f) / expf(-1.0f / 200)) < 1e-5f);
    assert_true(fabsf(k[5 * 10 + 5] / k[4 * 10 + 5] - expf(-1.0f / 200)) < 1e-5f);
    in[16 * 32 + 16] = 1;
    assert_int_equal(ph_clickme_blur(in, out, 1, 32, 32, why, sizeof why), 0);
    /* out[y][x] = sum k[r][c] in[y + r - 4][x + c - 4] = k[16 - y + 4][16 - x + 4]. */
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            int r = 16 - y + 4, c = 16 - x + 4;
            float want = r >= 0 && r < 10 && c >= 0 && c < 10 ? k[r * 10 + c] : 0;
            assert_true(fabsf(out[y * 32 + x] - want) < 1e-6f);
        }
    /* At the border the zero padding loses mass (no renormalisation). */
    for (int i = 0; i < 32 * 32; i++) in[i] = 1;
    assert_int_equal(ph_clickme_blur(in, out, 1, 32, 32, why, sizeof why), 0);
    assert_true(fabsf(out[16 * 32 + 16] - 1) < 1e-5f && out[0] < 0.5f);
}

int main(void)
{
    const char *build = getenv("PHASOR_BUILD");
    snprintf(exe, sizeof exe, "%s/bin/phasor-preprocess", build ? build : "build");
    if (exe[0] != '/') {
        char cwd[512];
        assert_non_null(getcwd(cwd, sizeof cwd));
        char rel[1024];
        snprintf(rel, sizeof rel, "%s", exe);
        snprintf(exe, sizeof exe, "%s/%s", cwd, rel);
    }
    if (getuid() == 0) setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1), setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    snprintf(mpirun_np2, sizeof mpirun_np2, "mpirun --oversubscribe --bind-to none -np 2");
    snprintf(dir, sizeof dir, "%s/phasor-import.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) return 1;
    fixtures_make();
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_read),
        cmocka_unit_test(test_image_read_damaged),
        cmocka_unit_test(test_clickme_blur),
        cmocka_unit_test(test_import_folder), cmocka_unit_test(test_import_ranks),
        cmocka_unit_test(test_import_seed),  cmocka_unit_test(test_import_bad_inputs),
    };
    int rc = cmocka_run_group_tests_name("import", tests, NULL, NULL);
    if (rc == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd)) rc = 1;
    } else {
        printf("# kept for inspection: %s\n", dir);
    }
    return rc;
}
