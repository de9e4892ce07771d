/* tracking_phase.c: the CV-RNN's phase maps as a picture (tracking_phase.h).
 *
 * The model is rebuilt from the checkpoint's config as evaluate does, run in
 * evaluation mode on the file's first videos with their sample ids (the random
 * initial phases are keyed on them), and the phase map theta_t and its
 * magnitude (the decode layer's activated magnitude, whose angle theta_t is)
 * are read back per frame.  A third row per video shows the phase alone, at full
 * brightness, on the pixels where the input frame is not black (target,
 * distractors, markers): whether the target's dot and the distractors take
 * different phases does not depend on how bright the magnitude makes them. */
#include "tracking_phase.h"

#include "nn/checkpoint.h"

#include "core/config.h"
#include "core/error.h"
#include "io/h5samples.h"
#include "io/png.h"
#include "models/cvrnn.h"
#include "models/synchrony.h"
#include "models/tracking_masks.h"
#include "nn/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SCALE = 4, GUTTER = 4, MAX_PARAMS = 1024 };

/* HSV with full saturation to 8-bit RGB; h in [0, 1). */
static void hsv_rgb(double h, double v, uint8_t *rgb)
{
    const double h6 = h * 6;
    const int i = (int)floor(h6) % 6;
    const double f = h6 - floor(h6), p = 0, q = v * (1 - f), t = v * f;
    double r, g, b;
    switch (i) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
    }
    rgb[0] = (uint8_t)lround(255 * r), rgb[1] = (uint8_t)lround(255 * g), rgb[2] = (uint8_t)lround(255 * b);
}

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Copies a [H, W, 3] picture into the canvas at (x0, y0), each pixel SCALE x SCALE. */
static void blit(uint8_t *img, int width, int x0, int y0, const uint8_t *pic, int H, int W)
{
    for (int r = 0; r < H * SCALE; r++)
        for (int c = 0; c < W * SCALE; c++)
            memcpy(img + 3 * ((size_t)(y0 + r) * width + x0 + c), pic + 3 * ((size_t)(r / SCALE) * W + c / SCALE), 3);
}

/* The mean of the per-frame synchrony statistics over every video and frame
 * (theta [T, n, S], masks [n, T, S]). */
static void sync_summary(const float *theta, const uint8_t *masks, int T, int n, size_t S, tracking_phase_info *info)
{
    double loss = 0, coh[PH_SYNC_GROUPS] = {0}, td = 0, bo = 0;
    int frames_with_target = 0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < T; t++) {
            ph_sync_stats st;
            ph_synchrony_stats(theta + ((size_t)t * n + i) * S, masks + ((size_t)i * T + t) * S, S, &st);
            loss += st.loss;
            for (int k = 0; k < PH_SYNC_GROUPS; k++) coh[k] += st.coherence[k];
            bo += ph_phase_distance(st.phase[0], st.phase[1]);
            if (st.pixels[2] > 0 && st.pixels[1] > 0)
                td += ph_phase_distance(st.phase[2], st.phase[1]), frames_with_target++;
        }
    const double nf = (double)n * T;
    info->sync_videos = n, info->sync_frames = T;
    info->sync_loss = loss / nf;
    for (int k = 0; k < PH_SYNC_GROUPS; k++) info->sync_coherence[k] = coh[k] / nf;
    info->sync_background_distractors = bo / nf * 180 / M_PI;
    info->sync_target_distractors = frames_with_target ? td / frames_with_target * 180 / M_PI : NAN;
}

/* One run of the CV-RNN on the first videos of a file: the inputs, labels, masks and the phase
 * maps with their activated magnitudes, [T, n, S] (as the decode layer lays them out). */
typedef struct {
    int n, T, H, W;
    uint8_t *x, *masks;
    int32_t *y;
    float *theta, *mag;
} phase_run;

static void phase_run_init(phase_run *pr, const char *checkpoint, const char *samples, int batch, const char *what)
{
    char *model_name = ph_checkpoint_attr_str(checkpoint, "model"), *text = ph_checkpoint_attr_str(checkpoint, "config");
    if (strcmp(model_name, "cvrnn")) PH_FAIL(what, "the checkpoint is not a CV-RNN", "give a cvrnn checkpoint");
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_SELF, samples);
    ph_field fx;
    ph_samples_field(&r, "x", &fx);
    if (fx.ndims != 4 || fx.type != PH_U8 || fx.dims[3] != 3)
        PH_FAIL(what, "/x is not uint8 RGB videos [N,T,H,W,3]", "give a tracking sample file");
    const int T = (int)fx.dims[0], H = (int)fx.dims[1], W = (int)fx.dims[2];
    /* One batch of evaluate's size: the cell normalises with batch statistics at test time. */
    const int n = (int)(r.n < batch ? r.n : batch);
    if (n < 1) PH_FAIL(what, "the sample file is empty", "give a file with videos");
    const size_t S = (size_t)H * W, vbytes = (size_t)T * S * 3;
    uint8_t *x = malloc((size_t)n * vbytes), *masks = malloc((size_t)n * T * S);
    int32_t *y = malloc((size_t)n * sizeof *y);
    int64_t *ids = malloc((size_t)n * sizeof *ids);
    float *theta = malloc((size_t)T * n * S * sizeof *theta), *mag = malloc((size_t)T * n * S * sizeof *mag);
    PH_CHECK_ALLOC(x && y && ids && theta && mag && masks, what);
    ph_samples_read(&r, "x", PH_U8, 0, n, x);
    ph_samples_labels_read(&r, 0, n, y, 0);
    ph_tracking_masks_read(&r, 0, n, T, H, W, masks);
    ph_samples_reader_close(&r);
    for (int i = 0; i < n; i++) ids[i] = i;

    ph_model_geometry g = {n, T, H, W, 3, 1, 0, MPI_COMM_SELF};
    char *section = cfg_section_text(text, model_name);
    ph_model *m = ph_model_create_text(model_name, section, &ph_backend_cpu, &g);
    ph_param *params[MAX_PARAMS];
    const int np = m->def->params(m, params, MAX_PARAMS);
    ph_checkpoint_load(checkpoint, params, np, model_name, NULL);
    m->ids = ids;
    ph_model_load(m, x);
    m->def->forward(m, 0);
    const ph_cvrnn *c = (const ph_cvrnn *)m;
    for (int t = 0; t < T; t++) {
        ph_cvrnn_phase_download(c, t, theta + (size_t)t * n * S);
        ph_dev_download(m->be, mag + (size_t)t * n * S, c->d_mn + (size_t)t * c->ns, c->ns);
    }
    m->ids = NULL;
    /* The activated magnitude: ReLU as released, softplus when configured. */
    const int soft = strstr(section, "softplus") != NULL;
    for (size_t i = 0; i < (size_t)T * n * S; i++) mag[i] = soft ? (float)log1p(exp(mag[i])) : fmaxf(mag[i], 0);
    m->def->destroy(m);
    free(ids), free(section), free(model_name), free(text);
    *pr = (phase_run){n, T, H, W, x, masks, y, theta, mag};
}

static void phase_run_free(phase_run *pr)
{
    free(pr->x), free(pr->masks), free(pr->y), free(pr->theta), free(pr->mag);
    memset(pr, 0, sizeof *pr);
}

void tracking_phase_measure(const char *checkpoint, const char *samples, int batch, tracking_phase_info *info)
{
    char what[4400];
    snprintf(what, sizeof what, "measuring the CV-RNN phase maps of %s on %s", checkpoint, samples);
    phase_run pr;
    phase_run_init(&pr, checkpoint, samples, batch, what);
    memset(info, 0, sizeof *info);
    sync_summary(pr.theta, pr.masks, pr.T, pr.n, (size_t)pr.H * pr.W, info);
    phase_run_free(&pr);
}

void tracking_phase_png(const char *checkpoint, const char *samples, int batch, int videos, int frames,
                        const char *png, tracking_phase_info *info)
{
    char what[4400];
    snprintf(what, sizeof what, "drawing the CV-RNN phase maps of %s on %s", checkpoint, samples);
    phase_run pr;
    phase_run_init(&pr, checkpoint, samples, batch, what);
    const int n = pr.n, T = pr.T, H = pr.H, W = pr.W;
    const size_t S = (size_t)H * W, vbytes = (size_t)T * S * 3;
    const uint8_t *x = pr.x;
    const float *theta = pr.theta, *mag = pr.mag;
    if (videos > n) videos = n;
    sync_summary(theta, pr.masks, T, n, S, info);

    const int K = frames < T ? frames : T;
    const int cw = W * SCALE + GUTTER, ch = H * SCALE + GUTTER;
    const int width = GUTTER + K * cw, height = GUTTER + videos * 3 * ch;
    uint8_t *img = malloc((size_t)width * height * 3), *pic = malloc(S * 3);
    PH_CHECK_ALLOC(img && pic, what);
    memset(img, 96, (size_t)width * height * 3);
    for (int i = 0; i < videos; i++) {
        /* Brightness scale: the 99th percentile of the shown magnitudes (a few large
         * pixels would otherwise leave the rest black). */
        float top = 0;
        {
            float *all = malloc((size_t)K * S * sizeof *all);
            PH_CHECK_ALLOC(all, what);
            for (int k = 0; k < K; k++) {
                const int t = K == 1 ? T - 1 : (int)((long)k * (T - 1) / (K - 1));
                memcpy(all + (size_t)k * S, mag + ((size_t)t * n + i) * S, S * sizeof *all);
            }
            qsort(all, (size_t)K * S, sizeof *all, cmp_float);
            top = all[(size_t)(0.99 * (double)(K * S - 1))];
            free(all);
        }
        for (int k = 0; k < K; k++) {
            const int t = K == 1 ? T - 1 : (int)((long)k * (T - 1) / (K - 1));
            info->frame[k] = t;
            const int x0 = GUTTER + k * cw, y0 = GUTTER + 3 * i * ch;
            blit(img, width, x0, y0, x + (size_t)i * vbytes + (size_t)t * S * 3, H, W);
            const float *th = theta + ((size_t)t * n + i) * S, *mg = mag + ((size_t)t * n + i) * S;
            for (size_t p = 0; p < S; p++) {
                double h = (th[p] + M_PI) / (2 * M_PI);
                h -= floor(h);
                hsv_rgb(h, top > 0 ? fminf(mg[p] / top, 1) : 0, pic + 3 * p);
            }
            blit(img, width, x0, y0 + ch, pic, H, W);
            const uint8_t *in = x + (size_t)i * vbytes + (size_t)t * S * 3;
            for (size_t p = 0; p < S; p++) {
                double h = (th[p] + M_PI) / (2 * M_PI);
                h -= floor(h);
                hsv_rgb(h, in[3 * p] | in[3 * p + 1] | in[3 * p + 2] ? 1 : 0, pic + 3 * p);
            }
            blit(img, width, x0, y0 + 2 * ch, pic, H, W);
        }
        info->label[i] = pr.y[i];
    }
    info->videos = videos, info->frames = K, info->scale = SCALE;
    ph_png_write_rgb(png, width, height, img);
    free(img), free(pic);
    phase_run_free(&pr);
}
