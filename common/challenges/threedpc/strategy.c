/* strategy.c: VPT-Strategy pairs.  The original builds them so that the
 * smallest move of the ball or the observer flips what the observer sees
 * while the picture barely changes; here a move is one parameter (a
 * sideways shift of the ball or of the observer, across the line of sight,
 * or a turn of the observer) scanned outwards from the setting in small
 * steps until the label flips.  The pair is the last position that keeps
 * the setting's label and the first that has the other one, so the two
 * scenes differ by the least move the labels' margins allow. */
#include "threedpc.h"

#include <math.h>
#include <stddef.h>

/* Steps and reach: a pair further apart than the reach is no near-identical
 * pair, and the setting is redrawn. */
enum { SHIFT_STEPS = 60, TURN_STEPS = 40 };
#define SHIFT_STEP 0.01                /* world units: a 0.6 reach */
#define TURN_STEP (0.5 * M_PI / 180.0) /* radians: a 20 degree reach */

/* The base moved by t; 0 if the moved scene does not fit. */
static int moved(const tdpc_scene *base, tdpc_move move, vec3 across, double t, tdpc_scene *out)
{
    *out = *base;
    const tdpc_observer *o = &base->obs;
    switch (move) {
    case TDPC_MOVE_BALL:
        tdpc_scene_ball_set(out, base->ball.x + t * across.x, base->ball.y + t * across.y, base->ball_r);
        break;
    case TDPC_MOVE_OBSERVER:
        tdpc_scene_observer_set(out, o->body.x + t * across.x, o->body.y + t * across.y, o->height, o->yaw);
        break;
    case TDPC_MOVE_TURN:
        tdpc_scene_observer_set(out, o->body.x, o->body.y, o->height, o->yaw + t);
        break;
    default:
        return 0;
    }
    return tdpc_scene_fits(out);
}

int tdpc_strategy_find(const tdpc_scene *base, tdpc_move move, double fov_deg, tdpc_scene out[2], double *amount)
{
    const int label = tdpc_vpt_label(base, fov_deg, NULL);
    if (label < 0) return -1;
    /* sideways: horizontal and across the observer's line of sight to the ball */
    const vec3 across = vec3_unit(vec3_cross(vec3_sub(base->ball, base->obs.eye), vec3_make(0, 0, 1)));
    const int steps = move == TDPC_MOVE_TURN ? TURN_STEPS : SHIFT_STEPS;
    const double step = move == TDPC_MOVE_TURN ? TURN_STEP : SHIFT_STEP;
    tdpc_scene trial;
    int best_k = 0, best_keep = 0, best_dir = 0;
    for (int dir = 1; dir >= -1; dir -= 2) {
        int keep = 0; /* last step with the base's label */
        for (int k = 1; k <= steps && (!best_k || k < best_k); k++) {
            if (!moved(base, move, across, dir * k * step, &trial)) break;
            const int l = tdpc_vpt_label(&trial, fov_deg, NULL);
            if (l == label) keep = k;
            if (l >= 0 && l != label) {
                best_k = k, best_keep = keep, best_dir = dir;
                break;
            }
        }
    }
    if (!best_k) return -1;
    moved(base, move, across, best_dir * best_keep * step, &out[label]);
    moved(base, move, across, best_dir * best_k * step, &out[1 - label]);
    *amount = (best_k - best_keep) * (move == TDPC_MOVE_TURN ? 0.5 : SHIFT_STEP);
    return 0;
}
