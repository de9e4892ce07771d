/* pool.c: CPU window pooling (max, average without padding; 2D and 3D) on
 * oneDNN 2.6 with plain layouts.
 *
 * Max pooling's backward needs to know where each maximum was: oneDNN keeps
 * that in a workspace written by a training-mode forward, so the backward
 * pass reruns that forward into scratch memory first (the interface passes
 * no workspace, which keeps it the same as cuDNN's).  Plans are cached per
 * shape. */
#include "cpu.h"
#include "dnnl_util.h"

#include <string.h>

typedef struct {
    ph_pool_shape shape;
    dnnl_memory_desc_t x, y;
    dnnl_primitive_t fwd, train, bwd;
    dnnl_memory_t ws, yscratch; /* max pooling only */
} pool_plan;

enum { POOL_PLANS = 32 };
static pool_plan plans[POOL_PLANS];
static int nplans;
static dnnl_engine_t engine;
static dnnl_stream_t stream;

static pool_plan *plan_get(const ph_pool_shape *s, char *why, size_t n)
{
    for (int i = 0; i < nplans; i++)
        if (!memcmp(&plans[i].shape, s, sizeof *s)) return &plans[i];
    if (ph_cpu_dnnl(&engine, &stream, why, n)) return NULL;
    if (nplans == POOL_PLANS) return snprintf(why, n, "more than %d pooling shapes", POOL_PLANS), NULL;
    pool_plan *p = &plans[nplans];
    memset(p, 0, sizeof *p);
    p->shape = *s;
    int sp = s->nsp;
    dnnl_dims_t xd = {s->n, s->c}, yd = {s->n, s->c}, strides, kernel, pad;
    for (int i = 0; i < sp; i++) {
        xd[2 + i] = s->in[i], yd[2 + i] = s->out[i];
        strides[i] = s->stride[i], kernel[i] = s->k[i], pad[i] = s->pad[i];
    }
    dnnl_format_tag_t tag = sp == 2 ? dnnl_nchw : dnnl_ncdhw;
    dnnl_alg_kind_t alg = s->kind == PH_POOL_MAX ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding;
    dnnl_pooling_desc_t fd, td, bd;
    dnnl_primitive_desc_t fpd = NULL, tpd = NULL, bpd = NULL;
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&p->x, sp + 2, xd, dnnl_f32, tag), "describing x");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&p->y, sp + 2, yd, dnnl_f32, tag), "describing y");
    DNNL_TRY(dnnl_pooling_forward_desc_init(&fd, dnnl_forward_inference, alg, &p->x, &p->y, strides,
                                            kernel, pad, pad),
             "describing a pooling");
    DNNL_TRY(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL), "choosing a pooling");
    DNNL_TRY(dnnl_primitive_create(&p->fwd, fpd), "creating a pooling");
    DNNL_TRY(dnnl_pooling_forward_desc_init(&td, dnnl_forward_training, alg, &p->x, &p->y, strides,
                                            kernel, pad, pad),
             "describing a pooling");
    DNNL_TRY(dnnl_primitive_desc_create(&tpd, &td, NULL, engine, NULL), "choosing a pooling");
    DNNL_TRY(dnnl_pooling_backward_desc_init(&bd, alg, &p->x, &p->y, strides, kernel, pad, pad),
             "describing a pooling backward");
    DNNL_TRY(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, tpd), "choosing a pooling backward");
    DNNL_TRY(dnnl_primitive_create(&p->bwd, bpd), "creating a pooling backward");
    if (s->kind == PH_POOL_MAX) {
        const dnnl_memory_desc_t *wsd = dnnl_primitive_desc_query_md(tpd, dnnl_query_workspace_md, 0);
        if (!wsd) {
            snprintf(why, n, "oneDNN: max pooling without a workspace");
            goto fail;
        }
        DNNL_TRY(dnnl_primitive_create(&p->train, tpd), "creating a pooling");
        DNNL_TRY(dnnl_memory_create(&p->ws, wsd, engine, DNNL_MEMORY_ALLOCATE), "allocating a workspace");
        DNNL_TRY(dnnl_memory_create(&p->yscratch, &p->y, engine, DNNL_MEMORY_ALLOCATE), "allocating scratch");
    }
    dnnl_primitive_desc_destroy(fpd), dnnl_primitive_desc_destroy(tpd), dnnl_primitive_desc_destroy(bpd);
    nplans++;
    return p;
fail:
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (tpd) dnnl_primitive_desc_destroy(tpd);
    if (bpd) dnnl_primitive_desc_destroy(bpd);
    return NULL;
}

int ph_cpu_pool_forward(const ph_pool_shape *s, const float *x, float *y, char *why, size_t n)
{
    pool_plan *p = plan_get(s, why, n);
    if (!p) return -1;
    dnnl_memory_t mx = NULL, my = NULL;
    int rc = -1;
    DNNL_TRY(dnnl_memory_create(&mx, &p->x, engine, (void *)x), "wrapping x");
    DNNL_TRY(dnnl_memory_create(&my, &p->y, engine, y), "wrapping y");
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DST, my}};
    DNNL_TRY(dnnl_primitive_execute(p->fwd, stream, 2, args), "running a pooling");
    DNNL_TRY(dnnl_stream_wait(stream), "waiting for a pooling");
    rc = 0;
fail:
    if (mx) dnnl_memory_destroy(mx);
    if (my) dnnl_memory_destroy(my);
    return rc;
}

int ph_cpu_pool_backward(const ph_pool_shape *s, const float *x, const float *y, const float *dy,
                         float *dx, char *why, size_t n)
{
    (void)y; /* oneDNN finds the maxima from its workspace */
    pool_plan *p = plan_get(s, why, n);
    if (!p) return -1;
    dnnl_memory_t mx = NULL, mdy = NULL, mdx = NULL;
    int rc = -1;
    DNNL_TRY(dnnl_memory_create(&mdy, &p->y, engine, (void *)dy), "wrapping dy");
    DNNL_TRY(dnnl_memory_create(&mdx, &p->x, engine, dx), "wrapping dx");
    if (s->kind == PH_POOL_MAX) {
        DNNL_TRY(dnnl_memory_create(&mx, &p->x, engine, (void *)x), "wrapping x");
        dnnl_exec_arg_t fa[3] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DST, p->yscratch}, {DNNL_ARG_WORKSPACE, p->ws}};
        DNNL_TRY(dnnl_primitive_execute(p->train, stream, 3, fa), "running a pooling");
        dnnl_exec_arg_t ba[3] = {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_DIFF_SRC, mdx}, {DNNL_ARG_WORKSPACE, p->ws}};
        DNNL_TRY(dnnl_primitive_execute(p->bwd, stream, 3, ba), "running a pooling backward");
    } else {
        dnnl_exec_arg_t ba[2] = {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_DIFF_SRC, mdx}};
        DNNL_TRY(dnnl_primitive_execute(p->bwd, stream, 2, ba), "running a pooling backward");
    }
    DNNL_TRY(dnnl_stream_wait(stream), "waiting for a pooling backward");
    rc = 0;
fail:
    if (mx) dnnl_memory_destroy(mx);
    if (mdy) dnnl_memory_destroy(mdy);
    if (mdx) dnnl_memory_destroy(mdx);
    return rc;
}
