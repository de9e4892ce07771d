/* layers.c: layers without trainable state -- activations, pooling,
 * concatenation, batched products and softmax (attention), resizing and the
 * Gaussian blur of image pyramids. */
#include "nn.h"

#include <stdlib.h>

void ph_act_forward(const ph_backend *be, ph_act kind, const float *x, float *y, size_t count)
{
    if (kind == PH_ACT_RELU && ph_relu_freeze_get() != PH_RELU_LIVE) {
        const float *ref = ph_relu_freeze_ref(be, x, count);
        if (ph_relu_freeze_get() == PH_RELU_FROZEN) { /* y = x . [ref > 0]: ReLU's backward with dy = x */
            PH_KERNEL(be, act_backward, "running a frozen ReLU", kind, ref, ref, x, y, count);
            return;
        }
    }
    PH_KERNEL(be, act_forward, "running an activation", kind, x, y, count);
}

void ph_act_backward(const ph_backend *be, ph_act kind, const float *x, const float *y,
                     const float *dy, float *dx, size_t count)
{
    if (kind == PH_ACT_RELU && ph_relu_freeze_get() == PH_RELU_FROZEN) {
        const float *ref = ph_relu_freeze_ref(be, x, count);
        PH_KERNEL(be, act_backward, "running a frozen ReLU backward", kind, ref, ref, dy, dx, count);
        return;
    }
    PH_KERNEL(be, act_backward, "running an activation backward", kind, x, y, dy, dx, count);
}

void ph_pool_init(ph_pool_layer *l, const ph_backend *be, ph_pool_shape s)
{
    char why[256];
    if (ph_pool_shape_init(&s, why, sizeof why))
        PH_FAIL("building a pooling layer", why, "check the model's layer sizes");
    l->be = be, l->s = s;
}

void ph_pool_forward(const ph_pool_layer *l, const float *x, float *y)
{
    PH_KERNEL(l->be, pool_forward, "running a pooling", &l->s, x, y);
}

void ph_pool_backward(const ph_pool_layer *l, const float *x, const float *y, const float *dy,
                      float *dx)
{
    PH_KERNEL(l->be, pool_backward, "running a pooling backward", &l->s, x, y, dy, dx);
}

static size_t channels_total(int parts, const int *c)
{
    size_t t = 0;
    for (int i = 0; i < parts; i++) t += (size_t)c[i];
    return t;
}

void ph_concat(const ph_backend *be, int n, size_t s, int parts, const int *c,
               const float *const *x, float *y)
{
    size_t ld = channels_total(parts, c) * s, off = 0;
    for (int i = 0; i < parts; i++) {
        PH_KERNEL(be, copy2d, "concatenating", y + off, ld, x[i], (size_t)c[i] * s, (size_t)n,
                  (size_t)c[i] * s);
        off += (size_t)c[i] * s;
    }
}

void ph_split(const ph_backend *be, int n, size_t s, int parts, const int *c, const float *y,
              float *const *x)
{
    size_t ld = channels_total(parts, c) * s, off = 0;
    for (int i = 0; i < parts; i++) {
        PH_KERNEL(be, copy2d, "splitting", x[i], (size_t)c[i] * s, y + off, ld, (size_t)n,
                  (size_t)c[i] * s);
        off += (size_t)c[i] * s;
    }
}

/* Leading dimensions of the stored (untransposed) matrices, row-major. */
static void bmm_lds(const ph_bmm_shape *s, int64_t *lda, int64_t *ldb)
{
    *lda = s->ta ? s->m : s->k; /* a is stored k x m when transposed */
    *ldb = s->tb ? s->k : s->n;
}

void ph_bmm_forward(const ph_backend *be, const ph_bmm_shape *s, const float *a, const float *b,
                    float *y)
{
    int64_t lda, ldb;
    bmm_lds(s, &lda, &ldb);
    int64_t mk = (int64_t)s->m * s->k, kn = (int64_t)s->k * s->n, mn = (int64_t)s->m * s->n;
    PH_KERNEL(be, sgemm_batched, "running a batched product", s->ta, s->tb, s->m, s->n, s->k, 1.0f,
              a, lda, mk, b, ldb, kn, 0.0f, y, s->n, mn, s->batch);
}

void ph_bmm_backward(const ph_backend *be, const ph_bmm_shape *s, const float *a, const float *b,
                     const float *dy, float *da, float *db)
{
    int64_t lda, ldb;
    bmm_lds(s, &lda, &ldb);
    int64_t mk = (int64_t)s->m * s->k, kn = (int64_t)s->k * s->n, mn = (int64_t)s->m * s->n;
    /* Y = A' B' with A' = op(A), B' = op(B): dA' = dY B'^T, dB' = A'^T dY;
     * when A is stored transposed, dA = dA'^T = B' dY^T (likewise for B). */
    if (da) {
        if (!s->ta)
            PH_KERNEL(be, sgemm_batched, "running a batched product backward", 0, !s->tb, s->m,
                      s->k, s->n, 1.0f, dy, s->n, mn, b, ldb, kn, 0.0f, da, lda, mk, s->batch);
        else
            PH_KERNEL(be, sgemm_batched, "running a batched product backward", s->tb, 1, s->k,
                      s->m, s->n, 1.0f, b, ldb, kn, dy, s->n, mn, 0.0f, da, lda, mk, s->batch);
    }
    if (db) {
        if (!s->tb)
            PH_KERNEL(be, sgemm_batched, "running a batched product backward", !s->ta, 0, s->k,
                      s->n, s->m, 1.0f, a, lda, mk, dy, s->n, mn, 0.0f, db, ldb, kn, s->batch);
        else
            PH_KERNEL(be, sgemm_batched, "running a batched product backward", 1, s->ta, s->n,
                      s->k, s->m, 1.0f, dy, s->n, mn, a, lda, mk, 0.0f, db, ldb, kn, s->batch);
    }
}

void ph_softmax_forward(const ph_backend *be, const float *x, float *y, size_t rows, size_t cols)
{
    PH_KERNEL(be, softmax_forward, "running a softmax", x, y, rows, cols);
}

void ph_softmax_backward(const ph_backend *be, const float *y, const float *dy, float *dx,
                         size_t rows, size_t cols)
{
    PH_KERNEL(be, softmax_backward, "running a softmax backward", y, dy, dx, rows, cols);
}

void ph_resize_forward(const ph_backend *be, const float *x, float *y, size_t planes, int ih,
                       int iw, int oh, int ow)
{
    PH_KERNEL(be, resize_forward, "resizing", x, y, planes, ih, iw, oh, ow);
}

void ph_resize_backward(const ph_backend *be, const float *dy, float *dx, size_t planes, int ih,
                        int iw, int oh, int ow)
{
    PH_KERNEL(be, resize_backward, "resizing backward", dy, dx, planes, ih, iw, oh, ow);
}

void ph_blur_init(ph_blur_layer *l, const ph_backend *be, int n, int c, int h, int w, int stride)
{
    static const float tap[5] = {1, 4, 6, 4, 1};
    l->be = be;
    l->s = (ph_conv_shape){2, n, c, c, c, {h, w}, {5, 5}, {stride, stride}, {2, 2}, {1, 1}, {0}};
    char why[256];
    if (ph_conv_shape_init(&l->s, why, sizeof why))
        PH_FAIL("building a blur layer", why, "the image is too small for a 5x5 blur");
    float *k = malloc((size_t)c * 25 * sizeof *k);
    PH_CHECK_ALLOC(k, "building a blur layer");
    for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < 25; i++) k[ch * 25 + i] = tap[i / 5] * tap[i % 5] / 256.0f;
    l->k = ph_dev_alloc(be, (size_t)c * 25);
    ph_dev_upload(be, l->k, k, (size_t)c * 25);
    free(k);
}

void ph_blur_forward(const ph_blur_layer *l, const float *x, float *y)
{
    PH_KERNEL(l->be, conv_forward, "blurring", &l->s, x, l->k, NULL, y);
}

void ph_blur_backward(const ph_blur_layer *l, const float *dy, float *dx)
{
    PH_KERNEL(l->be, conv_backward_data, "blurring backward", &l->s, dy, l->k, dx);
}

void ph_blur_free(ph_blur_layer *l) { l->be->free(l->k); }
