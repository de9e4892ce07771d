/* maco.h: phasor-analyze maco (feature visualisation by phase optimisation and
 * its baselines; docs/maco.md), internal to the analyze stage.
 *
 *   maco.c         the subcommand: config, model, the optimisation loop, maco.h5
 *   maco_taps.c    objectives on a model layer: the logits, or a feature map
 *                  that a model's tap (one table row per model) exposes
 *   maco_report.c  PNGs, the grid figure, REPORT.md and maco.json */
#ifndef PHASOR_ANALYZE_MACO_H
#define PHASOR_ANALYZE_MACO_H

#include "models/model.h"

#include <stdint.h>

/* Entry point of `phasor-analyze maco ...` (argv[0] is "maco"). */
int ph_analyze_maco_main(int argc, char **argv);

/* ---- layers and objectives (maco_taps.c) ---- */

enum { MACO_MAX_LAYERS = 8 };

/* A layer's activations [n, c, h w] on the device after a forward pass. */
typedef struct {
    char name[32];
    int c, h, w;
} maco_layer;

/* The layers a model offers: "logits" always (index 0, [n, outputs, 1, 1]),
 * then its tap's feature maps.  Returns the count. */
int maco_layers(ph_model *m, maco_layer *out);
/* Device pointer to layer i's activations after m's forward pass. */
const float *maco_layer_activation(ph_model *m, int i);
/* From d(loss)/d(layer i) [n, c, h w] on the host: m->dx (want_dx must be set). */
void maco_layer_backward(ph_model *m, int i, const float *dact);
/* The features for plausibility, [n, k] on the host: the last feature map
 * averaged over space (the penultimate layer), or the logits without a tap. */
int maco_feature_count(ph_model *m);
void maco_features(ph_model *m, float *out);

typedef enum { OBJ_CLASS, OBJ_LOGIT, OBJ_CHANNEL, OBJ_NEURON, OBJ_DIRECTION, OBJ_COUNT } maco_obj_kind;
extern const char *const maco_obj_names[OBJ_COUNT];

typedef struct {
    maco_obj_kind kind;
    char text[64];  /* as written in the config */
    int layer;      /* index into maco_layers */
    int unit;       /* class, logit or channel; direction: its seed */
    int cls;        /* the class it stands for (class objectives), else -1 */
    float sign;     /* class K of a one-logit model: +1 for K = 1, -1 for K = 0 */
    float *dir;     /* direction: unit vector [c] (host) */
} maco_objective;

/* Parses "class:K", "logit:K", "channel:LAYER:K", "neuron:LAYER:K",
 * "direction:LAYER:SEED"; errors are usage errors naming the item. */
void maco_objective_parse(maco_objective *o, const char *text, const maco_layer *layers, int nlayers,
                          int outputs, uint32_t seed);
void maco_objective_free(maco_objective *o);
/* The objective (mean over the n crops) of activations a [n, c, h w] on the
 * host, and d(-objective)/da into grad (the loss's gradient). */
double maco_objective_eval(const maco_objective *o, const maco_layer *l, int n, const float *a,
                           float *grad);

/* ---- report (maco_report.c) ---- */

typedef struct {
    const char *out_dir, *publish;
    const char *model, *checkpoint, *samples, *spectrum, *config_text;
    const char *const *methods;
    int nmethods;
    const maco_objective *objectives;
    int nobjectives;
    int c, s, in_h, in_w, steps, crops, ranks, real_per_class, classes;
    int grid_cell; /* side of a grid panel in pixels (the canvas is averaged down to it) */
    double seconds, steps_per_second, fft_share;
    const char *device;
} maco_report_info;

/* Display conversions (docs/maco.md §3): the image clipped to its [1, 99]
 * percentiles and scaled to [0, 255]; alpha = channel mean of the
 * accumulated |gradient|, clipped at its 80th percentile, over its max. */
void maco_display(const float *img, const float *attr, int c, int s, uint8_t *rgb, uint8_t *alpha);
/* The three PNGs of one run: NAME.png, NAME_attribution.png, NAME_alpha.png (RGBA). */
void maco_write_pngs(const char *dir, const char *name, const float *img, const float *attr, int c, int s);
/* Rank 0: reads DIR/maco.h5 back and writes grid.png, REPORT.md, maco.json
 * (and copies them into publish when set). */
void maco_report_write(const maco_report_info *info);

#endif
