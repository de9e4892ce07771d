/* grad_exchange.h: summing the parameter gradients over ranks, in a few large messages.
 *
 * The trainable gradients are packed, last parameter first (the order a
 * backward pass finishes them), into one host buffer cut into buckets of
 * about bucket_bytes; each bucket's MPI_Iallreduce starts as soon as it is
 * packed, so the copies of the later parameters overlap the sums of the
 * earlier buckets.  The number of collectives per step is the number of
 * buckets (ResNet-50: 4 of 25 MB), not the number of tensors.  Element i is
 * summed over the same ranks in the same way whatever the bucketing, up to the
 * MPI library's choice of algorithm by message size.  When the gradients lie in
 * one arena in host memory (ph_params_pack, the CPU backend), the buckets are
 * slices of the arena itself: no copies. */
#ifndef PHASOR_GRAD_EXCHANGE_H
#define PHASOR_GRAD_EXCHANGE_H

#include "nn.h"

#include <mpi.h>

typedef struct {
    MPI_Comm comm;
    int ranks;
    float *host;      /* every trainable gradient, packed */
    float *direct;    /* instead of host: the gradients' arena in host memory, summed in place */
    size_t total;     /* floats in host: the trainable parameters */
    int tensors;      /* trainable tensors */
    size_t bucket;    /* floats per bucket (the last may be shorter) */
    int nbuckets;
    MPI_Request *req;
    long long collectives; /* started so far */
} ph_grad_exchange;

void ph_grad_exchange_init(ph_grad_exchange *x, ph_param *const *params, int np, MPI_Comm comm,
                           double bucket_bytes);
/* Every trainable gradient becomes its sum over the ranks of comm (nothing to do on one rank). */
void ph_grad_exchange_run(ph_grad_exchange *x, ph_param *const *params, int np);
void ph_grad_exchange_free(ph_grad_exchange *x);

#endif
