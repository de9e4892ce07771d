/* problems_arrangement.c: SVRT problems decided by where shapes are:
 * distances, alignment, squares, circles and mirror positions: 6, 9, 10,
 * 12, 13, 14, 17, 18.  Rules: docs/challenges/svrt.md. */
#include "svrt.h"

#include <math.h>
#include <stddef.h>

#define DEG (M_PI / 180.0)

static int round_i(double v) { return (int)floor(v + 0.5); }

/* 6: two pairs of identical shapes (A, A, B, B); class 1 the two pairs are
 * equally far apart (centres, within a pixel), class 0 the distances differ
 * by at least W/6. */
#define P6_DMIN 20.0
#define P6_DMAX 90.0

/* A pair of one sprite: the first anywhere, the second at distance d in a
 * random direction; the rounded distance must lie in [lo, hi]. */
static int place_pair(svrt_ctx *c, int sp, double d, double lo, double hi, double *actual)
{
    int a = svrt_place(c, sp, NULL, SVRT_TRIES);
    if (a < 0) return -1;
    for (int t = 0; t < SVRT_TRIES; t++) {
        double an = svrt_uniform(c, 0, 2.0 * M_PI);
        int dx = round_i(d * cos(an)), dy = round_i(d * sin(an));
        double len = hypot(dx, dy);
        int x = c->shapes[a].cx + dx, y = c->shapes[a].cy + dy;
        if (len < lo || len > hi || !svrt_fits(c, sp, x, y, NULL)) continue;
        svrt_add(c, sp, x, y);
        *actual = len;
        return 0;
    }
    return -1;
}

int svrt_problem_6(svrt_ctx *c, int label)
{
    int sa = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    int sb = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (sa < 0 || sb < 0 || !svrt_distinct(c, sa, sb, 0, SVRT_DISTINCT)) return -1;
    double da = svrt_uniform(c, P6_DMIN, P6_DMAX), db = da, aa, ab;
    if (!label) {
        int t = 0;
        for (; t < SVRT_TRIES && fabs(db - da) < SVRT_PART + 1; t++) db = svrt_uniform(c, P6_DMIN, P6_DMAX);
        if (t == SVRT_TRIES) return -1;
    }
    if (place_pair(c, sa, da, 0, SVRT_W * 2, &aa)) return -1;
    /* Class 1: the second distance within one pixel of the first one's
     * rounded value; class 0: db is at least W/6 + 1 away, rounding moves it < 1. */
    return place_pair(c, sb, label ? aa : db, label ? aa - 1 : 0, label ? aa + 1 : SVRT_W * 2, &ab);
}

/* 9: three shapes of one curve (radius W/6) in a row, two at half size; the
 * middle one sits at a fraction U[1/4, 3/4] of the way; class 1 the big one
 * is at an end, class 0 in the middle. */
int svrt_problem_9(svrt_ctx *c, int label)
{
    int k = svrt_curve_new(c, SVRT_PART, SVRT_HOLE);
    if (k < 0) return -1;
    int big = svrt_sprite_new(c, k, 1.0, 0.0, 0), small = svrt_sprite_new(c, k, 0.5, 0.0, 0);
    if (big < 0 || small < 0) return -1;
    int sp[3] = {small, small, small};
    sp[label ? 2 * svrt_below(c, 2) : 1] = big;
    return svrt_place_collinear(c, sp, 0.25, 0.75);
}

/* Largest distance of a centre from the corner of the square fitted to the
 * four centres (least squares, corners taken in angular order). */
static double square_deviation(const svrt_ctx *c, int first)
{
    double gx = 0, gy = 0, vx[4], vy[4], an[4];
    int order[4] = {0, 1, 2, 3};
    for (int k = 0; k < 4; k++) gx += c->shapes[first + k].cx / 4.0, gy += c->shapes[first + k].cy / 4.0;
    for (int k = 0; k < 4; k++) {
        vx[k] = c->shapes[first + k].cx - gx, vy[k] = c->shapes[first + k].cy - gy;
        an[k] = atan2(vy[k], vx[k]);
    }
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && an[order[j]] < an[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    /* Undo the quarter turns and average: u is the fitted first corner. */
    double ux = 0, uy = 0, dev = 0;
    for (int k = 0; k < 4; k++) {
        double x = vx[order[k]], y = vy[order[k]];
        for (int q = 0; q < k; q++) {
            double t = x;
            x = y, y = -t; /* rotate by -90 degrees */
        }
        ux += x / 4, uy += y / 4;
    }
    for (int k = 0; k < 4; k++) {
        double x = ux, y = uy;
        for (int q = 0; q < k; q++) {
            double t = x;
            x = -y, y = t; /* rotate by +90 degrees */
        }
        dev = fmax(dev, hypot(vx[order[k]] - x, vy[order[k]] - y));
    }
    return dev;
}

/* 10: four identical shapes; class 1 their centres are the corners of a
 * square, class 0 random positions at least 6 pixels from any square. */
#define P10_NOT_SQUARE 6.0

int svrt_problem_10(svrt_ctx *c, int label)
{
    int s = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (s < 0) return -1;
    int sp[4] = {s, s, s, s};
    if (label) return svrt_place_square(c, sp, 15.0, 60.0);
    for (int k = 0; k < 4; k++)
        if (svrt_place(c, s, NULL, SVRT_TRIES) < 0) return -1;
    return square_deviation(c, 0) >= P10_NOT_SQUARE ? 0 : -1;
}

/* 12: two small shapes (radius W/24) and a big one (W/12) on a circle; two
 * sit close together (40-70 degrees apart) and the third opposite them
 * (within 20 degrees); class 1 the close pair is the two small shapes,
 * class 0 the big shape and a small one. */
#define P12_SMALL 5.0

int svrt_problem_12(svrt_ctx *c, int label)
{
    /* One statement per draw: initializer lists are unsequenced in C. */
    int small[2];
    small[0] = svrt_sprite_random(c, P12_SMALL, SVRT_HOLE);
    small[1] = svrt_sprite_random(c, P12_SMALL, SVRT_HOLE);
    int big = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (small[0] < 0 || small[1] < 0 || big < 0) return -1;
    /* Shapes 0 and 1 form the close pair, shape 2 is opposite. */
    int sp[3] = {small[0], small[1], big};
    if (!label) {
        int b = svrt_below(c, 2);
        sp[b] = big, sp[1 - b] = small[0], sp[2] = small[1];
    }
    for (int t = 0; t < SVRT_TRIES; t++) {
        double rho = svrt_uniform(c, 20, 50), mid = svrt_uniform(c, 0, 2.0 * M_PI);
        double gap = svrt_uniform(c, 40, 70) * DEG, far = mid + M_PI + svrt_uniform(c, -20, 20) * DEG;
        double an[3] = {mid - gap / 2, mid + gap / 2, far}, dx[3], dy[3];
        for (int k = 0; k < 3; k++) dx[k] = rho * cos(an[k]), dy[k] = rho * sin(an[k]);
        if (svrt_place_offsets(c, sp, 3, dx, dy, 1) == 0) return 0;
    }
    return -1;
}

/* 13: a big shape A (radius W/4) with a small one a (W/12) within W/4 of
 * it, and a second copy of both; class 1 the second a has the same offset
 * from the second A, class 0 it is within W/4 of the second A but at least
 * W/4 from that offset (under either pairing of the copies). */
#define P13_BIG 32.0
#define P13_NEAR 32.0
#define P13_FAR 32.0

int svrt_problem_13(svrt_ctx *c, int label)
{
    int sa = svrt_sprite_random(c, P13_BIG, SVRT_HOLE), sm = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (sa < 0 || sm < 0) return -1;
    int A1 = svrt_place(c, sa, NULL, SVRT_TRIES);
    if (A1 < 0) return -1;
    int x = 0, y = 0, t = 0;
    for (; t < SVRT_TRIES; t++)
        if (svrt_find(c, sm, NULL, 0, SVRT_W, 0, SVRT_W, 1, &x, &y) &&
            svrt_contour_distance(c, sm, x, y, A1) <= P13_NEAR)
            break;
    if (t == SVRT_TRIES) return -1;
    int a1 = svrt_add(c, sm, x, y);
    const int ox = c->shapes[a1].cx - c->shapes[A1].cx, oy = c->shapes[a1].cy - c->shapes[A1].cy;
    /* The second big shape where the copied offset also fits (both classes). */
    int A2 = -1;
    for (t = 0; t < SVRT_TRIES && A2 < 0; t++) {
        if (!svrt_find(c, sa, NULL, 0, SVRT_W, 0, SVRT_W, 1, &x, &y)) continue;
        A2 = svrt_add(c, sa, x, y);
        if (!svrt_fits(c, sm, x + ox, y + oy, NULL)) svrt_shape_pop(c), A2 = -1;
    }
    if (A2 < 0) return -1;
    const int ax = c->shapes[A2].cx, ay = c->shapes[A2].cy;
    if (label) {
        svrt_add(c, sm, ax + ox, ay + oy);
        return 0;
    }
    const int a1x = c->shapes[a1].cx, a1y = c->shapes[a1].cy;
    const int A1x = c->shapes[A1].cx, A1y = c->shapes[A1].cy;
    for (t = 0; t < SVRT_TRIES; t++) {
        if (!svrt_find(c, sm, NULL, 0, SVRT_W, 0, SVRT_W, 1, &x, &y)) continue;
        /* Same pairing: offset from A2 against (ox, oy); swapped pairing:
         * a1 - A2 against a2 - A1. */
        double same = hypot(x - ax - ox, y - ay - oy);
        double swapped = hypot((a1x - ax) - (x - A1x), (a1y - ay) - (y - A1y));
        if (same >= P13_FAR && swapped >= P13_FAR && svrt_contour_distance(c, sm, x, y, A2) <= P13_NEAR) {
            svrt_add(c, sm, x, y);
            return 0;
        }
    }
    return -1;
}

/* Whether shape m's centre lies within `band` of the segment between the
 * centres of shapes p and q (projection inside the segment). */
static int in_band(const svrt_ctx *c, int m, int p, int q, double band)
{
    double ux = c->shapes[q].cx - c->shapes[p].cx, uy = c->shapes[q].cy - c->shapes[p].cy;
    double vx = c->shapes[m].cx - c->shapes[p].cx, vy = c->shapes[m].cy - c->shapes[p].cy;
    double len2 = ux * ux + uy * uy;
    if (len2 == 0) return 1;
    double f = (ux * vx + uy * vy) / len2;
    return f >= 0 && f <= 1 && fabs(ux * vy - uy * vx) / sqrt(len2) < band;
}

/* 14: three identical shapes; class 1 one centre lies on the segment
 * between the other two, class 0 none lies within W/20 of it. */
#define P14_BAND 6.0

int svrt_problem_14(svrt_ctx *c, int label)
{
    int s = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (s < 0) return -1;
    int sp[3] = {s, s, s};
    if (label) return svrt_place_collinear(c, sp, 0.0, 1.0);
    for (int k = 0; k < 3; k++)
        if (svrt_place(c, s, NULL, SVRT_TRIES) < 0) return -1;
    for (int m = 0; m < 3; m++)
        if (in_band(c, m, (m + 1) % 3, (m + 2) % 3, P14_BAND)) return -1;
    return 0;
}

/* 17: three identical shapes on a circle and a different one; class 1 the
 * odd one is at the circle's centre, class 0 at least W/6 from it. */
int svrt_problem_17(svrt_ctx *c, int label)
{
    int s = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE), odd = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (s < 0 || odd < 0 || !svrt_distinct(c, s, odd, 0, SVRT_DISTINCT)) return -1;
    int sp[4] = {s, s, s, odd};
    for (int t = 0; t < SVRT_TRIES; t++) {
        double rho = svrt_uniform(c, 22, 50), an[3], dx[4] = {0}, dy[4] = {0};
        for (int k = 0; k < 3; k++) an[k] = svrt_uniform(c, 0, 2.0 * M_PI);
        /* Angles at least 50 degrees apart keep the circumcentre stable under rounding. */
        int spread = 1;
        for (int i = 0; i < 3; i++) {
            double d = fabs(remainder(an[i] - an[(i + 1) % 3], 2.0 * M_PI));
            spread &= d >= 50 * DEG;
        }
        if (!spread) continue;
        for (int k = 0; k < 3; k++) dx[k] = rho * cos(an[k]), dy[k] = rho * sin(an[k]);
        /* Both classes: the odd shape must fit at the centre. */
        if (svrt_place_offsets(c, sp, 4, dx, dy, 1)) continue;
        if (label) return 0;
        svrt_shape_pop(c);
        /* Circumcentre of the rounded centres. */
        double ax = c->shapes[0].cx, ay = c->shapes[0].cy, bx = c->shapes[1].cx - ax,
               by = c->shapes[1].cy - ay, cx = c->shapes[2].cx - ax, cy = c->shapes[2].cy - ay;
        double d = 2 * (bx * cy - by * cx);
        double ox = ax + (cy * (bx * bx + by * by) - by * (cx * cx + cy * cy)) / d;
        double oy = ay + (bx * (cx * cx + cy * cy) - cx * (bx * bx + by * by)) / d;
        for (int u = 0; u < SVRT_TRIES; u++) {
            int x, y;
            if (svrt_find(c, odd, NULL, 0, SVRT_W, 0, SVRT_W, 1, &x, &y) && hypot(x - ox, y - oy) >= SVRT_PART) {
                svrt_add(c, odd, x, y);
                return 0;
            }
        }
        return -1;
    }
    return -1;
}

/* Largest distance from a centre's mirror image (column x -> W-1-x) to the
 * nearest centre: 0 for a mirror-symmetric set of positions. */
static double mirror_mismatch(const svrt_ctx *c)
{
    double worst = 0;
    for (int i = 0; i < c->nshapes; i++) {
        double best = HUGE_VAL;
        for (int j = 0; j < c->nshapes; j++)
            best = fmin(best, hypot(SVRT_W - 1 - c->shapes[i].cx - c->shapes[j].cx,
                                    c->shapes[i].cy - c->shapes[j].cy));
        worst = fmax(worst, best);
    }
    return worst;
}

/* 18: six identical shapes; the second triple has the first's rows; class 1
 * its columns are the mirror images (x -> W-1-x), class 0 random, leaving
 * some centre at least 10 pixels from every mirror image. */
#define P18_ASYMMETRY 10.0

int svrt_problem_18(svrt_ctx *c, int label)
{
    int s = svrt_sprite_random(c, SVRT_R_NORMAL, SVRT_HOLE);
    if (s < 0) return -1;
    for (int k = 0; k < 3; k++)
        if (svrt_place(c, s, NULL, SVRT_TRIES) < 0) return -1;
    /* Both classes: the mirrored positions must fit. */
    for (int k = 0; k < 3; k++) {
        int x = SVRT_W - 1 - c->shapes[k].cx, y = c->shapes[k].cy;
        if (!svrt_fits(c, s, x, y, NULL)) return -1;
        svrt_add(c, s, x, y);
    }
    if (label) return 0;
    for (int k = 0; k < 3; k++) svrt_shape_pop(c);
    int x0, x1, y0, y1;
    svrt_centre_range(c, s, &x0, &x1, &y0, &y1);
    for (int k = 0; k < 3; k++) {
        int x = 0, y = c->shapes[k].cy;
        if (!svrt_find(c, s, NULL, x0, x1, y, y, SVRT_TRIES, &x, &y)) return -1;
        svrt_add(c, s, x, y);
    }
    return mirror_mismatch(c) >= P18_ASYMMETRY ? 0 : -1;
}
