/* test_featuretracker.c: statistics of FeatureTracker videos over thousands of
 * samples, checked against oracles written here, not
 * against the generator's own helpers: labels, hard negatives, hue ranges and
 * speeds, the shape rules frame to frame, bounds, and a re-rendering of every
 * frame and mask from the metadata. */
#include "challenges/challenge.h"
#include "challenges/featuretracker.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

extern const ph_challenge ph_challenge_featuretracker;

enum { S = FT_SIDE, CELLS = FT_SIDE * FT_SIDE, F = FT_FRAME };

typedef struct {
    featuretracker_params p;
    int nf, T, D, O;
    ph_field fields[PH_MAX_FIELDS];
    uint8_t *slot[PH_MAX_FIELDS];
} sample;

static featuretracker_params params(ft_shapes sh, ft_colors co, ft_paths pa)
{
    return (featuretracker_params){32, 10, 0, 1, sh, co, pa, 0, PT_NEGATIVES_ORIGINAL, 0};
}

static void sample_init(sample *s, featuretracker_params p)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->T = p.length, s->D = p.num_distractors + p.extra_distractors, s->O = s->D + 2;
    s->nf = ph_challenge_featuretracker.fields(&s->p, s->fields, PH_MAX_FIELDS);
    assert_int_equal(s->nf, FT_F_COUNT);
    for (int f = 0; f < s->nf; f++) s->slot[f] = malloc(ph_field_sample_bytes(&s->fields[f]));
}

static void sample_make(sample *s, uint32_t seed, int64_t index)
{
    for (int f = 0; f < s->nf; f++) memset(s->slot[f], 0, ph_field_sample_bytes(&s->fields[f]));
    ph_challenge_featuretracker.generate(&s->p, seed, index, (void *const *)s->slot);
}

static void sample_free(sample *s)
{
    for (int f = 0; f < s->nf; f++) free(s->slot[f]);
}

#define I16(s, f) ((const int16_t *)(s)->slot[f])
static const uint8_t *shape_of(const sample *s, int j, int t)
{
    return s->slot[FT_F_SHAPES] + ((size_t)j * s->T + t) * CELLS;
}
static const uint8_t *color_of(const sample *s, int j, int t)
{
    return s->slot[FT_F_COLORS] + ((size_t)j * s->T + t) * 3;
}
/* Top-left of object j at frame t (object 1, the copy, follows coords_3). */
static const int16_t *pos_of(const sample *s, int j, int t)
{
    if (j == 0) return I16(s, FT_F_TARGET) + 2 * t;
    int d = j == 1 ? *(int32_t *)s->slot[FT_F_COORDS3] : j - 2;
    return I16(s, FT_F_DISTRACTORS) + ((size_t)d * s->T + t) * 2;
}

/* ---- oracles -------------------------------------------------------------- */

/* Hue in degrees [0, 360) of an RGB triple with max 255 and min 0. */
static double rgb_hue(const uint8_t *c)
{
    double r = c[0] / 255.0, g = c[1] / 255.0, b = c[2] / 255.0;
    double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn, h;
    if (d == 0) return -1;
    if (mx == r) h = fmod((g - b) / d + 6.0, 6.0);
    else if (mx == g) h = (b - r) / d + 2.0;
    else h = (r - g) / d + 4.0;
    return 60.0 * h;
}

/* Conway's neighbour count on the 5x5 grid, no wraparound. */
static int neighbours(const uint8_t *g, int i, int j)
{
    int n = 0;
    for (int a = i - 1; a <= i + 1; a++)
        for (int b = j - 1; b <= j + 1; b++)
            if ((a != i || b != j) && a >= 0 && b >= 0 && a < S && b < S) n += g[a * S + b];
    return n;
}

static int count(const uint8_t *g)
{
    int n = 0;
    for (int k = 0; k < CELLS; k++) n += g[k];
    return n;
}

static int border(int k) { return k / S == 0 || k % S == 0 || k / S == S - 1 || k % S == S - 1; }

static int border_count(const uint8_t *g)
{
    int n = 0;
    for (int k = 0; k < CELLS; k++) n += g[k] && border(k);
    return n;
}

/* ---- one condition -------------------------------------------------------- */

typedef struct {
    int n, positives, first_positive;
    long coincident;       /* distractors ending exactly on the target's end (skipped as coords_3) */
    double goal_offset;    /* mean distance goal - target end in negatives, pixels */
    double hue_min, hue_max; /* measured hue range over all drawn objects and frames */
    long births, deaths, rerandomised, shape_frames;
    double net_ratio;      /* mean net displacement / path length of the target */
} stats;

/* Re-renders frame t of s from its metadata (markers, coords_3's copy,
 * distractors, target on top) and compares pixels and masks. */
static void check_render(const sample *s, int t)
{
    uint8_t img[F * F * 3] = {0}, msk[F * F] = {0};
    const int16_t *st = I16(s, FT_F_START), *go = I16(s, FT_F_GOAL);
    static const uint8_t red[3] = {255, 0, 0}, blue[3] = {0, 0, 255};
    const int16_t *mk[2] = {st, go};
    const uint8_t *mc[2] = {red, blue};
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < CELLS; k++)
            if (border(k)) {
                int r = mk[m][0] + k / S, c = mk[m][1] + k % S;
                memcpy(img + 3 * (r * F + c), mc[m], 3);
                msk[r * F + c] = (uint8_t)(FT_MASK_START + m);
            }
    int order[FT_MAX_DISTRACTORS + 2], no = 0;
    if (s->p.coords3_twice) order[no++] = 1;
    for (int d = 0; d < s->D; d++) order[no++] = 2 + d;
    order[no++] = 0;
    for (int o = 0; o < no; o++) {
        int j = order[o];
        const int16_t *at = pos_of(s, j, t);
        const uint8_t *g = shape_of(s, j, t);
        for (int k = 0; k < CELLS; k++)
            if (g[k]) {
                int r = at[0] + k / S, c = at[1] + k % S;
                assert_in_range(r, 0, F - 1);
                assert_in_range(c, 0, F - 1);
                memcpy(img + 3 * (r * F + c), color_of(s, j, t), 3);
                msk[r * F + c] = (uint8_t)(FT_MASK_OBJECT0 + j);
            }
    }
    const uint8_t *x = s->slot[FT_F_X] + (size_t)t * F * F * 3;
    const uint8_t *mask = s->slot[FT_F_MASKS] + (size_t)t * F * F;
    assert_memory_equal(img, x, sizeof img);
    assert_memory_equal(msk, mask, sizeof msk);
    /* Black exactly where nothing was drawn (colours have V = 1). */
    for (int k = 0; k < F * F; k++) {
        const uint8_t *px = x + 3 * k;
        assert_int_equal(px[0] == 0 && px[1] == 0 && px[2] == 0, mask[k] == FT_MASK_NONE);
    }
}

/* The rule of the condition, frame to frame, for object j. */
static void check_shapes(const sample *s, int j, stats *st)
{
    const int T = s->T;
    if (s->p.shapes == FT_SHAPES_NONE) {
        for (int t = 0; t < T; t++) {
            const uint8_t *g = shape_of(s, j, t);
            for (int k = 0; k < CELLS; k++) assert_int_equal(g[k], !border(k));
        }
        return;
    }
    const uint8_t *g0 = shape_of(s, j, 0);
    assert_true(count(g0) > 0);
    assert_int_equal(border_count(g0), 0); /* starts in the centre 3x3 */
    for (int t = 1; t < T; t++) {
        const uint8_t *a = shape_of(s, j, t - 1), *b = shape_of(s, j, t);
        uint8_t want[CELLS];
        for (int k = 0; k < CELLS; k++) {
            int n = neighbours(a, k / S, k % S);
            want[k] = s->p.shapes == FT_SHAPES_ID ? (a[k] || n == 3) : (a[k] && (n == 2 || n == 3));
            if (s->p.shapes == FT_SHAPES_ID) st->births += !a[k] && want[k];
            else st->deaths += a[k] && !want[k];
        }
        st->shape_frames++;
        if (count(want) == 0) {
            /* An emptied grid restarts as a random, non-empty centre 3x3. */
            st->rerandomised++;
            assert_true(count(b) > 0);
            assert_int_equal(border_count(b), 0);
            continue;
        }
        if (t == T - 1)
            for (int k = 0; k < CELLS; k++)
                if (border(k)) want[k] = 0;
        assert_memory_equal(want, b, CELLS);
    }
    /* The last shape fits inside the goal outline. */
    assert_int_equal(border_count(shape_of(s, j, T - 1)), 0);
    assert_true(count(shape_of(s, j, T - 1)) > 0);
}

/* Hue range of the condition and its speed (the step mod 180 deg), object j. */
static void check_colors(const sample *s, int j, double speed, stats *st)
{
    const ft_colors co = s->p.colors;
    for (int t = 0; t < s->T; t++) {
        const uint8_t *c = color_of(s, j, t);
        if (co == FT_COLORS_NONE) {
            assert_true(c[0] == 0 && c[1] == 255 && c[2] == 0);
            continue;
        }
        /* Full saturation and value: one channel 255 (up to truncation) and one 0. */
        assert_int_equal(fmax(c[0], fmax(c[1], c[2])), 255);
        assert_int_equal(fmin(c[0], fmin(c[1], c[2])), 0);
        double h = rgb_hue(c);
        /* ood's top end, 359.9 deg, truncates to pure red: read 0 as 360 there. */
        if (co == FT_COLORS_OOD && h < 1.0) h += 360.0;
        st->hue_min = fmin(st->hue_min, h), st->hue_max = fmax(st->hue_max, h);
        if (co == FT_COLORS_OOD) assert_true(h >= 180.0 && h <= 360.0);
        else assert_true(h >= 0.0 && h < 180.0);
        if (t > 0) {
            double step = fmod(h - rgb_hue(color_of(s, j, t - 1)) + 720.0, 180.0);
            double want = fmod(speed * 360.0, 180.0);
            double err = fabs(step - want);
            err = fmin(err, 180.0 - err);
            assert_true(err < 0.5); /* two truncations of 60/255 deg each */
        }
    }
}

static stats check_condition(featuretracker_params p, int n, uint32_t seed)
{
    sample s;
    sample_init(&s, p);
    stats st = {.n = n, .hue_min = 1e9, .hue_max = -1e9};
    const int T = s.T, nd = p.num_distractors, L = 2 * (T - 1);
    int negatives = 0;
    for (int i = 0; i < n; i++) {
        sample_make(&s, seed, i);
        int label = *(int32_t *)s.slot[FT_F_Y];
        const int16_t *tg = I16(&s, FT_F_TARGET), *ds = I16(&s, FT_F_DISTRACTORS);
        const int16_t *start = I16(&s, FT_F_START), *goal = I16(&s, FT_F_GOAL);
        const int32_t *cond = (int32_t *)s.slot[FT_F_CONDITION];
        int c3 = *(int32_t *)s.slot[FT_F_COORDS3];
        float speed = *(float *)s.slot[FT_F_HUE_SPEED];
        int32_t want_cond[7] = {T, nd, p.skip, (int)p.shapes, (int)p.colors, (int)p.paths, p.coords3_twice};
        assert_memory_equal(cond, want_cond, sizeof want_cond);
        assert_true(label == 0 || label == 1);
        st.positives += label;
        if (i % 2 == 0) st.first_positive += label;

        /* Objects inside the frame: every top-left in [0, 27], so 5x5 fits in 32. */
        for (int k = 0; k < 2 * T; k++) assert_in_range(tg[k], 0, FT_FRAME - FT_SIDE);
        for (int k = 0; k < 2 * T * s.D; k++) assert_in_range(ds[k], 0, FT_FRAME - FT_SIDE);

        /* coords_3: the first of the num_distractors whose end is nearest the
         * target's end, among ends not on the target's end itself. */
        long best = -1, best_d2 = 0;
        for (int d = 0; d < nd; d++) {
            const int16_t *e = ds + ((size_t)d * T + T - 1) * 2;
            long d2 = (long)(e[0] - tg[L]) * (e[0] - tg[L]) + (long)(e[1] - tg[L + 1]) * (e[1] - tg[L + 1]);
            if (d2 == 0) st.coincident++;
            else if (best < 0 || d2 < best_d2) best = d, best_d2 = d2;
        }
        assert_int_equal(c3, best);
        assert_int_equal(start[0], tg[0]);
        assert_int_equal(start[1], tg[1]);
        if (label) {
            assert_int_equal(goal[0], tg[L]);
            assert_int_equal(goal[1], tg[L + 1]);
        } else {
            const int16_t *e = ds + ((size_t)c3 * T + T - 1) * 2;
            assert_int_equal(goal[0], e[0]);
            assert_int_equal(goal[1], e[1]);
            assert_false(goal[0] == tg[L] && goal[1] == tg[L + 1]);
            st.goal_offset += sqrt((double)best_d2);
            negatives++;
        }

        /* Hue speed of the condition. */
        if (p.colors == FT_COLORS_NONE) assert_true(speed == 0.0f);
        else if (p.colors == FT_COLORS_IRREGULAR) assert_true(speed >= 0.02f && speed <= 0.05f);
        else assert_true(speed == 1.0f / 64.0f);

        for (int j = 0; j < s.O; j++) {
            if (j == 1 && !p.coords3_twice) {
                /* The copy is not drawn: its slots stay zero. */
                for (int t = 0; t < T; t++) {
                    assert_int_equal(count(shape_of(&s, 1, t)), 0);
                    assert_int_equal(color_of(&s, 1, t)[1], 0);
                }
                continue;
            }
            check_shapes(&s, j, &st);
            check_colors(&s, j, speed, &st);
        }
        for (int t = 0; t < T; t++) check_render(&s, t);

        double path = 0;
        for (int t = 1; t < T; t++) path += hypot(tg[2 * t] - tg[2 * t - 2], tg[2 * t + 1] - tg[2 * t - 1]);
        if (path > 0) st.net_ratio += hypot(tg[L] - tg[0], tg[L + 1] - tg[1]) / path;
    }
    st.goal_offset /= negatives;
    st.net_ratio /= n;
    char name[128];
    ph_challenge_featuretracker.condition(&s.p, name, sizeof name);
    print_message("# %s: %d videos, positives %.4f, positive-first pairs %.3f, coords_3 = nearest "
                  "%d/%d, ends on the target's end skipped %ld, goal-target end distance in "
                  "negatives %.2f px, hue [%.1f, %.1f] deg, births %ld deaths %ld re-randomised %ld "
                  "over %ld object-frames, net/path %.3f\n",
                  name, n, (double)st.positives / n, (double)st.first_positive / (n / 2), n, n,
                  st.coincident, st.goal_offset, st.hue_min, st.hue_max, st.births, st.deaths,
                  st.rerandomised, st.shape_frames, st.net_ratio);
    /* Labels: exactly half positive for even n, the positive member of a pair random (4 sigma). */
    assert_int_equal(2 * st.positives, n);
    assert_true(fabs((double)st.first_positive / (n / 2) - 0.5) < 4 * 0.5 / sqrt(n / 2));
    sample_free(&s);
    return st;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_training_condition(void **state)
{
    (void)state;
    stats st = check_condition(params(FT_SHAPES_ID, FT_COLORS_ID, FT_PATHS_REGULAR), 2000, 4242);
    /* id hues fill [0, 180): the speed sweeps the half circle once in 32 frames. */
    assert_true(st.hue_min < 2.0 && st.hue_max > 178.0);
    /* Birth-only: cells are born, none die. */
    assert_true(st.births > 0);
    assert_int_equal(st.deaths, 0);
    /* Hard negatives: the goal is a few pixels from the target's end. */
    assert_true(st.goal_offset > 1.0 && st.goal_offset < 6.0);
}

static void test_other_conditions(void **state)
{
    (void)state;
    struct {
        ft_shapes sh;
        ft_colors co;
        ft_paths pa;
    } c[] = {
        {FT_SHAPES_NONE, FT_COLORS_NONE, FT_PATHS_REGULAR}, {FT_SHAPES_NONE, FT_COLORS_ID, FT_PATHS_REGULAR},
        {FT_SHAPES_ID, FT_COLORS_NONE, FT_PATHS_REGULAR},   {FT_SHAPES_ID, FT_COLORS_OOD, FT_PATHS_REGULAR},
        {FT_SHAPES_OOD, FT_COLORS_ID, FT_PATHS_REGULAR},    {FT_SHAPES_OOD, FT_COLORS_OOD, FT_PATHS_REGULAR},
        {FT_SHAPES_ID, FT_COLORS_IRREGULAR, FT_PATHS_REGULAR}, {FT_SHAPES_ID, FT_COLORS_ID, FT_PATHS_IRREGULAR},
    };
    double regular_ratio = 0, irregular_ratio = 0;
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        stats st = check_condition(params(c[k].sh, c[k].co, c[k].pa), 300, 100 + (uint32_t)k);
        if (c[k].co == FT_COLORS_OOD) assert_true(st.hue_min < 182.0 && st.hue_max > 358.0);
        if (c[k].co == FT_COLORS_ID) assert_true(st.hue_min < 2.0 && st.hue_max > 178.0);
        if (c[k].sh == FT_SHAPES_OOD) {
            /* Death-only: cells die, none are born, and emptied grids restart. */
            assert_true(st.deaths > 0 && st.rerandomised > 0);
            assert_int_equal(st.births, 0);
        }
        if (c[k].pa == FT_PATHS_IRREGULAR) irregular_ratio = st.net_ratio;
        else if (c[k].sh == FT_SHAPES_ID && c[k].co == FT_COLORS_NONE) regular_ratio = st.net_ratio;
    }
    /* Turns up to 180 deg wind the paths more: less net displacement per pixel moved. */
    assert_true(irregular_ratio < regular_ratio);
}

static void test_quirk_coords3_twice_and_extras(void **state)
{
    (void)state;
    featuretracker_params p = params(FT_SHAPES_ID, FT_COLORS_OOD, FT_PATHS_REGULAR);
    p.coords3_twice = 1, p.extra_distractors = 3;
    check_condition(p, 200, 77);
    /* With a single distractor, coords_3 is it, redrawn if it ends on the target's end. */
    p = params(FT_SHAPES_OOD, FT_COLORS_IRREGULAR, FT_PATHS_IRREGULAR);
    p.num_distractors = 1, p.length = 64, p.skip = 4;
    check_condition(p, 400, 78);
}

static void test_generation_is_pure(void **state)
{
    (void)state;
    sample a, b;
    sample_init(&a, params(FT_SHAPES_ID, FT_COLORS_ID, FT_PATHS_REGULAR));
    sample_init(&b, params(FT_SHAPES_ID, FT_COLORS_ID, FT_PATHS_REGULAR));
    sample_make(&a, 99, 137);
    for (int i = 0; i < 10; i++) sample_make(&b, 99, i); /* unrelated work in between */
    sample_make(&b, 99, 137);
    for (int f = 0; f < a.nf; f++)
        assert_memory_equal(a.slot[f], b.slot[f], ph_field_sample_bytes(&a.fields[f]));
    sample_make(&b, 100, 137); /* another seed gives another video */
    assert_memory_not_equal(a.slot[FT_F_X], b.slot[FT_F_X], ph_field_sample_bytes(&a.fields[FT_F_X]));
    sample_free(&b);
    /* Same seed, other colours: the same paths and shapes, other pixels. */
    sample_init(&b, params(FT_SHAPES_ID, FT_COLORS_OOD, FT_PATHS_REGULAR));
    sample_make(&b, 99, 137);
    assert_memory_equal(a.slot[FT_F_TARGET], b.slot[FT_F_TARGET], ph_field_sample_bytes(&a.fields[FT_F_TARGET]));
    assert_memory_equal(a.slot[FT_F_SHAPES], b.slot[FT_F_SHAPES], ph_field_sample_bytes(&a.fields[FT_F_SHAPES]));
    assert_memory_not_equal(a.slot[FT_F_X], b.slot[FT_F_X], ph_field_sample_bytes(&a.fields[FT_F_X]));
    sample_free(&a);
    sample_free(&b);
}

static void test_condition_names(void **state)
{
    (void)state;
    char buf[128];
    featuretracker_params p = params(FT_SHAPES_NONE, FT_COLORS_NONE, FT_PATHS_REGULAR);
    ph_challenge_featuretracker.condition(&p, buf, sizeof buf);
    assert_string_equal(buf, "noshapes_nocolors_length32_dist10_skip1");
    p = params(FT_SHAPES_ID, FT_COLORS_ID, FT_PATHS_IRREGULAR);
    p.coords3_twice = 1;
    ph_challenge_featuretracker.condition(&p, buf, sizeof buf);
    assert_string_equal(buf, "idshapes_idcolors_irregular_length32_dist10_skip1_coords3twice");
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_condition),
        cmocka_unit_test(test_other_conditions),
        cmocka_unit_test(test_quirk_coords3_twice_and_extras),
        cmocka_unit_test(test_generation_is_pure),
        cmocka_unit_test(test_condition_names),
    };
    return cmocka_run_group_tests_name("featuretracker", tests, NULL, NULL);
}
