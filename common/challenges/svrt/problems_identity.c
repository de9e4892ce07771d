/* problems_identity.c: SVRT problems decided by whether shapes are the same
 * (up to translation, scale, rotation or a mirror): 1, 5, 7, 15, 16, 19, 20,
 * 21, 22.  Class 1 reuses one curve; class 0 draws independent ones, so both
 * classes share every other statistic.  Shapes meant to differ are redrawn
 * until they look different (svrt_distinct): two random curves can match to
 * a pixel, and such a "different" pair would carry the wrong label.  Both
 * classes draw the same curves under the same condition and class 1 shows
 * fewer of them, so a curve looks the same in either class.
 * Rules: docs/challenges/svrt.md. */
#include "svrt.h"

#include <math.h>
#include <stddef.h>

/* Places the sprites in order, each apart from all before. */
static int place_all(svrt_ctx *c, const int *sp, int n)
{
    for (int i = 0; i < n; i++)
        if (sp[i] < 0 || svrt_place(c, sp[i], NULL, SVRT_TRIES) < 0) return -1;
    return 0;
}

/* Draws `ncurves` curves that look different from each other, then
 * sp[i] = the sprite of curve[i]. */
static int sprites_grouped(svrt_ctx *c, int ncurves, const int *curve, int n, double radius, int *sp)
{
    int made[SVRT_MAX_SHAPES];
    for (int k = 0; k < ncurves; k++) {
        if ((made[k] = svrt_sprite_random(c, radius, SVRT_HOLE)) < 0) return -1;
        for (int j = 0; j < k; j++)
            if (!svrt_distinct(c, made[j], made[k], 0, SVRT_DISTINCT)) return -1;
    }
    for (int i = 0; i < n; i++) sp[i] = made[curve[i]];
    return 0;
}

/* 1: two shapes; class 1 the same shape (a translated copy). */
#define P1_RADIUS 26.0

int svrt_problem_1(svrt_ctx *c, int label)
{
    static const int same[2] = {0, 0}, differ[2] = {0, 1};
    int sp[2];
    if (sprites_grouped(c, 2, label ? same : differ, 2, P1_RADIUS, sp)) return -1;
    return place_all(c, sp, 2);
}

/* 5: four shapes of radius W/6; class 1 two pairs of identical shapes, class 0 all different. */
int svrt_problem_5(svrt_ctx *c, int label)
{
    static const int pairs[4] = {0, 0, 1, 1}, differ[4] = {0, 1, 2, 3};
    int sp[4];
    if (sprites_grouped(c, 4, label ? pairs : differ, 4, SVRT_PART, sp)) return -1;
    return place_all(c, sp, 4);
}

/* 7: six shapes of radius W/6; class 1 two triples of identical shapes, class 0 three pairs. */
int svrt_problem_7(svrt_ctx *c, int label)
{
    static const int triples[6] = {0, 0, 0, 1, 1, 1}, pairs[6] = {0, 0, 1, 1, 2, 2};
    int sp[6];
    if (sprites_grouped(c, 3, label ? triples : pairs, 6, SVRT_PART, sp)) return -1;
    return place_all(c, sp, 6);
}

/* 15: four shapes on the corners of a square; class 1 all identical, class 0 all different. */
int svrt_problem_15(svrt_ctx *c, int label)
{
    static const int same[4] = {0, 0, 0, 0}, differ[4] = {0, 1, 2, 3};
    int sp[4];
    if (sprites_grouped(c, 4, label ? same : differ, 4, SVRT_R_NORMAL, sp)) return -1;
    return svrt_place_square(c, sp, 15.0, 60.0);
}

/* 16: three shapes in the left half and three at the mirrored positions
 * (column x -> W-1-x); class 1 the right ones are mirror images (the whole
 * image is symmetric), class 0 they are translated copies.  Both classes
 * require both right-hand layouts to fit, so the left layout says nothing. */
int svrt_problem_16(svrt_ctx *c, int label)
{
    int sp[3], mirrored[3];
    for (int i = 0; i < 3; i++) {
        sp[i] = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
        if (sp[i] < 0) return -1;
        mirrored[i] = svrt_sprite_new(c, c->sprites[sp[i]].curve, 1.0, 0.0, 1);
        /* A nearly symmetric shape would make the classes look alike. */
        if (mirrored[i] < 0 || !svrt_distinct(c, sp[i], mirrored[i], 0, SVRT_DISTINCT)) return -1;
        int cx, cy;
        /* Every pixel at column <= W/2 - 2, so mirror images stay 2 columns apart. */
        if (!svrt_find(c, sp[i], NULL, 0, SVRT_W / 2 - 2 - c->sprites[sp[i]].x1, 0, SVRT_W,
                       SVRT_TRIES, &cx, &cy))
            return -1;
        svrt_add(c, sp[i], cx, cy);
    }
    for (int variant = 0; variant < 2; variant++) {
        int use_mirror = variant == 0 ? !label : label; /* the other class's layout first */
        int k = 0;
        for (; k < 3; k++) {
            int s = use_mirror ? mirrored[k] : sp[k];
            int x = SVRT_W - 1 - c->shapes[k].cx, y = c->shapes[k].cy;
            if (!svrt_fits(c, s, x, y, NULL)) break;
            svrt_add(c, s, x, y);
        }
        if (k < 3) return -1;
        if (variant == 0)
            for (k = 0; k < 3; k++) svrt_shape_pop(c);
    }
    return 0;
}

/* 19: two shapes, each scaled by U[1, 4]; class 1 the same shape up to scale. */
int svrt_problem_19(svrt_ctx *c, int label)
{
    int a = svrt_curve_new(c, SVRT_R_NORMAL, SVRT_HOLE), b = svrt_curve_new(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (a < 0 || b < 0) return -1;
    int sp[2]; /* one statement per draw: initializer lists are unsequenced */
    sp[0] = svrt_sprite_new(c, a, svrt_uniform(c, 1, 4), 0, 0);
    double scale = svrt_uniform(c, 1, 4);
    /* Both classes: the other curve at the second scale must look different. */
    int other = svrt_sprite_new(c, b, scale, 0, 0);
    if (sp[0] < 0 || other < 0 || !svrt_distinct(c, sp[0], other, 0, SVRT_DISTINCT_POSED)) return -1;
    sp[1] = label ? svrt_sprite_new(c, a, scale, 0, 0) : other;
    return place_all(c, sp, 2);
}

/* 20: two shapes of radius W/8; class 1 the second is the mirror image of
 * the first across the perpendicular bisector of their centres, class 0 a
 * different shape under the same transform. */
#define P20_RADIUS 16.0

int svrt_problem_20(svrt_ctx *c, int label)
{
    int a = svrt_curve_new(c, P20_RADIUS, SVRT_HOLE), b = svrt_curve_new(c, P20_RADIUS, SVRT_HOLE);
    if (a < 0 || b < 0) return -1;
    int sa = svrt_sprite_new(c, a, 1.0, 0.0, 0);
    if (sa < 0 || svrt_place(c, sa, NULL, SVRT_TRIES) < 0) return -1;
    const int ax = c->shapes[0].cx, ay = c->shapes[0].cy;
    for (int t = 0; t < SVRT_TRIES; t++) {
        double an = svrt_uniform(c, 0, 2.0 * M_PI), len = svrt_uniform(c, 2 * P20_RADIUS, SVRT_W);
        int bx = ax + (int)floor(len * cos(an) + 0.5), by = ay + (int)floor(len * sin(an) + 0.5);
        if (bx == ax && by == ay) continue;
        /* Reflection across the line through the midpoint with normal n at
         * angle phi: p -> R(2 phi) M p, M the mirror x -> -x. */
        double phi = atan2(by - ay, bx - ax), rot = fmod(2.0 * phi + 4.0 * M_PI, 2.0 * M_PI);
        /* Both classes draw both candidates: the mirror image of the first
         * shape and a different shape under the same transform, which must
         * not look like that mirror image. */
        int mirror_a = svrt_sprite_new(c, a, 1.0, rot, 1);
        if (mirror_a < 0) continue;
        int other = svrt_sprite_new(c, b, 1.0, rot, 1);
        if (other < 0) {
            svrt_sprite_pop(c);
            continue;
        }
        int sb = label ? mirror_a : other;
        if (!svrt_fits(c, mirror_a, bx, by, NULL) || !svrt_fits(c, other, bx, by, NULL)) {
            svrt_sprite_pop(c), svrt_sprite_pop(c);
            continue;
        }
        if (!svrt_distinct(c, mirror_a, other, 0, SVRT_DISTINCT_POSED)) return -1;
        svrt_add(c, sb, bx, by);
        return 0;
    }
    return -1;
}

/* 21: two shapes, scale U[1, 4] each, the second rotated by U[0, 2 pi);
 * class 1 the same shape up to scale and rotation. */
int svrt_problem_21(svrt_ctx *c, int label)
{
    int a = svrt_curve_new(c, SVRT_R_NORMAL, SVRT_HOLE), b = svrt_curve_new(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (a < 0 || b < 0) return -1;
    int sp[2];
    sp[0] = svrt_sprite_new(c, a, svrt_uniform(c, 1, 4), 0, 0);
    double scale = svrt_uniform(c, 1, 4), rot = svrt_uniform(c, 0, 2.0 * M_PI);
    /* Both classes: the other curve must look different under any rotation. */
    int other = svrt_sprite_new(c, b, scale, rot, 0);
    if (sp[0] < 0 || other < 0 || !svrt_distinct(c, sp[0], other, 1, SVRT_DISTINCT_POSED)) return -1;
    sp[1] = label ? svrt_sprite_new(c, a, scale, rot, 0) : other;
    return place_all(c, sp, 2);
}

/* 22: three collinear shapes; class 1 all identical, class 0 all different. */
int svrt_problem_22(svrt_ctx *c, int label)
{
    static const int same[3] = {0, 0, 0}, differ[3] = {0, 1, 2};
    int sp[3];
    if (sprites_grouped(c, 3, label ? same : differ, 3, SVRT_R_NORMAL, sp)) return -1;
    return svrt_place_collinear(c, sp, 0.0, 1.0);
}
