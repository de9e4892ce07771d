/* svrt.c: the SVRT challenge for phasor-generate: config keys, datasets,
 * and one sample per index (a pure function of seed, index and problem).
 *
 * A sample is drawn from sub-stream (problem << 16) + 0 of its index; when a
 * problem's bounded rejection loops give up, it is redrawn from the next
 * sub-stream, so the result stays the same for any rank count. */
#include "svrt.h"

#include "core/error.h"
#include "challenges/challenge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cfg_key svrt_keys[] = {
    {"problem", CFG_INT, "1", 1, SVRT_PROBLEMS, NULL,
     "SVRT problem 1..23 (docs/challenges/svrt.md gives each rule)"},
};
static const cfg_section svrt_section = {
    "svrt", "SVRT: the 23 visual-reasoning problems of Fleuret et al. (2011)", svrt_keys,
    (int)(sizeof svrt_keys / sizeof svrt_keys[0]), 0};

static const svrt_problem_fn problems[SVRT_PROBLEMS] = {
    svrt_problem_1,  svrt_problem_2,  svrt_problem_3,  svrt_problem_4,  svrt_problem_5,
    svrt_problem_6,  svrt_problem_7,  svrt_problem_8,  svrt_problem_9,  svrt_problem_10,
    svrt_problem_11, svrt_problem_12, svrt_problem_13, svrt_problem_14, svrt_problem_15,
    svrt_problem_16, svrt_problem_17, svrt_problem_18, svrt_problem_19, svrt_problem_20,
    svrt_problem_21, svrt_problem_22, svrt_problem_23,
};

int svrt_label(uint32_t seed, int problem, int64_t index)
{
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_LABEL, (uint64_t)(index / 2), (uint32_t)problem);
    uint32_t positive_member = ph_rng_u32(&r) & 1u;
    return (uint32_t)(index & 1) == positive_member;
}

int svrt_scene_make(svrt_ctx *c, int problem, uint32_t seed, int64_t index)
{
    int label = svrt_label(seed, problem, index);
    for (uint32_t attempt = 0; attempt < SVRT_ATTEMPTS; attempt++) {
        /* Sub-streams of problems are disjoint: one seed, 23 unrelated datasets. */
        svrt_ctx_reset(c, seed, index, (uint32_t)problem << 16 | attempt);
        if (problems[problem - 1](c, label) == 0) return label;
    }
    char why[160];
    snprintf(why, sizeof why, "problem %d, sample %lld: no valid layout in %d redraws", problem,
             (long long)index, SVRT_ATTEMPTS);
    PH_FAIL("generating an SVRT sample", why, "this is a bug; report it with the seed and index");
}

/* ---- challenge interface ------------------------------------------------ */

enum { F_X, F_Y, F_PROBLEM, F_COUNT, F_CENTRE, F_RADIUS, F_SCALE, F_ROTATION, F_MIRROR, F_CURVE, F_N };

static void *svrt_params_load(const cfg *c)
{
    svrt_params *p = calloc(1, sizeof *p);
    PH_CHECK_ALLOC(p, "allocating SVRT parameters");
    p->problem = (int)cfg_int(c, "svrt", "problem");
    return p;
}

static void svrt_params_free(void *p) { free(p); }

static int svrt_fields(const void *params, ph_field *out, int max)
{
    (void)params;
    const hsize_t S = SVRT_MAX_SHAPES;
    ph_field f[F_N] = {
        {"x", PH_U8, 3, {SVRT_W, SVRT_W, 1}, "images [N,H,W,C] uint8 grayscale: 255 background, 0 contours"},
        {"y", PH_I32, 0, {0}, "label: 1 if the image follows the problem's class-1 rule"},
        {"meta/problem", PH_I32, 0, {0}, "SVRT problem number 1..23"},
        {"meta/count", PH_I32, 0, {0}, "number of shapes; slots from count on are empty"},
        {"meta/centre", PH_F32, 2, {S, 2}, "shape centre pixel (row, col); the curve is drawn around it"},
        {"meta/radius", PH_F32, 1, {S}, "outer radius of the curve's annulus before scaling, pixels"},
        {"meta/scale", PH_F32, 1, {S}, "scale applied to the curve"},
        {"meta/rotation", PH_F32, 1, {S}, "rotation in radians applied after the mirror, [0, 2 pi)"},
        {"meta/mirror", PH_U8, 1, {S}, "1 if the curve is mirrored (col offset negated) before rotation"},
        {"meta/curve", PH_I16, 1, {S}, "curve id within the sample: equal ids are the same curve; -1 empty slot"},
    };
    if (F_N > max) PH_FAIL("listing SVRT datasets", "too many fields", "this is a bug");
    memcpy(out, f, sizeof f);
    return F_N;
}

static void svrt_condition(const void *params, char *buf, size_t n)
{
    const svrt_params *p = params;
    snprintf(buf, n, "problem%02d", p->problem);
}

static void svrt_generate(const void *params, uint32_t seed, int64_t index, void *const *out)
{
    const svrt_params *p = params;
    svrt_ctx *c = malloc(sizeof *c);
    PH_CHECK_ALLOC(c, "allocating an SVRT scene");
    svrt_ctx_init(c);
    int label = svrt_scene_make(c, p->problem, seed, index);

    uint8_t *img = out[F_X];
    memset(img, 255, SVRT_W * SVRT_W);
    int16_t *curve = out[F_CURVE];
    float *centre = out[F_CENTRE], *radius = out[F_RADIUS], *scale = out[F_SCALE], *rot = out[F_ROTATION];
    uint8_t *mirror = out[F_MIRROR];
    /* Curve ids renumbered in order of first use, so they run 0, 1, 2, ... */
    int id_of[SVRT_MAX_CURVES];
    for (int k = 0; k < SVRT_MAX_CURVES; k++) id_of[k] = -1;
    int next_id = 0;
    for (int i = 0; i < SVRT_MAX_SHAPES; i++) curve[i] = -1;
    for (int i = 0; i < c->nshapes; i++) {
        const svrt_shape *h = &c->shapes[i];
        const svrt_sprite *s = &c->sprites[h->sprite];
        for (int k = 0; k < s->contour.n; k++)
            img[(h->cy + s->contour.xy[2 * k + 1]) * SVRT_W + h->cx + s->contour.xy[2 * k]] = 0;
        if (id_of[s->curve] < 0) id_of[s->curve] = next_id++;
        curve[i] = (int16_t)id_of[s->curve];
        centre[2 * i] = (float)h->cy, centre[2 * i + 1] = (float)h->cx;
        radius[i] = (float)c->curves[s->curve].radius;
        scale[i] = (float)s->scale;
        rot[i] = (float)s->rotation;
        mirror[i] = (uint8_t)s->mirror;
    }
    *(int32_t *)out[F_Y] = label;
    *(int32_t *)out[F_PROBLEM] = p->problem;
    *(int32_t *)out[F_COUNT] = c->nshapes;
    svrt_ctx_free(c);
    free(c);
}

const ph_challenge ph_challenge_svrt = {
    .name = "svrt",
    .summary = "the 23 SVRT visual-reasoning problems (same-different and spatial relations)",
    .section = &svrt_section,
    .params_load = svrt_params_load,
    .params_free = svrt_params_free,
    .fields = svrt_fields,
    .condition = svrt_condition,
    .generate = svrt_generate,
};
