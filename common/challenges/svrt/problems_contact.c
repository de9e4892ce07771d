/* problems_contact.c: SVRT problems about inside/outside, touching and
 * nearness: 2, 3, 4, 8, 11, 23.  Where the classes complete a shared start
 * (a big shape) differently, every sample checks that both completions fit
 * before it keeps one, so the shared part carries no hint of the class. */
#include "svrt.h"

#include <math.h>
#include <stddef.h>

/* A big shape anywhere on the canvas: its shape index, or -1. */
static int place_big(svrt_ctx *c)
{
    int sp = svrt_sprite_random(c, SVRT_R_BIG, SVRT_HOLE_BIG);
    return sp < 0 ? -1 : svrt_place(c, sp, NULL, SVRT_TRIES);
}

/* Relations: INSIDE shape `big`, APART from every other shape. */
static void rel_inside(const svrt_ctx *c, int big, svrt_relation *rel)
{
    for (int j = 0; j < c->nshapes; j++) rel[j] = j == big ? SVRT_INSIDE : SVRT_APART;
}

/* A centre inside shape `big` (within its box). */
static int find_inside(svrt_ctx *c, int sprite, int big, int *x, int *y)
{
    svrt_relation rel[SVRT_MAX_SHAPES];
    rel_inside(c, big, rel);
    const svrt_shape *h = &c->shapes[big];
    return svrt_find(c, sprite, rel, h->x0, h->x1, h->y0, h->y1, SVRT_TRIES, x, y);
}

/* 2: a small shape inside a big one; class 1 it is near the big contour
 * (one white pixel between them), class 0 at least W/8 away from it. */
#define P2_FAR 16.0

int svrt_problem_2(svrt_ctx *c, int label)
{
    int big = place_big(c), sp = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (big < 0 || sp < 0) return -1;
    svrt_relation rel[SVRT_MAX_SHAPES];
    rel_inside(c, big, rel);
    const svrt_shape *h = &c->shapes[big];
    int fx = 0, fy = 0, t = 0;
    for (; t < SVRT_TRIES; t++)
        if (svrt_find(c, sp, rel, h->x0, h->x1, h->y0, h->y1, 1, &fx, &fy) &&
            svrt_contour_distance(c, sp, fx, fy, big) >= P2_FAR)
            break;
    if (t == SVRT_TRIES) return -1;
    if (!label) {
        svrt_add(c, sp, fx, fy);
        return 0;
    }
    /* Slide from the far position along a random ray, half a pixel at a
     * time, and keep the last position inside: a step moves the contour by
     * at most one pixel, so the gap there is exactly one pixel. */
    double an = svrt_uniform(c, 0, 2.0 * M_PI), ux = cos(an), uy = sin(an);
    int lx = fx, ly = fy;
    for (double d = 0.5; d < SVRT_W; d += 0.5) {
        int x = fx + (int)floor(d * ux + 0.5), y = fy + (int)floor(d * uy + 0.5);
        if (!svrt_fits(c, sp, x, y, rel)) break;
        lx = x, ly = y;
    }
    svrt_add(c, sp, lx, ly);
    return 0;
}

/* 3: four shapes of radius W/6; class 1 two separate pairs of touching
 * shapes, class 0 a chain of three touching shapes and one alone.  Touching:
 * the solids overlap by 1 to 3 pixels. */
int svrt_problem_3(svrt_ctx *c, int label)
{
    int sp[4];
    for (int i = 0; i < 4; i++)
        if ((sp[i] = svrt_sprite_random(c, SVRT_PART, SVRT_HOLE)) < 0) return -1;
    if (svrt_place(c, sp[0], NULL, SVRT_TRIES) < 0) return -1;
    if (svrt_place_touching(c, sp[1], 0, 1, 3, SVRT_TRIES) < 0) return -1;
    if (label) {
        if (svrt_place(c, sp[2], NULL, SVRT_TRIES) < 0) return -1;
        if (svrt_place_touching(c, sp[3], 2, 1, 3, SVRT_TRIES) < 0) return -1;
    } else {
        if (svrt_place_touching(c, sp[2], svrt_below(c, 2), 1, 3, SVRT_TRIES) < 0) return -1;
        if (svrt_place(c, sp[3], NULL, SVRT_TRIES) < 0) return -1;
    }
    return 0;
}

/* 4: a big and a small shape; class 1 the small one is inside, class 0 outside. */
int svrt_problem_4(svrt_ctx *c, int label)
{
    int big = place_big(c), sp = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (big < 0 || sp < 0) return -1;
    int ix, iy, ox, oy;
    if (!find_inside(c, sp, big, &ix, &iy)) return -1;
    if (!svrt_find(c, sp, NULL, 0, SVRT_W, 0, SVRT_W, SVRT_TRIES, &ox, &oy)) return -1;
    svrt_add(c, sp, label ? ix : ox, label ? iy : oy);
    return 0;
}

/* 8: a big shape and a small one; class 1 the small one is the big one
 * scaled by 1/2 and inside it; class 0 either that copy outside (half of
 * the samples) or a different shape of the same size inside. */
int svrt_problem_8(svrt_ctx *c, int label)
{
    int big = place_big(c);
    if (big < 0) return -1;
    int copy = svrt_sprite_new(c, c->sprites[c->shapes[big].sprite].curve, 0.5, 0.0, 0);
    if (copy < 0) return -1;
    int ix, iy, ox, oy;
    if (!find_inside(c, copy, big, &ix, &iy)) return -1;
    if (!svrt_find(c, copy, NULL, 0, SVRT_W, 0, SVRT_W, SVRT_TRIES, &ox, &oy)) return -1;
    /* Both classes: a different curve of the same size that looks different
     * from the copy and fits inside. */
    int k = svrt_curve_new(c, SVRT_R_BIG, SVRT_HOLE_BIG);
    int other = k < 0 ? -1 : svrt_sprite_new(c, k, 0.5, 0.0, 0);
    int dx, dy;
    if (other < 0 || !svrt_distinct(c, other, copy, 0, SVRT_DISTINCT_POSED) ||
        !find_inside(c, other, big, &dx, &dy))
        return -1;
    int outside = svrt_below(c, 2);
    if (label)
        svrt_add(c, copy, ix, iy);
    else if (outside)
        svrt_add(c, copy, ox, oy);
    else
        svrt_add(c, other, dx, dy);
    return 0;
}

/* 11: a small shape (radius W/6) and a big one (radius 3W/8); class 1 they
 * touch (solids overlap by 1 to 4 pixels), class 0 their contours are at
 * least W/12 apart.  Both classes need room for the far position. */
#define P11_SMALL 21.0
#define P11_FAR 10.0

int svrt_problem_11(svrt_ctx *c, int label)
{
    int big = place_big(c), sp = svrt_sprite_random(c, P11_SMALL, SVRT_HOLE);
    if (big < 0 || sp < 0) return -1;
    int fx = 0, fy = 0, t = 0;
    for (; t < SVRT_TRIES; t++)
        if (svrt_find(c, sp, NULL, 0, SVRT_W, 0, SVRT_W, 1, &fx, &fy) &&
            svrt_contour_distance(c, sp, fx, fy, big) >= P11_FAR)
            break;
    if (t == SVRT_TRIES) return -1;
    if (label) return svrt_place_touching(c, sp, big, 1, 4, SVRT_TRIES) < 0 ? -1 : 0;
    svrt_add(c, sp, fx, fy);
    return 0;
}

/* 23: a big shape and two small ones; class 1 one small shape inside and
 * one outside; class 0 both inside or both outside (half each). */
int svrt_problem_23(svrt_ctx *c, int label)
{
    int big = place_big(c);
    int sp[2]; /* one statement per draw: initializer lists are unsequenced */
    sp[0] = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    sp[1] = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (big < 0 || sp[0] < 0 || sp[1] < 0) return -1;
    /* Both small shapes inside together, and both outside together. */
    int in[2][2], out[2][2];
    for (int k = 0; k < 2; k++) {
        if (!find_inside(c, sp[k], big, &in[k][0], &in[k][1])) return -1;
        svrt_add(c, sp[k], in[k][0], in[k][1]);
    }
    svrt_shape_pop(c), svrt_shape_pop(c);
    for (int k = 0; k < 2; k++) {
        if (!svrt_find(c, sp[k], NULL, 0, SVRT_W, 0, SVRT_W, SVRT_TRIES, &out[k][0], &out[k][1]))
            return -1;
        svrt_add(c, sp[k], out[k][0], out[k][1]);
    }
    svrt_shape_pop(c), svrt_shape_pop(c);
    int pick = svrt_below(c, 2);
    for (int k = 0; k < 2; k++) {
        /* Class 1: small shape `pick` inside, the other outside; class 0: both where `pick` says. */
        int inside = label ? k == pick : pick;
        svrt_add(c, sp[k], inside ? in[k][0] : out[k][0], inside ? in[k][1] : out[k][1]);
    }
    return 0;
}
