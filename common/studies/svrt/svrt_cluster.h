/* svrt_cluster.h: agglomerative Ward clustering and the adjusted Rand index,
 * for the SVRT task taxonomy (svrt_report.c).
 *
 * Ward linkage on Euclidean distances, by the Lance-Williams update on squared
 * distances; merge heights are in the usual (scipy) scale: two single points
 * merge at their distance, clusters A and B at
 * sqrt(2 |A| |B| / (|A| + |B|)) * |mean(A) - mean(B)|. */
#ifndef PHASOR_SVRT_CLUSTER_H
#define PHASOR_SVRT_CLUSTER_H

/* Merge k joins clusters a and b (ids: 0..n-1 the points, n + j the cluster made
 * by merge j) at `height` into a cluster of `size` points. */
typedef struct {
    int a, b;
    double height;
    int size;
} svrt_merge;

/* n points of d coordinates, row-major; writes n - 1 merges.  Among equal
 * distances the pair met first (lowest a, then lowest b) merges first. */
void svrt_ward(const double *x, int n, int d, svrt_merge *merges);

/* Leaf order of the dendrogram: the points left to right (order[n]). */
void svrt_dendrogram_order(const svrt_merge *merges, int n, int *order);

/* Cut into k clusters (1 <= k <= n) by undoing the last k - 1 merges; labels
 * are 0..k-1, numbered in the order of each cluster's first point. */
void svrt_cut(const svrt_merge *merges, int n, int k, int *labels);

/* Adjusted Rand index (Hubert and Arabie 1985) of two labellings of n items
 * (labels 0..max); 1 for identical partitions, about 0 for independent ones.
 * Where it is undefined (both partitions trivial alike) it is 1. */
double svrt_ari(const int *a, const int *b, int n);

#endif
