/* engine.c: engine throughput against the machine's own peak, measured in
 * the same run, on the CPU and, when a GPU is present, on CUDA too.  Prints a
 * markdown section (make bench appends it to docs/performance.md):
 *   - the peak: dnnl_sgemm on 2048^3 (on the GPU cuBLAS on 8192^3), median of 5, and again
 *     right before every timed step (the fraction of the peak pairs each step with its own sgemm);
 *   - whole training steps (forward, BCE loss, backward, AdamW) of the registered
 *     models: the 3D CNN on PathTracker-shaped batches, ResNet-18/50 on SVRT-shaped
 *     images, InT and the CV-RNN on videos: samples/s and achieved GFLOP/s, counting
 *     2*MACs of every convolution pass that runs (forward, backward-weights,
 *     backward-data except the first layer's), and the AdamW share of the step.
 *   build/bench/engine [--reps R] [--breakdown] [--only MODEL|CASE|harmonized|peak] [--precision fp32|bf16]
 *     --breakdown: time per op of one more step, on stderr; --only: those rows only;
 *     --precision: the CPU convolutions' arithmetic (conv_precision) */
#include "core/progress.h"
#include "harmonize/step.h"
#include "models/model.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stats(double *v, int n, double *med, double *lo, double *hi)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    *med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    *lo = v[0], *hi = v[n - 1];
}

/* dnnl_sgemm on size^3 in GFLOP/s; the matrices are made once and kept, so that a call
 * costs only the multiply (it runs before every timed step, see main). */
static double sgemm_gflops(int size)
{
    static float *a, *b, *c;
    static int made;
    if (made != size) {
        free(a), free(b), free(c);
        a = malloc((size_t)size * size * 4), b = malloc((size_t)size * size * 4), c = calloc((size_t)size * size, 4);
        PH_CHECK_ALLOC(a && b && c, "allocating the sgemm matrices");
        for (size_t i = 0; i < (size_t)size * size; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
        made = size;
    }
    double t0 = ph_now();
    if (dnnl_sgemm('N', 'N', size, size, size, 1.0f, a, size, b, size, 0.0f, c, size) != dnnl_success)
        PH_FAIL("running dnnl_sgemm", "oneDNN error", "check the oneDNN installation");
    return 2.0 * size * size * (double)size / (ph_now() - t0) / 1e9;
}

/* The timed training steps: the 3D CNN on PathTracker-shaped batches, ResNets on SVRT-shaped
 * images, the tracking circuits at the paper's size (32 channels, 7x7) on 32-frame videos; the
 * bench has no masks, so the CV-RNN runs without its synchrony loss's backward. */
static const struct {
    const char *name, *model, *ini; /* name: what --only picks besides the model */
    int n, t, h, w, c;
} cases[] = {
    {"cnn3d-w16", "cnn3d", "[cnn3d]\nwidth = 16\n", 8, 32, 32, 32, 3},
    {"cnn3d-w32", "cnn3d", "[cnn3d]\nwidth = 32\n", 16, 32, 32, 32, 3},
    {"cnn3d-w16-bn", "cnn3d", "[cnn3d]\nwidth = 16\nblocks = 1\nnorm = batch\n", 8, 32, 32, 32, 3},
    {"resnet18", "resnet", "[resnet]\ndepth = 18\nwidth = 64\nstem = imagenet\n", 8, 1, 128, 128, 1},
    {"resnet50", "resnet", "[resnet]\ndepth = 50\nwidth = 64\nstem = imagenet\n", 8, 1, 128, 128, 1},
    {"int", "int", "[int]\n", 4, 32, 32, 32, 3},
    {"cvrnn", "cvrnn", "[cvrnn]\nsync_weight = 0\n", 4, 32, 32, 32, 3},
};
enum { NCASES = sizeof cases / sizeof cases[0] };

static int case_picked(size_t k, const char *only)
{
    return !only || !strcmp(only, cases[k].model) || !strcmp(only, cases[k].name);
}

/* One whole training step, timed: forward, the BCE loss and its gradient on the host (labels
 * alternate), backward, AdamW (phasor-train's default optimiser).  Returns the optimiser's
 * share in *opt_seconds. */
static double train_step(ph_model *m, ph_param *const *params, int np, const ph_optim *opt, int64_t step,
                         float *logits, const int32_t *labels, float *dl, double *opt_seconds)
{
    const int n = m->g.n;
    double t0 = ph_now();
    m->def->forward(m, 1);
    ph_dev_download(m->be, logits, m->logits, (size_t)n); /* waits for the forward pass */
    ph_bce_logits(logits, labels, n, dl, NULL);
    ph_params_zero_grad(params, np);
    ph_model_backward_host(m, dl);
    double t1 = ph_now();
    ph_optim_step(opt, params, np, step);
    ph_dev_wait(m->be, params[0]->w);
    double t2 = ph_now();
    *opt_seconds = t2 - t1;
    return t2 - t0;
}

/* The neural harmonizer's step (common/harmonize/step.c) against a plain step of the same
 * model and batch: the study's method is expected to cost about 2-4 plain steps. */
static void harmonized_cost(int reps, int breakdown)
{
    enum { N = 16, H = 64, W = 64, C = 3 };
    static const char *const ini[2] = {"[resnet]\ndepth = 10\nwidth = 16\nstem = small\n",
                                       "[resnet]\ndepth = 18\nwidth = 32\nstem = small\n"};
    printf("\n### The harmonized step against a plain step\n\n"
           "One training step (forward, backward; harmonized: also the saliency backward, the pyramidal loss on the\n"
           "host, a recording forward and two perturbed forward/backward passes) of a ResNet on %d x %d x %d x %d\n"
           "images, median of %d:\n\n| model | plain ms | harmonized ms | ratio |\n|---|--:|--:|--:|\n", N, H, W, C, reps);
    for (int k = 0; k < 2; k++) {
        ph_model_geometry g = {N, 1, H, W, C, 1, 1, MPI_COMM_SELF};
        ph_model *m = ph_model_create_text("resnet", ini[k], &ph_backend_cpu, &g);
        ph_param *params[1024];
        int np = m->def->params(m, params, 1024);
        size_t nx = ph_model_input_count(m);
        uint8_t *batch = malloc(nx);
        float *dl = malloc(N * sizeof *dl), *hum = malloc((size_t)N * H * W * sizeof *hum), tok[N];
        int32_t labels[N];
        for (size_t i = 0; i < nx; i++) batch[i] = (uint8_t)(i * 2654435761u >> 27);
        for (int i = 0; i < N; i++) {
            labels[i] = i % 2, dl[i] = (i % 2 ? -1.0f : 1.0f) / N, tok[i] = 1;
            for (int p = 0; p < H * W; p++) hum[(size_t)i * H * W + p] = (float)((p / W - 20 - i) * (p / W - 20 - i) + (p % W - 30) * (p % W - 30) < 64);
        }
        ph_model_load(m, batch);
        ph_harm_step st;
        ph_harm_step_init(&st, m, N, PH_HARM_LEVELS_DEFAULT, PH_HARM_RESCALE_PACKAGE, 1.0, 1e-3);
        double t[2][64];
        for (int mode = 0; mode < 2; mode++)
            for (int r = -1; r < reps; r++) {
                double t0 = ph_now();
                m->def->forward(m, 1);
                if (mode) {
                    ph_harm_step_backward(&st, m, params, np, hum, tok, labels, dl);
                } else {
                    ph_params_zero_grad(params, np);
                    ph_model_backward_host(m, dl);
                }
                if (r >= 0) t[mode][r] = ph_now() - t0;
            }
        if (breakdown) { /* one more harmonized step with per-op timing, to stderr */
            ph_profile_reset();
            ph_profile_on = 1;
            m->def->forward(m, 1);
            ph_harm_step_backward(&st, m, params, np, hum, tok, labels, dl);
            ph_profile_on = 0;
            char title[160];
            snprintf(title, sizeof title, "harmonized step, resnet {%s}", ini[k] + strlen("[resnet]\n"));
            for (char *q = title; *q; q++) *q = *q == '\n' ? ' ' : *q;
            ph_profile_print(stderr, title);
        }
        double mp, mh, lo, hi;
        stats(t[0], reps, &mp, &lo, &hi);
        stats(t[1], reps, &mh, &lo, &hi);
        char cfg[128], *q = cfg;
        for (const char *p = strchr(ini[k], '\n') + 1; *p && q < cfg + sizeof cfg - 3; p++) *q++ = *p == '\n' ? ';' : *p;
        while (q > cfg && q[-1] == ';') q--;
        *q = 0;
        printf("| resnet %s | %.1f | %.1f | **%.2f** |\n", cfg, 1e3 * mp, 1e3 * mh, mh / mp);
        fflush(stdout);
        ph_harm_step_free(&st);
        free(batch), free(dl), free(hum);
        m->def->destroy(m);
    }
}

/* sgemm GFLOP/s on the backend: dnnl_sgemm 2048^3 on the CPU; on the GPU cuBLAS on
 * GPU_PEAK_SIZE^3 device matrices, made once, timed to a download that waits for it. */
enum { GPU_PEAK_SIZE = 8192 };
static double peak_gflops(const ph_backend *be)
{
    if (be == &ph_backend_cpu) return sgemm_gflops(2048);
    static float *a, *b, *c;
    const int64_t S = GPU_PEAK_SIZE;
    char why[256];
    if (!a) {
        a = ph_dev_alloc(be, (size_t)(S * S)), b = ph_dev_alloc(be, (size_t)(S * S)), c = ph_dev_alloc(be, (size_t)(S * S));
        if (PH_OP_CALL(be, fill, why, sizeof why, a, 0.1f, (size_t)(S * S)) ||
            PH_OP_CALL(be, fill, why, sizeof why, b, 0.2f, (size_t)(S * S)))
            PH_FAIL("filling the GPU sgemm matrices", why, "check the CUDA installation");
    }
    ph_dev_wait(be, c);
    double t0 = ph_now();
    if (PH_OP_CALL(be, sgemm, why, sizeof why, 0, 0, S, S, S, 1.0f, a, S, b, S, 0.0f, c, S))
        PH_FAIL("running the GPU sgemm", why, "check the CUDA installation");
    ph_dev_wait(be, c);
    return 2.0 * (double)S * S * S / (ph_now() - t0) / 1e9;
}

/* The training-step table of one backend: the peak, then one row per case (the model's step
 * with the sgemm just before it). */
static ph_precision precision = PH_PRECISION_FP32; /* of the CPU convolutions (--precision) */

static void engine_table(const ph_backend *be, int reps, const char *only, int breakdown)
{
    const int cpu = be == &ph_backend_cpu;
    double v[64];
    peak_gflops(be); /* warm-up */
    for (int r = 0; r < reps; r++) v[r] = peak_gflops(be);
    double peak, plo, phi;
    stats(v, reps, &peak, &plo, &phi);

    if (cpu) {
        const int bf16 = precision != PH_PRECISION_FP32;
        printf("\n## 3. Engine: training steps against the sgemm peak (CPU%s)\n\n", bf16 ? ", bf16 convolutions" : "");
        printf("Command: `build/bench/engine --reps %d%s` (part of `make bench`); threads: OpenMP default.\n\n", reps,
               bf16 ? " --precision bf16" : "");
        printf("Peak: `dnnl_sgemm` 2048^3 = **%.0f GFLOP/s** (%.0f-%.0f), median of %d.  On a shared VM the\n"
               "sgemm speed can change from one minute to the next, so every timed step runs right after an sgemm\n"
               "of its own: *sgemm beside it* is the median of those, *of sgemm peak* the median over the steps of\n"
               "(the step's GFLOP/s / the sgemm GFLOP/s just before it).\n\n", peak, plo, phi, reps);
    } else {
        printf("\n### The same steps on the GPU\n\n");
        printf("Peak: cuBLAS sgemm %d^3 on device memory (FP32, no TF32) = **%.0f GFLOP/s** (%.0f-%.0f), median\n"
               "of %d.  Each timed step (and each sgemm) ends with a download of one float, which waits for its\n"
               "kernels; as on the CPU, every step runs right after an sgemm of its own.\n\n",
               GPU_PEAK_SIZE, peak, plo, phi, reps);
    }
    printf("| case | config | batch x T x H x W x C | step ms (min-max) | of which AdamW ms | samples/s | "
           "GFLOP per step | GFLOP/s | sgemm beside it, GFLOP/s | of sgemm peak |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < NCASES; k++) {
        if (!case_picked(k, only)) continue;
        int n = cases[k].n, t = cases[k].t, h = cases[k].h, w = cases[k].w, c = cases[k].c;
        ph_model_geometry g = {n, t, h, w, c, 1, 1, MPI_COMM_SELF};
        ph_model *m = ph_model_create_text(cases[k].model, cases[k].ini, be, &g);
        size_t nx = ph_model_input_count(m);
        uint8_t *batch = malloc(nx);
        for (size_t i = 0; i < nx; i++) batch[i] = (uint8_t)(i * 2654435761u >> 27);
        float *dl = malloc((size_t)n * sizeof *dl), *logits = malloc((size_t)n * sizeof *logits);
        int32_t *labels = malloc((size_t)n * sizeof *labels);
        for (int i = 0; i < n; i++) labels[i] = i % 2;
        double flops = m->def->step_flops(m);
        ph_param *params[1024];
        int np = m->def->params(m, params, 1024);
        ph_optim opt = ph_optim_default();
        ph_model_load(m, batch);
        double pk[64], ratio[64], optv[64];
        for (int r = -1; r < reps; r++) { /* r = -1: warm-up (plans, caches) */
            double g = peak_gflops(be), o;
            double t = train_step(m, params, np, &opt, r + 2, logits, labels, dl, &o);
            if (r >= 0) v[r] = t, optv[r] = o, pk[r] = g, ratio[r] = flops / v[r] / 1e9 / g;
        }
        double med, lo, hi, pmed, rmed, omed, unused;
        stats(optv, reps, &omed, &unused, &unused);
        stats(v, reps, &med, &lo, &hi);
        stats(pk, reps, &pmed, &unused, &unused);
        stats(ratio, reps, &rmed, &unused, &unused);
        if (breakdown) { /* one more step with per-op timing, to stderr */
            ph_profile_reset();
            ph_profile_on = 1;
            double o;
            train_step(m, params, np, &opt, reps + 2, logits, labels, dl, &o);
            ph_profile_on = 0;
            char title[160];
            snprintf(title, sizeof title, "%s {%s} one step (%s)", cases[k].model, cases[k].ini, be->name);
            for (char *q = title; *q; q++) *q = *q == '\n' ? ' ' : *q;
            ph_profile_print(stderr, title);
        }
        char cfgtext[128], *q = cfgtext;
        for (const char *p = strchr(cases[k].ini, '\n') + 1; *p && q < cfgtext + sizeof cfgtext - 3; p++)
            *q++ = *p == '\n' ? ';' : *p;
        while (q > cfgtext && q[-1] == ';') q--; /* no separator after the last key */
        *q = 0;
        if (!cfgtext[0]) snprintf(cfgtext, sizeof cfgtext, "(defaults)");
        printf("| %s | %s | %d x %d x %d x %d x %d | %.1f (%.1f-%.1f) | %.1f | %.1f | %.2f | %.0f | %.0f | **%.2f** |\n",
               cases[k].name, cfgtext, n, t, h, w, c, 1e3 * med, 1e3 * lo, 1e3 * hi, 1e3 * omed, n / med, flops / 1e9,
               flops / med / 1e9, pmed, rmed);
        fflush(stdout);
        free(batch), free(dl), free(logits), free(labels);
        m->def->destroy(m);
    }
}

static const char usage[] =
    "usage: bench/engine [--reps R] [--breakdown] [--only MODEL|CASE|harmonized|peak] [--precision fp32|bf16]";

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv); /* batch norm layers take a communicator */
    int reps = 5, breakdown = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--breakdown")) breakdown = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
            const char *p = argv[++i];
            int k = 0;
            while (k < PH_PRECISION_COUNT && strcmp(p, ph_precision_names[k])) k++;
            if (k == PH_PRECISION_COUNT) {
                fprintf(stderr, "bench/engine: --precision '%s' is not fp32 or bf16 (%s)\n", p, usage);
                MPI_Finalize();
                return 2;
            }
            precision = (ph_precision)k;
        } else if (!strcmp(argv[i], "--help")) {
            printf("%s\n\n"
                   "Measures the dnnl_sgemm 2048^3 peak, then each model's whole training step (forward,\n"
                   "BCE loss, backward, AdamW; the AdamW share in its own column) at the study's sizes,\n"
                   "every step right after an sgemm of its own;\n"
                   "prints a markdown table of steps/s, samples/s, GFLOP/s and the fraction of the\n"
                   "paired sgemm peak (median over R reps, default 5, at most 64); on the CPU, and\n"
                   "again on the GPU (cuBLAS sgemm peak) when one is present.\n"
                   "  --breakdown  per-op time of one step of each model (PHASOR_PROFILE)\n"
                   "  --only M     a model's cases (cnn3d, resnet, int, cvrnn), one case (cnn3d-w16,\n"
                   "               cnn3d-w32, cnn3d-w16-bn, resnet18, resnet50), harmonized, or peak\n"
                   "  --precision  fp32 (default) or bf16: the CPU convolutions read bf16 copies of their\n"
                   "               inputs and sum in fp32 (needs AVX512-BF16 or AMX; the rows say which)\n"
                   "Threads: OMP_NUM_THREADS.  make bench runs it and writes docs/performance.md.\n", usage);
            MPI_Finalize();
            return 0;
        } else {
            fprintf(stderr, "bench/engine: unknown argument '%s' (%s)\n", argv[i], usage);
            MPI_Finalize();
            return 2;
        }
    }
    int known = !only || !strcmp(only, "harmonized") || !strcmp(only, "peak");
    for (size_t k = 0; k < NCASES; k++) known |= only && case_picked(k, only);
    if (!known) {
        fprintf(stderr, "bench/engine: --only '%s' names no case (a model: cnn3d, resnet, int, cvrnn; a case: cnn3d-w16, "
                        "cnn3d-w32, cnn3d-w16-bn, resnet18, resnet50; harmonized; or peak for the sgemm peak alone)\n", only);
        MPI_Finalize();
        return 2;
    }
    if (reps < 1) reps = 1;
    if (reps > 64) reps = 64; /* the arrays below */
    char why[256];
    if (ph_backend_cpu.conv_precision(precision, why, sizeof why)) {
        fprintf(stderr, "bench/engine: --precision %s: %s\n", ph_precision_names[precision], why);
        MPI_Finalize();
        return 2;
    }
    engine_table(&ph_backend_cpu, reps, only, breakdown);
    if (ph_cuda_device_count(why, sizeof why) > 0) engine_table(&ph_backend_cuda, reps, only, breakdown);
    else printf("\nNo GPU rows: %s.\n", why);
    if (!only || !strcmp(only, "harmonized")) harmonized_cost(reps, breakdown);
    printf("\nTarget: >= 0.5 of the sgemm peak for convolution-heavy models. GFLOP count only\n"
           "the convolution passes that run (2 x MACs; the first layer has no backward-data pass); norms,\n"
           "activations and pooling are counted as zero work but take time.  Each convolution pass runs\n"
           "oneDNN's direct AVX-512 kernel in its blocked layouts with cached primitives, reordering from and to\n"
           "the plain layouts of the interface around every pass (kernels/cpu/conv.c).\n");
    MPI_Finalize();
    return 0;
}
