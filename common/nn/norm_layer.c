/* norm_layer.c: batch norm (statistics synchronised over ranks), group norm
 * and instance norm, forward and backward.
 *
 * The reductions run on the backend; the few per-statistic numbers (sums,
 * means, inverse deviations) come to the host, where batch norm sums them
 * over ranks with one MPI_Allreduce before anything is normalised.  The
 * backward pass sums the same way, so batch norm's gradient is that of the
 * global batch whatever the rank count.  After an evaluation forward (running
 * statistics) the layer is affine and its backward is gamma rstd dy. */
#include "nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const ph_norm_names[PH_NORM_COUNT] = {[PH_NORM_BATCH] = "batch",
                                                  [PH_NORM_GROUP] = "group",
                                                  [PH_NORM_INSTANCE] = "instance"};

void ph_norm_init(ph_norm_layer *l, const ph_backend *be, ph_norm_kind kind, int n, int c,
                  size_t spatial, int groups, MPI_Comm comm)
{
    memset(l, 0, sizeof *l);
    l->be = be, l->kind = kind, l->comm = comm, l->eps = 1e-5f, l->momentum = 0.1f;
    int g = kind == PH_NORM_BATCH ? 0 : kind == PH_NORM_INSTANCE ? c : groups;
    if (kind == PH_NORM_GROUP && (groups < 1 || c % groups))
        PH_FAIL("building a group norm", "the channel count is not a multiple of the groups",
                "choose groups that divide the channels");
    l->s = (ph_norm_shape){n, c, g, spatial};
    size_t K = ph_norm_stat_count(&l->s);
    ph_param_init_const(&l->gamma, be, (size_t)c, 1.0f, 1);
    ph_param_init_const(&l->beta, be, (size_t)c, 0.0f, 1);
    l->gamma.no_decay = l->beta.no_decay = 1;
    if (kind == PH_NORM_BATCH) {
        ph_param_init_const(&l->run_mean, be, (size_t)c, 0.0f, 0);
        ph_param_init_const(&l->run_var, be, (size_t)c, 1.0f, 0);
    }
    l->mean = ph_dev_alloc(be, K), l->rstd = ph_dev_alloc(be, K);
    l->a = ph_dev_alloc(be, K), l->b = ph_dev_alloc(be, K);
    l->hsum = malloc(K * sizeof *l->hsum), l->hsq = malloc(K * sizeof *l->hsq);
    l->hmean = malloc(K * sizeof *l->hmean), l->hrstd = malloc(K * sizeof *l->hrstd);
    l->hrm = malloc((size_t)c * sizeof *l->hrm), l->hrv = malloc((size_t)c * sizeof *l->hrv);
    if (!l->hsum || !l->hsq || !l->hmean || !l->hrstd || !l->hrm || !l->hrv)
        PH_FAIL("building a normalisation layer", "out of memory", "use a smaller model");
}

/* Batch norm: sums over every rank; elements per statistic likewise. */
static double stats_allreduce(ph_norm_layer *l, double *a, double *b, size_t K)
{
    double m = ph_norm_stat_elements(&l->s);
    if (l->kind != PH_NORM_BATCH || l->comm == MPI_COMM_SELF) return m;
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, a, (int)K, MPI_DOUBLE, MPI_SUM, l->comm),
                 "summing batch-norm statistics", "another rank failed; see its message");
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, b, (int)K, MPI_DOUBLE, MPI_SUM, l->comm),
                 "summing batch-norm statistics", "another rank failed; see its message");
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &m, 1, MPI_DOUBLE, MPI_SUM, l->comm),
                 "summing batch-norm counts", "another rank failed; see its message");
    return m;
}

void ph_norm_forward(ph_norm_layer *l, const float *x, float *y, int training)
{
    const ph_backend *be = l->be;
    size_t K = ph_norm_stat_count(&l->s);
    l->training = training;
    if (l->kind == PH_NORM_BATCH && !training) {
        ph_dev_download(be, l->hrm, l->run_mean.w, K);
        ph_dev_download(be, l->hrv, l->run_var.w, K);
        for (size_t k = 0; k < K; k++)
            l->hmean[k] = l->hrm[k], l->hrstd[k] = (float)(1.0 / sqrt((double)l->hrv[k] + l->eps));
    } else {
        PH_KERNEL(be, norm_moments, "computing normalisation statistics", &l->s, x, l->hsum, l->hsq);
        double m = stats_allreduce(l, l->hsum, l->hsq, K);
        for (size_t k = 0; k < K; k++) {
            double mean = l->hsum[k] / m, var = fmax(l->hsq[k] / m - mean * mean, 0.0);
            l->hmean[k] = (float)mean, l->hrstd[k] = (float)(1.0 / sqrt(var + l->eps));
            l->hsq[k] = var; /* kept for the running statistics below */
        }
        if (l->kind == PH_NORM_BATCH) {
            ph_dev_download(be, l->hrm, l->run_mean.w, K);
            ph_dev_download(be, l->hrv, l->run_var.w, K);
            double unbias = m > 1 ? m / (m - 1) : 1.0;
            for (size_t k = 0; k < K; k++) {
                l->hrm[k] = (1 - l->momentum) * l->hrm[k] + l->momentum * l->hmean[k];
                l->hrv[k] = (1 - l->momentum) * l->hrv[k] + l->momentum * (float)(l->hsq[k] * unbias);
            }
            ph_dev_upload(be, l->run_mean.w, l->hrm, K);
            ph_dev_upload(be, l->run_var.w, l->hrv, K);
        }
    }
    ph_dev_upload(be, l->mean, l->hmean, K);
    ph_dev_upload(be, l->rstd, l->hrstd, K);
    PH_KERNEL(be, norm_forward, "normalising", &l->s, x, l->mean, l->rstd, l->gamma.w, l->beta.w, y);
}

void ph_norm_backward(ph_norm_layer *l, const float *x, const float *dy, float *dx)
{
    const ph_backend *be = l->be;
    size_t K = ph_norm_stat_count(&l->s);
    PH_KERNEL(be, norm_backward_sums, "normalisation backward", &l->s, x, dy, l->mean, l->rstd,
              l->gamma.w, l->hsum, l->hsq, ph_param_grad_out(&l->gamma), ph_param_grad_out(&l->beta));
    ph_param_grad_done(&l->gamma);
    ph_param_grad_done(&l->beta);
    if (l->kind == PH_NORM_BATCH && !l->training) {
        /* running statistics are constants: y is affine in x, dx = gamma rstd dy */
        for (size_t k = 0; k < K; k++) l->hmean[k] = 0, l->hrstd[k] = 0;
    } else {
        double m = stats_allreduce(l, l->hsum, l->hsq, K);
        for (size_t k = 0; k < K; k++)
            l->hmean[k] = (float)(l->hsum[k] / m), l->hrstd[k] = (float)(l->hsq[k] / m);
    }
    ph_dev_upload(be, l->a, l->hmean, K);
    ph_dev_upload(be, l->b, l->hrstd, K);
    PH_KERNEL(be, norm_backward_apply, "normalisation backward", &l->s, x, dy, l->mean, l->rstd,
              l->gamma.w, l->a, l->b, dx);
}

void ph_norm_free(ph_norm_layer *l)
{
    const ph_backend *be = l->be;
    ph_param_free(&l->gamma), ph_param_free(&l->beta);
    if (l->kind == PH_NORM_BATCH) ph_param_free(&l->run_mean), ph_param_free(&l->run_var);
    be->free(l->mean), be->free(l->rstd), be->free(l->a), be->free(l->b);
    free(l->hsum), free(l->hsq), free(l->hmean), free(l->hrstd), free(l->hrm), free(l->hrv);
}
