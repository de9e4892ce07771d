/* render.c: the CPU ray caster that draws a 3D-PC image.
 *
 * Each pixel averages ss x ss camera rays.  A ray takes the nearest surface
 * (a primitive, the tiled ground plane z = 0, or the sky); a surface is lit
 * by Lambert shading from a directional sun, with a shadow ray towards it,
 * plus a sky term, so depth has its usual cues: cast shadows, shading,
 * occlusion, the ground's texture gradient and perspective.  Colours are
 * linear until the final sRGB-like encoding (gamma 2.2). */
#include "threedpc.h"

#include <math.h>
#include <stddef.h>

#define AMBIENT 0.32
#define SUN 0.85
#define SURFACE_OFFSET 1e-5

static const float SKY_HORIZON[3] = {0.72f, 0.78f, 0.86f};
static const float SKY_ZENITH[3] = {0.30f, 0.45f, 0.78f};

/* Tiles of side s->tile in two shades, with darker joints. */
static void ground_albedo(const tdpc_scene *s, vec3 p, float *out)
{
    const double u = p.x / s->tile, v = p.y / s->tile;
    const double fu = u - floor(u), fv = v - floor(v);
    double k = (((long)floor(u) + (long)floor(v)) & 1) ? 0.88 : 1.0;
    if (fu < 0.04 || fv < 0.04) k *= 0.62;
    for (int c = 0; c < 3; c++) out[c] = (float)(s->ground_rgb[c] * k);
}

static void shade(const tdpc_scene *s, vec3 o, vec3 d, double *out)
{
    tdpc_hit h;
    if (tdpc_ray_nearest(s, o, d, 1e-9, 1e9, &h) == TDPC_ID_SKY) {
        const double t = fmin(1.0, fmax(0.0, d.z * 2.5));
        for (int c = 0; c < 3; c++) out[c] = SKY_HORIZON[c] + t * (SKY_ZENITH[c] - SKY_HORIZON[c]);
        return;
    }
    const vec3 p = vec3_axpy(o, h.t, d);
    float albedo[3];
    if (h.owner == TDPC_ID_GROUND) ground_albedo(s, p, albedo);
    else
        for (int c = 0; c < 3; c++) albedo[c] = s->prims[h.prim].rgb[c];
    double lambert = vec3_dot(h.normal, s->light);
    if (lambert > 0) {
        const vec3 from = vec3_axpy(p, SURFACE_OFFSET, h.normal);
        if (tdpc_segment_blocked(s, from, vec3_axpy(from, 50.0, s->light), 0, ~0u)) lambert = 0;
    } else {
        lambert = 0;
    }
    /* the sky lights surfaces that face up more than those that face down */
    const double sky = AMBIENT * (0.75 + 0.25 * h.normal.z);
    for (int c = 0; c < 3; c++) out[c] = albedo[c] * (sky + SUN * lambert);
}

static uint8_t encode(double v)
{
    v = fmin(1.0, fmax(0.0, v));
    return (uint8_t)lround(255.0 * pow(v, 1.0 / 2.2));
}

static vec3 ray_dir(const tdpc_camera *cam, double u, double v)
{
    return vec3_unit(vec3_add(
        cam->fwd, vec3_add(vec3_scale(cam->right, u * cam->tan_half), vec3_scale(cam->up, v * cam->tan_half))));
}

void tdpc_render(const tdpc_scene *s, const tdpc_camera *cam, int size, int ss, uint8_t *rgb, float *depth, float *ids)
{
    const double inv = 1.0 / size, w = 1.0 / (ss * ss);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double acc[3] = {0, 0, 0};
            for (int sy = 0; sy < ss; sy++)
                for (int sx = 0; sx < ss; sx++) {
                    const double u = 2 * (x + (sx + 0.5) / ss) * inv - 1, v = 1 - 2 * (y + (sy + 0.5) / ss) * inv;
                    double c[3];
                    shade(s, cam->pos, ray_dir(cam, u, v), c);
                    for (int k = 0; k < 3; k++) acc[k] += c[k];
                }
            uint8_t *px = rgb + 3 * ((size_t)y * size + x);
            for (int k = 0; k < 3; k++) px[k] = encode(acc[k] * w);
            if (!depth && !ids) continue;
            tdpc_hit h;
            const double u = 2 * (x + 0.5) * inv - 1, v = 1 - 2 * (y + 0.5) * inv;
            const int owner = tdpc_ray_nearest(s, cam->pos, ray_dir(cam, u, v), 1e-9, 1e9, &h);
            if (depth) depth[(size_t)y * size + x] = owner == TDPC_ID_SKY ? 0.0f : (float)h.t;
            if (ids) ids[(size_t)y * size + x] = (float)owner;
        }
}
