/* vec3.h: three-component double vectors for the 3D-PC scenes (world frame:
 * x, y on the ground, z up).  Header-only: every helper is a few flops and
 * the renderer calls them per ray. */
#ifndef PHASOR_THREEDPC_VEC3_H
#define PHASOR_THREEDPC_VEC3_H

#include <math.h>

typedef struct {
    double x, y, z;
} vec3;

static inline vec3 vec3_make(double x, double y, double z) { return (vec3){x, y, z}; }
static inline vec3 vec3_add(vec3 a, vec3 b) { return (vec3){a.x + b.x, a.y + b.y, a.z + b.z}; }
static inline vec3 vec3_sub(vec3 a, vec3 b) { return (vec3){a.x - b.x, a.y - b.y, a.z - b.z}; }
static inline vec3 vec3_scale(vec3 a, double s) { return (vec3){a.x * s, a.y * s, a.z * s}; }
/* a + s b */
static inline vec3 vec3_axpy(vec3 a, double s, vec3 b) { return (vec3){a.x + s * b.x, a.y + s * b.y, a.z + s * b.z}; }
static inline double vec3_dot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
static inline vec3 vec3_cross(vec3 a, vec3 b)
{
    return (vec3){a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
static inline double vec3_len(vec3 a) { return sqrt(vec3_dot(a, a)); }
static inline vec3 vec3_unit(vec3 a)
{
    double l = vec3_len(a);
    return l > 0 ? vec3_scale(a, 1.0 / l) : a;
}
static inline double vec3_dist(vec3 a, vec3 b) { return vec3_len(vec3_sub(a, b)); }

/* Rotation about z by the angle whose cosine and sine are (c, s). */
static inline vec3 vec3_rot_z(vec3 a, double c, double s) { return (vec3){c * a.x - s * a.y, s * a.x + c * a.y, a.z}; }

/* The value a float32 dataset stores: scene parameters are rounded to it as
 * they are drawn, so the labels computed here and a check that re-reads the
 * stored parameters start from the same numbers. */
static inline double f32_round(double v) { return (double)(float)v; }
static inline vec3 vec3_f32(vec3 a) { return (vec3){f32_round(a.x), f32_round(a.y), f32_round(a.z)}; }

#endif
