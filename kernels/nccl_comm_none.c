/* nccl_comm_none.c: kernels/nccl_comm.h in a build without NCCL (the Makefile found no
 * nccl.h and libnccl, or CUDA=0): no process can take part, and says why. */
#include "nccl_comm.h"

#include <stdio.h>

static const char none[] = "not built with NCCL (rebuild with nccl.h and libnccl under CUDA_HOME or NCCL_HOME)";

int ph_nccl_comm_usable(char *why, size_t n) { return snprintf(why, n, "%s", none), 0; }

int ph_nccl_comm_id(unsigned char id[PH_NCCL_ID_BYTES], char *why, size_t n)
{
    (void)id;
    return snprintf(why, n, "%s", none), -1;
}

ph_nccl_comm *ph_nccl_comm_init(const unsigned char id[PH_NCCL_ID_BYTES], int ranks, int rank, char *why, size_t n)
{
    (void)id, (void)ranks, (void)rank;
    return snprintf(why, n, "%s", none), NULL;
}

/* No communicator exists to call these with. */
int ph_nccl_comm_start(ph_nccl_comm *c, float *buf, size_t count, char *why, size_t n)
{
    (void)c, (void)buf, (void)count;
    return snprintf(why, n, "%s", none), -1;
}

int ph_nccl_comm_wait(ph_nccl_comm *c, char *why, size_t n)
{
    (void)c;
    return snprintf(why, n, "%s", none), -1;
}

void ph_nccl_comm_free(ph_nccl_comm *c) { (void)c; }

void ph_nccl_comm_abort(ph_nccl_comm *c) { (void)c; }
