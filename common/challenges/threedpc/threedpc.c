/* threedpc.c: the 3D-PC challenge for phasor-generate: config keys,
 * datasets, and one image per sample index.
 *
 * Sample i is slot i mod K of setting i / K (K = per_setting), so a file is
 * settings of K images each; an image is a pure function of (seed, i) and
 * the parameters, and the bytes do not depend on the rank count. */
#include "threedpc.h"

#include "challenges/challenge.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cfg_key threedpc_keys[] = {
    {"task", CFG_ENUM, "vpt", 0, 0, "depth|vpt|vpt_strategy",
     "the label: depth = is the ball farther from the camera than the observer; vpt = can the observer see "
     "the ball; vpt_strategy = vpt on pairs of images a least move apart that flips it"},
    {"size", CFG_INT, "64", 32, 512, NULL, "image side in pixels (size x size RGB)"},
    {"supersample", CFG_INT, "2", 1, 4, NULL, "rays per pixel side (antialiasing; cost grows with its square)"},
    {"frames", CFG_INT, "50", 8, TDPC_MAX_FRAMES, NULL,
     "camera path: views on one orbit around a setting (original: 50)"},
    {"per_setting", CFG_INT, "8", 1, TDPC_MAX_FRAMES / 4, NULL,
     "images drawn from one setting's camera path, at most frames / 4; even for vpt_strategy (pairs)"},
    {"instances", CFG_INT, "3", 2, 16, NULL, "object instances per category (original: 3)"},
    {"held_out", CFG_INT, "1", 1, 15, NULL,
     "the last held_out instances of each category appear only in splits with objects = held_out (original: 1)"},
    {"clutter", CFG_INT, "2", 0, TDPC_MAX_OBJECTS - 1, NULL, "background objects, placed beyond the camera path"},
    {"fov", CFG_REAL, "90", 20, 170, NULL, "the observer's field of view: a cone of this full angle in degrees"},
    {"depth_margin", CFG_REAL, "0.05", 0, 0.5, NULL,
     "depth frames whose ball and observer distances differ by less than this share of their mean are left out"},
};
static const cfg_section threedpc_section = {
    "threedpc", "3D-PC: depth order and visual perspective taking in ray-cast scenes (ICLR 2025)", threedpc_keys,
    (int)(sizeof threedpc_keys / sizeof threedpc_keys[0]), 0};

static const cfg_key threedpc_split_keys[] = {
    {"objects", CFG_ENUM, "seen", 0, 0, "seen|held_out|all",
     "threedpc challenge: object instances of this split: seen (training), held_out (test, human), all"},
};

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

static int name_index(const char *const *names, int n, const char *value)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], value)) return i;
    PH_FAIL("reading a 3D-PC choice", "value missing from its name table", "this is a bug");
}

/* The key's place, or the other key's when it kept its default. */
static const char *where_either(const cfg *c, const char *a, const char *b)
{
    const char *w = cfg_where(c, "threedpc", a);
    return strcmp(w, "default") ? w : cfg_where(c, "threedpc", b);
}

static void *tdpc_params_load(const cfg *c)
{
    const char *s = "threedpc";
    tdpc_params *p = calloc(1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating 3D-PC parameters");
    p->task = (tdpc_task)name_index(tdpc_task_names, TDPC_TASK_COUNT, cfg_str(c, s, "task"));
    p->size = (int)cfg_int(c, s, "size");
    p->supersample = (int)cfg_int(c, s, "supersample");
    p->frames = (int)cfg_int(c, s, "frames");
    p->per_setting = (int)cfg_int(c, s, "per_setting");
    p->instances = (int)cfg_int(c, s, "instances");
    p->held_out = (int)cfg_int(c, s, "held_out");
    p->clutter = (int)cfg_int(c, s, "clutter");
    p->fov_deg = cfg_real(c, s, "fov");
    p->depth_margin = cfg_real(c, s, "depth_margin");
    p->objects = TDPC_OBJECTS_SEEN;
    char msg[512] = "";
    if (p->held_out >= p->instances)
        snprintf(msg, sizeof msg,
                 "config error at %s: [threedpc] held_out = %d leaves no seen instance of %d "
                 "(choose held_out < instances)",
                 where_either(c, "held_out", "instances"), p->held_out, p->instances);
    else if (4 * p->per_setting > p->frames)
        snprintf(msg, sizeof msg,
                 "config error at %s: [threedpc] per_setting = %d is more than frames / 4 = %d "
                 "(lower per_setting or raise frames)",
                 where_either(c, "per_setting", "frames"), p->per_setting, p->frames / 4);
    else if (p->task == TDPC_TASK_STRATEGY && p->per_setting % 2)
        snprintf(msg, sizeof msg,
                 "config error at %s: [threedpc] per_setting = %d is odd, but vpt_strategy "
                 "images come in pairs (choose an even per_setting)",
                 where_either(c, "per_setting", "task"), p->per_setting);
    if (msg[0]) {
        free(p);
        ph_usage_error("%s", msg);
    }
    return p;
}

static void tdpc_params_free(void *p) { free(p); }

static void tdpc_split_load(void *params, const cfg *c, const char *section)
{
    tdpc_params *p = params;
    p->objects = (tdpc_objects)name_index(tdpc_objects_names, TDPC_OBJECTS_COUNT, cfg_str(c, section, "objects"));
}

static int tdpc_fields(const void *params, ph_field *out, int max)
{
    const tdpc_params *p = params;
    const hsize_t S = (hsize_t)p->size;
    ph_field f[F_N] = {
        {"x", PH_U8, 3, {S, S, 3}, "images [N,H,W,C] uint8 RGB"},
        {"y",
         PH_I32,
         0,
         {0},
         "label of the task: depth 1 = ball farther than the observer; vpt 1 = the observer sees the ball"},
        {"meta/setting", PH_I32, 0, {0}, "setting index (sample index / per_setting)"},
        {"meta/frame", PH_I32, 0, {0}, "view on the setting's camera path, 0..frames-1"},
        {"meta/labels", PH_I32, 1, {2}, "this image's depth and vpt labels (1, 0, or -1 undefined)"},
        {"meta/objects",
         PH_I32,
         2,
         {TDPC_MAX_OBJECTS, 2},
         "category 0..9 and instance 1..instances of each object (-1: none)"},
        {"meta/camera",
         PH_F32,
         1,
         {7},
         "camera position xyz, the point it looks at xyz, field of view in degrees (z up)"},
        {"meta/observer",
         PH_F32,
         1,
         {9},
         "observer eye xyz (sight lines start there), facing unit xyz, body centre xyz"},
        {"meta/ball", PH_F32, 1, {4}, "ball centre xyz and radius"},
        {"meta/prims",
         PH_F32,
         2,
         {TDPC_MAX_PRIMS, TDPC_PRIM_FIELDS},
         "primitives: owner id, kind (0 none, 1 box, 2 ellipsoid, 3 cylinder z, 4 cylinder x), centre xyz, half-sizes "
         "xyz, yaw"},
        {"meta/move",
         PH_F32,
         1,
         {2},
         "vpt_strategy: move (1 ball shift, 2 observer shift, 3 observer turn) and its size (units or degrees); else "
         "0"},
        {"maps/depth", PH_F32, 2, {S, S}, "distance from the camera to the surface at each pixel centre, 0 for sky"},
        {"maps/ids",
         PH_F32,
         2,
         {S, S},
         "what each pixel centre shows: 0 sky, 1 ground, 2 ball, 3 observer, 4+k object k"},
    };
    if (F_N > max) PH_FAIL("listing 3D-PC datasets", "too many fields", "this is a bug");
    memcpy(out, f, sizeof f);
    return F_N;
}

static void tdpc_condition(const void *params, char *buf, size_t n)
{
    const tdpc_params *p = params;
    snprintf(buf, n, "%s_size%d_fov%g_%s", tdpc_task_names[p->task], p->size, p->fov_deg,
             tdpc_objects_names[p->objects]);
}

static void put3(float *o, vec3 v) { o[0] = (float)v.x, o[1] = (float)v.y, o[2] = (float)v.z; }

static void tdpc_generate(const void *params, uint32_t seed, int64_t index, void *const *out)
{
    const tdpc_params *p = params;
    tdpc_setting *st = malloc(sizeof *st);
    PH_CHECK_ALLOC(st, "allocating a 3D-PC setting");
    tdpc_setting_make(st, p, seed, index / p->per_setting);
    tdpc_view v;
    tdpc_view_pick(st, p, seed, index, &v);
    const tdpc_scene *s = v.scene;
    tdpc_camera cam;
    tdpc_camera_orbit(s, p->frames, v.frame, &cam);
    tdpc_render(s, &cam, p->size, p->supersample, out[F_X], out[F_DEPTH], out[F_IDS]);

    int32_t *labels = out[F_LABELS];
    labels[0] = tdpc_depth_label(s, &cam, p->depth_margin);
    labels[1] = tdpc_vpt_label(s, p->fov_deg, NULL);
    if (labels[p->task == TDPC_TASK_DEPTH ? 0 : 1] != v.label || !tdpc_frame_seen(s, &cam))
        PH_FAIL("labelling a 3D-PC image", "the chosen view lost its label",
                "this is a bug; report the seed and index");
    *(int32_t *)out[F_Y] = v.label;
    *(int32_t *)out[F_SETTING] = (int32_t)v.setting;
    *(int32_t *)out[F_FRAME] = v.frame;
    int32_t *objects = out[F_OBJECTS];
    for (int k = 0; k < TDPC_MAX_OBJECTS; k++) {
        objects[2 * k] = k < s->nobjects ? s->objects[k].category : -1;
        objects[2 * k + 1] = k < s->nobjects ? s->objects[k].instance : -1;
    }
    float *camera = out[F_CAMERA];
    put3(camera, cam.pos);
    put3(camera + 3, cam.target);
    camera[6] = (float)TDPC_CAMERA_FOV_DEG;
    float *obs = out[F_OBSERVER];
    put3(obs, s->obs.eye);
    put3(obs + 3, s->obs.facing);
    put3(obs + 6, s->obs.body);
    float *ball = out[F_BALL];
    put3(ball, s->ball);
    ball[3] = (float)s->ball_r;
    float *prims = out[F_PRIMS];
    for (int k = 0; k < s->nprims; k++) {
        const tdpc_prim *q = &s->prims[k];
        float *row = prims + (size_t)k * TDPC_PRIM_FIELDS;
        row[0] = (float)q->owner, row[1] = (float)q->kind;
        put3(row + 2, q->c);
        put3(row + 5, q->s);
        row[8] = (float)q->yaw;
    }
    float *move = out[F_MOVE];
    if (p->task == TDPC_TASK_STRATEGY) move[0] = (float)st->move, move[1] = (float)st->amount;
    free(st);
}

const ph_challenge ph_challenge_threedpc = {
    .name = "threedpc",
    .summary = "3D-PC: depth order and visual perspective taking (can the green observer see the red ball?)",
    .section = &threedpc_section,
    .params_load = tdpc_params_load,
    .params_free = tdpc_params_free,
    .fields = tdpc_fields,
    .condition = tdpc_condition,
    .generate = tdpc_generate,
    .split_keys = threedpc_split_keys,
    .nsplit_keys = (int)(sizeof threedpc_split_keys / sizeof threedpc_split_keys[0]),
    .split_load = tdpc_split_load,
};
