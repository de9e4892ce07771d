/* labels.c: the labels of a 3D-PC scene, from its geometry.
 *
 * VPT: the ball counts as seen when it lies wholly inside the observer's
 * field of view (a cone of fov degrees about its facing) and all nine sight
 * lines from the eye to the ball (centre and 8 rim points) are clear; as
 * not seen when it lies wholly outside the cone, or inside it with all nine
 * sight lines blocked.  A partly hidden ball, or one on the cone's edge, has
 * no label.  Margins (occluders grown or shrunk by TDPC_OCCLUSION_MARGIN,
 * the cone widened or narrowed by TDPC_FOV_MARGIN_DEG) keep every label
 * clear of the threshold, so an exact re-check from the stored float32
 * parameters agrees.  Only objects occlude sight lines: the observer does
 * not block its own view, and the ball is the target. */
#include "threedpc.h"

#include <math.h>
#include <stddef.h>

void tdpc_ball_points(vec3 centre, double r, vec3 from, vec3 *out)
{
    const vec3 dir = vec3_unit(vec3_sub(centre, from));
    vec3 u = vec3_cross(dir, vec3_make(0, 0, 1));
    u = vec3_len(u) > 1e-9 ? vec3_unit(u) : vec3_make(1, 0, 0);
    const vec3 w = vec3_cross(u, dir);
    out[0] = centre;
    for (int k = 0; k < 8; k++) {
        const double a = k * M_PI / 4;
        out[1 + k] = vec3_add(centre, vec3_add(vec3_scale(u, r * cos(a)), vec3_scale(w, r * sin(a))));
    }
}

int tdpc_vpt_label(const tdpc_scene *s, double fov_deg, tdpc_vpt_why *why)
{
    tdpc_vpt_why dummy;
    if (!why) why = &dummy;
    const vec3 v = vec3_sub(s->ball, s->obs.eye);
    const double d = vec3_len(v);
    const double cosang = vec3_dot(v, s->obs.facing) / (d * vec3_len(s->obs.facing));
    const double theta = acos(fmax(-1.0, fmin(1.0, cosang)));
    const double alpha = asin(fmin(1.0, s->ball_r / d));
    const double half = fov_deg * M_PI / 360.0, margin = TDPC_FOV_MARGIN_DEG * M_PI / 180.0;
    if (theta - alpha >= half + margin) return *why = TDPC_VPT_OUTSIDE, 0;
    if (theta + alpha > half - margin) return *why = TDPC_VPT_EDGE, -1;
    vec3 pts[TDPC_BALL_POINTS];
    tdpc_ball_points(s->ball, s->ball_r, s->obs.eye, pts);
    int clear = 0, blocked = 0;
    for (int k = 0; k < TDPC_BALL_POINTS; k++) {
        clear += !tdpc_segment_blocked(s, s->obs.eye, pts[k], TDPC_OCCLUSION_MARGIN, TDPC_OBJECT_BITS);
        blocked += tdpc_segment_blocked(s, s->obs.eye, pts[k], -TDPC_OCCLUSION_MARGIN, TDPC_OBJECT_BITS);
    }
    if (clear == TDPC_BALL_POINTS) return *why = TDPC_VPT_SEEN, 1;
    if (blocked == TDPC_BALL_POINTS) return *why = TDPC_VPT_HIDDEN, 0;
    return *why = TDPC_VPT_PARTLY, -1;
}

int tdpc_depth_label(const tdpc_scene *s, const tdpc_camera *cam, double margin)
{
    const double db = vec3_dist(s->ball, cam->pos), dobs = vec3_dist(s->obs.body, cam->pos);
    if (fabs(db - dobs) < margin * (db + dobs) / 2) return -1;
    return db > dobs;
}

static int on_screen(const tdpc_camera *cam, vec3 p)
{
    double u, v;
    return tdpc_camera_project(cam, p, &u, &v) && fabs(u) <= TDPC_SCREEN_MARGIN && fabs(v) <= TDPC_SCREEN_MARGIN;
}

int tdpc_frame_seen(const tdpc_scene *s, const tdpc_camera *cam)
{
    if (!on_screen(cam, s->ball) || !on_screen(cam, s->obs.body) || !on_screen(cam, s->obs.eye)) return 0;
    const unsigned others = TDPC_OBJECT_BITS;
    if (tdpc_segment_blocked(s, cam->pos, s->obs.body, TDPC_OCCLUSION_MARGIN, others | TDPC_OWNER_BIT(TDPC_ID_BALL)) ||
        tdpc_segment_blocked(s, cam->pos, s->obs.eye, TDPC_OCCLUSION_MARGIN, others | TDPC_OWNER_BIT(TDPC_ID_BALL)))
        return 0;
    vec3 pts[TDPC_BALL_POINTS];
    tdpc_ball_points(s->ball, s->ball_r, cam->pos, pts);
    int clear = 0;
    for (int k = 0; k < TDPC_BALL_POINTS; k++)
        clear += !tdpc_segment_blocked(s, cam->pos, pts[k], TDPC_OCCLUSION_MARGIN,
                                       others | TDPC_OWNER_BIT(TDPC_ID_OBSERVER));
    return clear >= 5;
}
