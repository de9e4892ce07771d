/* test_svrt.c: a rule checker for the 23 SVRT problems that shares no code
 * with the generator.  From each sample's pixels
 * it finds the shapes (8-connected components of black pixels), their
 * filled regions (4-connected flood fill from the border), and from those
 * decides identity (exact pixel translates, or a chamfer distance after
 * normalising position, size and, where allowed, rotation and mirror),
 * inside/outside, touching and gaps; the metadata gives the centres, which
 * are first checked against the pixels (each centre lies inside its shape).
 * Every sample must satisfy its own class's rule and not the other's. */
#include "challenges/challenge.h"
#include "challenges/svrt/svrt.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* Samples per problem (build with -DSVRT_TEST_SAMPLES=N for a longer run). */
#ifndef SVRT_TEST_SAMPLES
#define SVRT_TEST_SAMPLES 200
#endif
enum { W = 128, S = 6, MAXC = 16, SAMPLES = SVRT_TEST_SAMPLES };

/* Shapes per problem (the notes' table). */
static const int expected_count[24] = {0, 2, 2, 4, 2, 4, 4, 6, 2, 3, 4, 2, 3,
                                       4, 3, 4, 6, 4, 6, 2, 2, 2, 3, 3};

/* ---- one sample, read back through the challenge interface ----------------- */

typedef struct {
    const ph_challenge *ch;
    svrt_params p;
    int nf;
    ph_field fields[PH_MAX_FIELDS];
    uint8_t *slot[PH_MAX_FIELDS];
} sample;

static int field_index(const sample *s, const char *name)
{
    for (int f = 0; f < s->nf; f++)
        if (!strcmp(s->fields[f].name, name)) return f;
    fail_msg("no dataset %s", name);
    return -1;
}

static void sample_init(sample *s, int problem)
{
    memset(s, 0, sizeof *s);
    s->ch = ph_challenge_find("svrt");
    assert_non_null(s->ch);
    s->p.problem = problem;
    s->nf = s->ch->fields(&s->p, s->fields, PH_MAX_FIELDS);
    for (int f = 0; f < s->nf; f++) s->slot[f] = malloc(ph_field_sample_bytes(&s->fields[f]));
}

static void sample_make(sample *s, uint32_t seed, int64_t index)
{
    for (int f = 0; f < s->nf; f++) memset(s->slot[f], 0, ph_field_sample_bytes(&s->fields[f]));
    s->ch->generate(&s->p, seed, index, (void *const *)s->slot);
}

static void sample_free(sample *s)
{
    for (int f = 0; f < s->nf; f++) free(s->slot[f]);
}

/* ---- the checker's own view of a sample ------------------------------------ */

typedef struct {
    int n, x0, y0, x1, y1;
    int *px;         /* pixel indices y * W + x */
    uint8_t *filled; /* W*W: the component and every white pixel it encloses */
    double area, gx, gy;
} comp;

typedef struct {
    int problem, label, count;
    const uint8_t *img;
    double cx[S], cy[S], radius[S], scale[S];
    int curve[S];
    int lab[W * W], ncomp;
    comp c[MAXC];
    int owner[S]; /* component of each shape */
    char why[256];
} scene;

static int bad(scene *sc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc->why, sizeof sc->why, fmt, ap);
    va_end(ap);
    return 0;
}

static void scene_free(scene *sc)
{
    for (int k = 0; k < sc->ncomp; k++) free(sc->c[k].px), free(sc->c[k].filled);
    sc->ncomp = 0;
}

/* 8-connected components of the black pixels; 0 if there are too many. */
static int label_components(scene *sc)
{
    static int queue[W * W];
    for (int i = 0; i < W * W; i++) sc->lab[i] = -1;
    sc->ncomp = 0;
    for (int start = 0; start < W * W; start++) {
        if (sc->img[start] != 0 || sc->lab[start] >= 0) continue;
        if (sc->ncomp == MAXC) return 0;
        int k = sc->ncomp++, head = 0, tail = 0;
        comp *c = &sc->c[k];
        memset(c, 0, sizeof *c);
        c->x0 = c->y0 = W, c->x1 = c->y1 = -1;
        queue[tail++] = start;
        sc->lab[start] = k;
        while (head < tail) {
            int i = queue[head++], x = i % W, y = i / W;
            if (x < c->x0) c->x0 = x;
            if (x > c->x1) c->x1 = x;
            if (y < c->y0) c->y0 = y;
            if (y > c->y1) c->y1 = y;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int u = x + dx, v = y + dy;
                    if (u < 0 || v < 0 || u >= W || v >= W) continue;
                    int j = v * W + u;
                    if (sc->img[j] == 0 && sc->lab[j] < 0) sc->lab[j] = k, queue[tail++] = j;
                }
        }
        c->n = tail;
        c->px = malloc((size_t)tail * sizeof *c->px);
        memcpy(c->px, queue, (size_t)tail * sizeof *c->px);
    }
    return 1;
}

/* Filled region of component k: what a 4-connected fill from the image
 * border cannot reach when only k's pixels are walls. */
static void fill_component(scene *sc, int k)
{
    static int queue[W * W];
    static uint8_t seen[W * W];
    comp *c = &sc->c[k];
    memset(seen, 0, sizeof seen);
    int head = 0, tail = 0;
    for (int i = 0; i < W; i++) {
        const int border[4] = {i, (W - 1) * W + i, i * W, i * W + W - 1};
        for (int b = 0; b < 4; b++)
            if (sc->lab[border[b]] != k && !seen[border[b]]) seen[border[b]] = 1, queue[tail++] = border[b];
    }
    while (head < tail) {
        int i = queue[head++], x = i % W, y = i / W;
        const int nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
        for (int m = 0; m < 4; m++) {
            int u = nb[m][0], v = nb[m][1];
            if (u < 0 || v < 0 || u >= W || v >= W) continue;
            int j = v * W + u;
            if (!seen[j] && sc->lab[j] != k) seen[j] = 1, queue[tail++] = j;
        }
    }
    c->filled = malloc(W * W);
    c->area = c->gx = c->gy = 0;
    for (int i = 0; i < W * W; i++) {
        c->filled[i] = !seen[i];
        if (c->filled[i]) c->area++, c->gx += i % W, c->gy += i / W;
    }
    c->gx /= c->area, c->gy /= c->area;
}

/* Every component has an owner and each of its pixels lies within
 * radius * scale (+ rounding) of one of its owners' centres. */
static int owners_consistent(const scene *sc)
{
    for (int k = 0; k < sc->ncomp; k++) {
        int owned = 0;
        for (int i = 0; i < sc->count; i++) owned |= sc->owner[i] == k;
        if (!owned) return 0;
        for (int m = 0; m < sc->c[k].n; m++) {
            int x = sc->c[k].px[m] % W, y = sc->c[k].px[m] / W, near = 0;
            for (int i = 0; i < sc->count && !near; i++)
                near = sc->owner[i] == k &&
                       hypot(x - sc->cx[i], y - sc->cy[i]) <= sc->radius[i] * sc->scale[i] + 0.75;
            if (!near) return 0;
        }
    }
    return 1;
}

/* Gives shapes i.. a component each, one whose filled region holds the
 * shape's centre (smaller components first), so that owners_consistent
 * holds: a small shape lying over a big shape's centre cannot take it. */
static int assign_owners(scene *sc, int i)
{
    if (i == sc->count) return owners_consistent(sc);
    int ci = (int)lround(sc->cx[i]), cj = (int)lround(sc->cy[i]), tried[MAXC] = {0};
    for (int round = 0; round < sc->ncomp; round++) {
        int best = -1;
        for (int k = 0; k < sc->ncomp; k++)
            if (!tried[k] && sc->c[k].filled[cj * W + ci] && (best < 0 || sc->c[k].area < sc->c[best].area))
                best = k;
        if (best < 0) return 0;
        tried[best] = 1;
        sc->owner[i] = best;
        if (assign_owners(sc, i + 1)) return 1;
    }
    return 0;
}

/* Reads the sample; checks pixels, canvas margin, metadata consistency and
 * that each centre lies inside its shape.  0 with sc->why on failure. */
static int scene_read(scene *sc, const sample *s)
{
    memset(sc->why, 0, sizeof sc->why);
    sc->img = s->slot[field_index(s, "x")];
    sc->label = *(const int32_t *)s->slot[field_index(s, "y")];
    sc->problem = *(const int32_t *)s->slot[field_index(s, "meta/problem")];
    sc->count = *(const int32_t *)s->slot[field_index(s, "meta/count")];
    const float *centre = (const float *)s->slot[field_index(s, "meta/centre")];
    const float *radius = (const float *)s->slot[field_index(s, "meta/radius")];
    const float *scale = (const float *)s->slot[field_index(s, "meta/scale")];
    const int16_t *curve = (const int16_t *)s->slot[field_index(s, "meta/curve")];
    if (sc->label != 0 && sc->label != 1) return bad(sc, "label %d", sc->label);
    if (sc->problem != s->p.problem) return bad(sc, "meta/problem %d", sc->problem);
    if (sc->count != expected_count[sc->problem])
        return bad(sc, "%d shapes, expected %d", sc->count, expected_count[sc->problem]);
    for (int i = 0; i < S; i++) {
        if ((i < sc->count) != (curve[i] >= 0)) return bad(sc, "curve id %d in slot %d", curve[i], i);
        sc->cy[i] = centre[2 * i], sc->cx[i] = centre[2 * i + 1];
        sc->radius[i] = radius[i], sc->scale[i] = scale[i], sc->curve[i] = curve[i];
    }
    for (int i = 0; i < W * W; i++)
        if (sc->img[i] != 0 && sc->img[i] != 255) return bad(sc, "pixel value %d", sc->img[i]);
    /* No shape leaves the canvas: the outermost rows and columns stay white. */
    for (int i = 0; i < W; i++)
        if (!sc->img[i] || !sc->img[(W - 1) * W + i] || !sc->img[i * W] || !sc->img[i * W + W - 1])
            return bad(sc, "a black pixel on the canvas border");
    if (!label_components(sc)) return bad(sc, "more than %d components", MAXC);
    for (int k = 0; k < sc->ncomp; k++) fill_component(sc, k);
    for (int i = 0; i < sc->count; i++) {
        int ci = (int)lround(sc->cx[i]), cj = (int)lround(sc->cy[i]), any = 0;
        for (int k = 0; k < sc->ncomp; k++) any |= sc->c[k].filled[cj * W + ci];
        if (!any) return bad(sc, "centre of shape %d (%g, %g) is in no shape", i, sc->cy[i], sc->cx[i]);
    }
    if (!assign_owners(sc, 0))
        return bad(sc, "no way to give each shape a component around its centre within its radius");
    return 1;
}

/* Shapes that must not touch are separate components (8-connectivity: no
 * pixel of one is in the 3x3 neighbourhood of the other) and none encloses
 * another unless the problem nests them. */
static int apart_and_unnested(scene *sc, int nesting_allowed)
{
    for (int i = 0; i < sc->count; i++)
        for (int j = i + 1; j < sc->count; j++)
            if (sc->owner[i] == sc->owner[j]) return bad(sc, "shapes %d and %d touch", i, j);
    if (!nesting_allowed)
        for (int k = 0; k < sc->ncomp; k++)
            for (int l = 0; l < sc->ncomp; l++)
                if (k != l && sc->c[l].filled[sc->c[k].px[0]]) return bad(sc, "component %d inside %d", k, l);
    return 1;
}

/* ---- relations computed from pixels ----------------------------------------- */

/* Exact pixel translates of each other. */
static int translates(const scene *sc, int k, int l)
{
    const comp *a = &sc->c[k], *b = &sc->c[l];
    if (a->n != b->n || a->x1 - a->x0 != b->x1 - b->x0 || a->y1 - a->y0 != b->y1 - b->y0) return 0;
    int dx = b->x0 - a->x0, dy = b->y0 - a->y0;
    for (int m = 0; m < a->n; m++) {
        int x = a->px[m] % W + dx, y = a->px[m] / W + dy;
        if (sc->lab[y * W + x] != l) return 0;
    }
    return 1;
}

/* Group sizes of shapes under "exact translate", sorted ascending; returns the number of groups. */
static int translate_groups(const scene *sc, int *sizes)
{
    int group[S], ng = 0;
    for (int i = 0; i < sc->count; i++) {
        group[i] = -1;
        for (int j = 0; j < i && group[i] < 0; j++)
            if (translates(sc, sc->owner[j], sc->owner[i])) group[i] = group[j];
        if (group[i] < 0) sizes[ng] = 0, group[i] = ng++;
        sizes[group[i]]++;
    }
    for (int a = 1; a < ng; a++)
        for (int b = a; b > 0 && sizes[b] < sizes[b - 1]; b--) {
            int t = sizes[b];
            sizes[b] = sizes[b - 1], sizes[b - 1] = t;
        }
    return ng;
}

static int groups_are(const scene *sc, int n, ...)
{
    int sizes[S], ng = translate_groups(sc, sizes);
    if (ng != n) return 0;
    va_list ap;
    va_start(ap, n);
    int ok = 1;
    for (int g = 0; g < n; g++) ok &= sizes[g] == va_arg(ap, int);
    va_end(ap);
    return ok;
}

/* Smallest Euclidean distance between pixels of two components. */
static double gap(const scene *sc, int k, int l)
{
    double best = HUGE_VAL;
    for (int m = 0; m < sc->c[k].n; m++)
        for (int q = 0; q < sc->c[l].n; q++) {
            int a = sc->c[k].px[m], b = sc->c[l].px[q];
            double d = hypot(a % W - b % W, a / W - b / W);
            if (d < best) best = d;
        }
    return best;
}

/* Every pixel of component k lies in component l's filled region. */
static int inside(const scene *sc, int k, int l)
{
    if (k == l) return 0;
    for (int m = 0; m < sc->c[k].n; m++)
        if (!sc->c[l].filled[sc->c[k].px[m]]) return 0;
    return 1;
}

/* ---- shape distance: chamfer after normalising the pose ----------------------- */

/* Distance from each pixel of a window around component k to its nearest pixel. */
typedef struct {
    int x0, y0, w, h;
    float *d;
} dmap;

static void dmap_make(const scene *sc, int k, int margin, dmap *m)
{
    const comp *c = &sc->c[k];
    m->x0 = c->x0 - margin, m->y0 = c->y0 - margin;
    m->w = c->x1 - c->x0 + 1 + 2 * margin, m->h = c->y1 - c->y0 + 1 + 2 * margin;
    m->d = malloc((size_t)m->w * m->h * sizeof *m->d);
    double *col = malloc((size_t)m->w * m->h * sizeof *col);
    /* Per column, the distance to the nearest pixel of k in that column (two
     * sweeps); then per row, the exact minimum over columns. */
    for (int x = 0; x < m->w; x++) {
        double run = 1e9;
        for (int y = 0; y < m->h; y++) {
            int gx = m->x0 + x, gy = m->y0 + y;
            int on = gx >= 0 && gy >= 0 && gx < W && gy < W && sc->lab[gy * W + gx] == k;
            run = on ? 0 : run + 1;
            col[y * m->w + x] = run;
        }
        run = 1e9;
        for (int y = m->h - 1; y >= 0; y--) {
            run = col[y * m->w + x] == 0 ? 0 : run + 1;
            if (run < col[y * m->w + x]) col[y * m->w + x] = run;
        }
    }
    for (int y = 0; y < m->h; y++)
        for (int x = 0; x < m->w; x++) {
            double best = 1e18;
            for (int u = 0; u < m->w; u++) {
                double g = col[y * m->w + u], d = (double)(x - u) * (x - u) + g * g;
                if (d < best) best = d;
            }
            m->d[y * m->w + x] = (float)sqrt(best);
        }
    free(col);
}

/* Bilinear distance at a canvas point; outside the window, the nearest
 * window value plus the distance to the window. */
static double dmap_at(const dmap *m, double x, double y)
{
    double u = x - m->x0, v = y - m->y0;
    double cu = fmin(fmax(u, 0), m->w - 1.001), cv = fmin(fmax(v, 0), m->h - 1.001);
    double extra = hypot(u - cu, v - cv);
    int i = (int)cu, j = (int)cv;
    double fu = cu - i, fv = cv - j;
    const float *p = m->d + j * m->w + i;
    return extra + (1 - fv) * ((1 - fu) * p[0] + fu * p[1]) + fv * ((1 - fu) * p[m->w] + fu * p[m->w + 1]);
}

/* Mean distance from component a's pixels, mapped by q = gb + s R(th) M (p - ga)
 * (M: mirror of the column axis), to component b (every `step`-th pixel). */
static double worst_seen; /* largest single distance of the last mapped_mean */

static double mapped_mean(const scene *sc, int a, int b, const dmap *mb, double s, double th,
                          int mirror, int step)
{
    const comp *A = &sc->c[a], *B = &sc->c[b];
    double ct = cos(th), st = sin(th), sum = 0;
    int n = 0;
    worst_seen = 0;
    for (int m = 0; m < A->n; m += step, n++) {
        double x = A->px[m] % W - A->gx, y = A->px[m] / W - A->gy;
        if (mirror) x = -x;
        double d = dmap_at(mb, B->gx + s * (ct * x - st * y), B->gy + s * (st * x + ct * y));
        sum += d;
        if (d > worst_seen) worst_seen = d;
    }
    return sum / n;
}

/* How far two shapes are from being one: after matching centroids and sizes
 * (sqrt of filled area, then +-20 %), rotations when `rotate` (the three best
 * of every 3 degrees by mean chamfer distance, then +-3 degrees), the first
 * shape mirrored when `mirror`: the smallest, over those poses, of the
 * largest distance from a pixel of either shape to the other, in pixels of
 * the smaller shape. */
static double shape_distance(const scene *sc, int k, int l, int rotate, int mirror)
{
    /* a = the larger, mapped into the smaller's frame. */
    int a = sc->c[k].area >= sc->c[l].area ? k : l, b = a == k ? l : k;
    double base = sqrt(sc->c[b].area / sc->c[a].area);
    dmap ma, mb;
    dmap_make(sc, a, 12, &ma);
    dmap_make(sc, b, 12, &mb);
    double top[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL}, at[3] = {0, 0, 0};
    for (int deg = 0; deg < (rotate ? 360 : 1); deg += 3) {
        double d = mapped_mean(sc, a, b, &mb, base, deg * M_PI / 180, mirror, 3);
        for (int m = 0; m < 3; m++)
            if (d < top[m]) {
                for (int q = 2; q > m; q--) top[q] = top[q - 1], at[q] = at[q - 1];
                top[m] = d, at[m] = deg * M_PI / 180;
                break;
            }
    }
    double best = HUGE_VAL;
    for (int m = 0; m < (rotate ? 3 : 1); m++)
        for (int dt = rotate ? -6 : 0; dt <= (rotate ? 6 : 0); dt++)
            for (int ds = -10; ds <= 10; ds++) {
                double th = at[m] + dt * 0.5 * M_PI / 180, s = base * (1 + 0.02 * ds);
                mapped_mean(sc, a, b, &mb, s, th, mirror, 1);
                double there = worst_seen;
                /* The inverse pose maps b into a's frame; its distances scaled to b's pixels. */
                mapped_mean(sc, b, a, &ma, 1 / s, mirror ? th : -th, mirror, 1);
                best = fmin(best, fmax(there, worst_seen * s));
            }
    free(ma.d);
    free(mb.d);
    return best;
}

/* Largest chamfer distance between shape j and shape i reflected across
 * the perpendicular bisector of their centres (metadata), both ways, in pixels. */
static double reflection_distance(const scene *sc, int i, int j)
{
    double nx = sc->cx[j] - sc->cx[i], ny = sc->cy[j] - sc->cy[i], len = hypot(nx, ny);
    nx /= len, ny /= len;
    double mx = 0.5 * (sc->cx[i] + sc->cx[j]), my = 0.5 * (sc->cy[i] + sc->cy[j]), worst = 0;
    for (int dir = 0; dir < 2; dir++) {
        int a = sc->owner[dir ? j : i], b = sc->owner[dir ? i : j];
        dmap mb;
        dmap_make(sc, b, 12, &mb);
        for (int m = 0; m < sc->c[a].n; m++) {
            double x = sc->c[a].px[m] % W, y = sc->c[a].px[m] / W;
            double t = (x - mx) * nx + (y - my) * ny;
            worst = fmax(worst, dmap_at(&mb, x - 2 * t * nx, y - 2 * t * ny));
        }
        free(mb.d);
    }
    return worst;
}

/* ---- geometry of centres ---------------------------------------------------- */

/* Distance of point m from the line through p and q, and m's position along p->q. */
static void line_position(double px, double py, double qx, double qy, double mx, double my,
                          double *dist, double *along)
{
    double ux = qx - px, uy = qy - py, len = hypot(ux, uy);
    *along = ((mx - px) * ux + (my - py) * uy) / (len * len);
    *dist = fabs(ux * (my - py) - uy * (mx - px)) / len;
}

/* Square test from the six pairwise distances of four points: the four
 * shortest are the sides, the two longest the diagonals.  Returns the
 * largest error against a square with the mean side. */
static double square_error(const double *x, const double *y)
{
    double d[6];
    int n = 0;
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) d[n++] = hypot(x[i] - x[j], y[i] - y[j]);
    for (int a = 1; a < 6; a++)
        for (int b = a; b > 0 && d[b] < d[b - 1]; b--) {
            double t = d[b];
            d[b] = d[b - 1], d[b - 1] = t;
        }
    double side = (d[0] + d[1] + d[2] + d[3]) / 4, err = 0;
    for (int i = 0; i < 4; i++) err = fmax(err, fabs(d[i] - side));
    for (int i = 4; i < 6; i++) err = fmax(err, fabs(d[i] - side * M_SQRT2));
    return err;
}

/* ---- thresholds (pixels) ------------------------------------------------------ */

/* Same shape under a scale, rotation or mirror: the largest chamfer
 * distance stays under SAME (rasterisation only, about 1 pixel); shapes that
 * count as different lie beyond DIFFERENT somewhere along their contour.
 * Where the rule allows only translations, "same" is an exact pixel
 * translate and "different" must still be visible: beyond VISIBLE. */
#define SAME 1.6
#define DIFFERENT 2.0
#define VISIBLE 1.25

/* Diagnostics over all samples of a run: the closest calls. */
static double worst_same, worst_different;

/* The diagnostics sort distances by the metadata's curve ids (never used
 * for a decision). */
static void note_distance(const scene *sc, int i, int j, double d)
{
    if (sc->curve[i] == sc->curve[j]) worst_same = fmax(worst_same, d);
    else worst_different = fmin(worst_different, d);
}

/* Distance between shapes i and j (shape_distance), noted for the diagnostics. */
static double pair_distance(scene *sc, int i, int j, int rotate, int mirror)
{
    double d = shape_distance(sc, sc->owner[i], sc->owner[j], rotate, mirror);
    note_distance(sc, i, j, d);
    return d;
}

/* Index of the shape with the largest filled area among the first n. */
static int largest(const scene *sc, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (sc->c[sc->owner[i]].area > sc->c[sc->owner[b]].area) b = i;
    return b;
}

/* ---- the rules ------------------------------------------------------------------
 * rule(sc, r) sets r[1] (class-1 rule holds) and r[0] (class-0 rule holds); it
 * returns 0 when the scene does not even have the problem's structure. */

typedef int (*rule_fn)(scene *sc, int r[2]);

static int rule_1(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    r[1] = translates(sc, sc->owner[0], sc->owner[1]);
    r[0] = !r[1] && pair_distance(sc, 0, 1, 0, 0) >= VISIBLE;
    return 1;
}

/* Big = the shape with the larger filled area. */
static int rule_2(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 1)) return 0;
    int b = largest(sc, 2), s = 1 - b;
    if (!inside(sc, sc->owner[s], sc->owner[b])) return bad(sc, "the small shape is not inside");
    double g = gap(sc, sc->owner[s], sc->owner[b]);
    r[1] = g <= 3.0;
    r[0] = g >= 16.0;
    return 1;
}

/* Shapes per component, sorted. */
static void component_sizes(const scene *sc, int *sizes, int *n)
{
    int per[MAXC] = {0};
    for (int i = 0; i < sc->count; i++) per[sc->owner[i]]++;
    *n = 0;
    for (int k = 0; k < sc->ncomp; k++) sizes[(*n)++] = per[k];
    for (int a = 1; a < *n; a++)
        for (int b = a; b > 0 && sizes[b] < sizes[b - 1]; b--) {
            int t = sizes[b];
            sizes[b] = sizes[b - 1], sizes[b - 1] = t;
        }
}

static int rule_3(scene *sc, int r[2])
{
    for (int k = 0; k < sc->ncomp; k++)
        for (int l = 0; l < sc->ncomp; l++)
            if (k != l && sc->c[l].filled[sc->c[k].px[0]]) return bad(sc, "nested components");
    int sizes[MAXC], n;
    component_sizes(sc, sizes, &n);
    r[1] = n == 2 && sizes[0] == 2 && sizes[1] == 2;
    r[0] = n == 2 && sizes[0] == 1 && sizes[1] == 3;
    return 1;
}

static int rule_4(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 1)) return 0;
    int b = largest(sc, 2), s = 1 - b;
    r[1] = inside(sc, sc->owner[s], sc->owner[b]);
    r[0] = !inside(sc, sc->owner[s], sc->owner[b]) && !inside(sc, sc->owner[b], sc->owner[s]);
    return 1;
}

static int rule_5(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    r[1] = groups_are(sc, 2, 2, 2);
    r[0] = groups_are(sc, 4, 1, 1, 1, 1);
    for (int i = 0; i < 4 && r[0]; i++)
        for (int j = i + 1; j < 4; j++) r[0] &= pair_distance(sc, i, j, 0, 0) >= VISIBLE;
    return 1;
}

/* Pairs of exact translates among four shapes: pa, pb. */
static int two_pairs(const scene *sc, int pa[2], int pb[2])
{
    int n = 0;
    for (int j = 1; j < 4; j++)
        if (translates(sc, sc->owner[0], sc->owner[j])) pa[0] = 0, pa[1] = j, n++;
    if (n != 1) return 0;
    int rest[2], m = 0;
    for (int j = 1; j < 4; j++)
        if (j != pa[1]) rest[m++] = j;
    pb[0] = rest[0], pb[1] = rest[1];
    return translates(sc, sc->owner[rest[0]], sc->owner[rest[1]]) &&
           !translates(sc, sc->owner[0], sc->owner[rest[0]]);
}

/* Distances between the centroids of exact translates equal those of the centres. */
static double centroid_dist(const scene *sc, int i, int j)
{
    const comp *a = &sc->c[sc->owner[i]], *b = &sc->c[sc->owner[j]];
    return hypot(a->gx - b->gx, a->gy - b->gy);
}

static int rule_6(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    int pa[2], pb[2];
    if (!two_pairs(sc, pa, pb)) return bad(sc, "not two pairs of identical shapes");
    double d = fabs(centroid_dist(sc, pa[0], pa[1]) - centroid_dist(sc, pb[0], pb[1]));
    r[1] = d <= 1.5;
    r[0] = d >= 20.0;
    return 1;
}

static int rule_7(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    r[1] = groups_are(sc, 2, 3, 3);
    r[0] = groups_are(sc, 3, 2, 2, 2);
    return 1;
}

static int rule_8(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 1)) return 0;
    int b = largest(sc, 2), s = 1 - b;
    int in = inside(sc, sc->owner[s], sc->owner[b]);
    double d = pair_distance(sc, s, b, 0, 0);
    int same = d <= SAME, differ = d >= DIFFERENT;
    r[1] = in && same;
    r[0] = (!in && same) || (in && differ);
    return 1;
}

static int rule_9(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    int b = largest(sc, 3), s1 = (b + 1) % 3, s2 = (b + 2) % 3;
    if (!translates(sc, sc->owner[s1], sc->owner[s2]) || pair_distance(sc, b, s1, 0, 0) > SAME)
        return bad(sc, "not one shape at two sizes");
    /* Order along the row: the middle one projects between the other two. */
    double dist, along;
    int middle = -1;
    for (int m = 0; m < 3; m++) {
        int p = (m + 1) % 3, q = (m + 2) % 3;
        line_position(sc->cx[p], sc->cy[p], sc->cx[q], sc->cy[q], sc->cx[m], sc->cy[m], &dist, &along);
        if (along > 0 && along < 1) {
            if (dist > 1.5) return bad(sc, "not collinear (%.2f px off)", dist);
            middle = m;
        }
    }
    if (middle < 0) return bad(sc, "no shape between the other two");
    r[1] = middle != b;
    r[0] = middle == b;
    return 1;
}

static int rule_10(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    if (!groups_are(sc, 1, 4)) return bad(sc, "the four shapes are not identical");
    double x[4], y[4];
    for (int i = 0; i < 4; i++) x[i] = sc->c[sc->owner[i]].gx, y[i] = sc->c[sc->owner[i]].gy;
    double e = square_error(x, y);
    r[1] = e <= 2.0;
    r[0] = e >= 3.0;
    return 1;
}

static int rule_11(scene *sc, int r[2])
{
    int b = largest(sc, 2), s = 1 - b;
    if (sc->owner[s] == sc->owner[b]) {
        r[1] = 1, r[0] = 0; /* one component: they touch */
        return 1;
    }
    if (inside(sc, sc->owner[s], sc->owner[b]) || inside(sc, sc->owner[b], sc->owner[s]))
        return bad(sc, "nested");
    r[1] = 0;
    r[0] = gap(sc, sc->owner[s], sc->owner[b]) >= 10.0;
    return 1;
}

static int rule_12(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    /* The big shape by its drawn radius (areas of radius-5 and radius-10
     * curves overlap); each shape's pixels were checked against it. */
    int b = 0;
    for (int i = 1; i < 3; i++)
        if (sc->radius[i] * sc->scale[i] > sc->radius[b] * sc->scale[b]) b = i;
    double d[3];
    int close = 0; /* pair (m+1, m+2) has distance d[m] */
    for (int m = 0; m < 3; m++) {
        int p = (m + 1) % 3, q = (m + 2) % 3;
        d[m] = hypot(sc->cx[p] - sc->cx[q], sc->cy[p] - sc->cy[q]);
        if (d[m] < d[close]) close = m;
    }
    double second = fmin(d[(close + 1) % 3], d[(close + 2) % 3]);
    int clear = d[close] <= 0.8 * second;
    /* The close pair leaves out shape `close`. */
    r[1] = clear && close == b;
    r[0] = clear && close != b;
    return 1;
}

static int rule_13(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    int big[2], small[2], nb = 0, ns = 0;
    for (int i = 0; i < 4; i++) {
        if (sc->c[sc->owner[i]].area >= sc->c[sc->owner[largest(sc, 4)]].area * 0.99) {
            if (nb == 2) return bad(sc, "three big shapes");
            big[nb++] = i;
        } else {
            if (ns == 2) return bad(sc, "three small shapes");
            small[ns++] = i;
        }
    }
    if (nb != 2 || !translates(sc, sc->owner[big[0]], sc->owner[big[1]]) ||
        !translates(sc, sc->owner[small[0]], sc->owner[small[1]]))
        return bad(sc, "not two copies of a big and a small shape");
    /* Offsets small - big under both pairings (centroids of translates). */
    double mind = HUGE_VAL;
    for (int pairing = 0; pairing < 2; pairing++) {
        const comp *A1 = &sc->c[sc->owner[big[0]]], *A2 = &sc->c[sc->owner[big[1]]];
        const comp *a1 = &sc->c[sc->owner[small[pairing]]], *a2 = &sc->c[sc->owner[small[1 - pairing]]];
        double d = hypot((a1->gx - A1->gx) - (a2->gx - A2->gx), (a1->gy - A1->gy) - (a2->gy - A2->gy));
        mind = fmin(mind, d);
    }
    r[1] = mind <= 0.5;
    r[0] = mind >= 30.0;
    return 1;
}

static int rule_14(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    if (!groups_are(sc, 1, 3)) return bad(sc, "the three shapes are not identical");
    double best = HUGE_VAL;
    for (int m = 0; m < 3; m++) {
        const comp *p = &sc->c[sc->owner[(m + 1) % 3]], *q = &sc->c[sc->owner[(m + 2) % 3]],
                   *c = &sc->c[sc->owner[m]];
        double dist, along;
        line_position(p->gx, p->gy, q->gx, q->gy, c->gx, c->gy, &dist, &along);
        if (along >= 0 && along <= 1) best = fmin(best, dist);
    }
    r[1] = best <= 1.5;
    r[0] = best >= 5.5;
    return 1;
}

static int rule_15(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    double x[4], y[4];
    for (int i = 0; i < 4; i++) x[i] = sc->cx[i], y[i] = sc->cy[i];
    if (square_error(x, y) > 2.0) return bad(sc, "centres not on a square");
    r[1] = groups_are(sc, 1, 4);
    r[0] = groups_are(sc, 4, 1, 1, 1, 1);
    for (int i = 0; i < 4 && r[0]; i++)
        for (int j = i + 1; j < 4; j++) r[0] &= pair_distance(sc, i, j, 0, 0) >= VISIBLE;
    return 1;
}

static int rule_16(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    int symmetric = 1;
    for (int y = 0; y < W && symmetric; y++)
        for (int x = 0; x < W / 2; x++) symmetric &= sc->img[y * W + x] == sc->img[y * W + W - 1 - x];
    /* Class 0: each shape has a translate at its mirrored position. */
    int copies = groups_are(sc, 3, 2, 2, 2);
    for (int i = 0; i < 6 && copies; i++) {
        int found = 0;
        for (int j = 0; j < 6; j++)
            found |= j != i && translates(sc, sc->owner[i], sc->owner[j]) &&
                     fabs(sc->cx[j] - (W - 1 - sc->cx[i])) < 0.5 && fabs(sc->cy[j] - sc->cy[i]) < 0.5;
        copies &= found;
    }
    r[1] = symmetric;
    r[0] = !symmetric && copies;
    return 1;
}

static int rule_17(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    if (!groups_are(sc, 2, 1, 3)) return bad(sc, "not three identical shapes and an odd one");
    int odd = -1, t[3], n = 0;
    for (int i = 0; i < 4; i++) {
        int copies = 0;
        for (int j = 0; j < 4; j++) copies += j != i && translates(sc, sc->owner[i], sc->owner[j]);
        if (copies == 0) odd = i;
        else t[n++] = i;
    }
    double ax = sc->cx[t[0]], ay = sc->cy[t[0]], bx = sc->cx[t[1]] - ax, by = sc->cy[t[1]] - ay,
           cx = sc->cx[t[2]] - ax, cy = sc->cy[t[2]] - ay, d = 2 * (bx * cy - by * cx);
    double ox = ax + (cy * (bx * bx + by * by) - by * (cx * cx + cy * cy)) / d;
    double oy = ay + (bx * (cx * cx + cy * cy) - cx * (bx * bx + by * by)) / d;
    double off = hypot(sc->cx[odd] - ox, sc->cy[odd] - oy);
    r[1] = off <= 2.0;
    r[0] = off >= 19.0;
    return 1;
}

static int rule_18(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    if (!groups_are(sc, 1, 6)) return bad(sc, "the six shapes are not identical");
    double worst = 0;
    for (int i = 0; i < 6; i++) {
        double best = HUGE_VAL;
        for (int j = 0; j < 6; j++) best = fmin(best, hypot(W - 1 - sc->cx[i] - sc->cx[j], sc->cy[i] - sc->cy[j]));
        worst = fmax(worst, best);
    }
    r[1] = worst <= 1.0;
    r[0] = worst >= 8.0;
    return 1;
}

static int rule_19(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    double d = pair_distance(sc, 0, 1, 0, 0);
    r[1] = d <= SAME;
    r[0] = d >= DIFFERENT;
    return 1;
}

static int rule_20(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    double d = reflection_distance(sc, 0, 1);
    note_distance(sc, 0, 1, d);
    r[1] = d <= SAME;
    r[0] = d >= DIFFERENT;
    return 1;
}

static int rule_21(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    double d = pair_distance(sc, 0, 1, 1, 0);
    r[1] = d <= SAME;
    r[0] = d >= DIFFERENT;
    return 1;
}

static int rule_22(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 0)) return 0;
    double dist, along;
    int between = 0;
    for (int m = 0; m < 3; m++) {
        int p = (m + 1) % 3, q = (m + 2) % 3;
        line_position(sc->cx[p], sc->cy[p], sc->cx[q], sc->cy[q], sc->cx[m], sc->cy[m], &dist, &along);
        between += along > 0 && along < 1 && dist <= 1.5;
    }
    if (between != 1) return bad(sc, "centres not in a row");
    r[1] = groups_are(sc, 1, 3);
    r[0] = groups_are(sc, 3, 1, 1, 1);
    for (int i = 0; i < 3 && r[0]; i++)
        for (int j = i + 1; j < 3; j++) r[0] &= pair_distance(sc, i, j, 0, 0) >= VISIBLE;
    return 1;
}

static int rule_23(scene *sc, int r[2])
{
    if (!apart_and_unnested(sc, 1)) return 0;
    int b = largest(sc, 3), in = 0;
    for (int i = 0; i < 3; i++)
        if (i != b) in += inside(sc, sc->owner[i], sc->owner[b]);
    for (int i = 0; i < 3; i++)
        if (i != b && inside(sc, sc->owner[b], sc->owner[i])) return bad(sc, "big shape inside a small one");
    r[1] = in == 1;
    r[0] = in == 0 || in == 2;
    return 1;
}

static const rule_fn rules[24] = {
    NULL,    rule_1,  rule_2,  rule_3,  rule_4,  rule_5,  rule_6,  rule_7,
    rule_8,  rule_9,  rule_10, rule_11, rule_12, rule_13, rule_14, rule_15,
    rule_16, rule_17, rule_18, rule_19, rule_20, rule_21, rule_22, rule_23,
};

/* Checks one sample under `label` (its own, or a swapped one in the
 * self-test): 1 if it satisfies that class's rule and not the other's. */
static int check_sample(const sample *s, int swap, char *why, size_t n)
{
    static scene sc;
    int ok = scene_read(&sc, s);
    int r[2] = {0, 0};
    if (ok) ok = rules[sc.problem](&sc, r);
    int label = swap ? 1 - sc.label : sc.label;
    if (ok && !r[label]) ok = bad(&sc, "class %d rule does not hold", label);
    if (ok && r[1 - label]) ok = bad(&sc, "the class %d rule holds too", 1 - label);
    snprintf(why, n, "%s", sc.why);
    scene_free(&sc);
    return ok;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_rules_hold(void **state)
{
    (void)state;
    double total = 0;
    int failed_problems = 0;
    for (int problem = 1; problem <= SVRT_PROBLEMS; problem++) {
        sample s;
        sample_init(&s, problem);
        worst_same = 0, worst_different = HUGE_VAL;
        int pass = 0, positives = 0;
        char why[256], first_bad[300] = "";
        clock_t t0 = clock();
        for (int i = 0; i < SAMPLES; i++) {
            sample_make(&s, 1000u + (uint32_t)problem, i);
            positives += *(int32_t *)s.slot[field_index(&s, "y")];
            if (check_sample(&s, 0, why, sizeof why)) pass++;
            else if (!first_bad[0]) snprintf(first_bad, sizeof first_bad, "sample %d: %s", i, why);
        }
        double sec = (double)(clock() - t0) / CLOCKS_PER_SEC;
        total += sec;
        print_message("# problem %2d: %d/%d samples pass, %d positives, %.2f s", problem, pass,
                      SAMPLES, positives, sec);
        if (worst_same > 0) print_message(", closest same %.2f", worst_same);
        if (worst_different < HUGE_VAL) print_message(", closest different %.2f", worst_different);
        print_message("%s%s\n", first_bad[0] ? "; first failure: " : "", first_bad);
        failed_problems += positives != SAMPLES / 2 || pass != SAMPLES;
        sample_free(&s);
    }
    print_message("# all problems: %.1f s\n", total);
    assert_int_equal(failed_problems, 0);
}

/* The checker can fail: under the swapped label every sample is rejected. */
static void test_checker_rejects_swapped_labels(void **state)
{
    (void)state;
    for (int problem = 1; problem <= SVRT_PROBLEMS; problem++) {
        sample s;
        sample_init(&s, problem);
        char why[256];
        for (int i = 0; i < 6; i++) {
            sample_make(&s, 77, i);
            assert_false(check_sample(&s, 1, why, sizeof why));
        }
        sample_free(&s);
    }
}

static void test_generation_is_pure(void **state)
{
    (void)state;
    sample a, b;
    sample_init(&a, 13);
    sample_init(&b, 13);
    sample_make(&a, 5, 41);
    for (int i = 0; i < 5; i++) sample_make(&b, 5, i); /* unrelated work in between */
    sample_make(&b, 5, 41);
    for (int f = 0; f < a.nf; f++)
        assert_memory_equal(a.slot[f], b.slot[f], ph_field_sample_bytes(&a.fields[f]));
    sample_make(&b, 6, 41); /* another seed, another image */
    assert_memory_not_equal(a.slot[0], b.slot[0], ph_field_sample_bytes(&a.fields[0]));
    sample_free(&a);
    sample_free(&b);
    /* The same seed and index give unrelated images in different problems. */
    sample_init(&a, 4);
    sample_init(&b, 23);
    sample_make(&a, 5, 0);
    sample_make(&b, 5, 0);
    assert_memory_not_equal(a.slot[field_index(&a, "meta/centre")], b.slot[field_index(&b, "meta/centre")],
                            2 * sizeof(float));
    sample_free(&a);
    sample_free(&b);
}

static void test_labels_pairwise_balanced(void **state)
{
    (void)state;
    for (int problem = 1; problem <= SVRT_PROBLEMS; problem += 11)
        for (int64_t k = 0; k < 2000; k++)
            assert_int_equal(svrt_label(3, problem, 2 * k) + svrt_label(3, problem, 2 * k + 1), 1);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_hold),
        cmocka_unit_test(test_checker_rejects_swapped_labels),
        cmocka_unit_test(test_generation_is_pure),
        cmocka_unit_test(test_labels_pairwise_balanced),
    };
    return cmocka_run_group_tests_name("svrt", tests, NULL, NULL);
}
