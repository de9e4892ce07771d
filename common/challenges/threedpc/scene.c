/* scene.c: a 3D-PC scene's observer and ball, whether they stand clear of
 * the objects, and the camera path.
 *
 * Objects come first in the primitive list, then the observer, then the
 * ball, so that moving the observer or the ball (VPT-Strategy) rewrites
 * their primitives in place. */
#include "threedpc.h"

#include <math.h>
#include <string.h>

static const float OBS_GREEN[3] = {0.03f, 0.50f, 0.03f};
static const float OBS_LENS[3] = {0.015f, 0.015f, 0.02f};
static const float OBS_POST[3] = {0.25f, 0.25f, 0.27f};
static const float BALL_RED[3] = {0.70f, 0.02f, 0.02f};

void tdpc_scene_init(tdpc_scene *s) { memset(s, 0, sizeof *s); }

static void owner_bounds(tdpc_scene *s, int id)
{
    tdpc_prim_bounds(&s->prims[s->first[id]], &s->lo[id], &s->hi[id]);
    for (int k = s->first[id] + 1; k < s->first[id] + s->count[id]; k++) {
        vec3 lo, hi;
        tdpc_prim_bounds(&s->prims[k], &lo, &hi);
        s->lo[id] = vec3_make(fmin(s->lo[id].x, lo.x), fmin(s->lo[id].y, lo.y), fmin(s->lo[id].z, lo.z));
        s->hi[id] = vec3_make(fmax(s->hi[id].x, hi.x), fmax(s->hi[id].y, hi.y), fmax(s->hi[id].z, hi.z));
    }
}

/* The owner's block of n prims: the existing one, or a new one at the end. */
static tdpc_prim *owner_block(tdpc_scene *s, int id, int n)
{
    if (!s->count[id]) s->first[id] = s->nprims, s->count[id] = n, s->nprims += n;
    return &s->prims[s->first[id]];
}

void tdpc_scene_observer_set(tdpc_scene *s, double x, double y, double height, double yaw)
{
    tdpc_observer *o = &s->obs;
    o->yaw = f32_round(yaw);
    o->height = f32_round(height);
    o->body = vec3_f32(vec3_make(x, y, height));
    o->facing = vec3_f32(vec3_make(cos(o->yaw), sin(o->yaw), 0));
    const double c = cos(o->yaw), sn = sin(o->yaw);
    const vec3 ahead = vec3_make(c, sn, 0);
    o->eye = vec3_f32(vec3_axpy(o->body, TDPC_OBS_BODY_HALF + 2 * TDPC_OBS_LENS_HALF, ahead));
    tdpc_prim *p = owner_block(s, TDPC_ID_OBSERVER, TDPC_OBSERVER_PRIMS);
    const double foot = o->body.z - TDPC_OBS_BODY_HEIGHT;
    tdpc_prim_set(&p[0], TDPC_PRIM_CYL_Z, TDPC_ID_OBSERVER, vec3_make(o->body.x, o->body.y, foot / 2),
                  vec3_make(TDPC_OBS_POST_RADIUS, TDPC_OBS_POST_RADIUS, foot / 2), 0, OBS_POST);
    tdpc_prim_set(&p[1], TDPC_PRIM_BOX, TDPC_ID_OBSERVER, o->body,
                  vec3_make(TDPC_OBS_BODY_HALF, TDPC_OBS_BODY_WIDTH, TDPC_OBS_BODY_HEIGHT), o->yaw, OBS_GREEN);
    tdpc_prim_set(&p[2], TDPC_PRIM_CYL_X, TDPC_ID_OBSERVER,
                  vec3_axpy(o->body, TDPC_OBS_BODY_HALF + TDPC_OBS_LENS_HALF, ahead),
                  vec3_make(TDPC_OBS_LENS_HALF, TDPC_OBS_LENS_RADIUS, TDPC_OBS_LENS_RADIUS), o->yaw, OBS_LENS);
    owner_bounds(s, TDPC_ID_OBSERVER);
}

void tdpc_scene_ball_set(tdpc_scene *s, double x, double y, double r)
{
    s->ball_r = f32_round(r);
    s->ball = vec3_f32(vec3_make(x, y, s->ball_r));
    tdpc_prim *p = owner_block(s, TDPC_ID_BALL, 1);
    tdpc_prim_set(p, TDPC_PRIM_ELLIPSOID, TDPC_ID_BALL, s->ball, vec3_make(s->ball_r, s->ball_r, s->ball_r), 0,
                  BALL_RED);
    owner_bounds(s, TDPC_ID_BALL);
}

/* Distance on the ground from (x, y) to object o's footprint rectangle (0 inside). */
static double footprint_distance(const tdpc_object *o, double x, double y)
{
    const double c = cos(o->yaw), sn = sin(o->yaw);
    const double dx = x - o->pos.x, dy = y - o->pos.y;
    const double lx = c * dx + sn * dy, ly = -sn * dx + c * dy;
    const double ex = lx < o->fx0 ? o->fx0 - lx : lx > o->fx1 ? lx - o->fx1 : 0;
    const double ey = ly < o->fy0 ? o->fy0 - ly : ly > o->fy1 ? ly - o->fy1 : 0;
    return hypot(ex, ey);
}

int tdpc_scene_fits(const tdpc_scene *s)
{
    /* a gap well above the occlusion margin, so no sight line starts inside a grown occluder */
    const double gap = 0.08, reach = 2.2;
    const double bx = s->ball.x, by = s->ball.y, ox = s->obs.body.x, oy = s->obs.body.y;
    if (hypot(bx, by) > reach || hypot(ox, oy) > reach) return 0;
    if (hypot(bx - ox, by - oy) < s->ball_r + TDPC_OBS_FOOTPRINT + 0.3) return 0;
    for (int k = 0; k < s->nobjects; k++) {
        if (footprint_distance(&s->objects[k], bx, by) < s->ball_r + gap) return 0;
        if (footprint_distance(&s->objects[k], ox, oy) < TDPC_OBS_FOOTPRINT + gap) return 0;
    }
    return 1;
}

void tdpc_camera_orbit(const tdpc_scene *s, int frames, int f, tdpc_camera *cam)
{
    const double a = s->cam_phase + 2 * M_PI * f / frames;
    cam->pos = vec3_f32(vec3_make(s->cam_radius * cos(a), s->cam_radius * sin(a), s->cam_height));
    cam->target = vec3_f32(s->cam_target);
    cam->fwd = vec3_unit(vec3_sub(cam->target, cam->pos));
    cam->right = vec3_unit(vec3_cross(cam->fwd, vec3_make(0, 0, 1)));
    cam->up = vec3_cross(cam->right, cam->fwd);
    cam->tan_half = tan(TDPC_CAMERA_FOV_DEG * M_PI / 360.0);
}

int tdpc_camera_project(const tdpc_camera *cam, vec3 p, double *u, double *v)
{
    const vec3 d = vec3_sub(p, cam->pos);
    const double z = vec3_dot(d, cam->fwd);
    if (z <= 0) return 0;
    *u = vec3_dot(d, cam->right) / (z * cam->tan_half);
    *v = vec3_dot(d, cam->up) / (z * cam->tan_half);
    return 1;
}

void tdpc_scene_object_pop(tdpc_scene *s)
{
    const int id = TDPC_ID_OBJECT0 + --s->nobjects;
    s->nprims -= s->count[id];
    s->count[id] = 0;
}

double tdpc_object_edge(const tdpc_object *o, double angle)
{
    const double dx = cos(angle - o->yaw), dy = sin(angle - o->yaw);
    double t = 1e9;
    if (dx > 1e-12) t = fmin(t, o->fx1 / dx);
    if (dx < -1e-12) t = fmin(t, o->fx0 / dx);
    if (dy > 1e-12) t = fmin(t, o->fy1 / dy);
    if (dy < -1e-12) t = fmin(t, o->fy0 / dy);
    return t;
}

double tdpc_object_reach(const tdpc_object *o)
{
    const double x = fmax(fabs(o->fx0), fabs(o->fx1)), y = fmax(fabs(o->fy0), fabs(o->fy1));
    return hypot(x, y);
}
