#!/usr/bin/env bash
# bench/train_reader.sh SCRATCH_DIR: phasor-train's sample reader (part of make bench; prints the
# markdown block of docs/performance.md's "reader" section on stdout, progress on stderr).
#
# 1. The demo model (configs/demo_train.ini: 3D CNN width 8, batch 32) on the demo's videos
#    (configs/demo_tracking.ini, 8192 videos, 768 MiB of samples), with the whole-file reader and
#    the streamed one, on 1 and 2 ranks, BENCH_REPS rounds with the order alternating; the step
#    time is the median over the log intervals after the first, and the ratio is paired per round.
# 2. A file far larger than memory: BENCH_BIG_N PathTracker videos of 64 frames (100,000: 18.3 GiB
#    of samples, the tracking study's paper-scale training set), trained with reader = auto
#    (which streams it) on 2 ranks for BENCH_BIG_STEPS steps: peak resident memory of rank 0
#    against the samples' size.
#
# Environment: PHASOR_BUILD (required), BENCH_REPS (3), BENCH_READER_STEPS (300), BENCH_BIG_N
# (100000), BENCH_BIG_STEPS (100).
set -euo pipefail

BUILD=${PHASOR_BUILD:?set PHASOR_BUILD to the absolute build directory (make bench does)}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:?usage: bench/train_reader.sh SCRATCH_DIR}
REPS=${BENCH_REPS:-3}
STEPS=${BENCH_READER_STEPS:-300}
BIG_N=${BENCH_BIG_N:-100000}
BIG_STEPS=${BENCH_BIG_STEPS:-100}
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
MPIRUN=(mpirun --bind-to none --oversubscribe)
mkdir -p "$DIR"
say() { echo "[reader] $*" >&2; }

# "med min max" of the numbers on stdin
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print m, v[1], v[NR] }'
}
# Values of KEY in a run's train.jsonl, the first log interval (warm-up) left out.
jvals() { grep -o "\"$2\":[0-9.]*" "$1/train.jsonl" | cut -d: -f2 | tail -n +2; }

# ---- 1. the demo model, whole-file against streamed ----------------------------------------
say "generating the demo's videos"
"${MPIRUN[@]}" -np 2 "$BUILD/bin/phasor-generate" "$ROOT/configs/demo_tracking.ini" --out "$DIR/demo" --quiet --force
# OpenMP threads per rank: the cores shared out (oversubscribing spinning threads would time the scheduler)
threads() { local t=$(($(nproc) / $1)); echo $((t > 0 ? t : 1)); }
train_demo() { # RANKS READER OUT
    rm -rf "$3"
    "${MPIRUN[@]}" -np "$1" -x OMP_NUM_THREADS="$(threads "$1")" "$BUILD/bin/phasor-train" "$ROOT/configs/demo_train.ini" --out "$3" --quiet \
        --set train.train="$DIR/demo/train.h5" --set train.val="$DIR/demo/val.h5" --set train.reader="$2" \
        --set train.steps="$STEPS" --set train.log_every=50 --set train.eval_every=1000000 \
        --set train.checkpoint_every=1000000
}
declare -A STEP WAIT
RATIOS1="" RATIOS2=""
for ((r = 1; r <= REPS; r++)); do
    for p in 1 2; do
        order="memory stream"
        ((r % 2)) || order="stream memory"
        for reader in $order; do
            say "round $r/$REPS: $p rank(s), $reader"
            train_demo "$p" "$reader" "$DIR/run"
            # ms per step = 1000 * batch / samples_per_second, median over the intervals
            STEP[$r,$p,$reader]=$(jvals "$DIR/run" samples_per_second | awk '{ print 32000 / $1 }' | stats | cut -d' ' -f1)
            WAIT[$r,$p,$reader]=$(jvals "$DIR/run" data_wait | stats | cut -d' ' -f1)
        done
        ratio=$(awk -v s="${STEP[$r,$p,stream]}" -v m="${STEP[$r,$p,memory]}" 'BEGIN { printf "%.4f", s / m }')
        if ((p == 1)); then RATIOS1+="$ratio"$'\n'; else RATIOS2+="$ratio"$'\n'; fi
    done
done
row() { # RANKS RATIOS
    local p=$1 mem str wm ws q
    mem=$(for ((r = 1; r <= REPS; r++)); do echo "${STEP[$r,$p,memory]}"; done | stats)
    str=$(for ((r = 1; r <= REPS; r++)); do echo "${STEP[$r,$p,stream]}"; done | stats)
    wm=$(for ((r = 1; r <= REPS; r++)); do echo "${WAIT[$r,$p,memory]}"; done | stats | cut -d' ' -f1)
    ws=$(for ((r = 1; r <= REPS; r++)); do echo "${WAIT[$r,$p,stream]}"; done | stats | cut -d' ' -f1)
    q=$(printf '%s' "$2" | stats)
    awk -v p="$p" -v m="$mem" -v s="$str" -v wm="$wm" -v ws="$ws" -v q="$q" 'BEGIN {
        split(m, M, " "); split(s, S, " "); split(q, Q, " ")
        printf "| %d | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %.3f (%.3f-%.3f) | %.1f %% | %.1f %% |\n",
            p, M[1], M[2], M[3], S[1], S[2], S[3], Q[1], Q[2], Q[3], 100 * wm, 100 * ws }'
}

# ---- 2. a file far larger than memory -------------------------------------------------------
say "generating $BIG_N videos of 64 frames"
cat > "$DIR/big.ini" <<EOF
[generate]
challenge = pathtracker
[pathtracker]
length = 64
num_distractors = 14
[split.train]
n = $BIG_N
seed = 21
[split.val]
n = 256
seed = 22
EOF
t0=$(date +%s.%N)
"${MPIRUN[@]}" -np 2 "$BUILD/bin/phasor-generate" "$DIR/big.ini" --out "$DIR/big" --quiet --force
gen_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
disk_mib=$(du -m "$DIR/big/train.h5" | cut -f1)
say "training on it with reader = auto, 2 ranks, $BIG_STEPS steps"
rm -rf "$DIR/bigrun"
"${MPIRUN[@]}" -np 2 -x OMP_NUM_THREADS="$(threads 2)" "$BUILD/bin/phasor-train" "$ROOT/configs/demo_train.ini" --out "$DIR/bigrun" \
    --set train.train="$DIR/big/train.h5" --set train.val="$DIR/big/val.h5" --set train.steps="$BIG_STEPS" \
    --set train.log_every=25 --set train.eval_every=1000000 --set train.checkpoint_every=1000000 \
    2> "$DIR/bigrun.err"
samples_gib=$(awk -v n="$BIG_N" 'BEGIN { printf "%.1f", n * 64 * 32 * 32 * 3 / 2^30 }')
rss=$(grep -o '"peak_rss_mib":[0-9.]*' "$DIR/bigrun/train.jsonl" | tail -1 | cut -d: -f2)
big_step=$(jvals "$DIR/bigrun" samples_per_second | awk '{ print 32000 / $1 }' | stats | cut -d' ' -f1)
big_wait=$(jvals "$DIR/bigrun" data_wait | stats | cut -d' ' -f1)
how=$(grep -o "train.h5: [0-9]* samples, [0-9]* MiB, [a-z ]*" "$DIR/bigrun.err" | head -1 || :)

cat <<EOF
## 6. phasor-train's sample reader: whole-file and streamed
**The demo model.** configs/demo_train.ini (3D CNN width 8, batch 32) on configs/demo_tracking.ini's
8192 videos (768 MiB of samples, a chunk per video, deflate 1), $STEPS steps per run, $REPS rounds,
the order of the readers alternating per round. ms per step: median over the 50-step log intervals
after the first (min-max over rounds); the ratio is paired per round. data_wait: the share of the
step the trainer spent reading or waiting for the reader (whole-file: the batch gather).
Command: \`mpirun -np P -x OMP_NUM_THREADS=$(nproc)/P phasor-train configs/demo_train.ini --set train.reader=memory|stream\`.
The streamed reader fetches each sample's chunk raw and inflates it with libdeflate in a background
thread; on this machine every core already runs the model, so the reader takes its time from it.

| ranks | whole-file ms/step | streamed ms/step | streamed / whole-file | data_wait whole-file | data_wait streamed |
|---:|---:|---:|---:|---:|---:|
$(row 1 "$RATIOS1")
$(row 2 "$RATIOS2")

**A file far larger than memory.** $BIG_N PathTracker videos of 64 frames with 14 distractors:
$samples_gib GiB of samples, $disk_mib MiB on disk (generated with 2 ranks in $gen_s s). Trained with
the demo model and \`reader = auto\` on 2 ranks for $BIG_STEPS steps ($how): peak resident memory of
rank 0 **$rss MiB**, $(awk -v g="$samples_gib" -v r="$rss" 'BEGIN { printf "%.0f", g * 1024 / r }') times less than the samples;
$(printf '%.1f' "$big_step") ms per step, data_wait $(awk -v w="$big_wait" 'BEGIN { printf "%.1f", 100 * w }') %.
EOF
