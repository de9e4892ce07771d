/* grad_exchange.h: summing the parameter gradients over ranks, in a few large messages.
 *
 * The trainable gradients are summed in buckets of about bucket_bytes, last
 * parameter first (the order a backward pass finishes them), each with one
 * collective (MPI_Iallreduce, or ncclAllReduce): the number of collectives per
 * step is the number of buckets (ResNet-50: 4 of 25 MB), not the number of
 * tensors.  Element i is summed over the same ranks in the same way whatever the
 * bucketing or timing, up to the library's choice of algorithm by message size.
 *
 * When the gradients lie in one arena (ph_params_pack), the buckets are slices of
 * the arena itself, summed in place, and with overlap on a bucket's sum starts
 * during the backward pass, as soon as every parameter in it has received all its
 * additions (ph_param_grad_added).  How many additions each parameter receives in
 * a step (one for a layer, one per time step for a recurrence) is counted in the
 * first step, which waits for the whole backward pass; a later step that adds to a
 * parameter more often than that fails rather than sum a gradient still changing.
 * The exchange has its own communicator, so the buckets may interleave with
 * batch-norm reductions in the passes.
 *
 * How the sums are made (ph_exchange_path), chosen once by every rank alike:
 *   CPU backend, arena: MPI_Iallreduce on the arena in host memory;
 *   CUDA backend, arena: NCCL on the arena in device memory, each bucket on NCCL's
 *     stream after an event on the backend's stream, and the backend's stream waits
 *     for them before the optimiser; else, where Open MPI says it is CUDA-aware,
 *     MPI_Iallreduce on the device memory, each start after the device has run the
 *     work queued before it;
 *   otherwise: the gradients are packed into a host buffer (page-locked for the CUDA
 *     backend) after the backward pass, each bucket starts as soon as it is packed,
 *     and the sums are copied back. */
#ifndef PHASOR_GRAD_EXCHANGE_H
#define PHASOR_GRAD_EXCHANGE_H

#include "nccl_comm.h"
#include "nn.h"

#include <mpi.h>

typedef enum {
    PH_EXCHANGE_NONE,       /* one rank: nothing to sum */
    PH_EXCHANGE_CPU,        /* the arena in host memory, in place, by MPI */
    PH_EXCHANGE_NCCL,       /* the arena in device memory, in place, by NCCL */
    PH_EXCHANGE_MPI_DEVICE, /* the arena in device memory, in place, by CUDA-aware MPI */
    PH_EXCHANGE_HOST,       /* a packed copy in host memory, by MPI */
    PH_EXCHANGE_COUNT
} ph_exchange_path;
/* "by NCCL on the GPU", ...: how the start-up line names each */
extern const char *const ph_exchange_path_text[PH_EXCHANGE_COUNT];

typedef struct {
    ph_grad_hook hook; /* the params' hook (overlap) */
    MPI_Comm comm;     /* a duplicate of the caller's */
    int ranks;
    ph_exchange_path path;
    char why[1200];    /* the CUDA backend: why no faster path was taken ("" when none was passed over) */
    const ph_backend *be;
    ph_nccl_comm *nccl; /* PH_EXCHANGE_NCCL */
    float *host;      /* PH_EXCHANGE_HOST: every trainable gradient, packed */
    int pinned;       /* host is page-locked (ph_cuda_host_alloc) */
    float *arena;     /* instead of host: the gradients' arena, summed in place */
    size_t total;     /* floats in host or the arena */
    size_t parameters; /* trainable floats (total also counts the arena's padding between tensors) */
    int tensors;      /* trainable tensors */
    size_t bucket;    /* floats per bucket (the last may be shorter) */
    int nbuckets;
    MPI_Request *req;
    long long collectives; /* started so far */
    long long early;       /* of which during a backward pass (overlap) */
    /* overlap: buckets start during the backward pass (arena only) */
    int overlap, active, learned;
    ph_param *const *params;
    int np;
    int *expect, *seen;  /* additions per step, per parameter index: counted in the first step, and so far */
    int *order, norder;  /* trainable parameters by arena offset */
    size_t *offset;      /* arena offset of each parameter index, floats */
    int next;            /* order[next] is the first parameter whose gradient is not final */
    int started;         /* buckets started this step */
    double exposed_seconds; /* spent in ph_grad_exchange_run, waiting for the sums after backward
                             * (NCCL: queueing the device's wait for them) */
    long long steps;
} ph_grad_exchange;

/* overlap: start buckets during the backward pass where the arena allows it (see above).
 * fastest: the first of NCCL, MPI_DEVICE and HOST that a device arena may use
 * (PH_EXCHANGE_NCCL: any; the others leave the faster paths out, for tests). */
void ph_grad_exchange_init(ph_grad_exchange *x, ph_param *const *params, int np, MPI_Comm comm,
                           double bucket_bytes, int overlap, ph_exchange_path fastest);
/* Collective over comm: how gradients on backend be, in one arena or not, are summed
 * over comm's ranks (any count, one included), from fastest on (see above).  NCCL
 * gives its communicator in *nccl.  Where a faster path was passed over, why names
 * each one's reason; otherwise why is "". */
ph_exchange_path ph_grad_exchange_path_choose(const ph_backend *be, int arena, MPI_Comm comm,
                                              ph_exchange_path fastest, ph_nccl_comm **nccl,
                                              char *why, size_t n);
/* Before a backward pass whose gradients ph_grad_exchange_run will sum, after ph_params_zero_grad:
 * from here on the additions are counted, and buckets start as they complete. */
void ph_grad_exchange_begin(ph_grad_exchange *x);
/* Every trainable gradient becomes its sum over the ranks (nothing to do on one rank). */
void ph_grad_exchange_run(ph_grad_exchange *x);
void ph_grad_exchange_free(ph_grad_exchange *x);

#endif
