// nccl_comm.cu: sums of device buffers over ranks with NCCL (kernels/nccl_comm.h).
// Compiled only where the Makefile found nccl.h and libnccl (PHASOR_NCCL=1).
#include "../kernels.h"
#include "../nccl_comm.h"

#include <cuda_runtime.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static_assert(sizeof(ncclUniqueId) == PH_NCCL_ID_BYTES, "ncclUniqueId changed size");

#define HINT_GPU "the GPU may be out of memory or unavailable: see nvidia-smi"
#define HINT_KERNEL "an earlier kernel may have failed; PHASOR_CUDA_SYNC=1 reports it where it happens"
#define HINT_NCCL "NCCL_DEBUG=WARN prints NCCL's own reason"
#define HINT_INIT HINT_NCCL "; each rank needs its own GPU (CUDA_VISIBLE_DEVICES, srun --gpus-per-task=1)"
#define HINT_SUM "another rank may have failed; " HINT_NCCL

// CUDA and NCCL calls: -1 with "what: cause (hint) [file:line]" in why.
#define COMM_CUDA_TRY(call, what, hint)                                                    \
    do {                                                                                   \
        cudaError_t e_ = (call);                                                           \
        if (e_ != cudaSuccess) {                                                           \
            cudaGetLastError(); /* a sticky error stays with the call that caused it */   \
            snprintf(why, n, "%s: %s (%s) [%s:%d]", (what), cudaGetErrorString(e_), (hint), \
                     __FILE__, __LINE__);                                                  \
            return -1;                                                                     \
        }                                                                                  \
    } while (0)

// NCCL's last error (of comm, or of the process for NULL) is more specific than its code's string.
#define COMM_NCCL_TRY(call, comm, what, hint)                                                   \
    do {                                                                                        \
        ncclResult_t r_ = (call);                                                               \
        if (r_ != ncclSuccess) {                                                                \
            const char *last_ = ncclGetLastError(comm);                                         \
            snprintf(why, n, "%s: %s%s%s (%s) [%s:%d]", (what), ncclGetErrorString(r_),         \
                     last_ && *last_ ? ": " : "", last_ ? last_ : "", (hint), __FILE__, __LINE__); \
            return -1;                                                                          \
        }                                                                                       \
    } while (0)

struct ph_nccl_comm {
    ncclComm_t comm;
    cudaStream_t stream;     // non-blocking: no implicit ordering with the backend's stream
    cudaEvent_t ready, done; // backend's stream -> NCCL stream, and back
};

// Every op of the CUDA backend runs on the default stream (kernel launches without one).
static const cudaStream_t backend_stream = 0;

extern "C" int ph_nccl_comm_usable(char *why, size_t n)
{
    if (ph_cuda_device_count(why, n) == 0) return 0;
    int device;
    cudaError_t e = cudaGetDevice(&device);
    if (e != cudaSuccess) {
        cudaGetLastError();
        return snprintf(why, n, "no current CUDA device: %s", cudaGetErrorString(e)), 0;
    }
    return 1;
}

extern "C" int ph_nccl_comm_id(unsigned char id[PH_NCCL_ID_BYTES], char *why, size_t n)
{
    ncclUniqueId u;
    COMM_NCCL_TRY(ncclGetUniqueId(&u), nullptr, "making the NCCL communicator's id",
                  HINT_NCCL "; NCCL_SOCKET_IFNAME chooses its network interface");
    memcpy(id, &u, sizeof u);
    return 0;
}

// The communicator first: a rank that fails in it makes the others fail there too (NCCL's
// bootstrap), whereas a rank failing before it would leave them waiting in it.
static int comm_setup(ph_nccl_comm *c, const unsigned char *id, int ranks, int rank, char *why,
                      size_t n)
{
    int device;
    COMM_CUDA_TRY(cudaGetDevice(&device), "finding the CUDA device", HINT_GPU);
    ncclUniqueId u;
    memcpy(&u, id, sizeof u);
    COMM_NCCL_TRY(ncclCommInitRank(&c->comm, ranks, u, rank), nullptr,
                  "initialising the NCCL communicator", HINT_INIT);
    COMM_CUDA_TRY(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking),
                  "creating the NCCL stream", HINT_GPU);
    COMM_CUDA_TRY(cudaEventCreateWithFlags(&c->ready, cudaEventDisableTiming),
                  "creating a CUDA event", HINT_GPU);
    COMM_CUDA_TRY(cudaEventCreateWithFlags(&c->done, cudaEventDisableTiming),
                  "creating a CUDA event", HINT_GPU);
    return 0;
}

extern "C" ph_nccl_comm *ph_nccl_comm_init(const unsigned char id[PH_NCCL_ID_BYTES], int ranks,
                                           int rank, char *why, size_t n)
{
    ph_nccl_comm *c = (ph_nccl_comm *)calloc(1, sizeof *c);
    if (!c) return snprintf(why, n, "allocating the NCCL communicator: out of memory"), nullptr;
    if (comm_setup(c, id, ranks, rank, why, n) == 0) return c;
    ph_nccl_comm_abort(c);
    return nullptr;
}

extern "C" int ph_nccl_comm_start(ph_nccl_comm *c, float *buf, size_t count, char *why, size_t n)
{
    // One event serves every start: a stream waits for its latest record when told to.
    COMM_CUDA_TRY(cudaEventRecord(c->ready, backend_stream), "marking the gradients ready",
                  HINT_KERNEL);
    COMM_CUDA_TRY(cudaStreamWaitEvent(c->stream, c->ready, 0), "ordering the sum after them",
                  HINT_KERNEL);
    COMM_NCCL_TRY(ncclAllReduce(buf, buf, count, ncclFloat, ncclSum, c->comm, c->stream), c->comm,
                  "starting a sum with NCCL", HINT_SUM);
    return 0;
}

extern "C" int ph_nccl_comm_wait(ph_nccl_comm *c, char *why, size_t n)
{
    ncclResult_t async;
    COMM_NCCL_TRY(ncclCommGetAsyncError(c->comm, &async), c->comm, "asking NCCL for errors",
                  HINT_NCCL);
    COMM_NCCL_TRY(async, c->comm, "a sum with NCCL", HINT_SUM);
    COMM_CUDA_TRY(cudaEventRecord(c->done, c->stream), "marking the sums queued", HINT_SUM);
    COMM_CUDA_TRY(cudaStreamWaitEvent(backend_stream, c->done, 0), "ordering the optimiser after them",
                  HINT_SUM);
    return 0;
}

// Releasing: a failure here has nothing left to protect (as cudaFree in backend.cu).
static void comm_release(ph_nccl_comm *c)
{
    if (c->done) (void)cudaEventDestroy(c->done);
    if (c->ready) (void)cudaEventDestroy(c->ready);
    if (c->stream) (void)cudaStreamDestroy(c->stream);
    free(c);
}

extern "C" void ph_nccl_comm_free(ph_nccl_comm *c)
{
    if (!c) return;
    if (c->stream) (void)cudaStreamSynchronize(c->stream);
    if (c->comm) (void)ncclCommDestroy(c->comm); // finalises: every rank calls it
    comm_release(c);
}

extern "C" void ph_nccl_comm_abort(ph_nccl_comm *c)
{
    if (!c) return;
    if (c->comm) (void)ncclCommAbort(c->comm); // this rank alone
    comm_release(c);
}
