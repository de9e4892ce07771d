/* test_diagnostic.c: the harmonizer's synthetic challenge.
 *
 * Checked from the pixels wherever possible, with code of the test's own:
 * balanced labels; the label's part is present, whole, inside the canvas and
 * brighter than the background, and it is the label's shape or texture (by
 * features a cross, a ring or a grating's direction have, not by the
 * generator's templates alone); the background colour (found as the majority
 * pixel colour) names the label at the split's rate within 4 binomial
 * standard deviations over 4000 samples, at chance for a decorrelated split;
 * a nearest-centroid (linear) rule on the mean colour reaches the agreement
 * rate; /maps/human is in [0, 1], peaks inside the part, is exactly 0
 * outside the blur's reach, and equals a float64 oracle of the notes' ClickMe
 * blur; generation is pure and the cue is the only thing the agreement
 * changes. */
#include "challenges/challenge.h"
#include "challenges/diagnostic.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    const ph_challenge *ch;
    diagnostic_params p;
    int nf;
    ph_field fields[PH_MAX_FIELDS];
    uint8_t *slot[PH_MAX_FIELDS];
} sample;

static void sample_init(sample *s, diagnostic_part part, int classes, int patch, double agreement)
{
    memset(s, 0, sizeof *s);
    s->ch = ph_challenge_find("diagnostic");
    assert_non_null(s->ch);
    s->p = (diagnostic_params){.size = 64, .classes = classes, .part = part, .patch = patch,
                               .distractors = 6, .agreement = agreement};
    s->nf = s->ch->fields(&s->p, s->fields, PH_MAX_FIELDS);
    assert_int_equal(s->nf, DIAG_F_COUNT);
    assert_string_equal(s->fields[DIAG_F_HUMAN].name, "maps/human");
    assert_int_equal(s->fields[DIAG_F_HUMAN].type, PH_F32);
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

static int label_of(const sample *s) { return *(const int32_t *)s->slot[DIAG_F_Y]; }
static const int16_t *patch_of(const sample *s) { return (const int16_t *)s->slot[DIAG_F_PATCH]; }

static uint32_t pixel(const sample *s, int y, int x)
{
    const uint8_t *p = s->slot[DIAG_F_X] + 3 * ((size_t)y * s->p.size + x);
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* The majority colour (Boyer-Moore vote), checked to cover more than half the image. */
static uint32_t background_of(const sample *s)
{
    const int S = s->p.size;
    uint32_t cand = 0;
    long votes = 0, count = 0;
    for (int i = 0; i < S * S; i++) {
        uint32_t c = pixel(s, i / S, i % S);
        if (votes == 0) cand = c, votes = 1;
        else votes += c == cand ? 1 : -1;
    }
    for (int i = 0; i < S * S; i++) count += pixel(s, i / S, i % S) == cand;
    assert_true(2 * count > S * S);
    return cand;
}

static double hue_of(uint32_t c)
{
    double r = (c >> 16) / 255.0, g = ((c >> 8) & 255) / 255.0, b = (c & 255) / 255.0;
    double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn, h;
    if (d <= 0) return 0;
    if (mx == r) h = fmod((g - b) / d, 6.0);
    else if (mx == g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
    h /= 6.0;
    return h < 0 ? h + 1 : h;
}

static double value_of(uint32_t c) { return fmax((c >> 16) & 255, fmax((c >> 8) & 255, c & 255)) / 255.0; }

/* Cue class named by a background colour: the nearest class centre on the hue
 * circle, here 0.05 + k / K (docs/challenges/diagnostic.md). */
static int cue_from_colour(uint32_t c, int classes)
{
    double h = hue_of(c), best = 2;
    int arg = -1;
    for (int k = 0; k < classes; k++) {
        double d = fabs(h - (0.05 + (double)k / classes));
        d = fmin(d, 1 - d);
        if (d < best) best = d, arg = k;
    }
    /* Drawn hues stay within 0.3 / K of their centre: unambiguous. */
    assert_true(best <= 0.3 / classes + 0.01);
    return arg;
}

/* ---- labels ------------------------------------------------------------------ */

static void test_labels_balanced(void **state)
{
    (void)state;
    for (int classes = 2; classes <= DIAG_MAX_CLASSES; classes++) {
        int total[DIAG_MAX_CLASSES] = {0};
        for (int64_t b = 0; b < 400; b++) {
            int seen[DIAG_MAX_CLASSES] = {0};
            for (int j = 0; j < classes; j++) {
                int y = diagnostic_label(11, classes, b * classes + j);
                assert_true(y >= 0 && y < classes);
                seen[y]++, total[y]++;
            }
            for (int k = 0; k < classes; k++) assert_int_equal(seen[k], 1);
        }
        for (int k = 0; k < classes; k++) assert_int_equal(total[k], 400);
    }
    /* Not a fixed pattern: the order within blocks varies. */
    int first0 = 0;
    for (int64_t b = 0; b < 400; b++) first0 += diagnostic_label(11, 2, 2 * b) == 0;
    assert_true(first0 > 150 && first0 < 250);
    /* The file's /y is that label. */
    sample s;
    sample_init(&s, DIAG_PART_SHAPE, 3, 12, 0.95);
    int counts[3] = {0};
    for (int64_t i = 0; i < 300; i++) {
        sample_make(&s, 5, i);
        assert_int_equal(label_of(&s), diagnostic_label(5, 3, i));
        counts[label_of(&s)]++;
    }
    for (int k = 0; k < 3; k++) assert_int_equal(counts[k], 100);
    sample_free(&s);
}

/* ---- the diagnostic part ------------------------------------------------------- */

/* The part's pixels and their class by the test's own features; fails on any
 * pixel of the square that is neither part nor what may lie under it. */
static void check_part(const sample *s, int64_t index)
{
    const int S = s->p.size, K = s->p.classes, y = label_of(s);
    const int16_t *pt = patch_of(s);
    const int r0 = pt[0], c0 = pt[1], P = pt[2];
    assert_int_equal(P, s->p.patch);
    assert_true(r0 >= 0 && c0 >= 0 && r0 + P <= S && c0 + P <= S);
    const uint32_t bg = background_of(s);

    /* The generator's template, drawn exactly: part colour on, background (shape)
     * or one darker shade (texture) off, nothing else in the square. */
    uint8_t *mask = malloc((size_t)P * P);
    diagnostic_template(s->p.part, y, K, P, mask);
    uint32_t on = 0, off = 0;
    int have_on = 0, have_off = 0;
    for (int dy = 0; dy < P; dy++)
        for (int dx = 0; dx < P; dx++) {
            uint32_t c = pixel(s, r0 + dy, c0 + dx);
            if (mask[dy * P + dx]) {
                if (!have_on) on = c, have_on = 1;
                if (c != on) fail_msg("sample %lld: part pixel (%d,%d) has another colour", (long long)index, dy, dx);
            } else if (s->p.part == DIAG_PART_SHAPE) {
                if (c != bg) fail_msg("sample %lld: clutter or paint inside the part's square at (%d,%d)", (long long)index, dy, dx);
            } else {
                if (!have_off) off = c, have_off = 1;
                if (c != off) fail_msg("sample %lld: texture gap (%d,%d) has another colour", (long long)index, dy, dx);
            }
        }
    assert_true(have_on);
    /* Visible: the part is clearly brighter than any background. */
    assert_true(value_of(on) >= 0.8 && value_of(bg) <= 0.6);
    /* The other classes' parts would look different (at least 4 pixels). */
    for (int k = 0; k < K; k++) {
        if (k == y) continue;
        uint8_t *other = malloc((size_t)P * P);
        diagnostic_template(s->p.part, k, K, P, other);
        int diff = 0;
        for (int i = 0; i < P * P; i++) diff += other[i] != mask[i];
        assert_true(diff >= 4);
        free(other);
    }
    /* Independent features of the default classes. */
    int lit[64][64];
    for (int dy = 0; dy < P; dy++)
        for (int dx = 0; dx < P; dx++) lit[dy][dx] = pixel(s, r0 + dy, c0 + dx) == on;
    const int m = P / 2, e = P - 1;
    if (s->p.part == DIAG_PART_SHAPE && y == 0) { /* cross: full middle row and column, empty corners */
        for (int i = 0; i < P; i++) assert_true(lit[m][i] && lit[i][m]);
        assert_true(!lit[0][0] && !lit[0][e] && !lit[e][0] && !lit[e][e]);
    } else if (s->p.part == DIAG_PART_SHAPE && y == 1) { /* ring: hollow, edges' midpoints lit, corners empty */
        assert_true(!lit[m][m] && !lit[m - 1][m - 1]);
        assert_true(lit[0][m] && lit[e][m] && lit[m][0] && lit[m][e]);
        assert_true(!lit[0][0] && !lit[0][e] && !lit[e][0] && !lit[e][e]);
    } else if (s->p.part == DIAG_PART_TEXTURE && K == 2) {
        /* class 0: stripes across columns (each column constant); class 1: each row constant */
        int cols_const = 1, rows_const = 1;
        for (int a = 0; a < P; a++)
            for (int b = 1; b < P; b++) {
                cols_const &= lit[b][a] == lit[0][a];
                rows_const &= lit[a][b] == lit[a][0];
            }
        assert_int_equal(cols_const, y == 0);
        assert_int_equal(rows_const, y == 1);
    }
    free(mask);
}

static void test_part_present_inside(void **state)
{
    (void)state;
    const struct { diagnostic_part part; int classes, patch; } cases[] = {
        {DIAG_PART_SHAPE, 2, 12}, {DIAG_PART_SHAPE, 2, 9}, {DIAG_PART_SHAPE, 6, 16},
        {DIAG_PART_TEXTURE, 2, 12}, {DIAG_PART_TEXTURE, 4, 20},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sample s;
        sample_init(&s, cases[c].part, cases[c].classes, cases[c].patch, 0.95);
        long clutter = 0;
        int edge[4] = {0};
        for (int64_t i = 0; i < 400; i++) {
            sample_make(&s, 21, i);
            check_part(&s, i);
            clutter += *(int32_t *)s.slot[DIAG_F_DISTRACTORS];
            const int16_t *pt = patch_of(&s);
            edge[0] |= pt[0] == 0, edge[1] |= pt[1] == 0;
            edge[2] |= pt[0] + pt[2] == 64, edge[3] |= pt[1] + pt[2] == 64;
        }
        /* Clutter is there (not trivial) and positions reach every border. */
        assert_true(clutter > 400 * 3);
        for (int k = 0; k < 4; k++) assert_true(edge[k]);
        sample_free(&s);
    }
}

/* ---- the spurious cue ------------------------------------------------------------ */

/* Fraction of n samples whose background names the label, with meta/cue checked
 * against the pixels. */
static double agreement_rate(int classes, double agreement, uint32_t seed, int n)
{
    sample s;
    sample_init(&s, DIAG_PART_SHAPE, classes, 12, agreement);
    int agree = 0;
    for (int64_t i = 0; i < n; i++) {
        sample_make(&s, seed, i);
        int cue = cue_from_colour(background_of(&s), classes);
        assert_int_equal(cue, *(int32_t *)s.slot[DIAG_F_CUE]);
        agree += cue == label_of(&s);
    }
    sample_free(&s);
    return (double)agree / n;
}

static void assert_rate(double got, double p, int n)
{
    double tol = 4 * sqrt(p * (1 - p) / n) + 1e-12;
    if (fabs(got - p) > tol) fail_msg("agreement %.4f, expected %.4f +- %.4f (4 sd, n = %d)", got, p, tol, n);
}

static void test_cue_agreement_rate(void **state)
{
    (void)state;
    enum { N = 4000 };
    assert_rate(agreement_rate(2, 0.95, 31, N), 0.95, N);
    assert_rate(agreement_rate(2, 0.5, 32, N), 0.5, N);  /* the decorrelated test split */
    assert_rate(agreement_rate(3, 0.8, 33, N), 0.8, N);
    assert_rate(agreement_rate(3, 1.0 / 3, 34, N), 1.0 / 3, N);
    assert_true(agreement_rate(2, 1.0, 35, 500) == 1.0);
    assert_true(agreement_rate(2, 0.0, 36, 500) == 0.0);
}

/* A linear rule (nearest class centroid of the mean RGB, fitted on a training
 * split) predicts the label as well as the cue agrees with it: the shortcut
 * works on training data and fails on the decorrelated test split. */
static void mean_rgb(const sample *s, double out[3])
{
    const int S = s->p.size;
    out[0] = out[1] = out[2] = 0;
    for (int i = 0; i < S * S; i++)
        for (int k = 0; k < 3; k++) out[k] += s->slot[DIAG_F_X][3 * i + k];
    for (int k = 0; k < 3; k++) out[k] /= (double)S * S;
}

static double centroid_accuracy(double agreement, uint32_t seed, int n, double cent[2][3], int fit)
{
    sample s;
    sample_init(&s, DIAG_PART_SHAPE, 2, 12, agreement);
    double (*feat)[3] = malloc((size_t)n * sizeof *feat);
    int *y = malloc((size_t)n * sizeof *y);
    for (int i = 0; i < n; i++) {
        sample_make(&s, seed, i);
        mean_rgb(&s, feat[i]);
        y[i] = label_of(&s);
    }
    if (fit) {
        int cnt[2] = {0};
        memset(cent, 0, 2 * 3 * sizeof(double));
        for (int i = 0; i < n; i++) {
            cnt[y[i]]++;
            for (int k = 0; k < 3; k++) cent[y[i]][k] += feat[i][k];
        }
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 3; k++) cent[c][k] /= cnt[c];
    }
    int hits = 0;
    for (int i = 0; i < n; i++) {
        double d[2] = {0, 0};
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 3; k++) d[c] += (feat[i][k] - cent[c][k]) * (feat[i][k] - cent[c][k]);
        hits += (d[1] < d[0]) == y[i];
    }
    free(feat);
    free(y);
    sample_free(&s);
    return (double)hits / n;
}

static void test_cue_linear_readable(void **state)
{
    (void)state;
    enum { N = 2000 };
    double cent[2][3];
    double train = centroid_accuracy(0.95, 41, N, cent, 1);
    double test = centroid_accuracy(0.5, 42, N, cent, 0);
    print_message("# mean-colour nearest centroid: train %.4f, decorrelated test %.4f\n", train, test);
    assert_rate(train, 0.95, N);
    assert_rate(test, 0.5, N);
}

/* ---- the human map ------------------------------------------------------------------ */

static void test_human_map(void **state)
{
    (void)state;
    for (int part = 0; part < DIAG_PART_COUNT; part++) {
        sample s;
        sample_init(&s, (diagnostic_part)part, 2, 12, 0.95);
        for (int64_t i = 0; i < 300; i++) {
            sample_make(&s, 51, i);
            const float *h = (const float *)s.slot[DIAG_F_HUMAN];
            const int16_t *pt = patch_of(&s);
            const int r0 = pt[0], c0 = pt[1], P = pt[2];
            float lo = 1, hi = 0;
            int arg = 0;
            for (int k = 0; k < 64 * 64; k++) {
                assert_true(h[k] >= 0.0f && h[k] <= 1.0f);
                lo = fminf(lo, h[k]);
                if (h[k] > hi) hi = h[k], arg = k;
                /* At 64 x 64 the resizes are the identity: the blur reaches offsets
                 * -5..+4 around the part's square and nothing else. */
                int y = k / 64, x = k % 64;
                if (y < r0 - 5 || y > r0 + P - 1 + 4 || x < c0 - 5 || x > c0 + P - 1 + 4)
                    if (h[k] != 0.0f) fail_msg("sample %lld: map %g at (%d,%d), outside the blur's reach", (long long)i, h[k], y, x);
            }
            assert_true(lo == 0.0f && hi == 1.0f);
            int ay = arg / 64, ax = arg % 64;
            if (!(ay >= r0 && ay < r0 + P && ax >= c0 && ax < c0 + P))
                fail_msg("sample %lld: peak (%d,%d) outside the part [%d,%d]+%d", (long long)i, ay, ax, r0, c0, P);
        }
        sample_free(&s);
    }
}

/* ---- the human map against a float64 oracle of the notes ------------------------------------ */

/* At S = 64 the resizes to and from 64 x 64 are the identity, so the map must be
 * min-max(blur(region)) with the notes' blur: out(i, j) = sum over row offsets
 * a and column offsets b in [-4, 5] of exp(-a^2/200) exp(-(b-1)^2/200) / Z
 * times region(i + a, j + b), zero outside.  The region is rebuilt from the
 * pixels: the part's colour inside its square (the whole square for a texture). */
static void test_human_map_oracle(void **state)
{
    (void)state;
    double zr = 0, zc = 0;
    for (int d = -4; d <= 5; d++) zr += exp(-d * d / 200.0), zc += exp(-(d - 1) * (d - 1) / 200.0);
    double *region = malloc(64 * 64 * sizeof *region), *blur = malloc(64 * 64 * sizeof *blur);
    double worst = 0;
    for (int part = 0; part < DIAG_PART_COUNT; part++) {
        sample s;
        sample_init(&s, (diagnostic_part)part, 2, 12, 0.95);
        for (int64_t i = 0; i < 40; i++) {
            sample_make(&s, 71, i);
            const int16_t *pt = patch_of(&s);
            const uint32_t bg = background_of(&s);
            memset(region, 0, 64 * 64 * sizeof *region);
            for (int y = pt[0]; y < pt[0] + pt[2]; y++)
                for (int x = pt[1]; x < pt[1] + pt[2]; x++)
                    region[y * 64 + x] = part == DIAG_PART_TEXTURE || pixel(&s, y, x) != bg;
            double lo = INFINITY, hi = -INFINITY;
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++) {
                    double v = 0;
                    for (int a = -4; a <= 5; a++)
                        for (int b = -4; b <= 5; b++)
                            if (y + a >= 0 && y + a < 64 && x + b >= 0 && x + b < 64)
                                v += exp(-a * a / 200.0) * exp(-(b - 1) * (b - 1) / 200.0) * region[(y + a) * 64 + x + b];
                    blur[y * 64 + x] = v / (zr * zc);
                    lo = fmin(lo, blur[y * 64 + x]), hi = fmax(hi, blur[y * 64 + x]);
                }
            const float *h = (const float *)s.slot[DIAG_F_HUMAN];
            for (int k = 0; k < 64 * 64; k++) worst = fmax(worst, fabs(h[k] - (blur[k] - lo) / (hi - lo)));
        }
        sample_free(&s);
    }
    print_message("# /maps/human against the float64 oracle: max |difference| %.3g\n", worst);
    assert_true(worst < 1e-5);
    free(region);
    free(blur);
}

/* At other sizes the map goes through 64 x 64 and back: still in [0, 1], peaking on the part. */
static void test_human_map_other_size(void **state)
{
    (void)state;
    sample s;
    sample_init(&s, DIAG_PART_SHAPE, 2, 16, 0.95);
    s.p.size = 96;
    s.nf = s.ch->fields(&s.p, s.fields, PH_MAX_FIELDS);
    for (int f = 0; f < s.nf; f++) s.slot[f] = realloc(s.slot[f], ph_field_sample_bytes(&s.fields[f]));
    for (int64_t i = 0; i < 40; i++) {
        sample_make(&s, 72, i);
        const float *h = (const float *)s.slot[DIAG_F_HUMAN];
        const int16_t *pt = patch_of(&s);
        float lo = 1, hi = 0;
        int arg = 0;
        for (int k = 0; k < 96 * 96; k++) {
            assert_true(h[k] >= 0.0f && h[k] <= 1.0f);
            lo = fminf(lo, h[k]);
            if (h[k] > hi) hi = h[k], arg = k;
        }
        assert_true(lo == 0.0f && hi == 1.0f);
        int ay = arg / 96, ax = arg % 96;
        assert_true(ay >= pt[0] && ay < pt[0] + pt[2] && ax >= pt[1] && ax < pt[1] + pt[2]);
    }
    sample_free(&s);
}

/* ---- purity ------------------------------------------------------------------------ */

/* The brightness cue: a gray background (R = G = B) whose level names the cue class
 * (the nearest of the class levels), at the configured rate; the colour default is
 * unchanged by the option. */
static void test_brightness_cue(void **state)
{
    (void)state;
    enum { N = 2000, K = 3 };
    sample s;
    sample_init(&s, DIAG_PART_SHAPE, K, 12, 0.8);
    s.p.cue = DIAG_CUE_BRIGHTNESS;
    int agree = 0;
    for (int64_t i = 0; i < N; i++) {
        sample_make(&s, 41, i);
        const uint32_t bg = background_of(&s);
        const int r = bg >> 16 & 255, g = bg >> 8 & 255, b = bg & 255;
        assert_true(r == g && g == b);
        int best = 0;
        for (int c = 1; c < K; c++)
            if (fabs(r / 255.0 - diagnostic_cue_value(c, K)) < fabs(r / 255.0 - diagnostic_cue_value(best, K))) best = c;
        assert_int_equal(best, *(int32_t *)s.slot[DIAG_F_CUE]);
        agree += best == label_of(&s);
    }
    sample_free(&s);
    assert_rate((double)agree / N, 0.8, N);
}

/* The patch cue: a grating square one pixel clear of the part, white (255) on its
 * dark shade (42), whose stripe direction (found from the pixels: vertical stripes
 * keep each column constant, horizontal ones each row) names meta/cue, which agrees
 * with the label at the configured rate; meta/cue_box says where it is; the
 * background's hue says nothing about the label (class 1 as often in either half of
 * the hue circle as class 0, within 4 binomial standard deviations). */
static void test_patch_cue(void **state)
{
    (void)state;
    enum { N = 2000, P = 12 };
    sample s;
    sample_init(&s, DIAG_PART_SHAPE, 2, P, 0.8);
    sample_free(&s);
    s.p.cue = DIAG_CUE_PATCH;
    s.nf = s.ch->fields(&s.p, s.fields, PH_MAX_FIELDS);
    assert_int_equal(s.nf, DIAG_F_COUNT + 1);
    assert_string_equal(s.fields[DIAG_F_CUE_BOX].name, "meta/cue_box");
    for (int f = 0; f < s.nf; f++) s.slot[f] = malloc(ph_field_sample_bytes(&s.fields[f]));
    int agree = 0, low_hue[2] = {0, 0}, count[2] = {0, 0};
    for (int64_t i = 0; i < N; i++) {
        sample_make(&s, 43, i);
        const int16_t *box = (const int16_t *)s.slot[DIAG_F_CUE_BOX], *pt = patch_of(&s);
        assert_int_equal(box[2], P);
        assert_true(box[0] >= 0 && box[1] >= 0 && box[0] + P <= s.p.size && box[1] + P <= s.p.size);
        assert_true(abs(box[0] - pt[0]) > P || abs(box[1] - pt[1]) > P);
        int rows_constant = 1, cols_constant = 1, white = 0;
        for (int y = 0; y < P; y++)
            for (int x = 0; x < P; x++) {
                const uint32_t c = pixel(&s, box[0] + y, box[1] + x);
                assert_true(c == 0xffffffu || c == 0x2a2a2au);
                white += c == 0xffffffu;
                if (c != pixel(&s, box[0] + y, box[1])) rows_constant = 0;
                if (c != pixel(&s, box[0], box[1] + x)) cols_constant = 0;
            }
        assert_true(white > P * P / 4 && white < 3 * P * P / 4);
        assert_true(rows_constant != cols_constant);
        const int cue = rows_constant; /* class 0 vertical stripes, class 1 horizontal */
        assert_int_equal(cue, *(int32_t *)s.slot[DIAG_F_CUE]);
        agree += cue == label_of(&s);
        const int y = label_of(&s);
        count[y]++, low_hue[y] += hue_of(background_of(&s)) < 0.5;
    }
    sample_free(&s);
    assert_rate((double)agree / N, 0.8, N);
    for (int k = 0; k < 2; k++) assert_rate((double)low_hue[k] / count[k], 0.5, count[k]);
}

static void test_generation_is_pure(void **state)
{
    (void)state;
    sample a, b;
    sample_init(&a, DIAG_PART_SHAPE, 2, 12, 0.95);
    sample_init(&b, DIAG_PART_SHAPE, 2, 12, 0.95);
    for (int64_t i = 0; i < 50; i++) {
        sample_make(&a, 61, 49 - i);
        sample_make(&b, 61, 49 - i);
        for (int f = 0; f < a.nf; f++)
            assert_memory_equal(a.slot[f], b.slot[f], ph_field_sample_bytes(&a.fields[f]));
    }
    /* Another agreement changes the background only: same labels, parts, clutter count, maps. */
    b.p.agreement = 0.0;
    a.p.agreement = 1.0;
    int backgrounds_differ = 0;
    for (int64_t i = 0; i < 50; i++) {
        sample_make(&a, 61, i);
        sample_make(&b, 61, i);
        for (int f = DIAG_F_Y; f < a.nf; f++)
            if (f != DIAG_F_CUE) assert_memory_equal(a.slot[f], b.slot[f], ph_field_sample_bytes(&a.fields[f]));
        backgrounds_differ += background_of(&a) != background_of(&b);
        assert_int_not_equal(*(int32_t *)a.slot[DIAG_F_CUE], *(int32_t *)b.slot[DIAG_F_CUE]);
    }
    assert_int_equal(backgrounds_differ, 50);
    /* And another seed gives other images. */
    sample_make(&a, 61, 0);
    sample_make(&b, 62, 0);
    assert_true(memcmp(a.slot[DIAG_F_X], b.slot[DIAG_F_X], ph_field_sample_bytes(&a.fields[DIAG_F_X])) != 0);
    sample_free(&a);
    sample_free(&b);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_balanced),
        cmocka_unit_test(test_part_present_inside),
        cmocka_unit_test(test_cue_agreement_rate),
        cmocka_unit_test(test_cue_linear_readable),
        cmocka_unit_test(test_human_map),
        cmocka_unit_test(test_human_map_oracle),
        cmocka_unit_test(test_human_map_other_size),
        cmocka_unit_test(test_brightness_cue),
        cmocka_unit_test(test_patch_cue),
        cmocka_unit_test(test_generation_is_pure),
    };
    return cmocka_run_group_tests_name("diagnostic", tests, NULL, NULL);
}
