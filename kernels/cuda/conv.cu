// conv.cu: CUDA convolutions through cuDNN (2D and 3D, stride, padding, dilation,
// groups), plain NCHW / NCDHW layouts like the CPU reference.  FMA math (no
// TF32) so results can be compared with the fp32 CPU reference.
#include "cuda.h"

struct conv_descs {
    cudnnHandle_t h = nullptr;
    cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t c = nullptr;
    void *workspace = nullptr;
    ~conv_descs()
    {
        if (x) cudnnDestroyTensorDescriptor(x);
        if (y) cudnnDestroyTensorDescriptor(y);
        if (b) cudnnDestroyTensorDescriptor(b);
        if (w) cudnnDestroyFilterDescriptor(w);
        if (c) cudnnDestroyConvolutionDescriptor(c);
        if (workspace) cudaFree(workspace);
    }
};

static int descs_init(const ph_conv_shape *s, conv_descs *d, char *why, size_t n)
{
    int nd = s->nsp + 2, xd[5] = {s->n, s->c}, yd[5] = {s->n, s->o}, wd[5] = {s->o, s->c / s->groups};
    int bd[5] = {1, s->o, 1, 1, 1}, st[5];
    for (int i = 0; i < s->nsp; i++) xd[2 + i] = s->in[i], yd[2 + i] = s->out[i], wd[2 + i] = s->k[i];
    if (ph_cuda_cudnn_handle(&d->h, why, n)) return -1;
    DNN_TRY(cudnnCreateTensorDescriptor(&d->x), "creating a descriptor");
    DNN_TRY(cudnnCreateTensorDescriptor(&d->y), "creating a descriptor");
    DNN_TRY(cudnnCreateTensorDescriptor(&d->b), "creating a descriptor");
    DNN_TRY(cudnnCreateFilterDescriptor(&d->w), "creating a descriptor");
    DNN_TRY(cudnnCreateConvolutionDescriptor(&d->c), "creating a descriptor");
    ph_cuda_packed_strides(xd, nd, st);
    DNN_TRY(cudnnSetTensorNdDescriptor(d->x, CUDNN_DATA_FLOAT, nd, xd, st), "describing x");
    ph_cuda_packed_strides(yd, nd, st);
    DNN_TRY(cudnnSetTensorNdDescriptor(d->y, CUDNN_DATA_FLOAT, nd, yd, st), "describing y");
    ph_cuda_packed_strides(bd, nd, st);
    DNN_TRY(cudnnSetTensorNdDescriptor(d->b, CUDNN_DATA_FLOAT, nd, bd, st), "describing the bias");
    DNN_TRY(cudnnSetFilterNdDescriptor(d->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, nd, wd),
            "describing the weights");
    DNN_TRY(cudnnSetConvolutionNdDescriptor(d->c, s->nsp, s->pad, s->stride, s->dil,
                                            CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
            "describing the convolution");
    DNN_TRY(cudnnSetConvolutionGroupCount(d->c, s->groups), "setting groups");
    DNN_TRY(cudnnSetConvolutionMathType(d->c, CUDNN_FMA_MATH), "disabling TF32");
    return 0;
done:
    return -1;
}

static int workspace(conv_descs *d, size_t bytes, char *why, size_t n)
{
    if (bytes) CUDA_TRY(cudaMalloc(&d->workspace, bytes), "allocating cuDNN workspace");
    return 0;
}

static const float one = 1.f, zero = 0.f;

/* cuDNN's convolutions here take fp32 (no tensor-core math, see descs_init). */
extern "C" int ph_cuda_conv_precision(ph_precision precision, char *why, size_t n)
{
    if (precision == PH_PRECISION_FP32) return 0;
    return snprintf(why, n, "the CUDA backend has no %s convolutions; use precision = fp32 on the GPU",
                    ph_precision_names[precision]),
           -1;
}

extern "C" int ph_cuda_conv_forward(const ph_conv_shape *s, const float *x, const float *w,
                                    const float *b, float *y, char *why, size_t n)
{
    conv_descs d;
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    int got = 0;
    if (descs_init(s, &d, why, n)) return -1;
    DNN_TRY(cudnnGetConvolutionForwardAlgorithm_v7(d.h, d.x, d.w, d.c, d.y, 8, &got, perf),
            "choosing a forward algorithm");
    if (workspace(&d, perf[0].memory, why, n)) return -1;
    DNN_TRY(cudnnConvolutionForward(d.h, &one, d.x, x, d.w, w, d.c, perf[0].algo, d.workspace,
                                    perf[0].memory, &zero, d.y, y),
            "running a forward convolution");
    if (b) DNN_TRY(cudnnAddTensor(d.h, &one, d.b, b, &one, d.y, y), "adding the bias");
    return 0;
done:
    return -1;
}

extern "C" int ph_cuda_conv_backward_data(const ph_conv_shape *s, const float *dy, const float *w,
                                          float *dx, char *why, size_t n)
{
    conv_descs d;
    cudnnConvolutionBwdDataAlgoPerf_t perf[8];
    int got = 0;
    if (descs_init(s, &d, why, n)) return -1;
    DNN_TRY(cudnnGetConvolutionBackwardDataAlgorithm_v7(d.h, d.w, d.y, d.c, d.x, 8, &got, perf),
            "choosing a backward-data algorithm");
    if (workspace(&d, perf[0].memory, why, n)) return -1;
    DNN_TRY(cudnnConvolutionBackwardData(d.h, &one, d.w, w, d.y, dy, d.c, perf[0].algo,
                                         d.workspace, perf[0].memory, &zero, d.x, dx),
            "running a backward-data convolution");
    return 0;
done:
    return -1;
}

extern "C" int ph_cuda_conv_backward_weights(const ph_conv_shape *s, const float *x,
                                             const float *dy, float *dw, float *db, char *why,
                                             size_t n)
{
    conv_descs d;
    cudnnConvolutionBwdFilterAlgoPerf_t perf[8];
    int got = 0;
    if (descs_init(s, &d, why, n)) return -1;
    DNN_TRY(cudnnGetConvolutionBackwardFilterAlgorithm_v7(d.h, d.x, d.y, d.c, d.w, 8, &got, perf),
            "choosing a backward-weights algorithm");
    if (workspace(&d, perf[0].memory, why, n)) return -1;
    DNN_TRY(cudnnConvolutionBackwardFilter(d.h, &one, d.x, x, d.y, dy, d.c, perf[0].algo,
                                           d.workspace, perf[0].memory, &zero, d.w, dw),
            "running a backward-weights convolution");
    if (db) DNN_TRY(cudnnConvolutionBackwardBias(d.h, &one, d.y, dy, &zero, d.b, db),
                    "summing the bias gradient");
    return 0;
done:
    return -1;
}
