/* pathtracker.c: PathTracker videos, faithful to the original generator
 * (pathtracker/pathtracker_data_generator; Linsley et al., NeurIPS 2021,
 * arXiv 2105.13351; docs/challenges/pathtracker.md lists every quirk kept).
 *
 * A video is T frames of 32x32x3 uint8 on black.  Every dot is one green
 * pixel; the red start marker and the blue goal marker are 3x3 outlines drawn
 * in every frame.  The label says whether the target (the dot that starts in
 * the red marker) ends in the blue marker; in negatives an extra full-length
 * path (coords_3) ends there instead. */
#include "pathtracker.h"

#include "core/error.h"
#include "challenge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pt_negatives_names[PT_NEGATIVES_COUNT] = {"original", "matched"};

static const cfg_key pathtracker_keys[] = {
    {"length", CFG_INT, "64", 2, PT_CURVE_POINTS, NULL, "frames per video T (paper: 32, 64, 128)"},
    {"num_distractors", CFG_INT, "14", 0, 1000, NULL, "distractor dots besides the target and coords_3 (paper: 0, 14, 25)"},
    {"extra_distractors", CFG_INT, "0", 0, 1000, NULL, "the original's extra_dist: more distractors drawn after the first ones"},
    {"skip", CFG_INT, "1", 1, 64, NULL, "speed: curve points advanced per frame (paper: 1, 2, 4); length*skip <= 326"},
    {"negatives", CFG_ENUM, "original", 0, 0, "original|matched",
     "original = goal at an independent path's end (the start-goal distance tells the label); "
     "matched = where a positive from the same start would end (the shortcut control)"},
};
static const cfg_section pathtracker_section = {
    "pathtracker", "PathTracker: track a dot by its motion among identical distractors",
    pathtracker_keys, (int)(sizeof pathtracker_keys / sizeof pathtracker_keys[0]), 0};

/* ---- trajectories ------------------------------------------------------- */

void pathtracker_curve(ph_rng *r, double *rows, double *cols)
{
    pathtracker_curve_turns(r, PT_TURNS, rows, cols);
}

void pathtracker_curve_turns(ph_rng *r, int turns, double *rows, double *cols)
{
    /* Seed point in [0,200)^2; its atan2 is radians but every later angle is
     * read as degrees: the original's quirk, kept because it shapes the paths
     * (a monotone drift of the heading over the first ~20-40 segments). */
    double x = ph_rng_uniform(r) * 200.0, y = ph_rng_uniform(r) * 200.0;
    double ang = atan2(y, x);
    int subtract = (int)ph_rng_below(r, 2);
    rows[0] = x;
    cols[0] = y;
    int k = 0;
    for (int s = 0; s < PT_SEGMENTS; s++) {
        double d = 0.95 * (double)ph_rng_below(r, (uint32_t)turns); /* {0, 0.95, ...} */
        ang = 0.95 * (subtract ? ang - d : ang + d);
        double rad = ang * (M_PI / 180.0);
        double dx = cos(rad) * 0.002, dy = sin(rad) * 0.002;
        for (int j = 0; j < PT_SEGMENT_POINTS; j++, k++) {
            rows[k + 1] = rows[k] + dx;
            cols[k + 1] = cols[k] + dy;
        }
    }
    /* Independent min-max scaling of each axis to [0, 27]: the path fills the box. */
    double rmin = rows[0], rmax = rows[0], cmin = cols[0], cmax = cols[0];
    for (int i = 1; i < PT_CURVE_POINTS; i++) {
        rmin = fmin(rmin, rows[i]), rmax = fmax(rmax, rows[i]);
        cmin = fmin(cmin, cols[i]), cmax = fmax(cmax, cols[i]);
    }
    double rs = rmax > rmin ? PT_BOX / (rmax - rmin) : 0, cs = cmax > cmin ? PT_BOX / (cmax - cmin) : 0;
    for (int i = 0; i < PT_CURVE_POINTS; i++) {
        rows[i] = (rows[i] - rmin) * rs;
        cols[i] = (cols[i] - cmin) * cs;
    }
    /* The original keeps the order for direction 1 and reverses it for 0. */
    if (ph_rng_below(r, 2) == 0)
        for (int i = 0, j = PT_CURVE_POINTS - 1; i < j; i++, j--) {
            double t = rows[i];
            rows[i] = rows[j], rows[j] = t;
            t = cols[i];
            cols[i] = cols[j], cols[j] = t;
        }
}

void pathtracker_track(ph_rng *r, int length, int skip, int16_t *track)
{
    pathtracker_track_turns(r, length, skip, PT_TURNS, track);
}

void pathtracker_track_turns(ph_rng *r, int length, int skip, int turns, int16_t *track)
{
    double rows[PT_CURVE_POINTS], cols[PT_CURVE_POINTS];
    pathtracker_curve_turns(r, turns, rows, cols);
    /* Window start uniform in {0, ..., 326 - T*skip} as in the original. */
    int start = (int)ph_rng_below(r, (uint32_t)(PT_CURVE_POINTS - length * skip + 1));
    for (int t = 0; t < length; t++) {
        int i = start + t * skip;
        track[2 * t] = (int16_t)floor(rows[i]);
        track[2 * t + 1] = (int16_t)floor(cols[i]);
    }
}

int pathtracker_label(uint32_t seed, int64_t index)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_LABEL, (uint64_t)(index / 2), 0);
    uint32_t positive_member = ph_rng_u32(&r) & 1u;
    return (uint32_t)(index & 1) == positive_member;
}

int pathtracker_ghost_tolerance(uint32_t g) { return g < PT_GHOSTS_EXACT ? 0 : 1; }

int pathtracker_ghost_goal(uint32_t seed, int64_t index, uint32_t g, int length, int skip, int turns,
                           const int16_t *start, int16_t *goal)
{
    const int tol = pathtracker_ghost_tolerance(g);
    int16_t ghost[2 * PT_CURVE_POINTS];
    for (uint32_t k = 0; k < PT_GHOST_DRAWS; k++) {
        ph_rng r;
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, PT_SUB_GHOST + g * PT_GHOST_DRAWS + k);
        pathtracker_track_turns(&r, length, skip, turns, ghost);
        if (abs(ghost[0] - start[0]) <= tol && abs(ghost[1] - start[1]) <= tol) {
            const int16_t *end = ghost + 2 * (length - 1);
            goal[0] = (int16_t)(start[0] + end[0] - ghost[0]), goal[1] = (int16_t)(start[1] + end[1] - ghost[1]);
            return 1;
        }
    }
    return 0;
}

int pathtracker_end_matches(const int16_t *end, const int16_t *goal, int tol, const int16_t *avoid)
{
    if (end[0] == avoid[0] && end[1] == avoid[1]) return 0;
    return abs(end[0] - goal[0]) <= tol && abs(end[1] - goal[1]) <= tol;
}

/* ---- drawing ------------------------------------------------------------ */

static void put(uint8_t *frame, int r, int c, uint8_t R, uint8_t G, uint8_t B)
{
    if (r < 0 || c < 0 || r >= PT_FRAME || c >= PT_FRAME) return;
    uint8_t *p = frame + 3 * (r * PT_FRAME + c);
    p[0] = R, p[1] = G, p[2] = B;
}

/* 3x3 outline (8 pixels) with its top-left corner at (r, c). */
static void outline3(uint8_t *frame, int r, int c, uint8_t R, uint8_t G, uint8_t B)
{
    for (int dr = 0; dr < 3; dr++)
        for (int dc = 0; dc < 3; dc++)
            if (dr != 1 || dc != 1) put(frame, r + dr, c + dc, R, G, B);
}

/* ---- challenge interface ------------------------------------------------ */

/* Sub-streams from here on redraw coords_3 (far above any distractor count). */
#define PT_SUB_REDRAW 0x40000000u

enum { F_X, F_Y, F_TARGET, F_COORDS3, F_START, F_GOAL, F_CONDITION, F_DISTRACTORS, F_COUNT };

static void *pt_params_load(const cfg *c)
{
    pathtracker_params *p = calloc(1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating PathTracker parameters");
    p->length = (int)cfg_int(c, "pathtracker", "length");
    p->num_distractors = (int)cfg_int(c, "pathtracker", "num_distractors");
    p->extra_distractors = (int)cfg_int(c, "pathtracker", "extra_distractors");
    p->skip = (int)cfg_int(c, "pathtracker", "skip");
    p->negatives = strcmp(cfg_str(c, "pathtracker", "negatives"), "matched") ? PT_NEGATIVES_ORIGINAL
                                                                             : PT_NEGATIVES_MATCHED;
    if (p->length * p->skip > PT_CURVE_POINTS)
        ph_usage_error("config error at %s: [pathtracker] length x skip = %d x %d = %d exceeds "
                       "the %d points of a curve (lower length or skip)",
                       strcmp(cfg_where(c, "pathtracker", "skip"), "default")
                           ? cfg_where(c, "pathtracker", "skip")
                           : cfg_where(c, "pathtracker", "length"),
                       p->length, p->skip, p->length * p->skip, PT_CURVE_POINTS);
    return p;
}

static void pt_params_free(void *p) { free(p); }

static int pt_fields(const void *params, ph_field *out, int max)
{
    const pathtracker_params *p = params;
    hsize_t T = (hsize_t)p->length;
    int nd = p->num_distractors + p->extra_distractors;
    ph_field f[F_COUNT] = {
        {"x", PH_U8, 4, {T, PT_FRAME, PT_FRAME, 3}, "videos [N,T,H,W,C] uint8 RGB"},
        {"y", PH_I32, 0, {0}, "label: 1 if the target ends in the blue goal marker"},
        {"meta/target", PH_I16, 2, {T, 2}, "target dot pixel (row, col) per frame"},
        {"meta/coords3", PH_I16, 2, {T, 2}, "coords_3 dot pixel (row, col) per frame; ends in the goal in negatives"},
        {"meta/start", PH_I16, 1, {2}, "centre pixel (row, col) of the red start marker"},
        {"meta/goal", PH_I16, 1, {2}, "centre pixel (row, col) of the blue goal marker"},
        {"meta/condition", PH_I32, 1, {3}, "condition: length T, num_distractors, skip"},
        {"meta/distractors", PH_I16, 3, {(hsize_t)nd, T, 2}, "distractor dot pixels (row, col) [D,T,2], extras last"},
    };
    int n = nd > 0 ? F_COUNT : F_COUNT - 1;
    if (n > max) PH_FAIL("listing PathTracker datasets", "too many fields", "this is a bug");
    memcpy(out, f, (size_t)n * sizeof *f);
    return n;
}

static void pt_condition(const void *params, char *buf, size_t n)
{
    const pathtracker_params *p = params;
    snprintf(buf, n, "length%d_dist%d_skip%d%s", p->length, p->num_distractors, p->skip,
             p->negatives == PT_NEGATIVES_MATCHED ? "_matched" : "");
}

/* A matched negative's coords_3: redrawn until it ends where ghost g says a
 * positive from this start would (PT_MATCH_DRAWS tries per ghost). */
static void coords3_matched(const pathtracker_params *p, uint32_t seed, int64_t index, const int16_t *target,
                            int16_t *coords3)
{
    const int T = p->length;
    for (uint32_t g = 0; g < PT_GHOSTS_MAX; g++) {
        int16_t goal[2];
        if (!pathtracker_ghost_goal(seed, index, g, T, p->skip, PT_TURNS, target, goal)) continue;
        const int tol = pathtracker_ghost_tolerance(g);
        for (uint32_t m = 0; m < PT_MATCH_DRAWS; m++) {
            ph_rng r;
            ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, PT_SUB_REDRAW + g * PT_MATCH_DRAWS + m);
            pathtracker_track(&r, T, p->skip, coords3);
            if (pathtracker_end_matches(coords3 + 2 * (T - 1), goal, tol, target + 2 * (T - 1))) return;
        }
    }
    PH_FAIL("drawing a matched PathTracker negative", "no coords_3 ended where a ghost did", "this is a bug");
}

static void pt_generate(const void *params, uint32_t seed, int64_t index, void *const *out)
{
    const pathtracker_params *p = params;
    const int T = p->length, nd = p->num_distractors + p->extra_distractors;
    uint8_t *video = out[F_X];
    int16_t *target = out[F_TARGET], *coords3 = out[F_COORDS3];
    int16_t *dist = nd > 0 ? out[F_DISTRACTORS] : NULL;
    int label = pathtracker_label(seed, index);

    /* One generator per object, so an object's path does not depend on how
     * many others there are: 0 target, 1 coords_3, then the distractors. */
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 0);
    pathtracker_track(&r, T, p->skip, target);
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 1);
    pathtracker_track(&r, T, p->skip, coords3);
    if (!label && p->negatives == PT_NEGATIVES_MATCHED) coords3_matched(p, seed, index, target, coords3);
    /* Fixed quirk: the original never checks that, in a negative, the target
     * does not also end inside the goal (about 1 in 800 negatives), which
     * makes those videos positives in all but name.  Redraw coords_3 from a
     * reserved sub-stream until its end differs from the target's. */
    for (uint32_t redraw = 0; !label && coords3[2 * (T - 1)] == target[2 * (T - 1)] &&
                              coords3[2 * (T - 1) + 1] == target[2 * (T - 1) + 1];
         redraw++) {
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, PT_SUB_REDRAW + redraw);
        pathtracker_track(&r, T, p->skip, coords3);
    }
    for (int d = 0; d < nd; d++) {
        ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)index, 2u + (uint32_t)d);
        pathtracker_track(&r, T, p->skip, dist + (size_t)d * T * 2);
    }

    const int16_t *goal = label ? &target[2 * (T - 1)] : &coords3[2 * (T - 1)];
    for (int t = 0; t < T; t++) {
        uint8_t *frame = video + (size_t)t * PT_FRAME * PT_FRAME * 3;
        /* Draw order of the original: distractors, start, goal, target, coords_3;
         * each write replaces all three channels. */
        for (int d = 0; d < nd; d++) {
            const int16_t *q = dist + ((size_t)d * T + t) * 2;
            put(frame, q[0], q[1], 0, 255, 0);
        }
        outline3(frame, target[0], target[1], 255, 0, 0);
        outline3(frame, goal[0], goal[1], 0, 0, 255);
        put(frame, target[2 * t] + 1, target[2 * t + 1] + 1, 0, 255, 0);
        put(frame, coords3[2 * t] + 1, coords3[2 * t + 1] + 1, 0, 255, 0);
    }

    int16_t *start = out[F_START], *goal_out = out[F_GOAL];
    start[0] = (int16_t)(target[0] + 1), start[1] = (int16_t)(target[1] + 1);
    goal_out[0] = (int16_t)(goal[0] + 1), goal_out[1] = (int16_t)(goal[1] + 1);
    /* Stored tracks are the drawn pixels: +1 for the target and coords_3. */
    for (int t = 0; t < 2 * T; t++) target[t]++, coords3[t]++;
    *(int32_t *)out[F_Y] = label;
    int32_t *cond = out[F_CONDITION];
    cond[0] = T, cond[1] = p->num_distractors, cond[2] = p->skip;
}

const ph_challenge ph_challenge_pathtracker = {
    .name = "pathtracker",
    .summary = "dot tracking by motion among identical distractors (NeurIPS 2021)",
    .section = &pathtracker_section,
    .params_load = pt_params_load,
    .params_free = pt_params_free,
    .fields = pt_fields,
    .condition = pt_condition,
    .generate = pt_generate,
};
