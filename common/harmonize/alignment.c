/* alignment.c: Spearman, top-10% Dice and IoU, the alignment score (alignment.h). */
#include "alignment.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double v;
    size_t i;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    return a->v < b->v ? -1 : a->v > b->v;
}

static ranked *ranked_sorted(const float *x, size_t n)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    PH_CHECK_ALLOC(r, "sorting a map's pixels");
    for (size_t i = 0; i < n; i++) r[i].v = x[i], r[i].i = i;
    qsort(r, n, sizeof *r, ranked_cmp);
    return r;
}

void ph_rank_average(const float *x, size_t n, double *rank)
{
    ranked *r = ranked_sorted(x, n);
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        while (hi < n && r[hi].v == r[lo].v) hi++;
        /* positions lo+1 .. hi (1-based) share their mean */
        double mean = 0.5 * ((double)lo + 1 + (double)hi);
        for (size_t k = lo; k < hi; k++) rank[r[k].i] = mean;
        lo = hi;
    }
    free(r);
}

static int has_nan(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i])) return 1;
    return 0;
}

double ph_spearman(const float *a, const float *b, size_t n)
{
    if (n < 2 || has_nan(a, n) || has_nan(b, n)) return NAN;
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb);
    PH_CHECK_ALLOC(ra, "ranking a map");
    PH_CHECK_ALLOC(rb, "ranking a map");
    ph_rank_average(a, n, ra);
    ph_rank_average(b, n, rb);
    /* Pearson of the ranks; both rank sets have mean (n + 1) / 2 */
    double m = 0.5 * ((double)n + 1), sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        double da = ra[i] - m, db = rb[i] - m;
        sab += da * db, saa += da * da, sbb += db * db;
    }
    free(ra), free(rb);
    if (saa == 0 || sbb == 0) return NAN; /* a constant map */
    double rho = sab / sqrt(saa * sbb);
    return fmax(-1.0, fmin(1.0, rho));
}

double ph_percentile(const float *x, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 100)) return NAN;
    ranked *r = ranked_sorted(x, n);
    double pos = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1) lo = n - 1;
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double t = pos - (double)lo, a = r[lo].v, b = r[hi].v, d = b - a;
    free(r);
    /* numpy's _lerp: from the nearer end, so t = 1 gives b exactly */
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

void ph_top_overlap(const float *a, const float *b, size_t n, double top_percent, double *dice,
                    double *iou)
{
    double ta = ph_percentile(a, n, 100 - top_percent), tb = ph_percentile(b, n, 100 - top_percent);
    size_t na = 0, nb = 0, both = 0, any = 0;
    for (size_t i = 0; i < n; i++) {
        int ia = a[i] > ta, ib = b[i] > tb;
        na += ia, nb += ib, both += ia && ib, any += ia || ib;
    }
    /* the package's EPSILON = 1e-9 in both denominators */
    if (dice) *dice = 2.0 * (double)both / ((double)(na + nb) + 1e-9);
    if (iou) *iou = (double)both / ((double)any + 1e-9);
}

void ph_alignment_maps(const float *saliency, const float *human, int n, size_t hw, double *rho,
                       double *dice, double *iou)
{
    for (int b = 0; b < n; b++) {
        const float *s = saliency + (size_t)b * hw, *h = human + (size_t)b * hw;
        if (rho) rho[b] = ph_spearman(s, h, hw);
        if (dice || iou) ph_top_overlap(s, h, hw, 10.0, dice ? dice + b : NULL, iou ? iou + b : NULL);
    }
}

double ph_alignment_score(const double *rho, int n, int *undefined)
{
    double sum = 0;
    int used = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(rho[i])) sum += rho[i], used++;
    if (undefined) *undefined = n - used;
    return used ? sum / used / PH_HUMAN_SPEARMAN_CEILING : NAN;
}
