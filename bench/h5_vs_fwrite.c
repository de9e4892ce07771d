/* h5_vs_fwrite: parallel-HDF5 write bandwidth against plain fwrite of the same bytes.
 *
 *   mpirun -np P build/bench/h5_vs_fwrite [--n N] [--length T] [--reps R]
 *                                         [--chunk C] [--block B] [--gap-ms G] DIR
 *
 * Every rank generates its share of N real PathTracker videos (uint8
 * [T,32,32,3] each, 14 distractors) once, through the challenge interface,
 * into one buffer.  Then, in the same process and interleaved, each
 * repetition writes exactly those bytes
 *   hdf5_d0  with ph_samples_create/_write/_close (collective, chunk C,
 *            uncompressed, B samples per write call, like phasor-generate);
 *   fwrite   with fopen/fwrite (B samples per call)/fflush/fsync/fclose, each
 *            rank to its own file DIR/fwrite.RANK.bin (the machine's peak);
 *   pwrite   with open/pwrite (B samples per call)/fsync/close, every rank at
 *            its offset in one shared file (the same layout as HDF5: one file
 *            written by all ranks);
 *   hdf5_d1  as hdf5_d0 with deflate level 1.
 * The three uncompressed methods rotate their order from one repetition to
 * the next; hdf5_d1 comes last.
 *
 * Page-cache regime (measured on this VM apart from this bench): pages
 * that have been free for 1-3 s are handed back to the host and fault back in
 * slowly, so a buffered write of a new file is "cold" (~250 MB/s) or "warm"
 * (~1.2 GB/s) depending on what was freed just before.  The kernel reports
 * free pages 2 s after a large free, and then reports every free page, also
 * ones freed later.  This bench measures the warm regime throughout: the
 * previous uncompressed file is unlinked right before the next uncompressed
 * write, which reuses its just-freed pages, and that unlink waits until the
 * previous one is at least G milliseconds old, so no report is pending that
 * could take the freed pages away mid-write.  One uncounted warm-up round
 * comes first.  The deflate file is small (~30x compression), so it is
 * written while the last big file still exists.
 *
 * Timed: barrier, create ... close (HDF5: H5Fclose, then rank 0 fsyncs and
 * renames, as in the stage; fwrite, pwrite: every rank fsyncs), barrier.
 * MB/s = logical bytes (N*T*32*32*3, 10^6 B/MB) / that time.  Also reported:
 * the time inside the write calls only (HDF5: H5Dwrite + H5Fclose, the
 * stage's write_seconds; fwrite + fflush; pwrite), which is what the page
 * cache absorbs before any fsync.  All times are the maximum over ranks.
 * Rank 0 prints a markdown table of medians (min-max) and one machine-readable
 * line per figure starting with "#result". */
#include "challenges/challenge.h"
#include "core/config.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/stage.h"
#include "io/h5samples.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { M_H5D0, M_FWRITE, M_PWRITE, M_H5D1, M_COUNT };
static const char *const method_names[M_COUNT] = {"hdf5_d0", "fwrite", "pwrite", "hdf5_d1"};
static const char *const method_docs[M_COUNT] = {
    "HDF5 collective, deflate 0", "fwrite + fsync, one file per rank",
    "pwrite + fsync, rank offsets in one shared file", "HDF5 collective, deflate 1"};

typedef struct {
    int64_t n;      /* videos in all */
    int length;     /* frames per video */
    int reps;       /* counted repetitions */
    int64_t chunk;  /* samples per HDF5 chunk */
    int64_t block;  /* samples per write call */
    double gap;     /* seconds between two frees of a big file */
    const char *dir;
} options;

/* One timed write: wall time and time inside the write calls, both max over ranks. */
typedef struct {
    double seconds, call_seconds;
    long long file_bytes;
} sample_time;

static void usage(FILE *f)
{
    fprintf(f, "usage: mpirun -np P h5_vs_fwrite [--n N] [--length T] [--reps R] [--chunk C] "
               "[--block B] [--gap-ms G] DIR\n"
               "Writes the same PathTracker videos with parallel HDF5 (deflate 0 and 1) and with\n"
               "fwrite/pwrite+fsync, interleaved, warm page cache; prints MB/s medians (min-max).\n"
               "Defaults: N=4096 T=64 R=5 C=16 B=256 G=2200.  DIR must exist and be writable.\n");
}

static int64_t parse_int(const char *s, const char *name, int64_t lo, int64_t hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        ph_usage_error("--%s must be an integer in [%lld, %lld], got '%s'", name, (long long)lo,
                       (long long)hi, s);
    return v;
}

static void options_parse(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"n", required_argument, 0, 'n'},     {"length", required_argument, 0, 't'},
        {"reps", required_argument, 0, 'r'},  {"chunk", required_argument, 0, 'c'},
        {"block", required_argument, 0, 'b'}, {"gap-ms", required_argument, 0, 'g'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    *o = (options){4096, 64, 5, 16, 256, 2.2, NULL};
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "", longs, NULL)) != -1;) {
        switch (c) {
        case 'n': o->n = parse_int(optarg, "n", 1, 1LL << 24); break;
        case 't': o->length = (int)parse_int(optarg, "length", 2, 326); break;
        case 'r': o->reps = (int)parse_int(optarg, "reps", 1, 1000); break;
        case 'c': o->chunk = parse_int(optarg, "chunk", 1, 65536); break;
        case 'b': o->block = parse_int(optarg, "block", 1, 1 << 20); break;
        case 'g': o->gap = 0.001 * (double)parse_int(optarg, "gap-ms", 0, 60000); break;
        case 'h':
            if (ph_rank() == 0) usage(stdout);
            ph_stage_end();
            exit(0);
        default: ph_usage_error("unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) ph_usage_error("expected one DIR argument (see --help)");
    o->dir = argv[optind];
    if (o->chunk > o->n) o->chunk = o->n;
    o->block = (o->block + o->chunk - 1) / o->chunk * o->chunk; /* whole chunks, as the stage */
}

/* ---- the videos ---------------------------------------------------------- */

/* PathTracker parameters through the challenge's own config table. */
static void *pathtracker_params(const ph_challenge *ch, int length)
{
    const cfg_section *sections[] = {ch->section};
    char text[128];
    snprintf(text, sizeof text, "[pathtracker]\nlength = %d\nnum_distractors = 14\nskip = 1\n",
             length);
    cfg c;
    cfg_init(&c, sections, 1);
    cfg_parse_text(&c, text, "h5_vs_fwrite");
    cfg_validate(&c);
    void *params = ch->params_load(&c);
    cfg_free(&c);
    return params;
}

/* Generates samples [start, start+count) into video (count * video_bytes);
 * returns the seconds spent zeroing and drawing them. */
static double generate_videos(const ph_challenge *ch, const void *params, int64_t start,
                              int64_t count, uint8_t *video)
{
    ph_field fields[PH_MAX_FIELDS];
    int nf = ch->fields(params, fields, PH_MAX_FIELDS); /* field 0 is "x" */
    void *slots[PH_MAX_FIELDS];
    for (int f = 1; f < nf; f++) {
        slots[f] = malloc(ph_field_sample_bytes(&fields[f]));
        PH_CHECK_ALLOC(slots[f], "allocating a sample's metadata");
    }
    size_t video_bytes = ph_field_sample_bytes(&fields[0]);
    /* Fault the buffer in first: on this VM a first touch runs at ~0.3-2 GB/s
     * and would otherwise count as generation time (the stage reuses one block). */
    memset(video, 1, video_bytes * (size_t)count);
    double t0 = ph_now();
    for (int64_t i = 0; i < count; i++) { /* zero + generate, as the stage does */
        slots[0] = video + video_bytes * (size_t)i;
        for (int f = 0; f < nf; f++) memset(slots[f], 0, ph_field_sample_bytes(&fields[f]));
        ch->generate(params, 7u, start + i, slots);
    }
    double s = ph_now() - t0;
    for (int f = 1; f < nf; f++) free(slots[f]);
    return s;
}

/* ---- timed writes ------------------------------------------------------- */

static double max_over_ranks(double v)
{
    double m;
    PH_CHECK_MPI(MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
                 "taking the maximum time over ranks", "another rank failed");
    return m;
}

static void barrier(void)
{
    PH_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD), "waiting for every rank", "another rank failed");
}

static sample_time write_hdf5(const options *o, const ph_field *x, const char *path, int deflate,
                              int64_t start, int64_t count, const uint8_t *video)
{
    size_t video_bytes = ph_field_sample_bytes(x);
    long long my_rounds = (count + o->block - 1) / o->block, rounds = 0;
    PH_CHECK_MPI(MPI_Allreduce(&my_rounds, &rounds, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                 "agreeing on the number of write rounds", "another rank failed");
    barrier();
    double t0 = ph_now();
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_WORLD, path, o->n, x, 1, o->chunk, deflate);
    for (long long r = 0; r < rounds; r++) {
        int64_t done = r * o->block, m = count - done;
        m = m < 0 ? 0 : (m > o->block ? o->block : m);
        const uint8_t *src = m ? video + video_bytes * (size_t)done : video; /* m = 0: empty part */
        ph_samples_write(&w, 0, start + done, m, src);
    }
    ph_samples_close(&w); /* H5Fclose, then rank 0: fsync, rename, fsync dir */
    barrier();
    sample_time st = {ph_now() - t0, w.write_seconds, 0};
    st.seconds = max_over_ranks(st.seconds);
    st.call_seconds = max_over_ranks(st.call_seconds);
    if (w.rank == 0) { /* before any rank can go on and remove the file */
        struct stat sb;
        PH_CHECK_LIBC(stat(path, &sb) == 0, "measuring the HDF5 file", "check the bench directory");
        st.file_bytes = (long long)sb.st_size;
    }
    PH_CHECK_MPI(MPI_Bcast(&st.file_bytes, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD),
                 "sharing the file size", "another rank failed");
    return st;
}

static sample_time write_fwrite(const options *o, const ph_field *x, const char *path,
                                int64_t count, const uint8_t *video)
{
    size_t video_bytes = ph_field_sample_bytes(x);
    barrier();
    double t0 = ph_now();
    FILE *f = fopen(path, "wb");
    PH_CHECK_LIBC(f != NULL, "creating the fwrite file", "check that the bench directory is writable");
    for (int64_t done = 0; done < count; done += o->block) {
        size_t m = (size_t)(count - done < o->block ? count - done : o->block);
        PH_CHECK_LIBC(fwrite(video + video_bytes * (size_t)done, video_bytes, m, f) == m,
                      "writing the fwrite file", "check free space");
    }
    PH_CHECK_LIBC(fflush(f) == 0, "flushing the fwrite file", "check free space");
    double calls = ph_now() - t0;
    PH_CHECK_LIBC(fsync(fileno(f)) == 0, "syncing the fwrite file", "check the file system");
    PH_CHECK_LIBC(fclose(f) == 0, "closing the fwrite file", "check free space");
    barrier();
    sample_time st = {ph_now() - t0, calls, 0};
    st.seconds = max_over_ranks(st.seconds);
    st.call_seconds = max_over_ranks(st.call_seconds);
    long long mine = (long long)(video_bytes * (size_t)count);
    PH_CHECK_MPI(MPI_Allreduce(&mine, &st.file_bytes, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD),
                 "summing file sizes", "another rank failed");
    return st;
}

static sample_time write_pwrite(const options *o, const ph_field *x, const char *path,
                                int64_t start, int64_t count, const uint8_t *video)
{
    size_t video_bytes = ph_field_sample_bytes(x);
    barrier();
    double t0 = ph_now();
    int fd = -1;
    if (ph_rank() == 0) { /* rank 0 creates, then the others open */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        PH_CHECK_LIBC(fd >= 0, "creating the shared pwrite file", "check that the bench directory is writable");
    }
    barrier();
    if (ph_rank() != 0) {
        fd = open(path, O_WRONLY);
        PH_CHECK_LIBC(fd >= 0, "opening the shared pwrite file", "check the bench directory");
    }
    for (int64_t done = 0; done < count; done += o->block) {
        size_t len = video_bytes * (size_t)(count - done < o->block ? count - done : o->block);
        const uint8_t *p = video + video_bytes * (size_t)done;
        off_t off = (off_t)(video_bytes * (size_t)(start + done));
        while (len > 0) { /* pwrite may write less than asked */
            ssize_t k = pwrite(fd, p, len, off);
            PH_CHECK_LIBC(k > 0, "writing the shared pwrite file", "check free space");
            p += k, off += k, len -= (size_t)k;
        }
    }
    double calls = ph_now() - t0;
    PH_CHECK_LIBC(fsync(fd) == 0, "syncing the shared pwrite file", "check the file system");
    PH_CHECK_LIBC(close(fd) == 0, "closing the shared pwrite file", "check free space");
    barrier();
    sample_time st = {ph_now() - t0, calls, (long long)(video_bytes * (size_t)o->n)};
    st.seconds = max_over_ranks(st.seconds);
    st.call_seconds = max_over_ranks(st.call_seconds);
    return st;
}

/* Collective: removes a method's file(s); missing files are fine.  fwrite has
 * one file per rank, the others one shared file that rank 0 removes. */
static void remove_output(const char *const paths[M_COUNT], int method)
{
    if (method == M_FWRITE || ph_rank() == 0)
        PH_CHECK_LIBC(unlink(paths[method]) == 0 || errno == ENOENT, "removing a bench file",
                      "check the bench directory");
    barrier();
}

/* Collective: unlinks a big (uncompressed) file once the previous such unlink
 * is o->gap seconds old, so that no page report is pending (see the header). */
static void free_big(const options *o, const char *const paths[M_COUNT], int method)
{
    static double last_free = -1e9; /* rank 0's clock */
    if (ph_rank() == 0) {
        double wait = last_free + o->gap - ph_now();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            while (nanosleep(&ts, &ts) && errno == EINTR) {}
        }
    }
    barrier();
    remove_output(paths, method);
    last_free = ph_now();
}

static sample_time write_method(const options *o, const ph_field *x, const char *const paths[M_COUNT],
                                int method, int64_t start, int64_t count, const uint8_t *video)
{
    switch (method) {
    case M_H5D0: return write_hdf5(o, x, paths[method], 0, start, count, video);
    case M_H5D1: return write_hdf5(o, x, paths[method], 1, start, count, video);
    case M_FWRITE: return write_fwrite(o, x, paths[method], count, video);
    default: return write_pwrite(o, x, paths[method], start, count, video);
    }
}

/* ---- statistics --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double med, min, max;
} summary;

static summary summarize(const double *v, int n)
{
    double *s = malloc((size_t)n * sizeof *s);
    PH_CHECK_ALLOC(s, "sorting results");
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    summary r = {n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]), s[0], s[n - 1]};
    free(s);
    return r;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "bench-h5_vs_fwrite");
    options o;
    options_parse(argc, argv, &o);
    const int rank = ph_rank(), size = ph_size();

    const ph_challenge *ch = ph_challenge_find("pathtracker");
    if (!ch) PH_FAIL("finding the PathTracker challenge", "not registered", "this is a bug");
    void *params = pathtracker_params(ch, o.length);

    int64_t start, count;
    ph_rank_range(o.n, o.chunk, rank, size, &start, &count);
    ph_field fields[PH_MAX_FIELDS];
    ch->fields(params, fields, PH_MAX_FIELDS);
    const ph_field x = fields[0]; /* only the videos are written */
    size_t video_bytes = ph_field_sample_bytes(&x);
    uint8_t *video = malloc((size_t)(count ? count : 1) * video_bytes);
    PH_CHECK_ALLOC(video, "allocating this rank's videos");
    double gen_s = max_over_ranks(generate_videos(ch, params, start, count, video));
    const double logical = (double)video_bytes * (double)o.n;

    char path_buf[M_COUNT][4200];
    snprintf(path_buf[M_H5D0], sizeof path_buf[0], "%s/hdf5_d0.h5", o.dir);
    snprintf(path_buf[M_H5D1], sizeof path_buf[0], "%s/hdf5_d1.h5", o.dir);
    snprintf(path_buf[M_FWRITE], sizeof path_buf[0], "%s/fwrite.%d.bin", o.dir, rank);
    snprintf(path_buf[M_PWRITE], sizeof path_buf[0], "%s/pwrite.bin", o.dir);
    const char *const paths[M_COUNT] = {path_buf[0], path_buf[1], path_buf[2], path_buf[3]};
    if (rank == 0) {
        printf("# h5_vs_fwrite: %d rank(s), N=%lld videos of uint8 [%d,32,32,3] (%.1f MB), "
               "chunk %lld, %lld samples per write call, %d repetitions + 1 warm-up, dir %s\n",
               size, (long long)o.n, o.length, logical / 1e6, (long long)o.chunk,
               (long long)o.block, o.reps, o.dir);
        printf("# generating the videos once: %.2f s, %.0f videos/s (all ranks), "
               "%.3f ms per video per rank\n",
               gen_s, o.n / gen_s, 1e3 * gen_s * size / o.n);
        fflush(stdout);
    }

    /* Warm-up round, not counted: brings the page cache into the warm regime
     * and pays HDF5/MPI-IO first-use costs. */
    const int big[3] = {M_H5D0, M_FWRITE, M_PWRITE}; /* the uncompressed methods */
    int last_big = -1;                               /* whose file is still on disk */
    for (int k = 0; k < 3; k++) {
        if (last_big >= 0) free_big(&o, paths, last_big);
        write_method(&o, &x, paths, big[k], start, count, video);
        last_big = big[k];
    }

    double *mbps[M_COUNT], *call_mbps[M_COUNT], *ratio[2];
    long long file_bytes[M_COUNT] = {0};
    for (int m = 0; m < M_COUNT; m++) {
        mbps[m] = malloc((size_t)o.reps * sizeof *mbps[m]);
        call_mbps[m] = malloc((size_t)o.reps * sizeof *call_mbps[m]);
        PH_CHECK_ALLOC(mbps[m] && call_mbps[m], "allocating results");
    }
    for (int q = 0; q < 2; q++) {
        ratio[q] = malloc((size_t)o.reps * sizeof *ratio[q]);
        PH_CHECK_ALLOC(ratio[q], "allocating results");
    }
    if (rank == 0) printf("#rep\tmethod\tseconds\tcall_seconds\tMB/s\tcall_MB/s\tfile_bytes\n");
    for (int r = 0; r < o.reps; r++) {
        for (int k = 0; k < M_COUNT; k++) {
            int m = k < 3 ? big[(k + r) % 3] : M_H5D1; /* rotate the uncompressed ones */
            sample_time st;
            if (m == M_H5D1) {
                /* Small file: written while the last big file still holds its pages. */
                st = write_method(&o, &x, paths, m, start, count, video);
                remove_output(paths, m);
            } else {
                free_big(&o, paths, last_big); /* free its pages and reuse them at once */
                st = write_method(&o, &x, paths, m, start, count, video);
                last_big = m;
            }
            mbps[m][r] = logical / st.seconds / 1e6;
            call_mbps[m][r] = logical / st.call_seconds / 1e6;
            file_bytes[m] = st.file_bytes;
            if (rank == 0) {
                printf("#rep%d\t%s\t%.3f\t%.3f\t%.0f\t%.0f\t%lld\n", r, method_names[m], st.seconds,
                       st.call_seconds, mbps[m][r], call_mbps[m][r], st.file_bytes);
                fflush(stdout);
            }
        }
        /* Paired: the same repetition, so the same moment on a noisy host. */
        ratio[0][r] = mbps[M_H5D0][r] / mbps[M_FWRITE][r];
        ratio[1][r] = mbps[M_H5D0][r] / mbps[M_PWRITE][r];
    }
    remove_output(paths, last_big);

    if (rank == 0) {
        printf("\n| method (%d rank%s) | MB/s incl. fsync, median (min-max) | MB/s in write calls "
               "only (page cache) | file MB |\n|---|---|---|---|\n",
               size, size > 1 ? "s" : "");
        for (int m = 0; m < M_COUNT; m++) {
            summary a = summarize(mbps[m], o.reps), b = summarize(call_mbps[m], o.reps);
            printf("| %s: %s | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.1f |\n", method_names[m],
                   method_docs[m], a.med, a.min, a.max, b.med, b.min, b.max, file_bytes[m] / 1e6);
        }
        static const char *const ratio_names[2] = {"hdf5_d0/fwrite", "hdf5_d0/pwrite"};
        printf("\n");
        for (int q = 0; q < 2; q++) {
            summary a = summarize(ratio[q], o.reps);
            printf("%s, paired per repetition: %.2f (%.2f-%.2f)\n", ratio_names[q], a.med, a.min, a.max);
        }
        printf("\n#result ranks=%d generate_videos_per_s=%.1f generate_ms_per_video_per_rank=%.4f\n",
               size, o.n / gen_s, 1e3 * gen_s * size / o.n);
        for (int m = 0; m < M_COUNT; m++) {
            summary a = summarize(mbps[m], o.reps), b = summarize(call_mbps[m], o.reps);
            printf("#result ranks=%d method=%s mbps_med=%.1f mbps_min=%.1f mbps_max=%.1f "
                   "call_mbps_med=%.1f call_mbps_min=%.1f call_mbps_max=%.1f file_bytes=%lld\n",
                   size, method_names[m], a.med, a.min, a.max, b.med, b.min, b.max, file_bytes[m]);
        }
        for (int q = 0; q < 2; q++) {
            summary a = summarize(ratio[q], o.reps);
            printf("#result ranks=%d ratio=%s med=%.3f min=%.3f max=%.3f\n", size, ratio_names[q],
                   a.med, a.min, a.max);
        }
    }

    for (int m = 0; m < M_COUNT; m++) free(mbps[m]), free(call_mbps[m]);
    free(ratio[0]), free(ratio[1]);
    free(video);
    ch->params_free(params);
    ph_stage_end();
    return 0;
}
