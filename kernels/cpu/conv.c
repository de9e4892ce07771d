/* conv.c: CPU convolutions (2D and 3D, stride, padding, dilation, groups) on
 * oneDNN 2.6 primitives with plain layouts.  Each call builds its primitive;
 * caching primitives and keeping oneDNN's blocked layouts between layers is
 * the engine's next step for speed (calibration.md: 3-25% per pass). */
#include "cpu.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <string.h>

static dnnl_engine_t engine;
static dnnl_stream_t stream;

#define DNNL_TRY(call, what)                                                              \
    do {                                                                                  \
        dnnl_status_t st_ = (call);                                                       \
        if (st_ != dnnl_success) {                                                        \
            snprintf(why, n, "oneDNN %s: status %d", (what), (int)st_);                   \
            goto done;                                                                    \
        }                                                                                 \
    } while (0)

static int engine_ready(char *why, size_t n)
{
    if (engine) return 0;
    DNNL_TRY(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine");
    DNNL_TRY(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags), "creating a stream");
    return 0;
done:
    return -1;
}

typedef struct {
    dnnl_memory_desc_t x, w, b, y;
    dnnl_dims_t strides, dil, pad;
} conv_descs;

static int descs_init(const ph_conv_shape *s, conv_descs *d, char *why, size_t n)
{
    int sp = s->nsp, g = s->groups;
    dnnl_dims_t xd = {s->n, s->c}, yd = {s->n, s->o}, wd, bd = {s->o};
    int wnd = g > 1 ? sp + 3 : sp + 2;
    if (g > 1) {
        wd[0] = g, wd[1] = s->o / g, wd[2] = s->c / g;
    } else {
        wd[0] = s->o, wd[1] = s->c;
    }
    for (int i = 0; i < sp; i++) {
        xd[2 + i] = s->in[i], yd[2 + i] = s->out[i], wd[wnd - sp + i] = s->k[i];
        d->strides[i] = s->stride[i], d->dil[i] = s->dil[i] - 1, d->pad[i] = s->pad[i];
    }
    dnnl_format_tag_t act = sp == 2 ? dnnl_nchw : dnnl_ncdhw;
    dnnl_format_tag_t wt = sp == 2 ? (g > 1 ? dnnl_goihw : dnnl_oihw) : (g > 1 ? dnnl_goidhw : dnnl_oidhw);
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->x, sp + 2, xd, dnnl_f32, act), "describing x");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->y, sp + 2, yd, dnnl_f32, act), "describing y");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->w, wnd, wd, dnnl_f32, wt), "describing weights");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->b, 1, bd, dnnl_f32, dnnl_a), "describing bias");
    return 0;
done:
    return -1;
}

/* The forward descriptor; backward passes need its primitive descriptor as a hint. */
static int forward_pd(const conv_descs *d, int with_bias, dnnl_primitive_desc_t *pd, char *why,
                      size_t n)
{
    dnnl_convolution_desc_t cd;
    DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                                        dnnl_convolution_direct, &d->x, &d->w,
                                                        with_bias ? &d->b : NULL, &d->y,
                                                        d->strides, d->dil, d->pad, d->pad),
             "describing a forward convolution");
    DNNL_TRY(dnnl_primitive_desc_create(pd, &cd, NULL, engine, NULL), "choosing a convolution");
    return 0;
done:
    return -1;
}

/* Builds the primitive of pd, wraps the user pointers and runs it. */
static int run(dnnl_primitive_desc_t pd, const int *ids, const dnnl_memory_desc_t *const *mds,
               void *const *ptrs, int nargs, char *why, size_t n)
{
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t mem[6] = {0};
    dnnl_exec_arg_t args[6];
    int rc = -1;
    DNNL_TRY(dnnl_primitive_create(&prim, pd), "creating a convolution");
    for (int i = 0; i < nargs; i++) {
        DNNL_TRY(dnnl_memory_create(&mem[i], mds[i], engine, ptrs[i]), "wrapping a buffer");
        args[i].arg = ids[i];
        args[i].memory = mem[i];
    }
    DNNL_TRY(dnnl_primitive_execute(prim, stream, nargs, args), "running a convolution");
    DNNL_TRY(dnnl_stream_wait(stream), "waiting for a convolution");
    rc = 0;
done:
    for (int i = 0; i < nargs; i++)
        if (mem[i]) dnnl_memory_destroy(mem[i]);
    if (prim) dnnl_primitive_destroy(prim);
    return rc;
}

int ph_cpu_conv_forward(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, char *why, size_t n)
{
    conv_descs d;
    dnnl_primitive_desc_t pd = NULL;
    if (engine_ready(why, n) || descs_init(s, &d, why, n) || forward_pd(&d, b != NULL, &pd, why, n))
        return -1;
    int ids[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS};
    const dnnl_memory_desc_t *mds[4] = {&d.x, &d.w, &d.y, &d.b};
    void *ptrs[4] = {(void *)x, (void *)w, y, (void *)b};
    int rc = run(pd, ids, mds, ptrs, b ? 4 : 3, why, n);
    dnnl_primitive_desc_destroy(pd);
    return rc;
}

int ph_cpu_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w, float *dx,
                              char *why, size_t n)
{
    conv_descs d;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    dnnl_convolution_desc_t cd;
    int rc = -1;
    if (engine_ready(why, n) || descs_init(s, &d, why, n) || forward_pd(&d, 0, &hint, why, n))
        return -1;
    DNNL_TRY(dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &d.x,
                                                              &d.w, &d.y, d.strides, d.dil, d.pad,
                                                              d.pad),
             "describing a backward-data convolution");
    DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, NULL, engine, hint), "choosing a convolution");
    {
        int ids[3] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
        const dnnl_memory_desc_t *mds[3] = {&d.y, &d.w, &d.x};
        void *ptrs[3] = {(void *)dy, (void *)w, dx};
        rc = run(pd, ids, mds, ptrs, 3, why, n);
    }
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    return rc;
}

int ph_cpu_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                 float *dw, float *db, char *why, size_t n)
{
    conv_descs d;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    dnnl_convolution_desc_t cd;
    int rc = -1;
    if (engine_ready(why, n) || descs_init(s, &d, why, n) ||
        forward_pd(&d, db != NULL, &hint, why, n))
        return -1;
    DNNL_TRY(dnnl_dilated_convolution_backward_weights_desc_init(
                 &cd, dnnl_convolution_direct, &d.x, &d.w, db ? &d.b : NULL, &d.y, d.strides,
                 d.dil, d.pad, d.pad),
             "describing a backward-weights convolution");
    DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, NULL, engine, hint), "choosing a convolution");
    {
        int ids[4] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS};
        const dnnl_memory_desc_t *mds[4] = {&d.x, &d.y, &d.w, &d.b};
        void *ptrs[4] = {(void *)x, (void *)dy, dw, db};
        rc = run(pd, ids, mds, ptrs, db ? 4 : 3, why, n);
    }
done:
    if (pd) dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    return rc;
}
