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
