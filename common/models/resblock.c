/* resblock.c: convolution units and residual blocks, forward and backward. */
#include "resblock.h"

#include <string.h>

int ph_unit_norm_parse(const char *name)
{
    for (int k = 0; k < PH_NORM_COUNT; k++)
        if (!strcmp(name, ph_norm_names[k])) return k;
    return -1;
}

ph_act ph_unit_act_parse(const char *name)
{
    for (int k = 0; k < PH_ACT_COUNT; k++)
        if (!strcmp(name, ph_act_names[k])) return (ph_act)k;
    return PH_ACT_RELU;
}

/* Group norm's groups: the largest divisor of the channels up to 32. */
static int norm_groups(int c)
{
    int g = c < 32 ? c : 32;
    while (c % g) g--;
    return g;
}

void ph_conv_unit_init(ph_conv_unit *u, const ph_backend *be, ph_conv_shape s, int norm,
                       int act, MPI_Comm comm, uint32_t seed, uint32_t id)
{
    memset(u, 0, sizeof *u);
    ph_conv_layer_init(&u->conv, be, s, norm < 0, seed, id);
    u->norm = norm, u->act = act;
    u->count = ph_conv_y_count(&u->conv.s);
    const ph_conv_shape *cs = &u->conv.s;
    size_t spatial = u->count / ((size_t)cs->n * cs->o);
    if (norm >= 0) ph_norm_init(&u->nl, be, (ph_norm_kind)norm, cs->n, cs->o, spatial, norm_groups(cs->o), comm);
    u->pre = ph_dev_alloc(be, u->count);
    u->nrm = norm >= 0 ? ph_dev_alloc(be, u->count) : u->pre;
    u->out = act >= 0 ? ph_dev_alloc(be, u->count) : u->nrm;
}

void ph_conv_unit_forward(ph_conv_unit *u, const float *x, int training)
{
    ph_conv_layer_forward(&u->conv, x, u->pre);
    if (u->norm >= 0) ph_norm_forward(&u->nl, u->pre, u->nrm, training);
    if (u->act >= 0) ph_act_forward(u->conv.w.be, (ph_act)u->act, u->nrm, u->out, u->count);
}

void ph_conv_unit_backward(ph_conv_unit *u, const float *x, float *dout, float *dx)
{
    const ph_backend *be = u->conv.w.be;
    /* gradients flow back through dout in place: the activation, then the
     * norm into a second buffer only when there is a norm */
    if (u->act >= 0) ph_act_backward(be, (ph_act)u->act, u->nrm, u->out, dout, dout, u->count);
    const float *dpre = dout;
    if (u->norm >= 0) {
        /* u->out is free once the activation's backward ran, u->nrm once the
         * norm's needs only u->pre: reuse one of them for dpre */
        float *tmp = u->act >= 0 ? u->out : u->nrm;
        if (!tmp) PH_FAIL("running a block backward", "no scratch buffer", "internal error");
        ph_norm_backward(&u->nl, u->pre, dout, tmp);
        dpre = tmp;
    }
    ph_conv_layer_backward(&u->conv, x, dpre, dx);
}

int ph_conv_unit_params(ph_conv_unit *u, ph_param **out, int max)
{
    int k = 0;
    if (k < max) out[k++] = &u->conv.w;
    if (u->conv.bias && k < max) out[k++] = &u->conv.b;
    if (u->norm >= 0) {
        ph_param *np[4] = {&u->nl.gamma, &u->nl.beta, &u->nl.run_mean, &u->nl.run_var};
        int n = u->norm == PH_NORM_BATCH ? 4 : 2;
        for (int i = 0; i < n && k < max; i++) out[k++] = np[i];
    }
    return k;
}

void ph_conv_unit_free(ph_conv_unit *u)
{
    const ph_backend *be = u->conv.w.be;
    ph_conv_layer_free(&u->conv);
    if (u->norm >= 0) ph_norm_free(&u->nl), be->free(u->nrm);
    if (u->act >= 0) be->free(u->out);
    be->free(u->pre);
}

void ph_resblock_init(ph_resblock *b, const ph_backend *be, int nsp, int n, int in_c, int width,
                      const int *in, const int *stride, int bottleneck, int norm, ph_act act,
                      MPI_Comm comm, uint32_t seed, uint32_t id)
{
    memset(b, 0, sizeof *b);
    b->be = be, b->act = act, b->units = bottleneck ? 3 : 2;
    b->out_c = bottleneck ? 4 * width : width;
    /* (kernel, stride?, channels out) per unit */
    int ks[3], outc[3], strided[3];
    if (bottleneck)
        ks[0] = 1, ks[1] = 3, ks[2] = 1, outc[0] = width, outc[1] = width, outc[2] = 4 * width,
        strided[0] = 0, strided[1] = 1, strided[2] = 0;
    else
        ks[0] = 3, ks[1] = 3, outc[0] = width, outc[1] = width, strided[0] = 1, strided[1] = 0;
    int c = in_c, dims[3] = {in[0], in[1], nsp == 3 ? in[2] : 1};
    for (int i = 0; i < b->units; i++) {
        ph_conv_shape s = {.nsp = nsp, .n = n, .c = c, .o = outc[i], .groups = 1};
        for (int d = 0; d < nsp; d++)
            s.in[d] = dims[d], s.k[d] = ks[i], s.stride[d] = strided[i] ? stride[d] : 1,
            s.pad[d] = ks[i] / 2, s.dil[d] = 1;
        /* the last unit's activation comes after the residual sum */
        ph_conv_unit_init(&b->u[i], be, s, norm, i < b->units - 1 ? (int)act : -1, comm, seed,
                          id * 8 + (uint32_t)i);
        c = outc[i];
        memcpy(dims, b->u[i].conv.s.out, sizeof dims);
    }
    memcpy(b->out, dims, sizeof b->out);
    int strides_any = 0;
    for (int d = 0; d < nsp; d++) strides_any |= stride[d] != 1;
    b->proj = strides_any || in_c != b->out_c;
    if (b->proj) {
        ph_conv_shape s = {.nsp = nsp, .n = n, .c = in_c, .o = b->out_c, .groups = 1};
        for (int d = 0; d < nsp; d++) s.in[d] = in[d], s.k[d] = 1, s.stride[d] = stride[d], s.dil[d] = 1;
        ph_conv_unit_init(&b->shortcut, be, s, norm, -1, comm, seed, id * 8 + 4);
    }
    b->count = b->u[b->units - 1].count;
    b->in_count = (size_t)n * in_c * (size_t)in[0] * in[1] * (nsp == 3 ? (size_t)in[2] : 1);
    size_t most = b->count;
    for (int i = 0; i < b->units; i++) most = b->u[i].count > most ? b->u[i].count : most;
    b->sum = ph_dev_alloc(be, b->count), b->out_act = ph_dev_alloc(be, b->count);
    b->ds = ph_dev_alloc(be, b->count);
    b->ga = ph_dev_alloc(be, most), b->gb = ph_dev_alloc(be, most);
    b->dx_sc = ph_dev_alloc(be, b->in_count);
}

void ph_resblock_forward(ph_resblock *b, const float *x, int training)
{
    const float *h = x;
    for (int i = 0; i < b->units; i++) ph_conv_unit_forward(&b->u[i], h, training), h = b->u[i].out;
    const float *sc = x;
    if (b->proj) ph_conv_unit_forward(&b->shortcut, x, training), sc = b->shortcut.out;
    PH_KERNEL(b->be, binary, "adding a shortcut", PH_BIN_ADD, h, sc, b->sum, b->count);
    ph_act_forward(b->be, b->act, b->sum, b->out_act, b->count);
}

void ph_resblock_backward(ph_resblock *b, const float *x, const float *dout, float *dx)
{
    const ph_backend *be = b->be;
    ph_act_backward(be, b->act, b->sum, b->out_act, dout, b->ds, b->count);
    /* The shortcut and the last unit have no activation, so their backward
     * passes read ds without overwriting it: both paths start from ds, and
     * the main path then alternates between ga and gb. */
    if (b->proj) ph_conv_unit_backward(&b->shortcut, x, b->ds, dx ? b->dx_sc : NULL);
    float *d = b->ds;
    for (int i = b->units - 1; i >= 0; i--) {
        float *dprev = i ? (d == b->ga ? b->gb : b->ga) : dx;
        ph_conv_unit_backward(&b->u[i], i ? b->u[i - 1].out : x, d, dprev);
        d = dprev;
    }
    if (dx)
        PH_KERNEL(be, binary, "adding a shortcut gradient", PH_BIN_ADD, dx, b->proj ? b->dx_sc : b->ds,
                  dx, b->in_count);
}

int ph_resblock_params(ph_resblock *b, ph_param **out, int max)
{
    int k = 0;
    for (int i = 0; i < b->units; i++) k += ph_conv_unit_params(&b->u[i], out + k, max - k);
    if (b->proj) k += ph_conv_unit_params(&b->shortcut, out + k, max - k);
    return k;
}

double ph_resblock_step_flops(const ph_resblock *b)
{
    double f = 0;
    for (int i = 0; i < b->units; i++) f += 3 * ph_conv_flops(&b->u[i].conv.s);
    if (b->proj) f += 3 * ph_conv_flops(&b->shortcut.conv.s);
    return f;
}

void ph_resblock_free(ph_resblock *b)
{
    for (int i = 0; i < b->units; i++) ph_conv_unit_free(&b->u[i]);
    if (b->proj) ph_conv_unit_free(&b->shortcut);
    b->be->free(b->sum), b->be->free(b->out_act), b->be->free(b->ds);
    b->be->free(b->ga), b->be->free(b->gb), b->be->free(b->dx_sc);
}
