/* nccl_comm.h: sums of float buffers in device memory over ranks with NCCL, each ordered
 * after the work already queued on the CUDA backend's stream.
 *
 * A communicator spans every rank that calls ph_nccl_comm_init with the same id (made by
 * one rank with ph_nccl_comm_id and passed to the others: this layer knows nothing of
 * MPI).  It uses the device that is current for the CUDA backend.  A sum runs on the
 * communicator's own stream, after an event recorded on the backend's (legacy default)
 * stream, so it overlaps the kernels queued later; ph_nccl_comm_wait makes the backend's
 * stream wait for every sum started so far.  Calls return 0, or -1 with
 * "what: cause (hint) [file:line]" in why.  A build without NCCL (kernels/nccl_comm_none.c)
 * has the same functions, which report "not built with NCCL". */
#ifndef PHASOR_NCCL_COMM_H
#define PHASOR_NCCL_COMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PH_NCCL_ID_BYTES = 128 }; /* ncclUniqueId */

typedef struct ph_nccl_comm ph_nccl_comm;

/* 1 when this process can take part (NCCL built in, a CUDA device usable); else 0 with
 * the reason in why.  Every rank asks before any rank makes an id or initialises. */
int ph_nccl_comm_usable(char *why, size_t n);
/* On one rank: the id of a new communicator (ncclGetUniqueId). */
int ph_nccl_comm_id(unsigned char id[PH_NCCL_ID_BYTES], char *why, size_t n);
/* Collective over the ranks that share id: the communicator, or NULL with the reason
 * (not built with NCCL, no GPU, NCCL's initialisation failed). */
ph_nccl_comm *ph_nccl_comm_init(const unsigned char id[PH_NCCL_ID_BYTES], int ranks, int rank, char *why, size_t n);
/* Starts buf[0, count) += the same slice of every other rank, in place, once the work
 * queued so far on the backend's stream has run. */
int ph_nccl_comm_start(ph_nccl_comm *c, float *buf, size_t count, char *why, size_t n);
/* The backend's stream waits (on the device) for the sums started so far. */
int ph_nccl_comm_wait(ph_nccl_comm *c, char *why, size_t n);
/* Collective: every rank of the communicator frees it, after its sums; NULL is allowed. */
void ph_nccl_comm_free(ph_nccl_comm *c);
/* This rank alone lets go of it (when another rank failed to make its own); NULL is allowed. */
void ph_nccl_comm_abort(ph_nccl_comm *c);

#ifdef __cplusplus
}
#endif

#endif
