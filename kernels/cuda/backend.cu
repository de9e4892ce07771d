// backend.cu: the CUDA backend table, device discovery and device memory.
#include "cell.h"
#include "cuda.h"
#include "featvis.h"

extern "C" int ph_cuda_device_count(char *why, size_t n)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(why, n, "no CUDA device: %s", cudaGetErrorString(e));
        cudaGetLastError(); // clear the sticky error
        return 0;
    }
    if (count == 0) snprintf(why, n, "no CUDA device present");
    return count;
}

static void *cuda_alloc(size_t bytes)
{
    void *p = nullptr;
    return cudaMalloc(&p, bytes ? bytes : 1) == cudaSuccess ? p : nullptr;
}

static void cuda_free(void *p) { cudaFree(p); }

static int cuda_upload(void *dst, const void *host, size_t bytes, char *why, size_t n)
{
    CUDA_TRY(cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice), "copying to the device");
    return 0;
}

static int cuda_download(void *host, const void *src, size_t bytes, char *why, size_t n)
{
    CUDA_TRY(cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost), "copying from the device");
    return 0;
}

// Designated initializers (C++20, in declaration order): a field left out is caught
// by tests/unit/test_kernels.c.
extern "C" const ph_backend ph_backend_cuda = {
    .name = "cuda",
    .alloc = cuda_alloc,
    .free = cuda_free,
    .upload = cuda_upload,
    .download = cuda_download,
    .u8_affine = ph_cuda_u8_affine,
    .sgemm = ph_cuda_sgemm,
    .conv_forward = ph_cuda_conv_forward,
    .conv_backward_data = ph_cuda_conv_backward_data,
    .conv_backward_weights = ph_cuda_conv_backward_weights,
    .avgpool_global_forward = ph_cuda_avgpool_global_forward,
    .avgpool_global_backward = ph_cuda_avgpool_global_backward,
    .adam_update = ph_cuda_adam_update,
    .sgd_update = ph_cuda_sgd_update,
    .act_forward = ph_cuda_act_forward,
    .act_backward = ph_cuda_act_backward,
    .binary = ph_cuda_binary,
    .axpby = ph_cuda_axpby,
    .fill = ph_cuda_fill,
    .copy2d = ph_cuda_copy2d,
    .pool_forward = ph_cuda_pool_forward,
    .pool_backward = ph_cuda_pool_backward,
    .norm_moments = ph_cuda_norm_moments,
    .norm_forward = ph_cuda_norm_forward,
    .norm_backward_sums = ph_cuda_norm_backward_sums,
    .norm_backward_apply = ph_cuda_norm_backward_apply,
    .sgemm_batched = ph_cuda_sgemm_batched,
    .softmax_forward = ph_cuda_softmax_forward,
    .softmax_backward = ph_cuda_softmax_backward,
    .resize_forward = ph_cuda_resize_forward,
    .resize_backward = ph_cuda_resize_backward,
    .polar_forward = ph_cuda_polar_forward,
    .polar_backward = ph_cuda_polar_backward,
    .abs_arg_forward = ph_cuda_abs_arg_forward,
    .abs_arg_backward = ph_cuda_abs_arg_backward,
    .cell_attend_forward = ph_cuda_cell_attend_forward,
    .cell_attend_backward = ph_cuda_cell_attend_backward,
    .cell_inhibit_forward = ph_cuda_cell_inhibit_forward,
    .cell_inhibit_backward = ph_cuda_cell_inhibit_backward,
    .cell_excite_forward = ph_cuda_cell_excite_forward,
    .cell_excite_backward = ph_cuda_cell_excite_backward,
    .cplx_magphase_forward = ph_cuda_cplx_magphase_forward,
    .cplx_magphase_backward = ph_cuda_cplx_magphase_backward,
    .cplx_polar_act_forward = ph_cuda_cplx_polar_act_forward,
    .cplx_polar_act_backward = ph_cuda_cplx_polar_act_backward,
    .fft_r2c = ph_cuda_fft_r2c,
    .fft_c2r = ph_cuda_fft_c2r,
    .fft_c2r_backward = ph_cuda_fft_c2r_backward,
    .crop_resize_forward = ph_cuda_crop_resize_forward,
    .crop_resize_backward = ph_cuda_crop_resize_backward,
    .nadam_update = ph_cuda_nadam_update,
};
