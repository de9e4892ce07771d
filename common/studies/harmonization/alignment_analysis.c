/* phasor-analyze alignment: how a trained image model's decisions relate to the
 * human importance maps of a held-out file (docs/harmonizer.md).
 *
 * Per image: the decision; the evaluation saliency (|d true-class logit / dx|, max
 * over channels) and its Spearman rho, top-10% Dice and IoU against /maps/human;
 * for correctly classified images, the smallest L2 perturbation that flips the
 * decision (the L2 PGD of github.com/serre-lab/Adversarial-Alignment, attack.py: 3 steps of 0.5 along the normalised CE gradient, each
 * put back on the eps-sphere and clamped to [0, 1]; eps searched as its notebooks do:
 * 10, then 1, then bisection on [0.001, 1] (tol 0.01) or [1, 10] (tol 0.1)) and the
 * Spearman rho between |channel mean of the perturbation| and the min-max human map.
 *
 * The file is cut into global batches of --batch images, dealt to ranks round-robin,
 * so every batch holds the same images for any rank count (the last one is padded
 * with copies of its last image, whose results are dropped): the numbers are the
 * same bytes for any rank count. */
#include "alignment_analysis.h"

#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "harmonize/alignment.h"
#include "harmonize/saliency.h"
#include "io/h5samples.h"
#include "io/png.h"
#include "models/model.h"
#include "nn/backend_select.h"
#include "nn/checkpoint.h"
#include "nn/nn.h"
#include "nn/checkpoint.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BATCH_DEFAULT = 16, BATCH_MAX = 1024, PANEL_DEFAULT = 6, PANEL_MAX = 32, MAX_PARAMS = 1024, PGD_STEPS = 3 };
#define PGD_ALPHA 0.5
#define EPS_MAX 10.0

typedef struct {
    const char *checkpoint, *samples, *out_dir, *device, *map;
    int batch, panel, attack, force, quiet;
} align_options;

/* One image's results; a row of alignment_samples.tsv. */
typedef struct {
    int32_t label, pred, correct, token, fooled, cue; /* cue: /meta/cue's class, -1 without one */
    double rho, dice, iou, eps, l2, linf, attack_rho;
} image_result;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-analyze alignment CHECKPOINT.h5 SAMPLES.h5 --out DIR [options]\n"
            "\n"
            "How a trained image model's decisions relate to the human importance maps of a\n"
            "held-out sample file (docs/harmonizer.md): accuracy; the alignment score\n"
            "(mean Spearman rho between the evaluation saliency |d logit/dx| (max over\n"
            "channels) and /maps/human, over images with a map (/meta/token), divided by the\n"
            "human ceiling %.4f); top-10%% Dice and IoU; and, for correctly classified images,\n"
            "the smallest L2 perturbation eps that flips the decision (L2 PGD, 3 steps) and the\n"
            "Spearman rho between the perturbation's magnitude and the human map.  The same\n"
            "numbers for any number of MPI ranks.\n"
            "\n"
            "options:\n"
            "  --out DIR       output folder (created if missing; required)\n"
            "  --batch B       images per pass (default %d, 1..%d); part of the result only\n"
            "                  through float rounding, never through the rank count\n"
            "  --map NAME      the human maps' dataset (default maps/human)\n"
            "  --no-attack     skip the adversarial search (about 40 passes per batch)\n"
            "  --panel K       images in the figure (default %d, 0..%d)\n"
            "  --device D      auto, cpu or cuda (default auto)\n"
            "  --force         replace existing outputs\n"
            "  --quiet         no progress and no final line\n"
            "\n"
            "writes: DIR/alignment.tsv (one row: accuracy, alignment score, Dice, IoU, attack\n"
            "counts, median eps, attack alignment and its ceiling-normalised value, and, when\n"
            "SAMPLES.h5 has /meta/cue (a spurious cue's class), the accuracy on images whose\n"
            "cue agrees with the label and on those where it conflicts),\n"
            "DIR/alignment_samples.tsv (one row per image), DIR/alignment_panel.png (images,\n"
            "human maps, saliency maps and perturbations, a row per image).\n"
            "exit status: 0 success, 2 usage error, 1 runtime failure.\n",
            PH_HUMAN_SPEARMAN_CEILING, BATCH_DEFAULT, BATCH_MAX, PANEL_DEFAULT, PANEL_MAX);
}

static int parse_int(const char *opt, const char *s, int lo, int hi)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        ph_usage_error("alignment: --%s must be an integer in %d..%d, got '%s'", opt, lo, hi, s);
    return (int)v;
}

static void options_parse(int argc, char **argv, align_options *o)
{
    static const struct option longs[] = {
        {"out", required_argument, 0, 'o'},   {"batch", required_argument, 0, 'b'},
        {"map", required_argument, 0, 'm'},   {"no-attack", no_argument, 0, 'n'},
        {"panel", required_argument, 0, 'p'}, {"device", required_argument, 0, 'd'},
        {"force", no_argument, 0, 'f'},       {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->batch = BATCH_DEFAULT, o->panel = PANEL_DEFAULT, o->attack = 1, o->device = "auto", o->map = "maps/human";
    const char *pos[3];
    int npos = 0;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "-:", longs, NULL)) != -1;) {
        switch (c) {
        case 1:
            if (npos == 2) ph_usage_error("alignment: one checkpoint and one sample file, got also '%s'", optarg);
            pos[npos++] = optarg;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'b': o->batch = parse_int("batch", optarg, 1, BATCH_MAX); break;
        case 'm': o->map = optarg; break;
        case 'n': o->attack = 0; break;
        case 'p': o->panel = parse_int("panel", optarg, 0, PANEL_MAX); break;
        case 'd':
            if (strcmp(optarg, "auto") && strcmp(optarg, "cpu") && strcmp(optarg, "cuda"))
                ph_usage_error("alignment: --device must be auto, cpu or cuda, got '%s'", optarg);
            o->device = optarg;
            break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case ':': ph_usage_error("alignment: option '%s' needs a value (see phasor-analyze alignment --help)", argv[optind - 1]);
        default: ph_usage_error("alignment: unknown option '%s' (see phasor-analyze alignment --help)", argv[optind - 1]);
        }
    }
    if (npos != 2) ph_usage_error("alignment: expected CHECKPOINT.h5 SAMPLES.h5 --out DIR (see phasor-analyze alignment --help)");
    if (!o->out_dir || !*o->out_dir) ph_usage_error("alignment: missing --out DIR");
    o->checkpoint = pos[0], o->samples = pos[1];
}

/* ---- the model on one batch ----------------------------------------------------------- */

typedef struct {
    ph_model *m;
    int n, c, outputs;
    size_t hw, nx;
    float *x0, *x, *g, *logits, *dlog, *w;
} net;

/* Logits of host inputs x [n, c, h, w]. */
static void net_forward(net *t, const float *x)
{
    ph_dev_upload(t->m->be, t->m->x, x, t->nx);
    t->m->def->forward(t->m, 0);
    ph_dev_download(t->m->be, t->logits, t->m->logits, (size_t)t->n * t->outputs);
}

static int net_pred(const net *t, int i)
{
    const float *l = t->logits + (size_t)i * t->outputs;
    if (t->outputs == 1) return l[0] > 0;
    int best = 0;
    for (int k = 1; k < t->outputs; k++)
        if (l[k] > l[best]) best = k;
    return best;
}

/* d(sum_i dlog_i . logits_i)/dx of the last forward into t->g. */
static void net_input_grad(net *t, const float *dlog)
{
    t->m->want_dx = 1;
    ph_model_backward_host(t->m, dlog);
    ph_dev_download(t->m->be, t->g, t->m->dx, t->nx);
}

/* The L2 PGD at per-image radius eps[i]; fooled[i] and the adversarial images in t->x. */
static void pgd(net *t, const int32_t *labels, const double *eps, const int *active, int *fooled)
{
    const size_t per = t->nx / (size_t)t->n;
    memcpy(t->x, t->x0, t->nx * sizeof *t->x);
    for (int s = 0; s < PGD_STEPS; s++) {
        net_forward(t, t->x);
        if (t->outputs == 1) ph_bce_logits(t->logits, labels, t->n, t->dlog, NULL);
        else ph_softmax_ce(t->logits, labels, t->n, t->outputs, 0, t->dlog, NULL);
        net_input_grad(t, t->dlog);
        for (int i = 0; i < t->n; i++) {
            if (!active[i]) continue;
            float *x = t->x + i * per, *g = t->g + i * per;
            const float *x0 = t->x0 + i * per;
            double gn = 0, dn = 0;
            for (size_t k = 0; k < per; k++) gn += (double)g[k] * g[k];
            gn = sqrt(gn);
            for (size_t k = 0; k < per; k++) x[k] += gn > 0 ? (float)(PGD_ALPHA * g[k] / gn) : 0.0f;
            for (size_t k = 0; k < per; k++) dn += (double)(x[k] - x0[k]) * (x[k] - x0[k]);
            dn = sqrt(dn);
            for (size_t k = 0; k < per; k++) { /* onto the eps-sphere, then into the image range */
                float v = dn > 0 ? x0[k] + (float)((x[k] - x0[k]) * eps[i] / dn) : x0[k];
                x[k] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
        }
    }
    net_forward(t, t->x);
    for (int i = 0; i < t->n; i++) fooled[i] = active[i] && net_pred(t, i) != labels[i];
}

/* Minimal eps per image (the original's search); adv keeps the smallest fooling image. */
static void attack_batch(net *t, const int32_t *labels, const int *correct, image_result *res, float *adv)
{
    const int n = t->n;
    const size_t per = t->nx / (size_t)n;
    double eps[BATCH_MAX], lo[BATCH_MAX], hi[BATCH_MAX], tol[BATCH_MAX];
    int active[BATCH_MAX], fooled[BATCH_MAX];
    for (int i = 0; i < n; i++) eps[i] = EPS_MAX, active[i] = correct[i];
    pgd(t, labels, eps, active, fooled);
    for (int i = 0; i < n; i++) {
        res[i].fooled = fooled[i], res[i].eps = correct[i] ? EPS_MAX : NAN;
        if (fooled[i]) memcpy(adv + i * per, t->x + i * per, per * sizeof *adv);
        active[i] = fooled[i], eps[i] = 1.0;
    }
    pgd(t, labels, eps, active, fooled);
    for (int i = 0; i < n; i++) {
        if (!active[i]) continue;
        if (fooled[i]) lo[i] = 0.001, hi[i] = 1.0, tol[i] = 0.01, memcpy(adv + i * per, t->x + i * per, per * sizeof *adv);
        else lo[i] = 1.0, hi[i] = EPS_MAX, tol[i] = 0.1;
    }
    for (;;) { /* bisection, every searching image of the batch in lockstep */
        int run[BATCH_MAX], any = 0;
        for (int i = 0; i < n; i++) {
            run[i] = active[i] && hi[i] - lo[i] > tol[i];
            if (run[i]) eps[i] = 0.5 * (lo[i] + hi[i]);
            any |= run[i];
        }
        if (!any) break;
        pgd(t, labels, eps, run, fooled);
        for (int i = 0; i < n; i++) {
            if (!run[i]) continue;
            if (fooled[i]) hi[i] = eps[i], memcpy(adv + i * per, t->x + i * per, per * sizeof *adv);
            else lo[i] = eps[i];
        }
    }
    for (int i = 0; i < n; i++)
        if (res[i].fooled) res[i].eps = hi[i];
}

/* ---- the figure: a row per image: image | human map | saliency | perturbation ---------------- */

static void heat(double v, uint8_t *rgb) /* 0..1 -> black, red, yellow, white */
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    double r = fmin(1, 3 * v), g = fmin(1, fmax(0, 3 * v - 1)), b = fmax(0, 3 * v - 2);
    rgb[0] = (uint8_t)lrint(255 * r), rgb[1] = (uint8_t)lrint(255 * g), rgb[2] = (uint8_t)lrint(255 * b);
}

static void tile_map(uint8_t *img, int stride, int x0, const float *m, int h, int w, int scale)
{
    float lo = m[0], hi = m[0];
    for (int i = 1; i < h * w; i++) lo = fminf(lo, m[i]), hi = fmaxf(hi, m[i]);
    for (int y = 0; y < h * scale; y++)
        for (int x = 0; x < w * scale; x++)
            heat(hi > lo ? (m[(y / scale) * w + x / scale] - lo) / (hi - lo) : 0, img + (size_t)y * stride + 3 * (x0 + x));
}

/* ---- main ------------------------------------------------------------------------------------ */

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ph_analyze_alignment_main(int argc, char **argv)
{
    align_options o;
    options_parse(argc, argv, &o);
    char tsv[4200], stsv[4200], png[4200], msg[1024] = "";
    snprintf(tsv, sizeof tsv, "%s/alignment.tsv", o.out_dir);
    snprintf(stsv, sizeof stsv, "%s/alignment_samples.tsv", o.out_dir);
    snprintf(png, sizeof png, "%s/alignment_panel.png", o.out_dir);
    if (ph_rank() == 0) {
        if (ph_mkdir_p(o.out_dir)) snprintf(msg, sizeof msg, "alignment: cannot create %s: %s (choose a writable --out)", o.out_dir, strerror(errno));
        else if (!o.force && ph_exists(tsv)) snprintf(msg, sizeof msg, "alignment: %s exists (pass --force to replace it)", tsv);
    }
    ph_usage_check_bcast(msg);
    ph_out_dir_lock(o.out_dir); /* one run at a time per folder */
    char *model_name = ph_checkpoint_attr_str(o.checkpoint, "model"), *text = ph_checkpoint_attr_str(o.checkpoint, "config");
    const ph_model_def *def = ph_model_find(model_name);
    if (def->video) ph_usage_error("alignment: model %s takes videos; the alignment analyses are for image models", model_name);

    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, o.samples);
    ph_field fx, fm;
    ph_samples_field(&r, "x", &fx);
    if (fx.ndims != 3 || fx.type != PH_U8) ph_usage_error("alignment: %s: /x is not uint8 images [N,H,W,C]", o.samples);
    if (!ph_samples_has(&r, o.map))
        ph_usage_error("alignment: %s has no /%s (human maps: phasor-preprocess import --maps, or the diagnostic "
                       "challenge)", o.samples, o.map);
    ph_samples_field(&r, o.map, &fm);
    const int h = (int)fx.dims[0], w = (int)fx.dims[1], c = (int)fx.dims[2];
    if (fm.ndims != 2 || (int)fm.dims[0] != h || (int)fm.dims[1] != w)
        ph_usage_error("alignment: /%s of %s is not [N, %d, %d]", o.map, o.samples, h, w);
    const int64_t n = r.n;
    int32_t *labels_all = malloc((size_t)(n ? n : 1) * sizeof *labels_all);
    float *tokens = malloc((size_t)(n ? n : 1) * sizeof *tokens);
    int32_t *cues = malloc((size_t)(n ? n : 1) * sizeof *cues);
    PH_CHECK_ALLOC(labels_all && tokens && cues, "reading labels");
    ph_samples_labels_read(&r, 0, n, labels_all, 0);
    if (ph_samples_has(&r, "meta/token")) ph_samples_read(&r, "meta/token", PH_F32, 0, n, tokens);
    else for (int64_t i = 0; i < n; i++) tokens[i] = 1;
    /* A spurious cue's class (the diagnostic challenge): accuracy where it agrees with the
     * label and where it does not tells a model that reads the cue from one that does not. */
    if (ph_samples_has(&r, "meta/cue")) ph_samples_read(&r, "meta/cue", PH_I32, 0, n, cues);
    else for (int64_t i = 0; i < n; i++) cues[i] = -1;
    int32_t most = 1;
    for (int64_t i = 0; i < n; i++) most = labels_all[i] > most ? labels_all[i] : most;
    const int outputs = most + 1 == 2 ? 1 : most + 1;

    const ph_backend *be = ph_backend_select(o.device, "--device");
    const int B = o.batch;
    ph_model_geometry geo = {B, 1, h, w, c, outputs, 0, MPI_COMM_SELF};
    char *section = cfg_section_text(text, model_name);
    net t = {.n = B, .c = c, .outputs = outputs, .hw = (size_t)h * w};
    t.m = ph_model_create_text(model_name, section, be, &geo);
    ph_param *params[MAX_PARAMS];
    const int np = t.m->def->params(t.m, params, MAX_PARAMS);
    ph_checkpoint_load(o.checkpoint, params, np, model_name, NULL);
    ph_params_freeze(params, np, 1); /* saliency and attacks use d(logit)/d(image) only */
    t.nx = ph_model_input_count(t.m);
    const size_t per = t.nx / (size_t)B;
    t.x0 = malloc(t.nx * sizeof *t.x0), t.x = malloc(t.nx * sizeof *t.x), t.g = malloc(t.nx * sizeof *t.g);
    t.logits = malloc((size_t)B * outputs * sizeof *t.logits), t.dlog = malloc((size_t)B * outputs * sizeof *t.dlog);
    t.w = malloc((size_t)B * outputs * sizeof *t.w);
    float *adv = malloc(t.nx * sizeof *adv), *hum = malloc((size_t)B * t.hw * sizeof *hum),
          *sal = malloc((size_t)B * t.hw * sizeof *sal), *pert = malloc((size_t)B * t.hw * sizeof *pert);
    uint8_t *u8 = malloc((size_t)B * h * w * c);
    int32_t labels[BATCH_MAX];
    PH_CHECK_ALLOC(t.x0 && t.x && t.g && t.logits && t.dlog && t.w && adv && hum && sal && pert && u8, "allocating buffers");

    /* Global batches dealt round-robin; results gathered on rank 0 by batch. */
    const int64_t nb = (n + B - 1) / B, rounds = (nb + ph_size() - 1) / ph_size();
    image_result *mine = calloc((size_t)(rounds ? rounds : 1) * B, sizeof *mine);
    image_result *all = ph_rank() == 0 ? calloc((size_t)(rounds ? rounds : 1) * B * ph_size(), sizeof *all) : NULL;
    const int npanel = (int)(o.panel < n ? o.panel : n);
    /* the panel's images come from the first batches: rank 0 keeps what it computes, others send */
    const size_t prow = (size_t)4 * w * 2 * 3; /* a row of 4 tiles at scale 2 */
    uint8_t *panel = calloc((size_t)(npanel ? npanel : 1) * h * 2 * prow, 1);
    PH_CHECK_ALLOC(mine && (ph_rank() || all) && panel, "allocating results");
    ph_progress prog;
    ph_progress_init(&prog, "alignment", "images", n, !o.quiet && ph_rank() == 0);
    for (int64_t k = 0; k < rounds; k++) {
        const int64_t b = k * ph_size() + ph_rank(), s0 = b * B;
        const int64_t cnt = b < nb ? (n - s0 < B ? n - s0 : B) : 0;
        ph_samples_read(&r, "x", PH_U8, cnt ? s0 : 0, cnt, u8);
        ph_samples_read(&r, o.map, PH_F32, cnt ? s0 : 0, cnt, hum);
        if (!cnt) continue;
        for (int64_t i = cnt; i < B; i++) { /* pad with the last image */
            memcpy(u8 + i * (size_t)h * w * c, u8 + (cnt - 1) * (size_t)h * w * c, (size_t)h * w * c);
            memcpy(hum + i * t.hw, hum + (cnt - 1) * t.hw, t.hw * sizeof *hum);
        }
        for (int i = 0; i < B; i++) labels[i] = labels_all[s0 + (i < cnt ? i : cnt - 1)];
        ph_model_load(t.m, u8);
        ph_dev_download(be, t.x0, t.m->x, t.nx);
        image_result *res = mine + k * B;
        /* decisions and the evaluation saliency of the true-class logit */
        net_forward(&t, t.x0);
        int correct[BATCH_MAX];
        memset(t.w, 0, (size_t)B * outputs * sizeof *t.w);
        for (int i = 0; i < B; i++) {
            res[i].label = labels[i], res[i].pred = net_pred(&t, i), correct[i] = res[i].correct = res[i].pred == labels[i];
            res[i].token = tokens[s0 + (i < cnt ? i : cnt - 1)] > 0;
            res[i].cue = cues[s0 + (i < cnt ? i : cnt - 1)];
            if (outputs == 1) t.w[i] = labels[i] ? 1.0f : -1.0f;
            else t.w[(size_t)i * outputs + labels[i]] = 1.0f;
        }
        net_input_grad(&t, t.w);
        ph_saliency_reduce(PH_SALIENCY_EVAL, t.g, B, c, t.hw, sal);
        double rho[BATCH_MAX], dice[BATCH_MAX], iou[BATCH_MAX];
        ph_alignment_maps(sal, hum, B, t.hw, rho, dice, iou);
        for (int i = 0; i < B; i++) {
            res[i].rho = rho[i], res[i].dice = dice[i], res[i].iou = iou[i];
            res[i].eps = res[i].l2 = res[i].linf = res[i].attack_rho = NAN;
        }
        memcpy(adv, t.x0, t.nx * sizeof *adv);
        if (o.attack) {
            attack_batch(&t, labels, correct, res, adv);
            for (int i = 0; i < B; i++) {
                const float *a = adv + i * per, *x0 = t.x0 + i * per;
                double l2 = 0, li = 0;
                for (size_t q = 0; q < per; q++) l2 += (double)(a[q] - x0[q]) * (a[q] - x0[q]), li = fmax(li, fabs(a[q] - x0[q]));
                for (size_t p = 0; p < t.hw; p++) { /* |channel mean of the perturbation| */
                    double s = 0;
                    for (int ch = 0; ch < c; ch++) s += a[ch * t.hw + p] - x0[ch * t.hw + p];
                    pert[i * t.hw + p] = (float)fabs(s / c);
                }
                if (res[i].fooled) {
                    res[i].l2 = sqrt(l2), res[i].linf = li;
                    /* Spearman is invariant to the min-max rescale of the human map */
                    res[i].attack_rho = ph_spearman(pert + i * t.hw, hum + i * t.hw, t.hw);
                }
            }
        } else {
            memset(pert, 0, (size_t)B * t.hw * sizeof *pert);
        }
        for (int64_t i = cnt; i < B; i++) res[i].label = -1; /* padding: dropped */
        /* panel rows: images whose global index < npanel */
        for (int64_t i = 0; i < cnt && s0 + i < npanel; i++) {
            uint8_t *row = panel + (size_t)(s0 + i) * h * 2 * prow;
            const uint8_t *im = u8 + i * (size_t)h * w * c;
            for (int y = 0; y < 2 * h; y++)
                for (int x = 0; x < 2 * w; x++)
                    for (int ch = 0; ch < 3; ch++) row[(size_t)y * prow + 3 * x + ch] = im[((y / 2) * w + x / 2) * c + (c == 3 ? ch : 0)];
            tile_map(row, (int)prow, 2 * w, hum + i * t.hw, h, w, 2);
            tile_map(row, (int)prow, 4 * w, sal + i * t.hw, h, w, 2);
            tile_map(row, (int)prow, 6 * w, pert + i * t.hw, h, w, 2);
        }
        ph_progress_update(&prog, (k + 1) * (int64_t)B * ph_size() < n ? (k + 1) * (int64_t)B * ph_size() : n);
    }
    ph_progress_finish(&prog);
    ph_samples_reader_close(&r);
    /* rank r's round k is global batch k * P + r: gather rounds in rank order, then reorder */
    PH_CHECK_MPI(MPI_Gather(mine, (int)(rounds * B * sizeof *mine), MPI_BYTE, all, (int)(rounds * B * sizeof *mine),
                            MPI_BYTE, 0, MPI_COMM_WORLD),
                 "gathering results", "another rank failed; see its message");
    PH_CHECK_MPI(MPI_Reduce(ph_rank() == 0 ? MPI_IN_PLACE : panel, panel, (int)((size_t)(npanel ? npanel : 1) * h * 2 * prow),
                            MPI_UNSIGNED_CHAR, MPI_BOR, 0, MPI_COMM_WORLD),
                 "gathering the figure", "another rank failed");
    if (ph_rank() == 0) {
        image_result *ord = malloc((size_t)(n ? n : 1) * sizeof *ord);
        double *rhos = malloc((size_t)(n ? n : 1) * sizeof *rhos), *epss = malloc((size_t)(n ? n : 1) * sizeof *epss),
               *arhos = malloc((size_t)(n ? n : 1) * sizeof *arhos);
        PH_CHECK_ALLOC(ord && rhos && epss && arhos, "ordering results");
        for (int64_t b = 0; b < nb; b++) {
            const int64_t rank = b % ph_size(), k = b / ph_size();
            for (int i = 0; i < B && b * B + i < n; i++) ord[b * B + i] = all[(rank * rounds + k) * B + i];
        }
        int64_t right = 0, nrho = 0, nattacked = 0, nfooled = 0, narho = 0, cue_n[2] = {0, 0}, cue_right[2] = {0, 0};
        double dsum = 0, isum = 0;
        int undefined = 0;
        ph_strbuf s = {0};
        ph_sb_printf(&s, "index\tlabel\tpred\tcorrect\ttoken\trho\tdice\tiou\tfooled\teps\tl2\tlinf\tattack_rho\tcue\n");
        for (int64_t i = 0; i < n; i++) {
            const image_result *q = &ord[i];
            right += q->correct;
            if (q->cue >= 0) cue_n[q->cue != q->label]++, cue_right[q->cue != q->label] += q->correct;
            if (q->token) rhos[nrho++] = q->rho, dsum += q->dice, isum += q->iou;
            if (q->correct && o.attack) {
                nattacked++;
                if (q->fooled) epss[nfooled++] = q->eps;
                if (q->fooled && q->token && !isnan(q->attack_rho)) arhos[narho++] = q->attack_rho;
            }
            ph_sb_printf(&s, "%lld\t%d\t%d\t%d\t%d\t%.6f\t%.6f\t%.6f\t%d\t%.4f\t%.6f\t%.6f\t%.6f\t%d\n", (long long)i, q->label,
                         q->pred, q->correct, q->token, q->rho, q->dice, q->iou, q->fooled, q->eps, q->l2, q->linf,
                         q->attack_rho, q->cue);
        }
        ph_write_file_atomic(stsv, s.s, strlen(s.s));
        const double score = ph_alignment_score(rhos, (int)nrho, &undefined);
        double arho = 0;
        for (int64_t i = 0; i < narho; i++) arho += arhos[i];
        arho = narho ? arho / narho : NAN;
        qsort(epss, (size_t)nfooled, sizeof *epss, dbl_cmp);
        const double med = nfooled ? (nfooled % 2 ? epss[nfooled / 2] : 0.5 * (epss[nfooled / 2 - 1] + epss[nfooled / 2])) : NAN;
        ph_strbuf t2 = {0};
        ph_sb_printf(&t2, "checkpoint\tsamples\tmodel\tn\taccuracy\tmaps\talignment_score\tundefined\tdice\tiou\tattacked\t"
                          "fooled\tmedian_eps\tattack_alignment\tattack_alignment_normalised\tcue_agrees_n\t"
                          "cue_agrees_accuracy\tcue_conflicts_n\tcue_conflicts_accuracy\n");
        ph_sb_printf(&t2, "%s\t%s\t%s\t%lld\t%.6f\t%lld\t%.6f\t%d\t%.6f\t%.6f\t%lld\t%lld\t%.4f\t%.6f\t%.6f\t%lld\t%.6f\t%lld\t%.6f\n", o.checkpoint,
                     o.samples, model_name, (long long)n, n ? (double)right / n : NAN, (long long)nrho, score, undefined,
                     nrho ? dsum / nrho : NAN, nrho ? isum / nrho : NAN, (long long)nattacked, (long long)nfooled, med, arho,
                     arho / PH_HUMAN_SPEARMAN_CEILING, (long long)cue_n[0], cue_n[0] ? (double)cue_right[0] / cue_n[0] : NAN,
                     (long long)cue_n[1], cue_n[1] ? (double)cue_right[1] / cue_n[1] : NAN);
        ph_write_file_atomic(tsv, t2.s, strlen(t2.s));
        if (npanel) ph_png_write_rgb(png, 8 * w, npanel * 2 * h, panel);
        if (!o.quiet)
            fprintf(stderr, "phasor-analyze: alignment of %s on %s: accuracy %.4f, alignment score %.4f (%lld maps), "
                            "Dice %.4f, IoU %.4f; attacks: %lld of %lld fooled, median eps %.3f, attack alignment %.4f; %s\n",
                    model_name, o.samples, n ? (double)right / n : NAN, score, (long long)nrho, nrho ? dsum / nrho : NAN,
                    nrho ? isum / nrho : NAN, (long long)nfooled, (long long)nattacked, med, arho, tsv);
        free(s.s), free(t2.s), free(ord), free(rhos), free(epss), free(arhos);
    }
    free(mine), free(all), free(panel), free(labels_all), free(tokens), free(cues), free(t.x0), free(t.x), free(t.g), free(t.logits),
        free(t.dlog), free(t.w), free(adv), free(hum), free(sal), free(pert), free(u8), free(section), free(model_name),
        free(text);
    t.m->def->destroy(t.m);
    return 0;
}
