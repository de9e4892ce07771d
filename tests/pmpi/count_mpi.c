/* count_mpi.c: a PMPI wrapper (LD_PRELOAD) that counts a process's reductions.
 *
 * At MPI_Finalize each rank appends one line to $PHASOR_COUNT_MPI (a file):
 *   rank R float_sums F other_reductions O float_bytes B
 * F counts MPI_Allreduce and MPI_Iallreduce calls that sum floats (in phasor,
 * only the gradient exchange does), O every other (I)allreduce (batch-norm
 * statistics, losses, agreements: doubles and ints), B the floats' bytes. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static long long float_sums, others, float_bytes;

static void count(int n, MPI_Datatype t, MPI_Op op)
{
    if (t == MPI_FLOAT && op == MPI_SUM)
        float_sums++, float_bytes += (long long)n * 4;
    else
        others++;
}

int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c)
{
    count(n, t, op);
    return PMPI_Allreduce(s, r, n, t, op, c);
}

int MPI_Iallreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request *q)
{
    count(n, t, op);
    return PMPI_Iallreduce(s, r, n, t, op, c, q);
}

int MPI_Finalize(void)
{
    const char *path = getenv("PHASOR_COUNT_MPI");
    int rank = 0;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "rank %d float_sums %lld other_reductions %lld float_bytes %lld\n", rank, float_sums, others,
                float_bytes);
        fclose(f);
    }
    return PMPI_Finalize();
}
