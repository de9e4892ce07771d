// pool.cu: CUDA window pooling (max, average without padding taps), 2D and 3D,
// plain NC(D)HW layouts.  cuDNN runs both forward passes and the average backward.
// The max backward is an own gather kernel: the interface routes each gradient to
// the first maximum of its window in scan order, a tie rule cuDNN does not
// document.  The gather (one thread per input element, summing the windows whose
// first maximum it is, in ascending order) needs no atomics and gives the same
// bits on every run.
#include "cuda.h"

struct pool_descs {
    cudnnHandle_t h = nullptr;
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnPoolingDescriptor_t p = nullptr;
    ~pool_descs()
    {
        if (x) cudnnDestroyTensorDescriptor(x);
        if (y) cudnnDestroyTensorDescriptor(y);
        if (p) cudnnDestroyPoolingDescriptor(p);
    }
};

static int descs_init(const ph_pool_shape *s, pool_descs *d, char *why, size_t n)
{
    int nd = s->nsp + 2, xd[5] = {s->n, s->c}, yd[5] = {s->n, s->c}, st[5];
    for (int i = 0; i < s->nsp; i++) xd[2 + i] = s->in[i], yd[2 + i] = s->out[i];
    cudnnPoolingMode_t mode = s->kind == PH_POOL_MAX ? CUDNN_POOLING_MAX_DETERMINISTIC
                                                     : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    if (ph_cuda_cudnn_handle(&d->h, why, n)) return -1;
    DNN_TRY(cudnnCreateTensorDescriptor(&d->x), "creating a descriptor");
    DNN_TRY(cudnnCreateTensorDescriptor(&d->y), "creating a descriptor");
    DNN_TRY(cudnnCreatePoolingDescriptor(&d->p), "creating a pooling descriptor");
    ph_cuda_packed_strides(xd, nd, st);
    DNN_TRY(cudnnSetTensorNdDescriptor(d->x, CUDNN_DATA_FLOAT, nd, xd, st), "describing x");
    ph_cuda_packed_strides(yd, nd, st);
    DNN_TRY(cudnnSetTensorNdDescriptor(d->y, CUDNN_DATA_FLOAT, nd, yd, st), "describing y");
    DNN_TRY(cudnnSetPoolingNdDescriptor(d->p, mode, CUDNN_NOT_PROPAGATE_NAN, s->nsp, s->k, s->pad,
                                        s->stride),
            "describing the pooling");
    return 0;
done:
    return -1;
}

// The geometry as 3D (a 2D shape gets a leading axis of size 1), passed by value.
struct pool3 {
    int in[3], k[3], stride[3], pad[3], out[3];
};

static pool3 pool3_of(const ph_pool_shape *s)
{
    pool3 g;
    int lead = 3 - s->nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - lead;
        g.in[i] = j < 0 ? 1 : s->in[j], g.k[i] = j < 0 ? 1 : s->k[j];
        g.stride[i] = j < 0 ? 1 : s->stride[j], g.pad[i] = j < 0 ? 0 : s->pad[j];
        g.out[i] = j < 0 ? 1 : s->out[j];
    }
    return g;
}

__host__ __device__ static inline int imin(int a, int b) { return a < b ? a : b; }
__host__ __device__ static inline int imax(int a, int b) { return a > b ? a : b; }

// Index inside the plane of the first maximum of window o (padding taps skipped).
__host__ __device__ static size_t window_argmax(const pool3 &g, const float *plane, const int *o)
{
    size_t best_at = 0;
    float best = 0.f;
    bool found = false;
    int q0[3];
    for (int i = 0; i < 3; i++) q0[i] = o[i] * g.stride[i] - g.pad[i];
    for (int a = imax(q0[0], 0); a < imin(q0[0] + g.k[0], g.in[0]); a++)
        for (int b = imax(q0[1], 0); b < imin(q0[1] + g.k[1], g.in[1]); b++)
            for (int c = imax(q0[2], 0); c < imin(q0[2] + g.k[2], g.in[2]); c++) {
                size_t at = ((size_t)a * g.in[1] + b) * g.in[2] + c;
                float v = plane[at];
                if (!found || v > best) best = v, best_at = at, found = true;
            }
    return best_at;
}

// dx at input element e: dy of every window (ascending) whose first maximum is e.
__host__ __device__ static float max_grad_at(const pool3 &g, const float *x, const float *dy,
                                             size_t e)
{
    const size_t nin = (size_t)g.in[0] * g.in[1] * g.in[2];
    const size_t nout = (size_t)g.out[0] * g.out[1] * g.out[2];
    size_t plane = e / nin, at = e % nin;
    int p[3] = {(int)(at / ((size_t)g.in[1] * g.in[2])), (int)(at / g.in[2] % g.in[1]),
                (int)(at % g.in[2])};
    int lo[3], hi[3];
    for (int i = 0; i < 3; i++) {
        int first = p[i] + g.pad[i] - g.k[i] + 1; // windows o with o*stride - pad + k > p
        lo[i] = first <= 0 ? 0 : (first + g.stride[i] - 1) / g.stride[i];
        hi[i] = imin((p[i] + g.pad[i]) / g.stride[i], g.out[i] - 1);
    }
    const float *xp = x + plane * nin, *dyp = dy + plane * nout;
    float sum = 0.f;
    int o[3];
    for (o[0] = lo[0]; o[0] <= hi[0]; o[0]++)
        for (o[1] = lo[1]; o[1] <= hi[1]; o[1]++)
            for (o[2] = lo[2]; o[2] <= hi[2]; o[2]++)
                if (window_argmax(g, xp, o) == at)
                    sum += dyp[((size_t)o[0] * g.out[1] + o[1]) * g.out[2] + o[2]];
    return sum;
}

__global__ static void max_bwd(pool3 g, const float *x, const float *dy, float *dx, size_t count)
{
    PH_CUDA_FOR(e, count) dx[e] = max_grad_at(g, x, dy, e);
}

static const float one = 1.f, zero = 0.f;

static int check_shape(const ph_pool_shape *s, char *why, size_t n)
{
    ph_pool_shape t = *s; // recompute the output size: a stale shape would read out of bounds
    if (ph_pool_shape_init(&t, why, n)) return -1;
    for (int i = 0; i < s->nsp; i++)
        if (t.out[i] != s->out[i])
            return snprintf(why, n, "pooling shape not initialised (ph_pool_shape_init)"), -1;
    return 0;
}

extern "C" int ph_cuda_pool_forward(const ph_pool_shape *s, const float *x, float *y, char *why,
                                    size_t n)
{
    pool_descs d;
    if (check_shape(s, why, n) || descs_init(s, &d, why, n)) return -1;
    DNN_TRY(cudnnPoolingForward(d.h, d.p, &one, d.x, x, &zero, d.y, y), "running pooling forward");
    return 0;
done:
    return -1;
}

extern "C" int ph_cuda_pool_backward(const ph_pool_shape *s, const float *x, const float *y,
                                     const float *dy, float *dx, char *why, size_t n)
{
    if (check_shape(s, why, n)) return -1;
    if (s->kind == PH_POOL_MAX) {
        size_t count = ph_pool_x_count(s);
        max_bwd<<<ph_cuda_grid(count), 256>>>(pool3_of(s), x, dy, dx, count);
        CUDA_LAUNCHED("launching max pooling backward");
        return 0;
    }
    pool_descs d;
    if (descs_init(s, &d, why, n)) return -1;
    DNN_TRY(cudnnPoolingBackward(d.h, d.p, &one, d.y, y, d.y, dy, d.x, x, &zero, d.x, dx),
            "running pooling backward");
    return 0;
done:
    return -1;
}
