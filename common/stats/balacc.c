/* balacc.c: balanced accuracy and its stratified, paired bootstrap (balacc.h). */
#include "balacc.h"

#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ph_balacc(const int32_t *label, const int *hit, int64_t n)
{
    int64_t cnt[2] = {0, 0}, ok[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        const int c = label[i] != 0;
        cnt[c]++, ok[c] += hit[i] != 0;
    }
    if (!cnt[0] || !cnt[1]) return NAN;
    return 0.5 * ((double)ok[0] / (double)cnt[0] + (double)ok[1] / (double)cnt[1]);
}

uint32_t ph_balacc_name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 16777619u;
    return h;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q of sorted v[0..n-1], linear between order statistics (R's type 7). */
static double quantile(const double *v, int n, double q)
{
    const double h = (n - 1) * q;
    const int i = (int)floor(h);
    return i + 1 < n ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[n - 1];
}

static int labels_equal(const ph_balacc_term *a, const ph_balacc_term *b)
{
    return a->n == b->n && (a->label == b->label || !memcmp(a->label, b->label, (size_t)a->n * sizeof *a->label));
}

double ph_balacc_bootstrap(const ph_balacc_term *terms, int k, int reps, double level, uint32_t seed, uint32_t sub,
                           double *lo, double *hi)
{
    *lo = *hi = NAN;
    double stat = 0;
    for (int j = 0; j < k; j++) stat += terms[j].weight * ph_balacc(terms[j].label, terms[j].hit, terms[j].n);
    if (isnan(stat) || reps < 2) return stat;

    /* group[j]: the first term with the same labels; its index lists per class serve all of them. */
    int *group = malloc((size_t)k * sizeof *group);
    int64_t **idx = calloc((size_t)k * 2, sizeof *idx), *cnt = calloc((size_t)k * 2, sizeof *cnt);
    int64_t *draw = NULL;
    double *val = malloc((size_t)reps * sizeof *val);
    PH_CHECK_ALLOC(group && idx && cnt && val, "allocating the bootstrap");
    int64_t nmax = 1;
    for (int j = 0; j < k; j++) {
        group[j] = j;
        for (int g = 0; g < j; g++)
            if (group[g] == g && labels_equal(&terms[g], &terms[j])) {
                group[j] = g;
                break;
            }
        if (group[j] != j) continue;
        nmax = terms[j].n > nmax ? terms[j].n : nmax;
        for (int c = 0; c < 2; c++) {
            idx[2 * j + c] = malloc((size_t)(terms[j].n ? terms[j].n : 1) * sizeof **idx);
            PH_CHECK_ALLOC(idx[2 * j + c], "allocating the bootstrap");
        }
        for (int64_t i = 0; i < terms[j].n; i++) {
            const int c = terms[j].label[i] != 0;
            idx[2 * j + c][cnt[2 * j + c]++] = i;
        }
        if (cnt[2 * j] > UINT32_MAX || cnt[2 * j + 1] > UINT32_MAX)
            PH_FAIL("bootstrapping a balanced accuracy", "more than 2^32 samples of one class", "use fewer samples");
    }
    draw = malloc((size_t)k * (size_t)nmax * sizeof *draw);
    PH_CHECK_ALLOC(draw, "allocating the bootstrap");
    for (int r = 0; r < reps; r++) {
        /* One generator per replicate: groups draw in term order, positives after negatives. */
        ph_rng rng;
        ph_rng_init(&rng, seed, PH_STREAM_BOOTSTRAP, (uint64_t)r, sub);
        double v = 0;
        for (int j = 0; j < k; j++) {
            const int g = group[j];
            int64_t *d = draw + (size_t)g * (size_t)nmax;
            if (g == j)
                for (int c = 0, at = 0; c < 2; c++)
                    for (int64_t i = 0; i < cnt[2 * g + c]; i++)
                        d[at++] = idx[2 * g + c][ph_rng_below(&rng, (uint32_t)cnt[2 * g + c])];
            int64_t ok[2] = {0, 0};
            for (int c = 0, at = 0; c < 2; c++)
                for (int64_t i = 0; i < cnt[2 * g + c]; i++) ok[c] += terms[j].hit[d[at++]] != 0;
            v += terms[j].weight * 0.5 * ((double)ok[0] / (double)cnt[2 * g] + (double)ok[1] / (double)cnt[2 * g + 1]);
        }
        val[r] = v;
    }
    qsort(val, (size_t)reps, sizeof *val, cmp_double);
    *lo = quantile(val, reps, (1 - level) / 2);
    *hi = quantile(val, reps, (1 + level) / 2);
    for (int j = 0; j < 2 * k; j++) free(idx[j]);
    free(idx), free(cnt), free(group), free(draw), free(val);
    return stat;
}
