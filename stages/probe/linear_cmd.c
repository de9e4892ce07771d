/* linear_cmd.c: phasor-probe linear: the linear-probe protocol of the 3D-PC
 * study (Linsley et al., arXiv 2406.04138; serre-lab/VPT run_linear_probe.py) on stored layer features
 * (common/neural/linear_probe.h): train on one features file, pick the epoch
 * with the best validation accuracy, report the test accuracy at that epoch.
 *
 * The probe is tiny and runs on rank 0 (other ranks wait), so the outputs do
 * not depend on the rank count. */
#include "probe.h"

#include "core/error.h"
#include "core/rng.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "neural/linear_probe.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *files[3], *out_dir, *layer, *pool;
    int nfiles, epochs, batch, force, quiet;
    double lr, wd, dropout;
    uint32_t seed;
} linear_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-probe linear TRAIN.h5 VAL.h5 [TEST.h5] --layer L --out DIR [options]\n"
            "\n"
            "The 3D-PC linear probe (Linsley et al., arXiv 2406.04138) on features from phasor-probe\n"
            "features: BatchNorm1d without affine (eps 1e-6) -> Dropout -> Linear (one logit and\n"
            "BCE for two classes, softmax cross-entropy for more), AdamW, shuffled batches with\n"
            "the last short batch dropped; after each epoch the accuracies in evaluation mode; the\n"
            "epoch with the best validation accuracy (the first of equals) is reported.\n"
            "\n"
            "options:\n"
            "  --layer L      the layer of the features files (required)\n"
            "  --pool P       mean (the grid cells averaged: a pooled embedding, default) or flat\n"
            "  --out DIR      output folder (created if missing; required)\n"
            "  --epochs E     default 30      --batch B    default 16\n"
            "  --lr R         default 5e-5    --wd W       default 1e-4 (AdamW)\n"
            "  --dropout P    default 0.3     --seed S     default 1 (Philox)\n"
            "  --force        replace existing outputs    --quiet   no final line\n"
            "\n"
            "writes: DIR/linear.tsv (epoch, train_loss, train_acc, val_acc, test_acc; - without a\n"
            "test file) and DIR/linear_best.tsv (layer, pool, best_epoch, val_acc, test_acc).\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n");
}

static const char *const pool_names[] = {"mean", "flat", NULL};

static void parse(int argc, char **argv, linear_options *o)
{
    memset(o, 0, sizeof *o);
    o->pool = "mean", o->epochs = 30, o->batch = 16, o->lr = 5e-5, o->wd = 1e-4, o->dropout = 0.3, o->seed = 1;
    const probe_opt opts[] = {
        {"layer", PROBE_OPT_STR, &o->layer, 0, 0, NULL},         {"pool", PROBE_OPT_CHOICE, &o->pool, 0, 0, pool_names},
        {"out", PROBE_OPT_STR, &o->out_dir, 0, 0, NULL},         {"epochs", PROBE_OPT_INT, &o->epochs, 1, 100000, NULL},
        {"batch", PROBE_OPT_INT, &o->batch, 2, 1 << 20, NULL},   {"lr", PROBE_OPT_REAL, &o->lr, 0, 10, NULL},
        {"wd", PROBE_OPT_REAL, &o->wd, 0, 10, NULL},             {"dropout", PROBE_OPT_REAL, &o->dropout, 0, 0.99, NULL},
        {"seed", PROBE_OPT_U32, &o->seed, 0, 4294967295.0, NULL}, {"force", PROBE_OPT_FLAG, &o->force, 0, 0, NULL},
        {"quiet", PROBE_OPT_FLAG, &o->quiet, 0, 0, NULL}};
    o->nfiles = probe_parse_args("linear", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), o->files, 3, usage);
    if (o->nfiles < 2) ph_usage_error("linear: expected TRAIN.h5 VAL.h5 [TEST.h5] (see phasor-probe linear --help)");
    if (!o->layer) ph_usage_error("linear: missing --layer L");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("linear: missing --out DIR");
}

typedef struct {
    int n, d;
    float *x;  /* [n, d] */
    int32_t *y;
} probe_set;

static void set_read(const linear_options *o, const char *path, probe_set *s)
{
    char ds[128];
    snprintf(ds, sizeof ds, "features/%s", o->layer);
    int nd = 0, ny = 0;
    int64_t dims[8], ydims[8];
    float *f = probe_read_f32(path, ds, &nd, dims);
    float *yf = probe_read_f32(path, "y", &ny, ydims);
    if (nd != 4) ph_usage_error("linear: %s: /%s is not [N, G, G, C]", path, ds);
    if (ny != 1 || ydims[0] != dims[0]) ph_usage_error("linear: %s: /y does not hold one label per image", path);
    s->n = (int)dims[0];
    const size_t cells = (size_t)dims[1] * dims[2], c = (size_t)dims[3];
    s->d = !strcmp(o->pool, "mean") ? (int)c : (int)(cells * c);
    s->x = malloc((size_t)(s->n ? s->n : 1) * s->d * sizeof *s->x);
    s->y = malloc((size_t)(s->n ? s->n : 1) * sizeof *s->y);
    PH_CHECK_ALLOC(s->x && s->y, "reading probe features");
    for (int i = 0; i < s->n; i++) {
        s->y[i] = (int32_t)yf[i];
        const float *img = f + (size_t)i * cells * c;
        if (s->d == (int)c) {
            for (size_t k = 0; k < c; k++) {
                double acc = 0;
                for (size_t v = 0; v < cells; v++) acc += img[v * c + k];
                s->x[(size_t)i * c + k] = (float)(acc / (double)cells);
            }
        } else {
            memcpy(s->x + (size_t)i * s->d, img, cells * c * sizeof *img);
        }
    }
    free(f), free(yf);
}

int probe_linear_main(int argc, char **argv)
{
    linear_options o;
    parse(argc, argv, &o);
    char tsv_path[4200], best_path[4200];
    probe_out_path("linear", o.out_dir, "linear.tsv", o.force, tsv_path, sizeof tsv_path);
    probe_out_path("linear", o.out_dir, "linear_best.tsv", o.force, best_path, sizeof best_path);
    probe_set sets[3];
    memset(sets, 0, sizeof sets);
    for (int i = 0; i < o.nfiles; i++) set_read(&o, o.files[i], &sets[i]);
    int most = 1;
    for (int i = 0; i < sets[0].n; i++) {
        if (sets[0].y[i] < 0) ph_usage_error("linear: %s: a negative label", o.files[0]);
        most = sets[0].y[i] > most ? sets[0].y[i] : most;
    }
    for (int f = 1; f < o.nfiles; f++) {
        if (sets[f].d != sets[0].d)
            ph_usage_error("linear: %s has %d features per image but %s has %d (same model, layer and grid needed)",
                           o.files[f], sets[f].d, o.files[0], sets[0].d);
        for (int i = 0; i < sets[f].n; i++)
            if (sets[f].y[i] < 0 || sets[f].y[i] > most)
                ph_usage_error("linear: %s: label %d is not among the training classes 0..%d", o.files[f], sets[f].y[i], most);
    }
    if (sets[0].n < o.batch) ph_usage_error("linear: %s holds %d images, fewer than one batch of %d", o.files[0], sets[0].n, o.batch);
    const int outputs = most + 1 == 2 ? 1 : most + 1;

    if (ph_rank() == 0) {
        ph_linear_probe p;
        ph_linear_probe_init(&p, sets[0].d, outputs, o.lr, o.wd, o.dropout, o.seed);
        const int n = sets[0].n, d = sets[0].d;
        int *perm = malloc((size_t)n * sizeof *perm);
        float *bx = malloc((size_t)o.batch * d * sizeof *bx);
        int32_t *by = malloc((size_t)o.batch * sizeof *by);
        int64_t *bid = malloc((size_t)o.batch * sizeof *bid);
        PH_CHECK_ALLOC(perm && bx && by && bid, "allocating the linear probe's batches");
        ph_strbuf tsv = {0};
        ph_sb_printf(&tsv, "epoch\ttrain_loss\ttrain_acc\tval_acc\ttest_acc\n");
        int best = -1;
        double best_val = -1, best_test = NAN;
        for (int e = 0; e < o.epochs; e++) {
            ph_rng r;
            ph_rng_init(&r, o.seed, PH_STREAM_BATCH, (uint64_t)e, 0);
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
                int j = (int)ph_rng_below(&r, (uint32_t)(i + 1)), t = perm[i];
                perm[i] = perm[j], perm[j] = t;
            }
            double loss = 0;
            int nb = 0;
            for (int b = 0; b + o.batch <= n; b += o.batch, nb++) {
                for (int i = 0; i < o.batch; i++) {
                    const int s = perm[b + i];
                    memcpy(bx + (size_t)i * d, sets[0].x + (size_t)s * d, (size_t)d * sizeof *bx);
                    by[i] = sets[0].y[s], bid[i] = s;
                }
                loss += ph_linear_probe_step(&p, bx, by, bid, o.batch, e);
            }
            const double tr = ph_linear_probe_accuracy(&p, sets[0].x, sets[0].y, n);
            const double va = ph_linear_probe_accuracy(&p, sets[1].x, sets[1].y, sets[1].n);
            const double te = o.nfiles == 3 ? ph_linear_probe_accuracy(&p, sets[2].x, sets[2].y, sets[2].n) : NAN;
            if (va > best_val) best_val = va, best = e + 1, best_test = te;
            ph_sb_printf(&tsv, "%d\t%.6f\t%.6f\t%.6f\t", e + 1, loss / nb, tr, va);
            if (o.nfiles == 3) ph_sb_printf(&tsv, "%.6f\n", te);
            else ph_sb_printf(&tsv, "-\n");
        }
        ph_strbuf bt = {0};
        ph_sb_printf(&bt, "layer\tpool\tbest_epoch\tval_acc\ttest_acc\n%s\t%s\t%d\t%.6f\t", o.layer, o.pool, best, best_val);
        if (o.nfiles == 3) ph_sb_printf(&bt, "%.6f\n", best_test);
        else ph_sb_printf(&bt, "-\n");
        probe_write_text(tsv_path, tsv.s, tsv.len);
        probe_write_text(best_path, bt.s, bt.len);
        if (!o.quiet)
            fprintf(stderr, "linear: %s (%s, %d features): best epoch %d of %d, val accuracy %.4f, test accuracy %.4f\n",
                    o.layer, o.pool, d, best, o.epochs, best_val, best_test);
        free(tsv.s), free(bt.s), free(perm), free(bx), free(by), free(bid);
        ph_linear_probe_free(&p);
    }
    PH_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD), "waiting for rank 0's probe", "rank 0 failed; see its message");
    for (int i = 0; i < o.nfiles; i++) free(sets[i].x), free(sets[i].y);
    return 0;
}
