/* make_seeds.c: the fuzzers' seed corpora, small valid inputs written by
 * phasor's own writers (make fuzz runs it into build-fuzz/fuzz/seeds/).
 *
 *   make_seeds DIR   writes DIR/samples/ (sample files: a valid video and image
 *                    file, and valid HDF5 files that the reader must refuse),
 *                    DIR/checkpoint/ (a checkpoint of fuzz_checkpoint.c's model)
 *                    and DIR/image/ (PNG, JPEG and .npy files).
 * The config seeds are the .ini files of configs/, copied by scripts/fuzz.sh. */
#include "core/error.h"
#include "core/fsutil.h"
#include "io/h5samples.h"
#include "io/png.h"
#include "io/provenance.h"
#include "models/model.h"
#include "nn/checkpoint.h"

#include <mpi.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

static char dir[4096];

static const char *out(const char *sub, const char *name)
{
    static char path[8400];
    char d[4200];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    if (ph_mkdir_p(d)) PH_FAIL("creating a seed folder", strerror(errno), "check the path");
    snprintf(path, sizeof path, "%s/%s", d, name);
    return path;
}

/* A sample file of n samples, chunks of 2, deflated when deflate: /x of xdims per
 * sample (xtype), /y of ydims (ytype) whose last sample's label is `label`,
 * phasor_schema = schema (< 0: none). */
static void samples(const char *name, int deflate, int64_t n, ph_dtype xtype, int xnd, const hsize_t *xdims, ph_dtype ytype,
                    int ynd, const hsize_t *ydims, int label, int64_t schema)
{
    ph_field f[2] = {{.name = "x", .type = xtype, .ndims = xnd, .doc = "stimuli"},
                     {.name = "y", .type = ytype, .ndims = ynd, .doc = "labels"}};
    for (int d = 0; d < xnd; d++) f[0].dims[d] = xdims[d];
    for (int d = 0; d < ynd; d++) f[1].dims[d] = ydims[d];
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_SELF, out("samples", name), n, f, 2, 2, deflate);
    if (schema >= 0) ph_samples_attr_i64(&w, "phasor_schema", schema);
    ph_samples_attr_str(&w, "condition", "seed");
    ph_samples_attr_str(&w, "config", "[generate]\nchallenge = pathtracker\n");
    for (int k = 0; k < 2; k++) {
        size_t bytes = ph_field_sample_bytes(&f[k]) * (size_t)n;
        uint8_t *buf = calloc(bytes, 1);
        PH_CHECK_ALLOC(buf, "a seed sample file");
        for (size_t i = 0; k == 0 && i < bytes; i++) buf[i] = (uint8_t)(i * 37);
        if (k == 1)
            for (int64_t i = 0; i < n; i++) {
                int v = i == n - 1 ? label : (int)(i % 2);
                if (ytype == PH_F32) ((float *)buf)[i * (int64_t)(bytes / n / 4)] = (float)v;
                else if (ytype == PH_I32) ((int32_t *)buf)[i * (int64_t)(bytes / n / 4)] = v;
            }
        ph_samples_write(&w, k, 0, n, buf);
        free(buf);
    }
    ph_samples_close(&w);
}

static void sample_seeds(void)
{
    const hsize_t video[4] = {2, 4, 4, 1}, image[3] = {4, 4, 3}, pair[1] = {2};
    samples("video.h5", 0, 4, PH_U8, 4, video, PH_I32, 0, NULL, 1, 1);
    samples("deflate.h5", 1, 4, PH_U8, 3, image, PH_I32, 0, NULL, 0, 1);
    /* valid HDF5 that the reader refuses, each for one reason */
    samples("label_range.h5", 0, 4, PH_U8, 3, image, PH_I32, 0, NULL, 7, 1);
    samples("label_neg.h5", 0, 4, PH_U8, 3, image, PH_I32, 0, NULL, -1, 1);
    samples("y_float.h5", 0, 4, PH_U8, 3, image, PH_F32, 0, NULL, 1, 1);
    samples("y_pair.h5", 0, 4, PH_U8, 3, image, PH_I32, 1, pair, 1, 1);
    samples("x_int16.h5", 0, 4, PH_I16, 3, image, PH_I32, 0, NULL, 1, 1);
    samples("x_flat.h5", 0, 4, PH_U8, 1, pair, PH_I32, 0, NULL, 1, 1);
    samples("schema2.h5", 0, 4, PH_U8, 3, image, PH_I32, 0, NULL, 1, 2);
    samples("no_schema.h5", 0, 4, PH_U8, 3, image, PH_I32, 0, NULL, 1, -1);
}

/* The model of fuzz_checkpoint.c, saved as phasor-train saves one. */
static void checkpoint_seed(void)
{
    ph_model_geometry g = {1, 2, 4, 4, 1, 1, 7, MPI_COMM_SELF};
    ph_model *m = ph_model_create_text("cnn3d", "[cnn3d]\nwidth = 1\nstages = 1\nnorm = batch\n", &ph_backend_cpu,
                                       &g);
    ph_param *params[64];
    int np = m->def->params(m, params, 64);
    ph_checkpoint_meta meta = {.model = "cnn3d", .step = 3, .seed = 7, .batch = 4, .best_metric = 0.5,
                               .config = "[train]\nmodel = cnn3d\n\n[cnn3d]\nwidth = 1\nstages = 1\n",
                               .input = {g.t, g.h, g.w, g.c}};
    ph_checkpoint_save(out("checkpoint", "cnn3d.h5"), params, np, &meta);
    m->def->destroy(m);
}

static void jpeg_seed(const char *name, int c)
{
    enum { W = 8, H = 8 };
    uint8_t px[W * H * 3];
    for (int i = 0; i < W * H * c; i++) px[i] = (uint8_t)(i * 13);
    FILE *f = fopen(out("image", name), "wb");
    PH_CHECK_LIBC(f != NULL, "creating a JPEG seed", "check the folder");
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr err;
    j.err = jpeg_std_error(&err); /* an error exits: acceptable in a seed writer */
    jpeg_create_compress(&j);
    jpeg_stdio_dest(&j, f);
    j.image_width = W, j.image_height = H, j.input_components = c;
    j.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&j);
    jpeg_set_quality(&j, 90, TRUE);
    jpeg_start_compress(&j, TRUE);
    while (j.next_scanline < j.image_height) {
        JSAMPROW row = px + (size_t)j.next_scanline * W * c;
        jpeg_write_scanlines(&j, &row, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    PH_CHECK_LIBC(fclose(f) == 0, "writing a JPEG seed", "check free space");
}

/* A .npy file: version 1 (2: a 4-byte header length), dtype descr, shape text,
 * count values of `bytes` each taken from a ramp. */
static void npy_seed(const char *name, int version, const char *descr, const char *shape, int count, int bytes)
{
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    int pre = version == 1 ? 10 : 12;
    while ((pre + hl + 1) % 64) hdr[hl++] = ' '; /* aligned, as numpy writes it */
    hdr[hl++] = '\n';
    FILE *f = fopen(out("image", name), "wb");
    PH_CHECK_LIBC(f != NULL, "creating a .npy seed", "check the folder");
    uint8_t p[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)version, 0, (uint8_t)hl, (uint8_t)(hl >> 8), 0, 0};
    int bad = fwrite(p, 1, (size_t)pre, f) != (size_t)pre || fwrite(hdr, 1, (size_t)hl, f) != (size_t)hl;
    for (int i = 0; i < count; i++) {
        uint8_t v[8] = {0};
        if (bytes == 1) v[0] = (uint8_t)i;
        else if (bytes == 4) { float x = 0.25f * (float)i; memcpy(v, &x, 4); }
        else { double x = 0.5 * i; memcpy(v, &x, 8); }
        bad |= fwrite(v, 1, (size_t)bytes, f) != (size_t)bytes;
    }
    bad |= fclose(f) != 0;
    PH_CHECK_LIBC(!bad, "writing a .npy seed", "check free space");
}

static void image_seeds(void)
{
    uint8_t px[8 * 8 * 4];
    for (int i = 0; i < (int)sizeof px; i++) px[i] = (uint8_t)(i * 7);
    ph_png_write_gray(out("image", "gray.png"), 8, 8, px);
    ph_png_write_rgb(out("image", "rgb.png"), 8, 6, px);
    ph_png_write_rgba(out("image", "rgba.png"), 4, 8, px);
    jpeg_seed("gray.jpg", 1);
    jpeg_seed("rgb.jpg", 3);
    npy_seed("map_f4.npy", 1, "<f4", "(4, 4)", 16, 4);
    npy_seed("map_u1.npy", 1, "|u1", "(3, 5)", 15, 1);
    npy_seed("rec_f8.npy", 2, "<f8", "(2, 3, 2)", 12, 8);
    npy_seed("vec_f4.npy", 3, "<f4", "(6,)", 6, 4);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    ph_error_init("fuzz-seeds");
    snprintf(dir, sizeof dir, "%s", argv[1]);
    sample_seeds();
    checkpoint_seed();
    image_seeds();
    MPI_Finalize();
    return 0;
}
