/* conv.c: CPU convolutions (2D and 3D, stride, padding, dilation, groups) on
 * oneDNN 2.6.
 *
 * The interface uses plain layouts (N C D H W, O I D H W).  Each pass lets
 * oneDNN choose its layouts (format_tag_any): with plain layouts it falls
 * back to im2col + GEMM, with its blocked layouts it runs the direct AVX-512
 * kernels, several times faster here.  A plan per (pass, shape, bias) keeps the
 * primitive, the reorders between the two layouts and their scratch
 * buffers, so a training loop builds each of them once.
 *
 * With precision bf16 the passes read bf16 copies of their inputs (the
 * reorders into the blocked layouts convert them), sum in fp32, and give
 * fp32 outputs and weight gradients: the AVX512-BF16 kernels, about twice
 * the fp32 speed.  A shape oneDNN has only a reference bf16 kernel for runs
 * in fp32. */
#include "cpu.h"

#include "dnnl_util.h"

#include <string.h>

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static ph_precision precision; /* of the plans built from now on (conv_precision) */

typedef enum { PASS_FORWARD, PASS_BACKWARD_DATA, PASS_BACKWARD_WEIGHTS } conv_pass;

/* One argument of a pass: the caller's plain layout and, when the primitive
 * chose another, a scratch buffer and the reorder between them. */
typedef struct {
    int arg;    /* DNNL_ARG_* */
    int output; /* written by the pass */
    dnnl_memory_desc_t user;
    dnnl_memory_t scratch;
    dnnl_primitive_t reorder;
} conv_tensor;

typedef struct {
    conv_pass pass;
    int bias;
    ph_precision precision;
    ph_conv_shape shape;
    dnnl_primitive_t prim;
    int ntensors;
    conv_tensor t[4];
} conv_plan;

/* Deep models (ResNet-50: ~160 distinct passes) fit; beyond, the oldest
 * plan is replaced (round robin). */
enum { PLAN_CACHE = 512 };
static conv_plan plans[PLAN_CACHE];
static int nplans, next_evict;

static void plan_free(conv_plan *p)
{
    for (int i = 0; i < p->ntensors; i++) {
        if (p->t[i].reorder) dnnl_primitive_destroy(p->t[i].reorder);
        if (p->t[i].scratch) dnnl_memory_destroy(p->t[i].scratch);
    }
    if (p->prim) dnnl_primitive_destroy(p->prim);
    memset(p, 0, sizeof *p);
}

typedef struct {
    dnnl_memory_desc_t x, w, b, y; /* plain */
    dnnl_memory_desc_t ax, aw, ay; /* any, in the inputs' precision */
    dnnl_memory_desc_t ax32, ay32, adw; /* any, fp32: the outputs (y, dx, dw) */
    dnnl_dims_t strides, dil, pad;
} conv_descs;

static int descs_init(const ph_conv_shape *s, ph_precision prec, conv_descs *d, char *why, size_t n)
{
    const dnnl_data_type_t dt = prec == PH_PRECISION_BF16 ? dnnl_bf16 : dnnl_f32;
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
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->ax, sp + 2, xd, dt, dnnl_format_tag_any), "describing x");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->ay, sp + 2, yd, dt, dnnl_format_tag_any), "describing y");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->aw, wnd, wd, dt, dnnl_format_tag_any), "describing weights");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->ax32, sp + 2, xd, dnnl_f32, dnnl_format_tag_any), "describing x");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->ay32, sp + 2, yd, dnnl_f32, dnnl_format_tag_any), "describing y");
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&d->adw, wnd, wd, dnnl_f32, dnnl_format_tag_any), "describing weights");
    return 0;
fail:
    return -1;
}

/* Adds an argument to the plan; a reorder when the chosen layout differs. */
static int tensor_add(conv_plan *p, dnnl_primitive_desc_t pd, int arg, int output,
                      const dnnl_memory_desc_t *user, char *why, size_t n)
{
    conv_tensor *t = &p->t[p->ntensors++];
    memset(t, 0, sizeof *t);
    t->arg = arg, t->output = output, t->user = *user;
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
    if (!chosen) return snprintf(why, n, "oneDNN: no layout for argument %d", arg), -1;
    if (dnnl_memory_desc_equal(user, chosen)) return 0;
    dnnl_primitive_desc_t rpd = NULL;
    DNNL_TRY(dnnl_memory_create(&t->scratch, chosen, engine, DNNL_MEMORY_ALLOCATE), "allocating a layout buffer");
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, output ? chosen : user, engine,
                                                output ? user : chosen, engine, NULL),
             "describing a reorder");
    DNNL_TRY(dnnl_primitive_create(&t->reorder, rpd), "creating a reorder");
    dnnl_primitive_desc_destroy(rpd);
    return 0;
fail:
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    return -1;
}

/* Builds pass's plan for shape s in precision prec into p; -1 with a reason. */
static int plan_build(conv_plan *p, conv_pass pass, const ph_conv_shape *s, int bias, ph_precision prec, char *why,
                      size_t n)
{
    conv_descs d;
    if (descs_init(s, prec, &d, why, n)) return -1;
    memset(p, 0, sizeof *p);
    p->pass = pass, p->bias = bias, p->precision = prec, p->shape = *s;
    dnnl_convolution_desc_t fd, cd;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training,
                                                        dnnl_convolution_direct, &d.ax, &d.aw,
                                                        bias ? &d.b : NULL, &d.ay32, d.strides,
                                                        d.dil, d.pad, d.pad),
             "describing a forward convolution");
    DNNL_TRY(dnnl_primitive_desc_create(&hint, &fd, NULL, engine, NULL), "choosing a convolution");
    if (pass == PASS_FORWARD) {
        pd = hint, hint = NULL;
    } else if (pass == PASS_BACKWARD_DATA) {
        DNNL_TRY(dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &d.ax32,
                                                                  &d.aw, &d.ay, d.strides, d.dil,
                                                                  d.pad, d.pad),
                 "describing a backward-data convolution");
        DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, NULL, engine, hint), "choosing a convolution");
    } else {
        DNNL_TRY(dnnl_dilated_convolution_backward_weights_desc_init(
                     &cd, dnnl_convolution_direct, &d.ax, &d.adw, bias ? &d.b : NULL, &d.ay,
                     d.strides, d.dil, d.pad, d.pad),
                 "describing a backward-weights convolution");
        DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, NULL, engine, hint), "choosing a convolution");
    }
    if (prec != PH_PRECISION_FP32) { /* only oneDNN's reference kernel: fp32 is faster */
        const char *impl = NULL;
        if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl &&
            !strncmp(impl, "ref", 3)) {
            snprintf(why, n, "no fast %s kernel", ph_precision_names[prec]);
            goto fail;
        }
    }
    if (pass == PASS_FORWARD) {
        if (tensor_add(p, pd, DNNL_ARG_SRC, 0, &d.x, why, n) ||
            tensor_add(p, pd, DNNL_ARG_WEIGHTS, 0, &d.w, why, n) ||
            (bias && tensor_add(p, pd, DNNL_ARG_BIAS, 0, &d.b, why, n)) ||
            tensor_add(p, pd, DNNL_ARG_DST, 1, &d.y, why, n))
            goto fail;
    } else if (pass == PASS_BACKWARD_DATA) {
        if (tensor_add(p, pd, DNNL_ARG_DIFF_DST, 0, &d.y, why, n) ||
            tensor_add(p, pd, DNNL_ARG_WEIGHTS, 0, &d.w, why, n) ||
            tensor_add(p, pd, DNNL_ARG_DIFF_SRC, 1, &d.x, why, n))
            goto fail;
    } else {
        if (tensor_add(p, pd, DNNL_ARG_SRC, 0, &d.x, why, n) ||
            tensor_add(p, pd, DNNL_ARG_DIFF_DST, 0, &d.y, why, n) ||
            tensor_add(p, pd, DNNL_ARG_DIFF_WEIGHTS, 1, &d.w, why, n) ||
            (bias && tensor_add(p, pd, DNNL_ARG_DIFF_BIAS, 1, &d.b, why, n)))
            goto fail;
    }
    DNNL_TRY(dnnl_primitive_create(&p->prim, pd), "creating a convolution");
    if (hint) dnnl_primitive_desc_destroy(hint);
    dnnl_primitive_desc_destroy(pd);
    return 0;
fail:
    if (hint) dnnl_primitive_desc_destroy(hint);
    if (pd) dnnl_primitive_desc_destroy(pd);
    plan_free(p);
    return -1;
}

static conv_plan *plan_get(conv_pass pass, const ph_conv_shape *s, int bias, char *why, size_t n)
{
    for (int i = 0; i < nplans; i++)
        if (plans[i].pass == pass && plans[i].bias == bias && plans[i].precision == precision &&
            !memcmp(&plans[i].shape, s, sizeof *s))
            return &plans[i];
    if (ph_cpu_dnnl(&engine, &stream, why, n)) return NULL;
    int slot = nplans < PLAN_CACHE ? nplans : next_evict;
    if (nplans == PLAN_CACHE) plan_free(&plans[slot]), next_evict = (next_evict + 1) % PLAN_CACHE;
    conv_plan *p = &plans[slot];
    if (plan_build(p, pass, s, bias, precision, why, n) &&
        (precision == PH_PRECISION_FP32 || plan_build(p, pass, s, bias, PH_PRECISION_FP32, why, n)))
        return NULL;
    p->precision = precision; /* found again under the precision asked for */
    if (nplans < PLAN_CACHE) nplans++;
    return p;
}

int ph_cpu_conv_precision(ph_precision prec, char *why, size_t n)
{
    if (prec == PH_PRECISION_BF16) {
        const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
        if ((isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16)
            return snprintf(why, n, "this processor has no bf16 convolution kernels in oneDNN (they need "
                            "AVX512-BF16 or AMX); use precision = fp32"),
                   -1;
    }
    precision = prec;
    return 0;
}

/* Wraps the caller's buffers, reorders inputs in, runs, reorders outputs out. */
static int plan_run(conv_plan *p, void *const *ptrs, char *why, size_t n)
{
    dnnl_memory_t user[4] = {0};
    dnnl_exec_arg_t args[4];
    int rc = -1;
    for (int i = 0; i < p->ntensors; i++) {
        conv_tensor *t = &p->t[i];
        DNNL_TRY(dnnl_memory_create(&user[i], &t->user, engine, ptrs[i]), "wrapping a buffer");
        args[i].arg = t->arg;
        args[i].memory = t->scratch ? t->scratch : user[i];
        if (t->scratch && !t->output) {
            dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, user[i]}, {DNNL_ARG_TO, t->scratch}};
            DNNL_TRY(dnnl_primitive_execute(t->reorder, stream, 2, ra), "reordering an input");
        }
    }
    DNNL_TRY(dnnl_primitive_execute(p->prim, stream, p->ntensors, args), "running a convolution");
    for (int i = 0; i < p->ntensors; i++) {
        conv_tensor *t = &p->t[i];
        if (t->scratch && t->output) {
            dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, t->scratch}, {DNNL_ARG_TO, user[i]}};
            DNNL_TRY(dnnl_primitive_execute(t->reorder, stream, 2, ra), "reordering an output");
        }
    }
    DNNL_TRY(dnnl_stream_wait(stream), "waiting for a convolution");
    rc = 0;
fail:
    for (int i = 0; i < p->ntensors; i++)
        if (user[i]) dnnl_memory_destroy(user[i]);
    return rc;
}

int ph_cpu_conv_forward(const ph_conv_shape *s, const float *x, const float *w, const float *b,
                        float *y, char *why, size_t n)
{
    conv_plan *p = plan_get(PASS_FORWARD, s, b != NULL, why, n);
    if (!p) return -1;
    void *with_bias[4] = {(void *)x, (void *)w, (void *)b, y}, *without[3] = {(void *)x, (void *)w, y};
    return plan_run(p, b ? with_bias : without, why, n);
}

int ph_cpu_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w, float *dx,
                              char *why, size_t n)
{
    conv_plan *p = plan_get(PASS_BACKWARD_DATA, s, 0, why, n);
    if (!p) return -1;
    void *ptrs[3] = {(void *)dy, (void *)w, dx};
    return plan_run(p, ptrs, why, n);
}

int ph_cpu_conv_backward_weights(const ph_conv_shape *s, const float *x, const float *dy,
                                 float *dw, float *db, char *why, size_t n)
{
    conv_plan *p = plan_get(PASS_BACKWARD_WEIGHTS, s, db != NULL, why, n);
    if (!p) return -1;
    void *with_bias[4] = {(void *)x, (void *)dy, dw, db}, *without[3] = {(void *)x, (void *)dy, dw};
    return plan_run(p, db ? with_bias : without, why, n);
}
