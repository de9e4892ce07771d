#!/usr/bin/env bash
# gpu_check.sh: on a machine with an NVIDIA GPU, build the CUDA kernels without the
# rest of phasor (no MPI or HDF5 needed), run the backend-comparison test and the
# GPU benchmark.  cmocka comes from the system or from CMOCKA_DIR (include/, lib/).
#   scripts/gpu_check.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/phasor-gpu}
mkdir -p "$out"
b=$(mktemp -d)
cuda=${CUDA_HOME:-$(dirname "$(dirname "$(command -v nvcc)")")}
cm=${CMOCKA_DIR:-}
cmflags=() cmlibs=(-lcmocka)
[ -n "$cm" ] && cmflags=(-I"$cm/include") cmlibs=(-L"$cm/lib" -lcmocka) && export LD_LIBRARY_PATH="$cm/lib:${LD_LIBRARY_PATH:-}"
nv=(nvcc -O2 -std=c++17 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_75,code=compute_75)
cc=(gcc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -Wall -Wextra -Werror)
link=(-L"$cuda/lib64" -lcudart_static -ldl -lrt -lpthread -lstdc++ -lm)
{
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  nvcc --version | tail -2
  "${nv[@]}" -c kernels/cuda/u8_affine.cu -o "$b/u8_affine_cuda.o"
  "${cc[@]}" -c kernels/cpu/u8_affine.c -o "$b/u8_affine_cpu.o"
  for t in test_kernels test_kernels_cuda; do
    "${cc[@]}" "${cmflags[@]}" -c tests/unit/$t.c -o "$b/$t.o"
    gcc -fopenmp "$b/$t.o" "$b/u8_affine_cpu.o" "$b/u8_affine_cuda.o" "${cmlibs[@]}" "${link[@]}" -o "$b/$t.t"
  done
  "${nv[@]}" bench/cuda_u8_affine.cu "$b/u8_affine_cuda.o" "$b/u8_affine_cpu.o" -Xcompiler -fopenmp -o "$b/cuda_u8_affine"
  echo "== CPU reference and backend comparison (tests/unit/test_kernels*.c)"
  "$b/test_kernels.t"
  "$b/test_kernels_cuda.t"
  echo "== GPU benchmark (bench/cuda_u8_affine.cu)"
  "$b/cuda_u8_affine"
} 2>&1 | tee "$out/gpu_check.log"
