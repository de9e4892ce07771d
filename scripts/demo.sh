#!/usr/bin/env bash
# demo.sh: the demo behind `make demo`: generate a small PathTracker set with
# NP MPI ranks, summarise it, train the 3D CNN on the easiest tracking
# condition, and show where the results are.
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

for stage in generate analyze train; do
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

echo "== phasor-generate: configs/demo_tracking.ini -> results/demo/tracking/ (0 distractors, 32 frames)"
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-generate" configs/demo_tracking.ini --force --quiet

echo "== phasor-train with $NP ranks: configs/demo_train.ini -> results/demo/train/"
rm -rf results/demo/train # a fresh run, not a resume of an earlier demo
mpirun --oversubscribe -np "$NP" "$PHASOR_BUILD/bin/phasor-train" configs/demo_train.ini

# The validation curve as a short markdown table.
perl -MJSON::PP -ne 'BEGIN { print "# Training the 3D CNN (make demo)\n\nPathTracker, 0 distractors, ",
    "32 frames; 8192 training and 512 validation videos; configs/demo_train.ini.\n\n",
    "| step | validation loss | validation accuracy |\n|---:|---:|---:|\n" }
    my $j = decode_json($_); next unless exists $j->{val_accuracy};
    printf "| %d | %.4f | %.4f |\n", $j->{step}, $j->{val_loss}, $j->{val_accuracy};' \
    results/demo/train/train.jsonl >results/demo/training.md

cat <<MSG

Results in $PWD/results/demo/:
  data/train.h5, data/test.h5   the generated sample files (HDF5; try h5dump -H)
  summary.md, summary.json      per-file table (human / machine readable)
  contact_sheet.png             frames of the first positive (top) and negative (bottom) sample
  tracking/, train/             the training set, checkpoints and train.jsonl of the 3D CNN
  training.md                   its validation accuracy over training

---- results/demo/summary.md ----
MSG
cat results/demo/summary.md
echo
echo "---- results/demo/training.md ----"
cat results/demo/training.md
