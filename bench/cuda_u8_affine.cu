// cuda_u8_affine.cu: GPU throughput of the u8_affine kernel against the device's own
// copy bandwidth (cudaMemcpy device-to-device) measured in the same run.
//   build/bench/cuda_u8_affine [elements]     (default 2^28; needs a GPU)
#include "../kernels/kernels.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <algorithm>
#include <vector>

#define CK(call)                                                                            \
    do {                                                                                    \
        cudaError_t e_ = (call);                                                            \
        if (e_ != cudaSuccess) {                                                            \
            fprintf(stderr, "cuda_u8_affine: %s failed: %s [%s:%d]\n", #call,              \
                    cudaGetErrorString(e_), __FILE__, __LINE__);                            \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)

static float median(std::vector<float> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int main(int argc, char **argv)
{
    // Arguments first, so a bad one is refused the same way with or without a GPU.
    size_t n = (size_t)1 << 28;
    static const char usage[] = "usage: bench/cuda_u8_affine [ELEMENTS]";
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        printf("%s\n\nGPU throughput of the u8 -> float affine kernel against a device-to-device copy in the\n"
               "same run (default 2^28 elements; prints a 'skipped' line without a GPU).\n", usage);
        return 0;
    }
    if (argc > 2) {
        fprintf(stderr, "bench/cuda_u8_affine: one argument at most (%s)\n", usage);
        return 2;
    }
    if (argc == 2) {
        char *end;
        unsigned long long v = strtoull(argv[1], &end, 10);
        if (*end || argv[1][0] == '-' || v < 1 || v > ((unsigned long long)1 << 34)) {
            fprintf(stderr, "bench/cuda_u8_affine: ELEMENTS must be a whole number 1..2^34, not '%s'\n", argv[1]);
            return 2;
        }
        n = (size_t)v;
    }
    char why[256] = "";
    if (ph_cuda_device_count(why, sizeof why) == 0) {
        printf("cuda_u8_affine: skipped: %s\n", why);
        return 0;
    }
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    uint8_t *src;
    float *dst, *copy;
    CK(cudaMalloc(&src, n));
    CK(cudaMalloc(&dst, n * sizeof(float)));
    CK(cudaMalloc(&copy, n * sizeof(float)));
    CK(cudaMemset(src, 7, n));
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    const int reps = 20;
    std::vector<float> t_kernel, t_copy;
    for (int r = 0; r < reps + 3; r++) {
        float ms;
        CK(cudaEventRecord(a));
        if (ph_backend_cuda.u8_affine(src, dst, n, 1.0f / 255, 0, why, sizeof why)) {
            fprintf(stderr, "cuda_u8_affine: %s\n", why);
            return 1;
        }
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        CK(cudaEventElapsedTime(&ms, a, b));
        if (r >= 3) t_kernel.push_back(ms);
        CK(cudaEventRecord(a));
        CK(cudaMemcpy(copy, dst, n * sizeof(float), cudaMemcpyDeviceToDevice));
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        CK(cudaEventElapsedTime(&ms, a, b));
        if (r >= 3) t_copy.push_back(ms);
    }
    // Bytes moved: the kernel reads n and writes 4n; a copy reads and writes 4n.
    double k_ms = median(t_kernel), c_ms = median(t_copy);
    double k_gbs = 5.0 * n / (k_ms * 1e6), c_gbs = 8.0 * n / (c_ms * 1e6);
    printf("device: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
    printf("u8_affine, %zu elements: %.3f ms median of %d, %.0f GB/s; device-to-device copy "
           "%.0f GB/s in the same run; ratio %.2f\n", n, k_ms, reps, k_gbs, c_gbs, k_gbs / c_gbs);
    cudaFree(src), cudaFree(dst), cudaFree(copy);
    return 0;
}
