/* grad_exchange_path.c: which way the gradient exchange sums (grad_exchange.h), the same
 * on every rank: a path one rank cannot take is taken by none. */
#include "grad_exchange.h"

#include "core/error.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#if defined(OPEN_MPI) && OPEN_MPI
#include <mpi-ext.h> /* MPIX_Query_cuda_support, where Open MPI has its CUDA extension */
#endif

#define PATH_WHAT "choosing how to sum gradients over ranks"
#define PATH_HINT "another rank failed; see its message"

const char *const ph_exchange_path_text[PH_EXCHANGE_COUNT] = {
    [PH_EXCHANGE_NONE] = "not at all (one rank)",
    [PH_EXCHANGE_CPU] = "by MPI in place in host memory",
    [PH_EXCHANGE_NCCL] = "by NCCL on the GPU",
    [PH_EXCHANGE_MPI_DEVICE] = "by CUDA-aware MPI on the GPU",
    [PH_EXCHANGE_HOST] = "by MPI through a host buffer",
};

enum { REASON = 512 };

/* 1 when ok on every rank of comm; else 0, and why becomes the reason of the lowest failing
 * rank on every rank ("rank R: ..." when that is not rank 0, which prints it). */
static int ranks_agree(MPI_Comm comm, int ok, char *why, size_t n)
{
    int rank, first;
    PH_CHECK_MPI(MPI_Comm_rank(comm, &rank), PATH_WHAT, PATH_HINT);
    first = ok ? INT_MAX : rank;
    PH_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm), PATH_WHAT, PATH_HINT);
    if (first == INT_MAX) return 1;
    char reason[REASON];
    snprintf(reason, sizeof reason, "%s", why);
    PH_CHECK_MPI(MPI_Bcast(reason, sizeof reason, MPI_CHAR, first, comm), PATH_WHAT, PATH_HINT);
    if (first) snprintf(why, n, "rank %d: %s", first, reason);
    else snprintf(why, n, "%s", reason);
    return 0;
}

/* A communicator over comm's ranks, or NULL with the reason.  Every rank must be able to
 * take part before rank 0 makes the id, and every rank must have made its part before any
 * uses it. */
static ph_nccl_comm *path_nccl(MPI_Comm comm, char *why, size_t n)
{
    int rank, ranks;
    PH_CHECK_MPI(MPI_Comm_rank(comm, &rank), PATH_WHAT, PATH_HINT);
    PH_CHECK_MPI(MPI_Comm_size(comm, &ranks), PATH_WHAT, PATH_HINT);
    unsigned char id[PH_NCCL_ID_BYTES] = {0};
    if (!ranks_agree(comm, ph_nccl_comm_usable(why, n), why, n)) return NULL;
    if (!ranks_agree(comm, rank != 0 || ph_nccl_comm_id(id, why, n) == 0, why, n)) return NULL;
    PH_CHECK_MPI(MPI_Bcast(id, sizeof id, MPI_BYTE, 0, comm), PATH_WHAT, PATH_HINT);
    ph_nccl_comm *c = ph_nccl_comm_init(id, ranks, rank, why, n);
    if (ranks_agree(comm, c != NULL, why, n)) return c;
    ph_nccl_comm_abort(c);
    return NULL;
}

/* 1 when MPI may be given device memory on every rank; else 0 with the reason. */
static int path_mpi_device(MPI_Comm comm, char *why, size_t n)
{
    int ok = 0;
#if defined(MPIX_CUDA_AWARE_SUPPORT)
    ok = MPIX_Query_cuda_support() == 1; /* at run time: the library may be built with it and run without */
    if (!ok) snprintf(why, n, "Open MPI reports no CUDA support (MPIX_Query_cuda_support)");
#else
    snprintf(why, n, "this MPI cannot say whether it takes device memory (no MPIX_Query_cuda_support)");
#endif
    return ranks_agree(comm, ok, why, n);
}

ph_exchange_path ph_grad_exchange_path_choose(const ph_backend *be, int arena, MPI_Comm comm, ph_exchange_path fastest,
                                              ph_nccl_comm **nccl, char *why, size_t n)
{
    *nccl = NULL;
    snprintf(why, n, "%s", "");
    if (be == &ph_backend_cpu) return arena ? PH_EXCHANGE_CPU : PH_EXCHANGE_HOST;
    if (!arena) return snprintf(why, n, "the gradients are not in one arena"), PH_EXCHANGE_HOST;
    char nccl_why[REASON] = "left out", mpi_why[REASON] = "left out";
    if (fastest <= PH_EXCHANGE_NCCL && (*nccl = path_nccl(comm, nccl_why, sizeof nccl_why))) return PH_EXCHANGE_NCCL;
    if (fastest <= PH_EXCHANGE_MPI_DEVICE && path_mpi_device(comm, mpi_why, sizeof mpi_why)) {
        snprintf(why, n, "not NCCL: %s", nccl_why);
        return PH_EXCHANGE_MPI_DEVICE;
    }
    snprintf(why, n, "not NCCL: %s; not CUDA-aware MPI: %s", nccl_why, mpi_why);
    return PH_EXCHANGE_HOST;
}
