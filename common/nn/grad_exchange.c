/* grad_exchange.c: bucketed, non-blocking sums of the gradients over ranks. */
#include "grad_exchange.h"

#include "core/error.h"

#include <stdlib.h>
#include <string.h>

void ph_grad_exchange_init(ph_grad_exchange *x, ph_param *const *params, int np, MPI_Comm comm,
                           double bucket_bytes)
{
    memset(x, 0, sizeof *x);
    x->comm = comm;
    MPI_Comm_size(comm, &x->ranks);
    int top = -1;
    for (int i = 0; i < np; i++)
        if (params[i]->trainable) x->total += params[i]->count, x->tensors++, top = i;
    size_t run = 0;
    if (top >= 0 && params[top]->be == &ph_backend_cpu && ph_params_run(params, top, 0, &run) < 0)
        x->direct = params[top]->g, x->total = run; /* one arena: sum it where it lies */
    size_t b = (size_t)(bucket_bytes / sizeof(float));
    /* MPI counts are ints */
    x->bucket = b < 1 ? 1 : b > (size_t)1 << 30 ? (size_t)1 << 30 : b;
    x->nbuckets = x->total ? (int)((x->total + x->bucket - 1) / x->bucket) : 0;
    if (x->ranks == 1) return;
    x->host = x->direct ? NULL : malloc((x->total ? x->total : 1) * sizeof *x->host);
    x->req = malloc((size_t)(x->nbuckets ? x->nbuckets : 1) * sizeof *x->req);
    PH_CHECK_ALLOC(x->direct || x->host ? x->req : NULL, "allocating the gradient exchange buffer");
}

/* Starts the sum of bucket k. */
static void bucket_start(ph_grad_exchange *x, int k)
{
    const size_t at = (size_t)k * x->bucket, n = x->total - at < x->bucket ? x->total - at : x->bucket;
    float *base = x->direct ? x->direct : x->host;
    PH_CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, base + at, (int)n, MPI_FLOAT, MPI_SUM, x->comm, &x->req[k]),
                 "summing gradients over ranks", "another rank failed; see its message");
    x->collectives++;
}

void ph_grad_exchange_run(ph_grad_exchange *x, ph_param *const *params, int np)
{
    if (x->ranks == 1 || !x->total) return;
    if (x->direct) { /* the arena is the buffer: start every bucket, then wait */
        for (int k = 0; k < x->nbuckets; k++) bucket_start(x, k);
        PH_CHECK_MPI(MPI_Waitall(x->nbuckets, x->req, MPI_STATUSES_IGNORE), "summing gradients over ranks",
                     "another rank failed; see its message");
        return;
    }
    size_t at = 0;
    int started = 0;
    for (int i = np - 1; i >= 0; i--) { /* the last layers' gradients are ready first */
        if (!params[i]->trainable) continue;
        ph_dev_download(params[i]->be, x->host + at, params[i]->g, params[i]->count);
        at += params[i]->count;
        while (started < x->nbuckets && ((size_t)started + 1) * x->bucket <= at) bucket_start(x, started++);
        if (started) { /* lets the library progress the sums already started */
            int done;
            PH_CHECK_MPI(MPI_Testall(started, x->req, &done, MPI_STATUSES_IGNORE), "summing gradients over ranks",
                         "another rank failed; see its message");
        }
    }
    while (started < x->nbuckets) bucket_start(x, started++);
    PH_CHECK_MPI(MPI_Waitall(x->nbuckets, x->req, MPI_STATUSES_IGNORE), "summing gradients over ranks",
                 "another rank failed; see its message");
    at = 0;
    for (int i = np - 1; i >= 0; i--) {
        if (!params[i]->trainable) continue;
        ph_dev_upload(params[i]->be, params[i]->g, x->host + at, params[i]->count);
        at += params[i]->count;
    }
}

void ph_grad_exchange_free(ph_grad_exchange *x)
{
    free(x->host), free(x->req);
    memset(x, 0, sizeof *x);
}
