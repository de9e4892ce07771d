/* import.c: phasor-preprocess import, a folder of the user's images -> sample files.
 *
 *   phasor-preprocess import IMAGE_DIR --labels FILE --classes K --out DIR
 *       [--size S] [--channels C] [--maps DIR] [--map-form clickme|raw]
 *       [--split train=0.8,val=0.1,test=0.1] [--seed N] [--bad fail|skip]
 *
 * Two passes over the label file's entries, each rank taking a contiguous range:
 * the first decodes every image (and map) to find the bad ones and the sizes; the
 * kept entries are then dealt to the splits by a Philox shuffle keyed on --seed
 * (so the assignment depends on the seed and the entries only, never the ranks),
 * and the second pass decodes again and writes each split file collectively.
 * Within a split, samples keep the label file's order; /meta/line says which
 * line each came from. */
#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "io/h5samples.h"
#include "io/image_read.h"
#include "io/importance_map.h"
#include "io/provenance.h"
#include "kernels.h"
#include "preprocess.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SPLITS_MAX = 8, WHY_LEN = 512 };

typedef struct {
    char *name; /* relative to the image folder */
    int label, line;
} entry;

typedef struct {
    char name[64];
    double fraction;
    int64_t n;
    int *members; /* entry indices, ascending */
} split;

/* What the first pass learns of one entry. */
typedef struct {
    int ok, w, h, token;
} probe;

/* ---- the label file --------------------------------------------------------------------- */

static entry *labels_parse(const char *path, char *text, int classes, int *count)
{
    int cap = 64, n = 0;
    entry *e = malloc((size_t)cap * sizeof *e);
    PH_CHECK_ALLOC(e, "reading the label file");
    for (char *save = NULL, *s = strtok_r(text, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\r' || isspace((unsigned char)s[len - 1]))) s[--len] = 0;
        while (isspace((unsigned char)*s)) s++;
        if (!*s || *s == '#') continue;
        char *comma = strrchr(s, ',');
        if (!comma)
            ph_usage_error("%s: line '%s' is not NAME,LABEL (one image per line, e.g. cat1.png,0)", path, s);
        *comma = 0;
        char *lab = comma + 1, *end = NULL;
        while (isspace((unsigned char)*lab)) lab++;
        errno = 0;
        long v = strtol(lab, &end, 10);
        if (errno || end == lab || *end) {
            if (n == 0 && !strcmp(s, "name")) continue; /* a header line: name,label */
            ph_usage_error("%s: the label of '%s' is '%s', not an integer (labels are 0..%d)", path, s, lab,
                           classes - 1);
        }
        if (!*s) ph_usage_error("%s: a line has an empty image name (NAME,LABEL)", path);
        if (n == cap) {
            cap *= 2;
            entry *ne = realloc(e, (size_t)cap * sizeof *e);
            PH_CHECK_ALLOC(ne, "reading the label file");
            e = ne;
        }
        e[n].name = s;
        e[n].label = v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : (int)v;
        e[n].line = n + 1;
        n++;
    }
    if (n == 0) ph_usage_error("%s lists no images (lines NAME,LABEL)", path);
    *count = n;
    return e;
}

/* A name twice would be one image in two places (possibly two splits). */
static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void labels_check_unique(const entry *e, int n, const char *path)
{
    entry *s = malloc((size_t)n * sizeof *s);
    PH_CHECK_ALLOC(s, "checking the label file");
    memcpy(s, e, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, entry_cmp);
    for (int i = 1; i < n; i++)
        if (!strcmp(s[i].name, s[i - 1].name))
            ph_usage_error("%s lists '%s' twice (entries %d and %d): keep one", path, s[i].name,
                           s[i - 1].line < s[i].line ? s[i - 1].line : s[i].line,
                           s[i - 1].line < s[i].line ? s[i].line : s[i - 1].line);
    free(s);
}

/* "train=0.8,val=0.1,test=0.1" */
static int splits_parse(const char *spec, split *sp)
{
    int n = 0;
    double sum = 0;
    char *copy = strdup(spec), *save = NULL;
    PH_CHECK_ALLOC(copy, "parsing --split");
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || n == SPLITS_MAX)
            ph_usage_error("--split must be NAME=FRACTION,... with at most %d splits, e.g. "
                           "train=0.8,val=0.1,test=0.1; got '%s'", SPLITS_MAX, spec);
        *eq = 0;
        for (const char *c = t; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
                ph_usage_error("--split: split name '%s' may hold only letters, digits, '_' and '-'", t);
        char *end = NULL;
        double f = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(f > 0 && f <= 1))
            ph_usage_error("--split: the fraction of '%s' must be in (0, 1], got '%s'", t, eq + 1);
        for (int k = 0; k < n; k++)
            if (!strcmp(sp[k].name, t)) ph_usage_error("--split names '%s' twice", t);
        snprintf(sp[n].name, sizeof sp[n].name, "%s", t);
        sp[n].fraction = f, sp[n].members = NULL, sp[n].n = 0;
        sum += f, n++;
    }
    free(copy);
    if (n == 0 || fabs(sum - 1.0) > 1e-6)
        ph_usage_error("--split: the fractions must add up to 1, they add up to %g ('%s')", sum, spec);
    return n;
}

/* ---- one entry's pixels ----------------------------------------------------------------- */

/* The map file of image NAME: MAPS/STEM.{png,jpg,jpeg,npy}, or "" if none. */
static void map_path(const char *maps, const char *name, char *out, size_t n)
{
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".npy"};
    char stem[4096];
    snprintf(stem, sizeof stem, "%s", name);
    char *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
    if (dot && (!slash || dot > slash)) *dot = 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        snprintf(out, n, "%s/%s%s", maps, stem, ext[i]);
        if (access(out, F_OK) == 0) return;
    }
    out[0] = 0;
}

/* Reads a map as floats: image maps as gray / 255, .npy as stored. */
static int map_read(const char *path, float **m, int *h, int *w, char *why, size_t n)
{
    size_t len = strlen(path);
    if (len > 4 && !strcmp(path + len - 4, ".npy")) return ph_npy_read_2d(path, m, h, w, why, n);
    ph_image g;
    if (ph_image_read(path, 1, &g, why, n)) return -1;
    *m = malloc((size_t)g.w * g.h * sizeof **m);
    if (!*m) {
        ph_image_free(&g);
        snprintf(why, n, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < (size_t)g.w * g.h; i++) (*m)[i] = g.px[i] / 255.0f;
    *h = g.h, *w = g.w;
    ph_image_free(&g);
    return 0;
}

typedef struct {
    const options *o;
    const entry *e;
    ph_map_form form;
    int oh, ow; /* output size (pass 2) */
} importer;

/* Pass 1: is entry i usable?  Sets p, and the reason in why when not. */
static void entry_probe(const importer *im, int i, probe *p, char *why, size_t n)
{
    const options *o = im->o;
    const entry *e = &im->e[i];
    char path[8192], reason[WHY_LEN];
    memset(p, 0, sizeof *p);
    if (e->label < 0 || e->label >= o->classes) {
        snprintf(why, n, "%s (line %d): label %d is out of range 0..%d", e->name, e->line, e->label, o->classes - 1);
        return;
    }
    snprintf(path, sizeof path, "%s/%s", o->inputs[0], e->name);
    ph_image img;
    if (ph_image_read(path, o->channels, &img, reason, sizeof reason)) {
        snprintf(why, n, "%s: %s", path, reason);
        return;
    }
    p->w = img.w, p->h = img.h;
    ph_image_free(&img);
    if (o->maps) {
        char mp[8192];
        map_path(o->maps, e->name, mp, sizeof mp);
        if (mp[0]) {
            float *m = NULL;
            int mh = 0, mw = 0;
            if (map_read(mp, &m, &mh, &mw, reason, sizeof reason)) {
                snprintf(why, n, "%s: %s", mp, reason);
                return;
            }
            free(m);
            if (mh != p->h || mw != p->w) {
                snprintf(why, n, "%s: map of %dx%d pixels for an image of %dx%d (%s)", mp, mw, mh, p->w, p->h,
                         e->name);
                return;
            }
            p->token = 1;
        }
    }
    p->ok = 1;
}

/* Pass 2: entry i's pixels at the output size (x: [oh, ow, c]), its map ([oh, ow]) and
 * token.  The first pass read the same files, so a failure now means that they changed
 * underneath: fatal, naming the file. */
static void entry_load(const importer *im, int i, uint8_t *x, float *map, uint8_t *token)
{
    const options *o = im->o;
    const entry *e = &im->e[i];
    const int c = o->channels, oh = im->oh, ow = im->ow;
    char path[8192], why[WHY_LEN], what[8400];
    snprintf(path, sizeof path, "%s/%s", o->inputs[0], e->name);
    snprintf(what, sizeof what, "reading %s again", path);
    ph_image img;
    if (ph_image_read(path, c, &img, why, sizeof why)) PH_FAIL(what, why, "do not change the images while importing");
    if (img.h == oh && img.w == ow) {
        memcpy(x, img.px, (size_t)oh * ow * c);
    } else { /* bilinear on channel planes, rounded back to bytes */
        size_t in = (size_t)img.h * img.w, out = (size_t)oh * ow;
        float *planes = malloc(in * c * sizeof *planes), *res = malloc(out * c * sizeof *res);
        PH_CHECK_ALLOC(planes && res, "resizing an image");
        for (size_t p = 0; p < in; p++)
            for (int k = 0; k < c; k++) planes[k * in + p] = img.px[p * c + k];
        if (ph_backend_cpu.resize_forward(planes, res, (size_t)c, img.h, img.w, oh, ow, why, sizeof why))
            PH_FAIL("resizing an image", why, "check --size");
        for (size_t p = 0; p < out; p++)
            for (int k = 0; k < c; k++) {
                float v = nearbyintf(res[k * out + p]);
                x[p * c + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        free(planes), free(res);
    }
    const int ih = img.h, iw = img.w;
    ph_image_free(&img);
    if (!map) return;
    char mp[8192];
    map_path(o->maps, e->name, mp, sizeof mp);
    *token = mp[0] != 0;
    if (!mp[0]) {
        memset(map, 0, (size_t)oh * ow * sizeof *map);
        return;
    }
    float *m = NULL;
    int mh, mw;
    snprintf(what, sizeof what, "reading %s again", mp);
    if (map_read(mp, &m, &mh, &mw, why, sizeof why)) PH_FAIL(what, why, "do not change the maps while importing");
    if (mh != ih || mw != iw) PH_FAIL(what, "its size changed", "do not change the maps while importing");
    if (ph_importance_map_prepare(m, mh, mw, oh, ow, im->form, map, why, sizeof why))
        PH_FAIL("preparing an importance map", why, "check --map-form");
    free(m);
}

/* ---- the passes --------------------------------------------------------------------------- */

/* Pass 1 over this rank's range of entries; every rank ends with every probe, and with
 * the first bad entry's reason (lowest index) in why (rank 0's copy is the one printed). */
static int entries_probe(const importer *im, int n, probe *all, char *first_why, int *first_bad)
{
    int64_t start, count;
    ph_rank_range(n, 1, ph_rank(), ph_size(), &start, &count);
    probe *mine = calloc((size_t)(count ? count : 1), sizeof *mine);
    PH_CHECK_ALLOC(mine, "checking the images");
    char why[WHY_LEN] = "";
    int bad_at = INT_MAX;
    ph_progress prog;
    ph_progress_init(&prog, "import: checking", "images", n, !im->o->quiet && ph_rank() == 0);
    for (int64_t k = 0; k < count; k++) {
        char r[WHY_LEN] = "";
        entry_probe(im, (int)(start + k), &mine[k], r, sizeof r);
        if (!mine[k].ok && bad_at == INT_MAX) bad_at = (int)(start + k), snprintf(why, sizeof why, "%s", r);
        ph_progress_update(&prog, (k + 1) * ph_size());
    }
    ph_progress_finish(&prog);
    /* Every rank's probes, in entry order (ranges are contiguous and in rank order). */
    int size = ph_size(), *counts = malloc((size_t)size * sizeof *counts), *displs = malloc((size_t)size * sizeof *displs);
    PH_CHECK_ALLOC(counts && displs, "gathering the checks");
    for (int r = 0; r < size; r++) {
        int64_t s0, c0;
        ph_rank_range(n, 1, r, size, &s0, &c0);
        counts[r] = (int)(c0 * (int64_t)sizeof(probe)), displs[r] = (int)(s0 * (int64_t)sizeof(probe));
    }
    PH_CHECK_MPI(MPI_Allgatherv(mine, counts[ph_rank()], MPI_BYTE, all, counts, displs, MPI_BYTE, MPI_COMM_WORLD),
                 "gathering the checks of the images", "another rank failed; see its message");
    free(counts), free(displs), free(mine);
    /* The first bad entry overall, and its reason, from the rank that found it. */
    int lowest = bad_at;
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "finding the first bad image",
                 "another rank failed");
    int owner = lowest == bad_at && lowest != INT_MAX ? ph_rank() : INT_MAX;
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &owner, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "finding the first bad image",
                 "another rank failed");
    if (owner != INT_MAX)
        PH_CHECK_MPI(MPI_Bcast(why, WHY_LEN, MPI_CHAR, owner, MPI_COMM_WORLD), "sharing why an image is bad",
                     "another rank failed");
    snprintf(first_why, WHY_LEN, "%s", why);
    *first_bad = lowest;
    int bad = 0;
    for (int i = 0; i < n; i++) bad += !all[i].ok;
    return bad;
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The kept entries dealt to the splits: a Fisher-Yates shuffle drawn from Philox
 * (seed, PH_STREAM_SPLIT, draw), cut at the rounded cumulative fractions. */
static void splits_assign(split *sp, int nsplits, const probe *pr, int n, uint32_t seed)
{
    int kept = 0, *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    PH_CHECK_ALLOC(order, "dealing images to splits");
    for (int i = 0; i < n; i++)
        if (pr[i].ok) order[kept++] = i;
    for (int i = kept - 1; i > 0; i--) {
        ph_rng r;
        ph_rng_init(&r, seed, PH_STREAM_SPLIT, (uint64_t)i, 0);
        int j = (int)ph_rng_below(&r, (uint32_t)i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    double cum = 0;
    int64_t at = 0;
    for (int k = 0; k < nsplits; k++) {
        cum += sp[k].fraction;
        int64_t end = k == nsplits - 1 ? kept : (int64_t)llround(cum * kept);
        if (end > kept) end = kept;
        sp[k].n = end - at;
        sp[k].members = malloc((size_t)(sp[k].n ? sp[k].n : 1) * sizeof *sp[k].members);
        PH_CHECK_ALLOC(sp[k].members, "dealing images to splits");
        memcpy(sp[k].members, order + at, (size_t)sp[k].n * sizeof *order);
        qsort(sp[k].members, (size_t)sp[k].n, sizeof *order, int_cmp);
        at = end;
    }
    free(order);
}

/* Pass 2 for one split: its file, written collectively; each rank loads its chunk-aligned range. */
static void split_write(const importer *im, const split *sp, const char *path, const ph_provenance *prov,
                        ph_progress *prog, int64_t *done)
{
    const options *o = im->o;
    const int c = o->channels, maps = o->maps != NULL;
    ph_field f[4] = {
        {"x", PH_U8, 3, {(hsize_t)im->oh, (hsize_t)im->ow, (hsize_t)c}, "the images, resized (uint8, H x W x C)"},
        {"y", PH_I32, 0, {0}, "class label, 0..K-1, from the label file"},
        {"meta/line", PH_I32, 0, {0}, "the entry's position in the label file (1 = first image line)"},
        {"maps/human", PH_F32, 2, {(hsize_t)im->oh, (hsize_t)im->ow},
         "human importance map, prepared by --map-form (zeros where the image has none: see /meta/token)"},
    };
    ph_field tok = {"meta/token", PH_U8, 0, {0}, "1 if the image has an importance map, 0 if its map is zeros"};
    ph_field fields[5] = {f[0], f[1], f[2], f[3], tok};
    int nf = maps ? 5 : 3;
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_WORLD, path, sp->n, fields, nf, o->chunk, 1);
    ph_provenance_write(&w, prov);
    ph_samples_attr_str(&w, "source_dir", o->inputs[0]);
    ph_samples_attr_str(&w, "labels", o->labels);
    ph_samples_attr_i64(&w, "classes", o->classes);
    if (maps) ph_samples_attr_str(&w, "map_form", ph_map_form_names[im->form]);
    int64_t start, count;
    ph_rank_range(sp->n, w.chunk, ph_rank(), ph_size(), &start, &count);
    /* A chunk at a time, so memory stays bounded; every rank takes part in each round. */
    long long mine = (count + w.chunk - 1) / w.chunk, rounds = 0;
    PH_CHECK_MPI(MPI_Allreduce(&mine, &rounds, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD), "agreeing on write rounds",
                 "another rank failed; see its message");
    const size_t px = (size_t)im->oh * im->ow;
    uint8_t *x = malloc((size_t)w.chunk * px * c), *token = malloc((size_t)w.chunk);
    int32_t *y = malloc((size_t)w.chunk * sizeof *y), *line = malloc((size_t)w.chunk * sizeof *line);
    float *map = maps ? malloc((size_t)w.chunk * px * sizeof *map) : NULL;
    PH_CHECK_ALLOC(x && token && y && line && (!maps || map), "allocating an import block");
    for (long long r = 0; r < rounds; r++) {
        int64_t s0 = start + r * w.chunk, c0 = s0 < start + count ? start + count - s0 : 0;
        if (c0 > w.chunk) c0 = w.chunk;
        for (int64_t k = 0; k < c0; k++) {
            int i = sp->members[s0 + k];
            entry_load(im, i, x + k * px * c, maps ? map + k * px : NULL, token + k);
            y[k] = im->e[i].label, line[k] = im->e[i].line;
        }
        int64_t at = c0 ? s0 : 0;
        ph_samples_write(&w, 0, at, c0, x);
        ph_samples_write(&w, 1, at, c0, y);
        ph_samples_write(&w, 2, at, c0, line);
        if (maps) ph_samples_write(&w, 3, at, c0, map), ph_samples_write(&w, 4, at, c0, token);
        long long got = c0, all = 0;
        PH_CHECK_MPI(MPI_Allreduce(&got, &all, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD), "counting progress",
                     "another rank failed");
        *done += all;
        ph_progress_update(prog, *done);
    }
    free(x), free(token), free(y), free(line), free(map);
    ph_samples_close(&w);
}

void preprocess_import(const options *o)
{
    if (!o->labels) ph_usage_error("import: missing --labels FILE (lines NAME,LABEL)");
    if (!o->classes) ph_usage_error("import: missing --classes K (labels are 0..K-1)");
    importer im = {.o = o, .form = PH_MAP_FORM_COUNT};
    for (int k = 0; k < PH_MAP_FORM_COUNT; k++)
        if (!strcmp(o->map_form, ph_map_form_names[k])) im.form = (ph_map_form)k;
    if (im.form == PH_MAP_FORM_COUNT) ph_usage_error("--map-form must be clickme or raw, got '%s'", o->map_form);
    split sp[SPLITS_MAX];
    int nsplits = splits_parse(o->split, sp);
    char msg[1024] = "";
    if (ph_rank() == 0) {
        if (access(o->inputs[0], R_OK | X_OK))
            snprintf(msg, sizeof msg, "import: cannot read the image folder %s: %s (check the path)", o->inputs[0],
                     strerror(errno));
        else if (access(o->labels, R_OK))
            snprintf(msg, sizeof msg, "import: cannot read the label file %s: %s (check the path)", o->labels,
                     strerror(errno));
        else if (o->maps && access(o->maps, R_OK | X_OK))
            snprintf(msg, sizeof msg, "import: cannot read the map folder %s: %s (check --maps)", o->maps,
                     strerror(errno));
        else if (ph_mkdir_p(o->out_dir))
            snprintf(msg, sizeof msg, "cannot create output directory %s: %s (choose a writable --out)", o->out_dir,
                     strerror(errno));
        else if (access(o->out_dir, W_OK | X_OK))
            snprintf(msg, sizeof msg, "output directory %s is not writable: %s (choose a writable --out)",
                     o->out_dir, strerror(errno));
        for (int k = 0; k < nsplits && !msg[0]; k++) {
            char p[4200];
            snprintf(p, sizeof p, "%s/%s.h5", o->out_dir, sp[k].name);
            if (!o->force && ph_exists(p))
                snprintf(msg, sizeof msg, "output %s already exists (pass --force to replace it, or choose another "
                         "--out)", p);
        }
    }
    ph_usage_check_bcast(msg);
    ph_out_dir_lock(o->out_dir); /* one run at a time per folder */
    char *text = ph_config_read_bcast(o->labels);
    int n = 0;
    entry *e = labels_parse(o->labels, text, o->classes, &n);
    labels_check_unique(e, n, o->labels);
    im.e = e;

    double t0 = ph_now();
    probe *pr = malloc((size_t)n * sizeof *pr);
    PH_CHECK_ALLOC(pr, "checking the images");
    char why[WHY_LEN];
    int first_bad = INT_MAX, bad = entries_probe(&im, n, pr, why, &first_bad);
    if (bad && !strcmp(o->bad, "fail")) {
        char what[WHY_LEN + 64];
        snprintf(what, sizeof what, "importing %d image(s) of %s", n, o->labels);
        PH_FAIL_ALL(MPI_COMM_WORLD, what, why,
                    "fix or remove that entry, or pass --bad skip to leave every bad one out with a count");
    }
    if (bad == n) ph_usage_error("import: every one of the %d images is bad (first: %s)", n, why);
    /* The output size: --size, or the images' common size. */
    int first = 0;
    while (!pr[first].ok) first++;
    im.oh = o->size ? o->size : pr[first].h, im.ow = o->size ? o->size : pr[first].w;
    if (!o->size)
        for (int i = 0; i < n; i++)
            if (pr[i].ok && (pr[i].h != im.oh || pr[i].w != im.ow))
                ph_usage_error("import: the images differ in size (%s is %dx%d, %s is %dx%d): give --size S to "
                               "resize them all to S x S", e[first].name, pr[first].w, pr[first].h, e[i].name, pr[i].w,
                               pr[i].h);
    splits_assign(sp, nsplits, pr, n, (uint32_t)o->seed);
    for (int k = 0; k < nsplits; k++)
        if (sp[k].n == 0)
            ph_usage_error("import: split '%s' gets none of the %d usable images (raise its fraction or add images)",
                           sp[k].name, n - bad);
    int with_map = 0;
    for (int i = 0; i < n; i++) with_map += pr[i].ok && pr[i].token;

    char created[32];
    ph_created_now(MPI_COMM_WORLD, created, sizeof created);
    ph_progress prog;
    ph_progress_init(&prog, "import: writing", "images", n - bad, !o->quiet && ph_rank() == 0);
    int64_t done = 0;
    ph_strbuf files = {0};
    for (int k = 0; k < nsplits; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.h5", o->out_dir, sp[k].name);
        ph_provenance prov = {"preprocess", "import", sp[k].name, "", o->seed, o->command, created};
        split_write(&im, &sp[k], path, &prov, &prog, &done);
        ph_sb_printf(&files, "%s%s.h5 (%lld)", k ? ", " : "", sp[k].name, (long long)sp[k].n);
    }
    ph_progress_finish(&prog);
    double secs = ph_now() - t0;
    if (ph_rank() == 0 && !o->quiet) {
        if (bad) fprintf(stderr, "phasor-preprocess: skipped %d of %d images (--bad skip); the first: %s\n", bad, n, why);
        fprintf(stderr, "phasor-preprocess: wrote %s: %s at %dx%dx%d", o->out_dir, files.s, im.ow, im.oh, o->channels);
        if (o->maps) fprintf(stderr, ", %d with importance maps (%s), %d without (token 0)", with_map,
                             ph_map_form_names[im.form], n - bad - with_map);
        fprintf(stderr, "; %.2fs\n", secs);
    }
    free(files.s);
    for (int k = 0; k < nsplits; k++) free(sp[k].members);
    free(pr), free(e), free(text);
}
