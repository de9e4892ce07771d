/* threedpc.h: the 3D perception challenge (3D-PC; Linsley, Zhou, Karkada et
 * al., "3D-PC: Benchmarking Visual Perspective Taking in Humans and
 * Machines", arXiv 2406.04138, ICLR 2025), rebuilt as ray-cast scenes.
 *
 * A setting is one arrangement: an object of one of ten categories, a few
 * clutter objects, a green observer (a camera-like body with a dark lens)
 * and a red ball, under a directional light, with a camera path of
 * `frames` views orbiting it.  Labels come from the geometry: depth order
 * per frame, and whether the observer sees the ball (VPT).
 * docs/challenges/3dpc.md gives every rule and decision.
 * Layers inside this folder (DESIGN.md): vec3.h -> geometry.c (primitives,
 * rays, segments) -> objects.c (the ten categories) -> scene.c (placing,
 * camera path) -> labels.c -> strategy.c -> setting.c (one setting by
 * redraws; views of it) -> render.c -> threedpc.c (the challenge). */
#ifndef PHASOR_THREEDPC_H
#define PHASOR_THREEDPC_H

#include "vec3.h"

#include <stdint.h>

enum {
    TDPC_CATEGORIES = 10,
    TDPC_MAX_OBJECTS = 4,   /* the setting's object and up to 3 clutter objects */
    TDPC_OBJECT_PRIMS = 16, /* primitives one object may use */
    TDPC_OBSERVER_PRIMS = 3,
    TDPC_MAX_PRIMS = TDPC_MAX_OBJECTS * TDPC_OBJECT_PRIMS + TDPC_OBSERVER_PRIMS + 1,
    TDPC_PRIM_FIELDS = 9, /* a row of /meta/prims */
    TDPC_MAX_FRAMES = 720,
    TDPC_ATTEMPTS = 10000, /* redraws of one setting before giving up (a bug) */
    TDPC_BALL_POINTS = 9,  /* sight lines to the ball: its centre and 8 rim points */
};

/* Ids of /maps/ids, and owners of primitives: object k is TDPC_ID_OBJECT0 + k. */
enum { TDPC_ID_SKY = 0, TDPC_ID_GROUND = 1, TDPC_ID_BALL = 2, TDPC_ID_OBSERVER = 3, TDPC_ID_OBJECT0 = 4 };
enum { TDPC_OWNERS = TDPC_ID_OBJECT0 + TDPC_MAX_OBJECTS };
#define TDPC_OWNER_BIT(id) (1u << (id))
#define TDPC_OBJECT_BITS (((1u << TDPC_OWNERS) - 1u) & ~((1u << TDPC_ID_OBJECT0) - 1u))

/* Fixed sizes (world units; objects stand about 0.5 to 1.8 high). */
/* Sight lines count as clear when they miss occluders grown by it, as blocked
 * when they meet occluders shrunk by it. */
#define TDPC_OCCLUSION_MARGIN 0.01
#define TDPC_FOV_MARGIN_DEG 0.5  /* the ball is in or out of the field of view by at least this */
#define TDPC_CAMERA_FOV_DEG 50.0 /* the scene camera's vertical (= horizontal) field of view */
#define TDPC_SCREEN_MARGIN 0.85  /* ball and observer project within this of the image half-width */
#define TDPC_OBS_BODY_HALF 0.17  /* the observer's body: half-sizes along facing, across, up */
#define TDPC_OBS_BODY_WIDTH 0.13
#define TDPC_OBS_BODY_HEIGHT 0.12
#define TDPC_OBS_LENS_RADIUS 0.085
#define TDPC_OBS_LENS_HALF 0.11
#define TDPC_OBS_POST_RADIUS 0.03
#define TDPC_OBS_FOOTPRINT 0.36 /* radius of the ground circle the observer keeps to itself */

typedef enum { TDPC_TASK_DEPTH, TDPC_TASK_VPT, TDPC_TASK_STRATEGY, TDPC_TASK_COUNT } tdpc_task;
extern const char *const tdpc_task_names[TDPC_TASK_COUNT];
/* Which object instances a split draws: the first `instances - held_out` of each
 * category (seen), the last `held_out` (held_out), or all. */
typedef enum { TDPC_OBJECTS_SEEN, TDPC_OBJECTS_HELD_OUT, TDPC_OBJECTS_ALL, TDPC_OBJECTS_COUNT } tdpc_objects;
extern const char *const tdpc_objects_names[TDPC_OBJECTS_COUNT];
/* What a VPT-Strategy pair changes between its two images. */
typedef enum { TDPC_MOVE_NONE, TDPC_MOVE_BALL, TDPC_MOVE_OBSERVER, TDPC_MOVE_TURN, TDPC_MOVE_COUNT } tdpc_move;

typedef struct {
    tdpc_task task;
    int size;        /* image side in pixels */
    int supersample; /* rays per pixel side (antialiasing) */
    int frames;      /* camera path length F */
    int per_setting; /* images drawn from one setting K */
    int instances;   /* instances per category */
    int held_out;    /* the last held_out instances of each category are test objects */
    int clutter;     /* clutter objects beside the setting's object */
    double fov_deg;  /* the observer's field of view: a cone of this full angle */
    double depth_margin;
    tdpc_objects objects; /* of the split being generated */
} tdpc_params;

/* ---- geometry.c: primitives and what rays and segments meet ------------- */

/* Kinds of primitive, each in its own frame (centre c, turned by yaw about z):
 * box |x|<=s.x, |y|<=s.y, |z|<=s.z; ellipsoid with semi-axes s; cylinder
 * along z (radius s.x = s.y, half-length s.z); cylinder along x (radius
 * s.y = s.z, half-length s.x).  So s is always the half-extent of the box
 * around it, and growing a primitive by m adds m to each of s. */
typedef enum {
    TDPC_PRIM_NONE,
    TDPC_PRIM_BOX,
    TDPC_PRIM_ELLIPSOID,
    TDPC_PRIM_CYL_Z,
    TDPC_PRIM_CYL_X,
    TDPC_PRIM_KINDS
} tdpc_prim_kind;

typedef struct {
    int kind, owner;
    vec3 c, s;
    double yaw, cyaw, syaw;
    float rgb[3]; /* linear albedo */
} tdpc_prim;

/* Sets every member, centre, sizes and yaw rounded to float32 (they are stored). */
void tdpc_prim_set(tdpc_prim *p, int kind, int owner, vec3 c, vec3 s, double yaw, const float rgb[3]);
/* The parameter interval [t0, t1] where o + t d is inside the primitive grown
 * by `grow` (negative: shrunk); the outward normal at t0.  0 if the line
 * misses it or a shrunk size is not positive. */
int tdpc_prim_span(const tdpc_prim *p, double grow, vec3 o, vec3 d, double *t0, double *t1, vec3 *normal);
/* Its axis-aligned world bounds. */
void tdpc_prim_bounds(const tdpc_prim *p, vec3 *lo, vec3 *hi);

/* ---- objects.c: the ten categories ------------------------------------- */

extern const char *const tdpc_category_names[TDPC_CATEGORIES];

/* ---- scene.c ------------------------------------------------------------ */

typedef struct {
    int category, instance; /* instance 1..instances */
    vec3 pos;
    double yaw;
    double fx0, fx1, fy0, fy1; /* footprint: the prims' ground rectangle in the object's frame */
} tdpc_object;

typedef struct {
    vec3 body;   /* centre of the body: the observer's position for depth */
    vec3 eye;    /* centre of the lens's front face: where sight lines start */
    vec3 facing; /* horizontal unit vector */
    double yaw, height;
} tdpc_observer;

typedef struct {
    tdpc_prim prims[TDPC_MAX_PRIMS];
    int nprims;
    int first[TDPC_OWNERS], count[TDPC_OWNERS]; /* each owner's prims */
    vec3 lo[TDPC_OWNERS], hi[TDPC_OWNERS];      /* and their bounds */
    tdpc_object objects[TDPC_MAX_OBJECTS];
    int nobjects;
    tdpc_observer obs;
    vec3 ball;
    double ball_r;
    vec3 light;                               /* unit vector towards the sun */
    float ground_rgb[3];                      /* linear albedo of the tiles */
    double tile;                              /* tile side */
    double cam_radius, cam_height, cam_phase; /* the camera path */
    vec3 cam_target;                          /* where every view looks */
} tdpc_scene;

typedef struct {
    vec3 pos, target, fwd, right, up;
    double tan_half; /* tan of half the field of view */
} tdpc_camera;

void tdpc_scene_init(tdpc_scene *s);
/* Adds object (category, instance) at pos turned by yaw: its prims and footprint.
 * 0, or -1 if the scene has no room. */
int tdpc_scene_object_add(tdpc_scene *s, int category, int instance, vec3 pos, double yaw);
/* Removes the newest object (a rejected placement). */
void tdpc_scene_object_pop(tdpc_scene *s);
/* Distance from object o's position to the edge of its footprint along the
 * world direction `angle`; and its farthest footprint corner. */
double tdpc_object_edge(const tdpc_object *o, double angle);
double tdpc_object_reach(const tdpc_object *o);
/* (Re)builds the observer standing at ground point (x, y) with its body
 * centre at `height`, facing yaw; position and eye rounded to float32. */
void tdpc_scene_observer_set(tdpc_scene *s, double x, double y, double height, double yaw);
/* (Re)builds the ball of radius r resting on the ground at (x, y). */
void tdpc_scene_ball_set(tdpc_scene *s, double x, double y, double r);
/* Whether ball and observer stand clear of the objects and of each other. */
int tdpc_scene_fits(const tdpc_scene *s);
/* View f of the path of F frames: an orbit about the z axis at the scene's
 * radius and height, every view looking at cam_target. */
void tdpc_camera_orbit(const tdpc_scene *s, int frames, int f, tdpc_camera *cam);
/* Projection of p: normalised image coordinates in [-1, 1] when in view
 * (x right, y up); 0 if p is behind the camera. */
int tdpc_camera_project(const tdpc_camera *cam, vec3 p, double *u, double *v);

/* Whether segment a-b meets a prim of an owner in `owners` (TDPC_OWNER_BIT
 * set), each grown by `grow`. */
int tdpc_segment_blocked(const tdpc_scene *s, vec3 a, vec3 b, double grow, unsigned owners);
/* Nearest surface along o + t d (|d| = 1) with t in (tmin, tmax): its owner
 * (TDPC_ID_GROUND for the ground, TDPC_ID_SKY if none), t, normal and the prim. */
typedef struct {
    int owner, prim;
    double t;
    vec3 normal;
} tdpc_hit;
int tdpc_ray_nearest(const tdpc_scene *s, vec3 o, vec3 d, double tmin, double tmax, tdpc_hit *hit);

/* ---- labels.c ----------------------------------------------------------- */

/* The 9 sight-line targets on a ball seen from `from`: the centre, then 8
 * points of the circle of radius r around it across the line of sight,
 * starting at the horizontal direction u = unit(cross(centre - from, z)) and
 * turning towards w = cross(u, unit(centre - from)) in steps of 45 degrees. */
void tdpc_ball_points(vec3 centre, double r, vec3 from, vec3 *out);
/* Why a VPT label is what it is. */
typedef enum {
    TDPC_VPT_SEEN,    /* 1: in the field of view, every sight line clear */
    TDPC_VPT_HIDDEN,  /* 0: in the field of view, every sight line blocked */
    TDPC_VPT_OUTSIDE, /* 0: outside the field of view */
    TDPC_VPT_PARTLY,  /* -1: some sight lines clear, some blocked, or within the margins */
    TDPC_VPT_EDGE,    /* -1: the ball straddles the edge of the field of view */
} tdpc_vpt_why;
/* 1, 0, or -1 (undefined); why (may be NULL). */
int tdpc_vpt_label(const tdpc_scene *s, double fov_deg, tdpc_vpt_why *why);
/* 1 if the ball is farther from the camera than the observer's body, 0 if
 * nearer, -1 if the distances differ by less than margin x their mean. */
int tdpc_depth_label(const tdpc_scene *s, const tdpc_camera *cam, double margin);
/* Whether the camera sees both: at least 5 of the ball's 9 points clear of
 * objects and observer, the observer's body centre and eye clear of objects
 * and ball, all three projecting within TDPC_SCREEN_MARGIN of the image. */
int tdpc_frame_seen(const tdpc_scene *s, const tdpc_camera *cam);

/* ---- strategy.c --------------------------------------------------------- */

/* The smallest move of one kind that flips the VPT label of `base`: scans
 * the move's parameter outwards from the base in small steps and keeps the
 * last position with the base's label and the first with the other.  out[L]
 * gets the scene whose label is L; *amount the move between them (world
 * units, or degrees for a turn).  0, or -1 when no flip is within reach. */
int tdpc_strategy_find(const tdpc_scene *base, tdpc_move move, double fov_deg, tdpc_scene out[2], double *amount);

/* ---- setting.c ---------------------------------------------------------- */

typedef struct {
    tdpc_scene base;    /* the setting as drawn (depth and VPT images) */
    tdpc_scene pair[2]; /* VPT-Strategy: pair[L] has VPT label L */
    int vpt;            /* the base's VPT label */
    tdpc_vpt_why why;
    tdpc_move move; /* the VPT-Strategy move drawn, then the one that was found */
    double amount;
    int attempt;                       /* the redraw that was kept */
    int8_t depth[TDPC_MAX_FRAMES];     /* base, per frame: depth label, -1 undefined or unseen */
    int8_t seen[TDPC_MAX_FRAMES];      /* base, per frame: camera sees ball and observer */
    int8_t pair_seen[TDPC_MAX_FRAMES]; /* both pair scenes seen */
} tdpc_setting;

/* The target VPT label of setting s: one positive in each pair (2k, 2k+1). */
int tdpc_setting_target(uint32_t seed, int64_t setting);
/* Candidate `attempt` of setting `setting`: st->base, its VPT label (st->vpt,
 * st->why) and the VPT-Strategy move to try; 0, or -1 if nothing fitted. */
int tdpc_setting_candidate(tdpc_setting *st, const tdpc_params *p, uint32_t seed, int64_t setting, int attempt);
/* Draws setting `setting` of a split (a pure function of seed, setting and
 * the parameters, whatever the task: depth, VPT and VPT-Strategy files of
 * one seed show the same settings).  Fails (a bug) after TDPC_ATTEMPTS. */
void tdpc_setting_make(tdpc_setting *st, const tdpc_params *p, uint32_t seed, int64_t setting);

/* One image of a file: which setting, which frame, which scene. */
typedef struct {
    int64_t setting;
    int slot; /* 0..K-1 within the setting */
    int frame;
    int member; /* VPT-Strategy: 0 or 1 within its pair; -1 otherwise */
    int label;  /* the task's label */
    const tdpc_scene *scene;
} tdpc_view;
/* View of sample `index` (setting index / K, slot index % K). */
void tdpc_view_pick(const tdpc_setting *st, const tdpc_params *p, uint32_t seed, int64_t index, tdpc_view *v);

/* ---- render.c ----------------------------------------------------------- */

/* Ray-cast image of the scene, size x size RGB (sRGB), each pixel the mean of
 * ss x ss rays; depth (distance from the camera, 0 for sky) and ids
 * (TDPC_ID_*) from the ray through each pixel centre.  depth and ids may be NULL. */
void tdpc_render(const tdpc_scene *s, const tdpc_camera *cam, int size, int ss, uint8_t *rgb, float *depth, float *ids);

#endif
