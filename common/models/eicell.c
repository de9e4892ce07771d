/* eicell.c: the excitation/inhibition recurrence (see eicell.h), forward
 * step by step with the fused cell kernels, backward through time. */
#include "eicell.h"

#include <string.h>

/* pointer to step t's slice of a [T, cnt] buffer */
#define AT(buf, t) ((buf) + (size_t)(t) * c->cnt)

static void gate_init(ph_conv_layer *l, const ph_backend *be, int n, int ch, int h, int w,
                      uint32_t seed, uint32_t id)
{
    ph_conv_shape s = {2, n, ch, ch, 1, {h, w}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, {0}};
    ph_conv_layer_init(l, be, s, 1, seed, id);
    ph_param_orthogonal(&l->w, ch, seed, 2 * id);
    ph_param_set(&l->b, -1.0f);
}

static void exc_inh_init(ph_conv_layer *l, const ph_backend *be, int n, int ch, int h, int w,
                         int k, uint32_t seed, uint32_t id)
{
    ph_conv_shape s = {2, n, ch, ch, 1, {h, w}, {k, k}, {1, 1}, {k / 2, k / 2}, {1, 1}, {0}};
    ph_conv_layer_init(l, be, s, 0, seed, id);
    ph_param_orthogonal(&l->w, ch, seed, 2 * id);
}

void ph_eicell_init(ph_eicell *c, const ph_backend *be, int n, int ch, int t, int h, int w, int k,
                    int bn_eval_running, MPI_Comm comm, uint32_t seed, uint32_t id0)
{
    memset(c, 0, sizeof *c);
    c->be = be, c->n = n, c->c = ch, c->t = t, c->k = k, c->bn_eval_running = bn_eval_running;
    c->s = (size_t)h * w, c->cnt = (size_t)n * ch * c->s;
    exc_inh_init(&c->w_inh, be, n, ch, h, w, k, seed, id0);
    exc_inh_init(&c->w_exc, be, n, ch, h, w, k, seed, id0 + 1);
    gate_init(&c->w_gi, be, n, ch, h, w, seed, id0 + 2);
    gate_init(&c->u_gi, be, n, ch, h, w, seed, id0 + 3);
    gate_init(&c->w_ge, be, n, ch, h, w, seed, id0 + 4);
    gate_init(&c->u_ge, be, n, ch, h, w, seed, id0 + 5);
    ph_param_init_const(&c->alpha, be, (size_t)ch, 1.0f, 1);
    ph_param_init_const(&c->mu, be, (size_t)ch, 0.0f, 1);
    ph_param_init_const(&c->kappa, be, (size_t)ch, 1.0f, 1);
    ph_param_init_const(&c->gamma, be, (size_t)ch, 0.0f, 1);
    ph_step_norm_init(&c->bn0, be, PH_NORM_BATCH, n, ch, c->s, t, 1e-3f, 0.1f, comm);
    ph_step_norm_init(&c->bn1, be, PH_NORM_BATCH, n, ch, c->s, t, 1e-3f, 0.1f, comm);
    size_t T = (size_t)t, cnt = c->cnt;
    c->e = ph_dev_alloc(be, (T + 1) * cnt), c->i = ph_dev_alloc(be, (T + 1) * cnt);
    float **per_step[] = {&c->att, &c->et, &c->u, &c->q, &c->gi, &c->v, &c->r, &c->ge, &c->giw, &c->dz};
    for (size_t j = 0; j < sizeof per_step / sizeof *per_step; j++) *per_step[j] = ph_dev_alloc(be, T * cnt);
    float **one[] = {&c->tmp1, &c->tmp2, &c->tmp3, &c->de, &c->de_prev, &c->di, &c->di_prev};
    for (size_t j = 0; j < sizeof one / sizeof *one; j++) *one[j] = ph_dev_alloc(be, cnt);
    c->dpar = ph_dev_alloc(be, 4 * (size_t)ch);
}

void ph_eicell_free(ph_eicell *c)
{
    const ph_backend *be = c->be;
    ph_conv_layer *convs[] = {&c->w_inh, &c->w_exc, &c->w_gi, &c->u_gi, &c->w_ge, &c->u_ge};
    for (int j = 0; j < 6; j++) ph_conv_layer_free(convs[j]);
    ph_param_free(&c->alpha), ph_param_free(&c->mu), ph_param_free(&c->kappa), ph_param_free(&c->gamma);
    ph_step_norm_free(&c->bn0), ph_step_norm_free(&c->bn1);
    float *bufs[] = {c->e, c->i, c->att, c->et, c->u, c->q, c->gi, c->v, c->r, c->ge, c->giw, c->dz,
                     c->tmp1, c->tmp2, c->tmp3, c->de, c->de_prev, c->di, c->di_prev, c->dpar};
    for (size_t j = 0; j < sizeof bufs / sizeof *bufs; j++) be->free(bufs[j]);
}

int ph_eicell_params(ph_eicell *c, ph_param **out, int max)
{
    ph_param *p[] = {&c->w_inh.w, &c->w_exc.w, &c->w_gi.w, &c->w_gi.b, &c->u_gi.w, &c->u_gi.b,
                     &c->w_ge.w, &c->w_ge.b, &c->u_ge.w, &c->u_ge.b, &c->alpha, &c->mu, &c->kappa,
                     &c->gamma, &c->bn0.nl.gamma, &c->bn0.nl.beta, &c->bn1.nl.gamma, &c->bn1.nl.beta,
                     &c->bn0.nl.run_mean, &c->bn0.nl.run_var, &c->bn1.nl.run_mean, &c->bn1.nl.run_var};
    /* running statistics are state only when evaluation uses them */
    int np = c->bn_eval_running ? 22 : 18, k = 0;
    for (int j = 0; j < np && k < max; j++) out[k++] = p[j];
    return k;
}

double ph_eicell_step_flops(const ph_eicell *c)
{
    /* per step: forward and both backward passes of every convolution
     * (W_gi's data gradient goes to z, which always needs it) */
    const ph_conv_layer *convs[] = {&c->w_inh, &c->w_exc, &c->w_gi, &c->u_gi, &c->w_ge, &c->u_ge};
    double f = 0;
    for (int j = 0; j < 6; j++) f += 3 * ph_conv_flops(&convs[j]->s);
    return f * c->t;
}

void ph_eicell_begin(ph_eicell *c, const float *z)
{
    ph_conv_forward_n(&c->w_gi, c->t * c->n, z, c->giw);
    ph_dev_fill(c->be, c->e, 0.0f, c->cnt);
    ph_dev_fill(c->be, c->i, 0.0f, c->cnt);
}

const float *ph_eicell_e(const ph_eicell *c, int t) { return AT(c->e, t); }

void ph_eicell_step(ph_eicell *c, int t, const float *z, const float *a1, const float *a2,
                    int training)
{
    const ph_backend *be = c->be;
    const int bn_train = training || !c->bn_eval_running;
    const float *ep = AT(c->e, t), *ip = AT(c->i, t), *zt = z + (size_t)t * c->cnt;
    float *et = AT(c->et, t), *io = AT(c->i, t + 1), *eo = AT(c->e, t + 1);
    PH_KERNEL(be, cell_attend_forward, "running the attention of a recurrent cell", c->cnt, a1, a2, ep,
              AT(c->att, t), et);
    ph_conv_layer_forward(&c->w_inh, et, AT(c->u, t));
    ph_step_norm_forward(&c->bn0, t, AT(c->u, t), AT(c->q, t), bn_train);
    ph_conv_layer_forward(&c->u_gi, ip, c->tmp1);
    ph_conv_layer_forward(&c->w_ge, ip, c->tmp2);
    ph_conv_layer_forward(&c->u_ge, et, c->tmp3);
    PH_KERNEL(be, cell_inhibit_forward, "running the inhibition of a recurrent cell", c->n, c->c, c->s, zt,
              AT(c->q, t), ip, AT(c->giw, t), c->tmp1, c->alpha.w, c->mu.w, AT(c->gi, t), io);
    ph_conv_layer_forward(&c->w_exc, io, AT(c->v, t));
    ph_step_norm_forward(&c->bn1, t, AT(c->v, t), AT(c->r, t), bn_train);
    PH_KERNEL(be, cell_excite_forward, "running the excitation of a recurrent cell", c->n, c->c, c->s,
              AT(c->r, t), io, ep, c->tmp2, c->tmp3, c->kappa.w, c->gamma.w, AT(c->ge, t), eo);
}

void ph_eicell_backward_begin(ph_eicell *c)
{
    ph_dev_fill(c->be, c->de, 0.0f, c->cnt);
    ph_dev_fill(c->be, c->di, 0.0f, c->cnt);
    ph_dev_fill(c->be, c->dz, 0.0f, (size_t)c->t * c->cnt);
}

/* p->g += the C sums at src */
static void add_channel_sums(ph_param *p, const float *src)
{
    PH_KERNEL(p->be, axpby, "accumulating a gradient", 1.0f, src, 1.0f, p->g, p->count);
    ph_param_grad_added(p);
}

const float *ph_eicell_step_backward(ph_eicell *c, int t, const float *z)
{
    const ph_backend *be = c->be;
    const size_t C = (size_t)c->c;
    const float *ep = AT(c->e, t), *ip = AT(c->i, t), *io = AT(c->i, t + 1), *zt = z + (size_t)t * c->cnt;
    (void)zt;
    ph_dev_fill(be, c->de_prev, 0.0f, c->cnt);
    ph_dev_fill(be, c->di_prev, 0.0f, c->cnt);
    /* excitation: dr into tmp1, the gate's gradient over the stored gate */
    PH_KERNEL(be, cell_excite_backward, "running the excitation backward", c->n, c->c, c->s, c->de,
              AT(c->r, t), io, ep, AT(c->ge, t), c->kappa.w, c->gamma.w, c->tmp1, c->di, c->de_prev,
              AT(c->ge, t), c->dpar, c->dpar + C);
    add_channel_sums(&c->kappa, c->dpar), add_channel_sums(&c->gamma, c->dpar + C);
    /* BN1: its input gradient over r (kept for W_exc's weight gradient) */
    ph_step_norm_backward(&c->bn1, t, AT(c->v, t), c->tmp1, AT(c->r, t));
    ph_conv_backward_data_add(&c->w_exc, c->n, AT(c->r, t), c->di, c->tmp2);
    /* inhibition: dq into tmp1 */
    PH_KERNEL(be, cell_inhibit_backward, "running the inhibition backward", c->n, c->c, c->s, c->di,
              z + (size_t)t * c->cnt, AT(c->q, t), ip, AT(c->gi, t), c->alpha.w, c->mu.w,
              AT(c->dz, t), c->tmp1, c->di_prev, AT(c->gi, t), c->dpar + 2 * C, c->dpar + 3 * C);
    add_channel_sums(&c->alpha, c->dpar + 2 * C), add_channel_sums(&c->mu, c->dpar + 3 * C);
    ph_step_norm_backward(&c->bn0, t, AT(c->u, t), c->tmp1, AT(c->q, t));
    /* d et: from W_inh and U_ge, into tmp3 */
    PH_KERNEL(be, conv_backward_data, "running a convolution backward", &c->w_inh.s, AT(c->q, t),
              c->w_inh.w.w, c->tmp3);
    ph_conv_backward_data_add(&c->u_ge, c->n, AT(c->ge, t), c->tmp3, c->tmp2);
    ph_conv_backward_data_add(&c->w_ge, c->n, AT(c->ge, t), c->di_prev, c->tmp2);
    ph_conv_backward_data_add(&c->u_gi, c->n, AT(c->gi, t), c->di_prev, c->tmp2);
    /* attention: d(a1 + a2) over the stored attention */
    PH_KERNEL(be, cell_attend_backward, "running the attention backward", c->cnt, c->tmp3, AT(c->att, t),
              ep, c->de_prev, AT(c->att, t));
    return AT(c->att, t);
}

void ph_eicell_step_backward_done(ph_eicell *c)
{
    float *s = c->de;
    c->de = c->de_prev, c->de_prev = s;
    s = c->di, c->di = c->di_prev, c->di_prev = s;
}

void ph_eicell_backward_end(ph_eicell *c, const float *z)
{
    /* every step at once: inputs and output gradients are stored [T, cnt]
     * (dv over r, du over q, d gates over the gates) */
    const int nb = c->t * c->n;
    ph_conv_backward_weights_n(&c->w_exc, nb, c->i + c->cnt, c->r);
    ph_conv_backward_weights_n(&c->w_inh, nb, c->et, c->q);
    ph_conv_backward_weights_n(&c->u_ge, nb, c->et, c->ge);
    ph_conv_backward_weights_n(&c->w_ge, nb, c->i, c->ge);
    ph_conv_backward_weights_n(&c->u_gi, nb, c->i, c->gi);
    ph_conv_backward_weights_n(&c->w_gi, nb, z, c->gi);
    /* W_gi's data gradient into dz, through a [T cnt] buffer no longer needed (u) */
    ph_conv_backward_data_add(&c->w_gi, nb, c->gi, c->dz, c->u);
}
