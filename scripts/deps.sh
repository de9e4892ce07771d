#!/usr/bin/env bash
# deps.sh: detect phasor's dependencies, one line each; optionally install the missing ones.
#   scripts/deps.sh check     print found/missing, exit 1 if a required one is missing
#   scripts/deps.sh install   as check, then apt-get install the missing Debian packages
#                             (as root; otherwise print the one command to run)
set -u
mode=${1:-check}

# name            debian package          probe              required?
deps=(
  "C compiler      build-essential         cmd:gcc            yes"
  "pkg-config      pkg-config              cmd:pkg-config     yes"
  "MPI (mpicc)     libopenmpi-dev          pkg:ompi-c         yes"
  "mpirun          openmpi-bin             cmd:mpirun         yes"
  "parallel HDF5   libhdf5-openmpi-dev     pkg:hdf5-openmpi   yes"
  "h5dump/h5diff   hdf5-tools              cmd:h5diff         yes"
  "FFTW3           libfftw3-dev            pkg:fftw3f         yes"
  "oneDNN          libdnnl-dev             hdr:oneapi/dnnl/dnnl.h yes"
  "OpenBLAS        libopenblas-dev         pkg:openblas       yes"
  "LAPACKE         liblapacke-dev          hdr:lapacke.h      yes"
  "Random123       librandom123-dev        hdr:Random123/philox.h yes"
  "inih            libinih-dev             pkg:inih           yes"
  "libpng          libpng-dev              pkg:libpng         yes"
  "libjpeg         libjpeg-dev             pkg:libjpeg        yes"
  "libdeflate      libdeflate-dev          pkg:libdeflate     yes"
  "GSL             libgsl-dev              pkg:gsl            yes"
  "gnuplot         gnuplot-nox             cmd:gnuplot        yes"
  "cmocka          libcmocka-dev           pkg:cmocka         yes"
  "prove (perl)    perl                    cmd:prove          yes"
  "h5py (tests)    python3-h5py            py:h5py            yes"
  "CUDA (nvcc)     -                       cmd:nvcc           no"
  "Slurm           slurm-wlm               cmd:slurmctld      no"
  "munge           munge                   cmd:munged         no"
)

probe() {
  local kind=${1%%:*} what=${1#*:}
  case $kind in
    cmd) command -v "$what" >/dev/null 2>&1 || [ -x "/usr/local/cuda/bin/$what" ] ;;
    pkg) pkg-config --exists "$what" 2>/dev/null ;;
    hdr) echo "#include <$what>" | ${CC:-cc} -E -x c - >/dev/null 2>&1 ;;
    py) /usr/bin/python3 -c "import $what" >/dev/null 2>&1 ;; # Debian's python, not a PATH one
  esac
}

check() {
  missing=()
  local line name pkg pr req
  for line in "${deps[@]}"; do
    name=$(echo "$line" | cut -c1-16 | sed 's/ *$//')
    read -r pkg pr req <<<"$(echo "$line" | cut -c17-)"
    if probe "$pr"; then
      printf '  %-16s found    (%s)\n' "$name" "${pr#*:}"
    elif [ "$req" = yes ]; then
      printf '  %-16s MISSING  (Debian package %s)\n' "$name" "$pkg"
      missing+=("$pkg")
    elif [ "$pkg" = - ]; then
      printf '  %-16s absent   (optional; CUDA objects are skipped)\n' "$name"
    else # tests/slurm.t installs it when root (slurm/cluster install)
      printf '  %-16s absent   (optional, for the Slurm tests; Debian package %s)\n' "$name" "$pkg"
    fi
  done
}

echo "phasor dependencies:"
check
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$mode" = install ] && [ "$(id -u)" = 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "phasor: apt-get install failed (check the network and apt sources)" >&2; exit 1; }
  echo "phasor dependencies after install:"
  check
  [ ${#missing[@]} -eq 0 ] && exit 0
fi
echo "phasor: missing dependencies; run: sudo apt-get install -y ${missing[*]}" >&2
exit 1
