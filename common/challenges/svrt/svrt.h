/* svrt.h: the Synthetic Visual Reasoning Test (Fleuret et al., PNAS 2011),
 * all 23 problems as one challenge with a `problem` parameter.
 *
 * Written from a description of the original generator (Fleuret's C++ code,
 * as distributed with Vaishnav et al.'s scripts in vaishnavmohit/svrt_dataset),
 * not from the original (GPL) code; docs/challenges/svrt.md gives every rule
 * and decision.
 * Layers inside this folder (DESIGN.md): shape.c (curves and raster helpers)
 * -> scene.c (placing shapes by rejection) -> problems_*.c -> svrt.c (the
 * challenge definition).  Tests use only svrt_params and the file layout. */
#ifndef PHASOR_SVRT_H
#define PHASOR_SVRT_H

#include "core/rng.h"

#include <stdint.h>

enum {
    SVRT_W = 128,          /* canvas side in pixels */
    SVRT_MAX_SHAPES = 6,   /* most shapes in one sample (problems 7, 16, 18) */
    SVRT_PROBLEMS = 23,
    SVRT_MAX_CURVES = 8,   /* distinct curves drawn in one sample */
    SVRT_MAX_SPRITES = 16, /* rasterised (curve, transform) pairs in one sample */
    SVRT_CURVE_MAX_POINTS = 1 << 14,
    SVRT_ATTEMPTS = 1000,  /* whole-sample redraws before giving up (a bug) */
    SVRT_TRIES = 200,      /* positions or rays tried before a sample is redrawn */
};

/* Size constants of the original (W = 128, integer division): part W/6 = 21,
 * hole W/64 = 2, big 3W/4 = 96 with hole W/3 = 42; a curve is drawn with
 * (size/2, hole/2). */
#define SVRT_PART 21
#define SVRT_R_NORMAL 10.0 /* part/2 */
#define SVRT_HOLE 1.0      /* (W/64)/2 */
#define SVRT_R_BIG 48.0    /* (3W/4)/2 */
#define SVRT_HOLE_BIG 21.0 /* (W/3)/2 */

typedef struct {
    int problem; /* 1..23 */
} svrt_params;

/* ---- shape.c: curves and raster helpers -------------------------------- */

typedef struct {
    double x, y; /* x = column, y = row, relative to the shape's centre */
} svrt_point;

typedef struct {
    double radius, hole;
    int n;
    svrt_point *p; /* n points of a closed curve (the last joins the first) */
} svrt_curve;

/* Draws a random closed curve into c (c->p holds SVRT_CURVE_MAX_POINTS):
 * four quadrant anchors in the annulus [hole, radius), joined by recursive
 * midpoint displacement, then rotated uniformly.  0, or -1 when the bounded
 * redraws ran out (the caller redraws the sample). */
int svrt_curve_random(svrt_curve *c, ph_rng *r, double radius, double hole);

/* Pixel offsets from a shape's integer centre. */
typedef struct {
    int n, cap;
    int16_t *xy; /* (dx, dy) pairs */
} svrt_pixels;

/* A curve under one transform, rasterised relative to its centre: point p
 * goes to round(scale * R(rotation) * (mirror ? (-p.x, p.y) : p)).  Copies
 * at integer centres are exact pixel translates. */
typedef struct {
    int curve;
    double scale, rotation;
    int mirror;
    int x0, y0, x1, y1; /* bounding box of the pixels, inclusive */
    svrt_pixels contour; /* the 1-pixel, 8-connected closed contour */
    svrt_pixels solid;   /* contour plus interior (4-connected flood fill from outside) */
} svrt_sprite;

void svrt_sprite_free(svrt_sprite *s);
/* 0, or -1 if the sprite does not fit the canvas at all. */
int svrt_sprite_draw(svrt_sprite *s, const svrt_curve *c, double scale, double rotation, int mirror);

/* How different two sprites look: after matching their centroids and sizes
 * (and rotations when `rotate`), the largest distance from a contour pixel of
 * either to the other's contour, in pixels of the smaller one, minimised over
 * the poses tried.  Copies give about 1 (rasterisation). */
double svrt_sprite_mismatch(const svrt_sprite *a, const svrt_sprite *b, int rotate);
/* What "different" guarantees: for shapes compared in one pose, and for
 * shapes compared across scales, rotations or mirrors (whose copies carry
 * more rasterisation noise).  Two radius-10 curves fall below 2 px in about
 * 5 % of pairs: near-duplicates that would carry the wrong label. */
#define SVRT_DISTINCT 2.0
#define SVRT_DISTINCT_POSED 2.5

/* Exact squared Euclidean distance transform of a w x h mask: out[i] is the
 * squared distance from pixel i to the nearest set pixel (a large value if none). */
void svrt_distance_map(const uint8_t *mask, int w, int h, float *out);

/* ---- scene.c: shapes placed on the canvas ------------------------------ */

typedef struct {
    int sprite;
    int cx, cy;
    int x0, y0, x1, y1; /* bounding box on the canvas, inclusive */
    uint8_t *solid;     /* W*W: contour and interior */
    uint8_t *interior;  /* W*W: solid minus contour */
    uint8_t *halo;      /* W*W: solid grown by one pixel (3x3) */
    uint8_t *ring;      /* W*W: contour grown by one pixel (3x3) */
    float *dist2;       /* W*W: squared distance to the contour, made on demand */
    int dist_ready;
} svrt_shape;

/* Relation a candidate must have with an already placed shape. */
typedef enum { SVRT_APART, SVRT_INSIDE, SVRT_ANY } svrt_relation;

typedef struct {
    ph_rng rng;
    int ncurves, nsprites, nshapes;
    svrt_curve curves[SVRT_MAX_CURVES];
    svrt_sprite sprites[SVRT_MAX_SPRITES];
    svrt_shape shapes[SVRT_MAX_SHAPES];
    uint8_t *masks; /* backing store of the shapes' masks */
    float *dists;
} svrt_ctx;

void svrt_ctx_init(svrt_ctx *c);
void svrt_ctx_free(svrt_ctx *c);
/* Empties the scene and restarts the draws from sub-stream `sub` of sample `index`. */
void svrt_ctx_reset(svrt_ctx *c, uint32_t seed, int64_t index, uint32_t sub);

double svrt_uniform(svrt_ctx *c, double lo, double hi);
int svrt_below(svrt_ctx *c, int n);

/* New random curve; its id, or -1 (redraw the sample). */
int svrt_curve_new(svrt_ctx *c, double radius, double hole);
/* Curve under a transform; its sprite id, or -1. */
int svrt_sprite_new(svrt_ctx *c, int curve, double scale, double rotation, int mirror);
/* Forgets the newest sprite (a trial transform no shape uses). */
void svrt_sprite_pop(svrt_ctx *c);

/* Centres at which the sprite lies in [1, W-2]: 0 if there are none. */
int svrt_centre_range(const svrt_ctx *c, int sprite, int *xmin, int *xmax, int *ymin, int *ymax);
/* Sprite at (cx, cy): inside the canvas margin and in relation rel[j] (NULL:
 * all SVRT_APART) with every placed shape j.  APART: the solids are at least
 * 2 pixels apart (Chebyshev), so no pixel of one is in the other's 3x3 halo;
 * INSIDE: the solid lies in j's interior, 2 pixels away from j's contour. */
int svrt_fits(const svrt_ctx *c, int sprite, int cx, int cy, const svrt_relation *rel);
/* Random centre in the box (clipped to the canvas range) where it fits;
 * 1 and the centre, or 0 after `tries` draws. */
int svrt_find(svrt_ctx *c, int sprite, const svrt_relation *rel, int xmin, int xmax, int ymin,
              int ymax, int tries, int *cx, int *cy);
/* Places it; returns the shape index. */
int svrt_add(svrt_ctx *c, int sprite, int cx, int cy);
/* Removes the newest shape (a trial placement). */
void svrt_shape_pop(svrt_ctx *c);
/* svrt_find over the whole canvas, then svrt_add; the shape index or -1. */
int svrt_place(svrt_ctx *c, int sprite, const svrt_relation *rel, int tries);

/* Pixels where the solids of the sprite at (cx, cy) and shape j overlap. */
int svrt_overlap(const svrt_ctx *c, int sprite, int cx, int cy, int j);
/* Smallest Euclidean distance from the sprite's contour at (cx, cy) to the
 * contour of shape j. */
double svrt_contour_distance(svrt_ctx *c, int sprite, int cx, int cy, int j);
/* Sprite touching shape j: it comes in along a random ray until the solids
 * first overlap, which must be by min..max pixels; every other shape stays
 * APART.  Shape index or -1 after `tries` rays. */
int svrt_place_touching(svrt_ctx *c, int sprite, int j, int min_overlap, int max_overlap, int tries);

/* Whether two sprites look different: svrt_sprite_mismatch at least
 * `threshold` (SVRT_DISTINCT or SVRT_DISTINCT_POSED). */
int svrt_distinct(const svrt_ctx *c, int sa, int sb, int rotate, double threshold);
/* A new random curve under the identity transform: its sprite id, or -1. */
int svrt_sprite_random(svrt_ctx *c, double radius, double hole);
/* Three shapes P, M, Q (sprites sp[0..2]) with M = P + f (Q - P), f uniform
 * in [tmin, tmax], centres rounded; added in the order P, M, Q.  0 or -1. */
int svrt_place_collinear(svrt_ctx *c, const int sp[3], double tmin, double tmax);
/* Shapes sp[k] at O + round(dx[k], dy[k]) for a random integer O that keeps
 * them all on the canvas, each apart from the others; `tries` draws of O.
 * 0, or -1 with nothing added. */
int svrt_place_offsets(svrt_ctx *c, const int *sp, int n, const double *dx, const double *dy,
                       int tries);
/* Four shapes on the corners of a square: centre offsets rho (cos, sin) of
 * a + k pi/2, rho uniform in [rmin, rmax], rounded; added in corner order. */
int svrt_place_square(svrt_ctx *c, const int sp[4], double rmin, double rmax);

/* ---- problems_*.c: one function per problem ----------------------------- */

/* Builds a scene of the given class; 0, or -1 to redraw the whole sample. */
typedef int (*svrt_problem_fn)(svrt_ctx *c, int label);

int svrt_problem_1(svrt_ctx *c, int label);
int svrt_problem_2(svrt_ctx *c, int label);
int svrt_problem_3(svrt_ctx *c, int label);
int svrt_problem_4(svrt_ctx *c, int label);
int svrt_problem_5(svrt_ctx *c, int label);
int svrt_problem_6(svrt_ctx *c, int label);
int svrt_problem_7(svrt_ctx *c, int label);
int svrt_problem_8(svrt_ctx *c, int label);
int svrt_problem_9(svrt_ctx *c, int label);
int svrt_problem_10(svrt_ctx *c, int label);
int svrt_problem_11(svrt_ctx *c, int label);
int svrt_problem_12(svrt_ctx *c, int label);
int svrt_problem_13(svrt_ctx *c, int label);
int svrt_problem_14(svrt_ctx *c, int label);
int svrt_problem_15(svrt_ctx *c, int label);
int svrt_problem_16(svrt_ctx *c, int label);
int svrt_problem_17(svrt_ctx *c, int label);
int svrt_problem_18(svrt_ctx *c, int label);
int svrt_problem_19(svrt_ctx *c, int label);
int svrt_problem_20(svrt_ctx *c, int label);
int svrt_problem_21(svrt_ctx *c, int label);
int svrt_problem_22(svrt_ctx *c, int label);
int svrt_problem_23(svrt_ctx *c, int label);

/* ---- svrt.c ------------------------------------------------------------- */

/* Label of sample `index`: exactly one positive in each pair (2k, 2k+1). */
int svrt_label(uint32_t seed, int problem, int64_t index);
/* Builds sample `index` of a problem into c (the scene); the label. */
int svrt_scene_make(svrt_ctx *c, int problem, uint32_t seed, int64_t index);

#endif
