/* grad_exchange.c: bucketed, non-blocking sums of the gradients over ranks (the path they take:
 * grad_exchange_path.c). */
#include "grad_exchange.h"

#include "core/error.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define EXCHANGE_WHAT "summing gradients over ranks"
#define EXCHANGE_HINT "another rank failed; see its message"
/* NCCL's reasons carry their own hint, as the kernels' do */
#define EXCHANGE_NCCL_HINT "see the reason; --device cpu avoids GPU issues"

static void exchange_added(ph_grad_hook *h, int id);

/* Orders the trainable parameters by their offset in the arena (insertion sort: a few hundred). */
static void exchange_order_init(ph_grad_exchange *x)
{
    x->expect = calloc((size_t)x->np, sizeof *x->expect), x->seen = calloc((size_t)x->np, sizeof *x->seen);
    x->order = malloc((size_t)x->np * sizeof *x->order), x->offset = malloc((size_t)x->np * sizeof *x->offset);
    PH_CHECK_ALLOC(x->expect && x->seen && x->order && x->offset ? x : NULL, "allocating the gradient exchange");
    for (int i = 0; i < x->np; i++) {
        ph_param *p = x->params[i];
        if (!p->trainable) continue;
        x->offset[i] = (size_t)(p->g - x->arena);
        int k = x->norder++;
        while (k > 0 && x->offset[x->order[k - 1]] > x->offset[i]) x->order[k] = x->order[k - 1], k--;
        x->order[k] = i;
        p->hook = &x->hook, p->hook_id = i;
    }
}

void ph_grad_exchange_init(ph_grad_exchange *x, ph_param *const *params, int np, MPI_Comm comm,
                           double bucket_bytes, int overlap, ph_exchange_path fastest)
{
    memset(x, 0, sizeof *x);
    x->hook.added = exchange_added;
    x->params = params, x->np = np;
    MPI_Comm_size(comm, &x->ranks);
    int top = -1;
    for (int i = 0; i < np; i++)
        if (params[i]->trainable) x->total += params[i]->count, x->tensors++, top = i;
    size_t run = 0;
    const size_t packed = x->total;
    x->parameters = packed;
    x->be = top >= 0 ? params[top]->be : &ph_backend_cpu;
    if (top >= 0 && ph_params_run(params, top, 0, &run) < 0)
        x->arena = params[top]->g, x->total = run; /* one arena: sum it where it lies */
    size_t b = (size_t)(bucket_bytes / sizeof(float));
    /* MPI counts are ints */
    x->bucket = b < 1 ? 1 : b > (size_t)1 << 30 ? (size_t)1 << 30 : b;
    x->nbuckets = x->total ? (int)((x->total + x->bucket - 1) / x->bucket) : 0;
    x->comm = MPI_COMM_NULL;
    if (x->ranks == 1) return;
    PH_CHECK_MPI(MPI_Comm_dup(comm, &x->comm), "setting up the gradient exchange", EXCHANGE_HINT);
    x->path = ph_grad_exchange_path_choose(x->be, x->arena != NULL, x->comm, fastest, &x->nccl, x->why,
                                           sizeof x->why);
    if (x->path == PH_EXCHANGE_HOST) { /* the tensors packed without the arena's padding */
        x->arena = NULL, x->total = packed;
        x->nbuckets = x->total ? (int)((x->total + x->bucket - 1) / x->bucket) : 0;
        const size_t bytes = (x->total ? x->total : 1) * sizeof *x->host;
        x->host = x->be == &ph_backend_cuda ? ph_cuda_host_alloc(bytes) : NULL; /* copied to directly */
        x->pinned = x->host != NULL;
        if (!x->host) x->host = malloc(bytes);
    }
    x->req = malloc((size_t)(x->nbuckets ? x->nbuckets : 1) * sizeof *x->req);
    PH_CHECK_ALLOC(x->arena || x->host ? x->req : NULL, "allocating the gradient exchange buffer");
    x->overlap = overlap && x->arena;
    if (x->overlap) exchange_order_init(x);
}

/* Starts the sum of bucket k. */
static void bucket_start(ph_grad_exchange *x, int k)
{
    const size_t at = (size_t)k * x->bucket, n = x->total - at < x->bucket ? x->total - at : x->bucket;
    float *base = x->arena ? x->arena : x->host;
    x->collectives++;
    if (x->path == PH_EXCHANGE_NCCL) { /* ordered on the device after the kernels that wrote the slice */
        char why[512];
        if (ph_nccl_comm_start(x->nccl, base + at, n, why, sizeof why)) PH_FAIL(EXCHANGE_WHAT, why, EXCHANGE_NCCL_HINT);
        return;
    }
    if (x->path == PH_EXCHANGE_MPI_DEVICE) ph_dev_wait(x->be, base + at); /* MPI reads the slice now */
    PH_CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, base + at, (int)n, MPI_FLOAT, MPI_SUM, x->comm, &x->req[k]),
                 EXCHANGE_WHAT, EXCHANGE_HINT);
}

/* Lets the library progress the sums already started (Open MPI's progress only runs inside calls). */
static void buckets_progress(ph_grad_exchange *x)
{
    int done;
    if (x->started && x->path != PH_EXCHANGE_NCCL) /* NCCL's sums progress on the device */
        PH_CHECK_MPI(MPI_Testall(x->started, x->req, &done, MPI_STATUSES_IGNORE), EXCHANGE_WHAT, EXCHANGE_HINT);
}

/* Starts every bucket whose parameters are all final. */
static void buckets_start_ready(ph_grad_exchange *x)
{
    while (x->next < x->norder && x->seen[x->order[x->next]] == x->expect[x->order[x->next]]) x->next++;
    const size_t ready = x->next < x->norder ? x->offset[x->order[x->next]] : x->total;
    while (x->started < x->nbuckets) {
        const size_t end = (size_t)(x->started + 1) * x->bucket;
        if ((end < x->total ? end : x->total) > ready) break;
        bucket_start(x, x->started++);
        x->early++;
    }
}

static void exchange_added(ph_grad_hook *h, int id)
{
    ph_grad_exchange *x = (ph_grad_exchange *)((char *)h - offsetof(ph_grad_exchange, hook));
    if (!x->active) return;
    x->seen[id]++;
    if (!x->learned) return;
    if (x->seen[id] > x->expect[id])
        PH_FAIL(EXCHANGE_WHAT, "a parameter's gradient was added to more often than in the first step",
                "set train.overlap = off for this model");
    if (x->seen[id] == x->expect[id]) buckets_start_ready(x);
    buckets_progress(x);
}

void ph_grad_exchange_begin(ph_grad_exchange *x)
{
    if (!x->overlap) return;
    memset(x->seen, 0, (size_t)x->np * sizeof *x->seen);
    x->next = 0, x->started = 0, x->active = 1;
    if (x->learned) buckets_start_ready(x); /* parameters no backward pass adds to */
}

void ph_grad_exchange_run(ph_grad_exchange *x)
{
    if (x->ranks == 1 || !x->total) return;
    const double t0 = MPI_Wtime();
    if (x->arena) { /* the arena is the buffer: start the buckets not started yet, then wait */
        if (x->active && !x->learned) memcpy(x->expect, x->seen, (size_t)x->np * sizeof *x->expect), x->learned = 1;
        x->active = 0;
        while (x->started < x->nbuckets) bucket_start(x, x->started++);
        x->started = 0;
        char why[512];
        if (x->path != PH_EXCHANGE_NCCL)
            PH_CHECK_MPI(MPI_Waitall(x->nbuckets, x->req, MPI_STATUSES_IGNORE), EXCHANGE_WHAT, EXCHANGE_HINT);
        else if (ph_nccl_comm_wait(x->nccl, why, sizeof why)) /* the device waits, before the optimiser */
            PH_FAIL(EXCHANGE_WHAT, why, EXCHANGE_NCCL_HINT);
        x->exposed_seconds += MPI_Wtime() - t0, x->steps++;
        return;
    }
    ph_param *const *params = x->params;
    size_t at = 0;
    for (int i = x->np - 1; i >= 0; i--) { /* the last layers' gradients are ready first */
        if (!params[i]->trainable) continue;
        ph_dev_download(params[i]->be, x->host + at, params[i]->g, params[i]->count);
        at += params[i]->count;
        while (x->started < x->nbuckets && ((size_t)x->started + 1) * x->bucket <= at) bucket_start(x, x->started++);
        buckets_progress(x);
    }
    while (x->started < x->nbuckets) bucket_start(x, x->started++);
    x->started = 0;
    PH_CHECK_MPI(MPI_Waitall(x->nbuckets, x->req, MPI_STATUSES_IGNORE), EXCHANGE_WHAT, EXCHANGE_HINT);
    at = 0;
    for (int i = x->np - 1; i >= 0; i--) {
        if (!params[i]->trainable) continue;
        ph_dev_upload(params[i]->be, params[i]->g, x->host + at, params[i]->count);
        at += params[i]->count;
    }
    x->exposed_seconds += MPI_Wtime() - t0, x->steps++;
}

void ph_grad_exchange_free(ph_grad_exchange *x)
{
    for (int i = 0; x->offset && i < x->np; i++)
        if (x->params[i]->hook == &x->hook) x->params[i]->hook = NULL;
    ph_nccl_comm_free(x->nccl);
    if (x->comm != MPI_COMM_NULL) MPI_Comm_free(&x->comm);
    if (x->pinned) ph_cuda_host_free(x->host);
    else free(x->host);
    free(x->req), free(x->expect), free(x->seen), free(x->order), free(x->offset);
    memset(x, 0, sizeof *x);
}
