/* phasor-analyze summary: per sample file N, T, label balance, size,
 * compression and target motion, and a contact sheet (videos: frames of the
 * first file's samples; images: a row of samples per file).
 *
 * Every rank reads its contiguous range of samples collectively.  Counts are
 * summed with MPI_Allreduce; floating-point sums are formed per fixed block of
 * BLOCK samples (each block read by one rank, in sample order) and the block
 * sums are added in block order, so every number is the same for any rank count.
 * Rank 0 writes the outputs, each atomically (NAME.partial -> NAME). */
#include "summary.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "io/h5samples.h"
#include "io/png.h"
#include "studies/report_util.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FRAMES_DEFAULT = 8, FRAMES_MAX = 64, SAMPLES_DEFAULT = 2, SAMPLES_MAX = 16, SHEET_ROWS_MAX = 64 };

typedef struct {
    char **inputs;
    int ninputs;
    const char *out_dir;
    int frames;
    int samples; /* image files: samples per class and file on the contact sheet */
    int force, quiet;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze summary SAMPLES.h5 [more.h5 ...] --out DIR [options]\n"
            "\n"
            "Per sample file: N, T, label balance, size, compression and target motion; a\n"
            "contact sheet (videos: frames of the first file's samples; images: a row of\n"
            "samples per file).  Runs from any number of MPI ranks (mpirun -np P\n"
            "phasor-analyze summary ...); every rank reads its share of the samples and the\n"
            "results do not depend on P.\n"
            "\n"
            "options:\n"
            "  --out DIR     output folder (created if missing; required)\n"
            "  --samples K   image files [N,H,W,C]: the first K positives and K negatives of\n"
            "                each file, one row per file, on the contact sheet (default %d, 1..%d)\n"
            "  --frames K    frames per row of the contact sheet, evenly spaced from the\n"
            "                first to the last frame (default %d, 1..%d)\n"
            "  --force       replace existing outputs (atomically, on success)\n"
            "  --quiet       no progress lines and no final line\n"
            "  --help        this text\n"
            "\n"
            "writes: DIR/summary.md, DIR/summary.json, DIR/contact_sheet.png; each appears as\n"
            "NAME.partial and is renamed to NAME only when complete.\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure (unreadable input, I/O).\n",
            SAMPLES_DEFAULT, SAMPLES_MAX, FRAMES_DEFAULT, FRAMES_MAX);
}

/* The value of --OPTION, an integer in 1..max. */
static int parse_count(const char *option, const char *s, int max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max)
        ph_usage_error("--%s must be an integer in 1..%d, got '%s'", option, max, s);
    return (int)v;
}

/* DIR without trailing slashes, so output paths read DIR/NAME. */
static const char *out_dir_clean(const char *dir)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (size_t n = strlen(buf); n > 1 && buf[n - 1] == '/'; n--) buf[n - 1] = 0;
    return buf;
}

static void options_parse(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"out", required_argument, 0, 'o'}, {"frames", required_argument, 0, 'k'},
        {"samples", required_argument, 0, 's'},
        {"force", no_argument, 0, 'f'},     {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->frames = FRAMES_DEFAULT;
    o->samples = SAMPLES_DEFAULT;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":", longs, NULL)) != -1;) {
        switch (c) {
        case 'o': o->out_dir = out_dir_clean(optarg); break;
        case 'k': o->frames = parse_count("frames", optarg, FRAMES_MAX); break;
        case 's': o->samples = parse_count("samples", optarg, SAMPLES_MAX); break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':':
            ph_usage_error("option '%s' needs a value (see phasor-analyze summary --help)", argv[optind - 1]);
        default:
            ph_usage_error("unknown option '%s' (see phasor-analyze summary --help)", argv[optind - 1]);
        }
    }
    o->inputs = argv + optind;
    o->ninputs = argc - optind;
    if (o->ninputs == 0)
        ph_usage_error("summary: no sample file given (phasor-analyze summary SAMPLES.h5 ... --out DIR)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("summary: missing --out DIR (the folder for the outputs)");
}

/* ---- text building -------------------------------------------------------- */

/* Text for a markdown table cell: '|' escaped, line breaks as spaces, "-" if empty. */
static void sb_md_cell(ph_strbuf *b, const char *s)
{
    if (!s || !*s) {
        ph_sb_printf(b, "-");
        return;
    }
    for (const char *p = s; *p; p++) {
        if (*p == '|')
            ph_sb_printf(b, "\\|");
        else if (*p == '\n' || *p == '\r')
            ph_sb_printf(b, " ");
        else
            ph_sb_printf(b, "%c", *p);
    }
}

static void human_bytes(long long v, char *buf, size_t n)
{
    if (v < 0)
        snprintf(buf, n, "?");
    else if (v < 1000)
        snprintf(buf, n, "%lld B", v);
    else if (v < 1000000)
        snprintf(buf, n, "%.1f kB", v / 1e3);
    else if (v < 1000000000)
        snprintf(buf, n, "%.1f MB", v / 1e6);
    else
        snprintf(buf, n, "%.2f GB", v / 1e9);
}

/* ---- reading one sample file ------------------------------------------------ */

enum { BLOCK = 1024 };  /* samples per read and per floating-point partial sum */
enum { MAX_DSETS = 64 };

typedef struct {
    char path[4096];
    char *challenge, *split, *condition; /* root attributes, NULL if absent */
    char y_doc[512];                     /* the "doc" attribute of /y, "" if none */
    int64_t n, t;
    int images; /* /x is [N,H,W,C] */
    long long positives, negatives, others;
    long long file_bytes, logical_bytes;
    int has_step;
    double step; /* mean per-frame Euclidean displacement of /meta/target, pixels */
    int64_t first[2][SAMPLES_MAX]; /* first positive [0] and negative [1] indices, -1 past the last */
} file_summary;

typedef struct {
    char names[MAX_DSETS][64];
    int count;
} dset_list;

static herr_t collect_dataset(hid_t loc, const char *name, const H5L_info_t *info, void *data)
{
    dset_list *l = data;
    if (info->type != H5L_TYPE_HARD) return 0;
    hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
    if (obj < 0) return -1;
    int is_dset = H5Iget_type(obj) == H5I_DATASET;
    H5Oclose(obj);
    if (is_dset) {
        if (l->count == MAX_DSETS || strlen(name) >= sizeof l->names[0]) return -1;
        snprintf(l->names[l->count++], sizeof l->names[0], "%s", name);
    }
    return 0;
}

/* Uncompressed size: sum over every dataset of N x its per-sample bytes. */
static long long logical_bytes(ph_samples_reader *r)
{
    dset_list l = {.count = 0};
    char what[4200];
    snprintf(what, sizeof what, "listing the datasets of %s", r->path);
    PH_CHECK_H5(H5Lvisit(r->file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &l), what,
                "the file may be damaged, or has more than 64 datasets");
    long long total = 0;
    for (int i = 0; i < l.count; i++) {
        ph_field f;
        ph_samples_field(r, l.names[i], &f);
        total += (long long)ph_field_sample_bytes(&f) * r->n;
    }
    return total;
}

/* The "doc" string attribute of a dataset ("" if absent or not a plain string). */
static void dataset_doc(ph_samples_reader *r, const char *name, char *buf, size_t n)
{
    buf[0] = 0;
    if (H5Aexists_by_name(r->file, name, "doc", H5P_DEFAULT) <= 0) return;
    hid_t a = H5Aopen_by_name(r->file, name, "doc", H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return;
    hid_t t = H5Aget_type(a);
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
        size_t sz = H5Tget_size(t);
        char *s = calloc(sz + 1, 1);
        PH_CHECK_ALLOC(s, "reading a dataset doc attribute");
        if (H5Aread(a, t, s) >= 0) snprintf(buf, n, "%s", s);
        free(s);
    }
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
}

/* Mean Euclidean step between consecutive frames of one track [T][2]. */
static double track_mean_step(const float *track, int64_t T)
{
    double sum = 0;
    for (int64_t t = 1; t < T; t++) {
        double dr = (double)track[2 * t] - track[2 * (t - 1)];
        double dc = (double)track[2 * t + 1] - track[2 * (t - 1) + 1];
        sum += sqrt(dr * dr + dc * dc);
    }
    return sum / (double)(T - 1);
}

/* Collective: every rank calls it for every file, in the same order. */
static void summarize_file(const char *path, file_summary *s, int quiet)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    char what[4200];
    snprintf(what, sizeof what, "summarizing %s", path);

    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, path);
    const int64_t n = r.n;
    s->n = n;
    s->challenge = ph_samples_attr(&r, "challenge");
    s->split = ph_samples_attr(&r, "split");
    s->condition = ph_samples_attr(&r, "condition");
    dataset_doc(&r, "y", s->y_doc, sizeof s->y_doc);

    ph_field x, y;
    ph_samples_field(&r, "x", &x);
    if (x.ndims != 3 && x.ndims != 4)
        PH_FAIL(what, "/x is neither images [N,H,W,C] nor videos [N,T,H,W,C]",
                "give a phasor sample file (docs/schema.md)");
    s->t = x.ndims == 4 ? (int64_t)x.dims[0] : 1;
    s->images = x.ndims == 3;
    ph_samples_field(&r, "y", &y);
    if (y.ndims != 0) PH_FAIL(what, "/y is not one label per sample", "give a phasor sample file");
    s->logical_bytes = logical_bytes(&r);

    /* Target track [N,T,2], read as float (exact for int16 pixel coordinates). */
    int64_t tt = 0;
    if (ph_samples_has(&r, "meta/target")) {
        ph_field tf;
        ph_samples_field(&r, "meta/target", &tf);
        if (tf.ndims != 2 || tf.dims[1] != 2)
            PH_FAIL(what, "/meta/target is not one (row, col) per frame [N,T,2]",
                    "give a phasor sample file (docs/schema.md)");
        tt = (int64_t)tf.dims[0];
    }
    s->has_step = tt >= 2 && n > 0;

    int rank = ph_rank(), size = ph_size();
    int64_t start, count;
    ph_rank_range(n, BLOCK, rank, size, &start, &count);
    long long my_rounds = (count + BLOCK - 1) / BLOCK, rounds = 0;
    PH_CHECK_MPI(MPI_Allreduce(&my_rounds, &rounds, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                 "agreeing on the number of read rounds", "another rank failed; see its message");

    int32_t *labels = malloc(BLOCK * sizeof *labels);
    PH_CHECK_ALLOC(labels, "allocating a label block");
    float *tracks = NULL;
    double *block_sum = NULL;
    int64_t nblocks = (n + BLOCK - 1) / BLOCK;
    if (s->has_step) {
        if (nblocks > INT_MAX) PH_FAIL(what, "too many samples", "split the file");
        tracks = malloc((size_t)BLOCK * (size_t)tt * 2 * sizeof *tracks);
        block_sum = calloc((size_t)nblocks, sizeof *block_sum);
        PH_CHECK_ALLOC(tracks && block_sum, "allocating a track block");
    }

    long long counts[3] = {0, 0, 0}; /* positives (y = 1), negatives (y = 0), other labels */
    int64_t mine[2][SAMPLES_MAX]; /* this rank's first indices per class, ascending */
    int nmine[2] = {0, 0};
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < SAMPLES_MAX; j++) mine[c][j] = -1;
    const char *base = strrchr(path, '/');
    char label[96];
    snprintf(label, sizeof label, "summary %s", base ? base + 1 : path);
    ph_progress prog;
    ph_progress_init(&prog, label, "samples", n, !quiet && rank == 0);
    for (long long k = 0; k < rounds; k++) {
        int64_t s0 = start + k * BLOCK;
        int64_t m = count - k * BLOCK;
        m = m < 0 ? 0 : (m > BLOCK ? BLOCK : m);
        ph_samples_read(&r, "y", PH_I32, s0, m, labels);
        for (int64_t i = 0; i < m; i++) {
            int cls = labels[i] == 1 ? 0 : labels[i] == 0 ? 1 : 2;
            counts[cls]++;
            if (cls < 2 && nmine[cls] < SAMPLES_MAX) mine[cls][nmine[cls]++] = s0 + i;
        }
        if (s->has_step) {
            ph_samples_read(&r, "meta/target", PH_F32, s0, m, tracks);
            double sum = 0;
            for (int64_t i = 0; i < m; i++)
                sum += track_mean_step(tracks + (size_t)(i * tt * 2), tt);
            if (m > 0) block_sum[s0 / BLOCK] = sum; /* ranges are whole blocks: one writer each */
        }
        int64_t mine = s0 + m - start;
        ph_progress_update(&prog, count ? mine * n / count : n);
    }
    ph_progress_finish(&prog);

    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, counts, 3, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD),
                 "summing label counts", "another rank failed; see its message");
    /* The first indices over all ranks: each rank's are ascending, and rank
     * ranges ascend with the rank, so rank order is sample order. */
    int64_t *all = malloc((size_t)size * sizeof mine);
    PH_CHECK_ALLOC(all, "gathering the first positives and negatives");
    PH_CHECK_MPI(MPI_Allgather(mine, 2 * SAMPLES_MAX, MPI_INT64_T, all, 2 * SAMPLES_MAX, MPI_INT64_T,
                               MPI_COMM_WORLD),
                 "finding the first positives and negatives", "another rank failed; see its message");
    for (int c = 0; c < 2; c++) {
        int n_c = 0;
        for (int q = 0; q < size; q++)
            for (int j = 0; j < SAMPLES_MAX; j++) {
                int64_t v = all[((size_t)q * 2 + c) * SAMPLES_MAX + j];
                if (v >= 0 && n_c < SAMPLES_MAX) s->first[c][n_c++] = v;
            }
        for (; n_c < SAMPLES_MAX; n_c++) s->first[c][n_c] = -1;
    }
    free(all);
    if (s->has_step) {
        /* Each entry has one non-zero contributor, so the sum is exact for any rank count. */
        PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, block_sum, (int)nblocks, MPI_DOUBLE, MPI_SUM,
                                   MPI_COMM_WORLD),
                     "summing target steps", "another rank failed; see its message");
        double total = 0;
        for (int64_t b = 0; b < nblocks; b++) total += block_sum[b];
        s->step = total / (double)n;
    }
    s->positives = counts[0], s->negatives = counts[1], s->others = counts[2];
    free(labels);
    free(tracks);
    free(block_sum);
    ph_samples_reader_close(&r);

    s->file_bytes = -1;
    if (rank == 0) {
        struct stat sb;
        PH_CHECK_LIBC(stat(path, &sb) == 0, what, "the file vanished while being read");
        s->file_bytes = (long long)sb.st_size;
    }
}

static void file_summary_free(file_summary *s)
{
    free(s->challenge);
    free(s->split);
    free(s->condition);
}

/* ---- contact sheet ------------------------------------------------------------ */

enum { SCALE = 4, GUTTER = 2, BAND = 6 };
static const uint8_t GREY[3] = {128, 128, 128}, EMPTY[3] = {40, 40, 40};
static const uint8_t BAND_RGB[2][3] = {{0, 230, 0} /* positive */, {255, 0, 255} /* negative */};

typedef struct {
    const char *path;
    int64_t sample[2]; /* positive, negative; -1 if the file has none */
    int64_t t;
    int nframes;
    int64_t frame[FRAMES_MAX];
    int images;        /* image files: one row per file, `samples` per class */
    int rows, samples, scale;
} sheet_info;

/* K frame indices evenly spaced over [0, T-1], first and last included. */
static int pick_frames(int64_t T, int k, int64_t *out)
{
    if (k > T) k = (int)T;
    for (int i = 0; i < k; i++) out[i] = k == 1 ? T - 1 : (int64_t)i * (T - 1) / (k - 1);
    return k;
}

static void fill(uint8_t *img, int width, int x0, int y0, int w, int h, const uint8_t rgb[3])
{
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) memcpy(img + ((size_t)y * width + x) * 3, rgb, 3);
}

/* One H x W x C frame at (x0, y0), every pixel a scale x scale block, grey levels when C < 3. */
static void draw_frame(uint8_t *img, int width, int x0, int y0, const uint8_t *frame, int64_t H,
                       int64_t W, int64_t C, int scale)
{
    for (int py = 0; py < H * scale; py++)
        for (int px = 0; px < W * scale; px++) {
            const uint8_t *p = frame + ((size_t)(py / scale) * W + px / scale) * C;
            uint8_t *q = img + ((size_t)(y0 + py) * width + x0 + px) * 3;
            if (C >= 3)
                q[0] = p[0], q[1] = p[1], q[2] = p[2];
            else
                q[0] = q[1] = q[2] = p[0];
        }
}

/* Collective: reads the two samples of the first file (rank 0 only gets data);
 * rank 0 draws the sheet and writes it. */
static void contact_sheet(const file_summary *s, int frames, const char *png_path, sheet_info *info)
{
    char what[4200];
    snprintf(what, sizeof what, "drawing the contact sheet of %s", s->path);
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, s->path);
    ph_field x;
    ph_samples_field(&r, "x", &x);
    const int nd = x.ndims;
    const int64_t T = s->t, H = (int64_t)x.dims[nd - 3], W = (int64_t)x.dims[nd - 2],
                  C = (int64_t)x.dims[nd - 1];
    if (H < 1 || W < 1 || C < 1 || H * SCALE > 4096 || W * SCALE > 4096)
        PH_FAIL(what, "frames are empty or larger than 1024 pixels", "use smaller frames");

    info->path = s->path;
    info->sample[0] = s->first[0][0], info->sample[1] = s->first[1][0];
    info->t = T;
    info->nframes = pick_frames(T, frames, info->frame);

    const int fw = (int)W * SCALE, fh = (int)H * SCALE, k = info->nframes;
    const int width = GUTTER + BAND + GUTTER + k * (fw + GUTTER);
    const int height = GUTTER + 2 * (fh + GUTTER);
    size_t sample_bytes = ph_field_sample_bytes(&x);
    uint8_t *video = NULL, *img = NULL;
    if (ph_rank() == 0) {
        video = malloc(sample_bytes);
        img = malloc((size_t)width * height * 3);
        PH_CHECK_ALLOC(video && img, "allocating the contact sheet");
        fill(img, width, 0, 0, width, height, GREY);
    }
    for (int row = 0; row < 2; row++) {
        const int y0 = GUTTER + row * (fh + GUTTER);
        int64_t idx = info->sample[row];
        /* Collective read of one sample: rank 0 takes it, the others select nothing. */
        if (idx >= 0) ph_samples_read(&r, "x", PH_U8, idx, ph_rank() == 0 ? 1 : 0, video);
        if (ph_rank() != 0) continue;
        fill(img, width, GUTTER, y0, BAND, fh, BAND_RGB[row]);
        for (int f = 0; f < k; f++) {
            const int x0 = GUTTER + BAND + GUTTER + f * (fw + GUTTER);
            if (idx < 0) {
                fill(img, width, x0, y0, fw, fh, EMPTY);
                continue;
            }
            draw_frame(img, width, x0, y0, video + (size_t)(info->frame[f] * H * W * C), H, W, C, SCALE);
        }
    }
    ph_samples_reader_close(&r);
    if (ph_rank() == 0) ph_png_write_rgb(png_path, width, height, img);
    free(video);
    free(img);
}

/* Collective, for image files [N,H,W,C] of one size: one row per file (the
 * first SHEET_ROWS_MAX), a green band and the file's first k positives, then
 * a magenta band and its first k negatives.  Small images are enlarged to
 * about 128 pixels.  Rank 0 draws the sheet and writes it. */
static void contact_sheet_images(const file_summary *fs, int nfiles, int k, const char *png_path,
                                 sheet_info *info)
{
    const int rows = nfiles < SHEET_ROWS_MAX ? nfiles : SHEET_ROWS_MAX;
    int64_t H = 0, W = 0, C = 0;
    for (int f = 0; f < rows; f++) {
        char what[4200];
        snprintf(what, sizeof what, "drawing the contact sheet of %s", fs[f].path);
        ph_samples_reader r;
        ph_samples_open(&r, MPI_COMM_WORLD, fs[f].path);
        ph_field x;
        ph_samples_field(&r, "x", &x);
        ph_samples_reader_close(&r);
        if (f == 0) H = (int64_t)x.dims[0], W = (int64_t)x.dims[1], C = (int64_t)x.dims[2];
        if (!fs[f].images || (int64_t)x.dims[0] != H || (int64_t)x.dims[1] != W || (int64_t)x.dims[2] != C)
            PH_FAIL_ALL(MPI_COMM_WORLD, what, "its /x is not images of the first file's size",
                        "give image files [N,H,W,C] of one size (or only video files)");
        if (H < 1 || W < 1 || C < 1 || H > 1024 || W > 1024)
            PH_FAIL_ALL(MPI_COMM_WORLD, what, "images are empty or larger than 1024 pixels",
                        "use smaller images");
    }
    const int scale = H >= 128 || W >= 128 ? 1 : (int)(128 / (H > W ? H : W));
    const int fw = (int)W * scale, fh = (int)H * scale;
    const int half = BAND + GUTTER + k * (fw + GUTTER);
    const int width = GUTTER + 2 * half + GUTTER, height = GUTTER + rows * (fh + GUTTER);
    *info = (sheet_info){.path = fs[0].path, .t = 1, .images = 1, .rows = rows, .samples = k,
                         .scale = scale};
    uint8_t *image = NULL, *img = NULL;
    if (ph_rank() == 0) {
        image = malloc((size_t)(H * W * C));
        img = malloc((size_t)width * height * 3);
        PH_CHECK_ALLOC(image && img, "allocating the contact sheet");
        fill(img, width, 0, 0, width, height, GREY);
    }
    for (int f = 0; f < rows; f++) {
        ph_samples_reader r;
        ph_samples_open(&r, MPI_COMM_WORLD, fs[f].path);
        const int y0 = GUTTER + f * (fh + GUTTER);
        for (int cls = 0; cls < 2; cls++) {
            const int xb = GUTTER + cls * (half + GUTTER);
            if (ph_rank() == 0) fill(img, width, xb, y0, BAND, fh, BAND_RGB[cls]);
            for (int j = 0; j < k; j++) {
                const int x0 = xb + BAND + GUTTER + j * (fw + GUTTER);
                int64_t idx = fs[f].first[cls][j];
                /* Collective read of one sample: rank 0 takes it, the others select nothing. */
                if (idx >= 0) ph_samples_read(&r, "x", PH_U8, idx, ph_rank() == 0 ? 1 : 0, image);
                if (ph_rank() != 0) continue;
                if (idx < 0)
                    fill(img, width, x0, y0, fw, fh, EMPTY);
                else
                    draw_frame(img, width, x0, y0, image, H, W, C, scale);
            }
        }
        ph_samples_reader_close(&r);
    }
    if (ph_rank() == 0) ph_png_write_rgb(png_path, width, height, img);
    free(image);
    free(img);
}

/* ---- reports ------------------------------------------------------------------ */

/* "i, j, ..." of the first k indices (-1 ends the list); "none" if there are none. */
static void sb_indices(ph_strbuf *b, const int64_t *idx, int k)
{
    int n = 0;
    for (; n < k && idx[n] >= 0; n++) ph_sb_printf(b, "%s%lld", n ? ", " : "", (long long)idx[n]);
    if (n == 0) ph_sb_printf(b, "none");
}

static void md_images_sheet(ph_strbuf *b, const file_summary *fs, const sheet_info *sh)
{
    ph_sb_printf(b, "## Contact sheet\n\n"
                 "`contact_sheet.png` has one row per file, in the order given%s. Each row "
                 "shows, after a green band, the file's first %d positive samples, then, after a "
                 "magenta band, its first %d negative samples, left to right (a dark cell: the "
                 "file has fewer). Every pixel is drawn as a %dx%d block; grey lines separate the "
                 "images. Rows (sample indices counting from 0):\n\n",
                 sh->rows < SHEET_ROWS_MAX ? "" : " (the first 64)", sh->samples, sh->samples,
                 sh->scale, sh->scale);
    for (int f = 0; f < sh->rows; f++) {
        ph_sb_printf(b, "%d. `", f + 1);
        sb_md_cell(b, fs[f].path);
        ph_sb_printf(b, "`: positives ");
        sb_indices(b, fs[f].first[0], sh->samples);
        ph_sb_printf(b, "; negatives ");
        sb_indices(b, fs[f].first[1], sh->samples);
        ph_sb_printf(b, "\n");
    }
    if (fs[0].y_doc[0]) ph_sb_printf(b, "\nThe first file documents its label as: \"%s\".\n", fs[0].y_doc);
}

static void write_markdown(const char *path, const file_summary *fs, int nfiles,
                           const sheet_info *sh)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "# Sample file summary\n\n"
                  "Written by `phasor-analyze summary` (phasor %s, git %s) from %d sample "
                  "file%s.\n\n",
              PHASOR_VERSION, PHASOR_GIT_COMMIT, nfiles, nfiles == 1 ? "" : "s");
    ph_sb_printf(&b, "| file | challenge | split | condition | N | T | positives | negatives | "
                  "positive share | size on disk | logical size | compression | "
                  "target step (px/frame) |\n"
                  "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    int any_other = 0;
    for (int i = 0; i < nfiles; i++) {
        const file_summary *s = &fs[i];
        char disk[32], logical[32];
        human_bytes(s->file_bytes, disk, sizeof disk);
        human_bytes(s->logical_bytes, logical, sizeof logical);
        ph_sb_printf(&b, "| ");
        sb_md_cell(&b, s->path);
        ph_sb_printf(&b, " | ");
        sb_md_cell(&b, s->challenge);
        ph_sb_printf(&b, " | ");
        sb_md_cell(&b, s->split);
        ph_sb_printf(&b, " | ");
        sb_md_cell(&b, s->condition);
        ph_sb_printf(&b, " | %lld | %lld | %lld | %lld | ", (long long)s->n, (long long)s->t,
                  s->positives, s->negatives);
        if (s->n > 0)
            ph_sb_printf(&b, "%.1f%%", 100.0 * (double)s->positives / (double)s->n);
        else
            ph_sb_printf(&b, "-");
        ph_sb_printf(&b, " | %s | %s | ", disk, logical);
        if (s->file_bytes > 0)
            ph_sb_printf(&b, "%.1fx", (double)s->logical_bytes / (double)s->file_bytes);
        else
            ph_sb_printf(&b, "-");
        if (s->has_step)
            ph_sb_printf(&b, " | %.3f |\n", s->step);
        else
            ph_sb_printf(&b, " | - |\n");
        any_other |= s->others > 0;
    }
    ph_sb_printf(&b, "\nN is the number of samples and T the number of frames per sample. Positives "
                  "have label /y = 1, negatives /y = 0");
    if (any_other) ph_sb_printf(&b, " (some samples have other labels; see summary.json)");
    ph_sb_printf(&b, ". Size on disk is the HDF5 file; logical size is N times the bytes of one "
                  "sample summed over every dataset, and compression is their ratio. Target step "
                  "is the Euclidean distance, in pixels, that /meta/target moves from one frame "
                  "to the next, averaged over frames and samples (- where the file has no "
                  "/meta/target).\n\n");

    if (sh->images) {
        md_images_sheet(&b, fs, sh);
        ph_write_file_atomic(path, b.s, b.len);
        free(b.s);
        return;
    }
    ph_sb_printf(&b, "## Contact sheet\n\n"
                  "`contact_sheet.png` shows two samples of `%s`: the top row, marked by a green "
                  "band at its left, is the first positive sample",
              sh->path);
    if (sh->sample[0] >= 0)
        ph_sb_printf(&b, " (index %lld)", (long long)sh->sample[0]);
    else
        ph_sb_printf(&b, " (the file has none: the row is empty)");
    ph_sb_printf(&b, "; the bottom row, marked by a magenta band, is the first negative sample");
    if (sh->sample[1] >= 0)
        ph_sb_printf(&b, " (index %lld)", (long long)sh->sample[1]);
    else
        ph_sb_printf(&b, " (the file has none: the row is empty)");
    ph_sb_printf(&b, ". Each row shows %d of the %lld frames, evenly spaced from the first to the "
                  "last, left to right: frames",
              sh->nframes, (long long)sh->t);
    for (int f = 0; f < sh->nframes; f++)
        ph_sb_printf(&b, "%s%lld", f ? ", " : " ", (long long)sh->frame[f]);
    ph_sb_printf(&b, " (counting from 0). Every pixel is drawn as a %dx%d block; grey lines separate "
                  "the frames.", SCALE, SCALE);
    if (fs[0].y_doc[0]) ph_sb_printf(&b, " The file documents its label as: \"%s\".", fs[0].y_doc);
    ph_sb_printf(&b, "\n");
    ph_write_file_atomic(path, b.s, b.len);
    free(b.s);
}

static void write_json(const char *path, const file_summary *fs, int nfiles, const sheet_info *sh)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "{\n  \"analysis\": \"summary\",\n  \"software_version\": ");
    ph_sb_json_str(&b, PHASOR_VERSION);
    ph_sb_printf(&b, ",\n  \"git_commit\": ");
    ph_sb_json_str(&b, PHASOR_GIT_COMMIT);
    ph_sb_printf(&b, ",\n  \"files\": [");
    for (int i = 0; i < nfiles; i++) {
        const file_summary *s = &fs[i];
        ph_sb_printf(&b, "%s\n    {\n      \"path\": ", i ? "," : "");
        ph_sb_json_str(&b, s->path);
        ph_sb_printf(&b, ",\n      \"challenge\": ");
        ph_sb_json_str(&b, s->challenge);
        ph_sb_printf(&b, ",\n      \"split\": ");
        ph_sb_json_str(&b, s->split);
        ph_sb_printf(&b, ",\n      \"condition\": ");
        ph_sb_json_str(&b, s->condition);
        ph_sb_printf(&b, ",\n      \"n\": %lld,\n      \"t\": %lld,\n      \"positives\": %lld,\n"
                      "      \"negatives\": %lld,\n      \"other_labels\": %lld,\n"
                      "      \"positive_share\": ",
                  (long long)s->n, (long long)s->t, s->positives, s->negatives, s->others);
        if (s->n > 0)
            ph_sb_printf(&b, "%.17g", (double)s->positives / (double)s->n);
        else
            ph_sb_printf(&b, "null");
        ph_sb_printf(&b, ",\n      \"file_bytes\": %lld,\n      \"logical_bytes\": %lld,\n"
                      "      \"compression_ratio\": ",
                  s->file_bytes, s->logical_bytes);
        if (s->file_bytes > 0)
            ph_sb_printf(&b, "%.17g", (double)s->logical_bytes / (double)s->file_bytes);
        else
            ph_sb_printf(&b, "null");
        ph_sb_printf(&b, ",\n      \"target_step_mean\": ");
        if (s->has_step)
            ph_sb_printf(&b, "%.17g", s->step);
        else
            ph_sb_printf(&b, "null");
        ph_sb_printf(&b, "\n    }");
    }
    if (sh->images) {
        /* One row per file: its first positives and negatives. */
        ph_sb_printf(&b, "\n  ],\n  \"contact_sheet\": {\n    \"png\": \"contact_sheet.png\",\n"
                         "    \"samples_per_class\": %d,\n    \"scale\": %d,\n    \"rows\": [",
                     sh->samples, sh->scale);
        for (int f = 0; f < sh->rows; f++) {
            ph_sb_printf(&b, "%s\n      {\"file\": ", f ? "," : "");
            ph_sb_json_str(&b, fs[f].path);
            for (int c = 0; c < 2; c++) {
                ph_sb_printf(&b, ", \"%s\": [", c ? "negative" : "positive");
                for (int j = 0; j < sh->samples && fs[f].first[c][j] >= 0; j++)
                    ph_sb_printf(&b, "%s%lld", j ? ", " : "", (long long)fs[f].first[c][j]);
                ph_sb_printf(&b, "]");
            }
            ph_sb_printf(&b, "}");
        }
        ph_sb_printf(&b, "\n    ]\n  }\n}\n");
        ph_write_file_atomic(path, b.s, b.len);
        free(b.s);
        return;
    }
    ph_sb_printf(&b, "\n  ],\n  \"contact_sheet\": {\n    \"png\": \"contact_sheet.png\",\n"
                  "    \"file\": ");
    ph_sb_json_str(&b, sh->path);
    ph_sb_printf(&b, ",\n    \"positive_sample\": ");
    if (sh->sample[0] >= 0)
        ph_sb_printf(&b, "%lld", (long long)sh->sample[0]);
    else
        ph_sb_printf(&b, "null");
    ph_sb_printf(&b, ",\n    \"negative_sample\": ");
    if (sh->sample[1] >= 0)
        ph_sb_printf(&b, "%lld", (long long)sh->sample[1]);
    else
        ph_sb_printf(&b, "null");
    ph_sb_printf(&b, ",\n    \"frames\": [");
    for (int f = 0; f < sh->nframes; f++)
        ph_sb_printf(&b, "%s%lld", f ? ", " : "", (long long)sh->frame[f]);
    ph_sb_printf(&b, "],\n    \"scale\": %d\n  }\n}\n", SCALE);
    ph_write_file_atomic(path, b.s, b.len);
    free(b.s);
}

static void run_summary(const options *o)
{
    file_summary *fs = calloc((size_t)o->ninputs, sizeof *fs);
    PH_CHECK_ALLOC(fs, "allocating file summaries");
    for (int i = 0; i < o->ninputs; i++) summarize_file(o->inputs[i], &fs[i], o->quiet);

    char md[4200], json[4200], png[4200];
    snprintf(md, sizeof md, "%s/summary.md", o->out_dir);
    snprintf(json, sizeof json, "%s/summary.json", o->out_dir);
    snprintf(png, sizeof png, "%s/contact_sheet.png", o->out_dir);
    sheet_info sh = {0};
    if (fs[0].images)
        contact_sheet_images(fs, o->ninputs, o->samples, png, &sh);
    else
        contact_sheet(&fs[0], o->frames, png, &sh);
    if (ph_rank() == 0) {
        write_json(json, fs, o->ninputs, &sh);
        write_markdown(md, fs, o->ninputs, &sh);
        if (!o->quiet) fprintf(stderr, "phasor-analyze: wrote %s, %s, %s\n", md, json, png);
    }
    for (int i = 0; i < o->ninputs; i++) file_summary_free(&fs[i]);
    free(fs);
}

int ph_analyze_summary_main(int argc, char **argv)
{
    options o;
    options_parse(argc, argv, &o);
    static const char *const outputs[] = {"summary.md", "summary.json", "contact_sheet.png"};
    report_outputs_check("summary", o.out_dir, outputs, 3, o.force);
    run_summary(&o);
    return 0;
}
