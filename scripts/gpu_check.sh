#!/usr/bin/env bash
# gpu_check.sh: on a machine with an NVIDIA GPU, build the kernels (CPU
# reference and CUDA) without the rest of phasor (no MPI or HDF5 needed), run
# the kernel tests, the backend comparison and the GPU benchmark.  On a machine
# without a GPU it still builds everything and runs the CPU tests (the backend
# comparison then checks only its own code), then stops at the benchmark.
# oneDNN, FFTW and cmocka come from the system or from DEPS_DIR (include/, lib/).
#   scripts/gpu_check.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/phasor-gpu}
mkdir -p "$out"
b=$(mktemp -d)
cuda=${CUDA_HOME:-$(dirname "$(dirname "$(command -v nvcc)")")}
inc=() lib=()
if [ -n "${DEPS_DIR:-}" ]; then
  inc=(-I"$DEPS_DIR/include") lib=(-L"$DEPS_DIR/lib")
  export LD_LIBRARY_PATH="$DEPS_DIR/lib:${LD_LIBRARY_PATH:-}"
fi
nv=(nvcc -O2 -std=c++20 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_75,code=compute_75)
cc=(gcc -O2 -std=c11 -D_GNU_SOURCE -DPHASOR_CUDA=1 -fopenmp -Wall -Wextra -Werror -iquote common -iquote kernels "${inc[@]}")
# libmvec (glibc's vector math) as the Makefile links it: on x86_64 only
mvec=(); [ "$(uname -m)" = x86_64 ] && mvec=(-lmvec)
link=("${lib[@]}" -ldnnl -lfftw3f -lcmocka -L"$cuda/lib64" -Wl,-rpath,"$cuda/lib64" -lcudnn -lcublas -lcufft
      -lcudart_static -ldl -lrt -lpthread -lstdc++ "${mvec[@]}" -lm)
{
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  nvcc --version | tail -2
  objs=()
  # every CPU kernel file except the stand-in CUDA row of builds without nvcc, and the
  # counter-based generator the tests draw their inputs from
  for f in $(ls kernels/*.c kernels/cpu/*.c | grep -v cuda_none.c) common/core/rng.c; do
    o="$b/$(basename "$f" .c).o"; "${cc[@]}" -c "$f" -o "$o"; objs+=("$o")
  done
  # NCCL (nccl_comm.cu) serves the gradient exchange, not the kernels: its stand-in is built instead
  for f in $(ls kernels/cuda/*.cu | grep -v nccl_comm.cu); do
    o="$b/cuda_$(basename "$f" .cu).o"; "${nv[@]}" "${inc[@]}" -c "$f" -o "$o"; objs+=("$o")
  done
  for t in test_kernels test_cells test_kernels_cuda; do
    "${cc[@]}" -c "tests/unit/$t.c" -o "$b/$t.o"
    gcc -fopenmp "$b/$t.o" "${objs[@]}" "${link[@]}" -o "$b/$t.t"
  done
  "${nv[@]}" "${inc[@]}" -c bench/cuda_u8_affine.cu -o "$b/bench.o"
  gcc -fopenmp "$b/bench.o" "${objs[@]}" "${link[@]}" -o "$b/cuda_u8_affine"
  echo "== CPU reference (tests/unit/test_kernels.c)"
  "$b/test_kernels.t"
  echo "== CPU cell ops against double (tests/unit/test_cells.c)"
  "$b/test_cells.t"
  echo "== backend comparison (tests/unit/test_kernels_cuda.c)"
  # each kernel waited for: an error while one runs is reported by its own op
  PHASOR_CUDA_SYNC=1 "$b/test_kernels_cuda.t"
  echo "== GPU benchmark (bench/cuda_u8_affine.cu)"
  "$b/cuda_u8_affine"
} 2>&1 | tee "$out/gpu_check.log"
