/* diagnostic.c: the synthetic challenge of the neural harmonizer study: a
 * small diagnostic part sets the class, a spurious cue (the background's colour
 * or gray level, or a grating square elsewhere) agrees with the class on a
 * per-split fraction of images, clutter keeps the part from being the only
 * thing in view, and /maps/human is the part's
 * mask blurred as ClickMe maps are (the importer's ph_importance_map_prepare).
 *
 * Every sample is a pure function of (seed, index) and the parameters: the
 * label from (seed, PH_STREAM_LABEL, index / K); the cue from sub-stream 1
 * and everything else from sub-stream 0 of (seed, PH_STREAM_CONTENT, index),
 * so two splits with one seed and different cue_agreement differ only in
 * their cues (with cue = patch, also in the clutter placed around the square). */
#include "diagnostic.h"

#include "core/error.h"
#include "core/rng.h"
#include "io/importance_map.h"
#include "challenge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const diagnostic_part_names[DIAG_PART_COUNT] = {
    [DIAG_PART_SHAPE] = "shape", [DIAG_PART_TEXTURE] = "texture"};
const char *const diagnostic_shape_names[DIAG_MAX_CLASSES] = {"cross", "ring", "x", "square", "t", "l"};

static const cfg_key diagnostic_keys[] = {
    {"size", CFG_INT, "64", 16, 1024, NULL, "image side S in pixels (S x S RGB images)"},
    {"classes", CFG_INT, "2", 2, DIAG_MAX_CLASSES, NULL,
     "number of classes K (shapes in order: cross, ring, x, square, t, l)"},
    {"part", CFG_ENUM, "shape", 0, 0, "shape|texture",
     "diagnostic part: a shape per class, or a grating per class (orientation k x 180/K degrees)"},
    {"patch", CFG_INT, "12", 5, 1024, NULL, "side P of the diagnostic part's square, pixels; at most size"},
    {"cue", CFG_ENUM, "colour", 0, 0, "colour|brightness|patch",
     "spurious cue: the background's hue (colour), its gray level (brightness), or a white-on-black grating square elsewhere, its orientation naming the class (patch; needs part = shape)"},
    {"distractors", CFG_INT, "6", 0, 64, NULL,
     "clutter items tried per image (bars, half rings, blocks, checkers; never on the part)"},
};
static const cfg_section diagnostic_section = {
    "diagnostic", "the harmonizer's synthetic challenge: a small part sets the class, a spurious cue mostly agrees with it",
    diagnostic_keys, (int)(sizeof diagnostic_keys / sizeof diagnostic_keys[0]), 0};

static const cfg_key diagnostic_split_keys[] = {
    {"cue_agreement", CFG_REAL, "0.95", 0, 1, NULL,
     "diagnostic challenge: fraction of images whose background colour is the label's (1/K = chance: a decorrelated test)"},
};

/* ---- labels, templates, colours ------------------------------------------- */

int diagnostic_label(uint32_t seed, int classes, int64_t index)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_LABEL, (uint64_t)(index / classes), 0);
    int perm[DIAG_MAX_CLASSES];
    for (int k = 0; k < classes; k++) perm[k] = k;
    for (int k = classes - 1; k > 0; k--) { /* Fisher-Yates */
        int j = (int)ph_rng_below(&r, (uint32_t)k + 1);
        int t = perm[k];
        perm[k] = perm[j], perm[j] = t;
    }
    return perm[index % classes];
}

static int stroke_width(int patch) { return patch >= 12 ? patch / 6 : 1; }

static int shape_on(int cls, int P, int y, int x)
{
    const int w = stroke_width(P), m0 = (P - w) / 2;
    const double c = (P - 1) / 2.0, dy = y - c, dx = x - c;
    const int in_h = y >= m0 && y < m0 + w, in_v = x >= m0 && x < m0 + w;
    switch (cls) {
    case 0: return in_h || in_v; /* cross */
    case 1: {                    /* ring */
        double d = hypot(dy, dx), outer = P / 2.0 - 0.25;
        return d <= outer && d > outer - w - 0.5;
    }
    case 2: return fabs(dy - dx) <= w / 2.0 || fabs(dy + dx) <= w / 2.0; /* x */
    case 3: return y < w || x < w || y >= P - w || x >= P - w;          /* square outline */
    case 4: return y < w || in_v;                                       /* t */
    default: return x < w || y >= P - w;                                /* l */
    }
}

static int texture_on(int cls, int classes, int y, int x)
{
    const double theta = M_PI * cls / classes, period = 4.0;
    double u = (x * cos(theta) + y * sin(theta)) / period;
    return u - floor(u) < 0.5;
}

void diagnostic_template(diagnostic_part part, int cls, int classes, int patch, uint8_t *mask)
{
    for (int y = 0; y < patch; y++)
        for (int x = 0; x < patch; x++)
            mask[y * patch + x] = (uint8_t)(part == DIAG_PART_SHAPE ? shape_on(cls, patch, y, x)
                                                                    : texture_on(cls, classes, y, x));
}

const char *const diagnostic_cue_names[DIAG_CUE_COUNT] = {"colour", "brightness", "patch"};

double diagnostic_cue_value(int cls, int classes) { return 0.15 + 0.4 * cls / (classes - 1); }

double diagnostic_cue_hue(int cls, int classes)
{
    double h = 0.05 + (double)cls / classes;
    return h - floor(h);
}

static void hsv_rgb(double h, double s, double v, uint8_t rgb[3])
{
    h = (h - floor(h)) * 6.0;
    int i = (int)h % 6;
    double f = h - floor(h), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double c[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)lround(c[i][k] * 255.0);
}

/* Light colours for the part and the clutter: always brighter than any background. */
static void bright_rgb(ph_rng *r, uint8_t rgb[3])
{
    double h = ph_rng_uniform(r), s = 0.6 * ph_rng_uniform(r), v = 0.85 + 0.15 * ph_rng_uniform(r);
    hsv_rgb(h, s, v, rgb);
}

/* ---- drawing ---------------------------------------------------------------- */

typedef struct {
    uint8_t *img;
    int S;
} canvas;

static void put(canvas *cv, int y, int x, const uint8_t rgb[3])
{
    if (y < 0 || x < 0 || y >= cv->S || x >= cv->S) return;
    memcpy(cv->img + 3 * ((size_t)y * cv->S + x), rgb, 3);
}

/* Two-tone patch: `on` where mask is set, a dark shade of it elsewhere (textures). */
static void draw_mask(canvas *cv, int y0, int x0, int P, const uint8_t *mask, const uint8_t on[3],
                      int fill_off)
{
    uint8_t off[3] = {(uint8_t)(on[0] / 6), (uint8_t)(on[1] / 6), (uint8_t)(on[2] / 6)};
    for (int y = 0; y < P; y++)
        for (int x = 0; x < P; x++) {
            if (mask[y * P + x])
                put(cv, y0 + y, x0 + x, on);
            else if (fill_off)
                put(cv, y0 + y, x0 + x, off);
        }
}

enum { CLUTTER_BAR, CLUTTER_ARC, CLUTTER_BLOCK, CLUTTER_CHECKER, CLUTTER_KINDS };

/* A clutter item's mask in a P x P box: a part of a shape (one bar, half a
 * ring), a block, or a checker texture, none of them a class's part. */
static int clutter_mask(ph_rng *r, int P, uint8_t *mask)
{
    const int kind = (int)ph_rng_below(r, CLUTTER_KINDS), w = stroke_width(P);
    const int variant = (int)ph_rng_below(r, 4);
    const int bh = P / 3 + (int)ph_rng_below(r, (uint32_t)(P - P / 3)) + 1;
    const int bw = P / 3 + (int)ph_rng_below(r, (uint32_t)(P - P / 3)) + 1;
    const double c = (P - 1) / 2.0;
    for (int y = 0; y < P; y++)
        for (int x = 0; x < P; x++) {
            const double dy = y - c, dx = x - c;
            int on = 0;
            switch (kind) {
            case CLUTTER_BAR: {
                const int m0 = (P - w) / 2;
                on = variant == 0   ? y >= m0 && y < m0 + w
                     : variant == 1 ? x >= m0 && x < m0 + w
                     : variant == 2 ? fabs(dy - dx) <= w / 2.0
                                    : fabs(dy + dx) <= w / 2.0;
                break;
            }
            case CLUTTER_ARC: {
                double d = hypot(dy, dx), outer = P / 2.0 - 0.25;
                double side = variant == 0 ? -dy : variant == 1 ? dy : variant == 2 ? -dx : dx;
                on = d <= outer && d > outer - w - 0.5 && side > 0.5;
                break;
            }
            case CLUTTER_BLOCK: on = y < bh && x < bw; break;
            default: on = ((y / 2) + (x / 2)) % 2 == 0; break;
            }
            mask[y * P + x] = (uint8_t)on;
        }
    return kind;
}

/* Boxes [y, y+P) x [x, x+P) closer than one pixel overlap. */
static int boxes_near(int y0, int x0, int y1, int x1, int P)
{
    return abs(y0 - y1) < P + 1 && abs(x0 - x1) < P + 1;
}

/* ---- challenge interface ------------------------------------------------------ */

static void *diag_params_load(const cfg *c)
{
    diagnostic_params *p = calloc(1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating diagnostic parameters");
    p->size = (int)cfg_int(c, "diagnostic", "size");
    p->classes = (int)cfg_int(c, "diagnostic", "classes");
    const char *part = cfg_str(c, "diagnostic", "part");
    for (int k = 0; k < DIAG_PART_COUNT; k++)
        if (!strcmp(part, diagnostic_part_names[k])) p->part = (diagnostic_part)k;
    p->patch = (int)cfg_int(c, "diagnostic", "patch");
    p->distractors = (int)cfg_int(c, "diagnostic", "distractors");
    const char *cue = cfg_str(c, "diagnostic", "cue");
    for (int k = 0; k < DIAG_CUE_COUNT; k++)
        if (!strcmp(cue, diagnostic_cue_names[k])) p->cue = (diagnostic_cue)k;
    p->agreement = 1.0;
    if (p->cue == DIAG_CUE_PATCH && p->part != DIAG_PART_SHAPE)
        ph_usage_error("config error at %s: [diagnostic] cue = patch draws a grating, which is what "
                       "part = texture draws too (choose part = shape with cue = patch)",
                       cfg_where(c, "diagnostic", "cue"));
    if (p->cue == DIAG_CUE_PATCH && 3 * p->patch + 2 > p->size) {
        /* wherever the part is, a square one pixel clear of it must fit: S - P >= 2 (P + 1) */
        ph_usage_error("config error at %s: [diagnostic] cue = patch needs room for the cue square "
                       "clear of the part wherever it is, but patch = %d and size = %d (choose size >= 3 patch + 2)",
                       cfg_where(c, "diagnostic", "cue"), p->patch, p->size);
    }
    if (p->patch > p->size) {
        const char *where = cfg_where(c, "diagnostic", "patch");
        ph_usage_error("config error at %s: [diagnostic] patch = %d is larger than the image "
                       "([diagnostic] size = %d) (choose patch <= size)",
                       strcmp(where, "default") ? where : cfg_where(c, "diagnostic", "size"),
                       p->patch, p->size);
    }
    return p;
}

static void diag_params_free(void *p) { free(p); }

static void diag_split_load(void *params, const cfg *c, const char *section)
{
    diagnostic_params *p = params;
    p->agreement = cfg_real(c, section, "cue_agreement");
}

static int diag_fields(const void *params, ph_field *out, int max)
{
    const diagnostic_params *p = params;
    const hsize_t S = (hsize_t)p->size;
    ph_field f[DIAG_F_COUNT] = {
        {"x", PH_U8, 3, {S, S, 3}, "images [N,H,W,C] uint8 RGB"},
        {"y", PH_I32, 0, {0}, "label: the class of the diagnostic part, 0..K-1"},
        {"meta/patch", PH_I16, 1, {3}, "diagnostic part: top-left (row, col) and side P of its square"},
        {"meta/cue", PH_I32, 0, {0}, "class named by the spurious cue (background colour or level, or the cue square)"},
        {"meta/distractors", PH_I32, 0, {0}, "clutter items drawn"},
        {"maps/human", PH_F32, 2, {S, S},
         "ground-truth importance: the part's mask blurred as ClickMe maps, min-max to [0,1]"},
    };
    const int count = DIAG_F_COUNT + (p->cue == DIAG_CUE_PATCH);
    if (count > max) PH_FAIL("listing diagnostic datasets", "too many fields", "this is a bug");
    memcpy(out, f, sizeof f);
    if (p->cue == DIAG_CUE_PATCH)
        out[DIAG_F_CUE_BOX] = (ph_field){"meta/cue_box", PH_I16, 1, {3},
                                         "cue square: top-left (row, col) and side P (cue = patch)"};
    return count;
}

static void diag_condition(const void *params, char *buf, size_t n)
{
    const diagnostic_params *p = params;
    snprintf(buf, n, "%s_k%d_patch%d_agree%.3g%s", diagnostic_part_names[p->part], p->classes,
             p->patch, p->agreement, p->cue == DIAG_CUE_COLOUR ? "" : p->cue == DIAG_CUE_BRIGHTNESS ? "_brightness" : "_patch");
}

static void diag_generate(const void *params, uint32_t seed, int64_t index, void *const *out)
{
    const diagnostic_params *p = params;
    const int S = p->size, P = p->patch, K = p->classes;
    const int label = diagnostic_label(seed, K, index);

    /* The cue: the label's class with probability `agreement`, else another class. */
    ph_rng r1, r;
    ph_rng_init(&r1, seed, PH_STREAM_CONTENT, (uint64_t)index, 1);
    int cue = label;
    if (ph_rng_uniform(&r1) >= p->agreement) cue = (label + 1 + (int)ph_rng_below(&r1, (uint32_t)K - 1)) % K;
    uint8_t bg[3];
    /* Drawn in a fixed order (value, saturation, hue): the order GCC gave the three
     * draws when they were function arguments, whose order C leaves unspecified. */
    const double uv = ph_rng_uniform(&r1), us = ph_rng_uniform(&r1), uh = ph_rng_uniform(&r1);
    if (p->cue == DIAG_CUE_BRIGHTNESS) /* gray, jittered less than half the gap between classes */
        hsv_rgb(0, 0, diagnostic_cue_value(cue, K) + (uv - 0.5) * 0.3 / (K - 1), bg);
    else if (p->cue == DIAG_CUE_PATCH) /* any hue: the background says nothing */
        hsv_rgb(uh, 0.45 + 0.3 * us, 0.35 + 0.2 * uv, bg);
    else
        hsv_rgb(diagnostic_cue_hue(cue, K) + (uh - 0.5) * 0.6 / K, 0.45 + 0.3 * us, 0.35 + 0.2 * uv, bg);

    canvas cv = {out[DIAG_F_X], S};
    for (size_t i = 0; i < (size_t)S * S; i++) memcpy(cv.img + 3 * i, bg, 3);

    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 0);
    const int py = (int)ph_rng_below(&r, (uint32_t)(S - P + 1));
    const int px = (int)ph_rng_below(&r, (uint32_t)(S - P + 1));
    uint8_t part_rgb[3];
    bright_rgb(&r, part_rgb);

    uint8_t *mask = malloc((size_t)P * P);
    PH_CHECK_ALLOC(mask, "allocating a diagnostic patch");
    /* Clutter first, each item in a free P x P box, up to 20 tries; never near the part
     * nor the cue square. */
    int boxes[65][2], nboxes = 0, cy = -1, cx = -1;
    if (p->cue == DIAG_CUE_PATCH) {
        /* The cue square's place comes from the cue's sub-stream, after the background;
         * a free place always exists (size >= 3P + 2), so the search ends. */
        do {
            cy = (int)ph_rng_below(&r1, (uint32_t)(S - P + 1));
            cx = (int)ph_rng_below(&r1, (uint32_t)(S - P + 1));
        } while (boxes_near(cy, cx, py, px, P));
        /* A white grating on near black whose orientation names the cue class: bright
         * strokes raise the cue class's evidence for every class, so the training
         * saliency (signed, then cut at zero) sees a model that reads it; a black-or-
         * white square would hide the class read from darkness (negative gradient). */
        static const uint8_t white[3] = {255, 255, 255};
        diagnostic_template(DIAG_PART_TEXTURE, cue, K, P, mask);
        draw_mask(&cv, cy, cx, P, mask, white, 1);
        boxes[0][0] = cy, boxes[0][1] = cx, nboxes = 1;
    }
    const int first_clutter = nboxes;
    for (int d = 0; d < p->distractors; d++) {
        for (int attempt = 0; attempt < 20; attempt++) {
            int y = (int)ph_rng_below(&r, (uint32_t)(S - P + 1));
            int x = (int)ph_rng_below(&r, (uint32_t)(S - P + 1));
            int free_box = !boxes_near(y, x, py, px, P);
            for (int b = 0; b < nboxes && free_box; b++) free_box = !boxes_near(y, x, boxes[b][0], boxes[b][1], P);
            if (!free_box) continue;
            uint8_t rgb[3];
            bright_rgb(&r, rgb);
            int kind = clutter_mask(&r, P, mask);
            draw_mask(&cv, y, x, P, mask, rgb, kind == CLUTTER_CHECKER);
            boxes[nboxes][0] = y, boxes[nboxes][1] = x, nboxes++;
            break;
        }
    }
    diagnostic_template(p->part, label, K, P, mask);
    draw_mask(&cv, py, px, P, mask, part_rgb, p->part == DIAG_PART_TEXTURE);

    /* The region a person would mark: the drawn part (the whole square for a texture). */
    float *region = calloc((size_t)S * S, sizeof *region);
    PH_CHECK_ALLOC(region, "allocating a diagnostic region mask");
    for (int y = 0; y < P; y++)
        for (int x = 0; x < P; x++)
            region[(size_t)(py + y) * S + px + x] = p->part == DIAG_PART_TEXTURE || mask[y * P + x];
    char why[256];
    if (ph_importance_map_prepare(region, S, S, S, S, PH_MAP_CLICKME, out[DIAG_F_HUMAN], why, sizeof why))
        PH_FAIL("making a diagnostic human map", why, "this is a bug; report the seed and sample index");
    free(region);
    free(mask);

    *(int32_t *)out[DIAG_F_Y] = label;
    int16_t *patch = out[DIAG_F_PATCH];
    patch[0] = (int16_t)py, patch[1] = (int16_t)px, patch[2] = (int16_t)P;
    *(int32_t *)out[DIAG_F_CUE] = cue;
    *(int32_t *)out[DIAG_F_DISTRACTORS] = nboxes - first_clutter;
    if (p->cue == DIAG_CUE_PATCH) {
        int16_t *box = out[DIAG_F_CUE_BOX];
        box[0] = (int16_t)cy, box[1] = (int16_t)cx, box[2] = (int16_t)P;
    }
}

const ph_challenge ph_challenge_diagnostic = {
    .name = "diagnostic",
    .summary = "harmonizer challenge: a small part sets the class, a spurious cue (colour, brightness or a patch) mostly agrees",
    .section = &diagnostic_section,
    .params_load = diag_params_load,
    .params_free = diag_params_free,
    .fields = diag_fields,
    .condition = diag_condition,
    .generate = diag_generate,
    .split_keys = diagnostic_split_keys,
    .nsplit_keys = (int)(sizeof diagnostic_split_keys / sizeof diagnostic_split_keys[0]),
    .split_load = diag_split_load,
};
