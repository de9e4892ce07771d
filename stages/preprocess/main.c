/* phasor-preprocess: sample files -> derived files.  One task per subcommand
 * (table `tasks`): `spectrum`, the mean magnitude spectrum of a set of images
 * for MACO feature visualisation (docs/maco.md), and `import` (import.c), a
 * folder of the user's images with labels and importance maps -> sample files.
 *
 * Every rank transforms its contiguous, block-aligned range of each file's
 * samples; the magnitudes are summed in exact 64-bit fixed point, so the one
 * MPI reduction gives the same bits for any rank count.  Rank 0 writes the
 * output atomically (NAME.partial -> NAME) with provenance attributes. */
#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "fft/spectrum.h"
#include "io/h5samples.h"
#include "io/provenance.h"
#include "nn/backend_select.h"
#include "preprocess.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK_DEFAULT = 16, BLOCK_MAX = 1024, SIZE_MAX_PX = 4096, CLASSES_MAX = 100000 };

static void run_spectrum(const options *o);

static const task tasks[] = {
    {"spectrum", "mean magnitude spectrum |rfft2| of the images (videos: every frame), resized to "
                 "--size, in the decorrelated colour basis (MACO's magnitude template)",
     "spectrum.h5", run_spectrum},
    {"import", "a folder of PNG/JPEG images with a label file (and optional importance maps) "
               "becomes one sample file per split (docs/import.md)",
     "SPLIT.h5", preprocess_import},
};
static const int ntasks = (int)(sizeof tasks / sizeof tasks[0]);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-preprocess TASK [options] SAMPLES.h5 [more.h5 ...] --out DIR\n"
            "       phasor-preprocess import IMAGE_DIR --labels FILE --classes K --out DIR [options]\n"
            "\n"
            "Derives files from phasor sample files, with any number of MPI ranks\n"
            "(mpirun -np P phasor-preprocess ...); the output does not depend on P.\n"
            "\n"
            "options:\n"
            "  --out DIR         output folder (created if missing; required)\n"
            "  --size S          spectrum: working size in pixels, 2..%d (default: the\n"
            "                    images' side when they are square)\n"
            "  --block K         images transformed together per rank (default %d, 1..%d)\n"
            "  --device D        auto, cpu or cuda (default auto: cuda when a GPU is present)\n"
            "  --force           replace an existing output (atomically, on success)\n"
            "import options (docs/import.md):\n"
            "  --labels FILE     lines NAME,LABEL (NAME relative to IMAGE_DIR; '#' comments)\n"
            "  --classes K       labels must lie in 0..K-1 (2..%d)\n"
            "  --size S          images (and maps) resized to S x S (bilinear; default: the\n"
            "                    images' common size)\n"
            "  --channels C      3 RGB (default) or 1 gray\n"
            "  --maps DIR        importance maps DIR/STEM.png|.jpg|.jpeg|.npy (STEM = NAME\n"
            "                    without extension, same size as its image); images without\n"
            "                    one get a zero map and token 0 (/meta/token)\n"
            "  --map-form F      clickme (resize to 64, ClickMe blur, resize, min-max; default)\n"
            "                    or raw (resize only)\n"
            "  --split SPEC      NAME=FRACTION,... (default train=0.8,val=0.1,test=0.1)\n"
            "  --seed N          the split assignment's seed (default 1)\n"
            "  --bad B           fail (default) or skip: an unreadable image, a map of\n"
            "                    another size or a label out of range stops the import,\n"
            "                    or is skipped and counted\n"
            "  --chunk K         samples per HDF5 chunk (default 0: groups of 16, each dataset's chunk\n"
            "                    the largest divisor of 16 holding at most 128 KiB)\n"
            "  --quiet           no progress lines and no final line\n"
            "  --help, --version\n"
            "\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n"
            "\n"
            "tasks:\n",
            SIZE_MAX_PX, BLOCK_DEFAULT, BLOCK_MAX, CLASSES_MAX);
    for (int i = 0; i < ntasks; i++) fprintf(f, "  %-9s %s\n  %-9s writes DIR/%s\n", tasks[i].name,
                                             tasks[i].summary, "", tasks[i].output);
}

static int parse_int(const char *option, const char *s, int lo, int hi)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        ph_usage_error("--%s must be an integer in %d..%d, got '%s'", option, lo, hi, s);
    return (int)v;
}

static const task *options_parse(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"out", required_argument, 0, 'o'},  {"size", required_argument, 0, 's'},
        {"block", required_argument, 0, 'b'}, {"device", required_argument, 0, 'd'},
        {"force", no_argument, 0, 'f'},      {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},       {"version", no_argument, 0, 'V'},
        {"labels", required_argument, 0, 'l'}, {"maps", required_argument, 0, 'm'},
        {"classes", required_argument, 0, 'k'}, {"split", required_argument, 0, 'p'},
        {"seed", required_argument, 0, 'e'},    {"bad", required_argument, 0, 'x'},
        {"map-form", required_argument, 0, 'M'}, {"chunk", required_argument, 0, 'c'},
        {"channels", required_argument, 0, 'C'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->block = BLOCK_DEFAULT, o->device = "auto";
    o->split = "train=0.8,val=0.1,test=0.1", o->seed = 1, o->bad = "fail", o->map_form = "clickme";
    o->chunk = 0, o->channels = 3;
    ph_strbuf cmd = {0};
    for (int i = 1; i < argc; i++) ph_sb_printf(&cmd, "%s%s", i > 1 ? " " : "", argv[i]);
    o->command = cmd.s;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":", longs, NULL)) != -1;) {
        switch (c) {
        case 'o': o->out_dir = optarg; break;
        case 's': o->size = parse_int("size", optarg, 2, SIZE_MAX_PX); break;
        case 'b': o->block = parse_int("block", optarg, 1, BLOCK_MAX); break;
        case 'd':
            if (strcmp(optarg, "auto") && strcmp(optarg, "cpu") && strcmp(optarg, "cuda"))
                ph_usage_error("--device must be auto, cpu or cuda, got '%s'", optarg);
            o->device = optarg;
            break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'l': o->labels = optarg; break;
        case 'm': o->maps = optarg; break;
        case 'k': o->classes = parse_int("classes", optarg, 2, CLASSES_MAX); break;
        case 'p': o->split = optarg; break;
        case 'e': o->seed = parse_int("seed", optarg, 0, 2147483647); break;
        case 'x':
            if (strcmp(optarg, "fail") && strcmp(optarg, "skip"))
                ph_usage_error("--bad must be fail or skip, got '%s'", optarg);
            o->bad = optarg;
            break;
        case 'M': o->map_form = optarg; break;
        case 'c': o->chunk = parse_int("chunk", optarg, 0, 1 << 20); break;
        case 'C':
            o->channels = parse_int("channels", optarg, 1, 3);
            if (o->channels == 2) ph_usage_error("--channels must be 1 (gray) or 3 (RGB), got 2");
            break;
        case 'h': ph_stage_print_and_exit(usage);
        case 'V': ph_stage_print_and_exit(ph_print_version);
        case ':': ph_usage_error("option '%s' needs a value (see phasor-preprocess --help)", argv[optind - 1]);
        default: ph_usage_error("unknown option '%s' (see phasor-preprocess --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        ph_usage_error("expected a task and sample files, e.g. phasor-preprocess spectrum SAMPLES.h5 "
                       "--out DIR (see phasor-preprocess --help)");
    const task *t = NULL;
    for (int i = 0; i < ntasks; i++)
        if (!strcmp(tasks[i].name, argv[optind])) t = &tasks[i];
    if (!t) ph_usage_error("unknown task '%s' (choose one of: spectrum, import)", argv[optind]);
    o->inputs = argv + optind + 1, o->ninputs = argc - optind - 1;
    if (t->run == preprocess_import) {
        if (o->ninputs != 1)
            ph_usage_error("import: give one image folder (phasor-preprocess import IMAGE_DIR --labels FILE "
                           "--classes K --out DIR)");
    } else if (o->ninputs == 0) {
        ph_usage_error("%s: no sample file given (phasor-preprocess %s SAMPLES.h5 ... --out DIR)", t->name,
                       t->name);
    }
    if (!o->out_dir || !*o->out_dir) ph_usage_error("%s: missing --out DIR (the folder for the output)", t->name);
    return t;
}

static void output_check(const task *t, const options *o, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", o->out_dir, t->output);
    char msg[1024] = "";
    if (ph_rank() == 0) {
        if (ph_mkdir_p(o->out_dir))
            snprintf(msg, sizeof msg, "cannot create output directory %s: %s (choose a writable --out)",
                     o->out_dir, strerror(errno));
        else if (access(o->out_dir, W_OK | X_OK))
            snprintf(msg, sizeof msg, "output directory %s is not writable: %s (choose a writable --out)",
                     o->out_dir, strerror(errno));
        else if (!o->force && ph_exists(path))
            snprintf(msg, sizeof msg, "output %s already exists (pass --force to replace it, or choose "
                     "another --out)", path);
    }
    ph_usage_check_bcast(msg);
    ph_out_dir_lock(o->out_dir); /* one run at a time per folder */
}

/* The image geometry of one file: frames per sample, h, w, c. */
typedef struct {
    int64_t n;
    int t, h, w, c;
} geometry;

static geometry file_geometry(ph_samples_reader *r)
{
    ph_field x;
    ph_samples_field(r, "x", &x);
    char what[4200];
    snprintf(what, sizeof what, "reading images from %s", r->path);
    if ((x.ndims != 3 && x.ndims != 4) || x.type != PH_U8)
        PH_FAIL_ALL(MPI_COMM_WORLD, what, "/x is neither uint8 images [N,H,W,C] nor videos [N,T,H,W,C]",
                    "give a phasor sample file");
    int v = x.ndims == 4;
    geometry g = {r->n, v ? (int)x.dims[0] : 1, (int)x.dims[v], (int)x.dims[v + 1], (int)x.dims[v + 2]};
    if (g.c != 1 && g.c != 3)
        PH_FAIL_ALL(MPI_COMM_WORLD, what, "images must have 1 (gray) or 3 (RGB) channels", "give gray or RGB images");
    return g;
}

static void run_spectrum(const options *o)
{
    char out[4200];
    output_check(&tasks[0], o, out, sizeof out);
    const ph_backend *be = ph_backend_select(o->device, "--device");
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, o->inputs[0]);
    geometry g0 = file_geometry(&r);
    char *challenge = ph_samples_attr(&r, "challenge"), *split = ph_samples_attr(&r, "split"),
         *condition = ph_samples_attr(&r, "condition");
    ph_samples_reader_close(&r);
    int size = o->size;
    if (!size) {
        if (g0.h != g0.w)
            ph_usage_error("spectrum: the images are %dx%d, not square: give --size S", g0.h, g0.w);
        size = g0.h;
    }
    if (size < 2) ph_usage_error("spectrum: --size must be at least 2");
    ph_spectrum_acc acc;
    ph_spectrum_acc_init(&acc, be, g0.c, g0.h, g0.w, size, o->block);
    int64_t total = 0;
    for (int f = 0; f < o->ninputs; f++) {
        ph_samples_open(&r, MPI_COMM_WORLD, o->inputs[f]);
        geometry g = file_geometry(&r);
        total += g.n * g.t;
        ph_samples_reader_close(&r);
    }
    double t0 = ph_now(), t_read = 0;
    ph_progress prog;
    ph_progress_init(&prog, "spectrum", "images", total, !o->quiet && ph_rank() == 0);
    for (int f = 0; f < o->ninputs; f++) {
        ph_samples_open(&r, MPI_COMM_WORLD, o->inputs[f]);
        geometry g = file_geometry(&r);
        if (g.h != g0.h || g.w != g0.w || g.c != g0.c) {
            char what[4200];
            snprintf(what, sizeof what, "reading images from %s", o->inputs[f]);
            PH_FAIL_ALL(MPI_COMM_WORLD, what, "its images differ in size or channels from the first file's",
                        "give files of one image size");
        }
        /* Samples per read: whole samples holding at most `block` images. */
        const int64_t per = g.t >= o->block ? 1 : o->block / g.t;
        int64_t start, count;
        ph_rank_range(g.n, per, ph_rank(), ph_size(), &start, &count);
        long long mine = (count + per - 1) / per, rounds = 0;
        PH_CHECK_MPI(MPI_Allreduce(&mine, &rounds, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                     "agreeing on read rounds", "another rank failed; see its message");
        const size_t frame = (size_t)g.h * g.w * g.c;
        uint8_t *buf = malloc((size_t)per * g.t * frame);
        PH_CHECK_ALLOC(buf, "allocating a read block");
        for (long long k = 0; k < rounds; k++) {
            int64_t s0 = start + k * per, c0 = s0 < start + count ? (start + count - s0 < per ? start + count - s0 : per) : 0;
            double tr = ph_now();
            ph_samples_read(&r, "x", PH_U8, c0 ? s0 : 0, c0, buf); /* collective; 0 = empty selection */
            t_read += ph_now() - tr;
            /* Frames in order, up to `block` images per transform. */
            for (int64_t i = 0; i < c0 * g.t; i += o->block) {
                int kk = (int)(c0 * g.t - i < o->block ? c0 * g.t - i : o->block);
                ph_spectrum_acc_add(&acc, buf + (size_t)i * frame, kk);
            }
            ph_progress_update(&prog, acc.images * ph_size());
        }
        free(buf);
        ph_samples_reader_close(&r);
    }
    /* One exact reduction: int64 sums do not depend on the order of addition. */
    PH_CHECK_MPI(MPI_Reduce(ph_rank() == 0 ? MPI_IN_PLACE : acc.sum, acc.sum, (int)acc.count, MPI_INT64_T,
                            MPI_SUM, 0, MPI_COMM_WORLD),
                 "summing spectra over ranks", "another rank failed; see its message");
    ph_progress_finish(&prog);
    ph_spectrum sp = {.c = g0.c, .s = size, .images = total};
    snprintf(sp.basis, sizeof sp.basis, "%s", g0.c == 3 ? "decorrelated" : "gray");
    sp.magnitude = malloc(acc.count * sizeof *sp.magnitude);
    PH_CHECK_ALLOC(sp.magnitude, "allocating the spectrum");
    ph_spectrum_mean(acc.sum, total, acc.count, sp.magnitude);
    char created[32];
    ph_created_now(MPI_COMM_WORLD, created, sizeof created);
    ph_provenance prov = {"preprocess", challenge ? challenge : "", split ? split : "", condition ? condition : "",
                          0, o->command, created};
    ph_spectrum_write(MPI_COMM_WORLD, out, &sp, &prov);
    double secs = ph_now() - t0, worst[2] = {secs, t_read};
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, worst, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "timing",
                 "another rank failed");
    if (ph_rank() == 0) {
        char log[4200], line[1024];
        snprintf(log, sizeof log, "%s/preprocess.jsonl", o->out_dir);
        snprintf(line, sizeof line, "{\"stage\":\"preprocess\",\"task\":\"spectrum\",\"images\":%lld,\"size\":%d,"
                 "\"channels\":%d,\"ranks\":%d,\"device\":\"%s\",\"seconds\":%.6f,\"read_seconds\":%.6f,"
                 "\"images_per_second\":%.2f}\n", (long long)total, size, g0.c, ph_size(), be->name, worst[0],
                 worst[1], total / worst[0]);
        FILE *fl = fopen(log, "a");
        PH_CHECK_LIBC(fl != NULL, "opening preprocess.jsonl", "check that the output folder is writable");
        int bad = fputs(line, fl) == EOF;
        bad |= fclose(fl) != 0;
        PH_CHECK_LIBC(!bad, "writing preprocess.jsonl", "check free space");
        if (!o->quiet)
            fprintf(stderr, "phasor-preprocess: wrote %s: mean magnitude of %lld images at %dx%d (%s), %.2fs\n",
                    out, (long long)total, size, size, sp.basis, worst[0]);
    }
    ph_spectrum_acc_free(&acc);
    ph_spectrum_free(&sp);
    free(challenge), free(split), free(condition);
}

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "preprocess");
    options o;
    const task *t = options_parse(argc, argv, &o);
    t->run(&o);
    free(o.command);
    ph_stage_end();
    return 0;
}
