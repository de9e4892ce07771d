/* setting.c: one 3D-PC setting (an arrangement with its camera path), drawn
 * by redraws until it serves every task, and the views a file takes of it.
 *
 * Setting s of a split is drawn from sub-stream `attempt` of (seed,
 * PH_STREAM_CONTENT, s), attempts 0, 1, ... until one is kept; its object
 * (category and instance) from sub-stream TDPC_SUB_OBJECT of s / 2, shared
 * by the pair of settings (2k, 2k+1); which views a file shows from
 * sub-stream TDPC_SUB_VIEWS of s.  A setting is kept when its VPT label is
 * defined and is the target (one positive in each pair of settings), the
 * camera sees ball and observer in at least K frames, the depth label has
 * at least ceil(K/2) frames each way, and a VPT-Strategy pair exists (by the
 * drawn move, else by the next that works) that the camera sees in at least
 * ceil(K/2) frames.  Every task asks all of this, so depth, VPT and
 * VPT-Strategy files of one seed hold the same settings. */
#include "threedpc.h"

#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>

#define TDPC_SUB_VIEWS 0x10000000u
#define TDPC_SUB_OBJECT 0x20000000u
enum { PLACE_TRIES = 50, CLUTTER_TRIES = 20 };
/* Share of observers that face anywhere; the others face the ball give or take
 * 30 degrees, so that most unseen balls are hidden, not behind the observer. */
#define LOOK_ELSEWHERE 0.1

const char *const tdpc_task_names[TDPC_TASK_COUNT] = {"depth", "vpt", "vpt_strategy"};
const char *const tdpc_objects_names[TDPC_OBJECTS_COUNT] = {"seen", "held_out", "all"};

/* Ground albedos: concrete, sand, slate, clay, asphalt. */
static const float GROUND[][3] = {
    {0.38f, 0.37f, 0.35f}, {0.50f, 0.42f, 0.30f}, {0.25f, 0.28f, 0.32f}, {0.42f, 0.33f, 0.26f}, {0.20f, 0.20f, 0.21f}};

static double uni(ph_rng *r, double lo, double hi) { return lo + (hi - lo) * ph_rng_uniform(r); }

static int instance_draw(const tdpc_params *p, ph_rng *r)
{
    const int seen = p->instances - p->held_out;
    const int lo = p->objects == TDPC_OBJECTS_HELD_OUT ? seen + 1 : 1;
    const int hi = p->objects == TDPC_OBJECTS_SEEN ? seen : p->instances;
    return lo + (int)ph_rng_below(r, (uint32_t)(hi - lo + 1));
}

/* Lays out one candidate: light, ground, camera path, the setting's object
 * at the centre, clutter beyond the camera path (the background, as a
 * captured scene has one; from 6 out no object reaches inside the path's
 * radius, so none comes between the camera and the actors), then ball and
 * observer around the object (the observer on the far side from the ball,
 * give or take 75 degrees).  0, or -1 if no placement fitted. */
static int scene_draw(tdpc_scene *s, const tdpc_params *p, int category, int instance, ph_rng *r)
{
    tdpc_scene_init(s);
    const double sun_az = uni(r, 0, 2 * M_PI), sun_el = uni(r, 35, 65) * M_PI / 180;
    s->light = vec3_make(cos(sun_el) * cos(sun_az), cos(sun_el) * sin(sun_az), sin(sun_el));
    const float *g = GROUND[ph_rng_below(r, sizeof GROUND / sizeof GROUND[0])];
    for (int k = 0; k < 3; k++) s->ground_rgb[k] = g[k];
    s->tile = uni(r, 0.4, 0.7);
    s->cam_radius = uni(r, 3.4, 4.2);
    s->cam_height = uni(r, 1.5, 2.4);
    s->cam_phase = uni(r, 0, 2 * M_PI);
    const double target_z = uni(r, 0.3, 0.5);

    const double yaw = uni(r, 0, 2 * M_PI);
    if (tdpc_scene_object_add(s, category, instance, vec3_make(0, 0, 0), yaw)) return -1;
    for (int c = 0; c < p->clutter; c++) {
        const int cat = (int)ph_rng_below(r, TDPC_CATEGORIES);
        const int inst = instance_draw(p, r);
        for (int t = 0; t < CLUTTER_TRIES; t++) {
            const double a = uni(r, 0, 2 * M_PI), d = uni(r, 6.0, 7.5), cyaw = uni(r, 0, 2 * M_PI);
            if (tdpc_scene_object_add(s, cat, inst, vec3_make(d * cos(a), d * sin(a), 0), cyaw)) return -1;
            const tdpc_object *o = &s->objects[s->nobjects - 1];
            int clear = 1;
            for (int k = 0; k < s->nobjects - 1 && clear; k++)
                clear = hypot(o->pos.x - s->objects[k].pos.x, o->pos.y - s->objects[k].pos.y) >
                        tdpc_object_reach(o) + tdpc_object_reach(&s->objects[k]) + 0.2;
            if (clear) break;
            tdpc_scene_object_pop(s);
        }
    }

    const tdpc_object *main_obj = &s->objects[0];
    for (int t = 0; t < PLACE_TRIES; t++) {
        const double r_ball = uni(r, 0.14, 0.20);
        const double ab = uni(r, 0, 2 * M_PI), db = uni(r, 0.1, 1.0);
        const double ao = ab + M_PI + uni(r, -75, 75) * M_PI / 180, dobs = uni(r, 0.1, 1.0);
        const double height = uni(r, 0.40, 1.50), turn = uni(r, -30, 30) * M_PI / 180;
        const double elsewhere = ph_rng_uniform(r), any = uni(r, 0, 2 * M_PI);
        const double rb = tdpc_object_edge(main_obj, ab) + r_ball + db;
        const double ro = tdpc_object_edge(main_obj, ao) + TDPC_OBS_FOOTPRINT + dobs;
        const double bx = rb * cos(ab), by = rb * sin(ab), ox = ro * cos(ao), oy = ro * sin(ao);
        tdpc_scene_ball_set(s, bx, by, r_ball);
        tdpc_scene_observer_set(s, ox, oy, height, elsewhere < LOOK_ELSEWHERE ? any : atan2(by - oy, bx - ox) + turn);
        /* the views centre on the object, ball and observer together */
        s->cam_target = vec3_make((bx + ox) / 3, (by + oy) / 3, target_z);
        if (tdpc_scene_fits(s)) return 0;
    }
    return -1;
}

int tdpc_setting_target(uint32_t seed, int64_t setting)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_LABEL, (uint64_t)(setting / 2), 0);
    return (uint32_t)(setting & 1) == (ph_rng_u32(&r) & 1u);
}

/* The checks of one candidate; 0 when it is kept. */
static int setting_check(tdpc_setting *st, const tdpc_params *p, int target)
{
    const int K = p->per_setting, half = (K + 1) / 2;
    if (st->vpt != target) return -1;
    int seen = 0, near = 0, far = 0;
    for (int f = 0; f < p->frames; f++) {
        tdpc_camera cam;
        tdpc_camera_orbit(&st->base, p->frames, f, &cam);
        st->seen[f] = (int8_t)tdpc_frame_seen(&st->base, &cam);
        st->depth[f] = (int8_t)(st->seen[f] ? tdpc_depth_label(&st->base, &cam, p->depth_margin) : -1);
        seen += st->seen[f];
        far += st->depth[f] == 1;
        near += st->depth[f] == 0;
    }
    if (seen < K || far < half || near < half) return -1;
    /* the drawn move first, then the others: a ball hidden under a table may
     * need the observer to step aside, one in plain view a turn */
    int found = -1;
    for (int k = 0; k < 3 && found; k++) {
        const tdpc_move m = (tdpc_move)(TDPC_MOVE_BALL + (st->move - TDPC_MOVE_BALL + k) % 3);
        found = tdpc_strategy_find(&st->base, m, p->fov_deg, st->pair, &st->amount);
        if (!found) st->move = m;
    }
    if (found) return -1;
    int both = 0;
    for (int f = 0; f < p->frames; f++) {
        tdpc_camera cam;
        tdpc_camera_orbit(&st->base, p->frames, f, &cam);
        st->pair_seen[f] = (int8_t)(tdpc_frame_seen(&st->pair[0], &cam) && tdpc_frame_seen(&st->pair[1], &cam));
        both += st->pair_seen[f];
    }
    return both >= half ? 0 : -1;
}

int tdpc_setting_candidate(tdpc_setting *st, const tdpc_params *p, uint32_t seed, int64_t setting, int attempt)
{
    /* Both settings of a pair (one positive, one negative) show the same object,
     * so that the object says nothing about the label: thin objects hide less. */
    ph_rng pr, r;
    ph_rng_init(&pr, seed, PH_STREAM_CONTENT, (uint64_t)(setting / 2), TDPC_SUB_OBJECT);
    const int category = (int)ph_rng_below(&pr, TDPC_CATEGORIES);
    const int instance = instance_draw(p, &pr);
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)setting, (uint32_t)attempt);
    if (scene_draw(&st->base, p, category, instance, &r)) return -1;
    st->move = (tdpc_move)(TDPC_MOVE_BALL + (int)ph_rng_below(&r, 3));
    st->attempt = attempt;
    st->vpt = tdpc_vpt_label(&st->base, p->fov_deg, &st->why);
    return 0;
}

void tdpc_setting_make(tdpc_setting *st, const tdpc_params *p, uint32_t seed, int64_t setting)
{
    const int target = tdpc_setting_target(seed, setting);
    for (int attempt = 0; attempt < TDPC_ATTEMPTS; attempt++)
        if (tdpc_setting_candidate(st, p, seed, setting, attempt) == 0 && setting_check(st, p, target) == 0) return;
    char why[160];
    snprintf(why, sizeof why, "setting %lld: nothing kept in %d redraws", (long long)setting, TDPC_ATTEMPTS);
    PH_FAIL("drawing a 3D-PC setting", why, "this is a bug; report it with the seed and the config");
}

/* The frames whose flag equals `want`, in a Fisher-Yates order; their count. */
static int frames_shuffled(const int8_t *flags, int want, int frames, ph_rng *r, int *out)
{
    int n = 0;
    for (int f = 0; f < frames; f++)
        if (flags[f] == want) out[n++] = f;
    for (int k = n - 1; k > 0; k--) {
        const int j = (int)ph_rng_below(r, (uint32_t)k + 1), t = out[k];
        out[k] = out[j], out[j] = t;
    }
    return n;
}

void tdpc_view_pick(const tdpc_setting *st, const tdpc_params *p, uint32_t seed, int64_t index, tdpc_view *v)
{
    const int K = p->per_setting;
    int list[TDPC_MAX_FRAMES];
    ph_rng r;
    v->setting = index / K;
    v->slot = (int)(index % K);
    v->member = -1;
    v->scene = &st->base;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)v->setting, TDPC_SUB_VIEWS);
    switch (p->task) {
    case TDPC_TASK_VPT:
        frames_shuffled(st->seen, 1, p->frames, &r, list);
        v->frame = list[v->slot];
        v->label = st->vpt;
        break;
    case TDPC_TASK_DEPTH: {
        /* slots alternate between the labels, starting from a drawn one */
        const int first = (int)(ph_rng_u32(&r) & 1u);
        v->label = (v->slot + first) & 1;
        int other[TDPC_MAX_FRAMES];
        frames_shuffled(st->depth, 1, p->frames, &r, v->label ? list : other);
        frames_shuffled(st->depth, 0, p->frames, &r, v->label ? other : list);
        v->frame = list[v->slot / 2];
        break;
    }
    default: { /* VPT-Strategy: slots 2q and 2q+1 are pair q, in a drawn order, on one frame */
        frames_shuffled(st->pair_seen, 1, p->frames, &r, list);
        const int q = v->slot / 2;
        uint32_t first = 0;
        for (int k = 0; k <= q; k++) first = ph_rng_u32(&r) & 1u;
        v->member = v->slot & 1;
        v->label = v->member == 0 ? (int)first : 1 - (int)first;
        v->frame = list[q];
        v->scene = &st->pair[v->label];
        break;
    }
    }
}
