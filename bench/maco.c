/* maco.c: feature-visualisation throughput (make bench appends its markdown
 * section to docs/performance.md):
 *   - the parameterisations alone (maco, fourier, pixel; 3 channels) at 224 and
 *     512 working sizes: forward + backward + NAdam steps/s and the share of
 *     that time in the FFT (inverse transform and its backward pass);
 *   - whole optimisation steps as phasor-analyze maco runs them: the
 *     parameterisation, `crops` crops resized to the model's 224x224 input, a
 *     ResNet forward and backward to the input (ImageNet-shaped, random
 *     weights: the timing does not depend on them), the crops' backward, NAdam;
 *     steps/s and the FFT's share of the step.
 *   build/bench/maco [--reps R] [--crops K] [--width W] [--depth D]
 * The device is the CPU (or CUDA when present, where host times of the FFT
 * calls measure launches only, so the share is not given). */
#include "core/progress.h"
#include "fft/imageparam.h"
#include "models/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static const char usage[] = "usage: bench/maco [--reps R] [--crops K] [--width W] [--depth D]";

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int reps = 5, crops = 6, width = 64, depth = 18;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--crops") && i + 1 < argc) crops = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc) width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--depth") && i + 1 < argc) depth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help")) {
            printf("%s\n\n"
                   "Times MACO feature-visualisation steps (phase optimisation, FFTs, K crops through a\n"
                   "ResNet of depth D and width W) at the 224 and 512 working sizes, with the FFT's\n"
                   "share; median of R reps (defaults: 5 reps, 6 crops, width 64, depth 18).\n"
                   "make bench runs it and writes docs/performance.md.\n", usage);
            MPI_Finalize();
            return 0;
        } else {
            fprintf(stderr, "bench/maco: unknown argument '%s' (%s)\n", argv[i], usage);
            MPI_Finalize();
            return 2;
        }
    }
    if (reps < 1 || reps > 1000 || crops < 1 || crops > 64 || width < 1) {
        fprintf(stderr, "bench/maco: reps 1..1000, crops 1..64, width >= 1\n");
        MPI_Finalize();
        return 2;
    }
    char why[256];
    const ph_backend *be = ph_cuda_device_count(why, sizeof why) > 0 ? &ph_backend_cuda : &ph_backend_cpu;
    const int cpu = be == &ph_backend_cpu, C = 3, sizes[2] = {224, 512}, in = 224;
    /* The model first: its config refuses a depth it has no layout for before any table starts. */
    char ini[128];
    snprintf(ini, sizeof ini, "[resnet]\ndepth = %d\nwidth = %d\nnorm = group\n", depth, width);
    ph_model_geometry g = {crops, 1, in, in, C, 10, 1, MPI_COMM_SELF};
    ph_model *m = ph_model_create_text("resnet", ini, be, &g);
    m->want_dx = 1;
    { /* as phasor-analyze maco: no weight gradients, only d(objective)/d(image) */
        ph_param *params[PH_MODEL_MAX_PARAMS];
        ph_params_freeze(params, m->def->params(m, params, PH_MODEL_MAX_PARAMS), 1);
    }
    printf("## 5. Feature visualisation (MACO): optimisation steps and the FFT's share\n\n");
    printf("Command: `build/bench/maco --reps %d --crops %d --width %d --depth %d` (part of `make bench`); device %s; "
           "threads: OpenMP default; FFTW %s plans, one c2r and one r2c of %d planes per step.\n\n", reps, crops, width,
           depth, be->name, "ESTIMATE", C);
    float *mag = malloc((size_t)C * 512 * 257 * sizeof *mag);
    for (size_t i = 0; i < (size_t)C * 512 * 257; i++) mag[i] = 1.0f / (1.0f + (float)(i % 257));

    printf("### The parameterisation alone (forward, backward, NAdam), %d channels\n\n", C);
    printf("| working size | method | steps/s | ms per step | FFT share |\n|---|---|--:|--:|--:|\n");
    for (int si = 0; si < 2; si++)
        for (int k = 0; k < PH_FVIS_COUNT; k++) {
            const int s = sizes[si];
            ph_fvis p;
            ph_fvis_init(&p, be, (ph_fvis_kind)k, C, s, mag, 1.0, 1e-4, 1);
            ph_fvis_reset(&p, 1, 0);
            ph_nadam o = ph_nadam_default(1.0);
            float *dx = ph_dev_zeros(be, (size_t)C * s * s);
            PH_KERNEL(be, fill, "filling", dx, 1e-3f, (size_t)C * s * s);
            ph_fvis_forward(&p), ph_fvis_backward(&p, dx); /* plans, warm caches */
            double *t = malloc((size_t)reps * sizeof *t), *f = malloc((size_t)reps * sizeof *f);
            for (int r = 0; r < reps; r++) {
                double f0 = p.fft_seconds, t0 = ph_now();
                ph_fvis_forward(&p);
                ph_fvis_backward(&p, dx);
                ph_nadam_step(&o, be, p.w, p.g, p.m, p.v, p.count);
                ph_dev_wait(be, p.w);
                t[r] = ph_now() - t0, f[r] = (p.fft_seconds - f0) / t[r];
            }
            double ms = 1e3 * median(t, reps), share = median(f, reps);
            printf("| %d | %s | %.1f | %.2f | ", s, ph_fvis_names[k], 1e3 / ms, ms);
            if (cpu && k != PH_FVIS_PIXEL) printf("%.0f %% |\n", 100 * share);
            else printf("- |\n");
            free(t), free(f);
            be->free(dx);
            ph_fvis_free(&p);
        }

    printf("\n### Whole steps: %d crops to %dx%d, ResNet-%d width %d (forward + backward to the input)\n\n", crops, in,
           in, depth, width);
    printf("| working size | method | steps/s | ms per step | of which parameterisation | FFT share of the step |\n"
           "|---|---|--:|--:|--:|--:|\n");
    float *dlogits = calloc((size_t)crops * 10, sizeof *dlogits), *boxes = malloc((size_t)crops * 4 * sizeof *boxes);
    for (int b = 0; b < crops; b++) {
        dlogits[b * 10 + 3] = -1.0f / crops;
        float side = 0.3f + 0.05f * b, c = 0.5f;
        boxes[4 * b] = c - side / 2, boxes[4 * b + 1] = c - side / 2 + 0.01f * b;
        boxes[4 * b + 2] = c + side / 2, boxes[4 * b + 3] = c + side / 2 + 0.01f * b;
    }
    for (int si = 0; si < 2; si++)
        for (int k = 0; k < PH_FVIS_COUNT; k++) {
            const int s = sizes[si];
            ph_fvis p;
            ph_fvis_init(&p, be, (ph_fvis_kind)k, C, s, mag, 1.0, 1e-4, 1);
            ph_fvis_reset(&p, 1, 0);
            ph_nadam o = ph_nadam_default(1.0);
            float *dcanvas = ph_dev_alloc(be, (size_t)C * s * s);
            double *t = malloc((size_t)(reps + 1) * sizeof *t), *f = malloc((size_t)(reps + 1) * sizeof *f),
                   *q = malloc((size_t)(reps + 1) * sizeof *q);
            for (int r = 0; r <= reps; r++) { /* step 0 warms up */
                double f0 = p.fft_seconds, t0 = ph_now();
                ph_fvis_forward(&p);
                double tp = ph_now() - t0;
                PH_KERNEL(be, crop_resize_forward, "cropping", p.x, m->x, (size_t)C, s, s, boxes, crops, in, in);
                m->def->forward(m, 0);
                ph_model_backward_host(m, dlogits);
                PH_KERNEL(be, crop_resize_backward, "cropping", m->dx, dcanvas, (size_t)C, s, s, boxes, crops, in, in);
                double t1 = ph_now();
                ph_fvis_backward(&p, dcanvas);
                ph_nadam_step(&o, be, p.w, p.g, p.m, p.v, p.count);
                ph_dev_wait(be, p.w);
                double t2 = ph_now();
                t[r] = t2 - t0, f[r] = (p.fft_seconds - f0) / t[r], q[r] = (tp + t2 - t1) / t[r];
            }
            double ms = 1e3 * median(t + 1, reps), share = median(f + 1, reps), pshare = median(q + 1, reps);
            printf("| %d | %s | %.2f | %.0f | %.1f %% | ", s, ph_fvis_names[k], 1e3 / ms, ms, 100 * pshare);
            if (cpu && k != PH_FVIS_PIXEL) printf("%.1f %% |\n", 100 * share);
            else printf("- |\n");
            free(t), free(f), free(q);
            be->free(dcanvas);
            ph_fvis_free(&p);
        }
    printf("\nThe FFT share counts host time inside the inverse FFT calls and their backward passes (FFTW "
           "single-threaded, plans made once); the rest of the parameterisation is element-wise work and the two "
           "standardisations. In whole steps the model's forward and backward passes on the crops dominate, as "
           "maco.md section 4 expects.\n");
    m->def->destroy(m);
    free(mag), free(dlogits), free(boxes);
    MPI_Finalize();
    return 0;
}
