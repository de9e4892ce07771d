/* test_threedpc.c: the 3D-PC challenge.
 *
 * Labels are checked against a geometric check of the test's own, which
 * reads only the stored metadata (camera, observer, ball, primitives) and
 * decides segment-primitive meetings by minimising over the segment (the
 * generator intersects lines and clips their roots): every image of a
 * small set of each task has the depth and VPT labels the check gives, with
 * no image near a threshold, the camera seeing ball and observer, and maps
 * that agree with the camera model.  Constructed scenes: a ball behind an
 * occluder is not seen, one in plain view is, one behind the observer is
 * not.  Also: balanced labels, VPT-Strategy pairs that differ by one small
 * move, held-out instances, one object per pair of settings, purity, and
 * the same settings in every task's file. */
#include "challenges/challenge.h"
#include "challenges/threedpc/threedpc.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum {
    F_X,
    F_Y,
    F_SETTING,
    F_FRAME,
    F_LABELS,
    F_OBJECTS,
    F_CAMERA,
    F_OBSERVER,
    F_BALL,
    F_PRIMS,
    F_MOVE,
    F_DEPTH,
    F_IDS,
    F_N
};

typedef struct {
    const ph_challenge *ch;
    tdpc_params p;
    int nf;
    ph_field fields[PH_MAX_FIELDS];
    uint8_t *slot[PH_MAX_FIELDS];
} sample;

static tdpc_params params_default(tdpc_task task)
{
    return (tdpc_params){.task = task,
                         .size = 64,
                         .supersample = 1,
                         .frames = 50,
                         .per_setting = 8,
                         .instances = 3,
                         .held_out = 1,
                         .clutter = 2,
                         .fov_deg = 90,
                         .depth_margin = 0.05,
                         .objects = TDPC_OBJECTS_SEEN};
}

static void sample_init(sample *s, tdpc_params p)
{
    memset(s, 0, sizeof *s);
    s->ch = ph_challenge_find("threedpc");
    assert_non_null(s->ch);
    s->p = p;
    s->nf = s->ch->fields(&s->p, s->fields, PH_MAX_FIELDS);
    assert_int_equal(s->nf, F_N);
    assert_string_equal(s->fields[F_PRIMS].name, "meta/prims");
    assert_string_equal(s->fields[F_IDS].name, "maps/ids");
    for (int f = 0; f < s->nf; f++) s->slot[f] = malloc(ph_field_sample_bytes(&s->fields[f]));
}

static void sample_make(sample *s, uint32_t seed, int64_t index)
{
    for (int f = 0; f < s->nf; f++) memset(s->slot[f], 0, ph_field_sample_bytes(&s->fields[f]));
    s->ch->generate(&s->p, seed, index, (void *const *)s->slot);
}

static void sample_free(sample *s)
{
    for (int f = 0; f < s->nf; f++) free(s->slot[f]);
}

static int32_t i32(const sample *s, int f, int k) { return ((const int32_t *)s->slot[f])[k]; }
static const float *f32(const sample *s, int f) { return (const float *)s->slot[f]; }

/* ---- the independent check ------------------------------------------------- */

typedef struct {
    double x[3];
} pt;

static pt mk(double a, double b, double c) { return (pt){{a, b, c}}; }
static pt from_f(const float *v) { return mk(v[0], v[1], v[2]); }
static pt sub(pt a, pt b) { return mk(a.x[0] - b.x[0], a.x[1] - b.x[1], a.x[2] - b.x[2]); }
static pt addm(pt a, double s, pt b) { return mk(a.x[0] + s * b.x[0], a.x[1] + s * b.x[1], a.x[2] + s * b.x[2]); }
static double dot(pt a, pt b) { return a.x[0] * b.x[0] + a.x[1] * b.x[1] + a.x[2] * b.x[2]; }
static double norm(pt a) { return sqrt(dot(a, a)); }
static pt unit(pt a) { return addm(mk(0, 0, 0), 1 / norm(a), a); }
static pt cross(pt a, pt b)
{
    return mk(a.x[1] * b.x[2] - a.x[2] * b.x[1], a.x[2] * b.x[0] - a.x[0] * b.x[2], a.x[0] * b.x[1] - a.x[1] * b.x[0]);
}

/* Clip [*t0, *t1] to where lo <= a + t d <= hi; 0 if empty. */
static int clip(double a, double d, double lo, double hi, double *t0, double *t1)
{
    if (d == 0) return a >= lo && a <= hi;
    double u = (lo - a) / d, v = (hi - a) / d;
    if (u > v) {
        double t = u;
        u = v, v = t;
    }
    *t0 = fmax(*t0, u), *t1 = fmin(*t1, v);
    return *t0 <= *t1;
}

/* min over t in [t0, t1] of |q + t d|^2 restricted to the components in use. */
static double min_sq(const double *q, const double *d, const int *axes, int n, double t0, double t1)
{
    double qd = 0, dd = 0;
    for (int k = 0; k < n; k++) qd += q[axes[k]] * d[axes[k]], dd += d[axes[k]] * d[axes[k]];
    double t = dd > 0 ? -qd / dd : t0;
    t = fmin(t1, fmax(t0, t));
    double v = 0;
    for (int k = 0; k < n; k++) v += (q[axes[k]] + t * d[axes[k]]) * (q[axes[k]] + t * d[axes[k]]);
    return v;
}

/* Whether segment a-b meets a row of /meta/prims (exact). */
static int seg_meets(const float *row, pt a, pt b)
{
    const double c = cos(row[8]), s = sin(row[8]);
    double A[3], D[3];
    const pt da = sub(a, from_f(row + 2)), db = sub(b, from_f(row + 2));
    A[0] = c * da.x[0] + s * da.x[1], A[1] = -s * da.x[0] + c * da.x[1], A[2] = da.x[2];
    const double B0 = c * db.x[0] + s * db.x[1], B1 = -s * db.x[0] + c * db.x[1], B2 = db.x[2];
    D[0] = B0 - A[0], D[1] = B1 - A[1], D[2] = B2 - A[2];
    const double h[3] = {row[5], row[6], row[7]};
    double t0 = 0, t1 = 1;
    switch ((int)row[1]) {
    case 1: /* box */
        for (int k = 0; k < 3; k++)
            if (!clip(A[k], D[k], -h[k], h[k], &t0, &t1)) return 0;
        return 1;
    case 2: { /* ellipsoid: the nearest point of the scaled segment to the centre */
        double q[3], d[3];
        const int axes[3] = {0, 1, 2};
        for (int k = 0; k < 3; k++) q[k] = A[k] / h[k], d[k] = D[k] / h[k];
        return min_sq(q, d, axes, 3, 0, 1) <= 1;
    }
    case 3: { /* cylinder along z: radius h[0], half-length h[2] */
        const int axes[2] = {0, 1};
        if (!clip(A[2], D[2], -h[2], h[2], &t0, &t1)) return 0;
        return min_sq(A, D, axes, 2, t0, t1) <= h[0] * h[0];
    }
    case 4: { /* cylinder along x: radius h[1], half-length h[0] */
        const int axes[2] = {1, 2};
        if (!clip(A[0], D[0], -h[0], h[0], &t0, &t1)) return 0;
        return min_sq(A, D, axes, 2, t0, t1) <= h[1] * h[1];
    }
    default:
        return 0;
    }
}

/* Whether a-b meets a stored primitive whose owner passes `want`. */
static int blocked(const sample *s, pt a, pt b, int (*want)(int owner))
{
    for (int k = 0; k < TDPC_MAX_PRIMS; k++) {
        const float *row = f32(s, F_PRIMS) + k * TDPC_PRIM_FIELDS;
        if (row[1] != 0 && want((int)row[0]) && seg_meets(row, a, b)) return 1;
    }
    return 0;
}

static int is_object(int o) { return o >= 4; }
static int object_or_observer(int o) { return o >= 3; }
static int object_or_ball(int o) { return o >= 4 || o == 2; }

/* The documented sight-line targets: centre, then 8 rim points across the line of sight. */
static void ball_points(pt c, double r, pt from, pt *out)
{
    const pt dir = unit(sub(c, from));
    pt u = cross(dir, mk(0, 0, 1));
    u = norm(u) > 1e-9 ? unit(u) : mk(1, 0, 0);
    const pt w = cross(u, dir);
    out[0] = c;
    for (int k = 0; k < 8; k++) out[1 + k] = addm(addm(c, r * cos(k * M_PI / 4), u), r * sin(k * M_PI / 4), w);
}

/* VPT by the rule: 1, 0, or -1 (no label: straddling the cone, or partly hidden). */
static int vpt_check(const sample *s, double fov_deg)
{
    const pt eye = from_f(f32(s, F_OBSERVER)), facing = from_f(f32(s, F_OBSERVER) + 3);
    const pt ball = from_f(f32(s, F_BALL));
    const double r = f32(s, F_BALL)[3];
    const pt v = sub(ball, eye);
    const double theta = acos(fmax(-1, fmin(1, dot(v, facing) / (norm(v) * norm(facing)))));
    const double alpha = asin(r / norm(v)), half = fov_deg * M_PI / 360;
    if (theta - alpha >= half) return 0;
    if (theta + alpha > half) return -1;
    pt pts[9];
    ball_points(ball, r, eye, pts);
    int hidden = 0;
    for (int k = 0; k < 9; k++) hidden += blocked(s, eye, pts[k], is_object);
    return hidden == 0 ? 1 : hidden == 9 ? 0 : -1;
}

typedef struct {
    pt pos, fwd, right, up;
    double tan_half;
} cam_model;

static cam_model camera_of(const sample *s)
{
    cam_model c;
    const float *cm = f32(s, F_CAMERA);
    c.pos = from_f(cm);
    c.fwd = unit(sub(from_f(cm + 3), c.pos));
    c.right = unit(cross(c.fwd, mk(0, 0, 1)));
    c.up = cross(c.right, c.fwd);
    c.tan_half = tan(cm[6] * M_PI / 360);
    return c;
}

static int in_view(const cam_model *c, pt p)
{
    const pt d = sub(p, c->pos);
    const double z = dot(d, c->fwd);
    return z > 0 && fabs(dot(d, c->right) / (z * c->tan_half)) <= TDPC_SCREEN_MARGIN + 1e-9 &&
           fabs(dot(d, c->up) / (z * c->tan_half)) <= TDPC_SCREEN_MARGIN + 1e-9;
}

/* Every check of one stored image; its VPT label by the check. */
static int check_image(const sample *s, double fov_deg, double margin)
{
    const cam_model cam = camera_of(s);
    const pt eye = from_f(f32(s, F_OBSERVER)), body = from_f(f32(s, F_OBSERVER) + 6);
    const pt ball = from_f(f32(s, F_BALL));
    const double r = f32(s, F_BALL)[3];
    /* depth: distances from the camera; no label within the margin (VPT images may have none) */
    const double db = norm(sub(ball, cam.pos)), dobs = norm(sub(body, cam.pos));
    const int near_threshold = fabs(db - dobs) < margin * (db + dobs) / 2;
    assert_int_equal(i32(s, F_LABELS, 0), near_threshold ? -1 : db > dobs);
    if (s->p.task == TDPC_TASK_DEPTH) assert_false(near_threshold);
    /* vpt */
    const int vpt = vpt_check(s, fov_deg);
    assert_true(vpt >= 0);
    assert_int_equal(i32(s, F_LABELS, 1), vpt);
    assert_int_equal(i32(s, F_Y, 0), s->p.task == TDPC_TASK_DEPTH ? db > dobs : vpt);
    /* the camera sees both */
    assert_true(in_view(&cam, ball) && in_view(&cam, body) && in_view(&cam, eye));
    assert_false(blocked(s, cam.pos, body, object_or_ball));
    assert_false(blocked(s, cam.pos, eye, object_or_ball));
    pt pts[9];
    ball_points(ball, r, cam.pos, pts);
    int clear = 0;
    for (int k = 0; k < 9; k++) clear += !blocked(s, cam.pos, pts[k], object_or_observer);
    assert_true(clear >= 5);
    /* maps: the ground's depth is where the pixel's ray meets z = 0; the
     * ball's lies between its centre's distance less r and that distance */
    const int S = s->p.size;
    const float *depth = f32(s, F_DEPTH), *ids = f32(s, F_IDS);
    int ball_px = 0, obs_px = 0, ground_px = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const int id = (int)ids[y * S + x];
            assert_true(id >= 0 && id < TDPC_ID_OBJECT0 + TDPC_MAX_OBJECTS && ids[y * S + x] == id);
            const double u = 2 * (x + 0.5) / S - 1, v = 1 - 2 * (y + 0.5) / S;
            const pt dir = unit(addm(addm(cam.fwd, u * cam.tan_half, cam.right), v * cam.tan_half, cam.up));
            const double d = depth[y * S + x];
            if (id == TDPC_ID_SKY) assert_true(d == 0 && dir.x[2] > -1e-3);
            if (id == TDPC_ID_GROUND) {
                const double t = -cam.pos.x[2] / dir.x[2];
                assert_true(fabs(t - d) <= 1e-4 * t);
                ground_px++;
            }
            if (id == TDPC_ID_BALL) {
                assert_true(d >= db - r - 1e-4 && d <= db + 1e-4);
                ball_px++;
            }
            obs_px += id == TDPC_ID_OBSERVER;
        }
    assert_true(ball_px >= 4 && obs_px >= 4 && ground_px > S * S / 10);
    return vpt;
}

/* ---- tests ------------------------------------------------------------------ */

/* Every image of each task on a small set (3 settings x 8 frames per task and
 * object set), at two fields of view. */
static void test_labels_agree_with_geometry(void **state)
{
    (void)state;
    for (int task = 0; task < TDPC_TASK_COUNT; task++)
        for (int objects = 0; objects < 2; objects++) {
            tdpc_params p = params_default((tdpc_task)task);
            p.objects = (tdpc_objects)objects;
            if (task == TDPC_TASK_VPT && objects == 1) p.fov_deg = 60;
            sample s;
            sample_init(&s, p);
            for (int64_t i = 0; i < 24; i++) {
                sample_make(&s, 21, i);
                check_image(&s, p.fov_deg, p.depth_margin);
            }
            sample_free(&s);
        }
}

/* A couch turned to lie along the y axis at the origin, an observer with its
 * body 0.5 high facing +x, and a ball of radius 0.15. */
static void scene_build(tdpc_scene *sc, double ball_x, double ball_y, double obs_x, double obs_y)
{
    tdpc_scene_init(sc);
    assert_int_equal(tdpc_scene_object_add(sc, 3 /* couch */, 1, vec3_make(0, 0, 0), M_PI / 2), 0);
    tdpc_scene_observer_set(sc, obs_x, obs_y, 0.5, 0);
    tdpc_scene_ball_set(sc, ball_x, ball_y, 0.15);
}

static void test_constructed_scenes(void **state)
{
    (void)state;
    assert_string_equal(tdpc_category_names[3], "couch");
    tdpc_scene *sc = malloc(sizeof *sc);
    tdpc_vpt_why why;
    /* behind the couch, dead ahead */
    scene_build(sc, 1.5, 0, -1.5, 0);
    assert_true(tdpc_scene_fits(sc));
    assert_int_equal(tdpc_vpt_label(sc, 90, &why), 0);
    assert_int_equal(why, TDPC_VPT_HIDDEN);
    /* past the couch's end, nothing in between */
    scene_build(sc, 1.2, -1.5, -0.5, -1.5);
    assert_true(tdpc_scene_fits(sc));
    assert_int_equal(tdpc_vpt_label(sc, 90, &why), 1);
    assert_int_equal(why, TDPC_VPT_SEEN);
    /* the ball behind the observer: in plain view of the camera, not of the observer */
    scene_build(sc, -1.5, -1.5, -0.5, -1.5);
    assert_true(tdpc_scene_fits(sc));
    assert_int_equal(tdpc_vpt_label(sc, 90, &why), 0);
    assert_int_equal(why, TDPC_VPT_OUTSIDE);
    /* 60 degrees off its facing, seen from the eye: outside a 90 degree cone, inside a 170 degree one */
    const double ex = -0.5 + TDPC_OBS_BODY_HALF + 2 * TDPC_OBS_LENS_HALF, ey = -1.5;
    scene_build(sc, ex + 1.2 * cos(M_PI / 3), ey - 1.2 * sin(M_PI / 3), -0.5, -1.5);
    assert_int_equal(tdpc_vpt_label(sc, 90, &why), 0);
    assert_int_equal(why, TDPC_VPT_OUTSIDE);
    assert_int_equal(tdpc_vpt_label(sc, 170, &why), 1);
    /* on the line past the couch's end: some sight lines blocked, no label */
    const double end = tdpc_object_edge(&sc->objects[0], -M_PI / 2);
    assert_true(end > 0.6 && end < 1.2);
    scene_build(sc, 1.5, -end, -1.5, -end);
    assert_true(tdpc_scene_fits(sc));
    assert_int_equal(tdpc_vpt_label(sc, 90, &why), -1);
    assert_int_equal(why, TDPC_VPT_PARTLY);
    /* the ball inside the couch does not fit */
    scene_build(sc, 0, 0, -1.5, 0);
    assert_false(tdpc_scene_fits(sc));
    free(sc);
}

static void test_labels_balanced(void **state)
{
    (void)state;
    for (int task = 0; task < TDPC_TASK_COUNT; task++) {
        tdpc_params p = params_default((tdpc_task)task);
        p.size = 32; /* labels only */
        sample s;
        sample_init(&s, p);
        int pos = 0, setting_pos[4] = {0}, prev = -1;
        for (int64_t i = 0; i < 32; i++) {
            sample_make(&s, 5, i);
            const int y = i32(&s, F_Y, 0);
            pos += y;
            setting_pos[i / 8] += y;
            assert_int_equal(i32(&s, F_SETTING, 0), i / 8);
            if (task == TDPC_TASK_STRATEGY && i % 2) assert_int_equal(y + prev, 1); /* a pair */
            prev = y;
        }
        assert_int_equal(pos, 16);
        for (int k = 0; k < 4; k++) {
            if (task == TDPC_TASK_VPT) assert_true(setting_pos[k] == 0 || setting_pos[k] == 8);
            else assert_int_equal(setting_pos[k], 4);
        }
        if (task == TDPC_TASK_VPT) /* one positive setting in each pair of settings */
            assert_true(setting_pos[0] + setting_pos[1] == 8 && setting_pos[2] + setting_pos[3] == 8);
        sample_free(&s);
    }
}

/* Pairs 2q, 2q+1 of a VPT-Strategy file: one frame and camera, opposite labels,
 * and scenes that differ by one move of the kind stored, no larger than its reach. */
static void test_strategy_pairs(void **state)
{
    (void)state;
    tdpc_params p = params_default(TDPC_TASK_STRATEGY);
    p.size = 32;
    sample a, b;
    sample_init(&a, p);
    sample_init(&b, p);
    int moves[4] = {0};
    for (int64_t i = 0; i < 48; i += 2) {
        sample_make(&a, 9, i);
        sample_make(&b, 9, i + 1);
        assert_int_equal(i32(&a, F_FRAME, 0), i32(&b, F_FRAME, 0));
        assert_memory_equal(a.slot[F_CAMERA], b.slot[F_CAMERA], 7 * sizeof(float));
        assert_int_equal(i32(&a, F_Y, 0) + i32(&b, F_Y, 0), 1);
        const float *ma = f32(&a, F_MOVE), *mb = f32(&b, F_MOVE);
        assert_memory_equal(ma, mb, 2 * sizeof(float));
        const int kind = (int)ma[0];
        assert_true(kind >= TDPC_MOVE_BALL && kind <= TDPC_MOVE_TURN);
        moves[kind]++;
        const float *oa = f32(&a, F_OBSERVER), *ob = f32(&b, F_OBSERVER);
        const float *ba = f32(&a, F_BALL), *bb = f32(&b, F_BALL);
        const double ball_shift = hypot(ba[0] - bb[0], ba[1] - bb[1]);
        const double body_shift = hypot(oa[6] - ob[6], oa[7] - ob[7]);
        const double turn = fabs(remainder(atan2(oa[4], oa[3]) - atan2(ob[4], ob[3]), 2 * M_PI)) * 180 / M_PI;
        assert_true(ba[2] == bb[2] && oa[8] == ob[8]);
        if (kind == TDPC_MOVE_BALL) {
            assert_true(body_shift == 0 && turn < 1e-3);
            assert_true(fabs(ball_shift - ma[1]) < 1e-4 && ball_shift <= 0.6 + 1e-6);
        } else if (kind == TDPC_MOVE_OBSERVER) {
            assert_true(ball_shift == 0 && turn < 1e-3);
            assert_true(fabs(body_shift - ma[1]) < 1e-4 && body_shift <= 0.6 + 1e-6);
        } else {
            assert_true(ball_shift == 0 && body_shift == 0);
            assert_true(fabs(turn - ma[1]) < 0.01 && turn <= 20 + 1e-3);
        }
        /* everything else is the same: the objects' primitives */
        const float *pa = f32(&a, F_PRIMS), *pb = f32(&b, F_PRIMS);
        for (int k = 0; k < TDPC_MAX_PRIMS; k++)
            if (pa[k * TDPC_PRIM_FIELDS] >= TDPC_ID_OBJECT0)
                assert_memory_equal(pa + k * TDPC_PRIM_FIELDS, pb + k * TDPC_PRIM_FIELDS,
                                    TDPC_PRIM_FIELDS * sizeof(float));
    }
    for (int k = TDPC_MOVE_BALL; k <= TDPC_MOVE_TURN; k++) assert_true(moves[k] > 0);
    sample_free(&a);
    sample_free(&b);
}

/* Splits by object instance: seen splits never show the held-out instance,
 * held-out splits only it; a pair of settings shows one object. */
static void test_instances(void **state)
{
    (void)state;
    tdpc_setting *st = malloc(sizeof *st);
    for (int objects = 0; objects < TDPC_OBJECTS_COUNT; objects++) {
        tdpc_params p = params_default(TDPC_TASK_VPT);
        p.objects = (tdpc_objects)objects;
        p.instances = 4, p.held_out = 2;
        int seen_inst[5] = {0};
        int prev_cat = -1, prev_inst = -1;
        for (int64_t s = 0; s < 40; s++) {
            tdpc_setting_make(st, &p, 3, s);
            for (int k = 0; k < st->base.nobjects; k++) {
                const int inst = st->base.objects[k].instance;
                assert_true(inst >= 1 && inst <= 4);
                if (objects == TDPC_OBJECTS_SEEN) assert_true(inst <= 2);
                if (objects == TDPC_OBJECTS_HELD_OUT) assert_true(inst >= 3);
                seen_inst[inst]++;
            }
            if (s % 2) {
                assert_int_equal(st->base.objects[0].category, prev_cat);
                assert_int_equal(st->base.objects[0].instance, prev_inst);
            }
            prev_cat = st->base.objects[0].category, prev_inst = st->base.objects[0].instance;
            assert_int_equal(st->vpt, tdpc_setting_target(3, s));
        }
        if (objects == TDPC_OBJECTS_ALL) assert_true(seen_inst[1] && seen_inst[4]);
    }
    /* an instance is the same object in every split and seed: same primitives */
    tdpc_scene *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    tdpc_scene_init(a);
    tdpc_scene_init(b);
    assert_int_equal(tdpc_scene_object_add(a, 1, 2, vec3_make(0, 0, 0), 0), 0);
    assert_int_equal(tdpc_scene_object_add(b, 1, 2, vec3_make(0, 0, 0), 0), 0);
    assert_int_equal(a->nprims, b->nprims);
    assert_memory_equal(a->prims, b->prims, sizeof(tdpc_prim) * (size_t)a->nprims);
    tdpc_scene_init(b);
    assert_int_equal(tdpc_scene_object_add(b, 1, 3, vec3_make(0, 0, 0), 0), 0);
    assert_true(memcmp(a->prims, b->prims, sizeof(tdpc_prim) * (size_t)a->nprims) != 0);
    free(a);
    free(b);
    free(st);
}

/* A sample is a function of (seed, index); depth and VPT files of one seed
 * show the same settings; another seed gives other images. */
static void test_pure_and_shared(void **state)
{
    (void)state;
    sample a, b, d;
    tdpc_params pv = params_default(TDPC_TASK_VPT), pd = params_default(TDPC_TASK_DEPTH);
    pv.size = pd.size = 32;
    sample_init(&a, pv);
    sample_init(&b, pv);
    sample_init(&d, pd);
    for (int64_t i = 0; i < 16; i += 3) {
        sample_make(&a, 4, i);
        sample_make(&b, 4, i);
        for (int f = 0; f < a.nf; f++) assert_memory_equal(a.slot[f], b.slot[f], ph_field_sample_bytes(&a.fields[f]));
        sample_make(&d, 4, i);
        assert_int_equal(i32(&a, F_SETTING, 0), i32(&d, F_SETTING, 0));
        assert_memory_equal(a.slot[F_PRIMS], d.slot[F_PRIMS], ph_field_sample_bytes(&a.fields[F_PRIMS]));
        assert_memory_equal(a.slot[F_BALL], d.slot[F_BALL], 4 * sizeof(float));
        assert_memory_equal(a.slot[F_OBSERVER], d.slot[F_OBSERVER], 9 * sizeof(float));
    }
    sample_make(&a, 4, 0);
    sample_make(&b, 5, 0);
    assert_true(memcmp(a.slot[F_X], b.slot[F_X], ph_field_sample_bytes(&a.fields[F_X])) != 0);
    sample_free(&a);
    sample_free(&b);
    sample_free(&d);
}

/* The measured balance behind docs/challenges/3dpc.md: over 1000 settings
 * (seed 7, defaults), what the candidates' VPT labels were before the target
 * was imposed, why the kept negatives are negative, which VPT-Strategy moves
 * were found, and how many frames the camera keeps.  Printed as TAP comments;
 * the bounds catch a generator that drifts into a shortcut (negatives mostly
 * outside the field of view) or into excluding most frames. */
static void test_label_composition(void **state)
{
    (void)state;
    const int n = 1000;
    tdpc_params p = params_default(TDPC_TASK_VPT);
    tdpc_setting *st = malloc(sizeof *st);
    long raw[5] = {0}, nraw = 0, why[5] = {0}, moves[4] = {0}, attempts = 0, most = 0;
    long frames = 0, seen = 0, undefined = 0, far = 0, pair_seen = 0;
    double amount[4] = {0};
    for (int64_t s = 0; s < n; s++) {
        for (int a = 0; a < 4; a++)
            if (tdpc_setting_candidate(st, &p, 7, s, a) == 0) raw[st->why]++, nraw++;
        tdpc_setting_make(st, &p, 7, s);
        attempts += st->attempt + 1;
        most = st->attempt + 1 > most ? st->attempt + 1 : most;
        why[st->why]++;
        moves[st->move]++;
        amount[st->move] += st->amount;
        for (int f = 0; f < p.frames; f++) {
            frames++;
            seen += st->seen[f];
            undefined += st->seen[f] && st->depth[f] < 0;
            far += st->depth[f] == 1;
            pair_seen += st->pair_seen[f];
        }
    }
    printf("# candidates (%ld): seen %.3f, hidden %.3f, outside the view %.3f, partly hidden %.3f, on the view's edge "
           "%.3f\n",
           nraw, (double)raw[TDPC_VPT_SEEN] / nraw, (double)raw[TDPC_VPT_HIDDEN] / nraw,
           (double)raw[TDPC_VPT_OUTSIDE] / nraw, (double)raw[TDPC_VPT_PARTLY] / nraw,
           (double)raw[TDPC_VPT_EDGE] / nraw);
    printf("# kept settings (%d): attempts mean %.1f, most %ld; negatives hidden %ld, outside the view %ld\n", n,
           (double)attempts / n, most, why[TDPC_VPT_HIDDEN], why[TDPC_VPT_OUTSIDE]);
    printf("# frames: camera sees both %.3f; of those depth undefined %.3f, ball farther %.3f; pair seen %.3f\n",
           (double)seen / frames, (double)undefined / seen, (double)far / seen, (double)pair_seen / frames);
    printf("# strategy moves: ball %ld (mean %.3f), observer %ld (mean %.3f), turn %ld (mean %.2f deg)\n",
           moves[TDPC_MOVE_BALL], amount[TDPC_MOVE_BALL] / moves[TDPC_MOVE_BALL], moves[TDPC_MOVE_OBSERVER],
           amount[TDPC_MOVE_OBSERVER] / moves[TDPC_MOVE_OBSERVER], moves[TDPC_MOVE_TURN],
           amount[TDPC_MOVE_TURN] / moves[TDPC_MOVE_TURN]);
    assert_int_equal(why[TDPC_VPT_SEEN], n / 2);
    assert_true(why[TDPC_VPT_HIDDEN] > 3 * why[TDPC_VPT_OUTSIDE]);
    assert_true(raw[TDPC_VPT_SEEN] > nraw / 8 && raw[TDPC_VPT_HIDDEN] > nraw / 8);
    assert_true(2 * seen > frames && 10 * undefined < seen);
    for (int m = TDPC_MOVE_BALL; m <= TDPC_MOVE_TURN; m++) assert_true(moves[m] > n / 10);
    assert_true(most < TDPC_ATTEMPTS / 5);
    free(st);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_agree_with_geometry),
        cmocka_unit_test(test_constructed_scenes),
        cmocka_unit_test(test_labels_balanced),
        cmocka_unit_test(test_strategy_pairs),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_pure_and_shared),
        cmocka_unit_test(test_label_composition),
    };
    return cmocka_run_group_tests_name("threedpc", tests, NULL, NULL);
}
