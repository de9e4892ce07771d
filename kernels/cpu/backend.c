/* backend.c: the CPU backend table (the reference) and host memory. */
#include "cell.h"
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

const char *const ph_device_names[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = "cpu",
                                                      [PH_DEVICE_CUDA] = "cuda"};

static void *cpu_alloc(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }
static void cpu_free(void *p) { free(p); }

static int cpu_copy(void *dst, const void *src, size_t bytes, char *why, size_t n)
{
    (void)why, (void)n;
    memcpy(dst, src, bytes);
    return 0;
}

const ph_backend ph_backend_cpu = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .u8_affine = ph_cpu_u8_affine,
    .sgemm = ph_cpu_sgemm,
    .conv_forward = ph_cpu_conv_forward,
    .conv_backward_data = ph_cpu_conv_backward_data,
    .conv_backward_weights = ph_cpu_conv_backward_weights,
    .avgpool_global_forward = ph_cpu_avgpool_global_forward,
    .avgpool_global_backward = ph_cpu_avgpool_global_backward,
    .adam_update = ph_cpu_adam_update,
    .sgd_update = ph_cpu_sgd_update,
    .act_forward = ph_cpu_act_forward,
    .act_backward = ph_cpu_act_backward,
    .binary = ph_cpu_binary,
    .axpby = ph_cpu_axpby,
    .fill = ph_cpu_fill,
    .copy2d = ph_cpu_copy2d,
    .pool_forward = ph_cpu_pool_forward,
    .pool_backward = ph_cpu_pool_backward,
    .norm_moments = ph_cpu_norm_moments,
    .norm_forward = ph_cpu_norm_forward,
    .norm_backward_sums = ph_cpu_norm_backward_sums,
    .norm_backward_apply = ph_cpu_norm_backward_apply,
    .sgemm_batched = ph_cpu_sgemm_batched,
    .softmax_forward = ph_cpu_softmax_forward,
    .softmax_backward = ph_cpu_softmax_backward,
    .resize_forward = ph_cpu_resize_forward,
    .resize_backward = ph_cpu_resize_backward,
    .polar_forward = ph_cpu_polar_forward,
    .polar_backward = ph_cpu_polar_backward,
    .abs_arg_forward = ph_cpu_abs_arg_forward,
    .abs_arg_backward = ph_cpu_abs_arg_backward,
    .cell_attend_forward = ph_cpu_cell_attend_forward,
    .cell_attend_backward = ph_cpu_cell_attend_backward,
    .cell_inhibit_forward = ph_cpu_cell_inhibit_forward,
    .cell_inhibit_backward = ph_cpu_cell_inhibit_backward,
    .cell_excite_forward = ph_cpu_cell_excite_forward,
    .cell_excite_backward = ph_cpu_cell_excite_backward,
    .cplx_magphase_forward = ph_cpu_cplx_magphase_forward,
    .cplx_magphase_backward = ph_cpu_cplx_magphase_backward,
    .cplx_polar_act_forward = ph_cpu_cplx_polar_act_forward,
    .cplx_polar_act_backward = ph_cpu_cplx_polar_act_backward,
    .fft_r2c = ph_cpu_fft_r2c,
    .fft_c2r = ph_cpu_fft_c2r,
    .fft_c2r_backward = ph_cpu_fft_c2r_backward,
    .crop_resize_forward = ph_cpu_crop_resize_forward,
    .crop_resize_backward = ph_cpu_crop_resize_backward,
    .nadam_update = ph_cpu_nadam_update,
};

const ph_backend *const ph_backends[PH_DEVICE_COUNT] = {[PH_DEVICE_CPU] = &ph_backend_cpu,
                                                        [PH_DEVICE_CUDA] = &ph_backend_cuda};
