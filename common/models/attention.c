/* attention.c: spatial and feature-based self-attention (see attention.h). */
#include "attention.h"

#include <math.h>
#include <string.h>

const char *const ph_attn_names[PH_ATTN_COUNT] = {[PH_ATTN_NONE] = "none",
                                                  [PH_ATTN_SPATIAL] = "spatial",
                                                  [PH_ATTN_FEATURE] = "feature"};

static size_t count_of(const ph_attention *m) { return (size_t)m->n * m->c * m->l; }

void ph_attention_init(ph_attention *m, const ph_backend *be, ph_attn_kind kind, int n, int c,
                       int h, int w, uint32_t seed, uint32_t id)
{
    memset(m, 0, sizeof *m);
    m->be = be, m->kind = kind, m->n = n, m->c = c, m->l = h * w;
    m->d = c / 8 > 0 ? c / 8 : 1;
    size_t x = count_of(m), t = kind == PH_ATTN_SPATIAL ? (size_t)m->l : (size_t)c;
    size_t scores = (size_t)n * t * t;
    if (kind == PH_ATTN_SPATIAL) {
        ph_conv_shape sq = {2, n, c, m->d, 1, {h, w}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, {0}};
        ph_conv_shape sv = sq;
        sv.o = c;
        ph_conv_layer_init(&m->q, be, sq, 1, seed, id * 4);
        ph_conv_layer_init(&m->k, be, sq, 1, seed, id * 4 + 1);
        ph_conv_layer_init(&m->v, be, sv, 1, seed, id * 4 + 2);
        size_t qk = (size_t)n * m->d * m->l;
        m->qb = ph_dev_alloc(be, qk), m->kb = ph_dev_alloc(be, qk), m->vb = ph_dev_alloc(be, x);
        m->dq = ph_dev_alloc(be, qk), m->dk = ph_dev_alloc(be, qk), m->dv = ph_dev_alloc(be, x);
    }
    ph_param_init_const(&m->gamma, be, 1, 0.0f, 1);
    m->s = ph_dev_alloc(be, scores), m->a = ph_dev_alloc(be, scores);
    m->ds = ph_dev_alloc(be, scores), m->da = ph_dev_alloc(be, scores);
    m->o = ph_dev_alloc(be, x), m->y = ph_dev_alloc(be, x), m->dtmp = ph_dev_alloc(be, x);
    m->ones = ph_dev_alloc(be, x);
    PH_KERNEL(be, fill, "building an attention module", m->ones, 1.0f, x);
}

static float gamma_value(const ph_attention *m)
{
    float g;
    ph_dev_download(m->be, &g, m->gamma.w, 1);
    return g;
}

void ph_attention_forward(ph_attention *m, const float *x)
{
    const ph_backend *be = m->be;
    size_t x_count = count_of(m);
    if (m->kind == PH_ATTN_SPATIAL) {
        ph_conv_layer_forward(&m->q, x, m->qb);
        ph_conv_layer_forward(&m->k, x, m->kb);
        ph_conv_layer_forward(&m->v, x, m->vb);
        ph_bmm_shape qk = {m->n, m->l, m->l, m->d, 1, 0}, va = {m->n, m->c, m->l, m->l, 0, 1};
        ph_bmm_forward(be, &qk, m->qb, m->kb, m->s);
        PH_KERNEL(be, axpby, "scaling attention scores", 1.0f / sqrtf((float)m->d), m->s, 0.0f, m->s,
                  (size_t)m->n * m->l * m->l);
        ph_softmax_forward(be, m->s, m->a, (size_t)m->n * m->l, (size_t)m->l);
        ph_bmm_forward(be, &va, m->vb, m->a, m->o);
    } else {
        ph_bmm_shape xx = {m->n, m->c, m->c, m->l, 0, 1}, ax = {m->n, m->c, m->l, m->c, 0, 0};
        ph_bmm_forward(be, &xx, x, x, m->s);
        PH_KERNEL(be, axpby, "scaling attention scores", 1.0f / sqrtf((float)m->l), m->s, 0.0f, m->s,
                  (size_t)m->n * m->c * m->c);
        ph_softmax_forward(be, m->s, m->a, (size_t)m->n * m->c, (size_t)m->c);
        ph_bmm_forward(be, &ax, m->a, x, m->o);
    }
    /* y = x + gamma o */
    PH_KERNEL(be, copy2d, "attention output", m->y, x_count, x, x_count, 1, x_count);
    PH_KERNEL(be, axpby, "attention output", gamma_value(m), m->o, 1.0f, m->y, x_count);
}

void ph_attention_backward(ph_attention *m, const float *x, const float *dy, float *dx)
{
    const ph_backend *be = m->be;
    size_t x_count = count_of(m);
    /* dgamma += sum(dy o), as a 1 x 1 product; do = gamma dy (into dtmp) */
    PH_KERNEL(be, binary, "attention backward", PH_BIN_MUL, dy, m->o, m->dtmp, x_count);
    PH_KERNEL(be, sgemm, "attention backward", 0, 0, 1, 1, (int64_t)x_count, 1.0f, m->dtmp,
              (int64_t)x_count, m->ones, 1, 1.0f, m->gamma.g, 1);
    ph_param_grad_added(&m->gamma);
    PH_KERNEL(be, axpby, "attention backward", gamma_value(m), dy, 0.0f, m->dtmp, x_count);
    /* dx starts as the identity path's dy */
    PH_KERNEL(be, copy2d, "attention backward", dx, x_count, dy, x_count, 1, x_count);
    if (m->kind == PH_ATTN_SPATIAL) {
        ph_bmm_shape qk = {m->n, m->l, m->l, m->d, 1, 0}, va = {m->n, m->c, m->l, m->l, 0, 1};
        size_t ns = (size_t)m->n * m->l * m->l;
        ph_bmm_backward(be, &va, m->vb, m->a, m->dtmp, m->dv, m->da);
        ph_softmax_backward(be, m->a, m->da, m->ds, (size_t)m->n * m->l, (size_t)m->l);
        PH_KERNEL(be, axpby, "attention backward", 1.0f / sqrtf((float)m->d), m->ds, 0.0f, m->ds, ns);
        ph_bmm_backward(be, &qk, m->qb, m->kb, m->ds, m->dq, m->dk);
        /* the three projections' input gradients add into dx (o is free now) */
        ph_conv_layer *proj[3] = {&m->q, &m->k, &m->v};
        const float *dproj[3] = {m->dq, m->dk, m->dv};
        for (int i = 0; i < 3; i++) {
            ph_conv_layer_backward(proj[i], x, dproj[i], m->o);
            PH_KERNEL(be, binary, "attention backward", PH_BIN_ADD, dx, m->o, dx, x_count);
        }
    } else {
        ph_bmm_shape xx = {m->n, m->c, m->c, m->l, 0, 1}, ax = {m->n, m->c, m->l, m->c, 0, 0};
        size_t ns = (size_t)m->n * m->c * m->c;
        ph_bmm_backward(be, &ax, m->a, x, m->dtmp, m->da, m->o); /* o <- dx through A X */
        PH_KERNEL(be, binary, "attention backward", PH_BIN_ADD, dx, m->o, dx, x_count);
        ph_softmax_backward(be, m->a, m->da, m->ds, (size_t)m->n * m->c, (size_t)m->c);
        PH_KERNEL(be, axpby, "attention backward", 1.0f / sqrtf((float)m->l), m->ds, 0.0f, m->ds, ns);
        /* S = X X^T: both factors are x */
        ph_bmm_backward(be, &xx, x, x, m->ds, m->o, m->dtmp);
        PH_KERNEL(be, binary, "attention backward", PH_BIN_ADD, dx, m->o, dx, x_count);
        PH_KERNEL(be, binary, "attention backward", PH_BIN_ADD, dx, m->dtmp, dx, x_count);
    }
}

int ph_attention_params(ph_attention *m, ph_param **out, int max)
{
    int k = 0;
    if (m->kind == PH_ATTN_SPATIAL) {
        ph_conv_layer *proj[3] = {&m->q, &m->k, &m->v};
        for (int i = 0; i < 3 && k + 2 <= max; i++) out[k++] = &proj[i]->w, out[k++] = &proj[i]->b;
    }
    if (k < max) out[k++] = &m->gamma;
    return k;
}

double ph_attention_step_flops(const ph_attention *m)
{
    /* three products per pass of the two batched products, forward + backward */
    double t = m->kind == PH_ATTN_SPATIAL ? (double)m->l : (double)m->c;
    double inner = m->kind == PH_ATTN_SPATIAL ? (double)m->d + m->c : 2.0 * m->l;
    double f = 3 * 2.0 * m->n * t * t * inner;
    if (m->kind == PH_ATTN_SPATIAL) f += 3 * (ph_conv_flops(&m->q.s) * 2 + ph_conv_flops(&m->v.s));
    return f;
}

void ph_attention_free(ph_attention *m)
{
    const ph_backend *be = m->be;
    if (m->kind == PH_ATTN_SPATIAL) {
        ph_conv_layer_free(&m->q), ph_conv_layer_free(&m->k), ph_conv_layer_free(&m->v);
        be->free(m->qb), be->free(m->kb), be->free(m->vb), be->free(m->dq), be->free(m->dk), be->free(m->dv);
    }
    ph_param_free(&m->gamma);
    be->free(m->s), be->free(m->a), be->free(m->ds), be->free(m->da);
    be->free(m->o), be->free(m->y), be->free(m->dtmp), be->free(m->ones);
}
