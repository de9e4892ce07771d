/* maco_taps.c: the layers an objective can target, and the objectives.
 *
 * Every model offers its logits.  Feature maps are the model's taps
 * (ph_model_def.taps: activations after the forward pass; tap_backward: the
 * backward pass from a gradient on one of them, the model's own code);
 * tests/maco.t checks the whole chain against finite differences
 * (maco.check_gradient). */
#include "maco.h"

#include "core/error.h"
#include "core/rng.h"
#include "fft/imageparam.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- layers: the logits, then the model's taps (ph_model_def.taps / tap_backward) ---- */

/* The model's taps when it can also run a backward pass from them; 0 otherwise. */
static int model_taps(ph_model *m, ph_model_tap *t)
{
    if (!m->def->taps || !m->def->tap_backward) return 0;
    const int n = m->def->taps(m, t, MACO_MAX_LAYERS - 1);
    return n < MACO_MAX_LAYERS - 1 ? n : MACO_MAX_LAYERS - 1;
}

int maco_layers(ph_model *m, maco_layer *out)
{
    out[0] = (maco_layer){"logits", m->g.outputs, 1, 1};
    ph_model_tap t[MACO_MAX_LAYERS];
    const int n = model_taps(m, t);
    for (int i = 0; i < n; i++) {
        out[i + 1] = (maco_layer){"", t[i].c, t[i].h, t[i].w};
        snprintf(out[i + 1].name, sizeof out[i + 1].name, "%s", t[i].name);
    }
    return 1 + n;
}

const float *maco_layer_activation(ph_model *m, int i)
{
    if (i == 0) return m->logits;
    ph_model_tap t[MACO_MAX_LAYERS];
    model_taps(m, t);
    return t[i - 1].data;
}

void maco_layer_backward(ph_model *m, int i, const float *dact)
{
    if (i == 0)
        ph_model_backward_host(m, dact);
    else
        m->def->tap_backward(m, i - 1, dact);
}

int maco_feature_count(ph_model *m)
{
    ph_model_tap t[MACO_MAX_LAYERS];
    const int n = model_taps(m, t);
    return n ? t[n - 1].c : m->g.outputs;
}

void maco_features(ph_model *m, float *out)
{
    ph_model_tap t[MACO_MAX_LAYERS];
    const int n = model_taps(m, t);
    if (!n) {
        ph_dev_download(m->be, out, m->logits, (size_t)m->g.n * m->g.outputs);
        return;
    }
    /* the last tap averaged over space (a ResNet's globally pooled features) */
    const ph_model_tap *l = &t[n - 1];
    const size_t hw = (size_t)l->h * l->w, count = (size_t)l->n * l->c * hw;
    float *a = malloc(count * sizeof *a);
    PH_CHECK_ALLOC(a, "reading a model's features");
    ph_dev_download(m->be, a, l->data, count);
    for (size_t k = 0; k < (size_t)l->n * l->c; k++) {
        double sum = 0;
        for (size_t p = 0; p < hw; p++) sum += a[k * hw + p];
        out[k] = (float)(sum / (double)hw);
    }
    free(a);
}

/* ---- objectives ---- */

const char *const maco_obj_names[OBJ_COUNT] = {[OBJ_CLASS] = "class", [OBJ_LOGIT] = "logit",
                                               [OBJ_CHANNEL] = "channel", [OBJ_NEURON] = "neuron",
                                               [OBJ_DIRECTION] = "direction"};

static int parse_index(const char *s, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 1000000) return -1;
    *out = (int)v;
    return 0;
}

void maco_objective_parse(maco_objective *o, const char *text, const maco_layer *layers, int nlayers,
                          int outputs, uint32_t seed)
{
    memset(o, 0, sizeof *o);
    snprintf(o->text, sizeof o->text, "%s", text);
    o->cls = -1, o->sign = 1;
    char buf[64], *parts[4] = {0};
    snprintf(buf, sizeof buf, "%s", text);
    int np = 0;
    for (char *save = NULL, *p = strtok_r(buf, ":", &save); p && np < 4; p = strtok_r(NULL, ":", &save)) parts[np++] = p;
    int k = -1;
    for (int i = 0; i < OBJ_COUNT; i++)
        if (parts[0] && !strcmp(parts[0], maco_obj_names[i])) k = i;
    char names[256] = "";
    for (int i = 0; i < nlayers; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", layers[i].name);
    if (k < 0 || (k <= OBJ_LOGIT && np != 2) || (k > OBJ_LOGIT && np != 3))
        ph_usage_error("config error: [maco] objectives: '%s' is not one of class:K, logit:K, channel:LAYER:K, "
                       "neuron:LAYER:K, direction:LAYER:SEED", text);
    o->kind = (maco_obj_kind)k;
    if (k > OBJ_LOGIT) {
        o->layer = -1;
        for (int i = 0; i < nlayers; i++)
            if (!strcmp(layers[i].name, parts[1])) o->layer = i;
        if (o->layer < 0)
            ph_usage_error("config error: [maco] objectives: '%s': this model has no layer '%s' (layers: %s)", text,
                           parts[1], names);
    }
    if (parse_index(parts[np - 1], &o->unit))
        ph_usage_error("config error: [maco] objectives: '%s': '%s' is not a non-negative integer", text, parts[np - 1]);
    const maco_layer *l = &layers[o->layer];
    if (k == OBJ_CLASS) {
        int classes = outputs == 1 ? 2 : outputs;
        if (o->unit >= classes)
            ph_usage_error("config error: [maco] objectives: '%s': the model has %d classes (0..%d)", text, classes,
                           classes - 1);
        o->cls = o->unit;
        if (outputs == 1) o->sign = o->unit == 1 ? 1.0f : -1.0f, o->unit = 0;
    } else if (k != OBJ_DIRECTION && o->unit >= l->c) {
        ph_usage_error("config error: [maco] objectives: '%s': layer %s has %d %s (0..%d)", text, l->name, l->c,
                       k == OBJ_LOGIT ? "logits" : "channels", l->c - 1);
    }
    if (k == OBJ_DIRECTION) {
        /* A unit vector over the layer's channels from Philox (seed, stream, the direction's seed). */
        o->dir = malloc((size_t)l->c * sizeof *o->dir);
        PH_CHECK_ALLOC(o->dir, "drawing a direction");
        ph_rng r;
        ph_rng_init(&r, seed, PH_STREAM_FEATVIS, 0xFFFFFFFF00000000ull | (uint32_t)o->unit, 3);
        double norm = 0;
        for (int i = 0; i < l->c; i++) o->dir[i] = (float)ph_fvis_normal(&r), norm += (double)o->dir[i] * o->dir[i];
        for (int i = 0; i < l->c; i++) o->dir[i] = (float)(o->dir[i] / sqrt(norm));
    }
}

void maco_objective_free(maco_objective *o)
{
    free(o->dir);
    o->dir = NULL;
}

double maco_objective_eval(const maco_objective *o, const maco_layer *l, int n, const float *a, float *grad)
{
    const int c = l->c;
    const size_t p = (size_t)l->h * l->w, count = (size_t)n * c * p;
    if (grad) memset(grad, 0, count * sizeof *grad);
    double sum = 0;
    switch (o->kind) {
    case OBJ_CLASS:
    case OBJ_LOGIT:
    case OBJ_CHANNEL: /* mean over crops (and positions) of one channel, signed for class 0 of one logit */
        for (int b = 0; b < n; b++)
            for (size_t q = 0; q < p; q++) {
                size_t e = ((size_t)b * c + o->unit) * p + q;
                sum += o->sign * a[e];
                if (grad) grad[e] = (float)(-o->sign / ((double)n * p));
            }
        return sum / ((double)n * p);
    case OBJ_NEURON: { /* the unit at the centre of the map */
        size_t q = (size_t)(l->h / 2) * l->w + l->w / 2;
        for (int b = 0; b < n; b++) {
            size_t e = ((size_t)b * c + o->unit) * p + q;
            sum += a[e];
            if (grad) grad[e] = (float)(-1.0 / n);
        }
        return sum / n;
    }
    case OBJ_DIRECTION: /* Lucid's dot_cossim per crop and position: (a.v) max(cos(a, v), 0.1)^2 */
        for (int b = 0; b < n; b++)
            for (size_t q = 0; q < p; q++) {
                double d = 0, aa = 0;
                for (int k = 0; k < c; k++) {
                    double v = a[((size_t)b * c + k) * p + q];
                    d += v * o->dir[k], aa += v * v;
                }
                double na = sqrt(aa) + 1e-12, cs = d / na, cc = cs > 0.1 ? cs : 0.1;
                sum += d * cc * cc;
                if (!grad) continue;
                for (int k = 0; k < c; k++) {
                    size_t e = ((size_t)b * c + k) * p + q;
                    double g = o->dir[k] * cc * cc;
                    if (cs > 0.1) g += d * 2 * cc * (o->dir[k] / na - d * a[e] / (na * na * na));
                    grad[e] = (float)(-g / ((double)n * p));
                }
            }
        return sum / ((double)n * p);
    default:
        return 0;
    }
}
