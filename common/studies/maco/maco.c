/* maco.c: phasor-analyze maco: feature visualisations of a trained model by
 * MACO (phase-only optimisation under a natural-image magnitude spectrum), with
 * the Fourier and pixel parameterisations as baselines in the same loop, and
 * the attribution map of the accumulated input gradients (docs/maco.md).
 *
 * The runs (objective x method) are split over the ranks in contiguous
 * ranges; each run is a pure function of (seed, objective, method), its
 * random draws from Philox, so the outputs are the same for any rank count.
 * maco.h5 is written collectively (one run per chunk), the PNGs by the rank
 * that made them, REPORT.md, maco.json and grid.png by rank 0. */
#include "maco.h"
#include "nn/checkpoint.h"

#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "fft/imageparam.h"
#include "fft/spectrum.h"
#include "io/h5samples.h"
#include "io/provenance.h"
#include "nn/backend_select.h"
#include "nn/checkpoint.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cfg_key maco_keys[] = {
    {"checkpoint", CFG_STRING, NULL, 0, 0, NULL, "trained model (phasor-train's best.h5 or checkpoint.h5)"},
    {"samples", CFG_STRING, NULL, 0, 0, NULL, "sample file of real images of the model's task (size, channels, classes; plausibility)"},
    {"spectrum", CFG_STRING, "", 0, 0, NULL, "magnitude template (phasor-preprocess spectrum); needed by the maco method"},
    {"out_dir", CFG_STRING, "maco", 0, 0, NULL, "output folder (--out)"},
    {"methods", CFG_STRING, "maco fourier pixel", 0, 0, NULL, "parameterisations, separated by spaces: maco, fourier, pixel"},
    {"objectives", CFG_STRING, "class:0 class:1", 0, 0, NULL, "separated by spaces: class:K logit:K channel:LAYER:K neuron:LAYER:K direction:LAYER:SEED"},
    {"size", CFG_INT, "0", 0, 4096, NULL, "canvas side in pixels (0: twice the model input's larger side)"},
    {"steps", CFG_INT, "256", 1, 1e6, NULL, "optimisation steps per run"},
    {"crops", CFG_INT, "6", 1, 1024, NULL, "random crops per step (the model's batch)"},
    {"crop_start", CFG_REAL, "0.5", 0.05, 1, NULL, "mean crop side at the first step, share of the canvas side"},
    {"crop_end", CFG_REAL, "0.05", 0.05, 1, NULL, "mean crop side at the last step (linear schedule)"},
    {"crop_std", CFG_REAL, "0.05", 0, 1, NULL, "standard deviation of a crop's side around the schedule (clipped to [0.05, 1])"},
    {"centre_std", CFG_REAL, "0.15", 0, 1, NULL, "standard deviation of crop centres around the canvas centre"},
    {"noise", CFG_REAL, "0.05", 0, 10, NULL, "noise on the crops: noise (N(0,1) + U(-0.5,0.5)) per value"},
    {"lr_maco", CFG_REAL, "1.0", 0, 100, NULL, "NAdam learning rate of the maco phase"},
    {"lr_fourier", CFG_REAL, "1.0", 0, 100, NULL, "NAdam learning rate of the fourier spectrum"},
    {"lr_pixel", CFG_REAL, "0.05", 0, 100, NULL, "NAdam learning rate of the pixels"},
    {"decay", CFG_REAL, "1.0", 0, 4, NULL, "fourier: exponent of the 1/f scale"},
    {"eps", CFG_REAL, "0.0001", 0, 1, NULL, "epsilon of the standardisations (std + eps)"},
    {"unbiased", CFG_BOOL, "true", 0, 0, NULL, "standardise with the unbiased standard deviation (Horama) or the population one"},
    {"seed", CFG_INT, "1", 0, 4294967295.0, NULL, "Philox seed: initial parameters, crops, noise, directions"},
    {"device", CFG_ENUM, "auto", 0, 0, "auto|cpu|cuda", "backend: auto = cuda when a GPU is present"},
    {"real_per_class", CFG_INT, "256", 1, 1e6, NULL, "real images per class (the first ones of samples) for plausibility"},
    {"png", CFG_BOOL, "true", 0, 0, NULL, "write every run's PNGs into OUT/png"},
    {"check_gradient", CFG_BOOL, "false", 0, 0, NULL, "only check each method's gradient of the first objective (whole chain) against finite differences"},
    {"grid_cell", CFG_INT, "0", 0, 4096, NULL, "side of a panel of grid.png in pixels, the canvas averaged down (0: the canvas size)"},
    {"publish", CFG_STRING, "", 0, 0, NULL, "also copy REPORT.md, maco.json and grid.png into this folder"},
};
static const cfg_section maco_section = {"maco", "feature visualisation (phasor-analyze maco)", maco_keys,
                                         (int)(sizeof maco_keys / sizeof maco_keys[0]), 0};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze maco CONFIG.ini [--set maco.KEY=VALUE]... [--out DIR] [--device D]\n"
            "                           [--force] [--quiet]\n"
            "       phasor-analyze maco --check CONFIG.ini... [--set ...]   validate configs, run nothing\n"
            "\n"
            "Feature visualisations of a trained model: MACO (the phase of the image spectrum is\n"
            "optimised, its magnitude is the natural-image template of phasor-preprocess spectrum),\n"
            "and the Fourier and pixel parameterisations in the same loop, with attribution maps.\n"
            "Runs (objective x method) are split over the MPI ranks; the outputs do not depend on\n"
            "the rank count.  Writes OUT/maco.h5, OUT/REPORT.md, OUT/maco.json, OUT/grid.png and\n"
            "OUT/png/*.png (docs/maco.md).\n"
            "\n"
            "exit status: 0 success, 2 usage or config error, 1 runtime failure.\n"
            "\nconfig keys (key, type, default, range, meaning):\n");
    const cfg_section *s[1] = {&maco_section};
    cfg_help(f, s, 1);
}

enum { MAX_RUNS = 4096, MAX_ITEMS = 256 };

/* Space-separated items of s (modified in place). */
static int split_words(char *s, char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *p = strtok_r(s, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
        if (n == max) ph_usage_error("config error: [maco] has more than %d items in a list", max);
        out[n++] = p;
    }
    return n;
}

/* Everything one rank needs for its runs. */
typedef struct {
    const ph_backend *be;
    ph_model *m;
    maco_layer layers[MACO_MAX_LAYERS];
    int nlayers;
    maco_objective obj[MAX_ITEMS];
    int nobj;
    int method_kind[PH_FVIS_COUNT], nmethods;
    double lr[PH_FVIS_COUNT];
    ph_fvis fv[PH_FVIS_COUNT];
    int c, s, h, w, n, steps, outputs;
    uint32_t seed;
    double crop_start, crop_end, crop_std, centre_std, noise;
    float *noise_dev, *dcanvas, *hnoise, *hcanvas, *act, *grad, *boxes;
    /* real images: features [nreal, F], class, per-class median leave-one-out distance */
    int nreal, nfeat, classes;
    float *real_feat;
    int32_t *real_cls;
    double *class_scale;
} maco_ctx;

static size_t layer_count(const maco_ctx *x, int layer)
{
    const maco_layer *l = &x->layers[layer];
    return (size_t)x->n * l->c * l->h * l->w;
}

/* The boxes and noise of step `step` of objective `obj` (the same for every method). */
static void draw_crops(maco_ctx *x, int obj, int step)
{
    ph_rng r;
    ph_rng_init(&r, x->seed, PH_STREAM_FEATVIS, ((uint64_t)obj << 32) | (uint32_t)step, 1);
    double avg = x->steps > 1 ? x->crop_start + (x->crop_end - x->crop_start) * step / (x->steps - 1) : x->crop_start;
    for (int b = 0; b < x->n; b++) {
        double side = avg + x->crop_std * ph_fvis_normal(&r);
        side = side < 0.05 ? 0.05 : side > 1 ? 1 : side;
        double cy = 0.5 + x->centre_std * ph_fvis_normal(&r), cx = 0.5 + x->centre_std * ph_fvis_normal(&r);
        float *bx = x->boxes + 4 * b;
        bx[0] = (float)(cy - side / 2), bx[1] = (float)(cx - side / 2);
        bx[2] = (float)(cy + side / 2), bx[3] = (float)(cx + side / 2);
    }
    if (x->noise <= 0) return;
    ph_rng_init(&r, x->seed, PH_STREAM_FEATVIS, ((uint64_t)obj << 32) | (uint32_t)step, 2);
    size_t count = (size_t)x->n * x->c * x->h * x->w;
    for (size_t i = 0; i < count; i++)
        x->hnoise[i] = (float)(x->noise * (ph_fvis_normal(&r) + ph_rng_uniform(&r) - 0.5));
    ph_dev_upload(x->be, x->noise_dev, x->hnoise, count);
}

/* Canvas -> crops (+ noise) -> model -> objective; with backward, the canvas
 * gradient of the loss (-objective) in x->dcanvas.  Returns the objective. */
static double chain(maco_ctx *x, ph_fvis *p, const maco_objective *o, int backward)
{
    const ph_backend *be = x->be;
    ph_model *m = x->m;
    const size_t count = (size_t)x->n * x->c * x->h * x->w;
    PH_KERNEL(be, crop_resize_forward, "cropping the canvas", p->x, m->x, (size_t)x->c, x->s, x->s, x->boxes, x->n,
              x->h, x->w);
    if (x->noise > 0) PH_KERNEL(be, binary, "adding noise", PH_BIN_ADD, m->x, x->noise_dev, m->x, count);
    m->def->forward(m, 0);
    const maco_layer *l = &x->layers[o->layer];
    ph_dev_download(be, x->act, maco_layer_activation(m, o->layer), layer_count(x, o->layer));
    double v = maco_objective_eval(o, l, x->n, x->act, backward ? x->grad : NULL);
    if (!backward) return v;
    maco_layer_backward(m, o->layer, x->grad);
    PH_KERNEL(be, crop_resize_backward, "cropping backward", m->dx, x->dcanvas, (size_t)x->c, x->s, x->s, x->boxes,
              x->n, x->h, x->w);
    return v;
}

/* The model's view of the whole canvas: resized to its input, in every slot. */
static void canvas_forward(maco_ctx *x, const float *canvas)
{
    for (int b = 0; b < x->n; b++) {
        float *bx = x->boxes + 4 * b;
        bx[0] = bx[1] = 0, bx[2] = bx[3] = 1;
    }
    PH_KERNEL(x->be, crop_resize_forward, "resizing the canvas", canvas, x->m->x, (size_t)x->c, x->s, x->s, x->boxes,
              x->n, x->h, x->w);
    x->m->def->forward(x->m, 0);
}

typedef struct {
    float value, start, end, confidence, plausibility, plausibility_rel;
} run_scores;

/* The objective on the whole canvas resized to the model's input (no crops, no noise). */
static double whole_objective(maco_ctx *x, const float *canvas, const maco_objective *o)
{
    canvas_forward(x, canvas);
    ph_dev_download(x->be, x->act, maco_layer_activation(x->m, o->layer), layer_count(x, o->layer));
    return maco_objective_eval(o, &x->layers[o->layer], x->n, x->act, NULL);
}

/* Confidence (class objectives) and plausibility of the final canvas p->x. */
static run_scores evaluate(maco_ctx *x, ph_fvis *p, const maco_objective *o, const float *trace)
{
    run_scores r = {0, 0, 0, NAN, NAN, NAN};
    int tail = x->steps / 10 > 0 ? x->steps / 10 : 1;
    double s = 0;
    for (int i = x->steps - tail; i < x->steps; i++) s += trace[i];
    r.value = (float)(s / tail);
    r.end = (float)whole_objective(x, p->x, o);
    float *logits = malloc((size_t)x->n * x->outputs * sizeof *logits), *feat = malloc((size_t)x->n * x->nfeat * sizeof *feat);
    PH_CHECK_ALLOC(logits && feat, "evaluating a visualisation");
    ph_dev_download(x->be, logits, x->m->logits, (size_t)x->n * x->outputs);
    maco_features(x->m, feat);
    if (o->cls >= 0) {
        if (x->outputs == 1) {
            double p1 = 1 / (1 + exp(-(double)logits[0]));
            r.confidence = (float)(o->cls == 1 ? p1 : 1 - p1);
        } else {
            double mx = logits[0], z = 0;
            for (int k = 1; k < x->outputs; k++) mx = fmax(mx, logits[k]);
            for (int k = 0; k < x->outputs; k++) z += exp(logits[k] - mx);
            r.confidence = (float)(exp(logits[o->cls] - mx) / z);
        }
    }
    double best = INFINITY;
    int best_cls = -1;
    for (int i = 0; i < x->nreal; i++) {
        if (o->cls >= 0 && x->real_cls[i] != o->cls) continue;
        double d = 0;
        for (int k = 0; k < x->nfeat; k++) {
            double e = (double)feat[k] - x->real_feat[(size_t)i * x->nfeat + k];
            d += e * e;
        }
        if (d < best) best = d, best_cls = x->real_cls[i];
    }
    if (best_cls >= 0) {
        r.plausibility = (float)sqrt(best);
        double sc = x->class_scale[best_cls];
        r.plausibility_rel = sc > 0 ? (float)(sqrt(best) / sc) : NAN;
    }
    free(logits), free(feat);
    return r;
}

/* One run: reset, `steps` NAdam steps, the final canvas and scores. */
static run_scores run_one(maco_ctx *x, int run, float *image, float *attr, float *trace)
{
    const int method = run % x->nmethods, oi = run / x->nmethods;
    ph_fvis *p = &x->fv[x->method_kind[method]];
    const maco_objective *o = &x->obj[oi];
    const size_t ncanvas = (size_t)x->c * x->s * x->s;
    ph_fvis_reset(p, x->seed, (uint32_t)run);
    ph_nadam opt = ph_nadam_default(x->lr[x->method_kind[method]]);
    memset(attr, 0, ncanvas * sizeof *attr);
    ph_fvis_forward(p);
    const float start = (float)whole_objective(x, p->x, o);
    for (int step = 0; step < x->steps; step++) {
        ph_fvis_forward(p);
        draw_crops(x, oi, step);
        trace[step] = (float)chain(x, p, o, 1);
        ph_dev_download(x->be, x->hcanvas, x->dcanvas, ncanvas);
        for (size_t i = 0; i < ncanvas; i++) attr[i] += fabsf(x->hcanvas[i]);
        ph_fvis_backward(p, x->dcanvas);
        ph_nadam_step(&opt, x->be, p->w, p->g, p->m, p->v, p->count);
    }
    ph_fvis_forward(p);
    ph_dev_download(x->be, image, p->x, ncanvas);
    run_scores r = evaluate(x, p, o, trace);
    r.start = start;
    return r;
}

/* The whole chain's gradient for the first objective, per method, along random
 * directions u: g.u against (L(w + h u) - L(w - h u)) / 2h. */
static int check_gradient(maco_ctx *x, int quiet)
{
    const maco_objective *o = &x->obj[0];
    int bad = 0;
    for (int mi = 0; mi < x->nmethods; mi++) {
        ph_fvis *p = &x->fv[x->method_kind[mi]];
        ph_fvis_reset(p, x->seed, (uint32_t)mi);
        draw_crops(x, 0, 0);
        ph_fvis_forward(p);
        chain(x, p, o, 1);
        ph_fvis_backward(p, x->dcanvas);
        float *g = malloc(p->count * sizeof *g), *w0 = malloc(p->count * sizeof *g), *u = malloc(p->count * sizeof *g),
              *wp = malloc(p->count * sizeof *g);
        PH_CHECK_ALLOC(g && w0 && u && wp, "checking a gradient");
        ph_dev_download(x->be, g, p->g, p->count);
        ph_dev_download(x->be, w0, p->w, p->count);
        /* Errors relative to the largest of the three directional derivatives: a
         * direction almost orthogonal to g only measures float noise. */
        double gus[3], fds[3], scale = 1e-12;
        for (int k = 0; k < 3; k++) {
            ph_rng r;
            ph_rng_init(&r, x->seed, PH_STREAM_FEATVIS, 0xFFFFFFFE00000000ull | (uint32_t)(mi * 8 + k), 4);
            double gu = 0, h = 1e-2, l[2];
            for (size_t i = 0; i < p->count; i++) u[i] = (float)ph_fvis_normal(&r), gu += (double)g[i] * u[i];
            for (int side = 0; side < 2; side++) {
                for (size_t i = 0; i < p->count; i++) wp[i] = w0[i] + (float)((side ? -h : h) * u[i]);
                ph_dev_upload(x->be, p->w, wp, p->count);
                ph_fvis_forward(p);
                l[side] = -chain(x, p, o, 0); /* the loss */
            }
            gus[k] = gu, fds[k] = (l[0] - l[1]) / (2 * h), scale = fmax(scale, fabs(gu));
        }
        for (int k = 0; k < 3; k++) {
            double err = fabs(fds[k] - gus[k]) / scale;
            bad += !(err <= 2e-2);
            if (ph_rank() == 0 && !quiet)
                fprintf(stderr, "phasor-analyze: gradient check %s %s direction %d: analytic %.6g, finite "
                        "difference %.6g, relative error %.2e\n", ph_fvis_names[x->method_kind[mi]], o->text, k,
                        gus[k], fds[k], err);
        }
        ph_dev_upload(x->be, p->w, w0, p->count);
        free(g), free(w0), free(u), free(wp);
    }
    return bad;
}

/* Features of the first real_per_class images of each class of the sample
 * file: blocks of n images (the model's batch) in a fixed order, split over
 * the ranks and gathered, so every feature is computed in the same batch
 * position whatever the rank count. */
static void real_features(maco_ctx *x, ph_samples_reader *rd, const int32_t *labels, int64_t nsamples, int per_class)
{
    int64_t *idx = malloc((size_t)(nsamples ? nsamples : 1) * sizeof *idx);
    PH_CHECK_ALLOC(idx, "choosing real images");
    int nreal = 0;
    x->class_scale = calloc((size_t)x->classes, sizeof *x->class_scale);
    PH_CHECK_ALLOC(x->class_scale, "choosing real images");
    for (int k = 0; k < x->classes; k++) {
        int taken = 0;
        for (int64_t i = 0; i < nsamples && taken < per_class; i++)
            if (labels[i] == k) idx[nreal++] = i, taken++;
    }
    x->nreal = nreal, x->nfeat = maco_feature_count(x->m);
    x->real_feat = malloc((size_t)(nreal ? nreal : 1) * x->nfeat * sizeof *x->real_feat);
    x->real_cls = malloc((size_t)(nreal ? nreal : 1) * sizeof *x->real_cls);
    PH_CHECK_ALLOC(x->real_feat && x->real_cls, "allocating real-image features");
    for (int i = 0; i < nreal; i++) x->real_cls[i] = labels[idx[i]];
    const int n = x->n, nblocks = (nreal + n - 1) / n;
    int64_t b0, nb;
    ph_rank_range(nblocks, 1, ph_rank(), ph_size(), &b0, &nb);
    int my = (int)nb, rounds = 0;
    PH_CHECK_MPI(MPI_Allreduce(&my, &rounds, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "agreeing on read rounds",
                 "another rank failed; see its message");
    const size_t img = (size_t)x->h * x->w * x->c;
    uint8_t *batch = calloc((size_t)n * img, 1), *span = NULL;
    float *feat = malloc((size_t)n * x->nfeat * sizeof *feat);
    PH_CHECK_ALLOC(batch && feat, "reading real images");
    for (int r = 0; r < rounds; r++) {
        int64_t blk = b0 + r, lo = 0, cnt = 0;
        int k = 0;
        if (r < my) {
            k = (int)((blk + 1) * n <= nreal ? n : nreal - blk * n);
            lo = idx[blk * n];
            for (int j = 0; j < k; j++) lo = idx[blk * n + j] < lo ? idx[blk * n + j] : lo;
            int64_t hi = lo;
            for (int j = 0; j < k; j++) hi = idx[blk * n + j] > hi ? idx[blk * n + j] : hi;
            cnt = hi - lo + 1;
        }
        free(span);
        span = malloc((size_t)(cnt ? cnt : 1) * img);
        PH_CHECK_ALLOC(span, "reading real images");
        ph_samples_read(rd, "x", PH_U8, cnt ? lo : 0, cnt, span); /* collective */
        if (!k) continue;
        /* Unused slots repeat the first image; only the first k rows are kept. */
        for (int j = 0; j < n; j++) memcpy(batch + j * img, span + (size_t)(idx[blk * n + (j < k ? j : 0)] - lo) * img, img);
        ph_model_load(x->m, batch);
        x->m->def->forward(x->m, 0);
        maco_features(x->m, feat);
        memcpy(x->real_feat + (size_t)blk * n * x->nfeat, feat, (size_t)k * x->nfeat * sizeof *feat);
    }
    free(span), free(batch), free(feat);
    /* Gather: rank r's blocks are [b0, b0 + nb), contiguous, in rank order. */
    int *counts = malloc(ph_size() * sizeof *counts), *displs = malloc(ph_size() * sizeof *displs);
    PH_CHECK_ALLOC(counts && displs, "gathering features");
    for (int q = 0; q < ph_size(); q++) {
        int64_t s0, c0;
        ph_rank_range(nblocks, 1, q, ph_size(), &s0, &c0);
        int64_t first = s0 * n, last = (s0 + c0) * n < nreal ? (s0 + c0) * n : nreal;
        displs[q] = (int)(first * x->nfeat), counts[q] = (int)((last > first ? last - first : 0) * x->nfeat);
    }
    PH_CHECK_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, x->real_feat, counts, displs, MPI_FLOAT, MPI_COMM_WORLD),
                 "gathering real-image features", "another rank failed; see its message");
    free(counts), free(displs), free(idx);
    /* Per class: the median distance of a real image to its nearest other real image of the class. */
    double *nn = malloc((size_t)(nreal ? nreal : 1) * sizeof *nn);
    PH_CHECK_ALLOC(nn, "scaling plausibility");
    for (int k = 0; k < x->classes; k++) {
        int m = 0;
        for (int i = 0; i < nreal; i++) {
            if (x->real_cls[i] != k) continue;
            double best = INFINITY;
            for (int j = 0; j < nreal; j++) {
                if (j == i || x->real_cls[j] != k) continue;
                double d = 0;
                for (int f = 0; f < x->nfeat; f++) {
                    double e = (double)x->real_feat[(size_t)i * x->nfeat + f] - x->real_feat[(size_t)j * x->nfeat + f];
                    d += e * e;
                }
                best = fmin(best, d);
            }
            if (isfinite(best)) nn[m++] = sqrt(best);
        }
        for (int a = 1; a < m; a++) /* insertion sort: small lists */
            for (int b = a; b > 0 && nn[b] < nn[b - 1]; b--) {
                double t = nn[b];
                nn[b] = nn[b - 1], nn[b - 1] = t;
            }
        x->class_scale[k] = m ? (m % 2 ? nn[m / 2] : 0.5 * (nn[m / 2 - 1] + nn[m / 2])) : 0;
    }
    free(nn);
}

/* Copies a file (rank 0), atomically. */
static void copy_file(const char *from, const char *to)
{
    FILE *f = fopen(from, "rb");
    PH_CHECK_LIBC(f != NULL, "reading an output to publish", "check the output folder");
    char *data = NULL, chunk[65536];
    size_t len = 0;
    for (size_t k; (k = fread(chunk, 1, sizeof chunk, f)) > 0; len += k) {
        char *grown = realloc(data, len + k);
        PH_CHECK_ALLOC(grown, "publishing an output");
        data = grown;
        memcpy(data + len, chunk, k);
    }
    PH_CHECK_LIBC(!ferror(f), "reading an output to publish", "check the output folder");
    fclose(f);
    ph_write_file_atomic(to, data ? data : "", len);
    free(data);
}

int ph_analyze_maco_main(int argc, char **argv)
{
    ph_stage_options so;
    ph_stage_options_parse(argc, argv, "maco.out_dir", "maco.device", 1, usage, &so);
    const cfg_section *secs[1] = {&maco_section};
    if (so.check) ph_stage_check_configs(&so, secs, 1, NULL);
    cfg c;
    cfg_init(&c, secs, 1);
    ph_config_load(&c, so.config_path);
    for (int i = 0; i < so.nsets; i++) cfg_override(&c, so.sets[i]);
    cfg_validate(&c);
    const char *out_dir = cfg_str(&c, "maco", "out_dir");
    const int check = cfg_bool(&c, "maco", "check_gradient");

    /* Outputs: the folder is writable and, without --force, nothing is replaced. */
    static const char *const outputs[] = {"maco.h5", "REPORT.md", "maco.json", "grid.png"};
    char msg[1024] = "";
    if (ph_rank() == 0) {
        if (ph_mkdir_p(out_dir))
            snprintf(msg, sizeof msg, "cannot create output directory %s: %s (choose a writable --out)", out_dir,
                     strerror(errno));
        for (int k = 0; k < 4 && !msg[0] && !so.force && !check; k++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", out_dir, outputs[k]);
            if (ph_exists(path))
                snprintf(msg, sizeof msg, "output %s already exists (pass --force to replace it, or choose another --out)",
                         path);
        }
    }
    ph_usage_check_bcast(msg);
    ph_out_dir_lock(out_dir); /* one run at a time per folder */

    maco_ctx x;
    memset(&x, 0, sizeof x);
    x.be = ph_backend_select(cfg_str(&c, "maco", "device"), "[maco] device");
    x.seed = (uint32_t)cfg_int(&c, "maco", "seed");
    x.steps = (int)cfg_int(&c, "maco", "steps");
    x.n = (int)cfg_int(&c, "maco", "crops");
    x.crop_start = cfg_real(&c, "maco", "crop_start"), x.crop_end = cfg_real(&c, "maco", "crop_end");
    x.crop_std = cfg_real(&c, "maco", "crop_std"), x.centre_std = cfg_real(&c, "maco", "centre_std");
    x.noise = cfg_real(&c, "maco", "noise");
    x.lr[PH_FVIS_MACO] = cfg_real(&c, "maco", "lr_maco");
    x.lr[PH_FVIS_FOURIER] = cfg_real(&c, "maco", "lr_fourier");
    x.lr[PH_FVIS_PIXEL] = cfg_real(&c, "maco", "lr_pixel");

    /* The model: its name and config from the checkpoint, its input from the samples. */
    const char *ckpt = cfg_str(&c, "maco", "checkpoint"), *samples = cfg_str(&c, "maco", "samples");
    char *model_name = ph_checkpoint_attr_str(ckpt, "model"), *train_text = ph_checkpoint_attr_str(ckpt, "config");
    const ph_model_def *def = ph_model_find(model_name);
    if (!def || def->video)
        ph_usage_error("config error: [maco] checkpoint %s holds model '%s', not an image model (train one with "
                       "train.model = resnet)", ckpt, model_name);
    ph_samples_reader rd;
    ph_samples_open(&rd, MPI_COMM_WORLD, samples);
    ph_field fx;
    ph_samples_field(&rd, "x", &fx);
    if (fx.ndims != 3 || fx.type != PH_U8 || (fx.dims[2] != 1 && fx.dims[2] != 3))
        ph_usage_error("config error: [maco] samples %s: /x is not uint8 images [N,H,W,C] with C = 1 or 3", samples);
    x.h = (int)fx.dims[0], x.w = (int)fx.dims[1], x.c = (int)fx.dims[2];
    char *samples_split = ph_samples_attr(&rd, "split");
    int32_t *labels = malloc((size_t)(rd.n ? rd.n : 1) * sizeof *labels);
    PH_CHECK_ALLOC(labels, "reading labels");
    ph_samples_labels_read(&rd, 0, rd.n, labels, 0);
    int32_t most = 1;
    for (int64_t i = 0; i < rd.n; i++) most = labels[i] > most ? labels[i] : most;
    x.classes = (int)most + 1, x.outputs = x.classes == 2 ? 1 : x.classes;
    char *section = cfg_section_text(train_text, model_name);
    ph_model_geometry g = {x.n, 1, x.h, x.w, x.c, x.outputs, 0, MPI_COMM_SELF};
    x.m = ph_model_create_text(model_name, section, x.be, &g);
    x.m->want_dx = 1;
    enum { MAX_PARAMS = 1024 };
    ph_param *params[MAX_PARAMS];
    int np = x.m->def->params(x.m, params, MAX_PARAMS);
    ph_checkpoint_load(ckpt, params, np, model_name, NULL);
    ph_params_freeze(params, np, 1); /* only d(objective)/d(image) is used */
    x.nlayers = maco_layers(x.m, x.layers);

    /* Objectives and methods. */
    char *olist = strdup(cfg_str(&c, "maco", "objectives")), *mlist = strdup(cfg_str(&c, "maco", "methods"));
    PH_CHECK_ALLOC(olist && mlist, "reading the config");
    char *items[MAX_ITEMS];
    x.nobj = split_words(olist, items, MAX_ITEMS);
    if (!x.nobj) ph_usage_error("config error at %s: [maco] objectives is empty", cfg_where(&c, "maco", "objectives"));
    for (int i = 0; i < x.nobj; i++) maco_objective_parse(&x.obj[i], items[i], x.layers, x.nlayers, x.outputs, x.seed);
    const char *method_names[PH_FVIS_COUNT];
    x.nmethods = split_words(mlist, items, MAX_ITEMS);
    if (!x.nmethods || x.nmethods > PH_FVIS_COUNT)
        ph_usage_error("config error at %s: [maco] methods must list 1 to 3 of maco, fourier, pixel",
                       cfg_where(&c, "maco", "methods"));
    for (int i = 0; i < x.nmethods; i++) {
        int k = -1;
        for (int j = 0; j < PH_FVIS_COUNT; j++)
            if (!strcmp(items[i], ph_fvis_names[j])) k = j;
        for (int j = 0; j < i && k >= 0; j++)
            if (x.method_kind[j] == k) k = -2;
        if (k < 0)
            ph_usage_error("config error at %s: [maco] methods: '%s' is %s (choose maco, fourier, pixel, each once)",
                           cfg_where(&c, "maco", "methods"), items[i], k == -2 ? "given twice" : "unknown");
        x.method_kind[i] = k, method_names[i] = ph_fvis_names[k];
    }
    const int runs = x.nobj * x.nmethods;
    if (runs > MAX_RUNS) ph_usage_error("config error: [maco] %d runs, at most %d", runs, MAX_RUNS);

    /* The canvas and the parameterisations. */
    x.s = (int)cfg_int(&c, "maco", "size");
    if (!x.s) x.s = 2 * (x.h > x.w ? x.h : x.w);
    if (x.s < 8) ph_usage_error("config error at %s: [maco] size must be at least 8", cfg_where(&c, "maco", "size"));
    const double eps = cfg_real(&c, "maco", "eps"), decay = cfg_real(&c, "maco", "decay");
    const int unbiased = cfg_bool(&c, "maco", "unbiased");
    const char *spectrum = cfg_str(&c, "maco", "spectrum");
    ph_spectrum sp = {0};
    float *mag = NULL;
    for (int i = 0; i < x.nmethods; i++) {
        int k = x.method_kind[i];
        if (k == PH_FVIS_MACO) {
            if (!*spectrum)
                ph_usage_error("config error: [maco] the maco method needs spectrum = a phasor-preprocess spectrum file");
            ph_spectrum_read(MPI_COMM_WORLD, spectrum, &sp);
            if (sp.c != x.c)
                ph_usage_error("config error: [maco] spectrum %s has %d channels, the model takes %d", spectrum, sp.c, x.c);
            mag = malloc((size_t)x.c * x.s * (x.s / 2 + 1) * sizeof *mag);
            PH_CHECK_ALLOC(mag, "resampling the spectrum");
            ph_spectrum_resample(sp.magnitude, sp.c, sp.s, mag, x.s);
        }
        ph_fvis_init(&x.fv[k], x.be, (ph_fvis_kind)k, x.c, x.s, mag, decay, eps, unbiased);
    }
    const size_t ncanvas = (size_t)x.c * x.s * x.s, ncrop = (size_t)x.n * x.c * x.h * x.w;
    size_t most_act = 0;
    for (int i = 0; i < x.nlayers; i++) most_act = layer_count(&x, i) > most_act ? layer_count(&x, i) : most_act;
    x.noise_dev = ph_dev_alloc(x.be, ncrop), x.dcanvas = ph_dev_alloc(x.be, ncanvas);
    x.hnoise = malloc(ncrop * sizeof(float)), x.hcanvas = malloc(ncanvas * sizeof(float));
    x.act = malloc(most_act * sizeof(float)), x.grad = malloc(most_act * sizeof(float));
    x.boxes = malloc((size_t)x.n * 4 * sizeof(float));
    PH_CHECK_ALLOC(x.hnoise && x.hcanvas && x.act && x.grad && x.boxes, "allocating the optimisation");

    if (check) {
        int bad = check_gradient(&x, so.quiet);
        if (bad) PH_FAIL_ALL(MPI_COMM_WORLD, "the gradient check", "a directional derivative is off by more than 2e-2",
                             "see the lines above");
        if (ph_rank() == 0 && !so.quiet) fprintf(stderr, "phasor-analyze: gradient check passed\n");
    } else {
        real_features(&x, &rd, labels, rd.n, (int)cfg_int(&c, "maco", "real_per_class"));
    }
    ph_samples_reader_close(&rd);

    double seconds = 0, fft_seconds = 0;
    int64_t steps_done = 0;
    if (!check) {
        int64_t r0, nr;
        ph_rank_range(runs, 1, ph_rank(), ph_size(), &r0, &nr);
        float *images = malloc((nr ? nr : 1) * ncanvas * sizeof(float)), *attrs = malloc((nr ? nr : 1) * ncanvas * sizeof(float));
        float *traces = malloc((nr ? nr : 1) * (size_t)x.steps * sizeof(float));
        enum { NS = 6 };
        float *scores = malloc((nr ? nr : 1) * NS * sizeof(float));
        int32_t *ids = malloc((nr ? nr : 1) * 2 * sizeof(int32_t));
        PH_CHECK_ALLOC(images && attrs && traces && scores && ids, "allocating results");
        ph_progress prog;
        ph_progress_init(&prog, "maco", "runs", runs, !so.quiet && ph_rank() == 0);
        char pngdir[4200];
        snprintf(pngdir, sizeof pngdir, "%s/png", out_dir);
        const int png = cfg_bool(&c, "maco", "png");
        if (png && ph_mkdir_p(pngdir)) PH_FAIL("creating the PNG folder", strerror(errno), "check the output folder");
        for (int64_t i = 0; i < nr; i++) {
            const int run = (int)(r0 + i);
            double t0 = ph_now(), f0 = 0;
            for (int k = 0; k < PH_FVIS_COUNT; k++) f0 += x.fv[k].fft_seconds;
            run_scores sc = run_one(&x, run, images + i * ncanvas, attrs + i * ncanvas, traces + i * x.steps);
            seconds += ph_now() - t0, steps_done += x.steps;
            for (int k = 0; k < PH_FVIS_COUNT; k++) fft_seconds += x.fv[k].fft_seconds;
            fft_seconds -= f0;
            const float sv[NS] = {sc.value, sc.start, sc.end, sc.confidence, sc.plausibility, sc.plausibility_rel};
            memcpy(scores + NS * i, sv, sizeof sv);
            ids[2 * i] = run % x.nmethods, ids[2 * i + 1] = run / x.nmethods;
            if (png) {
                char name[256], safe[64];
                snprintf(safe, sizeof safe, "%s", x.obj[run / x.nmethods].text);
                for (char *q = safe; *q; q++)
                    if (*q == ':') *q = '-';
                snprintf(name, sizeof name, "r%03d_%s_%s", run, method_names[run % x.nmethods], safe);
                maco_write_pngs(pngdir, name, images + i * ncanvas, attrs + i * ncanvas, x.c, x.s);
            }
            ph_progress_update(&prog, (r0 + i + 1) * ph_size() < runs ? (r0 + i + 1) * ph_size() : runs);
        }
        ph_progress_finish(&prog);

        /* maco.h5: one run per chunk; rank r writes its runs [r0, r0 + nr). */
        char path[4200], created[32];
        snprintf(path, sizeof path, "%s/maco.h5", out_dir);
        const hsize_t C = (hsize_t)x.c, S = (hsize_t)x.s;
        ph_field f[] = {
            {"image", PH_F32, 3, {C, S, S}, "the visualisation: the canvas after the last step, planes, values in (0, 1)"},
            {"attribution", PH_F32, 3, {C, S, S}, "sum over steps of |d loss / d canvas| (transparency, maco.md section 3)"},
            {"objective", PH_F32, 1, {(hsize_t)x.steps}, "the objective (mean over the crops) at every step"},
            {"method", PH_I32, 0, {0}, "index into the methods attribute"},
            {"objective_index", PH_I32, 0, {0}, "index into the objectives attribute"},
            {"value", PH_F32, 0, {0}, "mean objective over the last tenth of the steps (on the random crops)"},
            {"start", PH_F32, 0, {0}, "the objective on the whole canvas resized to the model input, before the first step"},
            {"end", PH_F32, 0, {0}, "the same after the last step"},
            {"confidence", PH_F32, 0, {0}, "the model's probability of the objective's class on the whole canvas (NaN: not a class objective)"},
            {"plausibility", PH_F32, 0, {0}, "L2 distance in the model's feature space to the nearest real image of the class (lower: more plausible)"},
            {"plausibility_rel", PH_F32, 0, {0}, "plausibility over the class's median nearest-neighbour distance between real images"},
        };
        ph_samples_writer wr;
        ph_samples_create(&wr, MPI_COMM_WORLD, path, runs, f, (int)(sizeof f / sizeof f[0]), 1, 1);
        char *effective = cfg_effective_text(&c);
        ph_created_now(MPI_COMM_WORLD, created, sizeof created);
        ph_provenance prov = {"analyze", model_name, samples_split ? samples_split : "", "maco", x.seed, effective,
                              created};
        ph_provenance_write(&wr, &prov);
        ph_samples_attr_str(&wr, "analysis", "maco");
        ph_samples_attr_str(&wr, "methods", cfg_str(&c, "maco", "methods"));
        ph_samples_attr_str(&wr, "objectives", cfg_str(&c, "maco", "objectives"));
        ph_samples_attr_i64(&wr, "size", x.s);
        ph_samples_attr_i64(&wr, "steps", x.steps);
        ph_samples_attr_i64(&wr, "crops", x.n);
        ph_samples_write(&wr, 0, r0, nr, images);
        ph_samples_write(&wr, 1, r0, nr, attrs);
        ph_samples_write(&wr, 2, r0, nr, traces);
        int32_t *col = malloc((nr ? nr : 1) * sizeof(int32_t));
        float *fc = malloc((nr ? nr : 1) * sizeof(float));
        PH_CHECK_ALLOC(col && fc, "writing results");
        for (int k = 0; k < 2; k++) {
            for (int64_t i = 0; i < nr; i++) col[i] = ids[2 * i + k];
            ph_samples_write(&wr, 3 + k, r0, nr, col);
        }
        for (int k = 0; k < NS; k++) {
            for (int64_t i = 0; i < nr; i++) fc[i] = scores[NS * i + k];
            ph_samples_write(&wr, 5 + k, r0, nr, fc);
        }
        ph_samples_close(&wr);
        free(col), free(fc);
        free(images), free(attrs), free(traces), free(scores), free(ids);

        double tot[3] = {seconds, fft_seconds, (double)steps_done};
        PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, tot, 3, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "summing timings",
                     "another rank failed");
        if (ph_rank() == 0) {
            maco_report_info info = {
                .out_dir = out_dir, .publish = cfg_str(&c, "maco", "publish"), .model = model_name, .checkpoint = ckpt,
                .samples = samples, .spectrum = spectrum, .config_text = effective, .methods = method_names,
                .nmethods = x.nmethods, .objectives = x.obj, .nobjectives = x.nobj, .c = x.c, .s = x.s, .in_h = x.h,
                .in_w = x.w, .steps = x.steps, .crops = x.n, .ranks = ph_size(),
                .real_per_class = (int)cfg_int(&c, "maco", "real_per_class"), .classes = x.classes,
                .grid_cell = (int)cfg_int(&c, "maco", "grid_cell"),
                .seconds = tot[0], .steps_per_second = tot[2] / fmax(tot[0], 1e-9),
                .fft_share = tot[1] / fmax(tot[0], 1e-9), .device = x.be->name};
            maco_report_write(&info);
            const char *pub = info.publish;
            if (*pub) {
                if (ph_mkdir_p(pub)) PH_FAIL("creating the publish folder", strerror(errno), "check [maco] publish");
                static const char *const copies[] = {"REPORT.md", "maco.json", "grid.png"};
                for (int k = 0; k < 3; k++) {
                    char from[4200], to[4200];
                    snprintf(from, sizeof from, "%s/%s", out_dir, copies[k]);
                    snprintf(to, sizeof to, "%s/%s", pub, copies[k]);
                    copy_file(from, to);
                }
            }
            if (!so.quiet)
                fprintf(stderr, "phasor-analyze: wrote %s/maco.h5, REPORT.md, maco.json, grid.png: %d runs of %d steps, "
                        "%.2f steps/s, %.0f%% of the time in the FFT\n", out_dir, runs, x.steps, info.steps_per_second,
                        100 * info.fft_share);
        }
        free(effective);
    }

    for (int i = 0; i < x.nobj; i++) maco_objective_free(&x.obj[i]);
    for (int k = 0; k < PH_FVIS_COUNT; k++) ph_fvis_free(&x.fv[k]);
    x.be->free(x.noise_dev), x.be->free(x.dcanvas);
    free(x.hnoise), free(x.hcanvas), free(x.act), free(x.grad), free(x.boxes);
    free(x.real_feat), free(x.real_cls), free(x.class_scale);
    x.m->def->destroy(x.m);
    ph_spectrum_free(&sp);
    free(mag), free(olist), free(mlist), free(section), free(model_name), free(train_text), free(labels), free(samples_split);
    cfg_free(&c);
    return 0;
}
