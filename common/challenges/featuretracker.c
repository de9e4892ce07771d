/* featuretracker.c: FeatureTracker videos, ported from the original generator
 * (S4b1n3/feature_tracker, folder feature_tracker/; Muzellec et al., ICLR
 * 2025, arXiv 2410.02094; docs/challenges/featuretracker.md lists every
 * decision).
 *
 * The PathTracker canvas and paths carry 5x5 objects whose colour (an HSV hue
 * trajectory) and shape (a life-like cellular automaton) change from frame to
 * frame.  The red start and blue goal markers are 5x5 outlines.  Negatives
 * are hard: the goal sits on the end of the distractor whose final position is
 * nearest the target's (coords_3). */
#include "featuretracker.h"

#include "core/error.h"
#include "core/rng.h"
#include "challenge.h"
#include "pathtracker.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ft_shapes_names[FT_SHAPES_COUNT] = {"none", "id", "ood"};
const char *const ft_colors_names[FT_COLORS_COUNT] = {"none", "id", "ood", "irregular"};
const char *const ft_paths_names[FT_PATHS_COUNT] = {"regular", "irregular"};

static const cfg_key featuretracker_keys[] = {
    {"length", CFG_INT, "32", 2, PT_CURVE_POINTS, NULL, "frames per video T (paper: 32)"},
    {"num_distractors", CFG_INT, "10", 1, FT_MAX_DISTRACTORS, NULL,
     "distractor objects (paper: 10); at least 1, since a negative ends on the nearest one"},
    {"extra_distractors", CFG_INT, "0", 0, FT_MAX_DISTRACTORS, NULL,
     "the original's extra_dist: more distractors, drawn after the others, never the goal"},
    {"skip", CFG_INT, "1", 1, 64, NULL, "speed: curve points advanced per frame; length*skip <= 326"},
    {"shapes", CFG_ENUM, "id", 0, 0, "none|id|ood",
     "shape rule: none = fixed 3x3 square, id = birth-only life (training), ood = death-only life"},
    {"colors", CFG_ENUM, "id", 0, 0, "none|id|ood|irregular",
     "hues: none = fixed green, id = [0,180) deg, ood = [180,360), irregular = id hues, faster"},
    {"paths", CFG_ENUM, "regular", 0, 0, "regular|irregular",
     "trajectories: regular = PathTracker's (turns up to 90 deg), irregular = turns up to 180 deg"},
    {"coords3_twice", CFG_BOOL, "false", 0, 0, NULL,
     "draw coords_3 a second time with its own shape and colour, as the original does"},
    {"negatives", CFG_ENUM, "original", 0, 0, "original|matched",
     "original = goal on the distractor ending nearest the target's end; matched = on one ending "
     "where a positive from the same start would end (the shortcut control)"},
    {"hue_margin", CFG_INT, "0", 0, 40, NULL,
     "degrees of hue kept clear of the start marker's red (0) and the goal marker's blue (240); "
     "0 = the original's hues"},
};
static const cfg_section featuretracker_section = {
    "featuretracker", "FeatureTracker: track an object whose colour and shape change, among others",
    featuretracker_keys, (int)(sizeof featuretracker_keys / sizeof featuretracker_keys[0]), 0};

/* Sub-streams of (seed, PH_STREAM_CONTENT, index): paths use 0 (target) and
 * 2 + d (distractor d) as in PathTracker; the rest sit far above. */
#define FT_SUB_SHAPE 0x10000000u  /* + object: initial and re-randomised shapes */
#define FT_SUB_COLOR 0x20000000u  /* + object: starting hue */
#define FT_SUB_SPEED 0x30000000u  /* the video's irregular hue speed */
#define FT_SUB_REDRAW 0x40000000u /* + k: redraws of distractor 0 (see nearest) */

#define FT_CELLS (FT_SIDE * FT_SIDE)
#define FT_HUE_SPEED (1.0 / 64.0) /* turns per frame: 180 deg over 32 frames */

/* ---- shapes: 5x5 grids of 0/1 ------------------------------------------- */

/* Random centre 3x3, never empty: the original re-randomises empty grids, so
 * it never means an object to vanish; an empty draw (1 in 512) is redrawn. */
static void grid_random(ph_rng *r, uint8_t *g)
{
    uint32_t bits;
    do bits = ph_rng_u32(r) & 0x1ffu;
    while (!bits);
    memset(g, 0, FT_CELLS);
    for (int k = 0; k < 9; k++) g[(1 + k / 3) * FT_SIDE + 1 + k % 3] = (uint8_t)((bits >> k) & 1u);
}

/* One step of the rule, 8-neighbourhood without wraparound: id = birth only
 * (a dead cell with exactly 3 live neighbours is born), ood = death only (a
 * live cell with fewer than 2 or more than 3 dies).  Empty -> re-randomised. */
static void grid_step(uint8_t *g, ft_shapes rule, ph_rng *r)
{
    uint8_t next[FT_CELLS];
    int live = 0;
    for (int i = 0; i < FT_SIDE; i++)
        for (int j = 0; j < FT_SIDE; j++) {
            int n = 0;
            for (int di = -1; di <= 1; di++)
                for (int dj = -1; dj <= 1; dj++) {
                    int a = i + di, b = j + dj;
                    if ((di || dj) && a >= 0 && b >= 0 && a < FT_SIDE && b < FT_SIDE)
                        n += g[a * FT_SIDE + b];
                }
            uint8_t c = g[i * FT_SIDE + j];
            next[i * FT_SIDE + j] = rule == FT_SHAPES_ID ? (uint8_t)(c || n == 3)
                                                         : (uint8_t)(c && n >= 2 && n <= 3);
            live += next[i * FT_SIDE + j];
        }
    if (live) memcpy(g, next, FT_CELLS);
    else grid_random(r, g);
}

/* Shapes of object j over T frames: frame 0 the start, one step per frame,
 * and on the last frame the border cleared so the shape fits the goal outline. */
static void object_shapes(const featuretracker_params *p, uint32_t seed, int64_t index, int j,
                          uint8_t *out /* [T][25] */)
{
    const int T = p->length;
    if (p->shapes == FT_SHAPES_NONE) {
        for (int t = 0; t < T; t++)
            for (int k = 0; k < FT_CELLS; k++) {
                int i = k / FT_SIDE, c = k % FT_SIDE;
                out[t * FT_CELLS + k] = i >= 1 && i <= 3 && c >= 1 && c <= 3;
            }
        return;
    }
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, FT_SUB_SHAPE + (uint32_t)j);
    uint8_t g[FT_CELLS];
    grid_random(&r, g);
    memcpy(out, g, FT_CELLS);
    for (int t = 1; t < T; t++) {
        grid_step(g, p->shapes, &r);
        if (t == T - 1)
            for (int k = 0; k < FT_CELLS; k++) {
                int i = k / FT_SIDE, c = k % FT_SIDE;
                if (i == 0 || c == 0 || i == FT_SIDE - 1 || c == FT_SIDE - 1) g[k] = 0;
            }
        memcpy(out + (size_t)t * FT_CELLS, g, FT_CELLS);
    }
}

/* ---- colours: hue trajectories at full saturation and value ------------- */

/* HSV(h, 1, 1) to RGB, each channel truncated as int(255 * c), as Python's
 * colorsys and the original's int() do. */
static void hue_rgb(double h, uint8_t *rgb)
{
    int i = (int)(h * 6.0);
    double f = h * 6.0 - i, q = 1.0 - f, t = 1.0 - (1.0 - f), c[3];
    switch (i % 6) {
    case 0: c[0] = 1, c[1] = t, c[2] = 0; break;
    case 1: c[0] = q, c[1] = 1, c[2] = 0; break;
    case 2: c[0] = 0, c[1] = 1, c[2] = t; break;
    case 3: c[0] = 0, c[1] = q, c[2] = 1; break;
    case 4: c[0] = t, c[1] = 0, c[2] = 1; break;
    default: c[0] = 1, c[1] = 0, c[2] = q; break;
    }
    for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)(int)(c[k] * 255.0);
}

/* Hue in degrees for u in [0, 1): the half circle [lo, lo + 180) without the
 * open arcs of `margin` degrees around the markers' hues 0 (= 360) and 240,
 * walked at a constant rate. */
static double hue_allowed(double u, double lo, double margin)
{
    const double marker[3] = {0.0, 240.0, 360.0};
    double a[4], b[4], total = 0; /* allowed arcs [a, b) */
    int n = 0;
    a[0] = lo;
    for (int k = 0; k < 3; k++) {
        double from = marker[k] - margin, to = marker[k] + margin;
        if (to <= a[n] || from >= lo + 180.0) continue;
        b[n] = fmax(a[n], from);
        if (b[n] > a[n]) n++;
        a[n] = fmin(lo + 180.0, to);
    }
    b[n] = lo + 180.0;
    if (b[n] > a[n]) n++;
    for (int k = 0; k < n; k++) total += b[k] - a[k];
    double at = u * total;
    for (int k = 0; k < n; k++) {
        if (at < b[k] - a[k] || k == n - 1) return a[k] + at;
        at -= b[k] - a[k];
    }
    return lo;
}

/* Colours of object j: angle(t) = ((t * speed * 360) mod 360) + start with
 * start uniform in {0..359}; id maps it to (angle mod 180) deg, ood to
 * (angle mod 180) + 180 deg, so a 1/64 speed sweeps the half circle once in 32 frames. */
static void object_colors(const featuretracker_params *p, uint32_t seed, int64_t index, int j,
                          double speed, uint8_t *out /* [T][3] */)
{
    if (p->colors == FT_COLORS_NONE) {
        for (int t = 0; t < p->length; t++) out[3 * t] = 0, out[3 * t + 1] = 255, out[3 * t + 2] = 0;
        return;
    }
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, FT_SUB_COLOR + (uint32_t)j);
    double start = (double)ph_rng_below(&r, 360);
    double half = p->colors == FT_COLORS_OOD ? 180.0 : 0.0;
    for (int t = 0; t < p->length; t++) {
        double angle = fmod((double)t * speed * 360.0, 360.0) + start;
        double hue = p->hue_margin ? hue_allowed(fmod(angle, 180.0) / 180.0, half, p->hue_margin)
                                   : fmod(angle, 180.0) + half;
        hue_rgb(hue / 360.0, out + 3 * t);
    }
}

/* ---- coords_3 ------------------------------------------------------------ */

/* Index of the first of the nd distractors whose end is nearest (Euclidean,
 * in drawn pixels) the target's end, ignoring ends on the target's end
 * itself; -1 if every end is there. */
static int nearest_distractor(const int16_t *target_end, const int16_t *dist, int nd, int T)
{
    int best = -1;
    long best_d2 = LONG_MAX;
    for (int d = 0; d < nd; d++) {
        const int16_t *e = dist + ((size_t)d * T + (T - 1)) * 2;
        long dr = e[0] - target_end[0], dc = e[1] - target_end[1], d2 = dr * dr + dc * dc;
        if (d2 > 0 && d2 < best_d2) best = d, best_d2 = d2;
    }
    return best;
}

/* ---- drawing: every lit cell replaces the pixel and records its owner ---- */

static void paint(uint8_t *frame, uint8_t *mask, int r, int c, const uint8_t *rgb, uint8_t id)
{
    if (r < 0 || c < 0 || r >= FT_FRAME || c >= FT_FRAME) return; /* cannot happen: box 27 + 5 */
    uint8_t *px = frame + 3 * (r * FT_FRAME + c);
    px[0] = rgb[0], px[1] = rgb[1], px[2] = rgb[2];
    mask[r * FT_FRAME + c] = id;
}

static void draw_outline(uint8_t *frame, uint8_t *mask, const int16_t *at, const uint8_t *rgb,
                         uint8_t id)
{
    for (int i = 0; i < FT_SIDE; i++)
        for (int j = 0; j < FT_SIDE; j++)
            if (i == 0 || j == 0 || i == FT_SIDE - 1 || j == FT_SIDE - 1)
                paint(frame, mask, at[0] + i, at[1] + j, rgb, id);
}

/* Zeros of the grid are transparent. */
static void draw_object(uint8_t *frame, uint8_t *mask, const int16_t *at, const uint8_t *grid,
                        const uint8_t *rgb, uint8_t id)
{
    for (int k = 0; k < FT_CELLS; k++)
        if (grid[k]) paint(frame, mask, at[0] + k / FT_SIDE, at[1] + k % FT_SIDE, rgb, id);
}

/* ---- challenge interface ------------------------------------------------ */

static int name_index(const char *const *names, int n, const char *value)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], value)) return i;
    PH_FAIL("reading a FeatureTracker choice", "value missing from its name table", "this is a bug");
}

static void *ft_params_load(const cfg *c)
{
    const char *s = "featuretracker";
    featuretracker_params *p = calloc(1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating FeatureTracker parameters");
    p->length = (int)cfg_int(c, s, "length");
    p->num_distractors = (int)cfg_int(c, s, "num_distractors");
    p->extra_distractors = (int)cfg_int(c, s, "extra_distractors");
    p->skip = (int)cfg_int(c, s, "skip");
    p->shapes = (ft_shapes)name_index(ft_shapes_names, FT_SHAPES_COUNT, cfg_str(c, s, "shapes"));
    p->colors = (ft_colors)name_index(ft_colors_names, FT_COLORS_COUNT, cfg_str(c, s, "colors"));
    p->paths = (ft_paths)name_index(ft_paths_names, FT_PATHS_COUNT, cfg_str(c, s, "paths"));
    p->coords3_twice = cfg_bool(c, s, "coords3_twice");
    p->negatives = (pt_negatives)name_index(pt_negatives_names, PT_NEGATIVES_COUNT, cfg_str(c, s, "negatives"));
    p->hue_margin = (int)cfg_int(c, s, "hue_margin");
    if (p->length * p->skip > PT_CURVE_POINTS)
        ph_usage_error("config error at %s: [featuretracker] length x skip = %d x %d = %d exceeds "
                       "the %d points of a curve (lower length or skip)",
                       strcmp(cfg_where(c, s, "skip"), "default") ? cfg_where(c, s, "skip")
                                                                  : cfg_where(c, s, "length"),
                       p->length, p->skip, p->length * p->skip, PT_CURVE_POINTS);
    if (p->num_distractors + p->extra_distractors > FT_MAX_DISTRACTORS)
        ph_usage_error("config error at %s: [featuretracker] num_distractors + extra_distractors = "
                       "%d + %d exceeds %d, the most that /meta/masks can name (use fewer)",
                       strcmp(cfg_where(c, s, "extra_distractors"), "default")
                           ? cfg_where(c, s, "extra_distractors")
                           : cfg_where(c, s, "num_distractors"),
                       p->num_distractors, p->extra_distractors, FT_MAX_DISTRACTORS);
    return p;
}

static void ft_params_free(void *p) { free(p); }

static int ft_fields(const void *params, ph_field *out, int max)
{
    const featuretracker_params *p = params;
    hsize_t T = (hsize_t)p->length, D = (hsize_t)(p->num_distractors + p->extra_distractors);
    ph_field f[FT_F_COUNT] = {
        {"x", PH_U8, 4, {T, FT_FRAME, FT_FRAME, 3}, "videos [N,T,H,W,C] uint8 RGB"},
        {"y", PH_I32, 0, {0}, "label: 1 if the target ends in the blue goal marker"},
        {"meta/target", PH_I16, 2, {T, 2}, "target top-left pixel (row, col) per frame; the object is 5x5 from there"},
        {"meta/start", PH_I16, 1, {2}, "top-left pixel (row, col) of the red 5x5 start outline"},
        {"meta/goal", PH_I16, 1, {2}, "top-left pixel (row, col) of the blue 5x5 goal outline"},
        {"meta/coords3", PH_I32, 0, {0}, "coords_3: the distractor whose end is nearest the target's; the goal in negatives"},
        {"meta/condition", PH_I32, 1, {7}, "condition: length T, num_distractors, skip, shapes, colors, paths, coords3_twice"},
        {"meta/distractors", PH_I16, 3, {D, T, 2}, "distractor top-left pixels (row, col) [D,T,2], extras last"},
        {"meta/shapes", PH_U8, 4, {D + 2, T, FT_SIDE, FT_SIDE}, "object cells [O,T,5,5], 1 = drawn; objects 0 target, 1 coords_3 copy, 2+d distractor d"},
        {"meta/colors", PH_U8, 3, {D + 2, T, 3}, "object RGB per frame [O,T,3]; objects as in meta/shapes"},
        {"meta/hue_speed", PH_F32, 0, {0}, "hue turns per frame (0 without colours)"},
        {"meta/masks", PH_U8, 3, {T, FT_FRAME, FT_FRAME}, "owner of each pixel per frame: 0 none, 1 start, 2 goal, 3+j object j"},
    };
    if (FT_F_COUNT > max) PH_FAIL("listing FeatureTracker datasets", "too many fields", "this is a bug");
    memcpy(out, f, sizeof f);
    return FT_F_COUNT;
}

static void ft_condition(const void *params, char *buf, size_t n)
{
    const featuretracker_params *p = params;
    snprintf(buf, n, "%sshapes_%scolors%s_length%d_dist%d_skip%d%s",
             p->shapes == FT_SHAPES_NONE ? "no" : ft_shapes_names[p->shapes],
             p->colors == FT_COLORS_NONE ? "no" : ft_colors_names[p->colors],
             p->paths == FT_PATHS_IRREGULAR ? "_irregular" : "", p->length, p->num_distractors,
             p->skip, p->coords3_twice ? "_coords3twice" : "");
    if (p->negatives == PT_NEGATIVES_MATCHED) snprintf(buf + strlen(buf), n - strlen(buf), "_matched");
    if (p->hue_margin) snprintf(buf + strlen(buf), n - strlen(buf), "_huemargin%d", p->hue_margin);
}

/* A matched negative's coords_3: the distractor ending nearest the target's end
 * among those ending where ghost g says a positive from this start would; when
 * none does, distractor 0 redrawn until it ends there (PT_MATCH_DRAWS tries per
 * ghost). */
static int coords3_matched(const featuretracker_params *p, uint32_t seed, int64_t index, int turns,
                           const int16_t *target, int16_t *dist)
{
    const int T = p->length, nd = p->num_distractors;
    const int16_t *target_end = target + 2 * (T - 1);
    for (uint32_t g = 0; g < PT_GHOSTS_MAX; g++) {
        int16_t goal[2];
        if (!pathtracker_ghost_goal(seed, index, g, T, p->skip, turns, target, goal)) continue;
        const int tol = pathtracker_ghost_tolerance(g);
        int best = -1;
        long best_d2 = LONG_MAX;
        for (int d = 0; d < nd; d++) {
            const int16_t *e = dist + ((size_t)d * T + (T - 1)) * 2;
            long dr = e[0] - target_end[0], dc = e[1] - target_end[1], d2 = dr * dr + dc * dc;
            if (pathtracker_end_matches(e, goal, tol, target_end) && d2 < best_d2) best = d, best_d2 = d2;
        }
        if (best >= 0) return best;
        for (uint32_t m = 0; m < PT_MATCH_DRAWS; m++) {
            ph_rng r;
            ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, FT_SUB_REDRAW + g * PT_MATCH_DRAWS + m);
            pathtracker_track_turns(&r, T, p->skip, turns, dist);
            if (pathtracker_end_matches(dist + 2 * (T - 1), goal, tol, target_end)) return 0;
        }
    }
    PH_FAIL("drawing a matched FeatureTracker negative", "no distractor ended where a ghost did", "this is a bug");
}

static void ft_generate(const void *params, uint32_t seed, int64_t index, void *const *out)
{
    static const uint8_t red[3] = {255, 0, 0}, blue[3] = {0, 0, 255};
    const featuretracker_params *p = params;
    const int T = p->length, nd = p->num_distractors, D = nd + p->extra_distractors;
    const int turns = p->paths == FT_PATHS_IRREGULAR ? FT_TURNS_IRREGULAR : PT_TURNS;
    uint8_t *video = out[FT_F_X], *shapes = out[FT_F_SHAPES], *colors = out[FT_F_COLORS];
    uint8_t *masks = out[FT_F_MASKS];
    int16_t *target = out[FT_F_TARGET], *dist = out[FT_F_DISTRACTORS];
    int label = pathtracker_label(seed, index);

    /* One generator per object, so a path does not depend on how many others there are. */
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 0);
    pathtracker_track_turns(&r, T, p->skip, turns, target);
    for (int d = 0; d < D; d++) {
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 2u + (uint32_t)d);
        pathtracker_track_turns(&r, T, p->skip, turns, dist + (size_t)d * T * 2);
    }
    /* Fixed quirk: the original may pick a distractor ending on the target's
     * own end, which makes that negative a positive; such ends are skipped.
     * Only when every one ends there (a few distractors) is distractor 0 redrawn. */
    const int16_t *target_end = target + 2 * (T - 1);
    int c3 = !label && p->negatives == PT_NEGATIVES_MATCHED ? coords3_matched(p, seed, index, turns, target, dist)
                                                             : nearest_distractor(target_end, dist, nd, T);
    for (uint32_t k = 0; c3 < 0; k++) {
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, FT_SUB_REDRAW + k);
        pathtracker_track_turns(&r, T, p->skip, turns, dist);
        c3 = nearest_distractor(target_end, dist, nd, T);
    }
    const int16_t *c3_track = dist + (size_t)c3 * T * 2;
    const int16_t *goal = label ? target_end : c3_track + 2 * (T - 1);

    double speed = FT_HUE_SPEED;
    if (p->colors == FT_COLORS_NONE) speed = 0;
    if (p->colors == FT_COLORS_IRREGULAR) {
        /* The original draws one speed in U(0.02, 0.05) for a whole run; here each video draws its own. */
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, FT_SUB_SPEED);
        speed = 0.02 + 0.03 * ph_rng_uniform(&r);
    }
    for (int j = 0; j < D + 2; j++) {
        if (j == 1 && !p->coords3_twice) continue; /* object 1 stays zero */
        object_shapes(p, seed, index, j, shapes + (size_t)j * T * FT_CELLS);
        object_colors(p, seed, index, j, speed, colors + (size_t)j * T * 3);
    }

    for (int t = 0; t < T; t++) {
        uint8_t *frame = video + (size_t)t * FT_FRAME * FT_FRAME * 3;
        uint8_t *mask = masks + (size_t)t * FT_FRAME * FT_FRAME;
#define OBJ_SHAPE(j) (shapes + ((size_t)(j) * T + t) * FT_CELLS)
#define OBJ_COLOR(j) (colors + ((size_t)(j) * T + t) * 3)
        /* Draw order of the original: markers, coords_3's copy, distractors, target on top. */
        draw_outline(frame, mask, target, red, FT_MASK_START);
        draw_outline(frame, mask, goal, blue, FT_MASK_GOAL);
        if (p->coords3_twice)
            draw_object(frame, mask, c3_track + 2 * t, OBJ_SHAPE(1), OBJ_COLOR(1), FT_MASK_OBJECT0 + 1);
        for (int d = 0; d < D; d++)
            draw_object(frame, mask, dist + ((size_t)d * T + t) * 2, OBJ_SHAPE(2 + d),
                        OBJ_COLOR(2 + d), (uint8_t)(FT_MASK_OBJECT0 + 2 + d));
        draw_object(frame, mask, target + 2 * t, OBJ_SHAPE(0), OBJ_COLOR(0), FT_MASK_OBJECT0);
#undef OBJ_SHAPE
#undef OBJ_COLOR
    }

    *(int32_t *)out[FT_F_Y] = label;
    int16_t *start = out[FT_F_START], *goal_out = out[FT_F_GOAL];
    start[0] = target[0], start[1] = target[1];
    goal_out[0] = goal[0], goal_out[1] = goal[1];
    *(int32_t *)out[FT_F_COORDS3] = c3;
    *(float *)out[FT_F_HUE_SPEED] = (float)speed;
    int32_t *cond = out[FT_F_CONDITION];
    cond[0] = T, cond[1] = nd, cond[2] = p->skip, cond[3] = (int32_t)p->shapes;
    cond[4] = (int32_t)p->colors, cond[5] = (int32_t)p->paths, cond[6] = p->coords3_twice;
}

const ph_challenge ph_challenge_featuretracker = {
    .name = "featuretracker",
    .summary = "tracking an object through changes of colour and shape (ICLR 2025)",
    .section = &featuretracker_section,
    .params_load = ft_params_load,
    .params_free = ft_params_free,
    .fields = ft_fields,
    .condition = ft_condition,
    .generate = ft_generate,
};
