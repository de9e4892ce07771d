/* geometry.c: the primitives of the 3D-PC scenes and what a ray or a segment
 * meets.  Every query works in the primitive's own frame (translated, then
 * turned back by its yaw), where each kind is an axis-aligned box, ellipsoid
 * or cylinder; the renderer and the labels share these functions, and the
 * tests check the labels with code of their own. */
#include "threedpc.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

void tdpc_prim_set(tdpc_prim *p, int kind, int owner, vec3 c, vec3 s, double yaw, const float rgb[3])
{
    p->kind = kind;
    p->owner = owner;
    p->c = vec3_f32(c);
    p->s = vec3_f32(s);
    p->yaw = f32_round(yaw);
    p->cyaw = cos(p->yaw);
    p->syaw = sin(p->yaw);
    for (int k = 0; k < 3; k++) p->rgb[k] = rgb[k];
}

/* Slab of one axis: narrows [*t0, *t1]; *axis becomes the axis whose slab
 * bounds t0 from below.  0 if the interval becomes empty. */
static int slab(double o, double d, double half, int ax, double *t0, double *t1, int *axis, double *sign)
{
    if (fabs(d) < 1e-300) return fabs(o) <= half;
    double a = (-half - o) / d, b = (half - o) / d, sg = -1;
    if (a > b) {
        double t = a;
        a = b, b = t, sg = 1;
    }
    if (a > *t0) *t0 = a, *axis = ax, *sign = sg;
    if (b < *t1) *t1 = b;
    return *t0 <= *t1;
}

static double comp(vec3 v, int k) { return k == 0 ? v.x : k == 1 ? v.y : v.z; }

static vec3 axis_vec(int k, double v)
{
    return k == 0 ? vec3_make(v, 0, 0) : k == 1 ? vec3_make(0, v, 0) : vec3_make(0, 0, v);
}

int tdpc_prim_span(const tdpc_prim *p, double grow, vec3 o, vec3 d, double *t0, double *t1, vec3 *normal)
{
    const vec3 a = vec3_make(p->s.x + grow, p->s.y + grow, p->s.z + grow);
    if (a.x <= 0 || a.y <= 0 || a.z <= 0) return 0;
    /* into the primitive's frame: turn by -yaw */
    const vec3 lo = vec3_rot_z(vec3_sub(o, p->c), p->cyaw, -p->syaw);
    const vec3 ld = vec3_rot_z(d, p->cyaw, -p->syaw);
    double lo_t = -DBL_MAX, hi_t = DBL_MAX, sign = -1;
    int axis = -1;
    vec3 n = {0, 0, 0};
    switch (p->kind) {
    case TDPC_PRIM_BOX:
        for (int k = 0; k < 3; k++)
            if (!slab(comp(lo, k), comp(ld, k), comp(a, k), k, &lo_t, &hi_t, &axis, &sign)) return 0;
        if (axis < 0) return 0; /* a ray of zero length */
        n = axis_vec(axis, sign);
        break;
    case TDPC_PRIM_ELLIPSOID: {
        const vec3 q = vec3_make(lo.x / a.x, lo.y / a.y, lo.z / a.z);
        const vec3 qd = vec3_make(ld.x / a.x, ld.y / a.y, ld.z / a.z);
        const double A = vec3_dot(qd, qd), B = vec3_dot(q, qd), C = vec3_dot(q, q) - 1.0;
        if (A <= 0) return 0;
        const double disc = B * B - A * C;
        if (disc < 0) return 0;
        const double r = sqrt(disc);
        lo_t = (-B - r) / A, hi_t = (-B + r) / A;
        const vec3 at = vec3_axpy(lo, lo_t, ld);
        n = vec3_make(at.x / (a.x * a.x), at.y / (a.y * a.y), at.z / (a.z * a.z));
        break;
    }
    case TDPC_PRIM_CYL_Z:
    case TDPC_PRIM_CYL_X: {
        /* the axis k; the radial plane (i, j) */
        const int zaxis = p->kind == TDPC_PRIM_CYL_Z;
        const int k = zaxis ? 2 : 0, i = zaxis ? 0 : 1, j = zaxis ? 1 : 2;
        const double R = comp(a, i);
        const double oi = comp(lo, i), oj = comp(lo, j), di = comp(ld, i), dj = comp(ld, j);
        const double A = di * di + dj * dj, B = oi * di + oj * dj, C = oi * oi + oj * oj - R * R;
        int radial = 0;
        if (A < 1e-300) {
            if (C > 0) return 0; /* parallel to the axis, outside */
        } else {
            const double disc = B * B - A * C;
            if (disc < 0) return 0;
            const double r = sqrt(disc);
            lo_t = (-B - r) / A, hi_t = (-B + r) / A;
            radial = 1;
        }
        if (!slab(comp(lo, k), comp(ld, k), comp(a, k), k, &lo_t, &hi_t, &axis, &sign)) return 0;
        if (axis == k) {
            n = axis_vec(k, sign);
        } else if (radial) {
            const double pi = oi + lo_t * di, pj = oj + lo_t * dj;
            n = zaxis ? vec3_make(pi, pj, 0) : vec3_make(0, pi, pj);
        }
        break;
    }
    default:
        return 0;
    }
    *t0 = lo_t, *t1 = hi_t;
    if (normal) *normal = vec3_unit(vec3_rot_z(n, p->cyaw, p->syaw));
    return 1;
}

void tdpc_prim_bounds(const tdpc_prim *p, vec3 *lo, vec3 *hi)
{
    /* the box around the primitive, turned: its world half-extents */
    const double c = fabs(p->cyaw), s = fabs(p->syaw);
    const vec3 h = vec3_make(c * p->s.x + s * p->s.y, s * p->s.x + c * p->s.y, p->s.z);
    *lo = vec3_sub(p->c, h);
    *hi = vec3_add(p->c, h);
}

/* Whether o + t d meets the box [lo - grow, hi + grow] for some t in [tmin, tmax]. */
static int bounds_meet(vec3 lo, vec3 hi, double grow, vec3 o, vec3 d, double tmin, double tmax)
{
    const double ol[3] = {o.x, o.y, o.z}, dl[3] = {d.x, d.y, d.z};
    const double l[3] = {lo.x - grow, lo.y - grow, lo.z - grow}, h[3] = {hi.x + grow, hi.y + grow, hi.z + grow};
    for (int k = 0; k < 3; k++) {
        if (fabs(dl[k]) < 1e-300) {
            if (ol[k] < l[k] || ol[k] > h[k]) return 0;
            continue;
        }
        double a = (l[k] - ol[k]) / dl[k], b = (h[k] - ol[k]) / dl[k];
        if (a > b) {
            double t = a;
            a = b, b = t;
        }
        if (a > tmin) tmin = a;
        if (b < tmax) tmax = b;
        if (tmin > tmax) return 0;
    }
    return 1;
}

int tdpc_segment_blocked(const tdpc_scene *s, vec3 a, vec3 b, double grow, unsigned owners)
{
    const vec3 d = vec3_sub(b, a);
    for (int w = 0; w < TDPC_OWNERS; w++) {
        if (!(owners & TDPC_OWNER_BIT(w)) || !s->count[w]) continue;
        if (!bounds_meet(s->lo[w], s->hi[w], grow > 0 ? grow : 0, a, d, 0, 1)) continue;
        for (int k = s->first[w]; k < s->first[w] + s->count[w]; k++) {
            double t0, t1;
            if (tdpc_prim_span(&s->prims[k], grow, a, d, &t0, &t1, NULL) && t0 <= 1 && t1 >= 0) return 1;
        }
    }
    return 0;
}

int tdpc_ray_nearest(const tdpc_scene *s, vec3 o, vec3 d, double tmin, double tmax, tdpc_hit *hit)
{
    hit->owner = TDPC_ID_SKY, hit->prim = -1, hit->t = tmax;
    if (d.z < 0) { /* the ground, z = 0 */
        const double t = -o.z / d.z;
        if (t > tmin && t < hit->t) hit->owner = TDPC_ID_GROUND, hit->t = t, hit->normal = vec3_make(0, 0, 1);
    }
    for (int w = 0; w < TDPC_OWNERS; w++) {
        if (!s->count[w] || !bounds_meet(s->lo[w], s->hi[w], 0, o, d, tmin, hit->t)) continue;
        for (int k = s->first[w]; k < s->first[w] + s->count[w]; k++) {
            double t0, t1;
            vec3 n;
            /* a ray starting inside a primitive (never, for camera and shadow rays) does not see it */
            if (tdpc_prim_span(&s->prims[k], 0, o, d, &t0, &t1, &n) && t0 > tmin && t0 < hit->t)
                hit->owner = w, hit->prim = k, hit->t = t0, hit->normal = n;
        }
    }
    return hit->owner;
}
