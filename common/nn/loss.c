/* loss.c: binary cross-entropy on logits, in double, numerically stable. */
#include "nn.h"

#include <math.h>

double ph_bce_logits(const float *logits, const int32_t *labels, int n, float *grad, int *correct)
{
    double total = 0;
    int right = 0;
    for (int i = 0; i < n; i++) {
        double z = logits[i], y = labels[i];
        /* log(1 + e^-|z|) + max(z, 0) - z y */
        total += log1p(exp(-fabs(z))) + fmax(z, 0.0) - z * y;
        if (grad) grad[i] = (float)((1.0 / (1.0 + exp(-z)) - y) / n);
        right += (z > 0) == (labels[i] == 1);
    }
    if (correct) *correct = right;
    return total / n;
}

double ph_softmax_ce(const float *logits, const int32_t *labels, int n, int k, double eps,
                     float *grad, int *correct)
{
    double total = 0;
    int right = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * k;
        int best = 0;
        double zmax = z[0];
        for (int j = 1; j < k; j++)
            if (z[j] > zmax) zmax = z[j], best = j;
        double sum = 0;
        for (int j = 0; j < k; j++) sum += exp(z[j] - zmax);
        double log_sum = log(sum) + zmax;
        for (int j = 0; j < k; j++) {
            double target = (j == labels[i] ? 1.0 - eps : 0.0) + eps / k;
            total -= target * (z[j] - log_sum);
            if (grad) grad[(size_t)i * k + j] = (float)((exp(z[j] - log_sum) - target) / n);
        }
        right += best == labels[i];
    }
    if (correct) *correct = right;
    return total / n;
}
