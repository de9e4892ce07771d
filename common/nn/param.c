/* param.c: device buffers and trainable parameters. */
#include "nn.h"

#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float *ph_dev_alloc(const ph_backend *be, size_t count)
{
    float *p = be->alloc(count * sizeof(float));
    if (!p) PH_FAIL("allocating device memory", "out of memory", "use a smaller batch");
    return p;
}

void ph_dev_upload(const ph_backend *be, float *dst, const float *host, size_t count)
{
    PH_KERNEL(be, upload, "copying to the device", dst, host, count * sizeof(float));
}

void ph_dev_download(const ph_backend *be, float *host, const float *src, size_t count)
{
    PH_KERNEL(be, download, "copying from the device", host, src, count * sizeof(float));
}

void ph_dev_wait(const ph_backend *be, const float *dev)
{
    float probe;
    ph_dev_download(be, &probe, dev, 1);
}

float *ph_dev_zeros(const ph_backend *be, size_t count)
{
    float *host = calloc(count ? count : 1, sizeof(float));
    PH_CHECK_ALLOC(host, "allocating zeros");
    float *p = ph_dev_alloc(be, count);
    ph_dev_upload(be, p, host, count);
    free(host);
    return p;
}

static void param_grads_alloc(ph_param *p)
{
    p->trainable = 1;
    p->g = ph_dev_zeros(p->be, p->count);
    p->m = ph_dev_zeros(p->be, p->count);
    p->v = ph_dev_zeros(p->be, p->count);
    p->scratch = ph_dev_alloc(p->be, p->count);
}

void ph_param_init(ph_param *p, const ph_backend *be, size_t count, float std, uint32_t seed,
                   uint32_t id)
{
    memset(p, 0, sizeof *p);
    p->be = be;
    p->count = count;
    float *host = calloc(count ? count : 1, sizeof(float));
    PH_CHECK_ALLOC(host, "initialising parameters");
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_INIT, id, 0);
    for (size_t i = 0; std > 0 && i < count; i++) {
        /* Box-Muller; 1 - u keeps the logarithm finite. */
        double u = 1.0 - ph_rng_uniform(&r), t = ph_rng_uniform(&r);
        host[i] = (float)(std * sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * t));
    }
    p->w = ph_dev_alloc(be, count);
    ph_dev_upload(be, p->w, host, count);
    free(host);
    param_grads_alloc(p);
}

void ph_param_init_const(ph_param *p, const ph_backend *be, size_t count, float value,
                         int trainable)
{
    memset(p, 0, sizeof *p);
    p->be = be;
    p->count = count;
    p->w = ph_dev_alloc(be, count);
    PH_KERNEL(be, fill, "initialising parameters", p->w, value, count);
    if (trainable) param_grads_alloc(p);
}

void ph_param_free(ph_param *p)
{
    if (!p->be) return;
    if (!p->view) {
        p->be->free(p->w);
        if (p->trainable) p->be->free(p->g), p->be->free(p->m), p->be->free(p->v);
    }
    if (p->trainable) p->be->free(p->scratch);
    p->w = p->g = p->m = p->v = p->scratch = NULL;
}

enum { ARENA_ALIGN = 16 }; /* floats: 64 bytes, a cache line and an AVX-512 vector */

static size_t arena_round(size_t count) { return (count + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN; }

int ph_params_run(ph_param *const *params, int i, int by_decay, size_t *count)
{
    const ph_param *p = params[i];
    size_t n = p->count;
    int j = i - 1;
    for (; j >= 0; j--) {
        const ph_param *q = params[j];
        if (!q->trainable) continue; /* buffers are not in the arena */
        const size_t at = arena_round(n); /* q's offset from p if it follows in the arena */
        if (!q->view || q->be != p->be || (by_decay && q->no_decay != p->no_decay) || q->w != p->w + at ||
            q->g != p->g + at || q->m != p->m + at || q->v != p->v + at)
            break;
        n = at + q->count;
    }
    *count = n;
    return j;
}

/* Zeros the gradients (moments = 0) or the optimiser moments (moments = 1) of the trainable
 * parameters, one fill per run of tensors back to back in an arena. */
static void params_clear(ph_param *const *params, int np, int moments)
{
    size_t n;
    for (int i = np - 1; i >= 0;) {
        const ph_param *p = params[i];
        if (!p->trainable) {
            i--;
            continue;
        }
        const int next = ph_params_run(params, i, 0, &n);
        if (!moments) PH_KERNEL(p->be, fill, "clearing gradients", p->g, 0.0f, n);
        else {
            PH_KERNEL(p->be, fill, "clearing optimiser moments", p->m, 0.0f, n);
            PH_KERNEL(p->be, fill, "clearing optimiser moments", p->v, 0.0f, n);
        }
        i = next;
    }
}

void ph_params_zero_grad(ph_param *const *params, int np)
{
    params_clear(params, np, 0);
    for (int i = 0; i < np; i++) params[i]->g_clear = params[i]->trainable;
}

void ph_params_zero_moments(ph_param *const *params, int np) { params_clear(params, np, 1); }

void ph_params_freeze(ph_param *const *params, int np, int frozen)
{
    for (int i = 0; i < np; i++) params[i]->frozen = frozen;
}

/* Copies count floats of a tensor into an arena slot (through the host: backends have no
 * device-to-device copy; this runs once per model). */
static void arena_move(const ph_backend *be, float *dst, float *src, size_t count, float *host)
{
    ph_dev_download(be, host, src, count);
    ph_dev_upload(be, dst, host, count);
    be->free(src);
}

void ph_params_pack(ph_param *const *params, int np)
{
    ph_param **order = malloc((size_t)(np ? np : 1) * sizeof *order);
    PH_CHECK_ALLOC(order, "packing parameters");
    int n = 0;
    size_t total = 0, largest = 0;
    for (int i = np - 1; i >= 0; i--) { /* last parameter first, each tensor once */
        ph_param *p = params[i];
        int seen = !p->trainable || p->view;
        for (int k = 0; k < n && !seen; k++) seen = order[k] == p;
        if (seen) continue;
        if (n && p->be != order[0]->be) { /* one arena per backend: leave mixed models alone */
            free(order);
            return;
        }
        order[n++] = p;
        total += arena_round(p->count);
        largest = p->count > largest ? p->count : largest;
    }
    if (n < 2) {
        free(order);
        return;
    }
    const ph_backend *be = order[0]->be;
    float *w = ph_dev_zeros(be, total), *g = ph_dev_zeros(be, total), *m = ph_dev_zeros(be, total),
          *v = ph_dev_zeros(be, total), *host = malloc(largest * sizeof *host);
    PH_CHECK_ALLOC(host, "packing parameters");
    size_t at = 0;
    for (int k = 0; k < n; k++) {
        ph_param *p = order[k];
        arena_move(be, w + at, p->w, p->count, host), p->w = w + at;
        arena_move(be, g + at, p->g, p->count, host), p->g = g + at;
        arena_move(be, m + at, p->m, p->count, host), p->m = m + at;
        arena_move(be, v + at, p->v, p->count, host), p->v = v + at;
        p->view = k > 0; /* order[0] holds the arena's own pointers and frees them */
        at += arena_round(p->count);
    }
    free(host), free(order);
}

void ph_param_grad_done(ph_param *p)
{
    if (!p->g_clear) PH_KERNEL(p->be, axpby, "accumulating a gradient", 1.0f, p->scratch, 1.0f, p->g, p->count);
    ph_param_grad_added(p);
}
