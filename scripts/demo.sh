#!/usr/bin/env bash
# demo.sh: the demo behind `make demo`: generate a small PathTracker set with
# NP MPI ranks, summarise it, and show where the results are.
#   PHASOR_BUILD  absolute build folder (set by make; default: build/ here)
#   NP            MPI ranks (default 2)
set -euo pipefail

cd "$(dirname "$0")/.."
PHASOR_BUILD=${PHASOR_BUILD:-$PWD/build}
NP=${NP:-2}

# Open MPI refuses to run as root unless told it is deliberate.
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

for stage in generate analyze; do
    if [ ! -x "$PHASOR_BUILD/bin/phasor-$stage" ]; then
        echo "demo.sh: $PHASOR_BUILD/bin/phasor-$stage is missing (run make build first)" >&2
        exit 1
    fi
done

echo "== phasor-generate with $NP ranks: configs/demo.ini -> results/demo/data/"
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-generate" configs/demo.ini --force

echo "== phasor-analyze summary with $NP ranks -> results/demo/"
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-analyze" summary \
    results/demo/data/train.h5 results/demo/data/test.h5 --out results/demo --force

cat <<MSG

Results in $PWD/results/demo/:
  data/train.h5, data/test.h5   the generated sample files (HDF5; try h5dump -H)
  summary.md, summary.json      per-file table (human / machine readable)
  contact_sheet.png             frames of the first positive (top) and negative (bottom) sample

---- results/demo/summary.md ----
MSG
cat results/demo/summary.md
