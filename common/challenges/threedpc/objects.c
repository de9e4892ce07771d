/* objects.c: the ten object categories of 3D-PC as procedural shapes made
 * of boxes, ellipsoids and cylinders, and their instances.
 *
 * The original's scenes are reconstructions of real objects (CO3D
 * categories); here each category is a builder, and instance k of a
 * category is the builder run on a generator keyed on (category, instance)
 * alone: the same car in every split and every seed, so holding out the
 * last instances holds out objects, as the original holds out instance 03.
 * Sizes are in world units with objects about 0.5-1.8 high; colours are
 * linear albedos that avoid the observer's green and the ball's red. */
#include "threedpc.h"

#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <string.h>

const char *const tdpc_category_names[TDPC_CATEGORIES] = {"bench",  "car",        "chair", "couch",    "hydrant",
                                                          "laptop", "motorcycle", "plant", "suitcase", "umbrella"};

typedef struct {
    int kind;
    vec3 c, s;
    double yaw;
    float rgb[3];
} part;

typedef struct {
    part p[TDPC_OBJECT_PRIMS];
    int n;
} parts;

static void add(parts *o, int kind, vec3 c, vec3 s, double yaw, const float *rgb)
{
    if (o->n == TDPC_OBJECT_PRIMS) PH_FAIL("building a 3D-PC object", "too many primitives", "this is a bug");
    part *q = &o->p[o->n++];
    q->kind = kind, q->c = c, q->s = s, q->yaw = yaw;
    memcpy(q->rgb, rgb, sizeof q->rgb);
}

static void box(parts *o, double x, double y, double z, double sx, double sy, double sz, const float *rgb)
{
    add(o, TDPC_PRIM_BOX, vec3_make(x, y, z), vec3_make(sx, sy, sz), 0, rgb);
}

/* A vertical cylinder standing from z0 to z1. */
static void post(parts *o, double x, double y, double z0, double z1, double r, const float *rgb)
{
    add(o, TDPC_PRIM_CYL_Z, vec3_make(x, y, (z0 + z1) / 2), vec3_make(r, r, (z1 - z0) / 2), 0, rgb);
}

/* A horizontal cylinder along the object's y (a wheel, an axle, a bar). */
static void across(parts *o, double x, double y, double z, double r, double half, const float *rgb)
{
    add(o, TDPC_PRIM_CYL_X, vec3_make(x, y, z), vec3_make(half, r, r), M_PI / 2, rgb);
}

static double uni(ph_rng *r, double lo, double hi) { return lo + (hi - lo) * ph_rng_uniform(r); }

/* Palettes (linear RGB). */
static const float WOOD[][3] = {
    {0.33f, 0.18f, 0.08f}, {0.50f, 0.32f, 0.15f}, {0.22f, 0.13f, 0.07f}, {0.60f, 0.45f, 0.28f}};
static const float METAL[][3] = {{0.12f, 0.12f, 0.13f}, {0.45f, 0.45f, 0.48f}, {0.28f, 0.28f, 0.30f}};
static const float PAINT[][3] = {{0.06f, 0.13f, 0.50f}, {0.72f, 0.56f, 0.06f}, {0.72f, 0.72f, 0.70f},
                                 {0.28f, 0.10f, 0.42f}, {0.04f, 0.28f, 0.34f}, {0.03f, 0.04f, 0.14f},
                                 {0.05f, 0.05f, 0.05f}, {0.50f, 0.50f, 0.53f}, {0.55f, 0.42f, 0.26f}};
static const float FABRIC[][3] = {{0.30f, 0.30f, 0.32f}, {0.10f, 0.16f, 0.40f}, {0.55f, 0.46f, 0.32f},
                                  {0.30f, 0.14f, 0.36f}, {0.16f, 0.10f, 0.06f}, {0.62f, 0.62f, 0.60f}};
static const float LEAF[][3] = {
    {0.13f, 0.17f, 0.05f}, {0.26f, 0.24f, 0.06f}, {0.08f, 0.13f, 0.10f}, {0.42f, 0.27f, 0.04f}};
static const float GLASS[3] = {0.04f, 0.06f, 0.09f};
static const float TYRE[3] = {0.03f, 0.03f, 0.03f};

#define PICK(r, pal) (pal)[ph_rng_below((r), (uint32_t)(sizeof(pal) / sizeof((pal)[0])))]

static void build_bench(parts *o, ph_rng *r)
{
    const double L = uni(r, 1.3, 1.9), W = uni(r, 0.40, 0.55), h = uni(r, 0.40, 0.50);
    const float *seat = PICK(r, WOOD), *frame = PICK(r, METAL);
    const int back = ph_rng_below(r, 4) != 0;
    box(o, 0, 0, h, L / 2, W / 2, 0.03, seat);
    for (int side = -1; side <= 1; side += 2) box(o, side * (L / 2 - 0.12), 0, h / 2, 0.03, W / 2 - 0.02, h / 2, frame);
    if (back) {
        box(o, 0, -W / 2 + 0.03, h + 0.30, L / 2, 0.025, 0.14, seat);
        for (int side = -1; side <= 1; side += 2)
            box(o, side * (L / 2 - 0.12), -W / 2 + 0.03, h + 0.2, 0.03, 0.03, 0.22, frame);
    }
}

static void build_car(parts *o, ph_rng *r)
{
    const double L = uni(r, 1.9, 2.5), W = uni(r, 0.90, 1.10), cab = uni(r, 0.45, 0.65);
    const double cab_h = uni(r, 0.17, 0.26), cab_x = uni(r, -0.20, 0.05) * L;
    const float *paint = PICK(r, PAINT);
    box(o, 0, 0, 0.42, L / 2, W / 2, 0.22, paint);
    box(o, cab_x, 0, 0.64 + cab_h, cab * L / 2, W / 2 - 0.06, cab_h, GLASS);
    box(o, cab_x, 0, 0.64 + 2 * cab_h + 0.02, cab * L / 2 + 0.02, W / 2 - 0.04, 0.025, paint);
    for (int a = -1; a <= 1; a += 2)
        for (int b = -1; b <= 1; b += 2) across(o, a * L * 0.32, b * (W / 2 - 0.02), 0.21, 0.21, 0.08, TYRE);
}

static void build_chair(parts *o, ph_rng *r)
{
    const double w = uni(r, 0.22, 0.28), h = uni(r, 0.42, 0.50), bh = uni(r, 0.35, 0.55);
    const float *seat = ph_rng_below(r, 2) ? PICK(r, WOOD) : PICK(r, FABRIC), *legs = PICK(r, METAL);
    const int arms = ph_rng_below(r, 3) == 0;
    box(o, 0, 0, h, w, w, 0.03, seat);
    for (int a = -1; a <= 1; a += 2)
        for (int b = -1; b <= 1; b += 2) post(o, a * (w - 0.03), b * (w - 0.03), 0, h - 0.03, 0.022, legs);
    box(o, -w + 0.025, 0, h + bh / 2, 0.025, w, bh / 2, seat);
    if (arms)
        for (int b = -1; b <= 1; b += 2) box(o, 0, b * (w - 0.02), h + 0.2, w, 0.025, 0.025, legs);
}

static void build_couch(parts *o, ph_rng *r)
{
    const double L = uni(r, 1.5, 2.1), D = uni(r, 0.75, 0.95), back = uni(r, 0.75, 0.95);
    const float *fabric = PICK(r, FABRIC);
    box(o, 0, 0, 0.23, L / 2, D / 2, 0.19, fabric);
    box(o, 0, -D / 2 + 0.1, back / 2 + 0.02, L / 2, 0.1, back / 2, fabric);
    for (int side = -1; side <= 1; side += 2) box(o, side * (L / 2 - 0.09), 0, 0.31, 0.09, D / 2, 0.27, fabric);
    const int cushions = 2 + (int)ph_rng_below(r, 2);
    const double cw = (L - 0.36) / cushions;
    for (int k = 0; k < cushions; k++)
        add(o, TDPC_PRIM_ELLIPSOID, vec3_make(-L / 2 + 0.18 + cw * (k + 0.5), 0.05, 0.45),
            vec3_make(cw / 2, D / 2 - 0.12, 0.07), 0, fabric);
}

static void build_hydrant(parts *o, ph_rng *r)
{
    static const float HYD[][3] = {{0.72f, 0.56f, 0.06f}, {0.06f, 0.13f, 0.50f}, {0.50f, 0.50f, 0.53f}};
    const double k = uni(r, 1.25, 1.55), rad = uni(r, 0.11, 0.15);
    const float *col = PICK(r, HYD), *cap = PICK(r, METAL);
    post(o, 0, 0, 0, 0.06 * k, rad + 0.05, col);
    post(o, 0, 0, 0.06 * k, 0.60 * k, rad, col);
    add(o, TDPC_PRIM_ELLIPSOID, vec3_make(0, 0, 0.60 * k), vec3_make(rad + 0.02, rad + 0.02, 0.09 * k), 0, cap);
    post(o, 0, 0, 0.66 * k, 0.74 * k, 0.04, cap);
    add(o, TDPC_PRIM_CYL_X, vec3_make(0, 0, 0.42 * k), vec3_make(rad + 0.07, 0.045, 0.045), 0, col);
    across(o, 0, rad, 0.38 * k, 0.07, 0.06, cap);
}

static void build_laptop(parts *o, ph_rng *r)
{
    static const float CASE[][3] = {{0.50f, 0.50f, 0.53f}, {0.04f, 0.04f, 0.045f}, {0.70f, 0.70f, 0.70f}};
    const double tw = uni(r, 0.45, 0.60), td = uni(r, 0.35, 0.45), th = uni(r, 0.62, 0.75);
    const double lw = uni(r, 0.26, 0.34), sh = uni(r, 0.17, 0.22);
    const float *table = PICK(r, WOOD), *shell = PICK(r, CASE);
    box(o, 0, 0, th, tw, td, 0.03, table);
    for (int a = -1; a <= 1; a += 2)
        for (int b = -1; b <= 1; b += 2) post(o, a * (tw - 0.05), b * (td - 0.05), 0, th - 0.03, 0.03, table);
    box(o, 0, 0.06, th + 0.045, lw, 0.2, 0.015, shell);
    box(o, 0, -0.15, th + 0.06 + sh, lw, 0.012, sh, shell);
    box(o, 0, -0.135, th + 0.06 + sh, lw - 0.02, 0.004, sh - 0.02, GLASS);
}

static void build_motorcycle(parts *o, ph_rng *r)
{
    const double wr = uni(r, 0.26, 0.32), base = uni(r, 0.60, 0.72);
    const float *paint = PICK(r, PAINT), *metal = PICK(r, METAL);
    for (int side = -1; side <= 1; side += 2) across(o, side * base, 0, wr, wr, 0.07, TYRE);
    add(o, TDPC_PRIM_ELLIPSOID, vec3_make(0.05, 0, 0.70), vec3_make(0.42, 0.15, 0.15), 0, paint);
    box(o, -0.30, 0, 0.80, 0.26, 0.12, 0.04, TYRE);
    box(o, 0, 0, 0.43, 0.22, 0.13, 0.15, metal);
    box(o, base - 0.06, 0, 0.62, 0.04, 0.05, 0.32, metal);
    across(o, base - 0.08, 0, 0.97, 0.025, 0.33, metal);
    add(o, TDPC_PRIM_ELLIPSOID, vec3_make(base + 0.02, 0, 0.86), vec3_make(0.07, 0.08, 0.07), 0, metal);
    box(o, -base + 0.05, 0, wr + 0.3, 0.2, 0.1, 0.03, paint);
}

static void build_plant(parts *o, ph_rng *r)
{
    static const float POT[][3] = {{0.55f, 0.55f, 0.55f}, {0.05f, 0.08f, 0.28f}, {0.30f, 0.22f, 0.16f}};
    const float *pot = PICK(r, POT), *leaf = PICK(r, LEAF);
    const double pr = uni(r, 0.18, 0.26), ph = uni(r, 0.25, 0.40);
    post(o, 0, 0, 0, ph, pr, pot);
    if (ph_rng_below(r, 3) == 0) { /* a small tree: trunk and one crown */
        const double top = uni(r, 1.2, 1.6);
        post(o, 0, 0, ph, top - 0.2, 0.04, WOOD[2]);
        add(o, TDPC_PRIM_ELLIPSOID, vec3_make(0, 0, top), vec3_make(0.38, 0.38, 0.32), 0, leaf);
        return;
    }
    const int n = 3 + (int)ph_rng_below(r, 3);
    for (int k = 0; k < n; k++) {
        const double a = 2 * M_PI * k / n + uni(r, -0.3, 0.3), d = uni(r, 0.10, 0.22);
        const double s = uni(r, 0.20, 0.30), z = ph + uni(r, 0.25, 0.65);
        add(o, TDPC_PRIM_ELLIPSOID, vec3_make(d * cos(a), d * sin(a), z), vec3_make(s, s, s * 1.3), 0, leaf);
    }
}

static void build_suitcase(parts *o, ph_rng *r)
{
    static const float CASE[][3] = {{0.03f, 0.04f, 0.14f}, {0.05f, 0.05f, 0.05f}, {0.50f, 0.50f, 0.53f},
                                    {0.28f, 0.10f, 0.42f}, {0.04f, 0.28f, 0.34f}, {0.55f, 0.42f, 0.26f}};
    const float *col = PICK(r, CASE);
    const double w = uni(r, 0.28, 0.36), d = uni(r, 0.14, 0.20), h = uni(r, 0.38, 0.50);
    box(o, 0, 0, 0.05 + h, w, d, h, col);
    for (int side = -1; side <= 1; side += 2)
        post(o, side * 0.1, -d + 0.03, 0.05 + 2 * h, 0.25 + 2 * h, 0.015, METAL[1]);
    box(o, 0, -d + 0.03, 0.25 + 2 * h, 0.12, 0.02, 0.02, METAL[0]);
    for (int side = -1; side <= 1; side += 2) across(o, side * (w - 0.05), -d + 0.04, 0.05, 0.05, 0.02, TYRE);
    if (ph_rng_below(r, 2)) { /* a second, smaller case lying beside it */
        const float *c2 = PICK(r, CASE);
        box(o, 0.08, d + 0.33, 0.14, w * 0.9, 0.28, 0.14, c2);
    }
}

static void build_umbrella(parts *o, ph_rng *r)
{
    static const float CANOPY[][3] = {{0.06f, 0.13f, 0.50f},
                                      {0.72f, 0.56f, 0.06f},
                                      {0.72f, 0.72f, 0.70f},
                                      {0.28f, 0.10f, 0.42f},
                                      {0.04f, 0.28f, 0.34f}};
    const double top = uni(r, 1.55, 1.85), rad = uni(r, 0.75, 0.95);
    const float *col = PICK(r, CANOPY);
    post(o, 0, 0, 0, 0.08, 0.26, METAL[0]);
    post(o, 0, 0, 0.08, top, 0.03, METAL[1]);
    add(o, TDPC_PRIM_ELLIPSOID, vec3_make(0, 0, top - 0.05), vec3_make(rad, rad, 0.2), 0, col);
    post(o, 0, 0, top + 0.1, top + 0.22, 0.03, METAL[1]);
    /* a patio umbrella over its table: a canopy overhead hides nothing on the ground */
    const double tz = uni(r, 0.66, 0.76), tr = uni(r, 0.42, 0.55);
    const float *table = ph_rng_below(r, 2) ? PAINT[2] : WOOD[1];
    post(o, 0, 0, 0.08, tz - 0.03, 0.05, METAL[0]);
    if (ph_rng_below(r, 2)) post(o, 0, 0, tz - 0.03, tz + 0.01, tr, table);
    else box(o, 0, 0, tz - 0.01, tr * 0.9, tr * 0.9, 0.02, table);
}

typedef void (*builder)(parts *o, ph_rng *r);
static const builder builders[TDPC_CATEGORIES] = {build_bench,    build_car,     build_chair,      build_couch,
                                                  build_hydrant,  build_laptop,  build_motorcycle, build_plant,
                                                  build_suitcase, build_umbrella};

int tdpc_scene_object_add(tdpc_scene *s, int category, int instance, vec3 pos, double yaw)
{
    const int id = TDPC_ID_OBJECT0 + s->nobjects;
    if (s->nobjects == TDPC_MAX_OBJECTS || s->count[TDPC_ID_OBSERVER] || s->count[TDPC_ID_BALL]) return -1;
    parts o = {0};
    ph_rng r;
    /* instances are fixed objects: keyed on (category, instance), never on a split's seed */
    ph_rng_init(&r, 0, PH_STREAM_SHAPE, (uint64_t)category, (uint32_t)instance);
    builders[category](&o, &r);
    if (s->nprims + o.n > TDPC_MAX_PRIMS - TDPC_OBSERVER_PRIMS - 1) return -1;
    tdpc_object *ob = &s->objects[s->nobjects++];
    ob->category = category, ob->instance = instance, ob->pos = vec3_f32(pos), ob->yaw = f32_round(yaw);
    ob->fx0 = ob->fy0 = 1e9, ob->fx1 = ob->fy1 = -1e9;
    const double c = cos(ob->yaw), sn = sin(ob->yaw);
    s->first[id] = s->nprims, s->count[id] = o.n;
    for (int k = 0; k < o.n; k++) {
        const part *q = &o.p[k];
        tdpc_prim *p = &s->prims[s->nprims++];
        tdpc_prim_set(p, q->kind, id, vec3_add(ob->pos, vec3_rot_z(q->c, c, sn)), q->s, ob->yaw + q->yaw, q->rgb);
        /* footprint in the object's frame: the part's box turned by its own yaw */
        const double pc = fabs(cos(q->yaw)), ps = fabs(sin(q->yaw));
        const double hx = pc * q->s.x + ps * q->s.y, hy = ps * q->s.x + pc * q->s.y;
        ob->fx0 = fmin(ob->fx0, q->c.x - hx), ob->fx1 = fmax(ob->fx1, q->c.x + hx);
        ob->fy0 = fmin(ob->fy0, q->c.y - hy), ob->fy1 = fmax(ob->fy1, q->c.y + hy);
    }
    tdpc_prim_bounds(&s->prims[s->first[id]], &s->lo[id], &s->hi[id]);
    for (int k = s->first[id] + 1; k < s->nprims; k++) {
        vec3 lo, hi;
        tdpc_prim_bounds(&s->prims[k], &lo, &hi);
        s->lo[id] = vec3_make(fmin(s->lo[id].x, lo.x), fmin(s->lo[id].y, lo.y), fmin(s->lo[id].z, lo.z));
        s->hi[id] = vec3_make(fmax(s->hi[id].x, hi.x), fmax(s->hi[id].y, hi.y), fmax(s->hi[id].z, hi.z));
    }
    return 0;
}
