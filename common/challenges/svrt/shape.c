/* shape.c: SVRT curves and raster helpers (the original's Shape::randomize,
 * drawing, flood fill and distance maps, rewritten from the description).
 *
 * Every random draw comes from the caller's Philox generator, in a fixed
 * order, so a curve is a pure function of (seed, index, attempt). */
#include "svrt.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random closed curves ------------------------------------------------ */

#define SVRT_GAP_MAX 0.25    /* a segment is split while it spans more than this in x or y */
#define SVRT_MID_TRIES 64    /* redraws of a midpoint that falls outside the radius */
#define SVRT_ANCHOR_TRIES 1000
#define SVRT_CURVE_TRIES 200 /* whole-curve redraws (a point left the annulus) */

/* Joins a to b by recursive midpoint displacement, emitting every leaf's
 * start point; -1 as soon as an emitted point leaves the annulus (the curve
 * is redrawn), a midpoint redraw or the point budget runs out. */
static int curve_arc(svrt_curve *c, ph_rng *r, svrt_point a, svrt_point b)
{
    if (fabs(b.x - a.x) <= SVRT_GAP_MAX && fabs(b.y - a.y) <= SVRT_GAP_MAX) {
        double d2 = a.x * a.x + a.y * a.y;
        if (c->n == SVRT_CURVE_MAX_POINTS || d2 < c->hole * c->hole || d2 >= c->radius * c->radius)
            return -1;
        c->p[c->n++] = a;
        return 0;
    }
    /* Offset uniform in a disk of radius |ab|/5 around the midpoint (by
     * rejection from the square), redrawn while it falls outside the radius. */
    double reach = hypot(b.x - a.x, b.y - a.y) / 5.0, r2 = c->radius * c->radius;
    svrt_point m;
    int t = 0;
    for (; t < SVRT_MID_TRIES; t++) {
        double u = 0, v = 0; /* accepted with probability pi/4; 64 misses leave the midpoint */
        for (int k = 0; k < 64; k++) {
            u = 2.0 * ph_rng_uniform(r) - 1.0, v = 2.0 * ph_rng_uniform(r) - 1.0;
            if (u * u + v * v <= 1.0) break;
            u = v = 0;
        }
        m.x = 0.5 * (a.x + b.x) + reach * u;
        m.y = 0.5 * (a.y + b.y) + reach * v;
        if (m.x * m.x + m.y * m.y < r2) break;
    }
    if (t == SVRT_MID_TRIES) return -1;
    return curve_arc(c, r, a, m) || curve_arc(c, r, m, b) ? -1 : 0;
}

int svrt_curve_random(svrt_curve *c, ph_rng *r, double radius, double hole)
{
    /* Quadrants in order (+,+), (-,+), (-,-), (+,-): the anchors go round once. */
    static const int sx[4] = {1, -1, -1, 1}, sy[4] = {1, 1, -1, -1};
    c->radius = radius;
    c->hole = hole;
    for (int attempt = 0; attempt < SVRT_CURVE_TRIES; attempt++) {
        svrt_point anchor[4];
        int ok = 1;
        for (int q = 0; q < 4 && ok; q++) {
            int t = 0;
            for (; t < SVRT_ANCHOR_TRIES; t++) {
                double x = ph_rng_uniform(r) * radius, y = ph_rng_uniform(r) * radius;
                double d = hypot(x, y);
                if (d >= hole && d <= radius) {
                    anchor[q] = (svrt_point){sx[q] * x, sy[q] * y};
                    break;
                }
            }
            ok = t < SVRT_ANCHOR_TRIES;
        }
        c->n = 0;
        for (int q = 0; q < 4 && ok; q++) ok = curve_arc(c, r, anchor[q], anchor[(q + 1) % 4]) == 0;
        /* The centre must lie inside: an arc can swing across it, and then
         * "the shape at (x, y)" would not contain (x, y).  Even-odd rule
         * along the ray to +x. */
        int crossings = 0;
        for (int i = 0; i < c->n && ok; i++) {
            svrt_point a = c->p[i], b = c->p[(i + 1) % c->n];
            if ((a.y > 0) != (b.y > 0) && a.x - a.y * (b.x - a.x) / (b.y - a.y) > 0) crossings++;
        }
        if (!ok || crossings % 2 == 0) continue;
        double an = 2.0 * M_PI * ph_rng_uniform(r), ca = cos(an), sa = sin(an);
        for (int i = 0; i < c->n; i++) {
            svrt_point p = c->p[i];
            c->p[i] = (svrt_point){ca * p.x - sa * p.y, sa * p.x + ca * p.y};
        }
        return 0;
    }
    return -1;
}

/* ---- rasterising a curve under a transform -------------------------------- */

static void pixels_push(svrt_pixels *p, int dx, int dy)
{
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 1024;
        int16_t *xy = realloc(p->xy, (size_t)cap * 2 * sizeof *xy);
        PH_CHECK_ALLOC(xy, "growing an SVRT pixel list");
        p->xy = xy, p->cap = cap;
    }
    p->xy[2 * p->n] = (int16_t)dx;
    p->xy[2 * p->n + 1] = (int16_t)dy;
    p->n++;
}

void svrt_sprite_free(svrt_sprite *s)
{
    free(s->contour.xy);
    free(s->solid.xy);
    memset(s, 0, sizeof *s);
}

typedef struct {
    uint8_t *cell; /* side x side, origin at (off, off) */
    int side, off;
} grid;

static int pix(double v) { return (int)floor(v + 0.5); }

/* Marks the pixels of segment a-b, halving it until neighbouring pixels are
 * 8-adjacent (a's pixel is already marked). */
static void grid_segment(grid *g, svrt_point a, svrt_point b, int depth)
{
    int ax = pix(a.x), ay = pix(a.y), bx = pix(b.x), by = pix(b.y);
    if ((abs(bx - ax) <= 1 && abs(by - ay) <= 1) || depth > 20) {
        g->cell[(by + g->off) * g->side + bx + g->off] = 1;
        return;
    }
    svrt_point m = {0.5 * (a.x + b.x), 0.5 * (a.y + b.y)};
    grid_segment(g, a, m, depth + 1);
    grid_segment(g, m, b, depth + 1);
}

int svrt_sprite_draw(svrt_sprite *s, const svrt_curve *c, double scale, double rotation, int mirror)
{
    s->scale = scale, s->rotation = rotation, s->mirror = mirror;
    s->contour.n = s->solid.n = 0;
    /* Points stay within radius*scale of the centre: a margin of 2 keeps the
     * grid's border outside the contour, so the flood fill starts outside. */
    int reach = (int)ceil(c->radius * scale) + 2;
    if (2 * reach - 3 > SVRT_W - 2) return -1;
    grid g = {NULL, 2 * reach + 1, reach};
    g.cell = calloc((size_t)g.side * g.side, 1);
    int *stack = malloc((size_t)g.side * g.side * sizeof *stack);
    PH_CHECK_ALLOC(g.cell && stack, "allocating an SVRT raster");

    double ca = cos(rotation), sa = sin(rotation);
    svrt_point first = {0, 0}, prev = {0, 0};
    for (int i = 0; i <= c->n; i++) {
        svrt_point p = c->p[i % c->n];
        if (mirror) p.x = -p.x;
        svrt_point q = {scale * (ca * p.x - sa * p.y), scale * (sa * p.x + ca * p.y)};
        if (i == 0) {
            first = q;
            g.cell[(pix(q.y) + g.off) * g.side + pix(q.x) + g.off] = 1;
        } else {
            grid_segment(&g, prev, i == c->n ? first : q, 0);
        }
        prev = q;
    }

    /* Outside = 4-connected from the grid corner through unmarked cells; the
     * 8-connected contour stops it.  Everything else is solid. */
    enum { CONTOUR = 1, OUTSIDE = 2 };
    int top = 0;
    stack[top++] = 0;
    g.cell[0] = OUTSIDE;
    while (top) {
        int i = stack[--top], x = i % g.side, y = i / g.side;
        const int nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
        for (int k = 0; k < 4; k++) {
            int nx = nb[k][0], ny = nb[k][1];
            if (nx < 0 || ny < 0 || nx >= g.side || ny >= g.side) continue;
            int j = ny * g.side + nx;
            if (g.cell[j]) continue;
            g.cell[j] = OUTSIDE;
            stack[top++] = j;
        }
    }
    s->x0 = s->y0 = SVRT_W, s->x1 = s->y1 = -SVRT_W;
    for (int y = 0; y < g.side; y++)
        for (int x = 0; x < g.side; x++) {
            uint8_t v = g.cell[y * g.side + x];
            if (v == OUTSIDE) continue;
            int dx = x - g.off, dy = y - g.off;
            pixels_push(&s->solid, dx, dy);
            if (v == CONTOUR) pixels_push(&s->contour, dx, dy);
            if (dx < s->x0) s->x0 = dx;
            if (dx > s->x1) s->x1 = dx;
            if (dy < s->y0) s->y0 = dy;
            if (dy > s->y1) s->y1 = dy;
        }
    free(g.cell);
    free(stack);
    return s->x1 - s->x0 <= SVRT_W - 3 && s->y1 - s->y0 <= SVRT_W - 3 ? 0 : -1;
}

/* ---- distance maps --------------------------------------------------------- */

/* Squared distance transform of one line (Felzenszwalb and Huttenlocher's
 * lower envelope of parabolas); f and d have n entries. */
static void edt_line(const double *f, int n, double *d, int *v, double *z)
{
    int k = 0;
    v[0] = 0;
    z[0] = -HUGE_VAL, z[1] = HUGE_VAL;
    for (int q = 1; q < n; q++) {
        /* z[0] = -inf ends the loop at k = 0: every intersection is finite. */
        double s;
        for (;;) {
            int p = v[k];
            s = ((f[q] + (double)q * q) - (f[p] + (double)p * p)) / (2.0 * q - 2.0 * p);
            if (s > z[k]) break;
            k--;
        }
        k++;
        v[k] = q;
        z[k] = s, z[k + 1] = HUGE_VAL;
    }
    k = 0;
    for (int q = 0; q < n; q++) {
        while (z[k + 1] < q) k++;
        d[q] = (double)(q - v[k]) * (q - v[k]) + f[v[k]];
    }
}

void svrt_distance_map(const uint8_t *mask, int w, int h, float *out)
{
    const double far = 1e12;
    int n = w > h ? w : h;
    double *f = malloc((size_t)(4 * n + 1 + w * h) * sizeof *f);
    int *v = malloc((size_t)n * sizeof *v);
    PH_CHECK_ALLOC(f && v, "allocating an SVRT distance map");
    double *d = f + n, *z = d + n, *tmp = z + n + 1;
    for (int x = 0; x < w; x++) {
        for (int y = 0; y < h; y++) f[y] = mask[y * w + x] ? 0.0 : far;
        edt_line(f, h, d, v, z);
        for (int y = 0; y < h; y++) tmp[y * w + x] = d[y];
    }
    for (int y = 0; y < h; y++) {
        edt_line(tmp + y * w, w, d, v, z);
        for (int x = 0; x < w; x++) out[y * w + x] = (float)(d[x] < far ? d[x] : far);
    }
    free(f);
    free(v);
}

/* ---- how different two sprites look ----------------------------------------- */

/* A sprite's contour with its distance map over the sprite's box grown by
 * POSE_MARGIN, and its solid's centroid and area. */
enum { POSE_MARGIN = 6 };

typedef struct {
    double gx, gy, area;
    int x0, y0, w, h; /* window in sprite coordinates */
    float *dist2;
} pose_map;

static void pose_map_make(const svrt_sprite *s, pose_map *m)
{
    m->gx = m->gy = 0;
    m->area = s->solid.n;
    for (int k = 0; k < s->solid.n; k++) m->gx += s->solid.xy[2 * k], m->gy += s->solid.xy[2 * k + 1];
    m->gx /= m->area, m->gy /= m->area;
    m->x0 = s->x0 - POSE_MARGIN, m->y0 = s->y0 - POSE_MARGIN;
    m->w = s->x1 - s->x0 + 1 + 2 * POSE_MARGIN, m->h = s->y1 - s->y0 + 1 + 2 * POSE_MARGIN;
    uint8_t *mask = calloc((size_t)m->w * m->h, 1);
    m->dist2 = malloc((size_t)m->w * m->h * sizeof *m->dist2);
    PH_CHECK_ALLOC(mask && m->dist2, "allocating an SVRT shape map");
    for (int k = 0; k < s->contour.n; k++)
        mask[(s->contour.xy[2 * k + 1] - m->y0) * m->w + s->contour.xy[2 * k] - m->x0] = 1;
    svrt_distance_map(mask, m->w, m->h, m->dist2);
    free(mask);
}

/* Distance from a point, given relative to the map's centroid, to the
 * contour; beyond the window, plus the distance to the window. */
static double pose_map_at(const pose_map *m, double x, double y)
{
    int u = pix(x + m->gx) - m->x0, v = pix(y + m->gy) - m->y0;
    if (u >= 0 && v >= 0 && u < m->w && v < m->h) return sqrt(m->dist2[v * m->w + u]);
    int cu = u < 0 ? 0 : u >= m->w ? m->w - 1 : u, cv = v < 0 ? 0 : v >= m->h ? m->h - 1 : v;
    return hypot(u - cu, v - cv) + sqrt(m->dist2[cv * m->w + cu]);
}

/* Mean (and largest, in *worst) distance from a's contour, mapped into b's
 * frame by scale s and rotation th about the centroids, to b's contour. */
static double pose_fit(const svrt_sprite *a, const pose_map *ma, const pose_map *mb, double s,
                       double th, int step, double *worst)
{
    double ct = cos(th), st = sin(th), sum = 0, w = 0;
    int n = 0;
    for (int k = 0; k < a->contour.n; k += step, n++) {
        double x = a->contour.xy[2 * k] - ma->gx, y = a->contour.xy[2 * k + 1] - ma->gy;
        double d = pose_map_at(mb, s * (ct * x - st * y), s * (st * x + ct * y));
        sum += d;
        if (d > w) w = d;
    }
    if (worst) *worst = w;
    return sum / n;
}

double svrt_sprite_mismatch(const svrt_sprite *a, const svrt_sprite *b, int rotate)
{
    pose_map maps[2], *ma = &maps[0], *mb = &maps[1];
    pose_map_make(a, ma);
    pose_map_make(b, mb);
    /* Map the larger into the smaller's frame: distances in its pixels. */
    if (ma->area < mb->area) {
        const svrt_sprite *t = a;
        a = b, b = t;
        pose_map *tm = ma;
        ma = mb, mb = tm;
    }
    /* Rotations: every 2 degrees, then +-3 degrees around the three best
     * (a lone best can sit in the wrong basin); sizes within +-20 % (thin
     * parts make the area a rough guide), first in 4 % and 1 degree steps,
     * then the neighbours of the best.  Each pose is judged by its largest
     * distance, both ways. */
    double s0 = sqrt(mb->area / ma->area), coarse[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL}, at[3] = {0, 0, 0};
    if (rotate)
        for (int deg = 0; deg < 360; deg += 2) {
            double d = pose_fit(a, ma, mb, s0, deg * M_PI / 180, 2, NULL);
            for (int k = 0; k < 3; k++)
                if (d < coarse[k]) {
                    for (int q = 2; q > k; q--) coarse[q] = coarse[q - 1], at[q] = at[q - 1];
                    coarse[k] = d, at[k] = deg * M_PI / 180;
                    break;
                }
        }
    double best = HUGE_VAL;
    for (int k = 0; k < (rotate ? 3 : 1); k++) {
        double kb = HUGE_VAL;
        int bt = 0, bs = 0;
        for (int pass = 0; pass < 2; pass++) {
            /* pass 0: the coarse grid; pass 1: the 8 neighbours of its best. */
            int step = pass ? 1 : 2, reach = rotate ? (pass ? 1 : 6) : 0;
            int t0 = (pass ? bt : 0) - reach, t1 = (pass ? bt : 0) + reach;
            int s0i = pass ? bs - 1 : -10, s1i = pass ? bs + 1 : 10;
            for (int dt = t0; dt <= t1; dt += step)
                for (int ds = s0i; ds <= s1i; ds += step) {
                    double th = at[k] + dt * 0.5 * M_PI / 180, s = s0 * (1 + 0.02 * ds), w1, w2;
                    pose_fit(a, ma, mb, s, th, 1, &w1);
                    pose_fit(b, mb, ma, 1 / s, -th, 1, &w2);
                    double w = fmax(w1, w2 * s);
                    if (w < kb) kb = w, bt = dt, bs = ds;
                }
        }
        best = fmin(best, kb);
    }
    free(maps[0].dist2);
    free(maps[1].dist2);
    return best;
}
