/* test_shortcut.c: the logistic regression behind the shortcut floor, and the
 * matched negatives of PathTracker and FeatureTracker: the
 * start-goal distance alone must be at chance on matched data and clearly
 * above it on the original data. */
#include "challenges/challenge.h"
#include "challenges/featuretracker.h"
#include "challenges/pathtracker.h"
#include "core/rng.h"
#include "stats/shortcut.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

extern const ph_challenge ph_challenge_pathtracker, ph_challenge_featuretracker;

/* ---- the regression ------------------------------------------------------ */

/* Data drawn from a known model: the fit recovers its coefficients. */
static void test_logistic_recovers_coefficients(void **state)
{
    (void)state;
    enum { N = 20000 };
    double *x = malloc(N * sizeof *x);
    int32_t *y = malloc(N * sizeof *y);
    ph_rng r;
    ph_rng_init(&r, 7, PH_STREAM_CONTENT, 0, 0);
    for (int i = 0; i < N; i++) {
        x[i] = 20.0 * ph_rng_uniform(&r);
        y[i] = ph_rng_uniform(&r) < 1.0 / (1.0 + exp(-(-3.0 + 0.4 * x[i])));
    }
    ph_logistic lr;
    assert_int_equal(ph_shortcut_fit(&lr, x, y, N), 0);
    const double b = ph_logistic_slope(&lr, 0), a = ph_shortcut_intercept(&lr);
    printf("# fitted intercept %.3f (true -3), slope %.4f (true 0.4), %d Newton steps\n", a, b, lr.iterations);
    /* Standard errors at this N are about 0.06 and 0.006. */
    assert_true(fabs(a + 3.0) < 0.3);
    assert_true(fabs(b - 0.4) < 0.03);
    free(x), free(y);
}

/* Separable data: the ridge keeps the weights finite and the fit classifies all. */
static void test_logistic_separable_stays_finite(void **state)
{
    (void)state;
    double x[40];
    int32_t y[40];
    for (int i = 0; i < 40; i++) x[i] = i, y[i] = i >= 20;
    ph_logistic lr;
    ph_shortcut_fit(&lr, x, y, 40);
    assert_true(isfinite(lr.w[0]) && isfinite(lr.w[1]));
    for (int i = 0; i < 40; i++) assert_int_equal(ph_logistic_prob(&lr, &x[i]) > 0.5, y[i]);
}

/* ---- matched negatives ----------------------------------------------------- */

typedef struct {
    const ph_challenge *ch;
    const void *params;
    int nf, start, goal;
    ph_field fields[PH_MAX_FIELDS];
    uint8_t *slot[PH_MAX_FIELDS];
} videos;

static int field_index(const videos *v, const char *name)
{
    for (int f = 0; f < v->nf; f++)
        if (!strcmp(v->fields[f].name, name)) return f;
    fail_msg("no field %s", name);
    return -1;
}

static void videos_init(videos *v, const ph_challenge *ch, const void *params)
{
    memset(v, 0, sizeof *v);
    v->ch = ch, v->params = params;
    v->nf = ch->fields(params, v->fields, PH_MAX_FIELDS);
    for (int f = 0; f < v->nf; f++) v->slot[f] = malloc(ph_field_sample_bytes(&v->fields[f]));
    v->start = field_index(v, "meta/start"), v->goal = field_index(v, "meta/goal");
}

/* Sample i of `seed` into the slots, on black as phasor-generate's are. */
static void videos_make(videos *v, uint32_t seed, int64_t i)
{
    for (int f = 0; f < v->nf; f++) memset(v->slot[f], 0, ph_field_sample_bytes(&v->fields[f]));
    v->ch->generate(v->params, seed, i, (void *const *)v->slot);
}

static void videos_free(videos *v)
{
    for (int f = 0; f < v->nf; f++) free(v->slot[f]);
}

/* Labels and start-goal distances of videos [0, n) of `seed`. */
static void videos_distances(videos *v, uint32_t seed, int n, int32_t *y, double *distance)
{
    for (int i = 0; i < n; i++) {
        videos_make(v, seed, i);
        const int16_t *s = (const int16_t *)v->slot[v->start], *g = (const int16_t *)v->slot[v->goal];
        const int32_t s32[2] = {s[0], s[1]}, g32[2] = {g[0], g[1]};
        y[i] = *(const int32_t *)v->slot[field_index(v, "y")];
        ph_shortcut_distances(s32, g32, 1, &distance[i]);
    }
}

/* The shortcut fitted on `n` videos of seed 1 and scored on `n` of seed 3. */
static ph_shortcut_score leak(const ph_challenge *ch, const void *params, int n, const char *what)
{
    videos v;
    videos_init(&v, ch, params);
    int32_t *y = malloc((size_t)n * sizeof *y), *y2 = malloc((size_t)n * sizeof *y2);
    double *d = malloc((size_t)n * sizeof *d), *d2 = malloc((size_t)n * sizeof *d2);
    videos_distances(&v, 1, n, y, d);
    videos_distances(&v, 3, n, y2, d2);
    ph_logistic lr;
    ph_shortcut_fit(&lr, d, y, n);
    const ph_shortcut_score s = ph_shortcut_score_of(&lr, d2, y2, n);
    printf("# %s: distance-only balanced accuracy %.4f [%.4f, %.4f], mean distance %.2f (pos) %.2f (neg) px\n",
           what, s.accuracy, s.lo, s.hi, s.mean_pos, s.mean_neg);
    free(y), free(y2), free(d), free(d2);
    videos_free(&v);
    return s;
}

static void test_pathtracker_matched_removes_the_leak(void **state)
{
    (void)state;
    pathtracker_params p = {32, 14, 0, 1, PT_NEGATIVES_ORIGINAL};
    const ph_shortcut_score orig = leak(&ph_challenge_pathtracker, &p, 1600, "pathtracker 32 frames, original");
    p.negatives = PT_NEGATIVES_MATCHED;
    const ph_shortcut_score match = leak(&ph_challenge_pathtracker, &p, 1600, "pathtracker 32 frames, matched");
    assert_true(orig.lo > 0.65);
    assert_true(match.lo <= 0.5 && 0.5 <= match.hi);
    assert_true(fabs(match.mean_pos - match.mean_neg) < 0.5);
}

/* Matched negatives keep the label's meaning: the goal is where coords_3 ends
 * and never where the target ends; positives are unchanged. */
static void test_pathtracker_matched_labels_hold(void **state)
{
    (void)state;
    pathtracker_params orig = {32, 14, 0, 1, PT_NEGATIVES_ORIGINAL}, match = orig;
    match.negatives = PT_NEGATIVES_MATCHED;
    videos a, b;
    videos_init(&a, &ph_challenge_pathtracker, &orig);
    videos_init(&b, &ph_challenge_pathtracker, &match);
    const int fy = field_index(&b, "y"), ft = field_index(&b, "meta/target"), fc = field_index(&b, "meta/coords3");
    const int fx = field_index(&b, "x");
    for (int i = 0; i < 200; i++) {
        videos_make(&a, 5, i);
        videos_make(&b, 5, i);
        const int16_t *tg = (const int16_t *)b.slot[ft], *c3 = (const int16_t *)b.slot[fc];
        const int16_t *goal = (const int16_t *)b.slot[b.goal];
        if (*(int32_t *)b.slot[fy]) {
            assert_memory_equal(a.slot[fx], b.slot[fx], ph_field_sample_bytes(&b.fields[fx]));
        } else {
            assert_true(goal[0] == c3[2 * 31] && goal[1] == c3[2 * 31 + 1]);
            assert_false(goal[0] == tg[2 * 31] && goal[1] == tg[2 * 31 + 1]);
        }
    }
    videos_free(&a), videos_free(&b);
}

static void test_featuretracker_matched_removes_the_leak(void **state)
{
    (void)state;
    featuretracker_params p = {8, 10, 0, 1, FT_SHAPES_ID, FT_COLORS_ID, FT_PATHS_REGULAR, 0, PT_NEGATIVES_ORIGINAL, 0};
    const ph_shortcut_score orig = leak(&ph_challenge_featuretracker, &p, 1600, "featuretracker 8 frames, original");
    p.negatives = PT_NEGATIVES_MATCHED;
    const ph_shortcut_score match = leak(&ph_challenge_featuretracker, &p, 1600, "featuretracker 8 frames, matched");
    assert_true(orig.lo > 0.55);
    assert_true(match.lo <= 0.5 && 0.5 <= match.hi);
}

/* ---- FeatureTracker hues clear of the markers ----------------------------- */

/* Hue of an RGB colour in degrees [0, 360). */
static double hue_of(const uint8_t *c)
{
    const double r = c[0] / 255.0, g = c[1] / 255.0, b = c[2] / 255.0;
    const double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn;
    if (d <= 0) return 0;
    double h = mx == r ? fmod((g - b) / d, 6.0) : mx == g ? (b - r) / d + 2.0 : (r - g) / d + 4.0;
    h *= 60.0;
    return h < 0 ? h + 360.0 : h;
}

/* Smallest hue distance (degrees) of any object colour to red (0) or blue (240). */
static double nearest_marker_hue(ft_colors colors, int margin)
{
    featuretracker_params p = {32, 10, 0, 1, FT_SHAPES_ID, colors, FT_PATHS_REGULAR, 0, PT_NEGATIVES_ORIGINAL, margin};
    videos v;
    videos_init(&v, &ph_challenge_featuretracker, &p);
    const int fc = field_index(&v, "meta/colors");
    const size_t ncol = ph_field_sample_bytes(&v.fields[fc]) / 3;
    double nearest = 360;
    for (int i = 0; i < 100; i++) {
        videos_make(&v, 9, i);
        for (size_t k = 0; k < ncol; k++) {
            const uint8_t *c = v.slot[fc] + 3 * k;
            if (!c[0] && !c[1] && !c[2]) continue; /* object 1 is not drawn */
            const double h = hue_of(c);
            nearest = fmin(nearest, fmin(fmin(h, 360.0 - h), fabs(h - 240.0)));
        }
    }
    videos_free(&v);
    return nearest;
}

static void test_featuretracker_hue_margin(void **state)
{
    (void)state;
    /* The original's hues reach both marker colours; a margin keeps them clear
     * (one degree less for int(255 * c) truncation). */
    const double id0 = nearest_marker_hue(FT_COLORS_ID, 0), ood0 = nearest_marker_hue(FT_COLORS_OOD, 0);
    const double id = nearest_marker_hue(FT_COLORS_ID, 15), ood = nearest_marker_hue(FT_COLORS_OOD, 15);
    printf("# nearest hue to a marker's: id %.2f -> %.2f, ood %.2f -> %.2f degrees (margin 0 -> 15)\n", id0, id,
           ood0, ood);
    assert_true(id0 < 1.0 && ood0 < 1.0);
    assert_true(id >= 14.0 && ood >= 14.0);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_recovers_coefficients),
        cmocka_unit_test(test_logistic_separable_stays_finite),
        cmocka_unit_test(test_pathtracker_matched_removes_the_leak),
        cmocka_unit_test(test_pathtracker_matched_labels_hold),
        cmocka_unit_test(test_featuretracker_matched_removes_the_leak),
        cmocka_unit_test(test_featuretracker_hue_margin),
    };
    return cmocka_run_group_tests_name("shortcut", tests, NULL, NULL);
}
