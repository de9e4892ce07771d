/* scene.c: shapes placed on the SVRT canvas by rejection.
 *
 * A placed shape keeps canvas masks of its solid (contour and interior), its
 * interior, and one-pixel halos, so each relation a problem needs (apart,
 * inside, overlap, distance) is a pass over the candidate's pixel list. */
#include "svrt.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { WW = SVRT_W * SVRT_W, MASKS_PER_SHAPE = 4 };

void svrt_ctx_init(svrt_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->masks = malloc((size_t)SVRT_MAX_SHAPES * MASKS_PER_SHAPE * WW);
    c->dists = malloc((size_t)SVRT_MAX_SHAPES * WW * sizeof *c->dists);
    PH_CHECK_ALLOC(c->masks && c->dists, "allocating an SVRT scene");
    for (int i = 0; i < SVRT_MAX_CURVES; i++) {
        c->curves[i].p = malloc((size_t)SVRT_CURVE_MAX_POINTS * sizeof *c->curves[i].p);
        PH_CHECK_ALLOC(c->curves[i].p, "allocating SVRT curves");
    }
    for (int i = 0; i < SVRT_MAX_SHAPES; i++) {
        uint8_t *m = c->masks + (size_t)i * MASKS_PER_SHAPE * WW;
        svrt_shape *s = &c->shapes[i];
        s->solid = m, s->interior = m + WW, s->halo = m + 2 * WW, s->ring = m + 3 * WW;
        s->dist2 = c->dists + (size_t)i * WW;
    }
}

void svrt_ctx_free(svrt_ctx *c)
{
    for (int i = 0; i < SVRT_MAX_CURVES; i++) free(c->curves[i].p);
    for (int i = 0; i < SVRT_MAX_SPRITES; i++) svrt_sprite_free(&c->sprites[i]);
    free(c->masks);
    free(c->dists);
}

void svrt_ctx_reset(svrt_ctx *c, uint32_t seed, int64_t index, uint32_t sub)
{
    ph_rng_init(&c->rng, seed, PH_STREAM_CONTENT, (uint64_t)index, sub);
    c->ncurves = c->nsprites = c->nshapes = 0;
}

double svrt_uniform(svrt_ctx *c, double lo, double hi)
{
    return lo + (hi - lo) * ph_rng_uniform(&c->rng);
}

int svrt_below(svrt_ctx *c, int n) { return (int)ph_rng_below(&c->rng, (uint32_t)n); }

int svrt_curve_new(svrt_ctx *c, double radius, double hole)
{
    if (c->ncurves == SVRT_MAX_CURVES)
        PH_FAIL("drawing an SVRT curve", "more curves than SVRT_MAX_CURVES", "this is a bug");
    if (svrt_curve_random(&c->curves[c->ncurves], &c->rng, radius, hole)) return -1;
    return c->ncurves++;
}

int svrt_sprite_new(svrt_ctx *c, int curve, double scale, double rotation, int mirror)
{
    if (c->nsprites == SVRT_MAX_SPRITES)
        PH_FAIL("drawing an SVRT shape", "more sprites than SVRT_MAX_SPRITES", "this is a bug");
    svrt_sprite *s = &c->sprites[c->nsprites];
    s->curve = curve;
    if (svrt_sprite_draw(s, &c->curves[curve], scale, rotation, mirror)) return -1;
    return c->nsprites++;
}

void svrt_sprite_pop(svrt_ctx *c)
{
    if (c->nsprites > 0) c->nsprites--;
}

int svrt_centre_range(const svrt_ctx *c, int sprite, int *xmin, int *xmax, int *ymin, int *ymax)
{
    const svrt_sprite *s = &c->sprites[sprite];
    *xmin = 1 - s->x0, *xmax = SVRT_W - 2 - s->x1;
    *ymin = 1 - s->y0, *ymax = SVRT_W - 2 - s->y1;
    return *xmin <= *xmax && *ymin <= *ymax;
}

int svrt_fits(const svrt_ctx *c, int sprite, int cx, int cy, const svrt_relation *rel)
{
    const svrt_sprite *s = &c->sprites[sprite];
    if (cx + s->x0 < 1 || cx + s->x1 > SVRT_W - 2 || cy + s->y0 < 1 || cy + s->y1 > SVRT_W - 2)
        return 0;
    const int16_t *xy = s->solid.xy;
    for (int j = 0; j < c->nshapes; j++) {
        const svrt_shape *h = &c->shapes[j];
        svrt_relation r = rel ? rel[j] : SVRT_APART;
        if (r == SVRT_ANY) continue;
        if (r == SVRT_APART) {
            /* Boxes two pixels apart cannot touch. */
            if (cx + s->x1 + 1 < h->x0 || cx + s->x0 - 1 > h->x1 || cy + s->y1 + 1 < h->y0 ||
                cy + s->y0 - 1 > h->y1)
                continue;
            for (int k = 0; k < s->solid.n; k++)
                if (h->halo[(cy + xy[2 * k + 1]) * SVRT_W + cx + xy[2 * k]]) return 0;
        } else {
            for (int k = 0; k < s->solid.n; k++) {
                int i = (cy + xy[2 * k + 1]) * SVRT_W + cx + xy[2 * k];
                if (!h->interior[i] || h->ring[i]) return 0;
            }
        }
    }
    return 1;
}

int svrt_find(svrt_ctx *c, int sprite, const svrt_relation *rel, int xmin, int xmax, int ymin,
              int ymax, int tries, int *cx, int *cy)
{
    int ax, bx, ay, by;
    if (!svrt_centre_range(c, sprite, &ax, &bx, &ay, &by)) return 0;
    if (xmin > ax) ax = xmin;
    if (xmax < bx) bx = xmax;
    if (ymin > ay) ay = ymin;
    if (ymax < by) by = ymax;
    if (ax > bx || ay > by) return 0;
    for (int t = 0; t < tries; t++) {
        int x = ax + svrt_below(c, bx - ax + 1), y = ay + svrt_below(c, by - ay + 1);
        if (svrt_fits(c, sprite, x, y, rel)) {
            *cx = x, *cy = y;
            return 1;
        }
    }
    return 0;
}

static void mark3x3(uint8_t *m, int x, int y)
{
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int u = x + dx, v = y + dy;
            if (u >= 0 && v >= 0 && u < SVRT_W && v < SVRT_W) m[v * SVRT_W + u] = 1;
        }
}

int svrt_add(svrt_ctx *c, int sprite, int cx, int cy)
{
    if (c->nshapes == SVRT_MAX_SHAPES)
        PH_FAIL("placing an SVRT shape", "more shapes than SVRT_MAX_SHAPES", "this is a bug");
    svrt_shape *h = &c->shapes[c->nshapes];
    const svrt_sprite *s = &c->sprites[sprite];
    h->sprite = sprite, h->cx = cx, h->cy = cy;
    h->x0 = cx + s->x0, h->x1 = cx + s->x1, h->y0 = cy + s->y0, h->y1 = cy + s->y1;
    h->dist_ready = 0;
    memset(h->solid, 0, (size_t)MASKS_PER_SHAPE * WW);
    for (int k = 0; k < s->solid.n; k++) {
        int x = cx + s->solid.xy[2 * k], y = cy + s->solid.xy[2 * k + 1];
        h->solid[y * SVRT_W + x] = h->interior[y * SVRT_W + x] = 1;
        mark3x3(h->halo, x, y);
    }
    for (int k = 0; k < s->contour.n; k++) {
        int x = cx + s->contour.xy[2 * k], y = cy + s->contour.xy[2 * k + 1];
        h->interior[y * SVRT_W + x] = 0;
        mark3x3(h->ring, x, y);
    }
    return c->nshapes++;
}

void svrt_shape_pop(svrt_ctx *c)
{
    if (c->nshapes > 0) c->nshapes--;
}

int svrt_place(svrt_ctx *c, int sprite, const svrt_relation *rel, int tries)
{
    int x, y;
    if (!svrt_find(c, sprite, rel, 0, SVRT_W, 0, SVRT_W, tries, &x, &y)) return -1;
    return svrt_add(c, sprite, x, y);
}

int svrt_overlap(const svrt_ctx *c, int sprite, int cx, int cy, int j)
{
    const svrt_sprite *s = &c->sprites[sprite];
    const svrt_shape *h = &c->shapes[j];
    int n = 0;
    for (int k = 0; k < s->solid.n; k++) {
        int x = cx + s->solid.xy[2 * k], y = cy + s->solid.xy[2 * k + 1];
        if (x >= 0 && y >= 0 && x < SVRT_W && y < SVRT_W) n += h->solid[y * SVRT_W + x];
    }
    return n;
}

double svrt_contour_distance(svrt_ctx *c, int sprite, int cx, int cy, int j)
{
    svrt_shape *h = &c->shapes[j];
    if (!h->dist_ready) {
        uint8_t *mask = calloc(WW, 1);
        PH_CHECK_ALLOC(mask, "allocating an SVRT distance map");
        const svrt_sprite *hs = &c->sprites[h->sprite];
        for (int k = 0; k < hs->contour.n; k++)
            mask[(h->cy + hs->contour.xy[2 * k + 1]) * SVRT_W + h->cx + hs->contour.xy[2 * k]] = 1;
        svrt_distance_map(mask, SVRT_W, SVRT_W, h->dist2);
        free(mask);
        h->dist_ready = 1;
    }
    const svrt_sprite *s = &c->sprites[sprite];
    double best = HUGE_VAL;
    for (int k = 0; k < s->contour.n; k++) {
        int x = cx + s->contour.xy[2 * k], y = cy + s->contour.xy[2 * k + 1];
        if (x < 0 || y < 0 || x >= SVRT_W || y >= SVRT_W) continue;
        double d = h->dist2[y * SVRT_W + x];
        if (d < best) best = d;
    }
    return sqrt(best);
}

/* Largest distance from the centre to a corner of the sprite's box. */
static double sprite_reach(const svrt_sprite *s)
{
    int x = -s->x0 > s->x1 ? -s->x0 : s->x1, y = -s->y0 > s->y1 ? -s->y0 : s->y1;
    return hypot(x, y);
}

int svrt_place_touching(svrt_ctx *c, int sprite, int j, int min_overlap, int max_overlap, int tries)
{
    const svrt_sprite *s = &c->sprites[sprite], *hs = &c->sprites[c->shapes[j].sprite];
    svrt_relation rel[SVRT_MAX_SHAPES];
    for (int k = 0; k < c->nshapes; k++) rel[k] = k == j ? SVRT_ANY : SVRT_APART;
    /* Start where the two cannot meet, step half a pixel inwards. */
    double start = sprite_reach(s) + sprite_reach(hs) + 2.0;
    for (int t = 0; t < tries; t++) {
        double an = svrt_uniform(c, 0, 2.0 * M_PI), ux = cos(an), uy = sin(an);
        int px = 1 << 20, py = 0;
        for (double d = start; d >= 0; d -= 0.5) {
            int x = c->shapes[j].cx + (int)floor(d * ux + 0.5), y = c->shapes[j].cy + (int)floor(d * uy + 0.5);
            if (x == px && y == py) continue;
            px = x, py = y;
            int ov = svrt_overlap(c, sprite, x, y, j);
            if (ov == 0) continue;
            if (ov >= min_overlap && ov <= max_overlap && svrt_fits(c, sprite, x, y, rel))
                return svrt_add(c, sprite, x, y);
            break;
        }
    }
    return -1;
}

int svrt_distinct(const svrt_ctx *c, int sa, int sb, int rotate, double threshold)
{
    return svrt_sprite_mismatch(&c->sprites[sa], &c->sprites[sb], rotate) >= threshold;
}

int svrt_sprite_random(svrt_ctx *c, double radius, double hole)
{
    int k = svrt_curve_new(c, radius, hole);
    return k < 0 ? -1 : svrt_sprite_new(c, k, 1.0, 0.0, 0);
}

int svrt_place_collinear(svrt_ctx *c, const int sp[3], double tmin, double tmax)
{
    int p = svrt_place(c, sp[0], NULL, SVRT_TRIES);
    if (p < 0) return -1;
    const double px = c->shapes[p].cx, py = c->shapes[p].cy;
    for (int t = 0; t < SVRT_TRIES; t++) {
        double an = svrt_uniform(c, 0, 2.0 * M_PI), len = svrt_uniform(c, 0, SVRT_W * M_SQRT2);
        int qx = (int)floor(px + len * cos(an) + 0.5), qy = (int)floor(py + len * sin(an) + 0.5);
        if (!svrt_fits(c, sp[2], qx, qy, NULL)) continue;
        double f = svrt_uniform(c, tmin, tmax);
        int mx = (int)floor(px + f * (qx - px) + 0.5), my = (int)floor(py + f * (qy - py) + 0.5);
        svrt_add(c, sp[2], qx, qy);
        if (svrt_fits(c, sp[1], mx, my, NULL)) {
            /* Shape order P, M, Q. */
            svrt_shape q = c->shapes[c->nshapes - 1];
            svrt_shape_pop(c);
            svrt_add(c, sp[1], mx, my);
            svrt_add(c, q.sprite, q.cx, q.cy);
            return 0;
        }
        svrt_shape_pop(c);
    }
    return -1;
}

int svrt_place_offsets(svrt_ctx *c, const int *sp, int n, const double *dx, const double *dy,
                       int tries)
{
    int ox[SVRT_MAX_SHAPES], oy[SVRT_MAX_SHAPES];
    int ax = -SVRT_W, bx = 2 * SVRT_W, ay = -SVRT_W, by = 2 * SVRT_W;
    for (int k = 0; k < n; k++) {
        ox[k] = (int)floor(dx[k] + 0.5), oy[k] = (int)floor(dy[k] + 0.5);
        int x0, x1, y0, y1;
        if (!svrt_centre_range(c, sp[k], &x0, &x1, &y0, &y1)) return -1;
        if (x0 - ox[k] > ax) ax = x0 - ox[k];
        if (x1 - ox[k] < bx) bx = x1 - ox[k];
        if (y0 - oy[k] > ay) ay = y0 - oy[k];
        if (y1 - oy[k] < by) by = y1 - oy[k];
    }
    if (ax > bx || ay > by) return -1;
    for (int t = 0; t < tries; t++) {
        int cx = ax + svrt_below(c, bx - ax + 1), cy = ay + svrt_below(c, by - ay + 1);
        int k = 0, base = c->nshapes;
        for (; k < n && svrt_fits(c, sp[k], cx + ox[k], cy + oy[k], NULL); k++)
            svrt_add(c, sp[k], cx + ox[k], cy + oy[k]);
        if (k == n) return 0;
        while (c->nshapes > base) svrt_shape_pop(c);
    }
    return -1;
}

int svrt_place_square(svrt_ctx *c, const int sp[4], double rmin, double rmax)
{
    for (int t = 0; t < SVRT_TRIES; t++) {
        double rho = svrt_uniform(c, rmin, rmax), an = svrt_uniform(c, 0, 2.0 * M_PI), dx[4], dy[4];
        for (int k = 0; k < 4; k++) {
            dx[k] = rho * cos(an + k * M_PI / 2);
            dy[k] = rho * sin(an + k * M_PI / 2);
        }
        if (svrt_place_offsets(c, sp, 4, dx, dy, 1) == 0) return 0;
    }
    return -1;
}
