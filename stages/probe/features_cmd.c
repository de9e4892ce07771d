/* features_cmd.c: phasor-probe features: a trained model's layer activations
 * resampled onto the predictivity grid (common/neural/grid.h), one dataset
 * /features/LAYER [N, G, G, C] per layer in DIR/features.h5.
 *
 * The model is rebuilt from the checkpoint's own config text and run in
 * evaluation mode (running statistics, no dropout), so each image's features
 * do not depend on its batch.  Each rank takes its chunk-aligned range of
 * images, reads them, runs the model and writes its rows of every layer with
 * collective writes (a rank with nothing left writes an empty selection), so
 * the datasets are the same bytes for any rank count. */
#include "probe.h"

#include "core/config.h"
#include "core/error.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "io/provenance.h"
#include "models/model.h"
#include "nn/backend_select.h"
#include "neural/grid.h"
#include "nn/checkpoint.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one dataset per layer plus /y, within the sample writer's PH_MAX_FIELDS */
enum { MAX_LAYERS = PH_MAX_FIELDS - 1, MAX_PARAMS = 1024, MAX_TAPS = 64 };

typedef struct {
    const char *checkpoint, *samples, *out_dir, *device, *layers_arg;
    int grid, batch, chunk, force, quiet;
} feat_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-probe features CHECKPOINT.h5 SAMPLES.h5 --layers a,b --grid G --out DIR [options]\n"
            "\n"
            "Runs a trained model (phasor-train's best.h5 or checkpoint.h5, rebuilt from its stored\n"
            "config, evaluation mode) on every image of SAMPLES.h5 and stores the activations of\n"
            "the named layers on a G x G grid: maps no larger than G are resized bilinearly\n"
            "(half-pixel centres), larger ones averaged into int(i*size/G) bins; each image's\n"
            "features are then min-max normalised per layer.  Layers of more than 600 channels\n"
            "first have groups of 3 adjacent channels averaged (4 when C is not a multiple of 3).\n"
            "\n"
            "options:\n"
            "  --layers a,b   layers to store (the model's taps; ResNet: stem, stage1..stage4)\n"
            "  --grid G       grid side (1..256; the original uses 17 and 9)\n"
            "  --out DIR      output folder (created if missing; required)\n"
            "  --batch B      images per forward pass and rank (default 16, 1..4096)\n"
            "  --chunk C      images per HDF5 chunk (default 16)\n"
            "  --device D     auto, cpu or cuda (default auto)\n"
            "  --force        replace an existing features.h5 (atomically)\n"
            "  --quiet        no final line\n"
            "\n"
            "writes: DIR/features.h5: /features/LAYER float32 [N, G, G, C] (grid row, grid column,\n"
            "channel), /y int32 [N] (the labels); root attributes: layers (comma list), grid,\n"
            "model, checkpoint, samples and the usual provenance.\n"
            "exit status: 0 success, 2 usage error (unknown layer, wrong inputs), 1 runtime failure.\n");
}

static const char *const device_names[] = {"auto", "cpu", "cuda", NULL};

static void parse(int argc, char **argv, feat_options *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 16, o->chunk = 16, o->device = "auto";
    const probe_opt opts[] = {
        {"layers", PROBE_OPT_STR, &o->layers_arg, 0, 0, NULL}, {"grid", PROBE_OPT_INT, &o->grid, 1, 256, NULL},
        {"out", PROBE_OPT_STR, &o->out_dir, 0, 0, NULL},       {"batch", PROBE_OPT_INT, &o->batch, 1, 4096, NULL},
        {"chunk", PROBE_OPT_INT, &o->chunk, 1, 1 << 20, NULL}, {"device", PROBE_OPT_CHOICE, &o->device, 0, 0, device_names},
        {"force", PROBE_OPT_FLAG, &o->force, 0, 0, NULL},      {"quiet", PROBE_OPT_FLAG, &o->quiet, 0, 0, NULL}};
    const char *pos[2] = {NULL, NULL};
    const int npos = probe_parse_args("features", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 2, usage);
    if (npos != 2) ph_usage_error("features: expected CHECKPOINT.h5 SAMPLES.h5 (see phasor-probe features --help)");
    if (!o->layers_arg || !*o->layers_arg) ph_usage_error("features: missing --layers a,b (the layers to store)");
    if (!o->grid) ph_usage_error("features: missing --grid G (the grid side)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("features: missing --out DIR");
    o->checkpoint = pos[0], o->samples = pos[1];
}

/* The requested layers as indices into the model's taps; an unknown name is
 * one line listing the names there are. */
static int layers_resolve(const feat_options *o, const char *model, const ph_model_tap *taps, int ntaps, int *idx)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", o->layers_arg);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; i < ntaps; i++)
            if (!strcmp(taps[i].name, tok)) found = i;
        if (found < 0) {
            ph_strbuf names = {0};
            for (int i = 0; i < ntaps; i++) ph_sb_printf(&names, "%s%s", i ? ", " : "", taps[i].name);
            ph_usage_error("features: model %s has no layer '%s' (it has: %s)", model, tok, names.s);
        }
        for (int j = 0; j < n; j++)
            if (idx[j] == found) ph_usage_error("features: layer '%s' is listed twice in --layers", tok);
        if (n == MAX_LAYERS) ph_usage_error("features: more than %d layers in --layers", MAX_LAYERS);
        idx[n++] = found;
    }
    if (!n) ph_usage_error("features: --layers names no layer");
    return n;
}

static int64_t attr_i64(ph_samples_reader *r, const char *name)
{
    char *s = ph_samples_attr(r, name);
    int64_t v = s ? strtoll(s, NULL, 10) : -1;
    free(s);
    return v;
}

int probe_features_main(int argc, char **argv)
{
    feat_options o;
    parse(argc, argv, &o);
    char out_path[4200];
    probe_out_path("features", o.out_dir, "features.h5", o.force, out_path, sizeof out_path);

    char *model_name = probe_attr_str(o.checkpoint, "model", "a phasor-train checkpoint");
    char *text = probe_attr_str(o.checkpoint, "config", "a phasor-train checkpoint");
    const ph_model_def *def = ph_model_find(model_name);
    if (!def) ph_usage_error("features: %s was trained with model '%s', which this phasor does not have", o.checkpoint, model_name);
    if (!def->taps) ph_usage_error("features: model %s offers no layer taps (only models with taps can be probed)", model_name);

    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, o.samples);
    ph_field fx;
    ph_samples_field(&r, "x", &fx);
    if (fx.ndims != 3 || fx.type != PH_U8 || def->video)
        ph_usage_error("features: %s: /x must be uint8 images [N,H,W,C] for model %s", o.samples, model_name);
    const int64_t N = r.n;
    int32_t most = 1;
    int32_t *labels = malloc((size_t)(N ? N : 1) * sizeof *labels);
    PH_CHECK_ALLOC(labels, "reading labels");
    ph_samples_labels_read(&r, 0, N, labels, 0);
    for (int64_t i = 0; i < N; i++) most = labels[i] > most ? labels[i] : most;
    const int outputs = most + 1 == 2 ? 1 : most + 1;

    const ph_backend *be = ph_backend_select(o.device, "--device");
    ph_model_geometry g = {o.batch, 1, (int)fx.dims[0], (int)fx.dims[1], (int)fx.dims[2], outputs, 0, MPI_COMM_SELF};
    char *section = cfg_section_text(text, model_name);
    ph_model *m = ph_model_create_text(model_name, section, be, &g);
    ph_param *params[MAX_PARAMS];
    const int np = m->def->params(m, params, MAX_PARAMS);
    ph_checkpoint_load(o.checkpoint, params, np, model_name, NULL);

    ph_model_tap taps[MAX_TAPS];
    int ntaps = def->taps(m, taps, MAX_TAPS);
    if (ntaps > MAX_TAPS) ntaps = MAX_TAPS;
    int idx[MAX_LAYERS];
    const int L = layers_resolve(&o, model_name, taps, ntaps, idx);

    const int G = o.grid;
    int group[MAX_LAYERS];
    for (int l = 0; l < L; l++) {
        const ph_model_tap *t = &taps[idx[l]];
        group[l] = ph_grid_channel_group(t->c);
        if (!group[l])
            ph_usage_error("features: layer %s has %d channels, more than 600 and a multiple of neither 3 nor 4 "
                           "(the original averages groups of 3 or 4 channels of such layers)", t->name, t->c);
    }
    ph_field fields[MAX_LAYERS + 1];
    ph_strbuf names = {0};
    for (int l = 0; l < L; l++) {
        const ph_model_tap *t = &taps[idx[l]];
        memset(&fields[l], 0, sizeof fields[l]);
        snprintf(fields[l].name, sizeof fields[l].name, "features/%s", t->name);
        fields[l].type = PH_F32, fields[l].ndims = 3;
        fields[l].dims[0] = (hsize_t)G, fields[l].dims[1] = (hsize_t)G, fields[l].dims[2] = (hsize_t)(t->c / group[l]);
        fields[l].doc = "layer activations on the grid [N, G, G, C], per-image min-max";
        ph_sb_printf(&names, "%s%s", l ? "," : "", t->name);
    }
    fields[L] = (ph_field){"y", PH_I32, 0, {0}, "label of the image (copied from the sample file)"};
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_WORLD, out_path, N, fields, L + 1, o.chunk, 0);
    char created[32];
    ph_created_now(MPI_COMM_WORLD, created, sizeof created);
    char *challenge = ph_samples_attr(&r, "challenge"), *split = ph_samples_attr(&r, "split"),
         *condition = ph_samples_attr(&r, "condition");
    ph_strbuf conf = {0};
    ph_sb_printf(&conf, "[probe]\ncommand = features\ncheckpoint = %s\nsamples = %s\nlayers = %s\ngrid = %d\n%s",
                 o.checkpoint, o.samples, names.s, G, text);
    ph_provenance prov = {"probe", challenge ? challenge : "", split ? split : "", condition ? condition : "",
                          attr_i64(&r, "seed"), conf.s, created};
    ph_provenance_write(&w, &prov);
    ph_samples_attr_str(&w, "layers", names.s);
    ph_samples_attr_str(&w, "model", model_name);
    ph_samples_attr_str(&w, "checkpoint", o.checkpoint);
    ph_samples_attr_str(&w, "samples", o.samples);
    ph_samples_attr_i64(&w, "grid", G);
    for (int l = 0; l < L; l++)
        if (group[l] > 1) { /* the original's reduction of a wide layer (grid.h), recorded */
            char an[64];
            snprintf(an, sizeof an, "channel_group_%s", taps[idx[l]].name);
            ph_samples_attr_i64(&w, an, group[l]);
        }

    int64_t start, count;
    ph_rank_range(N, w.chunk, ph_rank(), ph_size(), &start, &count);
    long long blocks = (count + o.batch - 1) / o.batch, most_blocks = 0;
    PH_CHECK_MPI(MPI_Allreduce(&blocks, &most_blocks, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                 "agreeing on the number of blocks", "another rank failed");
    const size_t img = fx.dims[0] * fx.dims[1] * fx.dims[2];
    uint8_t *x = calloc((size_t)o.batch * img, 1);
    int64_t *ids = malloc((size_t)o.batch * sizeof *ids);
    size_t most_act = 0, most_out = 0;
    for (int l = 0; l < L; l++) {
        const ph_model_tap *t = &taps[idx[l]];
        size_t a = (size_t)t->n * t->c * t->h * t->w, b = (size_t)o.batch * G * G * t->c;
        most_act = a > most_act ? a : most_act, most_out = b > most_out ? b : most_out;
    }
    float *act = malloc(most_act * sizeof *act), *feat = malloc(most_out * sizeof *feat);
    PH_CHECK_ALLOC(x && ids && act && feat, "allocating feature buffers");
    m->ids = ids;
    for (long long b = 0; b < most_blocks; b++) {
        const int64_t s0 = start + b * o.batch;
        int64_t got = count - b * o.batch;
        got = got < 0 ? 0 : got > o.batch ? o.batch : got;
        ph_samples_read(&r, "x", PH_U8, s0, got, x);
        if (got > 0) {
            /* the rest of a short last batch repeats its last image (evaluation mode: no effect on the others) */
            for (int i = (int)got; i < o.batch; i++) memcpy(x + (size_t)i * img, x + (size_t)(got - 1) * img, img);
            for (int i = 0; i < o.batch; i++) ids[i] = s0 + (i < got ? i : got - 1);
            ph_model_load(m, x);
            m->def->forward(m, 0);
            def->taps(m, taps, MAX_TAPS); /* pointers stay; refreshed for clarity */
        }
        for (int l = 0; l < L; l++) {
            const ph_model_tap *t = &taps[idx[l]];
            if (got > 0) {
                ph_dev_download(m->be, act, t->data, (size_t)t->n * t->c * t->h * t->w);
                const size_t per_in = (size_t)t->c * t->h * t->w, per_out = (size_t)G * G * t->c,
                             per_kept = per_out / (size_t)group[l];
                for (int i = 0; i < got; i++) {
                    /* resampling and channel means commute (both linear): group after */
                    ph_grid_resample(act + i * per_in, t->c, t->h, t->w, G, feat + i * per_out);
                    if (group[l] > 1) ph_grid_group_channels(feat + i * per_out, (size_t)G * G, t->c, group[l], feat + i * per_kept);
                    ph_grid_minmax(feat + i * per_kept, per_kept);
                }
            }
            ph_samples_write(&w, l, s0, got, feat);
        }
    }
    m->ids = NULL;
    ph_samples_write(&w, L, start, count, labels + start);
    ph_samples_close(&w);
    ph_samples_reader_close(&r);
    if (ph_rank() == 0 && !o.quiet)
        fprintf(stderr, "features: wrote %s: %lld images, layers %s, grid %dx%d\n", out_path, (long long)N,
                names.s, G, G);
    free(x), free(ids), free(act), free(feat), free(labels), free(names.s), free(conf.s), free(challenge), free(split),
        free(condition), free(section), free(text), free(model_name);
    m->def->destroy(m);
    return 0;
}
