/* grad_exchange.h: summing the parameter gradients over ranks, in a few large messages.
 *
 * The trainable gradients are summed in buckets of about bucket_bytes, last
 * parameter first (the order a backward pass finishes them), each with one
 * MPI_Iallreduce: the number of collectives per step is the number of buckets
 * (ResNet-50: 4 of 25 MB), not the number of tensors.  Element i is summed over
 * the same ranks in the same way whatever the bucketing or timing, up to the MPI
 * library's choice of algorithm by message size.
 *
 * When the gradients lie in one arena in host memory (ph_params_pack, the CPU
 * backend), the buckets are slices of the arena itself, and with overlap on a
 * bucket's sum starts during the backward pass, as soon as every parameter in it
 * has received all its additions (ph_param_grad_added).  How many additions
 * each parameter receives in a step (one for a layer, one per time step for a
 * recurrence) is counted in the first step, which waits for the whole backward
 * pass; a later step that adds to a parameter more often than that fails rather
 * than sum a gradient still changing.  The exchange has its own communicator,
 * so the buckets may interleave with batch-norm reductions in the passes.
 * Otherwise (a GPU backend) the gradients are packed into a host buffer after
 * the backward pass, and each bucket starts as soon as it is packed. */
#ifndef PHASOR_GRAD_EXCHANGE_H
#define PHASOR_GRAD_EXCHANGE_H

#include "nn.h"

#include <mpi.h>

typedef struct {
    ph_grad_hook hook; /* the params' hook (overlap) */
    MPI_Comm comm;     /* a duplicate of the caller's */
    int ranks;
    float *host;      /* every trainable gradient, packed */
    float *direct;    /* instead of host: the gradients' arena in host memory, summed in place */
    size_t total;     /* floats in host or the arena */
    int tensors;      /* trainable tensors */
    size_t bucket;    /* floats per bucket (the last may be shorter) */
    int nbuckets;
    MPI_Request *req;
    long long collectives; /* started so far */
    long long early;       /* of which during a backward pass (overlap) */
    /* overlap: buckets start during the backward pass (direct only) */
    int overlap, active, learned;
    ph_param *const *params;
    int np;
    int *expect, *seen;  /* additions per step, per parameter index: counted in the first step, and so far */
    int *order, norder;  /* trainable parameters by arena offset */
    size_t *offset;      /* arena offset of each parameter index, floats */
    int next;            /* order[next] is the first parameter whose gradient is not final */
    int started;         /* buckets started this step */
    double exposed_seconds; /* spent in ph_grad_exchange_run, waiting for the sums after backward */
    long long steps;
} ph_grad_exchange;

/* overlap: start buckets during the backward pass where the arena allows it (see above). */
void ph_grad_exchange_init(ph_grad_exchange *x, ph_param *const *params, int np, MPI_Comm comm,
                           double bucket_bytes, int overlap);
/* Before a backward pass whose gradients ph_grad_exchange_run will sum, after ph_params_zero_grad:
 * from here on the additions are counted, and buckets start as they complete. */
void ph_grad_exchange_begin(ph_grad_exchange *x);
/* Every trainable gradient becomes its sum over the ranks (nothing to do on one rank). */
void ph_grad_exchange_run(ph_grad_exchange *x);
void ph_grad_exchange_free(ph_grad_exchange *x);

#endif
