/* phasor-analyze evaluate: a trained model's loss and accuracy on a held-out
 * sample file (the test split of a study), so that the number reported never
 * comes from the file that chose best.h5.
 *
 * The model is rebuilt from the checkpoint's own config text (its model name
 * and section), loaded with ph_checkpoint_load and run in evaluation mode
 * (running statistics, no dropout), so every sample's output is independent of
 * the batch it sits in.  Each rank scores its contiguous range of samples; the
 * per-sample losses and hits are gathered on rank 0 and summed in sample order,
 * so every number is the same for any rank count.  Several sample files (a
 * study's grid of test conditions) are scored one after the other, the model
 * rebuilt for each file's video length; every sample's label, logit and hit go
 * to evaluate_samples.tsv, for statistics over samples (bootstrap intervals). */
#include "evaluate.h"

#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "io/h5attr.h"
#include "io/h5samples.h"
#include "models/model.h"
#include "nn/backend_select.h"
#include "nn/checkpoint.h"
#include "studies/report_util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BATCH_DEFAULT = PH_EVALUATE_BATCH_DEFAULT, BATCH_MAX = 4096, MAX_PARAMS = 1024, MAX_FILES = 256 };

typedef struct {
    const char *checkpoint, *out_dir, *device;
    const char *samples[MAX_FILES];
    int nsamples, batch, force, quiet;
} eval_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze evaluate CHECKPOINT.h5 SAMPLES.h5 [MORE.h5 ...] --out DIR [options]\n"
            "\n"
            "Scores a trained model (phasor-train's best.h5 or checkpoint.h5) on a sample file\n"
            "that it neither trained on nor was selected on (a study's test split), from any\n"
            "number of MPI ranks; the numbers do not depend on the rank count.  The model is\n"
            "rebuilt from the config stored in the checkpoint and run in evaluation mode.\n"
            "It refuses a file with the same challenge, condition and seed as the model's\n"
            "training or validation file (the checkpoint's config names them).  Several\n"
            "sample files (up to %d, e.g. a grid of test conditions) are scored in turn.\n"
            "\n"
            "options:\n"
            "  --out DIR      output folder (created if missing; required)\n"
            "  --batch B      samples per forward pass and rank (default %d, 1..%d)\n"
            "  --device D     auto (cuda when a GPU is present), cpu or cuda (default auto)\n"
            "  --force        replace existing outputs (atomically)\n"
            "  --quiet        no final line\n"
            "  --help         this text\n"
            "\n"
            "writes: DIR/evaluate.tsv, a header line and one row per sample file: the checkpoint\n"
            "and sample\n"
            "file, the sample file's challenge, condition, split, seed and N, the training\n"
            "file's condition, seed and N, the validation file's seed and N, the model and\n"
            "its config (key=value;...), the training steps, batch, learning rate and seed\n"
            "(rng_seed: [train] seed), the earlier stages it continued ([train] init, oldest first: CONDITION STEPSxBATCH\n"
            "joined by +; - when trained from scratch), the best validation accuracy, and\n"
            "correct, accuracy and mean loss on the sample file, the software version and git\n"
            "commit, and where it ran: train_machine (the checkpoint's record: processor,\n"
            "backend, ranks; - in older checkpoints) and machine (this evaluation's);\n"
            "DIR/evaluate_samples.tsv, one row per sample: file (the row of evaluate.tsv,\n"
            "counting from 0), sample index, label, logit (one-logit models; - otherwise)\n"
            "and hit (1 when the prediction is the label; logit > 0 means label 1).\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            MAX_FILES, BATCH_DEFAULT, BATCH_MAX);
}

static void options_parse(int argc, char **argv, eval_options *o)
{
    static const struct option longs[] = {
        {"out", required_argument, 0, 'o'}, {"batch", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'}, {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},     {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->batch = BATCH_DEFAULT;
    o->device = "auto";
    const char *pos[MAX_FILES + 1];
    int npos = 0;
    optind = 1, opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "-:", longs, NULL);
        if (c == -1) break;
        switch (c) {
        case 1:
            if (npos == MAX_FILES + 1)
                ph_usage_error("evaluate: more than %d sample files (at '%s'; evaluate in several runs)",
                               MAX_FILES, optarg);
            pos[npos++] = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'b': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > BATCH_MAX)
                ph_usage_error("evaluate: --batch must be an integer in 1..%d, got '%s'", BATCH_MAX, optarg);
            o->batch = (int)v;
            break;
        }
        case 'd':
            if (strcmp(optarg, "auto") && strcmp(optarg, "cpu") && strcmp(optarg, "cuda"))
                ph_usage_error("evaluate: --device must be auto, cpu or cuda, got '%s'", optarg);
            o->device = optarg;
            break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("evaluate: option '%s' needs a value (see phasor-analyze evaluate --help)", argv[optind - 1]);
        default: ph_usage_error("evaluate: unknown option '%s' (see phasor-analyze evaluate --help)", argv[optind - 1]);
        }
    }
    if (npos < 2)
        ph_usage_error("evaluate: expected CHECKPOINT.h5 SAMPLES.h5 --out DIR (see phasor-analyze evaluate --help)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("evaluate: missing --out DIR (the folder for evaluate.tsv)");
    o->checkpoint = pos[0];
    o->nsamples = npos - 1;
    for (int i = 1; i < npos; i++) o->samples[i - 1] = pos[i];
}

/* ---- the checkpoint: attributes and its config text ----------------------------- */

/* A root attribute of an HDF5 file: a fixed-length string (malloc'd) or a number. */
/* A string attribute that older checkpoints may lack: "-" then (malloc'd). */
static char *attr_str_optional(const char *path, const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *s = f >= 0 ? ph_h5_attr_str(f, name) : NULL;
    if (f >= 0) H5Fclose(f);
    return s ? s : strdup("-");
}

/* The trimmed value of key in [section] of INI text (malloc'd), "" when absent. */
static char *ini_value(const char *text, const char *section, const char *key)
{
    char *sec = cfg_section_text(text, section), *out = NULL;
    for (char *save = NULL, *line = strtok_r(sec, "\n", &save); line && !out;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        char *k = line, *v = eq + 1;
        *eq = 0;
        while (*k == ' ' || *k == '\t') k++;
        for (char *z = eq - 1; z >= k && (*z == ' ' || *z == '\t'); z--) *z = 0;
        while (*v == ' ' || *v == '\t') v++;
        for (char *z = v + strlen(v) - 1; z >= v && (*z == ' ' || *z == '\t' || *z == '\r'); z--) *z = 0;
        if (!strcmp(k, key)) out = strdup(v);
    }
    free(sec);
    if (!out) out = strdup("");
    PH_CHECK_ALLOC(out, "reading the checkpoint's config");
    return out;
}

/* "key=value;key=value" of the model's section. */
static char *model_config_line(const char *text, const char *model)
{
    char *sec = cfg_section_text(text, model);
    ph_strbuf b = {0};
    ph_sb_printf(&b, "%s", "");
    int n = 0;
    char *first = strchr(sec, '\n');
    for (char *save = NULL, *line = strtok_r(first ? first + 1 : sec, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        char *k = line, *v = eq + 1;
        while (*k == ' ') k++;
        for (char *z = eq - 1; z >= k && *z == ' '; z--) *z = 0;
        while (*v == ' ') v++;
        ph_sb_printf(&b, "%s%s=%s", n++ ? ";" : "", k, v);
    }
    free(sec);
    return b.s;
}

/* ---- sample files ------------------------------------------------------------------ */

typedef struct {
    int present;
    char *challenge, *condition, *split;
    int64_t seed, n;
} file_id;

static int64_t samples_attr_i64(ph_samples_reader *r, const char *name)
{
    if (H5Aexists(r->file, name) <= 0) return -1;
    int64_t v = -1;
    hid_t a = H5Aopen(r->file, name, H5P_DEFAULT);
    if (a < 0) return -1;
    if (H5Aread(a, H5T_NATIVE_INT64, &v) < 0) v = -1;
    H5Aclose(a);
    return v;
}

/* Collective.  A file that does not exist is "not present" (decided on rank 0). */
static void file_id_read(file_id *id, const char *path)
{
    memset(id, 0, sizeof *id);
    id->seed = id->n = -1;
    int present = path && *path && ph_rank() == 0 ? ph_exists(path) : 0;
    PH_CHECK_MPI(MPI_Bcast(&present, 1, MPI_INT, 0, MPI_COMM_WORLD), "agreeing on a file", "another rank failed");
    if (!present) return;
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, path);
    id->present = 1;
    id->challenge = ph_samples_attr(&r, "challenge");
    id->condition = ph_samples_attr(&r, "condition");
    id->split = ph_samples_attr(&r, "split");
    id->seed = samples_attr_i64(&r, "seed");
    id->n = r.n;
    ph_samples_reader_close(&r);
}

static void file_id_free(file_id *id) { free(id->challenge), free(id->condition), free(id->split); }

static int str_same(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

/* Same challenge, condition and seed: the same samples. */
static int file_id_same(const file_id *a, const file_id *b)
{
    return a->present && b->present && str_same(a->challenge, b->challenge) &&
           str_same(a->condition, b->condition) && a->seed == b->seed;
}

/* ---- scoring ------------------------------------------------------------------------- */

typedef struct {
    int64_t n, correct;
    double loss;   /* mean */
    int32_t *label; /* per sample, on rank 0 */
    int *hit;
    double *logit; /* one-logit models; NULL otherwise */
} score;

/* The earlier stages the checkpoint's training continued ([train] init, followed back through
 * each stage's own checkpoint): "CONDITION STEPSxBATCH" each, oldest first, joined by " + ";
 * "" for a model trained from scratch.  A stage whose checkpoint is gone ends the chain. */
static char *curriculum_describe(const char *text)
{
    enum { MAX_STAGES = 16 };
    char *items[MAX_STAGES];
    int n = 0;
    char *init = ini_value(text, "train", "init");
    while (init[0] && n < MAX_STAGES) {
        ph_strbuf item = {0};
        if (!ph_exists(init)) {
            ph_sb_printf(&item, "(%s is gone)", init);
            items[n++] = item.s;
            break;
        }
        char *t = ph_checkpoint_attr_str(init, "config");
        char *path = ini_value(t, "train", "train"), *st = ini_value(t, "train", "steps"), *bt = ini_value(t, "train", "batch");
        file_id id;
        file_id_read(&id, path);
        ph_sb_printf(&item, "%s %sx%s", id.present && id.condition ? id.condition : "?", st, bt);
        items[n++] = item.s;
        file_id_free(&id);
        free(path), free(st), free(bt), free(init);
        init = ini_value(t, "train", "init");
        free(t);
    }
    free(init);
    ph_strbuf b = {0};
    ph_sb_printf(&b, "%s", "");
    for (int i = n - 1; i >= 0; i--) ph_sb_printf(&b, "%s%s", i < n - 1 ? " + " : "", items[i]), free(items[i]);
    return b.s;
}

static score score_samples(ph_model *m, ph_samples_reader *r, int batch, int outputs)
{
    const int64_t n = r->n;
    const size_t bytes = ph_model_input_count(m) / (size_t)batch; /* uint8 per sample */
    int64_t start, count;
    ph_rank_range(n, batch, ph_rank(), ph_size(), &start, &count);
    long long mine = (count + batch - 1) / batch, rounds = 0;
    PH_CHECK_MPI(MPI_Allreduce(&mine, &rounds, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                 "agreeing on the number of batches", "another rank failed; see its message");
    uint8_t *x = malloc((size_t)batch * bytes);
    int32_t *y = malloc((size_t)batch * sizeof *y);
    float *logits = malloc((size_t)batch * (size_t)outputs * sizeof *logits);
    int64_t *ids = malloc((size_t)batch * sizeof *ids);
    double *loss = calloc((size_t)(n ? n : 1), sizeof *loss), *logit = calloc((size_t)(n ? n : 1), sizeof *logit);
    int *right = calloc((size_t)(n ? n : 1), sizeof *right), *label = calloc((size_t)(n ? n : 1), sizeof *label);
    PH_CHECK_ALLOC(x && y && logits && ids && loss && right && logit && label, "allocating evaluation buffers");
    m->ids = ids;
    for (long long k = 0; k < rounds; k++) {
        int64_t s0 = start + k * batch, got = s0 < start + count ? start + count - s0 : 0;
        if (got > batch) got = batch;
        ph_samples_read(r, "x", PH_U8, s0, got, x);
        ph_samples_labels_read(r, s0, got, y, 0);
        if (got == 0) continue;
        /* A short last batch repeats its last sample; those outputs are dropped. */
        for (int64_t i = got; i < batch; i++) memcpy(x + i * bytes, x + (got - 1) * bytes, bytes), y[i] = y[got - 1];
        for (int i = 0; i < batch; i++) ids[i] = s0 + (i < got ? i : got - 1);
        ph_model_load(m, x);
        m->def->forward(m, 0);
        ph_dev_download(m->be, logits, m->logits, (size_t)batch * (size_t)outputs);
        for (int64_t i = 0; i < got; i++) {
            int ok = 0;
            const float *z = logits + i * outputs;
            loss[s0 + i] = outputs == 1 ? ph_bce_logits(z, &y[i], 1, NULL, &ok)
                                        : ph_softmax_ce(z, &y[i], 1, outputs, 0, NULL, &ok);
            right[s0 + i] = ok;
            label[s0 + i] = y[i];
            logit[s0 + i] = z[0];
        }
    }
    m->ids = NULL;
    /* Every other rank holds zeros for these samples: the sums are exact. */
    if (n > 0 && n <= INT32_MAX) {
        PH_CHECK_MPI(MPI_Reduce(ph_rank() ? loss : MPI_IN_PLACE, loss, (int)n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD),
                     "gathering per-sample losses", "another rank failed; see its message");
        PH_CHECK_MPI(MPI_Reduce(ph_rank() ? right : MPI_IN_PLACE, right, (int)n, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD),
                     "gathering per-sample hits", "another rank failed; see its message");
        PH_CHECK_MPI(MPI_Reduce(ph_rank() ? logit : MPI_IN_PLACE, logit, (int)n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD),
                     "gathering per-sample logits", "another rank failed; see its message");
        PH_CHECK_MPI(MPI_Reduce(ph_rank() ? label : MPI_IN_PLACE, label, (int)n, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD),
                     "gathering per-sample labels", "another rank failed; see its message");
    } else if (n > INT32_MAX) {
        PH_FAIL("evaluating", "more than 2^31 samples in one file", "split the file");
    }
    score s = {n, 0, 0, label, right, NULL};
    for (int64_t i = 0; i < n; i++) s.loss += loss[i], s.correct += right[i];
    s.loss = n ? s.loss / (double)n : 0;
    if (outputs == 1)
        s.logit = logit;
    else
        free(logit);
    free(x), free(y), free(logits), free(ids), free(loss);
    return s;
}

/* ---- output ---------------------------------------------------------------------------- */

/* A TSV cell: tabs and line breaks become spaces, empty becomes "-". */
static void sb_cell(ph_strbuf *b, const char *s, int last)
{
    if (!s || !*s) ph_sb_printf(b, "-");
    for (const char *p = s; p && *p; p++) ph_sb_printf(b, "%c", *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
    ph_sb_printf(b, last ? "\n" : "\t");
}

/* Scores one sample file (collective): the model rebuilt for its geometry, the
 * checkpoint loaded, every sample scored; refuses the training and validation
 * files.  Appends the file's row to `rows` and its samples to `per` (rank 0). */
static void evaluate_file(const eval_options *o, int index, const char *model_name, const char *text,
                          const file_id *tr, const file_id *va, const char *const info[9], double step, double best,
                          ph_strbuf *rows, ph_strbuf *per)
{
    const char *path = o->samples[index];
    const ph_model_def *def = ph_model_find(model_name);
    file_id test;
    file_id_read(&test, path);
    if (!test.present)
        ph_usage_error("evaluate: no sample file %s (generate the test split first)", path);
    if (file_id_same(&test, tr) || file_id_same(&test, va))
        ph_usage_error("evaluate: %s holds the same samples (challenge %s, condition %s, seed %lld) as the %s "
                       "file of %s (%s); evaluate on a held-out split generated with another seed",
                       path, test.challenge ? test.challenge : "?", test.condition ? test.condition : "?",
                       (long long)test.seed, file_id_same(&test, tr) ? "training" : "validation",
                       o->checkpoint, file_id_same(&test, tr) ? info[0] : info[1]);

    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, path);
    ph_field fx;
    ph_samples_field(&r, "x", &fx);
    const int video = fx.ndims == 4;
    if ((fx.ndims != 3 && fx.ndims != 4) || fx.type != PH_U8)
        ph_usage_error("evaluate: %s: /x is neither uint8 images [N,H,W,C] nor videos [N,T,H,W,C]", path);
    if (video != def->video)
        ph_usage_error("evaluate: model %s takes %s, but %s holds %s", model_name, def->video ? "videos" : "images",
                       path, video ? "videos" : "images");
    /* The channels must be the training samples' (frames and size may differ: the tracking
     * models are scored at other lengths); checkpoints that record their input say so here,
     * instead of a tensor size mismatch that seems to blame the checkpoint. */
    int64_t trained[4];
    const long long chans = (long long)fx.dims[fx.ndims - 1];
    if (ph_checkpoint_input_shape(o->checkpoint, trained) && trained[3] != chans)
        ph_usage_error("evaluate: %s has %lld channel(s) per pixel, but the model of %s was trained on samples of %lld "
                       "(%lld frame(s) of %lldx%lld); give a file with the training samples' channels",
                       path, chans, o->checkpoint, (long long)trained[3], (long long)trained[0], (long long)trained[1],
                       (long long)trained[2]);
    /* Classes from the labels (as phasor-train counts them); a mismatch with the
     * checkpoint's head is reported by ph_checkpoint_load. */
    int32_t most = 1;
    {
        int32_t *all = malloc((size_t)(r.n ? r.n : 1) * sizeof *all);
        PH_CHECK_ALLOC(all, "reading labels");
        ph_samples_labels_read(&r, 0, r.n, all, 0);
        for (int64_t i = 0; i < r.n; i++) most = all[i] > most ? all[i] : most;
        free(all);
    }
    const int outputs = most + 1 == 2 ? 1 : most + 1;

    const ph_backend *be = ph_backend_select(o->device, "--device");
    char machine[400];
    snprintf(machine, sizeof machine, "%s, %s backend", ph_machine(), be->name);

    const int v = video;
    ph_model_geometry g = {o->batch, v ? (int)fx.dims[0] : 1, (int)fx.dims[v], (int)fx.dims[v + 1], (int)fx.dims[v + 2],
                           outputs, 0, MPI_COMM_SELF};
    char *section = cfg_section_text(text, model_name);
    ph_model *m = ph_model_create_text(model_name, section, be, &g);
    ph_param *params[MAX_PARAMS];
    const int np = m->def->params(m, params, MAX_PARAMS);
    ph_checkpoint_load(o->checkpoint, params, np, model_name, NULL);
    m->step = (int64_t)step;
    const score s = score_samples(m, &r, o->batch, outputs);
    ph_samples_reader_close(&r);

    if (ph_rank() == 0) {
        char num[11][64];
        snprintf(num[0], 64, "%lld", (long long)test.seed);
        snprintf(num[1], 64, "%lld", (long long)s.n);
        snprintf(num[2], 64, "%lld", (long long)tr->seed);
        snprintf(num[3], 64, "%lld", (long long)tr->n);
        snprintf(num[4], 64, "%lld", (long long)va->seed);
        snprintf(num[5], 64, "%lld", (long long)step);
        snprintf(num[6], 64, "%.6f", best);
        snprintf(num[7], 64, "%lld", (long long)s.correct);
        snprintf(num[8], 64, "%.6f", s.n ? (double)s.correct / (double)s.n : 0.0);
        snprintf(num[9], 64, "%.6f", s.loss);
        snprintf(num[10], 64, "%lld", (long long)va->n);
        const char *row[] = {o->checkpoint, path, test.challenge, test.condition, test.split, num[0], num[1],
                             info[0], tr->condition, num[2], num[3], num[4], num[10], model_name, info[2], num[5],
                             info[3], info[4], info[5], info[7], info[6], num[6], num[7], num[8], num[9], PHASOR_VERSION,
                             PHASOR_GIT_COMMIT, info[8], machine};
        const int ncols = (int)(sizeof row / sizeof row[0]);
        for (int i = 0; i < ncols; i++) sb_cell(rows, row[i], i == ncols - 1);
        /* %.9g: a float logit exactly. */
        for (int64_t i = 0; i < s.n; i++) {
            ph_sb_printf(per, "%d\t%lld\t%d\t", index, (long long)i, (int)s.label[i]);
            if (s.logit)
                ph_sb_printf(per, "%.9g", s.logit[i]);
            else
                ph_sb_printf(per, "-");
            ph_sb_printf(per, "\t%d\n", s.hit[i]);
        }
        if (!o->quiet)
            fprintf(stderr, "phasor-analyze: evaluate: %s on %s: accuracy %.4f (%lld of %lld), loss %.4f\n",
                    o->checkpoint, path, s.n ? (double)s.correct / (double)s.n : 0.0, (long long)s.correct,
                    (long long)s.n, s.loss);
    }
    m->def->destroy(m);
    free(section), free(s.label), free(s.hit), free(s.logit);
    file_id_free(&test);
}

int ph_analyze_evaluate_main(int argc, char **argv)
{
    eval_options o;
    options_parse(argc, argv, &o);
    char tsv[4200], per_tsv[4200];
    snprintf(tsv, sizeof tsv, "%s/evaluate.tsv", o.out_dir);
    snprintf(per_tsv, sizeof per_tsv, "%s/evaluate_samples.tsv", o.out_dir);
    static const char *const files[] = {"evaluate.tsv", "evaluate_samples.tsv"};
    report_outputs_check("evaluate", o.out_dir, files, 2, o.force);

    /* The checkpoint: its model, config and step. */
    char *model_name = ph_checkpoint_attr_str(o.checkpoint, "model"), *text = ph_checkpoint_attr_str(o.checkpoint, "config");
    const double step = ph_checkpoint_attr_num(o.checkpoint, "step"), best = ph_checkpoint_attr_num(o.checkpoint, "best_metric");
    if (!ph_model_find(model_name))
        ph_usage_error("evaluate: %s holds model '%s', which this phasor does not have (rebuild phasor, or give "
                       "another checkpoint)", o.checkpoint, model_name);
    char *train_path = ini_value(text, "train", "train"), *val_path = ini_value(text, "train", "val");
    char *steps = ini_value(text, "train", "steps"), *tbatch = ini_value(text, "train", "batch");
    char *lr = ini_value(text, "train", "lr"), *rng_seed = ini_value(text, "train", "seed"), *mconf = model_config_line(text, model_name);

    /* The files the model trained and was selected on. */
    file_id tr, va;
    file_id_read(&tr, train_path);
    file_id_read(&va, val_path);
    if (ph_rank() == 0 && !o.quiet && !tr.present)
        fprintf(stderr, "phasor-analyze: evaluate: warning: the training file %s named in %s is not there; "
                "its size is reported as -1\n", train_path, o.checkpoint);

    static const char *const cols[] = {
        "checkpoint", "samples", "challenge", "condition", "split", "seed", "n", "train_file", "train_condition",
        "train_seed", "train_n", "val_seed", "val_n", "model", "model_config", "step", "steps", "batch", "lr",
        "rng_seed", "curriculum", "best_val_accuracy", "correct", "accuracy", "loss", "software_version", "git_commit",
        "train_machine", "machine"};
    const int ncols = (int)(sizeof cols / sizeof cols[0]);
    ph_strbuf rows = {0}, per = {0};
    for (int i = 0; i < ncols; i++) sb_cell(&rows, cols[i], i == ncols - 1);
    ph_sb_printf(&per, "file\tsample\tlabel\tlogit\thit\n");
    char *curriculum = curriculum_describe(text);
    char *train_machine = attr_str_optional(o.checkpoint, "machine");
    const char *const info[9] = {train_path, val_path, mconf, steps, tbatch, lr, curriculum, rng_seed, train_machine};
    for (int f = 0; f < o.nsamples; f++)
        evaluate_file(&o, f, model_name, text, &tr, &va, info, step, best, &rows, &per);

    if (ph_rank() == 0) {
        const char *const paths[2] = {per_tsv, tsv}, *const texts[2] = {per.s, rows.s};
        ph_write_files_atomic(2, paths, texts);
        if (!o.quiet) fprintf(stderr, "phasor-analyze: evaluate: wrote %s and %s\n", tsv, per_tsv);
    }
    free(rows.s), free(per.s);
    free(model_name), free(text), free(train_path), free(val_path), free(steps), free(tbatch);
    free(lr), free(rng_seed), free(mconf), free(curriculum), free(train_machine);
    file_id_free(&tr), file_id_free(&va);
    return 0;
}
