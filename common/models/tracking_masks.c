/* tracking_masks.c: per-frame masks of tracking sample files (see
 * tracking_masks.h). */
#include "tracking_masks.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dims of a per-sample field equal want[0..nd) */
static int dims_are(const ph_field *f, int nd, const int *want)
{
    if (f->ndims != nd) return 0;
    for (int i = 0; i < nd; i++)
        if ((int)f->dims[i] != want[i]) return 0;
    return 1;
}

static void wrong_file(ph_samples_reader *r, const char *why)
{
    char what[4300];
    snprintf(what, sizeof what, "reading per-frame masks for the synchrony loss from %s", r->path);
    PH_FAIL_ALL(r->comm, what, why,
                "train on a FeatureTracker or PathTracker file of this video size, or set [cvrnn] sync_weight = 0");
}

static void put(uint8_t *frame, int h, int w, int row, int col, uint8_t id)
{
    if (row >= 0 && row < h && col >= 0 && col < w) frame[(size_t)row * w + col] = id;
}

static void outline(uint8_t *frame, int h, int w, const int16_t *centre, uint8_t id)
{
    for (int dr = -1; dr <= 1; dr++)
        for (int dc = -1; dc <= 1; dc++)
            if (dr || dc) put(frame, h, w, centre[0] + dr, centre[1] + dc, id);
}

void ph_tracking_masks_draw(int t, int h, int w, int nd, const int16_t *target, const int16_t *coords3,
                            const int16_t *start, const int16_t *goal, const int16_t *distractors, uint8_t *out)
{
    const size_t frame = (size_t)h * w;
    for (int k = 0; k < t; k++) {
        uint8_t *fr = out + (size_t)k * frame;
        memset(fr, 0, frame);
        for (int d = 0; d < nd; d++) {
            const int16_t *p = distractors + ((size_t)d * t + k) * 2;
            put(fr, h, w, p[0], p[1], (uint8_t)(5 + d < 255 ? 5 + d : 255));
        }
        outline(fr, h, w, start, 1);
        outline(fr, h, w, goal, 2);
        put(fr, h, w, target[k * 2], target[k * 2 + 1], 3);
        put(fr, h, w, coords3[k * 2], coords3[k * 2 + 1], 4);
    }
}

/* PathTracker: the masks drawn from the tracks, 256 samples at a time. */
static void masks_from_tracks(ph_samples_reader *r, int64_t start, int64_t count, int t, int h,
                              int w, uint8_t *out)
{
    ph_field f;
    int track[2] = {t, 2}, point[1] = {2}, nd = 0;
    const char *need[4] = {"meta/target", "meta/coords3", "meta/start", "meta/goal"};
    for (int i = 0; i < 4; i++) {
        ph_samples_field(r, need[i], &f);
        if (!(i < 2 ? dims_are(&f, 2, track) : dims_are(&f, 1, point)))
            wrong_file(r, "its PathTracker tracks do not match the videos' frame count");
    }
    if (ph_samples_has(r, "meta/distractors")) {
        ph_samples_field(r, "meta/distractors", &f);
        nd = (int)f.dims[0];
        if (f.ndims != 3 || (int)f.dims[1] != t || f.dims[2] != 2)
            wrong_file(r, "its /meta/distractors do not match the videos' frame count");
    }
    enum { BLOCK = 256 };
    size_t tb = (size_t)t * 2;
    int16_t *tg = malloc(BLOCK * tb * 2), *c3 = malloc(BLOCK * tb * 2), *st = malloc(BLOCK * 4),
            *go = malloc(BLOCK * 4), *ds = malloc(BLOCK * tb * 2 * (size_t)(nd ? nd : 1));
    if (!tg || !c3 || !st || !go || !ds) PH_FAIL("drawing PathTracker masks", "out of memory", "use a smaller file");
    const size_t frame = (size_t)h * w;
    for (int64_t b0 = start; b0 < start + count; b0 += BLOCK) {
        int64_t nb = start + count - b0 < BLOCK ? start + count - b0 : BLOCK;
        ph_samples_read(r, "meta/target", PH_I16, b0, nb, tg);
        ph_samples_read(r, "meta/coords3", PH_I16, b0, nb, c3);
        ph_samples_read(r, "meta/start", PH_I16, b0, nb, st);
        ph_samples_read(r, "meta/goal", PH_I16, b0, nb, go);
        if (nd) ph_samples_read(r, "meta/distractors", PH_I16, b0, nb, ds);
        for (int64_t i = 0; i < nb; i++)
            ph_tracking_masks_draw(t, h, w, nd, tg + (size_t)i * tb, c3 + (size_t)i * tb, st + i * 2, go + i * 2,
                                   nd ? ds + (size_t)i * nd * tb : NULL, out + (size_t)(b0 - start + i) * t * frame);
    }
    free(tg), free(c3), free(st), free(go), free(ds);
}

void ph_tracking_masks_read(ph_samples_reader *r, int64_t start, int64_t count, int t, int h,
                            int w, uint8_t *out)
{
    if (ph_samples_has(r, "meta/masks")) {
        ph_field f;
        ph_samples_field(r, "meta/masks", &f);
        int want[3] = {t, h, w};
        if (!dims_are(&f, 3, want)) wrong_file(r, "its /meta/masks are not [T, H, W] of the videos");
        ph_samples_read(r, "meta/masks", PH_U8, start, count, out);
        return;
    }
    if (ph_samples_has(r, "meta/target") && ph_samples_has(r, "meta/coords3") && ph_samples_has(r, "meta/start") &&
        ph_samples_has(r, "meta/goal")) {
        masks_from_tracks(r, start, count, t, h, w, out);
        return;
    }
    wrong_file(r, "it has neither /meta/masks (FeatureTracker) nor the PathTracker tracks");
}
