/* maco_report.c: the pictures and the report of phasor-analyze maco: each
 * run's PNGs, the grid figure, REPORT.md and maco.json (rank 0 reads maco.h5
 * back, so the report shows exactly what the file holds). */
#include "maco.h"
#include "studies/report_util.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "io/png.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of v[0..n) (nearest rank below). */
static float quantile(const float *v, size_t n, double q)
{
    float *s = malloc(n * sizeof *s);
    PH_CHECK_ALLOC(s, "computing a percentile");
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_float);
    float r = s[(size_t)(q * (double)(n - 1))];
    free(s);
    return r;
}

void maco_display(const float *img, const float *attr, int c, int s, uint8_t *rgb, uint8_t *alpha)
{
    const size_t px = (size_t)s * s, n = px * c;
    const float lo = quantile(img, n, 0.01), hi = quantile(img, n, 0.99);
    for (size_t p = 0; p < px; p++)
        for (int k = 0; k < 3; k++) {
            float v = img[(size_t)(c == 3 ? k : 0) * px + p];
            v = v < lo ? lo : v > hi ? hi : v;
            rgb[3 * p + k] = (uint8_t)lrintf(hi > lo ? 255.0f * (v - lo) / (hi - lo) : 128.0f);
        }
    float *a = malloc(px * sizeof *a);
    PH_CHECK_ALLOC(a, "computing an attribution map");
    for (size_t p = 0; p < px; p++) {
        double m = 0;
        for (int k = 0; k < c; k++) m += attr[(size_t)k * px + p];
        a[p] = (float)(m / c);
    }
    const float q80 = quantile(a, px, 0.80);
    for (size_t p = 0; p < px; p++) {
        float v = a[p] < q80 ? a[p] : q80;
        alpha[p] = (uint8_t)lrintf(q80 > 0 ? 255.0f * v / q80 : 0.0f);
    }
    free(a);
}

void maco_write_pngs(const char *dir, const char *name, const float *img, const float *attr, int c, int s)
{
    const size_t px = (size_t)s * s;
    uint8_t *rgb = malloc(px * 3), *alpha = malloc(px), *out = malloc(px * 4);
    PH_CHECK_ALLOC(rgb && alpha && out, "drawing a visualisation");
    maco_display(img, attr, c, s, rgb, alpha);
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    ph_png_write_rgb(path, s, s, rgb);
    for (size_t p = 0; p < px; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = alpha[p];
    snprintf(path, sizeof path, "%s/%s_attribution.png", dir, name);
    ph_png_write_rgb(path, s, s, out);
    for (size_t p = 0; p < px; p++) memcpy(out + 4 * p, rgb + 3 * p, 3), out[4 * p + 3] = alpha[p];
    snprintf(path, sizeof path, "%s/%s_alpha.png", dir, name);
    ph_png_write_rgba(path, s, s, out);
    free(rgb), free(alpha), free(out);
}

/* ---- reading maco.h5 back ---- */

typedef struct {
    int runs, c, s, steps;
    float *image, *attribution, *value, *start, *end, *confidence, *plausibility, *plausibility_rel;
    int32_t *method, *objective;
} results;

static void *read_all(hid_t f, const char *name, hid_t type, size_t elem, size_t count)
{
    char what[256];
    snprintf(what, sizeof what, "reading /%s of maco.h5 back", name);
    void *buf = malloc(count ? count * elem : 1);
    PH_CHECK_ALLOC(buf, what);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    PH_CHECK_H5(d, what, "the file was just written; check the disk");
    PH_CHECK_H5(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), what, "check the disk");
    H5Dclose(d);
    return buf;
}

static void results_read(const char *path, const maco_report_info *in, results *r)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    PH_CHECK_H5(f, "opening maco.h5 for the report", "the file was just written; check the disk");
    r->runs = in->nmethods * in->nobjectives, r->c = in->c, r->s = in->s, r->steps = in->steps;
    const size_t nc = (size_t)r->runs * r->c * r->s * r->s;
    r->image = read_all(f, "image", H5T_NATIVE_FLOAT, 4, nc);
    r->attribution = read_all(f, "attribution", H5T_NATIVE_FLOAT, 4, nc);
    r->value = read_all(f, "value", H5T_NATIVE_FLOAT, 4, r->runs);
    r->start = read_all(f, "start", H5T_NATIVE_FLOAT, 4, r->runs);
    r->end = read_all(f, "end", H5T_NATIVE_FLOAT, 4, r->runs);
    r->confidence = read_all(f, "confidence", H5T_NATIVE_FLOAT, 4, r->runs);
    r->plausibility = read_all(f, "plausibility", H5T_NATIVE_FLOAT, 4, r->runs);
    r->plausibility_rel = read_all(f, "plausibility_rel", H5T_NATIVE_FLOAT, 4, r->runs);
    r->method = read_all(f, "method", H5T_NATIVE_INT32, 4, r->runs);
    r->objective = read_all(f, "objective_index", H5T_NATIVE_INT32, 4, r->runs);
    H5Fclose(f);
}

static void results_free(results *r)
{
    free(r->image), free(r->attribution), free(r->value), free(r->start), free(r->end), free(r->confidence), free(r->plausibility);
    free(r->plausibility_rel), free(r->method), free(r->objective);
}

/* ---- the grid: a row per objective; per method, the image, the attribution
 * map and the image with the map as alpha over white; panels averaged down to
 * `cell` pixels; gray images give a gray PNG ---- */

enum { GUTTER = 4, GAP = 12 };

/* Area average of an s x s panel of `ch` bytes per pixel down to cell x cell, into the grid. */
static void panel_put(uint8_t *grid, int width, int x0, int y0, const uint8_t *src, int s, int cell, int ch)
{
    for (int y = 0; y < cell; y++)
        for (int x = 0; x < cell; x++) {
            int ya = (int)((long)y * s / cell), yb = (int)((long)(y + 1) * s / cell);
            int xa = (int)((long)x * s / cell), xb = (int)((long)(x + 1) * s / cell);
            yb = yb > ya ? yb : ya + 1, xb = xb > xa ? xb : xa + 1;
            for (int k = 0; k < ch; k++) {
                long sum = 0;
                for (int yy = ya; yy < yb; yy++)
                    for (int xx = xa; xx < xb; xx++) sum += src[((size_t)yy * s + xx) * ch + k];
                long n = (long)(yb - ya) * (xb - xa);
                grid[((size_t)(y0 + y) * width + x0 + x) * ch + k] = (uint8_t)((sum + n / 2) / n);
            }
        }
}

static void write_grid(const char *path, const results *r, const maco_report_info *in)
{
    const int s = r->s, cell = in->grid_cell > 0 && in->grid_cell < s ? in->grid_cell : s;
    const int ch = r->c == 1 ? 1 : 3, cols = 3 * in->nmethods;
    const int width = GUTTER + cols * (cell + GUTTER) + (in->nmethods - 1) * GAP;
    const int height = GUTTER + in->nobjectives * (cell + GUTTER);
    uint8_t *img = malloc((size_t)width * height * ch), *rgb = malloc((size_t)s * s * 3), *alpha = malloc((size_t)s * s),
            *panel = malloc((size_t)s * s * ch);
    PH_CHECK_ALLOC(img && rgb && alpha && panel, "drawing the grid");
    memset(img, 96, (size_t)width * height * ch);
    const size_t canvas = (size_t)r->c * s * s;
    for (int run = 0; run < r->runs; run++) {
        const int m = r->method[run], o = r->objective[run];
        maco_display(r->image + run * canvas, r->attribution + run * canvas, r->c, s, rgb, alpha);
        for (int k = 0; k < 3; k++) {
            for (size_t p = 0; p < (size_t)s * s; p++)
                for (int c = 0; c < ch; c++) {
                    int v = k == 0 ? rgb[3 * p + c]
                          : k == 1 ? alpha[p]
                                   : (rgb[3 * p + c] * alpha[p] + 255 * (255 - alpha[p]) + 127) / 255;
                    panel[p * ch + c] = (uint8_t)v;
                }
            panel_put(img, width, GUTTER + (3 * m + k) * (cell + GUTTER) + m * GAP, GUTTER + o * (cell + GUTTER), panel,
                      s, cell, ch);
        }
    }
    if (ch == 1)
        ph_png_write_gray(path, width, height, img);
    else
        ph_png_write_rgb(path, width, height, img);
    free(img), free(rgb), free(alpha), free(panel);
}

/* ---- REPORT.md and maco.json ---- */

static void sb_num(ph_strbuf *b, const char *fmt, double v)
{
    if (isfinite(v))
        ph_sb_printf(b, fmt, v);
    else
        ph_sb_printf(b, "-");
}

static void sb_json_num(ph_strbuf *b, double v)
{
    if (isfinite(v))
        ph_sb_printf(b, "%.9g", v);
    else
        ph_sb_printf(b, "null");
}

void maco_report_write(const maco_report_info *in)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/maco.h5", in->out_dir);
    results r;
    results_read(path, in, &r);
    snprintf(path, sizeof path, "%s/grid.png", in->out_dir);
    write_grid(path, &r, in);

    /* Per method, over the class objectives: mean confidence, mean (relative)
     * plausibility, and how often it is the most plausible of the methods. */
    double conf[8] = {0}, pl[8] = {0}, rel[8] = {0};
    int cnt[8] = {0}, wins[8] = {0}, nclass = 0;
    for (int o = 0; o < in->nobjectives; o++) {
        if (in->objectives[o].cls < 0) continue;
        nclass++;
        int best = -1;
        for (int run = 0; run < r.runs; run++) {
            if (r.objective[run] != o) continue;
            int m = r.method[run];
            conf[m] += r.confidence[run], pl[m] += r.plausibility[run], rel[m] += r.plausibility_rel[run], cnt[m]++;
            if (best < 0 || r.plausibility[run] < r.plausibility[best]) best = run;
        }
        if (best >= 0) wins[r.method[best]]++;
    }

    ph_strbuf b = {0};
    ph_sb_printf(&b, "# Feature visualisation: MACO, Fourier and pixel parameterisations\n\n"
                 "Written by `phasor-analyze maco` (phasor %s, git %s) on %d rank(s), device %s, from the checkpoint "
                 "`%s` (model `%s`), the real images of `%s`", PHASOR_VERSION, PHASOR_GIT_COMMIT, in->ranks,
                 in->device, in->checkpoint, in->model, in->samples);
    if (*in->spectrum) ph_sb_printf(&b, " and the magnitude spectrum `%s`", in->spectrum);
    ph_sb_printf(&b, ". docs/maco.md describes the method and every choice below.\n\n## Scale\n\n"
                 "- Canvas %dx%d, %d channel(s)%s; the model's input is %dx%d.\n"
                 "- %d steps per run, %d random crops per step (the model's batch), NAdam.\n"
                 "- %d objective(s) x %d method(s) = %d runs.\n"
                 "- Plausibility against the first %d real images of each of the %d classes.\n"
                 "- %.1f s of optimisation over all ranks: %.2f steps/s per rank, %.1f%% of it in the FFT "
                 "(inverse transforms and their backward passes; host time).\n\n",
                 in->s, in->s, in->c, in->c == 3 ? " (optimised in the decorrelated colour basis)" : " (gray)", in->in_h,
                 in->in_w, in->steps, in->crops, in->nobjectives, in->nmethods, r.runs, in->real_per_class, in->classes,
                 in->seconds, in->steps_per_second, 100 * in->fft_share);
    ph_sb_printf(&b, "## Visualisations\n\n![grid](grid.png)\n\n`grid.png` has one row per objective (");
    for (int o = 0; o < in->nobjectives; o++) ph_sb_printf(&b, "%s`%s`", o ? ", " : "", in->objectives[o].text);
    ph_sb_printf(&b, ", top to bottom). For each method (");
    for (int m = 0; m < in->nmethods; m++) ph_sb_printf(&b, "%s%s", m ? ", " : "", in->methods[m]);
    ph_sb_printf(&b, ", left to right, a wider gap between methods) it shows three panels: the visualisation "
                 "(clipped to its 1st-99th percentiles and stretched), the attribution map (the channel mean of the "
                 "accumulated |d loss / d image|, clipped at its 80th percentile, white = most), and the "
                 "visualisation with that map as alpha, over white; panels of %dx%d pixels (the canvas averaged down). `png/` "
                 "holds every run's three pictures at full size; `maco.h5` the raw arrays.\n\n",
                 in->grid_cell > 0 && in->grid_cell < in->s ? in->grid_cell : in->s,
                 in->grid_cell > 0 && in->grid_cell < in->s ? in->grid_cell : in->s);
    ph_sb_printf(&b, "## Results per run\n\n| objective | method | on crops (last steps) | whole image: start "
                 "-> end | confidence | plausibility | relative plausibility |\n|---|---|--:|--:|--:|--:|--:|\n");
    for (int run = 0; run < r.runs; run++) {
        ph_sb_printf(&b, "| `%s` | %s | ", in->objectives[r.objective[run]].text, in->methods[r.method[run]]);
        sb_num(&b, "%.4g", r.value[run]);
        ph_sb_printf(&b, " | ");
        sb_num(&b, "%.4g", r.start[run]);
        ph_sb_printf(&b, " -> ");
        sb_num(&b, "%.4g", r.end[run]);
        ph_sb_printf(&b, " | ");
        sb_num(&b, "%.3f", r.confidence[run]);
        ph_sb_printf(&b, " | ");
        sb_num(&b, "%.4g", r.plausibility[run]);
        ph_sb_printf(&b, " | ");
        sb_num(&b, "%.3f", r.plausibility_rel[run]);
        ph_sb_printf(&b, " |\n");
    }
    ph_sb_printf(&b, "\n*On crops*: the objective averaged over the last tenth of the steps, on the random crops "
                 "the optimisation saw. *Whole image*: the objective on the whole canvas resized to the model's input, "
                 "before the first step and after the last. *Confidence*: the model's probability of the objective's class on the whole visualisation "
                 "resized to its input (class objectives only). *Plausibility*: the Euclidean distance, in the "
                 "model's own feature space (the last feature map averaged over space), from the visualisation to "
                 "the nearest real image of the class (of any class for other objectives); lower is more plausible. "
                 "*Relative plausibility*: that distance over the median distance from a real image of the class to "
                 "its nearest other real image of the class (about 1 means as close as real images are to each "
                 "other).\n\n");
    if (nclass) {
        ph_sb_printf(&b, "## Methods compared (%d class objective(s))\n\n| method | mean confidence | mean plausibility "
                     "| mean relative plausibility | most plausible in |\n|---|--:|--:|--:|--:|\n", nclass);
        int best = -1;
        for (int m = 0; m < in->nmethods; m++) {
            double n = cnt[m] ? cnt[m] : NAN;
            ph_sb_printf(&b, "| %s | ", in->methods[m]);
            sb_num(&b, "%.3f", conf[m] / n);
            ph_sb_printf(&b, " | ");
            sb_num(&b, "%.4g", pl[m] / n);
            ph_sb_printf(&b, " | ");
            sb_num(&b, "%.3f", rel[m] / n);
            ph_sb_printf(&b, " | %d of %d |\n", wins[m], nclass);
            if (cnt[m] && (best < 0 || pl[m] / cnt[m] < pl[best] / cnt[best])) best = m;
        }
        int maco = -1;
        for (int m = 0; m < in->nmethods; m++)
            if (!strcmp(in->methods[m], "maco")) maco = m;
        ph_sb_printf(&b, "\nExpected from the paper (Fel et al. 2023): MACO gives the most plausible visualisations. "
                     "Here the lowest mean plausibility distance is %s's", best >= 0 ? in->methods[best] : "none");
        if (maco >= 0 && best >= 0)
            ph_sb_printf(&b, best == maco ? ", as expected.\n" : ", not MACO's: the expectation is not reproduced at this scale.\n");
        else
            ph_sb_printf(&b, ".\n");
    }
    ph_sb_printf(&b, "\n## Config (effective: file, --set and defaults)\n\n```ini\n%s%s```\n", in->config_text,
                 in->config_text[0] && in->config_text[strlen(in->config_text) - 1] == '\n' ? "" : "\n");
    snprintf(path, sizeof path, "%s/REPORT.md", in->out_dir);
    report_write(path, b.s, b.len);
    free(b.s);

    ph_strbuf j = {0};
    ph_sb_printf(&j, "{\n  \"analysis\": \"maco\",\n  \"software_version\": ");
    ph_sb_json_str(&j, PHASOR_VERSION);
    ph_sb_printf(&j, ",\n  \"git_commit\": ");
    ph_sb_json_str(&j, PHASOR_GIT_COMMIT);
    ph_sb_printf(&j, ",\n  \"model\": ");
    ph_sb_json_str(&j, in->model);
    ph_sb_printf(&j, ",\n  \"checkpoint\": ");
    ph_sb_json_str(&j, in->checkpoint);
    ph_sb_printf(&j, ",\n  \"size\": %d,\n  \"channels\": %d,\n  \"steps\": %d,\n  \"crops\": %d,\n  \"ranks\": %d,\n"
                 "  \"device\": \"%s\",\n  \"seconds\": %.3f,\n  \"steps_per_second\": %.4g,\n  \"fft_share\": %.4g,\n"
                 "  \"runs\": [", in->s, in->c, in->steps, in->crops, in->ranks, in->device, in->seconds,
                 in->steps_per_second, in->fft_share);
    for (int run = 0; run < r.runs; run++) {
        ph_sb_printf(&j, "%s\n    {\"method\": \"%s\", \"objective\": ", run ? "," : "", in->methods[r.method[run]]);
        ph_sb_json_str(&j, in->objectives[r.objective[run]].text);
        ph_sb_printf(&j, ", \"value\": ");
        sb_json_num(&j, r.value[run]);
        ph_sb_printf(&j, ", \"start\": ");
        sb_json_num(&j, r.start[run]);
        ph_sb_printf(&j, ", \"end\": ");
        sb_json_num(&j, r.end[run]);
        ph_sb_printf(&j, ", \"confidence\": ");
        sb_json_num(&j, r.confidence[run]);
        ph_sb_printf(&j, ", \"plausibility\": ");
        sb_json_num(&j, r.plausibility[run]);
        ph_sb_printf(&j, ", \"plausibility_rel\": ");
        sb_json_num(&j, r.plausibility_rel[run]);
        ph_sb_printf(&j, "}");
    }
    ph_sb_printf(&j, "\n  ]\n}\n");
    snprintf(path, sizeof path, "%s/maco.json", in->out_dir);
    report_write(path, j.s, j.len);
    free(j.s);
    results_free(&r);
}
