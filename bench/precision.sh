#!/usr/bin/env bash
# bench/precision.sh SCRATCH_DIR: bf16 against fp32 training, accuracy and speed
# (docs/performance.md, "bf16 convolutions"; part of make bench where the processor has
# AVX512-BF16 or AMX, else one "skipped" line).
#
# The demo (configs/demo_tracking.ini's PathTracker videos, configs/demo_train.ini's 3D CNN) is
# trained with each seed in fp32 and in bf16 (`[train] precision`), 2 ranks of one thread each,
# the two precisions alternating per seed; printed: each run's final validation accuracy (the
# stage's own validation at the last step), the mean and range over seeds per precision, and the
# median step time of each (train.jsonl's samples_per_second after the first interval).
#
# Environment: PHASOR_BUILD (required), BENCH_PRECISION_SEEDS ("1 2 3"),
# BENCH_PRECISION_STEPS (the demo's 1600).
set -euo pipefail

BUILD=${PHASOR_BUILD:?set PHASOR_BUILD to the absolute build directory (make bench does)}
DIR=${1:?usage: bench/precision.sh SCRATCH_DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SEEDS=${BENCH_PRECISION_SEEDS:-1 2 3}
STEPS=${BENCH_PRECISION_STEPS:-1600}
if ! grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo; then
    echo "skipped: this processor has no AVX512-BF16 or AMX, so phasor offers no bf16 convolutions here"
    exit 0
fi
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p "$DIR"
cd "$DIR"
say() { echo "[precision] $*" >&2; }

[[ -s data/train.h5 ]] || "$BUILD/bin/phasor-generate" "$ROOT/configs/demo_tracking.ini" --out data --quiet --force
# last FILE FIELD: the field's value in the last line of FILE that has it
last() { grep -o "\"$2\":[0-9.]*" "$1" | tail -n 1 | cut -d: -f2; }
ROWS=""
for seed in $SEEDS; do
    for prec in fp32 bf16; do
        say "seed $seed, $prec"
        rm -rf "run_${prec}_$seed"
        OMP_NUM_THREADS=1 mpirun --bind-to none -np 2 "$BUILD/bin/phasor-train" "$ROOT/configs/demo_train.ini" \
            --out "run_${prec}_$seed" --quiet --set train.train=data/train.h5 --set train.val=data/val.h5 \
            --set train.seed="$seed" --set train.steps="$STEPS" --set train.precision="$prec"
        acc=$(last "run_${prec}_$seed/train.jsonl" val_accuracy)
        ms=$(grep -o '"samples_per_second":[0-9.]*' "run_${prec}_$seed/train.jsonl" | cut -d: -f2 | tail -n +2 |
            awk '{ print 32000 / $1 }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        ROWS+="$prec $seed $acc $ms"$'\n'
    done
done

echo "## bf16 convolutions against fp32: the demo's accuracy and step"
echo
echo "The demo (configs/demo_train.ini: the 3D CNN of width 8, batch 32, $STEPS steps) on"
echo "configs/demo_tracking.ini's videos, 2 ranks of one thread, with each seed in fp32 and in bf16"
echo "(\`[train] precision\`). Validation accuracy: the stage's own, at the last step (512 videos)."
echo "Step: the median over the log intervals after the first."
echo "Command: \`bench/precision.sh DIR\` (part of \`make bench\`)."
echo
echo "| precision | validation accuracy per seed ($(tr ' ' ',' <<< "$SEEDS" | sed 's/,/, /g')) | mean | range | step ms |"
echo "|---|---|---:|---:|---:|"
for prec in fp32 bf16; do
    ms=$(awk -v p="$prec" '$1 == p { print $4 }' <<< "$ROWS" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    awk -v p="$prec" -v ms="$ms" '$1 == p { acc[++n] = $3 }
        END { s = 0; lo = 1; hi = 0; list = ""
              for (i = 1; i <= n; i++) { s += acc[i]; lo = acc[i] < lo ? acc[i] : lo; hi = acc[i] > hi ? acc[i] : hi
                                         list = list (i > 1 ? ", " : "") sprintf("%.3f", acc[i]) }
              printf "| %s | %s | %.3f | %.3f-%.3f | %.1f |\n", p, list, s / n, lo, hi, ms }' <<< "$ROWS"
done
