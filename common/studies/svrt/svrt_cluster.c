/* svrt_cluster.c: Ward linkage, dendrogram order, cuts and the adjusted Rand
 * index (svrt_cluster.h).  O(n^3) time, which is nothing for 23 problems. */
#include "svrt_cluster.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void svrt_ward(const double *x, int n, int d, svrt_merge *merges)
{
    double *d2 = malloc((size_t)n * (size_t)n * sizeof *d2);
    int *id = malloc((size_t)n * sizeof *id), *size = malloc((size_t)n * sizeof *size);
    char *alive = malloc((size_t)n);
    PH_CHECK_ALLOC(d2 && id && size && alive, "allocating the Ward linkage");
    for (int i = 0; i < n; i++) {
        id[i] = i, size[i] = 1, alive[i] = 1;
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                double t = x[(size_t)i * d + k] - x[(size_t)j * d + k];
                s += t * t;
            }
            d2[(size_t)i * n + j] = s;
        }
    }
    for (int m = 0; m < n - 1; m++) {
        int bi = -1, bj = -1;
        double best = INFINITY;
        for (int i = 0; i < n; i++) {
            if (!alive[i]) continue;
            for (int j = i + 1; j < n; j++)
                if (alive[j] && d2[(size_t)i * n + j] < best) best = d2[(size_t)i * n + j], bi = i, bj = j;
        }
        const double ni = size[bi], nj = size[bj], dij = d2[(size_t)bi * n + bj];
        merges[m] = (svrt_merge){id[bi] < id[bj] ? id[bi] : id[bj], id[bi] < id[bj] ? id[bj] : id[bi],
                                 sqrt(dij > 0 ? dij : 0), size[bi] + size[bj]};
        /* Lance-Williams for Ward: the merged cluster lives on in slot bi. */
        for (int k = 0; k < n; k++) {
            if (!alive[k] || k == bi || k == bj) continue;
            const double nk = size[k];
            double v = ((ni + nk) * d2[(size_t)k * n + bi] + (nj + nk) * d2[(size_t)k * n + bj] - nk * dij) /
                       (ni + nj + nk);
            if (v < 0) v = 0; /* rounding */
            d2[(size_t)k * n + bi] = d2[(size_t)bi * n + k] = v;
        }
        alive[bj] = 0, size[bi] += size[bj], id[bi] = n + m;
    }
    free(d2), free(id), free(size), free(alive);
}

/* Left subtree first, then right, from the root down. */
static void order_walk(const svrt_merge *merges, int n, int node, int *order, int *pos)
{
    if (node < n) {
        order[(*pos)++] = node;
        return;
    }
    order_walk(merges, n, merges[node - n].a, order, pos);
    order_walk(merges, n, merges[node - n].b, order, pos);
}

void svrt_dendrogram_order(const svrt_merge *merges, int n, int *order)
{
    int pos = 0;
    if (n == 1)
        order[0] = 0;
    else
        order_walk(merges, n, 2 * n - 2, order, &pos);
}

static int find_root(int *parent, int i)
{
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

void svrt_cut(const svrt_merge *merges, int n, int k, int *labels)
{
    int *parent = malloc((size_t)(2 * n) * sizeof *parent), *name = malloc((size_t)(2 * n) * sizeof *name);
    PH_CHECK_ALLOC(parent && name, "cutting the dendrogram");
    for (int i = 0; i < 2 * n; i++) parent[i] = i, name[i] = -1;
    for (int m = 0; m < n - k; m++) {
        parent[find_root(parent, merges[m].a)] = n + m;
        parent[find_root(parent, merges[m].b)] = n + m;
    }
    int next = 0;
    for (int i = 0; i < n; i++) {
        int r = find_root(parent, i);
        if (name[r] < 0) name[r] = next++;
        labels[i] = name[r];
    }
    free(parent), free(name);
}

static double pairs(double v) { return v * (v - 1) / 2; }

double svrt_ari(const int *a, const int *b, int n)
{
    int ka = 0, kb = 0;
    for (int i = 0; i < n; i++) ka = a[i] + 1 > ka ? a[i] + 1 : ka, kb = b[i] + 1 > kb ? b[i] + 1 : kb;
    double *t = calloc((size_t)ka * (size_t)kb, sizeof *t), *ra = calloc((size_t)ka, sizeof *ra),
           *cb = calloc((size_t)kb, sizeof *cb);
    PH_CHECK_ALLOC(t && ra && cb, "computing an adjusted Rand index");
    for (int i = 0; i < n; i++) t[(size_t)a[i] * kb + b[i]]++, ra[a[i]]++, cb[b[i]]++;
    double index = 0, sa = 0, sb = 0;
    for (int i = 0; i < ka * kb; i++) index += pairs(t[i]);
    for (int i = 0; i < ka; i++) sa += pairs(ra[i]);
    for (int j = 0; j < kb; j++) sb += pairs(cb[j]);
    free(t), free(ra), free(cb);
    const double expected = n > 1 ? sa * sb / pairs(n) : 0, top = (sa + sb) / 2;
    if (top == expected) return 1;
    return (index - expected) / (top - expected);
}
