/* phasor-train: sample files -> a trained model, checkpoints and a metric log.
 *
 * Data parallel over MPI: every step draws a global batch of B sample indices
 * from Philox (seed, step), rank r runs items [r B/P, (r+1) B/P), and the
 * gradients of the global mean loss are summed over ranks in a few buckets
 * (common/nn/grad_exchange.h), so every rank applies the same update.  A rank reads only its own items, from
 * memory or streamed from the file while the step before computes
 * (common/io/sample_stream.h).  Resumes from OUT_DIR/checkpoint.h5;
 * SIGTERM/SIGINT/SIGUSR1 checkpoint and stop cleanly between steps. */
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "io/h5samples.h"
#include "io/sample_stream.h"
#include "models/model.h"
#include "nn/backend_select.h"
#include "nn/checkpoint.h"
#include "nn/grad_exchange.h"

#include <math.h>
#include "harmonize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cfg_key train_keys[] = {
    {"model", CFG_ENUM, "cnn3d", 0, 0, NULL /* the registry's names */, "which model to train (its own section sets its shape)"},
    {"device", CFG_ENUM, "auto", 0, 0, "auto|cpu|cuda", "backend: auto = cuda when a GPU is present, else cpu"},
    {"train", CFG_STRING, NULL, 0, 0, NULL, "training sample file (phasor-generate output)"},
    {"val", CFG_STRING, NULL, 0, 0, NULL, "validation sample file, same sample shape"},
    {"out_dir", CFG_STRING, "run", 0, 0, NULL, "folder for checkpoint.h5, best.h5 and train.jsonl"},
    {"steps", CFG_INT, "200", 1, 1e9, NULL, "optimisation steps"},
    {"batch", CFG_INT, "16", 1, 1 << 20, NULL, "global batch; must be a multiple of the rank count"},
    {"optimizer", CFG_ENUM, "adamw", 0, 0, "sgd|adam|adamw", "sgd (momentum, nesterov), adam (L2 in the gradient), adamw (decoupled decay)"},
    {"lr", CFG_REAL, "0.003", 0, 10, NULL, "peak learning rate"},
    {"weight_decay", CFG_REAL, "0", 0, 1, NULL, "weight decay (L2 for sgd/adam, decoupled for adamw)"},
    {"decay_norm", CFG_BOOL, "true", 0, 0, NULL, "also decay normalisation parameters (false excludes them)"},
    {"momentum", CFG_REAL, "0.9", 0, 1, NULL, "sgd momentum"},
    {"nesterov", CFG_BOOL, "false", 0, 0, NULL, "sgd Nesterov momentum"},
    {"beta1", CFG_REAL, "0.9", 0, 0.999999, NULL, "adam first-moment decay"},
    {"beta2", CFG_REAL, "0.999", 0, 0.999999, NULL, "adam second-moment decay"},
    {"schedule", CFG_ENUM, "constant", 0, 0, "constant|step|cosine", "learning-rate schedule after warm-up"},
    {"warmup", CFG_INT, "0", 0, 1e9, NULL, "linear warm-up steps"},
    {"step_size", CFG_INT, "1000", 1, 1e9, NULL, "step schedule: multiply by gamma every step_size steps"},
    {"gamma", CFG_REAL, "0.1", 0, 1, NULL, "step schedule factor"},
    {"min_lr", CFG_REAL, "0", 0, 10, NULL, "cosine schedule: learning rate at the last step"},
    {"label_smoothing", CFG_REAL, "0", 0, 0.999, NULL, "label smoothing of the softmax cross-entropy (more than 2 classes)"},
    {"seed", CFG_INT, "1", 0, 4294967295.0, NULL, "Philox seed: initial parameters, batch order, dropout"},
    {"init", CFG_STRING, "", 0, 0, NULL,
     "start from this checkpoint's weights (a curriculum or fine-tuning; optimiser moments and step start afresh; "
     "ignored when OUT_DIR/checkpoint.h5 exists, which resumes)"},
    {"sampler", CFG_ENUM, "random", 0, 0, "random|balanced",
     "batches: uniform draws (random), or every class equally often, in class order, each draw uniform within its class (balanced)"},
    {"reader", CFG_ENUM, "auto", 0, 0, "auto|memory|stream",
     "samples: each file read whole into memory (memory), or each rank's part of each batch read from the file "
     "while the step before computes (stream); auto: memory while the files' samples fit in memory_mb"},
    {"memory_mb", CFG_INT, "2048", 1, 1e9, NULL,
     "reader = auto: the most MiB of samples a rank holds in memory (the training file first, then validation)"},
    {"bucket_mb", CFG_REAL, "25", 0.001, 1024, NULL,
     "gradients are summed over ranks in buckets of this many MB (one collective each)"},
    {"precision", CFG_ENUM, "fp32", 0, 0, "fp32|bf16",
     "convolution arithmetic: fp32, or bf16 (inputs rounded to bfloat16, sums and weight gradients in fp32, "
     "weights kept in fp32; CPUs with AVX512-BF16 or AMX; about twice the convolution speed)"},
    {"overlap", CFG_ENUM, "on", 0, 0, "on|off",
     "on: a bucket's sum starts during the backward pass once its gradients are final (where they are summed "
     "in place: CPU, NCCL, CUDA-aware MPI); "
     "off: every bucket starts after it (the same sums either way)"},
    {"batch_norm", CFG_ENUM, "sync", 0, 0, "sync|local",
     "batch statistics summed over all ranks (sync: the result hardly depends on the rank count) "
     "or per rank (local: no collective in the passes, each rank normalises its own part of the batch)"},
    {"log_every", CFG_INT, "10", 1, 1e9, NULL, "steps between metric lines"},
    {"eval_every", CFG_INT, "50", 1, 1e9, NULL, "steps between validations (and at the end)"},
    {"checkpoint_every", CFG_INT, "100", 1, 1e9, NULL, "steps between checkpoints (and at the end)"},
};
static const cfg_section train_section = {"train", "what to train, on what, and how", train_keys,
                                          (int)(sizeof train_keys / sizeof train_keys[0]), 0};
enum { MAX_SECTIONS = 16, PH_TRAIN_MAX_CLASSES = 1024 };
static const cfg_section *sections[MAX_SECTIONS];
static int nsections;

/* [train] plus every registered model's own section. */
static void sections_init(void)
{
    train_keys[0].choices = ph_model_names();
    sections[nsections++] = &train_section;
    sections[nsections++] = &train_harmonize_section;
    for (int i = 0; i < ph_model_count && nsections < MAX_SECTIONS; i++) sections[nsections++] = ph_models[i]->section;
}

/* Resuming continues the run the checkpoint belongs to: every key must be as
 * it was, except how long it runs, how often it reports and where. */
static void resume_config_check(const cfg *c, const char *ckpt)
{
    static const char *const may_change[] = {"train.steps", "train.log_every", "train.eval_every",
                                             "train.checkpoint_every", "train.device", "train.out_dir",
                                             "train.reader", "train.memory_mb", "train.bucket_mb",
                                             "train.overlap", NULL};
    char *text = ph_checkpoint_config(ckpt);
    if (!text) return; /* an older checkpoint without its config: nothing to compare */
    cfg old;
    cfg_init(&old, sections, nsections);
    cfg_parse_text(&old, text, ckpt);
    const char *sec, *key;
    if (cfg_diff(c, &old, may_change, &sec, &key))
        ph_usage_error("%s: resuming with a changed config: [%s] %s = %s here (%s), %s in the checkpoint; run with "
                       "the checkpoint's config, or give another --out (or move %s away) to start anew", ckpt, sec,
                       key, cfg_str(c, sec, key), cfg_where(c, sec, key), cfg_str(&old, sec, key), ckpt);
    cfg_free(&old);
    free(text);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-train [options] CONFIG.ini\n"
            "\n"
            "Trains a model on a sample file with any number of MPI ranks (the global batch\n"
            "is split over them; gradients are summed).  Writes OUT_DIR/checkpoint.h5 (last),\n"
            "OUT_DIR/best.h5 (best validation accuracy) and OUT_DIR/train.jsonl.  Run again\n"
            "with the same arguments to resume from checkpoint.h5.  SIGTERM, SIGINT or\n"
            "SIGUSR1 save a checkpoint and stop between steps.\n"
            "\n"
            "options:\n"
            "  --set SECTION.KEY=VALUE  override a config key (repeatable)\n"
            "  --out DIR                same as --set train.out_dir=DIR\n"
            "  --device auto|cpu|cuda   same as --set train.device=...\n"
            "  --quiet                  no progress lines\n"
            "  --check CONFIG.ini...    validate the configs (keys, ranges, choices) and exit\n"
            "  --help, --version\n"
            "\n"
            "exit status: 0 success (also after a signal, once the checkpoint is saved),\n"
            "2 usage or config error, 1 runtime failure.  Under mpirun, send SIGUSR1 to\n"
            "mpirun (it forwards it and exits 0) or SIGTERM to the ranks: mpirun sent\n"
            "SIGTERM itself still has the checkpoint saved, but exits 1 (Open MPI's status).\n"
            "\nmodels:\n");
    for (int i = 0; i < ph_model_count; i++) fprintf(f, "  %-8s %s\n", ph_models[i]->name, ph_models[i]->summary);
    fprintf(f, "\nconfig keys (key, type, default, range, meaning):\n");
    cfg_help(f, sections, nsections);
}


/* A sample file: its labels in memory on every rank, its samples through a stream. */
typedef struct {
    const char *path;
    int64_t n;
    int video, t, h, w, c;
    int32_t *y;
    ph_sample_stream s;
    int streamed;
} dataset;

/* Shape and labels (collective); classes: the labels allowed (those of the
 * training file), 0 for the training file itself. */
static void dataset_open(dataset *d, const char *path, int classes)
{
    memset(d, 0, sizeof *d);
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, path);
    ph_field fx;
    ph_samples_stimuli_field(&r, &fx);
    d->path = path, d->n = r.n, d->video = fx.ndims == 4;
    int o = d->video;
    d->t = o ? (int)fx.dims[0] : 1, d->h = (int)fx.dims[o], d->w = (int)fx.dims[o + 1], d->c = (int)fx.dims[o + 2];
    d->y = malloc((size_t)r.n * sizeof *d->y + 1);
    PH_CHECK_ALLOC(d->y, "loading a sample file's labels");
    ph_samples_labels_read(&r, 0, r.n, d->y, classes);
    ph_samples_reader_close(&r);
}

static size_t dataset_sample_bytes(const dataset *d) { return (size_t)d->t * d->h * d->w * d->c; }

/* reader = auto: a file in memory while the samples held so far fit memory_mb per rank. */
static int dataset_streams(const cfg *c, double bytes, double *budget)
{
    const char *reader = cfg_str(c, "train", "reader");
    if (strcmp(reader, "auto")) return !strcmp(reader, "stream");
    if (bytes > *budget) return 1;
    *budget -= bytes;
    return 0;
}

/* Opens the samples' stream (field 0 the stimuli, then `more`) for batches of `batch`. */
static void dataset_stream_init(dataset *d, const cfg *c, const ph_stream_field *more, int nmore, int batch,
                                double *budget)
{
    ph_stream_field f[PH_STREAM_MAX_FIELDS] = {{"x", PH_U8, dataset_sample_bytes(d), NULL, NULL}};
    for (int i = 0; i < nmore; i++) f[1 + i] = more[i];
    const double bytes = ph_sample_stream_bytes(f, 1 + nmore, d->n);
    d->streamed = dataset_streams(c, bytes, budget);
    ph_sample_stream_init(&d->s, MPI_COMM_WORLD, d->path, f, 1 + nmore, batch, d->streamed);
}

static void dataset_free(dataset *d)
{
    ph_sample_stream_free(&d->s);
    free(d->y);
}

/* The model's auxiliary rows (model.h aux_*) as a stream field's reader. */
static void model_aux_read(const void *ctx, ph_samples_reader *r, int64_t start, int64_t count, void *out)
{
    const ph_model *m = ctx;
    m->def->aux_read(m, r, start, count, out);
}

/* Peak resident and virtual memory of this process so far, MiB (Linux). */
static void memory_peaks(double *rss_mib, double *vm_mib)
{
    *rss_mib = *vm_mib = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    long long kb;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) *rss_mib = kb / 1024.0;
        if (sscanf(line, "VmPeak: %lld kB", &kb) == 1) *vm_mib = kb / 1024.0;
    }
    fclose(f);
}

/* Indices of the training samples by class, for the balanced sampler. */
typedef struct {
    int64_t *idx[PH_TRAIN_MAX_CLASSES];
    int64_t n[PH_TRAIN_MAX_CLASSES];
    int classes;
} class_lists;

static void class_lists_init(class_lists *l, const dataset *d, int classes, const char *path)
{
    memset(l, 0, sizeof *l);
    if (classes > PH_TRAIN_MAX_CLASSES)
        ph_usage_error("config error: [train] sampler = balanced supports up to %d classes, but %s has %d "
                       "(use sampler = random)", PH_TRAIN_MAX_CLASSES, path, classes);
    l->classes = classes;
    for (int k = 0; k < classes; k++) {
        l->idx[k] = malloc((size_t)(d->n ? d->n : 1) * sizeof *l->idx[k]);
        PH_CHECK_ALLOC(l->idx[k], "listing samples by class");
    }
    for (int64_t i = 0; i < d->n; i++) {
        const int k = d->y[i];
        if (k >= 0 && k < classes) l->idx[k][l->n[k]++] = i;
    }
    for (int k = 0; k < classes; k++)
        if (!l->n[k])
            ph_usage_error("config error: [train] sampler = balanced, but %s has no sample of class %d "
                           "(use sampler = random, or a training file with every class)", path, k);
}

static void class_lists_free(class_lists *l)
{
    for (int k = 0; k < l->classes; k++) free(l->idx[k]);
}

/* The global batch of a step: B indices from Philox (seed, step), the same on every rank.
 * Balanced: position i holds class i mod K, so every rank's share is balanced too when its
 * local batch is a multiple of K. */
static void batch_draw(uint32_t seed, int64_t step, int batch, int64_t n, const class_lists *bal, int64_t *idx)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_BATCH, (uint64_t)step, 0);
    for (int i = 0; i < batch; i++) {
        if (!bal) {
            idx[i] = (int64_t)ph_rng_below(&r, (uint32_t)n);
        } else {
            const int k = i % bal->classes;
            idx[i] = bal->idx[k][ph_rng_below(&r, (uint32_t)bal->n[k])];
        }
    }
}

/* This rank's labels of the given samples. */
static void labels_fill(const dataset *d, const int64_t *idx, int local, int32_t *labels)
{
    for (int i = 0; i < local; i++) labels[i] = d->y[idx[i]];
}

/* Loss (mean), its gradient (may be NULL) and hits: BCE on one logit for two
 * classes, softmax cross-entropy (with label smoothing) otherwise. */
static double task_loss(const ph_model *m, const float *logits, const int32_t *labels, float *grad,
                        int *right, double smoothing)
{
    if (m->g.outputs == 1) return ph_bce_logits(logits, labels, m->g.n, grad, right);
    return ph_softmax_ce(logits, labels, m->g.n, m->g.outputs, smoothing, grad, right);
}

/* This rank's samples of validation batch k, into idx. */
static void val_batch(int64_t k, int batch, int local, int64_t *idx)
{
    for (int i = 0; i < local; i++) idx[i] = k * batch + (int64_t)ph_rank() * local + i;
}

/* Mean loss and accuracy over the first floor(V / B) * B validation samples,
 * the next batch read while this one computes. */
static void evaluate(ph_model *m, dataset *val, int batch, int32_t *labels, float *logits, double smoothing,
                     double *loss, double *acc)
{
    double sums[3] = {0, 0, 0};
    int local = m->g.n;
    int64_t idx[2][4096];
    const int64_t *train_ids = m->ids;
    const int64_t batches = val->n / batch;
    if (batches) val_batch(0, batch, local, idx[0]), ph_sample_stream_fetch(&val->s, idx[0], local);
    for (int64_t k = 0; k < batches; k++) {
        const int64_t *ids = idx[k % 2];
        m->ids = ids; /* models that draw per sample (the CV-RNN's phases) key on these ids */
        ph_sample_stream_next(&val->s);
        labels_fill(val, ids, local, labels);
        if (k + 1 < batches)
            val_batch(k + 1, batch, local, idx[(k + 1) % 2]), ph_sample_stream_fetch(&val->s, idx[(k + 1) % 2], local);
        ph_model_load(m, ph_sample_stream_rows(&val->s, 0));
        m->def->forward(m, 0);
        ph_dev_download(m->be, logits, m->logits, (size_t)local * m->g.outputs);
        int right = 0;
        sums[0] += task_loss(m, logits, labels, NULL, &right, smoothing) * local;
        sums[1] += right, sums[2] += local;
    }
    m->ids = train_ids;
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
                 "summing validation results", "another rank failed");
    *loss = sums[2] ? sums[0] / sums[2] : NAN;
    *acc = sums[2] ? sums[1] / sums[2] : NAN;
}

/* The classes of a training set: 0 .. its largest label (at least two). */
static int class_count(const dataset *d)
{
    int32_t most = 1;
    for (int64_t i = 0; i < d->n; i++) most = d->y[i] > most ? d->y[i] : most;
    return (int)most + 1;
}

static ph_optim optim_from_config(const cfg *c, int64_t steps)
{
    ph_optim o = ph_optim_default();
    const char *k = cfg_str(c, "train", "optimizer"), *sch = cfg_str(c, "train", "schedule");
    for (int i = 0; i < PH_OPT_COUNT; i++)
        if (!strcmp(k, ph_opt_names[i])) o.kind = (ph_opt_kind)i;
    for (int i = 0; i < PH_SCHED_COUNT; i++)
        if (!strcmp(sch, ph_sched_names[i])) o.schedule = (ph_sched_kind)i;
    o.lr = (float)cfg_real(c, "train", "lr");
    o.weight_decay = (float)cfg_real(c, "train", "weight_decay");
    o.decay_norm = cfg_bool(c, "train", "decay_norm");
    o.momentum = (float)cfg_real(c, "train", "momentum");
    o.nesterov = cfg_bool(c, "train", "nesterov");
    o.beta1 = (float)cfg_real(c, "train", "beta1");
    o.beta2 = (float)cfg_real(c, "train", "beta2");
    o.warmup = cfg_int(c, "train", "warmup");
    o.step_size = cfg_int(c, "train", "step_size");
    o.gamma = (float)cfg_real(c, "train", "gamma");
    o.min_lr = (float)cfg_real(c, "train", "min_lr");
    o.total = steps;
    return o;
}

/* On resuming after `step`: the log's lines of later steps belong to the part of the
 * interrupted run that the checkpoint does not hold, and the resumed run writes them anew;
 * they are dropped (atomically) so no step is logged twice. */
static void log_truncate(const char *out_dir, int64_t step)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/train.jsonl", out_dir);
    FILE *f = fopen(path, "r");
    if (!f) return; /* no log yet */
    ph_strbuf keep = {0};
    char line[8192];
    int dropped = 0;
    while (fgets(line, sizeof line, f)) {
        long long s = 0;
        if (sscanf(line, "{\"step\":%lld", &s) == 1 && s > step)
            dropped = 1;
        else
            ph_sb_printf(&keep, "%s", line);
    }
    PH_CHECK_LIBC(!ferror(f), "reading the metrics log", "check the output folder");
    fclose(f);
    if (dropped) ph_write_file_atomic(path, keep.s ? keep.s : "", keep.len);
    free(keep.s);
}

static void log_line(const char *out_dir, const char *json)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/train.jsonl", out_dir);
    FILE *f = fopen(path, "a");
    PH_CHECK_LIBC(f != NULL, "opening the metrics log", "check that the output folder is writable");
    int bad = fputs(json, f) == EOF;
    bad |= fclose(f) != 0;
    PH_CHECK_LIBC(!bad, "writing the metrics log", "check free space");
}

static ph_model *model_create(const cfg *c, const ph_backend *be, const dataset *tr, int local,
                              int outputs, uint32_t seed)
{
    const ph_model_def *def = ph_model_find(cfg_str(c, "train", "model"));
    if (def->video != tr->video)
        ph_usage_error("config error: model %s takes %s, but %s holds %s (choose a model for this data)",
                       def->name, def->video ? "videos" : "images", cfg_str(c, "train", "train"),
                       tr->video ? "videos" : "images");
    const MPI_Comm norm_comm = strcmp(cfg_str(c, "train", "batch_norm"), "local") ? MPI_COMM_WORLD : MPI_COMM_SELF;
    ph_model_geometry g = {local, tr->t, tr->h, tr->w, tr->c, outputs, seed, norm_comm};
    return ph_model_create(def, c, be, &g);
}

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "train");
    ph_profile_from_env();
    ph_signals_install_stop();
    sections_init();
    ph_stage_options o;
    ph_stage_options_parse(argc, argv, "train.out_dir", "train.device", 0, usage, &o);
    if (o.check) ph_stage_check_configs(&o, sections, nsections, NULL);
    cfg c;
    cfg_init(&c, sections, nsections);
    ph_config_load(&c, o.config_path);
    for (int i = 0; i < o.nsets; i++) cfg_override(&c, o.sets[i]);
    cfg_validate(&c);

    const int64_t steps = cfg_int(&c, "train", "steps");
    const int batch = (int)cfg_int(&c, "train", "batch");
    const uint32_t seed = (uint32_t)cfg_int(&c, "train", "seed");
    const double smoothing = cfg_real(&c, "train", "label_smoothing");
    const char *out_dir = cfg_str(&c, "train", "out_dir"), *model_name = cfg_str(&c, "train", "model");
    if (batch % ph_size() || batch / ph_size() > 4096)
        ph_usage_error("config error at %s: [train] batch = %d must be a multiple of the %d ranks, "
                       "at most 4096 per rank (change batch or -np)", cfg_where(&c, "train", "batch"),
                       batch, ph_size());
    const int local = batch / ph_size();
    const ph_backend *be = ph_backend_select(cfg_str(&c, "train", "device"), "[train] device");
    {
        const ph_precision prec = strcmp(cfg_str(&c, "train", "precision"), "bf16") ? PH_PRECISION_FP32 : PH_PRECISION_BF16;
        char why[256];
        if (PH_OP_CALL(be, conv_precision, why, sizeof why, prec))
            ph_usage_error("config error at %s: precision = %s: %s", cfg_where(&c, "train", "precision"),
                           ph_precision_names[prec], why);
    }

    char msg[1024] = "";
    if (ph_rank() == 0 && ph_mkdir_p(out_dir))
        snprintf(msg, sizeof msg, "cannot create output folder %s: %s (choose a writable --out)",
                 out_dir, strerror(errno));
    ph_usage_check_bcast(msg);
    ph_out_dir_lock(out_dir); /* one run at a time per folder */

    dataset tr, va;
    dataset_open(&tr, cfg_str(&c, "train", "train"), 0);
    dataset_open(&va, cfg_str(&c, "train", "val"), class_count(&tr));
    if (tr.video != va.video || tr.t != va.t || tr.h != va.h || tr.w != va.w || tr.c != va.c) {
        snprintf(msg, sizeof msg, "validation samples are %dx%dx%dx%d but training samples are %dx%dx%dx%d "
                 "(give a validation file of the same challenge condition)", va.t, va.h, va.w, va.c,
                 tr.t, tr.h, tr.w, tr.c);
        ph_usage_check_bcast(msg);
    }
    const int classes = class_count(&tr), outputs = classes == 2 ? 1 : classes;
    const int balanced = !strcmp(cfg_str(&c, "train", "sampler"), "balanced");
    class_lists lists;
    memset(&lists, 0, sizeof lists);
    if (balanced) class_lists_init(&lists, &tr, classes, cfg_str(&c, "train", "train"));

    ph_model *m = model_create(&c, be, &tr, local, outputs, seed);
    train_harmonizer harm;
    train_harmonize_init(&harm, &c, m, cfg_str(&c, "train", "train"), batch);
    /* the training stream: x, then the model's auxiliary rows, then the human maps */
    ph_stream_field more[PH_STREAM_MAX_FIELDS - 1];
    int nmore = 0, f_aux = 0, f_harm = 0;
    const size_t aux_bytes = m->def->aux_bytes ? m->def->aux_bytes(m) : 0;
    if (aux_bytes) {
        more[nmore++] = (ph_stream_field){"the model's auxiliary data", PH_U8, aux_bytes, model_aux_read, m};
        f_aux = nmore; /* the stream's field 0 is x */
    }
    if (harm.on) {
        f_harm = nmore + 1;
        nmore += train_harmonize_fields(&harm, more + nmore);
    }
    double budget = (double)cfg_int(&c, "train", "memory_mb") * 1048576.0;
    dataset_stream_init(&tr, &c, more, nmore, local, &budget);
    dataset_stream_init(&va, &c, NULL, 0, local, &budget);
    enum { MAX_PARAMS = 1024 };
    ph_param **params = malloc(MAX_PARAMS * sizeof *params);
    PH_CHECK_ALLOC(params, "listing parameters");
    int np = m->def->params(m, params, MAX_PARAMS);
    ph_grad_exchange exchange;
    ph_grad_exchange_init(&exchange, params, np, MPI_COMM_WORLD, cfg_real(&c, "train", "bucket_mb") * 1e6,
                          !strcmp(cfg_str(&c, "train", "overlap"), "on"), PH_EXCHANGE_NCCL);
    float *logits = malloc((size_t)local * outputs * sizeof *logits),
          *dlogits = malloc((size_t)local * outputs * sizeof *dlogits);
    int32_t *labels = malloc((size_t)local * sizeof *labels);
    int64_t *idx_steps = malloc(2 * (size_t)batch * sizeof *idx_steps); /* this step's and the next one's */
    if (!logits || !dlogits || !labels || !idx_steps)
        PH_FAIL("allocating training buffers", "out of memory", "use a smaller batch");

    char ckpt[4200], best[4200];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.h5", out_dir);
    snprintf(best, sizeof best, "%s/best.h5", out_dir);
    int64_t step = 0;
    double best_acc = -1;
    const char *init = cfg_str(&c, "train", "init");
    if (ph_exists(ckpt)) {
        step = ph_checkpoint_load(ckpt, params, np, model_name, &best_acc); /* another shape: named there */
        resume_config_check(&c, ckpt);
        if (ph_rank() == 0) log_truncate(out_dir, step);
    } else if (init[0]) {
        if (!ph_exists(init))
            ph_usage_error("config error: [train] init = %s does not exist (give a checkpoint.h5 or best.h5 of "
                           "phasor-train)", init);
        ph_checkpoint_load(init, params, np, model_name, NULL);
        ph_params_zero_moments(params, np); /* weights only: the moments belong to the earlier run */
    }
    char *effective = cfg_effective_text(&c);
    char machine[400];
    snprintf(machine, sizeof machine, "%s, %s backend, %d rank(s)", ph_machine(), be->name, ph_size());
    if (ph_rank() == 0 && !o.quiet) {
        fprintf(stderr, "phasor-train: %s on %s, %d rank(s) x batch %d, %d classes, %s step %lld of %lld\n",
                model_name, be->name, ph_size(), local, classes, step ? "resuming after" : "starting at",
                (long long)step, (long long)steps);
        if (exchange.path == PH_EXCHANGE_NONE)
            fprintf(stderr, "phasor-train: %zu trainable parameters in %d tensors; one rank: no gradients to sum "
                    "over ranks\n", exchange.parameters, exchange.tensors);
        else /* the path, and why a faster one was passed over */
            fprintf(stderr, "phasor-train: %zu trainable parameters in %d tensors; gradients summed over ranks %s "
                    "(%zu floats with the arena's padding) in %d bucket(s) of at most %g MB%s%s%s\n",
                    exchange.parameters, exchange.tensors, ph_exchange_path_text[exchange.path], exchange.total,
                    exchange.nbuckets, cfg_real(&c, "train", "bucket_mb"),
                    exchange.why[0] ? " (" : "", exchange.why, exchange.why[0] ? ")" : "");
        const dataset *ds[2] = {&tr, &va};
        for (int k = 0; k < 2; k++)
            fprintf(stderr, "phasor-train: %s: %lld samples, %.0f MiB, %s\n", ds[k]->path, (long long)ds[k]->n,
                    ph_sample_stream_bytes(ds[k]->s.fields, ds[k]->s.nfields, ds[k]->n) / 1048576.0,
                    ds[k]->streamed ? "streamed from the file" : "in memory");
    }

    const ph_optim opt = optim_from_config(&c, steps);
    const int64_t log_every = cfg_int(&c, "train", "log_every"), eval_every = cfg_int(&c, "train", "eval_every"),
                  ckpt_every = cfg_int(&c, "train", "checkpoint_every");
    /* GFLOP/s of all ranks together: each rank's step does the local batch's work. */
    const double step_flops = m->def->step_flops(m);
    double loss_sum = 0, acc_sum = 0, aux_sum = 0, harm_sum = 0, t_log = ph_now();
    int64_t since_log = 0;
    ph_progress prog;
    ph_progress_init(&prog, "train", "steps", steps - step, !o.quiet && ph_rank() == 0);
    const int64_t first = step;
    double wait_at_log = 0, exchange_at_log = 0;
    long long early_at_log = 0;
    if (step < steps) {
        batch_draw(seed, step + 1, batch, tr.n, balanced ? &lists : NULL, idx_steps + (size_t)((step + 1) % 2) * batch);
        ph_sample_stream_fetch(&tr.s, idx_steps + (size_t)((step + 1) % 2) * batch + (size_t)ph_rank() * local, local);
    }
    while (step < steps) {
        step++;
        int64_t *idx = idx_steps + (size_t)(step % 2) * batch, *next = idx_steps + (size_t)((step + 1) % 2) * batch;
        ph_sample_stream_next(&tr.s);
        labels_fill(&tr, idx + (size_t)ph_rank() * local, local, labels);
        if (step < steps) { /* the next step's samples, read while this one computes */
            batch_draw(seed, step + 1, batch, tr.n, balanced ? &lists : NULL, next);
            ph_sample_stream_fetch(&tr.s, next + (size_t)ph_rank() * local, local);
        }
        const uint8_t *aux = f_aux ? ph_sample_stream_rows(&tr.s, f_aux) : NULL;
        m->ids = idx + (size_t)ph_rank() * local;
        m->step = step;
        ph_model_load(m, ph_sample_stream_rows(&tr.s, 0));
        m->def->forward(m, 1);
        ph_dev_download(be, logits, m->logits, (size_t)local * outputs);
        int right = 0;
        double loss = task_loss(m, logits, labels, dlogits, &right, smoothing);
        /* the model's own loss (weighted for the global mean), added to its gradient in backward */
        double aux_loss = aux ? m->def->aux_loss(m, aux, 1.0 / batch) : 0;
        /* dlogits is d(local mean)/dlogit; the global mean needs local / B of it. */
        for (int i = 0; i < local * outputs; i++) dlogits[i] *= (float)local / (float)batch;
        double harm_loss = 0;
        if (harm.on) {
            harm_loss = train_harmonize_backward(&harm, m, params, np, ph_sample_stream_rows(&tr.s, f_harm),
                                                 nmore > f_harm ? ph_sample_stream_rows(&tr.s, f_harm + 1) : NULL,
                                                 labels, dlogits);
        } else {
            ph_params_zero_grad(params, np);
            ph_grad_exchange_begin(&exchange);
            ph_model_backward_host(m, dlogits);
        }
        ph_grad_exchange_run(&exchange);
        ph_optim_step(&opt, params, np, step);
        double global[4] = {loss * local / batch, (double)right / batch, aux_loss, harm_loss};
        PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, global, 4, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
                     "summing the loss", "another rank failed");
        loss_sum += global[0], acc_sum += global[1], aux_sum += global[2], harm_sum += global[3], since_log++;
        ph_strbuf line = {0};
        if (step % log_every == 0 || step == steps) {
            double now = ph_now(), rss, vm;
            double sps = since_log * batch / (now - t_log);
            memory_peaks(&rss, &vm);
            ph_sb_printf(&line,
                         "{\"step\":%lld,\"loss\":%.9g,\"accuracy\":%.6f,\"lr\":%g,"
                         "\"samples_per_second\":%.2f,\"gflops\":%.2f,\"data_wait\":%.4f,"
                         "\"peak_rss_mib\":%.0f,\"peak_vm_mib\":%.0f",
                         (long long)step, loss_sum / since_log, acc_sum / since_log,
                         ph_optim_lr(&opt, step), sps, sps / local * step_flops / 1e9,
                         (tr.s.wait_seconds - wait_at_log) / (now - t_log), rss, vm);
            wait_at_log = tr.s.wait_seconds;
            /* the exchange's exposed part: what the backward pass did not hide */
            ph_sb_printf(&line, ",\"exchange_ms\":%.3f,\"buckets_overlapped\":%.2f",
                         1e3 * (exchange.exposed_seconds - exchange_at_log) / since_log,
                         (double)(exchange.early - early_at_log) / since_log);
            exchange_at_log = exchange.exposed_seconds, early_at_log = exchange.early;
            if (aux) ph_sb_printf(&line, ",\"aux_loss\":%.9g", aux_sum / since_log);
            if (harm.on) ph_sb_printf(&line, ",\"harmonization_loss\":%.9g", harm_sum / since_log);
            ph_sb_printf(&line, "}\n");
            loss_sum = acc_sum = aux_sum = harm_sum = 0, since_log = 0, t_log = now;
        }
        ph_checkpoint_meta meta = {model_name, step, seed, batch, best_acc, effective, {tr.t, tr.h, tr.w, tr.c}, machine};
        const int saves = step % ckpt_every == 0 || step == steps, evals = step % eval_every == 0 || step == steps;
        if (saves || evals || ph_stop_signal) ph_sample_stream_sync(&tr.s); /* HDF5: one thread at a time */
        if (evals) {
            double vl, va_acc;
            evaluate(m, &va, batch, labels, logits, smoothing, &vl, &va_acc);
            ph_sb_printf(&line, "{\"step\":%lld,\"val_loss\":%.9g,\"val_accuracy\":%.6f}\n",
                         (long long)step, vl, va_acc);
            if (va_acc > best_acc) {
                best_acc = meta.best_metric = va_acc;
                if (ph_rank() == 0) ph_checkpoint_save(best, params, np, &meta);
            }
        }
        if (ph_rank() == 0 && line.s) log_line(out_dir, line.s);
        free(line.s);
        int stop = ph_stop_signal;
        PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD),
                     "agreeing on a stop", "another rank failed");
        if (saves || stop) {
            ph_sample_stream_sync(&tr.s);
            if (ph_rank() == 0) ph_checkpoint_save(ckpt, params, np, &meta);
            PH_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD), "waiting for the checkpoint", "rank 0 failed");
        }
        ph_progress_update(&prog, step - first);
        if (stop) {
            if (ph_rank() == 0)
                fprintf(stderr, "phasor-train: stopped by signal %d after step %lld; checkpoint saved "
                        "in %s (run the same command to resume)\n", stop, (long long)step, ckpt);
            break;
        }
    }
    if (!ph_stop_signal) ph_progress_finish(&prog);
    if (ph_profile_on && ph_rank() == 0) ph_profile_print(stderr, "phasor-train (rank 0, PHASOR_PROFILE)");
    if (ph_rank() == 0 && !o.quiet && !ph_stop_signal)
        fprintf(stderr, "phasor-train: done at step %lld; best validation accuracy %.4f; outputs in %s\n",
                (long long)step, best_acc, out_dir);
    ph_grad_exchange_free(&exchange);
    free(effective), free(logits), free(dlogits), free(labels), free(idx_steps);
    free(params);
    train_harmonize_free(&harm);
    m->def->destroy(m);
    dataset_free(&tr), dataset_free(&va);
    class_lists_free(&lists);
    cfg_free(&c);
    ph_stage_end();
    return 0;
}
