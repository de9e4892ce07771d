// elementwise.cu: CUDA element-wise ops on device pointers (u8 input affine,
// binary ops, axpby, fill, strided block copy, global average pooling).
// Arithmetic uses explicitly rounded intrinsics where the compiler would fuse a
// multiply and an add, so results match the CPU's separately rounded operations.
#include "cuda.h"

// x * scale + shift rounded twice, as the CPU computes it (a fused fmaf can differ by an ulp).
__device__ static inline float affine(uint8_t x, float scale, float shift)
{
    return __fadd_rn(__fmul_rn((float)x, scale), shift);
}

// Four bytes in, one float4 out per step: full-width loads and stores.
__global__ static void u8_affine4(const uchar4 *src, float4 *dst, size_t n4, float scale,
                                  float shift)
{
    PH_CUDA_FOR(i, n4)
    {
        uchar4 v = src[i];
        dst[i] = make_float4(affine(v.x, scale, shift), affine(v.y, scale, shift), affine(v.z, scale, shift),
                             affine(v.w, scale, shift));
    }
}

__global__ static void u8_affine1(const uint8_t *src, float *dst, size_t count, float scale,
                                  float shift)
{
    PH_CUDA_FOR(i, count) dst[i] = affine(src[i], scale, shift);
}

extern "C" int ph_cuda_u8_affine(const uint8_t *src, float *dst, size_t count, float scale,
                                 float shift, char *why, size_t n)
{
    size_t n4 = ((uintptr_t)src % 4 == 0 && (uintptr_t)dst % 16 == 0) ? count / 4 : 0;
    if (n4) u8_affine4<<<ph_cuda_grid(n4), 256>>>((const uchar4 *)src, (float4 *)dst, n4, scale, shift);
    if (count > 4 * n4)
        u8_affine1<<<ph_cuda_grid(count - 4 * n4), 256>>>(src + 4 * n4, dst + 4 * n4,
                                                          count - 4 * n4, scale, shift);
    CUDA_LAUNCHED("launching u8_affine");
    return 0;
}

template <ph_binop op> __global__ static void binary_k(const float *a, const float *b, float *y,
                                                       size_t count)
{
    PH_CUDA_FOR(i, count)
    {
        float u = a[i], v = b[i];
        y[i] = op == PH_BIN_ADD ? u + v : op == PH_BIN_SUB ? u - v : u * v;
    }
}

extern "C" int ph_cuda_binary(ph_binop op, const float *a, const float *b, float *y, size_t count,
                              char *why, size_t n)
{
    int g = ph_cuda_grid(count);
    if (op < 0 || op >= PH_BIN_COUNT) return snprintf(why, n, "unknown binary op %d", (int)op), -1;
    if (!count) return 0;
    switch (op) {
    case PH_BIN_ADD: binary_k<PH_BIN_ADD><<<g, 256>>>(a, b, y, count); break;
    case PH_BIN_SUB: binary_k<PH_BIN_SUB><<<g, 256>>>(a, b, y, count); break;
    case PH_BIN_MUL: binary_k<PH_BIN_MUL><<<g, 256>>>(a, b, y, count); break;
    default: return snprintf(why, n, "unknown binary op %d", (int)op), -1;
    }
    CUDA_LAUNCHED("launching binary");
    return 0;
}

__global__ static void axpby_k(float alpha, const float *x, float beta, float *y, size_t count)
{
    PH_CUDA_FOR(i, count) y[i] = __fadd_rn(__fmul_rn(alpha, x[i]), __fmul_rn(beta, y[i]));
}

// beta = 0 must not read y (it may hold NaN or garbage).
__global__ static void scale_k(float alpha, const float *x, float *y, size_t count)
{
    PH_CUDA_FOR(i, count) y[i] = __fmul_rn(alpha, x[i]);
}

extern "C" int ph_cuda_axpby(float alpha, const float *x, float beta, float *y, size_t count,
                             char *why, size_t n)
{
    if (!count) return 0;
    if (beta == 0.f) scale_k<<<ph_cuda_grid(count), 256>>>(alpha, x, y, count);
    else axpby_k<<<ph_cuda_grid(count), 256>>>(alpha, x, beta, y, count);
    CUDA_LAUNCHED("launching axpby");
    return 0;
}

__global__ static void fill_k(float *x, float value, size_t count)
{
    PH_CUDA_FOR(i, count) x[i] = value;
}

extern "C" int ph_cuda_fill(float *x, float value, size_t count, char *why, size_t n)
{
    if (count) fill_k<<<ph_cuda_grid(count), 256>>>(x, value, count);
    CUDA_LAUNCHED("launching fill");
    return 0;
}

extern "C" int ph_cuda_copy2d(float *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                              size_t cols, char *why, size_t n)
{
    if (!rows || !cols) return 0;
    if (ldd < cols || lds < cols)
        return snprintf(why, n, "copy2d: leading dimensions %zu, %zu are below %zu columns", ldd,
                        lds, cols), -1;
    CUDA_TRY(cudaMemcpy2D(dst, ldd * sizeof(float), src, lds * sizeof(float),
                          cols * sizeof(float), rows, cudaMemcpyDeviceToDevice),
             "copy2d");
    return 0;
}

// One block per plane; a fixed-order tree reduction, so results are reproducible.
__global__ static void avgpool_fwd(const float *x, float *y, size_t spatial)
{
    __shared__ double part[PH_CUDA_REDUCE_THREADS];
    const float *p = x + blockIdx.x * spatial;
    double s = 0;
    for (size_t j = threadIdx.x; j < spatial; j += blockDim.x) s += p[j];
    part[threadIdx.x] = s;
    ph_cuda_block_sum(part);
    if (threadIdx.x == 0) y[blockIdx.x] = (float)(part[0] / (double)spatial);
}

__global__ static void avgpool_bwd(const float *dy, float *dx, size_t planes, size_t spatial)
{
    PH_CUDA_FOR(i, planes * spatial) dx[i] = dy[i / spatial] / (float)spatial;
}

extern "C" int ph_cuda_avgpool_global_forward(const float *x, float *y, size_t planes,
                                              size_t spatial, char *why, size_t n)
{
    if (planes > 2147483647u) return snprintf(why, n, "too many planes for one grid"), -1;
    if (planes) avgpool_fwd<<<(unsigned)planes, PH_CUDA_REDUCE_THREADS>>>(x, y, spatial);
    CUDA_LAUNCHED("launching avgpool_global_forward");
    return 0;
}

extern "C" int ph_cuda_avgpool_global_backward(const float *dy, float *dx, size_t planes,
                                               size_t spatial, char *why, size_t n)
{
    if (planes != 0 && spatial != 0) avgpool_bwd<<<ph_cuda_grid(planes * spatial), 256>>>(dy, dx, planes, spatial);
    CUDA_LAUNCHED("launching avgpool_global_backward");
    return 0;
}
